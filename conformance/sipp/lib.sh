# Shared by the SIPp runners (sourced, not run): the processes a runner started, its failure
# report, and the wire checks that one leg of a B2BUA call shows nothing of the other, read from
# SIPp's message traces (-trace_msg).
# shellcheck shell=bash

# (the variables are the sourcing runner's)
# shellcheck disable=SC2034
pids=()   # processes this runner started; cleanup stops them, by PID
work=""   # the runner's scratch folder, removed by cleanup unless keep_work is set
keep_work=0
passed=0
failed=0

# The EXIT trap: stop what we started, remove the scratch folder.
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    if [[ -n "$work" ]] && ((!keep_work)); then rm -rf "$work"; fi
}

# fail MESSAGE [FILE...]: one FAIL line, then the last lines of each FILE that exists.
fail() {
    echo "FAIL $1"
    shift
    for f in "$@"; do [[ -f "$f" ]] && tail -n 25 "$f" | sed 's/^/    /'; done
    failed=$((failed + 1))
}

# check_topology A_TRACE B_TRACE A_PORT B_PORT: leg B (B_TRACE) must not see leg A's address
# (host:port) in any start line or header, From and To included (the b2bua keeps the user part
# of an identity and writes its own host), nor its first Call-ID or From tag; leg A must not see
# leg B's address. Prints one indented line per leak; returns 1 if there was any.
sip_lines() {
    grep -E '^([A-Za-z][A-Za-z0-9.!%*_+`~'"'"'-]*[[:space:]]*:|SIP/2\.0 |[A-Z]+ [^ ]+ SIP/2\.0)' "$1"
}
check_topology() {
    local a=$1 b=$2 pa=$3 pb=$4 leaks=0 cid tag line
    line=$(sip_lines "$b" | grep -m1 "127.0.0.1:$pa") &&
        { echo "    leg A's address reached leg B: ${line%$'\r'}"; leaks=1; }
    cid=$(grep -m1 -i '^Call-ID:' "$a" | sed 's/^[^:]*: *//; s/\r$//')
    [[ -n "$cid" ]] && grep -qF "$cid" "$b" && { echo "    leg A's Call-ID $cid reached leg B"; leaks=1; }
    tag=$(grep -m1 -i '^From:' "$a" | sed -n 's/.*tag=\([^;[:space:]]*\).*/\1/p' | tr -d '\r')
    [[ -n "$tag" ]] && grep -qF "tag=$tag" "$b" && { echo "    leg A's From tag reached leg B"; leaks=1; }
    line=$(sip_lines "$a" | grep -m1 "127.0.0.1:$pb") &&
        { echo "    leg B's address reached leg A: ${line%$'\r'}"; leaks=1; }
    return "$leaks"
}

# The Call-IDs, and the From/To tags, in a trace (one per line, sorted, unique).
trace_call_ids() {
    grep -iE '^(Call-ID|i)[[:space:]]*:' "$1" | sed 's/^[^:]*:[[:space:]]*//; s/[[:space:]]*$//' | tr -d '\r' |
        sort -u
}
trace_tags() {
    grep -iE '^(From|f|To|t)[[:space:]]*:' "$1" | grep -oiE ';[[:space:]]*tag=[^;,>[:space:]]+' |
        sed 's/^[^=]*=//' | sort -u
}

# check_identities A_TRACE B_TRACE: no Call-ID and no From/To tag appears on both legs (every
# message, both directions). Prints one indented line per shared value; returns 1 if any.
check_identities() {
    local a=$1 b=$2 shared=0 v
    while read -r v; do
        [[ -n "$v" ]] && { echo "    Call-ID $v is on both legs"; shared=1; }
    done < <(comm -12 <(trace_call_ids "$a") <(trace_call_ids "$b"))
    while read -r v; do
        [[ -n "$v" ]] && { echo "    tag $v is on both legs"; shared=1; }
    done < <(comm -12 <(trace_tags "$a") <(trace_tags "$b"))
    return "$shared"
}

# A random UDP port on 127.0.0.1 that nothing listens on now (and not one of ARGS).
free_udp_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 30000))
        [[ " $* " == *" $p "* ]] && continue
        ss -Hlun "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
    done
    echo "$p"
}

# wait_bound PORT PID: waits (up to 3 s) until PORT is bound, false if PID died or it never was.
wait_bound() {
    local port=$1 pid=$2
    for _ in $(seq 30); do
        kill -0 "$pid" 2>/dev/null || return 1
        ss -Hlun "sport = :$port" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

# wait_exit PID SECONDS: waits for PID (a child of this shell) to exit and sets exit_status to
# its status, or to "timeout" after SECONDS (and then kills it).
# shellcheck disable=SC2034
exit_status=""
wait_exit() {
    local pid=$1 limit=$(($2 * 10)) i
    for ((i = 0; i < limit; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            exit_status=$?
            return 0
        fi
        sleep 0.1
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    exit_status=timeout
}
