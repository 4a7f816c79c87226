#!/usr/bin/env bash
# End to end: two real phones call each other through examples/b2bua and its media relay, in a
# network namespace of their own (own loopback: no port clashes, nothing foreign in the capture).
#   phone A (caller, 1000 Hz)  ->  b2bua (--media relay) on 127.0.0.1:5060  ->  phone B (callee,
#   baresip 1.0, auto-answer, 600 Hz sine); PCMU only, both record what they decode.
# Phone A is baresip 1.0 (a sine, sndfile recordings, driven through ctrl_tcp) or linphonec 5.1
# (an 8 kHz mono wav as its microphone and a wav recording, `soundcard use files`, `play`,
# `record`; driven through its stdin, a FIFO); both follow the same timeline below.
# The call lasts about 9.5 s: after 2 s of audio (linphone: 1.5 s) a hostile sender on a third
# port throws 50 valid-looking RTP packets and 20 garbage datagrams at the relay port facing
# phone B; 3 s later phone A holds (linphone: `pause`), 1.5 s later it resumes, 3 s later it hangs
# up. tests/e2e/media_check.py then checks the capture, the recordings and the b2bua's
# `media stats` line: RTP flows both ways between each phone and the relay and never directly
# between the phones, the relay addresses in the SDP stay the same across hold and resume, each
# phone hears the other's tone (also after the injection and, on the wire, after the resume), no
# injected packet reaches phone A, and the b2bua counted them as dropped.
#
# usage: phones_relay.sh B2BUA_BINARY [relay|none] [baresip|linphone]
#   relay (default): the test.
#   none: the detectors' self-check. The b2bua relays signaling only (its default, --media none),
#         so the phones send RTP straight to each other and the injection lands on phone A; it
#         passes only if exactly those two faults are detected.
#   baresip (default) | linphone: phone A, the caller.
# TANDEM_E2E_LOGS=DIR keeps the capture, recordings and logs in DIR.
# Needs root (or CAP_SYS_ADMIN) for the namespace; baresip (baresip-core), linphonec (linphone-cli)
# for the linphone caller, tcpdump, python3.
set -euo pipefail

usage="usage: phones_relay.sh B2BUA_BINARY [relay|none] [baresip|linphone]"
b2bua=$(realpath "${1:?$usage}")
mode=${2:-relay}
caller=${3:-baresip}
[[ $mode == relay || $mode == none ]] || { echo "$usage" >&2; exit 2; }
[[ $caller == baresip || $caller == linphone ]] || { echo "$usage" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)

# shellcheck source-path=SCRIPTDIR source=phones_lib.sh
source "$here/phones_lib.sh"
e2e_init phones_relay b2bua.log
e2e_netns "$caller baresip" "$b2bua" "$mode" "$caller"

# Inside: the hostile sender's port.
injector=40000

e2e_workdir tpr
phone_setup a "$caller" plain
phone_setup b baresip plain
start_capture
media_flags=()
[[ $mode == relay ]] && media_flags=(--media relay --rtp-ports "$relay_ports")
start_relay "the b2bua" "$b2bua" --log debug "${media_flags[@]}"
start_phones

echo "phones_relay: mode $mode; phone A ($caller) 127.0.0.1:$sip_a -> b2bua 127.0.0.1:$sip_relay ->" \
    "phone B (baresip) 127.0.0.1:$sip_b"
phone_dial a "sip:bob@127.0.0.1:$sip_relay"
phone_answered b

# (baresip: t0 comes after ctl's half-second wait for the phone's answer, about half a second into
# the audio; linphone: right at its start)
at 1.5
timeout 20 python3 "$here/media_check.py" inject "$work/wire.pcap" --b2bua-sip "$sip_relay" --phone-sip "$sip_b" \
    --from-port "$injector" || fail "the injection failed"
at 4.5
phone_hold a
at 6
phone_resume a
at 9
phone_hangup a
# the b2bua relays the BYE to phone B and prints its media stats line
phone_ended b "phone B's call did not end after phone A hung up"
linphones_quit
sleep 0.5
kill -0 "$relay_pid" 2>/dev/null || fail "the b2bua died during the call"
# The recordings are complete (the phones close them when the call ends): stop everything.
e2e_stop

run_checks --injector-port "$injector" --mode "$mode"
echo "phones_relay: ok ($mode, phone A $caller)"
