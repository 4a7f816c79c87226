#ifndef TANDEM_DIALOG_DIALOG_HPP
#define TANDEM_DIALOG_DIALOG_HPP

/// @file One dialog (RFC 3261 section 12, with 13.2.2.4, 14 and 15): its state, how it is
/// created at a UAS and at a UAC, how in-dialog requests are built and checked, sans I/O.

#include <tandem/dialog/dialog_id.hpp>
#include <tandem/dialog/error.hpp>
#include <tandem/message/header_values.hpp>
#include <tandem/message/message.hpp>
#include <tandem/message/serializer.hpp>
#include <tandem/message/status.hpp>
#include <tandem/message/uri.hpp>
#include <tandem/message/validate.hpp>
#include <tandem/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::dialog {

/// One element of a dialog's route set (RFC 3261 12.1.1, 12.1.2).
struct route_entry {
    /// The element as a Route header value: `<uri>` followed by its header parameters.
    std::string value;
    /// The URI alone (what a strict router's Request-URI becomes, RFC 3261 12.2.1.1).
    std::string uri;
    /// Whether the URI carries `;lr` (a loose router, RFC 3261 16.12.1.1).
    bool lr = false;
};

/// What `dialog::make_request` and `dialog::make_ack` add beyond the dialog's own fields.
struct request_options {
    /// A top Via to write (`SIP/2.0/UDP host:port;branch=z9hG4bK...`). Empty: none, and the
    /// sender adds one (`net::stack` does; `transaction::layer` needs one with a branch).
    std::string_view via{};
    /// Header lines appended as written ("Name: value\r\n", may be empty): credentials
    /// (13.2.2.4 asks the ACK to carry the INVITE's), Session-Expires, Reason, ...
    std::string_view extra_headers{};
    /// The body and its Content-Type (an SDP offer or answer).
    std::string_view body{};
    std::string_view content_type{};
};

/// True for the methods that refresh the remote target (RFC 3261 12.2: re-INVITE; RFC 3311
/// UPDATE; RFC 6665 4.1.2 and 4.2.2 SUBSCRIBE and NOTIFY).
constexpr bool is_target_refresh(message::method_id m) noexcept {
    using message::method_id;
    return m == method_id::invite || m == method_id::update || m == method_id::subscribe ||
           m == method_id::notify;
}

namespace detail {

// The URI of the first Contact of `m`, checked: exactly one usable URI (RFC 3261 12.1.1 and
// 12.1.2 ask for one Contact in dialog-creating messages; `*` is only for REGISTER, 10.2.2).
inline result<std::string> contact_uri(const message::message& m) {
    if (!m.has_header(message::header_id::contact)) return dialog_errc::missing_contact;
    message::list_elements l(m.header(message::header_id::contact));
    auto it = l.begin();
    if (it == l.end() || (*it).empty()) return dialog_errc::bad_contact;
    auto na = message::parse_name_addr(*it, false, true);
    if (!na) return dialog_errc::bad_contact;
    auto u = na->uri();
    if (!u) return dialog_errc::bad_contact;
    return std::string(na->uri_text);
}

// The Record-Route elements of `m` in order, as route entries (RFC 3261 20.30: rec-route =
// name-addr *( SEMI rr-param )). An addr-spec form is tolerated and written back in <>.
inline result<std::vector<route_entry>> record_route(const message::message& m) {
    std::vector<route_entry> out;
    bool ok = m.for_each_element(message::header_id::record_route, [&](std::string_view e) {
        auto na = message::parse_name_addr(e, false, true);
        if (!na) return false;
        auto u = na->uri();
        if (!u) return false;
        route_entry r;
        r.uri = std::string(na->uri_text);
        r.value = "<" + r.uri + ">";
        r.value += na->params.text();
        r.lr = u->lr();
        out.push_back(std::move(r));
        return true;
    });
    if (!ok) return dialog_errc::bad_record_route;
    return out;
}

// `uri` as a Request-URI: without `?headers` and without the `method` parameter, which a
// Request-URI may not carry (RFC 3261 12.2.1.1, 19.1.1 table 1). Other schemes are kept.
inline std::string request_uri_form(std::string_view text) {
    auto u = message::parse_uri(text);
    if (!u || !u->is_sip()) return std::string(text);
    if (u->headers.empty() && !u->params.contains("method")) return std::string(text);
    std::string_view params = u->params.text();
    std::size_t end = params.empty() ? text.find('?') : static_cast<std::size_t>(params.data() - text.data());
    std::string out(text.substr(0, end));
    for (const auto& p : u->params) {
        if (message::detail::iequals(p.name, "method")) continue;
        out.append(";").append(p.name);
        if (p.has_value) out.append("=").append(p.value);
    }
    return out;
}

inline bool is_tls_via(const message::message& m) {
    auto v = m.top_via();
    return v &&
           (message::detail::iequals(v->transport, "TLS") || message::detail::iequals(v->transport, "WSS"));
}

// A deterministic stand-in for "a randomly chosen value between 0 and 10 seconds"
// (RFC 3261 14.2): the core has no random source; spreading by Call-ID and CSeq suffices to
// desynchronise two UAs that collided.
inline std::uint32_t retry_after_seconds(std::string_view call_id, std::uint32_t cseq) noexcept {
    std::uint32_t h = 2166136261u;
    for (char c : call_id) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return (h ^ cseq) % 11u;
}

inline message::rejection reject(int status, std::error_code cause = {}) {
    message::rejection r;
    r.status = status;
    r.reason = message::reason_phrase(status);
    r.cause = cause;
    return r;
}

} // namespace detail

