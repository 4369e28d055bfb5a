"""Manifests and signing: `coffer keygen`, `coffer sign`, `coffer measure`,
`coffer sigstruct` (docs/manifest.md).

Malformed manifests live in manifests/ (one problem each, the problem named
in the file's first line); the good one, manifests/good.yaml, names host
directories, so the tests fill it in under tmp_path. The public SGX vectors
are in tests/vectors (its README names their origin and licence).
"""
import hashlib
import os
import pathlib
import re
import stat
import string
import struct
import subprocess

import pytest

from conftest import BUILD, HERE, ROOT, cli

MANIFESTS = HERE / "manifests"
VECTORS = ROOT / "tests" / "vectors"
ENCLAVE = pathlib.Path(os.environ.get("COFFER_ENCLAVE") or BUILD / "coffer-enclave")
SIGSTRUCT_SIZE = 1808
BUNDLE_HEADER = 32
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def env_without(*names, **extra):
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update(extra)
    return env


def fields(text):
    """'name:   value' lines -> dict."""
    out = {}
    for line in text.splitlines():
        k, sep, v = line.partition(":")
        if sep:
            out[k.strip()] = v.strip()
    return out


def flip(data, offset, mask=0x01):
    b = bytearray(data)
    b[offset] ^= mask
    return bytes(b)


# ---- keys ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def key2(tmp_path_factory):
    k = tmp_path_factory.mktemp("key2") / "other.pem"
    assert cli("keygen", "-o", k).returncode == 0
    return k


def modulus_le(keyfile):
    """The RSA modulus as SGX stores it: 384 bytes, little-endian."""
    r = subprocess.run(["openssl", "rsa", "-in", str(keyfile), "-noout", "-modulus"], capture_output=True,
                       text=True, check=True)
    hexmod = r.stdout.strip().partition("=")[2]
    n = bytes.fromhex(hexmod)
    assert len(n) == 384
    return n[::-1]


def mrsigner_of(keyfile):
    return hashlib.sha256(modulus_le(keyfile)).hexdigest()


def test_keygen(tmp_path):
    k = tmp_path / "k.pem"
    r = cli("keygen", "-o", k)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(k.stat().st_mode) == 0o600
    pem = k.read_text()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert pem.rstrip().endswith("-----END PRIVATE KEY-----")
    t = subprocess.run(["openssl", "pkey", "-in", str(k), "-noout", "-text"], capture_output=True, text=True,
                       check=True).stdout
    assert "Private-Key: (3072 bit" in t
    assert re.search(r"^publicExponent: 3 \(0x3\)$", t, re.M), t

    # never replaces a key without --force
    r = cli("keygen", "-o", k)
    assert r.returncode == 1
    assert r.stderr == f"coffer: {k}: File exists (use --force to replace it)\n"
    assert k.read_text() == pem

    r = cli("keygen", "--force", "-o", k)
    assert r.returncode == 0, r.stderr
    assert k.read_text() != pem
    assert stat.S_IMODE(k.stat().st_mode) == 0o600


def test_keygen_usage(tmp_path):
    assert cli("keygen").returncode == 2
    assert cli("keygen", "-o", tmp_path / "a.pem", "extra").returncode == 2
    assert cli("keygen", "--bits=2048", "-o", tmp_path / "b.pem").returncode == 2
    r = cli("keygen", "--help")
    assert r.returncode == 0 and "Usage: coffer keygen" in r.stdout
    r = cli("keygen", "-o", tmp_path / "no" / "such" / "dir.pem")
    assert r.returncode == 1 and "No such file or directory" in r.stderr



def test_keygen_force_makes_the_key_private(tmp_path):
    k = tmp_path / "k.pem"
    k.write_text("old\n")
    k.chmod(0o644)
    assert cli("keygen", "--force", "-o", k).returncode == 0
    assert stat.S_IMODE(k.stat().st_mode) == 0o600


def test_sign_refuses_keys_sgx_cannot_use(tmp_path, good):
    for args in (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_keygen_pubexp:3"],
                 ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
                 ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]):
        k = tmp_path / "bad.pem"
        subprocess.run(["openssl", "genpkey", *args, "-out", str(k)], capture_output=True, check=True)
        r = cli("sign", "--key", k, good.yaml, "-o", tmp_path / "x.coffer")
        assert r.returncode == 1, args
        assert r.stderr == (f"coffer: {k}: SGX needs an RSA-3072 key with exponent 3 (make one with coffer "
                            "keygen)\n")
        assert not (tmp_path / "x.coffer").exists()
    r = cli("sign", "--key", tmp_path / "missing.pem", good.yaml)
    assert r.returncode == 1 and "missing.pem: No such file or directory" in r.stderr


def test_sign_explains_a_key_that_is_no_key(tmp_path, good, key):
    hint = "SGX needs an RSA-3072 key with exponent 3 (make one with coffer keygen)"
    empty, pub, enc, junk = (tmp_path / n for n in ("empty.pem", "pub.pem", "enc.pem", "junk.pem"))
    empty.write_bytes(b"")
    junk.write_text("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n")
    subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-out", str(pub)], check=True)
    subprocess.run(["openssl", "pkey", "-in", str(key), "-aes256", "-passout", "pass:secret", "-out", str(enc)],
                   check=True)
    cases = [
        (tmp_path, f"coffer: {tmp_path}: Is a directory; --key names a private key file in PEM: {hint}\n"),
        (empty, f"coffer: {empty}: not a PEM private key; {hint}\n"),
        (junk, f"coffer: {junk}: not a PEM private key; {hint}\n"),
        (pub, f"coffer: {pub}: not a PEM private key; {hint}\n"),
        (enc, f"coffer: {enc}: the private key is encrypted with a passphrase; coffer reads unencrypted PEM keys "
              "only\n"),
    ]
    for k, message in cases:
        r = cli("sign", "--key", k, good.yaml, "-o", tmp_path / "x.coffer", stdin=subprocess.DEVNULL)
        assert (r.returncode, r.stdout, r.stderr) == (1, "", message)
        assert not (tmp_path / "x.coffer").exists()


def test_sign_of_a_directory(tmp_path, key):
    r = cli("sign", "--key", key, tmp_path, "-o", tmp_path / "x.coffer")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == f"coffer: {tmp_path}: Is a directory; coffer sign reads a manifest (a YAML file)\n"


# ---- malformed manifests ----------------------------------------------------------

