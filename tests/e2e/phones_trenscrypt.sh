#!/usr/bin/env bash
# End to end: two real phones call each other through examples/trenscrypter, each leg with its own
# media encryption, in a network namespace of their own (own loopback: no port clashes, nothing
# foreign in the capture).
#   phone A (caller, 1000 Hz, offers its MODE)  ->  trenscrypter on 127.0.0.1:5060
#   (--encryption '.*=<phone B's MODE>')  ->  phone B (callee, auto-answer, 600 Hz, its MODE)
# PCMU only; both phones record what they decode. Each phone is baresip 1.0 (a sine, sndfile
# recordings, driven through ctrl_tcp) or linphonec 5.1 (an 8 kHz mono wav as its microphone and a
# wav recording, `soundcard use files`, `play`, `record`; driven through its stdin, a FIFO).
# The call lasts about 7 s after it is established; then phone A hangs up and
# tests/e2e/media_check.py checks the capture, the recordings and the trenscrypter's `media stats`
# line: RTP (or SRTP) flows both ways between each phone and the trenscrypter and never directly
# between the phones, the SDP each phone gets names only the trenscrypter's address and ports, each
# phone hears the other's tone, and per leg: plain legs carry the tones in PCMU on the wire;
# encrypted legs carry no decodable tone (not even one packet of it) but SRTP with the tag of the
# negotiated suite, SDES legs have a=crypto on both sides (the answer's suite one of the offer's),
# DTLS legs UDP/TLS/RTP/SAVP(F) with a=fingerprint and DTLS records both ways, ZRTP legs RTP/AVP
# with a=zrtp-hash on both sides, a complete ZRTP handshake both ways (packets 0x10 .. "ZRTP", no
# Error), SRTP with the tag of the auth type the Commit chose (HS32: 4 bytes, HS80: 10) and the SAS
# linphonec logs ("SAS is xxxx") equal to the trenscrypter's a_sas= (b_sas=); with SUITES, the
# trenscrypter's offer on leg B lists exactly them and phone B's answer picks one.
#
# usage: phones_trenscrypt.sh [--selfcheck] TRENSCRYPTER CALLER:MODE CALLEE:MODE [SUITES]
#   CALLER, CALLEE: baresip | linphone; MODE: plain | sdes | dtls | zrtp[:ALGO,...] (linphone only:
#   baresip 1.0 has no ZRTP; ALGO: X255 X448 DH3k DH2k HS32 HS80, the key agreements and auth tag
#   types the phone prefers: the handshake must choose one of those key agreements, and one of
#   those auth tag types when the phone initiates; bzrtp adds the mandatory DH3k, HS32, HS80).
#   The caller's phone offers its MODE (baresip: ;mediaenc=srtp-mand or dtls_srtp; linphone:
#   media_encryption=srtp, dtls or zrtp, mandatory); the callee's phone is set to its MODE and the
#   trenscrypter gets --encryption '.*=none|sdes|sdes:SUITES|dtls|zrtp' for leg B.
#   SUITES: comma-separated SDES suites for leg B (callee MODE sdes), e.g. AES_256_CM_HMAC_SHA1_32.
#   --selfcheck: the detectors' self-check. The trenscrypter gets '.*=none' and the callee's phone
#         is plain, while the checks still demand the callee's MODE (sdes, dtls or zrtp) on leg B:
#         it passes only if exactly leg B's encryption checks fail (plaintext tone on the wire, SDP
#         without a=crypto, a=fingerprint or a=zrtp-hash, no DTLS records for dtls, no ZRTP
#         handshake and no SAS for zrtp).
# TANDEM_E2E_LOGS=DIR keeps the capture, recordings and logs in DIR.
# Needs root (or CAP_SYS_ADMIN) for the namespace; baresip (baresip-core), linphonec
# (linphone-cli) when a phone is linphone, tcpdump, python3.
set -euo pipefail

usage="usage: phones_trenscrypt.sh [--selfcheck] TRENSCRYPTER CALLER:MODE CALLEE:MODE [SUITES]
  CALLER, CALLEE: baresip|linphone; MODE: plain|sdes|dtls|zrtp[:ALGO,...] (zrtp: linphone only;
  ALGO: X255|X448|DH3k|DH2k|HS32|HS80)"
selfcheck=0
if [[ ${1:-} == --selfcheck ]]; then
    selfcheck=1
    shift
