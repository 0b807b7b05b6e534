// openapi.test.mjs — the OpenAPI 3.1 document (docs/openapi.json, served at /api/v1/openapi.json) against the real
// daemon (issue 10). The document must be a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator); every
// route the server registers (GET /api/v1/admin/routes) must be documented, and nothing else; every route is called
// for real, in success and error cases, and each real answer must be documented: its status among the operation's
// responses, its media type among that response's content, its body valid against that schema (ajv, JSON Schema
// 2020-12, the dialect of OpenAPI 3.1) and its documented headers present. A route added without documentation,
// or a handler answering what the document does not say, fails here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { Validator } from '@seriousme/openapi-schema-validator';
import { newDatabase, startDaemon, sql, sqlValue, waitFor, ADMIN_TOKEN, makeUserSession } from './lib.mjs';
import { makeCert, makeImages, startUpstream } from './covers-upstream.mjs';
import { providerRecord, jsonLines } from './providers-util.mjs';
import { ROOT, tempDir } from './ship-util.mjs';

const DOC = JSON.parse(readFileSync(join(ROOT, 'docs/openapi.json'), 'utf8'));
const B = '/api/v1/admin/batch';

let db;
let d; // the daemon under test
let noRedis; // a second daemon whose Redis is unreachable (readiness 503)
let oneThread; // a third with one handler thread and no queue (busy 503 on blocking routes)
let up; // the HTTPS upstream of the cover proxy
let userToken; // a live session of a non-admin user
const seen = new Map(); // "GET /path/{x}" → Set of statuses validated

// ---- the validator: ajv over the document's schemas ------------------------------------------------------------

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
// The document's refs point into it (#/components/…): register the components as a schema of their own.
const rebase = (node) => JSON.parse(JSON.stringify(node).replace(/"#\/components\/schemas\//g, '"components#/$defs/'));
ajv.addSchema({ $id: 'components', $defs: rebase(DOC.components.schemas) });
const compiled = new Map();
function validatorFor(schema) {
  const key = JSON.stringify(schema);
  if (!compiled.has(key)) compiled.set(key, ajv.compile(rebase(schema)));
  return compiled.get(key);
}
const deref = (o) => (o && o.$ref ? deref(o.$ref.split('/').slice(1).reduce((x, k) => x[k], DOC)) : o);
const templateRe = (p) => new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`);

/** Checks one real answer against the document; records it for the coverage check. */
function conform(method, route, url, res) {
  const op = DOC.paths[route]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${route} is documented`);
  assert.match(new URL(url, 'http://x').pathname, templateRe(route), `${url} is an instance of ${route}`);
  const doc = deref(op.responses[String(res.status)]);
  assert.ok(doc, `${method} ${route}: status ${res.status} is documented (${Object.keys(op.responses)}); body ${res.text.slice(0, 300)}`);
  for (const [name, h] of Object.entries(doc.headers || {})) {
    const v = res.headers.get(name);
    assert.ok(v !== null, `${method} ${route} ${res.status}: header ${name}`);
    const ok = validatorFor(h.schema)(v);
    assert.ok(ok, `${method} ${route} ${res.status}: header ${name}: ${v}`);
  }
  if (!doc.content) {
    assert.equal(res.buf.length, 0, `${method} ${route} ${res.status}: no body documented`);
  } else {
    const mt = (res.headers.get('content-type') || '').split(';')[0].trim();
    const media = doc.content[mt];
    assert.ok(media, `${method} ${route} ${res.status}: content type ${mt} is documented (${Object.keys(doc.content)})`);
    const body = mt === 'application/json' ? JSON.parse(res.text) : res.text;
    const v = validatorFor(media.schema);
    assert.ok(v(body), `${method} ${route} ${res.status}: ${ajv.errorsText(v.errors)}\n${res.text.slice(0, 1500)}`);
  }
  const k = `${method} ${route}`;
  if (!seen.has(k)) seen.set(k, new Set());
  seen.get(k).add(res.status);
}

