#ifndef TANDEM_MESSAGE_HEADER_ID_HPP
#define TANDEM_MESSAGE_HEADER_ID_HPP

// Written from one table of (id, name, compact form, list or not): keep the enum, to_string,
// compact_form, is_list_header and to_header_id in step when adding a header.

#include <tandem/message/detail/char_table.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tandem::message {

/**
 * The header fields Tandem knows by name. Names are case-insensitive and each has at most one
 * compact form (RFC 3261 7.3.3 and 20; RFC 3515, 3841, 3892, 4028, 4474, 6665 for the others).
 * Any other name is `header_id::other`; its text stays available.
 */
enum class header_id : std::uint8_t {
    other,
    accept,
    accept_encoding,
    accept_language,
    accept_contact,
    alert_info,
    allow,
    allow_events,
    authentication_info,
    authorization,
    call_id,
    call_info,
    contact,
    content_disposition,
    content_encoding,
    content_language,
    content_length,
    content_type,
    cseq,
    date,
    error_info,
    event,
    expires,
    from,
    identity,
    in_reply_to,
    max_forwards,
    mime_version,
    min_expires,
    min_se,
    organization,
    p_asserted_identity,
    p_preferred_identity,
    path,
    priority,
    privacy,
    proxy_authenticate,
    proxy_authorization,
    proxy_require,
    rack,
    reason,
    record_route,
    refer_sub,
    refer_to,
    referred_by,
    reject_contact,
    replaces,
    reply_to,
    request_disposition,
    require,
    retry_after,
    route,
    rseq,
    server,
    service_route,
    session_expires,
    sip_etag,
    sip_if_match,
    subject,
    subscription_state,
    supported,
    timestamp,
    to,
    unsupported,
    user_agent,
    via,
    warning,
    www_authenticate,
};

/// Number of `header_id` values, `other` included.
inline constexpr std::size_t header_id_count = 68;

/// The canonical (long) name of a header, "" for `other`.
constexpr std::string_view to_string(header_id h) noexcept {
    switch (h) {
    case header_id::accept: return "Accept";
    case header_id::accept_encoding: return "Accept-Encoding";
    case header_id::accept_language: return "Accept-Language";
    case header_id::accept_contact: return "Accept-Contact";
    case header_id::alert_info: return "Alert-Info";
    case header_id::allow: return "Allow";
    case header_id::allow_events: return "Allow-Events";
    case header_id::authentication_info: return "Authentication-Info";
    case header_id::authorization: return "Authorization";
    case header_id::call_id: return "Call-ID";
    case header_id::call_info: return "Call-Info";
    case header_id::contact: return "Contact";
    case header_id::content_disposition: return "Content-Disposition";
    case header_id::content_encoding: return "Content-Encoding";
    case header_id::content_language: return "Content-Language";
    case header_id::content_length: return "Content-Length";
    case header_id::content_type: return "Content-Type";
    case header_id::cseq: return "CSeq";
    case header_id::date: return "Date";
    case header_id::error_info: return "Error-Info";
    case header_id::event: return "Event";
    case header_id::expires: return "Expires";
    case header_id::from: return "From";
    case header_id::identity: return "Identity";
    case header_id::in_reply_to: return "In-Reply-To";
    case header_id::max_forwards: return "Max-Forwards";
    case header_id::mime_version: return "MIME-Version";
    case header_id::min_expires: return "Min-Expires";
    case header_id::min_se: return "Min-SE";
    case header_id::organization: return "Organization";
    case header_id::p_asserted_identity: return "P-Asserted-Identity";
    case header_id::p_preferred_identity: return "P-Preferred-Identity";
    case header_id::path: return "Path";
    case header_id::priority: return "Priority";
    case header_id::privacy: return "Privacy";
    case header_id::proxy_authenticate: return "Proxy-Authenticate";
    case header_id::proxy_authorization: return "Proxy-Authorization";
    case header_id::proxy_require: return "Proxy-Require";
    case header_id::rack: return "RAck";
    case header_id::reason: return "Reason";
    case header_id::record_route: return "Record-Route";
    case header_id::refer_sub: return "Refer-Sub";
    case header_id::refer_to: return "Refer-To";
    case header_id::referred_by: return "Referred-By";
    case header_id::reject_contact: return "Reject-Contact";
    case header_id::replaces: return "Replaces";
    case header_id::reply_to: return "Reply-To";
    case header_id::request_disposition: return "Request-Disposition";
    case header_id::require: return "Require";
    case header_id::retry_after: return "Retry-After";
    case header_id::route: return "Route";
    case header_id::rseq: return "RSeq";
    case header_id::server: return "Server";
    case header_id::service_route: return "Service-Route";
    case header_id::session_expires: return "Session-Expires";
    case header_id::sip_etag: return "SIP-ETag";
    case header_id::sip_if_match: return "SIP-If-Match";
    case header_id::subject: return "Subject";
    case header_id::subscription_state: return "Subscription-State";
    case header_id::supported: return "Supported";
    case header_id::timestamp: return "Timestamp";
    case header_id::to: return "To";
    case header_id::unsupported: return "Unsupported";
    case header_id::user_agent: return "User-Agent";
    case header_id::via: return "Via";
    case header_id::warning: return "Warning";
    case header_id::www_authenticate: return "WWW-Authenticate";
    case header_id::other: break;
    }
    return {};
}

