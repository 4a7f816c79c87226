#ifndef TANDEM_ZRTP_PACKET_HPP
#define TANDEM_ZRTP_PACKET_HPP

/// @file The ZRTP wire layer (RFC 6189 5), sans-I/O: the CRC-32C, the packet framing around a
/// message, and every message type as a struct that parses from the exact message octets and
/// encodes back to them. No crypto here: MACs, hashes and the Confirm encryption are computed
/// by the caller over the octets this header locates (`locate_mac`).
///
/// Parsing is bounded: every length is checked against the octets before it is used, lists
/// hold at most 7 entries, and nothing is allocated beyond a copy of input octets. Parsers
/// never throw; `encode` throws `std::invalid_argument` only for a struct that no message can
/// carry (a programming error: a list of 8 algorithms, a public value that is not whole words).

#include <tandem/result.hpp>
#include <tandem/zrtp/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace tandem::zrtp {

/// Octets as the wire layer reads them.
using bytes = std::span<const std::uint8_t>;

// ---- CRC-32C -------------------------------------------------------------------------------

namespace detail {
// The reflected Castagnoli polynomial 0x1EDC6F41 (RFC 3309, RFC 4960 appendix B): 0x82F63B78.
constexpr std::array<std::uint32_t, 256> make_crc32c_table() noexcept {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1u) != 0 ? 0x82f63b78u : 0u);
        t[i] = c;
    }
    return t;
}
inline constexpr std::array<std::uint32_t, 256> crc32c_table = make_crc32c_table();
} // namespace detail

/**
 * The CRC-32C (Castagnoli) of `data` as RFC 3720 B.4 and RFC 4960 appendix B define it:
 * reflected, initial value and final XOR 0xFFFFFFFF. For 32 zero octets it is 0x8a9136aa.
 *
 * @par Byte order on the wire
 * RFC 6189 5 takes the CRC "as defined in RFC 4960, Appendix B", whose code byte-swaps this
 * value before storing it in network order: the octets sent are the value's least significant
 * octet first (`aa 36 91 8a` for 32 zeros, as RFC 3720 B.4 prints it). bzrtp
 * (`bzrtp_CRC32` swaps, the packet writer stores big-endian) and GNU ZRTP (`zrtpEndCksum`)
 * put the same octets on the wire. `frame` and `parse_packet` follow that order.
 */
constexpr std::uint32_t crc32c(bytes data) noexcept {
    std::uint32_t c = 0xffffffffu;
    for (std::uint8_t b : data) c = (c >> 8) ^ detail::crc32c_table[(c ^ b) & 0xffu];
    return ~c;
}

// ---- Packets (RFC 6189 5) --------------------------------------------------------------------

/// The ZRTP magic cookie, "ZRTP" (RFC 6189 5).
inline constexpr std::uint32_t magic_cookie = 0x5a525450;
/// Octets before the message: first octet, unused octet, sequence number, cookie, SSRC.
inline constexpr std::size_t packet_header_size = 12;
/// The CRC-32C after the message.
inline constexpr std::size_t crc_size = 4;
/// The shortest message: preamble, length and type block (3 words, e.g. HelloACK).
inline constexpr std::size_t min_message_size = 12;

/// A ZRTP packet as received: its header fields and a view of the message inside it.
struct packet_view {
    std::uint16_t sequence = 0; ///< RFC 6189 5: incremented for each packet sent
    std::uint32_t ssrc = 0;     ///< the SSRC of the RTP stream the packet belongs to
    bytes message;              ///< the message octets, exactly as received (to hash or MAC)
};

namespace detail {
constexpr std::uint16_t be16(bytes p, std::size_t at) noexcept {
    return static_cast<std::uint16_t>(p[at] << 8 | p[at + 1]);
}
constexpr std::uint32_t be32(bytes p, std::size_t at) noexcept {
    return std::uint32_t{p[at]} << 24 | std::uint32_t{p[at + 1]} << 16 | std::uint32_t{p[at + 2]} << 8 |
           std::uint32_t{p[at + 3]};
}
inline void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
template <class Range>
void put(std::vector<std::uint8_t>& out, const Range& r) {
    for (auto c : r) out.push_back(static_cast<std::uint8_t>(c));
}
} // namespace detail

/**
 * Parses a ZRTP packet (RFC 6189 5): the first octet, the magic cookie, a length that holds a
 * header, a message of at least 3 words and the CRC, and the CRC-32C over everything before
 * it. The message itself is not parsed: pass `packet_view::message` to `parse_message`.
 *
 * The first octet must be 0x10. RFC 6189 5 leaves its low 4 bits unused, but bzrtp sends
 * 0x11 for its own fragments (a fragment header follows, not a message), so anything but 0x10
 * is refused. The second octet (unused) is ignored.
 *
 * @returns `zrtp_errc::bad_packet` for a short packet, another first octet or cookie, or a
 * length that is not whole words; `zrtp_errc::bad_crc` when the CRC does not match.
 */
