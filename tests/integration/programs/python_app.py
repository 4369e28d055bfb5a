"""Acceptance program for the runtime core (issue 2, item 4).

Exercises threads, subprocess (vfork + exec), fork + waitpid, a TCP echo
server on loopback, signal.alarm with a handler, hashlib, json, sqlite3 and
tempfile. Everything it prints is deterministic, so the output under coffer
must equal the native output byte for byte.
"""
import hashlib
import json
import os
import signal
import socket
import socketserver
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time


def threads():
    results = [0] * 8
    lock = threading.Lock()
    counter = [0]

    def work(i):
        h = hashlib.sha256()
        for j in range(2000):
            h.update(f"{i}:{j}".encode())
            with lock:
                counter[0] += 1
        results[i] = h.hexdigest()[:12]

    ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("threads:", counter[0], results)


def subprocesses():
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run(["ls"], cwd=here, capture_output=True, text=True, check=True)
    print("ls:", sorted(out.stdout.split()))
    r = subprocess.run(["sh", "-c", "exit 3"])
    print("sh exit:", r.returncode)


def forking():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, f"child {os.getpid() != 0}".encode())
        os._exit(5)
    os.close(w)
    msg = os.read(r, 100).decode()
    _, status = os.waitpid(pid, 0)
    print("fork:", msg, os.WIFEXITED(status), os.WEXITSTATUS(status))


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(4096)
            if not data:
                break
            self.request.sendall(data.upper())


def echo_server():
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo) as srv:
        port = srv.server_address[1]
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        replies = []
        for i in range(20):
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(f"hello {i}".encode())
                s.shutdown(socket.SHUT_WR)
                buf = b""
                while True:
                    d = s.recv(4096)
                    if not d:
                        break
                    buf += d
                replies.append(buf.decode())
        srv.shutdown()
    print("echo:", replies[0], replies[-1], len(replies))


def alarm():
    fired = []

    def handler(signum, frame):
        fired.append(signum)

    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(1)
    deadline = time.monotonic() + 10
    while not fired and time.monotonic() < deadline:
        time.sleep(0.05)
    signal.signal(signal.SIGALRM, old)
    print("alarm:", fired == [signal.SIGALRM])
    # an interrupted blocking call: the handler runs, the sleep finishes (PEP 475)
    signal.signal(signal.SIGALRM, handler)
    fired.clear()
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    t0 = time.monotonic()
    time.sleep(0.6)
    print("sleep with handler:", fired == [signal.SIGALRM], time.monotonic() - t0 >= 0.55)


def data():
    doc = {"name": "coffer", "n": [1, 2, 3], "nested": {"ok": True}}
    s = json.dumps(doc, sort_keys=True)
    print("json:", s, json.loads(s) == doc)
    print("sha256:", hashlib.sha256(b"coffer").hexdigest())
    print("md5:", hashlib.md5(b"coffer").hexdigest())
    db = sqlite3.connect(":memory:")
    db.execute("create table t (k integer primary key, v text)")
    db.executemany("insert into t (v) values (?)", [(f"v{i}",) for i in range(100)])
    print("sqlite:", db.execute("select count(*), min(v), max(v) from t").fetchone())
    db.close()
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "f.txt")
        with open(p, "w") as f:
            f.write("x" * 1000)
        with tempfile.NamedTemporaryFile(dir=d, delete=False) as nf:
            nf.write(b"abc")
        print("tempfile:", os.path.getsize(p), sorted(os.listdir(d)) == sorted(["f.txt", os.path.basename(nf.name)]))
    print("tempdir gone:", not os.path.exists(d))


def main():
    threads()
    subprocesses()
    forking()
    echo_server()
    alarm()
    data()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
