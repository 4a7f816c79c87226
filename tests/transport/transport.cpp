#include <tandem/transport/transport.hpp>

#include <tandem/transport/stream.hpp>
#include <tandem/transport/tls.hpp>
#include <tandem/transport/udp.hpp>

#include <asio.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

using namespace std::chrono_literals;
using namespace tandem::transport;
using tandem::result;
using tandem::transport_errc;

namespace {

std::string options(std::string body = {}) {
    return "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
           "To: <sip:a@example.com>\r\nFrom: <sip:b@example.com>;tag=x\r\nCall-ID: c\r\n"
           "CSeq: 1 OPTIONS\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

address loopback(const char* ip, std::uint16_t port = 0) { return {asio::ip::make_address(ip), port}; }

/// Runs `io` until `done()` holds or `limit` passes (never hangs); returns `done()`.
bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds limit = 5s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= end) return false;
        io.restart();
        io.run_for(5ms);
    }
    return true;
}

/// Records what a transport reports.
struct recorder {
    std::vector<inbound> messages;
    std::vector<std::pair<std::uint64_t, std::error_code>> closed;
    std::exception_ptr failure;
    bool run_returned = false;

    handler make() {
        handler h;
        h.on_message = [this](inbound&& m) { messages.push_back(std::move(m)); };
        h.on_closed = [this](std::uint64_t id, std::error_code ec) { closed.emplace_back(id, ec); };
        return h;
    }
    auto completion() {
        return [this](std::exception_ptr e) {
            failure = e;
            run_returned = true;
        };
    }
};

template <class Transport>
void start(asio::io_context& io, Transport& t, recorder& r) {
    handler h = r.make();
    asio::co_spawn(io, t.run(std::move(h)), r.completion());
}

/// A plain Asio TCP socket playing the peer, writing raw bytes.
struct raw_peer {
    asio::ip::tcp::socket socket;
    std::string received;
    std::error_code read_error;
    bool reading = false;

    raw_peer(asio::io_context& io, const address& to) : socket(io) {
        socket.connect(asio::ip::tcp::endpoint(to.ip, to.port));
    }
    address local() const {
        auto ep = socket.local_endpoint();
        return {ep.address(), ep.port()};
    }
    void write(std::string_view bytes) { asio::write(socket, asio::buffer(bytes.data(), bytes.size())); }
    /// Keeps reading into `received` until an error (EOF included) lands in `read_error`.
    void start_reading() {
        reading = true;
        auto buf = std::make_shared<std::array<char, 4096>>();
        socket.async_read_some(asio::buffer(*buf), [this, buf](std::error_code ec, std::size_t n) {
            if (ec) {
                read_error = ec;
                reading = false;
                return;
            }
            received.append(buf->data(), n);
            start_reading();
        });
    }
};

asio::awaitable<void> connect_into(stream_transport& t, address to, std::string name,
                                   std::vector<result<std::uint64_t>>& out) {
    result<std::uint64_t> r = co_await t.connect(to, std::move(name));
    out.push_back(r);
}

void spawn_connect(asio::io_context& io, stream_transport& t, const address& to, std::string name,
                   std::vector<result<std::uint64_t>>& out) {
    asio::co_spawn(io, connect_into(t, to, std::move(name), out), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    });
}

result<std::uint64_t> connect_now(asio::io_context& io, stream_transport& t, const address& to,
                                  std::string name = {}) {
    std::vector<result<std::uint64_t>> out;
    spawn_connect(io, t, to, std::move(name), out);
    REQUIRE(run_until(io, [&] { return !out.empty(); }));
    return out.front();
}

} // namespace

// ---- vocabulary ---------------------------------------------------------------------------------

TEST_CASE("transport names and addresses print as in Via", "[transport][unit]") {
    CHECK(to_string(kind::udp) == "UDP");
    CHECK(to_string(kind::tcp) == "TCP");
    CHECK(to_string(kind::tls) == "TLS");
    CHECK(to_string(loopback("192.0.2.1", 5060)) == "192.0.2.1:5060");
    CHECK(to_string(loopback("::1", 5060)) == "[::1]:5060");
}

