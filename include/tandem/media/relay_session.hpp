#ifndef TANDEM_MEDIA_RELAY_SESSION_HPP
#define TANDEM_MEDIA_RELAY_SESSION_HPP

/// @file The sans-I/O half of a media relay (RFC 7092 3.2.2): one call's streams, the SDP each
/// leg gets (our addresses and ports in place of the other phone's), and whom each port
/// accepts packets from (`latch`). `rtp_relay` adds the sockets.

#include <tandem/media/error.hpp>
#include <tandem/result.hpp>
#include <tandem/sdp/session_description.hpp>

#include <asio/ip/udp.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <bitset>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::media {

using udp_endpoint = asio::ip::udp::endpoint;

/// Same address and port (on the forwarding path: no `ip::address` built per comparison).
inline bool same(const udp_endpoint& a, const udp_endpoint& b) noexcept {
    const sockaddr* x = a.data();
    const sockaddr* y = b.data();
    if (x->sa_family != y->sa_family) return false;
    if (x->sa_family == AF_INET) {
        const auto* p = reinterpret_cast<const sockaddr_in*>(x);
        const auto* q = reinterpret_cast<const sockaddr_in*>(y);
        return p->sin_port == q->sin_port && p->sin_addr.s_addr == q->sin_addr.s_addr;
    }
    return a == b;
}
/// No port, or the unspecified address: nowhere to send to.
inline bool nowhere(const udp_endpoint& e) noexcept {
    const sockaddr* x = e.data();
    if (x->sa_family == AF_INET) {
        const auto* p = reinterpret_cast<const sockaddr_in*>(x);
        return p->sin_port == 0 || p->sin_addr.s_addr == 0;
    }
    return e.port() == 0 || e.address().is_unspecified();
}
/// Same address, any port.
inline bool same_address(const udp_endpoint& a, const udp_endpoint& b) noexcept {
    const sockaddr* x = a.data();
    const sockaddr* y = b.data();
    if (x->sa_family != y->sa_family) return false;
    if (x->sa_family == AF_INET)
        return reinterpret_cast<const sockaddr_in*>(x)->sin_addr.s_addr ==
               reinterpret_cast<const sockaddr_in*>(y)->sin_addr.s_addr;
    return a.address() == b.address();
}

/**
 * Whom one of our ports accepts packets from (symmetric RTP with safe latching): the source
 * is learned only from packets that are media of the call (`valid`: a negotiated payload
 * type), preferring the address the SDP gave, and locked after `lock_after` packets (at once
 * when it is the SDP's address and port); from then on every other source is refused, so a
 * third party can neither inject (RTP bleed) nor take the stream over. `reopen` starts
 * learning again after each offer/answer, keeping the current source until a better one comes.
 */
class latch {
public:
    /// Whether a packet from `from` is accepted (and may teach us the source).
    bool accept(const udp_endpoint& from, bool valid, int lock_after) noexcept {
        if (locked_) return same(from, source_);
        if (known_ && same(from, source_)) {
            if (valid && ++count_ >= lock_after) locked_ = true;
            return true;
        }
        if (!valid) return false;
        if (same(from, expected_)) {
            source_ = from;
            known_ = locked_ = true;
            return true;
        }
        // a first candidate, or one from the SDP's address replacing one from elsewhere
        bool better =
            known_ && from.address() == expected_.address() && source_.address() != expected_.address();
        if (!known_ || better) {
            source_ = from;
            known_ = true;
            count_ = 1;
            if (count_ >= lock_after) locked_ = true;
            return true;
        }
        return false;
    }
    /// A new offer or answer: learn again, expecting `expected` (unspecified: anyone valid).
    void reopen(const udp_endpoint& expected) noexcept {
        expected_ = expected;
        locked_ = false;
        count_ = 0;
    }
    /// Where packets for this phone go: its learned source, else what its SDP said.
    const udp_endpoint& destination() const noexcept { return known_ ? source_ : expected_; }
    bool learned() const noexcept { return known_; }
    bool locked() const noexcept { return locked_; }
    const udp_endpoint& source() const noexcept { return source_; }
    const udp_endpoint& expected() const noexcept { return expected_; }

private:
    udp_endpoint expected_;
    udp_endpoint source_;
    int count_ = 0;
    bool known_ = false;
    bool locked_ = false;
};

/// One leg's side of one m= line: our port facing that leg's phone and what we know of it.
struct leg_media {
    std::uint16_t port = 0;   ///< our RTP port facing this phone (RTCP: port + 1); 0 = none
    bool ipv6 = false;        ///< the address family we speak to this phone in
    udp_endpoint rtp_to;      ///< where its SDP says it receives RTP (address unspecified: nowhere)
    udp_endpoint rtcp_to;     ///< and RTCP (a=rtcp, else RTP port + 1)
    bool offered_mux = false; ///< its last offer asked for rtcp-mux
    bool mux = false;         ///< rtcp-mux is in force on this leg (RFC 5761)
    sdp::direction dir = sdp::direction::sendrecv;
    latch rtp;  ///< whom our RTP port accepts
    latch rtcp; ///< whom our RTCP port accepts
};

