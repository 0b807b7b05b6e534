// ui.js — the small kit every admin page is built from: DOM construction without innerHTML, formatting of
// bytes/durations/times, status pills (colour plus a text label), toasts, and keyboard-operable modal dialogs
// (focus moves in, Tab stays inside, Esc closes, focus returns to the element that opened it).

/** Creates an element. `props`: class, text, attrs {name: value}, dataset, on{Event}: fn, or any DOM property. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'attrs') for (const [a, av] of Object.entries(v)) { if (av !== undefined && av !== null && av !== false) el.setAttribute(a, av === true ? '' : String(av)); }
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else el[k] = v;
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/**
 * Runs `redraw` (which replaces nodes inside `container`) and puts the keyboard focus back on the element with the
 * same id, so live updates never throw a keyboard user out of what they were on.
 */
export function keepFocus(container, redraw) {
  const a = document.activeElement;
  const id = a && a !== document.body && container.contains(a) ? a.id : null;
  redraw();
  if (id && document.activeElement !== document.getElementById(id)) document.getElementById(id)?.focus();
}

/** Replaces an element's children. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * Turns a line of the pages' tiny markup into nodes: `code`, **strong** and [label](href). Only these; the text is
 * never parsed as HTML.
 */
export function rich(text) {
  const out = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[1] !== undefined) out.push(h('code', { text: m[1] }));
    else if (m[2] !== undefined) out.push(h('strong', { text: m[2] }));
    else out.push(h('a', { href: m[4], text: m[3] }));
    last = re.lastIndex;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

const nf = new Intl.NumberFormat();

export const fmt = {
  num(n) { return n === null || n === undefined ? '—' : nf.format(n); },

  /** 1536 → "1.5 KiB" (binary units; exact bytes are shown beside it where it matters). */
  bytes(n) {
    if (n === null || n === undefined) return '—';
    const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
    let v = Number(n);
    let i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    if (i === 0) return `${nf.format(v)} ${v === 1 ? 'byte' : 'bytes'}`;
    return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
  },

  /** Milliseconds → "850 ms", "4.1 s", "2 min 05 s", "1 h 02 min". */
  duration(ms) {
    if (ms === null || ms === undefined) return '—';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    const s = ms / 1000;
    if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
    const hh = Math.floor(m / 60);
    if (hh < 48) return `${hh} h ${String(m % 60).padStart(2, '0')} min`;
    return `${Math.floor(hh / 24)} d ${hh % 24} h`;
  },

  /** ISO time → local date and time with seconds. */
  dateTime(iso) {
    if (!iso) return '—';
    return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  },

  /** ISO time → "in 4 min", "12 s ago", "yesterday"… relative to now. */
  relative(iso, now = Date.now()) {
    if (!iso) return '—';
    const diff = (new Date(iso).getTime() - now) / 1000;
    const abs = Math.abs(diff);
    const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });
    if (abs < 45) return rtf.format(Math.round(diff), 'second');
    if (abs < 45 * 60) return rtf.format(Math.round(diff / 60), 'minute');
    if (abs < 22 * 3600) return rtf.format(Math.round(diff / 3600), 'hour');
    return rtf.format(Math.round(diff / 86400), 'day');
  },
};

/** A <time> showing a relative time, with the exact local and UTC times on hover. */
export function timeEl(iso) {
  if (!iso) return h('span', { class: 'muted', text: '—' });
  return h('time', { dataset: { relative: '' }, attrs: { datetime: iso, title: `${fmt.dateTime(iso)} (${iso.replace('T', ' ').replace('Z', ' UTC')})` }, text: fmt.relative(iso) });
}

/** Keeps every relative time on the page current ("in 2 min" becomes "in 1 min") until `signal` aborts. */
export function tickRelativeTimes(signal, ms = 15000) {
  const t = setInterval(() => {
    for (const el of document.querySelectorAll('time[data-relative]')) {
      const text = fmt.relative(el.getAttribute('datetime'));
      if (el.textContent !== text) el.textContent = text;
    }
  }, ms);
  signal.addEventListener('abort', () => clearInterval(t), { once: true });
}

const STATUS_LABEL = {
  queued: 'Queued', running: 'Running', done: 'Done', failed: 'Failed', cancelled: 'Cancelled',
  ok: 'OK', idle: 'Idle', enabled: 'Enabled', disabled: 'Disabled', stopping: 'Stopping', unavailable: 'Unavailable',
};

/** A status pill: a coloured dot AND the status word, so colour is never the only signal. */
export function pill(status, label) {
  return h('span', { class: ['pill', `pill-${status}`], dataset: { status } },
    h('span', { class: 'pill-dot', attrs: { 'aria-hidden': 'true' } }),
    label || STATUS_LABEL[status] || status);
}

/** A progress bar with a text label ("1,200 / 5,000 · 24%"); indeterminate while the total is unknown. */
export function progressBar(done, total, { label } = {}) {
  const known = Number.isFinite(total) && total > 0;
  const pct = known ? Math.min(100, Math.floor((100 * (done || 0)) / total)) : null;
  const bar = h('progress', { class: 'progress', max: known ? total : undefined, attrs: { 'aria-label': label || 'Progress' } });
  if (known) bar.value = Math.min(done || 0, total);
  const text = known ? `${fmt.num(done || 0)} / ${fmt.num(total)} · ${pct}%` : 'starting…';
  return h('div', { class: 'progress-wrap' }, bar, h('span', { class: 'progress-text', text }));
}

/* ---------- toasts ---------- */

let toastRegion = null;

function region() {
  if (!toastRegion) {
    toastRegion = h('section', { class: 'toasts', attrs: { 'aria-label': 'Notifications', 'aria-live': 'polite' } });
    document.body.append(toastRegion);
  }
  return toastRegion;
}

