#ifndef TANDEM_B2BUA_SERVICE_HPP
#define TANDEM_B2BUA_SERVICE_HPP

/// @file `b2bua::service<Policy, Relay>`: runs bridged calls (`call`) on a `net::stack`.

#include <tandem/b2bua/call.hpp>
#include <tandem/b2bua/concepts.hpp>
#include <tandem/logger.hpp>
#include <tandem/net/stack.hpp>
#include <tandem/detail/asio_compat.hpp>

#include <asio.hpp>

#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace tandem::b2bua {

/// Settings of a B2BUA service.
struct service_config {
    /// Calls beyond this get 503 with Retry-After (RFC 3261 21.5.4). Zero: no limit.
    std::size_t max_calls = 0;
    /// Host part of our Contact and of leg B's Call-ID ("" = the stack's UDP address).
    std::string host;
    /// Session timers (RFC 4028) on each leg, negotiated by us as each phone's peer: a caller or
    /// callee that vanishes is noticed within this interval even when neither phone asked for
    /// timers, and the call ends with BYE on both legs. Zero: no session timers.
    dialog::session_timer_config session_timer{std::chrono::seconds(1800), std::chrono::seconds(90)};
    /// Whose session timers they are: ours per leg (`local`, the default), the phones' that we
    /// watch (`relay`), or none (`off`). See `session_timers`.
    session_timers timer_mode = session_timers::local;
    /// The longest an answered call may last (BYE on both legs then). Zero: no limit.
    std::chrono::seconds max_duration{0};
    /// How long an asynchronous policy (`route_async`) may take to decide; then its
    /// `on_route_timeout` decides, or leg A gets 500.
    std::chrono::milliseconds route_timeout{5000};
    /// What a REFER in an answered call does: crosses (`relay`, the default), makes us the
    /// transferee (`local`: a third leg to the Refer-To target), or gets 603 (`refuse`).
    transfers transfer_mode = transfers::relay;
};

/**
 * A policy that decides asynchronously: `route_async(invite)` is an awaitable (a database,
 * HTTP or DNS lookup on the service's executor) that other calls do not wait for. Leg A gets
 * 100 Trying meanwhile (the transaction layer's, after 200 ms), and a CANCEL ends the call
 * before the decision comes. A decision that takes longer than `service_config::route_timeout`
 * is replaced by the policy's `on_route_timeout` (or 500); one that throws gives 500.
 */
template <class P>
concept async_policy = requires(P& p, const message::message& invite) {
    { p.route_async(invite) } -> std::same_as<asio::awaitable<decision>>;
};

/**
 * A B2BUA on a `net::stack`: every INVITE that creates a dialog becomes a `call` whose leg B
 * the `Policy` routes and whose SDP the `Relay` rewrites. In-dialog requests are matched to
 * their call by leg (A: Call-ID and the caller's tag; B: our Call-ID) or answered 481;
 * out-of-dialog OPTIONS are answered locally (keep-alives); other out-of-dialog methods get 405.
 *
 * At `debug` level each call is logged as a ladder, leg A on the left and leg B on the right.
 */
template <class Policy, media_relay Relay = no_media>
    requires(policy<Policy> || async_policy<Policy>)
class service {
    static_assert(well_formed_hooks<Policy>, "a policy hook has the wrong signature (see no_policy_hooks)");

public:
    /// Serves the stack's events (it is their one consumer) and sets the request checks a
    /// B2BUA needs: Max-Forwards 0 gets 483 (RFC 7332), and any body type is accepted (the
    /// other leg judges it: INFO with application/dtmf-relay).
    service(net::stack& s, Policy p, Relay r = {}, service_config cfg = {})
        : stack_(s), policy_(std::move(p)), relay_(std::move(r)), cfg_(std::move(cfg)) {
        static constexpr std::string_view any_body[] = {"*/*"};
        stack_.validation().forwarding = true;
        stack_.validation().accepted_content_types = any_body;
    }

