// term/etf_encode.cpp: term_to_binary, byte-identical to OTP 25's term_to_binary/1.
//
// Design. One walk over the term writes through a cursor (byte_writer) into a 256-byte buffer on the C++
// stack, appended to the caller's vector in one insert at the end; a larger term moves into the vector,
// which then grows geometrically. A small term therefore costs one allocation of its exact size, and none
// when the caller reuses a vector. The walk is iterative: a container writes its header and pushes pointers
// to its children, last first, on a work stack whose first 64 entries live on the C++ stack and which spills
// to the heap only for wide or deep terms, so that a term nested a million deep encodes without overflowing
// the stack (term destruction is iterative for the same reason). Atoms, the bulk of small messages, are
// copied from this thread's cache of their ETF forms (etf_atom_cache.hpp) when they were met recently.
//
// What must match OTP byte for byte:
// - integers take the smallest form: SMALL_INTEGER (0..255), INTEGER (signed 32-bit), SMALL_BIG (magnitude
//   up to 255 bytes), LARGE_BIG;
// - an atom whose characters are all below 256 is an ATOM_EXT of latin-1 bytes (OTP 25 still writes that
//   old tag); any other is a SMALL_ATOM_UTF8 when its UTF-8 text is under 256 bytes, an ATOM_UTF8 otherwise;
// - a proper list of at most 65535 integers in 0..255 is a STRING_EXT; any other list is a LIST_EXT;
// - pids are NEW_PID, references NEWER_REFERENCE, exported funs EXPORT with a SMALL_INTEGER arity, floats
//   NEW_FLOAT; a port is a NEW_PORT when its number fits in 28 bits, a V4_PORT otherwise;
// - maps list their entries in map key order, which is OTP's order for maps of up to 32 keys (OTP orders
//   larger maps by an internal hash that beampp does not reproduce).
//
// Rejected: recursion (a deep term would overflow the stack); measuring the exact size in a first walk and
// writing in a second (two walks cost more than the stack buffer's one copy); writing straight into the
// vector (resizing it zero-fills, and the final trim leaves it over-allocated); push_back per byte (a
// capacity check per byte rather than one per item); a std::pmr arena for the work stack (its set-up and
// release cost more than encoding a small term).
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <memory>
#include <vector>

#include <beam/etf.hpp>

#include "term/etf_atom_cache.hpp"
#include "term/etf_tags.hpp"
#include "term/heap.hpp"

namespace beam {

using detail::tag;
using detail::term_access;

namespace {

// Where the bytes go (see the design note): a buffer on the C++ stack, then `out` itself. finish() leaves the
// term's bytes appended to `out`; if encoding throws instead, `out` is left as it was.
class byte_writer {
 public:
  explicit byte_writer(std::vector<std::uint8_t>& out) noexcept
      : out_(out), start_(out.size()), base_(local_.data()), cursor_(base_), end_(base_ + local_.size()) {}
  byte_writer(const byte_writer&) = delete;
  byte_writer& operator=(const byte_writer&) = delete;
  ~byte_writer() {
    if (!finished_ && base_ != local_.data()) out_.resize(start_);  // shrinking: never throws
  }

  // Room for at least `n` more bytes at the cursor, which stays where it is.
  [[nodiscard]] std::uint8_t* room(std::size_t n) {
    if (static_cast<std::size_t>(end_ - cursor_) < n) grow(n);
    return cursor_;
  }
  void advance(std::size_t n) noexcept { cursor_ += n; }
  // Room for exactly `n` more bytes, all of which the caller writes; the cursor moves past them.
  [[nodiscard]] std::uint8_t* take(std::size_t n) {
    std::uint8_t* at = room(n);
    cursor_ += n;
    return at;
  }
  // Bytes written so far, and the ones written since such a count.
  [[nodiscard]] std::size_t written() const noexcept { return static_cast<std::size_t>(cursor_ - base_); }
  [[nodiscard]] std::span<const std::uint8_t> since(std::size_t written) const noexcept {
    return {base_ + written, cursor_};
  }

  void finish() {
    if (base_ == local_.data()) {
      out_.insert(out_.end(), base_, cursor_);
    } else {
      out_.resize(start_ + written());
    }
    finished_ = true;
  }

 private:
  void grow(std::size_t n) {
    const std::size_t used = written();
    const std::size_t capacity = static_cast<std::size_t>(end_ - base_);
    const bool local = base_ == local_.data();
    out_.resize(start_ + std::max(capacity * 2, used + n));
    if (local) std::memcpy(out_.data() + start_, local_.data(), used);
    base_ = out_.data() + start_;
    cursor_ = base_ + used;
    end_ = out_.data() + out_.size();
  }

