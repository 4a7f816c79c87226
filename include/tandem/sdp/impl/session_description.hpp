#ifndef TANDEM_SDP_IMPL_SESSION_DESCRIPTION_HPP
#define TANDEM_SDP_IMPL_SESSION_DESCRIPTION_HPP

#include <tandem/sdp/session_description.hpp>

#include <tandem/message/detail/host.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::sdp {
namespace detail {

// token-char = %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E (RFC 8866 9)
constexpr bool is_token_char(char c) noexcept {
    auto u = static_cast<unsigned char>(c);
    return u == 0x21 || (u >= 0x23 && u <= 0x27) || u == 0x2A || u == 0x2B || u == 0x2D || u == 0x2E ||
           (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5A) || (u >= 0x5E && u <= 0x7E);
}
constexpr bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_token_char(c)) return false;
    return true;
}
constexpr bool is_digits(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}
// non-ws-string = 1*(VCHAR / %x80-FF)
constexpr bool is_non_ws(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7F) return false;
    }
    return true;
}
constexpr std::optional<std::uint64_t> to_number(std::string_view s, std::uint64_t max) noexcept {
    if (!is_digits(s) || s.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) v = v * 10 + static_cast<std::uint64_t>(c - '0');
    if (v > max) return std::nullopt;
    return v;
}
constexpr std::string_view trim_right(std::string_view s) noexcept {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}
// Splits `s` at single SPs into at most N fields; false when a field is empty (double SP,
// leading SP) or when there are more than N fields and `rest_in_last` is false.
template <std::size_t N>
constexpr bool split_sp(std::string_view s, std::string_view (&out)[N], std::size_t& n,
                        bool rest_in_last) noexcept {
    n = 0;
    std::size_t b = 0;
    while (true) {
        if (n + 1 == N && rest_in_last) {
            out[n++] = s.substr(b);
            return !out[n - 1].empty();
        }
        std::size_t e = s.find(' ', b);
        if (e == std::string_view::npos) e = s.size();
        if (e == b || n == N) return false;
        out[n++] = s.substr(b, e - b);
        if (e == s.size()) return true;
        b = e + 1;
    }
}
// unicast-address / connection-address base for nettype IN: IP4 dotted quad, IP6 (no
// brackets, RFC 5118 4.6) or FQDN; for other types any non-ws string (extn-addr).
constexpr bool is_address(std::string_view nettype, std::string_view addrtype, std::string_view a) noexcept {
    namespace hd = tandem::message::detail;
    if (nettype != "IN") return is_non_ws(a);
    if (addrtype == "IP4") {
        if (hd::is_ipv4(a)) return true;
        // a dotted all-digit string that is not a valid IPv4 address is not a name either
        bool digits_dots = !a.empty();
        for (char c : a) digits_dots = digits_dots && ((c >= '0' && c <= '9') || c == '.');
        return !digits_dots && hd::is_hostname(a);
    }
    if (addrtype == "IP6") {
        if (a.find(':') != std::string_view::npos) return hd::is_ipv6(a, false);
        return hd::is_hostname(a);
    }
    return is_non_ws(a);
}
// typed-time = 1*DIGIT [fixed-len-time-unit] with unit d/h/m/s; `sign` allows a leading '-'
constexpr bool is_typed_time(std::string_view s, bool sign) noexcept {
    if (sign && !s.empty() && s.front() == '-') s.remove_prefix(1);
    if (!s.empty() && (s.back() == 'd' || s.back() == 'h' || s.back() == 'm' || s.back() == 's'))
        s.remove_suffix(1);
    return is_digits(s) && s.size() <= 19;
}
// Calls fn(field) for each SP-separated field; false when a field is empty.
template <class Fn>
constexpr bool each_field(std::string_view s, Fn&& fn) {
    std::size_t b = 0;
    while (true) {
        std::size_t e = s.find(' ', b);
        if (e == std::string_view::npos) e = s.size();
        if (e == b || !fn(s.substr(b, e - b))) return false;
        if (e == s.size()) return true;
        b = e + 1;
    }
}

