// foundation-schedule.test.mjs — the schedule (seed §6/§7, DESIGN §3): GET /schedule entries, PATCH validation
// (400 naming `cron`, nothing changed, no audit row), a valid PATCH moving nextrunat to the new expression's next fire
// and writing system.auditlog, disabling (nextrunat null), 404 for an unknown job; misfire after downtime (`skip`:
// no run, nextrunat in the future; `once`: exactly one catch-up run for the latest missed slot); and run retention
// at the leader's first tick (old finished runs deleted, newer and active ones kept).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { newDatabase, startDaemon, api, sql, sqlValue, waitFor } from './lib.mjs';
import { assertError, nextMinuteStep, runRows, stopClean } from './foundation-util.mjs';

let db;
let d;

before(async () => {
  db = newDatabase();
  d = await startDaemon(db);
});

after(async () => {
  await stopClean(d);
});

async function entry(jobkey) {
  const r = await api(d, 'GET', '/api/v1/admin/batch/schedule');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.data.find((e) => e.jobkey === jobkey);
}

const audits = (jobkey) => sql(db, `SELECT actor, action, details::text FROM system.auditlog
  WHERE target = '${jobkey}' ORDER BY id`);

describe('GET and PATCH /schedule', () => {
  test('the schedule lists every registered job with the seed\'s fields and default crons', async () => {
    const r = await api(d, 'GET', '/api/v1/admin/batch/schedule');
    assert.equal(r.status, 200);
    const keys = r.body.data.map((e) => e.jobkey);
    for (const k of ['sessions.cleanup', 'announcements.expire', 'system.canary']) assert.ok(keys.includes(k), k);
    const s = r.body.data.find((e) => e.jobkey === 'sessions.cleanup');
    for (const f of ['jobkey', 'description', 'cron', 'isenabled', 'lastrun', 'nextrunat']) assert.ok(f in s, f);
    assert.equal(s.cron, '0 */6 * * *', 'the seed\'s §7 cron');
    assert.equal(s.isenabled, true);
    assert.equal(r.body.data.find((e) => e.jobkey === 'announcements.expire').cron, '5 * * * *');
    const canary = r.body.data.find((e) => e.jobkey === 'system.canary');
    assert.equal(canary.isenabled, false, 'the canary is not scheduled by default');
    assert.equal(canary.nextrunat, null);
  });

  test('an invalid cron → 400 VALIDATION_ERROR naming cron; nothing changes and nothing is audited', async () => {
    const before = await entry('sessions.cleanup');
    const bad = ['61 * * * *', '* * * *', '* * * * * *', 'every hour', '', '*/0 * * * *', '0 0 30 2 *'];
    for (const cron of bad) {
      const r = await api(d, 'PATCH', '/api/v1/admin/batch/schedule/sessions.cleanup', { body: { cron } });
      assertError(r, 400, 'VALIDATION_ERROR', 'cron');
    }
    assertError(await api(d, 'PATCH', '/api/v1/admin/batch/schedule/sessions.cleanup', { body: { cron: 5 } }),
      400, 'VALIDATION_ERROR', 'cron');
    assertError(await api(d, 'PATCH', '/api/v1/admin/batch/schedule/sessions.cleanup',
      { body: { cron: '0 * * * *', isenabled: 'yes' } }), 400, 'VALIDATION_ERROR', 'isenabled');
    assertError(await api(d, 'PATCH', '/api/v1/admin/batch/schedule/sessions.cleanup',
      { body: { cron: '0 * * * *', when: 'now' } }), 400, 'VALIDATION_ERROR', 'when');
    assertError(await api(d, 'PATCH', '/api/v1/admin/batch/schedule/sessions.cleanup', { body: {} }),
      400, 'VALIDATION_ERROR');
    assertError(await api(d, 'PATCH', '/api/v1/admin/batch/schedule/sessions.cleanup',
      { raw: '{"cron":', headers: { 'Content-Type': 'application/json' } }), 400, 'VALIDATION_ERROR');
    assert.deepEqual(await entry('sessions.cleanup'), before, 'the entry is unchanged');
    assert.equal(audits('sessions.cleanup').length, 0, 'no audit row');
  });

  test('a valid cron → nextrunat is the next fire of the new expression, and an audit row exists', async () => {
    const t0 = Date.now();
    const r = await api(d, 'PATCH', '/api/v1/admin/batch/schedule/sessions.cleanup', { body: { cron: '*/7 * * * *' } });
    const t1 = Date.now();
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.data.jobkey, 'sessions.cleanup');
    assert.equal(r.body.data.cron, '*/7 * * * *');
    assert.equal(r.body.data.isenabled, true);
    const next = Date.parse(r.body.data.nextrunat);
    assert.ok([nextMinuteStep(t0, 7), nextMinuteStep(t1, 7)].includes(next),
      `nextrunat ${r.body.data.nextrunat} is the next */7 minute after now`);
    const e = await entry('sessions.cleanup');
    assert.equal(e.cron, '*/7 * * * *');
    assert.equal(e.nextrunat, r.body.data.nextrunat, 'GET /schedule shows the change');
    const stored = sql(db, `SELECT cron, isenabled, (extract(epoch FROM nextrunat) * 1000)::bigint FROM system.batchschedule
      WHERE jobkey = 'sessions.cleanup'`)[0];
    assert.deepEqual(stored, ['*/7 * * * *', 't', String(next)]);
    const a = audits('sessions.cleanup');
    assert.equal(a.length, 1);
    assert.equal(a[0][0], 'admin-token');
    assert.equal(a[0][1], 'batch.schedule.update');
    const details = JSON.parse(a[0][2]);
    assert.equal(details.before.cron, '0 */6 * * *');
    assert.equal(details.after.cron, '*/7 * * * *');
  });

  test('isenabled false → nextrunat null; true again → the next fire; cron null keeps the cron', async () => {
    const off = await api(d, 'PATCH', '/api/v1/admin/batch/schedule/sessions.cleanup', { body: { isenabled: false } });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(off.body.data.isenabled, false);
    assert.equal(off.body.data.nextrunat, null);
    assert.equal(off.body.data.cron, '*/7 * * * *', 'disabling keeps the cron');
    assert.equal(sqlValue(db, `SELECT nextrunat FROM system.batchschedule WHERE jobkey = 'sessions.cleanup'`), null);
    await sleep(1500); // a leader tick: a disabled job must stay without a slot
    assert.equal((await entry('sessions.cleanup')).nextrunat, null);
    const t0 = Date.now();
    const on = await api(d, 'PATCH', '/api/v1/admin/batch/schedule/sessions.cleanup',
      { body: { isenabled: true, cron: null } });
    const t1 = Date.now();
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal(on.body.data.cron, '*/7 * * * *');
    assert.ok([nextMinuteStep(t0, 7), nextMinuteStep(t1, 7)].includes(Date.parse(on.body.data.nextrunat)));
    assert.equal(audits('sessions.cleanup').length, 3, 'every change is audited');
  });

  test('unknown job → 404 NOT_FOUND', async () => {
    assertError(await api(d, 'PATCH', '/api/v1/admin/batch/schedule/no.such.job', { body: { isenabled: false } }),
      404, 'NOT_FOUND');
  });
});

