// http_server.test.mjs — the HTTP core's defences through the real daemon (issue 12): the per-client connection
// limit (one loopback address refused past it while another, 127.0.0.2, is served), the request-head deadline (a
// client trickling a head byte by byte is cut off although it is never idle), the keep-alive deadline, a full
// handler pool answering 503 + Retry-After at once (one handler thread, no queue, a slow cover upstream holding
// it), and a saturated public listener leaving the private one (admin API, health) untouched. Raw sockets
// (node:net) are used where fetch would hide the connection. Nothing here measures time: deadlines are set short
// and the tests wait for the outcome with generous bounds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { ADMIN_TOKEN, api, newDatabase, sql, sqlValue, startDaemon, waitFor } from './lib.mjs';
import { stopClean } from './foundation-util.mjs';
import { makeCert, makeImages, startUpstream } from './covers-upstream.mjs';

/**
 * A raw keep-alive connection from `localAddress`. `get(path)` sends one GET and resolves with
 * { status, headers, body }; `closed` resolves when the server ends the connection; `send(text)` writes bytes.
 */
function connect(port, localAddress = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress });
    let buf = Buffer.alloc(0);
    let waiter = null;
    let isClosed = false;
    const closed = new Promise((ok) => sock.on('close', () => { isClosed = true; ok(); }));
    sock.on('error', () => {});
    const tryParse = () => {
      if (!waiter) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers = {};
      for (const l of head.slice(1)) { const i = l.indexOf(':'); headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
      const len = Number(headers['content-length'] || 0);
      if (buf.length < end + 4 + len) return;
      const body = buf.subarray(end + 4, end + 4 + len).toString();
      buf = buf.subarray(end + 4 + len);
      const w = waiter;
      waiter = null;
      w.ok({ status: Number(head[0].split(' ')[1]), headers, body });
    };
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); tryParse(); });
    sock.on('close', () => { if (waiter) waiter.fail(new Error('connection closed before a response')); });
    sock.on('connect', () => resolve({
      sock, closed,
      isClosed: () => isClosed,
      received: () => buf.length,
      send: (t) => sock.write(t),
      get(path, headers = {}) {
        const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
        return new Promise((ok, fail) => {
          waiter = { ok, fail };
          sock.write(`GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`);
        });
      },
      // Resolves with the next response; the caller writes the request (possibly in pieces) with send().
      response: () => new Promise((ok, fail) => { waiter = { ok, fail }; tryParse(); }),
      close: () => sock.destroy(),
    }));
    sock.once('error', reject);
  });
}

