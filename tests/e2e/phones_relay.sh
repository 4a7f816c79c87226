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

# Outside the namespace: check the tools, then run this script again inside a new one.
if [[ -z "${TANDEM_E2E_NETNS:-}" ]]; then
    tools=(baresip tcpdump python3 unshare ip ss timeout)
    [[ $caller == linphone ]] && tools+=(linphonec mkfifo)
    for tool in "${tools[@]}"; do
        command -v "$tool" >/dev/null || { echo "phones_relay: FAIL: $tool is not installed"; exit 1; }
    done
    if ! err=$(unshare --net -- true 2>&1); then
        echo "phones_relay: FAIL: cannot create a network namespace (unshare --net: $err); run as root"
        exit 1
    fi
    # shellcheck disable=SC2016 # $0 and $@ are the inner shell's
    exec unshare --net -- env TANDEM_E2E_NETNS=1 bash -c 'ip link set lo up && exec bash "$0" "$@"' \
        "$0" "$b2bua" "$mode" "$caller"
fi

# Inside: the namespace's own loopback, so fixed ports are fine.
sip_b2bua=5060
sip_a=5080 # baresip binds UDP and TCP on its port and TLS on the next: 2 apart at least
rtp_a=10000 # linphone's RTP port (RTCP on the next); baresip takes one in 10000-10999
sip_b=5090
ctrl_a=4441
ctrl_b=4442
injector=40000

# /tmp, not $TMPDIR: baresip's snd_path is cut at ~128 bytes, and the recordings live in here.
work=$(mktemp -d /tmp/tpr.XXXXXX)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [[ -n "${TANDEM_E2E_LOGS:-}" ]]; then
        mkdir -p "$TANDEM_E2E_LOGS"
        cp -r "$work"/. "$TANDEM_E2E_LOGS"/
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "phones_relay: FAIL: $*"
    echo "--- b2bua.log (last lines)"
    tail -n 30 "$work/b2bua.log" 2>/dev/null || true
    exit 1
}

# wait_for FILE PATTERN SECONDS WHAT: waits until FILE has a line matching PATTERN.
wait_for() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        grep -qE -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "$4 (no '$2' in ${1##*/} after $3 s)"
}

# wait_port PROTO PORT WHAT: waits (5 s at most) until something listens on PORT (ss -u or -t).
wait_port() {
    local i
    for ((i = 0; i < 50; i++)); do
        ss -Hln"$1" "sport = :$2" | grep -q . && return 0
        sleep 0.1
    done
    fail "$3 is not listening on port $2"
}

# ctl PORT COMMAND [PARAMS]: one command to a phone through its ctrl_tcp module (a netstring of
# JSON); fails unless the phone answers ok.
ctl() {
    local json="{\"command\":\"$2\",\"params\":\"${3:-}\",\"token\":\"$2\"}" reply fd
    exec {fd}<>"/dev/tcp/127.0.0.1/$1" || fail "cannot reach the control port $1 of a phone"
    printf '%d:%s,' "${#json}" "$json" >&"$fd"
    reply=$(timeout 0.5 cat <&"$fd" || true)
    exec {fd}>&-
    grep -q '"response":true,"ok":true' <<<"$reply" || fail "the phone on control port $1 refused '$2': $reply"
}

# at SECONDS: sleeps until SECONDS after the call was established (t0).
at() {
    sleep "$(awk -v t0="$t0" -v s="$1" -v now="$EPOCHREALTIME" \
        'BEGIN { d = t0 + s - now; printf "%.3f", (d > 0 ? d : 0) }')"
}

# phone NAME SIP_PORT CTRL_PORT RTP_PORTS TONE_HZ ACCOUNT: a baresip configuration in $work/NAME.
phone() {
    mkdir -p "$work/$1" "$work/rec-$1"
    cat >"$work/$1/config" <<EOF
poll_method epoll
sip_listen 127.0.0.1:$2
# libre skips interfaces named lo: name the address
net_interface 127.0.0.1
# a sine as the microphone (ausine is 48 kHz stereo), nothing as the speaker (no null module in 1.0)
audio_source ausine,$5
ausrc_srate 48000
ausrc_channels 2
audio_player aubridge,nul
audio_alert aubridge,nul
rtp_ports $4
module_path /usr/lib/baresip/modules
# G.711 is the only codec module: with audio_codecs=PCMU on the account, PCMU is all it offers
module g711.so
module ausine.so
module aubridge.so
# what the phone sends and decodes, as dump-<time>-enc.wav and dump-<time>-dec.wav
module sndfile.so
snd_path $work/rec-$1
module_app account.so
# the dial, hold, resume and hangup commands; ctrl_tcp takes them over TCP
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:$3
EOF
    echo "$6;regint=0;audio_codecs=PCMU" >"$work/$1/accounts"
}

