#include <tandem/sdp/offer_answer.hpp>

#include <tandem/message/message.hpp>
#include <tandem/sdp/session_description.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace sdp = tandem::sdp;
namespace msg = tandem::message;
using sdp::body_role;
using sdp::oa_state;
using tandem::sdp_errc;

namespace {

std::string body(std::string_view who, int version) {
    return "v=0\r\no=" + std::string(who) + " 1 " + std::to_string(version) +
           " IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
}
const std::string A1 = body("alice", 1);
const std::string A2 = body("alice", 2);
const std::string B1 = body("bob", 1);
const std::string B2 = body("bob", 2);

std::string tail(std::string_view cseq_method, std::uint32_t cseq, std::string_view sdp_body,
                 std::string_view extra) {
    std::string s = "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
                    "From: <sip:a@example.com>;tag=a\r\nTo: <sip:b@example.com>;tag=b\r\n"
                    "Call-ID: oa@example.com\r\nCSeq: " +
                    std::to_string(cseq) + " " + std::string(cseq_method) + "\r\nMax-Forwards: 70\r\n";
    s += extra;
    if (!sdp_body.empty()) s += "Content-Type: application/sdp\r\n";
    s += "Content-Length: " + std::to_string(sdp_body.size()) + "\r\n\r\n";
    s += sdp_body;
    return s;
}

msg::message req(std::string_view method, std::uint32_t cseq, std::string_view sdp_body = {},
                 std::string_view extra = {}) {
    std::string s =
        std::string(method) + " sip:b@example.com SIP/2.0\r\n" + tail(method, cseq, sdp_body, extra);
    auto m = msg::message::parse(s);
    REQUIRE(m.has_value());
    return *m;
}

msg::message rsp(int status, std::string_view method, std::uint32_t cseq, std::string_view sdp_body = {},
                 bool reliable = false) {
    std::string s = "SIP/2.0 " + std::to_string(status) + " X\r\n" +
                    tail(method, cseq, sdp_body, reliable ? "Require: 100rel\r\nRSeq: 1\r\n" : "");
    auto m = msg::message::parse(s);
    REQUIRE(m.has_value());
    return *m;
}

// Two legs seeing the same messages: `a` sends them, `b` receives them.
struct pair_ {
    sdp::offer_answer a, b;
    // a -> b
    body_role ab(const msg::message& m) {
        auto x = a.on_outgoing(m);
        auto y = b.on_incoming(m);
        CHECK(x.role == y.role);
        CHECK(x.error == y.error);
        return y.role;
    }
    // b -> a
    body_role ba(const msg::message& m) {
        auto x = b.on_outgoing(m);
        auto y = a.on_incoming(m);
        CHECK(x.role == y.role);
        CHECK(x.error == y.error);
        return y.role;
    }
    void stable(const std::string& a_local, const std::string& b_local) {
        CHECK(a.state() == oa_state::stable);
        CHECK(b.state() == oa_state::stable);
        CHECK(a.local_sdp() == a_local);
        CHECK(a.remote_sdp() == b_local);
        CHECK(b.local_sdp() == b_local);
        CHECK(b.remote_sdp() == a_local);
    }
};

} // namespace

TEST_CASE("offer in INVITE, answer in 2xx", "[sdp][offer_answer]") {
    pair_ p;
    CHECK(p.a.state() == oa_state::no_offer);
    CHECK(p.ab(req("INVITE", 1, A1)) == body_role::offer);
    CHECK(p.a.state() == oa_state::offer_sent);
    CHECK(p.b.state() == oa_state::offer_received);
    CHECK(p.b.pending_offer() == A1);
    CHECK(p.a.invite_in_progress());
    CHECK(p.ba(rsp(100, "INVITE", 1)) == body_role::none);
    CHECK(p.ba(rsp(180, "INVITE", 1)) == body_role::none);
    CHECK(p.ba(rsp(200, "INVITE", 1, B1)) == body_role::answer);
    p.stable(A1, B1);
    CHECK(!p.a.invite_in_progress());
    CHECK(p.ab(req("ACK", 1)) == body_role::none);
    // a retransmitted 2xx reaches the TU again: a repeat, not an offer
    CHECK(p.ba(rsp(200, "INVITE", 1, B1)) == body_role::repeat);
    p.stable(A1, B1);
}

