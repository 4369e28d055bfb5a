"""Bad input to `coffer run` (issue 2, acceptance item 6) and the CLI."""
import os
import struct

from conftest import cli, run


def one_error_line(r):
    lines = r.stderr.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_missing_program():
    r = run(["/nonexistent/program"])
    assert r.returncode == 127
    assert one_error_line(r) == "coffer: /nonexistent/program: No such file or directory"
    r = run(["no-such-command-coffer"])
    assert r.returncode == 127
    assert one_error_line(r) == "coffer: no-such-command-coffer: command not found"


def test_not_an_elf(tmp_path):
    f = tmp_path / "data"
    f.write_text("just some text\n")
    f.chmod(0o755)
    r = run([f])
    assert r.returncode == 126
    assert r.stderr.splitlines()[-1] == f"coffer: {f}: cannot execute: not an ELF executable and no #! line"


def _elf_header(machine, elfclass=2):
    ident = b"\x7fELF" + bytes([elfclass, 1, 1]) + bytes(9)
    if elfclass == 2:
        return ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0x400000, 64, 0, 0, 64, 56, 0, 64, 0, 0)
    return ident + struct.pack("<HHIIIIIHHHHHH", 2, machine, 1, 0x8048000, 52, 0, 0, 52, 32, 0, 40, 0, 0)


def test_elf_for_another_architecture(tmp_path):
    f = tmp_path / "arm64-program"
    f.write_bytes(_elf_header(183))
    f.chmod(0o755)
    r = run([f])
    assert r.returncode == 126
    assert r.stderr.splitlines()[-1] == (
        f"coffer: {f}: cannot execute: ELF for AArch64 (machine 183); coffer runs x86-64 programs")
    f32 = tmp_path / "i386-program"
    f32.write_bytes(_elf_header(3, elfclass=1))
    f32.chmod(0o755)
    r = run([f32])
    assert r.returncode == 126
    assert "32-bit ELF for i386" in r.stderr


def test_not_executable(tmp_path):
    f = tmp_path / "noexec"
    f.write_text("#!/bin/sh\necho hi\n")
    f.chmod(0o644)
    r = run([f])
    assert r.returncode == 126
    assert "Permission denied" in r.stderr.splitlines()[-1]


def test_bad_interpreter(tmp_path):
    f = tmp_path / "script"
    f.write_text("#!/nonexistent/interp\n")
    f.chmod(0o755)
    r = run([f])
    assert r.returncode == 126
    assert r.stderr.splitlines()[-1] == (
        f"coffer: {f}: bad interpreter /nonexistent/interp: No such file or directory")


def test_cli_help_and_version():
    r = cli("--help")
    assert r.returncode == 0 and "Usage: coffer COMMAND" in r.stdout and "run" in r.stdout
    r = cli("run", "--help")
    assert r.returncode == 0 and "Usage: coffer run" in r.stdout and "--trace" in r.stdout
    r = cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("coffer 0.")


def test_cli_usage_errors():
    assert cli().returncode == 2
    r = cli("frobnicate")
    assert r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr
    r = cli("run")
    assert r.returncode == 2 and "no program or bundle given" in r.stderr
    r = cli("run", "--log=loud", "--", "/bin/true")
    assert r.returncode == 2 and "--log=loud: unknown level" in r.stderr
    r = cli("run", "--", "/bin/true", env=dict(os.environ, COFFER_LOG="loud"))
    assert r.returncode == 2 and "COFFER_LOG=loud" in r.stderr


def test_log_levels():
    r = run(["/bin/true"], coffer_args=["--log=debug"])
    assert r.returncode == 0 and "debug: starting /bin/true" in r.stderr
    r = run(["/bin/true"], env=dict(os.environ, COFFER_LOG="debug"))
    assert "debug: starting" in r.stderr
    r = run(["/bin/true"])
    assert "debug:" not in r.stderr
