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

from conftest import COFFER, LIBC, LOADER, PROGS, cli, libc_entries, run, trusted_mounts

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
    def __init__(self, base, key, extra=""):
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
        seen = libc_entries()
        libs = trusted_mounts(seen)
        self.mounts = ["/app", "/etc", "/data", "/tmp"] + seen
        (base / "app.yaml").write_text(MANIFEST.format(base=base, libs=libs + extra))
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


# ---- ways out ------------------------------------------------------------------------------


def test_root_cwd_and_task_links_stay_inside(bundle):
    out = str(bundle.outside)
    ways_out = [f"/proc/self/root{out}", f"/proc/thread-self/root{out}", f"/proc/{{pid}}/root{out}",
                f"/proc/self/task/{{tid}}/root{out}", f"/proc/{{pid}}/task/{{tid}}/root{out}",
                f"/proc/self/cwd/../..{out}", f"/proc/self/root/../../..{out}", "/proc/self/root/data/escape",
                "/proc/self/root/data/abs-escape", "/proc/self/cwd/../data/escape",
                "/proc/1/root/etc/passwd", "/proc/1/environ", "/proc/self/root/proc/1/root/etc/shadow"]
    inside = ["/proc/self/root/etc/passwd", "/proc/thread-self/root/etc/passwd", "/proc/{pid}/root/etc/passwd",
              "/proc/self/task/{tid}/root/etc/passwd", "/proc/self/cwd/evil", "/proc/self/root/app/evil"]
    r = bundle.run(*(f"cat:{p}" for p in ways_out + inside), "ls:/proc/self/root", "ls:/")
    got = results(r.stdout)
    for p in ways_out:
        assert any(v == "ENOENT" for (op, a), v in got.items() if op == "cat" and a.endswith(p.split("}")[-1])), p
    assert r.stdout.count(ENCLAVE_PASSWD) == len(inside)
    assert "root:x:0:0" not in r.stdout  # the host's /etc/passwd
    assert got[("ls", "/proc/self/root")] == got[("ls", "/")]


def test_a_directory_fd_is_followed_inside_its_mount(bundle):
    r = bundle.run("below:/data#host.txt", "below:/data#escape", "below:/data#abs-escape", "below:/data#../etc/passwd",
                   "below:/app#hello.txt", "below:/tmp#nothing")
    got = results(r.stdout)
    assert got[("below", "/data#host.txt")] == "ok written by the host~"
    assert got[("below", "/data#escape")] == "ENOENT"
    assert got[("below", "/data#abs-escape")] == "ENOENT"
    # ".." is lexical (docs/runtime.md, "Known limits"): /proc/self/fd/K/.. is /proc/self/fd
    assert got[("below", "/data#../etc/passwd")] == "ENOENT"
    assert got[("below", "/app#hello.txt")] == "ok hello from a trusted file~"
    assert got[("below", "/tmp#nothing")] == "ENOENT"


def test_the_runtimes_own_fds_are_not_there(bundle):
    # the passthrough mount's root fd is the runtime's: /proc/self/fd/N/host.txt
    # must not reach /data through it, for any N
    r = bundle.run("rtfds:host.txt", "rtfds:escape", "fds:-")
    got = results(r.stdout)
    assert got[("rtfds", "host.txt")] == "ok"
    assert got[("rtfds", "escape")] == "ok"
    listed, probed = re.match(r"ok listed(.*) probed(.*)$", got[("fds", "-")]).groups()
    assert listed.split() == probed.split()
    assert listed.split()[:3] == ["0", "1", "2"]


