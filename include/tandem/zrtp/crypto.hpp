#ifndef TANDEM_ZRTP_CRYPTO_HPP
#define TANDEM_ZRTP_CRYPTO_HPP

/// @file The cryptography of a cacheless ZRTP endpoint in DH mode (RFC 6189), on OpenSSL 3:
/// the hash chain and message MACs (RFC 6189 9), the key agreements DH3k and X25519
/// (RFC 6189 4.4.1, 5.1.5), hvi and total_hash (4.4.1.1, 4.4.1.4), s0 without retained secrets
/// (4.4.1.4), the KDF and the keys derived from s0 (4.5), the SAS and its B32 rendering (5.1.6,
/// 7), AES in CFB mode and the MAC of the Confirm messages (5.1.3, 5.7), and the SRTP suite of a
/// negotiated cipher and auth tag type (5.1.3, 5.1.4).
///
/// Only the mandatory hash, S256 (SHA-256), is implemented: it is also the "implicit hash" of
/// the hash chain and of the message MACs, which are computed before any hash is negotiated
/// (RFC 6189 5.1.2). Left out: S384 and the other hashes, DH2k and the EC groups (EC25, EC38,
/// X448), the B256 (PGP word list) SAS rendering, preshared and multistream modes, and the
/// retained secrets (rs1, rs2, auxsecret, pbxsecret) a cache would need.
///
/// Failures that can come from the network (a bad public value) are `tandem::zrtp_errc` in a
/// `result`; OpenSSL refusing an operation is `zrtp_errc::crypto_failure`. The hash and HMAC
/// functions only fail when OpenSSL cannot allocate, which they report as `std::bad_alloc`.

#include <tandem/config.hpp>
#include <tandem/result.hpp>
#include <tandem/srtp/suite.hpp>
#include <tandem/zrtp/error.hpp>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::zrtp {

/// A SHA-256 digest, HMAC-SHA-256 value, hash image (H0..H3) or 256-bit key.
using sha256_hash = std::array<std::uint8_t, 32>;

/// A MAC truncated to 64 bits: the MAC field of Hello, Commit, DHPart1, DHPart2 (RFC 6189 9)
/// and the confirm_mac of Confirm1/Confirm2 (RFC 6189 5.7).
using mac64 = std::array<std::uint8_t, 8>;

namespace detail {

inline std::span<const std::uint8_t> as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 24));
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

inline void append(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> in) {
    out.insert(out.end(), in.begin(), in.end());
}

struct md_ctx_deleter {
    void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
struct cipher_ctx_deleter {
    void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); }
};
struct pkey_deleter {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct pkey_ctx_deleter {
    void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};
struct bn_deleter {
    void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
/// For secrets: zeroes the digits before freeing them.
struct bn_clear_deleter {
    void operator()(BIGNUM* p) const noexcept { BN_clear_free(p); }
};
struct bn_ctx_deleter {
    void operator()(BN_CTX* p) const noexcept { BN_CTX_free(p); }
};
using bn_ptr = std::unique_ptr<BIGNUM, bn_deleter>;
using secret_bn_ptr = std::unique_ptr<BIGNUM, bn_clear_deleter>;

/// BN_bin2bn over a span (OpenSSL takes an int length).
inline bn_ptr bn_from(std::span<const std::uint8_t> be) {
    if (be.size() > static_cast<std::size_t>(INT_MAX)) return nullptr;
    return bn_ptr(BN_bin2bn(be.data(), static_cast<int>(be.size()), nullptr));
}

/// The RFC 3526 3072-bit MODP prime (RFC 6189 5.1.5: DH3k), built once.
inline const BIGNUM* dh3k_prime() {
    static const bn_ptr p(BN_get_rfc3526_prime_3072(nullptr));
    if (!p) throw std::bad_alloc();
    return p.get();
}

/// Wipes a vector's octets (OPENSSL_cleanse cannot be optimised away) and empties it.
inline void cleanse(std::vector<std::uint8_t>& v) noexcept {
    if (!v.empty()) OPENSSL_cleanse(v.data(), v.size());
    v.clear();
}

} // namespace detail

/// @name Hash and HMAC (S256, RFC 6189 5.1.2)
/// @{

/**
 * SHA-256 of the concatenation of `parts`: `sha256({a, b})` is `hash(a || b)` in the notation
 * of RFC 6189.
 *
 * @throws std::bad_alloc when OpenSSL cannot allocate its context (the only way it fails).
 */
TANDEM_DECL sha256_hash sha256(std::initializer_list<std::span<const std::uint8_t>> parts) {
    std::unique_ptr<EVP_MD_CTX, detail::md_ctx_deleter> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) throw std::bad_alloc();
    for (auto part : parts)
        if (!part.empty() && EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1)
            throw std::bad_alloc();
    sha256_hash out{};
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != out.size()) throw std::bad_alloc();
    return out;
}

