// sched_zones.test.mjs — per-job time zones and scheduled params (issue 13) through the real daemon: a job in
// Asia/Tokyo and one in America/New_York get the `nextrunat` their zone's wall clock says (checked against Intl's
// zone data, not the daemon's), the zone lives in the stored expression (CRON_TZ=…) and is audited, bad zones are
// 400s naming `timezone` that change nothing, the leader enqueues a zoned slot and moves on to the zone's next
// midnight; the cron preview shows fire times in the zone and UTC with the DST note at a pinned spring-forward;
// `comicbatch cron-next` prints both clocks; and a schedule's params are validated like a trigger's, audited and
// used by its scheduled runs. Every expectation that depends on today's date is worked out from the moment the test
// runs with Intl and cron.h's DST policy (sched-util.mjs dailyFire: a 02:30 swallowed by a spring-forward fires at
// the transition, a repeated one only the first time), so the test holds on any date, DST transitions included.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BIN, api, newDatabase, sql, sqlValue, startDaemon, waitFor } from './lib.mjs';
import { assertError, runRows, stopClean } from './foundation-util.mjs';
import {
  B, audits, dueSince, entry, localIso, nextDaily, nextDailyFire, nextGapFire, patch, stored, wall,
} from './sched-util.mjs';

let db;
let d;

before(async () => {
  db = newDatabase();
  d = await startDaemon(db);
});

after(async () => {
  await stopClean(d);
});

describe('time zones', () => {
  test('a job at midnight in Asia/Tokyo: nextrunat is the next 00:00 JST, the zone is stored in the cron', async () => {
    const t0 = Date.now();
    const e = await patch(d, 'system.canary', { cron: '0 0 * * *', timezone: 'Asia/Tokyo', isenabled: true });
    const t1 = Date.now();
    assert.equal(e.cron, 'CRON_TZ=Asia/Tokyo 0 0 * * *');
    assert.equal(e.timezone, 'Asia/Tokyo');
    assert.match(e.crondescription, /Asia\/Tokyo/);
    const want = [nextDaily(t0, 'Asia/Tokyo', 0, 0), nextDaily(t1, 'Asia/Tokyo', 0, 0)];
    assert.ok(want.includes(Date.parse(e.nextrunat)), `${e.nextrunat} is the next Tokyo midnight`);
    assert.equal(new Date(e.nextrunat).getUTCHours(), 15, 'JST is UTC+9 all year');
    assert.equal(sqlValue(db, "SELECT cron FROM system.batchschedule WHERE jobkey = 'system.canary'"),
      'CRON_TZ=Asia/Tokyo 0 0 * * *');
    const a = audits(db, 'system.canary', 'batch.schedule.update').at(-1);
    assert.equal(a.details.after.cron, 'CRON_TZ=Asia/Tokyo 0 0 * * *');
  });

  test('a job at 02:30 in America/New_York, given as a prefix: nextrunat is the next 02:30 on New York clocks',
    async () => {
      // The next 02:30 — or, on a spring-forward day, the transition that swallows it (03:00 EDT).
      const t0 = Date.now();
      const e = await patch(d, 'sessions.cleanup', { cron: 'CRON_TZ=America/New_York 30 2 * * *' });
      const t1 = Date.now();
      assert.equal(e.timezone, 'America/New_York');
      const want = [nextDaily(t0, 'America/New_York', 2, 30), nextDaily(t1, 'America/New_York', 2, 30)];
      assert.ok(want.includes(Date.parse(e.nextrunat)), `${e.nextrunat} is the next 02:30 in New York `
        + `(${want.map((t) => localIso(t, 'America/New_York')).join(' or ')})`);
      // Changing only the zone keeps the fields and moves the slot to the new zone's clock.
      const t2 = Date.now();
      const moved = await patch(d, 'sessions.cleanup', { timezone: 'Europe/Berlin' });
      const t3 = Date.now();
      assert.equal(moved.cron, 'CRON_TZ=Europe/Berlin 30 2 * * *');
      const berlin = [nextDaily(t2, 'Europe/Berlin', 2, 30), nextDaily(t3, 'Europe/Berlin', 2, 30)];
      assert.ok(berlin.includes(Date.parse(moved.nextrunat)), `${moved.nextrunat} is the next 02:30 in Berlin `
        + `(${berlin.map((t) => localIso(t, 'Europe/Berlin')).join(' or ')})`);
      const utc = await patch(d, 'sessions.cleanup', { timezone: null });
      assert.equal(utc.cron, '30 2 * * *', 'null is UTC: the prefix goes');
      assert.equal(utc.timezone, 'UTC');
    });

  test('an unknown or malformed zone, or one contradicting the prefix, is a 400 naming timezone; nothing changes',
    async () => {
      const before = await entry(d, 'system.canary');
      const n = audits(db, 'system.canary').length;
      for (const timezone of ['Mars/Olympus', '../etc/passwd', '', 'Europe/', 42, 'right/UTC']) {
        assertError(await api(d, 'PATCH', `${B}/schedule/system.canary`, { body: { timezone } }), 400,
          'VALIDATION_ERROR', 'timezone');
      }
      assertError(await api(d, 'PATCH', `${B}/schedule/system.canary`,
        { body: { cron: 'CRON_TZ=Asia/Tokyo 0 0 * * *', timezone: 'Europe/Berlin' } }), 400, 'VALIDATION_ERROR',
      'timezone');
      assertError(await api(d, 'PATCH', `${B}/schedule/system.canary`, { body: { cron: 'CRON_TZ=Nowhere/X 0 0 * * *' } }),
        400, 'VALIDATION_ERROR', 'cron');
      const after = await entry(d, 'system.canary');
      assert.equal(after.cron, before.cron);
      assert.equal(after.nextrunat, before.nextrunat);
      assert.equal(audits(db, 'system.canary').length, n, 'no audit row');
    });

  test('the leader enqueues a zoned slot and moves nextrunat to the zone\'s next midnight', async () => {
    await patch(d, 'system.canary', { scheduledparams: { seconds: 0 } });
    const slot = dueSince(db, 'system.canary', 3);
    const run = await waitFor(() => runRows(db, 'system.canary', "triggeredby = 'scheduler'")
      .find((r) => Date.parse(r.scheduledfor) === slot), 10000, 'the scheduled run');
    assert.ok(run);
    const next = await waitFor(() => { const v = stored(db, 'nextrunat', 'system.canary'); return v > Date.now() && v; },
      10000, 'nextrunat to move');
    assert.equal(next, nextDaily(Date.now(), 'Asia/Tokyo', 0, 0));
  });
});

