#ifndef TANDEM_B2BUA_CALL_HPP
#define TANDEM_B2BUA_CALL_HPP

/// @file One bridged call: leg A (we are its UAS) and leg B (we are its UAC), sans I/O.
///
/// Contract (as for the transaction layer): after each input drain `poll()`, then wait for
/// `next_deadline()` and call `on_time(now)`. The call never reads a clock and sends nothing
/// itself: it returns actions that a driver (`b2bua::service`) carries out on a `net::stack`.

#include <tandem/b2bua/concepts.hpp>
#include <tandem/dialog/dialog.hpp>
#include <tandem/message/message.hpp>
#include <tandem/message/multipart.hpp>
#include <tandem/message/serializer.hpp>
#include <tandem/transaction/timers.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tandem::b2bua {

using transaction::time_point;

/// Who we are on one leg: its Call-ID and our tag (both new for leg B), and our Contact URI.
struct leg_identity {
    std::string call_id;
    std::string tag;
    std::string contact; ///< "sip:b2bua@192.0.2.1:5060"
};

/// @name Actions of a call
/// @{
/// Answer the request that the driver knows as `ref` (its server transaction) on leg `to`.
struct respond {
    leg to;
    std::uint64_t ref;
    message::message response;
};
/// Send `request` on leg `to`; report its responses with `on_response(to, ref, ...)`.
struct send_request {
    leg to;
    std::uint64_t ref;
    message::message request;
};
/// CANCEL the INVITE sent as `ref` on leg B (RFC 3261 9.1).
struct cancel_request {
    std::uint64_t ref;
};
/// A CDR-worthy event, for the policy.
struct report {
    call_event event;
};
/// The call is over: the driver forgets it.
struct finished {};
using action = std::variant<respond, send_request, cancel_request, report, finished>;
/// @}

/**
 * The state of one bridged call, from leg A's INVITE to the last BYE.
 *
 * Leg A and leg B are independent dialogs: leg B gets a new Call-ID, new tags, our Contact, its
 * own CSeq space, and nothing of leg A's Via, Record-Route, Contact or Call-ID (topology
 * hiding); leg A sees only our Contact and tag. Max-Forwards is decremented across (RFC 7332).
 *
 * What it relays: 180/183 (with SDP: early media), 2xx (then both legs are confirmed
 * dialogs), 3xx-6xx with a Reason header (RFC 3326), CANCEL (leg A 487, leg B CANCEL; a 2xx
 * that crosses the CANCEL is ended with a BYE), BYE from either side, and every other in-dialog
 * request (re-INVITE, UPDATE, INFO, OPTIONS, ...) to the other leg with its response mapped
 * back. Glare on a leg is answered 491 by that leg's dialog (RFC 3261 14.2).
 */
template <media_relay Relay>
class call {
public:
    enum class state { calling, early, confirmed, cancelling, ending, ended };

    call(Relay& relay, leg_identity a, leg_identity b) : relay_(relay), a_(std::move(a)), b_(std::move(b)) {}

    /// Leg A's INVITE (server transaction `ref`) and the policy's decision.
    void start(const message::message& invite, std::uint64_t ref, const decision& d, time_point now) {
        invite_a_ = invite;
        invite_a_ref_ = ref;
        started_ = now;
        if (auto* r = std::get_if<reject_decision>(&d)) {
            respond_a(r->status, r->reason);
            end("rejected", r->status, now);
            return;
        }
        const auto& route = std::get<route_decision>(d);
        respond_a(100); // at once: leg B may take a while (RFC 3261 17.2.1 allows it, 16.2 for proxies)
        auto session = relay_.open();
        if (!session) {
            respond_a(503);
            end("no media resources", 503, now);
            return;
        }
        session_ = std::move(*session);
        std::string sdp;
        if (std::string_view offer = message::find_sdp(invite); !offer.empty()) {
            auto rewritten = relay_.offer(*session_, leg::a, offer);
            if (!rewritten) {
                respond_a(488);
                end("media refused", 488, now);
                return;
            }
            sdp = std::move(*rewritten);
        }
        auto b = build_invite_b(route, sdp);
        if (!b) {
            respond_a(500);
            end("cannot build leg B", 500, now);
            return;
        }
        invite_b_ = *b;
        invite_b_ref_ = next_ref_++;
        actions_.push_back(send_request{leg::b, invite_b_ref_, std::move(*b)});
        emit(call_event::kind::attempt, 0, {}, now);
        if (route.no_answer_timeout.count() > 0) no_answer_at_ = now + route.no_answer_timeout;
    }

