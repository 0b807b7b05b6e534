// comics.ratings_recalc and comics.counts_recalc through the real daemon and Postgres (issue 3).
// Equivalence with the seed's statements (kept verbatim below; $C is the exact global average) on two identical
// generated datasets with drift, including data on which rounding C to 4 decimals first would differ;
// the deliberate difference (a comic that lost every rating is reset, DESIGN §4) has its own test; steady state
// writes nothing; changes made through the platform tables are picked up; `full: true` rebuilds after changes
// made with triggers disabled; dry runs change nothing; bad params are 400 naming the field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newDatabase, startDaemon, api, sql, sqlValue, waitRun, cli } from './lib.mjs';
import { fillLibrary, driftLibrary } from './library-data.mjs';
import { SEED_COUNTS, seedRatingsSql } from './seed-sql.mjs';

// No leader: a cron slot of these jobs firing mid-test would take the queue or the lock from the run under test.
const NO_SCHEDULER = { runs: { scheduler: 0 } };

// The seed's statements (tests/seed/, verbatim); C and m are what the job reports in meta.
const seedRatings = (url, C, m) => sql(url, seedRatingsSql(C, m));
const ratings = (url, where = 'true') =>
  sql(url, `SELECT id, ratingavg, ratingbayesian, ratingcount FROM core.comic WHERE ${where} ORDER BY id`);
const counts = (url) => [sql(url, 'SELECT id, chaptercount, followcount FROM core.comic ORDER BY id'),
  sql(url, 'SELECT id, followcount FROM core.scanlationgroup ORDER BY id')];
const RATED = 'id IN (SELECT comicid FROM social.comicrating)';
// C as the seed means it, the global average score, exact (numeric's AVG, not rounded).
// Row versions (xmin) of the tables a job writes: a run that writes nothing leaves every one as it was, whatever
// the job's own counters say.
const versions = (url) => [sql(url, 'SELECT id, xmin::text FROM core.comic ORDER BY id'),
  sql(url, 'SELECT id, xmin::text FROM core.scanlationgroup ORDER BY id')];
const rewritten = (before, after) => after.filter((row, i) => row[1] !== before[i][1]).length;
const globalC = (url) => sqlValue(url, 'SELECT avg(score) FROM social.comicrating');
const sameC = (reported, C) => assert.ok(Math.abs(reported - Number(C)) < 1e-12, `meta.C ${reported} vs ${C}`);
// Rated comics whose stored Bayesian value would differ if C were first rounded to 4 decimals (as it once was).
const oldRoundingDiffers = (C) => `SELECT count(*) FROM (SELECT comicid, sum(score) AS s, count(*) AS n
  FROM social.comicrating GROUP BY comicid) x
  WHERE round((round(${C}, 4) * 100 + s) / (100 + n), 4) <> round((${C} * 100 + s) / (100 + n), 4)`;

async function trigger(d, what, body = {}) {
  const res = await api(d, 'POST', `/api/v1/admin/batch/comics/${what}`, { body });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return waitRun(d, res.body.data.jobkey, res.body.data.id, 120000);
}

let ref, ours, d;
before(async () => {
  ref = newDatabase();
  ours = newDatabase();
  for (const url of [ref, ours]) {
    fillLibrary(url);
    driftLibrary(url);
  }
  // hasnew_events off: this file measures the stats jobs alone; the catch-up would rewrite library.entry rows while
  // its multi-statement changes run (it yields on a lock cycle since commit 31ca293, but would still add waits).
  d = await startDaemon(ours, { jobs: { batch_rows: 100, hasnew_events: false }, ...NO_SCHEDULER });
});
after(async () => {
  const exit = await d?.stop();
  assert.deepEqual(exit, { code: 0, sig: null }, 'the daemon exits cleanly (no sanitizer report)');
});

test('ratings: dry run reports C, m and the comics that would change, and changes nothing', async () => {
  const before = ratings(ours);
  const stats = sql(ours, 'SELECT * FROM jobstate.comic_ratings ORDER BY comicid');
  const run = await trigger(d, 'ratings', { dryrun: true });
  assert.equal(run.status, 'done', run.lasterror);
  sameC(run.meta.C, globalC(ours));
  assert.equal(run.meta.m, 100);
  assert.equal(run.meta.comicsUpdated, 0);
  assert.ok(run.meta.wouldUpdate > 100, JSON.stringify(run.meta));
  assert.deepEqual(ratings(ours), before);
  assert.deepEqual(sql(ours, 'SELECT * FROM jobstate.comic_ratings ORDER BY comicid'), stats);
});

