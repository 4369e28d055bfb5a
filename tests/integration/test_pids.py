"""The process view: the application sees and reaches only its own
processes (runtime/proc/pidtab.c, docs/runtime.md "The process view").

progs/pidprobe.c tries every call that names a process: against a native
helper that is not the application's (the victim: it reports whether its
memory, its fds and its signals were touched) it must get Linux's answer
for a process that does not exist, which the same probe measures natively
on a pid just reaped; against its own children (a fork, a grandchild, a
posix_spawn child after its execve, a zombie, and a child from before its
own execve) the calls must work, without reaching the runtime's memory or
fds in the other process. Each runs in a development run and from a signed
bundle with a trusted, a passthrough and a tmpfs mount.
"""
import os
import select
import signal
import subprocess

import pytest

from conftest import COFFER, PROGS, cli, libc_probe_bundle, native

GROUP = [
    "kill(0, SIGUSR1): ok",
    "SIGUSR1 reached the probe: 1",
    "kill(-1, 0): ESRCH",
    "kill(-1, SIGTERM): ESRCH",
    "kill(-pgrp, SIGUSR1): ok",
    "kill(-victim, 0): ESRCH",
]



@pytest.fixture(scope="module")
def bundle(tmp_path_factory, key):
    path, _ = libc_probe_bundle(tmp_path_factory.mktemp("pids"), key, "pidprobe",
                                env={"PIDPROBE": "/app/pidprobe"})
    return path


class How(list):
    """The command line that runs pidprobe with the arguments that follow."""
    bundle = False


@pytest.fixture(params=["development", "bundle"])
def how(request, bundle):
    h = How([str(COFFER), "run", "--", str(PROGS / "pidprobe")])
    if request.param == "bundle":
        h = How([str(COFFER), "run", str(bundle), "--"])
        h.bundle = True
    return h


ENV = dict(os.environ, PIDPROBE=str(PROGS / "pidprobe"))
# pidprobe own's fd 9 (in the bundle, /tmp is a tmpfs)


def test_other_processes_do_not_exist(how, tmp_path):
    expected = native([PROGS / "pidprobe", "foreign", "dead", "0x1000"])
    assert expected.returncode == 0, expected.stderr
    # The probe, the victim and a `sleep` share a process group of their
    # own (kill(0) and kill(-pgrp) reach the victim unless confined).
    out = tmp_path / "victim.out"
    script = f"""
        {PROGS / 'pidprobe'} victim > {out} 2>/dev/null < /dev/null &
        echo $! > {tmp_path / 'victim.pid'}
        sleep 60 > /dev/null 2>&1 < /dev/null &
        echo $! > {tmp_path / 'sleep.pid'}
        while [ ! -s {out} ]; do sleep 0.01; done
        exec "$@" foreign $(cat {tmp_path / 'victim.pid'}) $(cut -d' ' -f2 {out}) group
    """
    r = subprocess.run(["sh", "-c", script, "sh", *how], capture_output=True, text=True, timeout=120,
                       start_new_session=True, env=ENV)
    victim = int((tmp_path / "victim.pid").read_text())
    sleeper = int((tmp_path / "sleep.pid").read_text())
    try:
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines() == expected.stdout.splitlines() + GROUP
        os.kill(sleeper, 0)  # kill(-1, SIGTERM) did not reach it
        gone = os.pidfd_open(victim)
        os.kill(victim, signal.SIGUSR2)  # it reports, then exits
        select.select([gone], [], [], 60)
        os.close(gone)
        assert out.read_text().splitlines()[1:] == ["memory intact: yes", "fd 5 intact: yes", "signals:"]
    finally:
        for p in (victim, sleeper):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


OWN_NOT_OK = {
    "getpriority pgrp": "ESRCH",  # the child leads no process group: Linux's answer
    "PR_SET_PTRACER": "EINVAL",   # no Yama here: Linux's answer
    "child: process_vm_readv of runtime memory": "EFAULT",
    "child: process_vm_writev of runtime memory": "EFAULT",
    "self: process_vm_readv of runtime memory": "EFAULT",
    "self: process_vm_writev of runtime memory": "EFAULT",
    "reaped: kill 0": "ESRCH",
}


