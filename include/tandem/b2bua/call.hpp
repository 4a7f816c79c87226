#ifndef TANDEM_B2BUA_CALL_HPP
#define TANDEM_B2BUA_CALL_HPP

/// @file One bridged call: leg A (we are its UAS) and leg B (we are its UAC), sans I/O.
///
/// Contract (as for the transaction layer): after each input drain `poll()`, then wait for
/// `next_deadline()` and call `on_time(now)`. The call never reads a clock and sends nothing
/// itself: it returns actions that a driver (`b2bua::service`) carries out on a `net::stack`.

#include <tandem/b2bua/concepts.hpp>
#include <tandem/b2bua/headers.hpp>
#include <tandem/dialog/dialog.hpp>
#include <tandem/dialog/session_timer.hpp>
#include <tandem/message/message.hpp>
#include <tandem/message/multipart.hpp>
#include <tandem/message/serializer.hpp>
#include <tandem/sdp/offer_answer.hpp>
#include <tandem/transaction/timers.hpp>

#include <algorithm>
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
struct leg_identity {
    std::string call_id;
    std::string tag;
    std::string contact; ///< "sip:b2bua@192.0.2.1:5060"
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
    /// The longest an answered call may last; then BYE on both legs. Zero: no limit.
    std::chrono::seconds max_duration{0};
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
 * The state of one bridged call, from leg A's INVITE to the last BYE.
 *
 * Leg A and leg B are independent dialogs: leg B gets a new Call-ID, new tags, our Contact, its
 * own CSeq space, and nothing of leg A's Via, Record-Route, Contact or Call-ID (topology
 * hiding); leg A sees only our Contact and tag. Max-Forwards is decremented across (RFC 7332).
 *
 * What it relays: 180/183 (with SDP: early media), 2xx (then both legs are confirmed
 * dialogs), 3xx-6xx with a Reason header (RFC 3326) after the policy's retries, CANCEL (leg A
 * 487, leg B CANCEL; a 2xx that crosses the CANCEL is ACKed and ended with a BYE), BYE from
 * either side (pending requests of the ending leg get 487, RFC 3261 15.1.2), and every other
 * in-dialog request (re-INVITE, UPDATE, INFO, OPTIONS, ...) to the other leg with its response
 * mapped back, unless the policy refuses it. Glare on a leg is answered 491 by that leg's
 * dialog (RFC 3261 14.2).
 *
 * Offer/answer (RFC 3264) is tracked per leg, so that the relay sees each SDP as the offer or
 * the answer it is: an offer-less INVITE or re-INVITE gets its offer in the 2xx, which goes to
 * the other leg in our 2xx; that leg's ACK carries the answer, and only then is the first leg's
 * 2xx ACKed, with it. Otherwise a 2xx is ACKed at once. Every 2xx retransmission is ACKed
 * again; a 2xx from a second fork of leg B is ACKed and ended with a BYE (RFC 3261 13.2.2.4).
 *
 * `Policy` is optional (`no_policy_hooks`): see `concepts.hpp` for the hooks it may have.
 */
template <media_relay Relay, class Policy = no_policy_hooks>
class call {
    static_assert(well_formed_hooks<Policy>, "a policy hook has the wrong signature (see no_policy_hooks)");

public:
    enum class state { calling, early, confirmed, cancelling, ending, ended };

    /// `linger`: how long an INVITE transaction outlives its 2xx (64*T1, RFC 6026): until
    /// then a 2xx may come again and is re-ACKed from what the call keeps; after it the call
    /// keeps only its two dialogs.
    call(Relay& relay, leg_identity a, leg_identity b, Policy* policy = nullptr,
         std::chrono::milliseconds linger = std::chrono::milliseconds(64 * 500))
        : call(relay, std::move(a), std::move(b), policy, call_config{linger, {}, {}}) {}
    call(Relay& relay, leg_identity a, leg_identity b, Policy* policy, const call_config& cfg)
        : relay_(relay), policy_(policy), a_(std::move(a)), b_(std::move(b)), linger_(cfg.linger),
          max_duration_(cfg.max_duration), timers_{dialog::session_timer(cfg.session_timer),
                                                   dialog::session_timer(cfg.session_timer)} {}

    /// Leg A's INVITE (server transaction `ref`) and the policy's decision.
    void start(const message::message& invite, std::uint64_t ref, const decision& d, time_point now) {
        invite_a_ = std::make_unique<message::message>(invite);
        invite_a_ref_ = ref;
        started_ = now;
        (void)oa(leg::a).on_incoming(invite);
        if (auto* r = std::get_if<reject_decision>(&d)) {
            respond_a(r->status, r->reason);
            end("rejected", r->status, now);
            return;
        }
        peer_update_[ix(leg::a)] = allows_update(invite);
        if (auto too_small = timers(leg::a).check_request(invite)) {
            // RFC 4028 9: an interval below our Min-SE gets 422 with it
            respond_a(too_small->status, {}, {}, message::extra_headers(*too_small));
            end("session interval too small", too_small->status, now);
            return;
        }
        if (auto* ans = std::get_if<answer_decision>(&d)) return answer_here(*ans, now);
        const auto& route = std::get<route_decision>(d);
        route_ = std::make_unique<route_decision>(route); // for a 422 from leg B (RFC 4028 7.4)
        respond_a(100); // at once: leg B may take a while (RFC 3261 17.2.1 allows it, 16.2 for proxies)
        auto session = relay_.open();
        if (!session) {
            respond_a(503);
            end("no media resources", 503, now);
            return;
        }
        session_ = std::move(*session);
        if (std::string_view offer = message::find_sdp(invite); !offer.empty()) {
            auto rewritten = relay_.offer(*session_, leg::a, offer);
            if (!rewritten) {
                respond_a(488);
                end("media refused", 488, now);
                return;
            }
            offer_b_ = std::move(*rewritten);
        }
        if (route.no_answer_timeout.count() > 0) no_answer_at_ = now + route.no_answer_timeout;
        if (!place_b(route, now)) {
            respond_a(500);
            end("cannot build leg B", 500, now);
        }
    }

