#include <tandem/srtp/context.hpp>

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

// The SRTP contexts are libsrtp2's; these tests hold them to an independent model of RFC 3711
// and RFC 7714 written here on OpenSSL (key derivation, AES-CM + HMAC-SHA1, AES-GCM). The model
// itself is first checked against the RFCs' own vectors (RFC 3711 B.3, RFC 7714 16.1.1).

using namespace tandem;
using bytes = std::vector<std::uint8_t>;

namespace {

bytes hex(std::string_view s) {
    bytes out;
    int hi = -1;
    for (char c : s) {
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0) continue;
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
            hi = -1;
        }
    }
    return out;
}

bytes concat(bytes a, const bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// AES in counter mode from a 16-octet IV over `data` (the keystream when data is zeros).
bytes aes_ctr(const bytes& key, const bytes& iv, bytes data) {
    const EVP_CIPHER* c = key.size() == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    EVP_EncryptInit_ex(ctx, c, nullptr, key.data(), iv.data());
    EVP_EncryptUpdate(ctx, data.data(), &n, data.data(), static_cast<int>(data.size()));
    EVP_CIPHER_CTX_free(ctx);
    return data;
}

// RFC 3711 4.3.1/4.3.3 with kdr = 0: AES-CM PRF keyed with the master key, from
// x = (label << 48) XOR master salt (the salt taken as 14 octets, zero-padded: RFC 7714 11).
bytes kdf(const bytes& master_key, bytes master_salt, std::uint8_t label, std::size_t n) {
    master_salt.resize(14, 0);
    bytes iv = master_salt;
    iv[7] ^= label;
    iv.resize(16, 0);
    bytes out = aes_ctr(master_key, iv, bytes(n, 0));
    return out;
}

bytes hmac_sha1(const bytes& key, const bytes& data) {
    std::array<std::uint8_t, 20> md{};
    unsigned len = 0;
    HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), md.data(), &len);
    return {md.begin(), md.end()};
}

// An SRTP packet by RFC 3711 3.1/4.1.1/4.2 (AES-CM, HMAC-SHA1), rollover counter `roc`.
bytes model_srtp_cm(const bytes& master, std::size_t key_len, std::size_t tag_len, const bytes& rtp,
                    std::uint32_t roc) {
    bytes mk(master.begin(), master.begin() + static_cast<long>(key_len));
    bytes ms(master.begin() + static_cast<long>(key_len), master.end());
    bytes ke = kdf(mk, ms, 0, key_len);
    bytes ka = kdf(mk, ms, 1, 20);
    bytes ks = kdf(mk, ms, 2, 14);
    bytes iv = ks;
    iv.resize(16, 0);
    for (std::size_t i = 0; i < 4; ++i) iv[4 + i] ^= rtp[8 + i]; // SSRC
    std::uint64_t index = (std::uint64_t(roc) << 16) | (unsigned(rtp[2]) << 8 | rtp[3]);
    for (std::size_t i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<std::uint8_t>(index >> (8 * (5 - i)));
    bytes header(rtp.begin(), rtp.begin() + 12);
    bytes payload(rtp.begin() + 12, rtp.end());
    bytes out = concat(header, aes_ctr(ke, iv, payload));
    bytes roc_be{static_cast<std::uint8_t>(roc >> 24), static_cast<std::uint8_t>(roc >> 16),
                 static_cast<std::uint8_t>(roc >> 8), static_cast<std::uint8_t>(roc)};
    bytes tag = hmac_sha1(ka, concat(out, roc_be));
    tag.resize(tag_len);
    return concat(out, tag);
}

// RFC 7714 8.1/9.1: AES-GCM with IV = session salt XOR (0 || SSRC || ROC || SEQ), the RTP
// header as associated data, a 16-octet tag.
bytes gcm_with_session_keys(const bytes& key, const bytes& salt, const bytes& rtp, std::uint32_t roc) {
    bytes iv = salt;
    for (std::size_t i = 0; i < 4; ++i) iv[2 + i] ^= rtp[8 + i];
    for (std::size_t i = 0; i < 4; ++i) iv[6 + i] ^= static_cast<std::uint8_t>(roc >> (8 * (3 - i)));
    iv[10] ^= rtp[2];
    iv[11] ^= rtp[3];
    const EVP_CIPHER* c = key.size() == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    EVP_EncryptInit_ex(ctx, c, nullptr, nullptr, nullptr);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr);
    EVP_EncryptInit_ex(ctx, nullptr, nullptr, key.data(), iv.data());
    EVP_EncryptUpdate(ctx, nullptr, &n, rtp.data(), 12);
    bytes payload(rtp.begin() + 12, rtp.end());
    bytes ct(payload.size());
    EVP_EncryptUpdate(ctx, ct.data(), &n, payload.data(), static_cast<int>(payload.size()));
    EVP_EncryptFinal_ex(ctx, ct.data(), &n);
    bytes tag(16);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag.data());
    EVP_CIPHER_CTX_free(ctx);
    return concat(concat(bytes(rtp.begin(), rtp.begin() + 12), ct), tag);
}

