#ifndef TANDEM_MESSAGE_HEADER_VALUES_HPP
#define TANDEM_MESSAGE_HEADER_VALUES_HPP

/// @file Typed views of SIP header values (RFC 3261 section 20 and 25), parsed on demand.
///
/// Every function here takes the value of one header field, or one element of a
/// comma-separated list, as found by `message` (line folds already turned into blanks), and
/// returns a small struct of `std::string_view`s into it: nothing is copied or allocated.
/// Parsing never throws; malformed input yields a `parse_errc`.

#include <tandem/message/error.hpp>
#include <tandem/message/method.hpp>
#include <tandem/message/uri.hpp>
#include <tandem/result.hpp>
#include <tandem/message/detail/abnf.hpp>
#include <tandem/message/detail/host.hpp>

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tandem::message {

using detail::param;
using detail::param_list;

// --------------------------------------------------------------------------------------------
// Lists

namespace detail {
/// Index of the first octet of b[i, n) that splitting a list must look at (`cc_list_special`),
/// or n; sixteen octets at a time where SSE2 is available.
inline std::size_t find_list_special(const char* b, std::size_t i, std::size_t n) noexcept {
#if defined(__SSE2__)
    while (i + 16 <= n) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
        const __m128i m = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8(','))),
            _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')), _mm_cmpeq_epi8(v, _mm_set1_epi8('>'))),
                _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
        if (const auto mask = static_cast<unsigned>(_mm_movemask_epi8(m)))
            return i + static_cast<std::size_t>(__builtin_ctz(mask));
        i += 16;
    }
#endif
    while (i < n && !is(b[i], cc_list_special)) ++i;
    return i;
}
} // namespace detail

/**
 * Iterates over the elements of a comma-separated header value (RFC 3261 7.3.1), splitting
 * only at commas outside quoted strings and outside `<...>`. Elements are trimmed; an empty
 * element (",,") is yielded as an empty view so that callers can refuse it.
 */
class list_elements {
public:
    constexpr explicit list_elements(std::string_view v) noexcept : v_(v) {}

    class iterator {
    public:
        using value_type = std::string_view;
        using difference_type = std::ptrdiff_t;
        constexpr iterator() = default;
        constexpr explicit iterator(std::string_view v) noexcept : v_(v), done_(false) { advance(); }
        constexpr std::string_view operator*() const noexcept { return cur_; }
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
            return done_ == o.done_ && (done_ || pos_ == o.pos_);
        }

    private:
        constexpr void advance() noexcept {
            if (pos_ > v_.size()) {
                done_ = true;
                return;
            }
            std::size_t b = pos_;
            bool quoted = false;
            bool angle = false;
            std::size_t i = b;
            for (; i < v_.size(); ++i) {
                if (!std::is_constant_evaluated()) {
                    i = detail::find_list_special(v_.data(), i, v_.size());
                    if (i >= v_.size()) break;
                }
                char c = v_[i];
                if (!detail::is(c, detail::cc_list_special)) continue;
                if (quoted) {
                    if (c == '\\')
                        ++i;
                    else if (c == '"')
                        quoted = false;
                } else if (c == '"') {
                    quoted = true;
                } else if (c == '<') {
                    angle = true;
                } else if (c == '>') {
                    angle = false;
                } else if (c == ',' && !angle) {
                    break;
                }
            }
            cur_ = detail::trim(v_.substr(b, std::min(i, v_.size()) - b));
            pos_ = i + 1;
        }
        std::string_view v_;
        std::string_view cur_;
        std::size_t pos_ = 0;
        bool done_ = true;
    };

    constexpr iterator begin() const noexcept { return detail::trim(v_).empty() ? iterator{} : iterator{v_}; }
    constexpr iterator end() const noexcept { return {}; }

private:
    std::string_view v_;
};

// --------------------------------------------------------------------------------------------
// Via

struct via;

namespace detail {
TANDEM_DECL parse_errc parse_via_prefix(scanner& sc, via& v) noexcept;
} // namespace detail

/**
 * One via-parm (RFC 3261 20.42): `SIP/2.0/UDP host:port;branch=z9hG4bK...;received=...`.
 */
