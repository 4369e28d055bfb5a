"""Memory the application's processes share: a manifest's `shm` mount
(POSIX shared memory and named semaphores in /dev/shm), and shared
mappings across fork (docs/manifest.md, "Mounts"; docs/threat-model.md).
"""
import os

import pytest

from conftest import PROGS, run

SHM = "  - path: /dev/shm\n    type: shm\n"

POSIX = """\
create: ok
sem_open: ok
sem_wait: ok
fork child: ok
shared: the child saw 'from the parent'
open: the child saw 'from the parent'
listed: 1
sem_unlink: ok
unlink: ok
reopen: ENOENT
"""


def host_shm():
    return set(os.listdir("/dev/shm"))


@pytest.fixture
def name(tmp_path):
    return f"/coffer-shm-test-{os.getpid()}-{tmp_path.name}"


def test_posix_shared_memory_in_a_development_run(name):
    r = run([PROGS / "shmprobe", "posix", name])
    assert r.returncode == 0, r.stderr
    assert r.stdout == POSIX


def test_posix_shared_memory_in_a_bundle(static_bundle, name):
    """shm_open and sem_open between a process, its forked child and an
    execve'd one; listed, unlinked; /dev lists shm with its devices."""
    b = static_bundle("shmprobe", extra=SHM)
    before = host_shm()
    r = b.run("posix", name)
    assert r.returncode == 0, r.stderr
    assert r.stdout == POSIX
    # nothing of the run is left in the host's /dev/shm
    assert host_shm() - before == set()


def test_the_host_shm_objects_do_not_exist_inside(static_bundle, name):
    """The bundle's /dev/shm is the run's own: an object of the host's
    /dev/shm with the same name is not there, and the run's objects are not
    in the host's /dev/shm under their names."""
    b = static_bundle("shmprobe", extra=SHM)
    host = f"/dev/shm{name}"
    with open(host, "wb") as f:
        f.write(b"the host's".ljust(4096, b"\0"))
    try:
        r = b.run("open", name)
        assert r.returncode == 0, r.stderr
        assert r.stdout == "open: ENOENT\n"
        r = b.run("keep", name)
        assert r.stdout == "keep: ok\n"
        with open(host, "rb") as f:
            assert f.read(10) == b"the host's"
    finally:
        os.unlink(host)


def test_no_way_out_of_the_shm_directory(static_bundle, tmp_path):
    """A curious program's symlinks in /dev/shm lead nowhere on the host: an
    absolute target means the mount's root, and .. stops there."""
    secret = tmp_path / "secret"
    secret.write_text("host file\n")
    b = static_bundle("shmprobe", extra=SHM)
    r = b.run("escape", str(secret))
    assert r.returncode == 0, r.stderr
    res = dict(line.split(": ", 1) for line in r.stdout.splitlines())
    assert res == {"symlink absolute": "ok", "open absolute": "ENOENT", "symlink relative": "ok",
                   "open relative": "ENOENT"}, res


def test_objects_live_as_long_as_the_run(static_bundle, name):
    """An object left by the program is removed with the run's private
    directory when its last process exits; the next run starts empty."""
    b = static_bundle("shmprobe", extra=SHM)
    before = host_shm()
    r = b.run("keep", name)
    assert r.returncode == 0 and r.stdout == "keep: ok\n", r.stderr
    assert host_shm() - before == set()
    assert b.run("open", name).stdout == "open: ENOENT\n"


def test_nothing_left_when_the_program_cannot_start(static_bundle):
    """The run's directory is made at boot: a program that then fails to
    start (here: its loader is not in the bundle) does not leave it."""
    b = static_bundle("probe", extra=SHM)  # dynamically linked, no libc mounted
    before = host_shm()
    r = b.run("stat:/")
    assert r.returncode == 126 and "its loader" in r.stderr, r.stderr
    assert host_shm() - before == set()


def test_no_shm_without_the_mount(static_bundle, name):
    """A bundle shares no memory by name unless its manifest says so."""
    b = static_bundle("shmprobe")
    r = b.run("posix", name)
    assert r.stdout.startswith("create: ENOENT\n"), r.stdout
    assert "shm" not in b.run("ls", "/dev").stdout.split()
    r = b.run("anon")  # shared mappings across fork need no mount
    assert r.returncode == 0, r.stderr
    assert r.stdout == "anon: anonymous\nmemfd: memfd\n"


def test_proc_mounts_and_dev_listing(static_bundle):
    """/dev keeps its devices and lists the mount below it once."""
    b = static_bundle("shmprobe", extra=SHM)
    r = b.run("cat", "/proc/self/mounts")
    assert r.returncode == 0, r.stderr
    assert "shm /dev/shm shm rw,noexec 0 0\n" in r.stdout
    r = b.run("ls", "/dev")
    names = r.stdout.split()
    assert {"null", "zero", "urandom", "shm"} <= set(names) and names.count("shm") == 1, names
