#include "dataplane/agent/router.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <exception>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "dataplane/agent/http_errors.h"

namespace sluice {
namespace {

using nlohmann::json;

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    segments.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

bool is_param(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      const int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) throw Error("bad percent escape in the request target", EBADMSG);
      c = static_cast<char>(hi * 16 + lo);
      if (c == '\0') throw Error("the request target decodes to a NUL byte", EBADMSG);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    out += c;
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void split_target(std::string_view target, std::string& path,
                  std::vector<std::pair<std::string, std::string>>& query) {
  if (target.empty() || target.front() != '/') {
    throw Error("the request target must be an absolute path (\"/v1/...\")", EBADMSG);
  }
  const std::size_t mark = target.find('?');
  path = decode(target.substr(0, mark), false);
  query.clear();
  if (mark == std::string_view::npos) return;
  std::string_view rest = target.substr(mark + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    std::string_view item = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    query.emplace_back(decode(item.substr(0, eq), true),
                       eq == std::string_view::npos ? "" : decode(item.substr(eq + 1), true));
  }
}

std::optional<std::string> Request::query_value(std::string_view key) const {
  for (const auto& [k, v] : query) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::string_view Request::header(std::string_view name) const {
  const std::string wanted = lower(name);
  for (const auto& [k, v] : headers) {
    if (lower(k) == wanted) return v;
  }
  return {};
}

// Deepest nesting of arrays and objects in `text` (brackets inside strings
// do not count). Checked before parsing because nlohmann's parser callback,
// the other way to limit depth, rescans a container on every element it
// closes: quadratic in a 10k-operation transaction.
static int nesting_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

json Request::json() const {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw Error("the request body is empty: expected a JSON document", EBADMSG);
  }
  if (nesting_depth(body) > kMaxJsonDepth) {
    throw Error("malformed JSON: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels",
                EBADMSG);
  }
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    if (auto at = what.find("] "); at != std::string::npos) what.erase(0, at + 2);
    throw Error("malformed JSON at byte " + std::to_string(e.byte) + ": " + what, EBADMSG);
  } catch (const json::exception& e) {
    std::string what = e.what();
    if (auto at = what.find("] "); at != std::string::npos) what.erase(0, at + 2);
    throw Error("malformed JSON: " + what, EBADMSG);
  }
}

Response Response::json(const nlohmann::json& value, unsigned status) {
  Response r;
  r.status = status;
  r.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::empty(unsigned status) {
  Response r;
  r.status = status;
  return r;
}

Response Response::text(std::string body, std::string content_type, unsigned status) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

Response Response::events() {
  Response r;
  r.event_stream = true;
  r.content_type = "text/event-stream";
  return r;
}

Response Response::error(unsigned status, const std::string& code, const std::string& message,
                         const std::string& path) {
  Response r;
  r.status = status;
  r.body = error_body(code, message, path);
  return r;
}

void Router::add(HttpMethod method, const std::string& pattern, Handler handler,
                 BodyLimit body_limit) {
  if (pattern.empty() || pattern.front() != '/') {
    throw Error("route pattern \"" + pattern + "\" must start with '/'", EINVAL);
  }
  Entry entry{method, pattern, split_path(pattern), 0, std::move(handler), body_limit};
  std::set<std::string> names;
  for (const std::string& segment : entry.segments) {
    if (segment.empty())
      throw Error("route pattern \"" + pattern + "\" has an empty segment", EINVAL);
    const bool braces = segment.find_first_of("{}") != std::string::npos;
    if (!braces) {
      ++entry.literals;
      continue;
    }
    if (!is_param(segment) || segment.size() == 2 ||
        segment.find_first_of("{}", 1) != segment.size() - 1 || !names.insert(segment).second) {
      throw Error("route pattern \"" + pattern + "\" has a bad parameter " + segment, EINVAL);
    }
  }
  for (const Entry& other : entries_) {
    if (other.method != method || other.segments.size() != entry.segments.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < entry.segments.size() && same; ++i) {
      const std::string& a = entry.segments[i];
      const std::string& b = other.segments[i];
      same = is_param(a) ? is_param(b) : a == b;
    }
    if (same) throw Error("route " + pattern + " is already taken by " + other.pattern, EEXIST);
  }
  entries_.push_back(std::move(entry));
}

bool Router::match(const Entry& entry, const std::vector<std::string>& segments,
                   std::map<std::string, std::string>* params) {
  if (entry.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& want = entry.segments[i];
    if (is_param(want)) {
      if (segments[i].empty()) return false;
      if (params) (*params)[want.substr(1, want.size() - 2)] = segments[i];
    } else if (want != segments[i]) {
      return false;
    }
  }
  return true;
}

const Router::Entry* Router::best(HttpMethod method,
                                  const std::vector<std::string>& segments) const {
  const Entry* found = nullptr;
  for (const Entry& entry : entries_) {
    if (entry.method == method && (!found || entry.literals > found->literals) &&
        match(entry, segments, nullptr)) {
      found = &entry;
    }
  }
  return found;
}

BodyLimit Router::body_limit(HttpMethod method, std::string_view path) const {
  if (path.empty() || path.front() != '/') return BodyLimit::standard;
  const Entry* entry = best(method, split_path(path));
  return entry ? entry->body_limit : BodyLimit::standard;
}

Response Router::handle(Request& request) const {
  const std::vector<std::string> segments = split_path(request.path);
  const Entry* best = this->best(request.method, segments);
  std::set<std::string> allowed;
  for (const Entry& entry : entries_) {
    if (match(entry, segments, nullptr))
      allowed.insert(std::string(boost::beast::http::to_string(entry.method)));
  }
  if (allowed.empty()) {
    return Response::error(404, "not_found", "no resource at " + request.path);
  }
  if (!best) {
    std::string allow;
    for (const std::string& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    Response r =
        Response::error(405, "method_not_allowed",
                        std::string(boost::beast::http::to_string(request.method)) +
                            " is not allowed on " + request.path + " (allowed: " + allow + ")");
    r.headers.emplace_back("Allow", allow);
    return r;
  }
  request.params.clear();
  match(*best, segments, &request.params);
  try {
    return best->handler(request);
  } catch (const Error& e) {
    const HttpError status = http_error_for(e.code());
    return Response::error(status.status, status.code, e.what(), e.path());
  } catch (const std::exception& e) {
    return Response::error(500, "internal", std::string("internal error: ") + e.what());
  } catch (...) {
    return Response::error(500, "internal", "internal error");
  }
}

std::vector<Router::Route> Router::routes() const {
  std::vector<Route> out;
  for (const Entry& entry : entries_) out.push_back({entry.method, entry.pattern});
  return out;
}

}  // namespace sluice
