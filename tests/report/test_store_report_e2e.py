#!/usr/bin/env python3
"""Store and report end to end: captures made here with known attackers, countries, categories
and victims; rules and a geo range file written here.

  run 1: capture A into a fresh --store; run 2: capture B into the same store (runs accumulate);
  run 3: capture A again (rerun: supersedes run 1, nothing counted twice).
Then `vigil report` in json, csv, md and html: the numbers are exactly the expected ones in
every format, and the formats agree. Also: the default store LOGDIR/vigil.db, the terminal
summary, and clear errors for a store from a newer Vigil and for a file that is not a store.
usage: test_store_report_e2e.py --vigil PATH
"""
import argparse
import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import pktlib as P  # noqa: E402

RULES = r"""
alert http any any -> $HOME_NET any (msg:"TEST exploit"; flow:established,to_server; http.uri; content:"/exploit"; classtype:web-application-attack; metadata:cve CVE_2021_44228; sid:1; rev:1;)
alert udp any any -> $HOME_NET 9999 (msg:"TEST flood"; content:"FLOOD"; classtype:attempted-dos; sid:2; rev:1;)
alert http $HOME_NET any -> any any (msg:"TEST C2 Checkin"; flow:established,to_server; http.uri; content:"/gate.php"; classtype:trojan-activity; sid:3; rev:1;)
"""


def ip_int(a):
    x = 0
    for b in a.split("."):
        x = x * 256 + int(b)
    return x


GEO = "".join("%d,%d,%s\n" % (ip_int(lo), ip_int(hi), cc) for lo, hi, cc in [
    ("192.0.2.0", "192.0.2.255", "US"),
    ("198.51.100.0", "198.51.100.255", "NL"),
    ("203.0.113.0", "203.0.113.255", "BR"),
])

T0 = 1_700_000_000_000_000


def http_conv(cli, srv, req, ts, port=80):
    c = P.TcpConv(cli, 40000 + ts % 1000, srv, port, ts=T0 + ts * 1_000_000)
    c.handshake().send(True, req).send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").close()
    return c.pkts


def capture_a():
    pk = []
    pk += http_conv("198.51.100.10", "10.0.0.80", b"GET /exploit HTTP/1.1\r\nHost: a\r\n\r\n", 1)
    pk += http_conv("10.0.0.23", "198.51.100.66", b"GET /gate.php?id=1 HTTP/1.1\r\nHost: c2\r\n\r\n", 20)
    pk += http_conv("10.0.0.24", "203.0.113.7", b"GET /gate.php?id=2 HTTP/1.1\r\nHost: c2\r\n\r\n", 30)
    for i in range(5):  # spoofed UDP flood: one packet per source
        pk.append((T0 + 40_000_000 + i, P.frame(17, "203.0.113.%d" % (i + 1), "10.0.0.53",
                                                 sport=1024 + i, dport=9999, payload=b"FLOOD")))
    return sorted(pk, key=lambda p: p[0])


def capture_b():
    pk = []
    pk += http_conv("192.0.2.50", "10.0.0.81", b"GET /exploit HTTP/1.1\r\nHost: b\r\n\r\n", 3600)
    pk += http_conv("10.0.0.25", "198.51.100.66", b"GET /gate.php?id=3 HTTP/1.1\r\nHost: c2\r\n\r\n", 3700)
    return sorted(pk, key=lambda p: p[0])


FAILED = []


def check(cond, what):
    if not cond:
        FAILED.append(what)
        print("FAIL " + what)


def run(cmd, ok=(0,)):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in ok:
        print("command failed (%d): %s\n%s%s" % (r.returncode, " ".join(cmd), r.stdout, r.stderr))
        sys.exit(1)
    return r


def rows(doc, table):
    return doc["tables"][table]["rows"]


def row(doc, table, key, val):
    for r in rows(doc, table):
        if str(r.get(key)) == val:
            return r
    return None


