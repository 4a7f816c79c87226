#include <tandem/transaction/client_transaction.hpp>

#include "support/transaction_script.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

// Scripted tests of the client transactions on virtual time: every transition of RFC 3261
// figures 5 and 6 and RFC 6026 figure 3, over an unreliable (UDP) and a reliable (TCP)
// transport. Default timers: T1 = 500 ms, T2 = 4 s, T4 = 5 s.

using namespace tandem::test;
using tandem::transaction::client_invite;
using tandem::transaction::client_non_invite;
using tandem::transaction::timer_config;
using tandem::transaction::timer_id;

namespace {

using invite_script = script<client_invite>;
using non_invite_script = script<client_non_invite>;
using ci_state = client_invite::state;
using cn_state = client_non_invite::state;

request_spec invite_over(bool reliable) { return {.transport = reliable ? "TCP" : "UDP"}; }
request_spec options_over(bool reliable) {
    return {.method = "OPTIONS", .transport = reliable ? "TCP" : "UDP", .branch = "z9hG4bKnashds8"};
}

/// The header field values named `name`, in order, one entry per field line.
std::vector<std::string> field_values(const tandem::message::message& m, tandem::message::header_id id) {
    std::vector<std::string> out;
    for (tandem::message::header_field f : m.headers())
        if (f.id == id) out.emplace_back(f.value);
    return out;
}

} // namespace

// ================================================================================================
// INVITE client transaction: RFC 3261 17.1.1, figure 5; RFC 6026 7.2, figure 3
// ================================================================================================

TEST_CASE("client INVITE over UDP: Timer A doubles from T1 without a T2 cap until Timer B",
          "[transaction][scripted]") {
    auto inv = request(invite_over(false));
    const std::string bytes = serialized(inv);
    invite_script s(inv, false);

    // 17.1.1.2: the INVITE goes out on start; Timer A = T1, Timer B = 64*T1
    CHECK(s.start() == actions{sent(bytes)});
    CHECK(s.fsm.current() == ci_state::calling);

    // A fires at 500, 1500, 3500, 7500, 15500, 31500 ms: intervals 500..16000, never capped at T2
    for (milliseconds interval : {500ms, 1000ms, 2000ms, 4000ms, 8000ms, 16000ms}) {
        INFO("Timer A interval " << interval.count() << " ms");
        CHECK(s.due_in() == interval);
        CHECK(s.fire() == actions{sent(bytes)});
        CHECK(s.fsm.current() == ci_state::calling);
    }
    CHECK(s.elapsed() == 31500ms);

    // the next A would be at 63.5 s; Timer B at 32 s comes first
    CHECK(s.due_in() == 500ms);
    CHECK(s.fire() == actions{timed_out(timer_id::b), terminated});
    CHECK(s.elapsed() == 32000ms);
    CHECK(s.fsm.current() == ci_state::terminated);
    CHECK(s.due_in() == no_deadline);
}

TEST_CASE("client INVITE over TCP: no Timer A, Timer B at 64*T1", "[transaction][scripted]") {
    auto inv = request(invite_over(true));
    invite_script s(inv, true);
    CHECK(s.start() == actions{sent(serialized(inv))});
    CHECK(s.due_in() == 32000ms); // only Timer B runs (17.1.1.2: A SHOULD NOT be started)
    CHECK(s.fire() == actions{timed_out(timer_id::b), terminated});
    CHECK(s.elapsed() == 32000ms);
}

TEST_CASE("client INVITE timers scale with the configured T1", "[transaction][scripted]") {
    timer_config cfg;
    cfg.t1 = 100ms;
    cfg.t2 = 400ms;
    auto inv = request(invite_over(false));
    invite_script s(inv, false, cfg);
    s.start();
    for (milliseconds interval : {100ms, 200ms, 400ms, 800ms, 1600ms, 3200ms}) {
        CHECK(s.due_in() == interval);
        CHECK(s.fire().size() == 1);
    }
    CHECK(s.fire() == actions{timed_out(timer_id::b), terminated});
    CHECK(s.elapsed() == 6400ms);
}

