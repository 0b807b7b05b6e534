// job_dialogs.js — the jobs page's dialogs: the cron editor (the expression and its time zone, a human description
// and the next 5 fire times from /cron/preview while typing, in the job's zone and UTC with what DST does to them;
// retries, deadline and the params of scheduled runs; the server's validation error under its field; save with
// PATCH), run-now (a form generated from the job's declared params, dry run where supported, 400/409 shown in
// place) and cancel.

import { api, ApiError } from './api.js';
import { durationText } from './sched_dialogs.js';
import { confirmDialog, debounce, fmt, h, modal, setChildren, toast } from './ui.js';

const TYPE_HINT = {
  int: 'integer', bool: 'true / false', duration: 'duration, e.g. 90m, 24h, 90d', uuid: 'UUID', id: 'numeric id', string: 'text',
  comicid: "comic id (a UUID or a number, as the platform's)", userid: "user id (a UUID or a number, as the platform's)",
};

/** `expr` without its CRON_TZ=/TZ= prefix (the zone is shown and edited apart). */
export function stripZone(expr) {
  return expr.replace(/^\s*(CRON_TZ|TZ)=\S+\s+/, '');
}

/** The zone names the browser knows, for the time zone field's suggestions. */
function zoneList() {
  const names = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return h('datalist', { id: 'tz-list' }, ['UTC', ...names.filter((z) => z !== 'UTC')].map((z) => h('option', { value: z })));
}

/** One fire time: its wall time in the job's zone (or the browser's, for UTC) and in UTC, and a DST note. */
function fireItem(f, zone) {
  const utc = `${f.at.slice(0, 10)} ${f.at.slice(11, 16)} UTC`;
  const wall = zone === 'UTC' ? fmt.dateTime(f.at) : `${f.local.slice(0, 10)} ${f.local.slice(11, 16)} ${f.abbr}`;
  return h('li', { attrs: { title: f.at }, dataset: f.dst ? { dst: f.dst } : {} },
    h('time', { attrs: { datetime: f.at }, text: wall }), h('span', { class: 'muted', text: ` · ${utc}` }),
    f.note ? h('div', { class: 'dst-note', dataset: { testid: 'cron-dst' }, text: f.note }) : null);
}

/** What DST does to this schedule, in one sentence. */
function dstSummary(d) {
  if (d.timezone === 'UTC') return 'Times are UTC, which has no daylight saving time.';
  if (!d.nextdst) return `No DST change within a year moves this job's times in ${d.timezone}.`;
  return `Next DST change that moves this job: ${d.nextdst.note}`;
}

/** The retries/deadline/params fields, with the entry's current values (blank = the default). */
function moreFields(e) {
  const field = (id, label, input, help) => h('div', { class: 'field' }, h('label', { for: id, text: label }), input,
    h('p', { class: 'help', text: help }), h('p', { class: 'form-error', id: `${id}-error`, attrs: { role: 'alert' } }));
  const dl = e.deadline && e.deadline.source === 'schedule' ? durationText(e.deadline.seconds) : '';
  const inputs = {
    maxattempts: h('input', { id: 'sched-maxattempts', type: 'number', min: 1, max: 20, step: 1, value: String(e.maxattempts) }),
    retrydelay: h('input', { id: 'sched-retrydelay', type: 'text', class: 'mono', value: e.retrydelay, autocomplete: 'off' }),
    deadline: h('input', { id: 'sched-deadline', type: 'text', class: 'mono', value: dl, autocomplete: 'off', attrs: { placeholder: e.deadline ? `default: ${durationText(e.deadline.seconds)}` : 'none' } }),
    scheduledparams: h('textarea', { id: 'sched-params', class: 'mono', rows: 3, value: e.scheduledparams ? JSON.stringify(e.scheduledparams) : '', attrs: { placeholder: '{} — the job\'s defaults' } }),
  };
  const el = h('details', { class: 'more', id: 'schedule-more' }, h('summary', { text: 'Retries, deadline and params' }),
    field('sched-maxattempts', 'Max attempts', inputs.maxattempts, 'A failed run is retried as a new run until this many attempts failed (1: no retry). A cancelled run is never retried.'),
    field('sched-retrydelay', 'First retry after', inputs.retrydelay, 'e.g. 30s, 5m; each further retry waits twice as long, with jitter.'),
    field('sched-deadline', 'Must have succeeded within', inputs.deadline, 'e.g. 26h, or off; blank: twice the cron\'s longest interval. Past it the job is overdue and an alert is raised once.'),
    field('sched-params', 'Params of scheduled runs (JSON)', inputs.scheduledparams, `Validated like a manual run's; blank: the defaults.${(e.params || []).length ? ` Params: ${e.params.map((p) => p.name).join(', ')}.` : ' This job takes none.'}`));
  const initial = Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.value]));
  /** The PATCH fields that changed (blank → back to the default), or throws {field, message}. */
  const changes = () => {
    const out = {};
    for (const [k, i] of Object.entries(inputs)) {
      const v = i.value.trim();
      if (v === initial[k].trim()) continue;
      if (k === 'maxattempts') out[k] = v === '' ? null : /^\d+$/.test(v) ? Number(v) : v;
      else if (k === 'scheduledparams') {
        try { out[k] = v === '' ? null : JSON.parse(v); } catch { throw Object.assign(new Error('Params must be a JSON object, e.g. {"seconds": 5}'), { field: 'scheduledparams' }); }
      } else out[k] = v === '' ? null : v;
    }
    return out;
  };
  const show = (fieldName, message) => {
    const key = fieldName.startsWith('scheduledparams') ? 'scheduledparams' : fieldName;
    const input = inputs[key];
    if (!input) return false;
    el.open = true;
    el.querySelector(`#${input.id}-error`).textContent = message;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return true;
  };
  const clear = () => { for (const i of Object.values(inputs)) { i.removeAttribute('aria-invalid'); el.querySelector(`#${i.id}-error`).textContent = ''; } };
  return { el, changes, show, clear };
}

