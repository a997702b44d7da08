// beam/term.hpp: beam::term, a value of Erlang's data model.
//
// A term is immutable and 16 bytes: a tag, a 32-bit auxiliary word and a 64-bit payload. Immediates (integers
// that fit in 64 bits, floats, atoms, pids and ports of this node, the references reference::make makes, [])
// live in the payload; every other kind (big integers, binaries, lists, tuples, maps, funs, other references,
// pids and ports of other nodes) is a heap node shared by reference count. Copying a term is O(1); a term may
// be handed to another thread as it is, because nothing in a heap node changes after construction (sharing,
// not copying, is how messages cross processes).
//
// Invariants (checked at construction, relied upon everywhere):
// - an integer that fits in int64 is always a small integer; a big integer never does;
// - a reference that fits the payload (src/term/heap.hpp) is always held there, so equal references have one
//   tag and equal bits;
// - a list term is a non-empty run `elements()[aux..]` of one list node followed by that node's tail, and a
//   node's tail is never a non-empty list (builders flatten), so `as_list()` is one contiguous span;
// - map entries are sorted by key in Erlang's map key order (term order, integers before floats), keys
//   unique.
#pragma once

#include <atomic>
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <beam/atom.hpp>
#include <beam/pid.hpp>
#include <beam/port.hpp>
#include <beam/reference.hpp>

namespace beam {

// The kinds of term, in Erlang's term order (number < atom < reference < fun < port < pid < tuple < map < nil
// < list < bitstring). Integers and floats are both numbers in that order.
enum class term_kind : std::uint8_t {
  integer,
  float_,
  atom,
  reference,
  fun,
  port,
  pid,
  tuple,
  map,
  nil,
  list,
  bitstring
};

// The kind's name in words: "integer", "float", "atom", ..., "bitstring".
[[nodiscard]] std::string_view to_string(term_kind kind) noexcept;

// Thrown by an accessor asked for a kind the term is not, e.g. as_int() on an atom.
class bad_term_access : public std::logic_error {
 public:
  bad_term_access(std::string_view expected, term_kind actual);
  [[nodiscard]] std::string_view expected() const noexcept { return expected_; }
  [[nodiscard]] term_kind actual() const noexcept { return actual_; }

 private:
  std::string expected_;
  term_kind actual_;
};

// An exported function `fun Module:Function/Arity` (ETF EXPORT_EXT).
struct export_fun {
  atom module;
  atom function;
  std::uint8_t arity;
  friend bool operator==(const export_fun&, const export_fun&) noexcept = default;
};

class term;
class term_span;
using map_entry = std::pair<term, term>;

namespace detail {
// Immediates first, then the kinds that live in a heap node (first_heap_tag onwards).
enum class tag : std::uint8_t {
  small_int,
  float_,
  atom,
  local_pid,
  local_port,
  local_reference,  // a reference of this node as reference::make makes it, packed into the term (heap.hpp)
  nil,
  big_int,
  remote_pid,
  remote_port,
  reference,
  fun,
  tuple,
  map,
  list,
  bitstring
};
inline constexpr tag first_heap_tag = tag::big_int;
// The header of every heap node. `refs` counts the terms that point at the node. Any thread may hold such a
// term: an increment is relaxed (a new reference is made from an existing one, which already keeps the node
// alive), the decrement is acq_rel so that the thread that frees the node sees every write made before the
// other releases. Nothing else in a node changes after it is built and published.
struct heap_node {
  std::atomic<std::uint32_t> refs{1};
  tag kind;
  std::uint8_t block_class = 0;  // the block's size in 16-byte units when it came from the small-block pools
  explicit heap_node(tag k) noexcept : kind(k) {}
};
void destroy(
    heap_node* node) noexcept;  // frees a node whose count reached zero (iteratively: no deep recursion)
struct big_node;
struct bitstring_node;
struct list_node;
struct tuple_node;
struct map_node;
struct term_access;  // builders in src/term reach the representation through this
}  // namespace detail

class term {
 public:
  // [] (nil): a default term is the empty list.
  constexpr term() noexcept : tag_(detail::tag::nil), aux_(0), u_(0) {}
  template <std::integral I>
  requires(!std::same_as<I, bool> && !std::same_as<I, char>) term(I value)
      : term() {  // NOLINT: implicit, so beam::tuple("ok"_a, 42) reads naturally
    if constexpr (std::is_signed_v<I> || sizeof(I) < sizeof(std::int64_t)) {
      u_ = static_cast<std::uint64_t>(static_cast<std::int64_t>(value));
      tag_ = detail::tag::small_int;
    } else {
      *this = from_uint64(value);
    }
  }
  term(double value) noexcept : tag_(detail::tag::float_), aux_(0), f_(value) {}  // NOLINT
  term(bool value) noexcept;                                                      // NOLINT: atoms true/false
  term(atom value) noexcept : tag_(detail::tag::atom), aux_(0), u_(value.index()) {}  // NOLINT
  term(const pid& value);                                                             // NOLINT
  term(const port& value);                                                            // NOLINT
  term(const reference& value);                                                       // NOLINT
  term(const export_fun& value);                                                      // NOLINT
  // Binaries: an Elixir string is a UTF-8 binary.
  term(std::string_view bytes);                                      // NOLINT
  term(const char* bytes) : term(std::string_view(bytes)) {}         // NOLINT
  term(const std::string& bytes) : term(std::string_view(bytes)) {}  // NOLINT

