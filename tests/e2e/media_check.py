#!/usr/bin/env python3
"""Media checks for the end-to-end phone tests (tests/e2e/phones_relay.sh, phones_trenscrypt.sh);
python3 stdlib only.

  media_check.py inject PCAP --b2bua-sip PORT --phone-sip PORT --from-port PORT
      Reads the capture taken so far, finds the SDP the b2bua last sent to the phone at
      127.0.0.1:PORT (the relay's address facing that phone) and sends it, from 127.0.0.1:FROM,
      INJECT_RTP valid-looking RTP packets (PT 0, SSRC 0x55555555, payload all 0x55) and
      INJECT_GARBAGE datagrams that are not RTP (also made of 0x55 bytes).

  media_check.py check PCAP --b2bua-sip PORT --a-sip PORT --b-sip PORT [--injector-port PORT]
                 --rec-a DIR --rec-b DIR --b2bua-log FILE [--mode relay|none] [--no-hold]
                 [--enc-a plain|sdes|dtls|zrtp --enc-b plain|sdes|dtls|zrtp [--suites-b S,...]]
                 [--phone-log-a FILE] [--phone-log-b FILE] [--zrtp-a ALGO,...] [--zrtp-b ALGO,...]
                 [--relay-ports LOW-HIGH] [--expect-fail CHECK,...]
      Runs every check on a finished call and prints one PASS/FAIL line per check plus what was
      measured. Exit 0 when all pass. With --mode none (the b2bua relays signaling only) it is a
      self-check of the detectors: exit 0 only if the direct RTP between the phones and the
      injected packets reaching phone A ARE detected, and every other check passes.
      Without --injector-port there was no injection (no injection checks); with --no-hold the
      call was not held (no hold, resume and SDP stability checks).
      --enc-a/--enc-b (phones_trenscrypt.sh): the media encryption each leg must have. Per leg
      (A: phone A <-> the relay, B: phone B <-> the relay): its SDP offer and answer fit the mode
      (plain: RTP/AVP(F) without a=crypto or a=fingerprint; sdes: a=crypto on both sides, RTP/SAVP or
      best effort RTP/AVP, the answer's suite one of the offer's; dtls: UDP/TLS/RTP/SAVP(F) with
      a=fingerprint and a=setup; zrtp: RTP/AVP(F) with a=zrtp-hash on both sides, no a=crypto or
      a=fingerprint), DTLS records cross the leg both ways (dtls), ZRTP packets cross it both ways
      (zrtp: a complete handshake, Hello to Conf2ACK, no Error, each side's Hello hashing to the
      a=zrtp-hash of its SDP), and on the wire the PCMU payload decodes to the tones (plain) or to
      no tone at all, not even one packet's worth, with an authentication tag after the 160
      payload bytes (sdes, dtls; zrtp: the tag of the auth type in the accepted Commit, HS32 4
      bytes, HS80 10). --phone-log-a/-b (zrtp legs): linphonec's log (-d 5); the SAS it shows
      ("SAS is xxxx") equals the relay's a_sas= (b_sas=) in its media stats line, which names the
      leg's encryption zrtp (a_encryption=, b_encryption=). --zrtp-a/-b: the key agreements and
      auth tag types the phone was told to prefer (X255 X448 DH3k DH2k, HS32 HS80): the accepted
      Commit chose one of those key agreements, and one of those auth tag types when the phone
      initiated (bzrtp adds the mandatory DH3k, HS32, HS80 to its Hello; the initiator picks). --suites-b: the
      relay's offer on leg B lists exactly these SDES suites, in this order, and phone B's
      answer picks one of them. --relay-ports: every address and port in the SDP the relay sends
      each phone is the relay's (127.0.0.1, a port in LOW-HIGH).
      --expect-fail: a self-check; exit 0 only if exactly these checks fail.

Phone A calls, phone B answers; A sends a 1000 Hz tone, B 600 Hz; both record what they decode
into *-dec.wav in their --rec-* folder: dump-<time>-dec.wav from baresip's sndfile module,
linphone-dec.wav from linphonec's `record`. Everything runs on 127.0.0.1.
"""

import argparse
import glob
import hashlib
import math
import re
import socket
import struct
import sys
import time
import wave

TONE_A = 1000  # Hz, sent by phone A (the caller)
TONE_B = 600  # Hz, sent by phone B (the callee)
BLOCK_SECONDS = 0.1  # tone detection works on 100 ms blocks
INJECT_RTP = 50
INJECT_GARBAGE = 20
INJECT_BYTE = 0x55
INJECT_SSRC = 0x55555555
# A run this long of the injected byte is the mark of an injected packet: a PCMU sine never
# repeats one sample 16 times.
INJECT_MARK = bytes([INJECT_BYTE]) * 16

# ---------------------------------------------------------------------------------------------
# Audio: G.711 u-law decoding, WAV reading, Goertzel tone detection.


def _ulaw_to_linear(byte):
    byte = ~byte & 0xFF
    magnitude = (((byte & 0x0F) << 3) + 0x84) << ((byte & 0x70) >> 4)
    return (0x84 - magnitude) if byte & 0x80 else (magnitude - 0x84)


ULAW = [_ulaw_to_linear(b) for b in range(256)]


def wav_samples(path):
    """The samples of a 16-bit PCM WAV file (first channel) and its rate."""
    with wave.open(path) as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: {8 * w.getsampwidth()}-bit samples, expected 16")
        channels = w.getnchannels()
        frames = w.readframes(w.getnframes())
        rate = w.getframerate()
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    return list(samples[::channels]), rate


def tone_ratio(block, freq, rate):
    """The share of the block's energy at freq (Goertzel): ~1 for a pure tone, ~0 without it."""
    energy = sum(v * v for v in block)
    if energy == 0:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for v in block:
        s1, s2 = v + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return power * 2 / (len(block) * energy)


