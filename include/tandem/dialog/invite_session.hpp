#ifndef TANDEM_DIALOG_INVITE_SESSION_HPP
#define TANDEM_DIALOG_INVITE_SESSION_HPP

/// @file One leg's INVITE session (RFC 3261 13-15 with RFC 3262, 3311, 4028), sans I/O: its
/// dialog (early ones per fork too), offer/answer roles, the ACK of every 2xx, reliable
/// provisional responses and their PRACKs, session timers and their refreshes, BYE.

#include <tandem/dialog/dialog.hpp>
#include <tandem/dialog/session_timer.hpp>
#include <tandem/message/message.hpp>
#include <tandem/message/multipart.hpp>
#include <tandem/message/serializer.hpp>
#include <tandem/message/validate.hpp>
#include <tandem/sdp/offer_answer.hpp>
#include <tandem/transaction/timers.hpp>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tandem::dialog {

using transaction::time_point;

/// Who we are on one leg: its Call-ID, our tag, and our Contact URI.
struct session_identity {
    std::string call_id;
    std::string tag;
    std::string contact; ///< "sip:b2bua@192.0.2.1:5060"
};

/// How an INVITE session runs.
struct session_config {
    /// How long an INVITE transaction outlives its 2xx (64*T1, RFC 6026): until then a 2xx
    /// may come again and is ACKed again from what the session keeps.
    std::chrono::milliseconds linger{64 * 500};
    /// T1, for the retransmissions of reliable provisional responses (RFC 3262 3).
    std::chrono::milliseconds t1{500};
    /// Session timers (RFC 4028) on this leg; a zero interval: none.
    session_timer_config timer{};
};

/// @name Actions of a session
/// @{
/// Send `request`; report its responses with `on_response(ref, ...)` (for an INVITE every 2xx,
/// retransmissions and other forks included: the session ACKs them itself).
struct session_send {
    std::uint64_t ref;
    message::message request;
};
/// Send this ACK of a 2xx (RFC 3261 13.2.2.4: outside any transaction).
struct session_ack {
    message::message ack;
};
/// Answer the request received as `ref` (its server transaction).
struct session_respond {
    std::uint64_t ref;
    message::message response;
};
/// CANCEL the INVITE sent as `ref` (RFC 3261 9.1).
struct session_cancel {
    std::uint64_t ref;
};
using session_action = std::variant<session_send, session_ack, session_respond, session_cancel>;
/// @}

/// The most actions a session or a call queues between two drains (an assertion: more is a bug).
inline constexpr std::size_t max_queued_actions = 4096;

/// What a response to one of our requests means to the owner of the session.
struct response_info {
    /// Not one of the session's own requests (BYE, refresh, PRACK it sent itself), nor a 2xx
    /// after the first (ACKed here): the owner waits for it.
    bool for_owner = false;
    /// Its offer/answer role on this leg.
    sdp::oa_result sdp;
    /// A 2xx that carries an offer: its ACK waits for the answer (`ack_with()`).
    bool ack_waits = false;
    /// A reliable provisional response (RFC 3262): its RSeq, which a PRACK must acknowledge
    /// (`prack()`); 0 for others. A retransmission of one already seen is not for the owner.
    std::uint32_t rseq = 0;
    /// The session is over: the last BYE was answered, or the peer lost the dialog (408/481 to
    /// a refresh).
    bool over = false;
    /// A 422 to our INVITE whose Min-SE the session adopted: send the INVITE again (RFC 4028).
    bool resend = false;
};

/// What an in-dialog request received means to the owner of the session.
struct request_info {
    enum class verdict {
        answered, ///< the session answered it (a rejection, a bodiless UPDATE refresh)
        handle,   ///< the owner handles it (relays it) and answers with `respond()`
        bye,      ///< a BYE, answered 200: the session is over
    };
    verdict what = verdict::answered;
    sdp::oa_result sdp;
};

/// What the session's clock says.
enum class session_due {
    nothing,
    expired,       ///< the session timer ran out, or our refresh got no answer: end the call
    prack_timeout, ///< our reliable provisional response got no PRACK in 64*T1 (RFC 3262 3)
};

/**
 * One leg of a call as an INVITE session, as a UAC (we sent the INVITE) or a UAS (we received
 * it). Sans I/O: inputs and `now` in, actions out. After every input drain `poll()`, then wait
 * for `next_deadline()` and call `on_time(now)`.
 *
 * It owns what one leg needs and nothing of the other: the dialog (for a UAC, an early dialog
 * per fork as well), the offer/answer roles, the ACK of every 2xx (retransmissions ACKed
 * again; a 2xx from another fork ACKed and ended with BYE, RFC 3261 13.2.2.4), reliable
 * provisional responses (RSeq and retransmission as a UAS; RSeq order and PRACK as a UAC,
 * RFC 3262), session timers (refreshes by UPDATE or re-INVITE, RFC 4028) and BYE.
 */