  term(const term& other) noexcept : tag_(other.tag_), aux_(other.aux_), u_(other.u_) { retain(); }
  term(term&& other) noexcept : tag_(other.tag_), aux_(other.aux_), u_(other.u_) { other.reset_to_nil(); }
  term& operator=(const term& other) noexcept;
  term& operator=(term&& other) noexcept;
  ~term() { release(); }

  // --- kind tests ---
  [[nodiscard]] term_kind kind() const noexcept;
  [[nodiscard]] bool is_integer() const noexcept {
    return is(detail::tag::small_int) || is(detail::tag::big_int);
  }
  [[nodiscard]] bool is_small_integer() const noexcept { return is(detail::tag::small_int); }  // fits int64
  [[nodiscard]] bool is_float() const noexcept { return is(detail::tag::float_); }
  [[nodiscard]] bool is_number() const noexcept { return is_integer() || is_float(); }
  [[nodiscard]] bool is_atom() const noexcept { return is(detail::tag::atom); }
  [[nodiscard]] bool is_atom(atom a) const noexcept { return is_atom() && u_ == a.index(); }
  [[nodiscard]] bool is_boolean() const noexcept;
  [[nodiscard]] bool is_pid() const noexcept {
    return is(detail::tag::local_pid) || is(detail::tag::remote_pid);
  }
  [[nodiscard]] bool is_port() const noexcept {
    return is(detail::tag::local_port) || is(detail::tag::remote_port);
  }
  [[nodiscard]] bool is_reference() const noexcept {
    return is(detail::tag::local_reference) || is(detail::tag::reference);
  }
  [[nodiscard]] bool is_fun() const noexcept { return is(detail::tag::fun); }
  [[nodiscard]] bool is_tuple() const noexcept { return is(detail::tag::tuple); }
  [[nodiscard]] bool is_map() const noexcept { return is(detail::tag::map); }
  [[nodiscard]] bool is_nil() const noexcept { return is(detail::tag::nil); }
  // A non-empty list (a cons cell), proper or improper.
  [[nodiscard]] bool is_list() const noexcept { return is(detail::tag::list); }
  // [] or a list ending in []
  [[nodiscard]] bool is_proper_list() const noexcept;
  [[nodiscard]] bool is_bitstring() const noexcept { return is(detail::tag::bitstring); }
  // A bitstring of whole bytes.
  [[nodiscard]] bool is_binary() const noexcept;

