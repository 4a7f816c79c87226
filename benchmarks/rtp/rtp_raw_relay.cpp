// rtp_raw_relay: the smallest RTP relay worth the name, as bench_rtp's ceiling. One thread,
// epoll (level-triggered), two unconnected UDP sockets per call (the one leg A sends to and the
// one leg B sends to), recvmmsg on the readable socket and sendmmsg of the whole batch out of
// the other socket to the address the other leg's SDP gave. No learning, no RTP parsing, no
// timers, no RTCP: what is left is the kernel's cost of a packet in and a packet out.
//
// Control: the ng subset of ng.hpp on --ng (offer, answer, delete, ping), so bench_rtp drives
// it exactly as it drives rtpengine and Tandem.
//
// usage: rtp_raw_relay --ng 127.0.0.1:PORT [--address 127.0.0.1] [--port-min N] [--port-max N]
//                      [--max-seconds S]
// Runs until SIGTERM/SIGINT or --max-seconds (default 3600).

#include "ng.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

struct endpoint {
    int fd = -1;
    std::uint16_t port = 0;
    endpoint* partner = nullptr; // what arrives here leaves through partner->fd to partner->peer
    sockaddr_in peer{};          // the leg this socket faces, from that leg's SDP
    bool peer_known = false;
    ~endpoint() {
        if (fd >= 0) ::close(fd);
    }
};

struct call {
    std::unique_ptr<endpoint> a; // faces leg A: A sends here (port written in the answer to A)
    std::unique_ptr<endpoint> b; // faces leg B: B sends here (port written in the offer to B)
};

constexpr int batch = 64;
constexpr std::size_t max_packet = 2048;

struct relay {
    int epfd = -1;
    int ng_fd = -1;
    std::string address = "127.0.0.1";
    in_addr bind_addr{};
    std::uint16_t port_min = 40000, port_max = 49999, next_port = 40000;
    std::unordered_map<std::string, call> calls;
    std::vector<call> graveyard; // deleted calls, freed after the epoll batch that may name them
    unsigned long long forwarded = 0;

    std::array<mmsghdr, batch> msgs{};
    std::array<iovec, batch> iovs{};
    std::array<std::array<char, max_packet>, batch> bufs{};

