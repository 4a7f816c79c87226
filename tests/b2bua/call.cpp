#include <tandem/b2bua/call.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace msg = tandem::message;
namespace b2b = tandem::b2bua;
using b2b::leg;
using namespace std::chrono_literals;

namespace {

const std::string sdp_a = "v=0\r\no=a 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
                          "m=audio 4000 RTP/AVP 0\r\n";
const std::string sdp_b = "v=0\r\no=b 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n"
                          "m=audio 5000 RTP/AVP 0\r\n";

msg::message parse(const std::string& s) {
    msg::parse_options o;
    o.check_syntax = false;
    auto m = msg::message::parse(s, o);
    REQUIRE(m);
    return std::move(*m);
}

// Leg A's INVITE as a caller behind a proxy would send it.
msg::message invite_a() {
    std::string s;
    msg::message_writer w{s};
    w.request_line("INVITE", "sip:+15551234@b2bua.example.com")
        .header("Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcaller;rport")
        .header("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKproxy")
        .header("Record-Route", "<sip:192.0.2.1;lr>")
        .header("Max-Forwards", "69")
        .header("From", "\"Alice\" <sip:alice@atlanta.example.com>;tag=caller1")
        .header("To", "<sip:+15551234@b2bua.example.com>")
        .header("Call-ID", "leg-a-call-id@192.0.2.10")
        .header("CSeq", "101 INVITE")
        .header("Contact", "<sip:alice@192.0.2.10:5060>")
        .header("Subject", "lunch")
        .finish(sdp_a, "application/sdp");
    return parse(s);
}

// A response from leg B's callee to our leg-B request.
msg::message response_b(const msg::message& req, int code, std::string tag = "callee1",
                        std::string body = {}) {
    std::string extra = "Contact: <sip:bob@198.51.100.20:5070>\r\n";
    if (code >= 200 && code < 300) extra += "Record-Route: <sip:198.51.100.1;lr>\r\n";
    auto r = msg::make_response(req, code, {}, tag, extra);
    REQUIRE(r);
    if (!body.empty()) r->set_body("application/sdp", body);
    return parse(r->serialize());
}

// An in-dialog request from one side, built from that side's view of the dialog.
msg::message in_dialog(const std::string& method, const std::string& call_id, const std::string& from,
                       const std::string& to, int cseq, std::string body = {}) {
    std::string s;
    msg::message_writer w{s};
    w.request_line(method, "sip:b2bua@203.0.113.5")
        .header("Via", "SIP/2.0/UDP 192.0.2.99;branch=z9hG4bK" + method + std::to_string(cseq))
        .header("Max-Forwards", "70")
        .header("From", from)
        .header("To", to)
        .header("Call-ID", call_id)
        .header("CSeq", std::to_string(cseq) + " " + method)
        .header("Contact", "<sip:peer@192.0.2.99>")
        .finish(body, body.empty() ? std::string_view{} : std::string_view("application/sdp"));
    return parse(s);
}

struct fixture {
    b2b::no_media relay;
    b2b::call<b2b::no_media> c{relay,
                               {"leg-a-call-id@192.0.2.10", "b2btagA", "sip:b2bua@203.0.113.5"},
                               {"leg-b-xyz@203.0.113.5", "b2btagB", "sip:b2bua@203.0.113.5"}};
    tandem::transaction::time_point t{};
    std::vector<b2b::action> drain() {
        std::vector<b2b::action> out;
        while (auto a = c.poll()) out.push_back(std::move(*a));
        return out;
    }
    template <class A>
    std::vector<A> take(const std::vector<b2b::action>& as) {
        std::vector<A> out;
        for (auto& a : as)
            if (auto p = std::get_if<A>(&a)) out.push_back(*p);
        return out;
    }
    msg::message invite_b;
    std::uint64_t invite_b_ref = 0;

