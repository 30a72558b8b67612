#include "dataplane/agent/session.h"

#include <algorithm>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "dataplane/agent/agent_state.h"
#include "dataplane/agent/bearer_auth.h"

namespace sluice {
namespace {

namespace http = boost::beast::http;
namespace net = boost::asio;
using boost::system::error_code;

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr auto kDrainTime = std::chrono::seconds(2);
constexpr const char* kServer = "sluiced/" SLUICE_VERSION;

bool is_http_parse_error(const error_code& error) {
  return error.category() == http::make_error_code(http::error::bad_target).category();
}

std::string mib_text(std::size_t bytes) {
  return bytes % (1 << 20) == 0 ? std::to_string(bytes >> 20) + " MiB"
                                : std::to_string(bytes) + " bytes";
}

}  // namespace

Session::Session(net::ip::tcp::socket socket, std::shared_ptr<AgentState> state)
    : stream_(std::move(socket)), state_(std::move(state)), keepalive_(stream_.get_executor()) {
  state_->sessions.insert(this);
}

Session::~Session() {
  state_->sessions.erase(this);
}

void Session::run() {
  if (state_->sessions.size() > state_->options.max_clients) {
    ++state_->connections_refused;
    send(Response::error(503, "unavailable",
                         "too many clients (at most " +
                             std::to_string(state_->options.max_clients) + "): try again later"),
         false);
    return;
  }
  do_read();
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  keepalive_.cancel();
  subscriber_.reset();
  error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
}

void Session::do_read() {
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  // The largest limit until the header says which route the body is for.
  parser_->body_limit(std::max(state_->options.max_body, state_->options.max_routes_body));
  stream_.expires_after(state_->options.timeout);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](error_code error, std::size_t) { self->on_header(error); });
}

BodyLimit Session::body_limit() const {
  const auto& header = parser_->get();
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  try {
    split_target(std::string_view(header.target().data(), header.target().size()), path, query);
  } catch (const Error&) {
    return BodyLimit::standard;  // refused as malformed once read
  }
  return state_->router.body_limit(header.method(), path);
}

std::size_t Session::bytes(BodyLimit limit) const {
  return limit == BodyLimit::routes ? state_->options.max_routes_body : state_->options.max_body;
}

void Session::on_header(error_code error) {
  if (error || closed_ || state_->closed) return on_read(error);
  const std::size_t limit = bytes(body_limit());
  if (const auto length = parser_->content_length(); length && *length > limit)
    return on_read(http::error::body_limit);
  parser_->body_limit(limit);  // no body octet is parsed yet
  auto read_body = [self = shared_from_this()](error_code error, std::size_t) {
    if (error) return self->on_read(error);
    http::async_read(self->stream_, self->buffer_, *self->parser_,
                     [self](error_code error, std::size_t) { self->on_read(error); });
  };
  // curl sends "Expect: 100-continue" before bodies over 1 KiB and waits a
  // second for this interim reply.
  const auto expect = parser_->get()[http::field::expect];
  if (boost::beast::iequals(expect, "100-continue") && !parser_->is_done()) {
    static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
    return net::async_write(stream_, net::buffer(kContinue, sizeof(kContinue) - 1),
                            std::move(read_body));
  }
  read_body({}, 0);
}

void Session::on_read(error_code error) {
  if (closed_ || state_->closed) return;
  if (error == http::error::body_limit) {
    const BodyLimit limit = body_limit();
    const auto& header = parser_->get();
    return send(Response::error(413, "too_large",
                                "the request body is larger than " + mib_text(bytes(limit)) +
                                    ", the limit for " + std::string(header.method_string()) + " " +
                                    std::string(header.target().substr(0, 200)) +
                                    (limit == BodyLimit::routes ? " (sluiced --max-routes-body)"
                                                                : " (sluiced --max-body)")),
                false);
  }
  if (error == http::error::header_limit) {
    return send(Response::error(431, "headers_too_large",
                                "the request headers are larger than " +
                                    std::to_string(kHeaderLimit) + " bytes"),
                false);
  }
  if (error && error != http::error::end_of_stream && error != http::error::partial_message &&
      is_http_parse_error(error)) {
    return send(Response::error(400, "malformed", "malformed HTTP request: " + error.message()),
                false);
  }
  if (error) return fail(error, "read");
  HttpRequest message = parser_->release();
  if (message.version() != 10 && message.version() != 11) {
    return send(Response::error(505, "malformed", "only HTTP/1.0 and HTTP/1.1 are spoken here"),
                false);
  }
  version_ = message.version();
  Response response = respond(message);
  if (response.event_stream) return start_events();
  send(std::move(response), message.keep_alive());
}

