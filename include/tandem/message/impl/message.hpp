#ifndef TANDEM_MESSAGE_IMPL_MESSAGE_HPP
#define TANDEM_MESSAGE_IMPL_MESSAGE_HPP

// Out-of-line definitions of tandem::message::message.

#include <tandem/message/message.hpp>

#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tandem::message {

namespace detail {

/// Index of the first CR or LF in b[pos, n), or n. Sixteen octets at a time where SSE2 is
/// available (every x86-64), since line ends are what the parser looks for most.
inline std::size_t find_cr_or_lf(const char* b, std::size_t pos, std::size_t n) noexcept {
#if defined(__SSE2__)
    const __m128i cr = _mm_set1_epi8('\r');
    const __m128i lf = _mm_set1_epi8('\n');
    while (pos + 16 <= n) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + pos));
        auto mask = static_cast<unsigned>(
            _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf))));
        if (mask) return pos + static_cast<std::size_t>(__builtin_ctz(mask));
        pos += 16;
    }
#endif
    while (pos < n && b[pos] != '\r' && b[pos] != '\n') ++pos;
    return pos;
}

/// A header field line as the fast path of `message::assign` found it: the name is
/// b[pos, colon), the value starts at `vb` (blanks after the colon skipped) and the line ends
/// at `eol` (the first CR or LF).
struct field_line {
    std::size_t colon;
    std::size_t vb;
    std::size_t eol;
    header_id id;
};

/// The id of a header name of 2 to 16 octets, given its first sixteen octets lower-cased
/// (OR 0x20) in `lo`, or `other`. Only letters, digits and '-' can equal a known name this way
/// (a CR would become '-', but the caller's name holds none).
#if defined(__SSE2__)
[[gnu::always_inline]] inline header_id lookup_header_name_sse(__m128i lo, char first,
                                                               std::size_t len) noexcept {
    const unsigned keep = (1u << len) - 1;
    for (header_id id : header_name_table[header_name_key(len, first)]) {
        if (id == header_id::other) break;
        const __m128i w = _mm_loadu_si128(
            reinterpret_cast<const __m128i*>(header_name_words[static_cast<std::size_t>(id)].data()));
        if ((static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(lo, w))) & keep) == keep) return id;
    }
    return header_id::other;
}
#endif

/// Finds `name ":" *WSP value` up to the line end for a line starting at b[pos] whose name is
/// a token directly followed by the colon; false for anything else (the caller then takes
/// the general path). b[n] must be readable and NUL (a std::string's terminator).
[[gnu::always_inline]] inline bool scan_field_line(const char* b, std::size_t pos, std::size_t n,
                                                   field_line& out) noexcept {
#if defined(__SSE2__)
    if (pos + 16 <= n) {
        // One load serves the colon, the line end and the name lookup for nearly every line.
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + pos));
        const auto crlf = static_cast<unsigned>(_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')))));
        auto colon = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':'))));
        colon &= crlf ? (crlf & (0u - crlf)) - 1 : 0xffffu; // a colon before the line end
        if (colon != 0) {
            const auto len = static_cast<std::size_t>(__builtin_ctz(colon));
            if (len == 0) return false;
            const __m128i lo = _mm_or_si128(v, _mm_set1_epi8(0x20));
            header_id id;
            if (len == 1) {
                auto c = static_cast<unsigned>(static_cast<unsigned char>(b[pos]) | 0x20u) - 'a';
                id = c < 26 ? compact_table[c] : header_id::other;
            } else {
                id = lookup_header_name_sse(lo, b[pos], len);
            }
            if (id == header_id::other) {
                // an unknown name: letters, digits and '-' checked sixteen at a time, other
                // token octets one by one (octets >= 0x80 compare as negative: not alnum)
                const __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(lo, _mm_set1_epi8('a' - 1)),
                                                    _mm_cmpgt_epi8(_mm_set1_epi8('z' + 1), lo));
                const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                                    _mm_cmpgt_epi8(_mm_set1_epi8('9' + 1), v));
                const __m128i ok =
                    _mm_or_si128(_mm_or_si128(alpha, digit), _mm_cmpeq_epi8(v, _mm_set1_epi8('-')));
                const unsigned keep = (1u << len) - 1;
                if ((static_cast<unsigned>(_mm_movemask_epi8(ok)) & keep) != keep)
                    for (std::size_t i = 0; i < len; ++i)
                        if (!is_token(b[pos + i])) return false;
            }
            std::size_t vb = pos + len + 1;
            while (is_ws(b[vb])) ++vb;
            out.colon = pos + len;
            out.vb = vb;
            out.eol =
                crlf ? pos + static_cast<std::size_t>(__builtin_ctz(crlf)) : find_cr_or_lf(b, pos + 16, n);
            out.id = id;
            return true;
        }
        if (crlf != 0) return false; // no colon on the line
        // a name of sixteen octets or more: the general way below
    }
