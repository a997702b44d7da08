// base/frame_pool.hpp: coroutine frames of processes and tasks, from per-thread pools.
//
// A frame may be made on one thread and freed on another, inside a runtime or outside any (a body called
// directly, a task kept past its runtime), so frames cannot come from a runtime's pools. These pools are the
// program's: each thread that makes frames owns a pool_set (base/pool.hpp) over one shared chunk_store, so a
// frame freed on another thread goes home to the set that carved it (a process spawned on one scheduler and
// ended on another, or on a spare, does not make the spawner carve new chunks forever). Sets and chunks are
// immortal (frames may be freed during static destruction): a thread that exits hands its set to a depot,
// and the next thread that makes a frame adopts it, free lists, remote lists and all, so the sets in the
// program are at most the threads alive at once. A thread whose thread_locals are being destroyed allocates
// from the depot's own set under its mutex and frees onto owners' remote lists. Rejected: glibc malloc (a
// 16-byte header per frame, and consolidation costs ~20% of a spawn's instructions when a million frames are
// freed); the runtime's pools (frames outlive runtimes); blocks kept where they were freed (the spawner's
// thread carves without bound while other threads' lists grow).
#pragma once

#include <cstddef>

namespace beam::base {

// Any thread.
[[nodiscard]] void* allocate_frame(std::size_t size);
// Any thread; `size` as given to allocate_frame.
void free_frame(void* frame, std::size_t size) noexcept;
// Bytes of chunks the frame pools have taken from the system (never returned). Any thread.
[[nodiscard]] std::size_t frame_pool_bytes() noexcept;
// Bytes of pooled frames in use (a snapshot). Any thread.
[[nodiscard]] std::size_t frame_pool_used_bytes() noexcept;

}  // namespace beam::base
