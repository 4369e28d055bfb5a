#!/usr/bin/python3
"""Time programs natively and under coffer, and print coffer/native ratios.

    bench/run.py [--build DIR] [--repeat R] [--only NAME] [--calls N]

A benchmark, not a test: it reports and never passes or fails on timing.
It exits non-zero only when a case cannot run (a command fails natively or
under coffer, or the build is missing).

Each case is a command run twice per repeat, natively and as
`coffer run -- COMMAND` (or, for the signed cases, as `coffer run APP.coffer`
of a bundle recorded from COMMAND and signed first), wall-clock timed with time.perf_counter around
subprocess.run (output to /dev/null); the native run goes first in even
repeats and second in odd ones, so neither side always follows the other
(on a VM the previous run slows the next). Before timing, every command runs
once as a warm-up and must exit 0 both ways. For each case the table gives
the median native and coffer times and the ratio coffer/native of each
paired run as min / median / max over the repeats.

Cases are entries of CASES below; docs/performance.md says what each one
measures and records results. Standard library only.
"""

import argparse
import glob
import http.client
import os
import platform
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Case:
    """One benchmark: a command timed natively and under coffer.

    argv(ctx) builds the command from the run's context (build directory,
    --calls, ...). env adds variables to both runs, coffer_env to the coffer
    run only (say COFFER_PATCH=0 for an unpatched-path variant). calls(ctx),
    when set, is how many system calls one run makes: the report then adds
    the cost per call, with process start-up measured by baseline_argv(ctx)
    (the same program doing no calls) and subtracted.
    """
    name: str
    what: str
    argv: Callable[["Context"], List[str]]
    env: Dict[str, str] = field(default_factory=dict)
    coffer_env: Dict[str, str] = field(default_factory=dict)
    calls: Optional[Callable[["Context"], int]] = None
    baseline_argv: Optional[Callable[["Context"], List[str]]] = None
    unit: str = "call"  # what calls(ctx) counts, for the per-unit report
    # report coffer - native as the fixed cost of starting a program
    fixed_cost: bool = False
    needs: List[str] = field(default_factory=list)  # files that must exist
    # a signed bundle: prepare(ctx) makes it and returns the coffer command
    # that runs it (instead of `coffer run -- ARGV`)
    prepare: Optional[Callable[["Context"], List[str]]] = None


@dataclass
class Context:
    build: str
    calls: int
    coffer: str = ""
    work: str = ""  # a temporary directory for bundles and servers' files
    execs: int = 20         # the exec-chain case's N
    requests: int = 200000  # redis-benchmark -n
    duration: int = 5       # wrk -d and pgbench -T, seconds
    state: Dict[str, object] = field(default_factory=dict)  # what a service made once

    def __post_init__(self):
        self.coffer = os.path.join(self.build, "coffer")


