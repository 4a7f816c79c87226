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
# DTLS legs UDP/TLS/RTP/SAVP(F) with a=fingerprint and DTLS records both ways; with SUITES, the
# trenscrypter's offer on leg B lists exactly them and phone B's answer picks one.
#
# usage: phones_trenscrypt.sh [--selfcheck] TRENSCRYPTER CALLER:MODE CALLEE:MODE [SUITES]
#   CALLER, CALLEE: baresip | linphone; MODE: plain | sdes | dtls.
#   The caller's phone offers its MODE (baresip: ;mediaenc=srtp-mand or dtls_srtp; linphone:
#   media_encryption=srtp or dtls, mandatory); the callee's phone is set to its MODE and the
#   trenscrypter gets --encryption '.*=none|sdes|sdes:SUITES|dtls' for leg B.
#   SUITES: comma-separated SDES suites for leg B (callee MODE sdes), e.g. AES_256_CM_HMAC_SHA1_32.
#   --selfcheck: the detectors' self-check. The trenscrypter gets '.*=none' and the callee's phone
#         is plain, while the checks still demand the callee's MODE (sdes or dtls) on leg B: it
#         passes only if exactly leg B's encryption checks fail (plaintext tone on the wire, SDP
#         without a=crypto or a=fingerprint, and no DTLS records for dtls).
# TANDEM_E2E_LOGS=DIR keeps the capture, recordings and logs in DIR.
# Needs root (or CAP_SYS_ADMIN) for the namespace; baresip (baresip-core), linphonec
# (linphone-cli) when a phone is linphone, tcpdump, python3.
set -euo pipefail

usage="usage: phones_trenscrypt.sh [--selfcheck] TRENSCRYPTER CALLER:MODE CALLEE:MODE [SUITES]
  CALLER, CALLEE: baresip|linphone; MODE: plain|sdes|dtls"
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
for kind in "$a_kind" "$b_kind"; do
    [[ $kind == baresip || $kind == linphone ]] || { echo "$usage" >&2; exit 2; }
done
for m in "$a_mode" "$b_mode"; do
    [[ $m == plain || $m == sdes || $m == dtls ]] || { echo "$usage" >&2; exit 2; }
done
[[ -z $suites || $b_mode == sdes ]] || { echo "phones_trenscrypt: SUITES need the callee's MODE sdes" >&2; exit 2; }
[[ $selfcheck == 0 || $b_mode != plain ]] || { echo "phones_trenscrypt: --selfcheck needs the callee's MODE sdes or dtls" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)

# Outside the namespace: check the tools, then run this script again inside a new one.
if [[ -z "${TANDEM_E2E_NETNS:-}" ]]; then
    tools=(baresip tcpdump python3 unshare ip ss timeout)
    [[ $a_kind == linphone || $b_kind == linphone ]] && tools+=(linphonec mkfifo)
    for tool in "${tools[@]}"; do
        command -v "$tool" >/dev/null || { echo "phones_trenscrypt: FAIL: $tool is not installed"; exit 1; }
    done
    if ! err=$(unshare --net -- true 2>&1); then
        echo "phones_trenscrypt: FAIL: cannot create a network namespace (unshare --net: $err); run as root"
        exit 1
    fi
    flags=()
    [[ $selfcheck == 1 ]] && flags=(--selfcheck)
    # shellcheck disable=SC2016 # $0 and $@ are the inner shell's
    exec unshare --net -- env TANDEM_E2E_NETNS=1 bash -c 'ip link set lo up && exec bash "$0" "$@"' \
        "$0" "${flags[@]}" "$trenscrypter" "$a_spec" "$b_spec" ${suites:+"$suites"}
fi

# What each side is really set to: in the self-check, leg B is plain whatever the checks demand.
b_phone_mode=$b_mode
leg_b=$b_mode
[[ $b_mode == plain ]] && leg_b=none
[[ $b_mode == sdes && -n $suites ]] && leg_b=sdes:$suites
if [[ $selfcheck == 1 ]]; then
    b_phone_mode=plain
    leg_b=none
fi

# Inside: the namespace's own loopback, so fixed ports are fine.
sip_relay=5060
sip_a=5080 # baresip binds UDP and TCP on its port and TLS on the next: 2 apart at least
sip_b=5090
ctrl_a=4441
ctrl_b=4442
relay_ports=30000-30999
call_seconds=7