/**
 * A dialog (RFC 3261 12): the peer-to-peer relationship a UAS or UAC keeps after a
 * dialog-creating response, with its route set, remote target, CSeq numbers and state.
 *
 * The class is sans I/O: it is fed messages and builds messages, it never sends, reads a
 * clock or starts a timer. It owns copies of everything it keeps, so the messages it was made
 * from may be discarded.
 *
 * Inputs (the shell or the B2BUA call logic calls them in this order of life):
 * - creation: `uas()` when we answer a request with a 101-199 or 2xx carrying a To tag,
 *   `uac()` when such a response arrives for a request we sent (`dialog_set` does this for
 *   INVITEs, forks included);
 * - `on_request()` for each request the transaction layer reports in this dialog (matched by
 *   `dialog_set::match`), ACK for a 2xx included: it answers whether to process it or which
 *   error response to send (500, 491, 481, 400);
 * - `on_response()` for each response to a request this dialog sent;
 * - `on_response_sent()` for each response we send to a request in this dialog (the UAS side
 *   of the INVITE: its final response confirms or ends an early dialog);
 * - `terminate()` when the shell decides the dialog is over (no ACK, BYE timed out, ...).
 *
 * Outputs: `make_request()`, `make_ack()`, and the state (`current()`).
 */
class dialog {
public:
    /// The states of RFC 3261 12 ("early", "confirmed"), plus terminated.
    enum class state { early, confirmed, terminated };

    /// Which end of the dialog-creating request we were.
    enum class role { uac, uas };

    /// An empty, terminated dialog (so that `result<dialog>` is default-constructible, as
    /// asio's `co_spawn` requires, STYLE.md 4.5.4). Use `uas()` or `uac()` to make real ones.
    dialog() = default;

