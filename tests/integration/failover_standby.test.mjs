// failover_standby.test.mjs — PostgreSQL failover as the industry runs it (issue 11): a real primary and a real
// streaming standby (`pg_basebackup -R`, synchronous replication) on unix sockets, two comicbatch instances on a
// libpq multi-host URL (`target_session_attrs=read-write`), a job scheduled every minute. Mid-run the primary is
// stopped hard (`pg_ctl stop -m immediate`); /readyz must report the outage while it lasts; then the standby is
// promoted — after a minute's slot has fallen due, so that one slot belongs to nobody while the cluster has no
// primary. Stated bounds, each asserted: within 15 s of the promotion both instances are ready and connected to the
// new primary (listener, leader, monitor sessions there), exactly one of them leads under a new epoch, and the
// interrupted run is terminal with a lasterror that names the failover; a manual trigger works. No slot is lost and
// none is enqueued twice: every minute from the first slot after the job was scheduled through the first slot after
// the promotion has exactly one run (consecutive scheduledfor values; the outage's slot run late by the new leader,
// within the misfire grace), the job's missed-slot ledger is empty (a second enqueue of a slot would land there as
// an `overlap`: the unique index turns it into ON CONFLICT DO NOTHING, not into a second run), and neither instance
// logged a failed, missed or conflicting enqueue. Waits for a good second of the minute and for the slot after the
// promotion's minute: up to ~2.5 minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon, api, waitFor, waitRun } from './lib.mjs';
import { getRun, trigger, waitStatus, runRows, stopClean, metrics, metricValue } from './foundation-util.mjs';
import {
  script, clusterRoot, startClusterWithTemplate, multiHostUrl, withDatabase, cleanupRoot, leaderFlags, leaderRow,
  sessions, readyz, since, waitSecondOfMinute, sqlValue, slotTrouble,
} from './failover-util.mjs';
import { missed } from './sched-util.mjs';

const BOUND_MS = 15000;

