#!/usr/bin/env python3
"""SYN flood from spoofed sources (issue 13's benchmark): N SYNs, each from a random source
address and port, to one victim, 100,000 per second of packet time. Writes the capture (once,
to bench/out/), runs `vigil read` with the default configuration and caps, and prints packets,
seconds, rate, flow events and the process's peak resident memory (from its final stats).

usage: python3 bench/flood.py [--packets 10000000] [--vigil build/vigil] [--workers N]
"""
import argparse
import json
import os
import random
import struct
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def write_flood(path, n):
    rnd = random.Random(10)
    eth = bytes.fromhex("000102030405000607080910") + b"\x08\x00"
    victim = bytes([192, 0, 2, 10])
    t0 = 1_700_000_000 * 1_000_000
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        buf = []
        for i in range(n):
            src = struct.pack("!I", rnd.getrandbits(32) | 0x01000000)
            tcp = struct.pack("!HHIIBBHHH", rnd.randrange(1024, 65535), 80, rnd.getrandbits(32),
                              0, 5 << 4, 0x02, 64240, 0, 0)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xFFFF, 0, 64, 6, 0, src, victim)
            ts = t0 + i * 10
            buf.append(struct.pack("<IIII", ts // 1000000, ts % 1000000, 54, 54) + eth + ip + tcp)
            if len(buf) == 65536:
                f.write(b"".join(buf))
                buf = []
        f.write(b"".join(buf))
    os.rename(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--packets", type=int, default=10_000_000)
    ap.add_argument("--vigil", default=os.path.join(HERE, "..", "build", "vigil"))
    ap.add_argument("--workers", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    path = os.path.join(HERE, "out", "synflood-%d.pcap" % a.packets)
    if not os.path.exists(path):
        write_flood(path, a.packets)
    with tempfile.TemporaryDirectory() as d:
        cmd = [a.vigil, "read", path, "-l", d, "-k", "none", "--no-progress", "-q"]
        if a.workers:
            cmd += ["--workers", str(a.workers)]
        t = time.monotonic()
        subprocess.run(cmd, check=True)
        secs = time.monotonic() - t
        flows = 0
        stats = None
        with open(os.path.join(d, "eve.json"), "rb") as f:
            for line in f:
                if line.startswith(b'{"timestamp"') and b'"event_type":"flow"' in line[:120]:
                    flows += 1
                elif b'"event_type":"stats"' in line[:120]:
                    stats = json.loads(line)["stats"]
    fl = stats["flow"]
    print("packets %d, %.1f s (whole process), %.0f kpkt/s" % (a.packets, secs,
                                                                a.packets / secs / 1e3))
    print("flow events %d, flow.total %d, forced %d, memcap hits %d, flow.memuse %.1f MiB"
          % (flows, fl["total"], fl["end"]["reason"]["forced"], fl["memcap"],
             fl["memuse"] / 2**20))
    print("peak resident memory %.1f MiB" % (stats["memory"]["rss_peak"] / 2**20))


if __name__ == "__main__":
    main()
