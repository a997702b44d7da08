#include <cstdio>
#include <mutex>
#include <utility>

#include <beam/logger.hpp>

namespace beam {
namespace {
std::mutex sink_mutex;
log_sink current_sink;  // sink_mutex

std::string_view level_name(log_level level) {
  switch (level) {
    case log_level::info:
      return "info";
    case log_level::warning:
      return "warning";
    case log_level::error:
      return "error";
  }
  return "log";
}
}  // namespace

log_sink set_logger(log_sink sink) {
  std::lock_guard lock(sink_mutex);
  return std::exchange(current_sink, std::move(sink));
}

void log(log_level level, std::string_view text) {
  std::lock_guard lock(sink_mutex);
  if (current_sink) {
    current_sink(level, text);
    return;
  }
  std::fprintf(stderr, "[%.*s] %.*s\n", static_cast<int>(level_name(level).size()), level_name(level).data(),
               static_cast<int>(text.size()), text.data());
}

}  // namespace beam
