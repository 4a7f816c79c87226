#ifndef TANDEM_TRANSPORT_TLS_HPP
#define TANDEM_TRANSPORT_TLS_HPP

/// @file SIP over TLS (RFC 3261 26.2, RFC 5630): the OpenSSL side of `stream_transport`. Compiled
/// only with `TANDEM_HAS_TLS`; without it, constructing a TLS transport throws.

#include <tandem/config.hpp>
#include <tandem/transport/transport.hpp>
#include <tandem/transport/detail/byte_stream.hpp>

#include <asio/ip/tcp.hpp>

#include <memory>
#include <stdexcept>
#include <string>

#if TANDEM_HAS_TLS
#include <asio/ssl.hpp>
#endif

namespace tandem::transport::detail {

#if TANDEM_HAS_TLS

class tls_byte_stream final : public byte_stream {
public:
    tls_byte_stream(asio::ip::tcp::socket s, asio::ssl::context& ctx,
                    asio::ssl::stream_base::handshake_type role)
        : s_(std::move(s), ctx), role_(role) {}
    asio::ssl::stream<asio::ip::tcp::socket>& ssl() noexcept { return s_; }
    asio::ip::tcp::socket& socket() noexcept override { return s_.next_layer(); }
    asio::awaitable<io_result> read_some(asio::mutable_buffer b) override {
        return s_.async_read_some(b, tandem::detail::nothrow_awaitable);
    }
    asio::awaitable<io_result> write(asio::const_buffer b) override {
        return asio::async_write(s_, b, tandem::detail::nothrow_awaitable);
    }
    asio::awaitable<std::tuple<std::error_code>> handshake() override {
        return s_.async_handshake(role_, tandem::detail::nothrow_awaitable);
    }
    // A peer that closes TCP without close_notify ends the stream as well as one that sends it:
    // SIP framing (Content-Length) already protects against truncation.
    bool is_orderly_close(const std::error_code& ec) const noexcept override {
        return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
    }

private:
    asio::ssl::stream<asio::ip::tcp::socket> s_;
    asio::ssl::stream_base::handshake_type role_;
};

/// The TLS context of one transport and the streams made from it.
class tls_engine {
public:
    /// Loads the certificate, key and CA files; throws `std::system_error` when one is unusable.
    explicit tls_engine(const tls_options& o) : ctx_(asio::ssl::context::tls), verify_peer_(o.verify_peer) {
        ctx_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1);
        if (!o.certificate_file.empty()) {
            ctx_.use_certificate_chain_file(o.certificate_file);
            ctx_.use_private_key_file(o.private_key_file.empty() ? o.certificate_file : o.private_key_file,
                                      asio::ssl::context::pem);
            can_serve_ = true;
        }
        if (!o.ca_file.empty())
            ctx_.load_verify_file(o.ca_file);
        else if (verify_peer_)
            ctx_.set_default_verify_paths();
    }

    /// Whether a certificate and key were given, so that the transport can accept connections.
    bool can_serve() const noexcept { return can_serve_; }

    std::unique_ptr<byte_stream> server_stream(asio::ip::tcp::socket s) {
        auto out = std::make_unique<tls_byte_stream>(std::move(s), ctx_, asio::ssl::stream_base::server);
        out->ssl().set_verify_mode(asio::ssl::verify_none); // no client certificates
        return out;
    }

    /// A client stream that checks the server's certificate against `server_name` (a host name,
    /// also sent as SNI) or, when it is empty, against the IP address of `remote` (RFC 5922 7.2).
    std::unique_ptr<byte_stream> client_stream(asio::ip::tcp::socket s, const std::string& server_name,
                                               const address& remote) {
        auto out = std::make_unique<tls_byte_stream>(std::move(s), ctx_, asio::ssl::stream_base::client);
        auto& ssl = out->ssl();
        std::error_code ec;
        bool literal = server_name.empty() || (asio::ip::make_address(server_name, ec), !ec);
        if (verify_peer_) {
            ssl.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
            ssl.set_verify_callback(
                asio::ssl::host_name_verification(server_name.empty() ? remote.ip.to_string() : server_name));
        } else {
            ssl.set_verify_mode(asio::ssl::verify_none);
        }
        // SNI carries host names only (RFC 6066 3). SSL_set_tlsext_host_name is a macro with a
        // C-style cast; this is its expansion.
        if (!literal) {
            SSL_ctrl(ssl.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                     const_cast<char*>(server_name.c_str()));
        }
        return out;
    }

private:
    asio::ssl::context ctx_;
    bool verify_peer_ = true;
    bool can_serve_ = false;
};

#else // !TANDEM_HAS_TLS

/// Without TLS support: constructing the engine (a TLS transport) throws.
class tls_engine {
public:
    explicit tls_engine(const tls_options&) {
        throw std::invalid_argument("tandem: built without TLS support (TANDEM_HAS_TLS)");
    }
    bool can_serve() const noexcept { return false; }
    std::unique_ptr<byte_stream> server_stream(asio::ip::tcp::socket) { return nullptr; }
    std::unique_ptr<byte_stream> client_stream(asio::ip::tcp::socket, const std::string&, const address&) {
        return nullptr;
    }
};

#endif

} // namespace tandem::transport::detail

#endif
