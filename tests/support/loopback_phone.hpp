#ifndef TANDEM_TESTS_SUPPORT_LOOPBACK_PHONE_HPP
#define TANDEM_TESTS_SUPPORT_LOOPBACK_PHONE_HPP

// Phones on loopback sockets for the media relay tests: one UDP socket each, what it received,
// RTP packets and SDP to offer.

#include <tandem/sdp/session_description.hpp>

#include <catch2/catch.hpp>

#include <asio.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tandem::test {

inline std::string sdp_body(std::initializer_list<std::string_view> lines) {
    std::string s;
    for (auto l : lines) s.append(l).append("\r\n");
    return s;
}

using udp = asio::ip::udp;

// A phone: one socket, what it received.
struct phone {
    explicit phone(asio::io_context& io, const char* address = "127.0.0.1")
        : sock(io, udp::endpoint(asio::ip::make_address(address), 0)) {
        sock.non_blocking(true);
    }
    udp::socket sock;
    std::uint16_t port() const { return sock.local_endpoint().port(); }
    void send(std::uint16_t to, std::vector<std::uint8_t> data) {
        sock.send_to(asio::buffer(data), udp::endpoint(asio::ip::make_address("127.0.0.1"), to));
    }
    std::vector<std::vector<std::uint8_t>> received() {
        std::vector<std::vector<std::uint8_t>> out;
        std::array<std::uint8_t, 2048> buf;
        std::error_code ec;
        while (true) {
            udp::endpoint from;
            std::size_t n = sock.receive_from(asio::buffer(buf), from, 0, ec);
            if (ec) break;
            out.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
        }
        return out;
    }
};

inline std::vector<std::uint8_t> rtp_packet(std::uint8_t pt, std::uint8_t fill, std::uint16_t seq = 1) {
    std::vector<std::uint8_t> p(172, fill);
    p[0] = 0x80;
    p[1] = pt;
    p[2] = static_cast<std::uint8_t>(seq >> 8);
    p[3] = static_cast<std::uint8_t>(seq);
    return p;
}

inline std::string phone_sdp(std::uint16_t port, bool mux = false) {
    return sdp_body({"v=0", "o=p 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
                     "m=audio " + std::to_string(port) + " RTP/AVP 0"}) +
           (mux ? "a=rtcp-mux\r\n" : "");
}

inline std::uint16_t port_in(const std::string& sdp_text) {
    auto sd = tandem::sdp::parse(sdp_text);
    REQUIRE(sd);
    return sd->media.at(0).port;
}

// Runs the relay's handlers until nothing is ready (bounded).
inline void settle(asio::io_context& io) {
    for (int i = 0; i < 50; ++i) {
        io.restart();
        io.poll();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

} // namespace tandem::test

#endif
