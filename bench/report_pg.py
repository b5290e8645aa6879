#!/usr/bin/env python3
"""`vigil report --format json` over the central PostgreSQL store against the same over SQLite,
for the same N generated alerts (issue 12, "one report, either store").

The alerts are vigil-bench-store's (campaigns over a year, bench/bench_store.c): it fills the
SQLite store through the store's sink and writes the same lines to a file (--emit); those lines
are then shipped into a Redis stream as a sensor does (entries of 64 events, sensor "bench",
seq 1..N) and committed by `vigil collect` into a throwaway PostgreSQL (tests/collect/servers.py:
loopback, temporary folder). Each report is run --runs times, alternating; reported: medians of
wall time, the vigil process's CPU (user+sys) and, for PostgreSQL, the server's CPU (postmaster
and its reaped backends: utime+stime+cutime+cstime of the postmaster). The two JSON documents are
also compared (tables other than the documented differences must be equal: docs/SCALE.md).

usage: bench/report_pg.py [--alerts 1000000] [--runs 3] [--build build]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "collect"))
import servers  # noqa: E402
import test_report_pg as T  # noqa: E402


def postmaster_cpu(pg):
    """CPU seconds of the postmaster and its exited (reaped) children."""
    with open(os.path.join(pg.data, "postmaster.pid")) as f:
        pid = int(f.readline())
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / tick


def ship(redis, lines_path, n):
    """XADD the lines as a sensor does: entries {sensor, seq, events} of 64 events."""
    def resp(*args):
        out = ["*%d\r\n" % len(args)]
        for a in args:
            b = a.encode() if isinstance(a, str) else a
            out.append("$%d\r\n" % len(b))
            out.append(b.decode("utf-8", "surrogateescape") + "\r\n")
        return "".join(out)
    p = subprocess.Popen([redis.cli, "-p", str(redis.port), "--pipe"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, text=True)
    seq = 1
    batch = []
    with open(lines_path) as f:
        for line in f:
            batch.append(line.rstrip("\n"))
            if len(batch) == 64:
                p.stdin.write(resp("XADD", "vigil:events", "*", "sensor", "bench", "seq",
                                   str(seq), "events", "\n".join(batch)))
                seq += len(batch)
                batch = []
    if batch:
        p.stdin.write(resp("XADD", "vigil:events", "*", "sensor", "bench", "seq", str(seq),
                           "events", "\n".join(batch)))
        seq += len(batch)
    p.stdin.close()
    p.wait()
    assert seq - 1 == n, (seq, n)


def timed(cmd, pg=None):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p0 = postmaster_cpu(pg) if pg else 0
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode:
        raise SystemExit("%s: %s" % (" ".join(cmd), r.stderr[-2000:]))
    if pg:
        time.sleep(0.5)  # the backend exits after the client: let the postmaster reap it
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    server = postmaster_cpu(pg) - p0 if pg else 0
    return wall, cpu, server, r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = ap.parse_args()
    vigil = os.path.join(a.build, "vigil")
    bstore = os.path.join(a.build, "vigil-bench-store")
    tmp = tempfile.mkdtemp(prefix="vigil-bench-reportpg-")
    os.chmod(tmp, 0o755)
    redis = servers.Redis(tmp)
    pg = servers.Postgres(tmp)
    try:
        redis.start()
        pg.start()
        db = os.path.join(tmp, "bench.db")
        lines = os.path.join(tmp, "alerts.jsonl")
        subprocess.run([bstore, "--alerts", str(a.alerts), "--store", db, "--emit", lines,
                        "--no-report"], check=True, stdout=subprocess.DEVNULL)
        t0 = time.time()
        ship(redis, lines, a.alerts)
        t_ship = time.time() - t0
        t0 = time.time()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        p0 = postmaster_cpu(pg)
        c = subprocess.run([vigil, "collect", "--redis", redis.url, "--pg", pg.dsn,
                            "--idle-exit", "3"], capture_output=True, text=True)
        t_collect = time.time() - t0 - 3
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        time.sleep(0.5)
        c_cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        s_cpu = postmaster_cpu(pg) - p0
        if c.returncode:
            raise SystemExit("collect: " + c.stderr[-2000:])
        n_pg = int(pg.sql("SELECT count(*) FROM alerts"))
        cells = int(pg.sql("SELECT count(*) FROM alert_rollup"))
        print("alerts: %d (sqlite) / %d (postgresql, %d rollup cells); shipped in %.1f s, "
              "collected in %.1f s (%.0f alerts/s with derivation)"
              % (a.alerts, n_pg, cells, t_ship, t_collect, a.alerts / max(t_collect, 1e-9)))
        print("collect CPU: vigil collect %.1f s, PostgreSQL %.1f s (%.1f + %.1f us per alert)"
              % (c_cpu, s_cpu, 1e6 * c_cpu / a.alerts, 1e6 * s_cpu / a.alerts))
        pg.sql("VACUUM ANALYZE")
        # the whole store (whole days: rollup cells), and a period cutting two days (their
        # parts read from the raw alerts) for one category
        for label, flt in (("whole store", []),
                           ("2024-01-10T12:00Z..2024-01-30T12:00Z, scanning",
                            ["--from", "2024-01-10T12:00:00Z", "--to", "2024-01-30T12:00:00Z",
                             "--category", "scanning"])):
            res = {"sqlite": [], "postgresql": []}
            docs = {}
            for _ in range(a.runs):
                for k, cmd in (("sqlite", [vigil, "report", "--format", "json", "--store", db]),
                               ("postgresql", [vigil, "report", "--format", "json", "--pg",
                                               pg.dsn])):
                    w, cpu, srv, out = timed(cmd + flt, pg if k == "postgresql" else None)
                    res[k].append((w, cpu, srv))
                    docs[k] = json.loads(out)
            d = T.diff(T.strip(docs["sqlite"]), T.strip(docs["postgresql"]))
            print("%s (%s alerts):" % (label, T.metric(docs["sqlite"], "alerts")))
            for k, v in res.items():
                print("  %-10s report --format json: wall %.2f s, vigil CPU %.2f s, server CPU"
                      " %.2f s (medians of %d)" % (k, statistics.median(x[0] for x in v),
                                                   statistics.median(x[1] for x in v),
                                                   statistics.median(x[2] for x in v), len(v)))
            print("  documents: " + ("equal (but the documented differences)" if d is None
                                     else "DIFFER at " + d))
    finally:
        redis.stop()
        pg.stop()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
