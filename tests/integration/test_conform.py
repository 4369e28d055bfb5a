"""System-call conformance (issue 10): progs/conform.c prints one line per
corner case, "CLASS.CASE: RESULT"; each class must print the same lines
natively and under coffer, on this machine's kernel. The program's header
says what each class is about; a failure names the cases that differ."""
import pytest

from conftest import native, run

CLASSES = ["args", "absolute", "clone", "fds", "signals", "busy", "hidden", "tmpfile"]


@pytest.mark.parametrize("cls", CLASSES)
def test_conform(prog, tmp_path, cls):
    (tmp_path / "native").mkdir()
    (tmp_path / "coffer").mkdir()
    n = native([prog("conform"), tmp_path / "native", cls])
    c = run([prog("conform"), tmp_path / "coffer", cls])
    assert n.returncode == 0, n.stderr
    assert c.returncode == 0, c.stderr
    want, got = n.stdout.splitlines(), c.stdout.splitlines()
    assert len(want) >= 4 and [l.split(":")[0] for l in got] == [l.split(":")[0] for l in want]
    diff = [f"{w}   but under coffer: {g.split(': ', 1)[1]}" for w, g in zip(want, got) if w != g]
    assert not diff, "\n".join(diff)
