// beam/receive.hpp: selective receive with patterns, guards and timeouts.
//
//   co_await beam::receive(
//       beam::on(beam::tuple("hello3"_a, beam::_int), [](std::int64_t n) { ... }),
//       beam::on("stop"_a, [] { ... }),
//       beam::after(std::chrono::milliseconds(100), [] { /* timeout */ }));
//
// The oldest message that matches any clause is taken (clauses tried in order for each message); the others
// stay in the mailbox in their order. A handler gets the pattern's captures, in order; a clause without
// captures may take the whole message (`const beam::term&`) instead. co_await yields what the handlers return
// (all return one type). A waiting process uses no CPU. Messages already skipped are not scanned again when
// new ones arrive.
//
// Patterns: a literal (any value convertible to beam::term) matches an equal term; `beam::_` matches
// anything; typed captures match a kind and pass its value: _int (std::int64_t), _float (double), _number
// (double), _atom (beam::atom), _binary (beam::term), _pid (beam::pid), _port (beam::port), _ref
// (beam::reference), _term (beam::term), and as<T> for any C++ type with a term conversion (std::string,
// std::vector<int>, a user type...); beam::tuple(p...) and beam::list(p...) with a pattern inside match
// tuples and proper lists element by element. Guards: beam::on(pattern, beam::when(pred), handler), pred
// taking the captures. A pattern meeting another kind of term does not match; a guard or a conversion that
// throws counts as no match (as a failing Erlang guard does), never as a crash.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

#include <beam/convert.hpp>
#include <beam/detail/process_base.hpp>
#include <beam/error.hpp>
#include <beam/pid.hpp>
#include <beam/port.hpp>
#include <beam/reference.hpp>
#include <beam/term.hpp>

