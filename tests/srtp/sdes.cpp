// SDES a=crypto (RFC 4568): base64 both ways, every field of the attribute, the errors a caller
// tells apart (unknown suite, bad key, unsupported parameters, garbage), and to_string round trips.

#include <tandem/srtp/sdes.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace srtp = tandem::srtp;
using tandem::srtp_errc;

namespace {

// 1, 2, ..., n: the key||salt the literal keys below encode.
std::vector<std::uint8_t> counting(std::size_t n) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i + 1);
    return v;
}

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

// counting(n) in base64, padded (Python's base64.b64encode)
constexpr std::string_view key30 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e";
constexpr std::string_view key46 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLg==";
constexpr std::string_view key28 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA==";
constexpr std::string_view key44 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKyw=";

std::string unpadded(std::string_view s) {
    while (!s.empty() && s.back() == '=') s.remove_suffix(1);
    return std::string(s);
}

std::error_code err(srtp_errc e) { return make_error_code(e); }

} // namespace

TEST_CASE("base64 encodes with padding (RFC 4648 10 vectors)", "[sdes]") {
    CHECK(srtp::base64_encode(bytes_of("")) == "");
    CHECK(srtp::base64_encode(bytes_of("f")) == "Zg==");
    CHECK(srtp::base64_encode(bytes_of("fo")) == "Zm8=");
    CHECK(srtp::base64_encode(bytes_of("foo")) == "Zm9v");
    CHECK(srtp::base64_encode(bytes_of("foob")) == "Zm9vYg==");
    CHECK(srtp::base64_encode(bytes_of("fooba")) == "Zm9vYmE=");
    CHECK(srtp::base64_encode(bytes_of("foobar")) == "Zm9vYmFy");
    CHECK(srtp::base64_encode(counting(30)) == key30);
    CHECK(srtp::base64_encode(counting(46)) == key46);
    CHECK(srtp::base64_encode(counting(28)) == key28);
    CHECK(srtp::base64_encode(counting(44)) == key44);
    std::vector<std::uint8_t> high{0xfb, 0xff, 0xbf};
    CHECK(srtp::base64_encode(high) == "+/+/");
}

TEST_CASE("base64 decodes with or without padding", "[sdes]") {
    for (std::string_view word : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
        std::string enc = srtp::base64_encode(bytes_of(word));
        auto padded = srtp::base64_decode(enc);
        REQUIRE(padded);
        CHECK(*padded == bytes_of(word));
        auto bare = srtp::base64_decode(unpadded(enc));
        REQUIRE(bare);
        CHECK(*bare == bytes_of(word));
    }
    auto high = srtp::base64_decode("+/+/");
    REQUIRE(high);
    CHECK(*high == std::vector<std::uint8_t>{0xfb, 0xff, 0xbf});
}

TEST_CASE("base64 rejects bytes outside the alphabet and misplaced padding", "[sdes]") {
    CHECK_FALSE(srtp::base64_decode("Zm9v YmFy"));
    CHECK_FALSE(srtp::base64_decode("Zm9v\nYmFy"));
    CHECK_FALSE(srtp::base64_decode("Zm9-YmFy")); // base64url
    CHECK_FALSE(srtp::base64_decode("Zm9_YmFy"));
    CHECK_FALSE(srtp::base64_decode(std::string_view("Zm9\0YmFy", 8)));
    CHECK_FALSE(srtp::base64_decode("Zm9v\xc3\xa9"));
    CHECK_FALSE(srtp::base64_decode("Z"));        // 6 bits
    CHECK_FALSE(srtp::base64_decode("Zm9vY"));    // 30 bits
    CHECK_FALSE(srtp::base64_decode("Zg="));      // padded, but not to 4
    CHECK_FALSE(srtp::base64_decode("Zg==="));    // three '='
    CHECK_FALSE(srtp::base64_decode("Z==="));     // padding where a character belongs
    CHECK_FALSE(srtp::base64_decode("Zg==Zg==")); // padding in the middle
    CHECK_FALSE(srtp::base64_decode("===="));
    CHECK_FALSE(srtp::base64_decode("="));
}

