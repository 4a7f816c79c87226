// sipcheck: tells which SIP messages are malformed and what a server would answer.
//
//   sipcheck [--uas] FILE...        (FILE "-" reads standard input)
//
// Each FILE holds one message exactly as it came off the wire (a UDP datagram): its bytes are
// taken as they are, NULs, bare LFs and odd blanks included. One line per file:
//   FILE: ok request INVITE | FILE: ok response 180 | FILE: invalid: REASON
// With --uas, a request that parses but that a UAS must refuse (RFC 3261 8.2) prints
//   FILE: respond CODE REASON
// Exit status: 0 if every file is ok, 1 if any is not, 2 on a usage or read error.
//
// Example: sipcheck --uas ../shared/conformance/rfc4475/*.dat

#include <tandem/message/message.hpp>
#include <tandem/message/validate.hpp>

#include <fmt/core.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace msg = tandem::message;

namespace {

constexpr std::size_t max_input = 1u << 20; // larger inputs are refused without being read whole

std::optional<std::string> read_all(const std::string& path, std::string& error) {
    std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (!f) {
        error = std::strerror(errno);
        return std::nullopt;
    }
    std::string data;
    char chunk[65536];
    std::size_t n = 0;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) {
        data.append(chunk, n);
        if (data.size() > max_input) break;
    }
    bool bad = std::ferror(f) != 0;
    if (f != stdin) std::fclose(f);
    if (bad) {
        error = "read error";
        return std::nullopt;
    }
    return data;
}

std::string describe(std::error_code ec, const msg::diagnostics& d) {
    std::string s = ec.message();
    if (!d.header.empty()) s += fmt::format(" (header \"{}\"", d.header);
    if (d.line) s += fmt::format("{}line {}", d.header.empty() ? " (" : ", ", d.line);
    if (!d.header.empty() || d.line) s += ")";
    return s;
}

/// The verdict line for one message, and whether it is "ok".
std::pair<std::string, bool> check(std::string_view bytes, bool uas) {
    msg::diagnostics d;
    auto strict = msg::message::parse(bytes, {}, &d);
    auto ok_line = [](const msg::message& m) {
        return m.is_request() ? fmt::format("ok request {}", m.method_text())
                              : fmt::format("ok response {}", m.status());
    };
    if (!uas || (strict && strict->is_response())) {
        if (!strict) return {"invalid: " + describe(strict.error(), d), false};
        return {ok_line(*strict), true};
    }
    // As a UAS: frame the request, then let validation pick the response. The parse limit is
    // raised so that an oversized request can still be answered with 513.
    msg::parse_options o;
    o.check_syntax = false;
    o.max_message_size = max_input;
    d = {};
    auto m = msg::message::parse(bytes, o, &d);
    if (!m) return {"invalid: " + describe(m.error(), d), false};
    if (m->is_response()) return {"invalid: " + describe(strict.error(), d), false};
    if (!msg::can_respond(*m)) return {"invalid: no usable Via, a UAS cannot answer", false};
    if (auto r = msg::validate_request(*m))
        return {fmt::format("respond {} {}", r->status, r->reason), false};
    return {ok_line(*m), true};
}

void usage(std::FILE* to) {
    fmt::print(to, "usage: sipcheck [--uas] FILE...\n"
                   "  Checks SIP messages (one per file, '-' for standard input).\n"
                   "  --uas   also say what a UAS would answer to requests it must refuse\n");
}

} // namespace

int main(int argc, char** argv) {
    bool uas = false;
    std::vector<std::string> files;
    bool options_done = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (!options_done && a == "--uas")
            uas = true;
        else if (!options_done && (a == "--help" || a == "-h")) {
            usage(stdout);
            return 0;
        } else if (!options_done && a == "--")
            options_done = true;
        else if (!options_done && a.size() > 1 && a[0] == '-') {
            fmt::print(stderr, "sipcheck: unknown option {}\n", a);
            usage(stderr);
            return 2;
        } else
            files.push_back(a);
    }
    if (files.empty()) {
        usage(stderr);
        return 2;
    }
    int status = 0;
    for (const std::string& f : files) {
        std::string error;
        auto bytes = read_all(f, error);
        if (!bytes) {
            fmt::print("{}: error: cannot read: {}\n", f, error);
            status = 2;
            continue;
        }
        auto [line, ok] = check(*bytes, uas);
        fmt::print("{}: {}\n", f, line);
        if (!ok && status == 0) status = 1;
    }
    return status;
}
