// Uses the installed library: builds the lesson's list and checks it survives the external term format.
#include <beam/beam.hpp>

using namespace beam::literals;

int main() {
  const beam::term message =
      beam::list("message", "can"_a, beam::tuple(beam::charlist("be"), "any"), "data"_a);
  const bool same = beam::binary_to_term(beam::term_to_binary(message)) == message;
  fmt::print("{}\n", beam::inspect(message));
  return same ? 0 : 1;
}
