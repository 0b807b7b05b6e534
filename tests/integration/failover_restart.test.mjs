// failover_restart.test.mjs — PostgreSQL restarted under a running job (issue 11). Before, the worker called PQreset
// once while the server was still going down, the end of the run could not be recorded, the row stayed `running`
// ~30 s after the database was back (its lock key blocking triggers with 409) and was finally "rescued" with a false
// "stopped heartbeating". Now, with the run lease at its default (30 s, so a rescue cannot be what ends the run):
// within 8 s of the server's return the run is `failed` with a lasterror about the lost connection and the restart,
// written by its own instance; the job can be triggered at once; the listener has re-registered the instance and
// re-taken its lock and LISTENs again (a new run is claimed on its NOTIFY, not by the 10 s fallback timer); the
// leadership is back under a new epoch; the hasnew events thread flags a new chapter's followers (it reconnects on
// that event). Then, with the server down, the API pool answers 503 without a connection
// attempt per request (one per backoff step) and serves again once the server is back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon, api, sql, waitFor, waitRun } from './lib.mjs';
import { getRun, trigger, waitStatus, stopClean, metrics, metricValue } from './foundation-util.mjs';
import { fillLibrary } from './library-data.mjs';
import { seedHasnew } from './seed-sql.mjs';
import { script, clusterRoot, startClusterWithTemplate, cleanupRoot, leaderRow, since, sqlValue } from './failover-util.mjs';

const BACK_BOUND_MS = 8000;

