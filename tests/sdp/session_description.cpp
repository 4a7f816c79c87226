#include <tandem/sdp/session_description.hpp>

#include <tandem/message/message.hpp>
#include <tandem/message/multipart.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace sdp = tandem::sdp;
namespace fs = std::filesystem;
using tandem::sdp_errc;

namespace {

// RFC 8866 5 example (identical in RFC 4566 5).
constexpr std::string_view rfc8866_example = "v=0\r\n"
                                             "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n"
                                             "s=Call to John Smith\r\n"
                                             "i=SDP Offer #1\r\n"
                                             "u=http://www.jdoe.example.com/home.html\r\n"
                                             "e=Jane Doe <jane@jdoe.example.com>\r\n"
                                             "p=+1 617 555-6011\r\n"
                                             "c=IN IP4 198.51.100.1\r\n"
                                             "t=0 0\r\n"
                                             "m=audio 49170 RTP/AVP 0\r\n"
                                             "m=audio 49180 RTP/AVP 0\r\n"
                                             "m=video 51372 RTP/AVP 99\r\n"
                                             "c=IN IP6 2001:db8::2\r\n"
                                             "a=rtpmap:99 h263-1998/90000\r\n";

// Every line type, at both levels.
constexpr std::string_view all_lines = "v=0\r\n"
                                       "o=- 20518 0 IN IP4 203.0.113.1\r\n"
                                       "s= \r\n"
                                       "i=A Seminar on the session description protocol\r\n"
                                       "u=http://www.example.com/seminars/sdp.pdf\r\n"
                                       "e=j.doe@example.com (Jane Doe)\r\n"
                                       "e=alt@example.com\r\n"
                                       "p=+1 617 555-6011\r\n"
                                       "c=IN IP4 233.252.0.1/127/2\r\n"
                                       "b=CT:128\r\n"
                                       "t=2873397496 2873404696\r\n"
                                       "r=7d 1h 0 25h\r\n"
                                       "r=604800 3600 0 90000\r\n"
                                       "z=2882844526 -1h 2898848070 0\r\n"
                                       "t=0 0\r\n"
                                       "k=prompt\r\n"
                                       "a=recvonly\r\n"
                                       "a=tool:tandem\r\n"
                                       "m=audio 49170/2 RTP/AVP 0 8 97\r\n"
                                       "i=voice\r\n"
                                       "c=IN IP6 ff15::101/3\r\n"
                                       "c=IN IP4 233.252.0.2/64\r\n"
                                       "b=AS:64\r\n"
                                       "b=TIAS:64000\r\n"
                                       "k=clear:secret\r\n"
                                       "a=rtpmap:97 opus/48000/2\r\n"
                                       "a=fmtp:97 minptime=10;useinbandfec=1\r\n"
                                       "a=rtcp:53020 IN IP4 126.16.64.4\r\n"
                                       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                                       "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32 KDR=1\r\n"
                                       "a=sendrecv\r\n"
                                       "a=ptime:20\r\n"
                                       "m=video 0 RTP/AVP 31\r\n"
                                       "a=inactive\r\n";

sdp::session_description must_parse(std::string_view text) {
    auto r = sdp::parse(text);
    INFO(text);
    INFO((r ? std::string("ok") : r.error().message()));
    REQUIRE(r.has_value());
    return *r;
}

void check_round_trip(const sdp::session_description& sd) {
    std::string out = sd.to_string();
    auto again = sdp::parse(out);
    INFO(out);
    REQUIRE(again.has_value());
    CHECK(*again == sd);
    CHECK(again->to_string() == out);
}

std::error_code parse_error(std::string_view text) {
    auto r = sdp::parse(text);
    return r.error();
}

std::string minimal(std::string_view extra_session = "",
                    std::string_view media = "m=audio 4000 RTP/AVP 0\r\n") {
    std::string s = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";
    s += extra_session;
    s += media;
    return s;
}

std::optional<fs::path> shared_conformance() {
    if (const char* e = std::getenv("TANDEM_SHARED_CONFORMANCE"); e != nullptr && *e != '\0') {
        if (fs::is_directory(e)) return fs::path(e);
        return std::nullopt;
    }
    std::error_code ec;
    fs::path d = fs::current_path(ec);
    if (ec) return std::nullopt;
    while (true) {
        fs::path c = d / ".." / "shared" / "conformance";
        if (fs::is_directory(c / "rfc5118", ec)) return c;
        if (fs::is_directory(d / "shared" / "conformance" / "rfc5118", ec))
            return d / "shared" / "conformance";
        fs::path up = d.parent_path();
        if (up.empty() || up == d) return std::nullopt;
        d = up;
    }
}

std::string read_binary(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

} // namespace

TEST_CASE("RFC 8866 section 5 example", "[sdp]") {
    auto sd = must_parse(rfc8866_example);
    CHECK(sd.version == 0);
    CHECK(sd.origin.username == "jdoe");
    CHECK(sd.origin.sess_id == "3724394400");
    CHECK(sd.origin.sess_version == "3724394405");
    CHECK(sd.origin.nettype == "IN");
    CHECK(sd.origin.addrtype == "IP4");
    CHECK(sd.origin.unicast_address == "198.51.100.1");
    CHECK(sd.session_name == "Call to John Smith");
    CHECK(sd.information == "SDP Offer #1");
    CHECK(sd.uri == "http://www.jdoe.example.com/home.html");
    REQUIRE(sd.emails.size() == 1);
    CHECK(sd.emails[0] == "Jane Doe <jane@jdoe.example.com>");
    REQUIRE(sd.phones.size() == 1);
    CHECK(sd.phones[0] == "+1 617 555-6011");
    REQUIRE(sd.connection);
    CHECK(sd.connection->address == "198.51.100.1");
    REQUIRE(sd.timings.size() == 1);
    CHECK(sd.timings[0].start == 0);
    CHECK(sd.timings[0].stop == 0);
    REQUIRE(sd.media.size() == 3);
    CHECK(sd.media[0].media == "audio");
    CHECK(sd.media[0].port == 49170);
    CHECK(sd.media[0].proto == "RTP/AVP");
    CHECK(sd.media[0].formats == std::vector<std::string>{"0"});
    CHECK(sd.media[2].media == "video");
    REQUIRE(sd.media[2].connections.size() == 1);
    CHECK(sd.media[2].connections[0].addrtype == "IP6");
    CHECK(sd.media[2].connections[0].address == "2001:db8::2");
    CHECK(sd.media_connection(sd.media[0])->address == "198.51.100.1");
    CHECK(sd.media_connection(sd.media[2])->address == "2001:db8::2");
    auto map = sdp::find_rtpmap(sd.media[2], 99);
    REQUIRE(map);
    CHECK(map->encoding_name == "h263-1998");
    CHECK(map->clock_rate == 90000);
    CHECK(sd.to_string() == rfc8866_example);
    check_round_trip(sd);
}

TEST_CASE("every line type, session and media level", "[sdp]") {
    auto sd = must_parse(all_lines);
    CHECK(sd.session_name == " ");
    CHECK(sd.emails.size() == 2);
    REQUIRE(sd.connection);
    CHECK(sd.connection->address == "233.252.0.1");
    CHECK(sd.connection->ttl == 127u);
    CHECK(sd.connection->count == 2u);
    REQUIRE(sd.bandwidths.size() == 1);
    CHECK(sd.bandwidths[0].type == "CT");
    CHECK(sd.bandwidths[0].value == 128);
    REQUIRE(sd.timings.size() == 2);
    CHECK(sd.timings[0].start == 2873397496u);
    CHECK(sd.timings[0].repeats.size() == 2);
    CHECK(sd.timings[0].repeats[0] == "7d 1h 0 25h");
    CHECK(sd.timings[0].zone == "2882844526 -1h 2898848070 0");
    CHECK(!sd.timings[1].zone);
    CHECK(sd.key == "prompt");
    REQUIRE(sd.attributes.size() == 2);
    CHECK(sd.attributes[0].name == "recvonly");
    CHECK(!sd.attributes[0].value);
    CHECK(sd.attributes[1].value == "tandem");

    REQUIRE(sd.media.size() == 2);
    const auto& a = sd.media[0];
    CHECK(a.port == 49170);
    CHECK(a.port_count == 2);
    CHECK(a.formats == std::vector<std::string>{"0", "8", "97"});
    CHECK(a.information == "voice");
    REQUIRE(a.connections.size() == 2);
    CHECK(a.connections[0].address == "ff15::101");
    CHECK(!a.connections[0].ttl);
    CHECK(a.connections[0].count == 3u);
    CHECK(a.connections[1].ttl == 64u);
    CHECK(a.bandwidths.size() == 2);
    CHECK(a.key == "clear:secret");

    auto rm = sdp::find_rtpmap(a, 97);
    REQUIRE(rm);
    CHECK(rm->encoding_name == "opus");
    CHECK(rm->clock_rate == 48000);
    CHECK(rm->encoding_parameters == "2");
    CHECK(!sdp::find_rtpmap(a, 0)); // static payload type, no rtpmap

    auto fm = sdp::parse_fmtp(*sdp::find_attribute(a.attributes, "fmtp")->value);
    REQUIRE(fm);
    CHECK(fm->format == "97");
    CHECK(fm->parameters == "minptime=10;useinbandfec=1");

    auto rc = sdp::parse_rtcp(*sdp::find_attribute(a.attributes, "rtcp")->value);
    REQUIRE(rc);
    CHECK(rc->port == 53020);
    CHECK(rc->address == "126.16.64.4");
    auto rc2 = sdp::parse_rtcp("9");
    REQUIRE(rc2);
    CHECK(rc2->port == 9);
    CHECK(rc2->address.empty());
    CHECK(!sdp::parse_rtcp("70000"));
    CHECK(!sdp::parse_rtcp("9 IN IP4"));

    auto cr = sdp::parse_crypto(*sdp::find_attribute(a.attributes, "crypto")->value);
    REQUIRE(cr);
    CHECK(cr->tag == 1);
    CHECK(cr->suite == "AES_CM_128_HMAC_SHA1_80");
    CHECK(cr->key_params == "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32");
    CHECK(cr->session_params == "KDR=1");
    CHECK(!sdp::parse_crypto("x AES inline:k"));
    CHECK(!sdp::parse_crypto("1 AES"));

    // direction: media overrides session, session applies otherwise, default sendrecv
    CHECK(sd.media_direction(sd.media[0]) == sdp::direction::sendrecv);
    CHECK(sd.media_direction(sd.media[1]) == sdp::direction::inactive);
    sdp::remove_attributes(sd.media[1].attributes, "inactive");
    CHECK(sd.media_direction(sd.media[1]) == sdp::direction::recvonly); // from the session
    sd.attributes.erase(sd.attributes.begin());
    CHECK(sd.media_direction(sd.media[1]) == sdp::direction::sendrecv); // default

    CHECK(sdp::parse(all_lines)->to_string() == all_lines);
    check_round_trip(sd);
}

TEST_CASE("attribute value helpers refuse bad values", "[sdp]") {
    CHECK(!sdp::parse_rtpmap("128 PCMU/8000"));
    CHECK(!sdp::parse_rtpmap("0 PCMU"));
    CHECK(!sdp::parse_rtpmap("0PCMU/8000"));
    CHECK(!sdp::parse_rtpmap("0 PCMU/x"));
    CHECK(sdp::parse_rtpmap("0 PCMU/8000")->clock_rate == 8000);
    CHECK(!sdp::parse_fmtp(""));
    CHECK(sdp::parse_fmtp("101 0-15")->parameters == "0-15");
}

TEST_CASE("audio and video offer, rewritten by a relay", "[sdp]") {
    std::string offer =
        "v=0\r\n"
        "o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\n"
        "s=\r\n"
        "c=IN IP4 host.atlanta.example.com\r\n"
        "t=0 0\r\n"
        "m=audio 49170 RTP/AVP 0 8 97\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:97 iLBC/8000\r\n"
        "m=video 51372 RTP/SAVP 31 32\r\n"
        "a=rtpmap:31 H261/90000\r\n"
        "a=rtpmap:32 MPV/90000\r\n"
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:32\r\n";
    auto sd = must_parse(offer);
    CHECK(sd.session_name.empty());
    REQUIRE(sd.media.size() == 2);
    CHECK(sd.media[1].proto == "RTP/SAVP");

    // what a media relay does
    sd.connection->address = "203.0.113.7";
    sd.media[0].port = 40000;
    sd.media[1].port = 40002;
    CHECK(sdp::remove_attributes(sd.media[1].attributes, "crypto") == 1);
    sd.media[1].proto = "RTP/AVP";
    sd.origin.increment_version();
    CHECK(sd.origin.sess_version == "2890844527");
    std::string out = sd.to_string();
    CHECK(out.find("c=IN IP4 203.0.113.7\r\n") != std::string::npos);
    CHECK(out.find("m=audio 40000 RTP/AVP 0 8 97\r\n") != std::string::npos);
    CHECK(out.find("m=video 40002 RTP/AVP 31 32\r\n") != std::string::npos);
    CHECK(out.find("crypto") == std::string::npos);
    check_round_trip(sd);

    sdp::origin o;
    o.sess_version = "999";
    o.increment_version();
    CHECK(o.sess_version == "1000");
}

TEST_CASE("hold: sendonly, inactive, old-style c=0.0.0.0", "[sdp]") {
    auto sd = must_parse(minimal("", "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n"));
    CHECK(sd.media_direction(sd.media[0]) == sdp::direction::sendonly);
    CHECK(sdp::reverse(sdp::direction::sendonly) == sdp::direction::recvonly);
    CHECK(sdp::reverse(sdp::direction::inactive) == sdp::direction::inactive);

    sdp::set_direction(sd.media[0].attributes, sdp::direction::inactive);
    REQUIRE(sd.media[0].attributes.size() == 1);
    CHECK(sd.media[0].attributes[0].name == "inactive");
    sdp::set_direction(sd.attributes, sdp::direction::sendonly);
    CHECK(sd.media_direction(sd.media[0]) == sdp::direction::inactive);
    check_round_trip(sd);

    // RFC 2543 hold (RFC 3264 8.4 notes it): c=0.0.0.0
    std::string old = "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
                      "m=audio 4000 RTP/AVP 0\r\n";
    auto held = must_parse(old);
    CHECK(held.connection->is_null_hold());
    CHECK(held.media_direction(held.media[0]) == sdp::direction::sendrecv);
    check_round_trip(held);
}

TEST_CASE("line ends: CRLF, LF, missing last, trailing empty lines", "[sdp]") {
    std::string crlf = minimal();
    std::string lf;
    for (char c : crlf)
        if (c != '\r') lf += c;
    auto a = must_parse(crlf);
    auto b = must_parse(lf);
    CHECK(a == b);
    CHECK(b.to_string() == crlf);
    std::string no_last = crlf.substr(0, crlf.size() - 2);
    CHECK(must_parse(no_last) == a);
    CHECK(must_parse(crlf + "\r\n") == a);
    CHECK(must_parse(lf + "\n\n") == a);
    // trailing blanks after structured fields are tolerated and dropped
    auto t = must_parse("v=0 \r\no=- 1 1 IN IP4 192.0.2.1 \r\ns=x\r\nc=IN IP4 192.0.2.1 \r\nt=0 0 \r\n"
                        "m=audio 4000 RTP/AVP 0 \r\n");
    CHECK(t.media[0].formats.size() == 1);
    check_round_trip(t);
}

TEST_CASE("IPv6 and FQDN addresses", "[sdp]") {
    auto sd = must_parse("v=0\r\no=- 1 1 IN IP6 ::ffff:192.0.2.2\r\ns=-\r\nc=IN IP6 fe80::1\r\nt=0 0\r\n"
                         "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 media.example.com\r\n");
    CHECK(sd.origin.unicast_address == "::ffff:192.0.2.2");
    CHECK(sd.media[0].connections[0].address == "media.example.com");
    // brackets are SIP URI syntax, not SDP (RFC 5118 4.6)
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP6 [2001:db8::1]\r\ns=-\r\nt=0 0\r\n") == sdp_errc::bad_origin);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\nc=IN IP6 [2001:db8::1]\r\n")) ==
          sdp_errc::bad_connection);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 256.1.1.1\r\n")) ==
          sdp_errc::bad_connection);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\nc=IN IP6 2001:db8:::1\r\n")) ==
          sdp_errc::bad_connection);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 224.2.1.1/300\r\n")) ==
          sdp_errc::bad_connection);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\nc=IN IP6 ff15::1/3/2\r\n")) ==
          sdp_errc::bad_connection);
    // another nettype: the address is kept as written
    auto x =
        must_parse("v=0\r\no=- 1 1 ATM NSAP 47.0005.80.ffe100\r\ns=-\r\nc=ATM NSAP 47.0005/x\r\nt=0 0\r\n");
    CHECK(x.connection->address == "47.0005/x");
    check_round_trip(x);
}

