#ifndef TANDEM_MEDIA_CRYPTO_SESSION_HPP
#define TANDEM_MEDIA_CRYPTO_SESSION_HPP

/// @file The media encryption of one call, per leg (the trenscrypter's half of `srtp_relay`):
/// which encryption each leg speaks (plain RTP, SDES-SRTP, DTLS-SRTP), the SDP attributes that
/// say so (`a=crypto`, `a=fingerprint`, `a=setup`, the m= proto), and the SRTP contexts that
/// decrypt what one phone sends and encrypt what the other gets. No sockets: `rtp_relay` moves
/// the packets, this decides what they become.

#include <tandem/media/error.hpp>
#include <tandem/media/relay_session.hpp>
#include <tandem/result.hpp>
#include <tandem/sdp/session_description.hpp>
#include <tandem/srtp/context.hpp>
#include <tandem/srtp/dtls.hpp>
#include <tandem/srtp/error.hpp>
#include <tandem/srtp/sdes.hpp>
#include <tandem/srtp/suite.hpp>
#include <tandem/zrtp/endpoint.hpp>

#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::media {

/// The media encryption one leg speaks.
enum class encryption {
    none, ///< plain RTP/RTCP (RTP/AVP, RTP/AVPF)
    sdes, ///< SRTP keyed in SDP (RFC 4568 `a=crypto`; RTP/SAVP, RTP/SAVPF, or best effort in RTP/AVP)
    dtls, ///< SRTP keyed by DTLS on the media ports (RFC 5763/5764; UDP/TLS/RTP/SAVP(F))
    zrtp, ///< SRTP keyed by ZRTP on the media ports (RFC 6189; RTP/AVP with `a=zrtp-hash`)
};

constexpr std::string_view to_string(encryption e) noexcept {
    switch (e) {
    case encryption::none: return "none";
    case encryption::sdes: return "sdes";
    case encryption::dtls: return "dtls";
    case encryption::zrtp: return "zrtp";
    }
    return "none";
}

/// The suites offered on an SDES leg when nothing else is said: the four of RFC 4568 and
/// RFC 6188 that phones answer (linphone all four, baresip the AES-128 ones), strongest
/// AES-128 first.
inline const std::vector<srtp::suite>& default_sdes_suites() {
    static const std::vector<srtp::suite> s{
        srtp::suite::aes_cm_128_hmac_sha1_80, srtp::suite::aes_cm_128_hmac_sha1_32,
        srtp::suite::aes_256_cm_hmac_sha1_80, srtp::suite::aes_256_cm_hmac_sha1_32};
    return s;
}

/// Leg B's encryption, as a policy chooses it (`srtp_relay::options`).
struct encryption_choice {
    encryption mode = encryption::none;
    /// For `sdes`: the suites offered, in order of preference (empty: `default_sdes_suites()`).
    std::vector<srtp::suite> suites;
};

/**
 * One call's media encryption, both legs, every m= line; the `sdp_rewriter` of its
 * `relay_session`.
 *
 * - Leg A's encryption is what its phone offers (a `UDP/TLS/` proto with `a=fingerprint`:
 *   DTLS-SRTP; `a=crypto` lines: SDES; else plain); leg B's is the policy's choice, else the
 *   same as leg A's. ZRTP alone (`a=zrtp-hash`) and SAVP without usable keys are refused
 *   (`srtp_errc::unsupported_mode`, `no_common_suite`): nothing is ever bridged in clear that
 *   a phone asked to encrypt.
 * - Keys are ours per leg and fresh (never the other phone's); ours toward a phone stay the
 *   same across re-INVITEs, as does a context whose key the phone repeats (its rollover
 *   counter and replay window carry on); a new key makes a new context.
 * - Media stays dark until keyed: a packet for or from an encrypted leg without its context
 *   is dropped; a packet that fails authentication is dropped and counted (and, as the relay
 *   unprotects before latching, never teaches a source).
 */