  // --- accessors; each throws bad_term_access on another kind ---
  // The integer; for a big integer (one beyond int64) this throws bad_term_access too.
  [[nodiscard]] std::int64_t as_int() const;
  [[nodiscard]] double as_float() const;
  // The value of an integer or a float as a double (rounded for big integers).
  [[nodiscard]] double as_number() const;
  [[nodiscard]] atom as_atom() const;
  [[nodiscard]] bool as_bool() const;
  [[nodiscard]] pid as_pid() const;
  [[nodiscard]] port as_port() const;
  [[nodiscard]] reference as_reference() const;
  [[nodiscard]] export_fun as_fun() const;
  [[nodiscard]] term_span as_tuple() const;
  // The elements of a non-empty list up to its tail; for [] an empty span.
  [[nodiscard]] term_span as_list() const;
  // What ends the list: [] for a proper list (and for [] itself), the improper tail otherwise.
  [[nodiscard]] term list_tail() const;
  [[nodiscard]] term head() const;                            // hd/1: throws on []
  [[nodiscard]] term tail() const;                            // tl/1: O(1)
  [[nodiscard]] std::span<const map_entry> as_map() const;    // in map key order
  [[nodiscard]] const term* map_find(const term& key) const;  // nullptr when absent
  // The bytes of a binary (whole bytes only).
  [[nodiscard]] std::span<const std::uint8_t> as_binary() const;
  [[nodiscard]] std::string_view as_string_view() const;  // the same bytes as chars
  // Bitstrings: the bytes (the last one partial, its bits the high ones) and the size in bits.
  [[nodiscard]] std::span<const std::uint8_t> bitstring_bytes() const;
  [[nodiscard]] std::uint64_t bit_size() const;
  // A big integer: its sign and magnitude, little-endian bytes, no trailing zero byte.
  [[nodiscard]] bool big_negative() const;
  [[nodiscard]] std::span<const std::uint8_t> big_magnitude() const;

  // Exact equality (Erlang's =:=): 1 and 1.0 differ. Inline for what receive patterns compare most: the same
  // immediate or the same node is equal, two different immediates are not (floats aside: 0.0 =:= -0.0).
  friend bool operator==(const term& a, const term& b) noexcept {
    if (a.tag_ != b.tag_) return false;
    if (a.tag_ == detail::tag::float_ || a.tag_ >= detail::first_heap_tag) {
      return (a.u_ == b.u_ && a.aux_ == b.aux_ && a.tag_ != detail::tag::float_) || equal_contents(a, b);
    }
    return a.u_ == b.u_;
  }
  // Erlang's term order (compare/2 semantics: 1 == 1.0 compares equal here). Total, weak because of numbers.
  friend std::weak_ordering operator<=>(const term& a, const term& b) noexcept;
  // Hash consistent with operator==.
  [[nodiscard]] std::size_t hash() const noexcept;

 private:
  friend struct detail::term_access;
  // operator== for two floats, or two different nodes of one kind (compare.cpp).
  [[nodiscard]] static bool equal_contents(const term& a, const term& b) noexcept;
  [[nodiscard]] bool is(detail::tag t) const noexcept { return tag_ == t; }
  [[nodiscard]] detail::heap_node* node() const noexcept { return p_; }
  static term from_uint64(std::uint64_t value);
  [[noreturn]] void throw_access(std::string_view expected) const;
  [[nodiscard]] bool on_heap() const noexcept { return tag_ >= detail::first_heap_tag; }
  void retain() const noexcept {
    if (on_heap())
      p_->refs.fetch_add(1, std::memory_order_relaxed);  // from a live reference: nothing to order
  }
  void release() noexcept {
    // acq_rel: our writes happen-before the free, and the freeing thread sees all other holders' writes.
    if (on_heap() && p_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) detail::destroy(p_);
  }
  void reset_to_nil() noexcept {
    tag_ = detail::tag::nil;
    aux_ = 0;
    u_ = 0;
  }

