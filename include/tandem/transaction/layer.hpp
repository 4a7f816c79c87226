#ifndef TANDEM_TRANSACTION_LAYER_HPP
#define TANDEM_TRANSACTION_LAYER_HPP

/// @file The transaction layer (RFC 3261 17): matches messages to transactions, creates server
/// transactions for new requests, answers what needs no TU, and reports the rest, sans I/O.

#include <tandem/message/message.hpp>
#include <tandem/message/serializer.hpp>
#include <tandem/message/validate.hpp>
#include <tandem/transaction/action.hpp>
#include <tandem/transaction/client_transaction.hpp>
#include <tandem/transaction/key.hpp>
#include <tandem/transaction/server_transaction.hpp>
#include <tandem/transaction/timers.hpp>

#include <cstdint>
#include <deque>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>

namespace tandem::transaction {

/**
 * Where a message came from or goes to, as the transport shell names it. The core only keeps
 * it and hands it back: `id` names a connection (TCP, TLS) or a remote address on a socket
 * (UDP), `reliable` selects the timer values (RFC 3261 17.1.1.2 and table 4).
 */
struct flow {
    std::uint64_t id = 0;
    bool reliable = false;
    bool operator==(const flow&) const = default;
};

/// A transaction's handle, unique for the life of a layer.
using tx_id = std::uint64_t;

/// @name Events the layer reports (from `poll()`). Views and pointers in them stay valid until
/// the next input to the layer.
/// @{
/// Send these bytes on this flow.
struct transmit {
    flow to;
    std::string_view bytes;
};
/// A new request (not ACK, not a matched CANCEL) created server transaction `tx`: the TU must
/// answer it with `respond()`.
struct request_received {
    tx_id tx;
    const message::message* request;
    flow from;
};
/// A CANCEL matched INVITE server transaction `invite` (RFC 3261 9.2). The layer already
/// answered the CANCEL with 200; the TU should answer the INVITE with 487 if it has not sent a
/// final response.
struct cancel_received {
    tx_id invite;
    const message::message* cancel;
};
/// An ACK that belongs to no transaction: the ACK for a 2xx, for the dialog layer (13.2.2.4).
struct ack_received {
    const message::message* ack;
    flow from;
};
/// A response for client transaction `tx` (provisional or final; 2xx retransmissions too).
struct response_received {
    tx_id tx;
    const message::message* response;
};
/// A 2xx that matched no transaction: a retransmission the UAC core must ACK again (13.2.2.4).
struct stray_response {
    const message::message* response;
    flow from;
};
/// Client transaction `tx` failed: Timer B/F fired (treat as 408), or the transport failed.
/// Server transaction `tx`: Timer H fired (no ACK) or the transport failed.
struct transaction_failed {
    tx_id tx;
    bool timeout; ///< true: timer; false: transport
};
/// Timer C of client INVITE `tx` fired: the TU should CANCEL it.
struct invite_no_answer {
    tx_id tx;
};
/// Transaction `tx` is over; its handle is no longer valid.
struct transaction_ended {
    tx_id tx;
};
/// No ACK came for a 2xx the layer kept retransmitting for server INVITE transaction `tx`
/// (RFC 3261 13.3.1.4): the TU should end the dialog with a BYE.
struct ack_timeout {
    tx_id tx;
    const message::message* invite;
};
using event =
    std::variant<transmit, request_received, cancel_received, ack_received, response_received, stray_response,
                 transaction_failed, invite_no_answer, transaction_ended, ack_timeout>;
/// @}

/// Settings of a transaction layer.
struct layer_config {
    timer_config timers;
    /// What requests are accepted before a server transaction is created; the others get
    /// their response statelessly (RFC 3261 8.2, 16.3). `forwarding` matters for proxies and
    /// B2BUAs.
    message::validation_options validation;
    /// Do the UAS core's part of RFC 3261 13.3.1.4: retransmit a 2xx to an INVITE (T1
    /// doubling to T2) until its ACK arrives, and report `ack_timeout` after 64*T1.
    bool retransmit_2xx = true;
    /// Seed for branch generation; 0 takes one from std::random_device.
    std::uint64_t seed = 0;
};

/**
 * The transaction layer.
 *
 * Inputs: `on_message` (everything a transport received, parsed with
 * `check_syntax = false` so that malformed requests can still be answered), `on_time`,
 * `on_transport_error`, and the TU's commands `send_request`, `respond`. After each input,
 * drain `poll()`, then wait for `next_deadline()`.
 *
 * What it does on its own: retransmissions and their absorption; the ACK of non-2xx
 * responses; 100 Trying after 200 ms; stateless 4xx/5xx for requests that fail validation;
 * 200 to a CANCEL that matches an INVITE transaction and 481 to one that does not; dropping
 * responses that match nothing except 2xx (reported as `stray_response`).
 */
class layer {
public:
    explicit layer(const layer_config& cfg = {}) : cfg_(cfg) {
        std::uint64_t s = cfg.seed;
        if (s == 0) {
            std::random_device rd;
            s = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
        }
        rng_.seed(s);
    }