    /// Serves the stack's events until it stops.
    asio::awaitable<void> run() {
        while (true) {
            auto e = co_await stack_.next_event();
            if (!e) break;
            std::visit([this](auto& ev) { this->on(ev); }, *e);
        }
        // the stack stopped: the calls' clock stops too, and what the calls still hold (media
        // ports) is released: nothing keeps the executor busy
        stopped_ = true;
        wake_.cancel();
        by_a_.clear();
        by_b_.clear();
        calls_.clear();
    }

    /// Ends every call (BYE for answered ones; 480 + CANCEL for ringing ones).
    void end_all() {
        std::vector<std::uint64_t> ids;
        for (auto& [id, e] : calls_) ids.push_back(id);
        for (auto id : ids) {
            auto it = calls_.find(id);
            if (it == calls_.end()) continue;
            it->second->c.shutdown(now());
            drain(id);
        }
    }

    std::size_t calls() const noexcept { return calls_.size(); }
    Policy& policy() noexcept { return policy_; }

private:
    struct entry {
        entry(Relay& r, leg_identity a, leg_identity b, Policy* p, const call_config& cfg)
            : c(r, std::move(a), std::move(b), p, cfg) {}
        call<Relay, Policy> c;
        std::string a_key;
        std::string b_key;
        std::string c_key; // leg C's Call-ID, once a transfer handled here placed it
        transaction::tx_id invite_tx = 0;
        transaction::tx_id reinvite_tx[3] = {0, 0, 0}; // the last in-dialog INVITE received per leg
        // call ref -> the stack's request id, while a request is out (for CANCEL). Rarely more
        // than two: a vector, emptied for good when they are all answered (an unordered_map
        // would keep its bucket array for the life of the call).
        std::vector<std::pair<std::uint64_t, std::uint64_t>> sent;
        std::uint64_t* find_sent(std::uint64_t ref) {
            for (auto& [r, id] : sent)
                if (r == ref) return &id;
            return nullptr;
        }
        void forget_sent(std::uint64_t ref) {
            std::erase_if(sent, [ref](const auto& p) { return p.first == ref; });
            if (sent.empty()) std::vector<std::pair<std::uint64_t, std::uint64_t>>().swap(sent);
        }
        transaction::time_point armed{}; // the call's deadline in `deadlines_` ({} for none)
    };

    static transaction::time_point now() { return transaction::clock::now(); }

    std::string random_token() {
        static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        std::string t;
        std::uint64_t r = rng_();
        for (int i = 0; i < 12; ++i, r /= 36) t += alphabet[r % 36];
        return t;
    }

    std::string host() const {
        if (!cfg_.host.empty()) return cfg_.host;
        auto a = stack_.local_address(transport::kind::udp);
        if (!a) a = stack_.local_address(transport::kind::tcp);
        return a ? transport::to_string(*a) : std::string("127.0.0.1");
    }

    // Leg A's key: the caller's Call-ID and tag, written into `out` (find_call reuses one
    // buffer for it: no allocation per request).
    static std::string& a_key(std::string& out, std::string_view call_id, std::string_view caller_tag) {
        return out.assign(call_id).append(1, '\x01').append(caller_tag);
    }

    void ladder(std::uint64_t id, leg l, bool inbound, const message::message& m) {
        if (!stack_.log().enabled(logger::level::debug)) return;
        std::string label = m.is_request() ? std::string(m.method_text())
                                           : std::to_string(m.status()) + " " + std::string(m.reason());
        std::string line;
        if (l == leg::c) label = "C:" + label;   // leg C shares leg B's column
        if (label.size() > 17) label.resize(17); // with its space, 18 columns between the bars
        if (l == leg::a)
            line = inbound ? fmt::format("|--{:-<18}->|                      |", label + " ")
                           : fmt::format("|<-{:->18}--|                      |", " " + label);
        else
            line = inbound ? fmt::format("|                      |<-{:->18}--|", " " + label)
                           : fmt::format("|                      |--{:-<18}->|", label + " ");
        tandem::log(stack_.log(), logger::level::debug, "call {:>4} A {} B", id, line);
    }

