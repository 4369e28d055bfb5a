"""docs/syscalls.md (issue 4): generated from runtime/syscall/table.h by
scripts/gen-syscalls-doc.py, kept current, and true of the runtime: what it
lists as refused returns ENOSYS under coffer, what it lists as implemented
does not."""
import os
import re
import shutil
import subprocess
import sys

from conftest import ROOT, native, run, stderr_lines

SCRIPT = ROOT / "scripts" / "gen-syscalls-doc.py"
DOC = ROOT / "docs" / "syscalls.md"


def gen(*args, root=ROOT):
    return subprocess.run([sys.executable, str(root / "scripts" / "gen-syscalls-doc.py"), *args],
                          capture_output=True, text=True, timeout=60)


def section(title):
    """{nr: name} from the table under '## title' in docs/syscalls.md."""
    text = DOC.read_text().split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^\| (\d+) \| `(\w+)` \|", text, re.M)}


def unknown():
    m = re.search(r"^Implemented: \d+; refused: \d+; unknown: ([\d, -]+);", DOC.read_text(), re.M)
    assert m, "summary line missing"
    nrs = []
    for part in m.group(1).split(", "):
        lo, _, hi = part.partition("-")
        nrs += range(int(lo), int(hi or lo) + 1)
    return nrs


def test_doc_is_current():
    r = gen("--check")
    assert r.returncode == 0, r.stderr


def test_check_fails_on_a_changed_table(tmp_path):
    # a copy of what the generator reads, with one note changed in the table
    for rel in ("scripts/gen-syscalls-doc.py", "docs/syscalls.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    shutil.copytree(ROOT / "runtime", tmp_path / "runtime")
    assert gen("--check", root=tmp_path).returncode == 0
    table = tmp_path / "runtime" / "syscall" / "table.h"
    table.write_text(table.read_text().replace('"enclave code cannot be traced"', '"changed"'))
    r = gen("--check", root=tmp_path)
    assert r.returncode == 1
    assert "out of date" in r.stderr and "-| 101 | `ptrace` | enclave code cannot be traced |" in r.stderr
    assert gen(root=tmp_path).returncode == 0
    assert "| 101 | `ptrace` | changed |" in (tmp_path / "docs" / "syscalls.md").read_text()
    assert gen("--check", root=tmp_path).returncode == 0


def test_counts_cover_every_number():
    refused, quiet, implemented = section("Refused"), section("Quiet fallbacks"), section("Implemented")
    limit = int(re.search(r"unknown numbers below (\d+)", DOC.read_text()).group(1))
    nrs = [*refused, *quiet, *implemented, *unknown()]
    assert sorted(nrs) == list(range(limit))
    counts = [int(n) for n in re.findall(r"^\| [^|]+ \| (\d+) \|$", DOC.read_text(), re.M)]
    assert counts[0] + counts[1] == len(implemented)
    assert counts[2:] == [len(refused), len(quiet), len(unknown())]


def test_runtime_refuses_what_the_doc_lists(prog):
    refused, quiet = section("Refused"), section("Quiet fallbacks")
    nrs = [*refused, *quiet, *unknown(), 470, 1000]
    c = run([prog("sysnr"), *nrs])
    assert c.returncode == 0, c.stderr
    assert c.stdout.splitlines() == [f"{n} ENOSYS" for n in nrs]
    # a warning for each refused call, named; none for the quiet ones
    warned = stderr_lines(c)
    for n, name in refused.items():
        assert sum(f"system call {name} ({n}) is not supported" in l for l in warned) == 1, (name, warned)
    for n, name in quiet.items():
        assert not any(f"({n})" in l for l in warned), (name, warned)


def test_runtime_implements_what_the_doc_lists(prog):
    # calls whose answer is the same natively and under coffer
    calls = {24: "sched_yield", 95: "umask", 102: "getuid", 104: "getgid", 107: "geteuid", 108: "getegid"}
    implemented = section("Implemented")
    for n, name in calls.items():
        assert implemented.get(n) == name
    nrs = list(calls)
    c, n = run([prog("sysnr"), *nrs]), native([prog("sysnr"), *nrs])
    assert c.returncode == 0, c.stderr
    assert c.stdout == n.stdout
    assert "ENOSYS" not in c.stdout
    assert f"102 {os.getuid()}" in c.stdout.splitlines()