class crypto_session final : public sdp_rewriter {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// `cert`: our DTLS identity (may be null when no leg may speak DTLS). `b`: leg B's
    /// encryption (unset: as leg A's).
    crypto_session(std::shared_ptr<const srtp::certificate> cert, std::optional<encryption_choice> b)
        : cert_(std::move(cert)), choice_b_(std::move(b)) {}

    result<void> offer(std::size_t from, std::size_t i, const sdp::session_description& sd,
                       sdp::media_description& m) override {
        stream_at(i);
        std::size_t to = 1 - from;
        leg& x = streams_[i][from];
        leg& y = streams_[i][to];
        x.offered_proto = m.proto;
        x.offered_rtp = rtp_based(m.proto);
        if (!x.offered_rtp) {
            clean(m); // not media we re-encrypt, and no keying of one leg crosses to the other
            return {};
        }
        x.offered_mux = sdp::find_attribute(m.attributes, "rtcp-mux") != nullptr;
        bool feedback = m.proto.ends_with('F');
        if (m.port == 0) {
            clean(m);
            m.proto = proto_for(y.mode, feedback);
            return {};
        }
        // what the offering phone speaks, and the keys it offers
        auto mode = detect(sd, m, x);
        if (!mode) return mode.error();
        if (x.known && x.mode != *mode) x.reset_keys();
        x.mode = *mode;
        x.known = true;
        // the other leg: as chosen for leg B, else as the offerer
        if (!y.known) {
            if (to == 1 && choice_b_) {
                y.mode = choice_b_->mode;
                y.suites = choice_b_->suites;
            } else {
                y.mode = x.mode;
            }
            if (y.suites.empty()) y.suites = default_sdes_suites();
            y.known = true;
        }
        if (y.mode == encryption::dtls && !cert_) return srtp_errc::certificate_error;
        clean(m);
        m.proto = proto_for(y.mode, feedback);
        switch (y.mode) {
        case encryption::none: break;
        case encryption::sdes: {
            y.ours.clear();
            if (y.suite) {
                // keyed before: the same key again, so that nothing restarts
                y.ours.push_back(crypto_line(1, *y.suite, y.our_key));
            } else {
                unsigned tag = 1;
                for (srtp::suite s : y.suites) y.ours.push_back(crypto_line(tag++, s, random_key(s)));
            }
            for (const auto& c : y.ours) m.attributes.push_back({"crypto", c.to_string()});
            break;
        }
        case encryption::dtls:
            m.attributes.push_back({"fingerprint", cert_->fingerprint()});
            m.attributes.push_back({"setup", std::string(y.role ? role_name(*y.role) : "actpass")});
            // its ClientHello may come before its answer: endpoints wait for it from now on
            for (auto& d : y.dtls)
                if (!d) d = std::make_unique<srtp::dtls_endpoint>(*cert_, dtls_settings());
            break;
        case encryption::zrtp: m.attributes.push_back({"zrtp-hash", zrtp_of(y).zrtp_hash()}); break;
        }
        return {};
    }

