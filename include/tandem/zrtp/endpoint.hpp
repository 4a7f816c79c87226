#ifndef TANDEM_ZRTP_ENDPOINT_HPP
#define TANDEM_ZRTP_ENDPOINT_HPP

/// @file One ZRTP endpoint (RFC 6189) in DH mode without retained secrets, sans I/O: packets
/// and `now` in, packets, a timer and, once secure, SRTP keys and the SAS out.

#include <tandem/result.hpp>
#include <tandem/srtp/suite.hpp>
#include <tandem/zrtp/crypto.hpp>
#include <tandem/zrtp/error.hpp>
#include <tandem/zrtp/packet.hpp>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tandem::zrtp {

/// Where an endpoint's handshake is (RFC 6189 4, Figure 1).
enum class zrtp_state {
    idle,          ///< not started
    discovery,     ///< Hello sent until acknowledged, the peer's Hello awaited
    commit_sent,   ///< initiator: Commit sent, DHPart1 awaited
    dhpart1_sent,  ///< responder: DHPart1 sent, DHPart2 awaited
    dhpart2_sent,  ///< initiator: DHPart2 sent, Confirm1 awaited
    confirm1_sent, ///< responder: Confirm1 sent, Confirm2 awaited
    confirm2_sent, ///< initiator: Confirm2 sent, Conf2ACK awaited
    secure,        ///< keys agreed and confirmed: SRTP may flow
    failed,        ///< see `error()`
};

/// What an endpoint offers in its Hello, in order of preference.
struct endpoint_options {
    /// X25519 first (what linphone prefers), DH3k (mandatory, RFC 6189 5.1.5).
    std::vector<type_block> key_agreements{type_block{"X255"}, type_block{"DH3k"}};
    std::vector<type_block> auth_tags{type_block{"HS80"}, type_block{"HS32"}};
    /// Whether we may send Commit (else we always wait for the peer's; RFC 6189 5.2 `P` is
    /// not set either way).
    bool may_commit = true;
};

/**
 * A ZRTP endpoint for one media stream, in DH mode, cacheless (RFC 6189 4.9.1: no secret is
 * retained, every call is a first call; the SAS is what protects it). Hash S256, cipher AES1,
 * auth tags HS32/HS80, key agreement X255 or DH3k, SAS B32.
 *
 * Contract (STYLE 3.5): after every input (`start`, `on_packet`, `on_timeout`) drain
 * `poll_packet()`, then re-arm the timer from `next_timeout()`. Once `state()` is `secure`,
 * `keys()` gives the SRTP master keys of both directions and `sas()` the string to compare.
 *
 * Both roles: either side may Commit (a Commit from the peer makes us the responder; two
 * Commits are settled by hvi, RFC 6189 4.2). Retransmissions as in section 6 (Hello from 50
 * to 200 ms, 20 times; Commit, DHPart2 and Confirm2 from 150 to 1200 ms, 10 times); the
 * responder repeats its last message when the initiator's arrives again.
 */
class endpoint {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// SRTP master key||salt per direction, and the suite (from the cipher and auth tag).
    struct srtp_keys {
        srtp::suite s;
        std::vector<std::uint8_t> local;  ///< what we send with
        std::vector<std::uint8_t> remote; ///< what the peer sends with
    };

    /// `ssrc`: put in the header of our ZRTP packets.
    explicit endpoint(std::uint32_t ssrc, endpoint_options opts = {}) : ssrc_(ssrc), opts_(std::move(opts)) {
        auto chain = hash_chain::generate();
        if (!chain || RAND_bytes(zid_.data(), static_cast<int>(zid_.size())) != 1 ||
            RAND_bytes(reinterpret_cast<unsigned char*>(&seq_), sizeof seq_) != 1) {
            error_ = make_error_code(zrtp_errc::crypto_failure);
            state_ = zrtp_state::failed;
            return;
        }
        chain_ = *chain;
        hello h;
        h.client_id = make_client_id("Tandem");
        h.h3 = chain_.h3();
        h.zid = zid_;
        h.hashes = {type_block{"S256"}};
        h.ciphers = {type_block{"AES1"}};
        h.auth_tags = opts_.auth_tags;
        h.key_agreements = opts_.key_agreements;
        h.sas_types = {type_block{"B32 "}};
        our_hello_ = with_mac(encode(h), chain_.h2());
    }

