#!/usr/bin/env bash
# bench_b2bua.sh: examples/b2bua (signaling only) against Kamailio as a transaction-stateful,
# record-routing proxy (tm, sl, rr, maxfwd, siputils, textops; the config is written below), in the same
# run: SIPp's uac -> element -> SIPp's uas on loopback, at rising call rates. For each element
# and rate: calls attempted, failed, and the element's CPU (user+system from /proc). Reports the
# highest rate with < 0.1% failed calls and the calls/s ratio. Then, with --memory, the RSS of
# the b2bua per established call at CALLS concurrent calls.
#
# usage: benchmarks/bench_b2bua.sh B2BUA_BINARY [SECONDS_PER_STEP] [RATES...]
#        benchmarks/bench_b2bua.sh --memory B2BUA_BINARY [CALLS]
# Kamailio comes from the Debian package `kamailio`. Every load is bounded (-m, -timeout).
set -uo pipefail

work=$(mktemp -d)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
tick=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

start_uas() { # port
    sipp -sn uas -i 127.0.0.1 -p "$1" -nostdin >"$work/uas.out" 2>&1 &
    pids+=($!)
    uas_pid=$!
}

kamailio_cfg() { # listen-port target-port
    cat <<CFG
#!KAMAILIO
debug=0
log_stderror=yes
fork=yes
children=1
# the receive buffer tandem's UDP transport asks for (4 MiB): neither drops a short burst
maxbuffer=4194304
listen=udp:127.0.0.1:$1
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "pv.so"
request_route {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (has_totag()) {
        # SIPp's built-in uac sends ACK and BYE to us without the Route header: relay them on
        if (!loose_route()) { \$du = "sip:127.0.0.1:$2"; }
        t_relay();
        exit;
    }
    if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
    t_check_trans();
    if (is_method("INVITE")) { record_route(); }
    \$du = "sip:127.0.0.1:$2";
    t_relay();
}
CFG
}

if [[ "${1:-}" == --memory ]]; then
    b2bua=${2:?usage: bench_b2bua.sh --memory B2BUA_BINARY [CALLS]}
    calls=${3:-10000}
    base=$((20000 + RANDOM % 30000))
    start_uas $((base + 2))
    "$b2bua" --listen "udp:127.0.0.1:$((base + 1))" --to "sip:127.0.0.1:$((base + 2))" --log error >"$work/b2bua.log" 2>&1 &
    b=$!
    pids+=("$b")
    sleep 0.5
    rss0=$(awk '/VmRSS/ {print $2}' "/proc/$b/status")
    # CALLS calls set up at 1000 calls/s, each up for long enough to sample twice: once the
    # last one is answered (transaction state of the setup still there: 64*T1 = 32 s, RFC 6026),
    # and once that is gone (only established calls left)
    up=$((calls / 1000))
    timeout $((up + 200)) sipp -sn uac "127.0.0.1:$((base + 1))" -r 1000 -m "$calls" -l "$calls" -d $(((up + 60) * 1000)) \
        -timeout $((up + 150))s -nostdin >"$work/uac.out" 2>&1 &
    pids+=($!)
    sleep $((up + 5))
    rss1=$(awk '/VmRSS/ {print $2}' "/proc/$b/status")
    sleep 45
    rss2=$(awk '/VmRSS/ {print $2}' "/proc/$b/status")
    echo "b2bua RSS: $rss0 KiB idle; $rss1 KiB with $calls calls just set up; $rss2 KiB 45 s later (setup transactions over)"
    awk -v a="$rss0" -v b="$rss1" -v n="$calls" 'BEGIN{ printf "memory per call just set up: %.2f KiB\n", (b-a)/n }'
    awk -v a="$rss0" -v b="$rss2" -v n="$calls" 'BEGIN{ printf "memory per established call: %.2f KiB\n", (b-a)/n }'
    exit 0
fi

