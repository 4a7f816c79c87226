#include <tandem/b2bua/service.hpp>

#include <catch2/catch.hpp>

#include "support/stack_events.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

// b2bua::service with an asynchronous policy, on loopback: the decision comes later without
// holding other calls, a decision that never comes is replaced at the deadline, one that
// throws fails its call with 500.

namespace msg = tandem::message;
namespace b2b = tandem::b2bua;
using tandem::net::stack;
using namespace std::chrono_literals;

namespace {

tandem::net::stack_config fast() {
    tandem::net::stack_config cfg;
    cfg.layer.timers.t1 = 20ms;
    cfg.layer.timers.t2 = 80ms;
    cfg.layer.timers.t4 = 100ms;
    return cfg;
}

// A policy that looks its answer up somewhere slow: `delay` per call, forever for users named
// "never", an exception for "broken".
struct lookup_policy {
    std::string target;
    std::chrono::milliseconds delay{50};
    int decided = 0;
    asio::awaitable<b2b::decision> route_async(const msg::message& invite) {
        auto ruri = invite.request_uri();
        std::string user = ruri ? std::string(ruri->user) : std::string();
        asio::steady_timer t(co_await asio::this_coro::executor);
        t.expires_after(user == "never" ? 60s : user == "slow" ? 4 * delay : delay);
        co_await t.async_wait(tandem::detail::nothrow_awaitable);
        if (user == "broken") throw std::runtime_error("database down");
        ++decided;
        b2b::route_decision d;
        d.request_uri = "sip:" + user + "@" + target;
        co_return d;
    }
};
static_assert(b2b::async_policy<lookup_policy>);
static_assert(!b2b::policy<lookup_policy>);

// The same, with a fallback when the lookup takes too long.
struct fallback_policy : lookup_policy {
    b2b::decision on_route_timeout(const msg::message&) { return b2b::reject_decision{480, {}}; }
};

msg::message invite(const std::string& user, const tandem::transport::address& to, int n) {
    std::string sdp =
        "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    std::string s;
    msg::message_writer w{s};
    w.request_line("INVITE", "sip:" + user + "@" + tandem::transport::to_string(to))
        .header("To", "<sip:" + user + "@example.com>")
        .header("From", "<sip:alice@example.com>;tag=a" + std::to_string(n))
        .header("Call-ID", "async-" + std::to_string(n) + "@example.com")
        .header("CSeq", "1 INVITE")
        .header("Contact", "<sip:alice@127.0.0.1>")
        .finish(sdp, "application/sdp");
    return std::move(*msg::message::parse(s));
}

// Leg B's phone: 200 with SDP to every INVITE, 200 to the rest.
asio::awaitable<void> callee(stack* s) {
    std::string sdp =
        "v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";
    while (true) {
        auto r = co_await tandem::test::next_request(s);
        if (!r) co_return;
        auto ok = msg::make_response(r->request, 200, {}, "b1", "Contact: <sip:bob@127.0.0.1>\r\n");
        if (r->request.method() == msg::method_id::invite) ok->set_body("application/sdp", sdp);
        s->respond(r->tx, *ok);
    }
}

struct outcome {
    int status = 0;
    bool done = false;
    std::chrono::steady_clock::time_point when{};
};
asio::awaitable<void> place(stack* s, msg::message req, outcome* out) {
    auto rsp = co_await s->request(std::move(req));
    out->status = rsp ? rsp->status() : -1;
    out->when = std::chrono::steady_clock::now();
    out->done = true;
}

template <class Policy>
struct bench {
    asio::io_context io;
    stack caller{io.get_executor(), fast()};
    stack middle{io.get_executor(), fast()};
    stack phone{io.get_executor(), fast()};
    std::optional<b2b::service<Policy>> svc;
    tandem::transport::address b2bua_addr;
    explicit bench(std::chrono::milliseconds route_timeout) {
        for (stack* s : {&caller, &middle, &phone})
            s->listen(*tandem::transport::parse_listen_spec("udp:127.0.0.1:0"));
        b2bua_addr = *middle.local_address(tandem::transport::kind::udp);
        Policy p;
        p.target = tandem::transport::to_string(*phone.local_address(tandem::transport::kind::udp));
        b2b::service_config cfg;
        cfg.route_timeout = route_timeout;
        svc.emplace(middle, std::move(p), b2b::no_media{}, cfg);
        for (stack* s : {&caller, &middle, &phone}) asio::co_spawn(io, s->run(), asio::detached);
        asio::co_spawn(io, svc->run(), asio::detached);
        asio::co_spawn(io, callee(&phone), asio::detached);
    }
    void run_until(const std::vector<outcome*>& all, std::chrono::milliseconds limit = 5000ms) {
        auto end = std::chrono::steady_clock::now() + limit;
        auto done = [&] {
            for (auto* o : all)
                if (!o->done) return false;
            return true;
        };
        while (!done() && std::chrono::steady_clock::now() < end) io.run_for(10ms);
    }
    ~bench() {
        svc->end_all();
        io.run_for(100ms);
        for (stack* s : {&caller, &middle, &phone}) s->stop();
        io.run_for(50ms);
    }
};

} // namespace

