#ifndef TANDEM_NET_STACK_HPP
#define TANDEM_NET_STACK_HPP

/// @file `tandem::net::stack`: the Asio driver of a `net::endpoint`. It owns the sockets, one
/// timer and the clock, and gives the endpoint's events a coroutine API. Every protocol rule
/// (flows, Via, next hop, CANCEL, ACK) is the endpoint's. (The folder is `net/`, not `asio/`: a
/// namespace `tandem::asio` would make every unqualified `asio::` inside `tandem` ambiguous.)

#include <tandem/logger.hpp>
#include <tandem/message/message.hpp>
#include <tandem/message/serializer.hpp>
#include <tandem/net/endpoint.hpp>
#include <tandem/result.hpp>
#include <tandem/transport/stream.hpp>
#include <tandem/transport/udp.hpp>
#include <tandem/detail/asio_compat.hpp>

#include <asio.hpp>
#include <asio/experimental/channel.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace tandem::net {

/// How a stack is set up.
struct stack_config {
    tx::layer_config layer;
    transport::stream_options stream;
    std::optional<transport::tls_options> tls;
    logger log;
    /// Requests waiting for the application beyond this are answered 503 (overload).
    std::size_t incoming_queue = 4096;
    /// The clock the endpoint is given `now` from (default: `transaction::clock::now`). The
    /// stack's timer waits on the steady clock: another source must tick with it (a test may
    /// shift it).
    std::function<tx::time_point()> clock;
};

/// A request that created a server transaction; answer it with `stack::respond`.
struct incoming_request {
    tx::tx_id tx = 0;
    msg::message request;
    transport::kind transport = transport::kind::udp;
    transport::address remote;
};

/// What the application learns besides new requests (all optional).
struct stack_hooks {
    /// A CANCEL matched INVITE transaction `invite` (already answered 200; answer the INVITE 487).
    std::function<void(tx::tx_id invite)> on_cancel;
    /// An ACK for a 2xx (the dialog's).
    std::function<void(const msg::message& ack)> on_ack;
    /// No ACK came for a 2xx (13.3.1.4): end the dialog.
    std::function<void(tx::tx_id invite)> on_ack_timeout;
};

/**
 * A SIP stack: a `net::endpoint` driven by Asio. Listening transports, one timer, on one
 * executor.
 *
 * - `listen()` binds transports; `run()` drives them until `stop()`.
 * - `request()` sends a request through a client transaction and completes with the final
 *   response (provisional ones go to a callback), or with an error for Timer B/F expiry
 *   (`transaction_errc::timeout`) and transport failures.
 * - `next_request()` yields requests that created server transactions; `respond()` answers.
 *
 * Everything runs on one thread: no locks. Several stacks on several threads share nothing.
 */
class stack {
public:
    stack(asio::any_io_executor ex, stack_config cfg = {})
        : ex_(ex), cfg_(std::move(cfg)), ep_(cfg_.layer), timer_(ex), incoming_(ex, cfg_.incoming_queue) {}

    stack(const stack&) = delete;
    stack& operator=(const stack&) = delete;

    stack_hooks& hooks() noexcept { return hooks_; }
    /// The checks incoming requests must pass (see `transaction::layer::validation`).
    msg::validation_options& validation() noexcept { return ep_.validation(); }
    /// How the stack was set up.
    const stack_config& config() const noexcept { return cfg_; }
    /// The executor everything of this stack runs on.
    asio::any_io_executor get_executor() const noexcept { return ex_; }
    const logger& log() const noexcept { return cfg_.log; }

    /// Binds a transport ("udp:127.0.0.1:5070", "tcp:[::1]:5070", "tls:127.0.0.1:5061").
    /// Throws std::system_error when the address cannot be bound.
    void listen(const transport::listen_spec& spec) {
        switch (spec.transport) {
        case transport::kind::udp: {
            auto& u = udp_.emplace_back(std::make_unique<transport::udp_transport>(ex_, spec.local));
            ep_.add_udp(u->local_address());
            log_info("listening on udp:{}", transport::to_string(u->local_address()));
            break;
        }
        case transport::kind::tcp:
        case transport::kind::tls: {
            auto& s = stream(spec.transport);
            s.listen(spec.local);
            ep_.set_listening(spec.transport, s.local_address());
            log_info("listening on {}:{}", spec.transport == transport::kind::tls ? "tls" : "tcp",
                     transport::to_string(s.local_address()));
            break;
        }
        }
    }