TANDEM_DECL result<packet_view> parse_packet(bytes p) noexcept {
    if (p.size() < packet_header_size + min_message_size + crc_size || p.size() % 4 != 0)
        return zrtp_errc::bad_packet;
    if (p[0] != 0x10) return zrtp_errc::bad_packet;
    if (detail::be32(p, 4) != magic_cookie) return zrtp_errc::bad_packet;
    std::size_t end = p.size() - crc_size;
    // RFC 4960 appendix B order: the least significant octet of the CRC first
    std::uint32_t sent = std::uint32_t{p[end]} | std::uint32_t{p[end + 1]} << 8 |
                         std::uint32_t{p[end + 2]} << 16 | std::uint32_t{p[end + 3]} << 24;
    if (crc32c(p.first(end)) != sent) return zrtp_errc::bad_crc;
    packet_view v;
    v.sequence = detail::be16(p, 2);
    v.ssrc = detail::be32(p, 8);
    v.message = p.subspan(packet_header_size, end - packet_header_size);
    return v;
}

/**
 * Frames `message` (already encoded) as a ZRTP packet: header with `sequence` and `ssrc`, the
 * message, and its CRC-32C (least significant octet first, see `crc32c`).
 */
TANDEM_DECL std::vector<std::uint8_t> frame(std::uint16_t sequence, std::uint32_t ssrc, bytes message) {
    std::vector<std::uint8_t> out;
    out.reserve(packet_header_size + message.size() + crc_size);
    out.push_back(0x10);
    out.push_back(0);
    detail::put16(out, sequence);
    detail::put32(out, magic_cookie);
    detail::put32(out, ssrc);
    out.insert(out.end(), message.begin(), message.end());
    std::uint32_t c = crc32c(out);
    for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<std::uint8_t>(c >> shift));
    return out;
}

// ---- Blocks and message types (RFC 6189 5.1) ------------------------------------------------

/**
 * A 4-octet block of ASCII, padded with spaces (RFC 6189 5.1.2-5.1.7): a hash, cipher, auth
 * tag, key agreement, SAS or signature type ("S256", "AES1", "HS80", "DH3k", "B32 "), and the
 * protocol version ("1.10"). Converts from a 4-character literal: `type_block{"B32 "}`.
 */
struct type_block {
    std::array<char, 4> chars{};

    constexpr type_block() noexcept = default;
    /// From a literal of exactly 4 characters (pad with spaces: `"B32 "`).
    constexpr type_block(const char (&s)[5]) noexcept : chars{s[0], s[1], s[2], s[3]} {}
    constexpr std::string_view view() const noexcept { return {chars.data(), chars.size()}; }
    friend constexpr bool operator==(const type_block&, const type_block&) noexcept = default;
};

/**
 * The octets of a DH public value (pvi/pvr) for a key agreement type (RFC 6189 5.1.5, Table
 * 5): DH3k 384, DH2k 256, EC25 64, EC38 96, EC52 132; and X255 32, X448 56 (Curve25519/448 as
 * bzrtp sends them, RFC 7748 sizes). 0 for Multistream, Preshared and unknown types.
 */
constexpr std::size_t pv_size(type_block key_agreement) noexcept {
    constexpr std::pair<type_block, std::size_t> sizes[] = {
        {{"DH3k"}, 384}, {{"DH2k"}, 256}, {{"EC25"}, 64}, {{"EC38"}, 96},
        {{"EC52"}, 132}, {{"X255"}, 32},  {{"X448"}, 56},
    };
    for (const auto& [name, size] : sizes)
        if (name == key_agreement) return size;
    return 0;
}

/// The 16 message types (RFC 6189 5.1.1, Table 1), in the order of `message`'s alternatives.
enum class message_type {
    hello,
    hello_ack,
    commit,
    dh_part1,
    dh_part2,
    confirm1,
    confirm2,
    conf2_ack,
    error,
    error_ack,
    go_clear,
    clear_ack,
    sas_relay,
    relay_ack,
    ping,
    ping_ack,
};

namespace detail {
inline constexpr std::array<std::string_view, 16> type_names = {
    "Hello   ", "HelloACK", "Commit  ", "DHPart1 ", "DHPart2 ", "Confirm1", "Confirm2", "Conf2ACK",
    "Error   ", "ErrorACK", "GoClear ", "ClearACK", "SASrelay", "RelayACK", "Ping    ", "PingACK ",
};
} // namespace detail

/// The 8-octet Message Type Block of `t` ("Hello   ", "DHPart1 ", ...; RFC 6189 5.1.1).
constexpr std::string_view type_block_of(message_type t) noexcept {
    return detail::type_names[static_cast<std::size_t>(t)];
}

