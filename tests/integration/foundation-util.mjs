// foundation-util.mjs — helpers shared by the foundation-*.test.mjs files (run model, schedule, auth, cluster):
// reading one run through the API, waiting for a status, looking at the worker's statements in pg_stat_activity,
// and reading Prometheus text. Everything goes through the real daemon or the real database.
import assert from 'node:assert/strict';
import { api, sql, sqlValue, waitFor } from './lib.mjs';

/** The run `id` of `jobkey` as the API shows it (job history, which covers all retained history), or null. */
export async function getRun(d, jobkey, id) {
  const r = await api(d, 'GET', `/api/v1/admin/batch/jobs/${jobkey}?limit=200`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.data.find((x) => x.id === id) || null;
}

/** Waits until run `id` has one of `statuses` (array or string); returns the run. */
export async function waitStatus(d, jobkey, id, statuses, ms = 20000) {
  const want = Array.isArray(statuses) ? statuses : [statuses];
  let last = null;
  try {
    return await waitFor(async () => {
      last = await getRun(d, jobkey, id);
      return last && want.includes(last.status) ? last : null;
    }, ms, `run ${id} of ${jobkey} to be ${want.join('|')}`);
  } catch (e) {
    e.message += ` (last seen: ${JSON.stringify(last)})`;
    throw e;
  }
}

/** Triggers `jobkey` with `params`; asserts 202 and returns the queued run. */
export async function trigger(d, jobkey, params = {}, opts = {}) {
  const r = await api(d, 'POST', `/api/v1/admin/batch/jobs/${jobkey}/run`, { body: { params }, ...opts });
  assert.equal(r.status, 202, `trigger ${jobkey}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data;
}

/** Statements the daemon's workers are running in database `dbUrl` that call pg_sleep (the canary's sleep). */
export function workerSleeps(dbUrl) {
  return Number(sqlValue(dbUrl, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
    AND application_name = 'comicbatch-worker' AND state = 'active' AND query LIKE '%pg_sleep%'`));
}

/** Waits until a worker statement with pg_sleep is in flight in `dbUrl`. */
export async function waitWorkerSleeping(dbUrl, ms = 10000) {
  await waitFor(() => workerSleeps(dbUrl) > 0, ms, 'a worker to be inside pg_sleep');
}

/** The value of the Prometheus series `name{labels}` in `text` (labels as written, e.g. `job="x",status="done"`). */
export function metricValue(text, name, labels = null) {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$/);
    if (!m || m[1] !== name) continue;
    if (labels !== null && (m[3] || '') !== labels) continue;
    return Number(m[4]);
  }
  return null;
}

/** Fetches /metrics as text. */
export async function metrics(d) {
  const r = await api(d, 'GET', '/metrics', { token: null });
  assert.equal(r.status, 200);
  return r.body;
}

/** Asserts the error envelope: status, code, optional details.field. */
export function assertError(r, status, code, field) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(typeof r.body, 'object', `body is JSON: ${r.body}`);
  assert.equal(r.body.code, code, JSON.stringify(r.body));
  assert.equal(typeof r.body.error, 'string');
  assert.ok(r.body.error.length > 0);
  if (field !== undefined) assert.equal(r.body.details?.field, field, JSON.stringify(r.body));
}

/** The next fire time (ms) strictly after `afterMs` of a cron with only a minute field `*\/n` or `*`, in UTC. */
export function nextMinuteStep(afterMs, step) {
  let t = Math.floor(afterMs / 60000) * 60000 + 60000;
  while (new Date(t).getUTCMinutes() % step !== 0) t += 60000;
  return t;
}

/** Rows of system.batchrun for `jobkey` as objects (for checks the API does not expose). */
export function runRows(dbUrl, jobkey, extraWhere = 'true') {
  return sql(dbUrl, `SELECT id, status, triggeredby, to_char(scheduledfor AT TIME ZONE 'UTC',
      'YYYY-MM-DD"T"HH24:MI:SS"Z"'), instance, lasterror FROM system.batchrun
      WHERE jobkey = '${jobkey}' AND ${extraWhere} ORDER BY createdat`)
    .map(([id, status, triggeredby, scheduledfor, instance, lasterror]) =>
      ({ id, status, triggeredby, scheduledfor, instance, lasterror }));
}

/** Stops a daemon and asserts a clean exit (a sanitizer finding at shutdown makes it non-zero). */
export async function stopClean(d) {
  if (!d) return;
  const ex = await d.stop();
  assert.deepEqual(ex, { code: 0, sig: null }, `daemon exit ${JSON.stringify(ex)}; log tail:\n${d.logs().slice(-3000)}`);
}