TEST_CASE("client INVITE: 1xx -> Proceeding, delivered, retransmissions stop", "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    INFO((reliable ? "TCP" : "UDP"));
    auto inv = request(invite_over(reliable));
    timer_config no_c;
    no_c.timer_c = 0ms; // Timer C off: only the TU ends an unanswered INVITE
    invite_script s(inv, reliable, no_c);
    s.start();
    s.advance(100ms);

    // 17.1.1.2: 1xx in Calling -> Proceeding, to the TU
    CHECK(s.receive(response(inv, 100)) == actions{delivered(100)});
    CHECK(s.fsm.current() == ci_state::proceeding);
    // 1xx in Proceeding -> to the TU, stay
    CHECK(s.receive(response(inv, 180)) == actions{delivered(180)});
    CHECK(s.receive(response(inv, 183)) == actions{delivered(183)});
    CHECK(s.fsm.current() == ci_state::proceeding);

    // no Timer A, and Timer B does not end a transaction in Proceeding: a UA waits indefinitely
    CHECK(s.advance(10min) == actions{});
    CHECK(s.fsm.current() == ci_state::proceeding);
    CHECK(s.receive(response(inv, 180)) == actions{delivered(180)});
}

TEST_CASE("client INVITE: no timer runs in Proceeding without Timer C", "[transaction][scripted]") {
    // Figure 5: Timers A and B belong to Calling. After a 1xx the earliest running timer is
    // none at all (Timer C is off), so next_deadline() should be nullopt. The header leaves
    // Timer B armed; it would fire as a no-op at 64*T1, a spurious wake-up of the driver.
    auto inv = request(invite_over(false));
    timer_config no_c;
    no_c.timer_c = 0ms;
    invite_script s(inv, false, no_c);
    s.start();
    s.receive(response(inv, 180));
    CHECK(s.due_in() == no_deadline);
}

TEST_CASE("client INVITE: Timer C restarts on each 1xx and reports no_answer", "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    INFO((reliable ? "TCP" : "UDP"));
    timer_config cfg;
    cfg.timer_c = 181s; // RFC 3261 16.6 item 11: more than 3 minutes
    auto inv = request(invite_over(reliable));
    invite_script s(inv, reliable, cfg);
    s.start();

    // Timer C does not run in Calling: only A/B decide there
    CHECK(s.advance(31s) == (reliable ? actions{} : actions{sent(serialized(inv))})); // one late A
    CHECK(s.fsm.current() == ci_state::calling);
    CHECK(s.receive(response(inv, 180)) == actions{delivered(180)}); // C = now + 181 s
    CHECK(s.advance(100s) == actions{});
    CHECK(s.receive(response(inv, 183)) == actions{delivered(183)}); // C restarts: now + 181 s
    CHECK(s.advance(181s - 1ms) == actions{});
    CHECK(s.advance(1ms) == actions{no_answer}); // the TU should CANCEL
    CHECK(s.fsm.current() == ci_state::proceeding);
    CHECK(s.elapsed() == 31s + 100s + 181s);
    // reported once; within 64*T1 the final response (the 487 to the TU's CANCEL) still
    // completes the transaction
    CHECK(s.advance(32s - 1ms) == actions{});
    CHECK(s.receive(response(inv, 487)).size() == 2);
    CHECK(s.fsm.current() == ci_state::completed);
}

TEST_CASE("client INVITE: no final response 64*T1 after Timer C gives up (16.7)", "[transaction][scripted]") {
    timer_config cfg; // Timer C is on by default (181 s)
    auto inv = request(invite_over(false));
    invite_script s(inv, false, cfg);
    s.start();
    CHECK(s.receive(response(inv, 180)) == actions{delivered(180)});
    CHECK(s.advance(181s) == actions{no_answer});
    CHECK(s.advance(32s) == (actions{tx::timed_out{tx::timer_id::c}, tx::terminated{}}));
    CHECK(s.fsm.current() == ci_state::terminated);
}

