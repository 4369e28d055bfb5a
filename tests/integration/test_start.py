"""Starting a bundle refuses what hardware refuses, and nothing starts by
accident (docs/cli.md, "coffer run"; issue 8, part 2).

- Q1 and Q2 of the SIGSTRUCT are checked as EINIT checks them, by `coffer
  run` before it starts anything and again by the enclave image itself,
  which is also started here directly with a boot block written by hand,
  the way `coffer run` starts it, so that the enclave's own check is seen
  to refuse what the host-side check would have caught first.
- `coffer run X` runs a signed bundle or nothing; `coffer run -- PROGRAM` is
  the only development run, and refuses anything that was meant as a bundle.
"""
import os
import re
import shutil
import signal
import struct
import subprocess

import pytest

from conftest import BUILD, NOTICE, cli, run
from test_bundle import App, SIGSTRUCT_SIZE

ENCLAVE = BUILD / "coffer-enclave"
SS_Q1, SS_Q2, RSA = 1040, 1424, 384

# common/bootblock.h
BB_FLAGS, BB_LOG_LEVEL, BB_LOG_FD, BB_PROGRAM, BB_ARG, BB_CWD, BB_UMASK, BB_FD = 1, 2, 3, 4, 5, 7, 8, 10
BB_MANIFEST, BB_SIGSTRUCT, BB_EXPECT_MRENCLAVE = 12, 13, 14
BB_F_DEV_RUN, BB_F_FIRST = 1, 4


def bootblock(records):
    body = b""
    for t, payload in records:
        body += struct.pack("<HHI", t, 0, len(payload)) + payload + bytes(-len(payload) % 8)
    return b"COFFBOOT" + struct.pack("<II", 1, 16 + len(body)) + body


def u32(v):
    return struct.pack("<I", v)


def start_enclave(records, program):
    """Start coffer-enclave as `coffer run` does: the boot block on an
    inherited fd named on its command line, an empty environment."""
    fd = os.memfd_create("boot", 0)
    try:
        os.write(fd, bootblock(records))
        os.lseek(fd, 0, os.SEEK_SET)
        return subprocess.run([str(ENCLAVE), f"--boot-fd={fd}", program], pass_fds=(fd,), env={},
                              capture_output=True, text=True, timeout=60)
    finally:
        os.close(fd)


def bundle_records(manifest, sigstruct, cwd="/app", extra=()):
    recs = [(BB_FLAGS, u32(BB_F_FIRST)), (BB_LOG_LEVEL, u32(1)), (BB_LOG_FD, u32(2)),
            (BB_PROGRAM, b"/app/probe\0"), (BB_ARG, b"cat:/app/hello.txt\0"), (BB_CWD, cwd.encode() + b"\0"),
            (BB_UMASK, u32(0o22))]
    for fd in (0, 1, 2):
        recs.append((BB_FD, struct.pack("<IIQ", fd, 0, 0) + b"\0"))
    if manifest is not None:
        recs.append((BB_MANIFEST, manifest))
    if sigstruct is not None:
        recs.append((BB_SIGSTRUCT, sigstruct))
    return recs + list(extra)


def split(bundle_bytes):
    """(manifest, sigstruct) of a bundle (common/bundle.h: header u32 offsets
    and lengths at 12, 16, 20, 24)."""
    moff, mlen, soff, slen = struct.unpack_from("<IIII", bundle_bytes, 12)
    return bundle_bytes[moff:moff + mlen], bundle_bytes[soff:soff + slen]


@pytest.fixture(scope="module")
def signed(tmp_path_factory, key):
    a = App(tmp_path_factory.mktemp("start"))
    a.sign(key)
    return a


# ---- Q1 and Q2 ----------------------------------------------------------------------


def test_the_enclave_started_directly_runs_a_good_bundle(signed):
    man, ss = split(signed.bundle.read_bytes())
    r = start_enclave(bundle_records(man, ss), "/app/probe")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello from a trusted file\ncat /app/hello.txt: ok\n"


