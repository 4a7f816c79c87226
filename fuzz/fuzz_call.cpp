// libFuzzer target: one bridged call (`b2bua::call`, two INVITE sessions, a third when a
// transfer is handled here) driven by a byte string decoded into events: responses to what the
// call sent (any status, fork tags, reliable 18x with RSeq, Session-Expires, Min-SE, SDP),
// in-dialog requests from any leg (BYE, re-INVITE, UPDATE, PRACK with RAck, INFO, REFER with a
// good, escaped or bad Refer-To, NOTIFY, CANCEL of a re-INVITE), raw bytes
// from the network, failures, missing ACKs, and the passing of time. Invariants: nothing
// throws; every action carries a well-formed message; after `on_time(now)` no deadline is
// left at or before `now` (the driver would spin); once the input ends and every request
// still out fails, the call ends within a virtual day.

#include <tandem/b2bua/call.hpp>
#include <tandem/message/serializer.hpp>

#include "reader.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace msg = tandem::message;
namespace b2b = tandem::b2bua;
using b2b::leg;
using tandem::transaction::time_point;

namespace {

const std::string sdp = "v=0\r\no=a 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
                        "m=audio 4000 RTP/AVP 0\r\n";

using tandem::fuzz::reader;

msg::parse_options lenient() {
    msg::parse_options o;
    o.check_syntax = false;
    return o;
}

struct sent {
    leg to;
    std::uint64_t ref;
    msg::message request;
};

struct driver {
    b2b::no_media relay;
    b2b::call_config cfg;
    b2b::call<b2b::no_media> c;
    time_point now{};
    std::vector<sent> out; // requests the call sent and that have no final response yet
    std::uint64_t next_in = 100;
    int cseq[3] = {101, 1, 1};
    bool finished = false;
    std::string c_call_id, c_tag; // leg C's, once the call placed it

    explicit driver(const b2b::call_config& k)
        : cfg(k), c{relay,
                    {"leg-a@192.0.2.10", "tagA", "sip:b2bua@203.0.113.5"},
                    {"leg-b@203.0.113.5", "tagB", "sip:b2bua@203.0.113.5"},
                    nullptr,
                    k} {}

    void drain() {
        int n = 0;
        while (auto a = c.poll()) {
            if (++n > 10000) __builtin_trap(); // an action loop
            std::visit(
                [&](auto& act) {
                    using A = std::decay_t<decltype(act)>;
                    if constexpr (std::is_same_v<A, b2b::send_request>) {
                        if (!act.request.is_request() || act.request.serialize().empty()) __builtin_trap();
                        if (act.request.method() != msg::method_id::ack)
                            out.push_back({act.to, act.ref, act.request});
                        if (act.to == leg::c && act.request.method() == msg::method_id::invite &&
                            act.request.from()) {
                            c_call_id = std::string(act.request.call_id());
                            c_tag = std::string(act.request.from()->tag());
                        }
                    } else if constexpr (std::is_same_v<A, b2b::respond> ||
                                         std::is_same_v<A, b2b::send_ack>) {
                        const msg::message& m = [&]() -> const msg::message& {
                            if constexpr (std::is_same_v<A, b2b::respond>)
                                return act.response;
                            else
                                return act.ack;
                        }();
                        if (m.serialize().empty()) __builtin_trap();
                    } else if constexpr (std::is_same_v<A, b2b::finished>) {
                        finished = true;
                    }
                },
                *a);
        }
    }

    // A response to one of the requests the call sent, as its peer would write it.
    void respond(reader& in) {
        if (out.empty()) return;
        std::size_t i = in.byte() % out.size();
        static const int codes[] = {100, 180, 183, 183, 200, 200, 202, 401,
                                    408, 422, 481, 486, 487, 491, 500, 603};
        int code = codes[in.byte() % std::size(codes)];
        std::uint8_t bits = in.byte();
        std::string tag = "fork" + std::to_string(bits % 3);
        std::string extra = "Contact: <sip:peer@198.51.100.20>\r\n";
        if (bits & 0x08) extra += "Require: 100rel\r\nRSeq: " + std::to_string(in.byte() % 4 + 1) + "\r\n";
        if (bits & 0x10) extra += "Session-Expires: " + std::to_string(in.byte() * 10) + ";refresher=uas\r\n";
        if (bits & 0x20) extra += "Min-SE: " + std::to_string(in.byte() * 20) + "\r\n";
        if (bits & 0x40) extra += "Allow: INVITE, ACK, BYE, UPDATE\r\n";
        auto r = msg::make_response(out[i].request, code, {}, tag, extra);
        if (!r) return;
        if (bits & 0x80) r->set_body("application/sdp", sdp);
        auto m = msg::message::parse(r->serialize(), lenient());
        if (!m) return;
        leg to = out[i].to;
        std::uint64_t ref = out[i].ref;
        // a 2xx to an INVITE may come again (retransmission, another fork): keep it then
        bool again = out[i].request.method() == msg::method_id::invite && code >= 200 && code < 300;
        if (code >= 200 && !again) out.erase(out.begin() + static_cast<std::ptrdiff_t>(i));
        c.on_response(to, ref, *m, now);
    }