struct via {
    std::string_view protocol;  ///< "SIP"
    std::string_view version;   ///< "2.0"
    std::string_view transport; ///< "UDP", "TCP", "TLS", "SCTP", "WS" or any token
    std::string_view host;      ///< sent-by host as written (IPv6 keeps its brackets)
    std::uint16_t port = 0;     ///< sent-by port; 0 when absent
    bool has_port = false;
    param_list params; ///< `;branch=...;rport` and any extension parameters

    /// The branch parameter, or "" (RFC 3261 8.1.1.7).
    constexpr std::string_view branch() const noexcept { return branch_; }
    /// True when the branch carries the RFC 3261 magic cookie "z9hG4bK".
    constexpr bool rfc3261_branch() const noexcept { return branch_.starts_with("z9hG4bK"); }
    /// The received parameter, or "" (RFC 3261 18.2.1).
    constexpr std::string_view received() const noexcept { return received_; }
    /// The maddr parameter, or "".
    constexpr std::string_view maddr() const noexcept { return maddr_; }
    /// True when the rport parameter is present, with or without a value (RFC 3581).
    constexpr bool has_rport() const noexcept { return has_rport_; }
    /// The rport value, or nullopt when absent or empty.
    constexpr std::optional<std::uint16_t> rport() const noexcept {
        if (rport_ == 0) return std::nullopt;
        return rport_;
    }

private:
    friend parse_errc detail::parse_via_prefix(detail::scanner& sc, via& v) noexcept;
    std::string_view branch_;
    std::string_view received_;
    std::string_view maddr_;
    std::uint16_t rport_ = 0;
    bool has_rport_ = false;
};

/// Parses one via-parm from `sc` and stops where it ends: at the end, at blanks before the
/// end, or before a COMMA. The text consumed is the same as `parse_via` would see of that
/// element once a list is split at its top-level commas: a via-parm holds no '<', and its
/// only quoted strings are parameter values, read whole.
TANDEM_DECL parse_errc detail::parse_via_prefix(scanner& sc, via& v) noexcept {
    using namespace detail;
    // sent-protocol = protocol-name SLASH protocol-version SLASH transport; SLASH = SWS "/" SWS
    v.protocol = sc.token();
    if (v.protocol.empty() || !sc.eat_sep('/')) return parse_errc::bad_via;
    v.version = sc.token();
    if (v.version.empty() || !sc.eat_sep('/')) return parse_errc::bad_via;
    v.transport = sc.token();
    if (v.transport.empty() || !sc.skip_ws()) return parse_errc::bad_via;
    // sent-by = host [ COLON port ]
    std::size_t hl = host_span(sc.rest());
    v.host = sc.rest().substr(0, hl);
    if (classify_host(v.host) == host_type::none) return parse_errc::bad_via;
    sc.pos += hl;
    if (sc.eat_sep(':')) {
        auto port = sc.number(65535);
        if (!port) return parse_errc::bad_via;
        v.port = static_cast<std::uint16_t>(*port);
        v.has_port = true;
    }
    std::size_t pb = sc.pos;
    // via-params with a defined grammar (RFC 3261 25.1 via-ttl, via-maddr, via-received,
    // via-branch; RFC 3581 response-port) are checked, and the common ones kept, in one pass.
    auto on_param = [&v](std::string_view name, std::string_view value, bool has_value) {
        switch (name.size()) {
        case 3:
            if (name_equals(name, "ttl")) {
                scanner n{value};
                return n.number(255) && n.at_end();
            }
            break;
        case 5:
            if (name_equals(name, "maddr")) {
                v.maddr_ = value;
                return classify_host(value, true) != host_type::none;
            }
            if (name_equals(name, "rport")) {
                v.has_rport_ = true;
                if (!has_value) return true;
                scanner n{value};
                auto port = n.number(65535);
                v.rport_ = static_cast<std::uint16_t>(port.value_or(0));
                return port && n.at_end();
            }
            break;
        case 6:
            if (name_equals(name, "branch")) {
                if (!v.branch_.empty()) return true; // the first one counts
                v.branch_ = value;
                return !value.empty() && value.front() != '"';
            }
            break;
        case 8:
            if (name_equals(name, "received")) {
                v.received_ = value;
                auto t = classify_host(value, true);
                return t == host_type::ipv4 || t == host_type::ipv6;
            }
            break;
        default: break;
        }
        return true;
    };
    if (!scan_generic_params(sc, on_param)) return parse_errc::bad_via;
    v.params = param_list{sc.s.substr(pb, sc.pos - pb)};
    return {};
}