    /// A new, unpredictable RFC 3261 branch ("z9hG4bK" and 22 characters of 128 random bits).
    std::string new_branch() {
        static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.";
        std::string b = "z9hG4bK";
        for (int word = 0; word < 2; ++word) {
            std::uint64_t r = rng_();
            for (int i = 0; i < 11; ++i, r >>= 6) b += alphabet[r & 63];
        }
        return b;
    }

    /**
     * Starts a client transaction for `req` toward `to`. The request's top Via must carry a
     * branch unique to this transaction (`new_branch()`); ACK is not sent through a
     * transaction (a 2xx ACK is the TU's, 17.1.1.3) and is transmitted directly.
     */
    tx_id send_request(const message::message& req, flow to, time_point now) {
        collect();
        if (req.method() == message::method_id::ack) {
            std::string& bytes = out_.emplace_back();
            req.serialize_to(bytes);
            events_.push_back(transmit{to, bytes});
            return 0;
        }
        tx_id id = ++last_id_;
        auto via = req.top_via();
        std::string key = client_key(via ? via->branch() : std::string_view{}, req.method_text());
        auto [it, inserted] = txs_.try_emplace(id);
        entry& e = it->second;
        e.where = to;
        e.key = key;
        if (req.method() == message::method_id::invite)
            e.fsm.emplace<client_invite>(req, to.reliable, cfg_.timers);
        else
            e.fsm.emplace<client_non_invite>(req, to.reliable, cfg_.timers);
        client_keys_[key] = id;
        visit_fsm(e.fsm, [&](auto& f) {
            if constexpr (requires { f.start(now); }) f.start(now);
        });
        drain(id, nullptr);
        return id;
    }

    /// The TU's response on server transaction `tx` (ignored if the transaction is gone).
    void respond(tx_id tx, const message::message& rsp, time_point now) {
        collect();
        auto it = txs_.find(tx);
        if (it == txs_.end()) return;
        visit_fsm(it->second.fsm, [&](auto& f) {
            if constexpr (requires { f.respond(rsp, now); }) f.respond(rsp, now);
        });
        if (auto* si = std::get_if<server_invite>(&it->second.fsm);
            si && cfg_.retransmit_2xx && rsp.status() >= 200 && rsp.status() < 300) {
            std::string key = ack_key(si->request());
            pending_2xx& p = ok_pending_[key];
            if (p.tx) ok_deadlines_.erase({p.next, key}); // a new 2xx for the same INVITE
            p.tx = tx;
            p.to = it->second.where;
            p.invite = si->request();
            p.bytes.clear();
            rsp.serialize_to(p.bytes);
            p.interval = cfg_.timers.t1;
            p.next = now + p.interval;
            p.give_up = now + 64 * cfg_.timers.t1;
            ok_deadlines_.insert({p.next, std::move(key)});
        }
        drain(tx, nullptr);
    }

    /// A message from the network on flow `from`.
    void on_message(message::message&& m, flow from, time_point now) {
        collect();
        // Precondition (the drain contract): events of the previous input, which may point at
        // the previous message, were drained.
        current_ = std::move(m);
        if (current_.is_response())
            on_response(from, now);
        else
            on_request(from, now);
    }