    // Leg A's INVITE arrives and is routed: returns the leg-B INVITE.
    void start(std::chrono::milliseconds no_answer = 0ms) {
        b2b::route_decision d;
        d.request_uri = "sip:+15551234@198.51.100.20:5070";
        d.copy_headers = {"Subject"};
        d.no_answer_timeout = no_answer;
        c.start(invite_a(), 1, d, t);
        auto as = drain();
        auto rs = take<b2b::respond>(as);
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].response.status() == 100);
        auto sends = take<b2b::send_request>(as);
        REQUIRE(sends.size() == 1);
        CHECK(sends[0].to == leg::b);
        invite_b = sends[0].request;
        invite_b_ref = sends[0].ref;
    }
    // ... answered by the callee
    void answer() {
        c.on_response(leg::b, invite_b_ref, response_b(invite_b, 180), t);
        c.on_response(leg::b, invite_b_ref, response_b(invite_b, 200, "callee1", sdp_b), t);
        drain();
        REQUIRE(c.current() == b2b::call<b2b::no_media>::state::confirmed);
    }
};

} // namespace

TEST_CASE("leg B is a new dialog that hides leg A (topology hiding, RFC 7332)", "[b2bua][call]") {
    fixture f;
    f.start();
    const msg::message& b = f.invite_b;
    CHECK(b.request_uri_text() == "sip:+15551234@198.51.100.20:5070");
    CHECK(b.call_id() == "leg-b-xyz@203.0.113.5");
    CHECK(b.from()->tag() == "b2btagB");
    CHECK(b.from()->uri_text == "sip:alice@atlanta.example.com");
    CHECK(b.to()->tag().empty());
    CHECK(b.cseq()->number == 1);
    CHECK(b.max_forwards().value() == 68);
    CHECK(b.header("Contact") == "<sip:b2bua@203.0.113.5>");
    CHECK(b.header("Subject") == "lunch");
    CHECK_FALSE(b.has_header(msg::header_id::via));          // the stack adds ours
    CHECK_FALSE(b.has_header(msg::header_id::record_route)); // leg A's route set stays on leg A
    std::string wire = b.serialize();
    std::string head = wire.substr(0, wire.find("\r\n\r\n")); // the SDP may name media addresses
    for (std::string_view leak : {"192.0.2.10", "192.0.2.1:", "leg-a-call-id", "caller1", "z9hG4bKcaller"})
        CHECK(head.find(leak) == std::string::npos);
    CHECK(b.body() == sdp_a); // signaling only: SDP untouched
}

TEST_CASE("a basic call: 100 at once, 180 and 200 relayed, BYE from the caller ends both legs",
          "[b2bua][call]") {
    fixture f;
    f.start();
    f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 180), f.t);
    auto as = f.drain();
    auto rs = f.take<b2b::respond>(as);
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].to == leg::a);
    CHECK(rs[0].response.status() == 180);
    CHECK(rs[0].response.to()->tag() == "b2btagA");
    CHECK(rs[0].response.call_id() == "leg-a-call-id@192.0.2.10");
    CHECK(rs[0].response.header("Contact") == "<sip:b2bua@203.0.113.5>");
    CHECK(f.take<b2b::report>(as).size() == 1); // ringing

    f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 200, "callee1", sdp_b), f.t + 3s);
    as = f.drain();
    rs = f.take<b2b::respond>(as);
    REQUIRE(rs.size() == 1);
    const msg::message& ok = rs[0].response;
    CHECK(ok.status() == 200);
    CHECK(ok.body() == sdp_b);
    std::string wire = ok.serialize();
    std::string head = wire.substr(0, wire.find("\r\n\r\n"));
    for (std::string_view leak : {"198.51.100", "callee1", "leg-b-xyz"})
        CHECK(head.find(leak) == std::string::npos);
    // leg A's Via and Record-Route come back to leg A (RFC 3261 8.2.6, 12.1.1)
    CHECK(ok.count(msg::header_id::via) == 2);

    // the caller hangs up
    f.c.on_request(leg::a, 7,
                   in_dialog("BYE", "leg-a-call-id@192.0.2.10", "<sip:alice@atlanta.example.com>;tag=caller1",
                             "<sip:+15551234@b2bua.example.com>;tag=b2btagA", 102),
                   f.t + 60s);
    as = f.drain();
    rs = f.take<b2b::respond>(as);
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].ref == 7);
    CHECK(rs[0].response.status() == 200);
    auto byes = f.take<b2b::send_request>(as);
    REQUIRE(byes.size() == 1);
    CHECK(byes[0].to == leg::b);
    CHECK(byes[0].request.method() == msg::method_id::bye);
    CHECK(byes[0].request.call_id() == "leg-b-xyz@203.0.113.5");
    CHECK(byes[0].request.to()->tag() == "callee1");
    CHECK(byes[0].request.cseq()->number == 2);
    CHECK(byes[0].request.header(msg::header_id::route) == "<sip:198.51.100.1;lr>");
    auto reports = f.take<b2b::report>(as);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].event.what == b2b::call_event::kind::ended);
    CHECK(reports[0].event.duration == 57s);
    f.c.on_response(leg::b, byes[0].ref, response_b(byes[0].request, 200), f.t + 61s);
    CHECK(f.take<b2b::finished>(f.drain()).size() == 1);
}

