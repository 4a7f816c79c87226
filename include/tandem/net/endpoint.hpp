#ifndef TANDEM_NET_ENDPOINT_HPP
#define TANDEM_NET_ENDPOINT_HPP

/// @file `tandem::net::endpoint`: a SIP endpoint's protocol core, sans I/O. It owns the
/// transaction layer and everything between it and the sockets: flows, the Via a request gets
/// and the one a received request is fixed with, the next hop, the client requests waiting for
/// their responses, CANCEL, and the ACK of a 2xx. Bytes, closed connections and `now` go in;
/// one event type comes out. `net::stack` drives it with Asio; tests drive two or more against
/// each other on virtual time. (It reads no clock and opens nothing: it uses the transport
/// vocabulary, whose address type is Asio's IP address value.)

#include <tandem/dialog/dialog.hpp>
#include <tandem/message/message.hpp>
#include <tandem/message/serializer.hpp>
#include <tandem/result.hpp>
#include <tandem/transaction/layer.hpp>
#include <tandem/transport/transport.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace tandem::net {

namespace msg = tandem::message;
namespace tx = tandem::transaction;

/// Where a request goes first (RFC 3261 8.1.2: the top Route, else the Request-URI) and over
/// what (18.1.1: the URI's transport parameter, TLS for sips, else UDP).
struct next_hop {
    transport::kind transport = transport::kind::udp;
    transport::address to;
    std::string server_name;         ///< the URI's host, for TLS
    bool explicit_transport = false; ///< the URI named its transport (or is sips)
};

/// @name Events of an endpoint (from `poll()`). Views and pointers in them stay valid until the
/// next input to the endpoint.
/// @{
/// Send `bytes` to `to` over `transport`: from UDP socket `socket` (an index of `add_udp`), or
/// on stream connection `connection`.
struct transmit {
    transport::kind transport;
    std::size_t socket;
    std::uint64_t connection;
    transport::address to;
    std::string_view bytes;
};
/// A request created server transaction `tx`: answer it with `respond()`.
struct request_in {
    tx::tx_id tx;
    const msg::message* request;
    transport::kind transport;
    transport::address remote;
};
/// A response to our request `tx`: each provisional one, and the first final one.
struct response_in {
    tx::tx_id tx;
    const msg::message* response;
};
/// A 2xx to our INVITE `tx` after its first final response (a retransmission, another fork),
/// for INVITEs whose sender ACKs (`send(..., acks_by_caller)`): ACK it too.
struct later_2xx {
    tx::tx_id tx;
    const msg::message* response;
};
/// Our request `tx` got no final response: Timer B/F (`transaction_errc::timeout`) or a transport
/// failure.
struct request_failed {
    tx::tx_id tx;
    std::error_code error;
};
/// Our request `tx` is over: nothing more comes for it (its transaction ended: for an INVITE
/// 64*T1 after a 2xx, RFC 6026).
struct request_over {
    tx::tx_id tx;
};
/// A CANCEL matched INVITE server transaction `invite` (answered 200 already; answer the
/// INVITE 487, RFC 3261 9.2).
struct cancel_in {
    tx::tx_id invite;
};
/// The ACK of a 2xx we sent (the dialog's, RFC 3261 13.3.1.4).
struct ack_in {
    const msg::message* ack;
};
/// No ACK came for the 2xx of server INVITE `invite` (13.3.1.4): end the dialog.
struct ack_missing {
    tx::tx_id invite;
};
using event = std::variant<transmit, request_in, response_in, later_2xx, request_failed, request_over,
                           cancel_in, ack_in, ack_missing>;
/// @}

/**
 * A SIP endpoint's protocol core, sans I/O: the transaction layer with flows, Via handling,
 * next-hop choice and the client requests in progress.
 *
 * Inputs: `receive()` (a message a transport read), `connection_closed()`, `on_time()`, and the
 * commands `send()`, `respond()`, `cancel()`, `ack()`. After each input drain `poll()`, then
 * wait for `next_deadline()`. One input while handling an event is fine (an answer to the
 * request just received); a second one before the queue is drained may overwrite what a
 * queued `transmit` points to (a transaction's bytes): send the first. Its driver owns the sockets
 * (`add_udp`, `set_listening` tell the endpoint their addresses, for Via) and opens stream connections:
 * `route()` says where a request goes, `udp_flow()` / `stream_flow()` name the flow it takes.
 */
