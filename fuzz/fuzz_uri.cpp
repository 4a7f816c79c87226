// libFuzzer target for tandem::message::parse_uri / equivalent / unescape.
//
// Build and run (see STYLE.md 3.1):
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize=function
//       -I include fuzz/fuzz_uri.cpp -o fuzz_uri
//   ./fuzz_uri -dict=fuzz/sip.dict fuzz/corpus/uri
//
// Besides crashes and sanitizer reports, it traps on broken invariants: an exception, a view
// outside the input, a URI accepted as a Request-URI but not in general, an unescapable
// component, a URI not equivalent to itself, or an asymmetric `equivalent`.

#include <tandem/message/uri.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using tandem::message::uri;

bool inside(std::string_view part, std::string_view whole) {
    if (part.empty()) return true;
    auto b = reinterpret_cast<std::uintptr_t>(whole.data());
    auto p = reinterpret_cast<std::uintptr_t>(part.data());
    return p >= b && p + part.size() <= b + whole.size();
}

void check(bool ok) {
    if (!ok) __builtin_trap();
}

// Invariants of one successfully parsed URI.
void check_uri(const uri& u, std::string_view in) {
    using tandem::message::uri_scheme;
    check(u.text == in);
    check(inside(u.scheme_text, in) && inside(u.user, in) && inside(u.password, in) && inside(u.host, in) &&
          inside(u.params.text(), in) && inside(u.headers, in) && inside(u.opaque, in));
    // Every escape was validated by the parser, so unescaping cannot fail.
    char buf[512];
    for (std::string_view part : {u.user, u.password, u.headers}) {
        if (part.size() <= sizeof buf) check(tandem::message::unescape(part, buf) >= 0);
    }
    for (const auto& p : u.params) {
        check(inside(p.name, in) && inside(p.value, in) && !p.name.empty());
        if (p.value.size() <= sizeof buf) check(tandem::message::unescape(p.value, buf) >= 0);
    }
    (void)u.transport();
    (void)u.lr();
    (void)u.maddr();
    check(equivalent(u, u)); // reflexive for every scheme (the brief asks it of sip/sips)
    if (u.is_sip()) check(!u.host.empty());
    if (u.scheme == uri_scheme::tel) check(u.has_user && !u.user.empty());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        using namespace tandem::message;
        const std::string_view in(reinterpret_cast<const char*>(data), size);

        auto a = parse_uri(in);
        auto b = parse_uri(in, uri_options{.allow_headers = false});
        if (b) check(a.has_value()); // the Request-URI form is stricter, never looser
        if (a) check_uri(*a, in);
        if (b) check_uri(*b, in);
        if (a && b) check(equivalent(*a, *b) == equivalent(*b, *a));

        // Two URIs in one input, split at the first newline (or in the middle): compare them.
        std::size_t cut = in.find('\n');
        std::string_view first = cut == std::string_view::npos ? in.substr(0, size / 2) : in.substr(0, cut);
        std::string_view second = cut == std::string_view::npos ? in.substr(size / 2) : in.substr(cut + 1);
        auto x = parse_uri(first);
        auto y = parse_uri(second);
        if (x && y) {
            check_uri(*x, first);
            check_uri(*y, second);
            check(equivalent(*x, *y) == equivalent(*y, *x));
        }
    } catch (...) {
        __builtin_trap();
    }
    return 0;
}
