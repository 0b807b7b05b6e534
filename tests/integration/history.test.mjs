// history.test.mjs — run history at scale (issue 12): the run list's meta.total/pages and its pages are exactly
// what a plain count(*) and ORDER BY createdat DESC, id DESC … OFFSET … LIMIT in SQL give, for every filter
// combination and several windows, after the runs went through everything that changes a count: 24,000 runs made
// with generate_series over 10 days (pairs sharing a createdat, so the id breaks ties), queued ones claimed and
// finished by the daemon, running ones of a dead instance failed by the leader's rescue, old ones deleted by
// retention (in several batches), a running and a queued run cancelled through the API, and bulk UPDATEs and
// DELETEs in plain SQL. The per-hour counts (system.batchruncount, migration 010) must then equal a recount of the
// table; an update that moves no run to another key must not write them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newDatabase, startDaemon, api, sql, sqlValue, waitFor } from './lib.mjs';
import { trigger, waitStatus, waitWorkerSleeping, stopClean } from './foundation-util.mjs';

const N = 24000;
const DAY = 86400;
const B = '/api/v1/admin/batch';

// Run i was created about (i-1)/2 × 72 s ago (two runs per instant), minus a fraction of a second; none within
// 15 minutes of the 7-day default window's edge or the 8-day retention edge, so that neither moves during the test.
const GEN = `
INSERT INTO system.batchrun (id, jobkey, lockkey, status, triggeredby, params, timeoutms, instance, instanceno,
                             startedat, finishedat, durationms, heartbeatat, lasterror, createdat)
SELECT gen_random_uuid(), g.jobkey, g.lockkey, g.status, g.trig, jsonb_build_object('comicid', 900000 + g.i), 60000,
       CASE WHEN g.status <> 'queued' THEN 'gone:1' END, CASE WHEN g.status <> 'queued' THEN 99999 END,
       CASE WHEN g.status <> 'queued' THEN g.created END,
       CASE WHEN g.status IN ('done', 'failed', 'cancelled') THEN g.created + interval '3 seconds' END,
       CASE WHEN g.status IN ('done', 'failed', 'cancelled') THEN 3000 END,
       CASE WHEN g.status = 'running' THEN now() - interval '1 hour' END,
       CASE WHEN g.status = 'failed' THEN 'generated failure' END, g.created
FROM (SELECT i, created,
             CASE WHEN i <= 30 THEN 'library.hasnew' WHEN i <= 36 THEN 'announcements.expire' ELSE jobkey END AS jobkey,
             CASE WHEN i <= 30 THEN 'library.hasnew:comic:' || (900000 + i)
                  WHEN i <= 36 THEN 'announcements.expire:gen:' || i ELSE jobkey END AS lockkey,
             CASE WHEN i <= 30 THEN 'queued' WHEN i <= 36 THEN 'running'
                  WHEN (h / 1000) % 20 = 0 THEN 'failed' WHEN (h / 1000) % 20 = 1 THEN 'cancelled' ELSE 'done' END AS status,
             CASE WHEN i <= 30 THEN 'admin' WHEN (h / 100) % 10 < 3 THEN 'scheduler' ELSE 'admin' END AS trig
      FROM (SELECT i, h, now() - make_interval(secs => (i - 1) / 2 * 72 + (h % 1000) / 1000.0 + 60) AS created,
                   CASE WHEN h % 100 < 55 THEN 'library.hasnew' WHEN h % 100 < 70 THEN 'sessions.cleanup'
                        WHEN h % 100 < 85 THEN 'comics.ratings_recalc' WHEN h % 100 < 97 THEN 'announcements.expire'
                        ELSE 'analytics.partition' END AS jobkey
            FROM (SELECT i, abs(hashint4(i)) AS h FROM generate_series(1, ${N}) i) s) s
      WHERE created NOT BETWEEN now() - interval '7 days 15 minutes' AND now() - interval '6 days 23 hours 45 minutes'
        AND created NOT BETWEEN now() - interval '8 days 15 minutes' AND now() - interval '7 days 23 hours 45 minutes'
     ) g`;

