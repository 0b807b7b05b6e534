// maintenance.test.mjs — /admin/maintenance in real headless Chromium against the real daemon: one card per action
// whose endpoint this server answers; each seed card → confirmation dialog → confirm → a toast whose numbers are
// the database's (generated series rows, cover-cache files on disk, sessions); Cancel in the dialog changes nothing;
// refresh-all answers "already in flight" while a refresh holds the provider's lock; a job card follows its run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';

import { holdLock, jsonLines, providerRecord, runJob } from '../integration/providers-util.mjs';
import { ADMIN_TOKEN, api, launch, newDatabase, screenshots, signIn, sql, sqlValue, startDaemon, toastFields, toastWith, waitFor } from './lib.mjs';

let d;
let db;
let chrome;
let page;
let routes;
let coverDir;
let ACTIONS; // the page's own list (web/js/actions.js), read in the browser

// 6,000 series rows: every 10th is manual (no provider; some of those carry a stray hash that must survive), every
// 7th provider-backed row already has no hash, the rest are provider-backed with a hash.
const SEED_SERIES = `
INSERT INTO core.comic (title, slug, provider, providerseriesid, metadata_hash, metadatarefreshedat, total_volumes)
SELECT 'Series ' || i, 'series-' || i,
       CASE WHEN i % 10 = 0 THEN NULL ELSE 'dump' END,
       CASE WHEN i % 10 = 0 THEN NULL ELSE 'dump-' || i END,
       CASE WHEN i % 10 = 0 AND i % 20 <> 0 THEN NULL
            WHEN i % 10 <> 0 AND i % 7 = 0 THEN NULL
            ELSE encode(sha256(('rec' || i)::bytea), 'hex') END,
       now() - (i % 30) * interval '1 day', i % 40
FROM generate_series(1, 6000) AS i`;

// 4,000 sessions for 40 users: expired, revoked, and live ones.
const SEED_SESSIONS = `
WITH u AS (
  INSERT INTO users.account (username, email)
  SELECT 'reader' || g, 'reader' || g || '@example.test' FROM generate_series(1, 40) AS g RETURNING id
), ul AS (SELECT id, row_number() OVER () AS n FROM u)
INSERT INTO users.session (userid, tokenhash, createdat, expiresat, revokedat)
SELECT ul.id, encode(sha256(('tok' || i)::bytea), 'hex'), now() - interval '40 days',
       now() + CASE WHEN i % 3 = 0 THEN interval '-2 days' ELSE interval '20 days' END,
       CASE WHEN i % 11 = 0 THEN now() - interval '1 hour' END
FROM generate_series(1, 4000) AS i JOIN ul ON ul.n = 1 + i % 40`;

// Chapters for every 4th series (1–7 each, some soft-deleted), and drift written straight into some counters.
const SEED_CHAPTERS = `
INSERT INTO core.chapter (comicid, number, deletedat)
SELECT c.id, n, CASE WHEN n = 3 AND c.id % 3 = 0 THEN now() END
FROM core.comic c CROSS JOIN LATERAL generate_series(1, 1 + c.id % 7) AS n
WHERE c.id % 4 = 0;
UPDATE core.comic SET chaptercount = chaptercount + 2 WHERE id % 9 = 0`;

/** Writes `n` cache files in the proxy's layout (dir/ab/cd/<64 hex>) of varied sizes; returns their total bytes. */
function fillCoverCache(dir, n) {
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const key = createHash('sha256').update(`https://covers.example/${i}.jpg`).digest('hex');
    const sub = join(dir, key.slice(0, 2), key.slice(2, 4));
    mkdirSync(sub, { recursive: true });
    const size = 200 + ((i * 7919) % 60000);
    writeFileSync(join(sub, key), randomBytes(size));
    bytes += size;
  }
  return bytes;
}

function countFiles(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n++;
  return n;
}

before(async () => {
  db = newDatabase();
  sql(db, SEED_SERIES);
  sql(db, SEED_SESSIONS);
  sql(db, SEED_CHAPTERS);
  coverDir = mkdtempSync(join(tmpdir(), 'cb-covers-'));
  // The provider's records for the provider-backed rows, imported by the real dump job: a refresh has work to do.
  const dump = join(coverDir, '..', `${coverDir.split('/').pop()}.jsonl`);
  const ids = Array.from({ length: 6000 }, (_, k) => k + 1).filter((i) => i % 10 !== 0);
  writeFileSync(dump, jsonLines(ids.map((i) => providerRecord('dump', i))));
  d = await startDaemon(db, {
    storage: { cover_cache_dir: coverDir },
    metadata: { provider: 'dump' },
    'provider.dump': { dump },
    'metadata.series_refresh': { batch_size: 250, min_age_days: 0 },
  });
  assert.equal((await runJob(d, 'metadata.dump_refresh', {})).status, 'done');
  routes = new Set((await api(d, 'GET', '/api/v1/admin/routes')).body.data.map((r) => `${r.method} ${r.path}`));
  chrome = await launch();
  page = await chrome.newPage();
  await signIn(page, d, '/admin/maintenance', ADMIN_TOKEN);
  await page.locator('.action-card').first().waitFor();
  ACTIONS = await page.evaluate(async () => (await import('/admin/js/actions.js')).ACTIONS.map(({ id, method, path }) => ({ id, method, path })));
});