# The environment of the signed cases, natively and in the manifest.
BUNDLE_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def signed_bundle(ctx: Context, name: str, argv: List[str]) -> List[str]:
    """Record argv with `coffer manifest record`, sign it with a throwaway
    key and return the command that runs the bundle: the strictest manifest
    for the program, only the files it uses."""
    base = os.path.join(ctx.work, name)
    cwd = os.path.join(base, "cwd")  # what the program sees as its cwd: empty
    os.makedirs(cwd)
    yaml, key = os.path.join(base, "app.yaml"), os.path.join(base, "signer.pem")
    for step in ([ctx.coffer, "manifest", "record", "-o", yaml, "--"] + argv,
                 [ctx.coffer, "keygen", "-o", key],
                 [ctx.coffer, "sign", "--key", key, yaml]):
        p = subprocess.run(step, cwd=cwd, env=BUNDLE_ENV, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
        if p.returncode != 0:
            raise BenchError(f"{name}: {' '.join(step[:3])} failed (exit status {p.returncode}):\n  "
                             + "\n  ".join(p.stderr.decode(errors="replace").strip().splitlines()[-5:]))
    return [ctx.coffer, "run", os.path.join(base, "app.coffer")]


def getppid_prog(ctx: Context) -> str:
    return os.path.join(ctx.build, "bench", "bench_getppid")


def execchain_prog(ctx: Context) -> str:
    return os.path.join(ctx.build, "bench", "bench_execchain")


def calls_case(name: str, what: str, mode: Optional[str] = None,
               coffer_env: Optional[Dict[str, str]] = None) -> "Case":
    """bench_getppid making N calls from one site (of `mode`, getppid if
    None), timed against the same program making none."""
    extra = [mode] if mode else []
    return Case(name=name, what=what,
                argv=lambda ctx: [getppid_prog(ctx), str(ctx.calls)] + extra,
                coffer_env=coffer_env or {},
                calls=lambda ctx: ctx.calls,
                baseline_argv=lambda ctx: [getppid_prog(ctx), "0"],
                needs=["bench/bench_getppid"])


CASES = [
    calls_case("getppid", "static program, N raw `syscall` getppid calls from one site (patched)"),
    calls_case("getppid-trap", "the same with COFFER_PATCH=0: every call traps (SIGSYS)",
               coffer_env={"COFFER_PATCH": "0"}),
    calls_case("sigmask", "N rt_sigprocmask queries from one site: answered in the runtime (fast path only)",
               "sigmask"),
    calls_case("fstat", "N fstat calls on a pipe: forwarded to the host through the marshaller "
               "(pointers passed, answer checked)", "fstat"),
    calls_case("fstat-copy", "the same with COFFER_BOUNDARY=copy: the stat copied through untrusted scratch, "
               "as on sgx", "fstat", coffer_env={"COFFER_BOUNDARY": "copy"}),
    Case(name="startup",
         what="static program making no call of its own (bench_getppid 0): the fixed cost",
         argv=lambda ctx: [getppid_prog(ctx), "0"],
         fixed_cost=True,
         needs=["bench/bench_getppid"]),
    Case(name="exec-chain",
         what="static program executing itself N times (--execs): the cost of an execve inside",
         argv=lambda ctx: [execchain_prog(ctx), str(ctx.execs)],
         calls=lambda ctx: ctx.execs,
         baseline_argv=lambda ctx: [execchain_prog(ctx), "0"],
         unit="execve",
         needs=["bench/bench_execchain"]),
    Case(name="python3-pass",
         what="Debian's python3 starting and exiting",
         argv=lambda ctx: ["/usr/bin/python3", "-c", "pass"],
         needs=["/usr/bin/python3"]),
    Case(name="node-e0",
         what="Debian's Node.js starting and exiting (node -e 0)",
         argv=lambda ctx: ["/usr/bin/node", "-e", "0"],
         needs=["/usr/bin/node"]),
    Case(name="java-version",
         what="OpenJDK 17 starting, printing its version, exiting",
         argv=lambda ctx: ["/usr/bin/java", "-version"],
         needs=["/usr/bin/java"]),
    Case(name="fileio",
         what="write and read back a 512 MiB file in 64 KiB pieces (host file system)",
         argv=lambda ctx: [os.path.join(ctx.build, "bench", "bench_fileio"),
                           os.path.join(ctx.work, "fileio.bin"), "512"],
         needs=["bench/bench_fileio"]),
    Case(name="fileio-copy",
         what="the same with COFFER_BOUNDARY=copy: every 64 KiB piece copied through untrusted scratch",
         argv=lambda ctx: [os.path.join(ctx.build, "bench", "bench_fileio"),
                           os.path.join(ctx.work, "fileio.bin"), "512"],
         coffer_env={"COFFER_BOUNDARY": "copy"},
         needs=["bench/bench_fileio"]),
    Case(name="python3-signed",
         what="the same from a signed bundle with a recorded (strict) manifest",
         argv=lambda ctx: ["/usr/bin/python3", "-c", "pass"],
         env=BUNDLE_ENV,
         prepare=lambda ctx: signed_bundle(ctx, "python3-signed", ["/usr/bin/python3", "-c", "pass"]),
         needs=["/usr/bin/python3"]),
]


class BenchError(Exception):
    pass


# ---- running ------------------------------------------------------------------


def under_coffer(ctx: Context, argv: List[str]) -> List[str]:
    return [ctx.coffer, "run", "--"] + argv


def environment(extra: Dict[str, str]) -> Dict[str, str]:
    if extra is BUNDLE_ENV:  # exactly what the manifest fixes, nothing more
        return dict(extra)
    env = dict(os.environ)
    env.update(extra)
    return env


def check(label: str, argv: List[str], env: Dict[str, str]) -> None:
    """Run argv once (the warm-up); it must exit 0."""
    try:
        p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=600)
    except OSError as e:
        raise BenchError(f"{label}: cannot run {argv[0]}: {e}")
    except subprocess.TimeoutExpired:
        raise BenchError(f"{label}: still running after 600 s: {' '.join(argv)}")
    if p.returncode != 0:
        tail = p.stderr.decode(errors="replace").strip().splitlines()[-5:]
        status = (f"killed by signal {-p.returncode}" if p.returncode < 0
                  else f"exit status {p.returncode}")
        msg = f"{label}: {status}: {' '.join(argv)}"
        if tail:
            msg += "\n  " + "\n  ".join(tail)
        raise BenchError(msg)


