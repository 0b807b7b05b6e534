// Series rows and the admin maintenance actions through the real daemon and Postgres (spec: admin-maintenance):
// the first tick rewrites every provider-backed row from its record; after a dump changes some records the next tick
// rewrites exactly those and only re-stamps the rest (a row edited locally but with an equal hash keeps its edit);
// invalidate-metadata-hashes clears every provider-backed hash in one UPDATE, counts manual rows as skipped, leaves
// them untouched and writes the audit log; the tick after it rewrites every provider-backed row; rows whose record is
// missing are counted, never bumped; refresh-all triggers the same job under the provider's lock key and, while that
// run is in flight, answers triggered:false without starting a second one; batch size, minimum age and oldest-first
// are honoured; a dry run writes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopClean } from './foundation-util.mjs';
import { newDatabase, startDaemon, api, sql, sqlValue, waitRun, waitFor, makeUserSession } from './lib.mjs';
import { providerRecord, recordHash, jsonLines, range, runJob, holdLock } from './providers-util.mjs';

const N = 3000;      // provider-backed rows with a record
const ORPHANS = 100; // provider-backed rows whose record the provider does not publish
const MANUAL = 500;  // manual rows
let dbUrl, d, dumpPath;

const manualDigest = () => sqlValue(dbUrl, `SELECT md5(string_agg(c::text, '|' ORDER BY id)) FROM core.comic c
                                            WHERE provider IS NULL`);

function writeDump(rev = (g) => 0) {
  writeFileSync(dumpPath, jsonLines(range(1, N).map((g) => providerRecord('acme', g, rev(g)))));
}

async function importDump() {
  const run = await runJob(d, 'metadata.dump_refresh');
  assert.equal(run.status, 'done', run.lasterror);
  return run;
}

async function refreshAll() {
  const res = await api(d, 'POST', '/api/v1/series/refresh-all');
  assert.ok(res.status === 202 || res.status === 200, JSON.stringify(res.body));
  return res;
}

async function tick() {
  const res = await refreshAll();
  assert.equal(res.body.data.triggered, true, JSON.stringify(res.body));
  const run = await waitRun(d, 'metadata.series_refresh', res.body.data.run.id, 60000);
  assert.equal(run.status, 'done', run.lasterror);
  return run;
}

function counts(run) {
  const m = run.meta;
  return { selected: m.selected, rewritten: m.rewritten, restamped: m.restamped, missingRecord: m.missingRecord };
}

/** Rows whose denormalised columns equal what the generator says record `g` (at revision rev(g)) holds. */
function rowsMatchingRecords(rev) {
  const rows = sql(dbUrl, `SELECT providerseriesid, title, array_to_json(alttitles), status, year, total_volumes,
                             total_chapters, coverurl, description, array_to_json(tags), metadata_hash
                           FROM core.comic WHERE provider = 'acme' AND providerseriesid LIKE 'acme-%'`);
  let ok = 0;
  for (const [id, title, alt, status, year, vols, chapters, cover, desc, tags, hash] of rows) {
    const g = Number(id.split('-')[1]);
    const r = providerRecord('acme', g, rev(g));
    if (title === r.title && alt === JSON.stringify(r.altTitles) && status === r.status &&
        Number(year) === r.year && (vols === null ? null : Number(vols)) === r.totalVolumes &&
        chapters === r.totalChapters && cover === r.coverUrl && desc === r.description &&
        tags === JSON.stringify(r.tags) && hash === recordHash(r)) ok++;
  }
  return ok;
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cbseries-'));
  dumpPath = join(dir, 'acme.jsonl');
  dbUrl = newDatabase();
  sql(dbUrl, `INSERT INTO core.comic (title, slug, status, provider, providerseriesid)
              SELECT 'Local ' || g, 'acme-' || g, 'ongoing', 'acme', 'acme-' || g FROM generate_series(1, ${N}) g;
              INSERT INTO core.comic (title, slug, provider, providerseriesid, metadata_hash)
              SELECT 'Orphan ' || g, 'orphan-' || g, 'acme', 'gone-' || g, 'stale-' || g
              FROM generate_series(1, ${ORPHANS}) g;
              INSERT INTO core.comic (title, slug, status, metadata_hash, total_chapters)
              SELECT 'Manual ' || g, 'manual-' || g, (ARRAY['ongoing', 'completed'])[1 + g % 2],
                     CASE WHEN g % 5 = 0 THEN 'manual-hash-' || g END, (g % 50)::text
              FROM generate_series(1, ${MANUAL}) g`);
  writeDump();
  d = await startDaemon(dbUrl, {
    metadata: { provider: 'acme' },
    'provider.acme': { dump: dumpPath },
    'metadata.series_refresh': { cron: '0 0 1 1 *', batch_size: 100000, min_age_days: 0 },
  });
  await api(d, 'PATCH', '/api/v1/admin/batch/schedule/metadata.dump_refresh', { body: { isenabled: false } });
  await api(d, 'PATCH', '/api/v1/admin/batch/schedule/metadata.series_refresh', { body: { isenabled: false } });
  await importDump();
});

