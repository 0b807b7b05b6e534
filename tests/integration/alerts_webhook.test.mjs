// alerts_webhook.test.mjs — a slow alert webhook must never cost the cluster its leader (issue 11; audit gap 2).
// Before, the leader thread posted deadline and rescue alerts itself, 5 s timeout each: with a 4 s lease and an
// endpoint that never answered, the leader missed its heartbeat and stepped down (epoch 1 → 2). Now the leader
// writes the notification rows and only queues the posts (runs/webhook.c). Here, with a 3 s leader lease and an
// endpoint on loopback that accepts every POST and never answers:
//  - four deadline breaches raised by the leader (in one tick, or two) leave it in place for several leases (same
//    epoch on the leadership row and on /metrics, no step-down line) and scheduling goes on (a due slot is enqueued)
//    while the posts hang and time out one by one;
//  - once the endpoint answers, the alerts still queued are delivered: the endpoint has received every
//    notification's `{level, message, details}`, and /metrics counts each post once (delivered or failed, none
//    dropped);
//  - SIGTERM while a post hangs: the daemon exits cleanly within a bound well under what the queued posts' own
//    timeouts would take (the post in flight is abandoned after the stop's drain time; the rest are dropped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { newDatabase, sql, startDaemon, waitFor } from './lib.mjs';
import { metrics, metricValue, stopClean } from './foundation-util.mjs';
import { leaderFlags, leaderRow, since } from './failover-util.mjs';
import { dueSince, patch } from './sched-util.mjs';

const LEASE_S = 3;
const POST_TIMEOUT_MS = 5000; // runs/webhook.h WEBHOOK_TIMEOUT_MS

/**
 * A webhook endpoint that records every POST's JSON body and, while `hang` is set, holds the request without
 * answering (the daemon's post waits until its own timeout). answer() replies 204 to the held ones still open and to
 * every later one. { url, got: [bodies], answer(), hang(), close() }.
 */