#endif
    std::size_t p = pos;
    while (is_token(b[p])) ++p;
    if (p == pos || b[p] != ':') return false;
    const std::size_t len = p - pos;
    std::size_t vb = p + 1;
    while (is_ws(b[vb])) ++vb;
    out.colon = p;
    out.vb = vb;
    out.eol = find_cr_or_lf(b, vb, n);
    // the word-wise lookup reads up to seven octets past the name
    out.id = pos + (len + 7) / 8 * 8 <= n ? lookup_token_header_name(b + pos, len)
                                          : to_header_id(std::string_view(b + pos, len));
    return true;
}

/// True if the version token is "SIP/" 1*DIGIT "." 1*DIGIT ("SIP" is case-insensitive per
/// RFC 5234 string literals).
constexpr bool is_sip_version(std::string_view v) noexcept {
    if (v == "SIP/2.0") return true; // nearly always
    if (v.size() < 7 || !iequals(v.substr(0, 4), "SIP/")) return false;
    scanner sc{v, 4};
    if (!sc.number(~0ull)) return false;
    if (!sc.eat('.')) return false;
    if (!sc.number(~0ull)) return false;
    return sc.at_end();
}

/// Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB):
/// in effect any octet but the controls other than HTAB.
constexpr bool valid_reason_phrase(std::string_view r) noexcept {
    for (char c : r) {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
    }
    return true;
}

} // namespace detail

TANDEM_DECL std::error_code message::parse_start_line(std::string_view line, const parse_options& opts) {
    using namespace detail;
    auto sp = [&](std::string_view part) {
        return span{static_cast<std::uint32_t>(part.data() - buf_.data()),
                    static_cast<std::uint32_t>(part.size())};
    };
    if (line.size() > 4 && iequals(line.substr(0, 4), "SIP/")) {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        std::size_t s1 = line.find(' ');
        if (s1 == std::string_view::npos) return parse_errc::bad_start_line;
        std::string_view code = line.substr(s1 + 1, 3);
        if (code.size() != 3 || !is_digit(code[0]) || !is_digit(code[1]) || !is_digit(code[2]))
            return parse_errc::bad_status_code;
        if (line.size() > s1 + 4 && line[s1 + 4] != ' ') return parse_errc::bad_status_code;
        if (line.size() == s1 + 4) return parse_errc::bad_start_line; // the SP before the reason is mandatory
        status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
        if (status_ < 100 || status_ > 699) return parse_errc::bad_status_code;
        start_[0] = sp(line.substr(0, s1));
        start_[1] = sp(code);
        start_[2] = sp(line.substr(s1 + 5));
        request_ = false;
        if (!is_sip_version(view(start_[0]))) return parse_errc::bad_version;
        return {};
    }
    // Request-Line = Method SP Request-URI SP SIP-Version; the URI cannot contain SP, so the
    // method ends at the first SP and the version starts after the last.
    std::string_view l = line;
    while (!l.empty() && l.back() == ' ') l.remove_suffix(1);
    std::size_t s1 = l.find(' ');
    std::size_t s2 = l.rfind(' ');
    if (s1 == std::string_view::npos || s1 == 0 || s2 == s1) return parse_errc::bad_start_line;
    std::string_view m = l.substr(0, s1);
    std::string_view v = l.substr(s2 + 1);
    std::string_view u = l.substr(s1 + 1, s2 - s1 - 1);
    if (!valid_token(m)) return parse_errc::bad_method;
    if (!is_sip_version(v)) return parse_errc::bad_start_line;
    bool extra_sp = l.size() != line.size() || u.empty() || u.front() == ' ' || u.back() == ' ';
    u = trim(u);
    if (u.empty()) return parse_errc::bad_request_uri;
    bad_spacing_ = extra_sp && !opts.lenient_request_line_spaces;
    start_[0] = sp(m);
    start_[1] = sp(u);
    start_[2] = sp(v);
    method_ = to_method(m);
    request_ = true;
    return {};
}

