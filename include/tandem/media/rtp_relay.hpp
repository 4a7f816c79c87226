#ifndef TANDEM_MEDIA_RTP_RELAY_HPP
#define TANDEM_MEDIA_RTP_RELAY_HPP

/// @file `rtp_relay`: the media relay of RFC 7092 3.2.2 for `b2bua::service` and `b2bua::call`.
/// Every RTP and RTCP packet of a call crosses our own ports, so neither phone learns the
/// other's address, NATed phones get their media back, and a dead call is noticed.

#include <tandem/b2bua/concepts.hpp>
#include <tandem/media/crypto_session.hpp>
#include <tandem/media/relay_session.hpp>
#include <tandem/rtp/packet.hpp>
#include <tandem/rtp/port_pool.hpp>

#include <asio.hpp>

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <any>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::media {

/// Settings of an `rtp_relay`.
struct rtp_relay_config {
    /// The addresses we bind and write into SDP, per family ("" = that family is not served).
    relay_addresses addresses;
    /// RTP/RTCP port pairs come from [port_min, port_max] (RTP even, RTCP odd; RFC 3550 11).
    std::uint16_t port_min = 30000;
    std::uint16_t port_max = 39999;
    /// A call whose active stream carries no packet for this long ends (BYE on both legs,
    /// `media_timeout`); zero: never.
    std::chrono::seconds timeout{30};
    /// The same for a stream on hold (sendonly, recvonly, inactive): phones may stay silent.
    std::chrono::seconds hold_timeout{3600};
    /// Packets from one source (with a negotiated payload type) before it is locked in.
    int lock_after = 5;
    /// Terminate media encryption on each leg (the trenscrypter, `srtp_relay`): SRTP is
    /// decrypted from one phone and encrypted afresh for the other, each leg keyed on its own
    /// (SDES or DTLS-SRTP) or plain. False: SRTP and its SDP cross untouched.
    bool trenscrypt = false;
    /// Our DTLS-SRTP identity (one per process); made when a DTLS leg needs one and none is set.
    std::shared_ptr<const srtp::certificate> certificate;
};

/**
 * Relays RTP and RTCP between the legs of each call on ports of its own (RFC 7092 media
 * relay), satisfying `b2bua::media_relay`.
 *
 * - Ports: a pair per (leg, m= line), kept for that line's life (re-INVITEs included: a new
 *   port would break NATed phones); SDP is rewritten by `relay_session`.
 * - Who may send: `latch` (learned from packets with a negotiated payload type, the SDP's
 *   address preferred, locked after a few packets, learned again after each offer/answer);
 *   everything else is dropped and counted.
 * - What crosses: RTP and RTCP untouched (any payload: DTMF, video), RTCP between a leg that
 *   muxes and one that does not; STUN, DTLS and ZRTP from the learned source too, untouched.
 * - The forwarding path allocates nothing and pays Asio once per wakeup, not per socket: the
 *   media sockets are plain descriptors in an epoll set of the relay's own, whose descriptor
 *   Asio waits on; each ready socket is drained with recvmmsg and its packets leave with
 *   sendmmsg, from fixed buffers.
 *
 * One `io_context` thread runs it (the one of the B2BUA); for more cores, run one relay per
 * thread and give each its share of the calls. It must outlive the handlers it started (stop
 * or destroy the io_context first).
 */
class rtp_relay {
    struct call_media;

public:
    /// Leg B's media choice (`route_decision::media`): which address family leg B's phone
    /// gets (unset: the family of leg A's phone, else IPv4 when served).
    struct options {
        std::optional<bool> ipv6_b;
        /// Leg B's encryption (with `trenscrypt`; unset: the same as leg A's).
        std::optional<encryption_choice> encryption_b;
    };

    /// A call's media (a handle; `close` frees it).
    struct session {
        call_media* p = nullptr;
    };

    /// Relay-wide figures.
    struct counters {
        std::uint64_t forwarded = 0; ///< packets sent on
        std::uint64_t dropped = 0;   ///< refused (foreign source, garbage)
        std::uint64_t unsent = 0;    ///< accepted, but the other phone's address (or keys) not known yet
        std::uint64_t refused = 0;   ///< SRTP that failed authentication or was replayed (also in `dropped`)
    };

    explicit rtp_relay(asio::any_io_executor ex, rtp_relay_config cfg = {})
        : s_(std::make_unique<shared>(std::move(ex), std::move(cfg))) {}
    rtp_relay(rtp_relay&&) noexcept = default;
    rtp_relay& operator=(rtp_relay&&) noexcept = default;
    ~rtp_relay() {
        if (!s_) return;
        // what is still open
        while (s_->calls) destroy(s_->calls);
    }

    result<session> open(const b2bua::media_context& ctx) {
        const options* o = nullptr;
        if (ctx.options && ctx.options->has_value()) {
            o = std::any_cast<options>(ctx.options);
            if (!o) return media_errc::bad_options;
        }
        // leg A's phone says its family in its SDP; leg B's is the policy's or follows leg A's
        auto* cm = new call_media(*s_, {std::nullopt, o ? o->ipv6_b : std::nullopt});
        if (s_->cfg.trenscrypt) {
            if (!s_->cfg.certificate) {
                auto c = srtp::certificate::generate();
                if (!c) {
                    delete cm;
                    return c.error();
                }
                s_->cfg.certificate = std::make_shared<const srtp::certificate>(std::move(*c));
            }
            cm->crypto =
                std::make_unique<crypto_session>(s_->cfg.certificate, o ? o->encryption_b : std::nullopt);
            cm->core.rewrite_with(cm->crypto.get());
        }
        cm->next = s_->calls;
        if (s_->calls) s_->calls->prev = cm;
        s_->calls = cm;
        return session{cm};
    }

    result<std::string> offer(session& s, b2bua::leg from, std::string_view sdp) {
        return s.p->core.offer(from == b2bua::leg::b ? 1 : 0, sdp);
    }
    result<std::string> answer(session& s, b2bua::leg from, std::string_view sdp) {
        auto r = s.p->core.answer(from == b2bua::leg::b ? 1 : 0, sdp);
        if (r) s.p->answered_at = std::chrono::steady_clock::now();
        if (auto& c = s.p->crypto) {
            // DTLS that raced this answer counts if it came from where the answer says
            const auto& streams = s.p->core.streams();
            c->release_early(
                [&](std::size_t i, std::size_t side, std::size_t, const udp::endpoint& src) {
                    return i < streams.size() && same_address(src, streams[i].legs[side].rtp.expected());
                },
                std::chrono::steady_clock::now());
            flush_dtls(*s.p); // a DTLS client's first flight, a server's answer to an early hello
        }
        return r;
    }

    /// Ends the call when an active stream has been silent too long.
    b2bua::media_status check(session& s, std::chrono::steady_clock::time_point now) {
        const rtp_relay_config& cfg = s_->cfg;
        std::optional<std::chrono::steady_clock::time_point> next;
        if (auto& c = s.p->crypto) {
            if (c->failure()) return {b2bua::b2bua_errc::media_failed, std::nullopt};
            c->on_timeout(now);
            flush_dtls(*s.p);
            if (c->failure()) return {b2bua::b2bua_errc::media_failed, std::nullopt};
            next = c->next_timeout();
        }
        if (cfg.timeout.count() == 0) return {{}, next};
        const auto& streams = s.p->core.streams();
        for (std::size_t i = 0; i < streams.size(); ++i) {
            const stream& st = streams[i];
            if (!st.answered) continue;
            auto last = std::max(s.p->last_rx(i), s.p->answered_at);
            auto limit = st.on_hold() ? cfg.hold_timeout : cfg.timeout;
            if (limit.count() == 0) continue;
            if (now - last >= limit) return {b2bua::b2bua_errc::media_timeout, std::nullopt};
            if (!next || last + limit < *next) next = last + limit;
        }
        // a stream resumed or added by a later offer/answer is looked at within one timeout
        if (auto horizon = now + cfg.timeout; !next || horizon < *next) next = horizon;
        return {{}, next};
    }

    b2bua::media_stats stats(const session& s) const {
        b2bua::media_stats st = s.p->figures;
        if (const auto& c = s.p->crypto)
            for (std::size_t leg = 0; leg < 2; ++leg) {
                // the first m= line's (audio, as a rule)
                if (auto m = c->mode(0, leg); m != encryption::none) st.legs[leg].encryption = to_string(m);
                st.legs[leg].sas = c->sas(0, leg);
            }
        return st;
    }

    void close(session& s) noexcept {
        if (!s.p) return;
        destroy(std::exchange(s.p, nullptr)); // its sockets leave the epoll set as they close
    }

    const counters& totals() const noexcept { return s_->totals; }
    /// Port pairs in use (each pair: RTP and RTCP).
    std::size_t ports_in_use() const noexcept { return s_->pool.in_use(); }

private:
    using udp = asio::ip::udp;
    using time_point = std::chrono::steady_clock::time_point;

    struct port_pair;

    // One socket of ours: what its epoll event points to.
    struct slot {
        port_pair* pair = nullptr;
        std::size_t k = 0; // 0 RTP, 1 RTCP
        int fd = -1;
    };

    struct shared {
        shared(asio::any_io_executor e, rtp_relay_config c)
            : ex(std::move(e)), cfg(std::move(c)), pool(cfg.port_min, cfg.port_max, std::random_device{}()),
              session_ids(std::random_device{}()), ready(ex, ::epoll_create1(EPOLL_CLOEXEC)), dtls_timer(ex) {
        }
        ~shared() {
            std::error_code ec;
            ready.close(ec);
        }
        asio::any_io_executor ex;
        rtp_relay_config cfg;
        rtp::port_pool pool;
        std::mt19937_64 session_ids;
        counters totals;
        call_media* calls = nullptr; // every open call (an intrusive list)
        // the epoll set of every media socket; Asio waits on its descriptor
        asio::posix::stream_descriptor ready;
        bool waiting = false;
        // DTLS handshakes' retransmissions (armed only while one is due)
        asio::steady_timer dtls_timer;
        std::optional<time_point> dtls_due;

        int epfd() { return ready.native_handle(); }
        void wait() {
            if (waiting || !ready.is_open()) return;
            waiting = true;
            ready.async_wait(asio::posix::stream_descriptor::wait_read,
                             [this](const std::error_code& ec) { on_ready(*this, ec); });
        }
    };

    // Our two sockets facing one leg of one m= line.
    struct port_pair {
        port_pair(call_media& o, std::size_t s, std::size_t l) : owner(&o), stream(s), side(l) {
            for (std::size_t k = 0; k < 2; ++k) slots[k] = slot{this, k, -1};
        }
        port_pair(const port_pair&) = delete;
        port_pair& operator=(const port_pair&) = delete;
        ~port_pair() {
            for (auto& sl : slots)
                if (sl.fd >= 0) {
                    ::epoll_ctl(owner->s->epfd(), EPOLL_CTL_DEL, sl.fd, nullptr);
                    ::close(sl.fd);
                }
        }
        call_media* owner;
        std::size_t stream;
        std::size_t side;
        std::uint16_t port = 0;
        std::array<slot, 2> slots; // [0] RTP, [1] RTCP
    };

    struct call_media final : port_source {
        call_media(shared& sh, std::array<std::optional<bool>, 2> family)
            : s(&sh), core(*this, sh.cfg.addresses, family, {sh.session_ids() >> 2, sh.session_ids() >> 2}) {}
        call_media(const call_media&) = delete;
        call_media& operator=(const call_media&) = delete;
        ~call_media() = default;

        shared* s;
        relay_session core;
        call_media* prev = nullptr;
        call_media* next = nullptr;
        std::vector<std::array<std::unique_ptr<port_pair>, 2>> io; // per m= line and leg
        std::vector<time_point> rx; // per m= line: the last packet from either phone
        time_point answered_at{};
        b2bua::media_stats figures;
        std::unique_ptr<crypto_session> crypto; // with `trenscrypt`

        time_point last_rx(std::size_t i) const { return i < rx.size() ? rx[i] : time_point{}; }

        std::optional<std::uint16_t> acquire(std::size_t stream, std::size_t side, bool ipv6) override {
            if (io.size() <= stream) {
                io.resize(stream + 1);
                rx.resize(stream + 1);
            }
            std::error_code ec;
            auto addr = asio::ip::make_address(ipv6 ? s->cfg.addresses.ipv6 : s->cfg.addresses.ipv4, ec);
            if (ec) return std::nullopt;
            // a few tries: another program may hold ports of our range (those stay marked
            // taken until the round comes back to them)
            for (int attempt = 0; attempt < 16; ++attempt) {
                auto port = s->pool.allocate();
                if (!port) return std::nullopt;
                auto pp = std::make_unique<port_pair>(*this, stream, side);
                pp->port = *port;
                bool ok = true;
                for (auto& sl : pp->slots) {
                    udp::endpoint local(addr, static_cast<std::uint16_t>(*port + sl.k));
                    sl.fd = ::socket(local.protocol().family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                    epoll_event ev{};
                    ev.events = EPOLLIN;
                    ev.data.ptr = &sl;
                    ok = sl.fd >= 0 &&
                         ::bind(sl.fd, local.data(), static_cast<socklen_t>(local.size())) == 0 &&
                         ::epoll_ctl(s->epfd(), EPOLL_CTL_ADD, sl.fd, &ev) == 0;
                    if (!ok) break;
                }
                if (!ok) continue; // (the destructor closes what was opened)
                io[stream][side] = std::move(pp);
                s->wait();
                return *port;
            }
            return std::nullopt;
        }

        void release(std::size_t stream, std::size_t side) noexcept override {
            if (stream >= io.size() || !io[stream][side]) return;
            s->pool.release(io[stream][side]->port);
            io[stream][side].reset(); // closed, out of the epoll set: no event of it is pending
        }
    };

    // Unlists and frees a call's media (its sockets closed first).
    static void destroy(call_media* cm) noexcept {
        shared* sh = cm->s;
        if (cm->prev)
            cm->prev->next = cm->next;
        else
            sh->calls = cm->next;
        if (cm->next) cm->next->prev = cm->prev;
        cm->core.release_all();
        delete cm;
        if (!sh->calls && sh->waiting) {
            std::error_code ec;
            sh->ready.cancel(ec); // nothing left to wait for
        }
        if (!sh->calls && sh->dtls_due) {
            sh->dtls_due.reset();
            sh->dtls_timer.cancel();
        }
    }

    // Fixed buffers of the forwarding path (one set per thread).
    static constexpr std::size_t batch = 32;
    static constexpr std::size_t max_datagram = 2048;
    struct buffers {
        buffers() {
            for (std::size_t i = 0; i < batch; ++i) {
                in_iov[i] = {data[i].data(), max_datagram - srtp::max_trailer}; // room to encrypt
                in[i].msg_hdr = {};
                in[i].msg_hdr.msg_iov = &in_iov[i];
                in[i].msg_hdr.msg_iovlen = 1;
                in[i].msg_hdr.msg_name = &from[i];
                in[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
            }
        }
        std::array<std::array<std::uint8_t, max_datagram>, batch> data;
        std::array<mmsghdr, batch> in;
        std::array<iovec, batch> in_iov;
        std::array<sockaddr_storage, batch> from;
        std::size_t used = 0; // entries of `in` the last recvmmsg filled
        std::array<mmsghdr, batch> out;
        std::array<iovec, batch> out_iov;
        std::array<int, batch> out_fd;
    };
    static buffers& bufs() {
        thread_local buffers b;
        return b;
    }

    // Sockets are ready: each is drained (epoll is level-triggered: one not drained to the end
    // is ready again at the next round).
    static void on_ready(shared& sh, const std::error_code& ec) {
        sh.waiting = false;
        if (ec) {
            // the last call closed (an idle relay keeps no work in the io_context) or the relay
            // is going away; a call opened since waits again
            if (sh.calls && sh.ready.is_open()) sh.wait();
            return;
        }
        std::array<epoll_event, 64> events;
        for (int rounds = 0; rounds < 4; ++rounds) {
            int n = ::epoll_wait(sh.epfd(), events.data(), static_cast<int>(events.size()), 0);
            if (n <= 0) break;
            auto now = std::chrono::steady_clock::now();
            // events of one round are all processed before any socket can close (closing
            // happens on offers, answers and hang-ups, never in here)
            for (int i = 0; i < n; ++i) {
                auto* sl = static_cast<slot*>(events[static_cast<std::size_t>(i)].data.ptr);
                drain(*sl->pair, sl->k, now);
            }
            if (n < static_cast<int>(events.size())) break;
        }
        if (sh.calls) sh.wait();
    }

    // Reads what the socket has, decides each packet, sends the accepted ones on.
    static void drain(port_pair& pp, std::size_t k, time_point now) {
        call_media& cm = *pp.owner;
        shared& sh = *cm.s;
        buffers& b = bufs();
        int fd = pp.slots[k].fd;
        for (int rounds = 0; rounds < 8; ++rounds) {
            // what the last call changed goes back (the rest was set once)
            for (std::size_t i = 0; i < b.used; ++i) b.in[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
            int got = ::recvmmsg(fd, b.in.data(), batch, MSG_DONTWAIT, nullptr);
            if (got <= 0) return;
            auto n = static_cast<std::size_t>(got);
            b.used = n;
            std::size_t out = 0;
            stream& st = cm.core.streams()[pp.stream];
            cm.rx[pp.stream] = now;
            for (std::size_t i = 0; i < n; ++i) {
                std::size_t len = b.in[i].msg_len;
                udp::endpoint from;
                std::memcpy(from.data(), &b.from[i],
                            std::min<std::size_t>(b.in[i].msg_hdr.msg_namelen, sizeof(sockaddr_storage)));
                const udp::endpoint* to = nullptr;
                int to_fd = decide(cm, st, pp, k, b.data[i].data(), len, from, to, now);
                if (to_fd < 0) continue;
                b.out_iov[out] = {b.data[i].data(), len};
                b.out[out].msg_hdr = {};
                b.out[out].msg_hdr.msg_iov = &b.out_iov[out];
                b.out[out].msg_hdr.msg_iovlen = 1;
                b.out[out].msg_hdr.msg_name = const_cast<sockaddr*>(to->data());
                b.out[out].msg_hdr.msg_namelen = static_cast<socklen_t>(to->size());
                b.out_fd[out] = to_fd;
                ++out;
            }
            // consecutive packets for one socket go in one sendmmsg
            for (std::size_t i = 0; i < out;) {
                std::size_t j = i + 1;
                while (j < out && b.out_fd[j] == b.out_fd[i]) ++j;
                int sent = ::sendmmsg(b.out_fd[i], &b.out[i], static_cast<unsigned>(j - i), MSG_DONTWAIT);
                if (sent > 0) sh.totals.forwarded += static_cast<std::uint64_t>(sent);
                i = j;
            }
            if (n < batch) return;
        }
    }

    // What becomes of one packet from leg `pp.side`'s phone: the socket to send it from (its
    // destination in `to`), or -1 (dropped and counted, or nowhere to go yet).
    static int decide(call_media& cm, stream& st, port_pair& pp, std::size_t k, std::uint8_t* data,
                      std::size_t& len, const udp::endpoint& from, const udp::endpoint*& to, time_point now) {
        shared& sh = *cm.s;
        crypto_session* crypto = cm.crypto.get();
        rtp::bytes p(data, len);
        std::size_t x = pp.side;
        leg_media& me = st.legs[x];
        leg_media& peer = st.legs[1 - x];
        auto& fig = cm.figures.legs[x];
        auto drop = [&] {
            ++fig.dropped;
            ++sh.totals.dropped;
            return -1;
        };
        auto refuse = [&] {
            ++sh.totals.refused;
            return drop();
        };
        bool rtcp_out = false;
        rtp::packet_kind kind = rtp::classify(p);
        switch (kind) {
        case rtp::packet_kind::rtp: {
            if (k != 0) return drop();
            auto h = rtp::parse_rtp(p);
            if (!h) return drop();
            // decrypted (and so authenticated) before it may teach the latch anything
            if (crypto && !crypto->unprotect(pp.stream, x, false, k, data, len)) return refuse();
            if (!me.rtp.accept(from, st.payload_types.test(h->payload_type), sh.cfg.lock_after))
                return drop();
            p = rtp::bytes(data, len);
            break;
        }
        case rtp::packet_kind::rtcp: {
            if (crypto) {
                if (!crypto->unprotect(pp.stream, x, true, k, data, len)) return refuse();
                p = rtp::bytes(data, len);
            }
            auto reports = rtp::for_each_report(p, [&](std::uint32_t, const rtp::report_block& r) {
                fig.lost = r.cumulative_lost;
                fig.jitter_ms = static_cast<std::uint32_t>(std::uint64_t(r.jitter) * 1000 / st.clock_rate);
                fig.reported = true;
            });
            if (!reports) return drop();
            if (k == 0) {
                // muxed: only from the source RTP was learned from
                if (!me.rtp.learned() || !same(from, me.rtp.source())) return drop();
            } else {
                const auto& rtp_from = me.rtp.learned() ? me.rtp.source() : me.rtp.expected();
                if (!me.rtcp.accept(from, same_address(from, rtp_from), sh.cfg.lock_after)) return drop();
            }
            rtcp_out = !peer.mux;
            break;
        }
        case rtp::packet_kind::stun:
        case rtp::packet_kind::dtls:
        case rtp::packet_kind::zrtp:
            if (crypto) {
                // each leg's keying is its own: DTLS ends here on a DTLS leg (from the address
                // the phone's SDP gave), and nothing of it crosses
                if (kind == rtp::packet_kind::zrtp && k == 0 && crypto->terminates_zrtp(pp.stream, x) &&
                    same_address(from, me.rtp.expected())) {
                    crypto->on_zrtp(pp.stream, x, p, now);
                    flush_dtls(cm);
                    return -1;
                }
                if (kind == rtp::packet_kind::dtls && crypto->terminates_dtls(pp.stream, x)) {
                    if (me.rtp.expected().address().is_unspecified()) {
                        crypto->hold_dtls(pp.stream, x, k, from, p); // before the phone's answer
                        return -1;
                    }
                    if (same_address(from, me.rtp.expected())) {
                        crypto->on_dtls(pp.stream, x, k, p, now);
                        flush_dtls(cm);
                        return -1;
                    }
                }
                return drop();
            }
            // passes untouched, on the same component (a DTLS handshake per port when RTCP is
            // not muxed); it may teach the source (DTLS or ZRTP comes before any RTP), but only
            // from the address the phone's SDP gave
            if (!(k == 0 ? me.rtp : me.rtcp)
                     .accept(from, same_address(from, me.rtp.expected()), sh.cfg.lock_after))
                return drop();
            rtcp_out = k == 1 && !peer.mux;
            break;
        default: return drop();
        }
        ++fig.packets;
        fig.bytes += p.size();
        if (pp.stream >= cm.io.size() || !cm.io[pp.stream][1 - x]) return ++sh.totals.unsent, -1;
        port_pair& out = *cm.io[pp.stream][1 - x];
        to = rtcp_out ? &peer.rtcp.destination() : &peer.rtp.destination();
        if (nowhere(*to)) return ++sh.totals.unsent, -1;
        // encrypted for the other phone with its leg's keys (dark until that leg is keyed)
        if (crypto && !crypto->protect(pp.stream, 1 - x, kind == rtp::packet_kind::rtcp, rtcp_out ? 1 : 0,
                                       data, len, max_datagram))
            return ++sh.totals.unsent, ++fig.dropped, -1; // that leg is not keyed yet: dark
        return out.slots[rtcp_out ? 1 : 0].fd;
    }

    // Sends what the call's DTLS handshakes have to say, each from our port of its component
    // to where that phone receives.
    static void flush_dtls(call_media& cm) {
        if (!cm.crypto) return;
        arm_dtls(*cm.s, cm.crypto->next_timeout());
        cm.crypto->drain(
            [&](std::size_t i, std::size_t side, std::size_t k, std::span<const std::uint8_t> d) {
                if (i >= cm.io.size() || !cm.io[i][side] || i >= cm.core.streams().size()) return;
                const leg_media& l = cm.core.streams()[i].legs[side];
                const udp::endpoint& to = k == 0 ? l.rtp.destination() : l.rtcp.destination();
                if (nowhere(to)) return;
                ::sendto(cm.io[i][side]->slots[k].fd, d.data(), d.size(), MSG_DONTWAIT, to.data(),
                         static_cast<socklen_t>(to.size()));
            });
    }

    // Handshakes retransmit on the relay's own timer, whatever state their calls are in (a
    // DTLS leg may key during early media).
    static void arm_dtls(shared& sh, std::optional<time_point> at) {
        if (!at || (sh.dtls_due && *sh.dtls_due <= *at)) return;
        sh.dtls_due = at;
        sh.dtls_timer.expires_at(*at); // a wait for a later time is cancelled
        sh.dtls_timer.async_wait([&sh](const std::error_code& ec) {
            if (ec) return; // re-armed earlier, or the last call closed
            sh.dtls_due.reset();
            auto now = std::chrono::steady_clock::now();
            for (call_media* cm = sh.calls; cm; cm = cm->next)
                if (cm->crypto) {
                    cm->crypto->on_timeout(now);
                    flush_dtls(*cm); // sends, and arms the timer for what is due next
                }
        });
    }

    std::unique_ptr<shared> s_;
};

static_assert(b2bua::media_relay<rtp_relay>);

/// Settings of an `srtp_relay`: those of `rtp_relay` (`trenscrypt` is set for you).
using srtp_relay_config = rtp_relay_config;

/**
 * The trenscrypter's relay: `rtp_relay` that terminates media encryption on each leg. Leg A
 * speaks what its phone offers (plain RTP, SDES-SRTP, DTLS-SRTP); leg B what the policy puts
 * in `route_decision::media` as `srtp_relay::options{.encryption_b = ...}` (else the same as
 * leg A). Every packet is decrypted with its leg's keys and encrypted with the other leg's,
 * never decoded, so any codec crosses; see `crypto_session` for the rules.
 */
class srtp_relay : public rtp_relay {
public:
    explicit srtp_relay(asio::any_io_executor ex, srtp_relay_config cfg = {})
        : rtp_relay(std::move(ex), trenscrypting(std::move(cfg))) {}

private:
    static rtp_relay_config trenscrypting(rtp_relay_config c) {
        c.trenscrypt = true;
        return c;
    }
};

static_assert(b2bua::media_relay<srtp_relay>);

} // namespace tandem::media

#endif
