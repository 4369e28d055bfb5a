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
import struct
import subprocess

import pytest

from conftest import BUILD, NOTICE, cli
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


def test_coffer_starts_without_a_dynamic_loader():
    """Every program start under Coffer starts `coffer` first: it is linked
    statically, so that no dynamic loader maps and relocates libraries
    (libcrypto costs milliseconds) before the enclave starts. The commands
    that need OpenSSL and libyaml are in coffer-tools, which keeps them."""
    PT_INTERP = 3
    assert PT_INTERP not in elf_segment_types(BUILD / "coffer")
    assert PT_INTERP in elf_segment_types(BUILD / "coffer-tools")
    r = cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("coffer ")


def test_coffer_finds_coffer_tools(tmp_path):
    """`coffer keygen` and the other commands exec coffer-tools: next to
    coffer, or in ../libexec/coffer, or $COFFER_TOOLS; without it they fail
    with a line that says so, and `coffer run` does not need it."""
    alone = tmp_path / "bin" / "coffer"
    alone.parent.mkdir()
    alone.write_bytes((BUILD / "coffer").read_bytes())
    alone.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("COFFER_TOOLS", "COFFER_ENCLAVE")}
    r = subprocess.run([alone, "measure", "x.coffer"], capture_output=True, text=True, env=env)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (f"coffer: cannot find coffer-tools, which does `coffer measure` (looked next to "
                        f"{alone.parent}); set COFFER_TOOLS\n")
    env["COFFER_ENCLAVE"] = str(BUILD / "coffer-enclave")
    r = subprocess.run([alone, "run", "--", "/bin/echo", "ran"], capture_output=True, text=True, env=env)
    assert (r.returncode, r.stdout) == (0, "ran\n"), r.stderr
    env["COFFER_TOOLS"] = str(BUILD / "coffer-tools")
    r = subprocess.run([alone, "keygen", "-o", tmp_path / "k.pem"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and (tmp_path / "k.pem").exists(), r.stderr
    # installed: coffer in bin/, the rest in libexec/coffer/
    libexec = tmp_path / "libexec" / "coffer"
    libexec.mkdir(parents=True)
    (libexec / "coffer-tools").symlink_to(BUILD / "coffer-tools")
    del env["COFFER_TOOLS"]
    r = subprocess.run([alone, "keygen", "-o", tmp_path / "k2.pem"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and (tmp_path / "k2.pem").exists(), r.stderr