class invite_session {
public:
    enum class role { uac, uas };

    /// `ref_base`: the refs of this session's requests are ref_base + 2k, so that two sessions
    /// given 1 and 2 never share one.
    invite_session(role r, session_identity id, const session_config& cfg, std::uint64_t ref_base = 1)
        : role_(r), id_(std::move(id)), linger_(cfg.linger), t1_(cfg.t1), timer_(cfg.timer),
          next_ref_(ref_base) {}

    // ---- queries ----
    role side() const noexcept { return role_; }
    const session_identity& identity() const noexcept { return id_; }
    /// The dialog (confirmed, or for a UAS early); nullptr before there is one.
    dialog* current() noexcept { return dialog_ ? &*dialog_ : nullptr; }
    const dialog* current() const noexcept { return dialog_ ? &*dialog_ : nullptr; }
    /// The early dialog of the fork with remote tag `tag` (UAC), or the UAS's early dialog.
    dialog* early(std::string_view tag = {}) noexcept {
        if (role_ == role::uas)
            return dialog_ && dialog_->current() == dialog::state::early ? &*dialog_ : nullptr;
        for (auto& f : forks_)
            if (f.d && f.d->id().remote_tag == tag) return &*f.d;
        return nullptr;
    }
    bool confirmed() const noexcept { return dialog_ && dialog_->current() == dialog::state::confirmed; }
    const sdp::offer_answer& offer_answer() const noexcept { return oa_; }
    const session_timer& timer() const noexcept { return timer_; }
    /// The peer allows UPDATE (its Allow), or supports 100rel (its Supported or Require).
    bool peer_allows_update() const noexcept { return peer_update_; }
    bool peer_supports_100rel() const noexcept { return peer_100rel_; }
    bool peer_requires_100rel() const noexcept { return peer_requires_100rel_; }
    /// The initial INVITE (UAS: until its final response; UAC: until 64*T1 after the 2xx).
    const message::message* invite() const noexcept { return invite_.get(); }

    // ---- the initial INVITE, UAS side ----

    /// Leg A's INVITE, received as server transaction `ref`. Returns the rejection to send
    /// when its session interval is too small (RFC 4028 9: 422), else nothing.
    std::optional<message::rejection> on_invite(const message::message& invite, std::uint64_t ref) {
        invite_ = std::make_unique<message::message>(invite);
        invite_ref_ = ref;
        invite_cseq_ = invite.cseq() ? invite.cseq()->number : 0;
        (void)oa_.on_incoming(invite);
        note_peer(invite);
        peer_requires_100rel_ = invite.has_element(message::header_id::require, "100rel");
        return timer_.check_request(invite);
    }

    /**
     * Answers the INVITE: `status` (100-699), `sdp` as its body if not empty, `extra` header
     * lines. A 101-199 with our tag makes the early dialog; `reliable` sends it reliably
     * (RFC 3262 3: Require: 100rel and an RSeq, retransmitted until its PRACK; one at a time,
     * a later one waits for the PRACK of the first). A 2xx confirms the dialog and carries our
     * session timer. Nothing happens once a final response went out.
     */
    void respond_invite(int status, std::string_view reason, std::string_view sdp, std::string extra,
                        bool reliable, time_point now) {
        if (!invite_ || role_ != role::uas) return;
        bool reliable_1xx = reliable && status > 100 && status < 200;
        if (reliable_1xx && rel_) {
            // 3: not before the PRACK of the one in flight; the latest waits
            held_ = std::make_unique<held_provisional>(
                held_provisional{status, std::string(reason), std::string(sdp), std::move(extra)});
            return;
        }
        if (status > 100) extra = contact_line() + extra;
        if (status >= 200 && status < 300) extra += timer_.response_headers(*invite_);
        if (reliable_1xx) extra += "Require: 100rel\r\nRSeq: " + std::to_string(++rseq_) + "\r\n";
        auto r = message::make_response(*invite_, status, reason,
                                        status > 100 ? std::string_view(id_.tag) : "", extra);
        if (!r) return;
        if (!sdp.empty()) r->set_body("application/sdp", sdp);
        if (status > 100 && status < 300) {
            if (!dialog_) {
                if (auto d = dialog::uas(*invite_, *r)) {
                    d->set_local_target(id_.contact);
                    dialog_ = std::move(*d);
                }
            }
            if (dialog_ && status >= 200) dialog_->on_response_sent(*r);
        }
        if (status > 100) (void)oa_.on_outgoing(*r);
        if (status >= 200) {
            rel_.reset(); // a final response ends the reliable provisional ones (RFC 3262 3)
            held_.reset();
            if (status < 300) timer_.on_2xx_sent(now);
        } else if (reliable_1xx) {
            rel_ = std::make_unique<reliable_provisional>(
                reliable_provisional{*r, now + t1_, t1_, now + 64 * t1_, rseq_});
        }
        push(session_respond{invite_ref_, std::move(*r)});
        if (status >= 200) invite_.reset(); // answered: not needed any more
    }

