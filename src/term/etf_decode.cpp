// term/etf_decode.cpp: binary_to_term, for input that may be hostile.
//
// Design. A recursive-descent reader over the byte span builds each term in place: as soon as a tuple, list
// or map header is read, the node is allocated at its final size and the elements are decoded straight into
// it (node_filler), so no element is ever copied through a temporary vector. Leaves are built directly from
// the input bytes: binaries and big integers with one copy into their node, atoms from this thread's cache
// of recently decoded ETF forms (etf_atom_cache.hpp), else by a lock-free lookup in the atom table.
//
// Bounds, because the input is hostile:
// - Stack: one recursion per nesting level, refused past decode_options::max_depth.
// - Memory: nothing is allocated on the strength of a length field alone. Every element takes at least one
//   input byte, so a header that claims more elements than bytes remain is refused before its node is
//   allocated; and so that nested headers cannot each claim the same remaining bytes, `reserved_` counts the
//   elements that enclosing containers still wait for, which the bytes left must also cover. The nodes open
//   at any moment therefore hold at most one element slot per input byte. With the nodes of the elements
//   themselves (the worst is a list of empty tuples, two bytes each) a decode never holds more than 32 bytes
//   of memory per input byte, malloc's rounding included; etf_test measures it on the worst inputs.
// - Compressed terms: the size field is checked against max_uncompressed_size first; the zlib stream is
//   inflated into a buffer that grows with the bytes actually produced and never past the claimed size plus
//   one byte, so a lying size field is caught as soon as it is exceeded, and a zip bomb stops at the cap.
// - Lists whose tail is itself a LIST_EXT or STRING_EXT (OTP never writes one, but it is a valid term) are
//   the same list: their segments are read in a loop and flattened once, so a long chain costs neither depth
//   nor quadratic copying.
//
// Rejected: an explicit stack of partial containers instead of recursion (it needs an intermediate value
// stack, so every element is moved twice; recursion bounded by max_depth is as safe); decoding elements into
// a std::vector and building the node from it (one more copy of every element); trusting element counts (a
// list claiming 2^32 elements in 10 bytes would allocate 64 GiB before failing).
#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <zlib.h>

#include <beam/etf.hpp>

#include "base/utf8.hpp"
#include "term/etf_atom_cache.hpp"
#include "term/etf_tags.hpp"
#include "term/heap.hpp"

namespace beam {

using detail::term_access;

decode_error::decode_error(std::size_t offset, const std::string& reason)
    : std::runtime_error(fmt::format("binary_to_term: {} (at byte {})", reason, offset)), offset_(offset) {}

namespace {

// "1 byte", "2 bytes".
std::string byte_count(std::uint64_t n) {
  return fmt::format("{} byte{}", n, n == 1 ? "" : "s");
}

// Big-endian loads, written so that compilers emit one load and a byte swap.
std::uint32_t load_be16(const std::uint8_t* at) noexcept {
  return std::uint32_t{at[0]} << 8 | at[1];
}
std::uint32_t load_be32(const std::uint8_t* at) noexcept {
  return std::uint32_t{at[0]} << 24 | std::uint32_t{at[1]} << 16 | std::uint32_t{at[2]} << 8 | at[3];
}
std::uint64_t load_be64(const std::uint8_t* at) noexcept {
  return std::uint64_t{load_be32(at)} << 32 | load_be32(at + 4);
}

bool is_atom_tag(std::uint8_t t) noexcept {
  return t == etf::atom_latin1 || t == etf::small_atom_latin1 || t == etf::atom_utf8 ||
         t == etf::small_atom_utf8;
}

// A tuple, list or map node filled in place as its elements are decoded. Until finish(), the node's size
// counts only the elements constructed so far, so that when decoding throws, the destructor frees exactly
// those.
template <class Node, class Elem>
class node_filler {
 public:
  template <class... Args>
  explicit node_filler(std::uint32_t capacity, Args&&... args)
      : node_(detail::allocate_node<Node, Elem>(capacity, capacity, std::forward<Args>(args)...)) {
    node_->size = 0;
  }
  node_filler(node_filler&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
  node_filler(const node_filler&) = delete;
  node_filler& operator=(const node_filler&) = delete;
  ~node_filler() {
    if (node_ != nullptr) detail::destroy(node_);
  }

  void push(Elem&& e) noexcept {
    new (detail::trailing<Elem>(node_) + node_->size) Elem(std::move(e));
    ++node_->size;
  }
  [[nodiscard]] std::span<Elem> elements() noexcept { return {detail::trailing<Elem>(node_), node_->size}; }
  [[nodiscard]] Node& node() noexcept { return *node_; }
  // The term of the node, which must be full.
  [[nodiscard]] term finish() noexcept { return term_access::adopt(std::exchange(node_, nullptr)); }

 private:
  Node* node_;
};

using tuple_filler = node_filler<detail::tuple_node, term>;
using list_filler = node_filler<detail::list_node, term>;
using map_filler = node_filler<detail::map_node, map_entry>;

class decoder {
 public:
  // `where` ends every error message: empty, or says that offsets are in the inflated bytes of a compressed
  // term.
  decoder(std::span<const std::uint8_t> bytes, const decode_options& options, std::string_view where) noexcept
      : begin_(bytes.data()),
        at_(bytes.data()),
        end_(bytes.data() + bytes.size()),
        options_(options),
        where_(where),
        atoms_(etf::atom_cache::local()) {}

