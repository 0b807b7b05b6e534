// metadata.dump_refresh through the real daemon and Postgres: a first import inserts every record with the hash of
// its canonical form; a second dump with changed, new, unchanged, duplicate and malformed lines (bad JSON, missing
// id/title, wrong types, a line over 1 MiB, blank lines) reports each count, samples the malformed line numbers, and
// rewrites only the changed records; a gzip dump and a dump served over http on loopback (allowed only by the
// provider's explicit test switch) import the same way; a plain-http dump without the switch, and an upstream 404,
// fail the run with a clear error; a provider that is not configured (or, for an import, has no dump) is refused
// with 400 on the API, the schedule and before anything is stored; GET /api/v1/providers shows the counts and hides credentials in a dump URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stopClean } from './foundation-util.mjs';
import { newDatabase, startDaemon, api, sql, sqlValue } from './lib.mjs';
import { providerRecord, recordHash, jsonLines, range, runJob } from './providers-util.mjs';

const N = 3000;
let dbUrl, d, dir, server, port;
let served = Buffer.alloc(0);

function meta(run) {
  const m = run.meta;
  return { linesRead: m.linesRead, inserted: m.inserted, updated: m.updated, unchanged: m.unchanged,
    malformed: m.malformed, duplicates: m.duplicates };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cbdump-'));
  server = createServer((req, res) => {
    if (req.url !== '/dump.jsonl.gz') { res.writeHead(404); res.end('no such dump'); return; }
    res.writeHead(200, { 'Content-Type': 'application/gzip' });
    // Dribble the body out in odd-sized pieces so chunk boundaries fall inside gzip blocks and lines.
    let off = 0;
    const step = () => {
      if (off >= served.length) { res.end(); return; }
      res.write(served.subarray(off, off + 7001));
      off += 7001;
      setImmediate(step);
    };
    step();
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  port = server.address().port;
  dbUrl = newDatabase();
  d = await startDaemon(dbUrl, {
    metadata: { provider: 'acme' },
    'provider.acme': { dump: join(dir, 'acme.jsonl') },
    'provider.gz': { dump: join(dir, 'gz.jsonl.gz') },
    'provider.web': { dump: `http://127.0.0.1:${port}/dump.jsonl.gz`, allow_insecure_loopback: 'true' },
    'provider.web404': { dump: `http://127.0.0.1:${port}/missing.jsonl`, allow_insecure_loopback: 'true' },
    'provider.strict': { dump: `http://127.0.0.1:${port}/dump.jsonl.gz` },
    'provider.nodump': { allow_insecure_loopback: 'false' },
    'provider.secret': { dump: 'https://reader:hunter2@dumps.example.invalid/all.jsonl.gz?token=abc123&v=2' },
  });
  // The daily import must not fire in the middle of the test.
  await api(d, 'PATCH', '/api/v1/admin/batch/schedule/metadata.dump_refresh', { body: { isenabled: false } });
});

after(async () => {
  await stopClean(d); // a clean exit: under ASan that includes no leaks
  server?.close();
});

test('first import inserts every record with the hash of its canonical form', async () => {
  writeFileSync(join(dir, 'acme.jsonl'), jsonLines(range(1, N).map((g) => providerRecord('acme', g))));
  const run = await runJob(d, 'metadata.dump_refresh');
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.params.provider, 'acme');
  assert.equal(run.lockkey, 'metadata.dump_refresh:acme');
  assert.deepEqual(meta(run), { linesRead: N, inserted: N, updated: 0, unchanged: 0, malformed: 0, duplicates: 0 });
  assert.equal(run.rowsaffected, N);
  assert.equal(Number(sqlValue(dbUrl, "SELECT count(*) FROM metadata.providerrecord WHERE provider = 'acme'")), N);
  const rows = sql(dbUrl, `SELECT providerid, hash, record->>'title', record->>'totalChapters'
                           FROM metadata.providerrecord WHERE provider = 'acme' AND providerid IN
                           (SELECT 'acme-' || g FROM generate_series(1, ${N}, 97) g)`);
  assert.ok(rows.length > 25);
  for (const [id, hash, title, chapters] of rows) {
    const g = Number(id.split('-')[1]);
    const want = providerRecord('acme', g);
    assert.equal(hash, recordHash(want), `hash of ${id}`);
    assert.equal(title, want.title);
    assert.equal(chapters, want.totalChapters);
  }
  const state = sql(dbUrl, "SELECT recordcount, lastdumprunid FROM metadata.providerstate WHERE provider = 'acme'");
  assert.deepEqual(state, [[String(N), run.id]]);
});

