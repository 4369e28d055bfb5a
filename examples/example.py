#!/usr/bin/python3
"""Record, sign and try Coffer's example applications.

    examples/example.py record NAME [--root DIR] [--port N] [-o FILE]
    examples/example.py try NAME [--root DIR] [--port N] [--manifest FILE] [--key KEY]
    examples/example.py list

NAME is one of python, node, java, redis, nginx, memcached: Debian's own
packages, unmodified. Each example's files are set up under ROOT (default
/var/tmp/coffer-examples/NAME, so that a manifest does not depend on where
this repository is checked out).

record  runs the example under `coffer manifest record` while a native
        client (curl, redis-cli, a socket) uses it, stops it, and writes the
        manifest (default examples/NAME/NAME.yaml).
try     signs the manifest (with KEY, default ROOT/../signer.pem, made if
        missing), runs the bundle, uses it with the same client and stops it.
        Exit status 0 if the service answered as it should.

The port is part of the recorded arguments: use the same --port for record
and try. Standard library only; the coffer command is $COFFER_BUILD/coffer
or build/coffer beside this directory.
"""
import argparse
import json
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
COFFER = pathlib.Path(os.environ.get("COFFER_BUILD", HERE.parent / "build")) / "coffer"
ENV = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8"}
USER = pwd.getpwuid(os.getuid()).pw_name


class Failed(Exception):
    pass


def http_get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return r.status, r.read()


def line_exchange(port, line):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(line.encode() + b"\n")
        return s.makefile().readline().strip()


def run_native(*argv):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise Failed(f"{' '.join(argv)}: exit status {r.returncode}: {r.stderr.strip()}")
    return r.stdout


# ---- the examples ----------------------------------------------------------------
#
# setup(root, port) prepares ROOT and returns the command; use(root, port)
# is the client, returning a line to print; stop(root, port, proc) asks the
# service to exit.


def python_setup(root, port):
    shutil.copy(HERE / "python" / "app.py", root / "app.py")
    (root / "data").mkdir(exist_ok=True)
    return ["/usr/bin/python3", "app.py", str(port), str(root / "data" / "hits.db")]


def json_use(root, port):
    status, body = http_get(port, "/hello")
    if status != 200 or json.loads(body).get("path") != "/hello":
        raise Failed(f"unexpected answer {status} {body!r}")
    return body.decode()


def node_setup(root, port):
    shutil.copy(HERE / "node" / "server.js", root / "server.js")
    (root / "data").mkdir(exist_ok=True)
    return ["/usr/bin/node", "server.js", str(port), str(root / "data")]


def http_quit(root, port, proc):
    try:
        http_get(port, "/quit")
    except OSError:
        pass  # the server may close before it answers


def java_setup(root, port):
    classes = root / "classes"
    classes.mkdir(exist_ok=True)
    run_native("/usr/bin/javac", "-d", str(classes), str(HERE / "java" / "Hello.java"))
    return ["/usr/bin/java", "-XX:-UsePerfData", "-cp", str(classes), "Hello", str(port)]


def java_use(root, port):
    got = line_exchange(port, "hello")
    if not got.startswith("HELLO from OpenJDK"):
        raise Failed(f"unexpected answer {got!r}")
    return got


def java_stop(root, port, proc):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"quit\n")


def redis_setup(root, port):
    (root / "data").mkdir(exist_ok=True)
    return ["/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(root / "data"),
            "--save", "", "--daemonize", "no", "--logfile", ""]


def redis_use(root, port):
    cli = ["/usr/bin/redis-cli", "-p", str(port)]
    run_native(*cli, "SET", "greeting", "hello from redis inside coffer")
    run_native(*cli, "BGSAVE")  # a fork: the child writes the dump
    deadline = time.monotonic() + 30
    while "rdb_bgsave_in_progress:0" not in run_native(*cli, "INFO", "persistence"):
        if time.monotonic() > deadline:
            raise Failed("BGSAVE did not finish")
        time.sleep(0.1)
    return run_native(*cli, "GET", "greeting").strip()


def redis_stop(root, port, proc):
    run_native("/usr/bin/redis-cli", "-p", str(port), "SHUTDOWN")


def nginx_setup(root, port):
    for d in ("html", "tmp"):
        (root / d).mkdir(exist_ok=True)
    shutil.copy(HERE / "nginx" / "index.html", root / "html" / "index.html")
    conf = (HERE / "nginx" / "nginx.conf").read_text().format(root=root, port=port, user=USER)
    (root / "nginx.conf").write_text(conf)
    return ["/usr/sbin/nginx", "-c", str(root / "nginx.conf"), "-g", "daemon off;"]


def nginx_use(root, port):
    status, body = http_get(port, "/index.html")
    if status != 200 or body != (root / "html" / "index.html").read_bytes():
        raise Failed(f"unexpected answer {status} {body!r}")
    return body.decode().strip()


