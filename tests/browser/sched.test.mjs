// sched.test.mjs — scheduling on the admin pages (issue 13) in real headless Chromium against the real daemon: the
// cron editor takes a time zone, shows the fire times on that zone's clock and in UTC with the DST note, and saves
// the zone (checked through the API); an overdue job and its missed slots are visible beside it, the ledger opens
// with the reasons; a pause started from the page shows the banner on every admin page, and Resume ends it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { ADMIN_TOKEN, api, launch, newDatabase, screenshots, signIn, sql, startDaemon, waitFor } from './lib.mjs';

let d;
let db;
let chrome;
const B = '/api/v1/admin/batch';
const entry = async (jobkey) => (await api(d, 'GET', `${B}/schedule`)).body.data.find((e) => e.jobkey === jobkey);

before(async () => {
  db = newDatabase();
  d = await startDaemon(db);
  chrome = await launch();
});

after(async () => {
  if (chrome) await chrome.close();
  if (d) await d.stop();
});

test('cron editor: a time zone shows the fire times on its clock and in UTC, with the DST note; saved with the zone', { timeout: 60000 }, async () => {
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
  await page.locator('id=edit-sessions.cleanup').click();
  const dialog = page.locator('dialog[open]');
  await dialog.locator('#cron-input').fill('30 2 * * *');
  await dialog.locator('#cron-timezone').fill('America/New_York');
  const zoneLine = dialog.locator('[data-testid="cron-zone"]', { hasText: 'America/New_York' });
  await zoneLine.waitFor();
  assert.match(await zoneLine.textContent(), /fixed-time job/);
  const items = dialog.locator('[data-testid="cron-next"] li');
  await waitFor(async () => (await items.count()) === 5, 10000, 'five fire times');
  for (const text of await items.allTextContents()) assert.match(text, /02:30 E[SD]T · \d{4}-\d\d-\d\d 0[67]:30 UTC/, text);
  // The next DST change that moves a 02:30 job is the spring-forward: 02:30 does not exist, it runs at 03:00.
  const note = dialog.locator('[data-testid="cron-dst-summary"]');
  assert.match(await note.textContent(), /Next DST change that moves this job: 02:30 does not exist on \d{4}-03-\d\d in America\/New_York \(clocks jump from 02:00 EST to 03:00 EDT\): runs once, at 03:00/);
  await screenshots(page, 'cron-editor', { fullPage: false });

  // A zone that does not exist is refused under the zone field, not the cron field.
  await dialog.locator('#cron-timezone').fill('Atlantis/Capital');
  await dialog.locator('#tz-error', { hasText: /unknown time zone/ }).waitFor();
  assert.equal(await dialog.locator('#cron-error').textContent(), '');
  await dialog.locator('#cron-timezone').fill('Asia/Tokyo');
  await dialog.locator('[data-testid="cron-dst-summary"]', { hasText: 'No DST change within a year' }).waitFor();
  await dialog.locator('[data-action="save"]').click();
  await dialog.waitFor({ state: 'detached' });
  const row = page.locator('#schedule-table tr[data-jobkey="sessions.cleanup"]');
  await row.locator('[data-testid="timezone"]', { hasText: 'Asia/Tokyo' }).waitFor();
  await row.locator('[data-testid="zone-time"]', { hasText: /02:30 GMT\+9 in Asia\/Tokyo/ }).waitFor();
  const e = await entry('sessions.cleanup');
  assert.equal(e.cron, 'CRON_TZ=Asia/Tokyo 30 2 * * *');
  assert.equal(new Date(e.nextrunat).getUTCHours(), 17, '02:30 JST is 17:30 UTC');
  assert.deepEqual(page.errors.filter((x) => !/status of 400/.test(x)), []);
  await page.close();
});

