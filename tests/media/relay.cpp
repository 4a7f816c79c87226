// The media relay: SDP as each leg gets it (relay_session), whom a port accepts (latch), port
// pairs (port_pool), RTP/RTCP packets, and rtp_relay forwarding on loopback sockets.

#include <tandem/media/rtp_relay.hpp>

#include "support/loopback_phone.hpp"

#include <catch2/catch.hpp>

#include <asio.hpp>

#include <any>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace media = tandem::media;
namespace rtp = tandem::rtp;
namespace sdp = tandem::sdp;
namespace b2b = tandem::b2bua;
using namespace std::chrono_literals;

namespace {

// Ports handed out in order (RTP even), counted: what a leak test needs.
struct counting_ports final : media::port_source {
    std::uint16_t next = 40000;
    std::size_t limit = 1000;
    std::map<std::pair<std::size_t, std::size_t>, std::uint16_t> held;
    std::optional<std::uint16_t> acquire(std::size_t stream, std::size_t side, bool) override {
        if (held.size() >= limit) return std::nullopt;
        std::uint16_t p = next;
        next = static_cast<std::uint16_t>(next + 2);
        held[{stream, side}] = p;
        return p;
    }
    void release(std::size_t stream, std::size_t side) noexcept override { held.erase({stream, side}); }
};

const media::relay_addresses ours{"203.0.113.5", "2001:db8::5"};

std::string body(std::initializer_list<std::string_view> lines) {
    std::string s;
    for (auto l : lines) s.append(l).append("\r\n");
    return s;
}

const std::string offer_a =
    body({"v=0", "o=alice 2890844526 2890844526 IN IP4 192.0.2.10", "s=-", "c=IN IP4 192.0.2.10", "t=0 0",
          "a=ice-ufrag:F7gI", "a=ice-pwd:x9cml/YzichV2", "m=audio 49170 RTP/AVP 0 101",
          "a=rtpmap:101 telephone-event/8000", "a=candidate:1 1 UDP 2130706431 192.0.2.10 49170 typ host",
          "a=rtcp-mux", "a=sendrecv"});
const std::string answer_b =
    body({"v=0", "o=bob 1 1 IN IP4 198.51.100.20", "s=-", "c=IN IP4 198.51.100.20", "t=0 0",
          "m=audio 3456 RTP/AVP 0 101", "a=rtpmap:101 telephone-event/8000", "a=sendrecv"});

sdp::session_description parsed(const tandem::result<std::string>& r) {
    REQUIRE(r);
    auto sd = sdp::parse(*r);
    REQUIRE(sd);
    return std::move(*sd);
}
bool has(const std::vector<sdp::attribute>& attrs, std::string_view name) {
    return sdp::find_attribute(attrs, name) != nullptr;
}

} // namespace

TEST_CASE("each leg gets our address and ports, never the other phone's, and no ICE", "[media][sdp]") {
    counting_ports ports;
    media::relay_session s(ports, ours, {}, {1000, 2000});
    auto to_b = parsed(s.offer(0, offer_a));
    REQUIRE(to_b.connection);
    CHECK(to_b.connection->address == "203.0.113.5");
    CHECK(to_b.origin.unicast_address == "203.0.113.5");
    CHECK(to_b.origin.username == "-"); // nothing of alice's o= crosses
    CHECK(to_b.origin.sess_version == "1");
    REQUIRE(to_b.media.size() == 1);
    const auto& m = to_b.media[0];
    CHECK(m.port == ports.held.at({0, 1}));
    CHECK(m.formats == std::vector<std::string>{"0", "101"}); // every payload, DTMF too, as offered
    CHECK_FALSE(has(m.attributes, "candidate"));
    CHECK_FALSE(has(to_b.attributes, "ice-ufrag"));
    CHECK_FALSE(has(to_b.attributes, "ice-pwd"));
    CHECK(has(m.attributes, "rtcp-mux")); // offered on as the offerer did, with an RTCP port to fall back to
    REQUIRE(sdp::find_attribute(m.attributes, "rtcp"));
    CHECK(*sdp::find_attribute(m.attributes, "rtcp")->value == std::to_string(m.port + 1));
    CHECK(to_b.to_string().find("192.0.2.10") == std::string::npos);

    auto to_a = parsed(s.answer(1, answer_b));
    CHECK(to_a.connection->address == "203.0.113.5");
    CHECK(to_a.media[0].port == ports.held.at({0, 0}));
    // B does not mux, A asked to: A's leg muxes (we demultiplex), B's does not
    CHECK(has(to_a.media[0].attributes, "rtcp-mux"));
    CHECK_FALSE(has(to_a.media[0].attributes, "rtcp"));
    const auto& st = s.streams()[0];
    CHECK(st.legs[0].mux);
    CHECK_FALSE(st.legs[1].mux);
    CHECK(st.legs[1].rtp_to == media::udp_endpoint(asio::ip::make_address("198.51.100.20"), 3456));
    CHECK(st.legs[1].rtcp_to.port() == 3457);
    CHECK(st.payload_types.test(0));
    CHECK(st.payload_types.test(101));
    CHECK_FALSE(st.payload_types.test(8));
    CHECK(to_a.to_string().find("198.51.100.20") == std::string::npos);
}

