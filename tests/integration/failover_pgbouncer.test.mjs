// failover_pgbouncer.test.mjs — comicbatch behind a real PgBouncer (Debian's package) in TRANSACTION pooling mode
// (issue 11). Before, the `options=-c TimeZone=UTC` startup parameter was refused outright, and with it out of the
// way the run model broke: advisory locks landed on pooled server connections, a canary stayed queued,
// `library.hasnew` lost its temporary table between transactions. Now `url` goes through PgBouncer (a pool of 4
// server connections shared by every client) and `[database] direct_url` reaches PostgreSQL for what needs a session
// (LISTEN, the leader's and the instance's advisory locks, the workers' job connections). The whole run model works:
// trigger, 409 on a second trigger, cancel of a running statement, LISTEN wake-ups (a run claimed within 3 s of
// its trigger with every worker idle, not by the 10 s fallback poll), a leader, a full library.hasnew (temporary
// tables), the run list's prepared statements on pooled sessions, and the rescue of a killed instance's run
// (within 15 s of the kill); PgBouncer's own client list shows
// the API pool and the monitor on it and no session-scoped connection. Without direct_url, `serve`, `run` and `migrate`
// refuse to start, naming the setting, and doctor reports it (before, the daemon came up and a canary stayed queued).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { cli, newDatabase, startDaemon, api, waitFor, waitRun } from './lib.mjs';
import { trigger, waitStatus, waitWorkerSleeping, workerSleeps, assertError, stopClean, getRun } from './foundation-util.mjs';
import { script, clusterRoot, cleanupRoot, leaderFlags, asAppRole, bouncerClients, since } from './failover-util.mjs';

const TEMPLATE_URL = process.env.COMICBATCH_DATABASE_URL;

