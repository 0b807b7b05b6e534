// foundation-cluster.test.mjs — two daemons on one database (DESIGN §3): exactly one is the leader
// (comicbatch_leader 1 on /metrics), a job scheduled every minute by PATCH (hot reload, no restart) gets exactly one
// run per slot, and when the leader is killed with SIGKILL the other takes over and keeps the schedule going.
// Two real minute slots: this file takes up to ~2.5 minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { newDatabase, startDaemon, api, waitFor, waitRun } from './lib.mjs';
import { metrics, metricValue, runRows, stopClean } from './foundation-util.mjs';

async function leaders(ds) {
  const flags = [];
  for (const d of ds) flags.push(d.exited() ? null : metricValue(await metrics(d), 'comicbatch_leader'));
  return flags;
}

test('two instances: one leader, one run per slot, and failover on SIGKILL', { timeout: 200000 }, async () => {
  const db = newDatabase();
  const ds = [await startDaemon(db), await startDaemon(db)];
  try {
    const flags = await waitFor(async () => {
      const f = await leaders(ds);
      return f.filter((x) => x === 1).length === 1 && f;
    }, 15000, 'exactly one leader');
    assert.deepEqual([...flags].sort(), [0, 1]);
    await sleep(2500); // the follower retries the lock every 2 s: it must keep failing
    assert.deepEqual(await leaders(ds), flags, 'leadership is stable');
    const leader = flags.indexOf(1);
    const follower = 1 - leader;

    // Schedule through the FOLLOWER: the leader must pick the change up without a restart.
    const p = await api(ds[follower], 'PATCH', '/api/v1/admin/batch/schedule/system.canary',
      { body: { cron: '* * * * *', isenabled: true } });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    const slot1 = Date.parse(p.body.data.nextrunat);
    assert.equal(slot1 % 60000, 0);
    assert.ok(slot1 > Date.now() - 1000 && slot1 <= Date.now() + 60000);

    const scheduled = () => runRows(db, 'system.canary', "triggeredby = 'scheduler'");
    const first = await waitFor(() => scheduled().length >= 1 && scheduled()[0], slot1 - Date.now() + 15000,
      'the first slot\'s run');
    assert.equal(Date.parse(first.scheduledfor), slot1);
    assert.equal((await waitRun(ds[0], 'system.canary', first.id, 20000)).status, 'done');

    await ds[leader].kill();
    const taken = await waitFor(async () => (await leaders([ds[follower]]))[0] === 1, 10000,
      'the follower to take over');
    assert.ok(taken);

    const slot2 = slot1 + 60000;
    const second = await waitFor(() => scheduled().length >= 2 && scheduled()[1], slot2 - Date.now() + 15000,
      'the second slot\'s run');
    assert.equal(Date.parse(second.scheduledfor), slot2, 'the next minute, nothing skipped');
    const done2 = await waitRun(ds[follower], 'system.canary', second.id, 20000);
    assert.equal(done2.status, 'done');
    const skew = metricValue(await metrics(ds[follower]), 'comicbatch_schedule_skew_seconds', 'job="system.canary"');
    assert.ok(skew !== null && skew >= 0 && skew < 30, `schedule skew of the survivor's run: ${skew}`);
    await sleep(1500);
    const all = scheduled();
    assert.equal(all.length, 2, `exactly one run per slot: ${JSON.stringify(all)}`);
    assert.equal(new Set(all.map((r) => r.scheduledfor)).size, 2);
  } finally {
    for (const d of ds) if (!d.exited()) await stopClean(d);
  }
});
