"""Regressions from the review of the runtime core: each case of
progs/regressions.c prints one line that must be the same natively and under
coffer (the file's header says what each case guards against)."""
import pytest

from conftest import native, run

CASES = ["spawn", "spawnkill", "sysv", "futex", "altstack", "fpu", "forkheld", "execheld", "settid",
         "blockedbus", "noargv", "connect", "fileintr", "futexwake"]


@pytest.mark.parametrize("case", CASES)
def test_regression(prog, case):
    n = native([prog("regressions"), case], timeout=120)
    c = run([prog("regressions"), case], timeout=180)
    assert n.returncode == 0, n.stderr
    assert c.returncode == 0, c.stderr
    assert c.stdout == n.stdout


def test_refused_call_whatever_its_arguments(prog):
    # lookup_dcookie with a bad buffer, fanotify_mark, setns and
    # io_uring_enter with fd -1: ENOSYS, not the EFAULT or EBADF that the
    # argument checks of an implemented call would give
    nrs = [212, 301, 308, 426]
    c = run([prog("sysnr"), *nrs])
    assert c.returncode == 0, c.stderr
    assert c.stdout.splitlines() == [f"{n} ENOSYS" for n in nrs]


def test_epoll_wait_no_eintr_without_a_handler(prog):
    # coffer only: natively the race exists too, just rare (regressions.c)
    c = run([prog("regressions"), "epollsteal"], timeout=180)
    assert c.returncode == 0, c.stderr
    assert c.stdout == "epoll_wait: EINTR without a handler 0, with one seen\n"
