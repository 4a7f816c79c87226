#!/usr/bin/env bash
# The b2bua's command line: a bad value is a clear error and exit 2, --help exit 0.
# usage: check_flags.sh B2BUA_BINARY
set -uo pipefail
program=${1:?usage: check_flags.sh B2BUA_BINARY}
# shellcheck source=examples/common/expect_exit.sh
. "$(dirname "$0")/../common/expect_exit.sh"
expect 0 'usage: b2bua' --help
expect 2 "--transfers takes one of relay, local, refuse, not 'sideways'" --to sip:127.0.0.1:5070 --transfers sideways
expect 2 "--session-timers takes one of local, relay, off, not 'on'" --to sip:127.0.0.1:5070 --session-timers on
expect 2 "--session-expires takes a number of seconds" --to sip:127.0.0.1:5070 --session-expires -5
expect 2 "--max-duration takes a number of seconds" --to sip:127.0.0.1:5070 --max-duration 1x
expect 2 "--transfers needs a value" --to sip:127.0.0.1:5070 --transfers
exit "$failed"
