// beam/io.hpp: output from processes, through an I/O server process (Erlang's group leader `user`).
//
//   beam::io::puts(beam::format("Hello from {}", beam::self()));   // Hello from #PID<0.114.0>
//   beam::flush();   // prints and removes every message in the caller's mailbox, as iex's flush()
//
// puts never blocks the calling process or its scheduler: the text is sent to the I/O server, which hands it
// to a writer thread that owns the output. One process's lines come out in the order it wrote them, and
// nothing queued is lost when the runtime stops.
//
//   beam::term line = co_await beam::io::gets("name? ");   // "Ada\n" as a binary, or the atom eof
//
// gets reads standard input on a dirty thread (beam/blocking.hpp): the waiting process holds no scheduler.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include <beam/inspect.hpp>
#include <beam/process.hpp>
#include <beam/term.hpp>

namespace beam {

// fmt::format with terms, pids, references and atoms printed as iex prints them.
template <class... Args>
[[nodiscard]] std::string format(fmt::format_string<Args...> text, Args&&... args) {
  return fmt::format(text, std::forward<Args>(args)...);
}

namespace io {
// Writes `text` and a newline (IO.puts). Also after runtime::run() has returned: the text then goes straight
// to the writer, after everything written before, until the runtime is destroyed.
void puts(std::string_view text);
// Writes `text` as it is (IO.write).
void write(std::string_view text);
// Where the I/O server's writer thread sends output; empty: standard output. Returns the previous sink.
using output_sink = std::function<void(std::string_view)>;
output_sink set_output(output_sink sink);
// io:get_line/1: writes `prompt` (as write does), then reads one line of standard input: a binary with its
// newline (the last line of the input may have none), or the atom `eof` at the end of the input, then at
// every later call. Concurrent calls take whole lines in turn. Reads descriptor 0 directly: do not mix with
// std::cin. Process-only. A read error: beam::error with the POSIX reason (ebadf when descriptor 0 is
// closed).
[[nodiscard]] task<term> gets(std::string prompt = {});
}  // namespace io

// Removes every message from the calling process's mailbox and prints each on its own line, as iex's flush()
// does (inspect with pretty, width 80, limit 50); returns :ok. Call from a process.
term flush();

}  // namespace beam