test('ratings: equal to the seed UPDATE for every rated comic; a second run writes nothing', async () => {
  const run = await trigger(d, 'ratings');
  assert.equal(run.status, 'done', run.lasterror);
  const C = globalC(ref);
  sameC(run.meta.C, C);
  seedRatings(ref, C, run.meta.m);
  assert.deepEqual(ratings(ours, RATED), ratings(ref, RATED));
  assert.ok(ratings(ours, RATED).length > 300);
  assert.equal(run.rowsaffected, run.meta.comicsUpdated);
  const v = versions(ours);
  const again = await trigger(d, 'ratings');
  assert.equal(again.status, 'done', again.lasterror);
  assert.deepEqual(versions(ours), v, 'the second run rewrote no row');
  assert.equal(again.meta.comicsUpdated, 0);
  assert.equal(again.rowsaffected, 0);
  assert.equal(again.meta.C, run.meta.C);
});

test('ratings: new, changed and removed ratings (C moves) — equal to the seed, only changed rows written', async () => {
  const change = `
    INSERT INTO social.comicrating (userid, comicid, score)
      SELECT userid, comicid, 10 FROM library.entry WHERE id % 7 = 0 ON CONFLICT DO NOTHING;
    UPDATE social.comicrating SET score = 1 + (score + 3) % 10 WHERE hashtext(userid::text || comicid) % 23 = 0;
    DELETE FROM social.comicrating WHERE hashtext(userid::text || comicid) % 29 = 0;`;
  sql(ours, change);
  sql(ref, change);
  const before = ratings(ours);
  const run = await trigger(d, 'ratings');
  assert.equal(run.status, 'done', run.lasterror);
  const C = globalC(ref);
  sameC(run.meta.C, C);
  seedRatings(ref, C, 100);
  assert.deepEqual(ratings(ours, RATED), ratings(ref, RATED));
  const after = ratings(ours);
  const changed = after.filter((row, i) => JSON.stringify(row) !== JSON.stringify(before[i])).length;
  assert.equal(run.meta.comicsUpdated, changed);
});

test('ratings: a change that leaves C where it was rewrites only the comics it touched', async () => {
  const [[u1, c1]] = sql(ours, 'SELECT userid, comicid FROM social.comicrating WHERE score < 10 ORDER BY comicid, userid LIMIT 1');
  const [[u2, c2]] = sql(ours, `SELECT userid, comicid FROM social.comicrating WHERE score > 1 AND comicid > ${c1}
                                ORDER BY comicid DESC, userid LIMIT 1`);
  const change = `UPDATE social.comicrating SET score = score + 1 WHERE userid = '${u1}' AND comicid = ${c1};
                  UPDATE social.comicrating SET score = score - 1 WHERE userid = '${u2}' AND comicid = ${c2};`;
  sql(ours, change);
  sql(ref, change);
  const before = ratings(ours);
  const run = await trigger(d, 'ratings');
  assert.equal(run.status, 'done', run.lasterror);
  const after = ratings(ours);
  const changed = after.filter((row, i) => JSON.stringify(row) !== JSON.stringify(before[i])).map((r) => r[0]);
  assert.ok(changed.every((id) => id === c1 || id === c2), JSON.stringify(changed));
  assert.equal(run.meta.comicsUpdated, changed.length);
  seedRatings(ref, globalC(ref), 100);
  assert.deepEqual(ratings(ours, RATED), ratings(ref, RATED));
});

test('ratings: C is exact — on data where C rounded to 4 decimals gives other values, equal to the seed; a rerun writes 0 rows', async () => {
  // New ratings (the same on both sides) until C sits far from its 4-decimal rounding: then many comics' rounded
  // value depends on C's 5th decimal and beyond.
  const push = `DO $$ DECLARE k int := 0; BEGIN
    WHILE (SELECT abs(avg(score) - round(avg(score), 4)) FROM social.comicrating) < 0.00003 AND k < 500 LOOP
      k := k + 1;
      INSERT INTO social.comicrating (userid, comicid, score)
      SELECT e.userid, e.comicid, 1 + k % 10 FROM library.entry e WHERE NOT EXISTS (SELECT 1 FROM social.comicrating r
        WHERE r.userid = e.userid AND r.comicid = e.comicid) ORDER BY e.id LIMIT 1;
    END LOOP; END $$;`;
  for (const url of [ours, ref]) sql(url, push);
  const C = globalC(ref);
  const differ = Number(sqlValue(ref, oldRoundingDiffers(C)));
  assert.ok(differ >= 10, `comics the old rounding of C would get wrong: ${differ}`);
  const before = ratings(ours);
  const v0 = versions(ours);
  const run = await trigger(d, 'ratings');
  assert.equal(run.status, 'done', run.lasterror);
  sameC(run.meta.C, C);
  seedRatings(ref, C, 100);
  assert.deepEqual(ratings(ours, RATED), ratings(ref, RATED));
  const changed = ratings(ours).filter((row, i) => JSON.stringify(row) !== JSON.stringify(before[i])).length;
  assert.equal(rewritten(v0[0], versions(ours)[0]), changed, 'only the rows whose stored value changed were written');
  assert.equal(run.meta.comicsUpdated, changed);
  const v1 = versions(ours);
  const again = await trigger(d, 'ratings');
  assert.deepEqual(versions(ours), v1, 'the rerun rewrote no row');
  assert.equal(again.status, 'done', again.lasterror);
  assert.deepEqual([again.meta.comicsUpdated, again.rowsaffected], [0, 0]);
  assert.equal(again.meta.C, run.meta.C);
});

