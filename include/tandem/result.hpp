#ifndef TANDEM_RESULT_HPP
#define TANDEM_RESULT_HPP

#include <tandem/error.hpp>

#include <cassert>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace tandem {

/// An enum that converts to `std::error_code` (our `parse_errc`, `std::errc`, ...).
template <class E>
concept error_code_enum = std::is_error_code_enum_v<E>;

/**
 * A value of type `T` or an `std::error_code`: the return type of every operation that can
 * fail on input from the network.
 *
 * The interface follows `std::expected` (C++23, not available to our compilers, STYLE.md
 * 4.3) so that a later switch is mechanical. Unlike `std::expected`, `result` is
 * default-constructible (holding a default `T`) because asio's `co_spawn` completion handler
 * constructs its result type with `T()` even on exception (STYLE.md 4.5.4).
 */
template <class T>
class [[nodiscard]] result {
public:
    using value_type = T;

    result() = default;
    result(const T& v) : v_(v) {}
    result(T&& v) noexcept(std::is_nothrow_move_constructible_v<T>) : v_(std::move(v)) {}
    result(std::error_code ec) noexcept : v_(ec) { assert(ec); }
    template <error_code_enum E>
    result(E e) noexcept : v_(make_error_code(e)) {}

    /// True when a value is held.
    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    /// The held value. Precondition: `has_value()`.
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    /// The error, or a default (no error) code when a value is held.
    std::error_code error() const noexcept {
        if (auto p = std::get_if<1>(&v_)) return *p;
        return {};
    }

    /// The value, or `fallback` when an error is held.
    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

private:
    std::variant<T, std::error_code> v_;
};

/// `result<void>`: success, or an error code.
template <>
class [[nodiscard]] result<void> {
public:
    result() = default;
    result(std::error_code ec) noexcept : ec_(ec) {}
    template <error_code_enum E>
    result(E e) noexcept : ec_(make_error_code(e)) {}

    bool has_value() const noexcept { return !ec_; }
    explicit operator bool() const noexcept { return has_value(); }
    std::error_code error() const noexcept { return ec_; }

private:
    std::error_code ec_;
};

} // namespace tandem

#endif
