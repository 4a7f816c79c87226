#include <tandem/dialog/dialog.hpp>

#include <tandem/dialog/dialog_id.hpp>
#include <tandem/message/serializer.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

// The dialog of RFC 3261 12 on both sides of one call, built from realistic message pairs:
// Alice (UAC, pc33.atlanta.example.com) calls Bob (UAS, 192.0.2.4) through two record-routing
// proxies: p1 (Alice's) then p2 (Bob's). Bob sees "Record-Route: <p2>, <p1>"; so does Alice in
// the 200, which she reverses (RFC 3261 12.1.1, 12.1.2).

namespace msg = tandem::message;
using tandem::dialog::dialog;
using tandem::dialog::dialog_errc;
using tandem::dialog::dialog_id;
using tandem::dialog::request_options;

namespace {

constexpr std::string_view call_id = "a84b4c76e66710@pc33.atlanta.example.com";
constexpr std::string_view alice_contact = "sip:alice@pc33.atlanta.example.com";
constexpr std::string_view bob_contact = "sip:bob@192.0.2.4";

msg::message parse(const std::string& s) {
    auto m = msg::message::parse(s);
    INFO(s);
    REQUIRE(m);
    return std::move(*m);
}

struct invite_spec {
    std::string method = "INVITE";
    std::string ruri = "sip:bob@biloxi.example.com";
    std::string via = "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds";
    std::vector<std::string> record_route = {"<sip:p2.example.com;lr>, <sip:p1.example.com;lr>"};
    std::string from = "Alice <sip:alice@atlanta.example.com>;tag=1928301774";
    std::string to = "Bob <sip:bob@biloxi.example.com>";
    std::string cseq = "314159 INVITE";
    std::string contact = "<sip:alice@pc33.atlanta.example.com>";
};

msg::message request(const invite_spec& s) {
    std::string out;
    msg::message_writer w{out};
    w.request_line(s.method, s.ruri).header("Via", s.via);
    for (const auto& rr : s.record_route) w.header("Record-Route", rr);
    w.header("Max-Forwards", "70").header("To", s.to).header("From", s.from);
    w.header("Call-ID", call_id).header("CSeq", s.cseq);
    if (!s.contact.empty()) w.header("Contact", s.contact);
    w.finish();
    return parse(out);
}

msg::message invite() { return request({}); }

// Parsed as the transaction layer does (framing only), so that bad values reach the dialog.
msg::message lax_parse(const std::string& s) {
    msg::parse_options o;
    o.check_syntax = false;
    auto m = msg::message::parse(s, o);
    REQUIRE(m);
    return std::move(*m);
}

// Bob's response to `req`, with To tag `tag`, Record-Route copied (RFC 3261 12.1.1) and
// Bob's Contact.
msg::message response(const msg::message& req, int status, std::string_view tag = "a6c85cf",
                      std::string_view contact = "<sip:bob@192.0.2.4>") {
    std::string extra;
    req.for_each_element(msg::header_id::record_route, [&](std::string_view e) {
        extra.append("Record-Route: ").append(e).append("\r\n");
        return true;
    });
    if (!contact.empty()) extra.append("Contact: ").append(contact).append("\r\n");
    return parse(msg::make_response_text(req, status, {}, tag, extra));
}

// An in-dialog request Alice sends to Bob, as Bob receives it.
msg::message from_alice(std::string method, std::uint32_t cseq, std::string contact = {},
                        std::string to_tag = "a6c85cf") {
    invite_spec s;
    s.method = method;
    s.ruri = std::string(bob_contact);
    s.record_route = {};
    s.to = "Bob <sip:bob@biloxi.example.com>;tag=" + to_tag;
    s.cseq = std::to_string(cseq) + " " + method;
    s.contact = contact;
    return request(s);
}

std::vector<std::string> routes(const msg::message& m) {
    std::vector<std::string> r;
    m.for_each_element(msg::header_id::route, [&](std::string_view e) {
        r.emplace_back(e);
        return true;
    });
    return r;
}

} // namespace

