// expect: handle_cast must be callable as handle_cast\(const beam::term& message\) and return gen_server::handler_result
// A handle_cast that replies: OTP would stop with {bad_return_value, Reply}; here it does not compile.
#include <beam/gen_server.hpp>

namespace gs = beam::gen_server;

struct server {
  gs::call_result handle_cast(const beam::term& message) { return gs::reply(message); }
};

beam::task<beam::pid> start_it() {
  return gs::start<server>();
}
