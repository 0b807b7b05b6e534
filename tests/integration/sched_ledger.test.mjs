// sched_ledger.test.mjs — the missed-slot ledger (issue 13) through the real daemon: a deliberate overlap (a slot
// due while the job's manual run holds its lock key) names the run that held it; a job an operator disabled has its
// would-be slots recorded as `disabled` (one row however many slots), a job disabled by default has none; a
// leaderless gap (the daemon stopped while slots passed) is recorded as `no-leader` with how long the slot waited;
// a slot noticed late while a leader ran is `misfire-skipped`; a stored cron whose zone cannot be loaded is recorded
// as `invalid-schedule` instead of never firing; a slot whose stored params no longer validate is `invalid-params`
// (logged once, the schedule moves on, other jobs keep running, fixed params run again) while a database error
// during the enqueue is no missed slot (the step rolls back and is tried again) until the misfire grace passes, and
// then the `misfire-skipped` row says how often the leader tried and what the database said; each reason is counted
// in /metrics;
// the entry shows the last day's count and latest row; the endpoint pages and refuses bad input.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, newDatabase, sql, sqlValue, startDaemon, waitFor } from './lib.mjs';
import { assertError, metricValue, metrics, runRows, stopClean, trigger, waitStatus } from './foundation-util.mjs';
import { B, dueSince, entry, missed, patch, slotAgo, stored, waitMissed } from './sched-util.mjs';

let db;
let d;
const INI = { runs: { misfire_grace_seconds: 2 }, 'job.announcements.expire': { misfire: 'skip' } };

before(async () => {
  db = newDatabase();
  d = await startDaemon(db, INI);
});

after(async () => {
  await stopClean(d);
});

/** Slots of a "every `step` minutes" cron strictly after `lo` and at or before `hi` (ms). */
function stepSlots(lo, hi, step) {
  const out = [];
  for (let t = Math.floor(lo / 60000) * 60000 + 60000; t <= hi; t += 60000) {
    if (new Date(t).getUTCMinutes() % step === 0) out.push(t);
  }
  return out;
}

