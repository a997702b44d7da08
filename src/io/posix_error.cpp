#include "io/posix_error.hpp"

#include <cctype>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include <beam/term.hpp>

namespace beam::io_impl {

atom posix_reason(int code) {
  const char* name = strerrorname_np(code);
  if (name == nullptr) return atom("unknown");
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return atom(lower);
}

error posix_error(int code, std::string_view operation, std::string_view what) {
  const atom reason = posix_reason(code);
  return error(term(reason),
               fmt::format("{} {}: {} ({})", operation, what, reason.text(), strerrordesc_np(code)));
}

}  // namespace beam::io_impl
