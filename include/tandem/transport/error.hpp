#ifndef TANDEM_TRANSPORT_ERROR_HPP
#define TANDEM_TRANSPORT_ERROR_HPP

/// @file Why a transport operation failed or a stream connection was closed (category `"tandem.transport"`).
///
/// Each module keeps its error enum in its own `error.hpp` (as Beast does): the enum, its
/// category, `make_error_code` found by ADL, and `std::is_error_code_enum`.

#include <tandem/config.hpp>

#include <string>
#include <system_error>

namespace tandem {

/**
 * Why a transport operation failed or a stream connection was closed (category
 * `"tandem.transport"`).
 *
 * Operating-system errors of the sockets themselves (a refused bind, a send buffer that is
 * full) are reported as the `std::system_category` codes Asio gives; these values name what
 * the transport decided on its own.
 */
enum class transport_errc {
    closed = 1,           ///< the connection or transport is closed (or the peer closed it)
    connect_failed,       ///< no TCP connection could be established (refused, unreachable, timeout)
    idle_timeout,         ///< a stream connection carried no traffic for the idle timeout
    message_too_large,    ///< a framed message exceeded the configured maximum size
    framing_error,        ///< the byte stream could not be cut into SIP messages (RFC 3261 18.3)
    tls_handshake_failed, ///< the TLS handshake failed (including certificate verification)
    bad_listen_spec,      ///< a listen specification such as "udp:127.0.0.1:5060" did not parse
    queue_full,           ///< more bytes were queued on a connection than it may buffer
};

/// The category of `transport_errc`, named `"tandem.transport"`.
TANDEM_DECL const std::error_category& transport_category() noexcept {
    struct category final : std::error_category {
        const char* name() const noexcept override { return "tandem.transport"; }
        std::string message(int ev) const override {
            switch (static_cast<transport_errc>(ev)) {
            case transport_errc::closed: return "connection closed";
            case transport_errc::connect_failed: return "connection could not be established";
            case transport_errc::idle_timeout: return "connection idle for too long";
            case transport_errc::message_too_large: return "message too large";
            case transport_errc::framing_error: return "stream framing error";
            case transport_errc::tls_handshake_failed: return "TLS handshake failed";
            case transport_errc::bad_listen_spec: return "bad listen specification";
            case transport_errc::queue_full: return "send queue full";
            }
            return "unknown tandem.transport error";
        }
    };
    static const category c;
    return c;
}

/// Makes `transport_errc` usable as `std::error_code` (found by ADL).
TANDEM_DECL std::error_code make_error_code(transport_errc e) noexcept {
    return {static_cast<int>(e), transport_category()};
}

} // namespace tandem

template <>
struct std::is_error_code_enum<tandem::transport_errc> : std::true_type {};

#endif
