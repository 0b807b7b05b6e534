// jobs.js — /admin/jobs: the schedule (job, cron with its human description and time zone, enabled toggle, last
// run, next run in the job's zone, missed slots, deadline/overdue, pause, run now), the active runs with live
// progress bars and cancel, and the run history (runs.js). Everything live comes from the events stream (live.js);
// the schedule is re-read when a run ends, when a pause changes, and every 30 s (a deadline passes by itself). While
// the schedule cannot be read (a 503 during a database outage) the page says so and retries every few seconds and on
// each live event; every failed or successful refresh is reported to the shell's live indicator (reportRefresh).

import { api } from './api.js';
import { cancelRun, editCron, runNow, stripZone } from './job_dialogs.js';
import { subscribeRuns } from './live.js';
import { ACTIVE, runOutcome, runsSection, shownStatus } from './runs.js';
import { deadlineInfo, missedCell, pauseDialog, pausedInfo } from './sched_dialogs.js';
import { boot, pageHead, reportRefresh } from './shell.js';
import { debounce, fmt, h, keepFocus, pill, setChildren, sleep, timeEl, toast } from './ui.js';

const SCHEDULE_REFRESH_MS = 30000;
const RETRY_MS = 3000; // the first load and a failing refresh are retried this often

function lastRunCell(run) {
  if (!run) return h('span', { class: 'muted', text: 'never' });
  const st = shownStatus(run);
  return h('div', { class: 'cell-stack' }, pill(st),
    h('span', { class: 'cell-sub nowrap' }, timeEl(run.finishedat || run.startedat || run.createdat),
      run.durationms !== null && run.durationms !== undefined ? ` · ${fmt.duration(run.durationms)}` : ''));
}

