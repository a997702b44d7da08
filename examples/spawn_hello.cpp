// The lesson's first iex session, in C++:
//
//   iex(1)> spawn(fn () -> 42 end)
//   #PID<0.109.0>
//   iex(3)> spawn(fn () -> IO.puts("Hello from #{inspect self()}") end)
//   Hello from #PID<0.114.0>
//   #PID<0.114.0>
//   iex(4)> self()
//   #PID<0.107.0>
//   iex(5)> spawn(IO, :puts, ["Hello"])
//   Hello
//   #PID<0.112.0>
#include <beam/beam.hpp>

using namespace beam::literals;

// Waits until `p` has ended (its monitor's DOWN), so the output below comes in the order iex shows it.
beam::task<> wait_for(beam::pid p) {
  co_await beam::receive(
      beam::on(beam::tuple("DOWN"_a, beam::monitor(p), "process"_a, beam::_, beam::_), [] {}));
}

int main() {
  beam::runtime rt;
  return rt.run([]() -> beam::process {
             beam::pid p =
                 beam::spawn([]() -> beam::process { co_return; });  // fn -> 42 end: the value is dropped
             beam::io::puts(beam::format("{}", p));

             p = beam::spawn([]() -> beam::process {
               beam::io::puts(beam::format("Hello from {}", beam::self()));
               co_return;
             });
             co_await wait_for(p);
             beam::io::puts(beam::format("{}", p));

             beam::io::puts(beam::format("{}", beam::self()));

             p = beam::spawn("IO"_a, "puts"_a, {"Hello"});
             co_await wait_for(p);
             beam::io::puts(beam::format("{}", p));
           }).is_normal()
             ? 0
             : 1;
}