inline std::error_code parse_connection(std::string_view v, connection& c) {
    std::string_view f[3];
    std::size_t n = 0;
    if (!split_sp(trim_right(v), f, n, false) || n != 3) return sdp_errc::bad_connection;
    if (!is_token(f[0]) || !is_token(f[1])) return sdp_errc::bad_connection;
    c.nettype = f[0];
    c.addrtype = f[1];
    std::string_view addr = f[2];
    c.ttl.reset();
    c.count.reset();
    if (c.nettype == "IN" && (c.addrtype == "IP4" || c.addrtype == "IP6")) {
        // IP4 multicast: addr/ttl[/count]; IP6 multicast: addr[/count] (RFC 8866 5.7)
        std::size_t s1 = addr.find('/');
        if (s1 != std::string_view::npos) {
            std::string_view suffix = addr.substr(s1 + 1);
            addr = addr.substr(0, s1);
            std::size_t s2 = suffix.find('/');
            std::string_view a = suffix.substr(0, s2);
            auto na = to_number(a, 0xFFFFFFFFu);
            if (!na) return sdp_errc::bad_connection;
            if (c.addrtype == "IP4") {
                if (*na > 255) return sdp_errc::bad_connection;
                c.ttl = static_cast<std::uint32_t>(*na);
                if (s2 != std::string_view::npos) {
                    auto nb = to_number(suffix.substr(s2 + 1), 0xFFFFFFFFu);
                    if (!nb || *nb == 0) return sdp_errc::bad_connection;
                    c.count = static_cast<std::uint32_t>(*nb);
                }
            } else {
                if (s2 != std::string_view::npos || *na == 0) return sdp_errc::bad_connection;
                c.count = static_cast<std::uint32_t>(*na);
            }
        }
    }
    if (!is_address(c.nettype, c.addrtype, addr)) return sdp_errc::bad_connection;
    c.address = addr;
    return {};
}

inline std::error_code parse_origin(std::string_view v, origin& o) {
    std::string_view f[6];
    std::size_t n = 0;
    if (!split_sp(trim_right(v), f, n, false) || n != 6) return sdp_errc::bad_origin;
    if (!is_non_ws(f[0]) || !is_digits(f[1]) || !is_digits(f[2]) || !is_token(f[3]) || !is_token(f[4]) ||
        !is_address(f[3], f[4], f[5]))
        return sdp_errc::bad_origin;
    o.username = f[0];
    o.sess_id = f[1];
    o.sess_version = f[2];
    o.nettype = f[3];
    o.addrtype = f[4];
    o.unicast_address = f[5];
    return {};
}

inline std::error_code parse_media(std::string_view v, media_description& m) {
    std::string_view f[4];
    std::size_t n = 0;
    if (!split_sp(trim_right(v), f, n, true) || n != 4) return sdp_errc::bad_media;
    if (!is_token(f[0])) return sdp_errc::bad_media;
    m.media = f[0];
    std::string_view port = f[1];
    std::size_t slash = port.find('/');
    if (slash != std::string_view::npos) {
        auto cnt = to_number(port.substr(slash + 1), 65535);
        if (!cnt || *cnt == 0) return sdp_errc::bad_port;
        m.port_count = static_cast<std::uint16_t>(*cnt);
        port = port.substr(0, slash);
    }
    auto p = to_number(port, 65535);
    if (!p) return sdp_errc::bad_port;
    m.port = static_cast<std::uint16_t>(*p);
    // proto = token *("/" token)
    std::string_view proto = f[2];
    std::size_t b = 0;
    while (true) {
        std::size_t e = proto.find('/', b);
        if (e == std::string_view::npos) e = proto.size();
        if (!is_token(proto.substr(b, e - b))) return sdp_errc::bad_media;
        if (e == proto.size()) break;
        b = e + 1;
    }
    m.proto = proto;
    bool ok = each_field(f[3], [&](std::string_view fmt) {
        if (!is_token(fmt)) return false;
        m.formats.emplace_back(fmt);
        return true;
    });
    return ok ? std::error_code{} : make_error_code(sdp_errc::bad_media);
}