TEST_CASE("re-INVITEs keep each m= line's ports; o= goes up only when what a leg gets changes",
          "[media][sdp]") {
    counting_ports ports;
    media::relay_session s(ports, ours, {}, {1000, 2000});
    auto first_b = parsed(s.offer(0, offer_a));
    auto first_a = parsed(s.answer(1, answer_b));
    auto held = ports.held;

    SECTION("an answer again (a 183's, then the 200's, or another fork's) replaces the first") {
        std::string moved = answer_b;
        moved.replace(moved.find("m=audio 3456"), 12, "m=audio 3460");
        auto again_a = parsed(s.answer(1, moved));
        CHECK(again_a.media[0].port == first_a.media[0].port);
        CHECK(s.streams()[0].legs[1].rtp_to.port() == 3460);
    }
    SECTION("the same offer again: same ports, same version") {
        auto again_b = parsed(s.offer(0, offer_a));
        auto again_a = parsed(s.answer(1, answer_b));
        CHECK(again_b.media[0].port == first_b.media[0].port);
        CHECK(again_a.media[0].port == first_a.media[0].port);
        CHECK(again_b.origin.sess_version == first_b.origin.sess_version);
        CHECK(again_a.origin.sess_version == first_a.origin.sess_version);
    }
    SECTION("hold from B (sendonly): the direction crosses, the ports stay, the version goes up") {
        std::string hold = answer_b;
        hold.replace(hold.find("a=sendrecv"), 10, "a=sendonly");
        auto to_a = parsed(s.offer(1, hold));
        CHECK(to_a.media_direction(to_a.media[0]) == sdp::direction::sendonly);
        CHECK(to_a.media[0].port == first_a.media[0].port);
        CHECK(to_a.origin.sess_version == "2");
        std::string resp = offer_a;
        resp.replace(resp.find("a=sendrecv"), 10, "a=recvonly");
        auto to_b = parsed(s.answer(0, resp));
        CHECK(to_b.media_direction(to_b.media[0]) == sdp::direction::recvonly);
        CHECK(to_b.media[0].port == first_b.media[0].port);
        CHECK(s.streams()[0].on_hold());
        CHECK(ports.held == held);
    }
    SECTION("old-style hold (c=0.0.0.0) becomes sendonly, with our address kept") {
        std::string hold = offer_a;
        hold.replace(hold.find("c=IN IP4 192.0.2.10"), 19, "c=IN IP4 0.0.0.0");
        auto to_b = parsed(s.offer(0, hold));
        CHECK(to_b.connection->address == "203.0.113.5");
        CHECK(to_b.media_direction(to_b.media[0]) == sdp::direction::sendonly);
        CHECK(to_b.media[0].port == first_b.media[0].port);
    }
    SECTION("video added later gets ports at that offer; declined, it stays in place with port 0") {
        std::string with_video = offer_a + "m=video 49172 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
        auto to_b = parsed(s.offer(0, with_video));
        REQUIRE(to_b.media.size() == 2);
        CHECK(to_b.media[0].port == first_b.media[0].port);
        CHECK(to_b.media[1].port != 0);
        CHECK(ports.held.size() == 4);
        auto declined = answer_b + "m=video 0 RTP/AVP 96\r\n";
        auto to_a = parsed(s.answer(1, declined));
        REQUIRE(to_a.media.size() == 2);
        CHECK(to_a.media[1].port == 0);
        CHECK(to_a.media[0].port == first_a.media[0].port);
        CHECK(ports.held == held); // the video ports went back
    }
    SECTION("an offer that drops an m= line is refused (RFC 3264 8)") {
        std::string none =
            body({"v=0", "o=alice 1 2 IN IP4 192.0.2.10", "s=-", "c=IN IP4 192.0.2.10", "t=0 0"});
        auto r = s.offer(0, none);
        REQUIRE_FALSE(r);
        CHECK(r.error() == tandem::media_errc::media_removed);
    }
}

