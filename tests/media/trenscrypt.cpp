// The trenscrypter's relay (srtp_relay) on loopback sockets: each leg keyed on its own, media
// decrypted from one phone and encrypted for the other, nothing crossing before it is keyed or
// when it fails authentication.

#include <tandem/media/rtp_relay.hpp>

#include "support/loopback_phone.hpp"

#include <catch2/catch.hpp>

#include <asio.hpp>

#include <any>
#include <cstdint>
#include <string>
#include <vector>

namespace media = tandem::media;
namespace srtp = tandem::srtp;
namespace rtp = tandem::rtp;
namespace sdp = tandem::sdp;
namespace b2b = tandem::b2bua;
using namespace tandem::test;
using bytes = std::vector<std::uint8_t>;

namespace {

media::srtp_relay_config config(std::uint16_t base) {
    media::srtp_relay_config cfg;
    cfg.port_min = base;
    cfg.port_max = static_cast<std::uint16_t>(base + 999);
    return cfg;
}

std::any choose(media::encryption mode, std::vector<srtp::suite> suites = {}) {
    media::srtp_relay::options o;
    o.encryption_b = media::encryption_choice{mode, std::move(suites)};
    return o;
}

std::vector<srtp::crypto_attribute> crypto_lines(const std::string& text) {
    auto sd = sdp::parse(text);
    REQUIRE(sd);
    std::vector<srtp::crypto_attribute> out;
    for (const auto& a : sd->media.at(0).attributes)
        if (a.name == "crypto") {
            auto c = srtp::parse_crypto(a.value.value_or(""));
            REQUIRE(c);
            out.push_back(*c);
        }
    return out;
}

std::string proto_of(const std::string& text) {
    auto sd = sdp::parse(text);
    REQUIRE(sd);
    return sd->media.at(0).proto;
}

bytes key_of(std::size_t n, std::uint8_t seed) {
    bytes k(n);
    for (std::size_t i = 0; i < n; ++i) k[i] = static_cast<std::uint8_t>(seed + i * 13);
    return k;
}

std::string sdes_sdp(std::uint16_t port, const std::string& proto,
                     std::initializer_list<std::string> crypto) {
    std::string s = phone_sdp(port);
    s.replace(s.find("RTP/AVP"), 7, proto);
    for (const auto& c : crypto) s += "a=crypto:" + c + "\r\n";
    return s;
}

// A call's media session, leg B's encryption chosen as a policy would.
tandem::result<media::srtp_relay::session> open_with(media::srtp_relay& relay, const std::any& choice) {
    b2b::media_context ctx;
    ctx.options = &choice;
    auto s = relay.open(ctx);
    REQUIRE(s);
    return s;
}

bytes protect(srtp::context& c, bytes p) {
    std::size_t len = p.size();
    p.resize(len + srtp::max_trailer);
    REQUIRE(c.protect_rtp(p.data(), len, p.size()));
    p.resize(len);
    return p;
}

} // namespace