/// Parses one via-parm (an element of a Via header value).
TANDEM_DECL result<via> parse_via(std::string_view s) noexcept {
    detail::scanner sc{detail::trim(s)};
    via v;
    if (auto e = detail::parse_via_prefix(sc, v); e != parse_errc{}) return e;
    sc.skip_ws();
    if (!sc.at_end()) return parse_errc::bad_via;
    return v;
}

// --------------------------------------------------------------------------------------------
// name-addr / addr-spec with parameters (From, To, Contact, Route, Record-Route, Refer-To, ...)

/**
 * `[display-name] <uri>;params` or `uri;params` (RFC 3261 20.10, 20.20, 20.39, 25.1).
 *
 * In the addr-spec form (no angle brackets) every `;` after the URI starts a header
 * parameter, not a URI parameter (RFC 3261 20.10, RFC 4475 3.3.12).
 */
struct name_addr {
    std::string_view display_name; ///< as written: a quoted string keeps its quotes; "" if none
    std::string_view uri_text;     ///< the URI, without the angle brackets
    bool angle_brackets = false;   ///< whether the name-addr form was used
    param_list params;             ///< header parameters (tag, expires, q, lr for none...)

    /// The tag parameter, or "" (RFC 3261 19.3).
    constexpr std::string_view tag() const noexcept { return tag_; }
    /// The URI parsed (views into the same text).
    result<message::uri> uri() const noexcept {
        uri_options o;
        o.allow_headers = angle_brackets;
        return parse_uri(uri_text, o);
    }

private:
    friend result<name_addr> parse_name_addr(std::string_view s, bool allow_star, bool check_uri) noexcept;
    std::string_view tag_;
};

/// Parses one name-addr or addr-spec with its header parameters. `allow_star` accepts the
/// Contact wildcard `*` (returned with `uri_text == "*"`). With `check_uri` false the URI is
/// only delimited, not parsed: `name_addr::uri()` parses it when asked (the typed accessors
/// of `message` do this; `message::check_syntax` checks everything).
TANDEM_DECL result<name_addr> parse_name_addr(std::string_view s, bool allow_star = false,
                                              bool check_uri = true) noexcept {
    using namespace detail;
    scanner sc{trim(s)};
    name_addr na;
    if (allow_star && sc.s.starts_with('*')) {
        ++sc.pos;
        na.uri_text = sc.s.substr(0, 1);
    } else {
        // display-name = *(token LWS) / quoted-string
        std::size_t db = sc.pos;
        if (sc.peek() == '"') {
            auto q = sc.quoted_string();
            if (!q) return parse_errc::bad_quoted_string;
            na.display_name = *q;
            sc.skip_ws();
            if (sc.peek() != '<') return parse_errc::bad_name_addr;
        } else {
            // Either tokens followed by '<', or an addr-spec. Look for '<' after a run of
            // tokens and blanks; the missing LWS before '<' is tolerated (RFC 4475 3.1.1.6).
            std::size_t p = sc.pos;
            while (!sc.at_end() && (is_token(sc.peek()) || is_ws(sc.peek()))) ++sc.pos;
            if (sc.peek() == '<') {
                na.display_name = trim(sc.s.substr(db, sc.pos - db));
            } else {
                sc.pos = p;
            }
        }
        if (sc.eat('<')) {
            // LAQUOT addr-spec RAQUOT: no blanks inside (RFC 4475 3.1.2.14)
            std::size_t e = sc.s.find('>', sc.pos);
            if (e == std::string_view::npos) return parse_errc::bad_name_addr;
            na.uri_text = sc.s.substr(sc.pos, e - sc.pos);
            na.angle_brackets = true;
            sc.pos = e + 1;
            if (check_uri && !parse_uri(na.uri_text)) return parse_errc::bad_name_addr;
        } else {
            // addr-spec: the URI ends at ';', ',' or a blank; it may not carry '?' headers
            // (RFC 3261 20.10: such URIs must be enclosed in <>).
            std::size_t b = sc.pos;
            while (!sc.at_end() && sc.peek() != ';' && sc.peek() != ',' && !is_ws(sc.peek())) ++sc.pos;
            na.uri_text = sc.s.substr(b, sc.pos - b);
            uri_options o;
            o.allow_headers = false;
            if (na.uri_text.empty() || (check_uri && !parse_uri(na.uri_text, o)))
                return parse_errc::bad_name_addr;
        }
    }
    std::size_t pb = sc.pos;
    auto on_param = [&na](std::string_view name, std::string_view value, bool) {
        if (na.tag_.empty() && name.size() == 3 && name_equals(name, "tag")) na.tag_ = value;
        return true;
    };
    if (!scan_generic_params(sc, on_param)) return parse_errc::bad_param;
    sc.skip_ws();
    if (!sc.at_end()) return parse_errc::bad_name_addr;
    na.params = param_list{sc.s.substr(pb, sc.pos - pb)};
    return na;
}

