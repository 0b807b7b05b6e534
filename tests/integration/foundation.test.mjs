// foundation.test.mjs — the run model through HTTP against the real daemon (issue 2): trigger → 202 queued → done
// with durationms/rowsaffected/meta, 50 concurrent triggers → one 202 and 49 × 409, cancel of a running run (answered
// `cancelled` within 1 s, its Postgres statement gone) and of a queued one, request body limits and validation,
// health/readiness/metrics, and the failure-streak alert. The job timeout has its own daemon (it changes the canary).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { newDatabase, startDaemon, api, sql, sqlValue, waitRun, waitFor } from './lib.mjs';
import {
  getRun, waitStatus, trigger, workerSleeps, waitWorkerSleeping, metrics, metricValue, assertError, stopClean,
} from './foundation-util.mjs';

const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

let db;
let d;

before(async () => {
  db = newDatabase();
  // One worker, so a second job stays queued while the canary runs; a small body cap for the 413 checks.
  d = await startDaemon(db, { runs: { workers: 1 }, server: { max_body: '2k' } });
});

after(async () => {
  await stopClean(d);
});

/** Cancels whatever of `jobkey` is active, ignoring "nothing to cancel". */
async function cancelAll(jobkey) {
  const r = await api(d, 'POST', `/api/v1/admin/batch/jobs/${jobkey}/cancel`, { body: {} });
  assert.ok([200, 202, 409].includes(r.status), JSON.stringify(r.body));
}

describe('trigger and run', () => {
  test('canary: 202 queued with the BatchJobRun shape, then done with durationms, rowsaffected and meta', async () => {
    const before = Date.now();
    const r = await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { params: { seconds: 1 } } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const q = r.body.data;
    assert.match(q.id, UUID7, 'ids are UUIDv7');
    assert.ok(Math.abs(parseInt(q.id.replace(/-/g, '').slice(0, 12), 16) - before) < 60000,
      'the UUIDv7 timestamp is the creation time');
    assert.equal(q.jobkey, 'system.canary');
    assert.equal(q.status, 'queued');
    assert.equal(q.triggeredby, 'admin');
    assert.equal(q.triggeredbyuserid, null, 'the admin token is no user');
    assert.equal(q.startedat, null);
    assert.equal(q.finishedat, null);
    assert.equal(q.durationms, null);
    assert.equal(q.lasterror, null);
    assert.match(q.createdat, ISO);
    assert.deepEqual(q.params, { seconds: 1, fail: false }, 'params are stored validated, defaults filled');

    const run = await waitRun(d, 'system.canary', q.id);
    assert.equal(run.status, 'done', JSON.stringify(run));
    assert.match(run.startedat, ISO);
    assert.match(run.finishedat, ISO);
    assert.ok(run.durationms >= 1000, `slept 1 s inside Postgres, durationms ${run.durationms}`);
    assert.ok(run.durationms < 30000);
    assert.equal(run.rowsaffected, 0);
    assert.deepEqual(run.meta, { sleptMs: 1000 });
    assert.equal(run.lasterror, null);
    assert.equal(run.progressdone, 1000);
    assert.equal(run.progresstotal, 1000);
    assert.equal(run.id, q.id);
  });

  test('an idle worker starts a queued run at once (woken by NOTIFY, not by its fallback timer)', async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) {
      const q = await trigger(d, 'system.canary', { seconds: 0 });
      await waitRun(d, 'system.canary', q.id);
      ids.push(q.id);
      await new Promise((r) => setTimeout(r, 300)); // the worker goes back to waiting
    }
    const waits = sql(db, `SELECT extract(epoch FROM startedat - createdat) FROM system.batchrun
      WHERE id IN ('${ids.join("','")}')`).map((r) => Number(r[0]));
    assert.ok(Math.max(...waits) < 2, `queue waits ${waits.join(', ')} s (the fallback timer is 10 s)`);
  });

  test('sessions.cleanup deletes exactly the expired and revoked sessions of generated data', async () => {
    sql(db, `INSERT INTO users.account (username, email, role)
      SELECT 'gen_user_' || i, 'gen' || i || '@example.test', CASE WHEN i % 50 = 0 THEN 'admin' ELSE 'user' END
      FROM generate_series(1, 400) i`);
    // 6000 sessions over those users: every 3rd expired (in the past by up to 30 days), every 5th revoked
    // (some of them also expired), the rest live for up to 30 days.
    sql(db, `INSERT INTO users.session (userid, tokenhash, expiresat, revokedat)
      SELECT a.id, encode(sha256(('gen-session-' || i)::bytea), 'hex'), CASE WHEN i % 3 = 0 THEN now() - (i % 30 + 1) * interval '1 day'
                                               ELSE now() + (i % 30 + 1) * interval '1 day' END,
             CASE WHEN i % 5 = 0 THEN now() - interval '1 hour' END
      FROM generate_series(1, 6000) i
      JOIN LATERAL (SELECT id FROM users.account WHERE username = 'gen_user_' || (i % 400 + 1)) a ON true`);
    const stale = 6000 - [...Array(6000).keys()].map((k) => k + 1).filter((i) => i % 3 !== 0 && i % 5 !== 0).length;
    const liveBefore = sqlValue(db, `SELECT string_agg(id::text, ',' ORDER BY id) FROM users.session
      WHERE expiresat > now() AND revokedat IS NULL`);

    const dry = await trigger(d, 'sessions.cleanup', {}, { body: { params: {}, dryrun: true } });
    const dryRun = await waitRun(d, 'sessions.cleanup', dry.id);
    assert.equal(dryRun.status, 'done', JSON.stringify(dryRun));
    assert.equal(dryRun.meta.wouldDelete, stale, 'a dry run counts what it would delete');
    assert.equal(Number(sqlValue(db, 'SELECT count(*) FROM users.session')), 6000, 'and deletes nothing');

    const q = await trigger(d, 'sessions.cleanup');
    const run = await waitRun(d, 'sessions.cleanup', q.id);
    assert.equal(run.status, 'done', JSON.stringify(run));
    assert.equal(run.rowsaffected, stale);
    assert.equal(run.meta.sessionsDeleted, stale);
    assert.equal(typeof run.durationms, 'number');
    assert.equal(Number(sqlValue(db, `SELECT count(*) FROM users.session WHERE expiresat < now()
      OR revokedat IS NOT NULL`)), 0, 'no stale session is left');
    assert.equal(sqlValue(db, 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM users.session'), liveBefore,
      'every live session is kept');

    const again = await trigger(d, 'sessions.cleanup');
    const run2 = await waitRun(d, 'sessions.cleanup', again.id);
    assert.equal(run2.status, 'done');
    assert.equal(run2.rowsaffected, 0, 'a rerun finds nothing left to do');
  });

  test('the per-job trigger endpoint enqueues the same job', async () => {
    const r = await api(d, 'POST', '/api/v1/admin/batch/sessions/cleanup', { body: {} });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.data.jobkey, 'sessions.cleanup');
    const run = await waitRun(d, 'sessions.cleanup', r.body.data.id);
    assert.equal(run.status, 'done', JSON.stringify(run));
  });
});