TEST_CASE("srtp_relay: a plain leg A, an SDES leg B with the policy's suites", "[media][srtp]") {
    asio::io_context io;
    media::srtp_relay relay(io.get_executor(), config(42000));
    phone a(io), b(io);
    auto s = open_with(relay, choose(media::encryption::sdes,
                                     {srtp::suite::aes_cm_128_hmac_sha1_80, srtp::suite::aead_aes_128_gcm}));
    auto to_b = relay.offer(*s, b2b::leg::a, phone_sdp(a.port()));
    REQUIRE(to_b);
    CHECK(proto_of(*to_b) == "RTP/SAVP");
    auto offered = crypto_lines(*to_b);
    REQUIRE(offered.size() == 2);
    CHECK(offered[0].s == srtp::suite::aes_cm_128_hmac_sha1_80);
    CHECK(offered[1].s == srtp::suite::aead_aes_128_gcm);
    CHECK(offered[0].keys[0].key_salt != offered[1].keys[0].key_salt); // a fresh key per line
    CHECK(to_b->find("==") != std::string::npos);                      // padded base64

    // dark until keyed: leg B has no keys before its answer
    bytes b_key = key_of(28, 7);
    std::string answer =
        sdes_sdp(b.port(), "RTP/SAVP", {"2 AEAD_AES_128_GCM inline:" + srtp::base64_encode(b_key)});
    auto to_a = relay.answer(*s, b2b::leg::b, answer);
    REQUIRE(to_a);
    CHECK(proto_of(*to_a) == "RTP/AVP");
    CHECK(to_a->find("a=crypto") == std::string::npos);
    std::uint16_t facing_a = port_in(*to_a), facing_b = port_in(*to_b);

    // what we send B is encrypted with our key of the line B picked
    auto from_us = srtp::context::make(srtp::suite::aead_aes_128_gcm, offered[1].keys[0].key_salt,
                                       srtp::direction::inbound);
    auto b_out = srtp::context::make(srtp::suite::aead_aes_128_gcm, b_key, srtp::direction::outbound);
    REQUIRE((from_us && b_out));
    for (std::uint16_t seq = 1; seq <= 3; ++seq) a.send(facing_a, rtp_packet(0, 0xAA, seq));
    settle(io);
    auto at_b = b.received();
    REQUIRE(at_b.size() == 3);
    for (std::size_t i = 0; i < at_b.size(); ++i) {
        CHECK(at_b[i].size() == rtp_packet(0, 0xAA).size() + 16);
        CHECK(at_b[i][20] != 0xAA); // not in clear
        std::size_t len = at_b[i].size();
        REQUIRE(from_us->unprotect_rtp(at_b[i].data(), len));
        at_b[i].resize(len);
        CHECK(at_b[i] == rtp_packet(0, 0xAA, static_cast<std::uint16_t>(i + 1)));
    }

    // and what B sends reaches A decrypted
    bytes wire = protect(*b_out, rtp_packet(0, 0xBB, 100));
    b.send(facing_b, wire);
    settle(io);
    auto at_a = a.received();
    REQUIRE(at_a.size() == 1);
    CHECK(at_a[0] == rtp_packet(0, 0xBB, 100));

    // forged (a bit flipped in the tag), replayed, or in clear: dropped and counted
    bytes forged = protect(*b_out, rtp_packet(0, 0xBB, 101));
    forged.back() ^= 1;
    b.send(facing_b, forged);
    b.send(facing_b, wire);
    b.send(facing_b, rtp_packet(0, 0xBB, 102));
    settle(io);
    CHECK(a.received().empty());
    CHECK(relay.totals().refused == 3);
    CHECK(relay.stats(*s).legs[1].dropped == 3);
    relay.close(*s);
}

TEST_CASE("srtp_relay: an SDES leg A to a plain leg B; lines we cannot honour are declined",
          "[media][srtp]") {
    asio::io_context io;
    media::srtp_relay relay(io.get_executor(), config(43000));
    phone a(io), b(io);
    auto s = open_with(relay, choose(media::encryption::none));
    bytes a_key = key_of(30, 3);
    // tag 1 asks for unencrypted SRTP (RFC 4568 6.3: declined), tag 2 is usable
    std::string offer = sdes_sdp(
        a.port(), "RTP/SAVP",
        {"1 AES_CM_128_HMAC_SHA1_80 inline:" + srtp::base64_encode(key_of(30, 9)) + " UNENCRYPTED_SRTP",
         "2 AES_CM_128_HMAC_SHA1_32 inline:" + srtp::base64_encode(a_key)});
    auto to_b = relay.offer(*s, b2b::leg::a, offer);
    REQUIRE(to_b);
    CHECK(proto_of(*to_b) == "RTP/AVP");
    CHECK(crypto_lines(*to_b).empty());
    auto to_a = relay.answer(*s, b2b::leg::b, phone_sdp(b.port()));
    REQUIRE(to_a);
    CHECK(proto_of(*to_a) == "RTP/SAVP");
    auto ours = crypto_lines(*to_a);
    REQUIRE(ours.size() == 1);
    CHECK(ours[0].tag == 2);
    CHECK(ours[0].s == srtp::suite::aes_cm_128_hmac_sha1_32);
    CHECK(ours[0].keys[0].key_salt != a_key); // our own key, never the phone's

    std::uint16_t facing_a = port_in(*to_a), facing_b = port_in(*to_b);
    auto a_out = srtp::context::make(srtp::suite::aes_cm_128_hmac_sha1_32, a_key, srtp::direction::outbound);
    auto to_phone_a = srtp::context::make(srtp::suite::aes_cm_128_hmac_sha1_32, ours[0].keys[0].key_salt,
                                          srtp::direction::inbound);
    REQUIRE((a_out && to_phone_a));
    a.send(facing_a, protect(*a_out, rtp_packet(0, 0xA1, 5)));
    b.send(facing_b, rtp_packet(0, 0xB1, 9));
    settle(io);
    auto at_b = b.received();
    REQUIRE(at_b.size() == 1);
    CHECK(at_b[0] == rtp_packet(0, 0xA1, 5));
    auto at_a = a.received();
    REQUIRE(at_a.size() == 1);
    std::size_t len = at_a[0].size();
    REQUIRE(to_phone_a->unprotect_rtp(at_a[0].data(), len));
    at_a[0].resize(len);
    CHECK(at_a[0] == rtp_packet(0, 0xB1, 9));

    // a re-INVITE repeating the key: our answer repeats ours (nothing restarts)
    auto again = relay.offer(*s, b2b::leg::a, offer);
    REQUIRE(again);
    auto to_a2 = relay.answer(*s, b2b::leg::b, phone_sdp(b.port()));
    REQUIRE(to_a2);
    auto ours2 = crypto_lines(*to_a2);
    REQUIRE(ours2.size() == 1);
    CHECK(ours2[0].keys[0].key_salt == ours[0].keys[0].key_salt);
    a.send(facing_a, protect(*a_out, rtp_packet(0, 0xA1, 6)));
    settle(io);
    CHECK(b.received().size() == 1);
    relay.close(*s);
}