test('a second dump reports changed, new, unchanged, duplicate and malformed lines; only changes are written', async () => {
  sql(dbUrl, `DROP TABLE IF EXISTS before_import;
              CREATE TABLE before_import AS SELECT providerid, xmin::text AS x FROM metadata.providerrecord
              WHERE provider = 'acme'`);
  const changed = new Set(range(1, N).filter((g) => g % 10 === 3)); // 300 changed
  const lines = range(1, N).map((g) => providerRecord('acme', g, changed.has(g) ? 2 : 0));
  for (const g of range(N + 1, N + 100)) lines.push(providerRecord('acme', g)); // 100 new
  // Two duplicates inside the first batch: an unchanged record again, and a changed copy of an unchanged record
  // after the original (the last occurrence wins).
  lines.splice(30, 0, providerRecord('acme', 20), providerRecord('acme', 25, 5));
  // Malformed lines at known positions (1-based line numbers after insertion).
  const bad = [
    ['{"id": "x-1", "title": ', 'invalid JSON'],
    ['{"title": "No id"}', 'missing id'],
    ['{"id": "x-2"}', 'missing title'],
    ['{"id": "x-3", "title": "T", "year": "1999"}', 'year'],
    ['{"id": "x-4", "title": "T", "tags": "action"}', 'tags'],
    ['{"id": "x-5", "title": "T", "totalChapters": "many"}', 'totalChapters'],
    ['[1, 2, 3]', 'not a JSON object'],
    [JSON.stringify({ id: 'x-6', title: 'T', description: 'y'.repeat(1100 * 1024) }), 'line longer'],
    ['{"id": "x-7", "title": "T", "status": "resting"}', 'status'],
    ['{"id": "x-8", "id": "x-9", "title": "T"}', 'duplicate'],
    ['not json at all', 'invalid JSON'],
    ['{"id": 12.5, "title": "T"}', 'id'],
  ];
  const positions = [];
  bad.forEach(([text], i) => {
    const at = 50 + i * 211;
    lines.splice(at, 0, text);
    positions.push(at + 1);
  });
  lines.splice(7, 0, '', '   '); // blank lines: read, not malformed
  lines.push(providerRecord('acme', 5)); // a duplicate of an unchanged record at the end
  const blankShift = (p) => (p > 7 ? p + 2 : p);
  writeFileSync(join(dir, 'acme.jsonl'), jsonLines(lines));
  const run = await runJob(d, 'metadata.dump_refresh');
  assert.equal(run.status, 'done', run.lasterror);
  assert.deepEqual(meta(run), {
    linesRead: N + 100 + 2 + bad.length + 2 + 1, inserted: 100, updated: changed.size + 1,
    unchanged: N - changed.size - 1 + 1, malformed: bad.length, duplicates: 2,
  });
  assert.equal(run.rowsaffected, 100 + changed.size + 1);
  const samples = run.meta.malformedSamples;
  assert.equal(samples.length, 10, 'the first 10 malformed lines are sampled');
  samples.forEach((s, i) => {
    assert.equal(s.line, blankShift(positions[i]), `sample ${i} line number`);
    assert.ok(s.reason.includes(bad[i][1]), `sample ${i}: "${s.reason}" should mention ${bad[i][1]}`);
  });
  // Exactly the changed records got a new row version; unchanged ones were not rewritten.
  const rewritten = sql(dbUrl, `SELECT p.providerid FROM metadata.providerrecord p JOIN before_import b USING
                                (providerid) WHERE p.provider = 'acme' AND p.xmin::text <> b.x ORDER BY 1`).map((r) => r[0]);
  assert.deepEqual(rewritten, [...changed, 25].map((g) => `acme-${g}`).sort());
  assert.equal(sqlValue(dbUrl, "SELECT hash FROM metadata.providerrecord WHERE providerid = 'acme-25'"),
    recordHash(providerRecord('acme', 25, 5)));
  const g = 13;
  assert.equal(sqlValue(dbUrl, `SELECT hash FROM metadata.providerrecord WHERE providerid = 'acme-${g}'`),
    recordHash(providerRecord('acme', g, 2)));
  assert.equal(Number(sqlValue(dbUrl, "SELECT count(*) FROM metadata.providerrecord WHERE provider = 'acme'")),
    N + 100);
});

