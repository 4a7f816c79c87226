#ifndef TANDEM_SRTP_SUITE_HPP
#define TANDEM_SRTP_SUITE_HPP

/// @file The SRTP crypto suites Tandem speaks, with their key sizes and names in SDES
/// (RFC 4568 6.2, RFC 6188, RFC 7714 14.2) and in DTLS-SRTP (RFC 5764 4.1.2, RFC 7714 14.2).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem::srtp {

/// An SRTP crypto suite (protection profile).
enum class suite : std::uint8_t {
    aes_cm_128_hmac_sha1_80,
    aes_cm_128_hmac_sha1_32,
    aes_256_cm_hmac_sha1_80,
    aes_256_cm_hmac_sha1_32,
    aead_aes_128_gcm,
    aead_aes_256_gcm,
};

/// What a suite is made of.
struct suite_info {
    std::string_view name;         ///< the SDES name (`a=crypto`)
    std::string_view dtls_profile; ///< the DTLS-SRTP profile name OpenSSL uses ("" = none)
    std::size_t key_len;           ///< master key, octets
    std::size_t salt_len;          ///< master salt, octets
    std::size_t rtp_tag_len;       ///< authentication tag of SRTP packets, octets
    std::size_t rtcp_tag_len;      ///< of SRTCP packets (the _32 suites use 80 bits there, RFC 4568 6.2.2)
};

inline constexpr std::array<suite, 6> all_suites{
    suite::aes_cm_128_hmac_sha1_80, suite::aes_cm_128_hmac_sha1_32, suite::aes_256_cm_hmac_sha1_80,
    suite::aes_256_cm_hmac_sha1_32, suite::aead_aes_128_gcm,        suite::aead_aes_256_gcm,
};

constexpr suite_info info(suite s) noexcept {
    switch (s) {
    case suite::aes_cm_128_hmac_sha1_80:
        return {"AES_CM_128_HMAC_SHA1_80", "SRTP_AES128_CM_SHA1_80", 16, 14, 10, 10};
    case suite::aes_cm_128_hmac_sha1_32:
        return {"AES_CM_128_HMAC_SHA1_32", "SRTP_AES128_CM_SHA1_32", 16, 14, 4, 10};
    case suite::aes_256_cm_hmac_sha1_80: return {"AES_256_CM_HMAC_SHA1_80", "", 32, 14, 10, 10};
    case suite::aes_256_cm_hmac_sha1_32: return {"AES_256_CM_HMAC_SHA1_32", "", 32, 14, 4, 10};
    case suite::aead_aes_128_gcm: return {"AEAD_AES_128_GCM", "SRTP_AEAD_AES_128_GCM", 16, 12, 16, 16};
    case suite::aead_aes_256_gcm: return {"AEAD_AES_256_GCM", "SRTP_AEAD_AES_256_GCM", 32, 12, 16, 16};
    }
    return {};
}

/// Master key||salt length in octets (the `inline:` key of SDES).
constexpr std::size_t key_salt_len(suite s) noexcept { return info(s).key_len + info(s).salt_len; }

/// The suite an SDES name stands for (case-sensitive, as RFC 4568 registers them).
constexpr std::optional<suite> suite_from_name(std::string_view name) noexcept {
    for (suite s : all_suites)
        if (info(s).name == name) return s;
    return std::nullopt;
}

/// The suite of a DTLS-SRTP profile name (as OpenSSL's `SSL_get_selected_srtp_profile` names it).
constexpr std::optional<suite> suite_from_dtls_profile(std::string_view name) noexcept {
    for (suite s : all_suites)
        if (!info(s).dtls_profile.empty() && info(s).dtls_profile == name) return s;
    return std::nullopt;
}

} // namespace tandem::srtp

#endif
