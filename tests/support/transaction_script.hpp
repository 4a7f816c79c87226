#ifndef TANDEM_TESTS_SUPPORT_TRANSACTION_SCRIPT_HPP
#define TANDEM_TESTS_SUPPORT_TRANSACTION_SCRIPT_HPP

/// @file Scripted, virtual-time tests of the transaction state machines (STYLE.md 3.5, 3.9).
///
/// `script<Tx>` owns one transaction and a fake clock that starts at an arbitrary epoch. Every
/// input (`start`, `receive`, `respond`, `transport_error`, `advance`, `fire`) is followed by
/// draining `poll()`, as the driver contract says, and returns the actions it produced; the
/// views in `send` actions stay valid until the next input. After each input the script checks
/// the invariants every machine must keep:
///   - `terminated` is reported at most once, is the last action of its input, and nothing is
///     reported by any later input;
///   - once terminated, `next_deadline()` is nullopt and `current()` is `terminated`;
///   - `next_deadline()` is never in the past, and (on unreliable transports, where no timer
///     is zero) never moves backwards across the script;
///   - `fire()` first calls `on_time` just before the deadline and checks that nothing happens.

#include <tandem/message/message.hpp>
#include <tandem/message/serializer.hpp>
#include <tandem/transaction/action.hpp>
#include <tandem/transaction/timers.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace tandem::test {

namespace tx = tandem::transaction;
namespace msg = tandem::message;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using actions = std::vector<tx::action>;
/// What `script::due_in()` returns when no timer runs.
inline const std::optional<milliseconds> no_deadline{};

/// Virtual time starts here: far from the clock's zero, and not a whole second, so code that
/// treats `time_point{}` specially or rounds is caught.
inline constexpr tx::time_point epoch = tx::time_point{} + std::chrono::hours{24 * 400} + 123'456'789ns;

// ---- Messages ----------------------------------------------------------------------------------

inline msg::message parse_or_fail(const std::string& text) {
    auto m = msg::message::parse(text);
    INFO(text);
    REQUIRE(m.has_value());
    return std::move(*m);
}

/// What a test request looks like; the defaults make a UA's INVITE over UDP through two proxies.
struct request_spec {
    std::string_view method = "INVITE";
    std::string_view transport = "UDP";
    std::string_view branch = "z9hG4bK74bf9";
    std::uint32_t cseq = 4711;
    /// Both Vias on one line ("Via: top, second") rather than two lines.
    bool folded_vias = false;
};

inline std::string request_text(const request_spec& r = {}) {
    std::string out;
    msg::message_writer w{out};
    std::string top = "SIP/2.0/" + std::string(r.transport) +
                      " pc33.atlanta.example.com:5060;branch=" + std::string(r.branch) + ";rport";
    std::string second = "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-second;received=192.0.2.10";
    w.request_line(r.method, "sip:bob@biloxi.example.com;transport=" + std::string(r.transport));
    if (r.folded_vias) {
        w.header("Via", top + ", " + second);
    } else {
        w.header("Via", top);
        w.header("Via", second);
    }
    w.header("Max-Forwards", "70");
    w.header("Route", "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>");
    w.header("Route", "<sip:p3.example.com;lr>");
    w.header("From", "Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl");
    w.header("To", "Bob <sip:bob@biloxi.example.com>");
    w.header("Call-ID", "3848276298220188511@atlanta.example.com");
    w.header("CSeq", std::to_string(r.cseq) + " " + std::string(r.method));
    w.header("Contact", "<sip:alice@pc33.atlanta.example.com>");
    w.finish();
    return out;
}

inline msg::message request(const request_spec& r = {}) { return parse_or_fail(request_text(r)); }

/// The response to `req` (RFC 3261 8.2.6), with a To tag from status 101 on.
inline msg::message response(const msg::message& req, int status, std::string_view to_tag = "8321234356") {
    return parse_or_fail(msg::make_response_text(req, status, {}, to_tag));
}

