#!/usr/bin/env python3
"""The HTML report in headless Chromium (Debian's `chromium`): it loads offline without
errors, and a screenshot shows the map drawn — the map's sea and land with the attacking
countries in their shades of red (the dashboard's map, projected at build time; circles when
built without it). The file carries the report's JSON document (equal to `vigil report --format
json` but for generated_at) and loads nothing from elsewhere. Its bar and time charts (uPlot
through web/charts.js, inlined) are checked in the browser by report_browser.js (playwright-core
from web/node_modules): each chart holds the document's numbers (bars, series, points) and its
canvas shows them, no console error, no request; with script off the tables remain.
Skips (77) when chromium is not installed; the chart part needs node and web/node_modules, and
a build without uPlot must say that its report has no charts.
usage: test_report_html.py --vigil PATH [--out DIR]
"""
import argparse
import datetime
import html as H
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


ROOT = os.path.dirname(os.path.dirname(HERE))


def buckets(first, last):
    """Every timeline bucket from first to last ("2024-01-01T05:00:00Z", "2024-01-01" or
    "2024-01"), as the charts put them on their axis."""
    if len(first) == 7:
        y, m = int(first[:4]), int(first[5:7])
        out = []
        while "%04d-%02d" % (y, m) <= last:
            out.append("%04d-%02d" % (y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
    fmt, step = ("%Y-%m-%d", datetime.timedelta(days=1)) if len(first) == 10 else \
        ("%Y-%m-%dT%H:%M:%SZ", datetime.timedelta(hours=1))
    t, end, out = datetime.datetime.strptime(first, fmt), datetime.datetime.strptime(last, fmt), []
    while t <= end:
        out.append(t.strftime(fmt))
        t += step
    return out


def series_expect(rows):
    """What the time series of these timeline rows must hold: a line per category (sorted) over
    every bucket from the first to the last, zeros where the report has no row (also used by the
    dashboard's test, tests/web)."""
    cats = sorted(set(r["category"] for r in rows))
    bs = buckets(min(r["bucket"] for r in rows), max(r["bucket"] for r in rows))
    data = [[0] * len(bs) for _ in cats]
    for r in rows:
        data[cats.index(r["category"])][bs.index(r["bucket"])] += r["alerts"]
    return {"kind": "series", "series": len(cats), "points": len(bs), "categories": cats, "data": data}


def bars_expect(rows, value, most):
    """A bar per row (at most `most`) with the value column's numbers."""
    rows = rows[:most]
    return {"kind": "bars", "bars": len(rows), "values": [r[value] or 0 for r in rows]}


def expected_charts(src, doc):
    """What each chart placeholder of the file must draw, from the JSON document."""
    charts = []
    for attrs in re.findall(r'<figure class="chart" ([^>]*)>', src):
        f = dict(re.findall(r'data-([a-z]+)="([^"]*)"', attrs))
        rows = doc["tables"][f["table"]]["rows"]
        c = series_expect(rows) if f["chart"] == "series" else \
            bars_expect(rows, H.unescape(f["value"]), int(f["max"]))
        charts.append(dict(c, table=f["table"]))
    return charts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--out", default=None)
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
            doc = json.load(f)
        origins = doc["tables"]["origins_country"]["rows"]
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
        # self-contained: nothing is loaded from elsewhere
        E.check(not re.search(r'<(script|img|iframe|link)[^>]* (src|href)=', src) and "url(" not in src
                and "@import" not in src, "no external resource in the file")
        # the charts: the document they draw from is the report's, and one placeholder per
        # charted table with rows
        charted = {"timeline", "categories", "origins_country", "origins_asn", "c2_countries",
                   "top_attackers", "exploit_cves", "targets_hosts"}
        want_tables = sorted(t for t in charted if doc["tables"].get(t, {}).get("rows"))
        m = re.search(r'<script type="application/json" id="vigil-report">(.*?)</script>', src, re.S)
        with_charts = m is not None
        if with_charts:
            inline = json.loads(m.group(1))
            E.check(inline["generated_at"] != "" and
                    dict(inline, generated_at="") == dict(doc, generated_at=""),
                    "the file's data is the report's JSON document")
            charts = expected_charts(src, doc)
            E.check(sorted(c["table"] for c in charts) == want_tables,
                    "charts for %s, want %s" % (sorted(c["table"] for c in charts), want_tables))
            E.check(src.count("<script>") == 3 and "VigilCharts.drawReport" in src,
                    "uPlot, charts.js and the call that draws")
            E.check("<noscript>" in src, "a <noscript> line for readers without script")
        else:
            E.check("built without the chart package" in src and "<script" not in src and
                    'data-chart="bars"' not in src,
                    "a build without uPlot says its report has no charts")
            print("note: built without uPlot (web/node_modules): the report has no charts")
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
            E.check((n_src > 0 or (kind != "map" and not with_charts)) and n_src == n_dom,
                    "chart %s: %d in the file, %d in the DOM" % (kind, n_src, n_dom))
        E.check("parsererror" not in dom, "no SVG parse error")
        shot = os.path.join(tmp, "shot.png")
        r = subprocess.run(base + ["--window-size=1000,4000", "--screenshot=" + shot, "file://" + html],
                           capture_output=True, text=True, timeout=120, env=env)
        E.check(os.path.exists(shot), "screenshot written (%s)" % r.stderr[-300:])
        if os.path.exists(shot):
            w, h, rows = read_png(shot)
            hit = set(tuple(int(x) for x in f[4:-1].split(",")) for f in fills.values())
            land = (0xdf, 0xe3, 0xd8) if shapes else (0xcf, 0xd8, 0xc4)
            count = {"sea": 0, "land": 0, "circle": 0}
            for row in rows:
                for px in row:
                    if px == (0xee, 0xf4, 0xfa):
                        count["sea"] += 1
                    elif px == land:
                        count["land"] += 1
                    elif px in hit or (not shapes and px[0] > 195 and 90 <= px[1] <= 140
                                       and 90 <= px[2] <= 140):
                        count["circle"] += 1  # an attacking country's shade (or circle)
            want = {"sea": 50000, "land": 20000, "circle": 200}
            for k, v in want.items():
                E.check(count[k] >= v, "screenshot: %d %s pixels, want at least %d" % (count[k], k, v))
            print("screenshot %dx%d: %s" % (w, h, count))
        # the charts, drawn by the browser from the file
        node = shutil.which("node")
        pw = os.path.join(ROOT, "web", "node_modules", "playwright-core")
        if with_charts and node and os.path.isdir(pw) and os.path.exists("/usr/bin/chromium"):
            out = os.path.abspath(a.out or os.path.join(tmp, "shots"))
            os.makedirs(out, exist_ok=True)
            r = subprocess.run([node, os.path.join(HERE, "report_browser.js"),
                                json.dumps({"file": html, "out": out, "charts": charts})],
                               capture_output=True, text=True, timeout=240)
            print(r.stdout.strip())
            E.check(r.returncode == 0, "the charts in the browser (%s)" % r.stderr[-1500:])
        elif with_charts:
            print("note: no node, /usr/bin/chromium or playwright-core: the charts are not checked")
        if not E.FAILED:
            print("ok: the report renders in chromium with its map and charts drawn")
        return 1 if E.FAILED else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