/** Calls the daemon; returns { status, headers, buf, text }. */
async function call(daemon, method, url, { body, raw, token = ADMIN_TOKEN, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload = raw;
  if (body !== undefined) { payload = JSON.stringify(body); h['Content-Type'] = 'application/json'; }
  const res = await fetch(daemon.base + url, { method, headers: h, body: payload });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, buf, text: buf.toString('utf8') };
}

/** Calls, asserts the status, checks conformance; returns the answer (JSON parsed into .json when it is JSON). */
async function check(method, route, url, expect, opts = {}) {
  const res = await call(opts.daemon || d, method, url, opts);
  assert.ok([expect].flat().includes(res.status), `${method} ${url}: ${res.status} (expected ${expect}) ${res.text.slice(0, 500)}`);
  conform(method, route, url, res);
  try { res.json = JSON.parse(res.text); } catch { /* not JSON */ }
  return res;
}

// ---- set-up -----------------------------------------------------------------------------------------------------

before(async () => {
  db = newDatabase();
  const tls = makeCert();
  up = await startUpstream(tls, makeImages());
  const dir = tempDir('cbopenapi-');
  const dump = join(dir, 'catalog.jsonl');
  writeFileSync(dump, jsonLines([providerRecord('oa', 1), providerRecord('oa', 2)]));
  const p = up.port;
  const storage = {
    cover_allowed_hosts: `localhost:${p}, localhost:1`, cover_allow_loopback: 'true', cover_ca_file: tls.caFile,
    cover_resolve: `localhost:${p}:127.0.0.1 localhost:1:127.0.0.1`, cover_timeout: '2s', cover_max_bytes: '64k',
  };
  d = await startDaemon(db, { storage, 'provider.dump': { dump }, server: { max_body: '2k' }, runs: { workers: 1 } });
  // Its own database: its workers must not claim the runs of the daemon under test.
  noRedis = await startDaemon(newDatabase(), { runs: { scheduler: false } }, { COMICBATCH_REDIS_URL: 'redis://127.0.0.1:1/0' });
  oneThread = await startDaemon(newDatabase(), { storage, server: { handler_threads: 1, handler_queue: 0 },
    runs: { scheduler: false } });
  userToken = makeUserSession(db, 'user').token;
});

after(async () => {
  for (const x of [d, noRedis, oneThread]) if (x) await x.stop();
  if (up) up.close();
});

// ---- the document and the route table ----------------------------------------------------------------------------

test('the served document is docs/openapi.json and a valid OpenAPI 3.1 document', async () => {
  const res = await check('GET', '/api/v1/openapi.json', '/api/v1/openapi.json', 200, { token: null });
  assert.deepEqual(res.json, DOC);
  assert.equal(res.text, readFileSync(join(ROOT, 'docs/openapi.json'), 'utf8'), 'byte for byte');
  const v = new Validator();
  const r = await v.validate(structuredClone(DOC));
  assert.ok(r.valid, JSON.stringify(r.errors, null, 1));
  assert.equal(v.version, '3.1');
  // Every schema compiles under ajv's strict mode (no unknown keywords, no broken refs).
  for (const s of Object.values(DOC.components.schemas)) validatorFor(s);
});

