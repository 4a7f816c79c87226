#ifndef TANDEM_MESSAGE_ERROR_HPP
#define TANDEM_MESSAGE_ERROR_HPP

/// @file Why a SIP message, a URI or a header value was refused (category `"tandem.parse"`).
///
/// Each module keeps its error enum in its own `error.hpp` (as Beast does): the enum, its
/// category, `make_error_code` found by ADL, and `std::is_error_code_enum`.

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

} // namespace tandem

template <>
struct std::is_error_code_enum<tandem::parse_errc> : std::true_type {};

#endif
