#!/usr/bin/env python3
"""Attribution end to end: captures made here, rules written here, a geo range file written here
→ every alert's "vigil" object names the right attacker, victim, certainty, category and country.

Cases (issue 5): an inbound exploit over a completed handshake; a spoofed-source UDP flood; a
C2 check-in from an internal host; an exfiltration upload; and a rule with target: overriding.
usage: test_attribution.py --vigil PATH
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pktlib as P  # noqa: E402

RULES = r"""
alert http any any -> $HOME_NET any (msg:"TEST exploit"; flow:established,to_server; http.uri; content:"/exploit"; classtype:web-application-attack; sid:1; rev:1;)
alert udp any any -> $HOME_NET 9999 (msg:"TEST flood"; content:"FLOOD"; classtype:attempted-dos; sid:2; rev:1;)
alert http $HOME_NET any -> any any (msg:"TEST C2 Checkin"; flow:established,to_server; http.uri; content:"/gate.php"; classtype:trojan-activity; sid:3; rev:1;)
alert http $HOME_NET any -> any any (msg:"TEST data exfiltration upload"; flow:established,to_server; http.request_body; content:"SECRET"; classtype:policy-violation; sid:4; rev:1;)
alert http any any -> any any (msg:"TEST target says the client is the victim"; flow:established,to_server; http.uri; content:"/lure"; target:src_ip; classtype:web-application-attack; sid:5; rev:1;)
"""

# tor-geoipdb format: INTIPLOW,INTIPHIGH,CC (integers)
def ip_int(a):
    x = 0
    for b in a.split("."):
        x = x * 256 + int(b)
    return x


GEO = "".join("%d,%d,%s\n" % (ip_int(lo), ip_int(hi), cc) for lo, hi, cc in [
    ("198.51.100.0", "198.51.100.255", "NL"),   # exploit source, C2 server, exfil receiver
    ("203.0.113.0", "203.0.113.255", "BR"),     # flood sources
])


def http_conv(cli, srv, req, ts, port=80):
    c = P.TcpConv(cli, 40000 + ts % 1000, srv, port, ts=1_700_000_000_000_000 + ts * 1_000_000)
    c.handshake().send(True, req).send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").close()
    return c.pkts


def packets():
    pk = []
    pk += http_conv("198.51.100.10", "10.0.0.80", b"GET /exploit HTTP/1.1\r\nHost: a\r\n\r\n", 1)
    for i in range(5):  # spoofed UDP flood: one packet per source, no replies
        pk.append((1_700_000_010_000_000 + i, P.frame(17, "203.0.113.%d" % (i + 1), "10.0.0.53",
                                                       sport=1024 + i, dport=9999, payload=b"FLOOD")))
    pk += http_conv("10.0.0.23", "198.51.100.66", b"GET /gate.php?id=7 HTTP/1.1\r\nHost: c2\r\n\r\n", 20)
    body = b"SECRET customer list"
    pk += http_conv("10.0.0.24", "198.51.100.99", b"POST /up HTTP/1.1\r\nHost: drop\r\nContent-Length: " +
                    str(len(body)).encode() + b"\r\n\r\n" + body, 30)
    pk += http_conv("10.0.0.25", "198.51.100.77", b"GET /lure HTTP/1.1\r\nHost: x\r\n\r\n", 40)
    pk.sort(key=lambda p: p[0])
    return pk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vigil-attrib-")
    try:
        rules = os.path.join(tmp, "t.rules")
        open(rules, "w").write(RULES)
        geo = os.path.join(tmp, "geoip")
        open(geo, "w").write(GEO)
        pcap = os.path.join(tmp, "t.pcap")
        P.write_pcap(pcap, packets())
        out = os.path.join(tmp, "out")
        r = subprocess.run([a.vigil, "read", pcap, "-l", out, "-S", rules, "-q", "--set",
                            "attribution.databases=" + geo], capture_output=True, text=True)
        if r.returncode != 0:
            print("vigil failed: " + r.stderr)
            return 1
        alerts = [json.loads(l) for l in open(os.path.join(out, "eve.json"))]
        alerts = [e for e in alerts if e["event_type"] == "alert"]
        by = {}
        for e in alerts:
            by.setdefault(e["alert"]["signature_id"], []).append(e["vigil"])
        want = {
            # sid: (attacker ip, victim ip, certainty, category, attacker country)
            1: ("198.51.100.10", "10.0.0.80", "verified", "exploitation-attempt", "NL"),
            3: ("198.51.100.66", "10.0.0.23", "verified", "command-and-control", "NL"),
            4: ("198.51.100.99", "10.0.0.24", "verified", "policy-info", "NL"),
            5: ("198.51.100.77", "10.0.0.25", "verified", "exploitation-attempt", "NL"),
        }
        failed = []
        for sid, (att, vic, cert, cat, cc) in want.items():
            got = by.get(sid)
            if not got or len(got) != 1:
                failed.append("sid %d: expected one alert, got %s" % (sid, got))
                continue
            v = got[0]
            seen = (v["attacker"]["ip"], v["victim"]["ip"], v["certainty"], v["category"],
                    v["attacker"].get("country"))
            if seen != (att, vic, cert, cat, cc):
                failed.append("sid %d: got %s, want %s" % (sid, seen, (att, vic, cert, cat, cc)))
            elif v["victim"].get("country") != "??":
                failed.append("sid %d: the internal victim has no country, got %s" % (sid, v["victim"]))
        flood = by.get(2, [])
        if len(flood) != 5:
            failed.append("sid 2: expected 5 flood alerts, got %d" % len(flood))
        for v in flood:
            if (v["certainty"], v["category"], v["attacker"].get("country"), v["victim"]["ip"]) != \
                    ("spoofable", "denial-of-service", "BR", "10.0.0.53"):
                failed.append("sid 2: %s" % v)
                break
        if by.get(4) and by[4][0].get("role_by") != "exfiltration":
            failed.append("sid 4: roles should come from the exfiltration rule, got %s" % by[4][0])
        if by.get(5) and by[5][0].get("role_by") != "target":
            failed.append("sid 5: roles should come from target:, got %s" % by[5][0])
        for f in failed:
            print("FAIL " + f)
        if not failed:
            print("ok: %d alerts attributed as expected" % len(alerts))
        return 1 if failed else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
