#ifndef TANDEM_RTP_PACKET_HPP
#define TANDEM_RTP_PACKET_HPP

/// @file RTP and RTCP packets as a relay sees them (RFC 3550): what a datagram on a media port
/// is (RFC 7983 demultiplexing, RFC 5761 RTP/RTCP on one port), the RTP fixed header, and the
/// reception reports of a compound RTCP packet. Views over the caller's bytes; no allocation.

#include <tandem/result.hpp>
#include <tandem/rtp/error.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace tandem::rtp {

using bytes = std::span<const std::uint8_t>;

/// What a datagram arriving on a media port is (RFC 7983 7, by its first octet; RTP and RTCP
/// told apart by the packet type, RFC 5761 4).
enum class packet_kind { unknown, stun, zrtp, dtls, turn_channel, rtp, rtcp };

constexpr packet_kind classify(bytes p) noexcept {
    if (p.empty()) return packet_kind::unknown;
    std::uint8_t b = p[0];
    if (b <= 3) return packet_kind::stun;
    if (b >= 16 && b <= 19) return packet_kind::zrtp;
    if (b >= 20 && b <= 63) return packet_kind::dtls;
    if (b >= 64 && b <= 79) return packet_kind::turn_channel;
    if (b >= 128 && b <= 191) {
        if (p.size() < 4) return packet_kind::unknown;
        // RFC 5761 4: RTCP packet types 192-223 (SR 200, RR 201, ...) never collide with an
        // RTP payload type in use once the marker bit is masked off (64-95 are not assigned)
        if (p[1] >= 192 && p[1] <= 223) return packet_kind::rtcp;
        return p.size() >= 12 ? packet_kind::rtp : packet_kind::unknown;
    }
    return packet_kind::unknown;
}

/// The RTP fixed header and where the payload lies (RFC 3550 5.1, 5.3.1).
struct rtp_header {
    bool padding = false;
    bool extension = false;
    std::uint8_t csrc_count = 0;
    bool marker = false;
    std::uint8_t payload_type = 0;
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t ssrc = 0;
    std::size_t payload_offset = 0; ///< after the CSRC list and the header extension
    std::size_t payload_size = 0;   ///< without the padding
};

namespace detail {
constexpr std::uint16_t be16(bytes p, std::size_t at) noexcept {
    return static_cast<std::uint16_t>(p[at] << 8 | p[at + 1]);
}
constexpr std::uint32_t be32(bytes p, std::size_t at) noexcept {
    return std::uint32_t(p[at]) << 24 | std::uint32_t(p[at + 1]) << 16 | std::uint32_t(p[at + 2]) << 8 |
           std::uint32_t(p[at + 3]);
}
} // namespace detail

/// Parses the RTP header of `p` (version 2, CSRCs, extension and padding within the packet).
inline result<rtp_header> parse_rtp(bytes p) noexcept {
    if (p.size() < 12) return rtp_errc::too_short;
    if ((p[0] >> 6) != 2) return rtp_errc::bad_version;
    rtp_header h;
    h.padding = (p[0] & 0x20) != 0;
    h.extension = (p[0] & 0x10) != 0;
    h.csrc_count = p[0] & 0x0f;
    h.marker = (p[1] & 0x80) != 0;
    h.payload_type = p[1] & 0x7f;
    h.sequence = detail::be16(p, 2);
    h.timestamp = detail::be32(p, 4);
    h.ssrc = detail::be32(p, 8);
    std::size_t at = 12 + 4 * std::size_t(h.csrc_count);
    if (p.size() < at) return rtp_errc::too_short;
    if (h.extension) {
        if (p.size() < at + 4) return rtp_errc::too_short;
        at += 4 + 4 * std::size_t(detail::be16(p, at + 2));
        if (p.size() < at) return rtp_errc::too_short;
    }
    std::size_t end = p.size();
    if (h.padding) {
        std::size_t pad = p[p.size() - 1];
        if (pad == 0 || pad > end - at) return rtp_errc::bad_padding;
        end -= pad;
    }
    h.payload_offset = at;
    h.payload_size = end - at;
    return h;
}

/// A reception report block of an SR or RR (RFC 3550 6.4.1): what the sender of the RTCP
/// packet saw of the stream of `ssrc`.
struct report_block {
    std::uint32_t ssrc = 0;
    std::uint8_t fraction_lost = 0; ///< of 256, since the last report
    std::int32_t cumulative_lost = 0;
    std::uint32_t highest_sequence = 0;
    std::uint32_t jitter = 0; ///< interarrival jitter, in timestamp units
    std::uint32_t last_sr = 0;
    std::uint32_t delay_since_last_sr = 0;
};

/**
 * Walks a compound RTCP packet (RFC 3550 6.1): each packet's header and length are checked,
 * and `on_report(sender_ssrc, block)` is called for every report block of its SRs and RRs.
 * Other packet types (SDES, BYE, APP, feedback, XR) are skipped. A reduced-size packet (RFC
 * 5506) may start with any type; the first one must otherwise be an SR or RR.
 *
 * @returns the number of report blocks, or why the packet is not well formed.
 */
template <class F>
result<std::size_t> for_each_report(bytes p, F&& on_report) {
    if (p.size() < 4) return rtp_errc::too_short;
    std::size_t at = 0, reports = 0;
    while (at < p.size()) {
        if (p.size() - at < 4) return rtp_errc::too_short;
        if ((p[at] >> 6) != 2) return rtp_errc::bad_version;
        std::uint8_t count = p[at] & 0x1f;
        std::uint8_t type = p[at + 1];
        std::size_t length = (std::size_t(detail::be16(p, at + 2)) + 1) * 4;
        if (length > p.size() - at) return rtp_errc::bad_length;
        if (type < 192 || type > 223) return rtp_errc::not_rtcp;
        if (type == 200 || type == 201) {
            // SR: header, SSRC, 20 octets of sender info; RR: header, SSRC; then the blocks
            std::size_t blocks = at + (type == 200 ? 28 : 8);
            if (blocks + 24 * std::size_t(count) > at + length) return rtp_errc::bad_length;
            std::uint32_t sender = detail::be32(p, at + 4);
            for (std::size_t i = 0; i < count; ++i, blocks += 24) {
                report_block b;
                b.ssrc = detail::be32(p, blocks);
                b.fraction_lost = p[blocks + 4];
                std::uint32_t lost = detail::be32(p, blocks + 4) & 0xffffff;
                // a 24-bit signed count (duplicates make it negative)
                b.cumulative_lost = (lost & 0x800000) ? static_cast<std::int32_t>(lost) - 0x1000000
                                                      : static_cast<std::int32_t>(lost);
                b.highest_sequence = detail::be32(p, blocks + 8);
                b.jitter = detail::be32(p, blocks + 12);
                b.last_sr = detail::be32(p, blocks + 16);
                b.delay_since_last_sr = detail::be32(p, blocks + 20);
                on_report(sender, b);
                ++reports;
            }
        }
        at += length;
    }
    return reports;
}

} // namespace tandem::rtp

#endif
