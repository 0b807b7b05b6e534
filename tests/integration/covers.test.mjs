// covers.test.mjs — the cover-image proxy through the real daemon (issue 4, DESIGN §5) against an HTTPS upstream
// this file starts on loopback. Loopback upstreams are reachable only because daemon A sets the test switch
// cover_allow_loopback (and trusts the test CA); daemon B leaves the switch off to show loopback is refused.
// Names under c.test are pinned to chosen addresses with the test setting cover_resolve, so the connect-time
// check sees 10.x, 169.254.169.254, ::1, ::ffff:127.0.0.1 … without touching /etc/hosts. A cache that cannot be
// written (no temp file, or no commit) still serves every cover, from memory, and caches again once it can.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, statSync, writeFileSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { newDatabase, startDaemon, api, sql, sqlValue } from './lib.mjs';
import { stopClean } from './foundation-util.mjs';
import { makeCert, makeImages, startUpstream } from './covers-upstream.mjs';

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

let db, tls, images, up, A, B, U;

before(async () => {
  db = newDatabase();
  tls = makeCert();
  images = makeImages();
  up = await startUpstream(tls, images, { bigBytes: 200 * 1024, slowMs: 6000 });
  const p = up.port;
  U = (path) => `https://localhost:${p}${path}`;
  A = await startDaemon(db, {
    storage: {
      cover_allowed_hosts: `localhost:${p}, *.c.test:${p}`,
      cover_allow_loopback: 'true',
      cover_ca_file: tls.caFile,
      // (inih caps a config line at 200 characters: hence the short names)
      cover_resolve: [`localhost:${p}:127.0.0.1`, `priv.c.test:${p}:10.0.0.1`, `meta.c.test:${p}:169.254.169.254`,
        `lo2.c.test:${p}:127.0.0.2`, `ula.c.test:${p}:[fd00::1]`].join(' '),
      cover_max_bytes: '64k',
      cover_timeout: '2s',
    },
  });
  B = await startDaemon(db, {
    storage: {
      cover_allowed_hosts: `localhost:${p}, *.c.test:${p}, [::1]:${p}`,
      cover_ca_file: tls.caFile,
      cover_resolve: [`localhost:${p}:127.0.0.1`, `loop.c.test:${p}:127.0.0.1`, `v6loop.c.test:${p}:[::1]`,
        `mapped.c.test:${p}:[::ffff:127.0.0.1]`].join(' '),
    },
  });
});

after(async () => {
  await up?.close();
  await stopClean(A); // a clean exit: under ASan that includes no leaks
  await stopClean(B);
});

/** GETs `path` on daemon `d` without a token; the body as a Buffer, plus parsed JSON when it is JSON. */
async function get(d, path, headers = {}) {
  const res = await fetch(d.base + path, { headers });
  const buf = Buffer.from(await res.arrayBuffer());
  let json = null;
  if ((res.headers.get('content-type') || '').startsWith('application/json')) json = JSON.parse(buf.toString());
  return { status: res.status, headers: res.headers, buf, json };
}

const byUrl = (url) => `/api/v1/covers/by-url?url=${encodeURIComponent(url)}`;
const cacheDir = (d) => join(d.dir, 'cache', 'covers');

/** Every keyed file in the cache (what invalidation must count): [{ name, size }]; tmp/ is not part of it. */
function cachedFiles(d) {
  const out = [];
  const walk = (dir, depth) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (depth < 2 && e.isDirectory() && /^[0-9a-f]{2}$/.test(e.name)) walk(p, depth + 1);
      else if (depth === 2 && e.isFile()) out.push({ name: e.name, size: statSync(p).size });
    }
  };
  if (existsSync(cacheDir(d))) walk(cacheDir(d), 0);
  return out;
}

async function metric(d, series) {
  const r = await api(d, 'GET', '/metrics', { token: null });
  const line = r.body.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.split(' ')[1]) : 0;
}

function assertRefused(r, status, reason, what) {
  assert.equal(r.status, status, `${what}: ${r.status} ${r.buf.toString().slice(0, 300)}`);
  assert.ok(r.json, `${what}: an error envelope`);
  assert.equal(typeof r.json.error, 'string');
  assert.match(r.json.error, /^Cover refused: /);
  assert.equal(r.json.details.reason, reason, `${what}: ${JSON.stringify(r.json)}`);
  assert.equal(r.headers.get('cache-control'), 'no-store', 'refusals are never cached');
}

