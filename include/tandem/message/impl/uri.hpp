#ifndef TANDEM_MESSAGE_IMPL_URI_HPP
#define TANDEM_MESSAGE_IMPL_URI_HPP

// Definitions for tandem/message/uri.hpp. Included from there only.

#include <tandem/message/detail/abnf.hpp>
#include <tandem/message/detail/char_table.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem::message {

namespace detail::uri_impl {

constexpr std::size_t npos = std::string_view::npos;

constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// RFC 3261 25.1: escaped = "%" HEX HEX. True when s[i] starts a well-formed escape.
constexpr bool escape_at(std::string_view s, std::size_t i) noexcept {
    return i + 2 < s.size() && s[i] == '%' && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0;
}

// Longest run from `i` of chars of class `cls` (except `stop`) or escapes. Sets `bad` on a
// '%' that does not start an escape (the run stops there).
constexpr std::size_t scan(std::string_view s, std::size_t i, std::uint16_t cls, bool& bad,
                           char stop = '\0') noexcept {
    while (i < s.size()) {
        if (is(s[i], cls) && s[i] != stop) {
            ++i;
        } else if (s[i] == '%') {
            if (!escape_at(s, i)) {
                bad = true;
                return i;
            }
            i += 3;
        } else {
            break;
        }
    }
    return i;
}

// True when all of `s` is chars of `cls` or escapes.
constexpr bool all_of(std::string_view s, std::uint16_t cls) noexcept {
    bool bad = false;
    return scan(s, 0, cls, bad) == s.size() && !bad;
}

// IPv4address, RFC 3261 25.1 (1*3DIGIT, with leading zeros) restricted to octets <= 255.
// Writes the 4 octets to `out` when not null.
constexpr bool parse_ipv4(std::string_view s, std::uint8_t* out) noexcept {
    std::size_t i = 0;
    for (int k = 0; k < 4; ++k) {
        if (k > 0) {
            if (i >= s.size() || s[i] != '.') return false;
            ++i;
        }
        std::size_t b = i;
        unsigned v = 0;
        while (i < s.size() && is_digit(s[i]) && i - b < 3) v = v * 10 + static_cast<unsigned>(s[i++] - '0');
        if (i == b || v > 255) return false;
        if (out) out[k] = static_cast<std::uint8_t>(v);
    }
    return i == s.size();
}

// After a "::" at s[i - 2..i), s[i] is a third ':'. RFC 5118 4.10: RFC 3261's IPv6 ABNF
// wrongly produced "2001:db8:::192.0.2.1"; tolerate that form only, i.e. when the rest is a
// dotted IPv4 address.
constexpr bool third_colon_tolerated(std::string_view s, std::size_t i) noexcept {
    return parse_ipv4(s.substr(i + 1), nullptr);
}

// IPv6address (RFC 4291 2.2, RFC 5954 4.1, the brackets removed) into 16 octets.
constexpr bool parse_ipv6(std::string_view s, std::uint8_t* out) noexcept {
    std::uint16_t g[8] = {};
    int ng = 0;
    int dc = -1; // number of groups before "::", or -1
    std::size_t i = 0;
    const std::size_t n = s.size();
    if (n == 0) return false;
    if (s[0] == ':') {
        if (n < 2 || s[1] != ':') return false;
        dc = 0;
        i = 2;
        if (i < n && s[i] == ':') {
            if (!third_colon_tolerated(s, i)) return false;
            ++i;
        }
    }
    while (i < n) {
        if (ng >= 8) return false;
        std::size_t e = i;
        while (e < n && s[e] != ':') ++e;
        std::string_view piece = s.substr(i, e - i);
        if (piece.find('.') != npos) {
            // ls32 as a dotted IPv4 address: only last, and it takes two groups.
            std::uint8_t v4[4] = {};
            if (e != n || ng > 6 || !parse_ipv4(piece, v4)) return false;
            g[ng++] = static_cast<std::uint16_t>(v4[0] << 8 | v4[1]);
            g[ng++] = static_cast<std::uint16_t>(v4[2] << 8 | v4[3]);
            break;
        }
        if (piece.empty() || piece.size() > 4) return false; // h16 = 1*4HEXDIG
        unsigned v = 0;
        for (char c : piece) {
            int h = hex_value(c);
            if (h < 0) return false;
            v = v * 16 + static_cast<unsigned>(h);
        }
        g[ng++] = static_cast<std::uint16_t>(v);
        i = e;
        if (i == n) break;
        ++i;                      // the ':'
        if (i == n) return false; // trailing single ':'
        if (s[i] == ':') {
            if (dc >= 0) return false; // at most one "::"
            dc = ng;
            ++i;
            if (i < n && s[i] == ':') {
                if (!third_colon_tolerated(s, i)) return false;
                ++i;
            }
        }
    }
    if (dc < 0 ? ng != 8 : ng > 7) return false; // "::" stands for at least one group
    if (out) {
        std::uint16_t full[8] = {};
        if (dc < 0) {
            for (int k = 0; k < 8; ++k) full[k] = g[k];
        } else {
            for (int k = 0; k < dc; ++k) full[k] = g[k];
            for (int k = dc; k < ng; ++k) full[8 - (ng - k)] = g[k];
        }
        for (int k = 0; k < 8; ++k) {
            out[2 * k] = static_cast<std::uint8_t>(full[k] >> 8);
            out[2 * k + 1] = static_cast<std::uint8_t>(full[k] & 0xff);
        }
    }
    return true;
}

// RFC 3261 25.1: hostname = *( domainlabel "." ) toplabel [ "." ], labels start and end with
// alphanum, toplabel starts with ALPHA. `h` holds only cc_host chars (alphanum, '-', '.').
constexpr bool valid_hostname(std::string_view h) noexcept {
    if (!h.empty() && h.back() == '.') h.remove_suffix(1);
    if (h.empty()) return false;
    std::size_t b = 0;
    while (true) {
        std::size_t e = h.find('.', b);
        if (e == npos) e = h.size();
        std::string_view label = h.substr(b, e - b);
        if (label.empty() || label.front() == '-' || label.back() == '-') return false;
        if (e == h.size()) return is_alpha(label.front());
        b = e + 1;
    }
}

// uri-parameters (RFC 3261 25.1) from s[i]: *( ";" pname [ "=" pvalue ] ), pname and pvalue
// 1*paramchar. `value_cls` is the class of value chars (tel values are more liberal).
// Returns the end, or npos when malformed or holding more than `max` parameters.
constexpr std::size_t scan_params(std::string_view s, std::size_t i, std::uint16_t name_cls,
                                  std::uint16_t value_cls, std::size_t max) noexcept {
    bool bad = false;
    std::size_t count = 0;
    while (i < s.size() && s[i] == ';') {
        if (++count > max) return npos;
        std::size_t b = ++i;
        i = scan(s, i, name_cls, bad);
        if (bad || i == b) return npos; // ";;" or ";=x"
        if (i < s.size() && s[i] == '=') {
            b = ++i;
            i = scan(s, i, value_cls, bad, ';');
            if (bad || i == b) return npos; // ";a="
        }
    }
    return i;
}

// RFC 3261 19.1.4 compares URIs with escapes decoded, except escaped `reserved` chars
// (RFC 3261 25.1: ";" / "/" / "?" / ":" / "@" / "&" / "=" / "+" / "$" / ","), which stay
// distinct from the literal char. Reads such "units": a literal octet (0-255), an escaped
// non-reserved octet (its value), an escaped reserved octet (0x100 | value), -1 at the end.
// A malformed escape (only possible in a hand-built uri) reads as a literal '%'.
struct unit_reader {
    std::string_view s;
    std::size_t i = 0;

