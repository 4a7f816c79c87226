#ifndef TANDEM_SRTP_CONTEXT_HPP
#define TANDEM_SRTP_CONTEXT_HPP

/// @file One direction of SRTP and SRTCP for one leg (RFC 3711, RFC 6188, RFC 7714) on
/// OpenSSL 3: the keys one phone sends with (`inbound`: we check and decrypt) or the keys we
/// send to it with (`outbound`: we encrypt and tag). Packets are transformed in place.
///
/// Why not libsrtp2: Debian's libsrtp2 is built on NSS, which costs several microseconds per
/// packet and grows slower with every live session (benchmarks/README.md); a relay holds four
/// per call. Here each context keeps its own OpenSSL cipher and MAC contexts, keyed once, so a
/// packet costs one IV reset, the cipher and the MAC, whatever the number of calls. The tests
/// hold it to an independent model of the RFCs and to libsrtp2 itself.
///
/// A context carries the rollover counters and replay windows of its SSRCs, so it is kept as
/// long as its key does not change (`same_key`), and a new one is made only for a new key.

#include <tandem/result.hpp>
#include <tandem/srtp/error.hpp>
#include <tandem/srtp/suite.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace tandem::srtp {

/// Whose keys a context holds.
enum class direction {
    inbound, ///< the phone's: we unprotect what it sends
    outbound ///< ours: we protect what we send it
};

/// Room a protected packet needs beyond the plain one: SRTCP's index and the largest tag.
inline constexpr std::size_t max_trailer = 4 + 16;

/// Replay window (packets) per SSRC: wide enough for video bursts reordered by the network
/// (RFC 3711 3.3.2 asks for at least 64).
inline constexpr std::size_t replay_window = 1024;

namespace detail {

struct cipher_ctx_free {
    void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
struct mac_ctx_free {
    void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};
using cipher_ptr = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free>;
using mac_ptr = std::unique_ptr<EVP_MAC_CTX, mac_ctx_free>;

inline std::uint32_t be32(const std::uint8_t* p) noexcept {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}
inline void put_be32(std::uint8_t* p, std::uint32_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

// RFC 3711 4.3.1/4.3.3, key derivation rate 0: AES in counter mode keyed with the master key,
// from IV = (master salt XOR label at octet 7) || 0x0000 (a 12-octet GCM salt padded, RFC 7714
// 11).
inline bool derive(std::span<const std::uint8_t> master_key, std::span<const std::uint8_t> master_salt,
                   std::uint8_t label, std::uint8_t* out, std::size_t n) {
    std::array<std::uint8_t, 16> iv{};
    std::copy(master_salt.begin(), master_salt.end(), iv.begin());
    iv[7] ^= label;
    cipher_ptr c(EVP_CIPHER_CTX_new());
    std::vector<std::uint8_t> zeros(n, 0);
    int len = 0;
    bool ok = c &&
              EVP_EncryptInit_ex(c.get(), master_key.size() == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr(),
                                 nullptr, master_key.data(), iv.data()) == 1 &&
              EVP_EncryptUpdate(c.get(), out, &len, zeros.data(), static_cast<int>(n)) == 1;
    return ok;
}

// What one SSRC has sent: its highest packet index and which of the last `replay_window`
// indexes were seen (RFC 3711 3.3.1, 3.3.2).
struct ssrc_state {
    std::uint32_t ssrc = 0;
    std::uint64_t highest = 0; // SRTP: ROC << 16 | SEQ; SRTCP: the 31-bit index
    std::bitset<replay_window> seen;
    std::uint64_t last_use = 0;
    bool any = false;
};

} // namespace detail

/**
 * One SRTP/SRTCP crypto context for one direction of one leg, any SSRC (a small table of the
 * SSRCs heard or sent, least recently used dropped past 16). Movable, not copyable. Every
 * method on packets works in place on a buffer the caller owns; `protect_*` needs
 * `max_trailer` octets of room past the packet.
 */
class context {
public:
    context() = default;
    context(context&&) noexcept = default;
    context& operator=(context&&) noexcept = default;
    context(const context&) = delete;
    context& operator=(const context&) = delete;
    ~context() {
        if (key_.data()) OPENSSL_cleanse(key_.data(), key_.size());
    }

