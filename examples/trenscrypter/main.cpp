// trenscrypter: a B2BUA that re-encrypts media between its legs.
//
//   trenscrypter [--listen udp:ADDR:PORT]... --to SIP-URI [--encryption REGEX=MODE]...
//                [--rtp-ports LOW-HIGH] [--media-address IP] [--media-timeout SECONDS]
//                [--cert FILE --key FILE] [--log LEVEL]
//
// Calls are bridged as by `b2bua --media relay` (leg B toward --to with the caller's user
// part), but each leg's media encryption is its own: leg A speaks what its phone offers (plain
// RTP, SDES-SRTP, DTLS-SRTP or ZRTP) and leg B what the first --encryption rule whose REGEX
// matches leg B's whole Request-URI says (no match: the same as leg A). MODE is none, sdes,
// sdes:SUITE[,SUITE...] (offered in that order), dtls or zrtp. Every packet is decrypted with
// one leg's keys and encrypted with the other's, never decoded, so any codec crosses. --cert and
// --key give the DTLS identity (PEM; a P-256 certificate is generated at start otherwise). At
// --log info each call's media line names each leg's encryption and, for ZRTP, the SAS its
// phone shows (a_sas=, b_sas=).
//
// Try it (a plain intercom on leg A, an SRTP phone behind sip:127.0.0.1:5070):
//   trenscrypter --to sip:127.0.0.1:5070 --encryption '.*=sdes'

#include "../common/serve.hpp"

#include <tandem/b2bua/service.hpp>
#include <tandem/media/rtp_relay.hpp>

#include <asio.hpp>
#include <fmt/core.h>

#include <cstdlib>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace msg = tandem::message;
namespace b2b = tandem::b2bua;
namespace media = tandem::media;

namespace {

// One --encryption rule.
struct rule {
    std::string pattern;
    std::regex re;
    media::encryption_choice choice;
};

// The policy: every call to one next hop; leg B's encryption by the first matching rule.
struct trenscrypt_route {
    msg::uri target;
    std::vector<rule> rules;
    bool log_info = false;

