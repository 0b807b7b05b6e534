// failover_readonly.test.mjs — no connection stays stuck on a node that stops taking writes (issue 11; the
// "cannot execute UPDATE in a read-only transaction" of pools left on a demoted node). Two writable clusters A and
// B, each with the template; one instance on a multi-host URL A,B without `target_session_attrs` (the daemon asks
// for a read-write node by default), so everything starts on A. Then A turns read-only under the live sessions
// (`ALTER SYSTEM SET default_transaction_read_only = on` + reload, as a demoted node behaves). Stated bound, asserted:
// within 15 s the API accepts a trigger again and every session that matters — listener, leader, monitor, workers —
// has moved to B, where the instance registered itself again (its row is not there: A and B share nothing), leads
// under an epoch of B's, and gets its wake-ups by NOTIFY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon, api, sql, waitFor, waitRun } from './lib.mjs';
import { stopClean, metrics, metricValue } from './foundation-util.mjs';
import { clusterRoot, startClusterWithTemplate, cleanupRoot, withDatabase, leaderRow, sessions, since, sqlValue }
  from './failover-util.mjs';

const BOUND_MS = 15000;

test('a node that turns read-only under live sessions: every connection moves to the writable node',
  { timeout: 180000 }, async (t) => {
    const root = clusterRoot();
    let d;
    try {
      const a = startClusterWithTemplate(`${root}/a`, 5444, 'cbro');
      const b = startClusterWithTemplate(`${root}/b`, 5445, 'cbro');
      const url = `postgresql:///cbro?host=${root}/a,${root}/b&port=5444,5445&user=postgres`;
      d = await startDaemon(url, { runs: { workers: 2 } });
      await waitFor(async () => metricValue(await metrics(d), 'comicbatch_leader') === 1, 15000, 'leadership on A');
      const onA = sessions(a);
      assert.ok(onA['comicbatch-listener'] === 1 && onA['comicbatch-leader'] === 1, JSON.stringify(onA));
      const first = await api(d, 'POST', '/api/v1/admin/batch/jobs/announcements.expire/run', { body: {} });
      assert.equal(first.status, 202);
      await waitRun(d, 'announcements.expire', first.body.data.id, 15000);
      const instanceNo = sqlValue(a, `SELECT no FROM system.batchinstance ORDER BY no DESC LIMIT 1`);
      assert.equal(sqlValue(b, `SELECT count(*) FROM system.batchinstance`), '0', 'B has never seen the instance');

      const admin = withDatabase(a, 'postgres');
      sql(admin, `ALTER SYSTEM SET default_transaction_read_only = on`);
      sql(admin, `SELECT pg_reload_conf()`);
      const tFlip = Date.now();

      // Writes through the API: the first may meet the read-only node (and drop that connection); then B answers.
      const accepted = await waitFor(async () => {
        const r = await api(d, 'POST', '/api/v1/admin/batch/jobs/announcements.expire/run', { body: {} });
        return r.status === 202 && r.body.data;
      }, BOUND_MS, 'a trigger to be accepted again');
      const apiBack = since(tFlip);
      assert.equal(sqlValue(b, `SELECT count(*) FROM system.batchrun WHERE id = '${accepted.id}'`), '1', 'written to B');
      assert.equal((await waitRun(d, 'announcements.expire', accepted.id, BOUND_MS)).status, 'done');

      await waitFor(() => {
        const sa = sessions(a), sb = sessions(b);
        return !sa['comicbatch-listener'] && !sa['comicbatch-leader'] && !sa['comicbatch-monitor']
          && !sa['comicbatch-worker'] && sb['comicbatch-listener'] === 1 && sb['comicbatch-leader'] === 1
          && sb['comicbatch-monitor'] === 1 && sb['comicbatch-worker'] === 2;
      }, BOUND_MS - since(tFlip), 'listener, leader, monitor and workers to leave A for B');
      const moved = since(tFlip);
      assert.match(d.logs(), /the database node is read-only; dropping the connection/);
      assert.equal(sqlValue(b, `SELECT count(*) FROM system.batchinstance WHERE no = ${instanceNo}`), '1',
        'the instance registered itself again on B, under its number');
      await waitFor(async () => metricValue(await metrics(d), 'comicbatch_leader') === 1, 10000, 'leadership on B');
      assert.ok(leaderRow(b).epoch >= 1, 'leadership taken on B');

      await sleep(1500); // workers idle: a quick claim means the NOTIFY reached the listener on B
      const woke = await api(d, 'POST', '/api/v1/admin/batch/jobs/announcements.expire/run', { body: {} });
      assert.equal(woke.status, 202);
      const done = await waitRun(d, 'announcements.expire', woke.body.data.id, 15000);
      const claimMs = Date.parse(done.startedat) - Date.parse(done.createdat);
      assert.ok(claimMs < 3000, `claimed ${claimMs} ms after the trigger`);
      t.diagnostic(`after A turned read-only: API writes back in ${apiBack} ms, every session on B in ${moved} ms`);
    } finally {
      if (d && !d.exited()) await stopClean(d);
      cleanupRoot(root, ['a', 'b']);
    }
  });
