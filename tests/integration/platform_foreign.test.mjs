// Attaching comicbatch to a platform's own database (issue 9): a foreign platform (platform-foreign.mjs: its own DDL
// with uuid comic and chapter ids, owned by its own role, thousands of generated rows) gets `comicbatch grants`
// applied by an administrator BEFORE `comicbatch migrate`, then migrate and doctor run as a least-privileged role
// (no superuser, owns nothing of the platform's), and the daemon, as that role, runs every seed job twice — after
// the data was loaded, and again after the platform changed it — without accelerators and with them. After each
// round, the database holds exactly what the seed's SQL (batch-jobs-api.md) leaves on a copy taken before the round;
// crawler.source_health, event-driven, ends where the seed's per-event rule ends. A second, smaller platform takes
// the other id types (uuid group ids, 19-digit bigint user ids) through the same grants/migrate/doctor and rounds
// with accelerators, then switches modes on it: remove (nothing of comicbatch left on the platform's tables), a round
// without, install again, a round with (state rebuilt) — each compared with the seed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { api, cli, comicbatchOnPlatform, databaseUrl, roleUrl, sql, sqlValue, startDaemon, waitFor, waitRun } from './lib.mjs';
import { redisConnect, redisUrlFor } from './redis_resp.mjs';
import {
  FOREIGN_DDL, IDS, crawlerModel, crawlerOutcomes, crawlerState, fillForeign, foreignDdl, mutate, outcome, seedSql,
} from './platform-foreign.mjs';

const REDIS_DB = 14;
const TAG = String(process.pid);
const OWNER = `fp_owner_${TAG}`, APP = `fp_app_${TAG}`;
const ADMIN = databaseUrl('postgres');
const BASE = `fp_base_${TAG}`;
const VARIANT = { group: 'uuid', user: 'bigint' }, VARIANT_USERS = 120;
const ACCELERATORS = ['hasnew', 'counts', 'ratings', 'viewhistory', 'crawler'];
const made = [];
let redis;

const JOBS = ['library.hasnew', 'library.viewhistory_cap', 'comics.ratings_recalc', 'comics.counts_recalc',
  'announcements.expire', 'analytics.flush_counters', 'analytics.anonymize', 'analytics.partition', 'crawler.partition',
  'sessions.cleanup', 'storage.orphan_cleanup'];

function createDb(name, template) {
  sql(ADMIN, `CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  made.push(name);
  return databaseUrl(name);
}

const asApp = (url) => ({ COMICBATCH_DATABASE_URL: roleUrl(url, APP) });

before(() => {
  sql(ADMIN, `CREATE ROLE ${OWNER}; CREATE ROLE ${APP} LOGIN`);
  const b = createDb(BASE);
  sql(b, `GRANT CREATE ON DATABASE ${BASE} TO ${OWNER}; SET ROLE ${OWNER}; ${FOREIGN_DDL}`);
  fillForeign(b);
});

after(async () => {
  redis?.close();
  for (const db of made.reverse()) sql(ADMIN, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  sql(ADMIN, `DROP ROLE IF EXISTS ${APP}; DROP ROLE IF EXISTS ${OWNER}`);
});

const platformObjects = (url) => sql(url, `SELECT c.relkind::text || ' ' || n.nspname || '.' || c.relname FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('core', 'library', 'social', 'users', 'analytics',
  'crawler') OR (n.nspname = 'system' AND c.relname IN ('announcement', 'auditlog', 'notification', 'setting'))
  ORDER BY 1`).map((r) => r[0]);

/** `comicbatch grants APP --accelerators` applied by the administrator, then migrate and doctor as APP. */
function grantsMigrateDoctor(b, ids) {
  const g = cli(b, ['grants', APP, '--accelerators'], { COMICBATCH_DATABASE_URL: b });
  assert.equal(g.status, 0, g.err);
  assert.match(g.out, new RegExp(`CREATE SCHEMA jobstate AUTHORIZATION ${APP};`));
  assert.match(g.out, new RegExp(`GRANT USAGE, CREATE ON SCHEMA system TO ${APP};`));
  assert.match(g.out, /GRANT SELECT \(id, userid, comicid, hasnew, createdat\), UPDATE \(hasnew\) ON library\.entry/);
  assert.match(g.out, /SECURITY DEFINER/);
  assert.match(g.out, new RegExp(`GRANT EXECUTE ON FUNCTION system.comicbatch_ensure_partition\\(regclass, date\\) TO ${APP};`));
  assert.doesNotMatch(g.out, /GRANT (ALL|SELECT ON)/, 'column-level SELECTs only');
  sql(b, g.out);

  const before = platformObjects(b);
  const m = cli(b, ['migrate'], asApp(b));
  assert.equal(m.status, 0, m.err);
  const shipped = readdirSync(new URL('../../db/migrations/', import.meta.url)).filter((f) => f.endsWith('.sql'));
  assert.match(m.out, new RegExp(`migrations applied: ${shipped.length}\\b`), 'every migration, none failing');
  assert.deepEqual(platformObjects(b), before, 'migrate created or changed none of the platform\'s objects');
  assert.equal(sqlValue(b, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relowner = '${APP}'::regrole AND n.nspname IN ('core', 'library', 'social', 'users', 'analytics', 'crawler')`), '0');
  assert.equal(sqlValue(b, `SELECT rolsuper FROM pg_roles WHERE rolname = '${APP}'`), 'f');

  const doc = cli(b, ['doctor'], asApp(b));
  assert.equal(doc.status, 0, doc.out + doc.err);
  assert.match(doc.out, new RegExp(`ids: comic uuid, chapter uuid, group ${ids.group}, user ${ids.user}\\b`));
  assert.match(doc.out, /13 of 14 enabled jobs can run; 1 not configured/, 'metadata.dump_refresh: no [provider.dump]');
  assert.match(doc.out, /\(note\) no index on core\.comicart \(mediafileid\)/, 'a recommended index the platform lacks');
  assert.doesNotMatch(doc.out, /UNAVAILABLE/);
}