/** The cron editor for schedule entry `e`. Resolves with the updated entry after a save, or null. */
export function editCron(e) {
  return new Promise((resolve) => {
    let saved = null;
    const input = h('input', {
      id: 'cron-input', type: 'text', class: 'mono', value: stripZone(e.cron), autocomplete: 'off', spellcheck: false,
      attrs: { 'aria-describedby': 'cron-help cron-preview', autocapitalize: 'off' },
    });
    const zone = h('input', {
      id: 'cron-timezone', type: 'text', class: 'mono', value: e.timezone || 'UTC', autocomplete: 'off', spellcheck: false,
      attrs: { list: 'tz-list', 'aria-describedby': 'tz-help tz-error', autocapitalize: 'off' },
    });
    const tzError = h('p', { class: 'form-error', id: 'tz-error', attrs: { role: 'alert' } });
    const preview = h('div', { class: 'preview', id: 'cron-preview', attrs: { 'aria-live': 'polite' } });
    const error = h('p', { class: 'form-error', id: 'cron-error', attrs: { role: 'alert' } });
    const more = moreFields(e);
    let ctl = null;
    /* The expression's own CRON_TZ= prefix wins; otherwise the zone field's. */
    const zoneOf = () => (/^\s*(CRON_TZ|TZ)=/.test(input.value) ? undefined : zone.value.trim() || 'UTC');
    const show = async () => {
      const expr = input.value.trim();
      if (ctl) ctl.abort();
      ctl = new AbortController();
      if (!expr) { input.setAttribute('aria-invalid', 'true'); setChildren(preview, h('span', { class: 'muted', text: 'Enter a cron expression.' })); return; }
      try {
        const r = await api('GET', '/api/v1/admin/batch/cron/preview', { query: { cron: expr, n: 5, timezone: zoneOf() }, signal: ctl.signal });
        input.removeAttribute('aria-invalid');
        zone.removeAttribute('aria-invalid');
        error.textContent = '';
        tzError.textContent = '';
        const d = r.data;
        setChildren(preview,
          h('div', { class: 'desc', dataset: { testid: 'cron-description' }, text: d.description }),
          h('div', { class: 'muted', dataset: { testid: 'cron-zone' }, text: d.timezone === 'UTC' ? 'Next 5 runs (your local time · UTC):' : `Next 5 runs on ${d.timezone} clocks · in UTC (a ${d.kind === 'wildcard' ? 'wildcard job: it follows real time across DST changes' : 'fixed-time job: once per wall time across DST changes'}):` }),
          h('ol', { dataset: { testid: 'cron-next' } }, d.fires.map((f) => fireItem(f, d.timezone))),
          h('p', { class: 'dst-summary', dataset: { testid: 'cron-dst-summary' }, text: dstSummary(d) }));
      } catch (err) {
        if (err.name === 'AbortError') return;
        const target = err.field === 'timezone' ? zone : input;
        target.setAttribute('aria-invalid', 'true');
        setChildren(preview, h('span', { class: 'muted', text: 'No preview: the expression is not valid.' }));
        (err.field === 'timezone' ? tzError : error).textContent = err.message;
      }
    };
    const later = debounce(show, 250);
    input.addEventListener('input', later);
    zone.addEventListener('input', later);
    const reset = e.cron !== e.defaultcron
      ? h('button', { type: 'button', class: 'link-button', text: `Reset to the default (${e.defaultcron})`, onclick: () => { input.value = stripZone(e.defaultcron); zone.value = 'UTC'; show(); input.focus(); } })
      : null;
    modal({
      title: `Schedule of ${e.jobkey}`,
      content: [
        h('div', { class: 'field' },
          h('label', { for: 'cron-input', text: 'Cron expression' }), input,
          h('p', { class: 'help', id: 'cron-help', text: 'Five fields: minute hour day-of-month month day-of-week, read in the time zone below. Example: */15 * * * *' }),
          error, reset ? h('p', { class: 'help' }, reset) : null),
        h('div', { class: 'field' },
          h('label', { for: 'cron-timezone', text: 'Time zone' }), zone, zoneList(),
          h('p', { class: 'help', id: 'tz-help', text: 'An IANA zone such as Asia/Tokyo or America/New_York (UTC: none). A time that DST skips runs once right after the change; a repeated time runs once.' }),
          tzError),
        preview, more.el],
      actions: [
        { label: 'Cancel', id: 'cancel' },
        {
          label: 'Save schedule', id: 'save', tone: 'primary',
          onClick: async () => {
            const expr = input.value.trim();
            more.clear();
            try {
              const body = { cron: expr, ...more.changes() };
              const z = zoneOf();
              if (z !== undefined) body.timezone = z === 'UTC' ? null : z;
              saved = (await api('PATCH', `/api/v1/admin/batch/schedule/${encodeURIComponent(e.jobkey)}`, { body })).data;
              return true;
            } catch (err) {
              if (err.status === 401 || err.status === 403) return true;
              if (err.field && more.show(err.field, err.message)) return false;
              const target = err.field === 'timezone' ? zone : input;
              target.setAttribute('aria-invalid', 'true');
              (err.field === 'timezone' ? tzError : error).textContent = err.message;
              target.focus();
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
              if (err.status === 401 || err.status === 403) return true;
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
    if (!(err instanceof ApiError) || err.status !== 401 && err.status !== 403) toast({ tone: 'error', title: `Could not cancel ${run.jobkey}`, body: err.message });
    return null;
  }
}
