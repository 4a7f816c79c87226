#ifndef TANDEM_MESSAGE_VALIDATE_HPP
#define TANDEM_MESSAGE_VALIDATE_HPP

/// @file Request validation (RFC 3261 8.2 and 16.3): which response, if any, a UAS, a proxy
/// or a B2BUA must send before it processes a request.

#include <tandem/message/message.hpp>
#include <tandem/message/status.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tandem::message {

inline constexpr std::string_view default_extensions[] = {"100rel",   "timer", "replaces",  "path",
                                                          "outbound", "gruu",  "norefersub"};
inline constexpr std::string_view default_content_types[] = {
    "application/sdp",   "multipart/mixed", "multipart/alternative",
    "multipart/related", "text/plain",      "message/sipfrag"};
inline constexpr std::string_view default_uri_schemes[] = {"sip", "sips", "tel"};

/// A set of methods, as a bit per `method_id`.
class method_set {
public:
    constexpr method_set() = default;
    constexpr method_set(std::initializer_list<method_id> ms) noexcept {
        for (method_id m : ms) insert(m);
    }
    constexpr void insert(method_id m) noexcept { bits_ |= 1u << static_cast<unsigned>(m); }
    constexpr bool contains(method_id m) const noexcept { return (bits_ >> static_cast<unsigned>(m)) & 1u; }
    /// Every method Tandem knows by name.
    static constexpr method_set all_known() noexcept {
        method_set s;
        for (unsigned m = 1; m <= static_cast<unsigned>(method_id::update); ++m)
            s.insert(static_cast<method_id>(m));
        return s;
    }

private:
    std::uint32_t bits_ = 0;
};

/**
 * What the element supports. The defaults describe a UAS and registrar without
 * authentication that knows every method, the option tags in `default_extensions` and the
 * bodies in `default_content_types`.
 */
struct validation_options {
    method_set allowed_methods = method_set::all_known();
    std::span<const std::string_view> supported_extensions = default_extensions;
    /// Bodies accepted (else 415 with Accept); media ranges allowed: a B2BUA that relays
    /// in-dialog bodies it need not understand (INFO with application/dtmf-relay) takes "*/*".
    std::span<const std::string_view> accepted_content_types = default_content_types;
    std::span<const std::string_view> uri_schemes = default_uri_schemes;
    /// The element forwards the request (proxy, B2BUA leg): Max-Forwards 0 gets 483
    /// (RFC 3261 16.3 item 2, RFC 7332).
    bool forwarding = false;
    /// The element is a registrar: a REGISTER whose To is not a SIP or SIPS URI gets 400
    /// (RFC 3261 10.3, RFC 4475 3.3.4).
    bool registrar = true;
    /// Messages larger than this get 513 (RFC 3261 18.1.1, 21.5.14); parse with a larger
    /// `parse_options::max_message_size` to be able to answer them.
    std::size_t max_message_size = 65536;
};

/// The response a request must get instead of being processed.
struct rejection {
    int status = 0;
    std::string_view reason; ///< the standard reason phrase of `status`
    std::error_code cause;   ///< what was wrong, for logs (a `parse_errc`, may be empty)
    std::string_view
        header_name;          ///< a header the response must carry ("Unsupported", "Allow", "Accept"), or ""
    std::string header_value; ///< its value
};

namespace detail {
inline rejection reject(int status, std::error_code cause = {}) {
    rejection r;
    r.status = status;
    r.reason = reason_phrase(status);
    r.cause = cause;
    return r;
}
inline std::string join(std::span<const std::string_view> items) {
    std::string s;
    for (auto i : items) {
        if (!s.empty()) s += ", ";
        s += i;
    }
    return s;
}
} // namespace detail

/**
 * Checks a request the way RFC 3261 8.2 (UAS) and 16.3 (proxy) order it, and returns the
 * response to send, or nullopt when the request may be processed. `m` may have been parsed
 * with `check_syntax = false`: the syntax is checked here and a syntax error becomes 400.
 *
 * Order: 513 (size), 505 (version), 400 (syntax, missing or repeated mandatory fields,
 * conflicting Content-Length, empty branch), 501 / 405 (method), 400 (CSeq method), 416 (URI
 * scheme), 483 (Max-Forwards, when forwarding), 420 (Require), 400 (registrar To), 415
 * (Content-Type / Content-Encoding), 406 (Accept without SDP on an INVITE).
 */
