"""Shared helpers for the integration tests: real programs under `coffer run`.

The build directory comes from $COFFER_BUILD (the Makefile sets it), else
build/ at the top of the repository. Tests compare a program's output under
coffer with its native output from the same machine and moment.
"""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("COFFER_BUILD", ROOT / "build")).resolve()
COFFER = BUILD / "coffer"
PROGS = BUILD / "tests"
HERE = pathlib.Path(__file__).resolve().parent
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