class endpoint {
public:
    explicit endpoint(tx::layer_config cfg = {}) : layer_(std::move(cfg)) {}
    endpoint(const endpoint&) = delete;
    endpoint& operator=(const endpoint&) = delete;

    // ---- the driver's sockets ----

    /// A UDP socket bound at `local`; returns its index (`transmit::socket`).
    std::size_t add_udp(const transport::address& local) {
        udp_.push_back(local);
        return udp_.size() - 1;
    }
    /// A stream transport (TCP or TLS) listening at `local`.
    void set_listening(transport::kind k, const transport::address& local) { listening_[k] = local; }
    /// The bound addresses of the UDP sockets, in the order they were added.
    const std::vector<transport::address>& udp_addresses() const noexcept { return udp_; }
    /// The address of the first transport of kind `k`.
    std::optional<transport::address> local_address(transport::kind k) const {
        if (k == transport::kind::udp) return udp_.empty() ? std::nullopt : std::optional(udp_.front());
        auto it = listening_.find(k);
        if (it == listening_.end()) return std::nullopt;
        return it->second;
    }
    /// The checks incoming requests must pass (see `transaction::layer::validation`).
    msg::validation_options& validation() noexcept { return layer_.validation(); }
    /// Number of live transactions.
    std::size_t transactions() const noexcept { return layer_.size(); }

    // ---- inputs ----

    /// A message a transport read (`in.local`: the socket it came in on). Returns why it was
    /// dropped when it does not parse (for the driver's log), else nothing.
    std::error_code receive(const transport::inbound& in, tx::time_point now) {
        now_ = now;
        sweep_flows(now);
        msg::parse_options o;
        o.check_syntax = false;
        auto m = msg::message::parse(in.bytes, o);
        if (!m) return m.error();
        transport::address reply_to = in.remote;
        if (m->is_request()) fix_via(*m, in, reply_to);
        tx::flow f = flow_for(in.transport, reply_to, in.connection,
                              in.transport == transport::kind::udp ? udp_socket_at(in.local) : 0, now);
        layer_.on_message(std::move(*m), f, now);
        return {};
    }

    /// Stream connection `connection` closed: its transactions fail (RFC 3261 17.1.4).
    void connection_closed(std::uint64_t connection, tx::time_point now) {
        now_ = now;
        auto it = conn_flows_.find(connection);
        if (it == conn_flows_.end()) return;
        layer_.on_transport_error(tx::flow{it->second, true}, now);
        conn_flows_.erase(it);
    }

    void on_time(tx::time_point now) {
        now_ = now;
        layer_.on_time(now);
    }
    std::optional<tx::time_point> next_deadline() const { return layer_.next_deadline(); }

    // ---- UAC ----

    /**
     * Where `req` goes first: the top Route if there is one, else the Request-URI (RFC 3261
     * 8.1.2); over the URI's transport, TLS for sips, else UDP, or TCP for a request within 200
     * bytes of the path MTU that named no transport (18.1.1: 150 bytes are kept for the Via and
     * Max-Forwards the endpoint adds). Names are not resolved (RFC 3263 is to come).
     */
    static result<next_hop> route(const msg::message& req) {
        std::string_view target = req.request_uri_text();
        std::string_view first_route;
        if (req.has_header(msg::header_id::route)) {
            msg::list_elements l(req.header(msg::header_id::route));
            if (auto it = l.begin(); it != l.end()) first_route = *it;
        }
        result<msg::uri> u = msg::parse_uri(target);
        std::optional<msg::name_addr> na;
        if (!first_route.empty()) {
            auto r = msg::parse_name_addr(first_route);
            if (!r) return r.error();
            na = *r;
            u = na->uri();
        }
        if (!u) return u.error();
        next_hop h;
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
        if (ec) return make_error_code(transport_errc::connect_failed);
        h.to.port = u->has_port ? u->port : (h.transport == transport::kind::tls ? 5061 : 5060);
        h.server_name = std::string(u->host);
        if (h.transport == transport::kind::udp && !h.explicit_transport && req.wire_size() + 150 > 1300)
            h.transport = transport::kind::tcp;
        return h;
    }