def tone_seconds(samples, rate, freq):
    """Seconds of 100 ms blocks in which freq dominates (over half the energy, not near-silent)."""
    n = int(rate * BLOCK_SECONDS)
    found = 0
    for i in range(0, len(samples) - n + 1, n):
        block = samples[i : i + n]
        loud = sum(v * v for v in block) / n > 100.0**2
        if loud and tone_ratio(block, freq, rate) > 0.5:
            found += 1
    return found * BLOCK_SECONDS


def recording_tone(folder, freq):
    """(seconds of freq, seconds recorded, file names) over the *-dec.wav files in folder."""
    files = sorted(glob.glob(f"{folder}/*-dec.wav"))
    tone = total = 0.0
    for f in files:
        samples, rate = wav_samples(f)
        tone += tone_seconds(samples, rate, freq)
        total += len(samples) / rate
    return tone, total, files


# ---------------------------------------------------------------------------------------------
# Capture: a minimal pcap reader (IPv4/UDP only; unfragmented, as everything is on loopback).


class Datagram:
    def __init__(self, t, src, sport, dst, dport, payload):
        self.t, self.src, self.sport, self.dst, self.dport, self.payload = t, src, sport, dst, dport, payload


def read_pcap(path):
    """The UDP datagrams of a pcap file. A record cut short (tcpdump still writing) ends it."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = data[:4]
    formats = {
        b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
        b"\xa1\xb2\xc3\xd4": (">", 1e-6),
        b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
        b"\xa1\xb2\x3c\x4d": (">", 1e-9),
    }
    if magic not in formats:
        raise ValueError(f"{path}: not a pcap file (pcapng is not read)")
    endian, tick = formats[magic]
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    out = []
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[pos : pos + 16])
        pos += 16
        if pos + caplen > len(data):
            break
        frame = data[pos : pos + caplen]
        pos += caplen
        ip = _ip_packet(frame, linktype)
        if ip is None or len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        udp = ip[ihl:total]
        if len(udp) < 8:
            continue
        sport, dport = struct.unpack("!HH", udp[:4])
        out.append(
            Datagram(sec + frac * tick, socket.inet_ntoa(ip[12:16]), sport, socket.inet_ntoa(ip[16:20]), dport, udp[8:])
        )
    return out


def _ip_packet(frame, linktype):
    if linktype == 1:  # Ethernet (Linux loopback captures have an all-zero Ethernet header)
        return frame[14:] if frame[12:14] == b"\x08\x00" else None
    if linktype == 113:  # Linux cooked capture
        return frame[16:] if frame[14:16] == b"\x08\x00" else None
    if linktype == 276:  # Linux cooked capture v2
        return frame[20:] if frame[0:2] == b"\x08\x00" else None
    if linktype in (101, 228):  # raw IP, raw IPv4
        return frame
    if linktype == 0:  # BSD loopback: 4-byte address family
        return frame[4:]
    raise ValueError(f"unsupported pcap link type {linktype}")


# ---------------------------------------------------------------------------------------------
# RTP, SIP and SDP.


def rtp_header(payload):
    """(payload type, sequence number, SSRC, media) of an RTP packet, None if it is not one
    (RTCP included: its second byte is a packet type 200-204, a payload type of 72-76 here)."""
    if len(payload) < 12 or payload[0] >> 6 != 2:
        return None
    pt = payload[1] & 0x7F
    if 72 <= pt <= 76:
        return None
    cc = payload[0] & 0x0F
    seq, _, ssrc = struct.unpack("!HII", payload[2:12])
    start = 12 + 4 * cc
    if len(payload) < start:
        return None
    return pt, seq, ssrc, payload[start:]


def is_rtcp(payload):
    return len(payload) >= 8 and payload[0] >> 6 == 2 and 200 <= payload[1] <= 204


class SipMessage:
    def __init__(self, d, start, headers, body):
        self.d, self.start, self.headers, self.body = d, start, headers, body

    def header(self, name):
        return self.headers.get(name.lower(), "")

    @property
    def is_request(self):
        return not self.start.startswith("SIP/2.0 ")

    @property
    def method(self):
        """The request's method, or for a response the method of its CSeq."""
        if self.is_request:
            return self.start.split(" ", 1)[0]
        parts = self.header("CSeq").split()
        return parts[1] if len(parts) > 1 else ""

    @property
    def cseq(self):
        parts = self.header("CSeq").split()
        return int(parts[0]) if parts and parts[0].isdigit() else -1


# compact header names (RFC 3261 7.3.3)
COMPACT = {"i": "call-id", "c": "content-type", "l": "content-length", "f": "from", "t": "to", "v": "via",
           "m": "contact"}


def parse_sip(d):
    """The SIP message in a datagram, or None."""
    try:
        text = d.payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    if not re.match(r"^([A-Z]+ \S+ SIP/2\.0|SIP/2\.0 \d{3} )", lines[0]):
        return None
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            name = name.strip().lower()
            headers.setdefault(COMPACT.get(name, name), value.strip())
    return SipMessage(d, lines[0], headers, body)


class SdpMedia:
    """What the encryption checks need from an SDP body: its first audio stream (proto, port,
    formats) and what applies to it, session-level attributes included (linphone puts a=setup and
    a=fingerprint there)."""

    def __init__(self):
        self.proto, self.port, self.formats = None, None, []
        self.addrs = set()  # c= addresses (session and audio)
        self.rtcp = None  # (port, address or None) of a=rtcp
        self.cryptos = []  # [(tag, suite, key parameters)]
        self.fingerprints, self.setup, self.candidates = [], None, 0
        self.zrtp_hashes = []  # a=zrtp-hash values: "version hash"

    def __str__(self):
        return (f"{self.proto} {','.join(sorted(self.addrs))}:{self.port}"
                + "".join(f" crypto:{t} {su}" for t, su, _ in self.cryptos)
                + (" fingerprint" if self.fingerprints else "") + (f" setup:{self.setup}" if self.setup else "")
                + "".join(f" zrtp-hash:{h.split()[0]}" for h in self.zrtp_hashes))


