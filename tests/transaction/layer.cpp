#include <tandem/transaction/layer.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

using namespace tandem::transaction;
namespace msg = tandem::message;

namespace {

msg::message parse(const std::string& s) {
    msg::parse_options o;
    o.check_syntax = false;
    auto m = msg::message::parse(s, o);
    REQUIRE(m);
    return std::move(*m);
}

std::string request(std::string method, std::string branch = "z9hG4bKabc123", std::string cseq_method = {},
                    std::string to_tag = {}) {
    if (cseq_method.empty()) cseq_method = method;
    return method +
           " sip:bob@example.com SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 192.0.2.1:5060" +
           (branch.empty() ? std::string{} : ";branch=" + branch) +
           "\r\nMax-Forwards: 70\r\nTo: <sip:bob@example.com>" + (to_tag.empty() ? "" : ";tag=" + to_tag) +
           "\r\nFrom: <sip:alice@example.com>;tag=f1\r\nCall-ID: call-1@192.0.2.1\r\nCSeq: 7 " + cseq_method +
           "\r\nContent-Length: 0\r\n\r\n";
}

std::string response(int code, std::string method, std::string branch = "z9hG4bKabc123") {
    return "SIP/2.0 " + std::to_string(code) + " X\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=" + branch +
           "\r\nTo: <sip:bob@example.com>;tag=t9\r\nFrom: <sip:alice@example.com>;tag=f1\r\n"
           "Call-ID: call-1@192.0.2.1\r\nCSeq: 7 " +
           method + "\r\nContent-Length: 0\r\n\r\n";
}

std::vector<event> drain(layer& l) {
    std::vector<event> out;
    while (auto e = l.poll()) out.push_back(*e);
    return out;
}

template <class E>
std::vector<E> only(const std::vector<event>& es) {
    std::vector<E> out;
    for (auto& e : es)
        if (auto p = std::get_if<E>(&e)) out.push_back(*p);
    return out;
}

const flow udp{1, false};
const time_point t0{};

} // namespace

TEST_CASE("a new request creates a server transaction; retransmissions are absorbed",
          "[transaction][layer]") {
    layer l;
    l.on_message(parse(request("OPTIONS")), udp, t0);
    auto es = drain(l);
    auto got = only<request_received>(es);
    REQUIRE(got.size() == 1);
    CHECK(got[0].request->method() == msg::method_id::options);
    CHECK(got[0].from == udp);
    tx_id tx = got[0].tx;
    CHECK(l.size() == 1);
    // a retransmission before the answer: absorbed (17.2.2 Trying)
    l.on_message(parse(request("OPTIONS")), udp, t0);
    CHECK(drain(l).empty());
    // the answer goes to the request's flow
    auto ok = msg::make_response(*got[0].request, 200, {}, "tt");
    l.respond(tx, *ok, t0);
    auto sent = only<transmit>(drain(l));
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].to == udp);
    CHECK(msg::message::parse(sent[0].bytes)->status() == 200);
    // a retransmission now gets the final response again
    l.on_message(parse(request("OPTIONS")), udp, t0);
    CHECK(only<transmit>(drain(l)).size() == 1);
    // Timer J (64*T1) ends it
    l.on_time(t0 + milliseconds{32000});
    CHECK(only<transaction_ended>(drain(l)).size() == 1);
    l.on_time(t0 + milliseconds{32001});
    CHECK(l.size() == 0);
    CHECK_FALSE(l.next_deadline());
}

