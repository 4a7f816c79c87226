#ifndef TANDEM_DIALOG_DIALOG_SET_HPP
#define TANDEM_DIALOG_DIALOG_SET_HPP

/// @file The dialogs of one user agent (or of one B2BUA leg): lookup by dialog id, matching of
/// in-dialog requests (481 when nothing matches), and the UAC side of a forked INVITE
/// (RFC 3261 12.1.2, 12.2.2, 13.2.2.4), sans I/O.

#include <tandem/dialog/dialog.hpp>
#include <tandem/dialog/dialog_id.hpp>
#include <tandem/dialog/error.hpp>
#include <tandem/message/message.hpp>
#include <tandem/result.hpp>

#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tandem::dialog {

/// What to do with a request received, by `dialog_set::classify` (RFC 3261 12.2.2).
enum class request_disposition {
    outside_dialog, ///< no To tag: not in a dialog (a new INVITE, an OPTIONS, ...)
    in_dialog,      ///< matched a dialog: pass it to `dialog::on_request`
    reject_481,     ///< a To tag but no such dialog: answer 481 Call/Transaction Does Not Exist
    drop,           ///< an ACK matching no dialog: absorbed silently (an ACK gets no response)
};

/// The answer of `dialog_set::classify`.
struct request_match {
    request_disposition disposition = request_disposition::outside_dialog;
    dialog* target = nullptr; ///< set for `in_dialog`
};

/// What a response to a dialog-creating INVITE we sent did (`dialog_set::on_invite_response`).
enum class invite_outcome {
    /// No dialog involved: a 100, or a 1xx without a To tag.
    no_dialog,
    /// A 1xx with a new To tag created an early dialog (RFC 3261 12.1.2, a new fork).
    new_early,
    /// A 1xx for an existing early dialog (its Contact may have refreshed the remote target).
    refreshed_early,
    /// The first 2xx: its dialog is confirmed (an early one, or a new one if the fork sent
    /// no 1xx with a tag); every other early dialog of the INVITE is terminated (13.2.2.4).
    /// The caller ACKs it (`dialog::make_ack`).
    confirmed,
    /// A retransmission of a 2xx already seen: the caller ACKs it again (13.2.2.4).
    retransmission,
    /// A 2xx from another fork after the first one (13.2.2.4): a dialog was created for it,
    /// confirmed, and the caller must ACK it and then send BYE on it (`dialog::make_ack`,
    /// `dialog::make_request("BYE")`). It is kept in the set until the caller erases it.
    confirmed_extra_fork_must_ack_and_bye,
    /// A 300-699: every early dialog of the INVITE is terminated (12.3); no dialog remains
    /// from it unless a 2xx came first.
    failed,
    /// A 1xx after a 2xx, from another fork: nothing created (it would be killed by the
    /// confirmed fork anyway; a later 2xx from it still gets ACK-and-BYE).
    ignored,
};

/// The result of `dialog_set::on_invite_response`.
struct invite_result {
    invite_outcome outcome = invite_outcome::no_dialog;
    /// The dialog concerned (not set for `no_dialog`, `failed` and `ignored`).
    dialog* target = nullptr;
    /// How many early dialogs this response terminated (`confirmed`, `failed`).
    std::size_t terminated = 0;
};

/**
 * The dialogs of a user agent, keyed by `dialog_id`.
 *
 * Pointers to dialogs stay valid until that dialog is erased (node-based storage).
 *
 * For a B2BUA, leg A's dialogs are added with `add(dialog::uas(...))`; leg B's INVITE
 * responses go through `on_invite_response`, which handles the forks of RFC 3261 12.1.2 and
 * 13.2.2.4: one early dialog per To tag, the first 2xx wins, a later 2xx from another fork
 * must be ACKed and ended with BYE.
 *
 * Terminated dialogs stay until erased (`erase`, `erase_terminated`), so that their id still
 * tells a late 2xx or a late request from an unknown one.
 */
class dialog_set {
public:
    /// The dialog with this id, or nullptr.
    dialog* find(const dialog_id& id) noexcept {
        auto it = dialogs_.find(id);
        return it == dialogs_.end() ? nullptr : &it->second;
    }

