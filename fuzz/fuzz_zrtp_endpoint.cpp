// libFuzzer target: a ZRTP endpoint (RFC 6189) fed hostile messages. The input is a series of
// messages, each prefixed by its length (2 octets); each is framed with a valid CRC (so the
// fuzzer reaches the state machine, not only the CRC check) and given to an endpoint that has
// started, between timer firings on virtual time. Invariants: nothing throws or crashes; what
// it sends is bounded; keys appear only in state secure, and never from garbage alone.

#include <tandem/zrtp/endpoint.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

namespace zrtp = tandem::zrtp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        zrtp::endpoint e(0x12345678);
        zrtp::endpoint::time_point now{};
        e.start(now);
        std::size_t queued = 0;
        std::uint16_t seq = 0;
        for (std::size_t at = 0; at + 2 <= size;) {
            std::size_t n = static_cast<std::size_t>(data[at]) << 8 | data[at + 1];
            at += 2;
            if (n > size - at) n = size - at;
            auto packet = zrtp::frame(seq++, 0x9abcdef0, std::span<const std::uint8_t>(data + at, n));
            at += n;
            e.on_packet(packet, now);
            now += std::chrono::milliseconds(37);
            e.on_timeout(now);
            while (auto p = e.poll_packet()) {
                if (p->size() > 4096) __builtin_trap();
                ++queued;
            }
        }
        if (queued > 4096) __builtin_trap();
        // a peer that cannot know our keys cannot finish the handshake: no keys from garbage
        if (e.state() == zrtp::zrtp_state::secure) __builtin_trap();
        if (e.keys()) __builtin_trap();
    } catch (...) {
        __builtin_trap();
    }
    return 0;
}