after(async () => {
  if (chrome) await chrome.close();
  if (d) await d.stop();
});

const served = (id) => {
  const a = ACTIONS.find((x) => x.id === id);
  return routes.has(`${a.method} ${a.path}`);
};

async function confirmCard(id, { cancel = false } = {}) {
  await page.locator(`id=btn-${id}`).click();
  const dialog = page.locator('dialog[open]');
  await dialog.waitFor();
  if (cancel) await dialog.locator('[data-action="cancel"]').click();
  else await dialog.locator('[data-action="confirm"]').click();
  await dialog.waitFor({ state: 'detached' });
}

test('one card per action whose endpoint this server answers, each naming its endpoint', async () => {
  const want = ACTIONS.filter((a) => routes.has(`${a.method} ${a.path}`)).map((a) => a.id);
  const shown = await page.locator('.action-card').evaluateAll((cs) => cs.map((c) => c.dataset.action));
  assert.deepEqual(shown.sort(), want.sort());
  for (const id of ['invalidate-metadata-hashes', 'refresh-all-series-metadata', 'invalidate-cover-cache']) {
    if (served(id)) assert.ok(shown.includes(id), `the seed's card ${id} is shown (its endpoint exists)`);
  }
  assert.ok(served('invalidate-metadata-hashes') && served('refresh-all-series-metadata'));
  for (const id of shown) {
    const a = ACTIONS.find((x) => x.id === id);
    assert.equal(await page.locator(`[data-action="${id}"] .endpoint code`).first().textContent(), a.path);
  }
  const seedText = await page.locator('[data-action="invalidate-metadata-hashes"]').textContent();
  assert.match(seedText, /Use it when:/);
  assert.match(seedText, /Manual rows are skipped/);
  await screenshots(page, 'maintenance');
});

test('invalidate metadata hashes: Cancel changes nothing; confirm shows the real counts', async () => {
  const hashed = "SELECT count(*) FROM core.comic WHERE metadata_hash IS NOT NULL";
  const before = sqlValue(db, hashed);
  const audits = sqlValue(db, 'SELECT count(*) FROM system.auditlog');
  const expect = sql(db, `SELECT count(*) FILTER (WHERE provider IS NOT NULL AND metadata_hash IS NOT NULL),
                                 count(*) FILTER (WHERE provider IS NULL) FROM core.comic`)[0].map(Number);
  const manualHashes = sql(db, 'SELECT id, metadata_hash FROM core.comic WHERE provider IS NULL ORDER BY id');

  // The dialog opens on Cancel (safe default), keeps Tab inside, and Esc returns focus to the card's button.
  await page.locator('id=btn-invalidate-metadata-hashes').click();
  const dialog = page.locator('dialog[open]');
  assert.match(await dialog.textContent(), /next refresh rewrites each of them/);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.action), 'cancel');
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('Tab');
    assert.ok(await page.evaluate(() => !!document.activeElement.closest('dialog[open]')));
  }
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'btn-invalidate-metadata-hashes');

  await confirmCard('invalidate-metadata-hashes', { cancel: true });
  assert.equal(sqlValue(db, hashed), before, 'Cancel wrote nothing');
  assert.equal(sqlValue(db, 'SELECT count(*) FROM system.auditlog'), audits);
  assert.equal(await page.locator('.toast').count(), 0);

  await confirmCard('invalidate-metadata-hashes');
  const toast = await toastWith(page, { action: 'invalidate-metadata-hashes', tone: 'ok' });
  const f = await toastFields(toast);
  assert.equal(Number(f.invalidated.replace(/\D/g, '')), expect[0]);
  assert.equal(Number(f.skippedManual.replace(/\D/g, '')), expect[1]);
  assert.equal(sqlValue(db, 'SELECT count(*) FROM core.comic WHERE provider IS NOT NULL AND metadata_hash IS NOT NULL'), '0');
  assert.deepEqual(sql(db, 'SELECT id, metadata_hash FROM core.comic WHERE provider IS NULL ORDER BY id'), manualHashes, 'manual rows untouched');
  await toast.locator('button[aria-label="Dismiss notification"]').click();
});