    static constexpr bool reserved(int c) noexcept {
        switch (c) {
        case ';':
        case '/':
        case '?':
        case ':':
        case '@':
        case '&':
        case '=':
        case '+':
        case '$':
        case ',': return true;
        default: return false;
        }
    }
    constexpr int next() noexcept {
        if (i >= s.size()) return -1;
        if (escape_at(s, i)) {
            int v = hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]);
            i += 3;
            return reserved(v) ? (0x100 | v) : v;
        }
        return static_cast<unsigned char>(s[i++]);
    }
};

// An inline loop: URI components are short, and a memchr call costs more than it saves.
constexpr bool has_escape(std::string_view s) noexcept {
    for (char c : s)
        if (c == '%') return true;
    return false;
}

constexpr int fold(int u) noexcept { return (u >= 'A' && u <= 'Z') ? u + 32 : u; }

// Equality of two raw URI components, escapes decoded as described at unit_reader.
constexpr bool units_equal(std::string_view a, std::string_view b, bool icase) noexcept {
    // Fast path: without escapes, a plain comparison (a size mismatch fails at once).
    if (!has_escape(a) && !has_escape(b)) return icase ? iequals(a, b) : a == b;
    unit_reader ra{a}, rb{b};
    while (true) {
        int x = ra.next(), y = rb.next();
        if (icase) {
            x = fold(x);
            y = fold(y);
        }
        if (x != y) return false;
        if (x < 0) return true;
    }
}

