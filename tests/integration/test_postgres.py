"""PostgreSQL as a signed bundle (issue 9): `coffer manifest record` of the
server, `coffer sign`, and the server run from the bundle, with pgbench and
a parallel query against it over a UNIX socket.

The data directory is made natively (initdb) and the clients run natively;
only the server runs in the enclave. PostgreSQL refuses to run as root, and
the tests run as root: the server runs as the `postgres` user (or `nobody`)
through setpriv, from copies of coffer and coffer-enclave in a directory that
user can reach (the build directory may be under a private home). Skipped
when PostgreSQL is not installed (scripts/install-deps.sh installs it).
"""
import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, cli, run_env

BINS = sorted((os.path.dirname(p) for p in glob.glob("/usr/lib/postgresql/*/bin/postgres")),
              key=lambda p: int(p.split("/")[-2]))
pytestmark = pytest.mark.skipif(not BINS, reason="PostgreSQL is not installed (scripts/install-deps.sh)")
BIN = BINS[-1] if BINS else ""
PORT = "5432"  # only the name of the socket file: no TCP
ENV = run_env({"PATH": "/usr/bin:/bin", "LANG": "C"})


def server_user():
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    pytest.skip("no postgres or nobody user to run the server as")


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    """A work directory the server's user owns, with a fresh cluster (data),
    a socket directory (sock) and copies of coffer and coffer-enclave."""
    user = server_user() if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    work = tempfile.mkdtemp(prefix="coffer-pg-", dir="/tmp")
    os.chmod(work, 0o755)
    for name in ("coffer", "coffer-launcher", "coffer-tools", "coffer-enclave"):
        shutil.copy(BUILD / name, f"{work}/{name}")
    os.mkdir(f"{work}/sock")
    for p in (work, f"{work}/sock"):
        os.chown(p, user.pw_uid, user.pw_gid)
    as_user = [] if os.geteuid() != 0 else ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                                            "--clear-groups", "--"]
    r = subprocess.run(as_user + [f"{BIN}/initdb", "-D", f"{work}/data", "--auth=trust", "-U", "postgres",
                                  "-E", "UTF8", "--locale=C"], cwd=work, env=ENV, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    yield work, as_user
    shutil.rmtree(work, ignore_errors=True)


def client(work, tool, *args, timeout=300):
    """Run a native client against the server listening in work/sock."""
    r = subprocess.run([f"{BIN}/{tool}", "-h", f"{work}/sock", "-p", PORT, "-U", "postgres", *args], env=ENV,
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{tool} {args}: {r.stdout}{r.stderr}"
    return r.stdout


def start(work, cmd):
    """Start cmd (the server under coffer) and wait until it answers."""
    log = open(f"{work}/server.log", "a")
    proc = subprocess.Popen(cmd, cwd=work, env=ENV, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(600):
        if proc.poll() is not None:
            break
        if subprocess.run([f"{BIN}/pg_isready", "-q", "-h", f"{work}/sock", "-p", PORT], env=ENV).returncode == 0:
            return proc
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    pytest.fail(f"the server did not start: {open(f'{work}/server.log').read()[-3000:]}")


def stop(proc):
    """A fast shutdown (SIGINT, which coffer passes on to the server)."""
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


PARALLEL = ("SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; "
            "SET min_parallel_table_scan_size = 0; "
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT count(*) FROM pgbench_accounts")


def workload(work, scale, transactions):
    """pgbench's tables at `scale`, 4 clients of `transactions` each, and a
    query with parallel workers."""
    client(work, "pgbench", "-i", "-s", str(scale), "postgres")
    out = client(work, "pgbench", "-c", "4", "-j", "2", "-t", str(transactions), "postgres")
    assert f"number of transactions actually processed: {4 * transactions}/{4 * transactions}" in out, out
    plan = client(work, "psql", "-X", "-Atc", PARALLEL, "postgres")
    launched = re.search(r"Workers Launched: (\d+)", plan)
    assert launched and int(launched.group(1)) > 0, plan
    assert client(work, "psql", "-X", "-Atc", "SELECT count(*) FROM pgbench_accounts", "postgres") == \
        f"{scale * 100000}\n"
    return out


def coffer_shm_dirs():
    return {n for n in os.listdir("/dev/shm") if n.startswith("coffer.")}


def test_postgres_recorded_signed_and_run(pg, key):
    work, as_user = pg
    coffer = f"{work}/coffer"
    server = [f"{BIN}/postgres", "-D", f"{work}/data", "-p", PORT, "-k", f"{work}/sock",
              "-c", "listen_addresses=", "-c", "max_parallel_workers_per_gather=2"]

    # record a run through the code paths the bundle will need
    yaml = f"{work}/pg.yaml"
    proc = start(work, as_user + [coffer, "manifest", "record", "-o", yaml, "--", *server])
    workload(work, 1, 20)
    assert stop(proc) == 0, open(f"{work}/server.log").read()[-3000:]
    text = open(yaml).read()
    # shared memory, said with a comment; the libraries as one mount that
    # lists them; few mounts for a reviewer
    assert re.search(r"  # The program used POSIX shared memory.*\n(  #.*\n)*  - path: /dev/shm\n    type: shm\n",
                     text), text
    assert re.search(r"  - path: /usr/lib/x86_64-linux-gnu   # only the \d+ entries listed\n    type: trusted\n"
                     r"    files:\n(      - .*\n)*      - libpam\.so\.0\n", text), text
    nmounts = len(re.findall(r"^  - path: ", text, re.M))
    assert nmounts < 30, text
    assert f"  - path: {work}/data   # it used" in text

    r = cli("sign", "--key", key, yaml)
    assert r.returncode == 0, r.stderr
    bundle = f"{work}/pg.coffer"
    os.chmod(bundle, 0o644)

    before = coffer_shm_dirs()
    proc = start(work, as_user + [coffer, "run", bundle])
    try:
        workload(work, 2, 200)
        assert len(coffer_shm_dirs() - before) == 1  # the run's own, while it runs
    finally:
        status = stop(proc)
    log = open(f"{work}/server.log").read()
    assert status == 0, log[-3000:]
    assert "simulated SGX on the direct platform: identity checked" in log
    assert "could not open shared memory segment" not in log
    assert coffer_shm_dirs() - before == set()  # gone with the run