TEST_CASE("early media: answer in an unreliable 183, the 2xx repeats it", "[sdp][offer_answer]") {
    pair_ p;
    CHECK(p.ab(req("INVITE", 1, A1)) == body_role::offer);
    CHECK(p.ba(rsp(183, "INVITE", 1, B1)) == body_role::answer);
    p.stable(A1, B1);
    CHECK(p.ba(rsp(183, "INVITE", 1, B1)) == body_role::repeat);
    CHECK(p.ba(rsp(200, "INVITE", 1, B1)) == body_role::repeat);
    CHECK(p.ab(req("ACK", 1)) == body_role::none);
    p.stable(A1, B1);
}

TEST_CASE("early media: answer in a reliable 183, then PRACK and 2xx", "[sdp][offer_answer]") {
    pair_ p;
    CHECK(p.ab(req("INVITE", 1, A1, "Supported: 100rel\r\n")) == body_role::offer);
    CHECK(p.ba(rsp(183, "INVITE", 1, B1, true)) == body_role::answer);
    p.stable(A1, B1);
    CHECK(p.ab(req("PRACK", 2, {}, "RAck: 1 1 INVITE\r\n")) == body_role::none);
    CHECK(p.ba(rsp(200, "PRACK", 2)) == body_role::none);
    CHECK(p.ba(rsp(200, "INVITE", 1)) == body_role::none);
    CHECK(p.ab(req("ACK", 1)) == body_role::none);
    p.stable(A1, B1);
}

TEST_CASE("offer in PRACK after an answer in a reliable 18x", "[sdp][offer_answer]") {
    pair_ p;
    CHECK(p.ab(req("INVITE", 1, A1)) == body_role::offer);
    CHECK(p.ba(rsp(183, "INVITE", 1, B1, true)) == body_role::answer);
    CHECK(p.ab(req("PRACK", 2, A2)) == body_role::offer); // RFC 3262 5
    CHECK(p.a.state() == oa_state::offer_sent);
    CHECK(p.ba(rsp(200, "PRACK", 2, B2)) == body_role::answer);
    p.stable(A2, B2);
    CHECK(p.ba(rsp(200, "INVITE", 1)) == body_role::none);
    CHECK(p.ab(req("ACK", 1)) == body_role::none);
    p.stable(A2, B2);
}

TEST_CASE("offer-less INVITE: offer in 2xx, answer in ACK", "[sdp][offer_answer]") {
    pair_ p;
    CHECK(p.ab(req("INVITE", 1)) == body_role::none);
    CHECK(p.a.state() == oa_state::no_offer);
    CHECK(p.ba(rsp(183, "INVITE", 1, B1)) == body_role::preview); // unreliable: not the offer
    CHECK(p.a.state() == oa_state::no_offer);
    CHECK(p.ba(rsp(200, "INVITE", 1, B1)) == body_role::offer);
    CHECK(p.a.state() == oa_state::offer_received);
    CHECK(p.b.state() == oa_state::offer_sent);
    CHECK(p.a.answer_due_in_ack());
    CHECK(p.ab(req("ACK", 1, A1)) == body_role::answer);
    p.stable(A1, B1);
    CHECK(!p.a.answer_due_in_ack());
}

TEST_CASE("offer-less INVITE: offer in a reliable 18x, answer in PRACK", "[sdp][offer_answer]") {
    pair_ p;
    CHECK(p.ab(req("INVITE", 1)) == body_role::none);
    CHECK(p.ba(rsp(183, "INVITE", 1, B1, true)) == body_role::offer);
    CHECK(p.ab(req("PRACK", 2, A1)) == body_role::answer);
    p.stable(A1, B1);
    CHECK(p.ba(rsp(200, "PRACK", 2)) == body_role::none);
    CHECK(p.ba(rsp(200, "INVITE", 1, B1)) == body_role::repeat);
    CHECK(p.ab(req("ACK", 1)) == body_role::none);
    p.stable(A1, B1);
}