test('an overdue job and its missed slots are visible beside it; the ledger lists the reasons', { timeout: 60000 }, async () => {
  // A deadline that has passed (measured from when it was set, the job never succeeded) and a real overlap.
  assert.equal((await api(d, 'PATCH', `${B}/schedule/announcements.expire`, { body: { deadline: '1s' } })).status, 200);
  await api(d, 'PATCH', `${B}/schedule/system.canary`, { body: { isenabled: true, cron: '*/5 * * * *' } });
  const run = await api(d, 'POST', `${B}/jobs/system.canary/run`, { body: { params: { seconds: 30 } } });
  assert.equal(run.status, 202);
  await waitFor(async () => (await api(d, 'GET', `${B}/runs/${run.body.data.id}`)).body.data.status === 'running', 10000, 'the canary to run');
  sql(db, "UPDATE system.batchschedule SET nextrunat = date_trunc('second', now()) WHERE jobkey = 'system.canary'");
  sql(db, `INSERT INTO system.batchmissed (jobkey, reason, firstslot, lastslot, slots, detail) VALUES
    ('system.canary', 'paused', now() - interval '3 hours', now() - interval '2 hours', 13, 'scheduling paused until … by admin-token: upgrade')`);
  await waitFor(async () => (await entry('system.canary')).missed.latest?.reason === 'overlap', 10000, 'the overlap');
  await waitFor(async () => (await entry('announcements.expire')).deadline.overdue, 10000, 'the deadline to pass');

  const page = await chrome.newPage();
  await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
  const overdue = page.locator('#schedule-table tr[data-jobkey="announcements.expire"][data-overdue="true"] [data-testid="overdue"]');
  await overdue.waitFor();
  assert.match(await overdue.textContent(), /Overdue.*no success since.*must succeed within 1s/);
  const canary = page.locator('#schedule-table tr[data-jobkey="system.canary"]');
  const missed = canary.locator('[data-testid="missed"]');
  await missed.waitFor();
  assert.match(await missed.textContent(), /14 in 24 h/, '13 paused slots and the overlap');
  assert.match(await canary.locator('td[data-label="Missed"]').textContent(), /still running/);
  await screenshots(page, 'jobs-schedule');
  await missed.click();
  const dialog = page.locator('dialog[open]');
  const rows = dialog.locator('#missed-table tbody tr');
  await waitFor(async () => (await rows.count()) === 2, 10000, 'two ledger rows');
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((t) => t.dataset.reason)), ['overlap', 'paused']);
  assert.match(await rows.first().textContent(), new RegExp(`run ${run.body.data.id} \\(running since`));
  assert.match(await rows.nth(1).textContent(), /13 slots/);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await api(d, 'POST', `${B}/jobs/system.canary/cancel`, { body: {} });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('pause from the page: the banner shows on every admin page, Resume ends it', { timeout: 60000 }, async () => {
  const page = await chrome.newPage();
  await signIn(page, d, '/admin/jobs', ADMIN_TOKEN);
  await page.locator('#pause-all').click();
  const dialog = page.locator('dialog[open]');
  await dialog.locator('#pause-for').selectOption('2h');
  await dialog.locator('#pause-reason').fill('database upgrade');
  await dialog.locator('[data-action="pause"]').click();
  await dialog.waitFor({ state: 'detached' });
  const banner = page.locator('#pause-banner .banner-row[data-scope="*"]');
  await banner.waitFor();
  assert.match(await banner.textContent(), /Scheduling is paused for every job until .* by admin-token: database upgrade\./);
  const pauses = (await api(d, 'GET', `${B}/pause`)).body.data;
  assert.equal(pauses.length, 1);
  assert.equal(pauses[0].reason, 'database upgrade');
  assert.ok(Math.abs(Date.parse(pauses[0].until) - Date.now() - 7200e3) < 60e3);
  await page.locator('#schedule-table tr[data-jobkey="sessions.cleanup"] [data-testid="paused"]').waitFor();

  for (const path of ['/admin/maintenance', '/admin/providers']) {
    await page.goto(d.base + path);
    await page.locator('#pause-banner .banner-row[data-scope="*"]', { hasText: 'database upgrade' }).waitFor();
  }
  await screenshots(page, 'pause-banner', { fullPage: false });
  await page.locator('#resume-all').click();
  await page.locator('dialog[open] [data-action="confirm"]').click();
  await page.locator('#pause-banner').waitFor({ state: 'hidden' });
  assert.deepEqual((await api(d, 'GET', `${B}/pause`)).body.data, []);
  assert.equal(sql(db, "SELECT action FROM system.auditlog WHERE target = '*' ORDER BY id").map((r) => r[0]).join(','),
    'batch.schedule.pause,batch.schedule.resume');
  assert.deepEqual(page.errors, []);
  await page.close();
});