    /// Adds (or replaces) a dialog; returns it.
    dialog& add(dialog d) {
        dialog_id id = d.id();
        auto [it, inserted] = dialogs_.insert_or_assign(std::move(id), std::move(d));
        (void)inserted;
        return it->second;
    }

    /// Removes the dialog with this id; false if there was none.
    bool erase(const dialog_id& id) {
        auto it = dialogs_.find(id);
        if (it == dialogs_.end()) return false;
        forget_fork(id);
        dialogs_.erase(it);
        return true;
    }

    /// Removes every terminated dialog; returns how many.
    std::size_t erase_terminated() {
        std::vector<dialog_id> dead;
        for (auto& [id, d] : dialogs_)
            if (d.current() == dialog::state::terminated) dead.push_back(id);
        for (auto& id : dead) erase(id);
        return dead.size();
    }

    std::size_t size() const noexcept { return dialogs_.size(); }
    bool empty() const noexcept { return dialogs_.empty(); }

    /**
     * The dialog a received request belongs to (RFC 3261 12.2.2): Call-ID, To tag as local
     * tag, From tag as remote tag. nullptr when the request has no To tag or matches nothing.
     * A terminated dialog still matches (its `on_request` answers 481).
     */
    dialog* match(const message::message& request) noexcept {
        auto id = uas_dialog_id(request);
        if (!id || id->local_tag.empty()) return nullptr;
        return find(*id);
    }

    /**
     * Decides what to do with a received request (RFC 3261 12.2.2): a request with a To tag
     * that matches no dialog is answered 481 (or dropped, if it is an ACK); one without a To
     * tag is outside any dialog; a matched one goes to `dialog::on_request`. A request whose
     * From or To cannot be parsed is classified outside of any dialog: request validation
     * (RFC 3261 8.2) answers it 400.
     */
    request_match classify(const message::message& request) noexcept {
        auto id = uas_dialog_id(request);
        if (!id || id->local_tag.empty()) return {request_disposition::outside_dialog, nullptr};
        if (dialog* d = find(*id)) return {request_disposition::in_dialog, d};
        if (request.method() == message::method_id::ack) return {request_disposition::drop, nullptr};
        return {request_disposition::reject_481, nullptr};
    }

