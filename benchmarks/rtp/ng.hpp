#ifndef TANDEM_BENCHMARKS_RTP_NG_HPP
#define TANDEM_BENCHMARKS_RTP_NG_HPP

/// @file The subset of rtpengine's ng control protocol that bench_rtp uses, shared by its load
/// generator (the client) and by the two relays it drives (the servers): a datagram is
/// `<cookie> <bencoded dictionary>`, the reply `<same cookie> <bencoded dictionary>`. Plus the
/// two SDP helpers the benchmark needs (the connection address and the audio port). Plain C++,
/// no Tandem, no Asio.

#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bench_ng {

/// A decoded bencode value.
struct value {
    enum class kind { integer, string, list, dict };
    kind k = kind::string;
    long long i = 0;
    std::string s;
    std::vector<value> items;                         ///< list
    std::vector<std::pair<std::string, value>> pairs; ///< dict, in wire order

    const value* find(std::string_view key) const {
        for (const auto& [name, v] : pairs)
            if (name == key) return &v;
        return nullptr;
    }
    /// The string under `key` of a dictionary ("" when absent or not a string).
    std::string_view str(std::string_view key) const {
        const value* v = find(key);
        return v && v->k == kind::string ? std::string_view(v->s) : std::string_view();
    }
};

namespace detail {
inline bool decode(std::string_view& in, value& out, int depth) {
    if (in.empty() || depth > 16) return false;
    char c = in.front();
    if (c == 'i') {
        auto e = in.find('e');
        if (e == std::string_view::npos) return false;
        out.k = value::kind::integer;
        auto r = std::from_chars(in.data() + 1, in.data() + e, out.i);
        if (r.ec != std::errc() || r.ptr != in.data() + e) return false;
        in.remove_prefix(e + 1);
        return true;
    }
    if (c == 'l' || c == 'd') {
        in.remove_prefix(1);
        out.k = c == 'l' ? value::kind::list : value::kind::dict;
        while (!in.empty() && in.front() != 'e') {
            if (out.k == value::kind::list) {
                out.items.emplace_back();
                if (!decode(in, out.items.back(), depth + 1)) return false;
            } else {
                value key;
                if (!decode(in, key, depth + 1) || key.k != value::kind::string) return false;
                out.pairs.emplace_back(std::move(key.s), value{});
                if (!decode(in, out.pairs.back().second, depth + 1)) return false;
            }
        }
        if (in.empty()) return false;
        in.remove_prefix(1);
        return true;
    }
    auto colon = in.find(':');
    if (colon == std::string_view::npos) return false;
    std::size_t n = 0;
    auto r = std::from_chars(in.data(), in.data() + colon, n);
    if (r.ec != std::errc() || r.ptr != in.data() + colon || n > in.size() - colon - 1) return false;
    out.k = value::kind::string;
    out.s.assign(in.substr(colon + 1, n));
    in.remove_prefix(colon + 1 + n);
    return true;
}
} // namespace detail

/// Splits `<cookie> <bencoded dict>` and decodes the dictionary.
inline bool parse_message(std::string_view datagram, std::string& cookie, value& dict) {
    auto space = datagram.find(' ');
    if (space == std::string_view::npos) return false;
    cookie.assign(datagram.substr(0, space));
    std::string_view rest = datagram.substr(space + 1);
    dict = value{};
    return detail::decode(rest, dict, 0) && dict.k == value::kind::dict;
}

/// Writes a bencoded dictionary. Keys must be added in sorted (byte) order.
class dict_writer {
public:
    explicit dict_writer(std::string_view cookie) {
        out_.append(cookie);
        out_.append(" d");
    }
    dict_writer& str(std::string_view key, std::string_view v) {
        put(key);
        put(v);
        return *this;
    }
    dict_writer& num(std::string_view key, long long v) {
        put(key);
        out_ += 'i';
        out_ += std::to_string(v);
        out_ += 'e';
        return *this;
    }
    dict_writer& list(std::string_view key, std::initializer_list<std::string_view> vs) {
        put(key);
        out_ += 'l';
        for (auto v : vs) put(v);
        out_ += 'e';
        return *this;
    }
    std::string finish() {
        out_ += 'e';
        return std::move(out_);
    }

private:
    void put(std::string_view s) {
        out_ += std::to_string(s.size());
        out_ += ':';
        out_.append(s);
    }
    std::string out_;
};

/// The reply `{result: error, error-reason: why}`.
inline std::string error_reply(std::string_view cookie, std::string_view why) {
    return dict_writer(cookie).str("error-reason", why).str("result", "error").finish();
}

/// The value of the first SDP line starting with `prefix` ("c=IN IP4 ", "m=audio "), up to the
/// end of the line.
inline std::string_view sdp_line(std::string_view sdp, std::string_view prefix) {
    std::size_t pos = 0;
    while (pos < sdp.size()) {
        auto eol = sdp.find('\n', pos);
        if (eol == std::string_view::npos) eol = sdp.size();
        std::string_view line = sdp.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.substr(0, prefix.size()) == prefix) return line.substr(prefix.size());
        pos = eol + 1;
    }
    return {};
}

/// The IPv4 address and port an SDP's first audio stream receives on (session- or media-level
/// `c=`; the benchmark's SDPs have one of them).
struct media_address {
    std::string address;
    std::uint16_t port = 0;
};
inline std::optional<media_address> audio_address(std::string_view sdp) {
    media_address m;
    std::string_view m_line = sdp_line(sdp, "m=audio ");
    auto sp = m_line.find(' ');
    if (sp == std::string_view::npos) return std::nullopt;
    auto r = std::from_chars(m_line.data(), m_line.data() + sp, m.port);
    if (r.ec != std::errc() || m.port == 0) return std::nullopt;
    std::string_view c = sdp_line(sdp, "c=IN IP4 ");
    auto slash = c.find('/'); // multicast TTL
    if (slash != std::string_view::npos) c = c.substr(0, slash);
    if (c.empty()) return std::nullopt;
    m.address.assign(c);
    return m;
}

/// The SDP the benchmark's endpoints and the raw relay write: one PCMU stream.
inline std::string pcmu_sdp(std::string_view address, std::uint16_t port, unsigned long long session_id) {
    std::string s = "v=0\r\no=- ";
    s += std::to_string(session_id);
    s += " 1 IN IP4 ";
    s.append(address);
    s += "\r\ns=-\r\nc=IN IP4 ";
    s.append(address);
    s += "\r\nt=0 0\r\nm=audio ";
    s += std::to_string(port);
    s += " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n";
    return s;
}

} // namespace bench_ng

#endif
