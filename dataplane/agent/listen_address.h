// The agent's --listen value: "HOST:PORT" where HOST is an IPv4 address, an
// IPv6 address in brackets ("[::1]:8181") or "localhost" (127.0.0.1), and
// PORT is 0..65535 (0: any free port).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <string_view>

namespace sluice {

// Throws sluice::Error EINVAL, path "--listen", naming what is wrong: no
// ":PORT", a port that is not a decimal number in range, a host that is
// neither an IP address nor "localhost", an IPv6 address without brackets.
boost::asio::ip::tcp::endpoint parse_listen_address(std::string_view text);

// "127.0.0.1:8181", "[::1]:8181".
std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace sluice