TEST_CASE("a=crypto: the RFC 4568 examples", "[sdes]") {
    // RFC 4568 4 (the offer) and 9.1 (several keys with MKIs)
    auto a = srtp::parse_crypto(
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32");
    REQUIRE(a);
    CHECK(a->tag == 1);
    CHECK(a->s == srtp::suite::aes_cm_128_hmac_sha1_80);
    REQUIRE(a->keys.size() == 1);
    CHECK(a->keys[0].key_salt.size() == 30);
    CHECK(a->keys[0].key_salt == *srtp::base64_decode("PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"));
    CHECK(a->keys[0].lifetime == std::uint64_t{1} << 20);
    CHECK(a->keys[0].mki == 1u);
    CHECK(a->keys[0].mki_length == 32);
    CHECK(a->session_params.empty());

    auto b =
        srtp::parse_crypto("2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;"
                           "inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP");
    CHECK(b.error() == err(srtp_errc::unknown_suite));

    auto c = srtp::parse_crypto(
        "1 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32 "
        "KDR=1 UNENCRYPTED_SRTCP");
    REQUIRE(c);
    CHECK(c->s == srtp::suite::aes_cm_128_hmac_sha1_32);
    CHECK(c->session_params == std::vector<std::string>{"KDR=1", "UNENCRYPTED_SRTCP"});
    CHECK_FALSE(srtp::supported_session_params(*c));
}

TEST_CASE("a=crypto: every suite, keys padded and unpadded", "[sdes]") {
    struct row {
        std::string_view name;
        srtp::suite s;
        std::string_view key;
        std::size_t len;
    };
    for (const row& r : {
             row{"AES_CM_128_HMAC_SHA1_80", srtp::suite::aes_cm_128_hmac_sha1_80, key30, 30},
             row{"AES_CM_128_HMAC_SHA1_32", srtp::suite::aes_cm_128_hmac_sha1_32, key30, 30},
             row{"AES_256_CM_HMAC_SHA1_80", srtp::suite::aes_256_cm_hmac_sha1_80, key46, 46},
             row{"AES_256_CM_HMAC_SHA1_32", srtp::suite::aes_256_cm_hmac_sha1_32, key46, 46},
             row{"AEAD_AES_128_GCM", srtp::suite::aead_aes_128_gcm, key28, 28},
             row{"AEAD_AES_256_GCM", srtp::suite::aead_aes_256_gcm, key44, 44},
         }) {
        INFO(r.name);
        for (const std::string& key : {std::string(r.key), unpadded(r.key)}) {
            INFO(key);
            std::string line = "7 " + std::string(r.name) + " inline:" + key;
            auto a = srtp::parse_crypto(line);
            REQUIRE(a);
            CHECK(a->tag == 7);
            CHECK(a->s == r.s);
            REQUIRE(a->keys.size() == 1);
            CHECK(a->keys[0].key_salt == counting(r.len));
            CHECK_FALSE(a->keys[0].lifetime);
            CHECK_FALSE(a->keys[0].mki);
            CHECK(a->keys[0].mki_length == 0);
            // what we write is always padded
            CHECK(a->to_string() == "7 " + std::string(r.name) + " inline:" + std::string(r.key));
        }
    }
}

TEST_CASE("a=crypto: the tag", "[sdes]") {
    std::string rest = " AES_CM_128_HMAC_SHA1_80 inline:" + std::string(key30);
    CHECK(srtp::parse_crypto("0" + rest)->tag == 0);
    CHECK(srtp::parse_crypto("999999999" + rest)->tag == 999999999u);
    CHECK(srtp::parse_crypto("007" + rest)->tag == 7);
    CHECK(srtp::parse_crypto("1000000000" + rest).error() == err(srtp_errc::bad_crypto_attribute));
    CHECK(srtp::parse_crypto("-1" + rest).error() == err(srtp_errc::bad_crypto_attribute));
    CHECK(srtp::parse_crypto("x" + rest).error() == err(srtp_errc::bad_crypto_attribute));
    CHECK(srtp::parse_crypto(rest).error() == err(srtp_errc::bad_crypto_attribute)); // leading space
    CHECK(srtp::parse_crypto(rest.substr(1)).error() == err(srtp_errc::bad_crypto_attribute));
}

TEST_CASE("a=crypto: lifetimes", "[sdes]") {
    std::string head = "1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(key30);
    auto life = [&](std::string_view tail) -> std::optional<std::uint64_t> {
        auto a = srtp::parse_crypto(head + std::string(tail));
        REQUIRE(a);
        return a->keys.at(0).lifetime;
    };
    CHECK(life("|2^31") == std::uint64_t{1} << 31);
    CHECK(life("|2^48") == std::uint64_t{1} << 48);
    CHECK(life("|2^0") == 1u);
    CHECK(life("|2^63") == std::uint64_t{1} << 63);
    CHECK(life("|2147483648") == std::uint64_t{1} << 31);
    CHECK(life("|1000") == 1000u);
    CHECK(life("|18446744073709551615") == UINT64_MAX);

    for (std::string_view bad : {"|2^64", "|2^", "|2^x", "|2^-1", "|18446744073709551616", "|", "|x",
                                 "|2^31|", "|2^31|2^31", "|1e6", "|+5"}) {
        INFO(bad);
        CHECK(srtp::parse_crypto(head + std::string(bad)).error() == err(srtp_errc::bad_crypto_attribute));
    }

    // written as 2^n from 2^10 up, in decimal below, parsed back the same
    srtp::crypto_attribute a = srtp::make_crypto(1, srtp::suite::aes_cm_128_hmac_sha1_80, counting(30));
    a.keys[0].lifetime = std::uint64_t{1} << 31;
    CHECK(a.to_string() == head + "|2^31");
    a.keys[0].lifetime = 512u;
    CHECK(a.to_string() == head + "|512");
    a.keys[0].lifetime = 3000000u;
    CHECK(a.to_string() == head + "|3000000");
    CHECK(*srtp::parse_crypto(a.to_string()) == a);
}

TEST_CASE("a=crypto: MKI with and without a lifetime", "[sdes]") {
    std::string head = "1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(key30);

    auto a = srtp::parse_crypto(head + "|2^31|1:4");
    REQUIRE(a);
    CHECK(a->keys[0].lifetime == std::uint64_t{1} << 31);
    CHECK(a->keys[0].mki == 1u);
    CHECK(a->keys[0].mki_length == 4);
    CHECK(a->to_string() == head + "|2^31|1:4");

    auto b = srtp::parse_crypto(head + "|255:1");
    REQUIRE(b);
    CHECK_FALSE(b->keys[0].lifetime);
    CHECK(b->keys[0].mki == 255u);
    CHECK(b->keys[0].mki_length == 1);
    CHECK(b->to_string() == head + "|255:1");

    auto c = srtp::parse_crypto(head + "|18446744073709551615:128");
    REQUIRE(c);
    CHECK(c->keys[0].mki == UINT64_MAX);
    CHECK(c->keys[0].mki_length == 128);

    CHECK(srtp::parse_crypto(head + "|0:1")->keys[0].mki == 0u);

    for (std::string_view bad : {"|1:0", "|1:129", "|1:0004", "|1:", "|:4", "|x:4", "|1:x", "|256:1",
                                 "|65536:2", "|1:4|2^31", "|1:4|2:4", "|2^31|2^31|1:4", "|1:4|", "|1:4:4"}) {
        INFO(bad);
        CHECK(srtp::parse_crypto(head + std::string(bad)).error() == err(srtp_errc::bad_crypto_attribute));
    }
    // grammatical, but not an MKI we can hold
    CHECK(srtp::parse_crypto(head + "|18446744073709551616:16").error() ==
          err(srtp_errc::unsupported_key_parameters));
}

TEST_CASE("a=crypto: several key params", "[sdes]") {
    std::string k1 = "inline:" + std::string(key30) + "|2^20|1:4";
    std::string k2 = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|2:4";
    auto a = srtp::parse_crypto("3 AES_CM_128_HMAC_SHA1_80 " + k1 + ";" + k2 + " WSH=64");
    REQUIRE(a);
    REQUIRE(a->keys.size() == 2);
    CHECK(a->keys[0].key_salt == counting(30));
    CHECK(a->keys[0].mki == 1u);
    CHECK(a->keys[1].mki == 2u);
    CHECK(a->keys[1].lifetime == std::uint64_t{1} << 20);
    CHECK(a->session_params == std::vector<std::string>{"WSH=64"});
    CHECK(a->to_string() == "3 AES_CM_128_HMAC_SHA1_80 " + k1 + ";" + k2 + " WSH=64");
    CHECK(*srtp::parse_crypto(a->to_string()) == *a);

    std::string head = "3 AES_CM_128_HMAC_SHA1_80 ";
    CHECK(srtp::parse_crypto(head + k1 + ";").error() == err(srtp_errc::bad_crypto_attribute));
    CHECK(srtp::parse_crypto(head + ";" + k1).error() == err(srtp_errc::bad_crypto_attribute));
    CHECK(srtp::parse_crypto(head + k1 + ";;" + k2).error() == err(srtp_errc::bad_crypto_attribute));
    CHECK(srtp::parse_crypto(head + k1 + "; " + k2).error() == err(srtp_errc::bad_crypto_attribute));
    CHECK(srtp::parse_crypto(head + k1 + ";inline:AAAA").error() == err(srtp_errc::bad_key));
}

TEST_CASE("a=crypto: key methods", "[sdes]") {
    std::string head = "1 AES_CM_128_HMAC_SHA1_80 ";
    CHECK(srtp::parse_crypto(head + "INLINE:" + std::string(key30)));
    CHECK(srtp::parse_crypto(head + "Inline:" + std::string(key30)));
    CHECK(srtp::parse_crypto(head + "uri:" + std::string(key30)).error() ==
          err(srtp_errc::unsupported_key_parameters));
    CHECK(srtp::parse_crypto(head + "inline" + std::string(key30)).error() ==
          err(srtp_errc::bad_crypto_attribute));
    CHECK(srtp::parse_crypto(head + ":" + std::string(key30)).error() ==
          err(srtp_errc::bad_crypto_attribute));
    CHECK(srtp::parse_crypto(head + "in-line:" + std::string(key30)).error() ==
          err(srtp_errc::bad_crypto_attribute));
}

TEST_CASE("a=crypto: session parameters", "[sdes]") {
    std::string head = "1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(key30);
    auto params = [&](std::string_view tail) {
        auto a = srtp::parse_crypto(head + std::string(tail));
        REQUIRE(a);
        return a->session_params;
    };
    CHECK(params("").empty());
    CHECK(params(" WSH=128") == std::vector<std::string>{"WSH=128"});
    CHECK(params("\t KDR=10 \tFEC_ORDER=SRTP_FEC  UNENCRYPTED_SRTP") ==
          std::vector<std::string>{"KDR=10", "FEC_ORDER=SRTP_FEC", "UNENCRYPTED_SRTP"});
    CHECK(srtp::parse_crypto(head + " WSH=1\x01").error() == err(srtp_errc::bad_crypto_attribute));
    CHECK(srtp::parse_crypto(head + " caf\xc3\xa9").error() == err(srtp_errc::bad_crypto_attribute));

    auto supported = [&](std::string_view tail) {
        return srtp::supported_session_params(*srtp::parse_crypto(head + std::string(tail)));
    };
    CHECK(supported(""));
    CHECK(supported(" WSH=64"));
    CHECK(supported(" WSH=128"));
    CHECK(supported(" WSH=0064"));
    CHECK(supported(" WSH=99999999999999999999999999"));
    CHECK(supported(" WSH=64 WSH=1024"));
    CHECK_FALSE(supported(" WSH=63"));
    CHECK_FALSE(supported(" WSH=0"));
    CHECK_FALSE(supported(" WSH="));
    CHECK_FALSE(supported(" WSH=x"));
    CHECK_FALSE(supported(" WSH=-64"));
    CHECK_FALSE(supported(" wsh=128"));
    CHECK_FALSE(supported(" UNENCRYPTED_SRTP"));
    CHECK_FALSE(supported(" UNENCRYPTED_SRTCP"));
    CHECK_FALSE(supported(" UNAUTHENTICATED_SRTP"));
    CHECK_FALSE(supported(" KDR=0"));
    CHECK_FALSE(supported(" KDR=24"));
    CHECK_FALSE(supported(" FEC_ORDER=FEC_SRTP"));
    CHECK_FALSE(supported(" FEC_KEY=inline:" + std::string(key30)));
    CHECK_FALSE(supported(" WSH=128 SOMETHING_NEW"));
    CHECK_FALSE(supported(" -"));
}

TEST_CASE("a=crypto: bad keys", "[sdes]") {
    std::string head = "1 AES_CM_128_HMAC_SHA1_80 inline:";
    auto error = [&](std::string_view key) { return srtp::parse_crypto(head + std::string(key)).error(); };
    CHECK(error(key46) == err(srtp_errc::bad_key));               // AES-256 key for an AES-128 suite
    CHECK(error(key28) == err(srtp_errc::bad_key));               // GCM key
    CHECK(error(key30.substr(0, 36)) == err(srtp_errc::bad_key)); // 27 octets
    CHECK(error(std::string(key30) + "AAAA") == err(srtp_errc::bad_key));
    CHECK(error("") == err(srtp_errc::bad_key));
    CHECK(error("|2^31") == err(srtp_errc::bad_key));
    std::string chars(key30);
    chars[5] = '-';
    CHECK(error(chars) == err(srtp_errc::bad_key));
    chars[5] = '!';
    CHECK(error(chars) == err(srtp_errc::bad_key));
    chars[5] = '=';
    CHECK(error(chars) == err(srtp_errc::bad_key));
    CHECK(error(std::string(key30) + "=") == err(srtp_errc::bad_key));
    CHECK(error(std::string(key30) + "==") == err(srtp_errc::bad_key));
    CHECK(srtp::parse_crypto("1 AES_256_CM_HMAC_SHA1_80 inline:" + std::string(key30)).error() ==
          err(srtp_errc::bad_key));
    CHECK(srtp::parse_crypto("1 AEAD_AES_256_GCM inline:" + std::string(key46)).error() ==
          err(srtp_errc::bad_key));
}

TEST_CASE("a=crypto: unknown suites can be skipped", "[sdes]") {
    for (std::string_view line : {
             "1 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4",
             "2 NULL_HMAC_SHA1_80 inline:"
             "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e",
             "3 aes_cm_128_hmac_sha1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e", // case-sensitive
             "4 AES_192_CM_HMAC_SHA1_80 inline:whatever",
             "5 SOME_FUTURE_SUITE",
         }) {
        INFO(line);
        CHECK(srtp::parse_crypto(line).error() == err(srtp_errc::unknown_suite));
    }
    CHECK(srtp::parse_crypto("1 AES-CM-128 inline:" + std::string(key30)).error() ==
          err(srtp_errc::bad_crypto_attribute));
}

TEST_CASE("a=crypto: garbage and truncation", "[sdes]") {
    std::string full = "1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(key30) + "|2^31|1:4 WSH=64";
    // every proper prefix fails without throwing, and never parses as something else
    for (std::size_t n = 0; n < full.size(); ++n) {
        auto a = srtp::parse_crypto(std::string_view(full).substr(0, n));
        if (a) {
            // a prefix that stops inside the lifetime or MKI may still be valid
            CHECK(a->keys.at(0).key_salt == counting(30));
        }
    }
    CHECK(srtp::parse_crypto(full));
    for (std::string_view bad :
         {"", " ", "\r\n", "1", "1 ", "1 AES_CM_128_HMAC_SHA1_80", "1 AES_CM_128_HMAC_SHA1_80 ",
          "crypto:1 AES_CM_128_HMAC_SHA1_80", "1\xff AES_CM_128_HMAC_SHA1_80 inline:x"}) {
        INFO(bad);
        CHECK(srtp::parse_crypto(bad).error() == err(srtp_errc::bad_crypto_attribute));
    }
    CHECK(srtp::parse_crypto(std::string_view("1 AES_CM_128_HMAC_SHA1_80\0inline:x", 34)).error() ==
          err(srtp_errc::bad_crypto_attribute));
    CHECK(srtp::parse_crypto(full + std::string(1, '\0')).error() == err(srtp_errc::bad_crypto_attribute));
    CHECK(srtp::parse_crypto("1  \t AES_CM_128_HMAC_SHA1_80\t\tinline:" + std::string(key30)));
}

TEST_CASE("a=crypto: trailing CR, LF and whitespace are tolerated", "[sdes]") {
    std::string line = "1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(key30) + "|2^31";
    for (std::string_view tail : {"\r", "\r\n", "\n", " ", "\t", " \r\n", " \t \r"}) {
        auto a = srtp::parse_crypto(line + std::string(tail));
        REQUIRE(a);
        CHECK(a->to_string() == line);
        CHECK(a->session_params.empty());
    }
    auto b = srtp::parse_crypto(line + " UNENCRYPTED_SRTCP\r\n");
    REQUIRE(b);
    CHECK(b->session_params == std::vector<std::string>{"UNENCRYPTED_SRTCP"});
    CHECK(srtp::parse_crypto(line + "\r\n ").has_value()); // trimmed as a whole
    CHECK(srtp::parse_crypto(line + "\r UNENCRYPTED_SRTCP").error() == err(srtp_errc::bad_crypto_attribute));
}

TEST_CASE("a=crypto: make_crypto and to_string round trip", "[sdes]") {
    for (srtp::suite s : srtp::all_suites) {
        auto key = counting(srtp::key_salt_len(s));
        srtp::crypto_attribute a = srtp::make_crypto(42, s, key);
        CHECK(a.tag == 42);
        CHECK(a.s == s);
        REQUIRE(a.keys.size() == 1);
        CHECK(a.keys[0].key_salt == key);
        CHECK(a.session_params.empty());
        std::string text = a.to_string();
        CHECK(text.substr(0, 3) == "42 ");
        CHECK(text.size() % 4 == (3 + srtp::info(s).name.size() + 1 + 7) % 4); // padded key
        auto back = srtp::parse_crypto(text);
        REQUIRE(back);
        CHECK(*back == a);
        CHECK(back->to_string() == text);
    }
    CHECK_THROWS_AS(srtp::make_crypto(1, srtp::suite::aes_cm_128_hmac_sha1_80, counting(29)),
                    std::invalid_argument);
    CHECK_THROWS_AS(srtp::make_crypto(1000000000, srtp::suite::aes_cm_128_hmac_sha1_80, counting(30)),
                    std::invalid_argument);

    srtp::crypto_attribute full = srtp::make_crypto(9, srtp::suite::aead_aes_256_gcm, counting(44));
    full.keys[0].lifetime = std::uint64_t{1} << 48;
    full.keys[0].mki = 7u;
    full.keys[0].mki_length = 2;
    full.keys.push_back(full.keys[0]);
    full.keys[1].mki = 8u;
    full.session_params = {"WSH=256"};
    CHECK(full.to_string() == "9 AEAD_AES_256_GCM inline:" + std::string(key44) +
                                  "|2^48|7:2;inline:" + std::string(key44) + "|2^48|8:2 WSH=256");
    CHECK(*srtp::parse_crypto(full.to_string()) == full);
}
