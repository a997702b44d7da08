// tests/support/support.hpp: shared helpers for the test executables.
#pragma once