    /// A response to the request we sent as `ref` on leg `from`.
    void on_response(leg from, std::uint64_t ref, const message::message& rsp, time_point now) {
        if (from == leg::b && ref == invite_b_ref_) return on_invite_response(rsp, now);
        auto it = relayed_.find(ref);
        if (it == relayed_.end()) {
            if (rsp.status() >= 200) bye_done(ref, now);
            return;
        }
        dialog::dialog* d = dialog_of(from);
        if (d) (void)d->on_response(rsp);
        if (rsp.status() < 200 && rsp.status() != 180 && rsp.status() != 183) return;
        pending_relay p = it->second;
        if (rsp.status() >= 200) relayed_.erase(it);
        // Map the response back to the leg the request came from.
        auto back = message::make_response(p.request, rsp.status(), rsp.reason(), {}, contact_line(p.to));
        if (!back) return;
        std::string_view body = message::find_sdp(rsp);
        if (!body.empty() && session_) {
            auto rewritten = p.offer_in_request ? relay_.answer(*session_, from, body)
                                                : relay_.offer(*session_, from, body);
            if (rewritten) back->set_body("application/sdp", *rewritten);
        }
        if (dialog::dialog* dp = dialog_of(p.to)) dp->on_response_sent(*back);
        actions_.push_back(respond{p.to, p.incoming_ref, std::move(*back)});
    }

    /// The request sent as `ref` on leg `from` failed without a final response.
    void on_failure(leg from, std::uint64_t ref, bool timeout, time_point now) {
        if (from == leg::b && ref == invite_b_ref_) {
            if (state_ == state::calling || state_ == state::early) {
                // leg B timed out (Timer B / C) or its transport failed: 408 / 503 on leg A
                respond_a(timeout ? 408 : 503);
                end(timeout ? "timeout" : "transport failure", timeout ? 408 : 503, now);
            } else if (state_ == state::cancelling) {
                finish(now);
            }
            return;
        }
        if (auto it = relayed_.find(ref); it != relayed_.end()) {
            pending_relay p = it->second;
            relayed_.erase(it);
            auto back = message::make_response(p.request, timeout ? 408 : 503, {}, {});
            if (back) actions_.push_back(respond{p.to, p.incoming_ref, std::move(*back)});
            return;
        }
        bye_done(ref, now);
    }

    /// The B2BUA shuts down: answered calls get a BYE on both legs, ringing ones 503 on leg A
    /// and a CANCEL on leg B.
    void shutdown(time_point now) {
        if (state_ == state::calling || state_ == state::early) {
            respond_a(503);
            cancel_b("shutdown", 503, now);
        } else if (state_ == state::confirmed) {
            emit(call_event::kind::ended, 200, "shutdown", now);
            state_ = state::ending;
            bye(leg::a, now);
            bye(leg::b, now);
            if (byes_.empty()) finish(now);
        }
    }

    /// Leg A CANCELled its INVITE (the driver already answered the CANCEL with 200, RFC 3261 9.2).
    void on_cancel(time_point now) {
        if (state_ != state::calling && state_ != state::early) return; // too late: 2xx sent
        respond_a(487);
        cancel_b("cancelled", 487, now);
    }

    /// An in-dialog request on leg `from` (server transaction `ref`).
    void on_request(leg from, std::uint64_t ref, const message::message& req, time_point now) {
        dialog::dialog* d = dialog_of(from);
        auto reply = [&](int status) {
            auto r = message::make_response(req, status, {}, {});
            if (r) actions_.push_back(respond{from, ref, std::move(*r)});
        };
        if (!d || state_ != state::confirmed) {
            // BYE or anything else before the call is up (or after): 481 (RFC 3261 12.2.2)
            reply(state_ == state::ending && req.method() == message::method_id::bye ? 200 : 481);
            return;
        }
        if (auto rej = d->on_request(req)) {
            auto r = message::make_response(req, rej->status, rej->reason, {}, message::extra_headers(*rej));
            if (r) actions_.push_back(respond{from, ref, std::move(*r)});
            return;
        }
        if (req.method() == message::method_id::bye) {
            // BYE ends both legs (RFC 3261 15): 200 here, BYE there
            auto ok = message::make_response(req, 200, {}, {});
            if (ok) {
                d->on_response_sent(*ok);
                actions_.push_back(respond{from, ref, std::move(*ok)});
            }
            send_bye(other(from), from == leg::a ? "caller BYE" : "callee BYE", now);
            return;
        }
        if (req.method() == message::method_id::ack) return; // the 2xx ACK of a relayed re-INVITE
        // Anything else goes across, its response comes back (re-INVITE, UPDATE, INFO, ...).
        dialog::dialog* o = dialog_of(other(from));
        std::string sdp;
        bool offer = false;
        if (std::string_view body = message::find_sdp(req); !body.empty() && session_) {
            auto rewritten = relay_.offer(*session_, from, body);
            if (!rewritten) {
                reply(488);
                return;
            }
            sdp = std::move(*rewritten);
            offer = true;
        }
        std::string extra = contact_line(other(from));
        for (message::header_field f : req.headers())
            if (f.id == message::header_id::content_type && sdp.empty())
                extra.append("Content-Type: ").append(f.value).append("\r\n");
        dialog::request_options opts;
        opts.extra_headers = extra;
        std::string other_body = sdp.empty() ? std::string(req.body()) : sdp;
        opts.body = other_body;
        opts.content_type = sdp.empty() ? std::string_view{} : std::string_view("application/sdp");
        auto out = o->make_request(req.method_text(), opts);
        if (!out) {
            reply(500);
            return;
        }
        std::uint64_t out_ref = next_ref_++;
        relayed_[out_ref] = pending_relay{from, ref, req, offer};
        actions_.push_back(send_request{other(from), out_ref, std::move(*out)});
    }

