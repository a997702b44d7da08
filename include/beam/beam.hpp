// beam/beam.hpp: all of beampp's public API.
#pragma once

#include <beam/alias.hpp>
#include <beam/async.hpp>
#include <beam/atom.hpp>
#include <beam/call.hpp>
#include <beam/convert.hpp>
#include <beam/dynamic_supervisor.hpp>
#include <beam/error.hpp>
#include <beam/etf.hpp>
#include <beam/gen_server.hpp>
#include <beam/inspect.hpp>
#include <beam/io.hpp>
#include <beam/link.hpp>
#include <beam/logger.hpp>
#include <beam/monitor.hpp>
#include <beam/parse.hpp>
#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/process_info.hpp>
#include <beam/receive.hpp>
#include <beam/reference.hpp>
#include <beam/registry.hpp>
#include <beam/runtime.hpp>
#include <beam/supervisor.hpp>
#include <beam/term.hpp>
#include <beam/timer.hpp>