/// The ACK a UAC sends for a 300-699 response to `invite` (RFC 3261 17.1.1.3), as a server
/// transaction receives it.
inline msg::message ack_for(const msg::message& invite, const msg::message& rsp) {
    std::string out;
    msg::message_writer w{out};
    w.request_line("ACK", invite.request_uri_text());
    msg::list_elements vias(invite.header(msg::header_id::via));
    w.header("Via", *vias.begin());
    w.header("Max-Forwards", "70");
    w.header("From", invite.header(msg::header_id::from));
    w.header("To", rsp.header(msg::header_id::to));
    w.header("Call-ID", invite.call_id());
    w.header("CSeq", std::to_string(invite.cseq()->number) + " ACK");
    w.finish();
    return parse_or_fail(out);
}

inline std::string serialized(const msg::message& m) { return m.serialize(); }

/// The first line of a `send` action's bytes, "" for any other action.
inline std::string_view start_line(const tx::action& a) {
    auto* s = std::get_if<tx::send>(&a);
    if (!s) return {};
    return s->bytes.substr(0, s->bytes.find("\r\n"));
}

// ---- The script --------------------------------------------------------------------------------

/// One transaction on virtual time; see the file comment for the invariants it checks.
template <class Tx>
class script {
public:
    script(const msg::message& m, bool reliable, const tx::timer_config& cfg = {})
        : fsm(m, reliable, cfg), monotonic_(!reliable) {}

    Tx fsm;
    tx::time_point now = epoch;

    actions start() {
        fsm.start(now);
        return settle();
    }
    /// A message from the network: a response (client) or a request retransmission/ACK (server).
    actions receive(const msg::message& m) {
        if constexpr (requires { fsm.on_response(m, now); })
            fsm.on_response(m, now);
        else
            fsm.on_request(m, now);
        return settle();
    }
    /// A response from the TU (server transactions).
    actions respond(const msg::message& m) {
        fsm.respond(m, now);
        return settle();
    }
    actions transport_error() {
        fsm.on_transport_error(now);
        return settle();
    }
    /// Lets `d` pass, then gives the machine the time (however many deadlines that crosses).
    actions advance(std::chrono::nanoseconds d) {
        now += d;
        fsm.on_time(now);
        return settle();
    }
    /// Lets time pass until the next deadline and fires it. Checks first that `on_time` just
    /// before the deadline does nothing.
    actions fire() {
        auto d = fsm.next_deadline();
        REQUIRE(d.has_value());
        if (*d > now) {
            fsm.on_time(*d - 1ns);
            auto early = drain();
            INFO("on_time 1 ns before the deadline");
            CHECK(early == actions{});
            CHECK(fsm.next_deadline() == d);
        }
        now = *d;
        fsm.on_time(now);
        return settle();
    }

    /// Time until the next deadline; nullopt when no timer runs.
    std::optional<milliseconds> due_in() const {
        auto d = fsm.next_deadline();
        if (!d) return std::nullopt;
        return std::chrono::duration_cast<milliseconds>(*d - now);
    }
    /// Virtual time since the script began.
    milliseconds elapsed() const { return std::chrono::duration_cast<milliseconds>(now - epoch); }
    bool terminated() const { return terminated_count_ > 0; }

    int terminated_count() const { return terminated_count_; }
    int transport_failed_count() const { return transport_failed_count_; }

private:
    actions drain() {
        actions out;
        while (auto a = fsm.poll()) out.push_back(*a);
        return out;
    }

    actions settle() {
        actions out = drain();
        INFO("actions of this input: " << Catch::Detail::stringify(out));
        if (terminated_count_ > 0) CHECK(out.empty()); // nothing after terminated
        for (std::size_t i = 0; i < out.size(); ++i) {
            if (std::holds_alternative<tx::transport_failed>(out[i])) ++transport_failed_count_;
            if (std::holds_alternative<tx::terminated>(out[i])) {
                ++terminated_count_;
                CHECK(i + 1 == out.size()); // terminated is the last word
            }
        }
        CHECK(terminated_count_ <= 1);
        auto d = fsm.next_deadline();
        if (terminated_count_ > 0) {
            CHECK(fsm.current() == Tx::state::terminated);
            CHECK(!d.has_value());
        }
        if (fsm.current() == Tx::state::terminated) CHECK(terminated_count_ == 1);
        if (d) {
            CHECK(*d >= now); // never in the past
            // Not checked: that deadlines never move back. A state change legitimately
            // replaces a far timer by a nearer one (Timer C in Proceeding, then Timer D).
            last_deadline_ = d;
        }
        return out;
    }

