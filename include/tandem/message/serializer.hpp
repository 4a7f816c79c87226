#ifndef TANDEM_MESSAGE_SERIALIZER_HPP
#define TANDEM_MESSAGE_SERIALIZER_HPP

/// @file Building SIP messages: `message_writer` writes a new message into one buffer;
/// `make_response` builds the response to a request as RFC 3261 8.2.6 prescribes.

#include <tandem/message/message.hpp>
#include <tandem/message/status.hpp>

#include <string>
#include <string_view>

namespace tandem::message {

/**
 * Writes one SIP message into a caller-owned string, in order: a start line, header fields,
 * then `finish()` with the body. Content-Length is always written by `finish()` and matches
 * the body. Nothing is validated: the writer trusts its caller (use `message::parse` on the
 * result when the parts came from outside).
 *
 * @code
 * std::string out;
 * message_writer w{out};
 * w.request_line("OPTIONS", "sip:bob@example.com")
 *  .header("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds")
 *  .header("Max-Forwards", "70")
 *  .finish();
 * @endcode
 */
class message_writer {
public:
    explicit message_writer(std::string& out) noexcept : out_(out) {}

    message_writer& request_line(std::string_view method, std::string_view request_uri) {
        out_.append(method).append(" ").append(request_uri).append(" SIP/2.0\r\n");
        return *this;
    }
    /// `SIP/2.0 code reason`; an empty reason takes the standard phrase of the code.
    message_writer& status_line(int status, std::string_view reason = {}) {
        char code[4] = {static_cast<char>('0' + status / 100 % 10), static_cast<char>('0' + status / 10 % 10),
                        static_cast<char>('0' + status % 10), 0};
        out_.append("SIP/2.0 ").append(code, 3).append(" ");
        out_.append(reason.empty() ? reason_phrase(status) : reason).append("\r\n");
        return *this;
    }
    message_writer& header(std::string_view name, std::string_view value) {
        out_.append(name).append(": ").append(value).append("\r\n");
        return *this;
    }
    /// Writes Content-Type (when there is a body and a type), Content-Length, the empty line
    /// and the body.
    void finish(std::string_view body = {}, std::string_view content_type = {}) {
        if (!body.empty() && !content_type.empty()) header("Content-Type", content_type);
        out_.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n").append(body);
    }

private:
    std::string& out_;
};

/**
 * The response to `req` (RFC 3261 8.2.6.2): the status line, then Via (all values, in order),
 * From, To, Call-ID and CSeq copied from the request, a To tag added when the request has
 * none and `to_tag` is given (not for 100, RFC 3261 8.2.6.2), Timestamp copied into a 100
 * (8.2.6.1), and `extra` fields appended as written ("Name: value\r\n" lines, may be empty).
 *
 * Works on requests that failed validation too: what is missing is not copied.
 */
TANDEM_DECL std::string make_response_text(const message& req, int status, std::string_view reason = {},
                                           std::string_view to_tag = {}, std::string_view extra = {}) {
    std::string out;
    message_writer w{out};
    w.status_line(status, reason);
    for (header_field f : req.headers()) {
        switch (f.id) {
        case header_id::via: w.header("Via", f.value); break;
        default: break;
        }
    }
    if (req.has_header(header_id::from)) w.header("From", req.header(header_id::from));
    if (req.has_header(header_id::to)) {
        std::string_view to = req.header(header_id::to);
        auto na = req.to();
        if (status > 100 && !to_tag.empty() && na && na->tag().empty()) {
            out.append("To: ").append(to).append(";tag=").append(to_tag).append("\r\n");
        } else {
            w.header("To", to);
        }
    }
    if (req.has_header(header_id::call_id)) w.header("Call-ID", req.call_id());
    if (req.has_header(header_id::cseq)) w.header("CSeq", req.header(header_id::cseq));
    if (status == 100 && req.has_header(header_id::timestamp))
        w.header("Timestamp", req.header(header_id::timestamp));
    out.append(extra);
    w.finish();
    return out;
}

/// As `make_response_text`, parsed into a `message` (framing only: the copied values are the
/// request's, already checked or not by its receiver).
TANDEM_DECL result<message> make_response(const message& req, int status, std::string_view reason = {},
                                          std::string_view to_tag = {}, std::string_view extra = {}) {
    parse_options o;
    o.check_syntax = false;
    o.max_message_size = 0xffffffffu;
    o.max_headers = 0xffff;
    o.max_line_length = 0xffffffffu;
    return message::parse(make_response_text(req, status, reason, to_tag, extra), o);
}

/**
 * The request that travels beside an INVITE in its own transaction's place: the ACK of a
 * 300-699 final response (RFC 3261 17.1.1.3, `to` = that response's To) or the CANCEL of the
 * INVITE (9.1, `to` = the INVITE's To). Both copy the INVITE's Request-URI, its top Via only
 * (same branch), From, Call-ID, CSeq number (with `method`) and Route headers; Max-Forwards
 * 70. The one place both are built.
 */
TANDEM_DECL std::string make_hop_request_text(const message& invite, std::string_view method,
                                              std::string_view to) {
    std::string out;
    message_writer w{out};
    w.request_line(method, invite.request_uri_text());
    list_elements vias(invite.header(header_id::via));
    if (auto it = vias.begin(); it != vias.end()) w.header("Via", *it);
    w.header("Max-Forwards", "70");
    w.header("From", invite.header(header_id::from));
    w.header("To", to);
    w.header("Call-ID", invite.call_id());
    auto cs = invite.cseq();
    out.append("CSeq: ")
        .append(std::to_string(cs ? cs->number : 0))
        .append(" ")
        .append(method)
        .append("\r\n");
    for (header_field f : invite.headers())
        if (f.id == header_id::route) w.header("Route", f.value);
    w.finish();
    return out;
}

/// The CANCEL of `invite` (RFC 3261 9.1), parsed.
TANDEM_DECL result<message> make_cancel(const message& invite) {
    return message::parse(make_hop_request_text(invite, "CANCEL", invite.header(header_id::to)));
}

/// The ACK of a 300-699 final response `rsp` to `invite` (RFC 3261 17.1.1.3), as text.
TANDEM_DECL std::string make_failure_ack_text(const message& invite, const message& rsp) {
    return make_hop_request_text(invite, "ACK", rsp.header(header_id::to));
}

} // namespace tandem::message

#endif