/// SHA-256 of `data`.
TANDEM_DECL sha256_hash sha256(std::span<const std::uint8_t> data) { return sha256({data}); }

/**
 * HMAC-SHA-256 of `data` under `key` (RFC 2104), the MAC of S256 (RFC 6189 5.1.2).
 *
 * @throws std::bad_alloc when OpenSSL cannot allocate (the only way it fails).
 */
TANDEM_DECL sha256_hash hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
    sha256_hash out{};
    unsigned int len = 0;
    if (key.size() > static_cast<std::size_t>(INT_MAX))
        throw std::invalid_argument("hmac_sha256: key too long");
    // HMAC() wants a non-null key pointer even for an empty key.
    static constexpr std::uint8_t empty = 0;
    const std::uint8_t* k = key.empty() ? &empty : key.data();
    const std::uint8_t* d = data.empty() ? &empty : data.data();
    if (!HMAC(EVP_sha256(), k, static_cast<int>(key.size()), d, data.size(), out.data(), &len) ||
        len != out.size())
        throw std::bad_alloc();
    return out;
}

/// @}

/// @name Hash chain and message MACs (RFC 6189 9)
/// @{

/**
 * The hash chain of one ZRTP endpoint for one session (RFC 6189 9): a random 256-bit H0, then
 * H1 = SHA-256(H0), H2 = SHA-256(H1), H3 = SHA-256(H2). The chain always uses the implicit hash,
 * SHA-256, whatever hash is negotiated later (RFC 6189 5.1.2).
 *
 * Which image goes where, and which one keys the MAC of which message (RFC 6189 9, 5.2-5.7):
 *
 * | Message          | carries | its MAC is keyed with | the key is revealed in        |
 * |------------------|---------|-----------------------|-------------------------------|
 * | Hello            | H3      | H2                    | Commit (or, for the responder, H2 = hash(H1) from
 * DHPart1) | | Commit           | H2      | H1                    | DHPart2                       | |
 * DHPart1, DHPart2 | H1      | H0                    | Confirm1, Confirm2            | | Confirm1/2       |
 * H0 (encrypted) | (confirm_mac, see `confirm_mac()`) | -             |
 *
 * A receiver checks each image it learns against the one before (`hash_image_follows()`), then
 * the MAC of the earlier message with that image as key (`check_message_mac()`).
 */
class hash_chain {
public:
    /// An all-zero chain; use `generate()` or `from_h0()`.
    hash_chain() = default;

    /// A chain from 32 random octets (RAND_bytes); `zrtp_errc::crypto_failure` if the RNG fails.
    static result<hash_chain> generate() {
        sha256_hash h0{};
        if (RAND_bytes(h0.data(), static_cast<int>(h0.size())) != 1) return zrtp_errc::crypto_failure;
        return from_h0(h0);
    }

    /// The chain that starts at a given H0 (for tests and known answers).
    static hash_chain from_h0(const sha256_hash& h0) {
        hash_chain c;
        c.h_[0] = h0;
        for (std::size_t i = 1; i < c.h_.size(); ++i) c.h_[i] = sha256(c.h_[i - 1]);
        return c;
    }

    /// Hi for i in 0..3. Precondition: `i < 4`.
    const sha256_hash& image(std::size_t i) const { return h_.at(i); }
    const sha256_hash& h0() const noexcept { return h_[0]; }
    const sha256_hash& h1() const noexcept { return h_[1]; }
    const sha256_hash& h2() const noexcept { return h_[2]; }
    const sha256_hash& h3() const noexcept { return h_[3]; }

private:
    std::array<sha256_hash, 4> h_{};
};

/// True when `image` is SHA-256(`preimage`): one link of a peer's hash chain (RFC 6189 9).
TANDEM_DECL bool hash_image_follows(const sha256_hash& preimage, const sha256_hash& image) {
    sha256_hash h = sha256(preimage);
    return CRYPTO_memcmp(h.data(), image.data(), h.size()) == 0;
}

/**
 * The MAC field of a Hello, Commit, DHPart1 or DHPart2 message: HMAC-SHA-256 keyed with the
 * next hash image down the chain, truncated to its first 64 bits (RFC 6189 9; see `hash_chain`
 * for which image keys which message).
 *
 * @param key the hash image (H2 for Hello, H1 for Commit, H0 for DHPart1/DHPart2).
 * @param msg the ZRTP message from its preamble up to, but excluding, the MAC field.
 */
