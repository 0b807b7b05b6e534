// The schema contract at work (issue 9), against copies of the test template (the platform's tables owned by
// cbplatform, comicbatch migrated and accelerated as the least-privileged cbapp): `comicbatch doctor` names a
// dropped column and a missing grant with the DDL/GRANT that fixes each; a job whose table is missing is unavailable
// in the schedule, not scheduled (its slots go to the missed-slot ledger as `unavailable`) and refused with 503
// while the others run (scheduled and triggered), and counts again once the table is
// back; removing the accelerators leaves no trigger or function of comicbatch on the platform's tables and the jobs
// stay right; `grants` works before `migrate`, and `migrate` on a database without the platform creates none of it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { APP_ROLE, api, cli, comicbatchOnPlatform, databaseUrl, newDatabase, roleUrl, sql, sqlValue, startDaemon, waitFor, waitRun } from './lib.mjs';
import { fillLibrary } from './library-data.mjs';
import { dueSince, missed, stored, waitMissed } from './sched-util.mjs';

let dbUrl, d;
const ADMIN = databaseUrl('postgres');
const BARE = `cb_bare_${process.pid}`, BARE_ROLE = `cb_bare_app_${process.pid}`;

before(() => { dbUrl = newDatabase(); });
after(async () => {
  await d?.stop();
  sql(ADMIN, `DROP DATABASE IF EXISTS ${BARE} WITH (FORCE)`);
  sql(ADMIN, `DROP ROLE IF EXISTS ${BARE_ROLE}`);
});

test('doctor names a dropped column and a missing grant, with the fix for each, and exits 1', () => {
  const ok = cli(dbUrl, ['doctor']);
  assert.equal(ok.status, 0, ok.out + ok.err);
  // metadata.dump_refresh has no [provider.dump] here: not configured, which is not a failure (platform_unavailable).
  assert.match(ok.out, /13 of 14 enabled jobs can run; 1 not configured/);
  assert.match(ok.out, new RegExp(`role ${APP_ROLE}\\b`));

  sql(dbUrl, `ALTER TABLE system.announcement DROP COLUMN expiresat; REVOKE DELETE ON users.session FROM ${APP_ROLE}`);
  const bad = cli(dbUrl, ['doctor']);
  assert.equal(bad.status, 1, bad.out);
  assert.match(bad.out, /UNAVAILABLE\s+announcements\.expire/);
  assert.match(bad.out, /column system\.announcement\.expiresat is missing/);
  assert.match(bad.out, /ALTER TABLE system\.announcement ADD COLUMN expiresat timestamptz;/);
  assert.match(bad.out, /UNAVAILABLE\s+sessions\.cleanup/);
  assert.match(bad.out, new RegExp(`role ${APP_ROLE} lacks DELETE on users\\.session`));
  assert.match(bad.out, new RegExp(`GRANT DELETE ON users\\.session TO ${APP_ROLE};`));
  assert.match(bad.out, /11 of 14 enabled jobs can run; 1 not configured .*; fix the findings above/);

  // A job the operator disabled in the schedule is not a reason to fail (system.batchschedule, read through
  // store/schedstore.c); enabled again, it is.
  const setEnabled = (on) => sql(dbUrl, `INSERT INTO system.batchschedule (jobkey, isenabled)
    SELECT k, ${on} FROM unnest(ARRAY['announcements.expire', 'sessions.cleanup']) k
    ON CONFLICT (jobkey) DO UPDATE SET isenabled = excluded.isenabled`);
  setEnabled(false);
  const off = cli(dbUrl, ['doctor']);
  assert.equal(off.status, 0, off.out);
  assert.match(off.out, /11 of 12 enabled jobs can run; 1 not configured/);
  assert.doesNotMatch(off.out, /fix the findings above/);
  setEnabled(true);
  assert.equal(cli(dbUrl, ['doctor']).status, 1);

  // The printed fixes are the fix: the ALTER, then `grants` applied again (the new column has no privileges yet).
  assert.match(bad.out, /ADD COLUMN expiresat timestamptz;\s+-- then apply `comicbatch grants ROLE` again/);
  sql(dbUrl, 'ALTER TABLE system.announcement ADD COLUMN expiresat timestamptz');
  const grants = cli(dbUrl, ['grants', APP_ROLE], { COMICBATCH_DATABASE_URL: dbUrl }); // as the administrator
  assert.equal(grants.status, 0, grants.err);
  assert.match(grants.out, /GRANT SELECT \([^)]*\bexpiresat\b[^)]*\)[^;]* ON system\.announcement TO/);
  sql(dbUrl, grants.out);
  const fixed = cli(dbUrl, ['doctor']);
  assert.equal(fixed.status, 0, fixed.out);
});

