#!/usr/bin/env python3
"""Evidence end to end (issue 7), on captures and rules made here.

  tamper: a run with evidence on verifies clean; then, each on a fresh copy of the log directory,
          every kind of change — one byte in a pcap, one byte in an entry, an entry removed, two
          swapped, a pcap deleted, a pcap added, a rewritten ledger with stale (forged)
          checkpoints, a wrong public key, a cut tail, an altered alert in eve.json — is
          detected and named (kind, entry, file) with the right exit status. Bad input: a private
          key readable by others, a public key of the wrong size, a ledger of another sensor.
          The pcap of the long flow holds the last ring-packets packets before the alert, then
          the rest, and the alert's packet index points at the alerting request. Export: a bundle
          of one flow and one of a period verify elsewhere; a changed pcap in it is found.
  crash:  SIGKILL during a run: verify reports only an incomplete state (unsigned tail, unsealed
          files), every entry before it checks, and every alert entry is in eve.json.
  reread: reading files, rings keep where packets are in their capture and read them back at the
          first alert: over five captures in one run (pcap little- and big-endian, nanosecond,
          the "modified" pcap format, pcapng in both byte orders with several sections, blocks
          that are not packets and packet options), with flows spanning files and a fragmented
          request (a reassembled datagram, which rings copy), the evidence pcaps are byte for byte
          those of the copying path (evidence.ring-copy=true), with 1 and 2 workers; each holds
          the tail of its flow's packets as they are in the input, and the run verifies.
  flowless: alerts on packets that have no flow (ICMP errors that join none): each alerted packet
          gets its own pcap, "packet-<pcap_cnt>.pcap", holding exactly that packet (one file
          however many rules fire on it), with an "evidence" event of the packet; an ICMP error
          that joined a flow goes into that flow's pcap; the run verifies, with 1 and 2 workers
          and with rings of references or of copies.
  corpus: the same comparison on real captures (every pcap and pcapng file under CORPUS/pcaps
          below 30 MB, in one run, with the ET Open rules there), with 1 and with 2 workers;
          with 2, a flow alerted in only one run must owe it to a host-tracked threshold (its
          one alert per window goes to whichever worker comes first): skipped (77) without them.
usage: test_evidence_e2e.py --vigil PATH [--gen PATH] [--corpus DIR]
       tamper|crash|reread|flowless|corpus
"""
import argparse
import hashlib
import json
import re
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import pktlib as P  # noqa: E402

RULES = r"""
alert http any any -> any any (msg:"EVID exploit"; flow:established,to_server; http.uri; content:"/exploit"; sid:1000001; rev:1;)
"""
RING = 4
BASE = 1_690_000_000_000_000


