#!/usr/bin/env python3
"""End-to-end tests of shipping (vigil read --redis) and `vigil collect` against real
redis-server and PostgreSQL servers started here (tests/collect/servers.py: loopback port, unix
socket, temporary folders; stopped at the end).

usage: test_collect.py --vigil PATH --gen PATH CASE
Exit 77 (skipped) with the reason when the servers cannot be started here.
"""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402

ARGS = None
TMP = None
REDIS = None
PG = None


def pcap(name, flows, seed, mix="attack"):
    p = os.path.join(TMP, name + ".pcap")
    if not os.path.exists(p):
        subprocess.run([ARGS.gen, "--flows", str(flows), "--seed", str(seed), "--mix", mix,
                        "-o", p], check=True, capture_output=True)
    return p


def attacks():
    """The demo capture of attacks the default rules alert on (scripts/make_attacks.py)."""
    p = os.path.join(TMP, "attacks.pcap")
    if not os.path.exists(p):
        here = os.path.dirname(os.path.abspath(__file__))
        subprocess.run([sys.executable, os.path.join(here, "..", "..", "scripts",
                                                     "make_attacks.py"), p], check=True)
    return p


def sensor(name, capture, logdir=None, expect=0, extra=(), url=None):
    logdir = logdir or os.path.join(TMP, name)
    caps = capture if isinstance(capture, list) else [capture]
    cmd = [ARGS.vigil, "read"] + caps + ["-l", logdir, "--workers", "2",
           "--redis", url or REDIS.url, "--set", "sensor-name=" + name,
           "--set", "store.enabled=false"] + list(extra)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, TZ="UTC"))
    if expect is not None and r.returncode != expect:
        raise AssertionError("exit %d: %s\n%s\n%s" % (r.returncode, " ".join(cmd), r.stdout,
                                                      r.stderr))
    return r


def eve_lines(logdir):
    with open(os.path.join(logdir, "eve.json")) as f:
        return [line.rstrip("\n") for line in f]


# A run ships its start record (event_type vigil_run, phase start) before its first eve.json line
# and its end record after the last (docs/SCALE.md, "Run records"), in the same sequence. Their
# content is the run's (wall-clock times, totals), not a line of eve.json: lists of what a run
# shipped hold these markers in their places, and same_event() checks the stored record's phase.
RUN_START, RUN_END = "<vigil_run start>", "<vigil_run end>"


def eve(logdir, ended=True):
    """What the run in logdir shipped: its start record, its eve.json lines, its end record
    (not for a run that was killed)."""
    return [RUN_START] + eve_lines(logdir) + ([RUN_END] if ended else [])


def record_bytes(spool):
    """Bytes of the run records in a spool's segments: a full spool still takes them (a run's
    end must reach the collector), so they may go beyond spool-size."""
    n = 0
    for x in os.listdir(spool):
        if x.startswith("seg-"):
            with open(os.path.join(spool, x), "rb") as f:
                n += sum(len(line) for line in f if b'"event_type":"vigil_run"' in line)
    return n


def same_event(stored, line):
    """stored (PostgreSQL's event text) is line (of eve.json, or a run record marker)."""
    got = json.loads(stored)
    if line in (RUN_START, RUN_END):
        return got.get("event_type") == "vigil_run" and \
            got["vigil_run"]["phase"] == ("start" if line == RUN_START else "end")
    return got == json.loads(line)


def collect_cmd(*extra):
    return [ARGS.vigil, "collect", "--redis", REDIS.url, "--pg", PG.dsn] + list(extra)


def collect(*extra, expect=0, timeout=300):
    r = subprocess.run(collect_cmd(*extra), capture_output=True, text=True, timeout=timeout)
    if expect is not None and r.returncode != expect:
        raise AssertionError("collect exit %d: %s\n%s" % (r.returncode, r.stdout, r.stderr))
    return r


def summary(out):
    m = re.search(r"(\d+) entries \((\d+) events\) in (\d+) batches: (\d+) inserted, "
                  r"(\d+) duplicates, (\d+) expired, (\d+) dead letters, (\d+) claimed", out)
    assert m, "no collect summary in: " + out
    k = ["entries", "events", "batches", "inserted", "duplicates", "expired", "dead", "claimed"]
    return dict(zip(k, map(int, m.groups())))


def seqs(sensor_name):
    out = PG.sql("SELECT seq FROM events WHERE sensor = '%s' ORDER BY seq" % sensor_name)
    return [int(x) for x in out.split()] if out else []


def check_exact(sensor_name, lines, first_seq=1):
    """PostgreSQL holds exactly these eve lines for the sensor, numbered from first_seq."""
    got = seqs(sensor_name)
    n = len(lines)
    assert len(got) == len(set(got)), "%s: duplicate sequence numbers" % sensor_name
    assert got == list(range(first_seq, first_seq + n)), \
        "%s: %d rows (seq %s..%s), wanted %d from %d" % (
            sensor_name, len(got), got[:1], got[-1:], n, first_seq)
    stored = PG.sql("SELECT event::text FROM events WHERE sensor = '%s' ORDER BY seq"
                    % sensor_name).split("\n")
    for i, (a, b) in enumerate(zip(stored, lines)):
        if not same_event(a, b):
            raise AssertionError("%s seq %d: stored event differs from eve.json line %d"
                                 % (sensor_name, first_seq + i, i + 1))


def stream_seqs(sensor_name):
    """The sequence numbers of the sensor's events in stream order (an entry carries the
    sequence number of its first event and its events one per line)."""
    out = REDIS.cmd("XRANGE", "vigil:events", "-", "+").split("\n")
    res = []
    for i, tok in enumerate(out):
        if tok == "sensor" and i + 5 < len(out) and out[i + 1] == sensor_name \
                and out[i + 2] == "seq" and out[i + 4] == "events":
            first = int(out[i + 3])
            # redis-cli prints the field's newlines as they are: count the event lines
            k = i + 5
            while k < len(out) and out[k].startswith("{"):
                res.append(first + (k - i - 5))
                k += 1
    return res


# --- cases -----------------------------------------------------------------------------------

