"""The enclave's own host and domain names: a development run starts with
the host's, a bundle with its manifest's (`hostname`, `domainname`; by
default localhost and "(none)"); sethostname and setdomainname change them
for every process of the run at once, as a UTS namespace does, and never on
the host. progs/utsprobe.c, Debian's `hostname` and Python."""
from conftest import StaticBundle, cli, run


def host_names():
    with open("/proc/sys/kernel/hostname") as h, open("/proc/sys/kernel/domainname") as d:
        return h.read().strip(), d.read().strip()


def changed(host, domain):
    return [
        "sethostname ok",
        "setdomainname ok",
        f"running child: uname {host} {domain}, /proc {host} {domain}",
        f"new child: uname {host} {domain}, /proc {host} {domain}",
        f"self: uname {host} {domain}, /proc {host} {domain}",
        "length 65 EINVAL, -1 EINVAL, bad pointer EFAULT",
        "length 64 ok, 0 ok",
        f"end: uname {'a' * 64} , /proc {'a' * 64} ",
    ]


def test_hostname_command_changes_the_enclave_only():
    before = host_names()
    script = ("hostname; hostname enclave-name; hostname; sh -c 'uname -n; cat /proc/sys/kernel/hostname'; "
              "python3 -c 'import socket, os; socket.sethostname(\"py-name\"); print(os.uname().nodename)'; "
              "uname -n; echo x > /proc/sys/kernel/hostname || echo refused")
    r = run(["/bin/sh", "-c", script])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [before[0], "enclave-name", "enclave-name", "enclave-name", "py-name",
                                     "py-name", "refused"]
    assert host_names() == before


def test_sethostname_in_a_development_run(prog):
    before = host_names()
    r = run([prog("utsprobe"), "dev-host", "dev.example"])
    assert r.returncode == 0, r.stderr
    h, d = before
    assert r.stdout.splitlines() == [f"start: uname {h} {d}, /proc {h} {d}"] + changed("dev-host", "dev.example")
    assert host_names() == before


def test_names_in_a_bundle(tmp_path, key):
    before = host_names()
    b = StaticBundle(tmp_path, key, "utsprobe")
    r = b.run()
    assert r.returncode == 0, r.stderr
    assert r.stdout == "start: uname localhost (none), /proc localhost (none)\n"
    b.yaml.write_text(b.yaml.read_text() + "hostname: web-1\ndomainname: corp.example\n")
    s = cli("sign", "--key", key, b.yaml, "-o", b.bundle)
    assert s.returncode == 0, s.stderr
    r = b.run("db-2", "corp.test")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["start: uname web-1 corp.example, /proc web-1 corp.example"] + \
        changed("db-2", "corp.test")
    assert host_names() == before


def test_manifest_refuses_names_sethostname_would(tmp_path, key):
    b = StaticBundle(tmp_path, key, "utsprobe")
    good = b.yaml.read_text()
    for bad, what in (("hostname: " + "h" * 65, "hostname"), ('domainname: café.example', "domainname")):
        b.yaml.write_text(good + bad + "\n")
        s = cli("sign", "--key", key, b.yaml, "-o", tmp_path / "bad.coffer")
        assert s.returncode != 0
        assert f"{what} must be at most 64 printable ASCII characters" in s.stderr, s.stderr
        assert f"{b.yaml}:" in s.stderr
