#ifndef TANDEM_SDP_OFFER_ANSWER_HPP
#define TANDEM_SDP_OFFER_ANSWER_HPP

/// @file The offer/answer state of one leg of a call (RFC 3264 with the SIP usage rules of
/// RFC 3261 13-14, RFC 3262 (PRACK), RFC 3311 (UPDATE) and RFC 6337): which message carries
/// the offer, which one the answer, and what to reject.

#include <tandem/message/error.hpp>
#include <tandem/message/message.hpp>
#include <tandem/message/multipart.hpp>
#include <tandem/sdp/error.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace tandem::sdp {

/// Where the offer/answer exchange of a leg stands (RFC 3264 4).
enum class oa_state {
    no_offer,       ///< nothing negotiated yet (or the initial INVITE failed)
    offer_sent,     ///< we sent an offer; its answer has not arrived
    offer_received, ///< we received an offer; we have not answered it yet
    stable,         ///< the last offer was answered: `local_sdp()` / `remote_sdp()` are in force
};

/// What the session description of a message is in the offer/answer model.
enum class body_role {
    none,    ///< no SDP, or SDP outside offer/answer (OPTIONS, BYE, an error response, ...)
    offer,   ///< a new offer
    answer,  ///< the answer to the outstanding offer
    repeat,  ///< a copy of an answer or offer already made in this INVITE transaction (the 2xx
             ///< after an answer in a 18x, RFC 3261 13.2.1, RFC 6337 3.1): not a new offer
    preview, ///< SDP in an unreliable 18x to an offer-less INVITE: not an offer yet, the offer
             ///< is the one in the 2xx (RFC 3261 13.2.1, RFC 6337 3.1)
};

/// How one message was classified.
struct oa_result {
    body_role role = body_role::none;
    /// An `sdp_errc` (or a `parse_errc` for a bad CSeq) when the message breaks the
    /// offer/answer rules; `role` is then `none`.
    std::error_code error;
    /// For an incoming request refused by `error`: the status the UAS must answer with
    /// (491 Request Pending or 500 with Retry-After, RFC 3261 14.2, RFC 3311 5.2); 0 if none.
    int reject_with = 0;
    /// The session description found in the message (a view into it), "" if none.
    std::string_view sdp;
};

/**
 * The offer/answer state machine of ONE leg (one dialog) of a call. Sans-I/O: feed it every
 * SIP request and response of the dialog as it is sent (`on_outgoing`) or received
 * (`on_incoming`), after the transaction layer has absorbed retransmissions (a retransmitted
 * 2xx to INVITE is recognised and reported as `repeat`). It does not parse the SDP: the caller
 * does that with `parse()` for the bodies classified `offer` or `answer`.
 *
 * Rules and where they come from:
 * - an offer is answered before a new one is made (RFC 3264 4); an offer received while one
 *   is outstanding is glare: 491 when we are the offerer, 500 with Retry-After when we owe the
 *   answer (RFC 3311 5.2, RFC 3261 14.2); an INVITE while an INVITE is in progress likewise
 *   (RFC 3261 14.2);
 * - INVITE with an offer: the answer is in the first 18x (reliable or not) or 2xx carrying
 *   SDP; later SDP in that transaction is a `repeat` (RFC 3261 13.2.1, 13.3.1, RFC 3262 5,
 *   RFC 6337 3.1). A 2xx without SDP when no answer was given is `missing_answer`;
 * - offer-less INVITE: the offer is in the first reliable 18x (answer in PRACK, RFC 3262 5)
 *   or in the 2xx (answer in ACK, RFC 3261 13.2.1); SDP in an unreliable 18x is a `preview`;
 *   a 2xx without an offer is `missing_offer`; an ACK without the answer is `missing_answer`;
 * - an ACK with SDP when no offer is pending in the 2xx is `unexpected_sdp` (RFC 3261 13.2.1);
 * - UPDATE and PRACK may carry an offer once the initial exchange completed; the answer is in
 *   their 2xx (RFC 3311 5.1-5.2, RFC 3262 5);
 * - a non-2xx final response to the request that carried or solicited the offer (a failed
 *   re-INVITE, a rejected UPDATE, a 487 after CANCEL) rolls back to the state before that
 *   request (RFC 3261 14.1, RFC 3311 5.2, RFC 6337 3.3). The finer rules of RFC 6141 for
 *   answers given in reliable 18x of a failing re-INVITE are not applied: it rolls back too.
 *
 * Errors in a request (an offer in glare, a PRACK without its answer) leave the state as it
 * was: the request is to be rejected (incoming) or not sent (outgoing). Errors in a response
 * or an ACK (which cannot be rejected) end the exchange and roll back.
 */