    /**
     * Creates the UAS side of a dialog (RFC 3261 12.1.1) from the request received and the
     * response we send to it (a 101-199 or 2xx with a To tag).
     *
     * - route set: the request's Record-Route, in order (12.1.1);
     * - remote target: the URI of the request's Contact (12.1.1);
     * - remote CSeq: the request's CSeq number; local CSeq: empty (12.1.1);
     * - local tag: our response's To tag; remote tag: the request's From tag, empty if none
     *   (12.1.1, RFC 2543 compatibility);
     * - local URI / remote URI: the To / From of the response and request as written;
     * - local target: our response's Contact, if it has one (settable later);
     * - secure: the Request-URI is a SIPS URI and the request came over TLS (12.1.1).
     *   `over_tls` says how it came; unset, the top Via's transport (TLS, WSS) tells.
     *
     * The dialog is early for a 1xx, confirmed for a 2xx.
     *
     * @return the dialog, or an error: `not_dialog_creating` (100, 300-699), `missing_local_tag`,
     *         `missing_contact` / `bad_contact`, `bad_record_route`, `bad_from_to`, `bad_cseq`,
     *         `missing_call_id`, `dialog_mismatch` (the response is not for this request).
     */
    static result<dialog> uas(const message::message& request, const message::message& response_we_send,
                              std::optional<bool> over_tls = std::nullopt) {
        if (!request.is_request() || !response_we_send.is_response()) return dialog_errc::wrong_message_kind;
        int code = response_we_send.status();
        if (code <= 100 || code >= 300) return dialog_errc::not_dialog_creating;
        auto id = uas_dialog_id(request);
        if (!id) return id.error();
        if (response_we_send.call_id() != request.call_id()) return dialog_errc::dialog_mismatch;
        auto to = response_we_send.to();
        if (!to) return dialog_errc::bad_from_to;
        if (to->tag().empty()) return dialog_errc::missing_local_tag;
        auto cs = request.cseq();
        if (!cs) return dialog_errc::bad_cseq;
        auto target = detail::contact_uri(request);
        if (!target) return target.error();
        auto routes = detail::record_route(request);
        if (!routes) return routes.error();
        auto ruri = request.request_uri();

        dialog d;
        d.role_ = role::uas;
        d.state_ = code < 200 ? state::early : state::confirmed;
        d.id_ = std::move(*id);
        d.id_.local_tag = std::string(to->tag());
        d.route_set_ = std::move(*routes); // 12.1.1: in order
        d.remote_target_ = std::move(*target);
        d.remote_cseq_ = cs->number; // 12.1.1
        d.local_uri_ = std::string(response_we_send.header(message::header_id::to));
        d.remote_uri_ = std::string(request.header(message::header_id::from));
        if (auto lt = detail::contact_uri(response_we_send)) d.local_target_ = std::move(*lt);
        d.secure_ = ruri && ruri->scheme == message::uri_scheme::sips &&
                    over_tls.value_or(detail::is_tls_via(request));
        if (request.method() == message::method_id::invite) {
            d.invite_cseq_ = cs->number;
            d.uas_invite_pending_ = code < 200; // the final response is still to come
            d.uas_ack_pending_ = code >= 200;   // 13.3.1.4: our 2xx waits for its ACK
        }
        return d;
    }

    /**
     * Creates the UAC side of a dialog (RFC 3261 12.1.2) from the request we sent and a
     * response with a To tag (101-199 or 2xx).
     *
     * - route set: the response's Record-Route, in reverse order (12.1.2);
     * - remote target: the URI of the response's Contact (12.1.2). A 2xx without Contact is
     *   refused (`missing_contact`); a 1xx without one is tolerated and the Request-URI
     *   stands in until a response brings a Contact;
     * - local CSeq: the request's CSeq number; remote CSeq: empty (12.1.2);
     * - local tag: the From tag; remote tag: the response's To tag;
     * - local URI / remote URI: the request's From / the response's To as written;
     * - local target: the request's Contact, if any;
     * - secure: the Request-URI is SIPS and the request went over TLS (`over_tls`, else the
     *   top Via of the request).
     */
    static result<dialog> uac(const message::message& request_we_sent, const message::message& response,
                              std::optional<bool> over_tls = std::nullopt) {
        if (!request_we_sent.is_request() || !response.is_response()) return dialog_errc::wrong_message_kind;
        int code = response.status();
        if (code <= 100 || code >= 300) return dialog_errc::not_dialog_creating;
        auto id = uac_dialog_id(response);
        if (!id) return id.error();
        auto req_from = request_we_sent.from();
        if (!req_from) return dialog_errc::bad_from_to;
        if (request_we_sent.call_id() != id->call_id || req_from->tag() != id->local_tag)
            return dialog_errc::dialog_mismatch;
        auto cs = request_we_sent.cseq();
        if (!cs) return dialog_errc::bad_cseq;
        auto routes = detail::record_route(response);
        if (!routes) return routes.error();
        auto target = detail::contact_uri(response);
        if (!target && (code >= 200 || target.error() != dialog_errc::missing_contact)) return target.error();

        dialog d;
        d.role_ = role::uac;
        d.state_ = code < 200 ? state::early : state::confirmed;
        d.id_ = std::move(*id);
        d.route_set_.assign(routes->rbegin(), routes->rend()); // 12.1.2: reversed
        d.remote_target_ = target ? std::move(*target) : std::string(request_we_sent.request_uri_text());
        d.local_cseq_ = cs->number; // 12.1.2
        d.local_uri_ = std::string(request_we_sent.header(message::header_id::from));
        d.remote_uri_ = std::string(response.header(message::header_id::to));
        if (auto lt = detail::contact_uri(request_we_sent)) d.local_target_ = std::move(*lt);
        auto ruri = request_we_sent.request_uri();
        d.secure_ = ruri && ruri->scheme == message::uri_scheme::sips &&
                    over_tls.value_or(detail::is_tls_via(request_we_sent));
        if (request_we_sent.method() == message::method_id::invite) {
            d.invite_cseq_ = cs->number;
            d.uac_invite_pending_ = code < 200;
        }
        return d;
    }

