// libFuzzer target: bytes as a ZRTP packet (RFC 6189 5), as a bare message, and as the
// decrypted part of a Confirm. Invariants: nothing throws; what parses lies within the input;
// a packet that parses frames again to the same octets, but for the ignored second octet and
// so the CRC; a message that parses encodes to as many octets, which parse to the same message
// and encode to the same octets again; the same for a Confirm plaintext; a MAC located lies
// within the message.

#include <tandem/zrtp/packet.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace zrtp = tandem::zrtp;

namespace {

void check_message(zrtp::bytes m) {
    auto mac = zrtp::locate_mac(m);
    if (mac) {
        if (mac->covered.data() < m.data() || mac->covered.data() + mac->covered.size() > m.data() + m.size())
            __builtin_trap();
        if (mac->mac_offset + 8 > m.size()) __builtin_trap();
    }
    auto parsed = zrtp::parse_message(m);
    if (!parsed) {
        if (parsed.error().category() != tandem::zrtp_category()) __builtin_trap();
        return;
    }
    std::vector<std::uint8_t> wire = zrtp::encode(*parsed);
    if (wire.size() != m.size()) __builtin_trap(); // every layout has an exact size
    auto again = zrtp::parse_message(wire);
    if (!again || !(*again == *parsed)) __builtin_trap();
    if (zrtp::encode(*again) != wire) __builtin_trap();
    if (mac.has_value() != zrtp::locate_mac(wire).has_value()) __builtin_trap();
    // only the Hello's unused flag bits may differ from the input
    if (zrtp::type_of(*parsed) != zrtp::message_type::hello &&
        !std::equal(wire.begin(), wire.end(), m.begin()))
        __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        zrtp::bytes in(data, size);

        if (auto p = zrtp::parse_packet(in)) {
            if (p->message.data() != data + zrtp::packet_header_size ||
                p->message.size() + zrtp::packet_header_size + zrtp::crc_size != size)
                __builtin_trap();
            std::vector<std::uint8_t> framed = zrtp::frame(p->sequence, p->ssrc, p->message);
            // the same octets but the unused second one, which the CRC covers too
            if (framed.size() != size || framed[0] != data[0] ||
                !std::equal(framed.begin() + 2, framed.end() - zrtp::crc_size, data + 2))
                __builtin_trap();
            if (data[1] == 0 && !std::equal(framed.begin(), framed.end(), data)) __builtin_trap();
            if (!zrtp::parse_packet(framed)) __builtin_trap();
            check_message(p->message);
        } else if (p.error().category() != tandem::zrtp_category()) {
            __builtin_trap();
        }

        check_message(in);

        if (auto b = zrtp::parse_confirm_body(in)) {
            std::vector<std::uint8_t> plain = zrtp::encode_confirm_body(*b);
            if (plain.size() != size) __builtin_trap();
            auto again = zrtp::parse_confirm_body(plain);
            if (!again || !(*again == *b) || zrtp::encode_confirm_body(*again) != plain) __builtin_trap();
        }
    } catch (...) {
        __builtin_trap();
    }
    return 0;
}