TEST_CASE("client INVITE: Timer C is stopped by a final response", "[transaction][scripted]") {
    timer_config cfg;
    cfg.timer_c = 181s;
    auto inv = request(invite_over(false));
    invite_script s(inv, false, cfg);
    s.start();
    s.receive(response(inv, 180));
    SECTION("2xx") {
        s.receive(response(inv, 200));
        CHECK(s.due_in() == 32000ms); // Timer M only
        CHECK(s.fire() == actions{terminated});
    }
    SECTION("non-2xx") {
        s.receive(response(inv, 486));
        CHECK(s.due_in() == 32000ms); // Timer D only
        CHECK(s.fire() == actions{terminated});
    }
}

TEST_CASE("client INVITE: 2xx -> Accepted, 2xx retransmissions delivered, Timer M",
          "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    const bool after_1xx = GENERATE(false, true);
    INFO((reliable ? "TCP" : "UDP") << (after_1xx ? ", from Proceeding" : ", from Calling"));
    auto inv = request(invite_over(reliable));
    invite_script s(inv, reliable);
    s.start();
    s.advance(250ms);
    if (after_1xx) CHECK(s.receive(response(inv, 180)) == actions{delivered(180)});

    // RFC 6026 7.2: 2xx in Calling or Proceeding -> Accepted, to the TU; the TU ACKs it
    CHECK(s.receive(response(inv, 200)) == actions{delivered(200)});
    CHECK(s.fsm.current() == ci_state::accepted);
    CHECK(s.fsm.ack().empty()); // the transaction never ACKs a 2xx
    // Timer M = 64*T1 on every transport; Timers A and B are gone
    CHECK(s.due_in() == 32000ms);

    s.advance(1s);
    // RFC 6026 7.2: further 2xx (retransmissions, other forks) go to the TU
    CHECK(s.receive(response(inv, 200)) == actions{delivered(200)});
    CHECK(s.receive(response(inv, 202, "other-fork")) == actions{delivered(202)});
    // anything else is absorbed
    CHECK(s.receive(response(inv, 180)) == actions{});
    CHECK(s.receive(response(inv, 486)) == actions{});
    CHECK(s.fsm.current() == ci_state::accepted);

    CHECK(s.fire() == actions{terminated});
    CHECK(s.elapsed() == 250ms + 32000ms);
    // a late 2xx is not this transaction's any more
    CHECK(s.receive(response(inv, 200)) == actions{});
}

TEST_CASE("client INVITE: 300-699 -> ACK, to the TU, Completed; Timer D", "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    const int status = GENERATE(300, 404, 486, 487, 503, 603, 699);
    const bool after_1xx = GENERATE(false, true);
    INFO((reliable ? "TCP" : "UDP") << ", " << status << (after_1xx ? " from Proceeding" : " from Calling"));
    auto inv = request(invite_over(reliable));
    invite_script s(inv, reliable);
    s.start();
    s.advance(700ms);
    if (after_1xx) s.receive(response(inv, 180));

    // 17.1.1.2: ACK sent, response to the TU, Completed
    auto rsp = response(inv, status);
    auto a = s.receive(rsp);
    REQUIRE(a.size() == 2);
    CHECK(start_line(a[0]) ==
          "ACK sip:bob@biloxi.example.com;transport=" + std::string(reliable ? "TCP" : "UDP") + " SIP/2.0");
    CHECK(a[0] == sent(s.fsm.ack()));
    CHECK(a[1] == delivered(status));
    CHECK(s.fsm.current() == ci_state::completed);
    const std::string ack = std::string(s.fsm.ack());

    // Timer D: at least 32 s for unreliable transports, zero for reliable ones; A and B stop
    CHECK(s.due_in() == (reliable ? 0ms : 32000ms));
    if (!reliable) {
        s.advance(5s);
        // a retransmitted final response gets the same ACK again and is not passed up
        CHECK(s.receive(rsp) == actions{sent(ack)});
        CHECK(s.receive(rsp) == actions{sent(ack)});
        // a 1xx or 2xx cannot come now; absorbed
        CHECK(s.receive(response(inv, 180)) == actions{});
        CHECK(s.receive(response(inv, 200)) == actions{});
        CHECK(s.fsm.current() == ci_state::completed);
    }
    CHECK(s.fire() == actions{terminated});
    CHECK(s.elapsed() == (reliable ? 700ms : 700ms + 32000ms));
    CHECK(s.receive(rsp) == actions{});
}