inline std::error_code parse_bandwidth(std::string_view v, std::vector<bandwidth>& out) {
    v = trim_right(v);
    std::size_t colon = v.find(':');
    if (colon == std::string_view::npos || !is_token(v.substr(0, colon))) return sdp_errc::bad_bandwidth;
    auto n = to_number(v.substr(colon + 1), ~std::uint64_t{0});
    if (!n) return sdp_errc::bad_bandwidth;
    out.push_back(bandwidth{std::string(v.substr(0, colon)), *n});
    return {};
}

inline std::error_code parse_attribute(std::string_view v, std::vector<attribute>& out) {
    std::size_t colon = v.find(':');
    std::string_view name = v.substr(0, colon);
    if (!is_token(name)) return sdp_errc::bad_attribute;
    attribute a;
    a.name = name;
    if (colon != std::string_view::npos) a.value = std::string(v.substr(colon + 1));
    out.push_back(std::move(a));
    return {};
}

inline void write_connection(std::string& out, const connection& c) {
    out += "c=";
    out += c.nettype;
    out += ' ';
    out += c.addrtype;
    out += ' ';
    out += c.address;
    if (c.ttl) {
        out += '/';
        out += std::to_string(*c.ttl);
    }
    if (c.count) {
        out += '/';
        out += std::to_string(*c.count);
    }
    out += "\r\n";
}
inline void write_line(std::string& out, char type, std::string_view value) {
    out += type;
    out += '=';
    out += value;
    out += "\r\n";
}
inline void write_bandwidths(std::string& out, const std::vector<bandwidth>& bs) {
    for (const bandwidth& b : bs) write_line(out, 'b', b.type + ":" + std::to_string(b.value));
}
inline void write_attributes(std::string& out, const std::vector<attribute>& as) {
    for (const attribute& a : as) {
        out += "a=";
        out += a.name;
        if (a.value) {
            out += ':';
            out += *a.value;
        }
        out += "\r\n";
    }
}

} // namespace detail

TANDEM_DECL void session_description::serialize_to(std::string& out) const {
    out += "v=";
    out += std::to_string(version);
    out += "\r\n";
    out += "o=" + origin.username + ' ' + origin.sess_id + ' ' + origin.sess_version + ' ' + origin.nettype +
           ' ' + origin.addrtype + ' ' + origin.unicast_address + "\r\n";
    detail::write_line(out, 's', session_name);
    if (information) detail::write_line(out, 'i', *information);
    if (uri) detail::write_line(out, 'u', *uri);
    for (const std::string& e : emails) detail::write_line(out, 'e', e);
    for (const std::string& p : phones) detail::write_line(out, 'p', p);
    if (connection) detail::write_connection(out, *connection);
    detail::write_bandwidths(out, bandwidths);
    for (const timing& t : timings) {
        detail::write_line(out, 't', std::to_string(t.start) + ' ' + std::to_string(t.stop));
        for (const std::string& r : t.repeats) detail::write_line(out, 'r', r);
        if (t.zone) detail::write_line(out, 'z', *t.zone);
    }
    if (key) detail::write_line(out, 'k', *key);
    detail::write_attributes(out, attributes);
    for (const media_description& m : media) {
        out += "m=";
        out += m.media;
        out += ' ';
        out += std::to_string(m.port);
        if (m.port_count) {
            out += '/';
            out += std::to_string(*m.port_count);
        }
        out += ' ';
        out += m.proto;
        for (const std::string& f : m.formats) {
            out += ' ';
            out += f;
        }
        out += "\r\n";
        if (m.information) detail::write_line(out, 'i', *m.information);
        for (const sdp::connection& c : m.connections) detail::write_connection(out, c);
        detail::write_bandwidths(out, m.bandwidths);
        if (m.key) detail::write_line(out, 'k', *m.key);
        detail::write_attributes(out, m.attributes);
    }
}