TEST_CASE("srtp_relay refuses what it cannot secure, never bridging it in clear", "[media][srtp]") {
    asio::io_context io;
    media::srtp_relay relay(io.get_executor(), config(44000));
    auto open = [&](const std::any& choice) {
        b2b::media_context ctx;
        ctx.options = &choice;
        auto s = relay.open(ctx);
        REQUIRE(s);
        return *s;
    };
    std::any sdes = choose(media::encryption::sdes, {srtp::suite::aes_cm_128_hmac_sha1_80});
    std::any none = choose(media::encryption::none);
    std::string good = "1 AES_CM_128_HMAC_SHA1_80 inline:" + srtp::base64_encode(key_of(30, 1));

    // SAVP with only lines we cannot use; SAVP without keys
    auto s1 = open(none);
    CHECK(relay.offer(s1, b2b::leg::a, sdes_sdp(4000, "RTP/SAVP", {"1 AES_CM_128_HMAC_SHA1_80 inline:AAAA"}))
              .error() == tandem::srtp_errc::no_common_suite);
    CHECK(relay.offer(s1, b2b::leg::a, sdes_sdp(4000, "RTP/SAVP", {})).error() ==
          tandem::srtp_errc::unsupported_mode);
    relay.close(s1);

    // an answer picking a tag or suite we did not offer, or no key at all
    for (std::string bad :
         {"2 AES_CM_128_HMAC_SHA1_80 inline:" + srtp::base64_encode(key_of(30, 2)),
          "1 AES_CM_128_HMAC_SHA1_32 inline:" + srtp::base64_encode(key_of(30, 2)), std::string()}) {
        CAPTURE(bad);
        auto s2 = open(sdes);
        REQUIRE(relay.offer(s2, b2b::leg::a, phone_sdp(4000)));
        auto answer = bad.empty() ? sdes_sdp(5000, "RTP/SAVP", {}) : sdes_sdp(5000, "RTP/SAVP", {bad});
        CHECK(relay.answer(s2, b2b::leg::b, answer).error() == tandem::srtp_errc::suite_not_offered);
        relay.close(s2);
    }
    CHECK(relay.ports_in_use() == 0);
}