TEST_CASE("client INVITE: the ACK for a non-2xx response (RFC 3261 17.1.1.3)", "[transaction][scripted]") {
    const bool folded = GENERATE(false, true);
    INFO((folded ? "Vias on one line" : "one Via per line"));
    request_spec spec;
    spec.folded_vias = folded;
    auto inv = request(spec);
    invite_script s(inv, false);
    s.start();
    auto rsp = response(inv, 486, "a6c85cf");
    REQUIRE(s.receive(rsp).size() == 2);

    auto ack = parse_or_fail(std::string(s.fsm.ack()));
    CHECK(ack.is_request());
    CHECK(ack.method() == tandem::message::method_id::ack);
    // Request-URI, Call-ID and From of the original request
    CHECK(ack.request_uri_text() == inv.request_uri_text());
    CHECK(ack.call_id() == inv.call_id());
    CHECK(ack.header(tandem::message::header_id::from) == inv.header(tandem::message::header_id::from));
    // To of the response (with its tag)
    CHECK(ack.header(tandem::message::header_id::to) == rsp.header(tandem::message::header_id::to));
    REQUIRE(ack.to().has_value());
    CHECK(ack.to()->tag() == "a6c85cf");
    // CSeq: the INVITE's number, method ACK
    REQUIRE(ack.cseq().has_value());
    CHECK(ack.cseq()->number == 4711);
    CHECK(ack.cseq()->method == tandem::message::method_id::ack);
    // exactly one Via, equal to the INVITE's top Via
    std::vector<std::string> vias;
    ack.for_each_element(tandem::message::header_id::via, [&](std::string_view v) {
        vias.emplace_back(v);
        return true;
    });
    REQUIRE(vias.size() == 1);
    REQUIRE(inv.top_via().has_value());
    REQUIRE(ack.top_via().has_value());
    CHECK(vias[0] == "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK74bf9;rport");
    CHECK(ack.top_via()->branch() == inv.top_via()->branch());
    // the Route header fields of the INVITE, in order (the ACK takes the INVITE's path)
    CHECK(field_values(ack, tandem::message::header_id::route) ==
          std::vector<std::string>{"<sip:p1.example.com;lr>, <sip:p2.example.com;lr>",
                                   "<sip:p3.example.com;lr>"});
    CHECK(ack.max_forwards().has_value());
    CHECK(ack.body().empty());
    // no Contact: the ACK belongs to the transaction, not a dialog
    CHECK(!ack.has_header(tandem::message::header_id::contact));
}

TEST_CASE("client INVITE: transport error in Calling or Proceeding informs the TU",
          "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    const bool after_1xx = GENERATE(false, true);
    INFO((reliable ? "TCP" : "UDP") << (after_1xx ? ", Proceeding" : ", Calling"));
    auto inv = request(invite_over(reliable));
    invite_script s(inv, reliable);
    s.start();
    s.advance(500ms);
    if (after_1xx) s.receive(response(inv, 183));
    // 17.1.4, figure 5: inform the TU, Terminated
    CHECK(s.transport_error() == actions{transport_failed, terminated});
    CHECK(s.due_in() == no_deadline);
    // a terminated machine ignores everything
    CHECK(s.transport_error() == actions{});
    CHECK(s.receive(response(inv, 200)) == actions{});
    CHECK(s.advance(1h) == actions{});
}

TEST_CASE("client INVITE: transport error in Completed informs the TU", "[transaction][scripted]") {
    // Figure 5 (Completed --Transport Err. / Inform TU--> Terminated) and 17.1.4: a failure to
    // send the ACK is reported to the TU. client_transaction.hpp:113 reports only in Calling
    // and Proceeding, so the TU is not told.
    auto inv = request(invite_over(false));
    invite_script s(inv, false);
    s.start();
    s.receive(response(inv, 503));
    CHECK(s.transport_error() == actions{transport_failed, terminated});
}

