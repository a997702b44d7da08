// proc/alias.cpp: process aliases (beam/alias.hpp).
//
// An alias is a reference of five words: the three unique words of any reference of this node, then the
// number and serial of its process, so a send to an alias goes straight to its process (OTP's aliases carry
// their process too). Whether it is still active is the process's own record (process_links::aliases, owner
// only): the message travels as an `alias_message` signal and the receiver keeps it only while the alias is
// active (proc/signals.cpp), so unalias needs no lock and no message to anyone, and a message sent to a
// deactivated alias is dropped on arrival. Rejected: a runtime-wide table from alias to process (a lock, or a
// concurrent map, on every call's tag; and entries to remove when the process ends).
#include <beam/alias.hpp>

#include <algorithm>
#include <array>

#include "proc/node.hpp"
#include "proc/process_control.hpp"
#include "proc/signals.hpp"

namespace beam {
namespace detail {
namespace {

constexpr std::size_t unique_words = 3;

reference alias_reference(const pid& owner) {
  const reference unique = reference::make();
  std::array<std::uint32_t, unique_words + 2> words{};
  std::ranges::copy(unique.words(), words.begin());
  words[unique_words] = owner.number();
  words[unique_words + 1] = owner.serial();
  return reference(this_node(), words);
}

alias_mode mode_of(alias_option option) noexcept {
  return option == alias_option::reply ? alias_mode::reply : alias_mode::explicit_unalias;
}

}  // namespace

term make_alias(process_control& p, alias_mode mode) {
  term alias(alias_reference(p.self()));
  links_of(p).aliases.emplace(alias, mode);
  return alias;
}

std::optional<pid> alias_owner(const reference& r) noexcept {
  const auto words = r.words();
  if (!r.is_local() || words.size() != unique_words + 2) return std::nullopt;
  return pid(words[unique_words], words[unique_words + 1]);
}

void send_to_alias(proc::node& node, const term& alias, term message) {
  const reference& r = alias.as_reference();
  if (const std::optional<pid> owner = alias_owner(r)) {
    send_signal(node, *owner, proc::signal_kind::alias_message, tuple(alias, std::move(message)));
  } else if (!r.is_local()) {  // another node's alias: distribution carries it (ALIAS_SEND), if running
    node.router.load(std::memory_order_acquire)->route_alias(r, std::move(message));
  }
}

}  // namespace detail

reference alias(alias_option option) {
  return detail::make_alias(detail::current_process("beam::alias"), detail::mode_of(option)).as_reference();
}

bool unalias(const reference& alias) {
  detail::process_control& p = detail::current_process("beam::unalias");
  return p.links != nullptr && p.links->aliases.erase(term(alias)) != 0;
}

term send(const reference& alias, term message) {
  detail::send_to_alias(detail::node_for("beam::send"), term(alias), message);
  return message;  // no alias: dropped, as OTP drops a message sent to a plain reference
}

}  // namespace beam
