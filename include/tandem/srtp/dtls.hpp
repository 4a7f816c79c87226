#ifndef TANDEM_SRTP_DTLS_HPP
#define TANDEM_SRTP_DTLS_HPP

/// @file DTLS-SRTP keying (RFC 5763, RFC 5764) on OpenSSL 3, sans-I/O: a `certificate` (our
/// self-signed identity, announced in SDP as `a=fingerprint`) and a `dtls_endpoint` that runs one
/// DTLS 1.2 handshake over datagrams the caller moves, checks the peer's certificate against the
/// `a=fingerprint` of the SDP and exports the SRTP master keys and salts.
///
/// No sockets and no timers here: the media relay demultiplexes DTLS from RTP on its port
/// (RFC 7983 7, `tandem::rtp::classify`), feeds DTLS datagrams with `on_datagram()`, sends what
/// `poll_datagram()` yields and arms one timer from `next_timeout()`.

#include <tandem/result.hpp>
#include <tandem/srtp/error.hpp>
#include <tandem/srtp/suite.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace tandem::srtp {

/// A SHA-256 certificate fingerprint: the 32 octets of the digest of the DER certificate.
using sha256_fingerprint = std::array<std::uint8_t, 32>;

/**
 * Parses the value of an SDP `a=fingerprint` attribute (RFC 8122 5): a hash function name, one
 * space (or more), then the digest as colon-separated hex pairs, e.g. `"sha-256 AB:CD:..."`.
 *
 * The hash name and the hex digits are compared case-insensitively (RFC 8122 5: "A-F" and
 * "a-f" both appear in the wild). Only `sha-256` is accepted, because it is the one hash every
 * DTLS-SRTP peer offers (RFC 8827 6.5) and the one we announce.
 *
 * @return the digest, or `std::nullopt` for another hash function, a digest of the wrong length
 *         or anything that is not of this form.
 */
