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

#include "proc/process_control.hpp"
#include "term/atom_table.hpp"

namespace beam {
namespace {

struct export_table {
  std::shared_mutex mutex;
  std::map<std::pair<std::uint32_t, std::uint32_t>, exported_function> functions;  // mutex
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

std::optional<exported_function> lookup(atom module, atom function) {
  export_table& t = exports();
  std::shared_lock lock(t.mutex);
  for (atom m : {module, elixir_module(module)}) {
    auto it = t.functions.find({m.index(), function.index()});
    if (it != t.functions.end()) return it->second;
  }
  return std::nullopt;
}

process undefined_function(atom module, atom function, std::size_t arity) {
  beam::log(log_level::error, fmt::format("Process {} exited: undefined function {}.{}/{}",
                                          inspect(term(self())), module.text(), function.text(), arity));
  beam::exit(term(detail::atoms::undef));
  co_return;
}

}  // namespace

void export_function(atom module, atom function, exported_function fn) {
  if (!fn) throw std::invalid_argument("export_function: the function is empty");
  export_table& t = exports();
  std::unique_lock lock(t.mutex);
  t.functions.insert_or_assign({module.index(), function.index()}, std::move(fn));
}

namespace {
// spawn/3 and its linked (`options`) and monitored (`monitor`: the caller's reference) forms.
pid spawn_mfa(const spawn_options* options, const reference* monitor, atom module, atom function,
              std::vector<term> args) {
  const export_fun mfa{module, function, static_cast<std::uint8_t>(std::min<std::size_t>(args.size(), 255))};
  std::optional<exported_function> fn = lookup(module, function);
  if (!fn)
    return detail::spawn_with(options, &mfa, monitor, &undefined_function, module, function, args.size());
  return detail::spawn_with(
      options, &mfa, monitor, [f = std::move(*fn)](const std::vector<term>& a) { return f(a); },
      std::move(args));
}
}  // namespace

pid spawn(atom module, atom function, std::vector<term> args) {
  return spawn_mfa(nullptr, nullptr, module, function, std::move(args));
}

pid spawn_link(atom module, atom function, std::vector<term> args) {
  static const spawn_options linked{.link = true};
  return spawn_mfa(&linked, nullptr, module, function, std::move(args));
}

std::pair<pid, reference> spawn_monitor(atom module, atom function, std::vector<term> args) {
  reference ref = reference::make();
  const pid child = spawn_mfa(nullptr, &ref, module, function, std::move(args));
  return {child, std::move(ref)};
}

}  // namespace beam