class Sdp:
    """The first audio stream of an SDP body: its connection address (the audio's c=, else the
    session's), port and direction; `media`, what the encryption checks need (an SdpMedia)."""

    def __init__(self, addr, port, direction, media):
        self.addr, self.port, self.direction, self.media = addr, port, direction, media

    def __str__(self):
        return f"{self.addr}:{self.port} {self.direction}"


def parse_sdp(body):
    """The first audio stream of an SDP body (an Sdp), or None."""
    addr, direction, media, session, in_audio = None, "sendrecv", SdpMedia(), True, False
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("m="):
            if in_audio:
                break
            fields = line[2:].split()
            session, in_audio = False, fields[0] == "audio"
            if in_audio:
                media.port, media.proto, media.formats = int(fields[1]), fields[2], fields[3:]
            continue
        if line.startswith("c=") and (addr is None or in_audio):
            addr = line.split()[-1]
        if not (session or in_audio):
            continue
        if line.startswith("c="):
            media.addrs.add(line.split()[-1])
        elif in_audio and line[2:] in ("sendrecv", "sendonly", "recvonly", "inactive"):
            direction = line[2:]
        elif line.startswith("a=crypto:"):
            parts = line[9:].split()
            media.cryptos.append((parts[0], parts[1] if len(parts) > 1 else "", " ".join(parts[2:])))
        elif line.startswith("a=zrtp-hash:"):
            media.zrtp_hashes.append(line[12:].strip())
        elif line.startswith("a=fingerprint:"):
            media.fingerprints.append(line[14:].strip())
        elif line.startswith("a=setup:"):
            media.setup = line[8:].strip()
        elif line.startswith("a=rtcp:"):
            parts = line[7:].split()
            media.rtcp = (int(parts[0]), parts[3] if len(parts) >= 4 else None)
        elif line.startswith("a=candidate:"):
            media.candidates += 1
    return Sdp(addr, media.port, direction, media) if media.port is not None else None


def sdps(messages, sport, dport):
    """[(message, SDP)] of the SIP messages from sport to dport that carry SDP, first copies only
    (a retransmission repeats its start line and CSeq)."""
    seen, out = set(), []
    for m in messages:
        if m.d.sport != sport or m.d.dport != dport:
            continue
        key = (m.start, m.header("CSeq"), m.header("Call-ID"))
        if key in seen:
            continue
        seen.add(key)
        sdp = parse_sdp(m.body) if "application/sdp" in m.header("Content-Type").lower() else None
        if sdp:
            out.append((m, sdp))
    return out


# ---------------------------------------------------------------------------------------------
# inject