// The first parameter whose name equals `name` (case-insensitive, escapes decoded).
constexpr std::optional<param> find_param(const param_list& l, std::string_view name) noexcept {
    for (const param& p : l)
        if (units_equal(p.name, name, true)) return p;
    return std::nullopt;
}

// True when `p`, an element of `l`, is the first of its name in `l`. Duplicate names count
// once, by their first occurrence, so that equivalence stays reflexive and symmetric.
constexpr bool first_of_name(const param_list& l, const param& p) noexcept {
    auto f = find_param(l, p.name);
    return f && f->name.data() == p.name.data();
}

constexpr bool same_value(const param& a, const param& b) noexcept {
    return a.has_value == b.has_value && units_equal(a.value, b.value, true);
}

// One `hname=hvalue` of a header section.
struct header_item {
    std::string_view name, value;
};

// Iterates the '&'-separated items of a header section.
struct header_reader {
    std::string_view s;
    std::size_t i = 0;
    bool done = false;

    constexpr bool next(header_item& h) noexcept {
        if (done || s.empty()) return false;
        std::size_t e = s.find('&', i);
        if (e == npos) {
            e = s.size();
            done = true;
        }
        std::string_view item = s.substr(i, e - i);
        i = e + 1;
        std::size_t eq = item.find('=');
        h.name = item.substr(0, eq);
        h.value = eq == npos ? std::string_view{} : item.substr(eq + 1);
        return true;
    }
};

// Every header of `a` is in `b` (names case-insensitive, values case-sensitive).
constexpr bool headers_included(std::string_view a, std::string_view b) noexcept {
    header_reader ra{a};
    header_item x;
    while (ra.next(x)) {
        header_reader rb{b};
        header_item y;
        bool found = false;
        while (!found && rb.next(y))
            found = units_equal(x.name, y.name, true) && units_equal(x.value, y.value, false);
        if (!found) return false;
    }
    return true;
}

constexpr bool host_equal(const uri& a, const uri& b) noexcept {
    if (a.host_type != b.host_type) return false;
    if (a.host_type == host_kind::ipv6 && a.host.size() >= 2 && b.host.size() >= 2) {
        std::uint8_t x[16] = {}, y[16] = {};
        if (parse_ipv6(a.host.substr(1, a.host.size() - 2), x) &&
            parse_ipv6(b.host.substr(1, b.host.size() - 2), y)) {
            for (int k = 0; k < 16; ++k)
                if (x[k] != y[k]) return false;
            return true;
        }
    } else if (a.host_type == host_kind::ipv4) {
        std::uint8_t x[4] = {}, y[4] = {};
        if (parse_ipv4(a.host, x) && parse_ipv4(b.host, y))
            return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
    }
    return iequals(a.host, b.host);
}

