"""Enclave memory: the application's mappings served by the runtime from one
range (runtime/mm/vma.c, docs/runtime.md "Enclave memory"), switched on for
the direct platform with COFFER_MEMORY=enclave (host page tables follow the
runtime's list: faults are real) or COFFER_MEMORY=sgx1 (every page RWX for
good, as SGX1 gives them after EINIT: protection is bookkeeping only).

progs/memprobe.c makes the memory calls one by one; its portable cases must
print what they print natively, in every mode, and the others show what the
mode changes: where things are, what faults, what is out of reach.
"""
import hashlib
import os
import re
import subprocess

import pytest

from conftest import COFFER, PROGS, native, run, stderr_lines

MEMPROBE = PROGS / "memprobe"
# direct's range (platform/direct/start.c): from 64 KiB, 64 GiB long
RANGE_LO, RANGE_HI = 0x10000, 0x10000 + (64 << 30)


def env(mode):
    e = dict(os.environ)
    e["COFFER_MEMORY"] = mode
    return e


def probe(mode, *cases, **kw):
    r = run([MEMPROBE, *cases], env=env(mode), **kw)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


@pytest.fixture(scope="module")
def native_all():
    r = native([MEMPROBE, "all"])
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


@pytest.mark.parametrize("mode", ["host", "enclave", "sgx1"])
def test_encmem_calls_as_linux(mode, native_all):
    """Placement and hints, MAP_FIXED over a mapping, munmap and mprotect
    splits (and the merge after) in /proc/self/maps, mremap grow/move/
    fixed/dontunmap, brk up and down, madvise, mincore, msync, private and
    shared file mappings, the error numbers: as natively."""
    got = probe(mode, "all")
    want = native_all
    if mode == "sgx1":
        # SGX1 cannot share enclave pages with another process: the child
        # of a fork has a copy of a MAP_SHARED|MAP_ANONYMOUS mapping
        want = [l.replace("fork shared c", "fork shared p") for l in want]
    assert got == want


def test_encmem_unknown_mode():
    r = run(["/bin/true"], env=env("elsewhere"))
    assert r.returncode == 2 and "COFFER_MEMORY=elsewhere" in r.stderr


def maps_ranges(lines):
    out = []
    for l in lines:
        m = re.match(r"where map ([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)", l)
        if m:
            out.append((int(m[1], 16), int(m[2], 16), m[3], m[4]))
    return out


@pytest.mark.parametrize("mode", ["enclave", "sgx1"])
def test_encmem_everything_inside_the_range(mode):
    """The program, ld.so, libc, the heap, the stack and every mapping lie
    inside the range; there is no vDSO; /proc/self/maps lists them as
    Linux would, with names."""
    lines = probe(mode, "where")
    m = re.match(r"where mmap 0x([0-9a-f]+) stack 0x([0-9a-f]+)", lines[0])
    assert RANGE_LO <= int(m[1], 16) < RANGE_HI and RANGE_LO <= int(m[2], 16) < RANGE_HI
    maps = maps_ranges(lines)
    names = [n for *_, n in maps]
    for lo, hi, perms, name in maps:
        if name == "[vsyscall]":
            continue
        assert RANGE_LO <= lo < hi <= RANGE_HI, (hex(lo), name)
    assert str(MEMPROBE) in names and "[stack]" in names and "[heap]" in names
    assert any(n.endswith("/libc.so.6") for n in names) and any("ld-linux" in n for n in names)
    assert "[vdso]" not in names and "[vvar]" not in names
    # the stack at the top of the range, the program low in it
    stack = [(lo, hi) for lo, hi, _, n in maps if n == "[stack]"][0]
    assert stack[1] == RANGE_HI
    prog = min(lo for lo, _, _, n in maps if n == str(MEMPROBE))
    assert prog < (1 << 30)
    # text is r-x, data rw-, as the segments ask
    perms = {p for _, _, p, n in maps if n == str(MEMPROBE)}
    assert "r-xp" in perms and "rw-p" in perms


def test_encmem_host_memory_is_the_default():
    """Without the switch nothing changes: the program is where the host put
    it (not in the range) and the host's vDSO is there."""
    lines = probe("host", "where")
    maps = maps_ranges(lines)
    names = [n for *_, n in maps]
    assert "[vdso]" in names
    prog = min(lo for lo, _, _, n in maps if n == str(MEMPROBE))
    assert prog >= RANGE_HI