TANDEM_DECL mac64 message_mac(const sha256_hash& key, std::span<const std::uint8_t> msg) {
    sha256_hash full = hmac_sha256(key, msg);
    mac64 out{};
    std::copy_n(full.begin(), out.size(), out.begin());
    return out;
}

/**
 * Checks the MAC field, the last 8 octets of `msg`, against `message_mac(key, rest)`, in
 * constant time.
 *
 * @return `zrtp_errc::bad_message` when `msg` is shorter than a MAC, `zrtp_errc::bad_mac`
 *         when the MAC does not match.
 */
TANDEM_DECL result<void> check_message_mac(const sha256_hash& key, std::span<const std::uint8_t> msg) {
    constexpr std::size_t n = std::tuple_size_v<mac64>;
    if (msg.size() < n) return zrtp_errc::bad_message;
    mac64 expected = message_mac(key, msg.first(msg.size() - n));
    if (CRYPTO_memcmp(expected.data(), msg.data() + (msg.size() - n), n) != 0) return zrtp_errc::bad_mac;
    return {};
}

/// @}

/// @name Transcript hashes (RFC 6189 4.4.1.1, 4.4.1.4)
/// @{

/**
 * The initiator's hash commitment, sent in Commit (RFC 6189 4.4.1.1):
 * `hvi = hash(initiator's DHPart2 message || responder's Hello message)`.
 *
 * Messages are whole ZRTP messages, preamble to MAC, without the packet header or CRC.
 */
TANDEM_DECL sha256_hash compute_hvi(std::span<const std::uint8_t> dhpart2,
                                    std::span<const std::uint8_t> responder_hello) {
    return sha256({dhpart2, responder_hello});
}

/**
 * The hash of the key agreement messages (RFC 6189 4.4.1.4):
 * `total_hash = hash(Hello of responder || Commit || DHPart1 || DHPart2)`.
 *
 * Messages are whole ZRTP messages, preamble to MAC, without the packet header or CRC.
 */
TANDEM_DECL sha256_hash compute_total_hash(std::span<const std::uint8_t> responder_hello,
                                           std::span<const std::uint8_t> commit_msg,
                                           std::span<const std::uint8_t> dhpart1,
                                           std::span<const std::uint8_t> dhpart2) {
    return sha256({responder_hello, commit_msg, dhpart1, dhpart2});
}

/// @}

/// @name Key agreement (RFC 6189 4.4.1, 5.1.5)
/// @{

/**
 * Checks a DH3k public value (pvi or pvr) before it is used (RFC 6189 4.4.1.1): exactly 384
 * octets, big-endian, and 1 < pv < p - 1. RFC 6189 requires refusing 1 and p - 1; 0 and values
 * of p or more are not group elements at all and are refused too.
 *
 * @return `zrtp_errc::bad_public_value` otherwise.
 */
TANDEM_DECL result<void> check_dh3k_public_value(std::span<const std::uint8_t> pv);

/**
 * One side of a Diffie-Hellman exchange of RFC 6189 DH mode: our secret value (svi or svr),
 * our public value (pvi or pvr) and the DHResult computed from the peer's public value.
 *
 * - `kind::dh3k` ("DH3k", RFC 6189 5.1.5): the 3072-bit MODP group of RFC 3526 section 4,
 *   generator 2. The secret is a 256-bit exponent (twice the AES-128 key size, RFC 6189 5.1.5);
 *   public values and DHResult are 384-octet big-endian strings with their leading zeros kept
 *   (RFC 6189 4.4.1.1, 4.4.1.4).
 * - `kind::x25519` ("X255", the name bzrtp/linphone use; not in RFC 6189): X25519 of RFC 7748;
 *   public values and DHResult are the 32-octet RFC 7748 strings. OpenSSL refuses a peer value
 *   whose result is all zeros (a low-order point): that is `zrtp_errc::bad_public_value`.
 *
 * A default-constructed `key_agreement` holds no key: its `public_value()` is empty and
 * `agree()` fails with `zrtp_errc::crypto_failure`.
 */
class key_agreement {
public:
    /// The key agreement types we speak.
    enum class kind : std::uint8_t { dh3k, x25519 };

    key_agreement() = default;

    /// The 4-character name in the Hello and Commit messages: "DH3k" or "X255".
    static constexpr std::string_view name(kind k) noexcept { return k == kind::dh3k ? "DH3k" : "X255"; }

    /// The kind a Key Agreement Type Block names, if we speak it.
    static constexpr std::optional<kind> from_name(std::string_view block) noexcept {
        if (block == "DH3k") return kind::dh3k;
        if (block == "X255") return kind::x25519;
        return std::nullopt;
    }