def conv(i, uri, extra_before=0, extra_after=0, base=BASE):
    c = P.TcpConv("10.0.%d.%d" % (i // 250, i % 250 + 1), 40000 + i % 20000, "192.0.2.80", 80,
                  ts=base + i * 10_000_000)
    c.handshake()
    for k in range(extra_before):
        c.send(True, b"GET /ok%d HTTP/1.1\r\nHost: a\r\n\r\n" % k)
        c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    c.send(True, b"GET " + uri + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    for k in range(extra_after):
        c.send(True, b"GET /after%d HTTP/1.1\r\nHost: a\r\n\r\n" % k)
        c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    c.close()
    return c.pkts


def read_pcap(path):
    d = open(path, "rb").read()
    assert struct.unpack("<I", d[:4])[0] == 0xa1b2c3d4, path
    off, recs = 24, []
    while off + 16 <= len(d):
        incl = struct.unpack("<I", d[off + 8:off + 12])[0]
        recs.append(d[off + 16:off + 16 + incl])
        off += 16 + incl
    return recs


def line_hash(body):
    """The ledger's hash rule: SHA-256 of the line without its ,"hash":"..." member."""
    return hashlib.sha256((body[:-75] + "}").encode()).hexdigest()


class T:
    def __init__(self, vigil, tmp):
        self.vigil, self.tmp, self.failed = vigil, tmp, []
        self.keys = os.path.join(tmp, "keys")

    def cleanup(self):
        """The scratch directory goes, unless something failed (then it is kept to look at)."""
        if not self.failed:
            shutil.rmtree(self.tmp)
        else:
            print("kept " + self.tmp)

    def status(self):
        print("FAILED: %d" % len(self.failed) if self.failed else "OK")
        return 1 if self.failed else 0

    def check(self, cond, what):
        if not cond:
            self.failed.append(what)
            print("FAIL " + what)
        return cond

    def read(self, pcaps, out, *extra, keys=None, check=True):
        rules = os.path.join(self.tmp, "t.rules")
        open(rules, "w").write(RULES)
        cmd = [self.vigil, "read", *pcaps, "-l", out, "-S", rules, "-q", "--evidence", "--set",
               "evidence.key-dir=" + (keys or self.keys), "--set",
               "evidence.ring-packets=%d" % RING, "--set", "evidence.checkpoint-entries=3",
               *extra]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if check and r.returncode != 0:
            raise SystemExit("vigil read failed (%d): %s" % (r.returncode, r.stderr))
        return r

    def verify(self, logdir, pub=None):
        pub = pub or os.path.join(self.keys, "sensor.pub")
        r = subprocess.run([self.vigil, "verify", logdir, "--pubkey", pub, "--json"],
                           capture_output=True, text=True)
        try:
            rep = json.loads(r.stdout)
        except ValueError:
            rep = {"problems": [], "status": None, "stderr": r.stderr}
        return r.returncode, rep


def ledger_lines(logdir):
    return open(os.path.join(logdir, "evidence", "ledger.jsonl")).read().splitlines()


def write_lines(logdir, lines, end="\n"):
    open(os.path.join(logdir, "evidence", "ledger.jsonl"), "w").write("\n".join(lines) + end)


def tamper(a):
    tmp = tempfile.mkdtemp(prefix="vigil-evid-")
    t = T(a.vigil, tmp)
    try:
        pk = []
        pk += conv(1, b"/exploit?long", extra_before=10, extra_after=3)  # 20+ packets before
        for i in range(2, 8):
            pk += conv(i, b"/exploit?id=%d" % i)
        for i in range(8, 12):
            pk += conv(i, b"/fine")
        pk.sort(key=lambda p: p[0])
        pcap = os.path.join(tmp, "t.pcap")
        P.write_pcap(pcap, pk)
        run = os.path.join(tmp, "run")
        r = t.read([pcap], run, check=False)
        t.check(r.returncode == 0, "vigil read exit %d: %s" % (r.returncode, r.stderr))
        t.check("made one" in r.stderr and "sensor.key" in r.stderr,
                "the first run says where it made the key: %r" % r.stderr)
        t.check(oct(os.stat(os.path.join(t.keys, "sensor.key")).st_mode & 0o777) == "0o600",
                "private key mode 0600")
        events = [json.loads(l) for l in open(os.path.join(run, "eve.json"))]
        alerts = [e for e in events if e["event_type"] == "alert"]
        evid = [e for e in events if e["event_type"] == "evidence"]
        t.check(len(alerts) == 7 and all("evidence" in e for e in alerts),
                "7 alerts, each with an evidence object: %d" % len(alerts))
        t.check(len(evid) == 7, "7 evidence events (one per alerted flow): %d" % len(evid))
        files = sorted(f for f in os.listdir(os.path.join(run, "evidence")) if f != "ledger.jsonl")
        t.check(len(files) == 7, "7 pcaps: %s" % files)
        # the long flow: RING packets up to the alert, then the rest of the flow
        long_alert = [e for e in alerts if b"/exploit?long" in json.dumps(e).encode()]
        if t.check(len(long_alert) == 1, "the long flow alerted once"):
            ev = long_alert[0]["evidence"]
            recs = read_pcap(os.path.join(run, "evidence", ev["file"]))
            t.check(ev.get("packet") == RING, "alert packet index %s, want %d" % (ev.get("packet"), RING))
            t.check(b"/exploit?long" in recs[ev["packet"] - 1], "the indexed packet is the request")
            t.check(b"/ok9 " in recs[1] and not any(b"/ok8 " in r for r in recs),
                    "the ring held only the last %d packets before the alert" % RING)
            t.check(len(recs) == RING + 1 + 6 + 3, "ring + rest of the flow: %d records" % len(recs))
            sealed = [e for e in evid if e["evidence"]["file"] == ev["file"]][0]["evidence"]
            data = open(os.path.join(run, "evidence", ev["file"]), "rb").read()
            t.check(hashlib.sha256(data).hexdigest() == sealed["sha256"] and
                    len(data) == sealed["size"], "the evidence event's hash and size are the file's")
        other = os.path.join(tmp, "otherkeys")
        for e in alerts:  # each alert's hash of the file as it was then: a prefix of the file
            ev = e["evidence"]
            data = open(os.path.join(run, "evidence", ev["file"]), "rb").read()
            t.check(ev.get("bytes", 0) > 24 and
                    hashlib.sha256(data[:ev["bytes"]]).hexdigest() == ev.get("sha256"),
                    "alert's evidence bytes/sha256 are the file's prefix: %s" % ev)
        rc, rep = t.verify(run)
        t.check(rc == 0 and rep["status"] == "ok" and rep["problems"] == [] and
                rep["files_checked"] == 7 and rep["alerts_checked"] == 7,
                "clean run verifies: rc %d %s" % (rc, rep))
        t.check(rep["checkpoints"] >= 3, "several checkpoints: %s" % rep.get("checkpoints"))
        lines = ledger_lines(run)
        entries = [json.loads(l) for l in lines]
        alert_idx = [i for i, e in enumerate(entries) if e["type"] == "alert"]

        def case(name, mutate, want_rc, want_kinds, pub=None, extra=None):
            d = os.path.join(tmp, name)
            shutil.copytree(run, d)
            info = mutate(d)
            rc, rep = t.verify(d, pub)
            kinds = {p["kind"] for p in rep["problems"]}
            ok = t.check(rc == want_rc and kinds == set(want_kinds),
                         "%s: rc %d kinds %s, want rc %d kinds %s\n  %s" %
                         (name, rc, sorted(kinds), want_rc, sorted(want_kinds),
                          "\n  ".join(p["message"] for p in rep["problems"])))
            if ok and extra:
                extra(rep, info)

        def named(kind, **kv):
            def f(rep, info):
                ps = [p for p in rep["problems"] if p["kind"] == kind]
                want = {k: (v(info) if callable(v) else v) for k, v in kv.items()}
                t.check(any(all(p.get(k) == v for k, v in want.items()) for p in ps),
                        "%s names %s: %s" % (kind, want, ps))
            return f

        def flip_pcap(d):
            p = os.path.join(d, "evidence", files[2])
            b = bytearray(open(p, "rb").read())
            b[-1] ^= 0x01
            open(p, "wb").write(bytes(b))
            return files[2]
        case("pcap_byte", flip_pcap, 1, ["file_changed"], extra=named("file_changed", file=lambda f: f))

        def flip_early(d):
            # a byte inside what the alert already hashed (the ring part): found twice, by the
            # sealed file's hash and by the alert's prefix hash
            p = os.path.join(d, "evidence", files[3])
            b = bytearray(open(p, "rb").read())
            b[40] ^= 0x01
            open(p, "wb").write(bytes(b))
            return files[3]

        def two_findings(rep, f):
            ps = [p for p in rep["problems"] if p.get("file") == f]
            t.check(len(ps) == 2, "early byte: the file and the alert's prefix both named: %s" % ps)
        case("pcap_early_byte", flip_early, 1, ["file_changed"], extra=two_findings)

        def entry_byte(d):
            ls = ledger_lines(d)
            i = alert_idx[1]
            ls[i] = ls[i].replace('"signature_id":1000001', '"signature_id":1000002')
            write_lines(d, ls)
            return entries[i]["seq"]
        case("entry_byte", entry_byte, 1, ["entry_altered"], extra=named("entry_altered", entry=lambda s: s))

        def entry_removed(d):
            ls = ledger_lines(d)
            i = alert_idx[2]
            del ls[i]
            write_lines(d, ls)
            return entries[i]["seq"]
        # removing an alert entry leaves its line of eve.json unnamed: not an error (eve.json may
        # hold alerts of runs without evidence), so only the gap is reported
        case("entry_removed", entry_removed, 1, ["entries_removed"],
             extra=named("entries_removed", entry=lambda s: s))

        def swapped(d):
            ls = ledger_lines(d)
            i = alert_idx[3]
            ls[i], ls[i + 1] = ls[i + 1], ls[i]
            write_lines(d, ls)
            return entries[i]["seq"]
        case("entries_swapped", swapped, 1, ["entries_reordered"],
             extra=named("entries_reordered", entry=lambda s: s))

        def pcap_deleted(d):
            os.unlink(os.path.join(d, "evidence", files[0]))
            return files[0]
        case("pcap_deleted", pcap_deleted, 1, ["file_missing"], extra=named("file_missing", file=lambda f: f))

        def pcap_added(d):
            shutil.copy(os.path.join(d, "evidence", files[0]), os.path.join(d, "evidence", "flow-999.pcap"))
        case("pcap_added", pcap_added, 1, ["file_added"], extra=named("file_added", file="flow-999.pcap"))

        def forged(d):
            # replace a pcap and rewrite the ledger consistently from its entry on (every hash
            # recomputed): only the checkpoints, which cannot be re-signed, give it away
            ls = ledger_lines(d)
            es = [json.loads(l) for l in ls]
            k = next(i for i, e in enumerate(es) if e["type"] == "evidence")
            p = os.path.join(d, "evidence", es[k]["file"])
            data = open(p, "rb").read()[:-16 - 5]  # drop a packet... roughly: cut the file
            open(p, "wb").write(data)
            prev = es[k]["prev"]
            out = ls[:k]
            for e in es[k:]:
                if e is es[k]:
                    e["sha256"], e["size"] = hashlib.sha256(data).hexdigest(), len(data)
                e["prev"] = prev
                del e["hash"]
                body = json.dumps(e, separators=(",", ":"))
                e["hash"] = hashlib.sha256(body.encode()).hexdigest()
                prev = e["hash"]
                out.append(json.dumps(e, separators=(",", ":")))
            write_lines(d, out)
        case("forged_checkpoints", forged, 1, ["bad_signature"])

        subprocess.run([a.vigil, "keygen", "--out", other], check=True, capture_output=True)
        case("wrong_pubkey", lambda d: None, 1, ["wrong_key"], pub=os.path.join(other, "sensor.pub"))

        def drop_end_checkpoints(ls):
            while '"type":"checkpoint"' in ls[-1]:
                ls = ls[:-1]
            return ls

        def cut_tail(d):
            write_lines(d, drop_end_checkpoints(ledger_lines(d)))
        case("tail_cut", cut_tail, 3, ["unsigned_tail"])

        def cut_mid_line(d):
            write_lines(d, drop_end_checkpoints(ledger_lines(d)))
            p = os.path.join(d, "evidence", "ledger.jsonl")
            b = open(p, "rb").read()
            open(p, "wb").write(b[:-40])
        # the cut line was the last evidence entry: its file is now unsealed too
        case("tail_cut_mid_line", cut_mid_line, 3, ["unsigned_tail", "truncated_line", "file_unsealed"])

        # a write cut short (the final checkpoint half written), then another run: it ends the
        # line, says so in its open entry, and verify calls it a cut write (incomplete)
        d = os.path.join(tmp, "cut_then_run")
        shutil.copytree(run, d)
        lp = os.path.join(d, "evidence", "ledger.jsonl")
        data = open(lp, "rb").read()
        open(lp, "wb").write(data[:-30])
        r = t.read([pcap], d, check=False)
        rc, rep = t.verify(d)
        kinds = {p["kind"] for p in rep["problems"]}
        t.check(r.returncode == 0 and rc == 3 and kinds == {"truncated_line"},
                "a cut write, then a run: %d %d %s" % (r.returncode, rc, rep["problems"]))
        # the same damaged line without the next run's record of it: tampering
        ls = open(lp).read().splitlines()
        bad = next(i for i, l in enumerate(ls) if not l.endswith('"}'))
        del ls[bad + 1]
        open(lp, "w").write("\n".join(ls) + "\n")
        rc, rep = t.verify(d)
        t.check(rc == 1 and "entry_damaged" in {p["kind"] for p in rep["problems"]},
                "a damaged line nobody recorded: %d %s" % (rc, rep["problems"]))

        def eve_altered(d):
            p = os.path.join(d, "eve.json")
            s = open(p).read().replace("EVID exploit", "EVID exploiT", 1)
            open(p, "w").write(s)
        case("eve_alert_altered", eve_altered, 1, ["alert_not_in_eve"])

        # --- export: a bundle another machine verifies ---
        ev_alerts = [e for e in entries if e["type"] == "alert"]
        pick = ev_alerts[2]
        b1 = os.path.join(tmp, "bundle_flow")
        r = subprocess.run([a.vigil, "evidence", "export", run, "--out", b1, "--flow",
                            str(pick["flow_id"]), "--pubkey", os.path.join(t.keys, "sensor.pub")],
                           capture_output=True, text=True)
        t.check(r.returncode == 0, "export by flow: %d %r" % (r.returncode, r.stderr))
        moved = os.path.join(tmp, "elsewhere", "b")  # as if copied to another machine
        shutil.copytree(b1, moved)
        bfiles = sorted(os.listdir(os.path.join(moved, "evidence")))
        t.check(bfiles == sorted([pick["file"], "ledger.jsonl"]), "bundle files: %s" % bfiles)
        t.check(len(open(os.path.join(moved, "eve.json")).readlines()) == 1, "one alert in the bundle")
        env = dict(os.environ, HOME=os.path.join(tmp, "elsewhere"), XDG_CONFIG_HOME="")
        r = subprocess.run([a.vigil, "verify", moved, "--json"], capture_output=True, text=True,
                           env=env)
        rep = json.loads(r.stdout) if r.stdout else {}
        t.check(r.returncode == 0 and rep.get("files_checked") == 1 and
                rep.get("alerts_checked") == 1, "the bundle verifies elsewhere: %d %s" % (r.returncode, rep))
        rc, rep = t.verify(moved, os.path.join(other, "sensor.pub"))
        t.check(rc == 1 and {p["kind"] for p in rep["problems"]} == {"wrong_key"},
                "the bundle against another key: %d %s" % (rc, rep["problems"]))
        p = os.path.join(moved, "evidence", pick["file"])
        bb = bytearray(open(p, "rb").read())
        bb[30] ^= 0xff
        open(p, "wb").write(bytes(bb))
        rc, rep = t.verify(moved)
        t.check(rc == 1 and {p["kind"] for p in rep["problems"]} == {"file_changed"},
                "a changed pcap in the bundle: %d %s" % (rc, rep["problems"]))
        # by period: the alerts from the 4th on
        b2 = os.path.join(tmp, "bundle_period")
        r = subprocess.run([a.vigil, "evidence", "export", run, "--out", b2, "--from",
                            ev_alerts[3]["timestamp"]], capture_output=True, text=True)
        rc, rep = t.verify(b2)
        want = len([e for e in ev_alerts if e["timestamp"] >= ev_alerts[3]["timestamp"]])
        t.check(r.returncode == 0 and rc == 0 and rep["alerts_checked"] == want and
                rep["files_checked"] == want, "export by period: %d %d %s" % (r.returncode, rc, rep))
        r = subprocess.run([a.vigil, "evidence", "export", run, "--out", os.path.join(tmp, "b3"),
                            "--flow", "12345"], capture_output=True, text=True)
        t.check(r.returncode == 1 and "no alert" in r.stderr, "export of nothing: %r" % r.stderr)

        # --- bad input ---
        os.chmod(os.path.join(t.keys, "sensor.key"), 0o644)
        r = t.read([pcap], os.path.join(tmp, "run_badmode"), check=False)
        t.check(r.returncode == 2 and "0600" in r.stderr and "sensor.key" in r.stderr,
                "private key readable by others refused: %d %r" % (r.returncode, r.stderr))
        os.chmod(os.path.join(t.keys, "sensor.key"), 0o600)
        badpub = os.path.join(tmp, "bad.pub")
        open(badpub, "w").write("vigil-ed25519-public-key 00ff\n")
        r = subprocess.run([a.vigil, "verify", run, "--pubkey", badpub], capture_output=True, text=True)
        t.check(r.returncode == 2 and "wrong size" in r.stderr and "bad.pub" in r.stderr,
                "public key of the wrong size: %d %r" % (r.returncode, r.stderr))
        r = t.read([pcap], run, keys=other, check=False)
        t.check(r.returncode == 2 and "another sensor" in r.stderr,
                "a ledger of another sensor refused: %d %r" % (r.returncode, r.stderr))
        r = subprocess.run([a.vigil, "keygen", "--out", other], capture_output=True, text=True)
        t.check(r.returncode != 0 and "refusing to overwrite" in r.stderr, "keygen never overwrites")
        # a second run into the same directory continues the chain; names stay unique
        t.read([pcap], run)
        rc, rep = t.verify(run)
        t.check(rc == 0 and rep["files_checked"] == 14, "two runs verify: rc %d %s" % (rc, rep))
        # without --pubkey and without a default key: the ledger's own key, said so
        env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME="")
        r = subprocess.run([a.vigil, "verify", run], capture_output=True, text=True, env=env)
        t.check(r.returncode == 0 and "the ledger itself" in r.stdout, "fallback key: %r" % r.stdout)
    finally:
        t.cleanup()
    return t.status()


def crash(a):
    tmp = tempfile.mkdtemp(prefix="vigil-evid-crash-")
    t = T(a.vigil, tmp)
    try:
        # first: 300 alerted flows (packet times before the filler's, so they time out and are
        # sealed while the filler is read); then a large filler capture to be killed in
        pk = []
        for i in range(300):
            pk += conv(i, b"/exploit?n=%d" % i, base=BASE)
        pk.sort(key=lambda p: p[0])
        first = os.path.join(tmp, "alerts.pcap")
        P.write_pcap(first, pk)
        filler = os.path.join(tmp, "filler.pcap")
        subprocess.run([a.gen, "--flows", "400000", "-o", filler], check=True, capture_output=True)
        out = os.path.join(tmp, "run")
        rules = os.path.join(tmp, "t.rules")
        open(rules, "w").write(RULES)
        ledger = os.path.join(out, "evidence", "ledger.jsonl")
        p = subprocess.Popen([a.vigil, "read", first, filler, "-l", out, "-S", rules, "-q",
                              "--evidence", "--no-progress", "--workers", "1",
                              "--set", "evidence.key-dir=" + t.keys,
                              "--set", "evidence.checkpoint-entries=20"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 300
        killed = False
        while time.time() < deadline and p.poll() is None:
            try:
                txt = open(ledger).read()
            except OSError:
                txt = ""
            if txt.count('"type":"checkpoint"') >= 3:
                p.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.01)
        p.wait()
        if not t.check(killed, "the run was killed while it ran (it ended first: make the filler larger)"):
            return 1
        rc, rep = t.verify(out)
        kinds = {x["kind"] for x in rep["problems"]}
        t.check(rc == 3 and rep["status"] == "incomplete",
                "after SIGKILL: incomplete (3), got %d %s" % (rc, rep.get("status")))
        t.check(kinds <= {"unsigned_tail", "file_unsealed", "file_orphaned", "not_final",
                          "truncated_line"},
                "only incompleteness is reported: %s" % rep["problems"])
        t.check("unsigned_tail" in kinds or "not_final" in kinds, "the tail is reported: %s" % kinds)
        t.check(rep["signed_through"] > 1 and rep["checkpoints"] >= 3,
                "entries up to the last checkpoint are signed: %s" % rep)
        t.check(rep["alerts_checked"] > 0 and "alert_not_in_eve" not in kinds,
                "every alert the ledger holds is in eve.json")
        # a run after the crash goes on from the surviving tail; the old tail gets signed
        r = t.read([first], out, check=False)
        t.check(r.returncode == 0, "a run after the crash: %d %r" % (r.returncode, r.stderr))
        rc, rep = t.verify(out)
        kinds = {x["kind"] for x in rep["problems"]}
        t.check(kinds <= {"file_unsealed", "file_orphaned"} and rc in (0, 3),
                "after the next run only the crashed run's unsealed files remain: %s" % rep["problems"])
    finally:
        t.cleanup()
    return t.status()


def write_pcap_variant(path, packets, big=False, nsec=False, modified=False):
    """Classic pcap in the other layouts libpcap reads: big-endian, nanosecond timestamps, or
    the "modified" format (24-byte record headers)."""
    e = ">" if big else "<"
    magic = 0xA1B2CD34 if modified else 0xA1B23C4D if nsec else 0xA1B2C3D4
    with open(path, "wb") as f:
        f.write(struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 65535, 1))
        for ts, data in packets:
            frac = ts % 1000000 * (1000 if nsec else 1)
            h = struct.pack(e + "IIII", ts // 1000000, frac, len(data), len(data))
            if modified:
                h += struct.pack(e + "IHBB", 0, 0x0800, 0, 0)
            f.write(h + data)


def write_pcapng_variant(path, packets, big=False, sections=1):
    """pcapng in either byte order, the packets split over `sections` sections (each a section
    header and an interface), with blocks that are not packets between packets (interface
    statistics, name resolution, an unknown type) and a comment option on some packets."""
    e = ">" if big else "<"

    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)

    def section():
        return (block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1)) +
                block(1, struct.pack(e + "HHI", 1, 0, 65535)))

    out = bytearray()
    per = -(-len(packets) // sections)
    for k, (ts, data) in enumerate(packets):
        if k % per == 0:
            out += section()
        if k % 3 == 1:
            out += block(5, struct.pack(e + "III", 0, ts >> 32, ts & 0xFFFFFFFF))
        if k % 4 == 2:
            out += block(4, struct.pack(e + "HH", 0, 0))
        if k % 5 == 3:
            out += block(0x40000BAD, b"not a packet")
        opts = b""
        if k % 2:
            c = b"packet %d" % k
            opts = struct.pack(e + "HH", 1, len(c)) + c + b"\0" * (-len(c) % 4) + \
                struct.pack(e + "HH", 0, 0)
        data_padded = data + b"\0" * (-len(data) % 4)
        out += block(6, struct.pack(e + "IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data),
                                    len(data)) + data_padded + opts)
    open(path, "wb").write(bytes(out))


def frag_send(c, data):
    """The client sends data in one TCP segment cut into two IP fragments."""
    seg = P.l4(6, c.cli, c.srv, sport=c.cport, dport=c.sport, flags=0x18, seq=c.cseq,
               ack=c.sseq, payload=data)
    c.cseq += len(data)
    cut = 24  # a multiple of 8
    for off, part, more in ((0, seg[:cut], True), (cut, seg[cut:], False)):
        c.pkts.append((c.ts, P.eth(P.ipv4(c.cli, c.srv, 6, part, ident=77, frag_off=off,
                                          more=more))))
        c.ts += c.step


def reread(a):
    tmp = tempfile.mkdtemp(prefix="vigil-evid-reread-")
    t = T(a.vigil, tmp)
    try:
        convs = []
        for i in range(1, 41):
            c = P.TcpConv("10.1.%d.%d" % (i // 250, i % 250 + 1), 41000 + i, "192.0.2.80", 80,
                          ts=BASE + i * 2_000, step=7_000)  # flows overlap in time
            c.handshake()
            for k in range(i % 9):
                c.send(True, b"GET /ok%d HTTP/1.1\r\nHost: a\r\n\r\n" % k)
                c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            if i == 7:
                frag_send(c, b"GET /exploit?frag HTTP/1.1\r\nHost: a\r\n\r\n")
            else:
                c.send(True, b"GET /%s?i=%d HTTP/1.1\r\nHost: a\r\n\r\n" %
                       (b"exploit" if i % 3 == 1 else b"fine", i))
            c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            for k in range(i % 4):
                c.send(True, b"GET /after%d HTTP/1.1\r\nHost: a\r\n\r\n" % k)
                c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            c.close()
            convs.append(c)
        pk = sorted((p for c in convs for p in c.pkts), key=lambda p: p[0])
        n = len(pk)
        cuts = [0, n // 5, 2 * n // 5, 3 * n // 5, 4 * n // 5, n]
        parts = [pk[cuts[k]:cuts[k + 1]] for k in range(5)]
        files = [os.path.join(tmp, f) for f in ("a.pcap", "b.pcapng", "c.pcap", "d.pcapng",
                                                 "e.pcap")]
        P.write_pcap(files[0], parts[0])
        write_pcapng_variant(files[1], parts[1], sections=2)
        write_pcap_variant(files[2], parts[2], big=True, nsec=True)
        write_pcapng_variant(files[3], parts[3], big=True, sections=2)
        write_pcap_variant(files[4], parts[4], modified=True)
        runs = {}
        for name, extra in (("copy", ["--workers", "1", "--set", "evidence.ring-copy=true"]),
                            ("ref1", ["--workers", "1"]), ("ref2", ["--workers", "2"])):
            out = os.path.join(tmp, name)
            r = t.read(files, out, *extra, check=False)
            if not t.check(r.returncode == 0, "%s: vigil read exit %d: %s" %
                           (name, r.returncode, r.stderr)):
                return 1
            t.check("packet positions" not in r.stderr and "read back" not in r.stderr,
                    "%s: no warning about packet positions: %s" % (name, r.stderr))
            ev = os.path.join(out, "evidence")
            runs[name] = {f: open(os.path.join(ev, f), "rb").read()
                          for f in os.listdir(ev) if f.endswith(".pcap")}
            stats = [json.loads(l) for l in open(os.path.join(out, "eve.json"))
                     if '"final":true' in l][-1]["stats"]["evidence"]
            t.check(stats["reread_errors"] == 0, "%s: no packet failed to read back: %s" %
                    (name, stats))
            if name == "copy":
                t.check(stats["rereads"] == 0, "copy: nothing read back: %s" % stats)
            else:
                t.check(stats["rereads"] > 0, "%s: ring packets read back: %s" % (name, stats))
            rc, rep = t.verify(out)
            t.check(rc == 0 and rep["problems"] == [], "%s verifies: %d %s" % (name, rc, rep))
        alerted = [c for i, c in enumerate(convs, 1) if i % 3 == 1 or i == 7]
        t.check(len(runs["copy"]) == len(alerted), "one pcap per alerted flow: %d of %d" %
                (len(runs["copy"]), len(alerted)))
        for name in ("ref1", "ref2"):
            t.check(runs[name] == runs["copy"],
                    "%s: the evidence pcaps are byte for byte the copying path's (%s)" %
                    (name, sorted(f for f in set(runs[name]) | set(runs["copy"])
                                  if runs[name].get(f) != runs["copy"].get(f))))
        # each pcap against the input: the tail of its flow's packets, as they are in the input
        # (the fragmented flow: its reassembled request instead of the two fragments)
        seen_frag = False
        for f, data in sorted(runs["ref1"].items()):
            recs = []
            off = 24
            while off + 16 <= len(data):
                sec, usec, incl = struct.unpack("<III", data[off:off + 12])
                recs.append((sec * 1000000 + usec, data[off + 16:off + 16 + incl]))
                off += 16 + incl
            owner = [c for c in alerted if recs and recs[-1] in c.pkts]
            if not t.check(len(owner) == 1, "%s: its last packet is one alerted flow's" % f):
                continue
            flow = owner[0].pkts
            if any(b"/exploit?frag" in d for _, d in recs):
                seen_frag = True
                whole = [r for r in recs if r not in flow]
                t.check(len(whole) == 1 and b"/exploit?frag" in whole[0][1],
                        "%s: the reassembled request is the one record not in the input" % f)
                recs = [r for r in recs if r in flow]
                flow = [p for p in flow if struct.unpack("!H", p[1][20:22])[0] & 0x3FFF == 0]
            t.check(len(recs) >= RING and recs == flow[len(flow) - len(recs):],
                    "%s: %d records, the last of its flow's %d packets, in order" %
                    (f, len(recs), len(flow)))
        t.check(seen_frag, "the fragmented flow's pcap was checked")
    finally:
        t.cleanup()
    return t.status()


def corpus(a):
    caps = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(a.corpus or "", "pcaps"))
                  for f in fs if f.endswith((".pcap", ".pcapng")) and
                  os.path.getsize(os.path.join(d, f)) < 30 << 20)
    rdir = os.path.join(a.corpus or "", "rules", "et-open-2024")
    rules = sorted(os.path.join(rdir, f) for f in os.listdir(rdir)
                   if f.endswith(".rules")) if os.path.isdir(rdir) else []
    if not caps or not rules:
        print("SKIP: no corpus captures or rules under %r" % a.corpus)
        return 77
    tmp = tempfile.mkdtemp(prefix="vigil-evid-corpus-")
    t = T(a.vigil, tmp)
    try:
        runs = {}
        # each worker count with copies and with references (between worker counts the pcaps may
        # differ: rings taken back when memory is wanted depend on each worker's share)
        for name, extra in (("copy1", ["--workers", "1", "--set", "evidence.ring-copy=true"]),
                            ("ref1", ["--workers", "1"]),
                            ("copy2", ["--workers", "2", "--set", "evidence.ring-copy=true"]),
                            ("ref2", ["--workers", "2"])):
            out = os.path.join(tmp, name)
            cmd = [a.vigil, "read", *caps, "-l", out, "-q", "--no-progress", "-k", "none",
                   "--evidence", "--set", "evidence.key-dir=" + t.keys, *extra]
            for r in rules:
                cmd += ["-S", r]
            r = subprocess.run(cmd, capture_output=True, text=True)
            t.check(r.returncode in (0, 1), "%s: vigil read exit %d: %s" %
                    (name, r.returncode, r.stderr[-2000:]))  # 1: a damaged capture, said so
            t.check("read back" not in r.stderr and "packet positions" not in r.stderr,
                    "%s: nothing failed to be read back: %s" % (name, r.stderr[-2000:]))
            ev = os.path.join(out, "evidence")
            runs[name] = {f: open(os.path.join(ev, f), "rb").read()
                          for f in os.listdir(ev) if f.endswith(".pcap")}
            stats = [json.loads(l) for l in open(os.path.join(out, "eve.json"))
                     if '"final":true' in l][-1]["stats"]["evidence"]
            t.check(stats["reread_errors"] == 0, "%s: %s" % (name, stats))
            if name.startswith("ref"):
                t.check(stats["rereads"] > 0, "%s: ring packets read back: %s" % (name, stats))
            rc, rep = t.verify(out)
            t.check(rc == 0, "%s verifies: %d %s" % (name, rc, rep.get("problems")))
        t.check(len(runs["copy1"]) > 0, "the corpus run alerted")
        # Rules with a threshold tracked by host are counted across workers, so with 2 workers
        # which flow of a host raises the one alert of a window depends on the workers' timing
        # (as in Suricata): such a flow can have a pcap in one run and not the other. A pcap
        # present in only one run must come from such rules alone; every pcap present in both
        # must be the same bytes.
        host_thr = set()
        sid_re = re.compile(r"\bsid\s*:\s*(\d+)\s*;")
        for r in rules:
            for line in open(r, errors="replace"):
                m = sid_re.search(line)
                if m and re.search(r"track\s+by_(src|dst|rule|both)", line):
                    host_thr.add(int(m.group(1)))
        for w in "12":
            ref, copy = runs["ref" + w], runs["copy" + w]
            t.check(len(runs["copy" + w]) > 0, "%s worker(s): pcaps written" % w)
            differing = sorted(f for f in set(ref) & set(copy) if ref[f] != copy[f])
            t.check(not differing, "%s worker(s): the pcaps from references are the copying "
                    "path's, byte for byte (%d files; differing: %s)" % (w, len(copy),
                                                                         differing[:10]))
            for f in set(ref) ^ set(copy):
                run = "ref" + w if f in ref else "copy" + w
                sids = {e["alert"]["signature_id"] for e in map(json.loads, open(os.path.join(
                        tmp, run, "eve.json"))) if e.get("event_type") == "alert" and
                        e.get("evidence", {}).get("file") == f}
                t.check(w == "2" and sids and sids <= host_thr,
                        "%s worker(s): %s only in %s, from rules %s that are not host-thresholded"
                        % (w, f, run, sorted(sids)))
        print("%d captures, %d evidence pcaps compared" % (len(caps), len(runs["copy1"])))
    finally:
        t.cleanup()
    return t.status()


def _icmp4(src, dst, typ, code, rest):
    body = struct.pack("!BBH", typ, code, 0) + rest
    body = body[:2] + struct.pack("!H", P.csum(body)) + body[4:]
    return P.eth(P.ipv4(src, dst, 1, body))


FLOWLESS_RULES = r"""
alert icmp any any -> any any (msg:"EVID unreachable"; itype:3; sid:2000001; rev:1;)
alert icmp any any -> any any (msg:"EVID port unreachable"; itype:3; icode:3; sid:2000002; rev:1;)
"""


def flowless(a):
    """Evidence of alerts on packets without a flow (see the module's text)."""
    t = T(a.vigil, tempfile.mkdtemp(prefix="vg-evid-nf-"))
    try:
        subprocess.run([a.vigil, "keygen", "--out", t.keys], check=True, capture_output=True)
        pk, ts = [], [BASE]

        def add(f):
            pk.append((ts[0], f))
            ts[0] += 1000

        def quote(src, dst, sport, dport):
            return P.ipv4(src, dst, 17, P.l4(17, src, dst, sport=sport, dport=dport,
                                             payload=b"probe"))[:28]

        # 1: a datagram; 2: its port unreachable (joins its flow); 3, 4: port unreachables quoting
        # datagrams never seen (no flow: two rules fire on each); 5: a host unreachable quoting
        # one never seen (no flow, one rule)
        add(P.frame(17, "10.1.1.1", "10.2.2.2", sport=40000, dport=1001, payload=b"probe"))
        add(_icmp4("10.2.2.2", "10.1.1.1", 3, 3, b"\0" * 4 + quote("10.1.1.1", "10.2.2.2",
                                                                  40000, 1001)))
        add(_icmp4("10.2.2.3", "10.1.1.5", 3, 3, b"\0" * 4 + quote("10.1.1.5", "10.2.2.3",
                                                                  5555, 53)))
        add(_icmp4("10.2.2.4", "10.1.1.6", 3, 3, b"\0" * 4 + quote("10.1.1.6", "10.2.2.4",
                                                                  5556, 53)))
        add(_icmp4("10.9.9.9", "10.1.1.7", 3, 1, b"\0" * 4 + quote("10.1.1.7", "10.2.2.5",
                                                                  5557, 123)))
        pcap = os.path.join(t.tmp, "icmp.pcap")
        P.write_pcap(pcap, pk)
        rules = os.path.join(t.tmp, "nf.rules")
        open(rules, "w").write(FLOWLESS_RULES)
        frames = [f for _, f in pk]
        runs = {}
        for name, extra in (("ref1", ["--workers", "1"]), ("ref2", ["--workers", "2"]),
                            ("copy1", ["--workers", "1", "--set", "evidence.ring-copy=true"])):
            out = os.path.join(t.tmp, name)
            r = subprocess.run([a.vigil, "read", pcap, "-l", out, "-S", rules, "-q", "-k", "none",
                                "--evidence", "--set", "evidence.key-dir=" + t.keys,
                                "--set", "behave.enabled=false", *extra],
                               capture_output=True, text=True)
            if not t.check(r.returncode == 0, "%s: vigil read failed: %s" % (name, r.stderr)):
                continue
            evs = [json.loads(x) for x in open(os.path.join(out, "eve.json"))]
            alerts = [e for e in evs if e["event_type"] == "alert"]
            got = sorted((e["pcap_cnt"], e["alert"]["signature_id"], "flow_id" in e,
                          e.get("evidence", {}).get("file"), e.get("evidence", {}).get("packet"))
                         for e in alerts)
            fl = next((e["evidence"]["file"] for e in alerts if e["pcap_cnt"] == 2), None)
            want = [(2, 2000001, True, fl, 2), (2, 2000002, True, fl, 2),
                    (3, 2000001, False, "packet-3.pcap", 1),
                    (3, 2000002, False, "packet-3.pcap", 1),
                    (4, 2000001, False, "packet-4.pcap", 1),
                    (4, 2000002, False, "packet-4.pcap", 1),
                    (5, 2000001, False, "packet-5.pcap", 1)]
            t.check(fl and fl.startswith("flow-") and got == want,
                    "%s: alerts and their evidence %s, want %s" % (name, got, want))
            sealed = sorted((e["evidence"]["file"], e["evidence"]["packets"], "flow_id" in e,
                             e.get("src_ip"), e.get("pcap_cnt"))
                            for e in evs if e["event_type"] == "evidence")
            want = sorted([(fl, 2, True, "10.1.1.1", None),
                           ("packet-3.pcap", 1, False, "10.2.2.3", 3),
                           ("packet-4.pcap", 1, False, "10.2.2.4", 4),
                           ("packet-5.pcap", 1, False, "10.9.9.9", 5)], key=str)
            t.check(sorted(sealed, key=str) == want,
                    "%s: evidence events %s, want %s" % (name, sealed, want))
            ed = os.path.join(out, "evidence")
            for cnt in (3, 4, 5):
                f = os.path.join(ed, "packet-%d.pcap" % cnt)
                t.check(os.path.exists(f) and read_pcap(f) == [frames[cnt - 1]],
                        "%s: %s does not hold exactly packet %d" % (name, f, cnt))
            if fl:
                t.check(read_pcap(os.path.join(ed, fl)) == frames[:2],
                        "%s: the flow's pcap does not hold the datagram and its error" % name)
            rc, rep = t.verify(out)
            t.check(rc == 0 and rep.get("status") == "ok" and rep.get("files_checked") == 4,
                    "%s: verify %d %s" % (name, rc, rep))
            runs[name] = {n: open(os.path.join(ed, n), "rb").read()
                          for n in os.listdir(ed) if n.endswith(".pcap")}
        if len(runs) == 3:
            t.check(runs["ref1"] == runs["copy1"], "references and copies give different pcaps")
            t.check(runs["ref1"] == runs["ref2"], "1 and 2 workers give different pcaps")
        print("flowless: %d runs checked" % len(runs))
    finally:
        t.cleanup()
    return t.status()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--gen")
    ap.add_argument("--corpus")
    ap.add_argument("case", choices=["tamper", "crash", "reread", "flowless", "corpus"])
    a = ap.parse_args()
    return {"tamper": tamper, "crash": crash, "reread": reread, "flowless": flowless,
            "corpus": corpus}[a.case](a)


if __name__ == "__main__":
    sys.exit(main())