TEST_CASE("offer-less INVITE: errors", "[sdp][offer_answer]") {
    SECTION("2xx without offer") {
        sdp::offer_answer uac;
        (void)uac.on_outgoing(req("INVITE", 1));
        auto r = uac.on_incoming(rsp(200, "INVITE", 1));
        CHECK(r.error == sdp_errc::missing_offer);
        CHECK(uac.state() == oa_state::no_offer);
    }
    SECTION("ACK without the answer") {
        pair_ p;
        (void)p.ab(req("INVITE", 1));
        CHECK(p.ba(rsp(200, "INVITE", 1, B1)) == body_role::offer);
        auto r = p.b.on_incoming(req("ACK", 1));
        CHECK(r.error == sdp_errc::missing_answer);
        CHECK(p.b.state() == oa_state::no_offer); // rolled back
    }
    SECTION("PRACK without the answer to a reliable 18x offer") {
        sdp::offer_answer uas;
        (void)uas.on_incoming(req("INVITE", 1));
        CHECK(uas.on_outgoing(rsp(183, "INVITE", 1, B1, true)).role == body_role::offer);
        auto r = uas.on_incoming(req("PRACK", 2));
        CHECK(r.error == sdp_errc::missing_answer);
        CHECK(uas.state() == oa_state::offer_sent);
    }
}

TEST_CASE("INVITE with offer: 2xx without answer", "[sdp][offer_answer]") {
    sdp::offer_answer uac;
    (void)uac.on_outgoing(req("INVITE", 1, A1));
    auto r = uac.on_incoming(rsp(200, "INVITE", 1));
    CHECK(r.error == sdp_errc::missing_answer);
    CHECK(uac.state() == oa_state::no_offer);
}

TEST_CASE("ACK with SDP when no offer is pending", "[sdp][offer_answer]") {
    pair_ p;
    (void)p.ab(req("INVITE", 1, A1));
    (void)p.ba(rsp(200, "INVITE", 1, B1));
    auto r = p.b.on_incoming(req("ACK", 1, A2));
    CHECK(r.error == sdp_errc::unexpected_sdp);
    CHECK(r.role == body_role::none);
    CHECK(p.b.state() == oa_state::stable);
    CHECK(p.b.remote_sdp() == A1);
    // an ACK with SDP out of the blue
    sdp::offer_answer fresh;
    CHECK(fresh.on_incoming(req("ACK", 5, A1)).error == sdp_errc::unexpected_sdp);
}

TEST_CASE("re-INVITE with offer; re-INVITE without offer", "[sdp][offer_answer]") {
    pair_ p;
    (void)p.ab(req("INVITE", 1, A1));
    (void)p.ba(rsp(200, "INVITE", 1, B1));
    (void)p.ab(req("ACK", 1));
    p.stable(A1, B1);

    // b puts a on hold with a re-INVITE
    CHECK(p.ba(req("INVITE", 1, B2)) == body_role::offer);
    CHECK(p.b.state() == oa_state::offer_sent);
    CHECK(p.ab(rsp(200, "INVITE", 1, A2)) == body_role::answer);
    CHECK(p.ba(req("ACK", 1)) == body_role::none);
    p.stable(A2, B2);

    // a sends an offer-less re-INVITE: b offers in the 2xx, a answers in the ACK
    CHECK(p.ab(req("INVITE", 2)) == body_role::none);
    CHECK(p.ba(rsp(200, "INVITE", 2, B1)) == body_role::offer);
    CHECK(p.ab(req("ACK", 2, A1)) == body_role::answer);
    p.stable(A1, B1);
}

TEST_CASE("failed re-INVITE rolls back to the previous stable state", "[sdp][offer_answer]") {
    pair_ p;
    (void)p.ab(req("INVITE", 1, A1));
    (void)p.ba(rsp(200, "INVITE", 1, B1));
    (void)p.ab(req("ACK", 1));

    SECTION("488 to a re-INVITE with offer") {
        CHECK(p.ab(req("INVITE", 2, A2)) == body_role::offer);
        CHECK(p.ba(rsp(488, "INVITE", 2)) == body_role::none);
        p.stable(A1, B1);
        CHECK(p.ab(req("ACK", 2)) == body_role::none);
    }
    SECTION("answer in an unreliable 183, then 500") {
        CHECK(p.ab(req("INVITE", 2, A2)) == body_role::offer);
        CHECK(p.ba(rsp(183, "INVITE", 2, B2)) == body_role::answer);
        p.stable(A2, B2);
        CHECK(p.ba(rsp(500, "INVITE", 2)) == body_role::none);
        p.stable(A1, B1);
    }
    SECTION("offer-less re-INVITE failing after an offer in a reliable 18x") {
        CHECK(p.ab(req("INVITE", 2)) == body_role::none);
        CHECK(p.ba(rsp(183, "INVITE", 2, B2, true)) == body_role::offer);
        CHECK(p.ba(rsp(603, "INVITE", 2)) == body_role::none);
        p.stable(A1, B1);
    }
}

