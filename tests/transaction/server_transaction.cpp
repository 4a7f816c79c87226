#include <tandem/transaction/server_transaction.hpp>

#include "support/transaction_script.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

// Scripted tests of the server transactions on virtual time: every transition of RFC 3261
// figures 7 and 8 and RFC 6026 figure 4, over an unreliable (UDP) and a reliable (TCP)
// transport. Default timers: T1 = 500 ms, T2 = 4 s, T4 = 5 s, 100 Trying after 200 ms.

using namespace tandem::test;
using tandem::message::header_id;
using tandem::transaction::server_invite;
using tandem::transaction::server_non_invite;
using tandem::transaction::timer_id;

namespace {

using invite_script = script<server_invite>;
using non_invite_script = script<server_non_invite>;
using si_state = server_invite::state;
using sn_state = server_non_invite::state;

request_spec invite_over(bool reliable) { return {.transport = reliable ? "TCP" : "UDP"}; }
request_spec bye_over(bool reliable) {
    return {.method = "BYE", .transport = reliable ? "TCP" : "UDP", .branch = "z9hG4bKnashds7", .cseq = 4712};
}

} // namespace

// ================================================================================================
// INVITE server transaction: RFC 3261 17.2.1, figure 7; RFC 6026 7.1, figure 4
// ================================================================================================

TEST_CASE("server INVITE: 100 Trying after 200 ms when the TU is silent", "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    INFO((reliable ? "TCP" : "UDP"));
    auto inv = request(invite_over(reliable));
    invite_script s(inv, reliable);

    CHECK(s.start() == actions{});
    CHECK(s.fsm.current() == si_state::proceeding);
    CHECK(s.due_in() == 200ms);
    auto a = s.fire(); // checks that nothing is sent at 199.999999 ms
    REQUIRE(a.size() == 1);
    CHECK(s.elapsed() == 200ms);
    CHECK(start_line(a[0]) == "SIP/2.0 100 Trying");

    // 17.2.1 / 8.2.6: Vias, From, To (no tag added), Call-ID and CSeq of the request
    auto trying = parse_or_fail(std::string(std::get<tandem::transaction::send>(a[0]).bytes));
    CHECK(trying.status() == 100);
    CHECK(trying.count(header_id::via) == inv.count(header_id::via));
    CHECK(trying.header(header_id::via) == inv.header(header_id::via));
    CHECK(trying.header(header_id::from) == inv.header(header_id::from));
    CHECK(trying.header(header_id::to) == inv.header(header_id::to));
    REQUIRE(trying.to().has_value());
    CHECK(trying.to()->tag().empty());
    CHECK(trying.call_id() == inv.call_id());
    CHECK(trying.header(header_id::cseq) == "4711 INVITE");

    // sent once; no timer runs in Proceeding after it
    CHECK(s.due_in() == no_deadline);
    CHECK(s.advance(10s) == actions{});
    CHECK(s.fsm.current() == si_state::proceeding);
}

TEST_CASE("server INVITE: no 100 Trying when the TU answers within 200 ms", "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    const int status = GENERATE(100, 180, 200, 486);
    INFO((reliable ? "TCP" : "UDP") << ", TU answers " << status);
    auto inv = request(invite_over(reliable));
    invite_script s(inv, reliable);
    s.start();
    s.advance(150ms);
    auto rsp = response(inv, status);
    CHECK(s.respond(rsp) == actions{sent(serialized(rsp))});
    // the Trying timer is gone: whatever runs now is not it, and nothing else is sent by 200 ms
    CHECK(s.advance(50ms) == actions{});
    CHECK(s.advance(1ms) == actions{});
    if (status < 200) CHECK(s.due_in() == no_deadline);
}