    result<void> answer(std::size_t from, std::size_t i, const sdp::session_description& sd,
                        sdp::media_description& m) override {
        stream_at(i);
        std::size_t to = 1 - from;
        leg& y = streams_[i][from]; // the answering phone's leg
        leg& x = streams_[i][to];   // the offerer's
        if (!x.offered_rtp || !x.known) {
            clean(m);
            return {};
        }
        if (m.port != 0 && !rtp_based(m.proto)) return media_errc::answer_mismatch; // RFC 3264 6
        if (m.port == 0) {
            clean(m);
            m.proto = x.offered_proto;
            return {};
        }
        bool y_mux = x.offered_mux && sdp::find_attribute(m.attributes, "rtcp-mux") != nullptr;
        // 1. what the answering phone agreed to, on the terms we offered it
        switch (y.mode) {
        case encryption::none: break;
        case encryption::sdes: {
            const srtp::crypto_attribute* picked = nullptr;
            std::optional<srtp::crypto_attribute> theirs;
            for (const auto& a : m.attributes) {
                if (a.name != "crypto" || !a.value) continue;
                auto c = srtp::parse_crypto(*a.value);
                if (!c || !usable(*c)) continue;
                for (const auto& o : y.ours)
                    if (o.tag == c->tag && o.s == c->s) picked = &o;
                if (!picked) return srtp_errc::suite_not_offered; // RFC 4568 7.1.3
                theirs = std::move(*c);
                break;
            }
            if (!theirs) return srtp_errc::suite_not_offered;
            if (auto r = key(y, picked->s, picked->keys[0].key_salt, theirs->keys[0].key_salt); !r) return r;
            break;
        }
        case encryption::dtls: {
            auto fp = attribute_value(sd, m, "fingerprint");
            if (!fp) return srtp_errc::no_fingerprint;
            auto setup = attribute_value(sd, m, "setup");
            std::optional<srtp::dtls_role> role;
            if (setup == "active") role = srtp::dtls_role::server;
            if (setup == "passive") role = srtp::dtls_role::client;
            if (!role) return srtp_errc::bad_setup;
            start_dtls(y, *role, std::string(*fp), y_mux);
            break;
        }
        case encryption::zrtp: start_zrtp(y); break;
        }
        // 2. our answer to the offerer, in its own encryption
        clean(m);
        m.proto = x.offered_proto;
        switch (x.mode) {
        case encryption::none: break;
        case encryption::sdes: {
            const srtp::crypto_attribute& c = x.offered.front(); // detect() kept only usable lines
            if (!x.suite || *x.suite != c.s || x.our_key.size() != srtp::key_salt_len(c.s))
                x.our_key = random_key(c.s);
            if (auto r = key(x, c.s, x.our_key, c.keys[0].key_salt); !r) return r;
            m.attributes.push_back({"crypto", crypto_line(c.tag, c.s, x.our_key).to_string()});
            break;
        }
        case encryption::dtls: {
            // RFC 5763 5: the answerer is active (the DTLS client) unless the offerer is
            if (!x.role)
                x.role = x.offered_setup == "active" ? srtp::dtls_role::server : srtp::dtls_role::client;
            m.attributes.push_back({"fingerprint", cert_->fingerprint()});
            m.attributes.push_back({"setup", std::string(role_name(*x.role))});
            start_dtls(x, *x.role, x.fingerprint, x.offered_mux);
            break;
        }
        case encryption::zrtp:
            m.attributes.push_back({"zrtp-hash", zrtp_of(x).zrtp_hash()});
            start_zrtp(x);
            break;
        }
        return {};
    }

    /// Session-level attributes that belong to one leg's encryption (linphone writes
    /// `a=fingerprint` and `a=setup` there): removed from what crosses.
    void session(sdp::session_description& sd) override {
        std::erase_if(sd.attributes, [](const sdp::attribute& a) { return ours(a.name); });
    }

    // ---- the forwarding path ----

    /// Whether leg `leg` of m= line `i` speaks SRTP.
    bool encrypted(std::size_t i, std::size_t leg_) const noexcept {
        return i < streams_.size() && streams_[i][leg_].mode != encryption::none;
    }

    /// A packet from leg `leg_`'s phone, received on our component `k` (0 RTP port, 1 RTCP
    /// port): decrypted in place. False: drop it (not keyed yet, forged, replayed).
    bool unprotect(std::size_t i, std::size_t leg_, bool rtcp, std::size_t k, std::uint8_t* data,
                   std::size_t& len) noexcept {
        if (i >= streams_.size()) return false;
        leg& l = streams_[i][leg_];
        if (l.mode == encryption::none) return true;
        srtp::context& c = l.in[l.mode == encryption::dtls && k == 1 ? 1 : 0];
        if (!c) return false;
        auto r = rtcp ? c.unprotect_rtcp(data, len) : c.unprotect_rtp(data, len);
        if (!r) ++refused_;
        return r.has_value();
    }

    /// A packet for leg `leg_`'s phone, to leave from our component `k`: encrypted in place
    /// (`cap`: the buffer's size). False: drop it (that leg is not keyed yet).
    bool protect(std::size_t i, std::size_t leg_, bool rtcp, std::size_t k, std::uint8_t* data,
                 std::size_t& len, std::size_t cap) noexcept {
        if (i >= streams_.size()) return false;
        leg& l = streams_[i][leg_];
        if (l.mode == encryption::none) return true;
        srtp::context& c = l.out[l.mode == encryption::dtls && k == 1 ? 1 : 0];
        if (!c) return false;
        auto r = rtcp ? c.protect_rtcp(data, len, cap) : c.protect_rtp(data, len, cap);
        return r.has_value();
    }

