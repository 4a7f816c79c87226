#ifndef TANDEM_TRANSPORT_UDP_HPP
#define TANDEM_TRANSPORT_UDP_HPP

/// @file SIP over UDP (RFC 3261 18): one datagram is one message.

#include <tandem/config.hpp>
#include <tandem/transport/transport.hpp>
#include <tandem/detail/asio_compat.hpp>

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/ip/udp.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace tandem::transport {

/**
 * A UDP socket bound to one local address, receiving and sending whole datagrams.
 *
 * All member functions must be called on the executor the transport was made with (one
 * thread per stack, STYLE.md 3.6). Destroying the transport closes it; `run()` may still be
 * suspended then and returns without touching it.
 */
class udp_transport {
public:
    /**
     * Opens and binds the socket.
     *
     * @param local the address to bind; port 0 picks a free port (see `local_address()`).
     * @throws std::system_error on configuration errors, for example a port in use.
     */
    /// The socket buffers asked for (each way).
    static constexpr int udp_buffer_bytes = 4 << 20;

    udp_transport(asio::any_io_executor ex, address local) : s_(std::make_shared<state>(std::move(ex))) {
        auto ep = detail::to_endpoint<asio::ip::udp::endpoint>(local, local.ip.is_v4() ? asio::ip::udp::v4()
                                                                                       : asio::ip::udp::v6());
        s_->socket.open(ep.protocol());
        s_->family = ep.protocol();
        s_->socket.bind(ep);
        // Room for bursts: a signaling element that stalls 100 ms at a few thousand calls/s
        // (a page fault storm, a busy neighbour) has ~1 MB queued; the default (~200 KB) drops
        // it and every drop costs a retransmission. The system caps this at net.core.rmem_max /
        // wmem_max; a refusal is not an error.
        std::error_code ignored;
        s_->socket.set_option(asio::socket_base::receive_buffer_size(udp_buffer_bytes), ignored);
        s_->socket.set_option(asio::socket_base::send_buffer_size(udp_buffer_bytes), ignored);
        // send() must never block the executor: a full send buffer is reported as would_block.
        s_->socket.non_blocking(true);
        s_->local = detail::from_endpoint(s_->socket.local_endpoint());
    }
    udp_transport(const udp_transport&) = delete;
    udp_transport& operator=(const udp_transport&) = delete;
    ~udp_transport() { close(); }

    /// The bound address, with the port the system chose when 0 was asked for.
    address local_address() const { return s_->local; }

    /**
     * Receives datagrams and hands each one to `h.on_message` until `close()`.
     *
     * Empty datagrams and datagrams of CR and LF only (keep-alives, RFC 5626 3.5.1 uses STUN on
     * UDP, but CRLF is common practice) are dropped. Transient receive errors, such as ICMP
     * errors reported for earlier sends, are skipped. Exceptions thrown by the handler
     * propagate out of `run()`.
     */
    asio::awaitable<void> run(handler h) { return receive_loop(s_, std::move(h)); }

    /**
     * Sends one datagram now, without blocking.
     *
     * @return the socket's error: `asio::error::would_block` when the send buffer is full (the
     * datagram is dropped; SIP retransmissions recover), `message_size` when it is too large.
     */
    std::error_code send(std::string_view bytes, const address& to) {
        if (!s_->socket.is_open()) return transport_errc::closed;
        auto ep = detail::to_endpoint<asio::ip::udp::endpoint>(to, s_->family);
        std::error_code ec;
        s_->socket.send_to(asio::buffer(bytes.data(), bytes.size()), ep, 0, ec);
        return ec;
    }

    /// Closes the socket; `run()` returns.
    void close() {
        std::error_code ignored;
        s_->socket.close(ignored);
    }

private:
    struct state {
        explicit state(asio::any_io_executor ex) : socket(std::move(ex)) {}
        asio::ip::udp::socket socket;
        asio::ip::udp family = asio::ip::udp::v4();
        address local;
        std::string buffer = std::string(65536, '\0'); // the largest UDP payload, and then some
    };

    static bool is_keepalive(std::string_view d) noexcept {
        return d.find_first_not_of("\r\n") == std::string_view::npos;
    }

    static asio::awaitable<void> receive_loop(std::shared_ptr<state> s, handler h) {
        asio::ip::udp::endpoint from;
        while (s->socket.is_open()) {
            auto [ec, n] = co_await s->socket.async_receive_from(asio::buffer(s->buffer), from,
                                                                 tandem::detail::nothrow_awaitable);
            if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) break;
            if (ec) continue; // e.g. connection_refused from an ICMP error on Linux
            std::string_view datagram(s->buffer.data(), n);
            if (is_keepalive(datagram) || !h.on_message) continue;
            inbound m;
            m.bytes.assign(datagram);
            m.transport = kind::udp;
            m.remote = detail::from_endpoint(from);
            m.local = s->local;
            h.on_message(std::move(m));
        }
    }

    std::shared_ptr<state> s_;
};

} // namespace tandem::transport

#endif
