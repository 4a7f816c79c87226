#!/usr/bin/env bash
# Our own SIPp scenario pairs through examples/b2bua, on loopback. For each NAME, SIPp plays
# scenarios/NAME_uas.xml (leg B, the callee), the b2bua sits in the middle (--log debug: a
# ladder per call in its log), and SIPp plays scenarios/NAME_uac.xml (leg A, the caller; it ends
# with an out-of-dialog OPTIONS that the b2bua must answer 200 itself). A pair passes when:
#   - both SIPp exit 0 (pairs that must not reach leg B: leg B's SIPp received nothing);
#   - on the wire (what each SIPp received, from its -trace_msg trace) no Call-ID and no From/To
#     tag is on both legs, no Via/Contact/Route of one leg carries the other leg's address, and
#     no message the b2bua sends has two Contact headers;
#   - the pair's own wire check, if it has one (see settings), holds;
#   - the b2bua is still running afterwards, exits 0 on SIGTERM, and had no call left to end.
# usage: run_scenarios.sh B2BUA_BINARY [NAME...]     (no NAME: every pair in scenarios/)
# TANDEM_SIPP_LOGS=DIR keeps each pair's traces and logs in DIR/NAME (default: a temporary folder).
# TANDEM_SIPP_B2BUA_FLAGS="..." adds flags to every pair's b2bua (e.g. "--media relay": every pair through the media relay).
# Prints one line per pair and "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

usage="usage: run_scenarios.sh B2BUA_BINARY [NAME...]"
b2bua=${1:?$usage}
shift
here=$(cd "$(dirname "$0")" && pwd)
scenarios=$here/scenarios
command -v sipp >/dev/null || { echo "run_scenarios.sh: sipp (Debian package sip-tester) is not installed"; exit 1; }
command -v ss >/dev/null || { echo "run_scenarios.sh: ss (Debian package iproute2) is not installed"; exit 1; }
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"
if [[ -n "${TANDEM_SIPP_LOGS:-}" ]]; then
    work=$TANDEM_SIPP_LOGS
    keep_work=1
    mkdir -p "$work" || exit 1
else
    work=$(mktemp -d)
fi
trap cleanup EXIT

names=("$@")
if ((${#names[@]} == 0)); then
    for f in "$scenarios"/*_uac.xml; do
        f=${f##*/}
        names+=("${f%_uac.xml}")
    done
fi

# What a pair needs beyond the defaults: its number of calls (-m on both sides), the b2bua's
# extra flags, leg B's extra SIPp flags, whether leg B may see traffic at all, an extra wire
# check (a function below), and how long a run may last (seconds).
settings() {
    calls=3
    run_seconds=45
    b2bua_flags=()
    uas_flags=()
    leg_b=1
    extra_check=""
    case $1 in
        no_answer) b2bua_flags=(--no-answer-timeout 2) ;;
        options_out_of_dialog) leg_b=0 ;;
        hostile_requests) calls=1 leg_b=0 extra_check=check_hostile ;;
        invite_retransmission) extra_check=check_one_call_each ;;
        ok_retransmission) uas_flags=(-nr) extra_check=check_ack_per_200 ;;
        # RFC 4028's smallest interval is 90 s: a refresh comes at 45 s, an expiry at 60 s
        session_timer_refresh | session_timer_expiry) calls=1 run_seconds=90 b2bua_flags=(--session-expires 90) ;;
        # one transfer: leg B's SIPp takes the callee's call and the target's (leg C)
        refer_local) calls=1 b2bua_flags=(--transfers local) uas_flags=(-m 2) ;;
        # nobody sends RTP: the relay ends each call after 2 s without media
        media_timeout) b2bua_flags=(--media relay --media-timeout 2) ;;
        # SDP through the relay, which shows its own address (not SIPp's 127.0.0.1, which the
        # scenarios check); nobody sends RTP, so no media timeout
        video_add_remove) b2bua_flags=(--media relay --media-address 127.0.0.2 --media-timeout 0) ;;
    esac
}

# trace_summary TRACE: one line per message in a SIPp trace, "sent|recv START-LINE | CSEQ | CALL-ID"
# (CSEQ, CALL-ID empty when the message has none). SIPp logs each message once as "UDP message
# sent" or "UDP message received" (a "lost" one too); the blocks it adds for unexpected messages
# and dead calls are copies.
trace_summary() {
    awk '
        function flush() { if (dir != "") print dir " " start " | " cseq " | " callid; dir = "" }
        /^-----/ { flush(); next }
        /^[A-Z]+ message (sent|received)/ {
            flush(); dir = ($3 == "sent") ? "sent" : "recv"; start = cseq = callid = ""; next
        }
        dir == "" { next }
        { sub(/\r$/, "") }
        start == "" { if (NF) start = $0; next }
        tolower($0) ~ /^cseq[ \t]*:/ && cseq == "" { cseq = $0; sub(/^[^:]*:[ \t]*/, "", cseq) }
        tolower($0) ~ /^(call-id|i)[ \t]*:/ && callid == "" { callid = $0; sub(/^[^:]*:[ \t]*/, "", callid) }
        END { flush() }
    ' "$1"
}

