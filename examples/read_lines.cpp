// examples/read_lines.cpp: reads standard input line by line with beam::io::gets, whose reads wait on a
// dirty thread, not on a scheduler, and prints each line as a term. Try: printf 'a\nb\n' | example_read_lines
#include <cstdint>

#include <beam/beam.hpp>

beam::process read_lines() {
  std::int64_t count = 0;
  for (;;) {
    const beam::term line = co_await beam::io::gets();
    if (line == beam::term(beam::atom("eof"))) break;
    beam::io::puts(beam::format("{} {}", ++count, line));
  }
  beam::io::puts(beam::format("eof after {} lines", count));
}

int main() {
  beam::runtime rt;
  return rt.run(read_lines).is_normal() ? 0 : 1;
}
