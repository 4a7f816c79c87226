#ifndef TANDEM_B2BUA_CALL_HPP
#define TANDEM_B2BUA_CALL_HPP

/// @file One bridged call: leg A (we are its UAS) and leg B (we are its UAC), sans I/O.
///
/// Contract (as for the transaction layer): after each input drain `poll()`, then wait for
/// `next_deadline()` and call `on_time(now)`. The call never reads a clock and sends nothing
/// itself: it returns actions that a driver (`b2bua::service`) carries out on a `net::stack`.

#include <tandem/b2bua/concepts.hpp>
#include <tandem/b2bua/headers.hpp>
#include <tandem/dialog/invite_session.hpp>
#include <tandem/message/message.hpp>
#include <tandem/message/multipart.hpp>
#include <tandem/message/serializer.hpp>
#include <tandem/sdp/offer_answer.hpp>
#include <tandem/transaction/timers.hpp>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tandem::b2bua {

using transaction::time_point;

/// Who we are on one leg: its Call-ID and our tag (both new for leg B), and our Contact URI.
using leg_identity = dialog::session_identity;

/// How a B2BUA treats session timers (RFC 4028).
enum class session_timers {
    /// Each leg negotiates its own with us (`call_config::session_timer`); we refresh where we
    /// are the refresher. A phone that vanishes is noticed even when neither asked for timers.
    local,
    /// The phones negotiate end to end: Session-Expires, Min-SE and the "timer" option tag
    /// cross, their refreshes are relayed, and we only watch: a session not refreshed within
    /// the interval a 2xx announced ends with BYE on both legs.
    relay,
    /// None: the headers cross as any others and nothing is watched.
    off,
};

/// How a B2BUA treats REFER (RFC 3515) in an answered call.
enum class transfers {
    /// The REFER crosses to the other leg with its NOTIFYs: the phones transfer end to end.
    relay,
    /// We are the transferee (a blind transfer handled here): 202 to the REFER, then a new leg
    /// (C) to the Refer-To target, offer-less, whose offer goes to the leg that stays in a
    /// re-INVITE and whose answer comes back in our ACK (RFC 3725 flow I); the leg that stays
    /// is then bridged to leg C. The transferor hears how it goes in NOTIFYs with a
    /// message/sipfrag body (100, 180, then the final status) and gets our BYE 32 s after
    /// success if it has not hung up by then. A Replaces in the Refer-To (attended transfer,
    /// RFC 3891) goes into leg C's INVITE.
    local,
    /// REFER gets 603 Decline.
    refuse,
};

/// How a call runs, beyond its identities.
struct call_config {
    /// How long an INVITE transaction outlives its 2xx (64*T1, RFC 6026): until then a 2xx may
    /// come again and is re-ACKed from what the call keeps; after it the call keeps only its
    /// two dialogs.
    std::chrono::milliseconds linger{64 * 500};
    /// Session timers (RFC 4028), each leg on its own: we negotiate with each phone as its
    /// peer, refresh where we are the refresher (UPDATE when the peer allows it, else
    /// re-INVITE with the session description it has), and end the call with BYE on both
    /// legs when a leg's session expires or its refresh fails. A zero interval: none.
    dialog::session_timer_config session_timer{};
    /// Whether the legs' session timers are ours (`local`, with `session_timer`), the phones'
    /// own that we watch (`relay`), or nobody's (`off`).
    session_timers timer_mode = session_timers::local;
    /// The longest an answered call may last; then BYE on both legs. Zero: no limit.
    std::chrono::seconds max_duration{0};
    /// T1 (RFC 3261 17.1.1.1), for the retransmissions of reliable provisional responses.
    std::chrono::milliseconds t1{500};
    /// What a REFER does (RFC 3515): crosses (`relay`), transfers here (`local`), or 603.
    transfers transfer_mode = transfers::relay;
};

/// @name Actions of a call
/// @{
/// Answer the request that the driver knows as `ref` (its server transaction) on leg `to`.
struct respond {
    leg to;
    std::uint64_t ref;
    message::message response;
};
/// Send `request` on leg `to`; report its responses with `on_response(to, ref, ...)`. For an
/// INVITE the driver sends no ACK itself: every 2xx, the first and any later one (a
/// retransmission, another fork), goes to `on_response`, and the call ACKs with `send_ack`.
struct send_request {
    leg to;
    std::uint64_t ref;
    message::message request;
};
/// Send the ACK of a 2xx on leg `to` (RFC 3261 13.2.2.4: outside any transaction).
struct send_ack {
    leg to;
    message::message ack;
};
/// CANCEL the INVITE sent as `ref` (RFC 3261 9.1).
struct cancel_request {
    std::uint64_t ref;
};
/// A CDR-worthy event, for the policy.
struct report {
    call_event event;
};
/// The call is over: the driver forgets it.
struct finished {};
using action = std::variant<respond, send_request, send_ack, cancel_request, report, finished>;
/// @}

/**
 * One bridged call: two INVITE sessions (`dialog::invite_session`, leg A as its UAS, leg B as
 * its UAC) and the relay's media session, from leg A's INVITE to the last BYE; a third (leg C,
 * our UAC) when a transfer is handled here (`transfers::local`): it takes the transferor's
 * place beside the leg that stays (`peer()`), and its media the transferor's side (`side()`).
 *
 * The call is the bridge: each session owns its leg (dialog, forks, offer/answer roles, ACKs,
 * reliable provisional responses, session timer, BYE), and the call maps what one reports to
 * what the other must do. Leg B is a new dialog: a new Call-ID, new tags, our Contact, its own
 * CSeq space, and nothing of leg A's Via, Record-Route, Contact, Call-ID or hosts (its From and
 * To keep leg A's user parts with our host); Max-Forwards goes down by one (RFC 7332).
 *
 * What crosses: 18x (early media; reliable ones reliably when leg A supports 100rel, their
 * PRACKs relayed, else PRACKed here, RFC 3262), 2xx (both legs confirmed), 3xx-6xx with a
 * Reason (RFC 3326) after the policy's retries, CANCEL, BYE from either side (pending requests
 * of the ending leg get 487, RFC 3261 15.1.2), and every other request in an early or confirmed
 * dialog (re-INVITE, UPDATE, INFO, OPTIONS, REFER, NOTIFY, ...) with the headers that are not
 * about the path (headers.hpp), its response mapped back, unless the policy refuses it. Each
 * SDP goes through the relay as the offer or answer it is; one the relay cannot rewrite never
 * crosses (488 for that offer, 500 and BYE for the call's answer).
 *
 * The file reads in this order: the inputs (public), then the state (`enter`), the leg-B
 * INVITE, in-dialog requests, a transfer handled here, the end, and the policy hooks.
 *
 * `Policy` is optional (`no_policy_hooks`): see `concepts.hpp` for the hooks it may have.
 *
 * Contract: after each input drain `poll()`, then wait for `next_deadline()` and call
 * `on_time(now)`.
 */
template <media_relay Relay, class Policy = no_policy_hooks>
class call {
    static_assert(well_formed_hooks<Policy>, "a policy hook has the wrong signature (see no_policy_hooks)");

public:
    enum class state { calling, early, confirmed, cancelling, ending, ended };