test('primary stopped hard mid-run, standby promoted: both instances back on the new primary, one leader, the run '
  + 'ended with a clear lasterror, no slot lost or doubled across the outage', { timeout: 300000 }, async (t) => {
  const root = clusterRoot();
  const P = `${root}/p`, S = `${root}/s`;
  let ds = [];
  try {
    const primaryUrl = startClusterWithTemplate(P, 5441, 'cbfo');
    const standbyUrl = withDatabase(script('pg-replica.sh', 'standby', P, S, '5442'), 'cbfo');
    script('pg-replica.sh', 'sync', P); // a commit returns only once the standby has it: nothing is lost by the stop
    const url = multiHostUrl('cbfo', [P, S], [5441, 5442]);
    const ini = { runs: { leader_lease_seconds: 4 } };
    ds = [await startDaemon(url, ini), await startDaemon(url, ini)];
    await waitFor(async () => (await leaderFlags(ds)).filter((f) => f === 1).length === 1, 15000, 'one leader');
    const epoch0 = leaderRow(primaryUrl).epoch;
    assert.ok(epoch0 >= 1, `the first leader took epoch ${epoch0}`);

    // A job every minute (sessions.cleanup: quick), and a long run to interrupt (the canary, another lock key).
    const p = await api(ds[0], 'PATCH', '/api/v1/admin/batch/schedule/sessions.cleanup',
      { body: { cron: '* * * * *', isenabled: true } });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    const firstSlot = Date.parse(p.body.data.nextrunat);
    // Stop at about :50, so that the next minute's slot falls due while no primary exists.
    await waitSecondOfMinute(46, 49);
    const long = await trigger(ds[0], 'system.canary', { seconds: 300 });
    await waitStatus(ds[0], 'system.canary', long.id, 'running', 10000);
    await waitFor(() => Number(sqlValue(primaryUrl, `SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
      AND application_name = 'comicbatch-worker' AND query LIKE '%pg_sleep%'`)) > 0, 10000, 'the canary to sleep');
    const owner = (await getRun(ds[0], 'system.canary', long.id)).instance;

    const tStop = Date.now();
    script('pg-replica.sh', 'crash', P);
    // While only a standby answers, nobody can serve writes: both instances must say so.
    await waitFor(async () => (await readyz(ds[0])) === 503 && (await readyz(ds[1])) === 503, 10000,
      '/readyz to report the outage on both instances');
    const outageReported = since(tStop);
    // An outage of a few seconds, as a failover manager's detection would take, spanning the next minute's slot.
    const outageSlot = Math.floor(tStop / 60000) * 60000 + 60000;
    await sleep(Math.max(1000, outageSlot + 1500 - Date.now()));

    const tPromoting = Date.now();
    script('pg-replica.sh', 'promote', S);
    const tPromote = Date.now();
    await waitFor(async () => (await readyz(ds[0])) === 200 && (await readyz(ds[1])) === 200, BOUND_MS,
      'both instances ready on the new primary');
    const ready = since(tPromote);
    await waitFor(() => {
      const s = sessions(standbyUrl);
      return s['comicbatch-listener'] === 2 && s['comicbatch-leader'] === 2 && s['comicbatch-monitor'] === 2;
    }, BOUND_MS - since(tPromote), 'every instance\'s listener, leader and monitor sessions on the new primary');
    const flags = await waitFor(async () => {
      const f = await leaderFlags(ds);
      return f.filter((x) => x === 1).length === 1 && f;
    }, BOUND_MS - since(tPromote), 'exactly one leader');
    const leaderUp = since(tPromote);
    const row = leaderRow(standbyUrl);
    assert.ok(row.epoch > epoch0, `a new epoch on the new primary (${row.epoch} > ${epoch0})`);

    const ended = await waitStatus(ds[0], 'system.canary', long.id, ['failed', 'cancelled', 'done'],
      BOUND_MS - since(tPromote));
    const runEnded = since(tPromote);
    assert.equal(ended.status, 'failed');
    assert.match(ended.lasterror, /database connection lost during the run/);
    assert.match(ended.lasterror, /failed over from \S+:5441 to \S+:5442/, ended.lasterror);
    assert.ok(ended.lasterror.includes(owner), `names its own instance ${owner}: ${ended.lasterror}`);
    assert.doesNotMatch(ended.lasterror, /stopped heartbeating|died/);

    const again = await trigger(ds[1 - flags.indexOf(1)], 'system.canary', { seconds: 0 });
    assert.equal((await waitRun(ds[0], 'system.canary', again.id, 15000)).status, 'done');

    // The slot that fell due during the outage: not lost, run late by the new leader (enqueued after the promotion).
    const isoOf = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
    assert.ok(tPromoting > outageSlot, 'the promotion came after the outage\'s slot');
    const late = await waitFor(() => runRows(standbyUrl, 'sessions.cleanup', `scheduledfor = '${isoOf(outageSlot)}'`
      + ` AND createdat >= to_timestamp(${tPromoting / 1000})`)[0], BOUND_MS, `the outage's slot ${isoOf(outageSlot)}`);
    assert.equal((await waitRun(ds[0], 'sessions.cleanup', late.id, 20000)).status, 'done');
    // The first slot after the promotion's minute: it runs too.
    const slot = Math.floor(tPromote / 60000) * 60000 + 60000;
    const rows = await waitFor(() => {
      const r = runRows(standbyUrl, 'sessions.cleanup', `scheduledfor = '${isoOf(slot)}'`);
      return r.length >= 1 && r;
    }, slot - Date.now() + 20000, `the slot ${isoOf(slot)}`);
    assert.equal((await waitRun(ds[0], 'sessions.cleanup', rows[0].id, 20000)).status, 'done');
    await sleep(2000);
    // Every minute from the first slot through `slot`: exactly one run each, nothing else scheduled.
    const want = [];
    for (let m = firstSlot; m <= slot; m += 60000) want.push(isoOf(m));
    const got = runRows(standbyUrl, 'sessions.cleanup', `scheduledfor <= '${isoOf(slot)}'`).map((r) => r.scheduledfor);
    assert.deepEqual(got, want, 'one run per minute: no slot lost, none twice');
    assert.deepEqual(await missed(ds[0], 'sessions.cleanup'), [], 'no slot missed, none conflicting (`overlap`)');
    for (const d of ds) {
      assert.deepEqual(slotTrouble(d, 'sessions.cleanup'), [], 'no failed, missed or conflicting enqueue logged');
      assert.ok(!metricValue(await metrics(d), 'comicbatch_schedule_overlaps_total', 'job="sessions.cleanup"'));
    }
    assert.equal((await leaderFlags(ds)).filter((x) => x === 1).length, 1, 'still exactly one leader');
    t.diagnostic(`outage reported ${outageReported} ms after the stop; after the promotion: ready ${ready} ms, `
      + `one leader ${leaderUp} ms, interrupted run ended ${runEnded} ms; epoch ${epoch0} -> ${row.epoch}`);
  } finally {
    for (const d of ds) if (!d.exited()) await stopClean(d);
    cleanupRoot(root, ['p', 's']);
  }
});
