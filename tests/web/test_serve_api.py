#!/usr/bin/env python3
"""`vigil serve` API over loopback, on a store made from generated captures with the evidence
ledger on (tests/web/servelib.py):

  * /api/v1/report equals `vigil report --format json` (after parsing, but for generated_at)
    for each filter and for a cached answer;
  * /api/v1/alerts and /incidents: every filter gives the rows an independent SQL query over
    the store gives, pages of every size have no gap and no repeat, and the common filters
    count what the report counts;
  * /api/v1/alerts/ID: roles, geo, certainty, rule and flow as stored;
  * /api/v1/alerts/ID/pcap: the file the ledger names, its SHA-256 the ledger's ("verified");
    an altered file is served as "changed"; a symlink, a file the ledger does not name, and
    an evidence reference with a path are never served;
  * bad parameters → 400 with a JSON error; security headers; no caching of API answers.
usage: test_serve_api.py --vigil PATH
"""
import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servelib as S  # noqa: E402

from servelib import FAILED, check, overview  # noqa: E402


def strip(doc):
    d = dict(doc)
    d.pop("generated_at", None)
    return d


def qs(f):
    return "&".join("%s=%s" % (k, v) for k, v in f.items())


def report_cli(vigil, store, f):
    args = [vigil, "report", store, "--format", "json"]
    for k, v in f.items():
        args += ["--" + k, v]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("vigil report failed: %s" % r.stderr)
    return json.loads(r.stdout)


