"""Shared by the `vigil serve` tests: a store made from generated captures (the captures, rules
and geo ranges of tests/report/test_store_report_e2e.py) with the evidence ledger on, and a
server started on a free loopback port."""
import http.client
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "report"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import pktlib as P  # noqa: E402
import test_store_report_e2e as E  # noqa: E402


# Failed checks of the running test (each test script runs one case per process).
FAILED = []


def check(cond, what):
    """Records a failed check (the test goes on, and fails at the end) and prints it."""
    if not cond:
        FAILED.append(what)
        print("FAIL " + what)
    return cond


def overview(doc):
    """The overview table of a report document as {metric: value}."""
    return {r["metric"]: r["value"] for r in doc["tables"]["overview"]["rows"]}


def make_store(vigil, tmp):
    """Two runs (captures A and B of the report test) into tmp/shared.db, evidence on; a rerun
    of A supersedes the first run. Returns (store path, [log dirs of the counted runs])."""
    rules = os.path.join(tmp, "t.rules")
    open(rules, "w").write(E.RULES)
    geo = os.path.join(tmp, "geoip")
    open(geo, "w").write(E.GEO)
    pa, pb = os.path.join(tmp, "a.pcap"), os.path.join(tmp, "b.pcap")
    P.write_pcap(pa, E.capture_a())
    P.write_pcap(pb, E.capture_b())
    store = os.path.join(tmp, "shared.db")
    base = [vigil, "read", "-S", rules, "--set", "attribution.databases=" + geo,
            "--set", "sensor-name=e2e", "--no-progress", "-q", "--evidence",
            "--set", "evidence.key-dir=" + os.path.join(tmp, "keys"), "--store", store]
    logs = []
    for name, pcap in (("l1", pa), ("l2", pb), ("l3", pa)):
        d = os.path.join(tmp, name)
        r = subprocess.run(base + [pcap, "-l", d], capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("vigil read failed (%d): %s" % (r.returncode, r.stderr))
        logs.append(d)
    return store, logs[1:]


class Server:
    def __init__(self, vigil, args, env=None):
        self.p = subprocess.Popen([vigil, "serve", *args, "--listen", "127.0.0.1:0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=env)
        line = self.p.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            err = self.p.stderr.read()
            self.p.wait()
            raise SystemExit("vigil serve did not start: %r %s" % (line, err))
        self.port = int(m.group(1))

    def get(self, path, headers=None, method="GET", body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        return r.status, hdrs, data

    def json(self, path, headers=None):
        st, h, data = self.get(path, headers)
        return st, h, json.loads(data) if data else None

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        err = self.p.stderr.read()
        out = self.p.stdout.read()
        return self.p.returncode, out, err


def wait_port_closed(port, timeout=5):
    end = time.time() + timeout
    while time.time() < end:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
        except OSError:
            return True
        time.sleep(0.1)
    return False
