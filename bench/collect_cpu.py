#!/usr/bin/env python3
"""CPU per event of central collection (issue 12): user+sys CPU of `vigil collect` and of the
PostgreSQL cluster (postmaster and all its processes, exited backends included) for one
collection of a shipped capture. CPU time, not wall time: on the shared 2-core machine the wall
time swings with the other engineers' load, the CPU per event much less.

Starts its own redis-server and PostgreSQL cluster like the tests (tests/collect/servers.py).
--alter SQL (repeatable) is run on the fresh schema before collecting, for A/B comparisons of a
schema change (e.g. --alter "ALTER TABLE events ALTER COLUMN event TYPE text"). With PERF=FILE in
the environment the whole system is sampled with `perf record -a` during the collection and the
PostgreSQL backends' pids are written to FILE.pids (perf report --pid $(cat FILE.pids)).

usage: bench/collect_cpu.py [--vigil build/vigil] [--gen build/vigil-gen] [--flows 20000]
                            [--threads 2] [--alter SQL]...
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "collect"))
import servers  # noqa: E402


def cluster_cpu(pg):
    """user+sys CPU of the cluster's postmaster and its children; the postmaster reaps its
    exited children, so their CPU is in its cutime/cstime."""
    with open(os.path.join(pg.data, "postmaster.pid")) as f:
        pm = f.readline().strip()
    tck = os.sysconf("SC_CLK_TCK")
    tot = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                x = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if pid == pm:
            tot += sum(int(v) for v in x[11:15]) / tck
        elif x[1] == pm:
            tot += (int(x[11]) + int(x[12])) / tck
    return tot


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", default=os.path.join(HERE, "..", "build", "vigil"))
    ap.add_argument("--gen", default=os.path.join(HERE, "..", "build", "vigil-gen"))
    ap.add_argument("--flows", type=int, default=20000)
    ap.add_argument("--threads", default="2")
    ap.add_argument("--alter", action="append", default=[])
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vigil-bench-collect-cpu-")
    pcap = os.path.join(tmp, "mix.pcap")
    subprocess.run([a.gen, "--flows", str(a.flows), "--seed", "9", "--mix", "web", "-o", pcap],
                   check=True, capture_output=True)
    redis, pg = servers.Redis(tmp), servers.Postgres(tmp)
    redis.start()
    pg.start()
    try:
        d = os.path.join(tmp, "s")
        subprocess.run([a.vigil, "read", pcap, "-l", d, "-q", "--no-progress", "--set",
                        "store.enabled=false", "--set", "sensor-name=fill", "--redis", redis.url,
                        "--set", "outputs.redis.drain-timeout=60000"],
                       check=True, capture_output=True)
        with open(os.path.join(d, "eve.json")) as f:
            n = sum(1 for _ in f) + 2  # and the run's start and end records
        # the measured collector's group first (so the stream keeps the entries for it), then
        # the schema made by a collector of another group, emptied again
        redis.cmd("XGROUP", "CREATE", "vigil:events", "vigil-collect", "0")
        subprocess.run([a.vigil, "collect", "--redis", redis.url, "--pg", pg.dsn, "--group",
                        "warm", "--idle-exit", "1", "-q", "--threads", "1"], capture_output=True)
        pg.sql("TRUNCATE events, sensors, sensor_ranges, alert_daily, alerts, incidents,"
               " alert_dims, alert_rollup, signatures, run_records, captures CASCADE")
        for sql in a.alter:
            pg.sql(sql)
        perf = None
        if os.environ.get("PERF"):
            perf = subprocess.Popen(["perf", "record", "-a", "-F", "999", "-o",
                                     os.environ["PERF"]], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        p0 = cluster_cpu(pg)
        t = time.monotonic()
        cp = subprocess.Popen(["/usr/bin/time", "-f", "%U %S", a.vigil, "collect", "--redis",
                               redis.url, "--pg", pg.dsn, "--idle-exit", "1", "-q", "--threads",
                               a.threads], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
        pids = set()
        while cp.poll() is None:
            pids |= set(subprocess.run(["pgrep", "-f", r"postgres: .*\[local\]"],
                                       capture_output=True, text=True).stdout.split())
            time.sleep(0.1)
        _, err = cp.communicate()
        dt = time.monotonic() - t - 1.0  # --idle-exit 1
        p1 = cluster_cpu(pg)
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
            with open(os.environ["PERF"] + ".pids", "w") as f:
                f.write(",".join(sorted(pids)))
        u, s = map(float, err.strip().split("\n")[-1].split())
        got = int(pg.sql("SELECT count(*) FROM events"))
        print("events %d (stored %d); collector CPU %.2f s = %.2f us/event; postgres CPU %.2f s"
              " = %.2f us/event; wall %.2f s" % (n, got, u + s, 1e6 * (u + s) / n, p1 - p0,
                                                 1e6 * (p1 - p0) / n, dt))
    finally:
        redis.stop()
        pg.stop()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