// The counts as they should be: a recount of the table (hour total rows have '' in the three key columns).
const RECOUNT = `SELECT h, coalesce(jobkey, ''), coalesce(status, ''), coalesce(triggeredby, ''), count(*)
  FROM (SELECT date_bin('1 hour', createdat, '1970-01-01 00:00:00+00') AS h, jobkey, status, triggeredby
        FROM system.batchrun) x GROUP BY GROUPING SETS ((h, jobkey, status, triggeredby), (h))`;
const COUNTS = 'SELECT hour, jobkey, status, triggeredby, n FROM system.batchruncount WHERE n <> 0';

let db;
let d;
let T; // epoch seconds at which the windows are drawn

before(async () => {
  db = newDatabase();
  sql(db, GEN);
  // Daemon A leads: its workers claim and finish the queued runs, its rescue fails the dead instance's running
  // runs, its retention (8 days) deletes the older finished ones, 10,000 per statement.
  const a = await startDaemon(db, { runs: { retention_days: 8, workers: 1 } });
  try {
    await waitFor(() => sqlValue(db, `SELECT count(*) FROM system.batchrun WHERE status IN ('queued', 'running')
      AND (lockkey LIKE '%:comic:9%' OR lockkey LIKE '%:gen:%')`) === '0', 60000, 'generated active runs to end');
    await waitFor(() => sqlValue(db, `SELECT count(*) FROM system.batchrun
      WHERE finishedat < now() - interval '8 days'`) === '0', 30000, 'retention');
    // A running run and a queued one cancelled through the API (the only worker is busy with the first).
    const long = await trigger(a, 'system.canary', { seconds: 120 });
    await waitWorkerSleeping(db);
    const queued = (await api(a, 'POST', `${B}/library/hasnew/987654`, { body: {} })).body.data;
    assert.equal(queued.status, 'queued');
    const c1 = await api(a, 'POST', `${B}/jobs/library.hasnew/cancel`, { body: { id: queued.id } });
    assert.equal(c1.body.data?.status, 'cancelled', JSON.stringify(c1.body));
    const c2 = await api(a, 'POST', `${B}/jobs/system.canary/cancel`, { body: { id: long.id } });
    assert.ok([200, 202].includes(c2.status), JSON.stringify(c2.body));
    await waitStatus(a, 'system.canary', long.id, 'cancelled', 30000);
  } finally {
    await stopClean(a);
  }
  // Plain SQL on the generated finished runs (their lock key is the job key): a bulk status change, a change of
  // key columns, a bulk delete; and whatever the leader enqueued meanwhile is ended, so nothing changes below.
  const GENERATED = "lockkey = jobkey AND jobkey <> 'system.canary' AND status IN ('done', 'failed', 'cancelled')";
  sql(db, `UPDATE system.batchrun SET status = 'failed', lasterror = 'changed by the test'
             WHERE ${GENERATED} AND status = 'done' AND abs(hashtext(id::text)) % 17 = 0;
           UPDATE system.batchrun SET triggeredby = CASE triggeredby WHEN 'admin' THEN 'scheduler' ELSE 'admin' END,
             jobkey = CASE WHEN jobkey = 'sessions.cleanup' THEN 'analytics.partition' ELSE jobkey END
             WHERE ${GENERATED} AND abs(hashtext(id::text)) % 23 = 0;
           DELETE FROM system.batchrun WHERE ${GENERATED} AND abs(hashtext(id::text)) % 19 = 0
             AND lasterror IS DISTINCT FROM 'changed by the test';
           UPDATE system.batchrun SET status = 'cancelled', finishedat = now() WHERE status IN ('queued', 'running');`);
  d = await startDaemon(db, { runs: { scheduler: 'false', workers: 1 } });
  T = Math.floor(Date.now() / 1000);
});

after(async () => {
  await stopClean(d);
});

const iso = (s) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const q = (v) => `'${v}'`;

