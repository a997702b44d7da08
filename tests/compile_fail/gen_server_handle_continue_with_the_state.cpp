// expect: handle_continue must be callable as handle_continue\(const beam::term& value\)
// A handle_continue written as OTP's handle_continue(Continue, State): the state is the object itself.
#include <beam/gen_server.hpp>

namespace gs = beam::gen_server;

struct server {
  gs::handler_result handle_continue(const beam::term& value, const beam::term& state);
};

beam::task<beam::pid> start_it() {
  return gs::start<server>();
}
