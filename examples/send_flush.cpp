// The lesson's send/flush transcript, in C++:
//
//   iex(25)> send(self(), :hello1)
//   iex(26)> send(self(), :hello2)
//   iex(31)> send(self(), {:hello3, 42})
//   iex(32)> send(self(), ["message", :can, {'be', "any"}, :data])
//   iex(33)> flush()
//   :hello1
//   :hello2
//   {:hello3, 42}
//   ["message", :can, {'be', "any"}, :data]
//   :ok
#include <beam/beam.hpp>

using namespace beam::literals;

int main() {
  beam::runtime rt;
  return rt.run([]() -> beam::process {
             beam::send(beam::self(), "hello1"_a);
             beam::send(beam::self(), "hello2"_a);
             beam::send(beam::self(), beam::tuple("hello3"_a, 42));
             beam::send(beam::self(),
                        beam::list("message", "can"_a, beam::tuple(beam::charlist("be"), "any"), "data"_a));
             beam::term result = beam::flush();
             beam::io::puts(beam::inspect(result));
             co_return;
           }).is_normal()
             ? 0
             : 1;
}
