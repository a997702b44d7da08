// expect: handle_info must be callable as handle_info\(const beam::term& message\)
// A handle_info that takes a non-const term&: not callable with the message the server holds.
#include <beam/gen_server.hpp>

namespace gs = beam::gen_server;

struct server {
  gs::handler_result handle_info(beam::term& message) {
    message = beam::term();
    return gs::noreply();
  }
};

beam::task<beam::pid> start_it() {
  return gs::start<server>();
}
