// expect: the server type has a code_change, which beampp never calls
// A code_change: beampp has no hot code upgrade, so it would silently never run.
#include <beam/gen_server.hpp>

namespace gs = beam::gen_server;

struct server {
  gs::init_result code_change(const beam::term& old_vsn, const beam::term& extra);
};

beam::task<beam::pid> start_it() {
  return gs::start<server>();
}