    /// `linger`: how long an INVITE transaction outlives its 2xx (64*T1, RFC 6026).
    call(Relay& relay, leg_identity a, leg_identity b, Policy* policy = nullptr,
         std::chrono::milliseconds linger = std::chrono::milliseconds(64 * 500))
        : call(relay, std::move(a), std::move(b), policy, with_linger(linger)) {}
    call(Relay& relay, leg_identity a, leg_identity b, Policy* policy, const call_config& cfg)
        : relay_(relay), policy_(policy), max_duration_(cfg.max_duration), timer_mode_(cfg.timer_mode),
          transfer_mode_(cfg.transfer_mode),
          session_cfg_(session_cfg(cfg)), legs_{dialog::invite_session(dialog::invite_session::role::uas,
                                                                       std::move(a), session_cfg(cfg), 1),
                                                dialog::invite_session(dialog::invite_session::role::uac,
                                                                       std::move(b), session_cfg(cfg), 2)} {}

    /// Leg A's INVITE (server transaction `ref`) and the policy's decision.
    void start(const message::message& invite, std::uint64_t ref, const decision& d, time_point now) {
        if (receive(invite, ref, now)) route(d, now);
    }

    /// Leg A's INVITE, before the policy has decided (an asynchronous policy: `route()` follows
    /// when it has). False when the call is over already: the INVITE was refused here (422).
    bool receive(const message::message& invite, std::uint64_t ref, time_point now) {
        started_ = now;
        // RFC 4028 9: an interval below our Min-SE gets 422 with it
        if (auto too_small = a().on_invite(invite, ref)) {
            fail(too_small->status, {}, message::extra_headers(*too_small),
                 b2bua_errc::session_interval_too_small, now);
            return false;
        }
        return true;
    }

    /// The policy's decision for the INVITE `receive()`d (ignored once leg A CANCELled it).
    void route(const decision& d, time_point now) {
        if (state_ != state::calling || attempts_ > 0 || local_ || !a().invite_pending()) return;
        if (auto* r = std::get_if<reject_decision>(&d))
            return fail(r->status, r->reason, {}, "rejected", now);
        if (auto* ans = std::get_if<answer_decision>(&d)) return answer_here(*ans, now);
        const auto& route = std::get<route_decision>(d);
        route_ = std::make_unique<route_decision>(route); // until answered: a 422 or retry resends
        a().respond_invite(100, {}, {}, {}, false, now);  // at once: leg B may take a while (17.2.1)
        auto session = relay_.open(media_context_for(route));
        if (!session) return fail(503, {}, {}, b2bua_errc::no_media_resources, now);
        session_ = std::move(*session);
        if (std::string_view offer = message::find_sdp(*a().invite()); !offer.empty()) {
            auto rewritten = relay_.offer(*session_, leg::a, offer);
            if (!rewritten)
                return fail(488, {}, media_warning(rewritten.error()), b2bua_errc::media_refused, now);
            offer_b_ = std::move(*rewritten);
        }
        if (route.no_answer_timeout.count() > 0) no_answer_at_ = now + route.no_answer_timeout;
        if (!place_b(route, now)) fail(500, {}, {}, b2bua_errc::leg_b_unbuildable, now);
    }

    call(const call&) = delete;
    call& operator=(const call&) = delete;
    /// A call dropped before it ended (its B2BUA stopped) gives its media session back.
    ~call() {
        if (session_) relay_.close(*session_);
    }

    /// A response to the request we sent as `ref` on leg `from`. For INVITEs, every 2xx (also
    /// retransmissions and other forks after the first).
    void on_response(leg from, std::uint64_t ref, const message::message& rsp, time_point now) {
        if (!placed(from)) return;
        bool initial = from == leg::b && ref == b().invite_ref();
        bool transfer_invite = from == leg::c && ref == at(from).invite_ref();
        bool reoffer = xfer_ && ref == xfer_->reoffer_ref && from == other(xfer_->from);
        auto info = at(from).on_response(ref, rsp, now);
        if (info.over) return session_over(from, now);
        if (!info.for_owner) return;
        if (initial) return on_invite_response(rsp, info, now);
        if (transfer_invite) return on_transfer_response(rsp, info, now);
        if (reoffer) return on_reoffer_response(rsp, info, now);
        int code = rsp.status();
        auto it = relayed_.find(ref);
        if (it == relayed_.end()) {
            // no one waits for it any more (its leg ended): a 2xx still gets its ACK
            if (info.ack_waits) at(from).ack_with({}, now);
            return;
        }
        if (code < 200 && code != 180 && code != 183) return;
        pending_relay p = it->second;
        if (code >= 200) relayed_.erase(it);
        // A 422 is about this leg's session timer (adopted by its session), not the other's:
        // the sender may try again (RFC 4028 7.4)
        bool timer_422 = code == 422 && at(from).timer().enabled();
        auto body = rewrite(from, info.sdp, p.offer_in_request);
        if (!body) {
            // the relay cannot carry this answer: the offer fails on the leg that made it
            if (info.ack_waits) at(from).ack_with({}, now);
            return at(p.to).respond(p.incoming_ref, p.request, 488, {}, {}, {}, {}, now);
        }
        std::string extra = crossing(rsp, p.to) + (timer_422 ? "Retry-After: 1\r\n" : "");
        std::string_view type = "application/sdp";
        std::string raw;
        if (body->empty() && code >= 200 && code < 300 && !rsp.body().empty() &&
            p.request.method() != message::method_id::invite) {
            raw = std::string(rsp.body()); // e.g. the answer to an OPTIONS or INFO
            body = raw;
            type = rsp.header(message::header_id::content_type);
        }
        watch(rsp, now);
        at(p.to).respond(p.incoming_ref, p.request, timer_422 ? 500 : code, timer_422 ? "" : rsp.reason(),
                         std::move(extra), *body, type, now);
    }

    /// The request sent as `ref` on leg `from` failed without a final response.
    void on_failure(leg from, std::uint64_t ref, bool timeout, time_point now) {
        if (!placed(from)) return;
        if (from == leg::b && ref == b().invite_ref() && state_ != state::confirmed &&
            state_ != state::ending) {
            // leg B timed out (Timer B / C) or its transport failed: 408 / 503 on leg A
            if (state_ == state::cancelling) return finish(now);
            return fail(timeout ? 408 : 503, {}, {},
                        timeout ? b2bua_errc::leg_b_timeout : b2bua_errc::leg_b_unreachable, now);
        }
        if (from == leg::c && ref == at(from).invite_ref()) return transfer_failed(timeout ? 408 : 503, now);
        if (at(from).on_failure(ref)) return session_over(from, now);
        if (xfer_ && ref == xfer_->reoffer_ref) {
            // the leg that stays did not answer our re-INVITE: the transfer fails
            xfer_->reoffer_ref = 0;
            return transfer_failed(timeout ? 408 : 503, now);
        }
        if (auto it = relayed_.find(ref); it != relayed_.end()) {
            pending_relay p = it->second;
            relayed_.erase(it);
            at(p.to).respond(p.incoming_ref, p.request, timeout ? 408 : 503, {}, {}, {}, {}, now);
        }
    }

    /// The B2BUA shuts down: answered calls get a BYE on both legs, ringing ones 503 on leg A
    /// and a CANCEL on leg B.
    void shutdown(time_point now) {
        if (ringing()) {
            a().respond_invite(503, {}, {}, {}, false, now);
            cancel_b(b2bua_errc::shutdown, 503, now);
        } else if (state_ == state::confirmed) {
            end_both(b2bua_errc::shutdown, now);
        }
    }

    /// Leg A CANCELled its INVITE (the driver already answered the CANCEL with 200, RFC 3261 9.2).
    void on_cancel(time_point now) {
        if (!ringing()) return; // too late: 2xx sent
        a().respond_invite(487, {}, {}, {}, false, now);
        cancel_b("cancelled", 487, now);
    }

