#!/usr/bin/env python3
"""Benchmark of central collection (docs/SCALE.md): events/s committed to PostgreSQL by one and
two `vigil collect` processes, and the sensor's throughput with Redis shipping on vs off.

Starts its own redis-server (loopback) and PostgreSQL cluster (unix socket) like the tests
(tests/collect/servers.py) and stops them at the end.

usage: bench/collect.py [--vigil build/vigil] [--gen build/vigil-gen] [--flows 100000] [--runs 3]
                        [--sensor-only] [--vs OTHER-VIGIL] [--pcap FILE] [-S RULES]

The sensor's runs use a vigil-gen web mix of --flows flows (every flow ends in a flow event and
most carry an HTTP event: an EVE-dense worst case, ~190,000 events per second per sensor here),
or --pcap FILE (e.g. bench/out/synthetic-web-1G.pcap of bench/pipeline.py, or the corpus mix of
bench/corpus_mix.py with -S and ET Open) for the cost on a given capture and rule set.
"""
import argparse
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "collect"))
import servers  # noqa: E402


def proc_cpu(pid):
    """user+sys CPU seconds of a running process (from /proc)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def report_sensor(a, n_events, off, on, spool_only, cpu, sensor_cpu, vs):
    med = statistics.median
    print("events per sensor run: %d (%s)" % (n_events, a.pcap or "%s flows, --mix web" % a.flows))
    mo, mn, ms = med(off), med(on), med(spool_only)
    print("sensor, spool only (Redis unreachable): median %.3f s; throughput %.3f of off"
          % (ms, mo / ms))
    print("sensor, shipping off: median %.3f s; on: median %.3f s; on/off throughput %.3f"
          % (mo, mn, mo / mn))
    co, cn, cs = (med(cpu[k]) for k in (False, True, "spool"))
    print("CPU (sensor + redis-server), medians: off %.3f s, spool only %.3f s (cost %.1f%%),"
          " shipping %.3f s (cost %.1f%%)" % (co, cs, 100 * (cs / co - 1), cn,
                                              100 * (cn / co - 1)))
    so, sn = med(sensor_cpu[False]), med(sensor_cpu[True])
    print("CPU of the sensor alone, medians: off %.3f s, shipping %.3f s (cost %.1f%%);"
          " redis-server %.3f s" % (so, sn, 100 * (sn / so - 1), cn - sn))
    if vs["wall"]:
        vw, vc, vsc = med(vs["wall"]), med(vs["cpu"]), med(vs["sensor_cpu"])
        print("--vs %s, shipping: median %.3f s (on/off throughput %.3f), CPU sensor + redis"
              " %.3f s (cost %.1f%%), sensor alone %.3f s (cost %.1f%%)"
              % (a.vs, vw, mo / vw, vc, 100 * (vc / co - 1), vsc, 100 * (vsc / so - 1)))
        print("this build / --vs, shipping: wall %.3f, CPU sensor + redis %.3f, sensor CPU %.3f"
              % (mn / vw, cn / vc, sn / vsc))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", default=os.path.join(HERE, "..", "build", "vigil"))
    ap.add_argument("--gen", default=os.path.join(HERE, "..", "build", "vigil-gen"))
    ap.add_argument("--flows", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--pcap", help="the sensor's capture (default: a vigil-gen web mix)")
    ap.add_argument("-S", dest="rules", action="append", default=[],
                    help="rule files for the sensor's runs (default: the bundled rules)")
    ap.add_argument("--sensor-only", action="store_true",
                    help="only the sensor's runs (shipping off / spool only / on), no collectors")
    ap.add_argument("--vs", help="a second vigil binary: its shipping runs are interleaved with"
                    " the first's, for before/after ratios measured in the same run")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vigil-bench-collect-")
    pcap = a.pcap or os.path.join(tmp, "mix.pcap")
    if not a.pcap:
        subprocess.run([a.gen, "--flows", str(a.flows), "--seed", "9", "--mix", "web", "-o",
                        pcap], check=True, capture_output=True)
    def on_term(sig, frame):
        raise SystemExit("terminated")
    signal.signal(signal.SIGTERM, on_term)
    redis = servers.Redis(tmp)
    pg = servers.Postgres(tmp)
    redis.start()
    pg.start()
    try:
        # --- the sensor: shipping off vs on (interleaved runs, medians) ---
        off, on, spool_only = [], [], []
        cpu = {False: [], True: [], "spool": []}  # sensor CPU (+ redis-server's for shipping)
        sensor_cpu = {False: [], True: [], "spool": []}  # the sensor's alone
        vs = {"wall": [], "cpu": [], "sensor_cpu": []}  # --vs: the second binary, shipping
        n_events = 0
        modes = (False, True, "spool") + (("vs",) if a.vs else ())
        for i in range(a.runs):
            for ship in modes:
                d = os.path.join(tmp, "s%d%s" % (i, ship))
                binary = a.vs if ship == "vs" else a.vigil
                cmd = [binary, "read", pcap, "-l", d, "--workers", "2", "-q", "--no-progress",
                       "--set", "store.enabled=false", "--set", "sensor-name=bench%d" % i]
                for r in a.rules:
                    cmd += ["-S", r]
                if ship == "spool":
                    # the spool alone: Redis unreachable (a closed loopback port), no drain
                    cmd += ["--redis", "redis://127.0.0.1:1", "--set",
                            "outputs.redis.drain-timeout=0"]
                elif ship:  # True or "vs"
                    # the run ends once the spool is in Redis (the default drain waits for it)
                    cmd += ["--redis", redis.url, "--set", "outputs.redis.drain-timeout=60000",
                            "--set", "outputs.redis.stream=bench:sensor"]  # not the collectors'
                t = time.monotonic()
                c0, r0 = children_cpu(), proc_cpu(redis.proc.pid)
                subprocess.run(cmd, check=True, capture_output=True)
                dt = time.monotonic() - t
                sc = children_cpu() - c0
                if ship == "vs":
                    vs["wall"].append(dt)
                    vs["cpu"].append(sc + proc_cpu(redis.proc.pid) - r0)
                    vs["sensor_cpu"].append(sc)
                    shutil.rmtree(d, ignore_errors=True)
                    subprocess.run(redis.prefix + [redis.cli, "-p", str(redis.port), "DEL",
                                                   "bench:sensor"], capture_output=True)
                    continue
                cpu[ship].append(sc + proc_cpu(redis.proc.pid) - r0)
                sensor_cpu[ship].append(sc)
                (spool_only if ship == "spool" else on if ship else off).append(dt)
                with open(os.path.join(d, "eve.json")) as f:
                    n_events = sum(1 for _ in f)
                # Each run starts from the same state: its log directory (eve.json and the spool,
                # hundreds of MB for a large capture) goes, and so does what it shipped, or the
                # page cache and Redis's memory grow run after run and the later runs measure that.
                shutil.rmtree(d, ignore_errors=True)
                subprocess.run(redis.prefix + [redis.cli, "-p", str(redis.port), "DEL",
                                               "bench:sensor"], capture_output=True)
        if a.sensor_only:
            report_sensor(a, n_events, off, on, spool_only, cpu, sensor_cpu, vs)
            return
        # --- collectors: one, then two. Each measurement gets its own stream contents (the
        # collectors trim what they acknowledged): shipped first with no collector running.
        rates = {}
        for n_coll in (1, 2):
            # every table and view the collector made (the schema grows with its versions)
            pg.sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            d = os.path.join(tmp, "fill%d" % n_coll)
            subprocess.run([a.vigil, "read", pcap, "-l", d, "--workers", "2", "-q",
                            "--no-progress", "--set", "store.enabled=false",
                            "--set", "sensor-name=fill%d" % n_coll, "--redis", redis.url,
                            "--set", "outputs.redis.drain-timeout=60000"],
                           check=True, capture_output=True)
            with open(os.path.join(d, "eve.json")) as f:
                total = sum(1 for _ in f) + 2  # and the run's start and end records
            t = time.monotonic()
            procs = [subprocess.Popen([a.vigil, "collect", "--redis", redis.url, "--pg", pg.dsn,
                                       "--consumer", "c%d" % k, "--batch", str(a.batch), "-q"])
                     for k in range(n_coll)]
            while True:
                try:
                    got = int(pg.sql("SELECT coalesce(sum(events), 0) FROM sensors"
                                     " WHERE sensor = 'fill%d'" % n_coll) or 0)
                except AssertionError:
                    got = 0
                if got >= total:
                    break
                if redis.proc.poll() is not None or any(p.poll() is not None for p in procs):
                    sys.exit("bench: a server or collector stopped: redis log:\n" + redis.log())
                time.sleep(0.05)
            dt = time.monotonic() - t
            for p in procs:
                p.terminate()
                p.wait()
            rates[n_coll] = (total, dt)
        report_sensor(a, n_events, off, on, spool_only, cpu, sensor_cpu, vs)
        for n_coll, (tot, dt) in rates.items():
            print("%d collector(s): %d entries committed in %.2f s: %.0f events/s"
                  % (n_coll, tot, dt, tot / dt))
        print("two vs one collector: %.2fx" % ((rates[2][0] / rates[2][1]) /
                                                (rates[1][0] / rates[1][1])))
        size = pg.sql("SELECT pg_total_relation_size(c.oid) FROM pg_class c WHERE c.relname"
                      " LIKE 'events_%' ORDER BY 1")
        tot_bytes = sum(int(x) for x in size.split()) if size else 0
        print("PostgreSQL: %d bytes for %d events (%.0f bytes/event, indexes included)"
              % (tot_bytes, rates[2][0], tot_bytes / max(1, rates[2][0])))
    finally:
        redis.stop()
        pg.stop()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
