#!/usr/bin/env python3
"""The runtime makes no raw host system call (docs/platforms.md, "The
boundary: the runtime's own host calls").

Everything the runtime asks of the host goes through the typed functions of
platform/platform.h; only the platform's own code may execute `syscall`. On
sgx a `syscall` inside the enclave faults, so one that slipped into runtime/
would break there although direct runs it fine. Checked on what was built:

  - no object of runtime/ (nor common/) in the enclave image contains a
    system call instruction (syscall, sysenter, int $0x80);
  - none of them refers to the direct platform's private symbols (direct_*)
    or to a raw call entry (plat_call), so the only way out is platform.h;
  - platform.h declares no raw call entry.

usage: check_host_calls.py OBJDUMP NM BUILD_DIR SOURCE_DIR
"""
import glob
import os
import re
import subprocess
import sys

TRAPS = re.compile(r"\t(syscall|sysenter|int\s+\$0x80)\b")
PRIVATE = re.compile(r"^(direct_\w+|plat_call)$")


def main():
    objdump, nm, build, src = sys.argv[1:5]
    objs = []
    for d in glob.glob(os.path.join(build, "*.p")):
        if os.path.basename(d).startswith(("coffer-enclave", "libsha256_ni", "libcoffer_attest")):
            objs += [o for o in glob.glob(os.path.join(d, "*.o"))
                     if os.path.basename(o).startswith(("runtime_", "common_"))]
    problems = []
    if len(objs) < 30:
        problems.append(f"found only {len(objs)} runtime objects under {build}: "
                        "build coffer-enclave first")
    for o in sorted(objs):
        name = os.path.basename(o)
        dis = subprocess.run([objdump, "-d", "--no-show-raw-insn", o], check=True,
                             capture_output=True, text=True).stdout
        fn = "?"
        for line in dis.splitlines():
            m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
            if m:
                fn = m.group(1)
            elif TRAPS.search(line):
                problems.append(f"{name}: {fn}: a system call instruction: {line.strip()}")
        und = subprocess.run([nm, "-u", o], check=True, capture_output=True, text=True).stdout
        for line in und.splitlines():
            sym = line.split()[-1]
            if PRIVATE.match(sym):
                problems.append(f"{name}: refers to {sym}, which is not in platform.h")
    with open(os.path.join(src, "platform", "platform.h")) as f:
        if re.search(r"\bplat_call\s*\(", f.read()):
            problems.append("platform/platform.h declares plat_call (a raw host call)")
    for p in problems:
        print(p)
    print(f"{len(objs)} runtime objects checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
