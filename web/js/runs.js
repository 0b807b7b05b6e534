// runs.js — the jobs page's run history: the seed's filters (job, status, triggered by, from/to) kept in the URL's
// query string (never the token), paging from meta.total/pages (first/last buttons; a page past the end, e.g. an old
// bookmarked ?page=, is clamped to the last page), rows updated in place from the live feed, and a
// run's detail (params, meta, error, timings) that stays live while the run is active.

import { api } from './api.js';
import { runFields } from './actions.js';
import { cancelRun } from './job_dialogs.js';
import { fmt, h, jsonBlock, keepFocus, modal, pill, progressBar, setChildren, timeEl } from './ui.js';

export const ACTIVE = new Set(['queued', 'running']);
const PAGE_SIZE = 25;
const RETRY_MS = 3000; // a failed read of the list is retried this often

/** The status to show: a running run whose cancel was requested is "stopping". */
export function shownStatus(run) {
  return run.status === 'running' && run.cancelrequestedat ? 'stopping' : run.status;
}

/** What a run is doing or did, in one cell: progress, the error, or its meta counters. */
export function runOutcome(run) {
  if (run.status === 'running') return progressBar(run.progressdone, run.progresstotal, { label: `Progress of ${run.jobkey}` });
  if (run.status === 'queued' && run.notbefore && Date.parse(run.notbefore) > Date.now()) {
    return h('span', { class: 'muted', dataset: { testid: 'retry-wait' } }, `retry ${run.attempt}: backing off until `, timeEl(run.notbefore));
  }
  if (run.status === 'queued') return h('span', { class: 'muted', text: 'waiting for a worker' });
  if (run.lasterror) return h('span', { class: 'cell-sub', attrs: { title: run.lasterror }, text: run.lasterror.length > 90 ? `${run.lasterror.slice(0, 90)}…` : run.lasterror });
  const f = runFields(run).filter(([, , k]) => k !== 'durationms' && k !== 'rowsaffected').slice(0, 3);
  return f.length ? h('span', { class: 'cell-sub', text: f.map(([k, v]) => `${k}: ${v}`).join(' · ') }) : h('span', { class: 'muted', text: '—' });
}

