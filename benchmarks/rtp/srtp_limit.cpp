// srtp_limit: the ceiling of one core for an SRTP re-encrypting relay, as libsrtp2 itself does
// it: per packet one srtp_protect (an outbound session) and one srtp_unprotect (an inbound
// session), nothing else: no sockets, no parsing, no lookups. A relay that re-encrypts does
// exactly one of each per packet (unprotect on the leg it came from, protect on the other), so
// 1 / (protect + unprotect) is what one core can re-encrypt at most with this libsrtp2 build.
//
// Per suite: the plain packet is 172 bytes (12-byte RTP header, PT 0, 160 bytes of payload) as
// in bench_rtp; each pass copies it into the buffer, sets the next sequence number (every
// protected packet is new: libsrtp2 refuses to protect or accept an index twice), protects it,
// unprotects it with the inbound session of the same key and checks length and bytes. Replay
// window 1024 and ssrc_any_* policies as Tandem's srtp::context. --streams N cycles over N
// session pairs and SSRCs (a relay with many calls, whose sessions are not all in cache).
//
// Prints per suite and run: suite=NAME run=R packets=N seconds=S pps=P ns_per_packet=T
// and per suite the median: suite=NAME median_pps=P
//
// usage: srtp_limit [--seconds S] [--runs R] [--streams N] [--suites NAME,NAME...]
// Bounded: each run stops after S seconds (checked every 256 packets) or 2^32 packets.

#include <srtp2/srtp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct suite_def {
    const char* name;
    void (*set)(srtp_crypto_policy_t*);
    std::size_t key_salt_len;
};

void set_cm80(srtp_crypto_policy_t* p) { srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(p); }
void set_gcm128(srtp_crypto_policy_t* p) { srtp_crypto_policy_set_aes_gcm_128_16_auth(p); }

const suite_def suites[] = {
    {"AES_CM_128_HMAC_SHA1_80", set_cm80, 30},
    {"AEAD_AES_128_GCM", set_gcm128, 28},
};

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "srtp_limit: %s\n", what);
    std::exit(1);
}

srtp_t make_session(const suite_def& s, std::vector<std::uint8_t>& key, bool inbound) {
    srtp_policy_t p{};
    s.set(&p.rtp);
    s.set(&p.rtcp);
    p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    p.key = key.data();
    p.window_size = 1024;
    p.allow_repeat_tx = 0;
    p.next = nullptr;
    srtp_t session = nullptr;
    if (srtp_create(&session, &p) != srtp_err_status_ok) die("srtp_create failed");
    return session;
}

double run(const suite_def& s, double seconds, int streams, std::uint64_t& packets_out, double& secs_out) {
    std::mt19937_64 rng(42);
    std::vector<std::vector<std::uint8_t>> keys(std::size_t(streams),
                                                std::vector<std::uint8_t>(s.key_salt_len));
    std::vector<srtp_t> out(std::size_t(streams), nullptr);
    std::vector<srtp_t> in(std::size_t(streams), nullptr);
    for (int i = 0; i < streams; ++i) {
        for (auto& b : keys[std::size_t(i)]) b = std::uint8_t(rng());
        out[std::size_t(i)] = make_session(s, keys[std::size_t(i)], false);
        in[std::size_t(i)] = make_session(s, keys[std::size_t(i)], true);
    }
    std::uint8_t plain[172];
    for (std::size_t i = 0; i < sizeof plain; ++i) plain[i] = std::uint8_t(i * 7 + 1);
    plain[0] = 0x80;
    plain[1] = 0;
    alignas(16) std::uint8_t buf[172 + SRTP_MAX_TRAILER_LEN + 16];
    std::vector<std::uint32_t> seq(std::size_t(streams), 0);
    std::uint64_t n = 0;
    auto t0 = std::chrono::steady_clock::now();
    double elapsed = 0;
    for (std::uint64_t pass = 0; pass < (std::uint64_t(1) << 32); ++pass) {
        auto i = std::size_t(pass % std::uint64_t(streams));
        std::memcpy(buf, plain, sizeof plain);
        std::uint32_t q = seq[i]++;
        buf[2] = std::uint8_t(q >> 8);
        buf[3] = std::uint8_t(q);
        std::uint32_t ssrc = 0x10000000u + std::uint32_t(i);
        buf[8] = std::uint8_t(ssrc >> 24);
        buf[9] = std::uint8_t(ssrc >> 16);
        buf[10] = std::uint8_t(ssrc >> 8);
        buf[11] = std::uint8_t(ssrc);
        int len = int(sizeof plain);
        if (srtp_protect(out[i], buf, &len) != srtp_err_status_ok) die("srtp_protect failed");
        if (srtp_unprotect(in[i], buf, &len) != srtp_err_status_ok) die("srtp_unprotect failed");
        if (len != int(sizeof plain) || std::memcmp(buf + 12, plain + 12, sizeof plain - 12) != 0)
            die("round trip changed the packet");
        ++n;
        if ((n & 255) == 0) {
            elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (elapsed >= seconds) break;
        }
    }
    for (int i = 0; i < streams; ++i) {
        srtp_dealloc(out[std::size_t(i)]);
        srtp_dealloc(in[std::size_t(i)]);
    }
    packets_out = n;
    secs_out = elapsed;
    return double(n) / elapsed;
}

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: srtp_limit [--seconds S] [--runs R] [--streams N] [--suites NAME,NAME...]\n");
    std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
    double seconds = 2;
    int runs = 3, streams = 1;
    std::string names = "AES_CM_128_HMAC_SHA1_80,AEAD_AES_128_GCM";
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (a == "--seconds")
            seconds = std::atof(next().c_str());
        else if (a == "--runs")
            runs = std::atoi(next().c_str());
        else if (a == "--streams")
            streams = std::atoi(next().c_str());
        else if (a == "--suites")
            names = next();
        else
            usage();
    }
    if (seconds <= 0 || seconds > 600 || runs < 1 || runs > 99 || streams < 1 || streams > 100000) usage();
    if (srtp_init() != srtp_err_status_ok) die("srtp_init failed");
    std::istringstream in(names);
    std::string name;
    while (std::getline(in, name, ',')) {
        const suite_def* s = nullptr;
        for (const auto& d : suites)
            if (name == d.name) s = &d;
        if (!s) die(("unknown suite " + name).c_str());
        std::vector<double> pps;
        for (int r = 1; r <= runs; ++r) {
            std::uint64_t n = 0;
            double secs = 0;
            double p = run(*s, seconds, streams, n, secs);
            pps.push_back(p);
            std::printf("suite=%s run=%d streams=%d packets=%llu seconds=%.3f pps=%.0f ns_per_packet=%.1f\n",
                        s->name, r, streams, static_cast<unsigned long long>(n), secs, p, 1e9 / p);
            std::fflush(stdout);
        }
        std::sort(pps.begin(), pps.end());
        std::printf("suite=%s median_pps=%.0f\n", s->name, pps[pps.size() / 2]);
        std::fflush(stdout);
    }
    return 0;
}