    /// The `a=zrtp-hash` value (RFC 6189 8.1): version and the hash of our Hello.
    std::string zrtp_hash() const {
        auto h = sha256(our_hello_);
        std::string out = "1.10 ";
        static constexpr char hex[] = "0123456789abcdef";
        for (auto b : h) {
            out += hex[b >> 4];
            out += hex[b & 15];
        }
        return out;
    }

    /// Starts sending Hello.
    void start(time_point now) {
        if (state_ != zrtp_state::idle) return;
        state_ = zrtp_state::discovery;
        send_hello(now);
    }

    /// A ZRTP packet from the peer (classified as ZRTP: first octet 0x10).
    void on_packet(std::span<const std::uint8_t> p, time_point now) {
        if (state_ == zrtp_state::failed || state_ == zrtp_state::idle) return;
        auto pk = parse_packet(p);
        if (!pk) return; // bad CRC or framing: ignored (RFC 6189 5)
        auto m = parse_message(pk->message);
        if (!m) return;
        std::vector<std::uint8_t> raw(pk->message.begin(), pk->message.end());
        std::visit([&](auto& msg) { handle(msg, raw, now); }, *m);
    }

    /// Next ZRTP packet to send to the peer, if any.
    std::optional<std::vector<std::uint8_t>> poll_packet() {
        if (out_.empty()) return std::nullopt;
        auto p = std::move(out_.front());
        out_.pop_front();
        return p;
    }

    std::optional<time_point> next_timeout() const { return timer_; }

    /// Retransmits what is due; fails the handshake when retries run out (RFC 6189 6).
    void on_timeout(time_point now) {
        if (!timer_ || *timer_ > now || state_ == zrtp_state::failed || state_ == zrtp_state::secure) return;
        if (retries_left_ == 0) {
            // Hello unanswered: the peer may simply not speak ZRTP (yet); anything later: gone
            return fail(zrtp_errc::timeout, error_codes::protocol_timeout);
        }
        --retries_left_;
        interval_ = std::min(interval_ * 2, max_interval_);
        timer_ = now + interval_;
        queue(last_sent_);
    }

    zrtp_state state() const noexcept { return state_; }
    std::error_code error() const noexcept { return error_; }
    bool initiator() const noexcept { return initiator_; }

    /// The SRTP keys, once secure.
    std::optional<srtp_keys> keys() const {
        if (state_ != zrtp_state::secure) return std::nullopt;
        srtp_keys k{*suite_, {}, {}};
        auto cat = [](const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
            std::vector<std::uint8_t> v(a);
            v.insert(v.end(), b.begin(), b.end());
            return v;
        };
        auto i = cat(keys_.srtp_key_i, keys_.srtp_salt_i);
        auto r = cat(keys_.srtp_key_r, keys_.srtp_salt_r);
        k.local = initiator_ ? i : r;
        k.remote = initiator_ ? r : i;
        return k;
    }

    /// The short authentication string (B32, four characters), once the keys are agreed.
    const std::string& sas() const noexcept { return sas_; }

    /// The key agreement, cipher and auth tag agreed ("X255", "AES1", "HS80"), once committed.
    std::string algorithms() const {
        return std::string(agreed_.key_agreement.view()) + " " + std::string(agreed_.cipher.view()) + " " +
               std::string(agreed_.auth_tag.view());
    }

private:
    // ---- building ----

    static std::vector<std::uint8_t> with_mac(std::vector<std::uint8_t> m, const sha256_hash& key) {
        auto mac = message_mac(key, std::span<const std::uint8_t>(m).first(m.size() - 8));
        std::copy(mac.begin(), mac.end(), m.end() - 8);
        return m;
    }

    void queue(const std::vector<std::uint8_t>& m) {
        if (out_.size() >= 16) out_.pop_front();
        out_.push_back(frame(seq_++, ssrc_, m));
    }