/// Error codes of the Error message (RFC 6189 5.9, Table 8).
namespace error_codes {
inline constexpr std::uint32_t malformed_packet = 0x10;          ///< CRC OK, but wrong structure
inline constexpr std::uint32_t critical_software_error = 0x20;   ///< critical software error
inline constexpr std::uint32_t unsupported_version = 0x30;       ///< unsupported ZRTP version
inline constexpr std::uint32_t hello_mismatch = 0x40;            ///< Hello components mismatch
inline constexpr std::uint32_t hash_unsupported = 0x51;          ///< Hash Type not supported
inline constexpr std::uint32_t cipher_unsupported = 0x52;        ///< Cipher Type not supported
inline constexpr std::uint32_t key_agreement_unsupported = 0x53; ///< public key exchange not supported
inline constexpr std::uint32_t auth_tag_unsupported = 0x54;      ///< SRTP auth tag not supported
inline constexpr std::uint32_t sas_unsupported = 0x55;           ///< SAS rendering scheme not supported
inline constexpr std::uint32_t no_shared_secret = 0x56;          ///< no shared secret, DH mode required
inline constexpr std::uint32_t bad_public_value = 0x61;          ///< DH error: pvi or pvr is 1, 0 or p-1
inline constexpr std::uint32_t hvi_mismatch = 0x62;              ///< DH error: hvi != hashed data
inline constexpr std::uint32_t untrusted_mitm = 0x63;            ///< relayed SAS from an untrusted MiTM
inline constexpr std::uint32_t bad_confirm_mac = 0x70;           ///< auth error: bad Confirm MAC
inline constexpr std::uint32_t nonce_reuse = 0x80;               ///< nonce reuse
inline constexpr std::uint32_t equal_zids = 0x90;                ///< equal ZIDs in Hello
inline constexpr std::uint32_t ssrc_collision = 0x91;            ///< SSRC collision
inline constexpr std::uint32_t service_unavailable = 0xa0;       ///< service unavailable
inline constexpr std::uint32_t protocol_timeout = 0xb0;          ///< protocol timeout error
inline constexpr std::uint32_t go_clear_not_allowed = 0x100;     ///< GoClear received, but not allowed
} // namespace error_codes

/// The meaning of an Error message's code (RFC 6189 5.9, Table 8), for logs; "unknown error"
/// for codes outside the table.
constexpr std::string_view describe_error_code(std::uint32_t code) noexcept {
    switch (code) {
    case error_codes::malformed_packet: return "malformed packet";
    case error_codes::critical_software_error: return "critical software error";
    case error_codes::unsupported_version: return "unsupported ZRTP version";
    case error_codes::hello_mismatch: return "Hello components mismatch";
    case error_codes::hash_unsupported: return "hash type not supported";
    case error_codes::cipher_unsupported: return "cipher type not supported";
    case error_codes::key_agreement_unsupported: return "public key exchange not supported";
    case error_codes::auth_tag_unsupported: return "SRTP auth tag not supported";
    case error_codes::sas_unsupported: return "SAS rendering scheme not supported";
    case error_codes::no_shared_secret: return "no shared secret available, DH mode required";
    case error_codes::bad_public_value: return "DH error: bad pvi or pvr";
    case error_codes::hvi_mismatch: return "DH error: hvi != hashed data";
    case error_codes::untrusted_mitm: return "relayed SAS from untrusted MiTM";
    case error_codes::bad_confirm_mac: return "auth error: bad Confirm MAC";
    case error_codes::nonce_reuse: return "nonce reuse";
    case error_codes::equal_zids: return "equal ZIDs in Hello";
    case error_codes::ssrc_collision: return "SSRC collision";
    case error_codes::service_unavailable: return "service unavailable";
    case error_codes::protocol_timeout: return "protocol timeout error";
    case error_codes::go_clear_not_allowed: return "GoClear received, but not allowed";
    }
    return "unknown error";
}

// ---- Messages (RFC 6189 5.2-5.16) -----------------------------------------------------------

/// A hash image or preimage H0-H3 (256 bits, RFC 6189 9).
using hash_image = std::array<std::uint8_t, 32>;
/// A ZRTP endpoint identifier (96 bits, RFC 6189 4.9).
using zid_type = std::array<std::uint8_t, 12>;
/// A 64-bit MAC, or a 64-bit truncated hash (rs1IDr, EndpointHash, ...).
using mac_type = std::array<std::uint8_t, 8>;
/// A Client Identifier (4 words of ASCII, RFC 6189 5.2).
using client_id_type = std::array<char, 16>;

/// A Client Identifier from `s`: its first 16 characters, padded with spaces.
constexpr client_id_type make_client_id(std::string_view s) noexcept {
    client_id_type id{};
    for (std::size_t i = 0; i < id.size(); ++i) id[i] = i < s.size() ? s[i] : ' ';
    return id;
}

/// The most entries of an algorithm list in Hello (RFC 6189 5.2: "0 to 7 values").
inline constexpr std::size_t max_algorithms = 7;

/**
 * Hello (RFC 6189 5.2): the sender's version, identity, ZID, capabilities and algorithm
 * preferences. An empty list means "only the mandatory algorithms" (5.2); lists hold at most
 * `max_algorithms` entries. `mac` is HMAC-SHA-256 keyed by the sender's H2 over the message
 * without the MAC (5.2, `locate_mac`), truncated to 64 bits.
 */
struct hello {
    static constexpr message_type type = message_type::hello;
    type_block version{"1.10"};
    client_id_type client_id{};
    hash_image h3{};
    zid_type zid{};
    bool signature_capable = false; ///< S: can parse and verify SAS signatures
    bool mitm = false;              ///< M: a trusted MiTM (PBX) that may send SASrelay
    bool passive = false;           ///< P: never sends Commit
    std::vector<type_block> hashes;
    std::vector<type_block> ciphers;
    std::vector<type_block> auth_tags;
    std::vector<type_block> key_agreements;
    std::vector<type_block> sas_types;
    mac_type mac{};
    friend bool operator==(const hello&, const hello&) = default;
};

/// What a Commit starts (RFC 6189 5.4): a DH exchange, or one of the two non-DH modes.
enum class commit_mode { dh, multistream, preshared };

