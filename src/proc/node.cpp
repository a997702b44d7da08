// proc/node.cpp: the node's pools, clock, receive timers, initial process and shutdown (the design is at the
// top of proc/node.hpp).
#include "proc/node.hpp"

#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "term/atom_table.hpp"

namespace beam {
namespace detail {

std::atomic<proc::node*> the_node{nullptr};  // see process_control.hpp

proc::node* current_node() noexcept {
  return the_node.load(std::memory_order_acquire);
}

proc::node& node_for(const char* what) {
  proc::node* n = current_node();
  if (n == nullptr) throw std::logic_error(fmt::format("{} called with no beam::runtime running", what));
  return *n;
}

}  // namespace detail

namespace proc {
namespace {

using detail::process_control;

// A receive timeout: when it fires, it raises the process's timer_fired to its wait generation and wakes it.
struct receive_timer final : timer::timer_entry {
  receive_timer(node& n, pid p, std::uint32_t gen, std::uint32_t w) noexcept
      : timer_entry(&receive_timer::on_fire, &receive_timer::on_free),
        owner(n),
        target(p),
        generation(gen),
        worker(w) {}
  static void on_fire(timer_entry* self) {
    auto* t = static_cast<receive_timer*>(self);
    process_control* p = t->owner.table.find(t->target);
    if (p == nullptr) return;
    // Generations only grow: an old timer never hides a newer one. seq_cst: the waker's write in the wake-up
    // protocol (process_control.hpp), before wake's read of the state.
    std::uint32_t seen = p->timer_fired.load(std::memory_order_relaxed);
    while (seen < t->generation &&
           !p->timer_fired.compare_exchange_weak(seen, t->generation, std::memory_order_seq_cst)) {
    }
    detail::wake(*p);
    detail::release(*p);
  }
  static void on_free(timer_entry* self) { delete static_cast<receive_timer*>(self); }
  node& owner;
  pid target;
  std::uint32_t generation;
  std::uint32_t worker;  // whose wheel holds it
};

// The router of a node without distribution: nothing is reachable, every message is dropped.
class dropping_router final : public remote_router {
 public:
  void route(const pid&, term) override {}
  void route(atom, atom, term) override {}
};

dropping_router no_distribution;

}  // namespace

node::node(std::uint32_t process_limit, std::uint32_t worker_count, std::uint32_t spare_count)
    : schedulers(worker_count),
      spares(spare_count),
      table(process_limit, worker_count + spare_count),  // a slot cache per worker and spare
      epochs(worker_count + spare_count),
      router(&no_distribution),
      shared_pool_(chunks),
      shared_pcb_pool_(chunks) {
  for (std::uint32_t i = 0; i < schedulers + spares; ++i) {
    locals.push_back(std::make_unique<worker_local>(chunks, 0));
  }
  node* expected = nullptr;
  if (!detail::the_node.compare_exchange_strong(expected, this, std::memory_order_acq_rel)) {
    throw std::logic_error("a beam::runtime is already running in this program: one runtime at a time");
  }
}

node::~node() {
  reclaim_all();
  locals.clear();
  detail::the_node.store(nullptr, std::memory_order_release);
}

void node::connect(sched::scheduler& s, timer_service& timers) noexcept {
  sched = &s;
  bif_timers = &timers;
}

sched::worker* node::own_worker() const noexcept {
  sched::worker* w = sched::worker::current();
  return w != nullptr && &w->owner() == sched ? w : nullptr;
}

void node::disconnect() noexcept {
  reclaim_all();
  sched = nullptr;
}

void* node::allocate(std::size_t size, bool pcb) {
  if (sched::worker* w = own_worker()) return (pcb ? local(*w).pcb_pool : local(*w).pool).allocate(size);
  std::lock_guard lock(shared_mutex_);
  return (pcb ? shared_pcb_pool_ : shared_pool_).allocate(size);
}

void node::free(void* block, std::size_t size, bool pcb) noexcept {
  if (sched::worker* w = own_worker()) {
    (pcb ? local(*w).pcb_pool : local(*w).pool).free(block, size);
    return;
  }
  std::lock_guard lock(shared_mutex_);
  (pcb ? shared_pcb_pool_ : shared_pool_).free(block, size);
}

slot_cache* node::slot_cache_here() noexcept {
  sched::worker* w = own_worker();
  return w != nullptr ? &local(*w).slots : nullptr;
}

namespace {
// A bag of this many PCBs retired in one epoch asks for the next epoch, so a worker's limbo stays a few bags
// deep (tests/crash_test.cpp checks that the pools come back to their baseline within 64 KiB).
constexpr std::uint32_t advance_after = 32;

void destroy(sched::task* t) noexcept {
  detail::destroy_pcb(*process_control::from_task(t));
}
}  // namespace

void node::retire(process_control& p) noexcept {
  if (sched == nullptr) {  // disconnected: no worker is left to hold it
    detail::destroy_pcb(p);
    return;
  }
  // The table dropped p (a seq_cst store) before its last reference went (the owner's exit removed it, then
  // released the table's reference): so the pins and the epoch are read after it, as base/epochs.hpp needs.
  if (!epochs.any_pinned(sched->started())) {  // most often: nobody can hold it
    detail::destroy_pcb(p);
    return;
  }
  if (sched::worker* w = own_worker()) {
    pcb_limbo& limbo = local(*w).limbo;
    const std::uint64_t e = epochs.current();
    limbo.add(&p, e, destroy);
    if (limbo.size_of(e) % advance_after == 0) limbo.free_held_before(advance_epoch(), destroy);
    return;
  }
  std::lock_guard lock(limbo_mutex_);  // the epoch read under it: bags are added to in epoch order
  shared_limbo_.add(&p, epochs.current(), destroy);
  shared_limbo_used_.store(true, std::memory_order_relaxed);
}

void node::reclaim(sched::worker& w) noexcept {
  pcb_limbo& limbo = local(w).limbo;
  const bool shared = shared_limbo_used_.load(std::memory_order_relaxed);
  if (!shared && limbo.freeable_at() > epochs.current()) return;  // most calls: nothing to free yet
  if (sched::worker::current() != &w) return;  // the monitor thread polling a stuck worker: not its limbo
  // The workers' own bags ask for the next epoch as they fill (retire); the shared one has nobody else to.
  const std::uint64_t e = shared ? advance_epoch() : epochs.current();
  limbo.free_held_before(e, destroy);
  if (shared) reclaim_shared(e);
}

std::uint64_t node::advance_epoch() noexcept {
  return epochs.try_advance(sched->started());  // only workers that have had a thread may be pinned
}

void node::hand_over_limbo(sched::worker& w) noexcept {
  pcb_limbo& limbo = local(w).limbo;
  if (limbo.size() == 0) return;
  limbo.free_held_before(advance_epoch(), destroy);
  if (limbo.size() == 0) return;
  std::lock_guard lock(limbo_mutex_);
  shared_limbo_.take(limbo, destroy);
  shared_limbo_used_.store(true, std::memory_order_relaxed);
}

void node::reclaim_shared(std::uint64_t epoch) noexcept {
  std::unique_lock lock(limbo_mutex_, std::try_to_lock);  // another worker is at it: it will do
  if (!lock) return;
  shared_limbo_.free_held_before(epoch, destroy);
  shared_limbo_used_.store(shared_limbo_.size() != 0, std::memory_order_relaxed);
}

void node::reclaim_all() noexcept {
  for (auto& l : locals) l->limbo.free_all(destroy);
  std::lock_guard lock(limbo_mutex_);
  shared_limbo_.free_all(destroy);
}

message_node* node::new_message(term message) {
  return new (allocate(sizeof(message_node))) message_node{nullptr, std::move(message)};
}

void node::free_message(message_node* n) noexcept {
  n->~message_node();
  free(n, sizeof(message_node));
}

std::uint64_t node::now_ms() const noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
          .count());
}

