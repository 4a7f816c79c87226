/// @file bench_parse.cpp
///
/// Parse throughput of Tandem against sofia-sip and osip2 on a corpus of whole SIP messages.
///
///     bench_parse [--quick] [--runs N] [--seconds S] [--verbose] [FILE|DIR]...
///
/// Each FILE holds one SIP message, byte for byte (CRLF line ends, body included); a DIR
/// stands for the `*.sip` files in it. Without arguments, the corpus directory named by the
/// compile definition `TANDEM_BENCH_CORPUS_DIR` is used.
///
/// For every parser, every message is parsed from its bytes and five values are read from
/// the result: top Via branch, From tag, To tag, Call-ID, CSeq number. Before any timing,
/// the program checks that all parsers accept every message and extract the same five
/// values; otherwise it prints what differs and exits with status 1.
///
/// Reported per parser: messages/s and MB/s (10^6 bytes of message text per second), each
/// the median over the runs, the relative spread of the runs, and heap allocations per
/// message. Heap allocations are counted by interposing malloc/calloc/realloc/free (and the
/// aligned variants) in this executable, forwarding to glibc's `__libc_*` functions; the
/// global `operator new`/`delete` are replaced to go through the same malloc/free. The
/// counter is switched on only inside the timed loop. See benchmarks/README.md.

#include <tandem/message/message.hpp>

// The peers' headers are not warning-clean (unused parameters in inline functions).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>

#include <osipparser2/osip_message.h>
#include <osipparser2/osip_parser.h>
#pragma GCC diagnostic pop

#include <fmt/core.h>

#include <malloc.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

// ---------------------------------------------------------------------------------------------
// Heap allocation counting
// ---------------------------------------------------------------------------------------------

extern "C" {
void* __libc_malloc(std::size_t) noexcept;
void* __libc_calloc(std::size_t, std::size_t) noexcept;
void* __libc_realloc(void*, std::size_t) noexcept;
void __libc_free(void*) noexcept;
void* __libc_memalign(std::size_t, std::size_t) noexcept;
}

namespace {

// The benchmark is single-threaded (none of the three parsers starts threads), so plain
// globals suffice; the flag keeps start-up, corpus loading and verification out of the count.
bool g_count_allocs = false;
std::uint64_t g_allocs = 0;

inline void note_alloc() noexcept {
    if (g_count_allocs) ++g_allocs;
}

} // namespace

