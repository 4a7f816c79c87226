// libFuzzer target: bytes as a datagram on a DTLS-SRTP media port. The RFC 7983 demultiplexer
// decides what it is; what it calls DTLS goes to a server dtls_endpoint (once before start(), as
// a ClientHello that beats the SIP answer, and once after), whose output is drained. Nothing may
// crash, throw, or hand out keys: garbage never completes a handshake.

#include <tandem/config.hpp>
#include <tandem/rtp/packet.hpp>

#if TANDEM_HAS_TLS
#include <tandem/srtp/dtls.hpp>
#endif

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::uint8_t> p(data, size);
    auto kind = tandem::rtp::classify(p);
    if (kind != tandem::rtp::packet_kind::dtls) return 0;
    if (size == 0 || data[0] < 20 || data[0] > 63) std::abort();
#if TANDEM_HAS_TLS
    namespace srtp = tandem::srtp;
    try {
        // one certificate per process, as a relay has
        static const srtp::certificate cert = *srtp::certificate::generate();
        auto now = srtp::dtls_endpoint::clock::now();
        srtp::dtls_endpoint e(cert);
        e.on_datagram(p, now); // before start: buffered
        e.start(srtp::dtls_role::server, cert.fingerprint(), now);
        e.on_datagram(p, now); // the same bytes again, as a retransmission
        std::size_t out = 0;
        while (auto d = e.poll_datagram()) {
            if (d->size() > 1200) std::abort();
            ++out;
        }
        if (out > 64) std::abort();
        if (e.keys()) std::abort();
        if (e.next_timeout()) e.on_timeout(now);
        while (e.poll_datagram()) {
        }
    } catch (...) {
        __builtin_trap();
    }
#endif
    return 0;
}
