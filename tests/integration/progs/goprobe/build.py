"""Build goprobe (main.go beside this file) with Debian's Go, for the
integration tests (test_go.py) and bench/run.py. Standard library only.

build(cgo) returns the path of a binary built from the current source:
CGO_ENABLED=0 gives a static program that makes every system call itself,
CGO_ENABLED=1 one linked with libc (dynamically, through ld.so). Binaries
are cached in a directory under the system's temporary directory, named by
a hash of the source and of `go version`, so they are built once per change;
Go's own build cache and GOPATH are temporary directories there too. No
network: the program uses the standard library only.
"""
import hashlib
import os
import pathlib
import shutil
import subprocess
import tempfile

SOURCE = pathlib.Path(__file__).resolve().parent / "main.go"
GO = shutil.which("go") or "/usr/bin/go"


def build(cgo: bool) -> pathlib.Path:
    version = subprocess.run([GO, "version"], capture_output=True, text=True, check=True).stdout
    digest = hashlib.sha256(SOURCE.read_bytes() + version.encode()).hexdigest()[:16]
    root = pathlib.Path(tempfile.gettempdir()) / f"coffer-goprobe-{os.getuid()}"
    out = root / digest / ("goprobe-cgo" if cgo else "goprobe-static")
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root),
           "GOCACHE": str(root / "gocache"), "GOPATH": str(root / "gopath"),
           "GOFLAGS": "-mod=mod", "GO111MODULE": "off", "GOPROXY": "off",
           "CGO_ENABLED": "1" if cgo else "0"}
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    r = subprocess.run([GO, "build", "-o", str(tmp), str(SOURCE)], capture_output=True, text=True,
                       env=env, timeout=900)
    if r.returncode != 0:
        raise RuntimeError(f"go build of {SOURCE} failed:\n{r.stderr}")
    os.replace(tmp, out)  # whole, even with two builds at once
    return out