    /// Whether DTLS packets from leg `leg_`'s phone end here (that leg speaks DTLS-SRTP).
    bool terminates_dtls(std::size_t i, std::size_t leg_) const noexcept {
        return i < streams_.size() && streams_[i][leg_].mode == encryption::dtls;
    }

    /// Whether ZRTP packets from leg `leg_`'s phone end here (that leg speaks ZRTP).
    bool terminates_zrtp(std::size_t i, std::size_t leg_) const noexcept {
        return i < streams_.size() && streams_[i][leg_].mode == encryption::zrtp;
    }

    /// A ZRTP packet from leg `leg_`'s phone (on our RTP port).
    void on_zrtp(std::size_t i, std::size_t leg_, std::span<const std::uint8_t> p, time_point now) {
        if (i >= streams_.size()) return;
        leg& l = streams_[i][leg_];
        if (!l.zrtp) return;
        l.zrtp->on_packet(p, now);
        settle_zrtp(l);
    }

    /// The short authentication string of leg `leg_`'s ZRTP on m= line `i` ("" until agreed).
    std::string sas(std::size_t i, std::size_t leg_) const {
        if (i >= streams_.size() || !streams_[i][leg_].zrtp) return {};
        return streams_[i][leg_].zrtp->sas();
    }

    /// A DTLS datagram from leg `leg_`'s phone on our component `k`.
    void on_dtls(std::size_t i, std::size_t leg_, std::size_t k, std::span<const std::uint8_t> d,
                 time_point now) {
        if (i >= streams_.size() || k > 1) return;
        leg& l = streams_[i][leg_];
        if (!l.dtls[k]) return;
        l.dtls[k]->on_datagram(d, now);
        settle(l, k);
    }

    /// A DTLS datagram from leg `leg_` before that leg's SDP said where its phone is (a
    /// ClientHello racing its SIP answer): kept, with its source, until `release_early` (at
    /// most 8 per leg; more are dropped).
    void hold_dtls(std::size_t i, std::size_t leg_, std::size_t k, const udp_endpoint& from,
                   std::span<const std::uint8_t> d) {
        if (i >= streams_.size() || k > 1) return;
        leg& l = streams_[i][leg_];
        if (l.mode != encryption::dtls || l.early.size() >= 8 || d.size() > 2048) return;
        l.early.push_back({from, k, std::vector<std::uint8_t>(d.begin(), d.end())});
    }

    /// Feeds the held datagrams whose source `accept(i, leg, k, from)` approves now that the
    /// SDP is known; the others are forgotten.
    template <class Accept>
    void release_early(Accept&& accept, time_point now) {
        for (std::size_t i = 0; i < streams_.size(); ++i)
            for (std::size_t side = 0; side < 2; ++side) {
                auto early = std::move(streams_[i][side].early);
                streams_[i][side].early.clear();
                for (auto& e : early)
                    if (accept(i, side, e.k, e.from)) on_dtls(i, side, e.k, e.data, now);
            }
    }

    /// Hands each DTLS datagram and ZRTP packet waiting to go out to `send(i, leg, k, bytes)`
    /// (ZRTP: component 0).
    template <class Send>
    void drain(Send&& send) {
        for (std::size_t i = 0; i < streams_.size(); ++i)
            for (std::size_t side = 0; side < 2; ++side) {
                leg& l = streams_[i][side];
                for (std::size_t k = 0; k < 2; ++k)
                    if (l.dtls[k])
                        while (auto dg = l.dtls[k]->poll_datagram())
                            send(i, side, k, std::span<const std::uint8_t>(*dg));
                if (l.zrtp)
                    while (auto p = l.zrtp->poll_packet())
                        send(i, side, 0, std::span<const std::uint8_t>(*p));
            }
    }

