#!/usr/bin/env python3
"""End-to-end tests of `vigil read` on captures made here (pktlib.py, vigil-gen).

usage: test_read.py --vigil PATH --gen PATH CASE
Each CASE is one CTest test (label e2e). A case raises AssertionError with what differed.
"""
import argparse
import collections
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pktlib as P  # noqa: E402

ARGS = None
TMP = None


def vigil(*args, logdir=None, expect=0, timeout=600):
    cmd = [ARGS.vigil, "read"] + list(args)
    if logdir:
        cmd += ["-l", logdir]
    env = dict(os.environ, TZ="UTC")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if expect is not None and r.returncode != expect:
        raise AssertionError("exit %d (wanted %d): %s\nstdout: %s\nstderr: %s"
                             % (r.returncode, expect, " ".join(cmd), r.stdout, r.stderr))
    return r


def events(logdir, etype=None):
    out = []
    with open(os.path.join(logdir, "eve.json")) as f:
        for n, line in enumerate(f, 1):
            ev = json.loads(line)  # every line must be valid JSON
            if etype is None or ev["event_type"] == etype:
                out.append(ev)
    return out


def fresh(name):
    d = os.path.join(TMP, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def rules_file(name, text):
    """A rule file named name in the test's directory, with text."""
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def read_packets(name, pkts, rules, *args):
    """pkts (time-sorted here) written as NAME.pcap and read with rules; returns the log dir."""
    pcap = os.path.join(TMP, name + ".pcap")
    P.write_pcap(pcap, sorted(pkts, key=lambda p: p[0]))
    d = fresh(name)
    vigil(pcap, "-S", rules, *args, logdir=d)
    return d


# --- cases ---------------------------------------------------------------------------------

def case_workers_equal():
    """Events must not depend on the number of workers (compared sorted, stats left out)."""
    pcap = os.path.join(TMP, "mix.pcap")
    subprocess.run([ARGS.gen, "--flows", "3000", "--seed", "7", "-o", pcap], check=True,
                   capture_output=True)
    results = {}
    for n in (1, 2, 3):
        d = fresh("w%d" % n)
        vigil(pcap, "--workers", str(n), logdir=d)
        lines = sorted(json.dumps(e, sort_keys=True) for e in events(d)
                       if e["event_type"] != "stats")
        results[n] = lines
    assert len(results[1]) > 3000, "expected flow events for every generated flow"
    for n in (2, 3):
        if results[n] != results[1]:
            a, b = set(results[1]), set(results[n])
            raise AssertionError("workers=%d differs from workers=1: %d only in 1, %d only in %d"
                                 "\nfirst: %s" % (n, len(a - b), len(b - a), n,
                                                   sorted(a - b)[:1] or sorted(b - a)[:1]))


def case_thresholds_workers():
    """Thresholds count a host's matches across workers: one source querying 16 resolvers
    (16 IP pairs, spread over the workers) is limited to one alert per window whatever the
    number of workers, and a `threshold` (every 5th) counts all 40 matches together."""
    rules = os.path.join(TMP, "thr.rules")
    with open(rules, "w") as f:
        f.write('alert dns any any -> any any (msg:"limit by_src"; dns.query; content:".top"; '
                'endswith; threshold:type limit, track by_src, count 1, seconds 300; '
                'sid:9100001; rev:1;)\n'
                'alert dns any any -> any any (msg:"every 5th by_src"; dns.query; '
                'content:".top"; endswith; threshold:type threshold, track by_src, count 5, '
                'seconds 300; sid:9100002; rev:1;)\n')
    pkts = []
    t0 = 1_700_000_000_000_000
    for i in range(40):
        q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + \
            b"\x04bad%c\x03top\x00\x00\x01\x00\x01" % (0x61 + i % 26)
        dst = "198.51.100.%d" % (1 + i % 16)
        pkts.append((t0 + i * 100_000, P.frame(17, "10.9.9.9", dst, sport=30000 + i, dport=53,
                                               payload=q)))
    pcap = os.path.join(TMP, "thr.pcap")
    P.write_pcap(pcap, pkts)
    for n in (1, 2, 3):
        d = fresh("thr%d" % n)
        vigil(pcap, "-S", rules, "--workers", str(n), logdir=d)
        sids = collections.Counter(e["alert"]["signature_id"] for e in events(d, "alert"))
        assert sids[9100001] == 1, "workers=%d: limit by_src gave %d alerts" % (n, sids[9100001])
        assert sids[9100002] == 8, "workers=%d: every 5th of 40 gave %d" % (n, sids[9100002])


def case_thresholds_by_flow():
    """track by_flow (Suricata 8) counts each flow on its own: two ICMP echo flows of 20
    requests each, a backoff rule (count 1, multiplier 2: matches 1, 2, 4, 8, 16 alert) and a
    detection_filter by_flow (count 3: from the 4th match of each flow on)."""
    rules = os.path.join(TMP, "flowthr.rules")
    with open(rules, "w") as f:
        f.write('alert icmp any any -> any any (msg:"backoff by_flow"; itype:8; threshold:type '
                'backoff, track by_flow, count 1, multiplier 2; sid:9100011; rev:1;)\n'
                'alert icmp any any -> any any (msg:"df by_flow"; itype:8; detection_filter:'
                'track by_flow, count 3, seconds 600; sid:9100012; rev:1;)\n')
    pkts = []
    t0 = 1_700_000_000_000_000
    for i in range(20):
        for k, (src, ident) in enumerate((("10.9.9.1", 7), ("10.9.9.2", 8))):
            rest = bytes([0, ident, 0, i])
            pkts.append((t0 + i * 100_000 + k, P.frame(1, src, "198.51.100.1", icmp_type=8,
                                                       icmp_rest=rest)))
    pcap = os.path.join(TMP, "flowthr.pcap")
    P.write_pcap(pcap, pkts)
    for n in (1, 2):
        d = fresh("flowthr%d" % n)
        vigil(pcap, "-S", rules, "--workers", str(n), logdir=d)
        by = collections.Counter((e["src_ip"], e["alert"]["signature_id"])
                                 for e in events(d, "alert"))
        for src in ("10.9.9.1", "10.9.9.2"):
            assert by[(src, 9100011)] == 5, "workers=%d %s: backoff gave %s" % (n, src, by)
            assert by[(src, 9100012)] == 17, "workers=%d %s: df by_flow gave %s" % (n, src, by)


def case_app_layer_protocol():
    """app-layer-protocol on generated flows to port 80: one HTTP conversation, one that
    speaks something else (its detection fails). Alone in a rule the keyword is judged once per
    direction, on the packet that decides the protocol; with a content it applies to every
    packet it is combined with."""
    rules = os.path.join(TMP, "alp.rules")
    with open(rules, "w") as f:
        f.write('alert tcp any any -> any 80 (msg:"not http to 80"; flow:to_server; '
                'app-layer-protocol:!http; sid:9100021; rev:1;)\n'
                'alert tcp any any -> any any (msg:"http"; app-layer-protocol:http; '
                'sid:9100022; rev:1;)\n'
                'alert tcp any any -> any any (msg:"failed with content"; '
                'app-layer-protocol:failed; content:"zz"; sid:9100023; rev:1;)\n')
    t0 = 1_700_000_000_000_000
    a = P.TcpConv("10.1.1.1", 40000, "10.2.2.2", 80, ts=t0)
    a.handshake().send(True, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    a.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nzz").close()
    b = P.TcpConv("10.1.1.3", 40001, "10.2.2.4", 80, ts=t0 + 1000)
    b.handshake().send(True, b"\x00\x01\x02 binary hello zz" * 20)
    b.send(False, b"\x05\x06 binary answer zz" * 20).send(True, b"more zz").close()
    pcap = os.path.join(TMP, "alp.pcap")
    P.write_pcap(pcap, sorted(a.pkts + b.pkts, key=lambda p: p[0]))
    d = fresh("alp")
    vigil(pcap, "-S", rules, logdir=d)
    by = collections.Counter((e["src_ip"], e["alert"]["signature_id"]) for e in events(d, "alert"))
    assert by[("10.1.1.3", 9100021)] == 1 and by[("10.1.1.1", 9100021)] == 0, by
    # the HTTP flow: once to the server, once to the client
    assert by[("10.1.1.1", 9100022)] == 1 and by[("10.2.2.2", 9100022)] == 1, by
    assert sum(v for (ip, sid), v in by.items() if sid == 9100022) == 2, by
    # failed + content: the packets of the non-HTTP flow carrying "zz" after detection gave up
    assert by[("10.1.1.1", 9100023)] == 0 and by[("10.2.2.2", 9100023)] == 0, by
    assert by[("10.1.1.3", 9100023)] >= 1 and by[("10.2.2.4", 9100023)] >= 1, by


def case_flow_established():
    """flow:established judges the state a TCP packet finds, as Suricata does: the ACK that
    completes the handshake is not yet established, the first data and the FIN are."""
    rules = os.path.join(TMP, "est.rules")
    with open(rules, "w") as f:
        f.write('alert tcp any any -> any any (msg:"est"; flow:established,to_server; '
                'sid:9100031; rev:1;)\n')
    c = P.TcpConv("10.1.1.1", 40000, "10.2.2.2", 8080, ts=1_700_000_000_000_000)
    c.handshake().send(True, b"hello").send(False, b"world").close()
    pcap = os.path.join(TMP, "est.pcap")
    P.write_pcap(pcap, c.pkts)
    d = fresh("est")
    vigil(pcap, "-S", rules, logdir=d)
    at = sorted(e["pcap_cnt"] for e in events(d, "alert"))
    # 1 SYN, 2 SYN-ACK, 3 ACK (completes the handshake), 4 client data, 5 server data,
    # 6 client FIN, 7 server FIN, 8 client ACK
    assert 1 not in at and 3 not in at, at
    assert 4 in at and 6 in at, at
    assert not any(n in at for n in (2, 5, 7)), at


def case_stream_size():
    """stream_size on a generated conversation: every (sid, packet) below is what Suricata 7.0.10
    raised on the same capture and rules (run side by side when the keyword was written). Sizes
    count the SYN as one byte (the client's 3-byte request makes it 4) and a FIN as one once
    the peer has acknowledged it."""
    rules = os.path.join(TMP, "ss.rules")
    with open(rules, "w") as f:
        f.write('alert tcp any any -> any any (msg:"s<5"; flow:established,to_server; '
                'stream_size:server,<,5; sid:1;)\n'
                'alert tcp any any -> any any (msg:"c>3"; stream_size:client,>,3; sid:2;)\n'
                'alert tcp any any -> any any (msg:"both>=1"; stream_size:both,>=,1; sid:3;)\n'
                'alert tcp any any -> any any (msg:"either=4"; stream_size:either,=,4; sid:4;)\n'
                'alert tcp any any -> any any (msg:"s!=1"; stream_size:server,!=,1; sid:5;)\n'
                'alert tcp any any -> any any (msg:"c<=1"; stream_size:client,<=,1; sid:6;)\n'
                'alert tcp any any -> any any (msg:"c=9"; stream_size:client,=,9; sid:7;)\n'
                'alert tcp any any -> any any (msg:"c=10"; stream_size:client,=,10; sid:8;)\n'
                'alert tcp any any -> any any (msg:"s=12"; stream_size:server,=,12; sid:9;)\n')
    c = P.TcpConv("10.1.1.1", 40000, "10.2.2.2", 8080)
    c.handshake().send(True, b"abc").send(False, b"0123456789").send(True, b"defgh").close()
    pcap = os.path.join(TMP, "ss.pcap")
    P.write_pcap(pcap, c.pkts)
    d = fresh("ss")
    vigil(pcap, "-S", rules, logdir=d)
    got = sorted((e["alert"]["signature_id"], e["pcap_cnt"]) for e in events(d, "alert"))
    want = sorted([(1, 4)] + [(2, n) for n in range(4, 10)] + [(3, n) for n in range(2, 10)] +
                  [(4, 4), (4, 5)] + [(5, 1)] + [(5, n) for n in range(5, 10)] +
                  [(6, 1), (6, 2), (6, 3)] +
                  # the client's FIN (packet 7) counts once the server acknowledged it (8)
                  [(7, 6), (7, 7), (8, 8), (8, 9), (9, 9)])
    assert got == want, (got, want)


def xbits_capture(path):
    """Conversations for case_xbits, one per step, seconds apart (see the want list there)."""
    t0 = 1_700_000_000_000_000
    A, B, C, S = "10.1.1.1", "10.1.1.2", "10.1.1.3", "10.2.2.2"
    steps = [  # (second, client, what the client sends, what the server answers)
        (0, A, b"SETSRC", None),        # bit on A until second 10
        (2, A, b"CHKSRC", None),        # set: sid 2
        (2.5, B, b"CHKSRC NOTSRC", None),  # B has none: sid 3 only
        (3, A, b"NOTSRC", None),        # set on A: nothing
        (5, A, b"UNSSRC", None),        # unset
        (5.5, A, b"CHKSRC NOTSRC", None),  # gone: sid 3
        (6, A, b"SETSRC", None),        # again, until 16
        (16.2, A, b"CHKSRC", None),     # second 16 is still within: sid 2
        (17.2, A, b"CHKSRC", None),     # expired: nothing
        (20, A, b"SETPAIR", None),      # pair (A, S) until 25
        (22, A, b"hello", b"CHKPAIR"),  # the server's side finds the same pair: sid 6
        (22.5, B, b"hello", b"CHKPAIR"),  # another pair: nothing
        (30, A, b"hello", b"CHKPAIR"),  # expired: nothing
        (40, A, b"SETDST", None),       # bit on the server S
        (41, B, b"CHKDST", None),       # another client to S: sid 8
        (50, A, b"TOGGLE", None),       # toggle on: set
        (51, A, b"CHKTOG", None),       # sid 10
        (52, A, b"TOGGLE", None),       # toggle off
        (53, A, b"CHKTOG", None),       # nothing
        (60, C, b"CHKSRC SETSRC", None),  # one packet: setting rules run first: sids 1 and 2
    ]
    pkts = []
    for i, (sec, cli, up, down) in enumerate(steps):
        c = P.TcpConv(cli, 40000 + i, S, 80, ts=t0 + int(sec * 1_000_000))
        c.handshake().send(True, up)
        if down:
            c.send(False, down)
        c.close()
        pkts += c.pkts
    P.write_pcap(path, sorted(pkts, key=lambda p: p[0]))
    return t0


XBITS_RULES = (
    'alert tcp any any -> any 80 (msg:"set src"; content:"SETSRC"; '
    'xbits:set,bsrc,track ip_src,expire 10; sid:1;)\n'
    'alert tcp any any -> any 80 (msg:"isset src"; content:"CHKSRC"; '
    'xbits:isset,bsrc,track ip_src; sid:2;)\n'
    'alert tcp any any -> any 80 (msg:"isnotset src"; content:"NOTSRC"; '
    'xbits:isnotset,bsrc,track ip_src; sid:3;)\n'
    'alert tcp any any -> any 80 (msg:"unset src"; content:"UNSSRC"; '
    'xbits:unset,bsrc,track ip_src; sid:4;)\n'
    'alert tcp any any -> any 80 (msg:"set pair"; content:"SETPAIR"; '
    'xbits:set,bpair,track ip_pair,expire 5; sid:5;)\n'
    'alert tcp any 80 -> any any (msg:"isset pair"; content:"CHKPAIR"; '
    'xbits:isset,bpair,track ip_pair; sid:6;)\n'
    'alert tcp any any -> any 80 (msg:"set dst"; content:"SETDST"; '
    'xbits:set, bdst, track ip_dst; sid:7;)\n'
    'alert tcp any any -> any 80 (msg:"isset dst"; content:"CHKDST"; '
    'xbits:isset,bdst,track ip_dst; sid:8;)\n'
    'alert tcp any any -> any 80 (msg:"toggle"; content:"TOGGLE"; '
    'xbits:toggle,btog,track ip_src; xbits:noalert; sid:9;)\n'
    'alert tcp any any -> any 80 (msg:"isset toggled"; content:"CHKTOG"; '
    'xbits:isset,btog,track ip_src; sid:10;)\n')


def case_xbits():
    """xbits per host and per address pair, with expiry in packet time, as Suricata documents
    and implements the bit operations (set keeps an unexpired bit's expiry, isset holds up to and
    including the expiry second, toggle, setting rules before checking ones on one packet), on
    1 and 2 workers. Suricata 7.0.10 on the same capture agrees on the ip_pair and ip_dst steps
    but loses ip_src bits between flows (its host table times hosts out on its own schedule);
    docs/RULES.md has the side-by-side table."""
    rules = os.path.join(TMP, "xbits.rules")
    with open(rules, "w") as f:
        f.write(XBITS_RULES)
    pcap = os.path.join(TMP, "xbits.pcap")
    xbits_capture(pcap)
    want = sorted([(1, "10.1.1.1", 0), (2, "10.1.1.1", 2), (3, "10.1.1.2", 2),
                   (4, "10.1.1.1", 5), (3, "10.1.1.1", 5), (1, "10.1.1.1", 6),
                   (2, "10.1.1.1", 16), (5, "10.1.1.1", 20), (6, "10.2.2.2", 22),
                   (7, "10.1.1.1", 40), (8, "10.1.1.2", 41), (10, "10.1.1.1", 51),
                   (1, "10.1.1.3", 60), (2, "10.1.1.3", 60)])
    for n in (1, 2):
        d = fresh("xbits%d" % n)
        vigil(pcap, "-S", rules, "--workers", str(n), logdir=d)
        got = sorted((e["alert"]["signature_id"], e["src_ip"],
                      int(e["timestamp"][17:19]) + 60 * int(e["timestamp"][14:16]))
                     for e in events(d, "alert"))
        base = min(t for _, _, t in got) if got else 0
        got = sorted((s, ip, t - base) for s, ip, t in got)
        assert got == want, "workers=%d:\n got %s\nwant %s" % (n, got, want)


def case_traffic_tags():
    """Suricata's traffic tagging: flowbits traffic/id/NAME and traffic/label/NAME appear as a
    "traffic" object in the flow's alerts (once set) and in its flow event; a pass rule sets its
    tags without an alert."""
    rules = os.path.join(TMP, "traffic.rules")
    with open(rules, "w") as f:
        f.write('alert http any any -> any any (msg:"browser"; http.user_agent; content:"Mozilla"; '
                'startswith; flowbits:set,traffic/id/mozilla; flowbits:set,traffic/label/web; '
                'sid:9100031; rev:1;)\n'
                'pass http any any -> any any (msg:"updates"; http.uri; content:"/update"; '
                'startswith; flowbits:set,traffic/id/updater; sid:9100032; rev:1;)\n'
                'alert http any any -> any any (msg:"any"; http.method; content:"GET"; '
                'flowbits:set,other; sid:9100033; rev:1;)\n')
    t0 = 1_700_000_000_000_000
    convs = []
    for i, (ua, uri) in enumerate(((b"Mozilla/5.0", b"/index"), (b"curl/8", b"/update/x"))):
        c = P.TcpConv("10.1.1.%d" % (i + 1), 40000 + i, "10.2.2.2", 80, ts=t0 + i * 1000)
        c.handshake().send(True, b"GET " + uri + b" HTTP/1.1\r\nHost: a\r\nUser-Agent: " + ua +
                           b"\r\n\r\n")
        c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").close()
        convs += c.pkts
    pcap = os.path.join(TMP, "traffic.pcap")
    P.write_pcap(pcap, sorted(convs, key=lambda p: p[0]))
    d = fresh("traffic")
    vigil(pcap, "-S", rules, logdir=d)
    alerts = {(e["src_ip"], e["alert"]["signature_id"]): e for e in events(d, "alert")}
    assert set(alerts) == {("10.1.1.1", 9100031), ("10.1.1.1", 9100033)}, sorted(alerts)
    want = {"id": ["mozilla"], "label": ["web"]}
    assert alerts[("10.1.1.1", 9100031)].get("traffic") == want, alerts
    flows = {e["src_ip"]: e for e in events(d, "flow")}
    assert flows["10.1.1.1"].get("traffic") == want, flows["10.1.1.1"]
    # the pass rule: no alert (sid 9100033 neither: a pass ends the transaction's inspection),
    # its tag on the flow
    assert flows["10.1.1.2"].get("traffic") == {"id": ["updater"]}, flows["10.1.1.2"]


def case_tag_session():
    """tag:session logs the flow's packets after the alerting one as EVE "packet" events (the
    captured bytes in base64), for a number of packets, bytes or seconds counted as Suricata
    7.0.10 counts them (the alerting packet included; side by side on this capture: 2, 1, 2 and 7
    packets logged); other flows are not tagged; tag:host loads (case tag_host)."""
    import base64
    t0 = 1_700_000_000_000_000
    convs = {}
    for i, port in enumerate((81, 82, 83, 84)):
        c = P.TcpConv("10.3.3.%d" % (i + 1), 41000 + i, "10.4.4.4", port, ts=t0 + i * 10_000_000,
                      step=1_000_000)
        c.handshake().send(True, b"hello " * 10).send(False, b"world " * 10).close()
        convs[port] = c.pkts
    pcap = os.path.join(TMP, "tag.pcap")
    allp = sorted(sum(convs.values(), []), key=lambda p: p[0])
    P.write_pcap(pcap, allp)
    rules = os.path.join(TMP, "tag.rules")
    with open(rules, "w") as f:
        f.write('alert tcp any any -> any 81 (flags:S; tag:session,3,packets; sid:9100041;)\n'
                'alert tcp any any -> any 82 (flags:S; tag:session,150,bytes; sid:9100042;)\n'
                'alert tcp any any -> any 83 (flags:S; tag:session,2,seconds; sid:9100043;)\n'
                'alert tcp any any -> any 84 (flags:S; tag:session; sid:9100044;)\n')
    d = fresh("tag")
    vigil(pcap, "-S", rules, logdir=d)
    pk = collections.defaultdict(list)
    for e in events(d, "packet"):
        port = e["dest_port"] if e["dest_port"] != e["src_port"] and e["dest_port"] < 1000 \
            else e["src_port"]
        pk[port].append(base64.b64decode(e["packet"]))
        assert e["packet_info"]["linktype"] == 1, e
    want = {port: [p[1] for p in convs[port][1:]] for port in convs}  # all after the SYN
    assert pk[81] == want[81][:2], (len(pk[81]), len(want[81]))  # 3 packets with the SYN
    # bytes: packets while the bytes since the alert, the SYN's included, stay within 150
    got, n = [], len(convs[82][0][1])
    for b in want[82]:
        n += len(b)
        if n > 150:
            break
        got.append(b)
    assert pk[82] == got, (len(pk[82]), len(got))
    # seconds: packets one second apart, tagged for 2 s after the SYN
    assert pk[83] == want[83][:2], (len(pk[83]),)
    assert pk[84] == want[84], (len(pk[84]), len(want[84]))  # default 256: the whole flow
    # no packet events without the type
    d2 = fresh("tag-off")
    vigil(pcap, "-S", rules, "--set", "outputs.eve.types.packet=false", logdir=d2)
    assert not events(d2, "packet")
    with open(rules, "w") as f:
        f.write('alert tcp any any -> any 81 (flags:S; tag:host,10,packets,src; sid:9100045;)\n'
                'alert tcp any any -> any 81 (flags:S; sid:9100046;)\n')
    r = vigil(pcap, "-S", rules, logdir=fresh("tag-host"))
    assert "2 loaded, 0 failed, 0 skipped" in r.stderr, r.stderr


def case_flow_event():
    """One TCP conversation and one UDP exchange give exactly the expected flow events."""
    c = P.TcpConv("10.0.0.1", 40000, "192.0.2.10", 80).handshake()
    c.send(True, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").send(False, b"HTTP/1.1 200 OK\r\n\r\n")
    c.close()
    pk = c.pkts + [
        (c.ts + 10, P.frame(17, "10.0.0.1", "198.51.100.1", sport=5555, dport=53, payload=b"q" * 20)),
        (c.ts + 20, P.frame(17, "198.51.100.1", "10.0.0.1", sport=53, dport=5555, payload=b"r" * 40)),
    ]
    pcap = os.path.join(TMP, "one.pcap")
    P.write_pcap(pcap, pk)
    d = fresh("one")
    vigil(pcap, logdir=d)
    flows = sorted(events(d, "flow"), key=lambda e: e["proto"])
    assert len(flows) == 2, flows
    t, u = flows
    assert (t["src_ip"], t["src_port"], t["dest_ip"], t["dest_port"], t["proto"]) == \
        ("10.0.0.1", 40000, "192.0.2.10", 80, "TCP"), t
    assert t["flow"]["pkts_toserver"] == 5 and t["flow"]["pkts_toclient"] == 3, t["flow"]
    assert t["flow"]["bytes_toserver"] == sum(len(p[1]) for p in c.pkts if p[1][26:30] == bytes([10, 0, 0, 1]))
    assert t["flow"]["reason"] == "shutdown" and t["flow"]["alerted"] is False
    assert t["tcp"]["tcp_flags"] == "1b" and t["tcp"]["syn"] and t["tcp"]["fin"], t["tcp"]
    assert t["timestamp"] == "2020-09-13T12:26:40.000000+0000", t["timestamp"]
    assert t["flow"]["start"] == t["timestamp"]
    assert t["community_id"].startswith("1:") and t["flow_id"] < 2 ** 51
    assert u["proto"] == "UDP" and u["flow"]["state"] == "established", u
    assert u["flow"]["pkts_toserver"] == 1 and u["flow"]["pkts_toclient"] == 1
    stats = events(d, "stats")
    assert stats and stats[-1]["stats"]["decoder"]["pkts"] == len(pk), stats[-1]
    assert stats[-1]["stats"]["flow"]["total"] == 2


def case_linktypes():
    """Ethernet, raw IP, SLL, SLL2, NULL/loopback, PPP, PPPoE and pcapng all decode to the same
    flow."""
    ip = P.ip_packet(6, "10.1.1.1", "10.2.2.2", sport=1111, dport=2222, flags=0x02)
    ip6 = P.ip_packet(17, "2001:db8::1", "2001:db8::2", sport=53, dport=5353, payload=b"x")
    sll = lambda p, et: bytes.fromhex("0000000100060001020304050000") + et.to_bytes(2, "big") + p
    sll2 = lambda p, et: (et.to_bytes(2, "big") + b"\0\0" + (2).to_bytes(4, "big") +
                          (1).to_bytes(2, "big") + b"\x00\x06" + bytes(8) + p)
    null = lambda p, fam: fam.to_bytes(4, "little") + p
    ppp = lambda p, proto: b"\xff\x03" + proto.to_bytes(2, "big") + p
    pppoe = lambda p, proto: P.eth(b"\x11\x00\x00\x07" + (len(p) + 2).to_bytes(2, "big") +
                                   proto.to_bytes(2, "big") + p, 0x8864)
    variants = {
        "eth": (1, P.eth(ip), P.eth(ip6, 0x86DD)),
        "raw": (101, ip, ip6),
        "sll": (113, sll(ip, 0x0800), sll(ip6, 0x86DD)),
        "sll2": (276, sll2(ip, 0x0800), sll2(ip6, 0x86DD)),
        "null": (0, null(ip, 2), null(ip6, 30)),
        "ppp": (9, ppp(ip, 0x21), ppp(ip6, 0x57)),
        "pppoe": (1, pppoe(ip, 0x21), pppoe(ip6, 0x57)),
    }
    for name, (dlt, a, b) in variants.items():
        for fmt in ("pcap", "pcapng"):
            path = os.path.join(TMP, "lt_%s.%s" % (name, fmt))
            pk = [(1_600_000_000_000_000, a), (1_600_000_000_000_100, b)]
            (P.write_pcap if fmt == "pcap" else P.write_pcapng)(path, pk, linktype=dlt)
            d = fresh("lt_" + name + fmt)
            vigil(path, logdir=d)
            fl = sorted((e["src_ip"], e["dest_ip"], e["proto"]) for e in events(d, "flow"))
            assert fl == [("10.1.1.1", "10.2.2.2", "TCP"),
                          ("2001:0db8:0000:0000:0000:0000:0000:0001",
                           "2001:0db8:0000:0000:0000:0000:0000:0002", "UDP")], (name, fmt, fl)
            assert not events(d, "anomaly"), (name, fmt, events(d, "anomaly"))


def case_several_files():
    """Files are read in the order given, numbered as one stream (pcap_cnt)."""
    a = os.path.join(TMP, "a.pcap")
    b = os.path.join(TMP, "b.pcapng")
    P.write_pcap(a, [(1_600_000_000_000_000, P.frame(17, "10.0.0.1", "10.0.0.2", sport=1, dport=2))])
    P.write_pcapng(b, [(1_600_000_001_000_000, P.frame(17, "10.0.0.3", "10.0.0.4", sport=1, dport=2)),
                       (1_600_000_001_000_001, P.eth(b"\x45\x00"))])
    d = fresh("multi")
    vigil("-r", a, "-r", b, logdir=d)
    an = events(d, "anomaly")
    assert len(an) == 1 and an[0]["pcap_cnt"] == 3, an
    assert an[0]["anomaly"]["type"] == "decode" and an[0]["anomaly"]["event"].startswith("decoder.ipv4."), an
    assert len(events(d, "flow")) == 2


def case_damaged_capture():
    """A truncated capture: what comes before the damage is processed, exit status 1, the error
    names the file and the packet."""
    pk = [(1_600_000_000_000_000 + i, P.frame(17, "10.0.0.1", "10.0.0.%d" % (i + 2), sport=1, dport=2,
                                              payload=b"z" * 100)) for i in range(5)]
    path = os.path.join(TMP, "trunc.pcap")
    P.write_pcap(path, pk)
    data = open(path, "rb").read()
    open(path, "wb").write(data[:-60])  # cut into the last record
    d = fresh("trunc")
    r = vigil(path, logdir=d, expect=1)
    assert "trunc.pcap" in r.stderr and "packet 5" in r.stderr, r.stderr
    assert len(events(d, "flow")) == 4
    assert "PARTIAL" in r.stdout


def case_bad_usage():
    """One-line errors and exit status 2, nothing written."""
    good = os.path.join(TMP, "good.pcap")
    P.write_pcap(good, [(1_600_000_000_000_000, P.frame(17, "10.0.0.1", "10.0.0.2", sport=1, dport=2))])
    d = fresh("bad")
    r = vigil(os.path.join(TMP, "missing.pcap"), logdir=d, expect=2)
    assert "missing.pcap" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = vigil(good, "--set", "stream.nonsense=1", logdir=d, expect=2)
    assert "stream.nonsense" in r.stderr, r.stderr
    r = vigil(good, "-k", "sometimes", logdir=d, expect=2)
    r = vigil(TMP, logdir=d, expect=2)  # a directory
    fifo = os.path.join(TMP, "pipe.pcap")  # a pipe: refused at once, not waited on
    os.mkfifo(fifo)
    r = vigil(fifo, logdir=d, expect=2, timeout=60)
    assert "pipe.pcap: not a regular file" in r.stderr, r.stderr
    os.unlink(fifo)
    r = vigil(os.path.join(TMP, "missing.pcap"), logdir=d, expect=2)
    assert r.stderr.count("missing.pcap") == 1, r.stderr  # named once
    notpcap = os.path.join(TMP, "notpcap.pcap")
    open(notpcap, "w").write("hello, not a capture\n")
    r = vigil(notpcap, logdir=d, expect=2)
    assert "notpcap.pcap" in r.stderr, r.stderr
    dlt = os.path.join(TMP, "dlt.pcap")
    P.write_pcap(dlt, [(1, b"\0" * 20)], linktype=147)
    r = vigil(dlt, logdir=d, expect=2)
    assert "unsupported link type 147" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(d, "eve.json")), "nothing may be written on a usage error"
    r = vigil(good, "--set", "stream.midstream=true", "--var", "HOME_NET=[10.0.0.0/8]", logdir=d)


def case_anomalies():
    """Malformed headers become decode anomalies, counted in stats, and the run goes on."""
    good = P.frame(17, "10.0.0.1", "10.0.0.2", sport=1, dport=2, payload=b"ok")
    bad_ip_len = P.eth(P.ipv4("10.0.0.1", "10.0.0.2", 17, b"\0" * 8, total_len=200))
    short_eth = bytes(10)
    short_tcp = P.eth(P.ipv4("10.0.0.1", "10.0.0.2", 6, b"\0" * 8))
    pk = [(1_600_000_000_000_000 + i, p) for i, p in enumerate([good, bad_ip_len, short_eth, short_tcp, good])]
    path = os.path.join(TMP, "anom.pcap")
    P.write_pcap(path, pk)
    d = fresh("anom")
    vigil(path, logdir=d)
    an = events(d, "anomaly")
    an.sort(key=lambda a: a["pcap_cnt"])
    assert [a["pcap_cnt"] for a in an] == [2, 3, 4], an
    # ports of a truncated TCP header are unknown: 0, as Suricata 7.0.10 writes them
    assert an[2]["src_port"] == 0 and an[2]["dest_port"] == 0 and an[2]["proto"] == "TCP", an[2]
    names = [a["anomaly"]["event"] for a in an]
    assert all(n.startswith("decoder.") for n in names), names
    st = events(d, "stats")[-1]["stats"]["decoder"]
    assert st["pkts"] == 5 and st["invalid"] >= 3, st


def case_encrypted_payload():
    """Payload rules stop at encrypted data, as Suricata 7 by default: after an SSH key exchange
    (both NEWKEYS) and after a TLS application-data record. The same bytes alert in clear
    traffic, in an SSH flow whose server has not sent NEWKEYS yet, and in the packet that
    completes the handshake (its data is parsed after it is inspected)."""
    def ssh_pkt(msg, body):
        n = 2 + body + 4
        return n.to_bytes(4, "big") + bytes([4, msg]) + b"\x00" * (body + 4)
    mark = b"xyzzy-MARK-0123"
    convs = []
    plain = P.TcpConv("10.0.0.1", 40001, "192.0.2.10", 9999, ts=1_600_000_000_000_000).handshake()
    plain.send(True, b"hello " + mark).close()
    convs.append(plain)
    ssh = P.TcpConv("10.0.0.1", 40002, "192.0.2.10", 22, ts=1_600_000_100_000_000).handshake()
    ssh.send(True, b"SSH-2.0-OpenSSH_9.0\r\n").send(False, b"SSH-2.0-OpenSSH_9.0\r\n")
    ssh.send(True, ssh_pkt(20, 40)).send(False, ssh_pkt(20, 40))
    ssh.send(True, ssh_pkt(21, 0)).send(True, b"A" * 16 + mark)      # server not done: alert
    ssh.send(False, ssh_pkt(21, 0) + mark)                          # completes it: alert
    ssh.send(True, b"B" * 16 + mark)                                # both done: none
    ssh.close()
    convs.append(ssh)
    tls = P.TcpConv("10.0.0.1", 40003, "192.0.2.10", 443, ts=1_600_000_200_000_000).handshake()
    hello = b"\x16\x03\x01\x00\x04" + b"\x01\x00\x00\x00"
    tls.send(True, hello)
    rec = b"\x17\x03\x03" + (len(mark) + 4).to_bytes(2, "big") + b"CCCC" + mark
    tls.send(True, rec)                                             # first record: alert
    tls.send(True, rec)                                             # after it: none
    tls.close()
    convs.append(tls)
    pcap = os.path.join(TMP, "enc.pcap")
    P.write_pcap(pcap, [p for c in convs for p in c.pkts])
    rules = os.path.join(TMP, "enc.rules")
    with open(rules, "w") as f:
        f.write('alert tcp any any -> any any (msg:"mark"; content:"%s"; sid:1000001;)\n'
                % mark.decode())
    d = fresh("enc")
    vigil(pcap, "-S", rules, "-k", "none", logdir=d, expect=None)
    got = sorted((e["src_port"], e["dest_port"]) for e in events(d, "alert")
                 if e["alert"]["signature_id"] == 1000001)
    assert got == [(22, 40002), (40001, 9999), (40002, 22), (40003, 443)], got


def case_app_layer_protocol_dirs():
    """app-layer-protocol with to_server/to_client: each direction's own protocol. A client
    speaking HTTP to an SSH server gives http toward the server and ssh toward the client; the
    rule is judged on the packet that decides the server side's protocol."""
    rules = rules_file("alpd.rules", 'alert tcp any any -> any any (msg:"http client, ssh server"; '
                       'flow:to_client; app-layer-protocol:http1,to_server; '
                       'app-layer-protocol:ssh,to_client; sid:9100051; rev:1;)\n')
    t0 = 1_700_000_000_000_000
    a = P.TcpConv("10.1.1.1", 40000, "10.2.2.2", 22, ts=t0)
    a.handshake().send(True, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    a._pkt(False, 0x10)  # a bare ACK first: not where the server side is decided
    a.send(False, b"SSH-2.0-OpenSSH_9.6\r\n").close()
    b = P.TcpConv("10.1.1.3", 40001, "10.2.2.4", 80, ts=t0 + 1000)
    b.handshake().send(True, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    b.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").close()
    d = read_packets("alpd", a.pkts + b.pkts, rules)
    got = [(e["src_ip"], e["alert"]["signature_id"]) for e in events(d, "alert")]
    assert got == [("10.2.2.2", 9100051)], got


def case_pcre_flowvars():
    """pcre captures into flow variables: the flow's variables as Suricata writes them, in
    "metadata.flowvars" of the alerts after the capture and of the flow event."""
    rules = rules_file("fvar.rules", 'alert http any any -> any any (msg:"ua"; content:"Mozilla"; '
                       'http_user_agent; pcre:"/^(.*)\\/(\\d+\\.\\d+)/V, flow:key,flow:value"; '
                       'sid:9100061; rev:1;)\n'
                       'alert http any any -> any any (msg:"host"; http.host; '
                       'pcre:"/^(?P<flow_site>[a-z]+)\\./"; sid:9100062; rev:1;)\n')
    c = P.TcpConv("10.1.1.1", 40000, "10.2.2.2", 80, ts=1_700_000_000_000_000)
    c.handshake().send(True, b"GET / HTTP/1.1\r\nHost: example.test\r\n"
                             b"User-Agent: Mozilla/5.0 (X11)\r\n\r\n")
    c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").close()
    other = P.TcpConv("10.1.1.3", 40001, "10.2.2.4", 80, ts=1_700_000_000_500_000)
    other.handshake().send(True, b"GET / HTTP/1.1\r\nHost: 1.2.3.4\r\n\r\n")
    other.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").close()
    d = read_packets("fvar", c.pkts + other.pkts, rules)
    want = [{"key": "Mozilla"}, {"value": "5.0"}, {"site": "example"}]
    alerts = events(d, "alert")
    assert sorted(e["alert"]["signature_id"] for e in alerts) == [9100061, 9100062], alerts
    last = max(alerts, key=lambda e: e["alert"]["signature_id"])
    assert last["metadata"]["flowvars"] == want, last
    flows = {e["src_port"]: e for e in events(d, "flow")}
    assert flows[40000]["metadata"]["flowvars"] == want, flows[40000]
    assert "metadata" not in flows[40001], flows[40001]


def case_tcp_fast_open():
    """A request carried on the SYN (TCP Fast Open) reaches HTTP and its rules: the SYN-ACK
    acknowledges the SYN's data, which is no handshake anomaly."""
    rules = rules_file("tfo.rules", 'alert http any any -> any any (msg:"tfo uri"; '
                       'content:"/etc/passwd"; http_uri; sid:9100031; rev:1;)\n')
    c = P.TcpConv("10.1.1.1", 40000, "10.2.2.2", 80, ts=1_700_000_000_000_000)
    c._pkt(True, 0x02, b"GET /?f=/etc/passwd HTTP/1.0\r\n\r\n")  # SYN with data
    c._pkt(False, 0x12)  # its ACK covers the data
    c._pkt(True, 0x10)
    c.send(False, b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").close()
    d = read_packets("tfo", c.pkts, rules)
    assert [e["alert"]["signature_id"] for e in events(d, "alert")] == [9100031]
    assert [e["http"]["url"] for e in events(d, "http")] == ["/?f=/etc/passwd"]
    bad = [e for e in events(d, "anomaly") if "3whs" in e["anomaly"]["event"]]
    assert not bad, bad


def case_http_headers_cut_by_close():
    """A response whose header block the server's close ends (no empty line): its headers are
    still the response's headers for http_header rules, as libhtp finishes them."""
    rules = rules_file("cut.rules", 'alert http any any -> any any (msg:"server"; '
                       'flow:established,from_server; content:"ng1nx"; http_header; '
                       'sid:9100032; rev:1;)\n')
    c = P.TcpConv("10.1.1.1", 40000, "10.2.2.2", 80, ts=1_700_000_000_000_000)
    c.handshake().send(True, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    c.send(False, b"HTTP/1.0 200 OK\r\nServer:ng1nx\r\n")
    c._pkt(False, 0x11)
    c._pkt(True, 0x11)
    c._pkt(False, 0x10)
    d = read_packets("cut", c.pkts, rules)
    alerts = events(d, "alert")
    assert [e["alert"]["signature_id"] for e in alerts] == [9100032], alerts
    assert alerts[0]["src_ip"] == "10.2.2.2", alerts[0]


def _tcp_rules(name, sid, *options):
    """A rule file of `alert tcp any any -> any any (OPTIONS sid:N;)`, sids from sid on."""
    return rules_file(name, "".join("alert tcp any any -> any any (%s sid:%d; rev:1;)\n"
                                    % (o, sid + i) for i, o in enumerate(options)))


def _raw_alerts(d):
    """(pcap_cnt or None for the flow-end inspection, sid) of each alert, in order."""
    return sorted(((e.get("pcap_cnt"), e["alert"]["signature_id"]) for e in events(d, "alert")),
                  key=lambda a: (a[0] is None, a[0] or 0, a[1]))


def case_raw_stream_split():
    """Raw-stream inspection: a pattern split over two segments is found in the reassembled
    window, on no single packet. Expected numbers are Suricata 7.0.10's on this capture
    (suricata -r X -S R -k none): port 9999 has no parser and the window (8 acknowledged
    client bytes, below the 2,560-byte chunk size) is ready only once the client's FIN takes the
    session out of ESTABLISHED: packet 8, not packet 7 (the client's "zz")."""
    rules = _tcp_rules("rawsplit.rules", 9100040, 'content:"EVIL";')
    c = P.TcpConv("10.1.1.1", 40000, "10.2.2.2", 9999, ts=1_700_000_000_000_000).handshake()
    c.send(True, b"xxEV").send(True, b"ILyy").send(False, b"ok").send(True, b"zz").close()
    d = read_packets("rawsplit", c.pkts, rules)
    assert _raw_alerts(d) == [(8, 9100040)], _raw_alerts(d)


def case_raw_stream_double():
    """A message is inspected as its packet and again in a later window. Suricata 7.0.10 on this
    capture: sid 9100041 (content anchored by depth, so also inspected on the payload of packets
    whose data went into the stream) alerts on packets 4 and 6 (their payloads) and 8 (the
    client's FIN: the window of both messages, depth counted from its start); sid 9100042
    (unanchored: payloads of stream packets are not inspected for it) only at 8, where the
    window holds "submit" and the earlier "login" for its non-relative pcre; sid 9100043
    (dsize: packet only) on packets 4 and 6, never on the window."""
    rules = _tcp_rules("rawdouble.rules", 9100041, 'content:"{\\"method\\":"; depth:10;',
                       'content:"submit"; pcre:"/login/";', 'content:"method"; dsize:>5;')
    c = P.TcpConv("10.1.1.1", 40001, "10.2.2.2", 3333, ts=1_700_000_000_000_000).handshake()
    c.send(True, b'{"method":"login"}\n').send(False, b'{"result":1}\n')
    c.send(True, b'{"method":"submit"}\n').send(False, b'{"result":2}\n').close()
    d = read_packets("rawdouble", c.pkts, rules)
    want = [(4, 9100041), (4, 9100043), (6, 9100041), (6, 9100043), (8, 9100041), (8, 9100042)]
    assert _raw_alerts(d) == want, _raw_alerts(d)


def case_raw_stream_flow_end():
    """What is left in a window is inspected at flow end, without a packet (Suricata's "stream
    (flow timeout)" pseudo packet: no pcap_cnt). Suricata 7.0.10 on both captures: one alert each,
    at flow end. First an HTTP POST whose body never completes (no transaction done, 56 bytes:
    no trigger, no chunk); then a flow with no parser whose data the server never acknowledged."""
    rules = _tcp_rules("rawend.rules", 9100044, 'content:"EVIL";', 'content:"POST"; depth:4;')
    c = P.TcpConv("10.1.1.1", 40002, "10.2.2.2", 80, ts=1_700_000_000_000_000).handshake()
    c.send(True, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n")
    c._pkt(False, 0x10)
    c.send(True, b"xxEVILxx")  # stream packet: EVIL is not looked for in its payload
    c._pkt(False, 0x10)
    d = read_packets("rawend", c.pkts, rules)
    # POST on packet 4 (anchored: its payload), both again in the flow-end window from offset 0
    assert _raw_alerts(d) == [(4, 9100045), (None, 9100044), (None, 9100045)], _raw_alerts(d)
    a = [e for e in events(d, "alert") if "pcap_cnt" not in e]
    assert all(e["src_ip"] == "10.1.1.1" and e["dest_port"] == 80 for e in a), a
    c = P.TcpConv("10.1.1.1", 40004, "10.2.2.2", 9999, ts=1_700_000_000_000_000).handshake()
    c.send(True, b"abcEV").send(True, b"ILdef")
    d = read_packets("rawend2", c.pkts, rules)
    assert _raw_alerts(d) == [(None, 9100044)], _raw_alerts(d)


def case_raw_stream_gap():
    """Bytes before a gap are inspected as a window of their own, then the bytes after it.
    First capture: 10 client bytes are never seen and the server's ACK declares the gap; the
    client's FIN (packet 8) makes the windows ready: EVIL before the gap and bbbb after it, both
    at packet 8 as Suricata 7.0.10 does. (Suricata also raises bbbb again at packet 10, the
    client's last ACK: a re-inspection after the gap that Vigil does not make.) Second capture:
    nothing acknowledged, the gap is declared at flow end, both found there, as Suricata."""
    rules = _tcp_rules("rawgap.rules", 9100049, 'content:"EVIL";', 'content:"bbbb";')
    c = P.TcpConv("10.1.1.1", 40020, "10.2.2.2", 9999, ts=1_700_000_000_000_000).handshake()
    c.send(True, b"aaEVILaa")
    c.cseq += 10  # lost
    c.send(True, b"bbbb").send(False, b"ok").send(True, b"zz").close()
    d = read_packets("rawgap", c.pkts, rules)
    assert _raw_alerts(d) == [(8, 9100049), (8, 9100050)], _raw_alerts(d)
    c = P.TcpConv("10.1.1.1", 40021, "10.2.2.2", 9999, ts=1_700_000_000_000_000).handshake()
    c.send(True, b"aaEVILaa")
    c.cseq += 10
    c.send(True, b"bbbb")
    d = read_packets("rawgap2", c.pkts, rules)
    assert _raw_alerts(d) == [(None, 9100049), (None, 9100050)], _raw_alerts(d)


def case_raw_stream_ready():
    """When a window is ready with a parser on the flow. Suricata 7.0.10 on these captures:
    HTTP, the first request complete (a transaction done on that side) makes the client's window
    ready at its next packet, 7 (the second request): "EV"+"IL" split over packets 4 and 5 found
    there, and GET (depth 3) both on packet 4's payload and in that window; the second request's
    completion makes the window ready again at the client's FIN, 9. Then a POST body in 1,000-byte
    segments, each acknowledged: the window is ready once 2,560 acknowledged bytes wait (packet
    11), not at packet 9 whose payload holds EVIL. Suricata draws its chunk size at random within
    10% of 2,560 (stream.reassembly.randomize-chunk-size): the acknowledged bytes here (about
    2,050 at packet 9, 3,050 at 11) are outside that band, so its answer does not vary."""
    rules = _tcp_rules("rawready.rules", 9100046, 'content:"EVIL";', 'content:"GET"; depth:3;',
                       'content:"POST"; depth:4;')
    c = P.TcpConv("10.1.1.1", 40005, "10.2.2.2", 80, ts=1_700_000_000_000_000).handshake()
    c.send(True, b"GET /a HTTP/1.1\r\nHost: EV").send(True, b"IL\r\n\r\n")
    c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    c.send(True, b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
    c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").close()
    d = read_packets("rawready", c.pkts, rules)
    want = [(4, 9100047), (7, 9100046), (7, 9100047), (9, 9100047)]
    assert _raw_alerts(d) == want, _raw_alerts(d)
    c = P.TcpConv("10.1.1.1", 40006, "10.2.2.2", 80, ts=1_700_000_000_000_000).handshake()
    c.send(True, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9000\r\n\r\n")
    for i in range(6):
        c.send(True, b"A" * 1000 + (b"EVIL" if i == 2 else b""))
        c._pkt(False, 0x10)
    d = read_packets("rawchunk", c.pkts, rules)
    want = [(4, 9100048), (11, 9100046), (11, 9100048)]
    assert _raw_alerts(d) == want, _raw_alerts(d)


def _tls_record(hs_type, body, rec_ver=0x0301):
    hs = bytes([hs_type]) + len(body).to_bytes(3, "big") + body
    return struct.pack("!BHH", 22, rec_ver, len(hs)) + hs


def case_ssl_version():
    """ssl_version judges each side's version: the client's hello toward the server, the
    server's toward the client, each direction once per flow."""
    rules = rules_file("sslv.rules",
                       'alert tcp any any -> any any (msg:"1.2"; ssl_version:tls1.2; '
                       'sid:9100041;)\n'
                       'alert tcp any any -> any any (msg:"not 1.2"; ssl_version:!tls1.2; '
                       'sid:9100042;)\n')
    ch = struct.pack("!H", 0x0303) + b"\x11" * 32 + b"\x00" + struct.pack("!HH", 2, 0x002f)
    ch += b"\x01\x00" + struct.pack("!H", 0)  # null compression, no extensions
    pkts = []
    for n, server_ver in enumerate((0x0303, 0x0301)):
        sh = struct.pack("!H", server_ver) + b"\x22" * 32 + b"\x00" + struct.pack("!H", 0x002f)
        c = P.TcpConv("10.1.1.1", 40000 + n, "10.2.2.2", 443, ts=1_700_000_000_000_000 + n * 10**6)
        c.handshake().send(True, _tls_record(1, ch))
        c.send(False, _tls_record(2, sh + b"\x00") + _tls_record(14, b""))
        c.send(True, bytes([20, 3, 1, 0, 1, 1])).send(True, bytes([23, 3, 3, 0, 1, 0]))
        c.send(False, bytes([23, 3, 3, 0, 1, 0])).close()
        pkts += c.pkts
    d = read_packets("sslv", pkts, rules)
    got = sorted((e["src_port"] if e["direction"] == "to_server" else e["dest_port"],
                  e["alert"]["signature_id"], e["direction"]) for e in events(d, "alert"))
    # flow 1 (client 1.2, server 1.2): sid 41 once each way; flow 2 (server 1.0): sid 41 to the
    # server, sid 42 (not 1.2) to the client
    assert got == [(40000, 9100041, "to_client"), (40000, 9100041, "to_server"),
                   (40001, 9100041, "to_server"), (40001, 9100042, "to_client")], got


def case_alert_packet_fields():
    """outputs.eve.types.alert.packet and outputs.eve.ethernet: the alerting packet in base64
    with its link type, and the MAC addresses. For a datagram reassembled from IP fragments the
    packet is the link header of the fragment that completed it, then the whole datagram (as
    Suricata writes it). Both are off by default."""
    import base64
    rules = rules_file("pkt.rules", "alert tcp any any -> any any (tcp.flags:S; sid:9100071;)\n")
    seg = P.l4(6, "1.1.1.1", "2.2.2.2", sport=12345, dport=8080, flags=0x02, seq=1,
               payload=b"A" * 40)
    whole = P.ipv4("1.1.1.1", "2.2.2.2", 6, seg, ident=77)
    frags = [P.ipv4("1.1.1.1", "2.2.2.2", 6, seg[:32], ident=77, more=True, total_len=52),
             P.ipv4("1.1.1.1", "2.2.2.2", 6, seg[32:], ident=77, frag_off=32)]
    t0 = 1_700_000_000_000_000
    pkts = [(t0 + i, P.eth(fr, 0x0800, vlans=(6,))) for i, fr in enumerate(frags)]
    d = read_packets("pkt", pkts, rules, "-k", "none", "--set",
                     "outputs.eve.types.alert.packet=true", "--set", "outputs.eve.ethernet=true")
    alerts = events(d, "alert")
    assert len(alerts) == 1, alerts
    a = alerts[0]
    assert base64.b64decode(a["packet"]) == P.eth(whole, 0x0800, vlans=(6,)), a["packet"]
    assert a["packet_info"] == {"linktype": 1, "linktype_name": "EN10MB"}, a["packet_info"]
    assert a["ether"] == {"src_mac": "00:06:07:08:09:10", "dest_mac": "00:01:02:03:04:05"}, a
    d = read_packets("pkt-default", pkts, rules, "-k", "none")
    a = events(d, "alert")[0]
    assert "packet" not in a and "ether" not in a, a


def case_alert_payload():
    """outputs.eve.types.alert.payload / payload-printable: what an alert matched, as Suricata
    7.0.10 logs it on the same capture and rules (run side by side when this was written): a
    packet match shows the packet's payload ("stream": 0); a raw-stream match the window, and
    next to a gap the bytes before it, "[N bytes missing]" and the bytes after (the flow-end
    inspection: pkt_src "stream (flow timeout)"); an HTTP transaction match the stream bytes of
    its direction ("stream": 1). Every alert has pkt_src and the flow's own src/dest in "flow";
    payload fields only when asked for."""
    import base64
    rules = rules_file("payload.rules",
                       'alert http any any -> any any (msg:"uri"; http.uri; content:"evil.php"; '
                       'sid:1;)\n'
                       'alert tcp any any -> any 9999 (msg:"raw"; content:"EVILSTUFF"; sid:3;)\n'
                       'alert udp any any -> any any (msg:"udp"; content:"EVILUDP"; sid:4;)\n'
                       'alert tcp-stream any any -> any 7777 (content:"VERY"; sid:6;)\n'
                       'alert tcp-stream any any -> any 7777 (content:"DATA"; sid:7;)\n'
                       'alert tcp-pkt any any -> any 7777 (content:"DATA"; sid:8;)\n')
    t0 = 1_700_000_000_000_000
    pkts = []
    req = b"GET /evil.php?x=1 HTTP/1.1\r\nHost: a.example\r\nUser-Agent: curl/8\r\n\r\n"
    c = P.TcpConv("10.1.1.1", 40000, "10.2.2.2", 80, ts=t0)
    c.handshake().send(True, req).send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
    pkts += c.close().pkts
    c = P.TcpConv("10.1.1.1", 40001, "10.2.2.2", 9999, ts=t0 + 10_000)
    pkts += c.handshake().send(True, b"HELLO raw bytes EVILSTUFF more").send(False, b"ok").close().pkts
    pkts.append((t0 + 50_000, P.frame(17, "10.1.1.1", "10.2.2.2", sport=5000, dport=6000,
                                      payload=b"udp EVILUDP\x00\x01")))
    c = P.TcpConv("10.1.1.1", 40002, "10.2.2.2", 7777, ts=t0 + 60_000)
    c.handshake().send(True, b"VERY")
    c._pkt(False, 0x10)            # the server acknowledges VERY
    c.cseq += 4                    # four bytes never seen
    c.send(True, b"DATA")
    c._pkt(False, 0x10)            # a duplicate ACK; the flow ends with the capture
    pkts += c.pkts
    d = read_packets("payload", pkts, rules, "-k", "none",
                     "--set", "outputs.eve.types.alert.payload=true",
                     "--set", "outputs.eve.types.alert.payload-printable=true")
    got = {}
    for e in events(d, "alert"):
        got.setdefault(e["alert"]["signature_id"], []).append(e)
    gap = b"VERY[4 bytes missing]DATA"
    want = {1: (req, 1, "wire/pcap"), 3: (b"HELLO raw bytes EVILSTUFF more", 1, "wire/pcap"),
            4: (b"udp EVILUDP\x00\x01", 0, "wire/pcap"),
            6: (gap, 1, "stream (flow timeout)"), 7: (gap, 1, "stream (flow timeout)"),
            8: (b"DATA", 0, "wire/pcap")}
    assert sorted(got) == sorted(want), sorted(got)
    for sid, (pay, stream, src) in want.items():
        assert len(got[sid]) == 1, (sid, got[sid])
        e = got[sid][0]
        assert base64.b64decode(e["payload"]) == pay, (sid, e["payload"])
        printable = "".join(chr(b) if 32 <= b < 127 or b in (10, 13) else "." for b in pay)
        assert e["payload_printable"] == printable, (sid, e["payload_printable"])
        assert e["stream"] == stream and e["pkt_src"] == src, (sid, e)
        assert e["flow"]["src_ip"] == "10.1.1.1" and e["flow"]["dest_ip"] == "10.2.2.2", e["flow"]
    assert got[4][0]["flow"]["dest_port"] == 6000, got[4][0]["flow"]
    d = read_packets("payload-default", pkts, rules, "-k", "none")
    for e in events(d, "alert"):
        assert "payload" not in e and "payload_printable" not in e and "stream" not in e, e
        assert e["pkt_src"] in ("wire/pcap", "stream (flow timeout)"), e


def case_midstream_server_first():
    """stream.midstream: a flow whose first packet carries a server's data (an HTTP response),
    with no client data before it, is reversed as Suricata 7.0.10 reverses it (compared side by
    side on this capture): the flow's source is the client, the response is parsed as one (http
    event, status), and a response rule alerts to_client from the server. Without midstream the
    flow is left as it came."""
    rules = rules_file("mid.rules",
                       'alert http any any -> any any (msg:"status"; http.stat_code; '
                       'content:"200"; sid:9100091;)\n')
    t0 = 1_700_000_000_000_000
    resp = b"HTTP/1.1 200 OK\r\nServer: test\r\nContent-Length: 2\r\n\r\nok"
    pkts = [(t0, P.frame(6, "10.2.2.2", "10.1.1.1", sport=80, dport=40000, flags=0x18,
                         seq=5000, ack=1000, payload=resp)),
            (t0 + 1000, P.frame(6, "10.1.1.1", "10.2.2.2", sport=40000, dport=80, flags=0x10,
                                seq=1000, ack=5000 + len(resp)))]
    d = read_packets("mid", pkts, rules, "-k", "none", "--set", "stream.midstream=true")
    flows = events(d, "flow")
    assert len(flows) == 1, flows
    f = flows[0]
    assert (f["src_ip"], f["src_port"], f["dest_port"]) == ("10.1.1.1", 40000, 80), f
    assert f["flow"]["pkts_toserver"] == 1 and f["flow"]["pkts_toclient"] == 1, f["flow"]
    assert f.get("app_proto") == "http", f
    http = events(d, "http")
    assert len(http) == 1 and http[0]["http"].get("status") == 200, http
    alerts = events(d, "alert")
    assert len(alerts) == 1, alerts
    a = alerts[0]
    assert a["direction"] == "to_client" and a["src_ip"] == "10.2.2.2", a
    d = read_packets("mid-off", pkts, rules, "-k", "none")
    f = events(d, "flow")[0]
    assert f["src_ip"] == "10.2.2.2" and not events(d, "alert"), f


def case_app_bare_rules():
    """An application-protocol rule with nothing to inspect (alert http ... (sid:1;)) matches
    every packet of the flow once its protocol is known, as Suricata 7.0.10 does on this
    capture (side by side, every (sid, packet) equal): over TCP from the first packet of the
    other side after the data that decided it (Suricata in IDS mode parses data once it is
    acknowledged); over UDP from the datagram itself."""
    rules = rules_file("bare.rules",
                       'alert http any any -> any any (msg:"http"; sid:1;)\n'
                       'alert http any any -> any any (msg:"http ts"; flow:to_server; sid:2;)\n'
                       'alert http any any -> any any (msg:"http tc est"; flow:established,'
                       'to_client; sid:3;)\n'
                       'alert tls any any -> any any (msg:"tls"; sid:4;)\n'
                       'alert dns any any -> any any (msg:"dns"; sid:5;)\n')
    t0 = 1_700_000_000_000_000
    c = P.TcpConv("10.1.1.1", 40000, "10.2.2.2", 80, ts=t0)
    c.handshake().send(True, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
    c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    c._pkt(True, 0x10)
    c.send(True, b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
    c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").close()
    q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03abc\x03com\x00\x00\x01\x00\x01"
    pkts = c.pkts + [(t0 + 100_000, P.frame(17, "10.1.1.1", "10.3.3.3", sport=5353, dport=53,
                                            payload=q))]
    d = read_packets("bare", pkts, rules, "-k", "none")
    got = sorted((e["alert"]["signature_id"], e["pcap_cnt"]) for e in events(d, "alert"))
    want = sorted([(1, n) for n in range(5, 12)] + [(2, n) for n in (6, 7, 9, 11)] +
                  [(3, n) for n in (5, 8, 10)] + [(5, 12)])
    assert got == want, (got, want)


def case_tag_host():
    """tag:host: after an alert, the packets to and from the tagged host (the alerting packet's
    source or destination), across flows, as EVE packet events, for COUNT packets (the
    alerting one included, not logged) or COUNT seconds; a second alert of the rule restarts the
    count and its packet is logged. With one worker the (event, packet) list is what Suricata
    7.0.10 gives in single runmode on the same capture (side by side); with more workers, which
    packets fall within the count depends on how the workers interleave, as in Suricata's
    multi-threaded runmodes, so only the alerts are compared there."""
    rules = rules_file("htag.rules",
                       'alert tcp any any -> any 22 (msg:"ssh syn"; flags:S; '
                       'tag:host,5,packets,src; sid:1;)\n'
                       'alert tcp any any -> any 25 (msg:"smtp syn"; flags:S; '
                       'tag:host,3,seconds,dst; sid:2;)\n')
    t0 = 1_700_000_000_000_000
    pkts = []
    for cli, port, srv, dport, start, data, step in (
            ("10.1.1.1", 40000, "10.2.2.2", 22, 0, b"SSH-2.0-x\r\n", 1000),
            ("10.1.1.1", 40001, "10.3.3.3", 80, 500, b"GET / HTTP/1.0\r\n\r\n", 1000),
            ("10.4.4.4", 40002, "10.3.3.3", 80, 700, None, 1000),
            ("10.5.5.5", 40003, "10.6.6.6", 25, 5_000_000, b"EHLO x\r\n", 1000),
            ("10.7.7.7", 40004, "10.6.6.6", 25, 6_000_000, b"EHLO y\r\n", 700_000)):
        c = P.TcpConv(cli, port, srv, dport, ts=t0 + start, step=step)
        c.handshake()
        if data:
            c.send(True, data)
        pkts += c.close().pkts
    want = sorted([("alert", 1), ("packet", 2), ("packet", 4), ("packet", 5), ("packet", 7),
                   ("alert", 21)] + [("packet", n) for n in range(22, 28)] +
                  [("alert", 28)] + [("packet", n) for n in range(28, 34)])
    for n in (1, 2):
        d = read_packets("htag%d" % n, pkts, rules, "-k", "none", "--workers", str(n))
        got = sorted((e["event_type"], e.get("pcap_cnt")) for e in events(d)
                     if e["event_type"] in ("alert", "packet"))
        if n == 1:
            assert got == want, (got, want)
        else:
            assert [g for g in got if g[0] == "alert"] == [w for w in want if w[0] == "alert"], got
        th = events(d, "stats")[-1]["stats"]["detect"]["tag_host"]
        assert th["evictions"] == 0 and th["dropped"] == 0 and th["active"] <= 2, th


def case_ssh_banner_sides():
    """ssh.proto and ssh.software: the client's banner toward the server, the server's toward
    the client, either without a direction (the server's used to be seen only when the client
    sent no banner)."""
    rules = rules_file("sshb.rules",
                       'alert ssh any any -> any any (ssh.software; content:"Srv_1"; sid:9100081;)\n'
                       'alert ssh any any -> any any (flow:to_server; ssh.software; '
                       'content:"Srv_1"; sid:9100082;)\n'
                       'alert ssh any any -> any any (flow:to_client; ssh.proto; content:"1.99"; '
                       'sid:9100083;)\n'
                       'alert ssh any any -> any any (flow:to_server; ssh.software; '
                       'content:"Cli_2"; sid:9100084;)\n')
    c = P.TcpConv("10.1.1.1", 40000, "10.2.2.2", 22, ts=1_700_000_000_000_000)
    c.handshake().send(False, b"SSH-1.99-Srv_1\r\n").send(True, b"SSH-2.0-Cli_2\r\n").close()
    d = read_packets("sshb", c.pkts, rules)
    got = sorted(e["alert"]["signature_id"] for e in events(d, "alert"))
    assert got == [9100081, 9100083, 9100084], got
    # without a direction, the server's banner matches in the server's direction (Suricata's
    # per-direction engines): the alert is to_client, from the server
    a = [e for e in events(d, "alert") if e["alert"]["signature_id"] == 9100081][0]
    assert a["direction"] == "to_client" and a["src_ip"] == "10.2.2.2", a


# (payload, {sid: rule options}) for case_base64: one UDP datagram per payload; the expected
# packets per sid are Suricata 7.0.10's on the same capture and rules (suricata -r X -S R -k
# none), except sid 16: 7.0.10 starts base64_data's first relative keyword at the outer
# buffer's offset (its bug 7842, fixed in 7.0.15 and suricata-verify bug-7842-01), Vigil at 0.
_B64_PAYLOADS = [b"SGVsbG8gV29ybGQ=", b"Zg==Zm8=", b"Zg=", b"SGVsbG8*V29y", b"SGVs bG8g",
                 b"xxxxAUTH:SGVsbG8gV29ybGQ=", b"AAAA'SGVsbG8gV29ybGQ=", b"ABBBQUJDRA==",
                 b"A:!!!! A:SGVsbG8=", b"QUJD\r\nREVG", b"SGVsb*", b"SGVsbG*", b"SGVsb", b"S*",
                 b"SGV=*", b"===="]
_B64_RULES = [
    (1, 'base64_decode;', []),  # no base64_data: never matches
    (2, 'base64_decode; base64_data; content:"Hello World";', [1]),
    (3, 'base64_decode; base64_data; content:"ffo"; isdataat:!3;', [2]),  # padding mid-input
    (6, 'base64_decode; base64_data; content:"f|00|"; startswith; isdataat:!2;', [3]),
    (7, 'base64_decode; base64_data; content:"Hel"; startswith; isdataat:!3;', [5, 13]),
    (8, 'base64_decode; base64_data; content:"Hello";', [1, 4]),
    (9, 'base64_decode; base64_data; content:"Hel"; isdataat:3; isdataat:!4;', [11, 12]),
    (10, 'content:"AUTH:"; base64_decode:relative; base64_data; content:"Hello"; startswith;',
     [6]),
    (11, 'content:"xxxx"; base64_decode: offset 5, relative; base64_data; content:"Hello"; '
         'startswith;', [6]),
    (12, 'content:"AUTH"; base64_decode:bytes 4, offset 9; base64_data; content:"Hel"; '
         'isdataat:!3;', [6]),
    (13, 'content:"AUTH"; base64_decode:bytes 5, offset 9; base64_data; content:"Hel"; '
         'isdataat:!3;', [6]),
    (14, 'content:"AUTH"; base64_decode:bytes 6, offset 9; base64_data; content:"Hell"; '
         'isdataat:!4;', [6]),
    (15, 'content:"AUTH"; base64_decode:offset 25; base64_data; content:"|00|";', []),
    (16, 'content:"\'"; base64_decode:relative; base64_data; content:"Hel"; within:3;', [7]),
    (18, 'content:"AUTH"; base64_decode:offset 9; base64_data; content:"Hello"; fast_pattern;',
     [6]),
    (20, 'content:"AUTH"; base64_decode:offset 9; base64_data; pcre:"/^Hello\\s+World$/";', [6]),
    (21, 'base64_decode; base64_data; byte_test:2,=,16,0; content:"ABCD"; distance:0;', [8]),
    (22, 'content:"A:"; base64_decode:relative; base64_data; content:"Hello";', []),  # no retry
    (23, 'content:"AUTH"; base64_decode:bytes 0, offset 9; base64_data; content:"World";', [6]),
    (25, 'content:"AUTH:"; base64_decode:relative, foo; base64_data; content:"World";', [6]),
    (27, 'content:"AUTH"; base64_decode:offset 9; base64_data;', []),
    (28, 'content:"AUTH"; base64_decode:offset 9; base64_data; content:!"Bye";', [6]),
    (30, 'base64_decode; base64_data; content:"ABC"; isdataat:!3;', [10]),
    (34, 'content:"AUTH"; base64_decode:bytes 100 offset 9 relative; base64_data; '
         'content:"World";', [6]),
    (37, 'content:"AUTH"; base64_decode:offset 9; base64_data; content:"Hello"; '
         'pcre:"/^\\s+World/R";', [6]),
    (40, 'base64_decode:  bytes  20 ,  offset 9 ; base64_data; content:"World";', [1]),
    (42, 'pcre:"/AUTH:/"; base64_decode:relative; base64_data; content:"World";', [6]),
    (46, 'base64_decode:relative; base64_data; content:"Hello";', [1, 4]),
    (50, 'base64_decode; base64_data; isdataat:0; isdataat:!1;', [9, 14]),
    (51, 'base64_decode; base64_data; isdataat:1; isdataat:!2;', [3, 15]),
]


def case_base64():
    """base64_decode / base64_data on UDP payloads (decoding, bytes, offset, relative, invalid
    characters, padding, keywords after base64_data), as Suricata 7.0.10 on this capture."""
    rules = rules_file("b64.rules", "".join(
        "alert udp any any -> any 5555 (%s sid:%d;)\n" % (o, sid) for sid, o, _ in _B64_RULES))
    pkts = [(1_600_000_000_000_000 + i * 1000,
             P.frame(17, "10.0.0.1", "10.0.0.2", sport=4000 + i, dport=5555, payload=pl))
            for i, pl in enumerate(_B64_PAYLOADS)]
    d = read_packets("b64", pkts, rules, "-k", "none")
    got = collections.defaultdict(list)
    for e in events(d, "alert"):
        got[e["alert"]["signature_id"]].append(e["pcap_cnt"])
    want = {sid: pk for sid, _, pk in _B64_RULES if pk}
    assert {k: sorted(v) for k, v in got.items()} == want, dict(got)


def case_base64_http():
    """base64_decode in HTTP request bodies, as ET Open writes it (relative to a content,
    startswith, nocase, byte_test and pcre on the decoded bytes, bytes and offset limits,
    file.data, the raw stream): the sids Suricata 7.0.10 raises on this capture, plus 9100503
    (bug 7842, see _B64_RULES). Alerts come at other packets than Suricata's (request bodies
    are inspected at different moments), so only (flow, sid) are compared."""
    import base64 as b64
    pre = 'alert http any any -> any any (flow:established,to_server; http.request_body; '
    rules = rules_file("b64h.rules", "".join(l + "\n" for l in [
        pre + 'content:"SAMLResponse="; startswith; fast_pattern; nocase; base64_decode:offset 0, '
        'relative; base64_data; content:"|3a|getRuntime|28 29|"; nocase; content:"|3a|exec|28|"; '
        'nocase; sid:9100501;)',
        pre + 'content:"<m:RouteComplaint|20|"; content:"<m:Data>"; distance:0; base64_decode:'
        'bytes 300, offset 0, relative; base64_data; content:"<!DOCTYPE"; content:"SYSTEM"; '
        'distance:0; sid:9100502;)',
        pre + 'content:"|27|"; base64_decode:relative; base64_data; content:"|ff ff ff ff|"; '
        'within:16; content:".PSObject"; distance:0; sid:9100503;)',
        pre + 'content:"<?"; content:"<base64>"; distance:0; base64_decode:offset 0,relative; '
        'base64_data; content:"|60|"; startswith; sid:9100504;)',
        pre + 'content:"n="; base64_decode:relative; base64_data; byte_test:2,=,16,0; '
        'byte_test:2,>,40,2; content:"ABCD"; distance:0; sid:9100505;)',
        pre + 'content:"n="; base64_decode:relative; base64_data; pcre:"/^\\x00\\x10.{2}AB/s"; '
        'sid:9100506;)',
        pre + 'content:"SAMLResponse="; base64_decode:bytes 8,relative; base64_data; '
        'content:"getRuntime"; sid:9100507;)',
        pre + 'content:"SAMLResponse="; base64_decode:offset 4,relative; base64_data; '
        'content:"ava.lang"; startswith; sid:9100508;)',
        pre + 'content:"SAMLResponse="; base64_decode:relative; base64_data; content:!"bash"; '
        'sid:9100509;)',
        'alert tcp any any -> any 80 (flow:to_server; content:"SAMLResponse="; base64_decode:'
        'relative; base64_data; content:"getRuntime"; sid:9100510;)',
        'alert http any any -> any any (flow:to_server; file.data; content:"data=\'"; '
        'base64_decode:relative; base64_data; content:"RunspaceInvoke"; sid:9100511;)']))
    bodies = [b"SAMLResponse=" + b64.b64encode(b"<x>java.lang.Runtime:getRuntime():exec(c)</x>"),
              b"<m:RouteComplaint <m:Data>" + b64.b64encode(b"<!DOCTYPE foo SYSTEM 'x'>") +
              b"</m:Data>",
              b"data='" + b64.b64encode(b"\x00\x01\x00\x00\x00\xff\xff\xff\xff\x01 .PSObject "
                                        b"/RunspaceInvoke") + b"'",
              b"<?xml <base64>" + b64.b64encode(b"`id`") + b"</base64>",
              b"n=" + b64.b64encode(b"\x00\x10\x00\x2aABCD")]
    pkts = []
    for i, body in enumerate(bodies):
        c = P.TcpConv("10.1.1.1", 40001 + i, "10.2.2.2", 80,
                      ts=1_700_000_000_000_000 + i * 10**8).handshake()
        c.send(True, b"POST /ews/Exchange.asmx HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
               % len(body) + body)
        c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").close()
        pkts += c.pkts
    d = read_packets("b64h", pkts, rules, "-k", "none")
    got = sorted((e["src_port"], e["alert"]["signature_id"]) for e in events(d, "alert"))
    assert got == [(40001, 9100501), (40001, 9100509), (40001, 9100510), (40002, 9100502),
                   (40003, 9100503), (40003, 9100511), (40004, 9100504), (40005, 9100505),
                   (40005, 9100506)], got


def _ftp_capture():
    """Three control connections: an FTP session on port 21 (multi-line greeting that no
    pattern claims, so the client's USER decides; commands with and without arguments, a
    multi-line reply, PASV/PORT/EPSV data ports, a preliminary reply, an unknown command, a
    server line after the client's pure ACK), vsftpd's greeting on port 2121 (decided by the
    server's "220 ("), and an SMTP session on 2525 that greets with 220 too and must not be FTP.
    """
    S, C, ACK = False, True, None
    flows = [
        (40001, 21, [(S, b"220-Welcome\r\n220 ProFTPD 1.3.5 Server\r\n"),
                     (C, b"USER anonymous\r\n"), (S, b"331 Send your password\r\n"),
                     (C, b"PASS guest@example.com\r\n"), (S, b"230 Logged in\r\n"),
                     (C, b"SYST\r\n"), (S, b"215 UNIX Type: L8\r\n"), (ACK, b""),
                     (S, b"hello\r\n"),
                     (C, b"FEAT\r\n"), (S, b"211-Features:\r\n MDTM\r\n211 End\r\n"),
                     (C, b"PASV\r\n"), (S, b"227 Entering Passive Mode (10,2,2,2,195,80).\r\n"),
                     (C, b"LIST\r\n"), (S, b"150 Opening data connection\r\n"),
                     (S, b"226 Transfer complete\r\n"),
                     (C, b"PORT 10,1,1,1,4,1\r\n"), (S, b"200 PORT command successful\r\n"),
                     (C, b"RETR /etc/passwd\r\n"), (S, b"550 No such file\r\n"),
                     (C, b"EPSV\r\n"), (S, b"229 Entering Extended Passive Mode (|||50000|)\r\n"),
                     (C, b"XYZZ arg\r\n"), (S, b"500 XYZZ not understood\r\n"),
                     (C, b"site exec /bin/sh\r\n"), (S, b"500 SITE EXEC not understood\r\n"),
                     (C, b"QUIT\r\n"), (S, b"221 Goodbye.\r\n")]),
        (40002, 2121, [(S, b"220 (vsFTPd 3.0.3)\r\n"), (C, b"USER ftp\r\n"),
                       (S, b"331 Please specify the password.\r\n"), (C, b"PASS x\r\n"),
                       (S, b"530 Login incorrect.\r\n"), (C, b"QUIT\r\n"), (S, b"221 Bye.\r\n")]),
        (40003, 2525, [(S, b"220 mail.example.com ESMTP Postfix\r\n"), (C, b"EHLO client\r\n"),
                       (S, b"250 mail.example.com\r\n"), (C, b"USER x\r\n"),
                       (S, b"502 unknown\r\n"), (C, b"QUIT\r\n"), (S, b"221 Bye\r\n")]),
    ]
    pkts = []
    for i, (cport, sport, script) in enumerate(flows):
        c = P.TcpConv("10.1.1.1", cport, "10.2.2.2", sport,
                      ts=1_700_000_000_000_000 + i * 10**8).handshake()
        for to_server, data in script:
            if to_server is None:
                c._pkt(True, 0x10)
            else:
                c.send(to_server, data)
        pkts += c.close().pkts
    return pkts


def case_ftp():
    """FTP: EVE ftp events and alerts of `alert ftp` rules, as Suricata 7.0.10 writes and
    raises them on the same capture and rules (suricata -r X -S R -k none): every transaction's
    ftp object is identical, the alerts are the same sids on the same packets."""
    rules = rules_file("ftp.rules", "".join(l + "\n" for l in [
        'alert ftp any any -> any any (msg:"SITE EXEC"; flow:to_server,established; '
        'content:"SITE"; nocase; content:"EXEC"; distance:0; nocase; pcre:"/^SITE\\s+EXEC/smi"; '
        'sid:9100601;)',
        'alert ftp any any -> any any (msg:"220- banner"; flow:from_server,established; '
        'content:"220-"; depth:4; sid:9100602;)',
        'alert ftp any any -> any any (msg:"passwd"; flow:to_server,established; '
        'content:"RETR"; nocase; content:"passwd"; sid:9100603;)',
        'alert ftp any any -> any any (msg:"USER"; flow:to_server; content:"USER"; '
        'sid:9100604;)',
        'alert ftp any any -> any any (msg:"not ftp"; content:"EHLO"; sid:9100605;)',
        'alert tcp any any -> any any (msg:"EHLO"; content:"EHLO"; sid:9100606;)',
        'alert ftp any any -> any any (msg:"PASV reply"; flow:to_client; '
        'content:"227 Entering Passive"; sid:9100607;)']))
    d = read_packets("ftp", _ftp_capture(), rules, "-k", "none")
    got = collections.defaultdict(list)
    for e in events(d, "ftp"):
        assert (e["src_ip"], e["dest_ip"]) == ("10.1.1.1", "10.2.2.2"), e
        got[e["dest_port"]].append((e["tx_id"], e["ftp"]))
    ftp = {port: [o for _, o in sorted(txs, key=lambda t: t[0])] for port, txs in got.items()}

    def tx(cmd=None, data=None, codes=(), replies=(), done=True, **extra):
        o = {}
        if cmd:
            o["command"] = cmd
        if data is not None:
            o["command_data"] = data
            o["command_truncated"] = False
        if codes:
            o["completion_code"] = list(codes)
        if replies:
            o["reply"] = list(replies)
        o.update(extra)
        o["reply_received"] = "yes" if done else "no"
        o["reply_truncated"] = False
        return o
    want21 = [
        tx(codes=["220", "220"], replies=["Welcome", "ProFTPD 1.3.5 Server"]),
        tx("USER", "anonymous", ["331"], ["Send your password"]),
        tx("PASS", "guest@example.com", ["230"], ["Logged in"]),
        tx("SYST", None, ["215"], ["UNIX Type: L8"]),
        tx(replies=["hello"]),  # after the client's ACK: a transaction of its own
        tx(codes=["211", "211"], replies=["Features:", " MDTM", "End"]),  # FEAT: unknown
        tx("PASV", None, ["227"], ["Entering Passive Mode (10,2,2,2,195,80)."],
           dynamic_port=50000),
        tx("LIST", None, ["150", "226"], ["Opening data connection", "Transfer complete"]),
        tx("PORT", "10,1,1,1,4,1", ["200"], ["PORT command successful"], dynamic_port=1025,
           mode="active"),
        tx("RETR", "/etc/passwd", ["550"], ["No such file"]),
        tx("EPSV", None, ["229"], ["Entering Extended Passive Mode (|||50000|)"],
           dynamic_port=50000),
        tx(codes=["500"], replies=["XYZZ not understood"]),
        tx("SITE", "exec /bin/sh", ["500"], ["SITE EXEC not understood"]),
        tx("QUIT", None, ["221"], ["Goodbye."]),
    ]
    want2121 = [tx(codes=["220"], replies=["(vsFTPd 3.0.3)"]),
                tx("USER", "ftp", ["331"], ["Please specify the password."]),
                tx("PASS", "x", ["530"], ["Login incorrect."]),
                tx("QUIT", None, ["221"], ["Bye."])]
    assert sorted(ftp) == [21, 2121], sorted(ftp)
    for port, want in ((21, want21), (2121, want2121)):
        for i, (a, b) in enumerate(zip(ftp[port], want)):
            assert a == b, (port, i, a, b)
        assert len(ftp[port]) == len(want), (port, len(ftp[port]))
    protos = {e["dest_port"]: e.get("app_proto") for e in events(d, "flow")}
    # 2525 is SMTP (Suricata: smtp; here whatever Vigil's SMTP support says, never ftp)
    assert protos[21] == "ftp" and protos[2121] == "ftp" and protos[2525] != "ftp", protos
    alerts = sorted((e["alert"]["signature_id"], e["pcap_cnt"]) for e in events(d, "alert"))
    assert alerts == FTP_ALERTS, alerts


# Suricata 7.0.10's alerts on _ftp_capture() with case_ftp's rules: (sid, pcap_cnt)
FTP_ALERTS = [(9100601, 32), (9100602, 33), (9100603, 32), (9100604, 32), (9100604, 45),
              (9100606, 58), (9100607, 33)]


def case_ftpbounce():
    """ftpbounce (a PORT address that is not the client's), as ET Open's GPL FTP PORT bounce
    rule (content + ftpbounce + pcre) and alone (judged per transaction), on six FTP flows from
    10.1.1.1: PORT to another address answered, then close (40041); PORT to itself (40042);
    PORT answered, then a pure ACK and LIST (40043) or LIST at once (40044); PORT as the last
    command, unanswered (40045); spaces in the address (40046). Expected: Suricata 7.0.10's
    alerts on this capture, except (9100611, 40045), where PORT is acknowledged only by the
    server's FIN: Suricata's payload inspection of that window came before it parsed the PORT,
    so it raises only the transaction rule there (at flow end)."""
    rules = rules_file("bounce.rules", "".join(l + "\n" for l in [
        'alert tcp any any -> any 21 (msg:"GPL FTP PORT bounce attempt"; flow:to_server,'
        'established; content:"PORT"; nocase; ftpbounce; pcre:"/^PORT/smi"; sid:9100611;)',
        'alert tcp any any -> any 21 (msg:"bounce"; flow:to_server,established; ftpbounce; '
        'sid:9100612;)']))
    S, C = False, True
    g = [(S, b"220 hi\r\n"), (C, b"USER a\r\n"), (S, b"331 x\r\n")]
    port = (C, b"PORT 10,9,9,9,4,1\r\n")
    flows = [g + [port, (S, b"200 ok\r\n")],
             g + [(C, b"PORT 10,1,1,1,4,1\r\n"), (S, b"200 ok\r\n")],
             g + [port, (S, b"200 ok\r\n"), (None, b""), (C, b"LIST\r\n"),
                  (S, b"150 x\r\n226 y\r\n")],
             g + [port, (S, b"200 ok\r\n"), (C, b"LIST\r\n"), (S, b"150 x\r\n226 y\r\n")],
             g + [port],
             g + [(C, b"PORT 10 , 9 ,9,9,4,1\r\n"), (S, b"200 ok\r\n")]]
    pkts = []
    for i, script in enumerate(flows):
        c = P.TcpConv("10.1.1.1", 40041 + i, "10.2.2.2", 21,
                      ts=1_700_001_000_000_000 + i * 10**9).handshake()
        for to_server, data in script:
            if to_server is None:
                c._pkt(True, 0x10)
            else:
                c.send(to_server, data)
        pkts += c.close().pkts
    d = read_packets("bounce", pkts, rules, "-k", "none")
    got = sorted((e["alert"]["signature_id"], e["src_port"], e.get("pcap_cnt"))
                 for e in events(d, "alert"))
    assert got == [(9100611, 40041, 9), (9100611, 40045, 59), (9100612, 40041, 9),
                   (9100612, 40043, 31), (9100612, 40044, 45), (9100612, 40045, None)], got


def _ftp_data_capture():
    """An FTP control connection with two data connections: passive RETR (the client connects
    to the PASV port before sending RETR, as clients do) and active STOR after PORT (the server
    connects from port 20 to the client's port); each data byte acknowledged by its receiver."""
    S, C = False, True
    cli, srv = "10.1.1.1", "10.2.2.2"
    ctl = P.TcpConv(cli, 40061, srv, 21, ts=1_700_009_000_000_000).handshake()
    clock = [ctl.ts]

    def send(conv, to_server, data):
        conv.ts = max(conv.ts, clock[0])
        conv.send(to_server, data)
        conv._pkt(not to_server, 0x10)  # the receiver's ACK
        clock[0] = conv.ts

    send(ctl, S, b"220 hi\r\n")
    send(ctl, C, b"USER a\r\n")
    send(ctl, S, b"331 x\r\n")
    send(ctl, C, b"PASV\r\n")
    send(ctl, S, b"227 Entering Passive Mode (10,2,2,2,195,80).\r\n")
    d1 = P.TcpConv(cli, 40062, srv, 50000, ts=clock[0]).handshake()
    clock[0] = d1.ts
    send(ctl, C, b"RETR report.pdf\r\n")
    send(ctl, S, b"150 Opening BINARY mode\r\n")
    send(d1, S, b"%PDF-1.4 " + b"A" * 1000)
    send(d1, S, b'CreateObject("WScript.Shell") reg add ftp://abcdefgh.exe ' + b"B" * 500)
    d1.ts = max(d1.ts, clock[0])
    d1.close()
    clock[0] = d1.ts
    send(ctl, S, b"226 Transfer complete\r\n")
    send(ctl, C, b"PORT 10,1,1,1,4,1\r\n")
    send(ctl, S, b"200 ok\r\n")
    send(ctl, C, b"STOR up.txt\r\n")
    send(ctl, S, b"150 Ok to send\r\n")
    d2 = P.TcpConv(srv, 20, cli, 1025, ts=clock[0]).handshake()
    clock[0] = d2.ts
    send(d2, False, b"uploaded bytes " * 100)  # from the client (d2's responder)
    d2.ts = max(d2.ts, clock[0])
    d2.close()
    clock[0] = d2.ts
    send(ctl, S, b"226 done\r\n")
    send(ctl, C, b"QUIT\r\n")
    send(ctl, S, b"221 bye\r\n")
    ctl.ts = max(ctl.ts, clock[0])
    ctl.close()
    return ctl.pkts + d1.pkts + d2.pkts


def case_ftp_data():
    """ftp-data: the data connections an FTP control connection announced (RETR/STOR with a
    PASV or PORT port) are detected as such. The ftp_data and fileinfo events (with parent_id,
    the control flow's flow_id), and the alerts of ET Open's Kimsuky rule and of
    ftpdata_command (retr matches toward the client, stor toward the server: the active STOR's
    data goes toward the client, so 9100625 and 9100626 never match) are those of
    `suricata --runmode=single -r X -S R -k none` (7.0.10; its default multi-threaded run
    sometimes misses a data connection: the announcement and the data flow can be on two
    threads). app-layer-protocol:ftp-data (9100622) alerts in the direction that carries the
    file, on its first packet after the peer acknowledged some of it, as Suricata's IDS mode
    decides a direction's protocol; the other direction, without data, never."""
    rules = rules_file("ftpdata.rules", "".join(l + "\n" for l in [
        'alert ftp-data any any -> any any (msg:"Kimsuky"; flow:established,to_client; '
        'content:"CreateObject(|22|WScript.Shell|22|)"; content:"reg add"; nocase; fast_pattern; '
        'content:"ftp://"; distance:0; within:200; pcre:"/[a-z]{8}.[a-z]{3}/Ri"; sid:9100621;)',
        'alert tcp any any -> any any (msg:"proto"; app-layer-protocol:ftp-data; sid:9100622;)',
        'alert ftp any any -> any any (msg:"not on data"; content:"uploaded"; sid:9100623;)',
        'alert ftp-data any any -> any any (msg:"pdf"; content:"%PDF"; ftpdata_command:retr; '
        'sid:9100624;)',
        'alert ftp-data any any -> any any (msg:"upload"; ftpdata_command:stor; '
        'content:"uploaded"; sid:9100625;)',
        'alert ftp-data any any -> any any (msg:"retr"; ftpdata_command:retr; content:"%PDF"; '
        'ftpdata_command:stor; sid:9100626;)']))
    d = read_packets("ftpdata", _ftp_data_capture(), rules, "-k", "none")
    got = sorted((e["event_type"], e["src_port"], e["dest_port"],
                  json.dumps(e.get("ftp_data") or e.get("fileinfo"), sort_keys=True))
                 for e in events(d) if e["event_type"] in ("ftp_data", "fileinfo"))
    assert got == [
        ("fileinfo", 1025, 20, json.dumps({"filename": "up.txt", "gaps": False, "size": 1500,
                                           "state": "CLOSED", "stored": False, "tx_id": 0},
                                          sort_keys=True)),
        ("fileinfo", 50000, 40062, json.dumps({"filename": "report.pdf", "gaps": False,
                                               "size": 1566, "state": "CLOSED",
                                               "stored": False, "tx_id": 0}, sort_keys=True)),
        ("ftp_data", 20, 1025, json.dumps({"command": "STOR", "filename": "up.txt"},
                                          sort_keys=True)),
        ("ftp_data", 40062, 50000, json.dumps({"command": "RETR", "filename": "report.pdf"},
                                              sort_keys=True))], got
    protos = {e["dest_port"]: e.get("app_proto") for e in events(d, "flow")}
    assert protos == {21: "ftp", 50000: "ftp-data", 1025: "ftp-data"}, protos
    # every event of a data flow names the control flow as its parent; others have none
    ctl_id = [e["flow_id"] for e in events(d, "flow") if e["dest_port"] == 21][0]
    for e in events(d):
        data_flow = e.get("app_proto") == "ftp-data" or e["event_type"] in ("ftp_data",
                                                                              "fileinfo")
        assert e.get("parent_id") == (ctl_id if data_flow else None), e
    alerts = sorted((e["alert"]["signature_id"], e["src_port"], e.get("pcap_cnt"))
                    for e in events(d, "alert"))
    assert alerts == FTP_DATA_ALERTS, alerts


# Vigil's alerts on _ftp_data_capture() with case_ftp_data's rules (see its docstring for
# Suricata's)
FTP_DATA_ALERTS = [(9100621, 50000, 26), (9100622, 1025, 44), (9100622, 50000, 23),
                   (9100624, 50000, 26)]


def case_smtp_mail():
    """SMTP on a port of its own (detected from the client's EHLO): the EVE smtp event with
    Suricata's smtp/email fields, the attachment decoded into a fileinfo event and file.data,
    stream content of smtp rules, and smtp rules not applying to other flows. Compared with
    Suricata 7.0.10 on the same traffic: the same sids fire (docs/APP_SMTP.md)."""
    import base64
    att = b"MZ\x00\x01payload-in-attachment\x00\xff"
    enc = base64.encodebytes(att).replace(b"\n", b"\r\n")
    msg = (b"From: Alice <alice@example.org>\r\nTo: bob@example.com, carol@example.com\r\n"
           b"Subject: hi\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
           b"--B\r\nContent-Type: text/plain\r\n\r\nbody text\r\n"
           b"--B\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Disposition: attachment; filename=\"a.bin\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + enc + b"--B--\r\n.\r\n")
    c = P.TcpConv("10.3.3.1", 40100, "10.4.4.4", 2525, ts=1_700_000_000_000_000)
    c.handshake()
    for to_server, data in [
            (False, b"220 mx ESMTP\r\n"), (True, b"EHLO client.example\r\n"),
            (False, b"250-mx\r\n250 PIPELINING\r\n"),
            (True, b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n"),
            (False, b"250 ok\r\n250 ok\r\n354 go\r\n"), (True, msg),
            (False, b"250 queued\r\n"), (True, b"QUIT\r\n"), (False, b"221 bye\r\n")]:
        c.send(to_server, data)
    c.close()
    # the same client bytes on a flow that is not SMTP (no EHLO first)
    o = P.TcpConv("10.3.3.1", 40101, "10.4.4.4", 2526, ts=1_700_000_001_000_000)
    o.handshake().send(True, b"HELLO\r\n" + msg).send(False, b"ok\r\n").close()
    rules = rules_file("smtp.rules",
                       'alert smtp any any -> any any (msg:"ehlo"; flow:to_server; '
                       'content:"EHLO client"; sid:9100091;)\n'
                       'alert smtp any any -> any any (msg:"attachment"; flow:to_server; '
                       'file.data; content:"payload-in-attachment"; sid:9100092;)\n'
                       'alert smtp any any -> any any (msg:"encoded is not file.data"; '
                       'file.data; content:"TVoAAX"; sid:9100093;)\n'
                       'alert smtp any any -> any any (msg:"text part is not file.data"; '
                       'file_data; content:"body text"; sid:9100094;)\n'
                       'alert smtp any any -> any any (msg:"reply"; flow:to_client; '
                       'content:"250 queued"; sid:9100095;)\n'
                       'alert tcp any any -> any any (msg:"tcp"; flow:to_server; '
                       'content:"Subject: hi"; sid:9100096;)\n')
    d = read_packets("smtp", c.pkts + o.pkts, rules)
    got = sorted((e["src_port"] if e["src_port"] > 30000 else e["dest_port"],
                  e["alert"]["signature_id"]) for e in events(d, "alert"))
    assert got == [(40100, 9100091), (40100, 9100092), (40100, 9100095), (40100, 9100096),
                   (40101, 9100096)], got
    tx = [e for e in events(d, "smtp")]
    assert len(tx) == 2, tx
    assert tx[0]["dest_port"] == 2525 and tx[0]["tx_id"] == 0, tx[0]
    assert tx[0]["smtp"] == {"helo": "client.example", "mail_from": "<alice@example.org>",
                             "rcpt_to": ["<bob@example.com>"]}, tx[0]
    assert tx[0]["email"] == {"status": "PARSE_DONE", "from": "Alice <alice@example.org>",
                              "to": ["bob@example.com", "carol@example.com"],
                              "attachment": ["a.bin"]}, tx[0]
    assert tx[1]["smtp"] == {"helo": "client.example"} and "email" not in tx[1], tx[1]
    files = events(d, "fileinfo")
    assert len(files) == 1, files
    fi = files[0]["fileinfo"]
    assert (fi["filename"], fi["size"], fi["state"], fi["gaps"]) == ("a.bin", len(att), "CLOSED",
                                                                     False), fi
    assert files[0]["app_proto"] == "smtp" and files[0]["email"]["attachment"] == ["a.bin"]
    alert = [e for e in events(d, "alert") if e["alert"]["signature_id"] == 9100092][0]
    assert alert["app_proto"] == "smtp" and alert["smtp"]["helo"] == "client.example", alert
    assert alert["email"]["attachment"] == ["a.bin"], alert
    flows = {e["dest_port"]: e for e in events(d, "flow")}
    assert flows[2525]["app_proto"] == "smtp" and flows[2526].get("app_proto") != "smtp", flows


def case_smtp_starttls():
    """SMTP after an accepted STARTTLS is TLS (Suricata's protocol change): the TLS handshake is
    parsed (tls event, tls.sni), the flow event says app_proto tls / app_proto_orig smtp, smtp
    rules match the SMTP part only, and a refused STARTTLS leaves the flow SMTP. Same sids as
    Suricata 7.0.10 on this traffic."""
    sni = b"mail.example.com"
    ext = b"\x00\x00" + (len(sni) + 5).to_bytes(2, "big") + (len(sni) + 3).to_bytes(2, "big") \
        + b"\x00" + len(sni).to_bytes(2, "big") + sni
    body = b"\x03\x03" + b"\x11" * 32 + b"\x00" + b"\x00\x02\x00\x2f" + b"\x01\x00" \
        + len(ext).to_bytes(2, "big") + ext
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    hello = b"\x16\x03\x01" + len(hs).to_bytes(2, "big") + hs
    c = P.TcpConv("10.3.3.1", 40200, "10.4.4.4", 587, ts=1_700_000_000_000_000).handshake()
    for to_server, data in [(False, b"220 mx ESMTP\r\n"), (True, b"EHLO client.example\r\n"),
                            (False, b"250-mx\r\n250 STARTTLS\r\n"), (True, b"STARTTLS\r\n"),
                            (False, b"220 Ready to start TLS\r\n"), (True, hello)]:
        c.send(to_server, data)
    c.close()
    r = P.TcpConv("10.3.3.1", 40201, "10.4.4.4", 587, ts=1_700_000_001_000_000).handshake()
    for to_server, data in [(False, b"220 mx ESMTP\r\n"), (True, b"EHLO client.example\r\n"),
                            (False, b"250 mx\r\n"), (True, b"STARTTLS\r\n"),
                            (False, b"454 TLS not available\r\n"), (True, b"QUIT\r\n")]:
        r.send(to_server, data)
    r.close()
    rules = rules_file("starttls.rules",
                       'alert smtp any any -> any any (msg:"ehlo"; flow:to_server; '
                       'content:"EHLO client"; sid:9100101;)\n'
                       'alert tls any any -> any any (msg:"sni"; tls.sni; '
                       'content:"mail.example.com"; sid:9100102;)\n'
                       'alert smtp any any -> any any (msg:"smtp on tls bytes"; '
                       'content:"mail.example.com"; sid:9100103;)\n'
                       # the flow's protocol is tls once handed over (Suricata 7.0.10 agrees)...
                       'alert tcp any any -> any any (msg:"current"; flow:to_server; '
                       'app-layer-protocol:smtp; content:"|16 03 01|"; sid:9100104;)\n'
                       # ...and smtp before (mode original is Suricata 8's: not compared)
                       'alert tcp any any -> any any (msg:"original"; flow:to_server; '
                       'app-layer-protocol:smtp,original; content:"|16 03 01|"; sid:9100105;)\n')
    d = read_packets("starttls", c.pkts + r.pkts, rules)
    got = sorted((e["src_port"] if e["src_port"] > 30000 else e["dest_port"],
                  e["alert"]["signature_id"]) for e in events(d, "alert"))
    assert got == [(40200, 9100101), (40200, 9100102), (40200, 9100105), (40201, 9100101)], got
    flows = {e["src_port"]: e for e in events(d, "flow")}
    assert flows[40200]["app_proto"] == "tls" and flows[40200]["app_proto_orig"] == "smtp", flows
    assert flows[40201]["app_proto"] == "smtp" and "app_proto_orig" not in flows[40201], flows
    tls = events(d, "tls")
    assert len(tls) == 1 and tls[0]["tls"]["sni"] == "mail.example.com", tls
    smtp = [e for e in events(d, "smtp") if e["src_port"] == 40200]
    assert len(smtp) == 1 and smtp[0]["smtp"] == {"helo": "client.example"}, smtp
    anomalies = [e["anomaly"]["event"] for e in events(d, "anomaly") if e["src_port"] == 40201
                 or e["dest_port"] == 40201]
    assert "TLS_REJECTED" in anomalies, anomalies


IP_ONLY_RULES = "".join(l + "\n" for l in [
    'alert ip any any -> any any (msg:"ip"; sid:1;)',
    'alert tcp any any -> any any (msg:"tcp"; sid:2;)',
    'alert tcp any any -> any 80 (msg:"port 80"; sid:3;)',
    'alert tcp any any -> any !80 (msg:"not port 80"; sid:4;)',
    'alert tcp any any <> any any (msg:"both ways"; sid:5;)',
    'alert udp any any -> any any (msg:"udp"; sid:6;)',
    'alert ip any any -> any any (msg:"sets"; flowbits:set,seen; sid:7;)',
    'alert ip any any -> any any (msg:"isset"; flowbits:isset,seen; sid:8;)',
    'alert ip any any -> any any (msg:"xbits"; xbits:set,x,track ip_src; sid:9;)',
    'alert ip any any -> any any (msg:"threshold"; threshold:type threshold, track by_src, '
    'count 2, seconds 600; sid:10;)',
    'alert tcp any any -> any any (msg:"established"; flow:established; sid:11;)',
    'alert tcp any any -> any any (msg:"to server"; flow:to_server; sid:12;)',
    'alert ip any any -> any any (msg:"ttl"; ttl:64; sid:13;)',
    'alert tcp any any -> any any (msg:"ack"; flags:A; sid:14;)',
    'alert ip any any -> any any (msg:"flowint"; flowint:cnt,+,1; sid:15;)',
    'alert ip any any -> any any (msg:"tag"; tag:session,2,packets; sid:16;)',
])


def _ip_only_capture():
    """Two TCP conversations from one client (to ports 80 and 8080, 9 and 8 packets), a UDP
    query and answer, and a lone UDP datagram."""
    pkts = []
    for i, port in enumerate((80, 8080)):
        c = P.TcpConv("10.1.1.1", 40000 + i, "10.2.2.2", port, ts=1_700_002_000_000_000 + i * 10**8)
        c.handshake().send(True, b"hello").send(False, b"world")
        if port == 80:
            c.send(True, b"again")
        pkts += c.close().pkts
    t = 1_700_002_500_000_000
    pkts.append((t, P.frame(17, "10.1.1.1", "10.3.3.3", sport=5353, dport=53, payload=b"q")))
    pkts.append((t + 1000, P.frame(17, "10.3.3.3", "10.1.1.1", sport=53, dport=5353,
                                   payload=b"a")))
    pkts.append((t + 2000, P.frame(17, "10.1.1.1", "10.4.4.4", sport=5000, dport=6000,
                                   payload=b"x")))
    return pkts


SURICATA_IP_ONLY = {1: 7, 2: 4, 3: 1, 4: 3, 5: 4, 6: 3, 7: 7, 8: 20, 9: 7, 10: 3, 11: 11, 12: 11,
                    13: 20, 14: 4, 15: 20, 16: 7}


def case_ip_only():
    """Rules with nothing but addresses and ports (and flowbits set, xbits, tag, threshold) are
    Suricata's IP-only and "like IP-only" rules: inspected once per flow direction, on its first
    packet, so `alert tcp any any -> any any` alerts twice per TCP conversation, not once per
    packet. Rules with any packet keyword, flow keyword, other flowbits or flowint stay per
    packet. Expected: Suricata 7.0.10's alerts on this capture (single runmode, side by side),
    per sid, with and without an IP-only pass rule."""
    d = read_packets("iponly", _ip_only_capture(), rules_file("iponly.rules", IP_ONLY_RULES),
                     "-k", "none")
    got = collections.Counter(e["alert"]["signature_id"] for e in events(d, "alert"))
    want = SURICATA_IP_ONLY
    assert dict(got) == want, (sorted(got.items()), sorted(want.items()))
    # an IP-only pass rule passes the whole flow (both directions), as Suricata applies an
    # IP-only rule's action to the flow: nothing more of the 8080 conversation alerts
    rules = rules_file("iponly_pass.rules",
                       IP_ONLY_RULES + 'pass tcp any any -> any 8080 (msg:"pass"; sid:20;)\n')
    d = read_packets("iponly_pass", _ip_only_capture(), rules, "-k", "none")
    got = collections.Counter(e["alert"]["signature_id"] for e in events(d, "alert"))
    want = {1: 5, 2: 2, 3: 1, 4: 1, 5: 2, 6: 3, 7: 5, 8: 12, 9: 5, 10: 1, 11: 6, 12: 6, 13: 12,
            14: 2, 15: 12, 16: 5}
    assert dict(got) == want, (sorted(got.items()), sorted(want.items()))


def case_pass_scope():
    """Which pass rules pass the whole flow, as Suricata 7 decides: a match in the raw-stream
    window (or an IP-only, protocol-only or application-protocol rule) passes the flow, a plain
    packet match passes only its packet. On the ip_only capture: the port-80 conversation stops
    alerting once the window holding "hello" was inspected (packet 9's ACK alerts no more); on
    port 8080 only the data packets the dsize rule matched are passed. Expected: Suricata 7.0.10's
    (sid, packet) list on this capture, side by side."""
    rules = rules_file("pscope.rules", "".join(l + "\n" for l in [
        'pass tcp any any -> any 80 (msg:"stream pass"; content:"hello"; sid:30;)',
        'pass tcp any any -> any 8080 (msg:"packet pass"; flow:to_server; dsize:>0; sid:31;)',
        'alert tcp any any -> any any (msg:"ack"; flags:A; sid:2;)',
        'alert tcp any any -> any any (msg:"psh"; flags:AP; sid:3;)']))
    d = read_packets("pscope", _ip_only_capture(), rules, "-k", "none")
    got = sorted((e["alert"]["signature_id"], e.get("pcap_cnt")) for e in events(d, "alert"))
    want = [(2, 3), (2, 12), (2, 17), (3, 4), (3, 5), (3, 6), (3, 14)]
    assert got == want, got


def _smb_dcerpc_capture():
    """An SMB2 conversation on port 445 (negotiate, then a CREATE of a file under
    Windows\\System32, each answered) and a DCE/RPC bind on port 135, answered."""
    def nbss(b):
        return struct.pack("!I", len(b)) + b
    hdr = b"\xfeSMB" + b"\x40\x00" + b"\x00\x00" + b"\x00" * 4  # id, size, credits, status
    neg = hdr + b"\x00\x00" + b"\x00" * 50 + b"\x24\x00\x02\x00" + b"\x00" * 32
    resp = hdr + b"\x00\x00" + b"\x00" * 50 + b"\x41\x00" + b"\x00" * 40
    create = hdr + b"\x05\x00" + b"\x00" * 50 + "Windows\\System32\\evil.exe".encode("utf-16-le")
    c = P.TcpConv("10.1.1.1", 40000, "10.2.2.2", 445, ts=1_700_003_000_000_000)
    c.handshake().send(True, nbss(neg)).send(False, nbss(resp)).send(True, nbss(create))
    c.send(False, nbss(resp)).close()
    d = P.TcpConv("10.1.1.1", 40001, "10.2.2.2", 135, ts=1_700_003_100_000_000)
    d.handshake().send(True, bytes([5, 0, 11, 3, 0x10, 0, 0, 0, 0x48, 0, 0, 0, 1, 0, 0, 0]) +
                       b"\x00" * 56)
    d.send(False, bytes([5, 0, 12, 3, 0x10, 0, 0, 0, 0x44, 0, 0, 0, 1, 0, 0, 0]) + b"\x00" * 52)
    return c.pkts + d.close().pkts


def case_smb_dcerpc_recognised():
    """SMB and DCE/RPC are recognised (no parser): `alert smb` / `alert dcerpc` payload rules (ET
    Open's 36 smb rules are of this kind: this is sid 2027267's content) and app-layer-protocol
    apply, a dcerpc rule and app-layer-protocol:dcerpc also to SMB flows, as Suricata's
    AppProtoEquals. Expected: Suricata 7.0.10's (sid, packet) list on this capture, side by side
    (the app-layer-protocol rules on the first packet of their direction after the peer
    acknowledged that direction's data, as Suricata's IDS mode decides the protocol)."""
    rules = rules_file("smbrec.rules", "".join(l + "\n" for l in [
        'alert smb any any -> $HOME_NET any (msg:"smb system32"; flow:established,to_server; '
        'content:"|05 00|"; offset:16; depth:2; content:"|00|W|00|i|00|n|00|d|00|o|00|w|00|s|00 5c '
        '00|S|00|y|00|s|00|t|00|e|00|m|00|3|00|2|00|"; fast_pattern; sid:1;)',
        'alert dcerpc any any -> any any (msg:"dcerpc bind"; content:"|05 00 0b|"; sid:2;)',
        'alert dcerpc any any -> any any (msg:"dcerpc rule on smb"; content:"|fe|SMB"; sid:3;)',
        'alert tcp any any -> any any (msg:"smb"; app-layer-protocol:smb; flow:to_server; sid:4;)',
        'alert tcp any any -> any any (msg:"dcerpc"; app-layer-protocol:dcerpc; flow:to_client; '
        'sid:5;)',
        'alert smb any any -> any any (msg:"smb rule, dcerpc flow"; content:"|05 00 0b|"; sid:6;)']))
    d = read_packets("smbrec", _smb_dcerpc_capture(), rules, "-k", "none",
                     "--var", "HOME_NET=10.2.2.0/24")
    got = sorted((e["alert"]["signature_id"], e.get("pcap_cnt")) for e in events(d, "alert"))
    assert got == [(1, 6), (2, 16), (3, 8), (3, 9), (4, 6), (5, 7), (5, 17)], got
    protos = sorted((e["dest_port"], e.get("app_proto")) for e in events(d, "flow"))
    assert protos == [(135, "dcerpc"), (445, "smb")], protos


def _app_event_capture():
    """HTTP conversations to port 80, one request (and answer) each, from client ports 40001..:
    Transfer-Encoding "xchunked" (not the chunked token); chunked on HTTP/1.0; chunked on
    HTTP/1.1 (valid); identity; a valid request answered with "Transfer-Encoding: foo"; no Host;
    a Qlik-style tunnelling request (cookie, TE "chunked;q=1"); two Content-Lengths."""
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    convs = [
        (b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n", ok),
        (b"POST /b HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"5\r\nhello\r\n0\r\n\r\n", ok),
        (b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"5\r\nhello\r\n0\r\n\r\n", ok),
        (b"GET /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", ok),
        (b"GET /e HTTP/1.1\r\nHost: x\r\n\r\n",
         b"HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n\r\nok"),
        (b"GET /f HTTP/1.1\r\n\r\n", ok),
        (b"GET /resources/x.js HTTP/1.1\r\nHost: x\r\nCookie: X-Qlik-Session=1\r\n"
         b"Transfer-Encoding: chunked;q=1\r\n\r\n", ok),
        (b"POST /i HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
         b"hello!", ok),
    ]
    pkts = []
    for i, (req, resp) in enumerate(convs):
        c = P.TcpConv("10.1.1.1", 40001 + i, "10.2.2.2", 80, ts=1_700_004_000_000_000 + i * 10**7)
        pkts += c.handshake().send(True, req).send(False, resp).close().pkts
    return pkts


def case_app_layer_event():
    """app-layer-event on HTTP transactions: the events libhtp raises (a Transfer-Encoding
    without the chunked token, or chunked below HTTP/1.1; no Host; two Content-Lengths), kept per
    transaction; a rule with nothing else is inspected both ways (two alerts for one event), one
    with a buffer or flow:to_server once; a payload content beside the event sees the request's
    packet. Sid 7 is ET Open's 2048367 shape (Qlik CVE-2023-41265). Expected: Suricata 7.0.10's
    (sid, client port, direction) list on this capture, side by side. (Suricata raises them on the
    next client packet after the server's ACK, Vigil on the request's packet: not compared.)"""
    rules = rules_file("ale.rules", "".join(l + "\n" for l in [
        'alert http any any -> any any (msg:"te req"; flow:to_server; '
        'app-layer-event:http.invalid_transfer_encoding_value_in_request; sid:1;)',
        'alert http any any -> any any (msg:"te resp"; flow:to_client; '
        'app-layer-event:http.response_abnormal_transfer_encoding; sid:2;)',
        'alert http any any -> any any (msg:"no host"; app-layer-event:http.missing_host_header; '
        'sid:3;)',
        'alert http any any -> any any (msg:"te post"; flow:established,to_server; '
        'app-layer-event:http.invalid_transfer_encoding_value_in_request; http.method; '
        'content:"POST"; sid:4;)',
        'alert http any any -> any any (msg:"dup cl"; '
        'app-layer-event:http.duplicate_content_length_field_in_request; sid:5;)',
        'alert tcp any any -> any any (msg:"te hello"; '
        'app-layer-event:http.invalid_transfer_encoding_value_in_request; content:"hello"; sid:6;)',
        'alert http any any -> any any (msg:"qlik"; flow:established,to_server; '
        'app-layer-event:http.invalid_transfer_encoding_value_in_request; http.cookie; '
        'content:"X-Qlik-Session="; fast_pattern; sid:7;)']))
    d = read_packets("ale", _app_event_capture(), rules, "-k", "none")
    got = sorted((e["alert"]["signature_id"], max(e["src_port"], e["dest_port"]) - 40000,
                  "ts" if e["dest_port"] == 80 else "tc") for e in events(d, "alert"))
    want = [(1, 1, "ts"), (1, 2, "ts"), (1, 4, "ts"), (1, 7, "ts"), (3, 6, "tc"), (3, 6, "ts"),
            (4, 1, "ts"), (4, 2, "ts"), (5, 8, "tc"), (5, 8, "ts"), (6, 2, "ts"), (7, 7, "ts")]
    assert got == want, got
    anomalies = sorted((e["anomaly"]["event"], max(e["src_port"], e["dest_port"]) - 40000)
                       for e in events(d, "anomaly"))
    assert ("INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST", 3) not in anomalies, anomalies
    assert ("INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST", 7) in anomalies, anomalies


def _icmp4(src, dst, typ, code, rest):
    body = struct.pack("!BBH", typ, code, 0) + rest
    body = body[:2] + struct.pack("!H", P.csum(body)) + body[4:]
    return P.eth(P.ipv4(src, dst, 1, body))


def _icmp_error_capture():
    """UDP datagrams 10.1.1.1:40000 -> 10.2.2.2:1001..1004 and TCP SYN to :80, then ICMP errors:
    port unreachable from the server (1001), host unreachable from a router (1002), time
    exceeded from a router (1003, not type 3), two port unreachables quoting a datagram never
    seen, an admin-prohibited quoting the SYN with only 8 bytes of TCP header, a port
    unreachable from the client quoting a datagram of the server's (1004), and an echo."""
    pk, ts = [], [1_700_005_000_000_000]

    def add(f):
        pk.append((ts[0], f))
        ts[0] += 1000

    def quote(src, dst, proto, sport, dport, flags=0x02):
        l4 = P.l4(proto, src, dst, sport=sport, dport=dport, flags=flags, seq=100,
                  payload=b"probe" if proto == 17 else b"")
        return P.ipv4(src, dst, proto, l4)[:28]

    for port in (1001, 1002, 1003, 1004):
        add(P.frame(17, "10.1.1.1", "10.2.2.2", sport=40000, dport=port, payload=b"probe"))
        q = quote("10.1.1.1", "10.2.2.2", 17, 40000, port)
        if port == 1001:
            add(_icmp4("10.2.2.2", "10.1.1.1", 3, 3, b"\0" * 4 + q))
        elif port == 1002:
            add(_icmp4("10.9.9.9", "10.1.1.1", 3, 1, b"\0" * 4 + q))
        elif port == 1003:
            add(_icmp4("10.9.9.9", "10.1.1.1", 11, 0, b"\0" * 4 + q))
    q = quote("10.1.1.5", "10.2.2.2", 17, 5555, 53)
    add(_icmp4("10.2.2.2", "10.1.1.5", 3, 3, b"\0" * 4 + q))
    add(_icmp4("10.2.2.2", "10.1.1.5", 3, 3, b"\0" * 4 + q))
    add(P.frame(6, "10.1.1.1", "10.2.2.2", sport=40001, dport=80, flags=0x02, seq=100))
    add(_icmp4("10.2.2.2", "10.1.1.1", 3, 13, b"\0" * 4 + quote("10.1.1.1", "10.2.2.2", 6,
                                                                  40001, 80)))
    add(_icmp4("10.1.1.1", "10.2.2.2", 3, 3, b"\0" * 4 + quote("10.2.2.2", "10.1.1.1", 17,
                                                                 1004, 40000)))
    add(_icmp4("10.1.1.1", "10.2.2.2", 8, 0, b"\x00\x01\x00\x01ping"))
    return pk


def case_icmp_errors():
    """ICMPv4 errors as Suricata 7 handles them: a destination unreachable joins the UDP/TCP flow
    it quotes (a packet of its sender's side; the flow stays "new"), no error message starts a
    flow, and errors that join none are still inspected, without a flow. Expected: Suricata
    7.0.10's flows and (sid, packet, flow or not, direction) on this capture, side by side; the
    same events with 1 and 2 workers (the reader sends an error to its flow's worker)."""
    rules = rules_file("icmperr.rules", 'alert icmp any any -> any any (msg:"unreachable"; '
                       'itype:3; sid:1;)\n')
    pcap = os.path.join(TMP, "icmperr.pcap")
    P.write_pcap(pcap, _icmp_error_capture())
    runs = {}
    for n in (1, 2):
        d = fresh("icmperr%d" % n)
        vigil(pcap, "-S", rules, "-k", "none", "--workers", str(n), "--set",
              "behave.enabled=false", logdir=d)
        runs[n] = d
    d = runs[1]
    flows = sorted((e["proto"], e.get("dest_port"), e["flow"]["pkts_toserver"],
                    e["flow"]["pkts_toclient"], e["flow"]["state"]) for e in events(d, "flow"))
    assert flows == [("ICMP", None, 1, 0, "new"), ("TCP", 80, 1, 0, "new"),
                     ("UDP", 1001, 1, 1, "new"), ("UDP", 1002, 1, 1, "new"),
                     ("UDP", 1003, 1, 0, "new"), ("UDP", 1004, 2, 0, "new")], flows
    alerts = sorted((e["pcap_cnt"], e["src_ip"], e["proto"], e["icmp_type"], "flow_id" in e,
                     e.get("direction")) for e in events(d, "alert"))
    assert alerts == [(2, "10.2.2.2", "ICMP", 3, True, "to_client"),
                      (4, "10.9.9.9", "ICMP", 3, True, "to_client"),
                      (8, "10.2.2.2", "ICMP", 3, False, None),
                      (9, "10.2.2.2", "ICMP", 3, False, None),
                      (11, "10.2.2.2", "ICMP", 3, False, None),
                      (12, "10.1.1.1", "ICMP", 3, True, "to_server")], alerts
    for e in events(d, "alert"):  # attributed like every alert, from the packet's own ends
        assert e["vigil"]["category"] and e["vigil"]["attacker"]["ip"], e
    same = [sorted(json.dumps(e, sort_keys=True) for e in events(runs[n])
                   if e["event_type"] != "stats") for n in (1, 2)]
    assert same[0] == same[1], "1 and 2 workers differ"


def _decoder_events_capture():
    """Packets with decoder events and checksum errors: a 7-byte frame, a TCP header of 10
    bytes, a SYN with a bad TCP checksum, a UDP datagram with a bad IPv4 header checksum, one
    with a bad UDP checksum, an IPv4 packet cut short of its total length, a clean SYN, an IPv6
    datagram with a bad UDP checksum, a 4-byte UDP header, a UDP length of 4, a UDP length
    beyond the packet, a UDP length short of the packet (padding: valid)."""
    pk, ts = [], [1_700_007_000_000_000]

    def add(f):
        pk.append((ts[0], f))
        ts[0] += 1000

    def udp(ulen, body):
        return struct.pack("!HHHH", 53, 53, ulen, 0) + body

    add(b"\x00\x11\x22\x33\x44\x55\x66")
    add(P.eth(P.ipv4("10.0.0.1", "10.0.0.2", 6, b"\x04\xd2\x00\x50" + b"\x00" * 6)))
    f = bytearray(P.frame(6, "10.0.0.3", "10.0.0.4", sport=1111, dport=80, flags=0x02, seq=5))
    f[14 + 20 + 16] ^= 0xff
    add(bytes(f))
    f = bytearray(P.frame(17, "10.0.0.5", "10.0.0.6", sport=53, dport=5353, payload=b"hello"))
    f[14 + 10] ^= 0x55
    add(bytes(f))
    f = bytearray(P.frame(17, "10.0.0.7", "10.0.0.8", sport=1000, dport=2000, payload=b"abcd"))
    f[14 + 20 + 6] ^= 0x11
    add(bytes(f))
    ip = bytearray(P.ipv4("10.0.0.9", "10.0.0.10", 17,
                          P.l4(17, "10.0.0.9", "10.0.0.10", sport=1, dport=2, payload=b"x" * 20)))
    ip[2:4] = struct.pack("!H", 100)
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", P.csum(bytes(ip[:20])))
    add(P.eth(bytes(ip)))
    add(P.frame(6, "10.0.0.11", "10.0.0.12", sport=2222, dport=80, flags=0x02, seq=9))
    f = bytearray(P.eth(P.ipv6("2001:db8::1", "2001:db8::2", 17,
                               P.l4(17, "2001:db8::1", "2001:db8::2", sport=7, dport=9,
                                    payload=b"v6")), ethertype=0x86dd))
    f[14 + 40 + 6] ^= 0x22
    add(bytes(f))
    add(P.eth(P.ipv4("10.1.1.1", "10.1.1.2", 17, b"\x00\x35\x00\x35")))
    add(P.eth(P.ipv4("10.1.1.1", "10.1.1.2", 17, udp(4, b"x" * 40))))
    add(P.eth(P.ipv4("10.1.1.1", "10.1.1.2", 17, udp(100, b"x" * 40))))
    add(P.eth(P.ipv4("10.1.1.1", "10.1.1.2", 17, udp(20, b"x" * 40))))
    return pk


def case_decoder_events():
    """decode-event, the checksum keywords and the ipv4/ipv6 protocols, on packets too
    malformed for a flow as on valid ones. Expected: the (packet, sid) pairs Suricata 7.0.10
    raised on this capture with the same keywords (its own decoder-events rules, which these
    rules restate), the ports 0 it writes for an unreadable TCP header, the UDP datagram with
    padding kept in a flow; no alert on the clean SYN; the same with 1 and 2 workers."""
    rules = rules_file("decev.rules", "\n".join([
        'alert pkthdr any any -> any any (msg:"eth small"; decode-event:ethernet.pkt_too_small; sid:42;)',
        'alert pkthdr any any -> any any (msg:"tcp small"; decode-event:tcp.pkt_too_small; sid:33;)',
        # refused, as by Suricata: the prefix (it adds it itself), a quoted checksum value
        'alert pkthdr any any -> any any (msg:"prefixed"; decode-event:decoder.tcp.pkt_too_small; sid:34;)',
        'alert tcp any any -> any any (msg:"quoted"; tcpv4-csum:"valid"; sid:6;)',
        'alert pkthdr any any -> any any (msg:"ipv4 trunc"; decode-event:ipv4.trunc_pkt; sid:3;)',
        'alert pkthdr any any -> any any (msg:"udp hlen"; decode-event:udp.hlen_too_small; sid:39;)',
        'alert pkthdr any any -> any any (msg:"udp len"; decode-event:udp.len_invalid; sid:40;)',
        'alert pkthdr any any -> any any (msg:"udp small"; decode-event:udp.pkt_too_small; sid:38;)',
        'alert ip any any -> any any (msg:"ipv4 csum"; ipv4-csum:invalid; sid:73;)',
        'alert tcp any any -> any any (msg:"tcpv4 csum"; tcpv4-csum:invalid; sid:74;)',
        'alert udp any any -> any any (msg:"udpv4 csum"; udpv4-csum:invalid; sid:75;)',
        'alert udp any any -> any any (msg:"udpv6 csum"; udpv6-csum:invalid; sid:78;)',
        'alert ip 10.0.0.1 any -> any any (msg:"ip only"; sid:1;)',
        'alert ipv6 any any -> any any (msg:"v6"; sid:2;)',
        'alert ipv4 any any -> any any (msg:"v4 udp valid"; udpv4-csum:valid; sid:4;)',
        'alert tcp any any -> any any (msg:"tcpv4 valid"; tcpv4-csum:valid; sid:5;)',
    ]) + "\n")
    pcap = os.path.join(TMP, "decev.pcap")
    P.write_pcap(pcap, _decoder_events_capture())
    runs = {}
    for n in (1, 2):
        d = fresh("decev%d" % n)
        vigil(pcap, "-S", rules, "-k", "none", "--workers", str(n), "--set",
              "behave.enabled=false", logdir=d)
        runs[n] = d
    d = runs[1]
    alerts = sorted((e["pcap_cnt"], e["alert"]["signature_id"]) for e in events(d, "alert"))
    assert alerts == [(1, 42), (2, 1), (2, 33), (3, 74), (4, 4), (4, 73), (5, 75), (6, 3),
                      (7, 5), (8, 2), (8, 78), (9, 39), (10, 40), (11, 38)], alerts
    chk = json.loads(subprocess.run([ARGS.vigil, "rules", "check", "--json", rules],
                                    capture_output=True, text=True).stdout)
    failed = sorted(r["sid"] for r in chk["rules"] if r["status"] == "failed")
    assert failed == [6, 34], chk
    by = {(e["pcap_cnt"], e["alert"]["signature_id"]): e for e in events(d, "alert")}
    e = by[(2, 33)]  # no flow: the packet's own header, ports 0, attributed from it
    assert (e["src_ip"], e["src_port"], e["dest_port"], e["proto"]) == ("10.0.0.1", 0, 0,
                                                                        "TCP"), e
    assert "flow_id" not in e and e["vigil"]["attacker"]["ip"] == "10.0.0.1", e
    e = by[(1, 42)]  # not IP: no addresses, no attribution
    assert "src_ip" not in e and "vigil" not in e and "flow_id" not in e, e
    flows = sorted((e["src_ip"], e["flow"]["pkts_toserver"], e["flow"]["bytes_toserver"])
                   for e in events(d, "flow") if e["proto"] == "UDP" and e["src_ip"] == "10.1.1.1")
    assert flows == [("10.1.1.1", 1, 82)], flows
    same = [sorted((e["pcap_cnt"], e["alert"]["signature_id"]) for e in events(runs[n], "alert"))
            for n in (1, 2)]
    assert same[0] == same[1], "1 and 2 workers differ"


def _tcp_writer(t0):
    """A capture being built: the list of (time, frame) and t(src, dst, sp, dp, flags, seq, ack,
    data=b""), which appends one TCP segment 1 ms after the previous one (from t0)."""
    pk, ts = [], [t0]

    def t(src, dst, sp, dp, flags, seq, ack, data=b""):
        pk.append((ts[0], P.frame(6, src, dst, sport=sp, dport=dp, flags=flags, seq=seq, ack=ack,
                                  payload=data)))
        ts[0] += 1000
    return pk, t


def _stream_events_capture():
    """TCP anomalies the stream stage names as Suricata does: a SYN-ACK with a wrong ack; a SYN
    resent with another sequence number on an established session; a RST with an ack nobody
    sent; a SYN-ACK sent toward the server while the client's SYN waits; a SYN-ACK toward the
    server on an established session."""
    pk, t = _tcp_writer(1_700_008_000_000_000)
    C, S = "10.5.0.1", "10.5.0.2"

    def est(cp):
        t(C, S, cp, 80, 0x02, 100, 0)
        t(S, C, 80, cp, 0x12, 900, 101)
        t(C, S, cp, 80, 0x10, 101, 901)

    t(C, S, 40001, 80, 0x02, 100, 0)
    t(S, C, 80, 40001, 0x12, 900, 555)           # 2
    est(40002)
    t(C, S, 40002, 80, 0x02, 7777, 0)            # 6
    est(40004)
    t(S, C, 80, 40004, 0x14, 901, 99999)         # 10
    t(C, S, 40005, 80, 0x02, 100, 0)
    t(C, S, 40005, 80, 0x12, 300, 101)           # 12
    est(40006)
    t(C, S, 40006, 80, 0x12, 101, 901)           # 16
    return pk


def case_stream_events():
    """stream-event rules: each fires on the packet the stream stage raised its event on.
    Expected: the (packet, sid) pairs Suricata 7.0.10 raised on this capture with its own
    stream-events rules (restated here); a stream event Vigil never raises skips its rule with
    the reason, the stream. prefix is an error (Suricata adds it itself)."""
    rules = rules_file("strev.rules", "\n".join([
        'alert tcp any any -> any any (msg:"a"; stream-event:3whs_synack_with_wrong_ack; sid:7;)',
        'alert tcp any any -> any any (msg:"b"; stream-event:est_syn_resend_diff_seq; sid:27;)',
        'alert tcp any any -> any any (msg:"c"; stream-event:pkt_invalid_ack; sid:45;)',
        'alert tcp any any -> any any (msg:"d"; stream-event:rst_invalid_ack; sid:46;)',
        'alert tcp any any -> any any (msg:"e"; stream-event:3whs_synack_in_wrong_direction; sid:3;)',
        'alert tcp any any -> any any (msg:"f"; stream-event:est_synack_toserver; sid:25;)',
        'alert tcp any any -> any any (msg:"g"; stream-event:est_invalid_ack; sid:90;)',
        'alert tcp any any -> any any (msg:"h"; stream-event:stream.rst_invalid_ack; sid:91;)',
    ]) + "\n")
    pcap = os.path.join(TMP, "strev.pcap")
    P.write_pcap(pcap, _stream_events_capture())
    d = fresh("strev")
    vigil(pcap, "-S", rules, "-k", "none", "--set", "behave.enabled=false", logdir=d)
    alerts = sorted((e["pcap_cnt"], e["alert"]["signature_id"]) for e in events(d, "alert"))
    assert alerts == [(2, 7), (6, 27), (10, 45), (10, 46), (12, 3), (16, 25)], alerts
    chk = json.loads(subprocess.run([ARGS.vigil, "rules", "check", "--json", rules],
                                    capture_output=True, text=True).stdout)
    st = {r["sid"]: r["status"] for r in chk["rules"]}
    assert st[90] == "skipped" and st[91] == "failed", st


def _file_data_capture():
    """One HTTP exchange 10.8.0.1:43001 -> 10.8.0.2:80 whose response comes in two segments:
    the headers and the start of the body (with a meta tag), then the rest of the body."""
    pk, t = _tcp_writer(1_700_011_000_000_000)
    C, S, cp = "10.8.0.1", "10.8.0.2", 43001

    req = b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n"
    body = b"<html><head><meta http-equiv=X-UA-Compatible content=IE=Edge></head>" + \
        b"<body>" + b"x" * 600 + b"</body></html>"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body)
    first, rest = head + body[:100], body[100:]
    t(C, S, cp, 80, 0x02, 100, 0)
    t(S, C, 80, cp, 0x12, 900, 101)
    t(C, S, cp, 80, 0x10, 101, 901)
    t(C, S, cp, 80, 0x18, 101, 901, req)
    c2 = 101 + len(req)
    t(S, C, 80, cp, 0x10, 901, c2)
    t(S, C, 80, cp, 0x18, 901, c2, first)
    t(C, S, cp, 80, 0x10, c2, 901 + len(first))
    t(S, C, 80, cp, 0x18, 901 + len(first), c2, rest)
    s2 = 901 + len(first) + len(rest)
    t(C, S, cp, 80, 0x10, c2, s2)
    t(C, S, cp, 80, 0x11, c2, s2)
    t(S, C, 80, cp, 0x11, s2, c2 + 1)
    t(C, S, cp, 80, 0x10, c2 + 1, s2 + 1)
    return pk


def case_file_data_sides():
    """file_data in a rule without a flow direction inspects the response body in the
    to-client inspection (the alert goes server -> client), and a rule mixing a plain content
    with file_data matches the plain content on the raw stream, so a content in an earlier
    segment of the response than the one completing it counts. Expected: what Suricata 7.0.10
    raises on this capture with these rules (sids 1, 2 and 3, each once, from the server; it
    raises them at packet 11, the client's ACK of the response's end, Vigil at packet 8, the
    segment that completes the response, so packets are not compared)."""
    rules = rules_file("fdsides.rules", "".join(l + "\n" for l in [
        'alert ip any any -> any any (msg:"fd"; file_data; content:"content=IE=Edge"; sid:1;)',
        'alert ip any any -> any any (msg:"mix"; content:"content=IE=Edge"; file_data; '
        'content:"content=IE=Edge"; sid:2;)',
        'alert http any any -> any any (msg:"fd tc"; flow:to_client; file_data; '
        'content:"content=IE=Edge"; sid:3;)',
        'alert http any any -> any any (msg:"fd ts"; flow:to_server; file_data; '
        'content:"content=IE=Edge"; sid:4;)']))
    pcap = os.path.join(TMP, "fdsides.pcap")
    P.write_pcap(pcap, _file_data_capture())
    d = fresh("fdsides")
    vigil(pcap, "-S", rules, "-k", "none", "--set", "behave.enabled=false", logdir=d)
    alerts = sorted((e["alert"]["signature_id"], e["src_port"]) for e in events(d, "alert"))
    assert alerts == [(1, 80), (2, 80), (3, 80)], alerts


def _overlap_capture():
    """Three sessions whose client resends its first 8 bytes with other bytes at the same
    sequence number and length: before the server acknowledged them (port 42001), after (42002),
    and before, followed by a segment half over them with other bytes again (42003)."""
    pk, t = _tcp_writer(1_700_010_000_000_000)
    C, S = "10.7.0.1", "10.7.0.2"

    for cp, how in ((42001, "unacked"), (42002, "acked"), (42003, "partial")):
        t(C, S, cp, 80, 0x02, 100, 0)
        t(S, C, 80, cp, 0x12, 900, 101)
        t(C, S, cp, 80, 0x10, 101, 901)
        t(C, S, cp, 80, 0x18, 101, 901, b"AAAAAAAA")
        if how == "acked":
            t(S, C, 80, cp, 0x10, 901, 109)
        t(C, S, cp, 80, 0x18, 101, 901, b"BBBBBBBB")
        end = 109
        if how == "partial":
            t(C, S, cp, 80, 0x18, 105, 901, b"CCCCDDDD")
            end = 113
        t(S, C, 80, cp, 0x10, 901, end)
        t(C, S, cp, 80, 0x11, end, 901)
        t(S, C, 80, cp, 0x11, 901, end + 1)
        t(C, S, cp, 80, 0x10, end + 1, 902)
    return pk


def case_stream_overlap_diff():
    """stream-event:reassembly_overlap_different_data on resent bytes that differ. Vigil raises
    it on every packet whose bytes differ from bytes it still holds: the exact resend (same
    sequence number and length) in 42001 and 42003, and the half-overlapping segment in 42003;
    nothing in 42002, whose first bytes were acknowledged (and delivered) before the resend.
    Suricata 7.0.10 raises it only on 42003's half-overlapping segment: for an exact duplicate
    it compares the bytes but drops the result (docs/STREAM.md, "Overlap policy")."""
    rules = rules_file("ovl.rules", 'alert tcp any any -> any any (msg:"o"; '
                       'stream-event:reassembly_overlap_different_data; sid:50;)\n')
    pcap = os.path.join(TMP, "ovl.pcap")
    P.write_pcap(pcap, _overlap_capture())
    d = fresh("ovl")
    vigil(pcap, "-S", rules, "-k", "none", "--set", "behave.enabled=false", logdir=d)
    alerts = sorted((e["src_port"], e["pcap_cnt"]) for e in events(d, "alert"))
    assert alerts == [(42001, 5), (42003, 24), (42003, 25)], alerts
    st = [e for e in events(d, "stats")][-1]["stats"]
    assert st["tcp"]["overlap_diff_data"] == 3, st["tcp"]


def _tcp_close_capture():
    """Sessions ending mid-close or reset in syn_sent: the server's FIN acked; the client's FIN
    acked; the server's FIN then the client's FIN acking it; the client's FIN alone; a refusal
    (RST+ACK) with sequence number 0; one with another sequence number; the client's RST+ACK
    acknowledging a random number; the client's plain RST."""
    pk, t = _tcp_writer(1_700_009_000_000_000)
    C, S = "10.6.0.1", "10.6.0.2"

    for cp, how in ((41001, "server"), (41002, "client"), (41003, "server-client"),
                    (41004, "client-alone")):
        t(C, S, cp, 80, 0x02, 100, 0)
        t(S, C, 80, cp, 0x12, 900, 101)
        t(C, S, cp, 80, 0x10, 101, 901)
        if how == "server":
            t(S, C, 80, cp, 0x11, 901, 101)
            t(C, S, cp, 80, 0x10, 101, 902)
        elif how == "client":
            t(C, S, cp, 80, 0x11, 101, 901)
            t(S, C, 80, cp, 0x10, 901, 102)
        elif how == "server-client":
            t(S, C, 80, cp, 0x11, 901, 101)
            t(C, S, cp, 80, 0x11, 101, 902)
        else:
            t(C, S, cp, 80, 0x11, 101, 901)
    t(C, S, 41005, 81, 0x02, 100, 0)
    t(S, C, 81, 41005, 0x14, 0, 101)
    t(C, S, 41006, 82, 0x02, 100, 0)
    t(S, C, 82, 41006, 0x14, 511470441, 101)
    t(C, S, 41007, 83, 0x02, 100, 0)
    t(C, S, 41007, 83, 0x14, 101, 2578577687)
    t(C, S, 41008, 84, 0x02, 100, 0)
    t(C, S, 41008, 84, 0x04, 101, 0)
    return pk


def case_tcp_close_states():
    """TCP states in flow events as Suricata 7.0.10 names them (the close states from the
    server's side) and RSTs in syn_sent as it takes them. Expected: the (tcp.state, flow.state)
    Suricata 7.0.10 writes for each session of this capture."""
    pcap = os.path.join(TMP, "tcpclose.pcap")
    P.write_pcap(pcap, _tcp_close_capture())
    d = fresh("tcpclose")
    vigil(pcap, "-k", "none", "-S", "/dev/null", "--set", "behave.enabled=false", logdir=d)
    got = sorted((e["src_port"], e["tcp"].get("state"), e["flow"]["state"])
                 for e in events(d, "flow"))
    assert got == [(41001, "fin_wait2", "established"), (41002, "close_wait", "established"),
                   (41003, "time_wait", "closed"), (41004, "close_wait", "established"),
                   (41005, "closed", "closed"), (41006, "syn_sent", "new"),
                   (41007, "syn_sent", "new"), (41008, "syn_sent", "new")], got


def _tunnel_capture():
    """One HTTP conversation 192.168.1.1:4100N -> 192.168.1.2:80 through each of: VXLAN (UDP
    10.0.0.1:5555 -> 10.0.0.2:4789, inner Ethernet), GRE with IPv4 inside, GRE with Ethernet
    inside (0x6558), Geneve with IPv4 inside (UDP 10.0.4.1:6000 -> 10.0.4.2:6081)."""
    pk, ts = [], [1_700_006_000_000_000]

    def add(f):
        pk.append((ts[0], f))
        ts[0] += 1000

    def inner(cport):
        c = P.TcpConv("192.168.1.1", cport, "192.168.1.2", 80)
        c.handshake().send(True, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").close()
        return [f for _, f in c.pkts]

    for f in inner(41000):
        vx = struct.pack("!BxxxI", 0x08, 42 << 8) + f
        add(P.eth(P.ipv4("10.0.0.1", "10.0.0.2", 17, P.l4(17, "10.0.0.1", "10.0.0.2", sport=5555,
                                                         dport=4789, payload=vx))))
    for f in inner(41001):
        add(P.eth(P.ipv4("10.0.1.1", "10.0.1.2", 47, struct.pack("!HH", 0, 0x0800) + f[14:])))
    for f in inner(41002):
        add(P.eth(P.ipv4("10.0.2.1", "10.0.2.2", 47, struct.pack("!HH", 0, 0x6558) + f)))
    for f in inner(41004):
        gv = struct.pack("!BBHI", 0, 0, 0x0800, 7 << 8) + f[14:]
        add(P.eth(P.ipv4("10.0.4.1", "10.0.4.2", 17, P.l4(17, "10.0.4.1", "10.0.4.2", sport=6000,
                                                         dport=6081, payload=gv))))
    return pk


def case_tunnel_flows():
    """Tunnels as Suricata 7 counts them: a UDP tunnel (VXLAN, Geneve) keeps a flow of its own
    (app_proto "failed", every outer packet); the inner flow counts the bytes of Suricata's
    pseudo packet (from the inner IP header for VXLAN and for GRE or Geneve carrying IP, from the
    inner Ethernet header for GRE carrying Ethernet). Expected: Suricata 7.0.10's flow events on
    this capture, side by side; the same with 1 and 2 workers."""
    pcap = os.path.join(TMP, "tunnels.pcap")
    P.write_pcap(pcap, _tunnel_capture())
    runs = {}
    for n in (1, 2):
        d = fresh("tunnels%d" % n)
        vigil(pcap, "-k", "none", "--workers", str(n), logdir=d)
        runs[n] = sorted((e["proto"], e["src_port"], e["dest_port"], e.get("app_proto"),
                          e["flow"]["pkts_toserver"], e["flow"]["pkts_toclient"],
                          e["flow"]["bytes_toserver"], e["flow"]["bytes_toclient"])
                         for e in events(d, "flow"))
    want = [("TCP", 41000, 80, "http", 5, 3, 227, 160),
            ("TCP", 41001, 80, "http", 5, 3, 227, 160),
            ("TCP", 41002, 80, "http", 5, 3, 297, 202),
            ("TCP", 41004, 80, "http", 5, 3, 227, 160),
            ("UDP", 5555, 4789, "failed", 8, 0, 899, 0),
            ("UDP", 6000, 6081, "failed", 8, 0, 787, 0)]
    assert runs[1] == want, runs[1]
    assert runs[2] == want, runs[2]


# --- asn1 ------------------------------------------------------------------------------------

def _der(tag, body):
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    else:
        ln = bytes([0x81, n]) if n < 0x100 else bytes([0x82, n >> 8, n & 255])
    return bytes([tag]) + ln + body


def _spnego(pad):
    """A GSS-API [APPLICATION 0] token with SPNEGO's NegTokenInit, its mechToken an NTLMSSP
    NEGOTIATE message followed by pad zero bytes (2,048 < length of the token for pad 2100)."""
    mech = _der(0xa0, _der(0x30, _der(0x06, bytes.fromhex("2b06010401823702020a"))))
    tok = _der(0xa2, _der(0x04, b"NTLMSSP\x00\x01\x00\x00\x00" + b"\x00" * pad))
    return _der(0x60, _der(0x06, bytes.fromhex("2b0601050502")) +
                _der(0xa0, _der(0x30, mech + tok)))


def _smb1_session_setup(blob, unicode=False):
    """An SMB1 SESSION_SETUP_ANDX request (extended security) carrying blob, in its NetBIOS
    session header: the security blob starts 54 bytes after the header's "\xffSMBs"."""
    hdr = (b"\xffSMBs" + b"\x00" * 4 + b"\x18" + struct.pack("<H", 0xc807 if unicode else 0x4807)
           + b"\x00" * 12 + b"\x00\x00\xff\xfe\x00\x00\x10\x00")
    words = struct.pack("<BBBHHHHIHII", 12, 0xff, 0, 0, 4356, 50, 0, 0, len(blob), 0, 0x800000d4)
    data = blob + b"Unix\x00Samba\x00"
    body = hdr + words + struct.pack("<H", len(data)) + data
    return struct.pack("!I", len(body)) + body


# (payload hex, asn1 options) on UDP, one datagram each to port 7000 + index; the first word of
# a comment is what the payload is about.
_ASN1_UDP = [
    ("030110", "bitstring_overflow"),             # BIT STRING, 16 unused bits of 8: overflow
    ("030107", "bitstring_overflow"),             # 7 unused bits: fine
    ("030211ff", "bitstring_overflow"),           # 17 unused bits of 16: overflow
    ("0302ff", "bitstring_overflow"),             # truncated: no object
    ("2301ff030110", "bitstring_overflow"),       # constructed BIT STRING: decoding stops
    ("c30110", "bitstring_overflow"),             # private class: not a BIT STRING
    ("098201010505" + "05" * 255, "double_overflow"),  # REAL, 257 bytes, decimal form
    ("098201000505" + "05" * 254, "double_overflow"),  # 256 bytes: not over
    ("09820101" + "45" * 257, "double_overflow"),     # binary form (0x40 set)
    ("04820101" + "41" * 257, "oversize_length 256"),  # OCTET STRING of 257
    ("04820101" + "41" * 257, "oversize_length 257"),
    ("04820101" + "41" * 100, "oversize_length 10"),   # truncated: nothing decoded
    ("3006" + "3004" + "0402ffff", "oversize_length 3"),  # nested SEQUENCE over 3
    ("3003" + "0500" + "030110", "bitstring_overflow"),   # child past the parent's end: dropped
    ("3080" + "030110" + "0000", "bitstring_overflow"),   # indefinite SEQUENCE
    ("3080" + "030110", "bitstring_overflow"),            # ... without its end: nothing
    ("a080" + "030110" + "0000", "bitstring_overflow"),   # context class: opaque
    ("a003" + "030110", "oversize_length 2"),
    ("6080" + "0401ff" + "0000", "oversize_length 2"),    # indefinite length is never oversize
    ("0480" + "0000" + "030110", "bitstring_overflow"),   # primitive indefinite: stops
    ("1f8101020000" + "030110", "bitstring_overflow"),    # long-form tag
    ("0c02c328" + "030110", "bitstring_overflow"),        # invalid UTF-8: stops
    ("13024142" + "030110", "bitstring_overflow"),        # PrintableString
    ("170d3931303530363233343534305a" + "030110", "bitstring_overflow"),  # UTCTime
    ("1703313233" + "030110", "bitstring_overflow"),      # not a UTCTime: stops
    ("0100" + "030110", "bitstring_overflow"),            # BOOLEAN without a byte: stops
    ("0500" * 255 + "030110", "bitstring_overflow"),      # 256 objects: the limit
    ("0500" * 256 + "030110", "bitstring_overflow"),      # 257: nothing at all
    ("3080" * 49 + "030110" + "0000" * 49, "bitstring_overflow"),  # 49 levels deep
    ("3080" * 50 + "030110" + "0000" * 50, "bitstring_overflow"),  # 50: too deep
    ("4141030110", "bitstring_overflow, absolute_offset 2"),
    ("4141030110", "bitstring_overflow, absolute_offset 5"),      # at the end: nothing
    ("41410301ff", "bitstring_overflow, relative_offset 0"),       # after content "AA"
    ("41417803010f", "bitstring_overflow, relative_offset 1"),
    ("0301ff4141", "bitstring_overflow, relative_offset -5"),      # before the content
    ("0301ff4141", "bitstring_overflow, relative_offset -6"),      # before the payload
    ("41417803010f", "absolute_offset 3, bitstring_overflow, relative_offset 0"),  # absolute wins
]


def _smb1_andx_139(blob, unicode=False, jump=10):
    """An SMB1 request shaped for ET Open's port-139 "andx" NTLMSSP rules: command 0x75, an "s"
    at payload offset 39, a 16-bit little-endian jump after it that lands on a session-setup
    parameter block (capabilities 21 bytes in, the blob 27 bytes in)."""
    b = bytearray(60)
    b[4:9] = b"\xffSMB\x75"
    b[14:16] = struct.pack("<H", 0xc807 if unicode else 0x4807)
    b[39] = ord("s")
    b[40:42] = struct.pack("<H", jump)
    j = 42 + jump
    b += bytes(max(0, j + 27 - len(b)))
    b[j + 21:j + 25] = struct.pack("<I", 0x80000000)
    b = bytes(b[:j + 27]) + blob + b"Unix\x00"
    return struct.pack("!I", len(b) - 4) + b[4:]


def _asn1_rules():
    lines = []
    for i, (_, opts) in enumerate(_ASN1_UDP):
        pre = 'content:"AA"; ' if "relative_offset" in opts else ""
        lines.append('alert udp any any -> any %d (msg:"asn1 %d"; %sasn1:%s; sid:%d;)'
                     % (7000 + i, i, pre, opts, 7000 + i))
    et = ('flow:established,to_server; content:"|00|"; depth:1; content:"|FF|SMBs"; within:5; '
          'distance:3; byte_test:1,%s,128,6,relative; byte_test:4,&,2147483648,48,relative,little; '
          'content:!"NTLMSSP"; within:7; distance:54; asn1:double_overflow, bitstring_overflow, '
          'relative_offset 54, oversize_length 2048;')
    lines += [
        # ET Open sids 2102383 and 2103003 (NTLMSSP asn1 overflow, ASCII and Unicode): their
        # options, under sids of this test
        'alert tcp $EXTERNAL_NET any -> $HOME_NET 445 (msg:"et-like"; %s sid:1;)' % (et % "!&"),
        'alert tcp $EXTERNAL_NET any -> $HOME_NET 445 (msg:"et-like unicode"; %s sid:2;)'
        % (et % "&"),
        # the raw stream only (no depth): inspected when the data is acknowledged, on packets
        # without a payload of their own to decode, so never
        'alert tcp any any -> any 445 (msg:"stream"; flow:established,to_server; '
        'content:"|FF|SMBs"; asn1:oversize_length 2048, relative_offset 54; sid:3;)',
        'alert tcp any any -> any 445 (msg:"alone"; flow:to_server; asn1:oversize_length 2048, '
        'absolute_offset 63; sid:4;)',
        'alert tcp any any -> any 445 (msg:"dsize"; dsize:>100; content:"|FF|SMBs"; '
        'asn1:oversize_length 2048, relative_offset 54; sid:5;)',
        # after a sticky buffer: still the packet's payload, relative to the payload match
        'alert tcp any any -> any 445 (msg:"sticky"; content:"|FF|SMBs"; depth:9; http.uri; '
        'content:"x"; asn1:bitstring_overflow, relative_offset 54; sid:6;)',
    ]
    # ET Open sids 2103001 and 2103002 (port 139, "andx"): their options
    andx = ('flow:established,to_server; content:"|00|"; depth:1; content:"|FF|SMB"; within:4; '
            'distance:3; pcre:"/^(\\x75|\\x2d|\\x2f|\\xa2|\\x2e|\\x24|\\x74)/sR"; '
            'byte_test:1,%s,128,6,relative; content:"s"; depth:1; offset:39; '
            'byte_jump:2,0,little,relative; byte_test:4,&,2147483648,21,relative,little; '
            'content:!"NTLMSSP"; within:7; distance:27; asn1:double_overflow, bitstring_overflow, '
            'relative_offset 27, oversize_length 2048;')
    lines += ['alert tcp $EXTERNAL_NET any -> $HOME_NET 139 (msg:"et-like andx"; %s sid:7;)'
              % (andx % "!&"),
              'alert tcp $EXTERNAL_NET any -> $HOME_NET 139 (msg:"et-like andx unicode"; %s sid:8;)'
              % (andx % "&")]
    return "".join(l + "\n" for l in lines)


def _asn1_capture():
    """_ASN1_UDP's datagrams, then SMB1 session setups on port 445 (each conversation from its
    own client port 41001..): a GSS token over 2,048 bytes sent twice (answered in between),
    once then closed, a small one twice, the Unicode flavour, a BIT STRING overflow as the
    blob, a raw NTLMSSP blob (not SPNEGO), big then small, small then big, big twice without
    an answer; then the same kinds of blob on port 139 in _smb1_andx_139's shape, each sent
    twice with an answer between."""
    t = 1_700_000_000_000_000
    pkts = [(t + i * 1000, P.frame(17, "10.1.1.1", "10.2.2.2", sport=40000, dport=7000 + i,
                                   payload=bytes.fromhex(h)))
            for i, (h, _) in enumerate(_ASN1_UDP)]
    big, small = _smb1_session_setup(_spnego(2100)), _smb1_session_setup(_spnego(10))
    convs = [[big, "resp", big], [big, "resp"], [small, "resp", small],
             [_smb1_session_setup(_spnego(2100), unicode=True), "resp",
              _smb1_session_setup(_spnego(2100), unicode=True)],
             [_smb1_session_setup(bytes.fromhex("030201ff03010f"))] * 2,
             [_smb1_session_setup(b"NTLMSSP\x00\x01" + b"\x00" * 3000), "resp"],
             [big, "resp", small], [small, "resp", big], [big, big]]
    for k, steps in enumerate(convs):
        c = P.TcpConv("10.1.1.%d" % (k + 2), 41001 + k, "10.2.2.2", 445,
                      ts=t + (k + 1) * 1_000_000_000)
        c.handshake()
        for st in steps:
            if st == "resp":
                c.send(False, b"\x00\x00\x00\x08\xffSMBs\x00\x00\x00")
            else:
                c.send(True, st)
        pkts += c.close().pkts
    for k, blob in enumerate([_spnego(2100), _spnego(10), _spnego(2100), bytes.fromhex("030110"),
                              b"NTLMSSP\x00" + bytes(3000)]):
        req = _smb1_andx_139(blob, unicode=k == 2)
        c = P.TcpConv("10.1.1.%d" % (k + 20), 42001 + k, "10.2.2.2", 139,
                      ts=t + (k + 20) * 1_000_000_000)
        c.handshake().send(True, req).send(False, b"\x00\x00\x00\x04\xffSMB").send(True, req)
        pkts += c.close().pkts
    return pkts


def case_asn1():
    """asn1 on generated BER payloads (UDP: each check, truncation, indefinite lengths, classes,
    long tags, per-type validity, the 256-object and 50-level limits, absolute and relative
    offsets) and on SMB1 session setups carrying a SPNEGO/NTLMSSP blob with ET Open's NTLMSSP
    asn1 overflow rules' options. Expected: Suricata 7.0.10's (sid, pcap_cnt) list on this
    capture (HOME_NET 10.2.2.0/24), side by side."""
    rules = rules_file("asn1.rules", _asn1_rules())
    d = read_packets("asn1", _asn1_capture(), rules, "-k", "none",
                     "--var", "HOME_NET=10.2.2.0/24")
    got = sorted((e["alert"]["signature_id"], e.get("pcap_cnt")) for e in events(d, "alert")
                 if e["alert"]["gid"] == 1)
    assert got == _ASN1_WANT, got


# Suricata 7.0.10 on _asn1_capture() with _asn1_rules() (suricata --runmode single -k none
# --set vars.address-groups.HOME_NET=10.2.2.0/24), its (sid, pcap_cnt) list.
_ASN1_WANT = [
    (1, 41), (1, 43), (1, 50), (1, 76), (1, 77), (1, 92), (1, 103), (1, 110),
    (1, 111), (2, 67), (2, 69), (4, 41), (4, 43), (4, 50), (4, 67), (4, 69),
    (4, 92), (4, 103), (4, 110), (4, 111), (5, 41), (5, 43), (5, 50), (5, 67),
    (5, 69), (5, 92), (5, 103), (5, 110), (5, 111), (7, 118), (7, 120), (7, 145),
    (7, 147), (8, 136), (8, 138), (7000, 1), (7002, 3), (7006, 7), (7009, 10), (7012, 13),
    (7014, 15), (7017, 18), (7020, 21), (7022, 23), (7023, 24), (7026, 27), (7028, 29), (7030, 31),
    (7032, 33), (7033, 34), (7034, 35), (7036, 37)]


CASES = {k[5:]: v for k, v in globals().items() if k.startswith("case_")}


def main():
    global ARGS, TMP
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("case", choices=sorted(CASES))
    ARGS = ap.parse_args()
    TMP = tempfile.mkdtemp(prefix="vigil-e2e-")
    try:
        CASES[ARGS.case]()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print("ok", ARGS.case)


if __name__ == "__main__":
    main()