TEST_CASE("server INVITE: a retransmitted INVITE in Proceeding gets the last provisional response",
          "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    INFO((reliable ? "TCP" : "UDP"));
    auto inv = request(invite_over(reliable));
    invite_script s(inv, reliable);
    s.start();
    s.advance(100ms);

    // nothing to resend before any provisional response
    CHECK(s.receive(inv) == actions{});
    auto trying = s.fire();
    REQUIRE(trying.size() == 1);
    const std::string trying_bytes(std::get<tandem::transaction::send>(trying[0]).bytes);
    CHECK(s.receive(inv) == actions{sent(trying_bytes)});

    // 17.2.1: TU provisional responses are sent, the state stays Proceeding
    auto ringing = response(inv, 180);
    CHECK(s.respond(ringing) == actions{sent(serialized(ringing))});
    CHECK(s.fsm.current() == si_state::proceeding);
    CHECK(s.receive(inv) == actions{sent(serialized(ringing))});
    CHECK(s.receive(inv) == actions{sent(serialized(ringing))});
    auto progress = response(inv, 183);
    CHECK(s.respond(progress) == actions{sent(serialized(progress))});
    CHECK(s.receive(inv) == actions{sent(serialized(progress))});

    // an ACK cannot match in Proceeding; it is ignored
    CHECK(s.receive(ack_for(inv, ringing)) == actions{});
    CHECK(s.fsm.current() == si_state::proceeding);
    CHECK(s.due_in() == no_deadline);
}

TEST_CASE("server INVITE: TU 2xx -> Accepted, Timer L", "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    const bool after_1xx = GENERATE(false, true);
    INFO((reliable ? "TCP" : "UDP") << (after_1xx ? ", after 180" : ", straight away"));
    auto inv = request(invite_over(reliable));
    invite_script s(inv, reliable);
    s.start();
    s.advance(80ms);
    if (after_1xx) s.respond(response(inv, 180));

    // RFC 6026 7.1: 2xx from TU -> send, Accepted, Timer L = 64*T1 on every transport
    auto ok = response(inv, 200);
    const std::string ok_bytes = serialized(ok);
    CHECK(s.respond(ok) == actions{sent(ok_bytes)});
    CHECK(s.fsm.current() == si_state::accepted);
    CHECK(s.due_in() == 32000ms);

    s.advance(500ms);
    // INVITE retransmissions are absorbed (not passed up, no response)
    CHECK(s.receive(inv) == actions{});
    // the TU's 2xx retransmissions go through the transaction; the transaction never
    // retransmits a 2xx by itself
    CHECK(s.respond(ok) == actions{sent(ok_bytes)});
    CHECK(s.advance(2s) == actions{});
    auto ok_other = response(inv, 200, "second-2xx");
    CHECK(s.respond(ok_other) == actions{sent(serialized(ok_other))});
    // non-2xx from the TU are not sent any more
    CHECK(s.respond(response(inv, 486)) == actions{});
    CHECK(s.respond(response(inv, 180)) == actions{});
    CHECK(s.fsm.current() == si_state::accepted);

    CHECK(s.fire() == actions{terminated});
    CHECK(s.elapsed() == 80ms + 32000ms);
    CHECK(s.respond(ok) == actions{});
    CHECK(s.receive(inv) == actions{});
}

TEST_CASE("server INVITE: an ACK in Accepted is passed to the TU", "[transaction][scripted]") {
    // RFC 6026 7.1 and figure 4 (Accepted --ACK / to TU--> Accepted): an ACK that matches the
    // transaction in Accepted is passed up. server_transaction.hpp:75 (the default branch of
    // on_request) absorbs it, so the TU never sees it.
    auto inv = request(invite_over(false));
    invite_script s(inv, false);
    s.start();
    auto ok = response(inv, 200);
    s.respond(ok);
    CHECK(s.receive(ack_for(inv, ok)) == actions{delivered(0)});
    CHECK(s.fsm.current() == si_state::accepted);
}

TEST_CASE("server INVITE over UDP: TU 300-699 -> Completed, Timer G capped at T2 until Timer H",
          "[transaction][scripted]") {
    const int status = GENERATE(300, 404, 486, 500, 603);
    INFO(status);
    auto inv = request(invite_over(false));
    invite_script s(inv, false);
    s.start();
    auto rsp = response(inv, status);
    const std::string bytes = serialized(rsp);
    CHECK(s.respond(rsp) == actions{sent(bytes)});
    CHECK(s.fsm.current() == si_state::completed);

    // 17.2.1: G = T1, then MIN(2G, T2): resends at 0.5, 1.5, 3.5, 7.5, 11.5, ... 31.5 s
    std::vector<milliseconds> intervals{500ms, 1000ms, 2000ms, 4000ms};
    for (int i = 0; i < 6; ++i) intervals.push_back(4000ms);
    for (milliseconds interval : intervals) {
        INFO("Timer G interval " << interval.count() << " ms at " << s.elapsed().count() << " ms");
        CHECK(s.due_in() == interval);
        CHECK(s.fire() == actions{sent(bytes)});
    }
    CHECK(s.elapsed() == 31500ms);
    // Timer H = 64*T1: no ACK came, the TU is told
    CHECK(s.due_in() == 500ms);
    CHECK(s.fire() == actions{timed_out(timer_id::h), terminated});
    CHECK(s.elapsed() == 32000ms);
}

