#ifndef TANDEM_ERROR_HPP
#define TANDEM_ERROR_HPP

#include <tandem/config.hpp>

#include <string>
#include <system_error>

namespace tandem {

/**
 * Why a SIP message, a URI or a header value was refused.
 *
 * Every value has a human-readable `message()` (category `"tandem.parse"`). "Need more
 * bytes" is not an error: the stream framer reports it as a state.
 */
enum class parse_errc {
    // framing and limits
    empty_message = 1,
    message_too_large,
    too_many_headers,
    line_too_long,
    unterminated_headers,
    bad_line_end,
    missing_content_length,
    bad_content_length,
    conflicting_content_length,
    body_truncated,
    // start line
    bad_start_line,
    bad_method,
    bad_request_uri,
    bad_version,
    bad_status_code,
    bad_reason_phrase,
    // header lines
    bad_header_name,
    missing_colon,
    bad_header_value,
    // structured values
    bad_uri,
    bad_name_addr,
    bad_quoted_string,
    bad_via,
    bad_cseq,
    bad_call_id,
    bad_max_forwards,
    bad_expires,
    bad_param,
    bad_token_list,
    bad_auth,
    bad_date,
    bad_number,
    bad_multipart,
    // semantic (request validation)
    missing_header,
    multiple_values,
    cseq_method_mismatch,
};

/// The category of `parse_errc`, named `"tandem.parse"`.
TANDEM_DECL const std::error_category& parse_category() noexcept {
    struct category final : std::error_category {
        const char* name() const noexcept override { return "tandem.parse"; }
        std::string message(int ev) const override {
            switch (static_cast<parse_errc>(ev)) {
            case parse_errc::empty_message: return "empty message";
            case parse_errc::message_too_large: return "message too large";
            case parse_errc::too_many_headers: return "too many header fields";
            case parse_errc::line_too_long: return "line too long";
            case parse_errc::unterminated_headers: return "header section not terminated by an empty line";
            case parse_errc::bad_line_end: return "line not ended by CRLF";
            case parse_errc::missing_content_length: return "missing Content-Length on a stream";
            case parse_errc::bad_content_length: return "bad Content-Length";
            case parse_errc::conflicting_content_length: return "conflicting Content-Length values";
            case parse_errc::body_truncated: return "body shorter than Content-Length";
            case parse_errc::bad_start_line: return "bad start line";
            case parse_errc::bad_method: return "bad method";
            case parse_errc::bad_request_uri: return "bad Request-URI";
            case parse_errc::bad_version: return "bad SIP version";
            case parse_errc::bad_status_code: return "bad status code";
            case parse_errc::bad_reason_phrase: return "bad reason phrase";
            case parse_errc::bad_header_name: return "bad header name";
            case parse_errc::missing_colon: return "header line without a colon";
            case parse_errc::bad_header_value: return "bad header value";
            case parse_errc::bad_uri: return "bad URI";
            case parse_errc::bad_name_addr: return "bad name-addr";
            case parse_errc::bad_quoted_string: return "bad quoted string";
            case parse_errc::bad_via: return "bad Via";
            case parse_errc::bad_cseq: return "bad CSeq";
            case parse_errc::bad_call_id: return "bad Call-ID";
            case parse_errc::bad_max_forwards: return "bad Max-Forwards";
            case parse_errc::bad_expires: return "bad Expires";
            case parse_errc::bad_param: return "bad parameter";
            case parse_errc::bad_token_list: return "bad token list";
            case parse_errc::bad_auth: return "bad credentials or challenge";
            case parse_errc::bad_date: return "bad Date";
            case parse_errc::bad_number: return "bad number";
            case parse_errc::bad_multipart: return "bad multipart body";
            case parse_errc::missing_header: return "missing mandatory header field";
            case parse_errc::multiple_values: return "several values in a single-value header field";
            case parse_errc::cseq_method_mismatch: return "CSeq method does not match the request method";
            }
            return "unknown tandem.parse error";
        }
    };
    static const category c;
    return c;
}

/// Makes `parse_errc` usable as `std::error_code` (found by ADL).
TANDEM_DECL std::error_code make_error_code(parse_errc e) noexcept {
    return {static_cast<int>(e), parse_category()};
}

/**
 * Why a transport operation failed or a stream connection was closed (category
 * `"tandem.transport"`).
 *
 * Operating-system errors of the sockets themselves (a refused bind, a send buffer that is
 * full) are reported as the `std::system_category` codes Asio gives; these values name what
 * the transport decided on its own.
 */
enum class transport_errc {
    closed = 1,           ///< the connection or transport is closed (or the peer closed it)
    connect_failed,       ///< no TCP connection could be established (refused, unreachable, timeout)
    idle_timeout,         ///< a stream connection carried no traffic for the idle timeout
    message_too_large,    ///< a framed message exceeded the configured maximum size
    framing_error,        ///< the byte stream could not be cut into SIP messages (RFC 3261 18.3)
    tls_handshake_failed, ///< the TLS handshake failed (including certificate verification)
    bad_listen_spec,      ///< a listen specification such as "udp:127.0.0.1:5060" did not parse
    queue_full,           ///< more bytes were queued on a connection than it may buffer
};

/// The category of `transport_errc`, named `"tandem.transport"`.
TANDEM_DECL const std::error_category& transport_category() noexcept {
    struct category final : std::error_category {
        const char* name() const noexcept override { return "tandem.transport"; }
        std::string message(int ev) const override {
            switch (static_cast<transport_errc>(ev)) {
            case transport_errc::closed: return "connection closed";
            case transport_errc::connect_failed: return "connection could not be established";
            case transport_errc::idle_timeout: return "connection idle for too long";
            case transport_errc::message_too_large: return "message too large";
            case transport_errc::framing_error: return "stream framing error";
            case transport_errc::tls_handshake_failed: return "TLS handshake failed";
            case transport_errc::bad_listen_spec: return "bad listen specification";
            case transport_errc::queue_full: return "send queue full";
            }
            return "unknown tandem.transport error";
        }
    };
    static const category c;
    return c;
}

/// Makes `transport_errc` usable as `std::error_code` (found by ADL).
TANDEM_DECL std::error_code make_error_code(transport_errc e) noexcept {
    return {static_cast<int>(e), transport_category()};
}

/// Why a transaction ended without a final response.
enum class transaction_errc {
    timeout = 1,       ///< Timer B, F or C expired (a client TU acts as on a 408, RFC 3261 8.1.3.1)
    transport_failure, ///< the transport failed (RFC 3261 17.1.4)
};

/// The category of `transaction_errc`, named `"tandem.transaction"`.
TANDEM_DECL const std::error_category& transaction_category() noexcept {
    struct category final : std::error_category {
        const char* name() const noexcept override { return "tandem.transaction"; }
        std::string message(int ev) const override {
            switch (static_cast<transaction_errc>(ev)) {
            case transaction_errc::timeout: return "transaction timed out";
            case transaction_errc::transport_failure: return "transport failure";
            }
            return "unknown tandem.transaction error";
        }
    };
    static const category c;
    return c;
}

TANDEM_DECL std::error_code make_error_code(transaction_errc e) noexcept {
    return {static_cast<int>(e), transaction_category()};
}

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
struct std::is_error_code_enum<tandem::parse_errc> : std::true_type {};
template <>
struct std::is_error_code_enum<tandem::transaction_errc> : std::true_type {};
template <>
struct std::is_error_code_enum<tandem::transport_errc> : std::true_type {};
template <>
struct std::is_error_code_enum<tandem::sdp_errc> : std::true_type {};

#endif