    /// A response to the request we sent as `ref` on leg `from`. For INVITEs, every 2xx (also
    /// retransmissions and other forks after the first).
    void on_response(leg from, std::uint64_t ref, const message::message& rsp, time_point now) {
        int code = rsp.status();
        invite_out& io = out(from);
        if (ref == io.ref && io.final_seen && code >= 200 && code < 300) return late_2xx(from, rsp, now);
        if (from == leg::b && ref == invite_b_ref_) return on_invite_response(rsp, now);
        if (ref == refresh_ref_[ix(from)]) return on_refresh_response(from, rsp, now);
        auto it = relayed_.find(ref);
        if (it == relayed_.end()) {
            // no one waits for it: a BYE we sent, or a request whose leg ended meanwhile
            if (code >= 200 && rsp.cseq() && rsp.cseq()->method == message::method_id::invite) {
                if (ref == io.ref) io.final_seen = true;
                if (code < 300) ack_now(from, rsp, {}, now); // every 2xx is ACKed (13.2.2.4)
            }
            if (code >= 200) bye_done(ref, now);
            return;
        }
        dialog::dialog* d = dialog_of(from);
        if (d) (void)d->on_response(rsp);
        sdp::oa_result role = oa(from).on_incoming(rsp);
        if (code < 200 && code != 180 && code != 183) return;
        pending_relay p = it->second;
        if (code >= 200) relayed_.erase(it);
        bool invite = p.request.method() == message::method_id::invite;
        bool refreshing = invite || p.request.method() == message::method_id::update;
        if (refreshing && code >= 200 && code < 300) timers(from).on_2xx_received(rsp, now);
        // A 422 is about this leg's session timer, not the other's: adopt its Min-SE here and
        // let the sender try again (RFC 4028 7.4)
        if (code == 422 && timers(from).on_422(rsp)) code = 500;
        // Map the response back to the leg the request came from.
        std::string extra = contact_line(p.to) + crossing(rsp, p.to);
        if (code == 500 && rsp.status() == 422) extra += "Retry-After: 1\r\n";
        if (refreshing && code >= 200 && code < 300) extra += timers(p.to).response_headers(p.request);
        auto back =
            message::make_response(p.request, code, code == rsp.status() ? rsp.reason() : "", {}, extra);
        if (!back) return;
        auto body = rewrite(from, role, p.offer_in_request);
        if (!body) {
            // the relay cannot carry this answer: the offer fails on the leg that made it
            // (its SDP never crosses unrewritten)
            if (code >= 200 && code < 300 && invite) ack_now(from, rsp, {}, now);
            respond_to(p, 488);
            return;
        }
        if (!body->empty())
            back->set_body("application/sdp", *body);
        else if (code >= 200 && code < 300 && !invite && !rsp.body().empty())
            copy_body(rsp, *back); // e.g. the answer to an OPTIONS or INFO
        if (invite && code >= 200) {
            io.final_seen = true;
            if (code < 300) {
                io.to_tag = rsp.to() ? std::string(rsp.to()->tag()) : std::string();
                // an offer in this 2xx: its answer comes in the ACK of the other leg
                if (oa(from).answer_due_in_ack()) {
                    io.ack_waits = true;
                    io.ok = std::make_unique<message::message>(rsp);
                } else {
                    ack_now(from, rsp, {}, now);
                }
            }
        }
        if (refreshing && code >= 200 && code < 300) timers(p.to).on_2xx_sent(now);
        send_response(p.to, p.incoming_ref, std::move(*back));
    }

    /// The request sent as `ref` on leg `from` failed without a final response.
    void on_failure(leg from, std::uint64_t ref, bool timeout, time_point now) {
        if (from == leg::b && ref == invite_b_ref_) {
            if (state_ == state::calling || state_ == state::early) {
                // leg B timed out (Timer B / C) or its transport failed: 408 / 503 on leg A
                respond_a(timeout ? 408 : 503);
                end(timeout ? "timeout" : "transport failure", timeout ? 408 : 503, now);
            } else if (state_ == state::cancelling) {
                finish(now);
            }
            return;
        }
        if (ref == refresh_ref_[ix(from)]) {
            // no answer to our session refresh: the peer is gone (RFC 4028 10)
            refresh_ref_[ix(from)] = 0;
            if (ref == out(from).ref) out(from).final_seen = true;
            end_both("session refresh failed", now, session_expired_reason);
            return;
        }
        if (auto it = relayed_.find(ref); it != relayed_.end()) {
            pending_relay p = it->second;
            relayed_.erase(it);
            if (ref == out(from).ref) out(from).final_seen = true;
            respond_to(p, timeout ? 408 : 503);
            return;
        }
        bye_done(ref, now);
    }

    /// The B2BUA shuts down: answered calls get a BYE on both legs, ringing ones 503 on leg A
    /// and a CANCEL on leg B.
    void shutdown(time_point now) {
        if (state_ == state::calling || state_ == state::early) {
            respond_a(503);
            cancel_b("shutdown", 503, now);
        } else if (state_ == state::confirmed) {
            end_both("shutdown", now);
        }
    }

