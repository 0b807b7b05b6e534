// lib.mjs — the integration-test harness: a fresh database per test file (a copy of the migrated template that
// scripts/test.sh made), the real daemon started as a child process on a free loopback port, HTTP helpers, and
// psql for looking at what the daemon wrote. Nothing here mocks the system under test.
// The daemon connects as the least-privileged role scripts/test.sh made (COMICBATCH_APP_ROLE, default cbapp: only
// what `comicbatch grants` printed, no superuser, owner of nothing of the platform's); the tests' own SQL runs as
// the superuser of the URL they were given.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const BIN = process.env.COMICBATCH_BIN || new URL('../../build/comicbatch', import.meta.url).pathname;
export const ADMIN_TOKEN = 'integration-admin-token-0123456789';
const TEMPLATE_URL = process.env.COMICBATCH_DATABASE_URL;
const REDIS_URL = process.env.COMICBATCH_REDIS_URL;
export const APP_ROLE = process.env.COMICBATCH_APP_ROLE || 'cbapp';
if (!TEMPLATE_URL) throw new Error('COMICBATCH_DATABASE_URL is not set: run the tests through `make test`');

let dbCounter = 0;

/** Runs SQL on `url`; returns rows as arrays of strings (NULL → null). */
export function sql(url, query) {
  const out = execFileSync('psql', ['-X', '-q', '-At', '-F', '\x1f', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', query],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.split('\n').filter((l) => l.length).map((l) => l.split('\x1f').map((v) => (v === '' ? null : v)));
}

/** The single value of a one-row, one-column query. */
export function sqlValue(url, query) {
  const rows = sql(url, query);
  return rows.length ? rows[0][0] : null;
}

function urlForDb(name) {
  return TEMPLATE_URL.replace(/\/[^/?]+\?/, `/${name}?`);
}

/** The superuser URL of database `name` on the test cluster (for databases a test makes itself). */
export const databaseUrl = urlForDb;

/** `url` with its user replaced by `role` (default: the daemon's least-privileged role). */
export function roleUrl(url, role = APP_ROLE) {
  return /[?&]user=/.test(url) ? url.replace(/([?&]user=)[^&]*/, `$1${role}`) : `${url}&user=${role}`;
}

/** Runs the CLI synchronously as the least-privileged role (unless env says otherwise); returns { status, out }. */
export function cli(dbUrl, args, env = {}) {
  const r = spawnSync(BIN, args, {
    env: { ...process.env, COMICBATCH_DATABASE_URL: roleUrl(dbUrl), COMICBATCH_REDIS_URL: REDIS_URL, ...env },
    encoding: 'utf8', timeout: 120000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** A new database, a copy of the migrated template `cbtemplate`. */
export function newDatabase() {
  const name = `cb_${process.pid}_${++dbCounter}`;
  sql(urlForDb('postgres'), `CREATE DATABASE ${name} TEMPLATE cbtemplate`);
  return urlForDb(name);
}

/**
 * Starts `comicbatch serve` on a free port against `dbUrl`. `ini` adds settings (object of sections → keys).
 * Returns { base, port, proc, logs(), stop(), kill() }.
 */
export async function startDaemon(dbUrl, ini = {}, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cbd-'));
  const portFile = join(dir, 'port');
  const sections = {
    server: { port_file: portFile },
    runs: { heartbeat_seconds: 1, lease_seconds: 6, workers: 2 },
    paths: { data_dir: dir },
    ...ini,
  };
  sections.server = { port_file: portFile, ...(ini.server || {}) };
  sections.runs = { heartbeat_seconds: 1, lease_seconds: 6, workers: 2, ...(ini.runs || {}) };
  const text = Object.entries(sections)
    .map(([s, kv]) => `[${s}]\n` + Object.entries(kv).map(([k, v]) => `${k} = ${v}`).join('\n'))
    .join('\n\n');
  const cfg = join(dir, 'comicbatch.ini');
  writeFileSync(cfg, text + '\n');
  let log = '';
  const proc = spawn(BIN, ['--config', cfg, 'serve'], {
    env: {
      ...process.env, COMICBATCH_DATABASE_URL: roleUrl(dbUrl), COMICBATCH_REDIS_URL: REDIS_URL,
      COMICBATCH_LISTEN: '127.0.0.1:0', COMICBATCH_ADMIN_TOKEN: ADMIN_TOKEN, ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  let exited = null;
  proc.on('exit', (code, sig) => { exited = { code, sig }; });
  const deadline = Date.now() + 15000;
  while (!existsSync(portFile)) {
    if (exited) throw new Error(`daemon exited early (${JSON.stringify(exited)}):\n${log}`);
    if (Date.now() > deadline) throw new Error(`daemon did not start in 15 s:\n${log}`);
    await sleep(25);
  }
  const port = Number(readFileSync(portFile, 'utf8').trim());
  const d = {
    base: `http://127.0.0.1:${port}`, port, proc, dir,
    logs: () => log,
    exited: () => exited,
    async stop() {
      if (exited) return exited;
      proc.kill('SIGTERM');
      const until = Date.now() + 20000;
      while (!exited && Date.now() < until) await sleep(20);
      if (!exited) { proc.kill('SIGKILL'); throw new Error(`daemon did not stop on SIGTERM:\n${log}`); }
      return exited;
    },
    async kill() {
      proc.kill('SIGKILL');
      while (!exited) await sleep(10);
    },
  };
  return d;
}

/** Calls the API. Returns { status, body (parsed JSON or text), headers }. */
export async function api(d, method, path, { body, token = ADMIN_TOKEN, raw, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) { payload = JSON.stringify(body); h['Content-Type'] = 'application/json'; }
  const res = await fetch(d.base + path, { method, headers: h, body: payload });
  const text = await res.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Polls `fn` until it returns a truthy value or `ms` passes; returns the value or throws with `what`. */
export async function waitFor(fn, ms = 10000, what = 'condition') {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// A psql session kept open across steps: step(sql) sends statements and resolves once they ran (or psql failed).
export function psqlSession(url) {
  const p = spawn('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', url], { stdio: ['pipe', 'pipe', 'pipe'] });
  const s = { out: '', err: '', n: 0 };
  p.stdout.on('data', (b) => { s.out += b; });
  p.stderr.on('data', (b) => { s.err += b; });
  s.step = async (query, ms = 15000) => {
    const mark = `step-${++s.n}`;
    p.stdin.write(`${query};\nSELECT '${mark}';\n`);
    await waitFor(() => s.out.includes(mark) || p.exitCode !== null, ms, `psql step ${mark}`);
    if (!s.out.includes(mark)) throw new Error(`psql failed: ${s.err}`);
  };
  s.send = (query) => p.stdin.write(`${query};\n`); // without waiting (the statement may block)
  s.end = async () => {
    p.stdin.end();
    await waitFor(() => p.exitCode !== null, 15000, 'psql to exit');
    return p.exitCode;
  };
  return s;
}

/** Waits until run `id` of `jobkey` reaches a final status; returns the run. */
export async function waitRun(d, jobkey, id, ms = 20000) {
  return waitFor(async () => {
    const r = await api(d, 'GET', `/api/v1/admin/batch/jobs/${jobkey}?limit=200`);
    const run = r.body.data.find((x) => x.id === id);
    return run && ['done', 'failed', 'cancelled'].includes(run.status) ? run : null;
  }, ms, `run ${id} of ${jobkey} to finish`);
}

/** Creates a platform user with `role` and a live session; returns { userid, token }. */
export function makeUserSession(dbUrl, role) {
  const token = `session-${role}-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const userid = sqlValue(dbUrl, `INSERT INTO users.account (username, email, role) VALUES
    ('u_${role}_${Date.now()}_${Math.floor(Math.random() * 1e6)}', 'x${Date.now()}${Math.random()}@example.test', '${role}') RETURNING id`);
  sql(dbUrl, `INSERT INTO users.session (userid, tokenhash, expiresat) VALUES ('${userid}',
    encode(sha256('${token}'::bytea), 'hex'), now() + interval '1 hour')`);
  return { userid, token };
}

/**
 * A query for what of comicbatch sits on the platform's tables: triggers (by name, by function schema, or a function
 * `role` owns) and trigger functions `role` owns. Empty once the accelerators are removed.
 */
export const comicbatchOnPlatform = (role) => `SELECT t.tgname || ' on ' || c.oid::regclass FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
  WHERE NOT t.tgisinternal AND n.nspname IN ('core', 'library', 'social', 'users', 'analytics', 'crawler', 'system')
    AND c.relname NOT LIKE 'batch%'
    AND (t.tgname LIKE 'comicbatch%' OR pn.nspname IN ('jobstate', 'metadata') OR p.proowner = '${role}'::regrole)
  UNION ALL SELECT 'function ' || p.oid::regprocedure FROM pg_proc p JOIN pg_namespace pn ON pn.oid = p.pronamespace
  WHERE p.proowner = '${role}'::regrole AND p.prorettype = 'trigger'::regtype AND p.proname NOT LIKE 'batch%'`;