class offer_answer {
public:
    /// With `keep_descriptions` false, only the roles are tracked: `local_sdp()`,
    /// `remote_sdp()` and `pending_offer()` stay empty and no SDP is copied (a signaling-only
    /// B2BUA keeps no copy of each leg's session, about 1 KiB per call).
    explicit offer_answer(bool keep_descriptions = true) {
        if (keep_descriptions) t_.p = std::make_unique<texts>();
    }

    /// Classifies a message this leg sends.
    oa_result on_outgoing(const message::message& m) { return on_message(m, true); }
    /// Classifies a message this leg receives.
    oa_result on_incoming(const message::message& m) { return on_message(m, false); }

    oa_state state() const noexcept { return state_; }
    /// The local session description in force (last completed exchange), "" before that.
    const std::string& local_sdp() const noexcept { return t_.p ? t_.p->cur_local : none(); }
    /// The remote session description in force, "" before the first exchange completes.
    const std::string& remote_sdp() const noexcept { return t_.p ? t_.p->cur_remote : none(); }
    /// The outstanding offer in `offer_sent` / `offer_received`, else "".
    const std::string& pending_offer() const noexcept { return t_.p ? t_.p->offer : none(); }
    /// True while an INVITE transaction of this leg has no final response yet.
    bool invite_in_progress() const noexcept { return invite_.active; }
    /// True after a 2xx carrying an offer until the ACK with the answer (RFC 3261 13.2.1).
    bool answer_due_in_ack() const noexcept { return where_ == offer_in::response_2xx; }

private:
    // Where the outstanding offer was made, which tells where its answer goes.
    enum class offer_in : std::uint8_t { nothing, invite, reliable_1xx, response_2xx, update, prack };
    // The descriptions, kept only when asked for (on the heap, so that a roles-only machine
    // is small): in force, before the outstanding UPDATE/PRACK offer, before the INVITE.
    struct texts {
        std::string cur_local, cur_remote, before_local, before_remote, invite_local, invite_remote, offer;
    };
    struct texts_ptr { // a deep-copying owner
        std::unique_ptr<texts> p;
        texts_ptr() = default;
        texts_ptr(const texts_ptr& o) : p(o.p ? std::make_unique<texts>(*o.p) : nullptr) {}
        texts_ptr(texts_ptr&&) noexcept = default;
        texts_ptr& operator=(const texts_ptr& o) {
            if (this != &o) p = o.p ? std::make_unique<texts>(*o.p) : nullptr;
            return *this;
        }
        texts_ptr& operator=(texts_ptr&&) noexcept = default;
        ~texts_ptr() = default;
    };
    static const std::string& none() noexcept {
        static const std::string empty;
        return empty;
    }
    struct invite_tx {
        bool active = false;
        bool local = false; ///< we sent the INVITE
        std::uint32_t cseq = 0;
        bool offer_in_request = false;
        bool offer_made = false;              ///< an offer was made in the request or a response
        bool answered = false;                ///< the offer of this INVITE was answered
        oa_state before = oa_state::no_offer; ///< the state to roll back to if it fails
    };

    oa_result on_message(const message::message& m, bool out) {
        oa_result r;
        r.sdp = message::find_sdp(m);
        auto cs = m.cseq();
        if (!cs) {
            r.error = cs.error();
            return r;
        }
        if (m.is_request())
            on_request(m, cs->number, out, r);
        else if (m.is_response())
            on_response(m, cs->number, cs->method, out, r);
        return r;
    }

