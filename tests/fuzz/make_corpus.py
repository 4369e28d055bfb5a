#!/usr/bin/env python3
"""make_corpus.py - regenerate the seed corpora in tests/fuzz/corpus/.

    tests/fuzz/make_corpus.py [build/coffer] [tests/fuzz/corpus]

Signs three small YAML manifests with `coffer sign` (a throw-away key from
`coffer keygen`, trusted mounts of a few files in a temporary directory),
takes the binary manifests and SIGSTRUCTs out of the bundles, and writes them
with a few truncated or altered variants, each meant to get a little further
into the parser before it is refused. SGXS seeds are built here by hand.

The output is not byte-for-byte reproducible (the key is new each time and
the mount sources are temporary paths); the committed corpus is what the
fuzzers start from, and this script is how it was made. Run it from the
repository root after `ninja -C build`; it replaces the corpus directories.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

MAN_HEADER, MAN_SECTION = 24, 16
STRINGS, CONFIG, ARGV, ENV, ENV_HOST, MOUNTS, FILES = range(1, 8)
SIGSTRUCT_SIZE = 1808


def u32(b, off):
    return struct.unpack_from("<I", b, off)[0]


def put32(b, off, v):
    struct.pack_into("<I", b, off, v)


def sections(man):
    """type -> (offset, size, count), from the section table."""
    out = {}
    for i in range(u32(man, 16)):
        t, off, size, count = struct.unpack_from("<4I", man, MAN_HEADER + MAN_SECTION * i)
        out[t] = (off, size, count)
    return out


def split_bundle(b):
    moff, mlen, soff, slen = struct.unpack_from("<4I", b, 12)
    assert slen == SIGSTRUCT_SIZE and soff + slen == len(b)
    return b[moff:moff + mlen], b[soff:soff + slen]


MANIFESTS = {
    # one trusted mount: directories, regular files, a symlink
    "m1": """\
entrypoint: /app/bin/hello
mounts:
  - path: /app
    type: trusted
    source: {w}/app
""",
    # every section and every mount type
    "m2": """\
version: 1
entrypoint: /app/bin/hello
argv: [hello, --flag, "two words", ""]
host_args: append
env:
  PATH: /app/bin:/usr/bin
  LANG: C.UTF-8
  EMPTY: ""
host_env: [HOME, TERM]
cwd: /data
mounts:
  - path: /app
    type: trusted
    source: {w}/app
  - path: /data
    type: trusted
    source: {w}/data
  - path: /tmp
    type: tmpfs
  - path: /host
    type: passthrough
    source: /tmp
    readonly: true
  - path: /dev
    type: passthrough
enclave:
  size: 1G
  threads: 8
  debug: true
  isvprodid: 7
  isvsvn: 3
""",
    # a trusted mount at "/": the root directory is itself a file entry
    "m3": """\
entrypoint: /bin/hello
argv: [x]
mounts:
  - path: /
    type: trusted
    source: {w}/app
enclave:
  size: 1M
  threads: 1
