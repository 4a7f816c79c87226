#ifndef TANDEM_MESSAGE_METHOD_HPP
#define TANDEM_MESSAGE_METHOD_HPP

#include <tandem/config.hpp>

#include <cstdint>
#include <string_view>

namespace tandem::message {

/**
 * The SIP methods Tandem knows by name (RFC 3261 plus the extensions a B2BUA meets).
 *
 * Methods are case-sensitive (RFC 3261 7.1): `invite` is an unknown method, not INVITE.
 * Any other token is `method_id::unknown`; its text stays available from the message.
 */
enum class method_id : std::uint8_t {
    unknown,
    invite,
    ack,
    bye,
    cancel,
    options,
    register_,
    prack,     ///< RFC 3262
    subscribe, ///< RFC 6665
    notify,    ///< RFC 6665
    publish,   ///< RFC 3903
    info,      ///< RFC 6086
    refer,     ///< RFC 3515
    message,   ///< RFC 3428
    update,    ///< RFC 3311
};

/// The method's name as written on the wire ("INVITE"), or "" for `unknown`.
constexpr std::string_view to_string(method_id m) noexcept {
    switch (m) {
    case method_id::invite: return "INVITE";
    case method_id::ack: return "ACK";
    case method_id::bye: return "BYE";
    case method_id::cancel: return "CANCEL";
    case method_id::options: return "OPTIONS";
    case method_id::register_: return "REGISTER";
    case method_id::prack: return "PRACK";
    case method_id::subscribe: return "SUBSCRIBE";
    case method_id::notify: return "NOTIFY";
    case method_id::publish: return "PUBLISH";
    case method_id::info: return "INFO";
    case method_id::refer: return "REFER";
    case method_id::message: return "MESSAGE";
    case method_id::update: return "UPDATE";
    case method_id::unknown: break;
    }
    return {};
}

/// Maps a method token to its id (exact, case-sensitive match).
constexpr method_id to_method(std::string_view s) noexcept {
    switch (s.size()) {
    case 3:
        if (s == "ACK") return method_id::ack;
        if (s == "BYE") return method_id::bye;
        break;
    case 4:
        if (s == "INFO") return method_id::info;
        break;
    case 5:
        if (s == "PRACK") return method_id::prack;
        if (s == "REFER") return method_id::refer;
        break;
    case 6:
        if (s == "INVITE") return method_id::invite;
        if (s == "CANCEL") return method_id::cancel;
        if (s == "NOTIFY") return method_id::notify;
        if (s == "UPDATE") return method_id::update;
        break;
    case 7:
        if (s == "OPTIONS") return method_id::options;
        if (s == "PUBLISH") return method_id::publish;
        if (s == "MESSAGE") return method_id::message;
        break;
    case 8:
        if (s == "REGISTER") return method_id::register_;
        break;
    case 9:
        if (s == "SUBSCRIBE") return method_id::subscribe;
        break;
    default: break;
    }
    return method_id::unknown;
}

} // namespace tandem::message

#endif
