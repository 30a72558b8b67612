#include "dataplane/flow/flow_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/rules/text.h"

namespace sluice {

Transaction flow_file_transaction(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    const int err = errno;
    throw Error("flows file " + path + ": cannot read it: " + std::strerror(err), err, "--flows");
  }
  std::stringstream text;
  text << in.rdbuf();
  Transaction txn;
  txn.remove(0, Match{});  // the default priority=0,actions=normal rule
  try {
    for (Rule& rule : parse_rules(text.str())) txn.add(std::move(rule));
  } catch (const Error& e) {
    throw Error("flows file " + path + ": " + e.what(), e.code(), e.path());
  }
  return txn;
}

}  // namespace sluice