namespace {

std::string attribute_of(const std::string& text, std::string_view name) {
    auto sd = sdp::parse(text);
    REQUIRE(sd);
    const sdp::attribute* a = sdp::find_attribute(sd->media.at(0).attributes, name);
    if (!a) a = sdp::find_attribute(sd->attributes, name);
    return a && a->value ? *a->value : std::string();
}

std::string dtls_sdp(std::uint16_t port, const std::string& fingerprint, std::string_view setup) {
    std::string s = phone_sdp(port);
    s.replace(s.find("RTP/AVP"), 7, "UDP/TLS/RTP/SAVP");
    return s + "a=rtcp-mux\r\na=fingerprint:" + fingerprint + "\r\na=setup:" + std::string(setup) + "\r\n";
}

// Phone B's DTLS: what it has to send goes to the relay; what it gets back is fed in, until
// its handshake ends (bounded).
void handshake(asio::io_context& io, phone& b, std::uint16_t relay_port, srtp::dtls_endpoint& e) {
    for (int round = 0; round < 20 && e.state() == srtp::dtls_state::handshaking; ++round) {
        while (auto d = e.poll_datagram()) b.send(relay_port, *d);
        settle(io);
        for (auto& d : b.received()) e.on_datagram(d, std::chrono::steady_clock::now());
    }
    while (auto d = e.poll_datagram()) b.send(relay_port, *d); // its last flight
    settle(io);
}

} // namespace

TEST_CASE("srtp_relay: a DTLS-SRTP leg B keyed by its own handshake, an early ClientHello kept",
          "[media][srtp][dtls]") {
    asio::io_context io;
    media::srtp_relay relay(io.get_executor(), config(45000));
    phone a(io), b(io);
    auto s = open_with(relay, choose(media::encryption::dtls));
    auto to_b = relay.offer(*s, b2b::leg::a, phone_sdp(a.port()));
    REQUIRE(to_b);
    CHECK(proto_of(*to_b) == "UDP/TLS/RTP/SAVP");
    CHECK(attribute_of(*to_b, "setup") == "actpass");
    std::string relay_fp = attribute_of(*to_b, "fingerprint");
    CHECK(relay_fp.starts_with("sha-256 "));
    std::uint16_t facing_b = port_in(*to_b);

    // phone B answers active (the DTLS client), its ClientHello ahead of its SIP answer
    auto cert_b = srtp::certificate::generate();
    REQUIRE(cert_b);
    srtp::dtls_endpoint eb(*cert_b);
    eb.start(srtp::dtls_role::client, relay_fp, std::chrono::steady_clock::now());
    while (auto d = eb.poll_datagram()) b.send(facing_b, *d);
    settle(io);
    CHECK(b.received().empty()); // held: the relay does not know B's address yet

    auto to_a = relay.answer(*s, b2b::leg::b, dtls_sdp(b.port(), cert_b->fingerprint(), "active"));
    REQUIRE(to_a);
    CHECK(proto_of(*to_a) == "RTP/AVP");
    CHECK(attribute_of(*to_a, "fingerprint").empty()); // leg B's keying stays on leg B
    std::uint16_t facing_a = port_in(*to_a);
    // a stranger's ClientHello (another address than B's SDP) is dropped, not answered
    phone stranger(io, "127.0.0.2");
    srtp::dtls_endpoint es(*cert_b);
    es.start(srtp::dtls_role::client, relay_fp, std::chrono::steady_clock::now());
    while (auto d = es.poll_datagram()) stranger.send(facing_b, *d);
    settle(io);
    CHECK(stranger.received().empty());
    CHECK(relay.stats(*s).legs[1].dropped == 1);
    handshake(io, b, facing_b, eb);
    REQUIRE(eb.state() == srtp::dtls_state::connected);
    auto keys = eb.keys();
    REQUIRE(keys);

    auto b_in = srtp::context::make(keys->s, keys->remote, srtp::direction::inbound);
    auto b_out = srtp::context::make(keys->s, keys->local, srtp::direction::outbound);
    REQUIRE((b_in && b_out));
    a.send(facing_a, rtp_packet(0, 0xAA, 1));
    b.send(facing_b, protect(*b_out, rtp_packet(0, 0xBB, 1)));
    settle(io);
    auto at_b = b.received();
    REQUIRE(at_b.size() == 1);
    std::size_t len = at_b[0].size();
    REQUIRE(b_in->unprotect_rtp(at_b[0].data(), len));
    at_b[0].resize(len);
    CHECK(at_b[0] == rtp_packet(0, 0xAA, 1));
    auto at_a = a.received();
    REQUIRE(at_a.size() == 1);
    CHECK(at_a[0] == rtp_packet(0, 0xBB, 1));
    CHECK(relay.check(*s, std::chrono::steady_clock::now()).end == b2b::b2bua_errc{});
    relay.close(*s);
}

