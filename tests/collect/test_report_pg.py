#!/usr/bin/env python3
"""`vigil report --pg` and `vigil serve --pg` against `vigil report --store` on the same events
(issue 12, "one report, either store"), with real redis-server and PostgreSQL servers started
here (servers.py) and stopped at the end.

Sensors run `vigil read --store ONE.db --redis URL`: every event goes both into one SQLite store
and, through Redis and `vigil collect`, into PostgreSQL. Then the JSON reports of both stores are
parsed and compared cell by cell. The only cells allowed to differ are listed below
(RUNS_SKIP_COLS, EVIDENCE_SKIP_COLS), each with the reason; everything else (every count, share, list, time and row order of every table)
must be equal.

usage: test_report_pg.py --vigil PATH --gen PATH CASE      (exit 77: servers not available)
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "report"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import servers  # noqa: E402
import pktlib as P  # noqa: E402
import test_store_report_e2e as E  # noqa: E402

ARGS = TMP = REDIS = PG = None

# Cells that legitimately differ between the SQLite and the PostgreSQL store, and why.
# The run cells (captures, packets, bytes, drops, gaps, rules, geo databases, capture hours, runs
# counted and superseded) are not among them: the sensors ship their run records (docs/SCALE.md,
# "Run records") and PostgreSQL keeps the same runs.
DIFFERENT_OVERVIEW = set()
# Run ids and alert ids are each store's own row numbers (SQLite: rowid in run order;
# PostgreSQL: numbered in commit order), so the runs table's `run` and its evidence range
# (`ev_first`, `ev_last`), the evidence ids of each row and the evidence table's `alert` and
# `run` columns differ; everything else in those rows (the runs' sensor, status, captures,
# packets, drops, rules, geo databases, alerts; the evidence rows' time, signature, addresses,
# flow, captures) must match.
RUNS_SKIP_COLS = {"run", "ev_first", "ev_last"}
# Only for a store migrated from schema 2 (case_migrate): its events were collected without run
# records being derived, so each sensor is one run there, as before schema 4, and these differ.
RUN_CELLS = {"capture_files", "packets", "bytes", "drops", "drop_share", "reassembly_gaps",
             "rules_loaded", "rules_failed", "geo_databases", "capture_hours", "runs"}
EVIDENCE_SKIP_COLS = {"alert", "run"}


def captures():
    """The generated captures, rules and geo ranges of tests/report/test_store_report_e2e.py:
    attackers in several countries and AS, home networks, C2, exploits, scans, DoS."""
    rules = os.path.join(TMP, "t.rules")
    open(rules, "w").write(E.RULES)
    geo = os.path.join(TMP, "geoip")
    open(geo, "w").write(E.GEO)
    pa, pb = os.path.join(TMP, "a.pcap"), os.path.join(TMP, "b.pcap")
    P.write_pcap(pa, E.capture_a())
    P.write_pcap(pb, E.capture_b())
    return rules, geo, pa, pb


def gen(name, flows, seed):
    p = os.path.join(TMP, name + ".pcap")
    if not os.path.exists(p):
        subprocess.run([ARGS.gen, "--flows", str(flows), "--seed", str(seed), "--mix", "attack",
                        "-o", p], check=True, capture_output=True)
    return p


def attacks():
    p = os.path.join(TMP, "attacks.pcap")
    if not os.path.exists(p):
        subprocess.run([sys.executable, os.path.join(HERE, "..", "..", "scripts",
                                                     "make_attacks.py"), p], check=True)
    return p


def run(cmd, expect=0, timeout=600):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, TZ="UTC"))
    if expect is not None and r.returncode != expect:
        raise AssertionError("exit %d: %s\n%s\n%s" % (r.returncode, " ".join(cmd), r.stdout[-3000:],
                                                      r.stderr[-3000:]))
    return r


def sensor(name, caps, store, extra=()):
    run([ARGS.vigil, "read"] + caps + ["-l", os.path.join(TMP, name), "--workers", "2",
        "--no-progress", "-q", "--store", store, "--redis", REDIS.url,
        "--set", "sensor-name=" + name] + list(extra))


def collect(*extra):
    run([ARGS.vigil, "collect", "--redis", REDIS.url, "--pg", PG.dsn, "--idle-exit", "2"] +
        list(extra))


def report(*args):
    out = run([ARGS.vigil, "report", "--format", "json"] + list(args)).stdout
    return json.loads(out)


def rows(doc, table):
    return doc["tables"][table]["rows"]


def strip(doc, runs=True):
    """The document without the cells allowed to differ (runs=False: nor the run cells)."""
    d = json.loads(json.dumps(doc))
    if not runs:
        d["tables"].pop("runs", None)
        d["tables"]["overview"]["rows"] = [r for r in d["tables"]["overview"]["rows"]
                                           if r["metric"] not in RUN_CELLS]
        for row in d["tables"].get("evidence", {"rows": []})["rows"]:
            row.pop("captures", None)
        if "evidence" in d["tables"]:
            d["tables"]["evidence"]["columns"] = [
                c for c in d["tables"]["evidence"]["columns"] if c != "captures"]
    for k in ("generated_at", "store"):
        d.pop(k, None)
    for t, tab in d["tables"].items():
        skip = {"evidence": EVIDENCE_SKIP_COLS, "runs": RUNS_SKIP_COLS}.get(t, set())
        for row in tab["rows"]:
            row.pop("evidence", None)
            for c in skip:
                row.pop(c, None)
        if t == "runs":
            tab["columns"] = [c for c in tab["columns"] if c not in RUNS_SKIP_COLS]
            # ordered by id, which each store hands out in its own order
            tab["rows"] = sorted(tab["rows"], key=lambda r: json.dumps(r, sort_keys=True))
        if t == "overview":
            tab["rows"] = [r for r in tab["rows"] if r["metric"] not in DIFFERENT_OVERVIEW]
        if t == "evidence":
            tab["columns"] = [c for c in tab["columns"] if c not in EVIDENCE_SKIP_COLS]
            # alert ids differ, so the order by id may too: compare as a set
            tab["rows"] = sorted(tab["rows"], key=lambda r: json.dumps(r, sort_keys=True))
    return d


def diff(a, b, path=""):
    """The first difference between two parsed documents, as text (None when equal)."""
    if type(a) != type(b):
        return "%s: %r != %r" % (path, a, b)
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return "%s.%s: only in %s" % (path, k, "sqlite" if k in a else "postgresql")
            d = diff(a[k], b[k], path + "." + k)
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: %d rows != %d" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    return None if a == b else "%s: %r != %r" % (path, a, b)


def same(sq, pg, what, runs=True):
    d = diff(strip(sq, runs), strip(pg, runs))
    assert d is None, "%s: sqlite and postgresql reports differ at %s" % (what, d)


def runs_alerts(doc):
    """alerts per sensor from the runs table (a sensor may have several runs in SQLite)."""
    res = {}
    for r in rows(doc, "runs"):
        res[r["sensor"]] = res.get(r["sensor"], 0) + r["alerts"]
    return res


def metric(doc, name):
    for r in rows(doc, "overview"):
        if r["metric"] == name:
            return r["value"]
    raise KeyError(name)


def setup_two_sensors(window=None, before_collect=None):
    REDIS.start()
    PG.start()
    store = os.path.join(TMP, "one.db")
    rules, geo, pa, pb = captures()
    w = ["--set", "store.incident-window=%d" % window] if window else []
    # east: generated traffic and the demo attacks under the default rules; west: the report
    # test's captures under its rules and geo ranges (countries, AS, home networks)
    sensor("east", [gen("east", 1500, 21), attacks()], store, w)
    sensor("west", [pa, pb], store, ["-S", rules, "--set", "attribution.databases=" + geo] + w)
    if before_collect:
        before_collect()
    collect(*(["--incident-window", str(window)] if window else []))
    return store


def case_equal():
    """The same events in both stores: the same report, whole and for each filter."""
    store = setup_two_sensors()
    sq, pg = report("--store", store), report("--pg", PG.dsn)
    assert metric(sq, "alerts") > 50, "too few alerts to compare: %r" % metric(sq, "alerts")
    assert metric(sq, "incidents") > 10
    same(sq, pg, "whole store")
    assert runs_alerts(sq) == runs_alerts(pg), (runs_alerts(sq), runs_alerts(pg))
    # the tables that count things are not empty (the comparison compared something)
    for t in ("categories", "origins_country", "targets_services", "top_attackers", "evidence"):
        assert rows(sq, t), "table %s empty" % t
    # filters, each compared the same way
    first = rows(sq, "categories")[0]["category"]
    country = rows(sq, "origins_country")[0]["country"]
    day = sq["first_alert"][:10]
    for args in (["--sensor", "east"], ["--sensor", "west"], ["--category", first],
                 ["--country", country], ["--from", day, "--to", day],
                 ["--from", sq["first_alert"], "--to", sq["last_alert"]], ["--top", "3"]):
        a, b = report("--store", store, *args), report("--pg", PG.dsn, *args)
        same(a, b, " ".join(args))
    # a filter value is a value in both dialects (quotes and backslashes, never SQL)
    for bad in ("east' OR 'a'='a", "east\\' OR 1=1 --"):
        for args in (["--store", store], ["--pg", PG.dsn]):
            assert metric(report(*args, "--sensor", bad), "alerts") == 0, (args, bad)
    # evidence ids of PostgreSQL resolve to its own evidence rows
    ev = {r["alert"] for r in rows(pg, "evidence")}
    for t, tab in pg["tables"].items():
        for r in tab["rows"]:
            for i in r.get("evidence", []):
                assert i in ev, "%s: evidence id %d not in the evidence table" % (t, i)


def case_window():
    """Sensors with store.incident-window=1 and a collector with --incident-window 1: the same
    incidents centrally, and more of them than with the default hour (76 against 63 on these
    captures: the window changed something)."""
    # a second consumer group made first, so the stream keeps the entries for it
    store = setup_two_sensors(window=1, before_collect=lambda: REDIS.cmd(
        "XGROUP", "CREATE", "vigil:events", "hour", "0"))
    sq, pg = report("--store", store), report("--pg", PG.dsn)
    same(sq, pg, "incident window 1 s")
    assert {r["incident_window_s"] for r in rows(pg, "runs")} == {1}, rows(pg, "runs")
    assert {r["incident_window_s"] for r in rows(sq, "runs")} == {1}
    # the same alerts with the default window (another collector into a fresh database)
    PG.sql("CREATE DATABASE hour")
    hour = PG.dsn.replace("dbname=postgres", "dbname=hour")
    run([ARGS.vigil, "collect", "--redis", REDIS.url, "--pg", hour, "--group", "hour",
         "--idle-exit", "2"])
    assert metric(report("--pg", hour), "alerts") == metric(pg, "alerts")
    assert metric(report("--pg", hour), "incidents") < metric(pg, "incidents"), \
        (metric(report("--pg", hour), "incidents"), metric(pg, "incidents"))


def case_sensors():
    """Two sensors: the per-sensor reports and the by-sensor table add up to the whole."""
    store = setup_two_sensors()
    for args in (["--store", store], ["--pg", PG.dsn]):
        whole = report(*args)
        parts = [report(*args, "--sensor", s) for s in ("east", "west")]
        assert all(metric(p, "alerts") > 0 for p in parts), "a sensor without alerts"
        assert sum(metric(p, "alerts") for p in parts) == metric(whole, "alerts")
        assert sum(metric(p, "attack_alerts") for p in parts) == metric(whole, "attack_alerts")
        by = {r["sensor"]: r for r in rows(whole, "sensors")}
        assert set(by) == {"east", "west"}, by
        for s, p in zip(("east", "west"), parts):
            assert by[s]["alerts"] == metric(p, "alerts"), (s, by[s], metric(p, "alerts"))
            assert by[s]["incidents"] == metric(p, "incidents"), (s, by[s])
            assert by[s]["attackers"] == metric(p, "attackers"), (s, by[s])
        assert sum(r["alerts"] for r in by.values()) == metric(whole, "alerts")
        # one sensor: no by-sensor table
        assert "sensors" not in parts[0]["tables"]
        # every format renders it (the renderers do not know the store)
        for fmt in ("html", "md", "csv"):
            out = run([ARGS.vigil, "report", "--format", fmt] + list(args)).stdout
            if fmt == "csv":
                lines = [x for x in out.splitlines() if x.startswith("sensors,")]
                assert len(lines) == 2, lines  # one row per sensor
            else:
                assert "By sensor" in out, fmt


def case_migrate():
    """A store of schema 2 (events only) migrated to 4 by the next collector: the alerts already
    there are derived, and the report equals the SQLite store's but for the run cells (those
    events' run records were not derived: one run per sensor, as before schema 4)."""
    store = setup_two_sensors()
    before = report("--pg", PG.dsn)
    # back to schema 2 as an older collector left it: events, sensors and progress only
    PG.sql("DROP VIEW runs; DROP TABLE run_records, captures, alert_rollup, alert_dims,"
           " incidents, alerts, signatures; DROP FUNCTION vigil_jint, vigil_jtext;"
           " ALTER TABLE sensors DROP COLUMN id, DROP COLUMN first_ts,"
           " DROP COLUMN last_ts, DROP COLUMN incident_window, DROP COLUMN unrecorded;"
           " UPDATE vigil_schema SET version = 2")
    r = run([ARGS.vigil, "report", "--pg", PG.dsn], expect=2)
    assert "schema 2 is older" in r.stderr, r.stderr
    collect()  # migrates, nothing new in the stream
    assert PG.sql("SELECT max(version) FROM vigil_schema") == "4"
    after = report("--pg", PG.dsn)
    assert metric(after, "runs") == 2 and metric(after, "packets") == 0, "one run per sensor"
    same(report("--store", store), after, "after the 2 -> 4 migration", runs=False)
    same(before, after, "before and after the migration", runs=False)


