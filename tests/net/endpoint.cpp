#include <tandem/b2bua/call.hpp>
#include <tandem/net/endpoint.hpp>

#include <catch2/catch.hpp>

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

// Endpoints against endpoints on virtual time, no sockets (as quinn-proto tests connections):
// a wire carries each `transmit` to the endpoint bound at its address, optionally losing some,
// and the clock jumps to the next deadline when nothing is in flight.

namespace msg = tandem::message;
namespace net = tandem::net;
namespace b2b = tandem::b2bua;
using tandem::transaction::time_point;
using tandem::transport::address;
using namespace std::chrono_literals;

namespace {

address at(std::uint16_t port) { return address{asio::ip::make_address("127.0.0.1"), port}; }

// One endpoint and what its application does with the events that are not transmissions.
struct node {
    explicit node(std::uint16_t port) : addr(at(port)) { ep.add_udp(addr); }
    net::endpoint ep;
    address addr;
    std::function<void(net::event&, time_point)> app = [](net::event&, time_point) {};
    // an application with a clock of its own (a B2BUA's calls)
    std::function<std::optional<time_point>()> app_deadline = [] { return std::nullopt; };
    std::function<void(time_point)> app_time = [](time_point) {};
    // inputs the application makes after the events drained (one input per drain: what a
    // queued transmission points to belongs to the endpoint until it is drained)
    std::vector<std::function<void(time_point)>> then;
};

struct wire {
    std::vector<node*> nodes;
    time_point now{};
    std::deque<std::pair<node*, tandem::transport::inbound>> in_flight;
    int sent = 0;
    // which datagrams (numbered from 1 in the order they were sent) are lost
    std::function<bool(int)> lose = [](int) { return false; };

    node* bound_at(const address& a) {
        for (node* n : nodes)
            if (n->addr == a) return n;
        return nullptr;
    }
    void drain(node& n) {
        while (true) {
            drain_events(n);
            if (n.then.empty()) return;
            auto next = std::move(n.then.front());
            n.then.erase(n.then.begin());
            next(now);
        }
    }
    void drain_events(node& n) {
        while (auto e = n.ep.poll()) {
            if (auto* t = std::get_if<net::transmit>(&*e)) {
                ++sent;
                node* to = bound_at(t->to);
                if (to && !lose(sent))
                    in_flight.push_back({to, tandem::transport::inbound{std::string(t->bytes), t->transport,
                                                                        n.addr, t->to, 0}});
            } else {
                n.app(*e, now);
            }
        }
    }
    // Runs until `done()` or until nothing is left to happen, or `limit` of virtual time passed.
    void run(const std::function<bool()>& done, std::chrono::milliseconds limit = 120s) {
        time_point end = now + limit;
        while (!done()) {
            for (node* n : nodes) drain(*n);
            if (!in_flight.empty()) {
                auto [to, datagram] = std::move(in_flight.front());
                in_flight.pop_front();
                REQUIRE_FALSE(to->ep.receive(datagram, now));
                continue;
            }
            if (done()) break;
            std::optional<time_point> next;
            for (node* n : nodes)
                for (auto d : {n->ep.next_deadline(), n->app_deadline()})
                    if (d && (!next || *d < *next)) next = d;
            if (!next || *next > end) break;
            now = std::max(now, *next);
            for (node* n : nodes) {
                n->ep.on_time(now);
                n->app_time(now);
            }
        }
        for (node* n : nodes) drain(*n);
    }
};

const std::string sdp_a = "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                          "m=audio 4000 RTP/AVP 0\r\n";
const std::string sdp_b = "v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                          "m=audio 5000 RTP/AVP 0\r\n";

msg::message invite_to(const std::string& ruri) {
    std::string s;
    msg::message_writer w{s};
    w.request_line("INVITE", ruri)
        .header("From", "<sip:alice@example.com>;tag=alice1")
        .header("To", "<sip:bob@example.com>")
        .header("Call-ID", "call-1@127.0.0.1")
        .header("CSeq", "1 INVITE")
        .header("Contact", "<sip:alice@127.0.0.1:5001>")
        .finish(sdp_a, "application/sdp");
    return std::move(*msg::message::parse(s));
}

// A caller: sends what it is told, keeps every response.
struct caller {
    node n{5001};
    std::vector<int> statuses;
    std::optional<msg::message> final;
    std::map<tandem::transaction::tx_id, int> finals; // per request: its final status
    caller() {
        n.app = [this](net::event& e, time_point) {
            if (auto* r = std::get_if<net::response_in>(&e)) {
                statuses.push_back(r->response->status());
                if (r->response->status() >= 200) {
                    finals[r->tx] = r->response->status();
                    if (r->response->cseq()->method == msg::method_id::invite) final = *r->response;
                }
            }
        };
    }
    tandem::transaction::tx_id send(msg::message req, time_point now) {
        auto hop = net::endpoint::route(req);
        REQUIRE(hop);
        auto flow = n.ep.udp_flow(hop->to, now);
        REQUIRE(flow);
        return n.ep.send(std::move(req), *hop, *flow, false, now);
    }
};

// A callee: 180 then 200 with SDP to an INVITE, 200 to the rest; keeps what it received.
struct callee {
    explicit callee(std::uint16_t port) : n(port) {
        n.app = [this](net::event& e, time_point now) {
            if (auto* r = std::get_if<net::request_in>(&e)) {
                requests.push_back(*r->request);
                std::string contact = "Contact: <sip:bob@" + tandem::transport::to_string(n.addr) + ">\r\n";
                auto ok = msg::make_response(*r->request, 200, {}, "bob1", contact);
                if (r->request->method() == msg::method_id::invite) {
                    n.ep.respond(r->tx, *msg::make_response(*r->request, 180, {}, "bob1", contact), now);
                    ok->set_body("application/sdp", sdp_b);
                    n.then.push_back([this, tx = r->tx, ok = *ok](time_point t) { n.ep.respond(tx, ok, t); });
                } else {
                    n.ep.respond(r->tx, *ok, now);
                }
            } else if (auto* a = std::get_if<net::ack_in>(&e)) {
                acks.push_back(*a->ack);
            }
        };
    }
    node n;
    std::vector<msg::message> requests;
    std::vector<msg::message> acks;
};

} // namespace

