// tools/command.hpp: what every beampp subcommand shares.
//
// Parsing the command line and running a command are two steps: a subcommand's CLI11 callback only chooses
// the action (with its options bound), and main runs it once the whole command line is parsed, so a usage
// error never leaves a command half done. An action reports bad input by throwing input_error (exit status
// 1); usage errors are CLI11's (exit status 2).
#pragma once

#include <functional>
#include <istream>
#include <ostream>
#include <stdexcept>

namespace CLI {
class App;
}

namespace beampp {

// The streams a command reads and writes (std::cin and std::cout in the tool).
struct stdio {
  std::istream& in;
  std::ostream& out;
};

// The command chosen on the command line, ready to run.
using command_action = std::function<void(const stdio&)>;

// Adds a subcommand group to `app`; parsing one of its commands sets `action`.
using command_adder = void (*)(CLI::App& app, command_action& action);

// Bad input: the message says what is wrong and where.
class input_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace beampp