    void on_time(time_point now) {
        if (no_answer_at_ && *no_answer_at_ <= now) {
            no_answer_at_.reset();
            if (state_ == state::calling || state_ == state::early) {
                respond_a(480); // RFC 3261 21.4.18 Temporarily Unavailable
                cancel_b("no answer", 480, now);
            }
        }
    }

    std::optional<action> poll() {
        if (actions_.empty()) return std::nullopt;
        action a = std::move(actions_.front());
        actions_.pop_front();
        return a;
    }
    std::optional<time_point> next_deadline() const noexcept { return no_answer_at_; }
    state current() const noexcept { return state_; }
    const leg_identity& identity(leg l) const noexcept { return l == leg::a ? a_ : b_; }
    /// The tag the caller sees as ours (To tag of leg A).
    std::string_view remote_tag_a() const noexcept {
        auto f = invite_a_.from();
        return f ? f->tag() : std::string_view{};
    }

private:
    struct pending_relay {
        leg to;                        // where the request came from (and its response goes)
        std::uint64_t incoming_ref;    // its server transaction
        message::message request;      // the request, to build the response
        bool offer_in_request = false; // its response carries the answer
    };

    dialog::dialog* dialog_of(leg l) noexcept {
        auto& d = l == leg::a ? dialog_a_ : dialog_b_;
        return d ? &*d : nullptr;
    }
    std::string contact_line(leg l) const {
        return "Contact: <" + (l == leg::a ? a_.contact : b_.contact) + ">\r\n";
    }

    // A response to leg A's INVITE (its server transaction).
    void respond_a(int status, std::string_view reason = {}, std::string_view sdp = {},
                   std::string extra = {}) {
        if (status >= 101 || !extra.empty()) extra = contact_line(leg::a) + extra;
        auto r = message::make_response(invite_a_, status, reason,
                                        status > 100 ? std::string_view(a_.tag) : "", extra);
        if (!r) return;
        if (!sdp.empty()) r->set_body("application/sdp", sdp);
        if (status >= 200 && status < 300) {
            auto d = dialog::dialog::uas(invite_a_, *r);
            if (d) {
                d->set_local_target(a_.contact);
                dialog_a_ = std::move(*d);
            }
        }
        actions_.push_back(respond{leg::a, invite_a_ref_, std::move(*r)});
    }

    result<message::message> build_invite_b(const route_decision& route, const std::string& sdp) {
        auto from = invite_a_.from();
        auto to = invite_a_.to();
        if (!from || !to) return parse_errc::bad_name_addr;
        std::string from_uri = route.from_uri.empty() ? std::string(from->uri_text) : route.from_uri;
        std::string to_uri = route.to_uri.empty() ? std::string(to->uri_text) : route.to_uri;
        // RFC 7332 / 16.6 item 3: Max-Forwards goes down by one across the B2BUA
        std::uint32_t mf = invite_a_.max_forwards().value_or(70u);
        std::string s;
        message::message_writer w{s};
        w.request_line("INVITE", route.request_uri)
            .header("Max-Forwards", std::to_string(mf > 0 ? mf - 1 : 0))
            .header("From", (route.from_display.empty() ? std::string() : "\"" + route.from_display + "\" ") +
                                "<" + from_uri + ">;tag=" + b_.tag)
            .header("To", "<" + to_uri + ">")
            .header("Call-ID", b_.call_id)
            .header("CSeq", "1 INVITE")
            .header("Contact", "<" + b_.contact + ">");
        for (const std::string& name : route.copy_headers)
            for (message::header_field f : invite_a_.headers())
                if (detail_iequals(f.name, name)) w.header(f.name, f.value);
        s.append(route.extra_headers);
        w.finish(sdp, sdp.empty() ? std::string_view{} : std::string_view("application/sdp"));
        return message::message::parse(s);
    }
    static bool detail_iequals(std::string_view a, std::string_view b) {
        return message::to_header_id(a) != message::header_id::other
                   ? message::to_header_id(a) == message::to_header_id(b)
                   : message::detail::iequals(a, b);
    }

