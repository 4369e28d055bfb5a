"""System-call conformance (issue 10): progs/conform.c prints one line per
corner case, "CLASS.CASE: RESULT"; each class must print the same lines
natively and under coffer, on this machine's kernel. The program's header
says what each class is about; a failure names the cases that differ."""
import subprocess

import pytest

from conftest import COFFER, cli, libc_probe_bundle, native, run

CLASSES = ["args", "absolute", "clone", "fds", "signals", "cwd", "busy", "hidden", "tmpfile"]
# the classes that need nothing outside the directory they are given, run
# again from a signed bundle (confined passthrough mount, no capabilities)
BUNDLE_CLASSES = ["cwd"]


def same(n, c):
    assert n.returncode == 0, n.stderr
    assert c.returncode == 0, c.stderr
    want, got = n.stdout.splitlines(), c.stdout.splitlines()
    assert len(want) >= 4 and [l.split(":")[0] for l in got] == [l.split(":")[0] for l in want]
    diff = [f"{w}   but under coffer: {g.split(': ', 1)[1]}" for w, g in zip(want, got) if w != g]
    assert not diff, "\n".join(diff)


@pytest.mark.parametrize("cls", CLASSES)
def test_conform(prog, tmp_path, cls):
    (tmp_path / "native").mkdir()
    (tmp_path / "coffer").mkdir()
    same(native([prog("conform"), tmp_path / "native", cls]), run([prog("conform"), tmp_path / "coffer", cls]))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, key):
    return libc_probe_bundle(tmp_path_factory.mktemp("conform"), key, "conform")


@pytest.mark.parametrize("cls", BUNDLE_CLASSES)
def test_conform_bundle(prog, tmp_path, bundle, cls):
    path, data = bundle
    (tmp_path / "native").mkdir()
    (data / cls).mkdir()
    n = native([prog("conform"), tmp_path / "native", cls])
    c = cli("run", path, "--", f"/data/{cls}", cls)
    # the paths differ (/data/... in the bundle), the results must not
    same(n, c)


@pytest.mark.parametrize("where", ["inside", "outside"])
def test_host_moves_the_working_directory(tmp_path, bundle, where):
    """The host renames the program's working directory: inside the mount's
    directory the program follows it (as on Linux); moved out of every mount,
    the host's new name is not believed, and a relative path reaches nothing
    outside the mounts."""
    path, data = bundle
    (data / where).mkdir()
    p = subprocess.Popen([str(COFFER), "run", str(path), "--", f"/data/{where}", "cwdmoved"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "ready\n", p.stderr.read()
        if where == "inside":
            (data / where / "x").rename(data / where / "y")
        else:
            (tmp_path / "away").mkdir()
            (data / where / "x").rename(tmp_path / "away" / "x")
        out, err = p.communicate("g", timeout=60)
    finally:
        p.kill()
    assert p.returncode == 0, err
    if where == "inside":
        assert out.splitlines() == [f"getcwd /data/{where}/y", "relative 0"]
    else:
        assert out.splitlines() == [f"getcwd /data/{where}/x", "relative ENOENT"]
