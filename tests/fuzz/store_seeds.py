#!/usr/bin/env python3
"""Seeds for fuzz_report from a real event store: each seed is a filter and the store's rows
encoded as fuzz_report.c reads them (integers as full 64-bit cells, reals, text, NULLs), so the
fuzzer starts from a store that makes every report table non-empty.

usage: store_seeds.py STORE.db OUTDIR    (e.g. the demo's vigil-logs/vigil.db)
make_seeds.py does not make these: they need a store written by vigil."""
import os
import sqlite3
import struct
import sys

TABLES = ["runs", "captures", "signatures", "alerts", "incidents", "flows"]  # fuzz_report.c order


def cell(v):
    if v is None:
        return b"\x00"
    if isinstance(v, int):
        return b"\x02" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\x04" + struct.pack(">b", max(-128, min(127, int(v * 3))))
    if isinstance(v, bytes):
        return b"\x07" + bytes([min(len(v), 255)]) + v[:255]
    s = v.encode()[:255]
    return b"\x06" + bytes([len(s)]) + s


def rows(db, limit):
    out = b""
    for t, name in enumerate(TABLES):
        for r in db.execute("SELECT * FROM %s LIMIT %d" % (name, limit)):
            out += bytes([t]) + b"".join(cell(v) for v in r)
    return out


def main():
    db = sqlite3.connect(sys.argv[1])
    os.makedirs(sys.argv[2], exist_ok=True)
    whole = rows(db, 40)
    small = rows(db, 3)
    no_filter = b"\x00" + bytes(16)
    seeds = {
        "store_all": no_filter + whole,
        "store_small": no_filter + small,
        "store_country_cn": bytes([16]) + bytes(16) + whole,
        "store_category": bytes([8 | (1 << 5)]) + bytes(16) + whole,
        "store_period": bytes([3]) + struct.pack(">qq", 1699990000000000, 1700000400000000) + whole,
        "empty": no_filter,
    }
    for name, data in seeds.items():
        with open(os.path.join(sys.argv[2], name), "wb") as f:
            f.write(data)
    print("store_seeds: %d seeds in %s" % (len(seeds), sys.argv[2]))


if __name__ == "__main__":
    main()