    /// The flow of a UDP request to `to`: from the first socket of its address family.
    result<tx::flow> udp_flow(const transport::address& to, tx::time_point now) {
        if (udp_.empty()) return make_error_code(transport_errc::connect_failed);
        return flow_for(transport::kind::udp, to, 0, udp_socket_for(to), now);
    }
    /// The flow of a request on stream connection `connection` (opened by the driver) to `to`.
    tx::flow stream_flow(transport::kind k, const transport::address& to, std::uint64_t connection,
                         tx::time_point now) {
        return flow_for(k, to, connection, 0, now);
    }

    /**
     * Sends `req` toward `hop` on flow `where` through a client transaction; returns its id.
     * The endpoint adds what the request lacks: a top Via with our address and a new branch
     * (with rport), and Max-Forwards 70. Its responses come as `response_in` (each 1xx, the
     * first final one) or `request_failed`.
     *
     * For an INVITE the endpoint ACKs a 2xx itself (and its retransmissions, with the same
     * ACK, built by the dialog it creates), unless `acks_by_caller`: then the caller ACKs every
     * 2xx (`ack()`), and each 2xx after the first comes as `later_2xx` for as long as the
     * INVITE transaction lives (RFC 6026: 64*T1). A B2BUA needs that for an offer in the 2xx
     * (its answer is in the ACK, RFC 3261 13.2.1) and for forks (each 2xx is ACKed, 13.2.2.4).
     */
    tx::tx_id send(msg::message req, const next_hop& hop, tx::flow where, bool acks_by_caller,
                   tx::time_point now) {
        now_ = now;
        prepare(req, hop);
        tx::tx_id id = layer_.send_request(req, where, now);
        pending& p = pending_[id];
        p.invite = req.method() == msg::method_id::invite;
        p.acks_by_caller = acks_by_caller;
        p.where = where;
        if (p.invite) {
            p.request = std::make_unique<msg::message>(std::move(req));
            if (!acks_by_caller) p.hop = hop;
        }
        return id;
    }

    /**
     * CANCELs our INVITE `invite` (RFC 3261 9.1): the CANCEL goes out once a provisional
     * response has come (at once if one has), through its own transaction; the INVITE then
     * ends with 487, or with a 2xx that crossed the CANCEL (which its sender must end with
     * BYE). Nothing happens when the INVITE has its final response.
     */
    void cancel(tx::tx_id invite, tx::time_point now) {
        now_ = now;
        auto it = pending_.find(invite);
        if (it == pending_.end() || !it->second.invite || it->second.final_seen) return;
        it->second.cancel_requested = true;
        if (it->second.provisional_seen) send_cancel(it->second, now);
    }

    /// Sends the caller's ACK of a 2xx (RFC 3261 13.2.2.4: outside any transaction) toward `hop`
    /// on `where`, with a Via and Max-Forwards if it lacks them.
    void ack(msg::message a, const next_hop& hop, tx::flow where, tx::time_point now) {
        now_ = now;
        prepare(a, hop);
        layer_.send_request(a, where, now);
    }

    // ---- UAS ----

    /// Answers server transaction `tx`.
    void respond(tx::tx_id tx, const msg::message& rsp, tx::time_point now) {
        now_ = now;
        layer_.respond(tx, rsp, now);
    }

    // ---- output ----

    std::optional<event> poll() {
        while (auto e = layer_.poll()) {
            std::optional<event> out = std::visit([this](auto& ev) { return on_layer(ev); }, *e);
            if (out) return out;
        }
        return std::nullopt;
    }

