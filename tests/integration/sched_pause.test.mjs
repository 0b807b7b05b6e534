// sched_pause.test.mjs — maintenance windows (issue 13) through the real daemon and the CLI: pause every job or
// one until a time or for a while, with a reason; every refusal is a 400 naming its field; each pause and resume is
// audit-logged; the entries show the pause that covers them; while paused the scheduler enqueues nothing and
// records the slots as `paused` (manual runs still work); when a pause ends a `once` job catches up with one run
// for the latest paused slot and a `skip` job moves on; `comicbatch pause`/`resume` do the same from a shell.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, api, newDatabase, sql, startDaemon, waitFor } from './lib.mjs';
import { assertError, runRows, stopClean, trigger, waitStatus } from './foundation-util.mjs';
import { B, audits, entry, missed, patch, slotAgo, stored, waitMissed } from './sched-util.mjs';

let db;
let d;

before(async () => {
  db = newDatabase();
  d = await startDaemon(db);
});

after(async () => {
  await stopClean(d);
});

const P = `${B}/pause`;

describe('the API', () => {
  test('refusals name their field and change nothing', async () => {
    const soon = new Date(Date.now() + 3600e3).toISOString();
    const bad = [
      [{}, 'until'], [{ until: soon, for: '1h' }, 'until'], [{ until: 'tomorrow' }, 'until'],
      [{ until: new Date(Date.now() - 60e3).toISOString() }, 'until'], [{ for: '31d' }, 'for'], [{ for: 'a while' }, 'for'],
      [{ for: '1h', jobkey: 'no.such.job' }, 'jobkey'], [{ for: '1h', jobkey: 7 }, 'jobkey'],
      [{ for: '1h', reason: 'x'.repeat(201) }, 'reason'], [{ for: '1h', reason: 5 }, 'reason'], [{ for: '1h', now: true }, 'now'],
    ];
    for (const [body, field] of bad) assertError(await api(d, 'POST', P, { body }), 400, 'VALIDATION_ERROR', field);
    assertError(await api(d, 'DELETE', `${P}?jobkey=no.such.job`), 400, 'VALIDATION_ERROR', 'jobkey');
    assertError(await api(d, 'DELETE', P), 404, 'NOT_FOUND');
    assert.deepEqual((await api(d, 'GET', P)).body.data, []);
    assert.equal(audits(db, '*').length, 0);
  });

  test('pause every job for a while, one job until a time; listed, shown on the entries, audited; resume each',
    async () => {
      const t0 = Date.now();
      const all = await api(d, 'POST', P, { body: { for: '1h', reason: 'database upgrade' } });
      assert.equal(all.status, 200, JSON.stringify(all.body));
      assert.equal(all.body.data.scope, '*');
      assert.equal(all.body.data.jobkey, null);
      assert.equal(all.body.data.reason, 'database upgrade');
      assert.equal(all.body.data.createdby, 'admin-token');
      const until = Date.parse(all.body.data.until);
      assert.ok(until >= Math.floor(t0 / 1000) * 1000 + 3600e3 && until <= Date.now() + 3601e3);
      const later = new Date(Date.now() + 2 * 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
      const one = await api(d, 'POST', P, { body: { jobkey: 'sessions.cleanup', until: later } });
      assert.equal(one.status, 200, JSON.stringify(one.body));
      assert.equal(one.body.data.until, later);
      const list = (await api(d, 'GET', P)).body.data;
      assert.deepEqual(list.map((p) => p.scope), ['*', 'sessions.cleanup']);
      assert.equal((await entry(d, 'sessions.cleanup')).paused.until, later, 'the later-ending pause covers it');
      assert.equal((await entry(d, 'system.canary')).paused.scope, '*');
      const a = audits(db, '*', 'batch.schedule.pause');
      assert.equal(a.length, 1);
      assert.equal(a[0].details.reason, 'database upgrade');
      assert.equal(audits(db, 'sessions.cleanup', 'batch.schedule.pause').length, 1);

      const r1 = await api(d, 'DELETE', `${P}?jobkey=sessions.cleanup`);
      assert.equal(r1.status, 200, JSON.stringify(r1.body));
      assert.deepEqual(r1.body.data, { scope: 'sessions.cleanup', jobkey: 'sessions.cleanup', resumed: true });
      assertError(await api(d, 'DELETE', `${P}?jobkey=sessions.cleanup`), 404, 'NOT_FOUND');
      assert.equal((await api(d, 'DELETE', P)).status, 200);
      assert.deepEqual((await api(d, 'GET', P)).body.data, []);
      assert.equal((await entry(d, 'system.canary')).paused, null);
      assert.equal(audits(db, '*', 'batch.schedule.resume').length, 1);
    });

  test('a jobkey that is not UTF-8 is refused, never read as "every job"; reason counts characters', async () => {
    const resumes = audits(db, '*', 'batch.schedule.resume').length;
    const all = await api(d, 'POST', P, { body: { for: '1h', reason: 'é'.repeat(200) } }); // 400 bytes, 200 characters
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.equal(all.body.data.reason, 'é'.repeat(200));
    assertError(await api(d, 'POST', P, { body: { for: '1h', reason: 'é'.repeat(201) } }), 400, 'VALIDATION_ERROR', 'reason');
    // %ff decoded to a byte json_string refused: NULL, read as no jobkey, ended the pause of every job
    assertError(await api(d, 'DELETE', `${P}?jobkey=sessions.cleanup%ff`), 400, 'VALIDATION_ERROR', 'jobkey');
    assert.equal((await api(d, 'GET', P)).body.data.length, 1, 'the pause of every job is still in force');
    assert.equal(audits(db, '*', 'batch.schedule.resume').length, resumes, 'no resume was audited');
    assert.equal((await api(d, 'DELETE', P)).status, 200);
  });
});

describe('the scheduler', () => {
  test('paused slots are recorded, not run; manual runs work; at the end `once` catches up once, `skip` moves on',
    async () => {
      // Not in the last seconds of a minute: a tick at the boundary would record that minute's slot as paused in a
      // row of its own before the slot is moved two minutes back below (the row found would then be that one).
      while (Date.now() % 60000 > 52000) await sleep(250);
      await patch(d, 'system.canary', { cron: '* * * * *', isenabled: true, scheduledparams: { seconds: 0 } });
      sql(db, "UPDATE system.batchschedule SET misfire = 'once' WHERE jobkey = 'system.canary'");
      await patch(d, 'announcements.expire', { cron: '* * * * *' });
      sql(db, "UPDATE system.batchschedule SET misfire = 'skip' WHERE jobkey = 'announcements.expire'");
      assert.equal((await api(d, 'POST', P, { body: { for: '10m', reason: 'maintenance test' } })).status, 200);
      const slot = slotAgo(db, 'system.canary', 1, 2);
      slotAgo(db, 'announcements.expire', 1, 2);
      const row = await waitMissed(d, 'system.canary', 'paused');
      assert.equal(Date.parse(row.firstslot), slot);
      assert.ok(row.slots >= 3, `${row.slots} slots: two minutes ago, one ago, this one`);
      assert.match(row.detail, /^scheduling paused until \S+Z by admin-token: maintenance test$/);
      await waitMissed(d, 'announcements.expire', 'paused');
      await sleep(2000); // ticks while paused: nothing enqueued, the slot stays, the row does not grow twice
      assert.equal(runRows(db, 'system.canary', "triggeredby = 'scheduler'").length, 0);
      assert.equal(stored(db, 'nextrunat', 'system.canary'), slot, 'nextrunat waits for the pause to end');
      assert.equal((await missed(d, 'system.canary')).filter((m) => m.reason === 'paused').length, 1);
      const manual = await trigger(d, 'system.canary', { seconds: 0 });
      await waitStatus(d, 'system.canary', manual.id, 'done');

      assert.equal((await api(d, 'DELETE', P)).status, 200);
      const lastPaused = Date.parse((await missed(d, 'system.canary'))[0].lastslot);
      const [catchup] = await waitFor(() => { const r = runRows(db, 'system.canary', "triggeredby = 'scheduler'"); return r.length && r; },
        10000, 'the catch-up run');
      assert.ok(Date.parse(catchup.scheduledfor) >= lastPaused, 'for the latest missed slot');
      await waitFor(() => stored(db, 'nextrunat', 'announcements.expire') > Date.now(), 10000, 'skip to move on');
      await sleep(1500);
      assert.equal(runRows(db, 'system.canary', "triggeredby = 'scheduler'").length, 1, 'one catch-up, not a burst');
      assert.equal(runRows(db, 'announcements.expire', "triggeredby = 'scheduler'").length, 0, 'skip: none');
      sql(db, "UPDATE system.batchschedule SET isenabled = false, nextrunat = NULL WHERE jobkey = 'system.canary'");
    });
});

describe('the CLI', () => {
  const cli = (...args) => spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, COMICBATCH_DATABASE_URL: db, USER: 'ops' } });

  test('comicbatch pause JOBKEY --for … --reason …, then resume; refusals exit 2', async () => {
    const p = cli('pause', 'system.canary', '--for', '30m', '--reason', 'reindex');
    assert.equal(p.status, 0, p.stderr);
    const shown = JSON.parse(p.stdout);
    assert.equal(shown.scope, 'system.canary');
    assert.equal(shown.createdby, 'cli:ops');
    const listed = (await api(d, 'GET', P)).body.data;
    assert.deepEqual(listed.map((x) => [x.scope, x.reason, x.createdby]), [['system.canary', 'reindex', 'cli:ops']]);
    const a = audits(db, 'system.canary', 'batch.schedule.pause').at(-1);
    assert.equal(a.actor, 'admin-token', 'the CLI acts with the service\'s authority');
    assert.equal(a.details.via, 'cli:ops');
    assert.equal(cli('pause', 'system.canary').status, 2, 'no end given');
    assert.equal(cli('pause', '--for', '40d').status, 2, 'past 30 days');
    assert.equal(cli('pause', 'no.such.job', '--for', '1h').status, 2);
    const r = cli('resume', 'system.canary');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /resumed: system\.canary/);
    const again = cli('resume', 'system.canary');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /no pause of system\.canary is in force/);
    assert.deepEqual((await api(d, 'GET', P)).body.data, []);
  });
});