    /// Leg A CANCELled its INVITE (the driver already answered the CANCEL with 200, RFC 3261 9.2).
    void on_cancel(time_point now) {
        if (state_ != state::calling && state_ != state::early) return; // too late: 2xx sent
        respond_a(487);
        cancel_b("cancelled", 487, now);
    }

    /// Leg `from` CANCELled its in-dialog request `ref` (a re-INVITE): the CANCEL goes on to
    /// the request we relayed; its 487 comes back as the answer.
    void on_cancel(leg from, std::uint64_t ref, time_point) {
        for (auto& [out_ref, p] : relayed_)
            if (p.to == from && p.incoming_ref == ref) {
                push(cancel_request{out_ref});
                return;
            }
    }

    /// The ACK of a 2xx we sent on leg `from` (RFC 3261 13.3.1.4).
    void on_ack(leg from, const message::message& ack, time_point now) {
        if (dialog::dialog* d = dialog_of(from)) (void)d->on_request(ack);
        sdp::oa_result role = oa(from).on_incoming(ack);
        invite_out& io = out(other(from));
        if (!io.ack_waits || !io.ok) return;
        // the answer to the offer that the other leg's 2xx carried: now that leg's ACK
        io.ack_waits = false;
        std::string body;
        if (role.role == sdp::body_role::answer && session_) {
            auto rewritten = relay_.answer(*session_, from, role.sdp);
            if (rewritten) body = std::move(*rewritten);
        }
        message::message ok = std::move(*io.ok);
        io.ok.reset();
        ack_now(other(from), ok, body, now);
    }

    /// No ACK came on leg `from` for our 2xx (RFC 3261 13.3.1.4): the call ends on both legs.
    void on_ack_timeout(leg from, time_point now) {
        if (state_ != state::confirmed) return;
        if (dialog::dialog* d = dialog_of(from)) d->terminate();
        invite_out& io = out(other(from));
        if (io.ack_waits && io.ok) {
            // the other leg still waits for the ACK of its 2xx: ACK it (without the answer we
            // never got), then BYE
            io.ack_waits = false;
            message::message ok = std::move(*io.ok);
            io.ok.reset();
            ack_now(other(from), ok, {}, now);
        }
        emit(call_event::kind::ended, 408, "no ACK", now);
        state_ = state::ending;
        bye(other(from), now);
        if (byes_.empty()) finish(now);
    }

    /// An in-dialog request on leg `from` (server transaction `ref`).
    void on_request(leg from, std::uint64_t ref, const message::message& req, time_point now) {
        dialog::dialog* d = dialog_of(from);
        auto reply = [&](int status, std::string extra = {}) {
            if (auto r = message::make_response(req, status, {}, {}, extra))
                send_response(from, ref, std::move(*r));
        };
        if (req.method() == message::method_id::ack) return on_ack(from, req, now);
        if (!d || state_ != state::confirmed) {
            // BYE or anything else before the call is up (or after): 481 (RFC 3261 12.2.2)
            reply(state_ == state::ending && req.method() == message::method_id::bye ? 200 : 481);
            return;
        }
        if (auto rej = d->on_request(req)) {
            auto r = message::make_response(req, rej->status, rej->reason, {}, message::extra_headers(*rej));
            if (r) push(respond{from, ref, std::move(*r)});
            return;
        }
        if (req.method() == message::method_id::bye) {
            // BYE ends both legs (RFC 3261 15): 200 here, BYE there; requests still pending on
            // this leg get 487 (15.1.2)
            auto ok = message::make_response(req, 200, {}, {});
            if (ok) {
                d->on_response_sent(*ok);
                push(respond{from, ref, std::move(*ok)});
            }
            abandon_relays();
            // the BYE's Reason (RFC 3326) says why the call ended: it crosses
            std::string reason;
            for (message::header_field f : req.headers())
                if (f.id == message::header_id::reason)
                    reason.append("Reason: ").append(f.value).append("\r\n");
            send_bye(other(from), from == leg::a ? "caller BYE" : "callee BYE", now, reason);
            return;
        }
        if (local_) return local_request(from, ref, req);
        if (!relay_allowed(req, from)) {
            bool known = req.method() != message::method_id::unknown;
            reply(known ? 405 : 501, known ? std::string(allow_line) : std::string());
            return;
        }
        bool refreshing =
            req.method() == message::method_id::invite || req.method() == message::method_id::update;
        if (refreshing) {
            if (auto too_small = timers(from).check_request(req)) {
                reply(too_small->status, message::extra_headers(*too_small));
                return;
            }
            if (req.method() == message::method_id::update && req.body().empty() && timers(from).enabled()) {
                // an UPDATE without a body only refreshes this leg's session (RFC 4028 7.4): each
                // leg has its own timer, so it is answered here
                std::string lines = contact_line(from) + timers(from).response_headers(req);
                if (auto r = message::make_response(req, 200, {}, {}, lines)) {
                    timers(from).on_2xx_sent(now);
                    send_response(from, ref, std::move(*r));
                }
                return;
            }
        }
        sdp::oa_result role = oa(from).on_incoming(req);
        if (role.error && role.reject_with) {
            reply(role.reject_with, role.reject_with == 500 ? "Retry-After: 3\r\n" : "");
            return;
        }
        // Anything else goes across, its response comes back (re-INVITE, UPDATE, INFO, ...).
        dialog::dialog* o = dialog_of(other(from));
        std::string sdp;
        if (role.role == sdp::body_role::offer && session_) {
            auto rewritten = relay_.offer(*session_, from, role.sdp);
            if (!rewritten) {
                reply(488);
                return;
            }
            sdp = std::move(*rewritten);
        }
        // (the dialog adds our Contact to target refresh requests)
        std::string extra = crossing(req, other(from));
        if (refreshing) extra += timers(other(from)).request_headers();
        if (sdp.empty())
            for (message::header_field f : req.headers())
                if (f.id == message::header_id::content_type)
                    extra.append("Content-Type: ").append(f.value).append("\r\n");
        dialog::request_options opts;
        opts.extra_headers = extra;
        std::string other_body = sdp.empty() ? std::string(req.body()) : sdp;
        opts.body = other_body;
        opts.content_type = sdp.empty() ? std::string_view{} : std::string_view("application/sdp");
        auto relayed = o->make_request(req.method_text(), opts);
        if (!relayed) {
            // the other leg has an INVITE of its own in progress: glare across the B2BUA
            reply(relayed.error() == dialog::dialog_errc::invite_in_progress ? 491 : 500);
            return;
        }
        (void)oa(other(from)).on_outgoing(*relayed);
        std::uint64_t out_ref = next_ref_++;
        bool offer = role.role == sdp::body_role::offer;
        relayed_[out_ref] = pending_relay{from, ref, req, offer};
        if (req.method() == message::method_id::invite) out(other(from)) = fresh_invite(out_ref, offer);
        push(send_request{other(from), out_ref, std::move(*relayed)});
    }