TANDEM_DECL std::optional<rejection> validate_request(const message& m, const validation_options& opts = {}) {
    using detail::reject;
    if (!m.is_request()) return std::nullopt;
    if (m.wire_size() > opts.max_message_size) return reject(513, parse_errc::message_too_large);
    // RFC 3261 8.2.? / 21.5.20: a SIP version we do not speak.
    if (!detail::iequals(m.version(), "SIP/2.0")) return reject(505, parse_errc::bad_version);
    // Syntax, with the CSeq method check kept for after the method checks (RFC 4475 3.1.2.18
    // prefers 501 for an unknown method whatever the CSeq says).
    std::error_code syntax = m.check_syntax();
    if (syntax && syntax != parse_errc::cseq_method_mismatch) return reject(400, syntax);
    // RFC 3261 8.1.1: the mandatory fields, each once (7.3.1: single-value fields).
    for (header_id h : {header_id::to, header_id::from, header_id::call_id, header_id::cseq, header_id::via})
        if (!m.has_header(h)) return reject(400, parse_errc::missing_header);
    for (header_id h : {header_id::to, header_id::from, header_id::call_id, header_id::cseq,
                        header_id::max_forwards, header_id::content_type})
        if (m.count(h) > 1) return reject(400, parse_errc::multiple_values);
    if (m.conflicting_content_length()) return reject(400, parse_errc::conflicting_content_length);
    // RFC 4475 3.2.1: a branch that is only the magic cookie identifies no transaction.
    if (auto v = m.top_via(); !v || v->branch() == "z9hG4bK") return reject(400, parse_errc::bad_via);
    // RFC 3261 8.2.1: methods.
    if (m.method() == method_id::unknown) {
        auto r = reject(501, parse_errc::bad_method);
        return r;
    }
    if (!opts.allowed_methods.contains(m.method())) {
        auto r = reject(405);
        r.header_name = "Allow";
        for (unsigned i = 1; i <= static_cast<unsigned>(method_id::update); ++i) {
            auto id = static_cast<method_id>(i);
            if (!opts.allowed_methods.contains(id)) continue;
            if (!r.header_value.empty()) r.header_value += ", ";
            r.header_value += to_string(id);
        }
        return r;
    }
    if (syntax) return reject(400, syntax); // CSeq method mismatch
    // RFC 3261 8.2.2.1: the Request-URI scheme.
    auto ruri = m.request_uri();
    if (!ruri) return reject(400, ruri.error());
    bool scheme_ok = false;
    for (auto s : opts.uri_schemes) scheme_ok |= detail::iequals(ruri->scheme_text, s);
    if (!scheme_ok) return reject(416);
    // RFC 3261 16.3 item 2 / RFC 7332: loops.
    if (opts.forwarding) {
        auto mf = m.max_forwards();
        if (mf && *mf == 0) return reject(483);
    }
    // RFC 3261 8.2.2.3: Require (not applied to ACK and CANCEL).
    if (m.method() != method_id::ack && m.method() != method_id::cancel && m.has_header(header_id::require)) {
        rejection r = reject(420);
        m.for_each_element(header_id::require, [&](std::string_view tag) {
            bool known = false;
            for (auto s : opts.supported_extensions) known |= detail::iequals(s, tag);
            if (!known) {
                if (!r.header_value.empty()) r.header_value += ", ";
                r.header_value += tag;
            }
            return true;
        });
        if (!r.header_value.empty()) {
            r.header_name = "Unsupported";
            return r;
        }
    }
    // RFC 3261 10.3 step 3 (and RFC 4475 3.3.4): a binding needs a SIP or SIPS address-of-record.
    if (opts.registrar && m.method() == method_id::register_) {
        auto to = m.to();
        auto u = to ? to->uri() : result<uri>{parse_errc::bad_uri};
        if (!u || (u->scheme != uri_scheme::sip && u->scheme != uri_scheme::sips))
            return reject(400, parse_errc::bad_uri);
    }
    // RFC 3261 8.2.3: bodies we cannot read.
    if (!m.body().empty() && m.has_header(header_id::content_type)) {
        auto ct = m.content_type();
        bool ok = false;
        for (auto t : opts.accepted_content_types) {
            // media ranges as in Accept: "*/*" takes any body, "text/*" any text
            auto slash = t.find('/');
            std::string_view type = t.substr(0, slash), sub = t.substr(slash + 1);
            ok |= ct && (type == "*" || detail::iequals(ct->type, type)) &&
                  (sub == "*" || detail::iequals(ct->subtype, sub));
        }
        if (!ok) {
            rejection r = reject(415);
            r.header_name = "Accept";
            r.header_value = detail::join(opts.accepted_content_types);
            return r;
        }
    }
    if (!m.body().empty() && m.has_header(header_id::content_encoding)) {
        bool ok = true;
        m.for_each_element(header_id::content_encoding, [&](std::string_view e) {
            ok &= detail::iequals(e, "identity");
            return true;
        });
        if (!ok) {
            rejection r = reject(415);
            r.header_name = "Accept-Encoding";
            r.header_value = "identity";
            return r;
        }
    }
    // RFC 3261 21.4.7 / RFC 4475 3.3.15: an INVITE whose Accept excludes SDP cannot be answered.
    if (m.method() == method_id::invite && m.has_header(header_id::accept)) {
        bool sdp = false;
        bool any = false;
        m.for_each_element(header_id::accept, [&](std::string_view e) {
            any = true;
            auto mt = parse_media_type(e, true);
            if (mt && (detail::iequals(mt->type, "*") ||
                       (detail::iequals(mt->type, "application") &&
                        (mt->subtype == "*" || detail::iequals(mt->subtype, "sdp")))))
                sdp = true;
            return true;
        });
        // An empty Accept means that no format is acceptable (RFC 3261 20.1).
        if ((any || detail::trim(m.header(header_id::accept)).empty()) && !sdp) {
            rejection r = reject(406);
            r.header_name = "Accept";
            r.header_value = "application/sdp";
            return r;
        }
    }
    return std::nullopt;
}

/**
 * True when a response to `req` can be routed back (RFC 3261 18.2.2): its top Via names a
 * sent-protocol and a sent-by, even if the Via's parameters are malformed (RFC 4475 3.1.2.1
 * still wants a 400 for such a request). Without this, a request can only be dropped.
 */
TANDEM_DECL bool can_respond(const message& req) noexcept {
    if (!req.is_request() || !req.has_header(header_id::via)) return false;
    list_elements l(req.header(header_id::via));
    auto it = l.begin();
    if (it == l.end()) return false;
    std::string_view top = *it;
    return parse_via(top.substr(0, top.find(';'))).has_value();
}

/// The `extra` header lines a rejection's response carries ("Unsupported: foo\r\n"), for
/// `make_response_text`.
inline std::string extra_headers(const rejection& r) {
    if (r.header_name.empty()) return {};
    std::string s;
    s.append(r.header_name).append(": ").append(r.header_value).append("\r\n");
    return s;
}

} // namespace tandem::message

#endif
