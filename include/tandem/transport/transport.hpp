#ifndef TANDEM_TRANSPORT_TRANSPORT_HPP
#define TANDEM_TRANSPORT_TRANSPORT_HPP

/// @file Vocabulary shared by the transports (RFC 3261 18): transport kinds, addresses, listen
/// specifications, received messages and the event handler.

#include <tandem/config.hpp>
#include <tandem/result.hpp>
#include <tandem/transport/error.hpp>

#include <asio/ip/address.hpp>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>

namespace tandem::transport {

/// A SIP transport protocol.
enum class kind : std::uint8_t { udp, tcp, tls };

/// The Via transport token (RFC 3261 18.2.1, 20.42): `"UDP"`, `"TCP"` or `"TLS"`.
TANDEM_DECL std::string_view to_string(kind k) noexcept {
    switch (k) {
    case kind::udp: return "UDP";
    case kind::tcp: return "TCP";
    case kind::tls: return "TLS";
    }
    return "UDP";
}

/// A remote or local transport address.
struct address {
    asio::ip::address ip;
    std::uint16_t port = 0;
    bool operator==(const address&) const = default;
};

/// The text of an IP address; IPv4 without `inet_ntop` (which formats with `sprintf`: this
/// is on the path of every message).
TANDEM_DECL std::string ip_to_string(const asio::ip::address& ip) {
    if (!ip.is_v4()) return ip.to_string();
    auto b = ip.to_v4().to_bytes();
    char buf[16];
    std::size_t n = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        unsigned v = b[i];
        if (v >= 100) buf[n++] = static_cast<char>('0' + v / 100);
        if (v >= 10) buf[n++] = static_cast<char>('0' + v / 10 % 10);
        buf[n++] = static_cast<char>('0' + v % 10);
        if (i < 3) buf[n++] = '.';
    }
    return std::string(buf, n);
}

/// `"192.0.2.1:5060"`, or `"[::1]:5060"` for IPv6.
TANDEM_DECL std::string to_string(const address& a) {
    std::string ip = ip_to_string(a.ip);
    std::string out;
    out.reserve(ip.size() + 8);
    if (a.ip.is_v6()) {
        out += '[';
        out += ip;
        out += ']';
    } else {
        out += ip;
    }
    out += ':';
    out += std::to_string(a.port);
    return out;
}

/**
 * What a transport listens on: `"udp:127.0.0.1:5070"`, `"tcp:[::1]:5071"`, `"tls:127.0.0.1"`.
 *
 * The transport name is case-insensitive; IPv6 addresses are bracketed when a port follows.
 * The port is optional and defaults to 5060, or 5061 for TLS (RFC 3261 19.1.2).
 */
struct listen_spec {
    kind transport = kind::udp;
    address local;
    bool operator==(const listen_spec&) const = default;
};

/// Parses a listen specification; fails with `transport_errc::bad_listen_spec`.
TANDEM_DECL result<listen_spec> parse_listen_spec(std::string_view s) {
    auto lower_equals = [](std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            char c = a[i];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            if (c != b[i]) return false;
        }
        return true;
    };
    std::size_t colon = s.find(':');
    if (colon == std::string_view::npos) return transport_errc::bad_listen_spec;
    listen_spec out;
    std::string_view name = s.substr(0, colon);
    if (lower_equals(name, "udp"))
        out.transport = kind::udp;
    else if (lower_equals(name, "tcp"))
        out.transport = kind::tcp;
    else if (lower_equals(name, "tls"))
        out.transport = kind::tls;
    else
        return transport_errc::bad_listen_spec;
    out.local.port = out.transport == kind::tls ? 5061 : 5060;

    std::string_view rest = s.substr(colon + 1);
    std::string_view host;
    std::string_view port;
    if (rest.starts_with('[')) {
        std::size_t close = rest.find(']');
        if (close == std::string_view::npos) return transport_errc::bad_listen_spec;
        host = rest.substr(1, close - 1);
        std::string_view after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return transport_errc::bad_listen_spec;
            port = after.substr(1);
            if (port.empty()) return transport_errc::bad_listen_spec;
        }
    } else if (std::size_t c = rest.find(':');
               c != std::string_view::npos && rest.find(':', c + 1) == rest.npos) {
        host = rest.substr(0, c); // IPv4 with a port
        port = rest.substr(c + 1);
        if (port.empty()) return transport_errc::bad_listen_spec;
    } else {
        host = rest; // IPv4 without a port, or a bare IPv6 address
    }
    if (host.empty()) return transport_errc::bad_listen_spec;

    std::error_code ec;
    out.local.ip = asio::ip::make_address(std::string(host), ec);
    if (ec) return transport_errc::bad_listen_spec;
    if (!port.empty()) {
        unsigned value = 0;
        auto [end, perr] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (perr != std::errc() || end != port.data() + port.size() || value > 65535)
            return transport_errc::bad_listen_spec;
        out.local.port = static_cast<std::uint16_t>(value);
    }
    return out;
}