def timed(argv: List[str], env: Dict[str, str]) -> float:
    """Wall-clock seconds of one run (its exit status was checked at warm-up)."""
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t1 = time.perf_counter()
    if p.returncode != 0:
        raise BenchError(f"exit status {p.returncode} during timing: {' '.join(argv)}")
    return t1 - t0


@dataclass
class Pairs:
    native: List[float] = field(default_factory=list)
    coffer: List[float] = field(default_factory=list)

    def ratios(self) -> List[float]:
        return [c / n for n, c in zip(self.native, self.coffer)]


def measure(ctx: Context, case: Case, argv: List[str], repeat: int) -> Pairs:
    native_env = environment(case.env)
    coffer_env = environment(case.env if not case.coffer_env else {**case.env, **case.coffer_env})
    cargv = case.prepare(ctx) if case.prepare else under_coffer(ctx, argv)
    check(f"{case.name} (native)", argv, native_env)
    check(f"{case.name} (coffer)", cargv, coffer_env)
    pairs = Pairs()
    # Alternate which of the two goes first: on a VM the run before changes
    # the next one (its address space still being torn down, caches), and a
    # fixed order gave one side that penalty every time.
    for i in range(repeat):
        if i % 2:
            c = timed(cargv, coffer_env)
            pairs.native.append(timed(argv, native_env))
        else:
            pairs.native.append(timed(argv, native_env))
            c = timed(cargv, coffer_env)
        pairs.coffer.append(c)
    return pairs



# ---- services: throughput of a server under coffer -------------------------------
#
# A Service is a server started natively and then under `coffer run --`,
# each time driven by native clients that report operations per second; the
# ratio is coffer/native throughput (higher is better, 1.0 is native).


@dataclass
class Service:
    name: str
    what: str
    setup: Callable[["Context", int], List[str]]          # the server's argv
    clients: Callable[["Context", int], Dict[str, float]]  # metric -> ops/s
    stop: Callable[["Context", int], None]
    needs: List[str] = field(default_factory=list)
    # a signed bundle: signed(ctx, port) makes it (once) and returns the
    # command that runs it, instead of `coffer run -- SETUP`; its port is
    # in the signed argv, so port(ctx) gives the same one every time
    signed: Optional[Callable[["Context", int], List[str]]] = None
    port: Optional[Callable[["Context"], int]] = None
    # two instances can run at once (--side-by-side)
    side_by_side: bool = False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_client(argv: List[str]) -> str:
    p = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise BenchError(f"{' '.join(argv)}: exit status {p.returncode}: {p.stderr.strip()[-500:]}")
    return p.stdout


