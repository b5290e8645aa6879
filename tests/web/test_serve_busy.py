#!/usr/bin/env python3
"""`vigil serve` while a slow report builds, on a store of generated alerts (vigil-bench-store)
large enough that a report takes seconds:

  * a request for the report being built, after the store changed, gets the last report at
    once (X-Vigil-Stale) instead of waiting for the build;
  * a request for another report while the only build slot is taken gets a 503 with
    Retry-After, and other endpoints are answered meanwhile;
  * when the build ends, the new report (it counts the changed run) is served from the cache.
usage: test_serve_busy.py --vigil PATH --bench-store PATH
"""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servelib as S  # noqa: E402

from servelib import FAILED, check, overview as ov  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--bench-store", required=True)
    ap.add_argument("--alerts", type=int, default=300000)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vigil-serve-busy-")
    srv = None
    try:
        # The report reads rollups now (well under a second here): the scan of every alert, the
        # reference path of the same report, keeps a build slow enough to test the busy paths.
        # A fast machine or build (release, no sanitizers) scans the default store in under the
        # 3 s the checks below need: the store is then made larger, up to three times.
        alerts = a.alerts
        for attempt in range(4):
            store = os.path.join(tmp, "big%d.db" % attempt)
            subprocess.run([a.bench_store, "--alerts", str(alerts), "--store", store,
                            "--no-report"], check=True, stdout=subprocess.DEVNULL)
            srv = S.Server(a.vigil, [store, "--threads", "2"],
                           env=dict(os.environ, VIGIL_REPORT_SCAN="1"))
            t0 = time.monotonic()
            st, h, old = srv.json("/api/v1/report")
            build = time.monotonic() - t0
            check(st == 200 and h.get("x-vigil-cache") == "miss", "first report built (%d)" % st)
            print("report build over %d alerts: %.1f s" % (alerts, build))
            if build >= 3:
                break
            srv.stop()
            srv = None
            os.unlink(store)
            alerts = int(alerts * 3.5 / max(build, 0.5)) + alerts
        else:
            print("FAIL the report builds in %.1f s: too fast to test the busy paths" % build)
            return 1
        db = sqlite3.connect(store)
        db.execute("UPDATE runs SET status='partial' WHERE id=(SELECT min(id) FROM runs)")
        db.commit()
        db.close()
        res = {}
        th = threading.Thread(target=lambda: res.setdefault("new", srv.json("/api/v1/report")))
        th.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        st, h, doc = srv.json("/api/v1/report")
        dt = time.monotonic() - t0
        check(st == 200 and h.get("x-vigil-stale") == "1" and doc == old and dt < build / 2,
              "during the new build: the last report at once (%d, stale %s, %.1f s)" %
              (st, h.get("x-vigil-stale"), dt))
        st, h, body = srv.get("/api/v1/report?country=CN")
        check(st == 503 and h.get("retry-after") == "2", "another report while the slot is taken: "
              "503 with Retry-After (%d)" % st)
        t0 = time.monotonic()
        st, _, _ = srv.get("/api/v1/alerts?limit=5")
        check(st == 200 and time.monotonic() - t0 < build / 2, "alerts answered during the build")
        check(th.is_alive(), "the build was still running during these checks")
        th.join()
        st, h, new = res["new"]
        check(st == 200 and h.get("x-vigil-cache") == "miss" and ov(new)["runs_partial"] == 1 and
              ov(old)["runs_partial"] == 0, "the new report counts the changed run")
        st, h, again = srv.json("/api/v1/report")
        check(st == 200 and h.get("x-vigil-cache") == "hit" and "x-vigil-stale" not in h and
              again == new, "then served from the cache")
        rc, _, err = srv.stop()
        srv = None
        check(rc == 0 and "Sanitizer" not in err, "clean stop: %r" % err[-1000:])
        if not FAILED:
            print("ok: a slow report build does not hold up the server")
        return 1 if FAILED else 0
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