    // ---- the stack's events ----

    void on(net::incoming_request& in) { dispatch(std::move(in)); }
    void on(net::cancelled& c) { on_cancel(c.invite); }
    void on(net::acked& a) { on_ack(a.ack); }
    void on(net::ack_timed_out& t) { on_ack_timeout(t.invite); }
    // A response to a request of a call (its provisional and final ones, and later 2xx).
    void on(net::response& r) {
        with_request(r.request, [&](std::uint64_t id, entry& e, leg to, std::uint64_t ref) {
            if (r.message.status() >= 200 && !r.later) e.forget_sent(ref);
            ladder(id, to, true, r.message);
            e.c.on_response(to, ref, r.message, now());
        });
    }
    void on(net::failed& f) {
        with_request(f.request, [&](std::uint64_t, entry& e, leg to, std::uint64_t ref) {
            e.forget_sent(ref);
            e.c.on_failure(to, ref, f.error == transaction_errc::timeout, now());
        });
    }
    // Calls `fn(call id, its entry, leg, ref)` for the call that sent the stack's request
    // `request`, if it is still there, then carries out what the call did.
    template <class Fn>
    void with_request(std::uint64_t request, Fn&& fn) {
        auto it = requests_.find(request);
        if (it == requests_.end()) return;
        auto [id, to, ref] = it->second;
        auto c = calls_.find(id);
        if (c == calls_.end()) return;
        fn(id, *c->second, to, ref);
        drain(id);
    }
    void on(net::done& d) { requests_.erase(d.request); }

    void dispatch(net::incoming_request in) {
        const message::message& req = in.request;
        auto to = req.to();
        bool in_dialog = to && !to->tag().empty();
        if (!in_dialog) {
            if (req.method() == message::method_id::invite) return new_call(std::move(in));
            if (req.method() == message::method_id::options)
                return answer(in, 200, "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE\r\n");
            return answer(in, 405, "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE\r\n");
        }
        auto [id, l] = find_call(req);
        auto c = calls_.find(id);
        if (!id || c == calls_.end()) return answer(in, 481, {}); // RFC 3261 12.2.2
        ladder(id, l, true, req);
        if (req.method() == message::method_id::invite) {
            auto& last = c->second->reinvite_tx[static_cast<int>(l)];
            if (last) reinvites_.erase(last);
            last = in.tx;
            reinvites_[in.tx] = {id, l};
        }
        c->second->c.on_request(l, in.tx, req, now());
        drain(id);
    }

    // The call and leg an in-dialog message belongs to (id 0: none). Leg A is known by the
    // caller's Call-ID and tag, legs B and C by our Call-ID.
    std::pair<std::uint64_t, leg> find_call(const message::message& req) {
        auto from = req.from();
        if (auto it = by_a_.find(a_key(key_, req.call_id(), from ? from->tag() : std::string_view{}));
            it != by_a_.end())
            return {it->second, leg::a};
        key_.assign(req.call_id());
        if (auto jt = by_b_.find(key_); jt != by_b_.end()) return jt->second;
        return {0, leg::a};
    }

    void on_ack(const message::message& ack) {
        auto [id, l] = find_call(ack);
        auto c = calls_.find(id);
        if (!id || c == calls_.end()) return;
        ladder(id, l, true, ack);
        c->second->c.on_ack(l, ack, now());
        drain(id);
    }

    void on_ack_timeout(transaction::tx_id invite) {
        std::uint64_t id = 0;
        leg l = leg::a;
        if (auto it = invites_.find(invite); it != invites_.end())
            id = it->second;
        else if (auto jt = reinvites_.find(invite); jt != reinvites_.end())
            std::tie(id, l) = jt->second;
        auto c = calls_.find(id);
        if (!id || c == calls_.end()) return;
        tandem::log(stack_.log(), logger::level::debug, "call {:>4} no ACK on leg {}", id,
                    "ABC"[static_cast<int>(l)]);
        c->second->c.on_ack_timeout(l, now());
        drain(id);
    }