  std::vector<std::uint8_t>& out_;
  const std::size_t start_;  // out_'s size before this term
  std::array<std::uint8_t, 256> local_;
  std::uint8_t* base_;  // where this term's first byte is: in local_, or at out_[start_]
  std::uint8_t* cursor_;
  std::uint8_t* end_;
  bool finished_ = false;
};

// The terms still to write, the next on top: on the C++ stack up to 64 entries, then on the heap.
class work_stack {
 public:
  work_stack() noexcept {
    base_ = top_ = inline_.data();
    limit_ = base_ + inline_.size();
  }
  work_stack(const work_stack&) = delete;
  work_stack& operator=(const work_stack&) = delete;

  [[nodiscard]] bool empty() const noexcept { return top_ == base_; }
  void push(const term* t) {
    if (top_ == limit_) grow();
    *top_++ = t;
  }
  [[nodiscard]] const term* pop() noexcept { return *--top_; }

 private:
  void grow() {
    const auto size = static_cast<std::size_t>(top_ - base_);
    auto bigger = std::make_unique_for_overwrite<const term*[]>(size * 2);
    std::copy(base_, top_, bigger.get());
    heap_ = std::move(bigger);
    base_ = heap_.get();
    top_ = base_ + size;
    limit_ = base_ + size * 2;
  }

  std::array<const term*, 64> inline_;
  std::unique_ptr<const term*[]> heap_;
  const term** base_;  // inline_ or heap_
  const term** top_;
  const term** limit_;
};

// Stores the low `N` bytes of `value` big-endian at `at` and returns the byte after them.
template <std::size_t N>
std::uint8_t* store_be(std::uint8_t* at, std::uint64_t value) noexcept {
  for (std::size_t i = 0; i < N; ++i) at[i] = static_cast<std::uint8_t>(value >> (8 * (N - 1 - i)));
  return at + N;
}

// True when a proper list with these elements is a STRING_EXT: at most 65535 integers, each in 0..255.
bool is_byte_string(std::span<const term> elements) noexcept {
  if (elements.size() > 65535) return false;
  return std::all_of(elements.begin(), elements.end(), [](const term& e) {
    return term_access::tag_of(e) == tag::small_int && term_access::bits(e) <= 255;
  });
}

class encoder {
 public:
  explicit encoder(std::vector<std::uint8_t>& out) : w_(out), atoms_(etf::atom_cache::local()) {}

  void run(const term& root) {
    *w_.take(1) = etf::version;
    for (const term* next = &root;;) {
      put_term(*next);
      if (pending_.empty()) break;
      next = pending_.pop();
    }
    w_.finish();
  }

 private:
  void put_term(const term& t);
  void put_tag_u8(etf::tag t, std::uint8_t value);
  void put_tag_u32(etf::tag t, std::uint32_t value);
  void put_bytes(std::span<const std::uint8_t> bytes);
  void put_cached_atom(std::span<const std::uint8_t> etf);
  void put_big(bool negative, std::span<const std::uint8_t> magnitude);
  void put_integer(std::int64_t value);
  void put_float(double value);
  void put_atom(atom a);
  void put_atom_text(atom a);
  void put_pid(const pid& p);
  void put_port(const port& p);
  void put_reference(const reference& r);
  void put_export(const export_fun& f);
  void put_bitstring(const detail::bitstring_node& b);
  void put_list(const term& t);
  void put_tuple(std::span<const term> elements);
  void put_map(std::span<const map_entry> entries);