namespace beam {

namespace patterns {
struct wildcard {};
template <class T>
struct capture {};
template <class... Ps>
struct tuple_of {
  std::tuple<Ps...> elements;
};
template <class... Ps>
struct list_of {
  std::tuple<Ps...> elements;
};

template <class P>
struct is_piece : std::false_type {};
template <>
struct is_piece<wildcard> : std::true_type {};
template <class T>
struct is_piece<capture<T>> : std::true_type {};
template <class... Ps>
struct is_piece<tuple_of<Ps...>> : std::true_type {};
template <class... Ps>
struct is_piece<list_of<Ps...>> : std::true_type {};
template <class P>
inline constexpr bool is_piece_v = is_piece<std::remove_cvref_t<P>>::value;

// A pattern argument as stored: pieces as they are, anything else as a literal term.
template <class X>
auto normalize(X&& x) {
  if constexpr (is_piece_v<X>) {
    return std::remove_cvref_t<X>(std::forward<X>(x));
  } else {
    return term(std::forward<X>(x));
  }
}

inline std::optional<std::tuple<>> match(const term& literal, const term& t) {
  if (literal == t) return std::tuple<>{};
  return std::nullopt;
}
inline std::optional<std::tuple<>> match(wildcard, const term&) {
  return std::tuple<>{};
}

template <class T>
std::optional<std::tuple<T>> match(capture<T>, const term& t) {
  if constexpr (std::is_same_v<T, std::int64_t>) {
    if (t.is_small_integer()) return std::tuple<T>{t.as_int()};
  } else if constexpr (std::is_same_v<T, double>) {
    if (t.is_number()) return std::tuple<T>{t.as_number()};
  } else if constexpr (std::is_same_v<T, atom>) {
    if (t.is_atom()) return std::tuple<T>{t.as_atom()};
  } else if constexpr (std::is_same_v<T, pid>) {
    if (t.is_pid()) return std::tuple<T>{t.as_pid()};
  } else if constexpr (std::is_same_v<T, port>) {
    if (t.is_port()) return std::tuple<T>{t.as_port()};
  } else if constexpr (std::is_same_v<T, reference>) {
    if (t.is_reference()) return std::tuple<T>{t.as_reference()};
  } else {
    static_assert(std::is_same_v<T, term>);
    return std::tuple<T>{t};
  }
  return std::nullopt;
}

// Binaries and floats capture a term/double but test a narrower kind than the capture type says.
struct binary_capture {};
struct float_capture {};
template <>
struct is_piece<binary_capture> : std::true_type {};
template <>
struct is_piece<float_capture> : std::true_type {};
inline std::optional<std::tuple<term>> match(binary_capture, const term& t) {
  if (t.is_binary()) return std::tuple<term>{t};
  return std::nullopt;
}
inline std::optional<std::tuple<double>> match(float_capture, const term& t) {
  if (t.is_float()) return std::tuple<double>{t.as_float()};
  return std::nullopt;
}

// A message that converts to T (beam::from_term<T>): the capture is the converted value.
template <class T>
struct converted {};
template <class T>
struct is_piece<converted<T>> : std::true_type {};
template <class T>
std::optional<std::tuple<T>> match(converted<T>, const term& t) {
  return std::tuple<T>{from_term<T>(t)};  // a conversion that throws is no match: see on_clause::match
}

template <class P>
using captures_of =
    typename decltype(match(std::declval<const P&>(), std::declval<const term&>()))::value_type;

template <class... Ps, std::size_t... Is>
auto match_elements(const std::tuple<Ps...>& pats, std::span<const term> elems, std::index_sequence<Is...>)
    -> std::optional<decltype(std::tuple_cat(std::declval<captures_of<Ps>>()...))> {
  std::tuple<std::optional<captures_of<Ps>>...> parts;
  const bool ok =
      ((std::get<Is>(parts) = match(std::get<Is>(pats), elems[Is]), std::get<Is>(parts).has_value()) && ...);
  if (!ok) return std::nullopt;
  return std::tuple_cat(std::move(*std::get<Is>(parts))...);
}

template <class... Ps>
auto match(const tuple_of<Ps...>& p, const term& t)
    -> std::optional<decltype(std::tuple_cat(std::declval<captures_of<Ps>>()...))> {
  if (!t.is_tuple() || t.as_tuple().size() != sizeof...(Ps)) return std::nullopt;
  return match_elements(p.elements, t.as_tuple(), std::index_sequence_for<Ps...>{});
}

template <class... Ps>
auto match(const list_of<Ps...>& p, const term& t)
    -> std::optional<decltype(std::tuple_cat(std::declval<captures_of<Ps>>()...))> {
  if (!t.is_proper_list() || t.as_list().size() != sizeof...(Ps)) return std::nullopt;
  return match_elements(p.elements, t.as_list(), std::index_sequence_for<Ps...>{});
}
}  // namespace patterns

inline constexpr patterns::wildcard _{};
inline constexpr patterns::capture<std::int64_t> _int{};
inline constexpr patterns::float_capture _float{};
inline constexpr patterns::capture<double> _number{};
inline constexpr patterns::capture<atom> _atom{};
inline constexpr patterns::binary_capture _binary{};
inline constexpr patterns::capture<pid> _pid{};
inline constexpr patterns::capture<port> _port{};
inline constexpr patterns::capture<reference> _ref{};
inline constexpr patterns::capture<term> _term{};
// A capture of any C++ type with a term conversion (beam::convert<T>): matches the terms that convert.
template <class T>
inline constexpr patterns::converted<T> as{};

// {p, ...} and [p, ...] as patterns, when at least one element is a pattern piece (else they build terms).
template <class... Ps>
requires(patterns::is_piece_v<Ps> || ...) [[nodiscard]] auto tuple(Ps&&... ps) {
  return patterns::tuple_of<decltype(patterns::normalize(std::forward<Ps>(ps)))...>{
      {patterns::normalize(std::forward<Ps>(ps))...}};
}
template <class... Ps>
requires(patterns::is_piece_v<Ps> || ...) [[nodiscard]] auto list(Ps&&... ps) {
  return patterns::list_of<decltype(patterns::normalize(std::forward<Ps>(ps)))...>{
      {patterns::normalize(std::forward<Ps>(ps))...}};
}

template <class Pred>
struct guard {
  Pred pred;
};
template <class Pred>
[[nodiscard]] guard<Pred> when(Pred pred) {
  return {std::move(pred)};
}

namespace detail {
struct no_guard {};

template <class P, class G, class H>
struct on_clause {
  [[no_unique_address]] P pattern;
  [[no_unique_address]] G guard_;
  [[no_unique_address]] H handler;
  using captures = patterns::captures_of<P>;

