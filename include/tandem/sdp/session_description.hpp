#ifndef TANDEM_SDP_SESSION_DESCRIPTION_HPP
#define TANDEM_SDP_SESSION_DESCRIPTION_HPP

/// @file SDP session descriptions (RFC 8866, successor of RFC 4566): an owning model, a strict
/// parser and a CRLF serializer.
///
/// Why an owning model rather than views plus a writer: what a B2BUA does with SDP is rewrite
/// it (a media relay changes c= addresses and m= ports, adds or removes a=crypto lines, flips
/// the direction for hold, bumps o= sess-version). With plain `std::string` fields and vectors
/// each of those is one assignment or one `erase`, and the result serializes without any
/// bookkeeping of which view points where. SDP bodies are small (a few hundred octets, the
/// parser refuses more than 64 KiB), so the copies cost nothing worth a more intricate design.

#include <tandem/message/error.hpp>
#include <tandem/result.hpp>
#include <tandem/sdp/error.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::sdp {

/// o= (RFC 8866 5.2). The numbers stay text: sess-id and sess-version are digit strings that
/// implementations fill with 64-bit (or larger) values.
struct origin {
    std::string username = "-";
    std::string sess_id = "0";
    std::string sess_version = "0";
    std::string nettype = "IN";
    std::string addrtype = "IP4";
    std::string unicast_address;

    /// Adds one to sess-version (decimal, any length), as a relay must when it changes the
    /// description it sends (RFC 3264 8).
    void increment_version() {
        for (std::size_t i = sess_version.size(); i-- > 0;) {
            if (sess_version[i] != '9') {
                ++sess_version[i];
                return;
            }
            sess_version[i] = '0';
        }
        sess_version.insert(sess_version.begin(), '1');
    }
    bool operator==(const origin&) const = default;
};

/**
 * c= (RFC 8866 5.7). `address` is the bare address: an IPv4 address, an IPv6 address WITHOUT
 * brackets (RFC 5118 4.6), a domain name, or, for other address types, the text as written.
 * For multicast, `ttl` (IP4 only) and `count` (the number of addresses) are the "/" suffixes.
 */
struct connection {
    std::string nettype = "IN";
    std::string addrtype = "IP4";
    std::string address;
    std::optional<std::uint32_t> ttl;
    std::optional<std::uint32_t> count;

    /// True for the old-style hold address 0.0.0.0 (RFC 3264 8.4 says use a=sendonly instead,
    /// but RFC 2543 implementations still send it).
    bool is_null_hold() const noexcept { return addrtype == "IP4" && address == "0.0.0.0"; }
    bool operator==(const connection&) const = default;
};

/// b=<bwtype>:<bandwidth> (RFC 8866 5.8), e.g. AS:64 (kbit/s), TIAS:64000 (bit/s, RFC 3890).
struct bandwidth {
    std::string type;
    std::uint64_t value = 0;
    bool operator==(const bandwidth&) const = default;
};

/// One time description (RFC 8866 5.9-5.11): t= with its r= lines (kept as text) and the z=
/// line that may follow them (as text). Start and stop are NTP seconds; 0 0 is "unbounded".
struct timing {
    std::uint64_t start = 0;
    std::uint64_t stop = 0;
    std::vector<std::string> repeats;
    std::optional<std::string> zone;
    bool operator==(const timing&) const = default;
};

/// a=<name> (property attribute, `value` empty) or a=<name>:<value> (RFC 8866 5.13).
struct attribute {
    std::string name;
    std::optional<std::string> value;
    bool operator==(const attribute&) const = default;
};

/// The four direction attributes (RFC 8866 6.7, RFC 3264 5.1, 6.1). Absent means sendrecv.
enum class direction { sendrecv, sendonly, recvonly, inactive };

/// "sendrecv", "sendonly", "recvonly" or "inactive".
constexpr std::string_view to_string(direction d) noexcept {
    switch (d) {
    case direction::sendrecv: return "sendrecv";
    case direction::sendonly: return "sendonly";
    case direction::recvonly: return "recvonly";
    case direction::inactive: return "inactive";
    }
    return "sendrecv";
}

/// The direction seen from the other side: sendonly <-> recvonly (RFC 3264 6.1).
constexpr direction reverse(direction d) noexcept {
    if (d == direction::sendonly) return direction::recvonly;
    if (d == direction::recvonly) return direction::sendonly;
    return d;
}

