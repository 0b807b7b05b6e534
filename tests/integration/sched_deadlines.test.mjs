// sched_deadlines.test.mjs — deadlines and retries (issue 13) through the real daemon. A deadline breach raises
// the failure alert's path (notification row, webhook, error log) once per breach, a success starts a new window
// and the next breach alerts again; the schedule entry shows the window, its source (API, `[job.KEY] deadline`,
// or 2× the cron's longest interval) and whether the job is overdue; /metrics exports the two gauges the shipped
// Prometheus rule reads. A failing job is retried as new runs linked to the failed ones (`attempt`, `retryof`),
// each held back by a growing backoff (the waits between attempts are measured), until its attempts are spent —
// and only that last failure counts toward the failure-streak alert: with alert_after = 2 and 3 attempts, one
// exhausted trigger (three failed runs) raises nothing and the second one's last failure raises the alert (counting
// every attempt would alert after the first trigger's second attempt instead). A cancelled run is never retried;
// the schedule API's `maxattempts` wins over the config.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, newDatabase, sql, sqlValue, startDaemon, waitFor } from './lib.mjs';
import { assertError, metricValue, metrics, stopClean, trigger, waitStatus } from './foundation-util.mjs';
import { B, entry, patch, webhook } from './sched-util.mjs';

let db;
let d;
let hook;

before(async () => {
  db = newDatabase();
  hook = await webhook();
  d = await startDaemon(db, {
    runs: { alert_webhook_url: hook.url, alert_after: 2 },
    'job.system.canary': { max_attempts: 3, retry_delay: '1s' },
    'job.announcements.expire': { deadline: '2h' },
  });
});

after(async () => {
  await stopClean(d);
  hook.close();
});

const notes = (title) => sql(db, `SELECT message, details::text, round(extract(epoch FROM createdat) * 1000)
  FROM system.notification WHERE title = '${title}' ORDER BY id`)
  .map(([message, details, at]) => ({ message, details: JSON.parse(details), at: Number(at) }));

describe('deadlines', () => {
  test('the entry shows each deadline and where it comes from', async () => {
    const s = await entry(d, 'sessions.cleanup');
    assert.equal(s.deadline.source, 'default');
    assert.equal(s.deadline.seconds, 2 * 6 * 3600, '2× the 6-hour interval of 0 */6 * * *');
    assert.equal(s.deadline.overdue, false);
    const a = await entry(d, 'announcements.expire');
    assert.equal(a.deadline.source, 'config');
    assert.equal(a.deadline.seconds, 7200);
    assert.equal((await entry(d, 'crawler.source_health')).deadline, null, 'disabled by default: no default deadline');
    const off = await patch(d, 'sessions.cleanup', { deadline: 'off' });
    assert.equal(off.deadline, null);
    const back = await patch(d, 'sessions.cleanup', { deadline: null });
    assert.equal(back.deadline.source, 'default');
    for (const deadline of ['soon', '0s', '500ms', 5, '400d']) {
      assertError(await api(d, 'PATCH', `${B}/schedule/sessions.cleanup`, { body: { deadline } }), 400,
        'VALIDATION_ERROR', 'deadline');
    }
  });

  test('a breach alerts once (notification, webhook, log); a success ends it; the next breach alerts again',
    async () => {
      // The canary is disabled: an explicit deadline still holds (a job switched off by mistake must alert).
      const set = Date.now();
      const e = await patch(d, 'system.canary', { deadline: '3s' });
      assert.equal(e.deadline.source, 'schedule');
      assert.equal(e.deadline.seconds, 3);
      assert.equal(e.deadline.lastsuccess, null);
      assert.ok(Math.abs(Date.parse(e.deadline.measuredfrom) - set) < 2000, 'measured from when it was set');
      await waitFor(() => notes('Batch job overdue').length === 1, 15000, 'the deadline alert');
      const [n] = notes('Batch job overdue');
      assert.match(n.message, /^Batch job system\.canary has not succeeded within its deadline \(3s\); no success since/);
      assert.equal(n.details.kind, 'deadline');
      assert.equal(n.details.deadlineSeconds, 3);
      await waitFor(() => hook.got.some((b) => b.details?.kind === 'deadline'), 5000, 'the webhook');
      assert.ok(d.logs().includes('has not succeeded within its deadline'), 'logged');
      const overdue = await entry(d, 'system.canary');
      assert.equal(overdue.deadline.overdue, true);
      const m = await metrics(d);
      assert.equal(metricValue(m, 'comicbatch_job_deadline_seconds', 'job="system.canary"'), 3);
      assert.equal(metricValue(m, 'comicbatch_job_last_success_timestamp_seconds', 'job="system.canary"'),
        Date.parse(overdue.deadline.measuredfrom) / 1000);
      assert.equal(metricValue(m, 'comicbatch_deadline_alerts_total', 'job="system.canary"'), 1);
      await sleep(6000); // more than one check later: still one alert for this breach
      assert.equal(notes('Batch job overdue').length, 1);
      assert.equal(hook.got.filter((b) => b.details?.kind === 'deadline').length, 1);

      const run = await trigger(d, 'system.canary', { seconds: 0 });
      const done = await waitStatus(d, 'system.canary', run.id, 'done');
      const fresh = await entry(d, 'system.canary');
      assert.equal(fresh.deadline.overdue, false, 'the success starts a new window');
      assert.equal(fresh.deadline.lastsuccess, done.finishedat);
      await waitFor(() => notes('Batch job overdue').length === 2, 15000, 'the second breach\'s alert');
      assert.equal(metricValue(await metrics(d), 'comicbatch_job_last_success_timestamp_seconds', 'job="system.canary"'),
        Date.parse(done.finishedat) / 1000);
      await patch(d, 'system.canary', { deadline: 'off' });
    });
});