test('grants (before migrate), migrate and doctor as the least-privileged role; migrate adds nothing of the platform', () => {
  grantsMigrateDoctor(databaseUrl(BASE), IDS);
});

/** View counters on uuid ids (plus two the flush must leave: an integer id here is malformed, a value not a count). */
async function writeCounters(x, round) {
  await redis.cmd('FLUSHDB');
  const comics = sql(x, `SELECT id FROM core.comic ORDER BY md5(id::text || ${round}) LIMIT 90`).map((r) => r[0]);
  const chapters = sql(x, `SELECT id FROM core.chapter ORDER BY md5(id::text || ${round}) LIMIT 700`).map((r) => r[0]);
  const incs = [];
  comics.forEach((id, i) => incs.push(['comic', id, 1 + ((i * 7 + round) % 40)]));
  chapters.forEach((id, i) => incs.push(['chapter', id, 1 + ((i * 11 + round) % 25)]));
  await Promise.all(incs.map(([k, id, n]) => redis.cmd('INCRBY', `${k}:${id}:views`, n)));
  await redis.cmd('INCRBY', 'comic:42:views', 5);
  await redis.cmd('SET', `chapter:${chapters[0]}:views`.replace(chapters[0], comics[0]), 'many');
  return incs;
}

/** The seed's flush: per key, viewcount = viewcount + n (the loop of §4, as one statement per table). */
function seedFlush(s, incs) {
  for (const [kind, table] of [['comic', 'core.comic'], ['chapter', 'core.chapter']]) {
    const values = incs.filter((i) => i[0] === kind).map(([, id, n]) => `('${id}'::uuid, ${n})`).join(',');
    sql(s, `UPDATE ${table} t SET viewcount = viewcount + v.n FROM (VALUES ${values}) v (id, n) WHERE t.id = v.id`);
  }
}

async function runAll(d) {
  const meta = {};
  for (const job of JOBS) {
    const res = await api(d, 'POST', `/api/v1/admin/batch/jobs/${job}/run`, { body: { params: {} } });
    assert.equal(res.status, 202, `${job}: ${JSON.stringify(res.body)}`);
    const run = await waitRun(d, job, res.body.data.id, 60000);
    assert.equal(run.status, 'done', `${job}: ${run.lasterror}`);
    meta[job] = run.meta;
  }
  return meta;
}

/* comicid / userid take this platform's id form (uuid comics; uuid or bigint users); another form is a 400 naming the
 * field. */