TEST_CASE("srtp_relay: a DTLS peer whose certificate is not its a=fingerprint gets no media",
          "[media][srtp][dtls]") {
    asio::io_context io;
    media::srtp_relay relay(io.get_executor(), config(46000));
    phone a(io), b(io);
    auto s = open_with(relay, choose(media::encryption::dtls));
    auto to_b = relay.offer(*s, b2b::leg::a, phone_sdp(a.port()));
    REQUIRE(to_b);
    std::uint16_t facing_b = port_in(*to_b);
    auto cert_b = srtp::certificate::generate();
    auto other = srtp::certificate::generate();
    REQUIRE((cert_b && other));
    // an answer with setup:actpass cannot work (RFC 5763 5: the answerer picks a role)
    CHECK(relay.answer(*s, b2b::leg::b, dtls_sdp(b.port(), cert_b->fingerprint(), "actpass")).error() ==
          tandem::srtp_errc::bad_setup);
    auto to_a = relay.answer(*s, b2b::leg::b, dtls_sdp(b.port(), other->fingerprint(), "active"));
    REQUIRE(to_a);
    srtp::dtls_endpoint eb(*cert_b);
    eb.start(srtp::dtls_role::client, attribute_of(*to_b, "fingerprint"), std::chrono::steady_clock::now());
    handshake(io, b, facing_b, eb);
    CHECK(relay.check(*s, std::chrono::steady_clock::now()).end == b2b::b2bua_errc::media_failed);
    // nothing of leg A reaches B in clear
    a.send(port_in(*to_a), rtp_packet(0, 0xAA, 1));
    settle(io);
    for (const auto& p : b.received()) CHECK(rtp::classify(p) != rtp::packet_kind::rtp);
    relay.close(*s);
}

TEST_CASE("srtp_relay: a DTLS leg A answered active, two handshakes without rtcp-mux, to an SDES leg B",
          "[media][srtp][dtls]") {
    asio::io_context io;
    media::srtp_relay relay(io.get_executor(), config(47000));
    phone a(io), a_rtcp(io), b(io);
    auto s = open_with(relay, choose(media::encryption::sdes, {srtp::suite::aes_cm_128_hmac_sha1_80}));
    auto cert_a = srtp::certificate::generate();
    REQUIRE(cert_a);
    // phone A offers DTLS-SRTP (actpass, its RTCP on a port of its own, no rtcp-mux)
    std::string offer = phone_sdp(a.port());
    offer.replace(offer.find("RTP/AVP"), 7, "UDP/TLS/RTP/SAVPF");
    offer += "a=rtcp:" + std::to_string(a_rtcp.port()) + "\r\na=fingerprint:" + cert_a->fingerprint() +
             "\r\na=setup:actpass\r\n";
    auto to_b = relay.offer(*s, b2b::leg::a, offer);
    REQUIRE(to_b);
    CHECK(proto_of(*to_b) == "RTP/SAVPF"); // feedback kept, SDES toward B
    auto offered = crypto_lines(*to_b);
    REQUIRE(offered.size() == 1);
    bytes b_key = key_of(30, 5);
    auto to_a = relay.answer(
        *s, b2b::leg::b,
        sdes_sdp(b.port(), "RTP/SAVPF", {"1 AES_CM_128_HMAC_SHA1_80 inline:" + srtp::base64_encode(b_key)}));
    REQUIRE(to_a);
    CHECK(proto_of(*to_a) == "UDP/TLS/RTP/SAVPF");
    CHECK(attribute_of(*to_a, "setup") == "active"); // RFC 5763 5: we are the DTLS client
    CHECK(crypto_lines(*to_a).empty());
    std::string relay_fp = attribute_of(*to_a, "fingerprint");
    std::uint16_t facing_a = port_in(*to_a);

    // two servers on phone A (RTP and RTCP ports); our ClientHellos are already on their way
    std::array<srtp::dtls_endpoint, 2> ea{srtp::dtls_endpoint(*cert_a), srtp::dtls_endpoint(*cert_a)};
    std::array<phone*, 2> sock{&a, &a_rtcp};
    auto now = std::chrono::steady_clock::now();
    for (auto& e : ea) e.start(srtp::dtls_role::server, relay_fp, now);
    for (int round = 0; round < 20; ++round) {
        settle(io);
        for (std::size_t k = 0; k < 2; ++k) {
            for (auto& d : sock[k]->received()) ea[k].on_datagram(d, std::chrono::steady_clock::now());
            while (auto d = ea[k].poll_datagram())
                sock[k]->send(static_cast<std::uint16_t>(facing_a + k), *d);
        }
        if (ea[0].state() == srtp::dtls_state::connected && ea[1].state() == srtp::dtls_state::connected)
            break;
    }
    REQUIRE(ea[0].state() == srtp::dtls_state::connected);
    REQUIRE(ea[1].state() == srtp::dtls_state::connected);
    settle(io);
    auto k0 = ea[0].keys();
    auto k1 = ea[1].keys();
    REQUIRE((k0 && k1));
    CHECK(k0->remote != k1->remote); // a handshake, and keys, per component

    // A's SRTP reaches B re-encrypted with B's leg keys
    auto a_out = srtp::context::make(k0->s, k0->local, srtp::direction::outbound);
    auto at_b_ctx = srtp::context::make(srtp::suite::aes_cm_128_hmac_sha1_80, offered[0].keys[0].key_salt,
                                        srtp::direction::inbound);
    REQUIRE((a_out && at_b_ctx));
    a.send(facing_a, protect(*a_out, rtp_packet(0, 0xAA, 3)));
    settle(io);
    auto at_b = b.received();
    REQUIRE(at_b.size() == 1);
    std::size_t len = at_b[0].size();
    REQUIRE(at_b_ctx->unprotect_rtp(at_b[0].data(), len));
    at_b[0].resize(len);
    CHECK(at_b[0] == rtp_packet(0, 0xAA, 3));
    CHECK(relay.check(*s, std::chrono::steady_clock::now()).end == b2b::b2bua_errc{});
    relay.close(*s);
}

