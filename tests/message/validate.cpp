#include <tandem/message/validate.hpp>

#include <tandem/message/serializer.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace tandem::message;

namespace {

std::string req(std::string start, std::string extra = {}, std::string cseq = "OPTIONS") {
    return start +
           "\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\nTo: <sip:a@example.com>\r\n"
           "From: <sip:b@example.com>;tag=x\r\nCall-ID: c@h\r\nCSeq: 1 " +
           cseq + "\r\nMax-Forwards: 70\r\n" + extra + "\r\n";
}

int verdict(const std::string& text, const validation_options& o = {}) {
    parse_options p;
    p.check_syntax = false;
    p.max_message_size = 1 << 20;
    auto m = message::parse(text, p);
    REQUIRE(m);
    auto r = validate_request(*m, o);
    return r ? r->status : 0;
}

} // namespace

TEST_CASE("request validation picks the RFC 3261 response", "[message][validate]") {
    CHECK(verdict(req("OPTIONS sip:a@example.com SIP/2.0")) == 0);
    CHECK(verdict(req("OPTIONS sip:a@example.com SIP/3.0")) == 505);
    CHECK(verdict(req("OPTIONS <sip:a@example.com> SIP/2.0")) == 400);
    CHECK(verdict(req("FOO sip:a@example.com SIP/2.0", {}, "FOO")) == 501);
    CHECK(verdict(req("FOO sip:a@example.com SIP/2.0")) == 501);  // 501 wins over the CSeq mismatch
    CHECK(verdict(req("INFO sip:a@example.com SIP/2.0")) == 400); // CSeq mismatch
    CHECK(verdict(req("OPTIONS http://example.com SIP/2.0")) == 416);
    CHECK(verdict(req("OPTIONS tel:+15551234 SIP/2.0")) == 0);
    CHECK(verdict(req("OPTIONS sip:a@example.com SIP/2.0", "Call-ID: d@h\r\n")) == 400);
    CHECK(verdict(req("OPTIONS sip:a@example.com SIP/2.0", "Content-Length: 0\r\nl: 1\r\n")) == 400);
    CHECK(verdict(req("OPTIONS sip:a@example.com SIP/2.0", "Max-Forwards: 0\r\n")) ==
          400); // two Max-Forwards
    auto no_via = std::string("OPTIONS sip:a@example.com SIP/2.0\r\nTo: <sip:a@example.com>\r\n"
                              "From: <sip:b@example.com>;tag=x\r\nCall-ID: c@h\r\nCSeq: 1 OPTIONS\r\n\r\n");
    CHECK(verdict(no_via) == 400);
    CHECK(verdict(req("OPTIONS sip:a@example.com SIP/2.0", "Require: 100rel\r\n")) == 0);

    SECTION("420 names the unsupported extensions") {
        parse_options p;
        p.check_syntax = false;
        auto m = message::parse(req("OPTIONS sip:a@example.com SIP/2.0", "Require: foo, timer, bar\r\n"), p);
        auto r = validate_request(*m);
        REQUIRE(r);
        CHECK(r->status == 420);
        CHECK(r->reason == "Bad Extension");
        CHECK(r->header_name == "Unsupported");
        CHECK(r->header_value == "foo, bar");
        auto rsp = make_response(*m, r->status, r->reason, "t1", extra_headers(*r));
        REQUIRE(rsp);
        CHECK(rsp->header(header_id::unsupported) == "foo, bar");
        CHECK(rsp->to()->tag() == "t1");
    }
    SECTION("405 lists what is allowed") {
        validation_options o;
        o.allowed_methods = {method_id::invite, method_id::ack, method_id::bye, method_id::cancel};
        parse_options p;
        p.check_syntax = false;
        auto m = message::parse(req("OPTIONS sip:a@example.com SIP/2.0"), p);
        auto r = validate_request(*m, o);
        REQUIRE(r);
        CHECK(r->status == 405);
        CHECK(r->header_value == "INVITE, ACK, BYE, CANCEL");
    }
    SECTION("483 only when forwarding") {
        validation_options o;
        std::string zero = "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                           "To: <sip:a@example.com>\r\nFrom: <sip:b@example.com>;tag=x\r\nCall-ID: c\r\n"
                           "CSeq: 1 OPTIONS\r\nMax-Forwards: 0\r\n\r\n";
        CHECK(verdict(zero, o) == 0);
        o.forwarding = true;
        CHECK(verdict(zero, o) == 483);
    }
    SECTION("bodies") {
        CHECK(verdict(req("MESSAGE sip:a@example.com SIP/2.0", "Content-Type: text/plain\r\n", "MESSAGE") +
                      "hi") == 0);
        CHECK(
            verdict(req("MESSAGE sip:a@example.com SIP/2.0", "Content-Type: application/x-y\r\n", "MESSAGE") +
                    "hi") == 415);
        CHECK(verdict(req("MESSAGE sip:a@example.com SIP/2.0",
                          "Content-Type: text/plain\r\nContent-Encoding: gzip\r\n", "MESSAGE") +
                      "hi") == 415);
        // media ranges in the accepted list: a relaying element takes any body ("*/*")
        tandem::message::validation_options any;
        static constexpr std::string_view any_body[] = {"*/*"};
        any.accepted_content_types = any_body;
        std::string dtmf =
            req("INFO sip:a@example.com SIP/2.0", "Content-Type: application/dtmf-relay\r\n", "INFO") + "hi";
        CHECK(verdict(dtmf) == 415);
        CHECK(verdict(dtmf, any) == 0);
        static constexpr std::string_view apps[] = {"application/*"};
        any.accepted_content_types = apps;
        CHECK(verdict(dtmf, any) == 0);
        CHECK(verdict(req("MESSAGE sip:a@example.com SIP/2.0", "Content-Type: text/plain\r\n", "MESSAGE") +
                          "hi",
                      any) == 415);
        CHECK(verdict(req("INVITE sip:a@example.com SIP/2.0", "Accept: text/nothing\r\n", "INVITE")) == 406);
        CHECK(verdict(req("INVITE sip:a@example.com SIP/2.0", "Accept: application/*\r\n", "INVITE")) == 0);
        CHECK(verdict(req("INVITE sip:a@example.com SIP/2.0", "Accept:\r\n", "INVITE")) ==
              406); // RFC 3261 20.1
    }
    SECTION("registrar checks the address-of-record") {
        std::string reg = "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                          "To: <http://example.com>\r\nFrom: <sip:b@example.com>;tag=x\r\nCall-ID: c\r\n"
                          "CSeq: 1 REGISTER\r\n\r\n";
        CHECK(verdict(reg) == 400);
        validation_options o;
        o.registrar = false;
        CHECK(verdict(reg, o) == 0);
    }
    SECTION("513 for oversized requests") {
        std::string big;
        for (int i = 0; i < 100; ++i) big += "X-Big: " + std::string(700, 'a') + "\r\n";
        CHECK(verdict(req("OPTIONS sip:a@example.com SIP/2.0", big)) == 513);
    }
    SECTION("a response is not validated") {
        CHECK(verdict("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n") == 0);
    }
}

