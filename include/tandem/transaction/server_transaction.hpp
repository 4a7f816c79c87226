#ifndef TANDEM_TRANSACTION_SERVER_TRANSACTION_HPP
#define TANDEM_TRANSACTION_SERVER_TRANSACTION_HPP

/// @file Server transactions (RFC 3261 17.2, with RFC 6026's Accepted state), sans I/O.
///
/// Same contract as the client transactions: after each input drain `poll()`, then wait for
/// `next_deadline()` and call `on_time(now)`.

#include <tandem/message/message.hpp>
#include <tandem/message/serializer.hpp>
#include <tandem/transaction/action.hpp>
#include <tandem/transaction/timers.hpp>

#include <algorithm>
#include <string>

namespace tandem::transaction {

/**
 * The INVITE server transaction (RFC 3261 17.2.1, figure 7; RFC 6026 figure 4).
 *
 * Created on an INVITE that matched no transaction; the TU gets the request from the layer.
 * It sends 100 Trying when the TU is silent for `trying_delay`, retransmits the last
 * provisional response on a retransmitted INVITE, retransmits a 300-699 final response on
 * Timer G until the ACK arrives (Timer H bounds the wait), absorbs ACKs in Confirmed, and in
 * Accepted (after a 2xx) absorbs INVITE retransmissions while the TU retransmits its 2xx.
 */
class server_invite {
public:
    enum class state { proceeding, completed, confirmed, accepted, terminated };

    server_invite(const message::message& invite, bool reliable, const timer_config& cfg)
        : request_(invite), reliable_(reliable), cfg_(cfg) {}

    /// The request was received (and handed to the TU by the layer) at `now`.
    void start(time_point now) { timers_.start(timer_id::trying, now + cfg_.trying_delay); }

    /// The TU sends a response (RFC 3261 17.2.1: 1xx, 2xx or 300-699).
    void respond(const message::message& rsp, time_point now) {
        int code = rsp.status();
        switch (state_) {
        case state::proceeding:
            last_.clear();
            rsp.serialize_to(last_);
            timers_.stop(timer_id::trying);
            actions_.push(send{last_});
            if (code >= 300)
                enter(state::completed, now);
            else if (code >= 200)
                enter(state::accepted, now);
            break;
        case state::accepted:
            // RFC 6026 8.5: the TU retransmits its 2xx through the transaction
            if (code >= 200 && code < 300) {
                last_.clear();
                rsp.serialize_to(last_);
                actions_.push(send{last_});
            }
            break;
        default: break; // a response after the final one is not sent
        }
    }

    /// A retransmission of the INVITE, or the ACK for a 300-699 response, matched this
    /// transaction (17.2.3).
    void on_request(const message::message& req, time_point now) {
        bool ack = req.method() == message::method_id::ack;
        switch (state_) {
        case state::proceeding:
            // 17.2.1: a retransmitted INVITE gets the last provisional response again
            if (!ack && !last_.empty()) actions_.push(send{last_});
            break;
        case state::completed:
            if (ack)
                enter(state::confirmed, now);
            else
                actions_.push(send{last_}); // retransmit the final response
            break;
        case state::accepted:
            // RFC 6026 7.1: an ACK (for the 2xx) goes to the TU; INVITE retransmissions are absorbed
            if (ack) actions_.push(deliver{0});
            break;
        default: break; // Confirmed absorbs ACKs
        }
    }

    void on_time(time_point now) {
        while (auto t = timers_.pop_due(now)) {
            switch (*t) {
            case timer_id::trying:
                if (state_ == state::proceeding && last_.empty()) {
                    // 17.2.1: 100 Trying when the TU does not answer within 200 ms
                    auto trying = message::make_response_text(request_, 100);
                    last_ = std::move(trying);
                    actions_.push(send{last_});
                }
                break;
            case timer_id::g:
                if (state_ == state::completed) {
                    actions_.push(send{last_});
                    interval_g_ = std::min(2 * interval_g_, cfg_.t2);
                    timers_.start(timer_id::g, now + interval_g_);
                }
                break;
            case timer_id::h:
                if (state_ == state::completed) {
                    // 17.2.1: no ACK came; the TU is told
                    actions_.push(timed_out{timer_id::h});
                    enter(state::terminated, now);
                }
                break;
            case timer_id::i:
            case timer_id::l: enter(state::terminated, now); break;
            default: break;
            }
        }
    }