    /// True while the INVITE received still waits for its final response.
    bool invite_pending() const noexcept { return role_ == role::uas && invite_ != nullptr; }

    /**
     * A PRACK received in the early dialog (RFC 3262 3): acknowledges our reliable provisional
     * response if its RAck names it, stopping its retransmissions (and sending the one held
     * back). Returns its offer/answer role when it did, nothing when not; the owner answers
     * the PRACK (481 when it did not).
     */
    std::optional<sdp::oa_result> on_prack(const message::message& prack, time_point now) {
        if (!rel_ || !dialog_) return std::nullopt;
        auto rack = message::parse_rack(prack.header(message::header_id::rack));
        if (!rack || rack->rseq != rel_->rseq || rack->cseq != invite_cseq_ || rack->method != "INVITE")
            return std::nullopt;
        if (dialog_->on_request(prack)) return std::nullopt; // out of order
        sdp::oa_result sdp_role = oa_.on_incoming(prack);
        rel_.reset();
        if (held_) {
            held_provisional h = std::move(*held_);
            held_.reset();
            respond_invite(h.status, h.reason, h.sdp, h.extra, true, now);
        }
        return sdp_role;
    }

    // ---- the initial INVITE, UAC side ----

    /// The header lines leg B's INVITE carries for this session, for its builder to write:
    /// our session timer (RFC 4028) and one Supported with every option tag we offer
    /// ("timer", and "100rel" with `offer_100rel`, RFC 3262 4).
    std::string invite_headers() const {
        std::string tags = timer_.enabled() ? "timer" : "";
        if (offer_100rel_) tags += tags.empty() ? "100rel" : ", 100rel";
        std::string lines = timer_.request_headers(false);
        if (!tags.empty()) lines += "Supported: " + tags + "\r\n";
        return lines;
    }

    /// Sends leg B's INVITE (built by the owner with `invite_headers()`: Request-URI, From,
    /// To, Call-ID, CSeq, Contact, body). Sending it again (a retry after 422 or elsewhere) is
    /// the same call with the next CSeq. Returns its ref.
    std::uint64_t send_invite(message::message invite) {
        (void)oa_.on_outgoing(invite);
        invite_cseq_ = invite.cseq() ? invite.cseq()->number : 0;
        invite_ = std::make_unique<message::message>(invite);
        forks_.clear();
        dialog_.reset();
        std::uint64_t ref = new_ref();
        invite_ref_ = ref;
        out_ = invite_out{};
        out_.ref = ref;
        out_.offer_in_request = !message::find_sdp(invite).empty();
        push(session_send{ref, std::move(invite)});
        return ref;
    }
    /// Offer 100rel in the INVITE (`Supported: 100rel`, RFC 3262 4).
    void offer_100rel(bool yes) noexcept { offer_100rel_ = yes; }
    /// The ref of the INVITE being placed (UAC), or of the INVITE received (UAS).
    std::uint64_t invite_ref() const noexcept { return invite_ref_; }
    /// CANCELs the INVITE we sent (RFC 3261 9.1).
    void cancel_invite() { push(session_cancel{invite_ref_}); }
    /// CANCELs another INVITE we sent (a re-INVITE) as `ref`.
    void cancel(std::uint64_t ref) { push(session_cancel{ref}); }

    /**
     * Sends a PRACK for the reliable provisional response `rseq` of fork `tag` (RFC 3262 4),
     * with `body` (an SDP offer or answer) if not empty, and `extra` header lines. Its response
     * is for the owner when `for_owner`, else the session takes it. Returns its ref, or 0 when
     * there is no such early dialog.
     */
    std::uint64_t prack(std::string_view tag, std::uint32_t rseq, std::string_view body = {},
                        std::string_view extra = {}, bool for_owner = false) {
        dialog* d = early(tag);
        if (!d) return 0;
        std::string lines =
            "RAck: " + std::to_string(rseq) + " " + std::to_string(invite_cseq_) + " INVITE\r\n";
        lines += extra;
        request_options opts;
        opts.extra_headers = lines;
        opts.body = body;
        opts.content_type = body.empty() ? std::string_view{} : std::string_view("application/sdp");
        auto req = d->make_request("PRACK", opts);
        if (!req) return 0;
        (void)oa_.on_outgoing(*req);
        std::uint64_t ref = new_ref();
        if (!for_owner) own_.push_back(ref);
        push(session_send{ref, std::move(*req)});
        return ref;
    }