    /// Fires every timer due at `now`.
    void on_time(time_point now) {
        collect();
        // 2xx retransmissions (13.3.1.4), in deadline order
        while (!ok_deadlines_.empty() && ok_deadlines_.begin()->first <= now) {
            std::string key = ok_deadlines_.begin()->second;
            ok_deadlines_.erase(ok_deadlines_.begin());
            auto it = ok_pending_.find(key);
            if (it == ok_pending_.end()) continue;
            pending_2xx& p = it->second;
            if (now >= p.give_up) {
                // no ACK within 64*T1: the TU ends the dialog. The INVITE moves to a store that
                // lives until the events are drained, for the event's pointer.
                expired_invites_.push_back(std::move(p.invite));
                events_.push_back(ack_timeout{p.tx, &expired_invites_.back()});
                ok_pending_.erase(it);
                continue;
            }
            events_.push_back(transmit{p.to, p.bytes});
            p.interval = std::min(2 * p.interval, cfg_.timers.t2);
            p.next = std::min(now + p.interval, p.give_up);
            ok_deadlines_.insert({p.next, std::move(key)});
        }
        while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
            tx_id id = deadlines_.begin()->second;
            deadlines_.erase(deadlines_.begin());
            auto it = txs_.find(id);
            if (it == txs_.end()) continue;
            it->second.deadline.reset();
            visit_fsm(it->second.fsm, [&](auto& f) { f.on_time(now); });
            drain(id, nullptr);
        }
    }

    /// The transport behind flow `f` failed: every transaction using it ends (17.1.4, 17.2.4).
    void on_transport_error(flow f, time_point now) {
        collect();
        std::vector<tx_id> hit;
        for (auto& [id, e] : txs_)
            if (e.where.id == f.id) hit.push_back(id);
        for (tx_id id : hit) {
            auto it = txs_.find(id);
            if (it == txs_.end()) continue;
            visit_fsm(it->second.fsm, [&](auto& fsm) { fsm.on_transport_error(now); });
            drain(id, nullptr);
        }
    }

    std::optional<event> poll() {
        if (events_.empty()) return std::nullopt;
        event e = events_.front();
        events_.pop_front();
        return e;
    }
    std::optional<time_point> next_deadline() const noexcept {
        std::optional<time_point> d;
        if (!deadlines_.empty()) d = deadlines_.begin()->first;
        if (!ok_deadlines_.empty() && (!d || ok_deadlines_.begin()->first < *d))
            d = ok_deadlines_.begin()->first;
        return d;
    }
    /// Number of live transactions.
    std::size_t size() const noexcept { return txs_.size() - graveyard_.size(); }

private:
    using fsm_type =
        std::variant<std::monostate, client_invite, client_non_invite, server_invite, server_non_invite>;
    struct entry {
        fsm_type fsm;
        flow where;
        std::string key;
        std::optional<time_point> deadline;
    };

    template <class F>
    static void visit_fsm(fsm_type& v, F&& f) {
        std::visit(
            [&](auto& x) {
                if constexpr (!std::is_same_v<std::decay_t<decltype(x)>, std::monostate>) f(x);
            },
            v);
    }

    void on_response(flow from, time_point now) {
        std::string key = client_key(current_);
        auto k = key.empty() ? client_keys_.end() : client_keys_.find(key);
        if (k == client_keys_.end()) {
            // 17.1.3 / RFC 6026: no transaction; a 2xx goes to the core (the UAC re-ACKs it)
            if (current_.status() >= 200 && current_.status() < 300)
                events_.push_back(stray_response{&current_, from});
            return;
        }
        tx_id id = k->second;
        auto it = txs_.find(id);
        visit_fsm(it->second.fsm, [&](auto& f) {
            if constexpr (requires { f.on_response(current_, now); }) f.on_response(current_, now);
        });
        drain(id, &current_);
    }