test('every registered route is documented, and every documented operation is registered', async (t) => {
  const res = await check('GET', '/api/v1/admin/routes', '/api/v1/admin/routes', 200);
  const routes = res.json.data.map((r) => `${r.method} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`);
  const documented = Object.entries(DOC.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
  const missing = routes.filter((r) => !documented.includes(r));
  assert.deepEqual(missing, [], `routes the server registers but docs/openapi.json does not describe: ${missing.join(', ')}`);
  const extra = documented.filter((r) => !routes.includes(r));
  assert.deepEqual(extra, [], `documented operations the server does not register: ${extra.join(', ')}`);
  for (const r of res.json.data) {
    const op = DOC.paths[r.path.replace(/:([A-Za-z]+)/g, '{$1}')][r.method.toLowerCase()];
    assert.equal(op.security.length > 0, r.admin, `${r.method} ${r.path}: security says admin = ${r.admin}`);
  }
  t.diagnostic(`documented ${routes.length - missing.length}/${routes.length} registered routes`);
});

test('each trigger endpoint documents exactly its job\'s parameters', async () => {
  const sched = (await check('GET', `${B}/schedule`, `${B}/schedule`, 200)).json.data;
  const params = Object.fromEntries(sched.map((e) => [e.jobkey, e.params.map((p) => p.name).sort()]));
  const triggers = Object.entries(DOC.paths).filter(([, ops]) => ops.post?.['x-jobkey']);
  assert.equal(triggers.length, 12);
  for (const [path, ops] of triggers) {
    const job = ops.post['x-jobkey'];
    assert.ok(params[job], `${job} is a registered job`);
    const fromPath = path.includes('{comicId}') ? ['comicid'] : [];
    const body = Object.keys(ops.post.requestBody.content['application/json'].schema.properties)
      .filter((k) => k !== 'dryrun').sort();
    assert.deepEqual(body, params[job].filter((p) => !fromPath.includes(p)), path);
  }
});

// ---- every route, for real -----------------------------------------------------------------------------------------

test('admin routes: 401 without a token and 403 for a non-admin session, as documented', async () => {
  const routes = (await call(d, 'GET', '/api/v1/admin/routes')).text;
  for (const r of JSON.parse(routes).data.filter((x) => x.admin)) {
    const route = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const url = route.replace('{jobKey}', 'system.canary').replace('{id}', '00000000-0000-7000-8000-000000000000')
      .replace('{comicId}', '1');
    const body = r.method === 'GET' ? undefined : {};
    await check(r.method, route, url, 401, { token: null, body });
    await check(r.method, route, url, 403, { token: userToken, body });
  }
});

test('health, readiness, metrics', async () => {
  await check('GET', '/healthz', '/healthz', 200, { token: null });
  // Any route: a query that is not UTF-8 text, a head too large for the reply to fit (documented on every operation)
  const q = await check('GET', '/healthz', '/healthz?x=%ff', 400, { token: null });
  assert.equal(q.json.details.field, 'x');
  await check('GET', '/api/v1/openapi.json', '/api/v1/openapi.json', 431, { token: null, headers: { 'X-Big': 'a'.repeat(13000) } });
  await check('POST', `${B}/comics/ratings`, `${B}/comics/ratings`, 431, { body: { dryrun: true }, headers: { 'X-Big': 'a'.repeat(13000) } });
  await check('GET', '/readyz', '/readyz', 200, { token: null });
  const nr = await check('GET', '/readyz', '/readyz', 503, { token: null, daemon: noRedis });
  assert.equal(nr.json.details.redis, 'unreachable');
  const m = await check('GET', '/metrics', '/metrics', 200, { token: null });
  assert.match(m.text, /^comicbatch_leader \d$/m);
  // /metrics runs on the handler pool (it reads the cluster's gauges from Postgres): with the only handler thread
  // held by a cover fetch from a silent upstream (cover_timeout 2 s), it answers 503 busy with Retry-After.
  const seenSlow = up.hits('/slow.png');
  const held = call(oneThread, 'GET', `/api/v1/covers/by-url?url=${encodeURIComponent(`https://localhost:${up.port}/slow.png`)}`,
    { token: null }).catch(() => null);
  await waitFor(() => up.hits('/slow.png') > seenSlow, 5000, 'the slow cover fetch to hold the handler thread');
  const busy = await check('GET', '/metrics', '/metrics', 503, { token: null, daemon: oneThread });
  assert.match(busy.json.error, /busy/);
  assert.ok(busy.headers.get('retry-after'), 'Retry-After');
  await held;
});

test('covers: by URL and by comic, cache validators, every refusal class', async () => {
  const p = up.port;
  const byUrl = (u) => `/api/v1/covers/by-url?url=${encodeURIComponent(u)}`;
  const R = '/api/v1/covers/by-url';
  const ok = await check('GET', R, byUrl(`https://localhost:${p}/a.png`), 200, { token: null });
  assert.equal(ok.headers.get('content-type'), 'image/png');
  await check('GET', R, byUrl(`https://localhost:${p}/a.png`), 304,
    { token: null, headers: { 'If-None-Match': ok.headers.get('etag') } });
  await check('GET', R, '/api/v1/covers/by-url', 400, { token: null });
  await check('GET', R, byUrl(`http://localhost:${p}/a.png`), 400, { token: null });
  await check('GET', R, byUrl('https://example.org/a.png'), 403, { token: null });
  await check('GET', R, byUrl(`https://localhost:${p}/missing`), 404, { token: null });
  await check('GET', R, byUrl(`https://localhost:${p}/text.png`), 422, { token: null });
  await check('GET', R, byUrl('https://localhost:1/a.png'), 502, { token: null });

  const C = '/api/v1/covers/{comicId}';
  const withCover = sqlValue(db, `INSERT INTO core.comic (title, slug, coverurl) VALUES ('OA', 'oa-cover',
    'https://localhost:${p}/b.jpg') RETURNING id`);
  const without = sqlValue(db, `INSERT INTO core.comic (title, slug) VALUES ('OA2', 'oa-nocover') RETURNING id`);
  const jpg = await check('GET', C, `/api/v1/covers/${withCover}`, 200, { token: null });
  assert.equal(jpg.headers.get('content-type'), 'image/jpeg');
  await check('GET', C, `/api/v1/covers/${without}`, 404, { token: null });
  await check('GET', C, '/api/v1/covers/999999999', 404, { token: null });
  await check('GET', C, '/api/v1/covers/abc', 400, { token: null });

  const I = '/api/v1/covers/invalidate-cache';
  const inv = await check('POST', I, I, 200);
  assert.ok(inv.json.data.filesDeleted >= 2);
  await check('POST', I, I, 413, { raw: 'x'.repeat(3000) });
});

test('runs, schedule, cron preview, events, maintenance and providers', async () => {
  // The provider's dump, so /providers has a last refresh to show.
  const dump = await check('POST', `${B}/jobs/{jobKey}/run`, `${B}/jobs/metadata.dump_refresh/run`, 202, { body: {} });
  const end = await waitFor(() => sqlValue(db, `SELECT status || ' ' || coalesce(lasterror, '') FROM system.batchrun
    WHERE id = '${dump.json.data.id}' AND finishedat IS NOT NULL`), 20000, 'the dump refresh');
  assert.match(end, /^done/);

  // A canary holds the only worker: a second trigger conflicts, refresh-all stays queued (in flight).
  const RUN = `${B}/jobs/{jobKey}/run`;
  const canary = (await check('POST', RUN, `${B}/jobs/system.canary/run`, 202, { body: { params: { seconds: 5 } } })).json.data;
  await waitFor(() => sqlValue(db, `SELECT status FROM system.batchrun WHERE id = '${canary.id}'`) === 'running',
    10000, 'the canary to run');
  await check('POST', RUN, `${B}/jobs/system.canary/run`, 409, { body: {} });
  await check('POST', RUN, `${B}/jobs/no.such.job/run`, 404, { body: {} });
  await check('POST', RUN, `${B}/jobs/system.canary/run`, 400, { body: { params: { seconds: -1 } } });
  await check('POST', RUN, `${B}/jobs/system.canary/run`, 400, { body: { bogus: true } });
  await check('POST', RUN, `${B}/jobs/system.canary/run`, 413, { raw: 'x'.repeat(3000) });

  const RA = '/api/v1/series/refresh-all';
  const ra = await check('POST', RA, RA, 202);
  assert.equal(ra.json.data.triggered, true);
  const ra2 = await check('POST', RA, RA, 200);
  assert.equal(ra2.json.data.triggered, false);
  await check('POST', RA, RA, 400, { body: { now: true } });
  const prov = await check('GET', '/api/v1/providers', '/api/v1/providers', 200);
  const dumpProvider = prov.json.data.find((x) => x.name === 'dump');
  assert.ok(dumpProvider.lastDumpRefresh, 'the dump refresh is shown');
  assert.ok(dumpProvider.inflight, 'the queued series refresh is shown');
  const IH = '/api/v1/series/invalidate-metadata-hashes';
  await check('POST', IH, IH, 200);
  await check('POST', IH, IH, 400, { body: { all: true } });

  const L = `${B}/jobs`;
  const list = await check('GET', L, `${L}?jobkey=system.canary&limit=5`, 200);
  assert.ok(list.json.data.some((r) => r.id === canary.id));
  await check('GET', L, `${L}?status=bogus`, 400);
  await check('GET', L, `${L}?from=yesterday`, 400);
  const H = `${B}/jobs/{jobKey}`;
  await check('GET', H, `${B}/jobs/system.canary?status=running`, 200);
  await check('GET', H, `${B}/jobs/no.such.job`, 404);
  await check('GET', H, `${B}/jobs/system.canary?limit=0`, 400);
  const G = `${B}/runs/{id}`;
  await check('GET', G, `${B}/runs/${canary.id}`, 200);
  await check('GET', G, `${B}/runs/01900000-0000-7000-8000-000000000000`, 404);
  await check('GET', G, `${B}/runs/not-a-uuid`, 404);

  // SSE: the first bytes, then hang up.
  const ctl = new AbortController();
  const res = await fetch(`${d.base}${B}/events`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, signal: ctl.signal });
  const reader = res.body.getReader();
  const first = await reader.read();
  ctl.abort();
  conform('GET', `${B}/events`, `${B}/events`, { status: res.status, headers: res.headers,
    buf: Buffer.from(first.value), text: Buffer.from(first.value).toString('utf8') });

  const X = `${B}/jobs/{jobKey}/cancel`;
  await check('POST', X, `${B}/jobs/system.canary/cancel`, 400, { body: { id: 'nope' } });
  await check('POST', X, `${B}/jobs/no.such.job/cancel`, 404, { body: {} });
  const cancelled = await check('POST', X, `${B}/jobs/system.canary/cancel`, [200, 202], { body: {} });
  assert.equal(cancelled.json.data.id, canary.id);
  await waitFor(() => sqlValue(db, `SELECT status FROM system.batchrun WHERE id = '${canary.id}'`) === 'cancelled',
    10000, 'the canary to be cancelled');
  await check('POST', X, `${B}/jobs/system.canary/cancel`, 409, { body: {} });
  await check('POST', X, `${B}/jobs/system.canary/cancel`, 413, { raw: 'x'.repeat(3000) });

  const S = `${B}/schedule`;
  const sched = await check('GET', S, S, 200);
  assert.ok(sched.json.data.some((e) => e.lastrun), 'an entry with a last run');
  const P = `${B}/schedule/{jobKey}`;
  await check('PATCH', P, `${B}/schedule/system.canary`, 200, { body: { isenabled: false, cron: '*/10 * * * *' } });
  await check('PATCH', P, `${B}/schedule/system.canary`, 200, { body: { isenabled: true, cron: null } });
  await check('PATCH', P, `${B}/schedule/system.canary`, 400, { body: {} });
  await check('PATCH', P, `${B}/schedule/system.canary`, 400, { body: { cron: '61 * * * *' } });
  await check('PATCH', P, `${B}/schedule/no.such.job`, 404, { body: { isenabled: true } });
  await check('PATCH', P, `${B}/schedule/system.canary`, 413, { raw: 'x'.repeat(3000) });
  const CP = `${B}/cron/preview`;
  const pv = await check('GET', CP, `${CP}?cron=${encodeURIComponent('*/5 * * * *')}&n=3`, 200);
  assert.equal(pv.json.data.next.length, 3);
  await check('GET', CP, CP, 400);
  await check('GET', CP, `${CP}?cron=nope`, 400);
});

