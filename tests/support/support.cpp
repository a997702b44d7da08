// tests/support: shared helpers for the test executables.
#include "support/support.hpp"