// Every allocation of the process, including those made inside libsofia-sip-ua, libosip2,
// libstdc++ and glibc itself, resolves to these definitions (glibc supports replacing malloc
// this way). realloc counts as one allocation call whatever it does.
extern "C" {
void* malloc(std::size_t n) noexcept {
    note_alloc();
    return __libc_malloc(n);
}
void* calloc(std::size_t k, std::size_t n) noexcept {
    note_alloc();
    return __libc_calloc(k, n);
}
void* realloc(void* p, std::size_t n) noexcept {
    note_alloc();
    return __libc_realloc(p, n);
}
void free(void* p) noexcept { __libc_free(p); }
void* memalign(std::size_t align, std::size_t n) noexcept {
    note_alloc();
    return __libc_memalign(align, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) noexcept {
    note_alloc();
    return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) noexcept {
    if (align < sizeof(void*) || (align & (align - 1)) != 0) return EINVAL;
    note_alloc();
    void* p = __libc_memalign(align, n);
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
}
}

// operator new/delete go through malloc/free above, so each is counted exactly once.
namespace {
void* new_impl(std::size_t n) {
    if (n == 0) n = 1;
    if (void* p = std::malloc(n)) return p;
    throw std::bad_alloc();
}
void* new_aligned_impl(std::size_t n, std::align_val_t al) {
    if (n == 0) n = 1;
    if (void* p = memalign(static_cast<std::size_t>(al), n)) return p;
    throw std::bad_alloc();
}
} // namespace

void* operator new(std::size_t n) { return new_impl(n); }
void* operator new[](std::size_t n) { return new_impl(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return std::malloc(n ? n : 1); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return std::malloc(n ? n : 1); }
void* operator new(std::size_t n, std::align_val_t al) { return new_aligned_impl(n, al); }
void* operator new[](std::size_t n, std::align_val_t al) { return new_aligned_impl(n, al); }
void* operator new(std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
    return memalign(static_cast<std::size_t>(al), n ? n : 1);
}
void* operator new[](std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
    return memalign(static_cast<std::size_t>(al), n ? n : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

// ---------------------------------------------------------------------------------------------
// Common
// ---------------------------------------------------------------------------------------------

namespace {

/// Results are folded into this so that no parse or read can be optimised away.
volatile std::uint64_t g_sink = 0;

/// The five values every parser must extract identically.
struct fields {
    std::string branch;
    std::string from_tag;
    std::string to_tag;
    std::string call_id;
    std::uint32_t cseq = 0;

    bool operator==(const fields&) const = default;
};

/// What the timed loop reads from a value: its length and first byte. Forces the value to
/// be located (and, for NUL-terminated C strings, measured) without copying it.
inline std::uint64_t touch(std::string_view s) noexcept {
    return s.size() + (s.empty() ? 0u : static_cast<unsigned char>(s.front()));
}
inline std::uint64_t touch(const char* s) noexcept { return s == nullptr ? 0u : touch(std::string_view(s)); }

inline std::uint32_t to_u32(const char* s) noexcept {
    std::uint32_t v = 0;
    if (s != nullptr) std::from_chars(s, s + std::strlen(s), v);
    return v;
}

// ---------------------------------------------------------------------------------------------
// Parsers. Each has:
//   name                                     printed name
//   bool extract(bytes, fields&, why&)       untimed: parse and return the five values
//   std::uint64_t parse(bytes)               timed: parse, read the five values, fold them
// ---------------------------------------------------------------------------------------------

/// Tandem: one `message` object reused for every parse (its storage is kept by assign()).
/// `Full` = false is the receive path of a stack: framing, then the five fields parsed on
/// access (Tandem's typed views are lazy). `Full` = true also checks the grammar of every
/// header Tandem knows (what `sipcheck` and request validation do).
template <bool Full>
class tandem_parser {
public:
    static constexpr std::string_view name = Full ? "tandem-full" : "tandem";

    tandem_parser() { opts_.check_syntax = Full; }

    bool extract(std::string_view bytes, fields& f, std::string& why) {
        if (std::error_code ec = m_.assign(bytes, opts_)) {
            why = fmt::format("parse error: {}", ec.message());
            return false;
        }
        auto via = m_.top_via();
        if (!via) {
            why = fmt::format("no top Via: {}", via.error().message());
            return false;
        }
        auto from = m_.from();
        if (!from) {
            why = fmt::format("no From: {}", from.error().message());
            return false;
        }
        auto to = m_.to();
        if (!to) {
            why = fmt::format("no To: {}", to.error().message());
            return false;
        }
        auto cs = m_.cseq();
        if (!cs) {
            why = fmt::format("no CSeq: {}", cs.error().message());
            return false;
        }
        f.branch = std::string(via->branch());
        f.from_tag = std::string(from->tag());
        f.to_tag = std::string(to->tag());
        f.call_id = std::string(m_.call_id());
        f.cseq = cs->number;
        return true;
    }

    std::uint64_t parse(std::string_view bytes) {
        if (m_.assign(bytes, opts_)) return 1;
        std::uint64_t s = 0;
        if (auto via = m_.top_via()) s += touch(via->branch());
        if (auto from = m_.from()) s += touch(from->tag());
        if (auto to = m_.to()) s += touch(to->tag());
        s += touch(m_.call_id());
        if (auto cs = m_.cseq()) s += cs->number;
        return s;
    }

private:
    tandem::message::message m_;
    tandem::message::parse_options opts_;
};

/// sofia-sip: msg_make() with the default SIP parser class and no flags (headers refer into
/// the message buffer, as in a receiving nta agent), then the parsed sip_t, then msg_destroy().
class sofia_parser {
public:
    static constexpr std::string_view name = "sofia-sip";

    bool extract(std::string_view bytes, fields& f, std::string& why) {
        msg_t* msg = msg_make(sip_default_mclass(), 0, bytes.data(), static_cast<ssize_t>(bytes.size()));
        if (msg == nullptr) {
            why = "msg_make() returned NULL";
            return false;
        }
        bool ok = extract_from(msg, f, why);
        msg_destroy(msg);
        return ok;
    }

    std::uint64_t parse(std::string_view bytes) {
        msg_t* msg = msg_make(sip_default_mclass(), 0, bytes.data(), static_cast<ssize_t>(bytes.size()));
        if (msg == nullptr) return 1;
        std::uint64_t s = 0;
        if (sip_t const* sip = sip_object(msg)) {
            if (sip->sip_via) s += touch(sip->sip_via->v_branch);
            if (sip->sip_from) s += touch(sip->sip_from->a_tag);
            if (sip->sip_to) s += touch(sip->sip_to->a_tag);
            if (sip->sip_call_id) s += touch(sip->sip_call_id->i_id);
            if (sip->sip_cseq) s += sip->sip_cseq->cs_seq;
        }
        msg_destroy(msg);
        return s;
    }

private:
    static bool extract_from(msg_t* msg, fields& f, std::string& why) {
        sip_t const* sip = sip_object(msg);
        if (sip == nullptr) {
            why = "sip_object() returned NULL";
            return false;
        }
        if ((sip->sip_flags & MSG_FLG_ERROR) != 0) {
            why = "parse error (MSG_FLG_ERROR)";
            return false;
        }
        if (sip->sip_error != nullptr) {
            sip_error_t const* er = sip->sip_error;
            why = fmt::format("could not parse header \"{}\"", er->er_name != nullptr ? er->er_name : "?");
            return false;
        }
        if (sip->sip_via == nullptr) return why = "no Via", false;
        if (sip->sip_from == nullptr) return why = "no From", false;
        if (sip->sip_to == nullptr) return why = "no To", false;
        if (sip->sip_call_id == nullptr) return why = "no Call-ID", false;
        if (sip->sip_cseq == nullptr) return why = "no CSeq", false;
        auto str = [](const char* s) { return s != nullptr ? std::string(s) : std::string(); };
        f.branch = str(sip->sip_via->v_branch);
        f.from_tag = str(sip->sip_from->a_tag);
        f.to_tag = str(sip->sip_to->a_tag);
        f.call_id = str(sip->sip_call_id->i_id);
        f.cseq = sip->sip_cseq->cs_seq;
        return true;
    }
};

/// osip2: osip_message_init() + osip_message_parse() + osip_message_free() per message.
/// The Call-ID is stored split (number, host); the timed loop reads both parts.
class osip_parser {
public:
    static constexpr std::string_view name = "osip2";

    osip_parser() {
        if (!initialised_) {
            parser_init();
            initialised_ = true;
        }
    }

    bool extract(std::string_view bytes, fields& f, std::string& why) {
        osip_message_t* m = nullptr;
        if (osip_message_init(&m) != OSIP_SUCCESS) {
            why = "osip_message_init() failed";
            return false;
        }
        bool ok = extract_from(m, bytes, f, why);
        osip_message_free(m);
        return ok;
    }

    std::uint64_t parse(std::string_view bytes) {
        osip_message_t* m = nullptr;
        if (osip_message_init(&m) != OSIP_SUCCESS) return 1;
        std::uint64_t s = 0;
        if (osip_message_parse(m, bytes.data(), bytes.size()) == OSIP_SUCCESS) {
            osip_via_t* via = nullptr;
            osip_generic_param_t* p = nullptr;
            if (osip_message_get_via(m, 0, &via) >= 0 && via != nullptr &&
                osip_via_param_get_byname(via, branch_, &p) == OSIP_SUCCESS)
                s += touch(p->gvalue);
            if (m->from != nullptr &&
                osip_generic_param_get_byname(&m->from->gen_params, tag_, &p) == OSIP_SUCCESS)
                s += touch(p->gvalue);
            if (m->to != nullptr &&
                osip_generic_param_get_byname(&m->to->gen_params, tag_, &p) == OSIP_SUCCESS)
                s += touch(p->gvalue);
            if (m->call_id != nullptr) {
                s += touch(osip_call_id_get_number(m->call_id));
                s += touch(osip_call_id_get_host(m->call_id));
            }
            if (m->cseq != nullptr) s += to_u32(osip_cseq_get_number(m->cseq));
        }
        osip_message_free(m);
        return s;
    }

private:
    static bool extract_from(osip_message_t* m, std::string_view bytes, fields& f, std::string& why) {
        if (int rc = osip_message_parse(m, bytes.data(), bytes.size()); rc != OSIP_SUCCESS) {
            why = fmt::format("osip_message_parse() returned {}", rc);
            return false;
        }
        osip_via_t* via = nullptr;
        if (osip_message_get_via(m, 0, &via) < 0 || via == nullptr) return why = "no Via", false;
        if (m->from == nullptr) return why = "no From", false;
        if (m->to == nullptr) return why = "no To", false;
        if (m->call_id == nullptr) return why = "no Call-ID", false;
        if (m->cseq == nullptr) return why = "no CSeq", false;
        osip_generic_param_t* p = nullptr;
        auto value = [&](int rc) {
            return rc == OSIP_SUCCESS && p != nullptr && p->gvalue != nullptr ? std::string(p->gvalue)
                                                                              : std::string();
        };
        f.branch = value(osip_via_param_get_byname(via, branch_, &p));
        f.from_tag = value(osip_generic_param_get_byname(&m->from->gen_params, tag_, &p));
        f.to_tag = value(osip_generic_param_get_byname(&m->to->gen_params, tag_, &p));
        const char* number = osip_call_id_get_number(m->call_id);
        const char* host = osip_call_id_get_host(m->call_id);
        f.call_id = number != nullptr ? number : "";
        if (host != nullptr) f.call_id.append("@").append(host);
        const char* cseq = osip_cseq_get_number(m->cseq);
        std::uint32_t n = 0;
        if (cseq == nullptr || std::from_chars(cseq, cseq + std::strlen(cseq), n).ec != std::errc()) {
            return why = "bad CSeq number", false;
        }
        f.cseq = n;
        return true;
    }

    static inline bool initialised_ = false;
    // osip takes parameter names as non-const char* (osip_from_get_tag() & co. pass a string
    // literal, which C++ forbids).
    static inline char branch_[] = "branch";
    static inline char tag_[] = "tag";
};

// ---------------------------------------------------------------------------------------------
// Corpus, verification, timing
// ---------------------------------------------------------------------------------------------

struct sample {
    std::string path;
    std::string bytes;
};

struct corpus {
    std::vector<sample> messages;
    std::uint64_t total_bytes = 0;
};

bool read_file(const std::filesystem::path& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad();
}

/// Loads FILEs; a directory contributes its `*.sip` files in name order.
bool load_corpus(const std::vector<std::string>& args, corpus& c) {
    std::vector<std::filesystem::path> paths;
    for (const auto& a : args) {
        std::error_code ec;
        if (std::filesystem::is_directory(a, ec)) {
            std::vector<std::filesystem::path> found;
            for (const auto& e : std::filesystem::directory_iterator(a, ec))
                if (e.is_regular_file() && e.path().extension() == ".sip") found.push_back(e.path());
            if (ec) {
                fmt::print(stderr, "bench_parse: cannot list {}: {}\n", a, ec.message());
                return false;
            }
            std::sort(found.begin(), found.end());
            if (found.empty()) {
                fmt::print(stderr, "bench_parse: no *.sip files in {}\n", a);
                return false;
            }
            paths.insert(paths.end(), found.begin(), found.end());
        } else {
            paths.emplace_back(a);
        }
    }
    for (const auto& p : paths) {
        sample s{p.string(), {}};
        if (!read_file(p, s.bytes)) {
            fmt::print(stderr, "bench_parse: cannot read {}\n", s.path);
            return false;
        }
        if (s.bytes.empty()) {
            fmt::print(stderr, "bench_parse: {} is empty\n", s.path);
            return false;
        }
        c.total_bytes += s.bytes.size();
        c.messages.push_back(std::move(s));
    }
    return !c.messages.empty();
}

/// Extracts the five values of every message with every parser; all must succeed and agree.
template <class... Parsers>
bool verify(const corpus& c, bool verbose, Parsers&... parsers) {
    bool ok = true;
    for (const auto& s : c.messages) {
        constexpr std::size_t n = sizeof...(Parsers);
        fields got[n];
        bool parsed[n];
        std::string_view names[n] = {Parsers::name...};
        std::size_t i = 0;
        auto run = [&](auto& p) {
            std::string why;
            parsed[i] = p.extract(s.bytes, got[i], why);
            if (!parsed[i]) {
                fmt::print(stderr, "bench_parse: error: {} fails on {}: {}\n", p.name, s.path, why);
                ok = false;
            }
            ++i;
        };
        (run(parsers), ...);
        if (verbose && parsed[0]) {
            fmt::print("{}: branch={} from-tag={} to-tag={} call-id={} cseq={}\n", s.path, got[0].branch,
                       got[0].from_tag, got[0].to_tag, got[0].call_id, got[0].cseq);
        }
        for (std::size_t k = 1; k < n; ++k) {
            if (!parsed[0] || !parsed[k] || got[k] == got[0]) continue;
            ok = false;
            auto diff = [&](std::string_view field, const auto& a, const auto& b) {
                if (a == b) return;
                fmt::print(stderr,
                           "bench_parse: error: {} and {} disagree on {} of {}: \"{}\" vs "
                           "\"{}\"\n",
                           names[0], names[k], field, s.path, a, b);
            };
            diff("the top Via branch", got[0].branch, got[k].branch);
            diff("the From tag", got[0].from_tag, got[k].from_tag);
            diff("the To tag", got[0].to_tag, got[k].to_tag);
            diff("the Call-ID", got[0].call_id, got[k].call_id);
            diff("the CSeq number", got[0].cseq, got[k].cseq);
        }
    }
    return ok;
}

using bench_clock = std::chrono::steady_clock;

struct run_result {
    double msgs_per_s = 0;
    double mb_per_s = 0;
};

struct summary {
    std::string_view name;
    double msgs_per_s = 0; // median
    double mb_per_s = 0;   // median
    double spread = 0;     // (max - min) / median of msgs/s
    double allocs_per_msg = 0;
};

/// Parses the whole corpus over and over for at least `seconds`.
template <class Parser>
run_result timed_run(Parser& p, const corpus& c, double seconds, std::uint64_t& msgs_out) {
    const auto budget =
        std::chrono::duration_cast<bench_clock::duration>(std::chrono::duration<double>(seconds));
    std::uint64_t msgs = 0;
    std::uint64_t bytes = 0;
    std::uint64_t sum = 0;
    g_count_allocs = true;
    const auto start = bench_clock::now();
    const auto deadline = start + budget;
    auto now = start;
    do {
        for (const auto& s : c.messages) sum += p.parse(s.bytes);
        msgs += c.messages.size();
        bytes += c.total_bytes;
        now = bench_clock::now();
    } while (now < deadline);
    g_count_allocs = false;
    g_sink = g_sink + sum;
    const double elapsed = std::chrono::duration<double>(now - start).count();
    msgs_out += msgs;
    return {static_cast<double>(msgs) / elapsed, static_cast<double>(bytes) / elapsed / 1e6};
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

template <class Parser>
summary measure(Parser& p, const corpus& c, int runs, double seconds) {
    std::uint64_t ignored = 0;
    timed_run(p, c, seconds / 3, ignored); // warm-up: caches, branch predictors, pools
    std::vector<double> mps;
    std::vector<double> mbps;
    std::uint64_t msgs = 0;
    g_allocs = 0;
    for (int r = 0; r < runs; ++r) {
        run_result rr = timed_run(p, c, seconds, msgs);
        mps.push_back(rr.msgs_per_s);
        mbps.push_back(rr.mb_per_s);
    }
    summary s;
    s.name = Parser::name;
    s.msgs_per_s = median(mps);
    s.mb_per_s = median(mbps);
    const auto [lo, hi] = std::minmax_element(mps.begin(), mps.end());
    s.spread = s.msgs_per_s > 0 ? (*hi - *lo) / s.msgs_per_s : 0;
    s.allocs_per_msg = static_cast<double>(g_allocs) / static_cast<double>(msgs);
    return s;
}

void usage(std::FILE* out) {
    fmt::print(out, "usage: bench_parse [--quick] [--runs N] [--seconds S] [--verbose] "
                    "[FILE|DIR]...\n"
                    "  Parses each SIP message (one per FILE; a DIR means its *.sip files) with\n"
                    "  Tandem, sofia-sip and osip2 and reports messages/s, MB/s and heap\n"
                    "  allocations per message.\n"
                    "  --quick      3 runs of 0.05 s each (CI smoke test)\n"
                    "  --runs N     number of timed runs per parser, median reported (default 7)\n"
                    "  --seconds S  duration of each run in seconds (default 0.3)\n"
                    "  --verbose    print the values extracted from every message\n");
#ifdef TANDEM_BENCH_CORPUS_DIR
    fmt::print(out, "  Without FILE, the corpus in {} is used.\n", TANDEM_BENCH_CORPUS_DIR);
#endif
}

} // namespace

int main(int argc, char** argv) {
    int runs = 7;
    double seconds = 0.3;
    bool verbose = false;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto next = [&]() -> const char* {
            if (i + 1 >= argc) {
                fmt::print(stderr, "bench_parse: {} needs a value\n", a);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--quick") {
            runs = 3;
            seconds = 0.05;
        } else if (a == "--runs") {
            const char* v = next();
            char* end = nullptr;
            long n = std::strtol(v, &end, 10);
            if (*v == '\0' || *end != '\0' || n < 1 || n > 1000) {
                fmt::print(stderr, "bench_parse: bad --runs value \"{}\"\n", v);
                return 2;
            }
            runs = static_cast<int>(n);
        } else if (a == "--seconds") {
            const char* v = next();
            char* end = nullptr;
            double d = std::strtod(v, &end);
            if (*v == '\0' || *end != '\0' || !(d > 0) || d > 3600) {
                fmt::print(stderr, "bench_parse: bad --seconds value \"{}\"\n", v);
                return 2;
            }
            seconds = d;
        } else if (a == "--verbose" || a == "-v") {
            verbose = true;
        } else if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else if (a == "--") {
            for (++i; i < argc; ++i) files.emplace_back(argv[i]);
        } else if (a.starts_with("-")) {
            fmt::print(stderr, "bench_parse: unknown option {}\n", a);
            usage(stderr);
            return 2;
        } else {
            files.emplace_back(a);
        }
    }
    if (files.empty()) {
#ifdef TANDEM_BENCH_CORPUS_DIR
        files.emplace_back(TANDEM_BENCH_CORPUS_DIR);
#else
        fmt::print(stderr, "bench_parse: no FILE given and no TANDEM_BENCH_CORPUS_DIR built in\n");
        usage(stderr);
        return 2;
#endif
    }

    corpus c;
    if (!load_corpus(files, c)) return 1;

    tandem_parser<false> tandem;
    tandem_parser<true> tandem_full;
    sofia_parser sofia;
    osip_parser osip;
    if (!verify(c, verbose, tandem, tandem_full, sofia, osip)) {
        fmt::print(stderr, "bench_parse: verification failed, no timing done\n");
        return 1;
    }

    fmt::print("corpus: {} messages, {} bytes (mean {:.0f} B/message); {} runs of {:.2f} s, "
               "median reported\n",
               c.messages.size(), c.total_bytes,
               static_cast<double>(c.total_bytes) / static_cast<double>(c.messages.size()), runs, seconds);
    fmt::print("all parsers agree on Via branch, From/To tags, Call-ID and CSeq of every "
               "message\n\n");

    const summary results[] = {
        measure(tandem, c, runs, seconds),
        measure(tandem_full, c, runs, seconds),
        measure(sofia, c, runs, seconds),
        measure(osip, c, runs, seconds),
    };

    fmt::print("{:<12} {:>12} {:>9} {:>8} {:>11}\n", "parser", "messages/s", "MB/s", "spread", "allocs/msg");
    for (const auto& r : results) {
        fmt::print("{:<12} {:>12.0f} {:>9.1f} {:>7.1f}% {:>11.2f}\n", r.name, r.msgs_per_s, r.mb_per_s,
                   r.spread * 100, r.allocs_per_msg);
    }
    fmt::print("\n");
    for (std::size_t t = 0; t < 2; ++t) {
        for (std::size_t k = 2; k < std::size(results); ++k) {
            fmt::print("ratio {}/{}: {:.1f}x\n", results[t].name, results[k].name,
                       results[t].msgs_per_s / results[k].msgs_per_s);
        }
    }
    return 0;
}