    // Sends `message` and keeps resending it on T1 (Hello) or T2 (the initiator's others).
    void send_retransmitted(std::vector<std::uint8_t> m, time_point now, bool hello_timer) {
        last_sent_ = std::move(m);
        interval_ = hello_timer ? std::chrono::milliseconds(50) : std::chrono::milliseconds(150);
        max_interval_ = hello_timer ? std::chrono::milliseconds(200) : std::chrono::milliseconds(1200);
        retries_left_ = hello_timer ? 20 : 10;
        timer_ = now + interval_;
        queue(last_sent_);
    }

    void send_hello(time_point now) { send_retransmitted(our_hello_, now, true); }

    // A response the responder repeats when the initiator's message comes again.
    void respond(std::vector<std::uint8_t> m) {
        last_response_ = std::move(m);
        queue(last_response_);
    }

    void stop_timer() { timer_.reset(); }

    void fail(zrtp_errc e, std::uint32_t code) {
        if (state_ == zrtp_state::failed) return;
        error_ = make_error_code(e);
        state_ = zrtp_state::failed;
        stop_timer();
        if (code) queue(encode(zrtp::error{code}));
        keys_.clear();
    }

    // ---- negotiation (RFC 6189 4.1.2) ----

    // Whether a Hello's list offers `x`; an empty list means the mandatory ones (RFC 6189 5.2).
    static bool lists(const std::vector<type_block>& l, type_block x,
                      std::initializer_list<type_block> mandatory) {
        if (l.empty()) return std::find(mandatory.begin(), mandatory.end(), x) != mandatory.end();
        return std::find(l.begin(), l.end(), x) != l.end();
    }

    // What we would choose as the initiator: our preference among what the peer lists too.
    std::optional<commit> choose(const hello& peer) const {
        commit c;
        c.hash = type_block{"S256"};
        c.cipher = type_block{"AES1"};
        c.sas = type_block{"B32 "};
        if (!lists(peer.hashes, c.hash, {type_block{"S256"}}) ||
            !lists(peer.ciphers, c.cipher, {type_block{"AES1"}}) ||
            !lists(peer.sas_types, c.sas, {type_block{"B32 "}}))
            return std::nullopt;
        bool found = false;
        for (auto k : opts_.key_agreements)
            if (lists(peer.key_agreements, k, {type_block{"DH3k"}}) && key_agreement::from_name(k.view())) {
                c.key_agreement = k;
                found = true;
                break;
            }
        if (!found) return std::nullopt;
        found = false;
        for (auto t : opts_.auth_tags)
            if (lists(peer.auth_tags, t, {type_block{"HS32"}, type_block{"HS80"}})) {
                c.auth_tag = t;
                found = true;
                break;
            }
        if (!found) return std::nullopt;
        return c;
    }

    // The peer's Commit names only what our Hello offered (we are the responder).
    std::uint32_t acceptable(const commit& c) const {
        if (c.mode() != commit_mode::dh) return error_codes::no_shared_secret;
        if (c.hash != type_block{"S256"}) return error_codes::hash_unsupported;
        if (c.cipher != type_block{"AES1"}) return error_codes::cipher_unsupported;
        if (c.sas != type_block{"B32 "}) return error_codes::sas_unsupported;
        // what our Hello lists, and the mandatory ones we implement whatever it lists (5.1)
        if (c.auth_tag != type_block{"HS32"} && c.auth_tag != type_block{"HS80"})
            return error_codes::auth_tag_unsupported;
        if (!key_agreement::from_name(c.key_agreement.view()) ||
            (c.key_agreement != type_block{"DH3k"} &&
             std::find(opts_.key_agreements.begin(), opts_.key_agreements.end(), c.key_agreement) ==
                 opts_.key_agreements.end()))
            return error_codes::key_agreement_unsupported;
        return 0;
    }

    // ---- our DH part ----

    bool make_dh(const commit& c) {
        auto kind = key_agreement::from_name(c.key_agreement.view());
        if (!kind) return false;
        auto ka = key_agreement::generate(*kind);
        if (!ka) return false;
        ka_ = std::move(*ka);
        return true;
    }

    template <message_type Type>
    std::vector<std::uint8_t> our_dh_part() {
        basic_dh_part<Type> d;
        d.h1 = chain_.h1();
        // cacheless: the secret IDs are random (RFC 6189 4.3.1)
        for (auto* id : {&d.rs1_id, &d.rs2_id, &d.aux_secret_id, &d.pbx_secret_id})
            RAND_bytes(id->data(), static_cast<int>(id->size()));
        d.pv = ka_.public_value();
        return with_mac(encode(d), chain_.h0());
    }