test('behind PgBouncer in transaction mode with direct_url: trigger, 409, cancel, LISTEN, leader, temp tables, '
  + 'rescue', { timeout: 180000 }, async (t) => {
  const root = clusterRoot();
  const direct = newDatabase();
  const dbName = direct.match(/^postgresql:\/\/\/([^?]+)\?/)[1];
  const pgDir = decodeURIComponent(TEMPLATE_URL.match(/[?&]host=([^&]+)/)[1]);
  const users = ['postgres', process.env.COMICBATCH_APP_ROLE].filter(Boolean);
  const bouncer = script('pgbouncer-scratch.sh', 'start', `${root}/b`, pgDir, ...users);
  const pooled = bouncer.replace('postgresql:///?', `postgresql:///${dbName}?`) + '&user=postgres';
  const ini = (scheduler) => ({ database: { direct_url: asAppRole(direct) }, runs: { scheduler, workers: 2 } });
  let A, B, C;
  try {
    // Without direct_url every "session" connection is on PgBouncer too: refused at start, naming the fix (before,
    // the daemon came up and its runs stayed queued).
    await assert.rejects(startDaemon(pooled, { runs: { scheduler: 'true' } }),
      /daemon exited early[\s\S]*\[database\] url is pooled per transaction[\s\S]*set \[database\] direct_url/);
    const run = cli(pooled, ['run', 'system.canary', '--params', '{"seconds":0}']);
    assert.equal(run.status, 1, run.out + run.err);
    assert.match(run.err, /\[database\] url is pooled per transaction .*backend pid \d+/);
    const mig = cli(pooled, ['migrate']);
    assert.equal(mig.status, 1, mig.out + mig.err);
    assert.match(mig.err, /\[database\] url is pooled per transaction/, 'migrate: its lock needs a session too');
    const doc = cli(pooled, ['doctor']);
    assert.equal(doc.status, 1, doc.out + doc.err);
    assert.match(doc.out, /^sessions: \[database\] url is pooled per transaction/m);
    assert.equal(cli(pooled, ['doctor'], { COMICBATCH_DATABASE_DIRECT_URL: asAppRole(direct) }).status, 0,
      'with direct_url, doctor is satisfied');

    A = await startDaemon(pooled, ini('true'));
    B = await startDaemon(pooled, ini('false'));
    await waitFor(async () => (await leaderFlags([A]))[0] === 1, 15000, 'A to lead (its lock on the direct session)');
    assert.deepEqual(await leaderFlags([A, B]), [1, 0]);

    // Trigger, then a second trigger of the same lock key: 409.
    await sleep(1500); // every worker idle: the next fallback poll is 10 s away, so a quick claim means a NOTIFY
    const long = await trigger(B, 'system.canary', { seconds: 60 });
    const running = await waitStatus(A, 'system.canary', long.id, 'running', 5000);
    const claimMs = Date.parse(running.startedat) - Date.parse(running.createdat);
    assert.ok(claimMs < 3000, `claimed ${claimMs} ms after the trigger (LISTEN/NOTIFY through direct_url)`);
    assertError(await api(A, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { params: {} } }), 409,
      'CONFLICT');
    // Cancel of a running statement: the cancel NOTIFY and PQcancel reach the worker's own session.
    await waitWorkerSleeping(direct);
    const c = await api(A, 'POST', '/api/v1/admin/batch/jobs/system.canary/cancel', { body: {} });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.data.status, 'cancelled', JSON.stringify(c.body));
    await waitFor(() => workerSleeps(direct) === 0, 5000, 'the sleeping statement to be cancelled');

    // Temporary tables across transactions (a full library.hasnew) on the job's session.
    const hn = await trigger(A, 'library.hasnew', { full: true });
    const hnDone = await waitRun(A, 'library.hasnew', hn.id, 30000);
    assert.equal(hnDone.status, 'done', JSON.stringify(hnDone));
    assert.equal(hnDone.meta.mode, 'full');

    // The run list runs named prepared statements (store/runstore.c, pg_query_prepared) on the API pool, which is
    // on PgBouncer: 4 server sessions shared by both instances, so a client's next statement often lands on a
    // session that never prepared it (26000: prepared again there, or run plain). Every answer must be a correct
    // page, none an error.
    const lists = await Promise.all(Array.from({ length: 24 }, (_, i) => api(i % 2 ? A : B, 'GET',
      `/api/v1/admin/batch/jobs?limit=1&page=${1 + (i % 2)}`)));
    for (const l of lists) {
      assert.equal(l.status, 200, JSON.stringify(l.body));
      assert.equal(l.body.data.length, 1, JSON.stringify(l.body));
      assert.ok(l.body.meta.total >= 2, JSON.stringify(l.body.meta));
    }

    // Who is on PgBouncer: the API pool and the monitors; never a session-scoped connection.
    const apps = new Set(bouncerClients(bouncer).map((r) => r.application_name));
    assert.ok(apps.has('comicbatch-api') && apps.has('comicbatch-monitor'), [...apps].join(','));
    for (const s of ['comicbatch-listener', 'comicbatch-leader', 'comicbatch-worker']) assert.ok(!apps.has(s), s);

    // Rescue: an instance killed mid-run; the leader fails its run and frees the lock key.
    await stopClean(A);
    A = null;
    const orphan = await trigger(B, 'system.canary', { seconds: 60 });
    await waitStatus(B, 'system.canary', orphan.id, 'running', 10000);
    const owner = (await getRun(B, 'system.canary', orphan.id)).instance;
    C = await startDaemon(pooled, ini('true'));
    await waitFor(async () => (await leaderFlags([C]))[0] === 1, 15000, 'C to lead');
    await B.kill();
    const tKill = Date.now();
    const rescued = await waitStatus(C, 'system.canary', orphan.id, 'failed', 15000);
    assert.match(rescued.lasterror, /died/);
    assert.ok(rescued.lasterror.includes(owner), rescued.lasterror);
    const rescueMs = since(tKill);
    const again = await trigger(C, 'system.canary', { seconds: 0 });
    assert.equal((await waitRun(C, 'system.canary', again.id, 15000)).status, 'done');
    t.diagnostic(`claim after trigger ${claimMs} ms; rescue ${rescueMs} ms after the kill`);
  } finally {
    for (const d of [A, B, C]) if (d && !d.exited()) await stopClean(d);
    cleanupRoot(root, [], ['b']);
  }
});
