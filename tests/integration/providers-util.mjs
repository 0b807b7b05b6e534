// providers-util.mjs — helpers for the metadata-provider tests: a generator of provider records (deterministic),
// their JSON-lines text, the canonical form and hash the spec in src/providers/record.h defines (computed here
// independently of the C code), a psql session that holds a lock until told to let go, and job triggering.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { api, waitRun, waitFor } from './lib.mjs';

const STATUSES = ['ongoing', 'completed', 'hiatus', 'cancelled'];

/** Record number `g` of a provider's catalogue; `rev` changes the metadata (title, chapters, tags). */
export function providerRecord(prefix, g, rev = 0) {
  const r = {
    id: `${prefix}-${g}`,
    title: rev ? `Series ${g} (rev ${rev})` : `Series ${g}`,
    altTitles: g % 3 ? [`Alt ${g}`, `Autre ${g}`] : [],
    status: STATUSES[g % 4],
    year: 1990 + (g % 30),
    totalVolumes: g % 5 ? g % 40 : null,
    totalChapters: g % 7 ? String(g % 300 + rev) : `${g % 300}.5`,
    coverUrl: `https://covers.example/${prefix}/${g}.jpg`,
    description: g % 2 ? `Description of series ${g}.` : null,
    tags: ['action', 'drama', 'romance', 'seinen', 'shoujo'].filter((_, i) => (g + i + rev) % 3 === 0),
  };
  return r;
}

/** The canonical text of an already-normalised record: the ten keys, sorted, compact. */
export function canonicalText(r) {
  const keys = ['altTitles', 'coverUrl', 'description', 'id', 'status', 'tags', 'title', 'totalChapters',
    'totalVolumes', 'year'];
  const o = {};
  for (const k of keys) o[k] = r[k] === undefined ? (k === 'altTitles' || k === 'tags' ? [] : null) : r[k];
  return JSON.stringify(o);
}

export function recordHash(r) {
  return createHash('sha256').update(canonicalText(r)).digest('hex');
}

/** JSON-lines text of `records` (objects are written with their keys in a shuffled order: order must not matter). */
export function jsonLines(records) {
  return records.map((r) => {
    if (typeof r === 'string') return r; // a raw (possibly malformed) line
    const entries = Object.entries(r);
    entries.reverse();
    return JSON.stringify(Object.fromEntries(entries));
  }).join('\n') + '\n';
}

export function range(from, to) {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Triggers `jobkey` with `params` and waits for the run to end. */
export async function runJob(d, jobkey, params = {}, { dryrun = false, ms = 60000 } = {}) {
  const res = await api(d, 'POST', `/api/v1/admin/batch/jobs/${jobkey}/run`, { body: { params, dryrun } });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return waitRun(d, jobkey, res.body.data.id, ms);
}

/**
 * Opens a psql session on `url`, runs `BEGIN; <lockSql>` and keeps the transaction open until release() commits it.
 */
export async function holdLock(url, lockSql) {
  const p = spawn('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', url], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (b) => { out += b; });
  p.stderr.on('data', (b) => { err += b; });
  p.stdin.write(`BEGIN;\n${lockSql};\nSELECT 'locked';\n`);
  await waitFor(() => out.includes('locked') || p.exitCode !== null, 10000, 'the test lock');
  if (!out.includes('locked')) throw new Error(`could not take the lock: ${err}`);
  return {
    async release() {
      p.stdin.write('COMMIT;\n');
      p.stdin.end();
      await waitFor(() => p.exitCode !== null, 10000, 'the lock session to end');
    },
  };
}
