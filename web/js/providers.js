// providers.js — /admin/providers: each metadata provider (active or not), its dump source, record and series
// counts, last dump refresh, and the in-flight pill with live progress of the series refresh (seed: "the in-flight
// pill on the Providers page shows live progress"). Re-read every second while a refresh is in flight, and at
// once when the live feed reports a metadata run changing. A failed read shows the error, marks the page stale in
// the top bar, and is retried every few seconds; the next good answer is drawn even when it equals the last one.

import { api, endpointExists } from './api.js';
import { ACTIONS } from './actions.js';
import { runAction } from './action_run.js';
import { subscribeRuns } from './live.js';
import { boot, pageHead, reportRefresh } from './shell.js';
import { fmt, h, keepFocus, pill, progressBar, setChildren, sleep, timeEl } from './ui.js';

const RETRY_MS = 3000;
const REFRESH_ALL = ACTIONS.find((a) => a.id === 'refresh-all-series-metadata');

function stat(label, value, key, small) {
  return h('div', { class: 'stat' }, h('dt', { text: label }), h('dd', { class: small ? 'small' : '', dataset: { field: key } }, value));
}

function dumpPill(f) {
  if (!f) return null;
  return h('div', { class: 'inflight', dataset: { testid: 'dump-inflight', state: f.status, runId: f.id }, attrs: { role: 'status', 'aria-label': `Dump import ${f.status}` } },
    h('span', { class: 'inflight-pill' }, pill(f.status, f.status === 'queued' ? 'Dump import queued' : 'Importing dump')),
    f.status === 'running' ? progressBar(f.progressdone, f.progresstotal, { label: 'Dump import progress' }) : h('span', { class: 'muted', text: 'waiting for a worker' }),
    h('a', { href: `/admin/jobs?run=${f.id}`, id: `dump-run-${f.id}`, text: 'Run detail' }));
}

function lastRefresh(p) {
  const l = p.lastDumpRefresh;
  const at = l && typeof l === 'object' ? l.at : l;
  if (!at) return 'never';
  return h('span', {}, timeEl(at), h('br'), h('span', { class: 'muted', text: fmt.dateTime(at) }),
    l && l.runId ? [h('br'), h('a', { href: `/admin/jobs?run=${l.runId}`, text: 'import run' })] : null);
}

function inflightPill(p, canRefresh, onRefresh) {
  const f = p.inflight;
  if (!f) {
    return h('div', { class: 'inflight', dataset: { testid: 'inflight', state: 'idle' } },
      pill('idle', 'Idle'), h('span', { class: 'muted', text: 'No series refresh in flight.' }),
      p.active && canRefresh ? h('button', { type: 'button', class: 'button button-small', id: `refresh-${p.name}`, text: 'Refresh all series metadata…', onclick: onRefresh }) : null);
  }
  const st = f.status === 'running' ? 'running' : f.status;
  return h('div', { class: 'inflight', dataset: { testid: 'inflight', state: st, runId: f.id }, attrs: { role: 'status', 'aria-label': `Series refresh ${st}` } },
    h('span', { class: 'inflight-pill' }, pill(st, st === 'queued' ? 'Refresh queued' : 'Refreshing series')),
    f.status === 'running' ? progressBar(f.progressdone, f.progresstotal, { label: 'Series refresh progress' }) : h('span', { class: 'muted', text: 'waiting for a worker' }),
    h('span', { class: 'muted' }, f.startedat ? ['started ', timeEl(f.startedat)] : null),
    h('a', { href: `/admin/jobs?run=${f.id}`, id: `run-${f.id}`, text: 'Run detail' }));
}

function providerCard(p, canRefresh, onRefresh) {
  return h('article', { class: 'card provider-card', dataset: { provider: p.name }, attrs: { 'aria-labelledby': `prov-${p.name}` } },
    h('div', { class: 'provider-head' },
      h('h2', { id: `prov-${p.name}`, text: p.name }),
      p.active ? pill('ok', 'Active') : pill('idle', 'Inactive'),
      p.dump ? h('span', { class: 'muted' }, 'dump ', h('code', { text: p.dump })) : null),
    h('dl', { class: 'stats' },
      stat('Provider records', fmt.num(p.recordCount), 'recordCount'),
      stat('Provider-backed series', fmt.num(p.seriesCount), 'seriesCount'),
      stat('Manual series', fmt.num(p.manualSeriesCount), 'manualSeriesCount'),
      stat('Last dump refresh', lastRefresh(p), 'lastDumpRefresh', true)),
    inflightPill(p, canRefresh, onRefresh),
    dumpPill(p.dumpInflight));
}

async function render(main, { signal }) {
  const list = h('div', { class: 'active-list', id: 'providers', attrs: { 'aria-busy': 'true' } });
  setChildren(main, pageHead('Providers', 'The metadata providers that feed the series catalog. Series rows are refreshed from the active one; manual rows are never touched.'), list);
  let has;
  let canRefresh;
  try {
    [has, canRefresh] = await Promise.all([endpointExists('GET', '/api/v1/providers'), endpointExists(REFRESH_ALL.method, REFRESH_ALL.path)]);
  } catch (e) {
    if (e.status !== 401 && e.status !== 403) setChildren(list, h('p', { class: 'form-error', attrs: { role: 'alert' }, text: e.message }));
    return;
  }
  if (!has) {
    list.removeAttribute('aria-busy');
    setChildren(list, h('div', { class: 'card active-empty', text: 'This build does not serve GET /api/v1/providers yet.' }));
    return;
  }
  let inflight = false;
  let failing = false;
  let last = '';
  let wake = null;
  const onRefresh = () => runAction(REFRESH_ALL, signal).then(() => { if (wake) wake(); });
  const load = async () => {
    try {
      const r = await api('GET', '/api/v1/providers', { signal });
      failing = false;
      reportRefresh('providers', null);
      const text = JSON.stringify(r.data);
      inflight = r.data.some((p) => p.inflight || p.dumpInflight);
      if (text !== last) {
        last = text;
        keepFocus(list, () => setChildren(list, r.data.length ? r.data.map((p) => providerCard(p, canRefresh, onRefresh)) : h('div', { class: 'card active-empty', text: 'No provider is configured.' })));
      }
      list.removeAttribute('aria-busy');
    } catch (e) {
      if (e.name === 'AbortError' || e.status === 401 || e.status === 403) return;
      failing = true;
      reportRefresh('providers', e);
      last = ''; // the error replaced the cards: the next answer must redraw them even if it is unchanged
      list.removeAttribute('aria-busy');
      setChildren(list, h('p', { class: 'form-error', id: 'providers-error', attrs: { role: 'alert' }, text: `Could not load providers: ${e.message}. Retrying every ${RETRY_MS / 1000} s…` }));
    }
  };
  subscribeRuns(signal, (runs) => {
    if (inflight || runs.some((r) => r.jobkey.startsWith('metadata.'))) { if (wake) wake(); }
  });
  // One loop does every read: at most once a second while a refresh is in flight, every RETRY_MS while reads fail,
  // else every 30 s or on a wake.
  while (!signal.aborted) {
    await load();
    const started = Date.now();
    await new Promise((resolve) => { wake = resolve; sleep(inflight ? 1000 : failing ? RETRY_MS : 30000, signal).then(resolve); });
    wake = null;
    const gap = Date.now() - started;
    if (gap < 1000) await sleep(1000 - gap, signal);
  }
}

boot({ page: 'providers', render });
