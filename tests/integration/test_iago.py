"""A lying host (Iago): the direct platform's fault-injection mode
(COFFER_FAULT, platform/direct/fault.c) bends the host's answers to forwarded
calls, and the runtime's marshaller (runtime/syscall/marshal.c) must refuse
each lie with EIO or EFAULT for that call, log the check it failed, and let
the program go on. Each lie runs in both ways forwarded calls cross
(COFFER_BOUNDARY=pass, the thin case, and copy, as on sgx) and in check
mode (copy with assertions on every pointer handed to the host).
docs/platforms.md, "The boundary: forwarded calls", lists the checks.
"""
import os

import pytest

from conftest import BUILD, run, stderr_lines

PROBE = BUILD / "tests" / "iagoprobe"
MODES = ["pass", "copy", "check"]

# lie -> the probe lines it targets: (probe line, errno, the check the log names)
LIES = {
    "len": [("read", "EIO", "read: more bytes than asked for"),
            ("msgrcv", "EIO", "msgrcv: more bytes than asked for"),
            ("sendfile", "EIO", "sendfile: more bytes than asked for"),
            ("splice", "EIO", "splice: more bytes than asked for"),
            ("tee", "EIO", "tee: more bytes than asked for"),
            ("copy_file_range", "EIO", "copy_file_range: more bytes than asked for")],
    "iov": [("readv", "EIO", "readv: more bytes than the iovecs hold")],
    "fd": [("socket", "EIO", "socket: a new descriptor out of range or the runtime's")],
    "count": [("epoll_wait", "EIO", "epoll_wait: more events than maxevents"),
              ("getgroups", "EIO", "getgroups: more groups than the array holds"),
              ("select", "EIO", "select: more ready bits than the sets hold"),
              ("sendmmsg", "EIO", "sendmmsg: more messages than the vector holds")],
    "revents": [("poll", "EIO", "poll: revents not asked for")],
    "ptr": [("mmap", "EFAULT", "mmap: an address inside runtime memory"),
            ("mremap", "EFAULT", "mremap: an address inside runtime memory"),
            ("shmat", "EFAULT", "shmat: a segment that reaches runtime memory")],
    "stat": [("fstat", "EIO", "fstat: st_mode names no file type"),
             ("statx", "EIO", "statx: stx_mode names no file type")],
    "dirent": [("getdents64", "EIO", "getdents64: a directory record runs past the answer or has no name")],
    "sockaddr": [("getsockname", "EIO", "getsockname: socket address length larger than any address")],
    "msg": [("recvmsg", "EIO", "recvmsg: msg_controllen larger than the control buffer")],
    "siginfo": [("waitid", "EIO", "waitid: siginfo of a child that is not SIGCHLD's")],
    # the calls that once went around the marshaller
    "flock": [("getlk", "EIO", "fcntl: l_type is no lock type"),
              ("ofd_getlk", "EIO", "fcntl: l_type is no lock type")],
    "wlen": [("sendfile_rt", "EIO", "write: more bytes than asked for")],
    "eintr": [("eintr", "EIO", "read: more bytes than asked for")],
}


# probes a lie also reaches besides its targets: a count that makes poll's
# other checks fail first; the read of the file named eintr
ALSO = {"count": {"poll"}, "len": {"eintr"}}


def files(tmp_path):
    (tmp_path / "a").write_text("x")
    (tmp_path / "eintr").write_text("interrupted")


def probe(tmp_path, mode, lie=None):
    env = dict(os.environ, COFFER_BOUNDARY=mode)
    env.pop("COFFER_FAULT", None)
    if lie:
        env["COFFER_FAULT"] = lie
    r = run([PROBE], env=env, cwd=tmp_path)
    lines = r.stdout.splitlines()
    calls = {l.split()[0]: l.split()[1:] for l in lines if len(l.split()) == 3}
    return r, calls, lines


@pytest.mark.parametrize("mode", MODES)
def test_iago_honest_host(tmp_path, mode):
    """Without a lie every probe succeeds in every mode: the checks refuse
    nothing a real kernel says."""
    files(tmp_path)
    r, calls, lines = probe(tmp_path, mode)
    assert r.returncode == 0, r.stderr
    assert lines[-1] == "alive"
    assert set(calls) >= {t[0] for v in LIES.values() for t in v}
    for name, (res, err) in calls.items():
        assert err == "-", f"{name} failed under an honest host: {lines}"
    assert "refused" not in r.stderr
    assert "tail intact" in lines
    assert calls["bigmsg"] == ["1", "-"], lines
    assert "nanosleep_rem ok" in lines, lines
    assert "getlk_answer bad" not in lines, lines
    assert calls["eintr"] == ["11", "-"] and calls["msgrcv"] == ["5", "-"], lines
    assert int(calls["sendfile_rt"][0]) > 0 and calls["sendfile"] == ["1", "-"], lines


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lie", sorted(LIES))
def test_iago_lie_refused(tmp_path, mode, lie):
    """Each lie: the call it targets fails with EIO/EFAULT, the log names the
    check, the other probes and the program go on."""
    files(tmp_path)
    r, calls, lines = probe(tmp_path, mode, lie)
    assert r.returncode == 0, (r.returncode, r.stderr)
    assert lines[-1] == "alive", lines
    for call, errno, check in LIES[lie]:
        assert calls[call] == ["-1", errno], (call, lines)
        assert f"host answer refused: {check}" in r.stderr, (check, r.stderr)
    targets = {t[0] for t in LIES[lie]}
    for name, (res, err) in calls.items():
        if name not in targets and name not in ALSO.get(lie, ()):
            assert err == "-", f"{name} failed under lie {lie}: {lines}"
    assert not any("internal error" in l for l in stderr_lines(r))


def test_iago_copy_mode_copies_back_only_the_length(tmp_path):
    """A host that writes past the length it returns (scribble): in pass
    mode it shares the application's memory and the bytes land (direct's thin
    case, where the host is the kernel); in copy mode only the returned
    length comes back, and the rest of the buffer stays as it was."""
    files(tmp_path)
    r, calls, lines = probe(tmp_path, "pass", "scribble")
    assert r.returncode == 0 and "tail scribbled" in lines, lines
    for mode in ("copy", "check"):
        r, calls, lines = probe(tmp_path, mode, "scribble")
        assert r.returncode == 0, r.stderr
        assert "tail intact" in lines and calls["read"] == ["5", "-"], lines


def test_iago_unknown_lie_and_mode(tmp_path):
    r = run(["/bin/true"], env=dict(os.environ, COFFER_FAULT="bogus"))
    assert r.returncode == 2 and "COFFER_FAULT=bogus: no such lie" in r.stderr
    r = run(["/bin/true"], env=dict(os.environ, COFFER_BOUNDARY="bogus"))
    assert r.returncode == 2 and "COFFER_BOUNDARY=bogus: expected pass, copy or check" in r.stderr


def test_iago_lie_survives_exec(tmp_path):
    """The lying host goes on lying to the next image (plat_exec), so a
    program started by execve meets the same checks."""
    files(tmp_path)
    env = dict(os.environ, COFFER_FAULT="sockaddr", COFFER_BOUNDARY="copy")
    r = run(["/bin/sh", "-c", f"exec {PROBE}"], env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "getsockname -1 EIO" in r.stdout.splitlines()