# received_only TRACE: the messages SIPp received, in the trace's own format (what a leg saw of
# the b2bua; what SIPp sent is the scenario's own doing).
received_only() {
    awk '
        /^-----/ { keep = 0 }
        /^[A-Z]+ message (sent|received)/ { keep = ($3 != "sent") }
        keep
    ' "$1"
}

# check_one_contact TRACE LEG: every message SIPp received (that is, the b2bua sent) other than
# REGISTER and 3xx carries at most one Contact (RFC 3261 8.1.1.8, 12.1.1: exactly one URI).
# Prints one indented line per kind of offending message.
check_one_contact() {
    awk -v leg="$2" '
        function flush() {
            if (recv && n > 1 && start !~ /^REGISTER / && start !~ /^SIP\/2\.0 3/)
                print "    leg " leg " got " start " (CSeq " cseq ") with " n " Contact headers"
            recv = 0; n = 0
        }
        /^-----/ { flush(); inside = 0; next }
        /^[A-Z]+ message (sent|received)/ { flush(); inside = 1; recv = ($3 != "sent"); start = cseq = ""; next }
        !inside { next }
        { sub(/\r$/, "") }
        start == "" { if (NF) start = $0; next }
        tolower($0) ~ /^cseq[ \t]*:/ { cseq = $0; sub(/^[^:]*:[ \t]*/, "", cseq) }
        tolower($0) ~ /^(contact|m)[ \t]*:/ { n++ }
        END { flush() }
    ' "$1" | sort -u
    return 0
}

# Extra checks: each gets the pair's folder, prints an indented line per problem, fails on any.

# The caller retransmitted each INVITE: one call per INVITE in the b2bua (its ladder), one
# INVITE (Call-ID) per call on leg B, and the retransmission did happen.
check_one_call_each() {
    local dir=$1 ok=0 n
    n=$(grep -oE 'call +[0-9]+ A' "$dir/b2bua.log" | sort -u | wc -l)
    ((n == calls)) || { echo "    the b2bua made $n calls of $calls retransmitted INVITEs"; ok=1; }
    n=$(trace_summary "$dir/uas.msg" | grep '^recv INVITE ' | awk -F' [|] ' '{ print $3 }' | sort -u | wc -l)
    ((n == calls)) || { echo "    leg B got $n INVITEs (Call-IDs) for $calls calls"; ok=1; }
    n=$(trace_summary "$dir/uac.msg" | grep -c '^sent INVITE ')
    ((n >= 2 * calls)) || { echo "    the caller sent $n INVITEs for $calls calls: no retransmission was tested"; ok=1; }
    return "$ok"
}

# The callee sent each 200 twice: every 200 (INVITE) is ACKed (RFC 3261 13.2.2.4, RFC 6026 7.2).
check_ack_per_200() {
    local dir=$1 oks acks
    oks=$(trace_summary "$dir/uas.msg" | grep -cE '^sent SIP/2.0 200 .*[|] [0-9]+ INVITE [|]')
    acks=$(trace_summary "$dir/uas.msg" | grep -c '^recv ACK ')
    ((acks == oks)) && return 0
    echo "    leg B sent $oks 200s to INVITEs and got $acks ACKs"
    return 1
}

# Hostile requests: the INVITE without a Call-ID got its 400 (SIPp cannot match an answer
# without Call-ID to its call: it logs it in its error file instead of its trace), and the two
# garbage datagrams were dropped.
check_hostile() {
    local dir=$1 ok=0 n
    grep -A8 "No valid Call-ID: header in reply 'SIP/2.0 400 " "$dir/uac.err" 2>/dev/null | grep -q '^CSeq: 11 INVITE' ||
        { echo "    no 400 for the INVITE without Call-ID (CSeq 11)"; ok=1; }
    n=$(grep -c 'dropped [0-9]* bytes' "$dir/b2bua.log")
    ((n >= 2)) || { echo "    the b2bua logged dropping $n of the 2 garbage datagrams"; ok=1; }
    return "$ok"
}

