#ifndef TANDEM_TRANSPORT_STREAM_HPP
#define TANDEM_TRANSPORT_STREAM_HPP

/// @file SIP over TCP and TLS (RFC 3261 18.3, 26.2): connections, framing, keep-alives.

#include <tandem/config.hpp>
#include <tandem/message/error.hpp>
#include <tandem/message/stream_framer.hpp>
#include <tandem/result.hpp>
#include <tandem/transport/error.hpp>
#include <tandem/transport/tls.hpp>
#include <tandem/transport/transport.hpp>
#include <tandem/detail/asio_compat.hpp>
#include <tandem/transport/detail/byte_stream.hpp>

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/co_spawn.hpp>
#include <asio/error.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/socket_base.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace tandem::transport {

namespace detail {

/// One TCP or TLS connection. Owned by the transport's map and by its three coroutines: the
/// reader (handshake as server, then read and frame), the writer (drain the queue) and the
/// watchdog (the connect/handshake deadline, then the idle deadline; independent of the writer
/// so that a write stuck on a peer that stopped reading still times out).
struct stream_connection {
    stream_connection(std::uint64_t i, std::unique_ptr<byte_stream> s, const asio::any_io_executor& ex,
                      std::size_t max_message)
        : id(i), stream(std::move(s)), framer(max_message),
          wake(ex, std::chrono::steady_clock::time_point::max()), watch(ex) {}

    std::uint64_t id;
    std::unique_ptr<byte_stream> stream;
    address remote;
    address local;
    message::stream_framer framer;
    std::deque<std::string> queue; ///< bytes to write, in order
    std::size_t queued = 0;        ///< bytes in `queue`
    asio::steady_timer wake;       ///< the writer sleeps on it; cancelled to wake it
    asio::steady_timer watch;      ///< the watchdog sleeps on it until the next deadline
    std::chrono::steady_clock::time_point last_activity;
    std::chrono::steady_clock::time_point setup_deadline; ///< for connect + TLS handshake
    bool ready = false;  ///< connected (and TLS handshake done): visible to find(), send()
    bool closed = false; ///< close_connection() ran
};

/// The shared state of a `stream_transport`: the transport object is a handle on it, and every
/// coroutine it spawns holds a `shared_ptr`, so the state outlives all of them.
class stream_state : public std::enable_shared_from_this<stream_state> {
public:
    using clock = std::chrono::steady_clock;
    using connection_ptr = std::shared_ptr<stream_connection>;

    stream_state(asio::any_io_executor ex, kind k, stream_options opts, std::optional<tls_options> tls)
        : ex_(std::move(ex)), kind_(k), opts_(opts), acceptor_(ex_), stop_(ex_) {
        if (k == kind::udp) throw std::invalid_argument("tandem: stream_transport is for TCP or TLS");
        if (k == kind::tls) tls_ = std::make_unique<tls_engine>(tls.value_or(tls_options{}));
    }

    void listen(const address& local) {
        if (tls_ && !tls_->can_serve())
            throw std::invalid_argument("tandem: a TLS transport needs a certificate and key to listen");
        auto ep = to_endpoint<asio::ip::tcp::endpoint>(local, local.ip.is_v4() ? asio::ip::tcp::v4()
                                                                               : asio::ip::tcp::v6());
        acceptor_.open(ep.protocol());
        acceptor_.set_option(asio::socket_base::reuse_address(true));
        acceptor_.bind(ep);
        acceptor_.listen(asio::socket_base::max_listen_connections);
        local_ = from_endpoint(acceptor_.local_endpoint());
        stop_.cancel(); // a run() that started before listen() now accepts
    }

    address local_address() const { return local_; }

    static asio::awaitable<void> run(std::shared_ptr<stream_state> self, handler h) {
        self->handler_ = std::move(h);
        while (!self->closed_ && !self->acceptor_.is_open()) {
            // Not listening (yet): wait for listen() or close().
            self->stop_.expires_at(clock::time_point::max());
            co_await self->stop_.async_wait(tandem::detail::nothrow_awaitable);
        }
        asio::steady_timer backoff(self->ex_);
        while (!self->closed_ && self->acceptor_.is_open()) {
            auto [ec, socket] = co_await self->acceptor_.async_accept(tandem::detail::nothrow_awaitable);
            if (self->closed_ || ec == asio::error::operation_aborted) break;
            if (ec) {
                // Out of descriptors or memory: do not spin; connections that close free them.
                backoff.expires_after(std::chrono::milliseconds(50));
                co_await backoff.async_wait(tandem::detail::nothrow_awaitable);
                continue;
            }
            self->accepted(std::move(socket));
        }
        if (self->failure_) std::rethrow_exception(self->failure_);
    }