TEST_CASE("two endpoints on virtual time: INVITE, 180, 200, our ACK, BYE", "[net][endpoint]") {
    caller a;
    callee b{5002};
    wire w;
    w.nodes = {&a.n, &b.n};
    // a clean wire, and a lossy one: the first INVITE and the first 200 are lost, retransmissions
    // carry them (datagrams: 1 INVITE (lost), 2 INVITE again (Timer A), 3 180, 4 200 (lost), 5
    // 200 again)
    bool lossy = GENERATE(false, true);
    if (lossy) w.lose = [](int n) { return n == 1 || n == 4; };
    auto invite = invite_to("sip:bob@127.0.0.1:5002");
    a.send(invite, w.now);
    w.run([&] { return a.final && !b.acks.empty(); });
    REQUIRE(a.final);
    CHECK(a.final->status() == 200);
    CHECK(a.statuses.front() == 180);
    REQUIRE(b.acks.size() == 1);
    // our ACK comes from the dialog the 2xx made: to its Contact, same Call-ID and CSeq number
    CHECK(b.acks[0].request_uri_text() == "sip:bob@127.0.0.1:5002");
    CHECK(b.acks[0].cseq()->number == 1);
    CHECK(b.acks[0].to()->tag() == "bob1");
    REQUIRE_FALSE(b.requests.empty());
    CHECK(b.requests[0].top_via()->rport() == 5001);  // the Via fixed with where it came from
    if (lossy) CHECK(w.now >= time_point{} + 1000ms); // Timer A, then the 2xx's own T1

    // the caller hangs up, from the dialog the 2xx made
    auto d = tandem::dialog::dialog::uac(invite, *a.final);
    REQUIRE(d);
    auto bye = d->make_request("BYE");
    REQUIRE(bye);
    auto bye_tx = a.send(*bye, w.now);
    w.run([&] { return a.finals.count(bye_tx) > 0; });
    CHECK(a.finals[bye_tx] == 200);
    CHECK(b.requests.back().method() == msg::method_id::bye);
    // everything ends on its own: after the last timers no transaction is left anywhere
    w.run([] { return false; }, 60s);
    CHECK(a.n.ep.transactions() == 0);
    CHECK(b.n.ep.transactions() == 0);
}