TEST_CASE("listen specifications parse", "[transport][unit]") {
    auto udp = parse_listen_spec("udp:127.0.0.1:5070");
    REQUIRE(udp);
    CHECK(udp->transport == kind::udp);
    CHECK(udp->local == loopback("127.0.0.1", 5070));

    auto tcp6 = parse_listen_spec("TCP:[::1]:5071");
    REQUIRE(tcp6);
    CHECK(tcp6->transport == kind::tcp);
    CHECK(tcp6->local == loopback("::1", 5071));

    auto tls = parse_listen_spec("tls:127.0.0.1");
    REQUIRE(tls);
    CHECK(tls->transport == kind::tls);
    CHECK(tls->local.port == 5061);

    CHECK(parse_listen_spec("udp:0.0.0.0")->local.port == 5060);
    CHECK(parse_listen_spec("tcp:[::]")->local == loopback("::", 5060));
    CHECK(parse_listen_spec("udp:::1")->local == loopback("::1", 5060));

    for (const char* bad :
         {"", "udp", "sctp:127.0.0.1", "udp:", "udp:localhost:5060", "udp:127.0.0.1:", "udp:127.0.0.1:65536",
          "udp:127.0.0.1:50x", "tcp:[::1", "tcp:[::1]5060", "tcp:[]:1"}) {
        INFO(bad);
        auto r = parse_listen_spec(bad);
        CHECK(r.error() == transport_errc::bad_listen_spec);
    }
    CHECK(std::error_code(transport_errc::idle_timeout).category().name() == std::string("tandem.transport"));
}

// ---- UDP ----------------------------------------------------------------------------------------

TEST_CASE("UDP datagrams go both ways, on IPv4 and IPv6", "[transport][asio]") {
    const char* ip = GENERATE("127.0.0.1", "::1");
    INFO(ip);
    asio::io_context io;
    udp_transport a(io.get_executor(), loopback(ip));
    udp_transport b(io.get_executor(), loopback(ip));
    CHECK(a.local_address().port != 0);
    CHECK(a.local_address().ip == asio::ip::make_address(ip));
    recorder ra, rb;
    start(io, a, ra);
    start(io, b, rb);

    CHECK(!a.send("\r\n\r\n", b.local_address())); // keep-alive: dropped by b
    CHECK(!a.send("", b.local_address()));
    CHECK(!a.send(options("hello"), b.local_address()));
    REQUIRE(run_until(io, [&] { return rb.messages.size() == 1; }));
    CHECK(rb.messages[0].bytes == options("hello"));
    CHECK(rb.messages[0].transport == kind::udp);
    CHECK(rb.messages[0].remote == a.local_address());
    CHECK(rb.messages[0].local == b.local_address());
    CHECK(rb.messages[0].connection == 0);

    CHECK(!b.send(options(), rb.messages[0].remote));
    REQUIRE(run_until(io, [&] { return ra.messages.size() == 1; }));
    CHECK(ra.messages[0].bytes == options());

    io.restart();
    io.run_for(20ms);
    CHECK(rb.messages.size() == 1); // the keep-alives never showed up

    a.close();
    b.close();
    REQUIRE(run_until(io, [&] { return ra.run_returned && rb.run_returned; }));
    CHECK(!ra.failure);
    CHECK(a.send("x", b.local_address()) == transport_errc::closed);
}

TEST_CASE("UDP bind errors throw", "[transport][asio]") {
    asio::io_context io;
    udp_transport a(io.get_executor(), loopback("127.0.0.1"));
    CHECK_THROWS_AS(udp_transport(io.get_executor(), a.local_address()), std::system_error);
}

// ---- TCP ----------------------------------------------------------------------------------------

TEST_CASE("TCP frames a message written in small pieces", "[transport][asio]") {
    asio::io_context io;
    stream_transport server(io.get_executor(), kind::tcp);
    server.listen(loopback("127.0.0.1"));
    CHECK(server.local_address().port != 0);
    recorder r;
    start(io, server, r);

    raw_peer peer(io, server.local_address());
    std::string msg = options("v=0\r\n");
    for (std::size_t i = 0; i < msg.size(); i += 7) {
        peer.write(std::string_view(msg).substr(i, 7));
        io.restart();
        io.run_for(1ms);
    }
    REQUIRE(run_until(io, [&] { return r.messages.size() == 1; }));
    CHECK(r.messages[0].bytes == msg);
    CHECK(r.messages[0].transport == kind::tcp);
    CHECK(r.messages[0].connection == 1);
    CHECK(r.messages[0].remote == peer.local());
    CHECK(r.messages[0].local == server.local_address());
    CHECK(server.connections() == 1);
    CHECK(server.remote_of(1) == peer.local());
    CHECK(server.find(peer.local()) == std::optional<std::uint64_t>(1));
}

