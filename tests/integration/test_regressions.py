"""Regressions from the review of the runtime core: each case of
progs/regressions.c prints one line that must be the same natively and under
coffer (the file's header says what each case guards against)."""
import pytest

from conftest import native, run

CASES = ["spawn", "spawnkill", "sysv", "futex", "altstack", "fpu", "forkheld", "execheld", "settid",
         "blockedbus", "noargv", "connect"]


@pytest.mark.parametrize("case", CASES)
def test_regression(prog, case):
    n = native([prog("regressions"), case], timeout=120)
    c = run([prog("regressions"), case], timeout=180)
    assert n.returncode == 0, n.stderr
    assert c.returncode == 0, c.stderr
    assert c.stdout == n.stdout
