// storage.orphan_cleanup with the local-folder backend (the default: ${data_dir}/media), through the real daemon:
// generated media rows with files on disk, referenced in each of the five ways or not, young or old; a run deletes
// exactly the old orphans' files and rows (counting files already gone), keeps everything else; a storage error
// keeps the row (the DELIBERATE DIFFERENCE from the seed, which deletes the row anyway); dry run; bad params.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { newDatabase, startDaemon, api, sql, sqlValue, waitRun } from './lib.mjs';

const N = 3000;
let d, dbUrl, media;

// Media rows 1..N: key m/<g%40>/<g>.webp, size g bytes, age (g % 72) hours. References: cover g%7=0, art g%11=0,
// page g%13=0, avatar g%17=0, comic.coverurl g%19=0. No file on disk when g%23=0.
function seed(url) {
  sql(url, `INSERT INTO core.comic (id, title, slug, coverurl) SELECT c, 'C' || c, 'c' || c, NULL FROM generate_series(1, 200) c;
    INSERT INTO core.chapter (id, comicid, number) SELECT c, c, 1 FROM generate_series(1, 200) c;
    INSERT INTO core.mediafile (id, storagekey, url, contenttype, sizebytes, createdat)
      SELECT g, 'm/' || (g % 40) || '/' || g || '.webp', 'https://cdn.example.test/m/' || g || '.webp', 'image/webp', g,
             now() - (g % 72) * interval '1 hour' - interval '1 minute'
      FROM generate_series(1, ${N}) g;
    INSERT INTO core.comiccover (comicid, mediafileid) SELECT 1 + g % 200, g FROM generate_series(7, ${N}, 7) g;
    INSERT INTO core.comicart (comicid, mediafileid) SELECT 1 + g % 200, g FROM generate_series(11, ${N}, 11) g;
    INSERT INTO core.page (chapterid, mediafileid, pagenumber) SELECT 1 + g % 200, g, g FROM generate_series(13, ${N}, 13) g;
    INSERT INTO users.account (username, email, avatarurl)
      SELECT 'u' || g, 'u' || g || '@example.test', 'https://cdn.example.test/m/' || g || '.webp'
      FROM generate_series(17, ${N}, 17) g;
    UPDATE core.comic c SET coverurl = 'https://cdn.example.test/m/' || (c.id * 19) || '.webp' WHERE c.id * 19 <= ${N};`);
}

const referenced = (g) => g % 7 === 0 || g % 11 === 0 || g % 13 === 0 || g % 17 === 0 || g % 19 === 0;
const keyOf = (g) => `m/${g % 40}/${g}.webp`;

function writeFiles() {
  for (let g = 1; g <= N; g++) {
    if (g % 23 === 0) continue;
    mkdirSync(join(media, `m/${g % 40}`), { recursive: true });
    writeFileSync(join(media, keyOf(g)), Buffer.alloc(g % 64, 1));
  }
}

before(async () => {
  dbUrl = newDatabase();
  seed(dbUrl);
  d = await startDaemon(dbUrl);
  media = join(d.dir, 'media');
  writeFiles();
});
after(async () => { await d?.stop(); });

async function cleanup(body) {
  const res = await api(d, 'POST', '/api/v1/admin/batch/storage/cleanup', { body });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return waitRun(d, 'storage.orphan_cleanup', res.body.data.id, 60000);
}

const rowIds = () => new Set(sql(dbUrl, 'SELECT id FROM core.mediafile').map(([id]) => Number(id)));

test('bad params are 400 naming the field', async () => {
  for (const body of [{ olderthan: '24 hours' }, { olderthan: -1 }, { grace: '1h' }]) {
    const res = await api(d, 'POST', '/api/v1/admin/batch/storage/cleanup', { body });
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.body.code, 'VALIDATION_ERROR');
  }
  const res = await api(d, 'POST', '/api/v1/admin/batch/storage/cleanup', { body: { olderthan: 'x' } });
  assert.match(JSON.stringify(res.body), /olderthan/);
});

test('dry run counts the old orphans and touches nothing', async () => {
  const orphans = [];
  for (let g = 1; g <= N; g++) if (!referenced(g) && g % 72 >= 24) orphans.push(g);
  const run = await cleanup({ dryrun: true });
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.wouldDelete, orphans.length);
  assert.equal(run.meta.wouldFreeBytes, orphans.reduce((a, g) => a + g, 0));
  assert.equal(run.meta.filesDeleted, 0);
  assert.equal(rowIds().size, N);
  assert.ok(existsSync(join(media, keyOf(orphans[0]))));
});