TEST_CASE("bad inputs give errors", "[sdp]") {
    CHECK(parse_error("") == sdp_errc::empty);
    CHECK(parse_error("\r\n") == sdp_errc::empty);
    CHECK(parse_error("o=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n") == sdp_errc::missing_version);
    CHECK(parse_error("v=0\r\ns=-\r\nt=0 0\r\n") == sdp_errc::missing_origin);
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\n") == sdp_errc::missing_session_name);
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n") == sdp_errc::missing_timing);
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\na=x\r\n") == sdp_errc::missing_timing);
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\n") ==
          sdp_errc::missing_timing);
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n") == sdp_errc::missing_session_name);
    CHECK(parse_error("v=0\r\n") == sdp_errc::missing_origin);
    CHECK(parse_error("v=1\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n") == sdp_errc::bad_version);
    CHECK(parse_error("v=0\r\no=- x 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n") == sdp_errc::bad_origin);
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n") == sdp_errc::bad_origin);
    CHECK(parse_error("v=0\r\no=-  1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n") == sdp_errc::bad_origin);
    // media without connection data anywhere
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n") ==
          sdp_errc::missing_connection);
    // m= lines
    CHECK(parse_error(minimal("", "m=audio 70000 RTP/AVP 0\r\n")) == sdp_errc::bad_port);
    CHECK(parse_error(minimal("", "m=audio 4000/70000 RTP/AVP 0\r\n")) == sdp_errc::bad_port);
    CHECK(parse_error(minimal("", "m=audio 4000/0 RTP/AVP 0\r\n")) == sdp_errc::bad_port);
    CHECK(parse_error(minimal("", "m=audio -1 RTP/AVP 0\r\n")) == sdp_errc::bad_port);
    CHECK(parse_error(minimal("", "m=audio x RTP/AVP 0\r\n")) == sdp_errc::bad_port);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP\r\n")) == sdp_errc::bad_media);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP//AVP 0\r\n")) == sdp_errc::bad_media);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0  8\r\n")) == sdp_errc::bad_media);
    CHECK(parse_error(minimal("", "m=audio\r\n")) == sdp_errc::bad_media);
    // line syntax
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\ngarbage\r\n")) == sdp_errc::bad_line);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\na = x\r\n")) == sdp_errc::bad_line);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\na= x\r\n")) == sdp_errc::bad_line);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\nA=x\r\n")) == sdp_errc::bad_line);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\nx=y\r\n")) == sdp_errc::unknown_type);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\n\r\na=x\r\n")) == sdp_errc::bad_line);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\na=:x\r\n")) == sdp_errc::bad_attribute);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\na=\r\n")) == sdp_errc::bad_attribute);
    // octets
    CHECK(parse_error(minimal("", std::string_view("m=audio 4000 RTP/AVP 0\r\na=x\0y\r\n", 31))) ==
          sdp_errc::bad_character);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\ra=x\r\n")) == sdp_errc::bad_character);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\na=x\r")) == sdp_errc::bad_character);
    // order
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nc=IN IP4 192.0.2.1\r\n") ==
          sdp_errc::bad_order);
    CHECK(parse_error(minimal("i=x\r\n")) == sdp_errc::bad_order);
    CHECK(parse_error(minimal("a=x\r\nk=y\r\n")) == sdp_errc::bad_order);
    CHECK(sdp::parse(minimal("r=1 1 0\r\n", "")).has_value());
    CHECK(parse_error(minimal("z=1 0\r\nz=2 0\r\n", "")) == sdp_errc::bad_order);
    CHECK(parse_error(minimal("z=1 0\r\nr=1 1 0\r\n", "")) == sdp_errc::bad_order);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\na=x\r\nc=IN IP4 192.0.2.1\r\n")) ==
          sdp_errc::bad_order);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\ni=a\r\ni=b\r\n")) == sdp_errc::bad_order);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\nt=0 0\r\n")) == sdp_errc::bad_order);
    CHECK(parse_error(minimal("", "m=audio 4000 RTP/AVP 0\r\nv=0\r\n")) == sdp_errc::bad_order);
    CHECK(parse_error("v=0\r\nv=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n") ==
          sdp_errc::missing_origin);
    // field grammar
    CHECK(parse_error(minimal("b=AS\r\n", "")) == sdp_errc::bad_order); // b= after t=
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nb=AS:x\r\nt=0 0\r\n") ==
          sdp_errc::bad_bandwidth);
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0\r\n") == sdp_errc::bad_timing);
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=a b\r\n") == sdp_errc::bad_timing);
    CHECK(parse_error(minimal("r=1x 1 0\r\n", "")) == sdp_errc::bad_repeat);
    CHECK(parse_error(minimal("r=1 1\r\n", "")) == sdp_errc::bad_repeat);
    CHECK(parse_error(minimal("z=1\r\n", "")) == sdp_errc::bad_zone);
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\ni=\r\nt=0 0\r\n") == sdp_errc::bad_text);
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\ne=\r\nt=0 0\r\n") == sdp_errc::bad_text);
    CHECK(parse_error("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4\r\nt=0 0\r\n") ==
          sdp_errc::bad_connection);
    // error codes carry the category
    CHECK(std::error_code(sdp_errc::bad_port).category().name() == std::string_view("tandem.sdp"));
    CHECK(!std::error_code(sdp_errc::bad_port).message().empty());
}

