// lib.mjs — the browser-test harness: Debian's Chromium (/usr/bin/chromium, never a downloaded browser) driven by
// playwright-core, a fresh profile per launch, pages signed in the way an admin does it (pasting the token), and
// screenshots into docs/screenshots/ (SCREENSHOT_DIR overrides). The daemon and database come from the
// integration harness (tests/integration/lib.mjs): the real thing on real Postgres/Redis.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export { ADMIN_TOKEN, api, newDatabase, sql, sqlValue, startDaemon, waitFor } from '../integration/lib.mjs';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const SHOTS = process.env.SCREENSHOT_DIR || new URL('../../docs/screenshots/', import.meta.url).pathname;

const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Launches Chromium with a fresh user-data-dir. Returns { browser, newPage({colorScheme, width, height}), close() }.
 * Each page records console errors and uncaught exceptions in page.errors.
 */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'cb-chromium-'));
  const context0 = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 900 }, locale: 'en-US',
  });
  return {
    context: context0,
    async newPage({ colorScheme = 'light', width = 1280, height = 900 } = {}) {
      const page = await context0.newPage();
      await page.setViewportSize({ width, height });
      await page.emulateMedia({ colorScheme });
      page.errors = [];
      page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => { if (m.type() === 'error') page.errors.push(`console: ${m.text()}`); });
      return page;
    },
    async close() {
      await context0.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens `path` on daemon `d` and signs in with `token` through the sign-in form. */
export async function signIn(page, d, path, token) {
  await page.goto(d.base + path);
  await page.locator('#token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#signout').waitFor({ state: 'visible' });
}

/** Saves a full-page screenshot as docs/screenshots/NAME.png, in light and dark (restores light). */
export async function screenshots(page, name, { dark = true, fullPage = true } = {}) {
  mkdirSync(SHOTS, { recursive: true });
  // Toasts are fixed and the top bar sticky: both would float mid-page in a full-page shot taken while scrolled.
  await page.evaluate(() => { document.querySelectorAll('.toast').forEach((t) => t.remove()); window.scrollTo(0, 0); });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(SHOTS, `${name}-light.png`), fullPage, animations: 'disabled' });
  if (dark) {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SHOTS, `${name}-dark.png`), fullPage, animations: 'disabled' });
    await page.emulateMedia({ colorScheme: 'light' });
  }
}

/** The text of the newest toast whose data-action is `id` (or the newest toast) once it has `tone`. */
export async function toastWith(page, { tone, action, title }) {
  let sel = '.toast';
  if (action) sel += `[data-action="${action}"]`;
  if (tone) sel += `[data-tone="${tone}"]`;
  const loc = page.locator(sel, title ? { hasText: title } : {}).first();
  await loc.waitFor({ state: 'visible', timeout: 20000 });
  return loc;
}

/** The field values of a toast as {key: text}, keyed by data-field. */
export async function toastFields(toast) {
  return toast.locator('dd[data-field]').evaluateAll((dds) => Object.fromEntries(dds.map((d) => [d.dataset.field, d.textContent])));
}