    // An offer from `by_local`, made in `where`.
    void start_offer(bool by_local, std::string_view sdp, offer_in where, oa_result& r) {
        if (state_ == oa_state::stable || state_ == oa_state::no_offer) {
            before_ = state_;
            if (t_.p) {
                t_.p->before_local = t_.p->cur_local;
                t_.p->before_remote = t_.p->cur_remote;
            }
        }
        state_ = by_local ? oa_state::offer_sent : oa_state::offer_received;
        if (t_.p) t_.p->offer = sdp;
        where_ = where;
        r.role = body_role::offer;
    }
    void complete(std::string_view answer, oa_result& r) {
        if (texts* t = t_.p.get()) {
            bool ours = state_ == oa_state::offer_sent;
            t->cur_local = ours ? t->offer : std::string(answer);
            t->cur_remote = ours ? std::string(answer) : t->offer;
            t->offer.clear();
        }
        state_ = oa_state::stable;
        where_ = offer_in::nothing;
        r.role = body_role::answer;
    }
    // Back to the state before the INVITE (`to_invite`) or before the UPDATE/PRACK offer.
    void rollback(bool to_invite) {
        state_ = to_invite ? invite_.before : before_;
        if (texts* t = t_.p.get()) {
            t->cur_local = to_invite ? t->invite_local : t->before_local;
            t->cur_remote = to_invite ? t->invite_remote : t->before_remote;
            t->offer.clear();
        }
        where_ = offer_in::nothing;
    }
    bool pending() const noexcept {
        return state_ == oa_state::offer_sent || state_ == oa_state::offer_received;
    }
    // Is a message from `out` the one that owes the answer to the outstanding offer?
    bool from_answerer(bool out) const noexcept { return (state_ == oa_state::offer_received) == out; }
    // Glare on an offer (or an INVITE) from `out` (RFC 3311 5.2, RFC 3261 14.2).
    void glare(bool out, oa_result& r) {
        r.error = sdp_errc::offer_pending;
        if (!out) r.reject_with = state_ == oa_state::offer_sent ? 491 : 500;
    }

    void on_request(const message::message& m, std::uint32_t cseq, bool out, oa_result& r) {
        bool has = !r.sdp.empty();
        switch (m.method()) {
        case message::method_id::invite:
            if (invite_.active) {
                // RFC 3261 14.2: an INVITE while our INVITE is pending gets 491; while theirs
                // is pending (no final response yet) 500 with Retry-After.
                r.error = sdp_errc::request_pending;
                if (!out) r.reject_with = invite_.local ? 491 : 500;
                return;
            }
            if (pending()) return glare(out, r);
            invite_ = invite_tx{true, out, cseq, has, has, false, state_};
            if (t_.p) {
                t_.p->invite_local = t_.p->cur_local;
                t_.p->invite_remote = t_.p->cur_remote;
            }
            ack_pending_ = false;
            if (has) start_offer(out, r.sdp, offer_in::invite, r);
            return;
        case message::method_id::ack:
            if (ack_pending_ && cseq == ack_cseq_ && out == ack_local_) {
                ack_pending_ = false;
                if (where_ == offer_in::response_2xx && from_answerer(out)) {
                    // RFC 3261 13.2.1: the answer to an offer in the 2xx is in the ACK.
                    if (has) return complete(r.sdp, r);
                    r.error = sdp_errc::missing_answer;
                    rollback(true);
                    return;
                }
            }
            // RFC 3261 13.2.1: SDP in an ACK is only the answer to an offer in the 2xx.
            if (has) r.error = sdp_errc::unexpected_sdp;
            return;
        case message::method_id::prack:
            if (pending() && where_ == offer_in::reliable_1xx && from_answerer(out)) {
                // RFC 3262 5: the PRACK for a reliable 18x with an offer MUST carry the answer.
                if (has) return complete(r.sdp, r);
                r.error = sdp_errc::missing_answer;
                return;
            }
            if (has) offer_in_request(out, cseq, offer_in::prack, r);
            return;
        case message::method_id::update:
            if (has) offer_in_request(out, cseq, offer_in::update, r);
            return;
        default: return; // BYE, CANCEL, INFO, OPTIONS, ...: bodies outside offer/answer
        }
    }

    // A new offer in an UPDATE (RFC 3311 5.1-5.2) or a PRACK (RFC 3262 5).
    void offer_in_request(bool out, std::uint32_t cseq, offer_in where, oa_result& r) {
        if (pending()) return glare(out, r);
        if (state_ == oa_state::no_offer) {
            // RFC 3311 5.1: no UPDATE offer before the initial offer was answered.
            r.error = sdp_errc::offer_not_allowed;
            if (!out) r.reject_with = 500;
            return;
        }
        start_offer(out, r.sdp, where, r);
        req_cseq_ = cseq;
        req_local_ = out;
    }

