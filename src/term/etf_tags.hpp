// term/etf_tags.hpp: the tag bytes of Erlang's external term format (erts/doc/src/erl_ext_dist.xml), shared
// by the encoder (etf_encode.cpp) and the decoder (etf_decode.cpp). Not part of the public API.
#pragma once

#include <cstddef>
#include <cstdint>

namespace beam::etf {

inline constexpr std::uint8_t version = 131;

// In tag order. "Read only": the decoder accepts the form, the encoder never writes it (as OTP 25).
// "Refused": the decoder names it in its error; beampp has no value it could become.
enum tag : std::uint8_t {
  dist_header = 68,      // refused: distribution protocol only
  new_float = 70,        // IEEE 754 double, big-endian
  bit_binary = 77,       // 4-byte byte count, bits in the last byte (1..8), bytes
  compressed = 80,       // 4-byte inflated size, zlib stream; only right after the version byte
  atom_cache_ref = 82,   // refused: distribution protocol only
  new_pid = 88,          // node atom, 4-byte number, 4-byte serial, 4-byte creation
  new_port = 89,         // NEW_PORT_EXT: node atom, 4-byte number, 4-byte creation (numbers below 2^28)
  newer_reference = 90,  // 2-byte word count, node atom, 4-byte creation, words
  small_integer = 97,    // 0..255
  integer = 98,          // signed 32-bit
  float_string = 99,     // FLOAT_EXT: 31 bytes of "%.20e" text; read only
  atom_latin1 = 100,     // ATOM_EXT: 2-byte length, latin-1 bytes
  reference_old = 101,   // REFERENCE_EXT: node atom, 4-byte word, 1-byte creation; read only
  port_old = 102,        // PORT_EXT: node atom, 4-byte number, 1-byte creation; read only
  pid_old = 103,         // PID_EXT: node atom, number, serial, 1-byte creation; read only
  small_tuple = 104,     // 1-byte arity
  large_tuple = 105,     // 4-byte arity
  nil = 106,             // []
  string = 107,          // STRING_EXT: 2-byte length, bytes: a proper list of 0..255 integers
  list = 108,            // 4-byte length, elements, tail
  binary = 109,          // 4-byte length, bytes
  small_big = 110,       // 1-byte length, sign byte, little-endian magnitude
  large_big = 111,       // 4-byte length, sign byte, little-endian magnitude
  new_fun = 112,         // refused: beampp has only exported funs
  export_fun = 113,      // module atom, function atom, arity (small integer)
  new_reference = 114,   // NEW_REFERENCE_EXT: 2-byte word count, node atom, 1-byte creation, words; read only
  small_atom_latin1 = 115,  // SMALL_ATOM_EXT: 1-byte length, latin-1 bytes; read only
  map = 116,                // 4-byte arity, key and value pairs
  fun_old = 117,            // refused
  atom_utf8 = 118,          // 2-byte length, UTF-8 bytes
  small_atom_utf8 = 119,    // 1-byte length, UTF-8 bytes
  v4_port = 120,            // node atom, 8-byte number, 4-byte creation (numbers of 2^28 and above)
  local = 121,              // LOCAL_EXT: refused (private to the node that wrote it)
};

// The longest atom, in characters (as in OTP 25).
inline constexpr std::size_t max_atom_chars = 255;

}  // namespace beam::etf
