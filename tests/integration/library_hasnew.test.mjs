// library.hasnew through the real daemon and Postgres (issue 3).
// Equivalence: on two identical generated datasets with drift, the seed's UPDATE (kept verbatim below) on one and
// our run (HTTP trigger, waited for) on the other leave library.entry identical: full sweep, one user, one comic.
// Incremental: after 1% of entries change (new chapters, reads, unreads, soft-deletes, undeletes, new entries), the
// scheduled-style run fixes exactly the queued entries. Events: a new chapter / a read flips followers' flags within
// seconds with no run row, counted in /metrics. Cancel: a full sweep cancelled mid-way leaves committed batches
// correct and the rest untouched. Dry run changes nothing. Bad params are 400 naming the field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { newDatabase, startDaemon, api, psqlSession, sql, sqlValue, waitRun, waitFor } from './lib.mjs';
import { fillLibrary, driftLibrary, hasnewTruth, hasnewStored, uid } from './library-data.mjs';
import { seedHasnew } from './seed-sql.mjs'; // the seed's statement, verbatim, scoped by a WHERE

// No leader: a cron slot of these jobs firing mid-test would take the queue or the lock from the run under test.
const NO_SCHEDULER = { runs: { scheduler: 0 } };

const entries = (url) => sql(url, 'SELECT id, userid, comicid, hasnew FROM library.entry ORDER BY id');

async function trigger(d, path, body = {}) {
  const res = await api(d, 'POST', `/api/v1/admin/batch/${path}`, { body });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const run = await waitRun(d, 'library.hasnew', res.body.data.id, 120000);
  return run;
}

let ref, ours, d;
before(async () => {
  ref = newDatabase();
  ours = newDatabase();
  for (const url of [ref, ours]) {
    fillLibrary(url);
    driftLibrary(url, { pct: 5 });
  }
  d = await startDaemon(ours, { jobs: { hasnew_events: 0, batch_rows: 1000 }, ...NO_SCHEDULER });
});
after(async () => {
  const exit = await d?.stop();
  assert.deepEqual(exit, { code: 0, sig: null }, 'the daemon exits cleanly (no sanitizer report)');
});

test('full sweep: dry run reports the flips and changes nothing', async () => {
  const before = entries(ours);
  const wrong = Number(sqlValue(ours, `SELECT count(*) FROM library.entry e WHERE hasnew IS DISTINCT FROM
    EXISTS (SELECT 1 FROM core.chapter ch WHERE ch.comicid = e.comicid AND ch.deletedat IS NULL AND NOT EXISTS
    (SELECT 1 FROM library.chapterread cr WHERE cr.userid = e.userid AND cr.chapterid = ch.id))`));
  assert.ok(wrong > 500, `drift should leave many wrong flags, got ${wrong}`);
  const run = await trigger(d, 'library/hasnew', { full: true, dryrun: true });
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.mode, 'full');
  assert.equal(run.meta.wouldUpdate, wrong);
  assert.equal(run.meta.entriesUpdated, 0);
  assert.equal(run.rowsaffected, 0);
  assert.deepEqual(entries(ours), before);
});

test('full sweep equals the seed UPDATE and writes only the flipped rows', async () => {
  const before = entries(ours);
  sql(ref, seedHasnew('true'));
  const run = await trigger(d, 'library/hasnew', { full: true });
  assert.equal(run.status, 'done', run.lasterror);
  const after = entries(ours);
  assert.deepEqual(after, entries(ref));
  const flipped = after.filter((row, i) => row[3] !== before[i][3]).length;
  assert.ok(flipped > 500);
  assert.equal(run.meta.mode, 'full');
  assert.equal(run.meta.entriesChecked, after.length);
  assert.equal(run.meta.entriesUpdated, flipped);
  assert.equal(run.rowsaffected, flipped);
  // A second sweep finds nothing to write.
  const again = await trigger(d, 'library/hasnew', { full: true });
  assert.equal(again.meta.entriesUpdated, 0);
});

