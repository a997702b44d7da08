#include "services/io_server.hpp"

#include <cstdio>

#include <beam/receive.hpp>

#include "proc/process_control.hpp"
#include "services/services.hpp"
#include "term/atom_table.hpp"

namespace beam::io_impl {
namespace {

std::mutex sink_mutex;
io::output_sink current_sink;  // sink_mutex

// Resumes the server when its mailbox holds something, without taking it: the server then drains the mailbox
// in one go, so no message is ever held outside the mailbox (shut-down writes exactly what the mailbox
// holds).
class mail_available final : detail::receive_waiter {
 public:
  mail_available() : process_(&detail::current_process("io server")) { try_match = &mail_available::check; }
  bool await_ready() { return has_mail(); }
  void await_suspend(std::coroutine_handle<> h) {
    detail::wait_for_message(*process_, *this, h, std::chrono::steady_clock::time_point::max());
  }
  void await_resume() const noexcept {}

 private:
  static bool check(detail::receive_waiter* self) { return static_cast<mail_available*>(self)->has_mail(); }
  bool has_mail() {
    detail::mailbox_cursor start;
    return detail::mailbox_peek(*process_, start) != nullptr;
  }
  detail::process_control* process_;
};

void take_all(detail::process_control& p, writer& out) {
  detail::mailbox_cursor c;
  while (detail::mailbox_peek(p, c) != nullptr) {
    term message = detail::mailbox_take(p, c);
    if (message.is_binary()) out.submit(std::string(message.as_string_view()));
  }
}

}  // namespace

writer::writer() : thread_([this] { run(); }) {}

writer::~writer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void writer::submit(std::string text) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(text));
  }
  wake_.notify_one();
}

void writer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is written
    std::deque<std::string> batch;
    batch.swap(queue_);
    writing_ = true;
    lock.unlock();
    std::string text;
    for (const std::string& piece : batch) text += piece;
    write_to_sink(text);
    lock.lock();
    writing_ = false;
    written_.notify_all();
  }
}

void writer::flush() {
  std::unique_lock lock(mutex_);
  written_.wait(lock, [this] { return queue_.empty() && !writing_; });
}

void write_to_sink(std::string_view text) {
  std::lock_guard lock(sink_mutex);
  if (current_sink) {
    current_sink(text);
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
}

process serve(writer& out) {
  detail::process_control& self = detail::current_process("io server");
  for (;;) {
    co_await mail_available{};
    take_all(self, out);
  }
}

void drain_mailbox(detail::process_control& server, writer& out) {
  take_all(server, out);
}

}  // namespace beam::io_impl

namespace beam {

namespace io {
output_sink set_output(output_sink sink) {
  std::lock_guard lock(io_impl::sink_mutex);
  return std::exchange(io_impl::current_sink, std::move(sink));
}

void write(std::string_view text) {
  detail::runtime_services* services = detail::current_services();
  if (services == nullptr || !services->io_server) {
    io_impl::write_to_sink(text);
    return;
  }
  // After run() returned (the caller is ordered after the stopping thread): no I/O server, but the writer,
  // alive until the runtime is destroyed, keeps the order.
  if (services->node.stopping.load(std::memory_order_relaxed)) {
    services->output->submit(std::string(text));
    return;
  }
  send(*services->io_server, binary(text));
}

void puts(std::string_view text) {
  std::string line(text);
  line += '\n';
  write(line);
}
}  // namespace io

term flush() {
  detail::process_control& p = detail::current_process("beam::flush");
  detail::mailbox_cursor c;
  while (detail::mailbox_peek(p, c) != nullptr)
    io::puts(inspect(detail::mailbox_take(p, c), iex_inspect_options));
  return term(detail::atoms::ok);
}

}  // namespace beam
