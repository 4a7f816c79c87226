// libFuzzer target: one datagram into the message parser, then everything a stack does with
// a parsed message: typed views, validation, a response, editing and serialization.
// Invariants: nothing throws, and a message that parsed strictly serializes to bytes that
// parse strictly again.

#include <tandem/message/message.hpp>
#include <tandem/message/multipart.hpp>
#include <tandem/message/serializer.hpp>
#include <tandem/message/validate.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace msg = tandem::message;

namespace {

void exercise(const msg::message& m) {
    (void)m.top_via();
    (void)m.from();
    (void)m.to();
    (void)m.cseq();
    (void)m.max_forwards();
    (void)m.content_type();
    (void)m.expires();
    (void)m.request_uri();
    (void)msg::find_sdp(m);
    for (msg::header_field f : m.headers()) (void)f;
    m.for_each_element(msg::header_id::contact,
                       [](std::string_view e) { return msg::parse_name_addr(e, true).has_value() || true; });
    m.for_each_element(msg::header_id::via,
                       [](std::string_view e) { return msg::parse_via(e).has_value() || true; });
    // header values the B2BUA reads: RAck (RFC 3262), Replaces (RFC 3891)
    for (msg::header_field f : m.headers()) {
        if (f.id == msg::header_id::rack) (void)msg::parse_rack(f.value);
        if (f.id == msg::header_id::replaces) {
            auto r = msg::parse_replaces(f.value);
            if (r && (r->call_id.empty() || r->to_tag.empty() || r->from_tag.empty())) __builtin_trap();
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        std::string_view bytes(reinterpret_cast<const char*>(data), size);
        msg::diagnostics d;
        auto strict = msg::message::parse(bytes, {}, &d);
        if (strict) {
            exercise(*strict);
            // what we write, we must read: writing may add a Content-Length, so a message at the
            // size limit may come back over it (the limit is an input policy, not framing)
            msg::parse_options unlimited;
            unlimited.max_message_size = 0xffffffffu;
            auto again = msg::message::parse(strict->serialize(), unlimited);
            if (!again) __builtin_trap();
            // serialize() writes exactly one Content-Length, in place of the first
            std::size_t cls = strict->count(msg::header_id::content_length);
            if (again->header_count() != strict->header_count() - cls + 1) __builtin_trap();
            if (again->body() != strict->body()) __builtin_trap();
            auto edited = *strict;
            edited.push_front_header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKfuzz");
            edited.remove_headers(msg::header_id::route);
            edited.set_body("text/plain", "x");
            if (!msg::message::parse(edited.serialize())) __builtin_trap();
        }
        msg::parse_options framing;
        framing.check_syntax = false;
        auto loose = msg::message::parse(bytes, framing);
        if (loose) {
            exercise(*loose);
            (void)loose->check_syntax();
            if (loose->is_request() && msg::can_respond(*loose)) {
                auto r = msg::validate_request(*loose);
                int status = r ? r->status : 200;
                auto rsp = msg::make_response(*loose, status, {}, "fuzztag",
                                              r ? msg::extra_headers(*r) : std::string{});
                if (!rsp) __builtin_trap(); // a response we build must frame
            }
        }
        if (strict && !loose) __builtin_trap(); // strict acceptance implies framing acceptance
    } catch (...) {
        __builtin_trap();
    }
    return 0;
}
