#ifndef TANDEM_MESSAGE_DETAIL_HOST_HPP
#define TANDEM_MESSAGE_DETAIL_HOST_HPP

// host = hostname / IPv4address / IPv6reference (RFC 3261 25.1), shared by URIs and Via.

#include <tandem/message/detail/char_table.hpp>

#include <cstdint>
#include <string_view>

namespace tandem::message::detail {

enum class host_type : std::uint8_t { none, name, ipv4, ipv6 };

/// IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each at most 255.
constexpr bool is_ipv4(std::string_view s) noexcept {
    int parts = 0;
    std::size_t i = 0;
    while (true) {
        std::size_t b = i;
        unsigned v = 0;
        while (i < s.size() && is_digit(s[i]) && i - b < 3) v = v * 10 + static_cast<unsigned>(s[i++] - '0');
        if (i == b || v > 255) return false;
        ++parts;
        if (i == s.size()) return parts == 4;
        if (s[i] != '.' || parts == 4) return false;
        ++i;
    }
}

/// IPv6address (RFC 4291 2.2 text forms, with an optional trailing IPv4 part). With
/// `tolerate_extra_colon`, the three-colon form that RFC 3261's ABNF admits ("2001:db8:::1.2.3.4",
/// RFC 5118 4.10) is accepted too.
constexpr bool is_ipv6(std::string_view s, bool tolerate_extra_colon = true) noexcept {
    int groups = 0;
    bool gap = false;
    std::size_t i = 0;
    if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
        gap = true;
        i = 2;
        if (i == s.size()) return true;
    } else if (!s.empty() && s[0] == ':') {
        return false;
    }
    while (i < s.size()) {
        std::size_t b = i;
        while (i < s.size() && is(s[i], cc_hex) && i - b < 5) ++i;
        if (i < s.size() && s[i] == '.') {
            // trailing IPv4 part, worth two groups
            if (!is_ipv4(s.substr(b))) return false;
            groups += 2;
            i = s.size();
            break;
        }
        if (i == b || i - b > 4) return false;
        ++groups;
        if (i == s.size()) break;
        if (s[i] != ':') return false;
        ++i;
        if (i < s.size() && s[i] == ':') {
            if (gap) return false;
            gap = true;
            ++i;
            if (tolerate_extra_colon && i < s.size() && s[i] == ':') ++i;
            if (i == s.size()) break;
        } else if (i == s.size()) {
            return false;
        }
    }
    return gap ? groups <= 7 : groups == 8;
}

/// hostname = *( domainlabel "." ) toplabel [ "." ]; labels of alphanum and inner '-'.
/// Digit-led top labels are tolerated (RFC 1123 relaxed names are common in the field).
constexpr bool is_hostname(std::string_view s) noexcept {
    if (s.empty() || s.size() > 255) return false;
    if (s.back() == '.') s.remove_suffix(1);
    std::size_t b = 0;
    while (b <= s.size()) {
        std::size_t e = s.find('.', b);
        if (e == std::string_view::npos) e = s.size();
        std::string_view label = s.substr(b, e - b);
        if (label.empty() || label.front() == '-' || label.back() == '-') return false;
        for (char c : label)
            if (!is(c, cc_alnum) && c != '-') return false;
        b = e + 1;
    }
    return true;
}

/// Classifies `s` as a host, or returns host_type::none when it is not one. IPv6 must be
/// bracketed here ("[::1]"); `bare_ipv6` also admits an unbracketed IPv6 address (Via
/// received=, RFC 5118 4.5).
constexpr host_type classify_host(std::string_view s, bool bare_ipv6 = false) noexcept {
    if (s.size() > 2 && s.front() == '[' && s.back() == ']')
        return is_ipv6(s.substr(1, s.size() - 2)) ? host_type::ipv6 : host_type::none;
    if (is_ipv4(s)) return host_type::ipv4;
    if (bare_ipv6 && s.find(':') != std::string_view::npos)
        return is_ipv6(s) ? host_type::ipv6 : host_type::none;
    return is_hostname(s) ? host_type::name : host_type::none;
}

/// Length of the host at the start of `s` (bracketed IPv6, or a run of alnum, '-' and '.').
constexpr std::size_t host_span(std::string_view s) noexcept {
    if (!s.empty() && s[0] == '[') {
        std::size_t e = s.find(']');
        return e == std::string_view::npos ? 0 : e + 1;
    }
    std::size_t i = 0;
    while (i < s.size() && (is(s[i], cc_alnum) || s[i] == '-' || s[i] == '.')) ++i;
    return i;
}

} // namespace tandem::message::detail

#endif