    void on_response(const message::message& m, std::uint32_t cseq, message::method_id method, bool out,
                     oa_result& r) {
        bool has = !r.sdp.empty();
        int status = m.status();
        if (method == message::method_id::invite) return on_invite_response(m, status, cseq, out, r);
        if (method != message::method_id::update && method != message::method_id::prack) return;
        offer_in w = method == message::method_id::update ? offer_in::update : offer_in::prack;
        bool ours = pending() && where_ == w && cseq == req_cseq_ && out != req_local_;
        if (!ours) {
            // RFC 3311 5.2, RFC 3262 5: a 2xx carries SDP only to answer an offer.
            if (has && status >= 200 && status < 300) r.error = sdp_errc::unexpected_sdp;
            return;
        }
        if (status < 200) return;
        if (status >= 300) return rollback(false); // RFC 3311 5.2: rejected, nothing changes
        if (has) return complete(r.sdp, r);
        r.error = sdp_errc::missing_answer;
        rollback(false);
    }

    void on_invite_response(const message::message& m, int status, std::uint32_t cseq, bool out,
                            oa_result& r) {
        bool has = !r.sdp.empty();
        if (!invite_.active || cseq != invite_.cseq || out == invite_.local) {
            // A retransmitted 2xx reaches the TU (RFC 3261 13.2.2.4): same SDP, nothing new.
            if (has && status >= 200 && status < 300 && ack_cseq_ == cseq && ack_local_ == !out)
                r.role = body_role::repeat;
            return;
        }
        if (status < 200) {
            if (status == 100 || !has) return;
            bool reliable = m.has_header(message::header_id::rseq); // RFC 3262 7.1
            if (invite_.offer_in_request) {
                if (invite_.answered) {
                    r.role = body_role::repeat;
                    return;
                }
                if (pending() && where_ == offer_in::invite && from_answerer(out)) {
                    // RFC 3261 13.2.1 / RFC 3262 5: the answer may be in a (reliable) 18x.
                    // RFC 6337 3.1: in an unreliable 18x it is the answer too; the 2xx repeats it.
                    invite_.answered = true;
                    return complete(r.sdp, r);
                }
                return;
            }
            if (invite_.offer_made) {
                r.role = body_role::repeat;
                return;
            }
            if (!reliable) {
                r.role = body_role::preview;
                return;
            }
            // RFC 3261 13.2.1: the offer is in the first reliable non-failure response.
            if (pending()) return glare(out, r);
            invite_.offer_made = true;
            return start_offer(out, r.sdp, offer_in::reliable_1xx, r);
        }
        invite_.active = false;
        if (status >= 300) {
            // RFC 3261 14.1: a failed re-INVITE leaves the session unchanged; a failed initial
            // INVITE (487 after CANCEL included) leaves no session.
            ack_pending_ = false;
            return rollback(true);
        }
        ack_pending_ = true;
        ack_cseq_ = cseq;
        ack_local_ = invite_.local;
        if (invite_.offer_in_request) {
            if (invite_.answered) {
                // RFC 3261 13.2.1, RFC 6337 3.1: the SDP of the 2xx repeats the answer of the
                // 18x; it is not a new offer.
                if (has) r.role = body_role::repeat;
                return;
            }
            if (pending() && where_ == offer_in::invite && from_answerer(out)) {
                invite_.answered = true;
                if (has) return complete(r.sdp, r);
                // RFC 3261 13.3.1.4: the 2xx to an INVITE with an offer MUST carry the answer.
                r.error = sdp_errc::missing_answer;
                return rollback(true);
            }
            return;
        }
        if (invite_.offer_made) {
            if (has) r.role = body_role::repeat;
            return;
        }
        if (!has) {
            // RFC 3261 13.2.1: no offer in the INVITE, none in a reliable 18x: the 2xx has it.
            r.error = sdp_errc::missing_offer;
            return rollback(true);
        }
        if (pending()) return glare(out, r);
        invite_.offer_made = true;
        start_offer(out, r.sdp, offer_in::response_2xx, r);
    }

    texts_ptr t_;
    oa_state state_ = oa_state::no_offer;
    oa_state before_ = oa_state::no_offer; // before the outstanding offer, for a rejected UPDATE / PRACK
    offer_in where_ = offer_in::nothing;
    invite_tx invite_;
    std::uint32_t req_cseq_ = 0; // CSeq of the UPDATE / PRACK carrying the outstanding offer
    bool req_local_ = false;
    bool ack_pending_ = false; // a 2xx to INVITE was sent/received; its ACK has not
    std::uint32_t ack_cseq_ = 0;
    bool ack_local_ = false; // we send that ACK
};

} // namespace tandem::sdp

#endif
