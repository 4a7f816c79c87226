#include <tandem/zrtp/crypto.hpp>

#include "zrtp/data/vectors.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zrtp = tandem::zrtp;
namespace v = zrtp_vectors;
using bytes = std::vector<std::uint8_t>;

namespace {

bytes from_hex(std::string_view hex) {
    auto nibble = [](char c) -> std::uint8_t {
        if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
        return static_cast<std::uint8_t>(c - 'a' + 10);
    };
    bytes out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> array_from_hex(std::string_view hex) {
    bytes b = from_hex(hex);
    REQUIRE(b.size() == N);
    std::array<std::uint8_t, N> a{};
    std::copy(b.begin(), b.end(), a.begin());
    return a;
}

template <class Range>
bytes to_bytes(const Range& r) {
    return bytes(r.begin(), r.end());
}

/// One exchange of the vectors: both sides from their fixed secrets, then everything after.
template <class Case>
void check_exchange(zrtp::key_agreement::kind kind, std::size_t aes_key_bytes) {
    auto initiator = zrtp::key_agreement::from_private_key(kind, from_hex(Case::svi));
    auto responder = zrtp::key_agreement::from_private_key(kind, from_hex(Case::svr));
    REQUIRE(initiator);
    REQUIRE(responder);
    CHECK(initiator->public_value() == from_hex(Case::pvi));
    CHECK(responder->public_value() == from_hex(Case::pvr));

    auto dh_i = initiator->agree(from_hex(Case::pvr));
    auto dh_r = responder->agree(from_hex(Case::pvi));
    REQUIRE(dh_i);
    REQUIRE(dh_r);
    CHECK(*dh_i == from_hex(Case::dh_result));
    CHECK(*dh_r == from_hex(Case::dh_result));

    bytes hello_r = from_hex(Case::hello_r);
    bytes commit = from_hex(Case::commit);
    bytes dhpart1 = from_hex(Case::dhpart1);
    bytes dhpart2 = from_hex(Case::dhpart2);
    CHECK(to_bytes(zrtp::compute_hvi(dhpart2, hello_r)) == from_hex(Case::hvi));
    zrtp::sha256_hash total_hash = zrtp::compute_total_hash(hello_r, commit, dhpart1, dhpart2);
    CHECK(to_bytes(total_hash) == from_hex(Case::total_hash));

    auto zidi = array_from_hex<12>(v::zidi);
    auto zidr = array_from_hex<12>(v::zidr);
    zrtp::sha256_hash s0 = zrtp::compute_s0(*dh_i, zidi, zidr, total_hash);
    CHECK(to_bytes(s0) == from_hex(Case::s0));
    bytes context = zrtp::kdf_context(zidi, zidr, total_hash);
    CHECK(context == from_hex(Case::kdf_context));

    zrtp::session_keys k = zrtp::derive_session_keys(s0, context, aes_key_bytes);
    CHECK(k.srtp_key_i == from_hex(Case::srtp_key_i));
    CHECK(k.srtp_salt_i == from_hex(Case::srtp_salt_i));
    CHECK(k.srtp_key_r == from_hex(Case::srtp_key_r));
    CHECK(k.srtp_salt_r == from_hex(Case::srtp_salt_r));
    CHECK(k.mac_key_i == from_hex(Case::mac_key_i));
    CHECK(k.mac_key_r == from_hex(Case::mac_key_r));
    CHECK(k.zrtp_key_i == from_hex(Case::zrtp_key_i));
    CHECK(k.zrtp_key_r == from_hex(Case::zrtp_key_r));
    CHECK(k.zrtp_session_key == from_hex(Case::zrtp_session_key));
    CHECK(k.sas_hash == from_hex(Case::sas_hash));
    CHECK(k.sas_value == Case::sas_value);
    CHECK(zrtp::sas_b32(k.sas_value) == Case::sas_b32);
    CHECK(k.srtp_key_i.size() == aes_key_bytes);
    CHECK(k.srtp_salt_i.size() == 14);

    // Confirm1: the responder encrypts with zrtpkeyr and MACs with mackeyr (RFC 6189 5.7).
    auto iv = array_from_hex<16>(Case::confirm_iv);
    bytes plain = from_hex(Case::confirm_plain);
    auto cipher = zrtp::cfb_encrypt(k.zrtp_key_r, iv, plain);
    REQUIRE(cipher);
    CHECK(*cipher == from_hex(Case::confirm_cipher));
    auto back = zrtp::cfb_decrypt(k.zrtp_key_r, iv, *cipher);
    REQUIRE(back);
    CHECK(*back == plain);
    zrtp::mac64 mac = zrtp::confirm_mac(k.mac_key_r, *cipher);
    CHECK(to_bytes(mac) == from_hex(Case::confirm_mac));
    CHECK(zrtp::check_confirm_mac(k.mac_key_r, *cipher, mac));
    CHECK(zrtp::check_confirm_mac(k.mac_key_i, *cipher, mac).error() == tandem::zrtp_errc::bad_mac);

    k.clear();
    CHECK(k.srtp_key_i.empty());
    CHECK(k.sas_value == 0);
}

struct dh3k_case {
    static constexpr auto svi = v::dh3k::svi, svr = v::dh3k::svr, pvi = v::dh3k::pvi, pvr = v::dh3k::pvr,
                          dh_result = v::dh3k::dh_result, hello_r = v::dh3k::hello_r,
                          commit = v::dh3k::commit, dhpart1 = v::dh3k::dhpart1, dhpart2 = v::dh3k::dhpart2,
                          hvi = v::dh3k::hvi, total_hash = v::dh3k::total_hash, s0 = v::dh3k::s0,
                          kdf_context = v::dh3k::kdf_context, srtp_key_i = v::dh3k::srtp_key_i,
                          srtp_salt_i = v::dh3k::srtp_salt_i, srtp_key_r = v::dh3k::srtp_key_r,
                          srtp_salt_r = v::dh3k::srtp_salt_r, mac_key_i = v::dh3k::mac_key_i,
                          mac_key_r = v::dh3k::mac_key_r, zrtp_key_i = v::dh3k::zrtp_key_i,
                          zrtp_key_r = v::dh3k::zrtp_key_r, zrtp_session_key = v::dh3k::zrtp_session_key,
                          sas_hash = v::dh3k::sas_hash, sas_b32 = v::dh3k::sas_b32,
                          confirm_iv = v::dh3k::confirm_iv, confirm_plain = v::dh3k::confirm_plain,
                          confirm_cipher = v::dh3k::confirm_cipher, confirm_mac = v::dh3k::confirm_mac;
    static constexpr std::uint32_t sas_value = v::dh3k::sas_value;
};

struct x25519_case {
    static constexpr auto svi = v::x25519::svi, svr = v::x25519::svr, pvi = v::x25519::pvi,
                          pvr = v::x25519::pvr, dh_result = v::x25519::dh_result,
                          hello_r = v::x25519::hello_r, commit = v::x25519::commit,
                          dhpart1 = v::x25519::dhpart1, dhpart2 = v::x25519::dhpart2, hvi = v::x25519::hvi,
                          total_hash = v::x25519::total_hash, s0 = v::x25519::s0,
                          kdf_context = v::x25519::kdf_context, srtp_key_i = v::x25519::srtp_key_i,
                          srtp_salt_i = v::x25519::srtp_salt_i, srtp_key_r = v::x25519::srtp_key_r,
                          srtp_salt_r = v::x25519::srtp_salt_r, mac_key_i = v::x25519::mac_key_i,
                          mac_key_r = v::x25519::mac_key_r, zrtp_key_i = v::x25519::zrtp_key_i,
                          zrtp_key_r = v::x25519::zrtp_key_r, zrtp_session_key = v::x25519::zrtp_session_key,
                          sas_hash = v::x25519::sas_hash, sas_b32 = v::x25519::sas_b32,
                          confirm_iv = v::x25519::confirm_iv, confirm_plain = v::x25519::confirm_plain,
                          confirm_cipher = v::x25519::confirm_cipher, confirm_mac = v::x25519::confirm_mac;
    static constexpr std::uint32_t sas_value = v::x25519::sas_value;
};

} // namespace

TEST_CASE("sha256 and hmac_sha256 known answers", "[zrtp][crypto]") {
    // FIPS 180-2 "abc" and RFC 4231 test case 2.
    std::string_view abc = "abc";
    bytes abc_bytes(abc.begin(), abc.end());
    CHECK(to_bytes(zrtp::sha256(abc_bytes)) ==
          from_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    bytes a{'a'}, bc{'b', 'c'};
    CHECK(zrtp::sha256({a, bc}) == zrtp::sha256(abc_bytes));
    std::string_view key = "Jefe", data = "what do ya want for nothing?";
    CHECK(to_bytes(zrtp::hmac_sha256(bytes(key.begin(), key.end()), bytes(data.begin(), data.end()))) ==
          from_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
}

TEST_CASE("hash chain links and message MACs", "[zrtp][crypto]") {
    auto chain = zrtp::hash_chain::from_h0(array_from_hex<32>(v::chain_h0));
    CHECK(to_bytes(chain.h1()) == from_hex(v::chain_h1));
    CHECK(to_bytes(chain.h2()) == from_hex(v::chain_h2));
    CHECK(to_bytes(chain.h3()) == from_hex(v::chain_h3));
    CHECK(chain.image(3) == chain.h3());
    CHECK(zrtp::hash_image_follows(chain.h0(), chain.h1()));
    CHECK(zrtp::hash_image_follows(chain.h1(), chain.h2()));
    CHECK(zrtp::hash_image_follows(chain.h2(), chain.h3()));
    CHECK_FALSE(zrtp::hash_image_follows(chain.h0(), chain.h2()));
    CHECK_FALSE(zrtp::hash_image_follows(chain.h3(), chain.h2()));

    // The Hello MAC is keyed with H2 (RFC 6189 9).
    bytes hello = from_hex(v::chain_hello_without_mac);
    zrtp::mac64 mac = zrtp::message_mac(chain.h2(), hello);
    CHECK(to_bytes(mac) == from_hex(v::chain_hello_mac));
    bytes with_mac = hello;
    with_mac.insert(with_mac.end(), mac.begin(), mac.end());
    CHECK(zrtp::check_message_mac(chain.h2(), with_mac));
    CHECK(zrtp::check_message_mac(chain.h1(), with_mac).error() == tandem::zrtp_errc::bad_mac);
    with_mac[10] ^= 0x01;
    CHECK(zrtp::check_message_mac(chain.h2(), with_mac).error() == tandem::zrtp_errc::bad_mac);
    CHECK(zrtp::check_message_mac(chain.h2(), bytes(7)).error() == tandem::zrtp_errc::bad_message);

    auto a = zrtp::hash_chain::generate();
    auto b = zrtp::hash_chain::generate();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->h0() != b->h0());
    CHECK(zrtp::hash_image_follows(a->h2(), a->h3()));
}

TEST_CASE("DH3k known answers", "[zrtp][crypto]") {
    check_exchange<dh3k_case>(zrtp::key_agreement::kind::dh3k, 16);
}

TEST_CASE("X25519 known answers", "[zrtp][crypto]") {
    check_exchange<x25519_case>(zrtp::key_agreement::kind::x25519, 32);
}

TEST_CASE("DH3k public value validation", "[zrtp][crypto]") {
    using tandem::zrtp_errc;
    const bytes p = from_hex(v::dh3k_p);
    REQUIRE(p.size() == 384);
    auto minus = [](bytes n, std::uint8_t k) { // n - k, n's last octet >= k
        n.back() = static_cast<std::uint8_t>(n.back() - k);
        return n;
    };
    bytes zero(384), one(384), two(384);
    one.back() = 1;
    two.back() = 2;
    bytes all_ff(384, 0xff);

    CHECK(zrtp::check_dh3k_public_value(zero).error() == zrtp_errc::bad_public_value);
    CHECK(zrtp::check_dh3k_public_value(one).error() == zrtp_errc::bad_public_value);
    CHECK(zrtp::check_dh3k_public_value(minus(p, 1)).error() == zrtp_errc::bad_public_value);
    CHECK(zrtp::check_dh3k_public_value(p).error() == zrtp_errc::bad_public_value);
    CHECK(zrtp::check_dh3k_public_value(all_ff).error() == zrtp_errc::bad_public_value);
    CHECK(zrtp::check_dh3k_public_value(bytes(383, 0x01)).error() == zrtp_errc::bad_public_value);
    CHECK(zrtp::check_dh3k_public_value(bytes(385, 0x01)).error() == zrtp_errc::bad_public_value);
    CHECK(zrtp::check_dh3k_public_value(two));
    CHECK(zrtp::check_dh3k_public_value(minus(p, 2)));
    CHECK(zrtp::check_dh3k_public_value(from_hex(v::dh3k::pvi)));

    auto a = zrtp::key_agreement::from_private_key(zrtp::key_agreement::kind::dh3k, from_hex(v::dh3k::svi));
    REQUIRE(a);
    CHECK(a->agree(one).error() == zrtp_errc::bad_public_value);
    CHECK(a->agree(minus(p, 1)).error() == zrtp_errc::bad_public_value);
    CHECK(a->agree(p).error() == zrtp_errc::bad_public_value);
    CHECK(a->agree(bytes(32, 0x09)).error() == zrtp_errc::bad_public_value);

    // Secret values out of range are refused too.
    CHECK_FALSE(zrtp::key_agreement::from_private_key(zrtp::key_agreement::kind::dh3k, bytes{1}));
    CHECK_FALSE(zrtp::key_agreement::from_private_key(zrtp::key_agreement::kind::dh3k, bytes{}));
    CHECK_FALSE(zrtp::key_agreement::from_private_key(zrtp::key_agreement::kind::dh3k, p));
}

TEST_CASE("X25519 refuses bad public values", "[zrtp][crypto]") {
    using tandem::zrtp_errc;
    auto a = zrtp::key_agreement::generate(zrtp::key_agreement::kind::x25519);
    REQUIRE(a);
    CHECK(a->agree(bytes(32, 0)).error() == zrtp_errc::bad_public_value); // low order: result all zero
    CHECK(a->agree(bytes(31, 9)).error() == zrtp_errc::bad_public_value);
    CHECK_FALSE(zrtp::key_agreement::from_private_key(zrtp::key_agreement::kind::x25519, bytes(31, 1)));
    CHECK(zrtp::key_agreement{}.agree(bytes(32, 9)).error() == zrtp_errc::crypto_failure);
}

TEST_CASE("random parties agree", "[zrtp][crypto]") {
    for (auto kind : {zrtp::key_agreement::kind::dh3k, zrtp::key_agreement::kind::x25519}) {
        CAPTURE(zrtp::key_agreement::name(kind));
        auto a = zrtp::key_agreement::generate(kind);
        auto b = zrtp::key_agreement::generate(kind);
        REQUIRE(a);
        REQUIRE(b);
        CHECK(a->type() == kind);
        CHECK(a->public_value().size() == zrtp::key_agreement::public_value_size(kind));
        CHECK(a->public_value() != b->public_value());
        auto ab = a->agree(b->public_value());
        auto ba = b->agree(a->public_value());
        REQUIRE(ab);
        REQUIRE(ba);
        CHECK(*ab == *ba);
        CHECK(ab->size() == zrtp::key_agreement::public_value_size(kind));
        if (kind == zrtp::key_agreement::kind::dh3k) CHECK(zrtp::check_dh3k_public_value(a->public_value()));
        auto copy = *a; // copies share the secret
        CHECK(copy.agree(b->public_value()).value() == *ab);
    }
    CHECK(zrtp::key_agreement::from_name("DH3k") == zrtp::key_agreement::kind::dh3k);
    CHECK(zrtp::key_agreement::from_name("X255") == zrtp::key_agreement::kind::x25519);
    CHECK_FALSE(zrtp::key_agreement::from_name("EC25"));
}

TEST_CASE("B32 SAS rendering", "[zrtp][crypto]") {
    CHECK(zrtp::sas_b32(0x00000000) == "yyyy");
    CHECK(zrtp::sas_b32(0xffffffff) == "9999");
    CHECK(zrtp::sas_b32(0x00000fff) == "yyyy"); // the low 12 bits are not shown
    CHECK(zrtp::sas_b32(0x08421000) == "bbbb"); // 00001 00001 00001 00001
    CHECK(zrtp::sas_b32(0x00443000) == "ybnd"); // 00000 00001 00010 00011
    CHECK(zrtp::sas_b32(0xf8000000) == "9yyy");
    CHECK(zrtp::sas_b32(v::dh3k::sas_value) == v::dh3k::sas_b32);
    std::array<std::uint8_t, 32> h{0x12, 0x34, 0x56, 0x78};
    CHECK(zrtp::sas_value_of(h) == 0x12345678u);
}

TEST_CASE("KDF truncation and AES-CFB edge cases", "[zrtp][crypto]") {
    bytes ki(32, 0x42), ctx(56, 0x07);
    bytes full = zrtp::kdf(ki, "SAS", ctx, 256);
    bytes salt = zrtp::kdf(ki, "SAS", ctx, 112);
    REQUIRE(salt.size() == 14);
    // L is part of the HMAC input, so a shorter output is not a prefix of a longer one.
    CHECK_FALSE(std::equal(salt.begin(), salt.end(), full.begin()));
    CHECK_THROWS_AS(zrtp::kdf(ki, "SAS", ctx, 257), std::invalid_argument);
    CHECK_THROWS_AS(zrtp::kdf(ki, "SAS", ctx, 100), std::invalid_argument);

    std::array<std::uint8_t, 16> iv{};
    CHECK(zrtp::cfb_encrypt(bytes(24, 1), iv, bytes(5, 0)).error() == tandem::zrtp_errc::crypto_failure);
    auto empty = zrtp::cfb_encrypt(bytes(16, 1), iv, bytes{});
    REQUIRE(empty);
    CHECK(empty->empty());
}

TEST_CASE("SRTP suite of cipher and auth tag types", "[zrtp][crypto]") {
    using tandem::srtp::suite;
    CHECK(zrtp::srtp_suite_for("AES1", "HS32") == suite::aes_cm_128_hmac_sha1_32);
    CHECK(zrtp::srtp_suite_for("AES1", "HS80") == suite::aes_cm_128_hmac_sha1_80);
    CHECK(zrtp::srtp_suite_for("AES3", "HS32") == suite::aes_256_cm_hmac_sha1_32);
    CHECK(zrtp::srtp_suite_for("AES3", "HS80") == suite::aes_256_cm_hmac_sha1_80);
    CHECK_FALSE(zrtp::srtp_suite_for("AES1", "SK32"));
    CHECK_FALSE(zrtp::srtp_suite_for("2FS1", "HS32"));
    CHECK(zrtp::aes_key_bytes("AES1") == 16u);
    CHECK(zrtp::aes_key_bytes("AES3") == 32u);
    CHECK_FALSE(zrtp::aes_key_bytes("AES2"));
    static_assert(tandem::srtp::info(suite::aes_cm_128_hmac_sha1_32).salt_len * 8 == 112);
}