  // The term at the cursor, which is at nesting level `depth`.
  term any(std::size_t depth);

  void skip_version() noexcept { ++at_; }
  // Refuses bytes after the term.
  void expect_end() const {
    if (left() > 0) fail_at(at_, fmt::format("{} after the term", byte_count(left())));
  }
  [[nodiscard]] std::size_t position() const noexcept { return static_cast<std::size_t>(at_ - begin_); }
  [[nodiscard]] std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - at_); }
  [[noreturn]] void fail_at(const std::uint8_t* at, const std::string& reason) const {
    throw decode_error(static_cast<std::size_t>(at - begin_), fmt::format("{}{}", reason, where_));
  }

 private:
  // The next `n` bytes, which `what` needs; the cursor moves past them.
  const std::uint8_t* take(std::size_t n, const char* what) {
    if (left() < n) truncated(n, what);
    const std::uint8_t* at = at_;
    at_ += n;
    return at;
  }
  [[noreturn, gnu::cold, gnu::noinline]] void truncated(std::size_t n, const char* what) const {
    fail_at(at_, fmt::format("truncated: {} needs {}, {} left", what, byte_count(n), left()));
  }
  std::uint8_t u8(const char* what) { return *take(1, what); }
  std::uint32_t u16(const char* what) { return load_be16(take(2, what)); }
  std::uint32_t u32(const char* what) { return load_be32(take(4, what)); }
  std::uint64_t u64(const char* what) { return load_be64(take(8, what)); }

  // A container at `start` opens one nesting level below `depth`...
  void nest(std::size_t depth, const std::uint8_t* start) const {
    if (depth >= options_.max_depth) {
      fail_at(start, fmt::format("nesting deeper than max_depth ({})", options_.max_depth));
    }
  }
  // ...and claims `slots` elements, each of which needs at least one of the bytes left. `what` describes the
  // container, a format string of its element count.
  void claim(std::uint64_t slots, const std::uint8_t* start, const char* what, std::uint32_t count) {
    if (slots + reserved_ > left()) overclaimed(slots, start, what, count);
    reserved_ += slots;
  }
  [[noreturn, gnu::cold, gnu::noinline]] void overclaimed(std::uint64_t slots, const std::uint8_t* start,
                                                          const char* what, std::uint32_t count) const {
    fail_at(start,
            fmt::format("{} needs at least {} more, only {} left", fmt::format(fmt::runtime(what), count),
                        byte_count(slots), left() > reserved_ ? left() - reserved_ : 0));
  }
  // One of the claimed elements.
  term element(std::size_t depth) {
    --reserved_;
    return any(depth);
  }

