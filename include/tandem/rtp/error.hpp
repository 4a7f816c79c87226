#ifndef TANDEM_RTP_ERROR_HPP
#define TANDEM_RTP_ERROR_HPP

/// @file Why an RTP or RTCP packet was refused (category `"tandem.rtp"`).

#include <tandem/config.hpp>

#include <string>
#include <system_error>

namespace tandem {

/// Why an RTP or RTCP packet was refused (category `"tandem.rtp"`).
enum class rtp_errc {
    too_short = 1, ///< fewer octets than the fixed header (12 for RTP, 4 for RTCP) or than it announces
    bad_version,   ///< a version other than 2 (RFC 3550 5.1)
    bad_padding,   ///< a padding count of zero or beyond the payload (RFC 3550 5.1)
    bad_length,    ///< an RTCP length that does not fit the compound packet (RFC 3550 6.4.1)
    not_rtcp,      ///< a compound RTCP packet whose first packet is no SR or RR (RFC 3550 6.1)
};

/// The category of `rtp_errc`, named `"tandem.rtp"`.
TANDEM_DECL const std::error_category& rtp_category() noexcept {
    struct category final : std::error_category {
        const char* name() const noexcept override { return "tandem.rtp"; }
        std::string message(int ev) const override {
            switch (static_cast<rtp_errc>(ev)) {
            case rtp_errc::too_short: return "packet too short";
            case rtp_errc::bad_version: return "RTP version is not 2";
            case rtp_errc::bad_padding: return "bad padding count";
            case rtp_errc::bad_length: return "RTCP length beyond the packet";
            case rtp_errc::not_rtcp: return "compound RTCP packet not starting with SR or RR";
            }
            return "unknown tandem.rtp error";
        }
    };
    static const category c;
    return c;
}

/// Makes `rtp_errc` usable as `std::error_code` (found by ADL).
TANDEM_DECL std::error_code make_error_code(rtp_errc e) noexcept {
    return {static_cast<int>(e), rtp_category()};
}

} // namespace tandem

template <>
struct std::is_error_code_enum<tandem::rtp_errc> : std::true_type {};

#endif
