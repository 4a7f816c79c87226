#include <tandem/dialog/dialog_set.hpp>

#include <tandem/message/serializer.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

// The dialogs of one user agent: 481 for unmatched in-dialog requests (RFC 3261 12.2.2) and
// a forked INVITE on the UAC side (12.1.2, 13.2.2.4): a B2BUA's leg B calls bob@biloxi, whose
// proxy forks to two phones (To tags "fork1" at 192.0.2.11 and "fork2" at 192.0.2.12).

namespace msg = tandem::message;
using tandem::dialog::dialog;
using tandem::dialog::dialog_errc;
using tandem::dialog::dialog_id;
using tandem::dialog::dialog_set;
using tandem::dialog::invite_outcome;
using tandem::dialog::request_disposition;

namespace {

constexpr std::string_view call_id = "leg-b-7f3a9@198.51.100.1";

msg::message parse(const std::string& s) {
    auto m = msg::message::parse(s);
    INFO(s);
    REQUIRE(m);
    return std::move(*m);
}

msg::message invite() {
    std::string out;
    msg::message_writer w{out};
    w.request_line("INVITE", "sip:bob@biloxi.example.com")
        .header("Via", "SIP/2.0/UDP 198.51.100.1:5080;branch=z9hG4bKlegb1")
        .header("Max-Forwards", "70")
        .header("To", "<sip:bob@biloxi.example.com>")
        .header("From", "<sip:alice@atlanta.example.com>;tag=b2b-1")
        .header("Call-ID", call_id)
        .header("CSeq", "1 INVITE")
        .header("Contact", "<sip:b2bua@198.51.100.1:5080>")
        .finish();
    return parse(out);
}

msg::message fork_response(const msg::message& inv, int status, std::string_view tag, std::string_view host) {
    std::string extra = "Record-Route: <sip:proxy.biloxi.example.com;lr>\r\n";
    if (!host.empty()) extra.append("Contact: <sip:bob@").append(host).append(">\r\n");
    return parse(msg::make_response_text(inv, status, {}, tag, extra));
}

// A request the far end sends us within the dialog (From its tag, To ours).
msg::message incoming(std::string_view method, std::string_view to_tag, std::string_view from_tag = "fork1",
                      std::uint32_t cseq = 10) {
    std::string out;
    msg::message_writer w{out};
    w.request_line(method, "sip:b2bua@198.51.100.1:5080")
        .header("Via", "SIP/2.0/UDP 192.0.2.11;branch=z9hG4bKin1")
        .header("Max-Forwards", "70")
        .header("From", std::string("<sip:bob@biloxi.example.com>;tag=") + std::string(from_tag));
    if (to_tag.empty())
        w.header("To", "<sip:alice@atlanta.example.com>");
    else
        w.header("To", std::string("<sip:alice@atlanta.example.com>;tag=") + std::string(to_tag));
    w.header("Call-ID", call_id).header("CSeq", std::to_string(cseq) + " " + std::string(method)).finish();
    return parse(out);
}

dialog_id id_of(std::string_view remote) { return {std::string(call_id), "b2b-1", std::string(remote)}; }

} // namespace

