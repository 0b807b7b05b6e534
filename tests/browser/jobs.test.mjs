// jobs.test.mjs — the sign-in screen and /admin/jobs in real headless Chromium against the real daemon:
// sign in/out and 401 handling, the schedule toggle and cron editor (checked through the API), a system.canary run
// whose progress bar moves without a reload and which is cancelled from the page, the runs table's filters and
// paging (checked against SQL on generated runs), the run detail, run-now errors and dry run, keyboard behaviour of
// the dialogs, the live feed surviving a server restart, screenshots.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { makeUserSession } from '../integration/lib.mjs';
import { ADMIN_TOKEN, api, launch, newDatabase, screenshots, signIn, sql, sqlValue, startDaemon, toastWith, waitFor } from './lib.mjs';

let d;
let db;
let chrome;

// 130 finished runs, one every 97 minutes back from now (~8.8 days: some fall outside the default 7-day window),
// spread over three jobs, two triggers and three final statuses.
const SEED_RUNS = `
INSERT INTO system.batchrun (id, jobkey, lockkey, status, triggeredby, timeoutms, startedat, finishedat, durationms,
                             rowsaffected, lasterror, meta, createdat)
SELECT gen_random_uuid(), j.k, j.k, s.st, CASE WHEN i % 4 = 0 THEN 'admin' ELSE 'scheduler' END, 1800000,
       t.t, t.t + (i % 50) * interval '1 second', (i % 50) * 1000, i * 7,
       CASE WHEN s.st = 'failed' THEN 'seeded failure ' || i END, jsonb_build_object('seeded', i), t.t
FROM generate_series(1, 130) AS i
CROSS JOIN LATERAL (SELECT now() - i * interval '97 minutes' AS t) t
CROSS JOIN LATERAL (SELECT (ARRAY['sessions.cleanup', 'announcements.expire', 'system.canary'])[1 + i % 3] AS k) j
CROSS JOIN LATERAL (SELECT (ARRAY['done', 'done', 'done', 'failed', 'cancelled'])[1 + i % 5] AS st) s`;

before(async () => {
  db = newDatabase();
  sql(db, SEED_RUNS);
  d = await startDaemon(db);
  chrome = await launch();
});

after(async () => {
  if (chrome) await chrome.close();
  if (d) await d.stop();
});

async function summaryTotal(page) {
  const text = await page.locator('#runs-summary').textContent();
  const m = /of ([\d,.\s\u202f]+) ·/.exec(text);
  return m ? Number(m[1].replace(/[^\d]/g, '')) : 0;
}

async function waitTotal(page, expected) {
  await waitFor(async () => (await summaryTotal(page)) === expected, 10000, `runs summary to say ${expected}`);
}

