// events.test.mjs — the admin pages' live feed and run lookup over real HTTP: GET /api/v1/admin/batch/events is an
// admin-only text/event-stream whose `runs` events follow a run from queued through running (progress moving) to
// its final status; GET /api/v1/admin/batch/runs/:id returns one run or the 404 envelope; GET /api/v1/admin/routes
// lists the route table.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { ADMIN_TOKEN, api, makeUserSession, newDatabase, sql, startDaemon, waitRun } from './lib.mjs';

let d;
let db;

before(async () => {
  db = newDatabase();
  d = await startDaemon(db);
});

after(async () => { if (d) await d.stop(); });

/** Opens the stream; returns { res, next(pred, ms) } where next resolves with the first `runs` payload matching. */
async function openStream(token = ADMIN_TOKEN) {
  const ctl = new AbortController();
  const res = await fetch(`${d.base}/api/v1/admin/batch/events`, { headers: { Authorization: `Bearer ${token}` }, signal: ctl.signal });
  if (!res.ok) return { res, close: () => ctl.abort() };
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  const events = [];
  const comments = [];
  async function pump() {
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended');
    buf += value;
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const lines = block.split('\n');
      for (const l of lines) if (l.startsWith(':')) comments.push(l);
      const ev = lines.find((l) => l.startsWith('event: '));
      const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (ev && data) events.push({ type: ev.slice(7), data: JSON.parse(data) });
    }
  }
  return {
    res, events, comments,
    close: () => ctl.abort(),
    async next(pred, ms = 15000) {
      const until = Date.now() + ms;
      for (;;) {
        const hit = events.find((e) => e.type === 'runs' && pred(e.data));
        if (hit) { events.splice(0, events.indexOf(hit) + 1); return hit.data; }
        if (Date.now() > until) throw new Error(`no matching runs event in ${ms} ms (saw ${events.length})`);
        await pump();
      }
    },
  };
}

test('events: admin only, text/event-stream, strict headers', async () => {
  const anon = await fetch(`${d.base}/api/v1/admin/batch/events`);
  assert.equal(anon.status, 401);
  assert.equal(anon.headers.get('www-authenticate'), 'Bearer', 'a 401 names the scheme (RFC 6750)');
  assert.equal((await anon.json()).code, 'UNAUTHORIZED');
  const user = makeUserSession(db, 'user');
  const s0 = await openStream(user.token);
  assert.equal(s0.res.status, 403);
  s0.close();

  const s = await openStream();
  assert.equal(s.res.status, 200);
  assert.match(s.res.headers.get('content-type'), /^text\/event-stream/);
  assert.equal(s.res.headers.get('cache-control'), 'no-store');
  assert.equal(s.res.headers.get('x-content-type-options'), 'nosniff');
  const first = await s.next(() => true);
  assert.deepEqual(first, [], 'nothing active yet');
  assert.ok(s.comments.length >= 1, 'the stream opens with a comment at once');
  s.close();
});

test('events: a revoked session or a lost admin role loses the stream within 30 s; reconnecting is refused', async () => {
  const revoked = makeUserSession(db, 'admin');
  const demoted = makeUserSession(db, 'admin');
  const s1 = await openStream(revoked.token);
  const s2 = await openStream(demoted.token);
  assert.equal(s1.res.status, 200);
  assert.equal(s2.res.status, 200);
  await s1.next(() => true);
  await s2.next(() => true);
  sql(db, `UPDATE users.session SET revokedat = now() WHERE userid = '${revoked.userid}'`);
  sql(db, `UPDATE users.account SET role = 'user' WHERE id = '${demoted.userid}'`);
  const t0 = Date.now();
  const ended = async (s) => {
    for (;;) {
      try {
        await s.next(() => false, 40000);
      } catch (e) {
        if (/stream ended/.test(e.message)) return Date.now() - t0;
        throw e;
      }
    }
  };
  const [a, b] = await Promise.all([ended(s1), ended(s2)]);
  assert.ok(a <= 32000 && b <= 32000, `ended after ${a} and ${b} ms`);
  assert.equal((await openStream(revoked.token)).res.status, 401, 'the revoked session cannot reconnect');
  assert.equal((await openStream(demoted.token)).res.status, 403, 'the demoted user cannot reconnect');
  const again = await openStream(); // the admin token still connects
  assert.equal(again.res.status, 200);
  again.close();
});