bytes model_srtp_gcm(const bytes& master, std::size_t key_len, const bytes& rtp, std::uint32_t roc) {
    bytes mk(master.begin(), master.begin() + static_cast<long>(key_len));
    bytes ms(master.begin() + static_cast<long>(key_len), master.end());
    return gcm_with_session_keys(kdf(mk, ms, 0, key_len), kdf(mk, ms, 2, 12), rtp, roc);
}

bytes model(srtp::suite s, const bytes& master, const bytes& rtp) {
    auto in = srtp::info(s);
    if (in.rtp_tag_len == 16) return model_srtp_gcm(master, in.key_len, rtp, 0);
    return model_srtp_cm(master, in.key_len, in.rtp_tag_len, rtp, 0);
}

bytes rtp_packet(std::uint16_t seq, std::size_t payload = 160) {
    bytes p{0x80,
            0x00,
            static_cast<std::uint8_t>(seq >> 8),
            static_cast<std::uint8_t>(seq),
            0,
            0,
            0x12,
            0x34,
            0xde,
            0xca,
            0xfb,
            0xad};
    for (std::size_t i = 0; i < payload; ++i) p.push_back(static_cast<std::uint8_t>(i * 7 + seq));
    return p;
}

bytes master_for(srtp::suite s) {
    bytes k(srtp::key_salt_len(s));
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(0x11 * (i + 1) + 3);
    return k;
}

// Protects `p` with `c` (room for the trailer), returns the packet on the wire.
bytes protect(srtp::context& c, bytes p, bool rtcp = false) {
    std::size_t len = p.size();
    p.resize(len + srtp::max_trailer);
    auto r = rtcp ? c.protect_rtcp(p.data(), len, p.size()) : c.protect_rtp(p.data(), len, p.size());
    REQUIRE(r);
    p.resize(len);
    return p;
}

result<bytes> unprotect(srtp::context& c, bytes p, bool rtcp = false) {
    std::size_t len = p.size();
    auto r = rtcp ? c.unprotect_rtcp(p.data(), len) : c.unprotect_rtp(p.data(), len);
    if (!r) return r.error();
    p.resize(len);
    return p;
}

} // namespace

TEST_CASE("the test's model derives RFC 3711 B.3's session keys", "[srtp]") {
    bytes mk = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
    bytes ms = hex("0EC675AD498AFEEBB6960B3AABE6");
    CHECK(kdf(mk, ms, 0, 16) == hex("C61E7A93744F39EE10734AFE3FF7A087"));
    CHECK(kdf(mk, ms, 2, 14) == hex("30CBBC08863D8C85D49DB34A9AE1"));
    CHECK(kdf(mk, ms, 1, 20) == hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));
}

TEST_CASE("the test's model encrypts RFC 7714 16.1.1's packet", "[srtp]") {
    bytes rtp =
        hex("8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 "
            "61727465 73207472 6573");
    bytes expected =
        hex("8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a "
            "51c7d19b 36de3adf 8833 899d7f27 beb16a91 52cf765e e4390cce");
    CHECK(gcm_with_session_keys(hex("000102030405060708090a0b0c0d0e0f"), hex("517569642070726f2071756f"), rtp,
                                0) == expected);
}