describe('cache: miss, hit, 304', () => {
  test('first request fetches, second is served from disk with the same bytes and ETag', async () => {
    const misses = await metric(A, 'comicbatch_cover_cache_total{result="miss"}');
    const hits = await metric(A, 'comicbatch_cover_cache_total{result="hit"}');
    const img = images['/a.png'];
    const r1 = await get(A, byUrl(U('/a.png')));
    assert.equal(r1.status, 200, r1.buf.toString());
    assert.ok(r1.buf.equals(img.body), 'same bytes as upstream');
    assert.equal(r1.headers.get('content-type'), 'image/png', 'type from magic bytes, not upstream octet-stream');
    assert.equal(r1.headers.get('cache-control'), 'public, max-age=3600');
    assert.equal(r1.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r1.headers.get('etag'), `"${sha256(img.body)}"`, 'strong ETag = SHA-256 of the body');
    assert.equal(up.hits('/a.png'), 1);

    // The file sits where the layout says: sha256 of the normalised URL, sharded ab/cd/.
    const key = sha256(`https://localhost:${up.port}/a.png`);
    const file = join(cacheDir(A), key.slice(0, 2), key.slice(2, 4), key);
    assert.ok(existsSync(file), `cache file ${file}`);

    // A differently spelled but equivalent URL is the same key.
    const r2 = await get(A, byUrl(`HTTPS://LocalHost:${up.port}/x/../a.png#frag`));
    assert.equal(r2.status, 200);
    assert.ok(r2.buf.equals(img.body));
    assert.equal(r2.headers.get('etag'), r1.headers.get('etag'));
    assert.equal(up.hits('/a.png'), 1, 'second request did not reach upstream');
    assert.equal(await metric(A, 'comicbatch_cover_cache_total{result="miss"}'), misses + 1);
    assert.equal(await metric(A, 'comicbatch_cover_cache_total{result="hit"}'), hits + 1);

    const r3 = await get(A, byUrl(U('/a.png')), { 'If-None-Match': r1.headers.get('etag') });
    assert.equal(r3.status, 304);
    assert.equal(r3.buf.length, 0);
    assert.equal(r3.headers.get('etag'), r1.headers.get('etag'));
    const r4 = await get(A, byUrl(U('/a.png')), { 'If-None-Match': `"nope", W/${r1.headers.get('etag')}` });
    assert.equal(r4.status, 304, 'a list with a weak form of the tag matches');
    const r5 = await get(A, byUrl(U('/a.png')), { 'If-None-Match': '"0000"' });
    assert.equal(r5.status, 200);
    assert.ok(r5.buf.equals(img.body));
    assert.equal(up.hits('/a.png'), 1);
  });

  test('every accepted type is recognised by its magic bytes', async () => {
    for (const [path, img] of Object.entries(images)) {
      const r = await get(A, byUrl(U(path)));
      assert.equal(r.status, 200, `${path}: ${r.buf.toString().slice(0, 200)}`);
      assert.equal(r.headers.get('content-type'), img.type, path);
      assert.ok(r.buf.equals(img.body), path);
    }
  });

  test('20 concurrent misses of one URL make one upstream fetch', async () => {
    const url = U('/delayed.png?ms=600');
    const rs = await Promise.all(Array.from({ length: 20 }, () => get(A, byUrl(url))));
    for (const r of rs) {
      assert.equal(r.status, 200, r.buf.toString().slice(0, 200));
      assert.ok(r.buf.equals(images['/a.png'].body));
    }
    assert.equal(up.hits('/delayed.png'), 1);
  });

  test('a redirect to an allowlisted URL is followed', async () => {
    const r = await get(A, byUrl(U(`/redirect?to=${encodeURIComponent(U('/c.gif'))}`)));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'image/gif');
    assert.ok(r.buf.equals(images['/c.gif'].body));
  });
});

