// storage.orphan_cleanup against a real S3-compatible server on loopback (s3rver), with every request's SigV4
// signature recomputed by an independent implementation (@smithy/signature-v4) in a proxy in front of it
// (s3_verify.mjs): orphans' objects and rows go, referenced and young ones stay, no request is ever badly signed;
// when the server answers 500 or is gone, no row whose object still exists is deleted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newDatabase, startDaemon, api, sql, waitRun } from './lib.mjs';
import { startS3 } from './s3_verify.mjs';

const CREDS = { accessKeyId: 'AKIDCOMICBATCHTEST', secretAccessKey: 'wJalr/XUtnFEMI+K7MDENG=bPxRfiCY', region: 'eu-west-3',
  bucket: 'media' };
const N = 240;
let s3, d, dbUrl;

// Keys with characters that must be percent-encoded in the signed path.
const keyOf = (g) => `covers/${g % 5}/file ${g}+v=1.webp`;
const referenced = (g) => g % 3 === 0;
const old = (g) => g % 4 !== 0;

before(async () => {
  s3 = await startS3(CREDS);
  dbUrl = newDatabase();
  sql(dbUrl, `INSERT INTO core.comic (id, title, slug) VALUES (1, 'C', 'c');
    INSERT INTO core.mediafile (id, storagekey, url, contenttype, sizebytes, createdat)
      SELECT g, 'covers/' || (g % 5) || '/file ' || g || '+v=1.webp', 'https://cdn.example.test/' || g, 'image/webp', 100 + g,
             CASE WHEN g % 4 <> 0 THEN now() - interval '3 days' ELSE now() - interval '1 hour' END
      FROM generate_series(1, ${N}) g;
    INSERT INTO core.comicart (comicid, mediafileid) SELECT 1, g FROM generate_series(3, ${N}, 3) g;`);
  for (let g = 1; g <= N; g++) if (g % 10 !== 0) await s3.putObject(keyOf(g), `object ${g}`);
});

// Every instance on a database claims from the same queue, so the wrong-secret daemon of the first test must be
// the only one running while its run is claimed; the good daemon starts after it.
const s3Settings = (secret) => ({
  storage: { backend: 's3', s3_endpoint: s3.endpoint, s3_bucket: CREDS.bucket, s3_region: CREDS.region,
    s3_access_key: CREDS.accessKeyId, s3_secret_key: secret },
});
async function goodDaemon() {
  d ??= await startDaemon(dbUrl, s3Settings(CREDS.secretAccessKey));
  return d;
}

after(async () => { await d?.stop(); await s3?.stop(); });

async function cleanup(body = {}) {
  await goodDaemon();
  const res = await api(d, 'POST', '/api/v1/admin/batch/storage/cleanup', { body });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return waitRun(d, 'storage.orphan_cleanup', res.body.data.id, 60000);
}

const rowIds = () => new Set(sql(dbUrl, 'SELECT id FROM core.mediafile').map(([id]) => Number(id)));

test('the verifier is real: a wrong secret is caught, the run fails, no row is deleted', async () => {
  assert.equal(d, undefined, 'no other instance may claim this run');
  const bad = await startDaemon(dbUrl, s3Settings('not-the-secret'));
  try {
    const res = await api(bad, 'POST', '/api/v1/admin/batch/storage/cleanup', { body: {} });
    const run = await waitRun(bad, 'storage.orphan_cleanup', res.body.data.id, 60000);
    assert.equal(run.status, 'failed');
    assert.match(run.lasterror, /S3 HEAD .*: HTTP 403/); // a HEAD answer has no body to name the code
    assert.ok(s3.badSignatures.length > 0 && s3.badSignatures.every((b) => /signature mismatch/.test(b)));
    assert.equal(rowIds().size, N);
  } finally {
    await bad.stop();
    s3.badSignatures.length = 0;
  }
});

test('S3 answering 500: the run fails and no row is deleted', async () => {
  s3.failWith = 500;
  try {
    const run = await cleanup();
    assert.equal(run.status, 'failed');
    assert.match(run.lasterror, /HTTP 500/);
    assert.equal(run.meta.filesDeleted, 0);
    assert.equal(run.meta.failed > 0, true);
    assert.equal(run.meta.stoppedEarly, true, 'a store that fails every request stops the run early');
    assert.equal(rowIds().size, N);
  } finally {
    s3.failWith = 0;
  }
  assert.deepEqual(s3.badSignatures, []);
});

test('orphans are deleted from S3 then from the database; signatures verified independently', async () => {
  const before = s3.requests.length;
  const run = await cleanup();
  assert.equal(run.status, 'done', run.lasterror);
  assert.deepEqual(s3.badSignatures, [], 'every request carried a valid SigV4 signature');
  assert.ok(s3.requests.length > before, 'the daemon talked to the S3 server');
  const rows = rowIds();
  let deleted = 0, absent = 0, bytes = 0;
  for (let g = 1; g <= N; g++) {
    const orphan = !referenced(g) && old(g);
    const exists = await s3.objectExists(keyOf(g));
    if (orphan) {
      assert.ok(!rows.has(g), `row ${g} deleted`);
      assert.ok(!exists, `object ${g} deleted`);
      if (g % 10 === 0) absent++; else { deleted++; bytes += 100 + g; }
    } else {
      assert.ok(rows.has(g), `row ${g} kept`);
      assert.equal(exists, g % 10 !== 0, `object ${g} untouched`);
    }
  }
  assert.deepEqual([run.meta.filesDeleted, run.meta.alreadyAbsent, run.meta.failed, run.meta.bytesFreed],
    [deleted, absent, 0, bytes]);
  assert.equal(run.meta.backend, 's3');
});

test('S3 server gone: connection errors keep the rows', async () => {
  sql(dbUrl, `UPDATE core.mediafile SET createdat = now() - interval '3 days'`); // the young ones become orphans
  const young = [...rowIds()].filter((g) => !referenced(g));
  assert.ok(young.length > 0);
  await s3.stop();
  s3 = null;
  const run = await cleanup();
  assert.equal(run.status, 'failed');
  assert.match(run.lasterror, /S3 HEAD/);
  for (const g of young) assert.ok(rowIds().has(g), `row ${g} kept while the store is unreachable`);
});
