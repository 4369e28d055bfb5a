// A small web service: JSON over HTTP, hashing in worker threads, a file write.
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const [port, dir] = [Number(process.argv[2]), process.argv[3]];
let hits = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/quit') {
    res.writeHead(204).end();
    server.close();
    return;
  }
  hits++;
  fs.writeFileSync(path.join(dir, 'hits.txt'), String(hits));
  const body = JSON.stringify({ path: req.url, hits, sha256: crypto.createHash('sha256').update(req.url).digest('hex') });
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
});
server.listen(port, '127.0.0.1');
