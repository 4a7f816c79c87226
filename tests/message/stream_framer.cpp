#include <tandem/message/stream_framer.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace tandem::message;
using tandem::parse_errc;

namespace {

std::string options(std::string body = {}) {
    return "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
           "To: <sip:a@example.com>\r\nFrom: <sip:b@example.com>;tag=x\r\nCall-ID: c\r\n"
           "CSeq: 1 OPTIONS\r\nl: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct event {
    stream_framer::status what;
    std::string bytes;
    bool operator==(const event&) const = default;
};

// Feeds `stream` in pieces of `chunk` bytes and collects everything the framer reports.
std::vector<event> run(const std::string& stream, std::size_t chunk, std::error_code& ec) {
    stream_framer f;
    std::vector<event> out;
    for (std::size_t i = 0; i < stream.size(); i += chunk) {
        if ((ec = f.append(std::string_view(stream).substr(i, chunk)))) return out;
        while (true) {
            auto r = f.next();
            if (!r) {
                ec = r.error();
                return out;
            }
            if (r->what == stream_framer::status::incomplete) break;
            out.push_back({r->what, std::string(r->bytes)});
        }
    }
    return out;
}

} // namespace

TEST_CASE("messages, pings and pongs are cut from a stream at every split point", "[message][framer]") {
    const std::string a = options("hello");
    const std::string b = options();
    const std::string stream = "\r\n" + a + "\r\n\r\n" + b; // a pong, a message, a ping, a message
    const std::vector<event> expected = {{stream_framer::status::message, a},
                                         {stream_framer::status::ping, ""},
                                         {stream_framer::status::message, b}};
    for (std::size_t chunk :
         {stream.size(), std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{64}}) {
        std::error_code ec;
        CHECK(run(stream, chunk, ec) == expected);
        CHECK_FALSE(ec);
    }
    // Every two-piece split gives the same frames.
    for (std::size_t cut = 1; cut < stream.size(); ++cut) {
        stream_framer f;
        std::vector<event> got;
        for (std::string_view piece :
             {std::string_view(stream).substr(0, cut), std::string_view(stream).substr(cut)}) {
            REQUIRE_FALSE(f.append(piece));
            for (auto r = f.next(); r && r->what != stream_framer::status::incomplete; r = f.next())
                got.push_back({r->what, std::string(r->bytes)});
        }
        CHECK(got == expected);
        CHECK(f.buffered() == 0);
    }
    // And each framed message parses.
    CHECK(message::parse(a)->body() == "hello");
}

TEST_CASE("stream framing errors end the stream", "[message][framer]") {
    std::error_code ec;
    std::string no_cl = "OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: c\r\n\r\n";
    run(no_cl, 5, ec);
    CHECK(ec == parse_errc::missing_content_length);
    run("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -4\r\n\r\n", 100, ec);
    CHECK(ec == parse_errc::bad_content_length);
    run("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 4\r\nl: 5\r\n\r\n", 100, ec);
    CHECK(ec == parse_errc::conflicting_content_length);
    run("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 100000\r\n\r\n", 100, ec);
    CHECK(ec == parse_errc::message_too_large);
    // a header section that never ends is cut off at the limit, not buffered forever
    stream_framer f(1024);
    std::string junk(600, 'x');
    std::error_code last;
    for (int i = 0; i < 10 && !last; ++i) {
        last = f.append(junk);
        if (!last) last = f.next().error();
    }
    CHECK(last == parse_errc::message_too_large);
    CHECK(f.buffered() == 0);
    CHECK(f.next().error() == parse_errc::message_too_large); // stays failed
}
