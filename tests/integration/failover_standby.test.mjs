// failover_standby.test.mjs — PostgreSQL failover as the industry runs it (issue 11): a real primary and a real
// streaming standby (`pg_basebackup -R`, synchronous replication) on unix sockets, two comicbatch instances on a
// libpq multi-host URL (`target_session_attrs=read-write`), a job scheduled every minute. Mid-run the primary is
// stopped hard (`pg_ctl stop -m immediate`); /readyz must report the outage while it lasts; then the standby is
// promoted. Stated bounds, each asserted: within 15 s of the promotion both instances are ready and connected to the
// new primary (listener, leader, monitor sessions there), exactly one of them leads under a new epoch, and the
// interrupted run is terminal with a lasterror that names the failover; a manual trigger works; the next minute's
// slot is enqueued exactly once. Waits for a good second of the minute and for the next slot: up to ~2.5 minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon, api, waitFor, waitRun } from './lib.mjs';
import { getRun, trigger, waitStatus, runRows, stopClean } from './foundation-util.mjs';
import {
  script, clusterRoot, startClusterWithTemplate, multiHostUrl, withDatabase, cleanupRoot, leaderFlags, leaderRow,
  sessions, readyz, since, waitSecondOfMinute, sqlValue,
} from './failover-util.mjs';

const BOUND_MS = 15000;

test('primary stopped hard mid-run, standby promoted: both instances back on the new primary, one leader, the run '
  + 'ended with a clear lasterror, the next slot once', { timeout: 300000 }, async (t) => {
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
    // Stop between :05 and :30, so the slot after the failover is at least 30 s away from the stop.
    await waitSecondOfMinute(5, 28);
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
    await sleep(1000); // an outage of a couple of seconds, as a failover manager's detection would take

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

    // The first slot after the promotion: enqueued once (by whichever instance leads), and it runs.
    const slot = Math.floor(tPromote / 60000) * 60000 + 60000;
    const iso = new Date(slot).toISOString().replace('.000Z', 'Z');
    const rows = await waitFor(() => {
      const r = runRows(standbyUrl, 'sessions.cleanup', `scheduledfor = '${iso}'`);
      return r.length >= 1 && r;
    }, slot - Date.now() + 20000, `the slot ${iso}`);
    assert.equal((await waitRun(ds[0], 'sessions.cleanup', rows[0].id, 20000)).status, 'done');
    await sleep(2000);
    assert.equal(runRows(standbyUrl, 'sessions.cleanup', `scheduledfor = '${iso}'`).length, 1, 'enqueued once');
    assert.equal((await leaderFlags(ds)).filter((x) => x === 1).length, 1, 'still exactly one leader');
    t.diagnostic(`outage reported ${outageReported} ms after the stop; after the promotion: ready ${ready} ms, `
      + `one leader ${leaderUp} ms, interrupted run ended ${runEnded} ms; epoch ${epoch0} -> ${row.epoch}`);
  } finally {
    for (const d of ds) if (!d.exited()) await stopClean(d);
    cleanupRoot(root, ['p', 's']);
  }
});
