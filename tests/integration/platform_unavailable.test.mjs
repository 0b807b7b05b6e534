// Jobs that cannot run are unavailable, not failing (README audit findings 4 and 9):
//  - a job whose required setting is missing (metadata.dump_refresh without the active provider's `[provider.dump]
//    dump`) is "not configured": doctor lists it with the INI lines to add and still exits 0; serve shows it
//    unavailable with a reason naming the section and key, does not schedule it (its slot goes to the missed-slot
//    ledger), gives it no default deadline, and refuses its triggers with 503 UNAVAILABLE; configured, it runs;
//  - a column dropped while serve runs: the run that meets it fails once, and that failure re-checks the job's
//    contract at once, so the very next trigger answers 503 UNAVAILABLE naming the column (not a minute later), and
//    no retry is queued; the view-counter flush (its own transaction code) does the same and keeps every view in
//    Redis for the run after the fix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_ROLE, api, cli, newDatabase, sql, sqlValue, startDaemon, waitRun } from './lib.mjs';
import { B, dueSince, entry, patch, stored, waitMissed } from './sched-util.mjs';
import { jsonLines, providerRecord } from './providers-util.mjs';
import { redisConnect, redisUrlFor, scanKeys } from './redis_resp.mjs';

const JOB = 'metadata.dump_refresh';
let dbUrl, d, dir;

before(() => {
  dbUrl = newDatabase();
  dir = mkdtempSync(join(tmpdir(), 'cb-unavail-'));
});
after(async () => { await d?.stop(); });

const runsOf = (jobkey) => Number(sqlValue(dbUrl, `SELECT count(*) FROM system.batchrun WHERE jobkey = '${jobkey}'`));

test('doctor: a job without its provider section is "not configured", with the INI lines to add; exit 0', () => {
  const doc = cli(dbUrl, ['doctor']);
  assert.equal(doc.status, 0, doc.out + doc.err);
  assert.match(doc.out, /^\s+not configured\s+metadata\.dump_refresh$/m);
  assert.match(doc.out, /\[provider\.dump\] dump is not set \(no \[provider\.dump\] section\)/);
  assert.match(doc.out, /13 of 14 enabled jobs can run; 1 not configured/);
  assert.doesNotMatch(doc.out, /UNAVAILABLE|fix the findings above/);

  // The printed lines are the fix: put them in a config file (the dump itself must exist for the run, not for doctor).
  const block = doc.out.split('\n').map((l) => l.trim());
  const at = block.indexOf('[provider.dump]');
  assert.ok(at > 0, doc.out);
  assert.match(block[at + 1], /^dump = \S+/);
  const cfg = join(dir, 'fixed.ini');
  writeFileSync(cfg, `${block[at]}\n${block[at + 1]}\n`);
  const fixed = cli(dbUrl, ['--config', cfg, 'doctor']);
  assert.equal(fixed.status, 0, fixed.out + fixed.err);
  assert.match(fixed.out, /14 of 14 enabled jobs can run\n/);
  assert.doesNotMatch(fixed.out, /not configured/);

  // A database problem still fails the exit code next to a job that is only not configured.
  sql(dbUrl, `REVOKE DELETE ON users.session FROM ${APP_ROLE}`);
  const bad = cli(dbUrl, ['doctor']);
  assert.equal(bad.status, 1, bad.out);
  assert.match(bad.out, /12 of 14 enabled jobs can run; 1 not configured .*; fix the findings above/);
  sql(dbUrl, `GRANT DELETE ON users.session TO ${APP_ROLE}`);

  // migrate says it too, in its own words.
  const m = cli(dbUrl, ['migrate']);
  assert.equal(m.status, 0, m.err);
  assert.match(m.out, /not configured: metadata\.dump_refresh: \[provider\.dump\] dump is not set/);
});

test('serve without [provider.dump]: unavailable with the reason, not scheduled, no deadline, triggers refused', async () => {
  d = await startDaemon(dbUrl);
  const schedule = (await api(d, 'GET', `${B}/schedule`)).body.data;
  assert.deepEqual(schedule.filter((e) => !e.available).map((e) => e.jobkey), [JOB]);
  const e = schedule.find((x) => x.jobkey === JOB);
  assert.match(e.unavailableReason, /^\[provider\.dump\] dump is not set \(no \[provider\.dump\] section\)/);
  assert.equal(e.isenabled, true, 'still enabled: it runs once configured');
  assert.equal(e.deadline, null, 'no default deadline for a job that is not configured');
  assert.notEqual(schedule.find((x) => x.jobkey === 'sessions.cleanup').deadline, null, 'the others keep theirs');

  const refused = await api(d, 'POST', `${B}/jobs/${JOB}/run`, { body: {} });
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.equal(refused.body.code, 'UNAVAILABLE');
  assert.match(refused.body.error, /^Job metadata\.dump_refresh is not configured: \[provider\.dump\] dump is not set/);
  assert.equal(refused.body.details.jobkey, JOB);
  assert.equal(refused.body.details.configured, false);
  assert.match(refused.body.details.missing[0].fix, /^\[provider\.dump\]\ndump = /m);
  assert.equal(runsOf(JOB), 0);

  // Its due slot goes to the missed-slot ledger as `unavailable`, naming the setting; nothing is enqueued.
  const slot = dueSince(dbUrl, JOB, 3);
  const row = await waitMissed(d, JOB, 'unavailable');
  assert.match(row.detail, /\[provider\.dump\] dump is not set/);
  assert.equal(stored(dbUrl, 'nextrunat', JOB), slot, 'nothing fired: the slot stays');
  assert.equal(runsOf(JOB), 0);
  assert.match(d.logs(), /msg="job not configured: unavailable until its settings are added[^"]*" job=metadata\.dump_refresh/);
  sql(dbUrl, `UPDATE system.batchschedule SET nextrunat = now() + interval '1 day' WHERE jobkey = '${JOB}'`);
  await d.stop();
  d = null;
});

