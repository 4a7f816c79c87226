#ifndef TANDEM_BENCHMARKS_RTP_GEN_SRTP_HPP
#define TANDEM_BENCHMARKS_RTP_GEN_SRTP_HPP

/// @file The load generator's own SRTP (RFC 3711 AES_CM_128_HMAC_SHA1_80, RFC 7714
/// AEAD_AES_128_GCM) on OpenSSL's EVP, for `rtp_loadgen --srtp`. Why not libsrtp2: Debian's
/// libsrtp2 is built on NSS, whose per-packet cost grows with the number of live sessions
/// (see benchmarks/README.md), and the generator holds thousands of keys; and a meter that
/// shares no code with what it measures cannot be fooled by it. Only what the benchmark sends:
/// 12-byte RTP headers (no CSRC, no extension), rollover counter 0 (sequence numbers stay below
/// 65536), key derivation rate 0, no MKI. rtp_loadgen cross-checks it against libsrtp2 at
/// start (`self_test`). Plain C++ and OpenSSL, no Tandem.

#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gen_srtp {

enum class suite { cm128_sha1_80, gcm128 };

inline const char* name(suite s) {
    return s == suite::gcm128 ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}
inline std::optional<suite> from_name(std::string_view n) {
    if (n == "AES_CM_128_HMAC_SHA1_80") return suite::cm128_sha1_80;
    if (n == "AEAD_AES_128_GCM") return suite::gcm128;
    return std::nullopt;
}
/// master key || master salt, octets
inline std::size_t key_salt_len(suite s) { return s == suite::gcm128 ? 28 : 30; }
/// authentication tag of SRTP packets, octets
inline std::size_t tag_len(suite s) { return s == suite::gcm128 ? 16 : 10; }

// ---- base64 (RFC 4648), for a=crypto inline: keys ------------------------------------------
inline std::string base64(const std::uint8_t* d, std::size_t n) {
    static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < n; i += 3) {
        std::uint32_t v = std::uint32_t(d[i]) << 16;
        if (i + 1 < n) v |= std::uint32_t(d[i + 1]) << 8;
        if (i + 2 < n) v |= d[i + 2];
        out += a[v >> 18];
        out += a[(v >> 12) & 63];
        out += i + 1 < n ? a[(v >> 6) & 63] : '=';
        out += i + 2 < n ? a[v & 63] : '=';
    }
    return out;
}
/// With or without padding (rtpengine leaves it out); nullopt on anything else.
inline std::optional<std::vector<std::uint8_t>> unbase64(std::string_view s) {
    while (!s.empty() && s.back() == '=') s.remove_suffix(1);
    std::vector<std::uint8_t> out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : s) {
        int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '+'             ? 62
                : c == '/'             ? 63
                                       : -1;
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | std::uint32_t(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(std::uint8_t(acc >> bits));
        }
    }
    return out;
}

/// The keys of one direction (one sender's master key): protects what that sender sends, or
/// checks and decrypts it on arrival. Not copyable.
class session {
public:
    session() = default;
    session(const session&) = delete;
    session& operator=(const session&) = delete;
    session(session&& o) noexcept { *this = std::move(o); }
    session& operator=(session&& o) noexcept {
        std::swap(s_, o.s_);
        std::swap(enc_, o.enc_);
        std::swap(dec_, o.dec_);
        std::swap(mac_, o.mac_);
        std::memcpy(salt_, o.salt_, sizeof salt_);
        master_ = o.master_;
        return *this;
    }
    ~session() {
        if (enc_) EVP_CIPHER_CTX_free(enc_);
        if (dec_) EVP_CIPHER_CTX_free(dec_);
        if (mac_) EVP_MAC_CTX_free(mac_);
    }

