#!/usr/bin/env python3
"""The HTML report in headless Chromium (Debian's `chromium`): it loads offline without
errors, the browser's DOM has every chart the file has, and a screenshot shows them drawn —
bars in the bar colour, the map's sea and land with the attacking countries in their shades of
red (the dashboard's map, projected at build time; circles when built without it) and the time
series' lines.
Skips (77) when chromium is not installed.
usage: test_report_html.py --vigil PATH
"""
import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import pktlib as P  # noqa: E402
import test_store_report_e2e as E  # noqa: E402


def read_png(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit non-interlaced RGB/RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        ln, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + ln]
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and inter == 0, "unsupported PNG layout"
            bpp = 3 if ctype == 2 else 4
        elif typ == b"IDAT":
            idat += body
        pos += 12 + ln
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[i]
        cur = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = cur[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                cur[x] = (cur[x] + a) & 255
            elif f == 2:
                cur[x] = (cur[x] + b) & 255
            elif f == 3:
                cur[x] = (cur[x] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (cur[x] + pr) & 255
        rows.append([tuple(cur[x:x + 3]) for x in range(0, stride, bpp)])
        prev = cur
    return w, h, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    a = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("skip: chromium is not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="vigil-report-html-")
    try:
        rules = os.path.join(tmp, "t.rules")
        open(rules, "w").write(E.RULES)
        geo = os.path.join(tmp, "geoip")
        open(geo, "w").write(E.GEO)
        pa, pb = os.path.join(tmp, "a.pcap"), os.path.join(tmp, "b.pcap")
        P.write_pcap(pa, E.capture_a())
        P.write_pcap(pb, E.capture_b())
        store = os.path.join(tmp, "s.db")
        for p in (pa, pb):
            E.run([a.vigil, "read", p, "-S", rules, "--set", "attribution.databases=" + geo,
                   "-l", os.path.join(tmp, "l"), "--store", store, "-q", "--no-progress"])
        html = os.path.join(tmp, "report.html")
        E.run([a.vigil, "report", store, "-o", html])
        src = open(html, encoding="utf-8").read()
        rj = os.path.join(tmp, "report.json")
        E.run([a.vigil, "report", store, "--format", "json", "-o", rj])
        with open(rj) as f:
            origins = json.load(f)["tables"]["origins_country"]["rows"]
        attacking = set(r["country"] for r in origins if r["alerts"] > 0)
        E.check(len(attacking) >= 2, "the test's captures attack from several countries")
        # the map: every attacking country filled with a shade, no other country
        fills = dict((cc, fill) for fill, cc in re.findall(
            r'<path d="[^"]*" fill="(rgb\([0-9,]+\))"[^>]*data-cc="([A-Z]{2})"', src))
        shapes = "data-cc=" in src
        if shapes:
            E.check(set(fills) == attacking, "countries coloured on the map %s, attacking %s"
                    % (sorted(fills), sorted(attacking)))
        else:
            print("note: built without the map packages: circles at country centres")
        base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--no-first-run", "--disable-extensions", "--user-data-dir=" + os.path.join(tmp, "prof")]
        env = dict(os.environ, HOME=tmp)
        # offline: any network request would fail and leave a net error in the log
        r = subprocess.run(base + ["--enable-logging=stderr", "--v=0", "--dump-dom", "file://" + html],
                           capture_output=True, text=True, timeout=120, env=env)
        dom = r.stdout
        E.check(r.returncode == 0 and "</html>" in dom, "chromium loads the report (rc %d)" % r.returncode)
        E.check("ERR_" not in r.stderr and "Uncaught" not in r.stderr,
                "no load or script errors: %s" % [l for l in r.stderr.splitlines() if "ERR_" in l or "Uncaught" in l])
        for kind in ("bars", "series", "map"):
            n_src, n_dom = src.count('data-chart="%s"' % kind), dom.count('data-chart="%s"' % kind)
            E.check(n_src > 0 and n_src == n_dom, "chart %s: %d in the file, %d in the DOM" % (kind, n_src, n_dom))
        E.check("parsererror" not in dom, "no SVG parse error")
        shot = os.path.join(tmp, "shot.png")
        r = subprocess.run(base + ["--window-size=1000,4000", "--screenshot=" + shot, "file://" + html],
                           capture_output=True, text=True, timeout=120, env=env)
        E.check(os.path.exists(shot), "screenshot written (%s)" % r.stderr[-300:])
        if os.path.exists(shot):
            w, h, rows = read_png(shot)
            hit = set(tuple(int(x) for x in f[4:-1].split(",")) for f in fills.values())
            land = (0xdf, 0xe3, 0xd8) if shapes else (0xcf, 0xd8, 0xc4)
            count = {"bar": 0, "sea": 0, "land": 0, "circle": 0, "series": 0}
            for row in rows:
                for px in row:
                    if px == (0x1f, 0x77, 0xb4):
                        count["bar"] += 1
                    elif px == (0xee, 0xf4, 0xfa):
                        count["sea"] += 1
                    elif px == land:
                        count["land"] += 1
                    elif px in hit or (not shapes and px[0] > 195 and 90 <= px[1] <= 140
                                       and 90 <= px[2] <= 140):
                        count["circle"] += 1  # an attacking country's shade (or circle)
                    elif px == (0x2c, 0xa0, 0x2c):  # the third category's line (green)
                        count["series"] += 1
            want = {"bar": 2000, "sea": 50000, "land": 20000, "circle": 200, "series": 50}
            for k, v in want.items():
                E.check(count[k] >= v, "screenshot: %d %s pixels, want at least %d" % (count[k], k, v))
            print("screenshot %dx%d: %s" % (w, h, count))
        if not E.FAILED:
            print("ok: the report renders in chromium with its charts drawn")
        return 1 if E.FAILED else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