TEST_CASE("TCP delivers pipelined messages in order and answers with send()", "[transport][asio]") {
    asio::io_context io;
    stream_transport server(io.get_executor(), kind::tcp);
    server.listen(loopback("127.0.0.1"));
    recorder r;
    start(io, server, r);

    raw_peer peer(io, server.local_address());
    peer.start_reading();
    peer.write(options("1") + options("22") + "\r\n" + options("333"));
    REQUIRE(run_until(io, [&] { return r.messages.size() == 3; }));
    CHECK(r.messages[0].bytes == options("1"));
    CHECK(r.messages[1].bytes == options("22"));
    CHECK(r.messages[2].bytes == options("333"));
    CHECK(r.messages[2].connection == r.messages[0].connection);

    CHECK(!server.send(r.messages[0].connection, options("a")));
    CHECK(!server.send(r.messages[0].connection, options("b")));
    REQUIRE(run_until(io, [&] { return peer.received.size() == 2 * options("a").size(); }));
    CHECK(peer.received == options("a") + options("b"));
    CHECK(server.send(99, "x") == transport_errc::closed);
}

TEST_CASE("TCP answers a CRLFCRLF ping with CRLF", "[transport][asio]") {
    asio::io_context io;
    stream_transport server(io.get_executor(), kind::tcp);
    server.listen(loopback("127.0.0.1"));
    recorder r;
    start(io, server, r);

    raw_peer peer(io, server.local_address());
    peer.start_reading();
    peer.write("\r\n\r\n");
    REQUIRE(run_until(io, [&] { return peer.received == "\r\n"; }));
    peer.write(options());
    REQUIRE(run_until(io, [&] { return r.messages.size() == 1; }));
    CHECK(peer.received == "\r\n");
    CHECK(r.closed.empty());
}

TEST_CASE("TCP closes a connection it cannot frame", "[transport][asio]") {
    asio::io_context io;
    stream_options opts;
    opts.max_message_size = 1024;
    stream_transport server(io.get_executor(), kind::tcp, opts);
    server.listen(loopback("127.0.0.1"));
    recorder r;
    start(io, server, r);

    const bool oversized = GENERATE(false, true);
    // A message without Content-Length (RFC 3261 18.3), or one over max_message_size.
    std::string bytes = oversized ? options(std::string(2000, 'x'))
                                  : "OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: c\r\n\r\n";
    std::error_code expected = oversized ? transport_errc::message_too_large : transport_errc::framing_error;
    INFO(bytes.substr(0, 60));
    raw_peer peer(io, server.local_address());
    peer.start_reading();
    peer.write(bytes);
    REQUIRE(run_until(io, [&] { return r.closed.size() == 1 && !peer.reading; }));
    CHECK(r.closed[0].first == 1);
    CHECK(r.closed[0].second == expected);
    CHECK(peer.read_error == asio::error::eof);
    CHECK(r.messages.empty());
    CHECK(server.connections() == 0);
    CHECK(!server.find(peer.local()));
}

TEST_CASE("TCP reports a connection the peer closed", "[transport][asio]") {
    asio::io_context io;
    stream_transport server(io.get_executor(), kind::tcp);
    server.listen(loopback("127.0.0.1"));
    recorder r;
    start(io, server, r);

    raw_peer peer(io, server.local_address());
    peer.write(options());
    peer.socket.shutdown(asio::ip::tcp::socket::shutdown_send);
    REQUIRE(run_until(io, [&] { return r.closed.size() == 1; }));
    REQUIRE(r.messages.size() == 1);
    CHECK(r.closed[0] == std::make_pair(r.messages[0].connection, std::error_code(transport_errc::closed)));
    CHECK(server.send(r.messages[0].connection, options()) == transport_errc::closed);
}