    b2b::decision route(const msg::message& invite) {
        b2b::route_decision d;
        d.request_uri = examples::leg_b_uri(target, invite);
        for (const auto& r : rules) {
            if (!std::regex_match(d.request_uri, r.re)) continue;
            media::srtp_relay::options o;
            o.encryption_b = r.choice;
            d.media = o;
            if (log_info)
                fmt::print(stderr, "trenscrypter info: leg B {} encryption={} (rule '{}')\n", d.request_uri,
                           to_string(r.choice.mode), r.pattern);
            break;
        }
        return d;
    }
    void on_event(const b2b::call_event& e) {
        if (!log_info) return;
        if (e.what == b2b::call_event::kind::ended && !e.cause.empty())
            fmt::print(stderr, "trenscrypter info: call={} ended: {}\n", e.call_id_a, e.cause);
        examples::print_media_stats("trenscrypter", e);
    }
};
static_assert(b2b::policy<trenscrypt_route>);

void usage(std::FILE* to) {
    fmt::print(
        to, "usage: trenscrypter [--listen udp:ADDR:PORT]... --to SIP-URI [--encryption REGEX=MODE]...\n"
            "                    [--rtp-ports LOW-HIGH (30000-39999)] [--media-address IP]\n"
            "                    [--media-timeout SECONDS (30; 0 = none)] [--cert FILE --key FILE]\n"
            "                    [--log error|warning|info|debug|trace]\n"
            "MODE: none | sdes | sdes:SUITE[,SUITE...] | dtls | zrtp; SUITE: AES_CM_128_HMAC_SHA1_80,\n"
            "AES_CM_128_HMAC_SHA1_32, AES_256_CM_HMAC_SHA1_80, AES_256_CM_HMAC_SHA1_32, AEAD_AES_128_GCM,\n"
            "AEAD_AES_256_GCM\n");
}

[[noreturn]] void die(const std::string& what) {
    fmt::print(stderr, "trenscrypter: {}\n", what);
    std::exit(2);
}

// REGEX=MODE, split at the last '='.
rule parse_rule(const std::string& v) {
    auto eq = v.rfind('=');
    if (eq == std::string::npos || eq == 0) die("--encryption takes REGEX=MODE, not '" + v + "'");
    rule r;
    r.pattern = v.substr(0, eq);
    std::string mode = v.substr(eq + 1);
    try {
        r.re = std::regex(r.pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        die("--encryption: bad regular expression '" + r.pattern + "': " + e.what());
    }
    if (mode == "none") {
        r.choice.mode = media::encryption::none;
    } else if (mode == "dtls") {
        r.choice.mode = media::encryption::dtls;
    } else if (mode == "sdes" || mode.starts_with("sdes:")) {
        r.choice.mode = media::encryption::sdes;
        std::string list = mode.size() > 5 ? mode.substr(5) : "";
        if (mode.size() > 4 && list.empty()) die("--encryption: sdes: needs at least one suite");
        for (std::size_t at = 0; at < list.size();) {
            auto comma = list.find(',', at);
            std::string name = list.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
            auto s = tandem::srtp::suite_from_name(name);
            if (!s) die("--encryption: unknown SDES suite '" + name + "'");
            r.choice.suites.push_back(*s);
            at = comma == std::string::npos ? list.size() : comma + 1;
        }
    } else if (mode == "zrtp") {
        r.choice.mode = media::encryption::zrtp;
    } else {
        die("--encryption: MODE is none, sdes, sdes:SUITE[,SUITE...], dtls or zrtp, not '" + mode + "'");
    }
    return r;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<tandem::transport::listen_spec> listen;
    std::string to, media_address, cert_file, key_file;
    tandem::logger::level level = tandem::logger::level::warning;
    media::srtp_relay_config relay_cfg;
    std::vector<rule> rules;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) die(a + " needs a value");
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else if (a == "--listen") {
            auto spec = tandem::transport::parse_listen_spec(value());
            if (!spec) die("bad --listen value: " + spec.error().message());
            listen.push_back(*spec);
        } else if (a == "--to") {
            to = value();
        } else if (a == "--encryption") {
            rules.push_back(parse_rule(value()));
        } else if (a == "--rtp-ports") {
            std::string v = value();
            if (!examples::parse_port_range(v, relay_cfg.port_min, relay_cfg.port_max))
                die("--rtp-ports takes LOW-HIGH with 1024 <= LOW < HIGH <= 65535, not '" + v + "'");
        } else if (a == "--media-address") {
            media_address = value();
        } else if (a == "--media-timeout") {
            std::string v = value();
            char* end = nullptr;
            long n = std::strtol(v.c_str(), &end, 10);
            if (v.empty() || *end != '\0' || n < 0 || n > 86400)
                die("--media-timeout takes a number of seconds from 0 to 86400, not '" + v + "'");
            relay_cfg.timeout = std::chrono::seconds(n);
        } else if (a == "--cert") {
            cert_file = value();
        } else if (a == "--key") {
            key_file = value();
        } else if (a == "--log") {
            auto l = tandem::parse_level(value());
            if (!l) die("--log takes trace, debug, info, warning, error or off");
            level = *l;
        } else {
            fmt::print(stderr, "trenscrypter: unknown argument {}\n", a);
            usage(stderr);
            return 2;
        }
    }
    auto target = msg::parse_uri(to);
    if (to.empty() || !target || !target->is_sip()) {
        usage(stderr);
        die("--to needs a sip: or sips: URI, e.g. sip:127.0.0.1:5070");
    }
    if (cert_file.empty() != key_file.empty()) die("--cert and --key go together");
    if (listen.empty()) listen.push_back(*tandem::transport::parse_listen_spec("udp:127.0.0.1:5060"));
    std::error_code ec;
    auto ip = media_address.empty() ? listen.front().local.ip : asio::ip::make_address(media_address, ec);
    if (ec || ip.is_unspecified())
        die(std::string("--media-address needs an IP address") +
            (media_address.empty() ? " when the first --listen address is unspecified" : ""));
    relay_cfg.addresses.ipv4 = ip.is_v4() ? ip.to_string() : "";
    relay_cfg.addresses.ipv6 = ip.is_v6() ? ip.to_string() : "";

    // one DTLS identity for the process
    auto cert = cert_file.empty() ? tandem::srtp::certificate::generate()
                                  : tandem::srtp::certificate::load(cert_file, key_file);
    if (!cert) {
        fmt::print(stderr, "trenscrypter: DTLS certificate: {}\n", cert.error().message());
        return 1;
    }
    relay_cfg.certificate = std::make_shared<const tandem::srtp::certificate>(std::move(*cert));
    if (level <= tandem::logger::level::info)
        fmt::print(stderr, "trenscrypter info: DTLS fingerprint {}\n", relay_cfg.certificate->fingerprint());

    asio::io_context io(1);
    tandem::net::stack_config cfg;
    cfg.log.min = level;
    cfg.log.sink = [](tandem::logger::level l, std::string_view line) {
        fmt::print(stderr, "trenscrypter {}: {}\n", to_string(l), line);
    };
    tandem::net::stack sip(io.get_executor(), cfg);
    try {
        for (auto& l : listen) sip.listen(l);
    } catch (const std::exception& e) {
        fmt::print(stderr, "trenscrypter: cannot listen: {}\n", e.what());
        return 1;
    }
    trenscrypt_route policy{*target, std::move(rules), level <= tandem::logger::level::info};
    media::srtp_relay relay(io.get_executor(), relay_cfg);
    return examples::serve(
        "trenscrypter", io, sip,
        b2b::service<trenscrypt_route, media::srtp_relay>(sip, policy, std::move(relay), {}));
}