  // Anything thrown while matching (a conversion, a guard, an accessor) means no match, as a failing Erlang
  // guard does: it never ends the process, and never reaches the worker that matches for a waiting process.
  [[nodiscard]] std::optional<captures> match(const term& message) const noexcept {
    try {
      auto c = patterns::match(pattern, message);
      if constexpr (!std::is_same_v<G, no_guard>) {
        if (c && !std::apply(guard_.pred, *c)) return std::nullopt;
      }
      return c;
    } catch (...) {
      return std::nullopt;
    }
  }
  decltype(auto) invoke(const term& message) { return invoke_with(message, *match(message)); }
  // The handler, given what match() captured from `message`.
  decltype(auto) invoke_with(const term& message, captures c) {
    if constexpr (std::tuple_size_v<captures> == 0 && std::is_invocable_v<H&, const term&>) {
      return handler(message);
    } else {
      return std::apply(handler, std::move(c));
    }
  }
};

template <class C>
struct is_on_clause : std::false_type {};
template <class P, class G, class H>
struct is_on_clause<on_clause<P, G, H>> : std::true_type {};
template <class C>
inline constexpr bool is_on_clause_v = is_on_clause<std::remove_cvref_t<C>>::value;

template <class H>
struct after_clause {
  std::chrono::steady_clock::duration timeout;
  H handler;
};

template <class C>
struct is_after : std::false_type {};
template <class H>
struct is_after<after_clause<H>> : std::true_type {};

template <class C>
struct clause_result {
  using type = decltype(std::declval<C&>().invoke(std::declval<const term&>()));
};
template <class H>
struct clause_result<after_clause<H>> {
  using type = std::invoke_result_t<H&>;
};

// Throws beam::error(timeout_value) for a negative timeout or one past OTP's largest, as Erlang's `after`
// does.
std::chrono::steady_clock::time_point receive_deadline(std::chrono::steady_clock::duration timeout);

// OTP's timeouts: integers 0 ... 2^32-1 ms, or infinity.
inline constexpr double longest_timeout_ms = 4'294'967'295.0;
// An after_clause's timeout past longest_timeout_ms: receive_deadline refuses it (a sentinel, so the clause
// in every waiting frame stays one duration wide).
inline constexpr std::chrono::steady_clock::duration timeout_too_long =
    std::chrono::steady_clock::duration::min();

// The steady-clock duration of a timeout: max() of any duration type (beam::infinity) waits forever.
template <class Rep, class Period>
std::chrono::steady_clock::duration to_timeout(std::chrono::duration<Rep, Period> timeout) {
  using clock_duration = std::chrono::steady_clock::duration;
  if (timeout == std::chrono::duration<Rep, Period>::max()) return clock_duration::max();
  if (std::chrono::duration<double, std::milli>(timeout).count() > longest_timeout_ms)
    return timeout_too_long;
  return std::chrono::ceil<clock_duration>(timeout);
}
}  // namespace detail

// A clause: messages matching `pattern` (and the guard) are taken and passed to `handler`.
template <class P, class H>
[[nodiscard]] auto on(P&& pattern, H handler) {
  using pattern_type = decltype(patterns::normalize(std::forward<P>(pattern)));
  return detail::on_clause<pattern_type, detail::no_guard, H>{
      patterns::normalize(std::forward<P>(pattern)), {}, std::move(handler)};
}
template <class P, class Pred, class H>
[[nodiscard]] auto on(P&& pattern, guard<Pred> g, H handler) {
  using pattern_type = decltype(patterns::normalize(std::forward<P>(pattern)));
  return detail::on_clause<pattern_type, guard<Pred>, H>{patterns::normalize(std::forward<P>(pattern)),
                                                         std::move(g), std::move(handler)};
}

// The timeout clause, last: after(0) polls. As OTP's `after`: up to 4,294,967,295 ms, or beam::infinity (the
// max() of any duration type) to wait forever; a negative or longer timeout is beam::error(timeout_value).
template <class Rep, class Period, class H>
[[nodiscard]] auto after(std::chrono::duration<Rep, Period> timeout, H handler) {
  return detail::after_clause<H>{detail::to_timeout(timeout), std::move(handler)};
}

namespace detail {

// The awaiter of a receive, in the frame of the waiting coroutine: the clauses, the mailbox position, and the
// deadline only when there is an `after`. A matching message stays in the mailbox, at the cursor, until
// await_resume takes it (the process may first yield when its budget is spent).
template <class... Clauses>
class receive_awaiter : receive_waiter {
  static constexpr std::size_t count = sizeof...(Clauses);
  static constexpr bool has_after = (is_after<Clauses>::value || ...);
  static constexpr std::size_t match_count = has_after ? count - 1 : count;
  static_assert(!has_after || is_after<std::tuple_element_t<count - 1, std::tuple<Clauses...>>>::value,
                "beam::after must be the last clause of a receive");
  static_assert(match_count < 128, "a receive has at most 127 clauses");
  using result = typename clause_result<std::tuple_element_t<0, std::tuple<Clauses...>>>::type;
  using time_point = std::chrono::steady_clock::time_point;
  struct no_deadline {};