TEST_CASE("BYE from the callee ends both legs", "[b2bua][call]") {
    fixture f;
    f.start();
    f.answer();
    f.c.on_request(leg::b, 9,
                   in_dialog("BYE", "leg-b-xyz@203.0.113.5", "<sip:+15551234@198.51.100.20>;tag=callee1",
                             "<sip:alice@atlanta.example.com>;tag=b2btagB", 5),
                   f.t);
    auto as = f.drain();
    auto byes = f.take<b2b::send_request>(as);
    REQUIRE(byes.size() == 1);
    CHECK(byes[0].to == leg::a);
    CHECK(byes[0].request.call_id() == "leg-a-call-id@192.0.2.10");
    // leg A's remote target and route set (loose routing, RFC 3261 12.2.1.1)
    CHECK(byes[0].request.request_uri_text() == "sip:alice@192.0.2.10:5060");
    CHECK(byes[0].request.header(msg::header_id::route) == "<sip:192.0.2.1;lr>");
    CHECK(f.take<b2b::respond>(as).at(0).response.status() == 200);
}

TEST_CASE("call errors: busy, timeout, rejection by the policy", "[b2bua][call]") {
    SECTION("486 from leg B goes to leg A with a Reason header") {
        fixture f;
        f.start();
        f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 486), f.t);
        auto as = f.drain();
        auto rs = f.take<b2b::respond>(as);
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].response.status() == 486);
        CHECK(rs[0].response.header("Reason").find("cause=486") != std::string_view::npos);
        CHECK(f.take<b2b::finished>(as).size() == 1);
    }
    SECTION("leg B times out: 408 on leg A") {
        fixture f;
        f.start();
        f.c.on_failure(leg::b, f.invite_b_ref, true, f.t + 32s);
        auto as = f.drain();
        CHECK(f.take<b2b::respond>(as).at(0).response.status() == 408);
        CHECK(f.take<b2b::finished>(as).size() == 1);
    }
    SECTION("the policy rejects") {
        fixture f;
        f.c.start(invite_a(), 1, b2b::reject_decision{403, "Nope"}, f.t);
        auto as = f.drain();
        auto rs = f.take<b2b::respond>(as);
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].response.status() == 403);
        CHECK(rs[0].response.reason() == "Nope");
        CHECK(f.take<b2b::send_request>(as).empty());
        CHECK(f.take<b2b::finished>(as).size() == 1);
    }
}

TEST_CASE("CANCEL on leg A cancels leg B; a crossing 200 is ended with BYE", "[b2bua][call]") {
    fixture f;
    f.start();
    f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 180), f.t);
    f.drain();
    f.c.on_cancel(f.t + 1s);
    auto as = f.drain();
    CHECK(f.take<b2b::respond>(as).at(0).response.status() == 487);
    auto cancels = f.take<b2b::cancel_request>(as);
    REQUIRE(cancels.size() == 1);
    CHECK(cancels[0].ref == f.invite_b_ref);
    SECTION("leg B answers 487") {
        f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 487), f.t + 1s);
        CHECK(f.take<b2b::finished>(f.drain()).size() == 1);
    }
    SECTION("leg B's 200 crossed the CANCEL") {
        f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 200, "callee1", sdp_b), f.t + 1s);
        as = f.drain();
        CHECK(f.take<b2b::respond>(as).empty()); // nothing more to leg A
        auto byes = f.take<b2b::send_request>(as);
        REQUIRE(byes.size() == 1);
        CHECK(byes[0].to == leg::b);
        CHECK(byes[0].request.method() == msg::method_id::bye);
        f.c.on_response(leg::b, byes[0].ref, response_b(byes[0].request, 200), f.t + 2s);
        CHECK(f.take<b2b::finished>(f.drain()).size() == 1);
    }
}

