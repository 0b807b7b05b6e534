// sched-util.mjs — helpers shared by the sched_*.test.mjs files (issue 13: time zones, the missed-slot ledger,
// deadlines, retries, pauses): reading a schedule entry and the ledger through the API, moving a job's stored slot
// in the database (to make a slot due without waiting for it), a local webhook receiver, and wall-clock arithmetic
// in a zone done with the platform's own Intl data — an implementation independent of the daemon's TZif reader.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { api, sql, sqlValue, waitFor } from './lib.mjs';

export const B = '/api/v1/admin/batch';

/** The schedule entry of `jobkey` (GET /schedule). */
export async function entry(d, jobkey) {
  const r = await api(d, 'GET', `${B}/schedule`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.data.find((e) => e.jobkey === jobkey);
}

/** PATCHes `jobkey`'s schedule with `body`; asserts 200 and returns the entry. */
export async function patch(d, jobkey, body) {
  const r = await api(d, 'PATCH', `${B}/schedule/${jobkey}`, { body });
  assert.equal(r.status, 200, `PATCH ${jobkey} ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data;
}

/** The ledger rows of `jobkey`, newest first (GET /schedule/:jobKey/missed). */
export async function missed(d, jobkey, query = '') {
  const r = await api(d, 'GET', `${B}/schedule/${jobkey}/missed${query}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.data;
}

/** Waits until `jobkey`'s ledger has a row with `reason` (and `pred(row)`); returns it. */
export async function waitMissed(d, jobkey, reason, pred = () => true, ms = 10000) {
  return waitFor(async () => (await missed(d, jobkey)).find((m) => m.reason === reason && pred(m)), ms,
    `a ${reason} row in ${jobkey}'s ledger`);
}

/** Epoch milliseconds of a timestamptz SQL expression, e.g. stored(db, 'nextrunat', 'system.canary'). */
export function stored(db, column, jobkey) {
  const v = sqlValue(db, `SELECT round(extract(epoch FROM ${column}) * 1000) FROM system.batchschedule
    WHERE jobkey = '${jobkey}'`);
  return v === null ? null : Number(v);
}

/** Sets `jobkey`'s nextrunat to `secondsAgo` seconds before now (whole seconds); returns the slot in ms. */
export function dueSince(db, jobkey, secondsAgo, column = 'nextrunat') {
  return Number(sqlValue(db, `UPDATE system.batchschedule SET ${column} = date_trunc('second', now())
    - make_interval(secs => ${secondsAgo}) WHERE jobkey = '${jobkey}'
    RETURNING round(extract(epoch FROM ${column}) * 1000)`));
}

/** Sets `jobkey`'s `column` to the slot of an "every `step` minutes" cron `stepsAgo` steps before now; returns it (ms). */
export function slotAgo(db, jobkey, step, stepsAgo, column = 'nextrunat') {
  const s = step * 60;
  return Number(sqlValue(db, `UPDATE system.batchschedule SET ${column} = to_timestamp(
    floor(extract(epoch FROM now()) / ${s}) * ${s} - ${stepsAgo * s}) WHERE jobkey = '${jobkey}'
    RETURNING round(extract(epoch FROM ${column}) * 1000)`));
}

/** A local HTTP server that records JSON POSTs: { url, got: [bodies], close() }. */
export async function webhook() {
  const got = [];
  const server = createServer((req, res) => {
    let b = '';
    req.on('data', (c) => { b += c; });
    req.on('end', () => { got.push(JSON.parse(b)); res.writeHead(204); res.end(); });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, got, close: () => server.close() };
}

const formats = new Map();

/** The wall clock of `zone` at epoch ms `t`: { y, mo, d, h, mi } (Intl, not the daemon's code). */
export function wall(t, zone) {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric',
      minute: 'numeric', timeZoneName: 'short',
    });
    formats.set(zone, f);
  }
  const parts = f.formatToParts(new Date(t));
  const n = (k) => Number(parts.find((p) => p.type === k).value);
  return { y: n('year'), mo: n('month'), d: n('day'), h: n('hour'), mi: n('minute'),
    abbr: parts.find((p) => p.type === 'timeZoneName').value };
}

