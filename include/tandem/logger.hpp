#ifndef TANDEM_LOGGER_HPP
#define TANDEM_LOGGER_HPP

/// @file The injected logger (STYLE 3.8): a level and a sink. Nothing is formatted when the
/// level is off; there is no global logger.

#include <fmt/format.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
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

/// `text` (a SIP message, an SDP body) with every SDES key removed: what follows `inline:` up to
/// the next `|`, `;`, space or line end becomes `...` (RFC 4568 keys never reach a log).
inline std::string redact_keys(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    constexpr std::string_view tag = "inline:";
    std::size_t i = 0;
    while (i < text.size()) {
        bool match = text.size() - i >= tag.size();
        for (std::size_t k = 0; match && k < tag.size(); ++k) {
            char c = text[i + k];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            match = c == tag[k];
        }
        if (!match) {
            out += text[i++];
            continue;
        }
        out.append(text.substr(i, tag.size())).append("...");
        i += tag.size();
        while (i < text.size() && text[i] != '|' && text[i] != ';' && text[i] != ' ' && text[i] != '\r' &&
               text[i] != '\n')
            ++i;
    }
    return out;
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