@pytest.mark.parametrize("q", ["Q1", "Q2"])
def test_every_byte_of_q_is_checked_by_the_enclave(signed, q):
    """The enclave's own start check (platform/direct/verify.c), reached
    without `coffer run`: every byte of Q1, then of Q2, changed in turn."""
    man, ss = split(signed.bundle.read_bytes())
    base = SS_Q1 if q == "Q1" else SS_Q2
    wrong = []
    for i in range(RSA):
        bad = bytearray(ss)
        bad[base + i] ^= 0x01 if i % 2 else 0x80
        r = start_enclave(bundle_records(man, bytes(bad)), "/app/probe")
        if (r.returncode != 125 or r.stdout != "" or
                r.stderr != f"coffer: refusing to start: the SIGSTRUCT's {q} does not match the signature and "
                f"modulus ({'Q1 = floor(S^2 / M)' if q == 'Q1' else 'Q2 = floor((S^3 - Q1*S*M) / M)'})\n"):
            wrong.append((i, r.returncode, r.stderr))
    assert not wrong, wrong[:3]


@pytest.mark.parametrize("q", ["Q1", "Q2"])
def test_every_byte_of_q_is_checked_by_coffer_run(signed, tmp_path, q):
    raw = signed.bundle.read_bytes()
    at = len(raw) - SIGSTRUCT_SIZE + (SS_Q1 if q == "Q1" else SS_Q2)
    bad_bundle = tmp_path / "bad.coffer"
    wrong = []
    for i in range(RSA):
        bad = bytearray(raw)
        bad[at + i] ^= 0x01 if i % 2 else 0x80
        bad_bundle.write_bytes(bad)
        r = cli("run", bad_bundle, "--", "cat:/app/hello.txt")
        if r.returncode != 125 or r.stdout != "" or r.stderr != (
                f"coffer: refusing to start: {bad_bundle}: the SIGSTRUCT's {q} does not match the signature "
                f"and modulus ({'Q1 = floor(S^2 / M)' if q == 'Q1' else 'Q2 = floor((S^3 - Q1*S*M) / M)'})\n"):
            wrong.append((i, r.returncode, r.stderr))
    assert not wrong, wrong[:3]


@pytest.mark.parametrize("q", ["Q1", "Q2"])
def test_every_byte_of_q_is_checked_by_measure(signed, tmp_path, q):
    raw = signed.bundle.read_bytes()
    at = len(raw) - SIGSTRUCT_SIZE + (SS_Q1 if q == "Q1" else SS_Q2)
    bad_bundle = tmp_path / "bad.coffer"
    wrong = []
    for i in range(RSA):
        bad = bytearray(raw)
        bad[at + i] ^= 0x01 if i % 2 else 0x80
        bad_bundle.write_bytes(bad)
        r = cli("measure", bad_bundle)
        if r.returncode != 1 or f"signature: INVALID: {q} does not match the signature and modulus" not in r.stdout:
            wrong.append((i, r.returncode, r.stdout))
    assert not wrong, wrong[:3]


def test_the_enclave_refuses_pins_without_a_bundle(signed):
    """A boot block that pins an identity but carries no bundle: a bundle
    was meant, so no development run starts."""
    recs = [(BB_FLAGS, u32(BB_F_FIRST | BB_F_DEV_RUN)), (BB_LOG_LEVEL, u32(1)), (BB_LOG_FD, u32(2)),
            (BB_PROGRAM, b"/bin/true\0"), (BB_ARG, b"true\0"), (BB_CWD, b"/\0"), (BB_UMASK, u32(0o22)),
            (BB_EXPECT_MRENCLAVE, bytes(32))]
    r = start_enclave(recs, "/bin/true")
    assert r.returncode == 125
    assert r.stderr == ("coffer: refusing to start: not a signed bundle, but an expected MRENCLAVE or MRSIGNER "
                        "was given\n")
    # the same block without the pin is an ordinary development run
    r = start_enclave(recs[:-1], "/bin/true")
    assert r.returncode == 0 and r.stderr.strip() == NOTICE, r.stderr


# ---- which form: a bundle or a development run ---------------------------------------