TEST_CASE("server INVITE over TCP: no Timer G, Timer H at 64*T1", "[transaction][scripted]") {
    auto inv = request(invite_over(true));
    invite_script s(inv, true);
    s.start();
    auto rsp = response(inv, 486);
    CHECK(s.respond(rsp) == actions{sent(serialized(rsp))});
    CHECK(s.due_in() == 32000ms);
    CHECK(s.fire() == actions{timed_out(timer_id::h), terminated});
}

TEST_CASE("server INVITE: Completed resends the final on INVITE, ACK -> Confirmed, Timer I",
          "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    INFO((reliable ? "TCP" : "UDP"));
    auto inv = request(invite_over(reliable));
    invite_script s(inv, reliable);
    s.start();
    s.fire(); // 100 Trying
    auto rsp = response(inv, 486);
    const std::string bytes = serialized(rsp);
    s.respond(rsp);
    s.advance(100ms);

    // 17.2.1: a retransmitted INVITE in Completed gets the final response again
    CHECK(s.receive(inv) == actions{sent(bytes)});
    // responses after the final one are not sent
    CHECK(s.respond(response(inv, 200)) == actions{});
    CHECK(s.respond(response(inv, 180)) == actions{});
    CHECK(s.respond(response(inv, 500)) == actions{});
    CHECK(s.fsm.current() == si_state::completed);

    // ACK -> Confirmed; G and H stop; Timer I = T4 (unreliable) / 0 (reliable)
    auto ack = ack_for(inv, rsp);
    CHECK(s.receive(ack) == actions{});
    CHECK(s.fsm.current() == si_state::confirmed);
    CHECK(s.due_in() == (reliable ? 0ms : 5000ms));
    if (!reliable) {
        // ACK retransmissions are absorbed, nothing is resent any more
        CHECK(s.receive(ack) == actions{});
        CHECK(s.receive(inv) == actions{});
        CHECK(s.respond(response(inv, 486)) == actions{});
        CHECK(s.advance(4999ms) == actions{});
        CHECK(s.fsm.current() == si_state::confirmed);
    }
    CHECK(s.fire() == actions{terminated});
    CHECK(s.elapsed() == (reliable ? 300ms : 5300ms));
    CHECK(s.receive(ack) == actions{});
}

TEST_CASE("server INVITE: transport error in Proceeding or Completed informs the TU",
          "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    const int answered = GENERATE(0, 180, 486);
    INFO((reliable ? "TCP" : "UDP") << ", TU answered " << answered);
    auto inv = request(invite_over(reliable));
    invite_script s(inv, reliable);
    s.start();
    if (answered) s.respond(response(inv, answered));
    s.advance(300ms);
    // 17.2.4, figure 7: inform the TU, Terminated
    CHECK(s.transport_error() == actions{transport_failed, terminated});
    CHECK(s.due_in() == no_deadline);
    CHECK(s.receive(inv) == actions{});
    CHECK(s.respond(response(inv, 200)) == actions{});
    CHECK(s.advance(1h) == actions{});
}