// --------------------------------------------------------------------------------------------
// CSeq, numbers, Call-ID

/// `CSeq: 4711 INVITE` (RFC 3261 20.16): the number is below 2**31 for new requests but any
/// 32-bit value must be accepted.
struct cseq {
    std::uint32_t number = 0;
    method_id method = method_id::unknown;
    std::string_view method_text;
};

TANDEM_DECL result<cseq> parse_cseq(std::string_view s) noexcept {
    detail::scanner sc{detail::trim(s)};
    auto n = sc.number(0xffffffffu);
    if (!n || !sc.skip_ws()) return parse_errc::bad_cseq;
    cseq c;
    c.number = static_cast<std::uint32_t>(*n);
    c.method_text = sc.token();
    if (c.method_text.empty() || !sc.at_end()) return parse_errc::bad_cseq;
    c.method = to_method(c.method_text);
    return c;
}

/// 1*DIGIT with a maximum (Max-Forwards 255, RSeq 2**32-1, ...).
TANDEM_DECL result<std::uint32_t> parse_number(std::string_view s, std::uint32_t max,
                                               parse_errc err = parse_errc::bad_number) noexcept {
    detail::scanner sc{detail::trim(s)};
    auto n = sc.number(max);
    if (!n || !sc.at_end()) return err;
    return static_cast<std::uint32_t>(*n);
}

/// delta-seconds = 1*DIGIT; values above 2**32-1 are taken as 2**32-1 (RFC 3261 20.19 asks
/// receivers not to fail on them).
TANDEM_DECL result<std::uint32_t> parse_delta_seconds(std::string_view s) noexcept {
    detail::scanner sc{detail::trim(s)};
    std::size_t b = sc.pos;
    while (!sc.at_end() && detail::is_digit(sc.peek())) ++sc.pos;
    if (sc.pos == b) return parse_errc::bad_expires;
    std::string_view digits = sc.s.substr(b, sc.pos - b);
    if (!sc.at_end()) return parse_errc::bad_expires;
    std::uint64_t v = 0;
    for (char c : digits) {
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
        if (v > 0xffffffffu) return std::uint32_t{0xffffffffu};
    }
    return static_cast<std::uint32_t>(v);
}

/// callid = word [ "@" word ] (RFC 3261 25.1).
TANDEM_DECL bool valid_call_id(std::string_view s) noexcept {
    detail::scanner sc{s};
    if (sc.span(detail::cc_word).empty()) return false;
    if (sc.eat('@') && sc.span(detail::cc_word).empty()) return false;
    return sc.at_end();
}

// --------------------------------------------------------------------------------------------
// Content-Type, option tags, methods

/// `type/subtype;param=value` (RFC 3261 20.15, media-type).
struct media_type {
    std::string_view type;
    std::string_view subtype;
    param_list params;
    /// Case-insensitive match of "type/subtype" (no parameters).
    constexpr bool is(std::string_view t, std::string_view st) const noexcept {
        return detail::iequals(type, t) && detail::iequals(subtype, st);
    }
};