/** `zone`'s UTC offset at epoch ms `t`, in ms (Intl; whole minutes). */
export function offsetMs(t, zone) {
  const w = wall(t, zone);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi) - Math.floor(t / 60000) * 60000;
}

/** `t` as `zone`'s wall clock with its offset, e.g. 2027-03-15T02:30:00-04:00 (Intl). */
export function localIso(t, zone) {
  const w = wall(t, zone);
  const o = offsetMs(t, zone) / 60000;
  const p2 = (v) => String(v).padStart(2, '0');
  return `${w.y}-${p2(w.mo)}-${p2(w.d)}T${p2(w.h)}:${p2(w.mi)}:00${o < 0 ? '-' : '+'}`
    + `${p2(Math.floor(Math.abs(o) / 60))}:${p2(Math.abs(o) % 60)}`;
}

/**
 * When a fixed-time daily job at h:mi in `zone` fires on the local date y-mo-d, by the DST policy of
 * src/sched/cron.h worked out with Intl: the first instant whose wall clock shows h:mi (the first of the two on a
 * fall-back day); on a spring-forward day whose gap swallows h:mi, the transition itself (the first instant after
 * the gap). Returns { t, gap }. For ordinary DST transitions (one within a day and a half, of 5 min to 3 h).
 */
export function dailyFire(y, mo, d, zone, h, mi) {
  const L = Date.UTC(y, mo - 1, d, h, mi); // the wall time read as if it were UTC
  const offs = [...new Set([-36, -12, 0, 12, 36].map((k) => offsetMs(L + k * 3600000, zone)))];
  const hits = offs.map((o) => L - o).filter((t) => {
    const w = wall(t, zone);
    return w.y === y && w.mo === mo && w.d === d && w.h === h && w.mi === mi;
  });
  if (hits.length) return { t: Math.min(...hits), gap: false };
  // In the gap: before it (lo) the old, smaller offset; after it (hi) the new one. The first minute of the new one.
  let lo = L - Math.max(...offs), hi = L - Math.min(...offs);
  const after = offsetMs(hi, zone);
  while (hi - lo > 60000) {
    const m = lo + Math.floor((hi - lo) / 120000) * 60000;
    if (offsetMs(m, zone) === after) hi = m; else lo = m;
  }
  return { t: hi, gap: true };
}

/** The local dates of `zone` from the one at epoch ms `from` on (`k0` days before it), as [y, mo, d]. */
function* localDates(from, zone, k0 = -1) {
  const w = wall(from, zone);
  for (let k = k0; ; k++) {
    const day = new Date(Date.UTC(w.y, w.mo - 1, w.d + k));
    yield [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
  }
}

/** The next fire after epoch ms `after` of a fixed-time daily job at h:mi in `zone`: dailyFire's { t, gap }. */
export function nextDailyFire(after, zone, h, mi) {
  for (const [y, mo, d] of localDates(after, zone)) {
    const f = dailyFire(y, mo, d, zone, h, mi);
    if (f.t > after) return f;
  }
  return null; // not reached
}

/** nextDailyFire's epoch ms. */
export const nextDaily = (after, zone, h, mi) => nextDailyFire(after, zone, h, mi).t;

/** The next fire after epoch ms `after` of a daily h:mi job in `zone` that a spring-forward gap moves (within
 *  `days`), or null. */
export function nextGapFire(after, zone, h, mi, days = 800) {
  let n = 0;
  for (const [y, mo, d] of localDates(after, zone)) {
    if (n++ > days) return null;
    const f = dailyFire(y, mo, d, zone, h, mi);
    if (f.gap && f.t > after) return f.t;
  }
  return null; // not reached
}

/** Audit rows of `target` as { actor, action, details }. */
export function audits(db, target, action) {
  return sql(db, `SELECT actor, action, details::text FROM system.auditlog WHERE target = '${target}'
    ${action ? `AND action = '${action}'` : ''} ORDER BY id`).map(([actor, act, details]) =>
    ({ actor, action: act, details: JSON.parse(details) }));
}