def redis_setup(ctx: "Context", port: int) -> List[str]:
    return ["/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--logfile", ""]


def redis_clients(ctx: "Context", port: int) -> Dict[str, float]:
    out = {}
    for pipeline in (1, 16):
        csv = run_client(["/usr/bin/redis-benchmark", "-p", str(port), "-q", "-n", str(ctx.requests),
                          "-c", "50", "-P", str(pipeline), "-t", "set,get,lpush", "--csv"])
        for line in csv.splitlines():
            cols = [c.strip('"') for c in line.split(",")]
            if len(cols) > 1 and cols[0] in ("SET", "GET", "LPUSH"):
                out[f"redis {cols[0]} -P {pipeline}"] = float(cols[1])
    if len(out) != 6:
        raise BenchError(f"redis-benchmark printed no numbers for some tests: {sorted(out)}")
    return out


def redis_stop(ctx: "Context", port: int) -> None:
    subprocess.run(["/usr/bin/redis-cli", "-p", str(port), "SHUTDOWN", "NOSAVE"], capture_output=True, timeout=60)


NGINX_CONF = """\
user {user};
worker_processes 2;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  client_body_temp_path {root}/tmp; proxy_temp_path {root}/tmp; fastcgi_temp_path {root}/tmp;
  uwsgi_temp_path {root}/tmp; scgi_temp_path {root}/tmp;
  server {{ listen 127.0.0.1:{port}; root {root}/html; }}
}}
"""


def nginx_setup(ctx: "Context", port: int) -> List[str]:
    root = os.path.join(ctx.work, "nginx")
    os.makedirs(os.path.join(root, "html"), exist_ok=True)
    os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
    for name, size in (("4k.bin", 4096), ("1m.bin", 1 << 20)):
        with open(os.path.join(root, "html", name), "wb") as f:
            f.write(bytes(i & 0xff for i in range(size)))
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(root=root, port=port, user=pwd.getpwuid(os.getuid()).pw_name))
    return ["/usr/sbin/nginx", "-c", conf, "-g", "daemon off;"]


def wrk(ctx: "Context", url: str) -> float:
    """Requests per second of wrk -t 2 -c 50 against url."""
    text = run_client(["/usr/bin/wrk", "-t", "2", "-c", "50", "-d", f"{ctx.duration}s", url])
    m = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    if not m or "Non-2xx" in text or "Socket errors" in text:
        raise BenchError(f"wrk against {url} failed:\n{text}")
    return float(m.group(1))


def nginx_clients(ctx: "Context", port: int) -> Dict[str, float]:
    return {f"nginx {name[:2]}": wrk(ctx, f"http://127.0.0.1:{port}/{name}") for name in ("4k.bin", "1m.bin")}


def nginx_stop(ctx: "Context", port: int) -> None:
    conf = os.path.join(ctx.work, "nginx", "nginx.conf")
    subprocess.run(["/usr/sbin/nginx", "-c", conf, "-s", "quit"], capture_output=True, timeout=60)


# PostgreSQL: a cluster made natively (initdb), the server run as the
# `postgres` user (it refuses root) from copies of coffer and coffer-enclave
# that user can reach, natively and from a bundle recorded and signed once,
# pgbench over loopback TCP as the client.
PG_BINS = sorted((os.path.dirname(p) for p in glob.glob("/usr/lib/postgresql/*/bin/postgres")),
                 key=lambda p: int(p.split("/")[-2]))
PG_BIN = PG_BINS[-1] if PG_BINS else "/usr/lib/postgresql/15/bin"
PG_SCALE = 10


