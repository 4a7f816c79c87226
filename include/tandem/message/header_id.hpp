#ifndef TANDEM_MESSAGE_HEADER_ID_HPP
#define TANDEM_MESSAGE_HEADER_ID_HPP

// Written from one table of (id, name, compact form, list or not): keep the enum, to_string,
// compact_form, is_list_header and to_header_id in step when adding a header.

#include <tandem/message/detail/char_table.hpp>

#include <cstdint>
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

/// Identifies a header name, long or compact, case-insensitively.
constexpr header_id to_header_id(std::string_view n) noexcept {
    if (n.empty()) return header_id::other;
    if (n.size() == 1) {
        switch (detail::to_lower(n[0])) {
        case 'a': return header_id::accept_contact;
        case 'u': return header_id::allow_events;
        case 'i': return header_id::call_id;
        case 'm': return header_id::contact;
        case 'e': return header_id::content_encoding;
        case 'l': return header_id::content_length;
        case 'c': return header_id::content_type;
        case 'o': return header_id::event;
        case 'f': return header_id::from;
        case 'y': return header_id::identity;
        case 'r': return header_id::refer_to;
        case 'b': return header_id::referred_by;
        case 'j': return header_id::reject_contact;
        case 'd': return header_id::request_disposition;
        case 'x': return header_id::session_expires;
        case 's': return header_id::subject;
        case 'k': return header_id::supported;
        case 't': return header_id::to;
        case 'v': return header_id::via;
        default: return header_id::other;
        }
    }
    // Dispatch on length and first letter, then compare once.
    const unsigned key = static_cast<unsigned>(n.size()) << 8 | (static_cast<unsigned char>(n[0]) | 0x20u);
    switch (key) {
    case 2u << 8 | 't':
        if (detail::name_equals(n, "to")) return header_id::to;
        break;
    case 3u << 8 | 'v':
        if (detail::name_equals(n, "via")) return header_id::via;
        break;
    case 4u << 8 | 'c':
        if (detail::name_equals(n, "cseq")) return header_id::cseq;
        break;
    case 4u << 8 | 'd':
        if (detail::name_equals(n, "date")) return header_id::date;
        break;
    case 4u << 8 | 'f':
        if (detail::name_equals(n, "from")) return header_id::from;
        break;
    case 4u << 8 | 'p':
        if (detail::name_equals(n, "path")) return header_id::path;
        break;
    case 4u << 8 | 'r':
        if (detail::name_equals(n, "rack")) return header_id::rack;
        if (detail::name_equals(n, "rseq")) return header_id::rseq;
        break;
    case 5u << 8 | 'a':
        if (detail::name_equals(n, "allow")) return header_id::allow;
        break;
    case 5u << 8 | 'e':
        if (detail::name_equals(n, "event")) return header_id::event;
        break;
    case 5u << 8 | 'r':
        if (detail::name_equals(n, "route")) return header_id::route;
        break;
    case 6u << 8 | 'a':
        if (detail::name_equals(n, "accept")) return header_id::accept;
        break;
    case 6u << 8 | 'm':
        if (detail::name_equals(n, "min-se")) return header_id::min_se;
        break;
    case 6u << 8 | 'r':
        if (detail::name_equals(n, "reason")) return header_id::reason;
        break;
    case 6u << 8 | 's':
        if (detail::name_equals(n, "server")) return header_id::server;
        break;
    case 7u << 8 | 'c':
        if (detail::name_equals(n, "call-id")) return header_id::call_id;
        if (detail::name_equals(n, "contact")) return header_id::contact;
        break;
    case 7u << 8 | 'e':
        if (detail::name_equals(n, "expires")) return header_id::expires;
        break;
    case 7u << 8 | 'p':
        if (detail::name_equals(n, "privacy")) return header_id::privacy;
        break;
    case 7u << 8 | 'r':
        if (detail::name_equals(n, "require")) return header_id::require;
        break;
    case 7u << 8 | 's':
        if (detail::name_equals(n, "subject")) return header_id::subject;
        break;
    case 7u << 8 | 'w':
        if (detail::name_equals(n, "warning")) return header_id::warning;
        break;
    case 8u << 8 | 'i':
        if (detail::name_equals(n, "identity")) return header_id::identity;
        break;
    case 8u << 8 | 'p':
        if (detail::name_equals(n, "priority")) return header_id::priority;
        break;
    case 8u << 8 | 'r':
        if (detail::name_equals(n, "refer-to")) return header_id::refer_to;
        if (detail::name_equals(n, "replaces")) return header_id::replaces;
        if (detail::name_equals(n, "reply-to")) return header_id::reply_to;
        break;
    case 8u << 8 | 's':
        if (detail::name_equals(n, "sip-etag")) return header_id::sip_etag;
        break;
    case 9u << 8 | 'c':
        if (detail::name_equals(n, "call-info")) return header_id::call_info;
        break;
    case 9u << 8 | 'r':
        if (detail::name_equals(n, "refer-sub")) return header_id::refer_sub;
        break;
    case 9u << 8 | 's':
        if (detail::name_equals(n, "supported")) return header_id::supported;
        break;
    case 9u << 8 | 't':
        if (detail::name_equals(n, "timestamp")) return header_id::timestamp;
        break;
    case 10u << 8 | 'a':
        if (detail::name_equals(n, "alert-info")) return header_id::alert_info;
        break;
    case 10u << 8 | 'e':
        if (detail::name_equals(n, "error-info")) return header_id::error_info;
        break;
    case 10u << 8 | 'u':
        if (detail::name_equals(n, "user-agent")) return header_id::user_agent;
        break;
    case 11u << 8 | 'i':
        if (detail::name_equals(n, "in-reply-to")) return header_id::in_reply_to;
        break;
    case 11u << 8 | 'm':
        if (detail::name_equals(n, "min-expires")) return header_id::min_expires;
        break;
    case 11u << 8 | 'r':
        if (detail::name_equals(n, "referred-by")) return header_id::referred_by;
        if (detail::name_equals(n, "retry-after")) return header_id::retry_after;
        break;
    case 11u << 8 | 'u':
        if (detail::name_equals(n, "unsupported")) return header_id::unsupported;
        break;
    case 12u << 8 | 'a':
        if (detail::name_equals(n, "allow-events")) return header_id::allow_events;
        break;
    case 12u << 8 | 'c':
        if (detail::name_equals(n, "content-type")) return header_id::content_type;
        break;
    case 12u << 8 | 'm':
        if (detail::name_equals(n, "max-forwards")) return header_id::max_forwards;
        if (detail::name_equals(n, "mime-version")) return header_id::mime_version;
        break;
    case 12u << 8 | 'o':
        if (detail::name_equals(n, "organization")) return header_id::organization;
        break;
    case 12u << 8 | 'r':
        if (detail::name_equals(n, "record-route")) return header_id::record_route;
        break;
    case 12u << 8 | 's':
        if (detail::name_equals(n, "sip-if-match")) return header_id::sip_if_match;
        break;
    case 13u << 8 | 'a':
        if (detail::name_equals(n, "authorization")) return header_id::authorization;
        break;
    case 13u << 8 | 'p':
        if (detail::name_equals(n, "proxy-require")) return header_id::proxy_require;
        break;
    case 13u << 8 | 's':
        if (detail::name_equals(n, "service-route")) return header_id::service_route;
        break;
    case 14u << 8 | 'a':
        if (detail::name_equals(n, "accept-contact")) return header_id::accept_contact;
        break;
    case 14u << 8 | 'c':
        if (detail::name_equals(n, "content-length")) return header_id::content_length;
        break;
    case 14u << 8 | 'r':
        if (detail::name_equals(n, "reject-contact")) return header_id::reject_contact;
        break;
    case 15u << 8 | 'a':
        if (detail::name_equals(n, "accept-encoding")) return header_id::accept_encoding;
        if (detail::name_equals(n, "accept-language")) return header_id::accept_language;
        break;
    case 15u << 8 | 's':
        if (detail::name_equals(n, "session-expires")) return header_id::session_expires;
        break;
    case 16u << 8 | 'c':
        if (detail::name_equals(n, "content-encoding")) return header_id::content_encoding;
        if (detail::name_equals(n, "content-language")) return header_id::content_language;
        break;
    case 16u << 8 | 'w':
        if (detail::name_equals(n, "www-authenticate")) return header_id::www_authenticate;
        break;
    case 18u << 8 | 'p':
        if (detail::name_equals(n, "proxy-authenticate")) return header_id::proxy_authenticate;
        break;
    case 18u << 8 | 's':
        if (detail::name_equals(n, "subscription-state")) return header_id::subscription_state;
        break;
    case 19u << 8 | 'a':
        if (detail::name_equals(n, "authentication-info")) return header_id::authentication_info;
        break;
    case 19u << 8 | 'c':
        if (detail::name_equals(n, "content-disposition")) return header_id::content_disposition;
        break;
    case 19u << 8 | 'p':
        if (detail::name_equals(n, "p-asserted-identity")) return header_id::p_asserted_identity;
        if (detail::name_equals(n, "proxy-authorization")) return header_id::proxy_authorization;
        break;
    case 19u << 8 | 'r':
        if (detail::name_equals(n, "request-disposition")) return header_id::request_disposition;
        break;
    case 20u << 8 | 'p':
        if (detail::name_equals(n, "p-preferred-identity")) return header_id::p_preferred_identity;
        break;
    default: break;
    }
    return header_id::other;
}

} // namespace tandem::message

#endif