/// @name Attribute lists (session or media level)
/// @{
/// The first attribute named `name` (case-sensitive, RFC 8866 5.13), or nullptr.
TANDEM_DECL const attribute* find_attribute(const std::vector<attribute>& attrs,
                                            std::string_view name) noexcept {
    for (const attribute& a : attrs)
        if (a.name == name) return &a;
    return nullptr;
}
/// Removes every attribute named `name`; returns how many were removed.
TANDEM_DECL std::size_t remove_attributes(std::vector<attribute>& attrs, std::string_view name) {
    return std::erase_if(attrs, [&](const attribute& a) { return a.name == name; });
}
/// The direction attribute of this list (the last one if several), or nothing.
TANDEM_DECL std::optional<direction> find_direction(const std::vector<attribute>& attrs) noexcept {
    std::optional<direction> d;
    for (const attribute& a : attrs) {
        if (a.value) continue;
        if (a.name == "sendrecv")
            d = direction::sendrecv;
        else if (a.name == "sendonly")
            d = direction::sendonly;
        else if (a.name == "recvonly")
            d = direction::recvonly;
        else if (a.name == "inactive")
            d = direction::inactive;
    }
    return d;
}
/// Replaces the direction attributes of this list by one a=<d> line (at the place of the
/// first one removed, else at the end).
TANDEM_DECL void set_direction(std::vector<attribute>& attrs, direction d) {
    std::size_t at = attrs.size();
    for (std::size_t i = attrs.size(); i-- > 0;) {
        const attribute& a = attrs[i];
        if (!a.value &&
            (a.name == "sendrecv" || a.name == "sendonly" || a.name == "recvonly" || a.name == "inactive")) {
            attrs.erase(attrs.begin() + static_cast<std::ptrdiff_t>(i));
            at = i;
        }
    }
    attrs.insert(attrs.begin() + static_cast<std::ptrdiff_t>(at), attribute{std::string(to_string(d)), {}});
}
/// @}

/// m= and the lines of its section (RFC 8866 5.14).
struct media_description {
    std::string media;                       ///< "audio", "video", "application", ...
    std::uint16_t port = 0;                  ///< 0 = stream rejected or disabled (RFC 3264 6, 8.2)
    std::optional<std::uint16_t> port_count; ///< the "/<number of ports>" suffix
    std::string proto;                       ///< "RTP/AVP", "RTP/SAVP", "UDP/TLS/RTP/SAVPF", ...
    std::vector<std::string> formats;        ///< payload types for RTP, else as the proto defines
    std::optional<std::string> information;  ///< i=
    std::vector<connection> connections;     ///< c= (several for layered multicast)
    std::vector<bandwidth> bandwidths;       ///< b=
    std::optional<std::string> key;          ///< k= (obsolete, RFC 8866 5.12)
    std::vector<attribute> attributes;       ///< a=

    bool operator==(const media_description&) const = default;
};

/**
 * A session description (RFC 8866 5).
 *
 * @par Example: what a media relay does to an offer
 * @code
 * auto sd = tandem::sdp::parse(body);
 * if (!sd) return sd.error();
 * sd->connection->address = "203.0.113.7";
 * sd->media[0].port = 40000;
 * tandem::sdp::remove_attributes(sd->media[0].attributes, "crypto");
 * sd->origin.increment_version();
 * std::string out = sd->to_string();
 * @endcode
 */
struct session_description {
    int version = 0;                           ///< v= (always 0)
    sdp::origin origin;                        ///< o=
    std::string session_name = "-";            ///< s= (may be empty: RFC 5118 4.7 sends "s=")
    std::optional<std::string> information;    ///< i=
    std::optional<std::string> uri;            ///< u=
    std::vector<std::string> emails;           ///< e=
    std::vector<std::string> phones;           ///< p=
    std::optional<sdp::connection> connection; ///< session-level c=
    std::vector<bandwidth> bandwidths;         ///< b=
    std::vector<timing> timings{timing{}};     ///< t= (at least one), with r= and z=
    std::optional<std::string> key;            ///< k= (obsolete)
    std::vector<attribute> attributes;         ///< session-level a=
    std::vector<media_description> media;      ///< m= sections

    bool operator==(const session_description&) const = default;

