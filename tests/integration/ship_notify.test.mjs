// ship_notify.test.mjs — the daemon as a Type=notify service (issue 10): it tells the service manager READY=1 only
// once the HTTP socket accepts (checked by the stand-in socket at the moment the datagram arrives), keeps STATUS=
// current with its leader/worker state, pings the watchdog at WATCHDOG_USEC/2, says STOPPING=1 on SIGTERM and
// exits 0; a daemon that cannot start never says READY=1. The daemon here also logs with --log-format json: every
// stderr line must be one JSON object with ts, level and msg.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { newDatabase, api } from './lib.mjs';
import { spawnDaemon, notifySocket, until, tempDir } from './ship-util.mjs';

test('READY=1 after the socket listens, STATUS= with leader and workers, WATCHDOG=1, STOPPING=1 on SIGTERM', async () => {
  const db = newDatabase();
  const dir = tempDir();
  const n = await notifySocket(join(dir, 'port'));
  const d = spawnDaemon(db, { runs: { workers: 3 } }, {
    args: ['--log-format', 'json'], dir, env: { NOTIFY_SOCKET: n.socket, WATCHDOG_USEC: '400000' },
  });
  try {
    await until(() => n.find(/^READY=1/) >= 0, 20000, 'READY=1');
    const ready = n.messages[n.find(/^READY=1/)];
    assert.equal(n.find(/^READY=1/), 0, `READY=1 is the first message: ${JSON.stringify(n.messages)}`);
    assert.ok(ready.portFile, 'the port file existed when READY=1 arrived');
    assert.ok(ready.accepts, 'the HTTP socket accepted a connection when READY=1 arrived');
    assert.match(ready.msg, /^READY=1\nSTATUS=(leader|follower), 3 workers, 0 running$/);

    // The scheduler election may finish after READY=1: STATUS= follows it (or READY=1 already said leader).
    await until(() => n.find(/STATUS=leader, 3 workers, \d+ running$/) >= 0, 15000, 'STATUS=leader');

    // Watchdog every 200 ms (half of 400 ms): pings keep coming (no upper bound: a loaded machine delays ticks).
    const before = pings(n);
    await until(() => pings(n) - before >= 2, 10000, 'two more watchdog pings');

    // A running run shows in STATUS=.
    const r = await api({ base: d.base() }, 'POST', '/api/v1/admin/batch/jobs/system.canary/run',
      { body: { params: { seconds: 3 } } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await until(() => n.find(/^STATUS=leader, 3 workers, 1 running$/) >= 0, 10000, 'STATUS with 1 running');
    await until(() => n.find(/^STATUS=leader, 3 workers, 0 running$/, n.find(/1 running$/)) >= 0, 15000,
      'STATUS back to 0 running');

    assert.equal(n.find(/STOPPING=1/), -1, 'no STOPPING=1 before SIGTERM');
    const ex = await d.stop();
    assert.deepEqual(ex, { code: 0, sig: null }, d.logs().slice(-2000));
    await until(() => n.find(/^STOPPING=1$/) >= 0, 2000, 'STOPPING=1');
    assert.ok(n.find(/^STOPPING=1$/) > n.find(/^READY=1/));
    assert.equal(n.find(/^READY=1/, n.find(/^STOPPING=1$/)), -1, 'no READY=1 after STOPPING=1');

    // --log-format json: every line is one object with the same fields as logfmt.
    const lines = d.logs().split('\n').filter((l) => l.length);
    assert.ok(lines.length >= 3, d.logs());
    for (const l of lines) {
      const o = JSON.parse(l);
      assert.match(o.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, l);
      assert.ok(['debug', 'info', 'warn', 'error'].includes(o.level), l);
      assert.equal(typeof o.msg, 'string', l);
    }
    const serving = lines.map((l) => JSON.parse(l)).find((o) => o.msg === 'serving');
    assert.ok(serving, 'the serving line');
    assert.equal(serving.workers, 3, 'numbers stay numbers');
    assert.match(serving.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  } finally {
    n.stop();
    if (!d.exited()) d.proc.kill('SIGKILL');
  }
});

const pings = (n) => n.messages.filter((m) => m.msg === 'WATCHDOG=1').length;

// COMICBATCH_FAULT `http:stall_event_loop=MS` stalls the first request inside its event-loop callback, and
// `http:stall_handler=MS` the first handler-pool job (one handler thread: the whole pool); both once.
for (const [fault, path, part] of [
  ['http:stall_event_loop=8000', '/healthz', /listener=http part=event_loop thread=\d+/],
  ['http:stall_handler=8000', '/metrics', /listener=http part=handler_pool/],
]) {
  test(`the watchdog stops while a part is stuck and names it (${fault})`, async () => {
    const db = newDatabase();
    const dir = tempDir();
    const n = await notifySocket(join(dir, 'port'));
    // The pool's bound is WatchdogSec/2 (at least 2 s) plus cover_timeout: 0.5 s here, so 2.5 s < the 8 s stall.
    const ini = { runs: { scheduler: false }, server: { handler_threads: 1 }, storage: { cover_timeout: '500ms' } };
    const d = spawnDaemon(db, ini, {
      dir, env: { NOTIFY_SOCKET: n.socket, WATCHDOG_USEC: '400000', COMICBATCH_FAULT: fault },
    });
    try {
      await until(() => n.find(/^READY=1/) >= 0, 20000, 'READY=1');
      const start = pings(n);
      await until(() => pings(n) - start >= 2, 10000, 'pings while nothing is stuck');
      const stuck = fetch(d.base() + path).then((r) => r.status, (e) => e.message); // held ~8 s
      await until(() => /watchdog: not pinging/.test(d.logs()), 10000, 'the stuck part to be logged');
      const line = d.logs().split('\n').find((l) => /watchdog: not pinging/.test(l));
      assert.match(line, part);
      await sleep(300); // a ping already in flight when the line was written
      const held = pings(n);
      await sleep(1500);
      assert.equal(pings(n), held, `no WATCHDOG=1 while ${fault} holds its part`);
      assert.equal(await stuck, 200, 'the stalled request itself completes');
      await until(() => pings(n) > held, 10000, 'pings to resume once the part moves again');
      assert.match(d.logs(), /watchdog: every part moves again/);
      assert.equal(d.logs().split('\n').filter((l) => /watchdog: not pinging/.test(l)).length, 1, 'logged once');
      assert.deepEqual(await d.stop(), { code: 0, sig: null });
    } finally {
      n.stop();
      if (!d.exited()) d.proc.kill('SIGKILL');
    }
  });
}

test('a daemon that cannot start never says READY=1 and exits 1', async () => {
  const dir = tempDir();
  const n = await notifySocket(join(dir, 'port'));
  // A database that does not exist: the checks at start fail before anything listens.
  const bad = newDatabase().replace(/\/[^/?]+\?/, '/cb_no_such_database?');
  const d = spawnDaemon(bad, {}, { dir, env: { NOTIFY_SOCKET: n.socket } });
  try {
    const ex = await d.waitExit(20000);
    assert.deepEqual(ex, { code: 1, sig: null }, d.logs());
    assert.match(d.logs(), /cannot start/);
    await sleep(200);
    assert.equal(n.find(/READY=1/), -1, `no READY=1: ${JSON.stringify(n.messages)}`);
  } finally {
    n.stop();
  }
});

/** Every stderr line of `d` parsed as JSON (a line that is not one object fails the test). */
function jsonLines(d) {
  return d.logs().split('\n').filter((l) => l.length).map((l) => {
    try {
      return JSON.parse(l);
    } catch (e) {
      assert.fail(`not a JSON line: ${l}\n${d.logs()}`);
    }
  });
}

test('--log-format json: a start-up failure is one JSON line, PostgreSQL\'s quoted, multi-part error inside it', async () => {
  // No server behind this socket directory: libpq's message quotes the socket path and adds a tab-indented hint.
  const d = spawnDaemon('postgresql:///cb_none?host=/tmp/cb-no-such-socket-dir', {}, { args: ['--log-format', 'json'] });
  assert.deepEqual(await d.waitExit(20000), { code: 1, sig: null }, d.logs());
  const lines = jsonLines(d);
  const fatal = lines.filter((o) => o.msg === 'cannot start');
  assert.equal(fatal.length, 1, d.logs());
  assert.equal(fatal[0].level, 'error');
  assert.ok(fatal[0].error.includes('"/tmp/cb-no-such-socket-dir/.s.PGSQL.'), fatal[0].error);
});

test('--log-format json: a configuration error is one JSON line and its value cannot forge fields', async () => {
  const forged = 'a" level=debug msg=all-good x=1';
  const d = spawnDaemon(newDatabase(), { runs: { workers: forged } }, { args: ['--log-format', 'json'] });
  assert.deepEqual(await d.waitExit(20000), { code: 1, sig: null }, d.logs());
  const lines = jsonLines(d);
  assert.equal(lines.length, 1, d.logs());
  assert.equal(lines[0].level, 'error');
  assert.equal(lines[0].msg, 'configuration error');
  assert.ok(lines[0].error.includes(forged), lines[0].error);
  assert.equal(lines[0].x, undefined, d.logs());
});

test('without WATCHDOG_USEC no watchdog pings are sent', async () => {
  const db = newDatabase();
  const dir = tempDir();
  const n = await notifySocket(join(dir, 'port'));
  const d = spawnDaemon(db, { runs: { scheduler: false } }, { dir, env: { NOTIFY_SOCKET: n.socket } });
  try {
    await until(() => n.find(/^READY=1/) >= 0, 20000, 'READY=1');
    assert.match(n.messages[n.find(/^READY=1/)].msg, /STATUS=scheduler off, 2 workers, 0 running$/);
    await sleep(2500); // more than one status tick
    assert.equal(n.find(/WATCHDOG=1/), -1, JSON.stringify(n.messages));
    assert.deepEqual(await d.stop(), { code: 0, sig: null });
  } finally {
    n.stop();
  }
});
