#ifndef TANDEM_DETAIL_ASIO_COMPAT_HPP
#define TANDEM_DETAIL_ASIO_COMPAT_HPP

/// @file The one place that spells Asio names which moved between 1.22 (our floor) and later
/// releases (STYLE.md 3.6, 4.1, 4.2). Nothing else in Tandem includes `asio/experimental/*`.

#include <asio/any_io_executor.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/version.hpp>

#include <type_traits>

// 1.23 moved as_tuple (and deferred, append, prepend) out of experimental; the experimental
// aliases were removed in 1.33.
#if ASIO_VERSION >= 102300
#include <asio/as_tuple.hpp>
#else
#include <asio/experimental/as_tuple.hpp>
#endif
// Still experimental on HEAD.
#include <asio/experimental/awaitable_operators.hpp>

namespace tandem::detail {

#if ASIO_VERSION >= 102300
using asio::as_tuple;
using asio::as_tuple_t;
#else
using asio::experimental::as_tuple;
using asio::experimental::as_tuple_t;
#endif

/// `a || b`, `a && b` over awaitables: `using namespace tandem::detail::awaitable_operators;`.
namespace awaitable_operators = asio::experimental::awaitable_operators;

/// The one executor type of Tandem's Asio shell.
using executor = asio::any_io_executor;

/// The one completion token of Tandem's Asio shell: `co_await op(..., nothrow_awaitable)` yields
/// a tuple whose first element is the `std::error_code` instead of throwing.
inline constexpr auto nothrow_awaitable = as_tuple(asio::use_awaitable);
using nothrow_awaitable_t = std::remove_const_t<decltype(nothrow_awaitable)>;

} // namespace tandem::detail

#endif