    /// A new branch (for a Via the caller writes itself).
    std::string new_branch() { return layer_.new_branch(); }

private:
    // A client request in progress (until its transaction ends).
    struct pending {
        bool invite = false;
        bool acks_by_caller = false;
        bool provisional_seen = false;
        bool final_seen = false;
        bool cancel_requested = false;
        bool cancel_sent = false;
        tx::flow where;
        // INVITEs only, and only while needed (a B2BUA has an INVITE per call, whose transaction
        // lives 64*T1 after its 2xx): what a CANCEL and our ACK copy, until the final response;
        // the ACK we sent for a 2xx, sent again for each copy
        std::unique_ptr<msg::message> request;
        std::unique_ptr<msg::message> our_ack;
        next_hop hop; // for our ACK's Via
    };

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
        flow_key key;
        tx::time_point last_used{}; // flows unused for long are forgotten (see sweep_flows)
    };

    // ---- the layer's events, as the endpoint's ----

    std::optional<event> on_layer(tx::transmit& t) {
        auto it = flows_.find(t.to.id);
        if (it == flows_.end()) return std::nullopt;
        const flow_key& k = it->second.key;
        return transmit{k.transport, k.socket, k.connection, k.remote, t.bytes};
    }
    std::optional<event> on_layer(tx::request_received& r) {
        request_in in{r.tx, r.request, transport::kind::udp, {}};
        if (auto it = flows_.find(r.from.id); it != flows_.end()) {
            in.transport = it->second.key.transport;
            in.remote = it->second.key.remote;
        }
        return in;
    }
    std::optional<event> on_layer(tx::cancel_received& c) { return cancel_in{c.invite}; }
    std::optional<event> on_layer(tx::ack_received& a) { return ack_in{a.ack}; }
    std::optional<event> on_layer(tx::response_received& r) {
        auto it = pending_.find(r.tx);
        if (it == pending_.end()) return std::nullopt;
        pending& p = it->second;
        int code = r.response->status();
        bool ok = code >= 200 && code < 300;
        if (p.final_seen) {
            if (!ok || !p.invite) return std::nullopt;
            if (p.acks_by_caller) return later_2xx{r.tx, r.response};
            // a copy of a 2xx (or another fork's): ACKed again (13.2.2.4)
            if (p.our_ack) layer_.send_request(*p.our_ack, p.where, now_);
            return std::nullopt;
        }
        if (code < 200) {
            p.provisional_seen = true;
            if (p.cancel_requested) send_cancel(p, now_);
            return response_in{r.tx, r.response};
        }
        p.final_seen = true;
        if (p.invite && ok && !p.acks_by_caller) send_our_ack(p, *r.response);
        // no CANCEL after a final response: the INVITE's copy goes (its transaction may live on
        // for 64*T1, RFC 6026, and a B2BUA has one per call)
        p.request.reset();
        return response_in{r.tx, r.response};
    }
    std::optional<event> on_layer(tx::stray_response&) { return std::nullopt; }
    std::optional<event> on_layer(tx::transaction_failed& f) {
        auto it = pending_.find(f.tx);
        if (it == pending_.end() || it->second.final_seen) return std::nullopt; // (a server one: Timer H)
        it->second.final_seen = true;
        return request_failed{f.tx, make_error_code(f.timeout ? transaction_errc::timeout
                                                              : transaction_errc::transport_failure)};
    }
    std::optional<event> on_layer(tx::invite_no_answer&) { return std::nullopt; }
    std::optional<event> on_layer(tx::transaction_ended& e) {
        if (pending_.erase(e.tx) == 0) return std::nullopt; // (a server transaction)
        return request_over{e.tx};
    }
    std::optional<event> on_layer(tx::ack_timeout& a) { return ack_missing{a.tx}; }

    // ---- CANCEL and ACK: built in message/ (CANCEL) and dialog/ (2xx ACK), sent here ----

    void send_cancel(pending& p, tx::time_point now) {
        if (p.cancel_sent) return;
        p.cancel_sent = true;
        if (!p.request) return;
        if (auto c = msg::make_cancel(*p.request)) layer_.send_request(*c, p.where, now);
    }
    // RFC 3261 13.2.2.4: the ACK of a 2xx, from the dialog the 2xx creates (its Request-URI is
    // the Contact, its Route the reversed Record-Route), on the INVITE's flow; kept for copies.
    void send_our_ack(pending& p, const msg::message& ok) {
        if (!p.request) return;
        auto d = dialog::dialog::uac(*p.request, ok);
        if (!d) return; // a 2xx without tags or Contact: nothing to ACK it with
        auto a = d->make_ack(ok);
        if (!a) return;
        prepare(*a, p.hop);
        layer_.send_request(*a, p.where, now_);
        p.our_ack = std::make_unique<msg::message>(std::move(*a));
    }

    // ---- Via ----

    // What a request lacks: a top Via with the address of the socket it leaves from (RFC 3261
    // 18.1.1) and a new branch with rport (RFC 3581), and Max-Forwards 70.
    void prepare(msg::message& req, const next_hop& h) {
        if (!req.has_header(msg::header_id::via)) {
            std::optional<transport::address> local;
            if (h.transport == transport::kind::udp && !udp_.empty())
                local = udp_[udp_socket_for(h.to)];
            else
                local = local_address(h.transport);
            if (!local) local = local_address(transport::kind::udp);
            std::string via = "SIP/2.0/";
            via += transport::to_string(h.transport);
            via += ' ';
            via += local ? transport::to_string(*local) : std::string("0.0.0.0");
            via += ";branch=" + layer_.new_branch() + ";rport";
            req.push_front_header("Via", via);
        }
        if (!req.has_header(msg::header_id::max_forwards)) req.add_header("Max-Forwards", "70");
    }

    // RFC 3261 18.2.1 and RFC 3581: note where the request really came from in its top Via,
    // and work out where responses go (18.2.2).
    static void fix_via(msg::message& m, const transport::inbound& in, transport::address& reply_to) {
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

    // ---- flows: the layer's opaque names for (transport, remote[, connection][, socket]) ----

    // The UDP socket a datagram came in on (by its local address).
    std::size_t udp_socket_at(const transport::address& local) const {
        for (std::size_t i = 0; i < udp_.size(); ++i)
            if (udp_[i] == local) return i;
        return 0;
    }
    // The UDP socket a request to `to` leaves from: the first of the destination's address
    // family (IPv4 or IPv6), else the first.
    std::size_t udp_socket_for(const transport::address& to) const {
        for (std::size_t i = 0; i < udp_.size(); ++i)
            if (udp_[i].ip.is_v4() == to.ip.is_v4()) return i;
        return 0;
    }

    // `socket`: for UDP, which of our sockets the flow uses (a multi-homed host answers from the
    // address it was reached at, and a peer that latches sees one address).
    tx::flow flow_for(transport::kind k, const transport::address& remote, std::uint64_t connection,
                      std::size_t socket, tx::time_point now) {
        flow_key key{k, remote, connection, socket};
        auto [it, inserted] = flow_ids_.try_emplace(key, 0);
        if (inserted) {
            it->second = ++last_flow_;
            flows_[it->second] = flow_info{key, {}};
            if (connection) conn_flows_[connection] = it->second;
        }
        flows_[it->second].last_used = now;
        return tx::flow{it->second, k != transport::kind::udp};
    }

    // Memory stays bounded however many peers write to us: a flow nobody used for longer than
    // any transaction can live (Timer C + 64*T1, well under 10 minutes) is forgotten.
    void sweep_flows(tx::time_point now) {
        if (now - last_sweep_ < std::chrono::seconds(60)) return;
        last_sweep_ = now;
        for (auto it = flows_.begin(); it != flows_.end();) {
            bool open = it->second.key.connection && conn_flows_.count(it->second.key.connection);
            if (!open && now - it->second.last_used > std::chrono::minutes(10)) {
                flow_ids_.erase(it->second.key);
                it = flows_.erase(it);
            } else {
                ++it;
            }
        }
    }

    tx::layer layer_;
    std::vector<transport::address> udp_;
    std::unordered_map<transport::kind, transport::address> listening_;
    std::unordered_map<flow_key, std::uint64_t, flow_key_hash> flow_ids_;
    std::unordered_map<std::uint64_t, flow_info> flows_;
    std::unordered_map<std::uint64_t, std::uint64_t> conn_flows_; // connection -> flow
    std::uint64_t last_flow_ = 0;
    tx::time_point last_sweep_{};
    tx::time_point now_{}; // of the last input: for what the endpoint sends while draining events
    std::unordered_map<tx::tx_id, pending> pending_;
};

} // namespace tandem::net

#endif
