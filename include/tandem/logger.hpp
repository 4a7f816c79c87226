#ifndef TANDEM_LOGGER_HPP
#define TANDEM_LOGGER_HPP

/// @file The injected logger (STYLE 3.8): a level and a sink. Nothing is formatted when the
/// level is off; there is no global logger.

#include <fmt/format.h>

#include <functional>
#include <optional>
#include <string_view>
#include <utility>

namespace tandem {

struct logger {
    enum class level { trace, debug, info, warning, error, off };
    level min = level::off;
    std::function<void(level, std::string_view)> sink;

    bool enabled(level l) const noexcept { return l >= min && min != level::off && sink; }
};

constexpr std::string_view to_string(logger::level l) noexcept {
    constexpr std::string_view names[] = {"trace", "debug", "info", "warning", "error", "off"};
    return names[static_cast<int>(l)];
}

/// The level named `s` ("trace", "debug", "info", "warning", "error", "off"), or nullopt.
inline std::optional<logger::level> parse_level(std::string_view s) noexcept {
    for (int l = 0; l <= static_cast<int>(logger::level::off); ++l)
        if (to_string(static_cast<logger::level>(l)) == s) return static_cast<logger::level>(l);
    return std::nullopt;
}

/// Formats and emits a line if `l` is enabled; costs one comparison otherwise.
template <class... Args>
void log(const logger& lg, logger::level l, fmt::format_string<Args...> f, Args&&... args) {
    if (!lg.enabled(l)) return;
    fmt::memory_buffer b;
    fmt::format_to(std::back_inserter(b), f, std::forward<Args>(args)...);
    lg.sink(l, std::string_view(b.data(), b.size()));
}

} // namespace tandem

#endif
