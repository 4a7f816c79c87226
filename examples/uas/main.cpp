// uas: an auto-answering SIP user agent server, on UDP, TCP and TLS.
//
//   uas --listen udp:127.0.0.1:5070 [--listen tcp:127.0.0.1:5070] [--listen tls:127.0.0.1:5071
//       --cert server.pem --key server.key] [--answer-delay MS] [--reject CODE] [--log LEVEL]
//
// OPTIONS gets 200. INVITE gets 180, then (after --answer-delay) 200 with an SDP answer, or
// the --reject status. ACK is absorbed, BYE gets 200 (481 for a call it does not know),
// CANCEL ends a ringing call with 487. SIGINT/SIGTERM stop it cleanly.
//
// Try it with SIPp: sipp -sn uac 127.0.0.1:5070 -m 10

#include <tandem/net/stack.hpp>

#include <asio.hpp>
#include <fmt/core.h>

#include <csignal>
#include <cstdlib>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_map>

namespace msg = tandem::message;
namespace tx = tandem::transaction;
using tandem::net::stack;

namespace {

struct options {
    std::vector<tandem::transport::listen_spec> listen;
    std::chrono::milliseconds answer_delay{0};
    int reject = 0;
    tandem::logger::level log = tandem::logger::level::warning;
    tandem::transport::tls_options tls;
};

struct call {
    msg::message invite;
    std::string to_tag;
    bool answered = false;
};

struct uas {
    uas(stack& s, options o, asio::any_io_executor ex) : sip(s), opts(std::move(o)), sip_executor(ex) {}

    stack& sip;
    options opts;
    std::unordered_map<tx::tx_id, call> ringing; // INVITEs without a final response
    std::set<std::string> calls;                 // Call-IDs of answered calls
    std::mt19937_64 rng{std::random_device{}()};
    asio::any_io_executor sip_executor;

    std::string new_tag() { return fmt::format("{:x}", rng()); }

    void reply(tx::tx_id id, const msg::message& req, int status, std::string_view tag,
               std::string extra = {}, std::string_view body = {}) {
        auto rsp = msg::make_response(req, status, {}, tag, extra);
        if (!rsp) return;
        if (!body.empty()) rsp->set_body("application/sdp", body);
        sip.respond(id, *rsp);
    }

    // RFC 3264: answer each offered stream with its first format, on a port of ours (no media flows).
    std::string sdp_answer(const msg::message& offer, const std::string& ip) {
        std::string sdp = fmt::format(
            "v=0\r\no=tandem {0} {0} IN IP4 {1}\r\ns=-\r\nc=IN IP4 {1}\r\nt=0 0\r\n", rng() % 100000, ip);
        std::string_view body = offer.body();
        int port = 40000;
        for (std::size_t pos = 0; pos < body.size();) {
            std::size_t end = body.find("\r\n", pos);
            std::string_view line =
                body.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
            if (line.starts_with("m=")) {
                // m=<media> <port> <proto> <fmt> ...
                std::size_t a = line.find(' '), b = line.find(' ', a + 1), c = line.find(' ', b + 1);
                if (c != std::string_view::npos) {
                    std::size_t d = line.find(' ', c + 1);
                    sdp += fmt::format("m={} {} {} {}\r\n", line.substr(2, a - 2), port,
                                       line.substr(b + 1, c - b - 1),
                                       line.substr(c + 1, d == std::string_view::npos ? d : d - c - 1));
                    port += 2;
                }
            }
            if (end == std::string_view::npos) break;
            pos = end + 2;
        }
        return sdp;
    }

    void on_request(tandem::net::incoming_request in) {
        const msg::message& req = in.request;
        switch (req.method()) {
        case msg::method_id::options:
            reply(in.tx, req, 200, new_tag(),
                  "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\nAccept: application/sdp\r\n");
            break;
        case msg::method_id::invite: {
            if (opts.reject) {
                reply(in.tx, req, opts.reject, new_tag());
                break;
            }
            call c{req, new_tag()};
            reply(in.tx, req, 180, c.to_tag);
            ringing[in.tx] = std::move(c);
            if (opts.answer_delay.count() == 0)
                answer(in.tx);
            else
                asio::co_spawn(sip_executor, answer_later(this, in.tx, opts.answer_delay), asio::detached);
            break;
        }
        case msg::method_id::bye:
            reply(in.tx, req, calls.erase(std::string(req.call_id())) ? 200 : 481, {});
            break;
        default: reply(in.tx, req, 405, new_tag(), "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n"); break;
        }
    }

