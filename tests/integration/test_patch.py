"""The fast path: call sites patched after their first trap (docs/design.md
section 3, platform/direct/patch.c), and COFFER_PATCH=0, which keeps every
call on the trap path.

With --log=info the runtime reports at exit how many calls trapped and how
many came through patched sites; the tests read that line to know which
path ran. progs/patch_sites.c holds call sites in the form that is patched
and checks what the `syscall` contract promises across them.
"""
import os
import re
import subprocess
import sys

import pytest

from conftest import BUILD, cli, native, run

STATS = re.compile(r"^coffer: system calls: (\d+) trapped, (\d+) through patched call sites; "
                   r"call sites: (\d+) patched, (\d+) left trapping \((\d+) of unknown shape\)$", re.M)
GETPPID = BUILD / "bench" / "bench_getppid"


def env(patch):
    e = dict(os.environ)
    e.pop("COFFER_PATCH", None)
    if patch is not None:
        e["COFFER_PATCH"] = patch
    return e


def stats(proc):
    """The last summary: the process's own (children exit before it)."""
    m = STATS.findall(proc.stderr)
    assert m, proc.stderr
    return tuple(int(x) for x in m[-1])


def test_later_calls_from_a_site_do_not_trap():
    r = run([GETPPID, 100000], coffer_args=["--log=info"], env=env(None))
    assert r.returncode == 0, r.stderr
    trapped, fast, patched, left, unknown = stats(r)
    assert fast >= 100000 - 1 and trapped < 100, (trapped, fast)
    # glibc's start-up makes a few calls from sites of other shapes, once
    assert patched >= 1 and left == unknown


def test_coffer_patch_0_traps_every_call():
    r = run([GETPPID, 100000], coffer_args=["--log=info"], env=env("0"))
    assert r.returncode == 0, r.stderr
    trapped, fast, patched, _, _ = stats(r)
    assert trapped >= 100000 and fast == 0 and patched == 0


def test_coffer_patch_other_values_are_a_usage_error():
    r = run([GETPPID, 1], env=env("yes"))
    assert r.returncode == 2
    assert "COFFER_PATCH=yes: expected 0 (trap every call) or 1" in r.stderr


@pytest.mark.parametrize("patch", ["1", "0"])
def test_registers_and_red_zone_survive_a_call(prog, patch):
    r = run([prog("patch_sites"), "regs", 2000], coffer_args=["--log=info"], env=env(patch))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ok regs 2000\n"
    assert (stats(r)[1] >= 1999) == (patch == "1")


def test_threads_racing_on_an_unpatched_site(prog):
    """Eight threads start together on a site nobody has called: one patches
    it while the others trap or run it; every answer must be right. Fresh
    processes, so that the race happens each time."""
    for _ in range(6):
        r = run([prog("patch_sites"), "race", 8, 20000], coffer_args=["--log=info"], env=env(None))
        assert r.returncode == 0, r.stderr
        assert r.stdout == "ok race 8 20000\n"
        assert stats(r)[1] > 8 * 20000 // 2  # the others trap until the patch lands


@pytest.mark.parametrize("patch", ["1", "0"])
def test_glibc_read_form(prog, patch):
    """xor %eax,%eax; syscall; cmp: patching moves the return address of the
    `syscall`, first under a call that blocks there, with other threads
    asleep (the stop-the-world signal must not end their calls), then with
    threads racing through the site. Fresh processes, so the patching
    happens each time."""
    nat = native([prog("patch_sites"), "readsite", 8, 3000])
    assert nat.returncode == 0, nat.stderr
    for _ in range(3 if patch == "1" else 1):
        r = run([prog("patch_sites"), "readsite", 8, 3000], coffer_args=["--log=info"], env=env(patch))
        assert r.returncode == 0, r.stderr
        assert r.stdout == nat.stdout == "ok readsite\nok readsite race 8 3000\n"
        assert (stats(r)[1] > 8 * 3000) == (patch == "1")


@pytest.mark.parametrize("patch", ["1", "0"])
def test_sites_that_take_the_number_from_a_register(prog, patch):
    """Go's Syscall6 (a copy, byte for byte), glibc's syscall() and
    `mov $nr,%rax; syscall` are patched; patching Go's moves two instructions, so eight threads race
    through it while it changes. A site of no known shape keeps trapping and
    is counted as such. Fresh processes, so that the race happens each
    time."""
    n = 3000
    for _ in range(4 if patch == "1" else 1):
        r = run([prog("patch_sites"), "shapes", 8, n], coffer_args=["--log=info"], env=env(patch))
        assert r.returncode == 0, r.stderr
        assert r.stdout == f"ok shapes 8 {n}\n"
        trapped, fast, patched, left, unknown = stats(r)
        assert trapped >= 8 * n  # trap_call, every time
        if patch == "1":
            # five calls of six through patched sites, but for those
            # that came before the patches landed
            assert fast > 8 * n * 4, (trapped, fast)
            assert unknown >= 1 and left >= unknown
        else:
            assert fast == 0 and patched == 0


