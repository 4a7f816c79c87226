#!/usr/bin/env bash
# bench_uas.sh: examples/uas against SIPp's own "uas" scenario, in the same run, under SIPp's
# "uac" scenario at rising call rates, on loopback. For each UAS and rate: calls attempted,
# failed, and the CPU the UAS process used (user+system seconds from /proc/PID/stat) per 1000
# calls. Reports the highest rate with < 0.1% failed calls for each, and their CPU ratio.
#
# usage: benchmarks/bench_uas.sh UAS_BINARY [SECONDS_PER_STEP] [RATES...]
#   defaults: 30 s per step; rates 1000 2000 4000 8000 12000
# Bounded: every sipp run has a call count (-m) and a global timeout.
set -uo pipefail

uas=${1:?usage: bench_uas.sh UAS_BINARY [SECONDS] [RATES...]}
seconds=${2:-30}
shift 2 2>/dev/null || shift $#
rates=("$@")
((${#rates[@]})) || rates=(1000 2000 4000 8000 12000)
tick=$(getconf CLK_TCK)
work=$(mktemp -d)
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run_step NAME RATE: starts the UAS, loads it, prints "attempted failed cpu_seconds"
run_step() {
    local name=$1 rate=$2 port=$((20000 + RANDOM % 30000))
    if [[ $name == tandem ]]; then
        "$uas" --listen "udp:127.0.0.1:$port" --log error >"$work/uas.log" 2>&1 &
    else
        sipp -sn uas -i 127.0.0.1 -p "$port" -nostdin -bg >"$work/uas.log" 2>&1 &
    fi
    pid=$!
    sleep 0.5
    if [[ $name == sipp ]]; then
        # -bg forks: find the listening sipp by its port
        pid=$(pgrep -n -f "sipp -sn uas -i 127.0.0.1 -p $port") || { echo "0 0 0"; return; }
    fi
    local before calls=$((rate * seconds))
    before=$(cpu_ticks "$pid")
    timeout $((seconds * 3 + 60)) sipp -sn uac "127.0.0.1:$port" -r "$rate" -m "$calls" -l $((rate * 2)) \
        -timeout $((seconds * 2 + 30))s -nostdin -trace_stat -stf "$work/stat.csv" >"$work/uac.log" 2>&1
    local after
    after=$(cpu_ticks "$pid" 2>/dev/null || echo "$before")
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=""
    local ok failed
    ok=$(grep -E "^ *Successful call" "$work/uac.log" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
    failed=$(grep -E "^ *Failed call" "$work/uac.log" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
    echo "$((${ok:-0} + ${failed:-0})) ${failed:-0} $(awk -v t=$((after - before)) -v k="$tick" 'BEGIN{printf "%.2f", t/k}')"
}

declare -A best_rate best_cpu
printf '%-7s %7s %9s %8s %10s %14s\n' uas rate attempted failed "cpu (s)" "cpu s/1k calls"
for rate in "${rates[@]}"; do
    for name in tandem sipp; do
        read -r attempted failed cpu < <(run_step "$name" "$rate")
        per=$(awk -v c="$cpu" -v n="$attempted" 'BEGIN{ if (n>0) printf "%.3f", c*1000/n; else print "-" }')
        printf '%-7s %7s %9s %8s %10s %14s\n' "$name" "$rate" "$attempted" "$failed" "$cpu" "$per"
        if ((attempted > 0)) && awk -v f="$failed" -v n="$attempted" 'BEGIN{exit !(f*1000 < n)}'; then
            best_rate[$name]=$rate
            best_cpu[$name]=$per
        fi
    done
done
echo
for name in tandem sipp; do
    echo "highest rate with < 0.1% failed calls, $name uas: ${best_rate[$name]:-none} calls/s (cpu ${best_cpu[$name]:--} s per 1000 calls)"
done
if [[ -n "${best_cpu[tandem]:-}" && -n "${best_cpu[sipp]:-}" ]]; then
    awk -v a="${best_cpu[tandem]}" -v b="${best_cpu[sipp]}" 'BEGIN{ if (a>0) printf "ratio cpu per call sipp-uas/tandem-uas: %.2fx\n", b/a }'
fi
