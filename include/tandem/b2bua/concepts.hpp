#ifndef TANDEM_B2BUA_CONCEPTS_HPP
#define TANDEM_B2BUA_CONCEPTS_HPP

/// @file What a B2BUA asks of its two customisation points: the `Policy` (where does a call
/// go?) and the `Relay` (what happens to its media?), as C++20 concepts with archetypes.

#include <tandem/b2bua/error.hpp>
#include <tandem/message/message.hpp>
#include <tandem/result.hpp>

#include <any>
#include <array>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

namespace tandem::b2bua {

/// The sides of a bridged call: A is the caller's dialog (we are its UAS), B the dialog we
/// place (we are its UAC), C the dialog a transfer handled here places (we are its UAC; it
/// takes the transferor's place beside the leg that stays, see `transfers::local`).
enum class leg { a, b, c };
/// The other of A and B.
constexpr leg other(leg l) noexcept { return l == leg::a ? leg::b : leg::a; }

/// Where a call goes (the policy's answer to an incoming INVITE).
struct route_decision {
    /// Leg B's Request-URI ("sip:+15551234@192.0.2.9:5060;transport=tcp"). Its host, port and
    /// transport parameter are the next hop.
    std::string request_uri;
    /// Leg B's From and To URIs; empty keeps the ones of leg A (the URIs only: tags, Call-ID
    /// and every address of leg A stay hidden).
    std::string from_uri;
    std::string to_uri;
    /// Display name for leg B's From ("" = none).
    std::string from_display;
    /// The next hop, when it is not the Request-URI's host (an outbound proxy or an SBC):
    /// leg B's INVITE gets it as its Route ("sip:proxy.example.com;transport=tcp"; `;lr` is
    /// added if missing). In-dialog requests then follow the route set the proxy records.
    std::string next_hop;
    /// Header lines added to leg B's INVITE as written ("P-Asserted-Identity: <sip:...>\r\n").
    std::string extra_headers;
    /// Names of leg A headers copied to leg B unchanged (e.g. "Subject", "Alert-Info").
    std::vector<std::string> copy_headers;
    /// Ring this long at most; then leg A gets 480 and leg B a CANCEL. Zero: no limit.
    std::chrono::milliseconds no_answer_timeout{0};
    /// Leg B's media choice, of a type the relay defines (e.g. which encryption leg B gets);
    /// empty: the relay's default. The relay receives it in `media_context::options`.
    std::any media;
};

/// Refuse the call with this response on leg A.
struct reject_decision {
    int status = 403;
    std::string reason; ///< "" = the standard phrase
};

/// Answer the call here, with no leg B (a test number, an announcement the relay plays, a
/// parked call): leg A gets `status`; a 2xx carries `sdp` and makes a dialog that lasts until
/// either side's BYE, in which re-INVITEs get `sdp` again and other requests 200.
struct answer_decision {
    int status = 200;
    std::string reason; ///< "" = the standard phrase
    std::string sdp;    ///< our session description ("" = none)
};

using decision = std::variant<route_decision, reject_decision, answer_decision>;

/// Per-call media figures, for CDRs: what each leg's phone sent through the relay, and what
/// it reported of its reception in RTCP (RFC 3550 6.4). All zero for a relay that carries no
/// media.
struct media_stats {
    struct leg_figures {
        std::uint64_t packets = 0; ///< RTP and RTCP packets from this leg's phone, relayed
        std::uint64_t bytes = 0;   ///< their UDP payload octets
        std::uint64_t dropped =
            0;                 ///< datagrams on the ports facing this leg refused (foreign source, garbage)
        std::int64_t lost = 0; ///< packets this phone reported lost (cumulative, last report)
        std::uint32_t jitter_ms = 0; ///< interarrival jitter this phone reported (last report)
        bool reported = false;       ///< the phone sent an RTCP report block (lost, jitter valid)
        /// How this leg's media is encrypted by the relay ("" plain or not terminated, "sdes",
        /// "dtls", "zrtp"), and for ZRTP the short authentication string its phone shows.
        std::string encryption;
        std::string sas;
    };
    std::array<leg_figures, 2> legs{}; ///< [0] leg A's phone, [1] leg B's (C's counts as its side)
};

/// What happened to a call, for CDRs and billing (the policy may observe these).
struct call_event {
    enum class kind { attempt, ringing, answered, transferred, ended };
    kind what = kind::attempt;
    std::string_view call_id_a; ///< leg A's Call-ID (the caller's view)
    int status =
        0; ///< ringing: the 18x; answered, transferred: 200; ended: the final status or 200 for a BYE
    std::string_view
        cause; ///< ended: "caller BYE", "callee BYE", "cancelled", "rejected", "timeout", "no answer"...
    /// ended: the B2BUA's own reason when it ended or refused the call itself (`b2bua_errc`:
    /// no answer, session expired, media refused...); empty when a phone did.
    std::error_code error;
    std::chrono::milliseconds setup{0};    ///< from attempt to answer (or to failure)
    std::chrono::milliseconds duration{0}; ///< answered calls: from answer to end
    media_stats media;                     ///< ended: the relay's figures for the call
};

/**
 * A routing policy: given leg A's INVITE, route it (`route_decision`) or refuse it
 * (`reject_decision`). Synchronous and pure by default; it may also have
 * `void on_event(const call_event&)` to receive call events.
 */
template <class P>
concept policy = requires(P& p, const message::message& invite) {
    { p.route(invite) } -> std::convertible_to<decision>;
};

/// What a relay is told of a call when it opens the call's media session.
struct media_context {
    std::string_view call_id;          ///< leg A's Call-ID (for logs)
    const std::any* options = nullptr; ///< `route_decision::media`: leg B's media choice (may be empty)
    std::string_view transport_a;      ///< leg A's signaling transport: "udp", "tcp", "tls"
    std::string_view transport_b;      ///< leg B's
};

/// The relay's answer when its call asks how the media is (`check`).
struct media_status {
    /// Set: the media ended the call (e.g. `media_timeout`); BYE on both legs with this reason.
    b2bua_errc end{};
    /// Ask again then (nothing: never again).
    std::optional<std::chrono::steady_clock::time_point> next;
};

/**
 * What a B2BUA does with SDP and media; the relay's type is the B2BUA's role (RFC 7092).
 *
 * - `open(ctx)` allocates what a call needs and returns its session (an error: 503);
 * - `offer(s, from, sdp)` rewrites an offer that arrived on leg `from` for the other leg
 *   (`from` is A or B: a leg a transfer placed speaks as the transferor's side);
 * - `answer(s, from, sdp)` rewrites the matching answer that arrived on leg `from`;
 *   both are called again for every re-INVITE or UPDATE offer and answer; an error means the
 *   SDP must not cross (488 for that offer, or 500 and BYE for the call's answer): the
 *   original is never passed on;
 * - `check(s, now)` says whether the media ended the call (a dead stream) and when to ask
 *   again; the call asks when answered, then when told. Later offers and answers do not make
 *   it ask sooner: `next` must allow for them (e.g. never later than one timeout ahead);
 * - `stats(s)` gives the call's media figures for its `ended` event;
 * - `close(s)` releases the session.
 */
template <class R>
concept media_relay = requires(R& r, typename R::session& s, const typename R::session& cs,
                               const media_context& ctx, leg from, std::string_view sdp,
                               std::chrono::steady_clock::time_point now) {
    typename R::session;
    { r.open(ctx) } -> std::same_as<result<typename R::session>>;
    { r.offer(s, from, sdp) } -> std::same_as<result<std::string>>;
    { r.answer(s, from, sdp) } -> std::same_as<result<std::string>>;
    { r.check(s, now) } -> std::same_as<media_status>;
    { r.stats(cs) } -> std::same_as<media_stats>;
    { r.close(s) }
    noexcept;
};

/// Signaling only (RFC 7092 3.1): SDP passes through untouched, no media is touched.
struct no_media {
    struct session {};
    result<session> open(const media_context&) { return session{}; }
    result<std::string> offer(session&, leg, std::string_view sdp) { return std::string(sdp); }
    result<std::string> answer(session&, leg, std::string_view sdp) { return std::string(sdp); }
    media_status check(session&, std::chrono::steady_clock::time_point) { return {}; }
    media_stats stats(const session&) const { return {}; }
    void close(session&) noexcept {}
};
static_assert(media_relay<no_media>);

/**
 * What a policy may add to `route()`, each optional (detected with `requires`):
 *
 * - `std::optional<route_decision> retry(const message::message& invite, int status, int attempt)`:
 *   leg B's INVITE failed with `status` (3xx-6xx) on attempt `attempt` (1, 2, ...); return
 *   another route to try it there (same leg-B dialog identity, next CSeq), or nothing to give
 *   up and send the failure to leg A. At most `max_attempts` attempts are made.
 * - `int map_status(int status)`: the final 3xx-6xx status of leg B as leg A should see it
 *   (e.g. 603 -> 486); return `status` to keep it.
 * - `bool relay_in_dialog(const message::message& request, leg from)`: whether an in-dialog
 *   request other than BYE, ACK and CANCEL goes to the other leg; refused ones get 405 with
 *   `Allow` (a method we know) or 501 (one we do not, RFC 3261 8.2.1). Without it, every such
 *   request is relayed.
 * - `void on_event(const call_event&)`: call events (CDRs).
 * - `const header_rules* header_rules_for(leg to)`: headers to strip from and add to what
 *   crosses toward leg `to` (headers.hpp); nullptr for none.
 * - `decision on_route_timeout(const message::message& invite)`: an asynchronous policy
 *   (`route_async`, see `service.hpp`) did not decide within the service's `route_timeout`:
 *   what to do instead (without it: 500).
 *
 * A member with one of these names and another signature is a compile-time error
 * (`well_formed_hooks`), not a hook silently ignored. A hook that throws does not take the
 * B2BUA down: `route()` then refuses the call with 500, the others act as if absent.
 */
struct no_policy_hooks {};

namespace detail {
// A member named like a hook: `&P::name` names something (a non-overloaded member).
template <class P>
concept names_retry = requires {
    &P::retry;
};
template <class P>
concept names_map_status = requires {
    &P::map_status;
};
template <class P>
concept names_relay_in_dialog = requires {
    &P::relay_in_dialog;
};
template <class P>
concept names_on_event = requires {
    &P::on_event;
};
template <class P>
concept names_header_rules_for = requires {
    &P::header_rules_for;
};
template <class P>
concept names_on_route_timeout = requires {
    &P::on_route_timeout;
};
} // namespace detail

struct header_rules; // headers.hpp

/**
 * True when every optional hook `P` has is callable as documented (see `no_policy_hooks`). A
 * member named like a hook with another signature would otherwise be ignored in silence;
 * `b2bua::call` and `b2bua::service` refuse such a policy at compile time.
 */
template <class P>
concept well_formed_hooks = (!detail::names_retry<P> ||
                             requires(P & p, const message::message& m, int status, int attempt) {
                                 {
                                     p.retry(m, status, attempt)
                                     } -> std::convertible_to<std::optional<route_decision>>;
                             }) &&
                            (!detail::names_map_status<P> ||
                             requires(P & p, int status) {
                                 { p.map_status(status) } -> std::convertible_to<int>;
                             }) &&
                            (!detail::names_relay_in_dialog<P> ||
                             requires(P & p, const message::message& m, leg l) {
                                 { p.relay_in_dialog(m, l) } -> std::convertible_to<bool>;
                             }) &&
                            (!detail::names_on_event<P> ||
                             requires(P & p, const call_event& e) { p.on_event(e); }) &&
                            (!detail::names_header_rules_for<P> ||
                             requires(P & p, leg l) {
                                 { p.header_rules_for(l) } -> std::convertible_to<const header_rules*>;
                             }) &&
                            (!detail::names_on_route_timeout<P> ||
                             requires(P & p, const message::message& m) {
                                 { p.on_route_timeout(m) } -> std::convertible_to<decision>;
                             });

/// What a policy decides when its asynchronous `route_async` took too long: its
/// `on_route_timeout` if it has one, else 500 (RFC 3261 21.5.1).
template <class Policy>
decision route_timed_out(Policy& p, const message::message& invite) noexcept {
    if constexpr (requires { p.on_route_timeout(invite); }) {
        try {
            return p.on_route_timeout(invite);
        } catch (...) {
        }
    }
    return reject_decision{500, "Policy Timeout"};
}

/// Asks `p` to route `invite`; a policy that throws gets the call refused with 500 (RFC 3261
/// 21.5.1), and only that call: the B2BUA and its other calls go on.
template <policy Policy>
decision route_call(Policy& p, const message::message& invite) noexcept {
    try {
        return p.route(invite);
    } catch (...) {
        return reject_decision{500, "Policy Failure"};
    }
}

/// The most leg-B INVITEs one call sends (first route plus retries).
inline constexpr int max_attempts = 5;

namespace archetypes {
/// The least a policy can be.
struct policy_archetype {
    decision route(const message::message&) { return reject_decision{}; }
};
static_assert(policy<policy_archetype>);
} // namespace archetypes

} // namespace tandem::b2bua

#endif