test('the same dump again changes nothing', async () => {
  const run = await runJob(d, 'metadata.dump_refresh');
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.inserted, 0);
  assert.equal(run.meta.updated, 0);
  assert.equal(run.meta.unchanged, N + 100 + 1);
  assert.equal(run.rowsaffected, 0);
});

test('a dry run counts what an import would change and writes nothing', async () => {
  writeFileSync(join(dir, 'acme.jsonl'), jsonLines(range(1, 500).map((g) => providerRecord('acme', g, 9))));
  const before = sqlValue(dbUrl, "SELECT md5(string_agg(hash, ',' ORDER BY providerid)) FROM metadata.providerrecord");
  const run = await runJob(d, 'metadata.dump_refresh', {}, { dryrun: true });
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.updated, 500);
  assert.equal(run.meta.inserted, 0);
  assert.equal(sqlValue(dbUrl, "SELECT md5(string_agg(hash, ',' ORDER BY providerid)) FROM metadata.providerrecord"),
    before);
});

test('a gzip dump is detected from its bytes and imported', async () => {
  const text = jsonLines(range(1, N).map((g) => providerRecord('gz', g)));
  writeFileSync(join(dir, 'gz.jsonl.gz'), gzipSync(text));
  let run = await runJob(d, 'metadata.dump_refresh', { provider: 'gz' });
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.lockkey, 'metadata.dump_refresh:gz');
  assert.equal(run.meta.gzip, true);
  assert.deepEqual(meta(run), { linesRead: N, inserted: N, updated: 0, unchanged: 0, malformed: 0, duplicates: 0 });
  // Two gzip members back to back (what `cat a.gz b.gz` makes), with 250 changes in the second.
  const first = jsonLines(range(1, 1000).map((g) => providerRecord('gz', g)));
  const second = jsonLines(range(1001, N).map((g) => providerRecord('gz', g, g % 8 === 0 ? 3 : 0)));
  writeFileSync(join(dir, 'gz.jsonl.gz'), Buffer.concat([gzipSync(first), gzipSync(second)]));
  run = await runJob(d, 'metadata.dump_refresh', { provider: 'gz' });
  assert.equal(run.status, 'done', run.lasterror);
  assert.deepEqual(meta(run), { linesRead: N, inserted: 0, updated: 250, unchanged: N - 250, malformed: 0,
    duplicates: 0 });
  // A truncated gzip file fails the run, saying why; records of complete batches stay.
  const gz = gzipSync(text);
  writeFileSync(join(dir, 'gz.jsonl.gz'), gz.subarray(0, gz.length - 100));
  run = await runJob(d, 'metadata.dump_refresh', { provider: 'gz' });
  assert.equal(run.status, 'failed');
  assert.match(run.lasterror, /gzip/);
});

test('a dump served over http on loopback is streamed when the provider allows it', async () => {
  served = gzipSync(jsonLines(range(1, N).map((g) => providerRecord('web', g))));
  const run = await runJob(d, 'metadata.dump_refresh', { provider: 'web' });
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.bytesRead, served.length);
  assert.deepEqual(meta(run), { linesRead: N, inserted: N, updated: 0, unchanged: 0, malformed: 0, duplicates: 0 });
  assert.equal(sqlValue(dbUrl, "SELECT hash FROM metadata.providerrecord WHERE provider = 'web' AND providerid = 'web-77'"),
    recordHash(providerRecord('web', 77)));
});