TEST_CASE("forked INVITE: two early dialogs, the first 200 wins (RFC 3261 12.1.2, 13.2.2.4)", "[dialog]") {
    dialog_set set;
    auto inv = invite();

    auto trying = set.on_invite_response(inv, parse(msg::make_response_text(inv, 100)));
    REQUIRE(trying);
    CHECK(trying->outcome == invite_outcome::no_dialog);
    CHECK(set.empty());

    auto r1 = set.on_invite_response(inv, fork_response(inv, 180, "fork1", "192.0.2.11"));
    REQUIRE(r1);
    CHECK(r1->outcome == invite_outcome::new_early);
    REQUIRE(r1->target);
    CHECK(r1->target->current() == dialog::state::early);
    auto r2 = set.on_invite_response(inv, fork_response(inv, 180, "fork2", "192.0.2.12"));
    REQUIRE(r2);
    CHECK(r2->outcome == invite_outcome::new_early);
    CHECK(set.size() == 2);
    dialog* d1 = set.find(id_of("fork1"));
    dialog* d2 = set.find(id_of("fork2"));
    REQUIRE(d1);
    REQUIRE(d2);
    CHECK(d1->remote_target() == "sip:bob@192.0.2.11");
    CHECK(d2->remote_target() == "sip:bob@192.0.2.12");

    auto r1b = set.on_invite_response(inv, fork_response(inv, 183, "fork1", "192.0.2.111"));
    REQUIRE(r1b);
    CHECK(r1b->outcome == invite_outcome::refreshed_early);
    CHECK(r1b->target == d1);
    CHECK(d1->remote_target() == "sip:bob@192.0.2.111");

    // fork 2 answers first
    auto ok2 = fork_response(inv, 200, "fork2", "192.0.2.12");
    auto c = set.on_invite_response(inv, ok2);
    REQUIRE(c);
    CHECK(c->outcome == invite_outcome::confirmed);
    CHECK(c->target == d2);
    CHECK(c->terminated == 1);
    CHECK(d2->current() == dialog::state::confirmed);
    CHECK(d1->current() == dialog::state::terminated);
    auto ack2 = d2->make_ack(ok2);
    REQUIRE(ack2);
    CHECK(ack2->request_uri_text() == "sip:bob@192.0.2.12");
    CHECK(ack2->header(msg::header_id::cseq) == "1 ACK");
    CHECK(ack2->header(msg::header_id::to) == "<sip:bob@biloxi.example.com>;tag=fork2");

    SECTION("a retransmitted 200 of the winner: ACK again") {
        auto again = set.on_invite_response(inv, ok2);
        REQUIRE(again);
        CHECK(again->outcome == invite_outcome::retransmission);
        CHECK(again->target == d2);
    }
    SECTION("a late 180 from fork 1 is ignored") {
        auto late = set.on_invite_response(inv, fork_response(inv, 180, "fork1", "192.0.2.11"));
        REQUIRE(late);
        CHECK(late->outcome == invite_outcome::ignored);
    }
    SECTION("a late 200 from fork 1: ACK it, then BYE it") {
        auto ok1 = fork_response(inv, 200, "fork1", "192.0.2.11");
        auto extra = set.on_invite_response(inv, ok1);
        REQUIRE(extra);
        CHECK(extra->outcome == invite_outcome::confirmed_extra_fork_must_ack_and_bye);
        dialog* x = extra->target;
        REQUIRE(x);
        CHECK(x->id() == id_of("fork1"));
        CHECK(x->current() == dialog::state::confirmed);
        CHECK(set.find(id_of("fork2")) == d2); // the winner is untouched
        CHECK(d2->current() == dialog::state::confirmed);

        auto ack = x->make_ack(ok1, {.via = "SIP/2.0/UDP 198.51.100.1:5080;branch=z9hG4bKack1"});
        REQUIRE(ack);
        CHECK(ack->method() == msg::method_id::ack);
        CHECK(ack->request_uri_text() == "sip:bob@192.0.2.11");
        CHECK(ack->header(msg::header_id::cseq) == "1 ACK");
        CHECK(ack->header(msg::header_id::to) == "<sip:bob@biloxi.example.com>;tag=fork1");
        CHECK(ack->header(msg::header_id::from) == "<sip:alice@atlanta.example.com>;tag=b2b-1");
        CHECK(ack->header(msg::header_id::route) == "<sip:proxy.biloxi.example.com;lr>");

        auto bye = x->make_request("BYE");
        REQUIRE(bye);
        CHECK(bye->request_uri_text() == "sip:bob@192.0.2.11");
        CHECK(bye->header(msg::header_id::cseq) == "2 BYE");
        CHECK(bye->header(msg::header_id::to) == "<sip:bob@biloxi.example.com>;tag=fork1");
        CHECK(bye->header(msg::header_id::route) == "<sip:proxy.biloxi.example.com;lr>");
        CHECK(bye->call_id() == call_id);

        // its retransmission only needs the ACK again
        auto again = set.on_invite_response(inv, ok1);
        REQUIRE(again);
        CHECK(again->outcome == invite_outcome::retransmission);
        CHECK(again->target == x);

        REQUIRE(x->on_response(parse(msg::make_response_text(*bye, 200))));
        CHECK(x->current() == dialog::state::terminated);
        CHECK(set.erase_terminated() == 1);
        CHECK(set.size() == 1);
    }
}