    void on_invite_response(const message::message& rsp, time_point now) {
        int code = rsp.status();
        if (code == 100) return;
        if (state_ == state::cancelling || state_ == state::ended) {
            if (code >= 200 && code < 300) {
                // the 2xx crossed our CANCEL: the stack ACKed it; end leg B with a BYE (9.1)
                auto d = dialog::dialog::uac(invite_b_, rsp);
                if (d) {
                    dialog_b_ = std::move(*d);
                    send_bye(leg::b, "cancelled", now);
                    return;
                }
            }
            if (code >= 200) finish(now);
            return;
        }
        std::string_view body = message::find_sdp(rsp);
        std::string sdp;
        if (!body.empty() && session_) {
            auto rewritten = relay_.answer(*session_, leg::b, body);
            if (rewritten) sdp = std::move(*rewritten);
        }
        if (code < 200) {
            // 180/183 relayed, with the early-media SDP when there is one
            if (state_ == state::calling) emit(call_event::kind::ringing, code, {}, now);
            state_ = state::early;
            respond_a(code, rsp.reason(), sdp);
            return;
        }
        if (code < 300) {
            auto d = dialog::dialog::uac(invite_b_, rsp);
            if (d) {
                d->set_local_target(b_.contact);
                dialog_b_ = std::move(*d);
            }
            no_answer_at_.reset();
            respond_a(code, rsp.reason(), sdp);
            state_ = state::confirmed;
            answered_ = now;
            emit(call_event::kind::answered, code, {}, now);
            return;
        }
        // 3xx-6xx: mapped to leg A with the callee's reason (RFC 3326 Reason header)
        std::string reason_hdr = "Reason: SIP ;cause=" + std::to_string(code) + " ;text=\"" +
                                 std::string(message::reason_phrase(code)) + "\"\r\n";
        respond_a(code, rsp.reason(), {}, reason_hdr);
        end("rejected by callee", code, now);
    }

    void cancel_b(std::string_view cause, int status, time_point now) {
        actions_.push_back(cancel_request{invite_b_ref_});
        state_ = state::cancelling;
        no_answer_at_.reset();
        emit(call_event::kind::ended, status, cause, now);
        // the call finishes when leg B's INVITE gets its final response (487 or a crossing 2xx)
    }

    void send_bye(leg to, std::string_view cause, time_point now) {
        if (state_ != state::cancelling) emit(call_event::kind::ended, 200, cause, now);
        state_ = state::ending;
        bye(to, now);
        if (byes_.empty()) finish(now);
    }
    void bye(leg to, time_point) {
        dialog::dialog* d = dialog_of(to);
        if (!d) return;
        auto m = d->make_request("BYE");
        if (!m) return;
        std::uint64_t ref = next_ref_++;
        byes_.push_back(ref);
        actions_.push_back(send_request{to, ref, std::move(*m)});
    }
    // A BYE we sent got its final response or failed: the call ends with the last one.
    void bye_done(std::uint64_t ref, time_point now) {
        auto it = std::find(byes_.begin(), byes_.end(), ref);
        if (it == byes_.end()) return;
        byes_.erase(it);
        if (byes_.empty() && state_ == state::ending) finish(now);
    }

    void end(std::string_view cause, int status, time_point now) {
        emit(call_event::kind::ended, status, cause, now);
        finish(now);
    }

    void finish(time_point) {
        if (state_ == state::ended) return;
        state_ = state::ended;
        no_answer_at_.reset();
        if (session_) relay_.close(*session_);
        session_.reset();
        actions_.push_back(finished{});
    }

    void emit(call_event::kind k, int status, std::string_view cause, time_point now) {
        call_event e;
        e.what = k;
        e.call_id_a = invite_a_.call_id();
        e.status = status;
        e.cause = cause;
        auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); };
        e.setup = ms((answered_ ? *answered_ : now) - started_);
        if (answered_ && k == call_event::kind::ended) e.duration = ms(now - *answered_);
        actions_.push_back(report{e});
    }

    Relay& relay_;
    leg_identity a_;
    leg_identity b_;
    state state_ = state::calling;
    message::message invite_a_;
    message::message invite_b_;
    std::uint64_t invite_a_ref_ = 0;
    std::uint64_t invite_b_ref_ = 0;
    std::vector<std::uint64_t> byes_; // BYEs sent, waiting for their final response
    std::uint64_t next_ref_ = 1;
    std::optional<typename Relay::session> session_;
    std::optional<dialog::dialog> dialog_a_;
    std::optional<dialog::dialog> dialog_b_;
    std::map<std::uint64_t, pending_relay> relayed_;
    std::optional<time_point> no_answer_at_;
    time_point started_{};
    std::optional<time_point> answered_;
    std::deque<action> actions_;
};

} // namespace tandem::b2bua

#endif