    /// When a DTLS handshake wants `on_timeout` next.
    std::optional<time_point> next_timeout() const {
        std::optional<time_point> next;
        for (const auto& st : streams_)
            for (const auto& l : st) {
                for (const auto& d : l.dtls)
                    if (d)
                        if (auto t = d->next_timeout(); t && (!next || *t < *next)) next = t;
                if (l.zrtp)
                    if (auto t = l.zrtp->next_timeout(); t && (!next || *t < *next)) next = t;
            }
        return next;
    }

    /// Retransmits what DTLS handshakes lost.
    void on_timeout(time_point now) {
        for (auto& st : streams_)
            for (auto& l : st) {
                for (std::size_t k = 0; k < 2; ++k)
                    if (l.dtls[k])
                        if (auto t = l.dtls[k]->next_timeout(); t && *t <= now) {
                            l.dtls[k]->on_timeout(now);
                            settle(l, k);
                        }
                if (l.zrtp)
                    if (auto t = l.zrtp->next_timeout(); t && *t <= now) {
                        l.zrtp->on_timeout(now);
                        settle_zrtp(l);
                    }
            }
    }

    /// Why the call's media cannot be secured (a DTLS handshake failed: a wrong certificate,
    /// no common profile), or no error.
    std::error_code failure() const noexcept { return failure_; }
    /// Packets that failed authentication or replay checks.
    std::uint64_t refused() const noexcept { return refused_; }
    /// Leg `leg_`'s encryption on m= line `i` (`none` before its SDP).
    encryption mode(std::size_t i, std::size_t leg_) const noexcept {
        return i < streams_.size() ? streams_[i][leg_].mode : encryption::none;
    }
    /// Whether both directions of leg `leg_` on m= line `i` have keys (always, when plain).
    bool keyed(std::size_t i, std::size_t leg_) const noexcept {
        if (i >= streams_.size()) return false;
        const leg& l = streams_[i][leg_];
        return l.mode == encryption::none || (l.in[0] && l.out[0]);
    }

private:
    struct leg {
        bool known = false;
        encryption mode = encryption::none;
        std::vector<srtp::suite> suites; // what we offer this leg, for SDES
        std::string offered_proto;       // of its phone's last offer
        bool offered_rtp = false;        // and whether that was RTP (else we leave the line alone)
        bool offered_mux = false;
        // SDES
        std::vector<srtp::crypto_attribute> offered; // its phone's usable lines, in its order
        std::vector<srtp::crypto_attribute> ours;    // our offer to it
        std::optional<srtp::suite> suite;            // agreed
        std::vector<std::uint8_t> our_key;
        // DTLS
        std::string fingerprint;   // its phone's certificate
        std::string offered_setup; // its phone's a=setup in its offer
        std::optional<srtp::dtls_role> role;
        std::array<std::unique_ptr<srtp::dtls_endpoint>, 2> dtls; // per component
        std::array<bool, 2> installed{};
        struct held {
            udp_endpoint from;
            std::size_t k;
            std::vector<std::uint8_t> data;
        };
        std::vector<held> early; // DTLS before its phone's address was known
        // ZRTP
        std::unique_ptr<zrtp::endpoint> zrtp;
        // SRTP contexts, per component (component 1 only for DTLS without rtcp-mux)
        std::array<srtp::context, 2> in, out;

        // Another encryption than before: nothing keyed so far carries over (what its phone
        // offered, fingerprint included, was just learned and stays).
        void reset_keys() {
            suite.reset();
            our_key.clear();
            ours.clear();
            role.reset();
            for (auto& d : dtls) d.reset();
            installed = {};
            early.clear();
            zrtp.reset();
            in = {};
            out = {};
        }
    };

    void stream_at(std::size_t i) {
        if (streams_.size() <= i) streams_.resize(i + 1);
    }

    static bool rtp_based(std::string_view proto) noexcept {
        return proto.find("RTP/") != std::string_view::npos;
    }

    static bool ours(std::string_view name) noexcept {
        return name == "crypto" || name == "fingerprint" || name == "setup" || name == "tls-id" ||
               name == "zrtp-hash";
    }

