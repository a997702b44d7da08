// tests/support/runtime_fixture.hpp: runs each test body on runtimes of 1, 2 and 4 schedulers.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

namespace beam {
// GoogleTest prints terms as Elixir does.
void PrintTo(const term& t, std::ostream* os);
}  // namespace beam

namespace beam::testing {

class RuntimeTest : public ::testing::TestWithParam<std::uint32_t> {
 protected:
  [[nodiscard]] runtime_options options(std::uint32_t process_limit = 262'144) const {
    return {.schedulers = GetParam(), .process_limit = process_limit};
  }
};

// Collects what the logger receives while alive (and keeps it off stderr).
class captured_log {
 public:
  captured_log();
  ~captured_log();
  [[nodiscard]] std::vector<std::string> lines() const;
  [[nodiscard]] bool contains(std::string_view text) const;

 private:
  struct state;
  std::shared_ptr<state> state_;
  log_sink previous_;
};

// Collects what the I/O server writes while alive.
class captured_output {
 public:
  captured_output();
  ~captured_output();
  [[nodiscard]] std::string text() const;

 private:
  struct state;
  std::shared_ptr<state> state_;
  io::output_sink previous_;
};

}  // namespace beam::testing

#define BEAM_SCHEDULER_COUNTS(suite) \
  INSTANTIATE_TEST_SUITE_P(Schedulers, suite, ::testing::Values(1u, 2u, 4u))
