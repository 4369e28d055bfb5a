"""Signed bundles at run time: the identity check at start, the file system
the manifest describes and nothing else (docs/manifest.md, "Running a
bundle").

The application is progs/probe.c (linked against libc only), in a copy of
its file tree under tmp_path: the program, a data file, symlinks that try
to leave the mount, and a copy of libc mounted where the loader looks for
it, so the tests can tamper with trusted files without touching the host's.
"""
import os
import re
import shutil
import subprocess

import pytest

from conftest import COFFER, LIBC, LOADER, PROGS, chain, cli

BUNDLE_HEADER = 32
SIGSTRUCT_SIZE = 1808
CHUNK = 16384
SIMULATED = re.compile(r"^coffer: simulated SGX on the direct platform: identity checked "
                       r"\(MRENCLAVE [0-9a-f]{16}\.\.\.\), but nothing is hidden from the host$", re.M)



MANIFEST = """\
version: 1
entrypoint: /app/probe
argv: [probe]
host_args: {host_args}
env:
  GREETING: from the manifest
host_env: [TERM]
cwd: /app
mounts:
  - path: /app
    type: trusted
    source: {app}
  - path: /data
    type: passthrough
    source: {data}
  - path: /tmp
    type: tmpfs
{libs}enclave:
  size: 256M
  threads: 4
"""


