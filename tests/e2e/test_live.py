#!/usr/bin/env python3
"""End-to-end tests of `vigil live` on a test bed built here: a network namespace with a veth
pair (iproute2); captures made by the test are replayed into one end with tcpreplay while
`vigil live` listens on the other; everything is torn down afterwards.

usage: test_live.py --vigil PATH --gen PATH CASE
Cases that need the test bed exit 77 (CTest: skipped) with a message when they cannot build it
(not root, no network namespaces, no tcpreplay).
"""
import argparse
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pktlib as P  # noqa: E402

SKIP = 77
ARGS = None
TMP = None

RULES_A = """\
alert http any any -> any any (msg:"LIVE alpha"; flow:established,to_server; http.uri; content:"/alpha"; sid:1000001; rev:1;)
alert http any any -> any any (msg:"LIVE beta"; flow:established,to_server; http.uri; content:"/beta"; sid:1000002; rev:1;)
"""
# B keeps alpha, drops beta, adds gamma.
RULES_B = """\
alert http any any -> any any (msg:"LIVE alpha"; flow:established,to_server; http.uri; content:"/alpha"; sid:1000001; rev:1;)
alert http any any -> any any (msg:"LIVE gamma"; flow:established,to_server; http.uri; content:"/gamma"; sid:1000003; rev:1;)
"""


class Skip(Exception):
    pass