    // An in-dialog request from the peer on leg `from`.
    void request(reader& in, leg from) {
        static const char* const methods[] = {"BYE",   "INVITE", "UPDATE", "PRACK",  "INFO",
                                              "REFER", "NOTIFY", "ACK",    "OPTIONS"};
        std::string method = methods[in.byte() % std::size(methods)];
        std::uint8_t bits = in.byte();
        if (from == leg::c && c_call_id.empty()) return;
        int& n = cseq[static_cast<int>(from)];
        if (method != "ACK") n += (bits & 1) ? 1 : 0; // sometimes out of order
        std::string s;
        msg::message_writer w{s};
        if (from == leg::a)
            w.request_line(method, "sip:b2bua@203.0.113.5")
                .header("Via", "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKa" + std::to_string(next_in))
                .header("From", "<sip:alice@192.0.2.10>;tag=caller")
                .header("To", "<sip:bob@203.0.113.5>;tag=tagA")
                .header("Call-ID", "leg-a@192.0.2.10");
        else if (from == leg::b)
            w.request_line(method, "sip:b2bua@203.0.113.5")
                .header("Via", "SIP/2.0/UDP 198.51.100.20;branch=z9hG4bKb" + std::to_string(next_in))
                .header("From", "<sip:bob@198.51.100.20>;tag=fork" + std::to_string(bits % 3))
                .header("To", "<sip:alice@203.0.113.5>;tag=tagB")
                .header("Call-ID", "leg-b@203.0.113.5");
        else
            w.request_line(method, "sip:b2bua@203.0.113.5")
                .header("Via", "SIP/2.0/UDP 198.51.100.30;branch=z9hG4bKc" + std::to_string(next_in))
                .header("From", "<sip:carol@198.51.100.30>;tag=fork" + std::to_string(bits % 3))
                .header("To", "<sip:alice@203.0.113.5>;tag=" + c_tag)
                .header("Call-ID", c_call_id);
        w.header("CSeq", std::to_string(method == "ACK" ? (from == leg::a ? 101 : 1) : n) + " " + method)
            .header("Max-Forwards", "70")
            .header("Contact", "<sip:peer@192.0.2.99>");
        if (method == "PRACK") w.header("RAck", std::to_string(in.byte() % 3 + 1) + " 101 INVITE");
        if (method == "REFER") {
            static const char* const targets[] = {
                "<sip:carol@198.51.100.30>",
                "<sip:carol@198.51.100.30?Replaces=x%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>",
                "<sip:carol@198.51.100.30?Replaces=%zz>", "<tel:+15551234>", "garbage"};
            std::uint8_t t = in.byte();
            if (t % 8 < std::size(targets)) w.header("Refer-To", targets[t % 8]);
            if (t & 0x80) w.header("Refer-To", targets[0]); // two of them
        }
        if (bits & 0x10) w.header("Session-Expires", std::to_string(in.byte() * 10));
        if (bits & 0x20) w.header("Reason", "SIP;cause=200");
        w.finish((bits & 0x80) ? std::string_view(sdp) : std::string_view{},
                 (bits & 0x80) ? std::string_view("application/sdp") : std::string_view{});
        auto m = msg::message::parse(s, lenient());
        if (!m) return;
        std::uint64_t ref = next_in++;
        if (method == "ACK")
            c.on_ack(from, *m, now);
        else
            c.on_request(from, ref, *m, now);
        if ((bits & 0x40) && method == "INVITE") c.on_cancel(from, ref, now);
    }

