#ifndef TANDEM_MEDIA_ERROR_HPP
#define TANDEM_MEDIA_ERROR_HPP

/// @file Why a media relay refused an offer or answer (category `"tandem.media"`).

#include <tandem/config.hpp>

#include <string>
#include <system_error>

namespace tandem {

/// Why a media relay refused an offer or answer (category `"tandem.media"`). The call then
/// answers that offer 488 (or ends, for its first answer); the SDP never crosses.
enum class media_errc {
    no_ports = 1,        ///< the port range is used up, or no port could be bound
    unsupported_address, ///< a connection address that is no IP literal, or of a family not served
    media_removed,       ///< an offer with fewer m= lines than before (RFC 3264 8)
    answer_mismatch,     ///< an answer whose m= lines do not match the offer's (RFC 3264 6)
    no_offer,            ///< an answer with no offer from the other leg outstanding
    bad_options,         ///< `route_decision::media` holds a type this relay does not take
};

/// The category of `media_errc`, named `"tandem.media"`.
TANDEM_DECL const std::error_category& media_category() noexcept {
    struct category final : std::error_category {
        const char* name() const noexcept override { return "tandem.media"; }
        std::string message(int ev) const override {
            switch (static_cast<media_errc>(ev)) {
            case media_errc::no_ports: return "no media ports left";
            case media_errc::unsupported_address: return "unsupported media address";
            case media_errc::media_removed: return "an offer removed m= lines";
            case media_errc::answer_mismatch: return "the answer does not match the offer";
            case media_errc::no_offer: return "answer without an offer";
            case media_errc::bad_options: return "media options of the wrong type";
            }
            return "unknown tandem.media error";
        }
    };
    static const category c;
    return c;
}

/// Makes `media_errc` usable as `std::error_code` (found by ADL).
TANDEM_DECL std::error_code make_error_code(media_errc e) noexcept {
    return {static_cast<int>(e), media_category()};
}

} // namespace tandem

template <>
struct std::is_error_code_enum<tandem::media_errc> : std::true_type {};

#endif
