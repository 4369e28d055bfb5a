"""Process relationships and terminals as natively (issue 9): the program is
the process its parent started (pid, process group, session), job control
reaches it, a signal that kills it is seen as natively, and pseudo-terminals
work, in development runs and in bundles whose manifest allows them."""
import os
import pty
import select
import signal
import subprocess
import sys

import pytest

from conftest import COFFER, native, run, stderr_lines

PY = "/usr/bin/python3"
RELATIONS = "import os; print(os.getpid(), os.getppid() != 0, os.getpgrp(), os.getsid(0))"


def coffer_cmd(*argv):
    return [str(COFFER), "run", "--", *map(str, argv)]


def test_setsid_fails_in_a_session_leader_as_natively():
    # `setsid -w` makes the process it runs a session leader; setsid() in
    # it fails with EPERM. Under a coffer that forked, the program was
    # coffer's child and setsid() succeeded.
    probe = "import os\ntry:\n    os.setsid(); print('setsid ok')\nexcept OSError as e:\n    print('setsid', e.errno)"
    n = native(["setsid", "-w", PY, "-c", probe])
    c = native(["setsid", "-w", *coffer_cmd(PY, "-c", probe)])
    assert n.stdout == c.stdout == "setsid 1\n", (n.stdout, c.stdout, c.stderr)


@pytest.mark.parametrize("new_session", [False, True])
def test_pid_group_and_session_are_the_ones_the_parent_made(new_session):
    p = subprocess.Popen(coffer_cmd(PY, "-c", RELATIONS), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=new_session)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    pid, has_parent, pgrp, sid = out.split()
    assert int(pid) == p.pid
    if new_session:
        assert int(pgrp) == int(sid) == p.pid
    else:
        assert (int(pgrp), int(sid)) == (os.getpgrp(), os.getsid(0))
    # the parent is outside the application: not shown (docs/runtime.md)
    assert has_parent == "False"


def test_a_shells_background_jobs_do_not_become_the_programs_children():
    # `exec coffer run` from a shell with a job running: in the shell's
    # place the program would inherit the job (a host process) and could
    # reap it. coffer stays the parent there instead.
    probe = "import os\ntry:\n    print(os.waitpid(-1, os.WNOHANG))\nexcept ChildProcessError:\n    print('no children')"
    script = 'sleep 60 >/dev/null 2>&1 & echo $! >&2; exec "$@"'
    n = native(["/bin/sh", "-c", script, "sh", PY, "-c", probe])
    c = native(["/bin/sh", "-c", script, "sh", *coffer_cmd(PY, "-c", probe)])
    for r in (n, c):
        os.kill(int(r.stderr.split()[0]), signal.SIGKILL)
    assert n.stdout == "(0, 0)\n"
    assert (c.returncode, c.stdout) == (0, "no children\n"), c.stderr


def test_killed_by_a_signal_as_natively():
    for argv in (["/bin/sh", "-c", "kill -KILL $$"], ["/bin/sh", "-c", "kill -TERM $$"],
                 [PY, "-c", "import ctypes; ctypes.string_at(0)"]):
        n, c = native(argv), run(argv)
        assert n.returncode < 0 and c.returncode == n.returncode, (argv, c.returncode, c.stderr)
        assert stderr_lines(c) == [], c.stderr
    # a shell reports it as it reports a native program
    script = f"{COFFER} run -- /bin/sh -c 'kill -SEGV $$' 2>/dev/null; echo status $?"
    assert native(["/bin/sh", "-c", script]).stdout == "status 139\n"


def test_a_recording_outlives_the_program_and_reports_its_signal(tmp_path):
    # manifest record must write the manifest afterwards, so it stays the
    # program's parent: a shell's 128 + N, and the signal's name
    r = native([COFFER, "manifest", "record", "-o", tmp_path / "m.yaml", "--", "/bin/sh", "-c", "kill -TERM $$"])
    assert r.returncode == 128 + signal.SIGTERM
    assert "coffer: /bin/sh: Terminated" in r.stderr.splitlines()
    assert (tmp_path / "m.yaml").exists()


