// examples/chat_server.cpp: a chat room over TCP. A registered `room` process keeps the members and
// broadcasts every line one of them says to the others; each connection is a process of its own, which reads
// its client's lines (packet line, active once) and writes what the room sends it.
//
//   example_chat_server --port 4000      # serves until killed; in two other terminals: nc 127.0.0.1 4000
//   example_chat_server                  # a demo: three clients of its own chat, then it ends
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>

#include <beam/beam.hpp>
#include <beam/gen_tcp.hpp>

using namespace beam::literals;
namespace gen_tcp = beam::gen_tcp;

std::string text_of(const beam::term& binary) {
  const auto bytes = binary.as_binary();
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The room: members by pid, each with its name ("user N"). A member that ends leaves (its monitor's DOWN).
beam::process room() {
  std::map<beam::pid, std::string> members;
  int joined = 0;
  const auto broadcast = [&](const beam::pid& from, const std::string& line) {
    for (const auto& [member, name] : members) {
      if (member != from) beam::send(member, beam::tuple("say"_a, beam::binary(line)));
    }
  };
  for (;;) {
    co_await beam::receive(
        beam::on(beam::tuple("join"_a, beam::_pid),
                 [&](beam::pid who) {
                   beam::monitor(who);
                   const std::string name = "user " + std::to_string(++joined);
                   broadcast(who, name + " joined\n");
                   members[who] = name;
                   beam::send(who, beam::tuple("say"_a, beam::binary("welcome, " + name + "\n")));
                 }),
        beam::on(beam::tuple("line"_a, beam::_pid, beam::_binary),
                 [&](beam::pid who, beam::term line) {
                   const auto it = members.find(who);
                   if (it != members.end()) broadcast(who, it->second + ": " + text_of(line));
                 }),
        beam::on(beam::tuple("DOWN"_a, beam::_, beam::_, beam::_pid, beam::_), [&](beam::pid who) {
          const auto it = members.find(who);
          if (it == members.end()) return;
          const std::string name = it->second;
          members.erase(it);
          broadcast(who, name + " left\n");
        }));
  }
}

// One connection, one process: accepts it (so it owns the socket), starts the process waiting for the next
// one, joins the room; its client's lines go to the room, the room's lines to its socket, until it leaves.
beam::process client_connection(gen_tcp::socket listener) {
  gen_tcp::socket s = listener;
  try {
    s = co_await gen_tcp::accept(listener);
  } catch (const beam::error&) {
    co_return;  // the listener was closed
  }
  beam::spawn(client_connection, listener);
  beam::send("room"_a, beam::tuple("join"_a, beam::self()));
  for (bool open = true; open;) {
    gen_tcp::setopts(s, {.active = gen_tcp::active::once()});
    beam::term say;
    co_await beam::receive(
        beam::on(beam::tuple("tcp"_a, s.id(), beam::_binary),
                 [&](beam::term line) { beam::send("room"_a, beam::tuple("line"_a, beam::self(), line)); }),
        beam::on(beam::tuple("say"_a, beam::_binary), [&](beam::term line) { say = line; }),
        beam::on(beam::tuple("tcp_closed"_a, s.id()), [&] { open = false; }),
        beam::on(beam::tuple("tcp_error"_a, s.id(), beam::_), [&] { open = false; }));
    if (!say.is_nil()) co_await gen_tcp::send(s, say);
  }
}

gen_tcp::socket open_room(std::uint16_t port) {
  beam::register_name("room"_a, beam::spawn(room));
  return gen_tcp::listen(
      port, {.reuseaddr = true, .active = gen_tcp::active::off(), .packet = gen_tcp::packet::line});
}

beam::process serve_forever(std::uint16_t port) {
  gen_tcp::socket listener = open_room(port);
  beam::io::puts(beam::format("chat room listening on port {}", gen_tcp::sockname(listener).second));
  beam::spawn(client_connection, listener);
  co_await beam::receive(beam::on("stop"_a, [] {}));  // owns the listener, which closes with it
}

// The demo: three clients join one by one; the last says hello; each of the others reads it.
beam::process demo() {
  gen_tcp::socket listener = open_room(0);
  const std::uint16_t port = gen_tcp::sockname(listener).second;
  beam::spawn(client_connection, listener);
  const gen_tcp::options line_mode{.active = gen_tcp::active::off(), .packet = gen_tcp::packet::line};
  gen_tcp::socket alice = co_await gen_tcp::connect("127.0.0.1", port, line_mode);
  beam::io::puts(beam::format("alice reads: {}", co_await gen_tcp::recv(alice, 0, std::chrono::seconds(10))));
  gen_tcp::socket bob = co_await gen_tcp::connect("127.0.0.1", port, line_mode);
  beam::io::puts(beam::format("bob reads:   {}", co_await gen_tcp::recv(bob, 0, std::chrono::seconds(10))));
  beam::io::puts(beam::format("alice reads: {}", co_await gen_tcp::recv(alice, 0, std::chrono::seconds(10))));
  co_await gen_tcp::send(bob, std::string_view("hello, alice\n"));
  const beam::term heard = co_await gen_tcp::recv(alice, 0, std::chrono::seconds(10));
  beam::io::puts(beam::format("alice reads: {}", heard));
  gen_tcp::close(bob);
  beam::io::puts(beam::format("alice reads: {}", co_await gen_tcp::recv(alice, 0, std::chrono::seconds(10))));
  gen_tcp::close(alice);
  gen_tcp::close(listener);
  if (text_of(heard) != "user 2: hello, alice\n") throw beam::error("lost_line"_a);
}

int main(int argc, char** argv) {
  beam::runtime rt;
  if (argc == 3 && std::strcmp(argv[1], "--port") == 0) {
    char* end = nullptr;
    const long port = std::strtol(argv[2], &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) {
      std::fprintf(stderr, "example_chat_server: --port takes 0..65535, not \"%s\"\n", argv[2]);
      return 2;
    }
    return rt.run(serve_forever, static_cast<std::uint16_t>(port)).is_normal() ? 0 : 1;
  }
  if (argc != 1) {
    std::fprintf(stderr, "usage: example_chat_server [--port N]\n");
    return 2;
  }
  return rt.run(demo).is_normal() ? 0 : 1;
}
