// tools/bench_command.cpp: `beampp bench`: runs one workload of tools/workloads.cpp and prints its RESULT
// line.
//   beampp bench w2_idle_memory n=10000000 schedulers=2
// `beampp bench list` names the workloads with their defaults. Unknown workloads or keys are usage errors.
#include "bench_command.hpp"

#include <charconv>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <beam/runtime.hpp>

#include "workloads.hpp"

namespace beampp {
namespace {

const workload& find_workload(const std::string& name) {
  for (const workload& w : workloads()) {
    if (w.name == name) return w;
  }
  throw input_error(fmt::format("unknown workload '{}' (see: beampp bench list)", name));
}

std::int64_t parse_value(const std::string& key, const std::string& text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    throw input_error(fmt::format("{}={}: the value must be a non-negative integer", key, text));
  }
  return value;
}

void run_bench(const std::string& name, const std::vector<std::string>& settings, const stdio& io) {
  if (name == "list") {
    for (const workload& w : workloads()) {
      std::string defaults;
      for (const auto& [key, value] : w.defaults) defaults += fmt::format(" {}={}", key, value);
      io.out << fmt::format("{:<16} {}:{}\n", w.name, w.summary, defaults);
    }
    return;
  }
  const workload& w = find_workload(name);
  parameters params = w.defaults;
  std::uint32_t schedulers = 0;
  for (const std::string& setting : settings) {
    const auto eq = setting.find('=');
    if (eq == std::string::npos) throw input_error(fmt::format("'{}': expected key=value", setting));
    const std::string key = setting.substr(0, eq);
    const std::int64_t value = parse_value(key, setting.substr(eq + 1));
    if (key == "schedulers") {
      schedulers = static_cast<std::uint32_t>(value);
    } else if (params.contains(key)) {
      params[key] = value;
    } else {
      throw input_error(fmt::format("{} has no parameter '{}'", w.name, key));
    }
  }
  const results measured = w.run(params, schedulers);
  const std::uint32_t shown = schedulers == 0 ? beam::default_schedulers() : schedulers;
  io.out << result_line(w, shown, params, measured) << '\n';
}

}  // namespace

void add_bench_command(CLI::App& app, command_action& action) {
  auto* bench = app.add_subcommand("bench", "Run a process benchmark (W1-W6) and print its RESULT line");
  auto name = std::make_shared<std::string>();
  auto settings = std::make_shared<std::vector<std::string>>();
  bench->add_option("workload", *name, "The workload (or 'list')")->required();
  bench->add_option("settings", *settings, "key=value overrides, and schedulers=S");
  bench->callback([&action, name, settings] {
    action = [name, settings](const stdio& io) { run_bench(*name, *settings, io); };
  });
}

}  // namespace beampp