    void on_transport_error(time_point now) {
        if (state_ == state::terminated) return;
        actions_.push(transport_failed{});
        enter(state::terminated, now);
    }

    std::optional<action> poll() noexcept { return actions_.pop(); }
    std::optional<time_point> next_deadline() const noexcept { return timers_.next(); }
    state current() const noexcept { return state_; }
    /// The INVITE (empty after `acknowledged()`).
    const message::message& request() const noexcept { return request_; }
    /// The TU's 2xx was ACKed (RFC 6026 Accepted): the transaction only absorbs INVITE
    /// retransmissions from now on, so the INVITE and the last response are let go (memory).
    void acknowledged() {
        if (state_ != state::accepted) return;
        request_ = message::message{};
        std::string().swap(last_);
    }

private:
    void enter(state s, time_point now) {
        state_ = s;
        switch (s) {
        case state::completed:
            timers_.stop_all();
            if (!reliable_) {
                interval_g_ = cfg_.t1;
                timers_.start(timer_id::g, now + interval_g_);
            }
            timers_.start(timer_id::h, now + 64 * cfg_.t1);
            break;
        case state::confirmed:
            timers_.stop_all();
            timers_.start(timer_id::i, now + (reliable_ ? milliseconds{0} : cfg_.t4));
            break;
        case state::accepted:
            timers_.stop_all();
            timers_.start(timer_id::l, now + 64 * cfg_.t1);
            break;
        case state::terminated:
            timers_.stop_all();
            actions_.push(terminated{});
            break;
        case state::proceeding: break;
        }
    }

    message::message request_;
    std::string last_; // the last response sent
    bool reliable_;
    timer_config cfg_;
    milliseconds interval_g_{0};
    state state_ = state::proceeding;
    detail::deadlines timers_;
    detail::action_queue actions_;
};

/**
 * The non-INVITE server transaction (RFC 3261 17.2.2, figure 8).
 */
class server_non_invite {
public:
    enum class state { trying, proceeding, completed, terminated };

    server_non_invite(const message::message& request, bool reliable, const timer_config& cfg)
        : request_(request), reliable_(reliable), cfg_(cfg) {}

    void start(time_point) {}

    void respond(const message::message& rsp, time_point now) {
        if (state_ == state::completed || state_ == state::terminated) return;
        last_.clear();
        rsp.serialize_to(last_);
        actions_.push(send{last_});
        if (rsp.status() >= 200)
            enter(state::completed, now);
        else
            state_ = state::proceeding;
    }

    /// A retransmission of the request matched this transaction.
    void on_request(const message::message&, time_point) {
        // 17.2.2: absorbed in Trying; the last response again in Proceeding and Completed
        if (state_ == state::proceeding || state_ == state::completed) actions_.push(send{last_});
    }

    void on_time(time_point now) {
        while (auto t = timers_.pop_due(now))
            if (*t == timer_id::j) enter(state::terminated, now);
    }

    void on_transport_error(time_point now) {
        if (state_ == state::terminated) return;
        actions_.push(transport_failed{});
        enter(state::terminated, now);
    }

    std::optional<action> poll() noexcept { return actions_.pop(); }
    std::optional<time_point> next_deadline() const noexcept { return timers_.next(); }
    state current() const noexcept { return state_; }
    const message::message& request() const noexcept { return request_; }

private:
    void enter(state s, time_point now) {
        state_ = s;
        if (s == state::completed) {
            timers_.stop_all();
            timers_.start(timer_id::j, now + (reliable_ ? milliseconds{0} : 64 * cfg_.t1));
        } else if (s == state::terminated) {
            timers_.stop_all();
            actions_.push(terminated{});
        }
    }

    message::message request_;
    std::string last_;
    bool reliable_;
    timer_config cfg_;
    state state_ = state::trying;
    detail::deadlines timers_;
    detail::action_queue actions_;
};

} // namespace tandem::transaction

#endif
