// fuzz/dist_frame_fuzzer.cpp: libFuzzer target for what a distribution peer sends: a frame body after the
// handshake (dist/frames.hpp's decode_frame) and each handshake packet (dist/handshake.hpp's parsers).
//
// Run it for 60 s, from the repository root:
//   cmake --preset fuzz && cmake --build --preset fuzz --target dist_frame_fuzzer
//   cd build/fuzz && mkdir -p dist_corpus && fuzz/dist_frame_fuzzer -max_total_time=60 -max_len=4096
//   dist_corpus
//
// Every input is given to the frame decoder and to every handshake parser. Each may refuse it, but only
// with frame_error or handshake_error (or beam::error system_limit once the atom table is full); any other
// exception, a crash or a sanitizer report is a finding. A frame that decodes must re-encode to a frame
// that decodes to the same control and message terms.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

#include <beam/beam.hpp>

#include "dist/frames.hpp"
#include "dist/handshake.hpp"

namespace {

[[noreturn]] void violated(const char* property) {
  std::fprintf(stderr, "dist_frame_fuzzer: property violated: %s\n", property);
  std::abort();
}

void check_frame(std::span<const std::uint8_t> bytes) {
  namespace di = beam::dist_impl;
  di::frame f;
  try {
    f = di::decode_frame(bytes);
  } catch (const di::frame_error&) {
    return;
  } catch (const beam::error&) {  // system_limit: the fuzzer filled the atom table
    return;
  }
  const std::string again = di::encode_frame(f.control, f.message ? &*f.message : nullptr);
  const di::frame g =
      di::decode_frame(std::span(reinterpret_cast<const std::uint8_t*>(again.data()), again.size()));
  if (g.control != f.control) violated("control term changed by a round trip");
  if (g.message.has_value() != f.message.has_value() || (g.message && *g.message != *f.message)) {
    violated("message term changed by a round trip");
  }
}

template <class Parse>
void check_packet(std::string_view packet, Parse parse) {
  try {
    (void)parse(packet);
  } catch (const beam::dist_impl::handshake_error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace di = beam::dist_impl;
  const std::span<const std::uint8_t> bytes(data, size);
  check_frame(bytes);
  const std::string_view packet(reinterpret_cast<const char*>(data), size);
  check_packet(packet, di::parse_send_name);
  check_packet(packet, di::parse_status);
  check_packet(packet, di::parse_challenge);
  check_packet(packet, di::parse_challenge_reply);
  check_packet(packet, di::parse_challenge_ack);
  return 0;
}