TANDEM_DECL std::error_code message::assign(std::string_view bytes, const parse_options& opts,
                                            diagnostics* diag) {
    auto fail = [&](parse_errc e, std::size_t line, std::string_view header = {}) {
        if (diag) {
            diag->line = line;
            diag->header.assign(header);
        }
        clear();
        return make_error_code(e);
    };
    // RFC 3261 7.5: CRLFs before the start line are ignored.
    while (bytes.size() >= 2 && bytes[0] == '\r' && bytes[1] == '\n') bytes.remove_prefix(2);
    if (bytes.empty()) return fail(parse_errc::empty_message, 0);
    if (bytes.size() > opts.max_message_size || bytes.size() > 0xffffffffu)
        return fail(parse_errc::message_too_large, 0);
    // The field table keeps its entries: they are overwritten below and the table cut to
    // size at the end, which spares re-initialising it for every message. assign() of the
    // buffer has the strong guarantee, so a bad_alloc leaves the previous message intact.
    buf_.assign(bytes);
    reset_state();
    wire_size_ = bytes.size();
    const char* const b = buf_.data();
    const std::size_t n = buf_.size();

    // Finds the end of the line starting at `pos`: the index of its CR (followed by LF).
    // A bare LF or a bare CR is an error (RFC 3261 7: lines end with CRLF).
    auto line_end = [&](std::size_t pos, std::size_t& eol) -> parse_errc {
        std::size_t e = detail::find_cr_or_lf(b, pos, n);
        if (e == n) return parse_errc::unterminated_headers;
        if (b[e] == '\n') return parse_errc::bad_line_end;
        if (e + 1 >= n) return parse_errc::unterminated_headers;
        if (b[e + 1] != '\n') return parse_errc::bad_line_end;
        eol = e;
        return {};
    };

    std::size_t eol = 0;
    std::size_t line_no = 1;
    if (auto e = line_end(0, eol); e != parse_errc{}) return fail(e, line_no);
    if (eol > opts.max_line_length) return fail(parse_errc::line_too_long, line_no);
    // Only the split of the start line is checked here; the grammar of its parts waits for
    // check_syntax(), so that a UAS can still answer a request with a bad Request-URI.
    if (auto ec = parse_start_line(std::string_view(b, eol), opts))
        return fail(static_cast<parse_errc>(ec.value()), line_no);
    std::size_t pos = eol + 2;

    // Header fields: name HCOLON value, continued by lines starting with SP/HTAB (folds).
    const std::size_t max_line = opts.max_line_length;
    const std::size_t max_headers = opts.max_headers;
    // Fields are written into a table grown ahead of need and cut to size at the end: a
    // push_back per field costs more than the rest of the fast path.
    std::size_t count = 0;
    // Entries are trivial and default-initialised: taking the capacity costs nothing, and
    // spares growing again a table cut to the size of a smaller previous message.
    fields_.resize(fields_.capacity());
    auto add_field = [&](span name, span value, header_id id) __attribute__((always_inline)) {
        if (count == fields_.size()) grow_fields(count);
        field& f = fields_[count++];
        f.name = name;
        f.value = value;
        f.id = id;
        auto& first = first_[static_cast<std::size_t>(id)];
        if (!first) first = static_cast<std::uint16_t>(count);
    };
    while (true) {
        ++line_no;
        // Fast path: `name:value CRLF` with no blank before the colon, no fold, within the
        // limits. Anything else is left to the general code below, which also reports errors
        // in the order it always did. b[n] is the string's NUL, which is neither a token
        // octet nor a blank, so the scans below stop at the end of the buffer.
        if (detail::field_line fl; detail::scan_field_line(b, pos, n, fl)) {
            const std::size_t e = fl.eol;
            if (e + 2 < n && b[e] == '\r' && b[e + 1] == '\n' && !detail::is_ws(b[e + 2]) &&
                e - pos <= max_line && count < max_headers) {
                std::size_t ve = e;
                while (ve > fl.vb && detail::is_ws(b[ve - 1])) --ve;
                add_field({static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(fl.colon - pos)},
                          {static_cast<std::uint32_t>(fl.vb), static_cast<std::uint32_t>(ve - fl.vb)}, fl.id);
                pos = e + 2;
                continue;
            }
        }
        if (pos >= n) return fail(parse_errc::unterminated_headers, line_no);
        if (auto e = line_end(pos, eol); e != parse_errc{}) return fail(e, line_no);
        if (eol == pos) {
            pos += 2;
            break; // the empty line
        }
        if (detail::is_ws(b[pos])) return fail(parse_errc::bad_header_name, line_no); // fold without a field
        std::size_t p = pos;
        while (p < eol && detail::is_token(b[p])) ++p;
        std::string_view name(b + pos, p - pos);
        while (p < eol && detail::is_ws(b[p])) ++p;
        if (name.empty())
            return fail(parse_errc::bad_header_name, line_no, std::string_view(b + pos, p - pos));
        if (p == eol || b[p] != ':') {
            bool colon = std::memchr(b + p, ':', eol - p) != nullptr;
            return fail(colon ? parse_errc::bad_header_name : parse_errc::missing_colon, line_no, name);
        }
        std::size_t vb = p + 1;
        // Extend over folded continuation lines, blanking their CRLF in place.
        while (eol + 2 < n && detail::is_ws(b[eol + 2])) {
            buf_[eol] = ' ';
            buf_[eol + 1] = ' ';
            ++line_no;
            if (auto e = line_end(eol + 2, eol); e != parse_errc{}) return fail(e, line_no, name);
        }
        if (eol - pos > opts.max_line_length) return fail(parse_errc::line_too_long, line_no, name);
        std::string_view value = detail::trim(std::string_view(b + vb, eol - vb));
        if (count >= max_headers) return fail(parse_errc::too_many_headers, line_no);
        add_field({static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(name.size())},
                  {static_cast<std::uint32_t>(value.data() - b), static_cast<std::uint32_t>(value.size())},
                  to_header_id(name));
        pos = eol + 2;
    }
    fields_.resize(count);

    // Body framing (RFC 3261 18.3, 20.14): Content-Length if present, else the rest.
    std::size_t rest = n - pos;
    std::optional<std::size_t> cl;
    for (const field& f : fields_) {
        if (f.id != header_id::content_length) continue;
        detail::scanner sc{view(f.value)};
        auto v = sc.number(0xffffffffu);
        if (!v || !sc.at_end()) return fail(parse_errc::bad_content_length, 0, view(f.name));
        if (cl && *cl != *v) conflicting_cl_ = true;
        if (!cl) cl = static_cast<std::size_t>(*v);
    }
    if (cl && !conflicting_cl_) {
        if (*cl > rest) return fail(parse_errc::body_truncated, 0, "Content-Length");
        rest = *cl;
    }
    body_ = {static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(rest)};

    if (opts.check_syntax) {
        if (auto ec = check_syntax(diag)) {
            clear();
            return ec;
        }
    }
    return {};
}