    void on_time(time_point now) {
        if (tidy_at_ && *tidy_at_ <= now) tidy();
        if (max_end_at_ && *max_end_at_ <= now) {
            max_end_at_.reset();
            if (state_ == state::confirmed) end_both("maximum duration", now);
        }
        for (leg l : {leg::a, leg::b}) {
            switch (timers(l).on_time(now)) {
            case dialog::session_timer::due::refresh: refresh(l, now); break;
            case dialog::session_timer::due::expired:
                // RFC 4028 10: the session is over; the call ends on both legs
                if (state_ == state::confirmed) end_both("session expired", now, session_expired_reason);
                break;
            case dialog::session_timer::due::nothing: break;
            }
        }
        if (no_answer_at_ && *no_answer_at_ <= now) {
            no_answer_at_.reset();
            if (state_ == state::calling || state_ == state::early) {
                respond_a(480); // RFC 3261 21.4.18 Temporarily Unavailable
                cancel_b("no answer", 480, now);
            }
        }
    }

    std::optional<action> poll() {
        if (next_action_ == actions_.size()) return std::nullopt;
        action a = std::move(actions_[next_action_++]);
        if (next_action_ == actions_.size()) {
            // all taken: give the memory back (a call spends most of its life idle)
            std::vector<action>().swap(actions_);
            next_action_ = 0;
        }
        return a;
    }
    std::optional<time_point> next_deadline() const noexcept {
        std::optional<time_point> d;
        for (const auto& t :
             {tidy_at_, no_answer_at_, max_end_at_, timers_[0].next_deadline(), timers_[1].next_deadline()})
            if (t && (!d || *t < *d)) d = t;
        return d;
    }
    state current() const noexcept { return state_; }
    const leg_identity& identity(leg l) const noexcept { return l == leg::a ? a_ : b_; }

private:
    static constexpr std::string_view allow_line =
        "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE\r\n";

    struct pending_relay {
        leg to;                        // where the request came from (and its response goes)
        std::uint64_t incoming_ref;    // its server transaction
        message::message request;      // the request, to build the response
        bool offer_in_request = false; // its response carries the answer
    };
    // The last INVITE we sent on a leg (leg B's initial one, or a relayed re-INVITE).
    struct invite_out {
        std::uint64_t ref = 0;
        bool offer_in_request = false;
        bool final_seen = false;
        bool ack_waits = false; // our ACK waits for the answer from the other leg
        std::string to_tag;     // of the 2xx we accepted
        // (on the heap: a call keeps them for 64*T1 at most, and is small the rest of its life)
        std::unique_ptr<message::message> ok;  // that 2xx, while the ACK waits
        std::unique_ptr<message::message> ack; // the ACK we sent, for 2xx retransmissions
    };

    // The policy answers the call itself: no leg B.
    void answer_here(const answer_decision& ans, time_point now) {
        if (ans.status < 200 || ans.status > 699) {
            respond_a(500);
            end("bad local answer", 500, now);
            return;
        }
        if (ans.status >= 300) {
            respond_a(ans.status, ans.reason);
            end("answered here", ans.status, now);
            return;
        }
        local_ = true;
        local_sdp_ = ans.sdp;
        respond_a(ans.status, ans.reason, local_sdp_);
        timers(leg::a).on_2xx_sent(now);
        invite_a_.reset();
        state_ = state::confirmed;
        answered_ = now;
        emit(call_event::kind::answered, ans.status, "answered here", now);
    }
    // An in-dialog request (not BYE, not ACK) to a call answered here: re-INVITE gets our
    // session description again, the rest 200.
    void local_request(leg from, std::uint64_t ref, const message::message& req) {
        (void)oa(from).on_incoming(req);
        auto r = message::make_response(req, 200, {}, {},
                                        req.method() == message::method_id::invite ? contact_line(from) : "");
        if (!r) return;
        if (req.method() == message::method_id::invite && !local_sdp_.empty())
            r->set_body("application/sdp", local_sdp_);
        send_response(from, ref, std::move(*r));
    }

    static invite_out fresh_invite(std::uint64_t ref, bool offer) {
        invite_out io;
        io.ref = ref;
        io.offer_in_request = offer;
        return io;
    }

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

    static constexpr int ix(leg l) noexcept { return l == leg::a ? 0 : 1; }
    dialog::session_timer& timers(leg l) noexcept { return timers_[ix(l)]; }
    const dialog::session_timer& timers(leg l) const noexcept { return timers_[ix(l)]; }