test('a job whose table is missing is unavailable, not run, refused with 503 naming it; the others run', async () => {
  sql(dbUrl, 'DROP TABLE crawler.log');
  // The provider configured (the file need not exist: only the setting is checked), so crawler.partition is the one
  // job unavailable.
  d = await startDaemon(dbUrl, { 'provider.dump': { dump: '/nonexistent/dump.jsonl' } });
  const schedule = (await api(d, 'GET', '/api/v1/admin/batch/schedule')).body.data;
  const entry = schedule.find((e) => e.jobkey === 'crawler.partition');
  assert.equal(entry.available, false);
  assert.match(entry.unavailableReason, /table crawler\.log is missing/);
  assert.deepEqual(schedule.filter((e) => !e.available).map((e) => e.jobkey), ['crawler.partition']);
  for (const e of schedule.filter((x) => x.jobkey !== 'crawler.partition')) assert.equal(e.unavailableReason, null);

  const refused = await api(d, 'POST', '/api/v1/admin/batch/crawler/partitions', { body: {} });
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.equal(refused.body.code, 'UNAVAILABLE');
  assert.match(refused.body.error, /crawler\.partition cannot run on this database: table crawler\.log is missing/);
  assert.equal(refused.body.details.jobkey, 'crawler.partition');
  assert.match(refused.body.details.missing[0].fix, /CREATE TABLE crawler\.log/);
  assert.equal(sqlValue(dbUrl, `SELECT count(*) FROM system.batchrun WHERE jobkey = 'crawler.partition'`), '0');

  const other = await api(d, 'POST', '/api/v1/admin/batch/sessions/cleanup', { body: {} });
  assert.equal(other.status, 202);
  assert.equal((await waitRun(d, 'sessions.cleanup', other.body.data.id)).status, 'done');

  // The scheduler: crawler.partition's due slot goes to the missed-slot ledger as `unavailable` with the contract's
  // reason and nothing is enqueued (its slot stays put); sessions.cleanup's due slot runs.
  const slot = dueSince(dbUrl, 'crawler.partition', 3);
  dueSince(dbUrl, 'sessions.cleanup', 3);
  const row = await waitMissed(d, 'crawler.partition', 'unavailable');
  assert.match(row.detail, /table crawler\.log is missing/);
  assert.equal(Date.parse(row.firstslot), slot);
  assert.equal(stored(dbUrl, 'nextrunat', 'crawler.partition'), slot, 'nothing fired: the slot stays');
  const scheduled = await waitFor(() => sqlValue(dbUrl, `SELECT status FROM system.batchrun
    WHERE jobkey = 'sessions.cleanup' AND triggeredby = 'scheduler' AND status = 'done'`), 20000, 'a scheduled sessions.cleanup run');
  assert.equal(scheduled, 'done');
  assert.deepEqual((await missed(d, 'sessions.cleanup')).filter((m) => m.reason === 'unavailable'), []);
  assert.equal(sqlValue(dbUrl, `SELECT count(*) FROM system.batchrun WHERE jobkey = 'crawler.partition'`), '0');
  // No catch-up run of the slot once the table is back (the manual trigger below must not meet one).
  sql(dbUrl, `UPDATE system.batchschedule SET nextrunat = now() + interval '1 day' WHERE jobkey = 'crawler.partition'`);

  // The platform puts the table back (as its owner): the next trigger re-checks and runs, no restart.
  sql(dbUrl, `SET ROLE cbplatform; CREATE TABLE crawler.log (id bigint GENERATED BY DEFAULT AS IDENTITY,
    sourceid bigint NOT NULL, jobid bigint, level text NOT NULL DEFAULT 'info', message text NOT NULL,
    createdat timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (id, createdat)) PARTITION BY RANGE (createdat)`);
  await new Promise((ok) => setTimeout(ok, 5200));
  const again = await api(d, 'POST', '/api/v1/admin/batch/crawler/partitions', { body: {} });
  assert.equal(again.status, 202, JSON.stringify(again.body));
  const run = await waitRun(d, 'crawler.partition', again.body.data.id);
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.partitionsCreated.length, 2);
  assert.equal(run.meta.via, 'system.comicbatch_ensure_partition', 'the owner\'s definer function, not ownership');
  await d.stop();
  d = null;
});


