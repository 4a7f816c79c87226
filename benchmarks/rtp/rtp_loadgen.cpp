// rtp_loadgen: bench_rtp's load generator and meter. It sets calls up on a relay through the
// ng protocol (offer from leg A, answer from leg B, as a B2BUA or a proxy module would), then
// sends G.711-sized RTP both ways through each call (172-byte packets: 12-byte RTP header,
// 160 bytes of payload, PT 0) at a fixed rate per stream, and measures what comes out.
//
// Load: every call has two streams (A->B and B->A). In a step, the first `active` calls send;
// their 2*active streams are interleaved evenly, so the offered load is a smooth
// 2 * active * pps packets/s. Each packet carries the step, its stream, its sequence number and
// its send time (CLOCK_REALTIME); the receive time is the kernel's (SO_TIMESTAMPNS), so latency
// excludes this program's own wakeup delay. A step is `--warmup` seconds (the relay latches,
// queues settle: not counted), then `--seconds` measured, then 0.5 s of draining.
//
// Endpoints: K sockets per side (--sockets, default 8), bound to 127.0.0.1 on ports the kernel
// picks; call c's leg A sends from, and writes in its SDP, A-socket c % K, and leg B likewise.
// A relay sees exactly what it would see from K phones per side with many calls each; what it
// does per packet (one socket per leg and call) is the same as with one phone per call, and the
// generator stays cheap: sendmmsg/recvmmsg batches of up to 64, epoll, no Asio.
//
// Per step it prints one line of key=value pairs:
//   step=N active_calls streams planned_pps offered_pps delivered_pps loss_pct
//   p50_us p99_us p999_us max_us relay_cpu_pct gen_cpu_pct gen_drops misrouted cpuN_busy_pct...
// offered_pps: packets sent in the measured window per second; delivered_pps: packets received
// (kernel time) in it per second, including packets of an earlier step the relay had queued;
// loss_pct: packets sent in the window that never arrived;
// relay_cpu_pct: user+system of --relay-pid (all its threads) over the window; gen_cpu_pct:
// this process; gen_drops: datagrams our own sockets dropped (SO_RXQ_OVFL; should be 0);
// cpuN_busy_pct: each CPU's non-idle time (/proc/stat), softirq work included.
// And once: setup=... (calls, seconds) and, with --relay-pid, rss_kib before/after setup/at end.
//
// usage: rtp_loadgen (--ng IP:PORT | --direct) [--calls N] [--steps a,b,...] [--seconds S]
//                    [--warmup S] [--pps P] [--sockets K] [--relay-pid PID] [--tag T]
//                    [--no-delete]

#include "ng.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr std::size_t packet_size = 172;    // 12-byte RTP header + 160 bytes of PCMU (20 ms)
constexpr std::uint32_t magic = 0x54425254; // "TBRT"
constexpr int batch = 64;

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "rtp_loadgen: %s%s%s\n", what, errno ? ": " : "", errno ? std::strerror(errno) : "");
    std::exit(1);
}

std::int64_t now_ns(clockid_t clk) {
    timespec ts{};
    ::clock_gettime(clk, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
double mono_s() { return double(now_ns(CLOCK_MONOTONIC)) * 1e-9; }

double self_cpu_s() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

/// user+system seconds of a process (all its threads), or -1.
double proc_cpu_s(int pid) {
    if (pid <= 0) return -1;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto rp = s.rfind(')');
    if (rp == std::string::npos) return -1;
    std::istringstream in(s.substr(rp + 2));
    std::string field;
    unsigned long long ut = 0, st = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) ut = std::stoull(field);
        if (i == 15) st = std::stoull(field);
    }
    return double(ut + st) / double(::sysconf(_SC_CLK_TCK));
}

long proc_rss_kib(int pid) {
    if (pid <= 0) return -1;
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return -1;
}

