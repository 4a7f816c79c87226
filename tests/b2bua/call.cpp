#include <tandem/b2bua/call.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <any>
#include <map>
#include <optional>
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
    fixture() = default;
    explicit fixture(const b2b::call_config& cfg)
        : c{relay,
            {"leg-a-call-id@192.0.2.10", "b2btagA", "sip:b2bua@203.0.113.5"},
            {"leg-b-xyz@203.0.113.5", "b2btagB", "sip:b2bua@203.0.113.5"},
            nullptr,
            cfg} {}
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
    void start(std::chrono::milliseconds no_answer = 0ms) { start_with(invite_a(), no_answer); }
    void start_with(const msg::message& invite, std::chrono::milliseconds no_answer = 0ms) {
        b2b::route_decision d;
        d.request_uri = "sip:+15551234@198.51.100.20:5070";
        d.copy_headers = {"Subject"};
        d.no_answer_timeout = no_answer;
        c.start(invite, 1, d, t);
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
    // identities without addresses: user parts kept, hosts ours, the display name kept
    CHECK(b.from()->uri_text == "sip:alice@203.0.113.5");
    CHECK(b.from()->display_name == "\"Alice\"");
    CHECK(b.to()->uri_text == "sip:+15551234@203.0.113.5");
    CHECK(b.serialize().find("atlanta.example.com") == std::string::npos);
    std::string b_wire = b.serialize();
    CHECK(b_wire.substr(0, b_wire.find("\r\n\r\n")).find("192.0.2.") ==
          std::string::npos); // (SDP: the relay's)
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
    CHECK(reports[0].event.cause == "caller BYE");
    CHECK_FALSE(reports[0].event.error); // a phone ended it, not the B2BUA
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
    // the B2BUA ended it: its event says why, in the b2bua error category
    auto reports = f.take<b2b::report>(as);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].event.error == b2b::b2bua_errc::no_answer);
    CHECK(reports[0].event.error.category().name() == std::string("tandem.b2bua"));
    CHECK(reports[0].event.error.message() == "no answer");
    CHECK(reports[0].event.cause == "no answer");
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
    CHECK(sent[0].request.count(msg::header_id::contact) == 1); // RFC 3261 8.1.1.8: one Contact
    CHECK(sent[0].request.header(msg::header_id::contact) == "<sip:b2bua@203.0.113.5>");
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

namespace {

// Leg A's view of the dialog, for requests from the caller after the call is up.
msg::message from_a(const std::string& method, int cseq, std::string body = {}) {
    return in_dialog(method, "leg-a-call-id@192.0.2.10", "<sip:alice@atlanta.example.com>;tag=caller1",
                     "<sip:+15551234@b2bua.example.com>;tag=b2btagA", cseq, std::move(body));
}
// Leg B's view, for requests from the callee.
msg::message from_b(const std::string& method, int cseq, std::string body = {}) {
    return in_dialog(method, "leg-b-xyz@203.0.113.5", "<sip:+15551234@198.51.100.20>;tag=callee1",
                     "<sip:alice@atlanta.example.com>;tag=b2btagB", cseq, std::move(body));
}
// The response of the side that received `req` (leg A's caller or leg B's callee).
msg::message answer_to(const msg::message& req, int code, std::string body = {}, std::string tag = {}) {
    auto r = msg::make_response(req, code, {}, tag, "Contact: <sip:peer@192.0.2.99>\r\n");
    REQUIRE(r);
    if (!body.empty()) r->set_body("application/sdp", body);
    return parse(r->serialize());
}

// A policy with every optional hook: retries 503 once elsewhere, shows 603 as 486, refuses
// MESSAGE and unknown methods in dialogs.
struct hooked_policy {
    int retries = 0;
    std::optional<b2b::route_decision> retry(const msg::message&, int status, int attempt) {
        if (status != 503 || attempt != 1) return std::nullopt;
        ++retries;
        b2b::route_decision d;
        d.request_uri = "sip:+15551234@198.51.100.99:5080";
        return d;
    }
    int map_status(int status) { return status == 603 ? 486 : status; }
    bool relay_in_dialog(const msg::message& req, b2b::leg) {
        return req.method() != msg::method_id::message && req.method() != msg::method_id::unknown;
    }
};

} // namespace

TEST_CASE("the 2xx is ACKed on leg B at once when leg A's INVITE had the offer", "[b2bua][call]") {
    fixture f;
    f.start();
    f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 200, "callee1", sdp_b), f.t);
    auto as = f.drain();
    auto acks = f.take<b2b::send_ack>(as);
    REQUIRE(acks.size() == 1);
    CHECK(acks[0].to == leg::b);
    CHECK(acks[0].ack.method() == msg::method_id::ack);
    CHECK(acks[0].ack.cseq()->number == 1);
    CHECK(acks[0].ack.to()->tag() == "callee1");
    CHECK(acks[0].ack.body().empty());

    SECTION("a 2xx retransmitted after leg A's ACK is ACKed again, nothing reaches leg A") {
        f.c.on_ack(leg::a, from_a("ACK", 101), f.t + 100ms);
        CHECK(f.drain().empty());
        f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 200, "callee1", sdp_b), f.t + 500ms);
        as = f.drain();
        CHECK(f.take<b2b::respond>(as).empty());
        auto again = f.take<b2b::send_ack>(as);
        REQUIRE(again.size() == 1);
        CHECK(again[0].ack.serialize() == acks[0].ack.serialize());
        CHECK(f.c.current() == b2b::call<b2b::no_media>::state::confirmed);
    }
    SECTION("a 2xx from a second fork is ACKed and ended with BYE; the call stays up") {
        f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 200, "callee2", sdp_b), f.t + 1s);
        as = f.drain();
        CHECK(f.take<b2b::respond>(as).empty());
        auto fork_acks = f.take<b2b::send_ack>(as);
        REQUIRE(fork_acks.size() == 1);
        CHECK(fork_acks[0].ack.to()->tag() == "callee2");
        auto byes = f.take<b2b::send_request>(as);
        REQUIRE(byes.size() == 1);
        CHECK(byes[0].request.method() == msg::method_id::bye);
        CHECK(byes[0].request.to()->tag() == "callee2");
        CHECK(byes[0].request.call_id() == "leg-b-xyz@203.0.113.5");
        // that fork's 2xx again: ACKed again, no second BYE
        f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 200, "callee2", sdp_b), f.t + 2s);
        as = f.drain();
        CHECK(f.take<b2b::send_ack>(as).size() == 1);
        CHECK(f.take<b2b::send_request>(as).empty());
        f.c.on_response(leg::b, byes[0].ref, response_b(byes[0].request, 200, "callee2"), f.t + 2s);
        CHECK(f.take<b2b::finished>(f.drain()).empty());
        CHECK(f.c.current() == b2b::call<b2b::no_media>::state::confirmed);
        // the winning dialog is untouched: the caller's BYE goes to callee1
        f.c.on_request(leg::a, 8, from_a("BYE", 102), f.t + 3s);
        auto sent = f.take<b2b::send_request>(f.drain());
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].request.to()->tag() == "callee1");
    }
}

TEST_CASE("offer-less INVITE: the offer comes in leg B's 2xx, the answer in leg A's ACK", "[b2bua][call]") {
    b2b::no_media relay;
    b2b::call<b2b::no_media> c{relay,
                               {"leg-a-call-id@192.0.2.10", "b2btagA", "sip:b2bua@203.0.113.5"},
                               {"leg-b-xyz@203.0.113.5", "b2btagB", "sip:b2bua@203.0.113.5"}};
    tandem::transaction::time_point t{};
    auto drain = [&] {
        std::vector<b2b::action> out;
        while (auto a = c.poll()) out.push_back(std::move(*a));
        return out;
    };
    msg::message inv = invite_a();
    inv.set_body({}, {});
    REQUIRE(msg::find_sdp(inv).empty());
    b2b::route_decision d;
    d.request_uri = "sip:+15551234@198.51.100.20:5070";
    c.start(inv, 1, d, t);
    msg::message invite_b;
    std::uint64_t ref = 0;
    for (auto& a : drain())
        if (auto* s = std::get_if<b2b::send_request>(&a)) {
            invite_b = s->request;
            ref = s->ref;
        }
    REQUIRE(ref != 0);
    CHECK(invite_b.body().empty());

    c.on_response(leg::b, ref, response_b(invite_b, 200, "callee1", sdp_b), t);
    auto as = drain();
    bool acked = false;
    const msg::message* ok = nullptr;
    for (auto& a : as) {
        if (std::holds_alternative<b2b::send_ack>(a)) acked = true;
        if (auto* r = std::get_if<b2b::respond>(&a)) ok = &r->response;
    }
    CHECK_FALSE(acked); // leg B waits for the answer
    REQUIRE(ok);
    CHECK(ok->status() == 200);
    CHECK(ok->body() == sdp_b); // the offer, to leg A

    // a retransmitted 2xx while the answer is still missing: nothing yet
    c.on_response(leg::b, ref, response_b(invite_b, 200, "callee1", sdp_b), t + 500ms);
    CHECK(drain().empty());

    // leg A's ACK carries the answer: now leg B's ACK goes out with it
    c.on_ack(leg::a, from_a("ACK", 101, sdp_a), t + 1s);
    as = drain();
    REQUIRE(as.size() == 1);
    auto* ack = std::get_if<b2b::send_ack>(&as[0]);
    REQUIRE(ack);
    CHECK(ack->to == leg::b);
    CHECK(ack->ack.body() == sdp_a);
    CHECK(ack->ack.header(msg::header_id::content_type) == "application/sdp");
    CHECK(ack->ack.to()->tag() == "callee1");
    // and its retransmissions repeat that ACK
    c.on_response(leg::b, ref, response_b(invite_b, 200, "callee1", sdp_b), t + 2s);
    as = drain();
    REQUIRE(as.size() == 1);
    CHECK(std::get<b2b::send_ack>(as[0]).ack.body() == sdp_a);
}

