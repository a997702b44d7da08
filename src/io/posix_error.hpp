// io/posix_error.hpp: system-call errors as Erlang names them.
#pragma once

#include <beam/atom.hpp>
#include <beam/error.hpp>

namespace beam::io_impl {

// The atom Erlang's file and socket calls give for errno value `code`: its POSIX name in lower case
// (ENOENT -> enoent); `unknown` for a value without a name. Any thread.
[[nodiscard]] atom posix_reason(int code);
// beam::error(posix_reason(code)), its text naming `operation`, `what` and the system's message.
[[nodiscard]] error posix_error(int code, std::string_view operation, std::string_view what);

}  // namespace beam::io_impl
