// outage.test.mjs — the admin pages when things go wrong, in real headless Chromium against the real daemon: the
// jobs page opened while the schedule answers 503 recovers by itself; the pause banner keeps the last known pause
// when it cannot be re-read; the providers page drops its error once the API answers again; the live indicator says
// "Database unavailable" while refreshes fail under an open event stream; a 403 mid-session returns to sign-in; the
// admin token signs in while the daemon's database refuses connections (a real outage of this test's database
// only: ALLOW_CONNECTIONS false + its backends terminated); a page number past the end shows the last page.
// Where the outage is simulated, page.route() answers with the daemon's own 503 envelope.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { databaseUrl } from '../integration/lib.mjs';
import { ADMIN_TOKEN, api, launch, newDatabase, signIn, sql, sqlValue, startDaemon, waitFor } from './lib.mjs';

let d;
let db;
let chrome;

const B = '/api/v1/admin/batch';
const UNAVAILABLE = { error: 'The database is unavailable; try again shortly', code: 'UNAVAILABLE' };
const answer503 = (route) => route.fulfill({ status: 503, contentType: 'application/json', headers: { 'Retry-After': '1' }, body: JSON.stringify(UNAVAILABLE) });
// The browser logs every non-2xx fetch as a console error; those are expected here.
const unexpected = (page) => page.errors.filter((e) => !/status of (40[13]|503)/.test(e));

before(async () => {
  db = newDatabase();
  // 60 finished runs in the last day: 3 pages of 25.
  sql(db, `INSERT INTO system.batchrun (id, jobkey, lockkey, status, triggeredby, timeoutms, startedat, finishedat, durationms, createdat)
           SELECT gen_random_uuid(), 'sessions.cleanup', 'sessions.cleanup', 'done', 'scheduler', 60000,
                  now() - i * interval '10 minutes', now() - i * interval '10 minutes', 0, now() - i * interval '10 minutes'
           FROM generate_series(1, 60) AS i`);
  d = await startDaemon(db);
  chrome = await launch();
});

after(async () => {
  if (chrome) await chrome.close();
  if (d) await d.stop();
});

test('jobs page opened during an outage shows the error, says "Database unavailable", and renders once the schedule answers', { timeout: 60000 }, async () => {
  const page = await chrome.newPage();
  await page.route(`**${B}/schedule`, answer503);
  await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
  await page.locator('#schedule-error', { hasText: 'The database is unavailable' }).waitFor();
  assert.equal(await page.locator('#runs-table').count(), 0, 'no runs section before the schedule is known');
  await page.locator('#live[data-state="unavailable"]', { hasText: 'Database unavailable' }).waitFor({ timeout: 10000 });

  await page.unroute(`**${B}/schedule`);
  await page.locator('#schedule-table tbody tr[data-jobkey="sessions.cleanup"]').waitFor({ timeout: 15000 });
  await page.locator('#runs-table tbody tr[data-run-id]').first().waitFor();
  assert.equal(await page.locator('#schedule-error').isVisible(), false);
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 15000 });
  assert.deepEqual(unexpected(page), []);
  await page.close();
});

test('refreshes failing under an open event stream turn the indicator from Live to "Database unavailable" and back', { timeout: 60000 }, async () => {
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 15000 });
  // The run list and the schedule fail from now on; the event stream stays open. A run makes the page refresh.
  await page.route(`**${B}/schedule`, answer503);
  await page.route(`**${B}/jobs?*`, answer503);
  await api(d, 'POST', `${B}/jobs/sessions.cleanup/run`, { body: {} });
  await page.locator('#live[data-state="unavailable"]').waitFor({ timeout: 20000 });
  assert.match(await page.locator('#live').getAttribute('title'), /out of date: The database is unavailable/);

  await page.unroute(`**${B}/schedule`);
  await page.unroute(`**${B}/jobs?*`);
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 20000 });
  assert.deepEqual(unexpected(page), []);
  await page.close();
});

test('the pause banner keeps the last known pause when it cannot be re-read, and says so', { timeout: 60000 }, async () => {
  const paused = await api(d, 'POST', `${B}/pause`, { body: { jobkey: null, for: '2h', reason: 'outage drill' } });
  assert.equal(paused.status, 200, JSON.stringify(paused.body));
  const page = await chrome.newPage();
  try {
    await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
    const row = page.locator('#pause-banner .banner-row[data-scope="*"]', { hasText: 'outage drill' });
    await row.waitFor();
    // Resume fails (503) and the banner is re-read (503): the pause must stay visible, with a note.
    await page.route(`**${B}/pause*`, answer503);
    await page.locator('#resume-all').click();
    await page.locator('dialog[open] [data-action="confirm"]').click();
    await page.locator('#pause-unreadable', { hasText: 'cannot be re-read' }).waitFor();
    assert.equal(await row.isVisible(), true, 'the last known pause stays');
    await page.unroute(`**${B}/pause*`);
    await page.locator('#pause-unreadable').waitFor({ state: 'detached', timeout: 15000 });
    assert.equal(await row.isVisible(), true);
    assert.deepEqual(unexpected(page), []);
  } finally {
    await page.close();
    await api(d, 'DELETE', `${B}/pause`);
  }
});