TEST_CASE("offer-less re-INVITE from the callee: answer from leg A's ACK to leg B's", "[b2bua][call]") {
    fixture f;
    f.start();
    f.answer();
    f.c.on_request(leg::b, 40, from_b("INVITE", 2), f.t);
    auto sent = f.take<b2b::send_request>(f.drain());
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].to == leg::a);
    CHECK(sent[0].request.body().empty());
    f.c.on_response(leg::a, sent[0].ref, answer_to(sent[0].request, 200, sdp_a), f.t);
    auto as = f.drain();
    CHECK(f.take<b2b::send_ack>(as).empty());
    auto rs = f.take<b2b::respond>(as);
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].to == leg::b);
    CHECK(rs[0].ref == 40);
    CHECK(rs[0].response.body() == sdp_a);
    f.c.on_ack(leg::b, from_b("ACK", 2, sdp_b), f.t + 1s);
    auto acks = f.take<b2b::send_ack>(f.drain());
    REQUIRE(acks.size() == 1);
    CHECK(acks[0].to == leg::a);
    CHECK(acks[0].ack.body() == sdp_b);
    CHECK(acks[0].ack.call_id() == "leg-a-call-id@192.0.2.10");
    CHECK(acks[0].ack.cseq()->number == 1); // our first request on leg A
}

TEST_CASE("BYE while a re-INVITE is pending: 487 to the re-INVITE, BYE across, the late 2xx ACKed",
          "[b2bua][call]") {
    fixture f;
    f.start();
    f.answer();
    f.c.on_request(leg::a, 50, from_a("INVITE", 102, sdp_a + "a=sendonly\r\n"), f.t);
    auto sent = f.take<b2b::send_request>(f.drain());
    REQUIRE(sent.size() == 1);
    const msg::message reinvite_b = sent[0].request;
    std::uint64_t reinvite_ref = sent[0].ref;

    f.c.on_request(leg::a, 51, from_a("BYE", 103), f.t + 1s);
    auto as = f.drain();
    auto rs = f.take<b2b::respond>(as);
    REQUIRE(rs.size() == 2);
    std::map<std::uint64_t, int> status;
    for (auto& r : rs) status[r.ref] = r.response.status();
    CHECK(status[51] == 200);
    CHECK(status[50] == 487);
    auto byes = f.take<b2b::send_request>(as);
    REQUIRE(byes.size() == 1);
    CHECK(byes[0].to == leg::b);
    CHECK(byes[0].request.method() == msg::method_id::bye);

    // the callee's 200 to the re-INVITE arrives after all: ACKed, nothing to leg A
    f.c.on_response(leg::b, reinvite_ref, response_b(reinvite_b, 200, "callee1", sdp_b), f.t + 1s);
    as = f.drain();
    CHECK(f.take<b2b::respond>(as).empty());
    auto acks = f.take<b2b::send_ack>(as);
    REQUIRE(acks.size() == 1);
    CHECK(acks[0].ack.cseq()->number == reinvite_b.cseq()->number);
    f.c.on_response(leg::b, byes[0].ref, response_b(byes[0].request, 200), f.t + 2s);
    CHECK(f.take<b2b::finished>(f.drain()).size() == 1);
}

TEST_CASE("glare across the B2BUA: a re-INVITE while ours is pending on that leg gets 491", "[b2bua][call]") {
    fixture f;
    f.start();
    f.answer();
    f.c.on_request(leg::a, 60, from_a("INVITE", 102, sdp_a), f.t);
    REQUIRE(f.take<b2b::send_request>(f.drain()).size() == 1);
    f.c.on_request(leg::b, 61, from_b("INVITE", 2, sdp_b), f.t);
    auto as = f.drain();
    auto rs = f.take<b2b::respond>(as);
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].to == leg::b);
    CHECK(rs[0].response.status() == 491);
    CHECK(f.take<b2b::send_request>(as).empty());
}

TEST_CASE("no ACK for our 2xx on leg A: the call ends with BYE on leg B", "[b2bua][call]") {
    fixture f;
    f.start();
    f.answer();
    f.c.on_ack_timeout(leg::a, f.t + 32s);
    auto as = f.drain();
    auto sent = f.take<b2b::send_request>(as);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].to == leg::b);
    CHECK(sent[0].request.method() == msg::method_id::bye);
    f.c.on_response(leg::b, sent[0].ref, response_b(sent[0].request, 200), f.t + 33s);
    CHECK(f.take<b2b::finished>(f.drain()).size() == 1);
}

TEST_CASE("policy hooks: retry elsewhere, status mapping, in-dialog methods refused", "[b2bua][call]") {
    b2b::no_media relay;
    hooked_policy policy;
    b2b::call<b2b::no_media, hooked_policy> c{
        relay,
        {"leg-a-call-id@192.0.2.10", "b2btagA", "sip:b2bua@203.0.113.5"},
        {"leg-b-xyz@203.0.113.5", "b2btagB", "sip:b2bua@203.0.113.5"},
        &policy};
    tandem::transaction::time_point t{};
    auto drain = [&] {
        std::vector<b2b::action> out;
        while (auto a = c.poll()) out.push_back(std::move(*a));
        return out;
    };
    auto sent_of = [](const std::vector<b2b::action>& as) {
        std::vector<b2b::send_request> out;
        for (auto& a : as)
            if (auto* s = std::get_if<b2b::send_request>(&a)) out.push_back(*s);
        return out;
    };
    auto responses_of = [](const std::vector<b2b::action>& as) {
        std::vector<b2b::respond> out;
        for (auto& a : as)
            if (auto* r = std::get_if<b2b::respond>(&a)) out.push_back(*r);
        return out;
    };
    b2b::route_decision d;
    d.request_uri = "sip:+15551234@198.51.100.20:5070";
    c.start(invite_a(), 1, d, t);
    auto first = sent_of(drain());
    REQUIRE(first.size() == 1);

    SECTION("503 is retried at the second target; its 603 reaches leg A as 486 with the Reason") {
        c.on_response(leg::b, first[0].ref, response_b(first[0].request, 503), t);
        auto as = drain();
        CHECK(responses_of(as).empty()); // leg A hears nothing of the first failure
        auto second = sent_of(as);
        REQUIRE(second.size() == 1);
        CHECK(policy.retries == 1);
        CHECK(second[0].request.request_uri_text() == "sip:+15551234@198.51.100.99:5080");
        CHECK(second[0].request.call_id() == first[0].request.call_id());
        CHECK(second[0].request.cseq()->number == 2);
        CHECK(second[0].request.body() == sdp_a);
        c.on_response(leg::b, second[0].ref, response_b(second[0].request, 603), t + 1s);
        auto rs = responses_of(drain());
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].response.status() == 486);
        CHECK(rs[0].response.header("Reason").find("cause=603") != std::string_view::npos);
    }
    SECTION("a 486 is not retried") {
        c.on_response(leg::b, first[0].ref, response_b(first[0].request, 486), t);
        auto rs = responses_of(drain());
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].response.status() == 486);
        CHECK(policy.retries == 0);
    }
    SECTION("in-dialog: MESSAGE refused with 405 and Allow, an unknown method with 501, INFO relayed") {
        c.on_response(leg::b, first[0].ref, response_b(first[0].request, 200, "callee1", sdp_b), t);
        drain();
        c.on_request(leg::a, 70, from_a("MESSAGE", 102), t);
        auto rs = responses_of(drain());
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].response.status() == 405);
        CHECK(rs[0].response.header("Allow").find("INFO") != std::string_view::npos);
        c.on_request(leg::b, 71, from_b("FROBNICATE", 2), t);
        rs = responses_of(drain());
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].response.status() == 501);
        c.on_request(leg::a, 72, from_a("INFO", 103), t);
        CHECK(sent_of(drain()).size() == 1);
    }
}

TEST_CASE("a relayed OPTIONS answer keeps what the far end says, not its path", "[b2bua][call]") {
    fixture f;
    f.start();
    f.answer();
    f.c.on_request(leg::a, 80, from_a("OPTIONS", 102), f.t);
    auto sent = f.take<b2b::send_request>(f.drain());
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].request.count(msg::header_id::contact) == 0);
    auto r = msg::make_response(sent[0].request, 200, {}, {},
                                "Allow: INVITE, ACK, BYE, INFO\r\nAccept: application/sdp\r\n"
                                "Server: callee-box 1.0\r\nVia: SIP/2.0/UDP 10.9.9.9;branch=z9hG4bKx\r\n");
    REQUIRE(r);
    f.c.on_response(leg::b, sent[0].ref, parse(r->serialize()), f.t);
    auto back = f.take<b2b::respond>(f.drain());
    REQUIRE(back.size() == 1);
    CHECK(back[0].response.header("Allow") == "INVITE, ACK, BYE, INFO");
    CHECK(back[0].response.header("Accept") == "application/sdp");
    CHECK(back[0].response.header("Server") == "callee-box 1.0"); // not about the path: it crosses
    CHECK(back[0].response.serialize().find("10.9.9.9") == std::string::npos);
}

TEST_CASE("64*T1 after the last ACK the call keeps only its dialogs; it still ends cleanly",
          "[b2bua][call]") {
    fixture f;
    f.start();
    f.answer();
    REQUIRE(f.c.next_deadline() == f.t + 32s);
    f.c.on_time(f.t + 31s);
    CHECK(f.drain().empty());
    CHECK(f.c.next_deadline() == f.t + 32s);
    f.c.on_time(f.t + 32s);
    CHECK(f.drain().empty());
    CHECK_FALSE(f.c.next_deadline());
    // a re-INVITE still goes across and its ACK starts the clock again
    f.c.on_request(leg::a, 90, from_a("INVITE", 102, sdp_a), f.t + 40s);
    auto sent = f.take<b2b::send_request>(f.drain());
    REQUIRE(sent.size() == 1);
    f.c.on_response(leg::b, sent[0].ref, response_b(sent[0].request, 200, "callee1", sdp_b), f.t + 41s);
    auto as = f.drain();
    CHECK(f.take<b2b::send_ack>(as).size() == 1);
    CHECK(f.take<b2b::respond>(as).at(0).response.body() == sdp_b);
    CHECK(f.c.next_deadline() == f.t + 41s + 32s);
    f.c.on_request(leg::b, 91, from_b("BYE", 5), f.t + 50s);
    auto byes = f.take<b2b::send_request>(f.drain());
    REQUIRE(byes.size() == 1);
    CHECK(byes[0].request.call_id() == "leg-a-call-id@192.0.2.10");
    f.c.on_response(leg::a, byes[0].ref, answer_to(byes[0].request, 200), f.t + 51s);
    auto end = f.drain();
    CHECK(f.take<b2b::finished>(end).size() == 1);
    CHECK_FALSE(f.c.next_deadline());
}