describe('retries', () => {
  const ms = (col) => `round(extract(epoch FROM ${col}) * 1000)`;
  const chain = (first) => sql(db, `WITH RECURSIVE c AS (SELECT * FROM system.batchrun WHERE id = '${first}'
      UNION ALL SELECT r.* FROM system.batchrun r JOIN c ON r.retryof = c.id)
    SELECT id, status, attempt, retryof, ${ms('notbefore - createdat')}, ${ms('startedat - notbefore')},
      ${ms('startedat')}, ${ms('finishedat')} FROM c ORDER BY attempt`)
    .map(([id, status, attempt, retryof, delay, late, started, finished]) => ({
      id, status, attempt: Number(attempt), retryof, delay: Number(delay), late: Number(late), started: Number(started),
      finished: finished === null ? null : Number(finished),
    }));
  const failing = () => notes('Batch job failing');
  const failingHooks = () => hook.got.filter((b) => b.details?.kind === 'failures');

  /** Triggers a failing canary run and waits for its three attempts to fail; checks the chain and its waits. */
  async function exhaust(label) {
    const first = await trigger(d, 'system.canary', { seconds: 0, fail: true });
    assert.equal(first.attempt, 1);
    assert.equal(first.retryof, null);
    const runs = await waitFor(() => {
      const c = chain(first.id);
      return c.length === 3 && c[2].status === 'failed' && c;
    }, 20000, `${label}: three attempts`);
    assert.deepEqual(runs.map((r) => [r.attempt, r.status]), [[1, 'failed'], [2, 'failed'], [3, 'failed']]);
    assert.equal(runs[1].retryof, runs[0].id);
    assert.equal(runs[2].retryof, runs[1].id);
    // retry_delay 1s: the first backoff is in [0.5 s, 1 s], the second in [1 s, 2 s] (both database timestamps of
    // the transaction that failed the previous attempt, so exact).
    assert.ok(runs[1].delay >= 500 && runs[1].delay <= 1000, `${label}: first backoff ${runs[1].delay} ms`);
    assert.ok(runs[2].delay >= 1000 && runs[2].delay <= 2000, `${label}: second backoff ${runs[2].delay} ms`);
    assert.ok(runs[2].delay >= runs[1].delay, `${label}: the backoff grows`);
    // What really happened between the attempts: each retry started no earlier than its backoff after the previous
    // attempt ended (a few ms of that transaction aside), and was picked up within 4 s of its notbefore.
    for (const r of runs.slice(1)) {
      assert.ok(r.late >= 0 && r.late <= 4000, `${label}: attempt ${r.attempt} started ${r.late} ms after notbefore`);
      const gap = r.started - runs[r.attempt - 2].finished;
      assert.ok(gap >= r.delay - 50 && gap <= r.delay + 4000,
        `${label}: attempt ${r.attempt} began ${gap} ms after attempt ${r.attempt - 1} ended (backoff ${r.delay} ms)`);
    }
    return runs;
  }

  test('a failing run is retried with growing delays; only final failures count toward alert_after (2)', async () => {
    // A success first: the failure streak starts at 0 whatever ran before.
    const ok = await trigger(d, 'system.canary', { seconds: 0 });
    await waitStatus(d, 'system.canary', ok.id, 'done');
    const notesBefore = failing().length;
    const hooksBefore = failingHooks().length;

    const a = await exhaust('first trigger');
    await sleep(2500); // the alert check after the last attempt has long run; no fourth attempt comes
    assert.equal(chain(a[0].id).length, 3, 'max_attempts = 3: no fourth run');
    // Three failed attempts, one final failure: counting every attempt would have alerted after the second.
    assert.deepEqual(failing().slice(notesBefore), [], 'one final failure of alert_after = 2: no alert yet');
    assert.equal(failingHooks().length, hooksBefore, 'no webhook post yet');

    const b = await exhaust('second trigger');
    const raised = await waitFor(() => { const n = failing().slice(notesBefore); return n.length > 0 && n; }, 10000,
      'the alert after the second final failure');
    await sleep(1500);
    assert.equal(failing().length - notesBefore, 1, 'one alert for the streak of two final failures');
    assert.equal(raised[0].details.kind, 'failures');
    assert.equal(raised[0].details.failures, 2);
    assert.equal(raised[0].details.lasterror,
      sqlValue(db, `SELECT lasterror FROM system.batchrun WHERE id = '${b[2].id}'`), 'the last attempt\'s error');
    assert.ok(raised[0].at >= b[2].finished,
      `raised by the second trigger's last attempt (alert ${raised[0].at}, attempt 3 ended ${b[2].finished})`);
    await waitFor(() => failingHooks().length === hooksBefore + 1, 5000, 'the webhook post');
    assert.equal(failingHooks().at(-1).details.failures, 2);

    const shown = (await api(d, 'GET', `${B}/runs/${b[2].id}`)).body.data;
    assert.equal(shown.attempt, 3);
    assert.equal(shown.retryof, b[1].id);
    assert.ok(shown.notbefore);
    assert.equal(metricValue(await metrics(d), 'comicbatch_retries_total', 'job="system.canary"'), 4);
  });

  test('a cancelled run is never retried', async () => {
    const run = await trigger(d, 'system.canary', { seconds: 30, fail: true });
    await waitStatus(d, 'system.canary', run.id, 'running');
    const c = await api(d, 'POST', `${B}/jobs/system.canary/cancel`, { body: { id: run.id } });
    assert.equal(c.body.data.status, 'cancelled');
    await sleep(2500);
    assert.equal(sqlValue(db, `SELECT count(*) FROM system.batchrun WHERE retryof = '${run.id}'`), '0');
  });

  test('the schedule API\'s maxattempts wins over [job.KEY] max_attempts; a waiting retry holds the job', async () => {
    const e = await patch(d, 'system.canary', { maxattempts: 2, retrydelay: '3s' });
    assert.equal(e.maxattempts, 2);
    assert.equal(e.retrydelay, '3s');
    const first = await trigger(d, 'system.canary', { seconds: 0, fail: true });
    const retry = await waitFor(() => chain(first.id)[1], 10000, 'the retry');
    assert.equal(retry.status, 'queued');
    const r = await api(d, 'POST', `${B}/jobs/system.canary/run`, { body: {} });
    assert.equal(r.status, 409, 'the waiting retry holds the lock key');
    const runs = await waitFor(() => { const c = chain(first.id); return c[1].status === 'failed' && c; }, 15000,
      'the second attempt');
    assert.ok(runs[1].delay >= 1500 && runs[1].delay <= 3000, `backoff ${runs[1].delay} ms`);
    await sleep(1500);
    assert.equal(chain(first.id).length, 2);
    for (const [maxattempts, field] of [[0, 'maxattempts'], [21, 'maxattempts'], ['3', 'maxattempts']]) {
      assertError(await api(d, 'PATCH', `${B}/schedule/system.canary`, { body: { maxattempts } }), 400,
        'VALIDATION_ERROR', field);
    }
    assertError(await api(d, 'PATCH', `${B}/schedule/system.canary`, { body: { retrydelay: '2d' } }), 400,
      'VALIDATION_ERROR', 'retrydelay');
    const reset = await patch(d, 'system.canary', { maxattempts: null, retrydelay: null });
    assert.equal(reset.maxattempts, 3, 'back to [job.system.canary] max_attempts');
    assert.equal(reset.retrydelay, '1s');
  });
});
