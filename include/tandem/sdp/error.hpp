#ifndef TANDEM_SDP_ERROR_HPP
#define TANDEM_SDP_ERROR_HPP

/// @file Why a session description or an offer/answer exchange was refused (category `"tandem.sdp"`).
///
/// Each module keeps its error enum in its own `error.hpp` (as Beast does): the enum, its
/// category, `make_error_code` found by ADL, and `std::is_error_code_enum`.

#include <tandem/config.hpp>

#include <string>
#include <system_error>

namespace tandem {

/**
 * Why a session description was refused, or why a message broke the offer/answer rules
 * (category `"tandem.sdp"`).
 */
enum class sdp_errc {
    // framing and limits
    empty = 1,      ///< no lines at all
    too_large,      ///< more octets than the parser accepts (64 KiB by default)
    too_many_lines, ///< more lines than the parser accepts (1024 by default)
    too_many_media, ///< more m= sections than the parser accepts (64 by default)
    bad_character,  ///< a NUL, or a CR not followed by LF
    bad_line,       ///< a line not of the form `<type>=<value>` (RFC 8866 5), or empty
    unknown_type,   ///< a type letter this parser does not know (RFC 8866 5: reject)
    bad_order,      ///< a line out of the order of RFC 8866 5, or repeated where one is allowed
    // mandatory lines
    missing_version,      ///< the first line is not v=
    missing_origin,       ///< o= does not follow v=
    missing_session_name, ///< s= does not follow o=
    missing_timing,       ///< no t= line
    missing_connection,   ///< an m= section without c=, and no session-level c= (RFC 8866 5.7)
    // field grammar
    bad_version, ///< v= other than 0
    bad_origin,
    bad_text, ///< an empty i=, u=, e=, p= or k= value
    bad_connection,
    bad_bandwidth,
    bad_timing,
    bad_repeat,
    bad_zone,
    bad_attribute,
    bad_media,
    bad_port, ///< a port or a number of ports out of range
    // offer/answer (RFC 3264, RFC 3261 13/14, RFC 3262, RFC 3311)
    offer_pending,     ///< an offer while another offer is outstanding (glare: 491 or 500)
    request_pending,   ///< an INVITE while another INVITE is in progress (RFC 3261 14.2)
    unexpected_sdp,    ///< SDP where neither an offer nor an answer may be
    missing_answer,    ///< a message that must carry the answer has no SDP
    missing_offer,     ///< a 2xx to an offer-less INVITE carries no offer (RFC 3261 13.2.1)
    offer_not_allowed, ///< an UPDATE or PRACK offer before the initial offer/answer completed
};

/// The category of `sdp_errc`, named `"tandem.sdp"`.
TANDEM_DECL const std::error_category& sdp_category() noexcept {
    struct category final : std::error_category {
        const char* name() const noexcept override { return "tandem.sdp"; }
        std::string message(int ev) const override {
            switch (static_cast<sdp_errc>(ev)) {
            case sdp_errc::empty: return "empty session description";
            case sdp_errc::too_large: return "session description too large";
            case sdp_errc::too_many_lines: return "too many lines";
            case sdp_errc::too_many_media: return "too many media descriptions";
            case sdp_errc::bad_character: return "NUL or bare CR in session description";
            case sdp_errc::bad_line: return "line not of the form <type>=<value>";
            case sdp_errc::unknown_type: return "unknown line type";
            case sdp_errc::bad_order: return "line out of order or repeated";
            case sdp_errc::missing_version: return "missing v= line";
            case sdp_errc::missing_origin: return "missing o= line";
            case sdp_errc::missing_session_name: return "missing s= line";
            case sdp_errc::missing_timing: return "missing t= line";
            case sdp_errc::missing_connection: return "media description without connection data";
            case sdp_errc::bad_version: return "bad v= line";
            case sdp_errc::bad_origin: return "bad o= line";
            case sdp_errc::bad_text: return "empty text field";
            case sdp_errc::bad_connection: return "bad c= line";
            case sdp_errc::bad_bandwidth: return "bad b= line";
            case sdp_errc::bad_timing: return "bad t= line";
            case sdp_errc::bad_repeat: return "bad r= line";
            case sdp_errc::bad_zone: return "bad z= line";
            case sdp_errc::bad_attribute: return "bad a= line";
            case sdp_errc::bad_media: return "bad m= line";
            case sdp_errc::bad_port: return "bad port or number of ports";
            case sdp_errc::offer_pending: return "offer while an offer is outstanding";
            case sdp_errc::request_pending: return "INVITE while an INVITE is in progress";
            case sdp_errc::unexpected_sdp: return "session description where no offer or answer may be";
            case sdp_errc::missing_answer: return "answer missing";
            case sdp_errc::missing_offer: return "offer missing";
            case sdp_errc::offer_not_allowed: return "offer not allowed before the initial offer/answer";
            }
            return "unknown tandem.sdp error";
        }
    };
    static const category c;
    return c;
}

/// Makes `sdp_errc` usable as `std::error_code` (found by ADL).
TANDEM_DECL std::error_code make_error_code(sdp_errc e) noexcept {
    return {static_cast<int>(e), sdp_category()};
}

} // namespace tandem

template <>
struct std::is_error_code_enum<tandem::sdp_errc> : std::true_type {};

#endif
