// term/term.cpp: construction, access, destruction and identity of beam::term.
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/port.hpp>
#include <beam/term.hpp>

#include "base/small_pool.hpp"
#include "base/utf8.hpp"
#include "term/atom_table.hpp"
#include "term/heap.hpp"
#include "term/this_node.hpp"

namespace beam {

using detail::tag;
using detail::term_access;

// --- errors ---

namespace {
std::string describe_reason(const term& reason) {
  return reason.is_atom() ? std::string(reason.as_atom().text()) : std::string("an Erlang error");
}
}  // namespace

error::error(const term& reason, const std::string& what)
    : std::runtime_error(what), reason_(std::make_shared<const term>(reason)) {}
error::error(const term& reason) : error(reason, describe_reason(reason)) {}

std::string_view to_string(term_kind kind) noexcept {
  switch (kind) {
    case term_kind::integer:
      return "integer";
    case term_kind::float_:
      return "float";
    case term_kind::atom:
      return "atom";
    case term_kind::reference:
      return "reference";
    case term_kind::fun:
      return "fun";
    case term_kind::port:
      return "port";
    case term_kind::pid:
      return "pid";
    case term_kind::tuple:
      return "tuple";
    case term_kind::map:
      return "map";
    case term_kind::nil:
      return "empty list";
    case term_kind::list:
      return "list";
    case term_kind::bitstring:
      return "bitstring";
  }
  return "term";
}

bad_term_access::bad_term_access(std::string_view expected, term_kind actual)
    : std::logic_error(fmt::format("bad term access: expected {}, got {}", expected, to_string(actual))),
      expected_(expected),
      actual_(actual) {}

void term::throw_access(std::string_view expected) const {
  throw bad_term_access(expected, kind());
}

// --- pids, ports and references ---

namespace {
// This node's name (atom index, high half) and creation (low half): `nonode@nohost` and 0 until
// distribution starts (term/this_node.hpp). One word, so a reader never sees a name with another's creation.
std::atomic<std::uint64_t> this_node_word{std::uint64_t{detail::atoms::nonode_at_nohost.index()} << 32};
}  // namespace

node_id this_node() noexcept {
  const std::uint64_t w = this_node_word.load(std::memory_order_acquire);  // pairs with set_this_node
  return {atom::from_index(static_cast<std::uint32_t>(w >> 32)), static_cast<std::uint32_t>(w)};
}

namespace detail {
void set_this_node(node_id node) noexcept {
  this_node_word.store(std::uint64_t{node.name.index()} << 32 | node.creation,
                       std::memory_order_release);  // pairs with this_node's acquire
}
}  // namespace detail

node_slot::node_slot(node_id node) noexcept {
  if (node != this_node()) {
    name_ = node.name.index();
    creation_ = node.creation;
  }
}

node_id node_slot::node() const noexcept {
  return is_local() ? this_node() : node_id{atom::from_index(name_), creation_};
}

std::strong_ordering order_by_name(const node_slot& a, const node_slot& b) noexcept {
  return a == b ? std::strong_ordering::equal : a.node().name <=> b.node().name;
}

std::strong_ordering order_by_creation(const node_slot& a, const node_slot& b) noexcept {
  return a == b ? std::strong_ordering::equal : a.node().creation <=> b.node().creation;
}

pid::pid(node_id node, std::uint32_t number, std::uint32_t serial) noexcept
    : node_(node), number_(number), serial_(serial) {}

// As OTP 25 orders pids (lists:sort of NEW_PID_EXT-made pids of several nodes, checked with erl): serial,
// then number, then the node's name, then its creation; the node comes last, unlike ports'.
std::strong_ordering operator<=>(const pid& a, const pid& b) noexcept {
  if (auto c = a.serial_ <=> b.serial_; c != 0) return c;
  if (auto c = a.number_ <=> b.number_; c != 0) return c;
  if (auto c = order_by_name(a.node_, b.node_); c != 0) return c;
  return order_by_creation(a.node_, b.node_);
}

port::port(node_id node, std::uint64_t number) noexcept : node_(node), number_(number) {}

// As OTP 25 orders ports (unlike its pids, whose numbers come before their nodes): node name, then the
// node's creation, then the number.
std::strong_ordering operator<=>(const port& a, const port& b) noexcept {
  if (auto c = order_by_name(a.node_, b.node_); c != 0) return c;
  if (auto c = order_by_creation(a.node_, b.node_); c != 0) return c;
  return a.number_ <=> b.number_;
}

reference::reference(node_id node, std::span<const std::uint32_t> words)
    : node_(node), size_(static_cast<std::uint32_t>(words.size())) {
  if (words.empty() || words.size() > max_words) {
    throw std::invalid_argument(
        fmt::format("a reference has 1 to {} words, not {}", max_words, words.size()));
  }
  std::copy(words.begin(), words.end(), words_.begin());
}

reference reference::make() {
  // Unique for the life of the program: a 64-bit counter spread over three words as Erlang's refs are.
  static std::atomic<std::uint64_t> counter{0};
  const std::uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);  // only uniqueness is needed
  return term_access::unpacked_reference(n);
}

