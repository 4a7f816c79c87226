#ifndef TANDEM_DIALOG_ERROR_HPP
#define TANDEM_DIALOG_ERROR_HPP

/// @file Why the dialog layer refused a message or an operation (category `"tandem.dialog"`).
///
/// Each module keeps its error enum in its own `error.hpp` (as Beast does): the enum, its
/// category, `make_error_code` found by ADL, and `std::is_error_code_enum`.

#include <tandem/config.hpp>

#include <string>
#include <system_error>

namespace tandem::dialog {

/// Why a dialog could not be created, refreshed or used.
enum class dialog_errc {
    missing_call_id = 1, ///< no Call-ID (RFC 3261 8.1.1.4)
    missing_local_tag,   ///< our side has no tag: no To tag in our response / no From tag in our request
    missing_remote_tag,  ///< the peer's response carries no To tag (RFC 3261 12.1.2)
    missing_contact,     ///< a dialog-creating message without Contact (RFC 3261 12.1.1, 12.1.2)
    bad_contact,         ///< Contact does not hold exactly one usable URI (`*`, empty, malformed)
    bad_record_route,    ///< a Record-Route element that is not a name-addr with a URI
    bad_from_to,         ///< From or To missing or malformed
    bad_cseq,            ///< CSeq missing or malformed
    not_dialog_creating, ///< the response cannot create a dialog (100, 3xx-6xx, RFC 3261 12.1)
    wrong_message_kind,  ///< a response where a request was expected, or the reverse
    dialog_mismatch,     ///< the message belongs to another dialog (Call-ID or tags differ)
    terminated,          ///< the dialog is terminated
    no_invite,           ///< ACK or CANCEL asked for, but the dialog knows no INVITE
    invite_in_progress,  ///< a re-INVITE while another INVITE is in progress (RFC 3261 14.1)
    cseq_exhausted,      ///< the local CSeq cannot grow any further (RFC 3261 8.1.1.5)
    build_failed,        ///< the request built does not parse (a bad method or extra header)
};

/// The category of `dialog_errc`, named `"tandem.dialog"`.
TANDEM_DECL const std::error_category& dialog_category() noexcept {
    struct category final : std::error_category {
        const char* name() const noexcept override { return "tandem.dialog"; }
        std::string message(int ev) const override {
            switch (static_cast<dialog_errc>(ev)) {
            case dialog_errc::missing_call_id: return "missing Call-ID";
            case dialog_errc::missing_local_tag: return "missing local tag";
            case dialog_errc::missing_remote_tag: return "missing remote tag";
            case dialog_errc::missing_contact: return "missing Contact";
            case dialog_errc::bad_contact: return "bad Contact";
            case dialog_errc::bad_record_route: return "bad Record-Route";
            case dialog_errc::bad_from_to: return "bad From or To";
            case dialog_errc::bad_cseq: return "bad CSeq";
            case dialog_errc::not_dialog_creating: return "response does not create a dialog";
            case dialog_errc::wrong_message_kind: return "wrong message kind";
            case dialog_errc::dialog_mismatch: return "message belongs to another dialog";
            case dialog_errc::terminated: return "dialog terminated";
            case dialog_errc::no_invite: return "no INVITE in this dialog";
            case dialog_errc::invite_in_progress: return "an INVITE transaction is in progress";
            case dialog_errc::cseq_exhausted: return "local CSeq exhausted";
            case dialog_errc::build_failed: return "request could not be built";
            }
            return "unknown tandem.dialog error";
        }
    };
    static const category c;
    return c;
}

/// Makes `dialog_errc` usable as `std::error_code` (found by ADL).
TANDEM_DECL std::error_code make_error_code(dialog_errc e) noexcept {
    return {static_cast<int>(e), dialog_category()};
}

} // namespace tandem::dialog

template <>
struct std::is_error_code_enum<tandem::dialog::dialog_errc> : std::true_type {};

#endif