    static asio::awaitable<result<std::uint64_t>> connect(std::shared_ptr<stream_state> self, address to,
                                                          std::string server_name) {
        if (self->closed_) co_return transport_errc::closed;
        if (auto id = self->find(to)) co_return *id;
        // RFC 3261 18.1.1: one connection per destination. A second connect() while the first
        // is under way waits for its outcome instead of opening another.
        if (auto it = self->connecting_.find(to); it != self->connecting_.end()) {
            std::shared_ptr<pending_connect> p = it->second;
            co_await p->done.async_wait(tandem::detail::nothrow_awaitable);
            co_return p->outcome;
        }
        auto p = std::make_shared<pending_connect>(self->ex_);
        self->connecting_.emplace(to, p);
        result<std::uint64_t> r = co_await self->establish(to, server_name);
        if (auto it = self->connecting_.find(to); it != self->connecting_.end() && it->second == p)
            self->connecting_.erase(it);
        p->outcome = r;
        p->done.cancel();
        co_return r;
    }

    std::error_code send(std::uint64_t id, std::string bytes) {
        auto it = conns_.find(id);
        if (it == conns_.end() || !it->second->ready) return transport_errc::closed;
        return enqueue(it->second, std::move(bytes));
    }

    std::optional<address> remote_of(std::uint64_t id) const {
        auto it = conns_.find(id);
        if (it == conns_.end() || !it->second->ready) return std::nullopt;
        return it->second->remote;
    }

    std::optional<std::uint64_t> find(const address& remote) const {
        auto it = by_remote_.find(remote);
        if (it == by_remote_.end()) return std::nullopt;
        return it->second;
    }

    void close(std::uint64_t id) {
        if (auto it = conns_.find(id); it != conns_.end())
            close_connection(it->second, asio::error::operation_aborted);
    }

    void close() {
        closed_ = true;
        std::error_code ignored;
        acceptor_.close(ignored);
        stop_.cancel();
        std::vector<connection_ptr> all;
        all.reserve(conns_.size());
        for (auto& [id, c] : conns_) all.push_back(c);
        for (auto& c : all) close_connection(c, asio::error::operation_aborted);
    }

    /// Closing without notifications, for the transport's destructor.
    void shut_down() {
        handler_ = {};
        close();
    }

    std::size_t connections() const { return conns_.size(); }

private:
    struct pending_connect {
        explicit pending_connect(const asio::any_io_executor& ex) : done(ex, clock::time_point::max()) {}
        asio::steady_timer done; ///< waiters sleep on it; cancelled when the outcome is known
        result<std::uint64_t> outcome{transport_errc::connect_failed};
    };

    /// Completion of spawned coroutines: an exception (a bug, or thrown by a handler) is kept,
    /// the transport is closed, and run() rethrows it (STYLE.md 3.6: never `detached`).
    struct spawn_completion {
        std::shared_ptr<stream_state> self;
        void operator()(std::exception_ptr e) const {
            if (!e) return;
            if (!self->failure_) self->failure_ = e;
            self->close();
        }
    };

    connection_ptr make_connection(std::unique_ptr<byte_stream> s) {
        auto c = std::make_shared<stream_connection>(next_id_++, std::move(s), ex_, opts_.max_message_size);
        c->last_activity = clock::now();
        c->setup_deadline = c->last_activity + opts_.connect_timeout;
        conns_.emplace(c->id, c);
        return c;
    }