    /// Leg `from` CANCELled its in-dialog request `ref` (a re-INVITE): the CANCEL goes on to
    /// the request we relayed; its 487 comes back as the answer.
    void on_cancel(leg from, std::uint64_t ref, time_point) {
        for (auto& [out_ref, p] : relayed_)
            if (p.to == from && p.incoming_ref == ref) return at(peer(from)).cancel(out_ref);
    }

    /// The ACK of a 2xx we sent on leg `from` (RFC 3261 13.3.1.4): the answer it carries goes
    /// on in the other leg's ACK, when that one waited for it.
    void on_ack(leg from, const message::message& ack, time_point now) {
        if (!placed(from)) return;
        sdp::oa_result role = at(from).on_ack(ack);
        if (!bridged(from)) return;
        auto& o = at(peer(from));
        if (!o.ack_waiting()) return;
        std::string body;
        if (role.role == sdp::body_role::answer && session_) {
            if (auto rewritten = relay_.answer(*session_, side(from), role.sdp)) body = std::move(*rewritten);
        }
        o.ack_with(body, now);
    }

    /// No ACK came on leg `from` for our 2xx (RFC 3261 13.3.1.4): the call ends on both legs.
    void on_ack_timeout(leg from, time_point now) {
        if (state_ != state::confirmed || !placed(from)) return;
        at(from).on_ack_timeout();
        emit(call_event::kind::ended, 408, b2bua_errc::no_ack, now);
        enter(state::ending, now);
        // the other legs may still wait for the ACK of their 2xx: ACKed without the answer
        end_legs(from, {}, now);
        finish_if_done(now);
    }

    /// An in-dialog request on leg `from` (server transaction `ref`).
    void on_request(leg from, std::uint64_t ref, const message::message& req, time_point now) {
        if (req.method() == message::method_id::ack) return on_ack(from, req, now);
        bool up = state_ == state::confirmed || state_ == state::early;
        if (!up || !placed(from)) {
            // before the call is up, or after: 481 (RFC 3261 12.2.2); a BYE crossing ours: 200
            return reply(from, ref, req,
                         state_ == state::ending && req.method() == message::method_id::bye ? 200 : 481);
        }
        if (from == leg::a && req.method() == message::method_id::prack) return on_prack(ref, req, now);
        auto info = at(from).on_request(req, ref, now);
        if (info.what == dialog::request_info::verdict::answered) return;
        if (info.what == dialog::request_info::verdict::bye) {
            if (xfer_ && from == xfer_->from && xfer_->stage != transfer::stage::failed) {
                // the transferor hangs up (its 200 sent): the transfer goes on without it
                xfer_->transferor_gone = true;
                return;
            }
            // BYE ends the call (RFC 3261 15): 200 here (sent), BYE on the other legs with its
            // Reason
            abandon_relays(now);
            if (ringing() && from == leg::a) {
                // the caller ends its early dialog (RFC 3261 15): its INVITE gets 487 (15.1.2)
                // and leg B a CANCEL
                a().respond_invite(487, {}, {}, {}, false, now);
                return cancel_b("caller BYE", 487, now);
            }
            emit(call_event::kind::ended, 200, from == leg::a ? "caller BYE" : "callee BYE", now);
            enter(state::ending, now);
            end_legs(from, reasons(req), now);
            return finish_if_done(now);
        }
        if (!bridged(from)) {
            // the transferor after its transfer (481: that call is over), or leg C before the
            // leg that stays has its media (491: try again later)
            return at(from).respond(ref, req, from == leg::c ? 491 : 481, {}, {}, {}, {}, now);
        }
        if (req.method() == message::method_id::refer && transfer_mode_ != transfers::relay)
            return on_refer(from, ref, req, now);
        if (local_) return local_request(from, ref, req, now);
        if (!relay_allowed(req, from)) {
            bool known = req.method() != message::method_id::unknown;
            return at(from).respond(ref, req, known ? 405 : 501, {},
                                    known ? std::string(allow_line) : std::string(), {}, {}, now);
        }
        relay(from, ref, req, info.sdp, now);
    }

    void on_time(time_point now) {
        if (no_answer_at_ && *no_answer_at_ <= now) {
            no_answer_at_.reset();
            if (ringing()) {
                a().respond_invite(480, {}, {}, {}, false, now); // RFC 3261 21.4.18
                cancel_b(b2bua_errc::no_answer, 480, now);
            }
        }
        if (max_end_at_ && *max_end_at_ <= now) {
            max_end_at_.reset();
            if (state_ == state::confirmed) end_both(b2bua_errc::max_duration, now);
        }
        if (media_at_ && *media_at_ <= now) {
            media_at_.reset();
            if (state_ == state::confirmed && session_) {
                media_status st = relay_.check(*session_, now);
                if (st.end != b2bua_errc{}) {
                    std::string reason =
                        std::string("Reason: SIP ;cause=408 ;text=\"") + describe(st.end) + "\"\r\n";
                    end_both(st.end, now, reason);
                } else {
                    media_at_ = st.next;
                }
            }
        }
        if (watch_at_ && *watch_at_ <= now) {
            watch_at_.reset();
            if (state_ == state::confirmed)
                end_both(b2bua_errc::session_expired, now, session_expired_reason);
        }
        if (xfer_ && xfer_->hangup_at && *xfer_->hangup_at <= now) {
            // the transferor did not hang up after its transfer: we do
            xfer_->hangup_at.reset();
            end_leg(xfer_->from, {}, now);
        }
        for (leg l : {leg::a, leg::b, leg::c}) {
            if (l == leg::c && !xfer_) break;
            switch (at(l).on_time(now)) {
            case dialog::session_due::expired:
                // RFC 4028 10: the session is over; the call ends on every leg (a leg that is
                // bridged to none: that leg only)
                if (!bridged(l))
                    end_leg(l, session_expired_reason, now);
                else if (state_ == state::confirmed)
                    end_both(b2bua_errc::session_expired, now, session_expired_reason);
                break;
            case dialog::session_due::prack_timeout:
                // RFC 3262 3: no PRACK for our reliable 18x: 5xx to the INVITE
                if (ringing()) {
                    a().respond_invite(504, {}, {}, {}, false, now);
                    cancel_b(b2bua_errc::no_prack, 504, now);
                }
                break;
            case dialog::session_due::nothing: break;
            }
        }
    }

    std::optional<action> poll() {
        collect();
        if (next_action_ == actions_.size()) return std::nullopt;
        action act = std::move(actions_[next_action_++]);
        if (next_action_ == actions_.size()) {
            // all taken: give the memory back (a call spends most of its life idle)
            std::vector<action>().swap(actions_);
            next_action_ = 0;
        }
        return act;
    }
    std::optional<time_point> next_deadline() const noexcept {
        std::optional<time_point> d;
        for (const auto& t : {no_answer_at_, max_end_at_, watch_at_, media_at_, legs_[0].next_deadline(),
                              legs_[1].next_deadline(), xfer_ ? xfer_->session.next_deadline() : std::nullopt,
                              xfer_ ? xfer_->hangup_at : std::nullopt})
            if (t && (!d || *t < *d)) d = t;
        return d;
    }
    state current() const noexcept { return state_; }
    const leg_identity& identity(leg l) const noexcept { return at(l).identity(); }

