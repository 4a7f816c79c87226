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

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
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

/// @name What a stack reports (`stack::next_event()`): one event type
/// @{
/// A CANCEL matched INVITE server transaction `invite` (answered 200 already; answer the
/// INVITE 487, RFC 3261 9.2).
struct cancelled {
    tx::tx_id invite;
};
/// The ACK of a 2xx we sent (the dialog's, RFC 3261 13.3.1.4).
struct acked {
    msg::message ack;
};
/// No ACK came for the 2xx of server INVITE `invite` (13.3.1.4): end the dialog.
struct ack_timed_out {
    tx::tx_id invite;
};
/// A response to request `request` (the id `send()` returned): each provisional one, the
/// final one, and for an INVITE whose sender ACKs, each 2xx after the first (`later`).
struct response {
    std::uint64_t request;
    msg::message message;
    bool later = false;
};
/// Request `request` got no final response: Timer B/F (`transaction_errc::timeout`), a
/// transport failure, no route, or the stack stopped.
struct failed {
    std::uint64_t request;
    std::error_code error;
};
/// Nothing more comes for request `request` (its transaction ended: for an INVITE, 64*T1
/// after a 2xx, RFC 6026).
struct done {
    std::uint64_t request;
};
using stack_event = std::variant<incoming_request, cancelled, acked, ack_timed_out, response, failed, done>;
/// @}

/**
 * A SIP stack: a `net::endpoint` driven by Asio. Listening transports, one timer, on one
 * executor.
 *
 * - `listen()` binds transports; `run()` drives them until `stop()`.
 * - `next_event()` yields what happens, as one event type (`stack_event`): requests that
 *   created server transactions (answer with `respond()`), CANCELs, ACKs, missing ACKs, and
 *   the responses to requests sent with `send()`.
 * - `request()` is the coroutine form of `send()` for simple clients: it completes with the
 *   final response (provisional ones go to a callback), or with an error for Timer B/F expiry
 *   (`transaction_errc::timeout`) and transport failures; its responses are not events.
 *
 * Everything runs on one thread: no locks. Several stacks on several threads share nothing.
 */
class stack {
public:
    stack(asio::any_io_executor ex, stack_config cfg = {})
        : ex_(ex), cfg_(std::move(cfg)), ep_(cfg_.layer), timer_(ex), event_wake_(ex) {}