describe('by comic id', () => {
  test('serves core.comic.coverurl; a comic without a cover or no comic is 404; a bad id is 400', async () => {
    const withCover = sqlValue(db, `INSERT INTO core.comic (title, slug, coverurl) VALUES ('Cov', 'cov-${Date.now()}',
      '${U('/b.jpg')}') RETURNING id`);
    const without = sqlValue(db, `INSERT INTO core.comic (title, slug) VALUES ('NoCov', 'nocov-${Date.now()}')
      RETURNING id`);
    const r = await get(A, `/api/v1/covers/${withCover}`);
    assert.equal(r.status, 200, r.buf.toString());
    assert.equal(r.headers.get('content-type'), 'image/jpeg');
    assert.ok(r.buf.equals(images['/b.jpg'].body));
    const n = await get(A, `/api/v1/covers/${without}`);
    assert.equal(n.status, 404);
    assert.equal(n.json.code, 'NOT_FOUND');
    const gone = await get(A, `/api/v1/covers/${Number(without) + 1000000}`);
    assert.equal(gone.status, 404);
    // past bigint: strtoll saturated to 2^63-1 (1 past it) and PostgreSQL answered 22003 (404 and an error log)
    for (const id of ['abc', '9223372036854775808', '99999999999999999999', '+5', '%205', '5%00.jpg']) {
      const bad = await get(A, `/api/v1/covers/${id}`);
      assert.equal(bad.status, 400, `${id}: ${bad.buf}`);
      if (!id.includes('%00')) assert.equal(bad.json.details.field, 'comicId', id);
    }
    assert.doesNotMatch(A.logs(), /22003/);
    // The database URL obeys the same policy as by-url.
    const evil = sqlValue(db, `INSERT INTO core.comic (title, slug, coverurl) VALUES ('Evil', 'evil-${Date.now()}',
      'https://priv.c.test:${up.port}/a.png') RETURNING id`);
    assertRefused(await get(A, `/api/v1/covers/${evil}`), 403, 'blocked_address', 'comic cover on 10.0.0.1');
  });
});