    /// Octets of a public value, and of DHResult: 384 for DH3k, 32 for X25519.
    static constexpr std::size_t public_value_size(kind k) noexcept { return k == kind::dh3k ? 384 : 32; }

    /// A fresh random secret value and its public value; `zrtp_errc::crypto_failure` when the
    /// RNG or OpenSSL fails.
    static result<key_agreement> generate(kind k) {
        if (k == kind::dh3k) {
            std::vector<std::uint8_t> x(32);
            if (RAND_priv_bytes(x.data(), static_cast<int>(x.size())) != 1) return zrtp_errc::crypto_failure;
            x[0] |= 0x80; // a full 256-bit exponent, so never 0 or 1
            auto r = from_private_key(k, x);
            detail::cleanse(x);
            return r;
        }
        key_agreement a;
        a.kind_ = k;
        std::unique_ptr<EVP_PKEY_CTX, detail::pkey_ctx_deleter> ctx(
            EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
        EVP_PKEY* raw = nullptr;
        if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
            return zrtp_errc::crypto_failure;
        a.x25519_.reset(raw, detail::pkey_deleter{});
        if (auto ec = a.cache_x25519_public(); ec) return ec;
        return a;
    }

    /**
     * The key agreement for a given secret value, for known-answer tests: for DH3k a big-endian
     * exponent of 1 to 384 octets with 1 < x < p - 1; for X25519 the 32-octet private key of
     * RFC 7748 (clamped by X25519 itself).
     *
     * @return `zrtp_errc::crypto_failure` for a secret of the wrong size or range.
     */
    static result<key_agreement> from_private_key(kind k, std::span<const std::uint8_t> secret) {
        key_agreement a;
        a.kind_ = k;
        if (k == kind::dh3k) {
            if (secret.empty() || secret.size() > public_value_size(k)) return zrtp_errc::crypto_failure;
            const BIGNUM* p = detail::dh3k_prime();
            detail::secret_bn_ptr x(BN_secure_new());
            std::unique_ptr<BN_CTX, detail::bn_ctx_deleter> bn_ctx(BN_CTX_secure_new());
            detail::bn_ptr g(BN_new());
            detail::bn_ptr p_minus_1(BN_dup(p));
            detail::bn_ptr y(BN_new());
            if (!x || !bn_ctx || !g || !p_minus_1 || !y || !BN_set_word(g.get(), 2) ||
                !BN_sub_word(p_minus_1.get(), 1) ||
                !BN_bin2bn(secret.data(), static_cast<int>(secret.size()), x.get()))
                return zrtp_errc::crypto_failure;
            if (BN_cmp(x.get(), BN_value_one()) <= 0 || BN_cmp(x.get(), p_minus_1.get()) >= 0)
                return zrtp_errc::crypto_failure;
            BN_set_flags(x.get(), BN_FLG_CONSTTIME);
            if (!BN_mod_exp_mont_consttime(y.get(), g.get(), x.get(), p, bn_ctx.get(), nullptr))
                return zrtp_errc::crypto_failure;
            a.public_.assign(public_value_size(k), 0);
            if (BN_bn2binpad(y.get(), a.public_.data(), static_cast<int>(a.public_.size())) < 0)
                return zrtp_errc::crypto_failure;
            a.dh_secret_ = std::move(x);
            return a;
        }
        if (secret.size() != public_value_size(k)) return zrtp_errc::crypto_failure;
        EVP_PKEY* raw = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, secret.data(), secret.size());
        if (!raw) return zrtp_errc::crypto_failure;
        a.x25519_.reset(raw, detail::pkey_deleter{});
        if (auto ec = a.cache_x25519_public(); ec) return ec;
        return a;
    }

    /// Which key agreement this is.
    kind type() const noexcept { return kind_; }

    /// Our public value (pvi or pvr) as it goes into DHPart1/DHPart2: 384 or 32 octets.
    std::vector<std::uint8_t> public_value() const { return public_; }