TEST_CASE("a CANCEL waits for a provisional response, then ends the INVITE with 487", "[net][endpoint]") {
    caller a;
    node b{5002};
    tandem::transaction::tx_id ringing = 0;
    std::optional<msg::message> invite;
    int cancels = 0;
    b.app = [&](net::event& e, time_point now) {
        if (auto* r = std::get_if<net::request_in>(&e)) {
            ringing = r->tx;
            invite = *r->request;
            b.ep.respond(
                r->tx,
                *msg::make_response(*r->request, 180, {}, "bob1", "Contact: <sip:bob@127.0.0.1:5002>\r\n"),
                now);
        } else if (auto* c = std::get_if<net::cancel_in>(&e)) {
            // (the endpoint answered the CANCEL 200): the INVITE gets 487
            ++cancels;
            CHECK(c->invite == ringing);
            b.ep.respond(ringing, *msg::make_response(*invite, 487, {}, "bob1"), now);
        }
    };
    wire w;
    w.nodes = {&a.n, &b};
    auto tx = a.send(invite_to("sip:bob@127.0.0.1:5002"), w.now);
    a.n.ep.cancel(tx, w.now); // before any response: held until one comes (RFC 3261 9.1)
    w.run([&] { return a.finals.count(tx) > 0; });
    CHECK(cancels == 1);
    CHECK(a.statuses == std::vector<int>{180, 487});
    // the 487's ACK (the transaction's own) and the CANCEL's 200 end everything
    w.run([] { return false; }, 60s);
    CHECK(a.n.ep.transactions() == 0);
    CHECK(b.ep.transactions() == 0);
}

