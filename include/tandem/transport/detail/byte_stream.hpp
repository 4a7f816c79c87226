#ifndef TANDEM_TRANSPORT_DETAIL_BYTE_STREAM_HPP
#define TANDEM_TRANSPORT_DETAIL_BYTE_STREAM_HPP

#include <tandem/detail/asio_compat.hpp>

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <cstddef>
#include <system_error>
#include <tuple>

namespace tandem::transport::detail {

using io_result = std::tuple<std::error_code, std::size_t>;

/// The byte stream under a stream connection: plain TCP, or TLS over TCP (tls.hpp). One read
/// and one write may be outstanding at a time, as with Asio's own streams.
class byte_stream {
public:
    virtual ~byte_stream() = default;

    /// The TCP socket at the bottom; closing it aborts every pending operation.
    virtual asio::ip::tcp::socket& socket() noexcept = 0;
    virtual asio::awaitable<io_result> read_some(asio::mutable_buffer b) = 0;
    /// Writes all of `b`.
    virtual asio::awaitable<io_result> write(asio::const_buffer b) = 0;
    /// The TLS handshake, in the role the stream was made for; nothing for TCP.
    virtual asio::awaitable<std::tuple<std::error_code>> handshake() { co_return std::error_code{}; }
    /// Whether a read error is the peer's orderly close rather than a failure.
    virtual bool is_orderly_close(const std::error_code& ec) const noexcept { return ec == asio::error::eof; }
    void close() noexcept {
        std::error_code ignored;
        socket().close(ignored);
    }
};

class tcp_byte_stream final : public byte_stream {
public:
    explicit tcp_byte_stream(asio::ip::tcp::socket s) : s_(std::move(s)) {}
    asio::ip::tcp::socket& socket() noexcept override { return s_; }
    asio::awaitable<io_result> read_some(asio::mutable_buffer b) override {
        return s_.async_read_some(b, tandem::detail::nothrow_awaitable);
    }
    asio::awaitable<io_result> write(asio::const_buffer b) override {
        return asio::async_write(s_, b, tandem::detail::nothrow_awaitable);
    }

private:
    asio::ip::tcp::socket s_;
};

} // namespace tandem::transport::detail

#endif
