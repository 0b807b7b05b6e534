// failover-util.mjs — the infrastructure of the failover tests (failover_*.test.mjs, issue 11): private PostgreSQL
// clusters beside the suite's (a primary, a `pg_basebackup -R` streaming standby, hard stops, restarts and promotion,
// all by scripts/pg-replica.sh over unix sockets), a PgBouncer in transaction mode (scripts/pgbouncer-scratch.sh),
// the suite's migrated template copied into a new cluster, and the small readers the tests share (who leads, the
// leadership row, the daemon's connections as the server sees them). Nothing here mocks the system under test.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, sql, sqlValue } from './lib.mjs';
import { metrics, metricValue } from './foundation-util.mjs';

const ROOT = new URL('../..', import.meta.url).pathname;
const TEMPLATE_URL = process.env.COMICBATCH_DATABASE_URL;

/** Runs scripts/NAME with `args`; returns its stdout, trimmed. Throws with its stderr on failure. */
export function script(name, ...args) {
  try {
    return execFileSync(`${ROOT}scripts/${name}`, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    throw new Error(`scripts/${name} ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

/** A fresh directory for clusters, short enough for socket paths (107 bytes), traversable by `postgres`. */
export function clusterRoot() {
  const dir = mkdtempSync('/tmp/cbf.');
  chmodSync(dir, 0o755);
  return dir;
}

/** `url` with database `db` instead of the one it names. */
export function withDatabase(url, db) {
  return url.replace(/^postgresql:\/\/\/[^?]*\?/, `postgresql:///${db}?`);
}

/**
 * Starts a new pg-scratch.sh cluster in `dir` (socket port `port`) holding database `db`, a copy of the suite's
 * migrated template: its roles are made first (the template's objects belong to them), then pg_dump | psql.
 * Returns the superuser URL of `db`.
 */
export function startClusterWithTemplate(dir, port, db) {
  const uri = execFileSync(`${ROOT}scripts/pg-scratch.sh`, ['start', dir],
    { encoding: 'utf8', env: { ...process.env, PGPORT_SCRATCH: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] })
    .trim();
  const admin = withDatabase(uri, 'postgres');
  for (const [role, login] of sql(TEMPLATE_URL, `SELECT rolname, rolcanlogin FROM pg_roles
      WHERE rolname !~ '^pg_' AND rolname <> current_user`)) {
    sql(admin, `CREATE ROLE ${role} ${login === 't' ? 'LOGIN' : ''}`);
  }
  sql(admin, `CREATE DATABASE ${db}`);
  const url = withDatabase(uri, db);
  execFileSync('bash', ['-o', 'pipefail', '-c', 'pg_dump --no-publications --no-subscriptions -d "$1" |'
    + ' psql -X -q -v ON_ERROR_STOP=1 -d "$2" >/dev/null', 'copy', TEMPLATE_URL, url],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  return url;
}

/** A libpq multi-host URL over the unix socket directories `dirs` and their `ports` (read-write targets only). */
export function multiHostUrl(db, dirs, ports) {
  return `postgresql:///${db}?host=${dirs.join(',')}&port=${ports.join(',')}&user=postgres`
    + '&target_session_attrs=read-write';
}

/** Stops whatever pg-scratch.sh clusters and PgBouncers live under `root`, then removes it. */
export function cleanupRoot(root, clusters = [], bouncers = []) {
  for (const b of bouncers) { try { script('pgbouncer-scratch.sh', 'stop', `${root}/${b}`); } catch { /* gone */ } }
  for (const c of clusters) { try { script('pg-scratch.sh', 'stop', `${root}/${c}`); } catch { /* gone */ } }
  rmSync(root, { recursive: true, force: true });
}

/** The comicbatch_leader gauge of each daemon (null for one that exited or does not answer). */
export async function leaderFlags(ds) {
  const out = [];
  for (const d of ds) {
    if (d.exited()) { out.push(null); continue; }
    try {
      out.push(metricValue(await metrics(d), 'comicbatch_leader'));
    } catch {
      out.push(null);
    }
  }
  return out;
}

/** The leadership row (system.batchleader) of database `url`. */
export function leaderRow(url) {
  const [epoch, instance, backendpid, age] = sql(url, `SELECT epoch, instance, backendpid,
    extract(epoch FROM now() - heartbeatat) FROM system.batchleader WHERE id = 1`)[0];
  return { epoch: Number(epoch), instance, backendpid: Number(backendpid), age: Number(age) };
}

/** The daemon's sessions on database `url`, by application name ("comicbatch-listener" → count). */
export function sessions(url) {
  const out = {};
  for (const [app, n] of sql(url, `SELECT application_name, count(*) FROM pg_stat_activity
      WHERE datname = current_database() AND application_name LIKE 'comicbatch-%' GROUP BY 1`)) out[app] = Number(n);
  return out;
}

/** GET /readyz status, or 0 when the daemon does not answer. */
export async function readyz(d) {
  try {
    return (await api(d, 'GET', '/readyz', { token: null })).status;
  } catch {
    return 0;
  }
}

/** Milliseconds from `t0` to now. */
export const since = (t0) => Date.now() - t0;

/** Waits until the wall clock's second-of-minute is within [from, to] (UTC), at most a minute. */
export async function waitSecondOfMinute(from, to) {
  for (;;) {
    const s = new Date().getUTCSeconds();
    if (s >= from && s <= to) return;
    await sleep(200);
  }
}

export { sqlValue };

/**
 * The log lines of daemon `d` that tell of a slot of `jobkey` enqueued twice or not at all: an enqueue that failed
 * (tick.c "cannot enqueue a scheduled slot"), a slot recorded as missed for any reason (an `overlap` is what a second
 * enqueue of an enqueued slot becomes), a misfire; and any unique violation, whatever the job.
 */
export function slotTrouble(d, jobkey) {
  return d.logs().split('\n').filter((l) => /duplicate key|unique constraint/.test(l)
    || (l.includes(`job=${jobkey} `)
      && /cannot enqueue a scheduled slot|scheduled slot missed|missed scheduled slot/.test(l)));
}

/** `url` as the daemon's role (COMICBATCH_APP_ROLE when the suite runs it least-privileged; else unchanged). */
export function asAppRole(url) {
  const role = process.env.COMICBATCH_APP_ROLE;
  if (!role) return url;
  return /[?&]user=/.test(url) ? url.replace(/([?&]user=)[^&]*/, `$1${role}`) : `${url}&user=${role}`;
}

/** PgBouncer's clients (SHOW CLIENTS on its admin console at `bouncerUri`) as objects keyed by column name. */
export function bouncerClients(bouncerUri) {
  const url = bouncerUri.replace('postgresql:///?', 'postgresql:///pgbouncer?') + '&user=postgres';
  const out = execFileSync('psql', ['-X', '-q', '-A', '-F', '\x1f', '-d', url, '-c', 'SHOW CLIENTS'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n').filter((l) => l && !/^\(\d+ rows?\)$/.test(l));
  const cols = out[0].split('\x1f');
  return out.slice(1).map((l) => Object.fromEntries(l.split('\x1f').map((v, i) => [cols[i], v])));
}
