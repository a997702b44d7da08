// dist/epmd.cpp: the EPMD client (the design is at the top of dist/epmd.hpp).
#include "dist/epmd.hpp"

#include <optional>

#include <fmt/format.h>

#include <beam/error.hpp>

#include "dist/bytes.hpp"

namespace beam::dist_impl {
namespace {

constexpr std::uint8_t alive2_req = 120;
constexpr std::uint8_t alive2_x_resp = 118;
constexpr std::uint8_t alive2_resp = 121;
constexpr std::uint8_t port_please2_req = 122;
constexpr std::uint8_t port2_resp = 119;
constexpr std::uint8_t hidden_node = 72;

std::string with_length(const std::string& request) {
  std::string out;
  put_be(out, request.size(), 2);
  return out + request;
}

// Exactly `n` bytes from a passive raw socket.
task<std::string> read_exactly(gen_tcp::socket s, std::size_t n, std::chrono::milliseconds timeout) {
  const term data = co_await gen_tcp::recv(s, n, timeout);
  const auto bytes = data.as_binary();
  co_return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::uint32_t be(std::string_view bytes) {
  std::uint32_t v = 0;
  for (char c : bytes) v = v << 8 | static_cast<std::uint8_t>(c);
  return v;
}

[[noreturn]] void refuse(const char* reason, const std::string& what) {
  throw error(atom(reason), what);
}

}  // namespace

std::string encode_alive2_request(std::string_view alive, std::uint16_t port) {
  std::string r(1, static_cast<char>(alive2_req));
  put_be(r, port, 2);
  r.push_back(static_cast<char>(hidden_node));
  r.push_back(0);   // TCP/IPv4
  put_be(r, 6, 2);  // highest version
  put_be(r, 6, 2);  // lowest version
  put_be(r, alive.size(), 2);
  r.append(alive);
  put_be(r, 0, 2);  // no extra
  return with_length(r);
}

std::string encode_port_please2(std::string_view alive) {
  std::string r(1, static_cast<char>(port_please2_req));
  r.append(alive);
  return with_length(r);
}

task<registration> epmd_register(std::uint16_t epmd_port, std::string alive, std::uint16_t listen_port,
                                 std::chrono::milliseconds timeout) {
  const gen_tcp::options raw{.active = gen_tcp::active::off(),
                             .packet = gen_tcp::packet::raw};  // named: GCC 12
  const std::string host = "127.0.0.1";
  gen_tcp::socket s = co_await gen_tcp::connect(host, epmd_port, raw, timeout);
  const std::string request = encode_alive2_request(alive, listen_port);
  co_await gen_tcp::send(s, request);
  const std::string head = co_await read_exactly(s, 2, timeout);
  const auto tag = static_cast<std::uint8_t>(head[0]);
  if (tag != alive2_x_resp && tag != alive2_resp) {
    refuse("epmd_refused", fmt::format("EPMD answered ALIVE2 with tag {}", tag));
  }
  if (head[1] != 0) {
    refuse("epmd_refused", fmt::format("EPMD refused to register {} (result {}; is the name taken?)", alive,
                                       static_cast<int>(static_cast<std::uint8_t>(head[1]))));
  }
  const std::string creation = co_await read_exactly(s, tag == alive2_x_resp ? 4 : 2, timeout);
  co_return registration{s, be(creation)};
}

task<std::uint16_t> epmd_port_please(std::string host, std::uint16_t epmd_port, std::string alive,
                                     std::chrono::milliseconds timeout) {
  const gen_tcp::options raw{.active = gen_tcp::active::off(),
                             .packet = gen_tcp::packet::raw};  // named: GCC 12
  gen_tcp::socket s = co_await gen_tcp::connect(host, epmd_port, raw, timeout);
  std::uint16_t port = 0;
  std::optional<error> failed;
  try {
    const std::string request = encode_port_please2(alive);
    co_await gen_tcp::send(s, request);
    const std::string head = co_await read_exactly(s, 2, timeout);
    if (static_cast<std::uint8_t>(head[0]) != port2_resp) {
      refuse("not_registered", fmt::format("EPMD on {} answered PORT_PLEASE2 with tag {}", host,
                                           static_cast<int>(static_cast<std::uint8_t>(head[0]))));
    }
    if (head[1] != 0)
      refuse("not_registered", fmt::format("no node {} is registered with EPMD on {}", alive, host));
    port = static_cast<std::uint16_t>(be(co_await read_exactly(s, 2, timeout)));
  } catch (const error& e) {
    failed = e;
  }
  gen_tcp::close(s);
  if (failed) throw *failed;
  co_return port;
}

}  // namespace beam::dist_impl