    // ---- in-dialog requests ----

    /**
     * Sends `method` in the dialog (confirmed, or the early dialog of fork `tag`), with `extra`
     * header lines and `body` of `content_type`. An INVITE or UPDATE carries our session timer.
     * Returns its ref, or the dialog's error (`invite_in_progress`: glare, answer 491).
     */
    result<std::uint64_t> send(std::string_view method, std::string extra, std::string_view body = {},
                               std::string_view content_type = {}, std::string_view tag = {}) {
        dialog* d = confirmed() ? &*dialog_ : (role_ == role::uas ? early() : early(tag));
        if (!d && dialog_) d = &*dialog_;
        if (!d) return dialog_errc::terminated;
        bool invite = method == "INVITE";
        if (invite || method == "UPDATE") extra += timer_.request_headers();
        request_options opts;
        opts.extra_headers = extra;
        opts.body = body;
        opts.content_type = content_type;
        auto req = d->make_request(method, opts);
        if (!req) return req.error();
        (void)oa_.on_outgoing(*req);
        std::uint64_t ref = new_ref();
        if (invite) {
            out_ = invite_out{};
            out_.ref = ref;
            out_.offer_in_request = !message::find_sdp(*req).empty();
        }
        push(session_send{ref, std::move(*req)});
        return ref;
    }

    /**
     * An in-dialog request received as `ref` (not ACK, not CANCEL, not a PRACK matched by
     * `on_prack`). The session answers what is its own: what the dialog refuses (481, 491,
     * 500...), a session interval too small (422), a bodiless UPDATE that only refreshes this
     * leg's session (RFC 4028), and BYE (200). The rest is the owner's, to answer with
     * `respond()`.
     */
    request_info on_request(const message::message& req, std::uint64_t ref, time_point now) {
        request_info info;
        dialog* d = dialog_ ? &*dialog_ : nullptr;
        if (!d && role_ == role::uac && req.from()) d = early(req.from()->tag());
        if (!d) {
            reply(req, ref, 481);
            return info;
        }
        if (auto rej = d->on_request(req)) {
            reply(req, ref, rej->status, message::extra_headers(*rej), rej->reason);
            return info;
        }
        if (req.method() == message::method_id::bye) {
            // RFC 3261 15.1.2: 200, and the session is over
            auto ok = message::make_response(req, 200, {}, {});
            if (ok) {
                d->on_response_sent(*ok);
                push(session_respond{ref, std::move(*ok)});
            }
            timer_.stop();
            info.what = request_info::verdict::bye;
            return info;
        }
        bool refreshing =
            req.method() == message::method_id::invite || req.method() == message::method_id::update;
        if (refreshing) {
            if (auto too_small = timer_.check_request(req)) {
                reply(req, ref, too_small->status, message::extra_headers(*too_small));
                return info;
            }
            if (req.method() == message::method_id::update && req.body().empty() && timer_.enabled() &&
                confirmed()) {
                // a bodiless UPDATE only refreshes this leg's session: answered here
                respond(ref, req, 200, {}, {}, {}, {}, now);
                return info;
            }
        }
        info.sdp = oa_.on_incoming(req);
        if (info.sdp.error && info.sdp.reject_with) {
            reply(req, ref, info.sdp.reject_with, info.sdp.reject_with == 500 ? "Retry-After: 3\r\n" : "");
            return info;
        }
        info.what = request_info::verdict::handle;
        return info;
    }

    /**
     * Answers in-dialog request `req` (received as `ref`) with `status`, `extra` header lines
     * and `body`. Our Contact goes on every response; a 2xx to an INVITE or UPDATE carries our
     * session timer and restarts it.
     */
    void respond(std::uint64_t ref, const message::message& req, int status, std::string_view reason,
                 std::string extra, std::string_view body, std::string_view content_type, time_point now) {
        bool refreshing =
            req.method() == message::method_id::invite || req.method() == message::method_id::update;
        bool ok = status >= 200 && status < 300;
        if (ok && refreshing) extra += timer_.response_headers(req);
        auto r = message::make_response(req, status, reason, {}, contact_line() + extra);
        if (!r) return;
        if (!body.empty() && !content_type.empty()) r->set_body(content_type, body);
        if (dialog_) dialog_->on_response_sent(*r);
        (void)oa_.on_outgoing(*r);
        if (ok && refreshing) timer_.on_2xx_sent(now);
        push(session_respond{ref, std::move(*r)});
    }