/// The compact form of a header name (RFC 3261 7.3.3), or '\0'.
constexpr char compact_form(header_id h) noexcept {
    switch (h) {
    case header_id::accept_contact: return 'a';
    case header_id::allow_events: return 'u';
    case header_id::call_id: return 'i';
    case header_id::contact: return 'm';
    case header_id::content_encoding: return 'e';
    case header_id::content_length: return 'l';
    case header_id::content_type: return 'c';
    case header_id::event: return 'o';
    case header_id::from: return 'f';
    case header_id::identity: return 'y';
    case header_id::refer_to: return 'r';
    case header_id::referred_by: return 'b';
    case header_id::reject_contact: return 'j';
    case header_id::request_disposition: return 'd';
    case header_id::session_expires: return 'x';
    case header_id::subject: return 's';
    case header_id::supported: return 'k';
    case header_id::to: return 't';
    case header_id::via: return 'v';
    default: return '\0';
    }
}

/**
 * True for headers whose value is a comma-separated list that may also be split over several
 * header fields (RFC 3261 7.3.1). The others (Authorization, Date, ...) must never be split on
 * commas.
 */
constexpr bool is_list_header(header_id h) noexcept {
    switch (h) {
    case header_id::accept:
    case header_id::accept_encoding:
    case header_id::accept_language:
    case header_id::accept_contact:
    case header_id::alert_info:
    case header_id::allow:
    case header_id::allow_events:
    case header_id::call_info:
    case header_id::contact:
    case header_id::content_encoding:
    case header_id::content_language:
    case header_id::error_info:
    case header_id::in_reply_to:
    case header_id::p_asserted_identity:
    case header_id::p_preferred_identity:
    case header_id::path:
    case header_id::proxy_require:
    case header_id::reason:
    case header_id::record_route:
    case header_id::reject_contact:
    case header_id::request_disposition:
    case header_id::require:
    case header_id::route:
    case header_id::service_route:
    case header_id::supported:
    case header_id::unsupported:
    case header_id::via:
    case header_id::warning: return true;
    default: return false;
    }
}