async function metric(base, series) {
  // keepalive_timeout is 2 s here: fetch may reuse a pooled connection the server closed just then ("fetch
  // failed"); one more try goes out on a new connection.
  const get = () => fetch(`${base}/metrics`);
  const text = await (await get().catch(get)).text();
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('per-client connection limit and deadlines', () => {
  let d;
  before(async () => {
    d = await startDaemon(newDatabase(), {
      // max_body 1k: a body must be complete 1 s + 1024 B / 64 KiB/s (about 1.02 s) after its head.
      server: { max_connections_per_client: 3, head_timeout: '1s', keepalive_timeout: '2s', event_threads: 2, max_body: '1k' },
    });
  });
  after(async () => { await stopClean(d); });

  test('one address past its limit is refused while another address is served; a close frees a place', async () => {
    const held = [];
    for (let i = 0; i < 3; i++) {
      const c = await connect(d.port, '127.0.0.1');
      assert.equal((await c.get('/healthz')).status, 200, `connection ${i + 1} of 3 is served`);
      held.push(c);
    }
    const over = await connect(d.port, '127.0.0.1');
    over.send('GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n');
    await over.closed;
    assert.equal(over.received(), 0, 'the fourth connection from 127.0.0.1 is closed without an answer');

    const other = await connect(d.port, '127.0.0.2');
    assert.equal((await other.get('/healthz')).status, 200, '127.0.0.2 is served meanwhile');
    assert.equal((await other.get('/healthz')).status, 200, '… on a kept-alive connection');
    other.close();
    for (const c of held) assert.equal((await c.get('/healthz')).status, 200, 'the three are still served');

    held.pop().close();
    const again = await waitFor(async () => {
      const c = await connect(d.port, '127.0.0.1');
      try { return (await c.get('/healthz')).status === 200 ? c : null; } catch { return null; }
    }, 10000, 'a freed place');
    again.close();
    held.forEach((c) => c.close());
    // Published once a second by the listener's timer thread.
    await waitFor(async () => (await metric(d.base, 'comicbatch_http_refused_total{listener="http",reason="per_client"}')) >= 1,
      5000, 'the refusal to be counted');
  });

  test('a request head trickled byte by byte is cut off at the head deadline', async () => {
    const c = await connect(d.port, '127.0.0.3');
    c.send('GET /healthz HTTP/1.1\r\nHost: t\r\n');
    let sent = 0;
    // A header line every 100 ms: never idle, so an idle timeout alone would keep it open for ever.
    while (!c.isClosed() && sent < 200) {
      c.send(`X-Slow-${sent}: x\r\n`);
      sent++;
      await sleep(100);
    }
    assert.ok(c.isClosed(), `the connection was closed (after ${sent} header lines)`);
    assert.equal(c.received(), 0, 'no answer: the head never completed');
    assert.ok(sent >= 3, 'it was open and receiving bytes for a while first');
    await waitFor(async () => (await metric(d.base, 'comicbatch_http_refused_total{listener="http",reason="head_timeout"}')) >= 1,
      5000, 'the head timeout to be counted');
  });

  const canary = '/api/v1/admin/batch/jobs/system.canary/run';
  const postHead = (len) => `POST ${canary} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n`
    + `Content-Type: application/json\r\nContent-Length: ${len}\r\n\r\n`;

  test('a request body trickled byte by byte is cut off at the body deadline', async () => {
    const before = await metric(d.base, 'comicbatch_http_refused_total{listener="http",reason="body_timeout"}');
    const heads = await metric(d.base, 'comicbatch_http_refused_total{listener="http",reason="head_timeout"}');
    const body = JSON.stringify({ params: { seconds: 0 } }).padEnd(100, ' '); // 10 s at one byte per 100 ms
    const c = await connect(d.port, '127.0.0.5');
    c.send(postHead(body.length));
    let sent = 0;
    while (!c.isClosed() && sent < body.length) {
      c.send(body[sent]);
      sent++;
      await sleep(100);
    }
    assert.ok(c.isClosed(), `the connection was closed (after ${sent} of ${body.length} body bytes)`);
    assert.equal(c.received(), 0, 'no answer: the body never completed');
    assert.ok(sent >= 3, 'it was open and receiving bytes for a while first');
    await waitFor(async () => (await metric(d.base, 'comicbatch_http_refused_total{listener="http",reason="body_timeout"}')) > before,
      5000, 'the incomplete body to be counted');
    assert.equal(await metric(d.base, 'comicbatch_http_refused_total{listener="http",reason="head_timeout"}'), heads,
      'as a body timeout, not a head timeout');
  });

  test('a slow body that completes within the deadline is served', async () => {
    const body = JSON.stringify({ params: { seconds: 0 } });
    const c = await connect(d.port, '127.0.0.6');
    const res = c.response();
    c.send(postHead(body.length));
    for (let i = 0; i < body.length; i += 8) { // three pieces over about 200 ms
      c.send(body.slice(i, i + 8));
      await sleep(100);
    }
    const r = await res;
    assert.equal(r.status, 202, r.body);
    assert.ok(JSON.parse(r.body).data.id, r.body);
    c.close();
  });

  test('a second daemon on the same address fails to start instead of sharing the port', async () => {
    // The event-loop threads bind with SO_REUSEPORT; without the check another server could join the port.
    // A start that fails must not take work on its way out: before, its workers claimed the queued runs and failed
    // them ("interrupted: instance … shut down") and it took the leadership, before the listen failed.
    const db2 = newDatabase();
    sql(db2, `INSERT INTO system.batchrun (id, jobkey, lockkey, status, triggeredby, timeoutms, createdat)
      SELECT gen_random_uuid(), 'sessions.cleanup', 'q' || i, 'queued', 'admin', 60000, now()
      FROM generate_series(1, 3) i`);
    let second = null;
    try {
      second = await startDaemon(db2, {}, { COMICBATCH_LISTEN: `127.0.0.1:${d.port}` });
    } catch (e) {
      assert.match(e.message, /exited early[\s\S]*address in use/);
    }
    if (second) await second.kill();
    assert.equal(second, null, 'the second daemon must not start');
    assert.equal((await fetch(`${d.base}/healthz`)).status, 200, 'the first one is untouched');
    assert.equal(sqlValue(db2, `SELECT string_agg(DISTINCT status || ':' || (startedat IS NULL), ',')
      FROM system.batchrun`), 'queued:true', 'the queued runs are untouched');
    assert.equal(sqlValue(db2, 'SELECT epoch FROM system.batchleader'), '0', 'it never led');
  });

  test('a port file that cannot be written stops the start, saying why', async () => {
    let started = null;
    try {
      started = await startDaemon(newDatabase(), { server: { port_file: '/nonexistent-dir/port' } });
    } catch (e) {
      assert.match(e.message, /server\.port_file: cannot write \/nonexistent-dir\/port: No such file or directory/);
    }
    if (started) await started.kill();
    assert.equal(started, null, 'the daemon must not start');
  });

  test('an idle kept-alive connection is closed after keepalive_timeout; a prompt client is served', async () => {
    const c = await connect(d.port, '127.0.0.4');
    assert.equal((await c.get('/healthz')).status, 200);
    assert.equal((await c.get('/healthz')).status, 200, 'requests sent promptly on a kept-alive connection are served');
    // The server closes it: nothing else would end this wait, so it is bounded.
    await waitFor(() => c.isClosed(), 10000, 'the idle kept-alive connection to be closed');
  });
});

describe('a full handler pool and a saturated public listener', () => {
  let db, tls, up, d, pub, P;
  const slow = (n) => `/api/v1/covers/by-url?url=${encodeURIComponent(`https://localhost:${P}/delayed.png?ms=4000&n=${n}`)}`;

  before(async () => {
    db = newDatabase();
    tls = makeCert();
    up = await startUpstream(tls, makeImages());
    P = up.port;
    const portFile = join(mkdtempSync(join(tmpdir(), 'cbpub-')), 'port');
    d = await startDaemon(db, {
      server: {
        public_listen: '127.0.0.1:0', public_port_file: portFile, public_handler_threads: 1,
        public_handler_queue: 0, max_connections: 40, head_timeout: '30s', keepalive_timeout: '30s',
      },
      storage: {
        cover_allowed_hosts: `localhost:${P}`, cover_allow_loopback: 'true', cover_ca_file: tls.caFile,
        cover_resolve: `localhost:${P}:127.0.0.1`,
      },
    });
    await waitFor(() => existsSync(portFile), 10000, 'the public port file');
    pub = `http://127.0.0.1:${Number(readFileSync(portFile, 'utf8').trim())}`;
  });
  after(async () => { await up?.close(); await stopClean(d); });

  test('each listener answers only its own routes', async () => {
    assert.equal((await fetch(`${pub}/healthz`)).status, 404, 'health is private');
    assert.equal((await fetch(`${pub}/metrics`)).status, 404, 'metrics are private');
    assert.equal((await fetch(`${pub}/admin/jobs`)).status, 404, 'admin pages are private');
    const adm = await fetch(`${pub}/api/v1/admin/batch/schedule`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(adm.status, 404, 'the admin API is private');
    const img = `/api/v1/covers/by-url?url=${encodeURIComponent(`https://localhost:${P}/a.png`)}`;
    assert.equal((await fetch(pub + img)).status, 200, 'covers are public');
    assert.equal((await fetch(d.base + img)).status, 404, 'and only public');
    assert.equal((await fetch(`${d.base}/healthz`)).status, 200);
    assert.equal((await fetch(`${d.base}/admin/jobs`)).status, 200);
  });

  test('a GET with a body on the public listener is refused before the body is read', async () => {
    const c = await connect(Number(new URL(pub).port), '127.0.0.7');
    const res = c.response();
    const img = `/api/v1/covers/by-url?url=${encodeURIComponent(`https://localhost:${P}/a.png`)}`;
    c.send(`GET ${img} HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc`); // the rest never comes
    const r = await res;
    assert.equal(r.status, 400);
    const body = JSON.parse(r.body);
    assert.equal(body.code, 'VALIDATION_ERROR');
    assert.match(body.error, /GET request takes no body/);
    await waitFor(() => c.isClosed(), 10000, 'the connection to be closed (its body was never read)');
    assert.equal((await fetch(pub + img)).status, 200, 'the same GET without a body is served');
  });

  test('a full handler pool answers 503 with Retry-After at once; cache hits keep being served', async () => {
    const hit = `/api/v1/covers/by-url?url=${encodeURIComponent(`https://localhost:${P}/b.jpg`)}`;
    assert.equal((await fetch(pub + hit)).status, 200, 'b.jpg cached');
    const seen = up.hits('/delayed.png');
    let firstStatus = null;
    const first = fetch(pub + slow(1)).then((r) => { firstStatus = r.status; return r; }); // holds the only thread ~4 s
    await waitFor(() => up.hits('/delayed.png') > seen, 5000, 'the slow fetch to reach the upstream')
      .catch((e) => { throw new Error(`${e.message}; first answered ${firstStatus}; log:\n${d.logs().slice(-3000)}`); });
    const busy = await fetch(pub + slow(3));
    assert.equal(busy.status, 503);
    assert.equal(busy.headers.get('retry-after'), '1');
    const body = await busy.json();
    assert.equal(body.code, 'UNAVAILABLE');
    assert.match(body.error, /busy/);
    const h = await fetch(pub + hit);
    assert.equal(h.status, 200, 'a cache hit never needs the pool');
    assert.equal(Buffer.from(await h.arrayBuffer()).length, 5120);
    assert.equal((await first).status, 200, 'the slow request itself completes');
    const fresh = `/api/v1/covers/by-url?url=${encodeURIComponent(`https://localhost:${P}/delayed.png?ms=0&n=4`)}`;
    assert.equal((await fetch(pub + fresh)).status, 200, 'the pool is free again once the slow one has answered');
    const busyCount = await waitFor(async () => metric(d.base, 'comicbatch_http_refused_total{listener="public",reason="busy"}'),
      5000, 'busy refusals to be counted');
    assert.ok(busyCount >= 1);
  });

  test('a saturated public listener does not block the private one', async () => {
    // Every public connection taken (max_connections 40) and its one handler thread busy.
    const slowOne = fetch(pub + slow(5)).catch(() => null);
    const held = [];
    for (let i = 0; i < 60; i++) {
      const c = await connect(Number(new URL(pub).port), `127.0.1.${1 + (i % 50)}`).catch(() => null);
      if (c) held.push(c);
    }
    const stuck = await fetch(pub + `/api/v1/covers/by-url?url=${encodeURIComponent(`https://localhost:${P}/c.gif`)}`,
      { signal: AbortSignal.timeout(1500) }).then((r) => r.status, (e) => e.name);
    assert.notEqual(stuck, 200, 'the public listener is saturated');
    for (let i = 0; i < 5; i++) {
      assert.equal((await api(d, 'GET', '/api/v1/admin/batch/schedule')).status, 200, 'the admin API answers');
      assert.equal((await fetch(`${d.base}/healthz`)).status, 200, 'health answers');
    }
    held.forEach((c) => c.close());
    await slowOne;
    await waitFor(async () => (await fetch(pub + `/api/v1/covers/by-url?url=${encodeURIComponent(`https://localhost:${P}/c.gif`)}`)
      .catch(() => ({ status: 0 }))).status === 200, 10000, 'the public listener to recover');
  });
});

/** Sends `text` on a fresh connection and resolves with everything the server sent until it closed (or 5 s). */
function rawExchange(port, text) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    const done = () => { clearTimeout(t); sock.destroy(); resolve(buf.toString('latin1')); };
    const t = setTimeout(done, 5000);
    sock.on('data', (x) => { buf = Buffer.concat([buf, x]); });
    sock.on('close', done);
    sock.on('error', () => {});
    sock.on('connect', () => sock.write(text));
  });
}