    /**
     * DHResult from the peer's public value (RFC 6189 4.4.1.1-4.4.1.4): for DH3k
     * pv^x mod p as 384 octets, for X25519 the 32-octet shared secret.
     *
     * @return `zrtp_errc::bad_public_value` for a value of the wrong size or out of range
     *         (`check_dh3k_public_value()`) or an X25519 low-order point;
     *         `zrtp_errc::crypto_failure` for an empty `key_agreement` or an OpenSSL failure.
     */
    result<std::vector<std::uint8_t>> agree(std::span<const std::uint8_t> peer_pv) const {
        if (public_.empty()) return zrtp_errc::crypto_failure;
        if (peer_pv.size() != public_value_size(kind_)) return zrtp_errc::bad_public_value;
        if (kind_ == kind::dh3k) return agree_dh3k(peer_pv);
        return agree_x25519(peer_pv);
    }

private:
    result<std::vector<std::uint8_t>> agree_dh3k(std::span<const std::uint8_t> peer_pv) const {
        if (auto r = check_dh3k_public_value(peer_pv); !r) return r.error();
        detail::bn_ptr pv = detail::bn_from(peer_pv);
        detail::secret_bn_ptr z(BN_secure_new());
        std::unique_ptr<BN_CTX, detail::bn_ctx_deleter> bn_ctx(BN_CTX_secure_new());
        if (!pv || !z || !bn_ctx ||
            !BN_mod_exp_mont_consttime(z.get(), pv.get(), dh_secret_.get(), detail::dh3k_prime(),
                                       bn_ctx.get(), nullptr))
            return zrtp_errc::crypto_failure;
        std::vector<std::uint8_t> out(public_value_size(kind_));
        if (BN_bn2binpad(z.get(), out.data(), static_cast<int>(out.size())) < 0) {
            detail::cleanse(out);
            return zrtp_errc::crypto_failure;
        }
        return out;
    }

    result<std::vector<std::uint8_t>> agree_x25519(std::span<const std::uint8_t> peer_pv) const {
        std::unique_ptr<EVP_PKEY, detail::pkey_deleter> peer(
            EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_pv.data(), peer_pv.size()));
        if (!peer) return zrtp_errc::bad_public_value;
        std::unique_ptr<EVP_PKEY_CTX, detail::pkey_ctx_deleter> ctx(EVP_PKEY_CTX_new(x25519_.get(), nullptr));
        if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1) return zrtp_errc::crypto_failure;
        // OpenSSL refuses a peer key whose shared secret is all zeros (RFC 7748 6.1).
        if (EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) return zrtp_errc::bad_public_value;
        std::vector<std::uint8_t> out(public_value_size(kind_));
        std::size_t len = out.size();
        if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) {
            detail::cleanse(out);
            return zrtp_errc::bad_public_value;
        }
        if (len != out.size()) {
            detail::cleanse(out);
            return zrtp_errc::crypto_failure;
        }
        return out;
    }

    std::error_code cache_x25519_public() {
        public_.assign(public_value_size(kind::x25519), 0);
        std::size_t len = public_.size();
        if (EVP_PKEY_get_raw_public_key(x25519_.get(), public_.data(), &len) != 1 || len != public_.size()) {
            public_.clear();
            return make_error_code(zrtp_errc::crypto_failure);
        }
        return {};
    }

    kind kind_ = kind::dh3k;
    std::vector<std::uint8_t> public_;
    // shared_ptr: the secret is immutable once made, so copies may share it.
    std::shared_ptr<BIGNUM> dh_secret_;
    std::shared_ptr<EVP_PKEY> x25519_;
};

TANDEM_DECL result<void> check_dh3k_public_value(std::span<const std::uint8_t> pv) {
    if (pv.size() != key_agreement::public_value_size(key_agreement::kind::dh3k))
        return zrtp_errc::bad_public_value;
    detail::bn_ptr v = detail::bn_from(pv);
    detail::bn_ptr p_minus_1(BN_dup(detail::dh3k_prime()));
    if (!v || !p_minus_1 || !BN_sub_word(p_minus_1.get(), 1)) return zrtp_errc::crypto_failure;
    // RFC 6189 4.4.1.1: pv is neither 1 nor p - 1; nor 0, nor p or more.
    if (BN_cmp(v.get(), BN_value_one()) <= 0 || BN_cmp(v.get(), p_minus_1.get()) >= 0)
        return zrtp_errc::bad_public_value;
    return {};
}

/// @}

/// @name s0 and the KDF (RFC 6189 4.4.1.4, 4.5)
/// @{

/// A ZID: the 96-bit identifier of a ZRTP endpoint (RFC 6189 4.9).
using zid_view = std::span<const std::uint8_t, 12>;

/**
 * s0 in DH mode for a cacheless endpoint (RFC 6189 4.4.1.4):
 * `s0 = hash(counter || DHResult || "ZRTP-HMAC-KDF" || ZIDi || ZIDr || total_hash
 *            || len(s1) || s1 || len(s2) || s2 || len(s3) || s3)`
 * with counter = 1 and s1, s2, s3 all null (we keep no retained, auxiliary or PBX secret), so
 * each is just its 32-bit zero length.
 */
