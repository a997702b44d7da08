// beam/reference.hpp: references, Erlang's unique tokens (make_ref/0, monitor references, timer references).
//
// A reference is a node (name and creation) and one to five 32-bit words; this node's references have three.
// Printed as `#Reference<0.W2.W1.W0>` (Elixir) and `#Ref<0.W2.W1.W0>` (Erlang): words from last to first.
// A reference of this node stays one when the node is renamed (distribution starting or stopping), as a pid
// does and as OTP's references do: its node is this_node() of the moment, and an alias made before keeps
// reaching its process.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>

#include <beam/pid.hpp>

namespace beam {
namespace detail {
struct term_access;
}

class reference {
 public:
  static constexpr std::size_t max_words = 5;

  // Throws std::invalid_argument when `words` is empty or longer than max_words. A reference of this node
  // when `node` is this_node().
  reference(node_id node, std::span<const std::uint32_t> words);

  // A new reference of this node, unique for the life of the program; safe from any thread.
  [[nodiscard]] static reference make();

  [[nodiscard]] node_id node() const noexcept { return node_.node(); }
  [[nodiscard]] bool is_local() const noexcept { return node_.is_local(); }
  [[nodiscard]] std::span<const std::uint32_t> words() const noexcept { return {words_.data(), size_}; }

  friend bool operator==(const reference& a, const reference& b) noexcept;
  // Erlang's order: node name, then the words from the last (most significant) to the first.
  friend std::strong_ordering operator<=>(const reference& a, const reference& b) noexcept;

 private:
  friend struct detail::term_access;  // packs the references make() makes into a term, and unpacks them
  reference() noexcept = default;     // this node's, no words yet

  node_slot node_;
  std::uint32_t size_ = 0;
  std::array<std::uint32_t, max_words> words_{};
};

}  // namespace beam
