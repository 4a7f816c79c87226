// b2bua: a signaling-only, topology-hiding back-to-back user agent.
//
//   b2bua --listen udp:127.0.0.1:5060 [--listen tcp:... | tls:... --cert F --key F]
//         --to sip:127.0.0.1:5070 [--no-answer-timeout SECONDS] [--max-calls N] [--log LEVEL]
//         [--session-timers local|relay|off] [--session-expires SECONDS] [--min-se SECONDS]
//         [--max-duration SECONDS] [--transfers relay|local|refuse]
//         [--media none|relay] [--rtp-ports LOW-HIGH] [--media-address IP] [--media-timeout SECONDS]
//
// Every INVITE is answered on leg A and placed again on leg B toward --to, keeping the user
// part of the Request-URI; the two legs share no Call-ID, tag, Via, Contact or Record-Route.
// Each leg has its own session timer (RFC 4028, 1800 s unless --session-expires says otherwise,
// 0 = none): a phone that vanishes ends the call on both legs. At --log debug each call prints
// as a ladder (leg A left, leg B right). A REFER crosses to the other phone by default; with
// --transfers local the B2BUA transfers the call itself (a new leg to the Refer-To target). SIGINT/SIGTERM
// end every call (BYE, or 503 + CANCEL) and exit 0. With --media relay every RTP/RTCP packet
// crosses our own ports (30000-39999 unless --rtp-ports says otherwise), so neither phone learns
// the other's address; a call whose media stops for --media-timeout seconds (30) ends with BYE on
// both legs, and each call's media figures print at --log info when it ends.
//
// Try it: sipp -sn uas -p 5070 & b2bua --to sip:127.0.0.1:5070 & sipp -sn uac 127.0.0.1:5060 -m 10

#include "../common/serve.hpp"

#include <tandem/b2bua/service.hpp>
#include <tandem/media/rtp_relay.hpp>

#include <asio.hpp>
#include <fmt/core.h>

#include <cstdlib>
#include <string>
#include <utility>

namespace msg = tandem::message;
namespace b2b = tandem::b2bua;

namespace {

// The policy: every call to one next hop, with the caller's user part (about ten lines).
struct fixed_route {
    msg::uri target;
    std::string target_text;
    std::chrono::milliseconds no_answer{0};
    bool log_media = false; // print each call's media figures when it ends

    b2b::decision route(const msg::message& invite) {
        b2b::route_decision d;
        d.request_uri = examples::leg_b_uri(target, invite);
        d.no_answer_timeout = no_answer;
        return d;
    }
    void on_event(const b2b::call_event& e) {
        if (log_media) examples::print_media_stats("b2bua", e);
    }
};
static_assert(b2b::policy<fixed_route>);

void usage(std::FILE* to) {
    fmt::print(
        to,
        "usage: b2bua [--listen udp:ADDR:PORT]... --to SIP-URI [--no-answer-timeout SECONDS]\n"
        "             [--max-calls N] [--cert FILE --key FILE] [--log error|warning|info|debug|trace]\n"
        "             [--session-timers local|relay|off] [--session-expires SECONDS (1800; 0 = none)]\n"
        "             [--min-se SECONDS (90)]\n"
        "             [--max-duration SECONDS (0 = no limit)] [--transfers relay|local|refuse]\n"
        "             [--media none|relay] [--rtp-ports LOW-HIGH (30000-39999)]\n"
        "             [--media-address IP (the first --listen address)] [--media-timeout SECONDS (30; 0 = "
        "none)]\n");
}

template <class T>
T one_of(const std::string& flag, const std::string& v,
         std::initializer_list<std::pair<const char*, T>> names) {
    return examples::one_of<T>("b2bua", flag, v, names);
}

} // namespace