TANDEM_DECL std::optional<sha256_fingerprint> parse_sha256_fingerprint(std::string_view s) noexcept {
    auto trim = [](std::string_view v) {
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r' || v.back() == '\n'))
            v.remove_suffix(1);
        return v;
    };
    s = trim(s);
    auto space = s.find_first_of(" \t");
    if (space == std::string_view::npos) return std::nullopt;
    std::string_view hash = s.substr(0, space);
    std::string_view hex = trim(s.substr(space));
    constexpr std::string_view expected_hash = "sha-256";
    if (hash.size() != expected_hash.size()) return std::nullopt;
    for (std::size_t i = 0; i < hash.size(); ++i) {
        char c = hash[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != expected_hash[i]) return std::nullopt;
    }
    // 32 pairs and 31 colons
    sha256_fingerprint out{};
    if (hex.size() != out.size() * 3 - 1) return std::nullopt;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < out.size(); ++i) {
        std::size_t at = i * 3;
        int hi = nibble(hex[at]);
        int lo = nibble(hex[at + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        if (i + 1 < out.size() && hex[at + 2] != ':') return std::nullopt;
        out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return out;
}

/// The SDP form of a SHA-256 digest: `"sha-256 "` then upper-case hex pairs joined by colons
/// (RFC 8122 5, RFC 4572 5).
TANDEM_DECL std::string format_sha256_fingerprint(const sha256_fingerprint& fp) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string s = "sha-256 ";
    for (std::size_t i = 0; i < fp.size(); ++i) {
        if (i) s += ':';
        s += digits[fp[i] >> 4];
        s += digits[fp[i] & 0x0f];
    }
    return s;
}

namespace detail {

struct ssl_ctx_deleter {
    void operator()(SSL_CTX* p) const noexcept { SSL_CTX_free(p); }
};
struct ssl_deleter {
    void operator()(SSL* p) const noexcept { SSL_free(p); }
};
struct x509_deleter {
    void operator()(X509* p) const noexcept { X509_free(p); }
};
struct evp_pkey_deleter {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct bio_deleter {
    void operator()(BIO* p) const noexcept { BIO_free(p); }
};
struct bio_method_deleter {
    void operator()(BIO_METHOD* p) const noexcept { BIO_meth_free(p); }
};
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ssl_ctx_deleter>;
using ssl_ptr = std::unique_ptr<SSL, ssl_deleter>;
using x509_ptr = std::unique_ptr<X509, x509_deleter>;
using evp_pkey_ptr = std::unique_ptr<EVP_PKEY, evp_pkey_deleter>;
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;

/// The SHA-256 digest of a certificate (what `a=fingerprint` names, RFC 8122 5).
TANDEM_DECL std::optional<sha256_fingerprint> digest_of(const X509* cert) noexcept {
    if (!cert) return std::nullopt;
    sha256_fingerprint fp{};
    unsigned int len = 0;
    if (X509_digest(cert, EVP_sha256(), fp.data(), &len) != 1 || len != fp.size()) return std::nullopt;
    return fp;
}

/// The state one `SSL` object shares with its BIO, its verify callback and its timer callback;
/// heap-allocated so that its address survives moves of the `dtls_endpoint`.
struct dtls_link {
    std::deque<std::vector<std::uint8_t>> out; // one entry = one datagram to send
    std::span<const std::uint8_t> in;          // the datagram being fed, read once
    bool in_pending = false;
    std::size_t mtu = 1200;
    std::size_t max_out = 64; // datagrams; a caller that never drains loses the oldest
    unsigned int initial_timeout_us = 1'000'000;
    unsigned int max_timeout_us = 60'000'000;
    std::optional<sha256_fingerprint> expected; // from a=fingerprint, set by start()
    bool fingerprint_mismatch = false;          // set by the verify callback
};

/// The SSL ex_data slot holding the `dtls_link*` of an endpoint's `SSL`.
TANDEM_DECL int link_index() noexcept {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

TANDEM_DECL dtls_link* link_of(const SSL* ssl) noexcept {
    if (!ssl) return nullptr;
    return static_cast<dtls_link*>(SSL_get_ex_data(ssl, link_index()));
}

// The BIO: each BIO_write of OpenSSL (one DTLS record, or a flight's fragment) becomes exactly
// one datagram; each BIO_read returns the one datagram being fed, whole, then "retry". Memory
// BIOs merge writes into one stream and lose datagram boundaries (mediasoup#1100).
extern "C" inline int tandem_dtls_bio_write(BIO* b, const char* data, int len) {
    auto* link = static_cast<dtls_link*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    if (!link || len <= 0) return 0;
    if (link->out.size() >= link->max_out) link->out.pop_front();
    auto* p = reinterpret_cast<const std::uint8_t*>(data);
    link->out.emplace_back(p, p + len);
    return len;
}

extern "C" inline int tandem_dtls_bio_read(BIO* b, char* out, int len) {
    auto* link = static_cast<dtls_link*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    if (!link || !link->in_pending || len <= 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    // a datagram longer than OpenSSL's buffer is truncated; its records then fail to parse and
    // are dropped, as a truncated UDP datagram would be
    std::size_t n = std::min(link->in.size(), static_cast<std::size_t>(len));
    if (n) std::memcpy(out, link->in.data(), n);
    link->in_pending = false;
    link->in = {};
    return static_cast<int>(n);
}

extern "C" inline long tandem_dtls_bio_ctrl(BIO* b, int cmd, long num, void*) {
    auto* link = static_cast<dtls_link*>(BIO_get_data(b));
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_WPENDING: return 0; // writes are never held back
    case BIO_CTRL_PENDING: return link && link->in_pending ? static_cast<long>(link->in.size()) : 0;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU: return link ? static_cast<long>(link->mtu) : 1200;
    case BIO_CTRL_DGRAM_SET_MTU: return num;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: return 0; // our MTU is the datagram payload already
    case BIO_CTRL_DGRAM_MTU_EXCEEDED: return 0;
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT: return 1; // the timer lives in the SSL, read by the caller
    case BIO_CTRL_DGRAM_SET_CONNECTED: return 1;
    case BIO_CTRL_RESET: return 1;
    default: return 0; // BIO_CTRL_PUSH/POP, peer addresses, SCTP...
    }
}

extern "C" inline int tandem_dtls_bio_create(BIO* b) {
    BIO_set_init(b, 1);
    BIO_set_data(b, nullptr);
    return 1;
}

extern "C" inline int tandem_dtls_bio_destroy(BIO* b) {
    if (b) BIO_set_data(b, nullptr);
    return 1;
}

/// The BIO_METHOD of the datagram BIO, made once per process (freed at exit).
TANDEM_DECL const BIO_METHOD* dtls_bio_method() {
    static const std::unique_ptr<BIO_METHOD, bio_method_deleter> method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tandem dtls datagram");
        if (m) {
            BIO_meth_set_write(m, tandem_dtls_bio_write);
            BIO_meth_set_read(m, tandem_dtls_bio_read);
            BIO_meth_set_ctrl(m, tandem_dtls_bio_ctrl);
            BIO_meth_set_create(m, tandem_dtls_bio_create);
            BIO_meth_set_destroy(m, tandem_dtls_bio_destroy);
        }
        return std::unique_ptr<BIO_METHOD, bio_method_deleter>(m);
    }();
    return method.get();
}

// RFC 5763 5: the certificate is self-signed and authenticated by a=fingerprint, not by a CA.
// Every chain is accepted except when the end-entity certificate's SHA-256 differs from the
// expected fingerprint: then the handshake is aborted here (a bad_certificate alert goes to the
// peer), before any key exists.
extern "C" inline int tandem_dtls_verify_callback(int, X509_STORE_CTX* store) {
    if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    dtls_link* link = link_of(ssl);
    if (!link) return 1; // not one of our endpoints
    auto fp = digest_of(X509_STORE_CTX_get_current_cert(store));
    if (!link->expected || !fp || *fp != *link->expected) {
        link->fingerprint_mismatch = true;
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
}

// RFC 6347 4.2.4.1: the initial retransmission timer (1 s by default), doubled at each
// retransmission up to 60 s.
extern "C" inline unsigned int tandem_dtls_timer_callback(SSL* ssl, unsigned int timer_us) {
    dtls_link* link = link_of(ssl);
    unsigned int initial_us = link ? link->initial_timeout_us : 1'000'000;
    unsigned int max_us = link ? link->max_timeout_us : 60'000'000;
    if (timer_us == 0) return std::min(initial_us, max_us);
    return timer_us >= max_us / 2 ? max_us : timer_us * 2;
}

} // namespace detail

/**
 * Our DTLS identity: a certificate, its private key and the OpenSSL context (`SSL_CTX`) every
 * `dtls_endpoint` made from it uses.
 *
 * The context speaks DTLS 1.2 (`DTLS_method`, at least DTLS 1.2; OpenSSL 3.0 has no DTLS 1.3),
 * offers the SRTP protection profiles `SRTP_AEAD_AES_256_GCM`, `SRTP_AEAD_AES_128_GCM`,
 * `SRTP_AES128_CM_SHA1_80` and `SRTP_AES128_CM_SHA1_32` in this order of preference (RFC 5764
 * 4.1.2, RFC 7714 14.2), asks the peer for its certificate and requires one
 * (`SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT`), and accepts self-signed certificates:
 * peers are authenticated by their `a=fingerprint` (RFC 5763 5), which each endpoint checks.
 * Renegotiation, session tickets and the session cache are off.
 *
 * One certificate is meant to be shared by all endpoints of a process (typically through a
 * `std::shared_ptr<const certificate>`), so that `fingerprint()` is one SDP attribute for all
 * calls. An endpoint holds its own reference to the context: it may outlive the certificate.
 *
 * @par Thread safety
 * A `const certificate` may be used from several threads at once (creating endpoints only
 * reads the context).
 */
class certificate {
public:
    /// An empty certificate, good only to be assigned to. `valid()` is false.
    certificate() = default;

    /**
     * Generates a fresh self-signed certificate: a P-256 key (`EVP_EC_gen("P-256")`, small enough
     * to fit a 1200-octet datagram, as rtpengine does), a random 63-bit serial, subject and issuer
     * `CN=tandem`, not before one day ago (clock skew), not after `now + validity`, signed with
     * ECDSA SHA-256.
     *
     * @param validity how long the certificate is valid from now; at least a day is used.
     * @return the certificate, or `srtp_errc::certificate_error` when OpenSSL fails.
     */
    static result<certificate> generate(std::chrono::seconds validity = std::chrono::hours(24 * 365)) {
        ERR_clear_error();
        certificate c;
        if (auto ec = c.generate_impl(validity)) {
            ERR_clear_error();
            return ec;
        }
        return c;
    }

    /**
     * Loads a certificate and its private key from PEM files. The first certificate of
     * `cert_pem_path` is ours (its SHA-256 is the fingerprint); further ones are sent as its
     * chain.
     *
     * @return the certificate, or `srtp_errc::certificate_error` when a file cannot be read, is
     *         not PEM, or the key does not belong to the certificate.
     */
    static result<certificate> load(const std::string& cert_pem_path, const std::string& key_pem_path) {
        ERR_clear_error();
        certificate c;
        if (auto ec = c.load_impl(cert_pem_path, key_pem_path)) {
            ERR_clear_error();
            return ec;
        }
        return c;
    }

    /// Our fingerprint in the SDP form of RFC 8122 5, e.g. `"sha-256 AB:CD:..."` (upper-case hex,
    /// 32 colon-separated pairs), for `a=fingerprint:`. Empty when `!valid()`.
    const std::string& fingerprint() const noexcept { return fingerprint_; }

    /// The SHA-256 digest `fingerprint()` shows.
    const sha256_fingerprint& digest() const noexcept { return digest_; }

    /// True when this holds a certificate (made by `generate()` or `load()`).
    bool valid() const noexcept { return ctx_ != nullptr; }

    /// The OpenSSL context, for advanced configuration before endpoints are made.
    SSL_CTX* native_handle() const noexcept { return ctx_.get(); }

private:
    std::error_code generate_impl(std::chrono::seconds validity) {
        const auto fail = make_error_code(srtp_errc::certificate_error);
        detail::evp_pkey_ptr key(EVP_EC_gen("P-256"));
        if (!key) return fail;
        detail::x509_ptr cert(X509_new());
        if (!cert) return fail;
        if (X509_set_version(cert.get(), 2) != 1) return fail; // X.509 v3
        std::uint64_t serial = 0;
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) != 1) return fail;
        serial &= 0x7fffffffffffffffULL; // positive (RFC 5280 4.1.2.2)
        if (serial == 0) serial = 1;
        if (ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial) != 1) return fail;
        long days = std::max<long>(1, static_cast<long>(validity.count() / 86400));
        if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -86400L)) return fail;
        if (!X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 86400L)) return fail;
        X509_NAME* name = X509_get_subject_name(cert.get());
        static constexpr unsigned char cn[] = "tandem";
        if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) != 1) return fail;
        if (X509_set_issuer_name(cert.get(), name) != 1) return fail;
        if (X509_set_pubkey(cert.get(), key.get()) != 1) return fail;
        if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return fail;
        return make_context(cert.get(), key.get(), nullptr);
    }

    std::error_code load_impl(const std::string& cert_pem_path, const std::string& key_pem_path) {
        const auto fail = make_error_code(srtp_errc::certificate_error);
        detail::bio_ptr cert_file(BIO_new_file(cert_pem_path.c_str(), "r"));
        if (!cert_file) return fail;
        detail::x509_ptr cert(PEM_read_bio_X509(cert_file.get(), nullptr, nullptr, nullptr));
        if (!cert) return fail;
        detail::bio_ptr key_file(BIO_new_file(key_pem_path.c_str(), "r"));
        if (!key_file) return fail;
        detail::evp_pkey_ptr key(PEM_read_bio_PrivateKey(key_file.get(), nullptr, nullptr, nullptr));
        if (!key) return fail;
        return make_context(cert.get(), key.get(), cert_file.get());
    }

    /// `chain`: the rest of the PEM file after our certificate (intermediates), or null.
    std::error_code make_context(X509* cert, EVP_PKEY* key, BIO* chain) {
        const auto fail = make_error_code(srtp_errc::certificate_error);
        auto fp = detail::digest_of(cert);
        if (!fp) return fail;
        detail::ssl_ctx_ptr ctx(SSL_CTX_new(DTLS_method()));
        if (!ctx) return fail;
        if (SSL_CTX_use_certificate(ctx.get(), cert) != 1) return fail;
        if (SSL_CTX_use_PrivateKey(ctx.get(), key) != 1) return fail;
        if (SSL_CTX_check_private_key(ctx.get()) != 1) return fail;
        if (chain) {
            while (X509* extra = PEM_read_bio_X509(chain, nullptr, nullptr, nullptr)) {
                if (SSL_CTX_add0_chain_cert(ctx.get(), extra) != 1) { // takes ownership on success
                    X509_free(extra);
                    return fail;
                }
            }
            ERR_clear_error(); // the end of the file reads as a PEM "no start line" error
        }
        if (SSL_CTX_set_min_proto_version(ctx.get(), DTLS1_2_VERSION) != 1) return fail;
        // RFC 5764 4.1.2; NB this one returns 0 on success
        if (SSL_CTX_set_tlsext_use_srtp(ctx.get(), "SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM:"
                                                   "SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32") != 0)
            return fail;
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                           detail::tandem_dtls_verify_callback);
        SSL_CTX_set_read_ahead(ctx.get(), 1);
        SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(ctx.get(), SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
        ctx_ = std::move(ctx);
        digest_ = *fp;
        fingerprint_ = format_sha256_fingerprint(*fp);
        return {};
    }

    detail::ssl_ctx_ptr ctx_;
    sha256_fingerprint digest_{};
    std::string fingerprint_;
};