/** Total and ids of one page, in plain SQL: WHERE `where`, newest first, OFFSET/LIMIT. */
function expected(where, page, limit) {
  const [[total, ids]] = sql(db, `SELECT (SELECT count(*) FROM system.batchrun r WHERE ${where}),
    (SELECT coalesce(json_agg(x.id ORDER BY x.createdat DESC, x.id DESC), '[]') FROM (SELECT id, createdat
       FROM system.batchrun r WHERE ${where} ORDER BY createdat DESC, id DESC
       OFFSET ${(page - 1) * limit} LIMIT ${limit}) x)`);
  return { total: Number(total), ids: JSON.parse(ids) };
}

async function check(path, query, where, page, limit) {
  const url = `${path}?${query}${query ? '&' : ''}page=${page}&limit=${limit}`;
  const r = await api(d, 'GET', url);
  assert.equal(r.status, 200, `${url}: ${JSON.stringify(r.body)}`);
  const want = expected(where, page, limit);
  assert.equal(r.body.meta.total, want.total, `${url}: meta.total`);
  assert.equal(r.body.meta.pages, Math.ceil(want.total / limit), `${url}: meta.pages`);
  assert.deepEqual(r.body.data.map((x) => x.id), want.ids, `${url}: the page's runs, in order`);
  return want.total;
}

/** Page 1, a middle page of 200, the last page and one past it. */
async function checkPages(path, query, where) {
  const total = await check(path, query, where, 1, 50);
  if (total > 200) await check(path, query, where, Math.ceil(total / 200 / 2), 200);
  if (total > 50) await check(path, query, where, Math.ceil(total / 50), 50);
  await check(path, query, where, Math.ceil(total / 50) + 2, 50);
}

const FILTERS = [];
for (const jobkey of [null, 'library.hasnew', 'analytics.partition']) {
  for (const status of [null, 'failed', 'done']) {
    for (const t of [null, 'scheduler', 'admin']) FILTERS.push({ jobkey, status, triggeredby: t });
  }
}
const filterQuery = (f) => Object.entries(f).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join('&');
const filterWhere = (f) => Object.entries(f).filter(([, v]) => v).map(([k, v]) => ` AND r.${k} = ${q(v)}`).join('');

test('the data went through every kind of change (so the counts were exercised)', () => {
  const [[total, old, failedByTest, rescued]] = sql(db, `SELECT count(*),
    count(*) FILTER (WHERE createdat < now() - interval '8 days'),
    count(*) FILTER (WHERE lasterror = 'changed by the test'),
    count(*) FILTER (WHERE lasterror LIKE 'instance gone:1%')
    FROM system.batchrun`);
  assert.ok(Number(total) > 15000 && Number(total) < N, total);
  assert.equal(old, '0', 'retention deleted every finished run older than 8 days');
  assert.ok(Number(failedByTest) > 500, failedByTest);
  assert.equal(rescued, '6', 'the rescue failed the dead instance\'s running runs');
  assert.equal(sqlValue(db, `SELECT count(*) FROM system.batchrun WHERE status = 'cancelled'
    AND (lasterror = 'cancelled before it started' OR jobkey = 'system.canary')`), '2');
});

test('the per-hour counts equal a recount of the table', () => {
  assert.deepEqual(sql(db, `(${COUNTS}) EXCEPT (${RECOUNT})`), []);
  assert.deepEqual(sql(db, `(${RECOUNT}) EXCEPT (${COUNTS})`), []);
});

test('default window (the last 7 days): every filter combination, exact totals and pages', async () => {
  for (const f of FILTERS) {
    await checkPages(`${B}/jobs`, filterQuery(f), `r.createdat >= now() - interval '7 days'${filterWhere(f)}`);
  }
});

test('from/to windows whose edges fall inside hours: every filter combination', async () => {
  const from = T - 5 * DAY - 1234;
  const to = T - DAY - 321;
  for (const f of FILTERS) {
    await checkPages(`${B}/jobs`, `${filterQuery(f)}${filterQuery(f) ? '&' : ''}from=${iso(from)}&to=${iso(to)}`,
      `r.createdat >= to_timestamp(${from}) AND r.createdat <= to_timestamp(${to})${filterWhere(f)}`);
  }
});