    stack(const stack&) = delete;
    stack& operator=(const stack&) = delete;

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
        stopped_ = true;
        for (auto& u : udp_) u->close();
        for (auto& [k, s] : streams_) s->close();
        timer_.cancel();
        event_wake_.cancel();
        // what is still out fails: request()s at once, the others as events
        std::vector<std::uint64_t> ids;
        for (auto& [id, o] : out_) ids.push_back(id);
        for (auto id : ids) fail(id, make_error_code(transport_errc::closed));
    }

    /// The next event (or `transport_errc::closed` once the stack stopped). One consumer.
    asio::awaitable<result<stack_event>> next_event() {
        while (events_.empty() && !stopped_) {
            event_wake_.expires_at(asio::steady_timer::time_point::max());
            co_await event_wake_.async_wait(detail::nothrow_awaitable);
        }
        if (events_.empty()) co_return make_error_code(transport_errc::closed);
        stack_event e = std::move(events_.front());
        events_.pop_front();
        if (std::holds_alternative<incoming_request>(e)) --queued_requests_;
        co_return e;
    }

    /// Answers server transaction `tx`.
    void respond(tx::tx_id tx, const msg::message& rsp) {
        ep_.respond(tx, rsp, now());
        pump();
    }

    /**
     * Sends `req` through a client transaction; its responses come as events (`response`,
     * `failed`, then `done`) under the id returned. The endpoint adds Via and Max-Forwards and
     * chooses the next hop (`endpoint::route`; a stream connection is opened first). An INVITE
     * with `acks_by_caller`: the caller ACKs every 2xx (`ack()`), and each 2xx after the first
     * comes as a `later` response; otherwise the endpoint ACKs 2xx itself.
     */
    std::uint64_t send(msg::message req, bool acks_by_caller = false) {
        std::uint64_t id = ++last_request_;
        out_[id];
        start(id, std::move(req), acks_by_caller);
        return id;
    }

    /**
     * Sends `req` and completes with its final response; provisional ones go to
     * `on_provisional`, and `on_started` learns its id (for `cancel()`). The endpoint ACKs a
     * 2xx to an INVITE.
     */
    asio::awaitable<result<msg::message>>
    request(msg::message req, std::function<void(const msg::message&)> on_provisional = {},
            std::function<void(std::uint64_t)> on_started = {}) {
        std::uint64_t id = ++last_request_;
        auto w = std::make_shared<waiter>(ex_);
        w->on_provisional = std::move(on_provisional);
        out_[id].w = w;
        if (on_started) on_started(id);
        start(id, std::move(req), false);
        while (!w->final && !w->ec) {
            w->wake.expires_at(asio::steady_timer::time_point::max());
            co_await w->wake.async_wait(detail::nothrow_awaitable);
        }
        if (w->ec) co_return w->ec;
        co_return std::move(*w->final);
    }

    /// CANCELs the INVITE sent as request `id` (see `endpoint::cancel`); at once if it is
    /// still connecting.
    void cancel(std::uint64_t id) {
        auto it = out_.find(id);
        if (it == out_.end()) return;
        it->second.cancel_asked = true;
        if (!it->second.tx) return;
        ep_.cancel(it->second.tx, now());
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
    };
    // A request sent, by its id: its transaction once it has one, and the `request()` that waits
    // for it (none: its responses are events).
    struct outgoing {
        tx::tx_id tx = 0;
        bool cancel_asked = false;
        std::shared_ptr<waiter> w;
    };

    void post(stack_event e) {
        events_.push_back(std::move(e));
        event_wake_.cancel();
    }

    // Sends request `id` once its flow is there (a stream connection is opened first).
    void start(std::uint64_t id, msg::message req, bool acks_by_caller) {
        auto hop = endpoint::route(req);
        if (!hop) return fail(id, hop.error());
        if (hop->transport == transport::kind::udp) {
            auto where = ep_.udp_flow(hop->to, now());
            if (!where) return fail(id, where.error());
            return started(id, std::move(req), *hop, *where, acks_by_caller);
        }
        asio::co_spawn(ex_, connect_then_send(this, id, std::move(req), *hop, acks_by_caller),
                       report("request"));
    }
    static asio::awaitable<void> connect_then_send(stack* self, std::uint64_t id, msg::message req,
                                                   next_hop hop, bool acks_by_caller) {
        auto where = co_await self->open_flow(hop);
        if (!where) co_return self->fail(id, where.error());
        self->started(id, std::move(req), hop, *where, acks_by_caller);
    }
    void started(std::uint64_t id, msg::message req, const next_hop& hop, tx::flow where,
                 bool acks_by_caller) {
        auto it = out_.find(id);
        if (it == out_.end()) return;
        bool invite = req.method() == msg::method_id::invite;
        tx::tx_id t = ep_.send(std::move(req), hop, where, invite && acks_by_caller, now());
        it->second.tx = t;
        by_tx_[t] = id;
        if (it->second.cancel_asked) ep_.cancel(t, now());
        pump();
    }
    // Request `id` ends without a final response.
    void fail(std::uint64_t id, std::error_code ec) {
        auto it = out_.find(id);
        if (it == out_.end()) return;
        if (it->second.w) {
            it->second.w->ec = ec;
            it->second.w->wake.cancel();
        } else {
            post(failed{id, ec});
            post(done{id});
        }
        if (it->second.tx) by_tx_.erase(it->second.tx);
        out_.erase(it);
    }

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
                        transport::to_string(in.remote), redact_keys(in.bytes));
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
                        redact_keys(t.bytes));
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
        if (queued_requests_ >= cfg_.incoming_queue) {
            // the application is not keeping up: 503 with Retry-After (RFC 3261 21.5.4)
            auto busy = msg::make_response(*r.request, 503, {}, {}, "Retry-After: 5\r\n");
            if (busy) ep_.respond(r.tx, *busy, now());
            return;
        }
        ++queued_requests_;
        post(incoming_request{r.tx, *r.request, r.transport, r.remote});
    }
    void handle(cancel_in& c) { post(cancelled{c.invite}); }
    void handle(ack_in& a) { post(acked{*a.ack}); }
    void handle(ack_missing& a) { post(ack_timed_out{a.invite}); }
    void handle(response_in& r) {
        auto id = by_tx_.find(r.tx);
        if (id == by_tx_.end()) return;
        auto it = out_.find(id->second);
        if (it == out_.end()) return;
        if (!it->second.w) return post(response{id->second, *r.response});
        waiter& w = *it->second.w;
        if (r.response->status() < 200) {
            if (w.on_provisional) w.on_provisional(*r.response);
            return;
        }
        w.final = *r.response;
        w.wake.cancel();
    }
    void handle(later_2xx& l) {
        if (auto id = by_tx_.find(l.tx); id != by_tx_.end()) post(response{id->second, *l.response, true});
    }
    void handle(request_failed& f) {
        if (auto id = by_tx_.find(f.tx); id != by_tx_.end()) fail(id->second, f.error);
    }
    void handle(request_over& o) {
        auto id = by_tx_.find(o.tx);
        if (id == by_tx_.end()) return;
        if (auto it = out_.find(id->second); it != out_.end()) {
            if (!it->second.w) post(done{id->second});
            out_.erase(it);
        }
        by_tx_.erase(id);
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
    endpoint ep_;
    asio::steady_timer timer_;
    tx::time_point armed_ = tx::time_point::max();
    std::deque<stack_event> events_; // for next_event()
    asio::steady_timer event_wake_;
    std::size_t queued_requests_ = 0; // incoming requests among events_
    std::vector<std::unique_ptr<transport::udp_transport>> udp_;
    std::map<transport::kind, std::unique_ptr<transport::stream_transport>> streams_;
    transport::handler handler_;
    std::unordered_map<std::uint64_t, outgoing> out_; // requests sent, by id
    std::unordered_map<tx::tx_id, std::uint64_t> by_tx_;
    std::uint64_t last_request_ = 0;
    bool running_ = false;
    bool stopped_ = false;
};

} // namespace tandem::net

#endif
