"""/proc is the runtime's, not the host's (issue 8; docs/runtime.md, "/proc").

The probe is progs/procprobe.c, run from a signed bundle with a trusted
(/app, and /etc with the enclave's own passwd), a passthrough (/data) and a
tmpfs (/tmp) mount. A marker file on the host, under no mount, must never
show; every way out through /proc must fail as for a file that does not
exist, or land inside the enclave's file system.
"""
import os
import re
import shutil
import subprocess

import pytest

from conftest import COFFER, PROGS, cli, run
from test_bundle import LIBC, LOADER, chain

MARKER = "MARKER-host-file-not-for-the-enclave"
ENCLAVE_PASSWD = "enclave:x:1000:1000::/app:/bin/false\n"

MANIFEST = """\
version: 1
entrypoint: /app/procprobe
argv: [procprobe]
host_args: append
cwd: /app
mounts:
  - path: /app
    type: trusted
    source: {base}/app
  - path: /etc
    type: trusted
    source: {base}/etc
  - path: /data
    type: passthrough
    source: {base}/data
  - path: /tmp
    type: tmpfs
{libs}"""


class Bundle:
    def __init__(self, base, key):
        self.base = base
        for d in ("app", "etc", "data"):
            (base / d).mkdir()
        shutil.copy(PROGS / "procprobe", base / "app" / "procprobe")
        (base / "app" / "hello.txt").write_text("hello from a trusted file\n")
        os.symlink("../../etc/passwd", base / "app" / "evil")
        (base / "etc" / "passwd").write_text(ENCLAVE_PASSWD)
        (base / "data" / "host.txt").write_text("written by the host\n")
        os.symlink("../../../../../../" + str(base / "outside.txt"), base / "data" / "escape")
        os.symlink(str(base / "outside.txt"), base / "data" / "abs-escape")
        self.outside = base / "outside.txt"
        self.outside.write_text(MARKER + "\n")
        libs, seen = "", []
        for p in chain(LOADER) + chain(LIBC):
            if p not in seen:
                seen.append(p)
                libs += f"  - path: {p}\n    type: trusted\n"
        self.mounts = ["/app", "/etc", "/data", "/tmp"] + seen
        (base / "app.yaml").write_text(MANIFEST.format(base=base, libs=libs))
        r = cli("sign", "--key", key, base / "app.yaml", "-o", base / "app.coffer")
        assert r.returncode == 0, r.stderr
        self.bundle = base / "app.coffer"

    def run(self, *ops, **kw):
        r = cli("run", self.bundle, "--", *ops, **kw)
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert MARKER not in r.stdout  # the host's file, whatever was asked
        return r


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, key):
    return Bundle(tmp_path_factory.mktemp("procfs"), key)


def results(out):
    """'OP ARG: RESULT' lines -> {(op, arg): result}."""
    got = {}
    for line in out.splitlines():
        m = re.match(r"^(\S+) (\S*): (.*)$", line)
        if m:
            got[(m.group(1), m.group(2))] = m.group(3)
    return got


def ids(got):
    m = re.match(r"ok pid=(\d+) ppid=(\d+) tid=(\d+)$", got[("ids", "-")])
    return tuple(int(x) for x in m.groups())


def test_uname_names_no_host(bundle):
    r = bundle.run("uname:-")
    u = os.uname()
    assert r.stdout == f"uname -: ok nodename=localhost sysname=Linux release={u.release}\n"
