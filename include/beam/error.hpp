// beam/error.hpp: the exceptions of beampp.
//
// beam::error carries an Erlang exit reason (a term), as `erlang:error(Reason)` does: `system_limit`,
// `badarg`, `undef`... The other classes name misuse of one API (a wrong-kind term access, malformed text,
// bad ETF bytes).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

namespace beam {

class term;

// An Erlang error: what `erlang:error(Reason)` raises. `reason()` is the term, `what()` says it in words.
class error : public std::runtime_error {
 public:
  error(const term& reason, const std::string& what);
  explicit error(const term& reason);

  [[nodiscard]] const term& reason() const noexcept { return *reason_; }

 private:
  std::shared_ptr<const term> reason_;  // shared: exceptions must be nothrow-copyable
};

}  // namespace beam
