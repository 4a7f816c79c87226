#ifndef TANDEM_ZRTP_ERROR_HPP
#define TANDEM_ZRTP_ERROR_HPP

/// @file Why a ZRTP packet was refused or a ZRTP handshake failed (category `"tandem.zrtp"`,
/// RFC 6189).

#include <tandem/config.hpp>

#include <string>
#include <system_error>

namespace tandem {

/// Why a ZRTP packet was refused or a ZRTP handshake failed (category `"tandem.zrtp"`).
enum class zrtp_errc {
    bad_packet = 1,   ///< not a ZRTP packet: header, magic cookie or length (RFC 6189 5)
    bad_crc,          ///< the CRC-32C does not match (RFC 6189 5, RFC 4960 B)
    bad_message,      ///< a message whose preamble, length or fields do not parse (RFC 6189 5.1)
    unknown_message,  ///< a message type we do not know
    bad_mac,          ///< a MAC or hash image that does not check (RFC 6189 4.6, 9)
    unsupported,      ///< no algorithm in common, or a mode we do not speak (RFC 6189 5.1.5)
    bad_public_value, ///< a DH public value out of range (RFC 6189 4.4.1.1)
    timeout,          ///< the peer stopped answering (RFC 6189 6)
    peer_error,       ///< the peer sent Error (RFC 6189 5.9)
    go_clear_refused, ///< GoClear: we never fall back to clear media (RFC 6189 5.7.2)
    crypto_failure,   ///< OpenSSL refused an operation
};

/// The category of `zrtp_errc`, named `"tandem.zrtp"`.
TANDEM_DECL const std::error_category& zrtp_category() noexcept {
    struct category final : std::error_category {
        const char* name() const noexcept override { return "tandem.zrtp"; }
        std::string message(int ev) const override {
            switch (static_cast<zrtp_errc>(ev)) {
            case zrtp_errc::bad_packet: return "malformed ZRTP packet";
            case zrtp_errc::bad_crc: return "ZRTP CRC mismatch";
            case zrtp_errc::bad_message: return "malformed ZRTP message";
            case zrtp_errc::unknown_message: return "unknown ZRTP message";
            case zrtp_errc::bad_mac: return "ZRTP MAC or hash image mismatch";
            case zrtp_errc::unsupported: return "no common ZRTP algorithm";
            case zrtp_errc::bad_public_value: return "bad ZRTP DH public value";
            case zrtp_errc::timeout: return "ZRTP handshake timed out";
            case zrtp_errc::peer_error: return "ZRTP error from the peer";
            case zrtp_errc::go_clear_refused: return "ZRTP GoClear refused";
            case zrtp_errc::crypto_failure: return "ZRTP crypto failure";
            }
            return "unknown tandem.zrtp error";
        }
    };
    static const category c;
    return c;
}

/// Makes `zrtp_errc` usable as `std::error_code` (found by ADL).
TANDEM_DECL std::error_code make_error_code(zrtp_errc e) noexcept {
    return {static_cast<int>(e), zrtp_category()};
}

} // namespace tandem

template <>
struct std::is_error_code_enum<tandem::zrtp_errc> : std::true_type {};

#endif