TANDEM_DECL std::error_code message::check_field(const field& f) const {
    std::string_view v = view(f.value);
    auto each = [&](parse_errc err, auto&& ok, bool allow_empty_list = false) -> std::error_code {
        if (detail::trim(v).empty()) return allow_empty_list ? std::error_code{} : make_error_code(err);
        for (std::string_view e : list_elements(v))
            if (e.empty() || !ok(e)) return err;
        return {};
    };
    auto na = [](std::string_view e) { return parse_name_addr(e).has_value(); };
    switch (f.id) {
    case header_id::via: {
        // Element by element where each stands (see `detail::parse_via_prefix`), which is what
        // splitting the list and parsing each element does, in one pass.
        detail::scanner sc{detail::trim(v)};
        if (sc.s.empty()) return parse_errc::bad_via;
        while (true) {
            via e;
            if (detail::parse_via_prefix(sc, e) != parse_errc{}) return parse_errc::bad_via;
            sc.skip_ws();
            if (sc.at_end()) return {};
            if (!sc.eat(',')) return parse_errc::bad_via;
            sc.skip_ws();
        }
    }
    case header_id::from:
    case header_id::to:
    case header_id::reply_to:
    case header_id::refer_to:
    case header_id::referred_by:
        if (auto r = parse_name_addr(v); !r) return r.error();
        return {};
    case header_id::contact:
        if (detail::trim(v) == "*") return {};
        return each(parse_errc::bad_name_addr, na);
    case header_id::route:
    case header_id::record_route:
    case header_id::path:
    case header_id::service_route:
        // route-param = name-addr *( SEMI rr-param ): the angle brackets are mandatory
        return each(parse_errc::bad_name_addr, [](std::string_view e) {
            auto r = parse_name_addr(e);
            return r && r->angle_brackets;
        });
    case header_id::p_asserted_identity:
    case header_id::p_preferred_identity: return each(parse_errc::bad_name_addr, na);
    case header_id::call_info:
    case header_id::alert_info:
    case header_id::error_info:
        return each(parse_errc::bad_header_value, [](std::string_view e) {
            auto r = parse_name_addr(e);
            return r && r->angle_brackets && r->display_name.empty();
        });
    case header_id::cseq:
        if (auto r = parse_cseq(v); !r) return r.error();
        return {};
    case header_id::call_id:
        return valid_call_id(v) ? std::error_code{} : make_error_code(parse_errc::bad_call_id);
    case header_id::in_reply_to: return each(parse_errc::bad_call_id, valid_call_id);
    case header_id::max_forwards:
        if (auto r = parse_number(v, 255, parse_errc::bad_max_forwards); !r) return r.error();
        return {};
    case header_id::expires:
    case header_id::min_expires:
        if (auto r = parse_delta_seconds(v); !r) return r.error();
        return {};
    case header_id::rseq:
        if (auto r = parse_number(v, 0xffffffffu); !r) return r.error();
        return {};
    case header_id::content_type:
        if (auto r = parse_media_type(v); !r) return r.error();
        return {};
    case header_id::accept:
        return each(
            parse_errc::bad_header_value,
            [](std::string_view e) { return parse_media_type(e, true).has_value(); }, true);
    case header_id::require:
    case header_id::proxy_require: return each(parse_errc::bad_token_list, valid_token);
    case header_id::supported:
    case header_id::unsupported:
    case header_id::allow:
    case header_id::allow_events:
    case header_id::content_encoding:
    case header_id::accept_encoding:
    case header_id::content_language: return each(parse_errc::bad_token_list, valid_token, true);
    case header_id::accept_language:
    case header_id::reason:
    case header_id::request_disposition:
        return each(parse_errc::bad_header_value, valid_token_with_params, f.id != header_id::reason);
    case header_id::event:
    case header_id::subscription_state:
    case header_id::content_disposition:
        return valid_token_with_params(v) ? std::error_code{} : make_error_code(parse_errc::bad_header_value);
    case header_id::session_expires:
    case header_id::min_se: {
        detail::scanner sc{v};
        if (!sc.number(0xffffffffu) || !detail::scan_generic_params(sc)) return parse_errc::bad_header_value;
        sc.skip_ws();
        return sc.at_end() ? std::error_code{} : make_error_code(parse_errc::bad_header_value);
    }
    case header_id::replaces: {
        detail::scanner sc{v};
        while (!sc.at_end() && sc.peek() != ';' && !detail::is_ws(sc.peek())) ++sc.pos;
        if (!valid_call_id(sc.s.substr(0, sc.pos)) || !detail::scan_generic_params(sc))
            return parse_errc::bad_header_value;
        sc.skip_ws();
        return sc.at_end() ? std::error_code{} : make_error_code(parse_errc::bad_header_value);
    }
    case header_id::rack:
        return valid_rack(v) ? std::error_code{} : make_error_code(parse_errc::bad_header_value);
    case header_id::date: return valid_date(v) ? std::error_code{} : make_error_code(parse_errc::bad_date);
    case header_id::retry_after:
        return valid_retry_after(v) ? std::error_code{} : make_error_code(parse_errc::bad_header_value);
    case header_id::warning: return each(parse_errc::bad_header_value, valid_warning);
    case header_id::timestamp:
        return valid_timestamp(v) ? std::error_code{} : make_error_code(parse_errc::bad_header_value);
    case header_id::authorization:
    case header_id::proxy_authorization:
    case header_id::www_authenticate:
    case header_id::proxy_authenticate:
    case header_id::authentication_info:
        return valid_auth(v) ? std::error_code{} : make_error_code(parse_errc::bad_auth);
    default: return {};
    }
}