TEST_CASE("forked INVITE: a 200 from a fork that sent no 1xx, and failure", "[dialog]") {
    dialog_set set;
    auto inv = invite();
    REQUIRE(set.on_invite_response(inv, fork_response(inv, 180, "fork1", "192.0.2.11")));

    SECTION("the 200 creates its dialog confirmed and ends the other early one") {
        auto c = set.on_invite_response(inv, fork_response(inv, 200, "fork2", "192.0.2.12"));
        REQUIRE(c);
        CHECK(c->outcome == invite_outcome::confirmed);
        CHECK(c->terminated == 1);
        REQUIRE(c->target);
        CHECK(c->target->id() == id_of("fork2"));
        CHECK(set.find(id_of("fork1"))->current() == dialog::state::terminated);
    }
    SECTION("a 486 terminates every early dialog (12.3)") {
        REQUIRE(set.on_invite_response(inv, fork_response(inv, 183, "fork2", "192.0.2.12")));
        auto f = set.on_invite_response(inv, parse(msg::make_response_text(inv, 486, {}, "fork3")));
        REQUIRE(f);
        CHECK(f->outcome == invite_outcome::failed);
        CHECK(f->terminated == 2);
        CHECK(set.find(id_of("fork1"))->current() == dialog::state::terminated);
        CHECK(set.find(id_of("fork2"))->current() == dialog::state::terminated);
        CHECK(set.erase_terminated() == 2);
        CHECK(set.empty());
    }
    SECTION("bad responses are errors and change nothing") {
        // a 2xx without Contact
        auto nc = set.on_invite_response(inv, fork_response(inv, 200, "fork2", ""));
        CHECK(nc.error() == dialog_errc::missing_contact);
        // a 2xx without a To tag
        auto nt = set.on_invite_response(
            inv, parse(msg::make_response_text(inv, 200, {}, {}, "Contact: <sip:b@192.0.2.1>\r\n")));
        CHECK(nt.error() == dialog_errc::missing_remote_tag);
        // a 1xx without a To tag creates nothing
        auto nt1 = set.on_invite_response(inv, parse(msg::make_response_text(inv, 180)));
        REQUIRE(nt1);
        CHECK(nt1->outcome == invite_outcome::no_dialog);
        // not an INVITE response
        CHECK(set.on_invite_response(inv, inv).error() == dialog_errc::wrong_message_kind);
        CHECK(set.size() == 1);
        CHECK(set.find(id_of("fork1"))->current() == dialog::state::early);
    }
}

TEST_CASE("matching in-dialog requests, 481 otherwise (RFC 3261 12.2.2)", "[dialog]") {
    dialog_set set;
    auto inv = invite();
    auto c = set.on_invite_response(inv, fork_response(inv, 200, "fork1", "192.0.2.11"));
    REQUIRE(c);
    dialog* d = c->target;
    REQUIRE(d);

    auto bye = incoming("BYE", "b2b-1");
    CHECK(set.match(bye) == d);
    auto m = set.classify(bye);
    CHECK(m.disposition == request_disposition::in_dialog);
    CHECK(m.target == d);
    CHECK_FALSE(d->on_request(bye));
    CHECK(d->current() == dialog::state::terminated);

    auto unknown = incoming("INFO", "nosuchtag");
    CHECK(set.match(unknown) == nullptr);
    CHECK(set.classify(unknown).disposition == request_disposition::reject_481);
    CHECK(set.classify(incoming("INFO", "b2b-1", "otherfork")).disposition ==
          request_disposition::reject_481);
    CHECK(set.classify(incoming("ACK", "nosuchtag")).disposition == request_disposition::drop);
    auto fresh = incoming("INVITE", "");
    CHECK(set.match(fresh) == nullptr);
    CHECK(set.classify(fresh).disposition == request_disposition::outside_dialog);

    SECTION("a UAS dialog added to the set is matched by the peer's requests") {
        auto leg_a = incoming("INVITE", "");
        std::string rsp =
            msg::make_response_text(leg_a, 200, {}, "uas-tag", "Contact: <sip:b2bua@198.51.100.1>\r\n");
        // the INVITE above has no Contact: add one
        std::string text = leg_a.serialize();
        text.insert(text.find("Call-ID"), "Contact: <sip:bob@192.0.2.11>\r\n");
        auto with_contact = parse(text);
        auto uas = dialog::uas(with_contact, parse(rsp));
        REQUIRE(uas);
        dialog& added = set.add(std::move(*uas));
        auto info = incoming("INFO", "uas-tag", "fork1", 11);
        CHECK(set.match(info) == &added);
        dialog_id id = added.id(); // `added` dies with the erase
        CHECK(set.erase(id));
        CHECK_FALSE(set.erase(id));
        CHECK(set.classify(info).disposition == request_disposition::reject_481);
    }
}
