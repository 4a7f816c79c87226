#ifndef TANDEM_MESSAGE_MESSAGE_HPP
#define TANDEM_MESSAGE_MESSAGE_HPP

/// @file A SIP request or response: parsed from one buffer, inspected through views, edited
/// and serialized without re-parsing.

#include <tandem/message/error.hpp>
#include <tandem/message/header_id.hpp>
#include <tandem/message/header_values.hpp>
#include <tandem/message/method.hpp>
#include <tandem/message/uri.hpp>
#include <tandem/result.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tandem::message {

/**
 * Limits and strictness of the parser.
 *
 * The defaults are strict RFC 3261 with limits that no legitimate message reaches. Every
 * lenient behaviour is a separately named flag (llhttp style).
 */
struct parse_options {
    /// Largest message accepted, start line to end of body (RFC 3261 18.1.1 suggests 64 KiB).
    std::size_t max_message_size = 65536;
    /// Most header fields accepted in one message.
    std::size_t max_headers = 256;
    /// Longest start line or header field (folds included) accepted.
    std::size_t max_line_length = 16384;
    /// When false, only framing is checked: the start line is split, header lines are found,
    /// Content-Length is applied. The grammar of start-line parts and header values is then
    /// left to `check_syntax()` or to the typed accessors. A UAS uses this to answer a
    /// malformed request with 400 instead of dropping it.
    bool check_syntax = true;
    /// Tolerate runs of SP between request-line elements and after the version
    /// (RFC 4475 3.1.2.9, 3.1.2.10 allow this liberal handling).
    bool lenient_request_line_spaces = false;
};

/// Where a parse failed, for humans (sipcheck, logs). Filled only on failure.
struct diagnostics {
    std::size_t line = 0; ///< 1-based line of the start line or header where it failed; 0 if n/a
    std::string header;   ///< the header name as written, if a header field was at fault
};

/// One header field of a message: its id, its name as written and its value (trimmed, with
/// line folds turned into blanks).
struct header_field {
    header_id id = header_id::other;
    std::string_view name;
    std::string_view value;
};

/**
 * A SIP message (RFC 3261 section 7): start line, header fields, body.
 *
 * The message owns one buffer holding the bytes it was parsed from; names, values and the
 * body are views into it. Typed views (`top_via()`, `from()`, `cseq()`, ...) are parsed on
 * each call from the stored value, without allocating. `assign()` reuses the buffer and the
 * field table, so a message object parsing one datagram after another stops allocating once
 * its capacity fits the largest message seen.
 *
 * Edits (`add_header`, `remove_headers`, `set_request_uri`, `set_body`, ...) append new
 * text to the same buffer and update the field table; `serialize()` writes the result in one
 * pass, with a Content-Length that matches the body.
 *
 * Views returned by a message stay valid until the next `assign()` or edit of that message.
 */
class message {
public:
    message() = default;

    /// Parses one whole message: a UDP datagram or one message cut from a stream by
    /// `stream_framer`. Octets after Content-Length are ignored (RFC 3261 18.3).
    static result<message> parse(std::string_view bytes, const parse_options& opts = {},
                                 diagnostics* diag = nullptr) {
        message m;
        if (auto ec = m.assign(bytes, opts, diag)) return ec;
        return m;
    }

    /// Parses `bytes` into this object, reusing its storage. On failure the object is empty.
    TANDEM_DECL std::error_code assign(std::string_view bytes, const parse_options& opts = {},
                                       diagnostics* diag = nullptr);

    /// Checks the grammar of the start line and of every header Tandem knows (Via, From, To,
    /// Contact, CSeq, ...) and that a request's CSeq method matches its method. `parse()` runs
    /// this unless `parse_options::check_syntax` is false.
    TANDEM_DECL std::error_code check_syntax(diagnostics* diag = nullptr) const;

    /// @name Start line
    /// @{
    bool is_request() const noexcept { return request_; }
    bool is_response() const noexcept { return !request_ && !buf_.empty(); }
    /// The method of a request (`method_id::unknown` for extension methods and responses).
    method_id method() const noexcept { return method_; }
    /// The method token of a request as written, "" for a response.
    std::string_view method_text() const noexcept { return view(start_[0]); }
    /// The Request-URI as written, "" for a response.
    std::string_view request_uri_text() const noexcept {
        return request_ ? view(start_[1]) : std::string_view{};
    }
    /// The Request-URI, parsed (headers are not allowed there, RFC 3261 19.1.1).
    result<tandem::message::uri> request_uri() const noexcept {
        uri_options o;
        o.allow_headers = false;
        return parse_uri(request_uri_text(), o);
    }
    /// "SIP/2.0" as written.
    std::string_view version() const noexcept { return view(request_ ? start_[2] : start_[0]); }
    /// The status code of a response, 0 for a request.
    int status() const noexcept { return status_; }
    /// The reason phrase of a response as written (may be empty).
    std::string_view reason() const noexcept { return request_ ? std::string_view{} : view(start_[2]); }
    /// @}