TANDEM_DECL sha256_hash compute_s0(std::span<const std::uint8_t> dh_result, zid_view zidi, zid_view zidr,
                                   const sha256_hash& total_hash) {
    static constexpr std::array<std::uint8_t, 4> counter{0, 0, 0, 1};
    static constexpr std::array<std::uint8_t, 12> null_lengths{}; // len(s1), len(s2), len(s3)
    return sha256(
        {counter, dh_result, detail::as_bytes("ZRTP-HMAC-KDF"), zidi, zidr, total_hash, null_lengths});
}

/// `KDF_Context = ZIDi || ZIDr || total_hash` (RFC 6189 4.4.1.4): 56 octets with S256.
TANDEM_DECL std::vector<std::uint8_t> kdf_context(zid_view zidi, zid_view zidr,
                                                  const sha256_hash& total_hash) {
    std::vector<std::uint8_t> c;
    c.reserve(zidi.size() + zidr.size() + total_hash.size());
    detail::append(c, zidi);
    detail::append(c, zidr);
    detail::append(c, total_hash);
    return c;
}

/**
 * The ZRTP key derivation function (RFC 6189 4.5.1, after NIST SP 800-108):
 * `KDF(KI, Label, Context, L) = HMAC(KI, i || Label || 0x00 || Context || L)` with i = 1 and L
 * as 32-bit big-endian integers, the result truncated to its leftmost L bits.
 *
 * @param length_bits L: a multiple of 8, at most 256 (one HMAC-SHA-256 block).
 * @throws std::invalid_argument for another L (a programming error).
 */
TANDEM_DECL std::vector<std::uint8_t> kdf(std::span<const std::uint8_t> ki, std::string_view label,
                                          std::span<const std::uint8_t> context, std::size_t length_bits) {
    if (length_bits == 0 || length_bits % 8 != 0 || length_bits > 256)
        throw std::invalid_argument("zrtp::kdf: L must be a multiple of 8 up to 256");
    std::vector<std::uint8_t> input;
    input.reserve(4 + label.size() + 1 + context.size() + 4);
    detail::put_u32(input, 1);
    detail::append(input, detail::as_bytes(label));
    input.push_back(0x00);
    detail::append(input, context);
    detail::put_u32(input, static_cast<std::uint32_t>(length_bits));
    sha256_hash full = hmac_sha256(ki, input);
    std::vector<std::uint8_t> out(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(length_bits / 8));
    OPENSSL_cleanse(full.data(), full.size());
    return out;
}

/**
 * The keys a DH-mode exchange derives from s0 (RFC 6189 4.5.2, 4.5.3), named after the RFC
 * (srtpkeyi, srtpsalti, mackeyi, zrtpkeyi, ZRTPSess, sashash, sasvalue). The `_i` keys protect
 * what the initiator sends, the `_r` keys what the responder sends.
 */
struct session_keys {
    std::vector<std::uint8_t> srtp_key_i;       ///< "Initiator SRTP master key", AES key length
    std::vector<std::uint8_t> srtp_salt_i;      ///< "Initiator SRTP master salt", 112 bits
    std::vector<std::uint8_t> srtp_key_r;       ///< "Responder SRTP master key"
    std::vector<std::uint8_t> srtp_salt_r;      ///< "Responder SRTP master salt"
    std::vector<std::uint8_t> mac_key_i;        ///< "Initiator HMAC key", hash length: Confirm2's confirm_mac
    std::vector<std::uint8_t> mac_key_r;        ///< "Responder HMAC key": Confirm1's confirm_mac
    std::vector<std::uint8_t> zrtp_key_i;       ///< "Initiator ZRTP key", AES key length: encrypts Confirm2
    std::vector<std::uint8_t> zrtp_key_r;       ///< "Responder ZRTP key": encrypts Confirm1
    std::vector<std::uint8_t> zrtp_session_key; ///< "ZRTP Session Key", hash length (ZRTPSess, 4.5.2)
    std::vector<std::uint8_t> sas_hash;         ///< "SAS", 256 bits (sashash, 4.5.2)
    std::uint32_t sas_value = 0;                ///< leftmost 32 bits of sashash, big-endian (sasvalue)

    /// Wipes every key.
    void clear() noexcept {
        for (auto* v : {&srtp_key_i, &srtp_salt_i, &srtp_key_r, &srtp_salt_r, &mac_key_i, &mac_key_r,
                        &zrtp_key_i, &zrtp_key_r, &zrtp_session_key, &sas_hash})
            detail::cleanse(*v);
        sas_value = 0;
    }
};