/**
 * Commit (RFC 6189 5.4). The layout follows the key agreement type: "Mult" carries a nonce
 * (25 words), "Prsh" a nonce and a key ID (27 words), any other type hvi (29 words). Fields of
 * the other layouts are ignored by `encode` and left zero by `parse_message`. `mac` is keyed
 * by the sender's H1 over the message without the MAC.
 */
struct commit {
    static constexpr message_type type = message_type::commit;
    hash_image h2{};
    zid_type zid{};
    type_block hash;
    type_block cipher;
    type_block auth_tag;
    type_block key_agreement;
    type_block sas;
    hash_image hvi{};                     ///< DH mode: hash(DHPart2 || responder's Hello)
    std::array<std::uint8_t, 16> nonce{}; ///< Multistream and Preshared modes
    mac_type key_id{};                    ///< Preshared mode
    mac_type mac{};

    /// Which layout this Commit has, from `key_agreement`.
    constexpr commit_mode mode() const noexcept {
        if (key_agreement == type_block{"Mult"}) return commit_mode::multistream;
        if (key_agreement == type_block{"Prsh"}) return commit_mode::preshared;
        return commit_mode::dh;
    }
    friend bool operator==(const commit&, const commit&) = default;
};

/**
 * DHPart1 (RFC 6189 5.5, `Type` = `message_type::dh_part1`, fields ending in "r") and DHPart2
 * (5.6, `dh_part2`, fields ending in "i"): the sender's H1, the IDs of its shared secrets and
 * its public value. `pv` is whole words, at least one; its size is the key agreement's
 * (`pv_size`), which only the Commit tells: check it there. `mac` is keyed by the sender's H0.
 */
template <message_type Type>
struct basic_dh_part {
    static constexpr message_type type = Type;
    hash_image h1{};
    mac_type rs1_id{};
    mac_type rs2_id{};
    mac_type aux_secret_id{};
    mac_type pbx_secret_id{};
    std::vector<std::uint8_t> pv;
    mac_type mac{};
    friend bool operator==(const basic_dh_part&, const basic_dh_part&) = default;
};
using dh_part1 = basic_dh_part<message_type::dh_part1>;
using dh_part2 = basic_dh_part<message_type::dh_part2>;

/// The shortest encrypted part of Confirm and SASrelay: 10 words (RFC 6189 5.7, 5.13).
inline constexpr std::size_t min_encrypted_size = 40;
/// The longest signature (type block included): the 9-bit sig len, in words (5.7).
inline constexpr std::size_t max_signature_size = 511 * 4;

/**
 * Confirm1/Confirm2 (RFC 6189 5.7) and SASrelay (5.13): a MAC, the CFB IV, and the encrypted
 * part as received. `mac` (confirm_mac) covers `encrypted` (4.6, `locate_mac`). Decrypt
 * `encrypted` with AES-CFB, then read it with `parse_confirm_body`; build it with
 * `encode_confirm_body`, then encrypt. Its size is whole words, from 40 to 40 + 2044 octets.
 */
template <message_type Type>
struct basic_encrypted {
    static constexpr message_type type = Type;
    mac_type mac{};
    std::array<std::uint8_t, 16> iv{};
    std::vector<std::uint8_t> encrypted;
    friend bool operator==(const basic_encrypted&, const basic_encrypted&) = default;
};
using confirm1 = basic_encrypted<message_type::confirm1>;
using confirm2 = basic_encrypted<message_type::confirm2>;
using sas_relay = basic_encrypted<message_type::sas_relay>;

/// The messages with nothing but their type (3 words): HelloACK, Conf2ACK, ErrorACK,
/// ClearACK, RelayACK (RFC 6189 5.3, 5.8, 5.10, 5.12, 5.14).
template <message_type Type>
struct basic_ack {
    static constexpr message_type type = Type;
    friend constexpr bool operator==(const basic_ack&, const basic_ack&) noexcept = default;
};
using hello_ack = basic_ack<message_type::hello_ack>;
using conf2_ack = basic_ack<message_type::conf2_ack>;
using error_ack = basic_ack<message_type::error_ack>;
using clear_ack = basic_ack<message_type::clear_ack>;
using relay_ack = basic_ack<message_type::relay_ack>;

/// Error (RFC 6189 5.9): `code` is one of `error_codes` (others are carried as received).
struct error {
    static constexpr message_type type = message_type::error;
    std::uint32_t code = 0;
    friend constexpr bool operator==(const error&, const error&) noexcept = default;
};

/// GoClear (RFC 6189 5.11): `clear_mac` = MAC(mackey, "GoClear ") (4.7.2).
struct go_clear {
    static constexpr message_type type = message_type::go_clear;
    mac_type clear_mac{};
    friend bool operator==(const go_clear&, const go_clear&) = default;
};

/// Ping (RFC 6189 5.15), sent by ZRTP proxies only.
struct ping {
    static constexpr message_type type = message_type::ping;
    type_block version{"1.10"};
    mac_type endpoint_hash{};
    friend bool operator==(const ping&, const ping&) = default;
};

/// PingACK (RFC 6189 5.16): every endpoint answers a Ping with one.
struct ping_ack {
    static constexpr message_type type = message_type::ping_ack;
    type_block version{"1.10"};
    mac_type sender_endpoint_hash{}; ///< of the PingACK's sender
    mac_type ping_endpoint_hash{};   ///< of the Ping received
    std::uint32_t ping_ssrc = 0;     ///< from the header of the Ping packet received
    friend bool operator==(const ping_ack&, const ping_ack&) = default;
};