/// Per CPU: (busy, total) jiffies from /proc/stat; busy counts everything but idle and iowait,
/// so it includes softirq work (loopback delivery) that no process is charged for.
std::vector<std::pair<unsigned long long, unsigned long long>> cpu_jiffies() {
    std::vector<std::pair<unsigned long long, unsigned long long>> v;
    std::ifstream f("/proc/stat");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] == ' ') continue;
        std::istringstream in(line);
        std::string name;
        in >> name;
        unsigned long long x = 0, total = 0, idle = 0;
        for (int i = 0; i < 8 && in >> x; ++i) {
            total += x;
            if (i == 3 || i == 4) idle += x;
        }
        v.emplace_back(total - idle, total);
    }
    return v;
}

sockaddr_in make_addr(const std::string& ip, std::uint16_t port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1) die(("bad IPv4 address " + ip).c_str());
    return sa;
}

std::uint16_t local_port(int fd) {
    sockaddr_in sa{};
    socklen_t l = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &l);
    return ntohs(sa.sin_port);
}

int media_socket() {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    sockaddr_in sa = make_addr("127.0.0.1", 0);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) die("bind");
    int big = 16 << 20;
    // root may exceed net.core.rmem_max; otherwise take what the kernel allows
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0)
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) != 0)
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
    return fd;
}

/// The ng client: one request at a time, 2 s per try, 3 tries.
class ng_client {
public:
    explicit ng_client(const sockaddr_in& server) {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0 || ::connect(fd_, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0)
            die("ng socket");
    }
    ~ng_client() { ::close(fd_); }
    ng_client(const ng_client&) = delete;
    ng_client& operator=(const ng_client&) = delete;

    std::string next_cookie() { return std::to_string(::getpid()) + "_" + std::to_string(++serial_); }

    /// Sends `datagram` (whose cookie is `cookie`) and returns the reply's dictionary.
    bool request(const std::string& cookie, const std::string& datagram, bench_ng::value& reply) {
        std::vector<char> buf(1 << 16);
        for (int attempt = 0; attempt < 3; ++attempt) {
            if (::send(fd_, datagram.data(), datagram.size(), 0) < 0) return false;
            double deadline = mono_s() + 2.0;
            for (int polls = 0; polls < 1000; ++polls) {
                double left = deadline - mono_s();
                if (left <= 0) break;
                pollfd p{fd_, POLLIN, 0};
                if (::poll(&p, 1, int(left * 1000) + 1) <= 0) break;
                ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
                if (n <= 0) break;
                std::string got_cookie;
                if (bench_ng::parse_message(std::string_view(buf.data(), std::size_t(n)), got_cookie,
                                            reply) &&
                    got_cookie == cookie)
                    return true;
            }
        }
        return false;
    }

private:
    int fd_ = -1;
    unsigned long long serial_ = 0;
};

struct options {
    bool direct = false;
    sockaddr_in ng{};
    bool have_ng = false;
    int calls = 500;
    std::vector<int> steps;
    double seconds = 5;
    double warmup = 1;
    double pps = 50;
    int sockets = 8;
    int relay_pid = 0;
    std::string tag = "bench";
    bool do_delete = true;
};

struct out_batch {
    std::array<mmsghdr, batch> msgs{};
    std::array<iovec, batch> iovs{};
    std::array<std::array<unsigned char, packet_size>, batch> bufs{};
    int n = 0;
};

struct rx_batch {
    std::array<mmsghdr, batch> msgs{};
    std::array<iovec, batch> iovs{};
    std::array<std::array<unsigned char, 2048>, batch> bufs{};
    std::array<std::array<char, 128>, batch> ctl{};
};

struct step_result {
    int active = 0;
    double planned_pps = 0, offered_pps = 0, delivered_pps = 0, loss_pct = 0;
    double p50 = 0, p99 = 0, p999 = 0, max = 0;
    double relay_cpu = -1, gen_cpu = 0;
    std::vector<double> cpu_busy; // per CPU, percent
    unsigned long long gen_drops = 0, misrouted = 0;
};