TEST_CASE("TCP closes idle connections", "[transport][asio]") {
    asio::io_context io;
    stream_options opts;
    opts.idle_timeout = 200ms;
    stream_transport server(io.get_executor(), kind::tcp, opts);
    server.listen(loopback("127.0.0.1"));
    recorder r;
    start(io, server, r);

    raw_peer peer(io, server.local_address());
    peer.start_reading();
    // Only that it closes within a generous bound: timing is not asserted tightly.
    REQUIRE(run_until(
        io, [&] { return r.closed.size() == 1 && !peer.reading; }, 10s));
    CHECK(r.closed[0].second == transport_errc::idle_timeout);
    CHECK(peer.read_error == asio::error::eof);
    CHECK(server.connections() == 0);
}

TEST_CASE("TCP idle timeout also closes a write stuck on a peer that stopped reading", "[transport][asio]") {
    asio::io_context io;
    stream_options opts;
    opts.idle_timeout = 300ms;
    opts.max_queued_bytes = std::size_t(64) << 20;
    stream_transport server(io.get_executor(), kind::tcp, opts);
    server.listen(loopback("127.0.0.1"));
    recorder r;
    start(io, server, r);

    raw_peer peer(io, server.local_address()); // never reads
    peer.write(options());
    REQUIRE(run_until(io, [&] { return r.messages.size() == 1; }));
    // Far more than the socket buffers hold: the writer blocks, no byte moves any more.
    for (int i = 0; i < 40; ++i) REQUIRE(!server.send(1, std::string(std::size_t(512) << 10, 'x')));
    REQUIRE(run_until(
        io, [&] { return r.closed.size() == 1; }, 10s));
    CHECK(r.closed[0].second == transport_errc::idle_timeout);
}

TEST_CASE("TCP closes a connection whose send queue overflows", "[transport][asio]") {
    asio::io_context io;
    stream_options opts;
    opts.max_queued_bytes = 100;
    stream_transport server(io.get_executor(), kind::tcp, opts);
    server.listen(loopback("127.0.0.1"));
    recorder r;
    start(io, server, r);

    raw_peer peer(io, server.local_address());
    peer.write(options());
    REQUIRE(run_until(io, [&] { return r.messages.size() == 1; }));
    CHECK(server.send(1, std::string(200, 'x')) == transport_errc::queue_full);
    REQUIRE(run_until(io, [&] { return r.closed.size() == 1; }));
    CHECK(r.closed[0].second == transport_errc::queue_full);
}

TEST_CASE("TCP reuses connections in both directions, on IPv4 and IPv6", "[transport][asio]") {
    const char* ip = GENERATE("127.0.0.1", "::1");
    INFO(ip);
    asio::io_context io;
    stream_transport server(io.get_executor(), kind::tcp);
    server.listen(loopback(ip));
    stream_transport client(io.get_executor(), kind::tcp); // client-only: never listens
    recorder rs, rc;
    start(io, server, rs);
    start(io, client, rc);

    // Two concurrent connect() calls and a later one share one connection.
    std::vector<result<std::uint64_t>> ids;
    spawn_connect(io, client, server.local_address(), {}, ids);
    spawn_connect(io, client, server.local_address(), {}, ids);
    REQUIRE(run_until(io, [&] { return ids.size() == 2; }));
    REQUIRE(ids[0]);
    REQUIRE(ids[1]);
    CHECK(*ids[0] == *ids[1]);
    auto again = connect_now(io, client, server.local_address());
    REQUIRE(again);
    CHECK(*again == *ids[0]);
    CHECK(client.connections() == 1);
    CHECK(client.find(server.local_address()) == std::optional<std::uint64_t>(*ids[0]));
    CHECK(client.remote_of(*ids[0]) == server.local_address());

    CHECK(!client.send(*ids[0], options("ping")));
    REQUIRE(run_until(io, [&] { return rs.messages.size() == 1; }));
    const inbound& in = rs.messages[0];
    CHECK(in.bytes == options("ping"));
    CHECK(server.connections() == 1);
    // The accepted connection is found by its remote, and connect() reuses it (RFC 3261 18.2.2).
    CHECK(server.find(in.remote) == std::optional<std::uint64_t>(in.connection));
    auto back = connect_now(io, server, in.remote);
    REQUIRE(back);
    CHECK(*back == in.connection);
    CHECK(server.connections() == 1);
    CHECK(!server.send(*back, options("pong")));
    REQUIRE(run_until(io, [&] { return rc.messages.size() == 1; }));
    CHECK(rc.messages[0].bytes == options("pong"));
    CHECK(rc.messages[0].connection == *ids[0]);
    CHECK(rc.messages[0].remote == server.local_address());

    // Closing one side is reported on both.
    client.close(*ids[0]);
    REQUIRE(run_until(io, [&] { return rc.closed.size() == 1 && rs.closed.size() == 1; }));
    CHECK(rc.closed[0].second == asio::error::operation_aborted);
    CHECK(rs.closed[0].second == transport_errc::closed);
    CHECK(client.connections() == 0);
    CHECK(server.connections() == 0);

    server.close();
    client.close();
    REQUIRE(run_until(io, [&] { return rs.run_returned && rc.run_returned; }));
    CHECK(!rs.failure);
    CHECK(!rc.failure);
}