def nginx_stop(root, port, proc):
    # what `nginx -s quit` sends the master; another coffer run could not
    # reach it (an application sees only its own processes), coffer passes
    # it on
    proc.send_signal(signal.SIGQUIT)


def memcached_setup(root, port):
    return ["/usr/bin/memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-u", USER]


def memcached_use(root, port):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        f = s.makefile("rwb")
        f.write(b"set greeting 0 0 5\r\nhello\r\nget greeting\r\n")
        f.flush()
        got = [f.readline() for _ in range(4)]
    if got != [b"STORED\r\n", b"VALUE greeting 0 5\r\n", b"hello\r\n", b"END\r\n"]:
        raise Failed(f"unexpected answer {got!r}")
    return "STORED, then got hello back"


def sigterm(root, port, proc):
    proc.send_signal(signal.SIGTERM)  # coffer passes it on


EXAMPLES = {
    "python": (8081, python_setup, json_use, http_quit, "python3: http.server, sqlite3, ssl"),
    "node": (8082, node_setup, json_use, http_quit, "Node.js: an http server writing a file"),
    "java": (8083, java_setup, java_use, java_stop, "OpenJDK 17: a ServerSocket service"),
    "redis": (6380, redis_setup, redis_use, redis_stop, "redis-server with BGSAVE (fork)"),
    "nginx": (8080, nginx_setup, nginx_use, nginx_stop, "nginx: master and two workers, a static file"),
    "memcached": (11212, memcached_setup, memcached_use, sigterm, "memcached: set and get"),
}


# ---- running ---------------------------------------------------------------------


def serve(cmd, root, port, use, stop):
    """Start cmd, wait until it listens, use it, stop it; returns what the
    client printed. Raises Failed (after killing what it started)."""
    proc = subprocess.Popen(cmd, cwd=root, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise Failed(f"it exited with status {proc.returncode} before listening:\n{proc.stderr.read()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise Failed(f"nothing listens on port {port} after 60 s")
                time.sleep(0.1)
        answer = use(root, port)
        stop(root, port, proc)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            raise Failed("it did not stop within 60 s of being asked")
        if proc.returncode not in (0, -signal.SIGTERM):  # coffer run is the program: killed as natively
            raise Failed(f"it exited with status {proc.returncode}:\n{err}")
        return answer
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()


def main():
    ap = argparse.ArgumentParser(description="Record, sign and try Coffer's examples.",
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(f"  {n:<10} {e[4]}" for n, e in EXAMPLES.items()))
    ap.add_argument("action", choices=["record", "try", "list"])
    ap.add_argument("name", nargs="?", choices=list(EXAMPLES))
    ap.add_argument("--root", type=pathlib.Path, help="where the example's files go "
                    "(default /var/tmp/coffer-examples/NAME)")
    ap.add_argument("--port", type=int, help="the service's port (default: the example's)")
    ap.add_argument("-o", "--out", type=pathlib.Path, help="record: the manifest to write")
    ap.add_argument("--manifest", type=pathlib.Path, help="try: the manifest to sign")
    ap.add_argument("--key", type=pathlib.Path, help="try: the signing key (made if missing)")
    args = ap.parse_args()
    if args.action == "list":
        for n, e in EXAMPLES.items():
            print(f"{n:<10} port {e[0]:<6} {e[4]}")
        return 0
    if not args.name:
        ap.error("which example? (see `list`)")
    port, setup, use, stop, _ = EXAMPLES[args.name]
    port = args.port or port
    root = (args.root or pathlib.Path("/var/tmp/coffer-examples") / args.name).resolve()
    root.mkdir(parents=True, exist_ok=True)
    if not COFFER.exists():
        print(f"example: {COFFER} not found: build first (make)", file=sys.stderr)
        return 1
    try:
        argv = setup(root, port)
        if args.action == "record":
            out = (args.out or HERE / args.name / f"{args.name}.yaml").resolve()
            out.parent.mkdir(parents=True, exist_ok=True)
            answer = serve([str(COFFER), "manifest", "record", "--force", "-o", str(out), "--", *argv], root, port, use, stop)
            print(f"{args.name}: {answer}")
            print(f"recorded {out}")
        else:
            manifest = (args.manifest or HERE / args.name / f"{args.name}.yaml").resolve()
            key = (args.key or root.parent / "signer.pem").resolve()
            if not key.exists():
                run_native(str(COFFER), "keygen", "-o", str(key))
            bundle = root / f"{args.name}.coffer"
            print(run_native(str(COFFER), "sign", "--key", str(key), "-o", str(bundle), str(manifest)).strip())
            answer = serve([str(COFFER), "run", str(bundle)], root, port, use, stop)
            print(f"{args.name}: {answer}")
    except (Failed, OSError) as e:
        print(f"example {args.name}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
