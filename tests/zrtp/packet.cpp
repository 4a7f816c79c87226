#include <tandem/zrtp/packet.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>
#include <string_view>
#include <vector>

// The ZRTP wire layer against RFC 6189 5: the CRC-32C against RFC 3720 B.4, packets and
// messages built here by hand from the RFC's figures, round trips of every message type, and
// every malformation refused with its error code.

using namespace tandem;
namespace z = tandem::zrtp;
using octets = std::vector<std::uint8_t>;
using namespace std::string_view_literals;

namespace {

void put32(octets& o, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) o.push_back(static_cast<std::uint8_t>(v >> s));
}
void put_text(octets& o, std::string_view s) {
    for (char c : s) o.push_back(static_cast<std::uint8_t>(c));
}
void put_fill(octets& o, std::size_t n, std::uint8_t v) { o.insert(o.end(), n, v); }

// Preamble 0x505a, the length in words, the type block (RFC 6189 5.1).
octets header(std::uint16_t words, std::string_view type) {
    octets o{0x50, 0x5a, static_cast<std::uint8_t>(words >> 8), static_cast<std::uint8_t>(words)};
    put_text(o, type);
    return o;
}

template <class T>
T parse_as(const octets& m) {
    auto r = z::parse_message(m);
    REQUIRE(r.has_value());
    REQUIRE(std::holds_alternative<T>(*r));
    return std::get<T>(*r);
}

// encode -> parse gives the same struct, and encoding that gives the same octets
template <class T>
octets round_trip(const T& msg) {
    octets wire = z::encode(msg);
    CHECK(wire.size() % 4 == 0);
    CHECK(std::size_t{wire[2]} * 256 + wire[3] == wire.size() / 4);
    T back = parse_as<T>(wire);
    CHECK(back == msg);
    CHECK(z::encode(back) == wire);
    CHECK(z::encode(z::message{msg}) == wire);
    return wire;
}

std::error_code parse_error(const octets& m) {
    auto r = z::parse_message(m);
    REQUIRE_FALSE(r.has_value());
    return r.error();
}

z::hash_image filled32(std::uint8_t v) {
    z::hash_image h;
    h.fill(v);
    return h;
}

z::hello linphone_hello() {
    z::hello h;
    h.client_id = z::make_client_id("BZRTP 5.1");
    h.h3 = filled32(0x33);
    h.zid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    h.hashes = {"S256", "S384"};
    h.ciphers = {"AES1", "AES3"};
    h.auth_tags = {"HS32", "HS80"};
    h.key_agreements = {"X255", "DH3k", "DH2k", "Mult"};
    h.sas_types = {"B32 ", "B256"};
    h.mac = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8};
    return h;
}

} // namespace