""",
}


def make_tree(w):
    for d in ("app/bin", "app/lib/sub", "app/lib-x", "data"):
        os.makedirs(os.path.join(w, d))
    with open(os.path.join(w, "app/bin/hello"), "w") as f:
        f.write("#!/bin/sh\necho hi\n")
    os.chmod(os.path.join(w, "app/bin/hello"), 0o755)
    for name, text in (("app/lib/a.txt", "x"), ("app/lib/sub/b.txt", "hello world\n"),
                       ("app/lib-x/c", ""), ("data/conf", "cfg=1\n")):
        with open(os.path.join(w, name), "w") as f:
            f.write(text)
    os.symlink("../lib/a.txt", os.path.join(w, "app/bin/link"))


def sign(coffer, w, name, text):
    yaml = os.path.join(w, name + ".yaml")
    out = os.path.join(w, name + ".coffer")
    with open(yaml, "w") as f:
        f.write(text.format(w=w))
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    subprocess.run([coffer, "sign", "--key", os.path.join(w, "k.pem"), "-o", out, yaml],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    with open(out, "rb") as f:
        return f.read()


def manifest_variants(man):
    """name -> bytes: each refused by a different check of man_open."""
    out = {}
    sec = sections(man)

    # the header alone, claiming a section table it does not have
    out["header-only"] = b"COFFMANI" + struct.pack("<4I", 1, MAN_HEADER, 7, 0)

    cut = bytearray(man[:len(man) // 2])  # sections run past the end
    put32(cut, 12, len(cut))
    out["truncated-half"] = bytes(cut)

    b = bytearray(man)  # STRINGS no longer ends with a NUL
    off, size, _ = sec[STRINGS]
    b[off + size - 1] = ord("x")
    out["strings-unterminated"] = bytes(b)

    b = bytearray(man)  # first two trusted files swapped: not sorted
    off, size, count = sec[FILES]
    e = size // count  # the entry size: whatever this coffer writes
    b[off:off + 2 * e] = man[off + e:off + 2 * e] + man[off:off + e]
    out["files-unsorted"] = bytes(b)

    b = bytearray(man)  # the second mount at the first one's path: overlap
    off, _, _ = sec[MOUNTS]
    put32(b, off + 16 + 4, u32(man, off + 4))
    out["mounts-overlap"] = bytes(b)

    b = bytearray(man)  # the first mount at the entrypoint, the second at the
    put32(b, off + 4, u32(man, sec[CONFIG][0]))  # first one's old path: a
    put32(b, off + 16 + 4, u32(man, off + 4))  # later mount above an earlier one
    out["mounts-nested"] = bytes(b)

    b = bytearray(man)  # first mount passthrough: files outside every trusted mount
    put32(b, off, 2)
    out["files-untrusted"] = bytes(b)

    b = bytearray(man)  # an environment entry without '='
    off, _, _ = sec[ENV]
    s = u32(man, off) + sec[STRINGS][0]
    eq = man.index(b"=", s)
    b[eq] = ord("_")
    out["env-no-equals"] = bytes(b)
    return out


def sgxs(ssa=1, size=0x10000, records=()):
    """An SGXS stream: ECREATE then (tag, offset, secinfo flags or data)."""
    s = b"ECREATE\0" + struct.pack("<IQ", ssa, size) + bytes(44)
    for tag, offset, arg in records:
        if tag == "EADD":
            s += b"EADD\0\0\0\0" + struct.pack("<QQ", offset, arg) + bytes(40)
        else:
            s += b"EEXTEND\0" + struct.pack("<Q", offset) + bytes(48) + arg
    return s


def sigstruct_variants(ss):
    out = {"valid": ss}
    b = bytearray(ss)
    put32(b, 16, 0x8086)  # VENDOR Intel: still parses
    out["vendor-intel"] = bytes(b)
    b = bytearray(ss)
    put32(b, 512, 65537)
    out["exponent-65537"] = bytes(b)
    b = bytearray(ss)
    b[1030] = 1  # reserved after ISVSVN
    out["reserved-nonzero"] = bytes(b)
    b = bytearray(ss)
    b[24] ^= 0x80
    out["header2-altered"] = bytes(b)
    out["truncated"] = ss[:-1]
    return out


def main():
    coffer = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/coffer")
    corpus = sys.argv[2] if len(sys.argv) > 2 else "tests/fuzz/corpus"
    mdir, sdir = os.path.join(corpus, "manifest"), os.path.join(corpus, "sigstruct")
    for d in (mdir, sdir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)

    def write(d, name, data):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)

    with tempfile.TemporaryDirectory(prefix="coffer-corpus.") as w:
        make_tree(w)
        subprocess.run([coffer, "keygen", "-o", os.path.join(w, "k.pem")], check=True,
                       stdout=subprocess.DEVNULL)
        bundles = {name: sign(coffer, w, name, text) for name, text in MANIFESTS.items()}

    for name, b in bundles.items():
        man, ss = split_bundle(b)
        write(mdir, name + ".man", man)
    write(mdir, "m2.coffer", bundles["m2"])
    write(mdir, "m3.coffer", bundles["m3"])
    write(mdir, "m2-truncated.coffer", bundles["m2"][:-100])
    for vname, data in manifest_variants(split_bundle(bundles["m2"])[0]).items():
        write(mdir, "m2-" + vname + ".man", data)

    ss = split_bundle(bundles["m2"])[1]
    for vname, data in sigstruct_variants(ss).items():
        write(sdir, "m2-" + vname + ".sigstruct", data)

    page = bytes(range(256))
    write(sdir, "tiny.sgxs", sgxs(records=[
        ("EADD", 0, 0x203), ("EEXTEND", 0, page), ("EEXTEND", 256, bytes(256)),
        ("EADD", 0x1000, 0x100), ("EEXTEND", 0x1000, page)]))
    write(sdir, "offset-out-of-range.sgxs", sgxs(size=0x2000, records=[("EADD", 0x2000, 0x203)]))
    write(sdir, "ecreate-only.sgxs", sgxs())
    write(sdir, "extend-truncated.sgxs", sgxs(records=[("EADD", 0, 0x203), ("EEXTEND", 0, page)])[:-1])


if __name__ == "__main__":
    main()
