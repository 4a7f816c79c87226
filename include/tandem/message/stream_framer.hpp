#ifndef TANDEM_MESSAGE_STREAM_FRAMER_HPP
#define TANDEM_MESSAGE_STREAM_FRAMER_HPP

/// @file Cutting SIP messages out of a byte stream (TCP, TLS; RFC 3261 18.3).

#include <tandem/message/error.hpp>
#include <tandem/message/header_id.hpp>
#include <tandem/message/message.hpp>
#include <tandem/message/detail/abnf.hpp>

#include <cstring>
#include <string>
#include <string_view>

namespace tandem::message {

/**
 * Frames SIP messages on a stream transport.
 *
 * Feed received bytes with `append()`, then call `next()` until it reports `incomplete`.
 * A message is framed by its header section and its Content-Length, which is mandatory on
 * streams (RFC 3261 18.3, 20.14): a message without one is a framing error, after which the
 * stream cannot be resynchronised and the connection should be closed.
 *
 * Keep-alives (RFC 5626 4.4.1): a double CRLF between messages is a ping, reported as
 * `frame::ping` so that the transport answers with a single CRLF (a pong); a single CRLF
 * between messages is a pong and is skipped silently.
 *
 * Memory is bounded: at most `max_message_size` bytes of one message are ever buffered; a
 * header section or a Content-Length beyond it is an error (`message_too_large`).
 */
class stream_framer {
public:
    enum class status { incomplete, message, ping };
    struct frame {
        status what = status::incomplete;
        std::string_view bytes; ///< the message, valid until the next append() or next()
    };

    explicit stream_framer(std::size_t max_message_size = 65536) noexcept : max_(max_message_size) {}

    /// Appends received bytes. Fails (and the stream is dead) when more than one maximal
    /// message would have to be buffered.
    TANDEM_DECL std::error_code append(std::string_view bytes) {
        if (failed_) return failed_;
        compact();
        // Room for one maximal message plus the next read: anything beyond is a peer that
        // does not let us frame (next() was not called, or a header section never ends).
        if (buf_.size() + bytes.size() > 2 * max_) return fail(parse_errc::message_too_large);
        buf_.append(bytes);
        return {};
    }

    /// The next framed message, keep-alive ping, or `incomplete`; or the framing error.
    TANDEM_DECL result<frame> next() {
        if (failed_) return failed_;
        compact();
        std::string_view b = std::string_view(buf_).substr(head_);
        // CRLFs between messages: "\r\n\r\n" is a ping, a lone "\r\n" a pong.
        while (b.starts_with("\r\n")) {
            if (b.starts_with("\r\n\r\n")) {
                head_ += 4;
                return frame{status::ping, {}};
            }
            if (b.size() < 4 && std::string_view("\r\n\r\n").starts_with(b)) return frame{}; // wait
            head_ += 2;
            b.remove_prefix(2);
        }
        if (b.empty()) return frame{};
        std::size_t end = b.find("\r\n\r\n");
        if (end == std::string_view::npos) {
            if (b.size() > max_) return fail(parse_errc::message_too_large);
            return frame{};
        }
        std::size_t header_len = end + 4;
        if (header_len > max_) return fail(parse_errc::message_too_large);
        // Find Content-Length (or "l") at the start of a header line; folds inside its value
        // are not supported on streams (no sender folds a number).
        std::string_view head = b.substr(0, header_len);
        std::optional<std::size_t> cl;
        std::size_t pos = head.find("\r\n");
        while (pos != std::string_view::npos && pos + 2 < head.size()) {
            std::size_t ls = pos + 2;
            std::size_t le = head.find("\r\n", ls);
            std::string_view line = head.substr(ls, le - ls);
            std::size_t colon = line.find(':');
            if (colon != std::string_view::npos &&
                to_header_id(detail::trim(line.substr(0, colon))) == header_id::content_length) {
                detail::scanner sc{detail::trim(line.substr(colon + 1))};
                auto v = sc.number(0xffffffffu);
                if (!v || !sc.at_end()) return fail(parse_errc::bad_content_length);
                if (cl && *cl != *v) return fail(parse_errc::conflicting_content_length);
                cl = static_cast<std::size_t>(*v);
            }
            pos = le;
        }
        if (!cl) return fail(parse_errc::missing_content_length);
        if (header_len + *cl > max_) return fail(parse_errc::message_too_large);
        if (b.size() < header_len + *cl) return frame{};
        head_ += header_len + *cl;
        return frame{status::message, b.substr(0, header_len + *cl)};
    }

    /// Bytes buffered and not yet returned.
    std::size_t buffered() const noexcept { return buf_.size() - head_; }

private:
    void compact() {
        if (head_ == 0) return;
        buf_.erase(0, head_);
        head_ = 0;
    }
    std::error_code fail(parse_errc e) {
        failed_ = make_error_code(e);
        buf_.clear();
        head_ = 0;
        return failed_;
    }

    std::string buf_;
    std::size_t head_ = 0;
    std::size_t max_;
    std::error_code failed_;
};

} // namespace tandem::message

#endif
