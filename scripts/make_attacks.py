#!/usr/bin/env python3
"""Writes a small capture of attacks against a made-up network (the traffic the default rule set
is tested with): SQL injection, path traversal, Log4Shell, web shells, scanners, C2 look-alikes.
All addresses are documentation or private ranges. usage: make_attacks.py OUT.pcap"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import pktlib as P  # noqa: E402
from test_default_rules import triggers  # noqa: E402

pk = sorted((p for pkts in triggers().values() for p in pkts), key=lambda p: p[0])
P.write_pcap(sys.argv[1], pk)
