// rtp_ng_tandem: Tandem's media relay (tandem::media::rtp_relay) behind the ng control protocol,
// so that bench_rtp drives it exactly as it drives rtpengine. One thread, one io_context: the
// relay's sockets and the ng socket share it.
//
// ng subset (ng.hpp): ping; offer {call-id, from-tag, sdp} -> open() + offer(leg A) and the SDP
// for leg B; answer {call-id, from-tag, to-tag, sdp} -> answer(leg B) and the SDP for leg A;
// delete {call-id} -> close(). Other keys (flags, replace, ICE) are accepted and ignored.
//
// --srtp-b SUITE[,SUITE...]: the trenscrypter's relay (tandem::media::srtp_relay) instead, every
// call opened with srtp_relay::options{.encryption_b = {sdes, those suites}}: leg A speaks what
// its offer says, leg B SDES-SRTP with keys of the relay's own (bench_rtp --srtp).
//
// usage: rtp_ng_tandem --ng 127.0.0.1:PORT [--address 127.0.0.1] [--port-min N] [--port-max N]
//                      [--timeout S] [--max-seconds S] [--srtp-b SUITES]
// Runs until SIGTERM/SIGINT or --max-seconds (default 3600). --timeout is the relay's media
// timeout (default 0: off; bench_rtp leaves calls idle between its steps).

#include <tandem/b2bua/concepts.hpp>
#include <tandem/media/rtp_relay.hpp>

#include "ng.hpp"

#include <asio.hpp>

#include <any>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace {

template <class Relay>
class ng_server {
public:
    ng_server(asio::io_context& io, const asio::ip::udp::endpoint& listen,
              tandem::media::rtp_relay_config cfg, std::any options)
        : relay_(io.get_executor(), std::move(cfg)), socket_(io, listen), options_(std::move(options)) {}

    ~ng_server() {
        for (auto& [id, s] : calls_) relay_.close(s);
    }
    ng_server(const ng_server&) = delete;
    ng_server& operator=(const ng_server&) = delete;

    void start() { receive(); }
    std::size_t calls() const { return calls_.size(); }

private:
    void receive() {
        socket_.async_receive_from(asio::buffer(buf_), peer_, [this](std::error_code ec, std::size_t n) {
            if (ec == asio::error::operation_aborted) return;
            if (!ec) {
                std::string reply = handle(std::string_view(buf_.data(), n));
                std::error_code ignored;
                if (!reply.empty()) socket_.send_to(asio::buffer(reply), peer_, 0, ignored);
            }
            receive();
        });
    }

    std::string handle(std::string_view datagram) {
        std::string cookie;
        bench_ng::value req;
        if (!bench_ng::parse_message(datagram, cookie, req)) return {};
        std::string_view cmd = req.str("command");
        std::string call_id(req.str("call-id"));
        if (cmd == "ping") return bench_ng::dict_writer(cookie).str("result", "pong").finish();
        if (cmd == "offer") {
            auto it = calls_.find(call_id);
            if (it == calls_.end()) {
                tandem::b2bua::media_context ctx;
                ctx.call_id = call_id;
                ctx.options = &options_;
                auto s = relay_.open(ctx);
                if (!s) return bench_ng::error_reply(cookie, "open: " + s.error().message());
                it = calls_.emplace(call_id, std::move(*s)).first;
            }
            auto sdp = relay_.offer(it->second, tandem::b2bua::leg::a, req.str("sdp"));
            if (!sdp) return bench_ng::error_reply(cookie, "offer: " + sdp.error().message());
            return bench_ng::dict_writer(cookie).str("result", "ok").str("sdp", *sdp).finish();
        }
        if (cmd == "answer") {
            auto it = calls_.find(call_id);
            if (it == calls_.end()) return bench_ng::error_reply(cookie, "unknown call");
            auto sdp = relay_.answer(it->second, tandem::b2bua::leg::b, req.str("sdp"));
            if (!sdp) return bench_ng::error_reply(cookie, "answer: " + sdp.error().message());
            return bench_ng::dict_writer(cookie).str("result", "ok").str("sdp", *sdp).finish();
        }
        if (cmd == "delete") {
            auto it = calls_.find(call_id);
            if (it == calls_.end()) return bench_ng::error_reply(cookie, "unknown call");
            relay_.close(it->second);
            calls_.erase(it);
            return bench_ng::dict_writer(cookie).str("result", "ok").finish();
        }
        return bench_ng::error_reply(cookie, "unsupported command");
    }

    Relay relay_;
    asio::ip::udp::socket socket_;
    std::any options_; // every call's (empty: none)
    asio::ip::udp::endpoint peer_;
    std::array<char, 65536> buf_{};
    std::unordered_map<std::string, typename Relay::session> calls_;
};

template <class Relay>
int serve(const asio::ip::udp::endpoint& listen, tandem::media::rtp_relay_config cfg, std::any options,
          long max_seconds) {
    asio::io_context io(1);
    try {
        ng_server<Relay> server(io, listen, std::move(cfg), std::move(options));
        server.start();
        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](std::error_code, int) { io.stop(); });
        asio::steady_timer deadline(io, std::chrono::seconds(max_seconds));
        deadline.async_wait([&](std::error_code e) {
            if (!e) io.stop();
        });
        io.run();
        std::fprintf(stderr, "rtp_ng_tandem: %zu calls open at exit\n", server.calls());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "rtp_ng_tandem: %s\n", e.what());
        return 1;
    }
    return 0;
}

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: rtp_ng_tandem --ng IP:PORT [--address IP] [--port-min N] [--port-max N] "
                         "[--timeout S] [--max-seconds S] [--srtp-b SUITE[,SUITE...]]\n");
    std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
    tandem::media::rtp_relay_config cfg;
    cfg.timeout = std::chrono::seconds(0);
    std::string ng;
    long max_seconds = 3600;
    std::optional<tandem::media::encryption_choice> srtp_b;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (a == "--ng")
            ng = next();
        else if (a == "--address")
            cfg.addresses.ipv4 = next();
        else if (a == "--port-min")
            cfg.port_min = static_cast<std::uint16_t>(std::atoi(next().c_str()));
        else if (a == "--port-max")
            cfg.port_max = static_cast<std::uint16_t>(std::atoi(next().c_str()));
        else if (a == "--timeout")
            cfg.timeout = std::chrono::seconds(std::atol(next().c_str()));
        else if (a == "--max-seconds")
            max_seconds = std::atol(next().c_str());
        else if (a == "--srtp-b") {
            srtp_b.emplace();
            srtp_b->mode = tandem::media::encryption::sdes;
            std::istringstream in(next());
            std::string name;
            while (std::getline(in, name, ',')) {
                auto s = tandem::srtp::suite_from_name(name);
                if (!s) usage();
                srtp_b->suites.push_back(*s);
            }
        } else
            usage();
    }
    auto colon = ng.rfind(':');
    if (colon == std::string::npos) usage();
    std::error_code ec;
    auto ip = asio::ip::make_address(ng.substr(0, colon), ec);
    if (ec) usage();
    asio::ip::udp::endpoint listen(ip, static_cast<std::uint16_t>(std::atoi(ng.c_str() + colon + 1)));

    if (srtp_b)
        return serve<tandem::media::srtp_relay>(
            listen, cfg, tandem::media::srtp_relay::options{.ipv6_b = std::nullopt, .encryption_b = srtp_b},
            max_seconds);
    return serve<tandem::media::rtp_relay>(listen, cfg, {}, max_seconds);
}
