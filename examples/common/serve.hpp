#ifndef TANDEM_EXAMPLES_COMMON_SERVE_HPP
#define TANDEM_EXAMPLES_COMMON_SERVE_HPP

// What the example B2BUAs (b2bua, trenscrypter) share: command-line helpers, leg B's
// Request-URI toward one next hop, and the loop that runs a service until SIGINT/SIGTERM.

#include <tandem/b2bua/service.hpp>

#include <asio.hpp>
#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <initializer_list>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <string>
#include <utility>

namespace examples {

// The value of `flag` among `names`, or a clear error and exit 2.
template <class T>
T one_of(const char* program, const std::string& flag, const std::string& v,
         std::initializer_list<std::pair<const char*, T>> names) {
    std::string all;
    for (const auto& [name, value] : names) {
        if (v == name) return value;
        all += all.empty() ? name : std::string(", ") + name;
    }
    fmt::print(stderr, "{}: {} takes one of {}, not '{}'\n", program, flag, all, v);
    std::exit(2);
}

// --rtp-ports LOW-HIGH: an even/odd range of at least one pair, or false.
inline bool parse_port_range(const std::string& v, std::uint16_t& min, std::uint16_t& max) {
    unsigned low = 0, high = 0;
    char dash = 0, extra = 0;
    if (std::sscanf(v.c_str(), "%u%c%u%c", &low, &dash, &high, &extra) != 3 || dash != '-' || low < 1024 ||
        high > 65535 || high < low + 1)
        return false;
    min = static_cast<std::uint16_t>(low);
    max = static_cast<std::uint16_t>(high);
    return true;
}

// Leg B's Request-URI: the caller's user part at the --to target (its host, port, parameters).
inline std::string leg_b_uri(const tandem::message::uri& target, const tandem::message::message& invite) {
    auto ruri = invite.request_uri();
    std::string user = ruri && ruri->has_user ? std::string(ruri->user) + "@" : "";
    std::string host = std::string(target.host) + (target.has_port ? ":" + std::to_string(target.port) : "");
    return std::string(target.scheme_text) + ":" + user + host + std::string(target.params.text());
}

// Prints a call's media figures when it ends (at --log info).
inline void print_media_stats(const char* program, const tandem::b2bua::call_event& e) {
    if (e.what != tandem::b2bua::call_event::kind::ended) return;
    const auto& a = e.media.legs[0];
    const auto& b = e.media.legs[1];
    // each leg's media encryption and ZRTP SAS, when the relay terminates them
    std::string crypto;
    for (auto [name, leg] : {std::pair{"a", &a}, std::pair{"b", &b}}) {
        if (!leg->encryption.empty()) crypto += fmt::format(" {}_encryption={}", name, leg->encryption);
        if (!leg->sas.empty()) crypto += fmt::format(" {}_sas={}", name, leg->sas);
    }
    fmt::print(stderr,
               "{} info: media stats call={} a_packets={} a_bytes={} a_dropped={} b_packets={} "
               "b_bytes={} b_dropped={}{}\n",
               program, e.call_id_a, a.packets, a.bytes, a.dropped, b.packets, b.bytes, b.dropped, crypto);
}

// Runs the B2BUA until SIGINT or SIGTERM; then every call ends (BYE, or 503 + CANCEL) and 0.
template <class Service>
int serve(const char* program, asio::io_context& io, tandem::net::stack& sip, Service&& b2bua) {
    // Memory of ended transactions goes back to the system every 10 s (glibc keeps freed
    // pages otherwise, and a burst of call setups would hold its peak for good).
    asio::steady_timer trim(io);
    std::function<void()> trim_later = [&] {
        trim.expires_after(std::chrono::seconds(10));
        trim.async_wait([&](std::error_code ec) {
            if (ec) return;
#if defined(__GLIBC__)
            ::malloc_trim(0);
#endif
            trim_later();
        });
    };
    trim_later();

    asio::signal_set signals(io, SIGINT, SIGTERM);
    asio::steady_timer grace(io);
    signals.async_wait([&](std::error_code, int) {
        b2bua.end_all();
        // let the BYEs and CANCELs get their answers (bounded), then stop
        grace.expires_after(std::chrono::seconds(2));
        grace.async_wait([&](std::error_code) {
            trim.cancel();
            sip.stop();
        });
    });
    auto log_exception = [program](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            fmt::print(stderr, "{}: {}\n", program, x.what());
        }
    };
    asio::co_spawn(io, sip.run(), log_exception);
    asio::co_spawn(io, b2bua.run(), log_exception);
    io.run();
    return 0;
}

} // namespace examples

#endif
