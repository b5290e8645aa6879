#!/usr/bin/env python3
"""make_seeds.py — writes the seed corpora (corpus/<harness>/) and dictionaries (dict/*.dict)
of the fuzz harnesses. Everything is built here (packets with tests/e2e/pktlib.py, protocol
messages by hand, rules from rules/vigil.rules plus our own); nothing is copied from outside
captures. Deterministic: running it again rewrites the same files.

Input framings are the harnesses' (see each fuzz_*.c):
  decode  [linktype selector][packet]
  defrag  [config][dt][len:2][packet]...
  stream  [config][ctl][flags][seq:4][ack:4][len:2][payload]...
  app_*   ([dns mode])[ctl][len:2][bytes]...
  rules   [mode][classification/threshold text NUL][rules text]
  detect  [flags][app_proto][sp:2][dp:2][rules text NUL]([buf][len:2][bytes])...
  asn1    [flags][absolute_offset:2][relative_offset:2][oversize_length:4][buffer_offset:2][payload]
  config  YAML text;  pcap  capture file bytes
"""
import json
import os
import re
import shutil
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import pktlib as pl  # noqa: E402

C4, S4 = "10.0.0.1", "192.168.1.2"
C6, S6 = "2001:db8::1", "2001:db8::2"
corpora = {}


def seed(harness, name, data):
    if isinstance(data, str):
        data = data.encode()
    corpora.setdefault(harness, []).append((name, data))


# ---- decode ----------------------------------------------------------------------------------

SEL = {"eth": 0, "raw": 1, "sll": 2, "sll2": 3, "null": 4, "loop": 5, "ipv4": 6, "ipv6": 7}