def test_mount_handles_are_out_of_the_way(tmp_path, key):
    """Nine passthrough mounts, nine runtime handles: none is the
    application's, none takes the numbers it gets natively, close_range
    over everything leaves the mounts working."""
    extra = ""
    for i in range(9):
        (tmp_path / f"d{i}").mkdir()
        (tmp_path / f"d{i}" / "f").write_text(f"file {i}\n")
        extra += f"  - path: /d{i}\n    type: passthrough\n    source: {tmp_path}/d{i}\n"
    (tmp_path / "b").mkdir()
    b = Bundle(tmp_path / "b", key, extra)
    r = b.run("fdnum:/app/hello.txt", "fds:-", "rtfds:f", "closeall:3", "cat:/d8/f", "cat:/d0/f", "fdnum:/d4/f")
    got = results(r.stdout)
    assert got[("fdnum", "/app/hello.txt")] == "ok 7"  # after the probe's own two pipes, as natively
    listed, probed = re.match(r"ok listed(.*) probed(.*)$", got[("fds", "-")]).groups()
    assert listed.split() == probed.split() == ["0", "1", "2", "3", "4", "5", "6"]
    assert got[("rtfds", "f")] == "ok"
    assert got[("closeall", "3")] == "ok"
    assert "file 8\ncat /d8/f: ok\nfile 0\ncat /d0/f: ok\n" in r.stdout
    assert got[("fdnum", "/d4/f")] == "ok 3"


def test_a_shell_redirection_to_dev_null_opens_it(bundle):
    # O_CREAT | O_TRUNC of an existing device opens it (dev_ops), as on
    # Linux; a new name in /dev is still refused
    r = bundle.run("write:/dev/null#x", "write:/dev/zero#x", "write:/dev/newfile#x")
    got = results(r.stdout)
    assert got[("write", "/dev/null")] == "ok" and got[("write", "/dev/zero")] == "ok"
    assert got[("write", "/dev/newfile")] in ("ENOENT", "EACCES")


def test_no_net_no_map_files_no_other_processes(bundle):
    paths = ["/proc/self/net", "/proc/net", "/proc/self/map_files", "/proc/self/mem", "/proc/1",
             "/proc/self/mountinfo/x", "/proc/sys/kernel/yama", "/proc/sys/net", "/proc/self/fd/9999",
             "/proc/0", "/proc/-1", "/proc/01", "/proc/{pid}0", "/proc/self/task/1"]
    r = bundle.run(*(f"open:{p}" for p in paths))
    got = results(r.stdout)
    for (op, p), v in got.items():
        assert v in ("ENOENT", "ENOTDIR"), (p, v)
    assert len(got) == len(paths)


# ---- what is there ---------------------------------------------------------------------------


def test_listings(bundle):
    r = bundle.run("ids:-", "threads:2", "ls:/proc", "ls:/proc/self", "ls:/proc/self/task", "ls:/proc/sys/kernel",
                   "ls:/proc/self/fdinfo", "ls:/proc/self/fd")
    got = results(r.stdout)
    pid, _, tid = ids(got)
    tids = [int(t) for t in got[("threads", "2")].split()[1:]]
    assert got[("ls", "/proc")].split() == ["ok", ".", "..", "self", "thread-self", "cpuinfo", "loadavg", "meminfo",
                                             "mounts", "stat", "sys", "uptime", "version", str(pid)]
    assert sorted(got[("ls", "/proc/self")].split()[3:]) == sorted(
        ["task", "fd", "fdinfo", "environ", "limits", "stat", "statm", "status", "cmdline", "comm", "cwd", "exe",
         "root", "maps", "mounts", "mountinfo"])
    assert got[("ls", "/proc/self/task")].split()[3:] == [str(t) for t in sorted([tid] + tids)]
    assert "hostname" in got[("ls", "/proc/sys/kernel")].split()
    fds = got[("ls", "/proc/self/fd")].split()[3:]
    assert got[("ls", "/proc/self/fdinfo")].split()[3:] == fds  # each lists its own fd too


def test_hundreds_of_threads_are_all_there(bundle):
    r = bundle.run("threads:300", "ls:/proc/self/task", "cat:/proc/self/status", "cat:/proc/self/stat")
    got = results(r.stdout)
    tids = got[("threads", "300")].split()[1:]
    listed = got[("ls", "/proc/self/task")].split()[3:]
    assert len(tids) == 300, r.stdout[:3000]
    assert len(listed) == 301 and set(tids) <= set(listed), (sorted(set(tids) - set(listed)), len(listed))
    assert "\nThreads:\t301\n" in r.stdout, r.stdout
    assert re.search(r"^\d+ \(procprobe\) (\S+ ){17}301 ", r.stdout, re.M), r.stdout