    void on_request(flow from, time_point now) {
        bool ack = current_.method() == message::method_id::ack;
        bool cancel = current_.method() == message::method_id::cancel;
        std::string key = server_key(current_);
        if (!key.empty()) {
            if (auto k = server_keys_.find(key); k != server_keys_.end()) {
                // 17.2.3: a retransmission, or the ACK of a non-2xx final response
                tx_id id = k->second;
                auto it = txs_.find(id);
                if (ack) {
                    if (auto* si = std::get_if<server_invite>(&it->second.fsm);
                        si && si->current() != server_invite::state::completed &&
                        si->current() != server_invite::state::confirmed) {
                        // an RFC 2543 ACK for a 2xx shares the INVITE's key: it is the TU's
                        acknowledged(ack_key(current_));
                        events_.push_back(ack_received{&current_, from});
                        return;
                    }
                }
                visit_fsm(it->second.fsm, [&](auto& f) {
                    if constexpr (requires { f.on_request(current_, now); }) f.on_request(current_, now);
                });
                drain(id, nullptr);
                return;
            }
        }
        if (ack) {
            // 17.2.3: an ACK matching nothing is for the TU (the ACK of a 2xx) if it is usable
            if (!message::validate_request(current_, cfg_.validation)) {
                acknowledged(ack_key(current_)); // 13.3.1.4: the 2xx is acknowledged
                events_.push_back(ack_received{&current_, from});
            }
            return;
        }
        if (!message::can_respond(current_)) return; // nowhere to send an answer: drop (18.2.1)
        if (auto r = message::validate_request(current_, cfg_.validation)) {
            stateless(from, r->status, message::extra_headers(*r));
            return;
        }
        if (cancel) {
            // 9.2: find the INVITE server transaction the CANCEL targets
            std::string invite_key = server_key(current_, "INVITE");
            auto k = server_keys_.find(invite_key);
            if (k == server_keys_.end()) {
                stateless(from, 481, {});
                return;
            }
            tx_id invite = k->second;
            tx_id id = create_server(key, from, now);
            auto it = txs_.find(id);
            auto ok = message::make_response(current_, 200, {}, to_tag_for(current_));
            if (ok) std::get<server_non_invite>(it->second.fsm).respond(*ok, now);
            drain(id, nullptr);
            events_.push_back(cancel_received{invite, &current_});
            return;
        }
        tx_id id = create_server(key, from, now);
        auto it = txs_.find(id);
        const message::message* req = nullptr;
        visit_fsm(it->second.fsm, [&](auto& f) {
            if constexpr (requires { f.request(); }) req = &f.request();
        });
        events_.push_back(request_received{id, req, from});
        drain(id, nullptr);
    }

    tx_id create_server(const std::string& key, flow from, time_point now) {
        tx_id id = ++last_id_;
        auto [it, inserted] = txs_.try_emplace(id);
        entry& e = it->second;
        e.where = from;
        e.key = key;
        if (current_.method() == message::method_id::invite)
            e.fsm.emplace<server_invite>(current_, from.reliable, cfg_.timers);
        else
            e.fsm.emplace<server_non_invite>(current_, from.reliable, cfg_.timers);
        server_keys_[key] = id;
        visit_fsm(e.fsm, [&](auto& f) {
            if constexpr (requires { f.start(now); }) f.start(now);
        });
        return id;
    }

    // A response sent without a transaction (RFC 3261 8.2.6, 16.3 items 1-6, 9.2 for 481).
    void stateless(flow to, int status, const std::string& extra) {
        std::string& bytes =
            out_.emplace_back(message::make_response_text(current_, status, {}, to_tag_for(current_), extra));
        events_.push_back(transmit{to, bytes});
    }

    // A To tag for responses the layer makes itself: derived from the request so that a
    // retransmitted request gets the same tag (8.2.6.2 wants a tag; it need not be random here).
    std::string to_tag_for(const message::message& req) {
        std::uint64_t h = 1469598103934665603ull;
        for (char c : req.call_id()) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
        auto cs = req.cseq();
        h ^= cs ? cs->number : 0;
        return "t" + std::to_string(h % 1000000007ull);
    }