/// Parses a media-type; with `allow_wildcards`, a media-range of Accept (`*/*`, `text/*`).
TANDEM_DECL result<media_type> parse_media_type(std::string_view s, bool allow_wildcards = false) noexcept {
    using namespace detail;
    scanner sc{trim(s)};
    media_type m;
    m.type = sc.token();
    if (m.type.empty() || !sc.eat_sep('/')) return parse_errc::bad_header_value;
    m.subtype = sc.token();
    if (m.subtype.empty()) return parse_errc::bad_header_value;
    if (!allow_wildcards && (m.type == "*" || m.subtype == "*")) return parse_errc::bad_header_value;
    std::size_t pb = sc.pos;
    if (!scan_generic_params(sc)) return parse_errc::bad_param;
    sc.skip_ws();
    if (!sc.at_end()) return parse_errc::bad_header_value;
    m.params = param_list{sc.s.substr(pb, sc.pos - pb)};
    return m;
}

/// A token list element check: `token *(SEMI generic-param)` (Reason, Event, Subscription-State,
/// Content-Disposition, Session-Expires's delta is checked apart).
TANDEM_DECL bool valid_token_with_params(std::string_view s) noexcept {
    detail::scanner sc{detail::trim(s)};
    if (sc.token().empty()) return false;
    if (!detail::scan_generic_params(sc)) return false;
    sc.skip_ws();
    return sc.at_end();
}

/// True when `s` is exactly one token (an option-tag, a method, an encoding).
TANDEM_DECL bool valid_token(std::string_view s) noexcept {
    detail::scanner sc{s};
    return !sc.token().empty() && sc.at_end();
}

// --------------------------------------------------------------------------------------------
// Authentication (RFC 3261 25.1 challenge / credentials), Date, Warning, RAck, Timestamp

/// `scheme LWS auth-param *(COMMA auth-param)`, auth-param = token EQUAL ( token / quoted-string ).
/// Digest's own parameters are auth-params of that shape too.
TANDEM_DECL bool valid_auth(std::string_view s) noexcept {
    using namespace detail;
    scanner sc{trim(s)};
    if (sc.token().empty()) return false;
    if (sc.at_end()) return true; // a bare scheme
    if (!sc.skip_ws()) return false;
    while (true) {
        if (sc.token().empty()) return false;
        if (!sc.eat_sep('=')) return false;
        if (sc.peek() == '"') {
            if (!sc.quoted_string()) return false;
        } else if (sc.token().empty()) {
            return false;
        }
        sc.skip_ws();
        if (sc.at_end()) return true;
        if (!sc.eat_sep(',')) return false;
    }
}

/// rfc1123-date = wkday "," SP date1 SP time SP "GMT" (RFC 3261 25.1).
TANDEM_DECL bool valid_date(std::string_view s) noexcept {
    s = detail::trim(s);
    // "Sun, 06 Nov 1994 08:49:37 GMT" is exactly 29 characters.
    if (s.size() != 29) return false;
    constexpr std::string_view days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    bool ok = false;
    for (auto d : days) ok |= s.substr(0, 3) == d;
    if (!ok || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
        s[22] != ':' || s[25] != ' ' || s.substr(26) != "GMT")
        return false;
    ok = false;
    for (auto m : months) ok |= s.substr(8, 3) == m;
    for (std::size_t i : {5u, 6u, 12u, 13u, 14u, 15u, 17u, 18u, 20u, 21u, 23u, 24u})
        ok &= detail::is_digit(s[i]);
    return ok;
}

/// warning-value = warn-code SP warn-agent SP warn-text; warn-code = 3DIGIT.
TANDEM_DECL bool valid_warning(std::string_view s) noexcept {
    using namespace detail;
    scanner sc{trim(s)};
    std::size_t b = sc.pos;
    while (!sc.at_end() && is_digit(sc.peek())) ++sc.pos;
    if (sc.pos - b != 3 || !sc.eat(' ')) return false;
    while (!sc.at_end() && sc.peek() != ' ') ++sc.pos; // warn-agent: hostport / pseudonym
    if (!sc.eat(' ')) return false;
    return sc.quoted_string() && sc.at_end();
}

/// RAck = response-num LWS CSeq-num LWS Method (RFC 3262 7.2).
TANDEM_DECL bool valid_rack(std::string_view s) noexcept {
    detail::scanner sc{detail::trim(s)};
    if (!sc.number(0xffffffffu) || !sc.skip_ws()) return false;
    if (!sc.number(0xffffffffu) || !sc.skip_ws()) return false;
    return !sc.token().empty() && sc.at_end();
}

