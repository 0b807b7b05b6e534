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

/** The wall clock of `zone` at epoch ms `t`: { y, mo, d, h, mi } (Intl, not the daemon's code). */
export function wall(t, zone) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(new Date(t));
  const n = (k) => Number(parts.find((p) => p.type === k).value);
  return { y: n('year'), mo: n('month'), d: n('day'), h: n('hour'), mi: n('minute') };
}

/** The first whole minute after epoch ms `after` at which `zone`'s clock shows h:mi (scans minute by minute). */
export function nextWall(after, zone, h, mi, horizonMinutes = 3 * 1440) {
  let t = Math.floor(after / 60000) * 60000 + 60000;
  for (let i = 0; i < horizonMinutes; i++, t += 60000) {
    const w = wall(t, zone);
    if (w.h === h && w.mi === mi) return t;
  }
  throw new Error(`${h}:${mi} not seen in ${zone} within ${horizonMinutes} minutes`);
}

/** Audit rows of `target` as { actor, action, details }. */
export function audits(db, target, action) {
  return sql(db, `SELECT actor, action, details::text FROM system.auditlog WHERE target = '${target}'
    ${action ? `AND action = '${action}'` : ''} ORDER BY id`).map(([actor, act, details]) =>
    ({ actor, action: act, details: JSON.parse(details) }));
}