test('schedule (issue 13): zones, retries, deadlines, params, the missed-slot ledger, pauses', async () => {
  const P = `${B}/schedule/{jobKey}`;
  const e = await check('PATCH', P, `${B}/schedule/system.canary`, 200, { body: { timezone: 'Asia/Tokyo', maxattempts: 2,
    retrydelay: '10s', deadline: '1s', scheduledparams: { seconds: 1 } } });
  assert.equal(e.json.data.timezone, 'Asia/Tokyo');
  await check('PATCH', P, `${B}/schedule/system.canary`, 400, { body: { timezone: 'Nowhere/Zone' } });
  await check('PATCH', P, `${B}/schedule/system.canary`, 400, { body: { scheduledparams: { seconds: 'x' } } });
  const CP = `${B}/cron/preview`;
  const pv = await check('GET', CP, `${CP}?${new URLSearchParams({ cron: '30 2 * * *', timezone: 'America/New_York',
    from: '2027-03-13T12:00:00Z', n: '2' })}`, 200);
  assert.equal(pv.json.data.fires[0].dst, 'shifted-by-gap');
  await check('GET', CP, `${CP}?cron=0+0+*+*+*&timezone=Nowhere%2FZone`, 400);

  const PA = `${B}/pause`;
  await check('GET', PA, PA, 200);
  const paused = await check('POST', PA, PA, 200, { body: { for: '1h', reason: 'openapi' } });
  assert.equal(paused.json.data.scope, '*');
  await check('POST', PA, PA, 200, { body: { jobkey: 'sessions.cleanup', until: new Date(Date.now() + 7200e3).toISOString() } });
  await check('POST', PA, PA, 400, { body: {} });
  await check('POST', PA, PA, 413, { raw: 'x'.repeat(3000) });
  sql(db, `INSERT INTO system.batchmissed (jobkey, reason, firstslot, lastslot, slots, detail)
    SELECT 'system.canary', 'paused', now() - i * interval '1 hour', now() - i * interval '1 hour', 1, 'openapi ' || i
    FROM generate_series(1, 3) i`);
  await waitFor(async () => (await call(d, 'GET', `${B}/schedule`)).text.includes('"overdue":true'), 15000, 'overdue');
  const sched = await check('GET', `${B}/schedule`, `${B}/schedule`, 200);
  const canary = sched.json.data.find((x) => x.jobkey === 'system.canary');
  assert.ok(canary.paused && canary.missed.latest && canary.deadline.overdue, JSON.stringify(canary));
  const M = `${B}/schedule/{jobKey}/missed`;
  const m = await check('GET', M, `${B}/schedule/system.canary/missed?limit=2`, 200);
  assert.equal(m.json.meta.total, 3);
  await check('GET', M, `${B}/schedule/system.canary/missed?limit=0`, 400);
  await check('GET', M, `${B}/schedule/no.such.job/missed`, 404);
  await check('DELETE', PA, `${PA}?jobkey=sessions.cleanup`, 200);
  await check('DELETE', PA, PA, 200);
  await check('DELETE', PA, PA, 404);
  await check('DELETE', PA, `${PA}?jobkey=no.such.job`, 400);
  await check('PATCH', P, `${B}/schedule/system.canary`, 200, { body: { timezone: null, deadline: 'off',
    maxattempts: null, retrydelay: null, scheduledparams: null } });
});

