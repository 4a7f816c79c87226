#ifndef TANDEM_TRANSACTION_ACTION_HPP
#define TANDEM_TRANSACTION_ACTION_HPP

/// @file What a transaction state machine asks its driver to do.

#include <tandem/transaction/timers.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <variant>

namespace tandem::transaction {

/// Transmit these bytes to the transaction's peer (a first transmission or a retransmission).
/// The view stays valid until the next input to the same transaction.
struct send {
    std::string_view bytes;
    bool operator==(const send&) const = default;
};
/// Pass the message of the last `on_message` (a response for a client transaction, an ACK
/// nobody else may see is never delivered) up to the transaction user.
struct deliver {
    int status = 0; ///< the response's status, or 0 for a request
    bool operator==(const deliver&) const = default;
};
/// Timer B, F (client) or H (server, no ACK came) fired: the TU learns of the failure. A client
/// TU acts as if it had received a 408 (RFC 3261 8.1.3.1).
struct timed_out {
    timer_id timer = timer_id::b;
    bool operator==(const timed_out&) const = default;
};
/// Timer C fired (RFC 3261 16.6 item 11): the TU should CANCEL the INVITE (or end the call).
struct no_answer {
    bool operator==(const no_answer&) const = default;
};
/// The transport reported a failure (RFC 3261 17.1.4, 17.2.4): the TU is told.
struct transport_failed {
    bool operator==(const transport_failed&) const = default;
};
/// The transaction reached Terminated; the layer forgets it.
struct terminated {
    bool operator==(const terminated&) const = default;
};

using action = std::variant<send, deliver, timed_out, no_answer, transport_failed, terminated>;

namespace detail {

/// The few actions one input can produce, without allocation.
class action_queue {
public:
    void push(action a) noexcept {
        if (size_ < q_.size()) q_[(head_ + size_++) % q_.size()] = a;
    }
    std::optional<action> pop() noexcept {
        if (size_ == 0) return std::nullopt;
        action a = q_[head_];
        head_ = (head_ + 1) % q_.size();
        --size_;
        return a;
    }
    bool empty() const noexcept { return size_ == 0; }

private:
    std::array<action, 8> q_{};
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

/// One deadline per timer; the earliest is what the driver waits for. (A stopped timer is
/// `time_point::max()`: 8 bytes a timer, not 16; every live transaction has this table.)
class deadlines {
public:
    void start(timer_id t, time_point at) noexcept { d_[static_cast<std::size_t>(t)] = at; }
    void stop(timer_id t) noexcept { d_[static_cast<std::size_t>(t)] = off; }
    void stop_all() noexcept { d_.fill(off); }
    bool running(timer_id t) const noexcept { return d_[static_cast<std::size_t>(t)] != off; }
    std::optional<time_point> next() const noexcept {
        time_point n = off;
        for (auto d : d_) n = std::min(n, d);
        if (n == off) return std::nullopt;
        return n;
    }
    /// The earliest timer due at `now`, removed; nullopt when none is due.
    std::optional<timer_id> pop_due(time_point now) noexcept {
        std::optional<std::size_t> best;
        for (std::size_t i = 0; i < d_.size(); ++i)
            if (d_[i] != off && d_[i] <= now && (!best || d_[i] < d_[*best])) best = i;
        if (!best) return std::nullopt;
        d_[*best] = off;
        return static_cast<timer_id>(*best);
    }

private:
    static constexpr time_point off = time_point::max();
    std::array<time_point, timer_count> d_ = make_off();
    static constexpr std::array<time_point, timer_count> make_off() noexcept {
        std::array<time_point, timer_count> a{};
        a.fill(off);
        return a;
    }
};

} // namespace detail

} // namespace tandem::transaction

#endif
