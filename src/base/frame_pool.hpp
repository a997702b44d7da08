// base/frame_pool.hpp: coroutine frames of processes and tasks, from per-thread free lists.
//
// A frame may be made on one thread and freed on another, inside a runtime or outside any (a body called
// directly, a task kept past its runtime), so frames cannot come from a runtime's pools. These lists are the
// program's: each thread keeps one free list per 16-byte size class (up to max_pooled bytes; larger frames
// use operator new), carved from 64 KiB chunks that are never returned. A block freed on another thread joins
// that thread's lists; a thread that exits hands its lists to a shared depot (under a mutex), which a thread
// whose list runs dry empties first, so memory freed by ended workers is reused by the next runtime's. No
// header per block: free is given the size, as coroutine frames' operator delete is. Rejected: glibc malloc
// (a 16-byte header per frame, and consolidation costs ~20% of a spawn's instructions when a million frames
// are freed); the runtime's pools (frames outlive runtimes).
#pragma once

#include <cstddef>

namespace beam::base {

inline constexpr std::size_t max_pooled_frame = 1024;

// Any thread.
[[nodiscard]] void* allocate_frame(std::size_t size);
// Any thread; `size` as given to allocate_frame.
void free_frame(void* frame, std::size_t size) noexcept;

}  // namespace beam::base
