// base/assert.hpp: BEAM_ASSERT checks an internal invariant in debug builds ("who may call this", "lock
// held").
#pragma once

#include <cstdio>
#include <cstdlib>

#ifdef NDEBUG
#define BEAM_ASSERT(cond, msg) static_cast<void>(0)
#else
#define BEAM_ASSERT(cond, msg)                                                                    \
  do {                                                                                            \
    if (!(cond)) {                                                                                \
      std::fprintf(stderr, "%s:%d: assertion failed: %s (%s)\n", __FILE__, __LINE__, #cond, msg); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (false)
#endif