TEST_CASE("client INVITE: deadlines", "[transaction][scripted]") {
    auto inv = request(invite_over(false));

    SECTION("on_time before the deadline does nothing") {
        invite_script s(inv, false);
        s.start();
        for (auto t : {0ms, 1ms, 250ms, 499ms}) {
            s.fsm.on_time(epoch + t);
            CHECK(!s.fsm.poll().has_value());
            CHECK(s.fsm.next_deadline() == epoch + 500ms);
        }
        s.fsm.on_time(epoch + 500ms - 1ns);
        CHECK(!s.fsm.poll().has_value());
    }
    SECTION("advancing past A and B fires them in order") {
        invite_script s(inv, false);
        s.start();
        // A (500 ms) then B (32 s): one retransmission, then the timeout
        CHECK(s.advance(40s) == actions{sent(serialized(inv)), timed_out(timer_id::b), terminated});
    }
    SECTION("advancing past a missed A re-arms it from now") {
        invite_script s(inv, false);
        s.start();
        CHECK(s.advance(1200ms) == actions{sent(serialized(inv))});
        CHECK(s.due_in() == 1000ms);
    }
    SECTION("monotonic through a whole call attempt") {
        invite_script s(inv, false); // the script checks monotonicity at every input
        s.start();
        s.fire();
        s.advance(200ms);
        s.receive(response(inv, 100));
        s.advance(3s);
        s.receive(response(inv, 180));
        s.receive(response(inv, 200));
        s.receive(response(inv, 200));
        CHECK(s.fire() == actions{terminated});
        CHECK(s.due_in() == no_deadline);
    }
}

TEST_CASE("client INVITE: transport error sweep (timeout, 2xx)", "[transaction][scripted]") {
    using st = step<client_invite>;
    auto oracle = [](ci_state state) -> std::optional<bool> {
        // figure 5 / 17.1.4: Calling, Proceeding (and Completed, swept separately) inform the
        // TU; RFC 6026 figure 3 defines no transport error in Accepted (nothing is sent there)
        if (state == ci_state::accepted) return std::nullopt;
        return true;
    };
    for (bool reliable : {false, true}) {
        auto m = request(invite_over(reliable));
        INFO((reliable ? "TCP" : "UDP"));
        error_sweep<client_invite>(m, reliable,
                                   {st{"start", [](auto& s) { s.start(); }},
                                    st{"advance 500 ms", [](auto& s) { s.advance(500ms); }},
                                    st{"advance 1 s", [](auto& s) { s.advance(1s); }},
                                    st{"advance 40 s", [](auto& s) { s.advance(40s); }}},
                                   oracle);
        error_sweep<client_invite>(m, reliable,
                                   {st{"start", [](auto& s) { s.start(); }},
                                    st{"100", [&](auto& s) { s.receive(response(m, 100)); }},
                                    st{"180", [&](auto& s) { s.receive(response(m, 180)); }},
                                    st{"200", [&](auto& s) { s.receive(response(m, 200)); }},
                                    st{"200 again", [&](auto& s) { s.receive(response(m, 200)); }},
                                    st{"advance 40 s", [](auto& s) { s.advance(40s); }}},
                                   oracle);
    }
}

TEST_CASE("client INVITE: transport error sweep (non-2xx)", "[transaction][scripted]") {
    // Fails only where the error is injected in Completed: see "transport error in Completed
    // informs the TU" (client_transaction.hpp:113).
    using st = step<client_invite>;
    auto oracle = [](ci_state state) -> std::optional<bool> {
        if (state == ci_state::accepted) return std::nullopt;
        return true;
    };
    for (bool reliable : {false, true}) {
        auto m = request(invite_over(reliable));
        INFO((reliable ? "TCP" : "UDP"));
        error_sweep<client_invite>(m, reliable,
                                   {st{"start", [](auto& s) { s.start(); }},
                                    st{"advance 500 ms", [](auto& s) { s.advance(500ms); }},
                                    st{"180", [&](auto& s) { s.receive(response(m, 180)); }},
                                    st{"486", [&](auto& s) { s.receive(response(m, 486)); }},
                                    st{"486 again", [&](auto& s) { s.receive(response(m, 486)); }},
                                    st{"advance 40 s", [](auto& s) { s.advance(40s); }}},
                                   oracle);
    }
}

