#!/usr/bin/env python3
"""Writes Tandem's own SIP torture messages, byte-exact, into conformance/messages/.

    python3 conformance/tools/make_messages.py [--check]

Every message is built here from explicit lines, so the bytes are reviewable in this file.
Lines end in CRLF unless a message says otherwise; "Content-Length" is computed from the body
unless a message gives its own. For each message NAME the script writes

    conformance/messages/<folder>/NAME.sip     the octets
    conformance/messages/<folder>/NAME.expect  "plain: <verdict>" and "uas: <verdict>"

and regenerates conformance/messages/README.md (the table: name, RFC class, verdicts, why).
Folders: valid/ (ok in both modes), semantic/ (syntactically valid, refused or dropped by a
UAS), invalid/ (syntax or framing error). Verdicts: "ok request METHOD", "ok response CODE",
"invalid", "respond CODE".

The messages are Tandem's own: they vary the cases of RFC 4475 section 3 and RFC 5118
section 4, and add limits and line-ending cases; none is a copy of an RFC message.
--check only verifies that the files on disk equal what the script would write.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "messages"))
CRLF = b"\r\n"

MESSAGES = []  # (folder, name, rfc_class, why, data, plain, uas)


def b(x):
    return x if isinstance(x, bytes) else x.encode("utf-8")


def build(lines, body=b"", cl="auto", ctype=None, eol=CRLF, blank=True):
    """Start line + header lines + (Content-Type) + (Content-Length) + empty line + body.

    lines: str or bytes, without line ends. cl: "auto" appends "Content-Length: <len(body)>",
    None appends nothing (the lines carry their own). ctype: appends "Content-Type: <ctype>".
    blank=False leaves out the empty line that ends the header section."""
    lines = [b(x) for x in lines]
    if ctype is not None:
        lines.append(b"Content-Type: " + b(ctype))
    body = b(body)
    if cl == "auto":
        lines.append(b"Content-Length: " + str(len(body)).encode())
    out = eol.join(lines) + eol
    if blank:
        out += eol
    return out + body


def text(*lines):
    """A body of text lines, each ended by CRLF."""
    return b"".join(b(x) + CRLF for x in lines)


def sdp(ip="192.0.2.101", kind="IP4", user="alice"):
    return text(
        "v=0",
        f"o={user} 2890844526 2890844526 IN {kind} {ip}",
        "s=-",
        f"c=IN {kind} {ip}",
        "t=0 0",
        "m=audio 49170 RTP/AVP 0",
        "a=rtpmap:0 PCMU/8000",
    )


def std(method, tag, cseq=1, start=None, ruri="sip:bob@biloxi.example.com", **over):
    """Request line + the usual mandatory header fields of a request from alice to bob.

    start replaces the whole request line. cseq: a number (CSeq: N METHOD), a whole line
    ("CSeq: ..."), or None to leave CSeq out. `over` replaces one field by name (via, mf, to,
    frm, callid, contact) with a whole line, or drops it (None)."""
    if cseq is None:
        cseq_line = None
    elif isinstance(cseq, str) and cseq.startswith("CSeq"):
        cseq_line = cseq
    else:
        cseq_line = f"CSeq: {cseq} {method}"
    base = {
        "via": f"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK{tag}",
        "mf": "Max-Forwards: 70",
        "to": "To: Bob <sip:bob@biloxi.example.com>",
        "frm": f"From: Alice <sip:alice@atlanta.example.com>;tag={tag}-f",
        "callid": f"Call-ID: {tag}@pc33.atlanta.example.com",
        "cseq": cseq_line,
        "contact": "Contact: <sip:alice@pc33.atlanta.example.com>",
    }
    for k, v in over.items():
        assert k in base and k != "cseq", k
        base[k] = v
    return [start or f"{method} {ruri} SIP/2.0"] + [v for v in base.values() if v is not None]


def add(folder, name, rfc, why, data, plain, uas):
    MESSAGES.append((folder, name, rfc, why, data, plain, uas))


# ---------------------------------------------------------------------------------------------
# valid/: syntactically valid and processed normally by a UAS
# ---------------------------------------------------------------------------------------------

add("valid", "fold-via-params", "RFC4475 3.1.1.1",
    "Via folded inside sent-protocol, before sent-by (HTAB continuation) and between params; LWS around / ; =",
    build(["INVITE sip:bob@biloxi.example.com SIP/2.0",
           "Via: SIP / 2.0 / UDP",
           "\tpc33.atlanta.example.com:5060",
           " ;branch = z9hG4bKfold1 ;",
           "  rport",
           "Max-Forwards: 70",
           "To: Bob <sip:bob@biloxi.example.com>",
           "From: Alice <sip:alice@atlanta.example.com>",
           "  ;tag=fold1-f",
           "Call-ID: fold1@pc33.atlanta.example.com",
           "CSeq:",
           " 101",
           "\tINVITE",
           "Contact: <sip:alice@pc33.atlanta.example.com>"],
          sdp(), ctype="application/sdp"),
    "ok", "ok")

add("valid", "compact-forms-invite", "RFC4475 3.1.1.1",
    "INVITE with every field that has a compact form written compact: i m f t v l c k s e x a d j y",
    build(["INVITE sip:bob@biloxi.example.com SIP/2.0",
           "v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKcmp1",
           "Max-Forwards: 70",
           "t: Bob <sip:bob@biloxi.example.com>",
           "f: Alice <sip:alice@atlanta.example.com>;tag=cmp1-f",
           "i: cmp1@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "m: <sip:alice@pc33.atlanta.example.com>",
           "k: timer, 100rel",
           "x: 1800;refresher=uac",
           "s: Lunch?",
           "a: *;audio;require",
           "j: *;video",
           "d: proxy, recurse, parallel",
           "y: c2lnbmF0dXJlLW9mLWFsaWNl;info=<https://cert.example.org/alice.cer>;alg=ES256",
           "e: identity",
           "c: application/sdp",
           "l: %d" % len(sdp())],
          sdp(), cl=None),
    "ok", "ok")

add("valid", "compact-forms-subscribe", "RFC4475 3.1.1.1",
    "SUBSCRIBE with the compact forms o (Event) and u (Allow-Events), upper-case compact names",
    build(["SUBSCRIBE sip:bob@biloxi.example.com SIP/2.0",
           "V: SIP/2.0/TCP pc33.atlanta.example.com;branch=z9hG4bKcmp2",
           "Max-Forwards: 70",
           "T: <sip:bob@biloxi.example.com>",
           "F: <sip:alice@atlanta.example.com>;tag=cmp2-f",
           "I: cmp2@pc33.atlanta.example.com",
           "CSeq: 7 SUBSCRIBE",
           "M: <sip:alice@pc33.atlanta.example.com;transport=tcp>",
           "O: presence;id=4",
           "U: presence, dialog",
           "Expires: 600",
           "Accept: application/pidf+xml",
           "L: 0"],
          cl=None),
    "ok", "ok")

add("valid", "compact-forms-refer", "RFC4475 3.1.1.1",
    "REFER with the compact forms r (Refer-To) and b (Referred-By); Refer-To URI carries an escaped header",
    build(std("REFER", "cmp3") + [
        "r: <sip:carol@cleveland.example.org?Replaces=12345%40192.0.2.4%3Bto-tag%3D12%3Bfrom-tag%3D34>",
        "b: <sip:alice@atlanta.example.com>",
        "k: norefersub"]),
    "ok", "ok")

add("valid", "mixed-case-names", "RFC4475 3.1.1.1",
    "Header names in random case (long and compact forms are case-insensitive)",
    build(["OPTIONS sip:bob@biloxi.example.com SIP/2.0",
           "vIA: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKmc1",
           "mAX-fORWARDS: 70",
           "TO: <sip:bob@biloxi.example.com>",
           "fRoM: <sip:alice@atlanta.example.com>;tag=mc1-f",
           "cAlL-iD: mc1@pc33.atlanta.example.com",
           "cseq: 3 OPTIONS",
           "ACCEPT: application/sdp",
           "cOnTeNt-LeNgTh: 0"], cl=None),
    "ok", "ok")

add("valid", "tabs-as-lws", "RFC4475 3.1.1.1",
    "HTAB used as LWS everywhere: before and after HCOLON, inside CSeq, between sent-protocol and sent-by, around ;",
    build(["OPTIONS sip:bob@biloxi.example.com SIP/2.0",
           "Via\t:\tSIP/2.0/UDP\tpc33.atlanta.example.com\t;\tbranch=z9hG4bKtab1",
           "Max-Forwards:\t70",
           "To:\t<sip:bob@biloxi.example.com>",
           "From:\t\"Alice\"\t<sip:alice@atlanta.example.com>\t;\ttag=tab1-f",
           "Call-ID:\ttab1@pc33.atlanta.example.com",
           "CSeq:\t4\tOPTIONS",
           "Content-Length:\t0"], cl=None),
    "ok", "ok")

add("valid", "space-before-colon", "RFC4475 3.1.1.1",
    "Runs of SP between header names and the colon (HCOLON = *( SP / HTAB ) \":\" SWS), no SP after",
    build(["OPTIONS sip:bob@biloxi.example.com SIP/2.0",
           "Via    :SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKsbc1",
           "Max-Forwards  :70",
           "To \t : <sip:bob@biloxi.example.com>",
           "From :<sip:alice@atlanta.example.com>;tag=sbc1-f",
           "Call-ID      : sbc1@pc33.atlanta.example.com",
           "CSeq : 5 OPTIONS",
           "l   :0"], cl=None),
    "ok", "ok")

add("valid", "empty-values-long", "RFC4475 3.1.1.1",
    "Empty values where the grammar allows them: Subject, Organization, Supported, Allow, Accept (OPTIONS, no body)",
    build(std("OPTIONS", "emp1", contact=None) + [
        "Subject:",
        "Organization:",
        "Supported:",
        "Allow:",
        "Accept:"]),
    "ok", "ok")

add("valid", "empty-values-compact", "RFC4475 3.1.1.1",
    "Empty compact-form values: s: and k: (one with trailing blanks)",
    build(std("MESSAGE", "emp2", contact=None) + ["s:", "k:   "],
          text("hi"), ctype="text/plain"),
    "ok", "ok")

add("valid", "display-name-escapes", "RFC4475 3.1.1.1",
    "Quoted display names with escaped quotes and backslashes, an empty quoted name and a lone escaped backslash",
    build(["OPTIONS sip:bob@biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKdn1",
           "Max-Forwards: 70",
           "To: \"\\\\\" <sip:bob@biloxi.example.com>",
           "From: \"Alice \\\"Al\\\" O\\\\Neil\" <sip:alice@atlanta.example.com>;tag=dn1-f",
           "Contact: \"\" <sip:alice@pc33.atlanta.example.com>",
           "Call-ID: dn1@pc33.atlanta.example.com",
           "CSeq: 1 OPTIONS"]),
    "ok", "ok")

add("valid", "utf8-quoted", "RFC4475 3.1.1.2",
    "UTF-8 (Greek, CJK, emoji) in quoted display names and in Subject",
    build(["MESSAGE sip:bob@biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKutf1",
           "Max-Forwards: 70",
           "To: \"Βασίλης 李小龍\" <sip:bob@biloxi.example.com>",
           "From: \"Zoë 🙂\" <sip:alice@atlanta.example.com>;tag=utf1-f",
           "Call-ID: utf1@pc33.atlanta.example.com",
           "CSeq: 1 MESSAGE",
           "Subject: Grüße – 你好"],
          text("Grüße"), ctype="text/plain;charset=UTF-8"),
    "ok", "ok")

add("valid", "nul-escaped-in-quoted", "RFC4475 3.1.1.2",
    "NUL, BEL and HTAB as quoted-pairs inside a display name (quoted-pair allows %x00-09)",
    build([b"OPTIONS sip:bob@biloxi.example.com SIP/2.0",
           b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnul1",
           b"Max-Forwards: 70",
           b"To: \"N\\\x00L \\\x07 \\\t\" <sip:bob@biloxi.example.com>",
           b"From: <sip:alice@atlanta.example.com>;tag=nul1-f",
           b"Call-ID: nul1@pc33.atlanta.example.com",
           b"CSeq: 1 OPTIONS"]),
    "ok", "ok")

add("valid", "escapes-good", "RFC4475 3.1.1.3",
    "%HEX escapes in the Request-URI user and a URI param, in To/From users and in a Contact param value",
    build(["INVITE sip:%62o%62@biloxi.example.com;x%2Dfoo=%62ar SIP/2.0",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKesc1",
           "Max-Forwards: 70",
           "To: <sip:%62ob@biloxi.example.com>",
           "From: <sip:al%69ce@atlanta.example.com>;tag=esc1-f",
           "Call-ID: esc1@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Contact: <sip:alice@pc33.atlanta.example.com;key=v%25al%2Fue>"],
          sdp(), ctype="application/sdp"),
    "ok", "ok")

add("valid", "escaped-nul-uri", "RFC4475 3.1.1.4",
    "REGISTER binding URIs whose user parts contain %00 (must not be cut at the NUL)",
    build(["REGISTER sip:biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/UDP bobspc.biloxi.example.com;branch=z9hG4bKnulu1",
           "Max-Forwards: 70",
           "To: <sip:bob%00x@biloxi.example.com>",
           "From: <sip:bob%00x@biloxi.example.com>;tag=nulu1-f",
           "Call-ID: nulu1@bobspc.biloxi.example.com",
           "CSeq: 1 REGISTER",
           "Contact: <sip:%00%00bob@192.0.2.4>, <sip:bob%00@192.0.2.4>"]),
    "ok", "ok")

add("valid", "dn-no-lws", "RFC4475 3.1.1.6",
    "Token display names directly followed by < (no LWS), in To, From and Contact",
    build(["OPTIONS sip:bob@biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnolws1",
           "Max-Forwards: 70",
           "To: Bob<sip:bob@biloxi.example.com>",
           "From: Alice.Liddell<sip:alice@atlanta.example.com>;tag=nolws1-f",
           "Contact: Alice<sip:alice@pc33.atlanta.example.com>",
           "Call-ID: nolws1@pc33.atlanta.example.com",
           "CSeq: 1 OPTIONS"]),
    "ok", "ok")

LONG_VALUE = "x" * (16000 - len("X-Long: ") - 2)
add("valid", "long-line-16000", "RFC4475 3.1.1.7",
    "One header line of 16000 octets (CRLF included), under the 16 KiB line limit",
    build(std("OPTIONS", "long1") + ["X-Long: " + LONG_VALUE]),
    "ok", "ok")

# start line + 6 usual fields (no Contact) + 249 fillers + Content-Length = 256 fields
FILL256 = ["X-Fill-%03d: %d" % (i, i) for i in range(1, 256 - 6 - 1 + 1)]
add("valid", "headers-256", "RFC4475 3.1.1.7",
    "Exactly 256 header fields (the limit): 7 usual fields + Content-Length + 248 extension fields",
    build(std("OPTIONS", "h256", contact=None) + FILL256),
    "ok", "ok")


def sized(total, method, tag):
    """A MESSAGE of exactly `total` octets: text/plain body of 63-char lines, padded."""
    lines = std(method, tag, contact=None) + ["Content-Type: text/plain"]
    head_len = len(build(lines, b"", cl=None)) - 2  # without the empty line
    for digits in range(1, 8):
        body_len = total - head_len - len(b"Content-Length: ") - digits - 2 - 2
        if len(str(body_len)) == digits:
            break
    row = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!" + CRLF  # 65 octets
    body = (row * (body_len // len(row) + 1))[:body_len]
    data = build(lines, body)
    assert len(data) == total, (len(data), total)
    return data


add("valid", "size-65536", "RFC4475 3.1.1.7",
    "A message of exactly 65536 octets (the 64 KiB limit), framed by Content-Length",
    sized(65536, "MESSAGE", "size1"),
    "ok", "ok")

add("valid", "trailing-octets", "RFC4475 3.1.1.8",
    "Content-Length 5 but more octets follow in the datagram (ignored, RFC 3261 18.3), one of them a request line",
    build(std("MESSAGE", "trail1", contact=None) + ["Content-Type: text/plain", "Content-Length: 5"],
          b"Hello, the rest is not body\r\nBYE sip:bob@biloxi.example.com SIP/2.0\r\n", cl=None),
    "ok", "ok")

add("valid", "semicolon-user", "RFC4475 3.1.1.9",
    "Request-URI user part holding ; = + and an escaped @ (telephone-subscriber style)",
    build(["INVITE sip:+1-212-555-1212;npdi;rn=+1-212-555-1000;x=a%40b@gw.example.com;user=phone SIP/2.0",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKsemi1",
           "Max-Forwards: 70",
           "To: <sip:+1-212-555-1212;npdi@gw.example.com;user=phone>",
           "From: <sip:alice@atlanta.example.com>;tag=semi1-f",
           "Call-ID: semi1@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Contact: <sip:alice@pc33.atlanta.example.com>"],
          sdp(), ctype="application/sdp"),
    "ok", "ok")

add("valid", "unusual-transports", "RFC4475 3.1.1.10",
    "Via transports WS, WSS, DTLS-SCTP and an unknown token; protocol-name other than SIP in a lower Via",
    build(["OPTIONS sip:bob@biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKtr1",
           "Via: SIP/2.0/WSS edge.example.com:443;branch=z9hG4bKtr2",
           "Via: SIP/2.0/DTLS-SCTP 192.0.2.7;branch=z9hG4bKtr3",
           "Via: SIP/2.0/QUANTUM-FOAM 192.0.2.8;branch=z9hG4bKtr4",
           "Via: FOO/3.1/UDP 192.0.2.9;branch=z9hG4bKtr5",
           "Max-Forwards: 70",
           "To: <sip:bob@biloxi.example.com>",
           "From: <sip:alice@atlanta.example.com>;tag=tr1-f",
           "Call-ID: tr1@pc33.atlanta.example.com",
           "CSeq: 1 OPTIONS"]),
    "ok", "ok")

MP_SDP = (b"--b0undary.7\r\n"
          b"Content-Type: application/sdp\r\n\r\n" + sdp() +
          b"--b0undary.7\r\n"
          b"Content-Type: text/plain\r\n"
          b"Content-Disposition: render;handling=optional\r\n\r\n"
          b"see you\r\n"
          b"--b0undary.7--\r\n")
add("valid", "multipart-sdp", "RFC4475 3.1.1.11",
    "INVITE with a multipart/mixed body: an SDP part and an optional text/plain part",
    build(std("INVITE", "mp1"), MP_SDP, ctype="multipart/mixed;boundary=b0undary.7"),
    "ok", "ok")

NUL_BODY = b"binary\x00data\x00\x00with bare LF\n and CR\r and \xff\xfe octets\x00"
add("valid", "nul-in-body", "RFC4475 3.1.1.11",
    "text/plain body holding NUL, bare LF, bare CR and non-UTF-8 octets: framing is by Content-Length only",
    build(std("MESSAGE", "nulb1", contact=None), NUL_BODY, ctype="text/plain"),
    "ok", "ok")

add("valid", "odd-reason", "RFC4475 3.1.1.12",
    "Reason phrase made of reserved and unreserved marks and an escape: ; : ? ! ( ) = & + $ , ~ ' * %41",
    build(["SIP/2.0 200 Okay; fine: really? yes! (a=b & c+d) $5, ~'*' %41",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKrsn1",
           "To: <sip:bob@biloxi.example.com>;tag=rsn1-t",
           "From: <sip:alice@atlanta.example.com>;tag=rsn1-f",
           "Call-ID: rsn1@pc33.atlanta.example.com",
           "CSeq: 1 OPTIONS"]),
    "ok", "ok")

add("valid", "utf8-reason", "RFC4475 3.1.1.12",
    "Reason phrase in UTF-8 (Cyrillic, French, an em dash) and an HTAB",
    build(["SIP/2.0 486 Занято —\toccupé",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKrsn2",
           "To: <sip:bob@biloxi.example.com>;tag=rsn2-t",
           "From: <sip:alice@atlanta.example.com>;tag=rsn2-f",
           "Call-ID: rsn2@pc33.atlanta.example.com",
           "CSeq: 1 INVITE"]),
    "ok", "ok")

add("valid", "empty-reason-183", "RFC4475 3.1.1.13",
    "183 with the mandatory SP and an empty reason phrase; reliable provisional (Require 100rel, RSeq)",
    build(["SIP/2.0 183 ",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKrsn3",
           "To: <sip:bob@biloxi.example.com>;tag=rsn3-t",
           "From: <sip:alice@atlanta.example.com>;tag=rsn3-f",
           "Call-ID: rsn3@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Require: 100rel",
           "RSeq: 4294967295",
           "Contact: <sip:bob@192.0.2.4>"],
          sdp("192.0.2.4", user="bob"), ctype="application/sdp"),
    "ok", "ok")

add("valid", "lowercase-version", "RFC 3261 7.1 / 25.1",
    "Request line and Via say sip/2.0: the SIP-Version literal is case-insensitive",
    build(["OPTIONS sip:bob@biloxi.example.com sip/2.0",
           "Via: sip/2.0/udp pc33.atlanta.example.com;branch=z9hG4bKlcv1",
           "Max-Forwards: 70",
           "To: <sip:bob@biloxi.example.com>",
           "From: <sip:alice@atlanta.example.com>;tag=lcv1-f",
           "Call-ID: lcv1@pc33.atlanta.example.com",
           "CSeq: 1 OPTIONS"]),
    "ok", "ok")

add("valid", "cl-leading-zeros", "RFC 3261 20.14",
    "Content-Length 0000013 (1*DIGIT allows leading zeros)",
    build(std("MESSAGE", "clz1", contact=None) + ["Content-Type: text/plain", "Content-Length: 0000013"],
          b"Hello, world!", cl=None),
    "ok", "ok")

add("valid", "no-content-length", "RFC 3261 18.3",
    "Datagram without Content-Length: the body is the rest of the datagram",
    build(std("MESSAGE", "nocl1", contact=None) + ["Content-Type: text/plain"],
          text("no length given", "second line"), cl=None),
    "ok", "ok")

add("valid", "via-list-comma", "RFC 3261 7.3.1",
    "Via values as one comma-separated field (folded) and as repeated fields, with received, rport, maddr, ttl",
    build(["BYE sip:bob@192.0.2.4 SIP/2.0",
           "Via: SIP/2.0/UDP proxy2.example.net:5060;branch=z9hG4bKvl1c;received=192.0.2.10;rport=5061,",
           "     SIP/2.0/TCP proxy1.example.com;branch=z9hG4bKvl1b;maddr=224.0.1.75;ttl=16 , SIP/2.0/UDP",
           " pc33.atlanta.example.com;branch=z9hG4bKvl1a;rport;received=198.51.100.33",
           "Via: SIP/2.0/TLS origin.example.org:5061;branch=z9hG4bKvl10",
           "Max-Forwards: 68",
           "To: <sip:bob@biloxi.example.com>;tag=vl1-t",
           "From: <sip:alice@atlanta.example.com>;tag=vl1-f",
           "Call-ID: vl1@pc33.atlanta.example.com",
           "CSeq: 2 BYE"]),
    "ok", "ok")

add("valid", "scalar-maxima", "RFC4475 3.1.2.4 (boundary)",
    "Largest legal scalars: CSeq 4294967295, Max-Forwards 255, Expires 4294967295",
    build(std("OPTIONS", "max1", cseq=4294967295, mf="Max-Forwards: 255") + ["Expires: 4294967295"]),
    "ok", "ok")

add("valid", "scalar-leading-zeros", "RFC4475 3.1.1.1",
    "Leading zeros: CSeq 000001, Max-Forwards 0070, Expires 0060, Content-Length 00",
    build(std("OPTIONS", "lz1", cseq="000001", mf="Max-Forwards: 0070") + ["Expires: 0060", "Content-Length: 00"],
          cl=None),
    "ok", "ok")

add("valid", "expires-over-32bit", "RFC4475 3.1.2.4 (decided)",
    "REGISTER Expires 99999999999 (> 2^32-1): grammar is 1*DIGIT, RFC 4475 lets the element clamp it; decided ok",
    build(["REGISTER sip:biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/UDP bobspc.biloxi.example.com;branch=z9hG4bKexp1",
           "Max-Forwards: 70",
           "To: <sip:bob@biloxi.example.com>",
           "From: <sip:bob@biloxi.example.com>;tag=exp1-f",
           "Call-ID: exp1@bobspc.biloxi.example.com",
           "CSeq: 1 REGISTER",
           "Contact: <sip:bob@192.0.2.4>",
           "Expires: 99999999999"]),
    "ok", "ok")

add("valid", "require-supported", "RFC4475 3.3.5 (contrast)",
    "INVITE requiring only supported option tags (100rel, timer) with Session-Expires",
    build(std("INVITE", "req1") + ["Require: 100rel,timer", "Supported: 100rel, timer, replaces",
                                    "Session-Expires: 1800;refresher=uas", "Min-SE: 90"],
          sdp(), ctype="application/sdp"),
    "ok", "ok")

add("valid", "proxy-require-ignored", "RFC4475 3.3.5",
    "Proxy-Require with unknown tags: a UAS ignores it (RFC 3261 8.2.2.3 checks Require only)",
    build(std("OPTIONS", "preq1") + ["Proxy-Require: com.example.teleport, x-warp-drive"]),
    "ok", "ok")

add("valid", "cancel-require-ignored", "RFC4475 3.3.5 (RFC 3261 8.2.2.3)",
    "CANCEL with an unknown Require tag: Require MUST be ignored in CANCEL (RFC 3261 8.2.2.3)",
    build(std("CANCEL", "creq1", contact=None) + ["Require: x-nobody-has-this"]),
    "ok", "ok")

add("valid", "register-star", "RFC 3261 10.2.2",
    "REGISTER removing all bindings: Contact: * with Expires: 0",
    build(["REGISTER sip:biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/UDP bobspc.biloxi.example.com;branch=z9hG4bKstar1",
           "Max-Forwards: 70",
           "To: <sip:bob@biloxi.example.com>",
           "From: <sip:bob@biloxi.example.com>;tag=star1-f",
           "Call-ID: star1@bobspc.biloxi.example.com",
           "CSeq: 2 REGISTER",
           "Contact: *",
           "Expires: 0"]),
    "ok", "ok")

add("valid", "contact-header-param", "RFC4475 3.3.12",
    "REGISTER with Contact addr-spec without <>: ;x-flavour and ;q belong to the header, not the URI",
    build(["REGISTER sip:biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/UDP bobspc.biloxi.example.com;branch=z9hG4bKcp1",
           "Max-Forwards: 70",
           "To: sip:bob@biloxi.example.com",
           "From: sip:bob@biloxi.example.com;tag=cp1-f",
           "Call-ID: cp1@bobspc.biloxi.example.com",
           "CSeq: 3 REGISTER",
           "Contact: sip:bob@192.0.2.4:5062;x-flavour;q=0.5;expires=3600"]),
    "ok", "ok")

add("valid", "contact-uri-param", "RFC4475 3.3.13",
    "REGISTER with outbound/gruu contacts in <>: URI params inside, +sip.instance and reg-id outside",
    build(["REGISTER sip:biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/TCP bobspc.biloxi.example.com;branch=z9hG4bKcp2",
           "Max-Forwards: 70",
           "To: <sip:bob@biloxi.example.com>",
           "From: <sip:bob@biloxi.example.com>;tag=cp2-f",
           "Call-ID: cp2@bobspc.biloxi.example.com",
           "CSeq: 4 REGISTER",
           "Supported: path, outbound, gruu",
           "Contact: <sip:bob@192.0.2.4;transport=tcp;x-flavour>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";reg-id=1,",
           " <sip:bob@192.0.2.5;ob>;q=0.1"]),
    "ok", "ok")

add("valid", "contact-escaped-headers", "RFC4475 3.3.14",
    "REGISTER Contact (in <>) carrying escaped URI headers ?Subject=...&Priority=...",
    build(["REGISTER sip:biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/UDP bobspc.biloxi.example.com;branch=z9hG4bKcp3",
           "Max-Forwards: 70",
           "To: <sip:bob@biloxi.example.com>",
           "From: <sip:bob@biloxi.example.com>;tag=cp3-f",
           "Call-ID: cp3@bobspc.biloxi.example.com",
           "CSeq: 5 REGISTER",
           "m: <sip:bob@192.0.2.4?Subject=hi%20there&Priority=urgent>"]),
    "ok", "ok")

add("valid", "prack-rack", "RFC 3262 7.2",
    "PRACK with RAck: response-num CSeq-num method",
    build(std("PRACK", "prk1", cseq=2, to="To: Bob <sip:bob@biloxi.example.com>;tag=prk1-t") +
          ["RAck: 776656 1 INVITE"]),
    "ok", "ok")

add("valid", "invite-replaces", "RFC 3891",
    "INVITE with Replaces (call-id with @, to-tag, from-tag, early-only) and Require: replaces",
    build(std("INVITE", "rep1") + ["Replaces: 98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only",
                                   "Require: replaces"],
          sdp(), ctype="application/sdp"),
    "ok", "ok")

add("valid", "bye-reason", "RFC 3326",
    "BYE with Reason values for SIP and Q.850, LWS around ;, a quoted text with an escaped quote",
    build(std("BYE", "rsn4", cseq=3, to="To: <sip:bob@biloxi.example.com>;tag=rsn4-t", contact=None) +
          ["Reason: SIP ;cause=200 ;text=\"Call completed \\\"elsewhere\\\"\"",
           "Reason: Q.850;cause=16;text=\"Terminated\""]),
    "ok", "ok")

add("valid", "auth-digest", "RFC 3261 22.4",
    "REGISTER with full Digest credentials (not checked by a non-authenticating registrar)",
    build(["REGISTER sip:biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/UDP bobspc.biloxi.example.com;branch=z9hG4bKau1",
           "Max-Forwards: 70",
           "To: <sip:bob@biloxi.example.com>",
           "From: <sip:bob@biloxi.example.com>;tag=au1-f",
           "Call-ID: au1@bobspc.biloxi.example.com",
           "CSeq: 2 REGISTER",
           "Contact: <sip:bob@192.0.2.4>",
           "Authorization: Digest username=\"bob\", realm=\"biloxi.example.com\",",
           "  nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:biloxi.example.com\",",
           "  qop=auth, nc=00000001, cnonce=\"0a4f113b\",",
           "  response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5,",
           "  opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""]),
    "ok", "ok")

add("valid", "auth-unknown-scheme", "RFC4475 3.3.7",
    "REGISTER with Authorization in an unknown scheme (auth-scheme LWS auth-param list): ignored, 200",
    build(["REGISTER sip:biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/UDP bobspc.biloxi.example.com;branch=z9hG4bKau2",
           "Max-Forwards: 70",
           "To: <sip:bob@biloxi.example.com>",
           "From: <sip:bob@biloxi.example.com>;tag=au2-f",
           "Call-ID: au2@bobspc.biloxi.example.com",
           "CSeq: 3 REGISTER",
           "Authorization: Frobnicate token=\"abc\", realm=biloxi.example.com",
           "Contact: <sip:bob@192.0.2.4>"]),
    "ok", "ok")

add("valid", "resp-401-challenge", "RFC 3261 22.4",
    "401 with two WWW-Authenticate challenges (Digest with qop list and stale, and an unknown scheme)",
    build(["SIP/2.0 401 Unauthorized",
           "Via: SIP/2.0/UDP bobspc.biloxi.example.com;branch=z9hG4bKau3;received=192.0.2.4",
           "To: <sip:bob@biloxi.example.com>;tag=au3-t",
           "From: <sip:bob@biloxi.example.com>;tag=au3-f",
           "Call-ID: au3@bobspc.biloxi.example.com",
           "CSeq: 1 REGISTER",
           "WWW-Authenticate: Digest realm=\"biloxi.example.com\", qop=\"auth,auth-int\",",
           " nonce=\"ea9c8e88df84f1cec4341ae6cbe5a359\", opaque=\"\", stale=FALSE, algorithm=MD5",
           "WWW-Authenticate: Newscheme realm=\"biloxi.example.com\", data=abc"]),
    "ok", "ok")

add("valid", "resp-503-retry-after", "RFC 3261 20.33",
    "503 with Retry-After carrying a comment and a duration param",
    build(["SIP/2.0 503 Service Unavailable",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKra1",
           "To: <sip:bob@biloxi.example.com>;tag=ra1-t",
           "From: <sip:alice@atlanta.example.com>;tag=ra1-f",
           "Call-ID: ra1@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Retry-After: 120 (I'm in a meeting) ;duration=3600"]),
    "ok", "ok")

add("valid", "resp-488-warning", "RFC 3261 20.43",
    "488 with a Warning list: hostname agent, bracketed IPv6 agent with port, pseudonym agent",
    build(["SIP/2.0 488 Not Acceptable Here",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKwrn1",
           "To: <sip:bob@biloxi.example.com>;tag=wrn1-t",
           "From: <sip:alice@atlanta.example.com>;tag=wrn1-f",
           "Call-ID: wrn1@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Warning: 305 biloxi.example.com \"Incompatible media format\",",
           " 399 [2001:db8::4]:5060 \"IPv6 agent \\\"here\\\"\", 370 devnull \"Choose a bigger pipe\""]),
    "ok", "ok")

add("valid", "date-gmt", "RFC4475 3.1.2.12 (contrast)",
    "INVITE with a correct rfc1123 Date in GMT",
    build(std("INVITE", "date1") + ["Date: Thu, 21 Feb 2002 13:02:03 GMT"],
          sdp(), ctype="application/sdp"),
    "ok", "ok")

add("valid", "route-lists", "RFC 3261 20.30 / 20.34",
    "Route and Record-Route lists: several values per field, repeated fields, lr and other params",
    build(["INVITE sip:bob@192.0.2.4 SIP/2.0",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKrt1",
           "Max-Forwards: 70",
           "Route: <sip:p1.example.com;lr>,<sip:p2.example.net;lr;transport=tcp> ,",
           "  \"edge\" <sip:p3.example.org:5070;lr>",
           "Route: <sips:p4.example.com;lr>",
           "Record-Route: <sip:rr1.example.com;lr;ftag=rt1-f>, <sip:rr2.example.com;lr>",
           "To: <sip:bob@biloxi.example.com>",
           "From: <sip:alice@atlanta.example.com>;tag=rt1-f",
           "Call-ID: rt1@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Contact: <sip:alice@pc33.atlanta.example.com>"],
          sdp(), ctype="application/sdp"),
    "ok", "ok")

add("valid", "unknown-headers-odd", "RFC4475 3.1.1.1",
    "Extension header names using every token mark, and values of separators only",
    build(std("OPTIONS", "unk1") + ["X-.!%*_+`'~: anything goes here",
                                    "UnknownSeparators: ;;,,;;,;",
                                    "x-EMPTY-unknown:"]),
    "ok", "ok")

add("valid", "rfc2543-invite", "RFC4475 3.4.1",
    "RFC 2543 style INVITE: no branch, no From tag, no Max-Forwards, no Content-Length (body = rest)",
    build(["INVITE sip:bob@biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/UDP oldgw.atlanta.example.com:5060",
           "From: sip:alice@atlanta.example.com",
           "To: sip:bob@biloxi.example.com",
           "Call-ID: 2543-old@oldgw.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Content-Type: application/sdp"],
          sdp(), cl=None),
    "ok", "ok")

add("valid", "accept-wildcard", "RFC4475 3.3.15 (contrast)",
    "INVITE with SDP and Accept: application/*;q=0.5, text/html: application/sdp is acceptable",
    build(std("INVITE", "acc1") + ["Accept: text/html, application/*;q=0.5"],
          sdp(), ctype="application/sdp"),
    "ok", "ok")

add("valid", "content-type-case", "RFC 3261 7.3.1",
    "Content-Type Application/SDP (media types are case-insensitive)",
    build(std("INVITE", "ctc1"), sdp(), ctype="Application/SDP"),
    "ok", "ok")

add("valid", "body-without-content-type", "RFC 3261 20.15 (decided)",
    "MESSAGE with a body but no Content-Type: SHOULD be present, not MUST; decided: accept",
    build(std("MESSAGE", "noct1", contact=None), b"untyped text"),
    "ok", "ok")

add("valid", "zero-max-forwards", "RFC4475 3.3.11",
    "INVITE with Max-Forwards: 0 is processed normally by a UAS (483 is for forwarding only)",
    build(std("INVITE", "zmf1", mf="Max-Forwards: 0"), sdp(), ctype="application/sdp"),
    "ok", "ok")

add("valid", "bcast-via-180", "RFC4475 3.3.10",
    "180 whose second Via sent-by is the broadcast address 255.255.255.255",
    build(["SIP/2.0 180 Ringing",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKbc1",
           "Via: SIP/2.0/UDP 255.255.255.255:5060;branch=z9hG4bKbc0",
           "To: <sip:bob@biloxi.example.com>;tag=bc1-t",
           "From: <sip:alice@atlanta.example.com>;tag=bc1-f",
           "Call-ID: bc1@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Contact: <sip:bob@192.0.2.4>"]),
    "ok", "ok")

add("valid", "cl-duplicate-agree", "RFC4475 3.3.9 (contrast, decided)",
    "Two Content-Length fields with the same number written differently (4 and 004): they agree",
    build(std("MESSAGE", "mcl2", contact=None) + ["Content-Type: text/plain", "Content-Length: 4", "l: 004"],
          b"ping", cl=None),
    "ok", "ok")

add("valid", "absolute-uris-in-headers", "RFC4475 3.3.4 (non-REGISTER)",
    "OPTIONS with To http:, From urn: and Contact mailto: URIs (absoluteURI is legal there)",
    build(["OPTIONS sip:bob@biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKabs1",
           "Max-Forwards: 70",
           "To: <http://www.example.org/bob?x=1>",
           "From: <urn:example:alice>;tag=abs1-f",
           "Contact: <mailto:alice@atlanta.example.com>",
           "Call-ID: abs1@pc33.atlanta.example.com",
           "CSeq: 1 OPTIONS"]),
    "ok", "ok")

add("valid", "tel-request-uri", "RFC 3261 19.1 / RFC 3966",
    "INVITE to a tel: Request-URI with visual separators and a tel: To",
    build(["INVITE tel:+1-201-555-0123;ext=44 SIP/2.0",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKtel1",
           "Max-Forwards: 70",
           "To: <tel:+1-201-555-0123;ext=44>",
           "From: <sip:alice@atlanta.example.com>;tag=tel1-f",
           "Call-ID: tel1@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Contact: <sip:alice@pc33.atlanta.example.com>"],
          sdp(), ctype="application/sdp"),
    "ok", "ok")

add("valid", "sips-everywhere", "RFC 3261 19.1",
    "sips: Request-URI, To, From, Contact and Route over TLS",
    build(["INVITE sips:bob@biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/TLS pc33.atlanta.example.com:5061;branch=z9hG4bKsips1",
           "Max-Forwards: 70",
           "Route: <sips:edge.biloxi.example.com;lr>",
           "To: <sips:bob@biloxi.example.com>",
           "From: <sips:alice@atlanta.example.com>;tag=sips1-f",
           "Call-ID: sips1@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Contact: <sips:alice@pc33.atlanta.example.com:5061>"],
          sdp(), ctype="application/sdp"),
    "ok", "ok")

add("valid", "notify-sipfrag", "RFC 3515 2.4.5",
    "NOTIFY with Event refer;id, Subscription-State and a message/sipfrag body",
    build(std("NOTIFY", "ntf1", cseq=2, to="To: <sip:alice@atlanta.example.com>;tag=ntf1-t") +
          ["Event: refer;id=93809824", "Subscription-State: active;expires=60"],
          b"SIP/2.0 200 OK\r\n", ctype="message/sipfrag;version=2.0"),
    "ok", "ok")

add("valid", "update-info-methods", "RFC 3311",
    "UPDATE with SDP inside a dialog (To tag), Supported: timer",
    build(std("UPDATE", "upd1", cseq=5, to="To: <sip:bob@biloxi.example.com>;tag=upd1-t") +
          ["Supported: timer"],
          sdp(), ctype="application/sdp"),
    "ok", "ok")

add("valid", "ack-with-to-tag", "RFC 3261 17.1.1.3",
    "ACK for a 2xx: CSeq method ACK, no body",
    build(std("ACK", "ack1", to="To: <sip:bob@biloxi.example.com>;tag=ack1-t", contact=None)),
    "ok", "ok")

# --- RFC 5118 variants (valid) ---------------------------------------------------------------

add("valid", "ipv6-everywhere", "RFC5118 4.1",
    "IPv6 references in Request-URI (with port), To, From, Contact, Via (port, received, maddr), Route, Call-ID",
    build(["INVITE sip:bob@[2001:db8::4]:5060 SIP/2.0",
           "Via: SIP/2.0/UDP [2001:db8::33]:5070;branch=z9hG4bKv6a;rport;received=2001:db8::33;maddr=[ff05::1:3]",
           "Max-Forwards: 70",
           "Route: <sip:[2001:db8:0:0:0:0:0:99];lr>",
           "To: <sip:bob@[2001:db8::4]>",
           "From: \"Alice\" <sip:alice@[2001:DB8::33]>;tag=v6a-f",
           "Call-ID: v6a@[2001:db8::33]",
           "CSeq: 1 INVITE",
           "Contact: <sip:alice@[2001:db8::33]:5070;transport=udp>"],
          sdp("2001:db8::33", "IP6"), ctype="application/sdp"),
    "ok", "ok")

add("valid", "ipv6-port-inside-brackets", "RFC5118 4.3",
    "sip:[2001:db8::4:5060] - the :5060 is part of the address (no port); legal, if probably unintended",
    build(["OPTIONS sip:[2001:db8::4:5060] SIP/2.0",
           "Via: SIP/2.0/UDP [2001:db8::33];branch=z9hG4bKv6b",
           "Max-Forwards: 70",
           "To: <sip:[2001:db8::4:5060]>",
           "From: <sip:alice@[2001:db8::33]>;tag=v6b-f",
           "Call-ID: v6b@pc33.atlanta.example.com",
           "CSeq: 1 OPTIONS"]),
    "ok", "ok")

add("valid", "ipv6-port-outside-brackets", "RFC5118 4.4",
    "sips:[2001:db8::4]:5061 - port after the closing bracket",
    build(["OPTIONS sips:bob@[2001:db8::4]:5061 SIP/2.0",
           "Via: SIP/2.0/TLS [2001:db8::33]:5061;branch=z9hG4bKv6c",
           "Max-Forwards: 70",
           "To: <sips:bob@[2001:db8::4]:5061>",
           "From: <sips:alice@[2001:db8::33]>;tag=v6c-f",
           "Call-ID: v6c@pc33.atlanta.example.com",
           "CSeq: 1 OPTIONS"]),
    "ok", "ok")

add("valid", "ipv6-received-bracketed", "RFC5118 4.5",
    "Via received=[2001:db8::9] (bracketed, as senders write it) followed by rport=5071 and branch",
    build(["BYE sip:bob@[2001:db8::4] SIP/2.0",
           "Via: SIP/2.0/UDP [2001:db8::33];received=[2001:db8::9];rport=5071;branch=z9hG4bKv6d",
           "Max-Forwards: 70",
           "To: <sip:bob@[2001:db8::4]>;tag=v6d-t",
           "From: <sip:alice@[2001:db8::33]>;tag=v6d-f",
           "Call-ID: v6d@pc33.atlanta.example.com",
           "CSeq: 2 BYE"]),
    "ok", "ok")

add("valid", "ipv6-received-bare", "RFC5118 4.5",
    "Via received=2001:db8::9 (bare, RFC 3261 grammar) followed by branch",
    build(["OPTIONS sip:[2001:db8::4] SIP/2.0",
           "Via: SIP/2.0/UDP [2001:db8::33]:5060;received=2001:db8::9;branch=z9hG4bKv6e",
           "Max-Forwards: 70",
           "To: <sip:bob@[2001:db8::4]>",
           "From: <sip:alice@[2001:db8::33]>;tag=v6e-f",
           "Call-ID: v6e@pc33.atlanta.example.com",
           "CSeq: 1 OPTIONS"]),
    "ok", "ok")

add("valid", "ipv6-in-sdp", "RFC5118 4.6",
    "INVITE whose SDP uses IP6 addresses without brackets (o= and c=)",
    build(["INVITE sip:bob@[2001:db8::4] SIP/2.0",
           "Via: SIP/2.0/UDP [2001:db8::33];branch=z9hG4bKv6f",
           "Max-Forwards: 70",
           "To: <sip:bob@[2001:db8::4]>",
           "From: <sip:alice@[2001:db8::33]>;tag=v6f-f",
           "Call-ID: v6f@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Contact: <sip:alice@[2001:db8::33]>"],
          sdp("2001:db8::33", "IP6"), ctype="application/sdp"),
    "ok", "ok")

add("valid", "ipv6-mixed-headers", "RFC5118 4.7",
    "Via, Route and Record-Route mixing IPv6 (with ports) and IPv4 hops; IPv4 received on an IPv6 Via",
    build(["BYE sip:bob@192.0.2.4 SIP/2.0",
           "Via: SIP/2.0/UDP [2001:db8::1:2]:6050;branch=z9hG4bKv6g2",
           "Via: SIP/2.0/UDP 192.0.2.77;branch=z9hG4bKv6g1, SIP/2.0/TCP [2001:db8::33];branch=z9hG4bKv6g0;received=198.51.100.33",
           "Max-Forwards: 68",
           "Route: <sip:[2001:db8::1:2]:6050;lr>, <sip:192.0.2.77;lr>",
           "Record-Route: <sip:[2001:db8::1:2];lr>",
           "To: <sip:bob@biloxi.example.com>;tag=v6g-t",
           "From: <sip:alice@atlanta.example.com>;tag=v6g-f",
           "Call-ID: v6g@pc33.atlanta.example.com",
           "CSeq: 3 BYE"]),
    "ok", "ok")

add("valid", "ipv6-mixed-sdp", "RFC5118 4.8",
    "SDP with no session c= and one media stream on IPv4, another on IPv6",
    build(std("INVITE", "v6h"),
          text("v=0", "o=alice 1 1 IN IP4 pc33.atlanta.example.com", "s=-", "t=0 0",
               "m=audio 49170 RTP/AVP 0", "c=IN IP4 192.0.2.101",
               "m=video 51372 RTP/AVP 31", "c=IN IP6 2001:db8::33"),
          ctype="application/sdp"),
    "ok", "ok")

add("valid", "ipv4-mapped-ipv6", "RFC5118 4.9",
    "IPv4-mapped IPv6 addresses ([::ffff:198.51.100.23]) in Request-URI, Via, Contact and SDP",
    build(["INVITE sip:bob@[::ffff:198.51.100.4] SIP/2.0",
           "Via: SIP/2.0/UDP [::ffff:198.51.100.23]:5080;branch=z9hG4bKv6i",
           "Max-Forwards: 70",
           "To: <sip:bob@[::FFFF:198.51.100.4]>",
           "From: <sip:alice@atlanta.example.com>;tag=v6i-f",
           "Call-ID: v6i@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Contact: <sip:alice@[::ffff:198.51.100.23]:5080>"],
          sdp("::ffff:198.51.100.23", "IP6"), ctype="application/sdp"),
    "ok", "ok")

add("valid", "ipv6-three-colons", "RFC5118 4.10",
    "[2001:db8:::198.51.100.9] (three colons): derivable from RFC 3261's IPv6 ABNF; tolerated",
    build(["OPTIONS sip:bob@[2001:db8:::198.51.100.9] SIP/2.0",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKv6j",
           "Max-Forwards: 70",
           "To: <sip:bob@[2001:db8:::198.51.100.9]>",
           "From: <sip:alice@atlanta.example.com>;tag=v6j-f",
           "Call-ID: v6j@pc33.atlanta.example.com",
           "CSeq: 1 OPTIONS"]),
    "ok", "ok")

add("valid", "ipv6-two-colons", "RFC5118 4.10",
    "[2001:db8::198.51.100.9] (the correct two-colon form) in Request-URI, To and Contact",
    build(["OPTIONS sip:bob@[2001:db8::198.51.100.9] SIP/2.0",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKv6k",
           "Max-Forwards: 70",
           "To: <sip:bob@[2001:db8::198.51.100.9]>",
           "From: <sip:alice@atlanta.example.com>;tag=v6k-f",
           "Call-ID: v6k@pc33.atlanta.example.com",
           "CSeq: 1 OPTIONS",
           "Contact: <sip:alice@[2001:db8::198.51.100.33]>"]),
    "ok", "ok")

# ---------------------------------------------------------------------------------------------
# semantic/: syntactically valid (plain ok) but refused (or dropped) by a UAS
# ---------------------------------------------------------------------------------------------

add("semantic", "unknown-method", "RFC4475 3.1.1.2",
    "Extension method PING, unknown to the UAS: 501",
    build(std("PING", "um1", contact=None)),
    "ok", "respond 501")

add("semantic", "method-token-chars", "RFC4475 3.1.1.2",
    "Method made of every token mark (-.!%*_+`'~) and digits, with a matching CSeq: 501",
    build(std("x-Ext.9!%*_+`'~", "um2", contact=None,
              callid="Call-ID: um2.!%*_+`'~()<>:\\\"/[]?{}@pc33.atlanta.example.com")),
    "ok", "respond 501")

add("semantic", "method-lowercase", "RFC 3261 7.1",
    "Method 'invite' in lower case: methods are case-sensitive, so this is an unknown method: 501",
    build(std("invite", "um3"), sdp(), ctype="application/sdp"),
    "ok", "respond 501")

add("semantic", "method-escaped", "RFC4475 3.1.1.5",
    "Method OPTION%53 (% is a token character, not an escape in a method): unknown method 501",
    build(std("OPTION%53", "um4", contact=None) + ["Cont%61ct: <sip:alice@pc33.atlanta.example.com>"]),
    "ok", "respond 501")

add("semantic", "missing-cseq", "RFC4475 3.3.1",
    "INVITE without CSeq: 400",
    build(std("INVITE", "ms1", cseq=None), sdp(), ctype="application/sdp"),
    "ok", "respond 400")

add("semantic", "missing-from", "RFC4475 3.3.1",
    "OPTIONS without From: 400",
    build(std("OPTIONS", "ms2", frm=None)),
    "ok", "respond 400")

add("semantic", "missing-to", "RFC4475 3.3.1",
    "MESSAGE without To: 400",
    build(std("MESSAGE", "ms3", to=None, contact=None), b"hi", ctype="text/plain"),
    "ok", "respond 400")

add("semantic", "missing-call-id", "RFC4475 3.3.1",
    "BYE without Call-ID: 400",
    build(std("BYE", "ms4", callid=None, to="To: <sip:bob@biloxi.example.com>;tag=ms4-t")),
    "ok", "respond 400")

add("semantic", "missing-via", "RFC4475 3.3.1 (decided)",
    "OPTIONS without any Via: syntactically fine; a UAS has nowhere to answer, so it drops it (invalid)",
    build(std("OPTIONS", "ms5", via=None)),
    "ok", "invalid")

add("semantic", "dup-call-id-compact", "RFC4475 3.3.8",
    "Two Call-IDs, one written i: - one Call-ID field too many: 400",
    build(std("OPTIONS", "dup1") + ["i: other-dup1@pc33.atlanta.example.com"]),
    "ok", "respond 400")

add("semantic", "dup-to-compact", "RFC4475 3.3.8",
    "Two To fields (To and t:): 400",
    build(std("OPTIONS", "dup2") + ["t: <sip:carol@chicago.example.com>"]),
    "ok", "respond 400")

add("semantic", "dup-cseq", "RFC4475 3.3.8",
    "Two CSeq fields with different numbers: 400",
    build(std("OPTIONS", "dup3") + ["CSeq: 2 OPTIONS"]),
    "ok", "respond 400")

add("semantic", "dup-from", "RFC4475 3.3.8",
    "Two From fields with different tags: 400",
    build(std("OPTIONS", "dup4") + ["f: <sip:alice@atlanta.example.com>;tag=other"]),
    "ok", "respond 400")

add("semantic", "cl-conflict", "RFC4475 3.3.9",
    "Content-Length 4 and l: 6 disagree: framing is unknowable, plain ok (syntax fine), UAS 400",
    build(std("MESSAGE", "mcl1", contact=None) + ["Content-Type: text/plain", "Content-Length: 4", "l: 6"],
          b"pingpong", cl=None),
    "ok", "respond 400")

add("semantic", "branch-cookie-only", "RFC4475 3.2.1",
    "Top Via branch is exactly the magic cookie z9hG4bK (compact v:): no transaction id, 400",
    build(["INVITE sip:bob@biloxi.example.com SIP/2.0",
           "v: SIP/2.0/TCP pc33.atlanta.example.com;branch=z9hG4bK",
           "Max-Forwards: 70",
           "To: <sip:bob@biloxi.example.com>",
           "From: <sip:alice@atlanta.example.com>;tag=bc2-f",
           "Call-ID: bc2@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Contact: <sip:alice@pc33.atlanta.example.com;transport=tcp>"],
          sdp(), ctype="application/sdp"),
    "ok", "respond 400")

add("semantic", "ruri-mailto", "RFC4475 3.3.2",
    "Request-URI with a scheme the UAS does not serve (mailto:): 416",
    build(std("OPTIONS", "sch1", contact=None, start="OPTIONS mailto:bob@biloxi.example.com SIP/2.0")),
    "ok", "respond 416")

add("semantic", "ruri-urn", "RFC4475 3.3.3",
    "Request-URI urn:service:sos (registered scheme, not served here): 416",
    build(std("INVITE", "sch2", start="INVITE urn:service:sos SIP/2.0"), sdp(), ctype="application/sdp"),
    "ok", "respond 416")

add("semantic", "register-to-tel", "RFC4475 3.3.4",
    "REGISTER whose To (the address-of-record) is a tel: URI: registrar answers 400",
    build(["REGISTER sip:biloxi.example.com SIP/2.0",
           "Via: SIP/2.0/UDP bobspc.biloxi.example.com;branch=z9hG4bKsch3",
           "Max-Forwards: 70",
           "To: <tel:+12015550123>",
           "From: <tel:+12015550123>;tag=sch3-f",
           "Call-ID: sch3@bobspc.biloxi.example.com",
           "CSeq: 1 REGISTER",
           "Contact: <sip:bob@192.0.2.4>"]),
    "ok", "respond 400")

add("semantic", "require-unknown", "RFC4475 3.3.5",
    "INVITE with Require: 100rel, x-frobnicate (one tag unsupported): 420",
    build(std("INVITE", "bx1") + ["Require: 100rel, x-frobnicate"], sdp(), ctype="application/sdp"),
    "ok", "respond 420")

add("semantic", "require-unknown-folded", "RFC4475 3.3.5",
    "Require as two fields, the unknown tag in the second, folded: 420",
    build(std("OPTIONS", "bx2") + ["Require: timer", "Require:", "  com.example.nothing"]),
    "ok", "respond 420")

add("semantic", "unknown-content-type", "RFC4475 3.3.6",
    "MESSAGE with body application/x-frob: 415",
    build(std("MESSAGE", "ut1", contact=None), b"<frob/>", ctype="application/x-frob"),
    "ok", "respond 415")

add("semantic", "publish-pidf", "RFC4475 3.3.6",
    "PUBLISH with application/pidf+xml, a type this UAS does not accept: 415",
    build(std("PUBLISH", "ut2", contact=None) + ["Event: presence", "Expires: 3600"],
          text("<?xml version=\"1.0\"?>", "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:alice@atlanta.example.com\"/>"),
          ctype="application/pidf+xml"),
    "ok", "respond 415")

MP_SIGNED = (b"--sig42\r\nContent-Type: text/plain\r\n\r\nsigned text\r\n"
             b"--sig42\r\nContent-Type: application/pkcs7-signature\r\n\r\n\x30\x82\x00\x00\r\n"
             b"--sig42--\r\n")
add("semantic", "multipart-signed", "RFC4475 3.3.6",
    "MESSAGE with multipart/signed (not among the accepted types): 415",
    build(std("MESSAGE", "ut3", contact=None), MP_SIGNED,
          ctype="multipart/signed;protocol=\"application/pkcs7-signature\";micalg=sha-256;boundary=sig42"),
    "ok", "respond 415")

add("semantic", "accept-without-sdp", "RFC4475 3.3.15",
    "INVITE offering SDP whose Accept lists only application/pkcs7-mime and text/html: 406",
    build(std("INVITE", "acc2") + ["Accept: application/pkcs7-mime, text/html"],
          sdp(), ctype="application/sdp"),
    "ok", "respond 406")

add("semantic", "accept-empty", "RFC4475 3.3.15 (RFC 3261 20.1)",
    "INVITE with SDP and an empty Accept: 'no formats are acceptable' (RFC 3261 20.1): 406",
    build(std("INVITE", "acc3") + ["Accept:"], sdp(), ctype="application/sdp"),
    "ok", "respond 406")

# ---------------------------------------------------------------------------------------------
# invalid/: syntax or framing errors (plain invalid); uas: respond 400/505/501/513 or invalid
# ---------------------------------------------------------------------------------------------

add("invalid", "empty-separators-route", "RFC4475 3.1.2.1",
    "Route list with an empty element (,,): 400",
    build(std("INVITE", "sep1") + ["Route: <sip:p1.example.com;lr>,,<sip:p2.example.com;lr>"],
          sdp(), ctype="application/sdp"),
    "invalid", "respond 400")

add("invalid", "empty-separators-supported", "RFC4475 3.1.2.1",
    "Supported: 100rel,,timer (empty list element): 400",
    build(std("OPTIONS", "sep2") + ["Supported: 100rel,,timer"]),
    "invalid", "respond 400")

add("invalid", "empty-param-contact", "RFC4475 3.1.2.1",
    "Contact with an empty parameter (;;): 400",
    build(std("INVITE", "sep3", contact="Contact: <sip:alice@pc33.atlanta.example.com>;;expires=60"),
          sdp(), ctype="application/sdp"),
    "invalid", "respond 400")

add("invalid", "cl-beyond-datagram", "RFC4475 3.1.2.2",
    "Content-Length one octet larger than the body: framing fails, UAS drops it",
    build(std("INVITE", "clx1") + ["Content-Type: application/sdp", "Content-Length: %d" % (len(sdp()) + 1)],
          sdp(), cl=None),
    "invalid", "invalid")

add("invalid", "cl-negative", "RFC4475 3.1.2.3",
    "l: -1: framing fails",
    build(std("MESSAGE", "clx2", contact=None) + ["Content-Type: text/plain", "l: -1"], b"x", cl=None),
    "invalid", "invalid")

add("invalid", "cl-huge", "RFC4475 3.1.2.3",
    "Content-Length 18446744073709551617 (> 2^64, must not wrap): framing fails",
    build(std("MESSAGE", "clx3", contact=None) + ["Content-Type: text/plain", "Content-Length: 18446744073709551617"],
          b"x", cl=None),
    "invalid", "invalid")

add("invalid", "cl-trailing-garbage", "RFC4475 3.1.2.3",
    "Content-Length: 12abc: framing fails",
    build(std("MESSAGE", "clx4", contact=None) + ["Content-Type: text/plain", "Content-Length: 12abc"],
          b"Hello world!", cl=None),
    "invalid", "invalid")

add("invalid", "cl-empty", "RFC4475 3.1.2.3",
    "Content-Length with no value: framing fails",
    build(std("OPTIONS", "clx5") + ["Content-Length:"], cl=None),
    "invalid", "invalid")

add("invalid", "cl-plus-sign", "RFC4475 3.1.2.3",
    "Content-Length: +3 (sign not allowed): framing fails",
    build(std("MESSAGE", "clx6", contact=None) + ["Content-Type: text/plain", "Content-Length: +3"],
          b"abc", cl=None),
    "invalid", "invalid")

add("invalid", "cseq-over-32bit", "RFC4475 3.1.2.4",
    "CSeq 4294967296 (2^32): 400",
    build(std("OPTIONS", "sc1", cseq=4294967296)),
    "invalid", "respond 400")

add("invalid", "max-forwards-256", "RFC4475 3.1.2.4",
    "Max-Forwards 256: 400",
    build(std("OPTIONS", "sc2", mf="Max-Forwards: 256")),
    "invalid", "respond 400")

add("invalid", "max-forwards-negative", "RFC4475 3.1.2.4",
    "Max-Forwards -1: 400",
    build(std("OPTIONS", "sc3", mf="Max-Forwards: -1")),
    "invalid", "respond 400")

add("invalid", "resp-cseq-overflow", "RFC4475 3.1.2.5",
    "200 OK with CSeq 99999999999: response dropped",
    build(["SIP/2.0 200 OK",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKsc4",
           "To: <sip:bob@biloxi.example.com>;tag=sc4-t",
           "From: <sip:alice@atlanta.example.com>;tag=sc4-f",
           "Call-ID: sc4@pc33.atlanta.example.com",
           "CSeq: 99999999999 OPTIONS"]),
    "invalid", "invalid")

add("invalid", "resp-warning-4-digits", "RFC4475 3.1.2.5",
    "488 with Warning code 3990 (warn-code is exactly 3 digits)",
    build(["SIP/2.0 488 Not Acceptable Here",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKsc5",
           "To: <sip:bob@biloxi.example.com>;tag=sc5-t",
           "From: <sip:alice@atlanta.example.com>;tag=sc5-f",
           "Call-ID: sc5@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Warning: 3990 biloxi.example.com \"too many digits\""]),
    "invalid", "invalid")

add("invalid", "req-warning-2-digits", "RFC4475 3.1.2.5",
    "Request with Warning code 39: 400",
    build(std("OPTIONS", "sc6") + ["Warning: 39 atlanta.example.com \"too few digits\""]),
    "invalid", "respond 400")

add("invalid", "resp-retry-after-word", "RFC4475 3.1.2.5",
    "503 with Retry-After: later (delta-seconds required)",
    build(["SIP/2.0 503 Service Unavailable",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKsc7",
           "To: <sip:bob@biloxi.example.com>;tag=sc7-t",
           "From: <sip:alice@atlanta.example.com>;tag=sc7-f",
           "Call-ID: sc7@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Retry-After: later"]),
    "invalid", "invalid")

add("invalid", "resp-rseq-word", "RFC4475 3.1.2.5",
    "183 with RSeq: one (1*DIGIT required)",
    build(["SIP/2.0 183 Session Progress",
           "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKsc8",
           "To: <sip:bob@biloxi.example.com>;tag=sc8-t",
           "From: <sip:alice@atlanta.example.com>;tag=sc8-f",
           "Call-ID: sc8@pc33.atlanta.example.com",
           "CSeq: 1 INVITE",
           "Require: 100rel",
           "RSeq: one"]),
    "invalid", "invalid")

add("invalid", "unclosed-quote-from", "RFC4475 3.1.2.6",
    "From display name opens a quote that never closes: 400",
    build(std("INVITE", "qb1", frm="From: \"Alice <sip:alice@atlanta.example.com>;tag=qb1-f"),
          sdp(), ctype="application/sdp"),
    "invalid", "respond 400")

add("invalid", "unclosed-quote-backslash", "RFC4475 3.1.2.6",
    "To display name \"Bob\\\" - the closing quote is escaped, so the string never ends: 400",
    build(std("OPTIONS", "qb2", to="To: \"Bob\\\" <sip:bob@biloxi.example.com>")),
    "invalid", "respond 400")

add("invalid", "ruri-angle-brackets", "RFC4475 3.1.2.7",
    "Request-URI <sips:bob@biloxi.example.com> in angle brackets: 400",
    build(std("OPTIONS", "ab1", start="OPTIONS <sips:bob@biloxi.example.com> SIP/2.0")),
    "invalid", "respond 400")

add("invalid", "ruri-embedded-space", "RFC4475 3.1.2.8",
    "Request-URI with a SP inside the user part: 400",
    build(std("INVITE", "lw1", start="INVITE sip:bob @biloxi.example.com SIP/2.0"), sdp(), ctype="application/sdp"),
    "invalid", "respond 400")

add("invalid", "ruri-embedded-tab", "RFC4475 3.1.2.8",
    "Request-URI with an HTAB before a URI param: 400",
    build(std("OPTIONS", "lw2", start="OPTIONS sip:bob@biloxi.example.com;\tlr SIP/2.0")),
    "invalid", "respond 400")

add("invalid", "reqline-double-sp", "RFC4475 3.1.2.9",
    "Two SPs between Request-URI and SIP-Version: 400",
    build(std("OPTIONS", "lw3", start="OPTIONS sip:bob@biloxi.example.com  SIP/2.0")),
    "invalid", "respond 400")

add("invalid", "reqline-trailing-sp", "RFC4475 3.1.2.10",
    "One SP after SIP/2.0 on the request line: 400",
    build(std("OPTIONS", "lw4", start="OPTIONS sip:bob@biloxi.example.com SIP/2.0 ")),
    "invalid", "respond 400")

add("invalid", "ruri-escaped-headers", "RFC4475 3.1.2.11",
    "Request-URI with ?Subject=hi&Priority=urgent: headers are not allowed there, 400",
    build(std("OPTIONS", "eh1", start="OPTIONS sip:bob@biloxi.example.com?Subject=hi&Priority=urgent SIP/2.0")),
    "invalid", "respond 400")

add("invalid", "date-utc", "RFC4475 3.1.2.12",
    "Date in UTC instead of the literal GMT: 400",
    build(std("OPTIONS", "dt1") + ["Date: Sat, 13 Nov 2010 23:29:00 UTC"]),
    "invalid", "respond 400")

add("invalid", "date-no-weekday", "RFC4475 3.1.2.12",
    "Date without the weekday (rfc1123-date requires wkday \",\"): 400",
    build(std("OPTIONS", "dt2") + ["Date: 13 Nov 2010 23:29:00 GMT"]),
    "invalid", "respond 400")

add("invalid", "to-addr-spec-with-headers", "RFC4475 3.1.2.13",
    "To addr-spec without <> holding ?headers (must be a name-addr): 400",
    build(std("OPTIONS", "ct1", to="To: sip:bob@biloxi.example.com?Priority=urgent")),
    "invalid", "respond 400")

add("invalid", "addr-spec-sws-after-laquot", "RFC4475 3.1.2.14",
    "From < sip:...> - blank after < (LAQUOT allows SWS only before <): 400",
    build(std("OPTIONS", "as1", frm="From: < sip:alice@atlanta.example.com>;tag=as1-f")),
    "invalid", "respond 400")

add("invalid", "addr-spec-sws-before-raquot", "RFC4475 3.1.2.14",
    "To <sip:...  > - blanks before > (RAQUOT = \">\" SWS allows them only after): 400",
    build(std("OPTIONS", "raq1", to="To: \"Bob\"   <sip:bob@biloxi.example.com  >")),
    "invalid", "respond 400")

add("invalid", "addr-spec-space-inside", "RFC4475 3.1.2.14",
    "To <sip:bob@ biloxi.example.com> - SP inside the URI: 400",
    build(std("OPTIONS", "as2", to="To: <sip:bob@ biloxi.example.com>")),
    "invalid", "respond 400")

add("invalid", "display-name-comma", "RFC4475 3.1.2.15",
    "Unquoted display name with a comma (Smith, Alice): 400",
    build(std("OPTIONS", "dn2", frm="From: Smith, Alice <sip:alice@atlanta.example.com>;tag=dn2-f")),
    "invalid", "respond 400")

add("invalid", "display-name-at", "RFC4475 3.1.2.15",
    "Unquoted display name with @ (bob@home <sip:...>): 400",
    build(std("OPTIONS", "dn3", to="To: bob@home <sip:bob@biloxi.example.com>")),
    "invalid", "respond 400")

add("invalid", "version-3-0", "RFC4475 3.1.2.16",
    "Request line SIP/3.0 (Via still SIP/2.0): 505",
    build(std("OPTIONS", "ver1", start="OPTIONS sip:bob@biloxi.example.com SIP/3.0")),
    "invalid", "respond 505")

add("invalid", "version-2-1", "RFC4475 3.1.2.16",
    "Request line SIP/2.1: 505",
    build(std("INVITE", "ver2", start="INVITE sip:bob@biloxi.example.com SIP/2.1"), sdp(), ctype="application/sdp"),
    "invalid", "respond 505")

add("invalid", "version-no-dot", "RFC4475 3.1.2.16",
    "Request line ends in SIP/20 (not SIP/x.y): no recognizable request line, dropped",
    build(std("OPTIONS", "ver3", start="OPTIONS sip:bob@biloxi.example.com SIP/20")),
    "invalid", "invalid")

add("invalid", "http-request", "RFC 3261 7.1",
    "An HTTP request on the SIP port: no recognizable request line, dropped",
    build(["GET / HTTP/1.1", "Host: biloxi.example.com", "Via: SIP/2.0/UDP x.example.com;branch=z9hG4bKhttp"],
          cl=None),
    "invalid", "invalid")

add("invalid", "cseq-method-mismatch", "RFC4475 3.1.2.17",
    "INVITE whose CSeq method is BYE: 400",
    build(std("BYE", "mm1", start="INVITE sip:bob@biloxi.example.com SIP/2.0"), sdp(), ctype="application/sdp"),
    "invalid", "respond 400")

add("invalid", "cseq-method-case", "RFC4475 3.1.2.17",
    "INVITE whose CSeq says 'invite' (methods are case-sensitive): 400",
    build(std("invite", "mm2", start="INVITE sip:bob@biloxi.example.com SIP/2.0"), sdp(), ctype="application/sdp"),
    "invalid", "respond 400")

add("invalid", "cseq-no-method", "RFC 3261 20.16",
    "CSeq: 12 without a method: 400",
    build(std("OPTIONS", "mm3", cseq="CSeq: 12")),
    "invalid", "respond 400")

add("invalid", "unknown-method-mismatch", "RFC4475 3.1.2.18",
    "Unknown method FROB with CSeq method OPTIONS: 501 comes before the CSeq check",
    build(std("OPTIONS", "mm4", start="FROB sip:bob@biloxi.example.com SIP/2.0")),
    "invalid", "respond 501")


def resp(code_line, tag):
    return build([code_line,
                  f"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK{tag}",
                  f"To: <sip:bob@biloxi.example.com>;tag={tag}-t",
                  f"From: <sip:alice@atlanta.example.com>;tag={tag}-f",
                  f"Call-ID: {tag}@pc33.atlanta.example.com",
                  "CSeq: 1 INVITE"])


add("invalid", "status-099", "RFC4475 3.1.2.19", "Status code 099 (below 100)",
    resp("SIP/2.0 099 Too Early", "st1"), "invalid", "invalid")
add("invalid", "status-700", "RFC4475 3.1.2.19", "Status code 700 (above 699)",
    resp("SIP/2.0 700 Beyond", "st2"), "invalid", "invalid")
add("invalid", "status-1000", "RFC4475 3.1.2.19", "Status code 1000 (four digits)",
    resp("SIP/2.0 1000 Way Beyond", "st3"), "invalid", "invalid")
add("invalid", "status-letters", "RFC4475 3.1.2.19", "Status code 2OO written with capital O letters",
    resp("SIP/2.0 2OO OK", "st4"), "invalid", "invalid")
add("invalid", "status-no-sp", "RFC4475 3.1.1.13 (contrast, decided)",
    "Status line '180' with no SP after the code (the SP before an empty reason is mandatory)",
    resp("SIP/2.0 180", "st5"), "invalid", "invalid")
add("invalid", "status-version-1-0", "RFC4475 3.1.2.16", "Response with version SIP/1.0",
    resp("SIP/1.0 200 OK", "st6"), "invalid", "invalid")

add("invalid", "header-no-colon", "RFC 3261 7.3",
    "A header line without a colon: header framing fails, dropped",
    build(std("OPTIONS", "hf1") + ["Subject hello there"]),
    "invalid", "invalid")

add("invalid", "header-empty-name", "RFC 3261 7.3",
    "A header line ': value' with an empty name: header framing fails, dropped",
    build(std("OPTIONS", "hf2") + [": orphan value"]),
    "invalid", "invalid")

add("invalid", "header-name-not-token", "RFC 3261 7.3",
    "Header name X-Bad(Name) with non-token characters: header framing fails, dropped",
    build(std("OPTIONS", "hf3") + ["X-Bad(Name): 1"]),
    "invalid", "invalid")

add("invalid", "fold-after-start-line", "RFC 3261 7.3.1",
    "First header line starts with HTAB (a continuation with nothing to continue): dropped",
    build(std("OPTIONS", "hf4")[:1] + ["\tX-Orphan: folded"] + std("OPTIONS", "hf4")[1:]),
    "invalid", "invalid")

add("invalid", "bare-lf-message", "RFC 3261 7",
    "Whole message with bare LF line ends: no CRLF CRLF ends the header section, dropped",
    build(std("OPTIONS", "le1", start="OPTIONS sip:bob@biloxi.example.com SIP/2.0"), eol=b"\n"),
    "invalid", "invalid")

add("invalid", "bare-lf-one-line", "RFC 3261 7",
    "One header line ended by a bare LF inside an otherwise CRLF message: lines not delimited, dropped",
    build(std("OPTIONS", "le2", start="OPTIONS sip:bob@biloxi.example.com SIP/2.0") +
          [b"Subject: one\nX-Two: two"]),
    "invalid", "invalid")

add("invalid", "bare-cr-in-value", "RFC 3261 7",
    "A bare CR (no LF) inside a Subject value: lines not delimited, dropped",
    build(std("OPTIONS", "le3", start="OPTIONS sip:bob@biloxi.example.com SIP/2.0") +
          [b"Subject: one\rtwo"]),
    "invalid", "invalid")

add("invalid", "no-blank-line", "RFC4475 3.1.2.15 (framing)",
    "Datagram ends after the last header's CRLF: header section never terminated, dropped",
    build(std("OPTIONS", "nb1"), blank=False),
    "invalid", "invalid")

add("invalid", "empty-datagram", "RFC 3261 7",
    "Zero octets",
    b"", "invalid", "invalid")

# start line + 6 usual fields (no Contact) + 293 fillers + Content-Length = 300 fields
FILL300 = ["X-Fill-%03d: %d" % (i, i) for i in range(1, 300 - 6 - 1 + 1)]
add("invalid", "headers-300", "RFC4475 3.1.1.7 (limit)",
    "300 header fields (limit 256): dropped",
    build(std("OPTIONS", "h300", contact=None) + FILL300),
    "invalid", "invalid")

add("invalid", "line-20k", "RFC4475 3.1.1.7 (limit)",
    "One header line of 20480 octets (limit 16 KiB): dropped",
    build(std("OPTIONS", "l20k") + ["X-Long: " + "y" * (20480 - len("X-Long: ") - 2)]),
    "invalid", "invalid")

add("invalid", "size-70000", "RFC4475 3.1.1.7 (limit)",
    "A well-framed 70000-octet MESSAGE (> 64 KiB): plain invalid (too large); a UAS that can read it answers 513",
    sized(70000, "MESSAGE", "size2"),
    "invalid", "respond 513")

add("invalid", "raw-nul-in-quoted", "RFC4475 3.1.1.2 (contrast)",
    "A raw NUL inside a quoted display name (only a quoted-pair may carry NUL): 400",
    build([b"OPTIONS sip:bob@biloxi.example.com SIP/2.0",
           b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnul2",
           b"Max-Forwards: 70",
           b"To: \"Bob\x00Smith\" <sip:bob@biloxi.example.com>",
           b"From: <sip:alice@atlanta.example.com>;tag=nul2-f",
           b"Call-ID: nul2@pc33.atlanta.example.com",
           b"CSeq: 1 OPTIONS"]),
    "invalid", "respond 400")

add("invalid", "bad-utf8-in-quoted", "RFC 3261 25.1 (qdtext)",
    "A lone 0xFF octet in a quoted display name (not UTF8-NONASCII): 400",
    build([b"OPTIONS sip:bob@biloxi.example.com SIP/2.0",
           b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKutf2",
           b"Max-Forwards: 70",
           b"To: <sip:bob@biloxi.example.com>",
           b"From: \"Al\xffce\" <sip:alice@atlanta.example.com>;tag=utf2-f",
           b"Call-ID: utf2@pc33.atlanta.example.com",
           b"CSeq: 1 OPTIONS"]),
    "invalid", "respond 400")

add("invalid", "escape-bad-hex-ruri", "RFC4475 3.1.1.3 (contrast)",
    "Request-URI user with %ZZ (not an escape): 400",
    build(std("OPTIONS", "be1", start="OPTIONS sip:bo%ZZb@biloxi.example.com SIP/2.0")),
    "invalid", "respond 400")

add("invalid", "escape-truncated-to", "RFC4475 3.1.1.3 (contrast)",
    "To URI user ending in a truncated escape %4: 400",
    build(std("OPTIONS", "be2", to="To: <sip:bob%4@biloxi.example.com>")),
    "invalid", "respond 400")

add("invalid", "escape-in-host", "RFC4475 3.1.1.3 (contrast)",
    "Escape in the host part of the Request-URI (host allows no escapes): 400",
    build(std("OPTIONS", "be3", start="OPTIONS sip:bob@bil%6Fxi.example.com SIP/2.0")),
    "invalid", "respond 400")

add("invalid", "port-out-of-range-ruri", "RFC 3261 19.1.1 (decided)",
    "Request-URI port 70000 (> 65535): decided a syntax error, 400",
    build(std("OPTIONS", "po1", start="OPTIONS sip:bob@biloxi.example.com:70000 SIP/2.0")),
    "invalid", "respond 400")

add("invalid", "port-out-of-range-contact", "RFC 3261 19.1.1 (decided)",
    "Contact port 65536: decided a syntax error, 400",
    build(std("INVITE", "po2", contact="Contact: <sip:alice@pc33.atlanta.example.com:65536>"),
          sdp(), ctype="application/sdp"),
    "invalid", "respond 400")

add("invalid", "route-addr-spec", "RFC 3261 20.34",
    "Route value without <> (route-param is name-addr only): 400",
    build(std("OPTIONS", "ro1") + ["Route: sip:p1.example.com;lr"]),
    "invalid", "respond 400")

add("invalid", "require-empty", "RFC 3261 20.32",
    "Require with no option tag (1 tag required, unlike Supported): 400",
    build(std("OPTIONS", "rq1") + ["Require:"]),
    "invalid", "respond 400")

add("invalid", "content-type-no-subtype", "RFC 3261 20.15",
    "c: text (no /subtype): 400",
    build(std("MESSAGE", "ctn1", contact=None) + ["c: text"], b"hello"),
    "invalid", "respond 400")

add("invalid", "call-id-space", "RFC 3261 20.8",
    "Call-ID with a SP inside (callid = word [\"@\" word]): 400",
    build(std("OPTIONS", "ci1", callid="Call-ID: abc def@pc33.atlanta.example.com")),
    "invalid", "respond 400")

add("invalid", "call-id-empty", "RFC 3261 20.8",
    "i: with no value: 400",
    build(std("OPTIONS", "ci2", callid="i:")),
    "invalid", "respond 400")

add("invalid", "expires-word", "RFC 3261 20.19",
    "Expires: never (delta-seconds required): 400",
    build(std("OPTIONS", "ex1") + ["Expires: never"]),
    "invalid", "respond 400")

add("invalid", "session-expires-word", "RFC 4028 4",
    "x: soon (Session-Expires needs delta-seconds): 400",
    build(std("INVITE", "se1") + ["Supported: timer", "x: soon"], sdp(), ctype="application/sdp"),
    "invalid", "respond 400")

add("invalid", "rack-no-method", "RFC 3262 7.2",
    "PRACK with RAck: 776656 1 (method missing): 400",
    build(std("PRACK", "rk1", cseq=2, to="To: <sip:bob@biloxi.example.com>;tag=rk1-t") + ["RAck: 776656 1"]),
    "invalid", "respond 400")

add("invalid", "refer-to-empty", "RFC 3515 2.1",
    "REFER with an empty Refer-To (r:): 400",
    build(std("REFER", "rf1") + ["r:"]),
    "invalid", "respond 400")

add("invalid", "replaces-no-call-id", "RFC 3891 6.1",
    "Replaces with params but no call-id: 400",
    build(std("INVITE", "rp1") + ["Replaces: ;to-tag=a1;from-tag=b2"], sdp(), ctype="application/sdp"),
    "invalid", "respond 400")

add("invalid", "reason-no-protocol", "RFC 3326 2",
    "Reason: ;cause=200 (protocol token missing): 400",
    build(std("BYE", "rn1", to="To: <sip:bob@biloxi.example.com>;tag=rn1-t") + ["Reason: ;cause=200"]),
    "invalid", "respond 400")

add("invalid", "auth-empty-param-value", "RFC 3261 25.1 (credentials)",
    "Authorization: Digest username= (no value at all): 400",
    build(std("REGISTER", "ae1", to="To: <sip:alice@atlanta.example.com>") + ["Authorization: Digest username="]),
    "invalid", "respond 400")

add("invalid", "via-second-no-sent-by", "RFC 3261 20.42",
    "Second Via value has no sent-by: 400 (the top Via is fine, so the UAS can answer)",
    build(std("OPTIONS", "vn1") + ["Via: SIP/2.0/UDP ;branch=z9hG4bKvn0"]),
    "invalid", "respond 400")

add("invalid", "via-top-no-transport", "RFC 3261 20.42",
    "Top Via 'SIP/2.0 host' (no transport): unparseable, nowhere to answer, dropped",
    build(std("OPTIONS", "vn2", via="Via: SIP/2.0 pc33.atlanta.example.com;branch=z9hG4bKvn2")),
    "invalid", "invalid")

# --- RFC 5118 variants (invalid) -------------------------------------------------------------

add("invalid", "ipv6-unbracketed-ruri", "RFC5118 4.2",
    "Request-URI sip:bob@2001:db8::4 (IPv6 without []): 400",
    build(std("OPTIONS", "v6x1", start="OPTIONS sip:bob@2001:db8::4 SIP/2.0")),
    "invalid", "respond 400")

add("invalid", "ipv6-unbracketed-contact", "RFC5118 4.2",
    "Contact <sip:alice@2001:db8::33> (IPv6 without []): 400",
    build(std("INVITE", "v6x2", contact="Contact: <sip:alice@2001:db8::33>"), sdp(), ctype="application/sdp"),
    "invalid", "respond 400")

add("invalid", "ipv6-unbracketed-top-via", "RFC5118 4.2",
    "Top Via sent-by 2001:db8::33 without []: unparseable top Via, dropped",
    build(std("OPTIONS", "v6x3", via="Via: SIP/2.0/UDP 2001:db8::33;branch=z9hG4bKv6x3")),
    "invalid", "invalid")

add("invalid", "ipv6-unbracketed-second-via", "RFC5118 4.2",
    "Second Via sent-by 2001:db8::77:5060 without []: 400",
    build(std("OPTIONS", "v6x4") + ["Via: SIP/2.0/UDP 2001:db8::77:5060;branch=z9hG4bKv6x4b"]),
    "invalid", "respond 400")

add("invalid", "ipv6-unclosed-bracket", "RFC5118 4.2",
    "To <sip:bob@[2001:db8::4> (no ]): 400",
    build(std("OPTIONS", "v6x5", to="To: <sip:bob@[2001:db8::4>")),
    "invalid", "respond 400")

add("invalid", "ipv6-two-double-colons", "RFC5118 4.10 (contrast)",
    "Contact [2001:db8::1::2] (two ::): 400",
    build(std("INVITE", "v6x6", contact="Contact: <sip:alice@[2001:db8::1::2]>"), sdp(), ctype="application/sdp"),
    "invalid", "respond 400")

add("invalid", "ipv6-five-hex-digits", "RFC5118 4.1 (contrast)",
    "Request-URI [2001:db8::12345] (a group of 5 hex digits): 400",
    build(std("OPTIONS", "v6x7", start="OPTIONS sip:[2001:db8::12345] SIP/2.0")),
    "invalid", "respond 400")

add("invalid", "ipv6-bad-hex", "RFC5118 4.1 (contrast)",
    "From [2001:db8::g1] (g is not hex): 400",
    build(std("OPTIONS", "v6x8", frm="From: <sip:alice@[2001:db8::g1]>;tag=v6x8-f")),
    "invalid", "respond 400")

add("invalid", "ipv4-mapped-short", "RFC5118 4.9 (contrast)",
    "Request-URI [::ffff:198.51.100] (mapped IPv4 with three octets): 400",
    build(std("OPTIONS", "v6x9", start="OPTIONS sip:bob@[::ffff:198.51.100] SIP/2.0")),
    "invalid", "respond 400")


# ---------------------------------------------------------------------------------------------

def expand(verdict, data):
    """'ok' -> 'ok request METHOD' / 'ok response CODE' from the start line."""
    if verdict != "ok":
        return verdict
    start = data.split(b"\r\n", 1)[0].decode("utf-8", "replace")
    if start.upper().startswith("SIP/"):
        return "ok response " + start.split(" ")[1]
    return "ok request " + start.split(" ")[0]


def self_check():
    names = set()
    for folder, name, rfc, why, data, plain, uas in MESSAGES:
        assert name not in names, name
        names.add(name)
        assert folder in ("valid", "semantic", "invalid"), name
        assert plain in ("ok", "invalid"), name
        assert uas in ("ok", "invalid") or (uas.startswith("respond ") and uas[8:].isdigit()), name
        want = "valid" if (plain, uas) == ("ok", "ok") else "semantic" if plain == "ok" else "invalid"
        assert folder == want, (name, folder, want)
        is_response = data[:4].upper() == b"SIP/"
        if is_response:
            assert plain == uas, name
        if plain == "ok":
            # framing sanity for messages meant to parse: CRLF CRLF present, Content-Length fits
            i = data.find(b"\r\n\r\n")
            assert i > 0, name
            rest = len(data) - i - 4
            for line in data[:i].split(b"\r\n")[1:]:
                n, _, v = line.partition(b":")
                if n.strip().lower() in (b"content-length", b"l"):
                    assert int(v.strip()) <= rest, name
            assert len(data) <= 65536, name
    return len(MESSAGES)


def render():
    """{relative path: bytes} of every file the script owns."""
    files = {}
    for folder, name, rfc, why, data, plain, uas in MESSAGES:
        files[f"{folder}/{name}.sip"] = data
        files[f"{folder}/{name}.expect"] = (
            f"plain: {expand(plain, data)}\nuas: {expand(uas, data)}\n").encode()
    rows = ["# Tandem's own SIP torture messages",
            "",
            "Generated by `conformance/tools/make_messages.py` (edit the script, not the files; run",
            "`python3 conformance/tools/make_messages.py` to rewrite them, `--check` to verify). Each",
            "`NAME.sip` is one datagram, byte-exact (CRLF unless the case is about line ends); its",
            "`NAME.expect` holds `plain: <verdict>` and `uas: <verdict>` as printed by `sipcheck` and",
            "`sipcheck --uas` (`invalid` stands for any `invalid: REASON`, `respond N` for",
            "`respond N REASON`). `valid/`: ok in both modes; `semantic/`: syntactically valid, refused",
            "or dropped by a UAS; `invalid/`: syntax or framing errors.",
            "",
            "The RFC class names the RFC 4475 / RFC 5118 case (or RFC 3261 rule) each message varies;",
            "\"contrast\" marks a case built to sit just on the other side of that rule, \"decided\" a",
            "verdict that the RFCs leave open and this project fixed.",
            "",
            "| name | folder | RFC class | plain | uas | why |",
            "|---|---|---|---|---|---|"]
    for folder, name, rfc, why, data, plain, uas in MESSAGES:
        cell = why.replace("|", "\\|")
        rows.append(f"| {name} | {folder} | {rfc} | {expand(plain, data)} | {expand(uas, data)} | {cell} |")
    counts = {}
    for folder, *_ in MESSAGES:
        counts[folder] = counts.get(folder, 0) + 1
    rows += ["", "Counts: " + ", ".join(f"{k} {counts[k]}" for k in ("valid", "semantic", "invalid")) +
             f", total {len(MESSAGES)}.", ""]
    files["README.md"] = "\n".join(rows).encode()
    return files


def main():
    n = self_check()
    files = render()
    if "--check" in sys.argv[1:]:
        bad = []
        for rel, data in files.items():
            p = os.path.join(OUT, rel)
            if not os.path.exists(p) or open(p, "rb").read() != data:
                bad.append(rel)
        for folder in ("valid", "semantic", "invalid"):
            d = os.path.join(OUT, folder)
            if os.path.isdir(d):
                for f in os.listdir(d):
                    if f"{folder}/{f}" not in files:
                        bad.append(f"{folder}/{f} (stale)")
        for rel in bad:
            print("differs:", rel)
        return 1 if bad else 0
    for folder in ("valid", "semantic", "invalid"):
        d = os.path.join(OUT, folder)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            if f.endswith((".sip", ".expect")) and f"{folder}/{f}" not in files:
                os.remove(os.path.join(d, f))
    for rel, data in files.items():
        with open(os.path.join(OUT, rel), "wb") as fh:
            fh.write(data)
    print(f"wrote {n} messages to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