TEST_CASE("CANCEL and 487 roll an initial INVITE back to no offer", "[sdp][offer_answer]") {
    pair_ p;
    CHECK(p.ab(req("INVITE", 1, A1)) == body_role::offer);
    CHECK(p.ba(rsp(183, "INVITE", 1, B1)) == body_role::answer);
    CHECK(p.ab(req("CANCEL", 1)) == body_role::none);
    CHECK(p.ba(rsp(200, "CANCEL", 1)) == body_role::none);
    CHECK(p.ba(rsp(487, "INVITE", 1)) == body_role::none);
    CHECK(p.a.state() == oa_state::no_offer);
    CHECK(p.b.state() == oa_state::no_offer);
    CHECK(p.a.local_sdp().empty());
    CHECK(p.ab(req("ACK", 1)) == body_role::none);
    CHECK(!p.a.invite_in_progress());
}

TEST_CASE("UPDATE offer and answer; rejected UPDATE", "[sdp][offer_answer]") {
    pair_ p;
    (void)p.ab(req("INVITE", 1, A1));
    (void)p.ba(rsp(183, "INVITE", 1, B1, true));
    (void)p.ab(req("PRACK", 2));
    (void)p.ba(rsp(200, "PRACK", 2));
    // early-dialog UPDATE (RFC 3311 5.1)
    CHECK(p.ab(req("UPDATE", 3, A2)) == body_role::offer);
    CHECK(p.ba(rsp(200, "UPDATE", 3, B2)) == body_role::answer);
    p.stable(A2, B2);
    (void)p.ba(rsp(200, "INVITE", 1));
    (void)p.ab(req("ACK", 1));

    CHECK(p.ba(req("UPDATE", 1, B1)) == body_role::offer);
    CHECK(p.ab(rsp(488, "UPDATE", 1)) == body_role::none);
    p.stable(A2, B2);

    // UPDATE without SDP (target refresh): no effect; its 2xx may not carry SDP
    CHECK(p.ba(req("UPDATE", 2)) == body_role::none);
    CHECK(p.a.on_outgoing(rsp(200, "UPDATE", 2, A1)).error == sdp_errc::unexpected_sdp);
    // 2xx to an UPDATE offer without the answer
    CHECK(p.ab(req("UPDATE", 4, A1)) == body_role::offer);
    CHECK(p.a.on_incoming(rsp(200, "UPDATE", 4)).error == sdp_errc::missing_answer);
    CHECK(p.a.state() == oa_state::stable);
    CHECK(p.a.local_sdp() == A2);
}

TEST_CASE("UPDATE offer before the initial offer was answered", "[sdp][offer_answer]") {
    sdp::offer_answer uas;
    (void)uas.on_incoming(req("INVITE", 1));
    auto r = uas.on_incoming(req("UPDATE", 2, A1));
    CHECK(r.error == sdp_errc::offer_not_allowed);
    CHECK(r.reject_with == 500);
}