/// sasvalue: the leftmost 32 bits of sashash, as a big-endian integer (RFC 6189 4.5.2).
TANDEM_DECL std::uint32_t sas_value_of(std::span<const std::uint8_t, 32> sas_hash) noexcept {
    return static_cast<std::uint32_t>(sas_hash[0]) << 24 | static_cast<std::uint32_t>(sas_hash[1]) << 16 |
           static_cast<std::uint32_t>(sas_hash[2]) << 8 | static_cast<std::uint32_t>(sas_hash[3]);
}

/**
 * Every key of RFC 6189 4.5.2/4.5.3 from s0 and the KDF context, for S256 and an AES key of
 * `aes_key_len` octets (16 for AES1, 32 for AES3). The retained secret (rs1) and the
 * exported key are not derived: this endpoint keeps no cache.
 *
 * @throws std::invalid_argument when `aes_key_len` is neither 16 nor 32.
 */
TANDEM_DECL session_keys derive_session_keys(const sha256_hash& s0, std::span<const std::uint8_t> context,
                                             std::size_t aes_key_len) {
    if (aes_key_len != 16 && aes_key_len != 32)
        throw std::invalid_argument("zrtp::derive_session_keys: AES key of 16 or 32 octets");
    const std::size_t key_bits = aes_key_len * 8;
    constexpr std::size_t salt_bits = 112;
    constexpr std::size_t hash_bits = 256;
    session_keys k;
    k.srtp_key_i = kdf(s0, "Initiator SRTP master key", context, key_bits);
    k.srtp_salt_i = kdf(s0, "Initiator SRTP master salt", context, salt_bits);
    k.srtp_key_r = kdf(s0, "Responder SRTP master key", context, key_bits);
    k.srtp_salt_r = kdf(s0, "Responder SRTP master salt", context, salt_bits);
    k.mac_key_i = kdf(s0, "Initiator HMAC key", context, hash_bits);
    k.mac_key_r = kdf(s0, "Responder HMAC key", context, hash_bits);
    k.zrtp_key_i = kdf(s0, "Initiator ZRTP key", context, key_bits);
    k.zrtp_key_r = kdf(s0, "Responder ZRTP key", context, key_bits);
    k.zrtp_session_key = kdf(s0, "ZRTP Session Key", context, hash_bits);
    k.sas_hash = kdf(s0, "SAS", context, 256);
    k.sas_value = sas_value_of(std::span<const std::uint8_t, 32>(k.sas_hash.data(), 32));
    return k;
}

/// @}

/// @name SAS rendering (RFC 6189 5.1.6, 7)
/// @{

/// The base-32 alphabet of the B32 SAS (RFC 6189 5.1.6; Zooko's z-base-32).
inline constexpr std::string_view sas_b32_alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769";

/**
 * The B32 rendering of a sasvalue (RFC 6189 5.1.6): its leftmost 20 bits as 4 characters of
 * `sas_b32_alphabet`, 5 bits each, most significant first. The other 12 bits are unused.
 *
 * (B256, the PGP word list rendering of the leftmost 16 bits, is not implemented.)
 */
TANDEM_DECL std::string sas_b32(std::uint32_t sas_value) {
    std::string s(4, ' ');
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto shift = static_cast<unsigned>(27 - 5 * i);
        s[i] = sas_b32_alphabet[(sas_value >> shift) & 0x1f];
    }
    return s;
}

/// @}

/// @name Confirm messages: AES-CFB and confirm_mac (RFC 6189 5.1.3, 5.7)
/// @{

/// The CFB IV of a Confirm message: 128 random bits (RFC 6189 5.7).
using cfb_iv = std::array<std::uint8_t, 16>;

namespace detail {

inline result<std::vector<std::uint8_t>> aes_cfb(std::span<const std::uint8_t> key,
                                                 std::span<const std::uint8_t, 16> iv,
                                                 std::span<const std::uint8_t> in, bool encrypt) {
    const EVP_CIPHER* cipher = nullptr;
    if (key.size() == 16)
        cipher = EVP_aes_128_cfb128();
    else if (key.size() == 32)
        cipher = EVP_aes_256_cfb128();
    else
        return zrtp_errc::crypto_failure;
    if (in.size() > static_cast<std::size_t>(INT_MAX)) return zrtp_errc::crypto_failure;
    std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_deleter> ctx(EVP_CIPHER_CTX_new());
    std::vector<std::uint8_t> out(in.size() + 16);
    int len = 0;
    int tail = 0;
    static constexpr std::uint8_t empty = 0;
    if (!ctx || EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), iv.data(), encrypt ? 1 : 0) != 1 ||
        EVP_CipherUpdate(ctx.get(), out.data(), &len, in.empty() ? &empty : in.data(),
                         static_cast<int>(in.size())) != 1 ||
        EVP_CipherFinal_ex(ctx.get(), out.data() + len, &tail) != 1)
        return zrtp_errc::crypto_failure;
    out.resize(static_cast<std::size_t>(len) + static_cast<std::size_t>(tail));
    return out;
}

} // namespace detail