def sh(*cmd, check=True):
    r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        raise AssertionError("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr.strip()))
    return r


class Bed:
    """Namespace NS with veth pair vtx <-> vrx, both up, no IPv6 (no stray router solicitations)."""

    def __init__(self):
        if os.geteuid() != 0:
            raise Skip("needs root for network namespaces and packet sockets")
        for tool in ("ip", "tcpreplay"):
            if not shutil.which(tool):
                raise Skip("%s is not installed (scripts/setup-deps.sh)" % tool)
        self.ns = "vgtest%d" % os.getpid()
        r = sh("ip", "netns", "add", self.ns, check=False)
        if r.returncode != 0:
            raise Skip("cannot create a network namespace: %s" % r.stderr.strip())
        try:
            sh("ip", "-n", self.ns, "link", "add", "vtx", "type", "veth", "peer", "name", "vrx")
            for i in ("vtx", "vrx"):
                self.run_in("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % i)
                sh("ip", "-n", self.ns, "link", "set", i, "mtu", "9000", "up")
        except Exception:
            self.close()
            raise

    def run_in(self, *cmd, check=True):
        return sh("ip", "netns", "exec", self.ns, *cmd, check=check)

    def popen(self, cmd, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", self.ns] + cmd, **kw)
        RUNNING.append(p)
        return p

    def replay(self, pcaps, pps=3000, loop=1):
        r = self.run_in("tcpreplay", "-q", "-i", "vtx", "--pps=%d" % pps, "--loop=%d" % loop, *pcaps)
        return r

    def close(self):
        sh("ip", "netns", "del", self.ns, check=False)


RUNNING = []  # processes to kill if a case fails half-way (the namespace goes, they would not)


class Live:
    """`vigil live -i vrx` in the test bed, stderr in a file."""

    def __init__(self, bed, logdir, *extra):
        self.logdir = logdir
        self.err_path = os.path.join(logdir, "stderr.txt")
        self.errf = open(self.err_path, "w")
        cmd = [ARGS.vigil, "live", "-i", "vrx", "-l", logdir, "--no-progress"] + list(extra)
        self.p = bed.popen(cmd, stdout=subprocess.PIPE, stderr=self.errf, text=True,
                           env=dict(os.environ, TZ="UTC"))
        deadline = time.time() + 60
        while "capturing on" not in self.stderr():
            if self.p.poll() is not None:
                raise AssertionError("vigil live exited %d: %s" % (self.p.returncode, self.stderr()))
            if time.time() > deadline:
                raise AssertionError("vigil live did not start: " + self.stderr())
            time.sleep(0.1)

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGINT):
        self.p.send_signal(sig)
        out, _ = self.p.communicate(timeout=120)
        self.errf.close()
        if self.p.returncode != 0:
            raise AssertionError("vigil live exit %d after signal: %s" % (self.p.returncode,
                                                                          self.stderr()))
        return out


def vigil_read(logdir, *args):
    cmd = [ARGS.vigil, "read", "-l", logdir, "-q", "--no-progress"] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=dict(os.environ, TZ="UTC"))
    if r.returncode != 0:
        raise AssertionError("vigil read exit %d: %s" % (r.returncode, r.stderr))


def events(logdir, etype=None):
    out = []
    with open(os.path.join(logdir, "eve.json")) as f:
        for line in f:
            ev = json.loads(line)
            if etype is None or ev["event_type"] == etype:
                out.append(ev)
    return out


def flow_key(ev):
    f = ev["flow"]
    return (ev["proto"], ev["src_ip"], ev.get("src_port"), ev["dest_ip"], ev.get("dest_port"),
            f["pkts_toserver"], f["pkts_toclient"], f["bytes_toserver"], f["bytes_toclient"])


def flows(logdir):
    return collections.Counter(flow_key(e) for e in events(logdir, "flow"))


def alerts(logdir):
    return collections.Counter((e["alert"]["signature_id"], e["src_ip"], e["dest_ip"])
                               for e in events(logdir, "alert"))


def fresh(name):
    d = os.path.join(TMP, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def write(name, text):
    p = os.path.join(TMP, name)
    with open(p, "w") as f:
        f.write(text)
    return p


def http_pcap(name, words, n_each, base_ts=1_700_000_000_000_000, cport=30000):
    """n_each HTTP conversations per word in words: GET /<word>/<i>; distinct client ports."""
    pkts = []
    ts = base_ts
    k = 0
    for i in range(n_each):
        for w in words:
            c = P.TcpConv("10.9.0.%d" % (1 + k % 200), cport + k, "10.9.1.80", 80, ts=ts)
            req = b"GET /" + w.encode() + b"/" + str(i).encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n"
            c.handshake().send(True, req).send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").close()
            pkts += c.pkts
            ts = c.ts + 1000
            k += 1
    path = os.path.join(TMP, name)
    P.write_pcap(path, pkts)
    return path, len(pkts)


def gen_pcap(name, flows_n, seed, mix="web"):
    path = os.path.join(TMP, name)
    subprocess.run([ARGS.gen, "--flows", str(flows_n), "--seed", str(seed), "--mix", mix, "-o", path],
                   check=True, capture_output=True)
    return path


def count_pcap(path):
    """Packets in a classic pcap file (little-endian, as pktlib and vigil-gen write)."""
    import struct
    n = 0
    with open(path, "rb") as f:
        f.read(24)
        while True:
            h = f.read(16)
            if len(h) < 16:
                return n
            f.seek(struct.unpack("<IIII", h)[2], 1)
            n += 1


def stats_events(logdir):
    return [e["stats"] for e in events(logdir, "stats")]


def wait_for(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


# --- cases ---------------------------------------------------------------------------------

def case_equals_read(bed, method="af-packet", workers=2):
    """At a rate with no kernel drops, flows (5-tuple and counts), alerts (sid and addresses)
    and anomalies equal what `vigil read` writes for the same captures."""
    rules = write("a.rules", RULES_A)
    gen = gen_pcap("gen.pcap", 400, 11)
    web, n_web = http_pcap("web.pcap", ["alpha", "beta", "other"], 10)
    n_total = count_pcap(gen) + n_web
    ref = fresh("ref")
    vigil_read(ref, "-S", rules, "--workers", "1", gen, web)
    live_dir = fresh("live")
    lv = Live(bed, live_dir, "-S", rules, "--workers", str(workers), "--set", "stats.interval=1",
              "--set", "capture.method=" + method)
    bed.replay([gen, web], pps=3000)
    time.sleep(1.5)
    out = lv.stop()
    assert "kernel:" in out, out
    st = stats_events(live_dir)
    final = [s for s in st if s["final"]]
    assert len(final) == 1, "one final stats event, got %d" % len(final)
    cap = final[0]["capture"]
    assert cap["kernel_drops"] == 0, "kernel drops at 3000 pkt/s: %s" % cap
    assert cap["kernel_packets"] == n_total, "kernel saw %d packets, replayed %d" % (
        cap["kernel_packets"], n_total)
    assert len(st) >= 2, "periodic stats events with capture counters, got %d" % len(st)
    assert [(i["name"], i["kernel_packets"], i["kernel_drops"]) for i in cap["interfaces"]] == \
        [("vrx", n_total, 0)], cap
    fr, fl = flows(ref), flows(live_dir)
    assert sum(fr.values()) > 400, "reference has the flows"
    if fr != fl:
        raise AssertionError("flows differ: only in read %s; only in live %s" % (
            list((fr - fl).items())[:5], list((fl - fr).items())[:5]))
    ar, al = alerts(ref), alerts(live_dir)
    assert sum(ar.values()) == 20, "reference: 10 alpha + 10 beta alerts, got %s" % ar
    assert ar == al, "alerts differ: read %s live %s" % (ar - al, al - ar)
    an = lambda d: collections.Counter(e["anomaly"].get("event") for e in events(d, "anomaly"))
    assert an(ref) == an(live_dir), "anomalies differ: %s vs %s" % (an(ref), an(live_dir))
    reasons = collections.Counter(e["flow"]["reason"] for e in events(live_dir, "flow"))
    assert set(reasons) <= {"shutdown", "timeout"}, reasons
    print("equal: %d flows, %d alerts, kernel %s" % (sum(fl.values()), sum(al.values()), cap))


def case_equals_read_one_worker(bed):
    """The same with one worker reading its own socket (no fanout group)."""
    case_equals_read(bed, workers=1)


def case_equals_read_pcap(bed):
    """The same through the libpcap fallback (capture.method=pcap)."""
    case_equals_read(bed, "pcap")


def case_user(bed):
    """--user: the sockets are opened as root, then the process runs as that user."""
    d = fresh("user")
    r = bed.run_in(ARGS.vigil, "live", "-i", "vrx", "-l", d, "--user", "nobody", check=False)
    assert r.returncode == 2 and d + ": " in r.stderr and "Permission denied" in r.stderr, r
    os.chmod(TMP, 0o755)
    os.chmod(d, 0o777)
    lv = Live(bed, d, "--disable-detection", "--user", "nobody")
    with open("/proc/%d/status" % lv.p.pid) as f:
        uids = [l.split()[1:] for l in f if l.startswith("Uid:")][0]
    import pwd
    want = str(pwd.getpwnam("nobody").pw_uid)
    assert uids == [want] * 4, "uids %s, want %s" % (uids, want)
    pc = os.path.join(TMP, "u.pcap")
    P.write_pcap(pc, [(1_700_000_000_000_000, P.frame(17, "10.7.0.1", "10.7.0.2", sport=1, dport=2,
                                                      payload=b"x"))])
    bed.replay([pc], pps=100)
    time.sleep(0.5)
    lv.stop()
    assert len(events(d, "flow")) == 1
    r = bed.run_in(ARGS.vigil, "live", "-i", "vrx", "-l", d, "--user", "no-such-user-x", check=False)
    assert r.returncode == 2 and "no-such-user-x: no such user" in r.stderr, r


def case_stop_outputs(bed):
    """SIGTERM during a replay with the store and the evidence ledger on (the sinks shared with
    `vigil read`): exit 0, the store's run is complete with the packets processed, and
    `vigil verify` passes on the evidence."""
    import sqlite3
    rules = write("o.rules", RULES_A)
    web, _ = http_pcap("o.pcap", ["alpha", "beta"], 30)
    d = fresh("outs")
    keys = os.path.join(TMP, "keys")
    sh(ARGS.vigil, "keygen", "--out", keys)
    store = os.path.join(d, "store.db")
    lv = Live(bed, d, "-S", rules, "--evidence", "--store", store,
              "--set", "evidence.key-dir=" + keys)
    rp = bed.popen(["tcpreplay", "-q", "-i", "vtx", "--pps=2000", "--loop=20", web],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2)
    lv.stop(signal.SIGTERM)
    rp.kill()
    rp.wait()
    final = [s for s in stats_events(d) if s["final"]][0]["capture"]
    n_alerts = len(events(d, "alert"))
    assert n_alerts > 0
    # the test's own key, not whatever ~/.config/vigil holds on this machine
    r = sh(ARGS.vigil, "verify", d, "--pubkey", os.path.join(keys, "sensor.pub"), check=False)
    assert r.returncode == 0 and "OK" in r.stdout, r
    db = sqlite3.connect(store)
    status, packets = db.execute("SELECT status, packets FROM runs").fetchone()
    assert status == "complete" and packets == final["kernel_packets"] - final["kernel_drops"], \
        (status, packets, final)
    print("outputs: %d alerts, verify ok, store run complete with %d packets" % (n_alerts, packets))


def case_stop_under_traffic_pcap(bed):
    """The same through libpcap."""
    case_stop_under_traffic(bed, "pcap")


def case_link_down(bed):
    """The interface goes down during the run: reported, retried, capture resumes when it comes
    back; nothing crashes and what is replayed afterwards is all there."""
    gen = gen_pcap("gen_ld.pcap", 150, 21)
    ref = fresh("ld_ref")
    vigil_read(ref, "--disable-detection", gen)
    d = fresh("ld")
    lv = Live(bed, d, "--disable-detection")
    sh("ip", "-n", bed.ns, "link", "set", "vrx", "down")
    wait_for(lambda: "vrx: capture interrupted" in lv.stderr(), 10, "the link-down report")
    time.sleep(0.5)
    sh("ip", "-n", bed.ns, "link", "set", "vrx", "up")
    bed.replay([gen], pps=3000)
    time.sleep(1)
    lv.stop()
    assert "vrx: capture resumed" in lv.stderr(), lv.stderr()
    assert flows(d) == flows(ref), "flows after the link came back differ from vigil read"


def case_two_interfaces(bed):
    """-i twice: both interfaces feed one engine; kernel counters per interface."""
    sh("ip", "-n", bed.ns, "link", "add", "vtx2", "type", "veth", "peer", "name", "vrx2")
    for i in ("vtx2", "vrx2"):
        bed.run_in("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % i)
        sh("ip", "-n", bed.ns, "link", "set", i, "up")
    g1 = gen_pcap("g1.pcap", 100, 31)
    g2, n2 = http_pcap("g2.pcap", ["x"], 20, cport=41000)
    ref = fresh("two_ref")
    vigil_read(ref, "--disable-detection", g1, g2)
    d = fresh("two")
    lv = Live(bed, d, "--disable-detection", "-i", "vrx2", "--set", "capture.method=af-packet")
    bed.replay([g1], pps=3000)
    bed.run_in("tcpreplay", "-q", "-i", "vtx2", "--pps=3000", g2)
    time.sleep(1)
    lv.stop()
    assert flows(d) == flows(ref), "flows from two interfaces differ from vigil read of both"
    final = [s for s in stats_events(d) if s["final"]][0]["capture"]
    per = {i["name"]: i["kernel_packets"] for i in final["interfaces"]}
    assert per == {"vrx": count_pcap(g1), "vrx2": n2}, per


SET_GRO = """
import ctypes, fcntl, socket, struct, sys
ev = ctypes.create_string_buffer(struct.pack("II", 0x2c, 1), 8)  # ETHTOOL_SGRO, on
ifr = struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(ev)) + bytes(16)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
fcntl.ioctl(s.fileno(), 0x8946, ifr)  # SIOCETHTOOL
"""


def case_gro_warning(bed):
    """An interface with GRO on gets a warning at start naming it and the ethtool command."""
    d = fresh("gro")
    lv = Live(bed, d, "--disable-detection")
    lv.stop()
    assert "offload" not in lv.stderr(), lv.stderr()
    r = bed.run_in(sys.executable, "-c", SET_GRO, "vrx", check=False)
    if r.returncode != 0:
        print("GRO cannot be turned on here (%s); the warning is not checked" % r.stderr.strip())
        return
    lv = Live(bed, fresh("gro2"), "--disable-detection")
    lv.stop()
    assert "vrx: gro offload is on" in lv.stderr() and "ethtool -K vrx gro off" in lv.stderr(), \
        lv.stderr()


def case_idle_tick(bed):
    """On a quiet link the housekeeping tick advances time: flows time out and their events are
    written while vigil keeps running."""
    pkts = []
    for i in range(5):
        pkts.append((1_700_000_000_000_000 + i * 1000,
                     P.frame(17, "10.8.0.%d" % (i + 1), "10.8.1.1", sport=5000 + i, dport=9999,
                             payload=b"hello")))
    pc = os.path.join(TMP, "udp.pcap")
    P.write_pcap(pc, pkts)
    d = fresh("idle")
    lv = Live(bed, d, "--disable-detection", "--set", "flow.timeouts.udp.new=2",
              "--set", "flow.timeouts.default.new=2")
    bed.replay([pc], pps=100)
    eve = os.path.join(d, "eve.json")

    def five_flows():
        if not os.path.exists(eve):
            return False
        return len(events(d, "flow")) == 5
    wait_for(five_flows, 15, "5 flow events on an idle link before stop")
    fl = events(d, "flow")
    assert all(e["flow"]["reason"] == "timeout" for e in fl), [e["flow"]["reason"] for e in fl]
    lv.stop(signal.SIGTERM)
    assert len(events(d, "flow")) == 5, "no flow twice"


def case_bpf(bed):
    """--bpf: only matching packets reach the engine; a bad expression is a one-line error."""
    gen = gen_pcap("gen_bpf.pcap", 200, 5)
    ref = fresh("bpf_ref")
    vigil_read(ref, "--disable-detection", gen)
    want = collections.Counter(k for k in flows(ref) if k[0] == "UDP")
    assert want, "the mix has UDP flows"
    d = fresh("bpf")
    lv = Live(bed, d, "--disable-detection", "--bpf", "udp")
    bed.replay([gen], pps=3000)
    time.sleep(1)
    lv.stop()
    got = flows(d)
    assert got == want, "only UDP flows: %s" % list((got - want).items())[:3]
    r = bed.run_in(ARGS.vigil, "live", "-i", "vrx", "-l", fresh("bpf_bad"), "--bpf", "udp and nonsense((",
                   check=False)
    assert r.returncode == 2, r
    errs = [l for l in r.stderr.splitlines() if "error" in l]
    assert len(errs) == 1 and "nonsense((" in errs[0], r.stderr


def case_bad_interface(bed):
    """Missing or down interface: a one-line error naming it, exit 2."""
    d = fresh("badif")
    r = bed.run_in(ARGS.vigil, "live", "-i", "nosuch0", "-l", d, check=False)
    assert r.returncode == 2 and "nosuch0: no such interface" in r.stderr, r
    sh("ip", "-n", bed.ns, "link", "add", "dn0", "type", "veth", "peer", "name", "dn1")
    r = bed.run_in(ARGS.vigil, "live", "-i", "dn0", "-l", d, check=False)
    assert r.returncode == 2 and "dn0: interface is down" in r.stderr, r
    r = bed.run_in(ARGS.vigil, "live", "-l", d, check=False)
    assert r.returncode == 2 and "no interface" in r.stderr, r
    # a ring that cannot be allocated, a block size the kernel cannot use
    r = bed.run_in(ARGS.vigil, "live", "-i", "vrx", "-l", d, "--disable-detection",
                   "--set", "af-packet.ring-size=4096gb", check=False)
    assert r.returncode == 2 and "vrx: cannot allocate a ring" in r.stderr, r
    r = bed.run_in(ARGS.vigil, "live", "-i", "vrx", "-l", d, "--disable-detection",
                   "--set", "af-packet.block-size=1000", check=False)
    assert r.returncode == 2 and "not a multiple of the page size" in r.stderr, r
    assert not os.path.exists(os.path.join(d, "eve.json")), "nothing written on a failed start"


def case_stop_under_traffic(bed, method="af-packet", extra=()):
    """SIGTERM in the middle of a replay with 2 workers (af-packet: one socket each in a fanout
    group): exit 0, every packet the sockets delivered is in a flow event (nothing held back),
    every flow ended."""
    gen = gen_pcap("gen_stop.pcap", 2000, 9)
    d = fresh("stop")
    lv = Live(bed, d, "--disable-detection", "--workers", "2", "--set", "capture.method=" + method,
              *extra)
    rp = bed.popen(["tcpreplay", "-q", "-i", "vtx", "--pps=20000", "--loop=50", gen],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.5)
    lv.stop(signal.SIGTERM)
    rp.kill()
    rp.wait()
    final = [s for s in stats_events(d) if s["final"]][0]
    cap = final["capture"]
    assert cap["kernel_packets"] > 1000, cap
    fl = events(d, "flow")
    in_flows = sum(e["flow"]["pkts_toserver"] + e["flow"]["pkts_toclient"] for e in fl)
    delivered = cap["kernel_packets"] - cap["kernel_drops"]
    # packets that fail to decode get no flow and a decode anomaly (none in this mix; the
    # replay loop does raise stream anomalies, on packets that are in flows)
    dec = [e for e in events(d, "anomaly") if e["anomaly"]["type"] == "decode"]
    assert not dec, dec[:3]
    assert in_flows == delivered, "packets in flow events %d, delivered by the kernel %d" % (
        in_flows, delivered)
    # the replay loop reuses ports: a new SYN on a closed session ends the old flow ("forced")
    reasons = collections.Counter(e["flow"]["reason"] for e in fl)
    assert set(reasons) <= {"shutdown", "timeout", "forced"} and reasons["shutdown"] > 0, reasons
    if method == "af-packet" and "af-packet.fanout=no" not in extra:
        socks = cap["interfaces"][0]["sockets"]
        assert len(socks) == 2 and all(s["kernel_packets"] > 0 for s in socks), cap
        assert sum(s["kernel_packets"] for s in socks) == cap["kernel_packets"], cap
    print("stop: %d packets in %d flows, kernel %s, reasons %s" % (in_flows, len(fl), cap, reasons))


def ts_usec(iso):
    """EVE timestamp (2024-01-02T03:04:05.123456+0000) to microseconds since the epoch."""
    import datetime
    t = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%f%z")
    return int(t.timestamp()) * 1_000_000 + t.microsecond


def case_reload(bed):
    """Reload under traffic: through the control socket a set that adds gamma and removes beta;
    then a broken file (refused, the running set stays, the reply says why); then SIGHUP back to
    the first set. No kernel drops; each rule fires exactly in the periods its set was in use."""
    rules = write("live.rules", RULES_A)
    web, _ = http_pcap("rl.pcap", ["alpha", "beta", "gamma"], 4)
    d = fresh("reload")
    lv = Live(bed, d, "-S", rules, "--workers", "2", "--set", "stats.interval=1")
    rp = bed.popen(["tcpreplay", "-q", "-i", "vtx", "--pps=1500", "--loop=0", web],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)
        write("live.rules", RULES_B)
        r = subprocess.run([ARGS.vigil, "rules", "reload", "-l", d], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0 and r.stdout.startswith("ok "), r
        time.sleep(2)
        write("live.rules", "alert http any any -> any any (msg:\"broken\"; nosuchkeyword; sid:5;)\n")
        r = subprocess.run([ARGS.vigil, "rules", "reload", "-l", d], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 1 and "running rules stay" in r.stdout, r
        time.sleep(1.5)
        write("live.rules", RULES_A)
        lv.p.send_signal(signal.SIGHUP)
        try:
            wait_for(lambda: "engine 2 in use" in lv.stderr(), 60, "the SIGHUP reload")
        except AssertionError as e:
            raise AssertionError("%s; vigil said:\n%s" % (e, lv.stderr()))
        time.sleep(2)
    finally:
        rp.kill()
        rp.wait()
    time.sleep(0.5)
    lv.stop()
    final = [s for s in stats_events(d) if s["final"]][0]
    assert final["capture"]["kernel_drops"] == 0, final["capture"]
    rel = final["detect"]["reloads"]
    assert [x["ok"] for x in rel] == [True, False, True], rel
    assert rel[0]["rules_loaded"] == 2 and rel[2]["rules_loaded"] == 2, rel
    assert "nosuchkeyword" in rel[1]["error"] or "broken" in rel[1]["error"] or rel[1]["error"], rel
    eng = final["detect"]["engines"]
    assert len(eng) == 1 and eng[0]["id"] == 2 and eng[0]["rules_loaded"] == 2, eng
    t1, t2 = ts_usec(rel[0]["time"]), ts_usec(rel[2]["time"])
    slack = 300_000  # packets already queued in batches at a swap
    by = collections.defaultdict(list)
    for e in events(d, "alert"):
        by[e["alert"]["signature_id"]].append(ts_usec(e["timestamp"]))
    for sid in (1000001, 1000002, 1000003):
        assert by[sid], "sid %d never fired: %s" % (sid, {k: len(v) for k, v in by.items()})
    # alpha: in every period
    assert any(t < t1 for t in by[1000001]) and any(t1 < t < t2 for t in by[1000001]) and \
        any(t > t2 for t in by[1000001])
    # beta: before the first reload and after the SIGHUP one, never between
    mid_beta = [t for t in by[1000002] if t1 + slack < t < t2 - slack]
    assert not mid_beta, "removed rule fired %d times after the swap" % len(mid_beta)
    assert any(t > t2 + slack for t in by[1000002]), "beta back after SIGHUP"
    # gamma: only between the reloads
    out_gamma = [t for t in by[1000003] if t < t1 - slack or t > t2 + slack]
    assert not out_gamma, "gamma outside its period: %s (t1 %d t2 %d)" % ([t - t1 for t in out_gamma], t1, t2)
    assert any(t1 + slack < t < t2 - slack for t in by[1000003]), "added rule fired after swap"
    print("reload: alerts %s" % {k: len(v) for k, v in by.items()})


def frag_pcap(name, n_flows, base_ts=1_700_000_100_000_000):
    """n_flows UDP exchanges whose datagrams (3000 bytes each way) travel as three IPv4
    fragments, plus a small unfragmented packet each way on the same 5-tuple."""
    pkts = []
    ts = base_ts
    for i in range(n_flows):
        cli, srv = "10.6.%d.%d" % (i // 200, 1 + i % 200), "10.6.9.%d" % (1 + i % 7)
        for (a, b, sp, dp) in ((cli, srv, 40000 + i, 7000), (srv, cli, 7000, 40000 + i)):
            seg = P.l4(17, a, b, sport=sp, dport=dp, payload=bytes([i % 251]) * 3000)
            for off in range(0, len(seg), 1480):
                chunk = seg[off:off + 1480]
                pkts.append((ts, P.eth(P.ipv4(a, b, 17, chunk, ident=100 + i, frag_off=off,
                                              more=off + 1480 < len(seg),
                                              total_len=20 + len(chunk)))))
                ts += 100
            pkts.append((ts, P.frame(17, a, b, sport=sp, dport=dp, payload=b"small")))
            ts += 100
    path = os.path.join(TMP, name)
    P.write_pcap(path, pkts)
    return path


def fanout_case(bed, mode, pcaps):
    ref = fresh("fo_ref_" + mode)
    vigil_read(ref, "--disable-detection", "--workers", "1", *pcaps)
    d = fresh("fo_" + mode)
    lv = Live(bed, d, "--disable-detection", "--workers", "2",
              "--set", "af-packet.fanout-mode=" + mode)
    bed.replay(pcaps, pps=3000)
    time.sleep(1)
    lv.stop()
    cap = [s for s in stats_events(d) if s["final"]][0]["capture"]
    assert cap["kernel_drops"] == 0, cap
    socks = cap["interfaces"][0]["sockets"]
    assert len(socks) == 2, cap
    total = sum(s["kernel_packets"] for s in socks)
    assert total == cap["kernel_packets"], cap
    # both workers got traffic (else the check below would hold trivially)
    assert all(s["kernel_packets"] > total // 5 for s in socks), "uneven split: %s" % socks
    fr, fl = flows(ref), flows(d)
    # a flow split between the workers would show as two half-flows: flows (5-tuple and the
    # packet/byte counts each way) equal `vigil read`
    if fr != fl:
        raise AssertionError("%s: flows differ: only in read %s; only in live %s" % (
            mode, list((fr - fl).items())[:5], list((fl - fr).items())[:5]))
    both = sum(1 for k in fl if k[5] and k[6])
    assert both > 100, "flows with packets both ways: %d" % both
    print("%s: %d flows (%d both ways) equal vigil read; sockets %s" % (
        mode, sum(fl.values()), both, [s["kernel_packets"] for s in socks]))


def case_fanout_flows(bed):
    """--workers 2 with af-packet: one socket per worker in a fanout group, each worker reading
    its own ring. Both directions of every flow reach one worker: the flows equal those of
    `vigil read`, with both sockets carrying a share. hash (kernel flow hash + defrag) on
    unfragmented traffic; ip-pair (classic BPF on the address pair) with IP fragments too, which
    it keeps as fragments, as `vigil read` sees them."""
    gen = gen_pcap("fo_gen.pcap", 600, 17)
    fanout_case(bed, "hash", [gen])
    fanout_case(bed, "ip-pair", [gen, frag_pcap("fo_frag.pcap", 60)])


# flowbits and flowint set before a reload, checked by rules after it; a threshold whose count
# spans the reload. Set B numbers the variables differently (a new flowbit and flowint first)
# and drops a rule.
FB_A = """\
alert http any any -> any any (msg:"FB login"; flow:established,to_server; http.uri; content:"/login"; flowbits:set,vg.seen; flowbits:noalert; sid:2000001; rev:1;)
alert http any any -> any any (msg:"FB count"; flow:established,to_server; http.uri; content:"/cnt"; flowint:vg.n,+,1; noalert; sid:2000003; rev:1;)
alert http any any -> any any (msg:"FB thr"; flow:established,to_server; http.uri; content:"/thr"; threshold:type threshold, track by_src, count 4, seconds 600; sid:2000010; rev:1;)
alert http any any -> any any (msg:"FB gone"; flow:established,to_server; http.uri; content:"/zzz"; sid:2000099; rev:1;)
"""
FB_B = """\
alert http any any -> any any (msg:"FB other"; flow:established,to_server; http.uri; content:"/other"; flowbits:set,aa.other; flowint:aa.m,+,1; sid:2000050; rev:1;)
alert http any any -> any any (msg:"FB login"; flow:established,to_server; http.uri; content:"/login"; flowbits:set,vg.seen; flowbits:noalert; sid:2000001; rev:1;)
alert http any any -> any any (msg:"FB count"; flow:established,to_server; http.uri; content:"/cnt"; flowint:vg.n,+,1; noalert; sid:2000003; rev:1;)
alert http any any -> any any (msg:"FB after"; flow:established,to_server; http.uri; content:"/after"; flowbits:isset,vg.seen; sid:2000002; rev:1;)
alert http any any -> any any (msg:"FB check"; flow:established,to_server; http.uri; content:"/check"; flowint:vg.n,>=,3; sid:2000004; rev:1;)
alert http any any -> any any (msg:"FB thr"; flow:established,to_server; http.uri; content:"/thr"; threshold:type threshold, track by_src, count 4, seconds 600; sid:2000010; rev:1;)
"""


def case_reload_flowbits(bed):
    """A flowbit and a flowint set on an open flow before a reload are seen by rules after it
    (the new set numbers them differently), and a threshold count spans the reload."""
    rules = write("fb.rules", FB_A)
    c = P.TcpConv("10.5.0.1", 33333, "10.5.1.80", 80, ts=1_700_000_200_000_000)
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    c.handshake()

    def req(path):
        c.send(True, b"GET " + path + b" HTTP/1.1\r\nHost: t\r\n\r\n").send(False, ok)
    for path in (b"/login", b"/cnt", b"/cnt", b"/thr/1", b"/thr/2", b"/thr/3"):
        req(path)
    n1 = len(c.pkts)
    for path in (b"/cnt", b"/thr/4", b"/after", b"/check"):
        req(path)
    c.close()
    p1, p2 = os.path.join(TMP, "fb1.pcap"), os.path.join(TMP, "fb2.pcap")
    P.write_pcap(p1, c.pkts[:n1])
    P.write_pcap(p2, c.pkts[n1:])
    d = fresh("fb")
    lv = Live(bed, d, "-S", rules, "--workers", "2")
    bed.replay([p1], pps=200)
    time.sleep(1)
    write("fb.rules", FB_B)
    r = subprocess.run([ARGS.vigil, "rules", "reload", "-l", d], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("ok "), r
    bed.replay([p2], pps=200)
    time.sleep(1)
    lv.stop()
    got = collections.Counter(e["alert"]["signature_id"] for e in events(d, "alert"))
    fl = events(d, "flow")
    assert len(fl) == 1 and fl[0]["flow"]["pkts_toserver"] + fl[0]["flow"]["pkts_toclient"] == \
        len(c.pkts), "one flow with every packet: %s" % [e["flow"] for e in fl]
    assert got[2000002] == 1, "flowbit set before the reload seen after it: %s" % got
    assert got[2000004] == 1, "flowint counted across the reload: %s" % got
    # The threshold: the same alerts as `vigil read` of the whole conversation with set B, where
    # the count runs uninterrupted; the last one needs the matches counted before the reload.
    ref = fresh("fb_ref")
    whole = os.path.join(TMP, "fb_whole.pcap")
    P.write_pcap(whole, c.pkts)
    vigil_read(ref, "-S", write("fb_b.rules", FB_B), whole)
    want = collections.Counter(e["alert"]["signature_id"] for e in events(ref, "alert"))
    assert want[2000010] >= 1, want
    assert got == want, "alerts after the reload %s, vigil read with set B %s" % (got, want)
    print("reload keeps flow variables and thresholds: %s" % dict(got))


def case_stop_under_traffic_ip_pair(bed):
    """Stop under traffic with 2 workers, ip-pair fanout."""
    case_stop_under_traffic(bed, extra=("--set", "af-packet.fanout-mode=ip-pair"))


def case_stop_under_traffic_reader(bed):
    """Stop under traffic with 2 workers fed by the reader thread (af-packet.fanout=no)."""
    case_stop_under_traffic(bed, extra=("--set", "af-packet.fanout=no"))


CASES = {n[5:]: f for n, f in globals().items() if n.startswith("case_")}


def main():
    global ARGS, TMP
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("case", choices=sorted(CASES))
    ARGS = ap.parse_args()
    TMP = tempfile.mkdtemp(prefix="vigil-live-")
    bed = None
    try:
        try:
            bed = Bed()
        except Skip as e:
            print("SKIP: %s" % e)
            return SKIP
        CASES[ARGS.case](bed)
        print("ok")
        return 0
    finally:
        for p in RUNNING:
            if p.poll() is None:
                p.kill()
                p.wait()
        if bed:
            bed.close()
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