    /**
     * A new INVITE with Replaces (RFC 3891) names leg `l`'s dialog (`to_tag` ours, `from_tag`
     * its phone's). Its phone cannot mean our half of the bridge: what it replaces is the
     * dialog on the other side. The route returned sends the new call there: to the phone of
     * the leg `l` is bridged to (its remote target, via the first element of its route set),
     * with a Replaces that names that dialog as that phone knows it. Nothing when leg `l` has
     * no such confirmed dialog or is bridged to none.
     */
    std::optional<route_decision> replacing(leg l, std::string_view to_tag, std::string_view from_tag) const {
        if (!placed(l) || state_ != state::confirmed || !bridged(l)) return std::nullopt;
        const dialog::dialog* mine = at(l).current();
        const dialog::dialog* there = at(peer(l)).current();
        auto confirmed = [](const dialog::dialog* d) {
            return d && d->current() == dialog::dialog::state::confirmed;
        };
        if (!confirmed(mine) || !confirmed(there) || mine->id().local_tag != to_tag ||
            mine->id().remote_tag != from_tag)
            return std::nullopt;
        route_decision r;
        r.request_uri = there->remote_target();
        if (!there->route_set().empty()) r.next_hop = there->route_set().front().uri;
        if (auto to = message::parse_name_addr(there->remote_uri())) r.to_uri = std::string(to->uri_text);
        const dialog::dialog_id& id = there->id();
        r.extra_headers =
            "Replaces: " + id.call_id + ";to-tag=" + id.remote_tag + ";from-tag=" + id.local_tag + "\r\n";
        return r;
    }

private:
    static constexpr std::string_view allow_line =
        "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, PRACK, REFER, NOTIFY\r\n";
    static constexpr std::string_view session_expired_reason =
        "Reason: SIP ;cause=408 ;text=\"Session expired\"\r\n";

    // Why a call ends, for its event: a phone's doing (text alone: "caller BYE") or ours (a
    // `b2bua_errc`, its text the cause).
    struct end_cause {
        std::string_view text;
        b2bua_errc code{};
        end_cause() = default;
        end_cause(const char* t) noexcept : text(t) {}
        end_cause(std::string_view t) noexcept : text(t) {}
        end_cause(b2bua_errc e) noexcept : text(describe(e)), code(e) {}
    };

    // A request relayed from one leg, waiting for the other leg's answer.
    struct pending_relay {
        leg to;                        // where the request came from (and its response goes)
        std::uint64_t incoming_ref;    // its server transaction
        message::message request;      // the request, to build the response
        bool offer_in_request = false; // its response carries the answer
    };

    static call_config with_linger(std::chrono::milliseconds linger) {
        call_config c;
        c.linger = linger;
        return c;
    }
    static dialog::session_config session_cfg(const call_config& c) {
        dialog::session_config s{c.linger, c.t1, c.session_timer};
        if (c.timer_mode != session_timers::local) s.timer.interval = std::chrono::seconds(0);
        return s;
    }
    // relay mode: a 2xx to an INVITE or UPDATE crossing with a Session-Expires restarts the
    // watch; the end is the interval less the lesser of 32 s and a third of it (RFC 4028 10)
    void watch(const message::message& ok, time_point now) {
        if (timer_mode_ != session_timers::relay || ok.status() < 200 || ok.status() >= 300) return;
        auto cs = ok.cseq();
        if (!cs || (cs->method != message::method_id::invite && cs->method != message::method_id::update))
            return;
        auto v = dialog::parse_session_expires(ok.header(message::header_id::session_expires));
        if (!v || !v->delta) return;
        auto whole = std::chrono::seconds(std::max<std::uint32_t>(v->delta, 90));
        watch_at_ = now + dialog::session_timer::end_after(whole);
    }
    // Leg C exists once a transfer handled here began (the driver learns its Call-ID then).
    dialog::invite_session& at(leg l) noexcept {
        return l == leg::c ? xfer_->session : legs_[l == leg::a ? 0 : 1];
    }
    const dialog::invite_session& at(leg l) const noexcept {
        return l == leg::c ? xfer_->session : legs_[l == leg::a ? 0 : 1];
    }
    // The leg `l` is bridged to: A and B, until a transfer handled here completes; then the
    // leg that stayed and leg C. A leg bridged to none (the transferor after its transfer, leg
    // C before it) is its own peer.
    leg peer(leg l) const noexcept {
        if (!xfer_ || xfer_->stage != transfer::stage::done) return l == leg::c ? leg::c : other(l);
        if (l == xfer_->from) return l;
        return l == leg::c ? other(xfer_->from) : leg::c;
    }
    bool bridged(leg l) const noexcept { return peer(l) != l; }
    // Whether leg `l` exists (leg C: once a transfer placed it).
    bool placed(leg l) const noexcept { return l != leg::c || xfer_; }
    // The side of the relay's session a leg speaks for: leg C takes the transferor's.
    leg side(leg l) const noexcept { return l == leg::c ? xfer_->from : l; }
    dialog::invite_session& a() noexcept { return legs_[0]; }
    dialog::invite_session& b() noexcept { return legs_[1]; }
    bool ringing() const noexcept { return state_ == state::calling || state_ == state::early; }

    // The one place the state changes, with what entering each state means.
    void enter(state s, time_point now) {
        state_ = s;
        switch (s) {
        case state::confirmed:
            no_answer_at_.reset();
            route_.reset();
            std::string().swap(offer_b_); // (only a new attempt of leg B's INVITE needs it)
            answered_ = now;
            if (max_duration_.count() > 0) max_end_at_ = now + max_duration_;
            // the relay watches the media from now on (what it finds comes at `on_time`)
            if (session_) media_at_ = relay_.check(*session_, now).next;
            break;
        case state::cancelling:
        case state::ending: no_answer_at_.reset(); break;
        case state::ended:
            no_answer_at_.reset();
            max_end_at_.reset();
            watch_at_.reset();
            media_at_.reset();
            route_.reset();
            for (auto& l : legs_) l.stop();
            if (xfer_) {
                xfer_->session.stop();
                xfer_->hangup_at.reset();
            }
            if (session_) relay_.close(*session_);
            session_.reset();
            break;
        case state::calling:
        case state::early: break;
        }
    }

    // Carries the sessions' actions over, in order, as the call's.
    void collect() {
        for (leg l : {leg::a, leg::b, leg::c}) {
            if (l == leg::c && !xfer_) break;
            while (auto sa = at(l).poll()) {
                std::visit(
                    [&](auto& x) {
                        using X = std::decay_t<decltype(x)>;
                        if constexpr (std::is_same_v<X, dialog::session_send>)
                            actions_.push_back(send_request{l, x.ref, std::move(x.request)});
                        else if constexpr (std::is_same_v<X, dialog::session_ack>)
                            actions_.push_back(send_ack{l, std::move(x.ack)});
                        else if constexpr (std::is_same_v<X, dialog::session_respond>)
                            actions_.push_back(respond{l, x.ref, std::move(x.response)});
                        else
                            actions_.push_back(cancel_request{x.ref});
                    },
                    *sa);
            }
        }
    }
    void push(action act) {
        collect(); // what the sessions did first
        // the owner drains after every input: a queue this long is a loop in the code, not load
        assert(actions_.size() - next_action_ < dialog::max_queued_actions);
        actions_.push_back(std::move(act));
    }

    // Answers a request that belongs to no dialog of ours (any more).
    void reply(leg to, std::uint64_t ref, const message::message& req, int status) {
        if (auto r = message::make_response(req, status, {}, {})) push(respond{to, ref, std::move(*r)});
    }

    // Leg A's INVITE fails here with `status`: the call is over.
    // Why an offer's media was refused, for the phone (RFC 3261 20.43: 399, our pseudonym as agent;
    // the text is the relay's error, which names no address or key).
    static std::string media_warning(std::error_code ec) {
        std::string text = ec.message();
        std::erase(text, '"');
        std::erase(text, '\\');
        return "Warning: 399 tandem \"" + text + "\"\r\n";
    }