/// Which side of the DTLS handshake we are (RFC 5763 5, RFC 4145 4): the `a=setup:active`
/// side is the DTLS client, the `a=setup:passive` side the server. The offerer says `actpass`
/// and the answerer chooses.
enum class dtls_role { client, server };

/// Where a `dtls_endpoint` stands.
enum class dtls_state {
    idle,        ///< not started: received datagrams are buffered
    handshaking, ///< started, no keys yet
    connected,   ///< handshake done, fingerprint checked, `keys()` available
    closed,      ///< a close_notify was received or sent (`close()`); `error()` is empty
    failed,      ///< the handshake failed or was refused; see `error()`
};

/// Options of a `dtls_endpoint`.
struct dtls_options {
    /// The largest datagram the endpoint emits (the DTLS records, without IP/UDP headers); at
    /// least 256 (OpenSSL's minimum). 1200 fits every path that carries RTP and a TURN header.
    std::size_t mtu = 1200;
    /// The first retransmission timeout of a flight (RFC 6347 4.2.4.1: 1 s), doubled at each
    /// retransmission up to `max_timeout`. At least 20 ms: OpenSSL reads a timer with less than
    /// 15 ms left as expired. OpenSSL gives up after 12 retransmissions of a flight (about 7
    /// minutes with the defaults).
    std::chrono::milliseconds initial_timeout{1000};
    /// The longest retransmission timeout (RFC 6347 4.2.4.1: 60 s); at least `initial_timeout`.
    std::chrono::milliseconds max_timeout{60'000};
    /// Datagrams kept while not started (a ClientHello that arrives before our SDP answer told
    /// us our role); later ones are dropped.
    std::size_t max_buffered = 8;
};

/**
 * One DTLS-SRTP association (RFC 5764): a DTLS 1.2 handshake over datagrams the caller carries,
 * which yields the SRTP master keys of both directions once the peer has proved it holds the
 * certificate its `a=fingerprint` names (RFC 5763 5).
 *
 * @par Usage contract (sans-I/O)
 * - Inputs are `start()`, `on_datagram()`, `on_timeout()` and `close()`, each with `now`.
 * - **After every input, drain `poll_datagram()` until empty** and send each datagram as one UDP
 *   datagram to the peer, then re-arm the one timer of this endpoint from `next_timeout()`
 *   (none when it returns `std::nullopt`), and look at `state()`: when it becomes `connected`,
 *   take `keys()`.
 * - Datagrams that arrive before `start()` (the peer's ClientHello can beat the SIP answer that
 *   tells us our role, RFC 5763 5) are kept, at most `dtls_options::max_buffered` of them, and
 *   fed at `start()`. Only datagrams whose first octet is 20-63 (DTLS, RFC 7983 7) are kept.
 *
 * @par Roles and buffered datagrams
 * Buffered datagrams are from a peer that spoke first, which only a DTLS client does. So
 * `start(dtls_role::server, ...)` feeds them to the handshake; `start(dtls_role::client, ...)`
 * fails the endpoint with `srtp_errc::bad_setup` if one of them is a ClientHello (both sides
 * would be clients), and discards them otherwise.
 *
 * @par Fingerprint
 * The peer's end-entity certificate must have the SHA-256 named by the `a=fingerprint` given to
 * `start()`. It is checked while the peer's Certificate message is processed (the handshake
 * then aborts with a bad_certificate alert, which `poll_datagram()` yields for the peer) and
 * again when the handshake completes, before any key is exported. A mismatch gives
 * `state() == failed` and `error() == srtp_errc::fingerprint_mismatch`. A fingerprint that does
 * not parse or uses another hash than `sha-256` gives `srtp_errc::no_fingerprint` at `start()`.
 *
 * @par After the handshake
 * The endpoint keeps reading: a peer that lost our last flight retransmits its own, and feeding
 * it re-queues ours (RFC 6347 4.2.4). Application data (unused by DTLS-SRTP) is discarded. A
 * close_notify from the peer answers with ours and moves to `closed` (RFC 5246 7.2.1), and so
 * does `close()`; `keys()` is then empty: the relay should stop using them. Other failures after
 * the handshake (a fatal alert) give `failed` with `srtp_errc::dtls_failed`.
 *
 * @par Time
 * OpenSSL's DTLS retransmission timer reads the real clock (`gettimeofday`) and cannot be
 * given another one. The endpoint maps it onto the caller's clock: `next_timeout()` is the `now`
 * of the latest input plus the time OpenSSL says is left, and `on_timeout()` retransmits only
 * if OpenSSL's own timer has expired (otherwise nothing happens, and `next_timeout()` tells
 * when to come back). A shell that passes `std::chrono::steady_clock::now()` gets exact
 * behaviour; a fake clock that runs faster than the real one gets no early retransmission.
 *
 * @par Bounds and garbage
 * Records that do not parse or authenticate are dropped (RFC 6347 4.1.2.7); a malformed
 * handshake message fails the handshake (`dtls_failed`). OpenSSL bounds its own reassembly
 * buffers and retransmissions; the output queue keeps at most 64 datagrams (the oldest are
 * dropped when the caller does not drain).
 *
 * @par Restart
 * An endpoint runs one handshake. A new `a=fingerprint`, a role change or a new `tls-id`
 * (RFC 8842) needs a new endpoint.
 *
 * Movable, not copyable. Not thread-safe: use it from one thread (or strand) at a time.
 */
class dtls_endpoint {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;