TEST_CASE("each suite protects exactly as RFC 3711 / RFC 7714 say, and unprotects", "[srtp]") {
    for (srtp::suite s : srtp::all_suites) {
        CAPTURE(srtp::info(s).name);
        bytes master = master_for(s);
        auto out = srtp::context::make(s, master, srtp::direction::outbound);
        auto in = srtp::context::make(s, master, srtp::direction::inbound);
        REQUIRE(out);
        REQUIRE(in);
        for (std::uint16_t seq : {std::uint16_t{1000}, std::uint16_t{1001}, std::uint16_t{1003}}) {
            bytes plain = rtp_packet(seq);
            bytes wire = protect(*out, plain);
            CHECK(wire.size() == plain.size() + srtp::info(s).rtp_tag_len);
            CHECK(wire == model(s, master, plain));
            auto back = unprotect(*in, wire);
            REQUIRE(back);
            CHECK(*back == plain);
        }
        // SRTCP: E flag and index, then the suite's SRTCP tag (80 bits for the _32 suites)
        bytes rr = hex("81c90007 deadbeef 12345678 00000000 00000000 00000000 00000000 00000000");
        bytes wire = protect(*out, rr, true);
        CHECK(wire.size() == rr.size() + 4 + srtp::info(s).rtcp_tag_len);
        auto back = unprotect(*in, wire, true);
        REQUIRE(back);
        CHECK(*back == rr);
    }
}

TEST_CASE("forged and replayed SRTP packets are refused", "[srtp]") {
    auto s = srtp::suite::aes_cm_128_hmac_sha1_80;
    bytes master = master_for(s);
    auto out = srtp::context::make(s, master, srtp::direction::outbound);
    auto in = srtp::context::make(s, master, srtp::direction::inbound);
    REQUIRE((out && in));
    bytes wire = protect(*out, rtp_packet(7));
    bytes forged = wire;
    forged.back() ^= 1;
    CHECK(unprotect(*in, forged).error() == srtp_errc::auth_failed);
    bytes other_payload = wire;
    other_payload[20] ^= 0x80;
    CHECK(unprotect(*in, other_payload).error() == srtp_errc::auth_failed);
    REQUIRE(unprotect(*in, wire));
    CHECK(unprotect(*in, wire).error() == srtp_errc::replayed);
    // a wrong key fails authentication
    bytes other = master;
    other[0] ^= 1;
    auto stranger = srtp::context::make(s, other, srtp::direction::inbound);
    REQUIRE(stranger);
    CHECK(unprotect(*stranger, protect(*out, rtp_packet(8))).error() == srtp_errc::auth_failed);
    // garbage is refused, not crashed on
    bytes tiny{0x80, 0x00, 0x00};
    CHECK(!unprotect(*in, tiny));
    CHECK(!unprotect(*in, bytes{}, true));
}

TEST_CASE("the replay window lets reordered video through", "[srtp]") {
    auto s = srtp::suite::aead_aes_128_gcm;
    bytes master = master_for(s);
    auto out = srtp::context::make(s, master, srtp::direction::outbound);
    auto in = srtp::context::make(s, master, srtp::direction::inbound);
    REQUIRE((out && in));
    std::vector<bytes> burst;
    for (std::uint16_t i = 0; i < 600; ++i)
        burst.push_back(protect(*out, rtp_packet(static_cast<std::uint16_t>(100 + i), 40)));
    // the newest first, then the 599 before it (a window of 128 would refuse most of them)
    REQUIRE(unprotect(*in, burst.back()));
    std::size_t ok = 0;
    for (std::size_t i = 0; i + 1 < burst.size(); ++i) ok += unprotect(*in, burst[i]).has_value();
    CHECK(ok == burst.size() - 1);
}

TEST_CASE("a context keeps its key; a wrong key length is refused", "[srtp]") {
    auto s = srtp::suite::aes_256_cm_hmac_sha1_32;
    bytes master = master_for(s);
    auto c = srtp::context::make(s, master, srtp::direction::inbound);
    REQUIRE(c);
    CHECK(c->same_key(s, master));
    CHECK_FALSE(c->same_key(srtp::suite::aes_256_cm_hmac_sha1_80, master));
    bytes other = master;
    other[3] ^= 1;
    CHECK_FALSE(c->same_key(s, other));
    srtp::context moved = std::move(*c);
    CHECK(moved);
    CHECK_FALSE(*c);
    CHECK(srtp::context::make(s, bytes(30), srtp::direction::inbound).error() == srtp_errc::bad_key);
    CHECK(srtp::context::make(srtp::suite::aead_aes_128_gcm, bytes(30), srtp::direction::outbound).error() ==
          srtp_errc::bad_key);
}