describe('hostile input: every refusal is the envelope, nothing runs', () => {
  let db;
  let d;
  const A = '/api/v1/admin/batch';
  const runs = () => Number(sqlValue(db, 'SELECT count(*) FROM system.batchrun'));
  const envelope = (res, status, code = 'VALIDATION_ERROR') => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(typeof res.body, 'object', `a JSON envelope: ${res.body}`);
    assert.equal(res.body.code, code);
    assert.equal(typeof res.body.error, 'string');
  };
  before(async () => {
    db = newDatabase();
    sql(db, `INSERT INTO system.batchrun (id, jobkey, lockkey, status, triggeredby, timeoutms, createdat, startedat,
      finishedat) SELECT gen_random_uuid(), 'sessions.cleanup', 'h' || i, 'done', 'admin', 60000, now(), now(), now()
      FROM generate_series(1, 3) i`);
    d = await startDaemon(db, { runs: { scheduler: 'false' } });
  });
  after(async () => { if (d) await stopClean(d); });

  test('a path is percent-decoded once; %00 anywhere or text that is not UTF-8 is a malformed path', async () => {
    // decoded twice before: %2541 was "A", %252e was "."
    let res = await api(d, 'GET', `${A}/jobs/%2541`);
    envelope(res, 404, 'NOT_FOUND');
    assert.equal(res.body.details.jobkey, '%41');
    envelope(await api(d, 'GET', `${A}/jobs/library%252ehasnew`), 404, 'NOT_FOUND');
    assert.equal((await api(d, 'GET', `${A}/jobs/library%2ehasnew`)).status, 200, 'one decoding still happens');
    for (const path of [`${A}/jobs/%00`, '/admin/jobs.html%00.css', `${A}/jobs/%ff`, '/x%ff', `${A}/jobs/a%2`,
      '/api/v1/covers/1%00.jpg']) {
      res = await api(d, 'GET', path);
      envelope(res, 400);
      assert.equal(res.body.error, 'Malformed request path', path);
    }
    envelope(await api(d, 'DELETE', `${A}/jobs/%ff`), 400); // was 500: the message echoed the invalid byte
  });

  test('a query value that holds a NUL or is not UTF-8 is 400 naming it', async () => {
    for (const [q, field] of [['limit=5%00zz', 'limit'], ['jobkey=%ff', 'jobkey'], ['status=%c3', 'status']]) {
      const res = await api(d, 'GET', `${A}/jobs?${q}`);
      envelope(res, 400);
      assert.equal(res.body.details.field, field, q);
    }
    assert.equal((await api(d, 'GET', `${A}/jobs?limit=5&jobkey=sessions.cleanup`)).body.data.length, 3);
  });

  test('error messages with non-ASCII text are always valid UTF-8 envelopes', async () => {
    const key = `x${'é'.repeat(300)}`; // the message cut at 512 bytes fell inside a character: 500 before
    const res = await api(d, 'POST', `${A}/jobs/sessions.cleanup/run`, { raw: `{"${key}":1}` });
    envelope(res, 400);
    assert.ok(res.body.error.startsWith('unknown field "xééé'), res.body.error);
    assert.ok(!res.body.error.includes('\ufffd'), 'cut on a character boundary');
    assert.equal(runs(), 3, 'nothing queued');
  });

  test('405 names the allowed methods in Allow', async () => {
    let res = await api(d, 'DELETE', '/healthz', { token: null });
    envelope(res, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    res = await api(d, 'PUT', `${A}/pause`);
    assert.equal(res.status, 405);
    assert.deepEqual(res.headers.get('allow').split(', ').sort(), ['DELETE', 'GET', 'HEAD', 'POST']);
  });

  test('a head too large for the reply to fit is 431 before dispatch: nothing runs, the client gets the envelope', async () => {
    const before = runs();
    for (const n of [12500, 15000]) { // (past ~15.8 KiB libmicrohttpd answers 431 itself: README, HTTP)
      const res = await api(d, 'POST', `${A}/comics/ratings`, { body: { dryrun: true }, headers: { 'X-Big': 'a'.repeat(n) } });
      envelope(res, 431, 'PAYLOAD_TOO_LARGE');
    }
    assert.equal(runs(), before, 'no run was created');
    const ok = await api(d, 'POST', `${A}/comics/ratings`, { body: { dryrun: true }, headers: { 'X-Big': 'a'.repeat(11000) } });
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    assert.equal(runs(), before + 1);
    // The largest head accepted (found within 64 bytes) still leaves room for our largest reply head, a page with
    // its CSP: a head the server accepts always gets its answer.
    let n = 12288;
    while ((await api(d, 'GET', '/admin/jobz', { token: null, headers: { 'X-Big': 'a'.repeat(n) } })).status === 431) n -= 64;
    const page = await api(d, 'GET', '/admin/jobs', { token: null, headers: { 'X-Big': 'a'.repeat(n) } });
    assert.equal(page.status, 200);
    assert.match(page.body, /<\/html>\s*$/);
  });

  test('two different Content-Length headers are 400 (RFC 9112 §6.3) and nothing runs', async () => {
    const before = runs();
    const body = '{"dryrun":true}';
    const out = await rawExchange(d.port, `POST ${A}/comics/ratings HTTP/1.1\r\nHost: t\r\n` +
      `Authorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
      `Content-Length: 3\r\nConnection: close\r\n\r\n${body}`);
    assert.match(out, /^HTTP\/1\.1 400 /, out);
    const json = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4));
    assert.equal(json.details.field, 'Content-Length');
    assert.equal(runs(), before);
  });

  test('a listen address that is not on this host says so, not "address in use"', async () => {
    await assert.rejects(startDaemon(newDatabase(), {}, { COMICBATCH_LISTEN: '10.9.9.9:8080' }),
      /exited early[\s\S]*cannot listen on 10\.9\.9\.9:8080 \(Cannot assign requested address\)/);
  });
});