TEST_CASE("srtp_relay: a lost DTLS flight is sent again on the relay's own timer", "[media][srtp][dtls]") {
    asio::io_context io;
    media::srtp_relay relay(io.get_executor(), config(48000));
    phone a(io), b(io);
    auto s = relay.open(b2b::media_context{});
    REQUIRE(s);
    auto cert_a = srtp::certificate::generate();
    REQUIRE(cert_a);
    auto to_b =
        relay.offer(*s, b2b::leg::a, dtls_sdp(a.port(), cert_a->fingerprint(), "actpass")); // leg B: DTLS too
    REQUIRE(to_b);
    auto to_a = relay.answer(*s, b2b::leg::b, dtls_sdp(b.port(), cert_a->fingerprint(), "active"));
    REQUIRE(to_a);
    CHECK(attribute_of(*to_a, "setup") == "active");
    settle(io);
    auto first = a.received(); // our ClientHello to phone A, which A "loses"
    REQUIRE(first.size() == 1);
    CHECK(rtp::classify(first[0]) == rtp::packet_kind::dtls);
    // no call asks the relay anything meanwhile: its own timer resends (RFC 6347 4.2.4; our
    // first timer is 250 ms)
    io.restart();
    io.run_for(std::chrono::milliseconds(500));
    auto again = a.received();
    REQUIRE(again.size() == 1);
    CHECK(again[0].size() == first[0].size());
    relay.close(*s);
    io.restart();
    io.run_for(std::chrono::milliseconds(100));
    CHECK(io.stopped()); // nothing left pending once the call is gone
}