describe('reasons', () => {
  test('overlap: the slot due while a manual run holds the job is recorded with that run', async () => {
    await patch(d, 'system.canary', { cron: '*/5 * * * *', isenabled: true });
    const manual = await trigger(d, 'system.canary', { seconds: 60 });
    await waitStatus(d, 'system.canary', manual.id, 'running');
    const slot = dueSince(db, 'system.canary', 0);
    const row = await waitMissed(d, 'system.canary', 'overlap');
    assert.equal(Date.parse(row.firstslot), slot);
    assert.equal(row.lastslot, row.firstslot);
    assert.equal(row.slots, 1);
    assert.match(row.detail, new RegExp(`run ${manual.id} \\(running since .*\\) holds lock key system\\.canary`));
    assert.equal(runRows(db, 'system.canary', "triggeredby = 'scheduler'").length, 0, 'nothing enqueued');
    assert.ok(stored(db, 'nextrunat', 'system.canary') > Date.now(), 'nextrunat moved on');
    assert.equal(metricValue(await metrics(d), 'comicbatch_schedule_missed_total',
      'job="system.canary",reason="overlap"'), 1);
    const e = await entry(d, 'system.canary');
    assert.equal(e.missed.last24h, 1);
    assert.equal(e.missed.latest.reason, 'overlap');
    await api(d, 'POST', `${B}/jobs/system.canary/cancel`, { body: {} });
    await waitStatus(d, 'system.canary', manual.id, 'cancelled');
  });

  test('disabled: an operator-disabled job\'s passing slots are one growing row; a default-disabled job has none',
    async () => {
      await patch(d, 'comics.ratings_recalc', { cron: '*/5 * * * *' });
      const off = await patch(d, 'comics.ratings_recalc', { isenabled: false });
      assert.equal(off.nextrunat, null);
      const mark = stored(db, 'disablednext', 'comics.ratings_recalc');
      assert.ok(mark > Date.now() && new Date(mark).getUTCMinutes() % 5 === 0, 'the would-be next slot is tracked');
      const from = slotAgo(db, 'comics.ratings_recalc', 5, 3, 'disablednext') - 1; // three slots ago
      const row = await waitMissed(d, 'comics.ratings_recalc', 'disabled');
      const want = stepSlots(from, Date.now(), 5);
      assert.ok(want.length >= 3);
      assert.equal(row.slots, want.length, JSON.stringify(row));
      assert.equal(Date.parse(row.firstslot), want[0]);
      assert.equal(Date.parse(row.lastslot), want.at(-1));
      assert.equal(row.detail, 'the job is disabled (by admin-token)');
      assert.ok(stored(db, 'disablednext', 'comics.ratings_recalc') > Date.now(), 'the mark moved past now');
      // A further passing slot extends the same row instead of adding one: take the row's last slot back out of
      // it and make that slot the next one to record again.
      sql(db, `UPDATE system.batchmissed SET lastslot = lastslot - interval '5 min', slots = slots - 1
        WHERE id = ${row.id}`);
      sql(db, `UPDATE system.batchschedule SET disablednext = '${row.lastslot}' WHERE jobkey = 'comics.ratings_recalc'`);
      await waitFor(async () => (await missed(d, 'comics.ratings_recalc'))
        .find((m) => m.id === row.id && m.slots === row.slots && m.lastslot === row.lastslot), 10000, 'the row to grow');
      assert.equal((await missed(d, 'comics.ratings_recalc')).filter((m) => m.reason === 'disabled').length, 1);
      // crawler.source_health is disabled by default: never meant to run, nothing to record.
      assert.equal(stored(db, 'disablednext', 'crawler.source_health'), null);
      assert.deepEqual(await missed(d, 'crawler.source_health'), []);
    });

  test('misfire-skipped: a slot found later than the grace while this leader ran is skipped and recorded', async () => {
    await patch(d, 'announcements.expire', { cron: '* * * * *' });
    await sleep(1000);
    // The reason depends on whether the slot passed under this leadership: a takeover in between (the lease can run
    // out on a starved machine, e.g. under ASan) rightly makes it `no-leader`. Then set the slot again, after it.
    for (let attempt = 1; ; attempt++) {
      await waitFor(() => sqlValue(db, "SELECT now() - takenat > interval '6 s' FROM system.batchleader") === 't',
        20000, 'a leader that took over more than 6 s ago');
      const epoch = sqlValue(db, 'SELECT epoch FROM system.batchleader');
      const slot = dueSince(db, 'announcements.expire', 5); // after this leader started, older than the 2 s grace
      const row = await waitFor(async () => (await missed(d, 'announcements.expire'))
        .find((m) => Date.parse(m.firstslot) === slot), 20000, 'a ledger row for the slot');
      if (row.reason === 'no-leader' && sqlValue(db, 'SELECT epoch FROM system.batchleader') !== epoch && attempt < 3) {
        continue;
      }
      assert.equal(row.reason, 'misfire-skipped', JSON.stringify(row));
      assert.match(row.detail, /past the misfire grace \(2s\); policy skip/);
      assert.equal(runRows(db, 'announcements.expire', `scheduledfor = to_timestamp(${slot / 1000})`).length, 0);
      break;
    }
  });

  test('invalid-schedule: a stored zone that cannot be loaded is recorded once, with the error', async () => {
    sql(db, `UPDATE system.batchschedule SET cron = 'CRON_TZ=Mars/Olympus 0 0 * * *', isenabled = true
      WHERE jobkey = 'comics.counts_recalc'`);
    const slot = dueSince(db, 'comics.counts_recalc', 1);
    const row = await waitMissed(d, 'comics.counts_recalc', 'invalid-schedule');
    assert.equal(Date.parse(row.firstslot), slot);
    assert.match(row.detail, /unknown time zone "Mars\/Olympus"/);
    await sleep(2500); // more ticks: still one row, one log line
    assert.equal((await missed(d, 'comics.counts_recalc')).length, 1);
    assert.equal(d.logs().split('\n').filter((l) => l.includes('the stored cron cannot be used')
      && l.includes('comics.counts_recalc')).length, 1);
    assert.equal(stored(db, 'nextrunat', 'comics.counts_recalc'), slot, 'the slot stays: nothing fires silently');
    await patch(d, 'comics.counts_recalc', { cron: '*/30 * * * *' });
  });
});