Response Session::respond(HttpRequest& message) {
  Request request;
  request.method = message.method();
  request.target = std::string(message.target());
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  const std::string& token = state_->options.token;
  if (!token.empty() && !bearer_token_matches(request.header("Authorization"), token)) {
    Response r = Response::error(
        401, "unauthorized", "missing or wrong bearer token: send \"Authorization: Bearer TOKEN\"");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"sluiced\"");
    return r;
  }
  try {
    split_target(request.target, request.path, request.query);
  } catch (const Error& e) {
    return Response::error(400, "malformed", e.what());
  }
  request.body = std::move(message.body());
  return state_->router.handle(request);
}

void Session::send(Response response, bool keep_alive) {
  ++state_->responses[response.status];
  response_ = {};
  response_.version(version_);
  response_.result(response.status);
  response_.set(http::field::server, kServer);
  response_.set(http::field::content_type, response.content_type);
  response_.set(http::field::cache_control, "no-store");
  for (const auto& [name, value] : response.headers) response_.set(name, value);
  response_.body() = std::move(response.body);
  response_.keep_alive(keep_alive);
  response_.prepare_payload();
  stream_.expires_after(state_->options.timeout);
  http::async_write(stream_, response_,
                    [self = shared_from_this(), keep_alive](error_code error, std::size_t) {
                      self->on_write(keep_alive, error);
                    });
}

void Session::on_write(bool keep_alive, error_code error) {
  if (error) return fail(error, "write");
  if (closed_ || state_->closed) return;
  if (!keep_alive) return finish();
  do_read();
}

void Session::finish() {
  error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  stream_.expires_after(kDrainTime);
  on_drain({});
}

void Session::on_drain(error_code error) {
  if (error || closed_) return close();
  stream_.async_read_some(
      net::buffer(scratch_),
      [self = shared_from_this()](error_code error, std::size_t) { self->on_drain(error); });
}

void Session::start_events() {
  chunked_ = version_ >= 11;
  events_head_.emplace(http::status::ok, version_);
  events_head_->set(http::field::server, kServer);
  events_head_->set(http::field::content_type, "text/event-stream");
  events_head_->set(http::field::cache_control, "no-cache");
  if (chunked_) {
    events_head_->chunked(true);
  } else {
    events_head_->keep_alive(false);
  }
  ++state_->responses[200];
  subscriber_ = state_->events.subscribe([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->write_next_event();
  });
  own_frames_.push_back(": connected\n\n");
  writing_ = true;  // the header goes first
  events_serializer_.emplace(*events_head_);
  stream_.expires_after(state_->options.timeout);
  http::async_write_header(stream_, *events_serializer_,
                           [self = shared_from_this()](error_code error, std::size_t) {
                             self->on_events_header(error);
                           });
}

void Session::on_events_header(error_code error) {
  writing_ = false;
  if (error) return fail(error, "event stream header");
  if (closed_ || state_->closed) return;
  watch_for_hangup();
  arm_keepalive();
  write_next_event();
}

void Session::write_next_event() {
  if (writing_ || closed_) return;
  if (!own_frames_.empty()) {
    frame_ = std::move(own_frames_.front());
    own_frames_.pop_front();
  } else if (subscriber_ && !subscriber_->empty()) {
    frame_ = subscriber_->pop();
  } else {
    stream_.expires_never();
    return;
  }
  writing_ = true;
  stream_.expires_after(state_->options.timeout);
  auto done = [self = shared_from_this()](error_code error, std::size_t) {
    self->on_event_written(error);
  };
  if (chunked_) {
    net::async_write(stream_, http::make_chunk(net::buffer(frame_)), std::move(done));
  } else {
    net::async_write(stream_, net::buffer(frame_), std::move(done));
  }
}

void Session::on_event_written(error_code error) {
  writing_ = false;
  if (error) return fail(error, "event write");
  write_next_event();
}

void Session::arm_keepalive() {
  keepalive_.expires_after(state_->options.keepalive);
  keepalive_.async_wait([self = shared_from_this()](error_code error) {
    if (error || self->closed_) return;
    if (self->own_frames_.empty()) self->own_frames_.push_back(": keep-alive\n\n");
    self->write_next_event();
    self->arm_keepalive();
  });
}

void Session::watch_for_hangup() {
  // The client sends nothing on an event stream: any end of input is a hang-up.
  stream_.socket().async_read_some(net::buffer(scratch_),
                                   [self = shared_from_this()](error_code error, std::size_t) {
                                     if (error) return self->close();
                                     self->watch_for_hangup();
                                   });
}

void Session::fail(error_code error, const char* what) {
  const bool routine = error == net::error::operation_aborted ||
                       error == boost::beast::error::timeout || error == net::error::eof ||
                       error == http::error::end_of_stream ||
                       error == http::error::partial_message ||
                       error == net::error::connection_reset || error == net::error::broken_pipe;
  if (!routine && !closed_) {
    std::fprintf(stderr, "sluiced: agent: %s: %s\n", what, error.message().c_str());
  }
  close();
}

}  // namespace sluice
