#ifndef TANDEM_DIALOG_DIALOG_ID_HPP
#define TANDEM_DIALOG_DIALOG_ID_HPP

/// @file The dialog identifier (RFC 3261 12): Call-ID, local tag and remote tag, and how to
/// compute it from a request a UAS received or a response a UAC received.

#include <tandem/dialog/error.hpp>
#include <tandem/message/message.hpp>
#include <tandem/result.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace tandem::dialog {

/**
 * Identifies a dialog at one user agent (RFC 3261 12): the Call-ID, the local tag and the
 * remote tag. The same dialog has mirrored ids at its two ends: the local tag of one is the
 * remote tag of the other.
 *
 * Tags and Call-IDs compare byte for byte (RFC 3261 19.3 and 20.8 make them case-sensitive
 * tokens; only their equality matters).
 */
struct dialog_id {
    std::string call_id;
    std::string local_tag;
    std::string remote_tag;

    bool operator==(const dialog_id&) const = default;
};

/// Hash of a `dialog_id`, for unordered containers.
struct dialog_id_hash {
    std::size_t operator()(const dialog_id& id) const noexcept {
        std::hash<std::string_view> h;
        std::size_t s = h(id.call_id);
        // boost::hash_combine's mixing step
        s ^= h(id.local_tag) + 0x9e3779b97f4a7c15ULL + (s << 6) + (s >> 2);
        s ^= h(id.remote_tag) + 0x9e3779b97f4a7c15ULL + (s << 6) + (s >> 2);
        return s;
    }
};

/**
 * The id of the dialog a request belongs to, as seen by the UAS that received it
 * (RFC 3261 12.2.2): local tag = the To tag, remote tag = the From tag.
 *
 * A request outside of a dialog has no To tag: the local tag is then empty, and the caller
 * treats the request as a possible dialog-creating one. A From without a tag gives an empty
 * remote tag (RFC 2543 peers, RFC 3261 12.1.1).
 *
 * @return the id, or `dialog_errc::missing_call_id` / `dialog_errc::bad_from_to`.
 */
TANDEM_DECL result<dialog_id> uas_dialog_id(const message::message& request) {
    if (!request.is_request()) return dialog_errc::wrong_message_kind;
    if (request.call_id().empty()) return dialog_errc::missing_call_id;
    auto from = request.from();
    auto to = request.to();
    if (!from || !to) return dialog_errc::bad_from_to;
    return dialog_id{std::string(request.call_id()), std::string(to->tag()), std::string(from->tag())};
}

/**
 * The id of the dialog a response belongs to, as seen by the UAC that received it
 * (RFC 3261 12.1.2): local tag = the From tag, remote tag = the To tag.
 *
 * @return the id, or `dialog_errc::missing_call_id`, `dialog_errc::bad_from_to`,
 *         `dialog_errc::missing_local_tag` (no From tag: we always send one, RFC 3261 8.1.1.3)
 *         or `dialog_errc::missing_remote_tag` (no To tag: a 100 Trying, or a peer bug).
 */
TANDEM_DECL result<dialog_id> uac_dialog_id(const message::message& response) {
    if (!response.is_response()) return dialog_errc::wrong_message_kind;
    if (response.call_id().empty()) return dialog_errc::missing_call_id;
    auto from = response.from();
    auto to = response.to();
    if (!from || !to) return dialog_errc::bad_from_to;
    if (from->tag().empty()) return dialog_errc::missing_local_tag;
    if (to->tag().empty()) return dialog_errc::missing_remote_tag;
    return dialog_id{std::string(response.call_id()), std::string(from->tag()), std::string(to->tag())};
}

} // namespace tandem::dialog

template <>
struct std::hash<tandem::dialog::dialog_id> : tandem::dialog::dialog_id_hash {};

#endif