test('one user and one comic: equal to the seed UPDATE with that scope, nothing else touched', async () => {
  for (const url of [ref, ours]) driftLibrary(url, { pct: 30, salt: 11 });
  const user = sqlValue(ours, `SELECT userid FROM library.entry GROUP BY userid ORDER BY count(*) DESC, userid LIMIT 1`);
  const comic = sqlValue(ours, `SELECT comicid FROM library.entry GROUP BY comicid ORDER BY count(*) DESC LIMIT 1`);
  sql(ref, seedHasnew(`userid = '${user}'`));
  const r1 = await trigger(d, 'library/hasnew', { userid: user });
  assert.equal(r1.status, 'done', r1.lasterror);
  assert.equal(r1.meta.mode, 'user');
  assert.equal(r1.lockkey, `library.hasnew:user:${user}`);
  assert.deepEqual(entries(ours), entries(ref));

  sql(ref, seedHasnew(`comicid = ${comic}`));
  const r2 = await trigger(d, `library/hasnew/${comic}`);
  assert.equal(r2.status, 'done', r2.lasterror);
  assert.equal(r2.meta.mode, 'comic');
  assert.equal(r2.lockkey, `library.hasnew:comic:${comic}`);
  assert.equal(r2.meta.entriesChecked, Number(sqlValue(ours, `SELECT count(*) FROM library.entry WHERE comicid = ${comic}`)));
  assert.deepEqual(entries(ours), entries(ref));
  // The drift elsewhere is still there: the scoped runs touched nothing outside their scope.
  assert.notDeepEqual(hasnewStored(ours), hasnewTruth(ours));
});

test('incremental sweep fixes exactly the entries that changed since the last sweep', async () => {
  // Start from a clean state, then make direct (unqueued) drift on a few entries as a marker.
  const full = await trigger(d, 'library/hasnew', { full: true });
  assert.equal(full.status, 'done', full.lasterror);
  sql(ours, 'DELETE FROM jobstate.hasnew_queue');
  const marker = sql(ours, `UPDATE library.entry SET hasnew = NOT hasnew WHERE id % 997 = 0 RETURNING id`).map((r) => r[0]);
  const truthBefore = new Map(hasnewTruth(ours));
  // ~1% of entries change through the platform's tables.
  sql(ours, `
    INSERT INTO core.chapter (comicid, number) SELECT c, 100 FROM generate_series(3, 80, 11) c;       -- new chapters
    UPDATE core.chapter SET deletedat = now() WHERE deletedat IS NULL AND id % 211 = 5;              -- soft-deletes
    UPDATE core.chapter SET deletedat = NULL WHERE deletedat IS NOT NULL AND id % 5 = 1;             -- undeletes
    INSERT INTO library.chapterread (userid, chapterid)                                              -- reads
      SELECT e.userid, ch.id FROM library.entry e JOIN core.chapter ch ON ch.comicid = e.comicid
       WHERE e.id % 113 = 7 AND ch.deletedat IS NULL ON CONFLICT DO NOTHING;
    DELETE FROM library.chapterread cr USING library.entry e, core.chapter ch                         -- unreads
     WHERE e.id % 127 = 3 AND cr.userid = e.userid AND ch.id = cr.chapterid AND ch.comicid = e.comicid
       AND ch.number = 1;
    INSERT INTO library.entry (userid, comicid, hasnew)                                              -- new follows
      SELECT ${uid('u')}, 1 + (u * 7) % 400, false FROM generate_series(1, 40) u ON CONFLICT DO NOTHING;`);
  const truth = hasnewTruth(ours);
  const stored = new Map(hasnewStored(ours));
  const changed = truth.filter(([id, v]) => truthBefore.has(id) ? truthBefore.get(id) !== v : stored.get(id) !== v);
  const total = truth.length;
  assert.ok(changed.length > total * 0.005, `expected ~1% changed, got ${changed.length} of ${total}`);
  const queued = Number(sqlValue(ours, 'SELECT count(*) FROM jobstate.hasnew_queue'));
  const covered = new Set(sql(ours, `SELECT e.id FROM library.entry e
    WHERE e.comicid IN (SELECT comicid FROM jobstate.hasnew_queue WHERE userid IS NULL)
       OR (e.userid, e.comicid) IN (SELECT userid, comicid FROM jobstate.hasnew_queue WHERE userid IS NOT NULL)`)
    .map((r) => r[0]));
  // The triggers queued every entry whose truth changed, and far fewer than all.
  for (const [id] of changed) assert.ok(covered.has(id), `changed entry ${id} was not queued`);
  assert.ok(covered.size < total / 4, `queued ${covered.size} of ${total}`);

  const run = await trigger(d, 'library/hasnew');
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.mode, 'incremental');
  assert.equal(run.meta.queued, queued);
  assert.equal(run.meta.entriesChecked, covered.size);
  assert.equal(Number(sqlValue(ours, 'SELECT count(*) FROM jobstate.hasnew_queue')), 0);
  const after = new Map(hasnewStored(ours));
  const markerSet = new Set(marker);
  let markersLeft = 0;
  for (const [id, v] of truth) {
    if (markerSet.has(id) && !covered.has(id)) {
      assert.notEqual(after.get(id), v, `unqueued marker entry ${id} must be left alone`);
      markersLeft++;
    } else {
      assert.equal(after.get(id), v, `entry ${id}`);
    }
  }
  assert.ok(markersLeft > 0);
  const wrongBefore = truth.filter(([id, v]) => covered.has(id) && stored.get(id) !== v).length;
  assert.equal(run.meta.entriesUpdated, wrongBefore);
  // Nothing queued: the next run checks nothing.
  const idle = await trigger(d, 'library/hasnew');
  assert.equal(idle.meta.entriesChecked, 0);
  assert.equal(idle.rowsaffected, 0);
});