# file -> (line, column, a phrase of the message). Line and column are 1-based.
MALFORMED = {
    "syntax-indentation.yaml": (5, 4, "YAML syntax error: did not find expected '-' indicator"),
    "syntax-tab.yaml": (4, 1, "YAML syntax error: found character that cannot start any token"),
    "syntax-unclosed-list.yaml": (4, 7, "YAML syntax error: did not find expected ',' or ']'"),
    "empty.yaml": (1, 1, "the manifest is empty"),
    "only-comments.yaml": (1, 1, "the manifest is empty"),
    "not-a-mapping.yaml": (2, 1, "the manifest must be a mapping of keys"),
    "unknown-key.yaml": (3, 1, "unknown key 'entry_point' (known keys: version, entrypoint,"),
    "unknown-mount-key.yaml": (6, 5, "unknown key 'mode' in mounts[0] (known keys: path, type, source, readonly, "
                               "files)"),
    "unknown-enclave-key.yaml": (8, 3, "unknown key 'heap' in enclave"),
    "repeated-key.yaml": (6, 1, "'entrypoint' appears twice"),
    "threads-not-integer.yaml": (7, 12, "threads must be an integer"),
    "threads-quoted.yaml": (7, 12, "threads must be an integer"),
    "threads-zero.yaml": (7, 12, "threads must be an integer from 1 to 4096"),
    "argv-string.yaml": (3, 7, "argv must be a list of strings, not a scalar"),
    "argv-empty.yaml": (3, 7, "argv must not be empty"),
    "env-list.yaml": (4, 3, "env must be a mapping of NAME: value, not a list"),
    "env-bad-name.yaml": (5, 3, "'A=B' is not a valid environment variable name"),
    "host-env-bad-name.yaml": (3, 18, "host_env: 'TZ=UTC' is not a valid variable name"),
    "host-args-bad.yaml": (3, 12, "host_args must be none or append"),
    "version-2.yaml": (2, 10, "manifest version 2 is not supported"),
    "relative-entrypoint.yaml": (2, 13, "entrypoint must be an absolute path, not 'app/bin/server'"),
    "relative-mount-path.yaml": (6, 11, "the mount path must be an absolute path, not 'data'"),
    "relative-mount-source.yaml": (6, 13, "the mount source must be an absolute path, not 'build/app'"),
    "relative-cwd.yaml": (3, 6, "cwd must be an absolute path, not 'app'"),
    "non-canonical-path.yaml": (2, 13, "must be written without '//', '.', '..' or a trailing '/'"),
    "mount-without-type.yaml": (6, 5, "mounts[1] (/data) has no type"),
    "mount-without-path.yaml": (6, 5, "mounts[1] has no path"),
    "unknown-mount-type.yaml": (7, 11, "unknown mount type 'bind'"),
    "overlapping-mounts.yaml": (6, 5, "mounts[1] /app/data overlaps mounts[0] /app (line 4)"),
    "root-overlaps.yaml": (6, 5, "mounts[1] / overlaps mounts[0] /app (line 4)"),
    "repeated-mount.yaml": (8, 5, "mounts[2] /data repeats mounts[1] /data (line 6)"),
    "missing-entrypoint.yaml": (2, 1, "the manifest has no entrypoint"),
    "entrypoint-outside-trusted.yaml": (2, 13, "entrypoint /usr/bin/python3 is not inside a trusted mount"),
    "encrypted-mount.yaml": (7, 11, "encrypted mounts are reserved"),
    "tmpfs-with-source.yaml": (8, 13, "a tmpfs mount has no host source"),
    "shm-with-source.yaml": (8, 13, "an shm mount has no host source"),
    "files-not-relative.yaml": (6, 25, "mounts[0] files: '/etc/passwd' must be a path relative to the mount"),
    "files-on-passthrough.yaml": (8, 12, "files applies to trusted mounts only"),
    "files-overlap.yaml": (8, 9, "mounts[0] files: 'bin/server' overlaps 'bin' (line 7): a listed directory brings "
                           "its whole tree"),
    "readonly-trusted.yaml": (6, 15, "readonly applies to passthrough mounts only"),
    "readonly-not-bool.yaml": (8, 15, "readonly must be true or false"),
    "size-not-power-of-two.yaml": (7, 9, "enclave size must be a power of two"),
    "size-too-large.yaml": (7, 9, "enclave size must be a power of two from 1M to 1T"),
    "isvsvn-out-of-range.yaml": (7, 11, "isvsvn must be an integer from 0 to 65535"),
    "isvprodid-negative.yaml": (7, 14, "isvprodid must be an integer from 0 to 65535"),
    "debug-not-bool.yaml": (7, 10, "debug must be true or false"),
    "enclave-not-mapping.yaml": (6, 10, "enclave must be a mapping, not a scalar"),
    # what the YAML a reviewer reads would not show (docs/manifest.md, "Strings")
    "env-value-nul.yaml": (4, 6, "the value of A contains a NUL character (U+0000): not allowed in argv entries "
                           "and env values (of the control characters only tab and newline are)"),
    "env-value-escape.yaml": (4, 8, "the value of PS1 contains a control character (U+001B)"),
    "env-name-invisible.yaml": (4, 3, "a key contains an invisible character (U+200B): not allowed in paths and "
                                "names"),
    "key-control.yaml": (3, 1, "a key contains a control character (U+001B): not allowed in paths and names"),
    "mount-type-nul.yaml": (5, 11, "this scalar contains a NUL character (U+0000): not allowed in a manifest"),
    "size-nul.yaml": (7, 9, "this scalar contains a NUL character (U+0000): not allowed in a manifest"),
    "argv-bidi.yaml": (3, 16, "argv[1] contains a bidirectional control character (U+202E)"),
    "argv-c1.yaml": (3, 16, "argv[1] contains a C1 control character (U+0085)"),
    "argv-del.yaml": (3, 16, "argv[1] contains a control character (U+007F)"),
    "path-newline.yaml": (6, 11, "the mount path contains a control character (U+000A): not allowed in paths and "
                          "names"),
    "path-tab.yaml": (3, 6, "cwd contains a control character (U+0009): not allowed in paths and names"),
    "entrypoint-nul.yaml": (2, 13, "entrypoint contains a NUL character (U+0000): not allowed in paths and names"),
    "host-env-control.yaml": (3, 12, "host_env[0] contains a control character (U+0001)"),
    "alias-repeats-fault.yaml": (4, 6, "the value of A contains a NUL character (U+0000)"),
}

# Files whose one problem is reported with a consequence of it on a second
# line (see test_malformed_cascade).
CASCADE = {
    "mounts-not-list.yaml": (4, 3, "mounts must be a list, not a mapping"),
}


def sign_malformed(tmp_path, name, key):
    out = tmp_path / "out.coffer"
    # run from the manifests directory so that FILE is the name as given
    r = cli("sign", "--key", key, "-o", out, name, cwd=MANIFESTS)
    assert not out.exists()
    return r


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed(tmp_path, key, name):
    line, col, phrase = MALFORMED[name]
    r = sign_malformed(tmp_path, name, key)
    assert r.returncode == 3, r.stderr
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    m = re.fullmatch(r"(.+?):(\d+):(\d+): (.+)", lines[0])
    assert m, lines[0]
    assert (m[1], int(m[2]), int(m[3])) == (name, line, col), lines[0]
    assert phrase in m[4], lines[0]


def test_malformed_full_path(tmp_path, key):
    """FILE is the path as given on the command line."""
    f = MANIFESTS / "repeated-key.yaml"
    r = cli("sign", "--key", key, "-o", tmp_path / "o.coffer", f)
    assert r.returncode == 3
    assert r.stderr == f"{f}:6:1: 'entrypoint' appears twice\n"


def test_every_manifest_file_is_tested():
    on_disk = {p.name for p in MANIFESTS.glob("*.yaml")}
    assert on_disk == set(MALFORMED) | set(CASCADE) | {"good.yaml"}
    for name in set(MALFORMED) | set(CASCADE):
        if name != "empty.yaml":
            assert (MANIFESTS / name).read_text().startswith("# malformed: "), name


def test_malformed_cascade(tmp_path, key):
    """The one problem comes first; what follows from it may add lines."""
    for name, (line, col, phrase) in CASCADE.items():
        r = sign_malformed(tmp_path, name, key)
        assert r.returncode == 3
        first = r.stderr.splitlines()[0]
        assert first.startswith(f"{name}:{line}:{col}: ") and phrase in first, r.stderr
def test_malformed_mounts_reported_once(tmp_path, key):
    r = sign_malformed(tmp_path, "mounts-not-list.yaml", key)
    assert len(r.stderr.splitlines()) == 1, r.stderr


def test_all_problems_reported(tmp_path, key):
    y = tmp_path / "many.yaml"
    y.write_text("entrypoint: bin/x\n"
                 "argv: x\n"
                 "colour: blue\n"
                 "mounts:\n"
                 "  - path: /app\n"
                 "    type: trusted\n"
                 "enclave:\n"
                 "  threads: 5000\n"
                 "  isvsvn: -3\n")
    r = cli("sign", "--key", key, y, "-o", tmp_path / "o.coffer")
    assert r.returncode == 3
    assert r.stderr.splitlines() == [
        f"{y}:1:13: entrypoint must be an absolute path, not 'bin/x'",
        f"{y}:2:7: argv must be a list of strings, not a scalar",
        f"{y}:3:1: unknown key 'colour' (known keys: version, entrypoint, argv, host_args, env, host_env, cwd, "
        "hostname, domainname, mounts, terminal, enclave)",
        f"{y}:8:12: threads must be an integer from 1 to 4096",
        f"{y}:9:11: isvsvn must be an integer from 0 to 65535",
    ], r.stderr