def test_a_file_without_the_bundle_header_never_runs_as_a_program(tmp_path):
    prog = tmp_path / "tool"
    prog.write_text("#!/bin/sh\necho ran\n")
    prog.chmod(0o755)
    named = tmp_path / "app.coffer"
    named.write_text("#!/bin/sh\necho ran\n")
    named.chmod(0o755)
    for target in (prog, named):
        r = cli("run", target)
        assert (r.returncode, r.stdout) == (125, ""), r.stderr
        assert r.stderr == (f"coffer: {target}: not a signed bundle (no bundle header); a development run is "
                            "`coffer run -- PROGRAM`\n")
    # after `--` the program runs, unless its name says it is a bundle
    r = cli("run", "--", prog)
    assert r.returncode == 0 and r.stdout == "ran\n", r.stderr
    r = cli("run", "--", named)
    assert (r.returncode, r.stdout) == (125, "")
    assert r.stderr == (f"coffer: {named}: not a signed bundle (no bundle header), and a .coffer file is never "
                        "run as a program\n")


def test_a_bundle_is_not_run_as_a_program(signed):
    r = cli("run", "--", signed.bundle)
    assert (r.returncode, r.stdout) == (125, "")
    assert r.stderr == (f"coffer: {signed.bundle}: a signed bundle is run as `coffer run {signed.bundle}`; after "
                        "`--` comes a program for a development run\n")


@pytest.mark.parametrize("pin", ["--mrenclave", "--mrsigner"])
def test_a_pinned_identity_never_starts_a_development_run(tmp_path, pin):
    r = cli("run", f"{pin}={'ab' * 32}", "--", "/bin/echo", "ran")
    assert (r.returncode, r.stdout) == (125, "")
    assert r.stderr == (f"coffer: /bin/echo: not a signed bundle: {pin} pins a bundle's identity; run a bundle "
                        f"as `coffer run {pin}=HEX APP.coffer`, without `--` before it\n")
    prog = tmp_path / "tool"
    prog.write_text("#!/bin/sh\necho ran\n")
    prog.chmod(0o755)
    r = cli("run", f"{pin}={'ab' * 32}", prog)
    assert (r.returncode, r.stdout) == (125, "")
    assert "not a signed bundle" in r.stderr


def test_run_of_a_directory(tmp_path):
    r = cli("run", "--", tmp_path)
    assert (r.returncode, r.stdout) == (126, "")
    assert r.stderr == f"coffer: {tmp_path}: Is a directory\n"
    r = cli("run", tmp_path)
    assert (r.returncode, r.stdout) == (125, "")
    assert r.stderr == f"coffer: {tmp_path}: not a signed bundle: Is a directory\n"


def test_run_of_an_empty_file_or_a_missing_bundle(tmp_path):
    empty = tmp_path / "empty.coffer"
    empty.write_bytes(b"")
    r = cli("run", empty)
    assert (r.returncode, r.stdout) == (125, "")
    assert r.stderr == (f"coffer: {empty}: not a signed bundle (no bundle header); a development run is "
                        "`coffer run -- PROGRAM`\n")
    r = cli("run", tmp_path / "missing.coffer")
    assert r.returncode == 125 and r.stderr == f"coffer: {tmp_path / 'missing.coffer'}: No such file or directory\n"


# ---- the command itself: what `coffer run` loads ------------------------------------


def elf_segment_types(path):
    """The p_type of each program header of an ELF64 file."""
    data = path.read_bytes()
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    return [struct.unpack_from("<I", data, phoff + i * phentsize)[0] for i in range(phnum)]


LAUNCHER = BUILD / "coffer-launcher"


def test_coffer_starts_without_a_dynamic_loader():
    """`coffer` is the enclave image (a symbolic link to coffer-enclave), a
    static PIE without PT_INTERP; what it becomes for bundles and --help,
    coffer-launcher, is linked statically too, so that no dynamic loader maps
    and relocates libraries (libcrypto costs milliseconds) before the enclave
    starts. The commands that need OpenSSL and libyaml are in coffer-tools,
    which keeps them."""
    PT_INTERP = 3
    assert os.path.realpath(BUILD / "coffer") == os.path.realpath(ENCLAVE)
    assert PT_INTERP not in elf_segment_types(ENCLAVE)
    assert PT_INTERP not in elf_segment_types(LAUNCHER)
    assert PT_INTERP in elf_segment_types(BUILD / "coffer-tools")
    r = cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("coffer ")


