// libFuzzer target: bytes as an SDP body. The parser must refuse or accept without crashing;
// what it accepts must serialize to text that parses back to an equal description. The same
// bytes then travel as the body of SIP messages through the offer/answer state machine, in
// fixed call flows and in a flow chosen by the first bytes of the input.

#include <tandem/message/message.hpp>
#include <tandem/sdp/offer_answer.hpp>
#include <tandem/sdp/session_description.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace msg = tandem::message;
namespace sdp = tandem::sdp;

namespace {

void exercise(const sdp::session_description& sd) {
    for (const sdp::media_description& m : sd.media) {
        (void)sd.media_direction(m);
        (void)sd.media_connection(m);
        for (const sdp::attribute& a : m.attributes) {
            if (!a.value) continue;
            if (a.name == "rtpmap") (void)sdp::parse_rtpmap(*a.value);
            if (a.name == "fmtp") (void)sdp::parse_fmtp(*a.value);
            if (a.name == "rtcp") (void)sdp::parse_rtcp(*a.value);
            if (a.name == "crypto") (void)sdp::parse_crypto(*a.value);
        }
        (void)sdp::find_rtpmap(m, 0);
    }
}

// A message of the dialog carrying `body` as application/sdp (or no body when empty).
msg::message make(std::string_view start, std::string_view method, std::uint32_t cseq, std::string_view body,
                  bool reliable = false) {
    std::string s(start);
    s += "\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKf\r\nFrom: <sip:a@x>;tag=a\r\nTo: <sip:b@x>;tag=b\r\n"
         "Call-ID: f@x\r\nCSeq: ";
    s += std::to_string(cseq);
    s += ' ';
    s += method;
    s += "\r\nMax-Forwards: 70\r\n";
    if (reliable) s += "Require: 100rel\r\nRSeq: 1\r\n";
    if (!body.empty()) s += "Content-Type: application/sdp\r\n";
    s += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    s += body;
    msg::parse_options o;
    o.check_syntax = false;
    o.max_message_size = 1u << 20;
    auto m = msg::message::parse(s, o);
    if (!m) __builtin_trap(); // we built it: it must frame
    return *m;
}
msg::message request(std::string_view method, std::uint32_t cseq, std::string_view body) {
    return make(std::string(method) + " sip:b@x SIP/2.0", method, cseq, body);
}
msg::message response(int status, std::string_view method, std::uint32_t cseq, std::string_view body,
                      bool reliable = false) {
    return make("SIP/2.0 " + std::to_string(status) + " X", method, cseq, body, reliable);
}

void check(const sdp::offer_answer& oa) {
    bool pending = oa.state() == sdp::oa_state::offer_sent || oa.state() == sdp::oa_state::offer_received;
    if (!pending && !oa.pending_offer().empty()) __builtin_trap();
}

// Both ends of a leg see each message; they must agree on its role.
void both(sdp::offer_answer& a, sdp::offer_answer& b, const msg::message& m, bool a_sends) {
    auto x = a_sends ? a.on_outgoing(m) : b.on_outgoing(m);
    auto y = a_sends ? b.on_incoming(m) : a.on_incoming(m);
    if (x.role != y.role) __builtin_trap();
    check(a);
    check(b);
}

void flows(std::string_view body, std::string_view control) {
    { // offer in INVITE, answer in 183, repeat in 200, ACK
        sdp::offer_answer a, b;
        both(a, b, request("INVITE", 1, body), true);
        both(a, b, response(183, "INVITE", 1, body), false);
        both(a, b, response(200, "INVITE", 1, body), false);
        both(a, b, request("ACK", 1, {}), true);
    }
    { // offer-less INVITE, offer in 2xx, answer in ACK, then a glaring UPDATE and a 488
        sdp::offer_answer a, b;
        both(a, b, request("INVITE", 1, {}), true);
        both(a, b, response(183, "INVITE", 1, body, true), false);
        both(a, b, request("PRACK", 2, body), true);
        both(a, b, response(200, "INVITE", 1, body), false);
        both(a, b, request("ACK", 1, body), true);
        (void)a.on_outgoing(request("UPDATE", 3, body));
        (void)a.on_incoming(request("UPDATE", 1, body));
        (void)a.on_incoming(response(488, "UPDATE", 3, body));
        check(a);
    }
    { // a flow chosen by the input: each control byte is one message
        sdp::offer_answer a, b;
        static constexpr std::string_view methods[] = {"INVITE", "ACK", "PRACK", "UPDATE", "CANCEL", "BYE"};
        static constexpr int statuses[] = {100, 180, 183, 200, 487, 491, 500};
        std::uint32_t cseq = 1;
        for (char ch : control) {
            auto c = static_cast<unsigned char>(ch);
            bool a_sends = (c & 0x80) != 0;
            std::string_view b_ = (c & 0x40) != 0 ? body : std::string_view{};
            unsigned op = c & 0x3Fu;
            if (op < 12) {
                std::string_view meth = methods[op % 6];
                if (op >= 6) ++cseq;
                both(a, b, request(meth, cseq, b_), a_sends);
            } else {
                std::string_view meth = methods[(op / 7) % 4];
                both(a, b, response(statuses[op % 7], meth, cseq, b_, (op & 1) != 0), a_sends);
            }
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        std::string_view bytes(reinterpret_cast<const char*>(data), size);
        auto sd = sdp::parse(bytes);
        if (sd) {
            exercise(*sd);
            std::string out = sd->to_string();
            auto again = sdp::parse(out);
            if (!again) __builtin_trap();           // what we write, we must read
            if (!(*again == *sd)) __builtin_trap(); // and it must be the same description
            if (again->to_string() != out) __builtin_trap();
        }
        if (size <= 4096) flows(bytes, bytes.substr(0, 24));
    } catch (...) {
        __builtin_trap();
    }
    return 0;
}