TEST_CASE("the policy answers here: no leg B, BYE ends the call, a re-INVITE gets our SDP again",
          "[b2bua][call]") {
    fixture f;
    const std::string ours =
        "v=0\r\no=b2bua 1 1 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
        "m=audio 7000 RTP/AVP 0\r\n";
    f.c.start(invite_a(), 1, b2b::answer_decision{200, {}, ours}, f.t);
    auto as = f.drain();
    CHECK(f.take<b2b::send_request>(as).empty());
    auto rs = f.take<b2b::respond>(as);
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].response.status() == 200);
    CHECK(rs[0].response.body() == ours);
    CHECK(rs[0].response.to()->tag() == "b2btagA");
    CHECK(f.c.current() == b2b::call<b2b::no_media>::state::confirmed);

    f.c.on_request(leg::a, 2, from_a("INVITE", 102, sdp_a + "a=sendonly\r\n"), f.t + 1s);
    rs = f.take<b2b::respond>(f.drain());
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].ref == 2);
    CHECK(rs[0].response.status() == 200);
    CHECK(rs[0].response.body() == ours);
    f.c.on_request(leg::a, 3, from_a("INFO", 103), f.t + 2s);
    CHECK(f.take<b2b::respond>(f.drain()).at(0).response.status() == 200);

    f.c.on_request(leg::a, 4, from_a("BYE", 104), f.t + 3s);
    as = f.drain();
    CHECK(f.take<b2b::respond>(as).at(0).response.status() == 200);
    CHECK(f.take<b2b::send_request>(as).empty());
    CHECK(f.take<b2b::finished>(as).size() == 1);
}

TEST_CASE("a local answer of 3xx-6xx is a rejection; next_hop becomes leg B's Route", "[b2bua][call]") {
    SECTION("486 here") {
        fixture f;
        f.c.start(invite_a(), 1, b2b::answer_decision{486, {}, {}}, f.t);
        auto as = f.drain();
        CHECK(f.take<b2b::respond>(as).at(0).response.status() == 486);
        CHECK(f.take<b2b::finished>(as).size() == 1);
    }
    SECTION("next hop") {
        fixture f;
        b2b::route_decision d;
        d.request_uri = "sip:+15551234@carrier.example.net";
        d.next_hop = "sip:192.0.2.77:5070;transport=tcp";
        f.c.start(invite_a(), 1, d, f.t);
        auto sent = f.take<b2b::send_request>(f.drain());
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].request.request_uri_text() == "sip:+15551234@carrier.example.net");
        CHECK(sent[0].request.header(msg::header_id::route) == "<sip:192.0.2.77:5070;transport=tcp;lr>");
    }
}

TEST_CASE("a CANCEL of a re-INVITE goes on to the re-INVITE relayed; its 487 comes back", "[b2bua][call]") {
    fixture f;
    f.start();
    f.answer();
    f.c.on_request(leg::a, 95, from_a("INVITE", 102, sdp_a), f.t);
    auto sent = f.take<b2b::send_request>(f.drain());
    REQUIRE(sent.size() == 1);
    f.c.on_cancel(leg::a, 95, f.t + 1s);
    auto cancels = f.take<b2b::cancel_request>(f.drain());
    REQUIRE(cancels.size() == 1);
    CHECK(cancels[0].ref == sent[0].ref);
    f.c.on_cancel(leg::a, 12345, f.t + 1s); // nothing pending under that reference
    CHECK(f.drain().empty());
    f.c.on_response(leg::b, sent[0].ref, response_b(sent[0].request, 487), f.t + 1s);
    auto back = f.take<b2b::respond>(f.drain());
    REQUIRE(back.size() == 1);
    CHECK(back[0].ref == 95);
    CHECK(back[0].response.status() == 487);
    CHECK(f.c.current() == b2b::call<b2b::no_media>::state::confirmed);
}

// ---- session timers (RFC 4028), each leg on its own --------------------------------------------

namespace {
b2b::call_config timed(std::chrono::seconds interval = 600s) {
    b2b::call_config cfg;
    cfg.session_timer.interval = interval;
    return cfg;
}
} // namespace

TEST_CASE("session timers: each leg negotiates with us; we refresh; the 2xx carries leg A's",
          "[b2bua][call][session_timer]") {
    fixture f{timed()};
    f.start();
    CHECK(f.invite_b.header(msg::header_id::session_expires) == "600;refresher=uac");
    CHECK(f.invite_b.header(msg::header_id::min_se) == "90");
    CHECK(f.invite_b.header(msg::header_id::supported) == "timer");
    // the callee takes the default: no Session-Expires in its 2xx, we refresh leg B alone
    auto ok_b = response_b(f.invite_b, 200, "callee1", sdp_b);
    f.c.on_response(leg::b, f.invite_b_ref, ok_b, f.t);
    auto as = f.drain();
    auto rs = f.take<b2b::respond>(as);
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].response.header(msg::header_id::session_expires) == "600;refresher=uas");
    CHECK_FALSE(rs[0].response.has_header(msg::header_id::require));
    f.c.on_time(f.t + 32s); // (64*T1: the INVITE transactions are over)
    CHECK(f.drain().empty());
    REQUIRE(f.c.next_deadline());
    CHECK(*f.c.next_deadline() == f.t + 300s);

    SECTION("half the interval: a re-INVITE on each leg (no UPDATE allowed), with the SDP it had") {
        f.c.on_time(f.t + 300s);
        auto sends = f.take<b2b::send_request>(f.drain());
        REQUIRE(sends.size() == 2);
        for (auto& q : sends) {
            CHECK(q.request.method() == msg::method_id::invite);
            CHECK(q.request.header(msg::header_id::session_expires) == "600;refresher=uac");
            // each leg gets what it had from us: leg A the callee's SDP, leg B the caller's
            CHECK(q.request.body() == (q.to == leg::a ? sdp_b : sdp_a));
        }
        // leg B answers: ACKed, refreshed; nothing reaches leg A
        auto& qb = sends[0].to == leg::b ? sends[0] : sends[1];
        auto& qa = sends[0].to == leg::a ? sends[0] : sends[1];
        f.c.on_response(leg::b, qb.ref, response_b(qb.request, 200, "callee1", sdp_b), f.t + 301s);
        as = f.drain();
        CHECK(f.take<b2b::respond>(as).empty());
        auto acks = f.take<b2b::send_ack>(as);
        REQUIRE(acks.size() == 1);
        CHECK(acks[0].to == leg::b);
        // leg A's caller is gone: its refresh times out and the call ends on both legs
        f.c.on_failure(leg::a, qa.ref, true, f.t + 333s);
        as = f.drain();
        auto byes = f.take<b2b::send_request>(as);
        REQUIRE(byes.size() == 2);
        for (auto& bye : byes) {
            CHECK(bye.request.method() == msg::method_id::bye);
            CHECK(bye.request.header(msg::header_id::reason).find("Session expired") != std::string::npos);
        }
    }
    SECTION("the refresher does not refresh: the session expires, BYE on both legs") {
        // leg A's caller refreshes with a bodiless UPDATE: answered here, not relayed
        auto upd = from_a("UPDATE", 102);
        upd.add_header("Session-Expires", "600;refresher=uac");
        upd.add_header("Supported", "timer");
        f.c.on_request(leg::a, 40, upd, f.t + 100s);
        as = f.drain();
        CHECK(f.take<b2b::send_request>(as).empty());
        rs = f.take<b2b::respond>(as);
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].response.status() == 200);
        CHECK(rs[0].response.header(msg::header_id::session_expires) == "600;refresher=uac");
        CHECK(rs[0].response.header(msg::header_id::require) == "timer");
        // leg B: refreshed by us at 300 s; leg A: the caller refreshes no more and its session
        // ends at 100 + 600 - 32 s
        f.c.on_time(f.t + 300s);
        auto sends = f.take<b2b::send_request>(f.drain());
        REQUIRE(sends.size() == 1);
        CHECK(sends[0].to == leg::b);
        f.c.on_response(leg::b, sends[0].ref, response_b(sends[0].request, 200, "callee1", sdp_b),
                        f.t + 300s);
        f.drain();
        f.c.on_time(f.t + 600s);
        sends = f.take<b2b::send_request>(f.drain());
        REQUIRE(sends.size() == 1);
        f.c.on_response(leg::b, sends[0].ref, response_b(sends[0].request, 200, "callee1", sdp_b),
                        f.t + 600s);
        f.drain();
        f.c.on_time(f.t + 667s);
        CHECK(f.take<b2b::send_request>(f.drain()).empty());
        f.c.on_time(f.t + 668s);
        as = f.drain();
        auto byes = f.take<b2b::send_request>(as);
        REQUIRE(byes.size() == 2);
        auto reports = f.take<b2b::report>(as);
        REQUIRE(reports.size() == 1);
        CHECK(reports[0].event.cause == "session expired");
        for (auto& bye : byes) f.c.on_response(bye.to, bye.ref, answer_to(bye.request, 200), f.t + 669s);
        CHECK(f.take<b2b::finished>(f.drain()).size() == 1);
    }
    SECTION("a relayed re-INVITE carries each leg's own timer; 481 to a refresh ends the call") {
        auto reinv = from_b("INVITE", 1, sdp_b);
        reinv.add_header("Allow", "INVITE, ACK, BYE, UPDATE");
        // (a re-INVITE relayed carries leg A's own Session-Expires, not leg B's)
        reinv.add_header("Session-Expires", "900;refresher=uac");
        reinv.add_header("Supported", "timer");
        f.c.on_request(leg::b, 41, reinv, f.t + 10s);
        auto sends = f.take<b2b::send_request>(f.drain());
        REQUIRE(sends.size() == 1);
        CHECK(sends[0].request.header(msg::header_id::session_expires) == "600;refresher=uac");
        CHECK(sends[0].request.header(msg::header_id::allow) == "INVITE, ACK, BYE, UPDATE");
        f.c.on_response(leg::a, sends[0].ref, answer_to(sends[0].request, 200, sdp_a), f.t + 10s);
        rs = f.take<b2b::respond>(f.drain());
        REQUIRE(rs.size() == 1);
        // lowered to our 600 s; the callee asked to refresh and may
        CHECK(rs[0].response.header(msg::header_id::session_expires) == "600;refresher=uac");
        CHECK(rs[0].response.header(msg::header_id::require) == "timer");
        // leg B now refreshes: we send nothing there, but leg A's refresh uses UPDATE? No: the
        // caller never allowed UPDATE; leg B's 481 to a later request ends the call
        f.c.on_time(f.t + 310s);
        auto refreshes = f.take<b2b::send_request>(f.drain());
        REQUIRE(refreshes.size() == 1);
        CHECK(refreshes[0].to == leg::a);
        f.c.on_response(leg::a, refreshes[0].ref, answer_to(refreshes[0].request, 481), f.t + 311s);
        auto byes = f.take<b2b::send_request>(f.drain());
        REQUIRE(byes.size() == 1); // (leg A's dialog is gone with the 481, RFC 3261 12.2.1.2)
        CHECK(byes[0].to == leg::b);
        CHECK(byes[0].request.method() == msg::method_id::bye);
    }
    SECTION("UPDATE where the peer allows it") {
        fixture g{timed()};
        g.start();
        auto ok = response_b(g.invite_b, 200, "callee1", sdp_b);
        ok.add_header("Allow", "INVITE, ACK, BYE, CANCEL, UPDATE");
        g.c.on_response(leg::b, g.invite_b_ref, ok, g.t);
        g.drain();
        g.c.on_time(g.t + 300s);
        auto sends = g.take<b2b::send_request>(g.drain());
        REQUIRE(sends.size() == 2);
        for (auto& q : sends) {
            CHECK(q.request.method() ==
                  (q.to == leg::b ? msg::method_id::update : msg::method_id::invite)); // leg A: no Allow
            if (q.to == leg::b) CHECK(q.request.body().empty());
        }
    }
    SECTION("a re-INVITE asking for too small an interval gets 422 with our Min-SE") {
        auto reinv = from_a("INVITE", 102, sdp_a);
        reinv.add_header("Session-Expires", "30");
        f.c.on_request(leg::a, 42, reinv, f.t + 10s);
        as = f.drain();
        CHECK(f.take<b2b::send_request>(as).empty());
        rs = f.take<b2b::respond>(as);
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].response.status() == 422);
        CHECK(rs[0].response.header(msg::header_id::min_se) == "90");
    }
}

