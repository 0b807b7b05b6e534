// history_client.mjs — the HTTP side of bench/bench_history.sh: every run-history read shape, requested one after
// another over one keep-alive connection, timed from the request to the last byte of the answer; prints one JSON
// line per shape: {shape, n, p50, p99, max, total} (milliseconds; total = the list's meta.total, or null).
//
//   node bench/history_client.mjs BASE_URL TOKEN IDS_FILE [N] [SECONDS_PER_SHAPE] [WARMUP] [PAGES_FROM]
//
// N (default 200) timed requests per shape after WARMUP (default 5) untimed ones; a shape stops early after
// SECONDS_PER_SHAPE (default 60) so that a slow server still finishes (n says how many were timed). Each shape
// first asks for its page count (untimed), unless PAGES_FROM names an earlier output on the same data. Pages and windows are drawn from
// a generator seeded per shape, so two servers get the same timed requests. IDS_FILE holds run ids, one per line.
// With DAEMON_PID and PGDATA (the cluster serves nobody else) in the environment it also reports cpu: the CPU time
// (ms) the daemon and the whole PostgreSQL cluster spent per timed request — what the machine's load cannot inflate
// much, unlike wall time on a shared machine.
import http from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';

const [base, token, idsFile, nArg, secArg, warmArg, pagesFrom] = process.argv.slice(2);
const N = Number(nArg || 200);
const SECONDS = Number(secArg || 60);
const WARMUP = Number(warmArg ?? 5);
const known = pagesFrom ? Object.fromEntries(readFileSync(pagesFrom, 'utf8').split('\n').filter(Boolean)
  .map((l) => JSON.parse(l)).map((r) => [r.shape, r])) : {};
const ids = readFileSync(idsFile, 'utf8').split('\n').filter(Boolean);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const B = '/api/v1/admin/batch';

let seed = 12345;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const pick = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function get(path) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(base + path, { agent, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode} ${Buffer.concat(chunks)}`));
        else resolve({ ms, body: JSON.parse(Buffer.concat(chunks).toString()) });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const DAY = 86400000;
const now = Number(process.env.NOW_MS || Date.now()); // the windows' reference moment (NOW_MS: shared by runs)
// A window of one to three days somewhere in the last week, at second precision (both edges fall inside hours).
const window = () => {
  const from = now - pick(3 * DAY, 7 * DAY - 3600000) + pick(0, 3599) * 1000;
  return `from=${iso(from)}&to=${iso(from + pick(DAY, 3 * DAY))}`;
};

// name → function (pages of the shape, from its first page) → path. `pages` is that shape's meta.pages.
const list = (q) => (pages, lim = 50) => `${B}/jobs?${q}${q ? '&' : ''}page=${pick(1, Math.max(1, pages))}&limit=${lim}`;
const shapes = [
  ['list: no filter, page 1', () => `${B}/jobs`],
  ['list: no filter, random page (limit 50)', list('')],
  ['list: ?page=2000&limit=200', () => `${B}/jobs?page=2000&limit=200`],
  ['list: no filter, last pages (limit 200)', (pages) => `${B}/jobs?page=${pick(Math.max(1, pages - 20), pages)}&limit=200`, 'limit=200'],
  ['list: jobkey=library.hasnew, random page', list('jobkey=library.hasnew')],
  ['list: jobkey=analytics.partition (rare), random page', list('jobkey=analytics.partition')],
  ['list: status=failed, random page', list('status=failed')],
  ['list: status=queued', () => `${B}/jobs?status=queued`],
  ['list: triggeredby=scheduler, random page', list('triggeredby=scheduler')],
  ['list: jobkey+status (hasnew, failed), random page', list('jobkey=library.hasnew&status=failed')],
  ['list: jobkey+triggeredby (hasnew, scheduler), random page', list('jobkey=library.hasnew&triggeredby=scheduler')],
  ['list: status+triggeredby (cancelled, scheduler), random page', list('status=cancelled&triggeredby=scheduler')],
  ['list: jobkey+status+triggeredby (flush_counters, failed, admin), random page',
    list('jobkey=analytics.flush_counters&status=failed&triggeredby=admin')],
  ['list: from/to window (1–3 days), random page', (pages) => `${B}/jobs?${window()}&page=${pick(1, Math.max(1, pages))}`],
  ['list: from/to window + status=failed, page 1', () => `${B}/jobs?${window()}&status=failed`],
  ['history: /jobs/library.hasnew, random page', (pages) => `${B}/jobs/library.hasnew?page=${pick(1, Math.max(1, pages))}`],
  ['history: /jobs/comics.ratings_recalc?status=failed', () => `${B}/jobs/comics.ratings_recalc?status=failed`],
  ['schedule: /schedule (with lastrun)', () => `${B}/schedule`],
  ['one run: /runs/:id', () => `${B}/runs/${ids[pick(0, ids.length - 1)]}`],
];

// CPU ticks (1/100 s) of a process, with its reaped children when `children`.
function ticks(pid, children) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ').map(Number);
    return f[11] + f[12] + (children ? f[13] + f[14] : 0);
  } catch { return 0; }
}
function cpuTicks() {
  const daemon = Number(process.env.DAEMON_PID || 0);
  const pgdata = process.env.PGDATA;
  if (!daemon || !pgdata) return null;
  const pm = Number(readFileSync(`${pgdata}/postmaster.pid`, 'utf8').split('\n')[0]);
  let t = ticks(daemon, false) + ticks(pm, true);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      if (Number(stat[1]) === pm) t += ticks(Number(d), false);
    } catch { /* gone */ }
  }
  return t;
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

// HISTORY_SHAPES (a regular expression): only the shapes whose name matches, e.g. while tuning one of them.
const only = process.env.HISTORY_SHAPES ? new RegExp(process.env.HISTORY_SHAPES) : null;
for (const [name, make, firstQuery] of shapes) {
  if (only && !only.test(name)) continue;
  // The shape's page count, from its first page (untimed), so random pages stay inside the list.
  const firstPath = make(1).replace(/page=\d+/, 'page=1').replace(/limit=\d+/, firstQuery ? 'limit=200' : '$&');
  let pages = known[name]?.pages;
  if (pages === undefined) pages = (await get(firstPath)).body.meta?.pages ?? 1;
  for (let i = 0; i < WARMUP; i++) await get(make(pages));
  // The timed requests draw from a seed of their own: the same sequence on both servers, whatever came before.
  seed = [...name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 2147483648, 7);
  const times = [];
  let total = null; // meta.total of the first timed request (the same request on both servers)
  const deadline = Date.now() + SECONDS * 1000;
  const c0 = cpuTicks();
  while (times.length < N && Date.now() < deadline) {
    const res = await get(make(pages));
    if (!times.length) total = res.body.meta?.total ?? null;
    times.push(res.ms);
  }
  await new Promise((res) => setTimeout(res, 200)); // let the cluster reap what it started
  const c1 = cpuTicks();
  times.sort((a, b) => a - b);
  const r = (x) => Math.round(x * 10) / 10;
  console.log(JSON.stringify({ shape: name, n: times.length, p50: r(pct(times, 50)), p99: r(pct(times, 99)),
    max: r(times[times.length - 1]), total, pages, cpu: c0 === null ? null : r(((c1 - c0) * 10) / times.length) }));
}
agent.destroy();
