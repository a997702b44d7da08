// beam/port.hpp: port identifiers, the terms that name a socket or another resource a process owns.
//
// A port names the node it lives on (an atom and that node's creation) and, on that node, a number that is
// never reused for the life of the node. Printed as `#Port<0.N>` (Elixir and Erlang) for a port of this node.
// In Erlang's term order a port sits between funs and pids.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>

#include <beam/pid.hpp>

namespace beam {

class port {
 public:
  // A port of this node.
  constexpr explicit port(std::uint64_t number) noexcept : number_(number) {}
  // A port of any node; equal to the local form when `node` is this node.
  port(node_id node, std::uint64_t number) noexcept;

  [[nodiscard]] std::uint64_t number() const noexcept { return number_; }
  [[nodiscard]] bool is_local() const noexcept { return node_.is_local(); }
  [[nodiscard]] std::uint64_t node_hash_bits() const noexcept { return node_.hash_bits(); }
  [[nodiscard]] node_id node() const noexcept { return node_.node(); }

  friend bool operator==(const port&, const port&) noexcept = default;
  // Erlang's order: by node name, then creation, then number.
  friend std::strong_ordering operator<=>(const port& a, const port& b) noexcept;

 private:
  node_slot node_;
  std::uint64_t number_;
};

}  // namespace beam

template <>
struct std::hash<beam::port> {
  std::size_t operator()(const beam::port& p) const noexcept {
    return std::hash<std::uint64_t>{}(p.number() ^ p.node_hash_bits());
  }
};