    void accepted(asio::ip::tcp::socket socket) {
        std::error_code ec;
        address remote = from_endpoint(socket.remote_endpoint(ec));
        if (ec) return; // the peer is already gone
        address local = from_endpoint(socket.local_endpoint(ec));
        if (ec) return;
        std::unique_ptr<byte_stream> s;
        if (tls_)
            s = tls_->server_stream(std::move(socket));
        else
            s = std::make_unique<tcp_byte_stream>(std::move(socket));
        connection_ptr c = make_connection(std::move(s));
        c->remote = remote;
        c->local = local;
        if (!tls_) mark_ready(c); // TLS: once the reader has done the handshake
        spawn(watchdog(shared_from_this(), c));
        spawn(writer(shared_from_this(), c));
        spawn(reader(shared_from_this(), c));
    }

    asio::awaitable<result<std::uint64_t>> establish(const address& to, const std::string& server_name) {
        asio::ip::tcp::socket socket(ex_);
        std::unique_ptr<byte_stream> s;
        if (tls_)
            s = tls_->client_stream(std::move(socket), server_name, to);
        else
            s = std::make_unique<tcp_byte_stream>(std::move(socket));
        connection_ptr c = make_connection(std::move(s));
        c->remote = to;
        // The watchdog closes the socket at c->setup_deadline, which aborts the connect or the
        // handshake below.
        spawn(watchdog(shared_from_this(), c));
        spawn(writer(shared_from_this(), c));

        auto ep = to_endpoint<asio::ip::tcp::endpoint>(to, to.ip.is_v4() ? asio::ip::tcp::v4()
                                                                         : asio::ip::tcp::v6());
        auto [ec] = co_await c->stream->socket().async_connect(ep, tandem::detail::nothrow_awaitable);
        if (ec || c->closed) {
            close_connection(c, transport_errc::connect_failed);
            co_return transport_errc::connect_failed;
        }
        if (tls_) {
            auto [hec] = co_await c->stream->handshake();
            if (hec || c->closed) {
                close_connection(c, transport_errc::tls_handshake_failed);
                co_return transport_errc::tls_handshake_failed;
            }
        }
        std::error_code lec;
        c->local = from_endpoint(c->stream->socket().local_endpoint(lec));
        mark_ready(c);
        spawn(reader(shared_from_this(), c));
        co_return c->id;
    }

    void mark_ready(const connection_ptr& c) {
        c->ready = true;
        c->last_activity = clock::now();
        by_remote_.emplace(c->remote, c->id);
        c->watch.cancel(); // the watchdog now watches the idle deadline
        c->wake.cancel();  // the writer may start
    }

    std::error_code enqueue(const connection_ptr& c, std::string bytes) {
        if (c->queued + bytes.size() > opts_.max_queued_bytes) {
            // A peer that does not read: holding more would let it exhaust our memory.
            close_connection(c, transport_errc::queue_full);
            return transport_errc::queue_full;
        }
        c->queued += bytes.size();
        c->queue.push_back(std::move(bytes));
        c->wake.cancel();
        return {};
    }

    /// Closes `c` once. Connections that were ready are reported to on_closed, posted so that
    /// the handler never runs inside a call into the transport. `c` by value: it may be the
    /// map's own pointer, which erase() destroys.
    void close_connection(connection_ptr c, std::error_code why) {
        if (c->closed) return;
        c->closed = true;
        c->stream->close();
        c->wake.cancel();
        c->watch.cancel();
        c->queue.clear();
        c->queued = 0;
        conns_.erase(c->id);
        if (!c->ready) return;
        auto [first, last] = by_remote_.equal_range(c->remote);
        for (auto it = first; it != last; ++it) {
            if (it->second == c->id) {
                by_remote_.erase(it);
                break;
            }
        }
        if (handler_.on_closed) asio::post(ex_, closed_notification{shared_from_this(), c->id, why});
    }

    struct closed_notification {
        std::shared_ptr<stream_state> self;
        std::uint64_t id;
        std::error_code why;
        void operator()() const {
            if (self->handler_.on_closed) self->handler_.on_closed(id, why);
        }
    };

    static std::error_code framing_error(std::error_code e) {
        if (e == parse_errc::message_too_large) return transport_errc::message_too_large;
        return transport_errc::framing_error;
    }

    void spawn(asio::awaitable<void> a) {
        asio::co_spawn(ex_, std::move(a), spawn_completion{shared_from_this()});
    }