/// One framed message received: a whole UDP datagram, or one message cut by `stream_framer`.
struct inbound {
    std::string bytes;
    kind transport = kind::udp;
    address remote;
    address local;
    /// 0 for UDP; stream connections are numbered from 1 by their transport.
    std::uint64_t connection = 0;
};

/**
 * TLS settings of a stream transport.
 *
 * A server needs `certificate_file` (PEM, may hold the chain) and `private_key_file` (PEM). A
 * client verifies the server's chain against `ca_file` (PEM; the system's default paths when
 * empty) and the server name it connects to against the certificate, unless `verify_peer` is
 * false. Client certificates are neither requested nor sent.
 */
struct tls_options {
    std::string certificate_file;
    std::string private_key_file;
    std::string ca_file;
    bool verify_peer = true;
};

/// Limits of a stream transport (TCP, TLS).
struct stream_options {
    /// A connection without traffic in either direction for this long is closed.
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};
    /// The largest message (header section + body) accepted on a connection; a bigger one is a
    /// framing error that closes the connection.
    std::size_t max_message_size = 65536;
    /// A connection whose not-yet-written bytes exceed this is closed (`transport_errc::queue_full`).
    std::size_t max_queued_bytes = std::size_t(1) << 20;
    /// Bound on establishing a connection: TCP connect plus TLS handshake, for both directions.
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(32)};
};

/**
 * Receives a transport's events.
 *
 * The functions are called on the transport's executor and must not block. They may call the
 * transport (send, close) from inside.
 */
struct handler {
    /// A message was received.
    std::function<void(inbound&&)> on_message;
    /// A stream connection was closed, by the peer, by an error, by the idle timeout or locally
    /// (then the code is `asio::error::operation_aborted`). Not called for UDP.
    std::function<void(std::uint64_t connection, std::error_code)> on_closed;
};

namespace detail {

/// Strict weak order of addresses, for map keys.
struct address_less {
    bool operator()(const address& a, const address& b) const noexcept {
        return std::tie(a.ip, a.port) < std::tie(b.ip, b.port);
    }
};

/// An endpoint's address; IPv4-mapped IPv6 addresses (from dual-stack sockets) become IPv4, so
/// that one peer has one address.
template <class Endpoint>
address from_endpoint(const Endpoint& ep) {
    asio::ip::address ip = ep.address();
    if (ip.is_v6() && ip.to_v6().is_v4_mapped())
        ip = asio::ip::make_address_v4(asio::ip::v4_mapped, ip.to_v6());
    return {ip, ep.port()};
}

/// The endpoint for `a` on a socket of `family`: an IPv4 address is mapped into IPv6 for an IPv6
/// socket (which may be dual-stack).
template <class Endpoint>
Endpoint to_endpoint(const address& a, const typename Endpoint::protocol_type& family) {
    if (a.ip.is_v4() && family == Endpoint::protocol_type::v6())
        return {asio::ip::make_address_v6(asio::ip::v4_mapped, a.ip.to_v4()), a.port};
    return {a.ip, a.port};
}

} // namespace detail

} // namespace tandem::transport

#endif