describe('one active run per job', () => {
  test('50 concurrent triggers: exactly one 202 and 49 × 409 CONFLICT', async () => {
    const results = await Promise.all([...Array(50)].map(() =>
      api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { params: { seconds: 2 } } })));
    const accepted = results.filter((r) => r.status === 202);
    const conflicts = results.filter((r) => r.status === 409);
    assert.equal(accepted.length, 1, results.map((r) => r.status).join(','));
    assert.equal(conflicts.length, 49);
    const id = accepted[0].body.data.id;
    for (const c of conflicts) {
      assert.equal(c.body.error, 'This job is already running');
      assert.equal(c.body.code, 'CONFLICT');
      // who holds it: the accepted run, queued or already running on a live instance
      assert.match(c.body.details.heldby, new RegExp(`^run ${id} \\((queued|running since \\S+)\\) holds lock key system\\.canary$`));
    }
    assert.equal(Number(sqlValue(db, `SELECT count(*) FROM system.batchrun WHERE jobkey = 'system.canary'
      AND status IN ('queued', 'running')`)), 1, 'one active row in the table');
    const run = await waitRun(d, 'system.canary', accepted[0].body.data.id);
    assert.equal(run.status, 'done');
    // Once it is over, the job can run again.
    const next = await trigger(d, 'system.canary', { seconds: 0 });
    assert.equal((await waitRun(d, 'system.canary', next.id)).status, 'done');
  });
});