TEST_CASE("a whole bridged call on virtual time: caller, B2BUA (a call over an endpoint), callee",
          "[net][endpoint][b2bua]") {
    caller a;
    callee b{5003};
    // The B2BUA: one b2bua::call driven by an endpoint, as b2bua::service drives it on a stack.
    node mid{5002};
    b2b::no_media relay;
    std::optional<b2b::call<b2b::no_media>> c;
    std::map<tandem::transaction::tx_id, std::pair<b2b::leg, std::uint64_t>> sent; // tx -> (leg, ref)
    bool finished = false;
    auto leg_of = [&](const msg::message& m) {
        return m.call_id() == c->identity(b2b::leg::a).call_id ? b2b::leg::a : b2b::leg::b;
    };
    auto carry_out = [&](time_point now) {
        while (auto act = c->poll()) {
            std::visit(
                [&](auto& x) {
                    using X = std::decay_t<decltype(x)>;
                    if constexpr (std::is_same_v<X, b2b::respond>) {
                        mid.ep.respond(x.ref, x.response, now);
                    } else if constexpr (std::is_same_v<X, b2b::send_request> ||
                                         std::is_same_v<X, b2b::send_ack>) {
                        msg::message& m = [&]() -> msg::message& {
                            if constexpr (std::is_same_v<X, b2b::send_request>)
                                return x.request;
                            else
                                return x.ack;
                        }();
                        auto hop = net::endpoint::route(m);
                        REQUIRE(hop);
                        auto flow = mid.ep.udp_flow(hop->to, now);
                        REQUIRE(flow);
                        if constexpr (std::is_same_v<X, b2b::send_request>) {
                            bool invite = m.method() == msg::method_id::invite;
                            auto id = mid.ep.send(std::move(m), *hop, *flow, invite, now);
                            sent[id] = {x.to, x.ref};
                        } else {
                            mid.ep.ack(std::move(m), *hop, *flow, now);
                        }
                    } else if constexpr (std::is_same_v<X, b2b::cancel_request>) {
                        for (auto& [id, lr] : sent)
                            if (lr.second == x.ref) mid.ep.cancel(id, now);
                    } else if constexpr (std::is_same_v<X, b2b::finished>) {
                        finished = true;
                    }
                },
                *act);
        }
    };
    mid.app = [&](net::event& e, time_point now) {
        if (auto* r = std::get_if<net::request_in>(&e)) {
            if (!c) {
                c.emplace(
                    relay,
                    b2b::leg_identity{std::string(r->request->call_id()), "b2bA", "sip:b2bua@127.0.0.1:5002"},
                    b2b::leg_identity{"leg-b-1@127.0.0.1", "b2bB", "sip:b2bua@127.0.0.1:5002"});
                b2b::route_decision route;
                route.request_uri = "sip:bob@127.0.0.1:5003";
                c->start(*r->request, r->tx, route, now);
            } else {
                c->on_request(leg_of(*r->request), r->tx, *r->request, now);
            }
        } else if (auto* k = std::get_if<net::ack_in>(&e)) {
            c->on_ack(leg_of(*k->ack), *k->ack, now);
        } else if (auto* p = std::get_if<net::response_in>(&e)) {
            if (auto it = sent.find(p->tx); it != sent.end())
                c->on_response(it->second.first, it->second.second, *p->response, now);
        } else if (auto* l = std::get_if<net::later_2xx>(&e)) {
            if (auto it = sent.find(l->tx); it != sent.end())
                c->on_response(it->second.first, it->second.second, *l->response, now);
        } else if (auto* f = std::get_if<net::request_failed>(&e)) {
            if (auto it = sent.find(f->tx); it != sent.end())
                c->on_failure(it->second.first, it->second.second,
                              f->error == tandem::transaction_errc::timeout, now);
        } else if (auto* o = std::get_if<net::request_over>(&e)) {
            sent.erase(o->tx);
        }
        if (c) carry_out(now);
    };
    mid.app_deadline = [&] { return c ? c->next_deadline() : std::nullopt; };
    mid.app_time = [&](time_point now) {
        if (c) {
            c->on_time(now);
            carry_out(now);
        }
    };
    wire w;
    w.nodes = {&a.n, &mid, &b.n};
    // a clean wire, and one that loses every fifth datagram
    if (GENERATE(false, true)) w.lose = [](int n) { return n % 5 == 0; };

    auto invite = invite_to("sip:bob@127.0.0.1:5002");
    a.send(invite, w.now);
    w.run([&] { return a.final && !b.acks.empty(); });
    REQUIRE(a.final);
    CHECK(a.final->status() == 200);
    CHECK(a.final->body() == sdp_b);
    REQUIRE(c);
    CHECK(c->current() == b2b::call<b2b::no_media>::state::confirmed);
    // leg B is a new dialog that shows nothing of the caller's
    REQUIRE_FALSE(b.requests.empty());
    std::string leg_b_invite = b.requests[0].serialize();
    CHECK(b.requests[0].call_id() == "leg-b-1@127.0.0.1");
    CHECK(leg_b_invite.find("127.0.0.1:5001") == std::string::npos);
    CHECK(leg_b_invite.find("alice1") == std::string::npos);
    CHECK(b.acks.size() == 1);

    // ten virtual minutes of conversation, then the caller hangs up: BYE crosses, both legs end
    w.run([] { return false; }, 600s);
    auto d = tandem::dialog::dialog::uac(invite, *a.final);
    REQUIRE(d);
    auto bye_tx = a.send(*d->make_request("BYE"), w.now);
    w.run([&] { return finished && a.finals.count(bye_tx) > 0; });
    CHECK(a.finals[bye_tx] == 200);
    CHECK(b.requests.back().method() == msg::method_id::bye);
    CHECK(finished);
    w.run([] { return false; }, 60s);
    CHECK(mid.ep.transactions() == 0);
}
