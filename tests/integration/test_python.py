"""python3 from Debian under coffer (issue 2, acceptance item 4)."""
import os

from conftest import HERE, native, run, stderr_lines

PY = "/usr/bin/python3"


def test_python_app_matches_native():
    app = HERE / "programs" / "python_app.py"
    c, n = run([PY, app]), native([PY, app])
    assert n.returncode == 0, n.stderr
    assert c.returncode == 0, c.stderr
    assert c.stdout == n.stdout
    assert stderr_lines(c) == []


def test_posix_spawn_reports_exec_failure():
    # glibc's posix_spawn reports a failed exec through memory it shares with
    # its vfork child: that must come back as an error, not as a child.
    code = ("import os\n"
            "try:\n"
            "    os.posix_spawn('/nonexistent/x', ['x'], os.environ)\n"
            "    print('spawned')\n"
            "except FileNotFoundError:\n"
            "    print('ENOENT')\n"
            "pid = os.posix_spawn('/bin/sh', ['sh', '-c', 'exit 4'], os.environ)\n"
            "print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n")
    c = run([PY, "-c", code])
    assert c.returncode == 0, c.stderr
    assert c.stdout == "ENOENT\n4\n"


def test_python_sees_its_own_executable():
    code = "import os, sys; print(os.readlink('/proc/self/exe')); print(sys.executable)"
    c, n = run([PY, "-c", code]), native([PY, "-c", code])
    assert c.stdout == n.stdout


def test_environment_and_cwd_pass_through(tmp_path):
    env = dict(os.environ, COFFER_TEST_VALUE="a b=c")
    code = "import os; print(os.environ['COFFER_TEST_VALUE']); print(os.getcwd())"
    c = run([PY, "-c", code], env=env, cwd=tmp_path)
    assert c.stdout == f"a b=c\n{tmp_path}\n"
