// tests/support/counted_heap.hpp: every heap allocation of a test program that uses this, counted.
//
// counted_heap.cpp replaces the program's operator new and delete (all the replaceable forms but the aligned
// ones, so that each allocation meets its own release; the nothrow ones too: std::get_temporary_buffer takes
// them, and the sanitizers' own would meet the counted delete). The linker takes that object, and so the
// replacement, into a program that calls one of the functions below.
//
// Concurrency: any thread allocates and reads. The counters are relaxed atomics: a reading is exact once the
// threads that allocated have synchronised with the reader (a message, a join), and the peak is as exact as
// the live count it follows.
#pragma once

#include <cstdint>

namespace beam::testing {

// The bytes the heap holds now (malloc's usable sizes, so its rounding included).
std::int64_t heap_live_bytes() noexcept;

// The most the heap has held since the last reset_heap_peak().
std::int64_t heap_peak_bytes() noexcept;

// Starts a new peak from what the heap holds now.
void reset_heap_peak() noexcept;

}  // namespace beam::testing
