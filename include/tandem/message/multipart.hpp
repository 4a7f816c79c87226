#ifndef TANDEM_MESSAGE_MULTIPART_HPP
#define TANDEM_MESSAGE_MULTIPART_HPP

/// @file MIME multipart bodies (RFC 2046 5.1, RFC 5621): finding a part, usually the SDP.

#include <tandem/message/header_values.hpp>
#include <tandem/message/message.hpp>

#include <string_view>

namespace tandem::message {

/// One part of a multipart body: its header section (raw) and its content.
struct body_part {
    std::string_view content_type; ///< the part's Content-Type value, "" if none (text/plain)
    std::string_view content;
};

/**
 * Calls `fn(const body_part&)` for each part of a multipart body delimited by `boundary`
 * (the value of the boundary parameter, unquoted). Returns `bad_multipart` when the body has
 * no opening or closing delimiter; parts before the failure were already reported.
 */
template <class Fn>
std::error_code for_each_part(std::string_view body, std::string_view boundary, Fn&& fn) {
    if (boundary.empty() || boundary.size() > 70) return parse_errc::bad_multipart;
    // delimiter = CRLF "--" boundary; the first one may start the body without its CRLF.
    auto find_delim = [&](std::size_t from) -> std::size_t {
        while (true) {
            std::size_t p = body.find("--", from);
            if (p == std::string_view::npos) return p;
            if (body.substr(p + 2, boundary.size()) == boundary &&
                (p == 0 || (p >= 2 && body.substr(p - 2, 2) == "\r\n")))
                return p;
            from = p + 1;
        }
    };
    std::size_t d = find_delim(0);
    if (d == std::string_view::npos) return parse_errc::bad_multipart;
    while (true) {
        std::size_t after = d + 2 + boundary.size();
        if (body.substr(after, 2) == "--") return {}; // close-delimiter
        std::size_t line_end = body.find("\r\n", after);
        if (line_end == std::string_view::npos) return parse_errc::bad_multipart;
        std::size_t start = line_end + 2;
        std::size_t next = find_delim(start);
        if (next == std::string_view::npos) return parse_errc::bad_multipart;
        std::string_view part = body.substr(start, next - 2 >= start ? next - 2 - start : 0);
        body_part bp;
        std::size_t hdr_end = part.starts_with("\r\n") ? 0 : part.find("\r\n\r\n");
        if (hdr_end == std::string_view::npos) return parse_errc::bad_multipart;
        std::string_view headers = part.substr(0, hdr_end);
        bp.content = part.substr(hdr_end == 0 ? 2 : hdr_end + 4);
        std::size_t pos = 0;
        while (pos < headers.size()) {
            std::size_t le = headers.find("\r\n", pos);
            if (le == std::string_view::npos) le = headers.size();
            std::string_view line = headers.substr(pos, le - pos);
            std::size_t colon = line.find(':');
            if (colon != std::string_view::npos &&
                to_header_id(detail::trim(line.substr(0, colon))) == header_id::content_type)
                bp.content_type = detail::trim(line.substr(colon + 1));
            pos = le + 2;
        }
        fn(bp);
        d = next;
    }
}

/**
 * The session description of a message: its body when Content-Type is application/sdp, the
 * first application/sdp part of a multipart body, or "" when there is none.
 */
inline std::string_view find_sdp(const message& m) {
    auto ct = m.content_type();
    if (!ct || m.body().empty()) return {};
    if (ct->is("application", "sdp")) return m.body();
    if (!detail::iequals(ct->type, "multipart")) return {};
    std::string_view boundary = ct->params.value("boundary");
    if (boundary.size() >= 2 && boundary.front() == '"') boundary = boundary.substr(1, boundary.size() - 2);
    std::string_view sdp;
    (void)for_each_part(m.body(), boundary, [&](const body_part& p) {
        if (sdp.empty()) {
            auto t = parse_media_type(p.content_type);
            if (t && t->is("application", "sdp")) sdp = p.content;
        }
    });
    return sdp;
}

} // namespace tandem::message

#endif