test('a storage error keeps the row; everything else old and orphaned goes, object first', async () => {
  // Two orphans whose "object" the store cannot delete: a non-empty folder where the file should be.
  const stuck = [];
  for (let g = 1; g <= N && stuck.length < 2; g++) {
    if (!referenced(g) && g % 72 >= 24 && g % 23 !== 0) stuck.push(g);
  }
  for (const g of stuck) {
    execFileSync('rm', ['-f', join(media, keyOf(g))]);
    mkdirSync(join(media, keyOf(g), 'inside'), { recursive: true });
  }
  const run = await cleanup({});
  assert.equal(run.status, 'failed', 'a storage error fails the run (committed work kept)');
  assert.match(run.lasterror, /2 of \d+ orphaned objects could not be deleted/);
  assert.match(run.lasterror, new RegExp(keyOf(stuck[0]).replace(/\./g, '\\.')));

  const rows = rowIds();
  let deleted = 0, absent = 0, bytes = 0;
  for (let g = 1; g <= N; g++) {
    const orphan = !referenced(g) && g % 72 >= 24;
    const file = existsSync(join(media, keyOf(g)));
    if (stuck.includes(g)) {
      assert.ok(rows.has(g), `row ${g} kept: its object could not be deleted`);
      assert.ok(file);
    } else if (orphan) {
      assert.ok(!rows.has(g), `old orphan ${g} deleted`);
      assert.ok(!file, `old orphan ${g}'s file deleted`);
      if (g % 23 === 0) absent++; else { deleted++; bytes += g; }
    } else {
      assert.ok(rows.has(g), `row ${g} kept (${referenced(g) ? 'referenced' : 'young'})`);
      assert.equal(file, g % 23 !== 0, `file ${g} untouched`);
    }
  }
  assert.equal(run.meta.filesDeleted, deleted);
  assert.equal(run.meta.alreadyAbsent, absent);
  assert.equal(run.meta.failed, 2);
  assert.equal(run.meta.bytesFreed, bytes);
  assert.equal(run.rowsaffected, deleted + absent);

  // Once the store can delete them, the next run takes them and succeeds.
  for (const g of stuck) execFileSync('rm', ['-rf', join(media, keyOf(g))]);
  const again = await cleanup({});
  assert.equal(again.status, 'done', again.lasterror);
  assert.equal(again.meta.alreadyAbsent, 2);
  assert.equal(again.meta.filesDeleted, 0);
  for (const g of stuck) assert.ok(!rowIds().has(g));
});

test('olderthan is the grace period: 0s takes the young orphans too', async () => {
  const young = [];
  for (let g = 1; g <= N; g++) if (!referenced(g) && g % 72 < 24) young.push(g);
  const run = await cleanup({ olderthan: '0s' });
  assert.equal(run.status, 'done', run.lasterror);
  assert.equal(run.meta.filesDeleted + run.meta.alreadyAbsent, young.length);
  const left = Number(sqlValue(dbUrl, 'SELECT count(*) FROM core.mediafile'));
  let refs = 0;
  for (let g = 1; g <= N; g++) if (referenced(g)) refs++;
  assert.equal(left, refs, 'only referenced rows remain');
});

test('a key that would escape the store is refused and its row kept', async () => {
  sql(dbUrl, `INSERT INTO core.mediafile (storagekey, url, contenttype, sizebytes, createdat)
              VALUES ('../outside.webp', 'https://cdn.example.test/evil', 'image/webp', 1, now() - interval '2 days')`);
  writeFileSync(join(d.dir, 'outside.webp'), 'x');
  const run = await cleanup({});
  assert.equal(run.status, 'failed');
  assert.match(run.lasterror, /invalid storage key/);
  assert.equal(sqlValue(dbUrl, `SELECT count(*) FROM core.mediafile WHERE storagekey = '../outside.webp'`), '1');
  assert.ok(existsSync(join(d.dir, 'outside.webp')));
  sql(dbUrl, `DELETE FROM core.mediafile WHERE storagekey = '../outside.webp'`);
});