    std::unique_ptr<endpoint> open_endpoint() {
        unsigned range = unsigned(port_max - port_min) + 1;
        for (unsigned tries = 0; tries < range; ++tries) {
            std::uint16_t port = next_port;
            next_port = next_port == port_max ? port_min : std::uint16_t(next_port + 1);
            int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) return nullptr;
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            sa.sin_addr = bind_addr;
            sa.sin_port = htons(port);
            if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
                ::close(fd);
                continue;
            }
            auto e = std::make_unique<endpoint>();
            e->fd = fd;
            e->port = port;
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.ptr = e.get();
            if (::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) return nullptr;
            return e;
        }
        return nullptr;
    }

    static bool set_peer(endpoint& e, std::string_view sdp) {
        auto m = bench_ng::audio_address(sdp);
        if (!m) return false;
        e.peer = sockaddr_in{};
        e.peer.sin_family = AF_INET;
        if (::inet_pton(AF_INET, m->address.c_str(), &e.peer.sin_addr) != 1) return false;
        e.peer.sin_port = htons(m->port);
        e.peer_known = true;
        return true;
    }

    std::string handle_ng(std::string_view datagram) {
        std::string cookie;
        bench_ng::value req;
        if (!bench_ng::parse_message(datagram, cookie, req)) return {};
        std::string_view cmd = req.str("command");
        std::string call_id(req.str("call-id"));
        if (cmd == "ping") return bench_ng::dict_writer(cookie).str("result", "pong").finish();
        if (cmd == "offer") {
            auto it = calls.find(call_id);
            if (it == calls.end()) {
                call c;
                c.a = open_endpoint();
                c.b = open_endpoint();
                if (!c.a || !c.b) return bench_ng::error_reply(cookie, "no free port");
                c.a->partner = c.b.get();
                c.b->partner = c.a.get();
                it = calls.emplace(call_id, std::move(c)).first;
            }
            if (!set_peer(*it->second.a, req.str("sdp"))) return bench_ng::error_reply(cookie, "bad SDP");
            return bench_ng::dict_writer(cookie)
                .str("result", "ok")
                .str("sdp", bench_ng::pcmu_sdp(address, it->second.b->port, 1))
                .finish();
        }
        if (cmd == "answer") {
            auto it = calls.find(call_id);
            if (it == calls.end()) return bench_ng::error_reply(cookie, "unknown call");
            if (!set_peer(*it->second.b, req.str("sdp"))) return bench_ng::error_reply(cookie, "bad SDP");
            return bench_ng::dict_writer(cookie)
                .str("result", "ok")
                .str("sdp", bench_ng::pcmu_sdp(address, it->second.a->port, 1))
                .finish();
        }
        if (cmd == "delete") {
            auto it = calls.find(call_id);
            if (it == calls.end()) return bench_ng::error_reply(cookie, "unknown call");
            graveyard.push_back(std::move(it->second));
            calls.erase(it);
            return bench_ng::dict_writer(cookie).str("result", "ok").finish();
        }
        return bench_ng::error_reply(cookie, "unsupported command");
    }

    void on_ng() {
        for (int i = 0; i < 64; ++i) {
            char buf[65536];
            sockaddr_in from{};
            socklen_t fl = sizeof from;
            ssize_t n =
                ::recvfrom(ng_fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &fl);
            if (n <= 0) return;
            std::string reply = handle_ng(std::string_view(buf, std::size_t(n)));
            if (!reply.empty())
                ::sendto(ng_fd, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
        }
    }

    void on_media(endpoint& e) {
        for (std::size_t i = 0; i < batch; ++i) {
            iovs[i] = {bufs[i].data(), max_packet};
            msgs[i].msg_hdr = msghdr{};
            msgs[i].msg_hdr.msg_iov = &iovs[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int n = ::recvmmsg(e.fd, msgs.data(), batch, MSG_DONTWAIT, nullptr);
        if (n <= 0) return;
        endpoint& out = *e.partner;
        if (!out.peer_known) return;
        for (std::size_t i = 0; i < std::size_t(n); ++i) {
            iovs[i].iov_len = msgs[i].msg_len;
            msgs[i].msg_hdr.msg_name = &out.peer;
            msgs[i].msg_hdr.msg_namelen = sizeof out.peer;
        }
        int done = 0;
        while (done < n) {
            int s = ::sendmmsg(out.fd, msgs.data() + done, unsigned(n - done), MSG_DONTWAIT);
            if (s <= 0) break; // a full socket buffer or a refused port: the rest is dropped
            done += s;
        }
        forwarded += unsigned(done);
    }
};

bool parse_hostport(const char* s, sockaddr_in& sa) {
    std::string str(s);
    auto colon = str.rfind(':');
    if (colon == std::string::npos) return false;
    sa = sockaddr_in{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(std::uint16_t(std::atoi(str.c_str() + colon + 1)));
    return ::inet_pton(AF_INET, str.substr(0, colon).c_str(), &sa.sin_addr) == 1;
}

} // namespace

int main(int argc, char** argv) {
    relay r;
    sockaddr_in ng{};
    bool have_ng = false;
    long max_seconds = 3600;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "rtp_raw_relay: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--ng")
            have_ng = parse_hostport(next(), ng);
        else if (a == "--address")
            r.address = next();
        else if (a == "--port-min")
            r.port_min = std::uint16_t(std::atoi(next()));
        else if (a == "--port-max")
            r.port_max = std::uint16_t(std::atoi(next()));
        else if (a == "--max-seconds")
            max_seconds = std::atol(next());
        else {
            std::fprintf(stderr, "usage: rtp_raw_relay --ng IP:PORT [--address IP] [--port-min N] "
                                 "[--port-max N] [--max-seconds S]\n");
            return 2;
        }
    }
    if (!have_ng || r.port_min > r.port_max || ::inet_pton(AF_INET, r.address.c_str(), &r.bind_addr) != 1) {
        std::fprintf(stderr, "rtp_raw_relay: --ng IP:PORT and a valid port range and address are needed\n");
        return 2;
    }
    r.next_port = r.port_min;
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);

    r.epfd = ::epoll_create1(EPOLL_CLOEXEC);
    r.ng_fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (r.epfd < 0 || r.ng_fd < 0 || ::bind(r.ng_fd, reinterpret_cast<sockaddr*>(&ng), sizeof ng) != 0) {
        std::perror("rtp_raw_relay: ng socket");
        return 1;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr; // the ng socket
    ::epoll_ctl(r.epfd, EPOLL_CTL_ADD, r.ng_fd, &ev);

    timespec start{};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    std::array<epoll_event, 256> events{};
    while (!stop_requested) {
        int n = ::epoll_wait(r.epfd, events.data(), int(events.size()), 500);
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < n; ++i) {
            if (events[std::size_t(i)].data.ptr == nullptr)
                r.on_ng();
            else
                r.on_media(*static_cast<endpoint*>(events[std::size_t(i)].data.ptr));
        }
        r.graveyard.clear();
        timespec now{};
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > max_seconds) break;
    }
    std::fprintf(stderr, "rtp_raw_relay: %llu packets forwarded, %zu calls open at exit\n", r.forwarded,
                 r.calls.size());
    r.calls.clear();
    return 0;
}
