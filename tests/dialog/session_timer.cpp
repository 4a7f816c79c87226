#include <tandem/dialog/session_timer.hpp>

#include <tandem/message/serializer.hpp>

#include <catch2/catch.hpp>

#include <string>

// RFC 4028 on one leg, on virtual time: the negotiation in each direction, the refresher
// choice of section 9, 422 both ways, and the two deadlines of section 10.

namespace msg = tandem::message;
using tandem::dialog::parse_session_expires;
using tandem::dialog::session_timer;
using tandem::dialog::session_timer_config;
using namespace std::chrono_literals;

namespace {

msg::message parse(const std::string& s) {
    msg::parse_options o;
    o.check_syntax = false; // a bad Session-Expires must reach the timer
    auto m = msg::message::parse(s, o);
    INFO(s);
    REQUIRE(m);
    return std::move(*m);
}

msg::message invite(const std::string& extra) {
    std::string s = "INVITE sip:bob@192.0.2.4 SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKst1\r\n"
                    "Max-Forwards: 70\r\nFrom: <sip:alice@192.0.2.1>;tag=a1\r\nTo: <sip:bob@192.0.2.4>\r\n"
                    "Call-ID: st@192.0.2.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.1>\r\n" +
                    extra + "Content-Length: 0\r\n\r\n";
    return parse(s);
}

msg::message ok(const std::string& extra, int code = 200) {
    std::string s = "SIP/2.0 " + std::to_string(code) + " X\r\n" +
                    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKst1\r\n"
                    "From: <sip:alice@192.0.2.1>;tag=a1\r\nTo: <sip:bob@192.0.2.4>;tag=b1\r\n"
                    "Call-ID: st@192.0.2.1\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@192.0.2.4>\r\n" +
                    extra + "Content-Length: 0\r\n\r\n";
    return parse(s);
}

session_timer timer(std::chrono::seconds interval = 1800s, std::chrono::seconds min_se = 90s) {
    return session_timer{session_timer_config{interval, min_se}};
}

} // namespace

TEST_CASE("Session-Expires values", "[session_timer]") {
    auto v = parse_session_expires("1800;refresher=uac");
    REQUIRE(v);
    CHECK(v->delta == 1800);
    CHECK(v->refresher == "uac");
    v = parse_session_expires(" 90 ; foo ; refresher = uas");
    REQUIRE(v);
    CHECK(v->delta == 90);
    CHECK(v->refresher == "uas");
    CHECK_FALSE(parse_session_expires("soon"));
    CHECK_FALSE(parse_session_expires(""));
}

TEST_CASE("a disabled session timer adds nothing and never fires", "[session_timer]") {
    session_timer t = timer(0s);
    CHECK_FALSE(t.enabled());
    CHECK(t.request_headers().empty());
    CHECK(t.response_headers(invite("Session-Expires: 100\r\nSupported: timer\r\n")).empty());
    CHECK_FALSE(t.check_request(invite("Session-Expires: 10\r\n")));
    t.on_2xx_received(ok("Session-Expires: 100;refresher=uac\r\n"), {});
    t.on_2xx_sent({});
    CHECK_FALSE(t.next_deadline());
}

TEST_CASE("UAC: we offer to refresh; the 2xx decides (RFC 4028 7.4)", "[session_timer]") {
    tandem::transaction::time_point t0{};
    SECTION("the peer agrees: we refresh at half the interval") {
        session_timer t = timer(1800s);
        CHECK(t.request_headers() ==
              "Supported: timer\r\nSession-Expires: 1800;refresher=uac\r\nMin-SE: 90\r\n");
        t.on_2xx_received(ok("Require: timer\r\nSession-Expires: 1200;refresher=uac\r\n"), t0);
        CHECK(t.we_refresh());
        CHECK(t.interval() == 1200);
        REQUIRE(t.next_deadline());
        CHECK(*t.next_deadline() == t0 + 600s);
        CHECK(t.on_time(t0 + 599s) == session_timer::due::nothing);
        CHECK(t.on_time(t0 + 600s) == session_timer::due::refresh);
        CHECK(*t.next_deadline() == t0 + 1200s); // no refresh got through: the end
        CHECK(t.on_time(t0 + 1200s) == session_timer::due::expired);
        CHECK_FALSE(t.next_deadline());
    }
    SECTION("the peer refreshes: we end the session a little before the interval") {
        session_timer t = timer(1800s);
        t.on_2xx_received(ok("Session-Expires: 90;refresher=uas\r\n"), t0);
        CHECK_FALSE(t.we_refresh());
        CHECK(t.request_headers().find("refresher=uas") != std::string::npos);
        CHECK(*t.next_deadline() == t0 + 60s); // 90 - min(32, 30)
        t.on_2xx_received(ok("Session-Expires: 1800;refresher=uas\r\n"), t0 + 50s);
        CHECK(*t.next_deadline() == t0 + 50s + 1800s - 32s);
        CHECK(t.on_time(t0 + 50s + 1768s) == session_timer::due::expired);
    }
    SECTION("the peer knows no session timer: we refresh on our own") {
        session_timer t = timer(300s);
        t.on_2xx_received(ok(""), t0);
        CHECK(t.we_refresh());
        CHECK(*t.next_deadline() == t0 + 150s);
    }
    SECTION("422: the request goes again with the peer's Min-SE") {
        session_timer t = timer(100s);
        CHECK(t.on_422(ok("Min-SE: 600\r\n", 422)));
        CHECK(t.interval() == 600);
        CHECK(t.request_headers().find("Session-Expires: 600;") != std::string::npos);
        CHECK(t.request_headers().find("Min-SE: 600") != std::string::npos);
        CHECK_FALSE(t.on_422(ok("Min-SE: 600\r\n", 422))); // the same again: give up
        CHECK_FALSE(t.on_422(ok("Min-SE: 100000\r\n", 422)));
        CHECK_FALSE(t.on_422(ok("", 422)));
    }
}

