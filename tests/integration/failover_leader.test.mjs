// failover_leader.test.mjs — a leader that cannot split and cannot hang the cluster (issue 11). Before, leadership
// was only the leader's session lock: a leader paused for 40 s (SIGSTOP) kept it, and scheduling and rescue stopped
// for every instance; a stuck scheduler thread in a live process did the same. Now, with a 3 s leader lease:
//  - a leader paused past the lease is fenced (its lock session terminated) and replaced within one lease (a
//    follower tries again right when the lease runs out; bound asserted: lease + 2 s from the pause, slack for a
//    loaded machine); when resumed it steps down before writing anything (its own heartbeat is older than the
//    lease), and the leadership row stays the new leader's; /metrics on both shows the new epoch and a fresh
//    leader heartbeat;
//  - a leader thread wedged INSIDE a leader-only write (holding the epoch row FOR SHARE; fault injection
//    `leader:stall_in_write`) is fenced the same way: the other instance takes over without waiting for it, enqueues
//    the slot that falls due meanwhile; /metrics stops calling the wedged one leader once its heartbeat is older than
//    the lease; when the thread wakes, its write fails (its session is gone) and it steps down. Once it is awake the
//    slot still has one run and the job no other scheduled run, the job's nextrunat is the new leader's (the cron's
//    next slot: the woken write moved nothing), its missed-slot ledger is empty (a second enqueue of the slot would
//    be recorded there as an `overlap` — the unique index turns it into ON CONFLICT DO NOTHING, not into a second
//    run — and a lost one as `no-leader`) and neither instance logged a failed, missed or conflicting enqueue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { newDatabase, startDaemon, api, sql, waitFor, waitRun } from './lib.mjs';
import { trigger, stopClean, metrics, metricValue } from './foundation-util.mjs';
import { leaderFlags, leaderRow, since, slotTrouble, sqlValue } from './failover-util.mjs';
import { missed, stored } from './sched-util.mjs';

const LEASE_S = 3;
const INI = { runs: { leader_lease_seconds: LEASE_S, heartbeat_seconds: 1 } };

async function oneLeader(ds) {
  return waitFor(async () => {
    const f = await leaderFlags(ds);
    return f.filter((x) => x === 1).length === 1 && f;
  }, 15000, 'exactly one leader');
}

test('a leader paused past the lease is replaced within one lease and, resumed, writes nothing as leader',
  { timeout: 120000 }, async (t) => {
    const db = newDatabase();
    const ds = [await startDaemon(db, INI), await startDaemon(db, INI)];
    let paused = null;
    try {
      const flags = await oneLeader(ds);
      const L = ds[flags.indexOf(1)], F = ds[flags.indexOf(0)];
      const before = leaderRow(db);
      assert.ok(before.age < LEASE_S, `a fresh heartbeat (${before.age} s)`);
      const lockBackend = before.backendpid;

      L.proc.kill('SIGSTOP');
      paused = L;
      const t0 = Date.now();
      await waitFor(async () => (await leaderFlags([F]))[0] === 1, (LEASE_S + 2) * 1000,
        `the follower to lead within ${LEASE_S + 2} s of the pause`);
      const takeover = since(t0);
      const after = leaderRow(db);
      assert.equal(after.epoch, before.epoch + 1, 'one takeover, one new epoch');
      assert.notEqual(after.instance, before.instance);
      assert.equal(sqlValue(db, `SELECT count(*) FROM pg_stat_activity WHERE pid = ${lockBackend}`), '0',
        'the paused leader\'s lock session was terminated (fenced)');
      assert.match(F.logs(), /fenced a leader whose heartbeat is older than the lease/);
      // The cluster works while the old leader is still paused: scheduling is the follower's now.
      const run = await trigger(F, 'announcements.expire');
      assert.equal((await waitRun(F, 'announcements.expire', run.id, 15000)).status, 'done');

      const logBefore = L.logs().length;
      L.proc.kill('SIGCONT');
      paused = null;
      await waitFor(async () => (await leaderFlags([L]))[0] === 0, 5000, 'the resumed leader to say it does not lead');
      await waitFor(() => /stepping down as leader/.test(L.logs().slice(logBefore)), 5000, 'its step-down line');
      const resumed = L.logs().slice(logBefore);
      assert.match(resumed, /reason="this instance's last heartbeat is older than the leader lease/,
        'it stepped down on its own clock, before any statement');
      assert.doesNotMatch(resumed, /leader-only write|run rescued|old runs deleted|this instance is now the leader/);
      await sleep(2500);
      const still = leaderRow(db);
      assert.equal(still.epoch, after.epoch, 'nobody took over again');
      assert.equal(still.instance, after.instance);
      assert.ok(still.age < LEASE_S, 'the new leader keeps its heartbeat fresh');
      assert.deepEqual(await leaderFlags([L, F]), [0, 1]);
      for (const d of [L, F]) { // the cluster-wide gauges, the same on every instance
        const text = await metrics(d);
        assert.equal(metricValue(text, 'comicbatch_leader_epoch'), after.epoch, text);
        const age = metricValue(text, 'comicbatch_leader_heartbeat_age_seconds');
        assert.ok(age !== null && age >= 0 && age < LEASE_S, `heartbeat age ${age}`);
      }
      t.diagnostic(`replaced ${takeover} ms after the pause (lease ${LEASE_S} s)`);
    } finally {
      if (paused) paused.proc.kill('SIGCONT');
      for (const d of ds) if (!d.exited()) await stopClean(d);
    }
  });