TANDEM_DECL std::error_code message::check_syntax(diagnostics* diag) const {
    auto fail = [&](std::error_code ec, std::size_t line, std::string_view header = {}) {
        if (diag) {
            diag->line = line;
            diag->header.assign(header);
        }
        return ec;
    };
    if (buf_.empty()) return fail(parse_errc::empty_message, 0);
    if (request_) {
        if (bad_spacing_) return fail(parse_errc::bad_start_line, 1);
        std::string_view v = version();
        if (!detail::iequals(v, "SIP/2.0")) return fail(parse_errc::bad_version, 1);
        std::string_view u = request_uri_text();
        for (char c : u)
            if (detail::is_ws(c)) return fail(parse_errc::bad_request_uri, 1);
        if (auto r = request_uri(); !r) return fail(parse_errc::bad_request_uri, 1);
    } else {
        if (status_ < 100 || status_ > 699) return fail(parse_errc::bad_status_code, 1);
        if (!detail::iequals(version(), "SIP/2.0")) return fail(parse_errc::bad_version, 1);
        if (!detail::valid_reason_phrase(reason())) return fail(parse_errc::bad_reason_phrase, 1);
    }
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        if (auto ec = check_field(fields_[i])) return fail(ec, i + 2, view(fields_[i].name));
    }
    if (request_ && has_header(header_id::cseq)) {
        auto c = cseq();
        if (c && c->method_text != method_text()) return fail(parse_errc::cseq_method_mismatch, 0, "CSeq");
    }
    return {};
}