    void fail(int status, std::string_view reason, std::string extra, end_cause cause, time_point now) {
        a().respond_invite(status, reason, {}, std::move(extra), false, now);
        end(cause, status, now);
    }

    // ---- leg B's INVITE ----

    // Sends leg B's INVITE (again, after a failure, with the next CSeq) along `route`.
    bool place_b(const route_decision& route, time_point now) {
        // 100rel is offered to leg B when leg A can take reliable 18x across (RFC 3262)
        b().offer_100rel(a().peer_supports_100rel());
        auto inv = build_invite_b(route, offer_b_, ++attempts_);
        if (!inv) return false;
        b().send_invite(std::move(*inv));
        enter(state::calling, now);
        emit(call_event::kind::attempt, 0, {}, now);
        return true;
    }

    result<message::message> build_invite_b(const route_decision& route, const std::string& sdp, int cseq) {
        const message::message* invite_a = a().invite();
        if (!invite_a) return parse_errc::missing_header;
        auto from = invite_a->from();
        auto to = invite_a->to();
        if (!from || !to) return parse_errc::bad_name_addr;
        // Leg A's identities without its addresses: the user parts are kept, the host is ours
        const leg_identity& me = b().identity();
        std::string host = detail::host_of(me.contact);
        std::string from_uri =
            route.from_uri.empty() ? detail::hide_host(from->uri_text, host) : route.from_uri;
        std::string to_uri = route.to_uri.empty() ? detail::hide_host(to->uri_text, host) : route.to_uri;
        std::string display =
            route.from_display.empty() ? std::string(from->display_name) : route.from_display;
        if (!display.empty() && display.front() != '"') display = "\"" + display + "\"";
        // RFC 7332 / 16.6 item 3: Max-Forwards goes down by one across the B2BUA
        std::uint32_t mf = invite_a->max_forwards().value_or(70u);
        std::string s;
        message::message_writer w{s};
        w.request_line("INVITE", route.request_uri)
            .header("Max-Forwards", std::to_string(mf > 0 ? mf - 1 : 0))
            .header("From",
                    (display.empty() ? std::string() : display + " ") + "<" + from_uri + ">;tag=" + me.tag)
            .header("To", "<" + to_uri + ">")
            .header("Call-ID", me.call_id)
            .header("CSeq", std::to_string(cseq) + " INVITE")
            .header("Contact", "<" + me.contact + ">");
        if (!route.next_hop.empty()) {
            // loose routing toward the next hop (RFC 3261 16.12.1.1: ;lr marks a loose router)
            std::string hop = route.next_hop;
            auto u = message::parse_uri(hop);
            if (!u || !u->params.contains("lr")) hop += ";lr";
            w.header("Route", "<" + hop + ">");
        }
        for (const std::string& name : route.copy_headers)
            for (message::header_field f : invite_a->headers())
                if (detail::same_header(f.name, name)) w.header(f.name, f.value);
        if (timer_mode_ == session_timers::relay) {
            // the phones negotiate their session timer end to end (RFC 4028, relayed)
            for (message::header_field f : invite_a->headers())
                if (f.id == message::header_id::session_expires || f.id == message::header_id::min_se)
                    w.header(f.name, f.value);
            for (auto h : {message::header_id::supported, message::header_id::require})
                if (invite_a->has_element(h, "timer")) w.header(message::to_string(h), "timer");
        }
        s.append(route.extra_headers);
        s.append(b().invite_headers());
        w.finish(sdp, sdp.empty() ? std::string_view{} : std::string_view("application/sdp"));
        return message::message::parse(s);
    }

    void on_invite_response(const message::message& rsp, const dialog::response_info& info, time_point now) {
        int code = rsp.status();
        if (code == 100) return;
        if (!ringing()) {
            // after our CANCEL (or the end): a 2xx that crossed it is ACKed (by the session, or
            // here without an answer) and ended with a BYE (9.1, 15)
            if (code >= 200 && code < 300) {
                if (info.ack_waits) b().ack_with({}, now);
                if (state_ == state::cancelling) return send_bye(leg::b, "cancelled", now);
            }
            if (code >= 200 && state_ == state::cancelling) finish(now);
            return;
        }
        auto sdp = rewrite(leg::b, info.sdp, !offer_b_.empty());
        if (code < 200) return on_provisional(rsp, info, sdp, now);
        if (code < 300) {
            early_tag_.clear();
            if (!sdp) {
                // the relay cannot carry the callee's answer: the call fails (500 on leg A,
                // BYE on leg B) rather than leak it
                if (info.ack_waits) b().ack_with({}, now);
                a().respond_invite(500, {}, {}, {}, false, now);
                enter(state::confirmed, now);
                return send_bye(leg::b, b2bua_errc::media_refused, now);
            }
            a().respond_invite(code, rsp.reason(), *sdp, crossing(rsp, leg::a), false, now);
            enter(state::confirmed, now);
            watch(rsp, now);
            emit(call_event::kind::answered, code, {}, now);
            return;
        }
        if (info.resend && route_ && attempts_ < max_attempts) {
            // RFC 4028 7.4: again, with the interval leg B asks for at least
            route_decision again = *route_;
            if (place_b(again, now)) return;
        }
        // 3xx-6xx: the policy may try elsewhere first (same leg-B dialog identity, next CSeq)
        if constexpr (requires(Policy & p, const message::message& m) {
                          {
                              p.retry(m, code, attempts_)
                              } -> std::convertible_to<std::optional<route_decision>>;
                      }) {
            if (policy_ && attempts_ < max_attempts && a().invite()) {
                auto again = guarded(std::optional<route_decision>(), [&] {
                    return std::optional<route_decision>(policy_->retry(*a().invite(), code, attempts_));
                });
                if (again && place_b(*again, now)) return;
            }
        }
        int status = code;
        if constexpr (requires(Policy & p) {
                          { p.map_status(code) } -> std::convertible_to<int>;
                      }) {
            if (policy_) status = guarded(code, [&] { return static_cast<int>(policy_->map_status(code)); });
            if (status < 300 || status > 699) status = code;
        }
        // mapped to leg A with the callee's reason (RFC 3326 Reason header)
        std::string reason_hdr = rsp.has_header(message::header_id::reason)
                                     ? std::string() // the callee said why: its Reason crosses
                                     : "Reason: SIP ;cause=" + std::to_string(code) + " ;text=\"" +
                                           std::string(message::reason_phrase(code)) + "\"\r\n";
        fail(status, status == code ? rsp.reason() : std::string_view{}, reason_hdr + crossing(rsp, leg::a),
             "rejected by callee", now);
    }

    // A 180/183 from leg B, to leg A (with the early-media SDP when there is one; none when
    // the relay cannot carry it: the callee's own never crosses). RFC 3262: a reliable one
    // goes on reliably when leg A supports 100rel, and leg A's PRACK is relayed; otherwise we
    // PRACK it here. Leg A requiring 100rel gets every 18x reliably.
    void on_provisional(const message::message& rsp, const dialog::response_info& info,
                        const std::optional<std::string>& sdp, time_point now) {
        int code = rsp.status();
        if (code != 180 && code != 183 && !info.rseq) return;
        std::string_view tag = rsp.to() ? rsp.to()->tag() : std::string_view{};
        if (state_ == state::calling) emit(call_event::kind::ringing, code, {}, now);
        enter(state::early, now);
        if (!tag.empty()) early_tag_ = std::string(tag);
        bool reliable_a = a().peer_requires_100rel() || (info.rseq && a().peer_supports_100rel());
        if (info.rseq && !reliable_a) b().prack(tag, info.rseq); // answered here
        if (info.rseq && reliable_a) prack_b_ = {std::string(tag), info.rseq};
        a().respond_invite(code, rsp.reason(), sdp ? *sdp : std::string(), crossing(rsp, leg::a), reliable_a,
                           now);
    }