    /// A context for `s` keyed with master key||salt `key_salt` (`key_salt_len(s)` octets).
    static result<context> make(suite s, std::span<const std::uint8_t> key_salt, direction d) {
        if (key_salt.size() != key_salt_len(s)) return srtp_errc::bad_key;
        const suite_info in = info(s);
        context c;
        c.suite_ = s;
        c.dir_ = d;
        c.gcm_ = in.rtp_tag_len == 16;
        c.key_.assign(key_salt.begin(), key_salt.end());
        auto mk = key_salt.first(in.key_len);
        auto ms = key_salt.subspan(in.key_len);
        std::size_t salt_len = c.gcm_ ? 12 : 14;
        for (std::size_t k = 0; k < 2; ++k) { // 0 SRTP (labels 0-2), 1 SRTCP (labels 3-5)
            auto& x = c.keys_[k];
            std::array<std::uint8_t, 32> enc{};
            std::array<std::uint8_t, 20> auth{};
            auto label = static_cast<std::uint8_t>(3 * k);
            if (!detail::derive(mk, ms, label, enc.data(), in.key_len) ||
                !detail::derive(mk, ms, static_cast<std::uint8_t>(label + 2), x.salt.data(), salt_len))
                return srtp_errc::srtp_failure;
            x.cipher.reset(EVP_CIPHER_CTX_new());
            if (!x.cipher) return srtp_errc::srtp_failure;
            const EVP_CIPHER* cipher = c.gcm_ ? (in.key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm())
                                              : (in.key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr());
            bool enc_dir = d == direction::outbound || !c.gcm_; // CTR is its own inverse
            if (EVP_CipherInit_ex(x.cipher.get(), cipher, nullptr, nullptr, nullptr, enc_dir ? 1 : 0) != 1 ||
                (c.gcm_ && EVP_CIPHER_CTX_ctrl(x.cipher.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) != 1) ||
                EVP_CipherInit_ex(x.cipher.get(), nullptr, nullptr, enc.data(), nullptr, enc_dir ? 1 : 0) !=
                    1)
                return srtp_errc::srtp_failure;
            if (!c.gcm_) {
                if (!detail::derive(mk, ms, static_cast<std::uint8_t>(label + 1), auth.data(), auth.size()))
                    return srtp_errc::srtp_failure;
                EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
                x.mac.reset(hmac ? EVP_MAC_CTX_new(hmac) : nullptr);
                EVP_MAC_free(hmac);
                char digest[] = "SHA1";
                OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                       OSSL_PARAM_construct_end()};
                if (!x.mac || EVP_MAC_init(x.mac.get(), auth.data(), auth.size(), params) != 1)
                    return srtp_errc::srtp_failure;
            }
            OPENSSL_cleanse(enc.data(), enc.size());
            OPENSSL_cleanse(auth.data(), auth.size());
        }
        return c;
    }

    /// Whether this context is keyed (made, not moved from).
    explicit operator bool() const noexcept { return keys_[0].cipher != nullptr; }
    suite crypto_suite() const noexcept { return suite_; }
    /// Whether `key_salt` for `s` is what this context already uses (then keep it: its
    /// rollover counters and replay windows carry on).
    bool same_key(suite s, std::span<const std::uint8_t> key_salt) const noexcept {
        return *this && s == suite_ && key_salt.size() == key_.size() &&
               CRYPTO_memcmp(key_salt.data(), key_.data(), key_.size()) == 0;
    }

    /// SRTP (RFC 3711 3.1, RFC 7714 8): encrypts and tags the RTP packet `data[0, len)`; `len`
    /// grows by the tag.
    result<void> protect_rtp(std::uint8_t* data, std::size_t& len, std::size_t capacity) noexcept {
        std::size_t tag = info(suite_).rtp_tag_len;
        auto hl = header_length(data, len);
        if (!*this || dir_ != direction::outbound || !hl || capacity < len + tag)
            return srtp_errc::srtp_failure;
        std::uint32_t ssrc = detail::be32(data + 8);
        auto seq = static_cast<std::uint16_t>(data[2] << 8 | data[3]);
        detail::ssrc_state& st = state(0, ssrc);
        std::uint64_t index = estimate(st, seq);
        if (!st.any || index > st.highest) st.highest = index;
        st.any = true;
        auto roc = static_cast<std::uint32_t>(index >> 16);
        if (!transform(0, data, *hl, len, ssrc, index, roc, true)) return srtp_errc::srtp_failure;
        len += tag;
        return {};
    }