// One bit per parameter among user, ttl, method, maddr and transport that `l` holds: one
// pass over the list instead of a search per name.
constexpr unsigned must_match_mask(const param_list& l) noexcept {
    constexpr std::string_view names[] = {"user", "ttl", "method", "maddr", "transport"};
    unsigned mask = 0;
    for (const param& p : l) {
        if (!has_escape(p.name)) {
            // The names have distinct lengths: at most one candidate.
            for (unsigned k = 0; k < 5; ++k)
                if (p.name.size() == names[k].size()) {
                    if (iequals(p.name, names[k])) mask |= 1u << k;
                    break;
                }
            continue;
        }
        for (unsigned k = 0; k < 5; ++k)
            if (units_equal(p.name, names[k], true)) mask |= 1u << k;
    }
    return mask;
}

// RFC 3261 19.1.4.
constexpr bool sip_equivalent(const uri& a, const uri& b) noexcept {
    // "Comparison of the userinfo of SIP and SIPS URIs is case-sensitive."
    if (a.has_user != b.has_user || a.has_password != b.has_password) return false;
    if (!units_equal(a.user, b.user, false) || !units_equal(a.password, b.password, false)) return false;
    if (!host_equal(a, b)) return false;
    // "A URI omitting any component with a default value will not match a URI explicitly
    // containing that component with its default value."
    if (a.has_port != b.has_port || (a.has_port && a.port != b.port)) return false;
    // "A user, ttl, or method uri-parameter appearing in only one URI never matches, even if
    // it contains the default value. A URI that includes an maddr parameter will not match a
    // URI that contains no maddr parameter." The same holds for transport (default rule).
    if (must_match_mask(a.params) != must_match_mask(b.params)) return false;
    // "Any uri-parameter appearing in both URIs must match." Others are ignored.
    for (const param& p : a.params) {
        if (!first_of_name(a.params, p)) continue;
        auto q = find_param(b.params, p.name);
        if (q && !same_value(p, *q)) return false;
    }
    // "URI header components are never ignored. Any present header component MUST be
    // present in both URIs and match for the URIs to match." Order is not significant.
    return headers_included(a.headers, b.headers) && headers_included(b.headers, a.headers);
}

constexpr bool visual_separator(char c) noexcept { return c == '-' || c == '.' || c == '(' || c == ')'; }

// RFC 3966 4: digits compared after removing visual separators, case-insensitively.
constexpr bool digits_equal(std::string_view a, std::string_view b) noexcept {
    std::size_t i = 0, j = 0;
    while (true) {
        while (i < a.size() && visual_separator(a[i])) ++i;
        while (j < b.size() && visual_separator(b[j])) ++j;
        if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
        if (to_lower(a[i++]) != to_lower(b[j++])) return false;
    }
}

constexpr bool tel_value_equal(const param& p, const param& q) noexcept {
    if (p.has_value != q.has_value) return false;
    // phone-context: a global-number-digits descriptor digit by digit, a domainname as a
    // host name; ext: phonedigits.
    if (units_equal(p.name, "ext", true) ||
        (units_equal(p.name, "phone-context", true) && p.value.starts_with('+') && q.value.starts_with('+')))
        return digits_equal(p.value, q.value);
    return units_equal(p.value, q.value, true);
}

// Every parameter of `a` is in `b` with an equal value.
constexpr bool tel_params_included(const param_list& a, const param_list& b) noexcept {
    for (const param& p : a) {
        if (!first_of_name(a, p)) continue;
        auto q = find_param(b, p.name);
        if (!q || !tel_value_equal(p, *q)) return false;
    }
    return true;
}

// RFC 3966 4.
constexpr bool tel_equivalent(const uri& a, const uri& b) noexcept {
    if (a.user.starts_with('+') != b.user.starts_with('+')) return false;
    if (!digits_equal(a.user, b.user)) return false;
    return tel_params_included(a.params, b.params) && tel_params_included(b.params, a.params);
}

