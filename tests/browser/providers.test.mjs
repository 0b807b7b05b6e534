// providers.test.mjs — /admin/providers in real headless Chromium against the real daemon: a dump imported by the
// real metadata.dump_refresh job, series rows backed by it, the page's counts compared with SQL, and the in-flight
// pill appearing with live progress while a series refresh runs (held on a row lock so it is observable) and going away after,
// without a reload.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { holdLock, jsonLines, providerRecord, range, runJob } from '../integration/providers-util.mjs';
import { ADMIN_TOKEN, api, launch, newDatabase, screenshots, signIn, sql, sqlValue, startDaemon, toastWith, waitFor } from './lib.mjs';

let d;
let db;
let chrome;

const RECORDS = 3000;

before(async () => {
  db = newDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'cb-dump-'));
  const dump = join(dir, 'catalog.jsonl');
  writeFileSync(dump, jsonLines(range(1, RECORDS).map((g) => providerRecord('cat', g))));
  d = await startDaemon(db, {
    metadata: { provider: 'catalog' },
    'provider.catalog': { dump },
    'metadata.series_refresh': { batch_size: 1000, min_age_days: 0 },
  });
  const run = await runJob(d, 'metadata.dump_refresh', {});
  assert.equal(run.status, 'done', JSON.stringify(run));
  // Series rows: 2,400 backed by the catalogue (generated, never refreshed), 300 manual ones.
  sql(db, `INSERT INTO core.comic (title, slug, provider, providerseriesid)
           SELECT 'Series ' || g, 'cat-' || g, 'catalog', 'cat-' || g FROM generate_series(1, 2400) AS g`);
  sql(db, `INSERT INTO core.comic (title, slug) SELECT 'Manual ' || g, 'manual-' || g FROM generate_series(1, 300) AS g`);
  chrome = await launch();
});

after(async () => {
  if (chrome) await chrome.close();
  if (d) await d.stop();
});

const num = async (loc) => Number((await loc.textContent()).replace(/\D/g, ''));

test('providers page: counts and last dump refresh match the database', async () => {
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/providers', ADMIN_TOKEN);
  const card = page.locator('[data-provider="catalog"]');
  await card.waitFor();
  assert.match(await card.textContent(), /Active/);
  assert.equal(await num(card.locator('[data-field="recordCount"]')), Number(sqlValue(db, "SELECT count(*) FROM metadata.providerrecord WHERE provider = 'catalog'")));
  assert.equal(await num(card.locator('[data-field="seriesCount"]')), 2400);
  assert.equal(await num(card.locator('[data-field="manualSeriesCount"]')), 300);
  assert.doesNotMatch(await card.locator('[data-field="lastDumpRefresh"]').textContent(), /never/);
  assert.equal(await card.locator('[data-testid="inflight"]').getAttribute('data-state'), 'idle');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the in-flight pill appears while a series refresh runs and goes away after, without a reload', { timeout: 90000 }, async () => {
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/providers', ADMIN_TOKEN);
  const pill = page.locator('[data-provider="catalog"] [data-testid="inflight"]');
  await pill.and(page.locator('[data-state="idle"]')).waitFor();
  await page.evaluate(() => { window.__sameDocument = true; });

  // Hold one row of the tick's second chunk (rows go by id, 500 a statement): the first chunk commits and reports
  // its progress, the second waits on the lock, so the pill is caught mid-run.
  const lock = await holdLock(db, "SELECT 1 FROM core.comic WHERE providerseriesid = 'cat-900' FOR UPDATE");
  let runId;
  try {
    // Triggered from the page itself: the card's button → confirmation → toast.
    await page.locator('id=refresh-catalog').click();
    await page.locator('dialog[open] [data-action="confirm"]').click();
    await toastWith(page, { action: 'refresh-all-series-metadata', tone: 'ok' });
    await page.locator('[data-provider="catalog"] [data-testid="inflight"][data-state="running"]').waitFor({ timeout: 20000 });
    runId = await pill.getAttribute('data-run-id');
    assert.equal(sqlValue(db, `SELECT status FROM system.batchrun WHERE id = '${runId}'`), 'running');
    assert.match(await pill.textContent(), /Refreshing series/);
    // Live progress: the first chunk's 500 of 1,000 rows show up on the pill without a reload.
    await page.locator('[data-provider="catalog"] [data-testid="inflight"] progress[value="500"]').waitFor({ timeout: 20000 });
    assert.match(await pill.textContent(), /500 \/ 1,000 · 50%/);
    await screenshots(page, 'providers');
  } finally {
    await lock.release();
  }
  await pill.and(page.locator('[data-state="idle"]')).waitFor({ timeout: 30000 });
  const run = (await api(d, 'GET', `/api/v1/admin/batch/runs/${runId}`)).body.data;
  assert.equal(run.status, 'done');
  assert.equal(run.progressdone, run.progresstotal);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
  await waitFor(async () => sqlValue(db, "SELECT count(*) FROM core.comic WHERE provider = 'catalog' AND metadatarefreshedat IS NOT NULL") === '1000', 5000, 'one batch refreshed');
  assert.deepEqual(page.errors, []);
  await page.close();
});
