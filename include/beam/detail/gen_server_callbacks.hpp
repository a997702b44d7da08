// beam/detail/gen_server_callbacks.hpp: which callbacks a gen_server type has, and the compile-time check
// that a member named as a callback has the callback's signature. Not for users: the names here change
// without notice.
#pragma once

#include <concepts>
#include <type_traits>

#include <beam/gen_server_result.hpp>
#include <beam/process.hpp>
#include <beam/term.hpp>

namespace beam::gen_server::detail {

// names_<callback><S>: whether S has a member of that name, whatever its kind or signature. Found by
// ambiguity: in a class derived from S and from a holder of an int of that name, the name is ambiguous
// exactly when S has one too (private, inherited, overloaded or a template alike). A final S cannot be
// derived from, so its member is looked up directly, which misses an overloaded or template one.
#define BEAM_GEN_SERVER_NAME_PROBE(callback)                                       \
  struct callback##_holder {                                                       \
    int callback;                                                                  \
  };                                                                               \
  template <class S>                                                               \
  struct callback##_probe : S, callback##_holder {};                               \
  template <class S>                                                               \
  concept names_##callback =                                                       \
      std::is_class_v<S> && ((std::is_final_v<S> && requires { &S::callback; }) || \
                             (!std::is_final_v<S> && !requires { &callback##_probe<S>::callback; }));
BEAM_GEN_SERVER_NAME_PROBE(init)
BEAM_GEN_SERVER_NAME_PROBE(handle_call)
BEAM_GEN_SERVER_NAME_PROBE(handle_cast)
BEAM_GEN_SERVER_NAME_PROBE(handle_info)
BEAM_GEN_SERVER_NAME_PROBE(handle_continue)
BEAM_GEN_SERVER_NAME_PROBE(terminate)
BEAM_GEN_SERVER_NAME_PROBE(code_change)
BEAM_GEN_SERVER_NAME_PROBE(format_status)
#undef BEAM_GEN_SERVER_NAME_PROBE

// The callbacks S has, told apart from members that only share a callback's name (names_* above: a member
// named as a callback). A callback's result: R, or a beam::task of something convertible to R.
template <class T, class R>
concept result_of_kind = std::convertible_to<beam::detail::awaited_t<std::remove_cvref_t<T>>, R>;

template <class S>
concept valid_init = requires(S& s) {
  { s.init() } -> result_of_kind<init_result>;
};
template <class S>
concept valid_handle_call = requires(S& s, const term& request, const term& from) {
  { s.handle_call(request, from) } -> result_of_kind<call_result>;
};
template <class S>
concept valid_handle_cast = requires(S& s, const term& message) {
  { s.handle_cast(message) } -> result_of_kind<handler_result>;
};
template <class S>
concept valid_handle_info = requires(S& s, const term& message) {
  { s.handle_info(message) } -> result_of_kind<handler_result>;
};
template <class S>
concept valid_handle_continue = requires(S& s, const term& value) {
  { s.handle_continue(value) } -> result_of_kind<handler_result>;
};
template <class S>
concept valid_terminate = requires(S& s, const term& reason) {
  s.terminate(reason);
};

// A member named after a callback whose signature is not the callback's does not compile, rather than being
// taken for a missing callback. Called by start (so the server type is complete).
template <class S>
constexpr void check_callbacks() {
  static_assert(std::is_class_v<S>, "gen_server: the server type must be a class");
  static_assert(!names_init<S> || valid_init<S>,
                "gen_server: the server type's init must be callable as init() and return "
                "gen_server::init_result or beam::task<gen_server::init_result>");
  static_assert(!names_handle_call<S> || valid_handle_call<S>,
                "gen_server: the server type's handle_call must be callable as handle_call(const beam::term& "
                "request, const beam::term& from) and return gen_server::call_result or "
                "beam::task<gen_server::call_result>");
  static_assert(!names_handle_cast<S> || valid_handle_cast<S>,
                "gen_server: the server type's handle_cast must be callable as handle_cast(const beam::term& "
                "message) and return gen_server::handler_result or beam::task<gen_server::handler_result>");
  static_assert(!names_handle_info<S> || valid_handle_info<S>,
                "gen_server: the server type's handle_info must be callable as handle_info(const beam::term& "
                "message) and return gen_server::handler_result or beam::task<gen_server::handler_result>");
  static_assert(!names_handle_continue<S> || valid_handle_continue<S>,
                "gen_server: the server type's handle_continue must be callable as handle_continue(const "
                "beam::term& value) and return gen_server::handler_result or "
                "beam::task<gen_server::handler_result>");
  static_assert(!names_terminate<S> || valid_terminate<S>,
                "gen_server: the server type's terminate must be callable as terminate(const beam::term& "
                "reason), returning void or beam::task<>");
  static_assert(
      !names_code_change<S>,
      "gen_server: the server type has a code_change, which beampp never calls (no hot code upgrade)");
  static_assert(!names_format_status<S>,
                "gen_server: the server type has a format_status, which beampp never calls (no state in "
                "reports, no sys:get_status)");
}

}  // namespace beam::gen_server::detail