def test_links(bundle):
    r = bundle.run("readlink:/proc/self/exe", "readlink:/proc/self/cwd", "readlink:/proc/self/root",
                   "readlink:/proc/thread-self", "readlink:/proc/self", "ids:-", "fdlink:/data/host.txt",
                   "fdlink:/tmp", "fdlink:/app/hello.txt", "fdlink:/proc/self/status", "lstat:/proc/self/exe",
                   "stat:/proc/self/exe", "anon:pipe", "anon:socket", "anon:eventfd")
    got = results(r.stdout)
    pid, _, tid = ids(got)
    assert got[("readlink", "/proc/self/exe")] == "ok =/app/procprobe"
    assert got[("readlink", "/proc/self/cwd")] == "ok =/app"
    assert got[("readlink", "/proc/self/root")] == "ok =/"
    assert got[("readlink", "/proc/self")] == f"ok ={pid}"
    assert got[("readlink", "/proc/thread-self")] == f"ok ={pid}/task/{tid}"
    assert got[("fdlink", "/data/host.txt")] == "ok =/data/host.txt"
    assert got[("fdlink", "/tmp")] == "ok =/tmp"
    assert got[("fdlink", "/app/hello.txt")] == "ok =/app/hello.txt"
    assert got[("fdlink", "/proc/self/status")] == f"ok =/proc/{pid}/status"
    assert got[("lstat", "/proc/self/exe")].startswith("ok mode=120777 ")
    assert got[("stat", "/proc/self/exe")].startswith("ok mode=100755 ")
    # as on Linux: a pipe reopens, a socket or an eventfd does not
    assert got[("anon", "pipe")] == "ok link=pipe reopen=ok below=ENOTDIR"
    assert got[("anon", "socket")] == "ok link=socket reopen=ENXIO below=ENOTDIR"
    assert got[("anon", "eventfd")] == "ok link=anon_inode reopen=ENXIO below=ENOTDIR"


def test_reopening_an_fd_opens_the_same_file_anew(bundle):
    r = bundle.run("write:/tmp/t#tmpfs content", "reopen:/tmp/t", "reopen:/app/hello.txt", "reopen:/data/host.txt",
                   "reopen-unlinked:/tmp/gone")
    got = results(r.stdout)
    # the same content from offset 0, and the first fd's offset untouched
    assert got[("reopen", "/tmp/t")] == "ok tmp|tmpfs content|fs content"
    assert got[("reopen", "/app/hello.txt")] == "ok hel|hello from a trusted file~|lo from a trusted file~"
    assert got[("reopen", "/data/host.txt")] == "ok wri|written by the host~|tten by the host~"
    # a tmpfs file unlinked while open is still the same file
    assert got[("reopen-unlinked", "/tmp/gone")] == "ok still here"


def test_process_files_agree_with_the_system_calls(bundle):
    r = bundle.run("threads:2", "ids:-", "cat:/proc/self/status", "cat:/proc/self/stat", "cat:/proc/{pid}/task/{tid}/stat",
                   "cat:/proc/self/statm", "cat:/proc/self/comm", "cat:/proc/self/cmdline", "cat:/proc/self/limits")
    got = results(r.stdout)
    pid, ppid, tid = ids(got)
    status = dict(re.findall(r"^(\w+):\t(.*)$", r.stdout, re.M))
    assert status["Name"] == "procprobe" and status["Pid"] == str(pid) and status["Tgid"] == str(pid)
    assert status["PPid"] == str(ppid) and status["Threads"] == "3" and status["TracerPid"] == "0"
    assert status["Umask"] == "0022"
    stats = re.findall(r"^(\d+) \(procprobe\) (\S) (\d+) .*$", r.stdout, re.M)
    assert stats[0][0] == str(pid) and stats[0][2] == str(ppid)
    fields = [l for l in r.stdout.splitlines() if l.startswith(f"{pid} (procprobe)")][0].split()
    assert len(fields) == 52 and fields[19] == "3"  # num_threads
    assert int(fields[22]) // 1024 == int(status["VmSize"].split()[0])  # vsize
    statm = [l for l in r.stdout.splitlines() if re.fullmatch(r"(\d+ ){6}\d+", l)][0].split()
    assert int(statm[0]) * 4 == int(status["VmSize"].split()[0])
    assert "Max open files" in r.stdout
    assert "procprobe|threads:2|ids:-|" in r.stdout  # cmdline