test('events: a run is followed from queued/running with moving progress to done, then drops off', async () => {
  const s = await openStream();
  await s.next((runs) => runs.length === 0);
  const r = await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { params: { seconds: 3 } } });
  assert.equal(r.status, 202);
  const id = r.body.data.id;
  const mine = (runs) => runs.find((x) => x.id === id);

  const p1 = mine(await s.next((runs) => mine(runs)?.status === 'running' && mine(runs).progressdone > 0));
  assert.equal(p1.jobkey, 'system.canary');
  assert.equal(p1.progresstotal, 3000);
  const p2 = mine(await s.next((runs) => mine(runs)?.progressdone > p1.progressdone));
  assert.ok(p2.progressdone > p1.progressdone, 'progress UPDATEs reach the stream without a NOTIFY');

  const done = mine(await s.next((runs) => mine(runs)?.status === 'done'));
  assert.equal(done.meta.sleptMs, 3000);
  assert.ok(done.finishedat);
  // Recently finished runs stay in the feed for a few seconds, then the list is empty again.
  await s.next((runs) => !mine(runs), 20000);
  s.close();
});

test('events: several open streams do not hold database connections between polls', async () => {
  const streams = await Promise.all(Array.from({ length: 12 }, () => openStream()));
  for (const st of streams) assert.equal(st.res.status, 200);
  await Promise.all(streams.map((st) => st.next(() => true)));
  // The API still answers at once while a dozen streams are open (the pool is far smaller than 12).
  const r = await api(d, 'GET', '/api/v1/admin/batch/schedule');
  assert.equal(r.status, 200);
  const q = await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { params: { seconds: 1 } } });
  assert.equal(q.status, 202);
  await Promise.all(streams.map((st) => st.next((runs) => runs.some((x) => x.id === q.body.data.id))));
  streams.forEach((st) => st.close());
  assert.equal((await waitRun(d, 'system.canary', q.body.data.id)).status, 'done');
});

test('runs/:id: one run, 404 envelope when absent or not a UUID, admin only', async () => {
  const q = await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { params: { seconds: 0 } } });
  assert.equal(q.status, 202);
  const id = q.body.data.id;
  await waitRun(d, 'system.canary', id);
  const r = await api(d, 'GET', `/api/v1/admin/batch/runs/${id}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.data.id, id);
  assert.equal(r.body.data.jobkey, 'system.canary');
  assert.equal(r.body.data.status, 'done');
  assert.deepEqual(r.body.data.params, { seconds: 0, fail: false });

  for (const bad of ['00000000-0000-7000-8000-000000000000', 'not-a-uuid', '%27%3B--']) {
    const nf = await api(d, 'GET', `/api/v1/admin/batch/runs/${bad}`);
    assert.equal(nf.status, 404, bad);
    assert.equal(nf.body.code, 'NOT_FOUND');
  }
  assert.equal((await api(d, 'GET', `/api/v1/admin/batch/runs/${id}`, { token: null })).status, 401);
  assert.ok(!/runstore\.get.*22P02/.test(d.logs()), 'a malformed id is not a database error');
});

test('routes: the route table, admin only', async () => {
  const r = await api(d, 'GET', '/api/v1/admin/routes');
  assert.equal(r.status, 200);
  const set = new Set(r.body.data.map((x) => `${x.method} ${x.path}`));
  for (const want of ['GET /api/v1/admin/batch/events', 'GET /api/v1/admin/batch/runs/:id', 'POST /api/v1/admin/batch/jobs/:jobKey/run', 'GET /healthz']) {
    assert.ok(set.has(want), want);
  }
  assert.equal(r.body.data.find((x) => x.path === '/healthz').admin, false);
  assert.equal((await api(d, 'GET', '/api/v1/admin/routes', { token: null })).status, 401);
});

test('admin pages: served with strict CSP, nosniff, no framing, and no inline script or style', async () => {
  for (const [path, file] of [['/admin', 'maintenance'], ['/admin/', 'maintenance'], ['/admin/jobs', 'jobs'], ['/admin/providers', 'providers']]) {
    const res = await fetch(d.base + path);
    assert.equal(res.status, 200, path);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const html = await res.text();
    assert.match(html, new RegExp(`/admin/js/${file}\\.js`));
    assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), `${path}: no inline <script>`);
    assert.ok(!/\sstyle=|<style/i.test(html), `${path}: no inline style`);
    assert.ok(!/\son[a-z]+=/i.test(html), `${path}: no inline handlers`);
  }
  const js = await fetch(`${d.base}/admin/js/jobs.js`);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  assert.equal((await fetch(`${d.base}/admin/nope.js`)).status, 404);
});

test('events: an open stream ends when the server stops, and the server exits cleanly', async () => {
  const s = await openStream();
  await s.next(() => true);
  const ended = (async () => { try { for (;;) await s.next(() => false, 60000); } catch (e) { return e.message; } })();
  const exit = await d.stop();
  assert.equal(exit.code, 0, `clean exit: ${JSON.stringify(exit)}`);
  assert.match(await ended, /stream ended|terminated|aborted|other side closed/i);
  d = null;
});
