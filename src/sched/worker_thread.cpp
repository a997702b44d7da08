// sched/worker_thread.cpp: worker threads with a chosen stack size, and the stack overflow report (the design
// is in worker_thread.hpp).
#include "sched/worker_thread.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <system_error>

namespace beam::sched {
namespace {

// The watch of the calling thread, if it is a worker. Read by the SIGSEGV handler on the same thread.
thread_local const stack_overflow_watch* watch_here = nullptr;
// The SIGSEGV action installed before ours: faults that are not overflows of a worker's stack go to it.
// Written once, before any watch exists (std::call_once), read by the handler.
struct sigaction previous_action {};
std::once_flag handler_installed;

// Large enough for a sanitizer's report as well as ours.
constexpr std::size_t alternate_stack_size = 256 * 1024;

void pass_on(int signal, siginfo_t* info, void* context) {
  if (previous_action.sa_flags & SA_SIGINFO) {
    previous_action.sa_sigaction(signal, info, context);
    return;
  }
  if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
    previous_action.sa_handler(signal);
    return;
  }
  ::signal(signal, SIG_DFL);  // a fault cannot be ignored: returning re-runs the faulting instruction
  raise(signal);
}

void on_segv(int signal, siginfo_t* info, void* context) {
  const stack_overflow_watch* watch = watch_here;
  const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  if (watch == nullptr || address < watch->guard_low() || address >= watch->stack_low() + page) {
    pass_on(signal, info, context);
    return;
  }
  watch->call_report();
  ::signal(signal, SIG_DFL);  // blocked until the handler returns, then it ends the program
  raise(signal);
}

void install_handler() {
  struct sigaction action {};
  action.sa_sigaction = &on_segv;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  sigaction(SIGSEGV, &action, &previous_action);
}

}  // namespace

pthread_t start_thread_with_stack(std::size_t stack_size, std::size_t guard_size, void* (*run)(void*),
                                  void* arg) {
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  int error = pthread_attr_setstacksize(&attributes, stack_size);
  if (error == 0) error = pthread_attr_setguardsize(&attributes, guard_size);
  pthread_t thread{};
  if (error == 0) error = pthread_create(&thread, &attributes, run, arg);
  pthread_attr_destroy(&attributes);
  if (error != 0) throw std::system_error(error, std::generic_category(), "cannot start a scheduler thread");
  return thread;
}

stack_overflow_watch::stack_overflow_watch(void (*report)(void*), void* context)
    : report_(report), context_(context) {
  pthread_attr_t attributes;
  if (pthread_getattr_np(pthread_self(), &attributes) == 0) {
    void* low = nullptr;
    std::size_t size = 0;
    std::size_t guard = 0;
    pthread_attr_getstack(&attributes, &low, &size);
    pthread_attr_getguardsize(&attributes, &guard);
    pthread_attr_destroy(&attributes);
    low_ = reinterpret_cast<std::uintptr_t>(low);
    guard_low_ = low_ - guard;  // glibc puts the guard right below the usable stack
  }
  void* memory =
      mmap(nullptr, alternate_stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory != MAP_FAILED) {
    alternate_stack_ = memory;
    stack_t alternate{};
    alternate.ss_sp = memory;
    alternate.ss_size = alternate_stack_size;
    sigaltstack(&alternate, nullptr);
  }
  std::call_once(handler_installed, install_handler);
  watch_here = this;
}

stack_overflow_watch::~stack_overflow_watch() {
  watch_here = nullptr;
  if (alternate_stack_ != nullptr) {
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, nullptr);
    munmap(alternate_stack_, alternate_stack_size);
  }
}

void write_to_stderr(const char* text) noexcept {
  std::size_t left = std::strlen(text);
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, text, left);
    if (n <= 0 && errno != EINTR) return;
    if (n > 0) {
      text += n;
      left -= static_cast<std::size_t>(n);
    }
  }
}

void write_number_to_stderr(std::uint64_t n) noexcept {
  char digits[24];
  char* p = digits + sizeof digits;
  *--p = '\0';
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  write_to_stderr(p);
}

}  // namespace beam::sched