    void answer(const net::incoming_request& in, int status, std::string extra) {
        auto r = message::make_response(in.request, status, {}, random_token(), extra);
        if (r) stack_.respond(in.tx, *r);
    }

    // An INVITE with Replaces (RFC 3891) names a dialog here: the decision that replaces the
    // dialog on the other side of that call's bridge instead (`call::replacing`); or the
    // response that refuses it: 400 for a bad Replaces, 481 when it names no confirmed dialog
    // of ours (a phone on one leg cannot know a dialog beyond us), 486 for early-only (a
    // confirmed dialog, RFC 3891 3).
    std::variant<std::monostate, route_decision, int> replaces(const message::message& invite) {
        if (!invite.has_header(message::header_id::replaces)) return std::monostate{};
        auto r = invite.count(message::header_id::replaces) == 1
                     ? message::parse_replaces(invite.header(message::header_id::replaces))
                     : result<message::replaces>(parse_errc::bad_header_value);
        if (!r) return 400;
        std::uint64_t id = 0;
        leg l = leg::a;
        if (auto it = by_a_.find(a_key(key_, r->call_id, r->from_tag)); it != by_a_.end())
            id = it->second;
        else if (auto jt = by_b_.find(key_.assign(r->call_id)); jt != by_b_.end())
            std::tie(id, l) = jt->second;
        auto c = calls_.find(id);
        if (c == calls_.end()) return 481;
        auto route = c->second->c.replacing(l, r->to_tag, r->from_tag);
        if (!route) return 481;
        if (r->early_only) return 486;
        return std::move(*route);
    }

    void new_call(net::incoming_request in) {
        if (cfg_.max_calls && calls_.size() >= cfg_.max_calls)
            return answer(in, 503, "Retry-After: 5\r\n"); // over capacity
        auto replacing = replaces(in.request);
        if (auto* status = std::get_if<int>(&replacing)) return answer(in, *status, {});
        std::string h = host();
        leg_identity a{std::string(in.request.call_id()), random_token(), "sip:b2bua@" + h};
        leg_identity b{random_token() + random_token() + "@" + h, random_token(), "sip:b2bua@" + h};
        std::uint64_t id = ++last_call_;
        call_config cc;
        cc.linger =
            std::chrono::duration_cast<std::chrono::milliseconds>(64 * stack_.config().layer.timers.t1);
        cc.session_timer = cfg_.session_timer;
        cc.timer_mode = cfg_.timer_mode;
        cc.max_duration = cfg_.max_duration;
        cc.transfer_mode = cfg_.transfer_mode;
        auto e = std::make_unique<entry>(relay_, a, b, &policy_, cc);
        auto from = in.request.from();
        a_key(e->a_key, a.call_id, from ? from->tag() : std::string_view{});
        e->b_key = b.call_id;
        e->invite_tx = in.tx;
        by_a_[e->a_key] = id;
        by_b_[e->b_key] = {id, leg::b};
        invites_[in.tx] = id;
        auto& c = e->c;
        calls_[id] = std::move(e);
        ladder(id, leg::a, true, in.request);
        if (auto* route = std::get_if<route_decision>(&replacing)) {
            c.start(in.request, in.tx, *route, now());
            drain(id);
        } else if constexpr (async_policy<Policy>) {
            bool routing = c.receive(in.request, in.tx, now());
            drain(id);
            if (routing)
                asio::co_spawn(stack_executor(), route_later(this, id, std::move(in.request)),
                               reporter{&stack_.log()});
        } else {
            decision d = route_call(policy_, in.request);
            c.start(in.request, in.tx, d, now());
            drain(id);
        }
    }

