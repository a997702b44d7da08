// beam/detail/process_base.hpp: what the public templates (process bodies, task<T>, receive) need from the
// runtime. Not for users: the names and signatures here change without notice.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>

namespace beam {
class term;
class pid;
}  // namespace beam

namespace beam::detail {

struct process_control;  // the process control block (src/proc/process_control.hpp)

// The running process on this thread. Throws std::logic_error naming `what` when called outside any process.
[[nodiscard]] process_control& current_process(const char* what);
[[nodiscard]] process_control* current_process_or_null() noexcept;

// Coroutine frames of processes and tasks come from per-thread pools.
[[nodiscard]] void* allocate_frame(std::size_t size);
void free_frame(void* frame, std::size_t size) noexcept;

// Why a process's coroutine gave control back to its worker.
enum class suspend_reason : std::uint8_t { yield, wait, exited };

// Records that the innermost suspended coroutine of the current process is `h`, suspended for `why`.
void note_suspend(process_control& p, std::coroutine_handle<> h, suspend_reason why) noexcept;
// The process body's exception, recorded as its exit reason.
void note_exception(process_control& p, std::exception_ptr e) noexcept;

// Counts `n` reductions (and the terms built since the last count); true when the slice's budget is spent
// (the next suspension point should yield).
bool bump_reductions(process_control& p, std::uint32_t n) noexcept;
// The coroutine to transfer to when a task `h` is co_awaited: `h` itself, or, when the running process has
// spent its slice's budget, none (the process yields, and its next slice starts `h`).
[[nodiscard]] std::coroutine_handle<> enter_task(std::coroutine_handle<> h) noexcept;

// A receive in progress, seen by the worker: when the process is woken, the worker calls `try_match` before
// resuming the coroutine, so messages that match no clause never resume it.
// Kept small: it lives in the frame of every waiting process (issue 4's W2 counts its bytes).
struct receive_waiter {
  bool (*try_match)(receive_waiter* self) = nullptr;  // true: matched; the worker resumes the coroutine
  bool timed_out = false;                             // set by the worker when the wait's timer fired
  std::int8_t matched = -1;                           // the clause that matched, for receive's awaiter
};

// Mailbox access for the owner process (the running process only).
// A cursor walks the messages in arrival order; the position survives suspension (BEAM's receive marker), so
// messages already skipped by this receive are not scanned again when new ones arrive.
struct mailbox_cursor {
  void* link = nullptr;  // the link to the next unscanned message; nullptr: the start of the mailbox
};
// The message at the cursor, taking new arrivals into the private queue as needed; nullptr at the end.
[[nodiscard]] const term* mailbox_peek(process_control& p, mailbox_cursor& c) noexcept;
void mailbox_skip(process_control& p, mailbox_cursor& c) noexcept;
// Removes and returns the message at the cursor (which must be on a message); the cursor is reset.
[[nodiscard]] term mailbox_take(process_control& p, mailbox_cursor& c) noexcept;
// Suspends the process until a message arrives or `deadline` (time_point::max(): none); used from
// await_suspend.
void wait_for_message(process_control& p, receive_waiter& w, std::coroutine_handle<> h,
                      std::chrono::steady_clock::time_point deadline) noexcept;

}  // namespace beam::detail