TEST_CASE("srtp_relay: a ZRTP leg B terminated here, keys and SAS agreed with the phone's endpoint",
          "[media][srtp][zrtp]") {
    asio::io_context io;
    media::srtp_relay relay(io.get_executor(), config(49000));
    phone a(io), b(io);
    auto s = open_with(relay, choose(media::encryption::zrtp));
    auto to_b = relay.offer(*s, b2b::leg::a, phone_sdp(a.port()));
    REQUIRE(to_b);
    CHECK(proto_of(*to_b) == "RTP/AVP");
    CHECK(attribute_of(*to_b, "zrtp-hash").starts_with("1.10 "));
    tandem::zrtp::endpoint eb(0xB0B0B0B0);
    auto to_a = relay.answer(*s, b2b::leg::b, phone_sdp(b.port()) + "a=zrtp-hash:" + eb.zrtp_hash() + "\r\n");
    REQUIRE(to_a);
    CHECK(attribute_of(*to_a, "zrtp-hash").empty()); // leg B's keying stays on leg B
    std::uint16_t facing_a = port_in(*to_a), facing_b = port_in(*to_b);

    // dark until secure: A's RTP does not reach B in clear meanwhile
    a.send(facing_a, rtp_packet(0, 0xAA, 1));
    eb.start(std::chrono::steady_clock::now());
    for (int round = 0; round < 40 && eb.state() != tandem::zrtp::zrtp_state::secure; ++round) {
        while (auto p = eb.poll_packet()) b.send(facing_b, *p);
        settle(io);
        for (auto& p : b.received()) {
            CHECK(rtp::classify(p) == rtp::packet_kind::zrtp); // nothing but ZRTP before the keys
            eb.on_packet(p, std::chrono::steady_clock::now());
        }
        eb.on_timeout(std::chrono::steady_clock::now());
    }
    REQUIRE(eb.state() == tandem::zrtp::zrtp_state::secure);
    while (auto p = eb.poll_packet()) b.send(facing_b, *p); // its Conf2ACK, if it is the responder
    settle(io);
    (void)b.received();
    auto keys = eb.keys();
    REQUIRE(keys);
    CHECK(relay.stats(*s).legs[1].sas == eb.sas());
    CHECK(relay.stats(*s).legs[1].encryption == "zrtp");
    CHECK(relay.stats(*s).legs[0].encryption.empty());

    auto b_in = srtp::context::make(keys->s, keys->remote, srtp::direction::inbound);
    auto b_out = srtp::context::make(keys->s, keys->local, srtp::direction::outbound);
    REQUIRE((b_in && b_out));
    a.send(facing_a, rtp_packet(0, 0xAA, 2));
    b.send(facing_b, protect(*b_out, rtp_packet(0, 0xBB, 1)));
    settle(io);
    auto at_b = b.received();
    REQUIRE(at_b.size() == 1);
    std::size_t len = at_b[0].size();
    REQUIRE(b_in->unprotect_rtp(at_b[0].data(), len));
    at_b[0].resize(len);
    CHECK(at_b[0] == rtp_packet(0, 0xAA, 2));
    auto at_a = a.received();
    REQUIRE(at_a.size() == 1);
    CHECK(at_a[0] == rtp_packet(0, 0xBB, 1));
    relay.close(*s);
}

TEST_CASE("srtp_relay: a ZRTP leg whose phone never answers ends the call, media never in clear",
          "[media][srtp][zrtp]") {
    asio::io_context io;
    media::srtp_relay relay(io.get_executor(), config(50000));
    phone a(io), b(io);
    auto s = open_with(relay, choose(media::encryption::zrtp));
    auto to_b = relay.offer(*s, b2b::leg::a, phone_sdp(a.port()));
    REQUIRE(to_b);
    auto to_a = relay.answer(*s, b2b::leg::b, phone_sdp(b.port()) + "a=zrtp-hash:1.10 00\r\n");
    REQUIRE(to_a);
    a.send(port_in(*to_a), rtp_packet(0, 0xAA, 1));
    settle(io);
    // the relay's Hellos, retransmitted on the timer (virtual time through check()), then give up
    auto t = std::chrono::steady_clock::now();
    b2b::media_status st;
    int checks = 0;
    for (; checks < 400; ++checks) {
        st = relay.check(*s, t);
        if (st.end != b2b::b2bua_errc{}) break;
        t += std::chrono::milliseconds(100);
    }
    CHECK(st.end == b2b::b2bua_errc::media_failed);
    auto at_b = b.received();
    CHECK(at_b.size() >= 2);
    for (const auto& p : at_b) CHECK(rtp::classify(p) == rtp::packet_kind::zrtp); // Hellos, no RTP
    relay.close(*s);
}