    /// @name Header fields
    /// @{
    std::size_t header_count() const noexcept { return fields_.size(); }
    header_field header_at(std::size_t i) const noexcept {
        const field& f = fields_[i];
        return {f.id, view(f.name), view(f.value)};
    }
    /// Iterable over all header fields in order.
    struct header_range {
        const message* m;
        struct iterator {
            const message* m;
            std::size_t i;
            header_field operator*() const noexcept { return m->header_at(i); }
            iterator& operator++() noexcept {
                ++i;
                return *this;
            }
            bool operator==(const iterator& o) const noexcept { return i == o.i; }
        };
        iterator begin() const noexcept { return {m, 0}; }
        iterator end() const noexcept { return {m, m->fields_.size()}; }
    };
    header_range headers() const noexcept { return {this}; }

    /// True if at least one field with this id is present.
    bool has_header(header_id id) const noexcept { return first_[static_cast<std::size_t>(id)] != 0; }
    /// The value of the first field with this id, or "".
    std::string_view header(header_id id) const noexcept {
        auto i = first_[static_cast<std::size_t>(id)];
        return i ? view(fields_[i - 1u].value) : std::string_view{};
    }
    /// The value of the first field named `name` (long or compact form, any case), or "".
    std::string_view header(std::string_view name) const noexcept {
        header_id id = to_header_id(name);
        if (id != header_id::other) return header(id);
        for (const field& f : fields_)
            if (f.id == header_id::other && detail::iequals(view(f.name), name)) return view(f.value);
        return {};
    }
    /// Number of fields with this id.
    std::size_t count(header_id id) const noexcept {
        std::size_t n = 0;
        for (const field& f : fields_) n += f.id == id;
        return n;
    }
    /// Calls `fn(std::string_view element)` for every element of a list header (RFC 3261
    /// 7.3.1), across all its fields in order. Returns false if `fn` returned false.
    template <class Fn>
    bool for_each_element(header_id id, Fn&& fn) const {
        for (const field& f : fields_) {
            if (f.id != id) continue;
            for (std::string_view e : list_elements(view(f.value)))
                if (!fn(e)) return false;
        }
        return true;
    }
    /// True when a list header (Supported, Require, Allow, ...) has the element `token`,
    /// compared case-insensitively ("timer", "100rel", "UPDATE").
    bool has_element(header_id id, std::string_view token) const {
        return !for_each_element(
            id, [token](std::string_view e) { return !detail::iequals(detail::trim(e), token); });
    }
    /// @}

    /// @name Typed access to the common headers (parsed on each call, no allocation)
    /// @{
    /// Call-ID value, "" when absent.
    std::string_view call_id() const noexcept { return header(header_id::call_id); }
    /// The top-most Via (first element of the first Via field).
    result<via> top_via() const noexcept {
        if (!has_header(header_id::via)) return parse_errc::missing_header;
        // The first element of the list, parsed where it stands: the via-parm grammar stops
        // at the COMMA that ends it, so the rest of the list need not be split.
        detail::scanner sc{detail::trim(header(header_id::via))};
        if (sc.s.empty()) return parse_errc::bad_via;
        via v;
        if (auto e = detail::parse_via_prefix(sc, v); e != parse_errc{}) return e;
        sc.skip_ws();
        if (!sc.at_end() && sc.peek() != ',') return parse_errc::bad_via;
        return v;
    }
    result<name_addr> from() const noexcept { return typed_name_addr(header_id::from); }
    result<name_addr> to() const noexcept { return typed_name_addr(header_id::to); }
    result<tandem::message::cseq> cseq() const noexcept {
        if (!has_header(header_id::cseq)) return parse_errc::missing_header;
        return parse_cseq(header(header_id::cseq));
    }
    /// Max-Forwards (0-255); `missing_header` when absent.
    result<std::uint32_t> max_forwards() const noexcept {
        if (!has_header(header_id::max_forwards)) return parse_errc::missing_header;
        return parse_number(header(header_id::max_forwards), 255, parse_errc::bad_max_forwards);
    }
    result<media_type> content_type() const noexcept {
        if (!has_header(header_id::content_type)) return parse_errc::missing_header;
        return parse_media_type(header(header_id::content_type));
    }
    /// Expires (delta-seconds); `missing_header` when absent.
    result<std::uint32_t> expires() const noexcept {
        if (!has_header(header_id::expires)) return parse_errc::missing_header;
        return parse_delta_seconds(header(header_id::expires));
    }
    /// True when several Content-Length fields disagree (framing unknowable, RFC 4475 3.3.9;
    /// the parser then took the rest of the datagram as body).
    bool conflicting_content_length() const noexcept { return conflicting_cl_; }
    /// Size in octets of the message as received (start line to end of datagram).
    std::size_t wire_size() const noexcept { return wire_size_; }
    /// The message body (may contain any octet, NULs included).
    std::string_view body() const noexcept { return view(body_); }
    /// @}

