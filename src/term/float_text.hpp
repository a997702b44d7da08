// term/float_text.hpp: floats as Erlang and Elixir print them.
//
// Both start from the shortest decimal digits that read back as the same double (what std::to_chars gives,
// and what OTP's float_to_list(F, [short]) computes with Ryu); they differ in where the point goes.
#pragma once

#include <string>

namespace beam::float_text {

// Erlang's io_lib_format:fwrite_g/1 (float_to_list(F, [short])): plain decimal notation unless scientific
// notation is shorter, e.g. 100.0 but 1.0e3, 0.0001 but 1.0e-5.
[[nodiscard]] std::string erlang(double value);

// Elixir's Inspect.Float: integral values with 1 <= |v| < 1.0e16 as an integer with ".0"
// (1000000000000000.0), everything else as Erlang writes it (1.0e16, 0.1, 1.0e-5).
[[nodiscard]] std::string elixir(double value);

}  // namespace beam::float_text
