#ifndef TANDEM_B2BUA_ERROR_HPP
#define TANDEM_B2BUA_ERROR_HPP

/// @file Why the B2BUA itself ended or refused a call (category `"tandem.b2bua"`).
///
/// Each module keeps its error enum in its own `error.hpp` (as Beast does): the enum, its
/// category, `make_error_code` found by ADL, and `std::is_error_code_enum`.

#include <tandem/config.hpp>

#include <string>
#include <system_error>

namespace tandem::b2bua {

/// Why the B2BUA ended or refused a call on its own (not a phone's BYE, CANCEL or rejection).
/// A call's `ended` event carries it (`call_event::error`), beside the status leg A saw.
enum class b2bua_errc {
    no_media_resources = 1,     ///< the relay could not open a media session (503)
    media_refused,              ///< the relay could not rewrite an SDP (488, or 500 and BYE)
    leg_b_unbuildable,          ///< leg B's INVITE could not be built from the route (500)
    leg_b_timeout,              ///< leg B's INVITE got no final response (408)
    leg_b_unreachable,          ///< leg B's transport failed (503)
    no_answer,                  ///< the route's no-answer timeout ran out (480)
    no_ack,                     ///< no ACK came for our 2xx (RFC 3261 13.3.1.4)
    no_prack,                   ///< no PRACK came for our reliable 18x (RFC 3262 3; 504)
    session_interval_too_small, ///< leg A's Session-Expires is below our Min-SE (RFC 4028; 422)
    session_expired,            ///< a session timer ran out (RFC 4028 10)
    session_refresh_failed,     ///< our refresh failed, or a phone lost the dialog
    max_duration,               ///< the call reached its maximum duration
    shutdown,                   ///< the B2BUA shut down
    transfer_failed,            ///< a transfer handled here failed after the transferor left
    bad_local_answer,           ///< the policy answered with a status that is no final one (500)
    media_timeout,              ///< no RTP/RTCP arrived on an active stream for too long
    media_failed,               ///< the relay could not secure the media (a DTLS handshake failed)
};

/// A short text for `e`, also the `cause` of the call's event (static storage).
TANDEM_DECL const char* describe(b2bua_errc e) noexcept {
    switch (e) {
    case b2bua_errc::no_media_resources: return "no media resources";
    case b2bua_errc::media_refused: return "media refused";
    case b2bua_errc::leg_b_unbuildable: return "cannot build leg B";
    case b2bua_errc::leg_b_timeout: return "timeout";
    case b2bua_errc::leg_b_unreachable: return "transport failure";
    case b2bua_errc::no_answer: return "no answer";
    case b2bua_errc::no_ack: return "no ACK";
    case b2bua_errc::no_prack: return "no PRACK";
    case b2bua_errc::session_interval_too_small: return "session interval too small";
    case b2bua_errc::session_expired: return "session expired";
    case b2bua_errc::session_refresh_failed: return "session refresh failed";
    case b2bua_errc::max_duration: return "maximum duration";
    case b2bua_errc::shutdown: return "shutdown";
    case b2bua_errc::transfer_failed: return "transfer failed";
    case b2bua_errc::bad_local_answer: return "bad local answer";
    case b2bua_errc::media_timeout: return "media timeout";
    case b2bua_errc::media_failed: return "media encryption failed";
    }
    return "unknown tandem.b2bua error";
}

/// The category of `b2bua_errc`, named `"tandem.b2bua"`.
TANDEM_DECL const std::error_category& b2bua_category() noexcept {
    struct category final : std::error_category {
        const char* name() const noexcept override { return "tandem.b2bua"; }
        std::string message(int ev) const override { return describe(static_cast<b2bua_errc>(ev)); }
    };
    static const category c;
    return c;
}

/// Makes `b2bua_errc` usable as `std::error_code` (found by ADL).
TANDEM_DECL std::error_code make_error_code(b2bua_errc e) noexcept {
    return {static_cast<int>(e), b2bua_category()};
}

} // namespace tandem::b2bua

template <>
struct std::is_error_code_enum<tandem::b2bua::b2bua_errc> : std::true_type {};

#endif