TEST_CASE("session timers: 422 from leg B sends the INVITE again with its Min-SE",
          "[b2bua][call][session_timer]") {
    fixture f{timed(120s)};
    f.start();
    auto too_small = msg::make_response(f.invite_b, 422, {}, "callee1", "Min-SE: 1800\r\n");
    REQUIRE(too_small);
    f.c.on_response(leg::b, f.invite_b_ref, parse(too_small->serialize()), f.t);
    auto as = f.drain();
    CHECK(f.take<b2b::respond>(as).empty()); // leg A sees nothing of it
    auto sends = f.take<b2b::send_request>(as);
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].request.cseq()->number == 2);
    CHECK(sends[0].request.call_id() == f.invite_b.call_id());
    CHECK(sends[0].request.header(msg::header_id::session_expires) == "1800;refresher=uac");
    CHECK(sends[0].request.body() == sdp_a);
}

TEST_CASE("session timers: leg A's INVITE with too small an interval gets 422",
          "[b2bua][call][session_timer]") {
    fixture f{timed()};
    auto inv = invite_a();
    inv.add_header("Session-Expires", "60");
    b2b::route_decision d;
    d.request_uri = "sip:+15551234@198.51.100.20:5070";
    f.c.start(inv, 1, d, f.t);
    auto as = f.drain();
    CHECK(f.take<b2b::send_request>(as).empty());
    auto rs = f.take<b2b::respond>(as);
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].response.status() == 422);
    CHECK(rs[0].response.header(msg::header_id::min_se) == "90");
    CHECK(f.take<b2b::finished>(as).size() == 1);
}

TEST_CASE("a maximum call duration ends the call with BYE on both legs", "[b2bua][call]") {
    b2b::call_config cfg;
    cfg.max_duration = 3600s;
    fixture f{cfg};
    f.start();
    f.answer();
    f.c.on_time(f.t + 3599s);
    CHECK(f.take<b2b::send_request>(f.drain()).empty());
    f.c.on_time(f.t + 3600s);
    auto byes = f.take<b2b::send_request>(f.drain());
    REQUIRE(byes.size() == 2);
    CHECK(byes[0].request.method() == msg::method_id::bye);
    CHECK(byes[1].request.method() == msg::method_id::bye);
}

// ---- headers across legs --------------------------------------------------------------------

TEST_CASE("in-dialog requests and responses keep their headers, not their path", "[b2bua][call]") {
    fixture f;
    f.start();
    f.answer();
    auto notify = from_b("NOTIFY", 1, {});
    notify.add_header("Event", "refer;id=7");
    notify.add_header("Subscription-State", "active;expires=60");
    notify.add_header("X-Custom", "kept");
    notify.add_header("Record-Route", "<sip:10.7.7.7;lr>");
    notify.add_header("Proxy-Authorization",
                      "Digest username=\"bob\", realm=\"b\", nonce=\"n\", uri=\"sip:x\", "
                      "response=\"00\"");
    notify.add_header("Supported", "100rel, replaces");
    notify.set_body("message/sipfrag", "SIP/2.0 200 OK\r\n");
    f.c.on_request(leg::b, 50, notify, f.t);
    auto sends = f.take<b2b::send_request>(f.drain());
    REQUIRE(sends.size() == 1);
    const msg::message& n = sends[0].request;
    CHECK(n.header(msg::header_id::event) == "refer;id=7");
    CHECK(n.header(msg::header_id::subscription_state) == "active;expires=60");
    CHECK(n.header("X-Custom") == "kept");
    CHECK(n.header(msg::header_id::supported) == "replaces"); // 100rel is per leg
    CHECK(n.header(msg::header_id::content_type) == "message/sipfrag");
    CHECK(n.body() == "SIP/2.0 200 OK\r\n");
    CHECK_FALSE(n.has_header(msg::header_id::proxy_authorization));
    std::string wire = n.serialize();
    for (std::string_view leak : {"10.7.7.7", "192.0.2.99", "198.51.100", "callee1", "leg-b-xyz"})
        CHECK(wire.find(leak) == std::string::npos);
    // its response: Reason and extension headers cross back, Warning and the path do not
    auto r = msg::make_response(n, 489, {}, {},
                                "Reason: SIP ;cause=489\r\nX-Why: no\r\nWarning: 399 10.8.8.8 \"x\"\r\n");
    REQUIRE(r);
    f.c.on_response(leg::a, sends[0].ref, parse(r->serialize()), f.t);
    auto back = f.take<b2b::respond>(f.drain());
    REQUIRE(back.size() == 1);
    CHECK(back[0].response.status() == 489);
    CHECK(back[0].response.header(msg::header_id::reason) == "SIP ;cause=489");
    CHECK(back[0].response.header("X-Why") == "no");
    CHECK_FALSE(back[0].response.has_header(msg::header_id::warning));
}

TEST_CASE("a BYE's Reason crosses to the other leg", "[b2bua][call]") {
    fixture f;
    f.start();
    f.answer();
    auto bye = from_a("BYE", 102);
    bye.add_header("Reason", "Q.850;cause=16;text=\"Normal call clearing\"");
    f.c.on_request(leg::a, 51, bye, f.t);
    auto sends = f.take<b2b::send_request>(f.drain());
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].request.header(msg::header_id::reason) == "Q.850;cause=16;text=\"Normal call clearing\"");
}

namespace {
// A relay that cannot carry answers (no ports left, an SDP it cannot read, ...).
struct failing_relay : b2b::no_media {
    tandem::result<std::string> answer(session&, leg, std::string_view) {
        return tandem::make_error_code(tandem::parse_errc::bad_header_value);
    }
};
} // namespace

TEST_CASE("an SDP the relay cannot rewrite never crosses: 500 on leg A, BYE on leg B", "[b2bua][call]") {
    failing_relay relay;
    b2b::call<failing_relay> c{relay,
                               {"leg-a-call-id@192.0.2.10", "b2btagA", "sip:b2bua@203.0.113.5"},
                               {"leg-b-xyz@203.0.113.5", "b2btagB", "sip:b2bua@203.0.113.5"}};
    tandem::transaction::time_point t{};
    b2b::route_decision d;
    d.request_uri = "sip:+15551234@198.51.100.20:5070";
    c.start(invite_a(), 1, d, t);
    std::vector<b2b::action> as;
    while (auto a = c.poll()) as.push_back(std::move(*a));
    msg::message inv;
    std::uint64_t ref = 0;
    for (auto& a : as)
        if (auto* q = std::get_if<b2b::send_request>(&a)) {
            inv = q->request;
            ref = q->ref;
        }
    c.on_response(leg::b, ref, response_b(inv, 183, "callee1", sdp_b), t);
    c.on_response(leg::b, ref, response_b(inv, 200, "callee1", sdp_b), t);
    as.clear();
    while (auto a = c.poll()) as.push_back(std::move(*a));
    bool bye_b = false, ack_b = false;
    std::vector<int> statuses;
    for (auto& a : as) {
        if (auto* r = std::get_if<b2b::respond>(&a)) {
            statuses.push_back(r->response.status());
            CHECK(r->response.body().empty()); // the callee's SDP never reaches leg A
            CHECK(r->response.serialize().find("198.51.100.20") == std::string::npos);
        }
        if (auto* q = std::get_if<b2b::send_request>(&a))
            bye_b = bye_b || (q->to == leg::b && q->request.method() == msg::method_id::bye);
        if (auto* k = std::get_if<b2b::send_ack>(&a)) ack_b = ack_b || k->to == leg::b;
    }
    CHECK(statuses == std::vector<int>{183, 500});
    CHECK(ack_b);
    CHECK(bye_b);
}

namespace {
// A relay that refuses every offer, as the trenscrypter refuses media it cannot secure.
struct refusing_relay : b2b::no_media {
    tandem::result<std::string> offer(session&, leg, std::string_view) {
        return tandem::make_error_code(tandem::media_errc::answer_mismatch);
    }
};
} // namespace

TEST_CASE("an offer the relay refuses gets 488 with a Warning saying why; no leg B", "[b2bua][call]") {
    refusing_relay relay;
    b2b::call<refusing_relay> c{relay,
                                {"leg-a-call-id@192.0.2.10", "b2btagA", "sip:b2bua@203.0.113.5"},
                                {"leg-b-xyz@203.0.113.5", "b2btagB", "sip:b2bua@203.0.113.5"}};
    b2b::route_decision d;
    d.request_uri = "sip:+15551234@198.51.100.20:5070";
    c.start(invite_a(), 1, d, tandem::transaction::time_point{});
    std::vector<int> statuses;
    bool leg_b = false;
    while (auto a = c.poll()) {
        if (auto* r = std::get_if<b2b::respond>(&*a)) {
            statuses.push_back(r->response.status());
            if (r->response.status() == 488)
                CHECK(r->response.header(msg::header_id::warning) ==
                      "399 tandem \"the answer does not match the offer\"");
        }
        if (auto* q = std::get_if<b2b::send_request>(&*a)) leg_b = leg_b || q->to == leg::b;
    }
    CHECK(statuses == std::vector<int>{100, 488});
    CHECK_FALSE(leg_b);
}