def test_missing_mount_path_reported_with_other_problems(tmp_path, key):
    y = tmp_path / "two.yaml"
    y.write_text("entrypoint: /app/x\ncolour: blue\nmounts:\n  - path: /app\n    type: trusted\n"
                 "  - type: tmpfs\n")
    r = cli("sign", "--key", key, y, "-o", tmp_path / "o.coffer")
    assert r.returncode == 3
    assert r.stderr.splitlines() == [
        f"{y}:2:1: unknown key 'colour' (known keys: version, entrypoint, argv, host_args, env, host_env, cwd, "
        "hostname, domainname, mounts, terminal, enclave)",
        f"{y}:6:5: mounts[1] has no path",
    ], r.stderr



def test_second_document_refused(tmp_path, key, good):
    y = tmp_path / "two-docs.yaml"
    lines = len(good.yaml.read_text().splitlines())
    y.write_text(good.yaml.read_text() + "---\nentrypoint: [this is not read\n")
    r = cli("sign", "--key", key, y, "-o", tmp_path / "o.coffer")
    assert r.returncode == 3
    assert r.stderr.startswith(f"{y}:{lines + 3}:1: YAML syntax error in a second document: "), r.stderr
    assert len(r.stderr.splitlines()) == 1, r.stderr
    y.write_text(good.yaml.read_text() + "---\nentrypoint: /other\n")
    r = cli("sign", "--key", key, y, "-o", tmp_path / "o.coffer")
    assert r.returncode == 3
    assert r.stderr == f"{y}:{lines + 2}:1: a manifest is one YAML document; this is a second one\n"
    assert not (tmp_path / "o.coffer").exists()


def test_an_alias_repeats_a_value_not_its_problem(tmp_path, key):
    """One faulty value, one line, however many places an alias uses it
    (the first place names what is wrong)."""
    y = tmp_path / "alias.yaml"
    y.write_text("entrypoint: &p app/server\n"
                 "cwd: *p\n"
                 "argv: &list [server, {a: b}]\n"
                 "host_env: [*p]\n"
                 "mounts:\n"
                 "  - path: /app\n"
                 "    type: trusted\n"
                 "enclave:\n"
                 "  threads: &t 0\n"
                 "  isvsvn: *t\n")
    r = cli("sign", "--key", key, y, "-o", tmp_path / "o.coffer")
    assert r.returncode == 3
    assert r.stderr.splitlines() == [
        f"{y}:1:13: entrypoint must be an absolute path, not 'app/server'",
        f"{y}:3:22: argv[1] must be a string, not a mapping",
        f"{y}:9:12: threads must be an integer from 1 to 4096",
    ], r.stderr


# ---- the good manifest ------------------------------------------------------------


