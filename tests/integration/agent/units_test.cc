// The agent's parts without a network: router, error table, event bus, bearer
// token check, listen address parsing.
#include <gtest/gtest.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "dataplane/agent/bearer_auth.h"
#include "dataplane/agent/event_bus.h"
#include "dataplane/agent/http_errors.h"
#include "dataplane/agent/listen_address.h"
#include "dataplane/agent/router.h"

namespace sluice {
namespace {

using nlohmann::json;

Request make(HttpMethod method, const std::string& target, std::string body = {}) {
  Request request;
  request.method = method;
  request.target = target;
  split_target(target, request.path, request.query);
  request.body = std::move(body);
  return request;
}

Handler says(std::string what) {
  return [what](const Request& r) {
    json params = json::object();
    for (const auto& [k, v] : r.params) params[k] = v;
    return Response::json({{"route", what}, {"params", params}});
  };
}

TEST(Router, MatchesLiteralsAndParams) {
  Router router;
  router.add(HttpMethod::get, "/v1/ports", says("list"));
  router.add(HttpMethod::get, "/v1/ports/{name}", says("one"));
  router.add(HttpMethod::get, "/v1/ports/special", says("special"));
  router.add(HttpMethod::get, "/v1/tables/{table}/rules/{rule}", says("rule"));
  Request r = make(HttpMethod::get, "/v1/ports/eth%2D0");
  json body = json::parse(router.handle(r).body);
  EXPECT_EQ(body["route"], "one");
  EXPECT_EQ(body["params"]["name"], "eth-0");
  r = make(HttpMethod::get, "/v1/ports/special");
  EXPECT_EQ(json::parse(router.handle(r).body)["route"], "special");
  r = make(HttpMethod::get, "/v1/tables/0/rules/17?strict=1&cookie=0x10");
  body = json::parse(router.handle(r).body);
  EXPECT_EQ(body["params"], (json{{"table", "0"}, {"rule", "17"}}));
  EXPECT_EQ(r.query_value("cookie"), "0x10");
  EXPECT_EQ(r.query_value("missing"), std::nullopt);
  r = make(HttpMethod::get, "/v1/ports/");
  EXPECT_EQ(router.handle(r).status, 404u);
  r = make(HttpMethod::get, "/v1/ports/a/b");
  EXPECT_EQ(router.handle(r).status, 404u);
}

TEST(Router, MethodNotAllowedListsTheOthers) {
  Router router;
  router.add(HttpMethod::get, "/v1/ports/{name}", says("get"));
  router.add(HttpMethod::delete_, "/v1/ports/{id}", says("delete"));
  Request r = make(HttpMethod::put, "/v1/ports/x");
  Response response = router.handle(r);
  EXPECT_EQ(response.status, 405u);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Allow", "DELETE, GET"}));
  EXPECT_EQ(json::parse(response.body)["error"]["code"], "method_not_allowed");
}

TEST(Router, RejectsBadPatterns) {
  Router router;
  router.add(HttpMethod::get, "/v1/a/{x}", says(""));
  for (const char* pattern : {"v1", "", "/v1//a", "/v1/{}", "/v1/{a", "/v1/a}", "/v1/{a}{b}",
                              "/v1/{a}/{a}", "/v1/x{a}"}) {
    try {
      router.add(HttpMethod::get, pattern, says(""));
      ADD_FAILURE() << pattern;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), EINVAL) << pattern;
    }
  }
  try {
    router.add(HttpMethod::get, "/v1/a/{y}", says(""));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), EEXIST);
  }
  EXPECT_NO_THROW(router.add(HttpMethod::post, "/v1/a/{y}", says("")));
  EXPECT_EQ(router.routes().size(), 2u);
}

TEST(Router, HandlerErrorsBecomeJsonErrors) {
  Router router;
  router.add(HttpMethod::post, "/e/{errno}", [](const Request& r) -> Response {
    throw Error("it failed", std::stoi(r.param("errno")), "/rules/3/match/tcp_dst");
  });
  router.add(HttpMethod::get, "/crash",
             [](const Request&) -> Response { throw std::logic_error("boom"); });
  router.add(HttpMethod::post, "/json", [](const Request& r) { return Response::json(r.json()); });
  struct Case {
    int errno_value;
    unsigned status;
    const char* code;
  };
  for (const Case& c :
       {Case{ENOENT, 404, "not_found"}, Case{EEXIST, 409, "exists"}, Case{EBUSY, 409, "busy"},
        Case{ESTALE, 409, "stale_generation"}, Case{EINVAL, 422, "invalid"},
        Case{EBADMSG, 400, "malformed"}, Case{E2BIG, 413, "too_large"},
        Case{ENOSPC, 507, "no_space"}, Case{EACCES, 401, "unauthorized"}, Case{0, 500, "internal"},
        Case{EIO, 500, "internal"}}) {
    Request r = make(HttpMethod::post, "/e/" + std::to_string(c.errno_value));
    Response response = router.handle(r);
    EXPECT_EQ(response.status, c.status) << c.errno_value;
    EXPECT_EQ(response.content_type, "application/json");
    EXPECT_EQ(
        json::parse(response.body),
        (json{{"error",
               {{"code", c.code}, {"message", "it failed"}, {"path", "/rules/3/match/tcp_dst"}}}}));
    EXPECT_EQ(http_error_for(c.errno_value).status, c.status);
  }
  Request crash = make(HttpMethod::get, "/crash");
  Response response = router.handle(crash);
  EXPECT_EQ(response.status, 500u);
  EXPECT_EQ(json::parse(response.body)["error"]["message"], "internal error: boom");

  Request deep = make(HttpMethod::post, "/json", std::string(33, '[') + std::string(33, ']'));
  EXPECT_EQ(router.handle(deep).status, 400u);
  Request ok = make(HttpMethod::post, "/json", std::string(32, '[') + std::string(32, ']'));
  EXPECT_EQ(router.handle(ok).status, 200u);
  Request bad = make(HttpMethod::post, "/json", "{\"a\": tru}");
  json error = json::parse(router.handle(bad).body)["error"];
  EXPECT_EQ(error["code"], "malformed");
  EXPECT_EQ(error["message"].get<std::string>().rfind("malformed JSON at byte 10: ", 0), 0u)
      << error;
}

