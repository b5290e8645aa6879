#!/usr/bin/env python3
"""Adversarial traffic (issue 13): captures shaped by an attacker who targets the sensor itself.

usage: test_adversarial.py --vigil PATH [--sanitized] [--report FILE] CASE

Each CASE builds its capture here (nothing is taken from elsewhere), runs `vigil read` with small
caps so that they are certain to be hit, and checks that
  * the run ends normally (exit 0) with no sanitizer report,
  * the counters of the caps show they were hit, and the memory-use counters stay under the caps,
  * every packet is still accounted for (decoder.pkts, flow events, flow.total),
  * peak resident memory stays under a budget: the same run on a tiny capture plus the caps plus
    a fixed allowance (only checked on unsanitized builds: AddressSanitizer's shadow memory and
    quarantine make RSS meaningless),
  * throughput stays within a stated factor of ordinary traffic of the same packet count (the
    `flood` case; loose, because CI machines are noisy).
--report appends one line per case (packets, seconds, peak RSS) to FILE, for bench/RESULTS.md.
"""
import argparse
import json
import os
import random
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import pktlib as P  # noqa: E402

ARGS = None
TMP = None
MB = 1 << 20
ETH = bytes.fromhex("000102030405000607080910") + b"\x08\x00"
T0 = 1_700_000_000 * 1_000_000