/// Any message; the alternatives are in `message_type` order (`index()` is the type).
using message = std::variant<hello, hello_ack, commit, dh_part1, dh_part2, confirm1, confirm2, conf2_ack,
                             error, error_ack, go_clear, clear_ack, sas_relay, relay_ack, ping, ping_ack>;

/// The type of `m`.
inline message_type type_of(const message& m) noexcept { return static_cast<message_type>(m.index()); }

/**
 * The plaintext of the encrypted part of Confirm1/Confirm2 (RFC 6189 5.7).
 * `signature` is the signature type block followed by the signature block (4.8 / 7.2),
 * padded to whole words, empty when there is none; at most `max_signature_size` octets.
 */
struct confirm_body {
    hash_image h0{};
    bool e = false;                     ///< PBX enrollment (7.3.1)
    bool v = false;                     ///< SAS verified (7.1)
    bool a = false;                     ///< allow clear (4.7.2)
    bool d = false;                     ///< disclosure (11)
    std::uint32_t cache_expiration = 0; ///< seconds; 0xffffffff: never (4.9)
    std::vector<std::uint8_t> signature;
    friend bool operator==(const confirm_body&, const confirm_body&) = default;
};

// ---- Parsing --------------------------------------------------------------------------------

namespace detail {

// Reads fields in order; every read is within the span because the caller has checked the
// message length against its layout first.
struct reader {
    bytes p;
    std::size_t at = 0;
    template <std::size_t N>
    std::array<std::uint8_t, N> array() noexcept {
        std::array<std::uint8_t, N> a{};
        for (std::size_t i = 0; i < N; ++i) a[i] = p[at + i];
        at += N;
        return a;
    }
    type_block block() noexcept {
        type_block b;
        for (std::size_t i = 0; i < 4; ++i) b.chars[i] = static_cast<char>(p[at + i]);
        at += 4;
        return b;
    }
    std::uint32_t u32() noexcept {
        std::uint32_t v = be32(p, at);
        at += 4;
        return v;
    }
    std::vector<std::uint8_t> rest(std::size_t keep) {
        auto first = p.begin() + static_cast<std::ptrdiff_t>(at);
        auto last = p.end() - static_cast<std::ptrdiff_t>(keep);
        at = p.size() - keep;
        return std::vector<std::uint8_t>(first, last);
    }
};

// RFC 6189 5.1: preamble 0x505a, a length in words that is the whole message, a known type.
inline result<message_type> message_header(bytes m) noexcept {
    if (m.size() < min_message_size || m.size() % 4 != 0) return zrtp_errc::bad_message;
    if (m[0] != 0x50 || m[1] != 0x5a) return zrtp_errc::bad_message;
    if (std::size_t{be16(m, 2)} * 4 != m.size()) return zrtp_errc::bad_message;
    std::string_view name(reinterpret_cast<const char*>(m.data() + 4), 8);
    for (std::size_t i = 0; i < type_names.size(); ++i)
        if (type_names[i] == name) return static_cast<message_type>(i);
    return zrtp_errc::unknown_message;
}

// Octets of each fixed-size message; 0 for the variable ones.
constexpr std::size_t fixed_size(message_type t) noexcept {
    switch (t) {
    case message_type::hello_ack:
    case message_type::conf2_ack:
    case message_type::error_ack:
    case message_type::clear_ack:
    case message_type::relay_ack: return 12;
    case message_type::error: return 16;
    case message_type::go_clear: return 20;
    case message_type::ping: return 24;
    case message_type::ping_ack: return 36;
    default: return 0;
    }
}

// Hello before its lists: header 12, version 4, client id 16, H3 32, ZID 12, flags 4.
inline constexpr std::size_t hello_lists_at = 80;
// Commit: header 12, H2 32, ZID 12, five type blocks 20; then hvi | nonce | nonce + key ID.
inline constexpr std::size_t commit_variable_at = 76;
// DHPart: header 12, H1 32, four secret IDs 32; then pv, MAC.
inline constexpr std::size_t dh_pv_at = 76;
// Confirm, SASrelay: header 12, MAC 8, IV 16; then the encrypted part.
inline constexpr std::size_t encrypted_at = 36;

inline result<message> parse_hello(bytes m) {
    if (m.size() < hello_lists_at + 8) return zrtp_errc::bad_message;
    reader r{m, 12};
    hello h;
    h.version = r.block();
    for (char& c : h.client_id) c = static_cast<char>(m[r.at++]);
    h.h3 = r.array<32>();
    h.zid = r.array<12>();
    std::uint32_t flags = r.u32();
    // 0|S|M|P, 8 unused bits (ignored on receipt), then hc cc ac kc sc, 4 bits each
    h.signature_capable = (flags & 0x40000000u) != 0;
    h.mitm = (flags & 0x20000000u) != 0;
    h.passive = (flags & 0x10000000u) != 0;
    std::vector<type_block>* lists[] = {&h.hashes, &h.ciphers, &h.auth_tags, &h.key_agreements, &h.sas_types};
    std::size_t counts[5];
    std::size_t total = 0;
    for (std::size_t i = 0; i < 5; ++i) {
        counts[i] = (flags >> (16 - 4 * i)) & 0xfu;
        if (counts[i] > max_algorithms) return zrtp_errc::bad_message;
        total += counts[i];
    }
    if (m.size() != hello_lists_at + 4 * total + 8) return zrtp_errc::bad_message;
    for (std::size_t i = 0; i < 5; ++i) {
        lists[i]->reserve(counts[i]);
        for (std::size_t k = 0; k < counts[i]; ++k) lists[i]->push_back(r.block());
    }
    h.mac = r.array<8>();
    return message{std::move(h)};
}

inline result<message> parse_commit(bytes m) {
    if (m.size() < commit_variable_at) return zrtp_errc::bad_message;
    reader r{m, 12};
    commit c;
    c.h2 = r.array<32>();
    c.zid = r.array<12>();
    c.hash = r.block();
    c.cipher = r.block();
    c.auth_tag = r.block();
    c.key_agreement = r.block();
    c.sas = r.block();
    switch (c.mode()) {
    case commit_mode::dh:
        if (m.size() != 116) return zrtp_errc::bad_message; // 29 words
        c.hvi = r.array<32>();
        break;
    case commit_mode::multistream:
        if (m.size() != 100) return zrtp_errc::bad_message; // 25 words
        c.nonce = r.array<16>();
        break;
    case commit_mode::preshared:
        if (m.size() != 108) return zrtp_errc::bad_message; // 27 words
        c.nonce = r.array<16>();
        c.key_id = r.array<8>();
        break;
    }
    c.mac = r.array<8>();
    return message{std::move(c)};
}

template <message_type Type>
result<message> parse_dh_part(bytes m) {
    if (m.size() < dh_pv_at + 4 + 8) return zrtp_errc::bad_message; // a pv of one word at least
    reader r{m, 12};
    basic_dh_part<Type> d;
    d.h1 = r.array<32>();
    d.rs1_id = r.array<8>();
    d.rs2_id = r.array<8>();
    d.aux_secret_id = r.array<8>();
    d.pbx_secret_id = r.array<8>();
    d.pv = r.rest(8);
    d.mac = r.array<8>();
    return message{std::move(d)};
}

template <message_type Type>
result<message> parse_encrypted(bytes m) {
    if (m.size() < encrypted_at + min_encrypted_size ||
        m.size() > encrypted_at + min_encrypted_size + max_signature_size)
        return zrtp_errc::bad_message;
    reader r{m, 12};
    basic_encrypted<Type> e;
    e.mac = r.array<8>();
    e.iv = r.array<16>();
    e.encrypted = r.rest(0);
    return message{std::move(e)};
}

} // namespace detail

