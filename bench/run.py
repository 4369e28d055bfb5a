#!/usr/bin/python3
"""Time programs natively and under coffer, and print coffer/native ratios.

    bench/run.py [--build DIR] [--repeat R] [--only NAME] [--calls N]

A benchmark, not a test: it reports and never passes or fails on timing.
It exits non-zero only when a case cannot run (a command fails natively or
under coffer, or the build is missing).

Each case is a command run twice per repeat, first natively and then as
`coffer run -- COMMAND` (or, for the signed cases, as `coffer run APP.coffer`
of a bundle recorded from COMMAND and signed first), wall-clock timed with time.perf_counter around
subprocess.run (output to /dev/null). Before timing, every command runs
once as a warm-up and must exit 0 both ways. For each case the table gives
the median native and coffer times and the ratio coffer/native of each
paired run as min / median / max over the repeats.

Cases are entries of CASES below; docs/performance.md says what each one
measures and records results. Standard library only.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Case:
    """One benchmark: a command timed natively and under coffer.

    argv(ctx) builds the command from the run's context (build directory,
    --calls, ...). env adds variables to both runs, coffer_env to the coffer
    run only (say COFFER_PATCH=0 for an unpatched-path variant). calls(ctx),
    when set, is how many system calls one run makes: the report then adds
    the cost per call, with process start-up measured by baseline_argv(ctx)
    (the same program doing no calls) and subtracted.
    """
    name: str
    what: str
    argv: Callable[["Context"], List[str]]
    env: Dict[str, str] = field(default_factory=dict)
    coffer_env: Dict[str, str] = field(default_factory=dict)
    calls: Optional[Callable[["Context"], int]] = None
    baseline_argv: Optional[Callable[["Context"], List[str]]] = None
    needs: List[str] = field(default_factory=list)  # files that must exist
    # a signed bundle: prepare(ctx) makes it and returns the coffer command
    # that runs it (instead of `coffer run -- ARGV`)
    prepare: Optional[Callable[["Context"], List[str]]] = None


@dataclass
class Context:
    build: str
    calls: int
    coffer: str = ""
    work: str = ""  # a temporary directory for bundles

    def __post_init__(self):
        self.coffer = os.path.join(self.build, "coffer")


# The environment of the signed cases, natively and in the manifest.
BUNDLE_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def signed_bundle(ctx: Context, name: str, argv: List[str]) -> List[str]:
    """Record argv with `coffer manifest record`, sign it with a throwaway
    key and return the command that runs the bundle: the strictest manifest
    for the program, only the files it uses."""
    base = os.path.join(ctx.work, name)
    cwd = os.path.join(base, "cwd")  # what the program sees as its cwd: empty
    os.makedirs(cwd)
    yaml, key = os.path.join(base, "app.yaml"), os.path.join(base, "signer.pem")
    for step in ([ctx.coffer, "manifest", "record", "-o", yaml, "--"] + argv,
                 [ctx.coffer, "keygen", "-o", key],
                 [ctx.coffer, "sign", "--key", key, yaml]):
        p = subprocess.run(step, cwd=cwd, env=BUNDLE_ENV, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
        if p.returncode != 0:
            raise BenchError(f"{name}: {' '.join(step[:3])} failed (exit status {p.returncode}):\n  "
                             + "\n  ".join(p.stderr.decode(errors="replace").strip().splitlines()[-5:]))
    return [ctx.coffer, "run", os.path.join(base, "app.coffer")]


def getppid_prog(ctx: Context) -> str:
    return os.path.join(ctx.build, "bench", "bench_getppid")


CASES = [
    Case(name="getppid",
         what="static program, N raw `syscall` getppid calls",
         argv=lambda ctx: [getppid_prog(ctx), str(ctx.calls)],
         calls=lambda ctx: ctx.calls,
         baseline_argv=lambda ctx: [getppid_prog(ctx), "0"],
         needs=["bench/bench_getppid"]),
    Case(name="python3-pass",
         what="Debian's python3 starting and exiting",
         argv=lambda ctx: ["/usr/bin/python3", "-c", "pass"],
         needs=["/usr/bin/python3"]),
    Case(name="python3-signed",
         what="the same from a signed bundle with a recorded (strict) manifest",
         argv=lambda ctx: ["/usr/bin/python3", "-c", "pass"],
         env=BUNDLE_ENV,
         prepare=lambda ctx: signed_bundle(ctx, "python3-signed", ["/usr/bin/python3", "-c", "pass"]),
         needs=["/usr/bin/python3"]),
]


class BenchError(Exception):
    pass


# ---- running ------------------------------------------------------------------


def under_coffer(ctx: Context, argv: List[str]) -> List[str]:
    return [ctx.coffer, "run", "--"] + argv


def environment(extra: Dict[str, str]) -> Dict[str, str]:
    if extra is BUNDLE_ENV:  # exactly what the manifest fixes, nothing more
        return dict(extra)
    env = dict(os.environ)
    env.update(extra)
    return env


def check(label: str, argv: List[str], env: Dict[str, str]) -> None:
    """Run argv once (the warm-up); it must exit 0."""
    try:
        p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=600)
    except OSError as e:
        raise BenchError(f"{label}: cannot run {argv[0]}: {e}")
    except subprocess.TimeoutExpired:
        raise BenchError(f"{label}: still running after 600 s: {' '.join(argv)}")
    if p.returncode != 0:
        tail = p.stderr.decode(errors="replace").strip().splitlines()[-5:]
        status = (f"killed by signal {-p.returncode}" if p.returncode < 0
                  else f"exit status {p.returncode}")
        msg = f"{label}: {status}: {' '.join(argv)}"
        if tail:
            msg += "\n  " + "\n  ".join(tail)
        raise BenchError(msg)


def timed(argv: List[str], env: Dict[str, str]) -> float:
    """Wall-clock seconds of one run (its exit status was checked at warm-up)."""
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t1 = time.perf_counter()
    if p.returncode != 0:
        raise BenchError(f"exit status {p.returncode} during timing: {' '.join(argv)}")
    return t1 - t0


@dataclass
class Pairs:
    native: List[float] = field(default_factory=list)
    coffer: List[float] = field(default_factory=list)

    def ratios(self) -> List[float]:
        return [c / n for n, c in zip(self.native, self.coffer)]


def measure(ctx: Context, case: Case, argv: List[str], repeat: int) -> Pairs:
    native_env = environment(case.env)
    coffer_env = environment(case.env if not case.coffer_env else {**case.env, **case.coffer_env})
    cargv = case.prepare(ctx) if case.prepare else under_coffer(ctx, argv)
    check(f"{case.name} (native)", argv, native_env)
    check(f"{case.name} (coffer)", cargv, coffer_env)
    pairs = Pairs()
    for _ in range(repeat):
        pairs.native.append(timed(argv, native_env))
        pairs.coffer.append(timed(cargv, coffer_env))
    return pairs


# ---- reporting ----------------------------------------------------------------


def machine() -> str:
    cpu, vm = "unknown CPU", False
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and cpu == "unknown CPU":
                    cpu = " ".join(value.split())
                elif key == "flags":
                    vm = vm or "hypervisor" in value.split()
    except OSError:
        pass
    cores = os.cpu_count() or 0
    try:
        load = "load average %.2f" % os.getloadavg()[0]
    except OSError:
        load = "load average unknown"
    return (f"{cpu}{' (virtual machine)' if vm else ''}, {cores} cores, "
            f"kernel {platform.release()}, {load}")


def revision() -> str:
    try:
        p = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True, timeout=10)
        rev = p.stdout.strip()
        if p.returncode == 0 and rev:
            d = subprocess.run(["git", "-C", HERE, "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
            return rev + ("+changes" if d.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        pass
    return "unknown"


def ms(s: float) -> str:
    return f"{s * 1000:.1f}"


def main() -> int:
    ap = argparse.ArgumentParser(
        description="Time each case natively and under coffer; print coffer/native ratios.",
        epilog="cases:\n" + "\n".join(f"  {c.name:<14} {c.what}" for c in CASES),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.environ.get("COFFER_BUILD",
                                                      os.path.join(HERE, "..", "build")),
                    help="Meson build directory (default $COFFER_BUILD or ../build "
                         "beside this script)")
    ap.add_argument("--repeat", type=int, default=7, metavar="R",
                    help="timed native+coffer pairs per case (default 7)")
    ap.add_argument("--only", metavar="NAME", choices=[c.name for c in CASES],
                    help="run one case: " + ", ".join(c.name for c in CASES))
    ap.add_argument("--calls", type=int, default=1000000, metavar="N",
                    help="system calls in the getppid case (default 1000000)")
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.calls < 1:
        ap.error("--calls must be at least 1")

    ctx = Context(build=os.path.abspath(args.build), calls=args.calls,
                  work=tempfile.mkdtemp(prefix="coffer-bench-"))
    cases = [c for c in CASES if args.only in (None, c.name)]

    try:
        for path in ["coffer"] + [n for c in cases for n in c.needs]:
            full = os.path.join(ctx.build, path)
            if not os.path.exists(full):
                raise BenchError(f"{full} not found: build first (ninja -C {ctx.build})"
                                 if not os.path.isabs(path) else f"{path} not found")

        print(f"machine: {machine()}")
        print(f"coffer:  {ctx.coffer} (revision {revision()}), "
              f"{args.repeat} runs per case, wall clock, medians")
        print()
        head = f"{'case':<14} {'native ms':>10} {'coffer ms':>10}   coffer/native min / median / max"
        print(head)
        print("-" * len(head))
        notes = []
        for case in cases:
            p = measure(ctx, case, case.argv(ctx), args.repeat)
            r = p.ratios()
            nat, cof = statistics.median(p.native), statistics.median(p.coffer)
            print(f"{case.name:<14} {ms(nat):>10} {ms(cof):>10}   "
                  f"{min(r):.2f} / {statistics.median(r):.2f} / {max(r):.2f}",
                  flush=True)
            if case.calls:
                n = case.calls(ctx)
                b = measure(ctx, case, case.baseline_argv(ctx), args.repeat)
                bnat, bcof = statistics.median(b.native), statistics.median(b.coffer)
                per_nat = (nat - bnat) / n * 1e9
                per_cof = (cof - bcof) / n * 1e9
                notes.append(
                    f"{case.name}: {n} calls; per call native {per_nat:.0f} ns, "
                    f"coffer {per_cof:.0f} ns, overhead {per_cof - per_nat:.0f} ns "
                    f"(start-up subtracted: the same program with 0 calls takes "
                    f"{ms(bnat)} ms native, {ms(bcof)} ms under coffer)")
        print()
        for line in notes:
            print(line)
    except BenchError as e:
        sys.stdout.flush()
        print(f"bench: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        shutil.rmtree(ctx.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