    static constexpr std::string_view session_expired_reason =
        "Reason: SIP ;cause=408 ;text=\"Session expired\"\r\n";

    // Every action goes out here. With session timers, the last session description sent on
    // each leg is kept: a refresh by re-INVITE offers it again (RFC 4028 7.4, RFC 3264 8).
    void push(action a) {
        if (timers_[0].enabled()) {
            auto note = [this](leg l, const message::message& m) {
                if (message::find_sdp(m).empty()) return;
                last_sdp_[ix(l)] = std::string(message::find_sdp(m));
            };
            if (auto* r = std::get_if<respond>(&a))
                note(r->to, r->response);
            else if (auto* q = std::get_if<send_request>(&a))
                note(q->to, q->request);
            else if (auto* k = std::get_if<send_ack>(&a))
                note(k->to, k->ack);
        }
        actions_.push_back(std::move(a));
    }

    // Half the session interval is over and we are the refresher on leg `l` (RFC 4028 7.4 /
    // 10): UPDATE without a body when the peer allows UPDATE, else a re-INVITE offering the
    // session description it has again. An INVITE already in progress refreshes as well.
    void refresh(leg l, time_point now) {
        dialog::dialog* d = dialog_of(l);
        if (!d || state_ != state::confirmed || refresh_ref_[ix(l)]) return;
        bool update = peer_update_[ix(l)] || last_sdp_[ix(l)].empty();
        std::string extra = timers(l).request_headers();
        dialog::request_options opts;
        opts.extra_headers = extra;
        if (!update) {
            opts.body = last_sdp_[ix(l)];
            opts.content_type = "application/sdp";
        }
        auto req = d->make_request(update ? "UPDATE" : "INVITE", opts);
        if (!req) return; // an INVITE in progress: its 2xx refreshes the session
        std::uint64_t ref = next_ref_++;
        refresh_ref_[ix(l)] = ref;
        if (!update) {
            (void)oa(l).on_outgoing(*req);
            out(l) = fresh_invite(ref, true);
        }
        (void)now;
        push(send_request{l, ref, std::move(*req)});
    }

    // The response to our session refresh on leg `from`.
    void on_refresh_response(leg from, const message::message& rsp, time_point now) {
        int code = rsp.status();
        if (code < 200) return;
        refresh_ref_[ix(from)] = 0;
        dialog::dialog* d = dialog_of(from);
        if (d) (void)d->on_response(rsp);
        (void)oa(from).on_incoming(rsp);
        bool invite = rsp.cseq() && rsp.cseq()->method == message::method_id::invite;
        if (invite) {
            out(from).final_seen = true;
            if (code < 300) {
                out(from).to_tag = rsp.to() ? std::string(rsp.to()->tag()) : std::string();
                ack_now(from, rsp, {}, now);
            }
        }
        if (state_ != state::confirmed) return;
        if (code < 300) {
            timers(from).on_2xx_received(rsp, now);
        } else if (code == 422 && timers(from).on_422(rsp)) {
            refresh(from, now); // again, with the interval the peer asks for
        } else if (code == 408 || code == 481) {
            // the peer lost the dialog (RFC 3261 12.2.1.2): the call is over
            end_both("session refresh failed", now, session_expired_reason);
        }
        // any other failure: the session ends at its expiry unless a refresh gets through
    }
    sdp::offer_answer& oa(leg l) noexcept { return oa_[ix(l)]; }
    invite_out& out(leg l) noexcept { return out_[ix(l)]; }

    dialog::dialog* dialog_of(leg l) noexcept {
        auto& d = l == leg::a ? dialog_a_ : dialog_b_;
        return d ? &*d : nullptr;
    }
    std::string contact_line(leg l) const {
        return "Contact: <" + (l == leg::a ? a_.contact : b_.contact) + ">\r\n";
    }

    bool relay_allowed(const message::message& req, leg from) {
        if constexpr (requires(Policy & p) {
                          { p.relay_in_dialog(req, from) } -> std::convertible_to<bool>;
                      }) {
            if (policy_) return guarded(false, [&] { return policy_->relay_in_dialog(req, from); });
        }
        return true;
    }

    // The SDP of a message from leg `from` as the other leg is to see it, by its role ("" for
    // none); nothing when the relay cannot rewrite it (then it must not cross at all).
    std::optional<std::string> rewrite(leg from, const sdp::oa_result& r, bool offer_in_request) {
        if (r.sdp.empty() || !session_) return std::string();
        result<std::string> out = std::string(r.sdp);
        switch (r.role) {
        case sdp::body_role::offer:
        case sdp::body_role::preview: out = relay_.offer(*session_, from, r.sdp); break;
        case sdp::body_role::answer: out = relay_.answer(*session_, from, r.sdp); break;
        case sdp::body_role::repeat:
            out = offer_in_request ? relay_.answer(*session_, from, r.sdp)
                                   : relay_.offer(*session_, from, r.sdp);
            break;
        case sdp::body_role::none: break; // outside offer/answer: as it came
        }
        if (!out) return std::nullopt;
        return std::move(*out);
    }
    // The header lines of `m` (from leg other(to)) that cross to leg `to`.
    std::string crossing(const message::message& m, leg to) const {
        const header_rules* rules = nullptr;
        if constexpr (requires(Policy & p) {
                          { p.header_rules_for(to) } -> std::convertible_to<const header_rules*>;
                      }) {
            if (policy_) rules = guarded(rules, [&] { return policy_->header_rules_for(to); });
        }
        return detail::crossing_headers(m, timers(to).enabled() || timers(other(to)).enabled(), rules);
    }
    static bool allows_update(const message::message& m) {
        bool yes = false;
        (void)m.for_each_element(message::header_id::allow, [&](std::string_view method) {
            yes = yes || message::detail::iequals(message::detail::trim(method), "UPDATE");
            return true;
        });
        return yes;
    }
    static void copy_body(const message::message& from, message::message& to) {
        std::string_view type = from.header(message::header_id::content_type);
        if (!type.empty()) to.set_body(type, from.body());
    }