function isoFromLocal(v) {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function select(id, label, options, value) {
  return h('div', { class: 'field' }, h('label', { for: id, text: label }),
    h('select', { id, name: id }, options.map(([v, t]) => h('option', { value: v, text: t, selected: v === value }))));
}

/**
 * The runs section. `jobs` (keys) fill the job filter; onResult(err|null) hears how each read of the list went.
 * Returns {el, refresh(), onLive(runs), open(id)}.
 */
export function runsSection(jobs, { signal, onResult = () => {} }) {
  const q = new URLSearchParams(location.search);
  const state = {
    jobkey: q.get('job') || '', status: q.get('status') || '', triggeredby: q.get('triggeredby') || '',
    from: q.get('from') || '', to: q.get('to') || '', page: Math.max(1, Math.floor(Number(q.get('page'))) || 1),
  };
  const rows = new Map();
  const detailWatchers = new Map();
  let total = 0;
  let pages = 0;
  let loading = null;
  let retry = null;
  signal.addEventListener('abort', () => clearTimeout(retry), { once: true });

  const filters = h('form', { class: 'filters', id: 'run-filters', attrs: { 'aria-label': 'Filter runs' } },
    select('f-job', 'Job', [['', 'All jobs'], ...jobs.map((k) => [k, k])], state.jobkey),
    select('f-status', 'Status', [['', 'Any status'], ['queued', 'Queued'], ['running', 'Running'], ['done', 'Done'], ['failed', 'Failed'], ['cancelled', 'Cancelled']], state.status),
    select('f-trigger', 'Triggered by', [['', 'Anyone'], ['scheduler', 'Scheduler'], ['admin', 'Admin']], state.triggeredby),
    h('div', { class: 'field' }, h('label', { for: 'f-from', text: 'From' }), h('input', { id: 'f-from', type: 'datetime-local', value: state.from, attrs: { 'aria-describedby': 'f-hint' } })),
    h('div', { class: 'field' }, h('label', { for: 'f-to', text: 'To' }), h('input', { id: 'f-to', type: 'datetime-local', value: state.to })),
    h('div', { class: 'field filter-actions' }, h('button', { type: 'reset', class: 'button', text: 'Clear filters' })));
  const hint = h('p', { class: 'help', id: 'f-hint', text: 'Without “From”, the last 7 days are shown. Times are your local time.' });
  const tbody = h('tbody');
  const table = h('table', { class: 'stack', id: 'runs-table' },
    h('caption', { class: 'visually-hidden', text: 'Batch job runs, newest first' }),
    h('thead', {}, h('tr', {}, ['Status', 'Job', 'Triggered by', 'Created', 'Duration', 'Rows', 'Progress / result', ''].map((t) => h('th', { scope: 'col', text: t })))),
    tbody);
  const summary = h('p', { class: 'muted', id: 'runs-summary', attrs: { 'aria-live': 'polite' } });
  const firstBtn = h('button', { type: 'button', class: 'button button-small', id: 'runs-first', text: '« Newest', attrs: { 'aria-label': 'First page (newest runs)' } });
  const prev = h('button', { type: 'button', class: 'button button-small', id: 'runs-prev', text: '← Newer' });
  const next = h('button', { type: 'button', class: 'button button-small', id: 'runs-next', text: 'Older →' });
  const lastBtn = h('button', { type: 'button', class: 'button button-small', id: 'runs-last', text: 'Oldest »', attrs: { 'aria-label': 'Last page (oldest runs)' } });
  const el = h('section', { class: 'section', attrs: { 'aria-labelledby': 'runs-title' } },
    h('div', { class: 'section-head' }, h('h2', { id: 'runs-title', text: 'Runs' })),
    filters, hint, h('div', { class: 'table-wrap' }, table),
    h('div', { class: 'pager' }, summary, h('div', { class: 'pager-buttons' }, firstBtn, prev, next, lastBtn)));

  const syncUrl = () => {
    const u = new URLSearchParams(location.search);
    for (const [k, v] of [['job', state.jobkey], ['status', state.status], ['triggeredby', state.triggeredby], ['from', state.from], ['to', state.to], ['page', state.page > 1 ? state.page : '']]) {
      if (v) u.set(k, v); else u.delete(k);
    }
    const s = u.toString();
    history.replaceState(null, '', s ? `?${s}` : location.pathname);
  };

  const row = (run) => {
    const st = shownStatus(run);
    const open = h('button', { type: 'button', class: 'link-button cell-title', id: `open-${run.id}`, text: run.jobkey, attrs: { 'aria-label': `Details of ${run.jobkey} run ${run.id}` }, onclick: () => openDetail(run.id) });
    const actions = ACTIVE.has(run.status) && !run.cancelrequestedat
      ? h('button', { type: 'button', class: 'button button-small button-danger-outline', text: 'Cancel', id: `cancel-row-${run.id}`, onclick: () => cancelRun(run) })
      : null;
    return h('tr', { dataset: { runId: run.id, status: st } },
      h('td', { dataset: { label: 'Status' } }, pill(st), run.dryrun ? h('span', { class: 'cell-sub', text: ' dry run' }) : null,
        run.attempt > 1 ? h('div', { class: 'cell-sub', dataset: { testid: 'attempt' }, attrs: { title: `retry of run ${run.retryof}` }, text: `attempt ${run.attempt}` }) : null),
      h('td', { dataset: { label: 'Job' } }, open),
      h('td', { dataset: { label: 'Triggered' } }, run.triggeredby),
      h('td', { dataset: { label: 'Created' } }, timeEl(run.createdat)),
      h('td', { class: 'num', dataset: { label: 'Duration' } }, run.durationms !== null ? fmt.duration(run.durationms) : run.startedat ? fmt.duration(Date.now() - Date.parse(run.startedat)) : '—'),
      h('td', { class: 'num', dataset: { label: 'Rows' } }, fmt.num(run.rowsaffected)),
      h('td', { dataset: { label: 'Result' } }, runOutcome(run)),
      h('td', { dataset: { label: '' } }, h('div', { class: 'row-actions' }, actions)));
  };

  const draw = (items) => {
    rows.clear();
    const trs = items.map((r) => { const tr = row(r); rows.set(r.id, { run: r, tr }); return tr; });
    keepFocus(tbody, () => setChildren(tbody, trs.length ? trs : h('tr', {}, h('td', { attrs: { colspan: 8 }, class: 'muted empty', text: 'No runs match these filters.' }))));
    const first = total ? (state.page - 1) * PAGE_SIZE + 1 : 0;
    summary.textContent = total ? `Runs ${fmt.num(first)}–${fmt.num(first + items.length - 1)} of ${fmt.num(total)} · page ${state.page} of ${fmt.num(pages)}` : 'No runs.';
    prev.disabled = firstBtn.disabled = state.page <= 1;
    next.disabled = lastBtn.disabled = state.page >= pages;
  };

  const refresh = async () => {
    clearTimeout(retry);
    if (loading) loading.abort();
    loading = new AbortController();
    const ctl = loading;
    const query = {
      jobkey: state.jobkey, status: state.status, triggeredby: state.triggeredby,
      from: isoFromLocal(state.from), to: isoFromLocal(state.to), page: state.page, limit: PAGE_SIZE,
    };
    table.setAttribute('aria-busy', 'true');
    try {
      const r = await api('GET', '/api/v1/admin/batch/jobs', { query, signal: ctl.signal });
      onResult(null);
      total = r.meta.total;
      pages = r.meta.pages;
      if (state.page > Math.max(pages, 1)) { // past the end (an old link, or runs aged out): show the last page
        loading = null;
        goTo(Math.max(pages, 1));
        return;
      }
      draw(r.data);
    } catch (e) {
      if (e.name === 'AbortError') return;
      onResult(e);
      if (e.status === 401 || e.status === 403) return;
      if (!signal.aborted) retry = setTimeout(refresh, RETRY_MS);
      setChildren(tbody, h('tr', {}, h('td', { attrs: { colspan: 8 } }, h('p', { class: 'form-error', attrs: { role: 'alert' }, text: `Could not load runs: ${e.message}. Retrying every ${RETRY_MS / 1000} s…` }))));
    } finally {
      if (loading === ctl) { table.removeAttribute('aria-busy'); loading = null; }
    }
  };

  const readFilters = () => {
    state.jobkey = filters.querySelector('#f-job').value;
    state.status = filters.querySelector('#f-status').value;
    state.triggeredby = filters.querySelector('#f-trigger').value;
    state.from = filters.querySelector('#f-from').value;
    state.to = filters.querySelector('#f-to').value;
    state.page = 1;
    syncUrl();
    refresh();
  };
  filters.addEventListener('change', readFilters);
  filters.addEventListener('submit', (e) => e.preventDefault());
  filters.addEventListener('reset', () => setTimeout(readFilters, 0));
  function goTo(n) {
    state.page = n;
    syncUrl();
    refresh();
  }
  firstBtn.addEventListener('click', () => { if (state.page > 1) goTo(1); });
  prev.addEventListener('click', () => { if (state.page > 1) goTo(state.page - 1); });
  next.addEventListener('click', () => { if (state.page < pages) goTo(state.page + 1); });
  lastBtn.addEventListener('click', () => { if (state.page < pages) goTo(pages); });

  const matches = (run) => (!state.jobkey || run.jobkey === state.jobkey) && (!state.status || run.status === state.status)
    && (!state.triggeredby || run.triggeredby === state.triggeredby) && !state.to;

  /** Live feed: rows of runs in view are redrawn in place; a new matching run on page 1 reloads the page. */
  const onLive = (runs) => {
    let reload = false;
    for (const run of runs) {
      const cur = rows.get(run.id);
      if (cur) {
        if (JSON.stringify(cur.run) !== JSON.stringify(run)) {
          const tr = row(run);
          keepFocus(tbody, () => cur.tr.replaceWith(tr));
          rows.set(run.id, { run, tr });
          if (state.status && run.status !== state.status) reload = true;
        }
      } else if (state.page === 1 && matches(run)) {
        reload = true;
      }
      const w = detailWatchers.get(run.id);
      if (w) w(run);
    }
    if (reload && !loading) refresh();
  };

  function openDetail(id) {
    const body = h('div', { class: 'detail', attrs: { 'aria-live': 'polite' } }, h('p', { class: 'muted', text: 'Loading…' }));
    const drawDetail = (run) => keepFocus(body, () => setChildren(body, detailBody(run)));
    modal({
      title: 'Run detail', content: body, wide: true,
      actions: [{ label: 'Close', id: 'close' }],
      onClose: () => {
        detailWatchers.delete(id);
        const u = new URLSearchParams(location.search);
        if (u.has('run')) { u.delete('run'); history.replaceState(null, '', u.toString() ? `?${u}` : location.pathname); }
      },
    });
    detailWatchers.set(id, drawDetail);
    api('GET', `/api/v1/admin/batch/runs/${encodeURIComponent(id)}`, { signal })
      .then((r) => drawDetail(r.data))
      .catch((e) => { if (e.name !== 'AbortError') setChildren(body, h('p', { class: 'form-error', attrs: { role: 'alert' }, text: e.message })); });
  }

  return { el, refresh, onLive, open: openDetail };
}

function detailBody(run) {
  const st = shownStatus(run);
  const kv = (pairs) => h('dl', { class: 'kv' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]));
  const when = (iso) => (iso ? h('span', {}, fmt.dateTime(iso), ' ', h('span', { class: 'muted' }, '(', timeEl(iso), ')')) : h('span', { class: 'muted', text: '—' }));
  return [
    h('div', { class: 'provider-head' }, pill(st), h('code', { class: 'cell-title', text: run.jobkey }), run.dryrun ? h('span', { class: 'pill', text: 'dry run' }) : null,
      ACTIVE.has(run.status) && !run.cancelrequestedat ? h('button', { type: 'button', class: 'button button-small button-danger-outline', id: 'detail-cancel', text: 'Cancel run', onclick: () => cancelRun(run) }) : null),
    run.status === 'running' ? h('div', { class: 'field' }, progressBar(run.progressdone, run.progresstotal, { label: `Progress of ${run.jobkey}` })) : null,
    run.lasterror ? [h('div', { class: 'detail-section' }, h('h3', { text: 'Error' })), h('div', { class: 'error-box', attrs: { role: 'status' }, text: run.lasterror })] : null,
    h('div', { class: 'detail-section' }, h('h3', { text: 'Timings' })),
    kv([['Created', when(run.createdat)], run.scheduledfor ? ['Scheduled for', when(run.scheduledfor)] : null,
      ['Started', when(run.startedat)], ['Finished', when(run.finishedat)],
      ['Duration', run.durationms !== null ? fmt.duration(run.durationms) : run.startedat ? `${fmt.duration(Date.now() - Date.parse(run.startedat))} so far` : '—'],
      ['Timeout', run.timeoutms ? fmt.duration(run.timeoutms) : '—'],
      run.heartbeatat ? ['Last heartbeat', when(run.heartbeatat)] : null,
      run.cancelrequestedat ? ['Cancel requested', when(run.cancelrequestedat)] : null]),
    h('div', { class: 'detail-section' }, h('h3', { text: 'Run' })),
    kv([['Id', h('code', { text: run.id })], ['Triggered by', run.triggeredbyuserid ? `${run.triggeredby} (user ${run.triggeredbyuserid})` : run.triggeredby],
      ['Attempt', run.attempt > 1 ? h('span', {}, `${run.attempt}, retrying run `, h('code', { text: run.retryof })) : '1'],
      run.notbefore ? ['Not before', h('span', {}, fmt.dateTime(run.notbefore), ' (backoff)')] : null,
      ['Rows affected', fmt.num(run.rowsaffected)], ['Progress', run.progresstotal ? `${fmt.num(run.progressdone)} / ${fmt.num(run.progresstotal)}` : '—'],
      ['Instance', run.instance || '—'], ['Lock key', h('code', { text: run.lockkey || '—' })]]),
    h('div', { class: 'detail-section' }, h('h3', { text: 'Params' })), jsonBlock(run.params),
    h('div', { class: 'detail-section' }, h('h3', { text: 'Meta' })), jsonBlock(run.meta),
  ];
}
