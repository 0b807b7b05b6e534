// Crash tests for analytics.flush_counters (DESIGN §4, exactly once): the daemon is killed with SIGKILL at each step
// of a flush (the test-only hook COMICBATCH_FAULT=flush:<point> raises SIGKILL there), while views keep being
// INCRBY'd; then it is restarted without the hook. Whatever the step, once the restarted daemon has recovered and
// flushed again, the views in Postgres equal the views written to Redis: none lost, none counted twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { newDatabase, startDaemon, api, sql, sqlValue, waitRun, waitFor } from './lib.mjs';
import { redisConnect, redisUrlFor, scanKeys } from './redis_resp.mjs';

const DB = 12;
let r;

before(async () => { r = await redisConnect(DB); });
after(async () => { await r.cmd('FLUSHDB'); r.close(); });

function pgTotal(dbUrl) {
  return Number(sqlValue(dbUrl, 'SELECT coalesce(sum(viewcount), 0) FROM core.comic')) +
    Number(sqlValue(dbUrl, 'SELECT coalesce(sum(viewcount), 0) FROM core.chapter'));
}

/** INCRBYs `n` random counters (pipelined); returns the views written. */
async function incr(n, seed) {
  let s = seed, total = 0;
  const p = [];
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const chapter = s % 4 !== 0;
    const id = 1 + (s % (chapter ? 100000 : 5000));
    const by = 1 + (s % 97);
    total += by;
    p.push(r.cmd('INCRBY', `${chapter ? 'chapter' : 'comic'}:${id}:views`, by));
  }
  await Promise.all(p);
  return total;
}

/** Triggers a flush, retrying while the crashed run still holds the job's lock (until the leader rescues it). */
async function triggerFlush(d) {
  return waitFor(async () => {
    const res = await api(d, 'POST', '/api/v1/admin/batch/analytics/flush-counters', { body: {} });
    if (res.status === 409) return null;
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.data.id;
  }, 30000, 'the crashed run to be rescued');
}

for (const point of ['after_staging', 'after_commit', 'before_drop']) {
  test(`killed at flush:${point}, restarted: every view counted exactly once`, async () => {
    await r.cmd('FLUSHDB');
    const dbUrl = newDatabase();
    sql(dbUrl, `INSERT INTO core.comic (id, title, slug) SELECT g, 'C' || g, 'c-' || g FROM generate_series(1, 5000) g`);
    sql(dbUrl, `INSERT INTO core.chapter (id, comicid, number) SELECT g, 1 + (g - 1) / 20, (g - 1) % 20
                FROM generate_series(1, 100000) g`);
    const env = { COMICBATCH_REDIS_URL: redisUrlFor(DB) };
    // ~70k distinct counters: several SCAN pages, so the flush takes long enough for INCRs to land during it.
    let written = await incr(120000, 7);

    const d1 = await startDaemon(dbUrl, {}, { ...env, COMICBATCH_FAULT: `flush:${point}` });
    const res = await api(d1, 'POST', '/api/v1/admin/batch/analytics/flush-counters', { body: {} });
    assert.equal(res.status, 202);
    // Views keep arriving while the flush runs and after the crash.
    let seed = 100;
    while (!d1.exited()) { written += await incr(300, seed++); await sleep(5); }
    assert.equal(d1.exited().sig, 'SIGKILL', d1.logs());
    assert.match(d1.logs(), new RegExp(`fault injection.*flush:${point}`));
    written += await incr(2000, 999);

    const staging = await scanKeys(r, 'comicbatch:flush:*');
    assert.equal(staging.length, 1, 'the crash left the staging list behind');
    const id = staging[0].split(':')[2];
    const ledger = sqlValue(dbUrl, `SELECT count(*) FROM system.flushledger WHERE id = '${id}'`);
    if (point === 'after_staging') {
      assert.equal(ledger, '0');
      assert.equal(pgTotal(dbUrl), 0, 'nothing was applied before the crash');
    } else {
      assert.equal(ledger, '1', 'the apply committed with its ledger row');
      assert.ok(pgTotal(dbUrl) > 0);
    }

    // Restart: recovery at start applies (after_staging) or only drops (committed) the staging list.
    const d2 = await startDaemon(dbUrl, {}, env);
    try {
      assert.deepEqual(await scanKeys(r, 'comicbatch:flush:*'), [], 'recovered at start');
      assert.equal(sqlValue(dbUrl, `SELECT count(*) FROM system.flushledger WHERE id = '${id}'`), '1');
      const runId = await triggerFlush(d2);
      const run = await waitRun(d2, 'analytics.flush_counters', runId, 60000);
      assert.equal(run.status, 'done', run.lasterror);
      assert.equal(pgTotal(dbUrl), written, 'views in Postgres == views written to Redis');
      assert.deepEqual(await scanKeys(r, '*'), [], 'every counter and staging list consumed');
      const crashed = (await api(d2, 'GET', '/api/v1/admin/batch/jobs/analytics.flush_counters')).body.data
        .find((x) => x.id === res.body.data.id);
      assert.equal(crashed.status, 'failed', 'the killed run was rescued as failed');
    } finally {
      await d2.stop();
    }
  });
}