def cmd_inject(args):
    sip = [m for m in map(parse_sip, read_pcap(args.pcap)) if m]
    offers = sdps(sip, args.b2bua_sip, args.phone_sip)
    if not offers:
        sys.exit(f"inject: no SDP from 127.0.0.1:{args.b2bua_sip} to 127.0.0.1:{args.phone_sip} in {args.pcap}")
    target = (offers[-1][1].addr, offers[-1][1].port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", args.from_port))
    # Valid-looking RTP: PT 0, 20 ms of PCMU (160 bytes) each, a sequence and timestamp of their own.
    for i in range(INJECT_RTP):
        header = struct.pack("!BBHII", 0x80, 0, 1000 + i, 160 * (1000 + i), INJECT_SSRC)
        sock.sendto(header + bytes([INJECT_BYTE]) * 160, target)
        time.sleep(0.004)
    # Garbage: half RTP version 1 (first byte 0x55) with 20 bytes, half version 2 but shorter than
    # an RTP header.
    for i in range(INJECT_GARBAGE):
        sock.sendto(bytes([INJECT_BYTE]) * (20 if i % 2 == 0 else 1 + i % 11), target)
        time.sleep(0.004)
    sock.close()
    print(f"injected {INJECT_RTP} RTP packets and {INJECT_GARBAGE} garbage datagrams from "
          f"127.0.0.1:{args.from_port} to {target[0]}:{target[1]}")


# ---------------------------------------------------------------------------------------------
# check


class Report:
    def __init__(self):
        self.results = {}  # check name -> passed

    def check(self, name, ok, detail):
        self.results[name] = self.results.get(name, True) and ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")


def injected_like(payload):
    """Whether a datagram is (or carries) one of the injected ones: the injected payload or SSRC,
    or neither RTP nor RTCP (garbage)."""
    rtp = rtp_header(payload)
    return INJECT_MARK in payload or (rtp is not None and rtp[2] == INJECT_SSRC) or not (rtp or is_rtcp(payload))


def pcmu_payloads(datagrams, keep):
    """The payloads of the PCMU RTP packets `keep` accepts, in arrival order."""
    for d in datagrams:
        rtp = rtp_header(d.payload) if keep(d) else None
        if rtp and rtp[0] == 0:
            yield rtp[3]


def flow_tone(datagrams, dst_ports, after, freq, keep=None):
    """Seconds of freq in the PCMU RTP sent to dst_ports after time `after` (arrival order), or
    in the datagrams `keep` accepts when it is given (dst_ports is then ignored)."""
    def wanted(d):
        return d.t >= after and (d.dport in dst_ports if keep is None else keep(d))

    samples = [ULAW[b] for payload in pcmu_payloads(datagrams, wanted) for b in payload[:160]]
    return tone_seconds(samples, 8000, freq)


def plain_packets(datagrams, keep, freq):
    """How many PCMU RTP packets `keep` accepts whose first 160 payload bytes alone decode to freq:
    a single packet of plaintext on a leg that should be encrypted shows up here."""
    n = 0
    for payload in pcmu_payloads(datagrams, keep):
        if len(payload) >= 160:
            block = [ULAW[b] for b in payload[:160]]
            if sum(v * v for v in block) / 160 > 100.0**2 and tone_ratio(block, freq, 8000) > 0.5:
                n += 1
    return n


def media_stats(log_path):
    """The b2bua's `media stats` lines: [{key: value}]."""
    out = []
    with open(log_path, errors="replace") as f:
        for line in f:
            if "media stats " in line:
                out.append(dict(re.findall(r"(\w+)=(\S+)", line.split("media stats ", 1)[1])))
    return out


# SRTP authentication tag bytes per SDES suite (RFC 4568, 6188, 7714): what follows the payload.
TAG_BYTES = {"AES_CM_128_HMAC_SHA1_80": 10, "AES_CM_128_HMAC_SHA1_32": 4, "AES_256_CM_HMAC_SHA1_80": 10,
             "AES_256_CM_HMAC_SHA1_32": 4, "AEAD_AES_128_GCM": 16, "AEAD_AES_256_GCM": 16}
# ... and per ZRTP auth tag type (RFC 6189 5.1.4), the SRTP suite it keys
ZRTP_SUITE = {"HS32": "HMAC_SHA1_32", "HS80": "HMAC_SHA1_80"}
ZRTP_TAG_BYTES = {"HS32": 4, "HS80": 10}
ZRTP_HANDSHAKE = ("Hello", "HelloACK", "Commit", "DHPart1", "DHPart2", "Confirm1", "Confirm2", "Conf2ACK")


def zrtp_message(payload):
    """(type, message) of a ZRTP packet (RFC 6189 5: first byte 0x10, magic "ZRTP" at offset 4,
    then the message from its preamble 0x505a, then a CRC), or None."""
    if len(payload) < 28 or payload[0] != 0x10 or payload[4:8] != b"ZRTP" or payload[12:14] != b"\x50\x5a":
        return None
    words = struct.unpack("!H", payload[14:16])[0]
    message = payload[12 : 12 + 4 * words]
    return message[4:12].decode("ascii", "replace").strip(), message


def zrtp_checks(report, leg, datagrams, inbound, outbound, phone_sdp, relay_sdp):
    """The ZRTP handshake on one leg, from the capture: both ways, complete, no Error, each
    Hello as its SDP's a=zrtp-hash says. Returns the auth tag type of the accepted Commit (the
    one from the side that sent DHPart2) and its other choices: {hash, cipher, auth, key_agreement,
    sas, initiator: phone | relay}, empty without one."""
    sides = {"from": [], "to": []}  # [(type, message)] from the phone, to it
    for d in datagrams:
        z = zrtp_message(d.payload) if (outbound(d) or inbound(d)) else None
        if z:
            sides["from" if outbound(d) else "to"].append(z)
    problems, algos = [], {}
    seen = {t for msgs in sides.values() for t, _ in msgs}
    missing = [t for t in ZRTP_HANDSHAKE if t not in seen]
    if missing:
        problems.append(f"no {', '.join(missing)}")
    for side, msgs in sides.items():
        errors = [struct.unpack("!I", m[12:16])[0] for t, m in msgs if t == "Error" and len(m) >= 16]
        if errors:
            problems.append(f"Error {', '.join(f'0x{e:x}' for e in errors)} {side} phone {leg}")
    for side, sdp in (("from", phone_sdp), ("to", relay_sdp)):
        hello = next((m for t, m in sides[side] if t == "Hello"), None)
        if hello is not None and sdp.zrtp_hashes:
            version, _, value = sdp.zrtp_hashes[0].partition(" ")
            hello_version = hello[12:16].decode("ascii", "replace")
            if value.strip().lower() != hashlib.sha256(hello).hexdigest() or version != hello_version:
                problems.append(f"the Hello {side} phone {leg} is not the a=zrtp-hash of its SDP")
    # the accepted Commit: sent by the initiator, the side that sent DHPart2
    initiator = next((side for side, msgs in sides.items() if any(t == "DHPart2" for t, _ in msgs)), None)
    commit = next((m for t, m in sides.get(initiator, []) if t == "Commit"), None) if initiator else None
    if commit is not None and len(commit) >= 76:
        # Commit: header 12, H2 32, ZID 12, then hash, cipher, auth, key agreement, SAS (4 each)
        names = [commit[i : i + 4].decode("ascii", "replace").strip() for i in range(56, 76, 4)]
        algos = dict(zip(("hash", "cipher", "auth", "key_agreement", "sas"), names))
        algos["initiator"] = "phone" if initiator == "from" else "relay"
    elif not missing:
        problems.append("no Commit from the side that sent DHPart2")
    counts = {side: ",".join(f"{t}x{n}" for t, n in _counted(msgs)) or "none" for side, msgs in sides.items()}
    hellos = {side: next((hello_algorithms(m) for t, m in msgs if t == "Hello"), "none")
              for side, msgs in sides.items()}
    report.check(f"zrtp_{leg}", sides["from"] and sides["to"] and not problems,
                 f"leg {leg}: ZRTP from phone {leg}: {counts['from']} (Hello {hellos['from']}); to it: {counts['to']} "
                 f"(Hello {hellos['to']}); "
                 + (f"initiator: {'phone ' + leg if initiator == 'from' else 'the relay'}, "
                    + " ".join(f"{k}={v}" for k, v in algos.items() if k != "initiator")
                    if algos else "no accepted Commit")
                 + (f": {'; '.join(problems)}" if problems else ""))
    return algos


def hello_algorithms(hello):
    """What a Hello offers (RFC 6189 5.2: after header 12, version 4, client id 16, H3 32, ZID 12,
    the flags word with the counts hc cc ac kc sc, then the lists): "hash/cipher/auth/ka/sas"."""
    if len(hello) < 80:
        return "?"
    counts = [hello[77] & 0x0F, hello[78] >> 4, hello[78] & 0x0F, hello[79] >> 4, hello[79] & 0x0F]
    pos, lists = 80, []
    for n in counts:
        lists.append(",".join(hello[i : i + 4].decode("ascii", "replace").strip() for i in range(pos, pos + 4 * n, 4)))
        pos += 4 * n
    return "/".join(lists)


def _counted(msgs):
    """[(type, count)] in order of first appearance."""
    out = {}
    for t, _ in msgs:
        out[t] = out.get(t, 0) + 1
    return list(out.items())


def phone_sas(log_path):
    """The last SAS linphonec logged ("ZRTP secrets on: SAS is xxxx ..."), or None."""
    sas = None
    try:
        with open(log_path, errors="replace") as f:
            for line in f:
                m = re.search(r"SAS is (\S+)", line)
                if m:
                    sas = m.group(1)
    except OSError:
        pass
    return sas


def sas_check(report, leg, log_path, stats):
    """The SAS the phone on a ZRTP leg shows is the relay's for that leg (its media stats line)."""
    key = leg.lower()
    theirs = phone_sas(log_path)
    ours = stats.get(f"{key}_sas") if stats else None
    encryption = stats.get(f"{key}_encryption") if stats else None
    report.check(f"sas_{leg}", theirs is not None and theirs == ours and encryption == "zrtp",
                 f"leg {leg}: phone {leg} shows SAS {theirs or 'none'} ({log_path.rsplit('/', 1)[-1]}), the relay "
                 f"{key}_sas={ours or 'none'} {key}_encryption={encryption or 'none'}")


def leg_sdp_check(report, leg, mode, offer, answer, suites):
    """The offer and answer on one leg fit its encryption mode (and, with suites, list them)."""
    problems = []
    for role, s in (("offer", offer), ("answer", answer)):
        if mode == "plain":
            if s.proto not in ("RTP/AVP", "RTP/AVPF") or s.cryptos or s.fingerprints:
                problems.append(f"the {role} is not plain RTP/AVP(F)")
        elif mode == "sdes":
            if s.proto not in ("RTP/SAVP", "RTP/SAVPF", "RTP/AVP", "RTP/AVPF") or not s.cryptos:
                problems.append(f"the {role} has no a=crypto on RTP/SAVP (or RTP/AVP)")
        elif mode == "zrtp":
            if s.proto not in ("RTP/AVP", "RTP/AVPF") or len(s.zrtp_hashes) != 1 or s.cryptos or s.fingerprints:
                problems.append(f"the {role} is not RTP/AVP(F) with one a=zrtp-hash (and no a=crypto, a=fingerprint)")
        elif s.proto not in ("UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF") or not s.fingerprints or not s.setup:
            problems.append(f"the {role} is not UDP/TLS/RTP/SAVP(F) with a=fingerprint and a=setup")
    picked = None
    if mode == "sdes" and offer.cryptos and answer.cryptos:
        picked = answer.cryptos[0]
        if len(answer.cryptos) != 1 or (picked[0], picked[1]) not in {(t, su) for t, su, _ in offer.cryptos}:
            problems.append("the answer's a=crypto is not exactly one of the offer's (tag and suite)")
    if mode == "dtls" and offer.setup and answer.setup:
        if answer.setup not in ("active", "passive") or answer.setup == offer.setup:
            problems.append(f"the setup roles do not pair ({offer.setup} / {answer.setup})")
    report.check(f"enc_sdp_{leg}", not problems,
                 f"leg {leg} ({mode}): offer {offer}; answer {answer}" + (f": {'; '.join(problems)}" if problems else ""))
    if suites:
        offered = [su for _, su, _ in offer.cryptos]
        ok = offered == suites and picked is not None and picked[1] in suites
        report.check(f"suites_{leg}", ok,
                     f"leg {leg}: offered {','.join(offered) or 'no suite'} (wanted {','.join(suites)}), "
                     f"answered {picked[1] if picked else 'none'}")
    return picked[1] if picked else None


def payload_sizes(datagrams, keep):
    """{RTP payload size: packets} of the PCMU RTP packets `keep` accepts."""
    sizes = {}
    for payload in pcmu_payloads(datagrams, keep):
        sizes[len(payload)] = sizes.get(len(payload), 0) + 1
    return sizes


def encryption_checks(report, args, datagrams, sip_ports, legs, stats):
    """The per-leg encryption checks (--enc-a/--enc-b). legs: [(leg, mode, phone's media ports,
    offer, answer, the answer's time on the wire, tone to the phone, tone from it)]; stats: the
    relay's media stats line for the call ({key: value}, or None)."""
    for leg, mode, ports, offer, answer, answer_t, tone_in, tone_out in legs:
        suites = args.suites_b.split(",") if leg == "B" and args.suites_b else None
        suite = leg_sdp_check(report, leg, mode, offer.media, answer.media, suites)
        auth = None  # zrtp: the auth tag type the handshake chose (HS32, HS80)

        def inbound(d, ports=ports):
            return d.dport in ports and d.sport not in sip_ports

        def outbound(d, ports=ports):
            return d.sport in ports and d.dport not in sip_ports

        if mode == "dtls":
            records_in = sum(1 for d in datagrams if inbound(d) and d.payload and 20 <= d.payload[0] <= 63)
            records_out = sum(1 for d in datagrams if outbound(d) and d.payload and 20 <= d.payload[0] <= 63)
            report.check(f"dtls_{leg}", records_in > 0 and records_out > 0,
                         f"leg {leg}: {records_out} DTLS records from phone {leg}, {records_in} to it")
        if mode == "zrtp":
            # phone A offers on leg A, phone B answers on leg B
            phone_sdp, relay_sdp = (offer, answer) if leg == "A" else (answer, offer)
            algos = zrtp_checks(report, leg, datagrams, inbound, outbound, phone_sdp.media, relay_sdp.media)
            auth = algos.get("auth")
            wanted = getattr(args, f"zrtp_{leg.lower()}")
            if wanted:
                wanted = wanted.split(",")
                kas = [w for w in wanted if not w.startswith("HS")]
                auths = [w for w in wanted if w.startswith("HS")]
                chosen = f"{algos.get('key_agreement', 'none')}/{auth or 'none'}"
                # bzrtp adds the mandatory DH3k, HS32 and HS80 to its Hello whatever it is told, and
                # the initiator picks the auth tag type: the phone's preference holds when it
                # initiates (the key agreement's too, as the relay offers X255 first, then DH3k)
                phone_initiated = algos.get("initiator") == "phone"
                report.check(f"zrtp_algos_{leg}", (not kas or algos.get("key_agreement") in kas)
                             and (not auths or not phone_initiated or auth in auths) and bool(algos),
                             f"leg {leg}: the handshake chose {chosen}, initiated by "
                             f"{'phone ' + leg if phone_initiated else 'the relay'} (phone {leg} prefers "
                             f"{','.join(wanted)}; the auth tag type is checked only when the phone initiates)")
            suite = ZRTP_SUITE.get(auth)
            log = args.phone_log_a if leg == "A" else args.phone_log_b
            if log:
                sas_check(report, leg, log, stats)
        seconds_in = flow_tone(datagrams, (), 0.0, tone_in, inbound)
        seconds_out = flow_tone(datagrams, (), 0.0, tone_out, outbound)
        sizes_in, sizes_out = payload_sizes(datagrams, inbound), payload_sizes(datagrams, outbound)
        size_in = max(sizes_in, key=sizes_in.get, default=0)
        size_out = max(sizes_out, key=sizes_out.get, default=0)
        detail = (f"leg {leg} ({mode}) on the wire: to phone {leg} {seconds_in:.1f} s of {tone_in} Hz "
                  f"(RTP payload mostly {size_in} bytes), from it {seconds_out:.1f} s of {tone_out} Hz "
                  f"({size_out} bytes)")
        # (for the log: how long the leg stayed dark after its answer, DTLS handshake included)
        first_in = next((d.t for d in datagrams if inbound(d) and rtp_header(d.payload)), None)
        first_out = next((d.t for d in datagrams if outbound(d) and rtp_header(d.payload)), None)
        print(f"INFO media_start_{leg}: first RTP to phone {leg} "
              + (f"{first_in - answer_t:.2f} s" if first_in else "never") + ", from it "
              + (f"{first_out - answer_t:.2f} s" if first_out else "never") + " after the answer on leg " + leg)
        if mode == "plain":
            report.check(f"wire_{leg}", seconds_in >= 2.0 and seconds_out >= 2.0, detail + "; plaintext wanted")
        else:
            plain = plain_packets(datagrams, inbound, tone_in) + plain_packets(datagrams, outbound, tone_out)
            # an SRTP packet is the 160 bytes of 20 ms PCMU, encrypted, then the authentication tag
            tag = ZRTP_TAG_BYTES.get(auth) if mode == "zrtp" else TAG_BYTES.get(suite) if suite else None
            sized = (size_in == size_out == 160 + tag) if tag else (size_in > 160 and size_out > 160)
            report.check(f"wire_{leg}", seconds_in == 0 and seconds_out == 0 and plain == 0 and sized,
                         detail + f"; {plain} packets decode to a tone alone; encrypted wanted"
                         + (f" with the {suite} tag ({160 + tag} bytes)" if tag else " with a tag (> 160 bytes)"))


def relay_port(port, relay_ports):
    return relay_ports is None or relay_ports[0] <= port <= relay_ports[1]


def cmd_check(args):
    report = Report()
    datagrams = read_pcap(args.pcap)
    sip = [m for m in map(parse_sip, datagrams) if m]
    relay_ports = tuple(map(int, args.relay_ports.split("-"))) if args.relay_ports else None

    # Signaling: what each phone offered or answered (its own RTP port), what the b2bua told it.
    from_a = sdps(sip, args.a_sip, args.b2bua_sip)
    from_b = sdps(sip, args.b_sip, args.b2bua_sip)
    to_a = sdps(sip, args.b2bua_sip, args.a_sip)
    to_b = sdps(sip, args.b2bua_sip, args.b_sip)
    if not from_a or not from_b or not to_a or not to_b:
        report.check("signaling", False, f"SDP from A: {len(from_a)}, from B: {len(from_b)}, to A: {len(to_a)}, "
                     f"to B: {len(to_b)}; the call was not set up")
        return finish(report, args)
    a_rtp = {s.port for _, s in from_a}
    b_rtp = {s.port for _, s in from_b}
    a_ports = a_rtp | {p + 1 for p in a_rtp}  # RTP and RTCP (baresip 1.0, linphone 5.1: not multiplexed)
    b_ports = b_rtp | {p + 1 for p in b_rtp}
    call_id = from_a[0][0].header("Call-ID")
    a_invites = [(m, s) for m, s in from_a if m.is_request and m.method == "INVITE"]
    hold = resume = None
    if not args.no_hold:
        directions = " -> ".join(s.direction for _, s in a_invites)
        hold = next((m.d.t for m, s in a_invites if s.direction in ("sendonly", "inactive")), None)
        resume = next((m.d.t for m, s in a_invites if hold is not None and m.d.t > hold and s.direction == "sendrecv"),
                      None)
        report.check("hold_resume", hold is not None and resume is not None,
                     f"A's INVITEs: {directions}; B got {len(to_b)} offers: "
                     + " -> ".join(s.direction for _, s in to_b))

        # The SDP the b2bua sent each phone names the same address for the whole call.
        for leg, sent in (("A", to_a), ("B", to_b)):
            seen = sorted({f"{s.addr}:{s.port}" for _, s in sent})
            report.check(f"sdp_stable_{leg}", len(sent) >= 3 and len(seen) == 1,
                         f"{len(sent)} SDPs from the b2bua to phone {leg} (initial, hold, resume) give {', '.join(seen)}")

    # The SDP each phone gets names only the relay: its address, its ports, no ICE candidates.
    if relay_ports is not None:
        for leg, sent, other in (("A", to_a, b_ports), ("B", to_b, a_ports)):
            bad = []
            for _, s in sent:
                m = s.media
                if m.addrs != {"127.0.0.1"} or not relay_port(m.port, relay_ports) or m.port in other:
                    bad.append(f"{','.join(sorted(m.addrs))}:{m.port}")
                if m.rtcp and (not relay_port(m.rtcp[0], relay_ports) or m.rtcp[1] not in (None, "127.0.0.1")):
                    bad.append(f"a=rtcp {m.rtcp[0]} {m.rtcp[1] or ''}")
                if m.candidates:
                    bad.append(f"{m.candidates} a=candidate")
            report.check(f"sdp_relay_only_{leg}", not bad,
                         f"{len(sent)} SDPs to phone {leg} give "
                         + ", ".join(sorted({f"{','.join(sorted(s.media.addrs))}:{s.media.port}" for _, s in sent}))
                         + f" (the relay: 127.0.0.1:{relay_ports[0]}-{relay_ports[1]})"
                         + (f"; not the relay's: {', '.join(bad)}" if bad else ""))

    # Flows: each phone sends RTP to the address the b2bua gave it and gets RTP back from it.
    sip_ports = (args.b2bua_sip, args.a_sip, args.b_sip)
    rtp = [(d, h) for d in datagrams if d.sport not in sip_ports and (h := rtp_header(d.payload))]
    for leg, mine, told in (("A", a_rtp, to_a[0][1]), ("B", b_rtp, to_b[0][1])):
        sent = sum(1 for d, _ in rtp if d.sport in mine and (d.dst, d.dport) == (told.addr, told.port))
        got = sum(1 for d, _ in rtp if d.dport in mine and (d.src, d.sport) == (told.addr, told.port))
        sources = sorted({f"{d.src}:{d.sport}" for d, _ in rtp if d.dport in mine})
        report.check(f"rtp_flows_{leg}", sent >= 50 and got >= 50,
                     f"phone {leg} (RTP port {'/'.join(map(str, sorted(mine)))}) sent {sent} RTP packets to "
                     f"{told.addr}:{told.port} and got {got} back from it (RTP reached it from {', '.join(sources)})")

    # Nothing at all goes directly between the two phones' media ports.
    direct = [d for d in datagrams if (d.sport in a_ports and d.dport in b_ports) or
              (d.sport in b_ports and d.dport in a_ports)]
    report.check("no_direct_rtp", not direct,
                 f"{len(direct)} UDP datagrams directly between phone A's ports {sorted(a_ports)} and phone B's "
                 f"{sorted(b_ports)}")

    # The hostile source: its packets were sent, none reached phone A, nobody answered it.
    inject_t = None
    if args.injector_port is not None:
        injected = [d for d in datagrams if d.sport == args.injector_port]
        inject_t = injected[0].t if injected else None
        report.check("injected", len(injected) == INJECT_RTP + INJECT_GARBAGE,
                     f"{len(injected)} datagrams from the hostile port {args.injector_port} on the wire, to "
                     + ", ".join(sorted({f"{d.dst}:{d.dport}" for d in injected})))
        leaked = [d for d in datagrams
                  if d.dport in a_ports and d.sport != args.injector_port and injected_like(d.payload)]
        direct_hits = [d for d in injected if d.dport in a_ports]
        answered = [d for d in datagrams if d.dport == args.injector_port]
        report.check("no_leak", not leaked and not direct_hits and not answered,
                     f"{len(leaked)} injected packets relayed to phone A, {len(direct_hits)} sent straight to it, "
                     f"{len(answered)} datagrams sent back to the hostile port")

    # Audio as the phones decoded it. baresip 1.0 stops its -dec.wav at the first re-INVITE that is
    # not sendrecv (audio_decoder_set flushes the decode filters and does not set them up again),
    # so its recordings cover the call up to the hold: the injection is in them, the resume is not.
    # (linphone's covers the whole call, the hold's silence left out.)
    first_to_b = next((d.t for d, h in rtp if d.dport in b_rtp), None)
    before_inject = (inject_t - first_to_b) if inject_t and first_to_b else 0.0
    tone, total, files = recording_tone(args.rec_a, TONE_B)
    report.check("audio_A", tone >= 2.0,
                 f"phone A's recording ({len(files)} file, {total:.1f} s): {tone:.1f} s of {TONE_B} Hz")
    tone, total, files = recording_tone(args.rec_b, TONE_A)
    if args.injector_port is not None:
        report.check("audio_B", tone >= 2.0 and tone >= before_inject + 2.0,
                     f"phone B's recording ({len(files)} file, {total:.1f} s): {tone:.1f} s of {TONE_A} Hz, "
                     f"{before_inject:.1f} s of audio came before the injection (needs 2 s more after it)")
    else:
        report.check("audio_B", tone >= 2.0,
                     f"phone B's recording ({len(files)} file, {total:.1f} s): {tone:.1f} s of {TONE_A} Hz")

    # Audio on the wire after the resume (the recordings end at the hold).
    if resume is not None:
        to_a_tone = flow_tone(datagrams, a_rtp, resume, TONE_B)
        to_b_tone = flow_tone(datagrams, b_rtp, resume, TONE_A)
        report.check("audio_after_resume", to_a_tone >= 2.0 and to_b_tone >= 2.0,
                     f"after the resume, RTP to phone A decodes to {to_a_tone:.1f} s of {TONE_B} Hz, "
                     f"to phone B {to_b_tone:.1f} s of {TONE_A} Hz")

    # Each leg's encryption: SDP, DTLS, plaintext or not on the wire. Phone A offers on leg A and
    # the relay answers; the relay offers on leg B and phone B answers.
    call_stats = next(iter([s for s in media_stats(args.b2bua_log) if s.get("call") == call_id][-1:]), None)
    if args.enc_a or args.enc_b:
        encryption_checks(report, args, datagrams, sip_ports, [
            ("A", args.enc_a or "plain", a_ports, from_a[0][1], to_a[0][1], to_a[0][0].d.t, TONE_B, TONE_A),
            ("B", args.enc_b or "plain", b_ports, to_b[0][1], from_b[0][1], from_b[0][0].d.t, TONE_A, TONE_B)],
            call_stats)

    # The b2bua's own count (relay only).
    if args.mode == "relay":
        stats = [s for s in media_stats(args.b2bua_log) if s.get("call") == call_id]
        if not stats:
            report.check("media_stats", False, f"no 'media stats call={call_id} ...' line in the b2bua's log")
        else:
            s = {k: int(v) for k, v in stats[-1].items() if v.isdigit()}
            from_a_media = [d for d in datagrams if d.sport in a_ports and d.dport not in b_ports]
            pcap_a = len(from_a_media)
            pcap_b = sum(1 for d in datagrams if d.sport in b_ports and d.dport not in a_ports)
            # linphone sends STUN binding requests on its RTP and RTCP ports (no ICE): the relay
            # passes those on the RTP port and drops those on the RTCP port (a_dropped)
            stun_a = [d for d in from_a_media if d.payload and d.payload[0] <= 3]
            stun_a_rtcp = sum(1 for d in stun_a if d.sport not in a_rtp)
            want_dropped = INJECT_RTP + INJECT_GARBAGE if args.injector_port is not None else 0
            report.check("media_stats",
                         s.get("a_packets", 0) > 0 and s.get("b_packets", 0) > 0
                         and s.get("b_dropped", 0) >= want_dropped,
                         f"a_packets={s.get('a_packets')} a_dropped={s.get('a_dropped')} "
                         f"b_packets={s.get('b_packets')} b_dropped={s.get('b_dropped')} "
                         + (f"(needs >= {want_dropped}); " if want_dropped else "; ")
                         + f"the capture has {pcap_a} datagrams from phone A's media ports ({len(stun_a)} STUN, "
                         f"{stun_a_rtcp} of them from its RTCP port), {pcap_b} from phone B's")
    return finish(report, args)


def finish(report, args):
    failed = sorted(n for n, ok in report.results.items() if not ok)
    expected = sorted(args.expect_fail.split(",")) if args.expect_fail else None
    if expected is None and args.mode == "none":
        expected = ["no_direct_rtp", "no_leak"]
    if expected is None:
        print("all checks passed" if not failed else f"failed: {', '.join(failed)}")
        return 0 if not failed else 1
    # Self-check: the detectors must fire (--mode none: the phones exchange RTP directly;
    # --expect-fail: whatever the caller broke on purpose), and only they.
    if failed == expected:
        print(f"self-check passed: exactly the expected checks failed ({', '.join(expected)}), every other check "
              "passed")
        return 0
    print(f"self-check FAILED: expected exactly {', '.join(expected)} to fail, got: {', '.join(failed) or 'none'}")
    return 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inject", help="send hostile RTP and garbage to the relay port facing a phone")
    p.add_argument("pcap")
    p.add_argument("--b2bua-sip", type=int, required=True)
    p.add_argument("--phone-sip", type=int, required=True)
    p.add_argument("--from-port", type=int, required=True)
    p = sub.add_parser("check", help="check a finished call")
    p.add_argument("pcap")
    for name in ("--b2bua-sip", "--a-sip", "--b-sip"):
        p.add_argument(name, type=int, required=True)
    p.add_argument("--injector-port", type=int, help="the hostile sender's port (no injection checks without it)")
    for name in ("--rec-a", "--rec-b", "--b2bua-log"):
        p.add_argument(name, required=True)
    p.add_argument("--mode", choices=("relay", "none"), default="relay")
    p.add_argument("--no-hold", action="store_true", help="the call was not held: no hold and resume checks")
    p.add_argument("--enc-a", choices=("plain", "sdes", "dtls", "zrtp"), help="leg A's media encryption")
    p.add_argument("--enc-b", choices=("plain", "sdes", "dtls", "zrtp"), help="leg B's media encryption")
    p.add_argument("--phone-log-a", help="phone A's linphonec log (a zrtp leg A: its SAS against the relay's)")
    p.add_argument("--phone-log-b", help="phone B's linphonec log (a zrtp leg B: its SAS against the relay's)")
    p.add_argument("--zrtp-a", help="ALGO,...: key agreements and auth tags phone A was limited to (zrtp leg A)")
    p.add_argument("--zrtp-b", help="ALGO,...: key agreements and auth tags phone B was limited to (zrtp leg B)")
    p.add_argument("--suites-b", help="the SDES suites the relay must offer on leg B, comma-separated, in order")
    p.add_argument("--relay-ports", help="LOW-HIGH: the relay's media ports (checks the SDP sent to the phones)")
    p.add_argument("--expect-fail", help="CHECK,...: pass only if exactly these checks fail (a self-check)")
    args = parser.parse_args()
    return cmd_inject(args) if args.command == "inject" else cmd_check(args)


if __name__ == "__main__":
    sys.exit(main())