def test_own_processes_are_reachable(how, tmp_path):
    env = dict(ENV, PIDPROBE_FILE=str(tmp_path / "file"))
    p = subprocess.Popen(how + ["own"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env, start_new_session=True)
    try:
        first = p.stdout.readline()
        assert first.startswith("pid "), p.stderr.read()
        pid = int(first.split()[1])
        # an address in its runtime memory: the enclave image, as the host sees it
        with open(f"/proc/{pid}/maps") as f:
            rt = next(l.split("-")[0] for l in f if l.rstrip().endswith("/coffer-enclave"))
        out, err = p.communicate(rt + "\n", timeout=120)
    finally:
        p.kill()
    assert p.returncode == 0, err
    lines = out.splitlines()
    seen = {}
    for l in lines:
        if l in ("zombie: status 7", "SIGUSR1 reached the probe: 1", "after execve: child got SIGTERM"):
            continue
        head, _, result = l.rpartition(": ")
        seen[head] = result
    not_ok = dict(OWN_NOT_OK)
    # fd 8 is the program, fd 9 a file in /tmp: host files in a development
    # run, but files the runtime serves in the bundle (trusted, tmpfs), whose
    # host fds must not be taken; both are close-on-exec
    for fd in (8, 9):
        if how.bundle:
            not_ok[f"child: pidfd_getfd of fd {fd}"] = "EPERM"
        not_ok[f"spawned: pidfd_getfd of fd {fd}"] = "EBADF"
    for head, result in seen.items():
        assert result == not_ok.get(head, "ok"), (head, result, out)
    for must in ["child: process_vm_readv reads its page", "child: process_vm_writev wrote",
                 "child: pidfd_getfd got fds 0-2: 3, others: 0", "grandchild: process_vm_readv reads its page",
                 "orphaned grandchild: kill SIGKILL", "spawned: process_vm_readv reads its page",
                 "spawned: process_vm_writev wrote", "spawned: pidfd_getfd got fds 0-2: 3, others: 0",
                 "zombie: kill SIGTERM", "zombie: waitid P_PIDFD", "after execve: kill 0",
                 "after execve: pidfd_open", "after execve: kill(-1, SIGTERM)"]:
        assert must in seen, (must, out)
    assert "zombie: status 7" in lines
    assert "SIGUSR1 reached the probe: 1" in lines
    assert "after execve: child got SIGTERM" in lines


# ---- host-wide objects: SysV IPC and POSIX message queues ----------------------------

IPC_HOST = [
    "host shmget: ENOENT", "host shmget IPC_CREAT: EACCES", "host shmat: EINVAL",
    "host shmctl IPC_STAT: EINVAL", "host shmctl IPC_RMID: EINVAL", "shmctl SHM_INFO: EINVAL",
    "shmctl SHM_STAT_ANY: EINVAL",
    "host semget: ENOENT", "host semop: EINVAL", "host semctl IPC_RMID: EINVAL", "semctl SEM_INFO: EINVAL",
    "host msgget: ENOENT", "host msgsnd: EINVAL", "host msgrcv: EINVAL", "host msgctl IPC_RMID: EINVAL",
    "msgctl MSG_INFO: EINVAL",
    "host mq_open: ENOENT", "host mq_unlink: ENOENT",
]
IPC_OWN = ["own shmget", "own shmat", "own keyed shmget", "own keyed shmget again", "own semget", "own msgget",
           "own mq_open", "child wrote the segment", "own semctl GETVAL", "own msgrcv", "own mq_timedreceive",
           "own shmdt", "own shmctl IPC_RMID", "own keyed shmctl IPC_RMID", "own semctl IPC_RMID",
           "own msgctl IPC_RMID", "own mq_unlink"]


def test_ipc_objects_of_the_host_do_not_exist(how):
    key = 40000 + os.getpid() % 10000
    host = subprocess.Popen([PROGS / "pidprobe", "ipchost", str(key)], stdout=subprocess.PIPE, text=True)
    try:
        ids = host.stdout.readline().split()
        assert len(ids) == 3
        r = subprocess.run(how + ["ipc", str(key), *ids], capture_output=True, text=True, timeout=120, env=ENV)
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines() == IPC_HOST + [f"{l}: ok" for l in IPC_OWN] + [
            "removed shmctl IPC_STAT: EINVAL"]
    finally:
        host.send_signal(signal.SIGUSR2)
        out, _ = host.communicate(timeout=60)
    assert out.splitlines() == ["shm: intact", "sem: intact", "msg: intact", "mq: intact"]


# ---- extended attributes through an fd --------------------------------------------------


def test_fd_xattrs_of_runtime_files_do_not_reach_the_host(bundle, tmp_path):
    """fsetxattr and friends on a trusted or tmpfs file answer as the path
    calls do; they never reach the host fd that holds the number."""
    data = bundle.parent / "data"
    r = cli("run", bundle, "--", "xattr", "/app/pidprobe", "/tmp/new", "/data/host")
    assert r.returncode == 0, r.stderr
    host = native([PROGS / "pidprobe", "xattr", data / "host"])
    assert r.stdout.splitlines() == [
        "/app/pidprobe fsetxattr: EACCES", "/app/pidprobe fgetxattr: ENODATA",
        "/app/pidprobe flistxattr empty: ok", "/app/pidprobe fremovexattr: EACCES",
        "/tmp/new fsetxattr: EOPNOTSUPP", "/tmp/new fgetxattr: EOPNOTSUPP",
        "/tmp/new flistxattr empty: ok", "/tmp/new fremovexattr: EOPNOTSUPP",
    ] + [l.replace(str(data), "/data") for l in host.stdout.splitlines()]
    assert os.listxattr(bundle.parent / "app" / "pidprobe") == []


# ---- the host's clock ----------------------------------------------------------------------


def test_bundle_cannot_set_the_host_clock(bundle):
    r = cli("run", bundle, "--", "clock")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "clock_settime: EPERM", "settimeofday: EPERM", "adjtimex read: ok", "adjtimex set: EPERM",
        "clock_adjtime read: ok", "clock_adjtime set: EPERM",
    ]