def test_coffer_finds_coffer_launcher_and_coffer_tools(tmp_path):
    """`coffer` alone (the enclave image, copied) runs a development run
    with nothing beside it; every other command becomes coffer-launcher,
    found next to it, in ../libexec/coffer or as $COFFER_LAUNCHER, and the
    launcher finds coffer-tools next to itself. Without them the command
    fails with a line that says what is missing."""
    alone = tmp_path / "bin" / "coffer"
    alone.parent.mkdir()
    shutil.copy(ENCLAVE, alone)
    env = {k: v for k, v in os.environ.items() if k not in ("COFFER_TOOLS", "COFFER_ENCLAVE", "COFFER_LAUNCHER")}
    r = subprocess.run([alone, "run", "--", "/bin/echo", "ran"], capture_output=True, text=True, env=env)
    assert (r.returncode, r.stdout) == (0, "ran\n"), r.stderr
    r = subprocess.run([alone, "measure", "x.coffer"], capture_output=True, text=True, env=env)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (f"coffer: cannot find coffer-launcher, which does `coffer measure` (looked next to "
                        f"{alone.parent}); set COFFER_LAUNCHER\n")
    r = subprocess.run([alone, "run", "x.coffer"], capture_output=True, text=True, env=env)
    assert r.returncode == 125 and "cannot find coffer-launcher, which does `coffer run`" in r.stderr
    env["COFFER_LAUNCHER"] = str(LAUNCHER)
    r = subprocess.run([alone, "keygen", "-o", tmp_path / "k.pem"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and (tmp_path / "k.pem").exists(), r.stderr
    # installed: coffer in bin/, the rest in libexec/coffer/
    libexec = tmp_path / "libexec" / "coffer"
    libexec.mkdir(parents=True)
    for name in ("coffer-launcher", "coffer-tools", "coffer-enclave"):
        shutil.copy(BUILD / name, libexec / name)
    del env["COFFER_LAUNCHER"]
    r = subprocess.run([alone, "keygen", "-o", tmp_path / "k2.pem"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and (tmp_path / "k2.pem").exists(), r.stderr
    r = subprocess.run([alone, "run", "--log", "warn", "--", "/bin/echo", "hosted"], capture_output=True,
                       text=True, env=env)
    assert (r.returncode, r.stdout) == (0, "hosted\n"), r.stderr
    (libexec / "coffer-tools").unlink()
    r = subprocess.run([alone, "measure", "x.coffer"], capture_output=True, text=True, env=env)
    assert r.returncode == 1 and r.stderr.startswith("coffer: cannot find coffer-tools, which does `coffer measure`")


# ---- a plain development run is one exec --------------------------------------
# `coffer run [--trace] [--log=LEVEL] -- PROGRAM` (common/devrun.h) stays in
# `coffer`, which is the enclave image: it builds the boot block itself
# (platform/direct/devrun.c); every other command line becomes
# coffer-launcher, the hosted path (tools/run.c). `--log warn`, with a
# space, is outside the grammar: the tests below use it to take the hosted
# path and check that both give the same answers.

HOSTED = ["--log", "warn"]


def test_a_development_run_is_one_exec(tmp_path):
    """The kernel execs `coffer` (the enclave image) and nothing else: the
    runtime loads the program itself; a bundle, --help or `--log LEVEL`
    goes through coffer-launcher, which execs the enclave with a boot block
    on an fd."""
    if not shutil.which("strace"):
        pytest.skip("no strace")

    def execs(*args):
        log = tmp_path / "strace.log"
        r = subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-e", "signal=none", "-o", log,
                            BUILD / "coffer", *args], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return [l.split("execve(", 1)[1] for l in log.read_text().splitlines() if "execve(" in l and "= 0" in l]

    e = execs("run", "--log=warn", "--trace", "--", "/bin/true", "a b")
    assert len(e) == 1, e
    e = execs("run", *HOSTED, "--", "/bin/true", "a b")
    assert len(e) == 3, e
    assert e[1].startswith(f'"{LAUNCHER}", ["{BUILD / "coffer"}", "run", "--log", "warn", "--", "/bin/true"'), e
    assert re.match(rf'"{ENCLAVE}", \["coffer-enclave", "--boot-fd=\d+", "/bin/true"\]', e[2]), e


def sig_state(mask, ign):
    def pre():
        signal.pthread_sigmask(signal.SIG_BLOCK, mask)
        for s in ign:
            signal.signal(s, signal.SIG_IGN)
        os.umask(0o027)
    return pre


@pytest.mark.parametrize("case", ["missing-path", "missing-name", "empty-name", "denied-on-path", "not-executable",
                                  "directory", "dot-coffer", "bundle-header", "state", "signals"])
def test_a_development_run_gives_the_same_answers_in_coffer_as_on_the_hosted_path(tmp_path, case):
    env = dict(os.environ, FOO="bar baz")
    pre = None
    cwd = None
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\necho hi\n")
    tool.chmod(0o644)
    if case == "missing-path":
        prog, code, err = ["/nonexistent/program"], 127, "coffer: /nonexistent/program: No such file or directory"
    elif case == "missing-name":
        prog, code, err = ["no-such-command-coffer"], 127, "coffer: no-such-command-coffer: command not found"
    elif case == "empty-name":
        prog, code, err = [""], 127, "coffer: : command not found"
    elif case == "denied-on-path":
        env["PATH"] = f"{tmp_path}:/usr/bin:/bin"
        prog, code, err = ["tool"], 126, "coffer: tool: Permission denied"
    elif case == "not-executable":
        prog, code, err = [tool], 126, None
    elif case == "directory":
        prog, code, err = [tmp_path], 126, f"coffer: {tmp_path}: Is a directory"
    elif case == "dot-coffer":
        prog, code, err = ["./x.coffer"], 125, ("coffer: ./x.coffer: not a signed bundle (no bundle header), and "
                                                  "a .coffer file is never run as a program")
    elif case == "bundle-header":
        (tmp_path / "app").write_bytes(b"COFFBNDL" + bytes(64))
        cwd = tmp_path
        prog, code, err = ["app"], 125, ("coffer: app: a signed bundle is run as `coffer run app`; after `--` "
                                         "comes a program for a development run")
    elif case == "state":
        cwd = tmp_path
        pre = sig_state((), ())
        prog, code, err = ["/bin/sh", "-c", 'umask; pwd; echo "$FOO" "$@"; ls /proc/self/fd', "sh", "x  y", ""], 0, None
    else:  # a shell would reset the mask: grep, found on PATH, shows it
        pre = sig_state({signal.SIGUSR2, signal.SIGTERM}, [signal.SIGUSR1, signal.SIGHUP])
        prog, code, err = ["grep", "-E", "Sig(Blk|Ign)", "/proc/self/status"], 0, None
    answers = []
    fd = os.open("/etc/hostname", os.O_RDONLY)
    try:
        for extra in ([], HOSTED):
            r = run(prog, coffer_args=extra, env=env, cwd=cwd, preexec_fn=pre, pass_fds=(fd,))
            assert r.returncode == code, r.stderr
            answers.append((r.stdout, r.stderr))
    finally:
        os.close(fd)
    assert answers[0] == answers[1]
    if err:
        assert answers[0] == ("", err + "\n")
    if case == "state":
        assert answers[0][0].splitlines()[:3] == ["0027", str(tmp_path), "bar baz x  y "]
        assert str(fd) in answers[0][0].splitlines()
    if case == "signals":
        # SIGHUP 1, SIGUSR1 10, SIGUSR2 12, SIGTERM 15, on top of what the
        # suite itself was started with: a job runner may start it with
        # glibc's real-time signals 32 and 33 ignored, a shell's `&` with
        # SIGINT and SIGQUIT ignored, which a child inherits and no test
        # can undo
        base = subprocess.run(["grep", "-E", "Sig(Blk|Ign)", "/proc/self/status"], capture_output=True, text=True)
        own = dict(line.split(":\t") for line in base.stdout.splitlines())
        got = dict(line.split(":\t") for line in answers[0][0].splitlines() if line.startswith("Sig"))
        assert int(got["SigBlk"], 16) & 0x7fffffff == (int(own["SigBlk"], 16) | (1 << 11) | (1 << 14)) & 0x7fffffff
        assert int(got["SigIgn"], 16) & 0x7fffffff == (int(own["SigIgn"], 16) | (1 << 0) | (1 << 9)) & 0x7fffffff


def test_a_hosted_run_without_the_enclave_image_is_explained(tmp_path):
    """coffer-launcher starts the enclave image from next to itself, from
    ../libexec/coffer or $COFFER_ENCLAVE; otherwise it says what is missing."""
    alone = tmp_path / "bin" / "coffer-launcher"
    alone.parent.mkdir()
    shutil.copy(LAUNCHER, alone)
    env = {k: v for k, v in os.environ.items() if k != "COFFER_ENCLAVE"}
    r = subprocess.run([alone, "run", "--", "/bin/echo", "ran"], capture_output=True, text=True, env=env)
    assert (r.returncode, r.stdout) == (125, "")
    assert r.stderr == (f"coffer: cannot find the enclave image coffer-enclave (looked next to {alone.parent}); "
                        f"set COFFER_ENCLAVE\n")
    env["COFFER_ENCLAVE"] = str(tmp_path / "nowhere")
    r = subprocess.run([alone, "run", "--", "/bin/echo", "ran"], capture_output=True, text=True, env=env)
    assert (r.returncode, r.stdout) == (125, "") and "cannot find the enclave image" in r.stderr
    (tmp_path / "libexec" / "coffer").mkdir(parents=True)
    (tmp_path / "libexec" / "coffer" / "coffer-enclave").symlink_to(ENCLAVE)
    del env["COFFER_ENCLAVE"]
    r = subprocess.run([alone, "run", "--", "/bin/echo", "ran"], capture_output=True, text=True, env=env)
    assert (r.returncode, r.stdout) == (0, "ran\n"), r.stderr


def test_a_trampoline_region_is_found_without_probing_the_runtime_reservation(tmp_path):
    """Call-site patching puts its trampolines within 2 GiB of the site
    (platform/direct/patch.c, region_near). python3's ld.so can land next to
    the runtime's 2 GiB reservation; the search steps over a mapping in its
    way instead of probing it a megabyte at a time (it made over a thousand
    failing mmap calls at every python3 start)."""
    if not shutil.which("strace"):
        pytest.skip("no strace")
    log = tmp_path / "strace.log"
    r = subprocess.run(["strace", "-f", "-qq", "-e", "trace=mmap", "-e", "signal=none", "-o", log, BUILD / "coffer",
                        "run", "--", "/usr/bin/python3", "-c", "pass"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    failed = [l for l in log.read_text().splitlines() if "MAP_FIXED_NOREPLACE" in l and "EEXIST" in l]
    assert len(failed) < 16, failed[:20]


@pytest.mark.parametrize("value", ["enclave", "sgx1", "bogus"])
def test_coffer_memory_reaches_a_plain_development_run(value):
    """COFFER_MEMORY is read on both paths: the plain run takes enclave and sgx1
    to the enclave image (the program's memory then lies in the range,
    where /proc/self/maps shows no [vdso]), and leaves a bad value to the
    hosted coffer, which explains it."""
    env = dict(os.environ, COFFER_MEMORY=value)
    answers = [run(["grep", "-c", r"\[vdso\]", "/proc/self/maps"], coffer_args=extra, env=env)
               for extra in ([], HOSTED)]
    got = [(r.returncode, r.stdout, r.stderr) for r in answers]
    assert got[0] == got[1]
    if value == "bogus":
        assert got[0] == (2, "", "coffer: COFFER_MEMORY=bogus: expected host (the default), enclave or sgx1\n")
    else:
        assert got[0][:2] == (1, "0\n"), got[0]
