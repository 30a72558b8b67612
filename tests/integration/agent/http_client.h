// A small HTTP/1.1 client for the agent tests (Boost.Beast over one keep-alive
// TCP connection). Every operation has a deadline (5 s by default), so a test
// fails instead of hanging. Use it from a thread other than the one running
// the agent's io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/agent/listen_address.h"

namespace sluice::test {

struct HttpReply {
  unsigned status = 0;  // 0: no reply (connection closed, timeout)
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string error;                           // why status is 0

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

class HttpClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  explicit HttpClient(const std::string& address,
                      std::chrono::milliseconds deadline = std::chrono::seconds(5))
      : stream_(io_), deadline_(deadline) {
    boost::system::error_code error = run([&](auto done) {
      stream_.async_connect(parse_listen_address(address), [done](auto ec) { done(ec, 0); });
    });
    if (error) throw std::runtime_error("connect " + address + ": " + error.message());
  }

  HttpReply request(boost::beast::http::verb method, const std::string& target,
                    const std::string& body = {}, const Headers& headers = {}) {
    namespace http = boost::beast::http;
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "sluiced");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    if (!body.empty() || method == http::verb::post || method == http::verb::put) {
      req.prepare_payload();
    }
    boost::system::error_code error =
        run([&](auto done) { http::async_write(stream_, req, done); });
    if (error) return failed("write: " + error.message());
    return read_reply();
  }

  HttpReply get(const std::string& target, const Headers& headers = {}) {
    return request(boost::beast::http::verb::get, target, {}, headers);
  }

  // Sends bytes as they are.
  boost::system::error_code write_raw(const std::string& bytes) {
    return run(
        [&](auto done) { boost::asio::async_write(stream_, boost::asio::buffer(bytes), done); });
  }

  HttpReply read_reply() {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    boost::system::error_code error =
        run([&](auto done) { http::async_read(stream_, buffer_, parser, done); });
    if (error) return failed("read: " + error.message());
    HttpReply reply;
    auto message = parser.release();
    reply.status = message.result_int();
    reply.body = std::move(message.body());
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers[name] = std::string(field.value());
    }
    return reply;
  }

  // Reads raw bytes until `text` has arrived (true) or the deadline / end of
  // stream comes first (false). Everything read is in received().
  bool read_until(const std::string& text) {
    const auto until = std::chrono::steady_clock::now() + deadline_;
    while (received_.find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() >= until) return false;
      char chunk[4096];
      std::size_t got = 0;
      boost::system::error_code error = run([&](auto done) {
        stream_.async_read_some(boost::asio::buffer(chunk), [&got, done](auto ec, std::size_t n) {
          got = n;
          done(ec, n);
        });
      });
      received_.append(chunk, got);
      if (error) return received_.find(text) != std::string::npos;
    }
    return true;
  }
  const std::string& received() const { return received_; }

  // True if the server closed the connection (reads end) within the deadline.
  bool closed_by_server() {
    char byte;
    boost::system::error_code error =
        run([&](auto done) { stream_.async_read_some(boost::asio::buffer(&byte, 1), done); });
    return error == boost::asio::error::eof || error == boost::asio::error::connection_reset;
  }

 private:
  template <class Start>
  boost::system::error_code run(Start start) {
    boost::system::error_code result = boost::asio::error::timed_out;
    stream_.expires_after(deadline_);
    start([&result](boost::system::error_code ec, std::size_t) { result = ec; });
    io_.restart();
    io_.run();
    if (result == boost::beast::error::timeout) result = boost::asio::error::timed_out;
    return result;
  }
  HttpReply failed(std::string why) {
    HttpReply reply;
    reply.error = std::move(why);
    return reply;
  }

  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::chrono::milliseconds deadline_;
  std::string received_;
};

}  // namespace sluice::test