test('sign in: a wrong token is refused, the admin token works and stays out of the URL, sign out, 401 returns to sign-in', { timeout: 60000 }, async () => {
  const page = await chrome.newPage();
  await page.goto(`${d.base}/admin/jobs`);
  await page.locator('#token').fill('not-the-token-0123456789');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#signin-error', { hasText: 'not accepted' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await screenshots(page, 'signin', { fullPage: false });

  await page.locator('#token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#schedule-table tbody tr').first().waitFor();
  assert.ok(!page.url().includes(ADMIN_TOKEN), 'token must never be in the URL');
  assert.ok(await page.evaluate((t) => Object.values(sessionStorage).includes(t), ADMIN_TOKEN), 'token kept in sessionStorage');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#signin-error', { hasText: 'Signed out' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);

  // A token that stops working (here: replaced by a bogus one) sends the admin back to sign-in with a message.
  await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
  await page.evaluate(() => { for (const k of Object.keys(sessionStorage)) sessionStorage.setItem(k, 'revoked-token-0123456789'); });
  await page.reload();
  await page.locator('#signin-error', { hasText: 'Sign in again' }).waitFor().catch(async (e) => {
    throw new Error(`${e.message}\npage: ${await page.locator('body').innerText()}\nerrors: ${page.errors.join('\n')}\ndaemon: ${d.logs().slice(-3000)}`);
  });
  assert.equal(await page.locator('#signout').isVisible(), false);

  // An admin's session token works; a non-admin's is refused with the reason.
  const admin = makeUserSession(db, 'admin');
  await signIn(page, d, '/admin/jobs', admin.token);
  await page.getByRole('button', { name: 'Sign out' }).click();
  const reader = makeUserSession(db, 'user');
  await page.locator('#token').fill(reader.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#signin-error', { hasText: 'not an admin' }).waitFor();
  assert.deepEqual(page.errors.filter((e) => !/status of 40[13]/.test(e)), []);
  await page.close();
});

test('schedule: toggling a job off and on is saved (checked through the API)', { timeout: 60000 }, async () => {
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
  const sw = page.locator('id=toggle-sessions.cleanup');
  await sw.waitFor();
  assert.equal(await sw.getAttribute('aria-checked'), 'true');
  const entry = async () => (await api(d, 'GET', '/api/v1/admin/batch/schedule')).body.data.find((e) => e.jobkey === 'sessions.cleanup');

  await sw.click();
  await page.locator('id=toggle-sessions.cleanup').and(page.locator('[aria-checked="false"]')).waitFor();
  let e = await entry();
  assert.equal(e.isenabled, false);
  assert.equal(e.nextrunat, null);
  const row = page.locator('#schedule-table tr[data-jobkey="sessions.cleanup"]');
  assert.match(await row.textContent(), /disabled/);

  await page.locator('id=toggle-sessions.cleanup').click();
  await page.locator('id=toggle-sessions.cleanup').and(page.locator('[aria-checked="true"]')).waitFor();
  e = await entry();
  assert.equal(e.isenabled, true);
  assert.ok(e.nextrunat, 'enabled again: has a next run');
  assert.equal(sqlValue(db, "SELECT count(*) FROM system.auditlog WHERE target = 'sessions.cleanup'"), '2');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('cron editor: invalid shows the server error and saves nothing; valid shows the next 5 times and saves', { timeout: 60000 }, async () => {
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
  const edit = page.locator('id=edit-announcements.expire');
  await edit.click();
  const dialog = page.locator('dialog[open]');
  const input = dialog.locator('#cron-input');
  assert.equal(await input.inputValue(), '5 * * * *');

  // Keyboard: Esc closes and focus goes back to the Edit button.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'edit-announcements.expire');

  await edit.click();
  // Tab stays inside the dialog.
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    assert.ok(await page.evaluate(() => !!document.activeElement.closest('dialog[open]')), `focus left the dialog after ${i + 1} Tab`);
  }
  await input.fill('61 * * * *');
  await dialog.locator('#cron-error', { hasText: /cron/i }).waitFor();
  assert.equal(await input.getAttribute('aria-invalid'), 'true');
  await dialog.locator('[data-action="save"]').click();
  await dialog.locator('#cron-error', { hasText: /cron/i }).waitFor();
  assert.ok(await dialog.isVisible(), 'the dialog stays open on a validation error');
  let e = (await api(d, 'GET', '/api/v1/admin/batch/schedule')).body.data.find((x) => x.jobkey === 'announcements.expire');
  assert.equal(e.cron, '5 * * * *', 'nothing saved');

  await input.fill('*/10 * * * *');
  const next = dialog.locator('[data-testid="cron-next"] li');
  await waitFor(async () => (await next.count()) === 5 && (await dialog.locator('#cron-error').textContent()) === '', 10000, 'five fire times');
  const shown = await next.evaluateAll((lis) => lis.map((li) => li.getAttribute('title')));
  const preview = (await api(d, 'GET', `/api/v1/admin/batch/cron/preview?cron=${encodeURIComponent('*/10 * * * *')}&n=5`)).body.data;
  assert.deepEqual(shown.slice(1), preview.next.slice(1), 'the fire times the server computes'); // [0] may tick over
  assert.equal(await dialog.locator('[data-testid="cron-description"]').textContent(), preview.description);

  await dialog.locator('[data-action="save"]').click();
  await dialog.waitFor({ state: 'detached' });
  await page.locator('#schedule-table tr[data-jobkey="announcements.expire"] [data-testid="cron"]', { hasText: '*/10 * * * *' }).waitFor();
  e = (await api(d, 'GET', '/api/v1/admin/batch/schedule')).body.data.find((x) => x.jobkey === 'announcements.expire');
  assert.equal(e.cron, '*/10 * * * *');
  assert.deepEqual(page.errors.filter((x) => !/status of 400/.test(x)), []);
  await page.close();
});

test('run system.canary: progress moves without a reload, cancel from the page ends it `cancelled`', { timeout: 90000 }, async () => {
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.locator('id=run-system.canary').click();
  const dialog = page.locator('dialog[open]');
  await dialog.locator('#param-seconds').fill('12');
  assert.equal(await dialog.locator('#run-dryrun').count(), 0, 'the canary declares no dry run');
  await dialog.locator('[data-action="run"]').click();
  await dialog.waitFor({ state: 'detached' });

  const item = page.locator('.active-run[data-status="running"]');
  await item.waitFor({ timeout: 20000 });
  const runId = await item.getAttribute('data-run-id');
  const value = async () => Number(await page.locator(`.active-run[data-run-id="${runId}"] progress`).getAttribute('value') || 0);
  await waitFor(async () => (await value()) > 0, 15000, 'first progress');
  const v1 = await value();
  await waitFor(async () => (await value()) > v1, 15000, 'progress to move');
  const v2 = await value();
  assert.ok(v2 > v1);
  // The runs table row of the same run is live too.
  await page.locator(`#runs-table tr[data-run-id="${runId}"][data-status="running"] progress`).waitFor();
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload happened');
  await screenshots(page, 'jobs');

  await page.locator(`id=cancel-${runId}`).click();
  const confirm = page.locator('dialog[open]');
  await confirm.locator('[data-action="confirm"]').click();
  await page.locator(`#runs-table tr[data-run-id="${runId}"][data-status="cancelled"]`).waitFor({ timeout: 20000 });
  await page.locator(`.active-run[data-run-id="${runId}"]`, { hasText: 'Cancelled' }).waitFor();
  const run = (await api(d, 'GET', `/api/v1/admin/batch/runs/${runId}`)).body.data;
  assert.equal(run.status, 'cancelled');
  assert.ok(run.meta.sleptMs < 12000, 'stopped before the end');
  assert.equal(await page.evaluate(() => window.__sameDocument), true);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('run now: a bad param is named under its field, 409 is explained, dry run reaches the run', { timeout: 90000 }, async () => {
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
  await page.locator('id=run-system.canary').click();
  let dialog = page.locator('dialog[open]');
  await dialog.locator('#param-seconds').fill('-3');
  await dialog.locator('[data-action="run"]').click();
  await dialog.locator('#param-seconds-error', { hasText: 'seconds' }).waitFor();
  assert.equal(await dialog.locator('#param-seconds').getAttribute('aria-invalid'), 'true');
  assert.equal(sqlValue(db, "SELECT count(*) FROM system.batchrun WHERE jobkey = 'system.canary' AND status IN ('queued', 'running')"), '0', 'nothing queued');

  // While a canary runs, a second one is refused with 409, shown in the dialog, which stays open.
  const busy = await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { params: { seconds: 30 } } });
  assert.equal(busy.status, 202);
  await dialog.locator('#param-seconds').fill('1');
  await dialog.locator('[data-action="run"]').click();
  await dialog.locator('#run-error', { hasText: 'already queued or running' }).waitFor();
  assert.ok(await dialog.isVisible());
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/cancel', { body: { id: busy.body.data.id } });

  // A job that supports dry runs offers the checkbox, and the run is queued as a dry run.
  await page.locator('id=run-sessions.cleanup').click();
  dialog = page.locator('dialog[open]');
  await dialog.locator('#run-dryrun').check();
  await dialog.locator('[data-action="run"]').click();
  await dialog.waitFor({ state: 'detached' });
  await waitFor(() => sqlValue(db, "SELECT count(*) FROM system.batchrun WHERE jobkey = 'sessions.cleanup' AND dryrun AND triggeredby = 'admin'") === '1', 10000, 'the dry run');
  assert.deepEqual(page.errors.filter((e) => !/status of (400|409)/.test(e)), []);
  await page.close();
});

test('runs table: filters and paging match the database', { timeout: 90000 }, async () => {
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
  await page.locator('#runs-table tbody tr[data-run-id]').first().waitFor();
  const week = "createdat >= now() - interval '7 days'";
  await waitTotal(page, Number(sqlValue(db, `SELECT count(*) FROM system.batchrun WHERE ${week}`)));

  await page.locator('#f-status').selectOption('failed');
  const failed = Number(sqlValue(db, `SELECT count(*) FROM system.batchrun WHERE status = 'failed' AND ${week}`));
  await waitTotal(page, failed);
  const statuses = await page.locator('#runs-table tbody tr').evaluateAll((trs) => trs.map((t) => t.dataset.status));
  assert.ok(statuses.length > 0 && statuses.every((s) => s === 'failed'), `only failed rows: ${statuses}`);
  assert.match(page.url(), /status=failed/);

  await page.locator('#f-status').selectOption('');
  await page.locator('#f-job').selectOption('announcements.expire');
  await page.locator('#f-trigger').selectOption('admin');
  await waitTotal(page, Number(sqlValue(db, `SELECT count(*) FROM system.batchrun WHERE jobkey = 'announcements.expire' AND triggeredby = 'admin' AND ${week}`)));
  const jobs = await page.locator('#runs-table tbody tr .cell-title').allTextContents();
  assert.ok(jobs.length > 0 && jobs.every((j) => j === 'announcements.expire'));

  // From/To: an explicit window wider than the default week, in the browser's local time.
  await page.getByRole('button', { name: 'Clear filters' }).click();
  const local = await page.evaluate(() => {
    const t = new Date(Date.now() - 9 * 86400000);
    t.setSeconds(0, 0);
    const p = (n) => String(n).padStart(2, '0');
    return { value: `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())}T${p(t.getHours())}:${p(t.getMinutes())}`, iso: t.toISOString() };
  });
  await page.locator('#f-from').fill(local.value);
  const fromCount = Number(sqlValue(db, `SELECT count(*) FROM system.batchrun WHERE createdat >= '${local.iso}'`));
  await waitTotal(page, fromCount);
  assert.ok(fromCount > Number(sqlValue(db, `SELECT count(*) FROM system.batchrun WHERE ${week}`)), 'the window reaches past the default week');

  // Paging: 25 a page, newest first; page 2 continues where page 1 stopped.
  const pages = Math.ceil(fromCount / 25);
  assert.match(await page.locator('#runs-summary').textContent(), new RegExp(`page 1 of ${pages}`));
  const page1 = await page.locator('#runs-table tbody tr').evaluateAll((trs) => trs.map((t) => t.dataset.runId));
  assert.equal(page1.length, 25);
  await page.locator('#runs-next').click();
  await page.locator('#runs-summary', { hasText: `page 2 of ${pages}` }).waitFor();
  const page2 = await page.locator('#runs-table tbody tr').evaluateAll((trs) => trs.map((t) => t.dataset.runId));
  const expected = sql(db, `SELECT id FROM system.batchrun WHERE createdat >= '${local.iso}' ORDER BY createdat DESC, id DESC OFFSET 25 LIMIT 25`).map((r) => r[0]);
  assert.deepEqual(page2, expected);
  assert.ok(!page2.some((id) => page1.includes(id)));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('run detail shows params, meta, error and timings; Esc returns focus', { timeout: 60000 }, async () => {
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/jobs?status=failed', ADMIN_TOKEN);
  const link = page.locator('#runs-table tbody tr[data-status="failed"] .link-button').first();
  await link.waitFor();
  const runId = await page.locator('#runs-table tbody tr[data-status="failed"]').first().getAttribute('data-run-id');
  const [want] = sql(db, `SELECT lasterror, meta->>'seeded' FROM system.batchrun WHERE id = '${runId}'`);
  await link.click();
  const dialog = page.locator('dialog[open]');
  await dialog.locator('.error-box', { hasText: want[0] }).waitFor();
  assert.match(await dialog.locator('pre.json').last().textContent(), new RegExp(`"seeded": ${want[1]}`));
  assert.match(await dialog.textContent(), /Started/);
  assert.match(await dialog.textContent(), new RegExp(runId));
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label') || ''), await link.getAttribute('aria-label'));

  // A link straight to a run opens its detail.
  await page.goto(`${d.base}/admin/jobs?run=${runId}`);
  await page.locator('dialog[open] .error-box', { hasText: want[0] }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('phone width: the jobs page stays usable at 375 px', { timeout: 60000 }, async () => {
  const page = await chrome.newPage({ width: 375, height: 1400 });
  await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
  await page.locator('#runs-table tbody tr[data-run-id]').first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling (overflow ${overflow}px)`);
  assert.ok(await page.locator('id=run-system.canary').isVisible());
  await screenshots(page, 'jobs-phone', { dark: false, fullPage: false });
  await page.close();
});

test('the live feed reconnects after the server restarts, and keeps updating without a reload', { timeout: 90000 }, async () => {
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
  await page.locator('#live[data-state="live"]').waitFor();
  await page.evaluate(() => { window.__sameDocument = true; });
  const port = d.port;
  await d.stop();
  await page.locator('#live[data-state="connecting"]').waitFor();
  d = await startDaemon(db, {}, { COMICBATCH_LISTEN: `127.0.0.1:${port}` });
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 30000 });
  const r = await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { params: { seconds: 3 } } });
  assert.equal(r.status, 202);
  await page.locator(`.active-run[data-run-id="${r.body.data.id}"]`).waitFor({ timeout: 20000 });
  await page.locator(`.active-run[data-run-id="${r.body.data.id}"][data-status="done"]`).waitFor({ timeout: 20000 });
  assert.equal(await page.evaluate(() => window.__sameDocument), true);
  assert.deepEqual(page.errors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to load resource|network/i.test(e)), []);
  await page.close();
});