describe('misfire after downtime', () => {
  const janFirst = (y) => Date.UTC(y, 0, 1);
  const scheduled = () => runRows(db, 'system.canary', "triggeredby = 'scheduler'");

  test('skip: a slot missed beyond the grace enqueues nothing and nextrunat moves to the future', async () => {
    const r = await api(d, 'PATCH', '/api/v1/admin/batch/schedule/system.canary',
      { body: { cron: '0 0 1 1 *', isenabled: true } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    sql(db, `UPDATE system.batchschedule SET nextrunat = '2020-01-01T00:00:00Z', misfire = 'skip'
      WHERE jobkey = 'system.canary'`);
    const moved = await waitFor(() => {
      const v = Number(sqlValue(db, `SELECT extract(epoch FROM nextrunat) * 1000 FROM system.batchschedule
        WHERE jobkey = 'system.canary'`));
      return v > Date.now() && v;
    }, 10000, 'the leader to move nextrunat');
    assert.equal(moved, janFirst(new Date().getUTCFullYear() + 1), 'the first slot after now');
    assert.equal(scheduled().length, 0, 'no run for the missed slots');
  });

  test('once: exactly one catch-up run, for the latest missed slot', async () => {
    sql(db, `UPDATE system.batchschedule SET nextrunat = '2020-01-01T00:00:00Z', misfire = 'once'
      WHERE jobkey = 'system.canary'`);
    const runs = await waitFor(() => scheduled().length > 0 && scheduled(), 10000, 'the catch-up run');
    await sleep(2500); // a few more leader ticks must not add another
    const all = scheduled();
    assert.equal(all.length, 1, JSON.stringify(all));
    const year = new Date().getUTCFullYear();
    assert.equal(Date.parse(runs[0].scheduledfor), janFirst(year), 'the latest missed slot, not the stored one');
    assert.equal(Number(sqlValue(db, `SELECT extract(epoch FROM nextrunat) * 1000 FROM system.batchschedule
      WHERE jobkey = 'system.canary'`)), janFirst(year + 1));
    const e = await entry('system.canary');
    assert.equal(e.lastrun?.id, runs[0].id, 'the schedule shows it as the last run');
    assert.equal(e.lastrun.triggeredby, 'scheduler');
    // Stop the 5 s default canary so the file ends quickly.
    await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/cancel', { body: {} });
  });
});

describe('due slots', () => {
  const scheduled = () => runRows(db, 'system.canary', "triggeredby = 'scheduler'");
  const nextRunAt = () => Number(sqlValue(db, `SELECT round(extract(epoch FROM nextrunat) * 1000)
    FROM system.batchschedule WHERE jobkey = 'system.canary'`));

  test('a slot late by less than the grace runs for that very slot', async () => {
    const before = scheduled().length;
    const slot = sqlValue(db, `UPDATE system.batchschedule SET nextrunat = date_trunc('second', now()) - interval '20 s'
      WHERE jobkey = 'system.canary' RETURNING to_char(nextrunat AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`);
    const runs = await waitFor(() => scheduled().length === before + 1 && scheduled(), 10000, 'the slot\'s run');
    assert.equal(runs[before].scheduledfor, slot);
    assert.ok(nextRunAt() > Date.now(), 'nextrunat moved past now');
    await sleep(1500);
    assert.equal(scheduled().length, before + 1, 'once');
    await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/cancel', { body: {} });
    await waitFor(async () => (await api(d, 'GET', '/api/v1/admin/batch/jobs?jobkey=system.canary&status=running'))
      .body.meta.total === 0, 5000, 'the run to end');
  });

  test('a slot that comes while the job still runs is skipped, counted as an overlap, and nextrunat moves on',
    async () => {
      const manual = await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run',
        { body: { params: { seconds: 60 } } });
      assert.equal(manual.status, 202, JSON.stringify(manual.body));
      const before = scheduled().length;
      sql(db, `UPDATE system.batchschedule SET nextrunat = date_trunc('second', now())
        WHERE jobkey = 'system.canary'`);
      await waitFor(() => nextRunAt() > Date.now(), 10000, 'the leader to pass the slot');
      assert.equal(scheduled().length, before, 'no second active run of the job');
      const m = await api(d, 'GET', '/metrics', { token: null });
      assert.match(m.body, /^comicbatch_schedule_overlaps_total\{job="system.canary"\} 1$/m);
      const c = await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/cancel', { body: {} });
      assert.equal(c.body.data.status, 'cancelled');
    });
});

describe('retention', () => {
  test('the leader deletes finished runs older than retention_days and keeps the rest', async () => {
    const rdb = newDatabase();
    // 500 finished runs, one every 4.3 hours back to ~90 days; and one old run that never finished.
    sql(rdb, `INSERT INTO system.batchrun (id, jobkey, lockkey, status, triggeredby, timeoutms, createdat, startedat,
        finishedat, durationms)
      SELECT gen_random_uuid(), (ARRAY['sessions.cleanup','announcements.expire','system.canary'])[i % 3 + 1],
        'gen:' || i, (ARRAY['done','failed','cancelled'])[i % 3 + 1], 'scheduler', 60000,
        now() - i * interval '259 minutes', now() - i * interval '259 minutes',
        now() - i * interval '259 minutes' + interval '1 minute', 60000
      FROM generate_series(1, 500) i`);
    sql(rdb, `INSERT INTO system.batchrun (id, jobkey, lockkey, status, triggeredby, timeoutms, createdat)
      VALUES (gen_random_uuid(), 'no.such.job', 'old-queued', 'queued', 'admin', 60000, now() - interval '60 days')`);
    const cutoffMin = 20 * 24 * 60; // retention_days = 20
    const keep = [...Array(500).keys()].map((k) => k + 1).filter((i) => i * 259 - 1 < cutoffMin - 5).length;
    const r = await startDaemon(rdb, { runs: { retention_days: 20 } });
    try {
      await waitFor(() => Number(sqlValue(rdb, `SELECT count(*) FROM system.batchrun WHERE lockkey LIKE 'gen:%'
        AND finishedat < now() - interval '20 days'`)) === 0, 15000, 'retention to run');
      assert.equal(Number(sqlValue(rdb, "SELECT count(*) FROM system.batchrun WHERE lockkey LIKE 'gen:%'")), keep,
        'every run finished within 20 days is kept');
      assert.equal(Number(sqlValue(rdb, "SELECT count(*) FROM system.batchrun WHERE lockkey = 'old-queued'")), 1,
        'a run that never finished is not retention\'s to delete');
    } finally {
      await stopClean(r);
    }
  });
});
