#!/usr/bin/env python3
"""Writes a small capture of attacks against a made-up network (10.1.0.0/16): SQL injection,
path traversal, Log4Shell, web shells, scanners, C2 look-alikes (the traffic the default rule set
is tested with, tests/e2e/test_default_rules.py), plus a port scan and an SSH password-guessing
run for the behavioural detectors.

The first wave comes from documentation addresses (no country, as in the tests). Later waves,
five minutes apart, replay part of it from addresses that the installed geo database
(/usr/share/tor/geoip, Debian's tor-geoipdb) places in various countries, so that the report's
tables by origin have something to show. Those hosts did nothing: the traffic is made up here and
never leaves this file. Without the geo database only the first wave is written.

usage: make_attacks.py OUT.pcap"""
import ipaddress
import os
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import pktlib as P  # noqa: E402
import test_default_rules as T  # noqa: E402

GEOIP = "/usr/share/tor/geoip"
# origin countries of the later waves, in order; the first also hosts a controller
COUNTRIES = ["CN", "RU", "US", "BR", "NL", "VN", "IN", "DE"]
WAVE_GAP_US = 300 * 1_000_000


def origins():
    """One address per country: a fixed offset into the first large range the database gives
    that country (deterministic for a given database build)."""
    found = {}
    try:
        with open(GEOIP) as f:
            for line in f:
                if line.startswith("#"):
                    continue
                parts = line.strip().split(",")
                if len(parts) != 3 or parts[2] not in COUNTRIES or parts[2] in found:
                    continue
                lo, hi = int(parts[0]), int(parts[1])
                if hi - lo >= 1024:
                    found[parts[2]] = str(ipaddress.ip_address(lo + 300))
    except OSError:
        return []
    return [(cc, found[cc]) for cc in COUNTRIES if cc in found]


def shifted(pkts, dt):
    return [(p[0] + dt,) + tuple(p[1:]) for p in pkts]


def port_scan(src, dst, t0):
    """SYNs to 60 ports of one host, answered by RSTs (a vertical scan)."""
    out = []
    for i, port in enumerate(range(20, 1220, 20)):
        ts = t0 + i * 50_000
        out.append((ts, P.frame(6, src, dst, sport=51000, dport=port, flags=0x02, seq=7)))
        out.append((ts + 1000, P.frame(6, dst, src, sport=port, dport=51000, flags=0x14,
                                       seq=0, ack=8)))
    return out


def ssh_guessing(src, dst, t0, tries=14):
    """Short SSH sessions, one after another: a password-guessing run."""
    out = []
    for i in range(tries):
        c = P.TcpConv(src, 52000 + i, dst, 22, ts=t0 + i * 2_000_000)
        c.handshake().send(False, b"SSH-2.0-OpenSSH_9.2p1\r\n")
        c.send(True, b"SSH-2.0-libssh2_1.10.0\r\n").send(True, b"\x00" * 64)
        c.send(False, b"\x00" * 48).close()
        out += c.pkts
    return out


def main():
    pk = [p for pkts in T.triggers().values() for p in pkts]
    sids = sorted(T.triggers())
    waves = origins()
    defaults = (T.ATT, T.C2, T.HOST)
    for k, (cc, addr) in enumerate(waves):
        T.ATT = addr
        T.HOST = "10.1.2.%d" % (10 + k % 3)               # a few internal clients
        T.C2 = waves[0][1] if k % 2 == 0 else waves[1 % len(waves)][1]  # two controllers
        t = T.triggers()
        # fewer kinds of attack from each later origin: the tables get a spread of counts
        keep = [s for s in sids if zlib.crc32(b"%d:%d" % (s, k)) % (k + 2) == 0] or sids[:1]
        for s in keep:
            pk += shifted(t[s], (k + 1) * WAVE_GAP_US)
    T.ATT, T.C2, T.HOST = defaults
    t_end = 1_700_000_000_000_000 + (len(waves) + 1) * WAVE_GAP_US
    scanner = waves[2][1] if len(waves) > 2 else T.ATT
    guesser = waves[1][1] if len(waves) > 1 else T.ATT
    pk += port_scan(scanner, T.WEB, t_end)
    pk += ssh_guessing(guesser, "10.1.1.22", t_end + 10_000_000)
    pk.sort(key=lambda p: p[0])
    P.write_pcap(sys.argv[1], pk)


if __name__ == "__main__":
    main()