    /// The bound address of the first transport of kind `k`.
    std::optional<transport::address> local_address(transport::kind k) const { return ep_.local_address(k); }
    /// The bound addresses of the UDP transports, in the order they were bound.
    std::vector<transport::address> udp_addresses() const { return ep_.udp_addresses(); }

    /// Runs the receive loops and the timer until `stop()`.
    asio::awaitable<void> run() {
        running_ = true;
        transport::handler h;
        h.on_message = [this](transport::inbound&& in) { on_inbound(std::move(in)); };
        h.on_closed = [this](std::uint64_t conn, std::error_code) {
            ep_.connection_closed(conn, now());
            pump();
        };
        for (auto& u : udp_) asio::co_spawn(ex_, u->run(h), report("udp receive loop"));
        for (auto& [k, s] : streams_) asio::co_spawn(ex_, s->run(h), report("stream transport"));
        handler_ = h;
        co_await timer_loop();
    }

    /// Closes every transport and ends `run()`; pending `request()`s fail.
    void stop() {
        running_ = false;
        for (auto& u : udp_) u->close();
        for (auto& [k, s] : streams_) s->close();
        timer_.cancel();
        incoming_.close();
        for (auto& [id, w] : waiters_) {
            w->ec = make_error_code(transport_errc::closed);
            w->wake.cancel();
        }
    }

    /// The next request for the application (or an error once the stack stopped).
    asio::awaitable<result<incoming_request>> next_request() {
        auto [ec, r] = co_await incoming_.async_receive(detail::nothrow_awaitable);
        if (ec) co_return ec;
        co_return std::move(r);
    }

    /// Answers server transaction `tx`.
    void respond(tx::tx_id tx, const msg::message& rsp) {
        ep_.respond(tx, rsp, now());
        pump();
    }

    /**
     * Sends `req` and completes with its final response (see `endpoint::send`: the endpoint
     * adds Via and Max-Forwards, chooses the next hop with `endpoint::route`, and ACKs a 2xx
     * to an INVITE itself unless `on_later_2xx` is given; then the caller ACKs every 2xx with
     * `ack()` and `on_later_2xx` gets each 2xx after the first). `on_started` learns the
     * transaction's id (for `cancel()`).
     */
    asio::awaitable<result<msg::message>>
    request(msg::message req, std::function<void(const msg::message&)> on_provisional = {},
            std::function<void(tx::tx_id)> on_started = {},
            std::function<void(const msg::message&)> on_later_2xx = {}) {
        auto hop = endpoint::route(req);
        if (!hop) co_return hop.error();
        auto where = co_await open_flow(*hop);
        if (!where) co_return where.error();
        bool acks_by_caller = req.method() == msg::method_id::invite && on_later_2xx;
        tx::tx_id id = ep_.send(std::move(req), *hop, *where, acks_by_caller, now());
        auto w = std::make_shared<waiter>(ex_);
        w->on_provisional = std::move(on_provisional);
        w->on_later_2xx = std::move(on_later_2xx);
        waiters_[id] = w;
        if (on_started) on_started(id);
        pump();
        while (!w->final && !w->ec) {
            w->wake.expires_at(asio::steady_timer::time_point::max());
            co_await w->wake.async_wait(detail::nothrow_awaitable);
        }
        if (w->ec) co_return w->ec;
        co_return std::move(*w->final);
    }

    /// Cancels the INVITE sent by `request()` as transaction `invite` (see `endpoint::cancel`).
    void cancel(tx::tx_id invite) {
        ep_.cancel(invite, now());
        pump();
    }

