"""Runtime core: static and glibc programs, exit statuses, coreutils and shell
(issue 2, acceptance items 1-3)."""
import re

from conftest import NOTICE, native, run, stderr_lines


def test_raw_syscalls_are_intercepted(prog):
    r = run([prog("raw_syscalls")], coffer_args=["--trace"])
    assert r.returncode == 3
    assert r.stdout.splitlines() == [
        "raw: hello", "raw: getpid ok", "raw: mmap ok", "raw: thread says hi", "raw: thread joined"]
    trace = r.stderr.splitlines()
    calls = [re.sub(r"^\[(\d+)\] ", "", l) for l in trace if l.startswith("[")]
    tids = {re.match(r"^\[(\d+)\]", l).group(1) for l in trace if l.startswith("[")}
    assert 'write(1, "raw: hello\\n", 11) = 11' in calls
    assert any(c.startswith("getpid() = ") for c in calls)
    assert any(c.startswith("mmap(0x0, 4096, 0x3, 0x22, -1, 0x0) = 0x") for c in calls)
    assert any(c.startswith("clone(") for c in calls)
    # the clone'd thread's own calls were intercepted too, under its own tid
    thread_lines = [l for l in trace if "raw: thread says hi" in l]
    assert len(thread_lines) == 1 and len(tids) == 2
    assert "exit_group(3) = ?" in calls


def test_true_and_exit_status():
    assert run(["/bin/true"]).returncode == 0
    assert run(["/bin/false"]).returncode == 1
    assert run(["/bin/sh", "-c", "exit 7"]).returncode == 7


def test_development_run_notice_once():
    r = run(["/bin/sh", "-c", "/bin/true; /bin/sh -c 'echo nested'"])
    assert r.stdout == "nested\n"
    assert r.stderr.splitlines().count(NOTICE) == 1


def _mask_proc_nlink(text):
    # /proc's link count is the number of processes: coffer adds its own.
    return re.sub(r"^(dr-xr-xr-x +)\d+( .* proc)$", r"\1N\2", text, flags=re.M)


def test_ls_la_root():
    c, n = run(["ls", "-la", "/"]), native(["ls", "-la", "/"])
    assert c.returncode == 0
    assert _mask_proc_nlink(c.stdout) == _mask_proc_nlink(n.stdout)
    assert stderr_lines(c) == []


def test_shell_pipeline():
    cmd = ["sh", "-c", "echo $((6*7)) | cat | wc -c"]
    c, n = run(cmd), native(cmd)
    assert c.returncode == 0 and c.stdout == n.stdout == "3\n"


def test_find_sort_head():
    cmd = ["sh", "-c", "find /usr/share/doc -maxdepth 1 | sort | head"]
    c, n = run(cmd), native(cmd)
    assert c.returncode == 0 and c.stdout == n.stdout and c.stdout.count("\n") == 10


def test_script_with_shebang(tmp_path):
    script = tmp_path / "hello.sh"
    script.write_text("#!/bin/sh -e\necho \"script $0 $1\"\n")
    script.chmod(0o755)
    r = run([script, "arg"])
    assert r.returncode == 0 and r.stdout == f"script {script} arg\n"


def test_exec_chain_and_exec_errors():
    r = run(["/bin/sh", "-c", "exec /usr/bin/env python3 -c 'print(6*7)'"])
    assert r.returncode == 0 and r.stdout == "42\n"
    r = run(["/bin/sh", "-c", "/nonexistent/prog; echo status $?"])
    assert r.stdout == "status 127\n"


def test_process_shows_as_the_program():
    # ps, pgrep and /proc/PID/cmdline name the program, not the enclave image
    r = run(["/bin/sh", "-c", "ps -o comm= -p $$; tr '\\0' ' ' < /proc/$$/cmdline"])
    assert r.stdout.splitlines() == ["sh", "/bin/sh -c ps -o comm= -p $$; tr '\\0' ' ' < /proc/$$/cmdline "]