    // ACKs the 2xx `ok` received on leg `to` (RFC 3261 13.2.2.4), with the answer `body` when
    // the 2xx carried an offer; kept for the 2xx's retransmissions.
    void ack_now(leg to, const message::message& ok, const std::string& body, time_point now) {
        tidy_at_ = now + linger_;
        dialog::dialog* d = dialog_of(to);
        if (!d) return;
        dialog::request_options opts;
        opts.body = body;
        opts.content_type = body.empty() ? std::string_view{} : std::string_view("application/sdp");
        auto ack = d->make_ack(ok, opts);
        if (!ack) return;
        (void)oa(to).on_outgoing(*ack);
        out(to).ack = std::make_unique<message::message>(*ack);
        push(send_ack{to, std::move(*ack)});
    }

    // A 2xx after the first to our INVITE on leg `from`: a retransmission (ACK again, if we
    // have ACKed) or the answer of another fork (ACK it, then BYE: 13.2.2.4).
    void late_2xx(leg from, const message::message& rsp, time_point) {
        // (after `tidy()` the transaction is over: no 2xx comes any more)
        invite_out& io = out(from);
        std::string_view tag = rsp.to() ? rsp.to()->tag() : std::string_view{};
        if (tag == io.to_tag) {
            if (io.ack) push(send_ack{from, *io.ack});
            return;
        }
        if (from != leg::b || tag.empty() || !invite_b_) return;
        bool known = std::find(forks_.begin(), forks_.end(), tag) != forks_.end();
        auto d = dialog::dialog::uac(*invite_b_, rsp);
        if (!d) return;
        d->set_local_target(b_.contact);
        if (auto ack = d->make_ack(rsp)) push(send_ack{leg::b, std::move(*ack)});
        if (known) return; // its BYE went out already
        forks_.emplace_back(tag);
        if (auto bye = d->make_request("BYE")) {
            std::uint64_t ref = next_ref_++;
            byes_.push_back(ref);
            push(send_request{leg::b, ref, std::move(*bye)});
        }
    }

    // A response to leg A's INVITE (its server transaction).
    void respond_a(int status, std::string_view reason = {}, std::string_view sdp = {},
                   std::string extra = {}) {
        if (status >= 101 || !extra.empty()) extra = contact_line(leg::a) + extra;
        if (!invite_a_) return; // answered already: leg A's INVITE has its final response
        if (status >= 200 && status < 300) extra += timers(leg::a).response_headers(*invite_a_);
        auto r = message::make_response(*invite_a_, status, reason,
                                        status > 100 ? std::string_view(a_.tag) : "", extra);
        if (!r) return;
        if (!sdp.empty()) r->set_body("application/sdp", sdp);
        if (status >= 200 && status < 300) {
            auto d = dialog::dialog::uas(*invite_a_, *r);
            if (d) {
                d->set_local_target(a_.contact);
                d->on_response_sent(*r);
                dialog_a_ = std::move(*d);
            }
        }
        if (status > 100) (void)oa(leg::a).on_outgoing(*r);
        push(respond{leg::a, invite_a_ref_, std::move(*r)});
    }

    // Sends leg B's INVITE (again, after a failure, with the next CSeq) along `route`.
    bool place_b(const route_decision& route, time_point now) {
        auto b = build_invite_b(route, offer_b_, ++attempts_);
        if (!b) return false;
        (void)oa(leg::b).on_outgoing(*b);
        invite_b_ = std::make_unique<message::message>(*b);
        invite_b_ref_ = next_ref_++;
        out(leg::b) = fresh_invite(invite_b_ref_, !offer_b_.empty());
        push(send_request{leg::b, invite_b_ref_, std::move(*b)});
        state_ = state::calling;
        emit(call_event::kind::attempt, 0, {}, now);
        return true;
    }

    result<message::message> build_invite_b(const route_decision& route, const std::string& sdp, int cseq) {
        auto from = invite_a_->from();
        auto to = invite_a_->to();
        if (!from || !to) return parse_errc::bad_name_addr;
        // Leg A's identities without its addresses: the user parts are kept, the host is ours
        std::string host = detail::host_of(b_.contact);
        std::string from_uri =
            route.from_uri.empty() ? detail::hide_host(from->uri_text, host) : route.from_uri;
        std::string to_uri = route.to_uri.empty() ? detail::hide_host(to->uri_text, host) : route.to_uri;
        std::string display =
            route.from_display.empty() ? std::string(from->display_name) : route.from_display;
        if (!display.empty() && display.front() != '"') display = "\"" + display + "\"";
        // RFC 7332 / 16.6 item 3: Max-Forwards goes down by one across the B2BUA
        std::uint32_t mf = invite_a_->max_forwards().value_or(70u);
        std::string s;
        message::message_writer w{s};
        w.request_line("INVITE", route.request_uri)
            .header("Max-Forwards", std::to_string(mf > 0 ? mf - 1 : 0))
            .header("From",
                    (display.empty() ? std::string() : display + " ") + "<" + from_uri + ">;tag=" + b_.tag)
            .header("To", "<" + to_uri + ">")
            .header("Call-ID", b_.call_id)
            .header("CSeq", std::to_string(cseq) + " INVITE")
            .header("Contact", "<" + b_.contact + ">");
        if (!route.next_hop.empty()) {
            // loose routing toward the next hop (RFC 3261 16.12.1.1: ;lr marks a loose router)
            std::string hop = route.next_hop;
            auto u = message::parse_uri(hop);
            if (!u || !u->params.contains("lr")) hop += ";lr";
            w.header("Route", "<" + hop + ">");
        }
        for (const std::string& name : route.copy_headers)
            for (message::header_field f : invite_a_->headers())
                if (detail_iequals(f.name, name)) w.header(f.name, f.value);
        s.append(route.extra_headers);
        s.append(timers(leg::b).request_headers());
        w.finish(sdp, sdp.empty() ? std::string_view{} : std::string_view("application/sdp"));
        return message::message::parse(s);
    }
    static bool detail_iequals(std::string_view a, std::string_view b) {
        return message::to_header_id(a) != message::header_id::other
                   ? message::to_header_id(a) == message::to_header_id(b)
                   : message::detail::iequals(a, b);
    }