// ---- against libsrtp2 itself (a second, independent implementation) ------------------------

#include <srtp2/srtp.h>

namespace {

struct libsrtp {
    srtp_t session = nullptr;
    std::vector<std::uint8_t> key;
    libsrtp(srtp::suite s, const bytes& k, bool inbound) : key(k) {
        static const bool ready = srtp_init() == srtp_err_status_ok;
        REQUIRE(ready);
        srtp_policy_t p{};
        switch (s) {
        case srtp::suite::aes_cm_128_hmac_sha1_80:
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
            break;
        case srtp::suite::aes_cm_128_hmac_sha1_32:
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
            break;
        case srtp::suite::aes_256_cm_hmac_sha1_80:
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtp);
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
            break;
        case srtp::suite::aes_256_cm_hmac_sha1_32:
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p.rtp);
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
            break;
        case srtp::suite::aead_aes_128_gcm:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
            break;
        case srtp::suite::aead_aes_256_gcm:
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
            break;
        }
        p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
        p.key = key.data();
        p.window_size = 1024;
        REQUIRE(srtp_create(&session, &p) == srtp_err_status_ok);
    }
    ~libsrtp() { srtp_dealloc(session); }
    bytes protect(bytes pk, bool rtcp) {
        int n = static_cast<int>(pk.size());
        pk.resize(pk.size() + SRTP_MAX_TRAILER_LEN);
        REQUIRE((rtcp ? srtp_protect_rtcp(session, pk.data(), &n) : srtp_protect(session, pk.data(), &n)) ==
                srtp_err_status_ok);
        pk.resize(static_cast<std::size_t>(n));
        return pk;
    }
    bool unprotect(bytes& pk, bool rtcp) {
        int n = static_cast<int>(pk.size());
        bool ok = (rtcp ? srtp_unprotect_rtcp(session, pk.data(), &n)
                        : srtp_unprotect(session, pk.data(), &n)) == srtp_err_status_ok;
        if (ok) pk.resize(static_cast<std::size_t>(n));
        return ok;
    }
};

} // namespace

TEST_CASE("SRTP and SRTCP interoperate with libsrtp2 both ways, across a rollover", "[srtp]") {
    for (srtp::suite s : srtp::all_suites) {
        CAPTURE(srtp::info(s).name);
        bytes master = master_for(s);
        auto ours_out = srtp::context::make(s, master, srtp::direction::outbound);
        auto ours_in = srtp::context::make(s, master, srtp::direction::inbound);
        REQUIRE((ours_out && ours_in));
        libsrtp theirs_in(s, master, true), theirs_out(s, master, false);
        auto ours_in_rtcp = srtp::context::make(s, master, srtp::direction::inbound);
        REQUIRE(ours_in_rtcp);
        // sequence numbers across 65535 -> 0 (the rollover counter goes to 1)
        for (std::uint32_t i = 0; i < 12; ++i) {
            auto seq = static_cast<std::uint16_t>(65530 + i);
            bytes plain = rtp_packet(seq, 60 + i);
            bytes wire = protect(*ours_out, plain);
            CHECK(wire == theirs_out.protect(plain, false)); // the same bytes as libsrtp2
            bytes copy = wire;
            REQUIRE(theirs_in.unprotect(copy, false));
            CHECK(copy == plain);
            auto back = unprotect(*ours_in, wire);
            REQUIRE(back);
            CHECK(*back == plain);
        }
        for (int i = 0; i < 3; ++i) {
            bytes sr = hex("80c80006 deadbeef 00000001 00000002 00000003 00000004 00000005");
            sr[8] = static_cast<std::uint8_t>(i);
            bytes wire = protect(*ours_out, sr, true);
            // (not the same bytes: libsrtp2 sends its first SRTCP index as 1, RFC 3711 3.4 says 0)
            bytes theirs = theirs_out.protect(sr, true);
            auto from_them = unprotect(*ours_in_rtcp, theirs, true); // its own replay window
            REQUIRE(from_them);
            CHECK(*from_them == sr);
            bytes copy = wire;
            REQUIRE(theirs_in.unprotect(copy, true));
            CHECK(copy == sr);
            auto back = unprotect(*ours_in, wire, true);
            REQUIRE(back);
            CHECK(*back == sr);
        }
    }
}