def pg_root(ctx: "Context") -> str:
    """The cluster and the copies of coffer, made once; and the prefix that
    runs a command as the server's user."""
    root = os.path.join(ctx.work, "pg")
    if "pg_user" not in ctx.state:
        try:
            user = pwd.getpwnam("postgres") if os.getuid() == 0 else pwd.getpwuid(os.getuid())
        except KeyError:
            raise BenchError("postgres: no postgres user to run the server as (it refuses root)")
        ctx.state["pg_user"] = [] if os.getuid() != 0 else [
            "setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--"]
        os.chmod(ctx.work, 0o711)
        os.mkdir(root)
        for name in ("coffer", "coffer-launcher", "coffer-tools", "coffer-enclave"):
            shutil.copy(os.path.join(ctx.build, name), os.path.join(root, name))
        os.chown(root, user.pw_uid, user.pw_gid)
        p = subprocess.run(ctx.state["pg_user"] + [f"{PG_BIN}/initdb", "-D", f"{root}/data", "--auth=trust",
                                                   "-U", "postgres", "-E", "UTF8", "--locale=C"],
                           cwd=root, env=BUNDLE_ENV, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise BenchError(f"postgres: initdb failed: {p.stderr.strip()[-500:]}")
    return root


def pg_port(ctx: "Context") -> int:
    return ctx.state.setdefault("pg_port", free_port())


def pg_setup(ctx: "Context", port: int) -> List[str]:
    root = pg_root(ctx)
    return ctx.state["pg_user"] + [f"{PG_BIN}/postgres", "-D", f"{root}/data", "-p", str(port), "-k", root,
                                   "-c", "listen_addresses=127.0.0.1", "-c", "synchronous_commit=off"]


def pgbench(port: int, *args: str) -> str:
    return run_client([f"{PG_BIN}/pgbench", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", *args,
                       "postgres"])


def pg_ready(port: int) -> None:
    """The server accepts connections before it accepts sessions."""
    for _ in range(600):
        if subprocess.run([f"{PG_BIN}/pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)],
                          timeout=60).returncode == 0:
            return
        time.sleep(0.1)
    raise BenchError(f"postgres: not ready on port {port} after 60 s")


def pg_clients(ctx: "Context", port: int) -> Dict[str, float]:
    pg_ready(port)
    pgbench(port, "-i", "-q", "-s", str(PG_SCALE))
    out = {}
    for label, extra in (("tpcb", []), ("select", ["-S"])):
        text = pgbench(port, "-c", "4", "-j", "2", "-T", str(ctx.duration), *extra)
        m = re.search(r"^tps = ([0-9.]+) \(without initial connection time\)", text, re.M)
        if not m:
            raise BenchError(f"pgbench printed no rate:\n{text}")
        out[f"postgres {label}"] = float(m.group(1))
    return out


def pg_stop(ctx: "Context", port: int) -> None:
    subprocess.run(ctx.state["pg_user"] + [f"{PG_BIN}/pg_ctl", "stop", "-D", f"{pg_root(ctx)}/data", "-m", "fast",
                                           "-w"], capture_output=True, timeout=120)


def pg_signed(ctx: "Context", port: int) -> List[str]:
    """Record the server under a short pgbench load, sign it, and return the
    command that runs the bundle (made once)."""
    if "pg_bundle" in ctx.state:
        return ctx.state["pg_bundle"]
    root = pg_root(ctx)
    yaml, key = os.path.join(root, "pg.yaml"), os.path.join(ctx.work, "pg-signer.pem")
    argv = ctx.state["pg_user"] + [os.path.join(root, "coffer"), "manifest", "record", "-o", yaml, "--"] + \
        pg_setup(ctx, port)[len(ctx.state["pg_user"]):]
    proc = subprocess.Popen(argv, cwd=root, env=BUNDLE_ENV, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        wait_listening("postgres (recording)", proc, port)
        pg_ready(port)
        pgbench(port, "-i", "-q", "-s", "1")
        pgbench(port, "-c", "4", "-j", "2", "-T", "1")
        pgbench(port, "-c", "4", "-j", "2", "-T", "1", "-S")
        pg_stop(ctx, port)
        if proc.wait(timeout=120) != 0:
            raise BenchError(f"postgres: recording failed: {proc.stderr.read().decode(errors='replace')[-500:]}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for step in ([ctx.coffer, "keygen", "-o", key], [ctx.coffer, "sign", "--key", key, yaml]):
        p = subprocess.run(step, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise BenchError(f"postgres: {' '.join(step[:2])} failed: {p.stderr.strip()[-500:]}")
    os.chmod(os.path.join(root, "pg.coffer"), 0o644)
    ctx.state["pg_bundle"] = ctx.state["pg_user"] + [os.path.join(root, "coffer"), "run",
                                                     os.path.join(root, "pg.coffer")]
    return ctx.state["pg_bundle"]


def go_http_setup(ctx: "Context", port: int) -> List[str]:
    """tests/integration/progs/goprobe, built static (no libc) with Debian's Go."""
    sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration", "progs", "goprobe"))
    import build as gobuild
    try:
        probe = gobuild.build(cgo=False)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        raise BenchError(str(e))
    return [str(probe), "serve", f"127.0.0.1:{port}"]


def go_http_clients(ctx: "Context", port: int) -> Dict[str, float]:
    """The rate, and requests per second of the server's CPU time (its own
    count and getrusage, before and after): the second depends much less on
    what else the machine runs."""
    def stats():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=60) as f:
            served, cpu = f.read().split()
        return int(served), float(cpu)
    n0, cpu0 = stats()
    rate = wrk(ctx, f"http://127.0.0.1:{port}/")
    n1, cpu1 = stats()
    return {"go net/http": rate, "go req/CPU-s": (n1 - n0) / max(cpu1 - cpu0, 1e-6)}


def go_http_stop(ctx: "Context", port: int) -> None:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/quit", timeout=60).read()
    except (OSError, http.client.HTTPException):
        pass  # serve() reports a server that does not exit


SERVICES = [
    Service(name="redis", what="redis-benchmark -n N -c 50, SET/GET/LPUSH, -P 1 and -P 16",
            setup=redis_setup, clients=redis_clients, stop=redis_stop,
            needs=["/usr/bin/redis-server", "/usr/bin/redis-benchmark", "/usr/bin/redis-cli"]),
    Service(name="nginx", what="wrk -t 2 -c 50 against nginx (2 workers), 4 KiB and 1 MiB files",
            setup=nginx_setup, clients=nginx_clients, stop=nginx_stop,
            needs=["/usr/sbin/nginx", "/usr/bin/wrk"]),
    Service(name="postgres", what="pgbench -c 4 -j 2 -T S (TPC-B-like and -S) against PostgreSQL from a signed "
            "bundle",
            setup=pg_setup, clients=pg_clients, stop=pg_stop, signed=pg_signed, port=pg_port,
            needs=[f"{PG_BIN}/postgres", f"{PG_BIN}/pgbench", f"{PG_BIN}/initdb", f"{PG_BIN}/pg_ctl",
                   f"{PG_BIN}/pg_isready"]),
    Service(name="go-http", what="wrk -t 2 -c 50 against a Go net/http server (a static Go 1.19 program)",
            setup=go_http_setup, clients=go_http_clients, stop=go_http_stop,
            needs=["/usr/bin/go", "/usr/bin/wrk"], side_by_side=True),
]


def wait_listening(name: str, proc: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise BenchError(f"{name}: server exited with status {proc.returncode}: "
                             f"{proc.stderr.read().decode(errors='replace')[-500:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise BenchError(f"{name}: nothing listens on port {port} after 60 s")
            time.sleep(0.05)


def serve(ctx: "Context", svc: Service, coffer_runs: List[bool]) -> List[Dict[str, float]]:
    """Start the server once for each entry (natively, or under coffer when
    it is true), each on its own port, run the clients against all of them
    at once (one thread each), stop them; the rates in the same order."""
    procs, ports = [], []
    try:
        for under_coffer_ in coffer_runs:
            port = svc.port(ctx) if svc.port else free_port()
            argv = svc.setup(ctx, port)
            if under_coffer_:
                argv = svc.signed(ctx, port) if svc.signed else under_coffer(ctx, argv)
            ports.append(port)
            procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE, start_new_session=True))
        for proc, port in zip(procs, ports):
            wait_listening(svc.name, proc, port)
        results: List[object] = [None] * len(ports)

        def drive(i: int) -> None:
            try:
                results[i] = svc.clients(ctx, ports[i])
            except BenchError as e:
                results[i] = e
        threads = [threading.Thread(target=drive, args=(i,)) for i in range(len(ports))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results:
            if isinstance(r, BenchError):
                raise r
        for proc, port in zip(procs, ports):
            svc.stop(ctx, port)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                raise BenchError(f"{svc.name}: server did not stop within 60 s")
        return results  # type: ignore[return-value]
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

# ---- reporting ----------------------------------------------------------------


def machine() -> str:
    cpu, vm = "unknown CPU", False
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and cpu == "unknown CPU":
                    cpu = " ".join(value.split())
                elif key == "flags":
                    vm = vm or "hypervisor" in value.split()
    except OSError:
        pass
    cores = os.cpu_count() or 0
    try:
        load = "load average %.2f" % os.getloadavg()[0]
    except OSError:
        load = "load average unknown"
    return (f"{cpu}{' (virtual machine)' if vm else ''}, {cores} cores, "
            f"kernel {platform.release()}, {load}")


def revision() -> str:
    try:
        p = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True, timeout=10)
        rev = p.stdout.strip()
        if p.returncode == 0 and rev:
            d = subprocess.run(["git", "-C", HERE, "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
            return rev + ("+changes" if d.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        pass
    return "unknown"


def ms(s: float) -> str:
    return f"{s * 1000:.1f}"


def main() -> int:
    ap = argparse.ArgumentParser(
        description="Time each case natively and under coffer; print coffer/native ratios.",
        epilog="cases (wall time):\n" + "\n".join(f"  {c.name:<14} {c.what}" for c in CASES)
        + "\nservices (throughput):\n" + "\n".join(f"  {s.name:<14} {s.what}" for s in SERVICES),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.environ.get("COFFER_BUILD",
                                                      os.path.join(HERE, "..", "build")),
                    help="Meson build directory (default $COFFER_BUILD or ../build "
                         "beside this script)")
    ap.add_argument("--repeat", type=int, default=7, metavar="R",
                    help="timed native+coffer pairs per case (default 7)")
    names = [c.name for c in CASES] + [s.name for s in SERVICES]
    ap.add_argument("--only", metavar="NAME", choices=names,
                    help="run one case or service: " + ", ".join(names))
    ap.add_argument("--repeat-services", type=int, default=3, metavar="R",
                    help="native+coffer pairs per service (default 3)")
    ap.add_argument("--requests", type=int, default=200000, metavar="N",
                    help="redis-benchmark -n (default 200000)")
    ap.add_argument("--duration", type=int, default=5, metavar="S",
                    help="wrk and pgbench run length in seconds (default 5)")
    ap.add_argument("--side-by-side", action="store_true",
                    help="run the native and the coffer server of a pair at the same time, each "
                         "with its own clients, so that other load on the machine hits both "
                         "alike (services that allow it: go-http)")
    ap.add_argument("--calls", type=int, default=1000000, metavar="N",
                    help="system calls in the getppid case (default 1000000)")
    ap.add_argument("--execs", type=int, default=20, metavar="N",
                    help="execve calls in the exec-chain case (default 20)")
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.calls < 1 or args.execs < 1:
        ap.error("--calls and --execs must be at least 1")
    if min(args.repeat_services, args.requests, args.duration) < 1:
        ap.error("--repeat-services, --requests and --duration must be at least 1")

    ctx = Context(build=os.path.abspath(args.build), calls=args.calls, execs=args.execs,
                  work=tempfile.mkdtemp(prefix="coffer-bench-"),
                  requests=args.requests, duration=args.duration)
    cases = [c for c in CASES if args.only in (None, c.name)]
    services = [s for s in SERVICES if args.only in (None, s.name)]

    try:
        for path in ["coffer"] + [n for c in cases + services for n in c.needs]:
            full = os.path.join(ctx.build, path)
            if not os.path.exists(full):
                raise BenchError(f"{full} not found: build first (ninja -C {ctx.build})"
                                 if not os.path.isabs(path) else f"{path} not found")

        print(f"machine: {machine()}")
        print(f"coffer:  {ctx.coffer} (revision {revision()}), "
              f"{args.repeat} runs per case, wall clock, medians")
        notes = []
        if cases:
            print()
            head = f"{'case':<14} {'native ms':>10} {'coffer ms':>10}   coffer/native min / median / max"
            print(head)
            print("-" * len(head))
        for case in cases:
            p = measure(ctx, case, case.argv(ctx), args.repeat)
            r = p.ratios()
            nat, cof = statistics.median(p.native), statistics.median(p.coffer)
            print(f"{case.name:<14} {ms(nat):>10} {ms(cof):>10}   "
                  f"{min(r):.2f} / {statistics.median(r):.2f} / {max(r):.2f}",
                  flush=True)
            if case.fixed_cost:
                notes.append(f"{case.name}: fixed cost of `coffer run` {ms(cof - nat)} ms "
                             f"(coffer - native, medians: {ms(cof)} - {ms(nat)} ms)")
            if case.calls:
                n = case.calls(ctx)
                b = measure(ctx, case, case.baseline_argv(ctx), args.repeat)
                bnat, bcof = statistics.median(b.native), statistics.median(b.coffer)
                per_nat = (nat - bnat) / n * 1e9
                per_cof = (cof - bcof) / n * 1e9
                scale, unit = (1, "ns") if case.unit == "call" else (1000, "us")
                notes.append(
                    f"{case.name}: {n} {case.unit}s; per {case.unit} native {per_nat / scale:.0f} {unit}, "
                    f"coffer {per_cof / scale:.0f} {unit}, overhead {(per_cof - per_nat) / scale:.0f} {unit} "
                    f"({(per_cof - per_nat) / per_nat * 100:.0f}% of a native {case.unit}; "
                    f"coffer/native {per_cof / per_nat:.2f}) "
                    f"(start-up subtracted: the same program with 0 {case.unit}s takes "
                    f"{ms(bnat)} ms native, {ms(bcof)} ms under coffer)")
        if services:
            print()
            print(f"services: {args.repeat_services} native+coffer pairs each"
                  f"{' (side by side where the service allows it)' if args.side_by_side else ''}; "
                  f"throughput, higher is better")
            print()
            head = (f"{'service':<18} {'native/s':>10} {'coffer/s':>10}   "
                    f"coffer/native min / median / max")
            print(head)
            print("-" * len(head))
        for svc in services:
            runs: Dict[str, Pairs] = {}
            for _ in range(args.repeat_services):
                if args.side_by_side and svc.side_by_side:
                    nat, cof = serve(ctx, svc, [False, True])
                else:
                    nat, = serve(ctx, svc, [False])
                    cof, = serve(ctx, svc, [True])
                for metric in nat:
                    pr = runs.setdefault(metric, Pairs())
                    pr.native.append(nat[metric])
                    pr.coffer.append(cof[metric])
            for metric, pr in runs.items():
                r = pr.ratios()
                print(f"{metric:<18} {statistics.median(pr.native):>10.0f} "
                      f"{statistics.median(pr.coffer):>10.0f}   "
                      f"{min(r):.2f} / {statistics.median(r):.2f} / {max(r):.2f}", flush=True)
        if notes:
            print()
        for line in notes:
            print(line)
    except BenchError as e:
        sys.stdout.flush()
        print(f"bench: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        shutil.rmtree(ctx.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
