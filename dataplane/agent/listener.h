// Accepts the agent's TCP connections and hands each to a Session.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

namespace sluice {

struct AgentState;

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Opens, binds and listens on `endpoint`. Throws sluice::Error with the
  // errno of the failing step and a message naming the address and what to do
  // (path "--listen").
  Listener(boost::asio::io_context& io, std::shared_ptr<AgentState> state,
           const boost::asio::ip::tcp::endpoint& endpoint);

  void start();  // begins accepting
  void close();  // stops accepting; idempotent
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  void do_accept();
  void on_accept(boost::system::error_code error, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;  // after an accept error (EMFILE...)
  std::shared_ptr<AgentState> state_;
};

}  // namespace sluice
