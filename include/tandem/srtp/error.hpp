#ifndef TANDEM_SRTP_ERROR_HPP
#define TANDEM_SRTP_ERROR_HPP

/// @file Why SRTP keying or protection failed (category `"tandem.srtp"`): SDES `a=crypto`
/// lines (RFC 4568), DTLS-SRTP (RFC 5763/5764) and the SRTP contexts (RFC 3711, RFC 7714).

#include <tandem/config.hpp>

#include <string>
#include <system_error>

namespace tandem {

/// Why SRTP keying or protection failed (category `"tandem.srtp"`).
enum class srtp_errc {
    bad_crypto_attribute = 1,      ///< an `a=crypto` line that does not parse (RFC 4568 9.1)
    unknown_suite,                 ///< a crypto suite we do not implement
    bad_key,                       ///< key||salt of the wrong length, or not base64
    unsupported_session_parameter, ///< a session parameter we do not support (RFC 4568 6.3)
    unsupported_key_parameters,    ///< several keys, a lifetime or MKI we cannot honour
    no_common_suite,               ///< no offered crypto line we accept
    suite_not_offered,             ///< an answer picks a tag or suite we did not offer (RFC 4568 7.1.3)
    srtp_failure,                  ///< libsrtp2 refused to create a context
    auth_failed,                   ///< a packet whose authentication tag is wrong
    replayed,                      ///< a packet seen before (or too old for the replay window)
    dtls_failed,                   ///< the DTLS handshake failed
    fingerprint_mismatch,          ///< the peer's certificate is not the one `a=fingerprint` names
    no_fingerprint,                ///< DTLS-SRTP without `a=fingerprint` (RFC 5763 5)
    bad_setup,                     ///< an `a=setup` role that cannot work (RFC 4145 4)
    no_srtp_profile,               ///< DTLS agreed on no SRTP protection profile (RFC 5764 4.1.2)
    certificate_error,             ///< our DTLS certificate or key could not be made or loaded
    unsupported_mode,              ///< media encryption we do not terminate (ZRTP, for now)
};

/// The category of `srtp_errc`, named `"tandem.srtp"`.
TANDEM_DECL const std::error_category& srtp_category() noexcept {
    struct category final : std::error_category {
        const char* name() const noexcept override { return "tandem.srtp"; }
        std::string message(int ev) const override {
            switch (static_cast<srtp_errc>(ev)) {
            case srtp_errc::bad_crypto_attribute: return "malformed a=crypto";
            case srtp_errc::unknown_suite: return "unsupported SRTP crypto suite";
            case srtp_errc::bad_key: return "bad SRTP key";
            case srtp_errc::unsupported_session_parameter: return "unsupported SRTP session parameter";
            case srtp_errc::unsupported_key_parameters: return "unsupported SRTP key parameters";
            case srtp_errc::no_common_suite: return "no acceptable SRTP crypto suite";
            case srtp_errc::suite_not_offered: return "the answer picks a crypto suite not offered";
            case srtp_errc::srtp_failure: return "SRTP context failure";
            case srtp_errc::auth_failed: return "SRTP authentication failed";
            case srtp_errc::replayed: return "SRTP replay";
            case srtp_errc::dtls_failed: return "DTLS handshake failed";
            case srtp_errc::fingerprint_mismatch: return "DTLS certificate does not match a=fingerprint";
            case srtp_errc::no_fingerprint: return "DTLS-SRTP without a=fingerprint";
            case srtp_errc::bad_setup: return "unusable a=setup";
            case srtp_errc::no_srtp_profile: return "no DTLS-SRTP protection profile agreed";
            case srtp_errc::certificate_error: return "DTLS certificate error";
            case srtp_errc::unsupported_mode: return "unsupported media encryption";
            }
            return "unknown tandem.srtp error";
        }
    };
    static const category c;
    return c;
}

/// Makes `srtp_errc` usable as `std::error_code` (found by ADL).
TANDEM_DECL std::error_code make_error_code(srtp_errc e) noexcept {
    return {static_cast<int>(e), srtp_category()};
}

} // namespace tandem

template <>
struct std::is_error_code_enum<tandem::srtp_errc> : std::true_type {};

#endif