    /// @name State and fields (RFC 3261 12)
    /// @{
    state current() const noexcept { return state_; }
    role side() const noexcept { return role_; }
    const dialog_id& id() const noexcept { return id_; }
    /// The route set, in the order Route headers are written.
    const std::vector<route_entry>& route_set() const noexcept { return route_set_; }
    /// The remote target: where in-dialog requests go (the peer's Contact URI).
    const std::string& remote_target() const noexcept { return remote_target_; }
    /// The local URI with our tag, as our From (or To for the UAS) header value.
    const std::string& local_uri() const noexcept { return local_uri_; }
    /// The remote URI with the peer's tag, as the To header value of our requests.
    const std::string& remote_uri() const noexcept { return remote_uri_; }
    /// The last CSeq number we used; empty for a UAS dialog that sent nothing yet.
    std::optional<std::uint32_t> local_cseq() const noexcept { return local_cseq_; }
    /// The highest CSeq number received from the peer; empty until it sends a request.
    std::optional<std::uint32_t> remote_cseq() const noexcept { return remote_cseq_; }
    /// The CSeq number of the last INVITE of the dialog (either direction), which ACK and
    /// CANCEL reuse.
    std::optional<std::uint32_t> invite_cseq() const noexcept { return invite_cseq_; }
    /// The secure flag (RFC 3261 12.1.1).
    bool secure() const noexcept { return secure_; }
    /// Our Contact URI, sent in target refresh requests.
    const std::string& local_target() const noexcept { return local_target_; }
    /// Sets our Contact URI (a bare URI, no angle brackets); sent from the next target refresh
    /// request on (RFC 3261 12.2.1.1, 14.1).
    void set_local_target(std::string uri) { local_target_ = std::move(uri); }
    /// Ends the dialog (no ACK came, the BYE timed out, the B2BUA tears the call down).
    void terminate() noexcept { state_ = state::terminated; }
    /// @}

    /**
     * Builds a request within the dialog (RFC 3261 12.2.1.1).
     *
     * - Request-URI: the remote target, unless the first route is a strict router (no `;lr`):
     *   then the first route's URI is the Request-URI and the remote target is appended as the
     *   last Route (12.2.1.1, 16.12.1.1 tolerance of RFC 2543 routers). Parameters not allowed
     *   in a Request-URI (`?headers`, `method`) are stripped.
     * - Route: the route set, one field per element, in order.
     * - From: the local URI and tag; To: the remote URI and tag; Call-ID: the dialog's.
     * - CSeq: the local CSeq plus one (1 if empty); ACK and CANCEL reuse the number of the
     *   INVITE (13.2.2.4, 9.1) and leave the local CSeq alone.
     * - Max-Forwards: 70. Contact: `<local target>` for target refresh methods.
     *
     * A CANCEL built here is only right if the INVITE it cancels was built here too with the
     * same Via: RFC 3261 9.1 copies the INVITE's Request-URI, Via and CSeq number.
     *
     * @return the request, or `terminated`, `invite_in_progress` (an INVITE while another is
     *         in progress, 14.1), `no_invite` (ACK or CANCEL without an INVITE),
     *         `cseq_exhausted`, `build_failed` (a method that is not a token, bad extras).
     */
    result<message::message> make_request(std::string_view method, const request_options& opts = {}) {
        if (state_ == state::terminated) return dialog_errc::terminated;
        auto m = message::to_method(method);
        std::uint32_t number = 0;
        if (m == message::method_id::ack || m == message::method_id::cancel) {
            if (!invite_cseq_) return dialog_errc::no_invite;
            number = *invite_cseq_;
        } else {
            // 14.1: no re-INVITE while an INVITE transaction is in progress in either direction.
            if (m == message::method_id::invite && (uac_invite_pending_ || uas_invite_pending_))
                return dialog_errc::invite_in_progress;
            // 12.2.1.1 / 8.1.1.5: the local CSeq grows by one per request (starts anywhere
            // below 2**31 when empty: we take 1).
            if (local_cseq_ && *local_cseq_ == 0xffffffffu) return dialog_errc::cseq_exhausted;
            number = local_cseq_ ? *local_cseq_ + 1 : 1;
        }
        auto req = build(method, number, m, opts);
        if (!req) return req.error();
        if (m != message::method_id::ack && m != message::method_id::cancel) local_cseq_ = number;
        if (m == message::method_id::invite) {
            invite_cseq_ = number;
            uac_invite_pending_ = true;
        }
        return req;
    }

