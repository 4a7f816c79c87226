#ifndef TANDEM_SRTP_SDES_HPP
#define TANDEM_SRTP_SDES_HPP

/// @file SDES keying (RFC 4568): the value of an SDP `a=crypto` attribute, parsed and written,
/// and the base64 of its `inline:` keys. Sans-I/O: strings in, values out; no randomness
/// (the caller brings key bytes) and no exceptions on wire input.

#include <tandem/config.hpp>
#include <tandem/result.hpp>
#include <tandem/srtp/error.hpp>
#include <tandem/srtp/suite.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::srtp {

// ---- base64 (RFC 4648 4, as RFC 4568 6.1 uses it) -----------------------------------------------

namespace detail {

inline constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The 6-bit value of a base64 character, or -1 for any other byte.
constexpr int base64_value(char c) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; } // RFC 5234 B.1 WSP

/// `s` as a decimal number of 1 to `max_digits` digits; nullopt if empty, too long, not all
/// digits, or above 2^64-1. Leading zeros are allowed (the ABNF `1*DIGIT` allows them).
constexpr std::optional<std::uint64_t> parse_decimal(std::string_view s, std::size_t max_digits) noexcept {
    if (s.empty() || s.size() > max_digits) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (!is_digit(c)) return std::nullopt;
        auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

/// ASCII case-insensitive equality (ABNF string literals are case-insensitive, RFC 5234 2.3).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
        char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
        if (x != y) return false;
    }
    return true;
}

} // namespace detail

/**
 * The base64 of `data` (RFC 4648 4), always padded with `=` to a multiple of 4 characters.
 */
TANDEM_DECL std::string base64_encode(std::span<const std::uint8_t> data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        std::uint32_t v =
            std::uint32_t(data[i]) << 16 | std::uint32_t(data[i + 1]) << 8 | std::uint32_t(data[i + 2]);
        out += detail::base64_alphabet[v >> 18];
        out += detail::base64_alphabet[(v >> 12) & 63];
        out += detail::base64_alphabet[(v >> 6) & 63];
        out += detail::base64_alphabet[v & 63];
    }
    std::size_t rest = data.size() - i;
    if (rest > 0) {
        std::uint32_t v = std::uint32_t(data[i]) << 16;
        if (rest == 2) v |= std::uint32_t(data[i + 1]) << 8;
        out += detail::base64_alphabet[v >> 18];
        out += detail::base64_alphabet[(v >> 12) & 63];
        out += rest == 2 ? detail::base64_alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

/**
 * Decodes base64 (RFC 4648 4) with or without its `=` padding.
 *
 * RFC 4568 6.1 has decoders discard the padding, and some SDES implementations leave it out,
 * so both `...Ng==` and `...Ng` decode. Padding, when present, must be the last one or two
 * characters of a text whose length is a multiple of 4. Any other byte outside the alphabet
 * (whitespace, `-`, `_`, controls, ...) makes the whole input invalid. Bits left over in the
 * last character are ignored (RFC 4648 3.5 allows either choice).
 *
 * @return the decoded octets (at most 3/4 of `text.size()`), or nullopt if `text` is not base64.
 */
TANDEM_DECL std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
    std::size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
    if (pad > 0 && text.size() % 4 != 0) return std::nullopt;
    std::string_view body = text.substr(0, text.size() - pad);
    if (body.size() % 4 == 1) return std::nullopt; // 6 bits cannot make an octet
    std::vector<std::uint8_t> out;
    out.reserve(body.size() / 4 * 3 + 2);
    std::uint32_t acc = 0;
    unsigned bits = 0;
    for (char c : body) {
        int v = detail::base64_value(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6 | static_cast<std::uint32_t>(v)) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(acc >> bits));
        }
    }
    return out;
}

// ---- a=crypto ------------------------------------------------------------------------------------

/**
 * One `key-param` of an `a=crypto` line (RFC 4568 6.1, 9.1):
 * `inline:<key||salt base64>[|<lifetime>][|<MKI>:<length>]`.
 */
