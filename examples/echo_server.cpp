// examples/echo_server.cpp: a TCP echo server, one process per connection (the lesson's "a separate process
// for each client connection"), each socket in active-once mode so a slow reader holds back only its own
// peer.
//
//   example_echo_server --port 4000      # serves until killed; try: nc 127.0.0.1 4000
//   example_echo_server                  # a demo: serves 100 clients of its own, checks their echoes, ends
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <beam/beam.hpp>
#include <beam/gen_tcp.hpp>

using namespace beam::literals;
namespace gen_tcp = beam::gen_tcp;

// One connection, one process: it accepts the connection (and so owns the socket), starts the process that
// waits for the next one, then echoes what arrives until the peer closes. The socket closes with the process.
beam::process connection(gen_tcp::socket listener) {
  gen_tcp::socket s = listener;
  try {
    s = co_await gen_tcp::accept(listener);
  } catch (const beam::error&) {
    co_return;  // the listener was closed: no more connections
  }
  beam::spawn(connection, listener);
  const beam::term id = s.id();
  for (bool open = true; open;) {
    gen_tcp::setopts(s, {.active = gen_tcp::active::once()});
    beam::term data;
    co_await beam::receive(beam::on(beam::tuple("tcp"_a, id, beam::_binary), [&](beam::term d) { data = d; }),
                           beam::on(beam::tuple("tcp_closed"_a, id), [&] { open = false; }),
                           beam::on(beam::tuple("tcp_error"_a, id, beam::_), [&] { open = false; }));
    if (open) co_await gen_tcp::send(s, data);
  }
}

gen_tcp::socket open_listener(std::uint16_t port) {
  return gen_tcp::listen(port, {.reuseaddr = true, .active = gen_tcp::active::off(), .nodelay = true});
}

// Owns the listener (which closes when its owner ends) and waits.
beam::process serve_forever(std::uint16_t port) {
  gen_tcp::socket listener = open_listener(port);
  beam::io::puts(beam::format("listening on port {}", gen_tcp::sockname(listener).second));
  beam::spawn(connection, listener);
  co_await beam::receive(beam::on("stop"_a, [] {}));
}

// The demo: 100 client processes, 100 round trips each, against the server in this same runtime.
beam::process demo() {
  constexpr int clients = 100;
  constexpr int trips = 100;
  gen_tcp::socket listener = open_listener(0);
  const std::uint16_t port = gen_tcp::sockname(listener).second;
  beam::spawn(connection, listener);
  const beam::pid me = beam::self();
  for (int c = 0; c < clients; ++c) {
    beam::spawn([me, port]() -> beam::process {
      gen_tcp::socket s = co_await gen_tcp::connect("127.0.0.1", port, {.active = gen_tcp::active::off()});
      int good = 0;
      for (int i = 0; i < trips; ++i) {
        const std::string message = "ping " + std::to_string(i);
        co_await gen_tcp::send(s, message);
        const beam::term back = co_await gen_tcp::recv(s, message.size(), std::chrono::seconds(10));
        good += back == beam::binary(message) ? 1 : 0;
      }
      beam::send(me, beam::tuple("client"_a, good));
    });
  }
  std::int64_t echoed = 0;
  for (int c = 0; c < clients; ++c) {
    echoed += co_await beam::receive(
        beam::on(beam::tuple("client"_a, beam::_int), [](std::int64_t n) { return n; }));
  }
  beam::io::puts(beam::format("{} clients, {} of {} messages echoed by one process per connection", clients,
                              echoed, clients * trips));
  gen_tcp::close(listener);  // the process waiting in accept ends
  if (echoed != clients * trips) throw beam::error("lost_echoes"_a);
}

int main(int argc, char** argv) {
  beam::runtime rt;
  if (argc == 3 && std::strcmp(argv[1], "--port") == 0) {
    char* end = nullptr;
    const long port = std::strtol(argv[2], &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) {
      std::fprintf(stderr, "example_echo_server: --port takes 0..65535, not \"%s\"\n", argv[2]);
      return 2;
    }
    return rt.run(serve_forever, static_cast<std::uint16_t>(port)).is_normal() ? 0 : 1;
  }
  if (argc != 1) {
    std::fprintf(stderr, "usage: example_echo_server [--port N]\n");
    return 2;
  }
  return rt.run(demo).is_normal() ? 0 : 1;
}