TEST_CASE("SDP the relay cannot carry is refused, never passed on", "[media][sdp]") {
    counting_ports ports;
    media::relay_session s(ports, ours, {}, {1, 2});
    SECTION("a host name where an address belongs") {
        std::string named = offer_a;
        named.replace(named.find("c=IN IP4 192.0.2.10"), 19, "c=IN IP4 phone.example.com");
        auto r = s.offer(0, named);
        REQUIRE_FALSE(r);
        CHECK(r.error() == tandem::media_errc::unsupported_address);
    }
    SECTION("an answer with no offer, or with other m= lines than the offer") {
        CHECK(s.answer(1, answer_b).error() == tandem::media_errc::no_offer);
        REQUIRE(s.offer(0, offer_a));
        CHECK(s.answer(1, answer_b + "m=video 5000 RTP/AVP 96\r\n").error() ==
              tandem::media_errc::answer_mismatch);
    }
    SECTION("no ports left: the offer fails (488), nothing leaks") {
        ports.limit = 1;
        auto r = s.offer(0, offer_a);
        REQUIRE_FALSE(r);
        CHECK(r.error() == tandem::media_errc::no_ports);
        s.release_all();
        CHECK(ports.held.empty());
    }
    SECTION("garbage") { CHECK_FALSE(s.offer(0, "not sdp")); }
}

TEST_CASE("IPv4 on one leg and IPv6 on the other", "[media][sdp]") {
    counting_ports ports;
    media::relay_session s(ports, ours, {std::nullopt, true}, {1, 2}); // the policy's choice for leg B
    auto to_b = parsed(s.offer(0, offer_a));
    CHECK(to_b.connection->addrtype == "IP6");
    CHECK(to_b.connection->address == "2001:db8::5");
    auto v6 = body({"v=0", "o=bob 1 1 IN IP6 2001:db8::20", "s=-", "c=IN IP6 2001:db8::20", "t=0 0",
                    "m=audio 3456 RTP/AVP 0"});
    auto to_a = parsed(s.answer(1, v6));
    CHECK(to_a.connection->addrtype == "IP4");
    CHECK(to_a.connection->address == "203.0.113.5");
    CHECK(s.streams()[0].legs[1].ipv6);
    CHECK_FALSE(s.streams()[0].legs[0].ipv6);

    // no choice for leg B: its phone gets the family leg A's phone speaks
    counting_ports more;
    media::relay_session follows(more, ours, {}, {3, 4});
    auto v6_offer = v6;
    auto to_b6 = parsed(follows.offer(0, v6_offer));
    CHECK(to_b6.connection->address == "2001:db8::5");
    auto to_a4 = parsed(follows.offer(0, offer_a)); // leg A moves to IPv4: leg B keeps its family
    CHECK(to_a4.connection->address == "2001:db8::5");
}

TEST_CASE("no port leaks after 10 000 calls", "[media][sdp]") {
    counting_ports ports;
    ports.limit = 4;
    for (int i = 0; i < 10000; ++i) {
        media::relay_session s(ports, ours, {}, {std::uint64_t(i), 7});
        REQUIRE(s.offer(0, offer_a));
        REQUIRE(s.answer(1, answer_b));
        s.release_all();
    }
    CHECK(ports.held.empty());
}