test('plain http without the switch, and an upstream error, fail the run with a clear error', async () => {
  let run = await runJob(d, 'metadata.dump_refresh', { provider: 'strict' });
  assert.equal(run.status, 'failed');
  assert.match(run.lasterror, /not allowed/);
  run = await runJob(d, 'metadata.dump_refresh', { provider: 'web404' });
  assert.equal(run.status, 'failed');
  assert.match(run.lasterror, /404/);
  assert.equal(Number(sqlValue(dbUrl, "SELECT count(*) FROM metadata.providerrecord WHERE provider = 'strict'")), 0);
});

test('a provider that is not configured, or has no dump, is refused with 400 before a run is stored', async () => {
  const before = sqlValue(dbUrl, "SELECT count(*) FROM system.batchrun");
  const cases = [
    ['metadata.dump_refresh', 'nosuch', /provider nosuch is not configured \(no \[provider\.nosuch\] section; configured: .*acme.*\)/],
    ['metadata.series_refresh', 'nosuch', /provider nosuch is not configured/],
    ['metadata.dump_refresh', 'nodump', /provider\.nodump\.dump is not set/],
  ];
  for (const [job, provider, message] of cases) {
    const res = await api(d, 'POST', `/api/v1/admin/batch/jobs/${job}/run`, { body: { params: { provider } } });
    assert.equal(res.status, 400, `${job} ${provider}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.code, 'VALIDATION_ERROR');
    assert.equal(res.body.details.field, 'params.provider');
    assert.match(res.body.error, message);
  }
  // A configured provider without a dump is fine for the series tick (it refreshes from records already imported).
  const ok = await runJob(d, 'metadata.series_refresh', { provider: 'nodump' });
  assert.equal(ok.status, 'done', ok.lasterror);
  // The schedule refuses the same params, named where the operator sets them.
  const res = await api(d, 'PATCH', '/api/v1/admin/batch/schedule/metadata.dump_refresh',
    { body: { scheduledparams: { provider: 'nosuch' } } });
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.details.field, 'scheduledparams.provider');
  assert.equal(sqlValue(dbUrl, "SELECT count(*) FROM system.batchrun"), String(Number(before) + 1));
});

test('GET /api/v1/providers shows the active provider, its counts and last refresh, and hides credentials', async () => {
  const res = await api(d, 'GET', '/api/v1/providers');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const list = res.body.data;
  assert.equal(list[0].name, 'acme');
  assert.equal(list[0].active, true);
  assert.equal(list.filter((p) => p.active).length, 1);
  assert.equal(list[0].recordCount, N + 100);
  assert.equal(list[0].dump, join(dir, 'acme.jsonl'));
  const lastOk = sqlValue(dbUrl, `SELECT id FROM system.batchrun WHERE jobkey = 'metadata.dump_refresh'
                                   AND params->>'provider' = 'acme' AND status = 'done' AND NOT dryrun
                                   ORDER BY createdat DESC LIMIT 1`);
  assert.equal(list[0].lastDumpRefresh.runId, lastOk);
  assert.equal(list[0].lastDumpRefresh.meta.unchanged, N + 100 + 1);
  assert.equal(list[0].inflight, null);
  const web = list.find((p) => p.name === 'web');
  assert.equal(web.recordCount, N);
  const secret = list.find((p) => p.name === 'secret');
  assert.equal(secret.active, false);
  assert.equal(secret.lastDumpRefresh, null);
  assert.ok(!secret.dump.includes('hunter2') && !secret.dump.includes('abc123') && !secret.dump.includes('reader'),
    secret.dump);
  assert.match(secret.dump, /^https:\/\/\*\*\*@dumps\.example\.invalid\/all\.jsonl\.gz\?token=\*\*\*&v=\*\*\*$/);
  const noauth = await api(d, 'GET', '/api/v1/providers', { token: null });
  assert.equal(noauth.status, 401);
});
