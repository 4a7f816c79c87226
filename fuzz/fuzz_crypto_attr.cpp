// libFuzzer target: bytes as the value of an SDP a=crypto attribute (RFC 4568), and as base64.
// Invariants: nothing throws; an attribute that parses writes out (keys padded) as text that
// parses to the same attribute and writes out the same again; what base64 decodes re-encodes
// to padded text that decodes to the same octets, and every encoding decodes back.

#include <tandem/srtp/sdes.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace srtp = tandem::srtp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        std::string_view in(reinterpret_cast<const char*>(data), size);

        if (auto a = srtp::parse_crypto(in)) {
            if (a->keys.empty()) __builtin_trap();
            for (const srtp::key_param& k : a->keys) {
                if (k.key_salt.size() != srtp::key_salt_len(a->s)) __builtin_trap();
                if (k.mki.has_value() != (k.mki_length != 0) || k.mki_length > 128) __builtin_trap();
            }
            (void)srtp::supported_session_params(*a);
            std::string text = a->to_string();
            if (text.size() > 2 * size + 64) __builtin_trap(); // bounded by the input
            auto again = srtp::parse_crypto(text);
            if (!again || !(*again == *a)) __builtin_trap();
            if (again->to_string() != text) __builtin_trap();
        } else {
            auto e = a.error();
            if (e.category() != tandem::srtp_category()) __builtin_trap();
        }

        if (auto bytes = srtp::base64_decode(in)) {
            if (bytes->size() > size / 4 * 3 + 2) __builtin_trap();
            std::string text = srtp::base64_encode(*bytes);
            if (text.size() % 4 != 0) __builtin_trap();
            auto again = srtp::base64_decode(text);
            if (!again || *again != *bytes) __builtin_trap();
        }
        std::string enc = srtp::base64_encode(std::span<const std::uint8_t>(data, size));
        auto dec = srtp::base64_decode(enc);
        if (!dec || !std::equal(dec->begin(), dec->end(), data, data + size)) __builtin_trap();
    } catch (...) {
        __builtin_trap();
    }
    return 0;
}
