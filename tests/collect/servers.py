"""Throwaway Redis and PostgreSQL servers for the shipping/collect tests (loopback and unix
sockets only, data in a temporary folder, stopped at the end).

Redis: redis-server on 127.0.0.1 and a free port. PostgreSQL: initdb/pg_ctl from
/usr/lib/postgresql/*/bin on a unix socket in the temporary folder; PostgreSQL refuses to run
as root, so under root the cluster runs as the `postgres` user (runuser). Missing programs or an
impossible set-up raise Skip (the test exits 77 with the reason).
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


class Skip(Exception):
    pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Redis:
    def __init__(self, tmp, port=None):
        self.exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.cli = shutil.which("redis-cli") or "/usr/bin/redis-cli"
        if not os.access(self.exe, os.X_OK) or not os.access(self.cli, os.X_OK):
            raise Skip("redis-server/redis-cli not installed (scripts/setup-deps.sh)")
        self.dir = os.path.join(tmp, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.proc = None
        self.prefix = []  # e.g. ["ip", "netns", "exec", NS]: run it (and redis-cli) there

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def start(self, appendonly=False):
        self.proc = subprocess.Popen(
            self.prefix + [
                self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                "--save", "", "--appendonly", "yes" if appendonly else "no",
                "--protected-mode", "yes", "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if self.proc.poll() is not None:
                raise Skip("redis-server exited at start: " + self.log())
            r = subprocess.run(self.prefix + [self.cli, "-p", str(self.port), "PING"],
                               capture_output=True, text=True)
            if r.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise Skip("redis-server did not answer")

    def log(self):
        try:
            with open(os.path.join(self.dir, "redis.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def cmd(self, *args):
        r = subprocess.run(self.prefix + [self.cli, "-p", str(self.port)]
                           + [str(a) for a in args],
                           capture_output=True, encoding="utf-8", errors="replace", check=True)
        return r.stdout

    def stop(self):
        self.kill()


class Postgres:
    def __init__(self, tmp):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise Skip("PostgreSQL server not installed (scripts/setup-deps.sh)")
        self.bin = os.path.dirname(bins[-1])
        self.root = os.geteuid() == 0
        self.user = "postgres" if self.root else None
        if self.root:
            try:
                import pwd
                pwd.getpwnam("postgres")
            except KeyError:
                raise Skip("running as root and there is no 'postgres' user to run PostgreSQL")
            if not shutil.which("runuser"):
                raise Skip("running as root without runuser")
        self.tmp = tempfile.mkdtemp(prefix="vigil-pg-")
        os.chmod(self.tmp, 0o755)
        self.data = os.path.join(self.tmp, "data")
        self.sock = self.tmp
        self.port = free_port()
        if self.root:
            shutil.chown(self.tmp, "postgres", "postgres")
        self.started = False

    def _run(self, args, **kw):
        if self.root:
            args = ["runuser", "-u", "postgres", "--"] + args
        return subprocess.run(args, capture_output=True, text=True, **kw)

    @property
    def dsn(self):
        return "host=%s port=%d dbname=postgres user=%s" % (
            self.sock, self.port, "postgres" if self.root else os.environ.get("USER", "postgres"))

    def start(self):
        r = self._run([os.path.join(self.bin, "initdb"), "-D", self.data, "-A", "trust", "-E",
                       "UTF8", "--no-sync"])
        if r.returncode:
            raise Skip("initdb failed: " + r.stderr[-1000:])
        opts = "-k %s -p %d -c listen_addresses='' -c fsync=off -c max_connections=40" % (
            self.sock, self.port)
        r = self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-o", opts, "-l",
                       os.path.join(self.tmp, "pg.log"), "-w", "start"])
        if r.returncode:
            raise Skip("pg_ctl start failed: " + r.stderr[-1000:])
        self.started = True

    def sql(self, q):
        r = subprocess.run([os.path.join(self.bin, "psql"), "-X", "-q", "-At", "-v",
                            "ON_ERROR_STOP=1", "-d", self.dsn, "-c", q],
                           capture_output=True, text=True)
        if r.returncode:
            raise AssertionError("psql: %s: %s" % (q, r.stderr))
        return r.stdout.strip()

    def stop(self):
        if self.started:
            self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "immediate",
                       "-w", "stop"])
            self.started = False
        shutil.rmtree(self.tmp, ignore_errors=True)


def run_case(mod, tmp_prefix):
    """The main of a collection test script: `--vigil PATH --gen PATH CASE` runs mod's
    case_CASE() with mod.ARGS, mod.TMP (a temporary folder, world-readable for PostgreSQL's
    user), mod.REDIS and mod.PG (not started) set; the servers are stopped and the folder removed
    afterwards, also on a CTest timeout (SIGTERM). Returns the exit status: 0, 77 when the servers
    cannot run here, 2 for an unknown case."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("case")
    mod.ARGS = ap.parse_args()
    fn = getattr(mod, "case_" + mod.ARGS.case, None)
    if not fn:
        print("unknown case " + mod.ARGS.case, file=sys.stderr)
        return 2
    mod.TMP = tempfile.mkdtemp(prefix=tmp_prefix)
    os.chmod(mod.TMP, 0o755)

    def on_term(sig, frame):
        raise SystemExit("terminated by signal %d" % sig)
    signal.signal(signal.SIGTERM, on_term)
    try:
        mod.REDIS = Redis(mod.TMP)
        mod.PG = Postgres(mod.TMP)
        fn()
    except Skip as e:
        print("SKIP: " + str(e))
        return 77
    finally:
        if mod.REDIS:
            mod.REDIS.stop()
        if mod.PG:
            mod.PG.stop()
        shutil.rmtree(mod.TMP, ignore_errors=True)
    print("ok: " + mod.ARGS.case)
    return 0
