// beam/gen_server_result.hpp: what gen_server callbacks return (see beam/gen_server.hpp): init's ok(),
// ignore() and stop(reason); handle_call's reply(v) and stop(reason, v); noreply(); and the next action a
// result may carry (a timeout, hibernate, continue_with(c)), OTP's last element of {reply, R, S, _}.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <utility>

#include <beam/call.hpp>
#include <beam/convert.hpp>
#include <beam/term.hpp>

namespace beam::gen_server {

// stop(reason): ends the server from any callback. Converts to every result type.
struct stop_request {
  term reason;
};

// hibernate: what OTP's `hibernate` in a result asks. beampp has no erlang:hibernate, so the server only
// waits for its next message, with no timeout, keeping its memory.
struct hibernate_t {
  explicit constexpr hibernate_t() = default;
};
inline constexpr hibernate_t hibernate{};

// continue_with(c): OTP's {continue, C}; handle_continue(c) runs before any other message.
struct continue_request {
  term value;
};
[[nodiscard]] inline continue_request continue_with(term value) {
  return {std::move(value)};
}

// What the server does before its next message, the last element of OTP's {ok, S, _}, {reply, R, S, _} and
// {noreply, S, _}: wait for it (the default: however long it takes); wait at most a timeout, after which
// handle_info gets the atom `timeout` (beam::infinity: no timeout); hibernate; or continue_with(c).
class next_action {
 public:
  next_action() = default;
  template <class Rep, class Period>
  requires std::convertible_to<std::chrono::duration<Rep, Period>, std::chrono::milliseconds> next_action(
      std::chrono::duration<Rep, Period> timeout)  // NOLINT: noreply(100ms)
      : timeout_(timeout) {}
  next_action(hibernate_t /*unused*/) {}  // NOLINT: noreply(hibernate); waits as the default does
  next_action(continue_request c)         // NOLINT: noreply(continue_with(c))
      : continues_(true), value_(std::move(c.value)) {}

  // The continue_with value, or null when the server is to wait for a message.
  [[nodiscard]] const term* continuation() const noexcept { return continues_ ? &value_ : nullptr; }
  // How long the server waits for a message (infinity: no timeout), when continuation() is null.
  [[nodiscard]] std::chrono::milliseconds timeout() const noexcept { return timeout_; }

 private:
  std::chrono::milliseconds timeout_ = infinity;
  bool continues_ = false;  // continue_with: value_ goes to handle_continue before any message
  term value_;
};

// What init returns.
struct init_result {
  enum class outcome : std::uint8_t { ok, stop, ignore };
  outcome what = outcome::ok;
  term reason;                                                                       // outcome::stop
  next_action next;                                                                  // outcome::ok
  init_result(outcome o) : what(o) {}                                                // NOLINT: ok(), ignore()
  init_result(stop_request s) : what(outcome::stop), reason(std::move(s.reason)) {}  // NOLINT: stop(reason)
};

// What handle_cast, handle_info and handle_continue return.
struct handler_result {
  std::optional<term> stop_reason;  // empty: noreply
  next_action next;                 // when the server goes on
  handler_result() = default;
  handler_result(stop_request s) : stop_reason(std::move(s.reason)) {}  // NOLINT: stop(reason)
};

// What handle_call returns.
struct call_result {
  std::optional<term> reply;        // sent to the caller (after terminate, when stopping)
  std::optional<term> stop_reason;  // empty: the server goes on
  next_action next;                 // when the server goes on
  call_result() = default;
  call_result(handler_result r)  // NOLINT: noreply()
      : stop_reason(std::move(r.stop_reason)), next(std::move(r.next)) {}
  call_result(stop_request s) : stop_reason(std::move(s.reason)) {}  // NOLINT: stop(reason)
};

// {ok, S} and {ok, S, Next}.
[[nodiscard]] inline init_result ok(next_action next = {}) {
  init_result r(init_result::outcome::ok);
  r.next = std::move(next);
  return r;
}
[[nodiscard]] inline init_result ignore() {
  return init_result::outcome::ignore;
}
// {noreply, S} and {noreply, S, Next}.
[[nodiscard]] inline handler_result noreply(next_action next = {}) {
  handler_result r;
  r.next = std::move(next);
  return r;
}
[[nodiscard]] inline stop_request stop(term reason) {
  return {std::move(reason)};
}
// {reply, R, S} and {reply, R, S, Next}: replies beam::to_term(value).
template <class T>
[[nodiscard]] call_result reply(T&& value, next_action next = {}) {
  call_result r;
  r.reply = to_term(std::forward<T>(value));
  r.next = std::move(next);
  return r;
}
// Stops with `reason`, replying `value` to the caller once terminate has run.
template <class T>
[[nodiscard]] call_result stop(term reason, T&& value) {
  call_result r = reply(std::forward<T>(value));
  r.stop_reason = std::move(reason);
  return r;
}

}  // namespace beam::gen_server
