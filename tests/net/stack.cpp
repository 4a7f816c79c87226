#include <tandem/net/stack.hpp>

#include <catch2/catch.hpp>

#include "support/stack_events.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace msg = tandem::message;
namespace tx = tandem::transaction;
using tandem::net::stack;
using namespace std::chrono_literals;

namespace {

msg::message make_request(std::string method, const tandem::transport::address& to,
                          std::string transport = {}) {
    std::string uri =
        "sip:bob@" + tandem::transport::to_string(to) + (transport.empty() ? "" : ";transport=" + transport);
    std::string s;
    msg::message_writer w{s};
    w.request_line(method, uri)
        .header("To", "<sip:bob@example.com>")
        .header("From", "<sip:alice@example.com>;tag=a1")
        .header("Call-ID", "call-" + method + "@example.com")
        .header("CSeq", "1 " + method)
        .header("Contact", "<sip:alice@127.0.0.1>")
        .finish();
    return std::move(*msg::message::parse(s));
}

tandem::net::stack_config fast_timers() {
    tandem::net::stack_config cfg;
    cfg.layer.timers.t1 = 20ms; // 64*T1 = 1.28 s: timeouts stay short in tests
    cfg.layer.timers.t2 = 80ms;
    cfg.layer.timers.t4 = 100ms;
    return cfg;
}

// Answers every request: INVITE with 180 then 200, others with 200; counts ACKs.
asio::awaitable<void> answer_all(stack* s, int* acks) {
    while (true) {
        auto r = co_await tandem::test::next_request(s, acks);
        if (!r) co_return;
        if (r->request.method() == msg::method_id::invite) {
            auto ringing = msg::make_response(r->request, 180, {}, "b1");
            s->respond(r->tx, *ringing);
        }
        auto ok = msg::make_response(r->request, 200, {}, "b1", "Contact: <sip:bob@127.0.0.1>\r\n");
        s->respond(r->tx, *ok);
    }
}

struct outcome {
    int status = 0;
    int provisional = 0;
    std::error_code ec;
    bool done = false;
};

asio::awaitable<void> call(stack* s, msg::message req, outcome* out) {
    auto rsp = co_await s->request(std::move(req), [out](const msg::message&) { ++out->provisional; });
    if (rsp)
        out->status = rsp->status();
    else
        out->ec = rsp.error();
    out->done = true;
}

void run_until(asio::io_context& io, const bool& done, std::chrono::milliseconds limit = 5000ms) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done && std::chrono::steady_clock::now() < end) io.run_for(10ms);
}

} // namespace

TEST_CASE("two stacks on loopback: OPTIONS and INVITE over UDP and TCP", "[net][asio]") {
    auto transport = GENERATE(std::string("udp"), std::string("tcp"));
    INFO(transport);
    asio::io_context io;
    stack server(io.get_executor(), fast_timers());
    stack client(io.get_executor(), fast_timers());
    server.listen(*tandem::transport::parse_listen_spec(transport + ":127.0.0.1:0"));
    client.listen(*tandem::transport::parse_listen_spec("udp:127.0.0.1:0"));
    auto kind = transport == "udp" ? tandem::transport::kind::udp : tandem::transport::kind::tcp;
    auto to = *server.local_address(kind);
    int acks = 0;
    asio::co_spawn(io, server.run(), asio::detached);
    asio::co_spawn(io, client.run(), asio::detached);
    asio::co_spawn(io, answer_all(&server, &acks), asio::detached);

    outcome o;
    asio::co_spawn(io, call(&client, make_request("OPTIONS", to, transport == "tcp" ? "tcp" : ""), &o),
                   asio::detached);
    run_until(io, o.done);
    CHECK(o.status == 200);
    CHECK_FALSE(o.ec);

    outcome i;
    asio::co_spawn(io, call(&client, make_request("INVITE", to, transport == "tcp" ? "tcp" : ""), &i),
                   asio::detached);
    run_until(io, i.done);
    CHECK(i.status == 200);
    CHECK(i.provisional >= 1);
    // the stack ACKs the 2xx; the server's layer stops retransmitting it
    bool acked = false;
    auto end = std::chrono::steady_clock::now() + 2s;
    while (!acked && std::chrono::steady_clock::now() < end) {
        io.run_for(10ms);
        acked = acks == 1;
    }
    CHECK(acks == 1);
    server.stop();
    client.stop();
    io.run_for(100ms);
}

