"""Shared helpers for the integration tests: real programs under `coffer run`.

The build directory comes from $COFFER_BUILD (the Makefile sets it), else
build/ at the top of the repository. The programs inherit the environment,
so COFFER_BOUNDARY=copy (or check) runs the suite with every forwarded
buffer copied through untrusted memory, as on sgx (docs/platforms.md). Tests compare a program's output under
coffer with its native output from the same machine and moment.
"""
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("COFFER_BUILD", ROOT / "build")).resolve()
COFFER = BUILD / "coffer"
PROGS = BUILD / "tests"
HERE = pathlib.Path(__file__).resolve().parent
# Switches of `coffer run` that a whole test run may set (COFFER_MEMORY=enclave
# runs the suite with enclave memory); tests that build their own environment
# pass them on with run_env().
RUN_SWITCHES = ("COFFER_MEMORY",)


def run_env(env):
    """env plus the run-wide switches set for this test run."""
    return {**env, **{k: os.environ[k] for k in RUN_SWITCHES if k in os.environ}}


NOTICE = "coffer: development run on the simulated direct platform: no manifest, nothing is protected"


def pytest_configure(config):
    if not COFFER.exists():
        raise pytest.UsageError(f"{COFFER} is missing: build first (make)")


def run(cmd, coffer_args=(), timeout=120, env=None, **kw):
    """Run cmd (a list) under `coffer run`; returns CompletedProcess (text)."""
    full = [str(COFFER), "run", *coffer_args, "--", *map(str, cmd)]
    return subprocess.run(full, capture_output=True, text=True, timeout=timeout, env=env, **kw)


def native(cmd, timeout=120, env=None, **kw):
    return subprocess.run(list(map(str, cmd)), capture_output=True, text=True, timeout=timeout, env=env, **kw)


def stderr_lines(proc):
    """stderr without the development-run notice."""
    return [l for l in proc.stderr.splitlines() if l != NOTICE]


def cli(*args, timeout=600, **kw):
    """Run `coffer ARGS...` (any subcommand); returns CompletedProcess (text)."""
    return subprocess.run([str(COFFER), *map(str, args)], capture_output=True, text=True, timeout=timeout, **kw)


@pytest.fixture(scope="session")
def key(tmp_path_factory):
    """A signing key made with `coffer keygen`, shared by the tests that sign."""
    k = tmp_path_factory.mktemp("key") / "signer.pem"
    r = cli("keygen", "-o", k)
    assert r.returncode == 0, r.stderr
    return k


@pytest.fixture
def coffer():
    return run


@pytest.fixture
def prog():
    def path(name):
        p = PROGS / name
        assert p.exists(), f"{p} not built"
        return p
    return path


LOADER = "/lib64/ld-linux-x86-64.so.2"
LIBC = "/lib/x86_64-linux-gnu/libc.so.6"


def chain(path):
    """Every symlink met resolving path on the host, then the real path: the
    trusted entries the runtime needs to follow it inside the enclave."""
    out, done, todo = [], "", path.strip("/").split("/")
    while todo:
        c = todo.pop(0)
        if c in ("", "."):
            continue
        if c == "..":
            done = done.rsplit("/", 1)[0]
            continue
        cand = f"{done}/{c}"
        if os.path.islink(cand):
            out.append(cand)
            target = os.readlink(cand)
            if target.startswith("/"):
                done = ""
            todo = target.strip("/").split("/") + todo
        else:
            done = cand
    return out + [done]


def libc_entries():
    """The trusted paths a dynamically linked program needs for ld.so and
    libc: every symlink on the way and the real files, each once."""
    out = []
    for p in chain(LOADER) + chain(LIBC):
        if p not in out:
            out.append(p)
    return out


def trusted_mounts(paths):
    """Manifest lines mounting each host path as trusted at the same path."""
    return "".join(f"  - path: {p}\n    type: trusted\n" for p in paths)


def probe_manifest(name, app, data, mounts="", env=None, terminal=False):
    """The manifest of a test program at /app/NAME with the three kinds of
    mount: /app trusted (app), /data passthrough (data), /tmp tmpfs; then
    `mounts` (more manifest lines) and `env` (a dict); `terminal: true` if
    terminal."""
    env_yaml = "".join(f"\n  {k}: {v}" for k, v in (env or {}).items())
    return f"""\
version: 1
entrypoint: /app/{name}
argv: [{name}]
host_args: append
{"env:" + env_yaml + chr(10) if env else ""}cwd: /app
{"terminal: true" + chr(10) if terminal else ""}mounts:
  - path: /app
    type: trusted
    source: {app}
  - path: /data
    type: passthrough
    source: {data}
  - path: /tmp
    type: tmpfs
{mounts}enclave:
  size: 256M
  threads: 8
"""


def libc_probe_bundle(base, key, name, env=None):
    """Sign a bundle of the libc-linked test program NAME (from the build) at
    /app/NAME, with probe_manifest's mounts and ld.so and libc trusted, in
    base; returns (bundle path, the host directory mounted at /data)."""
    app, data = base / "app", base / "data"
    app.mkdir()
    data.mkdir()
    (app / name).write_bytes((PROGS / name).read_bytes())
    os.chmod(app / name, 0o755)
    (base / "app.yaml").write_text(probe_manifest(name, app, data, mounts=trusted_mounts(libc_entries()), env=env))
    r = cli("sign", "--key", key, base / "app.yaml", "-o", base / "app.coffer")
    assert r.returncode == 0, r.stderr
    return base / "app.coffer", data


class StaticBundle:
    """A signed bundle of one statically linked test program with the three
    kinds of mount: /app (trusted: the program and `files`), /data
    (passthrough of a host directory) and /tmp (tmpfs). `extra` is more
    YAML for the mounts list; `terminal` allows new pseudo-terminals."""

    def __init__(self, base, key, name, files=None, extra="", terminal=False):
        self.base = base
        self.app, self.data = base / "app", base / "data"
        self.app.mkdir()
        self.data.mkdir()
        shutil.copy(PROGS / name, self.app / name)
        for rel, text in (files or {}).items():
            (self.app / rel).write_text(text)
        self.yaml = base / f"{name}.yaml"
        self.yaml.write_text(probe_manifest(name, self.app, self.data, mounts=extra, terminal=terminal))
        self.bundle = base / f"{name}.coffer"
        r = cli("sign", "--key", key, self.yaml, "-o", self.bundle)
        assert r.returncode == 0, r.stderr

    def run(self, *args, coffer_args=(), **kw):
        return cli("run", *coffer_args, self.bundle, "--", *args, **kw)


@pytest.fixture
def static_bundle(tmp_path, key):
    """static_bundle(name, files=None, extra=""): a StaticBundle in tmp_path."""
    def make(name, **kw):
        return StaticBundle(tmp_path, key, name, **kw)
    return make