    /// SRTP: checks and decrypts in place; `len` shrinks. `auth_failed` or `replayed` otherwise.
    result<void> unprotect_rtp(std::uint8_t* data, std::size_t& len) noexcept {
        std::size_t tag = info(suite_).rtp_tag_len;
        if (!*this || dir_ != direction::inbound || len < 12 + tag) return srtp_errc::auth_failed;
        std::size_t body = len - tag;
        auto hl = header_length(data, body);
        if (!hl) return srtp_errc::auth_failed;
        std::uint32_t ssrc = detail::be32(data + 8);
        auto seq = static_cast<std::uint16_t>(data[2] << 8 | data[3]);
        detail::ssrc_state* st = find(0, ssrc);
        std::uint64_t index = st ? estimate(*st, seq) : seq; // a new SSRC starts with ROC 0
        if (st && replayed(*st, index)) return srtp_errc::replayed;
        if (!transform(0, data, *hl, body, ssrc, index, static_cast<std::uint32_t>(index >> 16), false))
            return srtp_errc::auth_failed;
        // authenticated: only now does the SSRC get (or move) its state
        if (!st) st = &state(0, ssrc);
        accept(*st, index);
        len = body;
        return {};
    }

    /// SRTCP (RFC 3711 3.4, RFC 7714 9): encrypts and tags the RTCP compound packet; `len`
    /// grows by the E flag and index, and the tag.
    result<void> protect_rtcp(std::uint8_t* data, std::size_t& len, std::size_t capacity) noexcept {
        std::size_t tag = info(suite_).rtcp_tag_len;
        if (!*this || dir_ != direction::outbound || len < 8 || capacity < len + 4 + tag)
            return srtp_errc::srtp_failure;
        std::uint32_t ssrc = detail::be32(data + 4);
        detail::ssrc_state& st = state(1, ssrc);
        std::uint64_t index = st.any ? (st.highest + 1) & 0x7fffffff : 0;
        st.highest = index;
        st.any = true;
        if (!transform_rtcp(data, len, ssrc, static_cast<std::uint32_t>(index), true))
            return srtp_errc::srtp_failure;
        len += 4 + tag;
        return {};
    }

    /// SRTCP: checks and decrypts in place; `len` shrinks.
    result<void> unprotect_rtcp(std::uint8_t* data, std::size_t& len) noexcept {
        std::size_t tag = info(suite_).rtcp_tag_len;
        if (!*this || dir_ != direction::inbound || len < 8 + 4 + tag) return srtp_errc::auth_failed;
        std::uint32_t ssrc = detail::be32(data + 4);
        std::size_t body = len - tag - 4;
        // E||index: after the tag with AEAD (RFC 7714 9), before it otherwise (RFC 3711 3.4)
        std::uint32_t e_index = detail::be32(data + (gcm_ ? len - 4 : body));
        std::uint32_t index = e_index & 0x7fffffff;
        bool encrypted = (e_index & 0x80000000u) != 0;
        detail::ssrc_state* st = find(1, ssrc);
        if (st && replayed(*st, index)) return srtp_errc::replayed;
        if (!encrypted) return srtp_errc::auth_failed; // we never agree to unencrypted SRTCP
        if (!transform_rtcp(data, body, ssrc, index, false)) return srtp_errc::auth_failed;
        if (!st) st = &state(1, ssrc);
        accept(*st, index);
        len = body;
        return {};
    }

private:
    struct keyed {
        detail::cipher_ptr cipher; // AES-CTR or AES-GCM, keyed with the session key
        detail::mac_ptr mac;       // HMAC-SHA1 with the session auth key (AES-CM suites)
        std::array<std::uint8_t, 14> salt{};
    };

    // The RTP header's length (fixed part, CSRCs, extension), or nothing if it overruns `len`.
    static std::optional<std::size_t> header_length(const std::uint8_t* p, std::size_t len) noexcept {
        if (len < 12 || (p[0] >> 6) != 2) return std::nullopt;
        std::size_t hl = 12 + 4 * std::size_t(p[0] & 0x0f);
        if (p[0] & 0x10) {
            if (len < hl + 4) return std::nullopt;
            hl += 4 + 4 * (std::size_t(p[hl + 2]) << 8 | p[hl + 3]);
        }
        if (hl > len) return std::nullopt;
        return hl;
    }

    // RFC 3711 3.3.1: the index a sequence number stands for, next to the highest seen.
    static std::uint64_t estimate(const detail::ssrc_state& st, std::uint16_t seq) noexcept {
        if (!st.any) return seq;
        auto roc = static_cast<std::int64_t>(st.highest >> 16);
        auto s_l = static_cast<std::uint16_t>(st.highest & 0xffff);
        std::int64_t v = roc;
        if (s_l < 32768) {
            if (seq > s_l && seq - s_l > 32768) v = roc - 1;
        } else if (seq < s_l - 32768) {
            v = roc + 1;
        }
        if (v < 0) v = 0;
        return static_cast<std::uint64_t>(v) << 16 | seq;
    }