class generator {
public:
    explicit generator(const options& o) : o_(o) {
        int k = o.sockets;
        for (int side = 0; side < 2; ++side)
            for (int i = 0; i < k; ++i) fds_[side].push_back(media_socket());
        epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (epfd_ < 0) die("epoll_create1");
        for (int side = 0; side < 2; ++side)
            for (int i = 0; i < k; ++i) {
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.u32 = std::uint32_t(side * k + i);
                ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fds_[side][std::size_t(i)], &ev);
            }
        out_.resize(std::size_t(2 * k));
        for (auto& b : out_)
            for (int i = 0; i < batch; ++i) {
                b.iovs[std::size_t(i)] = {b.bufs[std::size_t(i)].data(), packet_size};
                b.msgs[std::size_t(i)].msg_hdr.msg_iov = &b.iovs[std::size_t(i)];
                b.msgs[std::size_t(i)].msg_hdr.msg_iovlen = 1;
                b.msgs[std::size_t(i)].msg_hdr.msg_namelen = sizeof(sockaddr_in);
            }
        drops_.assign(std::size_t(2 * k), 0);
    }

    /// Sets every call up (or, --direct, points each side at the other's socket).
    void setup() {
        int k = o_.sockets;
        targets_[0].resize(std::size_t(o_.calls));
        targets_[1].resize(std::size_t(o_.calls));
        if (o_.direct) {
            for (int c = 0; c < o_.calls; ++c) {
                targets_[0][std::size_t(c)] = make_addr("127.0.0.1", local_port(fds_[1][std::size_t(c % k)]));
                targets_[1][std::size_t(c)] = make_addr("127.0.0.1", local_port(fds_[0][std::size_t(c % k)]));
            }
            return;
        }
        ng_client ng(o_.ng);
        bench_ng::value reply;
        std::string cookie = ng.next_cookie();
        if (!ng.request(cookie, bench_ng::dict_writer(cookie).str("command", "ping").finish(), reply))
            die("the relay does not answer ng ping");
        for (int c = 0; c < o_.calls; ++c) {
            std::string call_id = o_.tag + "-" + std::to_string(c);
            std::string from_tag = "a" + std::to_string(c), to_tag = "b" + std::to_string(c);
            std::uint16_t port_a = local_port(fds_[0][std::size_t(c % k)]);
            std::uint16_t port_b = local_port(fds_[1][std::size_t(c % k)]);
            // offer from leg A: the relay answers with the SDP for leg B (where B sends)
            cookie = ng.next_cookie();
            std::string req = bench_ng::dict_writer(cookie)
                                  .str("ICE", "remove")
                                  .str("call-id", call_id)
                                  .str("command", "offer")
                                  .str("from-tag", from_tag)
                                  .list("replace", {"origin", "session-connection"})
                                  .str("sdp", bench_ng::pcmu_sdp("127.0.0.1", port_a, std::uint64_t(c) + 1))
                                  .finish();
            targets_[1][std::size_t(c)] = exchange(ng, cookie, req, "offer", c);
            cookie = ng.next_cookie();
            req = bench_ng::dict_writer(cookie)
                      .str("ICE", "remove")
                      .str("call-id", call_id)
                      .str("command", "answer")
                      .str("from-tag", from_tag)
                      .list("replace", {"origin", "session-connection"})
                      .str("sdp", bench_ng::pcmu_sdp("127.0.0.1", port_b, std::uint64_t(c) + 100000001))
                      .str("to-tag", to_tag)
                      .finish();
            targets_[0][std::size_t(c)] = exchange(ng, cookie, req, "answer", c);
        }
    }

    void teardown() {
        if (o_.direct || !o_.do_delete) return;
        ng_client ng(o_.ng);
        int failed = 0;
        for (int c = 0; c < o_.calls; ++c) {
            std::string cookie = ng.next_cookie();
            std::string req = bench_ng::dict_writer(cookie)
                                  .str("call-id", o_.tag + "-" + std::to_string(c))
                                  .str("command", "delete")
                                  .str("from-tag", "a" + std::to_string(c))
                                  .finish();
            bench_ng::value reply;
            if (!ng.request(cookie, req, reply) || reply.str("result") != "ok") ++failed;
        }
        if (failed) std::fprintf(stderr, "rtp_loadgen: %d deletes failed\n", failed);
    }

    step_result run_step(int step, int active) {
        step_result r;
        r.active = active;
        const std::uint64_t streams = std::uint64_t(2 * active);
        const double rate = double(streams) * o_.pps;
        r.planned_pps = rate;
        current_step_ = std::uint32_t(step);
        const double t0 = mono_s();
        const double meas_start = t0 + o_.warmup, meas_end = meas_start + o_.seconds,
                     drain_end = meas_end + 0.5;
        rt_offset_ = now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC);
        win_start_rt_ = std::int64_t(meas_start * 1e9) + rt_offset_;
        win_end_rt_ = std::int64_t(meas_end * 1e9) + rt_offset_;
        sent_in_window_ = recv_in_window_ = recv_of_window_ = misrouted_ = 0;
        latencies_.clear();
        latencies_.reserve(std::size_t(rate * o_.seconds * 1.05) + 16);
        std::fill(drops_.begin(), drops_.end(), 0);
        unsigned long long drops_at_start = 0;

        std::uint64_t sent = 0;
        double cpu_self0 = 0, cpu_relay0 = 0;
        auto jiffies0 = cpu_jiffies();
        enum { before, measuring, done } phase = before;
        // bounded: the loop ends at drain_end; each pass does at most 1024 sends and one epoll
        for (long pass = 0; pass < 100'000'000; ++pass) {
            double now = mono_s();
            if (phase == before && now >= meas_start) {
                phase = measuring;
                cpu_self0 = self_cpu_s();
                cpu_relay0 = proc_cpu_s(o_.relay_pid);
                drops_at_start = total_drops();
                jiffies0 = cpu_jiffies();
            }
            if (now >= drain_end) break;
            if (now < meas_end) {
                auto due = std::uint64_t((now - t0) * rate);
                std::uint64_t n = std::min<std::uint64_t>(due - std::min(due, sent), 1024);
                if (n) {
                    send_packets(sent, n, streams);
                    sent += n;
                }
            } else if (phase == measuring) {
                r.gen_cpu = (self_cpu_s() - cpu_self0) / o_.seconds * 100;
                if (o_.relay_pid > 0)
                    r.relay_cpu = (proc_cpu_s(o_.relay_pid) - cpu_relay0) / o_.seconds * 100;
                phase = done;
                auto jiffies1 = cpu_jiffies();
                for (std::size_t c = 0; c < jiffies1.size() && c < jiffies0.size(); ++c) {
                    auto busy = jiffies1[c].first - jiffies0[c].first,
                         total = jiffies1[c].second - jiffies0[c].second;
                    r.cpu_busy.push_back(total ? 100.0 * double(busy) / double(total) : 0);
                }
                r.gen_drops = total_drops() - drops_at_start;
            }
            // wait for packets, or until 16 more are due (at most 1 ms)
            double wake = now < meas_end ? std::min(t0 + double(sent + 16) / rate, now + 1e-3) : now + 1e-3;
            receive(std::max(0.0, wake - mono_s()));
        }
        r.offered_pps = double(sent_in_window_) / o_.seconds;
        r.delivered_pps = double(recv_in_window_) / o_.seconds;
        r.loss_pct = sent_in_window_
                         ? 100.0 * double(sent_in_window_ - std::min(sent_in_window_, recv_of_window_)) /
                               double(sent_in_window_)
                         : 0;
        r.misrouted = misrouted_;
        if (!latencies_.empty()) {
            auto pct = [&](double p) {
                auto idx =
                    std::size_t(std::min(double(latencies_.size() - 1), p * double(latencies_.size())));
                std::nth_element(latencies_.begin(), latencies_.begin() + std::ptrdiff_t(idx),
                                 latencies_.end());
                return double(latencies_[idx]) / 1000.0;
            };
            r.p50 = pct(0.50);
            r.p99 = pct(0.99);
            r.p999 = pct(0.999);
            r.max = double(*std::max_element(latencies_.begin(), latencies_.end())) / 1000.0;
        }
        return r;
    }