b2bua=${1:?usage: bench_b2bua.sh B2BUA_BINARY [SECONDS] [RATES...]}
seconds=${2:-30}
shift 2 2>/dev/null || shift $#
rates=("$@")
((${#rates[@]})) || rates=(1000 2000 4000 8000)
command -v kamailio >/dev/null || { echo "bench_b2bua.sh: kamailio is not installed (apt-get install kamailio)"; exit 1; }

run_step() { # element rate -> "attempted failed cpu"
    local name=$1 rate=$2 base=$((20000 + RANDOM % 30000)) el
    start_uas $((base + 2))
    if [[ $name == tandem ]]; then
        "$b2bua" --listen "udp:127.0.0.1:$((base + 1))" --to "sip:127.0.0.1:$((base + 2))" --log error >"$work/el.log" 2>&1 &
        el=$!
    else
        kamailio_cfg $((base + 1)) $((base + 2)) >"$work/kamailio.cfg"
        # -x fm: Kamailio's fast allocator. Debian's build defaults to qm, the allocator with
        # memory debugging, which costs Kamailio ~4.5x the CPU per call here: not a fair peer.
        kamailio -DD -E -f "$work/kamailio.cfg" -m 512 -x fm >"$work/el.log" 2>&1 &
        el=$!
    fi
    pids+=("$el")
    sleep 1
    local before after procs
    # Kamailio forks workers: count the CPU of the whole process group below the main process
    procs() { echo "$el" $(pgrep -P "$el"); }
    before=0
    for p in $(procs); do before=$((before + $(cpu_ticks "$p"))); done
    timeout $((seconds * 3 + 60)) sipp -sn uac "127.0.0.1:$((base + 1))" -r "$rate" -m $((rate * seconds)) \
        -l $((rate * 2)) -timeout $((seconds * 2 + 30))s -nostdin >"$work/uac.out" 2>&1
    after=0
    for p in $(procs); do after=$((after + $(cpu_ticks "$p"))); done
    kill "$el" "$uas_pid" 2>/dev/null
    wait "$el" "$uas_pid" 2>/dev/null
    local ok failed
    ok=$(grep -E "^ *Successful call" "$work/uac.out" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
    failed=$(grep -E "^ *Failed call" "$work/uac.out" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
    echo "$((${ok:-0} + ${failed:-0})) ${failed:-0} $(awk -v t=$((after - before)) -v k="$tick" 'BEGIN{printf "%.2f", t/k}')"
}

declare -A best cpu_sum calls_sum
printf '%-9s %7s %9s %8s %10s %13s\n' element rate attempted failed "cpu (s)" "cpu-us/call"
for rate in "${rates[@]}"; do
    for name in tandem kamailio; do
        read -r attempted failed cpu < <(run_step "$name" "$rate")
        per_call=$(awk -v c="$cpu" -v n="$attempted" 'BEGIN{ if (n > 0) printf "%.0f", c * 1e6 / n; else print "-" }')
        printf '%-9s %7s %9s %8s %10s %13s\n' "$name" "$rate" "$attempted" "$failed" "$cpu" "$per_call"
        if ((attempted > 0)) && awk -v f="$failed" -v n="$attempted" 'BEGIN{exit !(f*1000 < n)}'; then
            best[$name]=$rate
            cpu_sum[$name]=$(awk -v a="${cpu_sum[$name]:-0}" -v c="$cpu" 'BEGIN{print a + c}')
            calls_sum[$name]=$((${calls_sum[$name]:-0} + attempted))
        fi
    done
done
echo
for name in tandem kamailio; do
    echo "highest rate with < 0.1% failed calls, $name: ${best[$name]:-none} calls/s"
done
if [[ -n "${best[tandem]:-}" && -n "${best[kamailio]:-}" ]]; then
    awk -v a="${best[tandem]}" -v b="${best[kamailio]}" 'BEGIN{ printf "ratio calls/s tandem-b2bua/kamailio: %.2fx\n", a/b }'
    # CPU per call over the steps both passed: what a core buys when SIPp, not the element,
    # is what limits the rate on this machine
    awk -v ct="${cpu_sum[tandem]}" -v nt="${calls_sum[tandem]}" -v ck="${cpu_sum[kamailio]}" -v nk="${calls_sum[kamailio]}" \
        'BEGIN{ t = ct * 1e6 / nt; k = ck * 1e6 / nk;
                printf "cpu per call (passed steps): tandem %.0f us, kamailio %.0f us; calls per core-second ratio tandem/kamailio: %.2fx\n", t, k, k / t }'
fi