bool operator==(const reference& a, const reference& b) noexcept {
  return a.node_ == b.node_ && std::ranges::equal(a.words(), b.words());
}

// Erlang's order: node name, then the words from the last (most significant) to the first, then creation.
std::strong_ordering operator<=>(const reference& a, const reference& b) noexcept {
  if (auto c = order_by_name(a.node_, b.node_); c != 0) return c;
  if (auto c = a.size_ <=> b.size_; c != 0) return c;
  for (std::size_t i = a.size_; i-- > 0;) {
    if (auto c = a.words_[i] <=> b.words_[i]; c != 0) return c;
  }
  return order_by_creation(a.node_, b.node_);
}

// --- construction ---

term::term(bool value) noexcept : term(value ? detail::atoms::true_ : detail::atoms::false_) {}

term::term(const pid& value) : term() {
  if (value.is_local()) {
    *this = term_access::immediate(tag::local_pid, std::uint64_t{value.serial()} << 32 | value.number());
  } else {
    *this = term_access::adopt(detail::allocate_node<detail::remote_pid_node, std::byte>(0, value));
  }
}

term::term(const port& value) : term() {
  if (value.is_local()) {
    *this = term_access::immediate(tag::local_port, value.number());
  } else {
    *this = term_access::adopt(detail::allocate_node<detail::remote_port_node, std::byte>(0, value));
  }
}

term::term(const reference& value) : term() {
  if (const auto counter = term_access::packed_reference(value)) {
    *this = term_access::immediate(tag::local_reference, *counter);
  } else {
    *this = term_access::adopt(detail::allocate_node<detail::reference_node, std::byte>(0, value));
  }
}

term::term(const export_fun& value)
    : term(term_access::adopt(detail::allocate_node<detail::fun_node, std::byte>(0, value))) {}

term::term(std::string_view bytes) : term(binary(bytes)) {}

term term::from_uint64(std::uint64_t value) {
  if (value <= static_cast<std::uint64_t>(INT64_MAX)) return term(static_cast<std::int64_t>(value));
  std::uint8_t bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
  return make_integer(false, bytes);
}

// `other` may live inside the old value (t = t.as_tuple()[1]), so it is taken before the old value is
// released.
term& term::operator=(const term& other) noexcept {
  return *this = term(other);
}

term& term::operator=(term&& other) noexcept {
  term taken(std::move(other));
  std::swap(tag_, taken.tag_);
  std::swap(aux_, taken.aux_);
  std::swap(u_, taken.u_);
  return *this;  // `taken` holds the old value now and releases it
}

namespace detail {

namespace {
// Nodes waiting to be freed by destroy(): an inline stack that spills to a vector only for wide terms (more
// than 32 children freed at once). If the spill cannot allocate, the node is freed at once by a nested
// destroy(): deeper stack, but nothing lost and nothing thrown.
class pending_nodes {
 public:
  void push(heap_node* n) noexcept {
    if (size_ < inline_slots) {
      slots_[size_++] = n;
      return;
    }
    try {
      spill_.push_back(n);
    } catch (...) {
      destroy(n);
    }
  }
  heap_node* pop() noexcept {
    if (!spill_.empty()) {
      heap_node* n = spill_.back();
      spill_.pop_back();
      return n;
    }
    return size_ > 0 ? slots_[--size_] : nullptr;
  }