test('a staging list left by a crash is recovered by the next run too (not only at start)', async () => {
  await r.cmd('FLUSHDB');
  const dbUrl = newDatabase();
  sql(dbUrl, `INSERT INTO core.comic (id, title, slug) SELECT g, 'C' || g, 'c-' || g FROM generate_series(1, 50) g`);
  const d = await startDaemon(dbUrl, {}, { COMICBATCH_REDIS_URL: redisUrlFor(DB) });
  try {
    // Two staging lists as a crashed flusher would leave them: one already applied (id in the ledger), one not
    // (two pages, the same counter in both: summed).
    sql(dbUrl, `INSERT INTO system.flushledger (id) VALUES ('00000000-0000-7000-8000-000000000001')`);
    await r.cmd('RPUSH', 'comicbatch:flush:00000000-0000-7000-8000-000000000001', 'comic:1:views 1000');
    await r.cmd('RPUSH', 'comicbatch:flush:00000000-0000-7000-8000-000000000002', 'comic:2:views 5 comic:3:views 2',
      'comic:3:views 4 comic:oops:views 1');
    await r.cmd('SADD', 'comicbatch:flushes', 'comicbatch:flush:00000000-0000-7000-8000-000000000001',
      'comicbatch:flush:00000000-0000-7000-8000-000000000002');
    await r.cmd('INCRBY', 'comic:2:views', 10);
    const id = await triggerFlush(d);
    const run = await waitRun(d, 'analytics.flush_counters', id);
    assert.equal(run.status, 'done', run.lasterror);
    assert.deepEqual(run.meta.recovered, { flushes: 1, comics: 2, chapters: 0, views: 11 });
    assert.deepEqual(sql(dbUrl, 'SELECT id, viewcount FROM core.comic WHERE viewcount > 0 ORDER BY id'),
      [['2', '15'], ['3', '6']]);
    assert.equal(sqlValue(dbUrl, `SELECT recovered FROM system.flushledger
                                  WHERE id = '00000000-0000-7000-8000-000000000002'`), 't');
    assert.deepEqual(await scanKeys(r, '*'), []);
  } finally {
    await d.stop();
  }
});

test('the daemon start also finds a staging list missing from the registry (keyspace scan)', async () => {
  await r.cmd('FLUSHDB');
  const dbUrl = newDatabase();
  sql(dbUrl, `INSERT INTO core.comic (id, title, slug) SELECT g, 'C' || g, 'c-' || g FROM generate_series(1, 5) g`);
  await r.cmd('RPUSH', 'comicbatch:flush:00000000-0000-7000-8000-0000000000aa', 'comic:4:views 9');
  const d = await startDaemon(dbUrl, {}, { COMICBATCH_REDIS_URL: redisUrlFor(DB) });
  try {
    assert.equal(sqlValue(dbUrl, 'SELECT viewcount FROM core.comic WHERE id = 4'), '9', 'applied before serving');
    assert.deepEqual(await scanKeys(r, '*'), []);
  } finally {
    await d.stop();
  }
});
