// sched/worker_thread.hpp: the OS thread under a worker: a stack of a chosen size with a guard region below
// it, and the report of an overflow of that stack.
//
// Processes are stackless coroutines: a process's own frames live in its coroutine frames, but whatever it
// calls without co_await (plain recursion included) runs on the stack of the scheduler thread that resumes
// it. Running past that stack's end touches the guard region; the SIGSEGV handler below recognises such a
// fault on a worker thread, has the worker write what it was running, and lets the default action end the
// program (a core dump where they are enabled): the thread cannot go on, since the frame that overflowed
// belongs to a C++ call chain that cannot be unwound from a signal handler.
#pragma once

#include <pthread.h>

#include <cstddef>
#include <cstdint>

namespace beam::sched {

// Starts `run(arg)` on a new joinable thread whose stack holds `stack_size` usable bytes, with a guard region
// of `guard_size` bytes below it. Throws std::system_error when the thread cannot be made.
pthread_t start_thread_with_stack(std::size_t stack_size, std::size_t guard_size, void* (*run)(void*),
                                  void* arg);

// Owner thread only, for the life of the object: a fault in the calling thread's guard region (or at the
// very bottom of its stack) calls `report(context)` on an alternate signal stack, then the program ends with
// SIGSEGV. `report` runs in a signal handler: it may only use async-signal-safe calls (write(2)), no
// allocation and no locks. Faults elsewhere go to the handler that was installed before ours (the default
// one, or a sanitizer's).
class stack_overflow_watch {
 public:
  stack_overflow_watch(void (*report)(void* context), void* context);
  ~stack_overflow_watch();
  stack_overflow_watch(const stack_overflow_watch&) = delete;
  stack_overflow_watch& operator=(const stack_overflow_watch&) = delete;

  // The usable stack of this thread, as the watch found it.
  [[nodiscard]] std::uintptr_t stack_low() const noexcept { return low_; }
  [[nodiscard]] std::uintptr_t guard_low() const noexcept { return guard_low_; }
  void call_report() const noexcept { report_(context_); }

 private:
  void (*report_)(void*);
  void* context_;
  std::uintptr_t low_ = 0;        // lowest usable address of the stack
  std::uintptr_t guard_low_ = 0;  // lowest address of the guard region below it
  void* alternate_stack_ = nullptr;
};

// Async-signal-safe helpers for report functions: write `text` / a decimal number to standard error.
void write_to_stderr(const char* text) noexcept;
void write_number_to_stderr(std::uint64_t n) noexcept;

}  // namespace beam::sched
