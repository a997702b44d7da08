// services/io_server.hpp: the I/O server: a process (registered as `user`) that takes text from any process
// and hands it to one writer thread, the only thread that touches the output. The process keeps the order of
// each sender's text (mailbox order); the writer thread keeps the schedulers off a slow or blocked stdout.
// Shut-down: the runtime stops the schedulers, writes what is still in the server's mailbox (drain_mailbox),
// then stops the writer, which writes everything queued before it exits: no text is lost.
//
// src/services holds what is built on processes (this server, blocking calls, files, standard input): it sits
// above src/proc, while src/io below it keeps what processes are built on (the dirty pool, the poller).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <beam/io.hpp>
#include <beam/pid.hpp>
#include <beam/process.hpp>

namespace beam::detail {
struct process_control;
}

namespace beam::io_impl {

class writer {
 public:
  writer();
  ~writer();  // writes what is queued, then joins
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;
  // Any thread.
  void submit(std::string text);
  // Any thread but the writer's: returns once what was submitted before the call is written.
  void flush();

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable written_;  // the writer finished a batch (flush waits on it)
  std::deque<std::string> queue_;    // mutex_
  bool writing_ = false;             // mutex_: a batch taken from queue_ is being written
  bool stopping_ = false;            // mutex_
  std::thread thread_;
};

// The I/O server's body.
process serve(writer& out);
// The stopping thread, after the schedulers stopped: hands the server's queued text to the writer.
void drain_mailbox(detail::process_control& server, writer& out);
// Writes through the current sink (the writer thread, or a caller with no runtime).
void write_to_sink(std::string_view text);

}  // namespace beam::io_impl