    /// The ACK of a 2xx we sent (RFC 3261 13.3.1.4): its offer/answer role (an answer when our
    /// 2xx carried the offer).
    sdp::oa_result on_ack(const message::message& ack) {
        if (dialog_) (void)dialog_->on_request(ack);
        return oa_.on_incoming(ack);
    }

    /// No ACK came for our 2xx: the dialog is over (the owner ends the call).
    void on_ack_timeout() {
        if (dialog_) dialog_->terminate();
        timer_.stop();
    }

    // ---- responses to our requests ----

    /**
     * A response to the request we sent as `ref`. The session ACKs every 2xx to an INVITE
     * (RFC 3261 13.2.2.4) unless it carries an offer whose answer the owner must give
     * (`ack_with`), ACKs again the retransmissions, ends other forks (ACK and BYE), notes the
     * dialog, offer/answer and session timer, and takes the responses to its own requests.
     */
    response_info on_response(std::uint64_t ref, const message::message& rsp, time_point now) {
        response_info info;
        int code = rsp.status();
        bool invite = rsp.cseq() && rsp.cseq()->method == message::method_id::invite;
        if (invite && ref == out_.ref && out_.final_seen && code >= 200 && code < 300) {
            late_2xx(rsp);
            return info;
        }
        if (role_ == role::uac && ref == invite_ref_ && invite_) return on_invite_response(rsp, now);
        if (auto it = std::find(own_.begin(), own_.end(), ref); it != own_.end()) {
            if (code >= 200) own_.erase(it);
            return on_own_response(ref, rsp, now);
        }
        if (dialog_)
            (void)dialog_->on_response(rsp);
        else if (dialog* e = early(rsp.to() ? rsp.to()->tag() : std::string_view{}))
            (void)e->on_response(rsp);
        info.sdp = oa_.on_incoming(rsp);
        info.for_owner = true;
        bool refreshing = invite || (rsp.cseq() && rsp.cseq()->method == message::method_id::update);
        if (refreshing && code >= 200 && code < 300) timer_.on_2xx_received(rsp, now);
        if (invite && code >= 200 && ref == out_.ref) {
            out_.final_seen = true;
            if (code < 300) {
                out_.to_tag = rsp.to() ? std::string(rsp.to()->tag()) : std::string();
                info.ack_waits = wait_or_ack(rsp, now);
            }
        }
        if (dialog_ && dialog_->current() == dialog::state::terminated) info.over = true;
        return info;
    }

    /// The request sent as `ref` failed without a response (timeout or transport). True when
    /// that ends the session (our refresh got no answer: RFC 4028 10; the last BYE failed).
    bool on_failure(std::uint64_t ref) {
        if (ref == out_.ref) out_.final_seen = true;
        auto it = std::find(own_.begin(), own_.end(), ref);
        if (it == own_.end()) return false;
        own_.erase(it);
        if (ref == refresh_ref_) {
            refresh_ref_ = 0;
            return true;
        }
        return bye_done(ref);
    }

    /// ACKs the 2xx whose ACK waited for an answer, with `answer` (empty: none could be had).
    void ack_with(std::string_view answer, time_point now) {
        if (!out_.ok) return;
        out_.ack_waits = false;
        message::message ok = std::move(*out_.ok);
        out_.ok.reset();
        ack_now(ok, answer, now);
    }
    /// Whether a 2xx waits for its ACK's answer.
    bool ack_waiting() const noexcept { return out_.ack_waits && out_.ok; }

    // ---- the end ----

    /// Sends BYE (with `extra` header lines, e.g. a Reason) if there is a dialog to end.
    /// Returns whether one went out; the session is over when it is answered.
    bool bye(std::string_view extra = {}) {
        timer_.stop();
        rel_.reset();
        dialog* d = dialog_ ? &*dialog_ : nullptr;
        if (!d) return false;
        request_options opts;
        opts.extra_headers = extra;
        auto m = d->make_request("BYE", opts);
        if (!m) return false;
        std::uint64_t ref = new_ref();
        own_.push_back(ref);
        byes_.push_back(ref);
        push(session_send{ref, std::move(*m)});
        return true;
    }
    /// Whether BYEs we sent still wait for their answer.
    bool bye_pending() const noexcept { return !byes_.empty(); }
    /// Stops the session's clocks (the call is over).
    void stop() noexcept {
        timer_.stop();
        rel_.reset();
        held_.reset();
        tidy_at_.reset();
        retry_at_.reset();
    }

    // ---- time ----

