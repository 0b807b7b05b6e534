// job_dialogs.js — the jobs page's dialogs: the cron editor (human description and the next 5 fire times from
// /cron/preview while typing, the server's validation error, save with PATCH), run-now (a form generated from the
// job's declared params, dry run where supported, 400/409 shown in place) and cancel.

import { api, ApiError } from './api.js';
import { confirmDialog, debounce, fmt, h, modal, setChildren, toast } from './ui.js';

const TYPE_HINT = {
  int: 'integer', bool: 'true / false', duration: 'duration, e.g. 90m, 24h, 90d', uuid: 'UUID', id: 'numeric id', string: 'text',
  comicid: "comic id (a UUID or a number, as the platform's)", userid: "user id (a UUID or a number, as the platform's)",
};

/** The cron editor for schedule entry `e`. Resolves with the updated entry after a save, or null. */
export function editCron(e) {
  return new Promise((resolve) => {
    let saved = null;
    const input = h('input', {
      id: 'cron-input', type: 'text', class: 'mono', value: e.cron, autocomplete: 'off', spellcheck: false,
      attrs: { 'aria-describedby': 'cron-help cron-preview', autocapitalize: 'off' },
    });
    const preview = h('div', { class: 'preview', id: 'cron-preview', attrs: { 'aria-live': 'polite' } });
    const error = h('p', { class: 'form-error', id: 'cron-error', attrs: { role: 'alert' } });
    let ctl = null;
    const show = async () => {
      const expr = input.value.trim();
      if (ctl) ctl.abort();
      ctl = new AbortController();
      if (!expr) { input.setAttribute('aria-invalid', 'true'); setChildren(preview, h('span', { class: 'muted', text: 'Enter a cron expression.' })); return; }
      try {
        const r = await api('GET', '/api/v1/admin/batch/cron/preview', { query: { cron: expr, n: 5 }, signal: ctl.signal });
        input.removeAttribute('aria-invalid');
        error.textContent = '';
        const d = r.data;
        setChildren(preview,
          h('div', { class: 'desc', dataset: { testid: 'cron-description' }, text: d.description }),
          h('div', { class: 'muted', text: 'Next 5 runs (your local time):' }),
          h('ol', { dataset: { testid: 'cron-next' } }, d.next.map((t) => h('li', { attrs: { title: t } }, h('time', { attrs: { datetime: t }, text: fmt.dateTime(t) })))));
      } catch (err) {
        if (err.name === 'AbortError') return;
        input.setAttribute('aria-invalid', 'true');
        setChildren(preview, h('span', { class: 'muted', text: 'No preview: the expression is not valid.' }));
        error.textContent = err.message;
      }
    };
    const later = debounce(show, 250);
    input.addEventListener('input', later);
    const reset = e.cron !== e.defaultcron
      ? h('button', { type: 'button', class: 'link-button', text: `Reset to the default (${e.defaultcron})`, onclick: () => { input.value = e.defaultcron; show(); input.focus(); } })
      : null;
    modal({
      title: `Schedule of ${e.jobkey}`,
      content: [
        h('div', { class: 'field' },
          h('label', { for: 'cron-input', text: 'Cron expression' }), input,
          h('p', { class: 'help', id: 'cron-help', text: 'Five fields: minute hour day-of-month month day-of-week (UTC). Example: */15 * * * *' }),
          error, reset ? h('p', { class: 'help' }, reset) : null),
        preview],
      actions: [
        { label: 'Cancel', id: 'cancel' },
        {
          label: 'Save schedule', id: 'save', tone: 'primary',
          onClick: async () => {
            const expr = input.value.trim();
            try {
              saved = (await api('PATCH', `/api/v1/admin/batch/schedule/${encodeURIComponent(e.jobkey)}`, { body: { cron: expr } })).data;
              return true;
            } catch (err) {
              if (err.status === 401) return true;
                    input.setAttribute('aria-invalid', 'true');
              error.textContent = err.message;
              input.focus();
              return false;
            }
          },
        },
      ],
      initialFocus: () => input,
      onClose: () => { if (ctl) ctl.abort(); resolve(saved); },
    });
    input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); document.querySelector('dialog [data-action="save"]')?.click(); } });
    show();
  });
}