class Good:
    """manifests/good.yaml filled in under a temporary directory."""

    def __init__(self, base):
        self.base = base
        self.app = base / "app"
        self.data = base / "data"
        (self.app / "bin").mkdir(parents=True)
        (self.app / "etc").mkdir()
        (self.app / "empty").mkdir()
        self.data.mkdir()
        self.tool = self.app / "bin" / "tool"
        self.tool.write_bytes(b"#!/bin/sh\necho tool\n")
        self.tool.chmod(0o755)
        self.conf = self.app / "etc" / "tool.conf"
        self.conf.write_text("port = 8080\n")
        self.conf.chmod(0o640)
        os.symlink("tool", self.app / "bin" / "tool-link")
        os.symlink("/app/etc/tool.conf", self.app / "etc" / "abs-link")
        (self.data / "host.txt").write_text("not trusted\n")
        self.yaml = base / "app.yaml"
        self.write()

    def write(self, text=None, **subst):
        text = text if text is not None else (MANIFESTS / "good.yaml").read_text()
        values = {"APP": self.app, "DATA": self.data, **subst}
        self.yaml.write_text(string.Template(text).substitute(values))
        return self.yaml

    def regular_files(self):
        return sorted(p for p in self.app.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.fixture
def good(tmp_path):
    return Good(tmp_path)


def sign(good, key, *extra, out=None, env=None):
    out = out or good.base / "app.coffer"
    r = cli("sign", "--key", key, good.yaml, "-o", out, *extra, env=env)
    assert r.returncode == 0, r.stderr
    return r, out


def test_sign_good(good, key):
    r = cli("sign", "--key", key, good.yaml)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    out = good.base / "app.coffer"  # beside app.yaml
    lines = r.stdout.splitlines()
    assert lines[0] == f"signed {out} (2 trusted files)"
    assert lines[1].startswith("MRENCLAVE ") and HEX64.match(lines[1].split()[1])
    assert lines[2].startswith("MRSIGNER  ") and lines[2].split()[1] == mrsigner_of(key)
    assert len(lines) == 3
    raw = out.read_bytes()
    assert raw[:8] == b"COFFBNDL"
    version, moff, mlen, soff, slen, zero = struct.unpack_from("<6I", raw, 8)
    assert (version, moff, soff, slen, zero) == (1, BUNDLE_HEADER, BUNDLE_HEADER + mlen, SIGSTRUCT_SIZE, 0)
    assert len(raw) == BUNDLE_HEADER + mlen + SIGSTRUCT_SIZE
    assert raw[moff:moff + 8] == b"COFFMANI"


def test_sign_default_output_names(good, key):
    y = good.base / "svc.yml"
    y.write_text(good.yaml.read_text())
    assert cli("sign", "--key", key, y).returncode == 0
    assert (good.base / "svc.coffer").exists()
    j = good.base / "svc.json"
    j.write_text(good.yaml.read_text())
    assert cli("sign", "--key", key, j).returncode == 0
    assert (good.base / "svc.json.coffer").exists()


def test_sign_json(good, key):
    """YAML is a superset of JSON: a JSON manifest is read the same way."""
    js = ('{"version": 1, "entrypoint": "/app/bin/tool", "argv": ["tool", "--config", "/app/etc/tool.conf"],'
          ' "host_args": "append", "env": {"LANG": "C.UTF-8", "GREETING": "hello world", "EMPTY": ""},'
          ' "host_env": ["TERM", "TZ"], "cwd": "/app",'
          ' "mounts": [{"path": "/app", "type": "trusted", "source": "$APP"}, {"path": "/tmp", "type": "tmpfs"},'
          ' {"path": "/data", "type": "passthrough", "source": "$DATA", "readonly": true}],'
          ' "enclave": {"size": "256M", "threads": 8, "debug": true, "isvprodid": 42, "isvsvn": 7}}\n')
    _, yaml_out = sign(good, key, out=good.base / "y.coffer")
    good.write(js)
    _, json_out = sign(good, key, out=good.base / "j.coffer")
    assert yaml_out.read_bytes() == json_out.read_bytes()


def test_sign_usage(good, key, tmp_path):
    usage = "Usage: coffer sign --key KEY.pem [-o APP.coffer] APP.yaml\n"
    for args in ([good.yaml],                        # no key
                 ["--key", key],                     # no manifest
                 ["--key", key, good.yaml, good.yaml]):
        r = cli("sign", *args)
        assert (r.returncode, r.stdout, r.stderr) == (2, "", usage), args
    r = cli("sign", "--key", key, "--frobnicate", good.yaml)
    assert (r.returncode, r.stdout) == (2, "") and "unrecognized option '--frobnicate'" in r.stderr
    for bad in ("2024-01-01", "202401", "2024010a"):
        r = cli("sign", "--key", key, "--date", bad, good.yaml)
        assert r.returncode == 2 and f"--date {bad}: expected YYYYMMDD" in r.stderr
    r = cli("sign", "--help")
    assert r.returncode == 0 and "Usage: coffer sign" in r.stdout and "SOURCE_DATE_EPOCH" in r.stdout


def test_sign_cannot_write(good, key):
    out = good.base / "no" / "dir" / "app.coffer"
    r = cli("sign", "--key", key, good.yaml, "-o", out)
    assert (r.returncode, r.stdout, r.stderr) == (1, "", f"coffer: {out}: No such file or directory\n")
def test_sign_missing_manifest_is_a_failure(tmp_path, key):
    r = cli("sign", "--key", key, tmp_path / "nothere.yaml")
    assert r.stderr == f"coffer: {tmp_path / 'nothere.yaml'}: No such file or directory\n"
    assert r.returncode == 1


# ---- what sign reads from the host -----------------------------------------------------


def test_entrypoint_through_trusted_symlink(good, key):
    good.write((MANIFESTS / "good.yaml").read_text().replace("entrypoint: /app/bin/tool",
                                                               "entrypoint: /app/bin/tool-link"))
    sign(good, key)
def test_entrypoint_through_a_symlinked_directory(good, key):
    """/app/sbin -> bin, as /bin -> usr/bin on merged-/usr systems."""
    os.symlink("bin", good.app / "sbin")
    good.write((MANIFESTS / "good.yaml").read_text().replace("entrypoint: /app/bin/tool",
                                                               "entrypoint: /app/sbin/tool"))
    r = cli("sign", "--key", key, good.yaml, "-o", good.base / "o.coffer")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("entry, setup", [
    ("/app/etc", None),                       # a directory
    ("/app/bin/missing", None),               # not there
    ("/app/bin/dangling", "dangling"),        # a symlink to nothing
    ("/app/bin/loop", "loop"),                # a symlink loop
    ("/app/bin/out", "out"),                  # a symlink out of the trusted files
])
def test_entrypoint_must_be_a_trusted_regular_file(good, key, entry, setup):
    b = good.app / "bin"
    if setup == "dangling":
        os.symlink("nothing", b / "dangling")
    elif setup == "loop":
        os.symlink("loop2", b / "loop")
        os.symlink("loop", b / "loop2")
    elif setup == "out":
        os.symlink("/usr/bin/env", b / "out")
    text = (MANIFESTS / "good.yaml").read_text()
    good.write(text.replace("entrypoint: /app/bin/tool", f"entrypoint: {entry}"))
    r = cli("sign", "--key", key, good.yaml, "-o", good.base / "o.coffer")
    assert r.returncode == 3
    line = next(i for i, l in enumerate(good.yaml.read_text().splitlines(), 1) if l.startswith("entrypoint:"))
    why = ("leads through more than 40 trusted symlinks" if setup == "loop" else
           "is not a regular file among the trusted files")
    assert r.stderr == f"{good.yaml}:{line}:13: entrypoint {entry} {why}\n"
    assert not (good.base / "o.coffer").exists()


def test_entrypoint_through_symlinks_longer_than_path_max(good, key):
    """A chain of trusted symlinks whose expansion outgrows PATH_MAX is
    reported, never cut to a shorter path that names another file."""
    b = good.app / "bin"
    name = "d" * 200
    os.symlink("/app/bin/" + "/".join([name] * 15) + "/tool", b / "deep")
    os.mkdir(b / name)
    os.symlink(".", b / name / name)
    text = (MANIFESTS / "good.yaml").read_text()
    good.write(text.replace("entrypoint: /app/bin/tool", "entrypoint: /app/bin/deep/" + "/".join([name] * 6)
                            + "/tool"))
    r = cli("sign", "--key", key, good.yaml, "-o", good.base / "o.coffer")
    assert r.returncode == 3
    assert r.stderr.endswith(" leads through trusted symlinks to a path longer than PATH_MAX\n"), r.stderr


def test_trusted_source_missing(good, key):
    good.write((MANIFESTS / "good.yaml").read_text(), APP=good.base / "nothere")
    r = cli("sign", "--key", key, good.yaml, "-o", good.base / "o.coffer")
    assert r.returncode == 1
    assert r.stderr == f"coffer: trusted file {good.base / 'nothere'}: No such file or directory\n"


def test_trusted_fifo_refused(good, key):
    os.mkfifo(good.app / "etc" / "pipe")
    r = cli("sign", "--key", key, good.yaml, "-o", good.base / "o.coffer")
    assert r.returncode == 1
    assert (f"{good.app / 'etc' / 'pipe'}: only regular files, directories and symlinks can be trusted"
            in r.stderr)


def test_enclave_size_too_small(good, key):
    text = (MANIFESTS / "good.yaml").read_text().replace("size: 256M", "size: 1M").replace("threads: 8",
                                                                                           "threads: 4096")
    good.write(text)
    r = cli("sign", "--key", key, good.yaml, "-o", good.base / "o.coffer")
    assert r.returncode == 3
    assert re.fullmatch(rf"{re.escape(str(good.yaml))}:25:9: the enclave size 1048576 is too small for the "
                        r"manifest \(\d+ bytes\), the enclave image and 4096 threads\n", r.stderr), r.stderr



def test_enclave_size_too_small_names_the_line(good, key):
    text = (MANIFESTS / "good.yaml").read_text().replace("size: 256M", "size: 1M").replace("threads: 8",
                                                                                           "threads: 4096")
    good.write(text)
    r = cli("sign", "--key", key, good.yaml, "-o", good.base / "o.coffer")
    assert re.match(rf"{re.escape(str(good.yaml))}:\d+:\d+: ", r.stderr), r.stderr


def test_documented_python_example_signs(tmp_path, key):
    """The example in docs/manifest.md is a manifest coffer sign accepts."""
    doc = (ROOT / "docs" / "manifest.md").read_text()
    example = re.search(r"```yaml\n(version: 1\nentrypoint: /usr/bin/python3.11\n.*?)```", doc, re.S)
    assert example, "the Python example is missing from docs/manifest.md"
    for p in ("/usr/bin/python3.11", "/usr/lib/python3.11", "/usr/lib/x86_64-linux-gnu", "/usr/lib64"):
        if not os.path.exists(p):
            pytest.skip(f"{p} is not on this machine")
    app = tmp_path / "hello"
    app.mkdir()
    (app / "main.py").write_text("print('hello')\n")
    y = tmp_path / "hello.yaml"
    y.write_text(example[1].replace("/srv/hello", str(app)).replace("/var/lib/hello", str(tmp_path)))
    r = cli("sign", "--key", key, y, timeout=600)
    assert r.returncode == 0, r.stderr
    f = fields(cli("measure", tmp_path / "hello.coffer").stdout)
    assert (f["isvprodid"], f["isvsvn"], f["debug"], f["signature"]) == ("1", "1", "false", "valid")


# ---- reproducibility --------------------------------------------------------------------


def test_reproducible(good, key):
    env = env_without("SOURCE_DATE_EPOCH")
    _, a = sign(good, key, out=good.base / "a.coffer", env=env)
    _, b = sign(good, key, out=good.base / "b.coffer", env=env)
    assert a.read_bytes() == b.read_bytes()
    assert fields(cli("sigstruct", a).stdout)["date"] == "2000-01-01"

    r1, d = sign(good, key, "--date", "20240229", out=good.base / "d.coffer", env=env)
    assert d.read_bytes() != a.read_bytes()
    assert fields(cli("sigstruct", d).stdout)["date"] == "2024-02-29"
    # the date is in the SIGSTRUCT only: the manifest and MRENCLAVE stay
    ra, rd = a.read_bytes(), d.read_bytes()
    assert ra[:-SIGSTRUCT_SIZE] == rd[:-SIGSTRUCT_SIZE]
    assert mrenclave_line(cli("sign", "--key", key, good.yaml, "-o", good.base / "e.coffer", env=env)) == \
        mrenclave_line(r1)

    _, s = sign(good, key, out=good.base / "s.coffer", env=env_without(SOURCE_DATE_EPOCH="1700000000"))
    assert fields(cli("sigstruct", s).stdout)["date"] == "2023-11-14"
    # --date wins over SOURCE_DATE_EPOCH for DATE
    _, w = sign(good, key, "--date", "20240229", out=good.base / "w.coffer",
                env=env_without(SOURCE_DATE_EPOCH="1700000000"))
    assert fields(cli("sigstruct", w).stdout)["date"] == "2024-02-29"


def test_source_date_epoch_clamps_file_times(good, key):
    """With SOURCE_DATE_EPOCH set, file times newer than it are recorded as
    it, so a fresh checkout (new mtimes) signs to the same MRENCLAVE."""
    env = env_without(SOURCE_DATE_EPOCH="1700000000")
    r1, _ = sign(good, key, out=good.base / "x.coffer", env=env)
    for p in good.app.rglob("*"):
        if not p.is_symlink():
            os.utime(p)  # now: a later checkout
    r2, _ = sign(good, key, out=good.base / "y.coffer", env=env)
    assert mrenclave_line(r1) == mrenclave_line(r2)
    r3, _ = sign(good, key, out=good.base / "z.coffer", env=env_without("SOURCE_DATE_EPOCH"))
    assert mrenclave_line(r3) != mrenclave_line(r1)  # without it, times are signed as they are


def mrenclave_line(r):
    return next(l.split()[1] for l in r.stdout.splitlines() if l.startswith("MRENCLAVE "))


def test_what_changes_the_identity(good, key, key2):
    def ident(k=key, out="x.coffer"):
        r, _ = sign(good, k, out=good.base / out)
        f = fields(r.stdout.replace("MRENCLAVE ", "MRENCLAVE:").replace("MRSIGNER  ", "MRSIGNER:"))
        return f["MRENCLAVE"], f["MRSIGNER"]

    def snapshot():
        return {p: (p.lstat().st_atime_ns, p.lstat().st_mtime_ns) for p in [good.app, *good.app.rglob("*")]}

    def restore(times):
        for p, t in times.items():
            if p.exists():
                os.utime(p, ns=t, follow_symlinks=False)

    times = snapshot()
    base = ident()
    # another key: another MRSIGNER, the same MRENCLAVE
    other = ident(key2)
    assert other[0] == base[0] and other[1] != base[1] and other[1] == mrsigner_of(key2)
    # a trusted file's contents, or its mode, are measured
    good.conf.write_text("port = 8081\n")
    changed = ident()
    assert changed[0] != base[0] and changed[1] == base[1]
    good.conf.chmod(0o644)
    assert ident()[0] not in (base[0], changed[0])
    good.conf.write_text("port = 8080\n")
    good.conf.chmod(0o640)
    restore(times)
    assert ident() == base
    # a new file, even an empty one, is measured
    (good.app / "empty" / "new").write_bytes(b"")
    assert ident()[0] != base[0]
    (good.app / "empty" / "new").unlink()
    restore(times)
    assert ident() == base
    # a passthrough directory's contents are not
    (good.data / "more.txt").write_text("x\n")
    assert ident() == base
    # every setting of the manifest is
    text = (MANIFESTS / "good.yaml").read_text()
    seen = {base[0]}
    for old, new in [("threads: 8", "threads: 9"), ("size: 256M", "size: 512M"), ("debug: true", "debug: false"),
                     ("isvsvn: 7", "isvsvn: 8"), ("isvprodid: 42", "isvprodid: 43"), ("cwd: /app", "cwd: /"),
                     ("GREETING: hello world", "GREETING: hello"), ("host_env: [TERM, TZ]", "host_env: [TERM]"),
                     ("host_args: append", "host_args: none"), ("readonly: true", "readonly: false"),
                     ("argv: [tool,", "argv: [tool2,")]:
        assert old in text
        good.write(text.replace(old, new))
        m = ident()[0]
        assert m not in seen, (old, new)
        seen.add(m)


# ---- measure ------------------------------------------------------------------------------


def test_measure(good, key):
    r, out = sign(good, key)
    m = cli("measure", out)
    assert m.returncode == 0, m.stdout + m.stderr
    f = fields(m.stdout)
    assert f["mrenclave"] == mrenclave_line(r)
    assert f["mrsigner"] == mrsigner_of(key)
    assert (f["isvprodid"], f["isvsvn"], f["debug"]) == ("42", "7", "true")
    assert f["signature"] == "valid"
    assert f["enclave"] == f"matches {ENCLAVE}"
    assert [l.split(":")[0] for l in m.stdout.splitlines()] == [
        "mrenclave", "mrsigner", "isvprodid", "isvsvn", "debug", "signature", "enclave"]


def test_measure_defaults(good, key):
    """Without an enclave: section, isvprodid and isvsvn are 0 and debug is false."""
    text = (MANIFESTS / "good.yaml").read_text()
    good.write(text[:text.index("enclave:")])
    _, out = sign(good, key)
    f = fields(cli("measure", out).stdout)
    assert (f["isvprodid"], f["isvsvn"], f["debug"]) == ("0", "0", "false")
    assert mrenclave(out) == f["mrenclave"]
    man = parse_manifest(out.read_bytes())
    assert (man["config"]["enclave_size"], man["config"]["threads"]) == (4 << 30, 64)


def test_measure_detects_an_altered_manifest(good, key):
    _, out = sign(good, key)
    raw = out.read_bytes()
    man = parse_manifest(raw)
    bad = good.base / "bad.coffer"

    # a trusted file's hash: the manifest still reads, but measures differently
    sha_at = BUNDLE_HEADER + man["files_at"]["/app/bin/tool"] + 24
    assert raw[sha_at:sha_at + 32] == hashlib.sha256(good.tool.read_bytes()).digest()
    bad.write_bytes(flip(raw, sha_at))
    m = cli("measure", bad)
    assert m.returncode == 1
    f = fields(m.stdout)
    assert f["signature"] == "valid"
    assert f["enclave"].startswith(f"DIFFERS: {ENCLAVE} with this manifest measures ")

    # the manifest's magic: it does not read at all
    bad.write_bytes(flip(raw, BUNDLE_HEADER))
    m = cli("measure", bad)
    assert m.returncode == 1
    assert fields(m.stdout)["manifest"] == "INVALID: not a Coffer manifest (bad magic) (byte 0)"

    # argv[0]'s first character
    bad.write_bytes(flip(raw, BUNDLE_HEADER + man["string_at"]["tool"], 0x20))
    m = cli("measure", bad)
    assert m.returncode == 1 and "DIFFERS" in m.stdout


def test_measure_detects_an_altered_sigstruct(good, key):
    _, out = sign(good, key)
    raw = out.read_bytes()
    ss = len(raw) - SIGSTRUCT_SIZE
    bad = good.base / "bad.coffer"
    for off, what in [(516 + 100, "signature"), (1040 + 5, "Q1"), (1424 + 383, "Q2"), (128 + 7, "modulus"),
                      (1026, "isvsvn"), (960, "enclavehash")]:
        bad.write_bytes(flip(raw, ss + off))
        m = cli("measure", bad)
        assert m.returncode == 1, what
        f = fields(m.stdout)
        assert f["signature"].startswith("INVALID: "), what
        if what in ("Q1", "Q2"):
            assert f["signature"].startswith(f"INVALID: {what} does not match the signature and modulus")
        if what == "enclavehash":
            assert f["enclave"].startswith("DIFFERS"), m.stdout
        else:
            assert f["enclave"] == f"matches {ENCLAVE}", what


def test_measure_with_another_enclave_image(good, key, tmp_path):
    """The bundle is bound to the enclave image it was signed for."""
    _, out = sign(good, key)
    img = bytearray(ENCLAVE.read_bytes())
    segs = load_segments(bytes(img))[0]
    text = next(s for s in segs if s[0] & 1 and s[3])  # an executable segment with file bytes
    img[text[2] + text[3] // 2] ^= 0xff
    other = tmp_path / "coffer-enclave"
    other.write_bytes(bytes(img))
    other.chmod(0o755)
    m = cli("measure", out, env=dict(os.environ, COFFER_ENCLAVE=str(other)))
    assert m.returncode == 1
    assert fields(m.stdout)["enclave"].startswith(f"DIFFERS: {other} with this manifest measures")


def test_measure_errors(tmp_path, good, key):
    assert cli("measure").returncode == 2
    assert cli("measure", "a", "b").returncode == 2
    r = cli("measure", tmp_path / "nothere.coffer")
    assert r.returncode == 1 and "No such file or directory" in r.stderr
    r = cli("measure", tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == f"coffer: {tmp_path}: Is a directory; coffer measure reads a signed bundle (APP.coffer)\n"
    empty = tmp_path / "empty.coffer"
    empty.write_bytes(b"")
    r = cli("measure", empty)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == f"coffer: {empty}: an empty file, not a signed Coffer bundle\n"
    junk = tmp_path / "junk.coffer"
    junk.write_bytes(b"COFFBNDL" + bytes(100))
    r = cli("measure", junk)
    assert r.returncode == 1 and "unsupported bundle version" in r.stderr
    _, out = sign(good, key)
    truncated = tmp_path / "t.coffer"
    truncated.write_bytes(out.read_bytes()[:-1])
    r = cli("measure", truncated)
    assert r.returncode == 1 and "the bundle's header does not describe its contents" in r.stderr


# ---- the binary manifest and MRENCLAVE, computed independently -----------------------------


def parse_manifest(bundle):
    """Decode the binary manifest of a bundle (common/manifest.h)."""
    moff, mlen = struct.unpack_from("<II", bundle, 12)
    b = bundle[moff:moff + mlen]
    assert b[:8] == b"COFFMANI"
    version, total, nsec, zero = struct.unpack_from("<4I", b, 8)
    assert (version, total, zero) == (1, len(b), 0)
    sec = {}
    for i in range(nsec):
        t, off, size, count = struct.unpack_from("<4I", b, 24 + 16 * i)
        sec[t] = (off, size, count)
    soff, ssize, _ = sec[1]
    strings = b[soff:soff + ssize]

    def s(o):
        return strings[o:strings.index(b"\0", o)].decode()

    def strv(t):
        off, _, count = sec[t]
        return [s(o) for o in struct.unpack_from(f"<{count}I", b, off)]

    c = sec[2][0]
    entry, cwd, size, threads, flags, prodid, svn, host_args = struct.unpack_from("<IIQIIHHI", b, c)
    xsave = struct.unpack_from("<I", b, c + 40)[0]
    assert b[c + 32:c + 40] == bytes(8) and b[c + 44:c + 48] == bytes(4)
    mounts = []
    off, _, count = sec[6]
    for i in range(count):
        t, p, src, fl = struct.unpack_from("<4I", b, off + 16 * i)
        mounts.append(({1: "trusted", 2: "passthrough", 3: "tmpfs", 4: "encrypted"}[t], s(p), s(src), fl))
    files, files_at, mtimes = [], {}, {}
    off, files_len, count = sec[7]
    esize = files_len // count if count else 0
    assert esize in (0, 56, 64)  # 64: with the modification time
    for i in range(count):
        at = off + esize * i
        p, kind, fsize, target, mode = struct.unpack_from("<IIQII", b, at)
        files.append((s(p), {1: "reg", 2: "dir", 3: "symlink"}[kind], fsize, s(target), mode, b[at + 24:at + 56]))
        files_at[s(p)] = at
        if esize >= 64:
            mtimes[s(p)] = struct.unpack_from("<Q", b, at + 56)[0]
    string_at = {}
    o = 1
    while o < len(strings):
        e = strings.index(b"\0", o)
        string_at.setdefault(strings[o:e].decode(), soff + o)
        o = e + 1
    return {
        "sections": sorted(sec), "strings": strings,
        "config": {"entrypoint": s(entry), "cwd": s(cwd), "enclave_size": size, "threads": threads,
                   "flags": flags, "isvprodid": prodid, "isvsvn": svn, "host_args": host_args, "xsave": xsave},
        "argv": strv(3), "env": strv(4), "env_host": strv(5), "mounts": mounts, "files": files,
        "files_at": files_at, "mtimes": mtimes, "string_at": string_at, "raw": b,
    }


def test_binary_manifest(good, key):
    _, out = sign(good, key)
    m = parse_manifest(out.read_bytes())
    assert m["sections"] == [1, 2, 3, 4, 5, 6, 7]
    assert m["config"] == {"entrypoint": "/app/bin/tool", "cwd": "/app", "enclave_size": 256 << 20, "threads": 8,
                           "flags": 1, "isvprodid": 42, "isvsvn": 7, "host_args": 1, "xsave": 0}
    assert m["argv"] == ["tool", "--config", "/app/etc/tool.conf"]
    assert m["env"] == ["LANG=C.UTF-8", "GREETING=hello world", "EMPTY="]
    assert m["env_host"] == ["TERM", "TZ"]
    assert m["mounts"] == [("trusted", "/app", str(good.app), 0), ("tmpfs", "/tmp", "", 0),
                           ("passthrough", "/data", str(good.data), 1)]
    sha = lambda p: hashlib.sha256(p.read_bytes()).digest()  # noqa: E731
    assert m["files"] == [
        ("/app", "dir", 0, "", stat.S_IMODE(good.app.stat().st_mode), bytes(32)),
        ("/app/bin", "dir", 0, "", stat.S_IMODE((good.app / "bin").stat().st_mode), bytes(32)),
        ("/app/bin/tool", "reg", good.tool.stat().st_size, "", 0o755, sha(good.tool)),
        ("/app/bin/tool-link", "symlink", 0, "tool", 0o777, bytes(32)),
        ("/app/empty", "dir", 0, "", stat.S_IMODE((good.app / "empty").stat().st_mode), bytes(32)),
        ("/app/etc", "dir", 0, "", stat.S_IMODE((good.app / "etc").stat().st_mode), bytes(32)),
        ("/app/etc/abs-link", "symlink", 0, "/app/etc/tool.conf", 0o777, bytes(32)),
        ("/app/etc/tool.conf", "reg", good.conf.stat().st_size, "", 0o640, sha(good.conf)),
    ]
    # the passthrough directory is not listed
    assert not any(f[0].startswith("/data") for f in m["files"])
    if m["mtimes"]:
        host = {"/app" + str(p)[len(str(good.app)):]: int(p.lstat().st_mtime)
                for p in [good.app, *good.app.rglob("*")]}
        assert m["mtimes"] == host


def test_default_argv_is_the_entrypoint(good, key):
    text = (MANIFESTS / "good.yaml").read_text()
    good.write(re.sub(r"^argv: .*\n", "", text, flags=re.M))
    _, out = sign(good, key)
    assert parse_manifest(out.read_bytes())["argv"] == ["/app/bin/tool"]


def test_scalars_are_strings_where_strings_are_expected(good, key):
    text = (MANIFESTS / "good.yaml").read_text()
    text = text.replace("argv: [tool, --config, /app/etc/tool.conf]", "argv: [tool, 1, true, ~, '']")
    text = text.replace("  EMPTY: \"\"\n", "  EMPTY:\n  NUM: 010\n  TILDE: ~\n")
    good.write(text)
    _, out = sign(good, key)
    m = parse_manifest(out.read_bytes())
    assert m["argv"] == ["tool", "1", "true", "~", ""]
    assert m["env"][2:] == ["EMPTY=", "NUM=010", "TILDE=~"]


def test_tab_and_newline_are_allowed_in_argv_and_env_values(good, key):
    """Block scalars are the ordinary way to write several lines; tab and
    newline reach the program as written. Non-ASCII text is fine too."""
    text = (MANIFESTS / "good.yaml").read_text()
    text = text.replace("argv: [tool, --config, /app/etc/tool.conf]", 'argv: [tool, "a\\tb", "line\\nbreak", "żółw"]')
    text = text.replace("  EMPTY: \"\"\n", "  EMPTY: \"\"\n  SCRIPT: |\n    one\n    two\n  RTL: \"\u05e9\u05dc\u05d5\u05dd\"\n")
    good.write(text)
    _, out = sign(good, key)
    m = parse_manifest(out.read_bytes())
    assert m["argv"] == ["tool", "a\tb", "line\nbreak", "żółw"]
    assert m["env"][3:] == ["SCRIPT=one\ntwo\n", "RTL=\u05e9\u05dc\u05d5\u05dd"]


def test_a_nul_never_signs_to_the_value_before_it(good, key):
    """`A: "x\\0y"` once signed to the same MRENCLAVE as `A: x`."""
    text = (MANIFESTS / "good.yaml").read_text()
    good.write(text.replace("  GREETING: hello world\n", '  GREETING: "hello\\0world"\n'))
    r = cli("sign", "--key", key, good.yaml, "-o", good.base / "nul.coffer")
    assert r.returncode == 3 and not (good.base / "nul.coffer").exists()
    assert r.stderr == (f"{good.yaml}:10:13: the value of GREETING contains a NUL character (U+0000): not allowed "
                        "in argv entries and env values (of the control characters only tab and newline are)\n")


@pytest.mark.parametrize("written, size", [("1M", 1 << 20), ("512M", 512 << 20), ("4G", 4 << 30),
                                           ("4Gi", 4 << 30), ("4GB", 4 << 30), ("1024k", 1 << 20),
                                           ("1T", 1 << 40), ("2097152", 2 << 20), ('"64M"', 64 << 20)])
def test_enclave_sizes(good, key, written, size):
    text = (MANIFESTS / "good.yaml").read_text().replace("size: 256M", f"size: {written}")
    good.write(text.replace("threads: 8", "threads: 1"))
    _, out = sign(good, key)
    assert parse_manifest(out.read_bytes())["config"]["enclave_size"] == size


def load_segments(img):
    """PT_LOAD segments of an ELF image: (flags, vaddr, offset, filesz, memsz), and the entry point: the
    sgx entry note's (name "Coffer", type 0x53475831, the entry's distance from the description) if the
    image has one, else e_entry."""
    assert img[:4] == b"\x7fELF"
    entry, phoff = struct.unpack_from("<QQ", img, 24)
    phentsize, phnum = struct.unpack_from("<HH", img, 54)
    segs = []
    for i in range(phnum):
        p = phoff + i * phentsize
        ptype, flags, offset, vaddr, _, filesz, memsz = struct.unpack_from("<IIQQQQQ", img, p)
        if ptype == 1:
            segs.append((flags, vaddr, offset, filesz, memsz))
        elif ptype == 4:
            at = 0
            while filesz - at >= 12:
                namesz, descsz, ntype = struct.unpack_from("<III", img, offset + at)
                desc = at + 12 + (namesz + 3) // 4 * 4
                if img[offset + at + 12:offset + at + 12 + namesz] == b"Coffer\0" and ntype == 0x53475831:
                    entry = (vaddr + desc + struct.unpack_from("<q", img, offset + desc)[0]) % (1 << 64)
                at = desc + (descsz + 3) // 4 * 4
    return segs, entry


def ssa_pages(xfrm, exinfo):
    """SSAFRAMESIZE: the XSAVE area at Intel's offsets, EXINFO, GPRSGX (184 bytes), in pages."""
    comps = {2: (576, 256), 5: (1088, 64), 6: (1152, 512), 7: (1664, 1024), 9: (2688, 8), 17: (2752, 64),
             18: (2816, 8192)}
    size = max([576] + [o + n for bit, (o, n) in comps.items() if xfrm >> bit & 1])
    return -(-(size + (16 if exinfo else 0) + 184) // 4096)


def mrenclave(bundle_path, image=ENCLAVE):
    """MRENCLAVE as docs/platforms.md ("The enclave layout") describes it, from the bundle and the enclave
    image: written from the documentation, not from common/layout.c."""
    raw = bundle_path.read_bytes()
    parsed = parse_manifest(raw)
    man, cfg = parsed["raw"], parsed["config"]
    img = image.read_bytes()
    segs, entry = load_segments(img)
    page, size, threads = 4096, cfg["enclave_size"], cfg["threads"]
    ssa = ssa_pages(3 | cfg["xsave"], cfg["flags"] & 4)
    h = hashlib.sha256()
    h.update(b"ECREATE\0" + struct.pack("<IQ", ssa, size) + bytes(44))

    def add(offset, secinfo, data=None):
        h.update(b"EADD\0\0\0\0" + struct.pack("<QQ", offset, secinfo) + bytes(40))
        for i in range(16 if data is not None else 0):
            h.update(b"EEXTEND\0" + struct.pack("<Q", offset + 256 * i) + bytes(48))
            h.update(data[256 * i:256 * (i + 1)])

    REG, TCS, R, W, X = 0x200, 0x100, 1, 2, 4
    span = (segs[-1][1] + segs[-1][4] + page - 1) // page * page
    npages = (len(man) + page - 1) // page
    # guard, stack, guard, exception stack, TCS, SSA frames, thread block
    stride = (1 + 64 + 1 + 16 + 1 + 2 * ssa + 1) * page
    thread0 = size - threads * stride
    image_at = thread0 - span
    manifest_at = image_at - page - npages * page
    for pg in range(0, manifest_at - page, page):   # the heap, up to the guard below the manifest
        add(pg, REG | R | W | X)
    for i in range(npages):
        add(manifest_at + i * page, REG | R, man[i * page:(i + 1) * page].ljust(page, b"\0"))
    for pg in range(0, span, page):
        perm, used, data = 0, False, bytearray(page)
        for flags, vaddr, offset, filesz, memsz in segs:
            if vaddr >= pg + page or vaddr + memsz <= pg:
                continue
            used = True
            perm |= (R if flags & 4 else 0) | (W if flags & 2 else 0) | (X if flags & 1 else 0)
            lo, hi = max(vaddr, pg), min(vaddr + filesz, pg + page)
            if hi > lo:
                data[lo - pg:hi - pg] = img[offset + lo - vaddr:offset + hi - vaddr]
        if used:
            add(image_at + pg, REG | perm, bytes(data))
    for t in range(threads):
        stack = thread0 + t * stride + page
        xstack = stack + 65 * page
        tcs = xstack + 16 * page
        block = tcs + page + 2 * ssa * page
        for i in range(64):
            add(stack + i * page, REG | R | W)
        for i in range(16):
            add(xstack + i * page, REG | R | W)
        tp = bytearray(page)
        struct.pack_into("<Q", tp, 16, tcs + page)             # OSSA
        struct.pack_into("<I", tp, 28, 2)                      # NSSA
        struct.pack_into("<Q", tp, 32, image_at + entry)       # OENTRY
        struct.pack_into("<QQ", tp, 48, block, block)          # OFSBASE, OGSBASE
        struct.pack_into("<II", tp, 64, 0xfff, 0xfff)          # OFSLIMIT, OGSLIMIT
        add(tcs, TCS, bytes(tp))
        for i in range(2 * ssa):
            add(tcs + page + i * page, REG | R | W)
        # the thread block's measured words: itself, the TCS, the tops of
        # the stacks, SSA frame 0, the frame's size, SIZE
        bp = bytearray(page)
        struct.pack_into("<7Q", bp, 8, block, tcs, stack + 64 * page, tcs, tcs + page, ssa * page, size)
        add(block, REG | R | W, bytes(bp))
    return h.hexdigest()


def test_mrenclave_is_manifest_image_and_threads(good, key):
    r, out = sign(good, key)
    assert mrenclave(out) == mrenclave_line(r)
    # and the SIGSTRUCT's ENCLAVEHASH is that value
    ss = out.read_bytes()[-SIGSTRUCT_SIZE:]
    assert ss[960:992].hex() == mrenclave_line(r)


@pytest.mark.parametrize("keys, xfrm, misc, ssa", [
    ("", 0x3, 0, 1),
    ("  xsave: [avx]\n", 0x7, 0, 1),
    ("  xsave: [avx512, avx, pkru]\n  exinfo: true\n", 0x2e7, 1, 1),
    ("  xsave: [amx]\n", 0x60003, 0, 3),
])
def test_xsave_and_exinfo(good, key, keys, xfrm, misc, ssa):
    """enclave.xsave and enclave.exinfo: in the manifest, in the SIGSTRUCT's ATTRIBUTES.XFRM and
    MISCSELECT, and through SSAFRAMESIZE in MRENCLAVE."""
    text = (MANIFESTS / "good.yaml").read_text().replace("  threads: 8\n", "  threads: 8\n" + keys)
    good.write(text)
    r, out = sign(good, key)
    cfg = parse_manifest(out.read_bytes())["config"]
    assert (3 | cfg["xsave"], cfg["flags"] & 4) == (xfrm, 4 * misc)
    assert ssa_pages(xfrm, misc) == ssa
    assert mrenclave(out) == mrenclave_line(r)
    f = fields(cli("sigstruct", out).stdout)
    assert f["xfrm"] == f"0x{xfrm:016x}" and f["xfrmmask"] == "0xffffffffffffffff"
    assert f["miscselect"] == f"0x{misc:08x}"
    m = cli("measure", out)
    assert m.returncode == 0 and "enclave:   matches" in m.stdout, m.stdout


@pytest.mark.parametrize("value, message", [
    ("[sse]", "enclave.xsave[0]: unknown XSAVE feature 'sse' (known: avx, avx512, pkru, amx)"),
    ("[avx, avx]", "enclave.xsave[1]: 'avx' is listed twice"),
    ("[avx512]", "enclave.xsave: avx512 needs avx too (the CPU enables AVX-512 only with AVX)"),
    ("avx", "enclave.xsave must be a list of XSAVE features (avx, avx512, pkru, amx), not a scalar"),
])
def test_xsave_refused(good, key, value, message):
    text = (MANIFESTS / "good.yaml").read_text().replace("  threads: 8\n", f"  threads: 8\n  xsave: {value}\n")
    good.write(text)
    r = cli("sign", "--key", key, good.yaml, "-o", good.base / "o.coffer")
    assert r.returncode == 3 and message in r.stderr, r.stderr


@pytest.mark.parametrize("at, value, reason", [
    (40, 0x20, "CONFIG's XSAVE features are not a valid XFRM beyond x87 and SSE"),     # part of AVX-512
    (40, 0xe0, "CONFIG's XSAVE features are not a valid XFRM beyond x87 and SSE"),     # AVX-512 without AVX
    (40, 0x8, "CONFIG's XSAVE features are not a valid XFRM beyond x87 and SSE"),      # MPX
    (40, 0x2, "CONFIG's XSAVE features are not a valid XFRM beyond x87 and SSE"),      # SSE is not "beyond"
    (44, 0x1, "CONFIG has non-zero reserved bytes"),
])
def test_bad_xsave_in_a_bundle_refused(good, key, at, value, reason):
    """A binary manifest with XSAVE bits sign would never write: refused by the shared check."""
    _, out = sign(good, key)
    b = bytearray(out.read_bytes())
    moff = struct.unpack_from("<I", b, 12)[0]
    nsec = struct.unpack_from("<I", b, moff + 16)[0]
    config = next(off for t, off, _, _ in (struct.unpack_from("<4I", b, moff + 24 + 16 * i) for i in range(nsec))
                  if t == 2)
    struct.pack_into("<I", b, moff + config + at, value)
    bad = good.base / "bad.coffer"
    bad.write_bytes(bytes(b))
    m = cli("measure", bad)
    assert m.returncode == 1 and f"manifest:  INVALID: {reason} (byte {config + at})" in m.stdout, m.stdout
    assert cli("run", bad).returncode == 125


# ---- SIGSTRUCT ------------------------------------------------------------------------------

FORTANIX = {
    "fortanix-test_enclave.sig": {
        "enclavehash": "784acfd7d5096a8f0fbd3265760bff21b120f62407a9a9e5ba31aa3c8ed198fc",
        "mrsigner": "fb4bab3d6036ac1d730fa83d7366df1dd2dfeac194ef335d6854d8a6c6475542",
        "isvprodid": "65535", "isvsvn": "0",
    },
    "fortanix-sig1.sigstruct.bin": {
        "enclavehash": "c50673624a6cb17c1c6c2a4e6906f47a170c4629b8723781d1017ef376f1a75d",
        "mrsigner": "83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e",
        "isvprodid": "0", "isvsvn": "0",
    },
}
VALID = "valid (RSA-3072, PKCS#1 v1.5, SHA-256; Q1 and Q2 match)"


@pytest.mark.parametrize("name", sorted(FORTANIX))
def test_sigstruct_vectors(name):
    r = cli("sigstruct", VECTORS / name)
    assert r.returncode == 0, r.stdout + r.stderr
    f = fields(r.stdout)
    for k, v in FORTANIX[name].items():
        assert f[k] == v, k
    assert f["signature"] == VALID
    assert f["exponent"] == "3"
    assert f["attributes"] == "0x0000000000000004 (MODE64BIT)"
    assert [l.split(":")[0] for l in r.stdout.splitlines()] == [
        "vendor", "date", "swdefined", "miscselect", "miscmask", "attributes", "xfrm", "attributemask",
        "xfrmmask", "enclavehash", "isvprodid", "isvsvn", "isvfamilyid", "isvextprodid", "mrsigner", "exponent",
        "signature"]


def test_sigstruct_vector_key_gives_its_mrsigner():
    assert mrsigner_of(VECTORS / "fortanix-sig1.key.pem") == FORTANIX["fortanix-sig1.sigstruct.bin"]["mrsigner"]


@pytest.mark.parametrize("name", sorted(FORTANIX))
@pytest.mark.parametrize("offset, reason", [
    (20, "the signature does not verify"),     # DATE, signed
    (960, "the signature does not verify"),    # ENCLAVEHASH, signed
    (1024, "the signature does not verify"),   # ISVPRODID, signed
    (516, "the signature does not verify"),    # SIGNATURE
    (200, "the signature does not verify"),    # MODULUS
    (1040, "Q1 does not match"),               # Q1
    (1807, "Q2 does not match"),               # Q2
])
def test_sigstruct_corrupted(tmp_path, name, offset, reason):
    bad = tmp_path / name
    bad.write_bytes(flip((VECTORS / name).read_bytes(), offset))
    r = cli("sigstruct", bad)
    assert r.returncode == 1
    sig = fields(r.stdout)["signature"]
    assert sig.startswith("INVALID: ") and reason in sig, sig


def test_sigstruct_malformed(tmp_path):
    raw = (VECTORS / "fortanix-sig1.sigstruct.bin").read_bytes()
    bad = tmp_path / "bad.sig"
    for data, why in [(flip(raw, 0), "HEADER or HEADER2 is not the SIGSTRUCT constant"),
                      (flip(raw, 512, 0x04), "EXPONENT must be 3"),
                      (flip(raw, 1030), "a reserved field is not zero"),
                      (flip(raw, 16, 0x10), "VENDOR must be 0 or 0x8086")]:
        bad.write_bytes(data)
        r = cli("sigstruct", bad)
        assert r.returncode == 1
        assert r.stderr == f"coffer: {bad}: not a valid SIGSTRUCT: {why}\n"
    bad.write_bytes(raw[:-1])
    r = cli("sigstruct", bad)
    assert r.returncode == 1 and "neither a SIGSTRUCT (1808 bytes) nor a bundle" in r.stderr
    assert cli("sigstruct").returncode == 2
    r = cli("sigstruct", tmp_path / "nothere")
    assert r.returncode == 1 and "No such file or directory" in r.stderr
    r = cli("sigstruct", tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (f"coffer: {tmp_path}: Is a directory; coffer sigstruct reads a SIGSTRUCT file or a signed "
                        "bundle\n")
    bad.write_bytes(b"")
    r = cli("sigstruct", bad)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (f"coffer: {bad}: neither a SIGSTRUCT (1808 bytes) nor a bundle: an empty file, not a signed "
                        "Coffer bundle\n")


def test_sigstruct_of_a_bundle(good, key):
    r, out = sign(good, key, "--date", "20250704")
    s = cli("sigstruct", out)
    assert s.returncode == 0, s.stdout + s.stderr
    f = fields(s.stdout)
    assert f["enclavehash"] == mrenclave_line(r)
    assert f["mrsigner"] == mrsigner_of(key)
    assert f["date"] == "2025-07-04"
    assert f["vendor"] == "0x0000"
    assert f["attributes"] == "0x0000000000000006 (DEBUG|MODE64BIT)"
    assert f["xfrm"] == "0x0000000000000003"
    assert f["attributemask"] == "0xfffffffffffffffe"
    assert f["xfrmmask"] == "0xffffffffffffffff"
    assert (f["miscselect"], f["miscmask"]) == ("0x00000000", "0xffffffff")
    assert (f["isvprodid"], f["isvsvn"]) == ("42", "7")
    assert f["signature"] == VALID
    # the SIGSTRUCT stored in the bundle can be read like any other
    ss = good.base / "app.sig"
    ss.write_bytes(out.read_bytes()[-SIGSTRUCT_SIZE:])
    assert cli("sigstruct", ss).stdout == s.stdout
