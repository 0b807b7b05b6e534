// shell.js — what every admin page shares: the top bar (navigation, live-connection indicator, sign out), the
// maintenance banner (scheduling paused: by whom, until when, why, with Resume) and the sign-in screen. A page calls
// boot({render}); render(main, session) runs once signed in, with `session.signal` aborted on sign-out or when the
// server answers 401 or 403 (the page's loops and streams stop, sign-in shows again). A page that changes a pause
// calls refreshPauseBanner(); a page reports each read of its data with reportRefresh(source, err) so the live indicator
// says "Database unavailable" / "Stale" while they fail, even when the event stream itself stays open.

import { api, auth, onUnauthorized, ApiError, NOT_ADMIN } from './api.js';
import { confirmDialog, fmt, h, setChildren, sleep, tickRelativeTimes, timeEl, toast } from './ui.js';

const PAGES = [
  { id: 'maintenance', href: '/admin/maintenance', label: 'Maintenance' },
  { id: 'jobs', href: '/admin/jobs', label: 'Jobs' },
  { id: 'providers', href: '/admin/providers', label: 'Providers' },
];

let liveEl = null;
let streamState = null; // null on a page without the event stream (the indicator shows only a failing read)
const refreshErrors = new Map(); // what the page reads (e.g. 'schedule', 'runs') → its last failure
let refreshError = null; // the newest of them, or null when every read last succeeded

const LIVE_TEXT = {
  live: 'Live', waiting: 'Connected, waiting for data…', connecting: 'Reconnecting…', offline: 'Offline',
  unavailable: 'Database unavailable', stale: 'Stale',
};

function drawLive() {
  if (!liveEl) return;
  // The stream may be open (or even live) while every read of the page's data fails: the data shown is stale.
  const state = refreshError && streamState !== 'connecting' ? (refreshError.code === 'UNAVAILABLE' ? 'unavailable' : 'stale') : streamState;
  liveEl.hidden = !state;
  if (!state) return;
  liveEl.dataset.state = state;
  setChildren(liveEl, h('span', { class: 'live-dot', attrs: { 'aria-hidden': 'true' } }), LIVE_TEXT[state] || state);
  liveEl.title = state === 'live' ? 'Receiving live updates from the server'
    : refreshError && state !== 'connecting' ? `What this page shows may be out of date: ${refreshError.message}. Retrying.`
      : state === 'waiting' ? 'Connected; no update has arrived yet' : 'Live updates paused; retrying';
}

/** Sets the event stream's state for the top bar's indicator: 'live' | 'waiting' | 'connecting' | 'offline'. */
export function setLive(state) {
  streamState = state;
  drawLive();
}

/**
 * Reports how the page's last read of `source` went: an ApiError (not a 401/403, not an abort) marks the page
 * stale ("Database unavailable" for the 503 UNAVAILABLE envelope); null (a success) clears that source's mark.
 */
export function reportRefresh(source, err) {
  if (err && (err.name === 'AbortError' || err.status === 401 || err.status === 403)) return;
  if (err) refreshErrors.set(source, err); else refreshErrors.delete(source);
  refreshError = err || [...refreshErrors.values()].pop() || null;
  drawLive();
}

/* ---------- the pause banner ---------- */

const PAUSE_POLL_MS = 30000;
const PAUSE_RETRY_MS = 5000;
let bannerEl = null;
let bannerRefresh = () => {};

/** Re-reads the pauses now (after a pause or a resume on this page). */
export function refreshPauseBanner() { bannerRefresh(); }

function pauseText(p) {
  const who = p.createdby ? ` by ${p.createdby}` : '';
  return [p.jobkey ? ['Scheduling of ', h('code', { text: p.jobkey }), ' is paused'] : h('strong', { text: 'Scheduling is paused for every job' }),
    ' until ', h('span', { class: 'nowrap', text: fmt.dateTime(p.until) }), ' (', timeEl(p.until), ')', who,
    p.reason ? [': ', h('q', { text: p.reason })] : '', '.'];
}