# /tmp, not $TMPDIR: baresip's snd_path is cut at ~128 bytes, and the recordings live in here.
work=$(mktemp -d /tmp/tpt.XXXXXX)
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
    echo "phones_trenscrypt: FAIL: $*"
    echo "--- trenscrypter.log (last lines)"
    tail -n 30 "$work/trenscrypter.log" 2>/dev/null || true
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

# ctl PORT COMMAND [PARAMS]: one command to a baresip through its ctrl_tcp module (a netstring of
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

# baresip_setup NAME SIP_PORT CTRL_PORT RTP_PORTS TONE_HZ ACCOUNT MODE: a baresip configuration in
# $work/NAME; MODE plain | sdes (;mediaenc=srtp-mand: RTP/SAVP and a=crypto) | dtls
# (;mediaenc=dtls_srtp).
baresip_setup() {
    local enc="" module=""
    case $7 in
        sdes) enc=";mediaenc=srtp-mand" module="module srtp.so" ;;
        dtls) enc=";mediaenc=dtls_srtp" module="module dtls_srtp.so" ;;
    esac
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
$module
# what the phone sends and decodes, as dump-<time>-enc.wav and dump-<time>-dec.wav
module sndfile.so
snd_path $work/rec-$1
module_app account.so
# the dial and hangup commands; ctrl_tcp takes them over TCP
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:$3
EOF
    echo "$6;regint=0;audio_codecs=PCMU$enc" >"$work/$1/accounts"
}

