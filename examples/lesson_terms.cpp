// examples/lesson_terms.cpp: the lesson's first terms, as iex shows them, and as bytes on the wire.
//
// In iex, each term prints back as you typed it, and :erlang.term_to_binary/1 turns it into the bytes of
// Erlang's external term format (ETF), the form in which terms travel between nodes:
//     iex> {:hello3, 42}
//     {:hello3, 42}
//     iex> :erlang.term_to_binary(:hello)
//     <<131, 100, 0, 5, 104, 101, 108, 108, 111>>
// Here the same terms are built in C++, printed with beam::inspect (which fmt's "{}" uses), encoded with
// beam::term_to_binary and decoded again with beam::binary_to_term.
#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include <beam/beam.hpp>

using namespace beam::literals;  // "hello"_a is the atom :hello

int main() {
  const beam::term terms[] = {
      "hello"_a,
      "hello1"_a,
      "hello2"_a,
      beam::tuple("hello3"_a, 42),
      // "message" is a binary (an Elixir string); 'be' a charlist, a list of character codes.
      beam::list("message", "can"_a, beam::tuple(beam::charlist("be"), "any"), "data"_a),
  };
  for (const beam::term& t : terms) {
    std::vector<std::uint8_t> bytes = beam::term_to_binary(t);
    beam::term back = beam::binary_to_term(bytes);
    fmt::print("{}\n", t);
    fmt::print("  term_to_binary: {}\n", beam::binary(bytes));  // a binary prints as iex prints one
    fmt::print("  binary_to_term: {}{}\n", back, back == t ? "" : "  (differs!)");
  }
}
