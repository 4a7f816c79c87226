#include <tandem/message/uri.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace std::string_view_literals;
using tandem::parse_errc;
using tandem::message::equivalent;
using tandem::message::host_kind;
using tandem::message::parse_uri;
using tandem::message::unescape;
using tandem::message::uri;
using tandem::message::uri_options;
using tandem::message::uri_scheme;

namespace {

const uri_options no_headers{.allow_headers = false};

// Parses a URI that must be valid. The views point into `s`, a literal in these tests.
uri must_parse(std::string_view s, const uri_options& o = {}) {
    INFO("uri: " << s);
    auto r = parse_uri(s, o);
    REQUIRE(r.has_value());
    return *r;
}

bool parses(std::string_view s, const uri_options& o = {}) { return parse_uri(s, o).has_value(); }

// Equivalence of two valid URIs, checking symmetry and reflexivity on the way.
bool eq(std::string_view a, std::string_view b) {
    INFO("a: " << a << "\nb: " << b);
    uri x = must_parse(a), y = must_parse(b);
    CHECK(equivalent(x, x));
    CHECK(equivalent(y, y));
    bool r = equivalent(x, y);
    CHECK(r == equivalent(y, x));
    return r;
}

std::string unesc(std::string_view s) {
    std::string out(s.size(), '\0');
    auto n = unescape(s, out.data());
    REQUIRE(n >= 0);
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// True when `part` is a view inside `whole` (or empty).
bool inside(std::string_view part, std::string_view whole) {
    if (part.empty()) return true;
    auto b = reinterpret_cast<std::uintptr_t>(whole.data());
    auto p = reinterpret_cast<std::uintptr_t>(part.data());
    return p >= b && p + part.size() <= b + whole.size();
}

} // namespace

TEST_CASE("sip uri: the RFC 3261 19.1.3 examples", "[message][uri]") {
    SECTION("user and host") {
        auto u = must_parse("sip:alice@atlanta.com");
        CHECK(u.scheme == uri_scheme::sip);
        CHECK(u.scheme_text == "sip");
        CHECK(u.is_sip());
        CHECK(u.has_user);
        CHECK(u.user == "alice");
        CHECK_FALSE(u.has_password);
        CHECK(u.host == "atlanta.com");
        CHECK(u.host_type == host_kind::name);
        CHECK_FALSE(u.has_port);
        CHECK(u.params.empty());
        CHECK(u.headers.empty());
        CHECK(u.opaque.empty());
        CHECK(u.text == "sip:alice@atlanta.com");
    }
    SECTION("password and transport") {
        auto u = must_parse("sip:alice:secretword@atlanta.com;transport=tcp");
        CHECK(u.user == "alice");
        CHECK(u.has_password);
        CHECK(u.password == "secretword");
        CHECK(u.transport() == "tcp");
        CHECK(u.params.text() == ";transport=tcp");
    }
    SECTION("sips with headers") {
        auto u = must_parse("sips:alice@atlanta.com?subject=project%20x&priority=urgent");
        CHECK(u.scheme == uri_scheme::sips);
        CHECK(u.is_sip());
        CHECK(u.host == "atlanta.com");
        CHECK(u.headers == "subject=project%20x&priority=urgent");
    }
    SECTION("telephone-subscriber with a password") {
        auto u = must_parse("sip:+1-212-555-1212:1234@gateway.com;user=phone");
        CHECK(u.user == "+1-212-555-1212");
        CHECK(u.password == "1234");
        CHECK(u.user_param() == "phone");
    }
    SECTION("IPv4 host") {
        auto u = must_parse("sips:1212@gateway.com");
        CHECK(u.host_type == host_kind::name);
        auto v = must_parse("sip:alice@192.0.2.4");
        CHECK(v.host == "192.0.2.4");
        CHECK(v.host_type == host_kind::ipv4);
    }
    SECTION("no userinfo, parameters and headers") {
        auto u = must_parse("sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com");
        CHECK_FALSE(u.has_user);
        CHECK(u.user.empty());
        CHECK(u.host == "atlanta.com");
        CHECK(u.param("method") == "REGISTER");
        CHECK(u.headers == "to=alice%40atlanta.com");
    }
    SECTION("user-unreserved ';' in the user part") {
        auto u = must_parse("sip:alice;day=tuesday@atlanta.com");
        CHECK(u.user == "alice;day=tuesday");
        CHECK(u.host == "atlanta.com");
        CHECK(u.params.empty());
    }
}

TEST_CASE("sip uri: scheme, case and empty password", "[message][uri]") {
    auto u = must_parse("SIP:ALICE@AtLanTa.CoM;Transport=udp");
    CHECK(u.scheme == uri_scheme::sip);
    CHECK(u.scheme_text == "SIP");
    CHECK(u.transport() == "udp");
    CHECK(u.has_param("TRANSPORT"));
    CHECK(must_parse("SiPs:a@b").scheme == uri_scheme::sips);

    auto v = must_parse("sip:user:@host");
    CHECK(v.has_password);
    CHECK(v.password.empty());

    CHECK_FALSE(parses("sip::pass@host")); // empty user
    CHECK_FALSE(parses("sip:a:b:c@host")); // ':' is not a password char
    CHECK_FALSE(parses("sip:a@b@c"));      // a second '@'
    CHECK_FALSE(parses("sip:"));
    CHECK_FALSE(parses("sips:"));
    CHECK_FALSE(parses("sip"));
}

TEST_CASE("sip uri: ports", "[message][uri]") {
    CHECK(must_parse("sip:h:5060").port == 5060);
    CHECK(must_parse("sip:h:5060").has_port);
    CHECK(must_parse("sip:h:0").port == 0);
    CHECK(must_parse("sip:h:0").has_port);
    CHECK(must_parse("sip:h:65535").port == 65535);
    CHECK(must_parse("sip:h:065535").port == 65535); // leading zeros: 1*DIGIT
    CHECK(must_parse("sip:h:0000000000000005061").port == 5061);
    CHECK(must_parse("sip:u@192.0.2.1:5070;lr").port == 5070);
    CHECK_FALSE(parses("sip:h:65536"));
    CHECK_FALSE(parses("sip:h:99999999999999999999999"));
    CHECK_FALSE(parses("sip:h:"));
    CHECK_FALSE(parses("sip:h:;lr"));
    CHECK_FALSE(parses("sip:h:5a"));
    CHECK_FALSE(parses("sip:h:a5"));
    CHECK_FALSE(parses("sip:h:-1"));
    CHECK_FALSE(parses("sip:h:+1"));
    CHECK_FALSE(parses("sip:h:5060:5061"));
}

TEST_CASE("sip uri: host names and IPv4", "[message][uri]") {
    CHECK(must_parse("sip:a").host_type == host_kind::name);
    CHECK(must_parse("sip:example.com.").host == "example.com."); // trailing dot
    CHECK(must_parse("sip:123.example.com").host_type == host_kind::name);
    CHECK(must_parse("sip:chair-dnrc.example.com").host_type == host_kind::name);
    CHECK(must_parse("sip:x--y.example.com").host_type == host_kind::name);
    CHECK(must_parse("sip:0.0.0.0").host_type == host_kind::ipv4);
    CHECK(must_parse("sip:255.255.255.255").host_type == host_kind::ipv4);
    CHECK(must_parse("sip:001.002.003.004").host_type == host_kind::ipv4); // 1*3DIGIT

    CHECK_FALSE(parses("sip:@host")); // user = 1*(...)
    CHECK_FALSE(parses("sip:user@")); // empty host
    CHECK_FALSE(parses("sip:user@;lr"));
    CHECK_FALSE(parses("sip:;lr"));
    CHECK_FALSE(parses("sip:?a=b"));
    CHECK_FALSE(parses("sip:-host.com"));
    CHECK_FALSE(parses("sip:host-.com"));
    CHECK_FALSE(parses("sip:host..com"));
    CHECK_FALSE(parses("sip:.host.com"));
    CHECK_FALSE(parses("sip:."));
    CHECK_FALSE(parses("sip:host.123")); // digit-led toplabel that is not an IPv4 address
    CHECK_FALSE(parses("sip:1"));
    CHECK_FALSE(parses("sip:1.2.3"));
    CHECK_FALSE(parses("sip:1.2.3.4.5"));
    CHECK_FALSE(parses("sip:1.2.3.4."));
    CHECK_FALSE(parses("sip:256.1.1.1"));
    CHECK_FALSE(parses("sip:1.2.3.1000"));
    CHECK_FALSE(parses("sip:host_name.com"));
    CHECK_FALSE(parses("sip:user@h%41st.com")); // no escapes in hosts
}

TEST_CASE("sip uri: IPv6 references (RFC 5118, RFC 5954)", "[message][uri]") {
    SECTION("4.1 valid IPv6 reference") {
        auto u = must_parse("sip:[2001:db8::10]");
        CHECK(u.host == "[2001:db8::10]");
        CHECK(u.host_type == host_kind::ipv6);
        CHECK_FALSE(u.has_port);
    }
    SECTION("4.2 IPv6 without brackets is invalid") {
        CHECK_FALSE(parses("sip:2001:db8::10"));
        CHECK_FALSE(parses("sip:user@2001:db8::10"));
    }
    SECTION("4.3 port ambiguous: all of it is the address") {
        auto u = must_parse("sip:[2001:db8::10:5070]");
        CHECK(u.host == "[2001:db8::10:5070]");
        CHECK_FALSE(u.has_port);
    }
    SECTION("4.4 port unambiguous") {
        auto u = must_parse("sip:[2001:db8::10]:5070");
        CHECK(u.host == "[2001:db8::10]");
        CHECK(u.has_port);
        CHECK(u.port == 5070);
    }
    SECTION("4.9 IPv4-mapped address") {
        CHECK(must_parse("sip:user@[::ffff:192.0.2.10]").host_type == host_kind::ipv6);
    }
    SECTION("4.10 two-colon form, and the tolerated three-colon form") {
        CHECK(must_parse("sip:user@[2001:db8::192.0.2.1]").host == "[2001:db8::192.0.2.1]");
        auto u = must_parse("sip:user@[2001:db8:::192.0.2.1]");
        CHECK(u.host == "[2001:db8:::192.0.2.1]");
        CHECK(eq("sip:user@[2001:db8:::192.0.2.1]", "sip:user@[2001:db8::192.0.2.1]"));
        CHECK(parses("sip:[:::192.0.2.1]"));
        CHECK_FALSE(parses("sip:[2001:db8:::1]")); // tolerated before an IPv4 tail only
    }
    SECTION("edge cases") {
        for (auto ok :
             {"sip:[::]", "sip:[::1]", "sip:[1::]", "sip:[1:2:3:4:5:6:7:8]", "sip:[1:2:3:4:5:6:7::]",
              "sip:[::2:3:4:5:6:7:8]", "sip:[1::2:3:4:5:6:7]", "sip:[1:2:3:4:5:6:1.2.3.4]", "sip:[::1.2.3.4]",
              "sip:[ABCD:ef01::FfFf]", "sip:[0000:0000::0001]:1;lr"}) {
            INFO(ok);
            CHECK(parses(ok));
        }
        for (auto bad : {"sip:[]",
                         "sip:[",
                         "sip:[::1",
                         "sip:[::1]]",
                         "sip:[:1]",
                         "sip:[1:]",
                         "sip:[:]",
                         "sip:[:::]",
                         "sip:[1:::2]",
                         "sip:[1::2::3]",
                         "sip:[12345::]",
                         "sip:[g::1]",
                         "sip:[1:2:3:4:5:6:7:8:9]",
                         "sip:[1:2:3:4:5:6:7]",
                         "sip:[1:2:3:4:5:6:7:8::]",
                         "sip:[1:2:3:4:5:6:7:1.2.3.4]",
                         "sip:[::1.2.3.256]",
                         "sip:[1.2.3.4]",
                         "sip:[::1.2.3.4:5]",
                         "sip:[::1.2.3]",
                         "sip:[::1%25eth0]",
                         "sip:[::1]x",
                         "sip:[::1]:",
                         "sip:x[::1]",
                         "sip:[ ::1]"}) {
            INFO(bad);
            CHECK_FALSE(parses(bad));
        }
    }
}

TEST_CASE("sip uri: parameters", "[message][uri]") {
    auto u = must_parse("sip:a@h;lr;transport=TCP;maddr=239.255.255.1;ttl=15;method=INVITE;user=ip");
    CHECK(u.lr());
    CHECK(u.transport() == "TCP");
    CHECK(u.maddr() == "239.255.255.1");
    CHECK(u.param("ttl") == "15");
    CHECK(u.param("METHOD") == "INVITE");
    CHECK(u.user_param() == "ip");
    CHECK(u.has_param("LR"));
    CHECK(u.param("lr").empty());
    CHECK_FALSE(u.has_param("nope"));
    CHECK(u.param("nope").empty());
    CHECK(u.params.text() == ";lr;transport=TCP;maddr=239.255.255.1;ttl=15;method=INVITE;user=ip");
    std::size_t n = 0;
    for (auto& p : u.params) {
        CHECK_FALSE(p.name.empty());
        ++n;
    }
    CHECK(n == 6);

    CHECK(must_parse("sip:a@h;maddr=[2001:db8::1]").maddr() == "[2001:db8::1]");
    CHECK(must_parse("sip:a@h;p=a/b:c&d+e$f[g]").param("p") == "a/b:c&d+e$f[g]");
    CHECK(must_parse("sip:a@h;p=%41").param("p") == "%41");
    CHECK(must_parse("sip:h;lr").lr());

    CHECK_FALSE(parses("sip:a@h;"));
    CHECK_FALSE(parses("sip:a@h;;"));
    CHECK_FALSE(parses("sip:a@h;;lr"));
    CHECK_FALSE(parses("sip:a@h;lr;"));
    CHECK_FALSE(parses("sip:a@h;=x"));
    CHECK_FALSE(parses("sip:a@h;x="));
    CHECK_FALSE(parses("sip:a@h;x=1=2"));
    CHECK_FALSE(parses("sip:a@h;x=\"q\""));
    CHECK_FALSE(parses("sip:a@h;x=a,b"));
}

TEST_CASE("sip uri: headers", "[message][uri]") {
    CHECK(must_parse("sip:a@h?x=").headers == "x=");
    CHECK(must_parse("sip:a@h?x=1&y=2").headers == "x=1&y=2");
    CHECK(must_parse("sip:a@h;lr?x=a?b:c/[d]+$").headers == "x=a?b:c/[d]+$");
    CHECK_FALSE(parses("sip:a@h?"));
    CHECK_FALSE(parses("sip:a@h?x"));
    CHECK_FALSE(parses("sip:a@h?=x"));
    CHECK_FALSE(parses("sip:a@h?x=1&"));
    CHECK_FALSE(parses("sip:a@h?x=1&&y=2"));
    CHECK_FALSE(parses("sip:a@h?x=1;lr")); // parameters come before headers
    CHECK_FALSE(parses("sip:a@h?x=a=b"));
    SECTION("not allowed in a Request-URI") {
        CHECK_FALSE(parses("sip:a@h?x=1", no_headers));
        CHECK_FALSE(parses("sip:h;lr?x=1", no_headers));
        CHECK(parses("sip:a?b@h", no_headers)); // '?' is user-unreserved
        CHECK(must_parse("sip:a?b@h", no_headers).user == "a?b");
        // other schemes keep their '?' in the opaque part
        CHECK(parses("http://example.com/x?y=1", no_headers));
    }
}

TEST_CASE("sip uri: blanks, angle brackets and bad escapes", "[message][uri]") {
    for (auto bad : {"sip:user@example.com; lr",
                     " sip:a@b",
                     "sip:a@b ",
                     "sip:a b@c",
                     "sip:a@b\t",
                     "sip :a@b",
                     "sip:a@b\r\n",
                     "<sip:user@example.com>",
                     "sip:user@example.com>",
                     "sip:<a>@b",
                     "sip:%4@h",
                     "sip:%GG@h",
                     "sip:a%@h",
                     "sip:a%4@h",
                     "sip:a:%zz@h",
                     "sip:a@h;p=%4",
                     "sip:a@h;%zz",
                     "sip:a@h?x=%g1",
                     "sip:a@h?%=1",
                     "sip:a@h;p=%"}) {
        INFO(bad);
        CHECK_FALSE(parses(bad));
        CHECK(parse_uri(bad).error() == parse_errc::bad_uri);
    }
    CHECK_FALSE(parses("sip:a\0b@h"sv)); // a raw NUL, not an escaped one
    CHECK_FALSE(parses("sip:ab@h\0"sv));
}

TEST_CASE("sip uri: RFC 4475 torture URIs", "[message][uri]") {
    SECTION("3.1.1.1 wsinv") {
        auto u = must_parse("sip:vivekg@chair-dnrc.example.com;unknownparam");
        CHECK(u.has_param("unknownparam"));
        auto r = must_parse("sip:services.example.com;lr;unknownwith=value;unknown-no-value");
        CHECK(r.lr());
        CHECK(r.param("unknownwith") == "value");
        CHECK(r.has_param("unknown-no-value"));
    }
    SECTION("3.1.1.2 intmeth") {
        auto u = must_parse("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
                            ":&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
        CHECK(u.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
        CHECK(u.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
        CHECK(u.host == "example.com");
        CHECK(u.params.empty());
    }
    SECTION("3.1.1.3 esc01") {
        auto u = must_parse("sip:sips%3Auser%40example.com@example.net");
        CHECK(u.scheme == uri_scheme::sip);
        CHECK(u.user == "sips%3Auser%40example.com");
        CHECK(unesc(u.user) == "sips:user@example.com");
        CHECK(u.host == "example.net");
        CHECK(unesc(must_parse("sip:%75se%72@example.com").user) == "user");
        CHECK(unesc(must_parse("sip:I%20have%20spaces@example.net").user) == "I have spaces");
        auto c = must_parse("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");
        CHECK(unesc(c.user) == "caller");
        CHECK(c.lr());                                // ";%6C%72" is ";lr"
        CHECK(c.param("name") == "v%61lue%25%34%31"); // "n%61me" is "name"
        CHECK(unesc(c.param("name")) == "value%41");
    }
    SECTION("3.1.1.4 escnull") {
        auto u = must_parse("sip:null-%00-null@example.com");
        CHECK(unesc(u.user) == "null-\0-null"sv);
        CHECK(unesc(must_parse("sip:%00@host5.example.com").user) == "\0"sv);
        CHECK(unesc(must_parse("sip:%00%00@host5.example.com").user) == "\0\0"sv);
    }
    SECTION("3.1.1.7 longreq") {
        // RFC 4475 3.1.1.7, the To header field URI
        auto u = must_parse(
            "sip:user@example.com:6000;"
            "unknownparam1=verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglo"
            "ngvalue;"
            "longparamnamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenam"
            "enamenamename=shortvalue;"
            "verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglong"
            "longlongParameterNameWithNoValue");
        CHECK(u.port == 6000);
        CHECK(std::distance(u.params.begin(), u.params.end()) == 3);
        CHECK(must_parse("sip:amazinglylongcallernameamazinglylongcallernameamazinglylongcallername"
                         "amazinglylongcallernameamazinglylongcallername@host5.example.net")
                  .host == "host5.example.net");
    }
    SECTION("3.1.1.9 semiuri") {
        auto u = must_parse("sip:user;par=u%40example.net@example.com");
        CHECK(u.user == "user;par=u%40example.net");
        CHECK(u.host == "example.com");
        CHECK(u.params.empty());
    }
    SECTION("3.1.1.11 mpart01 and others: IPv4 hosts with ports") {
        auto u = must_parse("sip:127.0.0.1:5080");
        CHECK_FALSE(u.has_user);
        CHECK(u.host_type == host_kind::ipv4);
        CHECK(u.port == 5080);
        CHECK(must_parse("sip:fluffy@127.0.0.1:5070").user == "fluffy");
    }
    SECTION("3.1.2.7 ltgtruri: <> around the Request-URI") {
        CHECK_FALSE(parses("<sip:user@example.com>", no_headers));
    }
    SECTION("3.1.2.8 lwsruri: LWS inside the Request-URI") {
        CHECK_FALSE(parses("sip:user@example.com; lr", no_headers));
        CHECK_FALSE(parses("sip:user@example.com;", no_headers)); // the part before the SP
    }
    SECTION("3.1.2.11 escruri: escaped headers in the Request-URI") {
        CHECK_FALSE(parses("sip:user@example.com?Route=%3Csip:example.com%3E", no_headers));
        // 3.3.14 regescrt: the same URI is fine in a Contact
        auto u = must_parse("sip:user@example.com?Route=%3Csip:sip.example.com%3E");
        CHECK(u.headers == "Route=%3Csip:sip.example.com%3E");
    }
    SECTION("3.1.2.14 badaspec: blanks inside <>") { CHECK_FALSE(parses(" sip:t.watson@example.org ")); }
    SECTION("3.3.x unknown and atypical schemes") {
        auto u = must_parse("nobodyKnowsThisScheme:totallyopaquecontent", no_headers);
        CHECK(u.scheme == uri_scheme::other);
        CHECK(u.scheme_text == "nobodyKnowsThisScheme");
        CHECK(u.opaque == "totallyopaquecontent");
        CHECK(u.host_type == host_kind::none);
        CHECK(must_parse("nobodyKnowsThisScheme:totallyopaque").opaque == "totallyopaque");
        auto s = must_parse("soap.beep://192.0.2.103:3002", no_headers);
        CHECK(s.scheme_text == "soap.beep");
        CHECK(s.opaque == "//192.0.2.103:3002");
        CHECK(s.host.empty());
        CHECK(must_parse("isbn:2983792873").opaque == "2983792873");
        CHECK(must_parse("http://www.example.com").scheme_text == "http");
        CHECK(must_parse("name:John_Smith").opaque == "John_Smith");
    }
    SECTION("inv2543, cparam01") {
        CHECK(must_parse("sip:UserB@example.com;maddr=ss1.example.com").maddr() == "ss1.example.com");
        CHECK(must_parse("sip:+13035551111@ift.client.example.net;user=phone").user_param() == "phone");
        CHECK(must_parse("sip:+19725552222@gw1.example.net;unknownparam").has_param("unknownparam"));
    }
}

TEST_CASE("tel uri (RFC 3966)", "[message][uri]") {
    auto g = must_parse("tel:+1-201-555-0123");
    CHECK(g.scheme == uri_scheme::tel);
    CHECK_FALSE(g.is_sip());
    CHECK(g.user == "+1-201-555-0123");
    CHECK(g.has_user);
    CHECK(g.host.empty());
    CHECK(g.host_type == host_kind::none);
    CHECK(g.params.empty());

    auto l = must_parse("tel:7042;phone-context=example.com");
    CHECK(l.user == "7042");
    CHECK(l.param("phone-context") == "example.com");
    CHECK(must_parse("tel:863-1234;phone-context=+1-914-555").param("phone-context") == "+1-914-555");
    auto e = must_parse("tel:+1-201-555-0123;ext=1234;isub=abc?@x;foo");
    CHECK(e.param("ext") == "1234");
    CHECK(e.param("isub") == "abc?@x");
    CHECK(e.has_param("foo"));
    CHECK(must_parse("TEL:+12015550123").scheme_text == "TEL");
    CHECK(must_parse("tel:+(1).201").user == "+(1).201");
    CHECK(must_parse("tel:*31#;phone-context=example.com").user == "*31#");
    CHECK(must_parse("tel:AB-cd;phone-context=+1").user == "AB-cd");

    // ';' separates tel parameters even though isub values are uric (found by fuzz_uri)
    auto i = must_parse("tel:+1;isub=a;b");
    CHECK(i.param("isub") == "a");
    CHECK(i.has_param("b"));

    for (auto bad : {"tel:7042;phone-context=example.com;;isub=%41", "tel:+1;isub=a;;b", "tel:+1;isub=;b",
                     "tel:", "tel:+", "tel:+-.()", "tel:7042", "tel:7042;phone-context", "tel:+1 201",
                     "tel: +1", "tel:+1a", "tel:+1;;", "tel:+1;", "tel:+1;a=", "tel:+1?x=1",
                     "tel:12g;phone-context=x", "tel:+1;ext=1 2", "tel:+1@host", "tel:;phone-context=x"}) {
        INFO(bad);
        CHECK_FALSE(parses(bad));
    }
}

TEST_CASE("other absolute uris", "[message][uri]") {
    for (auto ok : {"mailto:bob@example.com", "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
                    "http://[2001:db8::1]:8080/a/b?c=d", "im:alice@example.com", "a+b-c.d:x", "cid:%41"}) {
        INFO(ok);
        auto u = must_parse(ok);
        CHECK(u.scheme == uri_scheme::other);
        CHECK(u.opaque == std::string_view(ok).substr(u.scheme_text.size() + 1));
    }
    for (auto bad : {"http:", "1http:x", "+a:x", "ht tp:x", ":x", "noscheme", "http:x y", "http:a%zz",
                     "http:a#frag", "http:a\"b", "http:a<b>", "", "http:x\n"}) {
        INFO(bad);
        CHECK_FALSE(parses(bad));
    }
}

TEST_CASE("equivalent: RFC 3261 19.1.4 examples", "[message][uri]") {
    SECTION("equivalent pairs") {
        CHECK(eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
        CHECK(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
        CHECK(eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
        CHECK(eq("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));
        CHECK(eq("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                 "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
        CHECK(eq("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                 "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
    }
    SECTION("non-equivalent pairs") {
        CHECK_FALSE(eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
        CHECK_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
        CHECK_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
        CHECK_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
        CHECK_FALSE(eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
        CHECK_FALSE(eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
    }
    SECTION("not transitive") {
        CHECK(eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=off"));
        CHECK_FALSE(eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
    }
}

TEST_CASE("equivalent: further rules", "[message][uri]") {
    SECTION("scheme") {
        CHECK_FALSE(eq("sip:alice@atlanta.com", "sips:alice@atlanta.com"));
        CHECK(eq("SIPS:alice@atlanta.com", "sips:alice@atlanta.com"));
        CHECK_FALSE(eq("sip:+12015550123@h", "tel:+12015550123"));
    }
    SECTION("userinfo: case-sensitive, escapes of unreserved chars decoded") {
        CHECK_FALSE(eq("sip:Alice@h", "sip:alice@h"));
        CHECK(eq("sip:%41lice@h", "sip:Alice@h"));
        CHECK_FALSE(eq("sip:%61lice@h", "sip:Alice@h"));
        CHECK(eq("sip:%6c%6C@h", "sip:ll@h"));
        CHECK(eq("sip:a%20b@h", "sip:a%20b@h"));
        CHECK(eq("sip:a:p%41ss@h", "sip:a:pAss@h"));
        CHECK_FALSE(eq("sip:a:pass@h", "sip:a:Pass@h"));
        CHECK_FALSE(eq("sip:a:@h", "sip:a@h"));
        CHECK_FALSE(eq("sip:a@h", "sip:h"));
        CHECK_FALSE(eq("sip:ab@h", "sip:a@h"));
        // escaped reserved characters stay distinct from the literal ones
        CHECK_FALSE(eq("sip:a%2Bb@h", "sip:a+b@h"));
        CHECK_FALSE(eq("sip:a%3Bb@h", "sip:a;b@h"));
        CHECK(eq("sip:a%2bb@h", "sip:a%2Bb@h"));
        CHECK(eq("sip:sips%3Auser%40example.com@example.net", "sip:sips%3auser%40example.com@example.net"));
        CHECK(eq("sip:null-%00-null@example.com", "sip:null-%00-null@example.com"));
        CHECK_FALSE(eq("sip:null-%00-null@example.com", "sip:null--null@example.com"));
    }
    SECTION("hosts and addresses") {
        CHECK(eq("sip:[2001:DB8::1]", "sip:[2001:db8:0::0:1]"));
        CHECK(eq("sip:[::ffff:192.0.2.128]", "sip:[::ffff:c000:280]"));
        CHECK(eq("sip:[0:0:0:0:0:FFFF:129.144.52.38]", "sip:[::FFFF:129.144.52.38]"));
        CHECK_FALSE(eq("sip:[2001:db8::1]", "sip:[2001:db8::2]"));
        CHECK(eq("sip:192.0.2.4", "sip:192.000.002.004"));
        CHECK_FALSE(eq("sip:192.0.2.4", "sip:192.0.2.5"));
        CHECK_FALSE(eq("sip:example.com", "sip:example.com."));
        CHECK(eq("sip:u@[::1]:5060", "sip:u@[0::1]:5060"));
        CHECK_FALSE(eq("sip:u@[::1]:5060", "sip:u@[::1]:5061"));
    }
    SECTION("parameters") {
        CHECK(eq("sip:h;lr;transport=tcp", "sip:h;TRANSPORT=TCP;LR"));
        CHECK(eq("sip:h;%6C%72", "sip:h;lr"));
        CHECK(eq("sip:h;x=%41", "sip:h;x=a")); // values case-insensitive after unescaping
        CHECK_FALSE(eq("sip:h;x=1", "sip:h;x=2"));
        CHECK_FALSE(eq("sip:h;x", "sip:h;x=1"));
        CHECK_FALSE(eq("sip:h;user=phone", "sip:h"));
        CHECK_FALSE(eq("sip:h;ttl=1", "sip:h"));
        CHECK_FALSE(eq("sip:h;method=INVITE", "sip:h"));
        CHECK_FALSE(eq("sip:h;maddr=239.1.1.1", "sip:h"));
        CHECK_FALSE(eq("sip:h;maddr=239.1.1.1", "sip:h;maddr=239.1.1.2"));
        CHECK(eq("sip:h;method=INVITE", "sip:h;method=invite"));
        CHECK(eq("sip:h;lr", "sip:h"));
        // duplicates: the first occurrence counts
        CHECK(eq("sip:h;x=1;x=2", "sip:h;x=1"));
        CHECK_FALSE(eq("sip:h;x=2;x=1", "sip:h;x=1"));
    }
    SECTION("headers") {
        CHECK(eq("sip:h?a=1&b=2", "sip:h?b=2&a=1"));
        CHECK(eq("sip:h?Subject=hi", "sip:h?subject=hi"));
        CHECK_FALSE(eq("sip:h?subject=hi", "sip:h?subject=Hi"));
        CHECK(eq("sip:h?subject=%68i", "sip:h?subject=hi"));
        CHECK_FALSE(eq("sip:h?a=1", "sip:h?a=1&b=2"));
        CHECK_FALSE(eq("sip:h?a=", "sip:h"));
        CHECK(eq("sip:h?a=1&a=1", "sip:h?a=1"));
    }
    SECTION("tel (RFC 3966 4)") {
        CHECK(eq("tel:+1-201-555-0123", "tel:+1(201)555.0123"));
        CHECK(eq("tel:+12015550123", "TEL:+12015550123"));
        CHECK_FALSE(eq("tel:+12015550123", "tel:+12015550124"));
        CHECK_FALSE(eq("tel:+12015550123", "tel:+120155501234"));
        CHECK_FALSE(eq("tel:12;phone-context=+1", "tel:+112"));
        CHECK(eq("tel:7042;phone-context=example.com", "tel:7042;PHONE-CONTEXT=Example.COM"));
        CHECK(eq("tel:863-1234;phone-context=+1-914-555", "tel:8631234;phone-context=+1914555"));
        CHECK_FALSE(eq("tel:7042;phone-context=example.com", "tel:7042;phone-context=example.net"));
        CHECK(eq("tel:ab;phone-context=x.com", "tel:AB;phone-context=x.com"));
        CHECK(eq("tel:+1;ext=1-2;a=b", "tel:+1;a=B;ext=12"));
        CHECK_FALSE(eq("tel:+1;a=b", "tel:+1"));
        CHECK_FALSE(eq("tel:+1", "tel:+1;a=b"));
        CHECK_FALSE(eq("tel:+1;a", "tel:+1;a=b"));
    }
    SECTION("other schemes") {
        CHECK(eq("HTTP://www.example.com", "http://www.example.com"));
        CHECK_FALSE(eq("http://www.example.com", "http://WWW.example.com"));
        CHECK_FALSE(eq("http://www.example.com", "https://www.example.com"));
        CHECK_FALSE(eq("isbn:1", "urn:1"));
    }
    SECTION("default-constructed uris") {
        CHECK(equivalent(uri{}, uri{}));
        CHECK_FALSE(equivalent(uri{}, must_parse("sip:h")));
    }
}

TEST_CASE("unescape", "[message][uri]") {
    CHECK(unesc("") == "");
    CHECK(unesc("abc") == "abc");
    CHECK(unesc("%41%62%3a%3A%25") == "Ab::%");
    CHECK(unesc("%00") == "\0"sv);
    CHECK(unesc("%ff") == "\xff");
    char buf[16];
    CHECK(unescape("%4", buf) == -1);
    CHECK(unescape("%GG", buf) == -1);
    CHECK(unescape("%", buf) == -1);
    CHECK(unescape("abc%", buf) == -1);
    CHECK(unescape("abc%4g", buf) == -1);
    CHECK(unescape("%%41", buf) == -1);
    SECTION("in place") {
        std::string s = "I%20have%20spaces";
        auto n = unescape(s, s.data());
        REQUIRE(n == 13);
        CHECK(std::string_view(s.data(), 13) == "I have spaces");
    }
}

TEST_CASE("parse_uri never reads outside its input", "[message][uri]") {
    // Each prefix of each URI is copied into an allocation of exactly its size, with no
    // terminator: under AddressSanitizer any read past the end aborts the test.
    const std::string_view uris[] = {
        "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
        "@example.com",
        "sips:user;par=u%40example.net:p%41ss@[2001:db8:::192.0.2.1]:5060;lr;maddr=[::1];x=%41?a=b&c=%20d",
        "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31",
        "sip:alice@192.0.2.4:65535;transport=tcp?subject=project%20x&priority=urgent",
        "tel:863-1234;phone-context=+1-914-555;ext=12;isub=%41",
        "soap.beep://192.0.2.103:3002/a?b=[c]",
        "sip:[::ffff:192.0.2.10]",
    };
    for (std::string_view full : uris) {
        for (std::size_t len = 0; len <= full.size(); ++len) {
            auto buf = std::make_unique<char[]>(len);
            if (len) std::memcpy(buf.get(), full.data(), len);
            std::string_view in(buf.get(), len);
            for (const uri_options& o : {uri_options{}, no_headers}) {
                auto r = parse_uri(in, o);
                if (!r) continue;
                const uri& u = *r;
                CHECK(u.text == in);
                CHECK(inside(u.scheme_text, in));
                CHECK(inside(u.user, in));
                CHECK(inside(u.password, in));
                CHECK(inside(u.host, in));
                CHECK(inside(u.params.text(), in));
                CHECK(inside(u.headers, in));
                CHECK(inside(u.opaque, in));
                CHECK(equivalent(u, u));
                for (auto& p : u.params) CHECK(inside(p.name, in));
                (void)u.lr();
                (void)u.transport();
            }
        }
        CHECK(parses(full));
    }
}

TEST_CASE("parse_uri on large inputs", "[message][uri]") {
    std::string user(200000, 'a');
    std::string s = "sip:" + user + "@example.com";
    auto r = parse_uri(s);
    REQUIRE(r);
    CHECK(r->user.size() == user.size());
    CHECK(equivalent(*r, *r));

    std::string params = "sip:h";
    for (int k = 0; k < 20000; ++k) params += ";p";
    CHECK_FALSE(parses(params)); // over the default max_params
    auto p = parse_uri(params, uri_options{.max_params = 20000});
    REQUIRE(p);
    CHECK(p->has_param("p"));
    CHECK_FALSE(p->has_param("q"));

    std::string bad = "sip:" + std::string(100000, '@');
    CHECK_FALSE(parses(bad));
    std::string colons = "sip:[" + std::string(100000, ':') + "]";
    CHECK_FALSE(parses(colons));
}

TEST_CASE("parse_uri limits the number of parameters and headers", "[message][uri]") {
    auto repeat = [](std::string_view prefix, std::string_view item, std::size_t n, std::string_view sep) {
        std::string s(prefix);
        for (std::size_t k = 0; k < n; ++k) {
            if (k) s += sep;
            s += item;
        }
        return s;
    };
    const uri_options two{.max_params = 2, .max_headers = 2};
    CHECK(parses("sip:h;a;b", two));
    CHECK_FALSE(parses("sip:h;a;b;c", two));
    CHECK(parses("sip:h?a=1&b=2", two));
    CHECK_FALSE(parses("sip:h?a=1&b=2&c=3", two));
    CHECK(parses("tel:+1;a;b", two));
    CHECK_FALSE(parses("tel:+1;a;b;c", two));
    CHECK(parses("sip:h", uri_options{.max_params = 0}));
    CHECK_FALSE(parses("sip:h;lr", uri_options{.max_params = 0}));

    CHECK(parses(repeat("sip:h", ";p", 64, "")));
    CHECK_FALSE(parses(repeat("sip:h", ";p", 65, "")));
    CHECK(parses(repeat("sip:h?", "a=b", 64, "&")));
    CHECK_FALSE(parses(repeat("sip:h?", "a=b", 65, "&")));
    // a user part full of ';' is not a parameter list
    CHECK(parses(repeat("sip:", ";", 1000, "") + "a@h"));
}
