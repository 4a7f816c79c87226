#!/usr/bin/env bash
# The b2bua's command line: a bad value is a clear error and exit 2, --help exit 0.
# usage: check_flags.sh B2BUA_BINARY
set -uo pipefail
b2bua=${1:?usage: check_flags.sh B2BUA_BINARY}
failed=0
# expect STATUS PATTERN ARGS...: the b2bua exits STATUS and its output matches PATTERN
expect() {
    local status=$1 pattern=$2 out rc
    shift 2
    out=$(timeout 10 "$b2bua" "$@" 2>&1)
    rc=$?
    if ((rc != status)) || ! grep -qE -- "$pattern" <<<"$out"; then
        echo "FAIL b2bua $*: exit $rc, output: $out"
        failed=1
    else
        echo "ok   b2bua $*"
    fi
}
expect 0 'usage: b2bua' --help
expect 2 "--transfers takes one of relay, local, refuse, not 'sideways'" --to sip:127.0.0.1:5070 --transfers sideways
expect 2 "--session-timers takes one of local, relay, off, not 'on'" --to sip:127.0.0.1:5070 --session-timers on
expect 2 "--session-expires takes a number of seconds" --to sip:127.0.0.1:5070 --session-expires -5
expect 2 "--max-duration takes a number of seconds" --to sip:127.0.0.1:5070 --max-duration 1x
expect 2 "--transfers needs a value" --to sip:127.0.0.1:5070 --transfers
exit "$failed"