def case_end_to_end():
    """Two sensors, one collector: PostgreSQL holds every eve.json line of each, once, with the
    alert columns and the rollup matching eve.json."""
    REDIS.start()
    PG.start()
    lines = {}
    for name, seed in (("east", 11), ("west", 12)):
        sensor(name, [pcap(name, 1500, seed), attacks()])
        lines[name] = eve(os.path.join(TMP, name))
    st = summary(collect("--idle-exit", "2").stdout)
    total = sum(len(v) for v in lines.values())
    assert st["inserted"] == total, st
    for name, ls in lines.items():
        check_exact(name, ls)
        alerts = [json.loads(x) for x in ls if '"event_type":"alert"' in x]
        assert alerts, "the attack mix should raise alerts"
        n = int(PG.sql("SELECT count(*) FROM events WHERE sensor = '%s' AND event_type = 'alert'"
                       " AND signature_id IS NOT NULL AND src_ip IS NOT NULL" % name))
        assert n == len(alerts), (n, len(alerts))
        roll = int(PG.sql("SELECT coalesce(sum(alerts), 0) FROM alert_daily WHERE sensor = '%s'"
                          % name))
        assert roll == len(alerts), ("rollup", roll, len(alerts))
        by_sid = {}
        for a in alerts:
            by_sid[a["alert"]["signature_id"]] = by_sid.get(a["alert"]["signature_id"], 0) + 1
        got = dict((int(k), int(v)) for k, v in (row.split("|") for row in PG.sql(
            "SELECT signature_id, sum(alerts) FROM alert_daily WHERE sensor = '%s'"
            " GROUP BY 1" % name).split("\n")))
        assert got == by_sid, (got, by_sid)
        committed = int(REDIS.cmd("HGET", "vigil:events:committed", name))
        assert committed == len(ls), ("committed mark", committed, len(ls))
    # the stream is trimmed of what every group acknowledged
    assert int(REDIS.cmd("XLEN", "vigil:events")) < st["entries"], st
    # sensors batch their events: far fewer entries than events
    assert st["events"] == total and st["entries"] * 8 < total, st


