// fuzz/etf_decode_fuzzer.cpp: libFuzzer target for beam::binary_to_term on hostile bytes.
//
// Run it for 60 s (as CI does), from the repository root:
//   cmake --preset fuzz && cmake --build --preset fuzz
//   cd build/fuzz && ../../scripts/make_fuzz_corpus.sh seeds && mkdir -p corpus
//   fuzz/etf_decode_fuzzer -max_total_time=60 -max_len=4096 -timeout=10 corpus seeds
// New inputs go to corpus/; a finding leaves crash-<sha1> in build/fuzz and fails the run, and passing that
// file instead of the directories replays it.
//
// Every input is decoded with `safe` and with the default options. Either may fail, but only with
// decode_error (or beam::error system_limit once the fuzzer has filled the atom table); any other
// exception, a crash or a sanitizer report is a finding. What must hold when decoding succeeds:
// - a `safe` success implies a default success with an equal term, and after a default success (which
//   created the atoms) `safe` succeeds too;
// - the term re-encodes to bytes that decode to an equal term and re-encode to the same bytes;
// - the `used` overload agrees: it takes all the bytes exactly when the plain overload succeeds.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>

#include <beam/beam.hpp>

namespace {

// Stops the run with a message: libFuzzer records the input as a crash.
[[noreturn]] void violated(const char* property) {
  std::fprintf(stderr, "etf_decode_fuzzer: property violated: %s\n", property);
  std::abort();
}

// The term, or nothing when decoding refused the input with a decode_error or a full atom table.
std::optional<beam::term> try_decode(std::span<const std::uint8_t> bytes,
                                     const beam::decode_options& options) {
  try {
    return beam::binary_to_term(bytes, options);
  } catch (const beam::decode_error&) {
    return std::nullopt;
  } catch (const beam::error& e) {
    if (!e.reason().is_atom(beam::atom("system_limit"))) throw;
    return std::nullopt;
  }
}

void check_canonical(const beam::term& t) {
  const auto etf = beam::term_to_binary(t);
  const auto back = try_decode(etf, {});
  if (!back) violated("the encoding of a decoded term decodes");
  if (!(*back == t)) violated("the encoding of a decoded term decodes to an equal term");
  if (beam::term_to_binary(*back) != etf) violated("re-encoding gives the same bytes");
}

void check_used(std::span<const std::uint8_t> bytes, const std::optional<beam::term>& whole) {
  std::size_t used = 0;
  try {
    const beam::term front = beam::binary_to_term(bytes, used);
    if (used > bytes.size()) violated("used is at most the input's size");
    if (whole.has_value() != (used == bytes.size())) {
      violated("a term with no trailing bytes decodes as a whole");
    }
    if (whole && !(*whole == front)) violated("both overloads give the same term");
  } catch (const beam::decode_error&) {
    if (whole) violated("the used overload accepts what the plain one accepts");
  } catch (const beam::error& e) {
    if (!e.reason().is_atom(beam::atom("system_limit"))) throw;
  }
}

}  // namespace

// The atom table keeps every atom the inputs create: a limit of 100,000 more than at start keeps the run's
// memory flat (past it, new atoms are refused with system_limit, which the properties allow).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  beam::set_atom_limit(beam::atom_table_stats().count + 100'000);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  beam::decode_options safe;
  safe.safe = true;
  const auto safe_term = try_decode(bytes, safe);
  const auto term = try_decode(bytes, {});
  if (safe_term && !term) violated("what decodes with safe decodes without");
  if (safe_term && !(*safe_term == *term)) violated("safe and default decoding agree");
  check_used(bytes, term);
  if (!term) return 0;
  if (!try_decode(bytes, safe)) violated("safe accepts a term once its atoms exist");
  check_canonical(*term);
  return 0;
}