/// One m= line of the call, both legs.
struct stream {
    std::array<leg_media, 2> legs;  ///< [0] facing leg A's phone, [1] facing leg B's
    std::bitset<128> payload_types; ///< negotiated: valid media for latching
    std::uint32_t clock_rate = 8000;
    bool answered = false; ///< an answer set it up (both ports, both destinations)

    /// Held (RFC 3264 8.4): a phone that does not send or does not want to receive.
    bool on_hold() const noexcept {
        for (const auto& l : legs)
            if (l.dir != sdp::direction::sendrecv || l.rtp_to.address().is_unspecified()) return true;
        return false;
    }
};

/// Where a relay session gets its ports from (`rtp_relay` binds sockets; tests count).
class port_source {
public:
    /// An RTP port (RTCP one above) facing leg `side` (0 = A, 1 = B) for m= line `stream`.
    virtual std::optional<std::uint16_t> acquire(std::size_t stream, std::size_t side, bool ipv6) = 0;
    /// That port pair is no longer needed.
    virtual void release(std::size_t stream, std::size_t side) noexcept = 0;

protected:
    ~port_source() = default;
};

/// What else an offer or answer becomes per m= line (`crypto_session`: the encryption each leg
/// speaks). Called for every m= line before the relay writes its own part (port, c=, RTCP).
class sdp_rewriter {
public:
    /// An offer from leg `from` for m= line `i` (`sd` as the phone wrote it): learn it, and
    /// rewrite `m` for the other leg. An error refuses the offer.
    virtual result<void> offer(std::size_t from, std::size_t i, const sdp::session_description& sd,
                               sdp::media_description& m) = 0;
    /// The answer from leg `from`, the same way.
    virtual result<void> answer(std::size_t from, std::size_t i, const sdp::session_description& sd,
                                sdp::media_description& m) = 0;
    /// The session-level lines of `sd` that must not cross.
    virtual void session(sdp::session_description& sd) = 0;

protected:
    ~sdp_rewriter() = default;
};

/// The addresses we write into SDP (and bind): one per family, "" when that family is not served.
struct relay_addresses {
    std::string ipv4 = "127.0.0.1";
    std::string ipv6;
};

/**
 * One call's media as a relay sees it, without sockets. Each offer and answer that crosses is
 * rewritten for the leg it goes to:
 *
 * - `c=` (session level) is our address in the family that leg speaks (the family of its
 *   phone's address; for a leg not heard yet, `family[leg]` if set, else the family of the
 *   other leg's phone), media-level `c=` removed;
 * - each `m=` port is our port facing that leg, kept for the m= line's life, re-INVITEs
 *   included; a port-0 line keeps its place (RFC 3264 8.2) and frees its ports; a line added
 *   later (video) gets ports at that offer;
 * - `a=rtcp` is our RTCP port; `a=rtcp-mux` is offered to a leg when the offerer offered it
 *   and accepted per leg, so one leg may mux while the other does not (we demultiplex);
 * - ICE attributes and candidates are removed (we are the only address either phone sees);
 * - old-style hold (c=0.0.0.0) becomes a direction (sendonly/inactive): our address is never
 *   0.0.0.0, so the ports stay;
 * - `o=` is ours per leg: its version goes up whenever what that leg gets changes (RFC 3264 8).
 *
 * Direction attributes and every other line cross as they are.
 */
class relay_session {
public:
    /// `family`: per leg, IPv6 (true) or IPv4 (false) for its phone until its own SDP says;
    /// unset: the family of the other leg's phone. `session_ids`: the o= sess-id of each leg
    /// (unrelated numbers, so that the two legs cannot be linked by them).
    relay_session(port_source& ports, const relay_addresses& addrs, std::array<std::optional<bool>, 2> family,
                  std::array<std::uint64_t, 2> session_ids)
        : ports_(ports), addrs_(addrs), family_(family), session_ids_(session_ids) {}
    relay_session(const relay_session&) = delete;
    /// Also rewrites every offer and answer with `r` (which must outlive this session).
    void rewrite_with(sdp_rewriter* r) noexcept { rewriter_ = r; }
    relay_session& operator=(const relay_session&) = delete;