def case_kill_collector():
    """SIGKILL a collector in the middle of its batches; another takes over its pending
    entries: every event once."""
    REDIS.start()
    PG.start()
    sensor("big", pcap("big", 20000, 21))
    lines = eve(os.path.join(TMP, "big"))
    # one entry (64 events) per transaction and one thread: hundreds of commits, so that the
    # kill lands in the middle of them even on an idle machine
    a = subprocess.Popen(collect_cmd("--batch", "1", "--threads", "1", "--consumer", "a"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            c = int(PG.sql("SELECT coalesce(max(committed), 0) FROM sensors") or 0)
        except AssertionError:
            c = 0
        if c > 0:
            break
        time.sleep(0.02)
    time.sleep(random.uniform(0.0, 0.2))
    a.send_signal(signal.SIGKILL)
    a.wait()
    before = len(seqs("big"))
    assert before < len(lines), "the collector finished before it was killed; use more events"
    st = summary(collect("--consumer", "b", "--claim-after", "500", "--idle-exit", "3").stdout)
    check_exact("big", lines)
    assert st["inserted"] == len(lines) - before, (st, before)
    pend = REDIS.cmd("XPENDING", "vigil:events", "vigil-collect").split("\n")
    assert pend[0] == "0", "entries left pending: " + " ".join(pend)
    print("killed after %d of %d rows; the second collector claimed %d, duplicates %d"
          % (before, len(lines), st["claimed"], st["duplicates"]))


def case_redis_down():
    """Redis down while the sensor runs: events wait in the spool and arrive, in order, once
    Redis is back (sent by the next run, whose own events follow)."""
    PG.start()
    r1 = sensor("s", pcap("one", 800, 31), extra=["--set", "outputs.redis.drain-timeout=300"])
    n1 = len(eve(os.path.join(TMP, "s")))
    assert re.search(r"%d waiting in the spool" % n1, r1.stdout), r1.stdout
    assert "stay in the spool" in r1.stderr, r1.stderr
    REDIS.start()
    d2 = os.path.join(TMP, "s2")
    # same spool (state), another log directory for the second capture's eve.json
    sensor("s", pcap("two", 600, 32), logdir=d2,
           extra=["--set", "outputs.redis.spool-dir=" + os.path.join(TMP, "s", "ship")])
    lines = eve(os.path.join(TMP, "s")) + eve(d2)
    order = stream_seqs("s")
    assert order == list(range(1, len(lines) + 1)), "stream order: %s..." % order[:5]
    collect("--idle-exit", "2")
    check_exact("s", lines)


def case_sensor_restart():
    """A restarted sensor goes on with the next sequence number; a killed one too."""
    REDIS.start()
    PG.start()
    spool = os.path.join(TMP, "spool")
    ex = ["--set", "outputs.redis.spool-dir=" + spool]
    all_lines = []
    for i, seed in enumerate((41, 42)):
        d = os.path.join(TMP, "run%d" % i)
        sensor("r", pcap("r%d" % i, 500, seed), logdir=d, extra=ex)
        all_lines += eve(d)
    # a sensor SIGKILLed mid-run: the events it spooled keep their numbers, the next run
    # continues after them
    d = os.path.join(TMP, "killed")
    p = subprocess.Popen([ARGS.vigil, "read", pcap("k", 20000, 43), "-l", d, "--workers", "1",
                          "--redis", REDIS.url, "--set", "sensor-name=r", "--set",
                          "store.enabled=false"] + ex, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    p.send_signal(signal.SIGKILL)
    p.wait()
    d3 = os.path.join(TMP, "run3")
    sensor("r", pcap("r3", 300, 44), logdir=d3, extra=ex)
    collect("--idle-exit", "2")
    got = seqs("r")
    n0 = len(all_lines)
    assert got[:n0] == list(range(1, n0 + 1)), "first two runs"
    assert len(got) == len(set(got)) and got == list(range(1, len(got) + 1)), \
        "numbers must go on without repeating: %s" % got[n0 - 2:n0 + 3]
    last = eve(d3)
    check_exact_tail = PG.sql("SELECT event::text FROM events WHERE sensor = 'r' ORDER BY seq"
                              " DESC LIMIT %d" % len(last)).split("\n")[::-1]
    assert len(check_exact_tail) == len(last) and all(
        same_event(a, b) for a, b in zip(check_exact_tail, last))


def case_new_spool():
    """A sensor whose spool directory was lost goes on after the collector's committed mark
    instead of numbering from 1 again (which would be taken for replays)."""
    REDIS.start()
    PG.start()
    sensor("n", pcap("n1", 300, 91))
    first = eve(os.path.join(TMP, "n"))
    collect("--idle-exit", "2")
    shutil.rmtree(os.path.join(TMP, "n", "ship"))
    d2 = os.path.join(TMP, "n2")
    r = sensor("n", pcap("n2", 200, 92), logdir=d2)
    assert "continues after %d" % len(first) in r.stderr, r.stderr
    collect("--idle-exit", "2")
    check_exact("n", first + eve(d2))


def case_retention():
    """--retention-days drops whole day partitions older than the retention; events older than
    it are not stored but count as committed (the sensor may let them go)."""
    REDIS.start()
    PG.start()
    sensor("o", pcap("o", 300, 95))  # generated traffic is dated 2023
    lines = eve_lines(os.path.join(TMP, "o"))
    collect("--idle-exit", "1")  # creates the schema and the 2023 partition
    parts = PG.sql("SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass")
    assert int(parts) >= 1, parts
    for seq in range(2, 12):  # the same events again (after the run's start record): replays
        REDIS.cmd("XADD", "vigil:events", "*", "sensor", "o", "seq", seq, "event", lines[seq - 2])
    st = summary(collect("--idle-exit", "1", "--retention-days", "30").stdout)
    # the 2023 partition goes; the day of the run records (the wall clock) stays
    old = "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass AND " \
          "inhrelid::regclass::text < 'events_%s'" % time.strftime("%Y%m%d", time.gmtime(
              time.time() - 40 * 86400))
    assert int(PG.sql(old)) == 0, "old partitions should be dropped"
    assert PG.sql("SELECT count(*) FROM events WHERE sensor = 'o'") == "2", \
        "only the run records (dated today) should be left"
    assert st["inserted"] == 0, st
    # a new sensor's old events: expired, not inserted, committed (its run records, dated
    # today, are inserted)
    sensor("o2", pcap("o2", 100, 96))
    n2 = len(eve(os.path.join(TMP, "o2")))
    st = summary(collect("--idle-exit", "1", "--retention-days", "30").stdout)
    assert st["expired"] == n2 - 2 and st["inserted"] == 2, st
    assert int(REDIS.cmd("HGET", "vigil:events:committed", "o2")) == n2
    assert PG.sql("SELECT count(*) FROM alert_daily WHERE day < now() - interval '30 days'") == "0"


def wait_committed(name, n, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = PG.sql("SELECT coalesce(max(committed), 0) FROM sensors WHERE sensor = '%s'" % name)
        if got and int(got) >= n:
            return
        time.sleep(0.1)
    raise AssertionError("%s: committed mark did not reach %d" % (name, n))


def case_redis_killed():
    """Redis SIGKILLed and restarted empty (no persistence) under a running collector: the
    collector makes its group again, the sensor resends what is not known committed, and
    PostgreSQL ends with every event once."""
    REDIS.start()
    PG.start()
    col = subprocess.Popen(collect_cmd("--consumer", "k"), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        spool = os.path.join(TMP, "k1", "ship")
        sensor("k", pcap("k1", 400, 101), logdir=os.path.join(TMP, "k1"))
        n1 = len(eve(os.path.join(TMP, "k1")))
        wait_committed("k", n1)
        REDIS.kill()
        REDIS.start()  # same port, nothing kept
        assert REDIS.cmd("EXISTS", "vigil:events").strip() == "0"
        d2 = os.path.join(TMP, "k2")
        sensor("k", pcap("k2", 300, 102), logdir=d2, extra=["--set",
                                                           "outputs.redis.spool-dir=" + spool])
        lines = eve(os.path.join(TMP, "k1")) + eve(d2)
        wait_committed("k", len(lines))
    finally:
        col.send_signal(signal.SIGTERM)
        out, errs = col.communicate(timeout=60)
    st = summary(out)
    check_exact("k", lines)
    assert st["duplicates"] >= n1, ("the first run's events were sent again", st)
    assert col.returncode == 0, errs


def case_two_collectors():
    """Two collectors in one group share the entries; together they insert each once."""
    REDIS.start()
    PG.start()
    sensor("t", pcap("t", 8000, 51))
    lines = eve(os.path.join(TMP, "t"))
    procs = [subprocess.Popen(collect_cmd("--batch", "5", "--consumer", c, "--idle-exit", "3"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in ("c1", "c2")]
    outs = [p.communicate(timeout=300) for p in procs]
    sts = [summary(o[0]) for o in outs]
    check_exact("t", lines)
    assert sum(s["inserted"] for s in sts) == len(lines), sts
    assert all(s["inserted"] > 0 for s in sts), "both collectors should have taken a share: %s" % sts
    print("shares:", [s["inserted"] for s in sts])


def case_replay():
    """Entries already committed, sent again, insert nothing; foreign entries go to the dead-
    letter stream with the reason and the rest flows on."""
    REDIS.start()
    PG.start()
    sensor("p", pcap("p", 400, 61))
    lines = eve(os.path.join(TMP, "p"))
    collect("--idle-exit", "2")
    check_exact("p", lines)
    # what was shipped, run records included, to send again; raw: eve.json lines for the
    # entries of other (made up) sensors
    shipped = PG.sql("SELECT event::text FROM events WHERE sensor = 'p' ORDER BY seq").split("\n")
    raw = eve_lines(os.path.join(TMP, "p"))
    for seq in range(1, 31):
        REDIS.cmd("XADD", "vigil:events", "*", "sensor", "p", "seq", seq, "event", shipped[seq - 1])
    REDIS.cmd("XADD", "vigil:events", "*", "hello", "world")
    REDIS.cmd("XADD", "vigil:events", "*", "sensor", "p", "seq", "9999999", "event", "{not json")
    REDIS.cmd("XADD", "vigil:events", "*", "sensor", "p", "seq", "-4", "event", raw[0])
    # a sensor name PostgreSQL would refuse (byte 0xff: not UTF-8) must not block the batch
    REDIS.cmd("XADD", "vigil:events", "*", "sensor", "p\udcff", "seq", "1", "event", raw[0])
    st = summary(collect("--idle-exit", "2").stdout)
    assert st["inserted"] == 0 and st["duplicates"] == 30 and st["dead"] == 4, st
    check_exact("p", lines)
    dead = REDIS.cmd("XRANGE", "vigil:events:dead", "-", "+")
    for reason in ("not a vigil entry", "not a JSON object", "seq is not a positive integer",
                   "sensor name is not UTF-8"):
        assert reason in dead, (reason, dead)
    pend = REDIS.cmd("XPENDING", "vigil:events", "vigil-collect").split("\n")
    assert pend[0] == "0", pend
    # progress rows lost (edited by hand): the unique key still refuses the replays
    PG.sql("DELETE FROM sensor_ranges; UPDATE sensors SET committed = 0")
    alerts_before = PG.sql("SELECT sum(alerts) FROM alert_daily")
    for seq in range(1, 21):
        REDIS.cmd("XADD", "vigil:events", "*", "sensor", "p", "seq", seq, "event", shipped[seq - 1])
    r = collect("--idle-exit", "2")
    st = summary(r.stdout)
    assert st["inserted"] == 0 and st["duplicates"] == 20, (st, r.stderr)
    assert "writing the batch again" in r.stderr, r.stderr
    check_exact("p", lines)
    assert PG.sql("SELECT sum(alerts) FROM alert_daily") == alerts_before
    # an entry PostgreSQL refuses (here: a constraint the test adds) is set aside with
    # PostgreSQL's reason once its batch failed twice; the other entries are written
    PG.sql("ALTER TABLE events ADD CONSTRAINT test_refuse CHECK (sensor <> 'poison')")
    for seq in range(1, 6):
        REDIS.cmd("XADD", "vigil:events", "*", "sensor", "q", "seq", seq, "event", raw[seq - 1])
    REDIS.cmd("XADD", "vigil:events", "*", "sensor", "poison", "seq", 1, "event", raw[0])
    r = collect("--idle-exit", "2")
    st = summary(r.stdout)
    assert st["inserted"] == 5 and st["dead"] == 1, (st, r.stderr)
    assert seqs("q") == [1, 2, 3, 4, 5]
    dead = REDIS.cmd("XRANGE", "vigil:events:dead", "-", "+")
    assert "refused by postgresql" in dead and "test_refuse" in dead, dead
    pend = REDIS.cmd("XPENDING", "vigil:events", "vigil-collect").split("\n")
    assert pend[0] == "0", pend
    # an entry of several events (as sensors send them) with a bad event in the middle: that
    # event alone is set aside, under its own sequence number; its neighbours are written
    REDIS.cmd("XADD", "vigil:events", "*", "sensor", "m", "seq", 1, "events",
              "\n".join([raw[0], raw[1], "{broken", raw[3]]))
    REDIS.cmd("XADD", "vigil:events", "*", "sensor", "m", "seq", 5, "events", raw[4])
    # both forms at once is not an entry of ours
    REDIS.cmd("XADD", "vigil:events", "*", "sensor", "m", "seq", 6, "event", raw[5],
              "events", raw[5])
    r = collect("--idle-exit", "2")
    st = summary(r.stdout)
    assert st["entries"] == 3 and st["events"] == 6, (st, r.stderr)
    assert st["inserted"] == 4 and st["dead"] == 2, (st, r.stderr)
    assert seqs("m") == [1, 2, 4, 5], seqs("m")
    dead = REDIS.cmd("XRANGE", "vigil:events:dead", "-", "+").split("\n")
    i = dead.index("{broken")
    assert dead[i - 5:i] == ["sensor", "m", "seq", "3", "event"], dead[i - 8:i + 1]
    assert "not a vigil entry (fields sensor, seq and event or events expected)" in dead, dead


def case_spool_full():
    """A full spool drops new events from shipping: counted and reported; what was spooled
    arrives, numbered without gaps."""
    PG.start()
    r = sensor("f", pcap("f", 2000, 71), extra=["--set", "outputs.redis.spool-size=200kb",
                                                 "--set", "outputs.redis.drain-timeout=200"])
    m = re.search(r"redis: (\d+) events spooled", r.stdout)
    spooled = int(m.group(1))
    lines = eve(os.path.join(TMP, "f"))
    assert 0 < spooled < len(lines), (spooled, len(lines))
    m = re.search(r"(\d+) events were not shipped: the spool was full", r.stderr)
    assert m and int(m.group(1)) == len(lines) - spooled, r.stderr
    # the stats events carry the spool's gauges; the final one counts every drop before it
    # (the final stats line itself may be dropped after it was written)
    final = [json.loads(x) for x in lines if '"event_type":"stats"' in x][-1]["stats"]["ship"]
    assert final["dropped"] in (len(lines) - spooled - 1, len(lines) - spooled), (final, spooled)
    # (the run's end record is spooled after it)
    assert final["spooled"] == spooled - 1 and not final["connected"], final
    # unsent: what is durable (fsync'd) and waits; the last events may not be synced yet
    extra = record_bytes(os.path.join(TMP, "f", "ship"))
    assert 0 < final["spool_bytes"] <= 200 * 1024 + extra and 0 < final["unsent"] <= spooled, final
    spool_bytes = sum(os.path.getsize(os.path.join(TMP, "f", "ship", x))
                      for x in os.listdir(os.path.join(TMP, "f", "ship")) if x.startswith("seg-"))
    assert spool_bytes <= 200 * 1024 + extra, (spool_bytes, extra)
    REDIS.start()
    sensor("f", pcap("empty", 0, 1), logdir=os.path.join(TMP, "f2"),
           extra=["--set", "outputs.redis.spool-dir=" + os.path.join(TMP, "f", "ship")])
    collect("--idle-exit", "2")
    got = seqs("f")
    n2 = len(eve(os.path.join(TMP, "f2")))
    assert got == list(range(1, spooled + n2 + 1)), (len(got), spooled, n2)
    stored = PG.sql("SELECT event::text FROM events WHERE sensor = 'f' AND seq <= %d ORDER BY seq"
                    % spooled).split("\n")
    # the events that fitted, then the run's end record: a full spool still takes it
    want = lines[:spooled - 1] + [RUN_END]
    assert len(stored) == spooled and all(same_event(a, b) for a, b in zip(stored, want))


def case_slow_consumer():
    """No collector for a while, Redis up, sensors keep running: the spool stays within its
    bound (what does not fit is counted), and everything spooled arrives once a collector runs;
    the next sensor run then frees the spool."""
    REDIS.start()
    PG.start()
    spool = os.path.join(TMP, "slow-spool")
    ex = ["--set", "outputs.redis.spool-dir=" + spool, "--set", "outputs.redis.spool-size=300kb",
          "--set", "outputs.redis.segment-size=32kb"]
    spooled, dropped, lines = 0, 0, []
    for i in range(3):
        d = os.path.join(TMP, "slow%d" % i)
        r = sensor("slow", pcap("slow%d" % i, 400, 111 + i), logdir=d, extra=ex)
        k = int(re.search(r"redis: (\d+) events spooled", r.stdout).group(1))
        m = re.search(r"(\d+) events were not shipped", r.stderr)
        dropped += int(m.group(1)) if m else 0
        lines += eve(d)
        spooled += k
        size = sum(os.path.getsize(os.path.join(spool, x)) for x in os.listdir(spool)
                   if x.startswith("seg-"))
        assert size <= 300 * 1024 + record_bytes(spool), ("spool over its bound", size)
    assert dropped > 0, "three runs should overflow a 300 kB spool"
    collect("--idle-exit", "2")
    got = seqs("slow")
    assert got == list(range(1, spooled + 1)), (len(got), spooled)
    # what arrived is the spooled events, in eve.json order (those that did not fit are absent)
    stored = PG.sql("SELECT event::text FROM events WHERE sensor = 'slow' ORDER BY seq").split("\n")
    it = iter(lines)
    assert all(any(same_event(ev, e) for e in it) for ev in stored), \
        "not a subsequence of what the runs shipped"
    assert spooled + dropped == len(lines), (spooled, dropped, len(lines))
    r = sensor("slow", pcap("empty", 0, 1), logdir=os.path.join(TMP, "slow-end"), extra=ex)
    segs = [x for x in os.listdir(spool) if x.startswith("seg-")]
    assert len(segs) <= 1, (segs, r.stdout)

def spool_lines(spool):
    """Every complete `SEQ<TAB>event` line of a spool's segments (a torn last line is not
    spooled: the next run cuts it off)."""
    res = {}
    try:
        names = sorted(n for n in os.listdir(spool) if n.startswith("seg-"))
    except OSError:
        return res
    for n in names:
        try:
            with open(os.path.join(spool, n), "rb") as f:
                data = f.read()
        except FileNotFoundError:  # trimmed under us: committed, so already in PostgreSQL
            continue
        for line in data.split(b"\n")[:-1]:
            seq, _, ev = line.decode("utf-8", "replace").partition("\t")
            res[int(seq)] = ev
    return res


def case_fault_three():
    """Three sensors on different captures while, during their runs, the collector is
    SIGKILLed and replaced, Redis is SIGKILLed and restarted empty, and one sensor is SIGKILLed
    and restarted on the same spool. At the end PostgreSQL holds exactly the events the sensors
    wrote locally: per sensor the numbers 1..N once each, every event the one its eve.json (or,
    for the killed run, its spool) holds under that number."""
    REDIS.start()
    PG.start()
    rnd = random.Random(int(os.environ.get("VIGIL_TEST_SEED", "0")) or None)
    names = ("alpha", "bravo", "charlie")
    caps = {"alpha": [pcap("fa", 30000, 201), attacks()],
            "bravo": [pcap("fb", 40000, 202)],
            "charlie": [pcap("fc", 12000, 203, mix="web")]}
    spools = dict((n, os.path.join(TMP, "spool-" + n)) for n in names)

    def start_sensor(name, logdir, capture=None):
        cmd = [ARGS.vigil, "read"] + (capture or caps[name]) + [
            "-l", logdir, "--workers", "1", "--redis", REDIS.url, "--set", "sensor-name=" + name,
            "--set", "outputs.redis.spool-dir=" + spools[name],
            "--set", "outputs.redis.drain-timeout=300000"]  # ms
        # the untouched sensors keep a local store, for the report comparison at the end
        cmd += ["--set", "store.enabled=false"] if name == "bravo" else [
            "--store", os.path.join(TMP, name + ".db")]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, TZ="UTC"))

    def PG_ready():
        return PG.sql("SELECT to_regclass('sensors') IS NOT NULL") == "t"

    def committed_total():
        out = PG.sql("SELECT coalesce(sum(committed), 0) FROM sensors") if PG_ready() else "0"
        return int(out or 0)

    def wait_for(what, cond, timeout=120, state=lambda: ""):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if cond():
                return
            time.sleep(0.02)
        raise AssertionError("timed out waiting for %s %s (%s)" % (what, state(), "; ".join(events)))

    def start_collector(name):
        return subprocess.Popen(collect_cmd("--consumer", name, "--batch", "5", "--claim-after",
                                            "500"), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    logdirs = dict((n, [os.path.join(TMP, n + "-0")]) for n in names)
    cols = [start_collector("f1")]
    procs = dict((n, start_sensor(n, logdirs[n][0])) for n in names)
    events = []
    try:
        # 1. the collector dies in the middle of its batches; another takes over
        wait_for("a first commit", lambda: committed_total() > 0)
        time.sleep(rnd.uniform(0.0, 0.2))
        cols[0].send_signal(signal.SIGKILL)
        cols[0].wait()
        events.append("collector killed at %d committed" % committed_total())
        cols.append(start_collector("f2"))
        # 2. Redis dies and comes back empty, while the sensors send (after the new collector
        # had the time to claim the entries the killed one left pending)
        time.sleep(rnd.uniform(0.6, 0.9))
        running = [n for n in names if procs[n].poll() is None]
        assert "bravo" in running, "the sensors finished too early; use larger captures"
        REDIS.kill()
        events.append("redis killed with %s running" % ",".join(running))
        time.sleep(rnd.uniform(0.1, 0.5))
        REDIS.start()
        # 3. bravo dies mid-run and is started again on the same spool
        time.sleep(rnd.uniform(0.0, 0.3))
        assert procs["bravo"].poll() is None, \
            "bravo finished before it could be killed; use a larger capture"
        procs["bravo"].send_signal(signal.SIGKILL)
        procs["bravo"].wait()
        killed_spool = spool_lines(spools["bravo"])
        killed_eve = eve(logdirs["bravo"][0], ended=False) if os.path.exists(
            os.path.join(logdirs["bravo"][0], "eve.json")) else []
        # alive is not mid-run: the kill may land after the run's end record was spooled (while
        # the process drains and frees), and that run then ends centrally too
        killed_ended = any(json.loads(v).get("vigil_run", {}).get("phase") == "end"
                           for v in killed_spool.values() if '"event_type":"vigil_run"' in v)
        events.append("bravo killed with %d events in its spool%s" % (
            len(killed_spool), ", after its run's end record" if killed_ended else ""))
        logdirs["bravo"].append(os.path.join(TMP, "bravo-1"))
        procs["bravo"] = start_sensor("bravo", logdirs["bravo"][1])
        for n in names:
            out, err = procs[n].communicate(timeout=600)
            assert procs[n].returncode == 0, "%s exit %d: %s" % (n, procs[n].returncode, err)
        # a sensor that ended while Redis was away keeps what was not committed for its next
        # run: one more short run of each (a real sensor runs on) sends it
        for i, n in enumerate(names):
            d = os.path.join(TMP, n + "-end")
            logdirs[n].append(d)
            p = start_sensor(n, d, capture=[pcap("end-" + n, 30, 210 + i)])
            out, err = p.communicate(timeout=600)
            assert p.returncode == 0, "%s exit %d: %s" % (n, p.returncode, err)
            assert "0 waiting in the spool" in out, "%s: not drained: %s" % (n, out)
        want = {}
        for n in names:
            runs = [eve(d) for d in logdirs[n][1 if n == "bravo" else 0:]]
            want[n] = sum(len(r) for r in runs)
        # bravo: its killed run's numbers come first, then the two later runs
        k = max(killed_spool) if killed_spool else 0
        last_bravo = eve(logdirs["bravo"][-1])[-1]

        def all_in():
            if not PG_ready() or any(len(seqs(n)) < want[n] for n in ("alpha", "charlie")):
                return False
            b = seqs("bravo")
            if not b or len(b) != b[-1] or b[-1] < k + want["bravo"]:
                return False
            top = PG.sql("SELECT event::text FROM events WHERE sensor = 'bravo' AND seq = %d"
                         % b[-1])
            return same_event(top, last_bravo)

        def state():
            got = dict((n, seqs(n)) for n in names)
            return "rows %s, max %s, wanted %s, bravo's killed spool up to %d; marks %s" % (
                dict((n, len(v)) for n, v in got.items()),
                dict((n, v[-1] if v else 0) for n, v in got.items()), want, k,
                PG.sql("SELECT sensor, committed FROM sensors").replace("\n", " "))
        wait_for("every event committed", all_in, timeout=120, state=state)
    finally:
        for c in cols:
            if c.poll() is None:
                c.send_signal(signal.SIGTERM)
        outs = [c.communicate(timeout=60) for c in cols]
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        for c, (out, err) in zip(cols, outs):
            print("collector exit %s:\n%s\n%s" % (c.returncode, out[-1500:], err[-1500:]))
    print("; ".join(events))
    assert cols[-1].returncode == 0, outs[-1][1]
    for n in ("alpha", "charlie"):
        check_exact(n, sum((eve(d) for d in logdirs[n]), []))
    got = seqs("bravo")
    assert len(got) == len(set(got)), "bravo: duplicate sequence numbers"
    later = eve(logdirs["bravo"][1]) + eve(logdirs["bravo"][2])
    first = len(got) - len(later)  # the killed run's numbers are 1..first
    assert first >= k, ("bravo: numbers of the killed run's spool are missing", first, k)
    assert got == list(range(1, len(got) + 1)), "bravo: numbers not 1..N: %s" % got[:5]
    tail = PG.sql("SELECT event::text FROM events WHERE sensor = 'bravo' AND seq > %d ORDER BY seq"
                  % first).split("\n")
    assert len(tail) == len(later) and all(same_event(a, b) for a, b in zip(tail, later)), \
        "bravo: the restarted runs' events are not the rows after %d, in order" % first
    stored = PG.sql("SELECT event::text FROM events WHERE sensor = 'bravo' AND seq <= %d "
                    "ORDER BY seq" % first).split("\n") if first else []
    for i, text in enumerate(stored):
        seq = i + 1
        if seq in killed_spool:
            assert json.loads(text) == json.loads(killed_spool[seq]), \
                "bravo seq %d: not the event its spool held" % seq
        if i < len(killed_eve):
            assert same_event(text, killed_eve[i]), \
                "bravo seq %d: not line %d of the killed run's eve.json" % (seq, seq)
    assert set(killed_spool) <= set(range(1, first + 1)), "spooled numbers beyond the run"
    dead = REDIS.cmd("XLEN", "vigil:events:dead").strip()
    assert dead == "0", "dead letters: " + dead
    # the report over PostgreSQL for each untouched sensor equals the report over the SQLite
    # store that sensor kept locally, run cells included (packets, drops, captures, rules, geo
    # databases: the shipped run records; the cells that still differ, and why, are listed in
    # test_report_pg.py). The killed sensor runs without a store (its spool is what is checked
    # above), so it has no SQLite report to compare with.
    import test_report_pg as RP
    for n in ("alpha", "charlie"):
        docs = []
        for src in (["--store", os.path.join(TMP, n + ".db")], ["--pg", PG.dsn]):
            r = subprocess.run([ARGS.vigil, "report", "--format", "json", "--sensor", n] + src,
                               capture_output=True, text=True, env=dict(os.environ, TZ="UTC"))
            assert r.returncode == 0, "report %s: %s" % (" ".join(src), r.stderr)
            docs.append(json.loads(r.stdout))
        assert RP.metric(docs[0], "alerts") > 0 or n == "charlie", "%s: no alerts" % n
        # the sensor made two runs (its run and the short one at the end), in both stores
        assert (RP.metric(docs[0], "runs"), RP.metric(docs[1], "runs")) == (2, 2), n
        assert RP.metric(docs[1], "packets") > 0, n
        # runs_not_counted counts every run of the store that is running or failed, whatever
        # --sensor says: centrally that is bravo's killed run (never ended, unless the kill came
        # after its end record), which the sensor's own store does not hold
        assert (RP.metric(docs[0], "runs_not_counted"), RP.metric(docs[1], "runs_not_counted")) \
            == (0, 0 if killed_ended else 1), (n, killed_ended)
        for d in docs:
            ov = d["tables"]["overview"]
            ov["rows"] = [r for r in ov["rows"] if r["metric"] != "runs_not_counted"]
        RP.same(docs[0], docs[1], "sensor %s after the faults" % n)
    print("alpha %d, bravo %d (killed run %d, spool snapshot %d, eve.json %d), charlie %d"
          % (len(seqs("alpha")), len(got), first, len(killed_spool), len(killed_eve),
             len(seqs("charlie"))))


def case_trial():
    """scripts/central-trial.sh, the documented local trial: it starts Redis and a PostgreSQL
    cluster of its own with the settings docs/SCALE.md asks for, a sensor ships through them and
    a collector commits every event, `vigil report --pg` reads them; stop removes everything."""
    if os.geteuid() != 0 or not shutil.which("pg_createcluster"):
        raise servers.Skip("needs root and Debian's pg_createcluster (postgresql-common)")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                          "central-trial.sh")
    d = os.path.join(TMP, "trial")
    name = "vigil-test-%d" % os.getpid()
    opts = ["--dir", d, "--cluster", name]
    r = subprocess.run(["bash", script, "start"] + opts + [
        "--redis-port", str(servers.free_port()), "--pg-port", str(servers.free_port())],
        capture_output=True, text=True, timeout=300)
    try:
        assert r.returncode == 0, "start: %s %s" % (r.stdout, r.stderr)
        assert oct(os.stat(os.path.join(d, "env")).st_mode & 0o777) == "0o600"
        env = {}
        for line in open(os.path.join(d, "env")):
            k, _, v = line.strip().partition("=")
            env[k] = v.strip("'")
        url, dsn = env["VIGIL_REDIS"], env["VIGIL_PG"]
        port = url.rsplit(":", 1)[1]
        cfg = subprocess.run(["redis-cli", "-p", port, "CONFIG", "GET", "*"], capture_output=True,
                             text=True).stdout.split("\n")
        cfg = dict(zip(cfg[0::2], cfg[1::2]))
        assert (cfg.get("appendonly"), cfg.get("appendfsync"), cfg.get("maxmemory-policy"),
                cfg.get("bind")) == ("yes", "everysec", "noeviction", "127.0.0.1"), cfg
        sensor("lab1", [pcap("lab1", 400, 121), attacks()], url=url)
        lines = eve(os.path.join(TMP, "lab1"))
        r = subprocess.run([ARGS.vigil, "collect", "--redis", url, "--pg", dsn, "--idle-exit",
                            "2"], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert summary(r.stdout)["inserted"] == len(lines), (r.stdout, len(lines))
        r = subprocess.run([ARGS.vigil, "report", "--pg", dsn, "--format", "json"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        n_alerts = sum(1 for x in lines if '"event_type":"alert"' in x)
        ov = dict((x["metric"], x["value"])
                  for x in json.loads(r.stdout)["tables"]["overview"]["rows"])
        assert ov["alerts"] == n_alerts and n_alerts > 0, (ov["alerts"], n_alerts)
    finally:
        s = subprocess.run(["bash", script, "stop"] + opts, capture_output=True, text=True,
                           timeout=300)
    assert s.returncode == 0 and not os.path.exists(d), s.stderr
    left = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    assert name not in left, left


def case_spool_trim():
    """Spool segments leave the sensor's disk once the collector reports them committed."""
    REDIS.start()
    PG.start()
    spool = os.path.join(TMP, "tr", "ship")
    ex = ["--set", "outputs.redis.segment-size=64kb"]
    sensor("tr", pcap("tr", 1500, 81), extra=ex)
    segs0 = [x for x in os.listdir(spool) if x.startswith("seg-")]
    assert len(segs0) > 3, segs0
    n = len(eve(os.path.join(TMP, "tr")))
    collect("--idle-exit", "2")
    sensor("tr", pcap("empty", 0, 1), logdir=os.path.join(TMP, "tr2"),
           extra=ex + ["--set", "outputs.redis.spool-dir=" + spool])
    segs1 = [x for x in os.listdir(spool) if x.startswith("seg-")]
    assert len(segs1) <= 1, segs1
    with open(os.path.join(spool, "state")) as f:
        t = int(f.read().split()[1])
    assert 0 < t <= n, t
    # the sensor's numbers continue after the trimmed ones
    sensor("tr", pcap("tr3", 50, 82), logdir=os.path.join(TMP, "tr3"),
           extra=ex + ["--set", "outputs.redis.spool-dir=" + spool])
    collect("--idle-exit", "2")
    got = seqs("tr")
    assert got == list(range(1, len(got) + 1)) and len(got) > n, (len(got), n)


def case_handoff():
    """The sender takes what the output thread wrote from memory (outputs.redis.handoff-size)
    and reads the spool back for the rest: with the default, with none (everything read back)
    and with a queue too small for some blocks (both ways in one run, segments rotating): the
    stream holds every number once, in order, and PostgreSQL exactly the runs' eve.json."""
    REDIS.start()
    PG.start()
    lines = {}
    read_back = {}
    for name, extra in (("hmem", []),
                        ("hnone", ["--set", "outputs.redis.handoff-size=0"]),
                        ("hmix", ["--set", "outputs.redis.handoff-size=100kb",
                                  "--set", "outputs.redis.segment-size=256kb"])):
        r = sensor(name, pcap("handoff", 6000, 91, mix="web"), extra=extra)
        m = re.search(r"redis: (\d+) events spooled .*?, (\d+) sent \((\d+) read back", r.stdout)
        assert m, r.stdout
        spooled, sent, back = map(int, m.groups())
        lines[name] = eve(os.path.join(TMP, name))
        assert spooled == sent == len(lines[name]), (name, m.group(0))
        read_back[name] = back
        got = stream_seqs(name)
        assert got == list(range(1, len(lines[name]) + 1)), \
            "%s: stream holds %d numbers, not 1..%d once in order" % (name, len(got),
                                                                      len(lines[name]))
    assert read_back["hnone"] == len(lines["hnone"]), read_back
    assert read_back["hmem"] < len(lines["hmem"]) // 2, read_back
    assert 0 < read_back["hmix"] < len(lines["hmix"]), read_back
    collect("--idle-exit", "2")
    for name, ls in lines.items():
        check_exact(name, ls)


def case_ledger():
    """The evidence ledger's checkpoints are shipped as they are written (event_type
    vigil_ledger): PostgreSQL holds each checkpoint entry of ledger.jsonl, in order, between the
    run's start and end records."""
    REDIS.start()
    PG.start()
    d = os.path.join(TMP, "lg")
    sensor("lg", attacks(), logdir=d, extra=[
        "--evidence", "--set", "evidence.key-dir=" + os.path.join(TMP, "keys"),
        "--set", "evidence.checkpoint-entries=3"])
    collect("--idle-exit", "2")
    with open(os.path.join(d, "evidence", "ledger.jsonl")) as f:
        cps = [json.loads(x) for x in f if '"type":"checkpoint"' in x]
    assert len(cps) > 1 and cps[-1]["final"], "expected several checkpoints, the last final"
    stored = [json.loads(x) for x in PG.sql(
        "SELECT event::text FROM events WHERE sensor = 'lg' ORDER BY seq").split("\n")]
    shipped = [e["vigil_ledger"] for e in stored if e["event_type"] == "vigil_ledger"]
    assert shipped == cps, (len(shipped), len(cps))
    types = [e["event_type"] for e in stored]
    assert types[0] == "vigil_run" and types[-1] == "vigil_run", types[:2] + types[-2:]
    # everything else is the run's eve.json, in order
    rest = [e for e in stored if e["event_type"] not in ("vigil_run", "vigil_ledger")]
    assert rest == [json.loads(x) for x in eve_lines(d)]


def case_bad_records():
    """Run records of the wrong shape (another program, a damaged sensor) are stored as events
    and never stop the batch: values of the wrong type are left out, an unknown status is
    'failed' (not counted), a record that is not an object is passed over."""
    REDIS.start()
    PG.start()
    ts = "2024-01-02T03:04:05.000000+0000"

    def rec(seq, body):
        ev = json.dumps({"timestamp": ts, "event_type": "vigil_run", "vigil_run": body})
        REDIS.cmd("XADD", "vigil:events", "*", "sensor", "rr", "seq", seq, "event", ev)
    rec(1, {"phase": "start", "rules_loaded": "many", "geo_dbs": "not a list"})
    rec(2, {"phase": "end", "status": "weird", "packets": 1e30, "bytes": -5,
            "captures": "none", "capture_set": 7, "stats": [1]})
    rec(3, [1, 2, 3])
    rec(4, {"phase": "middle"})
    rec(5, {"phase": "start", "logdir": "/x"})
    rec(6, {"phase": "end", "status": "complete", "packets": 12, "capture_set": "ab",
            "captures": [{"path": "a.pcap", "sha256": "ab", "size": 3}, {"path": 5}]})
    st = summary(collect("--idle-exit", "2").stdout)
    assert st["inserted"] == 6 and st["dead"] == 0, st
    got = PG.sql("SELECT start_seq, end_seq, status, packets, bytes, coalesce(rules_loaded, -1),"
                 " coalesce(geo_dbs, '-'), capture_set, coalesce(stats, '-') FROM run_records"
                 " WHERE sensor = 'rr' ORDER BY start_seq").split("\n")
    assert got == ["1|2|failed|0|-5|-1|-||-", "5|6|complete|12|0|-1|-|ab|-"], got
    caps = PG.sql("SELECT path || ':' || sha256 || ':' || size FROM captures c JOIN run_records r"
                  " ON r.id = c.run_id WHERE r.sensor = 'rr' ORDER BY c.id").split("\n")
    assert caps == ["a.pcap:ab:3", "::0"], caps
    # the failed run is not counted, the complete one is
    r = subprocess.run([ARGS.vigil, "report", "--format", "json", "--pg", PG.dsn, "--sensor", "rr"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    ov = dict((x["metric"], x["value"]) for x in json.loads(r.stdout)["tables"]["overview"]["rows"])
    assert (ov["runs"], ov["runs_not_counted"], ov["packets"]) == (1, 1, 12), ov


def case_bad_input():
    """Wrong URL, DSN, unreachable servers and a newer schema: a clear message and exit 2."""
    REDIS.start()
    PG.start()
    r = subprocess.run([ARGS.vigil, "collect", "--redis", "http://x", "--pg", PG.dsn],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "redis URL" in r.stderr, r.stderr
    r = subprocess.run([ARGS.vigil, "collect", "--redis", "redis://127.0.0.1:%d"
                        % servers.free_port(), "--pg", PG.dsn], capture_output=True, text=True)
    assert r.returncode == 2 and "redis 127.0.0.1" in r.stderr, r.stderr
    r = collect_cmd()
    r[-1] = PG.dsn.replace("dbname=postgres", "dbname=nosuchdb")
    r = subprocess.run(r, capture_output=True, text=True)
    assert r.returncode == 2 and "postgresql:" in r.stderr and "nosuchdb" in r.stderr, r.stderr
    collect("--idle-exit", "1")
    PG.sql("UPDATE vigil_schema SET version = 99")
    r = collect("--idle-exit", "1", expect=2)
    assert "newer" in r.stderr and "99" in r.stderr, r.stderr
    r = sensor("b", pcap("b", 10, 1), expect=2, url="redis:/nohost")
    assert "redis URL" in r.stderr, r.stderr


if __name__ == "__main__":
    sys.exit(servers.run_case(sys.modules[__name__], "vigil-collect-"))