  byte_writer w_;
  etf::atom_cache& atoms_;
  work_stack pending_;
};

// Writes a leaf whole, or a container's header with its children pushed on the work stack (the next one on
// top).
void encoder::put_term(const term& t) {
  const std::uint64_t bits = term_access::bits(t);
  switch (term_access::tag_of(t)) {
    case tag::small_int:
      return put_integer(static_cast<std::int64_t>(bits));
    case tag::float_:
      return put_float(std::bit_cast<double>(bits));
    case tag::atom:
      return put_atom(atom::from_index(static_cast<std::uint32_t>(bits)));
    case tag::nil:
      *w_.take(1) = etf::nil;
      return;
    case tag::local_pid:
      return put_pid(pid(static_cast<std::uint32_t>(bits), static_cast<std::uint32_t>(bits >> 32)));
    case tag::remote_pid:
      return put_pid(term_access::node<detail::remote_pid_node>(t)->value);
    case tag::local_port:
      return put_port(port(bits));
    case tag::remote_port:
      return put_port(term_access::node<detail::remote_port_node>(t)->value);
    case tag::big_int: {
      const auto* big = term_access::node<detail::big_node>(t);
      return put_big(big->negative, big->magnitude());
    }
    case tag::local_reference:
      return put_reference(term_access::unpacked_reference(bits));
    case tag::reference:
      return put_reference(term_access::node<detail::reference_node>(t)->value);
    case tag::fun:
      return put_export(term_access::node<detail::fun_node>(t)->value);
    case tag::bitstring:
      return put_bitstring(*term_access::node<detail::bitstring_node>(t));
    case tag::tuple:
      return put_tuple(term_access::node<detail::tuple_node>(t)->elements());
    case tag::map:
      return put_map(term_access::node<detail::map_node>(t)->entries());
    case tag::list:
      return put_list(t);
  }
}

void encoder::put_tag_u8(etf::tag t, std::uint8_t value) {
  std::uint8_t* at = w_.take(2);
  at[0] = t;
  at[1] = value;
}

void encoder::put_tag_u32(etf::tag t, std::uint32_t value) {
  std::uint8_t* at = w_.take(5);
  at[0] = t;
  store_be<4>(at + 1, value);
}

void encoder::put_bytes(std::span<const std::uint8_t> bytes) {
  if (!bytes.empty()) std::memcpy(w_.take(bytes.size()), bytes.data(), bytes.size());
}

// A cached atom: a copy of fixed size (cheaper than one of the exact size), of which the cursor keeps `size`
// bytes.
void encoder::put_cached_atom(std::span<const std::uint8_t> etf) {
  std::memcpy(w_.room(etf::atom_cache::max_bytes), etf.data(), etf::atom_cache::max_bytes);
  w_.advance(etf.size());
}

// SMALL_BIG or LARGE_BIG of a sign and a little-endian magnitude without trailing zero bytes.
void encoder::put_big(bool negative, std::span<const std::uint8_t> magnitude) {
  if (magnitude.size() <= 255) {
    put_tag_u8(etf::small_big, static_cast<std::uint8_t>(magnitude.size()));
  } else {
    put_tag_u32(etf::large_big, static_cast<std::uint32_t>(magnitude.size()));
  }
  *w_.take(1) = negative ? 1 : 0;
  put_bytes(magnitude);
}

void encoder::put_integer(std::int64_t value) {
  if (value >= 0 && value <= 255) return put_tag_u8(etf::small_integer, static_cast<std::uint8_t>(value));
  if (value >= INT32_MIN && value <= INT32_MAX) {
    return put_tag_u32(etf::integer, static_cast<std::uint32_t>(static_cast<std::int32_t>(value)));
  }
  const std::uint64_t magnitude =
      value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  std::array<std::uint8_t, 8> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(magnitude >> (8 * i));
  const auto used = static_cast<std::size_t>((std::bit_width(magnitude) + 7) / 8);
  put_big(value < 0, std::span<const std::uint8_t>(bytes.data(), used));
}

void encoder::put_float(double value) {
  std::uint8_t* at = w_.take(9);
  at[0] = etf::new_float;
  store_be<8>(at + 1, std::bit_cast<std::uint64_t>(value));
}

void encoder::put_atom(atom a) {
  if (const auto cached = atoms_.encoded(a); !cached.empty()) return put_cached_atom(cached);
  const std::size_t start = w_.written();
  put_atom_text(a);
  atoms_.remember_encoded(a, w_.since(start));
}

// An atom whose characters are all below 256 is an ATOM_EXT of latin-1 bytes. In its UTF-8 text each
// character from 128 on is two bytes, a lead byte 0xC2 or 0xC3 carrying the top two bits and a continuation
// byte carrying the low six. Any other atom is UTF-8, with a one-byte length when it fits.
void encoder::put_atom_text(atom a) {
  const std::string_view text = a.text();
  if (!a.is_latin1()) {
    std::uint8_t* at = nullptr;
    if (text.size() <= 255) {
      at = w_.take(2 + text.size());
      at[0] = etf::small_atom_utf8;
      at[1] = static_cast<std::uint8_t>(text.size());
      at += 2;
    } else {
      at = w_.take(3 + text.size());
      at[0] = etf::atom_utf8;
      at = store_be<2>(at + 1, text.size());
    }
    std::memcpy(at, text.data(), text.size());
    return;
  }
  const auto continuation = [](char c) { return (static_cast<std::uint8_t>(c) & 0xC0) == 0x80; };
  const std::size_t chars =
      text.size() - static_cast<std::size_t>(std::count_if(text.begin(), text.end(), continuation));
  std::uint8_t* at = w_.take(3 + chars);
  at[0] = etf::atom_latin1;
  at = store_be<2>(at + 1, chars);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    *at++ = c < 0x80
                ? c
                : static_cast<std::uint8_t>((c & 0x03) << 6 | (static_cast<std::uint8_t>(text[++i]) & 0x3F));
  }
}

void encoder::put_pid(const pid& p) {
  const node_id node = p.node();
  *w_.take(1) = etf::new_pid;
  put_atom(node.name);
  std::uint8_t* at = w_.take(12);
  at = store_be<4>(at, p.number());
  at = store_be<4>(at, p.serial());
  store_be<4>(at, node.creation);
}

// OTP 25 writes NEW_PORT_EXT for a number of at most 28 bits (what nodes before OTP 24 can read), and
// V4_PORT_EXT, with the full 64-bit number, only beyond that.
void encoder::put_port(const port& p) {
  constexpr std::uint64_t max_new_port_number = (std::uint64_t{1} << 28) - 1;
  const node_id node = p.node();
  const bool v4 = p.number() > max_new_port_number;
  *w_.take(1) = v4 ? etf::v4_port : etf::new_port;
  put_atom(node.name);
  std::uint8_t* at = v4 ? store_be<8>(w_.take(12), p.number()) : store_be<4>(w_.take(8), p.number());
  store_be<4>(at, node.creation);
}

void encoder::put_reference(const reference& r) {
  const auto words = r.words();
  const node_id node = r.node();  // read once: this node may be renamed meanwhile
  std::uint8_t* at = w_.take(3);
  at[0] = etf::newer_reference;
  store_be<2>(at + 1, words.size());
  put_atom(node.name);
  at = store_be<4>(w_.take(4 + 4 * words.size()), node.creation);
  for (std::uint32_t word : words) at = store_be<4>(at, word);
}

void encoder::put_export(const export_fun& f) {
  *w_.take(1) = etf::export_fun;
  put_atom(f.module);
  put_atom(f.function);
  put_tag_u8(etf::small_integer, f.arity);
}

void encoder::put_bitstring(const detail::bitstring_node& b) {
  const auto bytes = b.bytes();
  if (b.bits % 8 == 0) {
    put_tag_u32(etf::binary, static_cast<std::uint32_t>(bytes.size()));
  } else {
    put_tag_u32(etf::bit_binary, static_cast<std::uint32_t>(bytes.size()));
    *w_.take(1) = static_cast<std::uint8_t>(b.bits % 8);
  }
  put_bytes(bytes);
}

// A whole STRING_EXT, or a LIST_EXT header with the elements and the tail pushed.
void encoder::put_list(const term& t) {
  const auto* node = term_access::node<detail::list_node>(t);
  const auto elements = node->elements().subspan(term_access::aux(t));
  if (node->tail.is_nil() && is_byte_string(elements)) {
    std::uint8_t* at = w_.take(3 + elements.size());
    at[0] = etf::string;
    at = store_be<2>(at + 1, elements.size());
    for (const term& e : elements) *at++ = static_cast<std::uint8_t>(term_access::bits(e));
    return;
  }
  put_tag_u32(etf::list, static_cast<std::uint32_t>(elements.size()));
  pending_.push(&node->tail);
  for (auto it = elements.rbegin(); it != elements.rend(); ++it) pending_.push(&*it);
}

void encoder::put_tuple(std::span<const term> elements) {
  if (elements.size() <= 255) {
    put_tag_u8(etf::small_tuple, static_cast<std::uint8_t>(elements.size()));
  } else {
    put_tag_u32(etf::large_tuple, static_cast<std::uint32_t>(elements.size()));
  }
  for (auto it = elements.rbegin(); it != elements.rend(); ++it) pending_.push(&*it);
}

void encoder::put_map(std::span<const map_entry> entries) {
  put_tag_u32(etf::map, static_cast<std::uint32_t>(entries.size()));
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    pending_.push(&it->second);
    pending_.push(&it->first);
  }
}

}  // namespace

void term_to_binary(const term& t, std::vector<std::uint8_t>& out) {
  encoder(out).run(t);
}

std::vector<std::uint8_t> term_to_binary(const term& t) {
  std::vector<std::uint8_t> out;
  term_to_binary(t, out);
  return out;
}

}  // namespace beam