    /**
     * Builds the ACK for a 2xx to an INVITE of this dialog (RFC 3261 13.2.2.4): the CSeq
     * number of that INVITE (taken from the 2xx) with method ACK, Route and Request-URI as in
     * `make_request`, no Contact. Call `on_response(ok_2xx)` first, so that the remote target
     * and route set are those of the 2xx. Works on a terminated dialog too: every 2xx must be
     * ACKed, even one that the UAC answers at once with BYE.
     *
     * @return the ACK, or `wrong_message_kind` (not a 2xx to an INVITE), `dialog_mismatch`,
     *         `bad_cseq`, `build_failed`.
     */
    result<message::message> make_ack(const message::message& ok_2xx,
                                      const request_options& opts = {}) const {
        if (!ok_2xx.is_response() || ok_2xx.status() < 200 || ok_2xx.status() >= 300)
            return dialog_errc::wrong_message_kind;
        auto cs = ok_2xx.cseq();
        if (!cs) return dialog_errc::bad_cseq;
        if (cs->method != message::method_id::invite) return dialog_errc::wrong_message_kind;
        auto id = uac_dialog_id(ok_2xx);
        if (!id) return id.error();
        if (*id != id_) return dialog_errc::dialog_mismatch;
        return build("ACK", cs->number, message::method_id::ack, opts);
    }

    /**
     * Processes a response to a request this dialog sent (UAC side, RFC 3261 12.2.1.2, 13.2.2.4,
     * 15.1.1). Responses to a terminated dialog are ignored.
     *
     * - a 2xx to the dialog's INVITE while early: confirmed; the route set is recomputed from
     *   the 2xx (reversed Record-Route) and the remote target taken from its Contact
     *   (13.2.2.4);
     * - a 1xx to that INVITE while early: its Contact, if any, refreshes the remote target;
     * - a 300-699 to that INVITE while early: terminated (12.3: a failed dialog-creating
     *   request ends its early dialogs); after a re-INVITE: nothing changes (14.1);
     * - a 2xx to a target refresh request (re-INVITE, UPDATE, SUBSCRIBE, NOTIFY) in a
     *   confirmed dialog: its Contact, if any, replaces the remote target (12.2.1.2);
     * - 481 or 408 to any request: terminated (12.2.1.2);
     * - a final response to BYE other than 401/407: terminated (15.1.1).
     *
     * @return success, or `dialog_mismatch`, `bad_cseq`, `bad_contact`, `bad_record_route`
     *         (then nothing changed).
     */
    result<void> on_response(const message::message& rsp) {
        if (!rsp.is_response()) return dialog_errc::wrong_message_kind;
        if (state_ == state::terminated) return {};
        if (rsp.call_id() != id_.call_id) return dialog_errc::dialog_mismatch;
        auto cs = rsp.cseq();
        if (!cs) return dialog_errc::bad_cseq;
        int code = rsp.status();
        // The peer's tag must be ours to see (a 100 has none: skip the check for it).
        if (auto to = rsp.to(); !to || (!to->tag().empty() && to->tag() != id_.remote_tag))
            return dialog_errc::dialog_mismatch;

        if (code == 481 || code == 408) { // 12.2.1.2
            state_ = state::terminated;
            return {};
        }
        bool the_invite = cs->method == message::method_id::invite && invite_cseq_ == cs->number;
        if (the_invite && code >= 200) uac_invite_pending_ = false;
        if (cs->method == message::method_id::bye && code >= 200 && code != 401 && code != 407) {
            state_ = state::terminated; // 15.1.1
            return {};
        }
        if (state_ == state::early) {
            if (!the_invite) return {}; // e.g. a 200 to a PRACK or UPDATE in the early dialog
            if (code >= 300) {
                state_ = state::terminated; // 12.3
                return {};
            }
            if (code >= 200) {
                // 13.2.2.4: confirmed; route set recomputed from the 2xx (12.1.2: reversed).
                auto routes = detail::record_route(rsp);
                if (!routes) return routes.error();
                auto target = detail::contact_uri(rsp);
                if (!target && target.error() != dialog_errc::missing_contact) return target.error();
                route_set_.assign(routes->rbegin(), routes->rend());
                if (target) remote_target_ = std::move(*target);
                remote_uri_ = std::string(rsp.header(message::header_id::to));
                state_ = state::confirmed;
                return {};
            }
            return refresh_target(rsp); // 1xx in the early dialog (RFC 6141 3.3 / 12.1.2)
        }
        // confirmed: 12.2.1.2, a 2xx to a target refresh request replaces the remote target.
        if (code >= 200 && code < 300 && is_target_refresh(cs->method)) return refresh_target(rsp);
        return {};
    }