TEST(Router, SplitsAndDecodesTargets) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  split_target("/v1/a%20b?x=1+2&y&z=%3D", path, query);
  EXPECT_EQ(path, "/v1/a b");
  ASSERT_EQ(query.size(), 3u);
  EXPECT_EQ(query[0], (std::pair<std::string, std::string>{"x", "1 2"}));
  EXPECT_EQ(query[1], (std::pair<std::string, std::string>{"y", ""}));
  EXPECT_EQ(query[2], (std::pair<std::string, std::string>{"z", "="}));
  for (const char* bad : {"", "v1", "http://x/v1", "/a%", "/a%2", "/a%zz", "/a%00"}) {
    EXPECT_THROW(split_target(bad, path, query), Error) << bad;
  }
}

TEST(EventBus, FramesEventsAndDropsWhenAClientIsFull) {
  EventBus bus(2);
  int wakes = 0;
  auto slow = bus.subscribe([&] { ++wakes; });
  auto fast = bus.subscribe(nullptr);
  EXPECT_EQ(bus.subscribers(), 2u);
  EXPECT_EQ(bus.publish("port-added", {{"name", "a"}}), 1u);
  EXPECT_EQ(fast->pop(), "id: 1\nevent: port-added\ndata: {\"name\":\"a\"}\n\n");
  for (const char* type : {"port-removed", "x", "y"}) {
    bus.publish(type, json::object());
    fast->pop();
  }
  EXPECT_EQ(wakes, 1);  // only when the queue became non-empty
  EXPECT_EQ(slow->dropped(), 2u);
  EXPECT_EQ(fast->dropped(), 0u);
  EXPECT_EQ(bus.dropped(), 2u);
  EXPECT_EQ(bus.published(), 4u);
  EXPECT_EQ(slow->pop().substr(0, 6), "id: 1\n");
  EXPECT_EQ(slow->pop().substr(0, 6), "id: 2\n");
  EXPECT_TRUE(slow->empty());
  EXPECT_THROW(bus.publish("Bad Type", {}), Error);
  EXPECT_THROW(bus.publish("", {}), Error);
  EXPECT_THROW(bus.publish("a\ndata: x", {}), Error);
  slow.reset();
  EXPECT_EQ(bus.subscribers(), 1u);
  // Newlines in data never break the framing.
  bus.publish("t", {{"s", "line1\nline2"}});
  const std::string frame = fast->pop();
  EXPECT_EQ(std::count(frame.begin(), frame.end(), '\n'), 4);
}

TEST(EventBus, SubscriberMayOutliveTheBus) {
  std::shared_ptr<EventBus::Subscriber> subscriber;
  {
    EventBus bus;
    subscriber = bus.subscribe(nullptr);
  }
  EXPECT_TRUE(subscriber->empty());
  subscriber.reset();
}

TEST(BearerAuth, ComparesTheWholeToken) {
  EXPECT_TRUE(bearer_token_matches("Bearer abc", "abc"));
  EXPECT_TRUE(bearer_token_matches("bearer   abc", "abc"));
  EXPECT_FALSE(bearer_token_matches("Bearer abcd", "abc"));
  EXPECT_FALSE(bearer_token_matches("Bearer ab", "abc"));
  EXPECT_FALSE(bearer_token_matches("Bearer abd", "abc"));
  EXPECT_FALSE(bearer_token_matches("Bearerabc", "abc"));
  EXPECT_FALSE(bearer_token_matches("Basic abc", "abc"));
  EXPECT_FALSE(bearer_token_matches("", "abc"));
  EXPECT_FALSE(bearer_token_matches("Bearer ", ""));
}

TEST(ListenAddress, ParsesHostAndPort) {
  EXPECT_EQ(endpoint_text(parse_listen_address("127.0.0.1:8181")), "127.0.0.1:8181");
  EXPECT_EQ(endpoint_text(parse_listen_address("localhost:0")), "127.0.0.1:0");
  EXPECT_EQ(endpoint_text(parse_listen_address("[::1]:80")), "[::1]:80");
  EXPECT_TRUE(parse_listen_address("[::1]:80").address().is_loopback());
  EXPECT_FALSE(parse_listen_address("0.0.0.0:80").address().is_loopback());
  for (const char* bad : {"", "8181", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                          "127.0.0.1:80x", "example.com:80", "::1:80", "[zz]:80", "300.0.0.1:80"}) {
    try {
      parse_listen_address(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), EINVAL) << bad;
      EXPECT_EQ(e.path(), "--listen");
    }
  }
}

}  // namespace
}  // namespace sluice
