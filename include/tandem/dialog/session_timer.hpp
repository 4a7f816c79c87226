#ifndef TANDEM_DIALOG_SESSION_TIMER_HPP
#define TANDEM_DIALOG_SESSION_TIMER_HPP

/// @file Session timers (RFC 4028) for one leg of a call, sans I/O: the Session-Expires /
/// Min-SE negotiation, the refresher choice, and the two deadlines that follow from it (when
/// we refresh, when the session is over).

#include <tandem/message/header_values.hpp>
#include <tandem/message/message.hpp>
#include <tandem/message/validate.hpp>
#include <tandem/result.hpp>
#include <tandem/transaction/timers.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::dialog {

/// How a leg uses session timers.
struct session_timer_config {
    /// The session interval we ask for, and the most we accept (RFC 4028 4: 1800 s is the
    /// recommended value). Zero: no session timer on this leg.
    std::chrono::seconds interval{0};
    /// The smallest interval we accept (RFC 4028 4: at least 90 s).
    std::chrono::seconds min_se{90};
};

/// A Session-Expires value (RFC 4028 4): `delta-seconds *(;se-params)`.
struct session_expires_value {
    std::uint32_t delta = 0;
    /// The `refresher` parameter: "uac", "uas", or empty when absent.
    std::string_view refresher;
};

/// Parses a Session-Expires (or, without parameters, a Min-SE) header value.
inline result<session_expires_value> parse_session_expires(std::string_view v) {
    v = message::detail::trim(v);
    std::size_t semi = v.find(';');
    std::string_view delta = message::detail::trim(v.substr(0, semi));
    auto d = message::parse_delta_seconds(delta);
    if (!d) return d.error();
    session_expires_value out;
    out.delta = static_cast<std::uint32_t>(std::min<std::uint64_t>(*d, 0xffffffffu));
    while (semi != std::string_view::npos) {
        std::size_t next = v.find(';', semi + 1);
        std::string_view p = message::detail::trim(v.substr(semi + 1, next - semi - 1));
        std::size_t eq = p.find('=');
        if (eq != std::string_view::npos &&
            message::detail::iequals(message::detail::trim(p.substr(0, eq)), "refresher"))
            out.refresher = message::detail::trim(p.substr(eq + 1));
        semi = next;
    }
    return out;
}

/**
 * Session timers (RFC 4028) on one leg of a call: we are a user agent on that leg, and whoever
 * refreshes, a session that is not refreshed in time is over.
 *
 * Inputs, in the order of a transaction that may refresh the session (INVITE, re-INVITE,
 * UPDATE):
 * - a request we send: `request_headers()` are the lines to add to it (Supported, Session-
 *   Expires with `refresher=uac` when we are to refresh, Min-SE); its 2xx goes to
 *   `on_2xx_received()`; a 422 to `on_422()`, which says whether to send it again;
 * - a request we receive: `check_request()` answers 422 when its interval is too small
 *   (RFC 4028 8.1); the lines for our 2xx come from `response_headers()`, which chooses the
 *   refresher (RFC 4028 9, the table in 9); `on_2xx_sent()` when that 2xx goes out.
 *
 * Outputs: `next_deadline()`, and `on_time(now)` says what is due: a refresh (we are the
 * refresher and half the interval has passed, RFC 4028 10) or the end of the session (the
 * interval ran out without a refresh: the side that does not refresh sends BYE a little
 * before, at the interval minus the lesser of 32 s and a third of it).
 *
 * With a zero `interval` it does nothing at all: no header, no deadline.
 */
class session_timer {
public:
    enum class due { nothing, refresh, expired };

    session_timer() = default;
    explicit session_timer(session_timer_config cfg) : cfg_(cfg), interval_(seconds(cfg.interval)) {
        if (cfg_.interval.count() > 0 && cfg_.min_se < std::chrono::seconds(90))
            cfg_.min_se = std::chrono::seconds(90);
        if (cfg_.interval.count() > 0 && cfg_.interval < cfg_.min_se) cfg_.interval = cfg_.min_se;
        interval_ = seconds(cfg_.interval);
    }

    bool enabled() const noexcept { return cfg_.interval.count() > 0; }
    /// The negotiated session interval in seconds (our own until a 2xx said otherwise).
    std::uint32_t interval() const noexcept { return interval_; }
    /// Whether we refresh the session (true) or the peer does.
    bool we_refresh() const noexcept { return we_refresh_; }
    /// Whether the session is running (a 2xx negotiated or confirmed it).
    bool running() const noexcept { return expire_at_.has_value(); }

    // ---- requests we send ----

    /// Header lines for a request we send that may refresh the session (RFC 4028 7.1-7.4);
    /// without `Supported: timer` when `supported` is false (the caller writes its own).
    std::string request_headers(bool supported = true) const {
        if (!enabled()) return {};
        std::string h = (supported ? "Supported: timer\r\n" : "") + std::string("Session-Expires: ") +
                        std::to_string(interval_);
        // Until a 2xx says otherwise we offer to refresh: the peer may vanish, we will not.
        if (!running() || we_refresh_)
            h += ";refresher=uac";
        else
            h += ";refresher=uas";
        h += "\r\nMin-SE: " + std::to_string(min_se()) + "\r\n";
        return h;
    }

    /// A 422 to a request we sent (RFC 4028 7.4): adopt its Min-SE. True when the request is
    /// to be sent again with the larger interval (the Min-SE is above what we asked, and not
    /// absurd); false when the 422 is to be taken as a failure.
    bool on_422(const message::message& rsp) {
        if (!enabled()) return false;
        auto v = parse_session_expires(rsp.header(message::header_id::min_se));
        if (!v || v->delta <= interval_ || v->delta > max_interval) return false;
        peer_min_se_ = std::max(peer_min_se_, v->delta);
        interval_ = v->delta;
        return true;
    }