    // An asynchronous policy decides while the call waits (other calls go on); bounded by
    // `route_timeout`.
    static asio::awaitable<void> route_later(service* self, std::uint64_t id, message::message invite) {
        using namespace tandem::detail::awaitable_operators;
        asio::steady_timer deadline(self->stack_executor());
        deadline.expires_after(self->cfg_.route_timeout);
        decision d = reject_decision{500, "Policy Failure"};
        try {
            auto lookup = self->policy_.route_async(invite); // (named first: STYLE 4.5.3)
            auto wait = deadline.async_wait(tandem::detail::nothrow_awaitable);
            auto r = co_await (std::move(lookup) || std::move(wait));
            if (r.index() == 0)
                d = std::move(std::get<0>(r));
            else
                d = route_timed_out(self->policy_, invite);
        } catch (const std::exception& x) {
            tandem::log(self->stack_.log(), logger::level::error, "call {:>4} route_async threw: {}", id,
                        x.what());
        }
        auto c = self->calls_.find(id);
        if (c == self->calls_.end()) co_return; // cancelled meanwhile
        c->second->c.route(d, now());
        self->drain(id);
    }

    void on_cancel(transaction::tx_id invite) {
        if (auto r = reinvites_.find(invite); r != reinvites_.end()) {
            // a CANCEL for a re-INVITE: it goes on to the re-INVITE we relayed
            auto [id, l] = r->second;
            if (auto c = calls_.find(id); c != calls_.end()) {
                c->second->c.on_cancel(l, invite, now());
                drain(id);
            }
            return;
        }
        auto it = invites_.find(invite);
        if (it == invites_.end()) return;
        std::uint64_t id = it->second;
        auto c = calls_.find(id);
        if (c == calls_.end()) return;
        tandem::log(stack_.log(), logger::level::debug,
                    "call {:>4} A |--CANCEL-------------->|                      | B", id);
        c->second->c.on_cancel(now());
        drain(id);
    }

    // Carries out the call's actions.
    void drain(std::uint64_t id) {
        auto it = calls_.find(id);
        if (it == calls_.end()) return;
        entry& e = *it->second;
        bool done = false;
        while (auto a = e.c.poll()) {
            std::visit(
                [&](auto& act) {
                    using A = std::decay_t<decltype(act)>;
                    if constexpr (std::is_same_v<A, respond>) {
                        ladder(id, act.to, false, act.response);
                        stack_.respond(act.ref, act.response);
                    } else if constexpr (std::is_same_v<A, send_request>) {
                        if (act.to == leg::c && e.c_key != act.request.call_id()) {
                            // a transfer placed leg C: its requests find the call by its Call-ID
                            if (!e.c_key.empty()) by_b_.erase(e.c_key);
                            e.c_key.assign(act.request.call_id());
                            by_b_[e.c_key] = {id, leg::c};
                        }
                        ladder(id, act.to, false, act.request);
                        // INVITEs: the call ACKs each 2xx itself (offer in the 2xx, forks)
                        bool invite = act.request.method() == message::method_id::invite;
                        std::uint64_t r = stack_.send(std::move(act.request), invite);
                        requests_[r] = {id, act.to, act.ref};
                        e.sent.emplace_back(act.ref, r);
                    } else if constexpr (std::is_same_v<A, send_ack>) {
                        ladder(id, act.to, false, act.ack);
                        stack_.ack(std::move(act.ack));
                    } else if constexpr (std::is_same_v<A, cancel_request>) {
                        if (std::uint64_t* r = e.find_sent(act.ref)) {
                            tandem::log(stack_.log(), logger::level::debug,
                                        "call {:>4} A |                      |--CANCEL-------------->| B",
                                        id);
                            stack_.cancel(*r);
                        }
                    } else if constexpr (std::is_same_v<A, report>) {
                        if constexpr (requires { policy_.on_event(act.event); }) {
                            try {
                                policy_.on_event(act.event);
                            } catch (const std::exception& x) {
                                tandem::log(stack_.log(), logger::level::error,
                                            "call {:>4} on_event threw: {}", id, x.what());
                            } catch (...) {
                                tandem::log(stack_.log(), logger::level::error, "call {:>4} on_event threw",
                                            id);
                            }
                        }
                    } else if constexpr (std::is_same_v<A, finished>) {
                        done = true;
                    }
                },
                *a);
        }
        if (done) {
            if (e.armed != transaction::time_point{}) deadlines_.erase({e.armed, id});
            idle_if_nothing_waits();
            by_a_.erase(e.a_key);
            by_b_.erase(e.b_key);
            if (!e.c_key.empty()) by_b_.erase(e.c_key);
            invites_.erase(e.invite_tx);
            for (auto tx : e.reinvite_tx)
                if (tx) reinvites_.erase(tx);
            calls_.erase(it);
            return;
        }
        auto d = e.c.next_deadline();
        transaction::time_point next = d ? *d : transaction::time_point{};
        if (next == e.armed) return;
        if (e.armed != transaction::time_point{}) deadlines_.erase({e.armed, id});
        e.armed = next;
        if (!d) return idle_if_nothing_waits();
        deadlines_.insert({next, id});
        if (next < wake_at_) arm(next);
    }