async function resume(p) {
  const ok = await confirmDialog({
    title: p.jobkey ? `Resume scheduling of ${p.jobkey}?` : 'Resume scheduling of every job?',
    content: [h('p', {}, 'Cron slots are enqueued again from now on. Slots missed during the pause stay in the missed-slot ledger; a job whose misfire policy is ', h('code', { text: 'once' }), ' runs once to catch up.')],
    confirmLabel: 'Resume now',
  });
  if (!ok) return;
  try {
    await api('DELETE', '/api/v1/admin/batch/pause', { query: { jobkey: p.jobkey || undefined } });
    toast({ tone: 'ok', title: p.jobkey ? `${p.jobkey} resumed` : 'Scheduling resumed', timeout: 5000 });
  } catch (err) {
    if (err.status !== 401 && err.status !== 403) toast({ tone: 'error', title: 'Could not resume', body: err.message });
  }
  refreshPauseBanner();
  document.dispatchEvent(new CustomEvent('comicbatch:pause-changed'));
}

function pauseRow(p) {
  return h('div', { class: 'banner-row', dataset: { scope: p.scope } },
    h('span', { class: 'pill pill-paused' }, h('span', { class: 'pill-dot', attrs: { 'aria-hidden': 'true' } }), 'Paused'),
    h('span', { class: 'banner-text' }, pauseText(p)),
    h('button', { type: 'button', class: 'button button-small', id: `resume-${p.scope === '*' ? 'all' : p.scope}`, text: 'Resume', onclick: () => resume(p) }));
}

/** Draws the pauses; with `failure` ({err, at}) the pauses are the last ones known, and a row says so. */
function drawBanner(pauses, failure) {
  if (!bannerEl) return;
  bannerEl.hidden = !pauses.length && !failure;
  const note = failure && h('div', { class: 'banner-row', id: 'pause-unreadable', attrs: { role: 'alert' } },
    h('span', { class: 'pill pill-failed' }, h('span', { class: 'pill-dot', attrs: { 'aria-hidden': 'true' } }), 'Unknown'),
    h('span', { class: 'banner-text' }, failure.at
      ? ['The pauses cannot be re-read (', failure.err.message, '); shown as they were ', timeEl(failure.at), '.']
      : ['Whether scheduling is paused cannot be read: ', failure.err.message, '. Retrying.']));
  setChildren(bannerEl, pauses.map(pauseRow), note || null);
}

/**
 * Shows the pauses in force on every page, re-read every PAUSE_POLL_MS (every PAUSE_RETRY_MS while reads fail)
 * until `signal` aborts. A failed read keeps the last known pauses and says they could not be re-read.
 */
function watchPauses(signal) {
  let again = null;
  let known = [];
  let knownAt = null;
  bannerRefresh = () => { if (again) again(); };
  (async () => {
    while (!signal.aborted) {
      let failed = false;
      try {
        known = (await api('GET', '/api/v1/admin/batch/pause', { signal })).data || [];
        knownAt = new Date().toISOString();
        reportRefresh('pauses', null);
        drawBanner(known);
      } catch (err) { /* a 401/403 already went to sign-in */
        failed = true;
        reportRefresh('pauses', err);
        if (!signal.aborted && err.status !== 401 && err.status !== 403) drawBanner(known, { err, at: knownAt });
      }
      await new Promise((resolve) => { again = resolve; sleep(failed ? PAUSE_RETRY_MS : PAUSE_POLL_MS, signal).then(resolve); });
    }
  })();
  signal.addEventListener('abort', () => { drawBanner([]); bannerRefresh = () => {}; }, { once: true });
}

function topbar(page, onSignOut) {
  liveEl = h('span', { class: 'live', id: 'live', hidden: true, attrs: { role: 'status' } });
  const signOut = h('button', { class: 'button button-quiet', type: 'button', id: 'signout', text: 'Sign out', hidden: true, onclick: onSignOut });
  const bar = h('header', { class: 'topbar' },
    h('div', { class: 'topbar-inner' },
      h('a', { class: 'brand', href: '/admin/' },
        h('span', { class: 'brand-mark', attrs: { 'aria-hidden': 'true' } }, 'cb'),
        h('span', { class: 'brand-name' }, 'comicbatch', h('span', { class: 'brand-sub', text: ' admin' }))),
      h('nav', { class: 'nav', attrs: { 'aria-label': 'Admin pages' } },
        PAGES.map((p) => h('a', { href: p.href, text: p.label, attrs: { 'aria-current': p.id === page ? 'page' : null } }))),
      h('div', { class: 'topbar-end' }, liveEl, signOut)));
  return { bar, signOut };
}