async function scopedRuns(d, x, ids) {
  const [comic, user] = sql(x, 'SELECT comicid, userid FROM library.entry ORDER BY id LIMIT 1')[0];
  for (const [params, mode] of [[{ comicid: comic.toUpperCase() }, 'comic'], [{ userid: user }, 'user']]) {
    const res = await api(d, 'POST', '/api/v1/admin/batch/jobs/library.hasnew/run', { body: { params } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = await waitRun(d, 'library.hasnew', res.body.data.id);
    assert.equal(run.status, 'done', run.lasterror);
    assert.equal(run.meta.mode, mode);
    assert.ok(run.meta.entriesChecked > 0);
  }
  const bad = await api(d, 'POST', '/api/v1/admin/batch/library/hasnew/42', { body: {} });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.details.field, 'params.comicid');
  assert.match(bad.body.error, /comicid must be a UUID id \(this platform's comic ids are uuid\)/);
  const badUsers = ids.user === 'uuid' ? [[7, /userid must be a UUID id \(this platform's user ids are uuid\)/]]
    : [['0b7c5e6a-1f0e-4c6e-9d3c-7a1b2c3d4e5f', /positive integer id/],
      ['9223372036854775808', /userid must be a positive integer id of at most 9223372036854775807 \(this platform's user ids are bigint\)/]];
  for (const [userid, message] of badUsers) {
    const capUser = await api(d, 'POST', '/api/v1/admin/batch/history/cap', { body: { userid } });
    assert.equal(capUser.status, 400, JSON.stringify(capUser.body));
    assert.equal(capUser.body.details.field, 'params.userid');
    assert.match(capUser.body.error, message);
  }
}

/* history/cap with one over-cap user's id (a uuid, or a 19-digit bigint): that user keeps exactly their newest 500
 * rows; another over-cap user is untouched. (The full run afterwards caps everyone, as the seed does.) */
async function scopedCap(d, x, ids) {
  const over = sql(x, `SELECT userid, count(*) FROM library.viewhistory GROUP BY userid HAVING count(*) > 500
    ORDER BY userid LIMIT 2`);
  assert.equal(over.length, 2, 'two users over the cap');
  const [[uid, n], [other, otherN]] = over;
  const rows = (u) => sql(x, `SELECT id FROM library.viewhistory WHERE userid = '${u}' ORDER BY id`).map((r) => r[0]);
  const newest = sql(x, `SELECT id FROM library.viewhistory WHERE userid = '${uid}' ORDER BY viewedat DESC LIMIT 500`)
    .map((r) => r[0]).sort((a, b) => Number(a) - Number(b));
  const otherRows = rows(other);
  if (ids.user === 'bigint') assert.equal(uid.length, 19, 'a 19-digit bigint id');
  const userid = ids.user === 'uuid' ? uid.toUpperCase() : uid;
  const res = await api(d, 'POST', '/api/v1/admin/batch/history/cap', { body: { userid } });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const run = await waitRun(d, 'library.viewhistory_cap', res.body.data.id);
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.rowsDeleted, Number(n) - 500);
  assert.equal(run.meta.usersCapped, 1);
  assert.deepEqual(rows(uid), newest, 'that user keeps their newest 500 rows');
  assert.deepEqual(rows(other), otherRows, 'another user over the cap is untouched');
  assert.ok(otherRows.length === Number(otherN) && otherRows.length > 500);
}

async function round(x, name, n, accel, ids = IDS, users = 400) {
  if (n > 1) mutate(x, n, ids, users);
  const since = sqlValue(x, 'SELECT clock_timestamp()');
  crawlerOutcomes(x, 300, n);
  const incs = await writeCounters(x, n);
  const s = createDb(`${name}_seed${n}`, name);
  const model = crawlerModel(s, since);
  sql(s, seedSql(s));
  // The one deliberate difference (DESIGN §4; comics_stats tests it on its own): a comic that lost its last rating is
  // reset to NULL, NULL, 0, where the seed's UPDATE … FROM leaves its old numbers.
  sql(s, `UPDATE core.comic c SET ratingavg = NULL, ratingbayesian = NULL, ratingcount = 0
    WHERE NOT EXISTS (SELECT 1 FROM social.comicrating r WHERE r.comicid = c.id)`);
  seedFlush(s, incs);

  const d = await startDaemon(x, { runs: { scheduler: false } }, { ...asApp(x), COMICBATCH_REDIS_URL: redisUrlFor(REDIS_DB) });
  let meta;
  try {
    if (n === 1) await scopedCap(d, x, ids);
    meta = await runAll(d);
    if (n === 1) await scopedRuns(d, x, ids);
    // crawler.source_health is event-driven: the outcomes written while no daemon ran are caught up at its start.
    await waitFor(() => JSON.stringify([...crawlerState(x)]) === JSON.stringify([...model]), 20000,
      'crawler sources to match the seed rule').catch((e) => {
      assert.deepEqual(crawlerState(x), model, d.logs());
      throw e;
    });
  } finally {
    await d.stop();
  }
  const got = outcome(x), want = outcome(s);
  for (const job of Object.keys(want)) assert.deepEqual(got[job], want[job], `${job}, round ${n}`);
  assert.deepEqual(crawlerState(x), model);
  const hasnewMode = n === 1 ? 'full' : accel ? 'incremental' : 'recent';
  if (n <= 2) assert.equal(meta['library.hasnew'].mode, hasnewMode);
  for (const [job, m] of [['comics.counts_recalc', 'mode'], ['comics.ratings_recalc', 'mode'], ['library.viewhistory_cap', 'mode']])
    assert.equal(meta[job][m], accel ? 'accelerated' : 'direct', job);
  assert.equal(meta['analytics.flush_counters'].keysSkipped, 2);
  assert.equal(meta['analytics.partition'].via, 'system.comicbatch_ensure_partition');
  assert.ok(meta['library.viewhistory_cap'].rowsDeleted > 0 && meta['comics.counts_recalc'].comicsUpdated > 0);
}

for (const accel of [false, true]) {
  test(`every seed job ${accel ? 'with' : 'without'} accelerators leaves what the seed's SQL leaves (twice)`, async () => {
    redis = redis || await redisConnect(REDIS_DB);
    const name = `fp_${accel ? 'accel' : 'plain'}_${TAG}`;
    const x = createDb(name, BASE);
    if (accel) {
      const r = cli(x, ['accelerators', 'install', ...ACCELERATORS], asApp(x));
      assert.equal(r.status, 0, r.out + r.err);
      assert.equal(sqlValue(x, `SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'comicbatch\\_%'`), '25');
    }
    await round(x, name, 1, accel);
    await round(x, name, 2, accel);
    if (!accel) {
      // What timestamps cannot show (a read removed) waits for the full sweep, which then leaves the seed's result.
      sql(x, `DELETE FROM library.chapterread WHERE hashtext(userid::text || chapterid) % 40 = 0`);
      const r = cli(x, ['run', 'library.hasnew', '--params', '{"full": true}'], asApp(x));
      assert.equal(r.status, 0, r.out + r.err);
      assert.deepEqual(sql(x, 'SELECT id, hasnew FROM library.entry ORDER BY id'), sql(x, `SELECT e.id, EXISTS (
        SELECT 1 FROM core.chapter ch WHERE ch.comicid = e.comicid AND ch.deletedat IS NULL AND NOT EXISTS (
        SELECT 1 FROM library.chapterread cr WHERE cr.userid = e.userid AND cr.chapterid = ch.id))
        FROM library.entry e ORDER BY e.id`));
    }
  });
}


test('uuid group ids and 19-digit bigint user ids: every seed job with accelerators, then removed, then installed again', async () => {
  redis = redis || await redisConnect(REDIS_DB);
  const name = `fp_ids_${TAG}`;
  const x = createDb(name);
  sql(x, `GRANT CREATE ON DATABASE ${name} TO ${OWNER}; SET ROLE ${OWNER}; ${foreignDdl(VARIANT)}`);
  fillForeign(x, VARIANT, VARIANT_USERS);
  assert.equal(sqlValue(x, `SELECT format_type(atttypid, NULL) FROM pg_attribute
    WHERE attrelid = 'core.scanlationgroupfollow'::regclass AND attname = 'groupid'`), 'uuid');
  assert.equal(sqlValue(x, 'SELECT min(length(id::text)) FROM users.account'), '19');
  grantsMigrateDoctor(x, VARIANT);
  let r = cli(x, ['accelerators', 'install', ...ACCELERATORS], asApp(x));
  assert.equal(r.status, 0, r.out + r.err);
  const installed = sql(x, comicbatchOnPlatform(APP)).length;
  assert.equal(sqlValue(x, `SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'comicbatch\\_%'`), '25');
  await round(x, name, 1, true, VARIANT, VARIANT_USERS);
  await round(x, name, 2, true, VARIANT, VARIANT_USERS);

  r = cli(x, ['accelerators', 'remove'], asApp(x));
  assert.equal(r.status, 0, r.out + r.err);
  assert.ok(installed >= 25, `the query sees the installed accelerators (${installed})`);
  assert.deepEqual(sql(x, comicbatchOnPlatform(APP)), [], 'nothing of comicbatch left on the platform tables');
  await round(x, name, 3, false, VARIANT, VARIANT_USERS);

  r = cli(x, ['accelerators', 'install', ...ACCELERATORS], asApp(x));
  assert.equal(r.status, 0, r.out + r.err);
  assert.equal(sql(x, comicbatchOnPlatform(APP)).length, installed);
  await round(x, name, 4, true, VARIANT, VARIANT_USERS);
});