    std::optional<time_point> next_deadline() const noexcept {
        std::optional<time_point> d = timer_.next_deadline();
        auto take = [&](std::optional<time_point> t) {
            if (t && (!d || *t < *d)) d = t;
        };
        take(tidy_at_);
        take(retry_at_);
        if (rel_) take(std::min(rel_->next, rel_->give_up));
        return d;
    }

    session_due on_time(time_point now) {
        if (tidy_at_ && *tidy_at_ <= now) tidy();
        if (retry_at_ && *retry_at_ <= now) {
            retry_at_.reset();
            refresh(now);
        }
        // (everything due is handled: nothing may stay in the past, or the driver would spin)
        session_due due = session_due::nothing;
        if (rel_) {
            if (rel_->give_up <= now) {
                rel_.reset();
                held_.reset();
                due = session_due::prack_timeout;
            } else if (rel_->next <= now) {
                // RFC 3262 3: again at T1, 2*T1, 4*T1...
                rel_->interval *= 2;
                rel_->next = now + rel_->interval;
                push(session_respond{invite_ref_, rel_->response});
            }
        }
        switch (timer_.on_time(now)) {
        case session_timer::due::refresh: refresh(now); break;
        case session_timer::due::expired: due = session_due::expired; break;
        case session_timer::due::nothing: break;
        }
        return due;
    }

    std::optional<session_action> poll() {
        if (next_action_ == actions_.size()) return std::nullopt;
        session_action a = std::move(actions_[next_action_++]);
        if (next_action_ == actions_.size()) {
            // all taken: give the memory back (a session spends most of its life idle)
            std::vector<session_action>().swap(actions_);
            next_action_ = 0;
        }
        return a;
    }

private:
    // The last INVITE we sent (initial or re-INVITE).
    struct invite_out {
        std::uint64_t ref = 0;
        bool offer_in_request = false;
        bool final_seen = false;
        bool ack_waits = false; // our ACK waits for the answer from the owner
        std::string to_tag;     // of the 2xx we accepted
        // (on the heap: kept for 64*T1 at most, and a session is small the rest of its life)
        std::unique_ptr<message::message> ok;  // that 2xx, while the ACK waits
        std::unique_ptr<message::message> ack; // the ACK we sent, for 2xx retransmissions
    };
    // One fork of our INVITE (UAC): its early dialog and the last RSeq it sent reliably.
    struct fork {
        std::string tag;
        std::optional<dialog> d; // empty once ended with ACK and BYE (a late 2xx)
        std::uint32_t rseq = 0;
        bool ended = false;
    };
    struct reliable_provisional {
        message::message response;
        time_point next;
        std::chrono::milliseconds interval;
        time_point give_up;
        std::uint32_t rseq = 0;
    };
    struct held_provisional {
        int status;
        std::string reason, sdp, extra;
    };

    std::uint64_t new_ref() noexcept {
        std::uint64_t r = next_ref_;
        next_ref_ += 2;
        return r;
    }
    void push(session_action a) {
        if (timer_.enabled() && !peer_update_) {
            // the last session description this leg got from us: a refresh by re-INVITE offers
            // it again (RFC 4028 7.4, RFC 3264 8); a peer that allows UPDATE is refreshed
            // without one
            const message::message* m = nullptr;
            if (auto* r = std::get_if<session_respond>(&a))
                m = &r->response;
            else if (auto* q = std::get_if<session_send>(&a))
                m = &q->request;
            else if (auto* k = std::get_if<session_ack>(&a))
                m = &k->ack;
            if (m && !message::find_sdp(*m).empty()) last_sdp_ = std::string(message::find_sdp(*m));
        }
        // the owner drains after every input: a queue this long is a loop in the code, not load
        assert(actions_.size() - next_action_ < max_queued_actions);
        actions_.push_back(std::move(a));
    }
    std::string contact_line() const { return "Contact: <" + id_.contact + ">\r\n"; }

    // What the peer said it can do, in its INVITE or its answer to ours.
    void note_peer(const message::message& m) {
        if (m.has_header(message::header_id::allow))
            peer_update_ = m.has_element(message::header_id::allow, "UPDATE");
        if (peer_update_) std::string().swap(last_sdp_);
        peer_100rel_ = peer_100rel_ || m.has_element(message::header_id::supported, "100rel") ||
                       m.has_element(message::header_id::require, "100rel");
    }

    void reply(const message::message& req, std::uint64_t ref, int status, std::string extra = {},
               std::string_view reason = {}) {
        if (auto r = message::make_response(req, status, reason, {}, extra)) {
            if (dialog_) dialog_->on_response_sent(*r);
            push(session_respond{ref, std::move(*r)});
        }
    }

