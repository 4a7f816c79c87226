# shellcheck shell=bash
# What the end-to-end phone tests share (sourced by tests/e2e/phones_relay.sh and
# phones_trenscrypt.sh): the network namespace, the work folder and its cleanup, the capture, the
# relay under test (the b2bua or the trenscrypter) and two real phones, A (the caller, 1000 Hz) and
# B (the callee, auto-answer, 600 Hz), each baresip 1.0 (a sine, sndfile recordings, driven through
# ctrl_tcp) or linphonec 5.1 (an 8 kHz mono wav as its microphone and a wav recording, driven
# through its stdin, a FIFO), with or without media encryption; then tests/e2e/media_check.py.
#
# The order: e2e_init NAME LOG; e2e_netns (re-runs the script in a namespace of its own); inside,
# e2e_workdir PREFIX, phone_setup a|b ..., start_capture, start_relay ..., start_phones; the call
# (phone_dial, at, phone_hold, phone_resume, phone_hangup, phone_answered, phone_ended);
# linphones_quit, e2e_stop, run_checks.

e2e_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Inside the namespace: its own loopback, so fixed ports are fine.
sip_relay=5060 # the b2bua or the trenscrypter
sip_a=5080     # baresip binds UDP and TCP on its port and TLS on the next: 2 apart at least
sip_b=5090
ctrl_a=4441
ctrl_b=4442
# Separate RTP port ranges: phone A 10000-10999 (linphone: 10000, RTCP on the next), phone B
# 20000-20999 (20000) and the relay's: a port in the capture says whose it is.
# shellcheck disable=SC2034 # for the scripts that source this file
relay_ports=30000-30999

declare -gA phone_kind=() phone_pid=() fifo=()
pids=()

# e2e_init NAME LOG: the test's name (in its messages) and its relay's log file in the work folder
# (fail shows its end).
e2e_init() {
    e2e_name=$1
    e2e_log=$2
}

fail() {
    echo "$e2e_name: FAIL: $*"
    echo "--- $e2e_log (last lines)"
    tail -n 30 "$work/$e2e_log" 2>/dev/null || true
    exit 1
}

# e2e_netns "KIND..." ARG...: outside the network namespace, checks the tools (linphonec too when
# one of the phone KINDs is linphone) and runs this script again with ARGs inside a new namespace,
# its loopback up; it does not return. Inside, it returns at once.
e2e_netns() {
    [[ -z "${TANDEM_E2E_NETNS:-}" ]] || return 0
    local tools=(baresip tcpdump python3 unshare ip ss timeout) tool err
    [[ " $1 " == *" linphone "* ]] && tools+=(linphonec mkfifo)
    shift
    for tool in "${tools[@]}"; do
        command -v "$tool" >/dev/null || { echo "$e2e_name: FAIL: $tool is not installed"; exit 1; }
    done
    if ! err=$(unshare --net -- true 2>&1); then
        echo "$e2e_name: FAIL: cannot create a network namespace (unshare --net: $err); run as root"
        exit 1
    fi
    # shellcheck disable=SC2016 # $0 and $@ are the inner shell's
    exec unshare --net -- env TANDEM_E2E_NETNS=1 bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
}

# e2e_workdir PREFIX: the work folder, $work (/tmp/PREFIX.XXXXXX), removed at exit with every
# process in $pids stopped first; TANDEM_E2E_LOGS=DIR keeps a copy of it in DIR.
# /tmp, not $TMPDIR: baresip's snd_path is cut at ~128 bytes, and the recordings live in there.
e2e_workdir() {
    work=$(mktemp -d "/tmp/$1.XXXXXX")
    trap cleanup EXIT
}

cleanup() {
    e2e_stop
    if [[ -n "${TANDEM_E2E_LOGS:-}" ]]; then
        mkdir -p "$TANDEM_E2E_LOGS"
        cp -r "$work"/. "$TANDEM_E2E_LOGS"/
    fi
    rm -rf "$work"
}

# e2e_stop: stops every process started so far (SIGTERM) and waits for them.
e2e_stop() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
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

# say NAME COMMAND: one line to linphonec NAME's stdin.
say() {
    printf '%s\n' "$2" >&"${fifo[$1]}" || fail "cannot write '$2' to linphonec $1's stdin"
}