TEST_CASE("port pairs: even RTP, odd RTCP, in random strides, exhaustion is an answer", "[media][ports]") {
    rtp::port_pool pool(30001, 30010, 12345); // pairs 30002, 30004, 30006, 30008
    CHECK(pool.capacity() == 4);
    std::set<std::uint16_t> got;
    for (int i = 0; i < 4; ++i) {
        auto p = pool.allocate();
        REQUIRE(p);
        CHECK(*p % 2 == 0);
        got.insert(*p);
    }
    CHECK(got == std::set<std::uint16_t>{30002, 30004, 30006, 30008});
    CHECK_FALSE(pool.allocate());
    pool.release(30004);
    pool.release(30004); // twice: ignored
    pool.release(30005); // not a pair's RTP port: ignored
    CHECK(pool.in_use() == 3);
    CHECK(pool.allocate() == std::optional<std::uint16_t>(30004)); // the one free pair

    // strides: the next port is not the one after the last
    rtp::port_pool big(30000, 39999, 99);
    int sequential = 0;
    auto last = big.allocate();
    for (int i = 0; i < 200; ++i) {
        auto p = big.allocate();
        REQUIRE(p);
        if (*p == *last + 2) ++sequential;
        last = p;
    }
    CHECK(sequential < 40);
}

TEST_CASE("latching: learned from media only, the SDP's address preferred, then locked", "[media][latch]") {
    auto ep = [](const char* a, std::uint16_t p) {
        return media::udp_endpoint(asio::ip::make_address(a), p);
    };
    media::latch l;
    l.reopen(ep("192.0.2.10", 4000));
    SECTION("the announced address and port: locked at once, others refused") {
        CHECK(l.accept(ep("192.0.2.10", 4000), true, 5));
        CHECK(l.locked());
        CHECK_FALSE(l.accept(ep("198.51.100.66", 4000), true, 5));
    }
    SECTION("a NATed phone: its public source is learned, then locked after five packets") {
        CHECK_FALSE(l.accept(ep("203.0.113.99", 6000), false, 5)); // not a negotiated payload type
        CHECK(l.accept(ep("203.0.113.99", 6000), true, 5));
        CHECK(l.destination() == ep("203.0.113.99", 6000));
        CHECK_FALSE(l.accept(ep("198.51.100.66", 7000), true, 5)); // a second stranger: no switch
        for (int i = 0; i < 4; ++i) CHECK(l.accept(ep("203.0.113.99", 6000), true, 5));
        CHECK(l.locked());
        CHECK_FALSE(l.accept(ep("192.0.2.10", 4000), true, 5)); // locked: even the SDP address
        l.reopen(ep("192.0.2.10", 4000));                       // a new offer/answer: learning again
        CHECK(l.accept(ep("192.0.2.10", 4000), true, 5));
        CHECK(l.destination() == ep("192.0.2.10", 4000));
    }
    SECTION("a candidate from elsewhere gives way to one from the SDP's address") {
        CHECK(l.accept(ep("198.51.100.66", 7000), true, 5));
        CHECK(l.accept(ep("192.0.2.10", 4100), true, 5));
        CHECK(l.destination() == ep("192.0.2.10", 4100));
        CHECK_FALSE(l.accept(ep("198.51.100.66", 7000), true, 5));
    }
}