class Pcap:
    """Streams packets to a classic pcap file (no checksums: runs use -k none)."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.n = 0

    def add(self, ts, frame):
        self.f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(frame), len(frame)))
        self.f.write(frame)
        self.n += 1

    def close(self):
        self.f.close()
        return self.n


def ip4(src, dst, proto, payload, ident=0, frag=0):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                       src, dst) + payload


def tcp(sp, dp, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload


def udp(sp, dp, payload):
    return struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload


def a4(s):
    return bytes(int(x) for x in s.split("."))


def run(pcap, *sets, workers=2, expect=0):
    """Runs vigil read; returns (stats of the final stats event, events by type, seconds, rss)."""
    d = tempfile.mkdtemp(dir=TMP)
    cmd = [ARGS.vigil, "read", pcap, "-l", d, "-k", "none", "--no-progress", "-q",
           "--workers", str(workers)]
    for s in sets:
        cmd += ["--set", s]
    env = dict(os.environ, TZ="UTC")
    t = time.monotonic()
    with open(os.path.join(d, "stderr.txt"), "w+") as ef:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=ef, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        dt = time.monotonic() - t
        ef.seek(0)
        err = ef.read()
    rc = p.returncode
    if rc != expect:
        raise AssertionError("exit %d (wanted %d): %s\n%s" % (rc, expect, " ".join(cmd), err))
    for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer", "ThreadSanitizer"):
        assert bad not in err, "sanitizer report:\n" + err
    counts, stats = {}, None
    with open(os.path.join(d, "eve.json")) as f:
        for line in f:
            ev = json.loads(line)
            counts.setdefault(ev["event_type"], []).append(ev)
            if ev["event_type"] == "stats":
                stats = ev["stats"]
    assert stats and stats.get("final"), "no final stats event"
    shutil.rmtree(d, ignore_errors=True)
    # The process's own peak (VmHWM, in the final stats): rusage's maxrss of a child also counts
    # the parent's pages it started from, and this script is large after reading eve.json.
    return stats, counts, dt, stats["memory"]["rss_peak"]


BASE_RSS = None


def base_rss(*sets):
    """Peak RSS of the same configuration on a one-packet capture: what the caps add to."""
    path = os.path.join(TMP, "one.pcap")
    if not os.path.exists(path):
        w = Pcap(path)
        w.add(T0, ETH + ip4(a4("10.0.0.1"), a4("10.0.0.2"), 6, tcp(1, 2, 1, 0, 2)))
        w.close()
    return run(path, *sets)[3]


def check_rss(name, rss, caps_bytes, *sets, allowance=48 * MB):
    base = base_rss(*sets)
    budget = base + caps_bytes + allowance
    line = "%s: peak RSS %.1f MiB (one-packet run %.1f MiB, caps %.1f MiB)" % (
        name, rss / MB, base / MB, caps_bytes / MB)
    print(line)
    if ARGS.sanitized:
        print("  (sanitized build: RSS not checked)")
        return
    assert rss <= budget, "%s exceeds the budget %.1f MiB" % (line, budget / MB)


def report(name, packets, secs, rss):
    if ARGS.report:
        with open(ARGS.report, "a") as f:
            f.write("%s\t%d packets\t%.2f s\t%.0f kpkt/s\t%.1f MiB peak\n"
                    % (name, packets, secs, packets / secs / 1e3, rss / MB))


def g(stats, dotted):
    v = stats
    for k in dotted.split("."):
        v = v[k]
    return v


# --- cases ---------------------------------------------------------------------------------

def case_flood():
    """SYN, UDP and ICMP floods from spoofed sources (every packet a new flow) against small
    flow and session caps: the table stays within its cap by ending the oldest flows early,
    and every packet still ends up in a flow event."""
    n = ARGS.packets
    rnd = random.Random(13)
    path = os.path.join(TMP, "flood.pcap")
    w = Pcap(path)
    victim = a4("192.0.2.10")
    for i in range(n):
        src = struct.pack("!I", rnd.getrandbits(32) | 0x01000000)
        k = i % 10
        if k < 7:
            l4, proto = tcp(rnd.randrange(1024, 65535), 80, rnd.getrandbits(32), 0, 0x02), 6
        elif k < 9:
            l4, proto = udp(rnd.randrange(1024, 65535), 53, b"\0" * 12), 17
        else:
            l4, proto = struct.pack("!BBHHH", 8, 0, 0, i & 0xFFFF, 1) + b"x" * 32, 1
        w.add(T0 + i * 10, ETH + ip4(src, victim, proto, l4, ident=i & 0xFFFF))
    w.close()
    sets = ("flow.memcap=4mb", "stream.session-memcap=1mb")
    st, ev, secs, rss = run(path, *sets)
    assert g(st, "decoder.pkts") == n
    assert g(st, "flow.total") == n, g(st, "flow")
    assert g(st, "flow.memcap") > 0, "the flow cap was never hit: %s" % g(st, "flow")
    assert g(st, "flow.end.reason.forced") > 0
    assert g(st, "flow.memuse") <= 4 * MB, g(st, "flow.memuse")
    assert g(st, "tcp.ssn_memcap_drop") > 0, g(st, "tcp")
    flows = ev.get("flow", [])
    assert len(flows) == n, "flow events %d, packets %d" % (len(flows), n)
    assert sum(f["flow"]["pkts_toserver"] + f["flow"]["pkts_toclient"] for f in flows) == n
    check_rss("flood", rss, 5 * MB, *sets)
    report("flood (spoofed SYN/UDP/ICMP)", n, secs, rss)
    # Throughput against ordinary traffic with the same packet count: a web-like mix of
    # complete TCP conversations (vigil-gen's shape, written here).
    path2 = os.path.join(TMP, "normal.pcap")
    w = Pcap(path2)
    i = 0
    while w.n < n:
        c, s = struct.pack("!I", 0x0A000000 | (i & 0xFFFF)), a4("198.51.100.7")
        sp, ts = 1024 + i % 60000, T0 + i * 1000
        for j, (fr, to, fl, data) in enumerate([
                (c, s, 0x02, b""), (s, c, 0x12, b""), (c, s, 0x10, b""),
                (c, s, 0x18, b"GET /index.html HTTP/1.1\r\nHost: example.test\r\n\r\n"),
                (s, c, 0x18, b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n" + b"a" * 200),
                (c, s, 0x11, b""), (s, c, 0x11, b""), (c, s, 0x10, b"")]):
            sport, dport = (sp, 80) if fr == c else (80, sp)
            w.add(ts + j, ETH + ip4(fr, to, 6, tcp(sport, dport, 1000, 1000, fl, data)))
        i += 1
    w.close()
    st2, _, secs2, _ = run(path2)
    rate, rate2 = n / secs, g(st2, "decoder.pkts") / secs2
    print("flood %.0f kpkt/s, ordinary traffic %.0f kpkt/s (ratio %.2f)"
          % (rate / 1e3, rate2 / 1e3, rate / rate2))
    assert rate >= rate2 / 5, "the flood is more than 5x slower than ordinary traffic"


def case_fragments():
    """Fragments that never complete (first fragments of distinct datagrams), then every kind
    of overlap: the tracker and memory caps are hit, the run goes on, nothing crashes."""
    n = ARGS.packets // 4
    path = os.path.join(TMP, "frags.pcap")
    w = Pcap(path)
    rnd = random.Random(5)
    for i in range(n):  # never complete: only a first fragment (MF set), distinct ids
        src = struct.pack("!I", 0x0B000000 | rnd.getrandbits(24))
        body = udp(4000, 53, b"q" * 1200)[:1200]
        w.add(T0 + i * 10, ETH + ip4(src, a4("192.0.2.20"), 17, body, ident=i & 0xFFFF,
                                     frag=0x2000))
    ts = T0 + n * 10
    # Overlaps: a datagram of 3 x 64 bytes, then fragments that overlap the others in every
    # way (same start, inside, covering, straddling the start, straddling the end, duplicate).
    shapes = [(0, 64), (0, 32), (8, 16), (0, 128), (32, 64), (56, 32), (64, 64), (128, 64)]
    for d in range(300):
        ident = 40000 + d
        src, dst = a4("10.9.%d.%d" % (d // 250, d % 250 + 1)), a4("192.0.2.21")
        payload = bytes(rnd.getrandbits(8) for _ in range(192))
        order = list(range(len(shapes)))
        rnd.shuffle(order)
        for k in order:
            off, ln = shapes[k]
            last = off + ln >= 192
            data = bytes((b + k) & 0xFF for b in payload[off:off + ln])  # differing content
            w.add(ts, ETH + ip4(src, dst, 17, data, ident=ident,
                                frag=(off // 8) | (0 if last else 0x2000)))
            ts += 10
    w.close()
    sets = ("defrag.memcap=2mb", "defrag.trackers=2000")
    st, _, secs, rss = run(path, *sets)
    total = n + 300 * len(shapes)
    assert g(st, "decoder.pkts") == total
    assert g(st, "defrag.max_trackers_reached") + g(st, "defrag.memcap_exceeded") > 0, \
        g(st, "defrag")
    assert g(st, "defrag.ipv4.fragments") > 0
    # the gauges of the caps' use, summed over workers, stay within the process-wide caps
    assert 0 < g(st, "defrag.memuse") <= 2 * MB, g(st, "defrag")
    assert 0 < g(st, "defrag.trackers") <= 2000, g(st, "defrag")
    check_rss("fragments", rss, 2 * MB, *sets)
    report("fragments (never complete, overlapping)", total, secs, rss)


def case_tcp():
    """TCP against the reassembler: huge sequence gaps, an out-of-order storm, and
    retransmissions with changed content, under a small stream memcap."""
    path = os.path.join(TMP, "tcp.pcap")
    w = Pcap(path)
    rnd = random.Random(7)
    cli, srv = a4("10.1.0.1"), a4("192.0.2.30")
    ts = T0

    def pkt(sp, seq, flags, data=b"", to_server=True):
        nonlocal ts
        ts += 10
        if to_server:
            w.add(ts, ETH + ip4(cli, srv, 6, tcp(sp, 80, seq, 5001, flags, data)))
        else:
            w.add(ts, ETH + ip4(srv, cli, 6, tcp(80, sp, 5000, seq, flags, data)))

    sessions = max(4, ARGS.packets // 4000)
    for sidx in range(sessions):
        sp = 20000 + sidx
        pkt(sp, 1000, 0x02)
        pkt(sp, 1001, 0x12, to_server=False)
        pkt(sp, 1001, 0x10)
        base = 1001
        segs = [(base + 100 * k, bytes([65 + k % 26]) * 100) for k in range(1, 1000)]
        rnd.shuffle(segs)  # out-of-order storm; segment 0 missing until the end
        for seq, data in segs:
            pkt(sp, seq, 0x18, data)
        for k in range(1, 300):  # retransmissions of the same ranges with other bytes
            pkt(sp, base + 100 * k, 0x18, b"#" * 100)
        for k in range(200):  # huge gaps: far ahead of anything received
            pkt(sp, (base + 1_000_000 * (k + 1)) & 0xFFFFFFFF, 0x18, b"G" * 50)
        pkt(sp, base, 0x18, b"S" * 100)  # finally the first segment
    w.close()
    sets = ("stream.memcap=1mb",)
    st, _, secs, rss = run(path, *sets)
    assert g(st, "decoder.pkts") == w.n
    t = g(st, "tcp")
    assert t["segment_memcap_drop"] > 0, t
    assert t["overlap"] > 0 and t["overlap_diff_data"] > 0, t
    check_rss("tcp", rss, 1 * MB + 32 * MB, *sets)
    report("tcp (gaps, out-of-order storm, changed retransmissions)", w.n, secs, rss)


def dns_msg(qid, body_names, answers=b"", flags=0x8180, an=0):
    return struct.pack("!HHHHHH", qid, flags, 1, an, 0, 0) + body_names + answers


def case_dns():
    """DNS with compression loops, pointers out of the message, maximum-length and over-long
    names, and label lengths that run past the end."""
    path = os.path.join(TMP, "dns.pcap")
    w = Pcap(path)
    cli, srv = a4("10.2.0.1"), a4("192.0.2.53")
    q = struct.pack("!HH", 1, 1)
    label63 = b"\x3f" + b"a" * 63
    bad = [
        dns_msg(1, b"\xc0\x0c" + q),                                    # pointer to itself
        dns_msg(2, b"\x01a\xc0\x0e" + q),                                # a -> b -> a loop
        dns_msg(3, b"\xc0\xff" + q),                                     # pointer out of message
        dns_msg(4, label63 * 3 + b"\x3d" + b"b" * 61 + b"\x00" + q),     # 255-byte name
        dns_msg(5, label63 * 5 + b"\x00" + q),                           # over-long name
        dns_msg(6, b"\x40" + b"c" * 64 + b"\x00" + q),                   # label length 64
        dns_msg(7, b"\x30abc"),                                          # label past the end
        dns_msg(8, b"\x03www\x00" + q, answers=b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4)
                + b"\x01\x02\x03\x04" + b"\xc0\x1c" * 40, an=50),        # answers that loop
    ]
    ts = T0
    for i in range(ARGS.packets // 20):
        m = bad[i % len(bad)]
        ts += 10
        w.add(ts, ETH + ip4(cli, srv, 17, udp(30000 + i % 1000, 53, m[:2] + b"\x01\x00" + m[4:])))
        ts += 10
        w.add(ts, ETH + ip4(srv, cli, 17, udp(53, 30000 + i % 1000, m)))
    w.close()
    st, ev, secs, rss = run(path)
    assert g(st, "decoder.pkts") == w.n
    anomalies = [e for e in ev.get("anomaly", []) if e["anomaly"].get("type") == "applayer"]
    assert anomalies, "no app-layer anomaly for malformed DNS"
    check_rss("dns", rss, 0, )
    report("dns (compression loops, long names)", w.n, secs, rss)


def tcp_session(w, cli, srv, sp, dp, ts, client_data, server_data, seg=1400, ack_each=False,
                close=True):
    """Writes a TCP session; client_data and server_data are sent in order. ack_each: the server
    acknowledges each client segment; close=False: no FIN, the flow stays open until the end of
    the capture."""
    seq_c, seq_s = 1000, 9000

    def add(fr, to, a, b, s, ack, fl, data=b""):
        nonlocal ts
        ts += 5
        w.add(ts, ETH + ip4(fr, to, 6, tcp(a, b, s, ack, fl, data)))

    add(cli, srv, sp, dp, seq_c, 0, 0x02)
    add(srv, cli, dp, sp, seq_s, seq_c + 1, 0x12)
    seq_c += 1
    seq_s += 1
    add(cli, srv, sp, dp, seq_c, seq_s, 0x10)
    for i in range(0, len(client_data), seg):
        d = client_data[i:i + seg]
        add(cli, srv, sp, dp, seq_c, seq_s, 0x18, d)
        seq_c += len(d)
        if ack_each:
            add(srv, cli, dp, sp, seq_s, seq_c, 0x10)
    for i in range(0, len(server_data), seg):
        d = server_data[i:i + seg]
        add(srv, cli, dp, sp, seq_s, seq_c, 0x18, d)
        seq_s += len(d)
    if close:
        add(cli, srv, sp, dp, seq_c, seq_s, 0x11)
        add(srv, cli, dp, sp, seq_s, seq_c + 1, 0x11)
        add(cli, srv, sp, dp, seq_c + 1, seq_s + 1, 0x10)
    return ts


def case_http():
    """HTTP with tens of thousands of request headers, and a response whose chunked body never
    ends (a megabyte of one-byte chunks): bounded by the body limits, no crash."""
    path = os.path.join(TMP, "http.pcap")
    w = Pcap(path)
    cli, srv = a4("10.3.0.1"), a4("192.0.2.80")
    headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 20) for i in range(30000))
    req = b"GET /many HTTP/1.1\r\nHost: a.test\r\n" + headers + b"\r\n"
    ts = tcp_session(w, cli, srv, 40001, 80, T0, req, b"HTTP/1.1 204 No Content\r\n\r\n")
    req2 = b"GET /chunks HTTP/1.1\r\nHost: a.test\r\n\r\n"
    body = b"1\r\nX\r\n" * ((1 << 20) // 6) + b"ffffffffffff\r\n" + b"Y" * 5000
    resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    ts = tcp_session(w, cli, srv, 40002, 80, ts, req2, resp)
    # 400 connections that each leave a request with 10 KB of headers unfinished: the parser
    # states pile up until app-layer.memcap refuses new ones
    partial = b"GET /open HTTP/1.1\r\nHost: a.test\r\n" + headers[:10000]
    for i in range(400):
        ts = tcp_session(w, a4("10.3.%d.%d" % (1 + i // 200, 1 + i % 200)), srv, 41000, 80, ts,
                         partial, b"", ack_each=True, close=False)
    w.close()
    st, ev, secs, rss = run(path, "app-layer.protocols.http.response-body-limit=64kb",
                            "app-layer.memcap=2mb")
    assert g(st, "decoder.pkts") == w.n
    assert len(ev.get("http", [])) >= 2, "http transactions missing"
    assert g(st, "app_layer.memcap_exceeded") > 0, g(st, "app_layer")
    assert g(st, "app_layer.flow.http") + g(st, "app_layer.memcap_exceeded") >= 402
    # every state's bytes were given back when its flow ended: the gauge is 0 at the end
    assert g(st, "app_layer.memuse") == 0, g(st, "app_layer")
    print("http: app_layer", json.dumps(g(st, "app_layer")))
    check_rss("http", rss, 0)
    report("http (30k headers, endless chunked body)", w.n, secs, rss)


def case_tls():
    """TLS with a certificate chain of thousands of garbage certificates, a handshake message
    claiming 16 MB, and records longer than TLS allows."""
    path = os.path.join(TMP, "tls.pcap")
    w = Pcap(path)
    cli, srv = a4("10.4.0.1"), a4("192.0.2.43")

    def record(t, body):
        out = b""
        for i in range(0, len(body), 16000):
            part = body[i:i + 16000]
            out += struct.pack("!BHH", t, 0x0303, len(part)) + part
        return out

    def hs(t, body):
        return struct.pack("!B", t) + len(body).to_bytes(3, "big") + body

    hello = hs(1, struct.pack("!H", 0x0303) + b"r" * 32 + b"\x00" + struct.pack("!H", 2) +
               b"\x13\x01" + b"\x01\x00" + struct.pack("!H", 0))
    shello = hs(2, struct.pack("!H", 0x0303) + b"s" * 32 + b"\x00" + b"\x13\x01" + b"\x00"
                + struct.pack("!H", 0))
    certs = b"".join((30).to_bytes(3, "big") + b"\x30\x1c" + bytes(range(28)) for _ in range(1900))
    chain = hs(11, len(certs).to_bytes(3, "big") + certs)
    ts = tcp_session(w, cli, srv, 50001, 443, T0, record(22, hello),
                     record(22, shello + chain + hs(14, b"")))
    huge = hs(11, b"")[:1] + (0xFFFFFF).to_bytes(3, "big") + b"z" * 40000  # claims 16 MB
    ts = tcp_session(w, cli, srv, 50002, 443, ts, record(22, hello), record(22, shello + huge))
    oversized = struct.pack("!BHH", 22, 0x0303, 0xFFFF) + b"o" * 0xFFFF
    tcp_session(w, cli, srv, 50003, 443, ts, record(22, hello), oversized)
    w.close()
    st, ev, secs, rss = run(path)
    assert g(st, "decoder.pkts") == w.n
    assert ev.get("anomaly"), "malformed TLS raised no anomaly"
    check_rss("tls", rss, 0)
    report("tls (huge chain, oversized messages)", w.n, secs, rss)


def main():
    global ARGS, TMP
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--sanitized", action="store_true")
    ap.add_argument("--packets", type=int, default=200000)
    ap.add_argument("--report")
    ap.add_argument("case")
    ARGS = ap.parse_args()
    fn = globals().get("case_" + ARGS.case)
    if not fn:
        sys.exit("unknown case " + ARGS.case)
    TMP = tempfile.mkdtemp(prefix="vigil-adv-")
    try:
        fn()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print("ok:", ARGS.case)


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
