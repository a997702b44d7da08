// otp/process_name.cpp: a start name, atom or via, taken, given up and found alike (otp/process_name.hpp).
#include "otp/process_name.hpp"

#include <beam/error.hpp>
#include <beam/key_registry.hpp>
#include <beam/process.hpp>
#include <beam/registry.hpp>

namespace beam::otp {
namespace {

using namespace beam::literals;

std::optional<pid> claim_atom(atom name) {
  if (name == "undefined"_a) throw error(term("badarg"_a), "the name 'undefined' is reserved");
  for (;;) {  // again only when the holder of the name ended between register and whereis
    try {
      register_name(name, self());
      return std::nullopt;
    } catch (const error&) {
    }
    if (std::optional<pid> holder = whereis(name)) return holder;
  }
}

std::optional<pid> claim_via(const via& name) {
  (void)whereis(name);  // badarg for a registry that is unknown or has duplicate keys
  return key_registry::register_key(name.registry, name.key, name.value).already_registered;
}

}  // namespace

std::optional<pid> claim_name(const process_name& name) {
  if (const via* v = std::get_if<via>(&name)) return claim_via(*v);
  return claim_atom(std::get<atom>(name));
}

void release_name(const process_name& name) {
  if (const via* v = std::get_if<via>(&name)) {
    key_registry::unregister_key(v->registry, v->key);
  } else {
    unregister_name(std::get<atom>(name));
  }
}

std::optional<pid> whereis_name(const process_name& name) {
  return std::visit([](const auto& n) { return whereis(n); }, name);
}

term name_term(const process_name& name) {
  if (const via* v = std::get_if<via>(&name)) return to_term(*v);
  return term(std::get<atom>(name));
}

}  // namespace beam::otp
