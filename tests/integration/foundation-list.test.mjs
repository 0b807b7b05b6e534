// foundation-list.test.mjs — GET /api/v1/admin/batch/jobs and /jobs/:jobKey (seed §6) over 600 generated runs
// spread over 15 days: the filters (jobkey, status, triggeredby, from/to with the 7-day/now defaults), paging
// (page, limit default 50, max 200) with meta.total/pages, newest-first order, 400s naming the bad field, and a run
// created a moment ago being listed. Expected counts come from the generating formulas, not from the daemon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newDatabase, startDaemon, api, sql, sqlValue, waitRun } from './lib.mjs';
import { trigger, assertError, stopClean } from './foundation-util.mjs';

const N = 600;
const STEP_MIN = 37; // run i was created i × 37 minutes before T0
const JOBS = ['sessions.cleanup', 'announcements.expire', 'system.canary'];
const STATUSES = ['done', 'failed', 'cancelled'];
const TRIGGERS = ['admin', 'scheduler'];
const gen = [...Array(N).keys()].map((k) => {
  const i = k + 1;
  return { i, jobkey: JOBS[i % 3], status: STATUSES[Math.floor(i / 3) % 3], triggeredby: TRIGGERS[Math.floor(i / 9) % 2] };
});

let db;
let d;
let T0; // epoch ms of the generating transaction

before(async () => {
  db = newDatabase();
  sql(db, `INSERT INTO system.batchrun (id, jobkey, lockkey, status, triggeredby, timeoutms, createdat, startedat,
      finishedat, durationms, rowsaffected, meta)
    SELECT gen_random_uuid(), (ARRAY['${JOBS.join("','")}'])[i % 3 + 1], 'gen:' || i,
      (ARRAY['${STATUSES.join("','")}'])[(i / 3) % 3 + 1], (ARRAY['${TRIGGERS.join("','")}'])[(i / 9) % 2 + 1], 60000,
      now() - i * interval '${STEP_MIN} minutes', now() - i * interval '${STEP_MIN} minutes',
      now() - i * interval '${STEP_MIN} minutes' + interval '2 seconds', 2000, i, jsonb_build_object('gen', i)
    FROM generate_series(1, ${N}) i`);
  T0 = Number(sqlValue(db, `SELECT round(extract(epoch FROM max(createdat) + interval '${STEP_MIN} minutes') * 1000)
    FROM system.batchrun WHERE lockkey LIKE 'gen:%'`));
  // No scheduler: the leader would enqueue real slots of the default schedule into the counts.
  d = await startDaemon(db, { runs: { scheduler: 'false' } });
});

after(async () => {
  await stopClean(d);
});

const createdAt = (i) => T0 - i * STEP_MIN * 60000;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const DAY = 86400000;

async function list(query) {
  const r = await api(d, 'GET', `/api/v1/admin/batch/jobs${query}`);
  assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
  return r.body;
}

function expectPage(body, rows, page, limit) {
  assert.equal(body.meta.total, rows.length, 'meta.total');
  assert.equal(body.meta.page, page);
  assert.equal(body.meta.limit, limit);
  assert.equal(body.meta.pages, Math.ceil(rows.length / limit), 'meta.pages');
  const want = rows.slice((page - 1) * limit, page * limit).map((g) => g.i);
  assert.deepEqual(body.data.map((x) => x.meta.gen), want, 'the page holds the expected runs, newest first');
}

test('defaults: the last 7 days, newest first, 50 per page, with the BatchJobRun fields', async () => {
  const body = await list('');
  const rows = gen.filter((g) => createdAt(g.i) >= Date.now() - 7 * DAY);
  expectPage(body, rows, 1, 50);
  const fields = ['id', 'jobkey', 'status', 'triggeredby', 'triggeredbyuserid', 'startedat', 'finishedat',
    'durationms', 'rowsaffected', 'lasterror', 'meta', 'createdat'];
  for (const f of fields) assert.ok(f in body.data[0], `field ${f}`);
  const first = gen.find((g) => g.i === body.data[0].meta.gen);
  assert.equal(body.data[0].jobkey, first.jobkey);
  assert.equal(body.data[0].status, first.status);
  assert.equal(body.data[0].triggeredby, first.triggeredby);
  assert.equal(body.data[0].durationms, 2000);
});

test('filters: jobkey, status, triggeredby, alone and together', async () => {
  const week = gen.filter((g) => createdAt(g.i) >= Date.now() - 7 * DAY);
  for (const jobkey of JOBS) {
    expectPage(await list(`?jobkey=${jobkey}&limit=200`), week.filter((g) => g.jobkey === jobkey), 1, 200);
  }
  for (const status of STATUSES) {
    expectPage(await list(`?status=${status}&limit=200`), week.filter((g) => g.status === status), 1, 200);
  }
  for (const t of TRIGGERS) {
    expectPage(await list(`?triggeredby=${t}&limit=200`), week.filter((g) => g.triggeredby === t), 1, 200);
  }
  const combo = week.filter((g) => g.jobkey === 'system.canary' && g.status === 'failed' && g.triggeredby === 'admin');
  assert.ok(combo.length > 0);
  expectPage(await list('?jobkey=system.canary&status=failed&triggeredby=admin'), combo, 1, 50);
  expectPage(await list('?status=queued'), [], 1, 50);
  expectPage(await list('?jobkey=no.such.job'), [], 1, 50);
});

