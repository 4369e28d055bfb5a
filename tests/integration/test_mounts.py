"""How many mounts a manifest may have, and trusted mounts that list their
files (docs/manifest.md, "Mounts" and "Rules")."""
import shutil
import struct

import pytest

from conftest import PROGS, cli, probe_manifest

LIMIT = 1024  # MAN_MAX_MOUNTS, common/manifest.h
BUNDLE_HEADER = 32
MOUNTS, FILES = 6, 7


def tmpfs_mounts(n):
    return "".join(f"  - path: /m/x{i:04}\n    type: tmpfs\n" for i in range(n))


def bundle_with(tmp_path, key, extra):
    """Sign shmprobe at /app with /data and /tmp (three mounts) and `extra`."""
    (tmp_path / "app").mkdir()
    (tmp_path / "data").mkdir()
    shutil.copy(PROGS / "shmprobe", tmp_path / "app" / "shmprobe")
    yaml = tmp_path / "app.yaml"
    yaml.write_text(probe_manifest("shmprobe", tmp_path / "app", tmp_path / "data", mounts=extra))
    out = tmp_path / "app.coffer"
    return yaml, out, cli("sign", "--key", key, "-o", out, yaml)


def test_as_many_mounts_as_the_limit_run(tmp_path, key):
    """The runtime's table grows: a manifest at the limit boots."""
    n = LIMIT - 3
    yaml, out, r = bundle_with(tmp_path, key, tmpfs_mounts(n))
    assert r.returncode == 0, r.stderr
    r = cli("run", out, "--", "ls", "/m")
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.split()) == sorted([".", ".."] + [f"x{i:04}" for i in range(n)])


def test_more_mounts_than_the_limit_are_refused_by_sign(tmp_path, key):
    yaml, out, r = bundle_with(tmp_path, key, tmpfs_mounts(LIMIT - 2))
    assert r.returncode == 3
    assert not out.exists()
    assert r.stderr == (f"{yaml}:7:3: mounts has {LIMIT + 1} entries: more than {LIMIT} mounts, the most a "
                        "manifest may have (MAN_MAX_MOUNTS); trust whole directories, or the files of one "
                        "directory with a single mount (files:)\n")


def test_more_mounts_than_the_limit_are_refused_by_measure_and_run(tmp_path, key):
    """A bundle whose manifest has one mount too many (made by hand: sign
    refuses it) is refused by the shared check, before its signature."""
    yaml, out, r = bundle_with(tmp_path, key, tmpfs_mounts(LIMIT - 3))
    assert r.returncode == 0, r.stderr
    b = bytearray(out.read_bytes())
    moff, mlen, soff, slen = struct.unpack_from("<4I", b, 12)
    man = bytearray(b[moff:moff + mlen])
    nsec = struct.unpack_from("<I", man, 16)[0]
    table = {}
    for i in range(nsec):
        t, off, size, count = struct.unpack_from("<4I", man, 24 + 16 * i)
        table[t] = (i, off, size, count)
    i, off, size, count = table[MOUNTS]
    assert count == LIMIT
    end = off + size
    man[end:end] = man[end - 16:end]  # the last mount again
    struct.pack_into("<4I", man, 24 + 16 * i, MOUNTS, off, size + 16, count + 1)
    for t, (j, o, sz, c) in table.items():
        if o >= end:
            struct.pack_into("<4I", man, 24 + 16 * j, t, o + 16, sz, c)
    struct.pack_into("<I", man, 12, len(man))
    sig = b[soff:soff + slen]
    bad = tmp_path / "bad.coffer"
    bad.write_bytes(bytes(b[:12]) + struct.pack("<4I", moff, len(man), moff + len(man), slen) + bytes(b[28:moff])
                    + bytes(man) + sig)
    m = cli("measure", bad)
    assert m.returncode == 1
    reason = f"more than {LIMIT} mounts, the most a manifest may have (MAN_MAX_MOUNTS)"
    assert f"manifest:  INVALID: {reason} (byte {off})" in m.stdout, m.stdout
    r = cli("run", bad)
    assert r.returncode == 125
    assert reason in r.stderr, r.stderr


@pytest.fixture
def listed_app(tmp_path, key):
    app = tmp_path / "app"
    (app / "sub").mkdir(parents=True)
    shutil.copy(PROGS / "shmprobe", app / "shmprobe")
    for rel in ("a", "b", "sub/c", "sub/d"):
        (app / rel).write_text(f"{rel}\n")
    yaml = tmp_path / "app.yaml"
    yaml.write_text(f"""\
entrypoint: /app/shmprobe
argv: [shmprobe]
host_args: append
mounts:
  - path: /app
    type: trusted
    source: {app}
    files: [shmprobe, a, sub/c]
""")
    out = tmp_path / "app.coffer"
    r = cli("sign", "--key", key, "-o", out, yaml)
    assert r.returncode == 0, r.stderr
    return app, out, r


def test_a_mount_that_lists_its_files(listed_app):
    """Only the listed files are signed and exist inside; the directories on
    the way list only them."""
    app, out, r = listed_app
    assert r.stdout.startswith(f"signed {out} (3 trusted files)\n")
    assert cli("run", out, "--", "cat", "/app/sub/c").stdout == "sub/c\n"
    assert sorted(cli("run", out, "--", "ls", "/app").stdout.split()) == [".", "..", "a", "shmprobe", "sub"]
    assert sorted(cli("run", out, "--", "ls", "/app/sub").stdout.split()) == [".", "..", "c"]
    r = cli("run", out, "--", "cat", "/app/b")
    assert r.returncode == 1 and r.stdout == ""
    # a listed file is as trusted as any: changed on the host, it fails
    (app / "a").write_text("A\n")
    r = cli("run", out, "--", "cat", "/app/a")
    assert r.stdout == "" and "trusted file /app/a does not match the manifest" in r.stderr, r.stderr


def test_a_listed_path_through_a_host_symlink_is_refused(tmp_path, key):
    app = tmp_path / "app"
    (app / "real").mkdir(parents=True)
    (app / "real" / "x").write_text("x\n")
    (app / "link").symlink_to("real")
    shutil.copy(PROGS / "shmprobe", app / "shmprobe")
    yaml = tmp_path / "app.yaml"
    yaml.write_text(f"entrypoint: /app/shmprobe\nmounts:\n  - path: /app\n    type: trusted\n    source: {app}\n"
                    "    files: [shmprobe, link/x]\n")
    r = cli("sign", "--key", key, "-o", tmp_path / "o.coffer", yaml)
    assert r.returncode == 1
    assert r.stderr == (f"coffer: trusted file {app}/link/x: {app}/link: a symbolic link on the way (list the link "
                        "and what it points to instead)\n")