TEST_CASE("can_respond needs a routable top Via", "[message][validate]") {
    parse_options p;
    p.check_syntax = false;
    auto m = message::parse("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;;,;\r\n\r\n", p);
    REQUIRE(m);
    CHECK(can_respond(*m));
    m = message::parse("OPTIONS sip:a@b SIP/2.0\r\nVia: garbage\r\n\r\n", p);
    CHECK_FALSE(can_respond(*m));
    m = message::parse("OPTIONS sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\n\r\n", p);
    CHECK_FALSE(can_respond(*m));
}

TEST_CASE("RAck values (RFC 3262 7.2)", "[message][rack]") {
    auto r = tandem::message::parse_rack(" 776656 1 INVITE ");
    REQUIRE(r);
    CHECK(r->rseq == 776656);
    CHECK(r->cseq == 1);
    CHECK(r->method == "INVITE");
    for (std::string_view bad : {"", "1", "1 2", "x 1 INVITE", "1 2 INVITE extra", "99999999999 1 INVITE"})
        CHECK_FALSE(tandem::message::parse_rack(bad));
}

TEST_CASE("Replaces values (RFC 3891 6.1)", "[message][replaces]") {
    auto r = tandem::message::parse_replaces(
        " 98732@sip.example.com;From-Tag=r33th4x0r ;to-tag=xyz;early-only;x=1 ");
    REQUIRE(r);
    CHECK(r->call_id == "98732@sip.example.com");
    CHECK(r->from_tag == "r33th4x0r");
    CHECK(r->to_tag == "xyz");
    CHECK(r->early_only);
    r = tandem::message::parse_replaces("abc;to-tag=1;from-tag=2");
    REQUIRE(r);
    CHECK_FALSE(r->early_only);
    for (std::string_view bad :
         {"", "abc", "abc;to-tag=1", "abc;from-tag=2", ";to-tag=1;from-tag=2", "abc;to-tag;from-tag=2",
          "abc;to-tag=1;from-tag=2;to-tag=3", "a b;to-tag=1;from-tag=2", "abc;to-tag=1;from-tag=2,def"})
        CHECK_FALSE(tandem::message::parse_replaces(bad));
}
