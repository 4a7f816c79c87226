// bench_transaction: transaction-layer throughput on virtual time (no sockets, no clock reads
// in the core). Each iteration runs complete transactions through one tandem::transaction::layer:
//   server INVITE: INVITE in -> 180 -> 200 (retransmitted by the layer until) -> ACK in
//   server non-INVITE: OPTIONS in -> 200 -> Timer J
//   client INVITE: INVITE out -> 180 in -> 200 in -> Timer M
//   client non-INVITE: BYE out -> 200 in -> Timer K
// Messages are parsed once up front; the loop measures matching, state machines, timers and the
// serialization of what the layer sends. Prints transactions/s (median of runs).
//
// usage: bench_transaction [--quick]

#include <tandem/message/serializer.hpp>
#include <tandem/transaction/layer.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace msg = tandem::message;
namespace tx = tandem::transaction;

namespace {

msg::message parse(const std::string& s) {
    msg::parse_options o;
    o.check_syntax = false;
    return std::move(*msg::message::parse(s, o));
}

std::string req(const std::string& method, const std::string& branch, int cseq, const std::string& call,
                const std::string& cseq_method = {}) {
    return method + " sip:bob@192.0.2.4 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=" + branch +
           "\r\nMax-Forwards: 70\r\nTo: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=f1\r\n"
           "Call-ID: " +
           call + "\r\nCSeq: " + std::to_string(cseq) + " " + (cseq_method.empty() ? method : cseq_method) +
           "\r\nContact: <sip:alice@192.0.2.1>\r\nContent-Length: 0\r\n\r\n";
}

std::string rsp(int code, const std::string& branch, int cseq, const std::string& method,
                const std::string& call) {
    return "SIP/2.0 " + std::to_string(code) + " X\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=" + branch +
           "\r\nTo: <sip:bob@example.com>;tag=t1\r\nFrom: <sip:alice@example.com>;tag=f1\r\nCall-ID: " +
           call + "\r\nCSeq: " + std::to_string(cseq) + " " + method + "\r\nContent-Length: 0\r\n\r\n";
}

std::size_t drain(tx::layer& l, tx::tx_id* got = nullptr, const msg::message** request = nullptr) {
    std::size_t n = 0;
    while (auto e = l.poll()) {
        ++n;
        if (auto r = std::get_if<tx::request_received>(&*e)) {
            if (got) *got = r->tx;
            if (request) *request = r->request;
        }
    }
    return n;
}

double run_once(double seconds) {
    tx::layer_config cfg;
    cfg.seed = 42;
    tx::layer l(cfg);
    const tx::flow peer{1, false};
    auto t = tx::time_point{};
    std::size_t transactions = 0;
    auto start = std::chrono::steady_clock::now();
    auto stop = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(seconds));
    int i = 0;
    while (std::chrono::steady_clock::now() < stop) {
        for (int k = 0; k < 200; ++k, ++i) {
            std::string call = "c" + std::to_string(i);
            std::string b = "z9hG4bKs" + std::to_string(i);
            // server INVITE
            tx::tx_id st = 0;
            const msg::message* invite = nullptr;
            l.on_message(parse(req("INVITE", b, 1, call)), peer, t);
            drain(l, &st, &invite);
            msg::message ringing = *msg::make_response(*invite, 180, {}, "t1");
            msg::message ok = *msg::make_response(*invite, 200, {}, "t1");
            l.respond(st, ringing, t);
            drain(l);
            l.respond(st, ok, t);
            drain(l);
            l.on_message(parse(req("ACK", b + "a", 1, call, "ACK")), peer, t);
            drain(l);
            // server non-INVITE
            l.on_message(parse(req("OPTIONS", b + "o", 2, call)), peer, t);
            const msg::message* options = nullptr;
            drain(l, &st, &options);
            l.respond(st, *msg::make_response(*options, 200, {}, "t1"), t);
            drain(l);
            // client INVITE and BYE
            std::string cb = l.new_branch();
            l.send_request(parse(req("INVITE", cb, 3, call)), peer, t);
            drain(l);
            l.on_message(parse(rsp(180, cb, 3, "INVITE", call)), peer, t);
            drain(l);
            l.on_message(parse(rsp(200, cb, 3, "INVITE", call)), peer, t);
            drain(l);
            std::string bb = l.new_branch();
            l.send_request(parse(req("BYE", bb, 4, call)), peer, t);
            drain(l);
            l.on_message(parse(rsp(200, bb, 4, "BYE", call)), peer, t);
            drain(l);
            transactions += 4;
        }
        // let every timer of this batch run out (virtual time: 64*T1 and more)
        t += std::chrono::seconds(40);
        l.on_time(t);
        drain(l);
    }
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (l.size() != 0) fmt::print(stderr, "warning: {} transactions left\n", l.size());
    return static_cast<double>(transactions) / elapsed;
}

} // namespace

int main(int argc, char** argv) {
    bool quick = argc > 1 && std::string_view(argv[1]) == "--quick";
    int runs = quick ? 3 : 7;
    double seconds = quick ? 0.05 : 0.5;
    std::vector<double> r;
    for (int i = 0; i < runs; ++i) r.push_back(run_once(seconds));
    std::sort(r.begin(), r.end());
    fmt::print(
        "transaction layer (virtual time, message building and parsing included): {:.0f} transactions/s "
        "(median of {} runs)\n",
        r[r.size() / 2], runs);
    return 0;
}
