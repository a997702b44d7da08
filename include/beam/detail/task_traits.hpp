// beam/detail/task_traits.hpp: what templates need to tell a beam::task<T> from a plain value.
// Not for users: the names here change without notice.
#pragma once

#include <type_traits>

#include <beam/process.hpp>

namespace beam::detail {

template <class T>
struct is_task : std::false_type {};
template <class T>
struct is_task<task<T>> : std::true_type {};
template <class T>
inline constexpr bool is_task_v = is_task<std::remove_cvref_t<T>>::value;

}  // namespace beam::detail