def tcp_opts_packet(src, dst):
    """TCP with MSS, SACK-permitted, timestamps, NOP and window scale options."""
    opts = struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02" + struct.pack("!BBII", 8, 10, 1, 0)
    opts += b"\x01\x03\x03\x07"
    hdr = struct.pack("!HHIIBBHHH", 1234, 80, 1, 0, (5 + len(opts) // 4) << 4, 0x02, 65535, 0, 0)
    seg = hdr + opts
    if ":" in src:
        return pl.ipv6(src, dst, 6, seg)
    return pl.ipv4(src, dst, 6, seg)


def ipv4_options(payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x46, 0, 24 + len(payload), 7, 0, 64, 17, 0,
                    pl._addr(C4).packed, pl._addr(S4).packed) + b"\x94\x04\x00\x00"
    return h + payload


def ipv6_ext(nh_chain_payload):
    # hop-by-hop (PadN) then destination options then UDP
    udp = pl.l4(17, C6, S6, sport=53, dport=53, payload=b"x" * 8)
    dst = struct.pack("!BB", 17, 0) + b"\x01\x04\x00\x00\x00\x00"
    hbh = struct.pack("!BB", 60, 0) + b"\x01\x04\x00\x00\x00\x00"
    return pl.ipv6(C6, S6, 0, hbh + dst + udp)


def l3_samples():
    out = {
        "tcp4": pl.ip_packet(6, C4, S4, sport=1234, dport=80, payload=b"GET / HTTP/1.1\r\n\r\n"),
        "udp4": pl.ip_packet(17, C4, S4, sport=5353, dport=53, payload=b"\x12\x34" + b"\0" * 10),
        "icmp4": pl.ip_packet(1, C4, S4, payload=b"ping"),
        "icmp4_unreach": pl.ip_packet(1, C4, S4, icmp_type=3, icmp_code=3,
                                      payload=pl.ip_packet(17, S4, C4, sport=53, dport=999)[:28]),
        "tcp6": pl.ip_packet(6, C6, S6, sport=1234, dport=443, payload=b"\x16\x03\x01"),
        "udp6": pl.ip_packet(17, C6, S6, sport=1, dport=2, payload=b"hello"),
        "icmp6": pl.ipv6(C6, S6, 58, pl.l4(58, C6, S6, icmp_type=128, payload=b"abc")),
        "tcpopts4": tcp_opts_packet(C4, S4),
        "tcpopts6": tcp_opts_packet(C6, S6),
        "ipv4opts": ipv4_options(pl.l4(17, C4, S4, sport=1, dport=2, payload=b"zz")),
        "ipv6ext": ipv6_ext(None),
        "badcsum4": pl.ipv4(C4, S4, 6, pl.l4(6, C4, S4, sport=1, dport=2, bad_csum=True),
                            bad_csum=True),
        "frag4": pl.ipv4(C4, S4, 17, b"A" * 16, frag_off=0, more=True),
    }
    # Tunnels: GRE (v0, key+seq) with IPv4 inside, VXLAN and Geneve with Ethernet inside, Teredo
    # (origin indication, then IPv6), IP-in-IP.
    inner = pl.ip_packet(6, "172.16.0.1", "172.16.0.2", sport=1, dport=80, payload=b"in")
    gre = struct.pack("!HHII", 0x3000, 0x0800, 42, 1) + inner
    out["gre"] = pl.ipv4(C4, S4, 47, gre)
    out["gre_eth"] = pl.ipv4(C4, S4, 47, struct.pack("!HH", 0, 0x6558) + pl.eth(inner))
    out["gre_v1"] = pl.ipv4(C4, S4, 47, struct.pack("!HHHHI", 0x3001, 0x880B, 0, 0, 1))
    vx = struct.pack("!II", 0x08000000, 0x00012300) + pl.eth(inner)
    out["vxlan"] = pl.ipv4(C4, S4, 17, pl.l4(17, C4, S4, sport=5000, dport=4789, payload=vx))
    gen = struct.pack("!BBHI", 1, 0, 0x6558, 0x00012300) + struct.pack("!HBB", 0x0102, 0x80, 0) \
        + pl.eth(inner)  # Geneve: one empty option, then Ethernet
    out["geneve"] = pl.ipv4(C4, S4, 17, pl.l4(17, C4, S4, sport=5000, dport=6081, payload=gen))
    in6 = pl.ip_packet(17, "2001:db8::1", "2001:db8::2", sport=1, dport=2, payload=b"in")
    out["teredo"] = pl.ipv4(C4, S4, 17, pl.l4(17, C4, S4, sport=5000, dport=3544,
                                                 payload=bytes([0, 0, 0x12, 0x34, 1, 2, 3, 4]) + in6))
    out["ipip"] = pl.ipv4(C4, S4, 4, inner)
    out["ip6in4"] = pl.ipv4(C4, S4, 41, pl.ip_packet(17, C6, S6, sport=1, dport=2))
    return out


def gen_decode():
    l3 = l3_samples()
    for name, ip in l3.items():
        v6 = (ip[0] >> 4) == 6
        et = 0x86DD if v6 else 0x0800
        seed("decode", "eth_" + name, bytes([SEL["eth"]]) + pl.eth(ip, et))
        seed("decode", "raw_" + name, bytes([SEL["raw"]]) + ip)
    ip4, ip6 = l3["tcp4"], l3["tcp6"]
    seed("decode", "eth_vlan", bytes([SEL["eth"]]) + pl.eth(ip4, 0x0800, vlans=(10,)))
    seed("decode", "eth_qinq", bytes([SEL["eth"]]) + pl.eth(ip4, 0x0800, vlans=(10, 20))
         .replace(b"\x81\x00\x00\x0a", b"\x88\xa8\x00\x0a", 1))
    seed("decode", "eth_arp", bytes([SEL["eth"]]) + pl.eth(b"\x00\x01\x08\x00\x06\x04\x00\x01"
                                                           + b"\0" * 20, 0x0806))
    seed("decode", "eth_llc", bytes([SEL["eth"]]) + pl.eth(b"\xaa\xaa\x03" + b"\0" * 5, 8))
    seed("decode", "eth_trunc", bytes([SEL["eth"]]) + pl.eth(ip4)[:30])
    seed("decode", "raw_trunc_tcp", bytes([SEL["raw"]]) + ip4[:30])
    seed("decode", "raw_nocsum", bytes([SEL["raw"] | 8]) + l3["badcsum4"])
    for v6, ip in ((False, ip4), (True, ip6)):
        sfx = "6" if v6 else "4"
        proto = 0x86DD if v6 else 0x0800
        sll = struct.pack("!HHH8sH", 0, 1, 6, b"\x00\x11\x22\x33\x44\x55\0\0", proto)
        seed("decode", "sll_" + sfx, bytes([SEL["sll"]]) + sll + ip)
        sll2 = struct.pack("!HHIHBB8s", proto, 0, 2, 1, 0, 6, b"\x00\x11\x22\x33\x44\x55\0\0")
        seed("decode", "sll2_" + sfx, bytes([SEL["sll2"]]) + sll2 + ip)
        fam = 30 if v6 else 2
        seed("decode", "null_" + sfx, bytes([SEL["null"]]) + struct.pack("<I", fam) + ip)
        seed("decode", "loop_" + sfx, bytes([SEL["loop"]]) + struct.pack("!I", fam) + ip)
    seed("decode", "null_v6_24", bytes([SEL["null"]]) + struct.pack("<I", 24) + ip6)
    seed("decode", "ipv4_lt", bytes([SEL["ipv4"]]) + ip4)
    seed("decode", "ipv6_lt", bytes([SEL["ipv6"]]) + ip6)


# ---- defrag ----------------------------------------------------------------------------------

def rec(dt, pkt):
    return struct.pack("!BH", dt, len(pkt)) + pkt


def frags4(payload, size, ident=9, proto=17, order=None, overlap=0):
    pieces = []
    off = 0
    while off < len(payload):
        chunk = payload[off:off + size]
        more = off + size < len(payload)
        pieces.append(pl.ipv4(C4, S4, proto, chunk, ident=ident, frag_off=off, more=more))
        off += size - overlap if more else size
    if order:
        pieces = [pieces[i] for i in order(len(pieces))]
    return pieces


def frags6(payload, size, ident=77, nh=17):
    pieces = []
    for off in range(0, len(payload), size):
        chunk = payload[off:off + size]
        more = off + size < len(payload)
        fh = struct.pack("!BBHI", nh, 0, off | (1 if more else 0), ident)
        pieces.append(pl.ipv6(C6, S6, 44, fh + chunk))
    return pieces


def gen_defrag():
    udp = pl.l4(17, C4, S4, sport=1000, dport=53, payload=bytes(range(64)) * 2)
    tcp = pl.l4(6, C4, S4, sport=1000, dport=80, payload=b"GET /frag HTTP/1.1\r\n\r\n" * 3)
    sets = {
        "v4_inorder": frags4(udp, 24),
        "v4_reverse": frags4(udp, 24, order=lambda n: list(range(n))[::-1]),
        "v4_dup": frags4(udp, 32) + frags4(udp, 32)[:2],
        "v4_overlap": frags4(udp, 32, overlap=8),
        "v4_tcp": frags4(tcp, 16, proto=6),
        "v4_missing": frags4(udp, 16)[1:],
        "v6_inorder": frags6(pl.l4(17, C6, S6, sport=1, dport=2, payload=b"q" * 100), 32),
        "v6_reverse": frags6(pl.l4(17, C6, S6, sport=1, dport=2, payload=b"r" * 100), 32)[::-1],
    }
    # An overlap that rewrites the transport header, and a zero-offset fragment after the end.
    bad = frags4(udp, 24)
    bad.insert(2, pl.ipv4(C4, S4, 17, b"EVILEVIL" * 3, ident=9, frag_off=0, more=True))
    sets["v4_rewrite_head"] = bad
    many = []
    for ident in range(12):
        many += frags4(udp, 40, ident=100 + ident)[:1]
    sets["v4_many_trackers"] = many
    for name, pkts in sets.items():
        seed("defrag", name, b"\x00" + b"".join(rec(1, p) for p in pkts))
    seed("defrag", "tiny_many", b"\x08" + b"".join(rec(1, p) for p in many))
    seed("defrag", "tiny_timeout", b"\x08" + rec(0, sets["v4_inorder"][0]) + rec(255, b"")
         + b"".join(rec(0, p) for p in sets["v4_inorder"][1:]))
    eth = b"".join(rec(1, pl.eth(p)) for p in sets["v4_inorder"])
    seed("defrag", "eth_v4", b"\x01" + eth)


# ---- stream ----------------------------------------------------------------------------------

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


class Seg:
    def __init__(self, conf=0):
        self.out = bytes([conf])
        self.seq = [1000, 5000]

    def pkt(self, d, flags, payload=b"", seq=None, ack=None, ctl=0):
        s = self.seq[d] if seq is None else seq
        a = self.seq[1 - d] if ack is None else ack
        self.out += struct.pack("!BBIIH", d | ctl, flags, s & 0xFFFFFFFF, a & 0xFFFFFFFF,
                                len(payload)) + payload
        if seq is None:
            self.seq[d] += len(payload) + (1 if flags & (SYN | FIN) else 0)
        return self

    def hs(self):
        return self.pkt(0, SYN, ack=0).pkt(1, SYN | ACK).pkt(0, ACK)

    def close(self):
        return self.pkt(0, FIN | ACK).pkt(1, FIN | ACK).pkt(0, ACK)


def gen_stream():
    req, res = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
    seed("stream", "normal", Seg().hs().pkt(0, PSH | ACK, req).pkt(1, PSH | ACK, res).close().out)
    s = Seg().hs()
    base = s.seq[0]
    s.pkt(0, ACK, b"BBBB", seq=base + 4).pkt(0, ACK, b"CCCC", seq=base + 8).pkt(0, ACK, b"AAAA")
    seed("stream", "out_of_order", s.out)
    s = Seg().hs()
    base = s.seq[0]
    s.pkt(0, ACK, b"hello world").pkt(0, ACK, b"HELLO", seq=base).pkt(0, ACK, b"xx", seq=base + 9)
    seed("stream", "overlap_diff", s.out)
    s = Seg().hs()
    base = s.seq[0]
    s.pkt(0, ACK, b"data", seq=base + 100000).pkt(1, ACK, b"", ack=base + 100004)
    seed("stream", "gap_acked", s.out)
    seed("stream", "rst", Seg().hs().pkt(0, ACK, b"abc").pkt(1, RST, ack=0).out)
    seed("stream", "midstream", Seg(1).pkt(0, PSH | ACK, req).pkt(1, PSH | ACK, res).out)
    seed("stream", "synack_first", Seg(1).pkt(1, SYN | ACK).pkt(0, ACK).pkt(0, ACK, req).out)
    seed("stream", "oneside", Seg(2).pkt(0, SYN, ack=0).pkt(0, ACK, req).pkt(0, ACK, req).out)
    s = Seg(4).hs()
    for i in range(6):
        s.pkt(0, ACK, bytes([65 + i]) * 1000)
    seed("stream", "tiny_depth", s.out)
    s = Seg(4).hs()
    base = s.seq[0]
    for i in range(12):
        s.pkt(0, ACK, b"z" * 10, seq=base + 20 * (i + 1))
    seed("stream", "tiny_ranges", s.out)
    s = Seg().hs()
    s.pkt(0, ACK, b"bad", ctl=2).pkt(0, ACK, b"csum", ctl=4).pkt(0, SYN, ack=0, seq=1)
    seed("stream", "invalid_flags", s.out)
    s = Seg().hs().pkt(0, ACK, req).close().pkt(0, SYN, ack=0, seq=99999)
    seed("stream", "reuse_after_close", s.out)


# ---- app chunks ------------------------------------------------------------------------------

def chunks(*parts, gap=None):
    """parts: (dir, bytes) pairs → [ctl][len:2][bytes] records."""
    out = b""
    for d, b in parts:
        if isinstance(b, str):
            b = b.encode()
        if b is None:
            out += struct.pack("!BH", d | 2, gap or 100)
            continue
        out += struct.pack("!BH", d, len(b)) + b
    return out


def split_bytes(d, b, n):
    return [(d, b[i:i + n]) for i in range(0, len(b), n)]


def gen_http():
    get = "GET /index.html?a=1&b=%41 HTTP/1.1\r\nHost: www.example.com:8080\r\n" \
          "User-Agent: fuzz/1.0\r\nCookie: k=v\r\nReferer: http://r/\r\nAccept: */*\r\n\r\n"
    ok = "HTTP/1.1 200 OK\r\nServer: t\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
    seed("app_http", "get", chunks((0, get), (1, ok)))
    seed("app_http", "get_bytewise", chunks(*split_bytes(0, get.encode(), 7),
                                            *split_bytes(1, ok.encode(), 5)))
    body = b"user=admin&pass=secret"
    post = b"POST /login HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded" \
           b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    seed("app_http", "post", chunks((0, post), (1, "HTTP/1.1 302 Found\r\nLocation: /home\r\n"
                                                   "Content-Length: 0\r\n\r\n")))
    chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n" \
              " world\r\n0\r\nTrailer: x\r\n\r\n"
    seed("app_http", "chunked", chunks((0, get), (1, chunked)))
    gz = zlib.compressobj(9, zlib.DEFLATED, 31)
    gzbody = gz.compress(b"<html>" + b"A" * 200 + b"</html>") + gz.flush()
    seed("app_http", "gzip", chunks((0, get), (1, b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                                                 b"Content-Length: %d\r\n\r\n" % len(gzbody) + gzbody)))
    df = zlib.compress(b"deflated body " * 10)
    seed("app_http", "deflate", chunks((0, get), (1, b"HTTP/1.1 200 OK\r\nContent-Encoding: "
                                                    b"deflate\r\n\r\n" + df)))
    mp = (b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"evil.exe\"\r\n"
          b"Content-Type: application/octet-stream\r\n\r\nMZ\x90\x00payload\r\n--XyZ--\r\n")
    up = b"POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=XyZ" \
         b"\r\nContent-Length: %d\r\n\r\n" % len(mp) + mp
    seed("app_http", "multipart", chunks((0, up), (1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")))
    pipe = get + "HEAD /two HTTP/1.1\r\nHost: h\r\n\r\n" + "PUT /f.txt HTTP/1.1\r\nContent-Length: 3" \
                                                          "\r\n\r\nabc"
    seed("app_http", "pipelined", chunks((0, pipe), (1, ok + "HTTP/1.1 200 OK\r\nContent-Length: 9"
                                                     "\r\n\r\n" + ok)))
    seed("app_http", "http10", chunks((0, "GET / HTTP/1.0\r\n\r\n"), (1, "HTTP/1.0 200 OK\r\n\r\nbody"
                                                                        " until close")))
    seed("app_http", "simple09", chunks((0, "GET /\r\n"), (1, "<html>")))
    seed("app_http", "folding", chunks((0, "GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n  two\r\n"
                                           "\tthree\r\nHost: b\r\n\r\n"), (1, ok)))
    seed("app_http", "continue", chunks((0, "POST /x HTTP/1.1\r\nExpect: 100-continue\r\n"
                                            "Content-Length: 4\r\n\r\n"),
                                        (1, "HTTP/1.1 100 Continue\r\n\r\n"), (0, "data"), (1, ok)))
    seed("app_http", "connect", chunks((0, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com"
                                           ":443\r\n\r\n"), (1, "HTTP/1.1 200 Connection "
                                                                "established\r\n\r\n"),
                                       (0, b"\x16\x03\x01\x00\x05hello")))
    seed("app_http", "response_first", chunks((1, ok), (0, get)))
    seed("app_http", "gap", chunks((0, get[:20]), (0, None), (0, get), (1, ok[:10]), (1, None),
                                   (1, ok), gap=30))
    seed("app_http", "evasions", chunks((0, "GET\t/a/../b/./c//d%2e%2e/%u0041?x HTTP/1.1\r\n"
                                           "Host: EXAMPLE.com.\r\nTransfer-Encoding: chunked, "
                                           "identity\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
                                        (1, "HTTP/1.1 200\r\nContent-Length: 1\r\nContent-Length: 2"
                                            "\r\n\r\nxy")))
    seed("app_http", "upgrade", chunks((0, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: "
                                           "Upgrade\r\n\r\n"), (1, "HTTP/1.1 101 Switching "
                                                                   "Protocols\r\nUpgrade: websocket"
                                                                   "\r\n\r\n\x81\x05hello")))


def dns_name(n):
    out = b""
    for lab in n.split("."):
        if lab:
            out += bytes([len(lab)]) + lab.encode()
    return out + b"\0"


def dns_msg(ident, flags, qs, ans=(), auth=(), add=()):
    m = struct.pack("!HHHHHH", ident, flags, len(qs), len(ans), len(auth), len(add))
    for name, qt in qs:
        m += dns_name(name) + struct.pack("!HH", qt, 1)
    for sect in (ans, auth, add):
        for name, rt, rdata in sect:
            nm = name if isinstance(name, bytes) else dns_name(name)
            m += nm + struct.pack("!HHIH", rt, 1, 300, len(rdata)) + rdata
    return m


def gen_dns():
    q = dns_msg(0x1234, 0x0100, [("www.example.com", 1)])
    ptr = b"\xc0\x0c"
    r = dns_msg(0x1234, 0x8180, [("www.example.com", 1)], [
        (ptr, 5, dns_name("cdn.example.net")),
        (ptr, 1, bytes([93, 184, 216, 34])),
        (ptr, 28, bytes(range(16))),
        (ptr, 15, b"\x00\x0a" + dns_name("mail.example.com")),
        (ptr, 16, b"\x05hello\x05world"),
        (ptr, 12, dns_name("host.example.com")),
        (ptr, 33, struct.pack("!HHH", 1, 2, 443) + dns_name("srv.example.com")),
        (ptr, 2, ptr),
        (ptr, 99, b"opaque"),
    ], auth=[("example.com", 6, dns_name("ns1.example.com") + dns_name("root.example.com")
              + struct.pack("!IIIII", 1, 2, 3, 4, 5))],
        add=[(b"\x00", 41, b"")])
    nx = dns_msg(0x9, 0x8183, [("nope.invalid", 28)])
    loop = struct.pack("!HHHHHH", 7, 0x8180, 1, 1, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01" \
        + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x01\x00\x04\x01\x02\x03\x04"
    longname = dns_msg(1, 0x0100, [(".".join(["a" * 63] * 4), 255)])
    for mode, name in ((0, "udp"), (1, "tcp")):
        def wrap(m):
            return struct.pack("!H", len(m)) + m if mode else m
        pre = bytes([mode])
        seed("app_dns", name + "_query_response", pre + chunks((0, wrap(q)), (1, wrap(r))))
        seed("app_dns", name + "_nxdomain", pre + chunks((0, wrap(nx[:12] + nx[12:])), (1, wrap(nx))))
        seed("app_dns", name + "_ptr_loop", pre + chunks((1, wrap(loop))))
        seed("app_dns", name + "_long_name", pre + chunks((0, wrap(longname))))
        seed("app_dns", name + "_truncated", pre + chunks((0, wrap(q)[:-3]), (1, wrap(r)[:40])))
    t = struct.pack("!H", len(q)) + q + struct.pack("!H", len(r)) + r
    seed("app_dns", "tcp_split", b"\x01" + chunks(*split_bytes(0, t[:len(q) + 2], 3),
                                                  (1, t[len(q) + 2:][:5]), (1, t[len(q) + 7:])))
    seed("app_dns", "tcp_two_in_one", b"\x01" + chunks((0, struct.pack("!H", len(q)) + q
                                                         + struct.pack("!H", len(nx)) + nx)))
    seed("app_dns", "udp_unsolicited", b"\x00" + chunks((1, r), (1, r)))


# ---- TLS ---------------------------------------------------------------------------------------

def der(tag, body):
    n = len(body)
    if n < 128:
        ln = bytes([n])
    elif n < 256:
        ln = b"\x81" + bytes([n])
    else:
        ln = b"\x82" + struct.pack("!H", n)
    return bytes([tag]) + ln + body


def seq(*items):
    return der(0x30, b"".join(items))


def oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    body = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7F]
        p >>= 7
        while p:
            enc.insert(0, 0x80 | (p & 0x7F))
            p >>= 7
        body += bytes(enc)
    return der(0x06, body)


def name(cn, org="Fuzz Org", country="DE"):
    def rdn(o, v, tag=0x0C):
        return der(0x31, seq(oid(o), der(tag, v.encode())))
    return seq(rdn("2.5.4.6", country, 0x13), rdn("2.5.4.10", org), rdn("2.5.4.3", cn))


def cert(cn, issuer, serial, san=()):
    sig_alg = seq(oid("1.2.840.113549.1.1.11"), b"\x05\x00")
    validity = seq(der(0x17, b"240101000000Z"), der(0x18, b"20991231235959Z"))
    spki = seq(seq(oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")),
               der(0x03, b"\x00\x04" + bytes(range(64))))
    exts = b""
    if san:
        gn = b"".join(der(0x82, s.encode()) for s in san)
        exts = der(0xA3, seq(seq(oid("2.5.29.17"), der(0x04, seq(gn)))))
    tbs = seq(der(0xA0, der(0x02, b"\x02")), der(0x02, serial), sig_alg, name(issuer),
              validity, name(cn), spki, exts)
    return seq(tbs, sig_alg, der(0x03, b"\x00" + bytes(64)))


def ext(t, body):
    return struct.pack("!HH", t, len(body)) + body


def client_hello(sni="www.example.com", ver=0x0303, tls13=True, grease=True):
    exts = b""
    if grease:
        exts += ext(0x0A0A, b"")
    if sni is not None:
        h = sni.encode()
        exts += ext(0, struct.pack("!HBH", len(h) + 3, 0, len(h)) + h)
    exts += ext(10, struct.pack("!HHHH", 6, 0x001D, 0x0017, 0x0018))
    exts += ext(11, b"\x01\x00")
    exts += ext(13, struct.pack("!HHHH", 6, 0x0403, 0x0804, 0x0401))
    exts += ext(16, b"\x00\x0c\x02h2\x08http/1.1")
    exts += ext(23, b"") + ext(0xFF01, b"\x00")
    if tls13:
        exts += ext(43, b"\x04\x03\x04\x03\x03") + ext(51, struct.pack("!HHH", 36, 0x1D, 32)
                                                         + bytes(32))
    ciphers = struct.pack("!8H", 0x1A1A, 0x1301, 0x1302, 0xC02B, 0xC02F, 0xC02C, 0x009C, 0x00FF)
    body = struct.pack("!H", ver) + bytes(32) + b"\x20" + bytes(32) + struct.pack(
        "!H", len(ciphers)) + ciphers + b"\x01\x00" + struct.pack("!H", len(exts)) + exts
    return b"\x01" + struct.pack("!I", len(body))[1:] + body


def server_hello(ver=0x0303, tls13=False):
    exts = ext(0xFF01, b"\x00") + ext(11, b"\x01\x00")
    if tls13:
        exts = ext(43, b"\x03\x04") + ext(51, struct.pack("!HH", 0x1D, 32) + bytes(32))
    body = struct.pack("!H", ver) + bytes(range(32)) + b"\x00" + b"\xc0\x2f\x00" + struct.pack(
        "!H", len(exts)) + exts
    return b"\x02" + struct.pack("!I", len(body))[1:] + body


def certificate(chain):
    lst = b"".join(struct.pack("!I", len(c))[1:] + c for c in chain)
    body = struct.pack("!I", len(lst))[1:] + lst
    return b"\x0b" + struct.pack("!I", len(body))[1:] + body


def record(ct, payload, ver=0x0303):
    return struct.pack("!BHH", ct, ver, len(payload)) + payload


def gen_tls():
    leaf = cert("www.example.com", "Fuzz CA", b"\x01\x23\x45", san=("www.example.com", "*.ex.org"))
    ca = cert("Fuzz CA", "Fuzz CA", b"\x05")
    ch = record(22, client_hello(), 0x0301)
    sh12 = record(22, server_hello() + certificate([leaf, ca]) + b"\x0e\x00\x00\x00")
    seed("app_tls", "tls12_full", chunks((0, ch), (1, sh12), (0, record(20, b"\x01")),
                                         (1, record(20, b"\x01")), (0, record(23, b"x" * 20))))
    seed("app_tls", "tls13", chunks((0, ch), (1, record(22, server_hello(tls13=True))
                                              + record(20, b"\x01") + record(23, b"enc" * 10))))
    seed("app_tls", "bytewise", chunks(*split_bytes(0, ch, 9), *split_bytes(1, sh12, 50)))
    hs = client_hello(sni=None, tls13=False, grease=False)
    seed("app_tls", "split_handshake", chunks((0, record(22, hs[:30]) + record(22, hs[30:]))))
    seed("app_tls", "nosni_ssl3", chunks((0, record(22, client_hello(sni=None, ver=0x0300,
                                                                     tls13=False), 0x0300))))
    seed("app_tls", "alert", chunks((0, ch), (1, record(21, b"\x02\x28"))))
    seed("app_tls", "sslv2_hello", chunks((0, b"\x80\x2e\x01\x00\x02\x00\x15\x00\x00\x00\x10"
                                              + b"\x01\x00\x80\x07\x00\xc0\x03\x00\x80"
                                              + b"\x06\x00\x40\x02\x00\x80\x04\x00\x80"
                                              + bytes(16))))
    bad_cert = certificate([leaf[:-20], b"\x30\x82\xff\xff" + b"\x00" * 8])
    seed("app_tls", "bad_cert", chunks((0, ch), (1, record(22, server_hello() + bad_cert))))
    seed("app_tls", "heartbeat", chunks((0, ch), (0, record(24, b"\x01\x40\x00" + b"x" * 3))))
    seed("app_tls", "gap", chunks((0, ch[:20]), (0, None), (0, ch), gap=5))


def gen_ssh():
    cli = b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"
    srv = b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1\r\n"

    def pkt(payload):
        pad = 4 + (-(len(payload) + 5 + 4) % 8)
        return struct.pack("!IB", len(payload) + pad + 1, pad) + payload + bytes(pad)

    def namelist(s):
        return struct.pack("!I", len(s)) + s.encode()
    kex = b"\x14" + bytes(16) + b"".join(namelist(s) for s in (
        "curve25519-sha256,diffie-hellman-group14-sha256", "ssh-ed25519,rsa-sha2-512",
        "aes128-ctr", "aes128-ctr", "hmac-sha2-256", "hmac-sha2-256", "none", "none", "", "")) \
        + b"\x00" + bytes(4)
    newkeys = pkt(b"\x15")
    seed("app_ssh", "full", chunks((0, cli), (1, srv), (0, pkt(kex)), (1, pkt(kex)),
                                   (0, pkt(b"\x1e" + bytes(36))), (1, pkt(b"\x1f" + bytes(60))),
                                   (0, newkeys), (1, newkeys), (0, b"\xde\xad" * 20)))
    seed("app_ssh", "bytewise", chunks(*split_bytes(0, cli + pkt(kex), 3),
                                       *split_bytes(1, srv + pkt(kex), 4)))
    seed("app_ssh", "prelines", chunks((1, b"Welcome\r\nhello there\r\n" + srv), (0, cli)))
    seed("app_ssh", "ssh1", chunks((0, b"SSH-1.5-old\r\n"), (1, b"SSH-1.99-srv\n")))
    seed("app_ssh", "long_banner", chunks((0, b"SSH-2.0-" + b"A" * 300 + b"\r\n")))
    seed("app_ssh", "bad_banner", chunks((0, b"SSH-2.0\r\n"), (1, b"HTTP/1.1 400\r\n")))
    seed("app_ssh", "huge_len", chunks((0, cli), (1, srv), (0, b"\x7f\xff\xff\xff\x04\x14")))


def gen_ftp():
    greet = b"220 ProFTPD Server ready\r\n"
    seed("app_ftp", "session", chunks(
        (1, greet), (0, b"USER anonymous\r\n"), (1, b"331 Password\r\n"), (0, b"PASS x@\r\n"),
        (1, b"230 ok\r\n"), (0, b"FEAT\r\n"), (1, b"211-Features:\r\n MDTM\r\n211 End\r\n"),
        (0, b"PASV\r\n"), (1, b"227 Entering Passive Mode (10,2,2,2,195,80).\r\n"),
        (0, b"RETR a\r\n"), (1, b"150 Opening\r\n"), (1, b"226 done\r\n"),
        (0, b"EPRT |2|::1|5002|\r\n"), (1, b"200 ok\r\n"), (0, b"STOR b\r\n"),
        (1, b"150 ok\r\n226 ok\r\n"), (0, b"EPSV\r\n"),
        (1, b"229 Entering Extended Passive Mode (|||50000|)\r\n"),
        (0, b"PORT 10,1,1,1,4,1\r\n"), (1, b"200 ok\r\n"), (0, b"site exec x\r\n"),
        (1, b"500 no\r\n"), (0, b"QUIT\r\n"), (1, b"221 bye\r\n")))
    seed("app_ftp", "bytewise", chunks(*split_bytes(1, greet, 3),
                                       *split_bytes(0, b"USER a\r\nPASS b\r\n", 2),
                                       *split_bytes(1, b"331 x\r\n230 y\r\n", 5)))
    seed("app_ftp", "long_lines", chunks((0, b"STOR " + b"A" * 5000 + b"\r\n"),
                                         (1, b"553 " + b"R" * 4200 + b"\n")))
    seed("app_ftp", "retr_no_port", chunks((1, greet), (0, b"RETR x\r\n"), (1, b"550 no\r\n")))
    seed("app_ftp", "auth_tls", chunks((0, b"AUTH TLS\r\n"), (1, b"234 go\r\n"),
                                       (0, b"\x16\x03\x01\x00\x05hello")))
    seed("app_ftp", "gap", chunks((0, b"USER a\r\n"), (1, None), (1, b"331 x\r\n"), gap=7))


def gen_smtp():
    import base64
    enc = base64.encodebytes(b"MZ\x00attachment bytes\xff" * 4).replace(b"\n", b"\r\n")
    mail = (b"From: a@b\r\nTo: c@d, e@f\r\nCc: g@h\r\nSubject: s\r\n"
            b"Content-Type: multipart/mixed; boundary=\"OUT\"\r\n\r\npre\r\n"
            b"--OUT\r\nContent-Type: multipart/alternative; boundary=IN\r\n\r\n"
            b"--IN\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable"
            b"\r\n\r\ncaf=C3=A9 =\r\nsoft http://A.example/b.exe\r\n--IN--\r\n"
            b"--OUT\r\nContent-Disposition: attachment; filename=\"a.bin\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + enc +
            b"--OUT\r\nContent-Type: text/plain; name=b.txt\r\n\r\n..stuffed\r\nline\r\n"
            b"--OUT--\r\nepilogue\r\n.\r\n")
    hello = [(1, b"220 mx ESMTP\r\n"), (0, b"EHLO client\r\n"),
             (1, b"250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n")]
    env = [(0, b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\nDATA\r\n"),
           (1, b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n")]
    seed("app_smtp", "full", chunks(*hello, *env, (0, mail), (1, b"250 queued\r\n"),
                                    (0, b"RSET\r\nQUIT\r\n"), (1, b"250 ok\r\n221 bye\r\n")))
    seed("app_smtp", "bytewise", chunks(*hello, *env, *split_bytes(0, mail, 5),
                                        (1, b"250 queued\r\n")))
    seed("app_smtp", "starttls", chunks(*hello, (0, b"STARTTLS\r\n"), (1, b"220 go\r\n"),
                                        (0, b"\x16\x03\x01\x00\x05hello")))
    seed("app_smtp", "bdat", chunks(*hello, (0, b"MAIL FROM:<a@b>\r\nBDAT 12\r\nDATA\r\n.\r\nxx"
                                                 b"BDAT 4 LAST\r\nabcd"),
                                    (1, b"250 ok\r\n250 ok\r\n250 ok\r\n")))
    seed("app_smtp", "gap", chunks(*hello, *env, (0, mail[:200]), (0, None), (0, mail[300:]),
                                   (1, b"250 ok\r\n"), gap=77))
    seed("app_smtp", "rejected", chunks(*hello, (0, b"DATA\r\n"), (1, b"554 no\r\nbad\r\n"),
                                        (0, b"NOOP " + b"A" * 700 + b"\r\n")))


# ---- rules, config, pcap -------------------------------------------------------------------

OWN_RULES = r"""
alert tcp any any -> any 80 (msg:"content mods"; flow:established,to_server; content:"GET"; depth:3; content:"/admin"; distance:1; within:20; nocase; sid:1; rev:2;)
alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"sticky"; http.method; content:"POST"; http.uri; content:"/login"; startswith; http.host; content:"example"; endswith; sid:2;)
alert http any any -> any any (msg:"legacy"; content:"User-Agent|3a| curl"; http_header; content:"x"; http_uri; fast_pattern; sid:3;)
alert tcp any any -> any any (msg:"pcre"; pcre:"/^GET\s+\/[a-z]{3,}\d*/Ui"; sid:4;)
alert udp any any -> any 53 (msg:"bytes"; byte_test:2,>,0x100,4,relative,big; byte_jump:1,12,from_beginning; byte_extract:2,0,len; isdataat:!len,relative; sid:5;)
alert tcp any any -> any any (msg:"byte_math"; byte_math:bytes 2, offset 0, oper +, rvalue 10, result var; sid:6;)
alert dns any any -> any any (msg:"dns"; dns.query; content:"evil"; nocase; bsize:<64; sid:7;)
alert tls any any -> any any (msg:"tls"; tls.sni; content:"bad.example"; tls.cert_subject; content:"CN="; ja3.hash; content:"e7d705a3286e19ea42f587b344ee6865"; sid:8;)
alert ssh any any -> any any (msg:"ssh"; ssh.software; content:"libssh"; ssh.proto; content:"2.0"; sid:9;)
alert tcp any any -> any any (msg:"flowbits"; flowbits:set,seen; flowbits:noalert; sid:10;)
alert tcp any any -> any any (msg:"flowbits 2"; flowbits:isset,seen; flowint:cnt,+,1; sid:11;)
alert ip [10.0.0.0/8,!10.1.0.0/16] [1:1024,!80] <> ![192.168.0.1,172.16.0.0/12] any (msg:"addresses"; ttl:<10; ip_proto:6; sid:12;)
alert icmp any any -> any any (msg:"icmp"; itype:8; icode:0; icmp_id:1; icmp_seq:2; dsize:>100; sid:13;)
alert tcp any any -> any any (msg:"flags"; flags:SF,12; window:1024; seq:0; ack:0; sid:14;)
alert tcp any any -> any any (msg:"threshold"; threshold:type both, track by_src, count 5, seconds 60; classtype:trojan-activity; priority:1; reference:url,example.com; metadata:created_at 2024_01_01; sid:15;)
drop tcp any any -> any any (msg:"transforms"; http.uri; to_lowercase; strip_whitespace; url_decode; content:"/x"; sid:16;)
alert http any any -> any any (msg:"file"; file.data; content:"MZ"; startswith; filemagic:"PE32"; sid:17;)
pass tcp any any -> any any (msg:"urilen"; urilen:>10; uricontent:"a"; sid:18;)
alert tcp any any -> any any (msg:"escape \"quote\" \; semi"; content:"|00 01 02|AB|ff|"; offset:2; sid:19;)
alert tcp any any -> any any (msg:"multi line"; \
    content:"a"; sid:20;)
# a comment
alert tcp-pkt any any -> any any (msg:"event"; decode-event:ipv4.trunc_pkt; stream-event:3whs_synack_with_wrong_ack; app-layer-event:http.request_field_too_long; sid:21;)
alert tcp any any -> any any (msg:"bad"; content:; sid:22;)
alert ip any any -> any any (msg:"ip"; fragbits:M+D; sameip; target:dest_ip; sid:23;)
alert tls any any -> any any (msg:"tls version"; tls.version:1.2; flowbits:noalert; noalert; sid:24;)
alert tcp any any -> any any (msg:"bitmask"; byte_test:2,&,0x0f,0,bitmask 0xff00; sid:25;)
alert tcp any any -> any any (msg:"hex"; content:"|de ad BE EF|"; content:!"|0a|"; sid:26;)
alert http any any -> any any (msg:"base64"; http.request_body; content:"a="; base64_decode:bytes 100, offset 2, relative; base64_data; content:"x"; within:4; byte_test:1,=,1,0,relative; sid:27;)
alert tcp any any -> any 445 (msg:"asn1"; content:"|FF|SMBs"; asn1:double_overflow, bitstring_overflow, relative_offset 54, oversize_length 2048; sid:28;)
alert pkthdr any any -> any any (msg:"decoder event"; decode-event:udp.len_invalid; sid:29;)
alert ipv6 any any -> any any (msg:"checksums"; udpv6-csum:invalid; tcpv6-csum:valid; icmpv6-csum:invalid; sid:30;)
alert ip4 any any -> any any (msg:"checksums 4"; ipv4-csum:invalid; tcpv4-csum:valid; udpv4-csum:invalid; icmpv4-csum:valid; sid:31;)
alert tcp any any -> any any (msg:"stream event"; stream-event:rst_invalid_ack; flow:established; sid:32;)
alert http any any -> any any (msg:"sticky unused"; content:"x"; http.uri; sid:33;)
alert tcp any any -> any any (msg:"noterm"; content:"x"
"""

CLASSIFICATION = "config classification: not-suspicious,Not Suspicious Traffic,3\n" \
                 "config classification: trojan-activity,A Network Trojan was detected, 1\n" \
                 "config classification: bad\n"
THRESHOLD = "threshold gen_id 1, sig_id 15, type limit, track by_src, count 1, seconds 60\n" \
            "event_filter gen_id 1, sig_id 1, type both, track by_dst, count 2, seconds 10\n" \
            "suppress gen_id 1, sig_id 2, track by_src, ip 10.0.0.0/8\n" \
            "suppress gen_id 1, sig_id 3\n" \
            "rate_filter gen_id 1, sig_id 4, track by_rule, count 1, seconds 1, new_action drop, timeout 5\n"


def gen_rules():
    own = [line for line in OWN_RULES.strip("\n").split("\n")]
    seed("rules", "own_all", b"\x00" + OWN_RULES.encode())
    joined = []
    for line in own:
        if joined and joined[-1].endswith("\\"):
            joined[-1] += "\n" + line
        else:
            joined.append(line)
    for i, r in enumerate(joined):
        seed("rules", "own_%02d" % i, b"\x00" + r.encode() + b"\n")
    with open(os.path.join(ROOT, "rules", "vigil.rules")) as f:
        shipped = [ln for ln in f.read().split("\n") if ln.startswith(("alert", "drop", "pass"))]
    for i, r in enumerate(shipped):
        seed("rules", "vigil_%02d" % i, b"\x00" + r.encode() + b"\n")
    with open(os.path.join(ROOT, "rules", "classification.config")) as f:
        cls = f.read()
    seed("rules", "classification", b"\x01" + (cls + CLASSIFICATION).encode() + b"\0"
         + joined[14].encode() + b"\n")
    seed("rules", "threshold", b"\x02" + THRESHOLD.encode() + b"\0" + OWN_RULES.encode())


def app_enum(name):
    """The members of enum `name` in src/app/app.h, in order (their values)."""
    with open(os.path.join(ROOT, "src", "app", "app.h")) as f:
        src = f.read()
    body = re.search(r"enum %s \{(.*?)\};" % name, src, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    return [m.split("=")[0].strip() for m in body.split(",") if m.strip()]


def gen_detect():
    """[flags][app_proto][sp:2][dp:2][rules NUL][buf][len:2][bytes]... (fuzz_detect.c): rules of
    each payload keyword family with buffers that reach their evaluation (matching and not)."""
    bufs = app_enum("vg_app_buf")
    bid = {b: i for i, b in enumerate(bufs)}
    payload = len(bufs) - 1  # VG_BUF_MAX: the value of VG_DBUF_PAYLOAD
    assert bufs[-1] == "VG_BUF_MAX"
    protos = {p: i for i, p in enumerate(app_enum("vg_app_proto"))}

    def inp(flags, proto, sp, dp, rules, chunks):
        out = struct.pack("!BBHH", flags, protos[proto], sp, dp) + rules.encode() + b"\0"
        for b, d in chunks:
            out += struct.pack("!BH", payload if b == "payload" else bid[b], len(d)) + d
        return out
    get = b"GET /admin/../etc/passwd?id=1%27%20OR%201=1 HTTP/1.1\r\nHost: x\r\n\r\n"
    dns = bytes.fromhex("1234010000010000000000000465766976076578616d706c6503636f6d0000010001")
    cases = {
        "content": (2, "VG_APP_UNKNOWN", 40000, 80,
                    'alert tcp any any -> any 80 (content:"GET"; depth:3; content:"/admin"; '
                    'distance:1; within:20; nocase; content:!"|0a 0b|"; isdataat:5,relative; '
                    'sid:1;)', [("payload", get)]),
        "pcre": (2, "VG_APP_UNKNOWN", 40000, 80,
                 'alert tcp any any -> any any (pcre:"/^GET\\s+\\/[a-z]{3,}\\/(\\.\\.\\/)+/i"; '
                 'pcre:"/(?P<flow_x>id=\\d+)/"; sid:2;)', [("payload", get)]),
        "bytes": (0x12, "VG_APP_DNS", 5353, 53,
                  'alert udp any any -> any 53 (byte_test:2,>,0x100,0,big; byte_extract:1,12,len; '
                  'byte_jump:1,12; isdataat:len,relative; '
                  'byte_math:bytes 2, offset 0, oper +, rvalue 10, result var; '
                  'byte_test:2,<,var,0; sid:3;)', [("payload", dns)]),
        "dns": (0x12, "VG_APP_DNS", 5353, 53,
                'alert dns any any -> any any (dns.query; content:"evil"; nocase; bsize:<64; '
                'dotprefix; content:".evil."; sid:4;)', [("VG_BUF_DNS_QUERY", b"evil.example.com")]),
        "http": (2, "VG_APP_HTTP", 40000, 80,
                 'alert http any any -> any any (http.uri; to_lowercase; url_decode; '
                 'strip_whitespace; compress_whitespace; content:"/admin/../"; urilen:>5; '
                 'http.method; content:"GET"; startswith; http.host; content:"x"; endswith; '
                 'sid:5;)\n'
                 'alert http any any -> any any (http.request_body; content:"a="; '
                 'base64_decode:bytes 100, offset 0, relative; base64_data; content:"hello"; '
                 'within:8; byte_test:1,=,104,0; sid:6;)',
                 [("VG_BUF_HTTP_URI", b"/Admin/%2e%2e/ ETC"), ("VG_BUF_HTTP_METHOD", b"GET"),
                  ("VG_BUF_HTTP_HOST", b"x"), ("VG_BUF_HTTP_REQUEST_BODY", b"a=aGVsbG8gd29ybGQ="),
                  ("payload", get)]),
        "asn1": (2, "VG_APP_UNKNOWN", 40000, 445,
                 'alert tcp any any -> any 445 (content:"|FF|SMBs"; asn1:double_overflow, '
                 'bitstring_overflow, relative_offset 0, oversize_length 2048; sid:7;)',
                 [("payload", b"\xffSMBs" + bytes.fromhex("3080" * 8 + "030110" + "0000" * 8))]),
        "flowbits": (2, "VG_APP_UNKNOWN", 40000, 80,
                     'alert tcp any any -> any any (content:"a"; flowbits:set,seen; '
                     'flowint:cnt,=,1; flowbits:noalert; sid:8;)\n'
                     'alert tcp any any -> any any (flowbits:isset,seen; flowint:cnt,+,1; '
                     'dsize:>0; sid:9;)\n'
                     'alert tcp any any -> any any (threshold:type both, track by_src, count 1, '
                     'seconds 60; content:"a"; sid:10;)', [("payload", b"aaaa")]),
        "header": (0x06, "VG_APP_UNKNOWN", 1, 2,
                   'alert tcp any any -> any any (flags:PA; window:512; ttl:64; dsize:1; sid:11;)', [("payload", b"x")]),
        "tls": (2, "VG_APP_TLS", 40000, 443,
                'alert tls any any -> any any (tls.sni; content:"bad"; tls.cert_subject; '
                'content:"CN="; ja3.hash; content:"e7d705a3286e19ea42f587b344ee6865"; '
                'ssl_version:tls1.2; sid:12;)',
                [("VG_BUF_TLS_SNI", b"bad.example"), ("VG_BUF_TLS_CERT_SUBJECT", b"CN=bad"),
                 ("VG_BUF_JA3_HASH", b"e7d705a3286e19ea42f587b344ee6865"),
                 ("VG_BUF_TLS_CLIENT_VERSION", b"\x03\x03")]),
        "stream": (0x0a, "VG_APP_UNKNOWN", 40000, 80,
                   'alert tcp any any -> any any (flow:established,only_stream; content:"GET"; '
                   'content:"passwd"; distance:0; sid:13;)', [("payload", get)]),
    }
    for name, (flags, proto, sp, dp, rules, chunks) in sorted(cases.items()):
        seed("detect", name, inp(flags, proto, sp, dp, rules, chunks))
    # the whole own set (the first 8 of them) over an HTTP request
    seed("detect", "own", inp(2, "VG_APP_HTTP", 40000, 80, OWN_RULES.strip("\n"),
                              [("payload", get), ("VG_BUF_HTTP_URI", b"/login")]))


def gen_asn1():
    """[flags][absolute_offset:2][relative_offset:2][oversize_length:4][buffer_offset:2][payload]
    (fuzz_asn1.c) with BER payloads: nested definite and indefinite containers, a GSS token,
    the three checks' triggers, strings and times of each checked type."""
    def hdr(flags, ab=0, rel=0, over=0, boff=0):
        return struct.pack("!BHhIH", flags, ab, rel, over, boff)
    ber = {
        "bitstring": "030110",
        "real": "09820101" + "05" * 257,
        "seq": "3011" + "0201050403414243" + "0500" + "0603550403",
        "indef": "3080" + "3080" + "030110" + "0000" + "a080" + "0401ff" + "0000" + "0000",
        "gss": "6032" + "06062b0601050502" + "a028" + "3026" + "a00e300c060a2b06010401823702020a"
               + "a2140412" + "4e544c4d5353500001000000" + "00" * 6,
        "strings": "0c02c3a4" "13024142" "16014a" "1a0141" "1e020041" "1203313233"
                   "170d3931303530363233343534305a" "180f32303231303530363233343534305a",
        "tags": "1f8101020000" + "9f8080808101" + "00" + "c30110" + "0a0400ffffff",
        "deep": "3080" * 60 + "030110" + "0000" * 60,
    }
    for name, h in sorted(ber.items()):
        seed("asn1", name, hdr(0x07) + bytes.fromhex(h))
    seed("asn1", "absolute", hdr(0x0f, ab=2) + bytes.fromhex("4141030110"))
    seed("asn1", "relative", hdr(0x17, rel=-2, boff=4) + bytes.fromhex("4141030110"))
    seed("asn1", "frames", hdr(0x01) + bytes.fromhex("0500" * 300 + "030110"))


def gen_config():
    with open(os.path.join(ROOT, "src", "common", "config.c")) as f:
        src = f.read()
    keys = re.findall(r'\{"([a-z0-9_.\-]+)", (T_[A-Z]+), ("[^"]*"|NULL)', src)
    # One file setting every known key to a value of its type, nested as Suricata writes them.
    tree = {}
    for k, t, dflt in keys:
        v = {"T_BOOL": "yes", "T_UINT": "4", "T_SIZE": "64mb"}.get(t, "x")
        if dflt != "NULL" and t in ("T_STR",):
            v = dflt.strip('"') or "x"
        node = tree
        parts = k.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = v

    def dump(node, ind=0):
        out = ""
        for k, v in node.items():
            if isinstance(v, dict):
                out += " " * ind + k + ":\n" + dump(v, ind + 2)
            else:
                out += " " * ind + "%s: %s\n" % (k, v)
        return out
    seed("config", "all_keys", "%YAML 1.1\n---\n" + dump(tree))
    seed("config", "vars", "vars:\n  address-groups:\n    HOME_NET: \"[10.0.0.0/8,192.168.0.0/16]\"\n"
                           "    EXTERNAL_NET: \"!$HOME_NET\"\n  port-groups:\n    HTTP_PORTS: \"80\"\n"
                           "    SHELLCODE_PORTS: \"!80\"\n")
    seed("config", "flow_style", "stream: {midstream: true, memcap: 1gb}\nflow: {memcap: 128mb}\n")
    seed("config", "anchors", "base: &b\n  midstream: true\nstream:\n  <<: *b\n")
    seed("config", "list", "rule-files:\n  - a.rules\n  - b.rules\noutputs:\n  - eve-log:\n"
                           "      enabled: yes\n")
    seed("config", "unknown_key", "nope:\n  really: 1\n")
    seed("config", "bad_types", "stream:\n  midstream: maybe\n  memcap: -5kb\n")
    seed("config", "broken", "stream:\n  midstream: [unclosed\n\t- tab")
    seed("config", "multi_doc", "---\nstream:\n  midstream: true\n---\nflow:\n  memcap: 1\n...\n")
    seed("config", "tags", "!!map {? !!str stream : !!map {? !!str midstream : !!bool true}}\n")


def gen_pcap():
    import tempfile
    pkts = [(1_600_000_000_000_000 + i * 1000, p) for i, p in enumerate(
        [pl.frame(6, C4, S4, sport=1, dport=80, flags=2),
         pl.frame(17, C4, S4, sport=53, dport=53, payload=b"abc"),
         pl.frame(6, C6, S6, sport=1, dport=80, flags=0x18, payload=b"GET / HTTP/1.1\r\n\r\n")])]
    d = tempfile.mkdtemp()
    try:
        def put(name, fn, *a, **kw):
            path = os.path.join(d, name)
            fn(path, *a, **kw)
            with open(path, "rb") as f:
                data = f.read()
            seed("pcap", name, data)
            return data
        full = put("eth.pcap", pl.write_pcap, pkts)
        put("eth.pcapng", pl.write_pcapng, pkts)
        put("raw.pcap", pl.write_pcap, [(t, p[14:]) for t, p in pkts], linktype=101)
        put("null.pcap", pl.write_pcap, [(t, struct.pack("<I", 2) + p[14:]) for t, p in pkts[:2]],
            linktype=0)
        put("snap64.pcap", pl.write_pcap, [(t, p[:64], len(p)) for t, p in pkts], snaplen=64)
        put("unsupported_lt.pcap", pl.write_pcap, pkts[:1], linktype=147)
        seed("pcap", "truncated_record.pcap", full[:-10])
        seed("pcap", "truncated_header.pcap", full[:30])
        seed("pcap", "huge_caplen.pcap", full[:24] + struct.pack("<IIII", 1, 0, 0x7FFFFFFF, 10)
             + b"\0" * 16)
        be = bytearray(struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, p in pkts:
            be += struct.pack(">IIII", t // 1000000, t % 1000000, len(p), len(p)) + p
        seed("pcap", "bigendian.pcap", bytes(be))
        seed("pcap", "nsec.pcap", struct.pack("<I", 0xA1B23C4D) + full[4:])
    finally:
        shutil.rmtree(d)


# ---- dictionaries ----------------------------------------------------------------------------

def write_dict(name, tokens):
    path = os.path.join(HERE, "dict", name + ".dict")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("# %s.dict — generated by tests/fuzz/make_seeds.py\n" % name)
        seen = set()
        for t in tokens:
            if isinstance(t, str):
                t = t.encode()
            if t in seen or not t:
                continue
            seen.add(t)
            esc = "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else "\\x%02X" % b
                          for b in t)
            f.write('"%s"\n' % esc)


def gen_dicts():
    write_dict("http", ["GET", "POST", "HEAD", "PUT", "CONNECT", "OPTIONS", "HTTP/1.1", "HTTP/1.0",
                        "\r\n", "\r\n\r\n", ": ", "Host", "Content-Length", "Transfer-Encoding",
                        "chunked", "Content-Encoding", "gzip", "deflate", "Content-Type",
                        "multipart/form-data; boundary=", "Content-Disposition", "filename=",
                        "Expect", "100-continue", "Upgrade", "Connection", "Cookie", "User-Agent",
                        "Referer", "Location", "Server", "Content-Range", "Range", "%u", "%2e",
                        "../", "//", "?", "#", "HTTP/1.1 200 OK", "HTTP/1.1 100 Continue",
                        "HTTP/1.1 101 Switching Protocols", "\x1f\x8b\x08", "0\r\n\r\n", ";"])
    write_dict("rules", sorted(set(re.findall(r'ROW\w*\("([a-z0-9_.\-]+)"',
                                              open(os.path.join(ROOT, "src", "detect",
                                                                "rule_kwtable.c")).read())))
               + ["alert", "drop", "pass", "reject", "tcp", "udp", "icmp", "ip", "http", "dns",
                  "tls", "ssh", "any", "->", "<>", "$HOME_NET", "$EXTERNAL_NET", "!", "[", "]",
                  ":", ";", "(", ")", ",", "\"", "|", "\\", "to_server", "established",
                  "relative", "by_src", "by_dst", "type limit", "config classification: ",
                  "threshold gen_id 1, sig_id ", "suppress gen_id 1, sig_id ", "track by_src",
                  " ip ", "sid:", "msg:", "content:", "pcre:\"/"])
    with open(os.path.join(ROOT, "src", "common", "config.c")) as f:
        keys = re.findall(r'\{"([a-z0-9_.\-]+)", T_', f.read())
    write_dict("config", [p for k in keys for p in k.split(".")]
               + [": ", "\n  ", "- ", "yes", "no", "true", "false", "64mb", "1gb", "512kb",
                  "vars", "address-groups", "port-groups", "HOME_NET", "---", "...", "&a", "*a",
                  "<<", "!!str", "{", "}", "[", "]", "%YAML 1.1", "\"", "'"])
    write_dict("smtp", ["EHLO ", "HELO ", "MAIL FROM:", "RCPT TO:", "DATA\r\n", "BDAT ", " LAST",
                        "STARTTLS\r\n", "RSET\r\n", "QUIT\r\n", "\r\n.\r\n", "\r\n", "220 ",
                        "250-", "250 ", "354 ", "554 ", "Content-Type: ", "multipart/mixed",
                        "; boundary=", "--", "Content-Transfer-Encoding: ", "base64",
                        "quoted-printable", "Content-Disposition: attachment; filename=",
                        "; name=", "=\r\n", "=3D", "From: ", "To: ", "Cc: ", "\r\n\t", "http://",
                        "text/html"])
    write_dict("dns", [b"\xc0\x0c", b"\x00\x01\x00\x01", b"\x00\x1c\x00\x01", b"\x00\x29",
                       b"\x81\x80", b"\x01\x00", b"\x03www", b"\x07example\x03com\x00"])
    write_dict("tls", [b"\x16\x03\x01", b"\x16\x03\x03", b"\x14\x03\x03\x00\x01\x01",
                       b"\x17\x03\x03", b"\x15\x03\x03", b"\x00\x00", b"\x00\x10", b"\x00\x2b",
                       b"\x00\x0a", b"\x00\x0b", b"\x00\x0d", b"\x0a\x0a", b"\x30\x82",
                       b"\x06\x03\x55\x04\x03", b"\x06\x03\x55\x1d\x11", b"\x03\x04", b"\x13\x01"])
    write_dict("ftp", ["USER ", "PASS ", "PORT ", "EPRT |1|", "PASV", "EPSV", "RETR ", "STOR ",
                       "AUTH TLS", "FEAT", "\r\n", "220 (", "227 ", "229 ", "234 ", "150 ",
                       "211-", "(|||", "|)", ",", "1,2,3,4,5,6"])
    write_dict("ssh", ["SSH-2.0-", "SSH-1.99-", "SSH-1.5-", "\r\n", "OpenSSH_", b"\x14",
                       b"\x15", b"\x00\x00\x00\x0c\x0a\x15", "curve25519-sha256", "ssh-ed25519"])
    write_dict("geo", [b"\xab\xcd\xefMaxMind.com", "binary_format_major_version",
                       "binary_format_minor_version", "build_epoch", "database_type", "ip_version",
                       "node_count", "record_size", "languages", "description", "country",
                       "iso_code", "autonomous_system_number", "autonomous_system_organization",
                       "registered_country", "city", "names", "en", "ipv4", "ipv6", "asn",
                       "allocated", "assigned", "summary", "\t", "|", ","])
    ledger_words = ['"seq":', '"type":', '"open"', '"alert"', '"evidence"', '"checkpoint"',
                    '"prev":"', '"hash":"', '"sig":"', '"key_id":"', '"head_seq":',
                    '"final":true', '"final":false', '"file":"', '"sha256":"', '"size":',
                    '"packets":', '"truncated":', '"eve_sha256":"', '"public_key":"',
                    '"packet":', "flow-1.pcap", "flow-2.pcap", "0" * 64, "\n", "{", "}",
                    "../", "/"]
    write_dict("ledger", ledger_words)
    write_dict("bundle", ledger_words + ['"vigil_bundle":1', '"alerts":[', '"first_seq":',
                                         '"last_seq":', '"from":"', '"to":"', '"source":"',
                                         '"created":"', "[", "]", ","])
    write_dict("web", ["GET ", "POST ", "HEAD ", " HTTP/1.1\r\n", " HTTP/1.0\r\n", "\r\n\r\n",
                       "/api/v1/", "report", "alerts", "incidents", "status", "/pcap", "?", "&",
                       "=", "%", "from=", "to=", "sensor=", "category=", "country=", "top=",
                       "limit=", "cursor=", "attacker=", "victim=", "asn=", "sid=", "certainty=",
                       "run=", "incident=", "Authorization: Bearer ", "fuzz-token",
                       "Cookie: vigil_token=", "Content-Length: ", "Transfer-Encoding: chunked",
                       "/login", "/vendor/", "../", "%2e%2e", "%2f", "Host: ",
                       # values that select rows of the harness's populated store (fuzz_web.c)
                       "sensor-a", "sensor-b", "scanning", "brute-force", "exploitation-attempt",
                       "policy-info", "command-and-control", "verified", "spoofable", "inferred",
                       "CN", "RU", "??", "2023-11-15", "2023-11-20T10:00:00Z", "203.0.113.5",
                       "2001:db8::1", "10.0.1.2", "64501", "2000003", "/api/v1/alerts/",
                       "/api/v1/incidents", "/pcap", "/index.html", "/login.html", "/app.js",
                       "Connection: keep-alive\r\n"])
    write_dict("pcap", [b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1",
                        b"\x0a\x0d\x0d\x0a", b"\x4d\x3c\x2b\x1a", b"\x01\x00\x00\x00",
                        b"\x06\x00\x00\x00", b"\x02\x00\x04\x00", b"\xff\xff\x00\x00",
                        b"\x08\x00", b"\x86\xdd"])


def gen_geo():
    """Geo databases: MMDB files from tests/attrib/mmdb_writer.py and the three text range
    formats (tor geoip/geoip6, iptoasn TSV, RIR delegated), written here."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "attrib"))
    import ipaddress
    import tempfile
    from mmdb_writer import MMDBWriter
    out = corpora.setdefault("geo", [])
    for ver, rs in ((4, 24), (6, 28), (6, 32)):
        w = MMDBWriter(ip_version=ver, database_type="GeoLite2-City", record_size=rs,
                       build_epoch=1700000000)
        w.insert(ipaddress.ip_network("81.2.69.0/24" if ver == 4 else "::81.2.69.0/120"),
                 {"country": {"iso_code": "GB", "names": {"en": "United Kingdom"}},
                  "city": {"names": {"en": "London"}}})
        w.insert(ipaddress.ip_network("1.0.0.0/24" if ver == 4 else "::1.0.0.0/120"),
                 {"autonomous_system_number": 13335,
                  "autonomous_system_organization": "CLOUDFLARENET"})
        if ver == 6:
            w.insert(ipaddress.ip_network("2001:db8::/32"),
                     {"country": {"iso_code": "DE"}, "registered_country": {"iso_code": "FR"}})
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "x.mmdb")
            w.write(path)
            with open(path, "rb") as f:
                out.append(("mmdb_v%d_rs%d" % (ver, rs), f.read()))
    out.append(("tor_v4", b"# comment\n16777216,16777471,AU\n16777472,16778239,CN\n"
                          b"3758096384,3758096639,??\n"))
    out.append(("tor_v6", b"2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP\n"))
    out.append(("iptoasn", b"1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n"
                           b"1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n"
                           b"2001:db8::\t2001:db8::ffff\t64500\tDE\tExample AS\n"))
    out.append(("rir", b"2|ripencc|20240501|5|19830705|20240430|+0100\n"
                       b"ripencc|*|ipv4|*|3|summary\n"
                       b"ripencc|DE|ipv4|2.160.0.0|1048576|20100712|allocated|x\n"
                       b"ripencc|FR|ipv4|5.39.0.0|768|20120326|assigned|y\n"
                       b"ripencc||ipv4|5.40.0.0|256||available|\n"
                       b"ripencc|NL|ipv6|2001:610::|32|19990819|allocated|z\n"
                       b"ripencc|EU|asn|1|1|19930901|allocated|w\n"))


def gen_ledger():
    """Evidence ledgers as `vigil verify` reads them (tests/fuzz/fuzz_ledger.c): a chain with
    correct hashes, the two evidence files the harness creates, and checkpoints signed with the
    harness's fixed key (Ed25519 from 32 bytes of 0x11; needs python's cryptography package);
    then one eve.json with the alerts, and damaged variants of each kind verify reports."""
    import hashlib
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization
    sk = Ed25519PrivateKey.from_private_bytes(b"\x11" * 32)
    pk = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = hashlib.sha256(pk).hexdigest()[:16]
    files = {"flow-1.pcap": b"vigil fuzz evidence file 1\n", "flow-2.pcap": b"vigil fuzz evidence file 2\n"}
    eve_lines = [b'{"timestamp":"2024-01-01T00:00:0%d.000000+0000","flow_id":%d,"event_type":"alert",'
                 b'"alert":{"signature_id":1}}' % (i, i) for i in (1, 2)]

    def chain(entries):
        out, prev = [], "0" * 64
        for seq, (kind, members) in enumerate(entries, 1):
            if kind == "checkpoint":
                msg = "vigil-ledger-v1 checkpoint key=%s head=%d hash=%s final=%d" % (
                    key_id, seq - 1, prev, 1 if members.get("final") else 0)
                members = dict(time="2024-01-01T00:00:09Z", head_seq=seq - 1,
                               final=bool(members.get("final")), key_id=key_id,
                               sig=sk.sign(msg.encode()).hex())
            body = json.dumps(dict(seq=seq, type=kind, **members, prev=prev),
                              separators=(",", ":"))
            h = hashlib.sha256((body[:-1] + "}").encode()).hexdigest()
            line = body[:-1] + ',"hash":"%s"}' % h
            out.append(line.encode())
            prev = h
        return out

    entries = [("open", dict(time="2024-01-01T00:00:00Z", sensor="fuzz", version="0.1.0",
                             key_id=key_id, public_key=pk.hex()))]
    for i in (1, 2):
        entries.append(("alert", dict(timestamp="2024-01-01T00:00:0%d.000000+0000" % i, flow_id=i,
                                      signature_id=1,
                                      eve_sha256=hashlib.sha256(eve_lines[i - 1]).hexdigest(),
                                      file="flow-%d.pcap" % i, packet=1)))
    entries.append(("checkpoint", {}))
    for i in (1, 2):
        data = files["flow-%d.pcap" % i]
        entries.append(("evidence", dict(timestamp="2024-01-01T00:00:0%d.000000+0000" % i,
                                         flow_id=i, file="flow-%d.pcap" % i,
                                         sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                                         packets=1, truncated=False)))
    entries.append(("checkpoint", {"final": True}))
    good = chain(entries)
    eve = b"\n".join(eve_lines) + b"\n"

    def seed(name, eve_bytes, lines, tail=b"\n"):
        corpora.setdefault("ledger", []).append(
            (name, struct.pack(">H", len(eve_bytes)) + eve_bytes + b"\n".join(lines) + tail))

    seed("complete", eve, good)
    seed("no_eve", b"", good)
    seed("unsigned_tail", eve, good[:-1])
    seed("cut_line", eve, good[:-1] + [good[-1][:40]], b"")
    seed("altered", eve, good[:1] + [good[1].replace(b'"packet":1', b'"packet":2')] + good[2:])
    seed("reordered", eve, [good[0], good[2], good[1]] + good[3:])
    seed("removed", eve, good[:2] + good[3:])
    seed("bad_sig", eve, good[:3] + [good[3].replace(b'"sig":"', b'"sig":"00', 1)] + good[4:])
    seed("two_runs", eve, good + chain(entries)[0:1])

    # Bundles (tests/fuzz/fuzz_bundle.c): [flags][bundle_len:2][bundle.json] + a ledger seed.
    # An export of alert 2 (flow-1.pcap) is the segment from entry 2 to the first checkpoint
    # after it plus the entry sealing its file; of both alerts, the whole ledger.
    def bundle(name, flags, desc, eve_bytes, lines, tail=b"\n"):
        bj = json.dumps(desc, separators=(",", ":")).encode() + b"\n"
        corpora.setdefault("bundle", []).append(
            (name, bytes([flags]) + struct.pack(">H", len(bj)) + bj +
             struct.pack(">H", len(eve_bytes)) + eve_bytes + b"\n".join(lines) + tail))

    def desc(alerts, first, last):
        return dict(vigil_bundle=1, created="2024-01-02T00:00:00Z", source="/var/log/vigil",
                    first_seq=first, last_seq=last, alerts=alerts)

    one_eve = eve_lines[0] + b"\n"
    segment = good[1:]
    bundle("one_alert", 0, desc([2], 2, 7), one_eve, segment)
    bundle("one_alert_own_key", 1, desc([2], 2, 7), one_eve, segment)
    bundle("both", 0, desc([2, 3], 2, 7), eve, segment)
    bundle("no_match", 0, desc([99], 2, 7), one_eve, segment)
    bundle("altered", 1, desc([2], 2, 7), one_eve,
           [segment[0].replace(b'"packet":1', b'"packet":2')] + segment[1:])
    bundle("cut", 0, desc([2, 3], 2, 7), eve, segment[:3])
    bundle("bad_json", 0, {"alerts": "2"}, one_eve, segment)
    corpora["bundle"].append(("not_json", b"\x00\x00\x05{[,}\n" + b"\x00\x00" +
                              b"\n".join(segment) + b"\n"))


def gen_web():
    """HTTP requests to vigil serve (tests/fuzz/fuzz_web.c): [selector][request]; selector bit 0
    picks the server with a token."""
    out = corpora.setdefault("web", [])
    reqs = [
        (0, b"GET /api/v1/report HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
        (0, b"GET /api/v1/report?from=2024-01-01&to=2024-02-01&country=CN&category=scanning&top=5"
            b" HTTP/1.1\r\nHost: x\r\n\r\n"),
        (0, b"GET /api/v1/alerts?limit=10&cursor=99&attacker=10.0.0.1&sid=1&certainty=verified"
            b" HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/incidents?victim=2001:db8::1&run=1&limit=1000 HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/alerts/1 HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/alerts/1/pcap HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/status HTTP/1.0\r\n\r\n"),
        (0, b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n\r\n"),
        (0, b"GET /vendor/../../vigil.db HTTP/1.1\r\n\r\n"),
        (0, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"
            b"GET /app.js HTTP/1.1\r\nHost: a\r\n\r\n"),
        (1, b"GET /api/v1/report HTTP/1.1\r\nAuthorization: Bearer fuzz-token\r\n\r\n"),
        (1, b"GET /api/v1/alerts HTTP/1.1\r\nCookie: vigil_token=wrong\r\n\r\n"),
        (1, b"POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 16\r\n\r\ntoken=fuzz-token"),
        (1, b"POST /login HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\ntoken\r\n0\r\n\r\n"),
        (0, b"GET /api/v1/report?from=%ZZ&to=&&=x&country=%00 HTTP/1.1\r\n\r\n"),
        # over the populated store (fuzz_web.c populate()): pages, cursors, each filter,
        # alerts whose evidence is verified (1), changed (4), unsealed (7), missing (10), not
        # in the ledger (13, 16), and alerts of runs the API does not count (310: a failed
        # run, 335: a run still running)
        (0, b"GET /api/v1/alerts?limit=7 HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/alerts?limit=7&cursor=290 HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/alerts?sensor=sensor-a&category=scanning&country=CN&limit=3"
            b" HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/alerts?asn=64501&sid=2000003&certainty=spoofable HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/alerts?attacker=2001:db8::1&country=?? HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/alerts?victim=10.0.1.2&run=2&incident=40&from=2023-11-15"
            b"&to=2023-11-20T10:00:00Z HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/incidents?limit=5&cursor=30&category=brute-force HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/incidents?attacker=203.0.113.5&victim=10.0.1.2&run=1 HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/report?sensor=sensor-b&top=3&from=2023-11-16 HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/alerts/1 HTTP/1.1\r\n\r\nGET /api/v1/alerts/1/pcap HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/alerts/4/pcap HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/alerts/7 HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/alerts/10/pcap HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/alerts/13 HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/alerts/16/pcap HTTP/1.1\r\n\r\n"),
        (0, b"GET /api/v1/alerts/310 HTTP/1.1\r\n\r\n"),
        (1, b"GET /api/v1/alerts/335 HTTP/1.1\r\nAuthorization: Bearer fuzz-token\r\n\r\n"),
        (1, b"GET /api/v1/incidents?limit=1000 HTTP/1.1\r\nCookie: vigil_token=fuzz-token\r\n\r\n"),
    ]
    for i, (sel, r) in enumerate(reqs):
        out.append(("req%02d" % i, bytes([sel]) + r))


def main():
    for g in (gen_decode, gen_defrag, gen_stream, gen_http, gen_dns, gen_tls, gen_ssh, gen_ftp, gen_smtp,
              gen_rules, gen_detect, gen_asn1,
              gen_config, gen_pcap, gen_geo, gen_ledger, gen_web):
        g()
    total = 0
    for h, items in corpora.items():
        d = os.path.join(HERE, "corpus", h)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in items:
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            total += len(data)
    gen_dicts()
    print("make_seeds: %d seeds, %d bytes, in %s" % (sum(len(v) for v in corpora.values()),
                                                      total, os.path.join(HERE, "corpus")))


if __name__ == "__main__":
    main()
