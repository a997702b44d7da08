// A million processes alive at once: each one waits for a message; then all are told to stop.
// Prints the time to spawn them and the memory they take, next to the lesson's figures for BEAM
// (3-5 microseconds and about 2.5 KB per process).
#include <chrono>
#include <fstream>

#include <unistd.h>

#include <beam/beam.hpp>

using namespace beam::literals;

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  beam::runtime rt({.process_limit = static_cast<std::uint32_t>(std::max(n + 1000, 262'144L))});
  return rt.run([n]() -> beam::process {
             const beam::pid parent = beam::self();
             const long before = resident_bytes();
             const auto start = std::chrono::steady_clock::now();
             std::vector<beam::pid> pids;
             pids.reserve(static_cast<std::size_t>(n));
             for (long i = 0; i < n; ++i) {
               pids.push_back(beam::spawn([parent]() -> beam::process {
                 beam::send(parent, "ready"_a);
                 co_await beam::receive(beam::on("stop"_a, [] {}));
               }));
             }
             for (long i = 0; i < n; ++i) co_await beam::receive(beam::on("ready"_a, [] {}));
             const double us =
                 std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
             const double bytes =
                 static_cast<double>(resident_bytes() - before - static_cast<long>(n * sizeof(beam::pid)));
             beam::io::puts(beam::format(
                 "{} processes alive: {:.3f} us per spawn (BEAM: 3-5), {:.0f} bytes each "
                 "(BEAM: ~2,500); process_count() = {}",
                 n, us / static_cast<double>(n), bytes / static_cast<double>(n), beam::process_count()));
             for (const beam::pid& p : pids) beam::send(p, "stop"_a);
             while (beam::process_count() > 2) co_await beam::yield();
           }).is_normal()
             ? 0
             : 1;
}
