// expect: handle_call must be callable as handle_call\(const beam::term& request, const beam::term& from\)
// A handle_call without `from`: a compile error naming the signature, not a server that stops with bad_call.
#include <beam/gen_server.hpp>

namespace gs = beam::gen_server;

struct server {
  gs::call_result handle_call(const beam::term& request) { return gs::reply(request); }
};

beam::task<beam::pid> start_it() {
  return gs::start<server>();
}