    void on_invite_response(const message::message& rsp, time_point now) {
        int code = rsp.status();
        if (code == 100) return;
        invite_out& io = out(leg::b);
        if (code >= 200) io.final_seen = true;
        if (state_ == state::cancelling || state_ == state::ended || state_ == state::ending) {
            if (code >= 200 && code < 300) {
                // the 2xx crossed our CANCEL: ACK it and end leg B with a BYE (9.1, 15)
                io.to_tag = rsp.to() ? std::string(rsp.to()->tag()) : std::string();
                auto d = dialog::dialog::uac(*invite_b_, rsp);
                if (d) {
                    dialog_b_ = std::move(*d);
                    ack_now(leg::b, rsp, {}, now);
                    send_bye(leg::b, "cancelled", now);
                    return;
                }
            }
            if (code >= 200) finish(now);
            return;
        }
        sdp::oa_result role = oa(leg::b).on_incoming(rsp);
        auto sdp = rewrite(leg::b, role, io.offer_in_request);
        if (code < 200) {
            // 180/183 relayed, with the early-media SDP when there is one (none when the relay
            // cannot carry it: the callee's own never crosses)
            if (state_ == state::calling) emit(call_event::kind::ringing, code, {}, now);
            state_ = state::early;
            respond_a(code, rsp.reason(), sdp ? *sdp : std::string(), crossing(rsp, leg::a));
            return;
        }
        if (code < 300) {
            auto d = dialog::dialog::uac(*invite_b_, rsp);
            if (d) {
                d->set_local_target(b_.contact);
                dialog_b_ = std::move(*d);
            }
            io.to_tag = rsp.to() ? std::string(rsp.to()->tag()) : std::string();
            no_answer_at_.reset();
            route_.reset();
            peer_update_[ix(leg::b)] = allows_update(rsp);
            timers(leg::b).on_2xx_received(rsp, now);
            if (!sdp) {
                // the relay cannot carry the callee's answer: the call fails (500 on leg A,
                // ACK and BYE on leg B) rather than leak it
                ack_now(leg::b, rsp, {}, now);
                respond_a(500);
                invite_a_.reset();
                state_ = state::confirmed;
                send_bye(leg::b, "media refused", now);
                return;
            }
            // an offer-less INVITE: the offer is in this 2xx, the answer comes in leg A's ACK
            if (oa(leg::b).answer_due_in_ack()) {
                io.ack_waits = true;
                io.ok = std::make_unique<message::message>(rsp);
            } else {
                ack_now(leg::b, rsp, {}, now);
            }
            respond_a(code, rsp.reason(), *sdp, crossing(rsp, leg::a));
            timers(leg::a).on_2xx_sent(now);
            invite_a_.reset(); // answered: leg A's INVITE is not needed any more
            state_ = state::confirmed;
            answered_ = now;
            if (max_duration_.count() > 0) max_end_at_ = now + max_duration_;
            emit(call_event::kind::answered, code, {}, now);
            return;
        }
        if (code == 422 && route_ && attempts_ < max_attempts && timers(leg::b).on_422(rsp)) {
            // RFC 4028 7.4: again, with the interval leg B asks for at least
            io = invite_out{};
            route_decision again = *route_;
            if (place_b(again, now)) return;
        }
        // 3xx-6xx: the policy may try elsewhere first (same leg-B dialog identity, next CSeq)
        if constexpr (requires(Policy & p) {
                          {
                              p.retry(*invite_a_, code, attempts_)
                              } -> std::convertible_to<std::optional<route_decision>>;
                      }) {
            if (policy_ && attempts_ < max_attempts) {
                auto again = guarded(std::optional<route_decision>(), [&] {
                    return std::optional<route_decision>(policy_->retry(*invite_a_, code, attempts_));
                });
                if (again) {
                    io = invite_out{};
                    if (place_b(*again, now)) return;
                }
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
        respond_a(status, status == code ? rsp.reason() : std::string_view{}, {},
                  reason_hdr + crossing(rsp, leg::a));
        end("rejected by callee", status, now);
    }

    void cancel_b(std::string_view cause, int status, time_point now) {
        push(cancel_request{invite_b_ref_});
        state_ = state::cancelling;
        no_answer_at_.reset();
        emit(call_event::kind::ended, status, cause, now);
        // the call finishes when leg B's INVITE gets its final response (487 or a crossing 2xx)
    }

    // Requests relayed across that will not be answered now that the call ends: 487 to their
    // senders (RFC 3261 15.1.2); their late responses are ACKed if 2xx, else ignored.
    void abandon_relays() {
        for (auto& [ref, p] : relayed_) respond_to(p, 487);
        relayed_.clear();
    }
    void respond_to(const pending_relay& p, int status) {
        if (auto back = message::make_response(p.request, status, {}, {}))
            send_response(p.to, p.incoming_ref, std::move(*back));
    }
    // Every response to an in-dialog request goes out here: its leg's dialog and offer/answer
    // state note it first.
    void send_response(leg to, std::uint64_t ref, message::message r) {
        if (dialog::dialog* d = dialog_of(to)) d->on_response_sent(r);
        (void)oa(to).on_outgoing(r);
        push(respond{to, ref, std::move(r)});
    }

    void end_both(std::string_view cause, time_point now, std::string_view reason = {}) {
        emit(call_event::kind::ended, 200, cause, now);
        abandon_relays();
        state_ = state::ending;
        bye(leg::a, now, reason);
        bye(leg::b, now, reason);
        if (byes_.empty()) finish(now);
    }

    void send_bye(leg to, std::string_view cause, time_point now, std::string_view reason = {}) {
        if (state_ != state::cancelling) emit(call_event::kind::ended, 200, cause, now);
        state_ = state::ending;
        bye(to, now, reason);
        if (byes_.empty()) finish(now);
    }
    void bye(leg to, time_point, std::string_view reason = {}) {
        timers(to).stop();
        dialog::dialog* d = dialog_of(to);
        if (!d) return;
        dialog::request_options opts;
        opts.extra_headers = reason;
        auto m = d->make_request("BYE", opts);
        if (!m) return;
        std::uint64_t ref = next_ref_++;
        byes_.push_back(ref);
        push(send_request{to, ref, std::move(*m)});
    }
    // A BYE we sent got its final response or failed: the call ends with the last one.
    void bye_done(std::uint64_t ref, time_point now) {
        auto it = std::find(byes_.begin(), byes_.end(), ref);
        if (it == byes_.end()) return;
        byes_.erase(it);
        if (byes_.empty() && state_ == state::ending) finish(now);
    }

    void end(std::string_view cause, int status, time_point now) {
        emit(call_event::kind::ended, status, cause, now);
        finish(now);
    }

    // The INVITE transactions are over (64*T1 after the last ACK we sent): what a 2xx
    // retransmission or a fork would need goes; the dialogs stay.
    void tidy() {
        tidy_at_.reset();
        if (state_ != state::confirmed) return;
        invite_b_.reset();
        std::vector<std::string>().swap(forks_);
        std::string().swap(offer_b_);
        for (invite_out& io : out_)
            if (!io.ack_waits) {
                io.ok.reset();
                io.ack.reset();
            }
    }

    void finish(time_point) {
        if (state_ == state::ended) return;
        state_ = state::ended;
        no_answer_at_.reset();
        tidy_at_.reset();
        max_end_at_.reset();
        route_.reset();
        for (auto& t : timers_) t.stop();
        if (session_) relay_.close(*session_);
        session_.reset();
        push(finished{});
    }

    void emit(call_event::kind k, int status, std::string_view cause, time_point now) {
        call_event e;
        e.what = k;
        e.call_id_a = a_.call_id;
        e.status = status;
        e.cause = cause;
        auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); };
        e.setup = ms((answered_ ? *answered_ : now) - started_);
        if (answered_ && k == call_event::kind::ended) e.duration = ms(now - *answered_);
        push(report{e});
    }