test('serve with [provider.dump]: available, with its deadline, and it runs', async () => {
  const dump = join(dir, 'dump.jsonl');
  writeFileSync(dump, jsonLines([providerRecord('dump', 1), providerRecord('dump', 2)]));
  d = await startDaemon(dbUrl, { 'provider.dump': { dump } });
  const e = await entry(d, JOB);
  assert.equal(e.available, true, e.unavailableReason);
  assert.notEqual(e.deadline, null);
  const r = await api(d, 'POST', `${B}/jobs/${JOB}/run`, { body: {} });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const run = await waitRun(d, JOB, r.body.data.id);
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.inserted, 2);
});

/**
 * With `column` of `table` dropped under `job` (its availability checked before the drop): a trigger is accepted
 * (the last check predates the drop), its run fails on the column (`lasterror` matching `error`) and re-checks the
 * contract, so the next trigger answers 503 UNAVAILABLE naming the column and its fix; no retry is queued.
 */
async function failsOnceThenUnavailable(job, table, column, error) {
  const first = await api(d, 'POST', `${B}/jobs/${job}/run`, { body: {} });
  assert.equal(first.status, 202, 'the last check predates the drop (within its TTL): this one is accepted');
  const failed = await waitRun(d, job, first.body.data.id);
  assert.equal(failed.status, 'failed');
  assert.match(failed.lasterror, error);
  const missing = `column ${table}.${column} is missing`;
  assert.ok(failed.lasterror.includes(`the job is now unavailable until this is fixed: ${missing}`), failed.lasterror);

  const next = await api(d, 'POST', `${B}/jobs/${job}/run`, { body: {} });
  assert.equal(next.status, 503, JSON.stringify(next.body));
  assert.equal(next.body.code, 'UNAVAILABLE');
  assert.ok(next.body.error.includes(`${job} cannot run on this database: ${missing}`), next.body.error);
  assert.equal(next.body.details.configured, true);
  assert.ok(next.body.details.missing[0].fix.includes(`ALTER TABLE ${table} ADD COLUMN ${column}`),
    JSON.stringify(next.body.details));
  const e = await entry(d, job);
  assert.equal(e.available, false);
  assert.ok(e.unavailableReason.includes(missing), e.unavailableReason);
  assert.equal(runsOf(job), 1, 'no retry queued, nothing else ran');
}

test('a column dropped while serve runs: one run fails, the next trigger at once answers 503 naming it', async () => {
  const RJ = 'comics.ratings_recalc';
  assert.equal((await entry(d, RJ)).available, true);
  // A retry policy the failure must not use: the job is unavailable now, a retry would fail the same way.
  await patch(d, RJ, { maxattempts: 3 });
  sql(dbUrl, 'SET ROLE cbplatform; ALTER TABLE core.comic DROP COLUMN ratingbayesian');

  await failsOnceThenUnavailable(RJ, 'core.comic', 'ratingbayesian', /column c\.ratingbayesian does not exist/);
  assert.match(d.logs(), /msg="job unavailable on this database[^"]*" job=comics\.ratings_recalc/);
});

test('the view-counter flush meets a dropped column the same way, and keeps the views it could not apply', async () => {
  const FJ = 'analytics.flush_counters';
  const REDIS_DB = 13; // this file's Redis database
  const r = await redisConnect(REDIS_DB);
  await r.cmd('FLUSHDB');
  await d.stop();
  d = await startDaemon(dbUrl, { runs: { scheduler: false } }, { COMICBATCH_REDIS_URL: redisUrlFor(REDIS_DB) });
  try {
    sql(dbUrl, `SET ROLE cbplatform;
                INSERT INTO core.comic (id, title, slug) SELECT g, 'Flush ' || g, 'flush-' || g FROM generate_series(9001, 9100) g;
                INSERT INTO core.chapter (comicid, number) SELECT 9001 + g % 100, g FROM generate_series(1, 1000) g`);
    const chapters = sql(dbUrl, 'SELECT id FROM core.chapter WHERE comicid > 9000 ORDER BY id').map(([id]) => Number(id));
    let total = 0;
    for (const [i, id] of chapters.entries()) {
      await r.cmd('INCRBY', `chapter:${id}:views`, 1 + (i % 7));
      total += 1 + (i % 7);
    }
    assert.equal((await entry(d, FJ)).available, true);
    sql(dbUrl, 'SET ROLE cbplatform; ALTER TABLE core.chapter DROP COLUMN viewcount');

    await failsOnceThenUnavailable(FJ, 'core.chapter', 'viewcount', /column t\.viewcount does not exist/);
    assert.match(d.logs(), /msg="job unavailable on this database[^"]*" job=analytics\.flush_counters/);

    // Nothing lost: every view is still in Redis, in the counters or in the staging list the next flush re-applies.
    let kept = 0;
    for (const k of await scanKeys(r, 'chapter:*:views')) kept += Number(await r.cmd('GET', k));
    for (const list of await scanKeys(r, 'comicbatch:flush:*')) {
      for (const page of await r.cmd('LRANGE', list, '0', '-1')) {
        const f = String(page).split(' ');
        for (let i = 1; i < f.length; i += 2) kept += Number(f[i]);
      }
    }
    assert.equal(kept, total);
  } finally {
    await r.cmd('FLUSHDB');
    r.close();
  }
});