    // Leg A's PRACK for our reliable 18x: relayed to leg B when that 18x was leg B's reliable
    // one (with the PRACK's SDP), else answered here.
    void on_prack(std::uint64_t ref, const message::message& req, time_point now) {
        auto role = a().on_prack(req, now);
        if (!role) return reply(leg::a, ref, req, 481); // RFC 3262 3: no such provisional response
        if (!prack_b_.second) return a().respond(ref, req, 200, {}, {}, {}, {}, now);
        auto body = rewrite(leg::a, *role, false);
        if (!body) return a().respond(ref, req, 488, {}, {}, {}, {}, now);
        std::uint64_t out = b().prack(prack_b_.first, prack_b_.second, *body, crossing(req, leg::b), true);
        prack_b_ = {};
        if (!out) return a().respond(ref, req, 200, {}, {}, {}, {}, now); // leg B's fork is gone
        relayed_[out] = pending_relay{leg::a, ref, req, role->role == sdp::body_role::offer};
    }

    void cancel_b(end_cause cause, int status, time_point now) {
        if (attempts_ == 0) return end(cause, status, now); // still routing: no leg B yet
        b().cancel_invite();
        enter(state::cancelling, now);
        emit(call_event::kind::ended, status, cause, now);
        // the call finishes when leg B's INVITE gets its final response (487 or a crossing 2xx)
    }

    // ---- in-dialog requests ----

    // Relays a request from leg `from` to the other leg (its early dialog while ringing).
    void relay(leg from, std::uint64_t ref, const message::message& req, const sdp::oa_result& role,
               time_point now) {
        std::string sdp;
        if (role.role == sdp::body_role::offer && session_) {
            auto rewritten = relay_.offer(*session_, side(from), role.sdp);
            if (!rewritten)
                return at(from).respond(ref, req, 488, {}, media_warning(rewritten.error()), {}, {}, now);
            sdp = std::move(*rewritten);
        }
        std::string_view body = sdp.empty() ? req.body() : std::string_view(sdp);
        std::string_view type =
            sdp.empty() ? req.header(message::header_id::content_type) : "application/sdp";
        if (body.empty()) type = {};
        auto out = at(peer(from)).send(req.method_text(), crossing(req, peer(from)), body, type, early_tag_);
        if (!out) {
            // the other leg has an INVITE of its own in progress: glare across the B2BUA (14.1)
            int status = out.error() == dialog::dialog_errc::invite_in_progress ? 491 : 500;
            return at(from).respond(ref, req, status, {}, {}, {}, {}, now);
        }
        relayed_[*out] = pending_relay{from, ref, req, role.role == sdp::body_role::offer};
    }

    // An in-dialog request (not BYE, not ACK) to a call answered here: re-INVITE gets our
    // session description again, the rest 200.
    void local_request(leg from, std::uint64_t ref, const message::message& req, time_point now) {
        bool invite = req.method() == message::method_id::invite;
        at(from).respond(ref, req, 200, {}, {}, invite ? std::string_view(local_sdp_) : std::string_view{},
                         invite && !local_sdp_.empty() ? "application/sdp" : "", now);
    }

    // Requests relayed across that will not be answered now that the call ends: 487 to their
    // senders (RFC 3261 15.1.2); their late responses are ACKed if 2xx, else ignored.
    void abandon_relays(time_point now) {
        for (auto& [ref, p] : relayed_) at(p.to).respond(p.incoming_ref, p.request, 487, {}, {}, {}, {}, now);
        relayed_.clear();
    }

    // ---- a transfer handled here (transfers::local, RFC 3515 with RFC 3725 flow I) ----

    // What a transfer handled here keeps: leg C, and where the transfer is.
    struct transfer {
        enum class stage {
            calling,    ///< leg C's INVITE is out
            reoffering, ///< leg C answered with its offer; the leg that stays has it in a re-INVITE
            done,       ///< the leg that stays and leg C are bridged; the transferor leaves
            failed,     ///< the leg that stays is back with the transferor (NOTIFY said why)
            cancelled,  ///< the call ended while leg C rang: its INVITE's final response ends it
        };
        transfer(dialog::invite_session c, leg f, std::uint32_t cseq)
            : session(std::move(c)), from(f), refer_cseq(cseq) {}
        dialog::invite_session session; // leg C
        leg from;                       // the transferor's leg (it sent the REFER)
        std::uint32_t refer_cseq;       // the REFER's CSeq: the NOTIFYs' Event id (RFC 3515 2.4.6)
        stage stage = stage::calling;
        bool transferor_gone = false;        // its BYE came: no more NOTIFYs
        bool ringing_told = false;           // NOTIFY 180 sent
        std::uint64_t reoffer_ref = 0;       // the re-INVITE to the leg that stays
        std::optional<time_point> hangup_at; // after success: our BYE if the transferor is still here
    };
    // Leg C's refs: far above legs A's and B's (1 + 2k, 2 + 2k), one range per transfer.
    static constexpr std::uint64_t transfer_ref_base = std::uint64_t(1) << 40;

    // A REFER from leg `from` while transfers are ours (`local`) or refused.
    void on_refer(leg from, std::uint64_t ref, const message::message& req, time_point now) {
        auto refuse = [&](int status, std::string_view reason) {
            at(from).respond(ref, req, status, reason, {}, {}, {}, now);
        };
        if (transfer_mode_ == transfers::refuse) return refuse(603, {});
        if (xfer_ && xfer_->stage == transfer::stage::done) return refuse(603, {});   // one leg C per call
        if (xfer_ && xfer_->stage != transfer::stage::failed) return refuse(491, {}); // one at a time
        if (state_ != state::confirmed || local_ || !session_) return refuse(603, {});
        // RFC 3515 2.4.1: exactly one Refer-To, else 400
        if (req.count(message::header_id::refer_to) != 1) return refuse(400, "Bad Refer-To");
        auto target = refer_target(req.header(message::header_id::refer_to));
        if (!target) return refuse(400, "Bad Refer-To");
        if (xfer_ && (xfer_->session.bye_pending() || xfer_->reoffer_ref)) return refuse(491, {});
        // leg C's Call-ID and tag derive from leg B's (random, ours): nothing of leg A's
        const leg_identity& b_id = b().identity();
        std::string n = std::to_string(++transfers_);
        leg_identity c_id{"t" + n + "-" + b_id.call_id, b_id.tag + "t" + n, b_id.contact};
        auto cseq = req.cseq();
        xfer_ = std::make_unique<transfer>(dialog::invite_session(dialog::invite_session::role::uac,
                                                                  std::move(c_id), session_cfg_,
                                                                  transfer_ref_base * transfers_),
                                           from, cseq ? cseq->number : 0);
        auto invite = build_invite_c(peer_uri(other(from)), target->first, target->second);
        if (!invite) {
            xfer_->stage = transfer::stage::failed;
            return refuse(400, "Bad Refer-To");
        }
        at(from).respond(ref, req, 202, {}, {}, {}, {}, now);
        notify(100, false);
        xfer_->session.send_invite(std::move(*invite));
    }