TEST_CASE("dialog ids as seen by a UAS and by a UAC", "[dialog]") {
    auto inv = invite();
    auto rsp = response(inv, 200);

    auto initial = tandem::dialog::uas_dialog_id(inv);
    REQUIRE(initial);
    CHECK(initial->local_tag.empty()); // no To tag yet: outside a dialog
    CHECK(initial->remote_tag == "1928301774");

    auto uas = tandem::dialog::uas_dialog_id(from_alice("BYE", 314160));
    REQUIRE(uas);
    CHECK(*uas == dialog_id{std::string(call_id), "a6c85cf", "1928301774"});

    auto uac = tandem::dialog::uac_dialog_id(rsp);
    REQUIRE(uac);
    CHECK(*uac == dialog_id{std::string(call_id), "1928301774", "a6c85cf"});
    CHECK_FALSE(*uac == *uas); // mirrored

    std::unordered_set<dialog_id> set{*uac, *uas, *uac};
    CHECK(set.size() == 2);
    CHECK(set.count(dialog_id{std::string(call_id), "1928301774", "a6c85cf"}) == 1);

    SECTION("a response without To tag (100 Trying) has no dialog id") {
        auto trying = parse(msg::make_response_text(inv, 100));
        CHECK(tandem::dialog::uac_dialog_id(trying).error() == dialog_errc::missing_remote_tag);
    }
    SECTION("wrong kind of message") {
        CHECK(tandem::dialog::uac_dialog_id(inv).error() == dialog_errc::wrong_message_kind);
        CHECK(tandem::dialog::uas_dialog_id(rsp).error() == dialog_errc::wrong_message_kind);
    }
}