def test_stop_and_continue_from_outside():
    p = subprocess.Popen(coffer_cmd(PY, "-c", "import os, sys; print(os.getpid(), flush=True); "
                                    "sys.stdin.readline(); print('resumed', flush=True)"),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        program = int(p.stdout.readline())
        os.kill(p.pid, signal.SIGSTOP)
        _, st = os.waitpid(p.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(st) and os.WSTOPSIG(st) == signal.SIGSTOP
        # what stopped is the program itself
        with open(f"/proc/{program}/stat") as f:
            assert f.read().rsplit(")", 1)[1].split()[0] == "T"
        os.kill(p.pid, signal.SIGCONT)
        _, st = os.waitpid(p.pid, os.WCONTINUED)
        assert os.WIFCONTINUED(st)
        p.stdin.write("go\n")
        p.stdin.flush()
        assert p.stdout.readline() == "resumed\n"
        _, st = os.waitpid(p.pid, 0)
        assert os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0
    finally:
        if p.poll() is None and p.returncode is None:
            try:
                p.kill()
            except ProcessLookupError:
                pass


class Terminal:
    """An interactive bash on a new pseudo-terminal, driven like a user."""

    def __init__(self, argv):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": "dumb", "PS1": "PROMPT> ",
               "HOME": "/tmp"}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            # a user's terminal session starts with the default actions
            # and nothing blocked: a test run started in the background
            # inherits SIGINT and SIGQUIT ignored (and some job runners
            # start it with signals such as SIGCHLD blocked, which bash's
            # job control cannot work with), and so would every program
            # of the session
            for sig in (signal.SIGINT, signal.SIGQUIT):
                signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            os.execve(argv[0], argv, env)
        self.seen = b""

    def expect(self, pattern, timeout=60):
        """Read until pattern shows; returns what came since the last expect."""
        pattern = pattern.encode()
        buf = b""
        while pattern not in buf:
            r, _, _ = select.select([self.fd], [], [], timeout)
            if not r:
                raise AssertionError(f"no {pattern!r} on the terminal; got {buf!r}")
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                data = b""
            if not data:
                raise AssertionError(f"the terminal closed before {pattern!r}; got {buf!r}")
            buf += data
        self.seen += buf
        return buf.decode(errors="replace")

    def send(self, text):
        os.write(self.fd, text.encode())

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)


BASH = ["/bin/bash", "--norc", "--noprofile", "-i"]


@pytest.fixture
def bash(request):
    # the shell itself under coffer: its job control (setpgid, tcsetpgrp,
    # waitpid WUNTRACED, SIGTSTP and SIGTTOU ignored) goes through the runtime
    t = Terminal([str(COFFER), "run", "--", *BASH] if request.param == "shell in coffer" else BASH)
    t.expect("PROMPT> ")
    yield t
    t.close()


@pytest.mark.parametrize("bash, under_coffer", [("native", False), ("native", True), ("shell in coffer", False)],
                         indirect=["bash"])
def test_job_control_in_an_interactive_shell(bash, under_coffer):
    prefix = f"{COFFER} run -- " if under_coffer else ""
    # the program's process group is its own, and the terminal's foreground
    bash.send(f"{prefix}{PY} -c \"import os, sys; print('pgrp', os.getpgrp() == os.getpid() == "
              f"os.tcgetpgrp(0)); print('ready'); print('got', sys.stdin.readline().strip(), flush=True); "
              f"print('again', sys.stdin.readline().strip(), flush=True)\"\n")
    out = bash.expect("ready")
    assert "pgrp True" in out, out
    bash.send("\x1a")  # Ctrl-Z: the shell sees it stopped
    assert "Stopped" in bash.expect("PROMPT> ")
    bash.send("jobs -l\n")
    assert "Stopped" in bash.expect("PROMPT> ")
    bash.send("fg\n")  # back in the foreground, reading the terminal again
    bash.expect(PY)
    bash.send("hello\n")
    bash.expect("got hello")
    bash.send("\x03")  # Ctrl-C ends it, as natively: 130
    bash.expect("PROMPT> ")
    bash.send("echo status $?\n")
    assert "status 130" in bash.expect("PROMPT> ")
    # kill -STOP / -CONT from the shell, on a background job (ps reads the
    # state the kernel gives it)
    bash.send(f"{prefix}/bin/sleep 100 &\n")
    bash.expect("PROMPT> ")
    # wait for the kernel's state (ps) and for bash's job table: bash learns
    # of the stop and the continue from SIGCHLD, and under load that can
    # come after the next command, leaving it a continued job it thinks
    # stopped (natively too)
    state = ("until [ \"$(ps -o stat= -p $!)\" = {} ] && jobs %1 | grep -q {}; do sleep 0.1; done; "
             "echo state {}\n")
    bash.send("kill -STOP %1; " + state.format("T", "Stopped", "stopped"))
    bash.expect("state stopped")
    bash.send("kill -CONT %1; " + state.format("S", "Running", "running"))
    bash.expect("state running")
    bash.send("kill %1; wait %1; echo status $?\n")
    bash.expect("status 143")


