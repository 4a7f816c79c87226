#ifndef TANDEM_NET_STACK_HPP
#define TANDEM_NET_STACK_HPP

/// @file `tandem::net::stack`: transports and the transaction layer on one executor, with a
/// coroutine API. (The folder is `net/`, not `asio/`: a namespace `tandem::asio` would make
/// every unqualified `asio::` inside `tandem` ambiguous.)

#include <tandem/logger.hpp>
#include <tandem/message/message.hpp>
#include <tandem/message/serializer.hpp>
#include <tandem/result.hpp>
#include <tandem/transaction/layer.hpp>
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

namespace msg = tandem::message;
namespace tx = tandem::transaction;

/// How a stack is set up.
struct stack_config {
    tx::layer_config layer;
    transport::stream_options stream;
    std::optional<transport::tls_options> tls;
    logger log;
    /// Requests waiting for the application beyond this are answered 503 (overload).
    std::size_t incoming_queue = 4096;
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
 * A SIP stack: listening transports, the transaction layer, one timer, on one executor.
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
        : ex_(ex), cfg_(std::move(cfg)), layer_(cfg_.layer), timer_(ex), incoming_(ex, cfg_.incoming_queue) {}

    stack(const stack&) = delete;
    stack& operator=(const stack&) = delete;

    stack_hooks& hooks() noexcept { return hooks_; }
    /// The checks incoming requests must pass (see `transaction::layer::validation`).
    msg::validation_options& validation() noexcept { return layer_.validation(); }
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
            log_info("listening on udp:{}", transport::to_string(u->local_address()));
            break;
        }
        case transport::kind::tcp:
        case transport::kind::tls: {
            auto& s = stream(spec.transport);
            s.listen(spec.local);
            listening_.insert(spec.transport);
            log_info("listening on {}:{}", spec.transport == transport::kind::tls ? "tls" : "tcp",
                     transport::to_string(s.local_address()));
            break;
        }
        }
    }

    /// The bound address of the first transport of kind `k`.
    std::optional<transport::address> local_address(transport::kind k) const {
        if (k == transport::kind::udp) {
            if (udp_.empty()) return std::nullopt;
            return udp_.front()->local_address();
        }
        auto it = streams_.find(k);
        if (it == streams_.end() || !listening_.count(k)) return std::nullopt;
        return it->second->local_address();
    }

    /// The bound addresses of the UDP transports, in the order they were bound.
    std::vector<transport::address> udp_addresses() const {
        std::vector<transport::address> out;
        for (const auto& u : udp_) out.push_back(u->local_address());
        return out;
    }

    /// Runs the receive loops and the timer until `stop()`.
    asio::awaitable<void> run() {
        running_ = true;
        transport::handler h;
        h.on_message = [this](transport::inbound&& in) { on_inbound(std::move(in)); };
        h.on_closed = [this](std::uint64_t conn, std::error_code ec) { on_closed(conn, ec); };
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
        for (auto& [id, p] : pending_) {
            p->ec = make_error_code(transport_errc::closed);
            p->wake.cancel();
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
        layer_.respond(tx, rsp, now());
        pump();
    }

    /**
     * Sends `req` and completes with its final response. The stack adds what the request
     * lacks: a top Via with this stack's address and a new branch (with rport), and
     * Max-Forwards 70. The next hop is the top Route if there is one, else the Request-URI;
     * the transport is its `transport` parameter, TLS for sips, TCP for a request larger than
     * 1300 bytes (RFC 3261 18.1.1), UDP otherwise.
     *
     * For an INVITE the stack ACKs a 2xx itself (and its retransmissions, with the same ACK),
     * unless `on_later_2xx` is given: then the caller ACKs every 2xx with `ack()`, and
     * `on_later_2xx` gets each 2xx that arrives after the first (retransmissions, other forks)
     * for as long as the INVITE transaction lives (RFC 6026: 64*T1 after the first 2xx). That
     * is what a B2BUA needs for an offer in the 2xx (its answer is in the ACK, RFC 3261
     * 13.2.1) and for forks (each 2xx is ACKed, 13.2.2.4).
     */
    asio::awaitable<result<msg::message>>
    request(msg::message req, std::function<void(const msg::message&)> on_provisional = {},
            std::function<void(tx::tx_id)> on_started = {},
            std::function<void(const msg::message&)> on_later_2xx = {}) {
        auto hop = next_hop(req);
        if (!hop) co_return hop.error();
        // 18.1.1: a request within 200 bytes of the path MTU (1500) goes over a congestion-
        // controlled transport, unless the URI named its transport. 150 bytes are kept for the
        // Via and Max-Forwards the stack adds.
        if (hop->transport == transport::kind::udp && !hop->explicit_transport &&
            req.wire_size() + 150 > 1300)
            hop->transport = transport::kind::tcp;
        auto where = co_await open_flow(*hop);
        if (!where) co_return where.error();
        prepare(req, *hop);
        auto p = std::make_shared<pending>(ex_);
        p->on_provisional = std::move(on_provisional);
        p->invite = req.method() == msg::method_id::invite;
        tx::tx_id id = layer_.send_request(req, *where, now());
        pending_[id] = p;
        if (p->invite && on_later_2xx) later_2xx_[id] = std::move(on_later_2xx);
        if (p->invite) {
            p->request = req;
            p->where = *where;
        }
        if (on_started) on_started(id);
        pump();
        while (!p->final && !p->ec) {
            p->wake.expires_at(asio::steady_timer::time_point::max());
            co_await p->wake.async_wait(detail::nothrow_awaitable);
        }
        pending_.erase(id);
        if (p->ec) co_return p->ec;
        if (p->invite && p->final->status() >= 200 && p->final->status() < 300 && !later_2xx_.count(id))
            send_ack(id, req, *p->final, *where);
        co_return std::move(*p->final);
    }

    /**
     * Cancels the INVITE sent by `request()` as transaction `invite` (RFC 3261 9.1): the
     * CANCEL goes out once a provisional response has arrived (at once if one has), through
     * its own transaction; the INVITE then ends with 487, or with the 2xx that crossed the
     * CANCEL (the caller must then end that call with a BYE). Nothing happens if the INVITE
     * already has its final response.
     */
    void cancel(tx::tx_id invite) {
        auto it = pending_.find(invite);
        if (it == pending_.end() || !it->second->invite || it->second->final) return;
        auto& p = *it->second;
        p.cancel_requested = true;
        if (p.provisional_seen) send_cancel(p);
    }

    /**
     * Sends the ACK of a 2xx (RFC 3261 13.2.2.4: outside any transaction) to its next hop, the
     * top Route or else the Request-URI, as `request()` would; the stack adds Via and
     * Max-Forwards if missing. For INVITEs sent with `on_later_2xx`.
     */
    void ack(msg::message a) {
        auto hop = next_hop(a);
        if (!hop) return;
        if (hop->transport == transport::kind::udp) {
            // no connection to wait for: at once
            if (udp_.empty()) return;
            prepare(a, *hop);
            layer_.send_request(a, flow_for(hop->transport, hop->to, 0, udp_socket_for(hop->to)), now());
            pump();
            return;
        }
        asio::co_spawn(ex_, send_ack_async(std::move(a), *hop), report("ACK"));
    }

    /// Number of live transactions (for tests and metrics).
    std::size_t transactions() const noexcept { return layer_.size(); }

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

    struct next_hop_t {
        transport::kind transport;
        transport::address to;
        std::string server_name;
        bool explicit_transport = false;
    };
    struct pending {
        explicit pending(asio::any_io_executor ex) : wake(ex) {}
        asio::steady_timer wake;
        std::optional<msg::message> final;
        std::error_code ec;
        std::function<void(const msg::message&)> on_provisional;
        bool invite = false;
        msg::message request; // INVITEs only: what a CANCEL copies (9.1)
        tx::flow where;
        bool provisional_seen = false;
        bool cancel_requested = false;
        bool cancel_sent = false;
    };

    // 9.1: CANCEL = the INVITE's Request-URI, Call-ID, To, From, CSeq number, its top Via
    // (same branch) only, and its Route headers.
    void send_cancel(pending& p) {
        if (p.cancel_sent) return;
        p.cancel_sent = true;
        const msg::message& inv = p.request;
        std::string c;
        msg::message_writer w{c};
        w.request_line("CANCEL", inv.request_uri_text());
        msg::list_elements vias(inv.header(msg::header_id::via));
        if (auto v = vias.begin(); v != vias.end()) w.header("Via", *v);
        w.header("Max-Forwards", "70");
        w.header("From", inv.header(msg::header_id::from));
        w.header("To", inv.header(msg::header_id::to));
        w.header("Call-ID", inv.call_id());
        auto cs = inv.cseq();
        w.header("CSeq", std::to_string(cs ? cs->number : 0) + " CANCEL");
        for (msg::header_field f : inv.headers())
            if (f.id == msg::header_id::route) w.header("Route", f.value);
        w.finish();
        if (auto m = msg::message::parse(c)) layer_.send_request(*m, p.where, now());
    }
    struct flow_key {
        transport::kind transport;
        transport::address remote;
        std::uint64_t connection = 0;
        std::size_t socket = 0; // UDP: index in udp_
        bool operator==(const flow_key&) const = default;
    };
    struct flow_key_hash {
        std::size_t operator()(const flow_key& k) const noexcept {
            std::size_t h = std::hash<std::uint64_t>{}(k.connection) * 31u +
                            static_cast<std::size_t>(k.transport) + k.socket * 7919u;
            if (k.remote.ip.is_v4()) {
                h = h * 1000003u + k.remote.ip.to_v4().to_uint();
            } else {
                for (auto byte : k.remote.ip.to_v6().to_bytes()) h = h * 131u + byte;
            }
            return h * 65599u + k.remote.port;
        }
    };
    struct flow_info {
        transport::kind transport;
        transport::address remote;
        std::uint64_t connection = 0;
        flow_key key;               // in flow_ids_
        tx::time_point last_used{}; // flows unused for long are forgotten (see sweep_flows)
        std::size_t socket = 0;     // UDP: which of udp_ sends
    };

    // The UDP socket a datagram came in on (by its local address).
    std::size_t udp_socket_at(const transport::address& local) const {
        for (std::size_t i = 0; i < udp_.size(); ++i)
            if (udp_[i]->local_address() == local) return i;
        return 0;
    }
    // The UDP socket a request to `to` leaves from: the first of the destination's address
    // family (IPv4 or IPv6), else the first.
    std::size_t udp_socket_for(const transport::address& to) const {
        for (std::size_t i = 0; i < udp_.size(); ++i)
            if (udp_[i]->local_address().ip.is_v4() == to.ip.is_v4()) return i;
        return 0;
    }

    static tx::time_point now() { return tx::clock::now(); }

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

    // ---- flows: the core's opaque names for (transport, remote[, connection]) ----
    // `socket`: for UDP, which of our sockets the flow uses (a multi-homed host answers from the
    // address it was reached at, and a peer that latches sees one address).
    tx::flow flow_for(transport::kind k, const transport::address& remote, std::uint64_t connection,
                      std::size_t socket = 0) {
        flow_key key{k, remote, connection, socket};
        auto [it, inserted] = flow_ids_.try_emplace(key, 0);
        if (inserted) {
            it->second = ++last_flow_;
            flows_[it->second] = flow_info{k, remote, connection, key, {}, socket};
            if (connection) conn_flows_[connection] = it->second;
        }
        flows_[it->second].last_used = now();
        return tx::flow{it->second, k != transport::kind::udp};
    }

    // Memory stays bounded however many peers write to us: a flow nobody used for longer than
    // any transaction can live (Timer C + 64*T1, well under 10 minutes) is forgotten.
    void sweep_flows() {
        auto t = now();
        if (t - last_sweep_ < std::chrono::seconds(60)) return;
        last_sweep_ = t;
        for (auto it = flows_.begin(); it != flows_.end();) {
            bool open = it->second.connection && conn_flows_.count(it->second.connection);
            if (!open && t - it->second.last_used > std::chrono::minutes(10)) {
                flow_ids_.erase(it->second.key);
                it = flows_.erase(it);
            } else {
                ++it;
            }
        }
    }

    void on_inbound(transport::inbound&& in) {
        sweep_flows();
        msg::parse_options o;
        o.check_syntax = false;
        auto m = msg::message::parse(in.bytes, o);
        if (!m) {
            tandem::log(cfg_.log, logger::level::debug, "dropped {} bytes from {}: {}", in.bytes.size(),
                        transport::to_string(in.remote), m.error().message());
            return;
        }
        transport::address reply_to = in.remote;
        if (m->is_request()) fix_via(*m, in, reply_to);
        tx::flow f = flow_for(in.transport, reply_to, in.connection,
                              in.transport == transport::kind::udp ? udp_socket_at(in.local) : 0);
        if (cfg_.log.enabled(logger::level::trace))
            tandem::log(cfg_.log, logger::level::trace, "recv {} from {}:\n{}",
                        in.transport == transport::kind::udp ? "udp" : "stream",
                        transport::to_string(in.remote), in.bytes);
        layer_.on_message(std::move(*m), f, now());
        pump();
    }

    // RFC 3261 18.2.1 and RFC 3581: note where the request really came from in its top Via,
    // and work out where responses go (18.2.2).
    void fix_via(msg::message& m, const transport::inbound& in, transport::address& reply_to) {
        auto via = m.top_via();
        if (!via) return;
        std::string src = transport::ip_to_string(in.remote.ip);
        std::string host(via->host);
        if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
        bool add_received = host != src;
        bool add_rport = via->has_rport() && !via->rport();
        if (in.transport == transport::kind::udp && !via->has_rport()) {
            // 18.2.2: to the received address and the sent-by port
            reply_to.port = via->has_port ? via->port : 5060;
        }
        if (!add_received && !add_rport) return;
        // Rewrite the first element of the first Via field.
        std::string_view first = m.header(msg::header_id::via);
        msg::list_elements l(first);
        std::string_view top = *l.begin();
        std::string fixed(top);
        if (add_rport) {
            // replace a bare ";rport" by ";rport=PORT"
            auto pos = fixed.find(";rport");
            while (pos != std::string::npos) {
                std::size_t end = pos + 6;
                if (end == fixed.size() || fixed[end] == ';' || fixed[end] == ' ') {
                    fixed.insert(end, "=" + std::to_string(in.remote.port));
                    break;
                }
                pos = fixed.find(";rport", end);
            }
        }
        if (add_received) fixed += ";received=" + src;
        std::string value =
            fixed +
            std::string(first.substr(static_cast<std::size_t>(top.data() + top.size() - first.data())));
        // Replace the first Via field in place: remove the Via fields, put them back in order.
        std::vector<std::pair<std::size_t, std::string>> vias;
        std::size_t i = 0;
        for (msg::header_field f : m.headers()) {
            if (f.id == msg::header_id::via)
                vias.emplace_back(i, vias.empty() ? value : std::string(f.value));
            ++i;
        }
        m.remove_headers(msg::header_id::via);
        for (auto& [pos, v] : vias) m.insert_header(pos, "Via", v);
    }

    void on_closed(std::uint64_t connection, std::error_code) {
        auto it = conn_flows_.find(connection);
        if (it == conn_flows_.end()) return;
        layer_.on_transport_error(tx::flow{it->second, true}, now());
        conn_flows_.erase(it);
        pump();
    }

    // Drains the layer's events, then re-arms the timer.
    void pump() {
        while (auto e = layer_.poll()) {
            std::visit([this](auto& ev) { handle(ev); }, *e);
        }
        rearm();
    }

    void handle(tx::transmit& t) {
        auto it = flows_.find(t.to.id);
        if (it == flows_.end()) return;
        it->second.last_used = now();
        const flow_info& f = it->second;
        if (cfg_.log.enabled(logger::level::trace))
            tandem::log(cfg_.log, logger::level::trace, "send to {}:\n{}", transport::to_string(f.remote),
                        t.bytes);
        if (f.transport == transport::kind::udp) {
            if (f.socket < udp_.size()) (void)udp_[f.socket]->send(t.bytes, f.remote);
        } else if (auto s = streams_.find(f.transport); s != streams_.end()) {
            if (s->second->send(f.connection, std::string(t.bytes))) {
                // the connection is gone: 18.2.2 says open a new one to the same address for a
                // response; requests fail (17.1.4) through on_closed.
                std::string bytes(t.bytes);
                asio::co_spawn(ex_, resend(f.transport, f.remote, std::move(bytes)), report("stream resend"));
            }
        }
    }
    void handle(tx::request_received& r) {
        incoming_request in;
        in.tx = r.tx;
        in.request = *r.request;
        if (auto it = flows_.find(r.from.id); it != flows_.end()) {
            in.transport = it->second.transport;
            in.remote = it->second.remote;
        }
        if (!incoming_.try_send(std::error_code{}, std::move(in))) {
            // the application is not keeping up: 503 with Retry-After (RFC 3261 21.5.4)
            auto busy = msg::make_response(*r.request, 503, {}, {}, "Retry-After: 5\r\n");
            if (busy) layer_.respond(r.tx, *busy, now());
        }
    }
    void handle(tx::cancel_received& c) {
        if (hooks_.on_cancel) hooks_.on_cancel(c.invite);
    }
    void handle(tx::ack_received& a) {
        if (hooks_.on_ack) hooks_.on_ack(*a.ack);
    }
    void handle(tx::response_received& r) {
        auto it = pending_.find(r.tx);
        if (auto l = later_2xx_.find(r.tx); l != later_2xx_.end() && r.response->status() >= 200 &&
                                            r.response->status() < 300 &&
                                            (it == pending_.end() || it->second->final)) {
            // after the first 2xx: to the caller, after it has seen the first (posted: the
            // request() coroutine resumes first, its wake-up is queued already)
            asio::post(ex_, [cb = l->second, rsp = *r.response] { cb(rsp); });
            return;
        }
        if (it == pending_.end()) {
            // a 2xx retransmission after request() returned: ACK it again (13.2.2.4)
            if (auto a = acks_.find(r.tx);
                a != acks_.end() && r.response->status() >= 200 && r.response->status() < 300)
                resend_ack(a->second);
            return;
        }
        auto& p = *it->second;
        if (r.response->status() < 200) {
            p.provisional_seen = true;
            if (p.cancel_requested) send_cancel(p);
            if (p.on_provisional) p.on_provisional(*r.response);
            return;
        }
        if (!p.final) {
            p.final = *r.response;
            p.wake.cancel();
        }
    }
    void handle(tx::stray_response&) {}
    void handle(tx::transaction_failed& f) {
        auto it = pending_.find(f.tx);
        if (it == pending_.end()) return;
        it->second->ec =
            make_error_code(f.timeout ? transaction_errc::timeout : transaction_errc::transport_failure);
        it->second->wake.cancel();
    }
    void handle(tx::invite_no_answer&) {}
    void handle(tx::transaction_ended& e) {
        acks_.erase(e.tx);
        later_2xx_.erase(e.tx);
    }
    void handle(tx::ack_timeout& a) {
        if (hooks_.on_ack_timeout) hooks_.on_ack_timeout(a.tx);
    }

    // The timer is moved earlier, never later: a deadline that went away (a transaction
    // ended) costs one early wake-up, where moving the timer each time would cost a timerfd
    // update and a coroutine resumption per message.
    void rearm() {
        auto d = layer_.next_deadline();
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
                layer_.on_time(now());
                pump(); // re-arms for the next deadline, if any
            }
        }
    }

    // ---- UAC side ----
    result<next_hop_t> next_hop(const msg::message& req) const {
        std::string_view target = req.request_uri_text();
        std::string_view route;
        if (req.has_header(msg::header_id::route)) {
            msg::list_elements l(req.header(msg::header_id::route));
            if (auto it = l.begin(); it != l.end()) route = *it;
        }
        result<msg::uri> u = msg::parse_uri(target);
        std::optional<msg::name_addr> na;
        if (!route.empty()) {
            auto r = msg::parse_name_addr(route);
            if (!r) return r.error();
            na = *r;
            u = na->uri();
        }
        if (!u) return u.error();
        next_hop_t h;
        std::string_view tp = u->transport();
        h.explicit_transport = !tp.empty() || u->scheme == msg::uri_scheme::sips;
        h.transport = u->scheme == msg::uri_scheme::sips || msg::detail::iequals(tp, "tls")
                          ? transport::kind::tls
                      : msg::detail::iequals(tp, "tcp") ? transport::kind::tcp
                                                        : transport::kind::udp;
        std::string host(u->maddr().empty() ? u->host : u->maddr());
        if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
        if (host == "localhost") host = "127.0.0.1";
        std::error_code ec;
        h.to.ip = asio::ip::make_address(host, ec);
        if (ec)
            return make_error_code(
                transport_errc::connect_failed); // names are not resolved yet (RFC 3263 is to come)
        h.to.port = u->has_port ? u->port : (h.transport == transport::kind::tls ? 5061 : 5060);
        h.server_name = std::string(u->host);
        return h;
    }

    asio::awaitable<result<tx::flow>> open_flow(next_hop_t& h) {
        if (h.transport == transport::kind::udp) {
            if (udp_.empty()) co_return make_error_code(transport_errc::connect_failed);
            co_return flow_for(h.transport, h.to, 0, udp_socket_for(h.to));
        }
        auto& s = stream(h.transport);
        auto c = co_await s.connect(h.to, h.server_name);
        if (!c) co_return c.error();
        co_return flow_for(h.transport, h.to, *c);
    }

    void prepare(msg::message& req, const next_hop_t& h) {
        if (!req.has_header(msg::header_id::via)) {
            std::string via = "SIP/2.0/";
            via += transport::to_string(h.transport);
            via += ' ';
            // (UDP: the address of the socket it leaves from, RFC 3261 18.1.1)
            std::optional<transport::address> local;
            if (h.transport == transport::kind::udp && !udp_.empty())
                local = udp_[udp_socket_for(h.to)]->local_address();
            else
                local = local_address(h.transport);
            if (!local) local = local_address(transport::kind::udp);
            via += local ? transport::to_string(*local) : std::string("0.0.0.0");
            via += ";branch=" + layer_.new_branch() + ";rport";
            req.push_front_header("Via", via);
        }
        if (!req.has_header(msg::header_id::max_forwards)) req.add_header("Max-Forwards", "70");
    }

    // 13.2.2.4: the ACK for a 2xx, sent directly (its own transaction), kept for re-ACKs.
    void send_ack(tx::tx_id id, const msg::message& invite, const msg::message& ok, tx::flow where) {
        std::string a;
        msg::message_writer w{a};
        std::string_view target = invite.request_uri_text();
        if (ok.has_header(msg::header_id::contact)) {
            msg::list_elements l(ok.header(msg::header_id::contact));
            if (auto it = l.begin(); it != l.end())
                if (auto c = msg::parse_name_addr(*it)) target = c->uri_text;
        }
        w.request_line("ACK", target);
        auto v = invite.top_via();
        std::string via = "SIP/2.0/" + std::string(v ? v->transport : "UDP") + " " +
                          std::string(v ? v->host : "") +
                          (v && v->has_port ? ":" + std::to_string(v->port) : "") +
                          ";branch=" + layer_.new_branch() + ";rport";
        w.header("Via", via);
        w.header("Max-Forwards", "70");
        w.header("From", invite.header(msg::header_id::from));
        w.header("To", ok.header(msg::header_id::to));
        w.header("Call-ID", invite.call_id());
        auto cs = invite.cseq();
        w.header("CSeq", std::to_string(cs ? cs->number : 0) + " ACK");
        w.finish();
        auto m = msg::message::parse(a);
        if (!m) return;
        layer_.send_request(*m, where, now());
        acks_[id] = ack_record{std::move(*m), where};
        pump();
    }
    asio::awaitable<void> send_ack_async(msg::message a, next_hop_t hop) {
        auto where = co_await open_flow(hop);
        if (!where) co_return;
        prepare(a, hop);
        layer_.send_request(a, *where, now());
        pump();
    }
    struct ack_record {
        msg::message ack;
        tx::flow where;
    };
    void resend_ack(const ack_record& r) {
        layer_.send_request(r.ack, r.where, now()); // its transmit is drained by the running pump()
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
    tx::layer layer_;
    asio::steady_timer timer_;
    tx::time_point armed_ = tx::time_point::max();
    asio::experimental::channel<void(std::error_code, incoming_request)> incoming_;
    std::vector<std::unique_ptr<transport::udp_transport>> udp_;
    std::map<transport::kind, std::unique_ptr<transport::stream_transport>> streams_;
    transport::handler handler_;
    std::unordered_map<flow_key, std::uint64_t, flow_key_hash> flow_ids_;
    std::unordered_map<std::uint64_t, flow_info> flows_;
    std::unordered_map<std::uint64_t, std::uint64_t> conn_flows_;
    std::uint64_t last_flow_ = 0;
    tx::time_point last_sweep_{};
    std::unordered_map<tx::tx_id, std::shared_ptr<pending>> pending_;
    std::unordered_map<tx::tx_id, ack_record> acks_;
    std::unordered_map<tx::tx_id, std::function<void(const msg::message&)>> later_2xx_;
    std::set<transport::kind> listening_;
    bool running_ = false;
};

} // namespace tandem::net

#endif
