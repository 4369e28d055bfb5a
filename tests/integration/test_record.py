"""`coffer manifest record`: a manifest written from a development run, then
signed and run (docs/manifest.md, "Recording a manifest").

The main test is the Python application of issue 3's acceptance: it
imports json, sqlite3, http.server and ssl; recorded, signed and run as a
bundle it must print what it prints natively.
"""
import os
import re
import shutil
import subprocess

import pytest

from conftest import cli, run_env

PYTHON = "/usr/bin/python3"
ENV = run_env({"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})

APP = '''\
import json, sqlite3, ssl, sys, threading, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

db = sqlite3.connect(sys.argv[1])
db.execute("create table if not exists t (k text primary key, v integer)")
db.execute("insert or replace into t values ('answer', 42)")
db.commit()
print("sqlite", db.execute("select v from t where k = 'answer'").fetchone()[0], sqlite3.sqlite_version_info >= (3,))
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/hello?x=1") as r:
    print("http", r.status, r.headers["Content-Type"], json.loads(r.read()))
server.shutdown()
ctx = ssl.create_default_context()
print("ssl", ctx.verify_mode == ssl.CERT_REQUIRED, ctx.check_hostname, len(ctx.get_ca_certs()) >= 0,
      ssl.OPENSSL_VERSION)
print("json", json.dumps({"b": [1, 2.5, None], "a": "\\u00e9"}, sort_keys=True))
'''




def record(yaml, *cmd, cwd, env=ENV):
    r = cli("manifest", "record", "-o", yaml, "--", *cmd, cwd=cwd, env=env)
    return r


def mounts(yaml):
    """{path: type} of the recorded manifest (our own writer's layout)."""
    text = yaml.read_text()
    return dict(re.findall(r"^  - path: (\S+).*\n    type: (\S+)$", text, re.M))


def listed(yaml):
    """{path: [files]} of the recorded trusted mounts that list their files."""
    text = yaml.read_text()
    out = {}
    pattern = r"^  - path: (\S+).*\n    type: trusted\n    files:\n((?:      - .*\n)+)"
    for path, block in re.findall(pattern, text, re.M):
        out[path] = re.findall(r"^      - (.*)$", block, re.M)
    return out


def trusted(yaml):
    """Every host path the recorded manifest trusts by name: trusted mounts
    without files:, and each file a listing mount names."""
    lists = listed(yaml)
    paths = {p for p, t in mounts(yaml).items() if t == "trusted" and p not in lists}
    return paths | {f"{d}/{f}" for d, fs in lists.items() for f in fs}


def sign(key, yaml):
    r = cli("sign", "--key", key, yaml)
    assert r.returncode == 0, r.stderr
    return yaml.with_suffix(".coffer")


@pytest.fixture(scope="module")
def python_app(tmp_path_factory, key):
    """The app recorded once for the module: (base, native output, yaml)."""
    base = tmp_path_factory.mktemp("pyapp")
    (base / "app").mkdir()
    (base / "data").mkdir()
    (base / "app" / "app.py").write_text(APP)
    db = str(base / "data" / "db.sqlite")
    nat = subprocess.run([PYTHON, "app.py", db], cwd=base / "app", env=ENV, capture_output=True, text=True,
                         timeout=120)
    assert nat.returncode == 0, nat.stderr
    yaml = base / "app.yaml"
    r = record(yaml, PYTHON, "app.py", db, cwd=base / "app")
    assert r.returncode == 0, r.stderr
    assert r.stdout == nat.stdout  # the recording run is a development run
    return base, nat.stdout, yaml


def test_recorded_python_app_runs_as_natively(python_app, key):
    base, native_out, yaml = python_app
    m = mounts(yaml)
    # the interpreter through its symlink, the standard library as one mount,
    # the libraries listed in one mount with their symlinks, the data to choose
    t = trusted(yaml)
    assert PYTHON in t and os.path.realpath(PYTHON) in t
    assert m["/usr/lib/python3.11"] == "trusted" and "/usr/lib/python3.11" not in listed(yaml)
    libs = listed(yaml)["/usr/lib/x86_64-linux-gnu"]
    assert "libc.so.6" in libs and any(re.fullmatch(r"libsqlite3\.so\.[0-9.]+", f) for f in libs)
    assert m["/lib64"] == "trusted" and m["/lib"] == "trusted"
    assert m[str(base / "data")] == "passthrough"
    assert "/etc/shadow" not in yaml.read_text()
    assert not any(p.startswith(("/proc", "/dev", "/sys")) for p in m)
    text = yaml.read_text()
    assert "# CHOOSE: the program wrote in the directories below." in text
    assert f"cwd: {base / 'app'}\n" in text
    assert "argv:\n  - /usr/bin/python3\n  - app.py\n" in text
    assert "env:\n  PATH: /usr/bin:/bin\n  LANG: C.UTF-8\n" in text

    bundle = sign(key, yaml)
    r = cli("run", bundle, cwd=base)
    assert r.returncode == 0, r.stderr
    assert r.stdout == native_out
    assert r.stderr.startswith("coffer: simulated SGX on the direct platform: identity checked")
    assert len(r.stderr.splitlines()) == 1, r.stderr


def test_recorded_app_with_a_tampered_library(python_app, key, tmp_path):
    """Mount the listed libraries from a copy; a changed byte in the sqlite
    library stops the import, and the error names the file."""
    base, native_out, yaml = python_app
    text = yaml.read_text()
    libdir = "/usr/lib/x86_64-linux-gnu"
    copy = tmp_path / "libs"
    for f in listed(yaml)[libdir]:
        (copy / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f"{libdir}/{f}", copy / f, follow_symlinks=False)
    lib = next(f"{libdir}/{f}" for f in listed(yaml)[libdir] if re.fullmatch(r"libsqlite3\.so\.[0-9.]+", f)
               and not os.path.islink(f"{libdir}/{f}"))
    head = re.search(rf"^  - path: {re.escape(libdir)}.*\n    type: trusted\n", text, re.M).group(0)
    text = text.replace(head, f"{head}    source: {copy}\n")
    mine = tmp_path / "app.yaml"
    mine.write_text(text)
    bundle = sign(key, mine)
    assert cli("run", bundle).stdout == native_out

    target = copy / os.path.basename(lib)
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 3] ^= 0x10
    target.write_bytes(raw)
    r = cli("run", bundle)
    assert r.returncode != 0
    assert "sqlite 42" not in r.stdout
    assert f"trusted file {lib} does not match the manifest" in r.stderr, r.stderr
    assert "ImportError" in r.stderr


def test_symlinks_and_several_processes(key, tmp_path):
    """sh is reached through /bin -> usr/bin and sh -> dash; it runs cat and
    rm, so the /tmp it writes in is passthrough (each process has its own
    tmpfs); the signed bundle runs the same."""
    name = f"coffer-record-{os.getpid()}-{tmp_path.name}"
    script = f"echo made > /tmp/{name}; cat /tmp/{name}; rm /tmp/{name}; echo done"
    yaml = tmp_path / "sh.yaml"
    r = record(yaml, "/bin/sh", "-c", script, cwd="/")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "made\ndone\n"
    m = mounts(yaml)
    t = trusted(yaml)
    assert m["/bin"] == "trusted"  # the symlink itself
    chain = [p for p in ("/usr/bin/sh", os.path.realpath("/bin/sh")) if p in t]
    assert len(chain) == 2, t
    assert "/usr/bin/cat" in t and "/usr/bin/rm" in t
    # a collection: never trusted whole, one mount listing what was used
    assert "ls" not in listed(yaml)["/usr/bin"] and "cat" in listed(yaml)["/usr/bin"]
    assert m["/tmp"] == "passthrough"
    assert re.search(r"- path: /tmp   # not tmpfs: it ran [3-9] processes, and each has its own tmpfs\n",
                     yaml.read_text())

    bundle = sign(key, yaml)
    r = cli("run", bundle)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "made\ndone\n"
    assert not os.path.exists(f"/tmp/{name}")


def test_scratch_space_of_one_process_is_tmpfs(key, tmp_path):
    name = f"/tmp/coffer-record-{os.getpid()}-{tmp_path.name}"
    code = f"import os; open({name!r}, 'w').write('made'); print(open({name!r}).read()); os.remove({name!r})"
    yaml = tmp_path / "py.yaml"
    r = record(yaml, PYTHON, "-c", code, cwd="/")
    assert r.returncode == 0, r.stderr
    assert mounts(yaml)["/tmp"] == "tmpfs"
    bundle = sign(key, yaml)
    open(name, "w").write("the host's")  # the enclave's /tmp is not this one
    try:
        r = cli("run", bundle)
        assert r.returncode == 0, r.stderr
        assert r.stdout == "made\n"
        assert open(name).read() == "the host's"
    finally:
        os.remove(name)


def test_grouping_by_directory(key, tmp_path):
    """A small public directory is trusted whole; the files used of one that
    cannot be (a private file in it) are listed in one mount of it, however
    many there are; a lone file is a mount of its own."""
    tree = tmp_path / "tree"
    (tree / "public").mkdir(parents=True)
    (tree / "private").mkdir()
    for f in ("a", "b", "unused"):
        (tree / "public" / f).write_text(f"public/{f}\n")
        (tree / "public" / f).chmod(0o644)
    many = [f"f{i:02}" for i in range(40)]
    for f in many + ["unused"]:
        (tree / "private" / f).write_text(f"private/{f}\n")
        (tree / "private" / f).chmod(0o644)
    (tree / "private" / "unused").chmod(0o600)  # never trusted without being used
    (tree / "single").mkdir()
    (tree / "single" / "one").write_text("one\n")
    files = [tree / "public" / "a", tree / "public" / "b"] + [tree / "private" / f for f in many] + \
        [tree / "single" / "one"]
    yaml = tmp_path / "cat.yaml"
    r = record(yaml, "/usr/bin/cat", *files, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    m = mounts(yaml)
    assert m[str(tree / "public")] == "trusted"  # two used, all readable: one mount
    assert str(tree / "public") not in listed(yaml)
    assert m[str(tree / "private")] == "trusted"  # one mount, not 40
    assert listed(yaml)[str(tree / "private")] == many
    assert not any(p.startswith(f"{tree / 'private'}/") for p in m)
    assert m[str(tree / "single" / "one")] == "trusted" and str(tree / "single") not in m
    text = yaml.read_text()
    assert re.search(rf"- path: {re.escape(str(tree / 'public'))}   # 3 entries, 32 bytes; used: 2\n", text)
    assert f"- path: {tree / 'private'}   # only the 40 entries listed\n" in text
    bundle = sign(key, yaml)
    r = cli("run", bundle)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "public/a\npublic/b\n" + "".join(f"private/{f}\n" for f in many) + "one\n"
    # the unused private file is neither signed nor visible
    r = cli("run", bundle, "--", str(tree / "private" / "unused"))
    assert r.returncode == 2  # host_args: none


def test_written_directory_is_passthrough_to_choose(key, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old\n")
    yaml = tmp_path / "w.yaml"
    r = record(yaml, "/bin/sh", "-c", f"cat {out}/old.txt > {out}/new.txt", cwd="/")
    assert r.returncode == 0, r.stderr
    text = yaml.read_text()
    assert re.search(rf"- path: {re.escape(str(out))}   # it used 1 file here that was there before it ran\n"
                     r"    type: passthrough\n", text), text
    assert "# CHOOSE" in text
    assert "1 to choose" in r.stderr
    (out / "new.txt").unlink()
    bundle = sign(key, yaml)
    r = cli("run", bundle)
    assert r.returncode == 0, r.stderr
    assert (out / "new.txt").read_text() == "old\n"


def test_an_existing_manifest_is_kept_without_force(tmp_path):
    yaml = tmp_path / "mine.yaml"
    yaml.write_text("# edited by hand\n")
    r = record(yaml, "/bin/sh", "-c", "echo ran", cwd="/")
    assert r.returncode == 1
    assert r.stderr == f"coffer: {yaml} exists; give --force to replace it\n"
    assert r.stdout == ""  # refused before the program ran
    assert yaml.read_text() == "# edited by hand\n"
    r = cli("manifest", "record", "--force", "-o", yaml, "--", "/bin/true", cwd="/", env=ENV)
    assert r.returncode == 0, r.stderr
    assert yaml.read_text().startswith("# Recorded by `coffer manifest record`")


def test_program_status_and_warning(tmp_path):
    yaml = tmp_path / "s.yaml"
    r = record(yaml, "/bin/sh", "-c", "exit 3", cwd="/")
    assert r.returncode == 3
    assert "coffer: warning: /bin/sh exited with status 3; the manifest has what it used until then" in r.stderr
    assert yaml.exists()


def test_values_that_need_quoting(key, tmp_path):
    env = dict(ENV, ODD='say "hi": #1', NUM="1", YES="yes", EMPTY="", TERM="xterm")
    yaml = tmp_path / "q.yaml"
    r = record(yaml, "/bin/sh", "-c", 'printf "%s|%s|%s|%s|%s\\n" "$ODD" "$NUM" "$YES" "$EMPTY" "$1"', "x: -y",
               cwd="/", env=env)
    assert r.returncode == 0, r.stderr
    text = yaml.read_text()
    assert 'ODD: "say \\"hi\\": #1"' in text and 'NUM: "1"' in text and '"YES": "yes"' in text
    assert "host_env: [TERM]" in text and "TERM:" not in text
    bundle = sign(key, yaml)
    r = cli("run", bundle, env={"TERM": "dumb"})
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'say "hi": #1|1|yes||\n'


@pytest.mark.parametrize("args, status, message", [
    (["record", "--", "/bin/true"], 2, "-o FILE is required"),
    (["record", "-o", "x.yaml"], 2, "no program given"),
    (["record", "-o", "x.yaml", "--", "no-such-program-here"], 127, "command not found"),
    (["record", "-o", "x.yaml", "--", "./nothing"], 127, "./nothing: No such file or directory"),
    (["record", "-o", "/nonexistent/dir/x.yaml", "--", "/bin/true"], 1, "cannot write /nonexistent/dir/x.yaml"),
    # a development run, so never of what was meant as a bundle
    (["record", "-o", "x.yaml", "--", "./app.coffer"], 125,
     "coffer: ./app.coffer: not a signed bundle (no bundle header), and a .coffer file is never run as a program"),
    (["record", "-o", "x.yaml", "--", "/"], 126, "coffer: /: Is a directory"),
    (["frobnicate"], 2, "Usage: coffer manifest record"),
    ([], 2, "Usage: coffer manifest record"),
])
def test_usage_errors(tmp_path, args, status, message):
    (tmp_path / "app.coffer").write_text("#!/bin/sh\necho ran\n")
    (tmp_path / "app.coffer").chmod(0o755)
    r = cli("manifest", *args, cwd=tmp_path)
    assert r.returncode == status, r.stderr
    assert message in r.stderr


def test_help():
    r = cli("manifest", "record", "--help")
    assert r.returncode == 0 and r.stdout.startswith("Usage: coffer manifest record -o APP.yaml")
    assert cli("manifest", "--help").returncode == 0
    assert "manifest" in cli("--help").stdout


def test_unused_working_directory_is_an_empty_tmpfs(key, tmp_path):
    """The cwd must exist in the enclave; if the program used nothing in it,
    an empty tmpfs there keeps getcwd() the same without trusting its files."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "private.txt").write_text("not for the enclave\n")
    yaml = tmp_path / "pwd.yaml"
    r = record(yaml, "/bin/pwd", cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{cwd}\n"
    assert mounts(yaml)[str(cwd)] == "tmpfs"
    assert f"- path: {cwd}   # the working directory; the program used nothing in it\n" in yaml.read_text()
    assert "0 to choose" in r.stderr
    r = cli("run", sign(key, yaml))
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{cwd}\n"


def test_unused_working_directory_beside_listed_files(key, tmp_path):
    """Files used beside an unused working directory are not one mount that
    lists them (the working directory would not exist in it): each is a
    mount, and the working directory an empty tmpfs."""
    tree = tmp_path / "tree"
    (tree / "cwd").mkdir(parents=True)
    for f in ("a", "b"):
        (tree / f).write_text(f"{f}\n")
    (tree / "cwd" / "private.txt").write_text("not for the enclave\n")
    (tree / "cwd" / "private.txt").chmod(0o600)  # so tree is not trusted whole
    yaml = tmp_path / "cat.yaml"
    r = record(yaml, "/bin/sh", "-c", "cat ../a ../b; pwd", cwd=tree / "cwd")
    assert r.returncode == 0, r.stderr
    m = mounts(yaml)
    assert str(tree) not in m and m[str(tree / "a")] == "trusted" and m[str(tree / "b")] == "trusted"
    assert m[str(tree / "cwd")] == "tmpfs"
    r = cli("run", sign(key, yaml))
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"a\nb\n{tree / 'cwd'}\n"