/**
 * Parses one message from its exact octets (`packet_view::message`, RFC 6189 5.1-5.16).
 *
 * @returns the message; `zrtp_errc::unknown_message` for a type block not in RFC 6189 Table 1;
 * `zrtp_errc::bad_message` for a wrong preamble, a length field that is not the number of
 * words received, or fields that do not fit the type's layout (a Hello count over 7 or lists
 * that do not end at the MAC, a Commit whose size is not its mode's, a DHPart without a public
 * value, a Confirm/SASrelay encrypted part under 40 or over 2084 octets, a fixed-size message
 * of another size).
 */
TANDEM_DECL result<message> parse_message(bytes m) {
    auto t = detail::message_header(m);
    if (!t) return t.error();
    if (std::size_t n = detail::fixed_size(*t); n != 0 && m.size() != n) return zrtp_errc::bad_message;
    detail::reader r{m, 12};
    switch (*t) {
    case message_type::hello: return detail::parse_hello(m);
    case message_type::hello_ack: return message{hello_ack{}};
    case message_type::commit: return detail::parse_commit(m);
    case message_type::dh_part1: return detail::parse_dh_part<message_type::dh_part1>(m);
    case message_type::dh_part2: return detail::parse_dh_part<message_type::dh_part2>(m);
    case message_type::confirm1: return detail::parse_encrypted<message_type::confirm1>(m);
    case message_type::confirm2: return detail::parse_encrypted<message_type::confirm2>(m);
    case message_type::conf2_ack: return message{conf2_ack{}};
    case message_type::error: return message{error{r.u32()}};
    case message_type::error_ack: return message{error_ack{}};
    case message_type::go_clear: return message{go_clear{r.array<8>()}};
    case message_type::clear_ack: return message{clear_ack{}};
    case message_type::sas_relay: return detail::parse_encrypted<message_type::sas_relay>(m);
    case message_type::relay_ack: return message{relay_ack{}};
    case message_type::ping: {
        ping p;
        p.version = r.block();
        p.endpoint_hash = r.array<8>();
        return message{p};
    }
    case message_type::ping_ack: {
        ping_ack p;
        p.version = r.block();
        p.sender_endpoint_hash = r.array<8>();
        p.ping_endpoint_hash = r.array<8>();
        p.ping_ssrc = r.u32();
        return message{p};
    }
    }
    return zrtp_errc::unknown_message;
}

/**
 * Parses the decrypted encrypted part of a Confirm1/Confirm2 (RFC 6189 5.7): H0, the flags
 * word (unused bits ignored), the cache expiration interval, then exactly sig len words of
 * signature.
 *
 * @returns `zrtp_errc::bad_message` when `plaintext` is under 40 octets or its size is not 40
 * plus 4 * sig len (a wrong key decrypts to such noise; so does a bad confirm_mac, which the
 * caller checks first).
 */