def all_pages(srv, base, key, limit):
    ids, cursor, pages = [], None, 0
    while True:
        q = base + ("&" if "?" in base else "?") + "limit=%d" % limit
        if cursor:
            q += "&cursor=" + cursor
        st, _, d = srv.json(q)
        if not check(st == 200, "%s: status %d %s" % (q, st, d)):
            return ids
        check(len(d[key]) <= limit and d["count"] == len(d[key]), "%s: page size" % q)
        ids += [x["id"] for x in d[key]]
        pages += 1
        cursor = d["next_cursor"]
        if cursor is None or pages > 1000:
            return ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vigil-serve-api-")
    srv = None
    try:
        store, logs = S.make_store(a.vigil, tmp)
        srv = S.Server(a.vigil, [store])
        db = sqlite3.connect(store)
        COUNTED = "run_id IN (SELECT id FROM runs WHERE status IN ('complete','partial'))"

        # --- the report: the CLI's document for the same filters ---
        filters = [{}, {"country": "BR"}, {"country": "NL", "category": "command-and-control"},
                   {"category": "exploitation-attempt"}, {"sensor": "e2e"}, {"sensor": "nobody"},
                   {"from": "2023-11-14T22:13:00Z", "to": "2023-11-14T22:14:00Z"},
                   {"to": "2023-11-14"}, {"from": "2030-01-01"}, {"top": "1"}]
        for f in filters:
            st, h, doc = srv.json("/api/v1/report?" + qs(f))
            check(st == 200, "report %s: status %d" % (f, st))
            cli = report_cli(a.vigil, store, f)
            check(strip(doc) == strip(cli), "report %s equals vigil report --format json" % f)
            st, h2, doc2 = srv.json("/api/v1/report?" + qs(f))
            check(h2.get("x-vigil-cache") == "hit" and strip(doc2) == strip(cli),
                  "report %s: the cached answer is the same document" % f)
        # many requests at once for a report not built yet: one build, every answer the same
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            res = list(ex.map(lambda _: srv.json("/api/v1/report?country=US&top=3"), range(32)))
        cli = strip(report_cli(a.vigil, store, {"country": "US", "top": "3"}))
        check(all(st == 200 and strip(d) == cli for st, _, d in res),
              "32 concurrent requests: all 200 with the report (%s)" % sorted({st for st, _, _ in res}))
        check(sum(h.get("x-vigil-cache") == "miss" for _, h, _ in res) == 1,
              "32 concurrent requests: built once (%d misses)" % sum(h.get("x-vigil-cache") == "miss" for _, h, _ in res))
        # the filters the page's ASN, target and signature rows set: every panel (the report)
        # follows them, as vigil report --asn/--target/--sid does
        vic, asn, sid = db.execute(
            "SELECT a.victim_ip, coalesce(a.attacker_asn,0), s.sid FROM alerts a JOIN signatures s"
            " ON s.id=a.sig_id WHERE a.%s ORDER BY a.id LIMIT 1" % COUNTED).fetchone()
        for f, where in (({"victim": vic}, "victim_ip='%s'" % vic),
                         ({"asn": str(asn)}, "coalesce(attacker_asn,0)=%d" % asn),
                         ({"sid": str(sid)}, "sig_id IN (SELECT id FROM signatures WHERE sid=%d)" % sid),
                         ({"victim": vic, "sid": str(sid)}, "victim_ip='%s' AND sig_id IN"
                          " (SELECT id FROM signatures WHERE sid=%d)" % (vic, sid))):
            st, h, doc = srv.json("/api/v1/report?" + qs(f))
            cli = report_cli(a.vigil, store, {("target" if k == "victim" else k): v
                                              for k, v in f.items()})
            check(st == 200 and strip(doc) == strip(cli),
                  "report %s equals vigil report --format json with the same filter" % f)
            n = db.execute("SELECT count(*) FROM alerts WHERE %s AND %s" % (COUNTED, where)).fetchone()[0]
            check(n > 0 and overview(doc)["alerts"] == n,
                  "report %s counts the %d alerts SQL finds (%s)" % (f, n, overview(doc)["alerts"]))
        st, _, _ = srv.json("/api/v1/report?victim=not-an-address")
        check(st == 400, "report victim=not-an-address: 400 (%d)" % st)
        full = report_cli(a.vigil, store, {})
        ov = overview(full)
        check(ov["alerts"] == 10, "the store has the report test's 10 counted alerts")

        # --- alerts: pagination and filters against SQL written here ---
        want = [r[0] for r in db.execute("SELECT id FROM alerts WHERE %s ORDER BY id DESC" % COUNTED)]
        for limit in (1, 3, 4, 10, 1000):
            got = all_pages(srv, "/api/v1/alerts", "alerts", limit)
            check(got == want, "alerts limit=%d: every alert once, newest first (%s vs %s)" %
                  (limit, got, want))
        sample = db.execute(
            "SELECT a.id, attacker_ip, victim_ip, attacker_asn, s.sid, certainty, run_id,"
            " incident_id FROM alerts a JOIN signatures s ON s.id=a.sig_id WHERE %s"
            " AND attacker_asn IS NOT NULL ORDER BY a.id LIMIT 1" % COUNTED.replace("run_id", "a.run_id")).fetchone()
        if sample is None:
            sample = db.execute("SELECT a.id, attacker_ip, victim_ip, 0, s.sid, certainty, run_id,"
                                " incident_id FROM alerts a JOIN signatures s ON s.id=a.sig_id"
                                " WHERE %s ORDER BY a.id LIMIT 1" % COUNTED.replace("run_id", "a.run_id")).fetchone()
        _, att, vic, asn, sid, cert, run, inc = sample
        cases = [
            ({"country": "BR"}, "coalesce(nullif(attacker_country,''),'??')='BR'"),
            ({"country": "NL"}, "coalesce(nullif(attacker_country,''),'??')='NL'"),
            ({"category": "denial-of-service"}, "category='denial-of-service'"),
            ({"attacker": att}, "attacker_ip='%s'" % att),
            ({"victim": vic}, "victim_ip='%s'" % vic),
            ({"asn": str(asn or 0)}, "coalesce(attacker_asn,0)=%d" % (asn or 0)),
            ({"sid": str(sid)}, "sig_id IN (SELECT id FROM signatures WHERE sid=%d)" % sid),
            ({"certainty": cert}, "certainty='%s'" % cert),
            ({"run": str(run)}, "run_id=%d" % run),
            ({"incident": str(inc)}, "incident_id=%d" % inc),
            ({"sensor": "e2e"}, "1"),
            ({"sensor": "other"}, "0"),
            ({"from": "2023-11-14T22:13:30Z"}, "ts >= 1699999999000000+11000000"),
            ({"to": "2023-11-14T22:13:30Z"}, "ts < 1700000010000000"),
            ({"country": "BR", "category": "denial-of-service"},
             "coalesce(nullif(attacker_country,''),'??')='BR' AND category='denial-of-service'"),
        ]
        for f, where in cases:
            exp = [r[0] for r in db.execute("SELECT id FROM alerts WHERE %s AND (%s) ORDER BY id DESC"
                                           % (COUNTED, where))]
            got = all_pages(srv, "/api/v1/alerts?" + qs(f), "alerts", 2)
            check(got == exp, "alerts %s: %s, want %s" % (f, got, exp))
            check(len(exp) > 0 or f.get("sensor") == "other", "alerts %s: the case selects something" % f)
        for f in ({"country": "BR"}, {"category": "command-and-control"}, {"sensor": "e2e"},
                  {"from": "2023-11-14T22:13:00Z", "to": "2023-11-14T22:14:00Z"}):
            n = len(all_pages(srv, "/api/v1/alerts?" + qs(f), "alerts", 1000))
            check(n == overview(report_cli(a.vigil, store, f))["alerts"],
                  "alerts %s: as many as the report counts (%d)" % (f, n))

        # --- incidents ---
        want = [r[0] for r in db.execute("SELECT id FROM incidents WHERE %s ORDER BY id DESC" % COUNTED)]
        for limit in (1, 2, 5, 1000):
            got = all_pages(srv, "/api/v1/incidents", "incidents", limit)
            check(got == want, "incidents limit=%d: %s, want %s" % (limit, got, want))
        check(len(want) == ov["incidents"], "incidents listed = the report's %d" % ov["incidents"])
        ic = [
            ({"category": "command-and-control"}, "category='command-and-control'"),
            ({"country": "BR"}, "(SELECT coalesce(nullif(attacker_country,''),'??') FROM alerts a WHERE a.id=first_alert)='BR'"),
            ({"attacker": att}, "attacker_ip='%s'" % att),
            ({"victim": vic}, "victim_ip='%s'" % vic),
            ({"run": str(run)}, "run_id=%d" % run),
            ({"sensor": "e2e"}, "1"),
            ({"from": "2023-11-14T23:00:00Z"}, "end_ts >= 1700002800000000"),
            ({"to": "2023-11-14T23:00:00Z"}, "start_ts < 1700002800000000"),
        ]
        for f, where in ic:
            exp = [r[0] for r in db.execute("SELECT id FROM incidents WHERE %s AND (%s) ORDER BY id DESC"
                                           % (COUNTED, where))]
            got = all_pages(srv, "/api/v1/incidents?" + qs(f), "incidents", 2)
            check(got == exp and len(exp) > 0, "incidents %s: %s, want %s" % (f, got, exp))

        # --- one alert ---
        row = db.execute("SELECT a.id, a.attacker_ip, a.attacker_country, a.victim_ip, a.certainty,"
                         " s.sid, s.msg, a.flow_id, a.category, a.evidence_ref FROM alerts a JOIN"
                         " signatures s ON s.id=a.sig_id WHERE a.%s AND a.category='exploitation-attempt'"
                         " ORDER BY a.id LIMIT 1" % COUNTED).fetchone()
        aid = row[0]
        st, h, d = srv.json("/api/v1/alerts/%d" % aid)
        check(st == 200 and d["id"] == aid, "alert %d: %d" % (aid, st))
        check(d["attacker"]["ip"] == row[1] and d["attacker"]["country"] == row[2] and
              d["victim"]["ip"] == row[3] and d["certainty"] == row[4], "alert roles and geo: %s" % d)
        check(d["rule"]["sid"] == row[5] and d["rule"]["signature"] == row[6], "alert rule: %s" % d["rule"])
        check(d["flow"]["flow_id"] == row[7] and d["category"] == row[8], "alert flow: %s" % d["flow"])
        check(d["flow"].get("pkts_toserver", 0) > 0, "alert flow summary from the flows table: %s" % d["flow"])
        check(d["evidence"] and d["evidence"]["file"] == row[9] and
              d["evidence"]["verification"]["status"] == "verified", "alert evidence: %s" % d["evidence"])
        st, _, d = srv.json("/api/v1/alerts/999999")
        check(st == 404 and "error" in d, "unknown alert → 404 JSON")
        superseded = db.execute("SELECT min(id) FROM alerts WHERE run_id IN (SELECT id FROM runs"
                                " WHERE status='superseded')").fetchone()[0]
        check(superseded is None, "the rerun removed the superseded run's alerts")

        # --- evidence pcaps ---
        ledger = {}
        for d_ in logs:
            for line in open(os.path.join(d_, "evidence", "ledger.jsonl")):
                e = json.loads(line)
                if e.get("type") == "evidence":
                    ledger[(d_, e["file"])] = e["sha256"]
        ev_alerts = db.execute("SELECT a.id, a.evidence_ref, r.logdir FROM alerts a JOIN runs r ON"
                               " r.id=a.run_id WHERE a.%s AND a.evidence_ref IS NOT NULL ORDER BY a.id"
                               % COUNTED).fetchall()
        check(len(ev_alerts) >= 5, "alerts with evidence: %d" % len(ev_alerts))
        for i, ref, logdir in ev_alerts:
            st, h, body = srv.get("/api/v1/alerts/%d/pcap" % i)
            sha = hashlib.sha256(body).hexdigest()
            check(st == 200 and sha == ledger.get((logdir, ref)) and
                  h.get("x-vigil-evidence-status") == "verified" and
                  h.get("x-vigil-ledger-sha256") == sha and body[:4] == b"\xd4\xc3\xb2\xa1" and
                  h.get("content-type") == "application/vnd.tcpdump.pcap" and
                  ref in h.get("content-disposition", ""),
                  "alert %d pcap %s: status %d, sha %s ledger %s" % (i, ref, st, sha, ledger.get((logdir, ref))))
        # altered file: served as changed (its hash no longer the ledger's)
        i0, ref0, dir0 = ev_alerts[0]
        p0 = os.path.join(dir0, "evidence", ref0)
        orig = open(p0, "rb").read()
        open(p0, "ab").write(b"\0")
        st, h, body = srv.get("/api/v1/alerts/%d/pcap" % i0)
        check(st == 200 and h.get("x-vigil-evidence-status") == "changed" and
              h.get("x-vigil-evidence-sha256") == hashlib.sha256(orig + b"\0").hexdigest(),
              "altered pcap served as changed: %d %s" % (st, h.get("x-vigil-evidence-status")))
        st, _, d = srv.json("/api/v1/alerts/%d" % i0)
        check(d["evidence"]["verification"]["status"] == "changed", "alert view says changed")
        # a symlink in place of the file: never followed
        os.unlink(p0)
        os.symlink("/etc/passwd", p0)
        st, _, body = srv.get("/api/v1/alerts/%d/pcap" % i0)
        check(st == 404 and b"root:" not in body, "symlinked evidence not served: %d" % st)
        os.unlink(p0)
        open(p0, "wb").write(orig)
        # references the ledger does not name, or with a path: never served
        st_db = sqlite3.connect(store)
        i1, ref1, dir1 = ev_alerts[1]
        outside = os.path.join(dir1, "evidence", "unnamed.pcap")
        shutil.copy(os.path.join(dir1, "evidence", ref1), outside)
        for bad in ("unnamed.pcap", "../../../../etc/passwd", "/etc/passwd", "..%2fledger.jsonl",
                    "ledger.jsonl"):
            st_db.execute("UPDATE alerts SET evidence_ref=? WHERE id=?", (bad, i1))
            st_db.commit()
            st, _, body = srv.get("/api/v1/alerts/%d/pcap" % i1)
            check(st == 404 and b"root:" not in body and b'"seq"' not in body,
                  "evidence reference %r not served: %d" % (bad, st))
        st_db.execute("UPDATE alerts SET evidence_ref=? WHERE id=?", (ref1, i1))
        st_db.commit()
        st_db.close()
        st, h, body = srv.get("/api/v1/alerts/%d/pcap" % i1)
        check(st == 200 and h.get("x-vigil-evidence-status") == "verified", "restored: verified")

        # --- status, headers, bad parameters ---
        st, h, d = srv.json("/api/v1/status")
        check(st == 200 and d["generation"] and d["store"] == store, "status: %s" % d)
        csp = h.get("content-security-policy", "")
        check("script-src 'self'" in csp and "unsafe-inline" not in csp and
              h.get("x-content-type-options") == "nosniff" and h.get("cache-control") == "no-store",
              "API headers: %s" % h)
        bad = ["/api/v1/report?bogus=1", "/api/v1/report?country=xx", "/api/v1/report?country=BRA",
               "/api/v1/report?from=yesterday", "/api/v1/report?from=2024-01-02&to=2024-01-01",
               "/api/v1/report?category=Bad%20Slug", "/api/v1/report?top=0",
               "/api/v1/report?top=100000", "/api/v1/report?country=BR&country=NL",
               "/api/v1/alerts?limit=0", "/api/v1/alerts?limit=1001", "/api/v1/alerts?cursor=abc",
               "/api/v1/alerts?attacker=1.2.3", "/api/v1/alerts?asn=-1", "/api/v1/alerts?sid=x",
               "/api/v1/alerts?sensor=%01", "/api/v1/incidents?sid=1", "/api/v1/status?x=1",
               "/api/v1/alerts/1?x=1", "/api/v1/report?" + "&".join("p%d=1" % k for k in range(40))]
        for u in bad:
            st, h, body = srv.get(u)
            try:
                err = json.loads(body).get("error")
            except ValueError:
                err = None
            check(st == 400 and err and h.get("content-type", "").startswith("application/json"),
                  "%s → 400 with a JSON error (%d %r)" % (u, st, body[:100]))
        for u in ("/api/v1/nothing", "/api/v2/report", "/api/v1/alerts/0", "/api/v1/alerts/1/x",
                  "/api/v1/alerts/99999999999999999999999"):
            st, _, _ = srv.get(u)
            check(st == 404, "%s → 404 (%d)" % (u, st))
        st, _, _ = srv.get("/api/v1/report", method="POST", body=b"x=1")
        check(st == 405, "POST to the API → 405 (%d)" % st)
        st, _, _ = srv.get("/api/v1/alerts", method="DELETE")
        check(st == 405, "DELETE → 405 (%d)" % st)
        rc, out, err = srv.stop()
        check(rc == 0 and "stopped" in out, "SIGTERM stops it cleanly: %d %r %r" % (rc, out, err))
        check("ERROR" not in err and "runtime error" not in err and "Sanitizer" not in err,
              "no error on stderr: %r" % err[-2000:])
        srv = None
        if not FAILED:
            print("ok: vigil serve API agrees with the store, the report and the ledger")
        return 1 if FAILED else 0
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