  detail::tag tag_;
  std::uint32_t aux_;  // list: offset of the first element in its node
  union {
    std::uint64_t u_;  // small integer (two's complement), atom index, local pid (serial << 32 | number),
                       // local port (its number), local reference (its words packed, heap.hpp)
    double f_;
    detail::heap_node* p_;  // remote_pid, remote_port, reference, fun, big_int, bitstring, list, tuple, map
  };
};

static_assert(sizeof(term) <= 16);

// The elements of a tuple or a list (term::as_tuple, term::as_list): a std::span whose operator[] checks the
// index, so `t.as_tuple()[5]` on a 3-tuple throws bad_term_access instead of reading past the end. It
// converts to std::span<const term> for unchecked access.
class term_span : public std::span<const term> {
 public:
  term_span() noexcept = default;
  term_span(std::span<const term> elements, term_kind kind) noexcept
      : std::span<const term>(elements), kind_(kind) {}
  [[nodiscard]] const term& operator[](std::size_t index) const {
    if (index >= size()) throw_out_of_range(index);
    return data()[index];
  }

 private:
  [[noreturn]] void throw_out_of_range(std::size_t index) const;
  term_kind kind_ = term_kind::tuple;
};

// Erlang's compare with exact number types (=:= order): used for map keys, where integers sort before floats.
[[nodiscard]] std::weak_ordering compare_exact(const term& a, const term& b) noexcept;

// --- builders ---
// {e1, e2, ...}
[[nodiscard]] term make_tuple(std::span<const term> elements);
[[nodiscard]] term make_tuple(std::vector<term>&& elements);
// {x, y, ...}
template <class... Xs>
requires(std::convertible_to<Xs, term>&&...) [[nodiscard]] term tuple(Xs&&... xs) {
  term elements[] = {term(), term(std::forward<Xs>(xs))...};
  return beam::make_tuple(std::span<const term>(elements).subspan(1));
}

// [e1, e2, ... | tail]; a list tail is flattened into the result. Empty `elements` gives `tail`.
[[nodiscard]] term make_list(std::span<const term> elements, const term& tail = term());
[[nodiscard]] term make_list(std::vector<term>&& elements, const term& tail = term());
// [x, y, ...]
template <class... Xs>
requires(std::convertible_to<Xs, term>&&...) [[nodiscard]] term list(Xs&&... xs) {
  term elements[] = {term(), term(std::forward<Xs>(xs))...};
  return beam::make_list(std::span<const term>(elements).subspan(1));
}
// [head | tail]: O(length of tail) since lists are arrays; build long lists with make_list.
[[nodiscard]] term cons(const term& head, const term& tail);
// 'text' as Elixir writes it: a list of the code points of UTF-8 `text`. Throws std::invalid_argument on bad
// UTF-8.
[[nodiscard]] term charlist(std::string_view utf8);

// %{k => v, ...}; a later duplicate key replaces an earlier one, as in Erlang's maps:from_list.
[[nodiscard]] term map(std::initializer_list<map_entry> entries);
[[nodiscard]] term make_map(std::vector<map_entry>&& entries);

// <<bytes>> and bitstrings of `bits` bits (the high bits of the last byte; the rest are zeroed).
[[nodiscard]] term binary(std::span<const std::uint8_t> bytes);
[[nodiscard]] term binary(std::string_view bytes);
[[nodiscard]] term bitstring(std::span<const std::uint8_t> bytes, std::uint64_t bits);

// Integers of any size from sign and little-endian magnitude; normalised (small when it fits int64).
[[nodiscard]] term make_integer(bool negative, std::span<const std::uint8_t> magnitude_le);
// Integers from decimal text ("-123456789012345678901234567890"). Throws std::invalid_argument on other text.
[[nodiscard]] term integer_from_string(std::string_view decimal);
// The decimal text of an integer term.
[[nodiscard]] std::string integer_to_string(const term& integer);

}  // namespace beam

template <>
struct std::hash<beam::term> {
  std::size_t operator()(const beam::term& t) const noexcept { return t.hash(); }
};
