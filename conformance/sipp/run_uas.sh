#!/usr/bin/env bash
# SIPp's built-in "uac" scenario against examples/uas, on loopback:
#   UDP, TCP, and UDP with 10% packet loss (every call must still complete).
# usage: run_uas.sh UAS_BINARY [CALLS]
# Prints one line per run and "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

uas=${1:?usage: run_uas.sh UAS_BINARY [CALLS]}
calls=${2:-200}
command -v sipp >/dev/null || { echo "run_uas.sh: sipp (Debian package sip-tester) is not installed"; exit 1; }
work=$(mktemp -d)
uas_pid=""
cleanup() {
    [[ -n "$uas_pid" ]] && kill "$uas_pid" 2>/dev/null && wait "$uas_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0

# A free port pair: try random ports until the uas binds (it exits at once if it cannot).
start_uas() {
    local tries
    for tries in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + RANDOM % 30000))
        "$uas" --listen "udp:127.0.0.1:$port" --listen "tcp:127.0.0.1:$port" >"$work/uas.log" 2>&1 &
        uas_pid=$!
        sleep 0.3
        if kill -0 "$uas_pid" 2>/dev/null; then return 0; fi
        wait "$uas_pid" 2>/dev/null
        uas_pid=""
    done
    echo "run_uas.sh: could not start $uas"
    return 1
}

run() {
    local name=$1
    shift
    start_uas || { failed=$((failed + 1)); return; }
    # -m: calls; -r: calls per second; bounded by -timeout; SIPp exits 0 only when every call succeeded.
    if timeout 180 sipp -sn uac "127.0.0.1:$port" -m "$calls" -r 50 -l 100 -timeout 150s -timeout_error \
        -trace_err -error_file "$work/$name.err" -nostdin "$@" >"$work/$name.out" 2>&1; then
        echo "ok   sipp uac -> uas ($name): $calls calls"
        passed=$((passed + 1))
    else
        echo "FAIL sipp uac -> uas ($name), sipp exit $?"
        tail -n 30 "$work/$name.out" "$work/$name.err" 2>/dev/null | sed 's/^/    /'
        tail -n 20 "$work/uas.log" | sed 's/^/    uas: /'
        failed=$((failed + 1))
    fi
    kill "$uas_pid" 2>/dev/null
    wait "$uas_pid" 2>/dev/null
    uas_pid=""
}

run udp -t u1
run tcp -t t1
run udp-loss10 -t u1 -lost 10

echo "$passed passed, $failed failed"
((failed == 0))