    fork* find_fork(std::string_view tag) noexcept {
        for (auto& f : forks_)
            if (f.tag == tag) return &f;
        return nullptr;
    }

    // UAC: a response to our initial INVITE.
    response_info on_invite_response(const message::message& rsp, time_point now) {
        response_info info;
        int code = rsp.status();
        std::string_view tag = rsp.to() ? rsp.to()->tag() : std::string_view{};
        if (code >= 200) out_.final_seen = true;
        if (code > 100 && code < 300 && !tag.empty()) {
            note_peer(rsp);
            fork* f = find_fork(tag);
            if (!f) {
                forks_.push_back(fork{std::string(tag), std::nullopt, 0, false});
                f = &forks_.back();
                if (auto d = dialog::uac(*invite_, rsp)) {
                    d->set_local_target(id_.contact);
                    f->d = std::move(*d);
                }
            } else if (f->d) {
                (void)f->d->on_response(rsp);
            }
            if (code < 200 && rsp.has_element(message::header_id::require, "100rel")) {
                // RFC 3262 4: in RSeq order; a retransmission is discarded
                auto rseq = message::parse_delta_seconds(rsp.header(message::header_id::rseq));
                if (!rseq || (f->rseq && *rseq <= f->rseq)) return info;
                f->rseq = static_cast<std::uint32_t>(*rseq);
                info.rseq = f->rseq;
            }
        }
        info.sdp = oa_.on_incoming(rsp);
        info.for_owner = true;
        if (code >= 200 && code < 300) {
            fork* f = find_fork(tag);
            if (f && f->d) dialog_ = std::move(f->d);
            forks_.clear(); // early dialogs of other forks are over (the 2xx wins, 13.2.2.4)
            forks_.push_back(fork{std::string(tag), std::nullopt, 0, false});
            out_.to_tag = std::string(tag);
            timer_.on_2xx_received(rsp, now);
            info.ack_waits = wait_or_ack(rsp, now);
        } else if (code >= 300) {
            forks_.clear();
            info.resend = code == 422 && timer_.on_422(rsp); // RFC 4028 7.4: the owner sends it again
        }
        return info;
    }
    // Keeps a 2xx whose ACK needs the answer to its offer, or ACKs it at once. True: it waits.
    bool wait_or_ack(const message::message& ok, time_point now) {
        if (oa_.answer_due_in_ack()) {
            out_.ack_waits = true;
            out_.ok = std::make_unique<message::message>(ok);
            return true;
        }
        ack_now(ok, {}, now);
        return false;
    }
    // ACKs the 2xx `ok` (RFC 3261 13.2.2.4), with `body` when it carried an offer; the ACK is
    // kept for the 2xx's retransmissions until 64*T1.
    void ack_now(const message::message& ok, std::string_view body, time_point now) {
        tidy_at_ = now + linger_;
        dialog* d = dialog_ ? &*dialog_ : nullptr;
        if (!d) return;
        request_options opts;
        opts.body = body;
        opts.content_type = body.empty() ? std::string_view{} : std::string_view("application/sdp");
        auto ack = d->make_ack(ok, opts);
        if (!ack) return;
        (void)oa_.on_outgoing(*ack);
        out_.ack = std::make_unique<message::message>(*ack);
        push(session_ack{std::move(*ack)});
    }
    // A 2xx after the first to our INVITE: a retransmission (ACK again) or the answer of
    // another fork (ACK it, then BYE: 13.2.2.4).
    void late_2xx(const message::message& rsp) {
        std::string_view tag = rsp.to() ? rsp.to()->tag() : std::string_view{};
        if (tag == out_.to_tag) {
            if (out_.ack) push(session_ack{*out_.ack});
            return;
        }
        if (role_ != role::uac || tag.empty() || !invite_) return;
        fork* f = find_fork(tag);
        auto d = dialog::uac(*invite_, rsp);
        if (!d) return;
        d->set_local_target(id_.contact);
        if (auto ack = d->make_ack(rsp)) push(session_ack{std::move(*ack)});
        if (f && f->ended) return; // its BYE went out already
        if (!f) {
            forks_.push_back(fork{std::string(tag), std::nullopt, 0, true});
        } else {
            f->ended = true;
            f->d.reset();
        }
        if (auto bye = d->make_request("BYE")) {
            std::uint64_t ref = new_ref();
            own_.push_back(ref);
            push(session_send{ref, std::move(*bye)});
        }
    }