struct key_param {
    /// The master key followed by the master salt, `key_salt_len(suite)` octets.
    std::vector<std::uint8_t> key_salt;
    /// The master key lifetime in packets (`|2^31` or `|2147483648`); none means the suite's
    /// default (2^48 SRTP packets, RFC 4568 6.2). A `2^n` form takes n <= 63.
    std::optional<std::uint64_t> lifetime;
    /// The master key identifier, if the key carries one (`|1:4`).
    std::optional<std::uint64_t> mki;
    /// The length of the MKI field in SRTP packets, octets (1..128); 0 when `mki` is empty.
    std::size_t mki_length = 0;

    bool operator==(const key_param&) const = default;
};

/**
 * The value of an SDP `a=crypto` attribute (RFC 4568 9.1), i.e. what follows `a=crypto:`:
 * `1 AES_CM_128_HMAC_SHA1_80 inline:KEY[|2^31][|MKI:LEN][;inline:...] [session params]`.
 */
struct crypto_attribute {
    /// The tag that the answer echoes to pick this line (RFC 4568 6.1), 0..999999999.
    unsigned tag = 0;
    /// The crypto suite.
    suite s = suite::aes_cm_128_hmac_sha1_80;
    /// One or more keys (several only with MKIs or lifetimes, RFC 4568 6.1).
    std::vector<key_param> keys;
    /// The session parameters as written (`UNENCRYPTED_SRTCP`, `KDR=10`, `WSH=128`, ...); see
    /// `supported_session_params`.
    std::vector<std::string> session_params;

    bool operator==(const crypto_attribute&) const = default;

    /**
     * The attribute value (without `a=crypto:`), keys always base64 with padding, fields
     * separated by one space, lifetimes from 2^10 up that are powers of two written `2^n`.
     *
     * Precondition: `tag` has at most 9 digits, each key holds `key_salt_len(s)` octets and each
     * key with an MKI has an `mki_length` of 1..128 (as `parse_crypto` and `make_crypto`
     * produce); otherwise the text will not parse back.
     */
    std::string to_string() const {
        std::string out = std::to_string(tag);
        out += ' ';
        out += info(s).name;
        out += ' ';
        for (std::size_t i = 0; i < keys.size(); ++i) {
            const key_param& k = keys[i];
            if (i > 0) out += ';';
            out += "inline:";
            out += base64_encode(k.key_salt);
            if (k.lifetime) {
                out += '|';
                std::uint64_t l = *k.lifetime;
                bool power_of_two = l != 0 && (l & (l - 1)) == 0;
                if (power_of_two && l >= 1024) {
                    unsigned n = 0;
                    while ((std::uint64_t{1} << n) != l) ++n;
                    out += "2^";
                    out += std::to_string(n);
                } else {
                    out += std::to_string(l);
                }
            }
            if (k.mki) {
                out += '|';
                out += std::to_string(*k.mki);
                out += ':';
                out += std::to_string(k.mki_length);
            }
        }
        for (const std::string& p : session_params) {
            out += ' ';
            out += p;
        }
        return out;
    }
};

