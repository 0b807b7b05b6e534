// analytics.anonymize, analytics.partition and crawler.partition through the real daemon and Postgres.
// anonymize: equivalence with the seed's own UPDATE (kept verbatim below) on two copies of the same generated
// pageviews spread over six monthly partitions, run in small batches; dry run; bad params.
// partitions: the current and next UTC month are created when missing, reported in meta.partitionsCreated, and a
// second run creates nothing and does not fail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newDatabase, startDaemon, api, sql, sqlValue, waitRun } from './lib.mjs';

// The seed's statement (batch-jobs-api.md §4), verbatim.
const SEED_ANONYMIZE = `
UPDATE analytics.pageview
SET ipaddress = NULL,
    useragent = NULL
WHERE createdat < NOW() - INTERVAL '90 days'
  AND (ipaddress IS NOT NULL OR useragent IS NOT NULL);`;

// 60k pageviews over the last ~170 days (none within 3 hours of the 90-day cutoff, so the two runs' slightly
// different now() cannot disagree), a quarter without an address, some with neither.
function seedPageviews(url) {
  sql(url, `SELECT system.ensure_month_partition('analytics.pageview'::regclass,
                   ((now() AT TIME ZONE 'UTC') - m * interval '1 month')::date) FROM generate_series(1, 6) m`);
  sql(url, `INSERT INTO analytics.pageview (id, comicid, path, ipaddress, useragent, createdat)
            SELECT g, g % 500, '/comic/' || (g % 500),
                   CASE WHEN g % 4 = 0 THEN NULL ELSE ('10.' || (g % 250) || '.' || (g % 199) || '.7')::inet END,
                   CASE WHEN g % 10 = 0 THEN NULL ELSE 'agent/' || (g % 13) END,
                   now() - (g * interval '4 minutes')
            FROM generate_series(1, 60000) g
            WHERE abs(extract(epoch FROM g * interval '4 minutes') - 90 * 86400) > 3 * 3600`);
}

const fingerprint = (url) => sqlValue(url, `SELECT md5(string_agg(id || ':' || coalesce(host(ipaddress), '-') || ':'
  || coalesce(useragent, '-'), ',' ORDER BY id)) FROM analytics.pageview`);

let d, dbUrl, refUrl;
before(async () => {
  dbUrl = newDatabase();
  refUrl = newDatabase();
  seedPageviews(dbUrl);
  seedPageviews(refUrl);
  d = await startDaemon(dbUrl, { jobs: { batch_rows: 1000 } });
});
after(async () => { await d?.stop(); });

async function trigger(path, body) {
  const res = await api(d, 'POST', `/api/v1/admin/batch/${path}`, { body });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return waitRun(d, res.body.data.jobkey, res.body.data.id, 60000);
}

test('anonymize: dry run counts and changes nothing; bad params are 400 naming the field', async () => {
  const before = fingerprint(dbUrl);
  const want = sqlValue(dbUrl, `SELECT count(*) FROM analytics.pageview WHERE createdat < now() - interval '90 days'
                                AND (ipaddress IS NOT NULL OR useragent IS NOT NULL)`);
  assert.ok(Number(want) > 10000);
  const run = await trigger('analytics/anonymize', { dryrun: true });
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.wouldAnonymize, Number(want));
  assert.equal(run.meta.rowsAnonymized, 0);
  assert.equal(fingerprint(dbUrl), before);
  for (const body of [{ olderthan: 'soon' }, { olderthan: 90 }, { olderthan: '1s' }, { older: '90d' }]) {
    const res = await api(d, 'POST', '/api/v1/admin/batch/analytics/anonymize', { body });
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.body.code, 'VALIDATION_ERROR');
    assert.match(JSON.stringify(res.body), /older/);
  }
});