TANDEM_DECL result<confirm_body> parse_confirm_body(bytes plaintext) {
    if (plaintext.size() < min_encrypted_size) return zrtp_errc::bad_message;
    detail::reader r{plaintext, 0};
    confirm_body b;
    b.h0 = r.array<32>();
    std::uint32_t flags = r.u32();
    // 15 unused bits | sig len (9 bits) | 0000 | E V A D
    std::size_t sig_words = (flags >> 8) & 0x1ffu;
    if (plaintext.size() != min_encrypted_size + 4 * sig_words) return zrtp_errc::bad_message;
    b.e = (flags & 0x8u) != 0;
    b.v = (flags & 0x4u) != 0;
    b.a = (flags & 0x2u) != 0;
    b.d = (flags & 0x1u) != 0;
    b.cache_expiration = r.u32();
    b.signature = r.rest(0);
    return b;
}

// ---- Encoding -------------------------------------------------------------------------------

namespace detail {
// Preamble, length (the whole message, in words) and type block.
inline std::vector<std::uint8_t> begin_message(message_type t, std::size_t size) {
    if (size % 4 != 0 || size / 4 > 0xffff) throw std::invalid_argument("zrtp: message length");
    std::vector<std::uint8_t> out;
    out.reserve(size);
    out.push_back(0x50);
    out.push_back(0x5a);
    put16(out, static_cast<std::uint16_t>(size / 4));
    put(out, type_block_of(t));
    return out;
}
inline void put(std::vector<std::uint8_t>& out, type_block b) { put(out, b.chars); }
} // namespace detail

/**
 * Encodes a Hello (RFC 6189 5.2), with `h.mac` as its MAC.
 * @throws std::invalid_argument if a list has more than `max_algorithms` entries.
 */
TANDEM_DECL std::vector<std::uint8_t> encode(const hello& h) {
    const std::vector<type_block>* lists[] = {&h.hashes, &h.ciphers, &h.auth_tags, &h.key_agreements,
                                              &h.sas_types};
    std::uint32_t flags = (h.signature_capable ? 0x40000000u : 0u) | (h.mitm ? 0x20000000u : 0u) |
                          (h.passive ? 0x10000000u : 0u);
    std::size_t total = 0;
    for (std::size_t i = 0; i < 5; ++i) {
        if (lists[i]->size() > max_algorithms) throw std::invalid_argument("zrtp: Hello list over 7");
        flags |= static_cast<std::uint32_t>(lists[i]->size()) << (16 - 4 * i);
        total += lists[i]->size();
    }
    auto out = detail::begin_message(message_type::hello, detail::hello_lists_at + 4 * total + 8);
    detail::put(out, h.version);
    detail::put(out, h.client_id);
    detail::put(out, h.h3);
    detail::put(out, h.zid);
    detail::put32(out, flags);
    for (const auto* list : lists)
        for (type_block b : *list) detail::put(out, b);
    detail::put(out, h.mac);
    return out;
}

/// Encodes a Commit (RFC 6189 5.4) in the layout of `c.mode()`, with `c.mac` as its MAC.
TANDEM_DECL std::vector<std::uint8_t> encode(const commit& c) {
    commit_mode mode = c.mode();
    std::size_t size = mode == commit_mode::dh ? 116 : mode == commit_mode::multistream ? 100 : 108;
    auto out = detail::begin_message(message_type::commit, size);
    detail::put(out, c.h2);
    detail::put(out, c.zid);
    for (type_block b : {c.hash, c.cipher, c.auth_tag, c.key_agreement, c.sas}) detail::put(out, b);
    if (mode == commit_mode::dh)
        detail::put(out, c.hvi);
    else
        detail::put(out, c.nonce);
    if (mode == commit_mode::preshared) detail::put(out, c.key_id);
    detail::put(out, c.mac);
    return out;
}

/**
 * Encodes a DHPart1 or DHPart2 (RFC 6189 5.5, 5.6), with `d.mac` as its MAC.
 * @throws std::invalid_argument if `d.pv` is empty, not whole words, or too long for a message.
 */
template <message_type Type>
std::vector<std::uint8_t> encode(const basic_dh_part<Type>& d) {
    if (d.pv.empty() || d.pv.size() % 4 != 0) throw std::invalid_argument("zrtp: DH public value size");
    auto out = detail::begin_message(Type, detail::dh_pv_at + d.pv.size() + 8);
    detail::put(out, d.h1);
    for (const mac_type& id : {d.rs1_id, d.rs2_id, d.aux_secret_id, d.pbx_secret_id}) detail::put(out, id);
    detail::put(out, d.pv);
    detail::put(out, d.mac);
    return out;
}

/**
 * Encodes a Confirm1, Confirm2 or SASrelay (RFC 6189 5.7, 5.13) around its encrypted part.
 * @throws std::invalid_argument if `e.encrypted` is not whole words from 40 to 2084 octets.
 */
template <message_type Type>
std::vector<std::uint8_t> encode(const basic_encrypted<Type>& e) {
    if (e.encrypted.size() < min_encrypted_size || e.encrypted.size() % 4 != 0 ||
        e.encrypted.size() > min_encrypted_size + max_signature_size)
        throw std::invalid_argument("zrtp: encrypted part size");
    auto out = detail::begin_message(Type, detail::encrypted_at + e.encrypted.size());
    detail::put(out, e.mac);
    detail::put(out, e.iv);
    detail::put(out, e.encrypted);
    return out;
}

