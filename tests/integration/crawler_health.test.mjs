// crawler.source_health through the real daemon and Postgres: crawler.job outcomes arrive by NOTIFY (the crawler
// accelerator's trigger, installed in the test template) and are counted once (jobstate.crawler_outcome), failures
// count up, a success resets, the threshold (system.setting crawler.disable_threshold)
// disables the source once with one notification; duplicate notifications count nothing; events sent while no
// daemon listened are caught up at start; the generated outcome stream ends exactly where the seed's per-event
// rule (a model of it below) ends; the manual run recomputes from history; /metrics counts the events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newDatabase, startDaemon, api, sql, sqlValue, waitRun, waitFor } from './lib.mjs';

let d, dbUrl;

const state = (id) => {
  const [fails, enabled, disabledat] = sql(dbUrl,
    `SELECT consecutivefails, isenabled, disabledat IS NOT NULL FROM crawler.source WHERE id = ${id}`)[0];
  return { fails: Number(fails), enabled: enabled === 't', disabled: disabledat === 't' };
};
const notes = (id) => Number(sqlValue(dbUrl, `SELECT count(*) FROM system.notification
  WHERE details->>'kind' = 'crawler.source_disabled' AND (details->>'sourceid')::bigint = ${id}`));
// Outcomes not yet counted: finished jobs with no row in comicbatch's ledger.
const pending = () => Number(sqlValue(dbUrl, `SELECT count(*) FROM crawler.job j WHERE j.status IN ('failed', 'succeeded')
  AND NOT EXISTS (SELECT 1 FROM jobstate.crawler_outcome o WHERE o.jobid = j.id::text)`));

function finish(sourceid, status) { // a crawler job queued then finished, as the crawler does it
  const id = sqlValue(dbUrl, `INSERT INTO crawler.job (sourceid, status, startedat) VALUES (${sourceid}, 'running', now())
                              RETURNING id`);
  sql(dbUrl, `UPDATE crawler.job SET status = '${status}', finishedat = clock_timestamp() WHERE id = ${id}`);
  return id;
}

before(async () => {
  dbUrl = newDatabase();
  sql(dbUrl, `INSERT INTO crawler.source (id, name, baseurl) SELECT g, 'source-' || g, 'https://s' || g || '.example.test'
              FROM generate_series(1, 400) g;
              UPDATE system.setting SET value = '3' WHERE key = 'crawler.disable_threshold'`);
  d = await startDaemon(dbUrl);
});
after(async () => { await d?.stop(); });

test('failures count up, the threshold disables once with one notification, a success resets', async () => {
  finish(1, 'failed');
  finish(1, 'failed');
  await waitFor(() => state(1).fails === 2, 10000, 'two failures counted');
  assert.ok(state(1).enabled);
  finish(1, 'failed');
  await waitFor(() => !state(1).enabled, 10000, 'source 1 disabled');
  assert.deepEqual(state(1), { fails: 3, enabled: false, disabled: true });
  assert.equal(notes(1), 1);
  finish(1, 'failed');
  await waitFor(() => state(1).fails === 4, 10000, 'fourth failure');
  assert.equal(notes(1), 1, 'notified once per disabling');

  finish(2, 'failed');
  finish(2, 'failed');
  finish(2, 'succeeded');
  await waitFor(() => pending() === 0 && state(2).fails === 0 &&
    sqlValue(dbUrl, 'SELECT lastsucceededat IS NOT NULL FROM crawler.source WHERE id = 2') === 't', 10000, 'reset');
  assert.ok(state(2).enabled);
  finish(2, 'failed');
  await waitFor(() => state(2).fails === 1, 10000, 'counting again after the reset');
});

test('a duplicate or replayed notification counts nothing', async () => {
  const id = finish(3, 'failed');
  await waitFor(() => state(3).fails === 1, 10000);
  sql(dbUrl, `SELECT pg_notify('comicbatch_crawler', '${id}'); SELECT pg_notify('comicbatch_crawler', '${id}');
              SELECT pg_notify('comicbatch_crawler', 'garbage')`);
  await new Promise((ok) => setTimeout(ok, 1500));
  assert.equal(state(3).fails, 1);
  // A status change that is not an outcome, or a rewrite of the same status, is no event either.
  sql(dbUrl, `UPDATE crawler.job SET status = 'failed', error = 'again' WHERE id = ${id}`);
  await new Promise((ok) => setTimeout(ok, 500));
  assert.equal(state(3).fails, 1);
});