    static bool replayed(const detail::ssrc_state& st, std::uint64_t index) noexcept {
        if (!st.any || index > st.highest) return false;
        std::uint64_t back = st.highest - index;
        return back >= replay_window || st.seen.test(static_cast<std::size_t>(back));
    }

    static void accept(detail::ssrc_state& st, std::uint64_t index) noexcept {
        if (!st.any) {
            st.any = true;
            st.highest = index;
            st.seen.reset();
            st.seen.set(0);
            return;
        }
        if (index > st.highest) {
            std::uint64_t shift = index - st.highest;
            st.seen = shift >= replay_window ? std::bitset<replay_window>{}
                                             : st.seen << static_cast<std::size_t>(shift);
            st.seen.set(0);
            st.highest = index;
        } else {
            st.seen.set(static_cast<std::size_t>(st.highest - index));
        }
    }

    detail::ssrc_state* find(std::size_t k, std::uint32_t ssrc) noexcept {
        for (auto& s : ssrcs_[k])
            if (s.ssrc == ssrc) {
                s.last_use = ++clock_;
                return &s;
            }
        return nullptr;
    }

    // The state of `ssrc`, made if new (the least recently used dropped past 16 SSRCs).
    detail::ssrc_state& state(std::size_t k, std::uint32_t ssrc) {
        if (auto* s = find(k, ssrc)) return *s;
        auto& v = ssrcs_[k];
        if (v.size() >= 16) {
            auto old = std::min_element(v.begin(), v.end(),
                                        [](const auto& a, const auto& b) { return a.last_use < b.last_use; });
            v.erase(old);
        }
        v.push_back({});
        v.back().ssrc = ssrc;
        v.back().last_use = ++clock_;
        return v.back();
    }

    // SRTP, both directions: `len` is the packet without its tag.
    bool transform(std::size_t k, std::uint8_t* p, std::size_t hl, std::size_t len, std::uint32_t ssrc,
                   std::uint64_t index, std::uint32_t roc, bool out) noexcept {
        keyed& x = keys_[k];
        std::size_t tag = info(suite_).rtp_tag_len;
        int n = 0;
        if (gcm_) {
            // RFC 7714 8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt; the header is AAD
            std::array<std::uint8_t, 12> iv{};
            detail::put_be32(iv.data() + 2, ssrc);
            detail::put_be32(iv.data() + 6, roc);
            iv[10] = p[2];
            iv[11] = p[3];
            for (std::size_t i = 0; i < 12; ++i) iv[i] ^= x.salt[i];
            EVP_CIPHER_CTX* c = x.cipher.get();
            if (EVP_CipherInit_ex(c, nullptr, nullptr, nullptr, iv.data(), -1) != 1 ||
                EVP_CipherUpdate(c, nullptr, &n, p, static_cast<int>(hl)) != 1)
                return false;
            if (!out && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, p + len) != 1) return false;
            if (EVP_CipherUpdate(c, p + hl, &n, p + hl, static_cast<int>(len - hl)) != 1) return false;
            if (EVP_CipherFinal_ex(c, p + len, &n) != 1) return false; // the tag fails here inbound
            return !out || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, p + len) == 1;
        }
        // RFC 3711 4.2: tag = HMAC-SHA1(packet || ROC), over the encrypted packet
        std::array<std::uint8_t, 4> roc_be{};
        detail::put_be32(roc_be.data(), roc);
        if (!out && !check_tag(x, p, len, roc_be, p + len, tag)) return false;
        // RFC 3711 4.1.1: IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16)
        std::array<std::uint8_t, 16> iv{};
        std::copy(x.salt.begin(), x.salt.end(), iv.begin());
        for (std::size_t i = 0; i < 4; ++i) iv[4 + i] ^= static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
        for (std::size_t i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<std::uint8_t>(index >> (40 - 8 * i));
        if (EVP_EncryptInit_ex(x.cipher.get(), nullptr, nullptr, nullptr, iv.data()) != 1 ||
            EVP_EncryptUpdate(x.cipher.get(), p + hl, &n, p + hl, static_cast<int>(len - hl)) != 1)
            return false;
        if (out) return make_tag(x, p, len, roc_be, p + len, tag);
        return true;
    }