def test_glibc_forms_patched_by_one_write_while_alone(prog):
    """glibc's openat (nocancel) and prlimit forms and `mov $nr,%rax`
    called from the only thread: each site is patched after its first trap,
    and, with no other thread to see a site half written, by one write of
    its final bytes through /proc/self/mem instead of two mprotects of its
    page (strace shows no code page made writable)."""
    n = 500
    r = run([prog("patch_sites"), "alone", n], coffer_args=["--log=info"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"ok alone {n}\n"
    trapped, fast, patched, left, unknown = stats(r)
    # per round two openat, fcntl and close (libc's), prlimit and getppid:
    # all but each site's first call go through patched sites
    assert fast >= 6 * n - 20, (trapped, fast)
    t = subprocess.run(["strace", "-f", "-e", "trace=mprotect,pwrite64", str(BUILD / "coffer"), "run", "--",
                        str(prog("patch_sites")), "alone", "20"], capture_output=True, text=True, timeout=120)
    assert t.returncode == 0, t.stderr[-2000:]
    assert "ok alone 20" in t.stdout
    assert not re.search(r"mprotect\(.*PROT_WRITE\|PROT_EXEC", t.stderr), t.stderr[-3000:]
    writes = re.findall(r"pwrite64\(\d+, \"\\351", t.stderr)  # e9: a jmp rel32
    assert len(writes) >= 3, t.stderr[-3000:]


def test_no_stop_the_world_while_a_vfork_child_shares_the_memory(prog):
    """The first calls through the Go shape's site come from a vfork child:
    stopping the world would not reach the parent's threads, which run in
    the same memory, so the site waits until the child is gone, and the
    parent's calls patch it."""
    r = run([prog("patch_sites"), "vforkshape", 1000], coffer_args=["--log=debug"], env=env(None))
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout == "ok vforkshape 1000\n"
    assert re.search(r"the call site at 0x[0-9a-f]+ traps while another process shares the memory",
                     r.stderr)
    assert stats(r)[1] >= 999


def test_stop_the_world_loses_no_trapped_call(prog):
    """Each patch of glibc's read form signals every other thread and waits
    for it. Meanwhile three threads make calls that always trap, and a
    thread born for each patch writes what the patching read waits for.
    Linux does not queue a second instance of a standard signal: when the
    stop-the-world signal was SIGSYS, a trap that met it pending lost its
    own SIGSYS and the kernel skipped the call, which came back with %rax
    still holding the call number (a wrong answer, or a lost write and a
    hang, caught by the subprocess timeout). 24 patches in each of six fresh
    processes."""
    nat = native([prog("patch_sites"), "stw", 3, 24])
    assert nat.returncode == 0, nat.stderr
    for _ in range(6):
        r = run([prog("patch_sites"), "stw", 3, 24], coffer_args=["--log=info"], env=env(None))
        assert r.returncode == 0, r.stderr
        assert r.stdout == nat.stdout == "ok stw 3 24\n"
        assert stats(r)[1] >= 24  # the second read from each site was fast


@pytest.mark.parametrize("patch", ["1", "0"])
def test_signals_at_patched_sites(prog, patch):
    nat = native([prog("patch_sites"), "signals"])
    assert nat.returncode == 0, nat.stderr
    r = run([prog("patch_sites"), "signals"], coffer_args=["--log=info"], env=env(patch))
    assert r.returncode == 0, r.stderr
    assert r.stdout == nat.stdout == "ok restart\nok eintr\nok mask\nok storm\n"
    assert (stats(r)[1] > 1000) == (patch == "1")


def test_sites_in_code_mapped_after_start(prog):
    """The patcher keeps a copy of the executable mappings and reads
    /proc/self/maps again only after the mappings changed: a site in a
    mapping made later is still patched, a page made writable stays
    writable after a site in it was patched, code mapped again at the
    address of a patched site runs as written, and a site in a shared
    mapping is never written (its file would change)."""
    n = 2000
    nat = native([prog("patch_sites"), "codemaps", n])
    assert nat.returncode == 0, nat.stderr
    r = run([prog("patch_sites"), "codemaps", n], coffer_args=["--log=info"], env=env(None))
    assert r.returncode == 0, r.stderr
    assert r.stdout == nat.stdout == f"ok codemaps {n}\n"
    trapped, fast, _, refused = stats(r)[:4]
    # three private sites patched after their first call; the shared one traps
    assert fast >= 3 * (n - 1) and trapped >= n and refused >= 1, (trapped, fast, refused)


def test_trap_path_passes_the_signal_and_regression_tests():
    """Everything else runs with patching on (the default); these suites run
    again with every call trapping."""
    here = os.path.dirname(__file__)
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        os.path.join(here, "test_signals.py"), os.path.join(here, "test_regressions.py")],
                       capture_output=True, text=True, timeout=900, env=env("0"), cwd=here)
    assert r.returncode == 0, r.stdout[-3000:]
    assert re.search(r"\d+ passed", r.stdout)


def test_vector_registers_survive_hashing_trusted_files(prog, key, tmp_path):
    """In a signed enclave the first open of a trusted file hashes it (with
    SHA-NI where the CPU has it, which uses XMM registers); through a
    patched site no signal frame saved the application's registers."""
    data = tmp_path / "data"
    data.mkdir()
    names = []
    for i in range(6):
        f = data / f"f{i}"
        f.write_bytes(os.urandom(200000 + i))
        names.append(f"data/f{i}")
    yaml = tmp_path / "app.yaml"
    r = cli("manifest", "record", "-o", yaml, "--", prog("patch_sites"), "open", *names, cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    # files only read are trusted: hashed at their first open
    assert re.search(rf"^  - path: {re.escape(str(tmp_path))}\b.*\n    type: trusted$", yaml.read_text(), re.M)
    r = cli("sign", "--key", key, yaml)
    assert r.returncode == 0, r.stderr
    r = cli("run", "--log=info", yaml.with_suffix(".coffer"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ok open 6\n"
    assert stats(r)[1] >= 5  # the later opens came through the patched site