    static asio::awaitable<void> reader(std::shared_ptr<stream_state> self, connection_ptr c) {
        if (!c->ready) { // TLS server side
            auto [ec] = co_await c->stream->handshake();
            if (c->closed) co_return;
            if (ec) {
                self->close_connection(c, transport_errc::tls_handshake_failed);
                co_return;
            }
            self->mark_ready(c);
        }
        std::string buffer(16384, '\0');
        while (!c->closed) {
            auto [ec, n] = co_await c->stream->read_some(asio::buffer(buffer));
            if (c->closed) co_return;
            if (ec) {
                bool orderly = c->stream->is_orderly_close(ec);
                self->close_connection(c, orderly ? std::error_code(transport_errc::closed) : ec);
                co_return;
            }
            c->last_activity = clock::now();
            if (auto e = c->framer.append(std::string_view(buffer.data(), n))) {
                self->close_connection(c, framing_error(e));
                co_return;
            }
            for (;;) {
                auto f = c->framer.next();
                if (!f) {
                    // RFC 3261 18.3: without a usable Content-Length the stream cannot be
                    // resynchronised.
                    self->close_connection(c, framing_error(f.error()));
                    co_return;
                }
                if (f->what == message::stream_framer::status::incomplete) break;
                if (f->what == message::stream_framer::status::ping) {
                    // RFC 5626 4.4.1: answer a CRLFCRLF ping with a CRLF pong.
                    if (self->enqueue(c, "\r\n")) co_return;
                    continue;
                }
                if (self->handler_.on_message) {
                    inbound m;
                    m.bytes.assign(f->bytes);
                    m.transport = self->kind_;
                    m.remote = c->remote;
                    m.local = c->local;
                    m.connection = c->id;
                    self->handler_.on_message(std::move(m));
                }
                if (c->closed) co_return;
            }
        }
    }

    static asio::awaitable<void> writer(std::shared_ptr<stream_state> self, connection_ptr c) {
        while (!c->closed) {
            if (!c->ready || c->queue.empty()) {
                // Woken by enqueue(), mark_ready() or close_connection().
                c->wake.expires_at(clock::time_point::max());
                co_await c->wake.async_wait(tandem::detail::nothrow_awaitable);
                continue;
            }
            std::string bytes = std::move(c->queue.front());
            c->queue.pop_front();
            c->queued -= bytes.size();
            auto [ec, n] = co_await c->stream->write(asio::buffer(bytes));
            if (c->closed) co_return;
            if (ec) {
                self->close_connection(c, ec);
                co_return;
            }
            c->last_activity = clock::now();
        }
    }

    static asio::awaitable<void> watchdog(std::shared_ptr<stream_state> self, connection_ptr c) {
        while (!c->closed) {
            auto deadline = c->ready ? c->last_activity + self->opts_.idle_timeout : c->setup_deadline;
            if (clock::now() >= deadline) {
                std::error_code why = c->ready     ? transport_errc::idle_timeout
                                      : self->tls_ ? transport_errc::tls_handshake_failed
                                                   : transport_errc::connect_failed;
                self->close_connection(c, why);
                co_return;
            }
            // Woken early by mark_ready() and close_connection(); traffic only moves
            // last_activity, and the deadline is recomputed when the timer fires.
            c->watch.expires_at(deadline);
            co_await c->watch.async_wait(tandem::detail::nothrow_awaitable);
        }
    }

    asio::any_io_executor ex_;
    kind kind_;
    stream_options opts_;
    std::unique_ptr<tls_engine> tls_;
    asio::ip::tcp::acceptor acceptor_;
    address local_;
    asio::steady_timer stop_; ///< run() waits on it while the transport does not listen
    handler handler_;
    std::map<std::uint64_t, connection_ptr> conns_;
    std::multimap<address, std::uint64_t, address_less> by_remote_; ///< ready connections
    std::map<address, std::shared_ptr<pending_connect>, address_less> connecting_;
    std::uint64_t next_id_ = 1;
    bool closed_ = false;
    std::exception_ptr failure_;
};

} // namespace detail