test('incremental dry run leaves the queue and the flags alone', async () => {
  sql(ours, `INSERT INTO core.chapter (comicid, number) VALUES (2, 200)`);
  const q = Number(sqlValue(ours, 'SELECT count(*) FROM jobstate.hasnew_queue'));
  const before = entries(ours);
  const run = await trigger(d, 'library/hasnew', { dryrun: true });
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.mode, 'incremental');
  const followers = Number(sqlValue(ours, `SELECT count(*) FROM library.entry WHERE comicid = 2`));
  assert.equal(run.meta.entriesChecked, followers);
  assert.equal(run.meta.wouldUpdate, Number(sqlValue(ours, `SELECT count(*) FROM library.entry WHERE comicid = 2 AND NOT hasnew`)));
  assert.deepEqual(entries(ours), before);
  assert.equal(Number(sqlValue(ours, 'SELECT count(*) FROM jobstate.hasnew_queue')), q);
});

test('bad params are 400 naming the field; nothing is queued', async () => {
  const n = sqlValue(ours, `SELECT count(*) FROM system.batchrun`);
  for (const [path, body, field] of [
    ['library/hasnew', { userid: 'not-a-uuid' }, 'params.userid'],
    ['library/hasnew', { comicid: 'x1' }, 'params.comicid'],
    ['library/hasnew', { full: 'yes' }, 'params.full'],
    ['library/hasnew', { dryrun: 1 }, 'dryrun'],
    ['library/hasnew', { nope: 1 }, 'params.nope'],
    ['library/hasnew/abc', {}, 'params.comicid'],
    ['library/hasnew/0', {}, 'params.comicid'],
  ]) {
    const res = await api(d, 'POST', `/api/v1/admin/batch/${path}`, { body });
    assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.code, 'VALIDATION_ERROR');
    assert.equal(res.body.details?.field, field, JSON.stringify(res.body));
  }
  // A comic id that is not UTF-8 (%ff, %c3) was dropped on the way into params: 202, a run over every comic.
  for (const id of ['%ff', '%c3', '1%00']) {
    const res = await api(d, 'POST', `/api/v1/admin/batch/library/hasnew/${id}`, { body: {} });
    assert.equal(res.status, 400, `${id}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.code, 'VALIDATION_ERROR');
  }
  assert.equal(sqlValue(ours, `SELECT count(*) FROM system.batchrun`), n);
});

test('a new install owes one full sweep: the first scheduled-style run is full', async () => {
  const url = newDatabase();
  fillLibrary(url, { users: 200, comics: 80 });
  driftLibrary(url, { pct: 20 });
  const d2 = await startDaemon(url, { jobs: { hasnew_events: 0 }, ...NO_SCHEDULER });
  try {
    const run = await trigger(d2, 'library/hasnew');
    assert.equal(run.status, 'done', run.lasterror);
    assert.equal(run.meta.mode, 'full');
    assert.deepEqual(hasnewStored(url), hasnewTruth(url));
    const next = await trigger(d2, 'library/hasnew');
    assert.equal(next.meta.mode, 'incremental');
  } finally {
    assert.deepEqual(await d2.stop(), { code: 0, sig: null }, 'clean exit');
  }
});

/** A database whose flags are right and whose queue is empty (no full sweep owed). */
function settledLibrary() {
  const url = newDatabase();
  fillLibrary(url, { users: 300, comics: 100 });
  sql(url, seedHasnew('true'));
  sql(url, 'UPDATE jobstate.hasnew_state SET fullneeded = false; DELETE FROM jobstate.hasnew_queue');
  return url;
}

test('events: a new chapter and a read flip the followers within seconds, with no run, counted in /metrics', async () => {
  const url = settledLibrary();
  const d2 = await startDaemon(url, NO_SCHEDULER);
  try {
    const comic = sqlValue(url, `SELECT comicid FROM library.entry GROUP BY comicid
                                 ORDER BY count(*) FILTER (WHERE NOT hasnew) DESC LIMIT 1`);
    const stale = Number(sqlValue(url, `SELECT count(*) FROM library.entry WHERE comicid = ${comic} AND NOT hasnew`));
    assert.ok(stale > 5);
    sql(url, `INSERT INTO core.chapter (comicid, number) VALUES (${comic}, 999)`);
    await waitFor(() => sqlValue(url, `SELECT count(*) FROM library.entry WHERE comicid = ${comic} AND NOT hasnew`) === '0',
      10000, 'followers of the comic to get hasnew');
    // A follower reads everything: their flag clears.
    const user = sqlValue(url, `SELECT userid FROM library.entry WHERE comicid = ${comic} ORDER BY id LIMIT 1`);
    sql(url, `INSERT INTO library.chapterread (userid, chapterid) SELECT '${user}', id FROM core.chapter
              WHERE comicid = ${comic} ON CONFLICT DO NOTHING`);
    await waitFor(() => sqlValue(url, `SELECT hasnew FROM library.entry WHERE comicid = ${comic} AND userid = '${user}'`) === 'f',
      10000, 'the reader\'s flag to clear');
    assert.equal(sqlValue(url, `SELECT count(*) FROM system.batchrun WHERE jobkey = 'library.hasnew'`), '0');
    const m = await api(d2, 'GET', '/metrics', { token: null });
    const line = m.body.split('\n').find((l) => l.startsWith('comicbatch_event_recalcs_total{kind="hasnew"}'));
    assert.ok(line, m.body);
    assert.ok(Number(line.split(' ').pop()) >= stale + 1, line);
    assert.deepEqual(hasnewStored(url), hasnewTruth(url));
  } finally {
    assert.deepEqual(await d2.stop(), { code: 0, sig: null }, 'clean exit');
  }
});

/**
 * A lock cycle between a platform transaction P and the hasnew drain, in which P waits first. P holds entry HIGH, a
 * third session Q holds entry MID; a new chapter queues every follower of the comic and `start()` begins a drain
 * (the event thread, or a run), which locks the followers in id order: LOW, then waits on MID. P now updates LOW
 * (waits on the drain), Q commits, and the drain would wait on HIGH (P's): P's deadlock check would fire first and
 * PostgreSQL would abort the platform's transaction. Asserts P commits. Returns the comic.
 */
async function platformInLockCycle(url, start) {
  const P = psqlSession(url);
  const Q = psqlSession(url);
  try {
    const comic = sqlValue(url, 'SELECT comicid FROM library.entry GROUP BY comicid ORDER BY count(*) DESC LIMIT 1');
    const ids = sql(url, `SELECT id FROM library.entry WHERE comicid = ${comic} ORDER BY id`).map((r) => r[0]);
    assert.ok(ids.length >= 3);
    const [low, mid, high] = [ids[0], ids[Math.floor(ids.length / 2)], ids[ids.length - 1]];
    await P.step(`BEGIN; UPDATE library.entry SET hasnew = hasnew WHERE id = ${high}`);
    await Q.step(`BEGIN; UPDATE library.entry SET hasnew = hasnew WHERE id = ${mid}`);
    sql(url, `INSERT INTO core.chapter (comicid, number) VALUES (${comic}, 999)`);
    const started = await start();
    await sleep(600); // the drain has locked LOW and waits on MID
    P.send(`UPDATE library.entry SET hasnew = hasnew WHERE id = ${low}`);
    await sleep(300);
    await Q.step('COMMIT');
    await sleep(1500); // past deadlock_timeout (1 s) after P began to wait
    await P.step('COMMIT');
    assert.doesNotMatch(P.err, /deadlock/, 'the platform transaction was not aborted');
    assert.equal(await P.end(), 0, P.err);
    assert.equal(await Q.end(), 0, Q.err);
    return { comic, started };
  } finally {
    await P.end().catch(() => {});
    await Q.end().catch(() => {});
  }
}

test('events: a platform transaction in a lock cycle with the catch-up is never the deadlock victim', async () => {
  // The catch-up waits at most 200 ms for a lock, so it gives up first (its queue rows stay) and retries.
  const url = settledLibrary();
  const d2 = await startDaemon(url, NO_SCHEDULER);
  try {
    const { comic } = await platformInLockCycle(url, async () => {});
    await waitFor(() => sqlValue(url, `SELECT count(*) FROM library.entry WHERE comicid = ${comic} AND NOT hasnew`) === '0',
      15000, 'the retried catch-up to flag every follower');
    assert.deepEqual(hasnewStored(url), hasnewTruth(url));
  } finally {
    assert.deepEqual(await d2.stop(), { code: 0, sig: null }, 'clean exit');
  }
});

test('a run in a lock cycle with a platform transaction yields to it, retries, and ends done', async () => {
  const url = settledLibrary();
  const d2 = await startDaemon(url, { jobs: { hasnew_events: 0 }, ...NO_SCHEDULER });
  try {
    const { started } = await platformInLockCycle(url, async () => {
      const res = await api(d2, 'POST', '/api/v1/admin/batch/library/hasnew', { body: {} });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body.data.id;
    });
    const run = await waitRun(d2, 'library.hasnew', started, 60000);
    assert.equal(run.status, 'done', run.lasterror);
    assert.equal(run.meta.mode, 'incremental');
    assert.deepEqual(hasnewStored(url), hasnewTruth(url));
  } finally {
    assert.deepEqual(await d2.stop(), { code: 0, sig: null }, 'clean exit');
  }
});

test('a cancelled full sweep keeps its committed batches (correct) and leaves the rest untouched', async () => {
  const url = newDatabase();
  fillLibrary(url, { users: 1200, comics: 500, salt: 3 });
  sql(url, seedHasnew('true'));
  sql(url, 'UPDATE library.entry SET hasnew = NOT hasnew'); // every entry wrong: one write per entry
  const before = new Map(hasnewStored(url));
  const total = before.size;
  const d2 = await startDaemon(url, { jobs: { hasnew_events: 0, batch_rows: 100 }, ...NO_SCHEDULER });
  try {
    const res = await api(d2, 'POST', '/api/v1/admin/batch/library/hasnew', { body: { full: true } });
    assert.equal(res.status, 202);
    const id = res.body.data.id;
    // Cancel once phase 2 (the writes) has committed a few batches.
    await waitFor(() => sqlValue(url, `SELECT coalesce(progressdone, 0) > ${total + 300} FROM system.batchrun
                                       WHERE id = '${id}'`) === 't', 60000, 'the sweep to start writing');
    const c = await api(d2, 'POST', '/api/v1/admin/batch/jobs/library.hasnew/cancel', {});
    assert.ok([200, 202].includes(c.status), JSON.stringify(c.body));
    const run = await waitRun(d2, 'library.hasnew', id, 60000);
    assert.equal(run.status, 'cancelled');
    const truth = new Map(hasnewTruth(url));
    const after = hasnewStored(url);
    let fixed = 0, untouched = 0;
    for (const [eid, v] of after) {
      if (v === before.get(eid)) untouched++;
      else { assert.equal(v, truth.get(eid), `entry ${eid} was written with a wrong value`); fixed++; }
    }
    assert.equal(fixed, run.rowsaffected);
    assert.ok(fixed >= 300, `committed batches: ${fixed}`);
    assert.ok(untouched > 0, 'the sweep finished before the cancel: nothing was left to prove');
    // Phase 2 goes in id order: what was written is a prefix of the ids.
    const written = after.filter(([eid, v]) => v !== before.get(eid)).map(([eid]) => Number(eid));
    const maxWritten = Math.max(...written);
    assert.ok(after.every(([eid, v]) => Number(eid) > maxWritten || v !== before.get(eid)));
    await sleep(10);
  } finally {
    assert.deepEqual(await d2.stop(), { code: 0, sig: null }, 'clean exit');
  }
});
