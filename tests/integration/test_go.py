"""Go programs: Go makes its system calls itself, without libc, and every
call of its syscall package goes through runtime/internal/syscall.Syscall6,
whose `syscall` takes the call number from a register: a shape of call site
that coffer patches (platform/direct/patch.c, docs/runtime.md "The fast
path"). progs/goprobe/main.go, built here with Debian's Go as a static
program (CGO_ENABLED=0) and as one linked with libc (CGO_ENABLED=1): an HTTP
server with clients in goroutines, os/exec, files. Each runs natively and
under coffer with the same output, and the --log=info summary shows the
calls came through patched call sites.
"""
import sys

import pytest

from conftest import HERE, native, run
from test_patch import env, stats

sys.path.insert(0, str(HERE / "progs" / "goprobe"))
import build as gobuild  # noqa: E402

KINDS = ["static", "cgo"]


@pytest.fixture(scope="session")
def goprobe():
    built = {}

    def path(kind):
        if kind not in built:
            built[kind] = gobuild.build(cgo=kind == "cgo")
        return built[kind]
    return path


def check_fast(r, kind):
    """The summary of the Go process (the children of os/exec print
    theirs before it exits)."""
    trapped, fast, patched, left, unknown = stats(r)
    assert patched >= 1
    assert fast > 3 * trapped, (trapped, fast)
    if kind == "static":
        # every `syscall` in a Go 1.19 program has a shape coffer knows
        assert unknown == 0 and left == 0, (left, unknown)
    return trapped, fast


def same_as_native(argv, out, kind):
    """argv natively and under coffer: both print out, and the calls came
    through patched sites."""
    nat = native(argv)
    assert nat.returncode == 0, nat.stderr
    r = run(argv, coffer_args=["--log=info"], env=env(None))
    assert r.returncode == 0, r.stderr
    assert r.stdout == nat.stdout == out
    check_fast(r, kind)


@pytest.mark.parametrize("kind", KINDS)
def test_go_http_server_and_clients(goprobe, kind):
    same_as_native([goprobe(kind), "http", 8, 150], "ok http 1200\n", kind)


def test_go_http_on_the_trap_path(goprobe):
    r = run([goprobe("static"), "http", 4, 100], coffer_args=["--log=info"], env=env("0"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ok http 400\n"
    trapped, fast, patched, _, _ = stats(r)
    assert fast == 0 and patched == 0 and trapped > 1000


@pytest.mark.parametrize("kind", KINDS)
def test_go_exec(goprobe, kind):
    same_as_native([goprobe(kind), "exec"], "ok exec\n", kind)


@pytest.mark.parametrize("kind", KINDS)
def test_go_files(goprobe, kind, tmp_path):
    outs = []
    for how in ("native", "coffer"):
        d = tmp_path / how
        d.mkdir()
        argv = [goprobe(kind), "files", d]
        r = native(argv) if how == "native" else run(argv, coffer_args=["--log=info"], env=env(None))
        assert r.returncode == 0, r.stderr
        assert list(d.iterdir()) == []
        outs.append(r)
    assert outs[0].stdout == outs[1].stdout == "ok files 20\n"
    check_fast(outs[1], kind)
