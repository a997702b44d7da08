// The lesson's T.run_processes(10): N processes each print their id, sleep a random pause, and print again.
// The first lines come mostly in id order (spawn order); the second ones in the order the pauses end.
#include <random>

#include <beam/beam.hpp>

using namespace beam::literals;

beam::process worker(int id, int pause_ms) {
  beam::io::puts(beam::format("process {} {} started", id, beam::self()));
  co_await beam::sleep(std::chrono::milliseconds(pause_ms));
  beam::io::puts(beam::format("process {} {} woke after {} ms", id, beam::self(), pause_ms));
}

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10;
  beam::runtime rt;
  return rt.run([n]() -> beam::process {
             std::mt19937 rng(std::random_device{}());
             for (int id = 1; id <= n; ++id) beam::spawn_monitor(worker, id, static_cast<int>(rng() % 100));
             for (int ended = 0; ended < n; ++ended) {  // every worker's DOWN
               co_await beam::receive(
                   beam::on(beam::tuple("DOWN"_a, beam::_, beam::_, beam::_, beam::_), [] {}));
             }
           }).is_normal()
             ? 0
             : 1;
}
