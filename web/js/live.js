// live.js — the live run feed: reads GET /api/v1/admin/batch/events (Server-Sent Events) with a streamed fetch,
// because EventSource cannot send an Authorization header. Each `runs` event carries the queued and running runs
// plus those that finished in the last few seconds. The server ends a stream after a few minutes; we reconnect at
// once, and after an error with a growing backoff (0.5 s … 15 s). A 401 or 403 goes to the sign-in screen. The
// indicator turns "Live" on the first `runs` event, not on the stream's 200: during a database outage the server
// keeps the stream open with heartbeats only, and that is not live data.

import { NOT_ADMIN, authHeaders, onUnauthorizedNow } from './api.js';
import { sleep } from './ui.js';
import { setLive } from './shell.js';

/** Parses SSE text into events; returns [events, rest-of-buffer]. */
export function parseSse(buffer) {
  const events = [];
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop();
  for (const block of blocks) {
    let type = 'message';
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length) events.push({ type, data: data.join('\n') });
  }
  return [events, rest];
}

async function readStream(signal, onRuns) {
  const res = await fetch('/api/v1/admin/batch/events', {
    headers: { ...authHeaders(), Accept: 'text/event-stream' }, signal, cache: 'no-store', credentials: 'omit',
  });
  if (res.status === 401) { onUnauthorizedNow('Your token was not accepted.'); return 'unauthorized'; }
  if (res.status === 403) { onUnauthorizedNow(NOT_ADMIN); return 'unauthorized'; }
  if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
  setLive('waiting');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return 'ended';
    buffer += value;
    const [events, rest] = parseSse(buffer);
    buffer = rest;
    for (const ev of events) {
      if (ev.type !== 'runs') continue;
      setLive('live');
      try { onRuns(JSON.parse(ev.data)); } catch (e) { console.error('live: bad runs event', e); }
    }
  }
}

/**
 * Subscribes to the live feed until `signal` aborts. onRuns(runs[]) gets every update (the first one is the
 * current state, so a page can render from it directly).
 */
export async function subscribeRuns(signal, onRuns) {
  let backoff = 500;
  setLive('connecting');
  while (!signal.aborted) {
    try {
      const why = await readStream(signal, onRuns);
      if (why === 'unauthorized') return;
      backoff = 500;
      await sleep(100, signal); // the server closed a long stream on purpose: reconnect at once
    } catch (e) {
      if (signal.aborted) return;
      setLive('connecting');
      await sleep(backoff + Math.random() * 250, signal);
      backoff = Math.min(backoff * 2, 15000);
    }
  }
}