TANDEM_DECL void message::grow_fields(std::size_t used) {
    try {
        fields_.resize(std::max<std::size_t>({fields_.capacity(), 2 * used, 32}));
    } catch (...) {
        clear(); // no stale entry may outlive a failed assign
        throw;
    }
}

TANDEM_DECL void message::reindex() noexcept {
    first_.fill(0);
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        auto& first = first_[static_cast<std::size_t>(fields_[i].id)];
        if (!first) first = static_cast<std::uint16_t>(i + 1);
    }
}

TANDEM_DECL void message::insert_header(std::size_t index, std::string_view name, std::string_view value) {
    field f{};
    f.name = append(name);
    f.value = append(value);
    f.id = to_header_id(name);
    if (index > fields_.size()) index = fields_.size();
    fields_.insert(fields_.begin() + static_cast<std::ptrdiff_t>(index), f);
    reindex();
}

TANDEM_DECL std::size_t message::remove_headers(header_id id) {
    auto n = std::erase_if(fields_, [&](const field& f) { return f.id == id; });
    reindex();
    return n;
}

TANDEM_DECL std::size_t message::remove_headers(std::string_view name) {
    header_id id = to_header_id(name);
    if (id != header_id::other) return remove_headers(id);
    auto n = std::erase_if(fields_, [&](const field& f) {
        return f.id == header_id::other && detail::iequals(view(f.name), name);
    });
    reindex();
    return n;
}

TANDEM_DECL void message::set_header(std::string_view name, std::string_view value) {
    header_id id = to_header_id(name);
    std::size_t at = fields_.size();
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        if (fields_[i].id == id && (id != header_id::other || detail::iequals(view(fields_[i].name), name))) {
            at = i;
            break;
        }
    }
    // `at` is the first match, so removing the matches leaves it pointing at the same place.
    remove_headers(name);
    insert_header(std::min(at, fields_.size()), name, value);
}

TANDEM_DECL void message::set_request_uri(std::string_view uri) {
    if (!request_) return;
    start_[1] = append(uri);
}

TANDEM_DECL void message::set_body(std::string_view content_type, std::string_view body) {
    body_ = append(body);
    if (content_type.empty())
        remove_headers(header_id::content_type);
    else
        set_header("Content-Type", content_type);
}

TANDEM_DECL void message::serialize_to(std::string& out) const {
    if (buf_.empty()) return;
    std::size_t need = body_.len + 64;
    for (const field& f : fields_) need += f.name.len + f.value.len + 4;
    out.reserve(out.size() + need + start_[0].len + start_[1].len + start_[2].len);
    auto put = [&](span s) { out.append(view(s)); };
    put(start_[0]);
    out += ' ';
    put(start_[1]);
    out += ' ';
    put(start_[2]);
    out += "\r\n";
    char digits[24];
    auto cl = [&] {
        std::size_t v = body_.len;
        char* e = digits + sizeof digits;
        char* p = e;
        do {
            *--p = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v);
        return std::string_view(p, static_cast<std::size_t>(e - p));
    };
    bool cl_written = false;
    for (const field& f : fields_) {
        if (f.id == header_id::content_length) {
            if (cl_written) continue;
            put(f.name);
            out += ": ";
            out += cl();
            out += "\r\n";
            cl_written = true;
            continue;
        }
        put(f.name);
        out += ": ";
        put(f.value);
        out += "\r\n";
    }
    if (!cl_written) {
        out += "Content-Length: ";
        out += cl();
        out += "\r\n";
    }
    out += "\r\n";
    put(body_);
}

} // namespace tandem::message

#endif
