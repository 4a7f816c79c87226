// Conformance through the library: the verdicts of conformance/messages/*/NAME.expect and
// conformance/expected/shared.tsv, computed the way sipcheck computes them.
//
//   plain: message::parse(bytes) succeeds -> "ok request METHOD" / "ok response CODE",
//          fails -> "invalid".
//   uas:   responses as plain. Requests: parse with check_syntax = false (and no size limit,
//          so that an oversized message can still get its 513): failure -> "invalid"; no
//          usable top Via -> "invalid" (nowhere to send a response); else validate_request()
//          -> "respond CODE", or "ok request METHOD".
//
// Folders: TANDEM_SOURCE_DIR (the repository; default: walk up from the current directory to
// the first one holding conformance/messages) and TANDEM_SHARED_CONFORMANCE (default
// <repo>/../shared/conformance; when absent its cases are skipped with a warning).

#include <tandem/message/message.hpp>
#include <tandem/message/validate.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;
namespace tm_ = tandem::message;

namespace {

std::string read_binary(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::optional<fs::path> source_dir() {
    if (const char* e = std::getenv("TANDEM_SOURCE_DIR"); e != nullptr && *e != '\0') return fs::path(e);
    std::error_code ec;
    fs::path d = fs::current_path(ec);
    if (ec) return std::nullopt;
    while (true) {
        if (fs::is_directory(d / "conformance" / "messages", ec)) return d;
        fs::path up = d.parent_path();
        if (up.empty() || up == d) return std::nullopt;
        d = up;
    }
}

fs::path shared_dir(const fs::path& repo) {
    if (const char* e = std::getenv("TANDEM_SHARED_CONFORMANCE"); e != nullptr && *e != '\0')
        return fs::path(e);
    return repo / ".." / "shared" / "conformance";
}

std::string ok_verdict(const tm_::message& m) {
    if (m.is_request()) return "ok request " + std::string(m.method_text());
    return "ok response " + std::to_string(m.status());
}

std::string plain_verdict(std::string_view bytes) {
    auto r = tm_::message::parse(bytes);
    if (!r) return "invalid";
    return ok_verdict(*r);
}

std::string uas_verdict(std::string_view bytes) {
    tm_::parse_options relaxed;
    relaxed.check_syntax = false;
    relaxed.max_message_size = std::numeric_limits<std::size_t>::max();
    auto r = tm_::message::parse(bytes, relaxed);
    if (!r) return "invalid";
    if (!r->is_request()) return plain_verdict(bytes);
    if (!tm_::can_respond(*r)) return "invalid"; // nowhere to send a response
    if (auto rej = tm_::validate_request(*r)) return "respond " + std::to_string(rej->status);
    return ok_verdict(*r);
}

/// The comparable form of an expectation: "invalid", "respond N" (reason dropped) or the whole
/// "ok ..." text.
std::string normalise(std::string_view v) {
    while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.remove_suffix(1);
    if (v.substr(0, 7) == "invalid") return "invalid";
    if (v.substr(0, 8) == "respond ") {
        std::string_view rest = v.substr(8);
        return "respond " + std::string(rest.substr(0, rest.find(' ')));
    }
    return std::string(v);
}

struct expectation {
    std::string name; // for messages: path relative to the folder read
    fs::path file;
    std::string plain;
    std::string uas;
};

std::vector<expectation> own_cases(const fs::path& messages) {
    std::vector<expectation> out;
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(messages, ec)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".sip") continue;
        expectation e;
        e.file = entry.path();
        e.name = fs::relative(entry.path(), messages).generic_string();
        fs::path sidecar = entry.path();
        sidecar.replace_extension(".expect");
        std::istringstream in(read_binary(sidecar));
        for (std::string line; std::getline(in, line);) {
            if (line.rfind("plain: ", 0) == 0) e.plain = normalise(std::string_view(line).substr(7));
            if (line.rfind("uas: ", 0) == 0) e.uas = normalise(std::string_view(line).substr(5));
        }
        out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(),
              [](const expectation& a, const expectation& b) { return a.name < b.name; });
    return out;
}

std::vector<expectation> shared_cases(const fs::path& table, const fs::path& shared) {
    std::vector<expectation> out;
    std::istringstream in(read_binary(table));
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#' || line.rfind("path\t", 0) == 0) continue;
        auto t1 = line.find('\t');
        auto t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
        expectation e;
        if (t2 == std::string::npos) {
            e.name = line; // malformed row: reported by the test through the empty expectations
        } else {
            e.name = line.substr(0, t1);
            e.plain = normalise(std::string_view(line).substr(t1 + 1, t2 - t1 - 1));
            e.uas = normalise(std::string_view(line).substr(t2 + 1));
        }
        e.file = shared / e.name;
        out.push_back(std::move(e));
    }
    return out;
}

void check_cases(const std::vector<expectation>& cases) {
    for (const expectation& c : cases) {
        INFO("message: " << c.name);
        REQUIRE_FALSE(c.plain.empty());
        REQUIRE_FALSE(c.uas.empty());
        REQUIRE(fs::is_regular_file(c.file));
        const std::string bytes = read_binary(c.file);
        CHECK(plain_verdict(bytes) == c.plain);
        CHECK(uas_verdict(bytes) == c.uas);
    }
}

} // namespace

TEST_CASE("own torture messages give their expected verdicts", "[message][conformance]") {
    auto repo = source_dir();
    REQUIRE(repo.has_value());
    const fs::path messages = *repo / "conformance" / "messages";
    auto cases = own_cases(messages);
    INFO("folder: " << messages.string());
    REQUIRE(cases.size() >= 60);
    check_cases(cases);
}

TEST_CASE("RFC 4475 and RFC 5118 torture messages give their expected verdicts", "[message][conformance]") {
    auto repo = source_dir();
    REQUIRE(repo.has_value());
    const fs::path shared = shared_dir(*repo);
    std::error_code ec;
    if (!fs::is_directory(shared / "rfc4475", ec) || !fs::is_directory(shared / "rfc5118", ec)) {
        WARN("shared conformance folder " << shared.string() << " absent: RFC 4475 / RFC 5118 cases skipped");
        SUCCEED("skipped");
        return;
    }
    const fs::path table = *repo / "conformance" / "expected" / "shared.tsv";
    REQUIRE(fs::is_regular_file(table));
    auto cases = shared_cases(table, shared);
    REQUIRE(cases.size() >= 60);
    check_cases(cases);
}
