"""Host objects outside the file view: ioctl requests and device nodes
(docs/threat-model.md). progs/hostobj.c tries each and prints the result."""
import os

import pytest

from conftest import COFFER, PROGS, run

pytestmark = pytest.mark.usefixtures("key")


def results(out):
    return dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)


def check_ioctls(res):
    # what ordinary programs need still works
    for name in ("access ptmx", "open ptmx", "TIOCSPTLCK", "TIOCGPTN", "open pts", "TIOCSWINSZ", "TCGETS", "TCSETS",
                 "FIOCLEX", "cloexec set", "FIONCLEX", "cloexec clear", "SIOCGIFCONF lo"):
        assert res[name] == "ok", name
    assert res["TIOCGWINSZ"] == "ok 33x77"
    assert res["FIONREAD"] == "ok 5"
    assert res["SIOCGIFFLAGS lo"] == "ok up=1"
    # nothing can be pushed into a terminal's input, the console stays
    # where it is, interfaces are not reconfigured
    assert res["TIOCSTI"] == "EIO"
    assert res["read injected"] == "EAGAIN"
    assert res["TIOCCONS"] == "ENOTTY"
    assert res["TIOCLINUX"] == "ENOTTY"
    assert res["TIOCSCTTY 1"] == "EPERM"
    assert res["SIOCSIFMTU lo"] == "ENOTTY"
    assert res["unknown request"] == "ENOTTY"


@pytest.fixture
def foreign_pty():
    """A pseudo-terminal of the test's own, as another session's would be."""
    master, slave = os.openpty()
    yield os.ttyname(slave).rsplit("/", 1)[1]
    os.close(master)
    os.close(slave)


def test_ioctl_development_run(tmp_path, foreign_pty):
    r = run([PROGS / "hostobj", tmp_path, foreign_pty])
    assert r.returncode == 0, r.stderr
    check_ioctls(results(r.stdout))
    # one warning per refused request, naming it
    warnings = [l for l in r.stderr.splitlines() if "ioctl request" in l]
    assert "coffer: warning: ioctl request 0x541d is not supported, returning ENOTTY" in warnings  # TIOCCONS
    assert len(warnings) == len(set(warnings)) == 4, warnings


def test_ioctl_and_device_nodes_in_a_bundle(static_bundle, foreign_pty):
    b = static_bundle("hostobj", terminal=True)
    r = b.run("/data", foreign_pty)
    assert r.returncode == 0, r.stderr
    res = results(r.stdout)
    check_ioctls(res)
    # a device node would reach a host device past every mount
    assert res["mknod chr"] == "EPERM"
    assert res["mknod blk"] == "EPERM"
    assert res["mknod fifo"] == "ok"
    # /dev's devices can be written, its names not changed
    assert res["write /dev/null"] == "ok"
    assert res["create in /dev"] == "ENOENT"  # only the listed names exist there
    assert not os.path.exists("/dev/hostobj-new")
    # the host privileges a container would not have are gone for good
    assert res["packet socket"] == "EPERM"
    assert res["raw socket"] == "EPERM"
    if os.geteuid() == 0:  # (an unprivileged coffer has nothing to drop)
        assert res["bounding set"] == "ok sys_admin=0 net_admin=0 chown=1"
    assert res["no_new_privs"] == "ok 1"
    # /dev is the runtime's: a fixed list, the terminals this process
    # holds, links into the runtime's /proc
    assert res["ls /dev"] == "ok null zero full random urandom tty ptmx pts fd stdin stdout stderr"
    assert res["open own pts"] == "ok"
    assert [v for k, v in res.items() if k.startswith("ls /dev/pts has")] == ["ok"]
    assert res["open foreign pts"] == "ENOENT"
    assert res["dev/fd escape"] == "ENOENT"
    assert res["ls /dev/fd/N"] == "ok hostobj-root"
    assert res["stdin link"] == "ok"
    assert res["readlink stderr"] == "ok /proc/self/fd/2"
    assert not any(p.name.startswith("hostobj-") for p in b.data.iterdir())


def test_a_bundle_makes_no_terminal_unless_its_manifest_says_so(static_bundle, foreign_pty):
    # a new pseudo-terminal is a host object (host processes can watch and
    # type into it): only with `terminal: true`
    b = static_bundle("hostobj")
    r = b.run("/data", foreign_pty)
    assert r.returncode == 0, r.stderr
    res = results(r.stdout)
    assert res["access ptmx"] == "EACCES"
    assert res["open ptmx"] == "EACCES"
    assert "TIOCGPTN" not in res
    assert res["ls /dev"] == "ok null zero full random urandom tty ptmx pts fd stdin stdout stderr"
    assert res["open foreign pts"] == "ENOENT"
    warning = ("coffer: warning: /dev/ptmx: a new pseudo-terminal is refused (EACCES): the manifest does not say "
               "`terminal: true`")
    assert r.stderr.splitlines().count(warning) == 1, r.stderr


