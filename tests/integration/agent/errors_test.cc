// The agent's error replies, limits, authentication and robustness, over real
// HTTP on loopback.
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "tests/integration/agent/agent_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;

// The error body every 4xx/5xx carries.
json error_of(const HttpReply& reply) {
  EXPECT_EQ(reply.header("content-type"), "application/json");
  json body = json::parse(reply.body, nullptr, false);
  EXPECT_TRUE(body.is_object() && body.contains("error")) << reply.body;
  if (!body.is_object() || !body.contains("error")) return json::object();
  json error = body["error"];
  EXPECT_TRUE(error["code"].is_string() && error["message"].is_string() &&
              error["path"].is_string())
      << reply.body;
  return error;
}

TEST_F(AgentTest, UnknownPathIs404) {
  HttpReply reply = get("/v1/nothing");
  EXPECT_EQ(reply.status, 404u);
  EXPECT_EQ(error_of(reply)["code"], "not_found");
  EXPECT_EQ(get("/v1/ports/a/b").status, 404u);
  EXPECT_EQ(get("/").status, 404u);
}

TEST_F(AgentTest, OtherMethodOnAKnownPathIs405WithAllow) {
  HttpReply reply = call(verb::put, "/v1/ports", "{}");
  EXPECT_EQ(reply.status, 405u);
  EXPECT_EQ(reply.header("allow"), "GET, POST");
  EXPECT_EQ(error_of(reply)["code"], "method_not_allowed");
  EXPECT_EQ(call(verb::post, "/v1/ports/" + ports_[0].name, "{}").header("allow"), "DELETE, GET");
  EXPECT_EQ(call(verb::delete_, "/v1/switch").status, 405u);
}

TEST_F(AgentTest, MalformedJsonIs400WithThePosition) {
  HttpReply reply = call(verb::post, "/v1/ports", R"({"spec": "ring:x",)");
  EXPECT_EQ(reply.status, 400u);
  json error = error_of(reply);
  EXPECT_EQ(error["code"], "malformed");
  EXPECT_NE(error["message"].get<std::string>().find("malformed JSON at byte 19"),
            std::string::npos)
      << error;
  EXPECT_NE(error["message"].get<std::string>().find("line 1, column 19"), std::string::npos);
  EXPECT_EQ(call(verb::post, "/v1/ports", "").status, 400u);
}

TEST_F(AgentTest, OversizedBodyIs413) {
  std::string body = R"({"spec":")" + std::string(AgentOptions{}.max_body, 'x') + R"("})";
  HttpReply reply = call(verb::post, "/v1/ports", body);
  EXPECT_EQ(reply.status, 413u) << reply.error;
  EXPECT_EQ(error_of(reply)["code"], "too_large");
  // A Content-Length over the limit is refused before any body arrives.
  HttpReply declared = pump([&] {
    HttpClient client(address_);
    client.write_raw("POST /v1/ports HTTP/1.1\r\nHost: s\r\nContent-Length: 99999999\r\n\r\n{");
    return client.read_reply();
  });
  EXPECT_EQ(declared.status, 413u);
  AgentOptions options;
  options.listen = "127.0.0.1:0";
  options.max_body = 16;
  start_agent(options);
  EXPECT_EQ(call(verb::post, "/v1/ports", R"({"spec":"ring:abcdefgh"})").status, 413u);
  EXPECT_EQ(get("/v1/switch").status, 200u);
}

TEST_F(AgentTest, HugeHeadersAre431) {
  HttpReply reply = call(verb::get, "/v1/switch", {}, {{"X-Big", std::string(20000, 'h')}});
  EXPECT_EQ(reply.status, 431u);
  EXPECT_EQ(error_of(reply)["code"], "headers_too_large");
}

TEST_F(AgentTest, BadSpecIs422NamingTheField) {
  HttpReply reply = call(verb::post, "/v1/ports", R"({"spec":"bogus:x"})");
  EXPECT_EQ(reply.status, 422u);
  json error = error_of(reply);
  EXPECT_EQ(error["code"], "invalid");
  EXPECT_EQ(error["path"], "/spec");
  EXPECT_NE(error["message"].get<std::string>().find("bogus:x"), std::string::npos) << error;

  struct Case {
    const char* body;
    const char* path;
  };
  for (const Case& c :
       {Case{R"({"spec":"ring:ok","colour":"red"})", "/colour"}, Case{R"({"spec":5})", "/spec"},
        Case{R"({"name":"x"})", "/spec"}, Case{R"({"name":"9bad","spec":"ring:q"})", "/name"},
        Case{R"({"name":"a","spec":"b=ring:q"})", "/name"},
        Case{R"({"name":null,"spec":"ring:q"})", "/name"}, Case{R"(["ring:q"])", ""},
        Case{R"("ring:q")", ""}, Case{R"({"spec":"veth:no-such-if0"})", "/spec"},
        Case{R"({"spec":"ring:waytoolongname"})", "/spec"}}) {
    HttpReply bad = call(verb::post, "/v1/ports", c.body);
    EXPECT_EQ(bad.status, 422u) << c.body << " -> " << bad.body;
    EXPECT_EQ(error_of(bad)["path"], c.path) << c.body;
  }
  EXPECT_EQ(datapath_->port_reports().size(), 3u);
}