test('anonymize (default 90d) leaves the table exactly as the seed UPDATE does', async () => {
  sql(refUrl, SEED_ANONYMIZE);
  const changed = Number(sqlValue(dbUrl, `SELECT count(*) FROM analytics.pageview
    WHERE createdat < now() - interval '90 days' AND (ipaddress IS NOT NULL OR useragent IS NOT NULL)`));
  const run = await trigger('analytics/anonymize', {});
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.rowsAnonymized, changed);
  assert.equal(run.rowsaffected, changed);
  assert.equal(fingerprint(dbUrl), fingerprint(refUrl));
  // Rows newer than the cutoff keep their address; a rerun has nothing left to do.
  assert.ok(Number(sqlValue(dbUrl, `SELECT count(*) FROM analytics.pageview WHERE ipaddress IS NOT NULL`)) > 10000);
  const again = await trigger('analytics/anonymize', {});
  assert.equal(again.meta.rowsAnonymized, 0);
});

test('anonymize with a custom olderthan only touches older rows', async () => {
  const run = await trigger('analytics/anonymize', { olderthan: '30d' });
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(sqlValue(dbUrl, `SELECT count(*) FROM analytics.pageview WHERE createdat < now() - interval '30 days'
    AND (ipaddress IS NOT NULL OR useragent IS NOT NULL)`), '0');
  assert.notEqual(sqlValue(dbUrl, `SELECT count(*) FROM analytics.pageview WHERE createdat > now() - interval '29 days'
    AND ipaddress IS NOT NULL`), '0');
});

function months() {
  const now = new Date();
  const f = (y, m) => `${y}_${String(m + 1).padStart(2, '0')}`;
  const y = now.getUTCFullYear(), m = now.getUTCMonth();
  return [f(y, m), m === 11 ? f(y + 1, 0) : f(y, m + 1)];
}

test('analytics.partition and crawler.partition create the current and next month once', async () => {
  const [cur, next] = months();
  const mine = ['analytics.pageview', 'analytics.chaptersession', 'crawler.log'];
  for (const p of mine) for (const m of [cur, next]) sql(dbUrl, `DROP TABLE IF EXISTS ${p}_${m}`);

  const dry = await trigger('analytics/partition', { dryrun: true });
  assert.deepEqual(dry.meta.wouldCreate, [`pageview_${cur}`, `chaptersession_${cur}`, `pageview_${next}`, `chaptersession_${next}`]);
  assert.equal(sqlValue(dbUrl, `SELECT to_regclass('analytics.pageview_${cur}')`), null, 'dry run created nothing');

  const run = await trigger('analytics/partition', {});
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.jobkey, 'analytics.partition');
  assert.deepEqual(run.meta.partitionsCreated,
    [`pageview_${cur}`, `chaptersession_${cur}`, `pageview_${next}`, `chaptersession_${next}`]);
  const bound = sqlValue(dbUrl, `SELECT pg_get_expr(relpartbound, oid) FROM pg_class
                                 WHERE oid = 'analytics.pageview_${next}'::regclass`);
  const [y, mm] = next.split('_');
  assert.match(bound, new RegExp(`FROM \\('${y}-${mm}-01 00:00:00\\+00'\\)`));
  // Rows of this month now have somewhere to go.
  sql(dbUrl, `INSERT INTO analytics.chaptersession (chapterid, startedat) VALUES (1, now())`);

  const again = await trigger('analytics/partition', {});
  assert.equal(again.status, 'done', again.lasterror);
  assert.deepEqual(again.meta.partitionsCreated, []);

  const log = await trigger('crawler/partitions', {});
  assert.equal(log.status, 'done', log.lasterror);
  assert.equal(log.jobkey, 'crawler.partition');
  assert.deepEqual(log.meta.partitionsCreated, [`log_${cur}`, `log_${next}`]);
  const logAgain = await trigger('crawler/partitions', {});
  assert.deepEqual(logAgain.meta.partitionsCreated, []);

  const sched = (await api(d, 'GET', '/api/v1/admin/batch/schedule')).body.data;
  const cron = Object.fromEntries(sched.map((e) => [e.jobkey, e.cron]));
  assert.equal(cron['analytics.partition'], '30 0 1 * *');
  assert.equal(cron['crawler.partition'], '35 0 1 * *');
  assert.equal(cron['analytics.anonymize'], '0 1 * * *');
});