  term tuple(std::uint32_t arity, std::size_t depth, const std::uint8_t* start);
  term list(std::size_t depth, const std::uint8_t* start);
  term list_tail(std::vector<list_filler>& segments, std::span<const std::uint8_t>& string_tail,
                 std::size_t depth);
  term string();
  term map(std::size_t depth, const std::uint8_t* start);
  void order_keys(std::span<map_entry> entries, const std::uint8_t* start) const;
  term new_float(const std::uint8_t* start);
  term float_string(const std::uint8_t* start);
  term big(std::uint8_t t);
  term bit_binary(const std::uint8_t* start);
  atom atom_text(std::uint8_t t, const std::uint8_t* start);
  atom atom_from_text(std::uint8_t t, std::string_view text, const std::uint8_t* start);
  atom intern(std::string_view text, const std::uint8_t* start) const;
  atom atom_of(const char* what);
  std::uint32_t creation(bool old, const std::uint8_t* start);
  term pid_term(std::uint8_t t, const std::uint8_t* start);
  term port_term(std::uint8_t t, const std::uint8_t* start);
  term reference_term(std::uint8_t t, const std::uint8_t* start);
  term export_term();
  [[noreturn]] void unsupported(std::uint8_t t, const std::uint8_t* start) const;

  const std::uint8_t* begin_;
  const std::uint8_t* at_;
  const std::uint8_t* end_;
  // Elements that the open containers still expect, each needing at least one of the bytes left.
  std::uint64_t reserved_ = 0;
  const decode_options& options_;
  std::string_view where_;
  etf::atom_cache& atoms_;
};

term decoder::any(std::size_t depth) {
  const std::uint8_t* start = at_;
  const std::uint8_t t = u8("a term");
  switch (t) {
    case etf::small_integer:
      return term(std::int64_t{u8("SMALL_INTEGER_EXT")});
    case etf::integer:
      return term(static_cast<std::int32_t>(u32("INTEGER_EXT")));
    case etf::new_float:
      return new_float(start);
    case etf::float_string:
      return float_string(start);
    case etf::atom_latin1:
    case etf::small_atom_latin1:
    case etf::atom_utf8:
    case etf::small_atom_utf8:
      return term(atom_text(t, start));
    case etf::small_tuple:
      return tuple(u8("SMALL_TUPLE_EXT"), depth, start);
    case etf::large_tuple:
      return tuple(u32("LARGE_TUPLE_EXT"), depth, start);
    case etf::nil:
      return term();
    case etf::string:
      return string();
    case etf::list:
      return list(depth, start);
    case etf::binary: {
      const std::uint32_t size = u32("BINARY_EXT");
      return binary(std::span<const std::uint8_t>(take(size, "BINARY_EXT's bytes"), size));
    }
    case etf::bit_binary:
      return bit_binary(start);
    case etf::small_big:
    case etf::large_big:
      return big(t);
    case etf::map:
      return map(depth, start);
    case etf::new_pid:
    case etf::pid_old:
      return pid_term(t, start);
    case etf::new_port:
    case etf::v4_port:
    case etf::port_old:
      return port_term(t, start);
    case etf::newer_reference:
    case etf::new_reference:
    case etf::reference_old:
      return reference_term(t, start);
    case etf::export_fun:
      return export_term();
    default:
      unsupported(t, start);
  }
}

term decoder::tuple(std::uint32_t arity, std::size_t depth, const std::uint8_t* start) {
  nest(depth, start);
  claim(arity, start, "a tuple of {} elements", arity);
  tuple_filler filler(arity);
  for (std::uint32_t i = 0; i < arity; ++i) filler.push(element(depth + 1));
  return filler.finish();
}

// LIST_EXT. The elements go straight into a node of their number. A tail that continues the list (see the
// design note) leaves its LIST_EXT segments in nodes of their own and a final STRING_EXT as its bytes; then
// everything moves into one node of the whole length, so that no element is ever held more than twice.
term decoder::list(std::size_t depth, const std::uint8_t* start) {
  const std::uint32_t length = u32("LIST_EXT");
  nest(depth, start);
  claim(std::uint64_t{length} + 1, start, "a list of {} elements", length);
  list_filler first(length, term());
  for (std::uint32_t i = 0; i < length; ++i) first.push(element(depth + 1));
  std::vector<list_filler> segments;
  std::span<const std::uint8_t> string_tail;
  term tail = list_tail(segments, string_tail, depth + 1);
  std::uint64_t total = std::uint64_t{length} + string_tail.size();
  for (auto& segment : segments) total += segment.elements().size();
  if (total == 0) return tail;  // [] ++ Tail, as OTP reads a LIST_EXT of no elements
  if (total == length) {
    first.node().tail = std::move(tail);
    return first.finish();
  }
  if (total > UINT32_MAX) fail_at(start, "a list of more than 2^32-1 elements");
  list_filler whole(static_cast<std::uint32_t>(total), std::move(tail));
  for (term& e : first.elements()) whole.push(std::move(e));
  for (auto& segment : segments) {
    for (term& e : segment.elements()) whole.push(std::move(e));
  }
  for (std::uint8_t byte : string_tail) whole.push(term(std::int64_t{byte}));
  return whole.finish();
}

// The tail of a list. A LIST_EXT continues the list: its elements go to a new segment and its own tail is
// read in turn; a STRING_EXT ends it, its bytes left in `string_tail`; anything else is the tail.
term decoder::list_tail(std::vector<list_filler>& segments, std::span<const std::uint8_t>& string_tail,
                        std::size_t depth) {
  for (;;) {
    --reserved_;  // the tail's slot, claimed with the list
    const std::uint8_t* start = at_;
    const std::uint8_t t = left() > 0 ? *at_ : 0;
    if (t == etf::string) {
      ++at_;
      const std::uint32_t length = u16("STRING_EXT");
      string_tail = std::span<const std::uint8_t>(take(length, "STRING_EXT's bytes"), length);
      return term();
    }
    if (t != etf::list) return any(depth);
    ++at_;
    const std::uint32_t length = u32("LIST_EXT");
    claim(std::uint64_t{length} + 1, start, "a list of {} elements", length);
    list_filler& segment = segments.emplace_back(length, term());
    for (std::uint32_t i = 0; i < length; ++i) segment.push(element(depth));
  }
}

term decoder::string() {
  const std::uint32_t length = u16("STRING_EXT");
  const std::uint8_t* bytes = take(length, "STRING_EXT's bytes");
  if (length == 0) return term();
  list_filler filler(length, term());
  for (std::uint32_t i = 0; i < length; ++i) filler.push(term(std::int64_t{bytes[i]}));
  return filler.finish();
}

term decoder::map(std::size_t depth, const std::uint8_t* start) {
  const std::uint32_t arity = u32("MAP_EXT");
  nest(depth, start);
  claim(std::uint64_t{arity} * 2, start, "a map of {} entries", arity);
  map_filler filler(arity);
  for (std::uint32_t i = 0; i < arity; ++i) {
    term key = element(depth + 1);
    term value = element(depth + 1);
    filler.push(map_entry(std::move(key), std::move(value)));
  }
  order_keys(filler.elements(), start);
  return filler.finish();
}

// Puts the entries in map key order (OTP writes maps of more than 32 keys in its hash order) and refuses a
// duplicate.
void decoder::order_keys(std::span<map_entry> entries, const std::uint8_t* start) const {
  const auto key_less = [](const map_entry& a, const map_entry& b) {
    return compare_exact(a.first, b.first) < 0;
  };
  bool sorted = true;
  for (std::size_t i = 1; i < entries.size() && sorted; ++i) sorted = key_less(entries[i - 1], entries[i]);
  if (sorted) return;  // strictly increasing: no duplicate either
  std::sort(entries.begin(), entries.end(), key_less);
  const auto same_key = [](const map_entry& a, const map_entry& b) {
    return compare_exact(a.first, b.first) == 0;
  };
  if (std::adjacent_find(entries.begin(), entries.end(), same_key) != entries.end()) {
    fail_at(start, "a map with a duplicate key (Erlang refuses them)");
  }
}

term decoder::new_float(const std::uint8_t* start) {
  const double value = std::bit_cast<double>(load_be64(take(8, "NEW_FLOAT_EXT")));
  if (!std::isfinite(value)) fail_at(start, "a NaN or infinite float (Erlang has neither)");
  return term(value);
}

// FLOAT_EXT: 31 bytes of "%.20e" text, padded with NULs. Like OTP, only plain decimal text with a point is
// read.
term decoder::float_string(const std::uint8_t* start) {
  const char* text = reinterpret_cast<const char*>(take(31, "FLOAT_EXT"));
  const char* last = std::find(text, text + 31, '\0');
  double value = 0;
  const auto [end, ec] = std::from_chars(text, last, value, std::chars_format::general);
  if (ec != std::errc() || end != last || std::find(text, last, '.') == last || !std::isfinite(value)) {
    fail_at(start, "a FLOAT_EXT whose text is not a finite decimal float");
  }
  return term(value);
}

// SMALL_BIG_EXT or LARGE_BIG_EXT, normalised: leading zero bytes dropped, small when it fits in 64 bits.
term decoder::big(std::uint8_t t) {
  const char* name = t == etf::small_big ? "SMALL_BIG_EXT" : "LARGE_BIG_EXT";
  const std::uint32_t size = t == etf::small_big ? u8(name) : u32(name);
  const bool negative = u8(name) != 0;
  return make_integer(negative, std::span<const std::uint8_t>(take(size, "a big integer's digits"), size));
}

term decoder::bit_binary(const std::uint8_t* start) {
  const std::uint32_t size = u32("BIT_BINARY_EXT");
  const std::uint8_t last_bits = u8("BIT_BINARY_EXT");
  if (size == 0 ? last_bits != 0 : last_bits < 1 || last_bits > 8) {
    fail_at(start,
            fmt::format("a BIT_BINARY_EXT of {} bytes with {} bits in its last byte", size, last_bits));
  }
  const std::uint8_t* bytes = take(size, "BIT_BINARY_EXT's bytes");
  const std::uint64_t bits = size == 0 ? 0 : (std::uint64_t{size} - 1) * 8 + last_bits;
  return bitstring(std::span<const std::uint8_t>(bytes, size), bits);
}

// The atom of tag `t` at `start`: from this thread's cache when it was decoded recently.
atom decoder::atom_text(std::uint8_t t, const std::uint8_t* start) {
  const bool small = t == etf::small_atom_latin1 || t == etf::small_atom_utf8;
  const std::uint32_t size = small ? u8("an atom") : u16("an atom");
  const std::string_view text(reinterpret_cast<const char*>(take(size, "an atom's text")), size);
  const std::span<const std::uint8_t> form(start, at_);
  if (auto cached = atoms_.decoded(form)) return *cached;
  const atom a = atom_from_text(t, text, start);
  atoms_.remember_decoded(form, a);
  return a;
}

// The atom of `bytes`, the text of an atom of tag `t`, interned. Latin-1 text is converted to UTF-8 (at most
// two bytes a character).
atom decoder::atom_from_text(std::uint8_t t, std::string_view bytes, const std::uint8_t* start) {
  const std::size_t size = bytes.size();
  if (t == etf::atom_utf8 || t == etf::small_atom_utf8) {
    if (auto found = atom::existing(bytes)) return *found;  // an atom in the table is valid: no need to check
    if (!utf8::valid(bytes)) fail_at(start, "an atom whose text is not valid UTF-8");
    if (utf8::length(bytes) > etf::max_atom_chars) {
      fail_at(start, fmt::format("an atom of {} characters (the limit is {})", utf8::length(bytes),
                                 etf::max_atom_chars));
    }
    return intern(bytes, start);
  }
  if (size > etf::max_atom_chars) {
    fail_at(start, fmt::format("an atom of {} characters (the limit is {})", size, etf::max_atom_chars));
  }
  if (std::all_of(bytes.begin(), bytes.end(), [](char c) { return static_cast<std::uint8_t>(c) < 0x80; })) {
    return intern(bytes, start);
  }
  std::array<char, 2 * etf::max_atom_chars> buffer;
  std::size_t n = 0;
  for (char c : bytes) {
    const auto b = static_cast<std::uint8_t>(c);
    if (b < 0x80) {
      buffer[n++] = c;
    } else {
      buffer[n++] = static_cast<char>(0xC0 | b >> 6);
      buffer[n++] = static_cast<char>(0x80 | (b & 0x3F));
    }
  }
  return intern(std::string_view(buffer.data(), n), start);
}

// The atom of valid UTF-8 `text` of at most 255 characters; under `safe`, only if it exists.
atom decoder::intern(std::string_view text, const std::uint8_t* start) const {
  if (auto found = atom::existing(text)) return *found;
  if (options_.safe) {
    fail_at(start, fmt::format("the atom '{}' does not exist and `safe` forbids creating it", text));
  }
  return atom(text);  // a full atom table throws beam::error(system_limit), as in OTP
}

// An atom in any of the atom forms: the node of a pid or reference, the module or function of an export.
atom decoder::atom_of(const char* what) {
  const std::uint8_t* start = at_;
  const std::uint8_t t = u8(what);
  if (!is_atom_tag(t)) fail_at(start, fmt::format("{} is not an atom (tag {})", what, t));
  return atom_text(t, start);
}

// A creation: 4 bytes, or 1 byte of which only 2 bits may be set in the old PID_EXT, PORT_EXT and reference
// forms.
std::uint32_t decoder::creation(bool old, const std::uint8_t* start) {
  if (!old) return u32("a creation");
  const std::uint8_t value = u8("a creation");
  if (value > 3) {
    fail_at(start, fmt::format("creation {} in an old pid or reference form (at most 3)", value));
  }
  return value;
}

term decoder::pid_term(std::uint8_t t, const std::uint8_t* start) {
  const atom node = atom_of("a pid's node");
  const std::uint32_t number = u32("a pid's number");
  const std::uint32_t serial = u32("a pid's serial");
  return term(pid(node_id{node, creation(t == etf::pid_old, start)}, number, serial));
}

// PORT_EXT (28 significant bits of number, 1-byte creation), NEW_PORT_EXT (4-byte number) or V4_PORT_EXT
// (8-byte number).
term decoder::port_term(std::uint8_t t, const std::uint8_t* start) {
  const atom node = atom_of("a port's node");
  const std::uint64_t number = t == etf::v4_port ? u64("a port's number") : u32("a port's number");
  return term(port(node_id{node, creation(t == etf::port_old, start)}, number));
}

term decoder::reference_term(std::uint8_t t, const std::uint8_t* start) {
  const std::uint32_t count = t == etf::reference_old ? 1 : u16("a reference's length");
  const atom node = atom_of("a reference's node");
  if (count == 0 || count > reference::max_words) {
    fail_at(start, fmt::format("a reference of {} words (it has 1 to {})", count, reference::max_words));
  }
  std::array<std::uint32_t, reference::max_words> words{};
  std::uint32_t node_creation = 0;
  if (t == etf::reference_old) {
    words[0] = u32("a reference's word");
    node_creation = creation(true, start);
  } else {
    node_creation = creation(t == etf::new_reference, start);
    for (std::uint32_t i = 0; i < count; ++i) words[i] = u32("a reference's word");
  }
  const node_id from{node, node_creation};
  // OTP pads this node's short references (old forms) to the three words of its own references.
  const std::uint32_t kept = from == this_node() ? std::max<std::uint32_t>(count, 3) : count;
  return term(reference(from, std::span<const std::uint32_t>(words.data(), kept)));
}

term decoder::export_term() {
  const atom module = atom_of("an export's module");
  const atom function = atom_of("an export's function");
  const std::uint8_t* arity_at = at_;
  const std::uint8_t t = u8("an export's arity");
  std::int64_t arity = -1;
  if (t == etf::small_integer) arity = u8("an export's arity");
  if (t == etf::integer) arity = static_cast<std::int32_t>(u32("an export's arity"));
  if (arity < 0 || arity > 255) fail_at(arity_at, "an export's arity is not an integer in 0..255");
  return term(export_fun{module, function, static_cast<std::uint8_t>(arity)});
}

void decoder::unsupported(std::uint8_t t, const std::uint8_t* start) const {
  switch (t) {
    case etf::new_fun:
    case etf::fun_old:
      fail_at(start, fmt::format("a closure (tag {}): beampp has only exported funs", t));
    case etf::atom_cache_ref:
    case etf::dist_header:
      fail_at(start, fmt::format("tag {} belongs to the distribution protocol only", t));
    case etf::local:
      fail_at(start, "LOCAL_EXT (tag 121) is private to the node that wrote it");
    case etf::compressed:
      fail_at(start, "a compressed term (tag 80) may only follow the version byte");
    case etf::version:
      fail_at(start, "a version byte (131) inside a term");
    default:
      fail_at(start, fmt::format("unknown tag {}", t));
  }
}

// A compressed term: 131, 80, the 4-byte inflated size, then the zlib stream.
constexpr std::size_t size_field = 2;
constexpr std::size_t stream_start = 6;

// Inflates the zlib stream at the front of `in` into exactly `claimed` bytes and sets `consumed` to the
// stream's length. Errors name byte 2 (the size field) when the size is wrong, byte 6 (the stream) when it is
// corrupt, and the end of the input when the stream is cut short.
std::vector<std::uint8_t> inflate_exact(std::span<const std::uint8_t> in, std::size_t claimed,
                                        std::size_t& consumed) {
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) throw std::bad_alloc();
  struct ender {
    z_stream* s;
    ~ender() { inflateEnd(s); }
  } end_stream{&stream};
  const auto too_big = [claimed] {
    throw decode_error(size_field, fmt::format("the compressed term inflates to more than the {} it claims",
                                               byte_count(claimed)));
  };
  constexpr std::size_t chunk = std::size_t{1} << 30;  // zlib counts in 32 bits
  const std::size_t limit = claimed + 1;               // one byte more than claimed proves the claim false
  std::vector<std::uint8_t> out(std::min(limit, std::max<std::size_t>(4096, 4 * in.size())));
  std::size_t produced = 0;
  // zlib's API is not const-correct: it never writes the input.
  stream.next_in = const_cast<Bytef*>(in.data());
  for (int rc = Z_OK; rc != Z_STREAM_END;) {
    if (produced == out.size()) {
      if (produced == limit) too_big();
      out.resize(std::min(limit, out.size() * 2));
    }
    const auto fed = static_cast<std::size_t>(stream.next_in - in.data());
    stream.avail_in = static_cast<uInt>(std::min(chunk, in.size() - fed));
    stream.next_out = out.data() + produced;
    stream.avail_out = static_cast<uInt>(std::min(chunk, out.size() - produced));
    rc = inflate(&stream, Z_NO_FLUSH);
    produced = static_cast<std::size_t>(stream.next_out - out.data());
    if (rc == Z_BUF_ERROR && stream.avail_out > 0) {
      throw decode_error(stream_start + in.size(), "truncated: the compressed term's zlib stream ends early");
    }
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      throw decode_error(stream_start, fmt::format("corrupt zlib stream in a compressed term ({})",
                                                   stream.msg != nullptr ? stream.msg : "no detail"));
    }
  }
  if (produced > claimed) too_big();
  if (produced < claimed) {
    throw decode_error(size_field, fmt::format("the compressed term inflates to {} but claims {}",
                                               byte_count(produced), byte_count(claimed)));
  }
  out.resize(produced);
  consumed = static_cast<std::size_t>(stream.next_in - in.data());
  return out;
}