test('a leader thread wedged inside a write is fenced and replaced; the slot due meanwhile is enqueued, once, by the '
  + 'new leader; the wedged write fails when the thread wakes and changes nothing', { timeout: 120000 }, async (t) => {
  const db = newDatabase();
  const STALL_MS = 12000;
  // A alone first, so that it leads; its first leader-only write (seeding the schedule's first slots) stalls.
  const A = await startDaemon(db, INI, { COMICBATCH_FAULT: `leader:stall_in_write=${STALL_MS}` });
  let B;
  try {
    await waitFor(async () => (await leaderFlags([A]))[0] === 1, 15000, 'A to lead');
    B = await startDaemon(db, INI);
    await waitFor(() => /fault injection: stalling" point=leader:stall_in_write/.test(A.logs()), 15000, 'A to wedge');
    const tStall = Date.now();
    const before = leaderRow(db);
    // A slot falls due while A is wedged holding its epoch: the canary's next run, 2 s from now. Its cron fires once
    // a year, so the only slot in this test is that one and the next is predictable.
    const p = await api(B, 'PATCH', '/api/v1/admin/batch/schedule/system.canary',
      { body: { isenabled: true, cron: '0 0 1 1 *' } });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    const slot = sqlValue(db, `UPDATE system.batchschedule SET nextrunat = date_trunc('second', now()) + interval '2 s'
      WHERE jobkey = 'system.canary' RETURNING to_char(nextrunat AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`);

    await waitFor(async () => (await leaderFlags([B]))[0] === 1, (LEASE_S + 2) * 1000,
      `B to lead within ${LEASE_S + 2} s while A is wedged`);
    const takeover = since(tStall);
    assert.ok(since(tStall) < STALL_MS, 'while A was still wedged');
    assert.deepEqual(await leaderFlags([A, B]), [0, 1], 'the wedged leader no longer reports itself as leader');
    const after = leaderRow(db);
    assert.equal(after.epoch, before.epoch + 1);
    const slotRuns = () => sql(db, `SELECT id, status FROM system.batchrun WHERE jobkey = 'system.canary'
      AND scheduledfor = '${slot}'`);
    const rows = await waitFor(() => slotRuns().length >= 1 && slotRuns(), 10000, `the slot ${slot} enqueued by B`);
    assert.equal((await waitRun(B, 'system.canary', rows[0][0], 20000)).status, 'done');

    // A wakes up inside its write: the statement fails (its session was terminated) and A steps down.
    await waitFor(() => /stepping down as leader/.test(A.logs()), STALL_MS + 5000, 'A to step down once awake');
    assert.match(A.logs(), /msg="query failed" what=(schedstore|runstore)\.\w+ [^\n]*terminating connection/,
      'the wedged write was attempted and refused by the server');
    await sleep(1500);
    assert.deepEqual(sql(db, `SELECT to_char(scheduledfor AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
      FROM system.batchrun WHERE jobkey = 'system.canary' AND scheduledfor IS NOT NULL`).flat(), [slot],
    'one scheduled run of the canary: the slot\'s');
    assert.equal(stored(db, 'nextrunat', 'system.canary'), Date.UTC(new Date(slot).getUTCFullYear() + 1, 0, 1),
      'nextrunat is the cron\'s next slot after the one B enqueued (next 1 January)');
    assert.deepEqual(await missed(B, 'system.canary'), [], 'no slot missed, none conflicting (`overlap`)');
    for (const d of [A, B]) assert.deepEqual(slotTrouble(d, 'system.canary'), [], 'no failed/missed/double enqueue');
    const still = leaderRow(db);
    assert.equal(still.epoch, after.epoch, 'B still leads under the same epoch');
    assert.deepEqual(await leaderFlags([A, B]), [0, 1]);
    t.diagnostic(`B led ${takeover} ms after A wedged (lease ${LEASE_S} s, stall ${STALL_MS} ms)`);
  } finally {
    for (const d of [A, B]) if (d && !d.exited()) await stopClean(d);
  }
});
