// services/blocking.cpp: beam::blocking_call's link between a process and the dirty pool.
//
// Wake-up protocol. The process makes a fresh reference, queues the job, and waits in a selective receive for
// exactly that reference; the dirty thread runs f, stores the result in the shared state, then sends the
// reference. The send publishes the result (the mailbox push is a release, the receive's take an acquire),
// and the receive keeps every other message where it was. Rejected: resuming the coroutine straight from the
// dirty thread (a second wake-up path beside the mailbox's, racing with exit signals, and a scheduler
// internals dependency); a future polled by the process (it would spin or hold a thread).
#include <beam/blocking.hpp>

#include <beam/process_info.hpp>

#include "io/dirty_pool.hpp"
#include "services/services.hpp"

namespace beam::detail {
namespace {

class process_job final : public io_impl::dirty_pool::job {
 public:
  process_job(std::shared_ptr<blocking_job> work, const pid& owner, const reference& done)
      : work_(std::move(work)), owner_(owner), done_(done) {}
  void run() noexcept override {
    if (!alive(owner_)) return;  // the caller ended while the job was queued: drop it
    work_->run();
    send(owner_, term(done_));  // a caller that ended meanwhile: dropped, and the result with work_
  }

 private:
  std::shared_ptr<blocking_job> work_;
  pid owner_;
  reference done_;
};

}  // namespace

void submit_blocking(std::shared_ptr<blocking_job> job, const pid& owner, const reference& done) {
  services_for("beam::blocking_call")
      .dirty->submit(std::make_unique<process_job>(std::move(job), owner, done));
}

}  // namespace beam::detail
