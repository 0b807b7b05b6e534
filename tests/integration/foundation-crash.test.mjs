// foundation-crash.test.mjs — durability of the run model across process death (DESIGN §3): a daemon killed with
// SIGKILL mid-run → after a restart the run is `failed` with a lasterror saying its instance died, the job's lock
// is free again, and a run that was still queued is picked up by the new process; a rescued run is retried (when its
// job allows) in the rescue's own transaction; a SIGTERM mid-run stops cleanly
// and says so in the run; a run failed behind its live owner's back is stopped by that owner; and a daemon whose
// database connections are all killed recovers without leaving a run stuck `running`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newDatabase, startDaemon, api, sql, sqlValue, waitRun, waitFor } from './lib.mjs';
import {
  getRun, trigger, waitStatus, waitWorkerSleeping, workerSleeps, metrics, metricValue, stopClean,
} from './foundation-util.mjs';
import { B, patch } from './sched-util.mjs';

test('SIGKILL mid-run → after restart the run is failed ("instance … died"), and the job runs again', async () => {
  const db = newDatabase();
  // heartbeat 10 s, lease 30 s: the dead instance's run holds its job for 21 s after its last heartbeat (2 × 10 + 1),
  // room for the trigger below to meet it before the rescue however slowly b starts
  const a = await startDaemon(db, { runs: { workers: 1, scheduler: 'false', heartbeat_seconds: 10, lease_seconds: 30 } });
  let b;
  try {
    const running = await trigger(a, 'system.canary', { seconds: 120 });
    await waitStatus(a, 'system.canary', running.id, 'running');
    await waitWorkerSleeping(db);
    const queued = await trigger(a, 'announcements.expire');
    assert.equal((await getRun(a, 'announcements.expire', queued.id)).status, 'queued', 'the one worker is busy');
    const instanceA = (await getRun(a, 'system.canary', running.id)).instance;
    assert.ok(instanceA);

    await a.kill();
    assert.equal(a.exited().sig, 'SIGKILL');
    const row = sql(db, `SELECT status FROM system.batchrun WHERE id = '${running.id}'`)[0][0];
    assert.equal(row, 'running', 'nobody has touched the run yet');

    b = await startDaemon(db, { runs: { workers: 1, heartbeat_seconds: 10, lease_seconds: 30 } });
    // Until the rescue, a trigger is refused, and the 409 says who holds the job and when it will be freed.
    const held = await api(b, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { params: { seconds: 0 } } });
    assert.equal(held.status, 409, JSON.stringify(held.body));
    assert.ok(held.body.details.heldby.startsWith(`run ${running.id} (running since `), held.body.details.heldby);
    assert.ok(held.body.details.heldby.includes(`its instance ${instanceA} is gone (no database session); the leader `
      + 'fails it 21s after its last heartbeat'), held.body.details.heldby);
    const failed = await waitStatus(b, 'system.canary', running.id, 'failed', 40000);
    assert.match(failed.lasterror, /instance/);
    assert.match(failed.lasterror, /died/);
    assert.ok(failed.lasterror.includes(instanceA), `lasterror names the dead instance: ${failed.lasterror}`);
    assert.ok(failed.finishedat);
    assert.equal(typeof failed.durationms, 'number');

    const picked = await waitRun(b, 'announcements.expire', queued.id);
    assert.equal(picked.status, 'done', `the queued run survived the crash: ${JSON.stringify(picked)}`);
    assert.notEqual(picked.instance, instanceA);

    const again = await api(b, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { params: { seconds: 0 } } });
    assert.equal(again.status, 202, `the lock is free again: ${JSON.stringify(again.body)}`);
    assert.equal((await waitRun(b, 'system.canary', again.body.data.id)).status, 'done');
  } finally {
    if (!a.exited()) await a.kill();
    await stopClean(b);
  }
});

test('a run the rescue fails is retried when its job allows: attempt 2 linked to it, written in the rescue\'s '
  + 'transaction', async () => {
  const db = newDatabase();
  const a = await startDaemon(db, { runs: { workers: 1, scheduler: 'false' } });
  let b;
  try {
    await patch(a, 'system.canary', { maxattempts: 2, retrydelay: '60s' }); // the retry waits >= 30 s: still queued
    const running = await trigger(a, 'system.canary', { seconds: 120 });
    await waitStatus(a, 'system.canary', running.id, 'running');
    await waitWorkerSleeping(db);
    await a.kill();

    b = await startDaemon(db, { runs: { workers: 1 } }); // the leader: rescues a's run
    const failed = await waitStatus(b, 'system.canary', running.id, 'failed', 20000);
    assert.match(failed.lasterror, /died/);
    const [retry] = sql(db, `SELECT id, attempt, status, params::text, notbefore > now() FROM system.batchrun
                              WHERE retryof = '${running.id}'`);
    assert.ok(retry, 'a retry linked to the rescued run');
    assert.deepEqual([retry[1], retry[2], retry[4]], ['2', 'queued', 't']);
    assert.equal(JSON.parse(retry[3]).seconds, 120, 'the failed run\'s params');
    // One transaction: the rescue's UPDATE and the retry's INSERT carry the same transaction id (neither row has
    // been written since: the retry is still waiting for its notbefore).
    const xmins = sql(db, `SELECT xmin::text FROM system.batchrun WHERE id IN ('${running.id}', '${retry[0]}')`);
    assert.equal(xmins.length, 2);
    assert.equal(xmins[0][0], xmins[1][0], 'the rescue and its retry were committed together');
    const c = await api(b, 'POST', `${B}/jobs/system.canary/cancel`, { body: { id: retry[0] } });
    assert.equal(c.status, 200, JSON.stringify(c.body));
  } finally {
    if (!a.exited()) await a.kill();
    await stopClean(b);
  }
});