PTY_SCRIPT = r"""
import fcntl, os, struct, termios, tty
m, s = os.openpty()
fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
print("size", os.get_terminal_size(s))
tty.setraw(s)
attrs = termios.tcgetattr(s)
print("raw", not (attrs[3] & termios.ECHO), not (attrs[3] & termios.ICANON))
os.write(m, b"ping")
print("read", os.read(s, 4))
termios.tcflush(s, termios.TCIFLUSH)
print("isatty", os.isatty(s), os.ttyname(s).startswith("/dev/pts/"))
"""


def test_python_terminal_ioctls_match_native():
    want = run(["/usr/bin/python3", "-c", PTY_SCRIPT])
    import subprocess
    native = subprocess.run(["/usr/bin/python3", "-c", PTY_SCRIPT], capture_output=True, text=True)
    assert want.returncode == 0, want.stderr
    assert want.stdout == native.stdout
    assert "ioctl request" not in want.stderr


def test_dup2_never_replaces_the_runtimes_own_fds(static_bundle):
    # progs/fdrace.c: two threads make, rename and remove /data/x/d over
    # and over (each call goes through O_PATH fds the runtime opens at the
    # lowest free numbers) while another dup2()s an fd of /data/other onto
    # those numbers. A dup2 that replaced the runtime's fd mid-call would
    # make "d" or "e" in other/. A race: without the fix this run catches it
    # about half the time on the development VM; with it, never.
    b = static_bundle("fdrace")
    (b.data / "x").mkdir()
    (b.data / "other").mkdir()
    r = b.run("/data/x", "/data/other", "5", timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("dup2 ok=yes"), r.stdout
    assert r.stdout.rstrip().endswith("errors=0"), r.stdout
    assert list((b.data / "other").iterdir()) == []


def test_ways_around_found_by_the_attack_review(tmp_path_factory, key, foreign_pty):
    """A read-only passthrough mount changed through an fd, a host process
    signalled through its /proc directory, pidfd_getfd on ourselves taking
    fds the application was never given, netlink's socket list: each must
    fail, in a bundle and (the process cases) in a development run."""
    import subprocess
    from conftest import StaticBundle
    base = tmp_path_factory.mktemp("review")
    ro = base / "ro"
    ro.mkdir()
    (ro / "f").write_text("read only\n")
    os.setxattr(ro / "f", "user.keep", b"1")
    before = {p: (os.stat(p).st_mode, os.stat(p).st_uid, os.stat(p).st_mtime_ns) for p in (ro, ro / "f")}
    extra = f"  - path: /ro\n    type: passthrough\n    source: {ro}\n    readonly: true\n"
    b = StaticBundle(base, key, "hostobj", files={"hello.txt": "trusted\n"}, extra=extra)
    victim = subprocess.Popen(["sleep", "60"])
    try:
        # fd 9 open on a host file, as a launcher might leave one: not the
        # application's (only 0, 1 and 2 are inherited into a bundle)
        r = subprocess.run(["sh", "-c", 'exec 9</etc/hostname; exec "$@"', "sh", str(COFFER), "run", b.bundle,
                            "--", "/data", foreign_pty, "/ro", str(victim.pid), "/app/hello.txt"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        res = results(r.stdout)
        assert res["ro open"] == "ok"
        for op in ("fchmod", "fchown", "fsetxattr", "fremovexattr", "futimens", "fchownat empty", "setxattr",
                   "dir fchmod"):
            assert res["ro " + op] == "EROFS", op
        assert {p: (os.stat(p).st_mode, os.stat(p).st_uid, os.stat(p).st_mtime_ns) for p in (ro, ro / "f")} == before
        assert os.listxattr(ro / "f") == ["user.keep"]
        # a bundle's /proc/self/root is its own "/", which has no host /proc
        assert res["pidfd_send_signal proc dir"] == "ENOENT"
        assert res["getfd hidden fd 9"] == "EBADF"
        assert res["getfd trusted file"] == "EPERM"
        assert res["netlink sock_diag"] == "EPROTONOSUPPORT"
        assert res["netlink route"] == "ok"

        # a development run reaches the host's /proc by another name: the
        # directory fd still names a process that is not ours
        r = run([PROGS / "hostobj", tmp_path_factory.mktemp("dev"), foreign_pty, ro, victim.pid, "/etc/hostname"])
        res = results(r.stdout)
        assert res["pidfd_send_signal proc dir"] == "ESRCH", r.stdout
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()
