#!/usr/bin/env bash
# The trenscrypter's command line: a bad value is a clear error and exit 2, --help exit 0.
# usage: check_flags.sh TRENSCRYPTER_BINARY
set -uo pipefail
program=${1:?usage: check_flags.sh TRENSCRYPTER_BINARY}
# shellcheck source=examples/common/expect_exit.sh
. "$(dirname "$0")/../common/expect_exit.sh"
to=(--to sip:127.0.0.1:5070)
expect 0 'usage: trenscrypter' --help
expect 2 "--to needs a sip: or sips: URI" --encryption '.*=sdes'
expect 2 "--encryption takes REGEX=MODE, not 'sdes'" "${to[@]}" --encryption sdes
expect 2 "MODE is none, sdes, sdes:SUITE\[,SUITE...\], dtls or zrtp, not 'srtp'" "${to[@]}" --encryption '.*=srtp'
expect 2 "not 'zrtp:DH3k'" "${to[@]}" --encryption '.*=zrtp:DH3k'
expect 2 "unknown SDES suite 'AES_CM_128_HMAC_SHA1_81'" "${to[@]}" --encryption '.*=sdes:AES_CM_128_HMAC_SHA1_80,AES_CM_128_HMAC_SHA1_81'
expect 2 "sdes: needs at least one suite" "${to[@]}" --encryption '.*=sdes:'
expect 2 "bad regular expression '\(unclosed'" "${to[@]}" --encryption '(unclosed=sdes'
expect 2 "--rtp-ports takes LOW-HIGH" "${to[@]}" --rtp-ports 40000
expect 2 "--cert and --key go together" "${to[@]}" --cert /nonexistent.pem
expect 1 "DTLS certificate" "${to[@]}" --cert /nonexistent.pem --key /nonexistent.key
expect 2 "--media-timeout takes a number of seconds" "${to[@]}" --media-timeout soon
exit "$failed"
