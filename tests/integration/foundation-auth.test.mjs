// foundation-auth.test.mjs — auth as DESIGN §1 says, through HTTP: no token or a wrong one → 401 UNAUTHORIZED, a
// live session of a non-admin → 403 FORBIDDEN, an admin's live session → allowed (and its user id becomes
// triggeredbyuserid and the audit actor), an expired or revoked admin session → 401; public endpoints need nothing;
// tokens never appear in the log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newDatabase, startDaemon, api, sql, sqlValue, waitRun, makeUserSession, ADMIN_TOKEN } from './lib.mjs';
import { assertError, stopClean } from './foundation-util.mjs';

let db;
let d;
const tokens = [];

before(async () => {
  db = newDatabase();
  d = await startDaemon(db, { runs: { scheduler: 'false' } });
});

after(async () => {
  const log = d.logs();
  await stopClean(d);
  for (const t of [ADMIN_TOKEN, ...tokens]) assert.ok(!log.includes(t), 'a token appeared in the log');
});

const ADMIN_ENDPOINTS = [
  ['GET', '/api/v1/admin/batch/jobs'],
  ['GET', '/api/v1/admin/batch/jobs/system.canary'],
  ['POST', '/api/v1/admin/batch/jobs/system.canary/run'],
  ['POST', '/api/v1/admin/batch/jobs/system.canary/cancel'],
  ['GET', '/api/v1/admin/batch/schedule'],
  ['PATCH', '/api/v1/admin/batch/schedule/system.canary'],
  ['POST', '/api/v1/admin/batch/sessions/cleanup'],
];

const runCount = () => Number(sqlValue(db, 'SELECT count(*) FROM system.batchrun'));

test('no token → 401 UNAUTHORIZED on every admin endpoint, and nothing runs', async () => {
  const n = runCount();
  for (const [m, p] of ADMIN_ENDPOINTS) {
    const r = await api(d, m, p, { token: null, body: m === 'GET' ? undefined : { params: {} } });
    assertError(r, 401, 'UNAUTHORIZED');
  }
  assert.equal(runCount(), n);
});

test('a wrong or malformed Authorization header → 401', async () => {
  const bad = [
    { Authorization: 'Bearer not-the-token-0123456789' },
    { Authorization: `Bearer ${ADMIN_TOKEN}x` },
    { Authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` },
    { Authorization: 'Bearer ' },
    { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
    { Authorization: ADMIN_TOKEN },
    { Authorization: `Bearer ${'a'.repeat(5000)}` },
  ];
  for (const headers of bad) {
    assertError(await api(d, 'GET', '/api/v1/admin/batch/jobs', { token: null, headers }), 401, 'UNAUTHORIZED');
  }
  assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run',
    { token: 'wrong-token-abcdefghijklmnop', body: { params: {} } }), 401, 'UNAUTHORIZED');
  // A token longer than any issued is named as such, not "missing" (it was).
  const long = await api(d, 'GET', '/api/v1/admin/batch/jobs', { token: 'a'.repeat(513) });
  assertError(long, 401, 'UNAUTHORIZED');
  assert.match(long.body.error, /Invalid token \(longer than 512 characters\)/);
  assert.match((await api(d, 'GET', '/api/v1/admin/batch/jobs', { token: null })).body.error, /Missing bearer token/);
});

test('a body that is JSON but not an object says it must be an object; nothing runs', async () => {
  const before = runCount();
  for (const raw of ['null', '123', '"x"', '[]']) {
    const res = await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { raw });
    assertError(res, 400, 'VALIDATION_ERROR');
    assert.equal(res.body.error, 'Request body must be a JSON object', raw);
  }
  assert.match((await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { raw: 'nul' })).body.error,
    /^Request body is not valid JSON/);
  assert.equal(runCount(), before);
});

test('the admin token is accepted, and the scheme is case-insensitive', async () => {
  assert.equal((await api(d, 'GET', '/api/v1/admin/batch/jobs')).status, 200);
  const r = await api(d, 'GET', '/api/v1/admin/batch/jobs', { token: null,
    headers: { Authorization: `bearer ${ADMIN_TOKEN}` } });
  assert.equal(r.status, 200);
});

test('a live session of a non-admin user → 403 FORBIDDEN', async () => {
  for (const role of ['user', 'moderator']) {
    const { token } = makeUserSession(db, role);
    tokens.push(token);
    const n = runCount();
    assertError(await api(d, 'GET', '/api/v1/admin/batch/jobs', { token }), 403, 'FORBIDDEN');
    assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run',
      { token, body: { params: { seconds: 0 } } }), 403, 'FORBIDDEN');
    assertError(await api(d, 'PATCH', '/api/v1/admin/batch/schedule/system.canary',
      { token, body: { isenabled: true } }), 403, 'FORBIDDEN');
    assert.equal(runCount(), n, `a ${role} started nothing`);
  }
});

test('an admin\'s live session is allowed; its user becomes triggeredbyuserid and the audit actor', async () => {
  const { userid, token } = makeUserSession(db, 'admin');
  tokens.push(token);
  assert.equal((await api(d, 'GET', '/api/v1/admin/batch/schedule', { token })).status, 200);
  const r = await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run',
    { token, body: { params: { seconds: 0 } } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  assert.equal(r.body.data.triggeredbyuserid, userid);
  assert.equal(r.body.data.triggeredby, 'admin');
  const run = await waitRun(d, 'system.canary', r.body.data.id);
  assert.equal(run.triggeredbyuserid, userid);
  const p = await api(d, 'PATCH', '/api/v1/admin/batch/schedule/announcements.expire',
    { token, body: { isenabled: false } });
  assert.equal(p.status, 200, JSON.stringify(p.body));
  const audit = sql(db, `SELECT actor, actoruserid FROM system.auditlog WHERE target = 'announcements.expire'`);
  assert.deepEqual(audit, [[`user:${userid}`, userid]]);
});

test('an expired or revoked admin session → 401', async () => {
  const expired = makeUserSession(db, 'admin');
  const revoked = makeUserSession(db, 'admin');
  tokens.push(expired.token, revoked.token);
  for (const s of [expired, revoked]) {
    assert.equal((await api(d, 'GET', '/api/v1/admin/batch/jobs', { token: s.token })).status, 200, 'live at first');
  }
  sql(db, `UPDATE users.session SET expiresat = now() - interval '1 second'
    WHERE tokenhash = encode(sha256('${expired.token}'::bytea), 'hex')`);
  sql(db, `UPDATE users.session SET revokedat = now() WHERE tokenhash = encode(sha256('${revoked.token}'::bytea), 'hex')`);
  for (const s of [expired, revoked]) {
    assertError(await api(d, 'GET', '/api/v1/admin/batch/jobs', { token: s.token }), 401, 'UNAUTHORIZED');
    assertError(await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run',
      { token: s.token, body: { params: {} } }), 401, 'UNAUTHORIZED');
  }
});

test('a session whose user was demoted loses access at once', async () => {
  const s = makeUserSession(db, 'admin');
  tokens.push(s.token);
  assert.equal((await api(d, 'GET', '/api/v1/admin/batch/jobs', { token: s.token })).status, 200);
  sql(db, `UPDATE users.account SET role = 'user' WHERE id = '${s.userid}'`);
  assertError(await api(d, 'GET', '/api/v1/admin/batch/jobs', { token: s.token }), 403, 'FORBIDDEN');
});

test('health, readiness and metrics are public', async () => {
  for (const p of ['/healthz', '/readyz', '/metrics']) {
    assert.equal((await api(d, 'GET', p, { token: null })).status, 200, p);
  }
});
