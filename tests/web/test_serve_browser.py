#!/usr/bin/env python3
"""The dashboard in headless Chromium (tests/web/browser.js, playwright-core from web/
node_modules with Debian's /usr/bin/chromium), over a store made from generated captures:
no console error and no request leaving 127.0.0.1; the charts (uPlot through web/charts.js)
hold the report's numbers and are drawn, and clicking a category's bar filters; the map draws the countries and colours the
attacking ones by the report's numbers (and by incidents, attackers, verified alerts); clicking
a country filters every panel; a row opens its alerts, an alert downloads a pcap whose SHA-256
is the ledger's; keyboard use; a category filter; the page follows a run writing to the store.
Screenshots of each view are kept in --out.
Skips (77) without node, chromium, web/node_modules (npm ci in web/) or a build with the map
and the charts.
usage: test_serve_browser.py --vigil PATH [--out DIR]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import servelib as S  # noqa: E402
import test_report_html as R  # noqa: E402  (tests/report, on the path through servelib)

ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    node = shutil.which("node")
    if not node or not os.path.exists("/usr/bin/chromium") or \
            not os.path.isdir(os.path.join(ROOT, "web", "node_modules", "playwright-core")):
        print("skip: needs node, /usr/bin/chromium and web/node_modules (npm ci in web/)")
        return 77
    out = os.path.abspath(a.out or os.path.join(os.getcwd(), "web-screenshots"))
    os.makedirs(out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="vigil-serve-browser-")
    srv = None
    try:
        store, logs = S.make_store(a.vigil, tmp)
        srv = S.Server(a.vigil, [store])
        st, _, _ = srv.get("/vendor/countries-110m.json")
        if st != 200:
            print("skip: this vigil was built without the map data (npm ci in web/, then cmake)")
            return 77
        st, _, _ = srv.get("/vendor/uPlot.iife.min.js")
        if st != 200:
            print("skip: this vigil was built without uPlot, the charts (npm ci in web/, then cmake)")
            return 77
        st, _, doc = srv.json("/api/v1/report")
        countries = {r["country"]: r for r in doc["tables"]["origins_country"]["rows"]}
        ledger = {}
        for d in logs:
            for line in open(os.path.join(d, "evidence", "ledger.jsonl")):
                e = json.loads(line)
                if e.get("type") == "evidence":
                    ledger[e["file"]] = e["sha256"]
        # a later run: one more exploit from a new attacker
        pc = os.path.join(tmp, "c.pcap")
        S.P.write_pcap(pc, S.E.http_conv("203.0.113.99", "10.0.0.82",
                                         b"GET /exploit HTTP/1.1\r\nHost: c\r\n\r\n", 7200))
        refresh = [a.vigil, "read", pc, "-l", os.path.join(tmp, "l4"), "-S",
                   os.path.join(tmp, "t.rules"), "--set",
                   "attribution.databases=" + os.path.join(tmp, "geoip"), "--set",
                   "sensor-name=e2e", "--no-progress", "-q", "--store", store]
        ov = {r["metric"]: r["value"] for r in doc["tables"]["overview"]["rows"]}
        cfg = {"url": "http://127.0.0.1:%d/" % srv.port, "out": out, "countries": countries,
               "ledger": ledger, "refresh": refresh, "refreshAlerts": ov["attack_alerts"] + 1,
               "category": "denial-of-service",
               # what the charts must hold, from the report document (as the report's test)
               "timeline": R.series_expect(doc["tables"]["timeline"]["rows"]),
               "categories": dict(R.bars_expect(doc["tables"]["categories"]["rows"], "alerts", 1000),
                                  rows=doc["tables"]["categories"]["rows"])}
        r = subprocess.run([node, os.path.join(HERE, "browser.js"), json.dumps(cfg)], timeout=240)
        rc, _, err = srv.stop()
        srv = None
        if rc != 0 or "Sanitizer" in err:
            print("FAIL vigil serve: %d %s" % (rc, err[-1500:]))
            return 1
        return r.returncode
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