# linphone NAME SIP_PORT RTP_PORT TONE_HZ USER: a linphonec configuration in $work/NAME: its rc,
# its own HOME (without $HOME/.local/share/linphone its database does not open and it never
# listens), its microphone (an 8 kHz mono wav of the tone, longer than the call) and a FIFO for its
# stdin. It records what it decodes into $work/rec-NAME/linphone-dec.wav (`record`).
linphone() {
    local dir=$work/$1 i=0 mime rate channels
    mkdir -p "$dir/home/.local/share/linphone" "$work/rec-$1"
    {
        cat <<EOF
[sip]
sip_port=$2
sip_tcp_port=0
sip_tls_port=0
use_ipv6=0
contact=sip:$5@127.0.0.1
media_encryption=none
[rtp]
bind_address=127.0.0.1
audio_rtp_port=$3
[sound]
echocancellation=0
EOF
        # every codec linphonec 5.1 knows (it adds those missing from the rc, enabled): PCMU only
        while read -r mime rate channels; do
            printf '[audio_codec_%d]\nmime=%s\nrate=%s\nchannels=%s\nenabled=%d\n' \
                "$i" "$mime" "$rate" "$channels" "$([[ $mime == PCMU ]] && echo 1 || echo 0)"
            i=$((i + 1))
        done <<EOF
opus 48000 2
speex 16000 1
speex 8000 1
PCMU 8000 1
PCMA 8000 1
GSM 8000 1
G722 8000 1
G729 8000 1
speex 32000 1
G726-16 8000 1
G726-24 8000 1
G726-32 8000 1
G726-40 8000 1
AAL2-G726-16 8000 1
AAL2-G726-24 8000 1
AAL2-G726-32 8000 1
AAL2-G726-40 8000 1
L16 44100 2
L16 44100 1
EOF
    } >"$dir/linphonerc"
    python3 - "$dir/tone.wav" "$4" <<'EOF'
import math, struct, sys, wave
rate, seconds, freq = 8000, 30, int(sys.argv[2])
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(rate)
    w.writeframes(b"".join(struct.pack("<h", round(12000 * math.sin(2 * math.pi * freq * i / rate)))
                           for i in range(rate * seconds)))
EOF
    mkfifo "$dir/stdin"
}

# separate RTP port ranges (and the relay's, 30000-30999): a port in the capture says whose it is
if [[ $caller == linphone ]]; then
    linphone a $sip_a $rtp_a 1000 alice
else
    phone a $sip_a $ctrl_a 10000-10999 1000 "<sip:alice@127.0.0.1>"
fi
phone b $sip_b $ctrl_b 20000-20999 600 "<sip:bob@127.0.0.1>;answermode=auto"

# say COMMAND: one line to linphonec's stdin.
say() {
    printf '%s\n' "$1" >&"$a_in" || fail "cannot write '$1' to linphonec's stdin"
}

# Phone A's actions: dial (returns once the call is established), hold, resume, hang up. linphonec
# logs its call states (`-d 5 -l`): each command waits for the state it leads to.
a_dial() {
    if [[ $caller == linphone ]]; then
        say "call $1"
        wait_for "$work/a.log" "to LinphoneCallStreamsRunning" 10 "phone A's call was not established"
    else
        ctl $ctrl_a dial "$1"
        wait_for "$work/a.log" "Call established" 10 "phone A's call was not established"
    fi
}
a_hold() {
    if [[ $caller == linphone ]]; then
        say pause
        wait_for "$work/a.log" "to LinphoneCallPaused" 3 "phone A did not pause the call"
    else
        ctl $ctrl_a hold
    fi
}
a_resume() {
    if [[ $caller == linphone ]]; then
        say resume
        wait_for "$work/a.log" "LinphoneCallResuming to LinphoneCallStreamsRunning" 3 "phone A did not resume the call"
    else
        ctl $ctrl_a resume
    fi
}
a_hangup() {
    if [[ $caller == linphone ]]; then
        say "terminate all"
    else
        ctl $ctrl_a hangup
    fi
}

