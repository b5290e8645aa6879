#!/usr/bin/env python3
"""Corpus check for the application layer: on every capture under the corpus folder, the HTTP
request URIs and hosts, DNS query names and TLS SNIs that Vigil logs agree with tshark's
(`tshark -T fields` with http.request.uri, http.host, dns.qry.name,
tls.handshake.extensions_server_name) on at least 99% of transactions, per kind, over the whole
corpus. Every disagreement is listed. Exit 77 (CTest skip) when the corpus or tshark is absent.

Matching is by multiset: for each capture and kind, the values tshark reports and the values
Vigil logs are compared as multisets; agreement = |intersection| / |tshark's|. Hosts are
compared lowercased without the port (what Suricata's `hostname` holds); DNS names lowercased
without the trailing dot, one per message (query or response), as tshark shows them, leaving out
UDP responses whose request is not in the capture (no IDS takes their flow for DNS: Suricata
probes DNS on the server's port, and such a flow starts from port 53).

usage: app_vs_tshark.py --vigil PATH [--corpus DIR] [--min 0.99]
"""
import argparse
import collections
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile


def host_norm(h):
    h = h.strip().lower()
    if h.startswith("["):
        return h.split("]")[0] + "]"
    if h.count(":") == 1:
        h = h.split(":")[0]
    return h


def dns_norm(n, from_vigil=False):
    """tshark writes the root as <Root> and invalid UTF-8 as U+FFFD; Vigil writes "" and each
    byte that is not valid UTF-8 as its Latin-1 code point. Vigil's names are turned back into
    bytes and decoded the way tshark's output is, then compared lowercased."""
    n = "" if n == "<Root>" else n
    if from_vigil:
        raw = b"".join(bytes([ord(c)]) if ord(c) < 256 else c.encode() for c in n)
        n = raw.decode("utf-8", errors="replace")
    return n.lower().rstrip(".")


def tshark_values(path):
    fields = ["http.request.uri", "http.host", "dns.qry.name", "tls.handshake.extensions_server_name"]
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-E", "aggregator=\x1f", "-o", "tcp.desegment_tcp_streams:TRUE"]
    for f in fields:
        cmd += ["-e", f]
    # HTTP over TCP only: tshark also dissects SSDP (HTTP over UDP), which is not HTTP traffic
    # for an IDS (Suricata does not log it as http either).
    # ICMP errors quote the datagram that caused them; tshark dissects the quoted DNS, which is
    # not a transaction.
    # An IP fragment with more to come that tshark dissects on its own belongs to a datagram
    # that never completed (a completed one is dissected at its last fragment): no IDS has
    # that transaction.
    # A DNS response whose request is not in the capture (dns.response_to unset): over UDP its
    # datagram starts the flow from port 53 toward a client port, which Suricata's detection
    # (probing on the server's port) and Vigil's leave "failed" — responses reflected to a
    # victim in an amplification attack; tshark dissects them by port.
    cmd += ["-Y", "((http.request and tcp) or dns or tls.handshake.type == 1) and not icmp and "
                  "not icmpv6 and not (ip.flags.mf == 1 and ip.frag_offset == 0) and "
                  "not (udp and dns.flags.response == 1 and not dns.response_to)"]
    r = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=600)
    out = {k: collections.Counter() for k in ("uri", "host", "dns", "sni")}
    for line in r.stdout.splitlines():
        cols = (line.split("\t") + [""] * 4)[:4]
        uri, host, qn, sni = cols
        for u in filter(None, uri.split("\x1f")):
            out["uri"][u] += 1
        for h in filter(None, host.split("\x1f")):
            out["host"][host_norm(h)] += 1
        if qn:
            out["dns"][dns_norm(qn.split("\x1f")[0])] += 1
        for s in filter(None, sni.split("\x1f")):
            out["sni"][s.lower()] += 1
    return out


def vigil_values(vigil, path, work):
    d = tempfile.mkdtemp(dir=work)
    # midstream and one-sided sessions: tshark parses sessions whose handshake or whose other side
    # is missing; so must we, to compare the parsers
    subprocess.run([vigil, "read", "-k", "none", "--no-progress", "-q", "--set",
                    "stream.midstream=true", "--set", "stream.async-oneside=true", path, "-l", d],
                   capture_output=True, timeout=1200)
    out = {k: collections.Counter() for k in ("uri", "host", "dns", "sni")}
    ev = os.path.join(d, "eve.json")
    for line in open(ev) if os.path.exists(ev) else []:
        e = json.loads(line)
        t = e.get("event_type")
        if t == "http":
            h = e["http"]
            if "url" in h and "http_method" in h:
                out["uri"][h["url"]] += 1
            if h.get("hostname") and "http_method" in h:
                out["host"][host_norm(h["hostname"])] += 1
        elif t == "dns":
            q = e["dns"].get("queries") or []
            if q:
                out["dns"][dns_norm(q[0]["rrname"], True)] += 1
        elif t == "tls":
            if e["tls"].get("sni"):
                out["sni"][e["tls"]["sni"].lower()] += 1
    shutil.rmtree(d, ignore_errors=True)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--corpus", default=os.path.join(here, "..", "..", "..", "shared", "corpus", "pcaps"))
    ap.add_argument("--min", type=float, default=0.99)
    a = ap.parse_args()
    if not os.path.isdir(a.corpus) or not shutil.which("tshark"):
        print("corpus or tshark absent: skipped")
        return 77
    files = sorted(f for f in glob.glob(os.path.join(a.corpus, "**", "*"), recursive=True)
                   if f.endswith((".pcap", ".pcapng", ".cap")))
    work = tempfile.mkdtemp(prefix="vigil-app-")
    tot = collections.Counter()
    agree = collections.Counter()
    extra = collections.Counter()
    notes = []
    for f in files:
        rel = os.path.relpath(f, a.corpus)
        t = tshark_values(f)
        v = vigil_values(a.vigil, f, work)
        for k in t:
            inter = t[k] & v[k]
            tot[k] += sum(t[k].values())
            agree[k] += sum(inter.values())
            extra[k] += sum((v[k] - t[k]).values())
            missing = t[k] - v[k]
            more = v[k] - t[k]
            if missing or more:
                notes.append("%s %s: tshark-only %s; vigil-only %s" % (
                    rel, k, list(missing.items())[:3], list(more.items())[:3]))
    shutil.rmtree(work, ignore_errors=True)
    ok = True
    print("| kind | tshark | agree | share | vigil-only |")
    print("|---|---|---|---|---|")
    for k in ("uri", "host", "dns", "sni"):
        share = agree[k] / tot[k] if tot[k] else 1.0
        print("| %s | %d | %d | %.2f%% | %d |" % (k, tot[k], agree[k], 100 * share, extra[k]))
        ok &= share >= a.min
    print()
    for n in notes:
        print("DIFF " + n)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