def case_rerun():
    """The rerun rule centrally: a sensor reads the same captures twice (in another order, with a
    run of only one of them in between). SQLite keeps the later run and marks the first
    superseded; PostgreSQL, fed the run records, does the same for that sensor, so the reports
    are equal and count the captures once. The run of one capture and another sensor's run are
    left alone."""
    REDIS.start()
    PG.start()
    store = os.path.join(TMP, "one.db")
    rules, geo, pa, pb = captures()
    west = ["-S", rules, "--set", "attribution.databases=" + geo]
    sensor("west", [pa, pb], store, west)
    sensor("west", [pa], store, west)                    # other captures: both runs count
    sensor("west", [pb, pa], store, west)                # the first run's captures again
    sensor("east", [gen("east", 600, 31)], store)         # another sensor, left alone
    collect()
    sq, pg = report("--store", store), report("--pg", PG.dsn)
    assert metric(sq, "runs_superseded") == 1 and metric(sq, "runs") == 3, rows(sq, "overview")
    same(sq, pg, "after a rerun")
    # centrally: the first run superseded by the third, its alerts gone
    got = PG.sql("SELECT string_agg(status || ':' || coalesce(superseded_by::text, '-'), ' '"
                 " ORDER BY start_seq) FROM run_records WHERE sensor = 'west'").split()
    third = PG.sql("SELECT id FROM run_records WHERE sensor = 'west' ORDER BY start_seq"
                   " OFFSET 2 LIMIT 1")
    assert got == ["superseded:" + third, "complete:-", "complete:-"], got
    first = PG.sql("SELECT id FROM run_records WHERE sensor = 'west' ORDER BY start_seq LIMIT 1")
    for t in ("alerts", "alert_rollup"):
        assert PG.sql("SELECT count(*) FROM %s WHERE run_id = %s" % (t, first)) == "0", t
    # every incident's count is that of the alerts left in it
    assert PG.sql("SELECT count(*) FROM incidents i WHERE alerts <> (SELECT count(*) FROM alerts a"
                  " WHERE a.incident_id = i.id)") == "0"
    # the same alerts as one run of those captures alone would give
    assert metric(pg, "alerts") == metric(sq, "alerts") > 0