# A program driving an interactive child through a pseudo-terminal, as
# expect, pexpect and IDEs do: openpty with a window size, then pty.fork
# running bash, which reads commands, prints its prompt and the results, and
# sees the window size the parent set (stty size).
PTY_DRIVER = r"""
import fcntl, os, pty, select, struct, sys, termios

def upto(fd, pattern):
    buf = b""
    while pattern not in buf:
        r, _, _ = select.select([fd], [], [], 60)
        data = os.read(fd, 4096) if r else b""
        if not data:
            sys.exit(f"no {pattern!r}, got {buf!r}")
        buf += data
    return buf

m, s = os.openpty()
fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 77, 0, 0))
print("openpty", os.isatty(s), os.ttyname(s).startswith("/dev/pts/"), os.get_terminal_size(s))
os.close(s)
os.close(m)
pid, fd = pty.fork()
if pid == 0:
    os.execv("/bin/bash", ["bash", "--norc", "--noprofile", "-i"])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 91, 0, 0))
os.write(fd, b"PS1='RE''ADY> '\n")  # the echo of this line is no prompt
upto(fd, b"READY> ")
os.write(fd, b"stty size; echo $((6*7)); tty\n")
out = upto(fd, b"READY> ").decode().splitlines()
print("child", out[1:3], out[3].startswith("/dev/pts/"))
os.write(fd, b"exit 3\n")
try:
    while os.read(fd, 4096):
        pass
except OSError:
    pass
print("status", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""
PTY_OUT = ("openpty True True os.terminal_size(columns=77, lines=33)\n"
           "child ['24 91', '42'] True\nstatus 3\n")


def test_pseudo_terminals_in_a_development_run_and_a_bundle(tmp_path, key):
    from test_apps import Modes
    script = tmp_path / "driver.py"
    script.write_text(PTY_DRIVER)
    argv = [PY, str(script)]
    env = {"PATH": "/usr/bin:/bin", "TERM": "dumb"}
    assert native(argv, env=env).stdout == PTY_OUT
    m = Modes(tmp_path, key)
    for cmd in (m.dev(argv), m.record(argv)):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
        assert (r.returncode, r.stdout) == (0, PTY_OUT), r.stderr
    # the recording saw the program make a terminal, and says so
    yaml = m.yaml.read_text()
    assert "\nterminal: true\n" in yaml
    r = subprocess.run(m.sign(), capture_output=True, text=True, timeout=300, env=env)
    assert (r.returncode, r.stdout) == (0, PTY_OUT), r.stderr
    assert "ptmx" not in r.stderr
    # without `terminal: true` the bundle makes no terminal, and says why
    m.yaml.write_text(yaml.replace("\nterminal: true\n", "\n"))
    r = subprocess.run(m.sign(), capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 1 and r.stdout == ""
    assert ("coffer: warning: /dev/ptmx: a new pseudo-terminal is refused (EACCES): the manifest does not say "
            "`terminal: true`") in r.stderr.splitlines()
    assert "PermissionError: [Errno 13] Permission denied" in r.stderr


# A program that handles SIGTSTP the way editors and pagers do: tidy up,
# stop itself with the default action, and carry on when continued.
TSTP_HANDLER = r"""
import os, signal, sys
def tstp(sig, frame):
    os.write(1, b"suspending\n")
    signal.signal(signal.SIGTSTP, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTSTP)
    signal.signal(signal.SIGTSTP, tstp)
    os.write(1, b"back\n")
signal.signal(signal.SIGTSTP, tstp)
signal.signal(signal.SIGCONT, lambda sig, frame: os.write(1, b"continued\n"))
os.write(1, b"ready\n")
print("got", sys.stdin.readline().strip(), flush=True)
"""


@pytest.mark.parametrize("bash, under_coffer", [("native", False), ("native", True)], indirect=["bash"])
def test_a_program_that_handles_its_own_suspend(bash, under_coffer, tmp_path):
    script = tmp_path / "tstp.py"
    script.write_text(TSTP_HANDLER)
    prefix = f"{COFFER} run -- " if under_coffer else ""
    bash.send(f"{prefix}{PY} {script}\n")
    bash.expect("ready")
    bash.send("\x1a")
    out = bash.expect("PROMPT> ")
    assert "suspending" in out and "Stopped" in out, out
    bash.send("fg\n")
    assert "continued" in bash.expect("back\r\n")
    bash.send("hi\n")
    bash.expect("got hi")
