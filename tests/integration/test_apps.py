"""Debian's Node.js, Java, Redis, nginx and memcached under coffer, unmodified
(issue 4, compatibility items 1-6).

Each application runs twice: in a development run (`coffer run -- ...`)
and from a signed bundle whose strict manifest `coffer manifest record`
wrote from a run of the same workload. Clients are native programs
(redis-cli, curl, Python sockets) on 127.0.0.1, so what is checked is
what a user of the service sees. Servers get free ports; every wait has a
timeout that fails the test, never a timing threshold.
"""
import os
import pwd
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import COFFER, HERE, cli, native, stderr_lines, run_env

PROGRAMS = HERE / "programs"
ENV = run_env({"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8"})
NODE, JAVA, JAVAC = "/usr/bin/node", "/usr/bin/java", "/usr/bin/javac"
REDIS, REDIS_CLI = "/usr/bin/redis-server", "/usr/bin/redis-cli"
NGINX, MEMCACHED, CURL = "/usr/sbin/nginx", "/usr/bin/memcached", "/usr/bin/curl"


def need(*programs):
    missing = [p for p in programs if not os.path.exists(p)]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: run scripts/install-deps.sh")




class Modes:
    """How the application is started: a development run, a recording, or
    the signed bundle made from that recording."""

    def __init__(self, base, key):
        self.base, self.key = base, key
        self.yaml = base / "app.yaml"
        self.bundle = base / "app.coffer"

    def dev(self, argv):
        return [str(COFFER), "run", "--", *argv]

    def record(self, argv):
        return [str(COFFER), "manifest", "record", "-o", str(self.yaml), "--", *argv]

    def sign(self):
        r = cli("sign", "--key", self.key, self.yaml)
        assert r.returncode == 0, r.stderr
        return [str(COFFER), "run", str(self.bundle)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server started under coffer in the background."""

    def __init__(self, cmd, port, cwd=None, env=ENV):
        self.port = port
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                out, err = self.proc.communicate()
                pytest.fail(f"server exited with {self.proc.returncode} before listening:\n{out}\n{err}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.kill()
                    pytest.fail(f"nothing listens on port {port} after 60 s")
                time.sleep(0.05)

    def wait(self, timeout=60):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"server still running {timeout} s after it was asked to stop")
        return self.proc.returncode, out, err

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # coffer and everything it started
        except ProcessLookupError:
            pass
        self.proc.communicate()


# ---- Node.js ---------------------------------------------------------------------


def node_args(scratch):
    return [NODE, str(PROGRAMS / "node_app.js"), str(scratch)]


def node_run(cmd):
    env = dict(ENV, UV_USE_IO_URING="1")  # let libuv try io_uring: it must fall back
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


def test_node(tmp_path, key):
    need(NODE)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    nat = node_run(node_args(scratch))
    assert nat.returncode == 0, nat.stderr
    assert "http ok 1000" in nat.stdout and "workers true" in nat.stdout

    m = Modes(tmp_path, key)
    dev = node_run([str(COFFER), "run", "--trace", "--", *node_args(scratch)])
    assert dev.returncode == 0, dev.stderr[-3000:]
    assert dev.stdout == nat.stdout
    # libuv (1.45 and later) probes io_uring; the runtime refuses it and
    # libuv falls back to its thread pool
    uring = [l for l in dev.stderr.splitlines() if re.match(r"\[\d+\] io_uring_setup\(", l)]
    uv = subprocess.run([NODE, "-p", "process.versions.uv"], capture_output=True, text=True).stdout.strip()
    if tuple(map(int, uv.split("."))) >= (1, 45):
        assert uring, "libuv did not try io_uring"
    assert all(l.endswith("= -1 ENOSYS") for l in uring), uring

    rec = node_run(m.record(node_args(scratch)))
    assert rec.returncode == 0, rec.stderr
    assert rec.stdout == nat.stdout
    signed = node_run(m.sign())
    assert signed.returncode == 0, signed.stderr
    assert signed.stdout == nat.stdout


# ---- Java ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def java_classes(tmp_path_factory):
    need(JAVA, JAVAC)
    out = tmp_path_factory.mktemp("classes")
    r = subprocess.run([JAVAC, "-d", str(out), str(PROGRAMS / "JavaApp.java")], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    return out


def java_args(classes):
    return [JAVA, "-XX:-UsePerfData", "-cp", str(classes), "JavaApp"]


def test_java_version():
    need(JAVA)
    nat = native([JAVA, "-version"], env=ENV)
    dev = subprocess.run([str(COFFER), "run", "--", JAVA, "-version"], env=ENV, capture_output=True, text=True,
                         timeout=300)
    assert nat.returncode == dev.returncode == 0, dev.stderr
    assert stderr_lines(dev) == nat.stderr.splitlines()


def test_java(tmp_path, key, java_classes):
    want = "map 10560000\nexceptions 20000\nsockets HELLO FROM COFFER\n"
    nat = native(java_args(java_classes), env=ENV)
    assert (nat.returncode, nat.stdout) == (3, want), nat.stderr
    m = Modes(tmp_path, key)
    for cmd in (m.dev(java_args(java_classes)), m.record(java_args(java_classes))):
        r = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=600)
        assert (r.returncode, r.stdout) == (3, want), r.stderr  # System.exit(3) is coffer's status
    r = subprocess.run(m.sign(), env=ENV, capture_output=True, text=True, timeout=600)
    assert (r.returncode, r.stdout) == (3, want), r.stderr


# ---- Redis -----------------------------------------------------------------------


def redis_cli(port, *args, stdin=None):
    r = subprocess.run([REDIS_CLI, "-p", str(port), *args], input=stdin, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def redis_workload(port, dumpdir):
    sets = "".join(f"SET key:{i} value-{i * 7}\n" for i in range(1000))
    assert redis_cli(port, stdin=sets) == "OK\n" * 1000
    gets = "".join(f"GET key:{i}\n" for i in range(1000))
    assert redis_cli(port, stdin=gets) == "".join(f"value-{i * 7}\n" for i in range(1000))
    assert [redis_cli(port, "INCR", "counter") for _ in range(3)] == ["1\n", "2\n", "3\n"]
    assert redis_cli(port, "LPUSH", "list", "a", "b", "c") == "3\n"
    assert redis_cli(port, "LRANGE", "list", "0", "-1") == "c\nb\na\n"
    assert redis_cli(port, "EXPIRE", "key:0", "1000") == "1\n"
    assert 0 < int(redis_cli(port, "TTL", "key:0")) <= 1000
    # BGSAVE forks: the child writes the dump while the parent serves
    assert redis_cli(port, "BGSAVE") == "Background saving started\n"
    deadline = time.monotonic() + 60
    while "rdb_bgsave_in_progress:0" not in redis_cli(port, "INFO", "persistence"):
        assert time.monotonic() < deadline, "BGSAVE did not finish"
        time.sleep(0.1)
    assert "rdb_last_bgsave_status:ok" in redis_cli(port, "INFO", "persistence")
    assert (dumpdir / "dump.rdb").exists()
    assert redis_cli(port, "SHUTDOWN") == ""


def check_dump_natively(dumpdir):
    """A native redis-server loads the dump the one under coffer wrote."""
    port = free_port()
    p = subprocess.Popen([REDIS, "--port", str(port), "--dir", str(dumpdir), "--save", "", "--daemonize", "no"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if redis_cli(port, "PING") == "PONG\n":
                    break
            except AssertionError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert redis_cli(port, "DBSIZE") == "1002\n"
        assert redis_cli(port, "GET", "key:999") == f"value-{999 * 7}\n"
        assert redis_cli(port, "LRANGE", "list", "0", "-1") == "c\nb\na\n"
        assert redis_cli(port, "GET", "counter") == "3\n"
    finally:
        p.kill()
        p.wait()


@pytest.mark.parametrize("mode", ["dev", "signed"])
def test_redis(tmp_path, key, mode):
    need(REDIS, REDIS_CLI)
    m = Modes(tmp_path, key)
    data = tmp_path / "data"
    data.mkdir()
    argv = [REDIS, "--port", "PORT", "--bind", "127.0.0.1", "--dir", str(data), "--save", "", "--daemonize", "no",
            "--logfile", ""]

    def serve(wrap, port):
        cmd = wrap([str(port) if a == "PORT" else a for a in argv])
        s = Server(cmd, port)
        redis_workload(port, data)
        status, out, err = s.wait()
        assert status == 0, err
        assert "Redis is now ready to exit, bye bye..." in out
        check_dump_natively(data)
        (data / "dump.rdb").unlink()

    port = free_port()
    if mode == "dev":
        serve(m.dev, port)
    else:
        # the manifest fixes the arguments, port included: record and run with the same one
        serve(m.record, port)
        text = m.yaml.read_text()
        assert re.search(rf"- path: {re.escape(str(data))}.*\n    type: passthrough\n", text), text
        serve(lambda a: m.sign(), port)


# ---- nginx ------------------------------------------------------------------------

NGINX_CONF = """\
user {user};
worker_processes 2;
pid {base}/nginx.pid;
error_log {base}/error.log;
events {{ worker_connections 64; }}
http {{
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path {base}/tmp/body; proxy_temp_path {base}/tmp/proxy; fastcgi_temp_path {base}/tmp/fcgi;
  uwsgi_temp_path {base}/tmp/uwsgi; scgi_temp_path {base}/tmp/scgi;
  server {{ listen 127.0.0.1:{port}; root {base}/html; }}
}}
"""


def nginx_site(base, port):
    (base / "html").mkdir(exist_ok=True)
    (base / "tmp").mkdir(exist_ok=True)
    (base / "html" / "index.html").write_text("<h1>hello from coffer</h1>\n")
    (base / "html" / "blob.bin").write_bytes(bytes(range(256)) * 4000)
    conf = base / "nginx.conf"
    # workers run as the user who runs the test (as root: not nobody, who
    # could not read the test's directories)
    user = pwd.getpwuid(os.getuid()).pw_name
    conf.write_text(NGINX_CONF.format(base=base, port=port, user=user))
    return conf


def curl(port, name):
    r = subprocess.run([CURL, "-s", "-D", "-", "-o", "/dev/stdout", f"http://127.0.0.1:{port}/{name}"],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    headers = dict(l.split(": ", 1) for l in head.decode().split("\r\n")[1:])
    headers.pop("Date")
    return head.decode().split("\r\n")[0], headers, body


def nginx_workload(port, base, native_answers):
    for name in ("index.html", "blob.bin"):
        status, headers, body = curl(port, name)
        assert status == "HTTP/1.1 200 OK"
        assert body == (base / "html" / name).read_bytes()
        assert (status, headers) == native_answers[name][:2]
    # master and two workers: the workers are the master's children
    master = int((base / "nginx.pid").read_text())
    kids = subprocess.run(["ps", "--ppid", str(master), "-o", "pid="], capture_output=True, text=True).stdout.split()
    assert len(kids) == 2, kids


@pytest.mark.parametrize("mode", ["dev", "signed"])
def test_nginx(tmp_path, key, mode):
    need(NGINX, CURL)
    # what a native nginx answers, for the same files, headers and all
    nat_base = tmp_path / "native"
    nat_base.mkdir()
    nat_port = free_port()
    conf = nginx_site(nat_base, nat_port)
    s = Server([NGINX, "-c", str(conf), "-g", "daemon off;"], nat_port)
    try:
        native_answers = {name: curl(nat_port, name) for name in ("index.html", "blob.bin")}
    finally:
        subprocess.run([NGINX, "-c", str(conf), "-s", "quit"], timeout=60)
        s.wait()

    base = tmp_path / "site"
    base.mkdir()
    m = Modes(base, key)
    port = free_port()
    conf = nginx_site(base, port)
    for name in ("index.html", "blob.bin"):  # same modification times: same ETag and Last-Modified
        st = (nat_base / "html" / name).stat()
        os.utime(base / "html" / name, ns=(st.st_atime_ns, st.st_mtime_ns))
    argv = [NGINX, "-c", str(conf), "-g", "daemon off;"]
    modes = [m.dev] if mode == "dev" else [m.record, lambda a: m.sign()]
    for wrap in modes:
        s = Server(wrap(argv), port)
        nginx_workload(port, base, native_answers)
        # `nginx -s quit` from another run: it reads the pid file, but the
        # master is not one of its processes (docs/runtime.md, "The process
        # view"); from the host it works
        q = cli("run", "--", NGINX, "-c", conf, "-s", "quit", env=ENV)
        assert q.returncode == 1 and "No such process" in q.stderr, q.stderr
        q = subprocess.run([NGINX, "-c", str(conf), "-s", "quit"], capture_output=True, text=True, timeout=60)
        assert q.returncode == 0, q.stderr
        status, out, err = s.wait()
        assert status == 0, err
        assert not (base / "nginx.pid").exists()


# ---- memcached --------------------------------------------------------------------


def memcached_workload(port):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        f = s.makefile("rwb")
        for i in range(1000):
            value = f"value-{i}".encode() * (1 + i % 5)
            f.write(b"set key%d %d 0 %d\r\n%s\r\n" % (i, i, len(value), value))
        f.flush()
        for i in range(1000):
            assert f.readline() == b"STORED\r\n"
        for i in range(1000):
            f.write(b"get key%d\r\n" % i)
        f.flush()
        for i in range(1000):
            value = f"value-{i}".encode() * (1 + i % 5)
            assert f.readline() == b"VALUE key%d %d %d\r\n" % (i, i, len(value))
            assert f.readline() == value + b"\r\n"
            assert f.readline() == b"END\r\n"


@pytest.mark.parametrize("mode", ["dev", "signed"])
def test_memcached(tmp_path, key, mode):
    need(MEMCACHED)
    m = Modes(tmp_path, key)
    port = free_port()
    user = pwd.getpwuid(os.getuid()).pw_name
    argv = [MEMCACHED, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-u", user, "-t", "4"]
    modes = [m.dev] if mode == "dev" else [m.record, lambda a: m.sign()]
    for wrap in modes:
        s = Server(wrap(argv), port)
        memcached_workload(port)
        s.proc.send_signal(signal.SIGTERM)  # the program itself (record: coffer passes it on)
        status, out, err = s.wait()
        assert status in (0, -signal.SIGTERM, 128 + signal.SIGTERM), err
