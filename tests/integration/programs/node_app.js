// A Node.js workload for coffer's integration tests (issue 4, item 1): an
// HTTP server and client on 127.0.0.1 exchanging 1,000 requests, fs
// read/write of a 10 MB file, 4 worker_threads, child_process.execSync,
// crypto.randomBytes and a timer-driven promise chain. Every line it prints
// is deterministic, so the test compares it with a native run.
//
//   node node_app.js DIR     (DIR: a writable scratch directory)
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

if (!isMainThread) {
  // sum of squares over a slice, computed the slow way to keep the worker busy
  let sum = 0n;
  for (let i = workerData.from; i < workerData.to; i++) sum += BigInt(i) * BigInt(i);
  parentPort.postMessage(sum.toString());
  return;
}

const http = require('http');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execSync } = require('child_process');

const dir = process.argv[2];

async function httpRoundTrips(n) {
  const server = http.createServer((req, res) => {
    const body = JSON.stringify({ url: req.url, method: req.method });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const get = (i) => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: `/item/${i}`, agent }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve([res.statusCode, JSON.parse(data)]));
    }).on('error', reject);
  });
  let ok = 0;
  for (let batch = 0; batch < n; batch += 50) {
    const results = await Promise.all(Array.from({ length: 50 }, (_, k) => get(batch + k)));
    results.forEach(([status, body], k) => {
      if (status === 200 && body.url === `/item/${batch + k}` && body.method === 'GET') ok++;
    });
  }
  agent.destroy();
  await new Promise((resolve) => server.close(resolve));
  return ok;
}

function bigFile() {
  const file = path.join(dir, 'big.bin');
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < 10; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  const back = fs.readFileSync(file);
  const digest = crypto.createHash('sha256').update(back).digest('hex');
  const want = crypto.createHash('sha256');
  for (let i = 0; i < 10; i++) want.update(chunk);
  return [back.length, digest === want.digest('hex')];
}

async function asyncFile() {
  const file = path.join(dir, 'async.txt');
  await fs.promises.writeFile(file, 'x'.repeat(100000));
  const s = await fs.promises.readFile(file, 'utf8');
  const st = await fs.promises.stat(file);
  return s.length === 100000 && st.size === 100000;
}

function workers() {
  const n = 2000000;
  const jobs = [0, 1, 2, 3].map((k) => new Promise((resolve, reject) => {
    const w = new Worker(__filename, { workerData: { from: (k * n) / 4, to: ((k + 1) * n) / 4 } });
    w.on('message', resolve);
    w.on('error', reject);
  }));
  return Promise.all(jobs).then((parts) => parts.reduce((a, b) => a + BigInt(b), 0n));
}

function timerChain(steps) {
  let p = Promise.resolve([]);
  for (let i = 0; i < steps; i++) {
    p = p.then((acc) => new Promise((resolve) => setTimeout(() => resolve(acc.concat(i)), 5)));
  }
  return p;
}

(async () => {
  console.log('node', typeof process.version);
  console.log('http ok', await httpRoundTrips(1000));
  console.log('fs', ...bigFile());
  console.log('fs promises', await asyncFile());
  const n = 2000000n;
  console.log('workers', (await workers()) === ((n - 1n) * n * (2n * n - 1n)) / 6n);
  console.log('execSync', execSync('echo child $((6 * 7))', { shell: '/bin/sh' }).toString().trim());
  const r = crypto.randomBytes(32);
  console.log('randomBytes', r.length, r.some((b) => b !== 0));
  console.log('timers', (await timerChain(10)).join(','));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