# at SECONDS: sleeps until SECONDS after the call was established (t0, set by phone_dial).
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
# the dial, hold, resume and hangup commands; ctrl_tcp takes them over TCP
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
# (media_encryption=dtls, mandatory: UDP/TLS/RTP/SAVP) | zrtp (media_encryption=zrtp, mandatory:
# RTP/AVP with a=zrtp-hash, ZRTP on the RTP port; its log, -d 5, has the SAS). ZRTP_ALGOS (zrtp
# only, optional): comma-separated key agreements (X255 X448 DH3k DH2k) and auth tag types
# (HS32 HS80) the phone prefers, in order ([sip] zrtp_key_agreements_suites, zrtp_auth_suites;
# bzrtp still adds the mandatory DH3k, HS32 and HS80 to its Hello); else bzrtp's defaults.
linphone_setup() {
    local dir=$work/$1 i=0 mime rate channels enc=none mandatory=0
    case $6 in
        sdes) enc=srtp mandatory=1 ;;
        dtls) enc=dtls mandatory=1 ;;
        zrtp) enc=zrtp mandatory=1 ;;
    esac
    local algo kas=() auths=()
    local zrtp_algos=${7:-}
    for algo in ${zrtp_algos//,/ }; do
        case $algo in
            HS*) auths+=("MS_ZRTP_AUTHTAG_$algo") ;;
            *) kas+=("MS_ZRTP_KEY_AGREEMENT_${algo^^}") ;;
        esac
    done
    # (in [sip]: each a line of its own, or nothing)
    local zrtp_rc=""
    ((${#kas[@]} == 0)) || zrtp_rc+="zrtp_key_agreements_suites=$(IFS=,; echo "${kas[*]}")"$'\n'
    ((${#auths[@]} == 0)) || zrtp_rc+="zrtp_auth_suites=$(IFS=,; echo "${auths[*]}")"$'\n'
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
${zrtp_rc}[rtp]
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

# phone_setup a|b KIND MODE [ZRTP_ALGOS]: phone A (alice, the caller, 1000 Hz, SIP on $sip_a, RTP 10000...) or
# B (bob, auto-answer, 600 Hz, SIP on $sip_b, RTP 20000...) as KIND (baresip | linphone), its
# media encryption MODE (plain | sdes | dtls | zrtp: linphone only, baresip 1.0 has no ZRTP) and,
# for zrtp, the algorithms it is limited to (ZRTP_ALGOS, see linphone_setup).
phone_setup() {
    phone_kind[$1]=$2
    [[ $2:$3 != baresip:zrtp ]] || fail "baresip 1.0 has no ZRTP: phone ${1^^} must be linphone for zrtp"
    case $1:$2 in
        a:linphone) linphone_setup a "$sip_a" 10000 1000 alice "$3" "${4:-}" ;;
        a:baresip) baresip_setup a "$sip_a" "$ctrl_a" 10000-10999 1000 "<sip:alice@127.0.0.1>" "$3" ;;
        b:linphone) linphone_setup b "$sip_b" 20000 600 bob "$3" "${4:-}" ;;
        b:baresip) baresip_setup b "$sip_b" "$ctrl_b" 20000-20999 600 "<sip:bob@127.0.0.1>;answermode=auto" "$3" ;;
    esac
}

# start_capture: tcpdump of everything UDP on the namespace's loopback into $work/wire.pcap.
start_capture() {
    timeout 120 tcpdump -i lo -n -s 0 -U -w "$work/wire.pcap" udp >"$work/tcpdump.log" 2>&1 &
    pids+=($!)
    wait_for "$work/tcpdump.log" "listening on" 5 "tcpdump did not start"
}

# start_relay WHAT BINARY [FLAGS]: the b2bua or trenscrypter between the phones, listening on
# $sip_relay and sending everything to phone B, its log in $work/LOG (e2e_init); its pid in
# $relay_pid.
start_relay() {
    timeout 120 "$2" --listen "udp:127.0.0.1:$sip_relay" --to "sip:127.0.0.1:$sip_b" "${@:3}" \
        >"$work/$e2e_log" 2>&1 &
    relay_pid=$!
    pids+=("$relay_pid")
    wait_port u "$sip_relay" "$1"
}

# start_phone NAME [linphonec flags]: starts phone NAME (a or b) in the background.
start_phone() {
    if [[ ${phone_kind[$1]} == linphone ]]; then
        local fd
        # The FIFO opened read-write: never blocks, and linphonec never reads an end of file.
        exec {fd}<>"$work/$1/stdin"
        fifo[$1]=$fd
        HOME=$work/$1/home timeout 120 linphonec -c "$work/$1/linphonerc" -d 5 -l "$work/$1.log" "${@:2}" \
            <"$work/$1/stdin" >"$work/$1.out" 2>&1 &
        phone_pid[$1]=$!
        pids+=($!)
        say "$1" "soundcard use files"
        say "$1" "play $work/$1/tone.wav"
        say "$1" "record $work/rec-$1/linphone-dec.wav"
    else
        timeout 120 baresip -f "$work/$1" -s -t 90 >"$work/$1.log" 2>&1 &
        phone_pid[$1]=$!
        pids+=($!)
    fi
}

# start_phones: phone B (linphonec with -a: auto-answer), then phone A; returns once both listen.
start_phones() {
    start_phone b -a
    start_phone a
    [[ ${phone_kind[a]} == baresip ]] && wait_port t "$ctrl_a" "phone A's ctrl_tcp"
    [[ ${phone_kind[b]} == baresip ]] && wait_port t "$ctrl_b" "phone B's ctrl_tcp"
    wait_port u "$sip_a" "phone A"
    wait_port u "$sip_b" "phone B"
}

# Phone A's actions: dial (returns once the call is established, which is t0 for `at`), hold,
# resume, hang up. linphonec logs its call states (`-d 5 -l`): each command waits for the state it
# leads to.
phone_dial() {
    if [[ ${phone_kind[$1]} == linphone ]]; then
        say "$1" "call $2"
        wait_for "$work/$1.log" "to LinphoneCallStreamsRunning" 10 "phone ${1^^}'s call was not established"
    else
        ctl "$(ctrl_port "$1")" dial "$2"
        wait_for "$work/$1.log" "Call established" 10 "phone ${1^^}'s call was not established"
    fi
    t0=$EPOCHREALTIME
}
phone_hold() {
    if [[ ${phone_kind[$1]} == linphone ]]; then
        say "$1" pause
        wait_for "$work/$1.log" "to LinphoneCallPaused" 3 "phone ${1^^} did not pause the call"
    else
        ctl "$(ctrl_port "$1")" hold
    fi
}
phone_resume() {
    if [[ ${phone_kind[$1]} == linphone ]]; then
        say "$1" resume
        wait_for "$work/$1.log" "LinphoneCallResuming to LinphoneCallStreamsRunning" 3 \
            "phone ${1^^} did not resume the call"
    else
        ctl "$(ctrl_port "$1")" resume
    fi
}
phone_hangup() {
    if [[ ${phone_kind[$1]} == linphone ]]; then
        say "$1" "terminate all"
    else
        ctl "$(ctrl_port "$1")" hangup
    fi
}

# ctrl_port NAME: the ctrl_tcp port of baresip NAME.
ctrl_port() {
    if [[ $1 == a ]]; then echo "$ctrl_a"; else echo "$ctrl_b"; fi
}

# phone_answered NAME: waits (5 s at most) until phone NAME has the call.
phone_answered() {
    if [[ ${phone_kind[$1]} == linphone ]]; then
        wait_for "$work/$1.log" "to LinphoneCallStreamsRunning" 5 "phone ${1^^} did not answer"
    else
        wait_for "$work/$1.log" "Call established|answering call" 5 "phone ${1^^} did not answer"
    fi
}

# phone_ended NAME WHAT: waits (5 s at most) until phone NAME's call has ended; else fails with WHAT.
phone_ended() {
    if [[ ${phone_kind[$1]} == linphone ]]; then
        wait_for "$work/$1.log" "to LinphoneCallReleased" 5 "$2"
    else
        wait_for "$work/$1.log" "Call with .* terminated" 5 "$2"
    fi
}

# linphones_quit: a linphonec's recording is complete once the call is released; then each
# linphonec is told to quit, and given 3 s at most to do so.
linphones_quit() {
    local name i
    for name in a b; do
        [[ ${phone_kind[$name]} == linphone ]] || continue
        wait_for "$work/$name.log" "to LinphoneCallReleased" 5 "phone ${name^^} did not release the call"
        say "$name" quit
    done
    for name in a b; do
        [[ ${phone_kind[$name]} == linphone ]] || continue
        for ((i = 0; i < 30; i++)); do kill -0 "${phone_pid[$name]}" 2>/dev/null || break; sleep 0.1; done
    done
}

# run_checks [FLAGS]: media_check.py check on the finished call (the capture, both recordings,
# the relay's log) with FLAGS for what the test is about; fails unless it passes.
run_checks() {
    echo "$e2e_name: checks"
    if ! timeout 60 python3 "$e2e_dir/media_check.py" check "$work/wire.pcap" --b2bua-sip "$sip_relay" \
        --a-sip "$sip_a" --b-sip "$sip_b" --rec-a "$work/rec-a" --rec-b "$work/rec-b" \
        --b2bua-log "$work/$e2e_log" "$@"; then
        fail "see the FAIL lines above"
    fi
}