def test_maps_leave_out_the_runtime(bundle):
    p = subprocess.Popen([str(COFFER), "run", bundle.bundle, "--", "wait:-", "cat:/proc/self/maps", "ids:-"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "ready\n"
        host = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
        pid = host[0] if host else p.pid  # coffer run forks the enclave
        host_maps = open(f"/proc/{pid}/maps").read()
        out, err = p.communicate("go\n", timeout=60)
    finally:
        p.kill()
    assert p.returncode == 0, err
    assert str(pid) in out

    def ranges(text):
        return {tuple(int(x, 16) for x in l.split()[0].split("-")): l for l in text.splitlines() if
                re.match(r"^[0-9a-f]+-[0-9a-f]+ ", l)}
    mine, theirs = ranges(out), ranges(host_maps)
    assert mine and set(mine) <= set(theirs)
    enclave = [r for r, l in theirs.items() if "coffer-enclave" in l]
    assert enclave and not any(r in mine for r in enclave)
    size = lambda rs: sum(hi - lo for lo, hi in rs)
    assert size(theirs) - size(mine) >= 1 << 30  # the runtime arena, reserved at boot
    assert "coffer" not in out and str(bundle.base) not in out


def test_mounts_are_the_manifests(bundle):
    r = bundle.run("cat:/proc/self/mounts", "cat:/proc/self/mountinfo", "cat:/proc/mounts", "ls:/proc/self/fdinfo")
    lines = [l.split() for l in r.stdout.splitlines()]
    mounts = [l for l in lines if len(l) == 6 and l[4:] == ["0", "0"]]
    points = [m[1] for m in mounts]
    assert sorted(set(points)) == sorted(set(bundle.mounts + ["/", "/proc", "/dev"]))
    assert len(points) == 2 * len(set(points))  # /proc/self/mounts, and /proc/mounts the same
    types = {m[1]: m[2] for m in mounts}
    assert types["/app"] == "trusted" and types["/data"] == "passthrough" and types["/tmp"] == "tmpfs"
    assert types["/proc"] == "proc"
    info = [l for l in lines if "-" in l and len(l) == 10]
    assert sorted(i[4] for i in info) == sorted(set(points))
    assert str(bundle.base) not in r.stdout  # no host paths
    assert "cgroup" not in r.stdout and "overlay" not in r.stdout and "ext4" not in r.stdout


def test_hostname_is_the_enclaves(bundle):
    r = bundle.run("uname:-", "cat:/proc/sys/kernel/hostname", "cat:/proc/sys/kernel/osrelease",
                   "cat:/proc/sys/kernel/ostype", "cat:/proc/sys/kernel/domainname", "cat:/proc/version",
                   "cat:/proc/sys/kernel/pid_max", "cat:/proc/sys/kernel/random/boot_id",
                   "cat:/proc/sys/kernel/random/uuid", "cat:/proc/cpuinfo", "cat:/proc/meminfo", "cat:/proc/stat",
                   "cat:/proc/uptime", "cat:/proc/loadavg")
    u = os.uname()
    assert f"uname -: ok nodename=localhost sysname=Linux release={u.release}\n" in r.stdout
    out = r.stdout.splitlines()
    assert out[out.index("cat /proc/sys/kernel/hostname: ok") - 1] == "localhost"
    assert out[out.index("cat /proc/sys/kernel/osrelease: ok") - 1] == u.release
    assert out[out.index("cat /proc/sys/kernel/ostype: ok") - 1] == "Linux"
    assert out[out.index("cat /proc/sys/kernel/domainname: ok") - 1] == "(none)"
    assert out[out.index("cat /proc/version: ok") - 1].startswith(f"Linux version {u.release} ")
    if u.nodename != "localhost":
        assert not re.search(rf"\b{re.escape(u.nodename)}\b", r.stdout)
    assert out[out.index("cat /proc/sys/kernel/random/boot_id: ok") - 1] == \
        open("/proc/sys/kernel/random/boot_id").read().strip()
    assert re.search(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\ncat /proc/sys/kernel/"
                     r"random/uuid: ok$", r.stdout, re.M)
    ncpu = len([l for l in open("/proc/stat") if re.match(r"cpu\d+ ", l)])
    assert len(re.findall(r"^processor\t: \d+$", r.stdout, re.M)) == ncpu
    assert len(re.findall(r"^cpu\d+ ", r.stdout, re.M)) == ncpu
    assert re.search(r"^MemTotal: +\d+ kB$", r.stdout, re.M) and re.search(r"^MemAvailable: +\d+ kB$", r.stdout, re.M)
    assert re.search(r"^\d+\.\d\d \d+\.\d\d\ncat /proc/uptime: ok$", r.stdout, re.M)


# ---- development runs ------------------------------------------------------------------------


def test_development_run_hides_the_runtimes_fds(prog):
    r = run([prog("procprobe"), "fds:-", "rtfds:x", "ls:/proc/self/fdinfo", "readlink:/proc/self/exe"])
    assert r.returncode == 0, r.stderr
    got = results(r.stdout)
    listed, probed = re.match(r"ok listed(.*) probed(.*)$", got[("fds", "-")]).groups()
    assert listed.split() == probed.split()
    assert got[("rtfds", "x")] == "ok"
    assert got[("readlink", "/proc/self/exe")] == f"ok ={prog('procprobe')}"


PY = "/usr/bin/python3"
FD_CODE = """\
import os, subprocess, sys
fd = os.open("/dev/null", os.O_RDONLY)
listed = sorted(int(x) for x in os.listdir("/proc/self/fd"))
def is_open(n):
    try:
        os.fstat(n)
        return True
    except OSError:
        return False
print("listed", [n for n in listed if is_open(n)] == [n for n in range(4096) if is_open(n)], fd in listed)
child = subprocess.run([sys.executable, "-c", "import os; print(sorted(os.listdir('/proc/self/fd')))"],
                       close_fds=True, pass_fds=(fd,), capture_output=True, text=True)
print("child", child.stdout.strip(), child.returncode)
"""


def test_python_lists_only_its_fds_in_a_development_run():
    r = run([PY, "-c", FD_CODE])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "listed True True"
    fd = int(re.search(r"\['0', '1', '2', '(\d+)'", lines[1]).group(1))
    assert lines[1] == f"child ['0', '1', '2', '{fd}', '{fd + 1}'] 0"  # the passed fd and the listing's


# ---- real programs in a bundle -------------------------------------------------------------

PY_APP = """\
import os, subprocess, sys
status = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)
print("status", status["Pid"] == str(os.getpid()), status["PPid"] == str(os.getppid()), status["Threads"])
cpus = open("/proc/cpuinfo").read().count("processor\\t:")
print("cpuinfo", cpus > 0, cpus == os.cpu_count())
LIST = '''
def is_open(n):
    try:
        os.fstat(n)
        return True
    except OSError:
        return False
listed = sorted(int(x) for x in os.listdir("/proc/self/fd"))
print(len(listed), [n for n in listed if is_open(n)] == [n for n in range(4096) if is_open(n)])
'''
exec(LIST.replace("print(", "print('fds', "))
child = subprocess.run([sys.executable, "-c", "import os\\n" + LIST], close_fds=True, capture_output=True, text=True)
print("child", child.stdout.strip(), child.returncode)
print("names", open("/proc/sys/kernel/hostname").read().strip() == os.uname().nodename)
"""


def test_python_in_a_bundle_reads_its_proc(tmp_path, key):
    (tmp_path / "app.py").write_text(PY_APP)
    yaml = tmp_path / "app.yaml"
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    r = cli("manifest", "record", "-o", yaml, "--", PY, "app.py", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[2:] == ["fds 4 True", "child 4 True 0", "names True"]
    r = cli("sign", "--key", key, yaml)
    assert r.returncode == 0, r.stderr
    r = cli("run", yaml.with_suffix(".coffer"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    # 0, 1, 2 and the listing's own fd: exactly the fds that are open, in
    # the program and in the child that close_fds made by listing them
    assert r.stdout.splitlines() == ["status True True 1", "cpuinfo True True", "fds 4 True", "child 4 True 0",
                                     "names True"]


def test_every_listed_process_has_its_files(bundle):
    """Whatever processes the enclave's view holds (pidtab.h), each listed
    pid has a stat, status and cmdline that agree with it, the caller among
    them, from the first process and from a forked child; no other."""
    r = bundle.run("ids:-", "procs:-", "fork-procs:-")
    got = results(r.stdout)
    pid = ids(got)[0]
    for op in ("procs", "fork-procs"):
        entries = got[(op, "-")].split()
        me = int(entries[-1].split("=")[1])
        procs = [e.split(":") for e in entries[1:-1]]
        assert me in [int(p[0]) for p in procs]
        listed = [p[0] for p in procs]
        for p in procs:
            assert p[0] == p[1] == p[2] and p[4] == "procprobe", p
            if int(p[0]) == me:
                assert int(p[3]) == (pid if op == "fork-procs" else ids(got)[1])
            else:  # another of the application's processes: a parent in the view, or 0
                assert p[3] == "0" or p[3] in listed, p


def test_ps_in_a_bundle_sees_only_the_application(tmp_path, key):
    """Debian's ps reads /proc/<pid>/stat, status and cmdline of every
    process it lists: in a bundle that is the application alone."""
    yaml = tmp_path / "ps.yaml"
    cmd = ["/bin/ps", "-e", "-o", "pid=,ppid=,nlwp=,stat=,comm=,args="]
    r = cli("manifest", "record", "-o", yaml, "--", *cmd, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) > 1  # natively: the host's processes
    assert cli("sign", "--key", key, yaml).returncode == 0
    r = cli("run", yaml.with_suffix(".coffer"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (line,) = r.stdout.splitlines()
    pid, ppid, nlwp, stat, comm, args = line.split(None, 5)
    assert (nlwp, stat[0], comm, args) == ("1", "R", "ps", " ".join(cmd))


def test_a_root_mount_does_not_hide_the_runtimes_proc(tmp_path, key):
    """A trusted mount of "/" whose tree has a proc directory of its own:
    /proc is still the runtime's."""
    tree = tmp_path / "tree"
    for d in ("app", "lib64", "lib/x86_64-linux-gnu", "proc/self"):
        (tree / d).mkdir(parents=True)
    shutil.copy(PROGS / "procprobe", tree / "app" / "procprobe")
    shutil.copy(os.path.realpath(LOADER), tree / "lib64" / os.path.basename(LOADER))
    shutil.copy(os.path.realpath(LIBC), tree / "lib/x86_64-linux-gnu/libc.so.6")
    (tree / "proc" / "marker").write_text(MARKER + "\n")
    (tree / "proc" / "self" / "status").write_text(MARKER + "\n")
    yaml = tmp_path / "root.yaml"
    yaml.write_text(f"version: 1\nentrypoint: /app/procprobe\nargv: [procprobe]\nhost_args: append\ncwd: /app\n"
                    f"mounts:\n  - path: /\n    type: trusted\n    source: {tree}\n")
    assert cli("sign", "--key", key, yaml).returncode == 0
    r = cli("run", yaml.with_suffix(".coffer"), "--", "cat:/proc/marker", "cat:/proc/self/status",
            "readlink:/proc/self/exe", "cat:/proc/self/mounts")
    assert r.returncode == 0, r.stderr
    got = results(r.stdout)
    assert MARKER not in r.stdout
    assert got[("cat", "/proc/marker")] == "ENOENT" and got[("cat", "/proc/self/status")] == "ok"
    assert got[("readlink", "/proc/self/exe")] == "ok =/app/procprobe"
    assert "trusted / trusted ro 0 0\nproc /proc proc ro,noexec 0 0\n" in r.stdout
