#include "support/runtime_fixture.hpp"

#include <mutex>

namespace beam {
void PrintTo(const term& t, std::ostream* os) {
  *os << inspect(t);
}
}  // namespace beam

namespace beam::testing {

struct captured_log::state {
  mutable std::mutex mutex;
  std::vector<std::string> lines;
};

captured_log::captured_log() : state_(std::make_shared<state>()) {
  previous_ = set_logger([s = state_](log_level, std::string_view text) {
    std::lock_guard lock(s->mutex);
    s->lines.emplace_back(text);
  });
}
captured_log::~captured_log() {
  set_logger(previous_);
}

std::vector<std::string> captured_log::lines() const {
  std::lock_guard lock(state_->mutex);
  return state_->lines;
}

bool captured_log::contains(std::string_view text) const {
  for (const std::string& line : lines()) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

struct captured_output::state {
  mutable std::mutex mutex;
  std::string text;
};

captured_output::captured_output() : state_(std::make_shared<state>()) {
  previous_ = io::set_output([s = state_](std::string_view text) {
    std::lock_guard lock(s->mutex);
    s->text += text;
  });
}
captured_output::~captured_output() {
  io::set_output(previous_);
}

std::string captured_output::text() const {
  std::lock_guard lock(state_->mutex);
  return state_->text;
}

}  // namespace beam::testing