TEST_CASE("UAS dialog from an INVITE and our 180 / 200 (RFC 3261 12.1.1)", "[dialog]") {
    auto inv = invite();

    auto d = dialog::uas(inv, response(inv, 200));
    REQUIRE(d);
    CHECK(d->current() == dialog::state::confirmed);
    CHECK(d->side() == dialog::role::uas);
    CHECK(d->id() == dialog_id{std::string(call_id), "a6c85cf", "1928301774"});
    // route set = Record-Route of the request, in order
    REQUIRE(d->route_set().size() == 2);
    CHECK(d->route_set()[0].value == "<sip:p2.example.com;lr>");
    CHECK(d->route_set()[1].value == "<sip:p1.example.com;lr>");
    CHECK(d->route_set()[0].lr);
    CHECK(d->remote_target() == alice_contact);
    CHECK(d->remote_cseq() == 314159u);
    CHECK_FALSE(d->local_cseq());
    CHECK(d->invite_cseq() == 314159u);
    CHECK(d->local_uri() == "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf");
    CHECK(d->remote_uri() == "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
    CHECK(d->local_target() == bob_contact);
    CHECK_FALSE(d->secure());
    CHECK(d->awaiting_ack());

    SECTION("a 180 makes an early dialog; the 200 we send confirms it") {
        auto e = dialog::uas(inv, response(inv, 180));
        REQUIRE(e);
        CHECK(e->current() == dialog::state::early);
        CHECK(e->uas_invite_pending());
        e->on_response_sent(response(inv, 200));
        CHECK(e->current() == dialog::state::confirmed);
        CHECK_FALSE(e->uas_invite_pending());
        CHECK(e->awaiting_ack());
        // the ACK for our 2xx
        auto ack = from_alice("ACK", 314159);
        CHECK_FALSE(e->on_request(ack));
        CHECK_FALSE(e->awaiting_ack());
    }
    SECTION("a 180 then a 486 we send: the early dialog ends (12.3)") {
        auto e = dialog::uas(inv, response(inv, 180));
        REQUIRE(e);
        e->on_response_sent(response(inv, 486));
        CHECK(e->current() == dialog::state::terminated);
    }
    SECTION("secure: sips Request-URI over TLS") {
        invite_spec s;
        s.ruri = "sips:bob@biloxi.example.com";
        s.via = "SIP/2.0/TLS pc33.atlanta.example.com;branch=z9hG4bK776asdhds";
        auto si = request(s);
        auto sd = dialog::uas(si, response(si, 200));
        REQUIRE(sd);
        CHECK(sd->secure());
        auto over_tcp = dialog::uas(si, response(si, 200), false);
        REQUIRE(over_tcp);
        CHECK_FALSE(over_tcp->secure());
    }
    SECTION("no Record-Route: empty route set; requests go to the remote target") {
        invite_spec s;
        s.record_route = {};
        auto i2 = request(s);
        auto d2 = dialog::uas(i2, response(i2, 200));
        REQUIRE(d2);
        CHECK(d2->route_set().empty());
        auto bye = d2->make_request("BYE");
        REQUIRE(bye);
        CHECK(bye->request_uri_text() == alice_contact);
        CHECK_FALSE(bye->has_header(msg::header_id::route));
    }
}

TEST_CASE("UAC dialog from our INVITE and a 200 (RFC 3261 12.1.2)", "[dialog]") {
    auto inv = invite();
    auto ok = response(inv, 200);
    auto d = dialog::uac(inv, ok);
    REQUIRE(d);
    CHECK(d->current() == dialog::state::confirmed);
    CHECK(d->side() == dialog::role::uac);
    CHECK(d->id() == dialog_id{std::string(call_id), "1928301774", "a6c85cf"});
    // route set = Record-Route of the response, reversed
    REQUIRE(d->route_set().size() == 2);
    CHECK(d->route_set()[0].value == "<sip:p1.example.com;lr>");
    CHECK(d->route_set()[1].value == "<sip:p2.example.com;lr>");
    CHECK(d->remote_target() == bob_contact);
    CHECK(d->local_cseq() == 314159u);
    CHECK_FALSE(d->remote_cseq());
    CHECK(d->local_uri() == "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
    CHECK(d->remote_uri() == "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf");
    CHECK(d->local_target() == alice_contact);

    SECTION("the 2xx ACK (13.2.2.4)") {
        auto ack = d->make_ack(ok, {.via = "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnew"});
        REQUIRE(ack);
        CHECK(ack->method() == msg::method_id::ack);
        CHECK(ack->request_uri_text() == bob_contact);
        CHECK(routes(*ack) == std::vector<std::string>{"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"});
        CHECK(ack->header(msg::header_id::cseq) == "314159 ACK");
        CHECK(ack->header(msg::header_id::to) == "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf");
        CHECK(ack->header(msg::header_id::from) == "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
        CHECK(ack->call_id() == call_id);
        CHECK_FALSE(ack->has_header(msg::header_id::contact));
        CHECK(ack->top_via()->branch() == "z9hG4bKnew");
        CHECK(d->local_cseq() == 314159u); // untouched
    }
    SECTION("make_ack refuses a response that is not a 2xx to an INVITE of this dialog") {
        CHECK(d->make_ack(response(inv, 486)).error() == dialog_errc::wrong_message_kind);
        CHECK(d->make_ack(response(inv, 200, "other")).error() == dialog_errc::dialog_mismatch);
        CHECK(d->make_ack(inv).error() == dialog_errc::wrong_message_kind);
    }
    SECTION("a 180 with a tag makes an early dialog, the 200 confirms it and recomputes the route set") {
        auto early = dialog::uac(inv, response(inv, 180, "a6c85cf", "<sip:bob@192.0.2.99>"));
        REQUIRE(early);
        CHECK(early->current() == dialog::state::early);
        CHECK(early->remote_target() == "sip:bob@192.0.2.99");
        CHECK(early->uac_invite_pending());
        invite_spec s;
        s.record_route = {"<sip:p3.example.com;lr>", "<sip:p1.example.com;lr>"};
        auto ok2 = response(request(s), 200);
        REQUIRE(early->on_response(ok2));
        CHECK(early->current() == dialog::state::confirmed);
        CHECK_FALSE(early->uac_invite_pending());
        CHECK(early->remote_target() == bob_contact);
        REQUIRE(early->route_set().size() == 2);
        CHECK(early->route_set()[0].uri == "sip:p1.example.com;lr");
        CHECK(early->route_set()[1].uri == "sip:p3.example.com;lr");
    }
    SECTION("a 180 without Contact: the Request-URI stands in until one comes") {
        auto early = dialog::uac(inv, response(inv, 180, "a6c85cf", ""));
        REQUIRE(early);
        CHECK(early->remote_target() == "sip:bob@biloxi.example.com");
        REQUIRE(early->on_response(response(inv, 183, "a6c85cf", "<sip:bob@192.0.2.7>")));
        CHECK(early->current() == dialog::state::early);
        CHECK(early->remote_target() == "sip:bob@192.0.2.7");
    }
    SECTION("a 180 then a 603: the early dialog is terminated (12.3)") {
        auto early = dialog::uac(inv, response(inv, 180));
        REQUIRE(early);
        REQUIRE(early->on_response(response(inv, 603)));
        CHECK(early->current() == dialog::state::terminated);
    }
}

TEST_CASE("in-dialog requests: loose routing (RFC 3261 12.2.1.1)", "[dialog]") {
    auto inv = invite();
    auto d = dialog::uas(inv, response(inv, 200));
    REQUIRE(d);

    auto bye = d->make_request("BYE");
    REQUIRE(bye);
    CHECK(bye->method() == msg::method_id::bye);
    CHECK(bye->request_uri_text() == alice_contact);
    CHECK(routes(*bye) == std::vector<std::string>{"<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"});
    CHECK(bye->header(msg::header_id::from) == "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf");
    CHECK(bye->header(msg::header_id::to) == "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
    CHECK(bye->call_id() == call_id);
    CHECK(bye->header(msg::header_id::cseq) == "1 BYE"); // UAS local CSeq was empty
    CHECK(bye->max_forwards().value_or(0) == 70);
    CHECK_FALSE(bye->has_header(msg::header_id::contact)); // not a target refresh
    CHECK_FALSE(bye->has_header(msg::header_id::via));     // the sender adds it
    CHECK(d->local_cseq() == 1u);

    SECTION("the local CSeq grows by one per request; re-INVITE carries our Contact") {
        d->set_local_target("sip:b2bua@198.51.100.1:5080");
        auto reinv = d->make_request("INVITE", {.body = "v=0\r\n", .content_type = "application/sdp"});
        REQUIRE(reinv);
        CHECK(reinv->header(msg::header_id::cseq) == "2 INVITE");
        CHECK(reinv->header(msg::header_id::contact) == "<sip:b2bua@198.51.100.1:5080>");
        CHECK(reinv->body() == "v=0\r\n");
        CHECK(reinv->header(msg::header_id::content_type) == "application/sdp");
        CHECK(d->invite_cseq() == 2u);
        // ACK and CANCEL keep the INVITE's number and do not consume one
        auto cancel = d->make_request("CANCEL");
        REQUIRE(cancel);
        CHECK(cancel->header(msg::header_id::cseq) == "2 CANCEL");
        auto ack = d->make_request("ACK");
        REQUIRE(ack);
        CHECK(ack->header(msg::header_id::cseq) == "2 ACK");
        // 14.1: no second INVITE while this one is in progress
        CHECK(d->make_request("INVITE").error() == dialog_errc::invite_in_progress);
        auto upd = d->make_request("UPDATE");
        REQUIRE(upd);
        CHECK(upd->header(msg::header_id::cseq) == "3 UPDATE");
        CHECK(upd->header(msg::header_id::contact) == "<sip:b2bua@198.51.100.1:5080>");
        auto info = d->make_request("INFO", {.extra_headers = "Info-Package: dtmf\r\n"});
        REQUIRE(info);
        CHECK(info->header(msg::header_id::cseq) == "4 INFO");
        CHECK(info->header("Info-Package") == "dtmf");
        CHECK(d->local_cseq() == 4u);
    }
    SECTION("a Via given is written on top") {
        auto r = d->make_request("OPTIONS", {.via = "SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKx1"});
        REQUIRE(r);
        CHECK(r->top_via()->branch() == "z9hG4bKx1");
    }
    SECTION("a method that is not a token is refused, the CSeq is not consumed") {
        CHECK(d->make_request("BAD METHOD").error() == dialog_errc::build_failed);
        CHECK(d->local_cseq() == 1u);
    }
}

TEST_CASE("in-dialog requests: strict routing (RFC 3261 12.2.1.1, 16.12.1.1)", "[dialog]") {
    invite_spec s;
    s.record_route = {"<sip:strict.example.com;transport=tcp?x=y>", "<sip:p1.example.com;lr>"};
    auto inv = request(s);
    auto d = dialog::uas(inv, response(inv, 200));
    REQUIRE(d);
    REQUIRE(d->route_set().size() == 2);
    CHECK_FALSE(d->route_set()[0].lr);

    auto bye = d->make_request("BYE");
    REQUIRE(bye);
    // first route as Request-URI, stripped of what a Request-URI may not carry
    CHECK(bye->request_uri_text() == "sip:strict.example.com;transport=tcp");
    // the rest of the route set, then the remote target
    CHECK(routes(*bye) ==
          std::vector<std::string>{"<sip:p1.example.com;lr>", "<sip:alice@pc33.atlanta.example.com>"});

    SECTION("UAC side: the strict router is the last in the 200's Record-Route") {
        invite_spec s2;
        s2.record_route = {"<sip:p2.example.com;lr>", "<sip:strict.example.com;method=INVITE>"};
        auto inv2 = request(s2);
        auto ok = response(inv2, 200);
        auto u = dialog::uac(inv2, ok);
        REQUIRE(u);
        auto ack = u->make_ack(ok);
        REQUIRE(ack);
        CHECK(ack->request_uri_text() == "sip:strict.example.com");
        CHECK(routes(*ack) == std::vector<std::string>{"<sip:p2.example.com;lr>", "<sip:bob@192.0.2.4>"});
        CHECK(ack->header(msg::header_id::cseq) == "314159 ACK");
    }
}

TEST_CASE("remote target refresh (RFC 3261 12.2.1.2, 12.2.2)", "[dialog]") {
    auto inv = invite();
    auto d = dialog::uas(inv, response(inv, 200));
    REQUIRE(d);

    SECTION("by a re-INVITE received") {
        CHECK_FALSE(d->on_request(from_alice("INVITE", 314160, "<sip:alice@192.0.2.50:5062>")));
        CHECK(d->remote_target() == "sip:alice@192.0.2.50:5062");
        CHECK(d->uas_invite_pending());
    }
    SECTION("by an UPDATE received") {
        CHECK_FALSE(d->on_request(from_alice("UPDATE", 314160, "<sip:alice@192.0.2.51>")));
        CHECK(d->remote_target() == "sip:alice@192.0.2.51");
    }
    SECTION("not by an INFO, nor by a refresh without Contact") {
        CHECK_FALSE(d->on_request(from_alice("INFO", 314160, "<sip:alice@192.0.2.52>")));
        CHECK(d->remote_target() == alice_contact);
        CHECK_FALSE(d->on_request(from_alice("UPDATE", 314161)));
        CHECK(d->remote_target() == alice_contact);
    }
    SECTION("a malformed Contact in a refresh: 400, target kept") {
        std::string text = from_alice("UPDATE", 314160, "<sip:alice@192.0.2.51>").serialize();
        text.replace(text.find("sip:alice@192.0.2.51"), 20, "sip:@@bad");
        auto r = d->on_request(lax_parse(text));
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(d->remote_target() == alice_contact);
    }
    SECTION("by the 2xx to our re-INVITE, not by a failed one") {
        auto reinv = d->make_request("INVITE");
        REQUIRE(reinv);
        REQUIRE(d->on_response(parse(msg::make_response_text(*reinv, 491, {}, {}, ""))));
        CHECK_FALSE(d->uac_invite_pending());
        CHECK(d->current() == dialog::state::confirmed);
        CHECK(d->remote_target() == alice_contact);
        auto reinv2 = d->make_request("INVITE");
        REQUIRE(reinv2);
        auto ok = parse(msg::make_response_text(*reinv2, 200, {}, {}, "Contact: <sip:alice@192.0.2.60>\r\n"));
        REQUIRE(d->on_response(ok));
        CHECK(d->remote_target() == "sip:alice@192.0.2.60");
        auto ack = d->make_ack(ok);
        REQUIRE(ack);
        CHECK(ack->request_uri_text() == "sip:alice@192.0.2.60");
        CHECK(ack->header(msg::header_id::cseq) == "2 ACK");
    }
    SECTION("by the 2xx to our UPDATE") {
        auto upd = d->make_request("UPDATE");
        REQUIRE(upd);
        REQUIRE(d->on_response(
            parse(msg::make_response_text(*upd, 200, {}, {}, "Contact: <sip:a@192.0.2.61>\r\n"))));
        CHECK(d->remote_target() == "sip:a@192.0.2.61");
    }
}

TEST_CASE("CSeq rules of requests received (RFC 3261 12.2.2)", "[dialog]") {
    auto inv = invite();
    auto d = dialog::uas(inv, response(inv, 200));
    REQUIRE(d);
    CHECK_FALSE(d->on_request(from_alice("ACK", 314159)));

    SECTION("lower: 500") {
        auto r = d->on_request(from_alice("INFO", 314158));
        REQUIRE(r);
        CHECK(r->status == 500);
        CHECK(d->remote_cseq() == 314159u);
    }
    SECTION("equal: 500 (an old number on a new request)") {
        auto r = d->on_request(from_alice("INFO", 314159));
        REQUIRE(r);
        CHECK(r->status == 500);
    }
    SECTION("higher, even with gaps: accepted and remembered") {
        CHECK_FALSE(d->on_request(from_alice("INFO", 314170)));
        CHECK(d->remote_cseq() == 314170u);
        CHECK(d->on_request(from_alice("INFO", 314165))->status == 500);
    }
    SECTION("ACK and CANCEL are not ordered") {
        CHECK_FALSE(d->on_request(from_alice("INFO", 314160)));
        CHECK_FALSE(d->on_request(from_alice("ACK", 314159)));
        CHECK_FALSE(d->on_request(from_alice("CANCEL", 314159)));
        CHECK(d->remote_cseq() == 314160u);
    }
    SECTION("the first request of a UAC dialog sets the empty remote CSeq") {
        auto u = dialog::uac(inv, response(inv, 200));
        REQUIRE(u);
        CHECK_FALSE(u->remote_cseq());
        // Bob's BYE as Alice receives it: From Bob (tag a6c85cf), To Alice (tag 1928301774)
        invite_spec s;
        s.method = "BYE";
        s.ruri = std::string(alice_contact);
        s.record_route = {};
        s.from = "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf";
        s.to = "Alice <sip:alice@atlanta.example.com>;tag=1928301774";
        s.cseq = "5 BYE";
        s.contact = {};
        CHECK_FALSE(u->on_request(request(s)));
        CHECK(u->remote_cseq() == 5u);
        CHECK(u->current() == dialog::state::terminated);
    }
    SECTION("a CSeq that does not parse: 400") {
        invite_spec s;
        s.method = "INFO";
        s.to = "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf";
        s.cseq = "x INFO";
        std::string out;
        msg::message_writer w{out};
        w.request_line("INFO", "sip:bob@192.0.2.4").header("Via", s.via).header("To", s.to);
        w.header("From", s.from).header("Call-ID", call_id).header("CSeq", s.cseq).finish();
        auto r = d->on_request(lax_parse(out));
        REQUIRE(r);
        CHECK(r->status == 400);
    }
}

TEST_CASE("re-INVITE glare (RFC 3261 14.2)", "[dialog]") {
    auto inv = invite();
    auto d = dialog::uas(inv, response(inv, 200));
    REQUIRE(d);
    SECTION("our re-INVITE pending: 491") {
        REQUIRE(d->make_request("INVITE"));
        auto r = d->on_request(from_alice("INVITE", 314160, "<sip:alice@192.0.2.50>"));
        REQUIRE(r);
        CHECK(r->status == 491);
    }
    SECTION("their previous re-INVITE unanswered: 500 with Retry-After 0-10") {
        CHECK_FALSE(d->on_request(from_alice("INVITE", 314160)));
        auto r = d->on_request(from_alice("INVITE", 314161));
        REQUIRE(r);
        CHECK(r->status == 500);
        CHECK(r->header_name == "Retry-After");
        CHECK(std::stoi(r->header_value) <= 10);
        // once answered, the next one is fine
        d->on_response_sent(response(from_alice("INVITE", 314160), 200));
        CHECK_FALSE(d->on_request(from_alice("INVITE", 314162)));
    }
}

TEST_CASE("BYE and other endings (RFC 3261 15, 12.2.1.2)", "[dialog]") {
    auto inv = invite();
    auto d = dialog::uas(inv, response(inv, 200));
    REQUIRE(d);
    SECTION("a BYE received terminates; later requests get 481") {
        CHECK_FALSE(d->on_request(from_alice("BYE", 314160)));
        CHECK(d->current() == dialog::state::terminated);
        auto r = d->on_request(from_alice("INFO", 314161));
        REQUIRE(r);
        CHECK(r->status == 481);
        CHECK(d->make_request("INFO").error() == dialog_errc::terminated);
    }
    SECTION("the final response to our BYE terminates, but not a challenge") {
        auto bye = d->make_request("BYE");
        REQUIRE(bye);
        REQUIRE(d->on_response(parse(msg::make_response_text(*bye, 407))));
        CHECK(d->current() == dialog::state::confirmed);
        auto bye2 = d->make_request("BYE");
        REQUIRE(bye2);
        CHECK(bye2->header(msg::header_id::cseq) == "2 BYE");
        REQUIRE(d->on_response(parse(msg::make_response_text(*bye2, 200))));
        CHECK(d->current() == dialog::state::terminated);
    }
    SECTION("481 or 408 to any request terminates") {
        for (int code : {481, 408}) {
            auto e = dialog::uas(inv, response(inv, 200));
            REQUIRE(e);
            auto info = e->make_request("INFO");
            REQUIRE(info);
            REQUIRE(e->on_response(parse(msg::make_response_text(*info, code))));
            CHECK(e->current() == dialog::state::terminated);
        }
    }
    SECTION("a request of another dialog gets 481") {
        auto r = d->on_request(from_alice("INFO", 314160, {}, "othertag"));
        REQUIRE(r);
        CHECK(r->status == 481);
        CHECK_FALSE(d->on_request(from_alice("ACK", 314159, {}, "othertag"))); // never answered
    }
    SECTION("a response of another dialog is refused") {
        auto info = d->make_request("INFO");
        REQUIRE(info);
        auto other = from_alice("INFO", 1, {}, "othertag");
        CHECK(d->on_response(parse(msg::make_response_text(other, 200))).error() ==
              dialog_errc::dialog_mismatch);
    }
}

TEST_CASE("bad input gives an error, never a crash", "[dialog]") {
    auto inv = invite();
    SECTION("a 2xx without Contact cannot create a UAC dialog") {
        CHECK(dialog::uac(inv, response(inv, 200, "a6c85cf", "")).error() == dialog_errc::missing_contact);
    }
    SECTION("a request without Contact cannot create a UAS dialog") {
        invite_spec s;
        s.contact = {};
        auto i2 = request(s);
        CHECK(dialog::uas(i2, response(i2, 200)).error() == dialog_errc::missing_contact);
    }
    SECTION("Contact: * or several bad forms") {
        CHECK(dialog::uac(inv, response(inv, 200, "a6c85cf", "*")).error() == dialog_errc::bad_contact);
    }
    SECTION("missing tags") {
        CHECK(dialog::uac(inv, response(inv, 200, "")).error() == dialog_errc::missing_remote_tag);
        CHECK(dialog::uas(inv, response(inv, 200, "")).error() == dialog_errc::missing_local_tag);
        invite_spec s;
        s.from = "Alice <sip:alice@atlanta.example.com>";
        auto no_from_tag = request(s);
        CHECK(dialog::uac(no_from_tag, response(no_from_tag, 200)).error() == dialog_errc::missing_local_tag);
        // RFC 2543 compatibility (12.1.1): a UAS accepts a request without From tag
        auto d = dialog::uas(no_from_tag, response(no_from_tag, 200));
        REQUIRE(d);
        CHECK(d->id().remote_tag.empty());
    }
    SECTION("responses that create no dialog") {
        CHECK(dialog::uac(inv, parse(msg::make_response_text(inv, 100))).error() ==
              dialog_errc::not_dialog_creating);
        CHECK(dialog::uac(inv, response(inv, 404)).error() == dialog_errc::not_dialog_creating);
        CHECK(dialog::uas(inv, response(inv, 302)).error() == dialog_errc::not_dialog_creating);
        CHECK(dialog::uac(inv, inv).error() == dialog_errc::wrong_message_kind);
    }
    SECTION("a response to another call") {
        invite_spec s;
        s.from = "Alice <sip:alice@atlanta.example.com>;tag=other";
        auto other = request(s);
        CHECK(dialog::uac(inv, response(other, 200)).error() == dialog_errc::dialog_mismatch);
    }
    SECTION("malformed Record-Route (parsed without syntax checks, as the transaction layer does)") {
        for (std::string rr : {"<sip:p1.example.com;lr", "<sip:p1.example.com>, , <sip:p2>", "<sip:@>",
                               "\"unterminated <sip:p1>", "<sip:p1>;=bad"}) {
            INFO(rr);
            std::string text = inv.serialize();
            text.insert(text.find("Max-Forwards"), "Record-Route: " + rr + "\r\n");
            auto bad = lax_parse(text);
            CHECK(dialog::uas(bad, response(inv, 200)).error() == dialog_errc::bad_record_route);
            std::string rsp = response(inv, 200).serialize();
            rsp.insert(rsp.find("Call-ID"), "Record-Route: " + rr + "\r\n");
            CHECK(dialog::uac(inv, lax_parse(rsp)).error() == dialog_errc::bad_record_route);
        }
    }
    SECTION("malformed Contact, From, To, CSeq") {
        std::string rsp = response(inv, 200).serialize();
        auto c = rsp.find("Contact:");
        std::string bad_contact =
            rsp.substr(0, c) + "Contact: <sip:bob@192.0.2.4\r\n" + rsp.substr(rsp.find("\r\n", c) + 2);
        CHECK(dialog::uac(inv, lax_parse(bad_contact)).error() == dialog_errc::bad_contact);
        std::string t = inv.serialize();
        auto f = t.find("From:");
        std::string bad_from = t.substr(0, f) + "From: <<<\r\n" + t.substr(t.find("\r\n", f) + 2);
        CHECK(dialog::uas(lax_parse(bad_from), response(inv, 200)).error() == dialog_errc::bad_from_to);
        auto q = t.find("CSeq:");
        std::string bad_cseq = t.substr(0, q) + "CSeq: many INVITE\r\n" + t.substr(t.find("\r\n", q) + 2);
        CHECK(dialog::uas(lax_parse(bad_cseq), response(inv, 200)).error() == dialog_errc::bad_cseq);
        auto k = t.find("Call-ID:");
        std::string no_call_id = t.substr(0, k) + t.substr(t.find("\r\n", k) + 2);
        CHECK(dialog::uas(lax_parse(no_call_id), response(inv, 200)).error() == dialog_errc::missing_call_id);
    }
    SECTION("a default dialog is terminated and builds nothing") {
        dialog d;
        CHECK(d.current() == dialog::state::terminated);
        CHECK(d.make_request("BYE").error() == dialog_errc::terminated);
        CHECK(d.on_request(from_alice("BYE", 1))->status == 481);
        CHECK(d.on_response(response(inv, 200)));
    }
}