test('windows: from alone past the week, to alone, both inside one hour, an empty one', async () => {
  const hour = Math.floor((T - 2 * DAY) / 3600) * 3600;
  const windows = [
    [`from=${iso(T - 7 * DAY - 3 * 3600 - 17)}`, `r.createdat >= to_timestamp(${T - 7 * DAY - 3 * 3600 - 17})`],
    [`to=${iso(T - 6 * DAY - 17)}`,
      `r.createdat >= now() - interval '7 days' AND r.createdat <= to_timestamp(${T - 6 * DAY - 17})`],
    [`from=${iso(hour + 100)}&to=${iso(hour + 3000)}`,
      `r.createdat >= to_timestamp(${hour + 100}) AND r.createdat <= to_timestamp(${hour + 3000})`],
    [`from=${iso(hour)}&to=${iso(hour + 3600)}`,
      `r.createdat >= to_timestamp(${hour}) AND r.createdat <= to_timestamp(${hour + 3600})`],
    ['from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z', 'false'],
  ];
  const some = [FILTERS[0], FILTERS[9], FILTERS[1 * 9 + 3 + 1], FILTERS[2 * 9 + 2 * 3 + 2], FILTERS[3 + 2]];
  for (const [wq, ww] of windows) {
    for (const f of some) {
      await checkPages(`${B}/jobs`, `${filterQuery(f)}${filterQuery(f) ? '&' : ''}${wq}`, `${ww}${filterWhere(f)}`);
    }
  }
});

test('one job\'s whole history (/jobs/:jobKey), with status and triggeredby', async () => {
  for (const jobkey of ['library.hasnew', 'analytics.partition', 'system.canary', 'comics.counts_recalc']) {
    for (const f of [{}, { status: 'failed' }, { status: 'cancelled', triggeredby: 'admin' }, { triggeredby: 'scheduler' }]) {
      await checkPages(`${B}/jobs/${jobkey}`, filterQuery(f), `r.jobkey = ${q(jobkey)}${filterWhere(f)}`);
    }
  }
});

test('deep pages of the unfiltered list and of one job land exactly', async () => {
  const total = Number(sqlValue(db, `SELECT count(*) FROM system.batchrun WHERE createdat >= now() - interval '7 days'`));
  for (const page of [2, 7, Math.floor(total / 200) - 1, Math.ceil(total / 200)]) {
    await check(`${B}/jobs`, '', `r.createdat >= now() - interval '7 days'`, page, 200);
  }
  for (const page of [3, 11, 29]) await check(`${B}/jobs/library.hasnew`, '', `r.jobkey = 'library.hasnew'`, page, 37);
});

test('GET /schedule: each job\'s lastrun is its newest run; GET /runs/:id returns that run', async () => {
  const r = await api(d, 'GET', `${B}/schedule`);
  assert.equal(r.status, 200);
  for (const e of r.body.data) {
    const want = sqlValue(db, `SELECT id FROM system.batchrun WHERE jobkey = ${q(e.jobkey)}
      ORDER BY createdat DESC, id DESC LIMIT 1`);
    assert.equal(e.lastrun?.id ?? null, want, e.jobkey);
  }
  const id = sqlValue(db, 'SELECT id FROM system.batchrun ORDER BY createdat LIMIT 1');
  const one = await api(d, 'GET', `${B}/runs/${id}`);
  assert.equal(one.status, 200);
  assert.equal(one.body.data.id, id);
});

test('an update that moves no run to another key (a heartbeat) writes no count row; a status change writes its keys', () => {
  const versions = () => new Map(sql(db, 'SELECT hour, jobkey, status, triggeredby, xmin::text FROM system.batchruncount')
    .map((r) => [r.slice(0, 4).join('|'), r[4]]));
  const before = versions();
  sql(db, `UPDATE system.batchrun SET heartbeatat = now(), progressdone = 1 WHERE jobkey = 'library.hasnew'`);
  assert.deepEqual(versions(), before);
  const id = sqlValue(db, `SELECT id FROM system.batchrun WHERE status = 'done' AND jobkey = 'library.hasnew'
    ORDER BY createdat DESC LIMIT 1`);
  sql(db, `UPDATE system.batchrun SET status = 'failed' WHERE id = '${id}'`);
  const changed = [...versions()].filter(([k, v]) => before.get(k) !== v).map(([k]) => k.split('|')[2]);
  assert.deepEqual(changed.sort(), ['done', 'failed'], 'the two key rows, not the hour total');
  assert.deepEqual(sql(db, `(${COUNTS}) EXCEPT (${RECOUNT})`), []);
});