namespace detail {

// key-info of the "inline" method (RFC 4568 9.1):
//   key-salt ["|" lifetime] ["|" mki]     lifetime = ["2^"] 1*DIGIT     mki = mki-value ":" mki-length
// A field that holds ':' is the MKI, so a lifetime may be left out before it.
inline result<key_param> parse_inline(std::string_view info, suite s) {
    std::string_view fields[3];
    std::size_t n = 0;
    while (true) {
        std::size_t bar = info.find('|');
        if (n == 3) return srtp_errc::bad_crypto_attribute; // more than key|lifetime|mki
        fields[n++] = info.substr(0, bar);
        if (bar == std::string_view::npos) break;
        info.remove_prefix(bar + 1);
    }

    key_param k;
    auto key = base64_decode(fields[0]);
    if (!key || key->size() != key_salt_len(s)) return srtp_errc::bad_key;
    k.key_salt = std::move(*key);

    for (std::size_t i = 1; i < n; ++i) {
        std::string_view f = fields[i];
        std::size_t colon = f.find(':');
        if (colon == std::string_view::npos) {
            // a lifetime: only before the MKI, and only once
            if (i != 1) return srtp_errc::bad_crypto_attribute;
            if (f.size() >= 2 && f[0] == '2' && f[1] == '^') {
                auto e = parse_decimal(f.substr(2), 20);
                if (!e || *e > 63) return srtp_errc::bad_crypto_attribute;
                k.lifetime = std::uint64_t{1} << *e;
            } else {
                auto l = parse_decimal(f, 20);
                if (!l) return srtp_errc::bad_crypto_attribute;
                k.lifetime = *l;
            }
        } else {
            // the MKI ends the key-info
            if (i != n - 1) return srtp_errc::bad_crypto_attribute;
            std::string_view value = f.substr(0, colon);
            auto len = parse_decimal(f.substr(colon + 1), 3); // mki-length = 1*3DIGIT
            if (!len || *len < 1 || *len > 128) return srtp_errc::bad_crypto_attribute;
            if (value.empty()) return srtp_errc::bad_crypto_attribute;
            for (char c : value)
                if (!is_digit(c)) return srtp_errc::bad_crypto_attribute;
            auto mki = parse_decimal(value, 20);
            // grammatical, but an MKI above 2^64-1 is one we cannot hold
            if (!mki) return srtp_errc::unsupported_key_parameters;
            // RFC 4568 6.1: the MKI value must fit in mki-length octets
            if (*len < 8 && (*mki >> (8 * *len)) != 0) return srtp_errc::bad_crypto_attribute;
            k.mki = *mki;
            k.mki_length = static_cast<std::size_t>(*len);
        }
    }
    return k;
}

} // namespace detail

/**
 * Parses the value of an `a=crypto` attribute (RFC 4568 9.1), what follows `a=crypto:`:
 *
 * ```
 * tag 1*WSP crypto-suite 1*WSP key-params *(1*WSP session-param)
 * ```
 *
 * - `tag` is 1 to 9 digits;
 * - `crypto-suite` is one of `suite`'s names (case-sensitive, as registered);
 * - `key-params` is one or more `inline:` keys separated by `;` (see `key_param`); a lifetime
 *   may be left out before an MKI (`inline:KEY|1:4`);
 * - session parameters are kept as written, one string per whitespace-separated token of
 *   visible ASCII.
 *
 * A trailing CR, LF or whitespace is ignored; leading whitespace is not. The input is never
 * copied whole, and what is kept is bounded by its size. Throws only `std::bad_alloc`.
 *
 * @return the attribute, or
 *   - `srtp_errc::unknown_suite` for a well-formed suite name we do not implement
 *     (`F8_128_HMAC_SHA1_80`, `NULL_HMAC_SHA1_32`, ...): the offerer's other lines may do;
 *   - `srtp_errc::bad_key` for a key||salt that is not base64 or not `key_salt_len(suite)` octets;
 *   - `srtp_errc::unsupported_key_parameters` for a key method other than `inline`, or an MKI
 *     above 2^64-1;
 *   - `srtp_errc::bad_crypto_attribute` for anything else that does not follow the grammar.
 */
