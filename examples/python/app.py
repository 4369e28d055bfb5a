"""A small web service: JSON over HTTP, a SQLite table, and a TLS context."""
import json
import sqlite3
import ssl
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

db = sqlite3.connect(sys.argv[2])
db.execute("create table if not exists hits (path text primary key, n integer)")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/quit":
            self.send_response(204)
            self.end_headers()
            raise SystemExit(0)
        db.execute("insert into hits values (?, 1) on conflict(path) do update set n = n + 1", (self.path,))
        db.commit()
        n = db.execute("select n from hits where path = ?", (self.path,)).fetchone()[0]
        body = json.dumps({"path": self.path, "hits": n, "tls": ssl.OPENSSL_VERSION}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
