// The agent's request router: HTTP method + path pattern -> handler.
//
// A pattern is an absolute path whose segments are literals or "{param}"
// (one whole, non-empty segment, percent-decoded). Matching: among the routes
// whose pattern matches the path, the one with the most literal segments wins
// (so "/v1/rules/batch" beats "/v1/rules/{id}"); ties go to the earlier route.
//
// Handlers run on the control thread (the thread that runs the agent's
// io_context), one at a time, so they may call Datapath methods directly. A
// handler reports failure by throwing sluice::Error; see http_errors.h for how
// its errno becomes a status. Anything else it throws becomes 500 "internal".
// A handler must not block for long: every client waits while it runs.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

using HttpMethod = boost::beast::http::verb;

struct Request {
  HttpMethod method = HttpMethod::get;
  std::string target;  // as received: path and query, percent-encoded
  std::string path;    // decoded path, without the query
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::map<std::string, std::string> params;               // from the pattern's {param}s
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The path parameter `name`. Throws std::out_of_range if the pattern has no
  // such parameter (a programming error: 500).
  const std::string& param(const std::string& name) const { return params.at(name); }
  // The first query value for `key`, if present.
  std::optional<std::string> query_value(std::string_view key) const;
  // The first header named `name` (case-insensitive); "" if absent.
  std::string_view header(std::string_view name) const;
  // The body parsed as JSON. Throws sluice::Error EBADMSG (400, path "") when
  // the body is empty, is not JSON (the message gives the byte position),
  // nests deeper than kMaxJsonDepth or holds a number out of range.
  nlohmann::json json() const;

  static constexpr int kMaxJsonDepth = 32;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // Set by events(): the session keeps the connection as a server-sent event
  // stream (status, content_type and body are ignored).
  bool event_stream = false;

  // `value` serialised (invalid UTF-8 in strings is replaced, never thrown).
  static Response json(const nlohmann::json& value, unsigned status = 200);
  static Response empty(unsigned status = 204);
  static Response text(std::string body, std::string content_type, unsigned status = 200);
  static Response events();
  // The JSON error body (http_errors.h).
  static Response error(unsigned status, const std::string& code, const std::string& message,
                        const std::string& path = {});
};

using Handler = std::function<Response(const Request&)>;

// Which limit a route's request body is held to: `standard`
// (AgentOptions::max_body) or `routes` (AgentOptions::max_routes_body: whole
// route tables, a million routes being ~48 MB of JSON).
enum class BodyLimit { standard, routes };

class Router {
 public:
  struct Route {
    HttpMethod method;
    std::string pattern;
  };

  // Adds a route. Throws sluice::Error EINVAL if `pattern` does not start with
  // '/', has an empty segment or a malformed "{param}" (empty, unbalanced,
  // repeated name), and EEXIST if the same method and pattern (parameter
  // names ignored) is already routed.
  void add(HttpMethod method, const std::string& pattern, Handler handler,
           BodyLimit body_limit = BodyLimit::standard);

  // The body limit of the route `method` on `path` (decoded, no query) would
  // reach; `standard` when none would. Never throws.
  BodyLimit body_limit(HttpMethod method, std::string_view path) const;

  // Routes `request` (whose path and query are already split and decoded) and
  // returns the handler's response, or: 404 not_found for an unknown path,
  // 405 method_not_allowed with an "Allow" header for a known path with
  // another method, or the error response for whatever the handler threw.
  // Fills request.params. Never throws.
  Response handle(Request& request) const;

  // Every route, in the order added (for the OpenAPI cross-check).
  std::vector<Route> routes() const;

 private:
  struct Entry {
    HttpMethod method;
    std::string pattern;
    std::vector<std::string> segments;  // "{x}" kept as is
    unsigned literals;
    Handler handler;
    BodyLimit body_limit;
  };
  static bool match(const Entry& entry, const std::vector<std::string>& segments,
                    std::map<std::string, std::string>* params);
  // The most literal route for `method` that matches `segments`, or nullptr.
  const Entry* best(HttpMethod method, const std::vector<std::string>& segments) const;

  std::vector<Entry> entries_;
};

// Splits a request target into decoded path and query pairs. Throws
// sluice::Error EBADMSG if the target does not start with '/', has a bad
// percent escape, or decodes to a NUL byte.
void split_target(std::string_view target, std::string& path,
                  std::vector<std::pair<std::string, std::string>>& query);

}  // namespace sluice