TANDEM_DECL result<crypto_attribute> parse_crypto(std::string_view value) {
    using detail::is_wsp;
    while (!value.empty() && (is_wsp(value.back()) || value.back() == '\r' || value.back() == '\n'))
        value.remove_suffix(1);

    std::size_t at = 0;
    auto field = [&] { // the next run of non-WSP
        std::size_t begin = at;
        while (at < value.size() && !is_wsp(value[at])) ++at;
        return value.substr(begin, at - begin);
    };
    auto skip_wsp = [&] { // 1*WSP; false if there was none
        std::size_t begin = at;
        while (at < value.size() && is_wsp(value[at])) ++at;
        return at > begin;
    };

    crypto_attribute a;

    auto tag = detail::parse_decimal(field(), 9); // tag = 1*9DIGIT
    if (!tag) return srtp_errc::bad_crypto_attribute;
    a.tag = static_cast<unsigned>(*tag);
    if (!skip_wsp()) return srtp_errc::bad_crypto_attribute;

    std::string_view name = field(); // crypto-suite / suite-ext = 1*(ALPHA / DIGIT / "_")
    if (name.empty()) return srtp_errc::bad_crypto_attribute;
    for (char c : name)
        if (!(detail::is_digit(c) || c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
            return srtp_errc::bad_crypto_attribute;
    auto s = suite_from_name(name);
    if (!s) return srtp_errc::unknown_suite;
    a.s = *s;
    if (!skip_wsp()) return srtp_errc::bad_crypto_attribute;

    // key-params = key-param *(";" key-param); key-param = key-method ":" key-info
    std::string_view params = field();
    while (true) {
        std::size_t semi = params.find(';');
        std::string_view param = params.substr(0, semi);
        std::size_t colon = param.find(':');
        if (colon == std::string_view::npos || colon == 0) return srtp_errc::bad_crypto_attribute;
        if (!detail::iequals(param.substr(0, colon), "inline")) {
            // key-method-ext = 1*(ALPHA / DIGIT / "_")
            for (char c : param.substr(0, colon))
                if (!(detail::is_digit(c) || c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
                    return srtp_errc::bad_crypto_attribute;
            return srtp_errc::unsupported_key_parameters;
        }
        auto k = detail::parse_inline(param.substr(colon + 1), *s);
        if (!k) return k.error();
        a.keys.push_back(std::move(*k));
        if (semi == std::string_view::npos) break;
        params.remove_prefix(semi + 1);
    }

    // *(1*WSP session-param): each a run of VCHAR
    while (skip_wsp()) {
        std::string_view p = field();
        for (char c : p)
            if (c < '!' || c > '~') return srtp_errc::bad_crypto_attribute;
        a.session_params.emplace_back(p);
    }
    if (at != value.size()) return srtp_errc::bad_crypto_attribute; // unreachable: WSP was trimmed
    return a;
}

/**
 * Whether we can honour every session parameter of `a` (RFC 4568 6.3, 6.3.7).
 *
 * We accept only `WSH=n` with n >= 64: the window size hint is a hint (RFC 4568 6.3.7), and
 * our replay window is at least the 64 packets it asks for, so it needs nothing from us.
 * `UNENCRYPTED_SRTP`, `UNENCRYPTED_SRTCP`, `UNAUTHENTICATED_SRTP`, `KDR=`, `FEC_ORDER=`,
 * `FEC_KEY=`, a `WSH` below 64 or not a number, and any parameter we do not know make this
 * false; RFC 4568 6.3 has the answerer then decline that line (the caller skips it, and may
 * report `srtp_errc::unsupported_session_parameter` if no line is left).
 */
TANDEM_DECL bool supported_session_params(const crypto_attribute& a) noexcept {
    for (const std::string& p : a.session_params) {
        std::string_view v = p;
        if (v.size() > 4 && v.substr(0, 4) == "WSH=") {
            std::string_view n = v.substr(4);
            bool digits = true;
            for (char c : n) digits = digits && detail::is_digit(c);
            if (!digits) return false;
            while (n.size() > 1 && n[0] == '0') n.remove_prefix(1);
            // more than 20 significant digits is far above 64
            auto w = detail::parse_decimal(n, 20);
            if (w && *w < 64) return false;
            continue;
        }
        return false;
    }
    return true;
}

/**
 * An attribute offering `key_salt` (master key then salt) for suite `s` under `tag`, with no
 * lifetime, MKI or session parameter: what an offer or answer of ours carries. The key bytes
 * come from the caller's random source.
 *
 * @throws std::invalid_argument if `key_salt` is not `key_salt_len(s)` octets or `tag` has more
 *   than 9 digits (programming errors).
 */
TANDEM_DECL crypto_attribute make_crypto(unsigned tag, suite s, std::span<const std::uint8_t> key_salt) {
    if (key_salt.size() != key_salt_len(s))
        throw std::invalid_argument("tandem: make_crypto: key||salt of the wrong length for the suite");
    if (tag > 999999999u) throw std::invalid_argument("tandem: make_crypto: a tag has at most 9 digits");
    crypto_attribute a;
    a.tag = tag;
    a.s = s;
    a.keys.push_back(key_param{std::vector<std::uint8_t>(key_salt.begin(), key_salt.end()), {}, {}, 0});
    return a;
}

} // namespace tandem::srtp

#endif