after(async () => {
  await stopClean(d); // a clean exit: under ASan that includes no leaks
});

test('the schedule shows the series tick with the cron from [metadata.series_refresh]', async () => {
  const res = await api(d, 'GET', '/api/v1/admin/batch/schedule');
  const e = res.body.data.find((x) => x.jobkey === 'metadata.series_refresh');
  assert.equal(e.defaultcron, '0 0 1 1 *');
  assert.ok(res.body.data.find((x) => x.jobkey === 'metadata.dump_refresh'));
});

test('the first tick rewrites every provider-backed row from its record; orphans and manual rows are untouched', async () => {
  const manual = manualDigest();
  const run = await tick();
  assert.deepEqual(counts(run), { selected: N, rewritten: N, restamped: 0, missingRecord: ORPHANS });
  assert.equal(run.meta.provider, 'acme');
  assert.equal(run.meta.batchSize, 100000);
  assert.equal(run.meta.minAgeDays, 0);
  assert.equal(run.lockkey, 'metadata.series_refresh:acme');
  assert.equal(run.rowsaffected, N);
  assert.equal(run.progressdone, N);
  assert.equal(run.progresstotal, N);
  assert.equal(rowsMatchingRecords(() => 0), N);
  assert.equal(manualDigest(), manual);
  const orphans = sql(dbUrl, `SELECT count(*) FROM core.comic WHERE providerseriesid LIKE 'gone-%'
                              AND metadatarefreshedat IS NULL AND metadata_hash LIKE 'stale-%' AND title LIKE 'Orphan %'`);
  assert.equal(Number(orphans[0][0]), ORPHANS);
});

test('after a dump changes some records, the tick rewrites those and only re-stamps the rest', async () => {
  const changed = (g) => (g % 10 === 7 ? 2 : 0); // 300 records change
  writeDump(changed);
  const imp = await importDump();
  assert.equal(imp.meta.updated, 300);
  // Local edits on 50 unchanged rows: a restamp must not undo them (their hash still matches the record).
  sql(dbUrl, `UPDATE core.comic SET title = 'TAMPERED' WHERE providerseriesid IN
              (SELECT 'acme-' || g FROM generate_series(1, 500, 10) g)`);
  sql(dbUrl, `DROP TABLE IF EXISTS stamp_before; CREATE TABLE stamp_before AS
              SELECT id, metadatarefreshedat AS t FROM core.comic WHERE provider IS NOT NULL`);
  const manual = manualDigest();
  const run = await tick();
  assert.deepEqual(counts(run), { selected: N, rewritten: 300, restamped: N - 300, missingRecord: ORPHANS });
  assert.equal(rowsMatchingRecords(changed), N - 50);
  assert.equal(Number(sqlValue(dbUrl, "SELECT count(*) FROM core.comic WHERE title = 'TAMPERED'")), 50);
  const rewrittenTitles = sql(dbUrl, `SELECT count(*) FROM core.comic WHERE providerseriesid IN
                                      (SELECT 'acme-' || g FROM generate_series(7, ${N}, 10) g) AND title LIKE '% (rev 2)'`);
  assert.equal(Number(rewrittenTitles[0][0]), 300);
  const bumped = sqlValue(dbUrl, `SELECT count(*) FROM core.comic c JOIN stamp_before b USING (id)
                                  WHERE c.metadatarefreshedat > b.t`);
  assert.equal(Number(bumped), N, 'every selected row is stamped; orphans are not');
  assert.equal(manualDigest(), manual);
});

