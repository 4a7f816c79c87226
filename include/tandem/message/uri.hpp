#ifndef TANDEM_MESSAGE_URI_HPP
#define TANDEM_MESSAGE_URI_HPP

/// @file
/// URIs as they appear in SIP messages: SIP and SIPS URIs (RFC 3261 section 19.1, ABNF in
/// section 25.1), tel URIs (RFC 3966) and any other absolute URI (RFC 3261 25.1 `absoluteURI`),
/// parsed into views without copying, and compared by the rules of RFC 3261 section 19.1.4.

#include <tandem/config.hpp>
#include <tandem/message/error.hpp>
#include <tandem/result.hpp>
#include <tandem/message/detail/abnf.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tandem::message {

/// The scheme of a URI, as far as SIP cares. The text as written is in `uri::scheme_text`.
enum class uri_scheme : std::uint8_t {
    sip,   ///< `sip:` (RFC 3261 19.1.1)
    sips,  ///< `sips:` (RFC 3261 19.1.1, 26.2.2)
    tel,   ///< `tel:` (RFC 3966)
    other, ///< any other absolute URI; its body is kept opaque in `uri::opaque`
};

/// What the host part of a SIP or SIPS URI holds (RFC 3261 25.1 `host`).
enum class host_kind : std::uint8_t {
    none, ///< no host: tel and other URIs
    name, ///< `hostname`, such as `atlanta.com` or `example.com.`
    ipv4, ///< `IPv4address`, such as `192.0.2.4`
    ipv6, ///< `IPv6reference`; `uri::host` keeps the brackets: `[2001:db8::1]`
};

/**
 * A parsed URI: views into the text it was parsed from (zero copy). Cheap to copy.
 *
 * Every view points into the string given to `parse_uri`, which must outlive the `uri`.
 * Escapes (`%` HEX HEX) are kept as written; use `unescape` to decode a component and
 * `equivalent` to compare two URIs.
 *
 * Which fields are set depends on the scheme:
 *
 * | field      | sip / sips                       | tel                              | other            |
 * |------------|----------------------------------|----------------------------------|------------------|
 * | `user`     | user part of userinfo, if any    | the number (global or local)     | empty            |
 * | `password` | after the first `:` of userinfo  | empty                            | empty            |
 * | `host`     | hostname, IPv4 or `[IPv6]`       | empty                            | empty            |
 * | `port`     | if `has_port`                    | 0                                | 0                |
 * | `params`   | uri-parameters (`;...`)          | the tel parameters (`;...`)      | empty            |
 * | `headers`  | after `?`, without the `?`       | empty                            | empty            |
 * | `opaque`   | empty                            | empty                            | after `scheme:`  |
 */
struct uri {
    /// The scheme, case-folded: `SIP:` gives `uri_scheme::sip`.
    uri_scheme scheme = uri_scheme::other;
    /// The scheme as written, without the colon: `"SIP"`, `"sip"`, `"tel"`, `"http"`, ...
    std::string_view scheme_text;
    /// The user part of the userinfo (RFC 3261 25.1 `user` / `telephone-subscriber`), raw,
    /// escapes kept. For a tel URI: the telephone number, visual separators kept
    /// (`+1-201-555-0123`).
    std::string_view user;
    /// The password of the userinfo, raw, escapes kept. May be empty while `has_password`.
    std::string_view password;
    /// True when the URI has a userinfo (and so a non-empty `user`). Always true for tel.
    bool has_user = false;
    /// True when the userinfo has a `:` password part (possibly empty).
    bool has_password = false;
    /// The host as written (escapes cannot occur in a host). Brackets kept for IPv6.
    std::string_view host;
    /// What kind of host `host` is; `host_kind::none` for tel and other URIs.
    host_kind host_type = host_kind::none;
    /// The port; meaningful only when `has_port`.
    std::uint16_t port = 0;
    /// True when a port was written (`sip:a@b:5060`). An absent port is not the same as an
    /// explicit 5060 for `equivalent` (RFC 3261 19.1.4).
    bool has_port = false;
    /// The parameter section, starting at its first `;` (`;transport=tcp;lr`); raw, escapes
    /// kept. URI parameters for sip/sips, the tel parameters for tel.
    detail::param_list params;
    /// The header section after `?`, without the `?` (`subject=hi&priority=urgent`); raw.
    std::string_view headers;
    /// For `uri_scheme::other`: everything after `scheme:`, raw.
    std::string_view opaque;
    /// The whole URI as parsed.
    std::string_view text;

    /**
     * The value of the URI parameter `name`, raw (escapes kept), or an empty view when the
     * parameter is absent or has no value.
     *
     * Names are compared case-insensitively and after unescaping (`;%6C%72` is `lr`, RFC
     * 4475 3.1.1.3). Use `has_param` to tell an absent parameter from one without a value.
     */
    TANDEM_DECL std::string_view param(std::string_view name) const noexcept;

    /// True when the URI parameter `name` is present, with or without a value (matching as
    /// in `param`).
    TANDEM_DECL bool has_param(std::string_view name) const noexcept;

    /// The `transport` parameter (RFC 3261 19.1.1: `udp`, `tcp`, `sctp`, `tls`, other), raw,
    /// or empty. Compare with `detail::iequals`: transport names are case-insensitive.
    std::string_view transport() const noexcept { return param("transport"); }

    /// True when the URI carries the `lr` parameter (loose routing, RFC 3261 16.12.1.1).
    bool lr() const noexcept { return has_param("lr"); }

    /// The `maddr` parameter (RFC 3261 19.1.1), raw, or empty.
    std::string_view maddr() const noexcept { return param("maddr"); }

    /// The `user` parameter (`phone`, `ip`, RFC 3261 19.1.1), raw, or empty.
    std::string_view user_param() const noexcept { return param("user"); }