    // ---- one timer for every call: the calls' deadlines in one ordered set, one entry per call
    // that waits for something (an established call costs a set node, not a timer object and a
    // pending wait of its own).
    void arm(transaction::time_point at) {
        if (stopped_) return;
        wake_at_ = at;
        wake_.expires_at(at);
        wake_.async_wait([this](std::error_code ec) {
            if (ec) return;
            wake_at_ = transaction::time_point::max();
            fire();
        });
    }
    void fire() {
        auto t = now();
        while (!deadlines_.empty() && deadlines_.begin()->first <= t) {
            std::uint64_t id = deadlines_.begin()->second;
            deadlines_.erase(deadlines_.begin());
            auto c = calls_.find(id);
            if (c == calls_.end()) continue;
            c->second->armed = {};
            c->second->c.on_time(t);
            drain(id);
        }
        if (!deadlines_.empty() && deadlines_.begin()->first < wake_at_) arm(deadlines_.begin()->first);
    }
    // No call waits for anything: no wait stays pending (an idle service keeps nothing busy).
    void idle_if_nothing_waits() {
        if (!deadlines_.empty() || wake_at_ == transaction::time_point::max()) return;
        wake_at_ = transaction::time_point::max();
        wake_.cancel();
    }

    asio::any_io_executor stack_executor() { return stack_.get_executor(); }

    struct reporter {
        const logger* log;
        void operator()(std::exception_ptr e) const {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                tandem::log(*log, logger::level::error, "b2bua request failed: {}", x.what());
            }
        }
    };

    net::stack& stack_;
    Policy policy_;
    Relay relay_;
    service_config cfg_;
    std::mt19937_64 rng_{std::random_device{}()};
    std::unordered_map<std::uint64_t, std::unique_ptr<entry>> calls_;
    std::set<std::pair<transaction::time_point, std::uint64_t>> deadlines_; // (when, call)
    asio::steady_timer wake_{stack_.get_executor()};
    transaction::time_point wake_at_ = transaction::time_point::max();
    bool stopped_ = false;
    std::string key_; // find_call's lookup key
    // Keys are views of the strings of each call's entry (`a_key`, `b_key`, `c_key`: one copy
    // per call, not two), erased before their entry goes.
    std::unordered_map<std::string_view, std::uint64_t> by_a_;
    std::unordered_map<std::string_view, std::pair<std::uint64_t, leg>> by_b_; // legs B and C
    std::unordered_map<transaction::tx_id, std::uint64_t> invites_;
    std::unordered_map<transaction::tx_id, std::pair<std::uint64_t, leg>> reinvites_;
    std::uint64_t last_call_ = 0;
    struct request_of_call {
        std::uint64_t call;
        leg to;
        std::uint64_t ref;
    };
    std::unordered_map<std::uint64_t, request_of_call> requests_; // the stack's request id -> whose
};

} // namespace tandem::b2bua

#endif