namespace detail {

// Header names are found with one table lookup keyed on (length, first letter), then one
// comparison: `header_name_table` holds, per key, the (at most three) ids whose long name
// has that length and first letter. The key uses the low five bits of the first octet, so
// a non-letter can land in a letter's bucket; the full comparison then refuses it.
inline constexpr std::size_t header_name_max = 20; // "p-preferred-identity"
inline constexpr std::size_t header_name_slots = 3;

constexpr std::size_t header_name_key(std::size_t len, char first) noexcept {
    return len * 32 + (static_cast<unsigned char>(first) & 31u);
}

consteval std::array<std::array<header_id, header_name_slots>, (header_name_max + 1) * 32>
make_header_name_table() {
    std::array<std::array<header_id, header_name_slots>, (header_name_max + 1) * 32> t{};
    for (std::size_t i = 1; i < header_id_count; ++i) {
        auto id = static_cast<header_id>(i);
        std::string_view n = to_string(id);
        auto& slots = t[header_name_key(n.size(), n[0])];
        std::size_t k = 0;
        while (slots[k] != header_id::other) ++k; // a fourth name in one bucket fails to compile
        slots[k] = id;
    }
    return t;
}

inline constexpr auto header_name_table = make_header_name_table();

/// Id of a compact form by its lower-cased letter minus 'a' (RFC 3261 7.3.3).
consteval std::array<header_id, 26> make_compact_table() {
    std::array<header_id, 26> t{};
    for (std::size_t i = 1; i < header_id_count; ++i) {
        auto id = static_cast<header_id>(i);
        if (char c = compact_form(id)) t[static_cast<std::size_t>(c - 'a')] = id;
    }
    return t;
}

inline constexpr auto compact_table = make_compact_table();

/// The long names lower-cased and zero-padded to 24 octets, as three little-endian words,
/// for comparisons eight octets at a time.
consteval std::array<std::array<std::uint64_t, 3>, header_id_count> make_header_name_words() {
    std::array<std::array<std::uint64_t, 3>, header_id_count> t{};
    for (std::size_t i = 1; i < header_id_count; ++i) {
        std::string_view n = to_string(static_cast<header_id>(i));
        for (std::size_t k = 0; k < n.size(); ++k) {
            auto c = static_cast<std::uint64_t>(static_cast<unsigned char>(to_lower(n[k])));
            t[i][k / 8] |= c << (8 * (k % 8));
        }
    }
    return t;
}

inline constexpr auto header_name_words = make_header_name_words();

inline std::uint64_t load_le64(const char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/**
 * `to_header_id` for a name that is known to be a token, reading eight octets at a time:
 * the caller guarantees that `p[0, (len + 7) / 8 * 8)` is readable. ORing 0x20 lower-cases
 * letters and changes no other token octet into a letter or '-' (see `name_equals`).
 */
inline header_id lookup_token_header_name(const char* p, std::size_t len) noexcept {
    if (len == 1) {
        auto c = static_cast<unsigned>(static_cast<unsigned char>(p[0]) | 0x20u) - 'a';
        return c < 26 ? compact_table[c] : header_id::other;
    }
    if (len > header_name_max) return header_id::other;
    const auto& slots = header_name_table[header_name_key(len, p[0])];
    constexpr std::uint64_t lower = 0x2020202020202020ull;
    const std::size_t words = (len + 7) / 8;
    const std::uint64_t last_mask = ~std::uint64_t{0} >> (8 * (words * 8 - len));
    for (header_id id : slots) {
        if (id == header_id::other) break;
        // every name in the bucket has length `len`
        const auto& w = header_name_words[static_cast<std::size_t>(id)];
        bool eq = ((load_le64(p + 8 * (words - 1)) | lower) & last_mask) == w[words - 1];
        for (std::size_t k = 0; k + 1 < words; ++k) eq &= (load_le64(p + 8 * k) | lower) == w[k];
        if (eq) return id;
    }
    return header_id::other;
}

} // namespace detail

/// Identifies a header name, long or compact, case-insensitively.
constexpr header_id to_header_id(std::string_view n) noexcept {
    if (n.empty()) return header_id::other;
    if (n.size() == 1) {
        auto c = static_cast<unsigned>(static_cast<unsigned char>(detail::to_lower(n[0]))) - 'a';
        return c < 26 ? detail::compact_table[c] : header_id::other;
    }
    if (n.size() > detail::header_name_max) return header_id::other;
    for (header_id id : detail::header_name_table[detail::header_name_key(n.size(), n[0])]) {
        if (id == header_id::other) break;
        // the comparison of `name_equals`, against the lower-cased name
        std::string_view want = to_string(id);
        bool eq = true;
        for (std::size_t i = 0; i < n.size(); ++i)
            eq &= (static_cast<unsigned char>(n[i]) | 0x20u) ==
                  static_cast<unsigned char>(detail::to_lower(want[i]));
        if (eq) return id;
    }
    return header_id::other;
}

} // namespace tandem::message

#endif