    void check_deadline() {
        if (auto d = c.next_deadline(); d && *d <= now) __builtin_trap();
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        reader in{data, size};
        b2b::call_config cfg;
        std::uint8_t setup = in.byte();
        if (setup & 1) cfg.session_timer.interval = std::chrono::seconds(90 + (setup >> 1));
        if (setup & 2) cfg.max_duration = std::chrono::seconds(600);
        if (setup & 128) cfg.transfer_mode = b2b::transfers::local;
        driver d(cfg);
        // leg A's INVITE, with or without an offer, 100rel, a timer of its own
        std::string s;
        msg::message_writer w{s};
        w.request_line("INVITE", "sip:+1555@b2bua.example.com")
            .header("Via", "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKinv")
            .header("Max-Forwards", "70")
            .header("From", "\"Alice\" <sip:alice@192.0.2.10>;tag=caller")
            .header("To", "<sip:+1555@b2bua.example.com>")
            .header("Call-ID", "leg-a@192.0.2.10")
            .header("CSeq", "101 INVITE")
            .header("Contact", "<sip:alice@192.0.2.10>");
        if (setup & 4) w.header("Supported", "100rel, timer");
        if (setup & 8) w.header("Require", "100rel");
        if (setup & 16) w.header("Session-Expires", "120;refresher=uac");
        w.finish((setup & 32) ? std::string_view(sdp) : std::string_view{},
                 (setup & 32) ? std::string_view("application/sdp") : std::string_view{});
        auto invite = msg::message::parse(s, lenient());
        if (!invite) __builtin_trap();
        b2b::route_decision route;
        route.request_uri = "sip:+1555@198.51.100.20:5070";
        if (setup & 64) route.no_answer_timeout = std::chrono::seconds(30);
        d.c.start(*invite, 1, route, d.now);
        d.drain();

        int steps = 0;
        while (!in.empty() && ++steps < 300 && !d.finished) {
            std::uint8_t op = in.byte();
            switch (op % 9) {
            case 0:
            case 1: d.respond(in); break;
            case 2: d.request(in, leg::a); break;
            case 3: d.request(in, in.byte() % 3 ? leg::b : leg::c); break;
            case 4: { // time passes, sometimes to the next deadline
                auto next = d.c.next_deadline();
                std::uint8_t b = in.byte();
                d.now = (next && b % 2) ? std::max(d.now, *next) : d.now + std::chrono::milliseconds(b * 500);
                d.c.on_time(d.now);
                d.drain();
                d.check_deadline();
                break;
            }
            case 5: { // a request the call sent fails (timeout or transport)
                if (d.out.empty()) break;
                std::size_t i = in.byte() % d.out.size();
                sent gone = d.out[i];
                d.out.erase(d.out.begin() + static_cast<std::ptrdiff_t>(i));
                d.c.on_failure(gone.to, gone.ref, in.byte() % 2, d.now);
                break;
            }
            case 6: d.c.on_cancel(d.now); break;
            case 7:
                d.c.on_ack_timeout(in.byte() % 2 ? leg::a : leg::b, d.now);
                break; // (never for leg C: we are its UAC)
            case 8: {  // raw bytes as a response or request on either leg
                std::uint8_t b = in.byte();
                auto m = msg::message::parse(in.bytes(in.byte()), lenient());
                if (!m) break;
                leg l = b % 3 == 0 ? leg::a : (b % 3 == 1 ? leg::b : leg::c);
                if (m->is_response()) {
                    std::uint64_t ref = d.out.empty() ? b : d.out[b % d.out.size()].ref;
                    d.c.on_response(l, ref, *m, d.now);
                } else {
                    d.c.on_request(l, d.next_in++, *m, d.now);
                }
                break;
            }
            }
            d.drain();
        }
        // The end: every request still out fails; then a virtual day passes.
        for (int round = 0; round < 50 && !d.finished; ++round) {
            while (!d.out.empty()) {
                sent gone = d.out.back();
                d.out.pop_back();
                d.c.on_failure(gone.to, gone.ref, true, d.now);
                d.drain();
            }
            auto next = d.c.next_deadline();
            if (!next) break;
            d.now = std::max(d.now, *next);
            d.c.on_time(d.now);
            d.drain();
            d.check_deadline();
        }
    } catch (...) {
        __builtin_trap();
    }
    return 0;
}