namespace {
// A relay whose media dies 30 s after the answer, that says what it was told at open().
struct dying_relay : b2b::no_media {
    std::string options_seen, transport_a, transport_b;
    std::optional<tandem::transaction::time_point> first_check;
    tandem::result<session> open(const b2b::media_context& ctx) {
        if (ctx.options)
            if (const auto* o = std::any_cast<std::string>(ctx.options)) options_seen = *o;
        transport_a = std::string(ctx.transport_a);
        transport_b = std::string(ctx.transport_b);
        return session{};
    }
    b2b::media_status check(session&, tandem::transaction::time_point now) {
        if (!first_check) first_check = now;
        if (now - *first_check >= 30s) return {b2b::b2bua_errc::media_timeout, std::nullopt};
        return {{}, *first_check + 30s};
    }
    b2b::media_stats stats(const session&) const {
        b2b::media_stats s;
        s.legs[0].packets = 1500;
        s.legs[1].dropped = 7;
        return s;
    }
};
} // namespace

TEST_CASE("the relay's media timeout ends the call with BYE on both legs; its figures reach the CDR",
          "[b2bua][call][media]") {
    dying_relay relay;
    b2b::call<dying_relay> c{relay,
                             {"leg-a-call-id@192.0.2.10", "b2btagA", "sip:b2bua@203.0.113.5"},
                             {"leg-b-xyz@203.0.113.5", "b2btagB", "sip:b2bua@203.0.113.5"}};
    tandem::transaction::time_point t{};
    b2b::route_decision d;
    d.request_uri = "sip:+15551234@198.51.100.20:5070;transport=tcp";
    d.media = std::string("srtp please");
    c.start(invite_a(), 1, d, t);
    CHECK(relay.options_seen == "srtp please"); // the policy's media choice reaches the relay
    CHECK(relay.transport_a == "UDP");
    CHECK(relay.transport_b == "tcp");
    std::vector<b2b::action> as;
    auto drain = [&] {
        as.clear();
        while (auto a = c.poll()) as.push_back(std::move(*a));
    };
    drain();
    msg::message inv;
    std::uint64_t ref = 0;
    for (auto& a : as)
        if (auto* q = std::get_if<b2b::send_request>(&a)) {
            inv = q->request;
            ref = q->ref;
        }
    c.on_response(leg::b, ref, response_b(inv, 200, "callee1", sdp_b), t);
    drain();
    REQUIRE(c.current() == b2b::call<dying_relay>::state::confirmed);
    // the relay is asked once answered, then when it says
    REQUIRE(relay.first_check == t);
    REQUIRE(c.next_deadline());
    auto due = *c.next_deadline();
    CHECK(due == t + 30s);
    c.on_time(t + 29s); // early: nothing happens
    drain();
    CHECK(as.empty());
    c.on_time(due);
    drain();
    std::vector<leg> byes;
    std::vector<b2b::call_event> ended;
    for (auto& a : as)
        if (auto* r = std::get_if<b2b::report>(&a); r && r->event.what == b2b::call_event::kind::ended)
            ended.push_back(r->event);
    for (auto& a : as)
        if (auto* q = std::get_if<b2b::send_request>(&a); q && q->request.method() == msg::method_id::bye) {
            byes.push_back(q->to);
            CHECK(q->request.header(msg::header_id::reason) == "SIP ;cause=408 ;text=\"media timeout\"");
        }
    CHECK(byes == std::vector<leg>{leg::a, leg::b});
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].error == b2b::b2bua_errc::media_timeout);
    CHECK(ended[0].cause == "media timeout");
    CHECK(ended[0].media.legs[0].packets == 1500);
    CHECK(ended[0].media.legs[1].dropped == 7);
}

// ---- policies: hooks checked at compile time, exceptions contained ------------------------------

namespace {
struct typo_policy { // map_status taking a string: not a hook, and not to be ignored in silence
    b2b::decision route(const msg::message&) { return b2b::reject_decision{}; }
    int map_status(std::string) { return 0; }
};
struct event_policy {
    b2b::decision route(const msg::message&) { return b2b::reject_decision{}; }
    void on_event(const b2b::call_event&) {}
    const b2b::header_rules* header_rules_for(b2b::leg) { return nullptr; }
};
struct bad_rules_policy {
    b2b::decision route(const msg::message&) { return b2b::reject_decision{}; }
    std::string header_rules_for(b2b::leg) { return {}; }
};
static_assert(b2b::well_formed_hooks<b2b::no_policy_hooks>);
static_assert(b2b::well_formed_hooks<event_policy>);
static_assert(!b2b::well_formed_hooks<typo_policy>);
static_assert(!b2b::well_formed_hooks<bad_rules_policy>);

struct throwing_policy {
    b2b::decision route(const msg::message&) { throw std::runtime_error("database down"); }
    int map_status(int) { throw std::runtime_error("bug"); }
    std::optional<b2b::route_decision> retry(const msg::message&, int, int) {
        throw std::runtime_error("bug");
    }
    bool relay_in_dialog(const msg::message&, b2b::leg) { throw std::runtime_error("bug"); }
};
} // namespace

TEST_CASE("a policy that throws fails its call only, with a response", "[b2bua][call]") {
    throwing_policy p;
    auto d = b2b::route_call(p, invite_a());
    auto* r = std::get_if<b2b::reject_decision>(&d);
    REQUIRE(r);
    CHECK(r->status == 500);

    b2b::no_media relay;
    b2b::call<b2b::no_media, throwing_policy> c{
        relay,
        {"leg-a-call-id@192.0.2.10", "b2btagA", "sip:b2bua@203.0.113.5"},
        {"leg-b-xyz@203.0.113.5", "b2btagB", "sip:b2bua@203.0.113.5"},
        &p};
    tandem::transaction::time_point t{};
    b2b::route_decision route;
    route.request_uri = "sip:+15551234@198.51.100.20:5070";
    c.start(invite_a(), 1, route, t);
    msg::message inv;
    std::uint64_t ref = 0;
    while (auto a = c.poll())
        if (auto* q = std::get_if<b2b::send_request>(&*a)) {
            inv = q->request;
            ref = q->ref;
        }
    // retry and map_status throw: the 603 reaches leg A as it is
    c.on_response(leg::b, ref, response_b(inv, 603), t);
    std::vector<int> statuses;
    bool finished = false;
    while (auto a = c.poll()) {
        if (auto* q = std::get_if<b2b::respond>(&*a)) statuses.push_back(q->response.status());
        finished = finished || std::holds_alternative<b2b::finished>(*a);
    }
    CHECK(statuses == std::vector<int>{603});
    CHECK(finished);
}

// ---- reliable provisional responses (RFC 3262) and early UPDATE (RFC 3311) --------------------

namespace {
msg::message invite_a_with(const std::string& name, const std::string& value) {
    auto inv = invite_a();
    inv.add_header(name, value);
    return parse(inv.serialize());
}
msg::message reliable_b(const msg::message& invite_b, int code, std::uint32_t rseq, std::string body = {}) {
    auto r = response_b(invite_b, code, "callee1", std::move(body));
    r.add_header("Require", "100rel");
    r.add_header("RSeq", std::to_string(rseq));
    return parse(r.serialize());
}
} // namespace

TEST_CASE("100rel across legs: leg B's reliable 183 reaches leg A reliably, PRACK relayed",
          "[b2bua][call][prack]") {
    fixture f;
    f.start_with(invite_a_with("Supported", "100rel, timer"));
    CHECK(f.invite_b.header(msg::header_id::supported).find("100rel") != std::string::npos);

    f.c.on_response(leg::b, f.invite_b_ref, reliable_b(f.invite_b, 183, 7, sdp_b), f.t);
    auto rs = f.take<b2b::respond>(f.drain());
    REQUIRE(rs.size() == 1);
    const msg::message& p183 = rs[0].response;
    CHECK(p183.status() == 183);
    CHECK(p183.header(msg::header_id::require) == "100rel");
    CHECK(p183.header(msg::header_id::rseq) == "1"); // numbered on leg A's own
    CHECK(p183.body() == sdp_b);
    // leg B retransmits it (our PRACK is on its way): nothing new for leg A
    f.c.on_response(leg::b, f.invite_b_ref, reliable_b(f.invite_b, 183, 7, sdp_b), f.t + 100ms);
    CHECK(f.take<b2b::respond>(f.drain()).empty());
    // leg A's PRACK has not come yet: ours goes again at T1
    f.c.on_time(f.t + 500ms);
    rs = f.take<b2b::respond>(f.drain());
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].response.header(msg::header_id::rseq) == "1");
    // leg A PRACKs: relayed to leg B with leg B's own RAck
    auto prack = from_a("PRACK", 102);
    prack.add_header("RAck", "1 101 INVITE");
    f.c.on_request(leg::a, 60, prack, f.t + 600ms);
    auto sends = f.take<b2b::send_request>(f.drain());
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].to == leg::b);
    CHECK(sends[0].request.method() == msg::method_id::prack);
    CHECK(sends[0].request.header(msg::header_id::rack) == "7 1 INVITE");
    CHECK(sends[0].request.to()->tag() == "callee1");
    CHECK(sends[0].request.call_id() == "leg-b-xyz@203.0.113.5");
    // no more retransmissions toward leg A
    f.c.on_time(f.t + 1500ms);
    CHECK(f.take<b2b::respond>(f.drain()).empty());
    // leg B's 200 to the PRACK answers leg A's
    f.c.on_response(leg::b, sends[0].ref, answer_to(sends[0].request, 200), f.t + 700ms);
    rs = f.take<b2b::respond>(f.drain());
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].ref == 60);
    CHECK(rs[0].response.status() == 200);
    CHECK(rs[0].response.cseq()->method == msg::method_id::prack);
    // then the 200 to the INVITE: the call is up
    f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 200, "callee1", sdp_b), f.t + 2s);
    rs = f.take<b2b::respond>(f.drain());
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].response.status() == 200);
    CHECK(f.c.current() == b2b::call<b2b::no_media>::state::confirmed);
    // a PRACK that names nothing: 481
    auto stray = from_a("PRACK", 103);
    stray.add_header("RAck", "9 101 INVITE");
    f.c.on_request(leg::a, 61, stray, f.t + 3s);
    rs = f.take<b2b::respond>(f.drain());
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].response.status() == 481);
}