    static void clean(sdp::media_description& m) {
        std::erase_if(m.attributes, [](const sdp::attribute& a) { return ours(a.name); });
    }

    static std::string proto_for(encryption e, bool feedback) {
        std::string p = e == encryption::sdes   ? "RTP/SAVP"
                        : e == encryption::dtls ? "UDP/TLS/RTP/SAVP"
                                                : "RTP/AVP";
        if (feedback) p += 'F';
        return p;
    }

    static std::string_view role_name(srtp::dtls_role r) noexcept {
        return r == srtp::dtls_role::client ? "active" : "passive";
    }

    // Media-level first, then session level (RFC 5763 5, RFC 4145 4).
    static std::optional<std::string_view> attribute_value(const sdp::session_description& sd,
                                                           const sdp::media_description& m,
                                                           std::string_view name) {
        const sdp::attribute* a = sdp::find_attribute(m.attributes, name);
        if (!a) a = sdp::find_attribute(sd.attributes, name);
        if (!a || !a->value) return std::nullopt;
        return std::string_view(*a->value);
    }

    // A crypto line we can key a context from: one key, no MKI or lifetime limit we would
    // have to enforce, only session parameters we honour (RFC 4568 6.3: otherwise declined).
    static bool usable(const srtp::crypto_attribute& c) {
        return c.keys.size() == 1 && !c.keys[0].mki && srtp::supported_session_params(c);
    }

    static srtp::crypto_attribute crypto_line(unsigned tag, srtp::suite s,
                                              const std::vector<std::uint8_t>& k) {
        srtp::crypto_attribute c;
        c.tag = tag;
        c.s = s;
        c.keys.push_back(srtp::key_param{k, std::nullopt, std::nullopt, 0});
        return c;
    }

