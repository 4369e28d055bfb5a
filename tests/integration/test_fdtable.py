"""Fd tables of one's own (progs/fdtable.c): close_range with
CLOSE_RANGE_UNSHARE, unshare(CLONE_FILES) and clone without CLONE_FILES give
the calling thread (or child) a private copy of the table, on the host too;
a close in one copy never reaches the other, an fd of the other copy cannot
be named by number, the runtime's own fds keep working in each copy, and
execve takes the fds of the thread that calls it. Natively, in a
development run and in a signed bundle (where /data is a confined
passthrough mount reached through one of the runtime's fds)."""
import pytest

from conftest import native, run

CASES = ["closerange", "unshare", "clone", "exec"]

FLAGS = """\
0 ok
CLONE_FS ok
CLONE_THREAD|CLONE_SIGHAND|CLONE_VM ok
CLONE_SYSVSEM ok
CLONE_FILES ok
CLONE_NEWUTS EPERM
CLONE_NEWNS EPERM
CLONE_NEWUSER EPERM
CLONE_NEWNET|CLONE_NEWPID EPERM
CLONE_IO EINVAL
CLONE_PIDFD EINVAL
clone CLONE_FILES without CLONE_VM EINVAL
with a thread:
CLONE_FILES ok
CLONE_VM EINVAL
CLONE_THREAD EINVAL
CLONE_NEWUSER EINVAL
CLONE_NEWUTS EPERM
"""


@pytest.fixture(scope="module")
def fdtable_bundle(tmp_path_factory, key):
    from conftest import StaticBundle
    return StaticBundle(tmp_path_factory.mktemp("fdtable"), key, "fdtable")


@pytest.mark.parametrize("case", CASES)
def test_private_fd_tables_as_native(prog, tmp_path, fdtable_bundle, case):
    (tmp_path / "n").mkdir()
    (tmp_path / "c").mkdir()
    n = native([prog("fdtable"), case, tmp_path / "n"])
    assert n.returncode == 0, n.stderr
    c = run([prog("fdtable"), case, tmp_path / "c"])
    assert c.returncode == 0, c.stderr
    assert c.stdout == n.stdout
    b = fdtable_bundle.run(case, "/data")
    assert b.returncode == 0, b.stderr
    assert b.stdout == n.stdout
    assert "warning" not in c.stderr + b.stderr


def test_unshare_flags_as_without_capabilities(prog, tmp_path, fdtable_bundle):
    # natively we are root: namespaces would be made, so fixed lines
    c = run([prog("fdtable"), "flags", tmp_path])
    assert c.returncode == 0, c.stderr
    assert c.stdout == FLAGS
    b = fdtable_bundle.run("flags", "/data")
    assert b.returncode == 0, b.stderr
    assert b.stdout == FLAGS


def test_runtime_fds_stay_put_while_tables_are_split(prog, tmp_path, fdtable_bundle):
    # After a thread unshared, the runtime's own fds (log, registry, mount
    # handles) sit at the same numbers in both tables; a dup2 onto one
    # cannot move it in the other table, so it answers EBUSY, and the
    # thread's execve still hands the registry and log on intact.
    for r in (run([prog("fdtable"), "evict", tmp_path]), fdtable_bundle.run("evict", "/data")):
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines() == ["dup2 refused: yes", "after exec: 3 is g, 4 is m, 5 EBADF",
                                         "after exec: fds 0 1 2 3 4"]
        assert "warning" not in r.stderr


def test_dup2_cannot_reroot_a_confined_mount(prog, tmp_path, fdtable_bundle):
    # A confined passthrough mount resolves every path through a runtime fd
    # of its root. A dup2 of the application's directory onto that number
    # once moved the runtime's fd away and let the application's fd be the
    # root: /data/x became /data/sub/x (and with a directory from outside
    # the mounts, say one received over SCM_RIGHTS, a way out). It is
    # refused as a dup2 racing an open (EBUSY) and the root stays.
    n = native([prog("fdtable"), "reroot", tmp_path])
    assert n.returncode == 0, n.stderr
    assert n.stdout == "dup2 refused: no\nx: top\n"
    b = fdtable_bundle.run("reroot", "/data")
    assert b.returncode == 0, b.stderr
    assert b.stdout == "dup2 refused: yes\nx: top\n"