test('ratings (deliberate difference): a comic that lost every rating is reset; the seed leaves it stale', async () => {
  const lost = sql(ours, `SELECT comicid FROM social.comicrating GROUP BY comicid ORDER BY comicid LIMIT 5`).map((r) => r[0]);
  for (const url of [ours, ref]) sql(url, `DELETE FROM social.comicrating WHERE comicid IN (${lost})`);
  const stale = ratings(ref, `id IN (${lost})`);
  assert.ok(stale.every((r) => r[1] !== null && r[3] !== '0'), JSON.stringify(stale));
  const run = await trigger(d, 'ratings');
  assert.equal(run.status, 'done', run.lasterror);
  assert.deepEqual(ratings(ours, `id IN (${lost})`), lost.map((id) => [id, null, null, '0']));
  seedRatings(ref, globalC(ref), 100);
  assert.deepEqual(ratings(ref, `id IN (${lost})`), stale);
  // Comics that never had a rating but carry garbage (drift) are reset too; never-rated clean ones are untouched.
  assert.equal(sqlValue(ours, `SELECT count(*) FROM core.comic WHERE id NOT IN (SELECT comicid FROM social.comicrating)
    AND (ratingavg IS NOT NULL OR ratingbayesian IS NOT NULL OR ratingcount <> 0)`), '0');
  assert.deepEqual(ratings(ours, RATED), ratings(ref, RATED));
});

test('counts: dry run changes nothing; the run equals the seed statements; a second run writes nothing', async () => {
  const before = counts(ours);
  const v0 = versions(ours);
  const dry = await trigger(d, 'counts', { dryrun: true });
  assert.equal(dry.status, 'done', dry.lasterror);
  assert.deepEqual(counts(ours), before);
  assert.deepEqual(versions(ours), v0, 'the dry run rewrote no row');
  const run = await trigger(d, 'counts');
  assert.equal(run.status, 'done', run.lasterror);
  sql(ref, SEED_COUNTS);
  const after = counts(ours);
  assert.deepEqual(after, counts(ref));
  const comics = after[0].filter((row, i) => JSON.stringify(row) !== JSON.stringify(before[0][i])).length;
  const groups = after[1].filter((row, i) => JSON.stringify(row) !== JSON.stringify(before[1][i])).length;
  assert.ok(comics > 100 && groups > 5);
  assert.deepEqual([run.meta.comicsUpdated, run.meta.groupsUpdated], [comics, groups]);
  const v1 = versions(ours);
  assert.deepEqual([rewritten(v0[0], v1[0]), rewritten(v0[1], v1[1])], [comics, groups],
    'exactly the rows whose counts changed were rewritten');
  assert.deepEqual([dry.meta.wouldUpdateComics, dry.meta.wouldUpdateGroups], [comics, groups]);
  assert.equal(run.rowsaffected, comics + groups);
  const v = versions(ours);
  const again = await trigger(d, 'counts');
  assert.deepEqual(versions(ours), v, 'the rerun rewrote no row');
  assert.deepEqual([again.meta.comicsUpdated, again.meta.groupsUpdated, again.rowsaffected], [0, 0, 0]);
});

test('counts: changes through the platform tables are picked up, equal to the seed statements', async () => {
  const change = `
    UPDATE core.chapter SET deletedat = now() WHERE deletedat IS NULL AND id % 17 = 0;
    UPDATE core.chapter SET deletedat = NULL WHERE deletedat IS NOT NULL AND id % 3 = 0;
    DELETE FROM core.chapter WHERE id % 41 = 0;
    UPDATE core.chapter SET comicid = comicid % 50 + 1 WHERE id % 43 = 0;
    INSERT INTO core.chapter (comicid, number) SELECT c, 500 FROM generate_series(1, 400, 3) c;
    DELETE FROM library.entry WHERE id % 19 = 0;
    UPDATE library.entry SET comicid = 499 WHERE id IN (SELECT min(id) FROM library.entry GROUP BY userid
      HAVING min(id) % 7 = 0 AND bool_and(comicid <> 499));
    UPDATE core.scanlationgroupfollow f SET groupid = 30 WHERE groupid = 1 AND NOT EXISTS
      (SELECT 1 FROM core.scanlationgroupfollow x WHERE x.userid = f.userid AND x.groupid = 30);
    DELETE FROM core.scanlationgroupfollow WHERE groupid = 2;
    DELETE FROM core.comic WHERE id = 3;`;
  sql(ours, change);
  sql(ref, change);
  const run = await trigger(d, 'counts');
  assert.equal(run.status, 'done', run.lasterror);
  sql(ref, SEED_COUNTS);
  assert.deepEqual(counts(ours), counts(ref));
  assert.ok(run.meta.comicsUpdated > 50 && run.meta.groupsUpdated >= 2, JSON.stringify(run.meta));
});