    bool monotonic_;
    std::optional<tx::time_point> last_deadline_;
    int terminated_count_ = 0;
    int transport_failed_count_ = 0;
};

/// Shorthands for expected action lists.
inline tx::action sent(std::string_view bytes) { return tx::send{bytes}; }
inline tx::action delivered(int status) { return tx::deliver{status}; }
inline tx::action timed_out(tx::timer_id t) { return tx::timed_out{t}; }
inline const tx::action terminated = tx::terminated{};
inline const tx::action transport_failed = tx::transport_failed{};
inline const tx::action no_answer = tx::no_answer{};

// ---- Error-injection sweep (Boost.MySQL's check_network_errors) --------------------------------

/// One scripted step of an exchange: a name for failure messages and what to do.
template <class Tx>
struct step {
    std::string name;
    std::function<void(script<Tx>&)> run;
};

/**
 * Runs `steps` once whole, then once per step k >= 1 with `on_transport_error` injected after
 * the first k steps; the remaining steps still run (a terminated machine must ignore them),
 * then every deadline is fired until none is left. Checks that the machine terminates exactly
 * once in every run, and reports `transport_failed` exactly once when `must_report(state)`
 * returns true, never when it returns false, at most once when it returns nullopt (the RFC
 * figure defines no transport error in that state).
 */
template <class Tx, class Oracle>
void error_sweep(const msg::message& m, bool reliable, const std::vector<step<Tx>>& steps, Oracle must_report,
                 const tx::timer_config& cfg = {}) {
    for (std::size_t k = 0; k <= steps.size(); ++k) {
        script<Tx> s(m, reliable, cfg);
        std::optional<bool> expect_report = false;
        std::string injected_in = "nowhere (whole script)";
        for (std::size_t i = 0; i < steps.size(); ++i) {
            INFO("injection after step " << k << ", running step " << i << ": " << steps[i].name);
            steps[i].run(s);
            if (k > 0 && i + 1 == k) {
                auto st = s.fsm.current();
                expect_report = st == Tx::state::terminated ? std::optional<bool>(false) : must_report(st);
                injected_in = "state #" + std::to_string(static_cast<int>(st)) + " after " + steps[i].name;
                s.transport_error();
            }
        }
        INFO("transport error injected in " << injected_in);
        for (int guard = 0; guard < 1000 && s.fsm.next_deadline(); ++guard) s.fire();
        CHECK(!s.fsm.next_deadline().has_value());
        CHECK(s.terminated_count() == 1);
        if (!expect_report.has_value())
            CHECK(s.transport_failed_count() <= 1);
        else
            CHECK(s.transport_failed_count() == (*expect_report ? 1 : 0));
    }
}

} // namespace tandem::test

namespace Catch {

template <>
struct StringMaker<tandem::transaction::action> {
    static std::string convert(const tandem::transaction::action& a) {
        namespace tx = tandem::transaction;
        return std::visit(
            [](const auto& v) -> std::string {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, tx::send>) {
                    std::string_view line = v.bytes.substr(0, v.bytes.find("\r\n"));
                    return "send{\"" + std::string(line) + "\", " + std::to_string(v.bytes.size()) +
                           " bytes}";
                } else if constexpr (std::is_same_v<T, tx::deliver>) {
                    return "deliver{" + std::to_string(v.status) + "}";
                } else if constexpr (std::is_same_v<T, tx::timed_out>) {
                    return "timed_out{" + std::string(tx::to_string(v.timer)) + "}";
                } else if constexpr (std::is_same_v<T, tx::no_answer>) {
                    return "no_answer";
                } else if constexpr (std::is_same_v<T, tx::transport_failed>) {
                    return "transport_failed";
                } else {
                    return "terminated";
                }
            },
            a);
    }
};

template <>
struct StringMaker<std::optional<std::chrono::milliseconds>> {
    static std::string convert(const std::optional<std::chrono::milliseconds>& d) {
        return d ? std::to_string(d->count()) + " ms" : std::string("no deadline");
    }
};

} // namespace Catch

#endif
