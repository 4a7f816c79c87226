#ifndef TANDEM_RTP_PORT_POOL_HPP
#define TANDEM_RTP_PORT_POOL_HPP

/// @file RTP/RTCP port pairs from a configured range (RFC 3550 11: RTP on an even port, its
/// RTCP on the next, odd one).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tandem::rtp {

/**
 * The even/odd port pairs of [low, high], handed out going round the range in random strides
 * (1 to 16 pairs) from a random start: which port a call gets cannot be guessed from the
 * last one, and a pair just released is among the last to be handed out again, so a late
 * packet of a finished call does not land in the next one. Sans I/O: whether the ports can be
 * bound is the caller's concern (`allocate` again on failure, and keep the failed pair until
 * it is released).
 */
class port_pool {
public:
    /// Every even port p with low <= p and p + 1 <= high; `seed` picks the start and strides.
    port_pool(std::uint16_t low, std::uint16_t high, std::uint64_t seed = 0) : state_(seed | 1) {
        std::uint32_t first = low + (low & 1u);
        if (high > first) pairs_.resize((std::uint32_t(high) - first + 1) / 2, false);
        first_ = static_cast<std::uint16_t>(first);
        next_ = pairs_.empty() ? 0 : static_cast<std::size_t>(seed % pairs_.size());
    }

    /// The RTP port of a free pair (its RTCP port is one above), or nothing when all are taken.
    std::optional<std::uint16_t> allocate() noexcept {
        if (in_use_ == pairs_.size()) return std::nullopt;
        // a random stride first, then pair by pair to the next free one
        next_ = (next_ + stride()) % pairs_.size();
        for (std::size_t tried = 0; tried < pairs_.size(); ++tried) {
            std::size_t i = next_;
            next_ = (next_ + 1) % pairs_.size();
            if (!pairs_[i]) {
                pairs_[i] = true;
                ++in_use_;
                return static_cast<std::uint16_t>(first_ + 2 * i);
            }
        }
        return std::nullopt;
    }
    /// Gives the pair of RTP port `port` back (a port not handed out is ignored).
    void release(std::uint16_t port) noexcept {
        if (port < first_ || (port - first_) % 2 != 0) return;
        std::size_t i = std::size_t(port - first_) / 2;
        if (i < pairs_.size() && pairs_[i]) {
            pairs_[i] = false;
            --in_use_;
        }
    }
    std::size_t in_use() const noexcept { return in_use_; }
    std::size_t capacity() const noexcept { return pairs_.size(); }

private:
    std::size_t stride() noexcept { // xorshift64: unpredictable enough for a port number, and cheap
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        return static_cast<std::size_t>(state_ % 16);
    }

    std::uint64_t state_;
    std::vector<bool> pairs_;
    std::uint16_t first_ = 0;
    std::size_t next_ = 0;
    std::size_t in_use_ = 0;
};

} // namespace tandem::rtp

#endif