    // Moves a transaction's actions into layer events; forgets it when terminated.
    void drain(tx_id id, const message::message* received) {
        auto it = txs_.find(id);
        if (it == txs_.end()) return;
        entry& e = it->second;
        bool ended = false;
        while (true) {
            std::optional<action> a;
            visit_fsm(e.fsm, [&](auto& f) {
                if constexpr (requires { f.poll(); }) a = f.poll();
            });
            if (!a) break;
            std::visit(
                [&](auto& act) {
                    using A = std::decay_t<decltype(act)>;
                    if constexpr (std::is_same_v<A, send>)
                        events_.push_back(transmit{e.where, act.bytes});
                    else if constexpr (std::is_same_v<A, deliver>) {
                        if (received) events_.push_back(response_received{id, received});
                    } else if constexpr (std::is_same_v<A, timed_out>)
                        events_.push_back(transaction_failed{id, true});
                    else if constexpr (std::is_same_v<A, transport_failed>)
                        events_.push_back(transaction_failed{id, false});
                    else if constexpr (std::is_same_v<A, no_answer>)
                        events_.push_back(invite_no_answer{id});
                    else if constexpr (std::is_same_v<A, terminated>)
                        ended = true;
                },
                *a);
        }
        if (e.deadline) deadlines_.erase({*e.deadline, id});
        e.deadline.reset();
        if (ended) {
            events_.push_back(transaction_ended{id});
            // The bytes of transmit events may live in this transaction: keep it until the
            // next input (graveyard), then let it go.
            erase_keys(e);
            graveyard_.push_back(id);
            return;
        }
        std::optional<time_point> d;
        visit_fsm(e.fsm, [&](auto& f) { d = f.next_deadline(); });
        if (d) {
            e.deadline = d;
            deadlines_.insert({*d, id});
        }
    }

    // The 2xx an ACK acknowledges: same Call-ID and CSeq number (13.2.2.4, 13.3.1.4).
    static std::string ack_key(const message::message& m) {
        auto cs = m.cseq();
        std::string k(m.call_id());
        k.append(1, '\x01').append(std::to_string(cs ? cs->number : 0));
        return k;
    }

    void acknowledged(const std::string& key) {
        auto it = ok_pending_.find(key);
        if (it == ok_pending_.end()) return;
        ok_deadlines_.erase({it->second.next, key});
        // the transaction lives on for 64*T1 (RFC 6026) to absorb INVITE retransmissions: it
        // needs neither the INVITE nor the 2xx for that
        if (auto tx = txs_.find(it->second.tx); tx != txs_.end())
            if (auto* si = std::get_if<server_invite>(&tx->second.fsm)) si->acknowledged();
        ok_pending_.erase(it);
    }

    void erase_keys(const entry& e) {
        if (auto k = client_keys_.find(e.key); k != client_keys_.end()) client_keys_.erase(k);
        if (auto k = server_keys_.find(e.key); k != server_keys_.end()) server_keys_.erase(k);
    }

public:
    /// Releases transactions that ended during the previous input. Called at the start of
    /// every input; the events of that input must have been drained.
    void collect() {
        // Events still queued may point into what would be released: wait until they are drained
        // (an input made by the TU from inside its event handling lands here with events queued).
        if (!events_.empty()) return;
        for (tx_id id : graveyard_) txs_.erase(id);
        graveyard_.clear();
        expired_invites_.clear();
        out_.clear();
    }

    /// The checks incoming requests must pass (RFC 3261 8.2, 16.3), for a user of the layer that
    /// needs others than it was made with (a B2BUA accepts any body type, answers Max-Forwards 0).
    message::validation_options& validation() noexcept { return cfg_.validation; }

private:
    layer_config cfg_;
    std::mt19937_64 rng_;
    tx_id last_id_ = 0;
    std::unordered_map<tx_id, entry> txs_;
    std::unordered_map<std::string, tx_id> client_keys_;
    std::unordered_map<std::string, tx_id> server_keys_;
    std::set<std::pair<time_point, tx_id>> deadlines_;
    std::deque<event> events_;
    std::vector<tx_id> graveyard_;
    struct pending_2xx {
        tx_id tx = 0;
        flow to;
        message::message invite;
        std::string bytes;
        milliseconds interval{0};
        time_point next;
        time_point give_up;
    };
    std::unordered_map<std::string, pending_2xx> ok_pending_; // by ack_key of the INVITE
    std::set<std::pair<time_point, std::string>> ok_deadlines_;
    std::deque<message::message> expired_invites_;
    message::message current_;
    std::deque<std::string> out_; // bytes of transmissions made outside a transaction
};

} // namespace tandem::transaction

#endif