fi
[[ $# -ge 3 && $# -le 4 ]] || { echo "$usage" >&2; exit 2; }
trenscrypter=$(realpath "$1")
a_spec=$2
b_spec=$3
suites=${4:-}
a_kind=${a_spec%%:*} a_mode=${a_spec#*:}
b_kind=${b_spec%%:*} b_mode=${b_spec#*:}
# zrtp:ALGO,...: the phone's own ZRTP preferences; the mode is zrtp
a_zrtp="" b_zrtp=""
[[ $a_mode == zrtp:* ]] && a_zrtp=${a_mode#zrtp:} a_mode=zrtp
[[ $b_mode == zrtp:* ]] && b_zrtp=${b_mode#zrtp:} b_mode=zrtp
for kind in "$a_kind" "$b_kind"; do
    [[ $kind == baresip || $kind == linphone ]] || { echo "$usage" >&2; exit 2; }
done
for m in "$a_mode" "$b_mode"; do
    [[ $m == plain || $m == sdes || $m == dtls || $m == zrtp ]] || { echo "$usage" >&2; exit 2; }
done
[[ $a_kind:$a_mode != baresip:zrtp && $b_kind:$b_mode != baresip:zrtp ]] ||
    { echo "phones_trenscrypt: baresip 1.0 has no ZRTP: zrtp needs linphone" >&2; exit 2; }
for algo in ${a_zrtp//,/ } ${b_zrtp//,/ }; do
    [[ $algo =~ ^(X255|X448|DH3k|DH2k|HS32|HS80)$ ]] || { echo "$usage" >&2; exit 2; }
done
[[ -z $suites || $b_mode == sdes ]] || { echo "phones_trenscrypt: SUITES need the callee's MODE sdes" >&2; exit 2; }
[[ $selfcheck == 0 || $b_mode != plain ]] ||
    { echo "phones_trenscrypt: --selfcheck needs the callee's MODE sdes, dtls or zrtp" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)

# shellcheck source-path=SCRIPTDIR source=phones_lib.sh
source "$here/phones_lib.sh"
e2e_init phones_trenscrypt trenscrypter.log
flags=()
[[ $selfcheck == 1 ]] && flags=(--selfcheck)
e2e_netns "$a_kind $b_kind" "${flags[@]}" "$trenscrypter" "$a_spec" "$b_spec" ${suites:+"$suites"}

# What each side is really set to: in the self-check, leg B is plain whatever the checks demand.
b_phone_mode=$b_mode
leg_b=$b_mode
[[ $b_mode == plain ]] && leg_b=none
[[ $b_mode == sdes && -n $suites ]] && leg_b=sdes:$suites
if [[ $selfcheck == 1 ]]; then
    b_phone_mode=plain
    leg_b=none
fi

call_seconds=7

e2e_workdir tpt
phone_setup a "$a_kind" "$a_mode" "$a_zrtp"
phone_setup b "$b_kind" "$b_phone_mode" "$b_zrtp"
start_capture
start_relay "the trenscrypter" "$trenscrypter" --encryption ".*=$leg_b" --rtp-ports "$relay_ports" --log debug
start_phones

echo "phones_trenscrypt: phone A ($a_kind, offers $a_mode${a_zrtp:+ $a_zrtp}) 127.0.0.1:$sip_a -> trenscrypter" \
    "127.0.0.1:$sip_relay (leg B: $leg_b) -> phone B ($b_kind, $b_phone_mode${b_zrtp:+ $b_zrtp}) 127.0.0.1:$sip_b" \
    "$([[ $selfcheck == 1 ]] && echo "[self-check: the checks demand $b_mode on leg B]")"
phone_dial a "sip:bob@127.0.0.1:$sip_relay"
phone_answered b

at $call_seconds
phone_hangup a
# the trenscrypter relays the BYE to phone B and prints its media stats line
phone_ended b "phone B's call did not end after phone A hung up"
wait_for "$work/trenscrypter.log" "media stats call=" 5 "the trenscrypter did not end the call"
kill -0 "$relay_pid" 2>/dev/null || fail "the trenscrypter died during the call"
# SIGTERM now: it ends in its own time (a 2 s grace) while the phones finish
kill "$relay_pid"
linphones_quit
sleep 0.5
# The recordings are complete (the phones close them when the call ends): stop everything.
e2e_stop
# (a sanitizer's report at exit, a leak say, fails the test too)
! grep -q "Sanitizer" "$work/trenscrypter.log" || fail "the trenscrypter's sanitizers reported an error"

check_flags=(--no-hold --enc-a "$a_mode" --enc-b "$b_mode" --relay-ports "$relay_ports")
[[ -n $suites ]] && check_flags+=(--suites-b "$suites")
# ZRTP legs: the SAS the phone logged against the trenscrypter's (a_sas=, b_sas=)
[[ $a_mode == zrtp ]] && check_flags+=(--phone-log-a "$work/a.log")
[[ $b_mode == zrtp ]] && check_flags+=(--phone-log-b "$work/b.log")
# zrtp:ALGO,...: the handshake must have chosen them
[[ -n $a_zrtp ]] && check_flags+=(--zrtp-a "$a_zrtp")
[[ -n $b_zrtp ]] && check_flags+=(--zrtp-b "$b_zrtp")
if [[ $selfcheck == 1 ]]; then
    expect=enc_sdp_B,wire_B
    [[ $b_mode == dtls ]] && expect+=,dtls_B
    [[ $b_mode == zrtp ]] && expect+=,zrtp_B,sas_B
    [[ -n $b_zrtp ]] && expect+=,zrtp_algos_B
    check_flags+=(--expect-fail "$expect")
fi
run_checks "${check_flags[@]}"
echo "phones_trenscrypt: ok ($a_spec -> $b_spec${suites:+ $suites}$([[ $selfcheck == 1 ]] && echo ", self-check"))"
