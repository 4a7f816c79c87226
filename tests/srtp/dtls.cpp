#include <tandem/srtp/dtls.hpp>

#include <catch2/catch.hpp>

#include <openssl/pem.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace srtp = tandem::srtp;
using srtp::dtls_endpoint;
using srtp::dtls_role;
using srtp::dtls_state;
using tandem::srtp_errc;

namespace {

using bytes = std::vector<std::uint8_t>;
using clock_type = dtls_endpoint::clock;

// One certificate per side for the whole run: generating is cheap, but shared certificates are
// how the relay uses them.
const srtp::certificate& cert_a() {
    static const srtp::certificate c = *srtp::certificate::generate();
    return c;
}
const srtp::certificate& cert_b() {
    static const srtp::certificate c = *srtp::certificate::generate();
    return c;
}

// Which datagrams a link lets through: (sender index 0 = a / 1 = b, running count, datagram).
using drop_rule = std::function<bool(int, std::size_t, const bytes&)>;

// Two endpoints joined in memory. Every datagram sent is recorded.
struct wire {
    wire(dtls_endpoint& a_side, dtls_endpoint& b_side) : a(a_side), b(b_side) {}
    dtls_endpoint& a;
    dtls_endpoint& b;
    std::vector<bytes> sent_by_a;
    std::vector<bytes> sent_by_b;
    std::size_t max_size = 0;
    drop_rule drop;

    // Drains both sides until nothing moves; returns the number of datagrams delivered.
    std::size_t pump(int rounds = 50) {
        std::size_t delivered = 0;
        for (int i = 0; i < rounds; ++i) {
            bool moved = false;
            while (auto d = a.poll_datagram()) {
                moved = true;
                max_size = std::max(max_size, d->size());
                sent_by_a.push_back(*d);
                if (drop && drop(0, sent_by_a.size() - 1, *d)) continue;
                b.on_datagram(*d, clock_type::now());
                ++delivered;
            }
            while (auto d = b.poll_datagram()) {
                moved = true;
                max_size = std::max(max_size, d->size());
                sent_by_b.push_back(*d);
                if (drop && drop(1, sent_by_b.size() - 1, *d)) continue;
                a.on_datagram(*d, clock_type::now());
                ++delivered;
            }
            if (!moved) break;
        }
        return delivered;
    }

    // Pumps, and fires expired timers (OpenSSL's timer reads the real clock, so this waits in
    // real time, a few ms a round with a short initial timeout) until both sides are done.
    void run_with_timers(int max_rounds = 200) {
        for (int i = 0; i < max_rounds; ++i) {
            pump();
            if (done(a) && done(b)) return;
            auto now = clock_type::now();
            auto ta = a.next_timeout();
            auto tb = b.next_timeout();
            std::optional<clock_type::time_point> next;
            if (ta) next = *ta;
            if (tb && (!next || *tb < *next)) next = *tb;
            if (!next) return; // nothing will ever move again
            if (*next > now)
                std::this_thread::sleep_for(
                    std::min<clock_type::duration>(*next - now, std::chrono::milliseconds(50)));
            a.on_timeout(clock_type::now());
            b.on_timeout(clock_type::now());
        }
    }

    static bool done(const dtls_endpoint& e) {
        return e.state() == dtls_state::connected || e.state() == dtls_state::failed;
    }
};

bool is_client_hello(const bytes& d) { return d.size() > 13 && d[0] == 22 && d[13] == 1; }

void check_keys(const dtls_endpoint& client, const dtls_endpoint& server) {
    REQUIRE(client.state() == dtls_state::connected);
    REQUIRE(server.state() == dtls_state::connected);
    CHECK(!client.error());
    CHECK(!server.error());
    auto ck = client.keys();
    auto sk = server.keys();
    REQUIRE(ck);
    REQUIRE(sk);
    CHECK(ck->s == sk->s);
    // both sides offer the same list, AEAD_AES_256_GCM first
    CHECK(ck->s == srtp::suite::aead_aes_256_gcm);
    CHECK(ck->local.size() == srtp::key_salt_len(ck->s));
    CHECK(ck->remote.size() == srtp::key_salt_len(ck->s));
    CHECK(ck->local == sk->remote);
    CHECK(ck->remote == sk->local);
    CHECK(ck->local != ck->remote);
}

srtp::dtls_options fast_timers() {
    srtp::dtls_options o;
    o.initial_timeout = std::chrono::milliseconds(20);
    o.max_timeout = std::chrono::milliseconds(40);
    return o;
}

} // namespace

