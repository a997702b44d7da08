// proc/exports.cpp: spawn/3's registry of exported C++ functions (the library's own, such as IO.puts, are
// exported by the services that implement them). Lookups take a shared lock; exports are rare and usually
// made at start-up.
#include <map>
#include <shared_mutex>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/link.hpp>
#include <beam/logger.hpp>
#include <beam/monitor.hpp>
#include <beam/process.hpp>

#include "proc/exports.hpp"
#include "proc/process_control.hpp"
#include "term/atom_table.hpp"

namespace beam {
namespace {

struct export_table {
  std::shared_mutex mutex;
  std::map<std::pair<std::uint32_t, std::uint32_t>, detail::export_entry> functions;  // mutex
};

export_table& exports() {
  static export_table* const table = new export_table();  // never destroyed: looked up until the end
  return *table;
}

// `IO` and `:"Elixir.IO"` name the same module, as an Elixir alias does.
atom elixir_module(atom module) {
  const std::string_view text = module.text();
  if (text.empty() || text.starts_with("Elixir.") || !(text[0] >= 'A' && text[0] <= 'Z')) return module;
  return atom(fmt::format("Elixir.{}", text));
}

void put_export(atom module, atom function, detail::export_entry entry) {
  export_table& t = exports();
  std::unique_lock lock(t.mutex);
  t.functions.insert_or_assign({module.index(), function.index()}, std::move(entry));
}

// The body of an exported call run by spawn: the value is dropped.
process run_call_body(exported_call call, std::vector<term> args) {
  (void)co_await call(args);
}

process undefined_function(atom module, atom function, std::size_t arity) {
  beam::log(log_level::error, fmt::format("Process {} exited: undefined function {}.{}/{}",
                                          inspect(term(self())), module.text(), function.text(), arity));
  beam::exit(term(detail::atoms::undef));
  co_return;
}

}  // namespace

namespace detail {

std::optional<export_entry> find_export(atom module, atom function) {
  export_table& t = exports();
  std::shared_lock lock(t.mutex);
  for (atom m : {module, elixir_module(module)}) {
    auto it = t.functions.find({m.index(), function.index()});
    if (it != t.functions.end()) return it->second;
  }
  return std::nullopt;
}

task<call_outcome> run_call(const exported_call& call, std::span<const term> args) {
  std::exception_ptr failure;
  try {
    term value = co_await call(args);
    co_return call_outcome{atom("return"), std::move(value)};
  } catch (...) {  // classified below: no co_await in a handler
    failure = std::current_exception();
  }
  auto [reason, crashed] = reason_of(failure);
  co_return call_outcome{crashed ? atom("error") : atom("exit"), std::move(reason)};
}

}  // namespace detail

void export_function(atom module, atom function, exported_function fn) {
  if (!fn) throw std::invalid_argument("export_function: the function is empty");
  put_export(module, function, detail::export_entry{std::move(fn), {}});
}

void export_call(atom module, atom function, exported_call call) {
  if (!call) throw std::invalid_argument("export_call: the function is empty");
  exported_function body = [call](std::span<const term> args) {
    return run_call_body(call, std::vector<term>(args.begin(), args.end()));
  };
  put_export(module, function, detail::export_entry{std::move(body), std::move(call)});
}

namespace detail {
pid spawn_mfa(const spawn_options* options, const reference* monitor, atom module, atom function,
              std::vector<term> args) {
  const export_fun mfa{module, function, static_cast<std::uint8_t>(std::min<std::size_t>(args.size(), 255))};
  std::optional<detail::export_entry> fn = detail::find_export(module, function);
  if (!fn)
    return detail::spawn_with(options, &mfa, monitor, &undefined_function, module, function, args.size());
  return detail::spawn_with(
      options, &mfa, monitor, [f = std::move(fn->body)](const std::vector<term>& a) { return f(a); },
      std::move(args));
}
}  // namespace detail

pid spawn(atom module, atom function, std::vector<term> args) {
  return detail::spawn_mfa(nullptr, nullptr, module, function, std::move(args));
}

pid spawn_link(atom module, atom function, std::vector<term> args) {
  static const spawn_options linked{.link = true};
  return detail::spawn_mfa(&linked, nullptr, module, function, std::move(args));
}

std::pair<pid, reference> spawn_monitor(atom module, atom function, std::vector<term> args) {
  reference ref = reference::make();
  const pid child = detail::spawn_mfa(nullptr, &ref, module, function, std::move(args));
  return {child, std::move(ref)};
}

}  // namespace beam
