// libFuzzer target: the transaction layer driven by a byte string decoded into a sequence of
// events: messages from the network (arbitrary bytes, or mutations of templates), TU responses
// and requests, transport errors and the passing of time. Invariants: nothing throws; every
// event's views are readable; time never makes the layer report a deadline in the past; and
// once the input ends and 10 virtual minutes pass, no transaction is left (no leak).

#include <tandem/message/serializer.hpp>
#include <tandem/transaction/layer.hpp>

#include "reader.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace msg = tandem::message;
namespace tx = tandem::transaction;

namespace {

const char* const templates[] = {
    "INVITE sip:b@192.0.2.4 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nTo: <sip:b@x>\r\n"
    "From: <sip:a@x>;tag=1\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    "ACK sip:b@192.0.2.4 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nTo: <sip:b@x>;tag=t\r\n"
    "From: <sip:a@x>;tag=1\r\nCall-ID: c1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
    "CANCEL sip:b@192.0.2.4 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nTo: <sip:b@x>\r\n"
    "From: <sip:a@x>;tag=1\r\nCall-ID: c1\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n",
    "OPTIONS sip:b@192.0.2.4 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2\r\nTo: <sip:b@x>\r\n"
    "From: <sip:a@x>;tag=1\r\nCall-ID: c2\r\nCSeq: 2 OPTIONS\r\nContent-Length: 0\r\n\r\n",
    "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKc1\r\nTo: <sip:b@x>;tag=t\r\n"
    "From: <sip:a@x>;tag=1\r\nCall-ID: c3\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKc1\r\nTo: <sip:b@x>;tag=t\r\n"
    "From: <sip:a@x>;tag=1\r\nCall-ID: c3\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    "SIP/2.0 486 Busy\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKc1\r\nTo: <sip:b@x>;tag=t\r\n"
    "From: <sip:a@x>;tag=1\r\nCall-ID: c3\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKc2\r\nTo: <sip:b@x>;tag=t\r\n"
    "From: <sip:a@x>;tag=1\r\nCall-ID: c4\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
};

using tandem::fuzz::reader;

void drain(tx::layer& l, std::vector<tx::tx_id>& server, tx::time_point now) {
    while (auto e = l.poll()) {
        if (auto t = std::get_if<tx::transmit>(&*e)) {
            if (t->bytes.empty()) __builtin_trap();
            volatile char c = t->bytes.back();
            (void)c;
        } else if (auto r = std::get_if<tx::request_received>(&*e)) {
            if (!r->request || !r->request->is_request()) __builtin_trap();
            server.push_back(r->tx);
        } else if (auto rr = std::get_if<tx::response_received>(&*e)) {
            if (!rr->response->is_response()) __builtin_trap();
        }
    }
    if (auto d = l.next_deadline(); d && *d < now - std::chrono::hours(1)) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        tx::layer_config cfg;
        cfg.seed = 1;
        // Timer C on (short or default): without it only the TU can end an unanswered INVITE
        if (size && data[0] % 2) cfg.timers.timer_c = std::chrono::milliseconds(3000);
        tx::layer l(cfg);
        reader in{data, size};
        tx::time_point now{};
        std::vector<tx::tx_id> server;
        msg::parse_options framing;
        framing.check_syntax = false;
        const tx::flow flows[] = {{1, false}, {2, true}};
        int steps = 0;
        while (!in.empty() && ++steps < 200) {
            std::uint8_t op = in.byte();
            tx::flow f = flows[op >> 7];
            switch (op % 6) {
            case 0: { // raw bytes from the network
                std::size_t len = in.byte();
                auto m = msg::message::parse(in.bytes(len), framing);
                if (m) l.on_message(std::move(*m), f, now);
                break;
            }
            case 1: { // a template, possibly with one octet changed
                std::string t = templates[in.byte() % std::size(templates)];
                std::uint8_t at = in.byte();
                if (at % 3 == 0) t[at % t.size()] = static_cast<char>(in.byte());
                auto m = msg::message::parse(t, framing);
                if (m) l.on_message(std::move(*m), f, now);
                break;
            }
            case 2: { // the TU answers a server transaction
                if (server.empty()) break;
                tx::tx_id id = server[in.byte() % server.size()];
                static const int codes[] = {100, 180, 183, 200, 202, 302, 404, 486, 487, 500, 603};
                auto req = msg::message::parse(templates[0], framing);
                auto rsp = msg::make_response(*req, codes[in.byte() % std::size(codes)], {}, "tag");
                if (rsp) l.respond(id, *rsp, now);
                break;
            }
            case 3: { // the TU sends a request
                bool invite = in.byte() % 2;
                std::string t = invite ? templates[0] : templates[3];
                std::string branch = in.byte() % 4 ? l.new_branch() : std::string("z9hG4bKc1");
                auto pos = t.find("branch=") + 7;
                t.replace(pos, t.find('\r', pos) - pos, branch);
                auto m = msg::message::parse(t, framing);
                if (m) l.send_request(*m, f, now);
                break;
            }
            case 4: l.on_transport_error(f, now); break;
            case 5: { // time passes, sometimes exactly to the next deadline
                auto d = l.next_deadline();
                std::uint8_t b = in.byte();
                if (d && b % 2)
                    now = std::max(now, *d);
                else
                    now += std::chrono::milliseconds(b * 250);
                l.on_time(now);
                break;
            }
            }
            drain(l, server, now);
        }
        // No leak: with no more input, every transaction ends within 64*T1 (plus Timer C's).
        for (int i = 0; i < 1000 && l.next_deadline(); ++i) {
            now = std::max(now, *l.next_deadline());
            l.on_time(now);
            drain(l, server, now);
        }
        // Server transactions the TU never answered stay (the TU owns them); answer them all.
        auto req = msg::message::parse(templates[0], framing);
        auto final_rsp = msg::make_response(*req, 500, {}, "tag");
        for (tx::tx_id id : server) {
            l.respond(id, *final_rsp, now);
            drain(l, server, now);
        }
        for (int i = 0; i < 1000 && l.next_deadline(); ++i) {
            now = std::max(now, *l.next_deadline());
            l.on_time(now);
            drain(l, server, now);
        }
        if (l.size() != 0) __builtin_trap();
    } catch (...) {
        __builtin_trap();
    }
    return 0;
}
