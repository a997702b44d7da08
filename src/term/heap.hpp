// term/heap.hpp: the layouts of the heap nodes behind beam::term, and the one door (term_access) through
// which the term module's own code reads and builds them. Not part of the public API.
//
// Each node is one allocation: a fixed header followed by its elements (terms, entries or bytes). A node is
// built completely by one thread before the term that points at it is published; it is never written again.
// See the reference-count rule at detail::heap_node in <beam/term.hpp>.
#pragma once

#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <utility>

#include <beam/term.hpp>

namespace beam::detail {

// The trailing elements of a node: they start right after the node header, suitably aligned.
template <class Elem, class Node>
[[nodiscard]] Elem* trailing(Node* node) noexcept {
  static_assert(sizeof(Node) % alignof(Elem) == 0);
  return reinterpret_cast<Elem*>(reinterpret_cast<std::byte*>(node) + sizeof(Node));
}
template <class Elem, class Node>
[[nodiscard]] const Elem* trailing(const Node* node) noexcept {
  return trailing<Elem>(const_cast<Node*>(node));
}

struct alignas(8) big_node : heap_node {
  bool negative;
  std::uint32_t size;  // bytes of magnitude, little-endian, the last one non-zero
  big_node(bool neg, std::uint32_t n) noexcept : heap_node(tag::big_int), negative(neg), size(n) {}
  [[nodiscard]] std::span<const std::uint8_t> magnitude() const noexcept {
    return {trailing<std::uint8_t>(this), size};
  }
};

struct alignas(8) bitstring_node : heap_node {
  std::uint64_t bits;
  explicit bitstring_node(std::uint64_t b) noexcept : heap_node(tag::bitstring), bits(b) {}
  [[nodiscard]] std::size_t byte_size() const noexcept { return static_cast<std::size_t>((bits + 7) / 8); }
  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept {
    return {trailing<std::uint8_t>(this), byte_size()};
  }
};

struct alignas(8) tuple_node : heap_node {
  std::uint32_t size;
  explicit tuple_node(std::uint32_t n) noexcept : heap_node(tag::tuple), size(n) {}
  [[nodiscard]] std::span<const term> elements() const noexcept { return {trailing<term>(this), size}; }
};

struct alignas(8) list_node : heap_node {
  std::uint32_t size;  // >= 1
  term tail;           // [] for a proper list; never a non-empty list
  list_node(std::uint32_t n, term t) noexcept : heap_node(tag::list), size(n), tail(std::move(t)) {}
  [[nodiscard]] std::span<const term> elements() const noexcept { return {trailing<term>(this), size}; }
};

struct alignas(8) map_node : heap_node {
  std::uint32_t size;
  explicit map_node(std::uint32_t n) noexcept : heap_node(tag::map), size(n) {}
  [[nodiscard]] std::span<const map_entry> entries() const noexcept {
    return {trailing<map_entry>(this), size};
  }
};

template <class Value, tag Tag>
struct alignas(8) value_node : heap_node {
  Value value;
  explicit value_node(const Value& v) noexcept : heap_node(Tag), value(v) {}
};
using reference_node = value_node<reference, tag::reference>;
using remote_pid_node = value_node<pid, tag::remote_pid>;
using remote_port_node = value_node<port, tag::remote_port>;
using fun_node = value_node<export_fun, tag::fun>;

// A block for a node of `bytes`: from the small-block pools (base/small_pool.hpp) up to their limit, else
// from operator new. `block_class` (stored in the node) is what free_node_block needs back. Counts the bytes
// in built_bytes.
[[nodiscard]] void* allocate_node_block(std::size_t bytes, std::uint8_t& block_class);
// Bytes of term nodes this thread has built since the last take_built_bytes (this thread's only). Inline, so
// that the process layer reads it without a call on every send and spawn.
inline thread_local std::size_t built_bytes = 0;
// Returns and resets built_bytes; the process layer charges them as reductions to the process running here
// (building a large value is work, as in BEAM).
[[nodiscard]] inline std::size_t take_built_bytes() noexcept {
  return std::exchange(built_bytes, 0);
}
// Gives back the block of a node whose members are destroyed (or were never built).
void free_node_block(heap_node* node) noexcept;

// Allocates a node of type Node with room for `count` trailing Elems (left uninitialised for bytes, to be
// constructed by the caller for terms). Throws std::bad_alloc.
template <class Node, class Elem, class... Args>
[[nodiscard]] Node* allocate_node(std::size_t count, Args&&... args) {
  std::uint8_t block_class = 0;
  void* raw = allocate_node_block(sizeof(Node) + count * sizeof(Elem), block_class);
  Node* node = new (raw) Node(std::forward<Args>(args)...);  // nodes' constructors are noexcept
  node->block_class = block_class;
  return node;
}

// The term module's access to the representation.
struct term_access {
  static tag tag_of(const term& t) noexcept { return t.tag_; }
  static std::uint32_t aux(const term& t) noexcept { return t.aux_; }
  static std::uint64_t bits(const term& t) noexcept { return t.u_; }
  template <class Node>
  static const Node* node(const term& t) noexcept {
    return static_cast<const Node*>(t.p_);
  }
  // Adopts a freshly built node (count 1) into a term.
  static term adopt(heap_node* node, std::uint32_t aux = 0) noexcept {
    term t;
    t.tag_ = node->kind;
    t.aux_ = aux;
    t.p_ = node;
    return t;
  }
  static term immediate(tag k, std::uint64_t bits) noexcept {
    term t;
    t.tag_ = k;
    t.u_ = bits;
    return t;
  }
  // A reference of this node with three words as reference::make spreads its 64-bit counter over them (the
  // first below 2^18, the last below 2^14) is the counter, held in the term as an immediate: making,
  // copying, comparing and dropping it touch no heap. Every such reference is held so (term's constructor
  // packs it), so two reference terms are equal exactly when their tags and bits are.
  static std::optional<std::uint64_t> packed_reference(const reference& r) noexcept {
    const auto& w = r.words_;
    if (!r.node_.is_local() || r.size_ != 3 || w[0] >= (1U << 18) || w[2] >= (1U << 14)) return std::nullopt;
    return std::uint64_t{w[0]} | std::uint64_t{w[1]} << 18 | std::uint64_t{w[2]} << 50;
  }
  static reference unpacked_reference(std::uint64_t counter) noexcept {
    reference r;
    r.size_ = 3;
    r.words_ = {static_cast<std::uint32_t>(counter & 0x3FFFF), static_cast<std::uint32_t>(counter >> 18),
                static_cast<std::uint32_t>(counter >> 50), 0, 0};
    return r;
  }
  // Takes the node out of `t` (leaving []) without touching the count: used by the iterative destroy.
  static heap_node* steal(term& t) noexcept {
    if (!t.on_heap()) return nullptr;
    heap_node* n = t.p_;
    t.reset_to_nil();
    return n;
  }
};

}  // namespace beam::detail