 private:
  static constexpr std::size_t inline_slots = 32;
  heap_node* slots_[inline_slots];
  std::size_t size_ = 0;
  std::vector<heap_node*> spill_;
};
}  // namespace

void* allocate_node_block(std::size_t bytes, std::uint8_t& block_class) {
  built_bytes += bytes;
  if (bytes > base::max_small) return ::operator new(bytes);
  block_class = static_cast<std::uint8_t>(base::small_class(bytes));
  return base::allocate_small(block_class * base::small_granule);
}

void free_node_block(heap_node* node) noexcept {
  if (node->block_class == 0) {
    ::operator delete(node);
  } else {
    base::free_small(node, std::size_t{node->block_class} * base::small_granule);
  }
}

// Frees `node` and, without recursion, every node whose last reference it held.
void destroy(heap_node* node) noexcept {
  pending_nodes pending;
  auto drop = [&pending](term& child) noexcept {
    heap_node* n = term_access::steal(child);
    // acq_rel as in term::release: this is the same decrement, done here so that it does not recurse.
    if (n != nullptr && n->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) pending.push(n);
  };
  auto drop_terms = [&drop](term* first, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) drop(first[i]);
  };
  for (;;) {
    switch (node->kind) {
      case tag::tuple: {
        auto* t = static_cast<tuple_node*>(node);
        drop_terms(trailing<term>(t), t->size);
        break;
      }
      case tag::list: {
        auto* l = static_cast<list_node*>(node);
        drop_terms(trailing<term>(l), l->size);
        drop(l->tail);
        break;
      }
      case tag::map: {
        auto* m = static_cast<map_node*>(node);
        for (std::uint32_t i = 0; i < m->size; ++i) {
          drop(trailing<map_entry>(m)[i].first);
          drop(trailing<map_entry>(m)[i].second);
        }
        break;
      }
      default:
        break;  // no children; the value nodes are trivially destructible
    }
    free_node_block(node);  // children are [] now: nothing left to destruct
    node = pending.pop();
    if (node == nullptr) return;
  }
}

}  // namespace detail

// --- kinds and accessors ---

term_kind term::kind() const noexcept {
  switch (tag_) {
    case tag::small_int:
    case tag::big_int:
      return term_kind::integer;
    case tag::float_:
      return term_kind::float_;
    case tag::atom:
      return term_kind::atom;
    case tag::local_port:
    case tag::remote_port:
      return term_kind::port;
    case tag::local_pid:
    case tag::remote_pid:
      return term_kind::pid;
    case tag::local_reference:
    case tag::reference:
      return term_kind::reference;
    case tag::fun:
      return term_kind::fun;
    case tag::tuple:
      return term_kind::tuple;
    case tag::map:
      return term_kind::map;
    case tag::nil:
      return term_kind::nil;
    case tag::list:
      return term_kind::list;
    case tag::bitstring:
      return term_kind::bitstring;
  }
  return term_kind::nil;
}

bool term::is_boolean() const noexcept {
  return is_atom(detail::atoms::true_) || is_atom(detail::atoms::false_);
}

bool term::is_proper_list() const noexcept {
  return is_nil() || (is_list() && list_tail().is_nil());
}

bool term::is_binary() const noexcept {
  return is_bitstring() && term_access::node<detail::bitstring_node>(*this)->bits % 8 == 0;
}

std::int64_t term::as_int() const {
  if (!is_small_integer()) throw_access(is_integer() ? "an integer that fits in 64 bits" : "an integer");
  return static_cast<std::int64_t>(u_);
}

double term::as_float() const {
  if (!is_float()) throw_access("a float");
  return f_;
}

double term::as_number() const {
  if (is_float()) return f_;
  if (is_small_integer()) return static_cast<double>(as_int());
  // Through the decimal text: strtod rounds correctly to the nearest double (HUGE_VAL past the float range).
  if (is(tag::big_int)) return std::strtod(integer_to_string(*this).c_str(), nullptr);
  throw_access("a number");
}

atom term::as_atom() const {
  if (!is_atom()) throw_access("an atom");
  return atom::from_index(static_cast<std::uint32_t>(u_));
}

bool term::as_bool() const {
  if (!is_boolean()) throw_access("a boolean (the atom true or false)");
  return is_atom(detail::atoms::true_);
}

pid term::as_pid() const {
  if (is(tag::local_pid)) return pid(static_cast<std::uint32_t>(u_), static_cast<std::uint32_t>(u_ >> 32));
  if (is(tag::remote_pid)) return term_access::node<detail::remote_pid_node>(*this)->value;
  throw_access("a pid");
}

port term::as_port() const {
  if (is(tag::local_port)) return port(u_);
  if (is(tag::remote_port)) return term_access::node<detail::remote_port_node>(*this)->value;
  throw_access("a port");
}