    // The URI of a Refer-To value without its headers, and the Replaces among them (RFC 3891
    // with RFC 3515: `<sip:carol@example.com?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>`),
    // unescaped. Nothing for a URI that is not SIP or SIPS, or a Replaces that is not text.
    static std::optional<std::pair<std::string, std::string>> refer_target(std::string_view value) {
        auto na = message::parse_name_addr(value);
        if (!na) return std::nullopt;
        auto u = message::parse_uri(na->uri_text);
        if (!u || (u->scheme != message::uri_scheme::sip && u->scheme != message::uri_scheme::sips))
            return std::nullopt;
        std::string_view uri = na->uri_text.substr(0, na->uri_text.find('?'));
        std::string replaces;
        std::string_view headers = u->headers;
        while (!headers.empty()) {
            auto amp = headers.find('&');
            std::string_view h = headers.substr(0, amp);
            headers = amp == std::string_view::npos ? std::string_view{} : headers.substr(amp + 1);
            auto eq = h.find('=');
            if (eq == std::string_view::npos || !detail::same_header(h.substr(0, eq), "Replaces")) continue;
            replaces.assign(h.substr(eq + 1));
            auto n = message::unescape(replaces, replaces.data());
            if (n < 0) return std::nullopt;
            replaces.resize(static_cast<std::size_t>(n));
            // a header value, one line: nothing that would end it or inject another
            if (replaces.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
                return std::nullopt;
        }
        return std::pair{std::string(uri), std::move(replaces)};
    }

    // The URI of the phone on leg `l` (A or B) as its dialog names it, with our host.
    std::string peer_uri(leg l) const {
        const dialog::dialog* d = legs_[l == leg::a ? 0 : 1].current();
        auto na = d ? message::parse_name_addr(d->remote_uri())
                    : result<message::name_addr>(parse_errc::bad_name_addr);
        std::string host = detail::host_of(legs_[1].identity().contact);
        return na ? detail::hide_host(na->uri_text, host) : "sip:anonymous@" + host;
    }

    // Leg C's INVITE: from the leg that stays (its user, our host) to the Refer-To target,
    // without an offer (leg C's 2xx has it).
    result<message::message> build_invite_c(const std::string& from_uri, const std::string& to_uri,
                                            const std::string& replaces) {
        const leg_identity& me = xfer_->session.identity();
        std::string s;
        message::message_writer w{s};
        w.request_line("INVITE", to_uri)
            .header("Max-Forwards", "70")
            .header("From", "<" + from_uri + ">;tag=" + me.tag)
            .header("To", "<" + to_uri + ">")
            .header("Call-ID", me.call_id)
            .header("CSeq", "1 INVITE")
            .header("Contact", "<" + me.contact + ">");
        if (!replaces.empty()) w.header("Replaces", replaces);
        s.append(xfer_->session.invite_headers());
        w.finish({}, {});
        return message::message::parse(s);
    }

    // Tells the transferor how its transfer goes: NOTIFY with the status line as sipfrag
    // (RFC 3515 2.4.4), the standard phrase only (leg C's own text stays on leg C).
    void notify(int status, bool final) {
        if (!xfer_ || xfer_->transferor_gone) return;
        std::string lines =
            "Event: refer;id=" + std::to_string(xfer_->refer_cseq) +
            "\r\nSubscription-State: " + (final ? "terminated;reason=noresource" : "active;expires=60") +
            "\r\n";
        std::string body =
            "SIP/2.0 " + std::to_string(status) + " " + std::string(message::reason_phrase(status)) + "\r\n";
        (void)at(xfer_->from).send("NOTIFY", std::move(lines), body, "message/sipfrag;version=2.0");
    }

    // A response to leg C's INVITE.
    void on_transfer_response(const message::message& rsp, const dialog::response_info& info,
                              time_point now) {
        int code = rsp.status();
        auto& c = xfer_->session;
        if (code < 200) {
            if (info.rseq) c.prack(rsp.to() ? rsp.to()->tag() : std::string_view{}, info.rseq);
            if ((code == 180 || code == 183) && !xfer_->ringing_told && state_ == state::confirmed) {
                xfer_->ringing_told = true;
                notify(180, false);
            }
            return;
        }
        if (state_ != state::confirmed || xfer_->stage != transfer::stage::calling) {
            // the call ended while leg C rang (we CANCELled): a 2xx that crossed is ended too
            if (code < 300) end_leg(leg::c, {}, now);
            if (xfer_->stage == transfer::stage::cancelled) xfer_->stage = transfer::stage::failed;
            return finish_if_done(now);
        }
        if (code >= 300) return transfer_failed(code, now);
        // leg C's offer goes to the leg that stays; its answer comes back in leg C's ACK
        std::optional<std::string> offer;
        if (info.ack_waits) {
            if (auto r = relay_.offer(*session_, xfer_->from, info.sdp.sdp)) offer = std::move(*r);
        }
        auto out = offer ? at(other(xfer_->from)).send("INVITE", {}, *offer, "application/sdp")
                         : result<std::uint64_t>(dialog::dialog_errc::terminated);
        if (!out) {
            // no offer, one the relay refuses, or a re-INVITE of the other leg in progress
            end_leg(leg::c, {}, now);
            return transfer_failed(offer ? 491 : 488, now);
        }
        xfer_->stage = transfer::stage::reoffering;
        xfer_->reoffer_ref = *out;
    }

    // The answer of the leg that stays to our re-INVITE with leg C's offer.
    void on_reoffer_response(const message::message& rsp, const dialog::response_info& info, time_point now) {
        int code = rsp.status();
        if (code < 200) return;
        xfer_->reoffer_ref = 0;
        if (state_ != state::confirmed) return; // the call ended meanwhile (every leg has its BYE)
        leg stays = other(xfer_->from);
        std::optional<std::string> answer;
        if (code < 300 && !info.sdp.sdp.empty()) {
            if (auto r = relay_.answer(*session_, stays, info.sdp.sdp)) answer = std::move(*r);
        }
        if (!answer) {
            end_leg(leg::c, {}, now);
            if (code < 300) {
                // it took leg C's media but gave no usable answer: no way back for it
                notify(488, true);
                xfer_->stage = transfer::stage::failed;
                return end_both(b2bua_errc::transfer_failed, now);
            }
            return transfer_failed(code, now);
        }
        xfer_->session.ack_with(*answer, now);
        xfer_->stage = transfer::stage::done;
        notify(200, true);
        emit(call_event::kind::transferred, 200, "transferred", now);
        if (!xfer_->transferor_gone) xfer_->hangup_at = now + std::chrono::seconds(32);
    }

    // The transfer failed with `status`: the transferor hears it, and the leg that stays is
    // back with it (alone, when the transferor has left: the call ends).
    void transfer_failed(int status, time_point now) {
        if (xfer_->stage == transfer::stage::cancelled) {
            xfer_->stage = transfer::stage::failed;
            return finish_if_done(now);
        }
        notify(status, true);
        xfer_->stage = transfer::stage::failed;
        if (xfer_->transferor_gone && state_ == state::confirmed) end_both(b2bua_errc::transfer_failed, now);
    }

    // ---- the end ----

    // Leg `from`'s session is over by itself (its last BYE was answered, or its peer lost the
    // dialog).
    void session_over(leg from, time_point now) {
        if (state_ == state::ending || state_ == state::ended) return finish_if_done(now);
        if (!bridged(from)) return; // a leg bridged to none: nothing else ends
        // the peer lost the dialog or does not answer our refresh (RFC 4028 10)
        end_both(b2bua_errc::session_refresh_failed, now, session_expired_reason);
    }

    void end_both(end_cause cause, time_point now, std::string_view reason = {}) {
        emit(call_event::kind::ended, 200, cause, now);
        abandon_relays(now);
        enter(state::ending, now);
        end_legs(std::nullopt, reason, now);
        finish_if_done(now);
    }

    // Ends every leg but `except` (the one whose BYE or loss ends the call).
    void end_legs(std::optional<leg> except, std::string_view reason, time_point now) {
        for (leg l : {leg::a, leg::b, leg::c})
            if (l != except && (l != leg::c || xfer_)) end_leg(l, reason, now);
    }
    // Ends one leg: its 2xx waiting for an answer ACKed without one first, then BYE (once);
    // leg C still ringing gets a CANCEL instead (the call waits for its final response).
    void end_leg(leg l, std::string_view reason, time_point now) {
        auto& s = at(l);
        if (l == leg::c && xfer_->stage == transfer::stage::calling) {
            xfer_->stage = transfer::stage::cancelled;
            return s.cancel_invite();
        }
        if (s.ack_waiting()) s.ack_with({}, now);
        if (!s.bye_pending()) s.bye(reason);
    }

    void send_bye(leg to, end_cause cause, time_point now, std::string_view reason = {}) {
        if (state_ != state::cancelling) emit(call_event::kind::ended, 200, cause, now);
        enter(state::ending, now);
        at(to).bye(reason);
        finish_if_done(now);
    }
    void finish_if_done(time_point now) {
        if (state_ == state::ending && !a().bye_pending() && !b().bye_pending() &&
            (!xfer_ || (!xfer_->session.bye_pending() && xfer_->stage != transfer::stage::cancelled)))
            finish(now);
    }

    void end(end_cause cause, int status, time_point now) {
        emit(call_event::kind::ended, status, cause, now);
        finish(now);
    }

    void finish(time_point now) {
        if (state_ == state::ended) return;
        enter(state::ended, now);
        push(finished{});
    }

    // The policy answers the call itself: no leg B.
    void answer_here(const answer_decision& ans, time_point now) {
        if (ans.status < 200 || ans.status > 699) return fail(500, {}, {}, b2bua_errc::bad_local_answer, now);
        if (ans.status >= 300) return fail(ans.status, ans.reason, {}, "answered here", now);
        local_ = true;
        local_sdp_ = ans.sdp;
        a().respond_invite(ans.status, ans.reason, local_sdp_, {}, false, now);
        enter(state::confirmed, now);
        emit(call_event::kind::answered, ans.status, "answered here", now);
    }

    // ---- policy hooks ----

    // A policy hook that throws must not take the B2BUA down: its call goes on as if the hook
    // had said nothing (`fallback`: no retry, the status as it is, the request refused, no
    // header rules).
    template <class T, class Fn>
    static T guarded(T fallback, Fn&& fn) noexcept {
        try {
            return fn();
        } catch (...) {
            return fallback;
        }
    }

    bool relay_allowed(const message::message& req, leg from) {
        if constexpr (requires(Policy & p) {
                          { p.relay_in_dialog(req, from) } -> std::convertible_to<bool>;
                      }) {
            if (policy_) return guarded(false, [&] { return policy_->relay_in_dialog(req, from); });
        }
        return true;
    }

    // The header lines of `m` (from leg other(to)) that cross to leg `to`.
    std::string crossing(const message::message& m, leg to) const {
        const header_rules* rules = nullptr;
        if constexpr (requires(Policy & p) {
                          { p.header_rules_for(to) } -> std::convertible_to<const header_rules*>;
                      }) {
            if (policy_) rules = guarded(rules, [&] { return policy_->header_rules_for(to); });
        }
        return detail::crossing_headers(m, at(to).timer().enabled() || at(peer(to)).timer().enabled(), rules);
    }
    static std::string reasons(const message::message& req) {
        std::string out;
        for (message::header_field f : req.headers())
            if (f.id == message::header_id::reason) out.append("Reason: ").append(f.value).append("\r\n");
        return out;
    }

    // The SDP of a message from leg `from` as the other leg is to see it, by its role ("" for
    // none); nothing when the relay cannot rewrite it (then it must not cross at all).
    std::optional<std::string> rewrite(leg from, const sdp::oa_result& r, bool offer_in_request) {
        if (r.sdp.empty() || !session_) return std::string();
        result<std::string> out = std::string(r.sdp);
        switch (r.role) {
        case sdp::body_role::offer:
        case sdp::body_role::preview: out = relay_.offer(*session_, side(from), r.sdp); break;
        case sdp::body_role::answer: out = relay_.answer(*session_, side(from), r.sdp); break;
        case sdp::body_role::repeat:
            out = offer_in_request ? relay_.answer(*session_, side(from), r.sdp)
                                   : relay_.offer(*session_, side(from), r.sdp);
            break;
        case sdp::body_role::none: break; // outside offer/answer: as it came
        }
        if (!out) return std::nullopt;
        return std::move(*out);
    }

    // What the relay is told of the call it opens a session for.
    media_context media_context_for(const route_decision& route) const {
        media_context ctx;
        ctx.call_id = at(leg::a).identity().call_id;
        ctx.options = &route.media;
        ctx.transport_a = "udp";
        if (const auto* inv = legs_[0].invite())
            if (auto v = inv->top_via()) ctx.transport_a = v->transport;
        ctx.transport_b = "udp";
        if (auto u = message::parse_uri(route.request_uri); u && !u->transport().empty())
            ctx.transport_b = u->transport();
        return ctx;
    }

    void emit(call_event::kind k, int status, end_cause cause, time_point now) {
        call_event e;
        e.what = k;
        e.call_id_a = at(leg::a).identity().call_id;
        e.status = status;
        e.cause = cause.text;
        if (cause.code != b2bua_errc{}) e.error = cause.code;
        auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); };
        e.setup = ms((answered_ ? *answered_ : now) - started_);
        if (answered_ && k == call_event::kind::ended) e.duration = ms(now - *answered_);
        if (k == call_event::kind::ended && session_) e.media = relay_.stats(*session_);
        push(report{e});
    }

    Relay& relay_;
    Policy* policy_;
    std::chrono::seconds max_duration_{0};
    session_timers timer_mode_ = session_timers::local;
    transfers transfer_mode_ = transfers::relay;
    dialog::session_config session_cfg_; // for leg C
    std::unique_ptr<transfer> xfer_;     // a transfer handled here, and leg C (rare: not inline)
    std::uint64_t transfers_ = 0;
    std::optional<time_point> watch_at_; // relay mode: when the phones' session ends unrefreshed
    std::optional<time_point> media_at_; // when to ask the relay how the media is (`check`)
    dialog::invite_session legs_[2];     // leg A (we are its UAS), leg B (its UAC)
    state state_ = state::calling;
    std::optional<typename Relay::session> session_;
    std::unique_ptr<route_decision> route_; // until answered: a 422 from leg B sends it again
    std::string offer_b_;                   // leg A's offer as leg B gets it ("" for an offer-less INVITE)
    int attempts_ = 0;
    std::string early_tag_;                           // the leg-B fork whose 18x leg A saw last
    std::pair<std::string, std::uint32_t> prack_b_{}; // leg B's reliable 18x waiting for leg A's PRACK
    bool local_ = false;                              // answered here (`answer_decision`): no leg B
    std::string local_sdp_;                           // our session description then
    std::map<std::uint64_t, pending_relay> relayed_;  // by the ref of the request relayed
    std::optional<time_point> no_answer_at_;
    std::optional<time_point> max_end_at_;
    time_point started_{};
    std::optional<time_point> answered_;
    std::vector<action> actions_; // not a deque: libstdc++'s allocates ~600 bytes when empty
    std::size_t next_action_ = 0;
};

} // namespace tandem::b2bua

#endif
