// expect: terminate must be callable as terminate\(const beam::term& reason\)
// A terminate written as OTP's terminate(Reason, State).
#include <beam/gen_server.hpp>

namespace gs = beam::gen_server;

struct server {
  void terminate(const beam::term& reason, const beam::term& state);
};

beam::task<beam::pid> start_it() {
  return gs::start<server>();
}