std::uint64_t node::to_ms(std::chrono::steady_clock::time_point t) const noexcept {
  if (t <= started) return 0;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - started).count();
  return static_cast<std::uint64_t>((us + 999) / 1000);  // round up: a timer never fires early
}

void node::start_receive_timer(process_control& p, std::chrono::steady_clock::time_point deadline) {
  sched::worker* w = sched::worker::current();
  auto* t = new receive_timer(*this, p.self(), p.wait_generation, w->index());
  t->deadline_ms = to_ms(deadline);
  p.receive_timer = t;
  local(*w).insert_timer(t);
}

void node::end_receive_timer(process_control& p, sched::worker* on) noexcept {
  timer::timer_entry* t = std::exchange(p.receive_timer, nullptr);
  if (t == nullptr) return;
  if (t->cancel() && on != nullptr && on->index() == static_cast<receive_timer*>(t)->worker) {
    worker_local& l = local(*on);  // on the wheel's own thread: unlink now rather than at the deadline
    std::lock_guard lock(l.timers_mutex);
    l.timers.remove(t);
  }
  t->release();
}

std::chrono::steady_clock::time_point node::poll_timers(sched::worker& w) {
  worker_local& l = local(w);
  reclaim(w);
  std::uint64_t next = l.next_due_ms.load(std::memory_order_relaxed);
  if (next != timer::timer_wheel::no_deadline && next <= now_ms()) {
    std::lock_guard lock(l.timers_mutex);
    next = l.timers.poll(now_ms());
    l.next_due_ms.store(next, std::memory_order_relaxed);
  }
  return next == timer::timer_wheel::no_deadline ? std::chrono::steady_clock::time_point::max()
                                                 : started + std::chrono::milliseconds(next);
}

void node::on_initial_exit(const term& reason) {
  {
    std::lock_guard lock(initial_mutex_);
    initial_reason_ = reason;
  }
  initial_done_.notify_all();
}

term node::wait_for_initial() {
  std::unique_lock lock(initial_mutex_);
  initial_done_.wait(lock, [this] { return initial_reason_.has_value(); });
  return *initial_reason_;
}

void node::shut_down_processes() {
  stopping.store(true, std::memory_order_relaxed);
  for (const pid& id : table.pids()) {
    if (process_control* p = table.find(id)) {
      detail::release(*p);  // find's reference; the table's keeps it alive until shut_down_process drops it
      detail::shut_down_process(*p);
    }
  }
}

}  // namespace proc
}  // namespace beam
