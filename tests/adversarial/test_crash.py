#!/usr/bin/env python3
"""Crash safety (issue 13): the sensor killed with SIGKILL at random moments, many times over.

--mode read (default): `vigil read` killed at random moments into one shared event store and one
evidence log directory.

After every kill:
  * the store opens and passes SQLite's `PRAGMA integrity_check`;
  * what a complete earlier run committed is all still there (its alerts, incidents, status);
  * every alert row the killed run had committed is an alert line of its eve.json (the store
    never holds what the run did not write), and the killed run is not counted by the report;
  * `vigil verify` on the killed run's log directory reports it incomplete at worst (unsigned
    tail, unsealed or orphaned files), never tampered, and every entry signed before the kill
    stays signed;
  * the complete run's own log directory still verifies clean.
At the end a complete run of the same captures is counted exactly once next to the first run,
and the report's alert total is the sum of the two complete runs' eve.json alerts.

--mode live: the same with `vigil live` on a network-namespace test bed (tests/e2e/test_live.py's
Bed: a veth pair in a namespace of its own; captures made here replayed with tcpreplay); each
round is a live run killed at a random moment while traffic flows, into the same store and
evidence directory; see main_live(). Needs root and network namespaces: exits 77 (skipped) with
the reason when the test bed cannot be built.

--mode spool: `vigil read --redis URL` killed at random moments with Redis up or down (and a
collector running or not); see main_spool(). Needs redis-server and PostgreSQL (exit 77 without).

usage: test_crash.py --vigil PATH --gen PATH [--mode read|live|spool] [--rounds N] [--seed S]
"""
import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "collect"))
import pktlib as P  # noqa: E402

SKIP = 77

RULES = r"""alert http any any -> any any (msg:"CRASH exploit"; flow:established,to_server; http.uri; content:"/exploit"; classtype:web-application-attack; sid:1000001; rev:1;)
"""
BASE = 1_690_000_000_000_000
INCOMPLETE = {"unsigned_tail", "file_unsealed", "file_orphaned", "not_final", "truncated_line"}