    // ---- handling, per message ----

    void handle(hello& h, const std::vector<std::uint8_t>& raw, time_point now) {
        if (h.version != type_block{"1.10"})
            return fail(zrtp_errc::unsupported, error_codes::unsupported_version);
        if (h.zid == zid_) return fail(zrtp_errc::bad_message, error_codes::equal_zids);
        if (peer_hello_.empty()) {
            peer_hello_ = raw;
            peer_ = h;
        } else if (raw != peer_hello_) {
            return; // a different Hello mid-handshake: ignored
        }
        queue(encode(hello_ack{}));
        maybe_commit(now);
    }

    void handle(hello_ack&, const std::vector<std::uint8_t>&, time_point now) {
        if (state_ != zrtp_state::discovery) return;
        hello_acked_ = true;
        if (timer_ && last_sent_ == our_hello_) stop_timer();
        maybe_commit(now);
    }

    // Both Hellos known and ours acknowledged: the initiator commits (RFC 6189 4.1).
    void maybe_commit(time_point now) {
        if (state_ != zrtp_state::discovery || !hello_acked_ || !peer_ || !opts_.may_commit) return;
        auto c = choose(*peer_);
        if (!c) return fail(zrtp_errc::unsupported, error_codes::key_agreement_unsupported);
        if (!make_dh(*c)) return fail(zrtp_errc::crypto_failure, error_codes::critical_software_error);
        agreed_ = *c;
        initiator_ = true;
        dhpart2_ = our_dh_part<message_type::dh_part2>();
        c->h2 = chain_.h2();
        c->zid = zid_;
        c->hvi = compute_hvi(dhpart2_, peer_hello_);
        commit_ = with_mac(encode(*c), chain_.h1());
        our_commit_ = *c;
        state_ = zrtp_state::commit_sent;
        send_retransmitted(commit_, now, false);
    }

    void handle(commit& c, const std::vector<std::uint8_t>& raw, time_point) {
        if (state_ == zrtp_state::dhpart1_sent && raw == commit_) return queue(last_response_); // again
        if (!peer_) return; // a Commit before its Hello: the Hello will come again
        if (state_ == zrtp_state::commit_sent) {
            // both committed: the greater hvi initiates (RFC 6189 4.2)
            if (!std::lexicographical_compare(our_commit_.hvi.begin(), our_commit_.hvi.end(), c.hvi.begin(),
                                              c.hvi.end()))
                return; // ours wins: the peer becomes the responder
            initiator_ = false;
            stop_timer();
        } else if (state_ != zrtp_state::discovery) {
            return;
        }
        // the peer's H2 must hash to its Hello's H3; then its Hello's MAC can be checked
        if (!hash_image_follows(c.h2, peer_->h3) || !check_message_mac(c.h2, peer_hello_))
            return fail(zrtp_errc::bad_mac, 0);
        if (auto code = acceptable(c)) return fail(zrtp_errc::unsupported, code);
        if (!make_dh(c)) return fail(zrtp_errc::crypto_failure, error_codes::critical_software_error);
        initiator_ = false;
        agreed_ = c;
        peer_h2_ = c.h2;
        commit_ = raw;
        hvi_ = c.hvi;
        dhpart1_ = our_dh_part<message_type::dh_part1>();
        state_ = zrtp_state::dhpart1_sent;
        stop_timer(); // our Hello is answered by the Commit itself
        respond(dhpart1_);
    }

    void handle(dh_part1& d, const std::vector<std::uint8_t>& raw, time_point now) {
        if (state_ != zrtp_state::commit_sent) return;
        // H1 of the responder: hash(hash(H1)) is its Hello's H3, and H2 keys its Hello's MAC
        sha256_hash h2 = sha256(d.h1);
        if (!hash_image_follows(h2, peer_->h3) || !check_message_mac(h2, peer_hello_))
            return fail(zrtp_errc::bad_mac, 0);
        peer_h1_ = d.h1;
        dhpart1_ = raw;
        if (!agree(d.pv, peer_hello_, commit_, dhpart1_, dhpart2_, peer_->zid, true)) return;
        state_ = zrtp_state::dhpart2_sent;
        send_retransmitted(dhpart2_, now, false);
    }

