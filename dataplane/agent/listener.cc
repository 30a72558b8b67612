#include "dataplane/agent/listener.h"

#include <boost/asio/error.hpp>
#include <cerrno>
#include <cstdio>

#include "common/error.h"
#include "dataplane/agent/agent_state.h"
#include "dataplane/agent/listen_address.h"
#include "dataplane/agent/session.h"

namespace sluice {
namespace {

std::string advice(int code) {
  switch (code) {
    case EADDRINUSE:
      return "address in use (another sluiced? pass --listen)";
    case EACCES:
      return "permission denied (ports below 1024 need root; pass --listen)";
    case EADDRNOTAVAIL:
      return "no such address on this host (pass --listen)";
    default:
      return {};
  }
}

void check(const boost::system::error_code& error, const boost::asio::ip::tcp::endpoint& endpoint) {
  if (!error) return;
  std::string what = advice(error.value());
  if (what.empty()) what = error.message();
  throw Error("cannot listen on " + endpoint_text(endpoint) + ": " + what, error.value(),
              "--listen");
}

}  // namespace

Listener::Listener(boost::asio::io_context& io, std::shared_ptr<AgentState> state,
                   const boost::asio::ip::tcp::endpoint& endpoint)
    : io_(io), acceptor_(io), backoff_(io), state_(std::move(state)) {
  boost::system::error_code error;
  acceptor_.open(endpoint.protocol(), error);
  check(error, endpoint);
  acceptor_.set_option(boost::asio::socket_base::reuse_address(true), error);
  check(error, endpoint);
  acceptor_.bind(endpoint, error);
  check(error, endpoint);
  acceptor_.listen(boost::asio::socket_base::max_listen_connections, error);
  check(error, endpoint);
}

void Listener::start() {
  do_accept();
}

void Listener::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
}

boost::asio::ip::tcp::endpoint Listener::local_endpoint() const {
  boost::system::error_code ignored;
  return acceptor_.local_endpoint(ignored);
}

void Listener::do_accept() {
  acceptor_.async_accept(io_, [self = shared_from_this()](boost::system::error_code error,
                                                          boost::asio::ip::tcp::socket socket) {
    self->on_accept(error, std::move(socket));
  });
}

void Listener::on_accept(boost::system::error_code error, boost::asio::ip::tcp::socket socket) {
  if (state_->closed || error == boost::asio::error::operation_aborted) return;
  if (error) {
    // EMFILE and friends: report, and try again a little later.
    std::fprintf(stderr, "sluiced: agent: accept: %s\n", error.message().c_str());
    backoff_.expires_after(std::chrono::milliseconds(100));
    backoff_.async_wait([self = shared_from_this()](boost::system::error_code waited) {
      if (!waited && !self->state_->closed) self->do_accept();
    });
    return;
  }
  ++state_->connections_accepted;
  std::make_shared<Session>(std::move(socket), state_)->run();
  do_accept();
}

}  // namespace sluice