/**
 * Encrypts the encrypted part of a Confirm message (H0 to the end of the signature) with AES
 * in CFB mode, 128-bit feedback (RFC 6189 5.1.3: AES1 with a 16-octet key, AES3 with a 32-octet
 * key), keyed with zrtpkeyi (Confirm2) or zrtpkeyr (Confirm1), the IV being the message's CFB
 * Initialization Vector field (RFC 6189 5.7).
 *
 * @return the ciphertext (same length as `plaintext`), or `zrtp_errc::crypto_failure` for a
 *         key that is neither 16 nor 32 octets.
 */
TANDEM_DECL result<std::vector<std::uint8_t>> cfb_encrypt(std::span<const std::uint8_t> key,
                                                          std::span<const std::uint8_t, 16> iv,
                                                          std::span<const std::uint8_t> plaintext) {
    return detail::aes_cfb(key, iv, plaintext, true);
}

/// The inverse of `cfb_encrypt()`.
TANDEM_DECL result<std::vector<std::uint8_t>> cfb_decrypt(std::span<const std::uint8_t> key,
                                                          std::span<const std::uint8_t, 16> iv,
                                                          std::span<const std::uint8_t> ciphertext) {
    return detail::aes_cfb(key, iv, ciphertext, false);
}

/**
 * The confirm_mac of a Confirm message (RFC 6189 5.7): HMAC with the negotiated hash (S256),
 * keyed with mackeyi (Confirm2) or mackeyr (Confirm1), over the *encrypted* part of the message,
 * truncated to 64 bits.
 */
TANDEM_DECL mac64 confirm_mac(std::span<const std::uint8_t> mac_key,
                              std::span<const std::uint8_t> encrypted_part) {
    sha256_hash full = hmac_sha256(mac_key, encrypted_part);
    mac64 out{};
    std::copy_n(full.begin(), out.size(), out.begin());
    return out;
}

/// Checks a received confirm_mac in constant time; `zrtp_errc::bad_mac` when it does not match.
TANDEM_DECL result<void> check_confirm_mac(std::span<const std::uint8_t> mac_key,
                                           std::span<const std::uint8_t> encrypted_part,
                                           std::span<const std::uint8_t, 8> received) {
    mac64 expected = confirm_mac(mac_key, encrypted_part);
    if (CRYPTO_memcmp(expected.data(), received.data(), expected.size()) != 0) return zrtp_errc::bad_mac;
    return {};
}

/// @}

/// @name SRTP parameters (RFC 6189 5.1.3, 5.1.4, 4.5.3)
/// @{

/// Octets of the AES key a Cipher Type Block names: 16 for "AES1", 32 for "AES3"; nothing for
/// the others (AES2, 2FS*: not implemented).
TANDEM_DECL constexpr std::optional<std::size_t> aes_key_bytes(std::string_view cipher) noexcept {
    if (cipher == "AES1") return 16;
    if (cipher == "AES3") return 32;
    return std::nullopt;
}

/**
 * The SRTP suite of a negotiated cipher and auth tag type (RFC 6189 5.1.3, 5.1.4): AES-CM with
 * the AES1/AES3 key size and HMAC-SHA1 with a 32-bit ("HS32") or 80-bit ("HS80") tag, master
 * salt 112 bits (RFC 6189 4.5.3). The SRTP master keys and salts are `session_keys::srtp_*`.
 * Skein tags ("SK32", "SK64") and other ciphers give nothing.
 */
TANDEM_DECL constexpr std::optional<srtp::suite> srtp_suite_for(std::string_view cipher,
                                                                std::string_view auth_tag) noexcept {
    const bool tag32 = auth_tag == "HS32";
    if (!tag32 && auth_tag != "HS80") return std::nullopt;
    if (cipher == "AES1")
        return tag32 ? srtp::suite::aes_cm_128_hmac_sha1_32 : srtp::suite::aes_cm_128_hmac_sha1_80;
    if (cipher == "AES3")
        return tag32 ? srtp::suite::aes_256_cm_hmac_sha1_32 : srtp::suite::aes_256_cm_hmac_sha1_80;
    return std::nullopt;
}

/// @}

} // namespace tandem::zrtp

#endif
