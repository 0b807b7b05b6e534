// analytics.flush_counters through the real daemon, Redis and Postgres: dry run changes nothing; a flush moves every
// well-formed counter into core.comic/core.chapter exactly (per id), counts ids that no longer exist instead of
// failing, leaves malformed keys and non-integer values alone, records its flush id in system.flushledger and
// drops its staging list; views INCRBY'd while a flush runs are neither lost nor counted twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { newDatabase, startDaemon, api, psqlSession, sql, sqlValue, waitRun } from './lib.mjs';
import { redisConnect, redisUrlFor, scanKeys } from './redis_resp.mjs';

const DB = 11; // this file's Redis database
let dbUrl, d, r;

function rng(seed) { // deterministic: a failure reproduces
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

before(async () => {
  dbUrl = newDatabase();
  sql(dbUrl, `INSERT INTO core.comic (id, title, slug) SELECT g, 'Comic ' || g, 'comic-' || g
              FROM generate_series(1, 2000) g`);
  sql(dbUrl, `INSERT INTO core.chapter (id, comicid, number) SELECT g, 1 + (g - 1) / 10, (g - 1) % 10 + 1
              FROM generate_series(1, 20000) g`);
  r = await redisConnect(DB);
  await r.cmd('FLUSHDB');
  d = await startDaemon(dbUrl, {}, { COMICBATCH_REDIS_URL: redisUrlFor(DB) });
});

after(async () => {
  await d?.stop();
  await r?.cmd('FLUSHDB');
  r?.close();
});

async function flush(body = {}) {
  const res = await api(d, 'POST', '/api/v1/admin/batch/analytics/flush-counters', { body });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.equal(res.body.data.jobkey, 'analytics.flush_counters');
  return waitRun(d, 'analytics.flush_counters', res.body.data.id, 60000);
}

function viewMap(table) {
  return new Map(sql(dbUrl, `SELECT id, viewcount FROM ${table} WHERE viewcount <> 0`).map(([id, v]) => [Number(id), Number(v)]));
}

/** Writes random counters with INCRBY (several increments per key); returns the expected maps. */
async function writeCounters(rand, comics, chapters) {
  const want = { comic: new Map(), chapter: new Map() };
  const pending = [];
  for (const [kind, n, max] of [['comic', comics, 2000], ['chapter', chapters, 20000]]) {
    for (let i = 0; i < n; i++) {
      const id = 1 + Math.floor(rand() * max);
      const by = 1 + Math.floor(rand() * 500);
      want[kind].set(id, (want[kind].get(id) || 0) + by);
      pending.push(r.cmd('INCRBY', `${kind}:${id}:views`, by));
    }
  }
  await Promise.all(pending);
  return want;
}

test('dry run reports what would be flushed and changes nothing', async () => {
  const want = await writeCounters(rng(1), 300, 2000);
  const before = (await scanKeys(r, '*')).length;
  const run = await flush({ dryrun: true });
  assert.equal(run.status, 'done', run.lasterror);
  const total = [...want.comic.values(), ...want.chapter.values()].reduce((a, b) => a + b, 0);
  assert.equal(run.meta.wouldFlush.comicKeys, want.comic.size);
  assert.equal(run.meta.wouldFlush.chapterKeys, want.chapter.size);
  assert.equal(run.meta.wouldFlush.views, total);
  assert.equal(run.meta.totalViewsWritten, 0);
  assert.equal((await scanKeys(r, '*')).length, before, 'Redis untouched');
  assert.equal(sqlValue(dbUrl, 'SELECT sum(viewcount) FROM core.comic') | 0, 0);
  assert.equal(sqlValue(dbUrl, 'SELECT sum(viewcount) FROM core.chapter') | 0, 0);
  assert.equal(sqlValue(dbUrl, 'SELECT count(*) FROM system.flushledger'), '0');
});

test('a flush applies every counter exactly, per id, and keeps what it must not touch', async () => {
  await r.cmd('FLUSHDB');
  const want = await writeCounters(rng(2), 1500, 12000);
  // Ids that no longer exist, malformed names, a non-integer value and a hash: counted or left, never fatal.
  await r.cmd('INCRBY', 'comic:999999:views', 40);
  await r.cmd('INCRBY', 'chapter:888888:views', 2);
  await r.cmd('SET', 'comic:abc:views', '7');
  await r.cmd('SET', 'comic:1:2:views', '7');
  await r.cmd('SET', 'chapter:5:views', 'not-a-number');
  want.chapter.delete(5);
  await r.cmd('DEL', 'comic:6:views');
  await r.cmd('HSET', 'comic:6:views', 'x', '1');
  want.comic.delete(6);
  await r.cmd('SET', 'comic:7:views', '007'); // not how INCRBY writes a number: left alone
  want.comic.delete(7);
  await r.cmd('SET', 'chapter:9:views', '1234567890123456789'); // 19 digits: refused rather than risk overflow
  want.chapter.delete(9);
  await r.cmd('SET', 'unrelated:key', 'stays');

  const run = await flush();
  assert.equal(run.status, 'done', run.lasterror);
  const m = run.meta;
  assert.equal(m.comicsFlushed, want.comic.size);
  assert.equal(m.chaptersFlushed, want.chapter.size);
  const total = [...want.comic.values(), ...want.chapter.values()].reduce((a, b) => a + b, 0);
  assert.equal(m.totalViewsWritten, total);
  assert.equal(m.unknownComics, 1);
  assert.equal(m.unknownChapters, 1);
  assert.equal(m.viewsDropped, 42);
  assert.equal(m.keysSkipped, 6, 'comic:abc, comic:1:2, chapter:5, comic:6 (a hash), comic:7, chapter:9');
  assert.match(m.flushId, /^[0-9a-f-]{36}$/);
  assert.equal(run.rowsaffected, want.comic.size + want.chapter.size);

  assert.deepEqual(viewMap('core.comic'), want.comic);
  assert.deepEqual(viewMap('core.chapter'), want.chapter);
  const left = (await scanKeys(r, '*')).sort();
  assert.deepEqual(left, ['chapter:5:views', 'chapter:9:views', 'comic:1:2:views', 'comic:6:views', 'comic:7:views',
    'comic:abc:views', 'unrelated:key']);
  assert.equal(await r.cmd('GET', 'comic:7:views'), '007');
  assert.equal(await r.cmd('GET', 'chapter:5:views'), 'not-a-number');
  const ledger = sql(dbUrl, 'SELECT id, comics, chapters, views, unknownids, recovered FROM system.flushledger');
  assert.deepEqual(ledger, [[m.flushId, String(want.comic.size), String(want.chapter.size), String(total), '2', 'f']]);

  const again = await flush();
  assert.equal(again.status, 'done');
  assert.equal(again.meta.totalViewsWritten, 0);
  assert.equal(again.meta.flushId, null);
  assert.deepEqual(viewMap('core.comic'), want.comic, 'a second flush adds nothing');
});

test('views counted while a flush runs are neither lost nor doubled', async () => {
  await r.cmd('FLUSHDB');
  sql(dbUrl, 'UPDATE core.comic SET viewcount = 0 WHERE viewcount <> 0; UPDATE core.chapter SET viewcount = 0 WHERE viewcount <> 0');
  const want = await writeCounters(rng(3), 2000, 20000);
  let written = [...want.comic.values(), ...want.chapter.values()].reduce((a, b) => a + b, 0);
  const res = await api(d, 'POST', '/api/v1/admin/batch/analytics/flush-counters', { body: {} });
  assert.equal(res.status, 202);
  // Keep incrementing (pipelined bursts on random keys) until the flush has finished.
  const rand = rng(4);
  let running = true, flushes = 1;
  const done = waitRun(d, 'analytics.flush_counters', res.body.data.id, 60000).then((x) => { running = false; return x; });
  while (running) {
    const burst = [];
    for (let i = 0; i < 200; i++) {
      const kind = rand() < 0.3 ? 'comic' : 'chapter';
      const id = 1 + Math.floor(rand() * (kind === 'comic' ? 2000 : 20000));
      burst.push(r.cmd('INCRBY', `${kind}:${id}:views`, 1));
      written++;
    }
    await Promise.all(burst);
  }
  const first = await done;
  assert.equal(first.status, 'done', first.lasterror);
  const second = await flush();
  flushes++;
  assert.equal(second.status, 'done', second.lasterror);
  const inPg = Number(sqlValue(dbUrl, 'SELECT sum(viewcount) FROM core.comic')) +
    Number(sqlValue(dbUrl, 'SELECT sum(viewcount) FROM core.chapter'));
  assert.equal(inPg, written, `after ${flushes} flushes`);
  assert.equal(first.meta.totalViewsWritten + second.meta.totalViewsWritten, written);
  assert.deepEqual(await scanKeys(r, '*'), []);
});

test('bad params and the generic endpoint', async () => {
  const bad = await api(d, 'POST', '/api/v1/admin/batch/analytics/flush-counters', { body: { dryrun: 'yes' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'VALIDATION_ERROR');
  const unknown = await api(d, 'POST', '/api/v1/admin/batch/analytics/flush-counters', { body: { limit: 5 } });
  assert.equal(unknown.status, 400);
  assert.match(JSON.stringify(unknown.body), /limit/);
  const sched = await api(d, 'GET', '/api/v1/admin/batch/schedule');
  const entry = sched.body.data.find((e) => e.jobkey === 'analytics.flush_counters');
  assert.equal(entry.cron, '0 * * * *');
  assert.equal(entry.isenabled, true);
});

test('in a lock cycle with a platform transaction the flush yields: the platform commits, the flush applies once', async () => {
  // P (the platform) holds chapter C, Q holds comic MID. The flush's page locks comic LOW and waits on MID; P then
  // updates LOW (waits on the flush) and Q commits; the flush would wait on C (P's). P began to wait first, so P's
  // deadlock check (deadlock_timeout, 1 s) would abort the platform's transaction. The flush waits at most 200 ms
  // for a lock, rolls back whole (its locks released) and applies its staging list again until it gets through.
  await r.cmd('FLUSHDB');
  const [LOW, MID, C] = [1001, 1002, 15001];
  const views = () => sql(dbUrl, `SELECT (SELECT viewcount FROM core.comic WHERE id = ${LOW}),
    (SELECT viewcount FROM core.comic WHERE id = ${MID}), (SELECT viewcount FROM core.chapter WHERE id = ${C})`)[0].map(Number);
  const before = views();
  await r.cmd('INCRBY', `comic:${LOW}:views`, 7);
  await r.cmd('INCRBY', `comic:${MID}:views`, 11);
  await r.cmd('INCRBY', `chapter:${C}:views`, 13);
  const P = psqlSession(dbUrl);
  const Q = psqlSession(dbUrl);
  let run;
  try {
    await P.step(`BEGIN; UPDATE core.chapter SET viewcount = viewcount WHERE id = ${C}`);
    await Q.step(`BEGIN; UPDATE core.comic SET viewcount = viewcount WHERE id = ${MID}`);
    const res = await api(d, 'POST', '/api/v1/admin/batch/analytics/flush-counters', { body: {} });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await sleep(600); // the flush has locked LOW and waits on MID (or is between two tries)
    P.send(`UPDATE core.comic SET viewcount = viewcount WHERE id = ${LOW}`);
    await sleep(300);
    await Q.step('COMMIT');
    await sleep(1500); // past deadlock_timeout after P began to wait
    await P.step('COMMIT');
    assert.doesNotMatch(P.err, /deadlock/, 'the platform transaction was not aborted');
    assert.equal(await P.end(), 0, P.err);
    assert.equal(await Q.end(), 0, Q.err);
    run = await waitRun(d, 'analytics.flush_counters', res.body.data.id, 60000);
    assert.equal(run.status, 'done', run.lasterror);
    assert.equal(run.meta.totalViewsWritten, 31);
  } finally {
    await P.end().catch(() => {});
    await Q.end().catch(() => {});
  }
  assert.deepEqual(views(), [before[0] + 7, before[1] + 11, before[2] + 13], 'applied exactly once');
  // Applied again by this run under its own flush id (not left to a later run's recovery).
  assert.deepEqual(sql(dbUrl, `SELECT views, recovered FROM system.flushledger WHERE id = '${run.meta.flushId}'`),
    [['31', 'f']]);
  assert.deepEqual(await scanKeys(r, '*'), []);
});