    /// The SRTP master keys and salts of both directions (RFC 5764 4.2).
    struct srtp_keys {
        suite s;                          ///< the negotiated protection profile
        std::vector<std::uint8_t> local;  ///< master key || master salt of what we send
        std::vector<std::uint8_t> remote; ///< master key || master salt of what the peer sends
    };

    /**
     * An endpoint using the context of `cert` (it holds its own reference to it).
     *
     * @throws std::invalid_argument when `cert` is not valid or `opts.mtu` is below 256.
     * @throws std::bad_alloc when OpenSSL cannot allocate the connection.
     */
    explicit dtls_endpoint(const certificate& cert, dtls_options opts = {}) : opts_(opts) {
        if (!cert.valid()) throw std::invalid_argument("tandem::srtp::dtls_endpoint: no certificate");
        if (opts_.mtu < 256) throw std::invalid_argument("tandem::srtp::dtls_endpoint: mtu below 256");
        link_ = std::make_unique<detail::dtls_link>();
        link_->mtu = opts_.mtu;
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(opts_.initial_timeout).count();
        // OpenSSL reads a timer with less than 15 ms left as expired (d1_lib.c), and retransmits
        // at once when it is, even inside SSL_do_handshake: shorter timers would burn all
        // retransmissions in one call
        link_->initial_timeout_us = static_cast<unsigned int>(std::clamp<long long>(us, 20'000, 60'000'000));
        us = std::chrono::duration_cast<std::chrono::microseconds>(opts_.max_timeout).count();
        link_->max_timeout_us =
            static_cast<unsigned int>(std::clamp<long long>(us, link_->initial_timeout_us, 600'000'000));
        ERR_clear_error();
        ssl_.reset(SSL_new(cert.native_handle()));
        const BIO_METHOD* method = detail::dtls_bio_method();
        BIO* bio = method ? BIO_new(method) : nullptr;
        if (!ssl_ || !bio) {
            BIO_free(bio);
            ERR_clear_error();
            throw std::bad_alloc();
        }
        BIO_set_data(bio, link_.get());
        SSL_set_bio(ssl_.get(), bio, bio); // the SSL owns the one BIO for both directions
        SSL_set_ex_data(ssl_.get(), detail::link_index(), link_.get());
        SSL_set_options(ssl_.get(), SSL_OP_NO_QUERY_MTU);
        // each fragment of a flight fits one datagram of at most mtu octets
        SSL_set_mtu(ssl_.get(), static_cast<long>(opts_.mtu));
        DTLS_set_link_mtu(ssl_.get(), static_cast<long>(opts_.mtu));
        DTLS_set_timer_cb(ssl_.get(), detail::tandem_dtls_timer_callback);
        ERR_clear_error();
    }

    /// Moves the association; `o` may then only be destroyed or assigned to.
    dtls_endpoint(dtls_endpoint&& o) noexcept = default;

    /// Ends our association (without close_notify) and takes over `o`'s.
    dtls_endpoint& operator=(dtls_endpoint&& o) noexcept {
        if (this == &o) return *this;
        ssl_.reset(); // before the link its BIO and ex_data point to
        opts_ = o.opts_;
        link_ = std::move(o.link_);
        ssl_ = std::move(o.ssl_);
        state_ = o.state_;
        role_ = o.role_;
        error_ = o.error_;
        peer_fingerprint_ = std::move(o.peer_fingerprint_);
        buffered_ = std::move(o.buffered_);
        keys_ = std::move(o.keys_);
        now_ = o.now_;
        return *this;
    }

    dtls_endpoint(const dtls_endpoint&) = delete;
    dtls_endpoint& operator=(const dtls_endpoint&) = delete;
    ~dtls_endpoint() = default;

    /**
     * Starts the handshake once SDP told us our role and the peer's fingerprint. A client
     * queues its ClientHello; a server feeds the datagrams buffered so far (see the class
     * comment for the rules).
     *
     * @param role our side (`client` = `a=setup:active`).
     * @param peer_fingerprint the peer's `a=fingerprint` value, e.g. `"sha-256 AB:CD:..."`.
     * @param now the caller's current time.
     * @throws std::logic_error when the endpoint was already started.
     */
    void start(dtls_role role, std::string peer_fingerprint, time_point now) {
        if (state_ != dtls_state::idle) throw std::logic_error("tandem::srtp::dtls_endpoint: started twice");
        now_ = now;
        role_ = role;
        peer_fingerprint_ = std::move(peer_fingerprint);
        std::deque<std::vector<std::uint8_t>> buffered;
        buffered.swap(buffered_);
        state_ = dtls_state::handshaking;
        link_->expected = parse_sha256_fingerprint(peer_fingerprint_);
        if (!link_->expected) return fail(srtp_errc::no_fingerprint);
        ERR_clear_error();
        if (role == dtls_role::client) {
            // RFC 4145 4 / RFC 5763 5: only a client speaks first; a ClientHello from the peer
            // means it is the client too
            for (const auto& d : buffered)
                if (is_client_hello(d)) return fail(srtp_errc::bad_setup);
            SSL_set_connect_state(ssl_.get());
            handshake();
        } else {
            SSL_set_accept_state(ssl_.get());
            for (const auto& d : buffered) {
                if (state_ != dtls_state::handshaking && state_ != dtls_state::connected) break;
                feed(d);
            }
        }
        ERR_clear_error();
    }

    /**
     * Feeds one datagram received from the peer (whose first octet is 20-63, RFC 7983 7).
     * Before `start()` it is buffered; after `failed` or `closed` it is ignored.
     */
    void on_datagram(std::span<const std::uint8_t> d, time_point now) {
        now_ = now;
        if (d.empty()) return;
        switch (state_) {
        case dtls_state::idle:
            if (d[0] >= 20 && d[0] <= 63 && buffered_.size() < opts_.max_buffered)
                buffered_.emplace_back(d.begin(), d.end());
            return;
        case dtls_state::handshaking:
        case dtls_state::connected:
            ERR_clear_error();
            feed(d);
            ERR_clear_error();
            return;
        case dtls_state::closed:
        case dtls_state::failed: return;
        }
    }

    /// The next datagram to send to the peer, oldest first; `std::nullopt` when none is queued.
    /// Each is at most `dtls_options::mtu` octets.
    std::optional<std::vector<std::uint8_t>> poll_datagram() {
        if (link_->out.empty()) return std::nullopt;
        std::vector<std::uint8_t> d = std::move(link_->out.front());
        link_->out.pop_front();
        return d;
    }

    /**
     * When `on_timeout()` should be called: the `now` of the latest input plus what is left of
     * OpenSSL's retransmission timer; `std::nullopt` when no flight awaits an answer.
     */
    std::optional<time_point> next_timeout() const {
        if (state_ != dtls_state::handshaking && state_ != dtls_state::connected) return std::nullopt;
        timeval tv{};
        if (DTLSv1_get_timeout(ssl_.get(), &tv) != 1) return std::nullopt;
        auto left = std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
        return now_ + std::chrono::duration_cast<clock::duration>(left);
    }

    /**
     * The timer armed from `next_timeout()` fired: retransmits the last flight if OpenSSL's timer
     * has expired (RFC 6347 4.2.4). Too many retransmissions fail the handshake (`dtls_failed`).
     */
    void on_timeout(time_point now) {
        now_ = now;
        if (state_ != dtls_state::handshaking && state_ != dtls_state::connected) return;
        ERR_clear_error();
        if (DTLSv1_handle_timeout(ssl_.get()) < 0 && state_ == dtls_state::handshaking)
            fail(srtp_errc::dtls_failed);
        ERR_clear_error();
    }

    /**
     * Ends the association: queues a close_notify alert for the peer (when a handshake was
     * started) and moves to `closed`. Nothing happens in `failed` or `closed`.
     */
    void close(time_point now) {
        now_ = now;
        if (state_ == dtls_state::failed || state_ == dtls_state::closed) return;
        if (state_ != dtls_state::idle) {
            ERR_clear_error();
            SSL_shutdown(ssl_.get());
            ERR_clear_error();
        }
        buffered_.clear();
        keys_.reset();
        state_ = dtls_state::closed;
    }

    /// Where the endpoint stands.
    dtls_state state() const noexcept { return state_; }

    /// Why the endpoint failed (`srtp_errc`): empty unless `state() == dtls_state::failed`.
    std::error_code error() const noexcept { return error_; }

    /// Our role, as given to `start()`.
    dtls_role role() const noexcept { return role_; }

    /// The peer fingerprint given to `start()`.
    const std::string& peer_fingerprint() const noexcept { return peer_fingerprint_; }

    /// The SRTP keys, once `state() == dtls_state::connected`; `std::nullopt` otherwise.
    std::optional<srtp_keys> keys() const {
        if (state_ != dtls_state::connected) return std::nullopt;
        return keys_;
    }

    /// The OpenSSL connection, for inspection (do not drive it).
    SSL* native_handle() const noexcept { return ssl_.get(); }

private:
    static bool is_client_hello(std::span<const std::uint8_t> d) noexcept {
        // RFC 6347 4.1: a 13-octet record header (type 22 = handshake), then the handshake
        // header whose first octet is the message type (1 = ClientHello)
        return d.size() > 13 && d[0] == 22 && d[13] == 1;
    }

    void feed(std::span<const std::uint8_t> d) {
        link_->in = d;
        link_->in_pending = true;
        if (state_ == dtls_state::handshaking)
            handshake();
        else if (state_ == dtls_state::connected)
            read_records();
        link_->in = {};
        link_->in_pending = false;
    }

    void handshake() {
        int r = SSL_do_handshake(ssl_.get());
        if (r == 1) return on_handshake_done();
        int e = SSL_get_error(ssl_.get(), r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
        fail(link_->fingerprint_mismatch ? srtp_errc::fingerprint_mismatch : srtp_errc::dtls_failed);
    }

    void on_handshake_done() {
        // RFC 5763 5: the certificate must match a=fingerprint before keys are used
        // (failures past this point: the peer may believe it is connected, tell it with a
        // close_notify, the only alert OpenSSL lets us send)
        detail::x509_ptr peer(SSL_get1_peer_certificate(ssl_.get()));
        auto fp = detail::digest_of(peer.get());
        if (!fp || !link_->expected || *fp != *link_->expected)
            return fail_connected(srtp_errc::fingerprint_mismatch);
        // RFC 5764 4.1.2: both sides agreed on a protection profile
        const SRTP_PROTECTION_PROFILE* profile = SSL_get_selected_srtp_profile(ssl_.get());
        if (!profile || !profile->name) return fail_connected(srtp_errc::no_srtp_profile);
        std::optional<suite> s = suite_from_dtls_profile(profile->name);
        if (!s) return fail_connected(srtp_errc::no_srtp_profile);
        // RFC 5764 4.2: client key | server key | client salt | server salt
        const std::size_t key_len = info(*s).key_len;
        const std::size_t salt_len = info(*s).salt_len;
        std::vector<std::uint8_t> material(2 * (key_len + salt_len));
        static constexpr char label[] = "EXTRACTOR-dtls_srtp";
        if (SSL_export_keying_material(ssl_.get(), material.data(), material.size(), label, sizeof label - 1,
                                       nullptr, 0, 0) != 1)
            return fail_connected(srtp_errc::dtls_failed);
        auto part = [&](std::size_t key_at, std::size_t salt_at) {
            std::vector<std::uint8_t> v(material.begin() + static_cast<std::ptrdiff_t>(key_at),
                                        material.begin() + static_cast<std::ptrdiff_t>(key_at + key_len));
            v.insert(v.end(), material.begin() + static_cast<std::ptrdiff_t>(salt_at),
                     material.begin() + static_cast<std::ptrdiff_t>(salt_at + salt_len));
            return v;
        };
        std::vector<std::uint8_t> client = part(0, 2 * key_len);
        std::vector<std::uint8_t> server = part(key_len, 2 * key_len + salt_len);
        OPENSSL_cleanse(material.data(), material.size());
        if (role_ == dtls_role::client)
            keys_ = srtp_keys{*s, std::move(client), std::move(server)};
        else
            keys_ = srtp_keys{*s, std::move(server), std::move(client)};
        state_ = dtls_state::connected;
        // records that followed the Finished in the same datagram
        read_records();
    }

    void read_records() {
        std::array<std::uint8_t, 2048> sink{};
        // each SSL_read returns one record at most; the datagram holds a bounded number of them
        for (int i = 0; i < 64; ++i) {
            int r = SSL_read(ssl_.get(), sink.data(), static_cast<int>(sink.size()));
            if (r > 0) continue; // application data: not used by DTLS-SRTP, dropped
            int e = SSL_get_error(ssl_.get(), r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
            if (e == SSL_ERROR_ZERO_RETURN) {
                // RFC 5246 7.2.1: close_notify; answer with ours
                SSL_shutdown(ssl_.get());
                keys_.reset();
                state_ = dtls_state::closed;
                return;
            }
            return fail(srtp_errc::dtls_failed);
        }
    }

    void fail_connected(srtp_errc e) {
        SSL_shutdown(ssl_.get());
        fail(e);
    }

    void fail(srtp_errc e) {
        state_ = dtls_state::failed;
        error_ = make_error_code(e);
        keys_.reset();
        buffered_.clear();
    }

    dtls_options opts_;
    std::unique_ptr<detail::dtls_link> link_; // before ssl_: the SSL's BIO points into it
    detail::ssl_ptr ssl_;
    dtls_state state_ = dtls_state::idle;
    dtls_role role_ = dtls_role::client;
    std::error_code error_;
    std::string peer_fingerprint_;
    std::deque<std::vector<std::uint8_t>> buffered_;
    std::optional<srtp_keys> keys_;
    time_point now_{};
};

} // namespace tandem::srtp

#endif