TANDEM_DECL result<session_description> parse(std::string_view text, const parse_options& opts) {
    if (text.size() > opts.max_size) return sdp_errc::too_large;
    // Octets: no NUL anywhere, CR only before LF (RFC 8866 9: byte-string excludes NUL, CR, LF).
    std::size_t lines = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\0') return sdp_errc::bad_character;
        if (c == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) return sdp_errc::bad_character;
        if (c == '\n') ++lines;
    }
    if (!text.empty() && text.back() != '\n') ++lines;
    if (lines > opts.max_lines) return sdp_errc::too_many_lines;
    // Trailing empty lines are ignored (a body that ends in an extra CRLF is common).
    while (text.ends_with("\r\n\r\n") || text.ends_with("\n\n") || text.ends_with("\n\r\n"))
        text.remove_suffix(text.ends_with("\r\n") ? 2 : 1);
    if (text.empty() || text == "\n" || text == "\r\n") return sdp_errc::empty;

    session_description sd;
    sd.timings.clear();
    sd.session_name.clear();

    // Session-level order ranks (RFC 8866 5): v o s i u e p c b (t r z) k a, then media.
    // Media-level ranks: m i c b k a.
    auto session_rank = [](char t) -> int {
        switch (t) {
        case 'v': return 0;
        case 'o': return 1;
        case 's': return 2;
        case 'i': return 3;
        case 'u': return 4;
        case 'e': return 5;
        case 'p': return 6;
        case 'c': return 7;
        case 'b': return 8;
        case 't':
        case 'r':
        case 'z': return 9;
        case 'k': return 10;
        case 'a': return 11;
        case 'm': return 12;
        default: return -1;
        }
    };
    auto media_rank = [](char t) -> int {
        switch (t) {
        case 'm': return 0;
        case 'i': return 1;
        case 'c': return 2;
        case 'b': return 3;
        case 'k': return 4;
        case 'a': return 5;
        default: return -1;
        }
    };

    int rank = -1;         // rank of the previous line in the current section
    char prev = 0;         // type of the previous line
    bool in_media = false; // inside an m= section
    std::size_t index = 0; // 0-based line number
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::size_t end = nl == std::string_view::npos ? text.size() : nl;
        std::string_view line = text.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;

        if (line.size() < 2 || line[1] != '=') return sdp_errc::bad_line;
        char type = line[0];
        std::string_view value = line.substr(2);
        if (type < 'a' || type > 'z') return sdp_errc::bad_line;
        // No blank after '=' (RFC 8866 5), except in the free-text s= and i= values: RFC 8866
        // 5.3 itself recommends "s= " for a session without a name.
        if (!value.empty() && (value.front() == ' ' || value.front() == '\t') && type != 's' && type != 'i')
            return sdp_errc::bad_line;

        // The first three lines are fixed: v=, o=, s= (RFC 8866 5).
        if (index == 0 && type != 'v') return sdp_errc::missing_version;
        if (index == 1 && type != 'o') return sdp_errc::missing_origin;
        if (index == 2 && type != 's') return sdp_errc::missing_session_name;
        ++index;

        if (type == 'm') {
            if (sd.timings.empty()) return sdp_errc::missing_timing;
            if (sd.media.size() >= opts.max_media) return sdp_errc::too_many_media;
            media_description m;
            if (auto ec = detail::parse_media(value, m)) return ec;
            sd.media.push_back(std::move(m));
            in_media = true;
            rank = 0;
            prev = type;
            continue;
        }

        if (in_media) {
            int r = media_rank(type);
            if (r < 0) return session_rank(type) < 0 ? sdp_errc::unknown_type : sdp_errc::bad_order;
            // i= and k= at most once; the others may repeat
            if (r < rank || (r == rank && (type == 'i' || type == 'k'))) return sdp_errc::bad_order;
            rank = r;
            media_description& m = sd.media.back();
            switch (type) {
            case 'i':
                if (value.empty()) return sdp_errc::bad_text;
                m.information = std::string(value);
                break;
            case 'c': {
                connection c;
                if (auto ec = detail::parse_connection(value, c)) return ec;
                m.connections.push_back(std::move(c));
                break;
            }
            case 'b':
                if (auto ec = detail::parse_bandwidth(value, m.bandwidths)) return ec;
                break;
            case 'k':
                if (value.empty()) return sdp_errc::bad_text;
                m.key = std::string(value);
                break;
            case 'a':
                if (auto ec = detail::parse_attribute(value, m.attributes)) return ec;
                break;
            default: break;
            }
            prev = type;
            continue;
        }

        int r = session_rank(type);
        if (r < 0) return sdp_errc::unknown_type;
        // Before the time descriptions: non-decreasing ranks, i u c once. v o s are placed by
        // the index checks above and may not come back.
        if (r < rank) return sdp_errc::bad_order;
        if (r == rank && (type == 'v' || type == 'o' || type == 's' || type == 'i' || type == 'u' ||
                          type == 'c' || type == 'k'))
            return sdp_errc::bad_order;
        if (r > 9 && sd.timings.empty()) return sdp_errc::missing_timing;
        switch (type) {
        case 'v':
            if (detail::trim_right(value) != "0") return sdp_errc::bad_version;
            break;
        case 'o':
            if (auto ec = detail::parse_origin(value, sd.origin)) return ec;
            break;
        case 's': sd.session_name = std::string(value); break;
        case 'i':
            if (value.empty()) return sdp_errc::bad_text;
            sd.information = std::string(value);
            break;
        case 'u':
            if (value.empty()) return sdp_errc::bad_text;
            sd.uri = std::string(value);
            break;
        case 'e':
            if (value.empty()) return sdp_errc::bad_text;
            sd.emails.emplace_back(value);
            break;
        case 'p':
            if (value.empty()) return sdp_errc::bad_text;
            sd.phones.emplace_back(value);
            break;
        case 'c': {
            sdp::connection c;
            if (auto ec = detail::parse_connection(value, c)) return ec;
            sd.connection = std::move(c);
            break;
        }
        case 'b':
            if (auto ec = detail::parse_bandwidth(value, sd.bandwidths)) return ec;
            break;
        case 't': {
            // t= may follow t=, r= or z= (RFC 8866 5.9; RFC 4566 put one z= after all t=)
            std::string_view f[2];
            std::size_t n = 0;
            if (!detail::split_sp(detail::trim_right(value), f, n, false) || n != 2)
                return sdp_errc::bad_timing;
            auto start = detail::to_number(f[0], ~std::uint64_t{0});
            auto stop = detail::to_number(f[1], ~std::uint64_t{0});
            if (!start || !stop) return sdp_errc::bad_timing;
            sd.timings.push_back(timing{*start, *stop, {}, {}});
            break;
        }
        case 'r': {
            // r=<repeat interval> <active duration> <offsets from start-time> (RFC 8866 5.10)
            if (prev != 't' && prev != 'r') return sdp_errc::bad_order;
            std::size_t fields = 0;
            bool ok = detail::each_field(value, [&](std::string_view f) {
                ++fields;
                return detail::is_typed_time(f, false);
            });
            if (!ok || fields < 3) return sdp_errc::bad_repeat;
            sd.timings.back().repeats.emplace_back(value);
            break;
        }
        case 'z': {
            // z=<adjustment time> <offset> ... (RFC 8866 5.11), once per time description
            if (prev != 't' && prev != 'r') return sdp_errc::bad_order;
            std::size_t fields = 0;
            bool ok = detail::each_field(value, [&](std::string_view f) {
                bool even = fields++ % 2 == 0;
                return even ? detail::is_digits(f) && f.size() <= 19 : detail::is_typed_time(f, true);
            });
            if (!ok || fields % 2 != 0) return sdp_errc::bad_zone;
            sd.timings.back().zone = std::string(value);
            break;
        }
        case 'k':
            if (value.empty()) return sdp_errc::bad_text;
            sd.key = std::string(value);
            break;
        case 'a':
            if (auto ec = detail::parse_attribute(value, sd.attributes)) return ec;
            break;
        default: break;
        }
        rank = r;
        prev = type;
    }
    if (index < 1) return sdp_errc::missing_version;
    if (index < 2) return sdp_errc::missing_origin;
    if (index < 3) return sdp_errc::missing_session_name;
    if (sd.timings.empty()) return sdp_errc::missing_timing;
    // RFC 8866 5.7: c= at session level, or in every media description.
    if (!sd.connection)
        for (const media_description& m : sd.media)
            if (m.connections.empty()) return sdp_errc::missing_connection;
    return sd;
}

