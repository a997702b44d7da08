// services/standard_input.cpp: beam::io::gets. Lines are read from descriptor 0 on a dirty thread, into one
// buffer for the program (standard input is the program's), under a lock, so concurrent gets calls take whole
// lines in turn. The dirty thread waits in poll(2) in steps of 100 ms, so that the runtime's end (the pool's
// stop request) ends a wait for input that may never come. std::cin and stdio are not used: their buffers
// would hide input that poll cannot see.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <optional>
#include <string>

#include <beam/blocking.hpp>
#include <beam/io.hpp>

#include "io/dirty_pool.hpp"
#include "io/posix_error.hpp"

namespace beam::io_impl {
namespace {

constexpr int poll_step_ms = 100;
constexpr std::size_t read_chunk = 4096;

std::mutex input_mutex;
std::string input_buffer;  // input_mutex: read from descriptor 0, not yet handed out
bool input_ended = false;  // input_mutex: descriptor 0 reached its end

// Dirty thread: waits until descriptor 0 has something (data, its end, an error). Throws
// beam::error(terminated) when the pool stops first.
void wait_for_input() {
  pollfd in{.fd = 0, .events = POLLIN, .revents = 0};
  while (::poll(&in, 1, poll_step_ms) <= 0) {
    if (dirty_pool::stop_requested()) throw error(term(atom("terminated")), "io::gets: the runtime ended");
  }
}

// Dirty thread, input_mutex held: one read(2) into input_buffer; marks the end of the input.
void read_more() {
  wait_for_input();
  char chunk[read_chunk];
  const ssize_t n = ::read(0, chunk, sizeof chunk);
  if (n > 0) {
    input_buffer.append(chunk, static_cast<std::size_t>(n));
  } else if (n == 0) {
    input_ended = true;
  } else if (errno != EINTR && errno != EAGAIN) {
    throw posix_error(errno, "read", "standard input");
  }
}

// Dirty thread: the next line with its newline (the last one may have none); nullopt at the end.
std::optional<std::string> read_line() {
  std::lock_guard lock(input_mutex);
  for (;;) {
    if (const auto end = input_buffer.find('\n'); end != std::string::npos) {
      std::string line = input_buffer.substr(0, end + 1);
      input_buffer.erase(0, end + 1);
      return line;
    }
    if (input_ended) {
      if (input_buffer.empty()) return std::nullopt;
      return std::exchange(input_buffer, {});
    }
    read_more();
  }
}

}  // namespace
}  // namespace beam::io_impl

namespace beam::io {

task<term> gets(std::string prompt) {
  if (!prompt.empty()) write(prompt);
  const std::optional<std::string> line = co_await blocking_call(&io_impl::read_line);
  co_return line ? term(*line) : term(atom("eof"));
}

}  // namespace beam::io
