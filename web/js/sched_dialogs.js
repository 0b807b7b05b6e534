// sched_dialogs.js — the jobs page's scheduling extras: the pause dialog (every job or one, for a while or until a
// time, with a reason), the missed-slot ledger of a job (why each slot produced no run, paged), and the small
// cells that show a job's deadline, missed slots and pause in the schedule table.

import { api } from './api.js';
import { refreshPauseBanner } from './shell.js';
import { fmt, h, modal, pill, timeEl, toast } from './ui.js';

const REASON_TEXT = {
  overlap: 'still running', 'misfire-skipped': 'misfire skipped', disabled: 'disabled', paused: 'paused',
  unavailable: 'unavailable', 'no-leader': 'no leader', 'invalid-schedule': 'invalid schedule',
  'invalid-params': 'invalid params',
};
const REASON_TONE = {
  overlap: 'cancelled', 'misfire-skipped': 'cancelled', disabled: 'idle', paused: 'paused', unavailable: 'failed',
  'no-leader': 'failed', 'invalid-schedule': 'failed', 'invalid-params': 'failed',
};

/** A ledger reason as a pill (colour plus the words). */
export function reasonPill(reason) {
  return pill(REASON_TONE[reason] || 'idle', REASON_TEXT[reason] || reason);
}

/** Seconds → "90s", "15m", "12h", "2d", "1d12h" (the server's duration syntax). */
export function durationText(seconds) {
  const units = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
  let rest = seconds;
  let out = '';
  for (const [u, n] of units) {
    if (rest >= n) { out += `${Math.floor(rest / n)}${u}`; rest %= n; }
  }
  return out || '0s';
}

/** The deadline line of a row: "Overdue" (since when), or an explicit deadline and when it is due; else null. */
export function deadlineInfo(e) {
  const dl = e.deadline;
  if (!dl) return null;
  const within = `must succeed within ${durationText(dl.seconds)}${dl.source === 'default' ? ' (twice its longest interval)' : ''}`;
  if (dl.overdue) {
    return h('div', { class: 'cell-sub', dataset: { testid: 'overdue' } }, pill('failed', 'Overdue'), ' ',
      h('span', {}, dl.lastsuccess ? 'last success ' : 'no success since ', timeEl(dl.lastsuccess || dl.measuredfrom), ` — ${within}`));
  }
  if (dl.source === 'default') return null; /* shown in the editor; the row stays quiet while all is well */
  return h('div', { class: 'cell-sub', dataset: { testid: 'deadline' } }, `deadline ${durationText(dl.seconds)}, due `, timeEl(dl.dueby));
}

/** The "paused" note of a row, or null. */
export function pausedInfo(e) {
  if (!e.paused) return null;
  return h('div', { class: 'cell-sub', dataset: { testid: 'paused' } }, pill('paused', 'Paused'), ' until ', timeEl(e.paused.until),
    e.paused.jobkey ? '' : ' (every job)');
}

/** The missed-slots cell: the last day's count and the latest reason, opening the ledger; "none" without any. */
export function missedCell(e) {
  const m = e.missed || { last24h: 0, latest: null };
  if (!m.latest) return h('span', { class: 'muted', text: 'none' });
  const open = h('button', {
    type: 'button', class: 'link-button', id: `missed-${e.jobkey}`, dataset: { testid: 'missed' },
    attrs: { 'aria-label': `Missed slots of ${e.jobkey}` }, onclick: () => missedDialog(e),
    text: m.last24h ? `${fmt.num(m.last24h)} in 24 h` : 'earlier',
  });
  return h('div', { class: 'cell-stack' }, open,
    h('span', { class: 'cell-sub nowrap' }, reasonPill(m.latest.reason), ' ', timeEl(m.latest.lastslot)));
}

function slotsText(m) {
  if (m.slots === 1) return fmt.dateTime(m.firstslot);
  return `${fmt.num(m.slots)} slots, ${fmt.dateTime(m.firstslot)} – ${fmt.dateTime(m.lastslot)}`;
}

