// expect: handle_cast must be callable as handle_cast\(const beam::term& message\)
// A handle_cast inherited from a base, with an int argument: found by name, through the base, all the same.
#include <beam/gen_server.hpp>

namespace gs = beam::gen_server;

struct base {
  gs::handler_result handle_cast(int message);
};
struct server : base {};

beam::task<beam::pid> start_it() {
  return gs::start<server>();
}
