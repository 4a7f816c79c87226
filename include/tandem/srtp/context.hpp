#ifndef TANDEM_SRTP_CONTEXT_HPP
#define TANDEM_SRTP_CONTEXT_HPP

/// @file One direction of SRTP and SRTCP for one leg (RFC 3711, RFC 7714) on libsrtp2: the
/// keys one phone sends with (`inbound`: we unprotect) or the keys we send to it with
/// (`outbound`: we protect). Packets are transformed in place.
///
/// libsrtp2 keeps the rollover counter and replay window per SSRC inside the context, so a
/// context is kept as long as its key does not change (re-INVITEs that repeat the key keep it;
/// see `same_key`), and a new one is made only for a new key.

#include <tandem/result.hpp>
#include <tandem/srtp/error.hpp>
#include <tandem/srtp/suite.hpp>

#include <srtp2/srtp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace tandem::srtp {

/// Whose keys a context holds.
enum class direction {
    inbound, ///< the phone's: we unprotect what it sends
    outbound ///< ours: we protect what we send it
};

/// Room a protected packet needs beyond the plain one (tag, and MKI were it used).
inline constexpr std::size_t max_trailer = SRTP_MAX_TRAILER_LEN;

/// Replay window (packets) of inbound contexts: wide enough for video bursts reordered by
/// the network (libsrtp2's default is 128).
inline constexpr unsigned long replay_window = 1024;

namespace detail {
inline bool srtp_ready() noexcept {
    // libsrtp2 wants one srtp_init per process (thread-safe by the static's initialisation)
    static const bool ok = srtp_init() == srtp_err_status_ok;
    return ok;
}

inline void set_policy(srtp_crypto_policy_t& rtp, srtp_crypto_policy_t& rtcp, suite s) noexcept {
    switch (s) {
    case suite::aes_cm_128_hmac_sha1_80:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&rtcp);
        break;
    case suite::aes_cm_128_hmac_sha1_32:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&rtcp); // RFC 4568 6.2.2: SRTCP keeps 80 bits
        break;
    case suite::aes_256_cm_hmac_sha1_80:
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&rtp);
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&rtcp);
        break;
    case suite::aes_256_cm_hmac_sha1_32:
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&rtp);
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&rtcp); // RFC 6188 as RFC 4568 6.2.2
        break;
    case suite::aead_aes_128_gcm:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&rtcp);
        break;
    case suite::aead_aes_256_gcm:
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&rtp);
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&rtcp);
        break;
    }
}

inline srtp_errc map(srtp_err_status_t st) noexcept {
    switch (st) {
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old: return srtp_errc::replayed;
    default: return srtp_errc::auth_failed;
    }
}
} // namespace detail

/**
 * One SRTP/SRTCP crypto context (libsrtp2 session) for one direction of one leg, any SSRC.
 * Movable, not copyable. Every method on packets works in place on a buffer the caller owns;
 * `protect_*` needs `max_trailer` octets of room past the packet.
 */
class context {
public:
    context() = default;
    context(context&& o) noexcept
        : session_(std::exchange(o.session_, nullptr)), suite_(o.suite_), key_(std::move(o.key_)) {}
    context& operator=(context&& o) noexcept {
        if (this != &o) {
            reset();
            session_ = std::exchange(o.session_, nullptr);
            suite_ = o.suite_;
            key_ = std::move(o.key_);
        }
        return *this;
    }
    context(const context&) = delete;
    context& operator=(const context&) = delete;
    ~context() { reset(); }

    /// A context for `s` keyed with master key||salt `key_salt` (`key_salt_len(s)` octets).
    static result<context> make(suite s, std::span<const std::uint8_t> key_salt, direction d) {
        if (key_salt.size() != key_salt_len(s)) return srtp_errc::bad_key;
        if (!detail::srtp_ready()) return srtp_errc::srtp_failure;
        context c;
        c.suite_ = s;
        c.key_.assign(key_salt.begin(), key_salt.end());
        srtp_policy_t p{};
        detail::set_policy(p.rtp, p.rtcp, s);
        p.ssrc.type = d == direction::inbound ? ssrc_any_inbound : ssrc_any_outbound;
        p.key = c.key_.data();
        p.window_size = replay_window;
        p.allow_repeat_tx = 0;
        p.next = nullptr;
        if (srtp_create(&c.session_, &p) != srtp_err_status_ok) {
            c.session_ = nullptr;
            return srtp_errc::srtp_failure;
        }
        return c;
    }

    /// Whether this context is keyed (made, not moved from).
    explicit operator bool() const noexcept { return session_ != nullptr; }
    suite crypto_suite() const noexcept { return suite_; }
    /// Whether `key_salt` for `s` is what this context already uses (then keep it: its
    /// rollover counters and replay windows carry on).
    bool same_key(suite s, std::span<const std::uint8_t> key_salt) const noexcept {
        return session_ && s == suite_ && std::ranges::equal(key_salt, key_);
    }

    /// SRTP: encrypts and tags the RTP packet `data[0, len)`; `len` grows by the tag.
    result<void> protect_rtp(std::uint8_t* data, std::size_t& len, std::size_t capacity) noexcept {
        return apply(data, len, capacity, srtp_protect);
    }
    /// SRTP: checks and decrypts in place; `len` shrinks. `auth_failed` or `replayed` otherwise.
    result<void> unprotect_rtp(std::uint8_t* data, std::size_t& len) noexcept {
        return apply(data, len, len, srtp_unprotect);
    }
    /// SRTCP (RFC 3711 3.4): as `protect_rtp`.
    result<void> protect_rtcp(std::uint8_t* data, std::size_t& len, std::size_t capacity) noexcept {
        return apply(data, len, capacity, srtp_protect_rtcp);
    }
    result<void> unprotect_rtcp(std::uint8_t* data, std::size_t& len) noexcept {
        return apply(data, len, len, srtp_unprotect_rtcp);
    }

private:
    using transform = srtp_err_status_t (*)(srtp_t, void*, int*);

    result<void> apply(std::uint8_t* data, std::size_t& len, std::size_t capacity, transform f) noexcept {
        if (!session_) return srtp_errc::srtp_failure;
        if (capacity < len + max_trailer && f != srtp_unprotect && f != srtp_unprotect_rtcp)
            return srtp_errc::srtp_failure; // no room for the tag
        if (len > 65535) return srtp_errc::auth_failed;
        int n = static_cast<int>(len);
        srtp_err_status_t st = f(session_, data, &n);
        if (st != srtp_err_status_ok) return detail::map(st);
        len = static_cast<std::size_t>(n);
        return {};
    }

    void reset() noexcept {
        if (session_) srtp_dealloc(session_);
        session_ = nullptr;
        // the key does not outlive its use
        std::fill(key_.begin(), key_.end(), std::uint8_t{0});
    }

    srtp_t session_ = nullptr;
    suite suite_ = suite::aes_cm_128_hmac_sha1_80;
    std::vector<std::uint8_t> key_;
};

} // namespace tandem::srtp

#endif