function paramField(p) {
  const id = `param-${p.name}`;
  const help = h('p', { class: 'help', id: `${id}-help` }, p.help ? `${p.help} ` : '', h('span', { class: 'muted', text: `(${TYPE_HINT[p.type] || p.type}${p.default !== null && p.default !== undefined ? `; default ${JSON.stringify(p.default)}` : ''})` }));
  const err = h('p', { class: 'form-error', id: `${id}-error`, attrs: { role: 'alert' } });
  let input;
  if (p.type === 'bool') {
    input = h('input', { id, name: p.name, type: 'checkbox', checked: p.default === true, attrs: { 'aria-describedby': `${id}-help ${id}-error` } });
    return { p, input, err, el: h('div', { class: 'field' }, h('label', { class: 'checkbox' }, input, p.name), help, err) };
  }
  const numeric = p.type === 'int' || p.type === 'id';
  input = h('input', {
    id, name: p.name, type: numeric ? 'number' : 'text', class: numeric || p.type === 'uuid' ? 'mono' : '',
    value: p.default === null || p.default === undefined ? '' : String(p.default), autocomplete: 'off',
    step: numeric ? '1' : undefined, attrs: { 'aria-describedby': `${id}-help ${id}-error` },
  });
  return { p, input, err, el: h('div', { class: 'field' }, h('label', { for: id, text: p.name }), input, help, err) };
}

function paramValue(f) {
  const { p, input } = f;
  if (p.type === 'bool') return input.checked;
  const v = input.value.trim();
  if (v === '') return undefined;
  if (p.type === 'int') return /^-?\d+$/.test(v) ? Number(v) : v; // the server names the field when it is wrong
  return v;
}

/** The run-now dialog for schedule entry `e`. Resolves with the queued run, or null. */
export function runNow(e) {
  return new Promise((resolve) => {
    let queued = null;
    const fields = (e.params || []).map(paramField);
    const dry = e.supportsdryrun ? h('input', { id: 'run-dryrun', type: 'checkbox', name: 'dryrun' }) : null;
    const topError = h('div', { class: 'form-error', id: 'run-error', attrs: { role: 'alert' } });
    modal({
      title: `Run ${e.jobkey} now`,
      content: [
        h('p', { class: 'muted', text: e.description }),
        fields.length ? fields.map((f) => f.el) : h('p', { class: 'muted', text: 'This job takes no parameters.' }),
        dry ? h('div', { class: 'field' }, h('label', { class: 'checkbox' }, dry, 'Dry run'),
          h('p', { class: 'help', text: 'Report what would change, change nothing.' })) : null,
        topError],
      actions: [
        { label: 'Cancel', id: 'cancel' },
        {
          label: 'Queue run', id: 'run', tone: 'primary',
          onClick: async () => {
            const params = {};
            for (const f of fields) {
              f.err.textContent = '';
              f.input.removeAttribute('aria-invalid');
              const v = paramValue(f);
              if (v !== undefined) params[f.p.name] = v;
            }
            topError.textContent = '';
            try {
              queued = (await api('POST', `/api/v1/admin/batch/jobs/${encodeURIComponent(e.jobkey)}/run`, { body: { params, dryrun: dry ? dry.checked : false } })).data;
              return true;
            } catch (err) {
              if (err.status === 401) return true;
              const f = fields.find((x) => err.field === x.p.name || err.field === `params.${x.p.name}`);
              if (f) { f.err.textContent = err.message; f.input.setAttribute('aria-invalid', 'true'); f.input.focus(); }
              else topError.textContent = err.status === 409 ? `${err.message}: a run of ${e.jobkey} is already queued or running. Cancel it or wait for it to finish.` : err.message;
              return false;
            }
          },
        },
      ],
      onClose: () => resolve(queued),
    });
  });
}

/** Asks, then cancels run `run`; reports the outcome in a toast. Resolves with the run after the call, or null. */
export async function cancelRun(run) {
  const ok = await confirmDialog({
    title: `Cancel this ${run.jobkey} run?`,
    content: [
      h('p', {}, run.status === 'queued' ? 'The run has not started: it is removed from the queue at once.'
        : 'The job stops at its next batch boundary (or at once, if a statement is in flight). What it already committed stays, and is reported in the run.'),
      h('p', { class: 'muted' }, 'Run ', h('code', { text: run.id })),
    ],
    confirmLabel: 'Cancel run',
    danger: true,
  });
  if (!ok) return null;
  try {
    const r = (await api('POST', `/api/v1/admin/batch/jobs/${encodeURIComponent(run.jobkey)}/cancel`, { body: { id: run.id } })).data;
    toast({
      tone: r.status === 'cancelled' ? 'ok' : 'info',
      title: r.status === 'cancelled' ? `${run.jobkey}: cancelled` : `${run.jobkey}: stopping…`,
      fields: [['Run', r.id, 'id'], ['Status', r.status, 'status']],
    });
    return r;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) toast({ tone: 'error', title: `Could not cancel ${run.jobkey}`, body: err.message });
    return null;
  }
}
