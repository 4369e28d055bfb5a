"""examples/example.py: every example records, signs and runs (issue 4,
item 6). Recorded here under tmp_path with a free port, so the test does
not depend on the manifests in examples/, which name the files of the
machine they were recorded on."""
import contextlib
import os
import socket
import subprocess
import sys

import pytest

from conftest import BUILD, ROOT

EXAMPLE = ROOT / "examples" / "example.py"
NAMES = ["python", "node", "java", "redis", "nginx", "memcached"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def example(*args):
    return subprocess.run([sys.executable, str(EXAMPLE), *map(str, args)], capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, COFFER_BUILD=str(BUILD)))


@pytest.mark.parametrize("name", NAMES)
def test_example_records_signs_and_runs(tmp_path, name):
    port, root, yaml = free_port(), tmp_path / name, tmp_path / f"{name}.yaml"
    r = example("record", name, "--root", root, "--port", port, "-o", yaml)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{name}: ") and f"recorded {yaml}" in r.stdout
    r = example("try", name, "--root", root, "--port", port, "--manifest", yaml, "--key", tmp_path / "k.pem")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("signed ") and f"\n{name}: " in r.stdout


def test_every_example_has_a_manifest_and_a_readme_line():
    readme = (ROOT / "examples" / "README.md").read_text()
    listed = example("list").stdout.split()
    for name in NAMES:
        assert (ROOT / "examples" / name / f"{name}.yaml").exists()
        assert f"examples/example.py try {name}`" in readme
        assert name in listed


def test_a_failing_service_is_reported(tmp_path):
    """A signed example whose port something else already holds: the service
    cannot listen there, and the example says so and fails. The manifest and
    the key exist, so the only fault is the port."""
    port, root, yaml = free_port(), tmp_path / "py", tmp_path / "python.yaml"
    r = example("record", "python", "--root", root, "--port", port, "-o", yaml)
    assert r.returncode == 0, r.stderr
    with contextlib.ExitStack() as held:
        # a listener holds the port (the service's bind fails, even with
        # SO_REUSEADDR), with its accept queue full, so that the example's
        # own "is it listening yet?" probe is never answered by it
        s = held.enter_context(socket.socket())
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the recording's TIME_WAIT
        s.bind(("127.0.0.1", port))
        s.listen(0)
        for _ in range(2):
            c = held.enter_context(socket.socket())
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
        r = example("try", "python", "--root", root, "--port", port, "--manifest", yaml, "--key", tmp_path / "k.pem")
    assert r.returncode == 1
    assert r.stdout.startswith("signed "), r.stdout
    assert "example python: it exited with status 1 before listening:" in r.stderr, r.stderr
    assert "Address already in use" in r.stderr, r.stderr