TEST_CASE("server INVITE: deadlines", "[transaction][scripted]") {
    auto inv = request(invite_over(false));
    SECTION("on_time before the Trying deadline does nothing") {
        invite_script s(inv, false);
        s.start();
        for (auto t : {0ms, 100ms, 199ms}) {
            s.fsm.on_time(epoch + t);
            CHECK(!s.fsm.poll().has_value());
            CHECK(s.fsm.next_deadline() == epoch + 200ms);
        }
    }
    SECTION("advancing past G and H fires them in order") {
        invite_script s(inv, false);
        s.start();
        auto rsp = response(inv, 603);
        s.respond(rsp);
        CHECK(s.advance(1h) == actions{sent(serialized(rsp)), timed_out(timer_id::h), terminated});
    }
    SECTION("advancing past I in Confirmed") {
        invite_script s(inv, false);
        s.start();
        auto rsp = response(inv, 603);
        s.respond(rsp);
        s.receive(ack_for(inv, rsp));
        CHECK(s.advance(1h) == actions{terminated});
    }
    SECTION("advancing past L in Accepted") {
        invite_script s(inv, false);
        s.start();
        s.respond(response(inv, 200));
        CHECK(s.advance(1h) == actions{terminated});
    }
}

TEST_CASE("server INVITE: transport error sweep", "[transaction][scripted]") {
    using st = step<server_invite>;
    auto oracle = [](si_state state) -> std::optional<bool> {
        // figure 7 / 17.2.4: Proceeding and Completed inform the TU; RFC 6026 figure 4: so does
        // Accepted. Confirmed sends nothing and has no such transition.
        if (state == si_state::confirmed) return std::nullopt;
        return true;
    };
    for (bool reliable : {false, true}) {
        INFO((reliable ? "TCP" : "UDP"));
        auto m = request(invite_over(reliable));
        auto ringing = response(m, 180);
        auto busy = response(m, 486);
        auto ok = response(m, 200);
        auto ack = ack_for(m, busy);
        error_sweep<server_invite>(m, reliable,
                                   {st{"start", [](auto& s) { s.start(); }},
                                    st{"advance 300 ms (100 Trying)", [](auto& s) { s.advance(300ms); }},
                                    st{"INVITE again", [&](auto& s) { s.receive(m); }},
                                    st{"TU 180", [&](auto& s) { s.respond(ringing); }},
                                    st{"TU 486", [&](auto& s) { s.respond(busy); }},
                                    st{"advance 600 ms (G)", [](auto& s) { s.advance(600ms); }},
                                    st{"INVITE again", [&](auto& s) { s.receive(m); }},
                                    st{"ACK", [&](auto& s) { s.receive(ack); }},
                                    st{"ACK again", [&](auto& s) { s.receive(ack); }},
                                    st{"advance 10 s", [](auto& s) { s.advance(10s); }}},
                                   oracle);
        error_sweep<server_invite>(m, reliable,
                                   {st{"start", [](auto& s) { s.start(); }},
                                    st{"TU 486", [&](auto& s) { s.respond(busy); }},
                                    st{"advance 40 s (no ACK)", [](auto& s) { s.advance(40s); }}},
                                   oracle);
        error_sweep<server_invite>(m, reliable,
                                   {st{"start", [](auto& s) { s.start(); }},
                                    st{"TU 180", [&](auto& s) { s.respond(ringing); }},
                                    st{"TU 200", [&](auto& s) { s.respond(ok); }},
                                    st{"INVITE again", [&](auto& s) { s.receive(m); }},
                                    st{"TU 200 again", [&](auto& s) { s.respond(ok); }},
                                    st{"advance 40 s", [](auto& s) { s.advance(40s); }}},
                                   oracle);
    }
}

// ================================================================================================
// non-INVITE server transaction: RFC 3261 17.2.2, figure 8
// ================================================================================================

TEST_CASE("server non-INVITE: Trying absorbs retransmissions, no timer runs", "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    INFO((reliable ? "TCP" : "UDP"));
    auto req = request(bye_over(reliable));
    non_invite_script s(req, reliable);
    CHECK(s.start() == actions{});
    CHECK(s.fsm.current() == sn_state::trying);
    CHECK(s.due_in() == no_deadline);
    CHECK(s.receive(req) == actions{});
    CHECK(s.advance(1min) == actions{});
    CHECK(s.fsm.current() == sn_state::trying);
}

TEST_CASE("server non-INVITE: TU 1xx -> Proceeding, retransmissions get the last 1xx",
          "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    INFO((reliable ? "TCP" : "UDP"));
    auto req = request(bye_over(reliable));
    non_invite_script s(req, reliable);
    s.start();
    s.advance(1s);
    auto trying = response(req, 100);
    CHECK(s.respond(trying) == actions{sent(serialized(trying))});
    CHECK(s.fsm.current() == sn_state::proceeding);
    CHECK(s.receive(req) == actions{sent(serialized(trying))});
    auto other = response(req, 183);
    CHECK(s.respond(other) == actions{sent(serialized(other))});
    CHECK(s.fsm.current() == sn_state::proceeding);
    CHECK(s.receive(req) == actions{sent(serialized(other))});
    CHECK(s.due_in() == no_deadline);
}