    /**
     * Checks a request received within this dialog (UAS side, RFC 3261 12.2.2, 14.2, 15.1.2)
     * and updates the dialog. Returns nothing when the request is to be processed, or the
     * response to send instead (never for ACK, which gets no response).
     *
     * - Call-ID or tags of another dialog, or a terminated dialog: 481 (12.2.2);
     * - CSeq malformed: 400;
     * - ACK and CANCEL are not CSeq-ordered (they carry the INVITE's number) and change
     *   nothing here; an ACK ends the wait for the ACK of our 2xx;
     * - CSeq lower than or equal to the remote CSeq: 500 (12.2.2: out of order. Equal is
     *   refused too: the transaction layer absorbed retransmissions, so a new request with an
     *   old number breaks the ordering, as PJSIP judges); otherwise the remote CSeq becomes it;
     * - a re-INVITE while our own INVITE is pending: 491 (14.2); while we have not answered
     *   the peer's previous INVITE: 500 with Retry-After (14.2);
     * - a target refresh request (re-INVITE, UPDATE, SUBSCRIBE, NOTIFY) with a Contact
     *   replaces the remote target (12.2.2); a malformed Contact: 400;
     * - BYE: terminated (15.1.2); the caller answers it 200.
     */
    std::optional<message::rejection> on_request(const message::message& req) {
        using message::method_id;
        if (!req.is_request()) return detail::reject(400, dialog_errc::wrong_message_kind);
        auto id = uas_dialog_id(req);
        bool ack = req.method() == method_id::ack;
        if (!id || *id != id_ || state_ == state::terminated) {
            if (ack) return std::nullopt;
            return detail::reject(481, id ? std::error_code(dialog_errc::dialog_mismatch) : id.error());
        }
        auto cs = req.cseq();
        if (!cs) return ack ? std::nullopt : std::optional(detail::reject(400, dialog_errc::bad_cseq));
        if (ack) {
            if (invite_cseq_ == cs->number) uas_ack_pending_ = false;
            return std::nullopt;
        }
        if (req.method() == method_id::cancel) return std::nullopt;
        // 12.2.2: in-order check and remote CSeq update.
        if (remote_cseq_ && cs->number <= *remote_cseq_) return detail::reject(500, dialog_errc::bad_cseq);
        remote_cseq_ = cs->number;
        if (req.method() == method_id::invite) {
            // 14.2: glare. Our INVITE pending: 491. Theirs unanswered: 500 + Retry-After 0-10 s.
            if (uac_invite_pending_) return detail::reject(491);
            if (uas_invite_pending_) {
                auto r = detail::reject(500);
                r.header_name = "Retry-After";
                r.header_value = std::to_string(detail::retry_after_seconds(id_.call_id, cs->number));
                return r;
            }
        }
        if (is_target_refresh(req.method())) {
            if (auto r = refresh_target(req); !r) return detail::reject(400, r.error());
        }
        if (req.method() == method_id::invite) {
            invite_cseq_ = cs->number;
            uas_invite_pending_ = true;
        }
        if (req.method() == method_id::bye) state_ = state::terminated; // 15.1.2
        return std::nullopt;
    }