    /// True for `sip:` and `sips:` URIs.
    bool is_sip() const noexcept { return scheme == uri_scheme::sip || scheme == uri_scheme::sips; }
};

/// Options of `parse_uri`.
struct uri_options {
    /**
     * Whether a `?headers` section is accepted in a SIP or SIPS URI. The Request-URI must not
     * carry headers (RFC 3261 19.1.1, table 1; RFC 4475 3.1.2.11 "escruri"), so the request
     * line parser passes `false`. Has no effect on other schemes, whose `?` is part of
     * `uri::opaque`.
     */
    bool allow_headers = true;

    /**
     * The most parameters (`;name[=value]`) a URI may carry; more is `parse_errc::bad_uri`.
     * Real URIs carry a handful. The bound keeps `equivalent`, which matches parameters
     * pairwise without allocating, linear in the length of the URIs instead of quadratic
     * in attacker-controlled input.
     */
    std::size_t max_params = 64;

    /// The most `?` header fields a SIP or SIPS URI may carry, for the same reason.
    std::size_t max_headers = 64;
};

/**
 * Parses `text` as one URI.
 *
 * The text must be the URI alone: no surrounding blanks and no `<` `>` (a name-addr's caller
 * strips those). Accepted forms:
 *
 * - `sip:` / `sips:` (scheme case-insensitive): RFC 3261 25.1 `SIP-URI`, strictly, except
 *   that the RFC 5118 4.10 three-colon IPv6 form (`[2001:db8:::192.0.2.1]`) is tolerated and
 *   read as `[2001:db8::192.0.2.1]`. The userinfo ends at the first `@`: no `@` may occur
 *   unescaped in a userinfo, while `;`, `?` and `/` may (RFC 4475 3.1.1.9 "semiuri":
 *   `sip:user;par=u%40example.net@example.com` has user `user;par=u%40example.net`).
 * - `tel:` (RFC 3966 3): a global number (`+` and digits, with visual separators `-.()`) or a
 *   local number (hex digits, `*`, `#`, separators), which then needs `;phone-context=`,
 *   followed by parameters.
 * - any other `scheme ":" 1*( uric / "[" / "]" )` (RFC 3261 25.1 `absoluteURI`), kept opaque:
 *   `nobodyKnowsThisScheme:totallyopaque`, `soap.beep://192.0.2.103:3002`, `isbn:2983792873`.
 *
 * Rejected, among others: blanks anywhere, bad escapes (`%4`, `%GG`), an empty user
 * (`sip:@host`), an empty or malformed host, an IPv6 address without brackets
 * (`sip:2001:db8::10`, RFC 5118 4.2), a port that is empty, not all digits or above 65535,
 * an empty parameter (`;;`) or parameter value (`;a=`), headers when `!opts.allow_headers`,
 * and more parameters or headers than `opts.max_params` / `opts.max_headers`.
 *
 * Runs in time linear in `text.size()`, never reads outside `text`, never allocates and
 * never throws.
 *
 * @param text The URI. Views into it are returned: it must outlive the result.
 * @param opts See `uri_options`.
 * @return The parsed URI, or `parse_errc::bad_uri`.
 */
TANDEM_DECL result<uri> parse_uri(std::string_view text, const uri_options& opts = {}) noexcept;

/**
 * URI equivalence.
 *
 * - **sip / sips** (RFC 3261 19.1.4): the schemes must be the same (a SIP URI never equals
 *   a SIPS URI). The userinfo is compared case-sensitively; the host case-insensitively,
 *   IPv4 and IPv6 addresses as addresses (`[2001:DB8::1]` equals `[2001:db8:0::1]`, RFC
 *   5954 4.2). An absent port differs from any explicit port. The `user`, `ttl`, `method`,
 *   `maddr` and `transport` parameters must be in both or in neither; any parameter present
 *   in both must have equal values (names and values case-insensitive); other parameters
 *   present in only one are ignored. Headers must be present in both and match as sets (names
 *   case-insensitive, values case-sensitive), in any order.
 * - **tel** (RFC 3966 4): both global or both local, equal digits once visual separators are
 *   removed, and the same set of parameters with equal values (`phone-context` and `ext`
 *   compared without visual separators); case-insensitive.
 * - **other**: case-insensitive scheme and byte-equal `opaque`.
 *
 * Escapes: an escaped character equals the character itself unless it is in the RFC 3261
 * `reserved` set (`;/?:@&=+$,`); as 19.1.4 says, "characters other than those in the
 * reserved set are equivalent to their %HEX HEX encoding". So `%61lice` equals `alice`, but
 * `a%2Bb` does not equal `a+b`. Hex digits in escapes are case-insensitive.
 *
 * Never allocates: escapes are decoded on the fly. The relation is reflexive for every URI
 * returned by `parse_uri`, and symmetric. As the RFC notes, it is not transitive
 * (`;security=on` and `;security=off` each equal the URI without the parameter).
 */
TANDEM_DECL bool equivalent(const uri& a, const uri& b) noexcept;

/**
 * Percent-decodes `in` (RFC 3261 25.1 `escaped`) into `out`.
 *
 * @param in  Text that may contain `%` HEX HEX escapes; other characters are copied as is.
 * @param out A buffer of at least `in.size()` chars. It may be `in.data()` itself (decoding
 *            in place), since the output is never longer than the input read so far.
 * @return The number of chars written, or -1 when `in` holds a `%` not followed by two hex
 *         digits (then `out` holds a partial result).
 */
TANDEM_DECL std::ptrdiff_t unescape(std::string_view in, char* out) noexcept;

} // namespace tandem::message

#include <tandem/message/impl/uri.hpp>

#endif