# linphone_setup NAME SIP_PORT RTP_PORT TONE_HZ USER MODE: a linphonec configuration in $work/NAME:
# its rc, its own HOME (without $HOME/.local/share/linphone its database does not open and it
# never listens), its microphone (an 8 kHz mono wav of the tone, longer than the call) and a FIFO
# for its stdin. It records what it decodes into $work/rec-NAME/linphone-dec.wav (`record`).
# MODE plain | sdes (media_encryption=srtp, mandatory: RTP/SAVP, the four AES-CM suites) | dtls
# (media_encryption=dtls, mandatory: UDP/TLS/RTP/SAVP).
linphone_setup() {
    local dir=$work/$1 i=0 mime rate channels enc=none mandatory=0
    case $6 in
        sdes) enc=srtp mandatory=1 ;;
        dtls) enc=dtls mandatory=1 ;;
    esac
    mkdir -p "$dir/home/.local/share/linphone" "$work/rec-$1"
    {
        cat <<EOF
[sip]
sip_port=$2
sip_tcp_port=0
sip_tls_port=0
use_ipv6=0
contact=sip:$5@127.0.0.1
media_encryption=$enc
media_encryption_mandatory=$mandatory
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

# Separate RTP port ranges (and the relay's, 30000-30999): a port in the capture says whose it is.
if [[ $a_kind == linphone ]]; then
    linphone_setup a $sip_a 10000 1000 alice "$a_mode"
else
    baresip_setup a $sip_a $ctrl_a 10000-10999 1000 "<sip:alice@127.0.0.1>" "$a_mode"
fi
if [[ $b_kind == linphone ]]; then
    linphone_setup b $sip_b 20000 600 bob "$b_phone_mode"
else
    baresip_setup b $sip_b $ctrl_b 20000-20999 600 "<sip:bob@127.0.0.1>;answermode=auto" "$b_phone_mode"
fi

# say NAME COMMAND: one line to linphonec NAME's stdin.
declare -A fifo
say() {
    printf '%s\n' "$2" >&"${fifo[$1]}" || fail "cannot write '$2' to linphonec $1's stdin"
}

# start NAME KIND [linphonec flags]: starts phone NAME (a or b) in the background.
start() {
    if [[ $2 == linphone ]]; then
        local fd
        # The FIFO opened read-write: never blocks, and linphonec never reads an end of file.
        exec {fd}<>"$work/$1/stdin"
        fifo[$1]=$fd
        HOME=$work/$1/home timeout 120 linphonec -c "$work/$1/linphonerc" -d 5 -l "$work/$1.log" "${@:3}" \
            <"$work/$1/stdin" >"$work/$1.out" 2>&1 &
        pids+=($!)
        say "$1" "soundcard use files"
        say "$1" "play $work/$1/tone.wav"
        say "$1" "record $work/rec-$1/linphone-dec.wav"
    else
        timeout 120 baresip -f "$work/$1" -s -t 90 >"$work/$1.log" 2>&1 &
        pids+=($!)
    fi
}

# The capture: everything UDP on the namespace's loopback.
timeout 120 tcpdump -i lo -n -s 0 -U -w "$work/wire.pcap" udp >"$work/tcpdump.log" 2>&1 &
pids+=($!)
wait_for "$work/tcpdump.log" "listening on" 5 "tcpdump did not start"

timeout 120 "$trenscrypter" --listen "udp:127.0.0.1:$sip_relay" --to "sip:127.0.0.1:$sip_b" \
    --encryption ".*=$leg_b" --rtp-ports "$relay_ports" --log debug >"$work/trenscrypter.log" 2>&1 &
relay_pid=$!
pids+=("$relay_pid")
wait_port u $sip_relay "the trenscrypter"

start b "$b_kind" -a
start a "$a_kind"
[[ $a_kind == baresip ]] && wait_port t $ctrl_a "phone A's ctrl_tcp"
[[ $b_kind == baresip ]] && wait_port t $ctrl_b "phone B's ctrl_tcp"
wait_port u $sip_a "phone A"
wait_port u $sip_b "phone B"

echo "phones_trenscrypt: phone A ($a_kind, offers $a_mode) 127.0.0.1:$sip_a -> trenscrypter" \
    "127.0.0.1:$sip_relay (leg B: $leg_b) -> phone B ($b_kind, $b_phone_mode) 127.0.0.1:$sip_b" \
    "$([[ $selfcheck == 1 ]] && echo "[self-check: the checks demand $b_mode on leg B]")"
if [[ $a_kind == linphone ]]; then
    say a "call sip:bob@127.0.0.1:$sip_relay"
    wait_for "$work/a.log" "to LinphoneCallStreamsRunning" 10 "phone A's call was not established"
else
    ctl $ctrl_a dial "sip:bob@127.0.0.1:$sip_relay"
    wait_for "$work/a.log" "Call established" 10 "phone A's call was not established"
fi
t0=$EPOCHREALTIME
if [[ $b_kind == linphone ]]; then
    wait_for "$work/b.log" "to LinphoneCallStreamsRunning" 5 "phone B did not answer"
else
    wait_for "$work/b.log" "Call established|answering call" 5 "phone B did not answer"
fi

at $call_seconds
if [[ $a_kind == linphone ]]; then
    say a "terminate all"
else
    ctl $ctrl_a hangup
fi
# the trenscrypter relays the BYE to phone B and prints its media stats line
if [[ $b_kind == linphone ]]; then
    wait_for "$work/b.log" "to LinphoneCallReleased" 5 "phone B's call did not end after phone A hung up"
else
    wait_for "$work/b.log" "Call with .* terminated" 5 "phone B's call did not end after phone A hung up"
fi
wait_for "$work/trenscrypter.log" "media stats call=" 5 "the trenscrypter did not end the call"
kill -0 "$relay_pid" 2>/dev/null || fail "the trenscrypter died during the call"
# SIGTERM now: it ends in its own time (a 2 s grace) while the phones finish
kill "$relay_pid"
# a linphonec's recording is complete once the call is released: then it may quit
for name in a b; do
    kind=$a_kind
    [[ $name == b ]] && kind=$b_kind
    [[ $kind == linphone ]] || continue
    wait_for "$work/$name.log" "to LinphoneCallReleased" 5 "phone $name did not release the call"
    say "$name" quit
done
sleep 0.5
# The recordings are complete (the phones close them when the call ends): stop everything.
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()
# (a sanitizer's report at exit, a leak say, fails the test too)
! grep -q "Sanitizer" "$work/trenscrypter.log" || fail "the trenscrypter's sanitizers reported an error"

echo "phones_trenscrypt: checks"
enc_a=$a_mode enc_b=$b_mode
check_flags=(--no-hold --enc-a "$enc_a" --enc-b "$enc_b" --relay-ports "$relay_ports")
[[ -n $suites ]] && check_flags+=(--suites-b "$suites")
if [[ $selfcheck == 1 ]]; then
    expect=enc_sdp_B,wire_B
    [[ $b_mode == dtls ]] && expect+=,dtls_B
    check_flags+=(--expect-fail "$expect")
fi
if ! timeout 60 python3 "$here/media_check.py" check "$work/wire.pcap" --b2bua-sip $sip_relay --a-sip $sip_a \
    --b-sip $sip_b --rec-a "$work/rec-a" --rec-b "$work/rec-b" --b2bua-log "$work/trenscrypter.log" \
    "${check_flags[@]}"; then
    fail "see the FAIL lines above"
fi
echo "phones_trenscrypt: ok ($a_kind:$a_mode -> $b_kind:$b_mode${suites:+ $suites}$([[ $selfcheck == 1 ]] && echo ", self-check"))"