TEST_CASE("100rel: a caller without it gets a plain 183; we PRACK leg B here", "[b2bua][call][prack]") {
    fixture f;
    f.start();
    CHECK(f.invite_b.header(msg::header_id::supported).find("100rel") == std::string::npos);
    f.c.on_response(leg::b, f.invite_b_ref, reliable_b(f.invite_b, 183, 3, sdp_b), f.t);
    auto as = f.drain();
    auto rs = f.take<b2b::respond>(as);
    REQUIRE(rs.size() == 1);
    CHECK_FALSE(rs[0].response.has_header(msg::header_id::rseq));
    CHECK(rs[0].response.header(msg::header_id::require).empty());
    auto sends = f.take<b2b::send_request>(as);
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].request.method() == msg::method_id::prack);
    CHECK(sends[0].request.header(msg::header_id::rack) == "3 1 INVITE");
    // its 200 is ours: nothing reaches leg A
    f.c.on_response(leg::b, sends[0].ref, answer_to(sends[0].request, 200), f.t);
    CHECK(f.take<b2b::respond>(f.drain()).empty());
    // the call goes on; the BYE after the PRACK takes the next CSeq on leg B
    f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 200, "callee1", sdp_b), f.t + 1s);
    f.drain();
    f.c.on_request(leg::a, 62, from_a("BYE", 102), f.t + 2s);
    sends = f.take<b2b::send_request>(f.drain());
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].request.cseq()->number == 3);
}

TEST_CASE("100rel: a caller that requires it gets every 18x reliably; its PRACK answered here",
          "[b2bua][call][prack]") {
    fixture f;
    f.start_with(invite_a_with("Require", "100rel"));
    f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 180), f.t);
    f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 183, "callee1", sdp_b), f.t);
    auto rs = f.take<b2b::respond>(f.drain());
    REQUIRE(rs.size() == 1); // the 183 waits for the PRACK of the 180 (RFC 3262 3)
    CHECK(rs[0].response.status() == 180);
    CHECK(rs[0].response.header(msg::header_id::rseq) == "1");
    auto prack = from_a("PRACK", 102);
    prack.add_header("RAck", "1 101 INVITE");
    f.c.on_request(leg::a, 63, prack, f.t + 100ms);
    auto as = f.drain();
    CHECK(f.take<b2b::send_request>(as).empty()); // leg B's 180 was not reliable: ours to answer
    rs = f.take<b2b::respond>(as);
    REQUIRE(rs.size() == 2);
    auto& ok = rs[0].response.status() == 200 ? rs[0] : rs[1];
    auto& held = rs[0].response.status() == 200 ? rs[1] : rs[0];
    CHECK(ok.ref == 63);
    CHECK(ok.response.cseq()->method == msg::method_id::prack);
    CHECK(held.response.status() == 183); // the one held back
    CHECK(held.response.header(msg::header_id::rseq) == "2");
    CHECK(held.response.body() == sdp_b);
    CHECK(held.response.count(msg::header_id::contact) == 1);
}

TEST_CASE("100rel: no PRACK from leg A within 64*T1: 504 there, CANCEL on leg B", "[b2bua][call][prack]") {
    fixture f;
    f.start_with(invite_a_with("Require", "100rel"));
    f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 180), f.t);
    f.drain();
    int retransmissions = 0;
    for (auto t = f.t + 500ms; t < f.t + 32s; t += 500ms) {
        f.c.on_time(t);
        retransmissions += static_cast<int>(f.take<b2b::respond>(f.drain()).size());
    }
    CHECK(retransmissions == 6); // at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s
    f.c.on_time(f.t + 32s);
    auto as = f.drain();
    auto rs = f.take<b2b::respond>(as);
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].response.status() == 504);
    CHECK(f.take<b2b::cancel_request>(as).size() == 1);
}

TEST_CASE("UPDATE in the early dialog, with SDP, crosses both ways", "[b2bua][call][update]") {
    fixture f;
    f.start();
    f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 183, "callee1", sdp_b), f.t);
    f.drain();
    // the callee changes the early media
    std::string sdp_b2 = sdp_b;
    sdp_b2.replace(sdp_b2.find("o=b 1 1"), 7, "o=b 1 2");
    auto update = from_b("UPDATE", 2, sdp_b2);
    f.c.on_request(leg::b, 70, update, f.t + 1s);
    auto sends = f.take<b2b::send_request>(f.drain());
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].to == leg::a);
    CHECK(sends[0].request.method() == msg::method_id::update);
    CHECK(sends[0].request.to()->tag() == "caller1");
    CHECK(sends[0].request.from()->tag() == "b2btagA");
    CHECK(sends[0].request.body() == sdp_b2);
    f.c.on_response(leg::a, sends[0].ref, answer_to(sends[0].request, 200, sdp_a), f.t + 1s);
    auto rs = f.take<b2b::respond>(f.drain());
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].ref == 70);
    CHECK(rs[0].response.status() == 200);
    CHECK(rs[0].response.body() == sdp_a);
    // and from the caller toward the callee's early dialog
    auto update_a = from_a("UPDATE", 102, sdp_a);
    f.c.on_request(leg::a, 71, update_a, f.t + 2s);
    sends = f.take<b2b::send_request>(f.drain());
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].to == leg::b);
    CHECK(sends[0].request.to()->tag() == "callee1");
    CHECK(sends[0].request.call_id() == "leg-b-xyz@203.0.113.5");
}

// ---- orderings: UPDATE crossing a re-INVITE, REFER beside a re-INVITE, BYE during a transfer ----

TEST_CASE("an UPDATE with an offer crossing our relayed re-INVITE's offer gets 491 (RFC 3311 5.2)",
          "[b2bua][call][update]") {
    fixture f;
    f.start();
    f.answer();
    f.c.on_request(leg::a, 80, from_a("INVITE", 102, sdp_a), f.t + 1s);
    auto sends = f.take<b2b::send_request>(f.drain());
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].to == leg::b);
    // the callee's UPDATE offer crosses ours on leg B
    f.c.on_request(leg::b, 81, from_b("UPDATE", 2, sdp_b), f.t + 1s);
    auto as = f.drain();
    CHECK(f.take<b2b::send_request>(as).empty());
    auto rs = f.take<b2b::respond>(as);
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].to == leg::b);
    CHECK(rs[0].response.status() == 491);
    // the re-INVITE completes as usual
    f.c.on_response(leg::b, sends[0].ref, response_b(sends[0].request, 200, "callee1", sdp_b), f.t + 2s);
    rs = f.take<b2b::respond>(f.drain());
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].ref == 80);
    CHECK(rs[0].response.status() == 200);
}

TEST_CASE("REFER is relayed with its NOTIFYs, also while a re-INVITE is pending (RFC 3515)",
          "[b2bua][call][refer]") {
    fixture f;
    f.start();
    f.answer();
    f.c.on_request(leg::a, 90, from_a("INVITE", 102, sdp_a), f.t + 1s);
    auto reinvite = f.take<b2b::send_request>(f.drain());
    REQUIRE(reinvite.size() == 1);
    auto refer = from_a("REFER", 103);
    refer.add_header("Refer-To", "<sip:carol@carol.example.com>");
    refer.add_header("Referred-By", "<sip:alice@atlanta.example.com>");
    f.c.on_request(leg::a, 91, refer, f.t + 1s);
    auto sends = f.take<b2b::send_request>(f.drain());
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].request.method() == msg::method_id::refer);
    CHECK(sends[0].request.header(msg::header_id::refer_to) == "<sip:carol@carol.example.com>");
    CHECK(sends[0].request.header(msg::header_id::referred_by) == "<sip:alice@atlanta.example.com>");
    f.c.on_response(leg::b, sends[0].ref, response_b(sends[0].request, 202), f.t + 1s);
    auto rs = f.take<b2b::respond>(f.drain());
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].ref == 91);
    CHECK(rs[0].response.status() == 202);
    // the transferee's NOTIFY (sipfrag) goes back to the transferor
    auto notify = from_b("NOTIFY", 2);
    notify.add_header("Event", "refer");
    notify.add_header("Subscription-State", "active;expires=60");
    notify.set_body("message/sipfrag;version=2.0", "SIP/2.0 100 Trying\r\n");
    f.c.on_request(leg::b, 92, notify, f.t + 2s);
    sends = f.take<b2b::send_request>(f.drain());
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].to == leg::a);
    CHECK(sends[0].request.method() == msg::method_id::notify);
    CHECK(sends[0].request.header(msg::header_id::event) == "refer");
    CHECK(sends[0].request.header(msg::header_id::content_type) == "message/sipfrag;version=2.0");
    CHECK(sends[0].request.body() == "SIP/2.0 100 Trying\r\n");

    SECTION("BYE during the transfer: what is pending gets 487, BYE across") {
        f.c.on_request(leg::a, 93, from_a("BYE", 104), f.t + 3s);
        auto as = f.drain();
        rs = f.take<b2b::respond>(as);
        // the re-INVITE still pending on leg B gets 487 toward leg A; the NOTIFY relayed to
        // leg A (pending there) gets 487 toward leg B; the BYE 200
        std::vector<int> statuses;
        for (auto& r : rs) statuses.push_back(r.response.status());
        std::sort(statuses.begin(), statuses.end());
        CHECK(statuses == std::vector<int>{200, 487, 487});
        auto byes = f.take<b2b::send_request>(as);
        REQUIRE(byes.size() == 1);
        CHECK(byes[0].to == leg::b);
        CHECK(byes[0].request.method() == msg::method_id::bye);
        // the late 200 of the re-INVITE is still ACKed
        f.c.on_response(leg::b, reinvite[0].ref, response_b(reinvite[0].request, 200, "callee1", sdp_b),
                        f.t + 4s);
        CHECK(f.take<b2b::send_ack>(f.drain()).size() == 1);
    }
}

