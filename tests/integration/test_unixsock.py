"""UNIX socket addresses in a signed bundle (docs/runtime.md, "UNIX
sockets"): a pathname resolves through the mount table as open's does,
addresses the host returns are enclave paths, and no host path outside the
mounts can be reached, bound next to, or learned.

The application is progs/unixprobe.c in a bundle with a trusted /app, a
passthrough /data, a read-only passthrough /ro and a tmpfs /tmp. A native
peer listens in a host directory under no mount (`outside`).
"""
import os
import shutil
import socket
import stat
import subprocess

import pytest

from conftest import COFFER, PROGS, cli, libc_entries, probe_manifest, run, trusted_mounts



class Bundle:
    def __init__(self, base, key):
        self.base = base
        self.app, self.data, self.ro, self.outside = (base / n for n in ("app", "data", "ro", "outside"))
        for d in (self.app, self.data, self.ro, self.outside):
            d.mkdir()
        shutil.copy(PROGS / "unixprobe", self.app / "unixprobe")
        (self.app / "hello.txt").write_text("hello\n")
        (self.ro / "there").write_text("x\n")
        ro = f"  - path: /ro\n    type: passthrough\n    source: {self.ro}\n    readonly: true\n"
        yaml = base / "app.yaml"
        yaml.write_text(probe_manifest("unixprobe", self.app, self.data, mounts=ro + trusted_mounts(libc_entries())))
        self.bundle = base / "app.coffer"
        r = cli("sign", "--key", key, yaml, "-o", self.bundle)
        assert r.returncode == 0, r.stderr

    def run(self, *ops, **kw):
        return cli("run", self.bundle, "--", *ops, **kw)

    def popen(self, *ops):
        return subprocess.Popen([str(COFFER), "run", str(self.bundle), "--", *ops], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def b(tmp_path, key):
    # a short base: host paths of sockets must fit in sun_path
    base = tmp_path / "b"
    base.mkdir()
    return Bundle(base, key)


def results(proc):
    """'OP ARG: RESULT' lines -> {(op, arg): result}."""
    assert proc.returncode == 0, proc.stderr
    out = {}
    for line in proc.stdout.splitlines():
        head, sep, result = line.partition(": ")
        if sep:
            op, _, arg = head.partition(" ")
            out[(op, arg)] = result
    return out


def listener(path, kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_UNIX, kind)
    s.bind(str(path))
    if kind == socket.SOCK_STREAM:
        s.listen(8)
    return s


# ---- the passthrough mount -------------------------------------------------------


def test_server_and_client_through_the_passthrough_mount(b):
    got = results(b.run("pair:/data/s", "chdir:/data", "mkdir:sub", "pair:sub/../rel"))
    # own names as bound, the peer as connected, accept's client unnamed
    assert got[("pair", "/data/s")] == ("ok srv=/data/s[10] peer=/data/s[10] acc=unnamed[2] "
                                        "accname=/data/s[10] accpeer=unnamed[2] data=ok")
    assert got[("pair", "sub/../rel")] == ("ok srv=sub/../rel[13] peer=/data/rel[12] acc=unnamed[2] "
                                           "accname=sub/../rel[13] accpeer=unnamed[2] data=ok")
    # the socket files are in the mount's host directory
    assert stat.S_ISSOCK((b.data / "s").lstat().st_mode)
    assert stat.S_ISSOCK((b.data / "rel").lstat().st_mode)


def test_symlinks_inside_the_mounts_lead_to_sockets(b):
    """connect follows symlinks as open does: the mount's own (an absolute
    target means the mount's root) and the runtime's (tmpfs); bind does
    not follow a final one. The socket is left without a listener, so a
    connect that reaches it is refused and one that does not finds nothing."""
    got = results(b.run("bind:/data/s", "symlink:s=/data/rel", "symlink:/s=/data/abs", "symlink:/data/s=/tmp/l",
                        "connect:/data/rel", "connect:/data/abs", "connect:/tmp/l", "bind:/data/rel",
                        "bind:/tmp/l", "connect:/data/gone"))
    assert got == {("bind", "/data/s"): "ok", ("symlink", "s=/data/rel"): "ok", ("symlink", "/s=/data/abs"): "ok",
                   ("symlink", "/data/s=/tmp/l"): "ok", ("connect", "/data/rel"): "ECONNREFUSED",
                   ("connect", "/data/abs"): "ECONNREFUSED", ("connect", "/tmp/l"): "ECONNREFUSED",
                   ("bind", "/data/rel"): "EADDRINUSE", ("bind", "/tmp/l"): "EADDRINUSE",
                   ("connect", "/data/gone"): "ENOENT"}


def test_bound_datagram_sender_is_not_a_host_path(b):
    got = results(b.run("dgram:/data/srv=/data/cli"))
    # the host knows the sender under a name only its own process can use
    # (/proc/self/fd/N/cli): the receiver sees an unnamed address
    assert got[("dgram", "/data/srv=/data/cli")] == "ok from=unnamed[2] msg=unnamed[2] reply=lost"
    assert stat.S_ISSOCK((b.data / "cli").lstat().st_mode)


def test_native_peer_in_the_mount_is_seen_by_its_enclave_path(b):
    """A native client bound in the mount's host directory: accept, recvfrom
    and recvmsg name it by its path in the enclave."""
    p = b.popen("serve:/data/srv", "recv:/data/dsrv")
    assert p.stdout.readline() == "ready\n"
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.bind(str(b.data / "native-c"))
    c.connect(str(b.data / "srv"))
    # the host knows the enclave's server by an fd path, not a host path
    assert c.getpeername().startswith("/proc/self/fd/") and c.getpeername().endswith("/srv")
    line = p.stdout.readline()
    assert line == "serve /data/srv: ok acc=/data/native-c[17] accpeer=/data/native-c[17]\n"
    assert p.stdout.readline() == "ready\n"
    d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    d.bind(str(b.data / "native-d"))
    for m in (b"1", b"2", b"3", b"4", b"5"):
        d.sendto(m, str(b.data / "dsrv"))
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert out == ("recv /data/dsrv: ok from=/data/native-d[17] msg=/data/native-d[17] mmsg0=/data/native-d[17] "
                   "mmsg1=/data/native-d[17] cut=17:01002f64617f\n")
    c.close()
    d.close()


def test_sendmmsg_names_resolve_through_the_mounts(b):
    got = results(b.run("mmsg:/data/m"))
    assert got[("mmsg", "/data/m")] == "ok sent=2 len0=1 len1=1 got=2"


def test_fds_pass_over_unix_sockets(b):
    got = results(b.run("scm:-"))
    assert got[("scm", "-")] == "ok passed=1"


def test_fd_swapped_into_a_message_after_the_check_is_not_sent(b):
    """sendmsg's SCM_RIGHTS fds are checked in a copy, and the host gets that
    copy: a thread that changes the application's buffer meanwhile cannot
    slip in an fd it does not own (the runtime's own, here the /data
    mount's root)."""
    got = results(b.run("scmrace:-", timeout=600))
    assert got[("scmrace", "-")] == "ok holes=some sent=some leaked=0"


# ---- what the enclave cannot reach --------------------------------------------------


def test_native_peer_outside_the_mounts_is_out_of_reach(b):
    srv = listener(b.outside / "peer")
    dsrv = listener(b.outside / "dpeer", socket.SOCK_DGRAM)
    o = str(b.outside)
    (b.data / "link").symlink_to(b.outside)
    ops = [f"connect:{o}/peer", f"sendto:{o}/dpeer", f"bind:{o}/new",
           "connect:/data/../outside/peer", "connect:/data/link/peer", "sendto:/data/link/dpeer",
           "bind:/data/link/new", f"symlink:{o}=/data/mine", "connect:/data/mine/peer", "bind:/data/mine/new",
           "symlink:/=/data/root", f"connect:/data/root{o}/peer", f"bind:/data/root{o}/new",
           "symlink:../../../../../../../../..=/data/up", f"connect:/data/up{o}/peer", f"bind:/data/up{o}/new",
           f"symlink:{o}/peer=/data/plink", "connect:/data/plink",
           "fdpath:/data=../outside/peer", "fdpath:/data=link/peer", "connect:/proc/self/root" + o + "/peer",
           "chdir:/data", f"connect:../../../..{o}/peer", f"bind:../../../..{o}/new"]
    got = results(b.run(*ops))
    for op in ops:
        k, _, a = op.partition(":")
        if k in ("symlink", "chdir"):
            assert got[(k, a)] == "ok", (op, got[(k, a)])
        elif k == "fdpath" and got[(k, a)] == "ok bound":
            # /proc/self/fd/N/new.sock is /data/new.sock, inside the mount
            # (docs/runtime.md, "/proc"): the bind is the application's to make
            assert (b.data / "new.sock").exists()
        else:
            assert got[(k, a)] in ("ENOENT", "ECONNREFUSED"), (op, got[(k, a)])
    assert sorted(os.listdir(b.outside)) == ["dpeer", "peer"]
    srv.setblocking(False)
    with pytest.raises(BlockingIOError):
        srv.accept()
    dsrv.setblocking(False)
    with pytest.raises(BlockingIOError):
        dsrv.recv(1)


def test_enclave_does_not_learn_a_native_peers_path(b):
    """A native client bound outside the mounts: the enclave sees it
    unnamed, in accept, getpeername, recvfrom and recvmsg."""
    p = b.popen("serve:/data/srv", "recv:/data/dsrv")
    assert p.stdout.readline() == "ready\n"
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.bind(str(b.outside / "c"))
    c.connect(str(b.data / "srv"))
    assert p.stdout.readline() == "serve /data/srv: ok acc=unnamed[2] accpeer=unnamed[2]\n"
    assert p.stdout.readline() == "ready\n"
    d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    d.bind(str(b.outside / "d"))
    for m in (b"1", b"2", b"3", b"4", b"5"):
        d.sendto(m, str(b.data / "dsrv"))
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert out == ("recv /data/dsrv: ok from=unnamed[2] msg=unnamed[2] mmsg0=unnamed[2] mmsg1=unnamed[2] "
                   "cut=2:01007f7f7f7f\n")
    assert str(b.outside) not in out
    c.close()
    d.close()


def test_swapping_a_directory_for_a_symlink_does_not_escape(b):
    """One thread swaps /data/r/d (a directory) with a symlink to the outside
    directory while another binds and connects through /data/r/d."""
    srv = listener(b.outside / "peer.sock")
    (b.data / "r").mkdir()
    got = results(b.run(f"race:/data/r={b.outside}", timeout=600))
    res = got[("race", f"/data/r={b.outside}")]
    fields = dict(kv.split("=") for kv in res.split()[1:])
    assert res.startswith("ok") and fields["first"] == "ok" and fields["connected"] == "0", res
    assert sorted(os.listdir(b.outside)) == ["peer.sock"]
    assert (b.data / "r" / "d" / "first.sock").exists() or (b.data / "r" / "l" / "first.sock").exists()
    srv.setblocking(False)
    with pytest.raises(BlockingIOError):
        srv.accept()


def test_a_moved_native_socket_shows_no_host_path(b):
    """A native server bound outside the mounts whose socket file was then
    moved into the mount: the host still names it by its old host path;
    getpeername and getsockopt(SO_PEERNAME) show the path connect used."""
    srv = listener(b.outside / "srv")
    os.rename(b.outside / "srv", b.data / "moved")
    got = results(b.run("peerof:/data/moved", "peername:/data/own"))
    assert got[("peerof", "/data/moved")] == "ok peer=/data/moved[14] full=EINVAL exact=ok name=/data/moved[14]"
    # SO_PEERNAME's own rule: a buffer longer than the name is EINVAL
    assert got[("peername", "/data/own")] == "ok peer=/data/own[12] full=EINVAL exact=ok name=/data/own[12]"
    srv.close()


# ---- the other mounts and the errors -----------------------------------------------------


def test_errors_where_no_socket_can_be(b):
    (b.data / "plain").write_text("")
    got = results(b.run(
        "bind:/nowhere/s", "connect:/nowhere/s", "bind:/etc/s",
        "bind:/app/s", "bind:/app/hello.txt", "bind:/app/nodir/s", "connect:/app/hello.txt", "connect:/app/none",
        "bind:/ro/s", "bind:/ro/there", "bind:/ro/nodir/s", "connect:/ro/there",
        "bind:/tmp/s", "connect:/tmp/s", "mkdir:/tmp/d", "bind:/tmp/d", "connect:/tmp/d",
        "bind:/data/plain", "connect:/data/plain", "connect:/data/none", "bind:/data/nodir/s", "bind:/data",
        "bind:/", "connect:/"))
    assert got == {
        ("bind", "/nowhere/s"): "ENOENT", ("connect", "/nowhere/s"): "ENOENT", ("bind", "/etc/s"): "ENOENT",
        # trusted: as its other changes
        ("bind", "/app/s"): "EACCES", ("bind", "/app/hello.txt"): "EADDRINUSE",
        ("bind", "/app/nodir/s"): "ENOENT", ("connect", "/app/hello.txt"): "ECONNREFUSED",
        ("connect", "/app/none"): "ENOENT",
        # read-only passthrough: as a read-only file system
        ("bind", "/ro/s"): "EROFS", ("bind", "/ro/there"): "EADDRINUSE", ("bind", "/ro/nodir/s"): "ENOENT",
        ("connect", "/ro/there"): "ECONNREFUSED",
        # tmpfs holds no sockets
        ("bind", "/tmp/s"): "EPERM", ("connect", "/tmp/s"): "ENOENT", ("mkdir", "/tmp/d"): "ok",
        ("bind", "/tmp/d"): "EADDRINUSE", ("connect", "/tmp/d"): "ECONNREFUSED",
        ("bind", "/data/plain"): "EADDRINUSE", ("connect", "/data/plain"): "ECONNREFUSED",
        ("connect", "/data/none"): "ENOENT", ("bind", "/data/nodir/s"): "ENOENT",
        ("bind", "/data"): "EADDRINUSE",
        ("bind", "/"): "EADDRINUSE", ("connect", "/"): "ECONNREFUSED",
    }
    assert os.listdir(b.ro) == ["there"]


def test_names_too_long_after_translation(b):
    # 100 bytes in the enclave fit sun_path; /proc/self/fd/N/ in front do not
    name = "n" * (100 - len("/data/"))
    got = results(b.run(f"bind:/data/{name}"))
    assert got[("bind", f"/data/{name}")] == "ENAMETOOLONG"
    # connect goes through an fd of the socket itself: any length that fits
    deep = "/data/" + "d" * (108 - len("/data/") - len("/s"))
    os.mkdir(b.data / deep[len("/data/"):])
    got = results(b.run(f"long:{deep}"))
    assert got[("long", deep)] == "ok"


def test_abstract_and_unnamed_addresses_as_on_linux(b):
    name = f"coffer-test-{os.getpid()}"
    got = results(b.run(f"abstract:{name}", "autobind:-"))
    n = len(name) + 3
    assert got[("abstract", name)] == (f"ok srv=@{name}[{n}] peer=@{name}[{n}] acc=unnamed[2] "
                                       f"accname=@{name}[{n}] accpeer=unnamed[2] data=ok")
    assert got[("autobind", "-")] == "ok len=8 abstract=1"


def test_address_lengths_as_on_linux(b, tmp_path):
    """The same checks and the same in/out lengths as natively."""
    native = subprocess.run([PROGS / "unixprobe", f"addrlen:{tmp_path}/al"], capture_output=True, text=True)
    assert native.returncode == 0, native.stderr
    enclave = b.run("addrlen:/data/al")
    assert enclave.returncode == 0, enclave.stderr
    # the same lines once the path (and so the lengths and bytes) are the enclave's
    def expected(path):
        full = ("0100" + path.encode().hex() + "00")[:24]
        n = len(path) + 3
        return (f"addrlen {path}/len=0: EINVAL\naddrlen {path}/len=1: EINVAL\n"
                f"addrlen {path}/len=111: EINVAL\naddrlen {path}/family: EINVAL\naddrlen {path}: ok\n"
                f"addrlen {path}/getsockname=0: ok len={n} bytes= next=7f\n"
                f"addrlen {path}/getsockname=5: ok len={n} bytes={full[:10]} next=7f\n"
                f"addrlen {path}/getsockname=110: ok len={n} bytes={full} next=00\n"
                f"addrlen {path}/badlen: EFAULT\n")
    assert native.stdout == expected(f"{tmp_path}/al")
    assert enclave.stdout == expected("/data/al")


# ---- development runs ---------------------------------------------------------------------


def test_development_run_uses_host_paths(tmp_path):
    r = run([PROGS / "unixprobe", f"pair:{tmp_path}/s", f"dgram:{tmp_path}/a={tmp_path}/b"])
    t = str(tmp_path)
    n = len(t) + 5
    assert r.returncode == 0, r.stderr
    assert r.stdout == (f"pair {t}/s: ok srv={t}/s[{n}] peer={t}/s[{n}] acc=unnamed[2] accname={t}/s[{n}] "
                        f"accpeer=unnamed[2] data=ok\n"
                        f"dgram {t}/a={t}/b: ok from={t}/b[{n}] msg={t}/b[{n}] reply=ok\n")


# ---- a real program -----------------------------------------------------------------------

PY_APP = '''\
import os, socket, socketserver, sys, threading
d = sys.argv[1]
path = os.path.join(d, "app.sock")

class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"echo " + self.rfile.readline())

srv = socketserver.ThreadingUnixStreamServer(path, Echo)
threading.Thread(target=srv.serve_forever, daemon=True).start()
with socket.socket(socket.AF_UNIX) as c:
    c.connect(path)
    c.sendall(b"hello\\n")
    print(c.makefile().readline().strip(), c.getpeername() == path, srv.socket.getsockname() == path)
print("socket file", os.path.exists(path), sorted(os.listdir(d)))
if len(sys.argv) > 2:
    print("ready", flush=True)
    sys.stdin.readline()
srv.shutdown()
srv.server_close()
os.unlink(path)
try:
    socket.socket(socket.AF_UNIX).connect(sys.argv[2] if len(sys.argv) > 2 else path)
except OSError as e:
    print("outside", e.errno == 2)
'''


def test_python_unix_socket_server_in_a_passthrough_mount(tmp_path, key):
    """Debian's python3: socketserver and socket on a UNIX socket, recorded
    in a development run, then signed with the data directory mounted at
    another path; a native client reaches the enclave's server through the
    host directory, and the host socket outside stays out of reach."""
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    (tmp_path / "app").mkdir()
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "app" / "app.py").write_text(PY_APP)
    native = subprocess.run(["/usr/bin/python3", "app.py", data], cwd=tmp_path / "app", env=env,
                            capture_output=True, text=True, timeout=120)
    assert native.returncode == 0, native.stderr
    assert native.stdout == "echo hello True True\nsocket file True ['app.sock']\noutside True\n"
    yaml = tmp_path / "py.yaml"
    r = cli("manifest", "record", "-o", yaml, "--", "/usr/bin/python3", "app.py", data, cwd=tmp_path / "app",
            env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == native.stdout
    text = yaml.read_text()
    # the socket's directory is a passthrough mount (the recorder would
    # propose tmpfs for a new directory under /tmp); serve it at /srv/data
    mount = f"  - path: {data}   # not tmpfs: it used a UNIX socket here, which a tmpfs cannot hold\n" \
            "    type: passthrough\n"
    assert mount in text, text
    assert "/run" not in text.partition("# CHOOSE")[2], text  # nscd's socket, which is not there
    text = text.replace(mount, f"  - path: /srv/data\n    type: passthrough\n    source: {data}\n")
    text = text.replace(f"  - {data}\n", "  - /srv/data\n").replace("host_args: none", "host_args: append")
    yaml.write_text(text)
    s = cli("sign", "--key", key, yaml, "-o", tmp_path / "py.coffer")
    assert s.returncode == 0, s.stderr

    outside = tmp_path / "outside"
    outside.mkdir()
    peer = listener(outside / "peer.sock")
    p = subprocess.Popen([str(COFFER), "run", str(tmp_path / "py.coffer"), "--", str(outside / "peer.sock")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "echo hello True True\n"
    assert p.stdout.readline() == "socket file True ['app.sock']\n"
    assert p.stdout.readline() == "ready\n"
    assert stat.S_ISSOCK((data / "app.sock").lstat().st_mode)
    with socket.socket(socket.AF_UNIX) as c:  # natively, through the host directory
        c.connect(str(data / "app.sock"))
        c.sendall(b"from the host\n")
        assert c.makefile().readline() == "echo from the host\n"
    out, err = p.communicate("\n", timeout=120)
    assert p.returncode == 0, err
    assert out == "outside True\n"
    assert not (data / "app.sock").exists()
    peer.setblocking(False)
    with pytest.raises(BlockingIOError):
        peer.accept()