    Relay& relay_;
    Policy* policy_;
    leg_identity a_;
    leg_identity b_;
    state state_ = state::calling;
    std::unique_ptr<message::message> invite_a_; // until the answer (on the heap: a call is
                                                 // small for the rest of its life)
    std::unique_ptr<message::message> invite_b_; // until 64*T1 after the answer (forks)
    std::string offer_b_;   // leg A's offer as leg B gets it ("" for an offer-less INVITE)
    bool local_ = false;    // answered here (`answer_decision`): no leg B
    std::string local_sdp_; // our session description then
    int attempts_ = 0;
    std::uint64_t invite_a_ref_ = 0;
    std::uint64_t invite_b_ref_ = 0;
    std::vector<std::uint64_t> byes_; // BYEs sent, waiting for their final response
    std::vector<std::string> forks_;  // To tags of leg-B forks we ACKed and BYEd
    std::uint64_t next_ref_ = 1;
    std::optional<typename Relay::session> session_;
    std::optional<dialog::dialog> dialog_a_;
    std::optional<dialog::dialog> dialog_b_;
    sdp::offer_answer oa_[2]{sdp::offer_answer(false), sdp::offer_answer(false)}; // roles only
    invite_out out_[2];
    std::map<std::uint64_t, pending_relay> relayed_;
    std::optional<time_point> no_answer_at_;
    time_point started_{};
    std::optional<time_point> answered_;
    std::vector<action> actions_; // not a deque: libstdc++'s allocates ~600 bytes when empty
    std::size_t next_action_ = 0;
    std::chrono::milliseconds linger_;
    std::optional<time_point> tidy_at_;
    std::chrono::seconds max_duration_{0};
    std::optional<time_point> max_end_at_;
    dialog::session_timer timers_[2];
    std::unique_ptr<route_decision> route_; // until answered: a 422 from leg B sends it again
    std::uint64_t refresh_ref_[2] = {0, 0}; // our session refresh in progress per leg
    bool peer_update_[2] = {false, false};  // the peer on each leg allows UPDATE
    std::string last_sdp_[2];               // (session timers only) what each leg last got from us
};

} // namespace tandem::b2bua

#endif
