// library.viewhistory_cap through the real daemon and Postgres (issue 3): equivalence with the seed's DELETE (kept
// verbatim below) on two identical generated histories (5% of users over the 500 cap), one user only, dry run,
// nothing over the cap, a configured cap, the per-user counters the job relies on, bad params.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newDatabase, startDaemon, api, sql, sqlValue, waitRun } from './lib.mjs';
import { seedCap } from './seed-sql.mjs'; // the seed's statement, verbatim
import { fillLibrary } from './library-data.mjs';

// No leader: a cron slot of these jobs firing mid-test would take the queue or the lock from the run under test.
const NO_SCHEDULER = { runs: { scheduler: 0 } };

const ids = (url) => sql(url, 'SELECT id FROM library.viewhistory ORDER BY id').map((r) => r[0]);
const countsMatch = (url) => sqlValue(url, `SELECT count(*) FROM (
    SELECT userid, count(*) AS n FROM library.viewhistory GROUP BY userid) t
    FULL JOIN (SELECT * FROM jobstate.viewhistory_users WHERE n <> 0) c USING (userid)
    WHERE t.n IS DISTINCT FROM c.n`) === '0';

async function trigger(d, body = {}) {
  const res = await api(d, 'POST', '/api/v1/admin/batch/history/cap', { body });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return waitRun(d, 'library.viewhistory_cap', res.body.data.id, 120000);
}

let ref, ours, d;
before(async () => {
  ref = newDatabase();
  ours = newDatabase();
  for (const url of [ref, ours]) fillLibrary(url);
  d = await startDaemon(ours, { jobs: { batch_rows: 2000 }, ...NO_SCHEDULER });
});
after(async () => {
  const exit = await d?.stop();
  assert.deepEqual(exit, { code: 0, sig: null }, 'the daemon exits cleanly (no sanitizer report)');
});

test('the per-user counters the job reads are exact after inserts, deletes and updates', () => {
  assert.ok(countsMatch(ours));
  sql(ours, `INSERT INTO library.viewhistory (userid, comicid) SELECT userid, 1 FROM library.viewhistory WHERE id % 50 = 0;
             DELETE FROM library.viewhistory WHERE id % 70 = 1;
             UPDATE library.viewhistory SET userid = (SELECT id FROM users.account a WHERE NOT EXISTS (SELECT 1 FROM library.viewhistory h WHERE h.userid = a.id) ORDER BY id LIMIT 1) WHERE id % 900 = 2;
             DELETE FROM library.viewhistory WHERE id > (SELECT max(id) - 10 FROM library.viewhistory)`);
  assert.ok(countsMatch(ours));
  // The same on the reference, so both copies stay identical.
  sql(ref, `INSERT INTO library.viewhistory (userid, comicid) SELECT userid, 1 FROM library.viewhistory WHERE id % 50 = 0;
            DELETE FROM library.viewhistory WHERE id % 70 = 1;
            UPDATE library.viewhistory SET userid = (SELECT id FROM users.account a WHERE NOT EXISTS (SELECT 1 FROM library.viewhistory h WHERE h.userid = a.id) ORDER BY id LIMIT 1) WHERE id % 900 = 2;
            DELETE FROM library.viewhistory WHERE id > (SELECT max(id) - 10 FROM library.viewhistory)`);
  assert.deepEqual(ids(ours), ids(ref));
});

test('dry run reports who and how much and deletes nothing', async () => {
  const before = ids(ours);
  const users = Number(sqlValue(ours, `SELECT count(*) FROM (SELECT userid FROM library.viewhistory GROUP BY userid
                                       HAVING count(*) > 500) t`));
  const rows = Number(sqlValue(ours, `SELECT coalesce(sum(n - 500), 0) FROM (SELECT count(*) AS n FROM library.viewhistory
                                      GROUP BY userid HAVING count(*) > 500) t`));
  assert.ok(users >= 30 && rows > 3000, `${users} users / ${rows} rows over the cap`);
  const run = await trigger(d, { dryrun: true });
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.wouldCapUsers, users);
  assert.equal(run.meta.wouldDelete, rows);
  assert.equal(run.meta.rowsDeleted, 0);
  assert.deepEqual(ids(ours), before);
});

