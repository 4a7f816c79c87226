// Two of our ZRTP endpoints against each other on virtual time: the whole DH-mode handshake,
// both roles, commit contention, loss and reordering, and what a hostile peer gets.

#include <tandem/zrtp/endpoint.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace zrtp = tandem::zrtp;
using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;

namespace {

// A lossy, reordering wire between two endpoints, driven on virtual time.
struct wire {
    zrtp::endpoint a{0x11111111};
    zrtp::endpoint b{0x22222222};
    zrtp::endpoint::time_point now{};
    std::mt19937 rng{7};
    double loss = 0;
    bool reorder = false;
    std::size_t delivered = 0;

    void pump(zrtp::endpoint& from, zrtp::endpoint& to) {
        std::vector<bytes> batch;
        while (auto p = from.poll_packet()) batch.push_back(std::move(*p));
        if (reorder && batch.size() > 1) std::shuffle(batch.begin(), batch.end(), rng);
        for (auto& p : batch) {
            if (std::uniform_real_distribution<double>(0, 1)(rng) < loss) continue;
            ++delivered;
            to.on_packet(p, now);
        }
    }

    // Runs until both are secure or failed, or the virtual clock passes `limit`.
    void run(std::chrono::milliseconds limit = 30s) {
        auto end = now + limit;
        while (now < end) {
            pump(a, b);
            pump(b, a);
            bool done_a = a.state() == zrtp::zrtp_state::secure || a.state() == zrtp::zrtp_state::failed;
            bool done_b = b.state() == zrtp::zrtp_state::secure || b.state() == zrtp::zrtp_state::failed;
            if (done_a && done_b) return;
            now += 10ms;
            a.on_timeout(now);
            b.on_timeout(now);
        }
    }
};

void check_agreed(const zrtp::endpoint& a, const zrtp::endpoint& b) {
    REQUIRE(a.state() == zrtp::zrtp_state::secure);
    REQUIRE(b.state() == zrtp::zrtp_state::secure);
    CHECK(a.initiator() != b.initiator());
    auto ka = a.keys();
    auto kb = b.keys();
    REQUIRE((ka && kb));
    CHECK(ka->s == kb->s);
    CHECK(ka->local == kb->remote);
    CHECK(ka->remote == kb->local);
    CHECK(ka->local != ka->remote);
    CHECK(ka->local.size() == 30); // AES-128 key || 112-bit salt
    CHECK(a.sas().size() == 4);
    CHECK(a.sas() == b.sas());
}

} // namespace

TEST_CASE("two endpoints agree on keys and the SAS (X25519 preferred)", "[zrtp][endpoint]") {
    wire w;
    w.a.start(w.now);
    w.b.start(w.now);
    w.run();
    check_agreed(w.a, w.b);
    CHECK(w.a.algorithms() == "X255 AES1 HS80");
    CHECK(w.a.next_timeout() == std::nullopt); // nothing left to resend
}

TEST_CASE("DH3k when the peer offers no X25519; HS32 when it is all the peer takes", "[zrtp][endpoint]") {
    wire w;
    zrtp::endpoint_options dh3k_only;
    dh3k_only.key_agreements = {zrtp::type_block{"DH3k"}};
    dh3k_only.auth_tags = {zrtp::type_block{"HS32"}};
    w.b = zrtp::endpoint(0x33333333, dh3k_only);
    w.a.start(w.now);
    w.b.start(w.now);
    w.run();
    check_agreed(w.a, w.b);
    CHECK(w.a.algorithms() == "DH3k AES1 HS32");
    CHECK(w.a.keys()->s == tandem::srtp::suite::aes_cm_128_hmac_sha1_32);
}

TEST_CASE("a responder that never commits; the other side initiates", "[zrtp][endpoint]") {
    wire w;
    zrtp::endpoint_options passive;
    passive.may_commit = false;
    w.b = zrtp::endpoint(0x44444444, passive);
    w.a.start(w.now);
    w.b.start(w.now);
    w.run();
    check_agreed(w.a, w.b);
    CHECK(w.a.initiator());
}

TEST_CASE("the handshake survives loss and reordering on virtual time", "[zrtp][endpoint]") {
    for (unsigned seed = 1; seed <= 20; ++seed) {
        CAPTURE(seed);
        wire w;
        w.rng.seed(seed);
        w.loss = 0.3;
        w.reorder = true;
        w.a.start(w.now);
        w.now += 5ms; // one side starts a little later
        w.b.start(w.now);
        w.run(60s);
        check_agreed(w.a, w.b);
    }
}

TEST_CASE("a silent peer fails the handshake by timeout, bounded", "[zrtp][endpoint]") {
    zrtp::endpoint a(1);
    zrtp::endpoint::time_point now{};
    a.start(now);
    int sent = 0;
    for (int i = 0; i < 100000 && a.state() != zrtp::zrtp_state::failed; ++i) {
        while (a.poll_packet()) ++sent;
        REQUIRE(a.next_timeout());
        now = *a.next_timeout();
        a.on_timeout(now);
    }
    CHECK(a.state() == zrtp::zrtp_state::failed);
    CHECK(a.error() == tandem::zrtp_errc::timeout);
    CHECK(sent == 21); // the Hello and 20 retransmissions (RFC 6189 6)
}

TEST_CASE("tampering is caught: a changed Hello, a forged Confirm", "[zrtp][endpoint]") {
    SECTION("a Hello whose MAC does not match fails at the Commit") {
        wire w;
        w.a.start(w.now);
        w.b.start(w.now);
        // b's Hello, one algorithm byte changed on the way (the CRC recomputed by an attacker)
        auto p = w.b.poll_packet();
        REQUIRE(p);
        auto pk = zrtp::parse_packet(*p);
        REQUIRE(pk);
        bytes msg(pk->message.begin(), pk->message.end());
        msg[msg.size() - 12] ^= 0x01; // inside the algorithm lists, before the MAC
        w.a.on_packet(zrtp::frame(pk->sequence, pk->ssrc, msg), w.now);
        w.run();
        CHECK((w.a.state() == zrtp::zrtp_state::failed || w.b.state() == zrtp::zrtp_state::failed));
        CHECK_FALSE(w.a.keys());
    }
    SECTION("garbage and stray messages change nothing") {
        wire w;
        w.a.start(w.now);
        bytes junk(200, 0x10);
        w.a.on_packet(junk, w.now);
        w.a.on_packet(zrtp::frame(1, 2, zrtp::encode(zrtp::conf2_ack{})), w.now);
        w.a.on_packet(zrtp::frame(1, 2, zrtp::encode(zrtp::go_clear{})), w.now);
        CHECK(w.a.state() == zrtp::zrtp_state::discovery);
        w.b.start(w.now);
        w.run();
        check_agreed(w.a, w.b);
    }
}

TEST_CASE("a=zrtp-hash is the hash of our Hello", "[zrtp][endpoint]") {
    zrtp::endpoint a(5);
    a.start({});
    auto p = a.poll_packet();
    REQUIRE(p);
    auto pk = zrtp::parse_packet(*p);
    REQUIRE(pk);
    auto h = zrtp::sha256(pk->message);
    std::string hex;
    for (auto b : h) hex += fmt::format("{:02x}", b);
    CHECK(a.zrtp_hash() == "1.10 " + hex);
}