int main(int argc, char** argv) {
    std::vector<tandem::transport::listen_spec> listen;
    std::string to;
    long no_answer = 0;
    std::size_t max_calls = 0;
    tandem::logger::level level = tandem::logger::level::warning;
    tandem::transport::tls_options tls;
    long session_expires = 1800, min_se = 90, max_duration = 0;
    b2b::session_timers timer_mode = b2b::session_timers::local;
    b2b::transfers transfer_mode = b2b::transfers::relay;
    bool relay_media = false;
    tandem::media::rtp_relay_config media;
    std::string media_address;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                fmt::print(stderr, "b2bua: {} needs a value\n", a);
                std::exit(2);
            }
            return argv[++i];
        };
        // a whole number of seconds, or a clear error
        auto seconds = [&]() -> long {
            std::string v = value();
            char* end = nullptr;
            long n = std::strtol(v.c_str(), &end, 10);
            if (v.empty() || *end != '\0' || n < 0 || n > 86400) {
                fmt::print(stderr, "b2bua: {} takes a number of seconds from 0 to 86400, not '{}'\n", a, v);
                std::exit(2);
            }
            return n;
        };
        if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else if (a == "--listen") {
            auto spec = tandem::transport::parse_listen_spec(value());
            if (!spec) {
                fmt::print(stderr, "b2bua: bad --listen value: {}\n", spec.error().message());
                return 2;
            }
            listen.push_back(*spec);
        } else if (a == "--to")
            to = value();
        else if (a == "--no-answer-timeout")
            no_answer = std::atol(value().c_str());
        else if (a == "--session-timers")
            timer_mode = one_of<b2b::session_timers>(a, value(),
                                                     {{"local", b2b::session_timers::local},
                                                      {"relay", b2b::session_timers::relay},
                                                      {"off", b2b::session_timers::off}});
        else if (a == "--transfers")
            transfer_mode = one_of<b2b::transfers>(a, value(),
                                                   {{"relay", b2b::transfers::relay},
                                                    {"local", b2b::transfers::local},
                                                    {"refuse", b2b::transfers::refuse}});
        else if (a == "--media")
            relay_media = one_of<bool>(a, value(), {{"none", false}, {"relay", true}});
        else if (a == "--rtp-ports") {
            std::string v = value();
            if (!examples::parse_port_range(v, media.port_min, media.port_max)) {
                fmt::print(stderr,
                           "b2bua: --rtp-ports takes LOW-HIGH with 1024 <= LOW < HIGH <= 65535, not '{}'\n",
                           v);
                return 2;
            }
        } else if (a == "--media-address")
            media_address = value();
        else if (a == "--media-timeout")
            media.timeout = std::chrono::seconds(seconds());
        else if (a == "--session-expires")
            session_expires = seconds();
        else if (a == "--min-se")
            min_se = seconds();
        else if (a == "--max-duration")
            max_duration = seconds();
        else if (a == "--max-calls")
            max_calls = static_cast<std::size_t>(std::atol(value().c_str()));
        else if (a == "--cert")
            tls.certificate_file = value();
        else if (a == "--key")
            tls.private_key_file = value();
        else if (a == "--log") {
            auto l = tandem::parse_level(value());
            if (!l) {
                fmt::print(stderr, "b2bua: --log takes trace, debug, info, warning, error or off\n");
                return 2;
            }
            level = *l;
        } else {
            fmt::print(stderr, "b2bua: unknown argument {}\n", a);
            usage(stderr);
            return 2;
        }
    }
    auto target = msg::parse_uri(to);
    if (to.empty() || !target || !target->is_sip()) {
        fmt::print(stderr, "b2bua: --to needs a sip: or sips: URI, e.g. sip:127.0.0.1:5070\n");
        usage(stderr);
        return 2;
    }
    if (min_se < 90 || (session_expires != 0 && session_expires < min_se)) {
        fmt::print(stderr, "b2bua: --min-se must be at least 90 (RFC 4028 4) and --session-expires 0 or at "
                           "least --min-se\n");
        return 2;
    }
    if (listen.empty()) listen.push_back(*tandem::transport::parse_listen_spec("udp:127.0.0.1:5060"));
    if (relay_media) {
        std::error_code ec;
        auto ip = media_address.empty() ? listen.front().local.ip : asio::ip::make_address(media_address, ec);
        if (ec || ip.is_unspecified()) {
            fmt::print(stderr, "b2bua: --media-address needs an IP address{}\n",
                       media_address.empty() ? " when the first --listen address is unspecified" : "");
            return 2;
        }
        media.addresses.ipv4 = ip.is_v4() ? ip.to_string() : "";
        media.addresses.ipv6 = ip.is_v6() ? ip.to_string() : "";
    }

    asio::io_context io(1);
    tandem::net::stack_config cfg;
    cfg.log.min = level;
    cfg.log.sink = [](tandem::logger::level l, std::string_view line) {
        fmt::print(stderr, "b2bua {}: {}\n", to_string(l), line);
    };
    if (!tls.certificate_file.empty()) {
        tls.verify_peer = false;
        cfg.tls = tls;
    }
    tandem::net::stack sip(io.get_executor(), cfg);
    try {
        for (auto& l : listen) sip.listen(l);
    } catch (const std::exception& e) {
        fmt::print(stderr, "b2bua: cannot listen: {}\n", e.what());
        return 1;
    }
    b2b::service_config scfg;
    scfg.max_calls = max_calls;
    scfg.session_timer.interval = std::chrono::seconds(session_expires);
    scfg.session_timer.min_se = std::chrono::seconds(min_se);
    scfg.timer_mode = timer_mode;
    scfg.transfer_mode = transfer_mode;
    scfg.max_duration = std::chrono::seconds(max_duration);
    fixed_route policy{*target, to, std::chrono::seconds(no_answer),
                       relay_media && level <= tandem::logger::level::info};
    if (relay_media) {
        tandem::media::rtp_relay relay(io.get_executor(), media);
        return examples::serve(
            "b2bua", io, sip,
            b2b::service<fixed_route, tandem::media::rtp_relay>(sip, policy, std::move(relay), scfg));
    }
    return examples::serve("b2bua", io, sip, b2b::service<fixed_route>(sip, policy, {}, scfg));
}