test('the list is a prepared statement of the API sessions, prepared again after they are lost', async () => {
  const where = `r.createdat >= now() - interval '7 days' AND r.status = 'failed'`;
  await check(`${B}/jobs`, 'status=failed', where, 2, 50);
  assert.ok(Number(sqlValue(db, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
    AND application_name = 'comicbatch-api'`)) > 0);
  sql(db, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()
    AND application_name = 'comicbatch-api'`);
  // The pool notices a dead session when it lends it out (one failed request per lost session at most); then the
  // new sessions prepare the statements again.
  await waitFor(async () => {
    for (let i = 0; i < 10; i++) if ((await api(d, 'GET', `${B}/jobs?status=failed`)).status !== 200) return false;
    return true;
  }, 20000, 'the pool to reconnect');
  for (let i = 0; i < 3; i++) {
    await check(`${B}/jobs`, 'status=failed', where, 2, 50);
    await check(`${B}/jobs`, '', `r.createdat >= now() - interval '7 days'`, 3, 20);
  }
});

test('each run of a list page is the same object as GET /runs/:id gives, whatever its text holds', async () => {
  // The list writes a run's JSON in the daemon (store/runjson.c), one run goes through PostgreSQL's
  // json_build_object: both from one field table. Runs with every field set or NULL, and text that needs escapes.
  sql(db, `INSERT INTO system.batchrun (id, jobkey, lockkey, status, triggeredby, triggeredbyuserid, params, dryrun,
             scheduledfor, timeoutms, instance, instanceno, startedat, finishedat, durationms, rowsaffected, lasterror,
             meta, heartbeatat, cancelrequestedat, progressdone, progresstotal, createdat, attempt, retryof, notbefore)
           SELECT gen_random_uuid(), 'system.canary', 'system.canary:json:' || i, 'failed', 'scheduler',
             CASE WHEN i % 2 = 0 THEN 'user "' || i || '"' END,
             jsonb_build_object('comicid', i, 'note', E'tab\\there \\u00fc "q" \\\\ \\n'), i % 3 = 0,
             date_trunc('minute', now()) - make_interval(mins => i), 1000 * i, 'host:' || i, i,
             now() - interval '2 hours', now() - interval '1 hour', 3600000, i * 7,
             CASE WHEN i % 2 = 1 THEN E'quote " backslash \\\\ newline \\n tab \\t bell \\x07 esc \\x1b ü 🚀 end' END,
             CASE WHEN i % 2 = 0 THEN jsonb_build_object('nested', jsonb_build_array(1, 2.5, 'x"y', NULL, true), 'n', -i) END,
             now() - interval '1 hour', CASE WHEN i % 3 = 1 THEN now() - interval '90 minutes' END,
             CASE WHEN i % 2 = 0 THEN i END, CASE WHEN i % 2 = 0 THEN 10 * i END,
             now() - make_interval(secs => 600 + i), 1 + i % 4,
             CASE WHEN i % 4 = 3 THEN gen_random_uuid() END, CASE WHEN i % 5 = 0 THEN now() - interval '3 hours' END
           FROM generate_series(1, 40) i`);
  const list = await api(d, 'GET', `${B}/jobs?jobkey=system.canary&status=failed&limit=200`);
  assert.equal(list.status, 200);
  const runs = list.body.data.filter((x) => x.lockkey.startsWith('system.canary:json:'));
  assert.equal(runs.length, 40);
  assert.ok(runs.some((x) => x.lasterror?.includes('\u0007') && x.lasterror.includes('🚀')), 'the escapes made it');
  for (const run of runs) {
    const one = await api(d, 'GET', `${B}/runs/${run.id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(run, one.body.data, run.lockkey);
    assert.deepEqual(Object.keys(run), Object.keys(one.body.data), `${run.lockkey}: the fields' order`);
  }
});