/**
 * SIP over TCP, or over TLS when constructed with `kind::tls` (RFC 3261 18.3, 26.2).
 *
 * Each connection has a number (from 1, never reused by this transport), a reader that frames
 * messages with `message::stream_framer` and a writer that drains a bounded queue in order.
 * A connection is closed, and reported to `handler::on_closed`, when:
 * - the peer closes it (`transport_errc::closed`) or a socket error occurs (that error);
 * - the byte stream cannot be framed (`transport_errc::framing_error`) or a message exceeds
 *   `stream_options::max_message_size` (`transport_errc::message_too_large`);
 * - no byte moved in either direction for `stream_options::idle_timeout`
 *   (`transport_errc::idle_timeout`);
 * - more than `stream_options::max_queued_bytes` wait to be written (`transport_errc::queue_full`);
 * - it is closed locally (`asio::error::operation_aborted`).
 *
 * A CRLFCRLF keep-alive ping is answered with CRLF (RFC 5626 4.4.1).
 *
 * @par Threading and re-entrancy
 * All member functions must be called on the executor given at construction. Handlers run on
 * it too, never from inside a call into the transport: `on_closed` is posted.
 *
 * @par Lifetime
 * The transport is a handle on shared state that its coroutines keep alive; destroying it
 * closes everything without calling the handler.
 */
class stream_transport {
public:
    /**
     * @param k `kind::tcp` or `kind::tls`.
     * @param tls certificate, key and CA files for `kind::tls` (ignored for TCP).
     * @throws std::invalid_argument for `kind::udp`, or TLS in a build without TLS support;
     * std::system_error when a TLS file cannot be loaded.
     */
    stream_transport(asio::any_io_executor ex, kind k, stream_options opts = {},
                     std::optional<tls_options> tls = {})
        : s_(std::make_shared<detail::stream_state>(std::move(ex), k, opts, std::move(tls))) {}
    stream_transport(const stream_transport&) = delete;
    stream_transport& operator=(const stream_transport&) = delete;
    ~stream_transport() { s_->shut_down(); }

    /**
     * Binds and listens on `local` (port 0 picks a free port). Optional: a transport that only
     * connects never listens.
     * @throws std::system_error on configuration errors (address in use...);
     * std::invalid_argument for a TLS transport without a certificate.
     */
    void listen(address local) { s_->listen(local); }

    /// The listening address, with the port the system chose when 0 was asked for.
    address local_address() const { return s_->local_address(); }

    /**
     * Accepts connections once listening (`listen()` may come before or after) and delivers
     * events to `h` until `close()`. Call it once.
     *
     * Start it (co_spawn it) before `connect()`: messages are delivered to the handler it was
     * given, and dropped before. Rethrows an exception thrown by the handler (or by a bug in a
     * connection's coroutines), after closing the transport.
     */
    asio::awaitable<void> run(handler h) { return detail::stream_state::run(s_, std::move(h)); }

    /**
     * A connection to `to`: an open one if there is one, including one the peer opened to us
     * (RFC 3261 18.1.1, 18.2.2 connection reuse), or a new one.
     *
     * For TLS the server's certificate is verified against `server_name` (and `server_name` is
     * sent as SNI), or against the IP address of `to` when it is empty, unless
     * `tls_options::verify_peer` is false.
     *
     * @return the connection number, or `transport_errc::connect_failed`,
     * `transport_errc::tls_handshake_failed` or `transport_errc::closed`. Bounded by
     * `stream_options::connect_timeout`.
     */
    asio::awaitable<result<std::uint64_t>> connect(address to, std::string server_name = {}) {
        return detail::stream_state::connect(s_, to, std::move(server_name));
    }

    /// Queues bytes on a connection; `transport_errc::closed` when the connection is gone,
    /// `transport_errc::queue_full` when the queue overflowed (the connection is then closed).
    std::error_code send(std::uint64_t connection, std::string bytes) {
        return s_->send(connection, std::move(bytes));
    }

    /// The remote address of an open connection.
    std::optional<address> remote_of(std::uint64_t connection) const { return s_->remote_of(connection); }

    /// An open connection to or from `remote`.
    std::optional<std::uint64_t> find(const address& remote) const { return s_->find(remote); }

    /// Closes one connection (reported to on_closed with `asio::error::operation_aborted`).
    void close(std::uint64_t connection) { s_->close(connection); }

    /// Closes the listener and all connections; run() returns.
    void close() { s_->close(); }

    /// The number of open connections, including those still connecting or in a TLS handshake.
    std::size_t connections() const { return s_->connections(); }

private:
    std::shared_ptr<detail::stream_state> s_;
};

} // namespace tandem::transport

#endif