    /// A 2xx to a request we sent that may refresh the session (INVITE, re-INVITE, UPDATE).
    void on_2xx_received(const message::message& rsp, transaction::time_point now) {
        if (!enabled()) return;
        auto v = parse_session_expires(rsp.header(message::header_id::session_expires));
        if (v && v->delta > 0) {
            // RFC 4028 7.4: the 2xx's Session-Expires is in force; refresher=uac means us
            interval_ = std::max<std::uint32_t>(v->delta, 1);
            we_refresh_ = !message::detail::iequals(v->refresher, "uas");
        } else {
            // 7.4: the peer does not do session timers; we may still refresh on our own
            we_refresh_ = true;
        }
        start(now);
    }

    // ---- requests we receive ----

    /// A request received that may refresh the session: the 422 to send when its interval is
    /// below our Min-SE (RFC 4028 8.1 for proxies, 9 for the UAS), else nothing.
    std::optional<message::rejection> check_request(const message::message& req) const {
        if (!enabled() || !req.has_header(message::header_id::session_expires)) return std::nullopt;
        auto v = parse_session_expires(req.header(message::header_id::session_expires));
        if (!v) return message::detail::reject(400, v.error());
        if (v->delta >= min_se()) return std::nullopt;
        message::rejection r = message::detail::reject(422);
        r.header_name = "Min-SE"; // 9: the 422 says what we accept
        r.header_value = std::to_string(min_se());
        return r;
    }

    /// The header lines of our 2xx to a request received that may refresh the session
    /// (RFC 4028 9), and the choice it makes: the interval is the request's, lowered to ours
    /// (never below either Min-SE); the refresher is the one the request named, else us.
    std::string response_headers(const message::message& req) {
        if (!enabled()) return {};
        std::uint32_t interval = seconds(cfg_.interval);
        std::string_view who;
        if (auto v = parse_session_expires(req.header(message::header_id::session_expires)); v && v->delta) {
            interval = std::min(interval, v->delta);
            who = v->refresher;
        }
        if (auto m = parse_session_expires(req.header(message::header_id::min_se)); m)
            interval = std::max(interval, std::min(m->delta, max_interval));
        interval = std::max(interval, min_se());
        bool uac_supports = req.has_element(message::header_id::supported, "timer") ||
                            req.has_element(message::header_id::require, "timer");
        // 9: a refresher named in the request is kept; without one, the UAS chooses (us); a UAC
        // that does not support timers cannot refresh, so we do.
        bool uac_refreshes = uac_supports && message::detail::iequals(who, "uac");
        interval_ = interval;
        we_refresh_ = !uac_refreshes;
        std::string h = "Supported: timer\r\nSession-Expires: " + std::to_string(interval) +
                        (uac_refreshes ? ";refresher=uac" : ";refresher=uas") + "\r\n";
        // 9: a UAC told to refresh must know that it is required to
        if (uac_refreshes) h += "Require: timer\r\n";
        return h;
    }
    /// Our 2xx to such a request went out: the interval starts now.
    void on_2xx_sent(transaction::time_point now) {
        if (enabled()) start(now);
    }

    // ---- time ----

    std::optional<transaction::time_point> next_deadline() const noexcept {
        if (refresh_at_) return refresh_at_;
        return expire_at_;
    }

    /// What is due at `now`: a refresh to send (once per interval), or the end of the session.
    due on_time(transaction::time_point now) {
        if (expire_at_ && *expire_at_ <= now) {
            expire_at_.reset();
            refresh_at_.reset();
            return due::expired;
        }
        if (refresh_at_ && *refresh_at_ <= now) {
            refresh_at_.reset();
            return due::refresh;
        }
        return due::nothing;
    }

    /// The session is over (BYE): no more deadlines.
    void stop() noexcept {
        refresh_at_.reset();
        expire_at_.reset();
    }

    /// When the side that does not refresh ends a session of `interval` (RFC 4028 10): before
    /// the interval runs out, by the lesser of 32 s and a third of it.
    static std::chrono::seconds end_after(std::chrono::seconds interval) noexcept {
        return interval - std::min<std::chrono::seconds>(std::chrono::seconds(32), interval / 3);
    }

    /// The largest interval we adopt from a peer's 422 or Min-SE (a day).
    static constexpr std::uint32_t max_interval = 86400;

private:
    static std::uint32_t seconds(std::chrono::seconds s) noexcept {
        return static_cast<std::uint32_t>(std::clamp<std::int64_t>(s.count(), 0, max_interval));
    }
    std::uint32_t min_se() const noexcept { return std::max(seconds(cfg_.min_se), peer_min_se_); }

    void start(transaction::time_point now) {
        using std::chrono::seconds;
        auto whole = seconds(interval_);
        if (we_refresh_) {
            // RFC 4028 10: the refresher refreshes at half the interval; the session ends at
            // the interval if no refresh got through
            refresh_at_ = now + whole / 2;
            expire_at_ = now + whole;
        } else {
            // 10: the other side sends BYE before the end, at the interval minus the lesser of
            // 32 s and a third of it
            refresh_at_.reset();
            expire_at_ = now + end_after(whole);
        }
    }

    session_timer_config cfg_{};
    std::uint32_t interval_ = 0;
    std::uint32_t peer_min_se_ = 0;
    bool we_refresh_ = true;
    std::optional<transaction::time_point> refresh_at_;
    std::optional<transaction::time_point> expire_at_;
};

} // namespace tandem::dialog

#endif