test('accelerators: remove leaves nothing of comicbatch on the platform tables; jobs stay right either way', () => {
  fillLibrary(dbUrl, { users: 300, comics: 120, groups: 10 });
  const truth = () => sql(dbUrl, `SELECT c.id, (SELECT count(*) FROM core.chapter ch WHERE ch.comicid = c.id
    AND ch.deletedat IS NULL), (SELECT count(*) FROM library.entry e WHERE e.comicid = c.id) FROM core.comic c ORDER BY c.id`);
  const stored = () => sql(dbUrl, 'SELECT id, chaptercount, followcount FROM core.comic ORDER BY id');
  assert.ok(sql(dbUrl, comicbatchOnPlatform(APP_ROLE)).length > 20, 'the template has the trigger accelerators');
  const st = cli(dbUrl, ['accelerators', 'status']);
  assert.equal(st.status, 0);
  assert.match(st.out, /hasnew\s+installed/);
  assert.match(st.out, /write-path cost: /);

  const rm = cli(dbUrl, ['accelerators', 'remove']);
  assert.equal(rm.status, 0, rm.out + rm.err);
  assert.deepEqual(sql(dbUrl, comicbatchOnPlatform(APP_ROLE)), []);
  assert.equal(sqlValue(dbUrl, `SELECT count(*) FROM pg_class WHERE relnamespace = 'jobstate'::regnamespace
    AND relname IN ('hasnew_queue', 'comic_counts', 'comic_ratings', 'viewhistory_users')`), '0');
  assert.doesNotMatch(cli(dbUrl, ['accelerators', 'status']).out, /^\w+\s+installed\b/m);

  sql(dbUrl, `INSERT INTO core.chapter (comicid, number) SELECT id, 500 FROM core.comic WHERE id % 7 = 0`);
  let r = cli(dbUrl, ['run', 'comics.counts_recalc']);
  assert.equal(r.status, 0, r.out + r.err);
  assert.equal(JSON.parse(r.out).meta.mode, 'direct');
  assert.deepEqual(stored(), truth());

  const inst = cli(dbUrl, ['accelerators', 'install', 'counts']);
  assert.equal(inst.status, 0, inst.out + inst.err);
  sql(dbUrl, `DELETE FROM library.entry WHERE id % 9 = 0; UPDATE core.chapter SET deletedat = now() WHERE id % 11 = 0`);
  r = cli(dbUrl, ['run', 'comics.counts_recalc']);
  assert.equal(JSON.parse(r.out).meta.mode, 'accelerated');
  assert.deepEqual(stored(), truth(), 'the install rebuilt the stats; the triggers caught the changes after it');

  const ff = cli(dbUrl, ['accelerators', 'install', 'fillfactor']);
  assert.equal(ff.status, 1);
  assert.match(ff.out, /only the owner of core\.comic may change its storage/);
  assert.match(ff.out, /ALTER TABLE core\.comic SET \(fillfactor = 90\);/);
});

test('grants before migrate on a database without the platform; migrate creates none of it and says what cannot run', () => {
  sql(ADMIN, `CREATE DATABASE ${BARE}`);
  sql(ADMIN, `CREATE ROLE ${BARE_ROLE} LOGIN`);
  const bare = databaseUrl(BARE);
  const g = cli(bare, ['grants', BARE_ROLE], { COMICBATCH_DATABASE_URL: bare });
  assert.equal(g.status, 0, g.err);
  assert.match(g.out, new RegExp(`CREATE SCHEMA system AUTHORIZATION ${BARE_ROLE};`));
  assert.match(g.out, /library\.entry does not exist: library\.hasnew, comics\.counts_recalc will be unavailable/);
  sql(bare, g.out);
  const m = cli(bare, ['migrate'], { COMICBATCH_DATABASE_URL: roleUrl(bare, BARE_ROLE) });
  assert.equal(m.status, 0, m.err);
  assert.match(m.out, /unavailable on this database: library\.hasnew: table library\.entry is missing/);
  assert.deepEqual(sql(bare, `SELECT nspname FROM pg_namespace WHERE nspname IN ('core', 'library', 'social', 'users',
    'analytics', 'crawler') ORDER BY 1`), []);
  assert.deepEqual(sql(bare, `SELECT relname FROM pg_class WHERE relnamespace = 'system'::regnamespace AND relkind = 'r'
    AND relname IN ('announcement', 'auditlog', 'notification', 'setting')`), []);
  const doc = cli(bare, ['doctor'], { COMICBATCH_DATABASE_URL: roleUrl(bare, BARE_ROLE) });
  assert.equal(doc.status, 1);
  assert.match(doc.out, /0 of 14 enabled jobs can run; 1 not configured/);
  assert.match(doc.out, /^\s+not configured\s+metadata\.dump_refresh$/m, "dump_refresh needs nothing of the platform's");
});