TEST_CASE("no answer: 480 on leg A, CANCEL on leg B, on virtual time", "[b2bua][call]") {
    fixture f;
    f.start(30s);
    f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 180), f.t);
    f.drain();
    REQUIRE(f.c.next_deadline() == f.t + 30s);
    f.c.on_time(f.t + 29s);
    CHECK(f.drain().empty());
    f.c.on_time(f.t + 30s);
    auto as = f.drain();
    CHECK(f.take<b2b::respond>(as).at(0).response.status() == 480);
    CHECK(f.take<b2b::cancel_request>(as).size() == 1);
    CHECK_FALSE(f.c.next_deadline());
}

TEST_CASE("in-dialog requests are relayed: INFO, and a re-INVITE putting the call on hold", "[b2bua][call]") {
    fixture f;
    f.start();
    f.answer();
    // INFO from the caller goes to the callee, the callee's 200 comes back
    f.c.on_request(leg::a, 20,
                   in_dialog("INFO", "leg-a-call-id@192.0.2.10",
                             "<sip:alice@atlanta.example.com>;tag=caller1",
                             "<sip:+15551234@b2bua.example.com>;tag=b2btagA", 102),
                   f.t);
    auto as = f.drain();
    auto sent = f.take<b2b::send_request>(as);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].to == leg::b);
    CHECK(sent[0].request.method() == msg::method_id::info);
    CHECK(sent[0].request.call_id() == "leg-b-xyz@203.0.113.5");
    f.c.on_response(leg::b, sent[0].ref, response_b(sent[0].request, 200), f.t);
    auto back = f.take<b2b::respond>(f.drain());
    REQUIRE(back.size() == 1);
    CHECK(back[0].ref == 20);
    CHECK(back[0].to == leg::a);
    CHECK(back[0].response.status() == 200);

    // the callee puts the call on hold (re-INVITE with sendonly); leg A answers recvonly
    std::string hold = sdp_b + "a=sendonly\r\n";
    f.c.on_request(leg::b, 21,
                   in_dialog("INVITE", "leg-b-xyz@203.0.113.5", "<sip:+15551234@198.51.100.20>;tag=callee1",
                             "<sip:alice@atlanta.example.com>;tag=b2btagB", 2, hold),
                   f.t);
    sent = f.take<b2b::send_request>(f.drain());
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].to == leg::a);
    CHECK(sent[0].request.method() == msg::method_id::invite);
    CHECK(sent[0].request.body() == hold);
    std::string held = sdp_a + "a=recvonly\r\n";
    auto r = msg::make_response(sent[0].request, 200, {}, {}, "Contact: <sip:alice@192.0.2.10>\r\n");
    r->set_body("application/sdp", held);
    f.c.on_response(leg::a, sent[0].ref, parse(r->serialize()), f.t);
    back = f.take<b2b::respond>(f.drain());
    REQUIRE(back.size() == 1);
    CHECK(back[0].to == leg::b);
    CHECK(back[0].ref == 21);
    CHECK(back[0].response.body() == held);
}

TEST_CASE("requests that belong to no confirmed dialog get 481", "[b2bua][call]") {
    fixture f;
    f.start();
    f.c.on_request(leg::a, 30,
                   in_dialog("INFO", "leg-a-call-id@192.0.2.10", "<sip:alice@x>;tag=caller1",
                             "<sip:b@x>;tag=b2btagA", 102),
                   f.t);
    auto rs = f.take<b2b::respond>(f.drain());
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].response.status() == 481);
}

TEST_CASE("shutdown ends answered calls with BYE on both legs", "[b2bua][call]") {
    fixture f;
    f.start();
    f.answer();
    f.c.shutdown(f.t);
    auto sent = f.take<b2b::send_request>(f.drain());
    REQUIRE(sent.size() == 2);
    for (auto& s : sent) CHECK(s.request.method() == msg::method_id::bye);
    f.c.on_response(sent[0].to, sent[0].ref, response_b(sent[0].request, 200), f.t);
    CHECK(f.take<b2b::finished>(f.drain()).empty());
    f.c.on_failure(sent[1].to, sent[1].ref, true, f.t);
    CHECK(f.take<b2b::finished>(f.drain()).size() == 1);
}