reference term::as_reference() const {
  if (is(tag::local_reference)) return term_access::unpacked_reference(u_);
  if (!is(tag::reference)) throw_access("a reference");
  return term_access::node<detail::reference_node>(*this)->value;
}

export_fun term::as_fun() const {
  if (!is_fun()) throw_access("a fun");
  return term_access::node<detail::fun_node>(*this)->value;
}

term_span term::as_tuple() const {
  if (!is_tuple()) throw_access("a tuple");
  return {term_access::node<detail::tuple_node>(*this)->elements(), term_kind::tuple};
}

term_span term::as_list() const {
  if (is_nil()) return {{}, term_kind::list};
  if (!is_list()) throw_access("a list");
  return {term_access::node<detail::list_node>(*this)->elements().subspan(aux_), term_kind::list};
}

void term_span::throw_out_of_range(std::size_t index) const {
  throw bad_term_access(fmt::format("an index below {} (not {})", size(), index), kind_);
}

term term::list_tail() const {
  if (is_nil()) return {};
  if (!is_list()) throw_access("a list");
  return term_access::node<detail::list_node>(*this)->tail;
}

term term::head() const {
  if (!is_list()) throw_access("a non-empty list");
  return as_list().front();
}

term term::tail() const {
  if (!is_list()) throw_access("a non-empty list");
  const auto* l = term_access::node<detail::list_node>(*this);
  if (aux_ + 1 == l->size) return l->tail;
  retain();
  return term_access::adopt(p_, aux_ + 1);
}

std::span<const map_entry> term::as_map() const {
  if (!is_map()) throw_access("a map");
  return term_access::node<detail::map_node>(*this)->entries();
}

const term* term::map_find(const term& key) const {
  auto entries = as_map();
  auto it = std::lower_bound(entries.begin(), entries.end(), key,
                             [](const map_entry& e, const term& k) { return compare_exact(e.first, k) < 0; });
  return it != entries.end() && it->first == key ? &it->second : nullptr;
}

std::span<const std::uint8_t> term::as_binary() const {
  if (!is_binary()) throw_access(is_bitstring() ? "a binary (whole bytes)" : "a binary");
  return term_access::node<detail::bitstring_node>(*this)->bytes();
}