// RFC 3261 25.1 SIP-URI / SIPS-URI after "scheme:".
constexpr bool parse_sip(std::string_view s, const uri_options& opts, uri& u) noexcept {
    std::size_t i = 0;
    // userinfo = ( user / telephone-subscriber ) [ ":" password ] "@". No '@' can occur
    // unescaped before it, and none after it either (host, uri-parameters and headers exclude
    // '@'), so the first '@' is the only one in a valid URI.
    std::size_t at = s.find('@');
    if (at != npos) {
        std::string_view userinfo = s.substr(0, at);
        std::size_t colon = userinfo.find(':');
        u.user = userinfo.substr(0, colon);
        u.has_user = true;
        // user = 1*( unreserved / escaped / user-unreserved )
        if (u.user.empty() || !all_of(u.user, cc_user)) return false;
        if (colon != npos) {
            // password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
            u.password = userinfo.substr(colon + 1);
            u.has_password = true;
            if (!all_of(u.password, cc_password)) return false;
        }
        i = at + 1;
    }

    // host = hostname / IPv4address / IPv6reference
    std::size_t hb = i;
    if (i < s.size() && s[i] == '[') {
        ++i;
        while (i < s.size() && (is(s[i], cc_hex) || s[i] == ':' || s[i] == '.')) ++i;
        if (i >= s.size() || s[i] != ']') return false;
        if (!parse_ipv6(s.substr(hb + 1, i - hb - 1), nullptr)) return false;
        ++i;
        u.host_type = host_kind::ipv6;
        u.host = s.substr(hb, i - hb);
    } else {
        while (i < s.size() && is(s[i], cc_host)) ++i;
        u.host = s.substr(hb, i - hb);
        // A digit-led toplabel is only acceptable as a whole IPv4 address.
        if (parse_ipv4(u.host, nullptr))
            u.host_type = host_kind::ipv4;
        else if (valid_hostname(u.host))
            u.host_type = host_kind::name;
        else
            return false;
    }

    // port = 1*DIGIT (RFC 3261 25.1), which must fit 16 bits.
    if (i < s.size() && s[i] == ':') {
        scanner sc{s, i + 1};
        auto v = sc.number(65535);
        if (!v) return false;
        u.port = static_cast<std::uint16_t>(*v);
        u.has_port = true;
        i = sc.pos;
    }

    // uri-parameters = *( ";" uri-parameter ); paramchar = param-unreserved / unreserved /
    // escaped.
    std::size_t pb = i;
    i = scan_params(s, i, cc_param, cc_param, opts.max_params);
    if (i == npos) return false;
    u.params = param_list{s.substr(pb, i - pb)};

    // headers = "?" header *( "&" header ); header = hname "=" hvalue;
    // hname = 1*( hnv-unreserved / unreserved / escaped ); hvalue = *( same ).
    if (i < s.size() && s[i] == '?') {
        if (!opts.allow_headers) return false; // RFC 3261 19.1.1 table 1: not in a Request-URI
        std::size_t b = ++i;
        bool bad = false;
        std::size_t count = 0;
        while (true) {
            if (++count > opts.max_headers) return false;
            std::size_t nb = i;
            i = scan(s, i, cc_hnv, bad);
            if (bad || i == nb || i >= s.size() || s[i] != '=') return false;
            i = scan(s, i + 1, cc_hnv, bad);
            if (bad) return false;
            if (i < s.size() && s[i] == '&') {
                ++i;
                continue;
            }
            break;
        }
        u.headers = s.substr(b, i - b);
    }
    return i == s.size();
}