 public:
  explicit receive_awaiter(Clauses... clauses) : clauses_(std::move(clauses)...) {
    (void)current_process("beam::receive");  // outside a process: a logic_error now, not at the co_await
    try_match = &receive_awaiter::try_match_now;
  }

  bool await_ready() {
    process_control& p = *current_process_or_null();
    const bool budget_spent = bump_reductions(p, 1);
    if (scan(p)) return !budget_spent;
    if constexpr (has_after) {
      // As OTP, the timeout is checked (timeout_value) only when the receive would wait.
      deadline_ = receive_deadline(std::get<count - 1>(clauses_).timeout);
      if (deadline_ <= std::chrono::steady_clock::now()) {  // after(0), or a deadline already past
        timed_out = true;
        return !budget_spent;
      }
    }
    return false;
  }
  void await_suspend(std::coroutine_handle<> h) {
    process_control& p = *current_process_or_null();
    if (matched >= 0 || timed_out) {
      note_suspend(p, h, suspend_reason::yield);  // the slice's budget is spent: run the handler next time
    } else if constexpr (has_after) {
      wait_for_message(p, *this, h, deadline_);
    } else {
      wait_for_message(p, *this, h, time_point::max());
    }
  }
  result await_resume() {
    if (matched < 0) {  // timed out
      if constexpr (has_after) return std::get<count - 1>(clauses_).handler();
    }
    const term message = mailbox_take(*current_process_or_null(), cursor_);
    return invoke_matched(message, std::make_index_sequence<match_count>{});
  }

 private:
  static bool try_match_now(receive_waiter* self) {
    return static_cast<receive_awaiter*>(self)->scan(*current_process_or_null());
  }

  // Looks for the oldest message matching a clause from the cursor on; leaves the cursor on it. Each message
  // skipped costs a reduction, so a receive that skips many messages gives way to others as BEAM's does (its
  // loop_rec_end); the one taken costs none beyond the receive's own.
  bool scan(process_control& p) {
    while (const term* message = mailbox_peek(p, cursor_)) {
      const int clause = first_matching(*message, std::make_index_sequence<match_count>{});
      if (clause >= 0) {
        matched = static_cast<std::int8_t>(clause);
        return true;
      }
      bump_reductions(p, 1);
      mailbox_skip(p, cursor_);
    }
    return false;
  }