std::string_view term::as_string_view() const {
  auto bytes = as_binary();
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<const std::uint8_t> term::bitstring_bytes() const {
  if (!is_bitstring()) throw_access("a bitstring");
  return term_access::node<detail::bitstring_node>(*this)->bytes();
}

std::uint64_t term::bit_size() const {
  if (!is_bitstring()) throw_access("a bitstring");
  return term_access::node<detail::bitstring_node>(*this)->bits;
}

bool term::big_negative() const {
  if (is_small_integer()) return as_int() < 0;
  if (!is(tag::big_int)) throw_access("an integer");
  return term_access::node<detail::big_node>(*this)->negative;
}

std::span<const std::uint8_t> term::big_magnitude() const {
  if (!is(tag::big_int)) throw_access(is_integer() ? "a big integer (beyond 64 bits)" : "a big integer");
  return term_access::node<detail::big_node>(*this)->magnitude();
}

// --- builders ---

namespace {
template <class Node>
term build_terms(std::span<const term> elements, auto&&... node_args) {
  if (elements.size() > UINT32_MAX)
    throw std::length_error("a tuple, list or map holds at most 2^32-1 elements");
  auto* node = detail::allocate_node<Node, term>(elements.size(), static_cast<std::uint32_t>(elements.size()),
                                                 std::forward<decltype(node_args)>(node_args)...);
  std::uninitialized_copy(elements.begin(), elements.end(), detail::trailing<term>(node));
  return term_access::adopt(node);
}
template <class Node>
term build_terms(std::vector<term>&& elements, auto&&... node_args) {
  if (elements.size() > UINT32_MAX)
    throw std::length_error("a tuple, list or map holds at most 2^32-1 elements");
  auto* node = detail::allocate_node<Node, term>(elements.size(), static_cast<std::uint32_t>(elements.size()),
                                                 std::forward<decltype(node_args)>(node_args)...);
  std::uninitialized_move(elements.begin(), elements.end(), detail::trailing<term>(node));
  return term_access::adopt(node);
}
}  // namespace

term make_tuple(std::span<const term> elements) {
  return build_terms<detail::tuple_node>(elements);
}
term make_tuple(std::vector<term>&& elements) {
  return build_terms<detail::tuple_node>(std::move(elements));
}

term make_list(std::span<const term> elements, const term& tail) {
  if (elements.empty()) return tail;
  if (tail.is_list()) {  // flatten: a node's tail is never a non-empty list
    std::vector<term> all(elements.begin(), elements.end());
    all.insert(all.end(), tail.as_list().begin(), tail.as_list().end());
    return build_terms<detail::list_node>(std::move(all), tail.list_tail());
  }
  return build_terms<detail::list_node>(elements, tail);
}

term make_list(std::vector<term>&& elements, const term& tail) {
  if (elements.empty()) return tail;
  if (tail.is_list()) {
    elements.insert(elements.end(), tail.as_list().begin(), tail.as_list().end());
    return build_terms<detail::list_node>(std::move(elements), tail.list_tail());
  }
  return build_terms<detail::list_node>(std::move(elements), tail);
}

term cons(const term& head, const term& tail) {
  return make_list(std::span<const term>(&head, 1), tail);
}

term charlist(std::string_view utf8) {
  std::vector<term> code_points;
  code_points.reserve(utf8.size());
  for (std::size_t pos = 0; pos < utf8.size();) {
    auto cp = utf8::decode(utf8, pos);
    if (!cp) throw std::invalid_argument(fmt::format("charlist: invalid UTF-8 at byte {}", pos));
    code_points.emplace_back(static_cast<std::int64_t>(*cp));
  }
  return make_list(std::move(code_points));
}

term map(std::initializer_list<map_entry> entries) {
  return make_map(std::vector<map_entry>(entries));
}

term make_map(std::vector<map_entry>&& entries) {
  std::stable_sort(entries.begin(), entries.end(), [](const map_entry& a, const map_entry& b) {
    return compare_exact(a.first, b.first) < 0;
  });
  // Keep the last of equal keys (maps:from_list semantics): walk back to front, keep first seen.
  std::vector<map_entry> unique;
  unique.reserve(entries.size());
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (unique.empty() || !(unique.back().first == it->first)) unique.push_back(std::move(*it));
  }
  std::reverse(unique.begin(), unique.end());
  if (unique.size() > UINT32_MAX) throw std::length_error("a map holds at most 2^32-1 entries");
  auto* node = detail::allocate_node<detail::map_node, map_entry>(unique.size(),
                                                                  static_cast<std::uint32_t>(unique.size()));
  std::uninitialized_move(unique.begin(), unique.end(), detail::trailing<map_entry>(node));
  return term_access::adopt(node);
}

term bitstring(std::span<const std::uint8_t> bytes, std::uint64_t bits) {
  const std::uint64_t byte_size = (bits + 7) / 8;
  if (bytes.size() < byte_size) {
    throw std::invalid_argument(
        fmt::format("bitstring of {} bits needs {} bytes, got {}", bits, byte_size, bytes.size()));
  }
  auto* node = detail::allocate_node<detail::bitstring_node, std::uint8_t>(byte_size, bits);
  auto* out = detail::trailing<std::uint8_t>(node);
  if (byte_size > 0) std::memcpy(out, bytes.data(), byte_size);
  if (bits % 8 != 0) out[byte_size - 1] &= static_cast<std::uint8_t>(0xFF << (8 - bits % 8));
  return term_access::adopt(node);
}

term binary(std::span<const std::uint8_t> bytes) {
  return bitstring(bytes, std::uint64_t{bytes.size()} * 8);
}
term binary(std::string_view bytes) {
  return binary(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

term make_integer(bool negative, std::span<const std::uint8_t> magnitude_le) {
  std::size_t n = magnitude_le.size();
  while (n > 0 && magnitude_le[n - 1] == 0) --n;
  if (n <= 8) {
    std::uint64_t m = 0;
    for (std::size_t i = n; i-- > 0;) m = m << 8 | magnitude_le[i];
    if (!negative && m <= static_cast<std::uint64_t>(INT64_MAX)) return term(static_cast<std::int64_t>(m));
    if (negative && m <= std::uint64_t{1} << 63) return term(static_cast<std::int64_t>(0 - m));
  }
  auto* node =
      detail::allocate_node<detail::big_node, std::uint8_t>(n, negative, static_cast<std::uint32_t>(n));
  std::memcpy(detail::trailing<std::uint8_t>(node), magnitude_le.data(), n);
  return term_access::adopt(node);
}

}  // namespace beam