test('full: true rebuilds the stats after changes made with triggers disabled', async () => {
  const bulk = `SET session_replication_role = replica;
    INSERT INTO core.chapter (comicid, number) SELECT c, 600 FROM generate_series(4, 103) c;
    INSERT INTO social.comicrating (userid, comicid, score)
      SELECT userid, comicid, 2 FROM library.entry WHERE id % 5 = 1 ON CONFLICT DO NOTHING;`;
  sql(ours, bulk);
  sql(ref, bulk);
  sql(ref, SEED_COUNTS);
  const plain = await trigger(d, 'counts');
  assert.equal(plain.meta.comicsUpdated, 0, 'without triggers the stats cannot know (documented)');
  const full = await trigger(d, 'counts', { full: true });
  assert.equal(full.status, 'done', full.lasterror);
  assert.equal(full.meta.rebuilt, true);
  assert.deepEqual(counts(ours), counts(ref));
  const rf = await trigger(d, 'ratings', { full: true });
  assert.equal(rf.status, 'done', rf.lasterror);
  const C = globalC(ref);
  sameC(rf.meta.C, C);
  seedRatings(ref, C, 100);
  assert.deepEqual(ratings(ours, RATED), ratings(ref, RATED));
});

test('bad params are 400 naming the field', async () => {
  for (const [what, body, field] of [['ratings', { full: 'yes' }, 'params.full'], ['ratings', { m: 5 }, 'params.m'],
    ['counts', { full: 1 }, 'params.full'], ['counts', { comicid: 1 }, 'params.comicid']]) {
    const res = await api(d, 'POST', `/api/v1/admin/batch/comics/${what}`, { body });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.details?.field, field);
  }
});

test('ratings without the accelerator (direct): C moves, comics lose every rating — equal to the seed over many batches; a dry run and a rerun write nothing', async () => {
  const rm = cli(ours, ['accelerators', 'remove', 'ratings'], { COMICBATCH_DATABASE_URL: ours }); // as the owner
  assert.equal(rm.status, 0, rm.err);
  const lost = sql(ours, `SELECT comicid FROM social.comicrating GROUP BY comicid ORDER BY comicid DESC LIMIT 3`).map((r) => r[0]).reverse();
  const change = `
    INSERT INTO social.comicrating (userid, comicid, score)
      SELECT userid, comicid, 9 FROM library.entry WHERE id % 11 = 0 ON CONFLICT DO NOTHING;
    UPDATE social.comicrating SET score = 1 + (score + 5) % 10 WHERE hashtext(userid::text || comicid) % 17 = 0;
    DELETE FROM social.comicrating WHERE comicid IN (${lost});`;
  for (const url of [ours, ref]) sql(url, change);
  const before = ratings(ours);
  const dry = await trigger(d, 'ratings', { dryrun: true });
  assert.equal(dry.status, 'done', dry.lasterror);
  assert.equal(dry.meta.mode, 'direct');
  assert.deepEqual(ratings(ours), before, 'a dry run writes nothing');
  assert.ok(dry.meta.wouldUpdate > 300, `more differing comics than batch_rows (100): ${dry.meta.wouldUpdate}`);
  const run = await trigger(d, 'ratings');
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.mode, 'direct');
  const C = globalC(ref);
  sameC(run.meta.C, C);
  seedRatings(ref, C, 100);
  assert.deepEqual(ratings(ours, RATED), ratings(ref, RATED));
  assert.deepEqual(ratings(ours, `id IN (${lost})`), lost.map((id) => [id, null, null, '0']));
  const changed = ratings(ours).filter((row, i) => JSON.stringify(row) !== JSON.stringify(before[i])).length;
  assert.deepEqual([run.meta.comicsUpdated, run.rowsaffected, dry.meta.wouldUpdate], [changed, changed, changed]);
  assert.deepEqual([run.progressdone, run.progresstotal], [changed, changed]);
  const v = versions(ours);
  const again = await trigger(d, 'ratings');
  assert.deepEqual([again.status, again.meta.comicsUpdated], ['done', 0]);
  assert.deepEqual(versions(ours), v, 'the rerun rewrote no row');
});