/// Encodes a HelloACK, Conf2ACK, ErrorACK, ClearACK or RelayACK (3 words).
template <message_type Type>
std::vector<std::uint8_t> encode(const basic_ack<Type>&) {
    return detail::begin_message(Type, 12);
}

/// Encodes an Error (RFC 6189 5.9).
TANDEM_DECL std::vector<std::uint8_t> encode(const error& e) {
    auto out = detail::begin_message(message_type::error, 16);
    detail::put32(out, e.code);
    return out;
}

/// Encodes a GoClear (RFC 6189 5.11).
TANDEM_DECL std::vector<std::uint8_t> encode(const go_clear& g) {
    auto out = detail::begin_message(message_type::go_clear, 20);
    detail::put(out, g.clear_mac);
    return out;
}

/// Encodes a Ping (RFC 6189 5.15).
TANDEM_DECL std::vector<std::uint8_t> encode(const ping& p) {
    auto out = detail::begin_message(message_type::ping, 24);
    detail::put(out, p.version);
    detail::put(out, p.endpoint_hash);
    return out;
}

/// Encodes a PingACK (RFC 6189 5.16).
TANDEM_DECL std::vector<std::uint8_t> encode(const ping_ack& p) {
    auto out = detail::begin_message(message_type::ping_ack, 36);
    detail::put(out, p.version);
    detail::put(out, p.sender_endpoint_hash);
    detail::put(out, p.ping_endpoint_hash);
    detail::put32(out, p.ping_ssrc);
    return out;
}

/// Encodes whichever message `m` holds (see the overloads for what throws).
TANDEM_DECL std::vector<std::uint8_t> encode(const message& m) {
    return std::visit([](const auto& x) { return encode(x); }, m);
}

/**
 * The plaintext of a Confirm's encrypted part (RFC 6189 5.7), to encrypt with AES-CFB and
 * carry in `confirm1::encrypted` / `confirm2::encrypted`.
 * @throws std::invalid_argument if `b.signature` is not whole words or longer than
 * `max_signature_size`.
 */
TANDEM_DECL std::vector<std::uint8_t> encode_confirm_body(const confirm_body& b) {
    if (b.signature.size() % 4 != 0 || b.signature.size() > max_signature_size)
        throw std::invalid_argument("zrtp: Confirm signature size");
    std::vector<std::uint8_t> out;
    out.reserve(min_encrypted_size + b.signature.size());
    detail::put(out, b.h0);
    std::uint32_t flags = static_cast<std::uint32_t>(b.signature.size() / 4) << 8 | (b.e ? 0x8u : 0u) |
                          (b.v ? 0x4u : 0u) | (b.a ? 0x2u : 0u) | (b.d ? 0x1u : 0u);
    detail::put32(out, flags);
    detail::put32(out, b.cache_expiration);
    detail::put(out, b.signature);
    return out;
}

// ---- MACs -----------------------------------------------------------------------------------

/// Where a message's MAC lies and what it covers.
struct mac_layout {
    bytes covered;              ///< the octets the MAC is computed over
    std::size_t mac_offset = 0; ///< where the 8 octets of the MAC start in the message
};

/**
 * Locates the MAC of an encoded or received message (checked as `parse_message` checks its
 * header and minimum size):
 * - Hello, Commit, DHPart1, DHPart2: the last 8 octets; it covers the whole message before them
 *   (RFC 6189 5.2, 5.4-5.6), keyed by H2, H1, H0 (9).
 * - Confirm1, Confirm2, SASrelay: octets 12-19 (confirm_mac); it covers the encrypted part, from
 *   octet 36 to the end (5.7, 5.13, 4.6).
 * - GoClear: octets 12-19 (clear_mac); it covers the type block "GoClear " (4.7.2).
 *
 * To send: encode with a zero MAC, compute the MAC over `covered`, write it at `mac_offset`
 * (or set the struct's field and encode again: the covered octets do not change).
 *
 * @returns `zrtp_errc::bad_message` for a malformed message or a type without a MAC,
 * `zrtp_errc::unknown_message` for an unknown type.
 */
TANDEM_DECL result<mac_layout> locate_mac(bytes m) noexcept {
    auto t = detail::message_header(m);
    if (!t) return t.error();
    switch (*t) {
    case message_type::hello:
    case message_type::commit:
    case message_type::dh_part1:
    case message_type::dh_part2: {
        std::size_t least = *t == message_type::hello    ? detail::hello_lists_at + 8
                            : *t == message_type::commit ? detail::commit_variable_at + 24
                                                         : detail::dh_pv_at + 12;
        if (m.size() < least) return zrtp_errc::bad_message;
        return mac_layout{m.first(m.size() - 8), m.size() - 8};
    }
    case message_type::confirm1:
    case message_type::confirm2:
    case message_type::sas_relay:
        if (m.size() < detail::encrypted_at + min_encrypted_size) return zrtp_errc::bad_message;
        return mac_layout{m.subspan(detail::encrypted_at), 12};
    case message_type::go_clear:
        if (m.size() != detail::fixed_size(message_type::go_clear)) return zrtp_errc::bad_message;
        return mac_layout{m.subspan(4, 8), 12};
    default: return zrtp_errc::bad_message;
    }
}

} // namespace tandem::zrtp

#endif