test('invalidate-metadata-hashes clears provider-backed hashes, skips manual rows, and writes the audit log', async () => {
  const manual = manualDigest();
  const withHash = Number(sqlValue(dbUrl, 'SELECT count(*) FROM core.comic WHERE provider IS NOT NULL AND metadata_hash IS NOT NULL'));
  assert.equal(withHash, N + ORPHANS);
  const res = await api(d, 'POST', '/api/v1/series/invalidate-metadata-hashes');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body.data, { invalidated: N + ORPHANS, skippedManual: MANUAL, alreadyClear: 0 });
  assert.equal(Number(sqlValue(dbUrl, 'SELECT count(*) FROM core.comic WHERE provider IS NOT NULL AND metadata_hash IS NOT NULL')), 0);
  assert.equal(manualDigest(), manual);
  assert.equal(Number(sqlValue(dbUrl, 'SELECT count(*) FROM core.comic WHERE provider IS NULL AND metadata_hash IS NOT NULL')),
    MANUAL / 5);
  const audit = sql(dbUrl, `SELECT actor, details->>'invalidated', details->>'skippedManual' FROM system.auditlog
                            WHERE action = 'series.invalidate_metadata_hashes' ORDER BY id`);
  assert.deepEqual(audit, [['admin-token', String(N + ORPHANS), String(MANUAL)]]);
  const again = await api(d, 'POST', '/api/v1/series/invalidate-metadata-hashes');
  assert.deepEqual(again.body.data, { invalidated: 0, skippedManual: MANUAL, alreadyClear: N + ORPHANS });
  const bad = await api(d, 'POST', '/api/v1/series/invalidate-metadata-hashes', { body: { everything: true } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.details.field, 'everything');
  const anon = await api(d, 'POST', '/api/v1/series/invalidate-metadata-hashes', { token: null });
  assert.equal(anon.status, 401);
});