    // The responses to the session's own requests: BYE, refresh, PRACK.
    response_info on_own_response(std::uint64_t ref, const message::message& rsp, time_point now) {
        response_info info;
        int code = rsp.status();
        if (code < 200) return info;
        bool invite = rsp.cseq() && rsp.cseq()->method == message::method_id::invite;
        if (dialog_) (void)dialog_->on_response(rsp);
        if (ref == refresh_ref_) {
            refresh_ref_ = 0;
            (void)oa_.on_incoming(rsp);
            if (invite && ref == out_.ref) {
                out_.final_seen = true;
                if (code < 300) {
                    out_.to_tag = rsp.to() ? std::string(rsp.to()->tag()) : std::string();
                    ack_now(rsp, {}, now);
                }
            }
            if (code < 300) {
                timer_.on_2xx_received(rsp, now);
            } else if (code == 422 && timer_.on_422(rsp)) {
                refresh(now); // again, with the interval the peer asks for
            } else if (code == 408 || code == 481) {
                info.over = true; // the peer lost the dialog (RFC 3261 12.2.1.2)
            } else if (code == 491) {
                // RFC 3261 14.1: glare; try again after a random while, 2.1-4 s if we chose the
                // Call-ID (we placed this leg), else 0-2 s
                retry_at_ = now + glare_backoff();
            }
            // any other failure: the session ends at its expiry unless a refresh gets through
            return info;
        }
        if (invite && code < 300) ack_now(rsp, {}, now); // every 2xx is ACKed (13.2.2.4)
        info.over = bye_done(ref);
        return info;
    }
    bool bye_done(std::uint64_t ref) {
        auto it = std::find(byes_.begin(), byes_.end(), ref);
        if (it == byes_.end()) return false;
        byes_.erase(it);
        return byes_.empty();
    }

    // Half the session interval is over and we refresh (RFC 4028 7.4 / 10): UPDATE without a
    // body when the peer allows UPDATE, else a re-INVITE offering the session description it
    // has again. An INVITE already in progress refreshes as well.
    void refresh(time_point) {
        if (!confirmed() || refresh_ref_) return;
        bool update = peer_update_ || last_sdp_.empty();
        std::string body = update ? std::string() : last_sdp_;
        auto ref =
            send(update ? "UPDATE" : "INVITE", {}, body, update ? std::string_view{} : "application/sdp");
        if (!ref) return; // an INVITE in progress: its 2xx refreshes the session
        refresh_ref_ = *ref;
        own_.push_back(*ref);
    }

    // RFC 3261 14.1's random wait after a 491, in 10 ms steps, drawn from our tag (itself
    // random) and the number of tries: no clock, no global generator.
    std::chrono::milliseconds glare_backoff() noexcept {
        std::uint64_t h = std::hash<std::string>{}(id_.tag) ^ (0x9e3779b97f4a7c15ull * ++glare_tries_);
        h ^= h >> 29;
        auto steps = static_cast<std::int64_t>(h % 191); // 0..190 -> 0-1.9 s
        return role_ == role::uac ? std::chrono::milliseconds(2100 + 10 * steps)
                                  : std::chrono::milliseconds(10 * (steps + 1));
    }

    // 64*T1 after the last ACK: what a 2xx retransmission or a fork would need goes.
    void tidy() {
        tidy_at_.reset();
        if (!confirmed()) return;
        if (role_ == role::uac) invite_.reset();
        std::vector<fork>().swap(forks_);
        if (!out_.ack_waits) {
            out_.ok.reset();
            out_.ack.reset();
        }
    }

    role role_;
    session_identity id_;
    std::chrono::milliseconds linger_;
    std::chrono::milliseconds t1_;
    session_timer timer_;
    std::uint64_t next_ref_;
    std::unique_ptr<message::message> invite_;
    std::uint64_t invite_ref_ = 0;
    std::uint32_t invite_cseq_ = 0;
    std::optional<dialog> dialog_;
    std::vector<fork> forks_;
    sdp::offer_answer oa_{false}; // roles only
    invite_out out_;
    std::vector<std::uint64_t> own_;  // the session's own requests in flight
    std::vector<std::uint64_t> byes_; // BYEs sent, waiting for their final response
    std::uint64_t refresh_ref_ = 0;
    bool peer_update_ = false;
    bool peer_100rel_ = false;
    bool peer_requires_100rel_ = false;
    bool offer_100rel_ = false;
    std::uint32_t rseq_ = 0;
    // (on the heap: only while a reliable 18x is in flight; a session is small otherwise)
    std::unique_ptr<reliable_provisional> rel_;
    std::unique_ptr<held_provisional> held_;
    std::string last_sdp_;
    std::optional<time_point> tidy_at_;
    std::optional<time_point> retry_at_; // a refresh again after 491 (RFC 3261 14.1)
    std::uint64_t glare_tries_ = 0;
    std::vector<session_action> actions_;
    std::size_t next_action_ = 0;
};

} // namespace tandem::dialog

#endif
