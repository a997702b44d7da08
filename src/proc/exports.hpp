// proc/exports.hpp: the registry of exported C++ functions (spawn/3's export_function and export_call), as
// other parts of the library look it up: distribution's remote spawn and its erpc:execute_call/4.
#pragma once

#include <optional>
#include <span>
#include <utility>
#include <vector>

#include <beam/atom.hpp>
#include <beam/export_call.hpp>
#include <beam/process.hpp>
#include <beam/reference.hpp>
#include <beam/term.hpp>

namespace beam::detail {

// One export: a process body (export_function), or a call with a value (export_call), whose body runs the
// call and drops the value.
struct export_entry {
  exported_function body;
  exported_call call;  // empty for export_function
};

// The export named module:function (an Elixir alias `IO` also finds `Elixir.IO`). Any thread.
[[nodiscard]] std::optional<export_entry> find_export(atom module, atom function);

// spawn/3 with spawn_link's `options` and spawn_monitor's `monitor` (the caller's reference), either may be
// nullptr. Process-only when either is given.
pid spawn_mfa(const spawn_options* options, const reference* monitor, atom module, atom function,
              std::vector<term> args);

// How a call ended, as erpc:execute_call/4 classifies it: `return` (value: the result), `error` (value: the
// reason: a beam::error's, or the exit reason of another exception) or `exit` (value: beam::exit's reason).
struct call_outcome {
  atom kind;
  term value;
};
// Runs `call` in the calling process and classifies how it ended. Process-only.
task<call_outcome> run_call(const exported_call& call, std::span<const term> args);

// The exit reason for what a body threw, and whether it is a crash to report (beam::exit: false).
[[nodiscard]] std::pair<term, bool> reason_of(const std::exception_ptr& e);

}  // namespace beam::detail