TEST_CASE("glare: 491 and 500", "[sdp][offer_answer]") {
    pair_ p;
    (void)p.ab(req("INVITE", 1, A1));
    (void)p.ba(rsp(200, "INVITE", 1, B1));
    (void)p.ab(req("ACK", 1));

    SECTION("re-INVITEs cross: each side answers 491 (RFC 3261 14.2)") {
        CHECK(p.a.on_outgoing(req("INVITE", 2, A2)).role == body_role::offer);
        CHECK(p.b.on_outgoing(req("INVITE", 2, B2)).role == body_role::offer);
        auto ra = p.a.on_incoming(req("INVITE", 2, B2));
        auto rb = p.b.on_incoming(req("INVITE", 2, A2));
        CHECK(ra.error == sdp_errc::request_pending);
        CHECK(ra.reject_with == 491);
        CHECK(rb.reject_with == 491);
        // both get 491: back to the old session
        (void)p.a.on_incoming(rsp(491, "INVITE", 2));
        (void)p.b.on_incoming(rsp(491, "INVITE", 2));
        p.stable(A1, B1);
    }
    SECTION("UPDATE while our UPDATE offer is outstanding: 491 (RFC 3311 5.2)") {
        CHECK(p.a.on_outgoing(req("UPDATE", 2, A2)).role == body_role::offer);
        auto r = p.a.on_incoming(req("UPDATE", 2, B2));
        CHECK(r.error == sdp_errc::offer_pending);
        CHECK(r.reject_with == 491);
        CHECK(p.a.state() == oa_state::offer_sent);
        CHECK(p.a.pending_offer() == A2);
    }
    SECTION("UPDATE while we owe an answer: 500 (RFC 3311 5.2)") {
        CHECK(p.b.on_incoming(req("UPDATE", 2, A2)).role == body_role::offer);
        auto r = p.b.on_incoming(req("UPDATE", 3, A1));
        CHECK(r.error == sdp_errc::offer_pending);
        CHECK(r.reject_with == 500);
        // and we may not offer ourselves either
        CHECK(p.b.on_outgoing(req("UPDATE", 5, B2)).error == sdp_errc::offer_pending);
        CHECK(p.b.on_outgoing(rsp(200, "UPDATE", 2, B2)).role == body_role::answer);
        p.b.on_incoming(req("UPDATE", 4, A1)); // fine now
        CHECK(p.b.state() == oa_state::offer_received);
    }
    SECTION("re-INVITE while their re-INVITE is unanswered: 500") {
        CHECK(p.b.on_incoming(req("INVITE", 2)).role == body_role::none);
        auto r = p.b.on_incoming(req("INVITE", 3, A2));
        CHECK(r.error == sdp_errc::request_pending);
        CHECK(r.reject_with == 500);
    }
    SECTION("re-INVITE while an UPDATE offer is outstanding") {
        CHECK(p.a.on_outgoing(req("UPDATE", 2, A2)).role == body_role::offer);
        auto r = p.a.on_incoming(req("INVITE", 2, B2));
        CHECK(r.error == sdp_errc::offer_pending);
        CHECK(r.reject_with == 491);
    }
}

TEST_CASE("bodies outside offer/answer and bad messages", "[sdp][offer_answer]") {
    sdp::offer_answer oa;
    CHECK(oa.on_incoming(req("OPTIONS", 1)).role == body_role::none);
    CHECK(oa.on_outgoing(rsp(200, "OPTIONS", 1, B1)).role == body_role::none);
    CHECK(oa.on_incoming(req("INFO", 2, A1)).role == body_role::none);
    CHECK(oa.state() == oa_state::no_offer);
    // a response to an INVITE we know nothing of
    CHECK(oa.on_incoming(rsp(200, "INVITE", 9, B1)).role == body_role::none);
    // the SDP view is reported
    auto invite = req("INVITE", 10, A1);
    auto r = oa.on_incoming(invite); // r.sdp views into `invite`
    CHECK(r.sdp == A1);
    // a message without a usable CSeq
    auto bad = msg::message::parse("BYE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\r\n"
                                   "Content-Length: 0\r\n\r\n",
                                   [] {
                                       msg::parse_options o;
                                       o.check_syntax = false;
                                       return o;
                                   }());
    REQUIRE(bad.has_value());
    CHECK(oa.on_incoming(*bad).error);
}

TEST_CASE("roles only (keep_descriptions false): same roles and states, no SDP kept", "[sdp][offer_answer]") {
    pair_ kept;
    sdp::offer_answer a{false}, b{false};
    auto both = [&](bool a_sends, const msg::message& m) {
        body_role expected = a_sends ? kept.ab(m) : kept.ba(m);
        auto x = (a_sends ? a : b).on_outgoing(m);
        auto y = (a_sends ? b : a).on_incoming(m);
        CHECK(x.role == expected);
        CHECK(y.role == expected);
        CHECK(a.state() == kept.a.state());
        CHECK(b.state() == kept.b.state());
    };
    both(true, req("INVITE", 1, A1));
    both(false, rsp(183, "INVITE", 1, B1));
    both(false, rsp(200, "INVITE", 1, B1));
    both(true, req("ACK", 1));
    both(true, req("INVITE", 2, A2));   // re-INVITE with offer...
    both(false, rsp(488, "INVITE", 2)); // ...refused: back to stable
    both(true, req("ACK", 2));
    both(false, req("INVITE", 3));         // offer-less re-INVITE from the other side
    both(true, rsp(200, "INVITE", 3, A2)); // offer in the 2xx
    both(false, req("ACK", 3, B2));        // answer in the ACK
    CHECK(a.state() == oa_state::stable);
    CHECK(a.local_sdp().empty());
    CHECK(a.remote_sdp().empty());
    CHECK(b.pending_offer().empty());
    CHECK(kept.a.local_sdp() == A2); // the kept pair did keep them
}
