#!/usr/bin/env python3
"""Embeds an OpenAPI JSON document in C++: embed_openapi.py INPUT OUTPUT.cc

Fails (so the build fails) if INPUT is not valid JSON or not an OpenAPI 3 document.
"""
import json
import sys

DELIMITER = "sluice_openapi"


def main():
    source, target = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as f:
        try:
            document = json.load(f)
        except json.JSONDecodeError as e:
            sys.exit(f"{source}: not valid JSON: {e}")
    if not str(document.get("openapi", "")).startswith("3.") or "paths" not in document:
        sys.exit(f'{source}: not an OpenAPI 3 document (needs "openapi": "3.x" and "paths")')
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    if f"){DELIMITER}\"" in text:
        sys.exit(f"{source}: contains the raw-string delimiter {DELIMITER}")
    with open(target, "w", encoding="utf-8") as f:
        f.write(f"""// Generated from {source} by embed_openapi.py: do not edit.
#include "dataplane/agent/openapi.h"

namespace sluice {{

std::string_view openapi_document() {{
  static constexpr char kDocument[] = R"{DELIMITER}({text}){DELIMITER}";
  return {{kDocument, sizeof(kDocument) - 1}};
}}

}}  // namespace sluice
""")


if __name__ == "__main__":
    main()