def wait_http(url, proc):
    for _ in range(200):
        if proc.poll() is not None:
            raise AssertionError("vigil serve exited: " + proc.stderr.read())
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    raise AssertionError("vigil serve did not answer")


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def case_serve():
    """/api/v1/report of `vigil serve --pg` is `vigil report --format json --pg` (and equals
    the SQLite store's as above); evidence downloads say why they cannot be served."""
    store = setup_two_sensors()
    port = servers.free_port()
    proc = subprocess.Popen([ARGS.vigil, "serve", "--pg", PG.dsn, "--listen",
                             "127.0.0.1:%d" % port], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        base = "http://127.0.0.1:%d" % port
        wait_http(base + "/api/v1/status", proc)
        for q, args in (("", []), ("?sensor=west", ["--sensor", "west"])):
            st, doc = get(base + "/api/v1/report" + q)
            assert st == 200, (st, doc)
            cli = report("--pg", PG.dsn, *args)
            doc.pop("generated_at")
            cli.pop("generated_at")
            assert doc == cli, "serve --pg: %s" % diff(cli, doc)
            same(report("--store", store, *args), cli, "serve " + q)
        # the lists over --pg: the same alerts and incidents as `vigil serve --store` (ids are
        # each store's own: compared by content)
        port2 = servers.free_port()
        proc2 = subprocess.Popen([ARGS.vigil, "serve", "--store", store, "--listen",
                                  "127.0.0.1:%d" % port2], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        try:
            base2 = "http://127.0.0.1:%d" % port2
            wait_http(base2 + "/api/v1/status", proc2)

            def content(items, keys):
                return sorted(json.dumps([it[k] for k in keys], sort_keys=True) for it in items)

            for q in ("", "?sensor=east", "?category=scanning"):
                st, a = get(base + "/api/v1/alerts" + ("?" if not q else q + "&") + "limit=1000")
                st2, b = get(base2 + "/api/v1/alerts" + ("?" if not q else q + "&") + "limit=1000")
                assert st == 200 and st2 == 200, (st, a, st2)
                keys = ("time", "sensor", "category", "certainty", "sid", "signature",
                        "attacker", "victim", "proto", "app_proto")
                assert content(a["alerts"], keys) == content(b["alerts"], keys), "alerts " + q
                st, a = get(base + "/api/v1/incidents" + q)
                st2, b = get(base2 + "/api/v1/incidents" + q)
                assert st == 200 and st2 == 200, (st, a)
                keys = ("sensor", "category", "attacker", "victim", "family", "start", "end",
                        "alerts", "country", "asn")
                assert content(a["incidents"], keys) == content(b["incidents"], keys), "inc " + q
            # pagination over --pg: pages of 7 without gap or repeat
            seen, cur = [], None
            while True:
                st, pg_page = get(base + "/api/v1/alerts?limit=7" + ("&cursor=" + cur if cur else ""))
                assert st == 200, pg_page
                seen += [x["id"] for x in pg_page["alerts"]]
                cur = pg_page["next_cursor"]
                if not cur:
                    break
            assert len(seen) == len(set(seen)) == metric(report("--pg", PG.dsn), "alerts")
        finally:
            proc2.send_signal(signal.SIGTERM)
            proc2.wait(timeout=10)
        # one alert: its rule and roles; its evidence pcap is on the sensor: 404 with the reason
        ev = rows(report("--pg", PG.dsn), "evidence")[0]["alert"]
        st, doc = get(base + "/api/v1/alerts/%d" % ev)
        assert st == 200 and doc["rule"]["sid"] and doc["attacker"]["ip"], (st, doc)
        st, doc = get(base + "/api/v1/alerts/%d/pcap" % ev)
        assert st == 404 and "sensor" in doc["error"], (st, doc)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def case_bad():
    """--pg with --store is refused; a DSN that does not answer and a database that is not a
    Vigil store are named in the message."""
    PG.start()
    r = run([ARGS.vigil, "report", "--pg", PG.dsn, "--store", "x.db"], expect=2)
    assert "--pg" in r.stderr, r.stderr
    r = run([ARGS.vigil, "report", "--pg", "host=/nonexistent dbname=x"], expect=2)
    assert "postgresql" in r.stderr, r.stderr
    r = run([ARGS.vigil, "report", "--pg", PG.dsn], expect=2)
    assert "not a Vigil database" in r.stderr, r.stderr
    r = run([ARGS.vigil, "serve", "--pg", PG.dsn, "--store", "x.db"], expect=2)
    assert "--pg" in r.stderr, r.stderr


if __name__ == "__main__":
    sys.exit(servers.run_case(sys.modules[__name__], "vigil-reportpg-"))
