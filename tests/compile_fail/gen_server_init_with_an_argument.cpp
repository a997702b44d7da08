// expect: init must be callable as init\(\) and return gen_server::init_result
// An init taking OTP's Args: in C++ the start arguments go to the constructor.
#include <beam/gen_server.hpp>

namespace gs = beam::gen_server;

struct server {
  gs::init_result init(const beam::term& /*args*/) { return gs::ok(); }
};

beam::task<beam::pid> start_it() {
  return gs::start<server>();
}