// ================================================================================================
// non-INVITE client transaction: RFC 3261 17.1.2, figure 6
// ================================================================================================

TEST_CASE("client non-INVITE over UDP: Timer E doubles up to T2 until Timer F", "[transaction][scripted]") {
    auto req = request(options_over(false));
    const std::string bytes = serialized(req);
    non_invite_script s(req, false);

    // 17.1.2.2: send, Timer E = T1, Timer F = 64*T1
    CHECK(s.start() == actions{sent(bytes)});
    CHECK(s.fsm.current() == cn_state::trying);
    // E at 500, 1500, 3500, 7500, 11500, ..., 31500 ms: MIN(2E, T2)
    std::vector<milliseconds> intervals{500ms, 1000ms, 2000ms, 4000ms};
    for (int i = 0; i < 6; ++i) intervals.push_back(4000ms); // 11.5 s ... 31.5 s
    for (milliseconds interval : intervals) {
        INFO("Timer E interval " << interval.count() << " ms at " << s.elapsed().count() << " ms");
        CHECK(s.due_in() == interval);
        CHECK(s.fire() == actions{sent(bytes)});
    }
    CHECK(s.elapsed() == 31500ms);
    CHECK(s.due_in() == 500ms);
    CHECK(s.fire() == actions{timed_out(timer_id::f), terminated});
    CHECK(s.elapsed() == 32000ms);
    CHECK(s.fsm.current() == cn_state::terminated);
}

TEST_CASE("client non-INVITE over TCP: no Timer E, Timer F at 64*T1", "[transaction][scripted]") {
    auto req = request(options_over(true));
    non_invite_script s(req, true);
    CHECK(s.start() == actions{sent(serialized(req))});
    CHECK(s.due_in() == 32000ms);
    CHECK(s.receive(response(req, 100)) == actions{delivered(100)});
    CHECK(s.due_in() == 32000ms);
    CHECK(s.fire() == actions{timed_out(timer_id::f), terminated});
}

TEST_CASE("client non-INVITE: 1xx -> Proceeding, Timer E continues at T2", "[transaction][scripted]") {
    auto req = request(options_over(false));
    const std::string bytes = serialized(req);
    non_invite_script s(req, false);
    s.start();

    SECTION("1xx before the first retransmission") {
        s.advance(100ms);
        CHECK(s.receive(response(req, 100)) == actions{delivered(100)});
        CHECK(s.fsm.current() == cn_state::proceeding);
        CHECK(s.due_in() == 400ms); // the running E is not reset by the 1xx
        CHECK(s.fire() == actions{sent(bytes)});
        // 17.1.2.2: Timer E fires in Proceeding -> retransmit, reset with T2
        CHECK(s.due_in() == 4000ms);
        CHECK(s.fire() == actions{sent(bytes)});
        CHECK(s.due_in() == 4000ms);
    }
    SECTION("1xx after two retransmissions") {
        s.fire();
        s.fire(); // at 1500 ms, next E in 2000 ms
        CHECK(s.receive(response(req, 180)) == actions{delivered(180)});
        CHECK(s.due_in() == 2000ms);
        CHECK(s.fire() == actions{sent(bytes)});
        CHECK(s.due_in() == 4000ms);
    }
    // further 1xx go to the TU; Timer F still ends the transaction
    CHECK(s.receive(response(req, 183)) == actions{delivered(183)});
    CHECK(s.fsm.current() == cn_state::proceeding);
    actions rest;
    while (s.fsm.next_deadline())
        for (auto& a : s.fire()) rest.push_back(a);
    CHECK(s.elapsed() == 32000ms);
    REQUIRE(rest.size() >= 2);
    CHECK(rest[rest.size() - 2] == timed_out(timer_id::f));
    CHECK(rest.back() == terminated);
}

