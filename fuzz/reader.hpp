#ifndef TANDEM_FUZZ_READER_HPP
#define TANDEM_FUZZ_READER_HPP

// The fuzz input read as a sequence of choices: one octet at a time, or a run of octets; past
// the end every read gives 0 or nothing.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tandem::fuzz {

struct reader {
    const std::uint8_t* p;
    std::size_t n;
    bool empty() const { return n == 0; }
    std::uint8_t byte() {
        if (!n) return 0;
        --n;
        return *p++;
    }
    std::string_view bytes(std::size_t k) {
        k = std::min(k, n);
        std::string_view s(reinterpret_cast<const char*>(p), k);
        p += k;
        n -= k;
        return s;
    }
};

} // namespace tandem::fuzz

#endif