TEST_CASE("session timers: a refresh that meets glare (491) goes again after RFC 3261 14.1's wait",
          "[b2bua][call][session_timer]") {
    fixture f{timed()};
    f.start();
    f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 200, "callee1", sdp_b), f.t);
    f.drain();
    f.c.on_time(f.t + 32s);
    f.drain();
    f.c.on_time(f.t + 300s);
    auto sends = f.take<b2b::send_request>(f.drain());
    REQUIRE(sends.size() == 2);
    auto& qb = sends[0].to == leg::b ? sends[0] : sends[1];
    f.c.on_response(leg::b, qb.ref, response_b(qb.request, 491, "callee1"), f.t + 300s);
    CHECK(f.take<b2b::send_request>(f.drain()).empty());
    auto d = f.c.next_deadline();
    REQUIRE(d);
    // we placed leg B, so we own its Call-ID: 2.1 to 4 s
    CHECK(*d >= f.t + 300s + 2100ms);
    CHECK(*d <= f.t + 300s + 4000ms);
    f.c.on_time(*d);
    auto again = f.take<b2b::send_request>(f.drain());
    REQUIRE(again.size() == 1);
    CHECK(again[0].to == leg::b);
    CHECK(again[0].request.method() == msg::method_id::invite);
    CHECK(again[0].request.cseq()->number == qb.request.cseq()->number + 1);
}

TEST_CASE("session timers relayed: the phones negotiate end to end, we only watch",
          "[b2bua][call][session_timer]") {
    b2b::call_config cfg;
    cfg.timer_mode = b2b::session_timers::relay;
    cfg.session_timer.interval = 1800s; // (not ours to use in relay mode)
    fixture f{cfg};
    b2b::route_decision d;
    d.request_uri = "sip:+15551234@198.51.100.20:5070";
    auto inv = invite_a();
    inv.add_header("Supported", "timer");
    inv.add_header("Session-Expires", "120;refresher=uac");
    f.c.start(parse(inv.serialize()), 1, d, f.t);
    auto sends = f.take<b2b::send_request>(f.drain());
    REQUIRE(sends.size() == 1);
    f.invite_b = sends[0].request;
    f.invite_b_ref = sends[0].ref;
    CHECK(f.invite_b.header(msg::header_id::session_expires) == "120;refresher=uac");
    CHECK(f.invite_b.header(msg::header_id::supported) == "timer");
    auto ok = response_b(f.invite_b, 200, "callee1", sdp_b);
    ok.add_header("Require", "timer");
    ok.add_header("Session-Expires", "120;refresher=uac");
    f.c.on_response(leg::b, f.invite_b_ref, parse(ok.serialize()), f.t);
    auto rs = f.take<b2b::respond>(f.drain());
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].response.header(msg::header_id::session_expires) == "120;refresher=uac");
    CHECK(rs[0].response.header(msg::header_id::require) == "timer");
    // the caller refreshes at 60 s with a re-INVITE: relayed, its 2xx restarts the watch
    auto reinv = from_a("INVITE", 102, sdp_a);
    reinv.add_header("Session-Expires", "120;refresher=uac");
    f.c.on_request(leg::a, 95, reinv, f.t + 60s);
    sends = f.take<b2b::send_request>(f.drain());
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].request.header(msg::header_id::session_expires) == "120;refresher=uac");
    auto ok2 = response_b(sends[0].request, 200, "callee1", sdp_b);
    ok2.add_header("Session-Expires", "120;refresher=uac");
    f.c.on_response(leg::b, sends[0].ref, parse(ok2.serialize()), f.t + 60s);
    f.drain();
    // no refresh after that: the call ends 120 - 32 s later, on both legs, by us
    f.c.on_time(f.t + 60s + 87s);
    CHECK(f.take<b2b::send_request>(f.drain()).empty());
    f.c.on_time(f.t + 60s + 88s);
    auto byes = f.take<b2b::send_request>(f.drain());
    REQUIRE(byes.size() == 2);
    CHECK(byes[0].request.method() == msg::method_id::bye);
    CHECK(byes[1].request.method() == msg::method_id::bye);
}

TEST_CASE("a BYE from the caller in the early dialog: 200, 487 to its INVITE, CANCEL on leg B",
          "[b2bua][call]") {
    fixture f;
    f.start();
    f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 180), f.t);
    f.drain();
    f.c.on_request(leg::a, 96, from_a("BYE", 102), f.t + 1s);
    auto as = f.drain();
    std::vector<int> statuses;
    for (auto& r : f.take<b2b::respond>(as)) statuses.push_back(r.response.status());
    std::sort(statuses.begin(), statuses.end());
    CHECK(statuses == std::vector<int>{200, 487});
    CHECK(f.take<b2b::cancel_request>(as).size() == 1);
    // leg B's 487 ends the call
    f.c.on_response(leg::b, f.invite_b_ref, response_b(f.invite_b, 487), f.t + 2s);
    CHECK(f.take<b2b::finished>(f.drain()).size() == 1);
}

// ---- transfers handled here (transfers::local: RFC 3515 with RFC 3725 flow I) ----

namespace {

const std::string sdp_c = "v=0\r\no=c 1 1 IN IP4 192.0.2.77\r\ns=-\r\nc=IN IP4 192.0.2.77\r\nt=0 0\r\n"
                          "m=audio 6000 RTP/AVP 0\r\n";

b2b::call_config local_transfers() {
    b2b::call_config cfg;
    cfg.transfer_mode = b2b::transfers::local;
    return cfg;
}

// The callee (leg B) REFERs the call to `refer_to`.
msg::message refer_from_b(int cseq, const std::string& refer_to) {
    auto refer = from_b("REFER", cseq);
    refer.add_header("Refer-To", refer_to);
    return refer;
}

// The transfer target's view of leg C, for its requests.
msg::message from_c(const msg::message& invite_c, const std::string& method, int cseq) {
    return in_dialog(method, std::string(invite_c.call_id()), "<sip:carol@192.0.2.77>;tag=carol1",
                     std::string(invite_c.header(msg::header_id::from)), cseq);
}

// Leg B REFERs to Carol: returns leg C's INVITE after checking the 202 and the first NOTIFY.
b2b::send_request transfer_started(fixture& f, const std::string& refer_to = "<sip:carol@192.0.2.77:5080>") {
    f.c.on_request(leg::b, 60, refer_from_b(2, refer_to), f.t + 1s);
    auto as = f.drain();
    auto rs = f.take<b2b::respond>(as);
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].to == leg::b);
    CHECK(rs[0].response.status() == 202);
    auto sends = f.take<b2b::send_request>(as);
    REQUIRE(sends.size() == 2);
    CHECK(sends[0].to == leg::b);
    CHECK(sends[0].request.method() == msg::method_id::notify);
    CHECK(sends[0].request.header(msg::header_id::event) == "refer;id=2");
    CHECK(sends[0].request.header(msg::header_id::subscription_state) == "active;expires=60");
    CHECK(sends[0].request.header(msg::header_id::content_type) == "message/sipfrag;version=2.0");
    CHECK(sends[0].request.body() == "SIP/2.0 100 Trying\r\n");
    CHECK(sends[1].to == leg::c);
    CHECK(sends[1].request.method() == msg::method_id::invite);
    return sends[1];
}

} // namespace

TEST_CASE("a blind transfer handled here: leg C to the target, its offer to the leg that stays, NOTIFY "
          "sipfrag to the transferor",
          "[b2bua][call][refer]") {
    fixture f{local_transfers()};
    f.start();
    f.answer();
    auto inv_c = transfer_started(f);
    const auto& inv = inv_c.request;
    // leg C: a new dialog to the Refer-To target, offer-less, from the caller (user kept, our
    // host), nothing of leg A's or leg B's path
    CHECK(inv.request_uri_text() == "sip:carol@192.0.2.77:5080");
    CHECK(inv.body().empty());
    CHECK(inv.call_id() != "leg-a-call-id@192.0.2.10");
    CHECK(inv.call_id() != "leg-b-xyz@203.0.113.5");
    CHECK(inv.from()->uri_text == "sip:alice@203.0.113.5");
    CHECK(inv.to()->uri_text == "sip:carol@192.0.2.77:5080");
    std::string wire = inv.serialize();
    CHECK(wire.find("192.0.2.10") == std::string::npos);
    CHECK(wire.find("198.51.100") == std::string::npos);
    CHECK(wire.find("atlanta") == std::string::npos);
    CHECK_FALSE(inv.has_header(msg::header_id::referred_by));

    // ringing: the transferor hears 180
    f.c.on_response(leg::c, inv_c.ref, response_b(inv, 180, "carol1"), f.t + 2s);
    auto sends = f.take<b2b::send_request>(f.drain());
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].to == leg::b);
    CHECK(sends[0].request.body() == "SIP/2.0 180 Ringing\r\n");

    // the target answers with its offer: it goes to the caller in a re-INVITE
    f.c.on_response(leg::c, inv_c.ref, response_b(inv, 200, "carol1", sdp_c), f.t + 3s);
    auto as = f.drain();
    CHECK(f.take<b2b::send_ack>(as).empty()); // the ACK waits for the caller's answer
    sends = f.take<b2b::send_request>(as);
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].to == leg::a);
    CHECK(sends[0].request.method() == msg::method_id::invite);
    CHECK(sends[0].request.body() == sdp_c);

    SECTION("the caller answers: leg C gets it in the ACK; the transferor hears 200; A and C are bridged") {
        f.c.on_response(leg::a, sends[0].ref, answer_to(sends[0].request, 200, sdp_a, "caller1"), f.t + 4s);
        as = f.drain();
        auto acks = f.take<b2b::send_ack>(as);
        REQUIRE(acks.size() == 2); // the caller's 2xx (by its session) and leg C's with the answer
        auto to_c = std::find_if(acks.begin(), acks.end(), [](auto& a) { return a.to == leg::c; });
        REQUIRE(to_c != acks.end());
        CHECK(to_c->ack.body() == sdp_a);
        auto notify = f.take<b2b::send_request>(as);
        REQUIRE(notify.size() == 1);
        CHECK(notify[0].to == leg::b);
        CHECK(notify[0].request.header(msg::header_id::subscription_state) == "terminated;reason=noresource");
        CHECK(notify[0].request.body() == "SIP/2.0 200 OK\r\n");
        auto reports = f.take<b2b::report>(as);
        REQUIRE(reports.size() == 1);
        CHECK(reports[0].event.what == b2b::call_event::kind::transferred);

        // the transferor hangs up: only its leg ends
        f.c.on_request(leg::b, 61, from_b("BYE", 3), f.t + 5s);
        as = f.drain();
        CHECK(f.take<b2b::send_request>(as).empty());
        REQUIRE(f.take<b2b::respond>(as).size() == 1);
        CHECK(f.c.current() == b2b::call<b2b::no_media>::state::confirmed);

        // the caller and the target now talk through us: INFO crosses to leg C, and back
        f.c.on_request(leg::a, 62, from_a("INFO", 103), f.t + 6s);
        sends = f.take<b2b::send_request>(f.drain());
        REQUIRE(sends.size() == 1);
        CHECK(sends[0].to == leg::c);
        f.c.on_response(leg::c, sends[0].ref, answer_to(sends[0].request, 200), f.t + 6s);
        auto rs = f.take<b2b::respond>(f.drain());
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].to == leg::a);
        CHECK(rs[0].ref == 62);
        // a request from the transferor's old dialog: that call is over
        f.c.on_request(leg::b, 63, from_b("INFO", 4), f.t + 6s);
        rs = f.take<b2b::respond>(f.drain());
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].response.status() == 481);

        // the target hangs up: BYE to the caller; the call ends when it is answered
        f.c.on_request(leg::c, 64, from_c(inv, "BYE", 1), f.t + 7s);
        as = f.drain();
        sends = f.take<b2b::send_request>(as);
        REQUIRE(sends.size() == 1);
        CHECK(sends[0].to == leg::a);
        CHECK(sends[0].request.method() == msg::method_id::bye);
        f.c.on_response(leg::a, sends[0].ref, answer_to(sends[0].request, 200), f.t + 7s);
        CHECK(f.take<b2b::finished>(f.drain()).size() == 1);
    }

    SECTION("the transferor stays on the line: our BYE 32 s after the transfer") {
        f.c.on_response(leg::a, sends[0].ref, answer_to(sends[0].request, 200, sdp_a, "caller1"), f.t + 4s);
        f.drain();
        REQUIRE(f.c.next_deadline());
        f.c.on_time(f.t + 4s + 31s);
        CHECK(f.take<b2b::send_request>(f.drain()).empty());
        f.c.on_time(f.t + 4s + 32s);
        sends = f.take<b2b::send_request>(f.drain());
        REQUIRE(sends.size() == 1);
        CHECK(sends[0].to == leg::b);
        CHECK(sends[0].request.method() == msg::method_id::bye);
        f.c.on_response(leg::b, sends[0].ref, answer_to(sends[0].request, 200), f.t + 37s);
        CHECK(f.take<b2b::finished>(f.drain()).empty()); // the caller and the target go on
    }

    SECTION("the caller refuses the new media: leg C ACKed and ended, the transferor hears 488") {
        f.c.on_response(leg::a, sends[0].ref, answer_to(sends[0].request, 488, {}, "caller1"), f.t + 4s);
        as = f.drain();
        auto acks = f.take<b2b::send_ack>(as);
        REQUIRE(acks.size() == 1);
        CHECK(acks[0].to == leg::c);
        sends = f.take<b2b::send_request>(as); // (in leg order)
        REQUIRE(sends.size() == 2);
        CHECK(sends[0].to == leg::b);
        CHECK(sends[0].request.body() == "SIP/2.0 488 Not Acceptable Here\r\n");
        CHECK(sends[1].to == leg::c);
        CHECK(sends[1].request.method() == msg::method_id::bye);
        // the caller is still with the transferor
        f.c.on_request(leg::a, 65, from_a("INFO", 103), f.t + 5s);
        sends = f.take<b2b::send_request>(f.drain());
        REQUIRE(sends.size() == 1);
        CHECK(sends[0].to == leg::b);
    }
}

