// beam/logger.hpp: where the runtime's reports go (crash reports, "Too many processes", long schedules).
// The default writes each report as one line on stderr. Any thread may log; the sink is called from any
// thread and must be thread-safe.
#pragma once

#include <functional>
#include <string_view>

namespace beam {

enum class log_level { info, warning, error };

using log_sink = std::function<void(log_level, std::string_view text)>;

// Replaces the sink; an empty function restores the default (stderr). Returns the previous sink.
log_sink set_logger(log_sink sink);

// Sends one report to the sink.
void log(log_level level, std::string_view text);

}  // namespace beam
