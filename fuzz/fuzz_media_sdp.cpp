// libFuzzer target: bytes as the SDP offers and answers of one relayed call (bodies separated
// by a line "--", each prefixed with the leg it comes from). Whatever the relay accepts must
// come out as SDP that parses, shows only our addresses, and keeps its ports; ports are
// bounded by m= lines, and every one comes back when the call ends. Half the inputs run with
// the trenscrypter's crypto_session rewriting too: then no key of one leg may reach the other.

#include <tandem/media/crypto_session.hpp>
#include <tandem/media/relay_session.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace media = tandem::media;
namespace sdp = tandem::sdp;

namespace {

struct ports final : media::port_source {
    std::uint16_t next = 30000;
    std::map<std::pair<std::size_t, std::size_t>, std::uint16_t> held;
    std::optional<std::uint16_t> acquire(std::size_t stream, std::size_t side, bool) override {
        if (held.size() >= 256 || held.count({stream, side})) std::abort(); // one pair per (line, leg)
        next = static_cast<std::uint16_t>(next + 2);
        held[{stream, side}] = next;
        return next;
    }
    void release(std::size_t stream, std::size_t side) noexcept override {
        if (!held.erase({stream, side})) std::abort(); // released twice
    }
};

const media::relay_addresses ours{"203.0.113.5", "2001:db8::5"};

// `input`: set when the trenscrypter's rewriting is on (without it, SDES crosses as it is).
void check(const tandem::result<std::string>& out, const ports& p, std::size_t to, std::string_view input) {
    if (!out) return;
    auto sd = sdp::parse(*out);
    if (!sd) std::abort(); // what we write, we must read
    for (const auto& m : sd->media)
        for (const auto& a : m.attributes)
            if (!input.empty() && a.name == "crypto" && a.value) {
                // our own key, never one from the input (keys do not cross legs)
                auto c = tandem::srtp::parse_crypto(*a.value);
                if (!c) std::abort();
                std::string key = tandem::srtp::base64_encode(c->keys.at(0).key_salt);
                if (input.find(key.substr(0, 20)) != std::string_view::npos) std::abort();
            }
    if (!sd->connection || (sd->connection->address != ours.ipv4 && sd->connection->address != ours.ipv6))
        std::abort();
    for (std::size_t i = 0; i < sd->media.size(); ++i) {
        const auto& m = sd->media[i];
        if (!m.connections.empty()) std::abort();
        if (m.port == 0) continue;
        auto it = p.held.find({i, to});
        if (it == p.held.end() || it->second != m.port) std::abort(); // the port facing that leg
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    ports p;
    {
        std::array<std::optional<bool>, 2> family{};
        if (size & 1) family[1] = (size & 2) != 0; // the policy's choice for leg B, or none
        media::relay_session s(p, ours, family, {7, 11});
        static const auto cert = std::make_shared<const tandem::srtp::certificate>(
            std::move(*tandem::srtp::certificate::generate()));
        std::optional<media::crypto_session> crypto;
        if (size & 4) {
            std::optional<media::encryption_choice> b;
            if (size & 8) b = media::encryption_choice{static_cast<media::encryption>((size >> 4) % 3), {}};
            crypto.emplace(cert, b);
            s.rewrite_with(&*crypto);
        }
        std::string_view whole = in;
        bool offer = true;
        while (!in.empty()) {
            std::size_t cut = in.find("\n--\n");
            std::string_view body = in.substr(0, cut);
            in = cut == std::string_view::npos ? std::string_view{} : in.substr(cut + 4);
            if (body.empty()) continue;
            std::size_t from = (body[0] & 1) ? 1 : 0;
            body.remove_prefix(1);
            auto out = offer ? s.offer(from, body) : s.answer(from, body);
            check(out, p, 1 - from, crypto ? whole : std::string_view{});
            if (out) offer = !offer;
        }
        s.release_all();
    }
    if (!p.held.empty()) std::abort(); // a port never released
    return 0;
}