  template <std::size_t... Is>
  int first_matching(const term& message, std::index_sequence<Is...>) const {
    int found = -1;
    (void)((std::get<Is>(clauses_).match(message) ? (found = static_cast<int>(Is), true) : false) || ...);
    return found;
  }

  template <std::size_t... Is>
  result invoke_matched(const term& message, std::index_sequence<Is...>) {
    if constexpr (std::is_void_v<result>) {
      (void)((matched == static_cast<int>(Is) ? (std::get<Is>(clauses_).invoke(message), true) : false) ||
             ...);
    } else {
      std::optional<result> out;
      (void)((matched == static_cast<int>(Is) ? (out.emplace(std::get<Is>(clauses_).invoke(message)), true)
                                              : false) ||
             ...);
      return std::move(*out);
    }
  }

  std::tuple<Clauses...> clauses_;
  mailbox_cursor cursor_;
  [[no_unique_address]] std::conditional_t<has_after, time_point, no_deadline> deadline_;
};

// receive() without clauses: the oldest message.
class receive_any {
 public:
  receive_any()
      : awaiter_(on(
            _term, +[](term t) { return t; })) {}
  bool await_ready() { return awaiter_.await_ready(); }
  void await_suspend(std::coroutine_handle<> h) { awaiter_.await_suspend(h); }
  term await_resume() { return awaiter_.await_resume(); }

 private:
  receive_awaiter<on_clause<patterns::capture<term>, no_guard, term (*)(term)>> awaiter_;
};

}  // namespace detail

// Matching outside receive, with the same patterns, captures, guards and handlers (Erlang's `=` and `case`).
//
//   if (auto m = beam::match(request, beam::tuple("put"_a, beam::_atom, beam::_int))) {
//     auto [key, value] = *m;                        // the captures, in order
//   }
//   std::int64_t n = beam::match(request,            // the first clause that matches runs
//       beam::on(beam::tuple("add"_a, beam::_int, beam::_int), [](std::int64_t a, std::int64_t b) { return a
//       + b; }), beam::on("zero"_a, [] { return std::int64_t{0}; }));  // none: beam::error({case_clause,
//       request})

// The captures of `pattern` in `value` (an empty tuple for a pattern without captures), or nullopt.
template <class P>
requires(!detail::is_on_clause_v<P>) [[nodiscard]] auto match(const term& value, P&& pattern) {
  return on(std::forward<P>(pattern), [] {}).match(value);
}

// Runs the handler of the first clause that matches `value` and returns what it returns (all clauses return
// one type); no clause matches: throws beam::error({case_clause, value}), as Erlang's case.
template <class Clause, class... Clauses>
requires(detail::is_on_clause_v<Clause> && (detail::is_on_clause_v<Clauses> && ...)) decltype(auto)
    match(const term& value, Clause first, Clauses... rest) {
  if (auto captured = first.match(value)) return first.invoke_with(value, std::move(*captured));
  if constexpr (sizeof...(Clauses) == 0) {
    throw error(beam::tuple(atom("case_clause"), value));
  } else {
    return match(value, std::move(rest)...);
  }
}

// co_await beam::receive(clauses...): see the top of this header.
template <class... Clauses>
requires(sizeof...(Clauses) > 0) [[nodiscard]] auto receive(Clauses... clauses) {
  return detail::receive_awaiter<Clauses...>(std::move(clauses)...);
}
// co_await beam::receive(): the oldest message, whatever it is.
[[nodiscard]] inline detail::receive_any receive() {
  return {};
}
// co_await beam::receive<T>(): the oldest message that converts to T (see <beam/convert.hpp>), converted;
// messages that do not convert stay in the mailbox.
template <class T>
[[nodiscard]] auto receive() {
  return receive(on(as<T>, [](T value) { return value; }));
}

}  // namespace beam