    // SRTCP, both directions: `len` is the packet without E||index and tag.
    bool transform_rtcp(std::uint8_t* p, std::size_t len, std::uint32_t ssrc, std::uint32_t index,
                        bool out) noexcept {
        keyed& x = keys_[1];
        std::size_t tag = info(suite_).rtcp_tag_len;
        std::array<std::uint8_t, 4> e_index{};
        detail::put_be32(e_index.data(), index | 0x80000000u);
        int n = 0;
        if (gcm_) {
            // RFC 7714 9.1: IV = (0x0000 || SSRC || 0x0000 || index) XOR salt; AAD = the first 8
            // octets and E||index; layout: header, ciphertext, tag, E||index
            std::array<std::uint8_t, 12> iv{};
            detail::put_be32(iv.data() + 2, ssrc);
            detail::put_be32(iv.data() + 8, index);
            for (std::size_t i = 0; i < 12; ++i) iv[i] ^= x.salt[i];
            EVP_CIPHER_CTX* c = x.cipher.get();
            std::uint8_t* trailer = p + len + tag; // E||index after the tag
            if (out) std::copy(e_index.begin(), e_index.end(), trailer);
            if (EVP_CipherInit_ex(c, nullptr, nullptr, nullptr, iv.data(), -1) != 1 ||
                EVP_CipherUpdate(c, nullptr, &n, p, 8) != 1 ||
                EVP_CipherUpdate(c, nullptr, &n, trailer, 4) != 1)
                return false;
            if (!out && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, p + len) != 1) return false;
            if (EVP_CipherUpdate(c, p + 8, &n, p + 8, static_cast<int>(len - 8)) != 1) return false;
            if (EVP_CipherFinal_ex(c, p + len, &n) != 1) return false;
            return !out || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, p + len) == 1;
        }
        // RFC 3711 3.4: E||index after the (encrypted) packet, then the tag over both
        std::uint8_t* trailer = p + len;
        if (!out && !check_tag(x, p, len + 4, {}, p + len + 4, tag)) return false;
        std::array<std::uint8_t, 16> iv{};
        std::copy(x.salt.begin(), x.salt.end(), iv.begin());
        for (std::size_t i = 0; i < 4; ++i) iv[4 + i] ^= static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
        for (std::size_t i = 0; i < 4; ++i) iv[10 + i] ^= static_cast<std::uint8_t>(index >> (24 - 8 * i));
        if (EVP_EncryptInit_ex(x.cipher.get(), nullptr, nullptr, nullptr, iv.data()) != 1 ||
            EVP_EncryptUpdate(x.cipher.get(), p + 8, &n, p + 8, static_cast<int>(len - 8)) != 1)
            return false;
        if (!out) return true;
        std::copy(e_index.begin(), e_index.end(), trailer);
        return make_tag(x, p, len + 4, {}, p + len + 4, tag);
    }

    static bool mac(keyed& x, const std::uint8_t* p, std::size_t len, std::span<const std::uint8_t> extra,
                    std::array<std::uint8_t, 20>& md) noexcept {
        std::size_t out = 0;
        return EVP_MAC_init(x.mac.get(), nullptr, 0, nullptr) == 1 &&
               EVP_MAC_update(x.mac.get(), p, len) == 1 &&
               (extra.empty() || EVP_MAC_update(x.mac.get(), extra.data(), extra.size()) == 1) &&
               EVP_MAC_final(x.mac.get(), md.data(), &out, md.size()) == 1;
    }
    static bool make_tag(keyed& x, const std::uint8_t* p, std::size_t len,
                         std::span<const std::uint8_t> extra, std::uint8_t* tag,
                         std::size_t tag_len) noexcept {
        std::array<std::uint8_t, 20> md{};
        if (!mac(x, p, len, extra, md)) return false;
        std::copy_n(md.begin(), tag_len, tag);
        return true;
    }
    static bool check_tag(keyed& x, const std::uint8_t* p, std::size_t len,
                          std::span<const std::uint8_t> extra, const std::uint8_t* tag,
                          std::size_t tag_len) noexcept {
        std::array<std::uint8_t, 20> md{};
        return mac(x, p, len, extra, md) && CRYPTO_memcmp(md.data(), tag, tag_len) == 0;
    }

    suite suite_ = suite::aes_cm_128_hmac_sha1_80;
    direction dir_ = direction::inbound;
    bool gcm_ = false;
    std::vector<std::uint8_t> key_;
    std::array<keyed, 2> keys_; // [0] SRTP, [1] SRTCP
    std::array<std::vector<detail::ssrc_state>, 2> ssrcs_;
    std::uint64_t clock_ = 0;
};

} // namespace tandem::srtp

#endif