    /**
     * Notes a response we send to a request of this dialog (UAS side). A final response to
     * the pending INVITE ends it; while early, a 2xx confirms the dialog (12.1.1) and a
     * 300-699 terminates it (12.3: a failed dialog-creating request ends its early dialog).
     */
    void on_response_sent(const message::message& rsp) {
        if (!rsp.is_response() || state_ == state::terminated) return;
        auto cs = rsp.cseq();
        if (!cs || cs->method != message::method_id::invite || invite_cseq_ != cs->number) return;
        int code = rsp.status();
        if (code < 200) return;
        uas_invite_pending_ = false;
        if (code < 300) uas_ack_pending_ = true;
        if (state_ == state::early) state_ = code < 300 ? state::confirmed : state::terminated;
    }

    /// True after we sent a 2xx to an INVITE and before its ACK arrived (RFC 3261 13.3.1.4;
    /// the transaction layer retransmits the 2xx meanwhile and reports `ack_timeout`).
    bool awaiting_ack() const noexcept { return uas_ack_pending_; }
    /// True while an INVITE we sent has no final response.
    bool uac_invite_pending() const noexcept { return uac_invite_pending_; }
    /// True while an INVITE we received has no final response.
    bool uas_invite_pending() const noexcept { return uas_invite_pending_; }

private:
    // 12.2.1.2 / 12.2.2: a Contact, if present, replaces the remote target.
    result<void> refresh_target(const message::message& m) {
        if (!m.has_header(message::header_id::contact)) return {};
        auto t = detail::contact_uri(m);
        if (!t) return t.error();
        remote_target_ = std::move(*t);
        return {};
    }

    result<message::message> build(std::string_view method, std::uint32_t number, message::method_id m,
                                   const request_options& opts) const {
        // 12.2.1.1: Request-URI and Route from the route set and the remote target.
        std::string ruri;
        std::size_t first_route = 0;
        bool strict = !route_set_.empty() && !route_set_.front().lr;
        if (strict) {
            ruri = detail::request_uri_form(route_set_.front().uri);
            first_route = 1;
        } else {
            ruri = detail::request_uri_form(remote_target_);
        }
        std::string out;
        message::message_writer w{out};
        w.request_line(method, ruri);
        if (!opts.via.empty()) w.header("Via", opts.via);
        for (std::size_t i = first_route; i < route_set_.size(); ++i) w.header("Route", route_set_[i].value);
        if (strict) w.header("Route", "<" + remote_target_ + ">"); // 12.2.1.1: target last
        w.header("Max-Forwards", "70");
        w.header("From", local_uri_);
        w.header("To", remote_uri_);
        w.header("Call-ID", id_.call_id);
        std::string cseq = std::to_string(number);
        cseq.append(" ").append(method);
        w.header("CSeq", cseq);
        if (is_target_refresh(m) && !local_target_.empty()) w.header("Contact", "<" + local_target_ + ">");
        out.append(opts.extra_headers);
        w.finish(opts.body, opts.content_type);
        message::parse_options po;
        po.max_message_size = 0xffffffffu;
        po.max_headers = 0xffff;
        po.max_line_length = 0xffffffffu;
        auto msg = message::message::parse(out, po);
        if (!msg) return dialog_errc::build_failed;
        return msg;
    }

    dialog_id id_;
    role role_ = role::uac;
    state state_ = state::terminated;
    std::vector<route_entry> route_set_;
    std::string remote_target_;
    std::string local_uri_;
    std::string remote_uri_;
    std::string local_target_;
    std::optional<std::uint32_t> local_cseq_;
    std::optional<std::uint32_t> remote_cseq_;
    std::optional<std::uint32_t> invite_cseq_;
    bool secure_ = false;
    bool uac_invite_pending_ = false;
    bool uas_invite_pending_ = false;
    bool uas_ack_pending_ = false;
};

} // namespace tandem::dialog

#endif