TANDEM_DECL result<rtpmap> parse_rtpmap(std::string_view value) noexcept {
    rtpmap r;
    std::size_t sp = value.find(' ');
    if (sp == std::string_view::npos) return sdp_errc::bad_attribute;
    auto pt = detail::to_number(value.substr(0, sp), 127);
    if (!pt) return sdp_errc::bad_attribute;
    r.payload_type = static_cast<std::uint8_t>(*pt);
    std::string_view enc = detail::trim_right(value.substr(sp + 1));
    std::size_t s1 = enc.find('/');
    if (s1 == std::string_view::npos) return sdp_errc::bad_attribute;
    r.encoding_name = enc.substr(0, s1);
    if (!detail::is_token(r.encoding_name)) return sdp_errc::bad_attribute;
    std::string_view rest = enc.substr(s1 + 1);
    std::size_t s2 = rest.find('/');
    auto rate = detail::to_number(rest.substr(0, s2), 0xFFFFFFFFu);
    if (!rate) return sdp_errc::bad_attribute;
    r.clock_rate = static_cast<std::uint32_t>(*rate);
    if (s2 != std::string_view::npos) {
        r.encoding_parameters = rest.substr(s2 + 1);
        if (!detail::is_token(r.encoding_parameters)) return sdp_errc::bad_attribute;
    }
    return r;
}