describe('cancel', () => {
  test('a running canary is answered cancelled within 1 s and its statement is gone', async () => {
    const q = await trigger(d, 'system.canary', { seconds: 60 });
    await waitStatus(d, 'system.canary', q.id, 'running');
    await waitWorkerSleeping(db);
    const t0 = performance.now();
    const r = await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/cancel', { body: {} });
    const elapsed = performance.now() - t0;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.data.id, q.id);
    assert.equal(r.body.data.status, 'cancelled');
    assert.ok(elapsed < 1000, `answered in ${elapsed.toFixed(0)} ms`);
    assert.equal(workerSleeps(db), 0, 'no pg_sleep left running for the worker');
    const run = await getRun(d, 'system.canary', q.id);
    assert.equal(run.status, 'cancelled');
    assert.ok(run.finishedat);
    assert.ok(run.meta.sleptMs < 60000, 'it stopped early');
    assert.ok(run.cancelrequestedat);
    // The lock is free again.
    const next = await trigger(d, 'system.canary', { seconds: 0 });
    assert.equal((await waitRun(d, 'system.canary', next.id)).status, 'done');
  });

  test('a queued run is cancelled at once and never starts', async () => {
    const busy = await trigger(d, 'system.canary', { seconds: 60 });
    await waitStatus(d, 'system.canary', busy.id, 'running');
    const q = await trigger(d, 'announcements.expire');
    assert.equal((await getRun(d, 'announcements.expire', q.id)).status, 'queued', 'the only worker is busy');
    const r = await api(d, 'POST', '/api/v1/admin/batch/jobs/announcements.expire/cancel', { body: { id: q.id } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.data.status, 'cancelled');
    assert.equal(r.body.data.startedat, null, 'it never started');
    assert.ok(r.body.data.finishedat);
    assert.equal((await getRun(d, 'system.canary', busy.id)).status, 'running', 'the other job is untouched');
    await cancelAll('system.canary');
    await waitStatus(d, 'system.canary', busy.id, 'cancelled');
    // The worker is free now and must not pick the cancelled run up.
    const probe = await trigger(d, 'system.canary', { seconds: 0 });
    await waitRun(d, 'system.canary', probe.id);
    const after = await getRun(d, 'announcements.expire', q.id);
    assert.equal(after.status, 'cancelled');
    assert.equal(after.startedat, null);
  });

  test('cancel with nothing active is 409; a malformed id or unknown field is 400; an unknown job is 404', async () => {
    assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/announcements.expire/cancel', { body: {} }),
      409, 'CONFLICT');
    for (const id of ['nope', '0'.repeat(36), '-'.repeat(36), '0195310a-7b2c-7d3e-8f40-123456789abcd', 42]) {
      assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/cancel', { body: { id } }),
        400, 'VALIDATION_ERROR', 'id');
    }
    assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/cancel', { body: { runid: 'x' } }),
      400, 'VALIDATION_ERROR', 'runid');
    assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/cancel',
      { body: { id: '0195310a-7b2c-7d3e-8f40-123456789abc' } }), 409, 'CONFLICT', undefined);
    assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/no.such/cancel', { body: {} }), 404, 'NOT_FOUND');
  });
});

