// ship_reload.test.mjs — `systemctl reload` (SIGHUP) on a real daemon (issue 10): the new file's log level and
// format, job timeouts (per job and the default) and the series-refresh cron take effect without a restart; the
// one log line names exactly what was applied and what needs a restart; the service manager sees RELOADING=1 then
// READY=1; a file that does not load changes nothing and the daemon keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { newDatabase, api, waitRun } from './lib.mjs';
import { spawnDaemon, notifySocket, until, tempDir } from './ship-util.mjs';

const CANARY = '/api/v1/admin/batch/jobs/system.canary/run';

async function canaryTimeout(D) {
  const r = await api(D, 'POST', CANARY, { body: { params: { seconds: 0 } } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await waitRun(D, 'system.canary', r.body.data.id);
  return r.body.data;
}

async function seriesSchedule(D) {
  const r = await api(D, 'GET', '/api/v1/admin/batch/schedule');
  assert.equal(r.status, 200);
  return r.body.data.find((e) => e.jobkey === 'metadata.series_refresh');
}

/** Sends SIGHUP and returns the parsed reload line that follows (JSON when the new format is json). */
async function reload(d, pattern) {
  const mark = d.logs().length;
  d.proc.kill('SIGHUP');
  const line = await until(() => d.logs().slice(mark).split('\n').find((l) => pattern.test(l)), 10000,
    `a log line matching ${pattern}`);
  return { line, mark };
}

test('SIGHUP applies what can change, names what needs a restart, and refuses a bad file whole', async () => {
  const db = newDatabase();
  const dir = tempDir();
  const n = await notifySocket(join(dir, 'port'));
  const first = {
    log: { level: 'info' },
    'job.system.canary': { timeout: '1h' },
    'metadata.series_refresh': { cron: '0 */6 * * *' },
  };
  const d = spawnDaemon(db, first, { dir, env: { NOTIFY_SOCKET: n.socket } });
  try {
    await d.waitPort();
    const D = { base: d.base() };
    const run1 = await canaryTimeout(D);
    assert.equal(run1.timeoutms, 3600000, '[job.system.canary] timeout = 1h');
    assert.match(d.logs(), new RegExp(`msg="run started" run=${run1.id}`), 'info lines are written');
    const s1 = await until(async () => { const e = await seriesSchedule(D); return e.nextrunat && e; }, 15000,
      'the leader to schedule metadata.series_refresh');
    assert.equal(s1.defaultcron, '0 */6 * * *');
    assert.match(s1.nextrunat, /T(00|06|12|18):00:00Z$/);

    d.writeConfig({
      log: { level: 'warn', format: 'json' },
      'job.system.canary': { timeout: '90s' },
      'job.sessions.cleanup': { timeout: '5m' },
      // Minutes 2, 7, …, 57: never the old cron's minute 0, so the next slot always moves (with */5 a reload in the
      // five minutes before 00/06/12/18:00 found the old next slot already right and rescheduled nothing).
      'metadata.series_refresh': { cron: '2-59/5 * * * *' },
      server: { max_body: '2k' },
      runs: { workers: 3 },
    });
    const readyBefore = n.messages.length;
    const { line } = await reload(d, /configuration reloaded/);
    const o = JSON.parse(line); // the new format already applies to this line
    assert.equal(o.level, 'warn', 'something needs a restart: a warning');
    assert.deepEqual(o.applied.split(',').sort(), ['job.sessions.cleanup.timeout', 'job.system.canary.timeout',
      'log.format', 'log.level', 'metadata.series_refresh.cron']);
    assert.deepEqual(o.not_applied_restart_needed.split(',').sort(), ['runs.workers', 'server.max_body']);
    assert.equal(o.rescheduled, 'metadata.series_refresh');
    const reloading = n.find(/^RELOADING=1\nMONOTONIC_USEC=\d+$/, readyBefore);
    assert.ok(reloading >= 0, JSON.stringify(n.messages.slice(readyBefore)));
    await until(() => n.find(/^READY=1\nSTATUS=/, reloading) > reloading, 5000, 'READY=1 after RELOADING=1');

    const run2 = await canaryTimeout(D);
    assert.equal(run2.timeoutms, 90000, 'the new [job.system.canary] timeout');
    assert.doesNotMatch(d.logs(), new RegExp(`run started.*${run2.id}`), 'level warn: no info lines any more');
    const s2 = await seriesSchedule(D);
    assert.equal(s2.defaultcron, '2-59/5 * * * *');
    assert.match(s2.nextrunat, /:[0-5][27]:00Z$/, 'rescheduled on the new cron');
    const wait = Date.parse(s2.nextrunat) - Date.now();
    assert.ok(wait > -5000 && wait <= 300000, `next slot within 5 min: ${s2.nextrunat}`);
    const big = await api(D, 'POST', CANARY, { body: { params: { seconds: 0, pad: 'x'.repeat(3000) } } });
    assert.equal(big.status, 400, 'max_body still 1m (2k needs a restart): the 3 KB body reached validation');

    // A file that does not load: nothing changes, the daemon keeps serving.
    // The bad value tries to forge fields: it stays inside "error".
    const forged = 'many" level=debug msg=all-good x=1';
    d.writeConfig({ log: { level: 'info' }, 'job.system.canary': { timeout: '1s' }, runs: { workers: forged } });
    const bad = JSON.parse((await reload(d, /reload failed/)).line);
    assert.equal(bad.level, 'error');
    assert.match(bad.msg, /^reload failed/);
    assert.match(bad.error, /runs\.workers/);
    assert.ok(bad.error.includes(forged), bad.error);
    assert.equal(bad.x, undefined);
    assert.equal((await api(D, 'GET', '/healthz')).status, 200);
    assert.equal((await canaryTimeout(D)).timeoutms, 90000, 'unchanged');

    // A removed [job.KEY] section falls back to the default timeout, itself reloadable.
    d.writeConfig({ log: { level: 'info', format: 'logfmt' }, runs: { default_timeout: '45m' } });
    const back = (await reload(d, /configuration reloaded/)).line;
    assert.match(back, /^ts=\S+ level=info msg="configuration reloaded"/, 'logfmt again');
    assert.match(back, /applied="[^"]*job\.system\.canary\.timeout/);
    assert.match(back, /applied="[^"]*runs\.default_timeout/);
    assert.equal((await canaryTimeout(D)).timeoutms, 45 * 60000);
    assert.deepEqual(await d.stop(), { code: 0, sig: null }, d.logs().slice(-2000));
  } finally {
    n.stop();
    if (!d.exited()) d.proc.kill('SIGKILL');
  }
});