describe('SSRF battery: every refusal is a clear 4xx/5xx envelope and never reaches a forbidden address', () => {
  const p = () => up.port;
  test('URL-level refusals', async () => {
    assertRefused(await get(A, byUrl(`http://localhost:${p()}/a.png`)), 400, 'scheme', 'non-https');
    assertRefused(await get(A, byUrl(`https://user:pw@localhost:${p()}/a.png`)), 400, 'userinfo', 'userinfo');
    assertRefused(await get(A, byUrl('https://evil.example/a.png')), 403, 'host_not_allowed', 'not allowlisted');
    assertRefused(await get(A, byUrl('https://localhost:1/a.png')), 403, 'port_not_allowed',
      'allowlisted host, other port');
    assertRefused(await get(A, byUrl(`https://2130706433:${p()}/a.png`)), 400, 'host', 'numeric host form');
    const missing = await get(A, '/api/v1/covers/by-url');
    assert.equal(missing.status, 400);
    assert.equal(missing.json.details.field, 'url');
  });

  test('allowlisted names resolving to private, metadata and reserved addresses (loopback switch on)', async () => {
    const cases = [['priv', '10.0.0.1'], ['meta', '169.254.169.254'], ['lo2', '127.0.0.2'], ['ula', 'fd00::1']];
    for (const [name, addr] of cases) {
      const r = await get(A, byUrl(`https://${name}.c.test:${p()}/a.png`));
      assertRefused(r, 403, 'blocked_address', `${name} → ${addr}`);
      assert.ok(r.json.error.includes(addr), r.json.error);
    }
  });

  test('loopback is refused when the switch is off: name → 127.0.0.1, [::1], ::ffff:127.0.0.1', async () => {
    const before = up.hits('/a.png') + up.hits('/d.webp');
    for (const host of ['loop.c.test', 'localhost', 'v6loop.c.test', 'mapped.c.test', '[::1]']) {
      assertRefused(await get(B, byUrl(`https://${host}:${p()}/d.webp`)), 403, 'blocked_address', host);
    }
    assert.equal(up.hits('/a.png') + up.hits('/d.webp'), before, 'no request reached the upstream');
  });

  test('redirects are re-checked: to a private address, to a foreign host, too many', async () => {
    const toPrivate = U(`/redirect?to=${encodeURIComponent(`https://meta.c.test:${p()}/a.png`)}`);
    const r1 = await get(A, byUrl(toPrivate));
    assertRefused(r1, 403, 'blocked_address', 'redirect to 169.254.169.254');
    assert.equal(r1.json.details.redirects, 1);
    assertRefused(await get(A, byUrl(U(`/redirect?to=${encodeURIComponent('https://evil.example/x.png')}`))), 403,
      'host_not_allowed', 'redirect off the allowlist');
    assertRefused(await get(A, byUrl(U(`/redirect?to=${encodeURIComponent(`http://localhost:${p()}/a.png`)}`))), 400,
      'scheme', 'redirect to http');
    assertRefused(await get(A, byUrl(U('/loop'))), 502, 'too_many_redirects', 'redirect loop');
    assert.equal(up.hits('/loop'), 4, 'the first request and three redirects, no more');
  });

  test('bodies: oversized (declared and streamed), not an image, SVG, upstream 404', async () => {
    assertRefused(await get(A, byUrl(U('/big-declared.png'))), 422, 'too_large', 'Content-Length over the cap');
    assertRefused(await get(A, byUrl(U('/big-chunked.png'))), 422, 'too_large', 'chunked body over the cap');
    assertRefused(await get(A, byUrl(U('/text.png'))), 422, 'not_image', 'HTML labelled image/png');
    assertRefused(await get(A, byUrl(U('/cover.svg'))), 422, 'svg', 'SVG');
    assertRefused(await get(A, byUrl(U('/missing'))), 404, 'upstream_not_found', 'upstream 404');
    const names = new Set(cachedFiles(A).map((f) => f.name));
    for (const path of ['/big-declared.png', '/big-chunked.png', '/text.png', '/cover.svg', '/missing']) {
      assert.ok(!names.has(sha256(U(path))), `${path} was not cached`);
    }
    const tmp = readdirSync(join(cacheDir(A), 'tmp'));
    assert.deepEqual(tmp, [], 'failed fetches leave no temp files');
  });

  test('an upstream slower than cover_timeout is cut off', async () => {
    const t0 = Date.now();
    assertRefused(await get(A, byUrl(U('/slow.png'))), 422, 'timeout', 'slow upstream');
    const took = Date.now() - t0;
    assert.ok(took < 5500, `gave up at the 2 s timeout, not when the upstream finished (${took} ms)`);
  });
});

describe('invalidation', () => {
  test('needs an admin token', async () => {
    const r = await api(A, 'POST', '/api/v1/covers/invalidate-cache', { token: null });
    assert.equal(r.status, 401);
  });

  test('reports the exact files and bytes, leaves tmp alone, audits, and the next request refetches', async () => {
    // A miss, a hit from the file (which prepares a shared reply), a hit from that prepared reply: the
    // invalidation must retire the prepared reply too.
    for (let i = 0; i < 3; i++) assert.equal((await get(A, byUrl(U('/e.avif')))).status, 200);
    const files = cachedFiles(A);
    assert.ok(files.length >= 5, `several covers cached (${files.length})`);
    const stray = join(cacheDir(A), 'tmp', 'in-progress.tmp');
    writeFileSync(stray, 'half a fetch');
    images['/e.avif'].body[100] ^= 0xff; // the upstream "corrects" its file at the same URL
    const hitsBefore = up.hits('/e.avif');
    const r = await api(A, 'POST', '/api/v1/covers/invalidate-cache');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.data.filesDeleted, files.length);
    assert.equal(r.body.data.bytesFreed, files.reduce((s, f) => s + f.size, 0));
    assert.deepEqual(cachedFiles(A), []);
    assert.ok(existsSync(stray), 'temp files are not the cache');
    const audit = sql(db, `SELECT actor, details->>'filesDeleted', details->>'bytesFreed' FROM system.auditlog
      WHERE action = 'covers.invalidate_cache' ORDER BY id DESC LIMIT 1`);
    assert.deepEqual(audit, [['admin-token', String(files.length), String(r.body.data.bytesFreed)]]);

    const again = await get(A, byUrl(U('/e.avif')));
    assert.equal(again.status, 200);
    assert.ok(again.buf.equals(images['/e.avif'].body), 'the corrected bytes');
    assert.equal(up.hits('/e.avif'), hitsBefore + 1, 'refetched');
    // A bad body is refused like every other no-field action's, and wipes nothing (it did: 200).
    for (const raw of ['garbage', '{"all":true}', '[]', 'null']) {
      const refused = await api(A, 'POST', '/api/v1/covers/invalidate-cache', { raw });
      assert.equal(refused.status, 400, `${raw}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.code, 'VALIDATION_ERROR');
    }
    assert.equal(cachedFiles(A).length, 1, 'the refetched cover is still cached');
    const empty = await api(A, 'POST', '/api/v1/covers/invalidate-cache');
    assert.equal(empty.body.data.filesDeleted, 1);
  });

  test('a fetch in flight during invalidation is not counted and leaves a whole file', async () => {
    const url = U('/trickle.png?ms=800');
    const pending = get(A, byUrl(url));
    await new Promise((res) => setTimeout(res, 300));
    await api(A, 'POST', '/api/v1/covers/invalidate-cache');
    const r = await api(A, 'POST', '/api/v1/covers/invalidate-cache');
    assert.deepEqual(r.body.data, { filesDeleted: 0, bytesFreed: 0 }, 'half-written covers are not in the cache');
    const done = await pending;
    assert.equal(done.status, 200);
    assert.ok(done.buf.equals(images['/a.png'].body));
    const key = sha256(url);
    const f = cachedFiles(A).find((x) => x.name === key);
    assert.ok(f, 'committed after the invalidation');
    const hit = await get(A, byUrl(url));
    assert.ok(hit.buf.equals(images['/a.png'].body), 'the committed file is whole');
    assert.equal(up.hits('/trickle.png'), 1);
  });
});

describe('a cover cache that cannot be written', () => {
  test('covers are still served, from memory: counted, logged, fetched again next time; cached again once it can', async () => {
    const dir = cacheDir(A);
    const tmp = join(dir, 'tmp');
    const img = images['/d.webp'];
    const etag = `"${sha256(img.body)}"`;
    const uncached = () => metric(A, 'comicbatch_cover_uncached_total{}');
    const before = await uncached();
    const hits0 = up.hits('/d.webp');

    // No temp file can be created (disk full, read-only, …; here a file where tmp/ goes).
    rmSync(tmp, { recursive: true, force: true });
    writeFileSync(tmp, 'in the way');
    try {
      for (let i = 0; i < 2; i++) {
        const r = await get(A, byUrl(U('/d.webp?v=1')));
        assert.equal(r.status, 200, r.buf.toString());
        assert.ok(r.buf.equals(img.body), 'the same bytes as upstream');
        assert.equal(r.headers.get('etag'), etag);
        assert.equal(r.headers.get('content-type'), 'image/webp');
      }
      assert.equal(up.hits('/d.webp'), hits0 + 2, 'not cached: fetched each time');
    } finally {
      rmSync(tmp, { force: true });
      mkdirSync(tmp);
    }

    // The body is written but cannot be committed (a file where its shard folder goes): served from the temp file.
    const key = sha256(`https://localhost:${up.port}/d.webp?v=2`);
    const shard = join(dir, key.slice(0, 2), key.slice(2, 4));
    mkdirSync(join(dir, key.slice(0, 2)), { recursive: true });
    assert.ok(!existsSync(shard), shard);
    writeFileSync(shard, 'in the way');
    try {
      const r = await get(A, byUrl(U('/d.webp?v=2')));
      assert.equal(r.status, 200, r.buf.toString());
      assert.ok(r.buf.equals(img.body));
      assert.equal(r.headers.get('etag'), etag);
    } finally {
      rmSync(shard, { force: true });
    }
    assert.equal(await uncached(), before + 3);
    assert.match(A.logs(), /cover cache cannot be written: covers are served from memory/);
    assert.deepEqual(readdirSync(tmp), [], 'no temp file left behind');

    // Writable again: the next miss is cached and the one after it is a hit.
    assert.equal((await get(A, byUrl(U('/d.webp?v=2')))).status, 200);
    const hits = up.hits('/d.webp');
    const r = await get(A, byUrl(U('/d.webp?v=2')));
    assert.equal(r.status, 200);
    assert.ok(r.buf.equals(img.body));
    assert.equal(up.hits('/d.webp'), hits, 'cached again');
    assert.equal(await uncached(), before + 3);
  });
});
