// action_run.js — performing one maintenance action (an entry of actions.js): the confirmation dialog stating the
// consequence, the call, and the toast with the answer's fields; for job triggers, the toast follows the queued
// run to its end. Used by the maintenance page's cards and the providers page's refresh button.

import { api, ApiError } from './api.js';
import { runFields } from './actions.js';
import { confirmDialog, h, rich, sleep, toast } from './ui.js';

const FINAL = new Set(['done', 'failed', 'cancelled']);

/** The markup lines of `list` as paragraphs. */
export function paragraphs(list, cls) {
  return (list || []).map((t) => h('p', { class: cls }, rich(t)));
}

async function followRun(t, a, run, signal) {
  const until = Date.now() + 10 * 60 * 1000;
  let cur = run;
  while (!signal.aborted && Date.now() < until && !FINAL.has(cur.status)) {
    await sleep(500, signal);
    try { cur = (await api('GET', `/api/v1/admin/batch/runs/${run.id}`, { signal })).data; } catch { /* retry */ }
    if (!FINAL.has(cur.status)) {
      t.update({ title: `${a.title}: ${cur.status}`, fields: [['Run', cur.id, 'id'], ['Status', cur.status, 'status']] });
    }
  }
  if (!FINAL.has(cur.status)) return;
  const tone = cur.status === 'done' ? 'ok' : cur.status === 'failed' ? 'error' : 'warn';
  t.update({
    tone, title: `${a.title}: ${cur.status}`,
    body: cur.lasterror ? cur.lasterror : null,
    fields: [['Status', cur.status, 'status'], ...runFields(cur)],
    link: { href: `/admin/jobs?run=${cur.id}`, label: 'Open the run' },
  });
}

/** Confirms, performs and reports action `a`; `signal` stops following a queued run. */
export async function runAction(a, signal) {
  const ok = await confirmDialog({
    title: `${a.title}?`,
    content: [paragraphs(a.confirm),
      h('p', { class: 'endpoint' }, h('span', { class: 'method', text: a.method }), ' ', h('code', { text: a.path }))],
    confirmLabel: a.button,
    danger: a.danger,
  });
  if (!ok) return;
  let res;
  try {
    res = await api(a.method, a.path, { body: {}, signal });
  } catch (e) {
    if (e.name === 'AbortError') return;
    const busy = e instanceof ApiError && e.status === 409;
    toast({
      id: a.id, tone: busy ? 'warn' : 'error',
      title: busy ? `${a.title}: already running — nothing started` : `${a.title} failed`,
      body: `${e.message}${e.code && e.code !== 'HTTP' ? ` (${e.code})` : ''}`,
      timeout: busy ? 10000 : 0,
    });
    return;
  }
  const data = res.data || {};
  if (a.kind === 'job') {
    const t = toast({
      id: a.id, tone: 'info', title: `${a.title}: queued`, timeout: 0,
      fields: [['Run', data.id, 'id'], ['Status', data.status, 'status']],
      link: { href: `/admin/jobs?run=${data.id}`, label: 'Open the run' },
    });
    followRun(t, a, data, signal);
    return;
  }
  toast({ id: a.id, ...a.result(data) });
}