TEST_CASE("CRC-32C: RFC 3720 B.4 known answers", "[zrtp]") {
    octets zeros(32, 0x00), ones(32, 0xff), up(32), down(32);
    std::iota(up.begin(), up.end(), std::uint8_t{0});
    for (std::size_t i = 0; i < 32; ++i) down[i] = static_cast<std::uint8_t>(31 - i);
    CHECK(z::crc32c(zeros) == 0x8a9136aau);
    CHECK(z::crc32c(ones) == 0x62a8ab43u);
    CHECK(z::crc32c(up) == 0x46dd794eu);
    CHECK(z::crc32c(down) == 0x113fdb5cu);
    // the usual check value of CRC-32C, over "123456789"; and computed at compile time
    constexpr std::array<std::uint8_t, 9> digits{'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    STATIC_REQUIRE(z::crc32c(digits) == 0xe3069283u);
    CHECK(z::crc32c({}) == 0u);
}

TEST_CASE("CRC-32C goes on the wire least significant octet first (RFC 4960 B)", "[zrtp]") {
    octets msg = z::encode(z::hello_ack{});
    octets pkt = z::frame(0x1234, 0xdeadbeef, msg);
    REQUIRE(pkt.size() == 12 + 12 + 4);
    std::uint32_t c = z::crc32c(std::span<const std::uint8_t>(pkt).first(24));
    CHECK(pkt[24] == static_cast<std::uint8_t>(c));
    CHECK(pkt[25] == static_cast<std::uint8_t>(c >> 8));
    CHECK(pkt[26] == static_cast<std::uint8_t>(c >> 16));
    CHECK(pkt[27] == static_cast<std::uint8_t>(c >> 24));
}

TEST_CASE("packet framing: header, message view, CRC", "[zrtp]") {
    octets msg = z::encode(z::error{z::error_codes::hvi_mismatch});
    octets pkt = z::frame(0xfffe, 0x01020304, msg);
    const octets head{0x10, 0x00, 0xff, 0xfe, 0x5a, 0x52, 0x54, 0x50, 0x01, 0x02, 0x03, 0x04};
    CHECK(std::equal(head.begin(), head.end(), pkt.begin()));

    auto v = z::parse_packet(pkt);
    REQUIRE(v.has_value());
    CHECK(v->sequence == 0xfffe);
    CHECK(v->ssrc == 0x01020304u);
    CHECK(v->message.data() == pkt.data() + 12); // a view of the received octets
    CHECK(octets(v->message.begin(), v->message.end()) == msg);
    CHECK(parse_as<z::error>(octets(v->message.begin(), v->message.end())).code == 0x62u);

    SECTION("the unused second octet is ignored") {
        pkt[1] = 0xff;
        std::uint32_t c = z::crc32c(std::span<const std::uint8_t>(pkt).first(pkt.size() - 4));
        for (std::size_t i = 0; i < 4; ++i) pkt[pkt.size() - 4 + i] = static_cast<std::uint8_t>(c >> (8 * i));
        CHECK(z::parse_packet(pkt).has_value());
    }
}

TEST_CASE("packet framing: malformations", "[zrtp]") {
    octets pkt = z::frame(7, 8, z::encode(z::hello_ack{}));
    REQUIRE(z::parse_packet(pkt).has_value());
    auto refused = [](octets p) { return z::parse_packet(p).error(); };

    SECTION("a bzrtp fragment (first octet 0x11) and other first octets") {
        for (int first : {0x11, 0x00, 0x12, 0x1f, 0x20, 0x80}) {
            octets p = pkt;
            p[0] = static_cast<std::uint8_t>(first);
            CHECK(refused(p) == zrtp_errc::bad_packet);
        }
    }
    SECTION("the magic cookie") {
        pkt[7] = 0x51;
        CHECK(refused(pkt) == zrtp_errc::bad_packet);
    }
    SECTION("too short for a header, a message and a CRC; not whole words") {
        CHECK(refused({}) == zrtp_errc::bad_packet);
        CHECK(refused(octets(pkt.begin(), pkt.begin() + 24)) == zrtp_errc::bad_packet);
        octets odd = pkt;
        odd.push_back(0);
        CHECK(refused(odd) == zrtp_errc::bad_packet);
    }
    SECTION("any changed octet breaks the CRC") {
        for (std::size_t i = 12; i < pkt.size(); ++i) {
            octets p = pkt;
            p[i] ^= 0x01;
            CHECK(refused(p) == zrtp_errc::bad_crc);
        }
        octets p = pkt;
        p[3] ^= 0x80; // the sequence number is covered too
        CHECK(refused(p) == zrtp_errc::bad_crc);
    }
    SECTION("the CRC in big-endian order is refused") {
        std::reverse(pkt.end() - 4, pkt.end());
        CHECK(refused(pkt) == zrtp_errc::bad_crc);
    }
}

TEST_CASE("Hello: a bzrtp/linphone Hello built from RFC 6189 5.2", "[zrtp]") {
    // S256,S384 / AES1,AES3 / HS32,HS80 / X255,DH3k,DH2k,Mult / B32,B256: 12 algorithms,
    // 22 + 12 = 34 words
    octets m = header(34, "Hello   ");
    put_text(m, "1.10");
    put_text(m, "BZRTP 5.1       ");
    put_fill(m, 32, 0x33);                                 // H3
    for (std::uint8_t i = 1; i <= 12; ++i) m.push_back(i); // ZID
    m.insert(m.end(), {0x00, 0x02, 0x22, 0x42});           // 0|S|M|P, unused, hc=2 cc=2 ac=2 kc=4 sc=2
    put_text(m, "S256S384AES1AES3HS32HS80X255DH3kDH2kMultB32 B256");     // the lists
    m.insert(m.end(), {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8}); // MAC
    REQUIRE(m.size() == 136);

    z::hello h = parse_as<z::hello>(m);
    CHECK(h.version.view() == "1.10");
    CHECK(std::string_view(h.client_id.data(), 16) == "BZRTP 5.1       ");
    CHECK(h.h3 == filled32(0x33));
    CHECK(h.zid[0] == 1);
    CHECK(h.zid[11] == 12);
    CHECK_FALSE(h.signature_capable);
    CHECK_FALSE(h.mitm);
    CHECK_FALSE(h.passive);
    CHECK(h.hashes == std::vector<z::type_block>{"S256", "S384"});
    CHECK(h.ciphers == std::vector<z::type_block>{"AES1", "AES3"});
    CHECK(h.auth_tags == std::vector<z::type_block>{"HS32", "HS80"});
    CHECK(h.key_agreements == std::vector<z::type_block>{"X255", "DH3k", "DH2k", "Mult"});
    CHECK(h.sas_types == std::vector<z::type_block>{"B32 ", "B256"});
    CHECK(h.mac[7] == 0xa8);
    CHECK(h == linphone_hello());
    CHECK(z::encode(h) == m);

    // MAC keyed by H2 over everything but the MAC (5.2)
    auto mac = z::locate_mac(m);
    REQUIRE(mac.has_value());
    CHECK(mac->covered.data() == m.data());
    CHECK(mac->covered.size() == 128);
    CHECK(mac->mac_offset == 128);

    // framed as bzrtp sends it
    octets pkt = z::frame(1, 0x11223344, m);
    CHECK(pkt.size() == 152);
    auto v = z::parse_packet(pkt);
    REQUIRE(v.has_value());
    CHECK(parse_as<z::hello>(octets(v->message.begin(), v->message.end())) == h);
}

TEST_CASE("Hello: flags, empty and full lists round trip", "[zrtp]") {
    z::hello h = linphone_hello();
    h.signature_capable = true;
    h.passive = true;
    octets wire = round_trip(h);
    CHECK(wire[76] == 0x50);

    h = z::hello{};
    h.mitm = true;
    wire = round_trip(h); // all counts zero: only the mandatory algorithms
    CHECK(wire.size() == 88);
    CHECK(wire[76] == 0x20);

    h.hashes.assign(7, z::type_block{"S256"});
    h.ciphers.assign(7, z::type_block{"AES1"});
    h.auth_tags.assign(7, z::type_block{"HS32"});
    h.key_agreements.assign(7, z::type_block{"DH3k"});
    h.sas_types.assign(7, z::type_block{"B32 "});
    CHECK(round_trip(h).size() == 88 + 35 * 4);

    h.sas_types.push_back("B256");
    CHECK_THROWS_AS(z::encode(h), std::invalid_argument);
}

TEST_CASE("Hello: malformations", "[zrtp]") {
    const octets good = z::encode(linphone_hello());

    SECTION("a count over 7") {
        octets m = good;
        m[79] = 0x48; // kc = 4, sc = 8
        CHECK(parse_error(m) == zrtp_errc::bad_message);
        m[79] = 0x82; // kc = 8
        CHECK(parse_error(m) == zrtp_errc::bad_message);
    }
    SECTION("counts that overrun the message, or end before the MAC") {
        octets m = good;
        m[79] = 0x43; // sc = 3: one list entry more than the octets hold
        CHECK(parse_error(m) == zrtp_errc::bad_message);
        m[79] = 0x41; // sc = 1: one word left over
        CHECK(parse_error(m) == zrtp_errc::bad_message);
        m[78] = 0x77; // cc = ac = 7: far beyond
        CHECK(parse_error(m) == zrtp_errc::bad_message);
    }
    SECTION("shorter than the fixed part") {
        octets m = header(21, "Hello   ");
        put_fill(m, 72, 0);
        CHECK(parse_error(m) == zrtp_errc::bad_message);
    }
    SECTION("unused flag bits are ignored") {
        octets m = good;
        m[76] |= 0x8f;
        m[77] |= 0xf0;
        z::hello h = parse_as<z::hello>(m);
        CHECK(h == linphone_hello());
    }
}

TEST_CASE("message header: preamble, length, type", "[zrtp]") {
    const octets ack = z::encode(z::hello_ack{});
    CHECK(ack == header(3, "HelloACK"));

    SECTION("preamble") {
        octets m = ack;
        m[0] = 0x5a;
        m[1] = 0x50;
        CHECK(parse_error(m) == zrtp_errc::bad_message);
    }
    SECTION("a length that disagrees with the octets") {
        octets m = ack;
        m[3] = 4;
        CHECK(parse_error(m) == zrtp_errc::bad_message);
        m[3] = 2;
        CHECK(parse_error(m) == zrtp_errc::bad_message);
        m[2] = 1;
        m[3] = 3;
        CHECK(parse_error(m) == zrtp_errc::bad_message);
        octets longer = ack;
        put_fill(longer, 4, 0); // trailing octets after the announced length
        CHECK(parse_error(longer) == zrtp_errc::bad_message);
    }
    SECTION("too short, not whole words") {
        CHECK(parse_error({}) == zrtp_errc::bad_message);
        CHECK(parse_error(octets(ack.begin(), ack.begin() + 8)) == zrtp_errc::bad_message);
        octets odd = ack;
        odd.push_back(0);
        CHECK(parse_error(odd) == zrtp_errc::bad_message);
    }
    SECTION("unknown type blocks") {
        for (std::string_view t :
             {"Hello  !"sv, "hello   "sv, "HELLOACK"sv, "Commit\0\0"sv, "Foo     "sv, "SASRelay"sv}) {
            octets m = header(3, t);
            CHECK(parse_error(m) == zrtp_errc::unknown_message);
        }
    }
    SECTION("fixed-size messages of another size") {
        for (std::string_view t : {"HelloACK", "Conf2ACK", "ErrorACK", "ClearACK", "RelayACK", "Error   ",
                                   "GoClear ", "Ping    ", "PingACK "}) {
            for (std::size_t words : {3u, 4u, 5u, 6u, 9u, 10u}) {
                octets m = header(static_cast<std::uint16_t>(words), t);
                put_fill(m, 4 * words - 12, 0);
                if (z::parse_message(m)) continue; // its own size
                CHECK(parse_error(m) == zrtp_errc::bad_message);
            }
        }
        octets e = header(5, "Error   ");
        put_fill(e, 8, 0);
        CHECK(parse_error(e) == zrtp_errc::bad_message);
    }
}

TEST_CASE("every message type round trips", "[zrtp]") {
    CHECK(round_trip(z::hello_ack{}) == header(3, "HelloACK"));
    CHECK(round_trip(z::conf2_ack{}) == header(3, "Conf2ACK"));
    CHECK(round_trip(z::error_ack{}) == header(3, "ErrorACK"));
    CHECK(round_trip(z::clear_ack{}) == header(3, "ClearACK"));
    CHECK(round_trip(z::relay_ack{}) == header(3, "RelayACK"));
    round_trip(linphone_hello());

    octets e = header(4, "Error   ");
    put32(e, 0x100);
    CHECK(round_trip(z::error{z::error_codes::go_clear_not_allowed}) == e);
    CHECK(round_trip(z::error{0xdeadbeef}).size() == 16);

    octets g = header(5, "GoClear ");
    put_fill(g, 8, 0x77);
    z::go_clear gc;
    gc.clear_mac.fill(0x77);
    CHECK(round_trip(gc) == g);

    octets p = header(6, "Ping    ");
    put_text(p, "1.10");
    put_fill(p, 8, 0x42);
    z::ping pi;
    pi.endpoint_hash.fill(0x42);
    CHECK(round_trip(pi) == p);

    z::ping_ack pa;
    pa.sender_endpoint_hash.fill(0x01);
    pa.ping_endpoint_hash.fill(0x42);
    pa.ping_ssrc = 0xcafef00d;
    octets w = round_trip(pa);
    CHECK(w.size() == 36);
    CHECK(w[32] == 0xca);
    CHECK(w[35] == 0x0d);
}

TEST_CASE("Commit: DH, Multistream and Preshared layouts", "[zrtp]") {
    z::commit c;
    c.h2 = filled32(0x22);
    c.zid.fill(0x0a);
    c.hash = "S256";
    c.cipher = "AES1";
    c.auth_tag = "HS80";
    c.key_agreement = "DH3k";
    c.sas = "B32 ";
    c.hvi = filled32(0x99);
    c.mac.fill(0x5c);
    CHECK(c.mode() == z::commit_mode::dh);

    // DH Commit, 29 words, by hand from RFC 6189 5.4 Figure 5
    octets m = header(29, "Commit  ");
    put_fill(m, 32, 0x22);
    put_fill(m, 12, 0x0a);
    put_text(m, "S256AES1HS80DH3kB32 ");
    put_fill(m, 32, 0x99);
    put_fill(m, 8, 0x5c);
    CHECK(round_trip(c) == m);
    auto mac = z::locate_mac(m);
    REQUIRE(mac.has_value());
    CHECK(mac->covered.size() == 108);
    CHECK(mac->mac_offset == 108);

    SECTION("Multistream: a nonce, 25 words") {
        c.key_agreement = "Mult";
        c.hvi = {};
        c.nonce.fill(0x6e);
        CHECK(c.mode() == z::commit_mode::multistream);
        octets w = round_trip(c);
        CHECK(w.size() == 100);
        CHECK(w[76] == 0x6e);
        CHECK(w[92] == 0x5c);
        // a DH-sized message with "Mult" is malformed
        octets wrong = m;
        std::copy_n("Mult", 4, wrong.begin() + 68);
        CHECK(parse_error(wrong) == zrtp_errc::bad_message);
    }
    SECTION("Preshared: a nonce and a key ID, 27 words") {
        c.key_agreement = "Prsh";
        c.hvi = {};
        c.nonce.fill(0x6e);
        c.key_id.fill(0x1d);
        CHECK(c.mode() == z::commit_mode::preshared);
        octets w = round_trip(c);
        CHECK(w.size() == 108);
        CHECK(w[92] == 0x1d);
        CHECK(w[100] == 0x5c);
    }
    SECTION("sizes of another layout") {
        octets shorter = m;
        shorter.resize(100);
        shorter[3] = 25;
        CHECK(parse_error(shorter) == zrtp_errc::bad_message);
        octets longer = m;
        put_fill(longer, 4, 0);
        longer[3] = 30;
        CHECK(parse_error(longer) == zrtp_errc::bad_message);
        octets tiny = header(10, "Commit  ");
        put_fill(tiny, 28, 0);
        CHECK(parse_error(tiny) == zrtp_errc::bad_message);
    }
}

TEST_CASE("DHPart1 and DHPart2: public values of each key agreement", "[zrtp]") {
    CHECK(z::pv_size("DH3k") == 384);
    CHECK(z::pv_size("DH2k") == 256);
    CHECK(z::pv_size("EC25") == 64);
    CHECK(z::pv_size("EC38") == 96);
    CHECK(z::pv_size("EC52") == 132);
    CHECK(z::pv_size("X255") == 32);
    CHECK(z::pv_size("Mult") == 0);
    CHECK(z::pv_size("Prsh") == 0);

    z::dh_part1 d1;
    d1.h1 = filled32(0x11);
    d1.rs1_id.fill(1);
    d1.rs2_id.fill(2);
    d1.aux_secret_id.fill(3);
    d1.pbx_secret_id.fill(4);
    d1.pv.assign(384, 0xd3);
    d1.mac.fill(0x0f);

    // DH3k: 117 words (RFC 6189 5.1.5 Table 5), by hand from 5.5 Figure 8
    octets m = header(117, "DHPart1 ");
    put_fill(m, 32, 0x11);
    for (int id = 1; id <= 4; ++id) put_fill(m, 8, static_cast<std::uint8_t>(id));
    put_fill(m, 384, 0xd3);
    put_fill(m, 8, 0x0f);
    CHECK(round_trip(d1) == m);
    auto mac = z::locate_mac(m);
    REQUIRE(mac.has_value());
    CHECK(mac->covered.size() == m.size() - 8);

    // DHPart2 shares the layout; X255: 21 + 8 = 29 words; EC25: 37 (Table 5)
    z::dh_part2 d2;
    d2.h1 = filled32(0x12);
    d2.pv.assign(32, 0x25);
    CHECK(round_trip(d2).size() == 29 * 4);
    d2.pv.assign(64, 0x26);
    CHECK(round_trip(d2).size() == 37 * 4);
    CHECK(z::type_of(*z::parse_message(z::encode(d2))) == z::message_type::dh_part2);
    CHECK(z::type_of(*z::parse_message(m)) == z::message_type::dh_part1);

    SECTION("no public value, or not whole words") {
        octets empty = header(21, "DHPart2 ");
        put_fill(empty, 72, 0);
        CHECK(parse_error(empty) == zrtp_errc::bad_message);
        d2.pv.clear();
        CHECK_THROWS_AS(z::encode(d2), std::invalid_argument);
        d2.pv.assign(31, 0);
        CHECK_THROWS_AS(z::encode(d2), std::invalid_argument);
    }
}

TEST_CASE("Confirm1, Confirm2, SASrelay: the encrypted part kept as octets", "[zrtp]") {
    z::confirm1 c1;
    c1.mac.fill(0xcc);
    c1.iv.fill(0x1f);
    c1.encrypted.assign(40, 0xee);

    // no signature: 19 words (RFC 6189 5.7)
    octets m = header(19, "Confirm1");
    put_fill(m, 8, 0xcc);
    put_fill(m, 16, 0x1f);
    put_fill(m, 40, 0xee);
    CHECK(round_trip(c1) == m);

    auto mac = z::locate_mac(m);
    REQUIRE(mac.has_value());
    CHECK(mac->covered.data() == m.data() + 36); // confirm_mac covers the encrypted part (4.6)
    CHECK(mac->covered.size() == 40);
    CHECK(mac->mac_offset == 12);

    z::confirm2 c2;
    c2.encrypted.assign(40 + 12, 0x01);
    CHECK(round_trip(c2).size() == 88);

    z::sas_relay r;
    r.encrypted.assign(40, 0x02);
    CHECK(round_trip(r).size() == 76);
    REQUIRE(z::locate_mac(z::encode(r)).has_value());

    SECTION("encrypted part too short or too long") {
        octets shorter = header(18, "Confirm2");
        put_fill(shorter, 60, 0);
        CHECK(parse_error(shorter) == zrtp_errc::bad_message);
        octets longest = header(static_cast<std::uint16_t>(19 + 511), "SASrelay");
        put_fill(longest, 64 + 511 * 4, 0);
        CHECK(z::parse_message(longest).has_value());
        octets longer = header(static_cast<std::uint16_t>(19 + 512), "SASrelay");
        put_fill(longer, 64 + 512 * 4, 0);
        CHECK(parse_error(longer) == zrtp_errc::bad_message);
        c1.encrypted.assign(39, 0);
        CHECK_THROWS_AS(z::encode(c1), std::invalid_argument);
        c1.encrypted.assign(42, 0);
        CHECK_THROWS_AS(z::encode(c1), std::invalid_argument);
    }
}

TEST_CASE("Confirm plaintext: H0, flags, cache expiration, signature", "[zrtp]") {
    z::confirm_body b;
    b.h0 = filled32(0x00);
    b.v = true;
    b.d = true;
    b.cache_expiration = 0xffffffff;

    octets p(32, 0x00);
    p.insert(p.end(), {0x00, 0x00, 0x00, 0x05}); // sig len 0, V and D
    put32(p, 0xffffffff);
    CHECK(z::encode_confirm_body(b) == p);
    auto back = z::parse_confirm_body(p);
    REQUIRE(back.has_value());
    CHECK(*back == b);

    SECTION("every flag, and a signature of 3 words") {
        b.e = b.a = true;
        b.signature = {'P', 'G', 'P', ' ', 1, 2, 3, 4, 5, 6, 7, 8};
        octets w = z::encode_confirm_body(b);
        CHECK(w.size() == 52);
        CHECK(w[33] == 0x00);
        CHECK(w[34] == 0x03); // sig len in words, type block included
        CHECK(w[35] == 0x0f);
        auto again = z::parse_confirm_body(w);
        REQUIRE(again.has_value());
        CHECK(*again == b);
    }
    SECTION("the longest signature: 511 words, the 9th bit of sig len") {
        b.signature.assign(511 * 4, 0x5a);
        octets w = z::encode_confirm_body(b);
        CHECK(w[33] == 0x01);
        CHECK(w[34] == 0xff);
        auto again = z::parse_confirm_body(w);
        REQUIRE(again.has_value());
        CHECK(*again == b);
        b.signature.resize(512 * 4);
        CHECK_THROWS_AS(z::encode_confirm_body(b), std::invalid_argument);
        b.signature.resize(6);
        CHECK_THROWS_AS(z::encode_confirm_body(b), std::invalid_argument);
    }
    SECTION("unused bits are ignored") {
        octets q = p;
        q[32] = 0xff;
        q[33] = 0xfe;
        q[35] |= 0xf0;
        auto again = z::parse_confirm_body(q);
        REQUIRE(again.has_value());
        CHECK(*again == b);
    }
    SECTION("a size that disagrees with sig len (as a wrong key decrypts)") {
        octets q = p;
        q[34] = 1;
        CHECK(z::parse_confirm_body(q).error() == zrtp_errc::bad_message);
        q = p;
        put_fill(q, 4, 0);
        CHECK(z::parse_confirm_body(q).error() == zrtp_errc::bad_message);
        CHECK(z::parse_confirm_body(octets(p.begin(), p.begin() + 36)).error() == zrtp_errc::bad_message);
    }
}

TEST_CASE("locate_mac: GoClear, and messages without a MAC", "[zrtp]") {
    z::go_clear g;
    g.clear_mac.fill(0x3c);
    octets m = z::encode(g);
    auto mac = z::locate_mac(m);
    REQUIRE(mac.has_value());
    // clear_mac = MAC(mackey, "GoClear ") (RFC 6189 4.7.2)
    CHECK(std::string_view(reinterpret_cast<const char*>(mac->covered.data()), mac->covered.size()) ==
          "GoClear ");
    CHECK(mac->mac_offset == 12);
    CHECK(m[12] == 0x3c);

    CHECK(z::locate_mac(z::encode(z::hello_ack{})).error() == zrtp_errc::bad_message);
    CHECK(z::locate_mac(z::encode(z::error{1})).error() == zrtp_errc::bad_message);
    CHECK(z::locate_mac(header(3, "Nothing ")).error() == zrtp_errc::unknown_message);
    octets short_hello = header(4, "Hello   ");
    put_fill(short_hello, 4, 0);
    CHECK(z::locate_mac(short_hello).error() == zrtp_errc::bad_message);
}

TEST_CASE("message types and error codes by name", "[zrtp]") {
    CHECK(z::type_block_of(z::message_type::hello) == "Hello   ");
    CHECK(z::type_block_of(z::message_type::ping_ack) == "PingACK ");
    CHECK(z::type_block_of(z::message_type::sas_relay) == "SASrelay");
    for (std::size_t i = 0; i < 16; ++i) CHECK(z::type_block_of(static_cast<z::message_type>(i)).size() == 8);
    CHECK(z::error_codes::malformed_packet == 0x10);
    CHECK(z::error_codes::key_agreement_unsupported == 0x53);
    CHECK(z::error_codes::bad_public_value == 0x61);
    CHECK(z::error_codes::equal_zids == 0x90);
    CHECK(z::error_codes::ssrc_collision == 0x91);
    CHECK(z::error_codes::protocol_timeout == 0xb0);
    CHECK(z::error_codes::go_clear_not_allowed == 0x100);
    CHECK(z::describe_error_code(0x70) == "auth error: bad Confirm MAC");
    CHECK(z::describe_error_code(0x42) == "unknown error");
}