test('SIGTERM mid-run → a clean exit and the run failed as interrupted by the shutdown', async () => {
  const db = newDatabase();
  const a = await startDaemon(db, { runs: { scheduler: 'false' } });
  let b;
  try {
    const q = await trigger(a, 'system.canary', { seconds: 120 });
    await waitStatus(a, 'system.canary', q.id, 'running');
    await waitWorkerSleeping(db);
    await stopClean(a);
    const row = sql(db, `SELECT status, lasterror FROM system.batchrun WHERE id = '${q.id}'`)[0];
    assert.equal(row[0], 'failed');
    assert.match(row[1], /shut down/);
    b = await startDaemon(db, { runs: { scheduler: 'false' } });
    const again = await trigger(b, 'system.canary', { seconds: 0 });
    assert.equal((await waitRun(b, 'system.canary', again.id)).status, 'done');
  } finally {
    if (!a.exited()) await a.kill();
    await stopClean(b);
  }
});

test('a run failed behind its owner\'s back (rescue after a stalled heartbeat) is stopped by the owner', async () => {
  const db = newDatabase();
  const a = await startDaemon(db, { runs: { scheduler: 'false' } });
  try {
    const q = await trigger(a, 'system.canary', { seconds: 120 });
    await waitStatus(a, 'system.canary', q.id, 'running');
    await waitWorkerSleeping(db);
    // What the leader's rescue writes when an instance's heartbeat is older than the lease.
    sql(db, `UPDATE system.batchrun SET status = 'failed', finishedat = now(), lasterror = 'rescued by the test'
      WHERE id = '${q.id}'`);
    await waitFor(() => workerSleeps(db) === 0, 8000, 'the owner to stop the statement of the lost run');
    const run = await getRun(a, 'system.canary', q.id);
    assert.equal(run.status, 'failed');
    assert.equal(run.lasterror, 'rescued by the test', 'the owner does not overwrite the rescue');
    // The worker is free again: a new run starts and finishes.
    const again = await trigger(a, 'system.canary', { seconds: 0 });
    assert.equal((await waitRun(a, 'system.canary', again.id)).status, 'done');
  } finally {
    await stopClean(a);
  }
});

test('every database connection killed mid-run: the API answers, the run ends, the job, leader and cancel recover',
  async () => {
    const db = newDatabase();
    const a = await startDaemon(db);
    try {
      const warm = await trigger(a, 'system.canary', { seconds: 0 });
      await waitRun(a, 'system.canary', warm.id);
      const q = await trigger(a, 'system.canary', { seconds: 60 });
      await waitStatus(a, 'system.canary', q.id, 'running');
      await waitWorkerSleeping(db);
      const pids = sql(db, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()
        AND application_name LIKE 'comicbatch-%'`).map((r) => r[0]);
      assert.ok(pids.length >= 5, `pool, listener, leader, monitor and worker connections (${pids.length})`);
      sql(db, `SELECT pg_terminate_backend(pid) FROM unnest('{${pids.join(',')}}'::int[]) pid`);
      await waitFor(() => sqlValue(db, `SELECT count(*) FROM pg_stat_activity WHERE pid IN (${pids.join(',')})`) === '0',
        5000, 'the killed backends to be gone'); // as after a database restart: the daemon was told, then cut off

      const list = await api(a, 'GET', '/api/v1/admin/batch/jobs');
      assert.equal(list.status, 200, `the first request after the loss gets a fresh connection: ${JSON.stringify(list.body)}`);
      const ended = await waitStatus(a, 'system.canary', q.id, ['failed', 'cancelled'], 20000);
      assert.equal(ended.status, 'failed');
      assert.match(ended.lasterror, /connection/i, ended.lasterror);

      const again = await trigger(a, 'system.canary', { seconds: 0 });
      assert.equal((await waitRun(a, 'system.canary', again.id)).status, 'done');
      await waitFor(async () => metricValue(await metrics(a), 'comicbatch_leader') === 1, 10000, 'leadership back');

      const long = await trigger(a, 'system.canary', { seconds: 60 });
      await waitStatus(a, 'system.canary', long.id, 'running');
      await waitWorkerSleeping(db);
      const c = await api(a, 'POST', '/api/v1/admin/batch/jobs/system.canary/cancel', { body: {} });
      assert.equal(c.status, 200, JSON.stringify(c.body));
      assert.equal(c.body.data.status, 'cancelled', 'the listener is back: the cancel reached the worker');
    } finally {
      await stopClean(a);
    }
  });