    /**
     * Sends the ACK of a 2xx (RFC 3261 13.2.2.4: outside any transaction) to its next hop, the
     * top Route or else the Request-URI, as `request()` would; the endpoint adds Via and
     * Max-Forwards if missing. For INVITEs sent with `on_later_2xx`.
     */
    void ack(msg::message a) {
        auto hop = endpoint::route(a);
        if (!hop) return;
        if (hop->transport == transport::kind::udp) {
            // no connection to wait for: at once
            auto where = ep_.udp_flow(hop->to, now());
            if (!where) return;
            ep_.ack(std::move(a), *hop, *where, now());
            pump();
            return;
        }
        asio::co_spawn(ex_, send_ack_async(std::move(a), *hop), report("ACK"));
    }

    /// Number of live transactions (for tests and metrics).
    std::size_t transactions() const noexcept { return ep_.transactions(); }

private:
    // A co_spawn completion handler that logs an exception (STYLE 3.6: never `detached`).
    struct reporter {
        const logger* log;
        std::string what;
        void operator()(std::exception_ptr e) const {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                tandem::log(*log, logger::level::error, "{} failed: {}", what, x.what());
            }
        }
    };
    reporter report(std::string what) const { return reporter{&cfg_.log, std::move(what)}; }

    // A `request()` waiting for its final response.
    struct waiter {
        explicit waiter(asio::any_io_executor ex) : wake(ex) {}
        asio::steady_timer wake;
        std::optional<msg::message> final;
        std::error_code ec;
        std::function<void(const msg::message&)> on_provisional;
        std::function<void(const msg::message&)> on_later_2xx;
    };

    tx::time_point now() const { return cfg_.clock ? cfg_.clock() : tx::clock::now(); }

    template <class... A>
    void log_info(fmt::format_string<A...> f, A&&... a) {
        tandem::log(cfg_.log, logger::level::info, f, std::forward<A>(a)...);
    }

    transport::stream_transport& stream(transport::kind k) {
        auto it = streams_.find(k);
        if (it == streams_.end()) {
            std::optional<transport::tls_options> tls;
            if (k == transport::kind::tls) tls = cfg_.tls.value_or(transport::tls_options{});
            it = streams_.emplace(k, std::make_unique<transport::stream_transport>(ex_, k, cfg_.stream, tls))
                     .first;
            if (running_) asio::co_spawn(ex_, it->second->run(handler_), report("stream transport"));
        }
        return *it->second;
    }

    void on_inbound(transport::inbound&& in) {
        if (cfg_.log.enabled(logger::level::trace))
            tandem::log(cfg_.log, logger::level::trace, "recv {} from {}:\n{}",
                        in.transport == transport::kind::udp ? "udp" : "stream",
                        transport::to_string(in.remote), in.bytes);
        if (auto ec = ep_.receive(in, now()))
            tandem::log(cfg_.log, logger::level::debug, "dropped {} bytes from {}: {}", in.bytes.size(),
                        transport::to_string(in.remote), ec.message());
        pump();
    }

    // Carries out the endpoint's events, then re-arms the timer.
    void pump() {
        while (auto e = ep_.poll()) std::visit([this](auto& ev) { handle(ev); }, *e);
        rearm();
    }

    void handle(transmit& t) {
        if (cfg_.log.enabled(logger::level::trace))
            tandem::log(cfg_.log, logger::level::trace, "send to {}:\n{}", transport::to_string(t.to),
                        t.bytes);
        if (t.transport == transport::kind::udp) {
            if (t.socket < udp_.size()) (void)udp_[t.socket]->send(t.bytes, t.to);
        } else if (auto s = streams_.find(t.transport); s != streams_.end()) {
            if (s->second->send(t.connection, std::string(t.bytes))) {
                // the connection is gone: 18.2.2 says open a new one to the same address for a
                // response; requests fail (17.1.4) through its closing.
                asio::co_spawn(ex_, resend(t.transport, t.to, std::string(t.bytes)), report("stream resend"));
            }
        }
    }
    void handle(request_in& r) {
        incoming_request in{r.tx, *r.request, r.transport, r.remote};
        if (!incoming_.try_send(std::error_code{}, std::move(in))) {
            // the application is not keeping up: 503 with Retry-After (RFC 3261 21.5.4)
            auto busy = msg::make_response(*r.request, 503, {}, {}, "Retry-After: 5\r\n");
            if (busy) ep_.respond(r.tx, *busy, now());
        }
    }
    void handle(cancel_in& c) {
        if (hooks_.on_cancel) hooks_.on_cancel(c.invite);
    }
    void handle(ack_in& a) {
        if (hooks_.on_ack) hooks_.on_ack(*a.ack);
    }
    void handle(ack_missing& a) {
        if (hooks_.on_ack_timeout) hooks_.on_ack_timeout(a.invite);
    }
    void handle(response_in& r) {
        auto it = waiters_.find(r.tx);
        if (it == waiters_.end()) return;
        waiter& w = *it->second;
        if (r.response->status() < 200) {
            if (w.on_provisional) w.on_provisional(*r.response);
            return;
        }
        w.final = *r.response;
        w.wake.cancel();
        // (the coroutine holds it; later 2xx need it until the transaction is over)
        if (!w.on_later_2xx) waiters_.erase(it);
    }
    void handle(later_2xx& l) {
        auto it = waiters_.find(l.tx);
        if (it == waiters_.end() || !it->second->on_later_2xx) return;
        // to the caller after it has seen the first (posted: the request() coroutine resumes
        // first, its wake-up is queued already)
        asio::post(ex_, [cb = it->second->on_later_2xx, rsp = *l.response] { cb(rsp); });
    }
    void handle(request_over& o) { waiters_.erase(o.tx); }
    void handle(request_failed& f) {
        auto it = waiters_.find(f.tx);
        if (it == waiters_.end()) return;
        it->second->ec = f.error;
        it->second->wake.cancel();
        waiters_.erase(it);
    }

    // The timer is moved earlier, never later: a deadline that went away (a transaction
    // ended) costs one early wake-up, where moving the timer each time would cost a timerfd
    // update and a coroutine resumption per message.
    void rearm() {
        auto d = ep_.next_deadline();
        auto at = d ? *d : tx::time_point::max();
        if (at < armed_) {
            armed_ = at;
            timer_.expires_at(at);
        }
    }

    asio::awaitable<void> timer_loop() {
        while (running_) {
            co_await timer_.async_wait(detail::nothrow_awaitable);
            if (!running_) break;
            if (timer_.expiry() <= tx::clock::now()) {
                armed_ = tx::time_point::max();
                timer_.expires_at(tx::time_point::max());
                ep_.on_time(now());
                pump(); // re-arms for the next deadline, if any
            }
        }
    }

    // ---- UAC side: connections are the driver's ----

    asio::awaitable<result<tx::flow>> open_flow(const next_hop& h) {
        if (h.transport == transport::kind::udp) co_return ep_.udp_flow(h.to, now());
        auto& s = stream(h.transport);
        auto c = co_await s.connect(h.to, h.server_name);
        if (!c) co_return c.error();
        co_return ep_.stream_flow(h.transport, h.to, *c, now());
    }

    asio::awaitable<void> send_ack_async(msg::message a, next_hop hop) {
        auto where = co_await open_flow(hop);
        if (!where) co_return;
        ep_.ack(std::move(a), hop, *where, now());
        pump();
    }

    asio::awaitable<void> resend(transport::kind k, transport::address to, std::string bytes) {
        auto& s = stream(k);
        std::string no_name;
        auto c = co_await s.connect(to, std::move(no_name));
        if (c) (void)s.send(*c, std::move(bytes));
    }

    asio::any_io_executor ex_;
    stack_config cfg_;
    stack_hooks hooks_;
    endpoint ep_;
    asio::steady_timer timer_;
    tx::time_point armed_ = tx::time_point::max();
    asio::experimental::channel<void(std::error_code, incoming_request)> incoming_;
    std::vector<std::unique_ptr<transport::udp_transport>> udp_;
    std::map<transport::kind, std::unique_ptr<transport::stream_transport>> streams_;
    transport::handler handler_;
    std::unordered_map<tx::tx_id, std::shared_ptr<waiter>> waiters_; // the request()s in progress
    bool running_ = false;
};

} // namespace tandem::net

#endif
