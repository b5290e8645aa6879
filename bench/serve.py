#!/usr/bin/env python3
"""`vigil serve` under load: wrk on loopback against the overview (/api/v1/report), a country
view (/api/v1/report?country=CN), a page of that country's alerts and the page itself, over a
store of N generated alerts (vigil-bench-store: campaigns over a year, 10 countries).

Reported: the time of the first (uncached) report of each view, then wrk's requests/s and p99
latency for each URL, and the server's peak resident memory (VmHWM). wrk and the server share the
machine's cores.
usage: bench/serve.py [--alerts 1000000] [--duration 15] [--connections 16] [--threads 2]
"""
import argparse
import http.client
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VIGIL = os.path.join(ROOT, "build", "vigil")
STORE_GEN = os.path.join(ROOT, "build", "vigil-bench-store")
OUT = os.path.join(HERE, "out")


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    t0 = time.monotonic()
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    dt = time.monotonic() - t0
    c.close()
    if r.status != 200:
        sys.exit("%s: HTTP %d %s" % (path, r.status, body[:200]))
    return dt, len(body), r.getheader("X-Vigil-Cache")


def wrk(port, path, duration, conns):
    r = subprocess.run(["wrk", "-t2", "-c%d" % conns, "-d%ds" % duration, "--latency",
                        "http://127.0.0.1:%d%s" % (port, path)], capture_output=True, text=True)
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", r.stdout).group(1))
    m = re.search(r"99%\s+([0-9.]+)(us|ms|s)", r.stdout)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
    sock = re.search(r"Socket errors: (.*)", r.stdout)
    return rps, p99, int(errs.group(1)) if errs else 0, sock.group(1) if sock else ""


def mem(pid):
    st = open("/proc/%d/status" % pid).read()
    hwm = int(re.search(r"VmHWM:\s+(\d+)", st).group(1))
    rss = int(re.search(r"VmRSS:\s+(\d+)", st).group(1))
    return hwm / 1024, rss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=1000000)
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    store = os.path.join(OUT, "serve-%d.db" % a.alerts)
    if not os.path.exists(store):
        t0 = time.monotonic()
        subprocess.run([STORE_GEN, "--alerts", str(a.alerts), "--store", store, "--no-report"],
                       check=True, stdout=subprocess.DEVNULL)
        print("store: %d alerts made in %.0f s (%.0f MB)" % (a.alerts, time.monotonic() - t0,
                                                              os.path.getsize(store) / 1e6))
    p = subprocess.Popen([VIGIL, "serve", store, "--listen", "127.0.0.1:0", "--threads",
                          str(a.threads)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r":(\d+)/", p.stdout.readline()).group(1))
        views = [("overview", "/api/v1/report"), ("country CN", "/api/v1/report?country=CN")]
        print("| view | first request (uncached report build) | document |")
        print("|---|---|---|")
        for name, path in views:
            dt, n, cache = get(port, path)
            print("| %s | %.2f s (%s) | %d KB |" % (name, dt, cache, n // 1024))
        urls = views + [("alerts of CN, page of 100", "/api/v1/alerts?country=CN&limit=100"),
                        ("the page (index.html)", "/")]
        print()
        print("| URL | requests/s | p99 latency | non-2xx | socket errors |")
        print("|---|---|---|---|---|")
        for name, path in urls:
            rps, p99, bad, sock = wrk(port, path, a.duration, a.connections)
            print("| %s `%s` | %.0f | %.1f ms | %d | %s |" % (name, path, rps, p99, bad, sock or "none"))
        hwm, rss = mem(p.pid)
        print()
        print("server memory: peak %.0f MiB resident (now %.0f MiB); %d alerts, %d threads, "
              "wrk -t2 -c%d -d%ds" % (hwm, rss, a.alerts, a.threads, a.connections, a.duration))
    finally:
        p.terminate()
        p.wait()


if __name__ == "__main__":
    main()