def overview(doc):
    return {r["metric"]: r["value"] for r in rows(doc, "overview")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vigil-store-e2e-")
    try:
        rules = os.path.join(tmp, "t.rules")
        open(rules, "w").write(RULES)
        geo = os.path.join(tmp, "geoip")
        open(geo, "w").write(GEO)
        pa, pb = os.path.join(tmp, "a.pcap"), os.path.join(tmp, "b.pcap")
        P.write_pcap(pa, capture_a())
        P.write_pcap(pb, capture_b())
        store = os.path.join(tmp, "shared.db")
        base = [a.vigil, "read", "-S", rules, "--set", "attribution.databases=" + geo,
                "--set", "sensor-name=e2e", "--no-progress"]

        # run 1 (also: the terminal summary)
        r = run(base + [pa, "-l", os.path.join(tmp, "l1"), "--store", store])
        check("vigil: store " in r.stdout and "8 alerts" in r.stdout,
              "summary line names the store and 8 alerts: %r" % r.stdout)
        check("1 control server(s) in NL contacted 1 host(s) in our networks" in r.stdout,
              "summary carries the C2 statement: %r" % r.stdout)
        check("top origins: BR (6 incidents, 6 attackers), NL (2 incidents, 2 attackers)" in r.stdout,
              "summary names the top origins: %r" % r.stdout)
        # run 2 accumulates
        run(base + [pb, "-l", os.path.join(tmp, "l2"), "--store", store, "-q"])
        # run 3: capture A again → supersedes run 1
        r = run(base + [pa, "-l", os.path.join(tmp, "l3"), "--store", store, "-q"])
        check("replaces it" in r.stderr, "rerun is reported: %r" % r.stderr)
        # the default store is LOGDIR/vigil.db
        check(os.path.exists(os.path.join(tmp, "l1", "vigil.db")) is False,
              "with --store, LOGDIR/vigil.db is not made")
        run(base + [pb, "-l", os.path.join(tmp, "l4"), "-q"])
        check(os.path.exists(os.path.join(tmp, "l4", "vigil.db")), "default store LOGDIR/vigil.db")

        db = sqlite3.connect(store)
        st = db.execute("SELECT group_concat(status, ',') FROM (SELECT status FROM runs ORDER BY id)").fetchone()[0]
        check(st == "superseded,complete,complete", "run statuses: %s" % st)
        n = db.execute("SELECT count(*) FROM alerts").fetchone()[0]
        check(n == 10, "alerts in the store after the rerun: %d, want 10" % n)
        db.close()

        out = {}
        for fmt in ("json", "csv", "md", "html"):
            path = os.path.join(tmp, "report." + fmt)
            run([a.vigil, "report", "--store", store, "-o", path])
            out[fmt] = open(path, encoding="utf-8").read()
        doc = json.loads(out["json"])
        ov = overview(doc)
        want = {"runs": 2, "runs_superseded": 1, "alerts": 10, "attack_alerts": 10,
                "external_attackers": 9, "victims": 6, "capture_files": 2, "sensors": 1,
                "unattributable_share": 0}
        for k, v in want.items():
            check(ov.get(k) == v, "overview %s = %r, want %r" % (k, ov.get(k), v))
        # whole counted runs: A (3 conversations of 8 packets + 5) and B (2 of 8)
        check(ov.get("packets") == 29 + 16, "packets %r" % ov.get("packets"))
        nl = row(doc, "c2_countries", "country", "NL")
        check(nl and nl["controllers"] == 1 and nl["internal_hosts"] == 2 and
              nl["hosts"] == "10.0.0.23,10.0.0.25" or
              nl and nl["hosts"] == "10.0.0.25,10.0.0.23", "c2 NL: %s" % nl)
        br = row(doc, "c2_countries", "country", "BR")
        check(br and br["controllers"] == 1 and br["internal_hosts"] == 1, "c2 BR: %s" % br)
        o = {r["country"]: r for r in rows(doc, "origins_country")}
        check(o.get("NL", {}).get("alerts") == 3 and o["NL"]["attackers"] == 2,
              "origins NL: %s" % o.get("NL"))
        check(o.get("BR", {}).get("alerts") == 6 and o["BR"]["attackers"] == 6 and
              o["BR"]["flag"] == "spoofable", "origins BR: %s" % o.get("BR"))
        check(o.get("US", {}).get("alerts") == 1, "origins US: %s" % o.get("US"))
        cve = row(doc, "exploit_cves", "cve", "CVE-2021-44228")
        check(cve and cve["alerts"] == 2 and cve["attackers"] == 2 and cve["victims"] == 2,
              "CVE row: %s" % cve)
        dos = row(doc, "dos", "target", "10.0.0.53")
        check(dos and dos["sources"] == 5 and dos["spoofable_share"] == 1, "dos: %s" % dos)
        cats = {r["category"]: r["alerts"] for r in rows(doc, "categories")}
        check(cats == {"command-and-control": 3, "denial-of-service": 5,
                       "exploitation-attempt": 2}, "categories: %s" % cats)
        # evidence: each row's ids are in the index, which names the run's capture
        idx = {r["alert"]: r for r in rows(doc, "evidence")}
        for tid, t in doc["tables"].items():
            for rr in t["rows"]:
                for i in rr.get("evidence", []):
                    check(i in idx, "%s: evidence %d indexed" % (tid, i))
        check(all("sha256:" in r["captures"] for r in idx.values()), "evidence names captures")

        # the formats agree: totals and every category row
        csv_rows = [r for r in csv.reader(io.StringIO(out["csv"])) if r]
        csv_ov = {r[1]: r[2] for r in csv_rows if r[0] == "overview"}
        for k in ("alerts", "incidents", "attackers", "victims", "runs"):
            check(csv_ov.get(k) == str(ov[k]), "csv overview %s %s vs %s" % (k, csv_ov.get(k), ov[k]))
            check(re.search(r"\| %s \| %s \|" % (k, ov[k]), out["md"]) is not None, "md overview %s" % k)
            check(re.search(r"<td>%s</td><td class=\"n\">%s</td>" % (k, ov[k]), out["html"]) is not None,
                  "html overview %s" % k)
        for c, n in cats.items():
            check(["categories", c] == csv_rows[[r[:2] for r in csv_rows].index(["categories", c])][:2]
                  and csv_rows[[r[:2] for r in csv_rows].index(["categories", c])][3] == str(n),
                  "csv category %s" % c)
            check(("| %s | 1 | %d |" % (c, n)) in out["md"], "md category %s" % c)
        # self-contained: nothing loaded from elsewhere (its only scripts are inline: the charts)
        check('data-chart="map"' in out["html"] and
              not re.search(r'<(script|img|iframe|link)[^>]* (src|href)=', out["html"]) and
              "url(" not in out["html"], "html self-contained with a map")

        # filters
        r = run([a.vigil, "report", store, "--format", "json", "--country", "BR"])
        d2 = json.loads(r.stdout)
        check(overview(d2)["alerts"] == 6, "--country BR: %s" % overview(d2)["alerts"])
        r = run([a.vigil, "report", store, "--format", "json", "--from", "2030-01-01"])
        d3 = json.loads(r.stdout)
        check(d3["empty"] is True and overview(d3)["alerts"] == 0, "empty period")
        check("nothing" in r.stderr, "empty period is said: %r" % r.stderr)

        r = run([a.vigil, "report", store, "--format", "json", "--tables", "overview,c2_countries"])
        d4 = json.loads(r.stdout)
        check(sorted(d4["tables"]) == ["c2_countries", "overview"] and
              overview(d4)["alerts"] == 10, "--tables: %s" % sorted(d4["tables"]))

        # bad input: newer store, not a store, missing store; the output file is not touched
        newer = os.path.join(tmp, "newer.db")
        shutil.copy(store, newer)
        c = sqlite3.connect(newer)
        c.execute("INSERT INTO schema_version VALUES(99,'x','9')")
        c.commit()
        c.close()
        target = os.path.join(tmp, "keep.md")
        open(target, "w").write("old")
        r = run([a.vigil, "report", newer, "-o", target], ok=(2,))
        check("newer" in r.stderr and "Traceback" not in r.stderr and "SQL" not in r.stderr,
              "newer store message: %r" % r.stderr)
        check(open(target).read() == "old", "no half-written report")
        junk = os.path.join(tmp, "junk.db")
        open(junk, "w").write("x" * 4096)
        r = run([a.vigil, "report", junk], ok=(2,))
        check("not an SQLite database" in r.stderr, "junk store message: %r" % r.stderr)
        corrupt = os.path.join(tmp, "corrupt.db")
        shutil.copy(store, corrupt)
        with open(corrupt, "r+b") as f:  # the pages after the first: schema intact, data not
            f.seek(4096)
            f.write(b"\xa5" * (os.path.getsize(corrupt) - 4096))
        r = run([a.vigil, "report", corrupt, "-o", target], ok=(2,))
        check("corrupt" in r.stderr or "malformed" in r.stderr, "corrupt store message: %r" % r.stderr)
        check(open(target).read() == "old", "no half-written report from a corrupt store")
        r = run([a.vigil, "report", os.path.join(tmp, "nope.db")], ok=(2,))
        check("no such store" in r.stderr, "missing store message: %r" % r.stderr)
        if not FAILED:
            print("ok: store and report agree with the generated traffic in every format")
        return 1 if FAILED else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