TEST_F(AgentTest, DuplicatePortNameIs409) {
  HttpReply reply =
      call(verb::post, "/v1/ports", R"({"name":")" + ports_[0].name + R"(","spec":"ring:dup"})");
  EXPECT_EQ(reply.status, 409u) << reply.body;
  json error = error_of(reply);
  EXPECT_EQ(error["code"], "exists");
  EXPECT_EQ(error["path"], "/name");
  EXPECT_EQ(error["message"], "port name " + ports_[0].name + " is taken: choose another NAME=");
  EXPECT_EQ(datapath_->port_reports().size(), 3u);
}

TEST_F(AgentTest, TokenIsRequiredWhenSet) {
  AgentOptions options;
  options.listen = "127.0.0.1:0";
  options.token = "s3cret-token";
  start_agent(options);
  HttpReply none = get("/v1/switch");
  EXPECT_EQ(none.status, 401u);
  EXPECT_EQ(error_of(none)["code"], "unauthorized");
  EXPECT_EQ(none.header("www-authenticate"), "Bearer realm=\"sluiced\"");
  for (const char* header : {"Bearer wrong", "Bearer s3cret-toke", "Bearer s3cret-tokenX",
                             "Basic s3cret-token", "s3cret-token", "Bearer"}) {
    EXPECT_EQ(call(verb::get, "/v1/switch", {}, {{"Authorization", header}}).status, 401u)
        << header;
  }
  EXPECT_EQ(call(verb::get, "/metrics", {}, {{"Authorization", "x"}}).status, 401u);
  EXPECT_EQ(call(verb::get, "/v1/nothing", {}, {{"Authorization", "x"}}).status, 401u);
  HttpReply good = call(verb::get, "/v1/switch", {}, {{"Authorization", "Bearer s3cret-token"}});
  EXPECT_EQ(good.status, 200u);
  EXPECT_EQ(call(verb::get, "/v1/switch", {}, {{"Authorization", "bearer  s3cret-token"}}).status,
            200u);
}

TEST_F(AgentTest, ListeningIsCheckedAtStart) {
  AgentOptions options;
  options.listen = "0.0.0.0:0";
  try {
    Agent agent(io_, options, *datapath_);
    FAIL() << "listened on 0.0.0.0 without a token";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), EACCES);
    EXPECT_EQ(std::string(e.what()),
              "refusing to listen on 0.0.0.0:0 without a token: pass --token-file FILE, or listen "
              "on 127.0.0.1");
  }
  options.token = "t";
  EXPECT_NO_THROW((Agent{io_, options, *datapath_}));

  options = {};
  options.listen = address_;  // taken by the fixture's agent
  try {
    Agent agent(io_, options, *datapath_);
    FAIL() << "bound a port in use";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), EADDRINUSE);
    EXPECT_EQ(e.path(), "--listen");
    EXPECT_EQ(std::string(e.what()),
              "cannot listen on " + address_ + ": address in use (another sluiced? pass --listen)");
  }
  options.listen = "nowhere";
  EXPECT_THROW((Agent{io_, options, *datapath_}), Error);
}

TEST_F(AgentTest, ConcurrentKeepAliveClients) {
  const uint64_t accepted_before = get("/v1/stats").json()["agent"]["accepted"];
  constexpr int kClients = 8, kRequests = 25;
  int ok = pump([&] {
    std::vector<std::future<int>> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.push_back(std::async(std::launch::async, [&, c] {
        HttpClient client(address_);
        int n = 0;
        for (int i = 0; i < kRequests; ++i) {
          const char* target = (i + c) % 3 == 0   ? "/v1/switch"
                               : (i + c) % 3 == 1 ? "/v1/ports"
                                                  : "/metrics";
          n += client.get(target).status == 200;
        }
        return n;
      }));
    }
    int total = 0;
    for (auto& f : clients) total += f.get();
    return total;
  });
  EXPECT_EQ(ok, kClients * kRequests);
  // One connection per client: keep-alive held (+1 for the stats call itself).
  const uint64_t accepted_after = get("/v1/stats").json()["agent"]["accepted"];
  EXPECT_EQ(accepted_after - accepted_before, uint64_t{kClients} + 1);
}