    /**
     * Processes a response to a dialog-creating INVITE we sent (UAC side), forks included
     * (RFC 3261 12.1.2, 13.2.2.4, 12.3). Responses to re-INVITEs within a dialog go to that
     * dialog's `on_response` instead.
     *
     * @param invite The INVITE as sent (From tag, Call-ID, CSeq, Contact, Request-URI).
     * @param rsp A response to it.
     * @return the outcome and the dialog concerned, or an error for a response that cannot
     *         be used (a 101-299 whose dialog cannot be built: `missing_contact` in a 2xx,
     *         `bad_record_route`, `missing_remote_tag` in a 2xx, `dialog_mismatch`, ...).
     */
    result<invite_result> on_invite_response(const message::message& invite, const message::message& rsp) {
        if (!invite.is_request() || !rsp.is_response()) return dialog_errc::wrong_message_kind;
        auto cs = rsp.cseq();
        if (!cs) return dialog_errc::bad_cseq;
        if (cs->method != message::method_id::invite) return dialog_errc::wrong_message_kind;
        int code = rsp.status();
        auto from = invite.from();
        if (!from) return dialog_errc::bad_from_to;
        if (from->tag().empty()) return dialog_errc::missing_local_tag;
        if (rsp.call_id() != invite.call_id()) return dialog_errc::dialog_mismatch;
        std::string key = fork_key(invite.call_id(), from->tag());

        if (code >= 300) { // 12.3: the early dialogs of a failed INVITE end
            invite_result r;
            r.outcome = invite_outcome::failed;
            r.terminated = terminate_early(key, nullptr);
            return r;
        }
        auto id = uac_dialog_id(rsp);
        if (!id) {
            // A 100, or a 1xx without a To tag, creates no dialog (12.1: 101-199 with a tag).
            if (code < 200 && id.error() == dialog_errc::missing_remote_tag) return invite_result{};
            return id.error();
        }
        if (code == 100) return invite_result{};
        // The fork record is created with the first dialog, so that errors leave nothing.
        auto fit = forks_.find(key);
        bool confirmed = fit != forks_.end() && fit->second.confirmed;
        dialog* d = find(*id);

        if (code < 200) {
            if (d) {
                if (d->current() != dialog::state::early)
                    return invite_result{invite_outcome::ignored, nullptr, 0};
                if (auto ok = d->on_response(rsp); !ok) return ok.error();
                return invite_result{invite_outcome::refreshed_early, d, 0};
            }
            if (confirmed) return invite_result{invite_outcome::ignored, nullptr, 0};
            auto nd = dialog::uac(invite, rsp);
            if (!nd) return nd.error();
            dialog& added = add(std::move(*nd));
            remember(forks_[key], added.id());
            return invite_result{invite_outcome::new_early, &added, 0};
        }

        // 2xx
        if (confirmed) {
            fork_state& fs = fit->second;
            if (*id == fs.winner) return invite_result{invite_outcome::retransmission, d, 0};
            for (const auto& x : fs.extra)
                if (x == *id) return invite_result{invite_outcome::retransmission, d, 0};
            // 13.2.2.4: another fork answered too: a dialog of its own, to ACK then BYE.
            auto nd = dialog::uac(invite, rsp);
            if (!nd) return nd.error();
            dialog& added = add(std::move(*nd));
            remember(fs, added.id());
            fs.extra.push_back(added.id());
            return invite_result{invite_outcome::confirmed_extra_fork_must_ack_and_bye, &added, 0};
        }
        if (d && d->current() == dialog::state::early) {
            if (auto ok = d->on_response(rsp); !ok) return ok.error(); // early -> confirmed
        } else {
            auto nd = dialog::uac(invite, rsp);
            if (!nd) return nd.error();
            d = &add(std::move(*nd));
        }
        fork_state& fs = forks_[key];
        remember(fs, d->id());
        fs.confirmed = true;
        fs.winner = d->id();
        invite_result r;
        r.outcome = invite_outcome::confirmed;
        r.target = d;
        r.terminated = terminate_early(key, d); // 13.2.2.4 as the B2BUA wants it: one dialog
        return r;
    }

private:
    // The dialogs created by one INVITE: same Call-ID and From tag, one per To tag.
    struct fork_state {
        std::vector<dialog_id> members;
        std::vector<dialog_id> extra; // 2xx after the winner's, flagged ACK-and-BYE
        dialog_id winner;
        bool confirmed = false;
    };

    static std::string fork_key(std::string_view call_id, std::string_view local_tag) {
        std::string k(call_id);
        k.push_back('\n'); // cannot occur in a Call-ID (RFC 3261 25.1 word)
        k.append(local_tag);
        return k;
    }

    static void remember(fork_state& fs, const dialog_id& id) {
        for (const auto& m : fs.members)
            if (m == id) return;
        fs.members.push_back(id);
    }

    std::size_t terminate_early(const std::string& key, const dialog* keep) {
        auto it = forks_.find(key);
        if (it == forks_.end()) return 0;
        std::size_t n = 0;
        for (const auto& id : it->second.members) {
            dialog* d = find(id);
            if (d && d != keep && d->current() == dialog::state::early) {
                d->terminate();
                ++n;
            }
        }
        return n;
    }

    void forget_fork(const dialog_id& id) {
        auto it = forks_.find(fork_key(id.call_id, id.local_tag));
        if (it == forks_.end()) return;
        auto& m = it->second.members;
        for (std::size_t i = 0; i < m.size(); ++i) {
            if (m[i] == id) {
                m.erase(m.begin() + static_cast<std::ptrdiff_t>(i));
                break;
            }
        }
        if (m.empty()) forks_.erase(it);
    }

    std::unordered_map<dialog_id, dialog, dialog_id_hash> dialogs_;
    std::unordered_map<std::string, fork_state> forks_;
};

} // namespace tandem::dialog

#endif