TEST_CASE("requests that fail validation are answered statelessly", "[transaction][layer]") {
    layer l;
    l.on_message(parse(request("FOO")), udp, t0);
    auto es = drain(l);
    auto sent = only<transmit>(es);
    REQUIRE(sent.size() == 1);
    CHECK(msg::message::parse(sent[0].bytes)->status() == 501);
    CHECK(only<request_received>(es).empty());
    CHECK(l.size() == 0);
    // no Via: nowhere to answer, dropped
    l.on_message(parse("OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n"), udp, t0);
    CHECK(drain(l).empty());
    // Max-Forwards 0 when forwarding: 483
    layer_config cfg;
    cfg.validation.forwarding = true;
    layer proxy(cfg);
    auto zero = request("INVITE");
    zero.replace(zero.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
    proxy.on_message(parse(zero), udp, t0);
    auto r = only<transmit>(drain(proxy));
    REQUIRE(r.size() == 1);
    CHECK(msg::message::parse(r[0].bytes)->status() == 483);
}

TEST_CASE("responses match client transactions by branch and CSeq method", "[transaction][layer]") {
    layer l;
    std::string branch = l.new_branch();
    auto invite = parse(request("INVITE", branch));
    tx_id tx = l.send_request(invite, udp, t0);
    auto first = only<transmit>(drain(l));
    REQUIRE(first.size() == 1);
    CHECK(first[0].to == udp);
    l.on_message(parse(response(180, "INVITE", branch)), udp, t0);
    auto rr = only<response_received>(drain(l));
    REQUIRE(rr.size() == 1);
    CHECK(rr[0].tx == tx);
    CHECK(rr[0].response->status() == 180);
    // same branch, other method: no match
    l.on_message(parse(response(200, "CANCEL", branch)), udp, t0);
    CHECK(only<response_received>(drain(l)).empty());
    // other branch: a 2xx that matches nothing is a stray for the UAC core
    l.on_message(parse(response(200, "INVITE", "z9hG4bKother")), udp, t0);
    CHECK(only<stray_response>(drain(l)).size() == 1);
    l.on_message(parse(response(486, "INVITE", "z9hG4bKother")), udp, t0);
    CHECK(drain(l).empty());
    // the final response: ACK generated by the transaction, then Timer D
    l.on_message(parse(response(486, "INVITE", branch)), udp, t0);
    auto es = drain(l);
    auto acks = only<transmit>(es);
    REQUIRE(acks.size() == 1);
    CHECK(msg::message::parse(acks[0].bytes)->method() == msg::method_id::ack);
    CHECK(only<response_received>(es).size() == 1);
}

TEST_CASE("a client transaction times out with Timer B", "[transaction][layer]") {
    layer l;
    tx_id tx = l.send_request(parse(request("INVITE", l.new_branch())), udp, t0);
    drain(l);
    int sends = 0;
    bool failed = false;
    // walk the deadlines
    while (auto d = l.next_deadline()) {
        l.on_time(*d);
        for (auto& e : drain(l)) {
            if (std::holds_alternative<transmit>(e)) ++sends;
            if (auto f = std::get_if<transaction_failed>(&e)) failed = f->tx == tx && f->timeout;
        }
    }
    CHECK(sends == 6); // retransmissions at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s
    CHECK(failed);
}

TEST_CASE("CANCEL: 200 for a match, 481 otherwise", "[transaction][layer]") {
    layer l;
    l.on_message(parse(request("INVITE")), udp, t0);
    auto inv = only<request_received>(drain(l));
    REQUIRE(inv.size() == 1);
    l.on_message(parse(request("CANCEL")), udp, t0);
    auto es = drain(l);
    auto c = only<cancel_received>(es);
    REQUIRE(c.size() == 1);
    CHECK(c[0].invite == inv[0].tx);
    auto sent = only<transmit>(es);
    REQUIRE(sent.size() == 1);
    auto ok = msg::message::parse(sent[0].bytes);
    CHECK(ok->status() == 200);
    CHECK(ok->cseq()->method == msg::method_id::cancel);
    l.on_message(parse(request("CANCEL", "z9hG4bKnothing")), udp, t0);
    auto nf = only<transmit>(drain(l));
    REQUIRE(nf.size() == 1);
    CHECK(msg::message::parse(nf[0].bytes)->status() == 481);
}

TEST_CASE("ACKs: non-2xx ACK absorbed by the transaction, 2xx ACK to the TU", "[transaction][layer]") {
    layer l;
    l.on_message(parse(request("INVITE")), udp, t0);
    auto inv = only<request_received>(drain(l));
    REQUIRE(inv.size() == 1);
    l.respond(inv[0].tx, *msg::make_response(*inv[0].request, 486, {}, "t9"), t0);
    drain(l);
    l.on_message(parse(request("ACK", "z9hG4bKabc123", "ACK", "t9")), udp, t0);
    CHECK(drain(l).empty()); // Completed -> Confirmed
    // an ACK with its own branch (for a 2xx) goes up
    l.on_message(parse(request("ACK", "z9hG4bK2xxack", "ACK", "t9")), udp, t0);
    CHECK(only<ack_received>(drain(l)).size() == 1);
}

TEST_CASE("RFC 2543 peers: transactions without a magic-cookie branch", "[transaction][layer]") {
    layer l;
    l.on_message(parse(request("INVITE", "")), udp, t0);
    auto inv = only<request_received>(drain(l));
    REQUIRE(inv.size() == 1);
    // the retransmission matches by Request-URI, From tag, Call-ID, CSeq and Via
    l.on_message(parse(request("INVITE", "")), udp, t0);
    CHECK(only<request_received>(drain(l)).empty());
    l.respond(inv[0].tx, *msg::make_response(*inv[0].request, 603, {}, "t9"), t0);
    drain(l);
    l.on_message(parse(request("ACK", "", "ACK", "t9")), udp, t0);
    CHECK(drain(l).empty());
    // a bare magic cookie is refused statelessly (RFC 4475 3.2.1)
    l.on_message(parse(request("OPTIONS", "z9hG4bK")), udp, t0);
    auto r = only<transmit>(drain(l));
    REQUIRE(r.size() == 1);
    CHECK(msg::message::parse(r[0].bytes)->status() == 400);
}

TEST_CASE("a transport failure ends the transactions on that flow", "[transaction][layer]") {
    layer l;
    const flow tcp{7, true};
    tx_id a = l.send_request(parse(request("OPTIONS", l.new_branch())), tcp, t0);
    tx_id b = l.send_request(parse(request("OPTIONS", l.new_branch())), udp, t0);
    drain(l);
    l.on_transport_error(tcp, t0);
    auto f = only<transaction_failed>(drain(l));
    REQUIRE(f.size() == 1);
    CHECK(f[0].tx == a);
    CHECK_FALSE(f[0].timeout);
    CHECK(b != a);
}

TEST_CASE("branches are unique and carry the magic cookie", "[transaction][layer]") {
    layer l;
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) {
        auto b = l.new_branch();
        CHECK(rfc3261_branch(b));
        CHECK(b.size() == 29);
        seen.insert(b);
    }
    CHECK(seen.size() == 10000);
    layer other;
    CHECK(other.new_branch() != layer{}.new_branch()); // seeded from random_device
}