test('one user: only that user\'s oldest rows go', async () => {
  const [user, n] = sql(ours, `SELECT userid, count(*) FROM library.viewhistory GROUP BY userid HAVING count(*) > 500
                               ORDER BY userid LIMIT 1`)[0];
  const others = sqlValue(ours, `SELECT count(*) FROM library.viewhistory WHERE userid <> '${user}'`);
  const keep = sql(ours, `SELECT id FROM library.viewhistory WHERE userid = '${user}' ORDER BY viewedat DESC LIMIT 500`)
    .map((r) => r[0]).sort((a, b) => a - b);
  const run = await trigger(d, { userid: user });
  assert.equal(run.status, 'done', run.lasterror);
  assert.deepEqual(run.meta, { cap: 500, usersCapped: 1, rowsDeleted: Number(n) - 500 });
  assert.deepEqual(sql(ours, `SELECT id FROM library.viewhistory WHERE userid = '${user}' ORDER BY id`).map((r) => r[0]), keep);
  assert.equal(sqlValue(ours, `SELECT count(*) FROM library.viewhistory WHERE userid <> '${user}'`), others);
  sql(ref, seedCap(`userid = '${user}'`));
  assert.deepEqual(ids(ours), ids(ref));
});

test('every user: equal to the seed DELETE; then nothing over the cap deletes nothing', async () => {
  const usersOver = Number(sqlValue(ours, `SELECT count(*) FROM (SELECT userid FROM library.viewhistory GROUP BY userid
                                            HAVING count(*) > 500) t`));
  const before = Number(sqlValue(ours, 'SELECT count(*) FROM library.viewhistory'));
  sql(ref, seedCap());
  const run = await trigger(d);
  assert.equal(run.status, 'done', run.lasterror);
  const after = ids(ours);
  assert.deepEqual(after, ids(ref));
  assert.equal(run.meta.usersCapped, usersOver);
  assert.equal(run.meta.rowsDeleted, before - after.length);
  assert.equal(run.rowsaffected, before - after.length);
  assert.ok(countsMatch(ours));
  const idle = await trigger(d);
  assert.equal(idle.status, 'done', idle.lasterror);
  assert.deepEqual([idle.meta.usersCapped, idle.meta.rowsDeleted, idle.rowsaffected], [0, 0, 0]);
});

test('the cap comes from [jobs] viewhistory_cap; newest rows are kept', async () => {
  const url = newDatabase();
  fillLibrary(url, { users: 300, comics: 100, salt: 5 });
  const want = sql(url, `SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY userid ORDER BY viewedat DESC) rn
                         FROM library.viewhistory) t WHERE rn <= 40 ORDER BY id`).map((r) => r[0]);
  const d2 = await startDaemon(url, { jobs: { viewhistory_cap: 40, batch_rows: 100 }, ...NO_SCHEDULER });
  try {
    const run = await trigger(d2);
    assert.equal(run.status, 'done', run.lasterror);
    assert.equal(run.meta.cap, 40);
    assert.deepEqual(ids(url), want);
    assert.ok(countsMatch(url));
  } finally {
    assert.deepEqual(await d2.stop(), { code: 0, sig: null }, 'clean exit');
  }
});

test('bad params are 400 naming the field', async () => {
  for (const [body, field] of [[{ userid: 'x' }, 'params.userid'], [{ userid: 7 }, 'params.userid'],
    [{ olderthan: '1d' }, 'params.olderthan'], [{ dryrun: 'no' }, 'dryrun']]) {
    const res = await api(d, 'POST', '/api/v1/admin/batch/history/cap', { body });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.details?.field, field);
  }
});

test('scheduled params are checked against the platform\'s id types, as a trigger\'s are', async () => {
  // This platform's user ids are uuid: 5 was accepted here, and every scheduled run then failed in PostgreSQL.
  const S = '/api/v1/admin/batch/schedule/library.viewhistory_cap';
  const res = await api(d, 'PATCH', S, { body: { scheduledparams: { userid: 5 } } });
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.details?.field, 'scheduledparams.userid');
  assert.match(res.body.error, /uuid/);
  assert.equal(sqlValue(ours, "SELECT params IS NULL OR params = '{}' FROM system.batchschedule WHERE jobkey = 'library.viewhistory_cap'") ?? 't', 't');
  const uuid = sqlValue(ours, 'SELECT id FROM users.account LIMIT 1');
  const ok = await api(d, 'PATCH', S, { body: { scheduledparams: { userid: uuid } } });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal((await api(d, 'PATCH', S, { body: { scheduledparams: null } })).status, 200);
});