# ---- the registry is made when the run first needs it ------------------------
# A program that starts no other process runs without it; the first fork,
# vfork/posix_spawn, SysV object or sethostname makes it, and everything
# that reads it works from then on (pidtab.c, "It is made when ...").

def registry_mapped(pid):
    with open(f"/proc/{pid}/maps") as f:
        return "coffer-pidtab" in f.read()


@pytest.mark.parametrize("forks", [False, True])
def test_the_registry_is_made_at_the_first_other_process(forks):
    script = "read x; /bin/true; read x" if forks else "read x; read x"
    p = subprocess.Popen([COFFER, "run", "--", "/bin/sh", "-c", script], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        p.stdin.write("\n")
        p.stdin.flush()
        # the shell has read the first line once it waits for the second
        for _ in range(600):
            with open(f"/proc/{p.pid}/wchan") as f:
                waiting = f.read() != "0"
            with open(f"/proc/{p.pid}/syscall") as f:
                in_read = f.read().split()[0] == "0"
            if waiting and in_read and (not forks or registry_mapped(p.pid)):
                break
            select.select([], [], [], 0.05)
        assert registry_mapped(p.pid) == forks
    finally:
        p.stdin.close()
        p.wait(timeout=60)


LAZY = r"""
import ctypes, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
first = sys.argv[1]
node = os.uname().nodename
if first == "spawn":
    pid = os.posix_spawn("/bin/sh", ["sh", "-c", "exit 3"], os.environ)
    print("spawned", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
shmid = libc.shmget(0, 4096, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
assert shmid >= 0, ctypes.get_errno()
addr = libc.shmat(shmid, None, 0)
ctypes.memmove(addr, b"parent", 6)
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    a = libc.shmat(shmid, None, 0)  # the run's object: the child may name it
    os.write(w, b"child sees " + ctypes.string_at(a, 6) + b" " + os.uname().nodename.encode())
    signal.pause()
    os._exit(0)
print(os.read(r, 200).decode() == f"child sees parent {node}")
os.kill(pid, 0)
os.kill(pid, signal.SIGTERM)
print("child", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
print("pids", sorted(int(d) for d in os.listdir("/proc") if d.isdigit()).count(os.getpid()))
libc.shmctl(shmid, 0, None)  # IPC_RMID
pid = os.fork()
if pid == 0:
    os._exit(7)
print("again", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


@pytest.mark.parametrize("first", ["shm", "spawn"])
def test_a_registry_made_late_serves_every_process(first):
    r = subprocess.run([COFFER, "run", "--", "/usr/bin/python3", "-c", LAZY, first], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    want = (["spawned 3"] if first == "spawn" else []) + ["True", f"child -{signal.SIGTERM}", "pids 1", "again 7"]
    assert r.stdout.splitlines() == want


def test_an_execve_before_the_registry_starts_processes_after_it():
    r = subprocess.run([COFFER, "run", "--", "/bin/sh", "-c", 'exec /bin/sh -c "/bin/true & wait \\$!; echo \\$?"'],
                       capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout) == (0, "0\n"), r.stderr


def test_a_registry_made_with_stdin_closed():
    """The host gives the registry's memfd the lowest free fd, 0 when the
    program's stdin is closed: the registry is made all the same, and fd 0
    is not left to the program holding it."""
    script = "sleep 1 & kill -0 $! && echo reached; wait; cat /proc/self/fdinfo/0 >/dev/null 2>&1 || echo no fd 0"
    cmd = ["/bin/sh", "-c", script]
    r = subprocess.run([COFFER, "run", "--", *cmd], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=60, preexec_fn=lambda: os.close(0))
    assert (r.returncode, r.stdout) == (0, "reached\nno fd 0\n"), r.stderr
    n = native(cmd, preexec_fn=lambda: os.close(0))
    assert n.stdout == r.stdout


def test_threads_that_fork_first_at_once_share_one_registry():
    """Threads of a new run fork at the same time, spread a few microseconds
    apart (progs/forkrace.c): the first makes the registry, and every other
    waits until it is whole (pidtab_prepare publishes last). A thread that
    took a half-made registry for made gave its child the memfd at an
    application fd and no registry to hand on at execve, where the new image
    then started one of its own and found its parent not ours (getppid 0).
    The race is won only now and then: the test runs the program several
    times, with each spread three times."""
    for spread in (0, 2, 5, 10, 20, 40) * 3:
        r = subprocess.run([COFFER, "run", "--", PROGS / "forkrace", str(spread)], capture_output=True, text=True,
                           timeout=60)
        assert (r.returncode, r.stdout) == (0, "forkrace: ok\n"), (spread, r.stdout, r.stderr)