TEST_CASE("server non-INVITE: TU final -> Completed, retransmissions get it, Timer J",
          "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    const int status = GENERATE(200, 404, 481, 500, 603);
    const bool after_1xx = GENERATE(false, true);
    INFO((reliable ? "TCP" : "UDP") << ", " << status << (after_1xx ? " from Proceeding" : " from Trying"));
    auto req = request(bye_over(reliable));
    non_invite_script s(req, reliable);
    s.start();
    s.advance(20ms);
    if (after_1xx) s.respond(response(req, 100));

    auto rsp = response(req, status);
    const std::string bytes = serialized(rsp);
    CHECK(s.respond(rsp) == actions{sent(bytes)});
    CHECK(s.fsm.current() == sn_state::completed);
    // Timer J = 64*T1 (unreliable) / 0 (reliable)
    CHECK(s.due_in() == (reliable ? 0ms : 32000ms));
    // responses after the final one are not sent
    CHECK(s.respond(response(req, 200)) == actions{});
    CHECK(s.respond(response(req, 100)) == actions{});
    if (!reliable) {
        s.advance(10s);
        // a retransmitted request gets the final response again
        CHECK(s.receive(req) == actions{sent(bytes)});
        CHECK(s.receive(req) == actions{sent(bytes)});
        CHECK(s.fsm.current() == sn_state::completed);
    }
    CHECK(s.fire() == actions{terminated});
    CHECK(s.elapsed() == (reliable ? 20ms : 32020ms));
    CHECK(s.receive(req) == actions{});
}

TEST_CASE("server non-INVITE: transport error in Proceeding or Completed informs the TU",
          "[transaction][scripted]") {
    const bool reliable = GENERATE(false, true);
    const int answered = GENERATE(100, 200);
    INFO((reliable ? "TCP" : "UDP") << ", TU answered " << answered);
    auto req = request(bye_over(reliable));
    non_invite_script s(req, reliable);
    s.start();
    s.respond(response(req, answered));
    // figure 8: Trnsprt Err / Inform TU from Proceeding and from Completed
    CHECK(s.transport_error() == actions{transport_failed, terminated});
    CHECK(s.receive(req) == actions{});
    CHECK(s.respond(response(req, 200)) == actions{});
}

TEST_CASE("server non-INVITE: deadlines", "[transaction][scripted]") {
    auto req = request(bye_over(false));
    non_invite_script s(req, false);
    s.start();
    s.respond(response(req, 200));
    s.fsm.on_time(epoch + 31999ms);
    CHECK(!s.fsm.poll().has_value());
    CHECK(s.fsm.next_deadline() == epoch + 32000ms);
    CHECK(s.advance(1h) == actions{terminated});
}

TEST_CASE("server non-INVITE: transport error sweep", "[transaction][scripted]") {
    using st = step<server_non_invite>;
    auto oracle = [](sn_state state) -> std::optional<bool> {
        // figure 8: Proceeding and Completed inform the TU; Trying has sent nothing
        if (state == sn_state::trying) return std::nullopt;
        return true;
    };
    for (bool reliable : {false, true}) {
        INFO((reliable ? "TCP" : "UDP"));
        auto m = request(bye_over(reliable));
        auto trying = response(m, 100);
        auto ok = response(m, 200);
        error_sweep<server_non_invite>(m, reliable,
                                       {st{"start", [](auto& s) { s.start(); }},
                                        st{"request again", [&](auto& s) { s.receive(m); }},
                                        st{"TU 100", [&](auto& s) { s.respond(trying); }},
                                        st{"request again", [&](auto& s) { s.receive(m); }},
                                        st{"TU 200", [&](auto& s) { s.respond(ok); }},
                                        st{"request again", [&](auto& s) { s.receive(m); }},
                                        st{"advance 40 s", [](auto& s) { s.advance(40s); }}},
                                       oracle);
    }
}