TEST_CASE("certificate: generated, SDP fingerprint form", "[dtls]") {
    const auto& c = cert_a();
    REQUIRE(c.valid());
    // RFC 8122 5: hash name, space, 32 upper-case hex pairs joined by colons
    CHECK(std::regex_match(c.fingerprint(), std::regex("sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}")));
    CHECK(c.fingerprint() != cert_b().fingerprint());
    auto parsed = srtp::parse_sha256_fingerprint(c.fingerprint());
    REQUIRE(parsed);
    CHECK(*parsed == c.digest());
    CHECK(srtp::format_sha256_fingerprint(c.digest()) == c.fingerprint());

    // the certificate itself: P-256, signed with SHA-256, valid since yesterday
    SSL_CTX* ctx = c.native_handle();
    X509* x = SSL_CTX_get0_certificate(ctx);
    REQUIRE(x);
    CHECK(X509_get_signature_nid(x) == NID_ecdsa_with_SHA256);
    CHECK(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
    CHECK(X509_cmp_current_time(X509_get0_notAfter(x)) > 0);
    EVP_PKEY* key = X509_get0_pubkey(x);
    REQUIRE(key);
    CHECK(EVP_PKEY_is_a(key, "EC"));
    CHECK(EVP_PKEY_get_bits(key) == 256);

    srtp::certificate empty;
    CHECK(!empty.valid());
    CHECK(empty.fingerprint().empty());
    srtp::certificate moved = *srtp::certificate::generate();
    std::string fp = moved.fingerprint();
    srtp::certificate other(std::move(moved));
    CHECK(other.fingerprint() == fp);
    CHECK(other.valid());
}

TEST_CASE("certificate: load from PEM files", "[dtls]") {
    const auto& c = cert_a();
    // unique names: several test processes may run at once
    const std::string base = (std::filesystem::temp_directory_path() /
                              ("tandem_dtls_" + std::to_string(std::random_device{}()) + "_"))
                                 .string();
    std::string cert_path = base + "cert.pem";
    std::string key_path = base + "key.pem";
    {
        BIO* b = BIO_new_file(cert_path.c_str(), "w");
        REQUIRE(b);
        CHECK(PEM_write_bio_X509(b, SSL_CTX_get0_certificate(c.native_handle())) == 1);
        BIO_free(b);
        b = BIO_new_file(key_path.c_str(), "w");
        REQUIRE(b);
        CHECK(PEM_write_bio_PrivateKey(b, SSL_CTX_get0_privatekey(c.native_handle()), nullptr, nullptr, 0,
                                       nullptr, nullptr) == 1);
        BIO_free(b);
    }
    auto loaded = srtp::certificate::load(cert_path, key_path);
    REQUIRE(loaded);
    CHECK(loaded->fingerprint() == c.fingerprint());

    // a loaded certificate works for a handshake
    dtls_endpoint client(*loaded);
    dtls_endpoint server(cert_b());
    server.start(dtls_role::server, c.fingerprint(), clock_type::now());
    client.start(dtls_role::client, cert_b().fingerprint(), clock_type::now());
    wire l(client, server);
    l.pump();
    check_keys(client, server);

    auto missing = srtp::certificate::load("/nonexistent/cert.pem", key_path);
    REQUIRE(!missing);
    CHECK(missing.error() == srtp_errc::certificate_error);
    auto swapped = srtp::certificate::load(key_path, cert_path);
    REQUIRE(!swapped);
    CHECK(swapped.error() == srtp_errc::certificate_error);
    // a key that is not the certificate's
    std::string other_key = base + "other_key.pem";
    {
        BIO* b = BIO_new_file(other_key.c_str(), "w");
        REQUIRE(b);
        CHECK(PEM_write_bio_PrivateKey(b, SSL_CTX_get0_privatekey(cert_b().native_handle()), nullptr, nullptr,
                                       0, nullptr, nullptr) == 1);
        BIO_free(b);
    }
    auto mismatched = srtp::certificate::load(cert_path, other_key);
    REQUIRE(!mismatched);
    CHECK(mismatched.error() == srtp_errc::certificate_error);
    std::remove(cert_path.c_str());
    std::remove(key_path.c_str());
    std::remove(other_key.c_str());
}

TEST_CASE("fingerprint parsing", "[dtls]") {
    const std::string fp = cert_a().fingerprint();
    std::string lower = fp;
    for (auto& ch : lower)
        if (ch >= 'A' && ch <= 'F') ch = static_cast<char>(ch - 'A' + 'a');
    CHECK(srtp::parse_sha256_fingerprint(lower) == cert_a().digest());
    CHECK(srtp::parse_sha256_fingerprint("SHA-256 " + fp.substr(8)) == cert_a().digest());
    CHECK(srtp::parse_sha256_fingerprint("  " + fp + "\r\n") == cert_a().digest());
    CHECK(!srtp::parse_sha256_fingerprint(""));
    CHECK(!srtp::parse_sha256_fingerprint("sha-256"));
    CHECK(!srtp::parse_sha256_fingerprint("sha-1 " + fp.substr(8)));
    CHECK(!srtp::parse_sha256_fingerprint(fp.substr(0, fp.size() - 3)));       // 31 octets
    CHECK(!srtp::parse_sha256_fingerprint(fp + ":AB"));                        // 33 octets
    CHECK(!srtp::parse_sha256_fingerprint("sha-256 " + std::string(95, 'G'))); // not hex
    std::string no_colons = fp;
    no_colons[10] = '-';
    CHECK(!srtp::parse_sha256_fingerprint(no_colons));
}

TEST_CASE("dtls: handshake, server started first", "[dtls]") {
    dtls_endpoint client(cert_a());
    dtls_endpoint server(cert_b());
    CHECK(client.state() == dtls_state::idle);
    server.start(dtls_role::server, cert_a().fingerprint(), clock_type::now());
    CHECK(!server.poll_datagram()); // a server waits for the ClientHello
    CHECK(!server.next_timeout());
    client.start(dtls_role::client, cert_b().fingerprint(), clock_type::now());
    CHECK(client.state() == dtls_state::handshaking);
    CHECK(client.next_timeout()); // the ClientHello awaits an answer
    wire l(client, server);
    l.pump();
    REQUIRE(!l.sent_by_a.empty());
    CHECK(is_client_hello(l.sent_by_a.front()));
    check_keys(client, server);
    CHECK(l.max_size <= 1200);
    CHECK(client.role() == dtls_role::client);
    CHECK(server.role() == dtls_role::server);
    CHECK(!server.next_timeout()); // the server sent the last flight and expects nothing
}

TEST_CASE("dtls: ClientHello before the server knows its role", "[dtls]") {
    dtls_endpoint client(cert_a());
    dtls_endpoint server(cert_b());
    client.start(dtls_role::client, cert_b().fingerprint(), clock_type::now());
    wire l(client, server);
    l.pump(); // the ClientHello reaches a server that has not started: buffered
    CHECK(server.state() == dtls_state::idle);
    CHECK(!server.poll_datagram());
    CHECK(client.state() == dtls_state::handshaking);

    SECTION("started as server: the buffered ClientHello is answered") {
        server.start(dtls_role::server, cert_a().fingerprint(), clock_type::now());
        l.pump();
        check_keys(client, server);
    }
    SECTION("started as client too: bad_setup") {
        server.start(dtls_role::client, cert_a().fingerprint(), clock_type::now());
        CHECK(server.state() == dtls_state::failed);
        CHECK(server.error() == srtp_errc::bad_setup);
        CHECK(!server.keys());
    }
}

TEST_CASE("dtls: bounded buffer before start", "[dtls]") {
    dtls_endpoint client(cert_a());
    dtls_endpoint server(cert_b());
    client.start(dtls_role::client, cert_b().fingerprint(), clock_type::now());
    auto hello = client.poll_datagram();
    REQUIRE(hello);
    // 100 copies of the ClientHello and some non-DTLS datagrams: only 8 are kept
    for (int i = 0; i < 100; ++i) server.on_datagram(*hello, clock_type::now());
    bytes rtp(40, 0x80);
    server.on_datagram(rtp, clock_type::now());
    server.start(dtls_role::server, cert_a().fingerprint(), clock_type::now());
    wire l(client, server);
    l.pump();
    check_keys(client, server);
}

TEST_CASE("dtls: fingerprint mismatch refused on both sides", "[dtls]") {
    dtls_endpoint client(cert_a());
    dtls_endpoint server(cert_b());
    const std::string wrong = srtp::certificate::generate()->fingerprint();
    bool client_wrong = GENERATE(true, false);
    server.start(dtls_role::server, client_wrong ? cert_a().fingerprint() : wrong, clock_type::now());
    client.start(dtls_role::client, client_wrong ? wrong : cert_b().fingerprint(), clock_type::now());
    wire l(client, server);
    l.pump();
    CHECK(client.state() == dtls_state::failed);
    CHECK(server.state() == dtls_state::failed);
    CHECK(!client.keys());
    CHECK(!server.keys());
    if (client_wrong) {
        CHECK(client.error() == srtp_errc::fingerprint_mismatch);
        CHECK(server.error() == srtp_errc::dtls_failed); // told by the client's alert
    } else {
        CHECK(server.error() == srtp_errc::fingerprint_mismatch);
        CHECK(client.error() == srtp_errc::dtls_failed);
    }
    // later datagrams are ignored
    client.on_datagram(bytes(50, 22), clock_type::now());
    CHECK(client.state() == dtls_state::failed);
    CHECK(!client.next_timeout());
}

TEST_CASE("dtls: the negotiated protection profile sets the key lengths", "[dtls]") {
    // certificates of their own, whose contexts offer fewer profiles
    auto ca = *srtp::certificate::generate();
    auto cb = *srtp::certificate::generate();
    REQUIRE(SSL_CTX_set_tlsext_use_srtp(ca.native_handle(),
                                        "SRTP_AES128_CM_SHA1_32:SRTP_AES128_CM_SHA1_80") == 0);

    SECTION("common profile") {
        REQUIRE(SSL_CTX_set_tlsext_use_srtp(cb.native_handle(), "SRTP_AES128_CM_SHA1_80") == 0);
        dtls_endpoint client(ca);
        dtls_endpoint server(cb);
        server.start(dtls_role::server, ca.fingerprint(), clock_type::now());
        client.start(dtls_role::client, cb.fingerprint(), clock_type::now());
        wire l(client, server);
        l.pump();
        REQUIRE(client.keys());
        REQUIRE(server.keys());
        CHECK(client.keys()->s == srtp::suite::aes_cm_128_hmac_sha1_80);
        CHECK(client.keys()->local.size() == 30); // 16-octet key, 14-octet salt
        CHECK(client.keys()->remote.size() == 30);
        CHECK(client.keys()->local == server.keys()->remote);
        CHECK(client.keys()->remote == server.keys()->local);
    }
    SECTION("no common profile") {
        REQUIRE(SSL_CTX_set_tlsext_use_srtp(cb.native_handle(), "SRTP_AEAD_AES_128_GCM") == 0);
        dtls_endpoint client(ca);
        dtls_endpoint server(cb);
        server.start(dtls_role::server, ca.fingerprint(), clock_type::now());
        client.start(dtls_role::client, cb.fingerprint(), clock_type::now());
        wire l(client, server);
        l.pump();
        CHECK(client.state() == dtls_state::failed);
        CHECK(server.state() == dtls_state::failed);
        CHECK(client.error() == srtp_errc::no_srtp_profile);
        CHECK(server.error() == srtp_errc::no_srtp_profile);
        CHECK(!client.keys());
        CHECK(!server.keys());
    }
}

TEST_CASE("dtls: unusable fingerprints", "[dtls]") {
    dtls_endpoint e(cert_a());
    std::string fp =
        GENERATE(std::string(), std::string("sha-1 AB:CD"),
                 std::string("sha-512 ") + cert_b().fingerprint().substr(8), std::string("garbage"));
    e.start(dtls_role::client, fp, clock_type::now());
    CHECK(e.state() == dtls_state::failed);
    CHECK(e.error() == srtp_errc::no_fingerprint);
    CHECK(!e.poll_datagram());
    CHECK_THROWS_AS(e.start(dtls_role::client, cert_b().fingerprint(), clock_type::now()), std::logic_error);
}

TEST_CASE("dtls: lower-case peer fingerprint accepted", "[dtls]") {
    dtls_endpoint client(cert_a());
    dtls_endpoint server(cert_b());
    std::string fp = cert_b().fingerprint();
    for (auto& ch : fp)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    server.start(dtls_role::server, cert_a().fingerprint(), clock_type::now());
    client.start(dtls_role::client, fp, clock_type::now());
    wire l(client, server);
    l.pump();
    check_keys(client, server);
}

TEST_CASE("dtls: every datagram fits the MTU", "[dtls]") {
    std::size_t mtu = GENERATE(std::size_t{1200}, std::size_t{600}, std::size_t{300}, std::size_t{256});
    srtp::dtls_options o;
    o.mtu = mtu;
    dtls_endpoint client(cert_a(), o);
    dtls_endpoint server(cert_b(), o);
    server.start(dtls_role::server, cert_a().fingerprint(), clock_type::now());
    client.start(dtls_role::client, cert_b().fingerprint(), clock_type::now());
    wire l(client, server);
    l.pump();
    check_keys(client, server);
    CHECK(l.max_size <= mtu);
    CHECK(l.max_size > 0);
    if (mtu <= 300) {
        // the server's certificate flight no longer fits one datagram
        CHECK(l.sent_by_b.size() >= 3);
    }
    CHECK_THROWS_AS(dtls_endpoint(cert_a(), srtp::dtls_options{255}), std::invalid_argument);
    CHECK_THROWS_AS(dtls_endpoint(srtp::certificate{}), std::invalid_argument);
}

// OpenSSL's DTLS timer reads the real clock (gettimeofday) and cannot be virtualised, so these
// cases shorten the retransmission timeout to 20-40 ms (DTLS_set_timer_cb, through
// dtls_options::initial_timeout and max_timeout; OpenSSL reads less than 15 ms left as expired)
// and wait for it in real time, a bounded number of rounds.
TEST_CASE("dtls: a lost flight is retransmitted on timeout", "[dtls]") {
    dtls_endpoint client(cert_a(), fast_timers());
    dtls_endpoint server(cert_b(), fast_timers());
    server.start(dtls_role::server, cert_a().fingerprint(), clock_type::now());
    client.start(dtls_role::client, cert_b().fingerprint(), clock_type::now());
    wire l(client, server);
    std::size_t dropped = 0; // outlives l.drop, which counts into it
    // each section loses a flight, then the handshake must still complete
    auto run = [&](std::size_t expected_drops) {
        l.run_with_timers();
        INFO("client sent " << l.sent_by_a.size() << ", server sent " << l.sent_by_b.size());
        CHECK(dropped >= expected_drops);
        check_keys(client, server);
    };

    SECTION("the ClientHello") {
        l.drop = [&dropped](int from, std::size_t n, const bytes&) {
            if (from != 0 || n != 0) return false;
            ++dropped;
            return true;
        };
        run(1);
    }
    SECTION("the server's first flight") {
        // drop everything the server sends until the client has retransmitted its ClientHello;
        // the server retransmits on its own timer too
        l.drop = [&dropped, hellos = std::size_t{0}](int from, std::size_t, const bytes& d) mutable {
            if (from == 0 && is_client_hello(d)) ++hellos;
            if (from == 1 && hellos < 2) {
                ++dropped;
                return true;
            }
            return false;
        };
        run(1);
    }
    SECTION("the server's last flight, twice (the server is connected already)") {
        // the client retransmits its last flight on its timer; the connected server answers each
        // retransmission with its own last flight (RFC 6347 4.2.4)
        l.drop = [&server, &dropped](int from, std::size_t, const bytes&) {
            if (from == 1 && server.state() == dtls_state::connected && dropped < 2) {
                ++dropped;
                return true;
            }
            return false;
        };
        run(2);
    }
}

TEST_CASE("dtls: a flight never answered fails the handshake", "[dtls]") {
    // the peer is silent: OpenSSL retransmits 12 times, every 20 ms here, then gives up
    srtp::dtls_options o;
    o.initial_timeout = std::chrono::milliseconds(20);
    o.max_timeout = std::chrono::milliseconds(20);
    dtls_endpoint client(cert_a(), o);
    client.start(dtls_role::client, cert_b().fingerprint(), clock_type::now());
    std::size_t hellos = 0;
    for (int i = 0; i < 40 && client.state() == dtls_state::handshaking; ++i) {
        while (auto d = client.poll_datagram()) hellos += is_client_hello(*d) ? 1u : 0u;
        auto t = client.next_timeout();
        REQUIRE(t);
        auto now = clock_type::now();
        if (*t > now) std::this_thread::sleep_for(*t - now);
        client.on_timeout(clock_type::now());
    }
    CHECK(client.state() == dtls_state::failed);
    CHECK(client.error() == srtp_errc::dtls_failed);
    CHECK(hellos > 5);
    INFO("ClientHellos sent: " << hellos);
    CHECK(!client.next_timeout());
}

TEST_CASE("dtls: replayed records after the handshake are ignored", "[dtls]") {
    dtls_endpoint client(cert_a());
    dtls_endpoint server(cert_b());
    server.start(dtls_role::server, cert_a().fingerprint(), clock_type::now());
    client.start(dtls_role::client, cert_b().fingerprint(), clock_type::now());
    wire l(client, server);
    l.pump();
    check_keys(client, server);
    auto keys_before = client.keys();
    // every datagram of the handshake again, in both directions: the epoch-0 records are from
    // an old epoch and the epoch-1 ones fall in the replay window (RFC 6347 4.1.2.6). (A real
    // retransmission, with new sequence numbers, is answered: see "a lost flight ...".)
    for (const auto& d : l.sent_by_a) server.on_datagram(d, clock_type::now());
    for (const auto& d : l.sent_by_b) client.on_datagram(d, clock_type::now());
    l.pump();
    CHECK(client.keys()->local == keys_before->local);
    check_keys(client, server);
}

TEST_CASE("dtls: close_notify", "[dtls]") {
    dtls_endpoint client(cert_a());
    dtls_endpoint server(cert_b());
    server.start(dtls_role::server, cert_a().fingerprint(), clock_type::now());
    client.start(dtls_role::client, cert_b().fingerprint(), clock_type::now());
    wire l(client, server);
    l.pump();
    check_keys(client, server);
    client.close(clock_type::now());
    CHECK(client.state() == dtls_state::closed);
    CHECK(!client.keys());
    l.pump();
    CHECK(server.state() == dtls_state::closed);
    CHECK(!server.error());
    CHECK(!server.keys());
    // closing twice, or an idle endpoint, does nothing harmful
    client.close(clock_type::now());
    dtls_endpoint idle(cert_a());
    idle.close(clock_type::now());
    CHECK(idle.state() == dtls_state::closed);
    CHECK(!idle.poll_datagram());
}

TEST_CASE("dtls: endpoints are movable mid-handshake", "[dtls]") {
    dtls_endpoint c0(cert_a());
    dtls_endpoint s0(cert_b());
    s0.start(dtls_role::server, cert_a().fingerprint(), clock_type::now());
    c0.start(dtls_role::client, cert_b().fingerprint(), clock_type::now());
    auto hello = c0.poll_datagram();
    REQUIRE(hello);
    dtls_endpoint client(std::move(c0));
    dtls_endpoint server(cert_a());
    server = std::move(s0);
    server.on_datagram(*hello, clock_type::now());
    wire l(client, server);
    l.pump();
    check_keys(client, server);
}

TEST_CASE("dtls: garbage does not crash", "[dtls]") {
    std::mt19937 rng(1234);
    auto random_datagram = [&](std::uint8_t first) {
        bytes d(std::uniform_int_distribution<std::size_t>(0, 1500)(rng));
        for (auto& b : d) b = static_cast<std::uint8_t>(rng());
        if (!d.empty()) d[0] = first;
        return d;
    };

    SECTION("before start and while handshaking") {
        for (int round = 0; round < 20; ++round) {
            dtls_endpoint server(cert_b());
            for (int i = 0; i < 5; ++i)
                server.on_datagram(random_datagram(static_cast<std::uint8_t>(20 + rng() % 44)),
                                   clock_type::now());
            server.start(dtls_role::server, cert_a().fingerprint(), clock_type::now());
            for (int i = 0; i < 20; ++i) {
                server.on_datagram(random_datagram(static_cast<std::uint8_t>(rng())), clock_type::now());
                while (server.poll_datagram()) {
                }
            }
            CHECK((server.state() == dtls_state::handshaking || server.state() == dtls_state::failed));
            CHECK(!server.keys());
        }
    }
    SECTION("record headers that look right, random bodies, interleaved with a real handshake") {
        dtls_endpoint client(cert_a());
        dtls_endpoint server(cert_b());
        server.start(dtls_role::server, cert_a().fingerprint(), clock_type::now());
        client.start(dtls_role::client, cert_b().fingerprint(), clock_type::now());
        // garbage that is not even a record header is dropped by both
        for (int i = 0; i < 50; ++i) {
            bytes g = random_datagram(23); // application data, epoch random: dropped
            if (g.size() > 4) g[3] = g[4] = 0x7f;
            client.on_datagram(g, clock_type::now());
            server.on_datagram(g, clock_type::now());
        }
        wire l(client, server);
        l.pump();
        check_keys(client, server);
        // once connected, garbage changes nothing
        for (int i = 0; i < 200; ++i) {
            auto g = random_datagram(static_cast<std::uint8_t>(20 + rng() % 4));
            client.on_datagram(g, clock_type::now());
            server.on_datagram(g, clock_type::now());
        }
        while (client.poll_datagram()) {
        }
        while (server.poll_datagram()) {
        }
        CHECK(client.state() == dtls_state::connected);
        CHECK(server.state() == dtls_state::connected);
        check_keys(client, server);
    }
    SECTION("truncations of a real ClientHello") {
        dtls_endpoint client(cert_a());
        client.start(dtls_role::client, cert_b().fingerprint(), clock_type::now());
        auto hello = client.poll_datagram();
        REQUIRE(hello);
        for (std::size_t n = 0; n <= hello->size(); n += 7) {
            dtls_endpoint server(cert_b());
            server.start(dtls_role::server, cert_a().fingerprint(), clock_type::now());
            server.on_datagram(std::span<const std::uint8_t>(hello->data(), n), clock_type::now());
            while (server.poll_datagram()) {
            }
            CHECK(server.state() != dtls_state::connected);
        }
    }
}
