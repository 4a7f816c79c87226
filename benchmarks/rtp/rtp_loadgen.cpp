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
// --srtp SUITE (AES_CM_128_HMAC_SHA1_80 or AEAD_AES_128_GCM): SDES-SRTP on both legs, for
// bench_rtp --srtp. Leg A offers RTP/SAVP with two a=crypto lines of the suite (tag 1 and tag
// 2, two keys of ours), leg B answers the first line of the suite in the relay's offer whose key
// is not leg A's tag-1 key, with a key of its own; leg A sends with the key of the tag the
// relay's answer picked. Every packet is protected as it is sent (a protected packet cannot be
// sent again: replay protection), with the generator's own SRTP on OpenSSL (gen_srtp.hpp,
// checked against libsrtp2 at start); sequence numbers go on across steps. What arrives is
// counted by its length (plain + tag) and clear header: the SSRC names the stream, and the RTP
// timestamp carries the send time (microseconds, low 32 bits) so that latency and loss need no
// decryption. One packet in 32 (sequence number % 32 == 0) is decrypted with the key the relay
// wrote in its SDP for that leg and checked against what was sent (verified=, verify_failed=):
// what comes out is under the relay's keys for that leg, not under the sender's. Before
// the steps, a probe through the first 8 calls sends per direction 2 good packets and 2 with a
// corrupted payload (auth tag no longer matches): a relay that authenticates drops the latter.
// It prints `srtp ...` once with what it found (re-keyed directions, probe results).
//
// usage: rtp_loadgen (--ng IP:PORT | --direct) [--calls N] [--steps a,b,...] [--seconds S]
//                    [--warmup S] [--pps P] [--sockets K] [--relay-pid PID] [--tag T]
//                    [--no-delete] [--srtp SUITE]

#include "gen_srtp.hpp"
#include "ng.hpp"

#include <openssl/rand.h>
#include <srtp2/srtp.h>

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
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr std::size_t packet_size = 172;    // 12-byte RTP header + 160 bytes of PCMU (20 ms)
constexpr std::uint32_t magic = 0x54425254; // "TBRT"
constexpr int batch = 64;
constexpr std::size_t max_packet = 256; // a protected packet: 172 + tag

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
    std::optional<gen_srtp::suite> srtp;
};

