#include "dataplane/agent/listen_address.h"

#include <cerrno>
#include <charconv>

#include "common/error.h"

namespace sluice {
namespace {

[[noreturn]] void fail(std::string_view text, const std::string& what) {
  throw Error("--listen \"" + std::string(text) + "\": " + what, EINVAL, "--listen");
}

}  // namespace

boost::asio::ip::tcp::endpoint parse_listen_address(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) fail(text, "expected HOST:PORT, e.g. 127.0.0.1:8181");
  std::string host(text.substr(0, colon));
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    fail(text, "the port must be a number from 0 to 65535");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    boost::system::error_code error;
    auto address = boost::asio::ip::make_address_v6(host, error);
    if (error) fail(text, "\"" + host + "\" is not an IPv6 address");
    return {address, static_cast<unsigned short>(port)};
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host.find(':') != std::string::npos)
    fail(text, "put an IPv6 address in brackets: [::1]:8181");
  boost::system::error_code error;
  auto address = boost::asio::ip::make_address_v4(host, error);
  if (error) fail(text, "\"" + host + "\" is not an IPv4 address or \"localhost\"");
  return {address, static_cast<unsigned short>(port)};
}

std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

}  // namespace sluice