/// A RAck value: the RSeq and the CSeq number it acknowledges.
struct rack {
    std::uint32_t rseq = 0;
    std::uint32_t cseq = 0;
    std::string_view method;
};
/// Parses a RAck value (RFC 3262 7.2).
TANDEM_DECL result<rack> parse_rack(std::string_view s) noexcept {
    detail::scanner sc{detail::trim(s)};
    rack r;
    auto rseq = sc.number(0xffffffffu);
    if (!rseq || !sc.skip_ws()) return parse_errc::bad_header_value;
    auto cseq = sc.number(0xffffffffu);
    if (!cseq || !sc.skip_ws()) return parse_errc::bad_header_value;
    r.rseq = static_cast<std::uint32_t>(*rseq);
    r.cseq = static_cast<std::uint32_t>(*cseq);
    r.method = sc.token();
    if (r.method.empty() || !sc.at_end()) return parse_errc::bad_header_value;
    return r;
}

/// A Replaces value: the dialog an INVITE replaces, as its recipient knows it (RFC 3891 6.1):
/// the recipient's own tag is `to_tag`, its peer's `from_tag`.
struct replaces {
    std::string_view call_id;
    std::string_view to_tag;
    std::string_view from_tag;
    bool early_only = false;
};
/// Parses a Replaces value: `callid *(SEMI (to-tag / from-tag / early-flag / generic-param))`,
/// both tags required (RFC 3891 6.1).
TANDEM_DECL result<replaces> parse_replaces(std::string_view s) noexcept {
    detail::scanner sc{detail::trim(s)};
    replaces r;
    std::size_t b = sc.pos;
    if (sc.span(detail::cc_word).empty()) return parse_errc::bad_header_value;
    if (sc.eat('@') && sc.span(detail::cc_word).empty()) return parse_errc::bad_header_value;
    r.call_id = sc.s.substr(b, sc.pos - b);
    bool to = false, from = false;
    auto on_param = [&](std::string_view name, std::string_view value, bool has_value) {
        if (detail::iequals(name, "to-tag")) {
            r.to_tag = value;
            to = has_value && !to;
            return to;
        }
        if (detail::iequals(name, "from-tag")) {
            r.from_tag = value;
            from = has_value && !from;
            return from;
        }
        if (detail::iequals(name, "early-only")) r.early_only = true;
        return true;
    };
    if (!detail::scan_generic_params(sc, on_param) || !sc.at_end() || !to || !from || r.to_tag.empty() ||
        r.from_tag.empty())
        return parse_errc::bad_header_value;
    return r;
}

/// Timestamp = 1*(DIGIT) [ "." *(DIGIT) ] [ LWS delay ] (RFC 3261 20.38).
TANDEM_DECL bool valid_timestamp(std::string_view s) noexcept {
    detail::scanner sc{detail::trim(s)};
    auto number = [&] {
        std::size_t b = sc.pos;
        while (!sc.at_end() && detail::is_digit(sc.peek())) ++sc.pos;
        if (sc.pos == b) return false;
        if (sc.eat('.'))
            while (!sc.at_end() && detail::is_digit(sc.peek())) ++sc.pos;
        return true;
    };
    if (!number()) return false;
    if (sc.skip_ws() && !sc.at_end() && !number()) return false;
    return sc.at_end();
}

/// Retry-After = delta-seconds [ comment ] *( SEMI retry-param ) (RFC 3261 20.33). The
/// delta must fit 32 bits here: larger values are refused (RFC 4475 3.1.2.5).
TANDEM_DECL bool valid_retry_after(std::string_view s) noexcept {
    using namespace detail;
    scanner sc{trim(s)};
    if (!sc.number(0xffffffffu)) return false;
    sc.skip_ws();
    if (sc.eat('(')) {
        int depth = 1;
        while (!sc.at_end() && depth > 0) {
            char c = sc.peek();
            if (c == '\\')
                ++sc.pos;
            else if (c == '(')
                ++depth;
            else if (c == ')')
                --depth;
            ++sc.pos;
        }
        if (depth != 0) return false;
    }
    if (!scan_generic_params(sc)) return false;
    sc.skip_ws();
    return sc.at_end();
}

} // namespace tandem::message

#endif