    static std::vector<std::uint8_t> random_key(srtp::suite s) {
        std::vector<std::uint8_t> k(srtp::key_salt_len(s));
        if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1) k.clear(); // then no context is made
        return k;
    }

    // What the phone of `l` speaks by its offer `m`; its usable crypto lines, fingerprint
    // and setup are kept for our answer.
    result<encryption> detect(const sdp::session_description& sd, const sdp::media_description& m, leg& l) {
        bool savp = m.proto.find("SAVP") != std::string::npos;
        if (m.proto.starts_with("UDP/TLS/")) {
            auto fp = attribute_value(sd, m, "fingerprint");
            if (!fp) return srtp_errc::no_fingerprint;
            auto setup = attribute_value(sd, m, "setup");
            std::string s(setup ? *setup : "actpass");
            if (s != "actpass" && s != "active" && s != "passive") return srtp_errc::bad_setup;
            if (!cert_) return srtp_errc::certificate_error;
            if (l.fingerprint != *fp) {
                // a new certificate: a new handshake (RFC 8842 5)
                l.role.reset();
                for (auto& d : l.dtls) d.reset();
                l.installed = {};
            }
            l.fingerprint = std::string(*fp);
            l.offered_setup = s;
            return encryption::dtls;
        }
        l.offered.clear();
        bool any = false;
        for (const auto& a : m.attributes) {
            if (a.name != "crypto" || !a.value) continue;
            any = true;
            auto c = srtp::parse_crypto(*a.value);
            if (c && usable(*c)) l.offered.push_back(std::move(*c));
        }
        if (!l.offered.empty()) return encryption::sdes;
        // SAVP asks for SRTP: without a key we can use, refused; best-effort SRTP in AVP falls
        // back to plain (RFC 4568 7.1.1 leaves it to the answerer)
        if (savp) return any ? srtp_errc::no_common_suite : srtp_errc::unsupported_mode;
        // ZRTP (RFC 6189 8.1): its hash in the SDP says the phone will speak it on the media path
        if (sdp::find_attribute(m.attributes, "zrtp-hash") || sdp::find_attribute(sd.attributes, "zrtp-hash"))
            return encryption::zrtp;
        return encryption::none;
    }

    // SDES keys agreed on leg `l`: contexts made, unless the key is the one already in use.
    result<void> key(leg& l, srtp::suite s, const std::vector<std::uint8_t>& ours_,
                     const std::vector<std::uint8_t>& theirs) {
        if (!l.out[0].same_key(s, ours_)) {
            auto c = srtp::context::make(s, ours_, srtp::direction::outbound);
            if (!c) return c.error();
            l.out[0] = std::move(*c);
        }
        if (!l.in[0].same_key(s, theirs)) {
            auto c = srtp::context::make(s, theirs, srtp::direction::inbound);
            if (!c) return c.error();
            l.in[0] = std::move(*c);
        }
        l.suite = s;
        l.our_key = ours_;
        return {};
    }

    // The first retransmission after 250 ms instead of RFC 6347's 1 s: as the answerer we are
    // the DTLS client, and our ClientHello leaves with our SDP answer, so a phone that starts
    // its DTLS server only once it has read that answer (baresip 1.0) drops it; the first
    // retransmission then decides when its audio starts.
    static srtp::dtls_options dtls_settings() {
        srtp::dtls_options o;
        o.initial_timeout = std::chrono::milliseconds(250);
        return o;
    }

    // Starts (once per certificate) the handshake of each component leg `l` needs.
    void start_dtls(leg& l, srtp::dtls_role role, const std::string& fingerprint, bool mux) {
        l.role = role;
        l.fingerprint = fingerprint;
        for (std::size_t k = 0; k < 2; ++k) {
            if (k == 1 && mux) {
                l.dtls[1].reset(); // RTCP rides on the RTP port's keys
                continue;
            }
            if (l.dtls[k] && l.dtls[k]->state() != srtp::dtls_state::idle) continue;
            if (!l.dtls[k]) l.dtls[k] = std::make_unique<srtp::dtls_endpoint>(*cert_, dtls_settings());
            l.dtls[k]->start(role, fingerprint, std::chrono::steady_clock::now());
            settle(l, k);
        }
    }

    // The ZRTP endpoint of leg `l` (its Hello, and so its a=zrtp-hash, fixed from its first SDP).
    zrtp::endpoint& zrtp_of(leg& l) {
        if (!l.zrtp) {
            std::uint32_t ssrc = 0;
            RAND_bytes(reinterpret_cast<unsigned char*>(&ssrc), sizeof ssrc);
            l.zrtp = std::make_unique<zrtp::endpoint>(ssrc);
        }
        return *l.zrtp;
    }

    // Its phone's address is known from the SDP: our Hellos go out (RFC 6189 4.1).
    void start_zrtp(leg& l) {
        zrtp_of(l).start(std::chrono::steady_clock::now());
        settle_zrtp(l);
    }

    // After ZRTP input: keys installed once secure (media dark until then), failures noted.
    void settle_zrtp(leg& l) { install(l, 0, *l.zrtp); }

    // After DTLS input: keys installed once the handshake is done, failures noted.
    void settle(leg& l, std::size_t k) { install(l, k, *l.dtls[k]); }

    // The SRTP contexts of component `k` from a key exchange (DTLS or ZRTP) once it has keys;
    // its failure becomes the call's.
    template <class Handshake>
    void install(leg& l, std::size_t k, const Handshake& h) {
        if (auto e = h.error()) {
            if (!failure_) failure_ = e;
            return;
        }
        if (l.installed[k]) return;
        auto keys = h.keys();
        if (!keys) return;
        auto in = srtp::context::make(keys->s, keys->remote, srtp::direction::inbound);
        auto out = srtp::context::make(keys->s, keys->local, srtp::direction::outbound);
        if (!in || !out) {
            failure_ = make_error_code(srtp_errc::srtp_failure);
            return;
        }
        l.in[k] = std::move(*in);
        l.out[k] = std::move(*out);
        l.installed[k] = true;
    }

    std::shared_ptr<const srtp::certificate> cert_;
    std::optional<encryption_choice> choice_b_;
    std::vector<std::array<leg, 2>> streams_;
    std::error_code failure_;
    std::uint64_t refused_ = 0;
};

} // namespace tandem::media

#endif
