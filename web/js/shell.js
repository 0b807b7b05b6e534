// shell.js — what every admin page shares: the top bar (navigation, live-connection indicator, sign out), the
// maintenance banner (scheduling paused: by whom, until when, why, with Resume) and the sign-in screen. A page calls
// boot({render}); render(main, session) runs once signed in, with `session.signal` aborted on sign-out or when the
// server answers 401 (the page's loops and streams stop, sign-in shows again). A page that changes a pause calls
// refreshPauseBanner().

import { api, auth, onUnauthorized, ApiError } from './api.js';
import { confirmDialog, fmt, h, setChildren, sleep, tickRelativeTimes, timeEl, toast } from './ui.js';

const PAGES = [
  { id: 'maintenance', href: '/admin/maintenance', label: 'Maintenance' },
  { id: 'jobs', href: '/admin/jobs', label: 'Jobs' },
  { id: 'providers', href: '/admin/providers', label: 'Providers' },
];

let liveEl = null;

/** Sets the top bar's live indicator: 'live' | 'connecting' | 'offline'. */
export function setLive(state) {
  if (!liveEl) return;
  const text = { live: 'Live', connecting: 'Reconnecting…', offline: 'Offline' }[state] || state;
  liveEl.dataset.state = state;
  liveEl.hidden = false;
  setChildren(liveEl, h('span', { class: 'live-dot', attrs: { 'aria-hidden': 'true' } }), text);
  liveEl.title = state === 'live' ? 'Receiving live updates from the server' : 'Live updates paused; retrying';
}

/* ---------- the pause banner ---------- */

const PAUSE_POLL_MS = 30000;
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
    if (err.status !== 401) toast({ tone: 'error', title: 'Could not resume', body: err.message });
  }
  refreshPauseBanner();
  document.dispatchEvent(new CustomEvent('comicbatch:pause-changed'));
}

function drawBanner(pauses) {
  if (!bannerEl) return;
  bannerEl.hidden = !pauses.length;
  setChildren(bannerEl, pauses.map((p) => h('div', { class: 'banner-row', dataset: { scope: p.scope } },
    h('span', { class: 'pill pill-paused' }, h('span', { class: 'pill-dot', attrs: { 'aria-hidden': 'true' } }), 'Paused'),
    h('span', { class: 'banner-text' }, pauseText(p)),
    h('button', { type: 'button', class: 'button button-small', id: `resume-${p.scope === '*' ? 'all' : p.scope}`, text: 'Resume', onclick: () => resume(p) }))));
}

/** Shows the pauses in force on every page, re-read every PAUSE_POLL_MS until `signal` aborts. */
function watchPauses(signal) {
  let again = null;
  bannerRefresh = () => { if (again) again(); };
  (async () => {
    while (!signal.aborted) {
      try {
        drawBanner((await api('GET', '/api/v1/admin/batch/pause', { signal })).data || []);
      } catch { /* the next round retries; a 401 already went to sign-in */ }
      await new Promise((resolve) => { again = resolve; sleep(PAUSE_POLL_MS, signal).then(resolve); });
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
      await api('GET', '/api/v1/admin/batch/schedule', { token });
      auth.set(token);
      onDone();
    } catch (err) {
      const msg = err instanceof ApiError && err.status === 401 ? 'That token was not accepted (unknown, expired or revoked).'
        : err instanceof ApiError && err.status === 403 ? 'That session belongs to a user who is not an admin.'
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