TEST_CASE("a transfer that fails leaves the call as it was; one whose transferor left ends it",
          "[b2bua][call][refer]") {
    fixture f{local_transfers()};
    f.start();
    f.answer();
    auto inv_c = transfer_started(f);

    SECTION("the target is busy: NOTIFY 486, the caller stays with the transferor") {
        f.c.on_response(leg::c, inv_c.ref, response_b(inv_c.request, 486, "carol1"), f.t + 2s);
        auto sends = f.take<b2b::send_request>(f.drain());
        REQUIRE(sends.size() == 1);
        CHECK(sends[0].to == leg::b);
        CHECK(sends[0].request.header(msg::header_id::subscription_state) == "terminated;reason=noresource");
        CHECK(sends[0].request.body() == "SIP/2.0 486 Busy Here\r\n");
        f.c.on_request(leg::a, 70, from_a("INFO", 103), f.t + 3s);
        sends = f.take<b2b::send_request>(f.drain());
        REQUIRE(sends.size() == 1);
        CHECK(sends[0].to == leg::b);
        // and it may try again
        f.c.on_request(leg::b, 71, refer_from_b(4, "<sip:dave@192.0.2.78>"), f.t + 4s);
        sends = f.take<b2b::send_request>(f.drain());
        REQUIRE(sends.size() == 2);
        CHECK(sends[1].to == leg::c);
        CHECK(sends[1].request.request_uri_text() == "sip:dave@192.0.2.78");
        CHECK(sends[1].request.call_id() != inv_c.request.call_id());
    }

    SECTION("the transferor hangs up at once; the target times out: the caller gets BYE") {
        f.c.on_request(leg::b, 72, from_b("BYE", 3), f.t + 1s);
        auto as = f.drain();
        CHECK(f.take<b2b::send_request>(as).empty()); // the caller waits for the target
        f.c.on_failure(leg::c, inv_c.ref, true, f.t + 33s);
        auto sends = f.take<b2b::send_request>(f.drain());
        REQUIRE(sends.size() == 1); // no NOTIFY: the transferor is gone
        CHECK(sends[0].to == leg::a);
        CHECK(sends[0].request.method() == msg::method_id::bye);
        f.c.on_response(leg::a, sends[0].ref, answer_to(sends[0].request, 200), f.t + 34s);
        CHECK(f.take<b2b::finished>(f.drain()).size() == 1);
    }

    SECTION("the caller hangs up while the target rings: BYE to the transferor, CANCEL to the target") {
        f.c.on_request(leg::a, 73, from_a("BYE", 103), f.t + 2s);
        auto as = f.drain();
        auto sends = f.take<b2b::send_request>(as);
        REQUIRE(sends.size() == 1);
        CHECK(sends[0].to == leg::b);
        CHECK(sends[0].request.method() == msg::method_id::bye);
        auto cancels = f.take<b2b::cancel_request>(as);
        REQUIRE(cancels.size() == 1);
        CHECK(cancels[0].ref == inv_c.ref);
        f.c.on_response(leg::b, sends[0].ref, answer_to(sends[0].request, 200), f.t + 2s);
        CHECK(f.take<b2b::finished>(f.drain()).empty()); // leg C's INVITE is not over yet
        SECTION("its 487 ends the call") {
            f.c.on_response(leg::c, inv_c.ref, response_b(inv_c.request, 487, "carol1"), f.t + 3s);
            CHECK(f.take<b2b::finished>(f.drain()).size() == 1);
        }
        SECTION("a 200 that crossed the CANCEL is ACKed and ended") {
            f.c.on_response(leg::c, inv_c.ref, response_b(inv_c.request, 200, "carol1", sdp_c), f.t + 3s);
            as = f.drain();
            CHECK(f.take<b2b::send_ack>(as).size() == 1);
            sends = f.take<b2b::send_request>(as);
            REQUIRE(sends.size() == 1);
            CHECK(sends[0].request.method() == msg::method_id::bye);
            f.c.on_response(leg::c, sends[0].ref, answer_to(sends[0].request, 200), f.t + 3s);
            CHECK(f.take<b2b::finished>(f.drain()).size() == 1);
        }
    }
}

TEST_CASE("REFER handled here: bad requests, one transfer at a time, refusal, Replaces (RFC 3891)",
          "[b2bua][call][refer]") {
    SECTION("no Refer-To, two of them, or one that is not SIP: 400") {
        fixture f{local_transfers()};
        f.start();
        f.answer();
        f.c.on_request(leg::b, 80, from_b("REFER", 2), f.t);
        auto two = refer_from_b(3, "<sip:carol@192.0.2.77>");
        two.add_header("Refer-To", "<sip:dave@192.0.2.78>");
        f.c.on_request(leg::b, 81, two, f.t);
        f.c.on_request(leg::b, 82, refer_from_b(4, "<mailto:carol@example.com>"), f.t);
        f.c.on_request(leg::b, 83, refer_from_b(5, "<sip:carol@192.0.2.77?Replaces=bad%zz>"), f.t);
        auto as = f.drain();
        CHECK(f.take<b2b::send_request>(as).empty());
        auto rs = f.take<b2b::respond>(as);
        REQUIRE(rs.size() == 4);
        for (auto& r : rs) CHECK(r.response.status() == 400);
    }
    SECTION("a second REFER while the first is under way: 491") {
        fixture f{local_transfers()};
        f.start();
        f.answer();
        transfer_started(f);
        f.c.on_request(
            leg::a, 84,
            [] {
                auto r = from_a("REFER", 103);
                r.add_header("Refer-To", "<sip:dave@192.0.2.78>");
                return r;
            }(),
            f.t + 1s);
        auto rs = f.take<b2b::respond>(f.drain());
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].response.status() == 491);
    }
    SECTION("transfers refused: 603") {
        b2b::call_config cfg;
        cfg.transfer_mode = b2b::transfers::refuse;
        fixture f{cfg};
        f.start();
        f.answer();
        f.c.on_request(leg::b, 85, refer_from_b(2, "<sip:carol@192.0.2.77>"), f.t);
        auto as = f.drain();
        CHECK(f.take<b2b::send_request>(as).empty());
        auto rs = f.take<b2b::respond>(as);
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].response.status() == 603);
    }
    SECTION("an attended transfer: the Replaces of the Refer-To goes into leg C's INVITE, unescaped") {
        fixture f{local_transfers()};
        f.start();
        f.answer();
        auto inv_c = transfer_started(
            f, "<sip:carol@192.0.2.77?Replaces=abc%40192.0.2.77%3Bto-tag%3Dt1%3Bfrom-tag%3Df1>;x=1");
        CHECK(inv_c.request.request_uri_text() == "sip:carol@192.0.2.77");
        CHECK(inv_c.request.header(msg::header_id::replaces) == "abc@192.0.2.77;to-tag=t1;from-tag=f1");
    }
    SECTION("a header injection through the escapes: 400") {
        fixture f{local_transfers()};
        f.start();
        f.answer();
        f.c.on_request(leg::b, 86, refer_from_b(2, "<sip:carol@192.0.2.77?Replaces=x%0D%0AVia%3A%20evil>"),
                       f.t);
        auto rs = f.take<b2b::respond>(f.drain());
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].response.status() == 400);
    }
}