function signInScreen(message, onDone) {
  const input = h('input', {
    id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: false, required: true,
    attrs: { 'aria-describedby': 'token-help signin-error', autocapitalize: 'off' },
  });
  const error = h('p', { class: 'form-error', id: 'signin-error', attrs: { role: 'alert' }, text: message || '' });
  const button = h('button', { class: 'button button-primary', type: 'submit', text: 'Sign in' });
  const form = h('form', { class: 'signin-form', method: 'post', action: '', attrs: { 'aria-labelledby': 'signin-title' } },
    h('h1', { id: 'signin-title', text: 'Sign in to comicbatch admin' }),
    h('p', { class: 'muted', text: 'Every action on these pages requires the admin bearer token.' }),
    h('label', { for: 'token', text: 'Admin token or admin session token' }),
    input,
    h('p', { class: 'help', id: 'token-help', text: 'Kept in this tab only (session storage) and sent as an Authorization header. It never appears in a URL.' }),
    error,
    h('div', { class: 'form-actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    if (!token) { error.textContent = 'Paste a token first.'; input.focus(); return; }
    button.disabled = true;
    error.textContent = '';
    try {
      // The route list checks the token (and the admin role) without the database: the admin token still signs
      // in during a database outage. A user's session token needs the database to be looked up.
      await api('GET', '/api/v1/admin/routes', { token });
      auth.set(token);
      onDone();
    } catch (err) {
      const msg = err instanceof ApiError && err.status === 401 ? 'That token was not accepted (unknown, expired or revoked).'
        : err instanceof ApiError && err.status === 403 ? NOT_ADMIN
          : err instanceof ApiError && err.code === 'UNAVAILABLE' ? `Could not check the token: ${err.message}. A session token needs the database; the admin token still works.`
          : `Could not check the token: ${err.message}`;
      error.textContent = msg;
      input.select();
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  return { el: h('section', { class: 'signin' }, form), input };
}

/**
 * Starts a page: draws the top bar, then either the sign-in screen or the page (render(main, session)).
 */
export function boot({ page, render }) {
  const main = h('main', { id: 'main', class: 'main', tabIndex: -1 });
  let session = null;
  const stop = () => { if (session) session.abort(); session = null; };
  const showSignIn = (message) => {
    stop();
    signOut.hidden = true;
    if (liveEl) liveEl.hidden = true;
    document.querySelectorAll('dialog').forEach((d) => d.remove());
    const s = signInScreen(message, start);
    setChildren(main, s.el);
    s.input.focus();
  };
  const start = () => {
    stop();
    session = new AbortController();
    streamState = null;
    refreshErrors.clear();
    refreshError = null;
    signOut.hidden = false;
    setChildren(main);
    tickRelativeTimes(session.signal);
    watchPauses(session.signal);
    render(main, { signal: session.signal });
  };
  const { bar, signOut } = topbar(page, () => { auth.clear(); showSignIn('Signed out.'); });
  onUnauthorized((msg) => { auth.clear(); showSignIn(`Signed out: ${msg} Sign in again.`); });
  bannerEl = h('section', { class: 'banner', id: 'pause-banner', hidden: true, attrs: { role: 'status', 'aria-label': 'Scheduling paused' } });
  document.body.prepend(h('a', { class: 'skip-link', href: '#main', text: 'Skip to content' }), bar, bannerEl, main);
  if (auth.token) start();
  else showSignIn('');
}

/** A page heading with an optional lead paragraph and actions on the right. */
export function pageHead(title, lead, ...actions) {
  return h('div', { class: 'page-head' },
    h('div', {}, h('h1', { text: title }), lead ? h('p', { class: 'lead' }, lead) : null),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null);
}