    void answer(tx::tx_id id) {
        auto it = ringing.find(id);
        if (it == ringing.end()) return; // cancelled meanwhile
        auto local = sip.local_address(tandem::transport::kind::udp);
        std::string ip = local ? local->ip.to_string() : "127.0.0.1";
        std::string contact =
            fmt::format("Contact: <sip:uas@{}>\r\n", local ? tandem::transport::to_string(*local) : ip);
        reply(id, it->second.invite, 200, it->second.to_tag, contact, sdp_answer(it->second.invite, ip));
        calls.insert(std::string(it->second.invite.call_id()));
        ringing.erase(it);
    }

    void on_cancel(tx::tx_id invite) {
        auto it = ringing.find(invite);
        if (it == ringing.end()) return;
        reply(invite, it->second.invite, 487, it->second.to_tag); // RFC 3261 9.2
        ringing.erase(it);
    }

    static asio::awaitable<void> answer_later(uas* self, tx::tx_id id, std::chrono::milliseconds delay) {
        asio::steady_timer t(co_await asio::this_coro::executor, delay);
        co_await t.async_wait(asio::use_awaitable);
        self->answer(id);
    }
};

asio::awaitable<void> serve(uas* u) {
    while (true) {
        auto e = co_await u->sip.next_event();
        if (!e) co_return; // stopped
        if (auto* r = std::get_if<tandem::net::incoming_request>(&*e))
            u->on_request(std::move(*r));
        else if (auto* c = std::get_if<tandem::net::cancelled>(&*e))
            u->on_cancel(c->invite);
    }
}

void usage(std::FILE* to) {
    fmt::print(to, "usage: uas --listen udp:ADDR:PORT [--listen tcp:...|tls:...] [--cert FILE --key FILE]\n"
                   "           [--answer-delay MS] [--reject CODE] [--log error|warning|info|debug|trace]\n");
}

} // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                fmt::print(stderr, "uas: {} needs a value\n", a);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else if (a == "--listen") {
            auto spec = tandem::transport::parse_listen_spec(value());
            if (!spec) {
                fmt::print(stderr, "uas: bad --listen value: {}\n", spec.error().message());
                return 2;
            }
            o.listen.push_back(*spec);
        } else if (a == "--cert")
            o.tls.certificate_file = value();
        else if (a == "--key")
            o.tls.private_key_file = value();
        else if (a == "--answer-delay")
            o.answer_delay = std::chrono::milliseconds(std::atoi(value().c_str()));
        else if (a == "--reject") {
            o.reject = std::atoi(value().c_str());
            if (o.reject < 300 || o.reject > 699) {
                fmt::print(stderr, "uas: --reject needs a status 300-699\n");
                return 2;
            }
        } else if (a == "--log") {
            auto l = tandem::parse_level(value());
            if (!l) {
                fmt::print(stderr, "uas: --log takes trace, debug, info, warning, error or off\n");
                return 2;
            }
            o.log = *l;
        } else {
            fmt::print(stderr, "uas: unknown argument {}\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (o.listen.empty()) o.listen.push_back(*tandem::transport::parse_listen_spec("udp:127.0.0.1:5070"));

    asio::io_context io(1);
    tandem::net::stack_config cfg;
    cfg.log.min = o.log;
    cfg.log.sink = [](tandem::logger::level l, std::string_view line) {
        fmt::print(stderr, "uas {}: {}\n", to_string(l), line);
    };
    if (!o.tls.certificate_file.empty()) {
        o.tls.verify_peer = false;
        cfg.tls = o.tls;
    }
    cfg.layer.validation.allowed_methods = {msg::method_id::invite, msg::method_id::ack, msg::method_id::bye,
                                            msg::method_id::cancel, msg::method_id::options};
    stack sip(io.get_executor(), cfg);
    try {
        for (auto& l : o.listen) sip.listen(l);
    } catch (const std::exception& e) {
        fmt::print(stderr, "uas: cannot listen: {}\n", e.what());
        return 1;
    }
    uas u(sip, o, io.get_executor());

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code, int) { sip.stop(); });
    auto log_exception = [](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            fmt::print(stderr, "uas: {}\n", x.what());
        }
    };
    asio::co_spawn(io, sip.run(), log_exception);
    asio::co_spawn(io, serve(&u), log_exception);
    io.run();
    return 0;
}