test('a page without the event stream shows no indicator until a read fails, then "Database unavailable"', { timeout: 60000 }, async () => {
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/maintenance', ADMIN_TOKEN);
  await page.locator('.action-card').first().waitFor();
  await page.waitForTimeout(500);
  assert.equal(await page.locator('#live').isVisible(), false, 'nothing to say while reads succeed');
  await page.route(`**${B}/pause*`, answer503);
  await page.reload();
  await page.locator('#live[data-state="unavailable"]').waitFor();
  await page.locator('#pause-unreadable', { hasText: 'cannot be read' }).waitFor();
  await page.unroute(`**${B}/pause*`);
  await page.locator('#pause-unreadable').waitFor({ state: 'detached', timeout: 15000 });
  await page.locator('#live').waitFor({ state: 'hidden' });
  assert.deepEqual(unexpected(page), []);
  await page.close();
});

test('providers page: an error is replaced by the same list once the API answers again', { timeout: 60000 }, async () => {
  const page = await chrome.newPage();
  await page.clock.install();
  await signIn(page, d, '/admin/providers', ADMIN_TOKEN);
  const list = page.locator('#providers');
  await list.and(page.locator(':not([aria-busy])')).waitFor();
  const before = await list.innerText();
  assert.doesNotMatch(before, /Could not load/);
  await page.route('**/api/v1/providers', answer503);
  await page.clock.runFor(31000); // the next 30 s read
  await page.locator('#providers-error', { hasText: 'The database is unavailable' }).waitFor();
  await page.unroute('**/api/v1/providers');
  await page.clock.runFor(5000); // the retry
  await page.locator('#providers-error').waitFor({ state: 'detached' });
  assert.equal(await list.innerText(), before);
  assert.deepEqual(unexpected(page), []);
  await page.close();
});

test('a 403 mid-session (the admin role was lost) returns to sign-in with the reason', { timeout: 60000 }, async () => {
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
  await page.locator('#schedule-table tbody tr').first().waitFor();
  await page.route('**/api/v1/admin/**', (route) => route.fulfill({ status: 403, contentType: 'application/json', body: JSON.stringify({ error: 'This action requires the admin role', code: 'FORBIDDEN' }) }));
  await page.locator('#toggle-sessions\\.cleanup').click();
  await page.locator('#signin-error', { hasText: 'not an admin' }).waitFor();
  assert.equal(await page.locator('#signout').isVisible(), false);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.equal(await page.locator('.toast[data-tone="error"]').count(), 0, 'no error toast once signed out');
  assert.deepEqual(unexpected(page), []);
  await page.close();
});

test('a page number past the end shows the last page; first and last buttons jump', { timeout: 60000 }, async () => {
  const total = Number(sqlValue(db, "SELECT count(*) FROM system.batchrun WHERE createdat >= now() - interval '7 days'"));
  const pages = Math.ceil(total / 25);
  assert.ok(pages >= 3, `${total} runs`);
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/jobs?page=999999', ADMIN_TOKEN);
  const summary = page.locator('#runs-summary');
  await summary.and(page.locator(`:text("page ${pages} of ${pages}")`)).waitFor();
  const first = (pages - 1) * 25 + 1;
  assert.match(await summary.textContent(), new RegExp(`^Runs ${first}–${total} of ${total}`));
  assert.match(page.url(), new RegExp(`page=${pages}(&|$)`));
  assert.equal(await page.locator('#runs-table tbody tr[data-run-id]').count(), total - first + 1);
  assert.equal(await page.locator('#runs-last').isDisabled(), true);
  await page.locator('#runs-first').click();
  await page.locator('#runs-summary', { hasText: `page 1 of ${pages}` }).waitFor();
  assert.equal(await page.locator('#runs-first').isDisabled(), true);
  await page.locator('#runs-last').click();
  await page.locator('#runs-summary', { hasText: `page ${pages} of ${pages}` }).waitFor();
  assert.deepEqual(unexpected(page), []);
  await page.close();
});

test('the admin token signs in while the database refuses connections', { timeout: 90000 }, async () => {
  const name = /\/([^/?]+)\?/.exec(db)[1];
  const admin = databaseUrl('postgres');
  const page = await chrome.newPage();
  sql(admin, `ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
  try {
    sql(admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`);
    await waitFor(async () => (await api(d, 'GET', `${B}/schedule`)).status === 503, 20000, 'the daemon to answer 503');
    await page.goto(`${d.base}/admin/jobs`);
    // Any other token could be a user's session, which only the database can tell: the screen says so.
    await page.locator('#token').fill('not-the-token-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#signin-error', { hasText: 'the admin token still works' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await page.locator('#token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#signout').waitFor({ state: 'visible' });
    await page.locator('#schedule-error', { hasText: 'unavailable' }).waitFor();
  } finally {
    sql(admin, `ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
  }
  await page.locator('#schedule-table tbody tr').first().waitFor({ timeout: 30000 });
  await page.locator('#schedule-error').waitFor({ state: 'hidden' });
  assert.deepEqual(unexpected(page), []);
  await page.close();
});