    /// The direction of media section `m`: its own attribute, else the session-level one,
    /// else sendrecv (RFC 8866 6.7: a media-level direction overrides the session-level one).
    direction media_direction(const media_description& m) const noexcept {
        if (auto d = find_direction(m.attributes)) return *d;
        return find_direction(attributes).value_or(direction::sendrecv);
    }
    /// The connection data that applies to media section `m`: its first c=, else the
    /// session-level c= (RFC 8866 5.7), else nullptr.
    const sdp::connection* media_connection(const media_description& m) const noexcept {
        if (!m.connections.empty()) return &m.connections.front();
        return connection ? &*connection : nullptr;
    }

    /// Writes the description with CRLF line ends, appending to `out`, in the order of
    /// RFC 8866 5. `parse(to_string())` gives back an equal object for every parsed object.
    TANDEM_DECL void serialize_to(std::string& out) const;
    std::string to_string() const {
        std::string s;
        serialize_to(s);
        return s;
    }
};

/// Limits of the parser. The defaults are far above any real description.
struct parse_options {
    std::size_t max_size = 65536;
    std::size_t max_lines = 1024;
    std::size_t max_media = 64;
};

/**
 * Parses a session description (RFC 8866).
 *
 * Strict on structure: `<type>=<value>` with no blank around '=', one known lower-case type
 * letter, the line order of RFC 8866 5 (v= o= s= [i=] [u=] e=* p=* [c=] b=* (t= r=* [z=])+
 * [k=] a=* then per media m= [i=] c=* b=* [k=] a=*), an m= section either with c= or under a
 * session-level c=. Lines end in CRLF or LF (RFC 8866 5 permits a bare LF on input); the last
 * line may lack its line end and trailing empty lines are ignored. A NUL or a bare CR anywhere
 * is refused. Trailing blanks after the fields of v=, o=, c=, b=, t= and m= are tolerated;
 * text values (s=, i=, a= values, ...) are kept exactly.
 *
 * @returns the description, or an `sdp_errc`.
 */
TANDEM_DECL result<session_description> parse(std::string_view text, const parse_options& opts = {});

/// @name Attribute values (views into the attribute's value; valid while it lives)
/// @{

/// a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>] (RFC 8866 6.6).
struct rtpmap {
    std::uint8_t payload_type = 0;
    std::string_view encoding_name;
    std::uint32_t clock_rate = 0;
    std::string_view encoding_parameters; ///< e.g. the channel count for audio; "" if none
};
/// Parses the value of an a=rtpmap attribute.
TANDEM_DECL result<rtpmap> parse_rtpmap(std::string_view value) noexcept;

/// a=fmtp:<format> <format specific parameters> (RFC 8866 6.15), parameters kept as text.
struct fmtp {
    std::string_view format;
    std::string_view parameters;
};
/// Parses the value of an a=fmtp attribute.
TANDEM_DECL result<fmtp> parse_fmtp(std::string_view value) noexcept;

/// a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605).
struct rtcp {
    std::uint16_t port = 0;
    std::string_view nettype;
    std::string_view addrtype;
    std::string_view address;
};
/// Parses the value of an a=rtcp attribute.
TANDEM_DECL result<rtcp> parse_rtcp(std::string_view value) noexcept;

/// a=crypto:<tag> <crypto-suite> <key-params> [<session-params>] (RFC 4568 9.1), kept as
/// text: a relay that terminates SRTP replaces the whole line, it does not edit keys.
struct crypto {
    std::uint32_t tag = 0;
    std::string_view suite;          ///< e.g. AES_CM_128_HMAC_SHA1_80
    std::string_view key_params;     ///< e.g. inline:<base64 key||salt>[|lifetime][|MKI:len]
    std::string_view session_params; ///< the rest of the line, "" if none
};
/// Parses the value of an a=crypto attribute.
TANDEM_DECL result<crypto> parse_crypto(std::string_view value) noexcept;

/// The rtpmap of payload type `pt` in media section `m`, or nothing (static payload types
/// such as 0 = PCMU need none, RFC 3551 6).
TANDEM_DECL std::optional<rtpmap> find_rtpmap(const media_description& m, std::uint8_t pt) noexcept;
/// @}

} // namespace tandem::sdp

#include <tandem/sdp/impl/session_description.hpp>

#endif
