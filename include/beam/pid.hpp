// beam/pid.hpp: process identifiers.
//
// A pid names a process: the node it lives on (an atom and that node's creation) and, on that node, a process
// table slot number and a serial. A slot reused after its process ended gets the next serial, so an old pid
// never names the new process. Printed as `#PID<0.N.S>` (Elixir) and `<0.N.S>` (Erlang) for a pid of this
// node.
#pragma once

#include <bit>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>

#include <beam/atom.hpp>

namespace beam {

// This node's name and creation: `nonode@nohost` and 0 until distribution is started (beam/dist.hpp).
struct node_id {
  atom name;
  std::uint32_t creation;
  friend bool operator==(const node_id&, const node_id&) noexcept = default;
};
[[nodiscard]] node_id this_node() noexcept;

// The node of a pid, port or reference, in 8 bytes: this node as a marker, so that its identifiers stay its
// own when the node is renamed (distribution starting or stopping, as OTP's do), any other node as its atom
// index and creation.
class node_slot {
 public:
  constexpr node_slot() noexcept = default;   // this node
  explicit node_slot(node_id node) noexcept;  // this node's marker when `node` is this_node()

  [[nodiscard]] bool is_local() const noexcept { return name_ == local_marker; }
  [[nodiscard]] node_id node() const noexcept;
  // A hash of the slot as held, not of node(): this node's identifiers keep their hashes when it is renamed,
  // so a hash container keyed by them stays sound across distribution starting and stopping. Rotated to mix
  // with the low bits of an identifier's numbers.
  [[nodiscard]] std::uint64_t hash_bits() const noexcept {
    return std::rotl(std::uint64_t{name_} << 32 | creation_, 8);
  }

  friend bool operator==(const node_slot&, const node_slot&) noexcept = default;
  // Erlang orders identifiers of different nodes by the nodes' names, and some by their creations after other
  // fields: the two halves of the order, each equal for equal slots.
  friend std::strong_ordering order_by_name(const node_slot& a, const node_slot& b) noexcept;
  friend std::strong_ordering order_by_creation(const node_slot& a, const node_slot& b) noexcept;

 private:
  static constexpr std::uint32_t local_marker = ~std::uint32_t{0};
  std::uint32_t name_ = local_marker;  // atom index of the node, or local_marker for this node
  std::uint32_t creation_ = 0;
};

class pid {
 public:
  // A pid of this node.
  constexpr pid(std::uint32_t number, std::uint32_t serial) noexcept : number_(number), serial_(serial) {}
  // A pid of any node; equal to the local form when `node` is this node.
  pid(node_id node, std::uint32_t number, std::uint32_t serial) noexcept;

  [[nodiscard]] std::uint32_t number() const noexcept { return number_; }
  [[nodiscard]] std::uint32_t serial() const noexcept { return serial_; }
  [[nodiscard]] bool is_local() const noexcept { return node_.is_local(); }
  [[nodiscard]] std::uint64_t node_hash_bits() const noexcept { return node_.hash_bits(); }
  [[nodiscard]] node_id node() const noexcept { return node_.node(); }

  friend bool operator==(const pid&, const pid&) noexcept = default;
  // Erlang's order (OTP 25): serial, then number, then node name, then creation.
  friend std::strong_ordering operator<=>(const pid& a, const pid& b) noexcept;

 private:
  node_slot node_;
  std::uint32_t number_;
  std::uint32_t serial_;
};

}  // namespace beam

template <>
struct std::hash<beam::pid> {
  std::size_t operator()(const beam::pid& p) const noexcept {
    return std::hash<std::uint64_t>{}((std::uint64_t{p.serial()} << 32 | p.number()) ^ p.node_hash_bits());
  }
};