describe('request validation', () => {
  test('unknown job key → 404 NOT_FOUND envelope', async () => {
    const r = await api(d, 'POST', '/api/v1/admin/batch/jobs/no.such.job/run', { body: { params: {} } });
    assertError(r, 404, 'NOT_FOUND');
    assert.equal(r.body.error, 'Unknown job key');
  });

  test('unknown and invalid params → 400 naming params.<name>, nothing written', async () => {
    const count = () => Number(sqlValue(db, 'SELECT count(*) FROM system.batchrun'));
    const n = count();
    assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { params: { x: 1 } } }),
      400, 'VALIDATION_ERROR', 'params.x');
    assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run',
      { body: { params: { seconds: -1 } } }), 400, 'VALIDATION_ERROR', 'params.seconds');
    assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run',
      { body: { params: { seconds: '5' } } }), 400, 'VALIDATION_ERROR', 'params.seconds');
    assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { params: [1] } }),
      400, 'VALIDATION_ERROR', 'params');
    assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { param: {} } }),
      400, 'VALIDATION_ERROR', 'param');
    assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run',
      { body: { params: {}, dryrun: true } }), 400, 'VALIDATION_ERROR', 'dryrun');
    assertError(await api(d, 'POST', '/api/v1/admin/batch/sessions/cleanup', { body: { olderthan: '1d' } }),
      400, 'VALIDATION_ERROR', 'params.olderthan');
    assert.equal(count(), n, 'no run was written');
  });

  test('malformed JSON and non-object bodies → 400 VALIDATION_ERROR', async () => {
    for (const raw of ['{"params":', '{params: {}}', 'null', '[]', '"x"', '{"params":{}}x']) {
      const r = await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run',
        { raw, headers: { 'Content-Type': 'application/json' } });
      assertError(r, 400, 'VALIDATION_ERROR');
    }
  });

  test('a body over [server] max_body → 413 PAYLOAD_TOO_LARGE, declared or chunked', async () => {
    const big = JSON.stringify({ params: {}, pad: 'x'.repeat(3000) });
    assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run',
      { raw: big, headers: { 'Content-Type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE');
    // Without a Content-Length the cap is enforced while reading.
    const chunked = await new Promise((resolve, reject) => {
      const req = http.request(`${d.base}/api/v1/admin/batch/jobs/system.canary/run`, {
        method: 'POST',
        headers: { Authorization: 'Bearer integration-admin-token-0123456789', 'Transfer-Encoding': 'chunked' },
      }, (res) => {
        let text = '';
        res.on('data', (c) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      for (let i = 0; i < 6; i++) req.write('x'.repeat(1000));
      req.end();
    });
    assertError(chunked, 413, 'PAYLOAD_TOO_LARGE');
    // Just under the cap is read and judged on its content.
    const fits = JSON.stringify({ params: {}, pad: 'x'.repeat(1900) });
    assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run',
      { raw: fits, headers: { 'Content-Type': 'application/json' } }), 400, 'VALIDATION_ERROR', 'pad');
  });

  test('unknown endpoints are 404, wrong methods 405, malformed paths 400 — all in the envelope', async () => {
    assertError(await api(d, 'GET', '/api/v1/admin/batch/nothing'), 404, 'NOT_FOUND');
    const m = await api(d, 'DELETE', '/api/v1/admin/batch/jobs');
    assert.equal(m.status, 405);
    assert.equal(m.body.code, 'METHOD_NOT_ALLOWED');
    assertError(await api(d, 'GET', '/api/v1/admin/batch/jobs/%zz'), 400, 'VALIDATION_ERROR');
  });
});