TEST_CASE("limits", "[sdp]") {
    std::string many = minimal("", "");
    for (int i = 0; i < 1100; ++i) many += "a=x\r\n";
    CHECK(parse_error(many) == sdp_errc::too_many_lines);

    std::string media = minimal("", "");
    for (int i = 0; i < 65; ++i) media += "m=audio 4000 RTP/AVP 0\r\n";
    CHECK(parse_error(media) == sdp_errc::too_many_media);
    std::string ok_media = minimal("", "");
    for (int i = 0; i < 64; ++i) ok_media += "m=audio 4000 RTP/AVP 0\r\n";
    CHECK(sdp::parse(ok_media).has_value());

    std::string big = minimal("", "");
    big += "a=x:" + std::string(70000, 'y') + "\r\n";
    CHECK(parse_error(big) == sdp_errc::too_large);

    sdp::parse_options tight;
    tight.max_lines = 5;
    CHECK(sdp::parse(minimal(), tight).error() == sdp_errc::too_many_lines);
}

TEST_CASE("default-constructed description serializes and parses back", "[sdp]") {
    sdp::session_description sd;
    sd.origin.unicast_address = "192.0.2.1";
    CHECK(sd.to_string() == "v=0\r\no=- 0 0 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n");
    check_round_trip(sd);
    sdp::media_description m;
    m.media = "audio";
    m.port = 5004;
    m.proto = "RTP/AVP";
    m.formats = {"0", "101"};
    m.connections.push_back({"IN", "IP4", "192.0.2.1", {}, {}});
    m.attributes.push_back({"rtpmap", "101 telephone-event/8000"});
    sdp::set_direction(m.attributes, sdp::direction::recvonly);
    sd.media.push_back(m);
    check_round_trip(sd);
}

