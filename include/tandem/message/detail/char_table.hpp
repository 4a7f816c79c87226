#ifndef TANDEM_MESSAGE_DETAIL_CHAR_TABLE_HPP
#define TANDEM_MESSAGE_DETAIL_CHAR_TABLE_HPP

// Character classes of RFC 3261 section 25.1, as one 256-entry table of bit masks.

#include <array>
#include <cstdint>
#include <string_view>

namespace tandem::message::detail {

enum char_class : std::uint16_t {
    cc_alnum = 1u << 0,
    cc_token = 1u << 1,      // token: alphanum / "-.!%*_+`'~"
    cc_unreserved = 1u << 2, // alphanum / mark "-_.!~*'()"
    cc_user = 1u << 3,       // unreserved / user-unreserved "&=+$,;?/"  (escaped handled apart)
    cc_password = 1u << 4,   // unreserved / "&=+$,"
    cc_param = 1u << 5,      // unreserved / param-unreserved "[]/:&+$"
    cc_hnv = 1u << 6,        // unreserved / hnv-unreserved "[]/?:+$"
    cc_word = 1u << 7,       // word
    cc_uric = 1u << 8,       // reserved / unreserved (escaped handled apart)
    cc_hex = 1u << 9,
    cc_digit = 1u << 10,
    cc_host = 1u << 11,         // alphanum / "-." (hostname labels)
    cc_scheme = 1u << 12,       // alphanum / "+-."
    cc_qdtext = 1u << 13,       // %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII (LWS handled apart)
    cc_ws = 1u << 14,           // SP / HTAB
    cc_list_special = 1u << 15, // '"' '<' '>' ',' '\\': what splitting a list must look at
};

consteval std::array<std::uint16_t, 256> make_char_table() {
    std::array<std::uint16_t, 256> t{};
    auto add = [&](std::string_view chars, std::uint16_t bits) {
        for (char c : chars) t[static_cast<unsigned char>(c)] |= bits;
    };
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] |= cc_alnum;
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] |= cc_alnum;
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] |= cc_alnum | cc_digit | cc_hex;
    for (int c = 'a'; c <= 'f'; ++c) t[static_cast<std::size_t>(c)] |= cc_hex;
    for (int c = 'A'; c <= 'F'; ++c) t[static_cast<std::size_t>(c)] |= cc_hex;
    constexpr std::uint16_t an_all = cc_token | cc_unreserved | cc_user | cc_password | cc_param | cc_hnv |
                                     cc_word | cc_uric | cc_host | cc_scheme;
    for (std::size_t c = 0; c < 256; ++c)
        if (t[c] & cc_alnum) t[c] |= an_all;
    add("-.!%*_+`'~", cc_token);
    add("-_.!~*'()", cc_unreserved | cc_user | cc_password | cc_param | cc_hnv | cc_uric);
    add("&=+$,;?/", cc_user);
    add("&=+$,", cc_password);
    add("[]/:&+$", cc_param);
    add("[]/?:+$", cc_hnv);
    add("-.!%*_+`'~()<>:\\\"/[]?{}", cc_word);
    add(";/?:@&=+$,", cc_uric);
    add("-.", cc_host);
    add("+-.", cc_scheme);
    add("\"<>,\\", cc_list_special);
    t[' '] |= cc_ws;
    t['\t'] |= cc_ws;
    for (std::size_t c = 0x21; c <= 0x7e; ++c)
        if (c != 0x22 && c != 0x5c) t[c] |= cc_qdtext;
    for (std::size_t c = 0x80; c < 256; ++c) t[c] |= cc_qdtext;
    return t;
}

inline constexpr std::array<std::uint16_t, 256> char_table = make_char_table();

constexpr bool is(char c, std::uint16_t cls) noexcept {
    return (char_table[static_cast<unsigned char>(c)] & cls) != 0;
}
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_ws(char c) noexcept { return c == ' ' || c == '\t'; }
constexpr bool is_token(char c) noexcept { return is(c, cc_token); }

constexpr char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

/// ASCII case-insensitive equality (SIP tokens, header names, URI schemes and hosts).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (to_lower(a[i]) != to_lower(b[i])) return false;
    return true;
}

/// Case-insensitive comparison of a token (header or parameter name) against a name given in
/// lower case. ORing 0x20 lower-cases letters; the only other octets it changes cannot match a
/// lower-case letter or '-' (only a CR would become '-', and tokens hold no CR).
constexpr bool name_equals(std::string_view n, std::string_view lower) noexcept {
    if (n.size() != lower.size()) return false;
    for (std::size_t i = 0; i < lower.size(); ++i)
        if ((static_cast<unsigned char>(n[i]) | 0x20u) != static_cast<unsigned char>(lower[i])) return false;
    return true;
}

/// Value of a hex digit, or -1.
constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace tandem::message::detail

#endif