// A compressed term: tag 80, the 4-byte inflated size, a zlib stream of one term (offsets in its errors are
// in the inflated bytes). Returns the term and sets `used` to the bytes of `bytes` it took.
term decode_compressed(std::span<const std::uint8_t> bytes, const decode_options& options,
                       std::size_t& used) {
  if (bytes.size() < stream_start) {
    throw decode_error(bytes.size(), "truncated: a compressed term's header needs 4 bytes of inflated size");
  }
  const auto claimed = std::size_t{load_be32(bytes.data() + size_field)};
  if (claimed > options.max_uncompressed_size) {
    throw decode_error(
        size_field,
        fmt::format("a compressed term claims {} inflated bytes, above max_uncompressed_size ({})", claimed,
                    options.max_uncompressed_size));
  }
  std::size_t consumed = 0;
  const std::vector<std::uint8_t> inflated = inflate_exact(bytes.subspan(stream_start), claimed, consumed);
  decoder inner(inflated, options, " in the inflated bytes of a compressed term");
  term t = inner.any(0);
  inner.expect_end();
  used = stream_start + consumed;
  return t;
}

term decode_front(std::span<const std::uint8_t> bytes, const decode_options& options, std::size_t& used) {
  if (bytes.empty()) throw decode_error(0, "empty input: expected the version byte 131");
  if (bytes[0] != etf::version) throw decode_error(0, fmt::format("version byte {}: expected 131", bytes[0]));
  if (bytes.size() > 1 && bytes[1] == etf::compressed) return decode_compressed(bytes, options, used);
  decoder d(bytes, options, "");
  d.skip_version();
  term t = d.any(0);
  used = d.position();
  return t;
}

}  // namespace

term binary_to_term(std::span<const std::uint8_t> bytes, std::size_t& used, const decode_options& options) {
  std::size_t taken = 0;
  term t = decode_front(bytes, options, taken);
  used = taken;
  return t;
}

term binary_to_term(std::span<const std::uint8_t> bytes, const decode_options& options) {
  std::size_t used = 0;
  term t = decode_front(bytes, options, used);
  if (used != bytes.size()) {
    throw decode_error(used, fmt::format("{} after the term", byte_count(bytes.size() - used)));
  }
  return t;
}

}  // namespace beam