def test_encmem_faults():
    """With host-applied protection PROT_NONE and read-only pages fault, and
    so do unmapped ones; with SGX1's fixed pages nothing inside the range
    can fault (what the docs say a JVM's guard pages then lose)."""
    nat = native([MEMPROBE, "faults"]).stdout.splitlines()
    assert nat == ["read PROT_NONE: fault", "write PROT_READ: fault", "read unmapped: fault"]
    assert probe("enclave", "faults") == nat
    assert probe("sgx1", "faults") == ["read PROT_NONE: ok", "write PROT_READ: ok", "read unmapped: ok"]


@pytest.mark.parametrize("mode", ["enclave", "sgx1"])
def test_encmem_outside_the_range(mode):
    """What does not fit the range is ENOMEM, as an address Linux cannot use
    (beyond TASK_SIZE) is; a shared writable file mapping is the host's,
    outside the range, and cannot be put at a fixed place inside it."""
    nat = native([MEMPROBE, "outside"]).stdout.splitlines()
    assert nat[:3] == ["huge: ok", "fixed far: ok", "noreplace far: ok"]
    got = probe(mode, "outside")
    assert got[:3] == ["huge: ENOMEM", "fixed far: ENOMEM", "noreplace far: ENOMEM"]
    m = re.match(r"shared file: ok addr 0x([0-9a-f]+)", got[3])
    assert m and not (RANGE_LO <= int(m[1], 16) < RANGE_HI)
    assert got[4] == "shared file fixed: ENODEV"


def runtime_address(pid):
    """A page of the enclave image (runtime code), from the host's maps."""
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            if line.rstrip().endswith("coffer-enclave") and " r-xp " in line:
                return int(line.split("-")[0], 16)
    raise AssertionError("no coffer-enclave text mapping")


def trampoline_address(pid):
    """A region of call-site trampolines cut out of the range (rwx, 64 KiB,
    not in the program's own maps), from the host's maps."""
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if RANGE_LO <= lo < RANGE_HI and line.split()[1] == "rwxp" and hi - lo == 0x10000:
                return lo
    raise AssertionError("no trampoline region inside the range")


def aim_at(mode, where):
    p = subprocess.Popen([str(COFFER), "run", "--", str(MEMPROBE), "hostile"], env=env(mode),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = p.stdout.readline()
        pid = int(first.split()[1])
        p.stdin.write(f"{where(pid):x}\n")
        p.stdin.flush()
        out, err = p.communicate(timeout=60)
    finally:
        p.kill()
    assert p.returncode == 0, err
    return out.splitlines()


@pytest.mark.parametrize("mode", ["host", "enclave", "sgx1"])
def test_encmem_hostile_runtime_memory(mode):
    """The program aims every call at the runtime's own code: refused as
    memory the process cannot use, and the runtime goes on."""
    assert aim_at(mode, runtime_address) == HOSTILE


def test_encmem_hostile_trampolines():
    """The same at the fast path's trampolines, which enclave memory puts
    inside the range (rt_code_region): runtime memory like the rest."""
    assert aim_at("enclave", trampoline_address) == HOSTILE


def test_encmem_brk_keeps_the_trampolines():
    """A call site far from every trampoline region gets one cut from a hole
    the program made in its heap; a break moved back below it must not
    unmap the platform's code (it did: the next patched site wrote into
    the freed region and the runtime died). Natively the break shrinks."""
    nat = native([MEMPROBE, "brkhole"])
    assert nat.returncode == 0 and "brk over the trampolines: shrunk" in nat.stdout.splitlines()
    assert probe("enclave", "brkhole") == ["brkhole", "hole: ok", "code: ok", "site: ok",
                                           "brk over the trampolines: kept", "another site: ok", "still alive"]


HOSTILE = [
    "fixed over runtime: ENOMEM",
    "noreplace over runtime: EEXIST",
    "munmap runtime: ENOMEM",
    "mprotect runtime: ENOMEM",
    "mremap onto runtime: EINVAL",
    "madvise runtime: ENOMEM",
    "still alive",
]


@pytest.mark.parametrize("mode", ["enclave", "sgx1"])
def test_encmem_python_and_exec(mode):
    """A real program through the whole path: Python imports (file mappings
    of its modules), threads, a subprocess (fork/posix_spawn + execve boots
    a fresh range)."""
    code = ("import threading, subprocess, json, hashlib\n"
            "t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
            "out = subprocess.run(['/bin/echo', 'child'], capture_output=True, text=True).stdout\n"
            "print(json.dumps([out.strip(), hashlib.sha256(b'x' * 10**6).hexdigest()[:8]]))\n")
    r = run(["/usr/bin/python3", "-c", code], env=env(mode), timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == '["child", "%s"]\n' % hashlib.sha256(b"x" * 10**6).hexdigest()[:8]
    assert stderr_lines(r) == []