/** The ledger of schedule entry `e` in a dialog, 25 rows at a time. */
export function missedDialog(e) {
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'button button-small', id: 'missed-more', text: 'Older…', hidden: true });
  const summary = h('p', { class: 'muted', id: 'missed-summary' });
  let page = 0;
  const load = async () => {
    page += 1;
    more.disabled = true;
    try {
      const r = await api('GET', `/api/v1/admin/batch/schedule/${encodeURIComponent(e.jobkey)}/missed`, { query: { page, limit: 25 } });
      for (const m of r.data) {
        tbody.append(h('tr', { dataset: { reason: m.reason } },
          h('td', { dataset: { label: 'Why' } }, reasonPill(m.reason)),
          h('td', { dataset: { label: 'Slots' } }, slotsText(m)),
          h('td', { dataset: { label: 'Detail' }, class: 'cell-sub', text: m.detail || '' })));
      }
      summary.textContent = `${fmt.num(r.meta.total)} ${r.meta.total === 1 ? 'entry' : 'entries'}, newest first. Consecutive slots missed for the same reason are one entry.`;
      more.hidden = page >= r.meta.pages;
    } catch (err) {
      summary.textContent = `Could not load the ledger: ${err.message}`;
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', load);
  modal({
    title: `Missed slots of ${e.jobkey}`, wide: true,
    content: [h('p', { class: 'muted', text: 'Every cron slot that produced no run, and why.' }), summary,
      h('div', { class: 'table-wrap' }, h('table', { class: 'stack', id: 'missed-table' },
        h('thead', {}, h('tr', {}, ['Why', 'When', 'Detail'].map((t) => h('th', { scope: 'col', text: t })))), tbody)),
      h('p', {}, more)],
    actions: [{ label: 'Close', id: 'close' }],
  });
  load();
}

const FOR_CHOICES = [['30m', '30 minutes'], ['1h', '1 hour'], ['2h', '2 hours'], ['4h', '4 hours'], ['8h', '8 hours'], ['24h', '1 day'], ['', 'until a time…']];

/** The pause dialog: every job, or `jobkey` preselected. Resolves with the pause, or null. */
export function pauseDialog(jobkeys, jobkey = '') {
  return new Promise((resolve) => {
    let done = null;
    const scope = h('select', { id: 'pause-scope' }, h('option', { value: '', text: 'Every job' }),
      jobkeys.map((k) => h('option', { value: k, text: k, selected: k === jobkey })));
    const forSel = h('select', { id: 'pause-for' }, FOR_CHOICES.map(([v, t]) => h('option', { value: v, text: t, selected: v === '1h' })));
    const until = h('input', { id: 'pause-until', type: 'datetime-local', hidden: true });
    const untilField = h('div', { class: 'field', hidden: true }, h('label', { for: 'pause-until', text: 'Until (your local time)' }), until);
    forSel.addEventListener('change', () => { untilField.hidden = forSel.value !== ''; until.hidden = untilField.hidden; });
    const reason = h('input', { id: 'pause-reason', type: 'text', maxLength: 200, autocomplete: 'off', attrs: { placeholder: 'e.g. database upgrade' } });
    const error = h('p', { class: 'form-error', id: 'pause-error', attrs: { role: 'alert' } });
    modal({
      title: 'Pause scheduling',
      content: [
        h('p', { class: 'muted', text: 'While paused, the scheduler enqueues nothing for the jobs covered and records their slots as “paused”. Manual runs still work. When the pause ends, a job whose misfire policy is “once” runs once to catch up.' }),
        h('div', { class: 'field' }, h('label', { for: 'pause-scope', text: 'Jobs' }), scope),
        h('div', { class: 'field' }, h('label', { for: 'pause-for', text: 'For' }), forSel), untilField,
        h('div', { class: 'field' }, h('label', { for: 'pause-reason', text: 'Reason (shown in the banner and the audit log)' }), reason),
        error],
      actions: [
        { label: 'Cancel', id: 'cancel' },
        {
          label: 'Pause', id: 'pause', tone: 'primary',
          onClick: async () => {
            const body = { jobkey: scope.value || null, reason: reason.value.trim() || null };
            if (forSel.value) body.for = forSel.value;
            else body.until = until.value ? new Date(until.value).toISOString() : '';
            try {
              done = (await api('POST', '/api/v1/admin/batch/pause', { body })).data;
              toast({ tone: 'ok', title: done.jobkey ? `${done.jobkey} paused` : 'Scheduling paused', fields: [['Until', fmt.dateTime(done.until), 'until']], timeout: 5000 });
              refreshPauseBanner();
              document.dispatchEvent(new CustomEvent('comicbatch:pause-changed'));
              return true;
            } catch (err) {
              if (err.status === 401 || err.status === 403) return true;
              error.textContent = err.message;
              return false;
            }
          },
        },
      ],
      onClose: () => resolve(done),
    });
  });
}

