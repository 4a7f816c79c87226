// libFuzzer target: bytes as a datagram on a media port. Demultiplexing (RFC 7983), the RTP
// header and the reports of a compound RTCP packet must refuse or accept without reading past
// the datagram; what they accept must lie within it. The same bytes, cut into datagrams from
// a few sources, then go through a latch, which must never accept a second source once locked.

#include <tandem/media/relay_session.hpp>
#include <tandem/rtp/packet.hpp>

#include "reader.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

namespace rtp = tandem::rtp;
namespace media = tandem::media;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    rtp::bytes p(data, size);
    auto kind = rtp::classify(p);
    if (auto h = rtp::parse_rtp(p)) {
        if (h->payload_offset + h->payload_size > size || h->payload_offset < 12) std::abort();
        if (kind != rtp::packet_kind::rtp && kind != rtp::packet_kind::rtcp)
            std::abort(); // version 2 is 128-191
    }
    std::size_t seen = 0;
    if (auto n = rtp::for_each_report(p, [&](std::uint32_t, const rtp::report_block& b) {
            ++seen;
            if (b.cumulative_lost > 0x7fffff || b.cumulative_lost < -0x800000) std::abort();
        })) {
        if (*n != seen || seen * 24 > size) std::abort();
    }

    // a latch fed datagrams from four sources: locked means one source only, for good
    tandem::fuzz::reader r{data, size};
    media::latch l;
    auto addr = asio::ip::make_address_v4("192.0.2.1");
    l.reopen(media::udp_endpoint(addr, 4000));
    media::udp_endpoint locked_to;
    bool locked = false;
    while (!r.empty()) {
        std::uint8_t c = r.byte();
        if (c == 0xff) {
            l.reopen(media::udp_endpoint(addr, 4000));
            locked = false;
            continue;
        }
        media::udp_endpoint from(asio::ip::make_address_v4(0xc0000201u + (c & 1u)),
                                 static_cast<std::uint16_t>(4000 + ((c >> 1) & 1u)));
        bool accepted = l.accept(from, (c & 4) != 0, 1 + (c >> 5));
        if (locked && accepted != (from == locked_to)) std::abort();
        if (!locked && l.locked()) {
            locked = true;
            locked_to = l.source();
        }
    }
    return 0;
}
