// libFuzzer target: a byte stream cut into reads of varying sizes, through the stream framer,
// each framed message into the parser. Invariants: nothing throws, the framer never buffers
// more than twice its limit, framed messages are exactly as long as their Content-Length says
// (so they frame again as a datagram), and after an error the framer stays failed.

#include <tandem/message/message.hpp>
#include <tandem/message/stream_framer.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace msg = tandem::message;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        if (size < 2) return 0;
        // The first two octets choose the read size and the framer's limit.
        std::size_t chunk = 1 + data[0] % 97;
        std::size_t limit = 256 + static_cast<std::size_t>(data[1]) * 64;
        std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);
        msg::stream_framer f(limit);
        msg::parse_options framing;
        framing.check_syntax = false;
        bool failed = false;
        for (std::size_t i = 0; i < stream.size() && !failed; i += chunk) {
            if (f.append(stream.substr(i, chunk))) {
                failed = true;
                break;
            }
            if (f.buffered() > 2 * limit) __builtin_trap();
            while (true) {
                auto r = f.next();
                if (!r) {
                    failed = true;
                    break;
                }
                if (r->what == msg::stream_framer::status::incomplete) break;
                if (r->what == msg::stream_framer::status::message) {
                    if (r->bytes.size() > limit) __builtin_trap();
                    auto m = msg::message::parse(r->bytes, framing);
                    if (m && m->wire_size() != r->bytes.size()) __builtin_trap();
                    (void)msg::message::parse(r->bytes);
                }
            }
        }
        if (failed && f.next().has_value()) __builtin_trap();
    } catch (...) {
        __builtin_trap();
    }
    return 0;
}