    /// Keyed from `key_salt` (`key_salt_len(s)` octets); false on a wrong length or an OpenSSL failure.
    bool init(suite s, const std::vector<std::uint8_t>& key_salt) {
        if (key_salt.size() != key_salt_len(s)) return false;
        s_ = s;
        master_ = key_salt;
        const std::uint8_t* mk = key_salt.data();
        std::uint8_t msalt[14] = {};
        std::memcpy(msalt, mk + 16, key_salt.size() - 16); // GCM: a 96-bit salt, zero-padded
        std::uint8_t ks[16], ka[20];
        if (!kdf(mk, msalt, 0, ks, 16)) return false;
        if (!kdf(mk, msalt, 2, salt_, s == suite::gcm128 ? 12 : 14)) return false;
        enc_ = EVP_CIPHER_CTX_new();
        dec_ = EVP_CIPHER_CTX_new();
        if (!enc_ || !dec_) return false;
        if (s == suite::gcm128) {
            if (EVP_EncryptInit_ex(enc_, EVP_aes_128_gcm(), nullptr, ks, nullptr) != 1) return false;
            if (EVP_DecryptInit_ex(dec_, EVP_aes_128_gcm(), nullptr, ks, nullptr) != 1) return false;
            return true;
        }
        if (EVP_EncryptInit_ex(enc_, EVP_aes_128_ctr(), nullptr, ks, nullptr) != 1) return false;
        if (!kdf(mk, msalt, 1, ka, 20)) return false;
        EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        if (!m) return false;
        mac_ = EVP_MAC_CTX_new(m);
        EVP_MAC_free(m);
        char digest[] = "SHA1";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                               OSSL_PARAM_construct_end()};
        return mac_ && EVP_MAC_init(mac_, ka, sizeof ka, params) == 1;
    }
    explicit operator bool() const { return enc_ != nullptr; }
    const std::vector<std::uint8_t>& master() const { return master_; }

    /// Encrypts and tags `p[0, len)` in place (room for the tag past it); returns the new length or 0.
    std::size_t protect(std::uint8_t* p, std::size_t len) {
        if (len < 12) return 0;
        if (s_ == suite::gcm128) {
            std::uint8_t iv[12];
            gcm_iv(p, iv);
            int l = 0;
            if (EVP_EncryptInit_ex(enc_, nullptr, nullptr, nullptr, iv) != 1 ||
                EVP_EncryptUpdate(enc_, nullptr, &l, p, 12) != 1 ||
                EVP_EncryptUpdate(enc_, p + 12, &l, p + 12, int(len - 12)) != 1 ||
                EVP_EncryptFinal_ex(enc_, p + len, &l) != 1 ||
                EVP_CIPHER_CTX_ctrl(enc_, EVP_CTRL_GCM_GET_TAG, 16, p + len) != 1)
                return 0;
            return len + 16;
        }
        if (!ctr(p, len)) return 0;
        std::uint8_t tag[20];
        if (!hmac(p, len, tag)) return 0;
        std::memcpy(p + len, tag, 10);
        return len + 10;
    }

    /// Checks and decrypts `p[0, len)` in place; returns the plain length, or 0 when it does not
    /// authenticate under this key.
    std::size_t unprotect(std::uint8_t* p, std::size_t len) {
        if (len < 12 + tag_len(s_)) return 0;
        std::size_t n = len - tag_len(s_);
        if (s_ == suite::gcm128) {
            std::uint8_t iv[12];
            gcm_iv(p, iv);
            int l = 0;
            if (EVP_DecryptInit_ex(dec_, nullptr, nullptr, nullptr, iv) != 1 ||
                EVP_DecryptUpdate(dec_, nullptr, &l, p, 12) != 1 ||
                EVP_DecryptUpdate(dec_, p + 12, &l, p + 12, int(n - 12)) != 1 ||
                EVP_CIPHER_CTX_ctrl(dec_, EVP_CTRL_GCM_SET_TAG, 16, p + n) != 1 ||
                EVP_DecryptFinal_ex(dec_, p + n, &l) != 1)
                return 0;
            return n;
        }
        std::uint8_t tag[20];
        if (!hmac(p, n, tag) || CRYPTO_memcmp(tag, p + n, 10) != 0) return 0;
        return ctr(p, n) ? n : 0;
    }

private:
    // RFC 3711 4.3.1 with key_derivation_rate 0 (and RFC 7714 11 for GCM): AES-CM keystream
    // under the master key, IV = (master salt XOR label << 48) * 2^16.
    static bool kdf(const std::uint8_t* mk, const std::uint8_t* msalt, std::uint8_t label, std::uint8_t* out,
                    std::size_t n) {
        std::uint8_t iv[16] = {};
        std::memcpy(iv, msalt, 14);
        iv[7] ^= label;
        std::uint8_t zero[32] = {};
        EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
        int l = 0;
        bool ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), nullptr, mk, iv) == 1 &&
                  EVP_EncryptUpdate(c, out, &l, zero, int(n)) == 1;
        EVP_CIPHER_CTX_free(c);
        return ok;
    }
    // RFC 3711 4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = ROC || SEQ, ROC 0.
    bool ctr(std::uint8_t* p, std::size_t len) {
        std::uint8_t iv[16] = {};
        std::memcpy(iv, salt_, 14);
        for (int i = 0; i < 4; ++i) iv[4 + i] ^= p[8 + i];
        iv[12] ^= p[2];
        iv[13] ^= p[3];
        int l = 0;
        return EVP_EncryptInit_ex(enc_, nullptr, nullptr, nullptr, iv) == 1 &&
               EVP_EncryptUpdate(enc_, p + 12, &l, p + 12, int(len - 12)) == 1;
    }
    // RFC 3711 4.2: HMAC-SHA1 over the packet and the ROC (0).
    bool hmac(const std::uint8_t* p, std::size_t len, std::uint8_t* tag) {
        static const std::uint8_t roc[4] = {};
        std::size_t out = 0;
        return EVP_MAC_init(mac_, nullptr, 0, nullptr) == 1 && EVP_MAC_update(mac_, p, len) == 1 &&
               EVP_MAC_update(mac_, roc, 4) == 1 && EVP_MAC_final(mac_, tag, &out, 20) == 1;
    }
    // RFC 7714 8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt.
    void gcm_iv(const std::uint8_t* p, std::uint8_t* iv) const {
        std::memset(iv, 0, 12);
        std::memcpy(iv + 2, p + 8, 4);
        iv[10] = p[2];
        iv[11] = p[3];
        for (int i = 0; i < 12; ++i) iv[i] ^= salt_[i];
    }

    suite s_ = suite::cm128_sha1_80;
    EVP_CIPHER_CTX* enc_ = nullptr;
    EVP_CIPHER_CTX* dec_ = nullptr;
    EVP_MAC_CTX* mac_ = nullptr;
    std::uint8_t salt_[14] = {};
    std::vector<std::uint8_t> master_;
};

} // namespace gen_srtp

#endif