    /// @name Editing (appends to the message's buffer; no re-parse)
    /// @{
    /// Appends a header field after the existing ones.
    void add_header(std::string_view name, std::string_view value) {
        insert_header(fields_.size(), name, value);
    }
    /// Inserts a header field before all others (e.g. a new top Via).
    void push_front_header(std::string_view name, std::string_view value) { insert_header(0, name, value); }
    /// Inserts a header field at position `index` (0 = first).
    TANDEM_DECL void insert_header(std::size_t index, std::string_view name, std::string_view value);
    /// Removes every field with this id; returns how many were removed.
    TANDEM_DECL std::size_t remove_headers(header_id id);
    /// Removes every field with this name (any form, any case); returns how many.
    TANDEM_DECL std::size_t remove_headers(std::string_view name);
    /// Replaces all fields with this name by one field (at the place of the first, or last).
    TANDEM_DECL void set_header(std::string_view name, std::string_view value);
    /// Replaces the Request-URI of a request.
    TANDEM_DECL void set_request_uri(std::string_view uri);
    /// Replaces the body; Content-Type is set to `content_type` (removed when empty).
    TANDEM_DECL void set_body(std::string_view content_type, std::string_view body);
    /// @}

    /// Writes the message in wire form, appending to `out`. Content-Length always matches the
    /// body (it is written where the first Content-Length field was, or last).
    TANDEM_DECL void serialize_to(std::string& out) const;
    std::string serialize() const {
        std::string s;
        serialize_to(s);
        return s;
    }

private:
    // Trivially default-constructible, so that growing the field table (see grow_fields)
    // leaves new entries uninitialised: every entry is written before it is read. Members of
    // these types are value-initialised (`{}`) where they need zeros.
    struct span {
        std::uint32_t off;
        std::uint32_t len;
    };
    struct field {
        span name;
        span value;
        header_id id;
    };
    // An allocator that default-initialises instead of value-initialising, so that
    // `resize()` of a table of trivial entries writes nothing.
    template <class T>
    struct default_init_allocator : std::allocator<T> {
        template <class U>
        struct rebind {
            using other = default_init_allocator<U>;
        };
        using std::allocator<T>::allocator;
        template <class U>
        void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
            ::new (static_cast<void*>(p)) U;
        }
        template <class U, class... Args>
        void construct(U* p, Args&&... args) {
            ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
        }
    };

    std::string_view view(span s) const noexcept { return std::string_view(buf_).substr(s.off, s.len); }
    span append(std::string_view s) {
        span r{static_cast<std::uint32_t>(buf_.size()), static_cast<std::uint32_t>(s.size())};
        buf_.append(s);
        return r;
    }
    result<name_addr> typed_name_addr(header_id id) const noexcept {
        if (!has_header(id)) return parse_errc::missing_header;
        return parse_name_addr(header(id), false, false);
    }
    TANDEM_DECL void reindex() noexcept;
    TANDEM_DECL void grow_fields(std::size_t used);
    TANDEM_DECL std::error_code parse_start_line(std::string_view line, const parse_options& opts);
    TANDEM_DECL std::error_code check_field(const field& f) const;
    void clear() noexcept {
        buf_.clear();
        fields_.clear();
        reset_state();
    }
    // Everything but the buffer and the field table.
    void reset_state() noexcept {
        first_.fill(0);
        start_ = {};
        body_ = {};
        status_ = 0;
        method_ = method_id::unknown;
        request_ = false;
        conflicting_cl_ = false;
        bad_spacing_ = false;
        wire_size_ = 0;
    }

    std::string buf_;
    std::vector<field, default_init_allocator<field>> fields_;
    std::array<std::uint16_t, header_id_count> first_{}; // 1-based index of the first field per id
    std::array<span, 3> start_{}; // request: method, uri, version; response: version, code, reason
    span body_{};
    int status_ = 0;
    method_id method_ = method_id::unknown;
    bool request_ = false;
    bool conflicting_cl_ = false;
    std::size_t wire_size_ = 0;
    bool bad_spacing_ = false; // extra SP in the request line, not tolerated by the options
};

} // namespace tandem::message

#include <tandem/message/impl/message.hpp>

#endif