TEST_CASE("an asynchronous policy decides later; other calls do not wait for it", "[net][asio][b2bua]") {
    bench<lookup_policy> b{2000ms};
    outcome slow, fast_one;
    asio::co_spawn(b.io, place(&b.caller, invite("slow", b.b2bua_addr, 1), &slow), asio::detached);
    asio::co_spawn(b.io, place(&b.caller, invite("bob", b.b2bua_addr, 2), &fast_one), asio::detached);
    b.run_until({&slow, &fast_one});
    CHECK(slow.status == 200);
    CHECK(fast_one.status == 200);
    CHECK(fast_one.when < slow.when); // the slow lookup held nobody else up
    CHECK(b.svc->policy().decided == 2);
}

TEST_CASE("an asynchronous policy that does not decide in time: 500, or its fallback", "[net][asio][b2bua]") {
    SECTION("no fallback: 500") {
        bench<lookup_policy> b{150ms};
        outcome o;
        asio::co_spawn(b.io, place(&b.caller, invite("never", b.b2bua_addr, 3), &o), asio::detached);
        b.run_until({&o});
        CHECK(o.status == 500);
        CHECK(b.svc->calls() == 0);
    }
    SECTION("the policy's fallback") {
        bench<fallback_policy> b{150ms};
        outcome o;
        asio::co_spawn(b.io, place(&b.caller, invite("never", b.b2bua_addr, 4), &o), asio::detached);
        b.run_until({&o});
        CHECK(o.status == 480);
    }
}

TEST_CASE("an asynchronous policy that throws fails its call with 500 only", "[net][asio][b2bua]") {
    bench<lookup_policy> b{2000ms};
    outcome broken, fine;
    asio::co_spawn(b.io, place(&b.caller, invite("broken", b.b2bua_addr, 5), &broken), asio::detached);
    asio::co_spawn(b.io, place(&b.caller, invite("bob", b.b2bua_addr, 6), &fine), asio::detached);
    b.run_until({&broken, &fine});
    CHECK(broken.status == 500);
    CHECK(fine.status == 200);
}

// ---- Replaces (RFC 3891): an attended transfer through the B2BUA ----

namespace {

// A policy that routes every call to the phone.
struct direct_policy {
    std::string target;
    b2b::decision route(const msg::message& invite) {
        auto ruri = invite.request_uri();
        b2b::route_decision d;
        d.request_uri = "sip:" + std::string(ruri ? ruri->user : "x") + "@" + target;
        return d;
    }
};

// Leg B's phone, keeping what it received: 200 with SDP to every INVITE (its Contact names its
// own address), 200 to the rest.
asio::awaitable<void> recording_callee(stack* s, std::vector<msg::message>* seen) {
    std::string sdp =
        "v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";
    std::string contact = "Contact: <sip:bob@" +
                          tandem::transport::to_string(*s->local_address(tandem::transport::kind::udp)) +
                          ">\r\n";
    int n = 0;
    while (true) {
        auto r = co_await tandem::test::next_request(s);
        if (!r) co_return;
        seen->push_back(r->request);
        auto ok = msg::make_response(r->request, 200, {}, "b" + std::to_string(++n), contact);
        if (r->request.method() == msg::method_id::invite) ok->set_body("application/sdp", sdp);
        s->respond(r->tx, *ok);
    }
}

struct answered {
    int status = 0;
    bool done = false;
    std::string to_tag;
};
asio::awaitable<void> call_up(stack* s, msg::message req, answered* out) {
    auto rsp = co_await s->request(std::move(req));
    out->status = rsp ? rsp->status() : -1;
    if (rsp && rsp->to()) out->to_tag = std::string(rsp->to()->tag());
    out->done = true;
}

} // namespace

