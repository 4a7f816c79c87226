#ifndef TANDEM_TRANSACTION_CLIENT_TRANSACTION_HPP
#define TANDEM_TRANSACTION_CLIENT_TRANSACTION_HPP

/// @file Client transactions (RFC 3261 17.1, with RFC 6026's Accepted state), sans I/O.
///
/// Contract of every state machine here (quinn style): after each input (`start`,
/// `on_response`, `on_time`, `on_transport_error`), drain `poll()` until it returns nullopt,
/// then wait until `next_deadline()` and call `on_time(now)`. The machines never read a clock,
/// never allocate a timer and never block.

#include <tandem/message/message.hpp>
#include <tandem/message/serializer.hpp>
#include <tandem/transaction/action.hpp>
#include <tandem/transaction/timers.hpp>

#include <algorithm>
#include <string>

namespace tandem::transaction {

/**
 * The INVITE client transaction (RFC 3261 17.1.1, figure 5; RFC 6026 figure 3).
 *
 * It transmits the INVITE (retransmitting on Timer A over unreliable transports), passes
 * provisional and final responses to the TU, builds and sends the ACK for 300-699 responses
 * itself (17.1.1.3), absorbs their retransmissions, and keeps absorbing 2xx retransmissions
 * into the TU for 64*T1 in Accepted (RFC 6026: the TU/dialog ACKs each 2xx).
 */
class client_invite {
public:
    enum class state { calling, proceeding, completed, accepted, terminated };

    /// `invite` is the request as the TU built it (top Via with a unique branch).
    client_invite(const message::message& invite, bool reliable, const timer_config& cfg)
        : request_(invite), reliable_(reliable), cfg_(cfg) {
        request_.serialize_to(bytes_);
    }

    void start(time_point now) {
        // 17.1.1.2: send, Timer A (unreliable) and Timer B.
        actions_.push(send{bytes_});
        if (!reliable_) {
            interval_a_ = cfg_.t1;
            timers_.start(timer_id::a, now + interval_a_);
        }
        timers_.start(timer_id::b, now + 64 * cfg_.t1);
    }

    void on_response(const message::message& rsp, time_point now) {
        int code = rsp.status();
        switch (state_) {
        case state::calling:
        case state::proceeding:
            if (code < 200) {
                // 17.1.1.2: 1xx -> Proceeding, to the TU
                actions_.push(deliver{code});
                if (state_ == state::calling)
                    enter(state::proceeding, now);
                else
                    restart_timer_c(now);
            } else if (code < 300) {
                // RFC 6026 7.2: 2xx -> Accepted, to the TU
                actions_.push(deliver{code});
                enter(state::accepted, now);
            } else {
                // 17.1.1.2: 300-699 -> Completed, ACK, to the TU
                build_ack(rsp);
                actions_.push(send{ack_});
                actions_.push(deliver{code});
                enter(state::completed, now);
            }
            break;
        case state::completed:
            // 17.1.1.2: a retransmitted final response gets the ACK again, not the TU
            if (code >= 300) actions_.push(send{ack_});
            break;
        case state::accepted:
            // RFC 6026 7.2: 2xx retransmissions go to the TU (which ACKs them); others are absorbed
            if (code >= 200 && code < 300) actions_.push(deliver{code});
            break;
        case state::terminated: break;
        }
    }

    void on_time(time_point now) {
        while (auto t = timers_.pop_due(now)) {
            switch (*t) {
            case timer_id::a:
                // 17.1.1.2: retransmit, double the interval (INVITE retransmissions are not capped at T2)
                if (state_ == state::calling) {
                    actions_.push(send{bytes_});
                    interval_a_ *= 2;
                    timers_.start(timer_id::a, now + interval_a_);
                }
                break;
            case timer_id::b:
                if (state_ == state::calling) {
                    actions_.push(timed_out{timer_id::b});
                    enter(state::terminated, now);
                }
                break;
            case timer_id::c:
                if (state_ != state::proceeding) break;
                if (!timer_c_fired_) {
                    // 16.6 item 11: tell the TU (it CANCELs), then allow 64*T1 for the final response
                    timer_c_fired_ = true;
                    actions_.push(no_answer{});
                    timers_.start(timer_id::c, now + 64 * cfg_.t1);
                } else {
                    // 16.7: no final response after the CANCEL either: give up as for a 408
                    actions_.push(timed_out{timer_id::c});
                    enter(state::terminated, now);
                }
                break;
            case timer_id::d:
            case timer_id::m: enter(state::terminated, now); break;
            default: break;
            }
        }
    }

    /// 17.1.4: a transport failure ends the transaction and is reported to the TU.
    void on_transport_error(time_point now) {
        if (state_ == state::terminated) return;
        // figure 5: Calling, Proceeding and Completed (where the ACK is sent) inform the TU
        if (state_ != state::accepted) actions_.push(transport_failed{});
        enter(state::terminated, now);
    }