test('refresh all: "triggered", then "already in flight" while that refresh holds the lock', async () => {
  // Hold core.comic so the refresh tick, once started, cannot finish until we let go.
  const lock = await holdLock(db, 'LOCK TABLE core.comic IN EXCLUSIVE MODE');
  try {
    await confirmCard('refresh-all-series-metadata');
    let toast = await toastWith(page, { action: 'refresh-all-series-metadata', tone: 'ok' });
    let f = await toastFields(toast);
    assert.equal(f.triggered, 'yes');
    assert.equal(f.provider, 'dump');
    assert.equal(f.batchSize.replace(/\D/g, ''), '250');
    const active = sql(db, "SELECT id FROM system.batchrun WHERE jobkey = 'metadata.series_refresh' AND status IN ('queued', 'running')");
    assert.equal(active.length, 1);
    assert.equal(f.run, active[0][0]);
    await toast.locator('button[aria-label="Dismiss notification"]').click();

    await confirmCard('refresh-all-series-metadata');
    toast = await toastWith(page, { action: 'refresh-all-series-metadata', tone: 'warn' });
    assert.match(await toast.textContent(), /already in flight/i);
    f = await toastFields(toast);
    assert.equal(f.triggered, 'no');
    assert.match(f.skipped, new RegExp(active[0][0]));
    assert.equal(sqlValue(db, "SELECT count(*) FROM system.batchrun WHERE jobkey = 'metadata.series_refresh'"), '1', 'no second batch');
    await toast.locator('button[aria-label="Dismiss notification"]').click();
  } finally {
    await lock.release();
  }
  await waitFor(() => sqlValue(db, "SELECT count(*) FROM system.batchrun WHERE jobkey = 'metadata.series_refresh' AND status IN ('queued', 'running')") === '0', 30000, 'the refresh to end');
});

test('invalidate cover cache: the toast reports the files and bytes that were on disk', async (t) => {
  if (!served('invalidate-cover-cache')) { t.skip('this build does not serve POST /api/v1/covers/invalidate-cache yet'); return; }
  const n = 37;
  const bytes = fillCoverCache(coverDir, n);
  writeFileSync(join(coverDir, 'not-a-cache-file.txt'), 'kept');
  assert.equal(countFiles(coverDir), n + 1);

  await confirmCard('invalidate-cover-cache', { cancel: true });
  assert.equal(countFiles(coverDir), n + 1, 'Cancel deleted nothing');

  await confirmCard('invalidate-cover-cache');
  const toast = await toastWith(page, { action: 'invalidate-cover-cache', tone: 'ok' });
  const f = await toastFields(toast);
  assert.equal(Number(f.filesDeleted.replace(/\D/g, '')), n);
  const exact = /\(([\d.,\s\u202f]+) bytes\)/.exec(f.bytesFreed);
  assert.ok(exact, `exact bytes shown: ${f.bytesFreed}`);
  assert.equal(Number(exact[1].replace(/\D/g, '')), bytes);
  assert.match(f.bytesFreed, /^[\d.]+ (KiB|MiB)/, 'human-readable first');
  assert.equal(countFiles(coverDir), 1);
  assert.ok(existsSync(join(coverDir, 'not-a-cache-file.txt')));
  await toast.locator('button[aria-label="Dismiss notification"]').click();
});

test('a job card (sessions cleanup) queues a run and its toast follows it to the deleted count', async (t) => {
  if (!served('sessions-cleanup')) { t.skip('no sessions cleanup endpoint'); return; }
  const stale = Number(sqlValue(db, 'SELECT count(*) FROM users.session WHERE expiresat < now() OR revokedat IS NOT NULL'));
  const live = sqlValue(db, 'SELECT count(*) FROM users.session WHERE expiresat >= now() AND revokedat IS NULL');
  assert.ok(stale > 1000);
  await confirmCard('sessions-cleanup');
  const toast = await toastWith(page, { action: 'sessions-cleanup', tone: 'ok' });
  const f = await toastFields(toast);
  assert.equal(f.status, 'done');
  assert.equal(Number(f.sessionsDeleted.replace(/\D/g, '')), stale);
  assert.equal(sqlValue(db, 'SELECT count(*) FROM users.session'), live);
  const href = await toast.locator('a', { hasText: 'Open the run' }).getAttribute('href');
  const runId = href.split('run=')[1];
  assert.equal(sqlValue(db, `SELECT meta->>'sessionsDeleted' FROM system.batchrun WHERE id = '${runId}'`), String(stale));
  assert.deepEqual(page.errors, []);
});

test('a job card (counts recalc) reports how many comics had drifted, as the database counts them', async (t) => {
  if (!served('comics-counts')) { t.skip('no comics counts endpoint'); return; }
  const drifted = Number(sqlValue(db, `SELECT count(*) FROM core.comic c WHERE
      c.chaptercount <> (SELECT count(*) FROM core.chapter ch WHERE ch.comicid = c.id AND ch.deletedat IS NULL)
   OR c.followcount <> (SELECT count(*) FROM library.entry e WHERE e.comicid = c.id)`));
  assert.ok(drifted > 1000, `drift seeded (${drifted})`);
  await confirmCard('comics-counts');
  const toast = await toastWith(page, { action: 'comics-counts', tone: 'ok' });
  const f = await toastFields(toast);
  assert.equal(f.status, 'done');
  assert.equal(Number(f.comicsUpdated.replace(/\D/g, '')), drifted);
  assert.equal(sqlValue(db, `SELECT count(*) FROM core.comic c WHERE
      c.chaptercount <> (SELECT count(*) FROM core.chapter ch WHERE ch.comicid = c.id AND ch.deletedat IS NULL)`), '0');
  assert.deepEqual(page.errors, []);
});