test('a generated stream of outcomes ends where the seed rule ends; metrics count the events', async () => {
  const metric = async () => {
    const text = (await api(d, 'GET', '/metrics', { token: null })).body;
    const m = /comicbatch_event_recalcs_total\{kind="crawler"\} (\d+)/.exec(text);
    return m ? Number(m[1]) : 0;
  };
  const before = await metric();
  // 12,000 outcomes over sources 11..400 in four statements (many per transaction, interleaved sources), stamped
  // now + g ms the way the crawler stamps finishedat (more than the notification queue holds: the overflow is
  // caught up by the poll over finishedat).
  for (let part = 0; part < 4; part++) {
    sql(dbUrl, `INSERT INTO crawler.job (sourceid, status, createdat, finishedat)
      SELECT 11 + (g * 7919) % 390,
             CASE WHEN get_byte(decode(md5(g::text), 'hex'), 0) < 100 THEN 'failed' ELSE 'succeeded' END,
             now() + g * interval '1 millisecond', now() + g * interval '1 millisecond'
      FROM generate_series(${part * 3000 + 1}, ${(part + 1) * 3000}) g`);
  }
  await waitFor(() => pending() === 0, 20000, 'every event processed');
  // The seed's rule, one outcome at a time in finishing order: fail → ++, success → 0, threshold → disable once.
  const rows = sql(dbUrl, `SELECT sourceid, status FROM crawler.job WHERE sourceid > 10 ORDER BY finishedat, id`);
  const model = new Map();
  for (const [sid, status] of rows) {
    const s = model.get(sid) || { fails: 0, enabled: true, disabled: false };
    s.fails = status === 'failed' ? s.fails + 1 : 0;
    if (s.enabled && s.fails >= 3) { s.enabled = false; s.disabled = true; }
    model.set(sid, s);
  }
  const got = new Map(sql(dbUrl, `SELECT id, consecutivefails, isenabled, disabledat IS NOT NULL FROM crawler.source
                                  WHERE id > 10`).map(([id, f, e, dis]) => [id, { fails: Number(f), enabled: e === 't', disabled: dis === 't' }]));
  assert.deepEqual(got, model);
  const disabled = [...model.values()].filter((s) => s.disabled).length;
  assert.ok(disabled > 50 && disabled < 390, `a realistic mix (${disabled} disabled)`);
  assert.equal(Number(sqlValue(dbUrl, `SELECT count(*) FROM system.notification WHERE details->>'kind' = 'crawler.source_disabled'
    AND (details->>'sourceid')::bigint > 10`)), disabled);
  await waitFor(async () => (await metric()) - before === 12000, 5000, 'metric counts the 12,000 events');
});

test('events sent while no daemon listened are caught up at start', async () => {
  await d.stop();
  finish(4, 'failed');
  finish(4, 'failed');
  finish(4, 'failed');
  assert.equal(state(4).fails, 0);
  d = await startDaemon(dbUrl);
  await waitFor(() => !state(4).enabled, 10000, 'caught up and disabled');
  assert.equal(state(4).fails, 3);
  assert.equal(notes(4), 1);
});

test('manual run: recomputes from history, applies the threshold; dry run; bad params', async () => {
  // Source 5: history fail, success, fail, fail, fail; an admin reset the count by hand meanwhile.
  for (const s of ['failed', 'succeeded', 'failed', 'failed', 'failed']) finish(5, s);
  await waitFor(() => pending() === 0 && !state(5).enabled, 10000);
  sql(dbUrl, `UPDATE crawler.source SET consecutivefails = 0, isenabled = true, disabledat = NULL WHERE id = 5`);
  const run = async (body) => {
    const res = await api(d, 'POST', '/api/v1/admin/batch/jobs/crawler.source_health/run', { body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return waitRun(d, 'crawler.source_health', res.body.data.id);
  };
  const dry = await run({ params: { sourceid: 5 }, dryrun: true });
  assert.equal(dry.status, 'done', dry.lasterror);
  assert.deepEqual([dry.meta.sourcesChecked, dry.meta.wouldUpdate, dry.meta.wouldDisable, dry.meta.threshold], [1, 1, 1, 3]);
  assert.deepEqual(state(5), { fails: 0, enabled: true, disabled: false });

  const real = await run({ params: { sourceid: '5' } });
  assert.equal(real.status, 'done', real.lasterror);
  assert.deepEqual([real.meta.sourcesUpdated, real.meta.sourcesDisabled], [1, 1]);
  assert.deepEqual(state(5), { fails: 3, enabled: false, disabled: true });
  assert.equal(notes(5), 2, 'disabled again: a second notification');
  const again = await run({ params: { sourceid: 5 } });
  assert.equal(again.meta.sourcesUpdated, 0, 'idempotent');

  const missing = await run({ params: { sourceid: 999999 } });
  assert.equal(missing.status, 'failed');
  assert.match(missing.lasterror, /999999 does not exist/);
  for (const params of [{ sourceid: 'abc' }, { sourceid: -1 }, { source: 1 }]) {
    const res = await api(d, 'POST', '/api/v1/admin/batch/jobs/crawler.source_health/run', { body: { params } });
    assert.equal(res.status, 400, JSON.stringify(params));
    assert.match(JSON.stringify(res.body), /source/);
  }
  const entry = (await api(d, 'GET', '/api/v1/admin/batch/schedule')).body.data.find((e) => e.jobkey === 'crawler.source_health');
  assert.equal(entry.isenabled, false, 'event-driven: not scheduled by default');
});