def attack_capture(path, first, n):
    pk = []
    for i in range(first, first + n):
        c = P.TcpConv("10.%d.%d.%d" % (1 + i // 62500, (i // 250) % 250, i % 250 + 1),
                      40000 + i % 20000, "192.0.2.80", 80, ts=BASE + i * 1_000_000)
        c.handshake()
        c.send(True, b"GET /exploit?n=%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
        c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        c.close()
        pk += c.pkts
    pk.sort(key=lambda p: p[0])
    P.write_pcap(path, pk)


class Run:
    def __init__(self, a, tmp):
        self.a = a
        self.keys = os.path.join(tmp, "keys")
        self.rules = os.path.join(tmp, "t.rules")
        self.store = os.path.join(tmp, "all.db")
        open(self.rules, "w").write(RULES)

    def outputs(self):
        return ["-S", self.rules, "--no-progress", "--workers", "2", "--store", self.store,
                "--evidence", "--set", "evidence.key-dir=" + self.keys,
                "--set", "evidence.checkpoint-entries=25"]

    def cmd(self, caps, logdir):
        return [self.a.vigil, "read", *caps, "-l", logdir, "-q"] + self.outputs()

    def live_cmd(self, logdir):
        return [self.a.vigil, "live", "-i", "vrx", "-l", logdir] + self.outputs()

    def verify(self, logdir):
        r = subprocess.run([self.a.vigil, "verify", logdir, "--json", "--pubkey",
                            os.path.join(self.keys, "sensor.pub")],
                           capture_output=True, text=True)
        try:
            rep = json.loads(r.stdout)
        except ValueError:
            rep = {"status": "unparsable", "problems": [], "raw": r.stdout + r.stderr}
        return r.returncode, rep

    def report_alerts(self):
        r = subprocess.run([self.a.vigil, "report", "--store", self.store, "-f", "json"],
                           capture_output=True, text=True)
        assert r.returncode == 0, "report failed: %s" % r.stderr
        rows = json.loads(r.stdout)["tables"]["overview"]["rows"]
        return {row["metric"]: row["value"] for row in rows}


def eve_alerts(logdir):
    """Alert lines of eve.json (a killed run may leave a cut last line: ignored)."""
    out = []
    try:
        with open(os.path.join(logdir, "eve.json")) as f:
            for line in f:
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("event_type") == "alert":
                    out.append(ev)
    except OSError:
        pass
    return out


def db(path):
    c = sqlite3.connect(path, timeout=10)
    ok = c.execute("PRAGMA integrity_check").fetchone()[0]
    return c, ok


class Checks:
    """The checks made after every kill, shared by the modes; failures are collected."""

    def __init__(self):
        self.failed = []

    def __call__(self, cond, msg):
        if not cond:
            self.failed.append(msg)
            print("FAIL:", msg)
        return cond


class StoreState:
    """What the first, complete run committed (must survive every later kill), and the runs
    the store holds before a round."""

    def __init__(self, t, check, l1):
        c, ok = db(t.store)
        check(ok == "ok", "store after the first run: %s" % ok)
        runs = c.execute("SELECT id FROM runs ORDER BY id").fetchall()
        check(len(runs) == 1, "one run recorded: %s" % runs)
        self.run1 = runs[0][0]
        self.n1 = c.execute("SELECT count(*) FROM alerts WHERE run_id=?",
                            (self.run1,)).fetchone()[0]
        self.inc1 = c.execute("SELECT count(*) FROM incidents WHERE run_id=?",
                              (self.run1,)).fetchone()[0]
        c.close()
        check(self.n1 == len(eve_alerts(l1)) and self.n1 > 0,
              "first run: %d stored alerts, %d in eve.json" % (self.n1, len(eve_alerts(l1))))
        self.t, self.check = t, check
        self.signed_before = 0

    def runs(self):
        c, _ = db(self.t.store)
        ids = {r[0] for r in c.execute("SELECT id FROM runs")}
        c.close()
        return ids

    def after_kill(self, tag, before, killed, logdir, statuses=("running", "complete")):
        """The store is sound, the first run intact, the killed run's alerts all in eve.json."""
        check = self.check
        c, ok = db(self.t.store)
        check(ok == "ok", "%s: integrity_check says %s" % (tag, ok))
        st = c.execute("SELECT status FROM runs WHERE id=?", (self.run1,)).fetchone()
        check(st and st[0] == "complete", "%s: first run's status %s" % (tag, st))
        m1 = c.execute("SELECT count(*) FROM alerts WHERE run_id=?", (self.run1,)).fetchone()[0]
        i1 = c.execute("SELECT count(*) FROM incidents WHERE run_id=?",
                       (self.run1,)).fetchone()[0]
        check(m1 == self.n1 and i1 == self.inc1, "%s: first run's rows %d/%d, were %d/%d" %
              (tag, m1, i1, self.n1, self.inc1))
        new = [r for r in c.execute("SELECT id, status FROM runs") if r[0] not in before]
        stored = 0
        if killed and new:
            rid, status = new[0]
            # the kill may land after the store's final commit, before the process exits
            check(status in statuses, "%s: killed run's status %s" % (tag, status))
            rows = {(r[0], r[1]) for r in c.execute(
                "SELECT a.flow_id, s.sid FROM alerts a JOIN signatures s ON s.id = a.sig_id"
                " WHERE a.run_id=?", (rid,))}
            in_eve = {(ev.get("flow_id"), ev["alert"]["signature_id"])
                      for ev in eve_alerts(logdir)}
            check(rows <= in_eve, "%s: %d stored alerts not in eve.json" %
                  (tag, len(rows - in_eve)))
            stored = len(rows)
        c.close()
        return stored

    def ledger_after_kill(self, tag, logdir, killed):
        """The shared ledger verifies with only incompleteness; what was signed stays signed."""
        check = self.check
        vrc, rep = self.t.verify(logdir)
        kinds = {p["kind"] for p in rep.get("problems", [])}
        if vrc == 2 and not os.path.exists(os.path.join(logdir, "evidence", "ledger.jsonl")):
            # killed before the ledger's first line: nothing was recorded, nothing to check
            check(killed and self.signed_before == 0,
                  "%s: no ledger after a run that was not killed early" % tag)
            return rep
        check(vrc in (0, 3) and rep.get("status") in ("ok", "incomplete"),
              "%s: verify %d %s %s" % (tag, vrc, rep.get("status"), kinds))
        check(kinds <= INCOMPLETE, "%s: only incompleteness: %s" % (tag, kinds))
        sig = rep.get("signed_through", 0)
        check(sig >= self.signed_before, "%s: signed through %s, was %s" %
              (tag, sig, self.signed_before))
        self.signed_before = max(self.signed_before, sig)
        return rep

    def final_ledger(self, logdir):
        vrc, rep = self.t.verify(logdir)
        kinds = {p["kind"] for p in rep.get("problems", [])}
        self.check(vrc in (0, 3) and kinds <= INCOMPLETE - {"unsigned_tail"},
                   "final: the ledger after the kills verifies up to its end: %d %s" %
                   (vrc, kinds))
        return rep


def kill_at(p, delay):
    """Waits delay seconds for p, then SIGKILLs it. True when the kill landed in flight."""
    try:
        p.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.wait()
        return True


def main_read(a, rnd, tmp, check):
    t = Run(a, tmp)
    first = os.path.join(tmp, "first.pcap")
    attack_capture(first, 0, 150)
    second = os.path.join(tmp, "second.pcap")
    attack_capture(second, 1000, 400)
    filler = os.path.join(tmp, "filler.pcap")
    subprocess.run([a.gen, "--flows", "40000", "-o", filler], check=True, capture_output=True)
    # 1. a complete run: what it committed must survive every later kill
    l1 = os.path.join(tmp, "run1")
    subprocess.run(t.cmd([first], l1), check=True, capture_output=True)
    ss = StoreState(t, check, l1)
    n1 = ss.n1
    check(n1 >= 150, "first run: %d stored alerts" % n1)
    # how long a whole run of the second set takes, to kill inside it
    lk = os.path.join(tmp, "killed")
    start = time.time()
    p = subprocess.run(t.cmd([second, filler], os.path.join(tmp, "timing")),
                       capture_output=True)
    whole = time.time() - start
    check(p.returncode == 0, "timing run: %d %s" % (p.returncode, p.stderr[-500:]))
    # the timing run is a complete run of the second set: remember what it counts
    n2 = len(eve_alerts(os.path.join(tmp, "timing")))
    print("whole run %.1f s, %d + %d alerts" % (whole, n1, n2))
    kills = 0
    for rnd_i in range(a.rounds):
        delay = rnd.uniform(0.05, max(0.2, whole * 0.9))
        tag = "round %d (%.2f s)" % (rnd_i, delay)
        logdir = lk  # every killed run appends to the same evidence ledger
        before = ss.runs()
        p = subprocess.Popen(t.cmd([second, filler], logdir),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        killed = kill_at(p, delay)
        kills += killed
        _, err = p.communicate()
        if not killed:
            check(p.returncode == 0, "%s ended by itself with %d: %s" %
                  (tag, p.returncode, err[-300:]))
        ss.after_kill(tag, before, killed, logdir)
        ov = t.report_alerts()
        # killed runs are never counted; a round that finished is a rerun of the timing
        # run's captures and replaces it (rerun rule), so the total stays n1 + n2
        check(ov["alerts"] == n1 + n2, "%s: report counts %s alerts, want %d" %
              (tag, ov["alerts"], n1 + n2))
        ss.ledger_after_kill(tag, logdir, killed)
        vrc1, rep1 = t.verify(l1)
        check(vrc1 == 0, "%s: the complete run's ledger: %d %s" %
              (tag, vrc1, rep1.get("problems")))
    check(kills >= a.rounds // 2, "only %d of %d rounds were killed in flight" %
          (kills, a.rounds))
    # finally a complete run of the second set into the killed runs' directory, the files
    # given in the other order (the capture set does not depend on it)
    p = subprocess.run(t.cmd([filler, second], lk), capture_output=True, text=True)
    check(p.returncode == 0, "final run: %d %s" % (p.returncode, p.stderr[-500:]))
    ov = t.report_alerts()
    check(ov["alerts"] == n1 + n2, "final: report counts %s, want %d" % (ov["alerts"], n1 + n2))
    check(ov["runs"] == 2, "final: %s runs counted, want 2" % ov["runs"])
    rep = ss.final_ledger(lk)
    print("rounds %d, killed %d, signed through %d" % (a.rounds, kills,
                                                       rep.get("signed_through", 0)))
    return 0


def main_live(a, rnd, tmp, check):
    """`vigil live` on a veth pair in a namespace of its own, killed at random moments.

    First a complete live run (stopped with SIGINT) whose rows must survive. Then each round: a
    live run into the shared store and evidence directory while tcpreplay loops attack traffic
    into the other end, SIGKILLed at a random moment from 0.05 s (before capture starts) to 4 s
    after the time the first run took to start; after each kill the store and ledger checks of the read mode (a live run
    never ends by itself, so every round is a kill, and the report never counts a killed run).
    At the end a live run stopped cleanly into the same directory seals the ledger: it verifies
    to its end and the report counts exactly the two complete runs."""
    import test_live as L  # the test bed of the live tests (root, iproute2, tcpreplay)
    try:
        bed = L.Bed()
    except L.Skip as e:
        print("SKIP: %s" % e)
        return SKIP
    try:
        t = Run(a, tmp)
        r = subprocess.run([a.vigil, "keygen", "--out", t.keys], capture_output=True, text=True)
        check(r.returncode == 0, "keygen: %s" % r.stderr)
        attacks = os.path.join(tmp, "attacks.pcap")
        attack_capture(attacks, 0, 200)
        filler = os.path.join(tmp, "filler.pcap")
        subprocess.run([a.gen, "--flows", "300", "--seed", "7", "-o", filler], check=True,
                       capture_output=True)

        def live(logdir):
            os.makedirs(logdir, exist_ok=True)
            errf = open(os.path.join(logdir, "stderr-%d.txt" % time.monotonic_ns()), "w+")
            p = bed.popen(t.live_cmd(logdir), stdout=subprocess.DEVNULL, stderr=errf,
                          env=dict(os.environ, TZ="UTC"))
            return p, errf

        def started(errf, p, timeout=60):
            deadline = time.time() + timeout
            while time.time() < deadline and p.poll() is None:
                errf.seek(0)
                if "capturing on" in errf.read():
                    return True
                time.sleep(0.05)
            return False

        def replay(loop):
            return bed.popen(["tcpreplay", "-q", "-i", "vtx", "--pps=3000", "--loop=%d" % loop,
                              attacks, filler], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)

        def complete_run(logdir, what):
            """A live run that sees one pass of the captures and is stopped with SIGINT.
            Returns how long it took to start capturing."""
            t0 = time.time()
            p, errf = live(logdir)
            check(started(errf, p), "%s did not start" % what)
            startup = time.time() - t0
            replay(1).wait()
            time.sleep(1.0)
            p.send_signal(signal.SIGINT)
            p.wait(timeout=120)
            errf.seek(0)
            check(p.returncode == 0, "%s: exit %s %s" % (what, p.returncode, errf.read()[-500:]))
            errf.close()
            return startup

        # 1. a complete live run; kills are spread over its start-up time and 4 s of capture
        l1 = os.path.join(tmp, "run1")
        startup = complete_run(l1, "first live run")
        ss = StoreState(t, check, l1)
        vrc1, rep1 = t.verify(l1)
        check(vrc1 == 0, "first live run's ledger: %d %s" % (vrc1, rep1.get("problems")))
        n1 = ss.n1
        lk = os.path.join(tmp, "killed")
        kills = early = 0
        stored_total = 0
        for rnd_i in range(a.rounds):
            delay = rnd.uniform(0.05, startup + 4.0)
            tag = "live round %d (%.2f s)" % (rnd_i, delay)
            before = ss.runs()
            p, errf = live(lk)
            rp = replay(0)  # loops until killed: traffic flows whenever the kill lands
            killed = kill_at(p, delay)
            rp.kill()
            rp.wait()
            errf.seek(0)
            err = errf.read()
            errf.close()
            if not killed:
                check(False, "%s: vigil live ended by itself: %s %s" % (tag, p.returncode,
                                                                        err[-300:]))
            kills += killed
            early += "capturing on" not in err
            stored_total += ss.after_kill(tag, before, killed, lk, statuses=("running",))
            ov = t.report_alerts()
            check(ov["alerts"] == n1 and ov["runs"] == 1,
                  "%s: report counts %s alerts in %s runs, want %d in 1" %
                  (tag, ov["alerts"], ov["runs"], n1))
            ss.ledger_after_kill(tag, lk, killed)
            vrc1, rep1 = t.verify(l1)
            check(vrc1 == 0, "%s: the complete run's ledger: %d %s" %
                  (tag, vrc1, rep1.get("problems")))
        check(kills == a.rounds, "only %d of %d rounds were killed in flight" % (kills, a.rounds))
        check(stored_total > 0, "no killed live run had committed an alert to the store: the"
              " kills all landed too early to test anything")
        # 2. a live run stopped cleanly into the killed runs' directory
        before = ss.runs()
        complete_run(lk, "final live run")
        ov = t.report_alerts()
        c, ok = db(t.store)
        check(ok == "ok", "final: integrity_check says %s" % ok)
        new = [r for r in c.execute("SELECT id, status FROM runs") if r[0] not in before]
        check(len(new) == 1 and new[0][1] == "complete", "final live run in the store: %s" % new)
        n_final = c.execute("SELECT count(*) FROM alerts WHERE run_id=?",
                            (new[0][0],)).fetchone()[0] if new else -1
        c.close()
        check(ov["runs"] == 2 and ov["alerts"] == n1 + n_final,
              "final: report counts %s alerts in %s runs, want %d in 2" %
              (ov["alerts"], ov["runs"], n1 + n_final))
        rep = ss.final_ledger(lk)
        print("live rounds %d, killed %d (%d before capture started; start-up %.1f s), %d alerts"
              " stored by killed runs, signed through %d" % (a.rounds, kills, early, startup,
                                                             stored_total,
                                                             rep.get("signed_through", 0)))
        return 0
    finally:
        for p in L.RUNNING:
            if p.poll() is None:
                p.kill()
                p.wait()
        bed.close()


class Spool:
    """What the sensor's spool held after each kill: seq -> event text, across all rounds."""

    def __init__(self, path, check):
        self.path, self.check = path, check
        self.seen = {}

    def segments(self):
        try:
            names = sorted(n for n in os.listdir(self.path) if n.startswith("seg-"))
        except OSError:
            return []
        return [os.path.join(self.path, n) for n in names]

    def snapshot(self, tag):
        """Reads every complete line of the spool (a torn last line is not spooled: the sensor
        cuts it off). Returns {seq: text} of the numbers not seen before. A number seen before
        must hold the same event: a number is never given to two events."""
        new = {}
        for seg in self.segments():
            with open(seg, "rb") as f:
                data = f.read()
            lines = data.split(b"\n")[:-1]  # the last piece has no newline: torn or empty
            prev = None
            for line in lines:
                seq_s, _, ev = line.decode("utf-8", "replace").partition("\t")
                seq = int(seq_s)
                self.check(prev is None or seq == prev + 1, "%s: %s: seq %d after %s" %
                           (tag, os.path.basename(seg), seq, prev))
                prev = seq
                old = self.seen.get(seq)
                if old is None:
                    new[seq] = ev
                    self.seen[seq] = ev
                else:
                    self.check(old == ev, "%s: seq %d was given to two different events" %
                               (tag, seq))
        return new

    def tear(self):
        """Appends the start of an entry without its end to the last segment, as a write cut
        by a crash leaves it. Returns the number it carries (the next one), or None."""
        segs = self.segments()
        if not segs or not self.seen:
            return None
        nxt = max(self.seen) + 1
        with open(segs[-1], "ab") as f:
            f.write(b'%d\t{"timestamp":"2023-01-01T00:00:00.000000+0000","event_type":"al' % nxt)
        return nxt


def main_spool(a, rnd, tmp, check):
    """`vigil read --redis URL` killed at random moments, with Redis up or down, a collector
    running or not (and killed too), a torn write appended to the spool in some rounds.

    After each kill every complete line of the spool is recorded (seq -> event): a number must
    never come back with another event, the lines of a segment are consecutive, and every event
    a round spooled is a line of that round's eve.json. At the end Redis is up, a last sensor run
    drains the spool and a collector commits everything: PostgreSQL holds every number 1..N
    exactly once, each the event the spool held under that number, then the last run's events
    in eve.json order (so numbering went on after the torn lines, which were never sent), and
    nothing went to the dead-letter stream (a torn line sent would be a bad entry)."""
    import servers  # tests/collect: throwaway redis-server and PostgreSQL
    try:
        redis = servers.Redis(tmp)
        pg = servers.Postgres(tmp)
        redis.start()
        pg.start()
    except servers.Skip as e:
        print("SKIP: %s" % e)
        return SKIP
    procs = []
    try:
        spool_dir = os.path.join(tmp, "spool")
        sp = Spool(spool_dir, check)
        cap = os.path.join(tmp, "k.pcap")
        subprocess.run([a.gen, "--flows", "20000", "--seed", "43", "--mix", "attack", "-o", cap],
                       check=True, capture_output=True)
        last_cap = os.path.join(tmp, "last.pcap")
        subprocess.run([a.gen, "--flows", "300", "--seed", "44", "--mix", "attack", "-o",
                        last_cap], check=True, capture_output=True)

        def sensor(logdir, capture, drain_ms=1000, spool_size="64mb"):
            return [a.vigil, "read", capture, "-l", logdir, "-q", "--no-progress", "--workers",
                    "2", "--redis", redis.url, "--set", "sensor-name=k",
                    "--set", "store.enabled=false", "--set", "outputs.redis.spool-dir=" + spool_dir,
                    "--set", "outputs.redis.spool-size=" + spool_size,
                    "--set", "outputs.redis.drain-timeout=%d" % drain_ms]

        def collector(*extra):
            return [a.vigil, "collect", "--redis", redis.url, "--pg", pg.dsn,
                    "--consumer", "c1"] + list(extra)

        def eve_lines(logdir):
            try:
                with open(os.path.join(logdir, "eve.json"), encoding="utf-8",
                          errors="replace") as f:
                    return set(line.rstrip("\n") for line in f)
            except OSError:
                return set()

        def run_record(ev, phase=None):
            """A run's start or end record (docs/SCALE.md, "Run records"): shipped in the same
            sequence as the eve.json lines, but not one of them."""
            try:
                j = json.loads(ev)
            except ValueError:
                return False
            return isinstance(j, dict) and j.get("event_type") == "vigil_run" and \
                j["vigil_run"]["phase"] in ((phase,) if phase else ("start", "end"))

        def not_eve(new, logdir):
            """The spooled events that are neither lines of the run's eve.json nor run records."""
            return set(ev for ev in new.values() if not run_record(ev)) - eve_lines(logdir)

        # how long a whole run takes (Redis up, no collector), to kill inside it
        start = time.time()
        d0 = os.path.join(tmp, "r0")
        r = subprocess.run(sensor(d0, cap), capture_output=True, text=True)
        whole = time.time() - start
        check(r.returncode == 0, "timing run: %d %s" % (r.returncode, r.stderr[-500:]))
        new = sp.snapshot("timing run")
        check(not not_eve(new, d0), "timing run: spooled events not in eve.json")
        check(sum(run_record(ev) for ev in new.values()) == 2,
              "timing run: not one start and one end record")
        print("whole run %.1f s, %d events spooled" % (whole, len(new)))
        redis_up = True
        kills = torn = down_rounds = full_rounds = col_rounds = 0
        torn_pending = False
        for i in range(a.rounds):
            # Redis down in every third round, with a spool bound 64 KiB above what the spool
            # holds (it fills), else up; a collector in half the rounds with Redis up, killed
            # at the end of the round
            want_up = i % 3 != 1
            if want_up and not redis_up:
                redis.start()
            elif not want_up and redis_up:
                redis.kill()
            redis_up = want_up
            down_rounds += not redis_up
            col = None
            if redis_up and rnd.random() < 0.5:
                col = subprocess.Popen(collector(), stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
                procs.append(col)
                col_rounds += 1
            delay = rnd.uniform(0.1, max(0.3, whole * 0.9))
            if not redis_up:  # late enough that the spool fills before the kill
                delay = rnd.uniform(whole * 0.6, max(0.3, whole * 0.9))
            tag = "spool round %d (%.2f s, redis %s%s)" % (i, delay, "up" if redis_up else "down",
                                                           ", collector" if col else "")
            logdir = os.path.join(tmp, "r%d" % (i + 1))
            errf = open(os.path.join(tmp, "err%d.txt" % i), "w+")
            size = "64mb"
            if not redis_up:
                size = str(sum(os.path.getsize(f) for f in sp.segments()) + (64 << 10))
            p = subprocess.Popen(sensor(logdir, cap, spool_size=size), stdout=subprocess.DEVNULL,
                                 stderr=errf)
            procs.append(p)
            killed = kill_at(p, delay)
            kills += killed
            if col:
                kill_at(col, rnd.uniform(0.0, 0.5))
            errf.seek(0)
            err = errf.read()
            errf.close()
            full_rounds += "is full" in err
            if not killed:
                check(p.returncode == 0, "%s: ended by itself with %d: %s" %
                      (tag, p.returncode, err[-300:]))
            new = sp.snapshot(tag)
            missing = not_eve(new, logdir)
            check(not missing, "%s: %d spooled events are not lines of the run's eve.json" %
                  (tag, len(missing)))
            cut = "cutting off an incomplete last entry" in err
            if torn_pending and new:
                # the run that spooled after a torn write opened the spool and cut it off
                check(cut, "%s: the torn entry was not reported cut off: %s" % (tag, err[-300:]))
            if new or cut:
                # a run killed before it spooled anything may still have opened the spool and
                # cut the torn entry off: then no later run has one to report
                torn_pending = False
            if not torn_pending and (i % 4 == 2 or rnd.random() < 0.2):
                torn_pending = sp.tear() is not None
                torn += torn_pending
            print("%s: %s, %d new events spooled" % (tag, "killed" if killed else "finished",
                                                      len(new)))
        check(kills >= a.rounds // 2, "only %d of %d rounds were killed in flight" %
              (kills, a.rounds))
        check(torn > 0, "no torn write was tried")
        check(full_rounds > 0, "the spool never filled in the rounds with Redis down")
        # the end: Redis up, a last run drains the spool, a collector commits everything
        if not redis_up:
            redis.start()
        dl = os.path.join(tmp, "last")
        # room for the last run's events whatever the rounds left in the spool: with no
        # collector running, nothing is trimmed before it ends, and a full spool would (rightly)
        # drop its events; how full the rounds leave it depends on when they were killed
        room = str(sum(os.path.getsize(f) for f in sp.segments()) + (64 << 20))
        r = subprocess.run(sensor(dl, last_cap, drain_ms=120000, spool_size=room),
                           capture_output=True, text=True)
        check(r.returncode == 0, "last run: %d %s" % (r.returncode, r.stderr[-800:]))
        check("wait in the spool" not in r.stderr,
              "last run did not drain the spool: %s" % r.stderr[-500:])
        check(not torn_pending or "cutting off an incomplete last entry" in r.stderr,
              "last run: the torn entry was not reported cut off: %s" % r.stderr[-300:])
        new_last = sp.snapshot("last run")
        last_lines = []
        with open(os.path.join(dl, "eve.json")) as f:
            last_lines = [line.rstrip("\n") for line in f]
        r = subprocess.run(collector("--idle-exit", "3"), capture_output=True, text=True,
                           timeout=600)
        check(r.returncode == 0, "collector: %d %s" % (r.returncode, r.stderr[-500:]))
        rows = pg.sql("SELECT seq, event::text FROM events WHERE sensor = 'k' ORDER BY seq")
        got = []
        for line in rows.split("\n") if rows else []:
            seq_s, _, ev = line.partition("|")
            got.append((int(seq_s), ev))
        seqs = [g[0] for g in got]
        check(len(seqs) == len(set(seqs)), "PostgreSQL holds %d repeated numbers" %
              (len(seqs) - len(set(seqs))))
        top = max(sp.seen) if sp.seen else 0
        check(seqs == list(range(1, top + 1)),
              "PostgreSQL holds %d events (%s..%s), the spool numbered 1..%d" %
              (len(seqs), seqs[:1], seqs[-1:], top))
        pgd = dict(got)
        wrong = [s for s, ev in sp.seen.items()
                 if s not in pgd or json.loads(pgd[s]) != json.loads(ev)]
        check(not wrong, "%d spooled events are missing or different in PostgreSQL (first %s)" %
              (len(wrong), sorted(wrong)[:5]))
        # the last run: its start record, its eve.json lines, its end record
        tail = got[-(len(last_lines) + 2):]
        check(len(new_last) == len(last_lines) + 2 and len(tail) == len(last_lines) + 2 and
              run_record(tail[0][1], "start") and run_record(tail[-1][1], "end") and
              [json.loads(ev) for _, ev in tail[1:-1]] == [json.loads(x) for x in last_lines],
              "the last run's %d events and run records are not the last rows, in order "
              "(%d spooled)" % (len(last_lines), len(new_last)))
        dead = redis.cmd("XLEN", "vigil:events:dead").strip()
        check(dead == "0", "%s entries in the dead-letter stream" % dead)
        print("spool rounds %d, killed %d, redis down in %d (spool full in %d), collector in %d,"
              " torn writes %d; PostgreSQL holds seq 1..%d exactly once" %
              (a.rounds, kills, down_rounds, full_rounds, col_rounds, torn, top))
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        redis.stop()
        pg.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--mode", choices=("read", "live", "spool"), default="read")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    print("seed", a.seed)
    tmp = tempfile.mkdtemp(prefix="vigil-crash-")
    check = Checks()
    rc = 1
    try:
        rc = {"read": main_read, "live": main_live, "spool": main_spool}[a.mode](
            a, rnd, tmp, check)
    finally:
        if check.failed:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if rc == SKIP:
        return SKIP
    print("FAILED: %d" % len(check.failed) if check.failed else "OK")
    return 1 if check.failed or rc else 0


if __name__ == "__main__":
    sys.exit(main())