TANDEM_DECL result<fmtp> parse_fmtp(std::string_view value) noexcept {
    std::size_t sp = value.find(' ');
    fmtp f;
    f.format = value.substr(0, sp);
    if (!detail::is_token(f.format)) return sdp_errc::bad_attribute;
    if (sp != std::string_view::npos) f.parameters = value.substr(sp + 1);
    return f;
}

TANDEM_DECL result<rtcp> parse_rtcp(std::string_view value) noexcept {
    std::string_view f[4];
    std::size_t n = 0;
    if (!detail::split_sp(detail::trim_right(value), f, n, false) || (n != 1 && n != 4))
        return sdp_errc::bad_attribute;
    auto port = detail::to_number(f[0], 65535);
    if (!port) return sdp_errc::bad_attribute;
    rtcp r;
    r.port = static_cast<std::uint16_t>(*port);
    if (n == 4) {
        if (!detail::is_token(f[1]) || !detail::is_token(f[2]) || !detail::is_address(f[1], f[2], f[3]))
            return sdp_errc::bad_attribute;
        r.nettype = f[1];
        r.addrtype = f[2];
        r.address = f[3];
    }
    return r;
}

TANDEM_DECL result<crypto> parse_crypto(std::string_view value) noexcept {
    std::string_view f[4];
    std::size_t n = 0;
    if (!detail::split_sp(value, f, n, true) || n < 3) return sdp_errc::bad_attribute;
    // tag = 1*9DIGIT (RFC 4568 9.1)
    if (f[0].size() > 9) return sdp_errc::bad_attribute;
    auto tag = detail::to_number(f[0], 999999999);
    if (!tag || !detail::is_non_ws(f[1]) || !detail::is_non_ws(f[2])) return sdp_errc::bad_attribute;
    crypto c;
    c.tag = static_cast<std::uint32_t>(*tag);
    c.suite = f[1];
    c.key_params = f[2];
    if (n == 4) c.session_params = f[3];
    return c;
}

TANDEM_DECL std::optional<rtpmap> find_rtpmap(const media_description& m, std::uint8_t pt) noexcept {
    for (const attribute& a : m.attributes) {
        if (a.name != "rtpmap" || !a.value) continue;
        auto r = parse_rtpmap(*a.value);
        if (r && r->payload_type == pt) return *r;
    }
    return std::nullopt;
}

} // namespace tandem::sdp

#endif
