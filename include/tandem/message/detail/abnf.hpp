#ifndef TANDEM_MESSAGE_DETAIL_ABNF_HPP
#define TANDEM_MESSAGE_DETAIL_ABNF_HPP

// A small cursor over one header value, with the RFC 3261 section 25 building blocks.
//
// The parser rewrites every line fold (CRLF followed by SP/HTAB) of a header value into
// spaces in place, so inside a value LWS is only ever *(SP / HTAB): SWS and LWS both reduce
// to "skip blanks" here.

#include <tandem/message/detail/char_table.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem::message::detail {

struct scanner {
    std::string_view s;
    std::size_t pos = 0;

    constexpr bool at_end() const noexcept { return pos >= s.size(); }
    constexpr char peek() const noexcept { return pos < s.size() ? s[pos] : '\0'; }
    constexpr std::string_view rest() const noexcept { return s.substr(pos); }

    constexpr bool skip_ws() noexcept {
        std::size_t p = pos;
        while (pos < s.size() && is_ws(s[pos])) ++pos;
        return pos != p;
    }
    /// Consumes `c` if it is next; no blanks are skipped.
    constexpr bool eat(char c) noexcept {
        if (pos < s.size() && s[pos] == c) {
            ++pos;
            return true;
        }
        return false;
    }
    /// SWS c SWS (the separators SEMI, COMMA, EQUAL, SLASH, COLON of RFC 3261 25.1).
    constexpr bool eat_sep(char c) noexcept {
        std::size_t p = pos;
        skip_ws();
        if (eat(c)) {
            skip_ws();
            return true;
        }
        pos = p;
        return false;
    }
    /// Longest run of characters of class `cls`; empty if none.
    constexpr std::string_view span(std::uint16_t cls) noexcept {
        std::size_t b = pos;
        while (pos < s.size() && is(s[pos], cls)) ++pos;
        return s.substr(b, pos - b);
    }
    constexpr std::string_view token() noexcept { return span(cc_token); }
    /// 1*DIGIT as an unsigned number no larger than `max`; nullopt otherwise (pos unchanged).
    constexpr std::optional<std::uint64_t> number(std::uint64_t max) noexcept {
        std::size_t b = pos;
        std::uint64_t v = 0;
        while (pos < s.size() && is_digit(s[pos])) {
            v = v * 10 + static_cast<std::uint64_t>(s[pos] - '0');
            if (v > max) {
                pos = b;
                return std::nullopt;
            }
            ++pos;
        }
        if (pos == b) return std::nullopt;
        return v;
    }
    /// quoted-string: DQUOTE *(qdtext / quoted-pair) DQUOTE. Returns the text with its quotes,
    /// or nullopt (pos unchanged) when unterminated or holding a forbidden octet.
    constexpr std::optional<std::string_view> quoted_string() noexcept {
        std::size_t b = pos;
        if (!eat('"')) return std::nullopt;
        while (pos < s.size()) {
            char c = s[pos];
            if (c == '"') {
                ++pos;
                return s.substr(b, pos - b);
            }
            if (c == '\\') {
                // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
                if (pos + 1 >= s.size()) break;
                unsigned char n = static_cast<unsigned char>(s[pos + 1]);
                if (n == 0x0a || n == 0x0d || n > 0x7f) break;
                pos += 2;
                continue;
            }
            auto u = static_cast<unsigned char>(c);
            if (u >= 0x80) {
                // UTF8-NONASCII: a lead octet C0-FD and its continuation octets 80-BF
                std::size_t len = u >= 0xfc   ? 6
                                  : u >= 0xf8 ? 5
                                  : u >= 0xf0 ? 4
                                  : u >= 0xe0 ? 3
                                  : u >= 0xc0 ? 2
                                              : 0;
                if (len == 0 || u > 0xfd || pos + len > s.size()) break;
                std::size_t k = 1;
                while (k < len && (static_cast<unsigned char>(s[pos + k]) & 0xc0) == 0x80) ++k;
                if (k != len) break;
                pos += len;
                continue;
            }
            if (is(c, cc_qdtext) || is_ws(c)) {
                ++pos;
                continue;
            }
            break;
        }
        pos = b;
        return std::nullopt;
    }
};

/// Trims SP/HTAB on both sides.
constexpr std::string_view trim(std::string_view v) noexcept {
    while (!v.empty() && is_ws(v.front())) v.remove_prefix(1);
    while (!v.empty() && is_ws(v.back())) v.remove_suffix(1);
    return v;
}

