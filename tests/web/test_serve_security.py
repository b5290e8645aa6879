#!/usr/bin/env python3
"""`vigil serve` security and bad input:

  * a non-loopback address without a token: refuses to start (exit 2, says why);
  * --token-file: made with mode 0600 when missing; a group/world-readable one is refused;
    requests without it or with a wrong one get 401 (JSON for the API, the login form for the
    page); the bearer header and the login form's HttpOnly cookie let requests through;
  * path traversal (plain, encoded, double-encoded, absolute, backslashes) → 404, nothing of
    the file system served;
  * an oversized header, URL or body, a malformed request line, an unknown HTTP version → 4xx/5xx
    and the next request is answered; stalled connections do not stop others from being served
    and are closed after --timeout;
  * stores that are missing, not SQLite, from a newer Vigil, or empty: a clear error at start;
    a store corrupted while serving: 503 with a JSON reason, and the server keeps answering.
usage: test_serve_security.py --vigil PATH
"""
import argparse
import json
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servelib as S  # noqa: E402

from servelib import FAILED, check  # noqa: E402


def raw(port, data, timeout=10):
    """Sends raw bytes; returns (status or None, whole answer)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
    except OSError:
        pass
    buf = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            buf += d
            if b"\r\n\r\n" in buf and b"content-length" not in buf.lower():
                break
            if b"\r\n\r\n" in buf:
                head, body = buf.split(b"\r\n\r\n", 1)
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        if len(body) >= int(line.split(b":")[1]):
                            s.close()
                            return status_of(buf), buf
    except OSError:
        pass
    s.close()
    return status_of(buf), buf


def status_of(buf):
    try:
        return int(buf.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def start_fails(vigil, args):
    r = subprocess.run([vigil, "serve", *args], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vigil-serve-sec-")
    servers = []
    try:
        store, _ = S.make_store(a.vigil, tmp)

        # --- binding ---
        for addr in ("0.0.0.0:0", "[::]:0", "192.0.2.1:0"):
            rc, err = start_fails(a.vigil, [store, "--listen", addr])
            check(rc == 2 and "refusing" in err and "token" in err,
                  "%s without a token refuses to start: %d %r" % (addr, rc, err))
        rc, err = start_fails(a.vigil, [store, "--listen", "localhost"])
        check(rc == 2 and "--listen" in err, "bad --listen: %r" % err)

        # --- tokens ---
        tf = os.path.join(tmp, "token")
        srv = S.Server(a.vigil, [store, "--token-file", tf])
        servers.append(srv)
        check(stat.S_IMODE(os.stat(tf).st_mode) == 0o600, "token file made with mode 0600")
        tok = open(tf).read().strip()
        check(len(tok) >= 32, "a long random token")
        st, h, body = srv.get("/api/v1/status")
        check(st == 401 and "error" in json.loads(body) and "bearer" in h.get("www-authenticate", "").lower(),
              "no token → 401 JSON with WWW-Authenticate (%d)" % st)
        wrong = tok[:-1] + ("0" if tok[-1] != "0" else "1")
        for t in (wrong, tok + "x", "", tok.upper() if tok.upper() != tok else tok + "A"):
            st, _, _ = srv.get("/api/v1/status", {"Authorization": "Bearer " + t})
            check(st == 401, "wrong token %r → 401 (%d)" % (t[:6], st))
        st, _, _ = srv.get("/api/v1/status", {"Authorization": "Bearer " + tok})
        check(st == 200, "right bearer token → 200 (%d)" % st)
        st, _, body = srv.get("/")
        check(st == 401 and b"<form" in body and b"/login" in body, "page without token → login form")
        st, _, body = srv.get("/app.js")
        check(st == 401 and b"<form" in body, "assets need the token too")
        st, h, _ = srv.get("/login", method="POST", body="token=" + wrong,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        check(st == 401 and "set-cookie" not in h, "login with a wrong token → 401, no cookie")
        st, h, _ = srv.get("/login", method="POST", body="token=" + tok,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        ck = h.get("set-cookie", "")
        check(st == 303 and h.get("location") == "/" and "HttpOnly" in ck and "SameSite=Strict" in ck,
              "login → 303 to / with an HttpOnly cookie: %d %r" % (st, ck))
        cookie = ck.split(";")[0]
        st, _, _ = srv.get("/api/v1/status", {"Cookie": cookie})
        check(st == 200, "the cookie lets API requests through (%d)" % st)
        st, _, body = srv.get("/", {"Cookie": cookie})
        check(st == 200 and b"<script" in body, "the cookie lets the page through")
        st, _, _ = srv.get("/api/v1/status", {"Cookie": cookie[:-2] + "zz"})
        check(st == 401, "a wrong cookie → 401")
        srv.stop()
        servers.remove(srv)
        os.chmod(tf, 0o644)
        rc, err = start_fails(a.vigil, [store, "--token-file", tf, "--listen", "127.0.0.1:0"])
        check(rc == 2 and "0600" in err, "a readable token file is refused: %r" % err)

        # --- traversal, bad requests ---
        srv = S.Server(a.vigil, [store, "--timeout", "2"])
        servers.append(srv)
        trav = ["/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                "/%252e%252e/%252e%252e/etc/passwd", "//etc/passwd", "/etc/passwd",
                "/vendor/../../../../etc/passwd", "/vendor/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                "/api/v1/../../../etc/passwd", "/index.html/../../../etc/passwd",
                "/..%5c..%5c..%5cetc%5cpasswd", "/%2fetc%2fpasswd", "/.%2e/.%2e/etc/passwd",
                "/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "/" + store, "/%00/etc/passwd"]
        for p in trav:
            st, ans = raw(srv.port, b"GET " + p.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            check(b"root:" not in ans and b"SQLite" not in ans, "traversal %s: nothing served" % p)
            # "%00" ends the decoded path: "/", the page itself
            check(st == 404 or (p == "/%00/etc/passwd" and st == 200 and b"<script" in ans),
                  "traversal %s → 404, got %s" % (p, st))
        st, _, _ = srv.get("/")
        check(st == 200, "the page is served (%d)" % st)

        def alive(what):
            st, _, _ = srv.get("/api/v1/status")
            check(st == 200, "server answers after %s (%d)" % (what, st))

        big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n"
        st, _ = raw(srv.port, big)
        check(st is not None and 400 <= st < 500, "oversized header → 4xx (%s)" % st)
        alive("an oversized header")
        st, _ = raw(srv.port, b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        check(st is not None and 400 <= st < 500, "oversized URL → 4xx (%s)" % st)
        alive("an oversized URL")
        st, _ = raw(srv.port, b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" + b"t" * 5000)
        check(st == 413, "oversized body → 413 (%s)" % st)
        alive("an oversized body")
        st, _ = raw(srv.port, b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + b"".join(b"400\r\n" + b"t" * 1024 + b"\r\n" for _ in range(8)) + b"0\r\n\r\n")
        check(st == 413, "oversized chunked body → 413 (%s)" % st)
        alive("an oversized chunked body")
        for junk in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
                     b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 64,
                     b"GET / HTTP/9.9\r\nHost: x\r\n\r\n"):
            st, _ = raw(srv.port, junk, timeout=5)
            check(st is None or 400 <= st < 600, "malformed %r → 4xx/5xx or closed (%s)" % (junk[:12], st))
            alive("malformed %r" % junk[:12])
        # stalled connections: others are still served; the stalled ones are closed
        stalled = []
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            s.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\n")
            stalled.append(s)
        t0 = time.time()
        for _ in range(10):
            alive("40 stalled connections")
        check(time.time() - t0 < 5, "served promptly beside stalled connections")
        time.sleep(3.5)
        closed = 0
        for s in stalled:
            try:
                s.settimeout(2)
                closed += s.recv(100) == b""
            except OSError:
                closed += 1
            s.close()
        check(closed == len(stalled), "stalled connections closed after --timeout (%d/%d)" % (closed, len(stalled)))
        alive("the timeouts")
        rc, out, err = srv.stop()
        servers.remove(srv)
        check(rc == 0 and "Sanitizer" not in err and "runtime error" not in err,
              "clean stop after the abuse: %d %r" % (rc, err[-1500:]))

        # --- bad stores ---
        rc, err = start_fails(a.vigil, [os.path.join(tmp, "nope.db"), "--listen", "127.0.0.1:0"])
        check(rc == 2 and "no such store" in err, "missing store: %r" % err)
        empty_dir = os.path.join(tmp, "emptydir")
        os.mkdir(empty_dir)
        rc, err = start_fails(a.vigil, [empty_dir, "--listen", "127.0.0.1:0"])
        check(rc == 2 and "no such store" in err and "vigil.db" in err, "log dir without a store: %r" % err)
        junk = os.path.join(tmp, "junk.db")
        open(junk, "w").write("x" * 4096)
        rc, err = start_fails(a.vigil, [junk, "--listen", "127.0.0.1:0"])
        check(rc == 2 and "not an SQLite database" in err, "junk store: %r" % err)
        newer = os.path.join(tmp, "newer.db")
        shutil.copy(store, newer)
        c = sqlite3.connect(newer)
        c.execute("INSERT INTO schema_version VALUES(99,'x','9')")
        c.commit()
        c.close()
        rc, err = start_fails(a.vigil, [newer, "--listen", "127.0.0.1:0"])
        check(rc == 2 and "newer" in err, "newer store: %r" % err)
        other = os.path.join(tmp, "other.db")
        c = sqlite3.connect(other)
        c.execute("CREATE TABLE t(x)")
        c.commit()
        c.close()
        rc, err = start_fails(a.vigil, [other, "--listen", "127.0.0.1:0"])
        check(rc == 2 and "not a Vigil store" in err, "foreign database: %r" % err)
        # corrupted while serving: 503 with a reason, and the server goes on
        corrupt = os.path.join(tmp, "corrupt.db")
        c = sqlite3.connect(store)
        c.execute("VACUUM INTO ?", (corrupt,))
        c.close()
        srv = S.Server(a.vigil, [corrupt])
        servers.append(srv)
        with open(corrupt, "r+b") as f:
            f.seek(4096)
            f.write(b"\xa5" * (os.path.getsize(corrupt) - 4096))
        for u in ("/api/v1/report", "/api/v1/alerts", "/api/v1/alerts/3", "/api/v1/incidents"):
            st, h, body = srv.get(u)
            try:
                reason = json.loads(body).get("error", "")
            except ValueError:
                reason = ""
            check(st == 503 and ("corrupt" in reason or "malformed" in reason or "not a database" in reason),
                  "%s on a corrupt store → 503 with the reason (%d %r)" % (u, st, body[:200]))
        st, _, _ = srv.get("/")
        check(st == 200, "the page is still served beside a corrupt store")
        rc, out, err = srv.stop()
        servers.remove(srv)
        check(rc == 0 and "Sanitizer" not in err, "clean stop with a corrupt store: %r" % err[-1500:])
        if not FAILED:
            print("ok: vigil serve refuses, rejects and survives what it should")
        return 1 if FAILED else 0
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