# The capture: everything UDP on the namespace's loopback.
timeout 120 tcpdump -i lo -n -s 0 -U -w "$work/wire.pcap" udp >"$work/tcpdump.log" 2>&1 &
pids+=($!)
wait_for "$work/tcpdump.log" "listening on" 5 "tcpdump did not start"

media_flags=()
[[ $mode == relay ]] && media_flags=(--media relay --rtp-ports 30000-30999)
timeout 120 "$b2bua" --listen "udp:127.0.0.1:$sip_b2bua" --to "sip:127.0.0.1:$sip_b" --log debug "${media_flags[@]}" \
    >"$work/b2bua.log" 2>&1 &
b2bua_pid=$!
pids+=("$b2bua_pid")
wait_port u $sip_b2bua "the b2bua"

timeout 120 baresip -f "$work/b" -s -t 90 >"$work/b.log" 2>&1 &
pids+=($!)
if [[ $caller == linphone ]]; then
    # The FIFO opened read-write: never blocks, and linphonec never reads an end of file.
    exec {a_in}<>"$work/a/stdin"
    HOME=$work/a/home timeout 120 linphonec -c "$work/a/linphonerc" -d 5 -l "$work/a.log" \
        <"$work/a/stdin" >"$work/a.out" 2>&1 &
    a_pid=$!
    pids+=("$a_pid")
    say "soundcard use files"
    say "play $work/a/tone.wav"
    say "record $work/rec-a/linphone-dec.wav"
else
    timeout 120 baresip -f "$work/a" -s -t 90 >"$work/a.log" 2>&1 &
    pids+=($!)
    wait_port t $ctrl_a "phone A's ctrl_tcp"
fi
wait_port t $ctrl_b "phone B's ctrl_tcp"
wait_port u $sip_a "phone A"
wait_port u $sip_b "phone B"

echo "phones_relay: mode $mode; phone A ($caller) 127.0.0.1:$sip_a -> b2bua 127.0.0.1:$sip_b2bua ->" \
    "phone B (baresip) 127.0.0.1:$sip_b"
a_dial "sip:bob@127.0.0.1:$sip_b2bua"
t0=$EPOCHREALTIME
wait_for "$work/b.log" "Call established|answering call" 5 "phone B did not answer"

# (baresip: t0 comes after ctl's half-second wait for the phone's answer, about half a second into
# the audio; linphone: right at its start)
at 1.5
timeout 20 python3 "$here/media_check.py" inject "$work/wire.pcap" --b2bua-sip $sip_b2bua --phone-sip $sip_b \
    --from-port $injector || fail "the injection failed"
at 4.5
a_hold
at 6
a_resume
at 9
a_hangup
# the b2bua relays the BYE to phone B and prints its media stats line
wait_for "$work/b.log" "Call with .* terminated" 5 "phone B's call did not end after phone A hung up"
if [[ $caller == linphone ]]; then
    # its recording is complete once the call is released; then let it quit (3 s at most)
    wait_for "$work/a.log" "to LinphoneCallReleased" 5 "phone A did not release the call"
    say quit
    for ((i = 0; i < 30; i++)); do kill -0 "$a_pid" 2>/dev/null || break; sleep 0.1; done
fi
sleep 0.5
kill -0 "$b2bua_pid" 2>/dev/null || fail "the b2bua died during the call"
# The recordings are complete (the phones close them when the call ends): stop everything.
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()

echo "phones_relay: checks"
if ! timeout 60 python3 "$here/media_check.py" check "$work/wire.pcap" --b2bua-sip $sip_b2bua --a-sip $sip_a \
    --b-sip $sip_b --injector-port $injector --rec-a "$work/rec-a" --rec-b "$work/rec-b" \
    --b2bua-log "$work/b2bua.log" --mode "$mode"; then
    fail "see the FAIL lines above"
fi
echo "phones_relay: ok ($mode, phone A $caller)"