    void handle(dh_part2& d, const std::vector<std::uint8_t>& raw, time_point) {
        if (state_ == zrtp_state::confirm1_sent && raw == dhpart2_) return queue(last_response_);
        if (state_ != zrtp_state::dhpart1_sent) return;
        // H1 of the initiator hashes to the H2 of its Commit, and keys its Commit's MAC; hvi
        // binds this DHPart2 to the Commit (RFC 6189 4.4.1.1)
        if (!hash_image_follows(d.h1, peer_h2_) || !check_message_mac(d.h1, commit_))
            return fail(zrtp_errc::bad_mac, 0);
        auto hvi = compute_hvi(raw, our_hello_);
        if (CRYPTO_memcmp(hvi.data(), hvi_.data(), hvi.size()) != 0)
            return fail(zrtp_errc::bad_mac, error_codes::hvi_mismatch);
        peer_h1_ = d.h1;
        dhpart2_ = raw;
        if (!agree(d.pv, our_hello_, commit_, dhpart1_, dhpart2_, peer_->zid, false)) return;
        state_ = zrtp_state::confirm1_sent;
        respond(confirm<message_type::confirm1>(keys_.zrtp_key_r, keys_.mac_key_r));
    }

    void handle(confirm1& c, const std::vector<std::uint8_t>&, time_point now) {
        if (state_ != zrtp_state::dhpart2_sent) return;
        auto h0 = open_confirm(c, keys_.zrtp_key_r, keys_.mac_key_r);
        if (!h0) return;
        // the responder's H0: its DHPart1's MAC key
        if (!hash_image_follows(*h0, peer_h1_) || !check_message_mac(*h0, dhpart1_))
            return fail(zrtp_errc::bad_mac, 0);
        state_ = zrtp_state::confirm2_sent;
        send_retransmitted(confirm<message_type::confirm2>(keys_.zrtp_key_i, keys_.mac_key_i), now, false);
    }

    void handle(confirm2& c, const std::vector<std::uint8_t>& raw, time_point) {
        if (state_ == zrtp_state::secure && !initiator_) {
            if (raw == confirm2_) queue(encode(conf2_ack{})); // our Conf2ACK was lost
            return;
        }
        if (state_ != zrtp_state::confirm1_sent) return;
        auto h0 = open_confirm(c, keys_.zrtp_key_i, keys_.mac_key_i);
        if (!h0) return;
        if (!hash_image_follows(*h0, peer_h1_) || !check_message_mac(*h0, dhpart2_))
            return fail(zrtp_errc::bad_mac, 0);
        confirm2_ = raw;
        state_ = zrtp_state::secure;
        queue(encode(conf2_ack{}));
    }

    void handle(conf2_ack&, const std::vector<std::uint8_t>&, time_point) {
        if (state_ != zrtp_state::confirm2_sent) return;
        state_ = zrtp_state::secure;
        stop_timer();
    }

    void handle(zrtp::error& e, const std::vector<std::uint8_t>&, time_point) {
        queue(encode(error_ack{}));
        if (state_ != zrtp_state::secure) {
            peer_error_ = e.code;
            fail(zrtp_errc::peer_error, 0);
        }
    }

    void handle(go_clear&, const std::vector<std::uint8_t>&, time_point) {
        // we never fall back to clear media (RFC 6189 4.7.2: the A flag is never set by us);
        // before secure, a GoClear means nothing and is ignored
        if (state_ == zrtp_state::secure) queue(encode(zrtp::error{error_codes::go_clear_not_allowed}));
    }

    template <class Other>
    void handle(Other&, const std::vector<std::uint8_t>&, time_point) {} // acks, pings, relays