/** `iso` on the clock of `zone` ("Sun 03:00 EDT"), or null for UTC. */
function zoneTime(iso, zone) {
  if (!zone || zone === 'UTC') return null;
  return new Date(iso).toLocaleString('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
}

function nextRunCell(e) {
  if (!e.isenabled) return h('span', { class: 'muted', text: 'disabled' });
  if (!e.nextrunat) return h('span', { class: 'muted', text: '—' });
  const there = zoneTime(e.nextrunat, e.timezone);
  return h('div', { class: 'cell-stack' }, timeEl(e.nextrunat), h('span', { class: 'cell-sub nowrap', text: fmt.dateTime(e.nextrunat) }),
    there ? h('span', { class: 'cell-sub nowrap', dataset: { testid: 'zone-time' }, text: `${there} in ${e.timezone}` }) : null);
}

function scheduleSection(ctx) {
  const tbody = h('tbody');
  const table = h('table', { class: 'stack', id: 'schedule-table' },
    h('caption', { class: 'visually-hidden', text: 'Job schedule' }),
    h('thead', {}, h('tr', {}, ['Job', 'Schedule', 'Enabled', 'Last run', 'Next run', 'Missed', ''].map((t) => h('th', { scope: 'col', text: t })))),
    tbody);
  const rows = new Map();

  const toggle = async (e, btn) => {
    btn.disabled = true;
    try {
      const r = await api('PATCH', `/api/v1/admin/batch/schedule/${encodeURIComponent(e.jobkey)}`, { body: { isenabled: !e.isenabled } });
      update(r.data);
      toast({ tone: 'ok', title: `${e.jobkey} ${r.data.isenabled ? 'enabled' : 'disabled'}`, body: r.data.isenabled ? `Next run ${fmt.relative(r.data.nextrunat)}.` : 'The scheduler skips it until it is enabled again; manual runs still work.', timeout: 5000 });
    } catch (err) {
      btn.disabled = false;
      if (err.status !== 401 && err.status !== 403) toast({ tone: 'error', title: `Could not change ${e.jobkey}`, body: err.message });
    }
  };

  const row = (e) => {
    const sw = h('button', {
      type: 'button', class: 'switch', id: `toggle-${e.jobkey}`,
      attrs: { role: 'switch', 'aria-checked': String(e.isenabled), 'aria-label': `${e.jobkey} enabled` },
    }, h('span', { class: 'switch-track', attrs: { 'aria-hidden': 'true' } }), e.isenabled ? 'On' : 'Off');
    sw.addEventListener('click', () => toggle(e, sw));
    const edit = h('button', {
      type: 'button', class: 'link-button', id: `edit-${e.jobkey}`, text: 'Edit',
      attrs: { 'aria-label': `Edit the schedule of ${e.jobkey}` },
      onclick: async () => { const saved = await editCron(e); if (saved) { update(saved); toast({ tone: 'ok', title: `Schedule of ${e.jobkey} saved`, fields: [['Cron', saved.cron, 'cron'], ['Meaning', saved.crondescription, 'crondescription'], ['Next run', saved.nextrunat ? fmt.dateTime(saved.nextrunat) : '—', 'nextrunat']], timeout: 6000 }); } },
    });
    const unavailable = e.available === false; // its schema contract fails on this database (comicbatch doctor)
    const runBtn = h('button', {
      type: 'button', class: 'button button-small', id: `run-${e.jobkey}`, text: 'Run now…', disabled: unavailable,
      attrs: { 'aria-label': `Run ${e.jobkey} now` },
      onclick: async () => { const run = await runNow(e); if (run) { toast({ tone: 'info', title: `${e.jobkey} queued`, fields: [['Run', run.id, 'id'], ['Dry run', run.dryrun ? 'yes' : 'no', 'dryrun']], timeout: 5000 }); ctx.runs.refresh(); } },
    });
    const pauseBtn = h('button', {
      type: 'button', class: 'button button-small button-quiet', id: `pause-${e.jobkey}`, text: 'Pause…',
      attrs: { 'aria-label': `Pause the scheduling of ${e.jobkey}` },
      onclick: () => pauseDialog(ctx.jobkeys(), e.jobkey),
    });
    const overdue = e.deadline && e.deadline.overdue;
    return h('tr', { dataset: overdue ? { jobkey: e.jobkey, overdue: 'true' } : { jobkey: e.jobkey }, class: [e.isenabled ? '' : 'is-disabled', overdue && 'is-overdue'] },
      h('td', { dataset: { label: 'Job' } }, h('div', { class: 'cell-title', text: e.jobkey }), h('div', { class: 'cell-sub', text: e.description }),
        deadlineInfo(e), pausedInfo(e),
        unavailable ? h('div', { class: 'cell-sub', dataset: { testid: 'unavailable' } }, pill('unavailable'), ' ',
          h('span', { text: `${e.unavailableReason} — see comicbatch doctor` })) : null),
      h('td', { dataset: { label: 'Schedule' } },
        h('div', {}, h('span', { class: 'cron', dataset: { testid: 'cron' }, text: stripZone(e.cron) }), ' ', edit),
        h('div', { class: 'cell-sub', dataset: { testid: 'crondescription' }, text: e.crondescription }),
        e.timezone !== 'UTC' ? h('div', { class: 'cell-sub', dataset: { testid: 'timezone' } }, 'time zone ', h('code', { text: e.timezone })) : null,
        e.cron !== e.defaultcron ? h('div', { class: 'cell-sub', text: `default: ${e.defaultcron}` }) : null,
        e.maxattempts > 1 ? h('div', { class: 'cell-sub', text: `retries: up to ${e.maxattempts} attempts, from ${e.retrydelay}` }) : null),
      h('td', { dataset: { label: 'Enabled' } }, sw),
      h('td', { dataset: { label: 'Last run' } }, lastRunCell(e.lastrun)),
      h('td', { dataset: { label: 'Next run' } }, unavailable ? h('span', { class: 'muted', text: 'not scheduled' }) : e.paused && e.isenabled ? h('span', { class: 'muted', text: 'paused' }) : nextRunCell(e)),
      h('td', { dataset: { label: 'Missed' } }, missedCell(e)),
      h('td', { dataset: { label: '' } }, h('div', { class: 'row-actions' }, runBtn, pauseBtn)));
  };

  function update(e) {
    const cur = rows.get(e.jobkey);
    if (cur && JSON.stringify(cur.e) === JSON.stringify(e)) return;
    const tr = row(e);
    keepFocus(tbody, () => { if (cur) cur.tr.replaceWith(tr); else tbody.append(tr); });
    rows.set(e.jobkey, { e, tr });
  }

  const draw = (entries) => {
    tbody.replaceChildren();
    rows.clear();
    entries.forEach(update);
  };

  const refresh = async () => {
    const r = await api('GET', '/api/v1/admin/batch/schedule', { signal: ctx.signal });
    r.data.forEach(update);
    return r.data;
  };

  const el = h('section', { class: 'section', attrs: { 'aria-labelledby': 'schedule-title' } },
    h('div', { class: 'section-head' }, h('h2', { id: 'schedule-title', text: 'Schedule' }),
      h('p', { class: 'muted', text: 'Cron times are UTC unless a job has a time zone; changes apply at once on every instance.' })),
    h('div', { class: 'table-wrap' }, table));
  return { el, draw, refresh, entries: () => [...rows.values()].map((x) => x.e) };
}

function activeSection() {
  const list = h('div', { class: 'active-list', id: 'active-runs', attrs: { 'aria-live': 'off' } });
  const count = h('span', { class: 'muted', id: 'active-count' });
  const item = (run) => {
    const st = shownStatus(run);
    return h('div', { class: 'card active-run', dataset: { runId: run.id, status: st } },
      h('div', { class: 'cell-stack' }, h('div', {}, pill(st), ' ', h('span', { class: 'cell-title', text: run.jobkey })),
        h('span', { class: 'meta' }, run.triggeredby, run.dryrun ? ' · dry run' : '', ' · ', run.startedat ? ['started ', timeEl(run.startedat)] : ['queued ', timeEl(run.createdat)])),
      h('div', {}, ACTIVE.has(run.status) ? runOutcome(run) : h('span', { class: 'meta' }, run.lasterror || `finished ${run.durationms !== null ? `in ${fmt.duration(run.durationms)}` : ''}`)),
      h('div', { class: 'row-actions' },
        ACTIVE.has(run.status) && !run.cancelrequestedat ? h('button', { type: 'button', class: 'button button-small button-danger-outline', id: `cancel-${run.id}`, text: 'Cancel', attrs: { 'aria-label': `Cancel ${run.jobkey} run` }, onclick: () => cancelRun(run) }) : null));
  };
  const draw = (runs) => {
    const active = runs.filter((r) => ACTIVE.has(r.status)).length;
    count.textContent = active ? `${active} active` : '';
    keepFocus(list, () => setChildren(list, runs.length ? runs.map(item) : h('div', { class: 'card active-empty', text: 'Nothing is queued or running.' })));
  };
  const el = h('section', { class: 'section', attrs: { 'aria-labelledby': 'active-title' } },
    h('div', { class: 'section-head' }, h('h2', { id: 'active-title', text: 'Active runs' }), count,
      h('p', { class: 'muted', text: 'Updated live; finished runs stay here for a few seconds.' })),
    list);
  return { el, draw };
}

/**
 * Reads the schedule until it answers (or `signal` aborts): each failure shows `error` and is retried after
 * RETRY_MS or at once when wake() is called (a live event). Returns the entries, or null once aborted or signed out.
 */
async function loadSchedule(signal, error, waker) {
  for (;;) {
    try {
      const entries = (await api('GET', '/api/v1/admin/batch/schedule', { signal })).data;
      reportRefresh('schedule', null);
      error.hidden = true;
      return entries;
    } catch (e) {
      if (signal.aborted || e.name === 'AbortError' || e.status === 401 || e.status === 403) return null;
      reportRefresh('schedule', e);
      error.hidden = false;
      setChildren(error, `Could not load the schedule: ${e.message}. Retrying every ${RETRY_MS / 1000} s…`);
    }
    await new Promise((resolve) => { waker.wake = resolve; sleep(RETRY_MS, signal).then(resolve); });
    waker.wake = null;
  }
}

async function render(main, { signal }) {
  const ctx = { signal };
  const schedule = scheduleSection(ctx);
  ctx.jobkeys = () => schedule.entries().map((e) => e.jobkey);
  const active = activeSection();
  const pauseAll = h('button', { type: 'button', class: 'button', id: 'pause-all', text: 'Pause scheduling…', onclick: () => pauseDialog(ctx.jobkeys()) });
  const error = h('p', { class: 'form-error', id: 'schedule-error', hidden: true, attrs: { role: 'alert' } });
  setChildren(main, pageHead('Jobs', 'The batch jobs this service runs: when they run, what is running now, and what ran before.', pauseAll), active.el, error, schedule.el);

  // The live feed starts at once: active runs show even while the schedule cannot be read, and each event wakes a
  // waiting retry.
  const waker = { wake: null };
  const seen = new Map();
  let refreshSchedule = () => {};
  subscribeRuns(signal, (runs) => {
    active.draw(runs);
    if (waker.wake) waker.wake();
    if (!ctx.runs) return;
    ctx.runs.onLive(runs);
    let changed = false;
    for (const r of runs) {
      if (seen.get(r.id) !== r.status) changed = true;
      seen.set(r.id, r.status);
    }
    if (changed) refreshSchedule(); // last run / next run of that job moved
  });

  const entries = await loadSchedule(signal, error, waker);
  if (!entries) return;
  schedule.draw(entries);
  ctx.runs = runsSection(entries.map((e) => e.jobkey), { signal, onResult: (e) => reportRefresh('runs', e) });
  main.append(ctx.runs.el);
  ctx.runs.refresh();
  const open = new URLSearchParams(location.search).get('run');
  if (open) ctx.runs.open(open);

  // A failed refresh marks the page stale and is retried after RETRY_MS (not only at the next 30 s round).
  let retry = null;
  refreshSchedule = debounce(() => {
    clearTimeout(retry);
    schedule.refresh().then(() => reportRefresh('schedule', null), (e) => {
      reportRefresh('schedule', e);
      if (!signal.aborted && e.name !== 'AbortError') retry = setTimeout(refreshSchedule, RETRY_MS);
    });
  }, 400);
  document.addEventListener('comicbatch:pause-changed', refreshSchedule, { signal });
  const every = setInterval(refreshSchedule, SCHEDULE_REFRESH_MS);
  signal.addEventListener('abort', () => { clearInterval(every); clearTimeout(retry); }, { once: true });
}

boot({ page: 'jobs', render });