TEST_CASE("a request to nobody times out with Timer F / B", "[net][asio]") {
    asio::io_context io;
    stack client(io.get_executor(), fast_timers());
    client.listen(*tandem::transport::parse_listen_spec("udp:127.0.0.1:0"));
    // a bound socket that never answers
    asio::ip::udp::socket silent(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tandem::transport::address to{silent.local_endpoint().address(), silent.local_endpoint().port()};
    asio::co_spawn(io, client.run(), asio::detached);
    outcome o;
    asio::co_spawn(io, call(&client, make_request("OPTIONS", to), &o), asio::detached);
    run_until(io, o.done, 10000ms);
    REQUIRE(o.done);
    CHECK(o.ec == tandem::transaction_errc::timeout);
    CHECK(client.transactions() == 0);
    client.stop();
    io.run_for(50ms);
}

TEST_CASE("malformed input does not disturb other traffic", "[net][asio]") {
    asio::io_context io;
    stack server(io.get_executor(), fast_timers());
    server.listen(*tandem::transport::parse_listen_spec("udp:127.0.0.1:0"));
    auto to = *server.local_address(tandem::transport::kind::udp);
    int acks = 0;
    asio::co_spawn(io, server.run(), asio::detached);
    asio::co_spawn(io, answer_all(&server, &acks), asio::detached);
    asio::ip::udp::socket peer(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    asio::ip::udp::endpoint dest(to.ip, to.port);
    // garbage, then a request with a bad CSeq: the first is dropped, the second answered 400
    peer.send_to(asio::buffer(std::string("\x01\x02garbage\r\n\r\n")), dest);
    std::string bad = "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" +
                      std::to_string(peer.local_endpoint().port()) +
                      ";branch=z9hG4bKbad\r\nTo: <sip:b@x>\r\nFrom: <sip:a@x>;tag=1\r\nCall-ID: c\r\n"
                      "CSeq: x OPTIONS\r\nContent-Length: 0\r\n\r\n";
    peer.send_to(asio::buffer(bad), dest);
    char buf[4096];
    asio::ip::udp::endpoint from;
    std::size_t n = 0;
    peer.async_receive_from(asio::buffer(buf), from, [&](std::error_code ec, std::size_t k) {
        if (!ec) n = k;
    });
    auto end = std::chrono::steady_clock::now() + 3s;
    while (n == 0 && std::chrono::steady_clock::now() < end) io.run_for(10ms);
    REQUIRE(n > 0);
    msg::parse_options framing; // the 400 echoes the bad CSeq, as RFC 3261 8.2.6.2 copies it
    framing.check_syntax = false;
    auto rsp = msg::message::parse(std::string_view(buf, n), framing);
    REQUIRE(rsp);
    CHECK(rsp->status() == 400);
    server.stop();
    io.run_for(50ms);
}

namespace {
asio::awaitable<void> record_transport(stack* s, tandem::transport::kind* seen) {
    auto r = co_await tandem::test::next_request(s);
    if (!r) co_return;
    *seen = r->transport;
    auto ok = msg::make_response(r->request, 200, {}, "b1");
    s->respond(r->tx, *ok);
}
} // namespace

TEST_CASE("a request larger than 1300 bytes goes over TCP (RFC 3261 18.1.1)", "[net][asio]") {
    asio::io_context io;
    stack server(io.get_executor(), fast_timers());
    stack client(io.get_executor(), fast_timers());
    server.listen(*tandem::transport::parse_listen_spec("udp:127.0.0.1:0"));
    auto port = server.local_address(tandem::transport::kind::udp)->port;
    server.listen(*tandem::transport::parse_listen_spec("tcp:127.0.0.1:" + std::to_string(port)));
    client.listen(*tandem::transport::parse_listen_spec("udp:127.0.0.1:0"));
    asio::co_spawn(io, server.run(), asio::detached);
    asio::co_spawn(io, client.run(), asio::detached);
    auto seen = tandem::transport::kind::udp;
    asio::co_spawn(io, record_transport(&server, &seen), asio::detached);
    auto big = make_request("MESSAGE", *server.local_address(tandem::transport::kind::udp));
    big.set_body("text/plain", std::string(2000, 'x'));
    auto text = big.serialize();
    outcome o;
    asio::co_spawn(io, call(&client, std::move(*msg::message::parse(text)), &o), asio::detached);
    run_until(io, o.done);
    CHECK(o.status == 200);
    CHECK(seen == tandem::transport::kind::tcp);
    server.stop();
    client.stop();
    io.run_for(50ms);
}

TEST_CASE("SDES keys never reach a log", "[net][logger]") {
    std::string sdp = "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                      "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n"
                      "a=crypto:2 AES_CM_128_HMAC_SHA1_32 INLINE:d2hhdCBhIGtleQ== UNENCRYPTED_SRTCP\r\n";
    std::string out = tandem::redact_keys(sdp);
    CHECK(out.find("WVNf") == std::string::npos);
    CHECK(out.find("d2hh") == std::string::npos);
    CHECK(out.find("inline:...|2^20|1:4\r\n") != std::string::npos); // lifetime and MKI stay
    CHECK(out.find("INLINE:... UNENCRYPTED_SRTCP") != std::string::npos);
    CHECK(tandem::redact_keys("inline:") == "inline:...");
    CHECK(tandem::redact_keys("no keys here") == "no keys here");
}

TEST_CASE("log levels are named, and formatting only happens when enabled", "[net][logger]") {
    CHECK(tandem::parse_level("debug") == tandem::logger::level::debug);
    CHECK(tandem::parse_level("off") == tandem::logger::level::off);
    CHECK_FALSE(tandem::parse_level("verbose"));
    CHECK_FALSE(tandem::parse_level(""));
    std::vector<std::string> lines;
    tandem::logger lg{tandem::logger::level::info,
                      [&](tandem::logger::level, std::string_view l) { lines.emplace_back(l); }};
    tandem::log(lg, tandem::logger::level::debug, "hidden {}", 1);
    tandem::log(lg, tandem::logger::level::warning, "shown {}", 2);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "shown 2");
}

TEST_CASE("INVITE sent with acks_by_caller: the caller ACKs; later 2xx (retransmission, fork) reach it",
          "[net][asio]") {
    asio::io_context io;
    stack client(io.get_executor(), fast_timers());
    client.listen(*tandem::transport::parse_listen_spec("udp:127.0.0.1:0"));
    asio::co_spawn(io, client.run(), asio::detached);
    // a hand-driven UAS: a raw socket
    asio::ip::udp::socket peer(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tandem::transport::address to{peer.local_endpoint().address(), peer.local_endpoint().port()};
    std::vector<std::string> got;
    char buf[4096];
    asio::ip::udp::endpoint from;
    std::function<void()> receive = [&] {
        peer.async_receive_from(asio::buffer(buf), from, [&](std::error_code ec, std::size_t n) {
            if (ec) return;
            got.emplace_back(buf, n);
            receive();
        });
    };
    receive();

    // sent with send(): its responses come as events, later 2xx marked so
    int later = 0;
    std::vector<std::string> later_tags;
    outcome o;
    auto id = client.send(make_request("INVITE", to), true);
    auto events = [&]() -> asio::awaitable<void> {
        while (true) {
            auto e = co_await client.next_event();
            if (!e) co_return;
            auto* r = std::get_if<tandem::net::response>(&*e);
            if (!r || r->request != id) continue;
            if (r->later) {
                ++later;
                later_tags.emplace_back(r->message.to()->tag());
            } else if (r->message.status() >= 200) {
                o.status = r->message.status();
                o.done = true;
            }
        }
    };
    asio::co_spawn(io, events(), asio::detached);
    auto wait_for = [&](auto pred) {
        auto end = std::chrono::steady_clock::now() + 3s;
        while (!pred() && std::chrono::steady_clock::now() < end) io.run_for(5ms);
        return pred();
    };
    REQUIRE(wait_for([&] { return !got.empty(); }));
    msg::parse_options framing;
    framing.check_syntax = false;
    auto inv = msg::message::parse(got[0], framing);
    REQUIRE(inv);
    auto send_200 = [&](const std::string& tag) {
        auto ok = msg::make_response(*inv, 200, {}, tag,
                                     "Contact: <sip:bob@" + tandem::transport::to_string(to) + ">\r\n");
        peer.send_to(asio::buffer(ok->serialize()), from);
    };
    send_200("b1");
    REQUIRE(wait_for([&] { return o.done; }));
    CHECK(o.status == 200);
    send_200("b1"); // a retransmission
    send_200("b2"); // another fork
    REQUIRE(wait_for([&] { return later == 2; }));
    CHECK(later_tags == std::vector<std::string>{"b1", "b2"});
    io.run_for(50ms);
    for (auto& g : got) CHECK(g.rfind("ACK", 0) != 0); // the stack sent no ACK of its own

    // the caller's ACK goes to the Contact of the 2xx, with a Via added by the stack
    std::string a;
    msg::message_writer w{a};
    w.request_line("ACK", "sip:bob@" + tandem::transport::to_string(to))
        .header("To", "<sip:bob@example.com>;tag=b1")
        .header("From", "<sip:alice@example.com>;tag=a1")
        .header("Call-ID", "call-INVITE@example.com")
        .header("CSeq", "1 ACK")
        .finish();
    client.ack(*msg::message::parse(a));
    REQUIRE(wait_for([&] { return got.back().rfind("ACK", 0) == 0; }));
    auto ack = msg::message::parse(got.back(), framing);
    REQUIRE(ack);
    CHECK(ack->top_via().has_value());
    CHECK(ack->max_forwards().value() == 70u);
    client.stop();
    peer.close();
    io.run_for(50ms);
}

TEST_CASE("a multi-homed stack answers from the address it was reached at", "[net][asio]") {
    asio::io_context io;
    stack server(io.get_executor(), fast_timers());
    server.listen(*tandem::transport::parse_listen_spec("udp:127.0.0.1:0"));
    server.listen(*tandem::transport::parse_listen_spec("udp:127.0.0.2:0"));
    int acks = 0;
    asio::co_spawn(io, server.run(), asio::detached);
    asio::co_spawn(io, answer_all(&server, &acks), asio::detached);
    // the second address: find its port by asking the stack which sockets it has
    asio::ip::udp::socket probe(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    // (the first socket is local_address(udp); the second is found by binding order)
    auto first = *server.local_address(tandem::transport::kind::udp);
    CHECK(first.ip.to_string() == "127.0.0.1");
    REQUIRE(server.udp_addresses().size() == 2);
    auto second = server.udp_addresses()[1];
    CHECK(second.ip.to_string() == "127.0.0.2");
    std::string req =
        "OPTIONS sip:b@127.0.0.2 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:" +
        std::to_string(probe.local_endpoint().port()) +
        ";branch=z9hG4bKmh1;rport\r\nMax-Forwards: 70\r\nTo: <sip:b@x>\r\nFrom: <sip:a@x>;tag=1\r\n"
        "Call-ID: multihomed\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    probe.send_to(asio::buffer(req), asio::ip::udp::endpoint(second.ip, second.port));
    char buf[2048];
    asio::ip::udp::endpoint from;
    bool got = false;
    std::size_t n = 0;
    probe.async_receive_from(asio::buffer(buf), from, [&](std::error_code ec, std::size_t k) {
        got = !ec;
        n = k;
    });
    run_until(io, got, 3000ms);
    REQUIRE(got);
    CHECK(std::string_view(buf, n).substr(0, 14) == "SIP/2.0 200 OK");
    CHECK(from.address().to_string() == "127.0.0.2");
    CHECK(from.port() == second.port);
    server.stop();
    io.run_for(50ms);
}