TEST_CASE("TCP listen() after run() has started", "[transport][asio]") {
    asio::io_context io;
    stream_transport server(io.get_executor(), kind::tcp);
    recorder r;
    start(io, server, r);
    io.run_for(5ms);
    server.listen(loopback("127.0.0.1"));
    raw_peer peer(io, server.local_address());
    peer.write(options());
    REQUIRE(run_until(io, [&] { return r.messages.size() == 1; }));
    CHECK(r.messages[0].bytes == options());
}

TEST_CASE("TCP connect to a closed port fails", "[transport][asio]") {
    asio::io_context io;
    address closed_port;
    {
        asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        closed_port = loopback("127.0.0.1", a.local_endpoint().port());
    }
    stream_transport client(io.get_executor(), kind::tcp);
    recorder r;
    start(io, client, r);
    auto id = connect_now(io, client, closed_port);
    CHECK(id.error() == transport_errc::connect_failed);
    CHECK(client.connections() == 0);
    CHECK(r.closed.empty());
}

TEST_CASE("TCP close() ends run() and every connection", "[transport][asio]") {
    asio::io_context io;
    stream_transport server(io.get_executor(), kind::tcp);
    server.listen(loopback("127.0.0.1"));
    recorder r;
    start(io, server, r);
    raw_peer p1(io, server.local_address());
    raw_peer p2(io, server.local_address());
    p1.start_reading();
    p2.start_reading();
    REQUIRE(run_until(io, [&] { return server.connections() == 2; }));
    server.close();
    REQUIRE(
        run_until(io, [&] { return r.run_returned && !p1.reading && !p2.reading && r.closed.size() == 2; }));
    CHECK(!r.failure);
    CHECK(server.connections() == 0);
}

TEST_CASE("an exception from a handler closes the transport and leaves run()", "[transport][asio]") {
    asio::io_context io;
    stream_transport server(io.get_executor(), kind::tcp);
    server.listen(loopback("127.0.0.1"));
    recorder r;
    handler h;
    h.on_message = [](inbound&&) { throw std::runtime_error("bug"); };
    asio::co_spawn(io, server.run(std::move(h)), r.completion());
    raw_peer peer(io, server.local_address());
    peer.write(options());
    REQUIRE(run_until(io, [&] { return r.run_returned; }));
    CHECK_THROWS_AS(std::rethrow_exception(r.failure), std::runtime_error);
    CHECK(server.connections() == 0);
}

// ---- TLS ----------------------------------------------------------------------------------------

#if TANDEM_HAS_TLS

namespace {

/// A throwaway CA and a certificate for "localhost" (and 127.0.0.1) it signed, made once per run
/// with the openssl command.
struct test_pki {
    std::filesystem::path dir;
    std::string ca, cert, key;
    bool ok = false;