    std::optional<action> poll() noexcept { return actions_.pop(); }
    std::optional<time_point> next_deadline() const noexcept { return timers_.next(); }
    state current() const noexcept { return state_; }
    /// The INVITE (empty once Accepted: RFC 6026 leaves nothing to send).
    const message::message& request() const noexcept { return request_; }
    /// The ACK sent for a 300-699 response ("" before one was received).
    std::string_view ack() const noexcept { return ack_; }

private:
    // The only place state_ changes; timers follow the state (17.1.1.2, RFC 6026 7.2).
    void enter(state s, time_point now) {
        state_ = s;
        switch (s) {
        case state::proceeding:
            // 17.1.1.2: no more retransmissions; Timer B only guards Calling
            timers_.stop(timer_id::a);
            timers_.stop(timer_id::b);
            restart_timer_c(now);
            break;
        case state::completed:
            timers_.stop_all();
            timers_.start(timer_id::d,
                          now + (reliable_ ? milliseconds{0} : std::max(milliseconds{32000}, 64 * cfg_.t1)));
            break;
        case state::accepted:
            timers_.stop_all();
            timers_.start(timer_id::m, now + 64 * cfg_.t1);
            // nothing is sent any more (the TU ACKs 2xx): the INVITE's copies go, they would
            // otherwise stay for 64*T1 per call
            request_ = message::message{};
            std::string().swap(bytes_);
            break;
        case state::terminated:
            timers_.stop_all();
            actions_.push(terminated{});
            break;
        case state::calling: break;
        }
    }
    void restart_timer_c(time_point now) {
        if (cfg_.timer_c.count() > 0 && !timer_c_fired_) timers_.start(timer_id::c, now + cfg_.timer_c);
    }
    // 17.1.1.3: the ACK for a non-2xx final response.
    void build_ack(const message::message& rsp) { ack_ = message::make_failure_ack_text(request_, rsp); }

    message::message request_;
    std::string bytes_;
    std::string ack_;
    bool reliable_;
    timer_config cfg_;
    milliseconds interval_a_{0};
    bool timer_c_fired_ = false;
    state state_ = state::calling;
    detail::deadlines timers_;
    detail::action_queue actions_;
};

/**
 * The non-INVITE client transaction (RFC 3261 17.1.2, figure 6).
 */
class client_non_invite {
public:
    enum class state { trying, proceeding, completed, terminated };

    client_non_invite(const message::message& request, bool reliable, const timer_config& cfg)
        : request_(request), reliable_(reliable), cfg_(cfg) {
        request_.serialize_to(bytes_);
    }

    void start(time_point now) {
        // 17.1.2.2: send, Timer E (unreliable) and Timer F.
        actions_.push(send{bytes_});
        if (!reliable_) {
            interval_e_ = cfg_.t1;
            timers_.start(timer_id::e, now + interval_e_);
        }
        timers_.start(timer_id::f, now + 64 * cfg_.t1);
    }

    void on_response(const message::message& rsp, time_point now) {
        int code = rsp.status();
        if (state_ != state::trying && state_ != state::proceeding) return; // Completed absorbs
        actions_.push(deliver{code});
        if (code < 200) {
            state_ = state::proceeding;
        } else {
            enter(state::completed, now);
        }
    }

    void on_time(time_point now) {
        while (auto t = timers_.pop_due(now)) {
            switch (*t) {
            case timer_id::e:
                if (state_ == state::trying || state_ == state::proceeding) {
                    // 17.1.2.2: retransmit; the interval doubles up to T2 in Trying, is T2 in Proceeding
                    actions_.push(send{bytes_});
                    interval_e_ = state_ == state::trying ? std::min(2 * interval_e_, cfg_.t2) : cfg_.t2;
                    timers_.start(timer_id::e, now + interval_e_);
                }
                break;
            case timer_id::f:
                if (state_ == state::trying || state_ == state::proceeding) {
                    actions_.push(timed_out{timer_id::f});
                    enter(state::terminated, now);
                }
                break;
            case timer_id::k: enter(state::terminated, now); break;
            default: break;
            }
        }
    }

    void on_transport_error(time_point now) {
        if (state_ == state::terminated) return;
        if (state_ != state::completed) actions_.push(transport_failed{});
        enter(state::terminated, now);
    }

    std::optional<action> poll() noexcept { return actions_.pop(); }
    std::optional<time_point> next_deadline() const noexcept { return timers_.next(); }
    state current() const noexcept { return state_; }
    const message::message& request() const noexcept { return request_; }

private:
    void enter(state s, time_point now) {
        state_ = s;
        switch (s) {
        case state::completed:
            timers_.stop_all();
            timers_.start(timer_id::k, now + (reliable_ ? milliseconds{0} : cfg_.t4));
            break;
        case state::terminated:
            timers_.stop_all();
            actions_.push(terminated{});
            break;
        default: break;
        }
    }

    message::message request_;
    std::string bytes_;
    bool reliable_;
    timer_config cfg_;
    milliseconds interval_e_{0};
    state state_ = state::trying;
    detail::deadlines timers_;
    detail::action_queue actions_;
};

} // namespace tandem::transaction

#endif
