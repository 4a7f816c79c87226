#ifndef TANDEM_B2BUA_HEADERS_HPP
#define TANDEM_B2BUA_HEADERS_HPP

/// @file Which header fields of a message cross the B2BUA to the other leg, and how leg A's
/// identities (From, To) are shown on leg B without its addresses.

#include <tandem/b2bua/concepts.hpp>
#include <tandem/message/message.hpp>
#include <tandem/message/uri.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace tandem::b2bua {

/**
 * The header fields of a relayed in-dialog request or response that stay on their own leg.
 *
 * Everything about the path or the dialog is the B2BUA's own on each leg (RFC 7092 3,
 * RFC 3261 16.6 does the same for a proxy's path): Via, Route, Record-Route, Contact, Call-ID,
 * From, To, CSeq, Max-Forwards, and the framing (Content-Length; Content-Type goes with the
 * body). Credentials and challenges are for the hop that asked (RFC 3261 22: a digest is
 * never offered to whoever challenges), Warning names the host that wrote it, and RSeq/RAck
 * number one leg's reliable provisional responses. With `local_timers` (each leg negotiates
 * its own session timer, RFC 4028) Session-Expires and Min-SE stay too.
 *
 * Everything else crosses: Event, Subscription-State, Refer-To, Referred-By, Replaces,
 * Reason, Allow, Allow-Events, Supported, Require, Accept*, Retry-After, Server, User-Agent,
 * extension headers, ...
 */
constexpr bool stays_on_leg(message::header_id id, bool local_timers) noexcept {
    using message::header_id;
    switch (id) {
    case header_id::via:
    case header_id::route:
    case header_id::record_route:
    case header_id::contact:
    case header_id::call_id:
    case header_id::from:
    case header_id::to:
    case header_id::cseq:
    case header_id::max_forwards:
    case header_id::content_length:
    case header_id::content_type:
    case header_id::content_encoding:
    case header_id::content_disposition:
    case header_id::authorization:
    case header_id::proxy_authorization:
    case header_id::www_authenticate:
    case header_id::proxy_authenticate:
    case header_id::authentication_info:
    case header_id::warning:
    case header_id::rseq:
    case header_id::rack:
    case header_id::path:
    case header_id::service_route: return true;
    case header_id::session_expires:
    case header_id::min_se: return local_timers;
    default: return false;
    }
}

/// What the policy changes on the messages that cross toward one leg (see `policy_hooks`):
/// header names removed (case-insensitive; compact forms match their long names) and lines
/// added as written ("X-Billing: 42\r\n").
struct header_rules {
    std::vector<std::string> strip;
    std::string add;
};

namespace detail {

inline bool same_header(std::string_view a, std::string_view b) noexcept {
    auto ia = message::to_header_id(a);
    if (ia != message::header_id::other) return ia == message::to_header_id(b);
    return message::detail::iequals(a, b);
}

/// The header lines of `m` that cross to the other leg ("Name: value\r\n" each), less those
/// `rules` strip, plus those it adds. Option tags of extensions that each leg negotiates on its
/// own are left out of Supported and Require: "100rel" (reliable provisional responses are
/// numbered per leg) and, with `local_timers`, "timer".
inline std::string crossing_headers(const message::message& m, bool local_timers, const header_rules* rules) {
    std::string out;
    for (message::header_field f : m.headers()) {
        if (stays_on_leg(f.id, local_timers)) continue;
        if (rules) {
            bool stripped = false;
            for (const std::string& name : rules->strip) stripped = stripped || same_header(f.name, name);
            if (stripped) continue;
        }
        if (f.id == message::header_id::supported || f.id == message::header_id::require) {
            std::string kept;
            for (std::string_view tag : message::list_elements(f.value)) {
                tag = message::detail::trim(tag);
                if (message::detail::iequals(tag, "100rel")) continue;
                if (local_timers && message::detail::iequals(tag, "timer")) continue;
                if (!kept.empty()) kept += ", ";
                kept += tag;
            }
            if (!kept.empty()) out.append(f.name).append(": ").append(kept).append("\r\n");
            continue;
        }
        out.append(f.name).append(": ").append(f.value).append("\r\n");
    }
    if (rules) out += rules->add;
    return out;
}

/// `uri` as leg B sees it: a SIP or SIPS URI keeps its scheme and user part and gets `host`
/// (the B2BUA's own address) as host; URI parameters and headers name leg A's network and
/// go. Other URIs (tel:, urn:...) name no host and are kept as they are.
inline std::string hide_host(std::string_view uri, std::string_view host) {
    auto u = message::parse_uri(uri);
    if (!u || (u->scheme != message::uri_scheme::sip && u->scheme != message::uri_scheme::sips))
        return std::string(uri);
    std::string out(u->scheme_text);
    out += ':';
    if (u->has_user) out.append(u->user).append("@");
    out += host;
    // user=phone says how to read the user part: it is not topology
    for (const auto& p : u->params)
        if (message::detail::iequals(p.name, "user")) out.append(";user=").append(p.value);
    return out;
}

/// The host[:port] part of a SIP URI ("sip:b2bua@192.0.2.1:5060" -> "192.0.2.1:5060").
inline std::string host_of(std::string_view uri) {
    auto u = message::parse_uri(uri);
    if (!u) return {};
    std::string h(u->host);
    if (u->has_port) h += ":" + std::to_string(u->port);
    return h;
}

} // namespace detail
} // namespace tandem::b2bua

#endif