TEST_F(AgentTest, TooManyClientsGet503) {
  AgentOptions options;
  options.listen = "127.0.0.1:0";
  options.max_clients = 2;
  start_agent(options);
  HttpReply third = pump([&] {
    HttpClient one(address_), two(address_);
    one.get("/v1/switch");
    two.get("/v1/switch");
    return HttpClient(address_).get("/v1/switch");
  });
  EXPECT_EQ(third.status, 503u);
  EXPECT_EQ(error_of(third)["code"], "unavailable");
  io_.run_for(std::chrono::milliseconds(50));  // the server sees the others go
  EXPECT_EQ(get("/v1/switch").status, 200u);
}

TEST_F(AgentTest, SlowRequestIsCutOffAtTheTimeout) {
  AgentOptions options;
  options.listen = "127.0.0.1:0";
  options.timeout = std::chrono::seconds(1);
  start_agent(options);
  bool closed = pump([&] {
    HttpClient client(address_, std::chrono::seconds(3));
    client.write_raw("GET /v1/switch HTTP/1.1\r\nHost: s");
    return client.closed_by_server();
  });
  EXPECT_TRUE(closed);
  EXPECT_EQ(get("/v1/switch").status, 200u);
}

TEST_F(AgentTest, ServerKeepsServingAfterBadInput) {
  const std::string deep(100000, '[');
  const std::vector<std::string> bodies = {
      "{",
      "}",
      "nul",
      "{\"spec\":}",
      "{\"spec\":\"ring:q\"",
      "{\"spec\":1e999}",
      "{\"spec\":123456789012345678901234567890}",
      "{\"spec\":-99999999999999999999999999999999}",
      "{\"spec\":\"\xff\xfe\"}",
      std::string("{\"spec\":\"ring:") + '\0' + "q\"}",
      deep,
      "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}",
      "{\"spec\":\"veth:" + std::string(5000, 'v') + "\"}",
      "{\"name\":\"" + std::string(300, 'n') + "\",\"spec\":\"ring:q\"}",
      "{\"spec\":{\"nested\":true}}",
      "{\"spec\":[\"ring:q\"]}",
      "{\"spec\":true}",
      "{\"spec\":\"\"}",
      "{\"spec\":\"ring:a,b\"}",
      "{\"spec\":\"pci:zz:zz.z\"}",
      "{\"spec\":\"null trailing\"}",
      "{\"spec\":\"ring:q\",\"extra\":{\"deep\":[1,2,3]}}",
      "[]",
      "null",
      "0",
      "\"\\ud800\"",
  };
  for (const std::string& body : bodies) {
    HttpReply reply = call(verb::post, "/v1/ports", body);
    EXPECT_GE(reply.status, 400u) << body.substr(0, 80) << " -> " << reply.body.substr(0, 200);
    EXPECT_LT(reply.status, 500u) << body.substr(0, 80) << " -> " << reply.body.substr(0, 200);
    error_of(reply);
  }
  // Broken HTTP: answered with 400 or the connection closed, never a crash.
  const std::vector<std::string> raw = {
      "GARBAGE\r\n\r\n",
      "GET /v1/switch HTTP/9.9\r\n\r\n",
      "GET nopath HTTP/1.1\r\nHost: s\r\n\r\n",
      "GET /v1/ports/%zz HTTP/1.1\r\nHost: s\r\n\r\n",
      "GET /v1/ports/a%00b HTTP/1.1\r\nHost: s\r\n\r\n",
      "POST /v1/ports HTTP/1.1\r\nHost: s\r\nContent-Length: abc\r\n\r\n",
      "POST /v1/ports HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "POST /v1/ports HTTP/1.1\r\nHost: s\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcde",
      std::string("\0\0\0\0\r\n\r\n", 8),
  };
  for (const std::string& bytes : raw) {
    HttpReply reply = pump([&] {
      HttpClient client(address_);
      client.write_raw(bytes);
      return client.read_reply();
    });
    EXPECT_TRUE(reply.status == 0 || (reply.status >= 400 && reply.status < 500) ||
                reply.status == 505)
        << bytes << " -> " << reply.status;
  }
  EXPECT_EQ(get("/v1/switch").status, 200u);
  EXPECT_EQ(datapath_->port_reports().size(), 3u);
}

}  // namespace
}  // namespace sluice::test
