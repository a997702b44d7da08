// tools/tour_support.hpp: what the steps of `beampp tour` share.
#pragma once

#include <beam/logger.hpp>
#include <beam/runtime.hpp>

namespace beampp {

// Runs `body` as the initial process of a fresh runtime, with reports kept off the terminal (each step says
// what it saw itself).
template <class Body>
void on_fresh_runtime(beam::runtime_options options, Body body) {
  auto previous = beam::set_logger([](beam::log_level, std::string_view) {});
  {
    beam::runtime rt(options);
    rt.run(body);
  }
  beam::set_logger(previous);
}

}  // namespace beampp
