#include <tandem/dialog/invite_session.hpp>

#include <tandem/message/serializer.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

// One leg's INVITE session on virtual time, alone: forks (ACK and BYE for the losers), 2xx
// retransmissions ACKed again, reliable provisional responses on both sides (RFC 3262), and
// glare on a re-INVITE.

namespace msg = tandem::message;
using tandem::dialog::invite_session;
using tandem::dialog::session_ack;
using tandem::dialog::session_action;
using tandem::dialog::session_config;
using tandem::dialog::session_respond;
using tandem::dialog::session_send;
using namespace std::chrono_literals;

namespace {

msg::message parse(const std::string& s) {
    auto m = msg::message::parse(s);
    INFO(s);
    REQUIRE(m);
    return std::move(*m);
}

// Leg B's INVITE as its owner builds it, with the session's own header lines.
msg::message our_invite(const invite_session& s) {
    return parse("INVITE sip:bob@198.51.100.20 SIP/2.0\r\nMax-Forwards: 70\r\n"
                 "From: <sip:alice@203.0.113.5>;tag=ours\r\nTo: <sip:bob@203.0.113.5>\r\n"
                 "Call-ID: b-leg@203.0.113.5\r\nCSeq: 1 INVITE\r\nContact: <sip:b2bua@203.0.113.5>\r\n" +
                 s.invite_headers() + "Content-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n");
}

msg::message their_invite(const std::string& extra = {}) {
    return parse("INVITE sip:b2bua@203.0.113.5 SIP/2.0\r\n"
                 "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKa1\r\nMax-Forwards: 70\r\n"
                 "From: <sip:alice@192.0.2.10>;tag=caller\r\nTo: <sip:bob@203.0.113.5>\r\n"
                 "Call-ID: a-leg@192.0.2.10\r\nCSeq: 10 INVITE\r\nContact: <sip:alice@192.0.2.10>\r\n" +
                 extra + "Content-Length: 0\r\n\r\n");
}

msg::message response(const msg::message& req, int code, const std::string& tag,
                      const std::string& extra = {}) {
    auto r = msg::make_response(req, code, {}, tag, "Contact: <sip:bob@198.51.100.20>\r\n" + extra);
    REQUIRE(r);
    return parse(r->serialize());
}

struct sink {
    std::vector<session_action> got;
    void drain(invite_session& s) {
        while (auto a = s.poll()) got.push_back(std::move(*a));
    }
    template <class A>
    std::vector<A> take() {
        std::vector<A> out;
        for (auto& a : got)
            if (auto* p = std::get_if<A>(&a)) out.push_back(*p);
        got.clear();
        return out;
    }
};

} // namespace

TEST_CASE("UAC: forks get early dialogs; the first 2xx wins, the others are ACKed and ended",
          "[invite_session]") {
    invite_session s(invite_session::role::uac, {"b-leg@203.0.113.5", "ours", "sip:b2bua@203.0.113.5"}, {},
                     2);
    sink k;
    std::uint64_t ref = s.send_invite(our_invite(s));
    CHECK(ref == 2);
    k.drain(s);
    auto sent = k.take<session_send>();
    REQUIRE(sent.size() == 1);
    const msg::message inv = sent[0].request;
    tandem::transaction::time_point t{};

    CHECK(s.on_response(ref, response(inv, 180, "fork1"), t).for_owner);
    CHECK(s.on_response(ref, response(inv, 183, "fork2"), t).for_owner);
    REQUIRE(s.early("fork1"));
    REQUIRE(s.early("fork2"));
    CHECK_FALSE(s.confirmed());

    auto info = s.on_response(ref, response(inv, 200, "fork2", "Content-Type: application/sdp\r\n"), t);
    CHECK(info.for_owner);
    CHECK(s.confirmed());
    CHECK(s.current()->id().remote_tag == "fork2");
    k.drain(s);
    auto acks = k.take<session_ack>();
    REQUIRE(acks.size() == 1);
    CHECK(acks[0].ack.to()->tag() == "fork2");

    // the 2xx again: the same ACK again, nothing for the owner
    CHECK_FALSE(s.on_response(ref, response(inv, 200, "fork2"), t + 1s).for_owner);
    k.drain(s);
    acks = k.take<session_ack>();
    REQUIRE(acks.size() == 1);
    CHECK(acks[0].ack.to()->tag() == "fork2");

    // fork1 answers too: ACK and BYE (RFC 3261 13.2.2.4); its retransmission only an ACK
    CHECK_FALSE(s.on_response(ref, response(inv, 200, "fork1"), t + 1s).for_owner);
    k.drain(s);
    CHECK(k.got.size() == 2);
    auto byes = k.take<session_send>();
    REQUIRE(byes.size() == 1);
    CHECK(byes[0].request.method() == msg::method_id::bye);
    CHECK(byes[0].request.to()->tag() == "fork1");
    CHECK_FALSE(s.on_response(ref, response(inv, 200, "fork1"), t + 2s).for_owner);
    k.drain(s);
    CHECK(k.take<session_ack>().size() == 1);
    CHECK(k.got.empty());
    // the losing fork's BYE is the session's own: its 200 is not for the owner
    CHECK_FALSE(s.on_response(byes[0].ref, response(byes[0].request, 200, "fork1"), t + 2s).for_owner);

    // 64*T1 after the ACK: the transaction is over, the dialog stays
    CHECK(s.next_deadline() == t + 32s); // (from the first ACK)
    (void)s.on_time(t + 33s);
    CHECK(s.confirmed());
    CHECK_FALSE(s.invite());
}