TEST_CASE("RTP and RTCP packets", "[media][rtp]") {
    std::vector<std::uint8_t> p(172, 0);
    p[0] = 0x80;
    p[1] = 0x80 | 8; // marker, PCMA
    p[2] = 0x12;
    p[3] = 0x34;
    p[11] = 0x42;
    CHECK(rtp::classify(p) == rtp::packet_kind::rtp);
    auto h = rtp::parse_rtp(p);
    REQUIRE(h);
    CHECK(h->marker);
    CHECK(h->payload_type == 8);
    CHECK(h->sequence == 0x1234);
    CHECK(h->ssrc == 0x42);
    CHECK(h->payload_offset == 12);
    CHECK(h->payload_size == 160);
    p[0] = 0xA0; // padding bit with a zero count: refused
    CHECK(rtp::parse_rtp(p).error() == tandem::rtp_errc::bad_padding);
    p[0] = 0x8F; // 15 CSRCs: 72 octets of header, fits
    CHECK(rtp::parse_rtp(p));
    CHECK(rtp::parse_rtp(std::span(p).first(40)).error() == tandem::rtp_errc::too_short);
    std::uint8_t first[] = {0x00, 0x14, 0x80, 0x81};
    for (auto [b, kind] : {std::pair{0x00, rtp::packet_kind::stun},
                           {0x10, rtp::packet_kind::zrtp},
                           {0x16, rtp::packet_kind::dtls},
                           {0x40, rtp::packet_kind::turn_channel},
                           {0xff, rtp::packet_kind::unknown}}) {
        first[0] = static_cast<std::uint8_t>(b);
        CHECK(rtp::classify(first) == kind);
    }

    // RR with one report block: 10% lost, 42 cumulative, jitter 160
    std::vector<std::uint8_t> rr = {0x81, 201, 0, 7, 0, 0, 0, 1,   0, 0, 0, 2, 25, 0, 0, 42,
                                    0,    0,   0, 9, 0, 0, 0, 160, 0, 0, 0, 0, 0,  0, 0, 0};
    CHECK(rtp::classify(rr) == rtp::packet_kind::rtcp);
    int blocks = 0;
    auto n = rtp::for_each_report(rr, [&](std::uint32_t sender, const rtp::report_block& b) {
        ++blocks;
        CHECK(sender == 1);
        CHECK(b.ssrc == 2);
        CHECK(b.fraction_lost == 25);
        CHECK(b.cumulative_lost == 42);
        CHECK(b.jitter == 160);
    });
    REQUIRE(n);
    CHECK(*n == 1);
    CHECK(blocks == 1);
    rr[3] = 9; // a length beyond the packet
    CHECK(rtp::for_each_report(rr, [](auto, auto&) {}).error() == tandem::rtp_errc::bad_length);
}

// ---- rtp_relay on loopback sockets --------------------------------------------------------------

using namespace tandem::test;

TEST_CASE("rtp_relay carries RTP and RTCP both ways and refuses strangers", "[media][relay]") {
    asio::io_context io;
    media::rtp_relay_config cfg;
    cfg.port_min = 41000;
    cfg.port_max = 41999;
    media::rtp_relay relay(io.get_executor(), cfg);
    phone a(io), b(io), b_rtcp(io), stranger(io);
    auto s = relay.open(b2b::media_context{});
    REQUIRE(s);
    auto to_b = relay.offer(*s, b2b::leg::a, phone_sdp(a.port(), true));
    REQUIRE(to_b);
    auto to_a = relay.answer(*s, b2b::leg::b,
                             phone_sdp(b.port()) + "a=rtcp:" + std::to_string(b_rtcp.port()) + "\r\n");
    REQUIRE(to_a);
    std::uint16_t facing_a = port_in(*to_a), facing_b = port_in(*to_b);
    CHECK(relay.ports_in_use() == 2);

    a.send(facing_a, rtp_packet(0, 0xAA));
    b.send(facing_b, rtp_packet(0, 0xBB));
    settle(io);
    auto at_b = b.received();
    auto at_a = a.received();
    REQUIRE(at_b.size() == 1);
    REQUIRE(at_a.size() == 1);
    CHECK(at_b[0] == rtp_packet(0, 0xAA)); // untouched
    CHECK(at_a[0] == rtp_packet(0, 0xBB));

    // A muxes RTCP on its RTP port; B does not: A's RTCP reaches B's RTCP port (B's RTP port + 1)
    std::vector<std::uint8_t> rr = {0x81, 201, 0, 7, 0, 0, 0, 1,   0, 0, 0, 2, 25, 0, 0, 42,
                                    0,    0,   0, 9, 0, 0, 0, 160, 0, 0, 0, 0, 0,  0, 0, 0};
    a.send(facing_a, rr);
    settle(io);
    CHECK(b.received().empty()); // not on B's RTP port
    auto rtcp_at_b = b_rtcp.received();
    REQUIRE(rtcp_at_b.size() == 1);
    CHECK(rtcp_at_b[0] == rr);

    // strangers: a valid-looking packet, an unnegotiated payload type and garbage
    for (int i = 0; i < 10; ++i) stranger.send(facing_b, rtp_packet(0, 0x55, static_cast<std::uint16_t>(i)));
    stranger.send(facing_b, {1, 2, 3});
    settle(io);
    auto after = a.received();
    for (const auto& p : after) CHECK(p[20] != 0x55); // nothing of the stranger reaches A
    auto st = relay.stats(*s);
    CHECK(st.legs[1].dropped >= 11);
    CHECK(st.legs[0].packets == 2); // A's RTP and RTCP
    CHECK(st.legs[0].reported);     // A's RTCP report: what it lost of B's stream
    CHECK(st.legs[0].lost == 42);
    CHECK(st.legs[0].jitter_ms == 20); // 160 at 8 kHz

    // a media timeout: silence on an active stream (virtual `now` beyond the last packet)
    auto now = std::chrono::steady_clock::now();
    auto ok = relay.check(*s, now);
    CHECK(ok.end == b2b::b2bua_errc{});
    REQUIRE(ok.next);
    CHECK(relay.check(*s, now + 31s).end == b2b::b2bua_errc::media_timeout);

    relay.close(*s);
    settle(io);
    CHECK(relay.ports_in_use() == 0);
    // an idle relay keeps no work in the io_context: a B2BUA that stopped can return from run()
    io.restart();
    io.run_for(2s);
    CHECK(io.stopped());
}