struct out_batch {
    std::array<mmsghdr, batch> msgs{};
    std::array<iovec, batch> iovs{};
    std::array<std::array<unsigned char, max_packet>, batch> bufs{};
    std::array<gen_srtp::session*, batch> sess{}; // --srtp: the key each packet is sent with
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
    unsigned long long gen_drops = 0, misrouted = 0, verified = 0, verify_failed = 0;
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
        if (o.srtp) {
            // leg A's two keys (tag 1 sends, tag 2 is offered too) and leg B's, per socket
            for (auto* v : {&keys_a1_, &keys_a2_, &keys_b_}) {
                v->resize(std::size_t(k));
                for (auto& s : *v) {
                    std::vector<std::uint8_t> key(gen_srtp::key_salt_len(*o.srtp));
                    if (RAND_bytes(key.data(), int(key.size())) != 1 || !s.init(*o.srtp, key))
                        die("srtp keys");
                }
            }
            tag_ = gen_srtp::tag_len(*o.srtp);
        }
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
                if (o_.srtp) {
                    // each side checks what the other sends, under the sender's own key
                    auto& a = keys_a1_[std::size_t(c % k)];
                    auto& b = keys_b_[std::size_t(c % k)];
                    send_a_.push_back(&a);
                    verify_[0].emplace_back();
                    verify_[1].emplace_back();
                    if (!verify_[0].back().init(*o_.srtp, b.master()) ||
                        !verify_[1].back().init(*o_.srtp, a.master()))
                        die("srtp keys");
                }
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
            std::string sdp_a = bench_ng::pcmu_sdp("127.0.0.1", port_a, std::uint64_t(c) + 1);
            if (o_.srtp) {
                const auto& a1 = keys_a1_[std::size_t(c % k)];
                const auto& a2 = keys_a2_[std::size_t(c % k)];
                sdp_a = srtp_sdp(sdp_a, {{1, &a1.master()}, {2, &a2.master()}});
            }
            bench_ng::dict_writer offer(cookie);
            if (o_.srtp) offer.str("DTLS", "off");
            offer.str("ICE", "remove")
                .str("call-id", call_id)
                .str("command", "offer")
                .str("from-tag", from_tag)
                .list("replace", {"origin", "session-connection"})
                .str("sdp", sdp_a);
            if (o_.srtp) offer.str("transport-protocol", "RTP/SAVP");
            std::string req = offer.finish();
            targets_[1][std::size_t(c)] = exchange(ng, cookie, req, "offer", c);
            std::string sdp_b = bench_ng::pcmu_sdp("127.0.0.1", port_b, std::uint64_t(c) + 100000001);
            std::vector<std::uint8_t> relay_key_b;
            if (o_.srtp) {
                // leg B takes the first line of the suite whose key is not the one leg A sends with
                const auto& a1 = keys_a1_[std::size_t(c % k)].master();
                unsigned tag = 0;
                for (auto& [t, key] : crypto_lines(reply_.str("sdp")))
                    if (key != a1) {
                        tag = t;
                        relay_key_b = key;
                        break;
                    }
                if (!tag)
                    die_call(
                        c,
                        "the relay's offer has no a=crypto line of the suite with a key other than leg A's");
                sdp_b = srtp_sdp(sdp_b, {{tag, &keys_b_[std::size_t(c % k)].master()}});
            }
            cookie = ng.next_cookie();
            bench_ng::dict_writer answer(cookie);
            if (o_.srtp) answer.str("DTLS", "off");
            answer.str("ICE", "remove")
                .str("call-id", call_id)
                .str("command", "answer")
                .str("from-tag", from_tag)
                .list("replace", {"origin", "session-connection"})
                .str("sdp", sdp_b)
                .str("to-tag", to_tag);
            req = answer.finish();
            targets_[0][std::size_t(c)] = exchange(ng, cookie, req, "answer", c);
            if (o_.srtp) {
                auto lines = crypto_lines(reply_.str("sdp"));
                if (lines.size() != 1 || (lines[0].first != 1 && lines[0].first != 2))
                    die_call(c, "the relay's answer does not pick exactly one of leg A's a=crypto lines");
                auto& send =
                    lines[0].first == 1 ? keys_a1_[std::size_t(c % k)] : keys_a2_[std::size_t(c % k)];
                const auto& relay_key_a = lines[0].second;
                const auto& b = keys_b_[std::size_t(c % k)].master();
                send_a_.push_back(&send);
                verify_[0].emplace_back();
                verify_[1].emplace_back();
                if (!verify_[0].back().init(*o_.srtp, relay_key_a) ||
                    !verify_[1].back().init(*o_.srtp, relay_key_b))
                    die_call(c, "a key in the relay's SDP does not fit the suite");
                // a direction is re-keyed when the relay sends on under another key than it receives
                rekeyed_ab_ += relay_key_b != send.master();
                rekeyed_ba_ += relay_key_a != b;
                ours_ += relay_key_b == keys_a1_[std::size_t(c % k)].master() ||
                         relay_key_b == keys_a2_[std::size_t(c % k)].master() || relay_key_a == b;
            }
        }
    }

    /// --srtp: the probe described at the top, then one line of what setup and probe found.
    void probe_srtp() {
        if (!o_.srtp) return;
        const int k = o_.sockets, probe_calls = std::min(o_.calls, 8);
        probing_ = true;
        probe_base_ = seq_base_;
        for (int c = 0; c < probe_calls; ++c)
            for (int dir = 0; dir < 2; ++dir)
                for (std::uint32_t i = 0; i < 4; ++i) {
                    auto s = std::uint32_t(2 * c + dir);
                    std::array<unsigned char, max_packet> p{};
                    fill(p.data(), s, seq_base_ + i, now_ns(CLOCK_REALTIME));
                    gen_srtp::session* key =
                        dir == 0 ? send_a_[std::size_t(c)] : &keys_b_[std::size_t(c % k)];
                    std::size_t n = key->protect(p.data(), packet_size);
                    if (i >= 2) p[40] ^= 0x55; // corrupted after protection: fails authentication
                    int fd = fds_[std::size_t(dir)][std::size_t(c % k)];
                    const sockaddr_in& to = targets_[std::size_t(dir)][std::size_t(c)];
                    ::sendto(fd, p.data(), n, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
                }
        seq_base_ += 4;
        double end = mono_s() + 0.3;
        for (int i = 0; i < 10000 && mono_s() < end; ++i) receive(std::max(0.0, end - mono_s()));
        probing_ = false;
        std::printf(
            "srtp suite=%s calls=%d rekeyed_a_to_b=%llu rekeyed_b_to_a=%llu relay_keys_from_our_sdp=%llu "
            "probe_good_sent=%d probe_good_arrived_verified=%llu probe_good_arrived_bad=%llu "
            "probe_corrupted_sent=%d probe_corrupted_arrived=%llu\n",
            gen_srtp::name(*o_.srtp), o_.calls, rekeyed_ab_, rekeyed_ba_, ours_, probe_calls * 4,
            probe_good_ok_, probe_good_bad_, probe_calls * 4, probe_corrupted_);
        std::fflush(stdout);
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
        sent_in_window_ = recv_in_window_ = recv_of_window_ = misrouted_ = verified_ = verify_failed_ = 0;
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
        r.verified = verified_;
        r.verify_failed = verify_failed_;
        // SRTP: a sequence number is never sent twice (the next step goes on from here)
        seq_base_ += std::uint32_t(sent / std::max<std::uint64_t>(streams, 1)) + 1;
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

    [[noreturn]] static void die_call(int c, const char* why) {
        std::fprintf(stderr, "rtp_loadgen: call %d: %s\n", c, why);
        std::exit(1);
    }

    /// `sdp` (one PCMU stream, RTP/AVP) as RTP/SAVP with these a=crypto lines of our suite.
    std::string srtp_sdp(std::string sdp,
                         std::initializer_list<std::pair<unsigned, const std::vector<std::uint8_t>*>> lines) {
        auto m = sdp.find(" RTP/AVP ");
        sdp.replace(m, 9, " RTP/SAVP ");
        std::string add;
        for (auto& [tag, key] : lines)
            add += "a=crypto:" + std::to_string(tag) + " " + gen_srtp::name(*o_.srtp) +
                   " inline:" + gen_srtp::base64(key->data(), key->size()) + "\r\n";
        sdp.insert(sdp.find("a=ptime"), add);
        return sdp;
    }

    /// The (tag, key) of each a=crypto line of our suite in `sdp`, in order.
    std::vector<std::pair<unsigned, std::vector<std::uint8_t>>> crypto_lines(std::string_view sdp) const {
        std::vector<std::pair<unsigned, std::vector<std::uint8_t>>> out;
        std::string want = std::string(" ") + gen_srtp::name(*o_.srtp) + " inline:";
        std::size_t pos = 0;
        for (int lines = 0; lines < 1000 && pos < sdp.size(); ++lines) {
            auto eol = sdp.find('\n', pos);
            if (eol == std::string_view::npos) eol = sdp.size();
            std::string_view l = sdp.substr(pos, eol - pos);
            pos = eol + 1;
            if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
            if (l.substr(0, 9) != "a=crypto:") continue;
            auto w = l.find(want);
            if (w == std::string_view::npos) continue;
            std::string_view key = l.substr(w + want.size());
            key = key.substr(0, std::min(key.find('|'), key.find(' ')));
            auto bytes = gen_srtp::unbase64(key);
            if (!bytes) continue;
            out.emplace_back(unsigned(std::atoi(std::string(l.substr(9, w - 9)).c_str())), std::move(*bytes));
        }
        return out;
    }

    /// The plain packet of stream `s`, sequence number `seq`, sent at `ts` (CLOCK_REALTIME).
    void fill(unsigned char* p, std::uint32_t s, std::uint32_t seq, std::int64_t ts) const {
        p[0] = 0x80;
        p[1] = 0; // PT 0, PCMU
        p[2] = std::uint8_t(seq >> 8);
        p[3] = std::uint8_t(seq);
        // the RTP timestamp: 160 per packet, or (SRTP) the send time in microseconds
        std::uint32_t rtp_ts = htonl(o_.srtp ? std::uint32_t(ts / 1000) : seq * 160),
                      ssrc = htonl(0x10000000u + s);
        std::memcpy(&p[4], &rtp_ts, 4);
        std::memcpy(&p[8], &ssrc, 4);
        std::uint32_t hdr[4] = {magic, current_step_, s, seq};
        std::memcpy(&p[12], hdr, sizeof hdr);
        std::memcpy(&p[28], &ts, sizeof ts);
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
        if (o_.srtp)
            for (int i = 0; i < b.n; ++i) {
                // the send time in the clear header too, then protected as it goes
                auto& p = b.bufs[std::size_t(i)];
                std::uint32_t us = htonl(std::uint32_t(ts / 1000));
                std::memcpy(&p[4], &us, 4);
                b.iovs[std::size_t(i)].iov_len = b.sess[std::size_t(i)]->protect(p.data(), packet_size);
            }
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
            auto seq = std::uint32_t(j / streams) + (o_.srtp ? seq_base_ : 0);
            if (seq > 65535) die("--srtp: sequence numbers used up (fewer steps or seconds)");
            int c = int(s / 2), dir = int(s % 2); // dir 0: A->B (from an A socket)
            int idx = dir * k + c % k;
            out_batch& b = out_[std::size_t(idx)];
            auto& p = b.bufs[std::size_t(b.n)];
            fill(p.data(), s, seq, 0); // the send time goes in in flush()
            if (o_.srtp)
                b.sess[std::size_t(b.n)] = dir == 0 ? send_a_[std::size_t(c)] : &keys_b_[std::size_t(c % k)];
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
        if (o_.srtp) {
            account_srtp(side, m, p, rx);
            return;
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

    // --srtp: what arrives is judged by its clear header; one in 32 is decrypted and checked.
    void account_srtp(int side, const mmsghdr& m, const unsigned char* p, std::int64_t rx) {
        if (m.msg_len != packet_size + tag_ || (p[0] & 0xc0) != 0x80) return;
        std::uint32_t ssrc = 0, ts32 = 0;
        std::memcpy(&ssrc, p + 8, 4);
        std::memcpy(&ts32, p + 4, 4);
        std::uint32_t s = ntohl(ssrc) - 0x10000000u;
        if (s >= std::uint32_t(2 * o_.calls)) return;
        if (int(s % 2) == side) {
            ++misrouted_;
            return;
        }
        std::uint32_t seq = std::uint32_t(p[2]) << 8 | p[3];
        if (rx == 0) rx = now_ns(CLOCK_REALTIME);
        if (probing_) {
            if (seq - probe_base_ >= 2) {
                ++probe_corrupted_;
                return;
            }
            (check(side, s, seq, p) ? probe_good_ok_ : probe_good_bad_)++;
            return;
        }
        if (rx >= win_start_rt_ && rx < win_end_rt_) ++recv_in_window_;
        // the send time, from the low 32 bits of its microseconds
        std::uint32_t d_us = std::uint32_t(rx / 1000) - ntohl(ts32);
        std::int64_t tx = rx - std::int64_t(d_us) * 1000;
        if (tx >= win_start_rt_ && tx < win_end_rt_) {
            ++recv_of_window_;
            latencies_.push_back(
                std::uint32_t(std::min<std::int64_t>(std::int64_t(d_us) * 1000, 4'000'000'000)));
        }
        if ((seq & 31) == 0) (check(side, s, seq, p) ? verified_ : verify_failed_)++;
    }

    // Decrypts a copy with the key the relay gave for that leg; true if it is what was sent.
    bool check(int side, std::uint32_t s, std::uint32_t seq, const unsigned char* p) {
        std::array<unsigned char, max_packet> copy{};
        std::memcpy(copy.data(), p, packet_size + tag_);
        if (verify_[side][s / 2].unprotect(copy.data(), packet_size + tag_) != packet_size) return false;
        std::uint32_t hdr[4];
        std::memcpy(hdr, copy.data() + 12, sizeof hdr);
        return hdr[0] == magic && hdr[2] == s && hdr[3] == seq;
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
    // --srtp
    std::size_t tag_ = 0;
    std::vector<gen_srtp::session> keys_a1_, keys_a2_, keys_b_; // per socket index
    std::vector<gen_srtp::session*> send_a_;                    // per call: leg A's sending key
    std::vector<gen_srtp::session> verify_[2]; // per call: the relay's key toward A [0], toward B [1]
    std::uint32_t seq_base_ = 0, probe_base_ = 0;
    bool probing_ = false;
    unsigned long long verified_ = 0, verify_failed_ = 0, rekeyed_ab_ = 0, rekeyed_ba_ = 0, ours_ = 0;
    unsigned long long probe_good_ok_ = 0, probe_good_bad_ = 0, probe_corrupted_ = 0;
};

bool parse_hostport(const std::string& s, sockaddr_in& sa) {
    auto colon = s.rfind(':');
    if (colon == std::string::npos) return false;
    sa = sockaddr_in{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(std::uint16_t(std::atoi(s.c_str() + colon + 1)));
    return ::inet_pton(AF_INET, s.substr(0, colon).c_str(), &sa.sin_addr) == 1;
}

/// gen_srtp against libsrtp2, both ways, on a few packets of one key: the generator's SRTP is
/// what every relay must understand.
void self_test(gen_srtp::suite s) {
    if (srtp_init() != srtp_err_status_ok) die("srtp_init");
    std::vector<std::uint8_t> key(gen_srtp::key_salt_len(s));
    if (RAND_bytes(key.data(), int(key.size())) != 1) die("RAND_bytes");
    gen_srtp::session g;
    if (!g.init(s, key)) die("gen_srtp init");
    srtp_policy_t pol{};
    if (s == gen_srtp::suite::gcm128) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
    } else {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
    }
    pol.key = key.data();
    pol.window_size = 1024;
    srtp_t in = nullptr, out = nullptr;
    pol.ssrc.type = ssrc_any_inbound;
    if (srtp_create(&in, &pol) != srtp_err_status_ok) die("srtp_create");
    pol.ssrc.type = ssrc_any_outbound;
    if (srtp_create(&out, &pol) != srtp_err_status_ok) die("srtp_create");
    for (int q = 0; q < 4; ++q) {
        std::array<unsigned char, max_packet> a{};
        a[0] = 0x80;
        a[3] = std::uint8_t(q);
        a[8] = 0x10;
        a[11] = std::uint8_t(q);
        for (std::size_t i = 12; i < packet_size; ++i) a[i] = std::uint8_t(i * 3 + std::size_t(q));
        auto b = a;
        const auto plain = a;
        int len = int(g.protect(a.data(), packet_size));
        bool ok = len == int(packet_size + gen_srtp::tag_len(s)) &&
                  srtp_unprotect(in, a.data(), &len) == srtp_err_status_ok && len == int(packet_size) &&
                  std::memcmp(a.data(), plain.data(), packet_size) == 0;
        len = int(packet_size);
        ok = ok && srtp_protect(out, b.data(), &len) == srtp_err_status_ok &&
             g.unprotect(b.data(), std::size_t(len)) == packet_size &&
             std::memcmp(b.data(), plain.data(), packet_size) == 0;
        if (!ok) die("the generator's SRTP does not agree with libsrtp2");
    }
    srtp_dealloc(in);
    srtp_dealloc(out);
}

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: rtp_loadgen (--ng IP:PORT | --direct) [--calls N] [--steps a,b,...] [--seconds S]\n"
                 "                   [--warmup S] [--pps P] [--sockets K] [--relay-pid PID] [--tag T]\n"
                 "                   [--no-delete] [--srtp AES_CM_128_HMAC_SHA1_80|AEAD_AES_128_GCM]\n");
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
        else if (a == "--srtp") {
            o.srtp = gen_srtp::from_name(next());
            if (!o.srtp) usage();
        } else
            usage();
    }
    if (o.direct == o.have_ng || o.calls < 1 || o.calls > 100000 || o.seconds <= 0 || o.seconds > 3600 ||
        o.warmup < 0 || o.warmup > 600 || o.pps <= 0 || o.pps > 10000 || o.sockets < 1 || o.sockets > 256)
        usage();
    if (o.steps.empty()) o.steps.push_back(o.calls);
    for (int& s : o.steps) s = std::clamp(s, 1, o.calls);

    if (o.srtp) self_test(*o.srtp);
    generator g(o);
    long rss0 = proc_rss_kib(o.relay_pid);
    double t = mono_s();
    g.setup();
    g.probe_srtp();
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
            "gen_cpu_pct=%.1f gen_drops=%llu misrouted=%llu verified=%llu verify_failed=%llu",
            i + 1, r.active, 2 * r.active, r.planned_pps, r.offered_pps, r.delivered_pps, r.loss_pct, r.p50,
            r.p99, r.p999, r.max, r.relay_cpu, r.gen_cpu, r.gen_drops, r.misrouted, r.verified,
            r.verify_failed);
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