TEST_CASE("UAC: reliable provisional responses in RSeq order, PRACKed in their fork", "[invite_session]") {
    invite_session s(invite_session::role::uac, {"b-leg@203.0.113.5", "ours", "sip:b2bua@203.0.113.5"}, {},
                     2);
    sink k;
    s.offer_100rel(true);
    std::uint64_t ref = s.send_invite(our_invite(s));
    k.drain(s);
    auto sent = k.take<session_send>();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].request.header(msg::header_id::supported) == "100rel");
    const msg::message inv = sent[0].request;
    tandem::transaction::time_point t{};
    auto rel = [&](std::uint32_t rseq) {
        return response(inv, 183, "fork1", "Require: 100rel\r\nRSeq: " + std::to_string(rseq) + "\r\n");
    };
    auto info = s.on_response(ref, rel(5), t);
    CHECK(info.for_owner);
    CHECK(info.rseq == 5);
    // a retransmission (our PRACK crossed it): discarded (RFC 3262 4)
    info = s.on_response(ref, rel(5), t);
    CHECK_FALSE(info.for_owner);
    info = s.on_response(ref, rel(6), t);
    CHECK(info.rseq == 6);
    std::uint64_t p = s.prack("fork1", 6);
    REQUIRE(p != 0);
    k.drain(s);
    auto pracks = k.take<session_send>();
    REQUIRE(pracks.size() == 1);
    CHECK(pracks[0].request.header(msg::header_id::rack) == "6 1 INVITE");
    CHECK(pracks[0].request.cseq()->number == 2);
    CHECK(pracks[0].request.to()->tag() == "fork1");
    CHECK(s.prack("nofork", 6) == 0);
}

TEST_CASE("UAS: a reliable 18x is retransmitted until its PRACK; a PRACK for another RSeq is not it",
          "[invite_session]") {
    invite_session s(invite_session::role::uas, {"a-leg@192.0.2.10", "ourtag", "sip:b2bua@203.0.113.5"}, {},
                     1);
    sink k;
    CHECK_FALSE(s.on_invite(their_invite("Supported: 100rel\r\n"), 9));
    CHECK(s.peer_supports_100rel());
    CHECK_FALSE(s.peer_requires_100rel());
    tandem::transaction::time_point t{};
    s.respond_invite(183, {}, "v=0\n", {}, true, t);
    k.drain(s);
    auto rs = k.take<session_respond>();
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].ref == 9);
    CHECK(rs[0].response.header(msg::header_id::rseq) == "1");
    REQUIRE(s.early());
    CHECK(s.next_deadline() == t + 500ms);
    (void)s.on_time(t + 500ms);
    (void)s.on_time(t + 1500ms);
    k.drain(s);
    CHECK(k.take<session_respond>().size() == 2); // at T1, then 2*T1 later

    auto prack = [&](const std::string& rack, int cseq) {
        return parse("PRACK sip:b2bua@203.0.113.5 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKp" +
                     std::to_string(cseq) + "\r\nMax-Forwards: 70\r\n" +
                     "From: <sip:alice@192.0.2.10>;tag=caller\r\nTo: <sip:bob@203.0.113.5>;tag=ourtag\r\n"
                     "Call-ID: a-leg@192.0.2.10\r\nCSeq: " +
                     std::to_string(cseq) + " PRACK\r\nRAck: " + rack + "\r\nContent-Length: 0\r\n\r\n");
    };
    CHECK_FALSE(s.on_prack(prack("2 10 INVITE", 11), t + 2s)); // no such RSeq
    CHECK_FALSE(s.on_prack(prack("1 9 INVITE", 12), t + 2s));  // another INVITE
    CHECK(s.on_prack(prack("1 10 INVITE", 13), t + 2s));
    CHECK_FALSE(s.next_deadline());
    (void)s.on_time(t + 10s);
    k.drain(s);
    CHECK(k.got.empty());
    // the 200 confirms the early dialog
    s.respond_invite(200, {}, "v=0\n", {}, false, t + 11s);
    CHECK(s.confirmed());
    CHECK_FALSE(s.invite_pending());
}

TEST_CASE("a re-INVITE while ours is pending gets 491 from the session (RFC 3261 14.2)", "[invite_session]") {
    invite_session s(invite_session::role::uas, {"a-leg@192.0.2.10", "ourtag", "sip:b2bua@203.0.113.5"}, {},
                     1);
    sink k;
    (void)s.on_invite(their_invite(), 9);
    tandem::transaction::time_point t{};
    s.respond_invite(200, {}, "v=0\n", {}, false, t);
    auto r = s.send("INVITE", {}, "v=0\n", "application/sdp");
    REQUIRE(r);
    CHECK(*r % 2 == 1); // leg A's refs are odd
    k.drain(s);
    k.got.clear();
    auto reinvite =
        parse("INVITE sip:b2bua@203.0.113.5 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKr\r\n"
              "Max-Forwards: 70\r\nFrom: <sip:alice@192.0.2.10>;tag=caller\r\n"
              "To: <sip:bob@203.0.113.5>;tag=ourtag\r\nCall-ID: a-leg@192.0.2.10\r\nCSeq: 11 INVITE\r\n"
              "Contact: <sip:alice@192.0.2.10>\r\nContent-Length: 0\r\n\r\n");
    auto info = s.on_request(reinvite, 20, t + 1s);
    CHECK(info.what == tandem::dialog::request_info::verdict::answered);
    k.drain(s);
    auto rs = k.take<session_respond>();
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].response.status() == 491);
    // our own second INVITE meanwhile: refused by the dialog (glare is the caller's to answer)
    CHECK_FALSE(s.send("INVITE", {}));
}