test('the per-job trigger endpoints: a dry run each, and a refused body each', async () => {
  const triggers = Object.entries(DOC.paths).filter(([, ops]) => ops.post?.['x-jobkey']);
  for (const [route, ops] of triggers) {
    const url = route.replace('{comicId}', '7');
    const r = await check('POST', route, url, [202, 409], { body: { dryrun: true } });
    if (r.status === 202) {
      assert.equal(r.json.data.jobkey, ops.post['x-jobkey']);
      assert.equal(r.json.data.dryrun, true);
    }
    await check('POST', route, url, 400, { body: { nosuchparam: 1 } });
    await check('POST', route, url, 413, { raw: 'x'.repeat(3000) });
  }
  await check('POST', `${B}/library/hasnew/{comicId}`, `${B}/library/hasnew/abc`, 400, { body: {} });
});

test('coverage: every registered route answered with a success and, where documented, an error', async (t) => {
  const routes = JSON.parse((await call(d, 'GET', '/api/v1/admin/routes')).text).data;
  const gaps = [];
  let answers = 0;
  for (const r of routes) {
    const k = `${r.method} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`;
    const statuses = [...(seen.get(k) || [])];
    answers += statuses.length;
    const op = DOC.paths[k.split(' ')[1]][r.method.toLowerCase()];
    if (!statuses.some((s) => s < 400)) gaps.push(`${k}: no success`);
    if (Object.keys(op.responses).some((s) => s >= '400') && !statuses.some((s) => s >= 400)) gaps.push(`${k}: no error`);
  }
  assert.deepEqual(gaps, []);
  t.diagnostic(`exercised ${routes.length}/${routes.length} routes (100%), ${answers} distinct route/status pairs validated`);
});