test('from/to select by creation time; from alone runs to now; to alone starts 7 days back', async () => {
  const from = T0 - 10 * DAY;
  const to = T0 - 2 * DAY;
  const between = gen.filter((g) => createdAt(g.i) >= from && createdAt(g.i) <= to);
  assert.ok(between.length > 100);
  expectPage(await list(`?from=${iso(from)}&to=${iso(to)}&limit=200`), between, 1, 200);
  expectPage(await list(`?from=${iso(from)}&to=${iso(to)}&limit=200&page=2`), between, 2, 200);
  expectPage(await list(`?from=${iso(from)}&limit=200&page=2`), gen.filter((g) => createdAt(g.i) >= from), 2, 200);
  expectPage(await list(`?to=${iso(to)}`),
    gen.filter((g) => createdAt(g.i) <= to && createdAt(g.i) >= Date.now() - 7 * DAY), 1, 50);
  const day = new Date(T0 - 12 * DAY).toISOString().slice(0, 10); // a bare date is its midnight, UTC
  const midnight = Date.parse(`${day}T00:00:00Z`);
  expectPage(await list(`?from=${day}&to=${iso(to)}&limit=200`),
    gen.filter((g) => createdAt(g.i) >= midnight && createdAt(g.i) <= to), 1, 200);
  expectPage(await list('?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z'), [], 1, 50);
});

test('paging: every page of the week, limit up to 200, a page past the end is empty with the right total', async () => {
  const week = gen.filter((g) => createdAt(g.i) >= Date.now() - 7 * DAY);
  const limit = 40;
  const pages = Math.ceil(week.length / limit);
  const seen = [];
  for (let p = 1; p <= pages; p++) {
    const body = await list(`?limit=${limit}&page=${p}`);
    expectPage(body, week, p, limit);
    seen.push(...body.data.map((x) => x.id));
  }
  assert.equal(new Set(seen).size, week.length, 'pages neither overlap nor skip');
  const past = await list(`?limit=${limit}&page=${pages + 3}`);
  assert.deepEqual(past.data, []);
  assert.equal(past.meta.total, week.length);
  assert.equal(past.meta.pages, pages);
  expectPage(await list('?limit=200'), week, 1, 200);
});

test('bad query values → 400 VALIDATION_ERROR naming the field', async () => {
  const cases = [
    ['limit=201', 'limit'], ['limit=0', 'limit'], ['limit=-5', 'limit'], ['limit=ten', 'limit'], ['limit=', 'limit'],
    ['limit=50x', 'limit'], ['page=0', 'page'], ['page=x', 'page'], ['page=1.5', 'page'],
    ['status=finished', 'status'], ['status=DONE', 'status'], ['triggeredby=cron', 'triggeredby'],
    ['from=yesterday', 'from'], ['from=2026-02-30T00:00:00Z', 'from'], ['to=2026-13-01', 'to'], ['to=12:00', 'to'],
    ['from=2026-02-22T00:00:00Z&to=2026-02-21T00:00:00Z', 'from'],
    // not UTF-8 (22021 from PostgreSQL: 500 before), a NUL (cut there: 5 before), spaces or a sign before digits
    ['jobkey=%ff', 'jobkey'], ['status=d%c3', 'status'], ['limit=5%00zz', 'limit'], ['limit=%205', 'limit'],
    ['limit=+5', 'limit'], ['page=99999999999999999999', 'page'],
  ];
  for (const [q, field] of cases) {
    assertError(await api(d, 'GET', `/api/v1/admin/batch/jobs?${q}`), 400, 'VALIDATION_ERROR', field);
  }
  assertError(await api(d, 'GET', '/api/v1/admin/batch/jobs/system.canary?limit=1000'), 400, 'VALIDATION_ERROR',
    'limit');
});

test('GET /jobs/:jobKey: that job\'s whole retained history, with status and paging; 404 for an unknown key', async () => {
  const all = gen.filter((g) => g.jobkey === 'announcements.expire');
  const r = await api(d, 'GET', '/api/v1/admin/batch/jobs/announcements.expire?limit=200');
  assert.equal(r.status, 200);
  expectPage(r.body, all, 1, 200);
  const failed = all.filter((g) => g.status === 'failed');
  const f = await api(d, 'GET', '/api/v1/admin/batch/jobs/announcements.expire?status=failed&limit=7&page=2');
  expectPage(f.body, failed, 2, 7);
  assertError(await api(d, 'GET', '/api/v1/admin/batch/jobs/no.such.job'), 404, 'NOT_FOUND');
  assertError(await api(d, 'GET', '/api/v1/admin/batch/jobs/system.canary?status=nope'), 400, 'VALIDATION_ERROR',
    'status');
});

test('a run triggered a moment ago is listed at once (the default `to` is not truncated to the second)', async () => {
  for (let k = 0; k < 5; k++) {
    const q = await trigger(d, 'system.canary', { seconds: 0 });
    const all = await list('?jobkey=system.canary&limit=1');
    assert.equal(all.data[0]?.id, q.id, 'the newest run heads the list');
    const hist = await api(d, 'GET', '/api/v1/admin/batch/jobs/system.canary?limit=1');
    assert.equal(hist.body.data[0]?.id, q.id);
    await waitRun(d, 'system.canary', q.id);
  }
  const admin = await list('?triggeredby=admin&jobkey=system.canary&limit=200');
  assert.equal(admin.meta.total, gen.filter((g) => g.jobkey === 'system.canary' && g.triggeredby === 'admin'
    && createdAt(g.i) >= Date.now() - 7 * DAY).length + 5);
});