test('PostgreSQL restarted mid-run: the run ends failed (connection lost, database restarted) within seconds of the '
  + 'server\'s return, and the job runs again at once', { timeout: 180000 }, async (t) => {
  const root = clusterRoot();
  const C = `${root}/c`;
  let d;
  try {
    const url = startClusterWithTemplate(C, 5443, 'cbrs');
    fillLibrary(url, { users: 80, comics: 24 }); // for the hasnew events thread after the restart
    sql(url, seedHasnew('true'));
    sql(url, 'UPDATE jobstate.hasnew_state SET fullneeded = false; DELETE FROM jobstate.hasnew_queue');
    // No scheduled hasnew run (its */15 slot would fall inside this test at a quarter hour): the flags below must
    // come from the events thread alone.
    sql(url, `INSERT INTO system.batchschedule (jobkey, isenabled) VALUES ('library.hasnew', false)
      ON CONFLICT (jobkey) DO UPDATE SET isenabled = false`);
    d = await startDaemon(url, { runs: { lease_seconds: 30, heartbeat_seconds: 1, workers: 2 } });
    await waitFor(async () => metricValue(await metrics(d), 'comicbatch_leader') === 1, 15000, 'leadership');
    const epoch0 = leaderRow(url).epoch;
    const run = await trigger(d, 'system.canary', { seconds: 300 });
    await waitStatus(d, 'system.canary', run.id, 'running', 10000);
    await waitFor(() => Number(sqlValue(url, `SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
      AND application_name = 'comicbatch-worker' AND query LIKE '%pg_sleep%'`)) > 0, 10000, 'the canary to sleep');
    const instance = (await getRun(d, 'system.canary', run.id)).instance;

    script('pg-replica.sh', 'restart', C); // stop -m fast (sessions told "terminating connection"), start
    const tBack = Date.now();
    const ended = await waitFor(() => {
      const [status, lasterror] = sql(url, `SELECT status, lasterror FROM system.batchrun WHERE id = '${run.id}'`)[0];
      return status !== 'running' && { status, lasterror };
    }, BACK_BOUND_MS, `the interrupted run to end within ${BACK_BOUND_MS} ms of the server's return`);
    const endedAfter = since(tBack);
    assert.equal(ended.status, 'failed');
    assert.match(ended.lasterror, /database connection lost during the run/, ended.lasterror);
    assert.match(ended.lasterror, /terminating connection due to administrator command/, ended.lasterror);
    assert.match(ended.lasterror, /restarted at \d{4}-\d\d-\d\dT/, ended.lasterror);
    assert.ok(ended.lasterror.includes(instance), `ended by its own instance: ${ended.lasterror}`);
    assert.doesNotMatch(ended.lasterror, /stopped heartbeating|died/);

    // The lock key is free at once: a trigger is accepted, runs and ends.
    const again = await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { params: { seconds: 0 } } });
    assert.equal(again.status, 202, `no 409 after the restart: ${JSON.stringify(again.body)}`);
    assert.equal((await waitRun(d, 'system.canary', again.body.data.id, 15000)).status, 'done');

    // The listener is back: its instance lock is held again by a listener session, and it LISTENs — with every
    // worker idle (next fallback poll 10 s away) a new run is claimed on its NOTIFY.
    await waitFor(() => sqlValue(url, `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
      WHERE l.locktype = 'advisory' AND l.classid = 1128415809 AND l.objsubid = 2 AND l.granted
      AND a.application_name = 'comicbatch-listener'`) === '1', 5000, 'the instance lock re-taken by the listener');
    // The log line follows the lock (LISTENs in between) and reaches d.logs() only on a turn of the event loop,
    // which the synchronous psql polls above do not give: wait for it rather than read it at once.
    await waitFor(() => /listener reconnected: instance registered and locked again/.test(d.logs()), 5000,
      'the listener\'s reconnect logged');
    await sleep(1500);
    const woke = await trigger(d, 'announcements.expire');
    const done = await waitRun(d, 'announcements.expire', woke.id, 15000);
    const waitedMs = Date.parse(done.startedat) - Date.parse(done.createdat);
    assert.ok(waitedMs < 3000, `claimed ${waitedMs} ms after the trigger: the NOTIFY arrived`);

    // The hasnew events thread lost its connection too and makes a new one on the next event: a new chapter flips
    // the comic's followers with no run.
    const comic = sqlValue(url, `SELECT comicid FROM library.entry GROUP BY comicid
                                 ORDER BY count(*) FILTER (WHERE NOT hasnew) DESC LIMIT 1`);
    const notFlagged = () => sqlValue(url, `SELECT count(*) FROM library.entry WHERE comicid = ${comic} AND NOT hasnew`);
    assert.ok(Number(notFlagged()) > 0);
    sql(url, `INSERT INTO core.chapter (comicid, number) VALUES (${comic}, 999)`);
    await waitFor(() => notFlagged() === '0', 10000, 'the followers flagged by the hasnew events thread');
    assert.equal(sqlValue(url, `SELECT count(*) FROM system.batchrun WHERE jobkey = 'library.hasnew'`), '0');

    await waitFor(async () => metricValue(await metrics(d), 'comicbatch_leader') === 1, 10000, 'leadership back');
    assert.ok(leaderRow(url).epoch > epoch0, 'leadership taken again under a new epoch');

    // The API pool while the server is down: each request answers 503 at once, and the pool tries a new
    // connection once per backoff step (0.1 s doubling to 1 s), not once per request (it used to be 40 of them).
    script('pg-replica.sh', 'crash', C);
    const mark = d.logs().length;
    const down = [];
    for (let i = 0; i < 40; i++) {
      down.push((await api(d, 'GET', '/api/v1/admin/batch/schedule')).status);
      await sleep(50);
    }
    assert.ok(down.every((s) => s === 503), down.join(','));
    await sleep(200); // the last log lines reach d.logs() on a turn of the event loop
    const attempts = (d.logs().slice(mark).match(/pool=api retry_in_ms=/g) || []).length;
    assert.ok(attempts >= 1 && attempts <= 15, `${attempts} pool connection attempts for 40 requests over ~2 s`);
    process.env.PGPORT_SCRATCH = '5443';
    try { script('pg-scratch.sh', 'start', C); } finally { delete process.env.PGPORT_SCRATCH; }
    await waitFor(async () => (await api(d, 'GET', '/api/v1/admin/batch/schedule')).status === 200, 10000,
      'the API served again once the server is back');
    t.diagnostic(`run ended ${endedAfter} ms after the server was back; NOTIFY wake-up ${waitedMs} ms; `
      + `${attempts} pool connection attempts during the outage`);
  } finally {
    if (d && !d.exited()) await stopClean(d);
    cleanupRoot(root, ['c']);
  }
});