test('an admin session is audited as its user; a non-admin session is refused', async () => {
  const admin = makeUserSession(dbUrl, 'admin');
  const res = await api(d, 'POST', '/api/v1/series/invalidate-metadata-hashes', { token: admin.token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const audit = sql(dbUrl, `SELECT actor, actoruserid FROM system.auditlog
                            WHERE action = 'series.invalidate_metadata_hashes' ORDER BY id DESC LIMIT 1`);
  assert.deepEqual(audit, [[`user:${admin.userid}`, admin.userid]]);
  const reader = makeUserSession(dbUrl, 'user');
  for (const [method, path] of [['POST', '/api/v1/series/invalidate-metadata-hashes'],
    ['POST', '/api/v1/series/refresh-all'], ['GET', '/api/v1/providers']]) {
    const r = await api(d, method, path, { token: reader.token });
    assert.equal(r.status, 403, `${method} ${path}`);
  }
});

test('the tick after an invalidation rewrites every provider-backed row', async () => {
  const changed = (g) => (g % 10 === 7 ? 2 : 0);
  const run = await tick();
  assert.deepEqual(counts(run), { selected: N, rewritten: N, restamped: 0, missingRecord: ORPHANS });
  assert.equal(rowsMatchingRecords(changed), N, 'local edits are overwritten by the full rewrite');
  assert.equal(Number(sqlValue(dbUrl, "SELECT count(*) FROM core.comic WHERE title = 'TAMPERED'")), 0);
});

test('refresh-all while a tick is in flight answers triggered:false and starts nothing', async () => {
  const runsBefore = Number(sqlValue(dbUrl, "SELECT count(*) FROM system.batchrun WHERE jobkey = 'metadata.series_refresh'"));
  // The tick blocks on its first chunk until the test lets go of the rows it writes.
  const lock = await holdLock(dbUrl, `SELECT count(*) FROM (SELECT 1 FROM core.comic WHERE provider IS NOT NULL
                                      FOR UPDATE) x`);
  let released = false;
  try {
    const first = await refreshAll();
    assert.equal(first.status, 202);
    assert.deepEqual({ ...first.body.data, run: undefined }, { triggered: true, skipped: null, batchSize: 100000,
      minAgeDays: 0, provider: 'acme', run: undefined });
    const id = first.body.data.run.id;
    assert.equal(first.body.data.run.lockkey, 'metadata.series_refresh:acme');
    const pill = await waitFor(async () => {
      const p = await api(d, 'GET', '/api/v1/providers');
      const e = p.body.data[0];
      return e.inflight && e.inflight.status === 'running' ? e : null;
    }, 15000, 'the tick to be running');
    assert.equal(pill.inflight.id, id);
    assert.equal(pill.inflight.jobkey, 'metadata.series_refresh');
    const second = await refreshAll();
    assert.equal(second.status, 200);
    assert.equal(second.body.data.triggered, false);
    assert.equal(second.body.data.run.id, id);
    assert.equal(second.body.data.skipped, `already in flight: run ${id} is running`);
    assert.equal(second.body.data.provider, 'acme');
    // The generic trigger and the scheduler use the same provider-scoped lock key.
    const generic = await api(d, 'POST', '/api/v1/admin/batch/jobs/metadata.series_refresh/run', { body: {} });
    assert.equal(generic.status, 409);
    assert.equal(Number(sqlValue(dbUrl, "SELECT count(*) FROM system.batchrun WHERE jobkey = 'metadata.series_refresh'")),
      runsBefore + 1);
    await lock.release();
    released = true;
    const run = await waitRun(d, 'metadata.series_refresh', id, 60000);
    assert.equal(run.status, 'done', run.lasterror);
    assert.deepEqual(counts(run), { selected: N, rewritten: 0, restamped: N, missingRecord: ORPHANS });
    const after = await api(d, 'GET', '/api/v1/providers');
    assert.equal(after.body.data[0].inflight, null);
    assert.equal(after.body.data[0].seriesCount, N + ORPHANS);
    assert.equal(after.body.data[0].manualSeriesCount, MANUAL);
  } finally {
    if (!released) await lock.release();
  }
});

test('batch size, minimum age and oldest-first are honoured; rows refreshed recently are not due', async () => {
  sql(dbUrl, `UPDATE core.comic SET metadatarefreshedat = now() - interval '10 days' - g.n * interval '1 second'
              FROM (SELECT 'acme-' || g AS pid, g AS n FROM generate_series(1, ${N}) g) g
              WHERE providerseriesid = g.pid AND g.n % 3 = 0;
              UPDATE core.comic SET metadatarefreshedat = now() - interval '3 days'
              WHERE provider = 'acme' AND providerseriesid LIKE 'acme-%' AND metadatarefreshedat > now() - interval '1 day'`);
  // 1000 rows are 10+ days old (the oldest are the highest g), 2000 are 3 days old.
  let run = await runJob(d, 'metadata.series_refresh', { batchsize: 400, minagedays: 7, chunk: 64 });
  assert.equal(run.status, 'done', run.lasterror);
  assert.deepEqual(counts(run), { selected: 400, rewritten: 0, restamped: 400, missingRecord: ORPHANS });
  const stamped = sql(dbUrl, `SELECT min(substr(providerseriesid, 6)::int), max(substr(providerseriesid, 6)::int),
                              count(*) FROM core.comic WHERE provider = 'acme' AND metadatarefreshedat > now() - interval '1 minute'`);
  assert.deepEqual(stamped, [[String(N - 399 * 3), String(N), '400']], 'the 400 oldest: g = 3000, 2997, … 1803');
  const oldestLeft = sqlValue(dbUrl, `SELECT max(substr(providerseriesid, 6)::int) FROM core.comic WHERE provider = 'acme'
                                      AND metadatarefreshedat < now() - interval '7 days'`);
  const youngestTaken = sqlValue(dbUrl, `SELECT min(substr(providerseriesid, 6)::int) FROM core.comic WHERE provider = 'acme'
                                         AND providerseriesid LIKE 'acme-%' AND metadatarefreshedat > now() - interval '1 minute'`);
  assert.ok(Number(oldestLeft) < Number(youngestTaken), 'the oldest rows were taken first');
  run = await runJob(d, 'metadata.series_refresh', { minagedays: 7 });
  assert.deepEqual(counts(run), { selected: 600, rewritten: 0, restamped: 600, missingRecord: ORPHANS });
  run = await runJob(d, 'metadata.series_refresh', { minagedays: 7 });
  assert.deepEqual(counts(run), { selected: 0, rewritten: 0, restamped: 0, missingRecord: ORPHANS });
});

test('a dry run reports what the tick would do and writes nothing', async () => {
  const changed = (g) => (g % 10 === 7 ? 2 : g % 100 === 1 ? 4 : 0);
  writeDump(changed);
  await importDump();
  const before = sqlValue(dbUrl, "SELECT md5(string_agg(c::text, '|' ORDER BY id)) FROM core.comic c");
  const run = await runJob(d, 'metadata.series_refresh', {}, { dryrun: true });
  assert.equal(run.status, 'done', run.lasterror);
  assert.deepEqual(counts(run), { selected: N, rewritten: 30, restamped: N - 30, missingRecord: ORPHANS });
  assert.equal(run.rowsaffected, 0);
  assert.equal(sqlValue(dbUrl, "SELECT md5(string_agg(c::text, '|' ORDER BY id)) FROM core.comic c"), before);
});