describe('cron preview in a zone', () => {
  const P = `${B}/cron/preview`;
  const preview = (q) => api(d, 'GET', `${P}?${new URLSearchParams(q)}`);

  test('at a pinned spring-forward: local times with offsets, the gap run flagged with a note', async () => {
    const r = await preview({ cron: '30 2 * * *', timezone: 'America/New_York', from: '2027-03-12T12:00:00Z', n: 3 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const p = r.body.data;
    assert.equal(p.cron, 'CRON_TZ=America/New_York 30 2 * * *');
    assert.equal(p.timezone, 'America/New_York');
    assert.equal(p.kind, 'fixed');
    assert.deepEqual(p.next, ['2027-03-13T07:30:00Z', '2027-03-14T07:00:00Z', '2027-03-15T06:30:00Z']);
    assert.deepEqual(p.fires.map((f) => [f.local, f.abbr, f.utcoffset, f.isdst, f.dst]), [
      ['2027-03-13T02:30:00-05:00', 'EST', '-05:00', false, null],
      ['2027-03-14T03:00:00-04:00', 'EDT', '-04:00', true, 'shifted-by-gap'],
      ['2027-03-15T02:30:00-04:00', 'EDT', '-04:00', true, null],
    ]);
    assert.match(p.fires[1].note, /02:30 does not exist on 2027-03-14 in America\/New_York/);
    assert.equal(p.fires[0].note, null);
    assert.equal(p.nextdst.at, '2027-03-14T07:00:00Z', 'the next fire DST moves');
  });

  test('a zone without DST has no next DST fire; a wildcard job is called one', async () => {
    const tokyo = (await preview({ cron: 'CRON_TZ=Asia/Tokyo 0 0 * * *' })).body.data;
    assert.equal(tokyo.nextdst, null);
    assert.ok(tokyo.fires.every((f) => f.utcoffset === '+09:00' && f.abbr === 'JST'));
    const berlin = (await preview({ cron: '*/20 * * * *', timezone: 'Europe/Berlin', from: '2026-10-24T12:00:00Z' }))
      .body.data;
    assert.equal(berlin.kind, 'wildcard');
    assert.equal(berlin.nextdst.dst, 'repeated', 'the repeated hour runs twice for a wildcard job');
  });

  test('bad zone, contradiction, bad from: 400 naming the field', async () => {
    assertError(await preview({ cron: '0 0 * * *', timezone: 'Nowhere/City' }), 400, 'VALIDATION_ERROR', 'timezone');
    assertError(await preview({ cron: 'CRON_TZ=Asia/Tokyo 0 0 * * *', timezone: 'Europe/Berlin' }), 400,
      'VALIDATION_ERROR', 'timezone');
    assertError(await preview({ cron: '0 0 * * *', from: 'soon' }), 400, 'VALIDATION_ERROR', 'from');
    // n was read with atoi: 5abc gave 5 fires, 4294967297 gave 1
    for (const n of ['5abc', '4294967297', '0', '21', '', ' 5', '-1']) {
      assertError(await preview({ cron: '0 0 * * *', n }), 400, 'VALIDATION_ERROR', 'n');
    }
    assert.equal((await preview({ cron: '0 0 * * *', n: '7' })).body.data.next.length, 7);
  });
});

describe('comicbatch cron-next', () => {
  test('without a zone: UTC only, as before; with one: UTC, the wall time with offset and abbreviation, DST notes',
    () => {
      const plain = execFileSync(BIN, ['cron-next', '0 0 * * *', '2'], { encoding: 'utf8' });
      assert.match(plain, /^\d{4}-\d\d-\d\dT00:00:00Z\n\d{4}-\d\d-\d\dT00:00:00Z\n$/);
      const NY = 'America/New_York';
      // The next three fires from the moment it runs (from t0 or t1), each as UTC, New York clock and abbreviation;
      // within three days of a spring-forward one of them is the transition, 03:00 EDT, with the DST note.
      const lines3 = (t) => {
        const out = [];
        for (let i = 0; i < 3; i++) {
          const f = nextDailyFire(t, NY, 2, 30);
          t = f.t;
          const line = `${new Date(t).toISOString().replace('.000Z', 'Z')}  ${localIso(t, NY)} ${wall(t, NY).abbr}`;
          out.push(f.gap ? `${line}  DST: 02:30 does not exist on ${localIso(t, NY).slice(0, 10)} in ${NY}` : line);
        }
        return out;
      };
      const matches = (got, want) => got.length === want.length
        && got.every((l, i) => (want[i].includes('  DST: ') ? l.startsWith(want[i]) : l === want[i]));
      const t0 = Date.now();
      const out = execFileSync(BIN, ['cron-next', `CRON_TZ=${NY} 30 2 * * *`, '3'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const t1 = Date.now();
      const lines = out.trim().split('\n');
      assert.ok(matches(lines, lines3(t0)) || matches(lines, lines3(t1)), `${out}expected:\n${lines3(t0).join('\n')}`);
      for (const l of lines) {
        const [utc, local] = l.split(/\s+/);
        assert.equal(Date.parse(utc), Date.parse(local), 'both name the same instant');
      }
      // The next spring-forward (second Sunday of March) after now swallows 02:30 (New York's clocks go from 02:00
      // EST to 03:00 EDT, 07:00Z; 02:30 is never in its repeated hour, 01:00-02:00, so no other fire moves).
      const t2 = Date.now();
      const err = execFileSync('sh', ['-c', `'${BIN}' cron-next 'CRON_TZ=${NY} 30 2 * * *' 1 2>&1 >/dev/null`],
        { encoding: 'utf8' });
      const t3 = Date.now();
      const want = [t2, t3].map((t) => new Date(nextGapFire(t, NY, 2, 30)).toISOString().replace('.000Z', 'Z'));
      assert.ok(want.some((w) => err.includes(`next fire a DST change moves: ${w}: 02:30 does not exist`)),
        `${err}expected the note at ${want.join(' or ')}`);
    });
});

describe('params on the schedule', () => {
  test('validated like a trigger\'s: 400 naming scheduledparams.<param>, nothing changes', async () => {
    const before = await entry(d, 'announcements.expire');
    const bad = [[{ seconds: 1 }, 'scheduledparams.seconds'], ['x', 'scheduledparams'], [[1], 'scheduledparams']];
    for (const [scheduledparams, field] of bad) {
      assertError(await api(d, 'PATCH', `${B}/schedule/announcements.expire`, { body: { scheduledparams } }), 400,
        'VALIDATION_ERROR', field);
    }
    assertError(await api(d, 'PATCH', `${B}/schedule/system.canary`, { body: { scheduledparams: { seconds: -1 } } }),
      400, 'VALIDATION_ERROR', 'scheduledparams.seconds');
    assert.deepEqual(await entry(d, 'announcements.expire'), before);
  });

  test('stored, shown, audited, used by the scheduled run; null returns to the job\'s defaults', async () => {
    const e = await patch(d, 'system.canary', { scheduledparams: { seconds: 2 } });
    assert.deepEqual(e.scheduledparams, { seconds: 2 });
    const a = audits(db, 'system.canary', 'batch.schedule.update').at(-1);
    assert.deepEqual(a.details.after.scheduledparams, { seconds: 2 });
    assert.deepEqual(a.details.before.scheduledparams, { seconds: 0 });
    const slot = dueSince(db, 'system.canary', 2);
    const run = await waitFor(() => runRows(db, 'system.canary', "triggeredby = 'scheduler'")
      .find((r) => Date.parse(r.scheduledfor) === slot), 10000, 'the scheduled run');
    const params = JSON.parse(sqlValue(db, `SELECT params::text FROM system.batchrun WHERE id = '${run.id}'`));
    assert.deepEqual(params, { seconds: 2, fail: false }, 'the schedule\'s params, defaults filled');
    const cleared = await patch(d, 'system.canary', { scheduledparams: null });
    assert.equal(cleared.scheduledparams, null);
    assert.equal(sqlValue(db, "SELECT params FROM system.batchschedule WHERE jobkey = 'system.canary'"), null);
    await api(d, 'POST', `${B}/jobs/system.canary/cancel`, { body: {} });
    sql(db, "UPDATE system.batchschedule SET isenabled = false, nextrunat = NULL WHERE jobkey = 'system.canary'");
  });
});