/**
 * Shows a toast. `tone`: ok | error | info | warn. `fields`: [[label, value], …] shown as a list. Errors stay until
 * closed; others close after `timeout` ms. Returns {el, update(opts), close()}.
 */
export function toast(opts) {
  const el = h('div', { class: 'toast', attrs: { role: opts.tone === 'error' ? 'alert' : 'status' } });
  let timer = null;
  const close = () => { clearTimeout(timer); el.remove(); };
  const render = (o) => {
    el.className = `toast toast-${o.tone || 'info'}`;
    el.dataset.tone = o.tone || 'info';
    if (o.id) el.dataset.action = o.id;
    setChildren(el,
      h('div', { class: 'toast-head' },
        pill(o.tone === 'error' ? 'failed' : o.tone === 'warn' ? 'cancelled' : o.tone === 'ok' ? 'done' : 'queued',
          o.tone === 'error' ? 'Error' : o.tone === 'warn' ? 'Note' : o.tone === 'ok' ? 'Done' : 'Working'),
        h('strong', { class: 'toast-title', text: o.title }),
        h('button', { class: 'icon-button', type: 'button', attrs: { 'aria-label': 'Dismiss notification' }, onclick: close }, '×')),
      o.body ? h('p', { class: 'toast-body' }, o.body) : null,
      o.fields && o.fields.length ? h('dl', { class: 'toast-fields' },
        o.fields.map(([k, v, key]) => [h('dt', { text: k }), h('dd', { dataset: key ? { field: key } : {} }, v)])) : null,
      o.link ? h('p', { class: 'toast-link' }, h('a', { href: o.link.href, text: o.link.label })) : null);
    clearTimeout(timer);
    const ms = o.timeout ?? (o.tone === 'error' ? 0 : 10000);
    if (ms > 0) timer = setTimeout(close, ms);
  };
  render(opts);
  region().prepend(el);
  return { el, update: (o) => render({ ...opts, ...o }), close };
}

/* ---------- modals ---------- */

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function focusables(root) {
  return [...root.querySelectorAll(FOCUSABLE)].filter((e) => !e.closest('[hidden]') && e.getClientRects().length);
}

/**
 * Opens a modal dialog. `content`: nodes for the body; `actions`: [{label, tone, onClick(ctx), id}] (onClick may
 * return a promise; the buttons are disabled meanwhile; resolve to false to keep the dialog open). Esc, the close
 * button and "Cancel" close it; focus returns to the element focused before. Returns {dialog, close(), body}.
 */
export function modal({ title, content, actions = [], onClose, wide, initialFocus, describedBy }) {
  const opener = document.activeElement;
  const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
  const body = h('div', { class: 'modal-body' }, content);
  const foot = h('div', { class: 'modal-actions' });
  const dialog = h('dialog', { class: ['modal', wide && 'modal-wide'], attrs: { 'aria-labelledby': titleId, 'aria-describedby': describedBy } },
    h('div', { class: 'modal-head' },
      h('h2', { id: titleId, text: title }),
      h('button', { class: 'icon-button', type: 'button', attrs: { 'aria-label': 'Close dialog' }, onclick: () => close() }, '×')),
    body, foot);
  let closed = false;
  const close = (result) => {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close();
    dialog.remove();
    // The opener may have been re-rendered meanwhile: fall back to its successor with the same id.
    const back = opener && (opener.isConnected ? opener : opener.id && document.getElementById(opener.id));
    if (back && typeof back.focus === 'function') back.focus();
    if (onClose) onClose(result);
  };
  const ctx = { dialog, body, close };
  for (const a of actions) {
    const btn = h('button', { type: 'button', class: ['button', a.tone && `button-${a.tone}`], dataset: a.id ? { action: a.id } : {}, text: a.label });
    btn.addEventListener('click', async () => {
      if (!a.onClick) { close(); return; }
      const buttons = [...foot.querySelectorAll('button')];
      buttons.forEach((b) => { b.disabled = true; });
      dialog.setAttribute('aria-busy', 'true');
      try {
        const keep = await a.onClick(ctx);
        if (keep !== false) close(a.id || true);
      } finally {
        buttons.forEach((b) => { b.disabled = false; });
        dialog.removeAttribute('aria-busy');
      }
    });
    foot.append(btn);
  }
  dialog.addEventListener('cancel', (e) => { e.preventDefault(); if (!dialog.hasAttribute('aria-busy')) close(); });
  dialog.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const f = focusables(dialog);
    if (!f.length) return;
    const first = f[0];
    const last = f[f.length - 1];
    if (e.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  });
  document.body.append(dialog);
  dialog.showModal();
  const target = (initialFocus && initialFocus(ctx)) || focusables(body)[0] || foot.querySelector('button:last-child');
  if (target) target.focus();
  return ctx;
}

/** A confirmation dialog; resolves true when confirmed, false when cancelled or dismissed. */
export function confirmDialog({ title, content, confirmLabel, danger }) {
  return new Promise((resolve) => {
    let answer = false;
    modal({
      title,
      content,
      actions: [
        { label: 'Cancel', id: 'cancel' },
        { label: confirmLabel, id: 'confirm', tone: danger ? 'danger' : 'primary', onClick: () => { answer = true; } },
      ],
      initialFocus: (ctx) => ctx.dialog.querySelector('[data-action="cancel"]'),
      onClose: () => resolve(answer),
    });
  });
}

/** Pretty JSON in a <pre>, or a dash. */
export function jsonBlock(v) {
  if (v === null || v === undefined) return h('span', { class: 'muted', text: '—' });
  return h('pre', { class: 'json' }, JSON.stringify(v, null, 2));
}

/** Debounces `fn` by `ms`. */
export function debounce(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

export const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  if (signal) signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});