    // DHResult, total_hash, s0 and every key (RFC 6189 4.4.1.4, 4.5); `peer_zid` the other
    // side's, `as_initiator` says which ZID is ZIDi.
    bool agree(std::span<const std::uint8_t> peer_pv, std::span<const std::uint8_t> responder_hello,
               std::span<const std::uint8_t> commit_msg, std::span<const std::uint8_t> dh1,
               std::span<const std::uint8_t> dh2, const zid_type& peer_zid, bool as_initiator) {
        auto kind = key_agreement::from_name(agreed_.key_agreement.view());
        if (!kind || peer_pv.size() != key_agreement::public_value_size(*kind)) {
            fail(zrtp_errc::bad_public_value, error_codes::bad_public_value);
            return false;
        }
        auto result = ka_.agree(peer_pv);
        if (!result) {
            fail(zrtp_errc::bad_public_value, error_codes::bad_public_value);
            return false;
        }
        auto total = compute_total_hash(responder_hello, commit_msg, dh1, dh2);
        const zid_type& zidi = as_initiator ? zid_ : peer_zid;
        const zid_type& zidr = as_initiator ? peer_zid : zid_;
        auto s0 = compute_s0(*result, zid_view(zidi), zid_view(zidr), total);
        detail::cleanse(*result);
        auto context = kdf_context(zid_view(zidi), zid_view(zidr), total);
        keys_ = derive_session_keys(s0, context, 16);
        OPENSSL_cleanse(s0.data(), s0.size());
        sas_ = sas_b32(keys_.sas_value);
        suite_ = srtp_suite_for(agreed_.cipher.view(), agreed_.auth_tag.view());
        if (!suite_) {
            fail(zrtp_errc::unsupported, error_codes::auth_tag_unsupported);
            return false;
        }
        return true;
    }

    // Confirm1/Confirm2: our H0, encrypted with our ZRTP key, MACed with our HMAC key.
    template <message_type Type>
    std::vector<std::uint8_t> confirm(const std::vector<std::uint8_t>& key,
                                      const std::vector<std::uint8_t>& mac_key) {
        confirm_body body;
        body.h0 = chain_.h0();
        body.cache_expiration = 0; // nothing to retain (RFC 6189 4.9.1)
        basic_encrypted<Type> m;
        RAND_bytes(m.iv.data(), static_cast<int>(m.iv.size()));
        auto enc = cfb_encrypt(key, m.iv, encode_confirm_body(body));
        if (!enc) return {};
        m.encrypted = std::move(*enc);
        m.mac = confirm_mac(mac_key, m.encrypted);
        return encode(m);
    }

    template <message_type Type>
    std::optional<sha256_hash> open_confirm(const basic_encrypted<Type>& c,
                                            const std::vector<std::uint8_t>& key,
                                            const std::vector<std::uint8_t>& mac_key) {
        if (!check_confirm_mac(mac_key, c.encrypted, c.mac)) {
            fail(zrtp_errc::bad_mac, error_codes::bad_confirm_mac);
            return std::nullopt;
        }
        auto plain = cfb_decrypt(key, c.iv, c.encrypted);
        if (!plain) {
            fail(zrtp_errc::crypto_failure, error_codes::critical_software_error);
            return std::nullopt;
        }
        auto body = parse_confirm_body(*plain);
        if (!body) {
            fail(zrtp_errc::bad_message, error_codes::malformed_packet);
            return std::nullopt;
        }
        return body->h0;
    }

    std::uint32_t ssrc_;
    endpoint_options opts_;
    std::uint16_t seq_ = 0;
    zid_type zid_{};
    hash_chain chain_;
    zrtp_state state_ = zrtp_state::idle;
    std::error_code error_;
    std::uint32_t peer_error_ = 0;
    bool initiator_ = false;
    bool hello_acked_ = false;

    std::vector<std::uint8_t> our_hello_, peer_hello_, commit_, dhpart1_, dhpart2_, confirm2_;
    std::optional<hello> peer_;
    commit our_commit_;
    commit agreed_;
    sha256_hash hvi_{};
    sha256_hash peer_h2_{}, peer_h1_{};
    key_agreement ka_;
    session_keys keys_;
    std::optional<srtp::suite> suite_;
    std::string sas_;

    std::deque<std::vector<std::uint8_t>> out_;
    std::vector<std::uint8_t> last_sent_;     // what the timer resends
    std::vector<std::uint8_t> last_response_; // what the responder repeats
    std::optional<time_point> timer_;
    std::chrono::milliseconds interval_{50}, max_interval_{200};
    int retries_left_ = 0;
};

} // namespace tandem::zrtp

#endif