test('serve refuses a database whose migrations are not this build\'s (pending, or from a newer build); doctor says so', async () => {
  const db = newDatabase();
  const refused = async (re) => {
    let started = null;
    try {
      started = await startDaemon(db);
    } catch (e) {
      assert.match(e.message, /exited early/);
      assert.match(e.message, re);
    }
    if (started) await started.stop();
    assert.equal(started, null, 'serve must not start');
  };
  sql(db, "INSERT INTO system.schema_migrations (name, sha256) VALUES ('999_from_the_future.sql', 'x')");
  await refused(/1 migration this build does not know \(999_from_the_future\.sql\): it was migrated by a newer comicbatch/);
  let doc = cli(db, ['doctor']);
  assert.equal(doc.status, 1, doc.out);
  assert.match(doc.out, /migrations: 1 applied that this build does not know \(999_from_the_future\.sql\)/);
  assert.match(doc.out, /the migrations do not match this build/);
  sql(db, "DELETE FROM system.schema_migrations WHERE name = '999_from_the_future.sql'");

  const [[last, sha]] = sql(db, 'SELECT name, sha256 FROM system.schema_migrations ORDER BY name DESC LIMIT 1');
  sql(db, `DELETE FROM system.schema_migrations WHERE name = '${last}'`);
  await refused(/1 migration of this build is not applied: run `comicbatch migrate` first/);
  const run = cli(db, ['run', 'system.canary']);
  assert.equal(run.status, 1, run.out + run.err);
  assert.match(run.err, /1 migration of this build is not applied/);
  doc = cli(db, ['doctor']);
  assert.equal(doc.status, 1, doc.out);
  assert.match(doc.out, /migrations: 1 pending: run `comicbatch migrate`/);
  sql(db, `INSERT INTO system.schema_migrations (name, sha256) VALUES ('${last}', '${sha}')`);
  const live = await startDaemon(db);
  try {
    assert.equal((await fetch(`${live.base}/readyz`)).status, 200, 'the same database, matched again, serves');
  } finally {
    await live.stop();
  }
  assert.equal(cli(db, ['doctor']).status, 0);
});

test('a role with no grants at all gets its findings, each with the GRANT, not an error', () => {
  const db = newDatabase();
  const weak = `cb_weak_${process.pid}`;
  sql(ADMIN, `DROP ROLE IF EXISTS ${weak}; CREATE ROLE ${weak} LOGIN`);
  try {
    const doc = cli(db, ['doctor'], { COMICBATCH_DATABASE_URL: roleUrl(db, weak) });
    assert.equal(doc.status, 1, doc.out + doc.err);
    assert.doesNotMatch(doc.err, /comicbatch: cannot/, 'it checked');
    assert.match(doc.out, new RegExp(`UNAVAILABLE\\s+library\\.hasnew[^\\n]*\\n\\s+- role ${weak} may not use schema library\\n\\s+GRANT USAGE ON SCHEMA library TO ${weak};`));
    const hasnew = doc.out.split(/\n  (?=\S)/).find((b) => /^UNAVAILABLE\s+library\.hasnew/.test(b));
    assert.equal(hasnew.match(/may not use schema core/g)?.length, 1, `one finding per schema:\n${hasnew}`);
    assert.match(doc.out, new RegExp(`migrations: cannot read system\\.schema_migrations as ${weak}`));
    assert.match(doc.out, /0 of 14 enabled jobs can run/);
  } finally {
    sql(db, `DROP OWNED BY ${weak}`);
    sql(ADMIN, `DROP ROLE ${weak}`);
  }
});