describe('health and metrics', () => {
  test('/healthz and /readyz answer without a token', async () => {
    const h = await api(d, 'GET', '/healthz', { token: null });
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'ok');
    const r = await api(d, 'GET', '/readyz', { token: null });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.checks, { database: 'ok', redis: 'ok' });
  });

  test('/metrics counts finished runs and their durations, and shows the leader', async () => {
    const before = await metrics(d);
    const doneBefore = metricValue(before, 'comicbatch_runs_total', 'job="system.canary",status="done"') || 0;
    const q = await trigger(d, 'system.canary', { seconds: 0 });
    await waitRun(d, 'system.canary', q.id);
    const text = await waitFor(async () => {
      const t = await metrics(d);
      return metricValue(t, 'comicbatch_runs_total', 'job="system.canary",status="done"') === doneBefore + 1 && t;
    }, 5000, 'the run to be counted');
    assert.match(text, /^# TYPE comicbatch_runs_total counter$/m);
    assert.match(text, /^# TYPE comicbatch_run_duration_seconds histogram$/m);
    assert.match(text, /^comicbatch_run_duration_seconds_bucket\{job="system.canary",le="\+Inf"\} \d+/m);
    const count = metricValue(text, 'comicbatch_run_duration_seconds_count', 'job="system.canary"');
    const inf = metricValue(text, 'comicbatch_run_duration_seconds_bucket', 'job="system.canary",le="+Inf"');
    assert.equal(count, inf, 'the +Inf bucket holds every observation');
    assert.ok(count >= doneBefore + 1);
    assert.equal(metricValue(text, 'comicbatch_leader'), 1, 'a lone instance leads');
    assert.match(text, /^comicbatch_http_requests_total\{/m);
  });

  test('/metrics shows the running gauge while a run is in progress', async () => {
    const gauge = async () => metricValue(await metrics(d), 'comicbatch_runs_active',
      'job="system.canary",status="running"');
    assert.equal(await gauge(), null, 'nothing running, no series');
    const q = await trigger(d, 'system.canary', { seconds: 60 });
    await waitStatus(d, 'system.canary', q.id, 'running');
    assert.equal(await gauge(), 1);
    const beat = () => sqlValue(db, `SELECT heartbeatat FROM system.batchrun WHERE id = '${q.id}'`);
    const first = beat();
    await waitFor(() => beat() !== first, 5000, 'the heartbeat to advance ([runs] heartbeat_seconds = 1)');
    await cancelAll('system.canary');
    await waitStatus(d, 'system.canary', q.id, 'cancelled');
    assert.equal(await gauge(), null);
  });
});

describe('alerts', () => {
  test('3 consecutive failures → one critical notification; a 4th → still one; a new streak → a second', async () => {
    const notes = () => sql(db, `SELECT level, message FROM system.notification
      WHERE message LIKE '%system.canary%' ORDER BY createdat`);
    const fail = async () => {
      const q = await trigger(d, 'system.canary', { seconds: 0, fail: true });
      const run = await waitRun(d, 'system.canary', q.id);
      assert.equal(run.status, 'failed');
      assert.match(run.lasterror, /asked to fail/);
    };
    const ok = async () => {
      const q = await trigger(d, 'system.canary', { seconds: 0 });
      assert.equal((await waitRun(d, 'system.canary', q.id)).status, 'done');
    };
    await ok();
    await fail();
    await fail();
    assert.equal(notes().length, 0, 'two failures are not yet an alert');
    await fail();
    const after3 = await waitFor(() => notes().length === 1 && notes(), 5000, 'the alert row');
    assert.equal(after3[0][0], 'critical');
    assert.match(after3[0][1], /system\.canary/);
    assert.match(after3[0][1], /3/);
    await fail();
    assert.equal(notes().length, 1, 'once per streak');
    await ok();
    await fail();
    await fail();
    await fail();
    await waitFor(() => notes().length === 2, 5000, 'the second streak\'s alert');
  });
});

describe('alert webhook', () => {
  test('the third consecutive failure POSTs the critical alert to [runs] alert_webhook_url, once', async () => {
    const got = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { got.push({ method: req.method, type: req.headers['content-type'], body }); res.end('ok'); });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const wdb = newDatabase();
    const w = await startDaemon(wdb, { runs: { alert_webhook_url: `http://127.0.0.1:${server.address().port}/hook` } });
    try {
      for (let i = 0; i < 4; i++) {
        const q = await trigger(w, 'system.canary', { seconds: 0, fail: true });
        assert.equal((await waitRun(w, 'system.canary', q.id)).status, 'failed');
        if (i === 1) assert.equal(got.length, 0, 'no alert before the third failure');
      }
      await waitFor(() => got.length >= 1, 5000, 'the webhook call');
      assert.equal(got.length, 1, 'once per streak');
      assert.equal(got[0].method, 'POST');
      assert.match(got[0].type, /application\/json/);
      const alert = JSON.parse(got[0].body);
      assert.equal(alert.level, 'critical');
      assert.match(alert.message, /system\.canary/);
      assert.equal(alert.details.jobkey, 'system.canary');
      assert.match(alert.details.lasterror, /asked to fail/);
    } finally {
      await stopClean(w);
      server.close();
    }
  });
});

describe('timeout', () => {
  test('[job.system.canary] timeout = 1s: a 5 s canary fails with a timeout lasterror', async () => {
    const tdb = newDatabase();
    const t = await startDaemon(tdb, { 'job.system.canary': { timeout: '1s' } });
    try {
      const q = await trigger(t, 'system.canary', { seconds: 5 });
      assert.equal(q.timeoutms, 1000, 'the run carries its timeout');
      const run = await waitRun(t, 'system.canary', q.id);
      assert.equal(run.status, 'failed', JSON.stringify(run));
      assert.match(run.lasterror, /timed out/);
      assert.ok(run.meta.sleptMs < 5000, `stopped early: slept ${run.meta.sleptMs} ms`);
      assert.equal(workerSleeps(tdb), 0, 'the statement was cancelled too');
      // Other jobs keep the default timeout.
      const other = await trigger(t, 'announcements.expire');
      assert.equal(other.timeoutms, 30 * 60 * 1000);
    } finally {
      await stopClean(t);
    }
  });
});
