// One client connection of the agent: read a request -> route it -> write the
// reply, repeated while the client keeps the connection alive; or, after
// GET /v1/events, a server-sent event stream until the client goes away.
// Errors of every step end in fail(), the one place they are reported.
// Control thread only.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "dataplane/agent/event_bus.h"
#include "dataplane/agent/router.h"

namespace sluice {

struct AgentState;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, std::shared_ptr<AgentState> state);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void run();
  // Closes the connection now; pending operations complete as aborted.
  void close();

 private:
  using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
  using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

  void do_read();
  // Which limit holds the body of the request whose header was read, and
  // how many bytes that is (AgentOptions::max_body or max_routes_body).
  BodyLimit body_limit() const;
  std::size_t bytes(BodyLimit limit) const;
  void on_header(boost::system::error_code error);
  void on_read(boost::system::error_code error);
  Response respond(HttpRequest& message);
  void send(Response response, bool keep_alive);
  void on_write(bool keep_alive, boost::system::error_code error);
  void finish();  // half-close, drain what the client still sends, close
  void on_drain(boost::system::error_code error);

  void start_events();
  void on_events_header(boost::system::error_code error);
  void write_next_event();
  void on_event_written(boost::system::error_code error);
  void arm_keepalive();
  void watch_for_hangup();

  void fail(boost::system::error_code error, const char* what);

  boost::beast::tcp_stream stream_;
  std::shared_ptr<AgentState> state_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  HttpResponse response_;
  unsigned version_ = 11;
  bool closed_ = false;
  char scratch_[512];  // drained or ignored input

  // Event stream.
  std::optional<boost::beast::http::response<boost::beast::http::empty_body>> events_head_;
  std::optional<boost::beast::http::response_serializer<boost::beast::http::empty_body>>
      events_serializer_;
  std::shared_ptr<EventBus::Subscriber> subscriber_;
  std::deque<std::string> own_frames_;  // keep-alive comments
  std::string frame_;                   // being written
  bool writing_ = false;
  bool chunked_ = true;
  boost::asio::steady_timer keepalive_;
};

}  // namespace sluice