TEST_CASE("UAS: the refresher choice of RFC 4028 9", "[session_timer]") {
    tandem::transaction::time_point t0{};
    SECTION("a UAC that names itself refreshes; the response requires timer") {
        session_timer t = timer(1800s);
        auto h = t.response_headers(invite("Supported: timer\r\nSession-Expires: 600;refresher=uac\r\n"));
        CHECK(h == "Supported: timer\r\nSession-Expires: 600;refresher=uac\r\nRequire: timer\r\n");
        CHECK_FALSE(t.we_refresh());
        t.on_2xx_sent(t0);
        CHECK(*t.next_deadline() == t0 + 600s - 32s);
    }
    SECTION("no refresher named: we refresh") {
        session_timer t = timer(1800s);
        auto h = t.response_headers(invite("Supported: timer\r\nSession-Expires: 3600\r\n"));
        CHECK(h == "Supported: timer\r\nSession-Expires: 1800;refresher=uas\r\n"); // lowered to ours
        CHECK(t.we_refresh());
        t.on_2xx_sent(t0);
        CHECK(*t.next_deadline() == t0 + 900s);
    }
    SECTION("a UAC without timer support cannot refresh: we do") {
        session_timer t = timer(1800s);
        auto h = t.response_headers(invite("Session-Expires: 600;refresher=uac\r\n"));
        CHECK(h == "Supported: timer\r\nSession-Expires: 600;refresher=uas\r\n");
        CHECK(t.we_refresh());
    }
    SECTION("no Session-Expires at all: ours, and we refresh (a vanished caller is noticed)") {
        session_timer t = timer(1800s);
        CHECK(t.response_headers(invite("")) ==
              "Supported: timer\r\nSession-Expires: 1800;refresher=uas\r\n");
        CHECK(t.we_refresh());
    }
    SECTION("the request's Min-SE raises our interval") {
        session_timer t = timer(120s);
        CHECK(t.response_headers(invite("Min-SE: 300\r\n")).find("Session-Expires: 300;") !=
              std::string::npos);
    }
    SECTION("too small an interval gets 422 with our Min-SE") {
        session_timer t = timer(1800s, 120s);
        auto r = t.check_request(invite("Session-Expires: 100\r\n"));
        REQUIRE(r);
        CHECK(r->status == 422);
        CHECK(msg::extra_headers(*r) == "Min-SE: 120\r\n");
        CHECK_FALSE(t.check_request(invite("Session-Expires: 120\r\n")));
        CHECK_FALSE(t.check_request(invite("")));
        auto bad = t.check_request(invite("Session-Expires: soon\r\n"));
        REQUIRE(bad);
        CHECK(bad->status == 400);
    }
    SECTION("a Min-SE below 90 s is raised to 90 s (RFC 4028 4)") {
        session_timer t = timer(30s, 10s);
        CHECK(t.response_headers(invite("")).find("Session-Expires: 90;") != std::string::npos);
    }
    SECTION("stop() clears the deadlines") {
        session_timer t = timer(1800s);
        (void)t.response_headers(invite(""));
        t.on_2xx_sent(t0);
        t.stop();
        CHECK_FALSE(t.next_deadline());
    }
}