private:
    bench_ng::value reply_;

    sockaddr_in exchange(ng_client& ng, const std::string& cookie, const std::string& req, const char* what,
                         int c) {
        if (!ng.request(cookie, req, reply_)) {
            std::fprintf(stderr, "rtp_loadgen: call %d: no reply to %s\n", c, what);
            std::exit(1);
        }
        if (reply_.str("result") != "ok") {
            std::fprintf(stderr, "rtp_loadgen: call %d: %s failed: %.*s\n", c, what,
                         int(reply_.str("error-reason").size()), reply_.str("error-reason").data());
            std::exit(1);
        }
        auto m = bench_ng::audio_address(reply_.str("sdp"));
        if (!m) {
            std::fprintf(stderr, "rtp_loadgen: call %d: no audio address in the %s reply's SDP\n", c, what);
            std::exit(1);
        }
        return make_addr(m->address, m->port);
    }

    unsigned long long total_drops() const {
        unsigned long long t = 0;
        for (auto d : drops_) t += d;
        return t;
    }

    void flush(int idx) {
        out_batch& b = out_[std::size_t(idx)];
        int fd = fds_[std::size_t(idx / o_.sockets)][std::size_t(idx % o_.sockets)];
        // the send time, as late as possible: just before the batch goes
        const std::int64_t ts = now_ns(CLOCK_REALTIME);
        for (int i = 0; i < b.n; ++i) std::memcpy(&b.bufs[std::size_t(i)][28], &ts, sizeof ts);
        // offered in the window: by the same clock the receiver judges packets by
        if (ts >= win_start_rt_ && ts < win_end_rt_) sent_in_window_ += unsigned(b.n);
        int done = 0;
        for (int tries = 0; done < b.n && tries < 8; ++tries) {
            int s = ::sendmmsg(fd, b.msgs.data() + done, unsigned(b.n - done), 0);
            if (s <= 0) {
                if (errno == EAGAIN || errno == ENOBUFS) continue;
                // ECONNREFUSED from an earlier ICMP error: skip that message
                ++done;
                continue;
            }
            done += s;
        }
        b.n = 0;
    }

    void send_packets(std::uint64_t first, std::uint64_t n, std::uint64_t streams) {
        const int k = o_.sockets;
        for (std::uint64_t j = first; j < first + n; ++j) {
            auto s = std::uint32_t(j % streams);
            auto seq = std::uint32_t(j / streams);
            int c = int(s / 2), dir = int(s % 2); // dir 0: A->B (from an A socket)
            int idx = dir * k + c % k;
            out_batch& b = out_[std::size_t(idx)];
            auto& p = b.bufs[std::size_t(b.n)];
            p[0] = 0x80;
            p[1] = 0; // PT 0, PCMU
            p[2] = std::uint8_t(seq >> 8);
            p[3] = std::uint8_t(seq);
            std::uint32_t rtp_ts = htonl(seq * 160), ssrc = htonl(0x10000000u + s);
            std::memcpy(&p[4], &rtp_ts, 4);
            std::memcpy(&p[8], &ssrc, 4);
            std::uint32_t hdr[4] = {magic, current_step_, s, seq};
            std::memcpy(&p[12], hdr, sizeof hdr); // the send time goes at [28] in flush()
            b.msgs[std::size_t(b.n)].msg_hdr.msg_name = &targets_[std::size_t(dir)][std::size_t(c)];
            if (++b.n == batch) flush(idx);
        }
        for (int idx = 0; idx < 2 * k; ++idx)
            if (out_[std::size_t(idx)].n) flush(idx);
    }

    void receive(double timeout_s) {
        std::array<epoll_event, 64> ev{};
        timespec to{};
        auto ns = std::int64_t(timeout_s * 1e9);
        to.tv_sec = ns / 1'000'000'000;
        to.tv_nsec = ns % 1'000'000'000;
        int n = ::epoll_pwait2(epfd_, ev.data(), int(ev.size()), &to, nullptr);
        for (int i = 0; i < n; ++i) drain(int(ev[std::size_t(i)].data.u32));
    }

    void drain(int idx) {
        int side = idx / o_.sockets;
        int fd = fds_[std::size_t(side)][std::size_t(idx % o_.sockets)];
        for (int rounds = 0; rounds < 16; ++rounds) {
            for (int i = 0; i < batch; ++i) {
                rx_.iovs[std::size_t(i)] = {rx_.bufs[std::size_t(i)].data(), rx_.bufs[0].size()};
                auto& h = rx_.msgs[std::size_t(i)].msg_hdr;
                h = msghdr{};
                h.msg_iov = &rx_.iovs[std::size_t(i)];
                h.msg_iovlen = 1;
                h.msg_control = rx_.ctl[std::size_t(i)].data();
                h.msg_controllen = rx_.ctl[0].size();
            }
            int n = ::recvmmsg(fd, rx_.msgs.data(), batch, MSG_DONTWAIT, nullptr);
            if (n <= 0) return;
            for (int i = 0; i < n; ++i)
                account(side, idx, rx_.msgs[std::size_t(i)], rx_.bufs[std::size_t(i)].data());
            if (n < batch) return;
        }
    }

    void account(int side, int idx, mmsghdr& m, const unsigned char* p) {
        std::int64_t rx = 0;
        for (cmsghdr* c = CMSG_FIRSTHDR(&m.msg_hdr); c; c = CMSG_NXTHDR(&m.msg_hdr, c)) {
            if (c->cmsg_level != SOL_SOCKET) continue;
            if (c->cmsg_type == SCM_TIMESTAMPNS) {
                timespec ts{};
                std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                rx = std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
            } else if (c->cmsg_type == SO_RXQ_OVFL) {
                std::uint32_t d = 0;
                std::memcpy(&d, CMSG_DATA(c), sizeof d);
                drops_[std::size_t(idx)] = d;
            }
        }
        if (m.msg_len != packet_size) return;
        std::uint32_t hdr[4];
        std::memcpy(hdr, p + 12, sizeof hdr);
        if (hdr[0] != magic) return;
        // A->B streams (even) must arrive on B sockets (side 1), B->A streams on A sockets
        if (int(hdr[2] % 2) == side) {
            ++misrouted_;
            return;
        }
        if (rx == 0) rx = now_ns(CLOCK_REALTIME);
        // throughput: every packet that comes out in the window, also one an earlier step
        // left queued in the relay (forwarding it was work the relay did in the window)
        if (rx >= win_start_rt_ && rx < win_end_rt_) ++recv_in_window_;
        if (hdr[1] != current_step_) return;
        std::int64_t tx = 0;
        std::memcpy(&tx, p + 28, sizeof tx);
        if (tx >= win_start_rt_ && tx < win_end_rt_) {
            ++recv_of_window_;
            std::int64_t d = rx - tx;
            latencies_.push_back(std::uint32_t(std::clamp<std::int64_t>(d, 0, 4'000'000'000)));
        }
    }

    const options& o_;
    std::vector<int> fds_[2];
    int epfd_ = -1;
    std::vector<sockaddr_in> targets_[2]; // [0]: where A sends (per call), [1]: where B sends
    std::vector<out_batch> out_;
    rx_batch rx_;
    std::vector<unsigned long long> drops_;
    std::uint32_t current_step_ = 0;
    std::int64_t rt_offset_ = 0, win_start_rt_ = 0, win_end_rt_ = 0;
    unsigned long long sent_in_window_ = 0, recv_in_window_ = 0, recv_of_window_ = 0, misrouted_ = 0;
    std::vector<std::uint32_t> latencies_;
};

bool parse_hostport(const std::string& s, sockaddr_in& sa) {
    auto colon = s.rfind(':');
    if (colon == std::string::npos) return false;
    sa = sockaddr_in{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(std::uint16_t(std::atoi(s.c_str() + colon + 1)));
    return ::inet_pton(AF_INET, s.substr(0, colon).c_str(), &sa.sin_addr) == 1;
}

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: rtp_loadgen (--ng IP:PORT | --direct) [--calls N] [--steps a,b,...] [--seconds S]\n"
                 "                   [--warmup S] [--pps P] [--sockets K] [--relay-pid PID] [--tag T]\n"
                 "                   [--no-delete]\n");
    std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (a == "--ng") {
            o.have_ng = parse_hostport(next(), o.ng);
            if (!o.have_ng) usage();
        } else if (a == "--direct")
            o.direct = true;
        else if (a == "--calls")
            o.calls = std::atoi(next().c_str());
        else if (a == "--steps") {
            std::string s = next();
            std::istringstream in(s);
            std::string item;
            while (std::getline(in, item, ','))
                if (!item.empty()) o.steps.push_back(std::atoi(item.c_str()));
        } else if (a == "--seconds")
            o.seconds = std::atof(next().c_str());
        else if (a == "--warmup")
            o.warmup = std::atof(next().c_str());
        else if (a == "--pps")
            o.pps = std::atof(next().c_str());
        else if (a == "--sockets")
            o.sockets = std::atoi(next().c_str());
        else if (a == "--relay-pid")
            o.relay_pid = std::atoi(next().c_str());
        else if (a == "--tag")
            o.tag = next();
        else if (a == "--no-delete")
            o.do_delete = false;
        else
            usage();
    }
    if (o.direct == o.have_ng || o.calls < 1 || o.calls > 100000 || o.seconds <= 0 || o.seconds > 3600 ||
        o.warmup < 0 || o.warmup > 600 || o.pps <= 0 || o.pps > 10000 || o.sockets < 1 || o.sockets > 256)
        usage();
    if (o.steps.empty()) o.steps.push_back(o.calls);
    for (int& s : o.steps) s = std::clamp(s, 1, o.calls);

    generator g(o);
    long rss0 = proc_rss_kib(o.relay_pid);
    double t = mono_s();
    g.setup();
    double setup_s = mono_s() - t;
    ::usleep(300'000);
    long rss1 = proc_rss_kib(o.relay_pid);
    std::printf("setup calls=%d seconds=%.3f\n", o.calls, setup_s);
    std::fflush(stdout);
    for (std::size_t i = 0; i < o.steps.size(); ++i) {
        step_result r = g.run_step(int(i) + 1, o.steps[i]);
        std::printf(
            "step=%zu active_calls=%d streams=%d planned_pps=%.0f offered_pps=%.0f delivered_pps=%.0f "
            "loss_pct=%.3f p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f relay_cpu_pct=%.1f "
            "gen_cpu_pct=%.1f gen_drops=%llu misrouted=%llu",
            i + 1, r.active, 2 * r.active, r.planned_pps, r.offered_pps, r.delivered_pps, r.loss_pct, r.p50,
            r.p99, r.p999, r.max, r.relay_cpu, r.gen_cpu, r.gen_drops, r.misrouted);
        for (std::size_t c = 0; c < r.cpu_busy.size(); ++c)
            std::printf(" cpu%zu_busy_pct=%.1f", c, r.cpu_busy[c]);
        std::printf("\n");
        std::fflush(stdout);
    }
    long rss2 = proc_rss_kib(o.relay_pid);
    if (o.relay_pid > 0) {
        std::printf("rss_kib before=%ld after_setup=%ld after_traffic=%ld calls=%d\n", rss0, rss1, rss2,
                    o.calls);
        std::fflush(stdout);
    }
    g.teardown();
    return 0;
}