TEST_CASE("the layer retransmits a 2xx to an INVITE until the ACK (13.3.1.4)", "[transaction][layer]") {
    layer l;
    l.on_message(parse(request("INVITE")), udp, t0);
    auto inv = only<request_received>(drain(l));
    REQUIRE(inv.size() == 1);
    l.respond(inv[0].tx, *msg::make_response(*inv[0].request, 200, {}, "t9"), t0);
    CHECK(only<transmit>(drain(l)).size() == 1);
    // T1, then 2*T1: the 2xx again
    l.on_time(t0 + milliseconds{500});
    CHECK(only<transmit>(drain(l)).size() == 1);
    l.on_time(t0 + milliseconds{1500});
    CHECK(only<transmit>(drain(l)).size() == 1);
    // the ACK (own branch) stops it
    l.on_message(parse(request("ACK", "z9hG4bKack", "ACK", "t9")), udp, t0 + milliseconds{1600});
    CHECK(only<ack_received>(drain(l)).size() == 1);
    l.on_time(t0 + milliseconds{3500});
    CHECK(only<transmit>(drain(l)).empty());

    SECTION("without an ACK the TU is told after 64*T1") {
        layer m;
        m.on_message(parse(request("INVITE")), udp, t0);
        auto i2 = only<request_received>(drain(m));
        m.respond(i2[0].tx, *msg::make_response(*i2[0].request, 200, {}, "t9"), t0);
        drain(m);
        int resent = 0;
        bool timeout = false;
        while (auto d = m.next_deadline()) {
            m.on_time(*d);
            for (auto& e : drain(m)) {
                resent += std::holds_alternative<transmit>(e);
                if (auto a = std::get_if<ack_timeout>(&e))
                    timeout = a->invite->call_id() == "call-1@192.0.2.1";
            }
        }
        CHECK(timeout);
        CHECK(resent == 10); // 0.5 1.5 3.5 7.5 11.5 15.5 19.5 23.5 27.5 31.5
    }
}