/// Parses `*( SEMI generic-param )` (RFC 3261 25.1: generic-param = token [ EQUAL gen-value ],
/// gen-value = token / host / quoted-string). Stops before the first character that cannot
/// continue the list (a COMMA, the end, ...). Calls `on_param(name, value, has_value)` for
/// each parameter as it is found; a false return refuses it. Returns false on a malformed or
/// refused parameter, such as an empty one (";;").
template <class OnParam>
constexpr bool scan_generic_params(scanner& sc, OnParam&& on_param) noexcept {
    // Works on locals rather than on `sc`, which `on_param` might alias as far as the
    // compiler knows; `sc.pos` is only meaningful on success (callers fail otherwise).
    const std::string_view s = sc.s;
    const std::size_t n = s.size();
    std::size_t i = sc.pos;
    while (true) {
        std::size_t j = i;
        while (j < n && is_ws(s[j])) ++j;
        if (j >= n || s[j] != ';') {
            sc.pos = i;
            return true;
        }
        ++j;
        while (j < n && is_ws(s[j])) ++j;
        const std::size_t nb = j;
        while (j < n && is_token(s[j])) ++j;
        if (j == nb) return false;
        const std::string_view name = s.substr(nb, j - nb);
        std::string_view value;
        bool has_value = false;
        std::size_t k = j;
        while (k < n && is_ws(s[k])) ++k;
        if (k < n && s[k] == '=') {
            ++k;
            while (k < n && is_ws(s[k])) ++k;
            const std::size_t vb = k;
            has_value = true;
            const char c = k < n ? s[k] : '\0';
            if (c == '"') {
                scanner q{s, k};
                if (!q.quoted_string()) return false;
                k = q.pos;
            } else if (c == '[') {
                // IPv6reference as a gen-value (host): "[" hex, ':' and '.' "]"
                ++k;
                while (k < n && (is(s[k], cc_hex) || s[k] == ':' || s[k] == '.')) ++k;
                if (k >= n || s[k] != ']') return false;
                ++k;
            } else {
                // token also covers host names and IPv4 addresses
                const std::size_t tb = k;
                while (k < n && is_token(s[k])) ++k;
                if (k == tb) return false;
            }
            // a bare IPv6 address (received=2001:db8::9) is tolerated, RFC 5118 4.5
            while (k < n && s[k] == ':') {
                ++k;
                while (k < n && is(s[k], cc_hex | cc_token)) ++k;
            }
            value = s.substr(vb, k - vb);
            i = k;
        } else {
            i = j;
        }
        if (!on_param(name, value, has_value)) return false;
    }
}

/// As above, accepting every well-formed parameter.
constexpr bool scan_generic_params(scanner& sc) noexcept {
    return scan_generic_params(sc, [](std::string_view, std::string_view, bool) { return true; });
}

/// One `name[=value]` of a parameter list.
struct param {
    std::string_view name;
    std::string_view value; ///< raw: quotes kept for quoted-string values; empty if none
    bool has_value = false;
};

/**
 * A view over a parameter list as written in a header (`;tag=x ; lr`) or in a URI
 * (`;transport=tcp;lr`), already checked by the code that found it. Iteration re-scans the
 * text; the lists are short, so this costs less than storing them.
 */
class param_list {
public:
    constexpr param_list() = default;
    constexpr explicit param_list(std::string_view text) noexcept : text_(text) {}

    class iterator {
    public:
        using value_type = param;
        using difference_type = std::ptrdiff_t;
        constexpr iterator() = default;
        constexpr iterator(std::string_view t, std::size_t p) noexcept : t_(t), next_(p), done_(false) {
            advance();
        }
        constexpr const param& operator*() const noexcept { return cur_; }
        constexpr const param* operator->() const noexcept { return &cur_; }
        constexpr iterator& operator++() noexcept {
            advance();
            return *this;
        }
        constexpr iterator operator++(int) noexcept {
            auto c = *this;
            advance();
            return c;
        }
        constexpr bool operator==(const iterator& o) const noexcept {
            return done_ == o.done_ && (done_ || next_ == o.next_);
        }

    private:
        constexpr void advance() noexcept {
            scanner sc{t_, next_};
            sc.skip_ws();
            if (!sc.eat(';')) {
                done_ = true;
                return;
            }
            done_ = false;
            sc.skip_ws();
            cur_ = {};
            std::size_t nb = sc.pos;
            while (!sc.at_end() && sc.peek() != '=' && sc.peek() != ';' && !is_ws(sc.peek())) ++sc.pos;
            cur_.name = t_.substr(nb, sc.pos - nb);
            if (sc.eat_sep('=')) {
                cur_.has_value = true;
                std::size_t vb = sc.pos;
                if (sc.peek() == '"') {
                    if (!sc.quoted_string()) sc.pos = t_.size();
                } else {
                    while (!sc.at_end() && sc.peek() != ';' && !is_ws(sc.peek())) ++sc.pos;
                }
                cur_.value = t_.substr(vb, sc.pos - vb);
            }
            next_ = sc.pos;
        }
        std::string_view t_;
        std::size_t next_ = 0;
        param cur_{};
        bool done_ = true;
    };

    constexpr iterator begin() const noexcept { return iterator{text_, 0}; }
    constexpr iterator end() const noexcept { return iterator{}; }
    constexpr bool empty() const noexcept { return begin() == end(); }
    constexpr std::string_view text() const noexcept { return text_; }

    /// The first parameter named `name` (case-insensitive), if any.
    constexpr std::optional<param> find(std::string_view name) const noexcept {
        for (const param& p : *this)
            if (iequals(p.name, name)) return p;
        return std::nullopt;
    }
    constexpr bool contains(std::string_view name) const noexcept { return find(name).has_value(); }
    /// The value of `name` (quotes kept), or an empty view.
    constexpr std::string_view value(std::string_view name) const noexcept {
        auto p = find(name);
        return p ? p->value : std::string_view{};
    }

private:
    std::string_view text_;
};

} // namespace tandem::message::detail

#endif