    /// An offer from leg `from` (0 = A, 1 = B), rewritten for the other leg.
    result<std::string> offer(std::size_t from, std::string_view text) {
        auto sd = sdp::parse(text);
        if (!sd) return sd.error();
        std::size_t to = 1 - from;
        if (sd->media.size() < streams_.size()) return media_errc::media_removed;
        if (sd->media.size() > streams_.size()) streams_.resize(sd->media.size());
        for (std::size_t i = 0; i < sd->media.size(); ++i) {
            auto& m = sd->media[i];
            stream& st = streams_[i];
            leg_media& x = st.legs[from];
            if (rewriter_)
                if (auto r = rewriter_->offer(from, i, *sd, m); !r) return r.error();
            if (m.port == 0) {
                free(i);
                write_line(m, st.legs[to], false, false);
                continue;
            }
            if (auto r = learn(*sd, m, x); !r) return r.error();
            x.offered_mux = sdp::find_attribute(m.attributes, "rtcp-mux") != nullptr;
            if (!ensure(i, from, x.ipv6) || !ensure(i, to, family_of(to))) return media_errc::no_ports;
            if (!st.answered) st.payload_types.reset();
            add_formats(st, m);
            x.rtp.reopen(x.rtp_to);
            x.rtcp.reopen(x.rtcp_to);
            old_hold(*sd, m, x);
            write_line(m, st.legs[to], x.offered_mux, false);
        }
        offer_from_ = from;
        return write(*sd, to);
    }

    /// The answer from leg `from` to the other leg's offer, rewritten for the offerer. The same
    /// offer may be answered more than once (early media in a 183, then the 200; forks).
    result<std::string> answer(std::size_t from, std::string_view text) {
        auto sd = sdp::parse(text);
        if (!sd) return sd.error();
        std::size_t to = 1 - from;
        if (offer_from_ != to) return media_errc::no_offer;
        if (sd->media.size() != streams_.size()) return media_errc::answer_mismatch;
        for (std::size_t i = 0; i < sd->media.size(); ++i) {
            auto& m = sd->media[i];
            stream& st = streams_[i];
            leg_media& y = st.legs[from];
            leg_media& x = st.legs[to];
            if (m.port == 0 || !x.port || !y.port) {
                // declined (or accepted where the offer had port 0: declined all the same)
                free(i);
                m.port = 0;
                if (rewriter_)
                    if (auto r = rewriter_->answer(from, i, *sd, m); !r) return r.error();
                write_line(m, x, false, true);
                continue;
            }
            bool ipv6 = y.ipv6;
            if (auto r = learn(*sd, m, y); !r) return r.error();
            if (rewriter_)
                if (auto r = rewriter_->answer(from, i, *sd, m); !r) return r.error();
            if (y.ipv6 != ipv6) return media_errc::unsupported_address; // it cannot reach our port
            y.mux = x.offered_mux && sdp::find_attribute(m.attributes, "rtcp-mux") != nullptr;
            x.mux = x.offered_mux;
            add_formats(st, m);
            st.answered = true;
            for (leg_media* l : {&x, &y}) {
                l->rtp.reopen(l->rtp_to);
                l->rtcp.reopen(l->rtcp_to);
            }
            old_hold(*sd, m, y);
            write_line(m, x, x.mux, true);
        }
        // the offer stays the one answered: a 183 and its 200, or several forks, answer it
        // again, each answer replacing what the last said
        return write(*sd, to);
    }

    /// Frees every port.
    void release_all() noexcept {
        for (std::size_t i = 0; i < streams_.size(); ++i) free(i);
    }

    std::vector<stream>& streams() noexcept { return streams_; }
    const std::vector<stream>& streams() const noexcept { return streams_; }

private:
    // The family leg `leg`'s phone is spoken to in: that of our ports facing it, else the one
    // set for it, else that of the other leg's phone, else IPv4 when served.
    bool family_of(std::size_t leg) const noexcept {
        for (const auto& st : streams_)
            if (st.legs[leg].port) return st.legs[leg].ipv6;
        if (family_[leg]) return *family_[leg];
        for (const auto& st : streams_)
            if (st.legs[1 - leg].port) return st.legs[1 - leg].ipv6;
        return addrs_.ipv4.empty();
    }

    bool ensure(std::size_t i, std::size_t leg, bool ipv6) {
        leg_media& l = streams_[i].legs[leg];
        if (l.port && l.ipv6 == ipv6) return true;
        if (l.port) ports_.release(i, leg);
        l.port = 0;
        auto p = ports_.acquire(i, leg, ipv6);
        if (!p) return false;
        l.port = *p;
        l.ipv6 = ipv6;
        return true;
    }

    void free(std::size_t i) noexcept {
        stream& st = streams_[i];
        for (std::size_t leg = 0; leg < 2; ++leg)
            if (st.legs[leg].port) ports_.release(i, leg);
        st = stream{};
    }

