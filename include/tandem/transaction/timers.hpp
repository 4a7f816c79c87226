#ifndef TANDEM_TRANSACTION_TIMERS_HPP
#define TANDEM_TRANSACTION_TIMERS_HPP

/// @file Time and timers of the transaction layer (RFC 3261 17 and table 4, RFC 6026).

#include <chrono>
#include <cstdint>
#include <string_view>

namespace tandem::transaction {

/// The clock whose time points the core is given. The core never reads it: every input
/// carries `now`, so tests drive the state machines on virtual time.
using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
using std::chrono::milliseconds;

/**
 * Per-instance timer settings (RFC 3261 17.1.1.1 and table 4). Values, not globals: two
 * stacks in one process may use different ones.
 */
struct timer_config {
    milliseconds t1{500};  ///< RTT estimate
    milliseconds t2{4000}; ///< cap of non-INVITE request and INVITE response retransmission
    milliseconds t4{5000}; ///< longest time a message stays in the network
    /// Timer C of a client INVITE (RFC 3261 16.6 item 11, 16.7): a final response must arrive
    /// this long after the last provisional one, or the TU is told (`no_answer`) so that it
    /// CANCELs; if 64*T1 later there is still no final response, the transaction gives up
    /// (`timed_out{c}`), so that a silent peer cannot keep it forever. More than 3 minutes
    /// (a UAS refreshes its provisional response every minute, 13.3.1.1). Zero switches it off:
    /// then only the TU can end an unanswered INVITE.
    milliseconds timer_c{181000};
    /// A server INVITE transaction sends 100 Trying if the TU has not answered within this
    /// time (RFC 3261 17.2.1: 200 ms).
    milliseconds trying_delay{200};
};

/// The timers of RFC 3261 table 4, RFC 6026's L and M, and the 100 Trying delay.
enum class timer_id : std::uint8_t { a, b, c, d, e, f, g, h, i, j, k, l, m, trying };
inline constexpr std::size_t timer_count = 14;

constexpr std::string_view to_string(timer_id t) noexcept {
    constexpr std::string_view names[] = {"A", "B", "C", "D", "E", "F", "G",
                                          "H", "I", "J", "K", "L", "M", "trying"};
    return names[static_cast<std::size_t>(t)];
}

} // namespace tandem::transaction

#endif