// RFC 3966 3: telephone-subscriber = global-number / local-number, after "tel:".
constexpr bool parse_tel(std::string_view s, const uri_options& opts, uri& u) noexcept {
    std::size_t e = s.find(';');
    if (e == npos) e = s.size();
    std::string_view number = s.substr(0, e);
    bool global = number.starts_with('+');
    bool has_digit = false;
    for (std::size_t k = global ? 1 : 0; k < number.size(); ++k) {
        char c = number[k];
        if (visual_separator(c)) continue;
        // global-number-digits = "+" *phonedigit DIGIT *phonedigit
        // local-number-digits = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex
        bool ok = global ? is_digit(c) : (is(c, cc_hex) || c == '*' || c == '#');
        if (!ok) return false;
        has_digit = true;
    }
    if (!has_digit) return false;
    u.user = number;
    u.has_user = true;
    // par = parameter / extension / isdn-subaddress; pname = 1*( alphanum / "-" ); values are
    // paramchar, and isub values uric: accept both (minus ';', the separator).
    constexpr auto value_cls = static_cast<std::uint16_t>(cc_param | cc_uric);
    std::size_t i = scan_params(s, e, cc_param, value_cls, opts.max_params);
    if (i == npos) return false;
    // scan_params stops at the first char that is not a ';', so a leftover is an error.
    if (i != s.size()) return false;
    u.params = param_list{s.substr(e)};
    // "local-number = local-number-digits *par context *par", context = ";phone-context="
    // descriptor: a local number needs its context, with a value.
    if (!global) {
        auto ctx = find_param(u.params, "phone-context");
        if (!ctx || !ctx->has_value) return false;
    }
    return true;
}

} // namespace detail::uri_impl

TANDEM_DECL std::string_view uri::param(std::string_view name) const noexcept {
    auto p = detail::uri_impl::find_param(params, name);
    return p ? p->value : std::string_view{};
}

TANDEM_DECL bool uri::has_param(std::string_view name) const noexcept {
    return detail::uri_impl::find_param(params, name).has_value();
}

TANDEM_DECL result<uri> parse_uri(std::string_view text, const uri_options& opts) noexcept {
    using namespace detail;
    using namespace detail::uri_impl;
    uri u;
    u.text = text;
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3261 25.1)
    if (text.empty() || !is_alpha(text[0])) return parse_errc::bad_uri;
    std::size_t i = 1;
    while (i < text.size() && is(text[i], cc_scheme)) ++i;
    if (i >= text.size() || text[i] != ':') return parse_errc::bad_uri;
    u.scheme_text = text.substr(0, i);
    std::string_view rest = text.substr(i + 1);

    bool ok = false;
    if (iequals(u.scheme_text, "sip") || iequals(u.scheme_text, "sips")) {
        u.scheme = u.scheme_text.size() == 3 ? uri_scheme::sip : uri_scheme::sips;
        ok = parse_sip(rest, opts, u);
    } else if (iequals(u.scheme_text, "tel")) {
        u.scheme = uri_scheme::tel;
        ok = parse_tel(rest, opts, u);
    } else {
        // absoluteURI = scheme ":" ( hier-part / opaque-part ): 1*uric, plus "[" "]" of
        // IPv6 literals (RFC 2732). Kept opaque.
        u.scheme = uri_scheme::other;
        u.opaque = rest;
        bool bad = false;
        std::size_t e = scan(rest, 0, cc_uric, bad);
        while (!bad && e < rest.size() && (rest[e] == '[' || rest[e] == ']'))
            e = scan(rest, e + 1, cc_uric, bad);
        ok = !rest.empty() && !bad && e == rest.size();
    }
    if (!ok) return parse_errc::bad_uri;
    return u;
}

TANDEM_DECL bool equivalent(const uri& a, const uri& b) noexcept {
    using namespace detail::uri_impl;
    // RFC 3261 19.1.4: "A SIP and SIPS URI are never equivalent."
    if (a.scheme != b.scheme) return false;
    switch (a.scheme) {
    case uri_scheme::sip:
    case uri_scheme::sips: return sip_equivalent(a, b);
    case uri_scheme::tel: return tel_equivalent(a, b);
    case uri_scheme::other: break;
    }
    return detail::iequals(a.scheme_text, b.scheme_text) && a.opaque == b.opaque;
}

TANDEM_DECL std::ptrdiff_t unescape(std::string_view in, char* out) noexcept {
    std::size_t o = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out[o++] = in[i];
            continue;
        }
        if (!detail::uri_impl::escape_at(in, i)) return -1;
        out[o++] = static_cast<char>(detail::hex_value(in[i + 1]) * 16 + detail::hex_value(in[i + 2]));
        i += 2;
    }
    return static_cast<std::ptrdiff_t>(o);
}

} // namespace tandem::message

#endif