    test_pki() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "tandem_tls_XXXXXX").string();
        if (!mkdtemp(tmpl.data())) return;
        dir = tmpl;
        ca = (dir / "ca.crt").string();
        cert = (dir / "server.crt").string();
        key = (dir / "server.key").string();
        std::ofstream(dir / "ext.cnf") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
        std::string d = "'" + dir.string() + "'";
        std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        std::string cmd = "openssl req -x509" + ec + " -keyout " + d + "/ca.key -out " + d +
                          "/ca.crt -days 2 -subj '/CN=Tandem test CA' >/dev/null 2>&1"
                          " && openssl req" +
                          ec + " -keyout " + d + "/server.key -out " + d +
                          "/server.csr -subj '/CN=localhost' >/dev/null 2>&1"
                          " && openssl x509 -req -in " +
                          d + "/server.csr -CA " + d + "/ca.crt -CAkey " + d +
                          "/ca.key -CAcreateserial -out " + d + "/server.crt -days 2 -extfile " + d +
                          "/ext.cnf >/dev/null 2>&1";
        ok = std::system(cmd.c_str()) == 0;
    }
    ~test_pki() {
        std::error_code ignored;
        if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
    }
    static const test_pki& get() {
        static const test_pki pki;
        return pki;
    }
};

} // namespace

TEST_CASE("TLS client and server exchange messages; the server name is verified", "[transport][asio]") {
    const test_pki& pki = test_pki::get();
    REQUIRE(pki.ok);
    asio::io_context io;
    tls_options server_tls;
    server_tls.certificate_file = pki.cert;
    server_tls.private_key_file = pki.key;
    stream_transport server(io.get_executor(), kind::tls, {}, server_tls);
    server.listen(loopback("127.0.0.1"));
    tls_options client_tls;
    client_tls.ca_file = pki.ca;
    stream_transport client(io.get_executor(), kind::tls, {}, client_tls);
    recorder rs, rc;
    start(io, server, rs);
    start(io, client, rc);

    SECTION("the right name") {
        auto id = connect_now(io, client, server.local_address(), "localhost");
        REQUIRE(id);
        CHECK(!client.send(*id, options("over tls")));
        REQUIRE(run_until(io, [&] { return rs.messages.size() == 1; }));
        CHECK(rs.messages[0].bytes == options("over tls"));
        CHECK(rs.messages[0].transport == kind::tls);
        CHECK(!server.send(rs.messages[0].connection, options("back")));
        REQUIRE(run_until(io, [&] { return rc.messages.size() == 1; }));
        CHECK(rc.messages[0].bytes == options("back"));
        CHECK(rc.messages[0].transport == kind::tls);

        client.close(*id);
        REQUIRE(run_until(io, [&] { return rs.closed.size() == 1; }));
        CHECK(rs.closed[0].second == transport_errc::closed);
    }
    SECTION("no name: the IP address is verified") {
        auto id = connect_now(io, client, server.local_address());
        CHECK(id);
    }
    SECTION("a wrong name is refused") {
        auto id = connect_now(io, client, server.local_address(), "wrong.example");
        CHECK(id.error() == transport_errc::tls_handshake_failed);
        CHECK(client.connections() == 0);
        REQUIRE(run_until(io, [&] { return server.connections() == 0; }));
        CHECK(rs.closed.empty()); // never ready, never reported
    }
    SECTION("a client that does not trust the CA is refused") {
        tls_options other;
        other.ca_file = pki.cert; // a leaf, not the CA
        stream_transport stranger(io.get_executor(), kind::tls, {}, other);
        auto id = connect_now(io, stranger, server.local_address(), "localhost");
        CHECK(id.error() == transport_errc::tls_handshake_failed);
    }
    server.close();
    client.close();
    REQUIRE(run_until(io, [&] { return rs.run_returned && rc.run_returned; }));
}

TEST_CASE("TLS configuration errors throw", "[transport][asio]") {
    asio::io_context io;
    tls_options missing;
    missing.certificate_file = "/nonexistent/cert.pem";
    missing.private_key_file = "/nonexistent/key.pem";
    CHECK_THROWS_AS(stream_transport(io.get_executor(), kind::tls, {}, missing), std::system_error);
    stream_transport client_only(io.get_executor(), kind::tls, {}, tls_options{});
    CHECK_THROWS_AS(client_only.listen(loopback("127.0.0.1")), std::invalid_argument);
}

#endif