    // What a phone's SDP says of m= line `m`: where it receives, in which family.
    result<void> learn(const sdp::session_description& sd, const sdp::media_description& m, leg_media& l) {
        const sdp::connection* c = sd.media_connection(m);
        if (!c || c->nettype != "IN" || (c->addrtype != "IP4" && c->addrtype != "IP6"))
            return media_errc::unsupported_address;
        std::error_code ec;
        auto addr = asio::ip::make_address(c->address, ec);
        bool ipv6 = c->addrtype == "IP6";
        if (ec || addr.is_v6() != ipv6) return media_errc::unsupported_address;
        if (ipv6 ? addrs_.ipv6.empty() : addrs_.ipv4.empty()) return media_errc::unsupported_address;
        l.ipv6 = ipv6;
        l.rtp_to = udp_endpoint(addr, m.port);
        l.rtcp_to = udp_endpoint(addr, static_cast<std::uint16_t>(m.port + 1u));
        if (const auto* a = sdp::find_attribute(m.attributes, "rtcp"); a && a->value) {
            if (auto r = sdp::parse_rtcp(*a->value)) {
                auto raddr = r->address.empty() ? addr : asio::ip::make_address(r->address, ec);
                if (!ec && raddr.is_v6() == ipv6) l.rtcp_to = udp_endpoint(raddr, r->port);
            }
        }
        l.dir = sd.media_direction(m);
        return {};
    }

    // RFC 2543 hold: c=0.0.0.0 says "send me nothing", which our address cannot say
    void old_hold(const sdp::session_description& sd, sdp::media_description& m, leg_media& l) {
        const sdp::connection* c = sd.media_connection(m);
        if (!c || !c->is_null_hold()) return;
        l.dir = l.dir == sdp::direction::sendrecv ? sdp::direction::sendonly : sdp::direction::inactive;
        sdp::set_direction(m.attributes, l.dir);
    }

    static void add_formats(stream& st, const sdp::media_description& m) {
        for (const auto& f : m.formats) {
            unsigned pt = 0;
            auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), pt);
            if (ec == std::errc{} && p == f.data() + f.size() && pt < 128) st.payload_types.set(pt);
        }
        if (m.media == "video") st.clock_rate = 90000;
        for (const auto& f : m.formats) {
            unsigned pt = 0;
            std::from_chars(f.data(), f.data() + f.size(), pt);
            if (auto map = sdp::find_rtpmap(m, static_cast<std::uint8_t>(pt)); map && map->clock_rate) {
                st.clock_rate = map->clock_rate;
                break;
            }
        }
    }

    static bool ice(std::string_view name) noexcept {
        return name == "candidate" || name == "remote-candidates" || name == "end-of-candidates" ||
               name.starts_with("ice-");
    }

    // m= line `m` as the phone of `l` gets it: our port, our RTCP, no ICE.
    static void write_line(sdp::media_description& m, const leg_media& l, bool mux, bool answer) {
        m.port = l.port;
        m.connections.clear();
        std::erase_if(m.attributes, [](const sdp::attribute& a) {
            return ice(a.name) || a.name == "rtcp" || a.name == "rtcp-mux";
        });
        if (m.port == 0) return;
        if (mux) m.attributes.push_back({"rtcp-mux", {}});
        // an answer that muxes needs no RTCP port; an offer keeps one to fall back to (RFC 5761 5.1.1)
        if (!(mux && answer)) m.attributes.push_back({"rtcp", std::to_string(l.port + 1)});
    }

    // The whole description as leg `to` gets it.
    std::string write(sdp::session_description& sd, std::size_t to) {
        bool ipv6 = family_of(to);
        const std::string& addr = ipv6 ? addrs_.ipv6 : addrs_.ipv4;
        sdp::connection c;
        c.addrtype = ipv6 ? "IP6" : "IP4";
        c.address = addr;
        sd.connection = c;
        std::erase_if(sd.attributes, [](const sdp::attribute& a) { return ice(a.name); });
        if (rewriter_) rewriter_->session(sd);
        sdp::origin& o = sd.origin;
        o = sdp::origin{};
        o.sess_id = std::to_string(session_ids_[to]);
        o.addrtype = c.addrtype;
        o.unicast_address = addr;
        o.sess_version = version_[to];
        std::string body = sd.to_string();
        if (body == last_[to]) return body; // nothing changed for this leg: the same version
        o.increment_version();
        version_[to] = o.sess_version;
        body = sd.to_string();
        last_[to] = body;
        return body;
    }

    port_source& ports_;
    sdp_rewriter* rewriter_ = nullptr;
    const relay_addresses& addrs_;
    std::array<std::optional<bool>, 2> family_;
    std::array<std::uint64_t, 2> session_ids_;
    std::vector<stream> streams_;
    static constexpr std::size_t nobody = 2;
    std::size_t offer_from_ = nobody; // the leg whose offer was the last
    std::array<std::string, 2> version_{"0", "0"};
    std::array<std::string, 2> last_; // the last description each leg got
};

} // namespace tandem::media

#endif
