#!/usr/bin/env python3
"""Golden tests: small captures built here → the exact EVE lines Vigil must write.

Each case in CASES builds its packets with pktlib, writes CASE.pcap into a temporary folder, runs
`vigil read` (TZ=UTC, 1 worker) and compares the non-stats events, sorted, with CASE.jsonl in this
folder. UPDATE_GOLDEN=1 rewrites the .jsonl files (review the diff before committing).

usage: golden.py --vigil PATH [CASE...]
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import pktlib as P  # noqa: E402

T0 = 1_700_000_000_000_000


def http_get():
    c = P.TcpConv("192.168.1.10", 51000, "203.0.113.5", 80, ts=T0)
    c.handshake()
    c.send(True, b"GET /index.html?a=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: golden/1.0\r\n\r\n")
    c.send(False, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello")
    c.close()
    return c.pkts


def dns_udp():
    q = bytes.fromhex("abcd01000001000000000000") + b"\x07example\x03com\x00" + b"\x00\x01\x00\x01"
    r = bytes.fromhex("abcd81800001000100000000") + b"\x07example\x03com\x00" + b"\x00\x01\x00\x01" + \
        bytes.fromhex("c00c000100010000012c0004c0000201")
    return [(T0, P.frame(17, "192.168.1.10", "192.168.1.1", sport=40000, dport=53, payload=q)),
            (T0 + 900, P.frame(17, "192.168.1.1", "192.168.1.10", sport=53, dport=40000, payload=r))]


def vlan_icmp6():
    req = P.frame(58, "2001:db8::1", "2001:db8::2", vlans=(100, 200), icmp_type=128,
                  icmp_rest=b"\x12\x34\x00\x01", payload=b"ping")
    rep = P.frame(58, "2001:db8::2", "2001:db8::1", vlans=(100, 200), icmp_type=129,
                  icmp_rest=b"\x12\x34\x00\x01", payload=b"ping")
    # QinQ outer tag 0x88a8
    req = req[:12] + b"\x88\xa8" + req[14:]
    rep = rep[:12] + b"\x88\xa8" + rep[14:]
    return [(T0, req), (T0 + 500, rep)]


def fragments():
    udp = P.l4(17, "10.9.9.1", "10.9.9.2", sport=7000, dport=7001, payload=bytes(range(256)) * 6)
    a = P.ipv4("10.9.9.1", "10.9.9.2", 17, udp[:800], ident=77, more=True, total_len=820)
    b = P.ipv4("10.9.9.1", "10.9.9.2", 17, udp[800:], ident=77, frag_off=800, total_len=20 + len(udp) - 800)
    return [(T0 + 10, P.eth(b)), (T0 + 20, P.eth(a))]  # out of order


def anomalies():
    good = P.frame(6, "10.1.1.1", "10.1.1.2", sport=1, dport=2, flags=0x02)
    bad_ver = P.eth(b"\x65" + P.ipv4("10.1.1.1", "10.1.1.2", 17, b"\0" * 8)[1:])
    trunc_udp = P.eth(P.ipv4("10.1.1.1", "10.1.1.2", 17, b"\0\1\0\2"))
    return [(T0, good), (T0 + 1, bad_ver), (T0 + 2, trunc_udp)]


CASES = {f.__name__: f for f in (http_get, dns_udp, vlan_icmp6, fragments, anomalies)}


def run_case(vigil, name, tmp):
    pcap = os.path.join(tmp, name + ".pcap")
    P.write_pcap(pcap, CASES[name]())
    out = os.path.join(tmp, name)
    os.makedirs(out)
    r = subprocess.run([vigil, "read", pcap, "-l", out, "--workers", "1", "-q"],
                       env=dict(os.environ, TZ="UTC"), capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("%s: exit %d: %s" % (name, r.returncode, r.stderr))
    evs = [json.loads(l) for l in open(os.path.join(out, "eve.json"))]
    return sorted(json.dumps(e, sort_keys=True) for e in evs if e["event_type"] != "stats")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vigil-golden-")
    failed = 0
    try:
        for name in a.cases or sorted(CASES):
            got = run_case(a.vigil, name, tmp)
            path = os.path.join(HERE, name + ".jsonl")
            if os.environ.get("UPDATE_GOLDEN"):
                open(path, "w").write("".join(l + "\n" for l in got))
                print("updated", path)
                continue
            want = [l.rstrip("\n") for l in open(path)] if os.path.exists(path) else []
            if got != want:
                failed += 1
                print("FAIL %s" % name)
                for l in sorted(set(want) - set(got)):
                    print("  missing: " + l)
                for l in sorted(set(got) - set(want)):
                    print("  extra:   " + l)
            else:
                print("ok   %s (%d events)" % (name, len(got)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