TEST_CASE("SDP bodies of the RFC 4475 and RFC 5118 torture messages", "[sdp]") {
    auto dir = shared_conformance();
    if (!dir) {
        WARN("shared conformance folder not found (set TANDEM_SHARED_CONFORMANCE); skipped");
        SUCCEED("skipped");
        return;
    }
    struct sample {
        const char* file;
        std::size_t media;
        const char* first_address; // connection of the first media section
    };
    const sample samples[] = {
        {"rfc5118/wire/ipv6-in-sdp.sip", 2, "2001:db8::20"},
        {"rfc5118/wire/mult-ip-in-sdp.sip", 2, "192.0.2.1"},
        {"rfc5118/wire/ipv4-mapped-ipv6.sip", 2, "::ffff:192.0.2.2"},
        {"rfc4475/sdp01.dat", 2, "192.0.2.5"},
        {"rfc4475/wsinv.dat", 2, "192.0.2.4"},
    };
    for (const sample& s : samples) {
        INFO(s.file);
        fs::path p = *dir / s.file;
        if (!fs::exists(p)) {
            WARN(std::string("missing ") + p.string());
            continue;
        }
        std::string bytes = read_binary(p);
        tandem::message::parse_options po;
        po.check_syntax = false;
        auto m = tandem::message::message::parse(bytes, po);
        REQUIRE(m.has_value());
        std::string_view body = tandem::message::find_sdp(*m);
        REQUIRE(!body.empty());
        auto sd = sdp::parse(body);
        INFO(body);
        REQUIRE(sd.has_value());
        CHECK(sd->media.size() == s.media);
        const sdp::connection* c = sd->media_connection(sd->media[0]);
        REQUIRE(c != nullptr);
        CHECK(c->address == s.first_address);
        check_round_trip(*sd);
    }
    // RFC 5118 4.7: one media section over IPv4, the other over IPv6
    fs::path mult = *dir / "rfc5118/wire/mult-ip-in-sdp.sip";
    if (fs::exists(mult)) {
        auto m = tandem::message::message::parse(read_binary(mult));
        REQUIRE(m.has_value());
        auto sd = sdp::parse(tandem::message::find_sdp(*m));
        REQUIRE(sd.has_value());
        CHECK(sd->session_name.empty());
        CHECK(sd->media[0].connections[0].addrtype == "IP4");
        CHECK(sd->media[1].connections[0].addrtype == "IP6");
        CHECK(sd->media[1].connections[0].address == "2001:db8::1");
    }
}
