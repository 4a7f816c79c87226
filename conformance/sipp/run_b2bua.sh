#!/usr/bin/env bash
# SIPp on both sides of examples/b2bua, on loopback: SIPp's built-in uac -> b2bua -> SIPp's
# built-in uas. Runs: UDP, UDP with 10% packet loss on the caller's side, and TCP. After each run it
# checks on the wire (SIPp's message traces) that leg B saw nothing of leg A's path: no Via,
# Contact or Route with the caller's address, not its Call-ID or tags (and the reverse).
# usage: run_b2bua.sh B2BUA_BINARY [CALLS]
# Prints one line per run and "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

b2bua=${1:?usage: run_b2bua.sh B2BUA_BINARY [CALLS]}
calls=${2:-100}
command -v sipp >/dev/null || { echo "run_b2bua.sh: sipp (Debian package sip-tester) is not installed"; exit 1; }
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap cleanup EXIT

run() { # NAME udp|tcp [SIPp uac arguments...]
    local name=$1 transport=$2
    shift 2
    local sipp_t=() to_param=""
    if [[ $transport == tcp ]]; then
        sipp_t=(-t t1) # one TCP connection per side
        to_param=";transport=tcp"
    fi
    local base=$((20000 + RANDOM % 30000))
    local pa=$base pb=$((base + 1)) pu=$((base + 2))
    local dir="$work/$name"
    mkdir -p "$dir"
    # leg B: SIPp's uas (runs in the background until we stop it, by PID)
    (cd "$dir" && exec sipp -sn uas -i 127.0.0.1 -p "$pu" "${sipp_t[@]}" -nostdin -trace_msg -message_file uas.msg >uas.out 2>&1) &
    local uas=$!
    pids+=("$uas")
    "$b2bua" --listen "$transport:127.0.0.1:$pb" --to "sip:127.0.0.1:$pu$to_param" >"$dir/b2bua.log" 2>&1 &
    local b=$!
    pids+=("$b")
    sleep 0.5
    if ! kill -0 "$b" 2>/dev/null || ! kill -0 "$uas" 2>/dev/null; then
        fail "$name: could not start (ports $pb/$pu busy?)" "$dir/b2bua.log" "$dir/uas.out"
        return
    fi
    if (cd "$dir" && timeout 180 sipp -sn uac "127.0.0.1:$pb" -p "$pa" -m "$calls" -r 20 -timeout 150s -timeout_error \
        "${sipp_t[@]}" -nostdin -trace_msg -message_file uac.msg "$@" >uac.out 2>&1); then
        # leg B must not see leg A's address, Call-IDs or tags, nor leg A leg B's address
        if ! check_topology "$dir/uac.msg" "$dir/uas.msg" "$pa" "$pu"; then
            fail "$name: topology leaked"
        else
            echo "ok   sipp uac -> b2bua -> sipp uas ($name): $calls calls, no leg A data on leg B"
            passed=$((passed + 1))
        fi
    else
        fail "$name: sipp exit $?" "$dir/uac.out" "$dir/b2bua.log"
    fi
    kill "$b" "$uas" 2>/dev/null
    wait "$b" "$uas" 2>/dev/null
    pids=()
}

run udp udp
run udp-loss10 udp -lost 10
run tcp tcp

echo "$passed passed, $failed failed"
((failed == 0))