TEST_CASE("client non-INVITE: final response -> Completed, Timer K", "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    const int status = GENERATE(200, 202, 302, 404, 500, 603);
    const bool after_1xx = GENERATE(false, true);
    INFO((reliable ? "TCP" : "UDP") << ", " << status << (after_1xx ? " from Proceeding" : " from Trying"));
    auto req = request(options_over(reliable));
    non_invite_script s(req, reliable);
    s.start();
    s.advance(600ms);
    if (after_1xx) s.receive(response(req, 100));

    // 17.1.2.2: 200-699 -> to the TU, Completed; E and F stop
    auto rsp = response(req, status);
    CHECK(s.receive(rsp) == actions{delivered(status)});
    CHECK(s.fsm.current() == cn_state::completed);
    // Timer K = T4 (unreliable) / 0 (reliable)
    CHECK(s.due_in() == (reliable ? 0ms : 5000ms));
    if (!reliable) {
        s.advance(1s);
        // retransmitted finals (and anything else) are absorbed
        CHECK(s.receive(rsp) == actions{});
        CHECK(s.receive(response(req, 500)) == actions{});
        CHECK(s.receive(response(req, 180)) == actions{});
        CHECK(s.fsm.current() == cn_state::completed);
    }
    CHECK(s.fire() == actions{terminated});
    CHECK(s.elapsed() == (reliable ? 600ms : 5600ms));
    CHECK(s.receive(rsp) == actions{});
}

TEST_CASE("client non-INVITE: transport error in Trying or Proceeding informs the TU",
          "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    const bool after_1xx = GENERATE(false, true);
    INFO((reliable ? "TCP" : "UDP") << (after_1xx ? ", Proceeding" : ", Trying"));
    auto req = request(options_over(reliable));
    non_invite_script s(req, reliable);
    s.start();
    s.advance(2s);
    if (after_1xx) s.receive(response(req, 100));
    CHECK(s.transport_error() == actions{transport_failed, terminated});
    CHECK(s.receive(response(req, 200)) == actions{});
    CHECK(s.advance(1min) == actions{});
}

TEST_CASE("client non-INVITE: deadlines", "[transaction][scripted]") {
    auto req = request(options_over(false));
    SECTION("on_time before the deadline does nothing") {
        non_invite_script s(req, false);
        s.start();
        s.fsm.on_time(epoch + 499ms);
        CHECK(!s.fsm.poll().has_value());
        CHECK(s.fsm.next_deadline() == epoch + 500ms);
    }
    SECTION("advancing past E and F fires them in order") {
        non_invite_script s(req, false);
        s.start();
        CHECK(s.advance(1h) == actions{sent(serialized(req)), timed_out(timer_id::f), terminated});
    }
    SECTION("advancing past K in Completed") {
        non_invite_script s(req, false);
        s.start();
        s.receive(response(req, 200));
        CHECK(s.advance(1h) == actions{terminated});
    }
}

TEST_CASE("client non-INVITE: transport error sweep", "[transaction][scripted]") {
    using st = step<client_non_invite>;
    auto oracle = [](cn_state state) -> std::optional<bool> {
        // figure 6: Trying and Proceeding inform the TU; Completed sends nothing, no transition
        if (state == cn_state::completed) return std::nullopt;
        return true;
    };
    for (bool reliable : {false, true}) {
        auto m = request(options_over(reliable));
        INFO((reliable ? "TCP" : "UDP"));
        error_sweep<client_non_invite>(m, reliable,
                                       {st{"start", [](auto& s) { s.start(); }},
                                        st{"advance 500 ms", [](auto& s) { s.advance(500ms); }},
                                        st{"advance 40 s", [](auto& s) { s.advance(40s); }}},
                                       oracle);
        error_sweep<client_non_invite>(m, reliable,
                                       {st{"start", [](auto& s) { s.start(); }},
                                        st{"advance 500 ms", [](auto& s) { s.advance(500ms); }},
                                        st{"100", [&](auto& s) { s.receive(response(m, 100)); }},
                                        st{"advance 4 s", [](auto& s) { s.advance(4s); }},
                                        st{"200", [&](auto& s) { s.receive(response(m, 200)); }},
                                        st{"200 again", [&](auto& s) { s.receive(response(m, 200)); }},
                                        st{"advance 10 s", [](auto& s) { s.advance(10s); }}},
                                       oracle);
    }
}