TEST_CASE("an INVITE with Replaces naming a leg of ours replaces the dialog across the bridge (RFC 3891)",
          "[net][asio][b2bua]") {
    asio::io_context io;
    stack caller{io.get_executor(), fast()}, middle{io.get_executor(), fast()},
        phone{io.get_executor(), fast()};
    for (stack* s : {&caller, &middle, &phone})
        s->listen(*tandem::transport::parse_listen_spec("udp:127.0.0.1:0"));
    auto b2bua_addr = *middle.local_address(tandem::transport::kind::udp);
    direct_policy p{tandem::transport::to_string(*phone.local_address(tandem::transport::kind::udp))};
    b2b::service<direct_policy> svc(middle, p);
    std::vector<msg::message> seen;
    for (stack* s : {&caller, &middle, &phone}) asio::co_spawn(io, s->run(), asio::detached);
    asio::co_spawn(io, svc.run(), asio::detached);
    asio::co_spawn(io, recording_callee(&phone, &seen), asio::detached);
    auto run_until = [&](answered& a) {
        auto end = std::chrono::steady_clock::now() + 5s;
        while (!a.done && std::chrono::steady_clock::now() < end) io.run_for(10ms);
    };

    // call 1: alice (tag a7) -> b2bua -> bob
    answered first;
    asio::co_spawn(io, call_up(&caller, invite("bob", b2bua_addr, 7), &first), asio::detached);
    run_until(first);
    REQUIRE(first.status == 200);
    REQUIRE(seen.size() == 1);
    io.run_for(50ms);                   // the ACK crosses
    const msg::message leg_b = seen[0]; // (a copy: `seen` grows)

    auto with_replaces = [&](int n, const std::string& value) {
        auto m = invite("carol", b2bua_addr, n);
        m.add_header("Replaces", value);
        return m;
    };
    SECTION("it names leg A's dialog: the new call goes to bob, replacing leg B's dialog as bob knows it") {
        answered second;
        asio::co_spawn(
            io,
            call_up(&caller, with_replaces(8, "async-7@example.com;to-tag=" + first.to_tag + ";from-tag=a7"),
                    &second),
            asio::detached);
        run_until(second);
        CHECK(second.status == 200);
        REQUIRE(seen.size() >= 2);
        const msg::message replacing = seen.back();
        CHECK(replacing.method() == msg::method_id::invite);
        CHECK(replacing.request_uri_text().find("sip:bob@127.0.0.1:") == 0); // bob's Contact
        CHECK(replacing.header(msg::header_id::replaces) ==
              std::string(leg_b.call_id()) + ";to-tag=b1;from-tag=" + std::string(leg_b.from()->tag()));
        CHECK(replacing.call_id() != leg_b.call_id()); // a new dialog that replaces the old one
        CHECK(svc.calls() == 2);
    }
    SECTION("a Replaces that names no dialog of ours: 481; early-only for a confirmed one: 486; bad: 400") {
        answered none, early, bad;
        asio::co_spawn(io, call_up(&caller, with_replaces(9, "unknown@x;to-tag=1;from-tag=2"), &none),
                       asio::detached);
        asio::co_spawn(io,
                       call_up(&caller,
                               with_replaces(10, "async-7@example.com;to-tag=" + first.to_tag +
                                                     ";from-tag=a7;early-only"),
                               &early),
                       asio::detached);
        asio::co_spawn(
            io, call_up(&caller, with_replaces(11, "async-7@example.com;to-tag=" + first.to_tag), &bad),
            asio::detached);
        run_until(none);
        run_until(early);
        run_until(bad);
        CHECK(none.status == 481);
        CHECK(early.status == 486);
        CHECK(bad.status == 400);
        CHECK(seen.size() == 1); // none of them reached the phone
    }
    svc.end_all();
    io.run_for(100ms);
    for (stack* s : {&caller, &middle, &phone}) s->stop();
    io.run_for(50ms);
}
