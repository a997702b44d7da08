// tools/beampp.cpp: the beampp command-line tool.
//
// Each subcommand group lives in its own *_command.cpp and is listed once in `command_groups`; adding one
// (tour, bench) is a new file and a line here. Exit status: 0 on success (and for --help, --version), 1 for
// bad input (the message on stderr says what and where), 2 for a usage error (CLI11's message, then a pointer
// to --help). CLI11's own exit codes (100 and up, one per kind of parse error) are folded into 2, the POSIX
// convention for usage.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_command.hpp"
#include "command.hpp"
#include "etf_command.hpp"
#include "tour_command.hpp"

namespace {

constexpr beampp::command_adder command_groups[] = {beampp::add_etf_command, beampp::add_tour_command,
                                                    beampp::add_bench_command};

constexpr int bad_input_status = 1;
constexpr int usage_status = 2;

// The message of a usage error. CLI11 checks for a missing subcommand before it checks for arguments it did
// not expect, so `beampp frob` would only say that a subcommand is required: name what it did not know
// instead.
std::string usage_message(const CLI::App* app, const CLI::Error& e) {
  std::vector<std::string> unknown = app->remaining(true);
  std::string what = unknown.empty() ? e.what() : "unknown subcommand or argument: " + unknown.front();
  return "beampp: " + what + "\nRun with --help for more information.\n";
}

// Prints what CLI11 has to say about `e` (help, version or the error) and gives the exit status.
int finish_parse(const CLI::App& app, const CLI::ParseError& e) {
  return app.exit(e) == 0 ? 0 : usage_status;
}

int run(const beampp::command_action& action) {
  try {
    action(beampp::stdio{std::cin, std::cout});
    std::cout.flush();
    if (!std::cout) throw beampp::input_error("cannot write to standard output");
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "beampp: " << e.what() << '\n';
    return bad_input_status;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  CLI::App app("beampp: Erlang's process model in C++: the tour, the benchmarks, tools for its terms.",
               "beampp");
  app.set_version_flag("--version", "beampp " BEAMPP_VERSION, "Print the version and exit");
  app.require_subcommand(1);
  app.failure_message(usage_message);

  beampp::command_action action;
  for (beampp::command_adder add : command_groups) add(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return finish_parse(app, e);
  }
  return run(action);
}