TEST_CASE("rtp_relay: hold stretches the media timeout; media options of another type are refused",
          "[media][relay]") {
    asio::io_context io;
    media::rtp_relay_config cfg;
    cfg.port_min = 42000;
    cfg.port_max = 42999;
    media::rtp_relay relay(io.get_executor(), cfg);
    std::any wrong = std::string("zrtp");
    b2b::media_context bad;
    bad.options = &wrong;
    auto refused = relay.open(bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error() == tandem::media_errc::bad_options);

    auto s = relay.open(b2b::media_context{});
    REQUIRE(s);
    REQUIRE(relay.offer(*s, b2b::leg::a, phone_sdp(50000)));
    std::string held = phone_sdp(50002) + "a=sendonly\r\n";
    REQUIRE(relay.answer(*s, b2b::leg::b, held));
    auto now = std::chrono::steady_clock::now();
    CHECK(relay.check(*s, now + 31s).end == b2b::b2bua_errc{});
    CHECK(relay.check(*s, now + 3601s).end == b2b::b2bua_errc::media_timeout);
    relay.close(*s);
    CHECK(relay.ports_in_use() == 0);
}

TEST_CASE("rtp_relay: a used-up port range refuses the offer, and the ports come back", "[media][relay]") {
    asio::io_context io;
    media::rtp_relay_config cfg;
    cfg.port_min = 43000;
    cfg.port_max = 43003; // two pairs: one call's worth
    media::rtp_relay relay(io.get_executor(), cfg);
    auto first = relay.open(b2b::media_context{});
    REQUIRE(first);
    REQUIRE(relay.offer(*first, b2b::leg::a, phone_sdp(50000)));
    auto second = relay.open(b2b::media_context{});
    REQUIRE(second);
    auto refused = relay.offer(*second, b2b::leg::a, phone_sdp(50010));
    REQUIRE_FALSE(refused); // the call answers this offer 488: never a crash, never the SDP as it came
    CHECK(refused.error() == tandem::media_errc::no_ports);
    relay.close(*second);
    relay.close(*first);
    CHECK(relay.ports_in_use() == 0);
    auto third = relay.open(b2b::media_context{});
    REQUIRE(third);
    CHECK(relay.offer(*third, b2b::leg::a, phone_sdp(50020)));
    relay.close(*third);
}