describe('a slot whose enqueue is refused or fails', () => {
  const J = 'analytics.anonymize';
  const logged = (what) => d.logs().split('\n').filter((l) => l.includes(what) && l.includes(`job=${J} `)).length;
  const schedulerRuns = (jobkey, fromMs) => runRows(db, jobkey,
    `triggeredby = 'scheduler' AND scheduledfor >= to_timestamp(${fromMs / 1000})`);

  test('invalid-params: stored params that no longer validate are recorded once per slot and the schedule moves on; '
    + 'other jobs keep running; fixed, the next slot runs', async () => {
    const other = 'sessions.cleanup';
    await patch(d, J, { cron: '* * * * *', isenabled: true, scheduledparams: { olderthan: '30d' } });
    await patch(d, other, { cron: '* * * * *', isenabled: true });
    // Valid when stored; then an upgrade narrowing the param's range (or a manual edit) leaves a value the job now
    // refuses: olderthan must be at least 1h.
    sql(db, `UPDATE system.batchschedule SET params = '{"olderthan": "5m"}' WHERE jobkey = '${J}'`);
    const slot = dueSince(db, J, 0);
    const otherSlot = dueSince(db, other, 0);
    const row = await waitMissed(d, J, 'invalid-params', () => true, 20000);
    // Its misfire policy is `once`: a tick late past the grace still tries the latest slot, so that one is recorded.
    assert.ok(Date.parse(row.firstslot) >= slot && Date.parse(row.firstslot) <= Date.now(), JSON.stringify(row));
    assert.match(row.detail, /^the schedule's params do not validate: scheduledparams\.olderthan: .*1h/, row.detail);
    assert.ok(stored(db, 'nextrunat', J) > Date.parse(row.lastslot), 'nextrunat moved past the refused slot');
    assert.equal(stored(db, 'nextrunat', J) % 60000, 0, 'to a slot of the cron');
    await waitFor(() => schedulerRuns(other, otherSlot).length > 0, 20000, `a scheduled run of ${other}`);
    await sleep(3000); // more ticks: no retry of the refused slot, no error loop
    assert.equal(schedulerRuns(J, slot).length, 0, 'nothing enqueued with the refused params');
    const rows = (await missed(d, J)).filter((m) => m.reason === 'invalid-params');
    const slots = rows.reduce((n, m) => n + m.slots, 0);
    assert.ok(slots >= 1 && slots <= 2, JSON.stringify(rows)); // a minute boundary may have passed meanwhile
    assert.equal(logged('reason=invalid-params'), slots, 'one error line per refused slot');
    assert.equal(logged('cannot enqueue a scheduled slot'), 0);
    assert.equal(metricValue(await metrics(d), 'comicbatch_schedule_missed_total',
      `job="${J}",reason="invalid-params"`), slots);
    assert.equal((await entry(d, J)).missed.latest.reason, 'invalid-params');
    // Fixed through the API, the next slot runs with the fixed params.
    await patch(d, J, { scheduledparams: { olderthan: '30d' } });
    const fixed = dueSince(db, J, 0);
    await waitFor(() => schedulerRuns(J, fixed).length > 0, 20000, `a scheduled run of ${J} after the fix`);
    const [run] = schedulerRuns(J, fixed);
    await waitStatus(d, J, run.id, ['done', 'failed'], 60000); // the next test's slot must not overlap it
    const params = JSON.parse(sqlValue(db, `SELECT params::text FROM system.batchrun WHERE id = '${run.id}'`));
    assert.equal(params.olderthan, 30 * 86400000, JSON.stringify(params));
    assert.equal((await missed(d, J)).filter((m) => m.reason === 'invalid-params')
      .reduce((n, m) => n + m.slots, 0), slots, 'no further refusal');
    await patch(d, J, { cron: '0 0 1 1 *' }); // quiet for the rest of the file
    await patch(d, other, { cron: '0 0 1 1 *' });
  });

  test('a database error while enqueueing is not a missed slot: the step rolls back and the slot is tried again',
    async () => {
      await patch(d, J, { cron: '* * * * *' });
      // The insert of J's run fails in the database (as a statement error on a lost connection would): a failure
      // of the attempt, not of the slot.
      sql(db, `CREATE FUNCTION public.test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'test: insert refused'; END $$`);
      sql(db, `CREATE TRIGGER test_refuse BEFORE INSERT ON system.batchrun FOR EACH ROW
        WHEN (NEW.jobkey = '${J}') EXECUTE FUNCTION public.test_refuse()`);
      const before = (await missed(d, J)).length;
      const slot = dueSince(db, J, 0);
      try {
        await waitFor(() => logged('cannot enqueue a scheduled slot') >= 2, 20000, 'the slot to be tried again');
        assert.ok(logged('test: insert refused') >= 2, 'each failure is logged with what the database said');
        assert.equal(stored(db, 'nextrunat', J), slot, 'nextrunat rolled back with the step');
        assert.equal((await missed(d, J)).length, before, 'nothing recorded');
      } finally {
        sql(db, 'DROP TRIGGER test_refuse ON system.batchrun; DROP FUNCTION public.test_refuse()');
      }
      // Back: the slot (under `once`, the latest one due) runs.
      await waitFor(() => schedulerRuns(J, slot).length > 0, 20000, `a scheduled run of ${J}`);
      assert.ok(!(await missed(d, J)).some((m) => m.reason === 'invalid-params' && Date.parse(m.lastslot) >= slot));
      await patch(d, J, { cron: '0 0 1 1 *' }); // quiet for the rest of the file
    });

  test('a slot lost to database errors until the misfire grace passed says so in the ledger', async () => {
    const S = 'announcements.expire'; // misfire: skip (INI)
    assert.equal((await entry(d, S)).misfire, 'skip', 'the entry shows the [job.KEY] misfire, not the job default (once)');
    await patch(d, S, { cron: '* * * * *' });
    sql(db, `CREATE FUNCTION public.test_refuse_s() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'test: insert refused'; END $$`);
    sql(db, `CREATE TRIGGER test_refuse_s BEFORE INSERT ON system.batchrun FOR EACH ROW
      WHEN (NEW.jobkey = '${S}') EXECUTE FUNCTION public.test_refuse_s()`);
    const slot = dueSince(db, S, 0);
    let row;
    try {
      row = await waitMissed(d, S, 'misfire-skipped', (m) => Date.parse(m.firstslot) === slot, 20000);
    } finally {
      sql(db, 'DROP TRIGGER test_refuse_s ON system.batchrun; DROP FUNCTION public.test_refuse_s()');
    }
    const m = /^found \S+ late, past the misfire grace \(2s\); policy skip; the leader tried to enqueue it (\d+) times, and the database refused: .*test: insert refused/.exec(row.detail);
    assert.ok(m, row.detail);
    assert.ok(Number(m[1]) >= 2, `tried every tick until the grace passed: ${row.detail}`);
    // Logged at tries 1, 2, 4, 8, … of the same error, not once per tick.
    const tries = d.logs().split('\n').filter((l) => l.includes('cannot enqueue a scheduled slot') && l.includes(`job=${S} `))
      .map((l) => Number(/ tries=(\d+) /.exec(l)?.[1]));
    assert.ok(tries.length > 0 && tries.every((n) => n > 0 && (n & (n - 1)) === 0), `tries logged: ${tries}`);
    assert.equal(tries.filter((n) => n >= 2).length, Math.floor(Math.log2(Number(m[1]))), `tries logged: ${tries}`);
    assert.ok(!row.detail.includes('\n'), 'one line');
    assert.equal(runRows(db, S, `scheduledfor = to_timestamp(${slot / 1000})`).length, 0, 'the slot never ran');
    await patch(d, S, { cron: '0 0 1 1 *' });
  });
});

describe('a leaderless gap', () => {
  test('slots that passed while no instance led are recorded as no-leader, with how long they waited', async () => {
    // library.viewhistory_cap's misfire policy is `once`: the latest missed slot runs, the others are recorded.
    await patch(d, 'library.viewhistory_cap', { cron: '* * * * *' });
    await stopClean(d);
    const slot = slotAgo(db, 'library.viewhistory_cap', 1, 4); // four minutes of slots with nobody leading
    d = await startDaemon(db, INI);
    const row = await waitMissed(d, 'library.viewhistory_cap', 'no-leader');
    const took = Date.now();
    const [catchup] = runRows(db, 'library.viewhistory_cap', "triggeredby = 'scheduler'");
    assert.ok(catchup, 'once: one catch-up run');
    assert.equal(Date.parse(row.firstslot), slot);
    assert.equal(Date.parse(row.lastslot), Date.parse(catchup.scheduledfor) - 60000, 'every slot before the catch-up');
    assert.equal(row.slots, (Date.parse(catchup.scheduledfor) - slot) / 60000);
    assert.ok(row.slots >= 4);
    const m = /^no leader for (\d+)m(\d+)s after the slot: instance \S+ took over at (\S+)$/.exec(row.detail);
    assert.ok(m, row.detail);
    const waited = Number(m[1]) * 60 + Number(m[2]);
    assert.ok(waited >= 240 && waited <= (took - slot) / 1000 + 1, `waited ${waited} s`);
    assert.equal(metricValue(await metrics(d), 'comicbatch_schedule_missed_total',
      'job="library.viewhistory_cap",reason="no-leader"'), row.slots);
  });
});

describe('the endpoint', () => {
  test('pages newest first (checked against generated rows); bad page/limit 400; unknown job 404', async () => {
    sql(db, `INSERT INTO system.batchmissed (jobkey, reason, firstslot, lastslot, slots, detail)
      SELECT 'analytics.partition', (ARRAY['overlap', 'paused', 'no-leader'])[1 + i % 3],
        now() - i * interval '1 day', now() - i * interval '1 day' + (i % 4) * interval '1 hour', 1 + i % 4,
        'generated ' || i FROM generate_series(1, 45) i`);
    const page = async (q) => {
      const r = await api(d, 'GET', `${B}/schedule/analytics.partition/missed${q}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };
    const first = await page('');
    assert.equal(first.meta.total, 45);
    assert.equal(first.meta.limit, 50);
    assert.deepEqual(first.data.map((m) => m.detail), [...Array(45).keys()].map((i) => `generated ${i + 1}`),
      'newest last slot first');
    const p2 = await page('?limit=20&page=2');
    assert.deepEqual(p2.data.map((m) => m.detail), first.data.slice(20, 40).map((m) => m.detail));
    assert.deepEqual(p2.meta, { total: 45, page: 2, limit: 20, pages: 3 });
    const past = await page('?limit=20&page=9');
    assert.deepEqual(past.data, []);
    assert.equal(past.meta.total, 45, 'the count survives paging past the end');
    const e = await entry(d, 'analytics.partition');
    const recent = [...Array(45).keys()].map((k) => k + 1).filter((i) => i * 24 - (i % 4) < 24)
      .reduce((n, i) => n + 1 + (i % 4), 0);
    assert.ok(recent > 0);
    assert.equal(e.missed.last24h, recent, 'the slots of rows whose last slot is within a day');
    assert.equal(e.missed.latest.detail, 'generated 1');
    assertError(await api(d, 'GET', `${B}/schedule/system.canary/missed?limit=0`), 400, 'VALIDATION_ERROR', 'limit');
    assertError(await api(d, 'GET', `${B}/schedule/system.canary/missed?limit=201`), 400, 'VALIDATION_ERROR', 'limit');
    assertError(await api(d, 'GET', `${B}/schedule/system.canary/missed?page=x`), 400, 'VALIDATION_ERROR', 'page');
    assertError(await api(d, 'GET', `${B}/schedule/no.such.job/missed`), 404, 'NOT_FOUND');
  });
});