run() {
    local name=$1
    local dir=$work/$name
    local problems=() uac_rc pa pb pu uas b mark line
    settings "$name"
    if [[ ! -f "$scenarios/${name}_uac.xml" || ! -f "$scenarios/${name}_uas.xml" ]]; then
        fail "$name: no ${name}_uac.xml and ${name}_uas.xml in $scenarios"
        return
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    pu=$(free_udp_port)
    pb=$(free_udp_port "$pu")
    pa=$(free_udp_port "$pu" "$pb")
    # SIPp on both sides: -m calls, then exit (0: every call passed); bounded three ways (a call
    # waits at most 8 s for a message unless the scenario says longer, a run lasts at most
    # run_seconds (45 s), and timeout kills it 15 s later).
    local sipp_common=(-i 127.0.0.1 -m "$calls" -recv_timeout 8000 -timeout "${run_seconds}s" -timeout_error
        -nostdin -trace_msg -trace_err)
    # leg B: the callee
    (cd "$dir" && exec timeout $((run_seconds + 15)) sipp -sf "$scenarios/${name}_uas.xml" -p "$pu" "${sipp_common[@]}" \
        "${uas_flags[@]}" -message_file uas.msg -error_file uas.err >uas.out 2>&1) &
    uas=$!
    pids+=("$uas")
    # shellcheck disable=SC2086 # TANDEM_SIPP_B2BUA_FLAGS: words added to every pair's b2bua
    "$b2bua" --listen "udp:127.0.0.1:$pb" --to "sip:127.0.0.1:$pu" --log debug "${b2bua_flags[@]}" ${TANDEM_SIPP_B2BUA_FLAGS:-} \
        >"$dir/b2bua.log" 2>&1 &
    b=$!
    pids+=("$b")
    if ! wait_bound "$pu" "$uas" || ! wait_bound "$pb" "$b"; then
        fail "$name: could not start (ports $pb/$pu busy?)" "$dir/b2bua.log" "$dir/uas.out"
        kill "$b" "$uas" 2>/dev/null
        wait "$b" "$uas" 2>/dev/null
        pids=()
        return
    fi
    # leg A: the caller (a scenario that names leg B's port gets it as [$leg_b_port])
    local uac_flags=()
    grep -q 'leg_b_port' "$scenarios/${name}_uac.xml" && uac_flags=(-set leg_b_port "$pu")
    (cd "$dir" && exec timeout $((run_seconds + 15)) sipp -sf "$scenarios/${name}_uac.xml" "127.0.0.1:$pb" -p "$pa" \
        "${sipp_common[@]}" "${uac_flags[@]}" -message_file uac.msg -error_file uac.err >uac.out 2>&1)
    uac_rc=$?
    ((uac_rc == 0)) || problems+=("sipp uac exit $uac_rc")
    if ((leg_b)); then
        wait_exit "$uas" 10
        [[ $exit_status == 0 ]] || problems+=("sipp uas exit $exit_status")
    else
        kill "$uas" 2>/dev/null
        wait "$uas" 2>/dev/null
        grep -q '^[A-Z]* message received' "$dir/uas.msg" 2>/dev/null &&
            problems+=("leg B got traffic: $(trace_summary "$dir/uas.msg" | grep -m1 '^recv')")
    fi
    touch "$dir/uac.msg" "$dir/uas.msg"
    # on the wire: nothing of one leg in what the other leg received
    received_only "$dir/uac.msg" >"$dir/uac.recv"
    received_only "$dir/uas.msg" >"$dir/uas.recv"
    while read -r line; do problems+=("$line"); done < <(check_topology "$dir/uac.recv" "$dir/uas.recv" "$pa" "$pu")
    while read -r line; do problems+=("$line"); done < <(check_identities "$dir/uac.recv" "$dir/uas.recv")
    while read -r line; do problems+=("$line"); done < <(check_one_contact "$dir/uac.msg" A)
    while read -r line; do problems+=("$line"); done < <(check_one_contact "$dir/uas.msg" B)
    if [[ -n "$extra_check" ]]; then
        while read -r line; do problems+=("$line"); done < <("$extra_check" "$dir")
    fi
    # the b2bua: still up, and when told to stop it has no call left to end (it would log the
    # BYEs and CANCELs of end_all as ladder lines)
    sleep 0.2
    if kill -0 "$b" 2>/dev/null; then
        mark=$(stat -c %s "$dir/b2bua.log")
        kill -TERM "$b"
        wait_exit "$b" 5
        [[ $exit_status == 0 ]] || problems+=("b2bua exit $exit_status on SIGTERM")
        line=$(tail -c +"$((mark + 1))" "$dir/b2bua.log" | grep -cE 'call +[0-9]+ A \|')
        ((line == 0)) || problems+=("calls left at shutdown: $line ladder lines after SIGTERM")
    else
        wait "$b" 2>/dev/null
        problems+=("the b2bua died (exit $?)")
    fi
    pids=()
    if ((${#problems[@]} == 0)); then
        echo "ok   $name: $calls call$( ((calls == 1)) || echo s)"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        for line in "${problems[@]}"; do echo "    $line"; done
        for f in uac.err uas.err b2bua.log; do
            [[ -s "$dir/$f" ]] || continue
            echo "    --- $f (last lines)"
            tail -n 20 "$dir/$f" | awk '{ print "    " $0 }'
        done
        failed=$((failed + 1))
    fi
}

start=$SECONDS
for n in "${names[@]}"; do run "$n"; done
echo "$passed passed, $failed failed ($((SECONDS - start)) s)"
((failed == 0))