async function endpoint() {
  const got = [];
  const held = [];
  let hanging = true;
  const reply = (res) => { if (!res.destroyed && !res.writableEnded) { res.writeHead(204); res.end(); } };
  const server = createServer((req, res) => {
    let b = '';
    req.on('data', (c) => { b += c; });
    req.on('end', () => {
      got.push(JSON.parse(b));
      if (hanging) held.push(res);
      else reply(res);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    got,
    answer() { hanging = false; held.splice(0).forEach(reply); },
    hang() { hanging = true; },
    close() { server.closeAllConnections(); server.close(); },
  };
}

const overdue = (db) => sql(db, `SELECT message, details::text FROM system.notification
  WHERE title = 'Batch job overdue' ORDER BY id`)
  .map(([message, details]) => ({ message, details: JSON.parse(details) }));

const outcomes = async (d) => {
  const m = await metrics(d);
  const v = (o) => metricValue(m, 'comicbatch_alert_webhooks_total', `outcome="${o}"`);
  return { delivered: v('delivered'), failed: v('failed'), dropped: v('dropped'),
    queued: metricValue(m, 'comicbatch_alert_webhook_queue', '') };
};

test('a webhook that never answers costs the leader nothing; once it answers, the queued alerts arrive; SIGTERM '
  + 'while a post hangs exits within a bound', { timeout: 180000 }, async (t) => {
  const db = newDatabase();
  const hook = await endpoint();
  const d = await startDaemon(db, { runs: { leader_lease_seconds: LEASE_S, alert_webhook_url: hook.url } });
  try {
    await waitFor(async () => (await leaderFlags([d]))[0] === 1, 15000, 'the daemon to lead');
    const before = leaderRow(db);
    assert.equal(metricValue(await metrics(d), 'comicbatch_leader_epoch'), before.epoch);
    assert.deepEqual(await outcomes(d), { delivered: 0, failed: 0, dropped: 0, queued: 0 }, 'every outcome at 0');

    // Four jobs that have never succeeded get a 3 s deadline: the leader's deadline check (every 5 s) raises all four
    // at once, or in two checks when the PATCHes straddle one. Disabled, so that no cron slot runs one (a success
    // would open a new window); an explicit deadline still holds.
    const jobs = ['analytics.partition', 'crawler.partition', 'storage.orphan_cleanup', 'metadata.dump_refresh'];
    for (const j of jobs) await patch(d, j, { isenabled: false, deadline: '3s' });
    await waitFor(() => hook.got.length >= 1, 20000, 'the first post to reach the endpoint (and hang there)');
    const t0 = Date.now();
    await waitFor(() => overdue(db).length >= jobs.length, 15000, 'the four notification rows');

    // Scheduling goes on while the posts hang: a due slot of the canary is enqueued by the leader.
    await patch(d, 'system.canary', { isenabled: true });
    const slot = dueSince(db, 'system.canary', 0);
    const slotRun = () => sql(db, `SELECT id FROM system.batchrun WHERE jobkey = 'system.canary'
      AND triggeredby = 'scheduler' AND scheduledfor = to_timestamp(${slot / 1000})`);
    await waitFor(() => slotRun().length === 1, 10000, 'the due slot to be enqueued while the webhook hangs');
    await patch(d, 'system.canary', { isenabled: false });

    // Several leases pass with the endpoint silent; the first post times out.
    await waitFor(async () => (await outcomes(d)).failed >= 1, POST_TIMEOUT_MS + 10000, 'the first post to time out');
    await sleep(Math.max(0, 3 * LEASE_S * 1000 - since(t0)));
    const during = await outcomes(d);
    assert.equal(during.delivered, 0, 'nothing answered yet');
    assert.equal(during.dropped, 0);
    const still = leaderRow(db);
    assert.equal(still.epoch, before.epoch, `no takeover while the webhook hung ${since(t0)} ms`);
    assert.equal(still.instance, before.instance);
    assert.ok(still.age < LEASE_S, `the leader kept its heartbeat fresh (${still.age} s)`);
    assert.equal((await leaderFlags([d]))[0], 1);
    assert.equal(metricValue(await metrics(d), 'comicbatch_leader_epoch'), before.epoch);
    assert.doesNotMatch(d.logs(), /stepping down as leader/);

    // The endpoint answers: what is still queued (and the post in flight, if it has not timed out) is delivered.
    hook.answer();
    const notes = overdue(db);
    const end = await waitFor(async () => {
      const o = await outcomes(d);
      return o.delivered + o.failed === notes.length && o.queued === 0 && o;
    }, 4 * notes.length * POST_TIMEOUT_MS, 'every post to be delivered or failed');
    assert.equal(end.dropped, 0, 'the queue never overflowed');
    assert.ok(end.delivered >= 1, `delivered ${end.delivered}, failed ${end.failed}`);
    assert.ok(end.failed >= 1, 'the posts that hung past their timeout failed');
    for (const n of notes) {
      assert.ok(jobs.includes(n.details.jobkey), n.details.jobkey);
      const body = hook.got.find((b) => b.details?.jobkey === n.details.jobkey);
      assert.deepEqual(body, { level: 'critical', message: n.message, details: n.details },
        `the endpoint got ${n.details.jobkey}'s alert as written in system.notification`);
    }
    assert.equal(hook.got.length, notes.length, 'one post per alert');
    assert.equal(leaderRow(db).epoch, before.epoch);

    // SIGTERM while a post hangs (three more breaches: one in flight, the others queued behind it).
    hook.hang();
    const more = ['analytics.anonymize', 'library.viewhistory_cap', 'crawler.source_health'];
    for (const j of more) await patch(d, j, { isenabled: false, deadline: '3s' });
    const seen = hook.got.length;
    await waitFor(() => hook.got.length > seen, 20000, 'a post to hang');
    const tStop = Date.now();
    d.proc.kill('SIGTERM');
    await waitFor(() => d.exited(), 15000, 'the daemon to exit');
    const took = since(tStop);
    assert.deepEqual(d.exited(), { code: 0, sig: null }, d.logs().slice(-3000));
    // The stop gives the queue 2 s, then cuts the post in flight (its own timeout is 5 s, each queued one 5 s more).
    assert.ok(took < 8000, `exited ${took} ms after SIGTERM`);
    assert.match(d.logs(), /alert webhook abandoned: the daemon is stopping/);
    t.diagnostic(`leader kept epoch ${before.epoch} through ${notes.length} hanging posts; exit ${took} ms after `
      + `SIGTERM with a post hanging; outcomes ${JSON.stringify(end)}`);
  } finally {
    if (!d.exited()) await stopClean(d);
    hook.close();
  }
});