class App:
    """The probe's file tree and manifest under a temporary directory."""

    def __init__(self, base):
        self.base = base
        self.app, self.data, self.lib = base / "app", base / "data", base / "lib"
        for d in (self.app, self.data, self.lib):
            d.mkdir()
        shutil.copy(PROGS / "probe", self.app / "probe")
        (self.app / "hello.txt").write_text("hello from a trusted file\n")
        (self.app / "empty").mkdir()
        self.blob = self.app / "data.bin"
        self.blob.write_bytes(bytes(range(256)) * (3 * CHUNK // 256 + 10))
        os.symlink("../../etc/passwd", self.app / "evil")
        os.symlink("/etc/passwd", self.app / "abs-evil")
        (self.data / "host.txt").write_text("written by the host\n")
        os.symlink("../../../../../../etc/passwd", self.data / "escape")
        self.outside = base / "outside.txt"  # on the host, under no mount
        self.outside.write_text("not for the enclave\n")

        entries = []
        for p in chain(LOADER) + chain(LIBC):
            if p not in entries:
                entries.append(p)
        self.libc = entries[-1]  # the real libc, mounted from a copy
        self.libc_copy = self.lib / "libc.so.6"
        shutil.copy(self.libc, self.libc_copy)
        libs = ""
        for p in entries:
            libs += f"  - path: {p}\n    type: trusted\n"
            if p == self.libc:
                libs += f"    source: {self.libc_copy}\n"
        self.libs = libs
        self.yaml = base / "app.yaml"
        self.bundle = base / "app.coffer"

    def sign(self, key, host_args="append", out=None):
        self.yaml.write_text(MANIFEST.format(host_args=host_args, app=self.app, data=self.data, libs=self.libs))
        r = cli("sign", "--key", key, self.yaml, "-o", out or self.bundle)
        assert r.returncode == 0, r.stderr
        return r

    def run(self, *ops, bundle=None, coffer_args=(), **kw):
        return cli("run", *coffer_args, bundle or self.bundle, "--", *ops, **kw)



@pytest.fixture
def app(tmp_path, key):
    a = App(tmp_path)
    a.sign(key)
    return a


def results(proc):
    """'OP PATH: RESULT' lines -> {(op, path): result}."""
    out = {}
    for line in proc.stdout.splitlines():
        head, sep, result = line.rpartition(": ")
        if sep:
            op, _, path = head.partition(" ")
            out[(op, path)] = result
    return out


# ---- starting --------------------------------------------------------------------


def test_bundle_runs_and_says_it_is_simulated(app):
    r = app.run("cat:/app/hello.txt", "cat:/data/host.txt")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("hello from a trusted file\ncat /app/hello.txt: ok\n"
                        "written by the host\ncat /data/host.txt: ok\n")
    assert SIMULATED.search(r.stderr), r.stderr


def test_argv_and_env_come_from_the_manifest(app):
    env = dict(os.environ, GREETING="from the host", SECRET="host value", TERM="xterm-test")
    r = app.run("args:-", "env:GREETING", "env:SECRET", "env:TERM", "env:PATH", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "arg 0: probe", "arg 1: args", "arg 2: env:GREETING", "arg 3: env:SECRET", "arg 4: env:TERM",
        "arg 5: env:PATH",
        "env GREETING=from the manifest",
        "env SECRET=(unset)",
        "env TERM=xterm-test",  # host_env passes the name through
        "env PATH=(unset)",
    ]


def test_host_arguments_refused_unless_the_manifest_takes_them(app, key):
    app.sign(key, host_args="none")
    r = app.run("cat:/app/hello.txt")
    assert r.returncode == 2
    assert "the manifest takes no arguments from the host (host_args: none)" in r.stderr
    r = cli("run", app.bundle)
    assert r.returncode == 0, r.stderr


# ---- the identity check -------------------------------------------------------------


def refused(r, why):
    assert r.returncode == 125, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    assert "coffer: refusing to start: " in r.stderr, r.stderr
    assert why in r.stderr, r.stderr


def test_altered_manifest_refused(app):
    raw = bytearray(app.bundle.read_bytes())
    at = raw.index(b"/app/probe", BUNDLE_HEADER)
    raw[at + len("/app/prob")] ^= 0x01  # /app/probd: still a well-formed manifest
    app.bundle.write_bytes(raw)
    refused(app.run("cat:/app/hello.txt"), "MRENCLAVE")


def test_altered_sigstruct_refused(app):
    raw = bytearray(app.bundle.read_bytes())
    raw[len(raw) - SIGSTRUCT_SIZE + 128 + 384 + 4 + 100] ^= 0x01  # inside the signature
    app.bundle.write_bytes(raw)
    refused(app.run("cat:/app/hello.txt"), "signature")


def test_another_signer_refused_by_the_pinned_mrsigner(app, key, tmp_path_factory):
    m = cli("measure", app.bundle)
    assert m.returncode == 0, m.stdout
    mrsigner = re.search(r"^mrsigner:\s+([0-9a-f]{64})$", m.stdout, re.M).group(1)
    mrenclave = re.search(r"^mrenclave:\s+([0-9a-f]{64})$", m.stdout, re.M).group(1)
    pins = [f"--mrsigner={mrsigner}", f"--mrenclave={mrenclave}"]
    assert app.run("cat:/app/hello.txt", coffer_args=pins).returncode == 0

    other = tmp_path_factory.mktemp("other") / "other.pem"
    assert cli("keygen", "-o", other).returncode == 0
    forged = app.base / "forged.coffer"
    app.sign(other, out=forged)
    # a valid bundle in itself: only the pin tells it apart
    assert app.run("cat:/app/hello.txt", bundle=forged).returncode == 0
    refused(app.run("cat:/app/hello.txt", bundle=forged, coffer_args=pins[:1]), "MRSIGNER")
    # same manifest, same MRENCLAVE: pinning MRENCLAVE alone would not catch it
    assert app.run("cat:/app/hello.txt", bundle=forged, coffer_args=pins[1:]).returncode == 0


def test_pinned_mrenclave_mismatch_refused(app):
    refused(app.run("cat:/app/hello.txt", coffer_args=["--mrenclave=" + "ab" * 32]), "MRENCLAVE")


# ---- what exists ------------------------------------------------------------------------

OPS = ["open", "stat", "lstat", "access", "readlink", "chdir", "mkdir", "rmdir", "unlink", "rename", "truncate",
       "chmod", "creat", "write", "exec"]


def test_nothing_outside_the_mounts_exists(app):
    paths = ["/etc/shadow", "/etc/passwd", "/proc/1/environ", "/usr/bin/python3", str(app.outside),
             str(app.app / "hello.txt"),  # the host path of a trusted file
             "/app/../../etc/passwd", "../../etc/passwd", "/app/evil/x", "/etc/newdir"]
    r = app.run(*(f"{op}:{p}" for p in paths for op in OPS))
    assert r.returncode == 0, r.stderr
    got = results(r)
    wrong = {(op, p): got.get((op, p)) for p in paths for op in OPS if got.get((op, p)) != "ENOENT"}
    assert not wrong


def test_directories_above_mounts_exist(app):
    # "/" holds only the mount points; it is a directory like any other
    r = app.run("creat:/", "write:/", "open:/", "mkdir:/", "rmdir:/")
    assert r.returncode == 0, r.stderr
    got = results(r)
    assert [got[(op, "/")] for op in ("creat", "write", "open", "mkdir")] == ["EEXIST", "EISDIR", "ok", "EEXIST"]


def test_symlinks_do_not_leave_the_mounts(app):
    """A symlink is followed inside the enclave, to paths no mount covers."""
    links = ["/app/evil", "/app/abs-evil", "/data/escape"]
    r = app.run(*(f"{op}:{p}" for p in links for op in ("open", "stat", "access", "write", "exec", "chdir")),
                *(f"{op}:{p}" for p in links for op in ("lstat", "readlink")))
    assert r.returncode == 0, r.stderr
    got = results(r)
    for p in links:
        for op in ("open", "stat", "access", "write", "exec", "chdir"):
            assert got[(op, p)] == "ENOENT", (op, p, got[(op, p)])
        assert got[("lstat", p)] == "ok" and got[("readlink", p)] == "ok"


def test_trusted_files_cannot_be_changed(app):
    ops = ["write:/app/hello.txt", "truncate:/app/hello.txt", "chmod:/app/hello.txt", "unlink:/app/hello.txt",
           "rename:/app/hello.txt", "creat:/app/new.txt", "mkdir:/app/newdir", "rmdir:/app/empty",
           "open:/app/hello.txt"]
    r = app.run(*ops)
    assert r.returncode == 0, r.stderr
    got = results(r)
    assert {k: v for k, v in got.items() if k[0] != "open"} == {
        (op.split(":")[0], op.split(":")[1]): "EACCES" for op in ops[:-1]}
    assert got[("open", "/app/hello.txt")] == "ok"
    assert (app.app / "hello.txt").read_text() == "hello from a trusted file\n"


def test_tmpfs_stays_in_the_enclave(app, tmp_path):
    marker = f"coffer-test-{os.getpid()}-{tmp_path.name}"
    r = app.run(f"creat:/tmp/{marker}", f"stat:/tmp/{marker}", f"creat:/data/{marker}")
    assert r.returncode == 0, r.stderr
    got = results(r)
    assert got[("creat", f"/tmp/{marker}")] == "ok" and got[("stat", f"/tmp/{marker}")] == "ok"
    assert not os.path.exists(f"/tmp/{marker}")
    assert got[("creat", f"/data/{marker}")] == "ok"
    assert (app.data / marker).exists()  # passthrough: the host's directory


def test_tmpfs_files_made_and_deleted_without_end(app):
    # 5000 files of 200 KiB, each grown in 9000-byte writes and deleted:
    # the runtime heap must reuse what they free (it fragmented until
    # ENOSPC before freed runs were merged, runtime/lib/alloc.c)
    r = app.run("churn:/tmp/f", timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "churn /tmp/f: ok\n"


def test_programs_run_only_from_trusted_files(app):
    shutil.copy(app.app / "probe", app.data / "probe")
    r = app.run("exec:/data/probe", "exec:/app/probe")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "exec /data/probe: EACCES\n"  # then /app/probe ran, printing nothing


# ---- tampering with trusted files ----------------------------------------------------------


def test_tampered_library_fails_at_load_naming_it(app):
    assert app.run("cat:/app/hello.txt").returncode == 0
    raw = bytearray(app.libc_copy.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    app.libc_copy.write_bytes(raw)
    r = app.run("cat:/app/hello.txt")
    assert r.returncode != 0
    assert "hello" not in r.stdout
    assert (f"coffer: error: trusted file {app.libc} does not match the manifest (its contents on the host, "
            f"{app.libc_copy}, were changed); refusing to use it") in r.stderr, r.stderr


def test_change_after_first_open_is_caught_on_the_next_read(app):
    p = subprocess.Popen([str(COFFER), "run", app.bundle, "--", "reread:/app/data.bin"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = p.stdout.readline()
        size = app.blob.stat().st_size
        assert first == f"ready {size}\n", (first, p.stderr.read() if p.poll() is not None else "")
        with open(app.blob, "r+b") as f:  # in place: same inode, new byte in chunk 1
            f.seek(CHUNK + 5)
            b = f.read(1)
            f.seek(CHUNK + 5)
            f.write(bytes([b[0] ^ 0x40]))
        out, err = p.communicate("go\n", timeout=60)
    finally:
        p.kill()
    assert p.returncode == 0, err
    assert out.splitlines() == [
        "chunk0 /app/data.bin: ok",
        "chunk1 /app/data.bin: EIO",
        "chunk2 /app/data.bin: ok",
        "chunk3 /app/data.bin: ok",
        "reopen /app/data.bin: EIO",
    ]
    assert "/app/data.bin" in err and "changed" in err, err
