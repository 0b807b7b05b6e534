// ship_deploy.test.mjs — the operators' kit under deploy/ (issue 10): the Prometheus rules pass `promtool check
// rules` and their unit tests, in which every rule fires at least once; the Grafana dashboard is well-formed; a
// real Prometheus (Debian's package) scrapes a real daemon with deploy/prometheus-scrape.yml's settings, evaluates
// every dashboard query without an error (several with data) and every rule with health "ok"; and every metric
// name the dashboard and the rules use is one the daemon exports, or one of the few announced as coming.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { newDatabase, startDaemon, api, waitRun } from './lib.mjs';
import { ROOT, tempDir, until } from './ship-util.mjs';

const DEPLOY = join(ROOT, 'deploy');
const RULES = join(DEPLOY, 'prometheus-alerts.yml');
const DASH = JSON.parse(readFileSync(join(DEPLOY, 'grafana-dashboard.json'), 'utf8'));
/** Metrics other work is adding (issue 10 lists them); allowed before the daemon exports them. */
const PLANNED = [];
/** Grafana's variables, as the dashboard test evaluates them. */
const VARS = { $__rate_interval: '1m', $__range: '5m', $__interval: '15s', $jobkey: '.*' };

const panels = DASH.panels.filter((p) => p.type !== 'row');
const exprs = panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
/** The `expr:` values of the rules file (one line, or a `|` block of deeper-indented lines). */
function readRuleExprs(text) {
  const lines = text.split('\n');
  const out = [];
  lines.forEach((l, i) => {
    const m = l.match(/^(\s+)expr: (.*)$/);
    if (!m) return;
    if (m[2] !== '|') { out.push(m[2]); return; }
    const block = [];
    for (let j = i + 1; j < lines.length && lines[j].match(/^(\s*)/)[1].length > m[1].length; j++) block.push(lines[j].trim());
    out.push(block.join(' '));
  });
  return out;
}
const ruleExprs = readRuleExprs(readFileSync(RULES, 'utf8'));
const substitute = (e) => Object.entries(VARS).reduce((s, [k, v]) => s.split(k).join(v), e);

let d;
let prom;

const promtool = (...args) => spawnSync('promtool', args, { encoding: 'utf8', cwd: DEPLOY });

test('promtool: the rules and the scrape config check, and every rule fires in its unit tests', () => {
  const check = promtool('check', 'rules', 'prometheus-alerts.yml');
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const names = [...readFileSync(RULES, 'utf8').matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]);
  assert.match(check.stdout, new RegExp(`SUCCESS: ${names.length} rules found`));
  for (const want of ['ComicbatchJobFailing', 'ComicbatchJobMissedDeadline', 'ComicbatchNoLeader',
    'ComicbatchRunStuck', 'ComicbatchCoverUpstreamErrors']) assert.ok(names.includes(want), want);
  const cfg = promtool('check', 'config', 'prometheus-scrape.yml');
  assert.equal(cfg.status, 0, cfg.stdout + cfg.stderr);
  const unit = promtool('test', 'rules', 'tests/prometheus-alerts.test.yml');
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
  assert.match(unit.stdout + unit.stderr, /SUCCESS/);
  // Each rule has a case where it fires (an eval with expected alerts), not only silent ones.
  const cases = readFileSync(join(DEPLOY, 'tests/prometheus-alerts.test.yml'), 'utf8').split(/- eval_time:/).slice(1);
  const fired = new Set(cases.filter((c) => /exp_labels/.test(c)).map((c) => c.match(/alertname: (\w+)/)[1]));
  assert.deepEqual(names.filter((n) => !fired.has(n)), [], 'rules never shown to fire');
});

test('the dashboard is well-formed Grafana JSON', () => {
  assert.equal(DASH.uid, 'comicbatch');
  assert.ok(DASH.schemaVersion >= 36);
  assert.ok(panels.length >= 20, `${panels.length} panels`);
  const ids = DASH.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  const cells = new Set();
  for (const p of DASH.panels) {
    const g = p.gridPos;
    assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0, `${p.title}: gridPos ${JSON.stringify(g)}`);
    for (let x = g.x; x < g.x + g.w; x++) for (let y = g.y; y < g.y + g.h; y++) {
      assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`);
      cells.add(`${x},${y}`);
    }
  }
  for (const p of panels) {
    assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${datasource}' }, p.title);
    assert.ok(p.targets.length > 0, p.title);
    for (const t of p.targets) assert.ok(t.refId && t.expr, `${p.title}: refId and expr`);
  }
  const vars = DASH.templating.list.map((v) => v.name);
  assert.deepEqual(vars, ['datasource', 'jobkey']);
  for (const { panel, expr } of exprs) {
    assert.doesNotMatch(substitute(expr), /\$/, `${panel}: a variable the test does not know: ${expr}`);
  }
});

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function query(q) {
  const res = await fetch(`${prom.base}/api/v1/query?query=${encodeURIComponent(q)}`);
  return res.json();
}

before(async () => {
  const db = newDatabase();
  d = await startDaemon(db, { runs: { workers: 1 } });
  // Only the runs below: a scheduled slot (e.g. a */30 job at :30) falling inside this file would add its job to the
  // per-job series asserted exactly further down. The leader keeps running (`comicbatch_leader` is asserted).
  const sched = await api(d, 'GET', '/api/v1/admin/batch/schedule');
  assert.equal(sched.status, 200, JSON.stringify(sched.body));
  for (const e of sched.body.data.filter((x) => x.isenabled)) {
    const r = await api(d, 'PATCH', `/api/v1/admin/batch/schedule/${e.jobkey}`, { body: { isenabled: false } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  // Something for every family to show: runs done and failed, covers refused, HTTP answers.
  for (const params of [{ seconds: 0 }, { seconds: 0, fail: true }]) {
    const r = await api(d, 'POST', '/api/v1/admin/batch/jobs/system.canary/run', { body: { params } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await waitRun(d, 'system.canary', r.body.data.id);
  }
  await api(d, 'GET', '/api/v1/covers/by-url?url=https%3A%2F%2Fexample.org%2Fa.png', { token: null });

  const dir = tempDir('cbprom-');
  const port = await freePort();
  // deploy/prometheus-scrape.yml's job, pointed at this daemon, scraped every second.
  const scrape = readFileSync(join(DEPLOY, 'prometheus-scrape.yml'), 'utf8')
    .replace('targets: ["127.0.0.1:8080"]', `targets: ["127.0.0.1:${d.port}"]`)
    .replace('  - prometheus-alerts.yml', `  - ${RULES}`);
  assert.match(scrape, new RegExp(`127\\.0\\.0\\.1:${d.port}`));
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n${scrape}`);
  let log = '';
  const proc = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (b) => { log += b; });
  proc.stderr.on('data', (b) => { log += b; });
  prom = { proc, base: `http://127.0.0.1:${port}`, logs: () => log };
  await until(async () => (await fetch(`${prom.base}/-/ready`).catch(() => null))?.ok, 30000, `Prometheus ready\n${log}`);
  // Two scrapes of the runs counter at least, so rate() and increase() have data.
  await until(async () => {
    const r = await query('count_over_time(comicbatch_runs_total[1m])');
    return r.data?.result?.some((s) => Number(s.value[1]) >= 3);
  }, 30000, 'three scrapes of the daemon');
});

after(async () => {
  if (prom) prom.proc.kill('SIGTERM');
  if (d) await d.stop();
});

test('Prometheus scraping the daemon evaluates every dashboard query without an error', async (t) => {
  let withData = 0;
  for (const { panel, expr } of exprs) {
    const r = await query(substitute(expr));
    assert.equal(r.status, 'success', `${panel}: ${expr}: ${r.errorType} ${r.error}`);
    if (r.data.result.length) withData++;
  }
  // Queries over what the daemon did above return data, through honor_labels' `job` = job key.
  const byJob = await query(substitute('sum by (job, status) (increase(comicbatch_runs_total{job=~"$jobkey"}[$__rate_interval]))'));
  assert.deepEqual(byJob.data.result.map((s) => `${s.metric.job} ${s.metric.status}`).sort(),
    ['system.canary done', 'system.canary failed']);
  const leaders = await query('sum(comicbatch_leader)');
  assert.equal(leaders.data.result[0].value[1], '1', 'one leader');
  const labels = await (await fetch(`${prom.base}/api/v1/label/job/values?match[]=comicbatch_runs_total`)).json();
  assert.deepEqual(labels.data, ['system.canary'], 'the dashboard\'s $jobkey variable query');
  assert.ok(withData >= 8, `${withData} of ${exprs.length} dashboard queries returned data`);
  t.diagnostic(`${exprs.length} dashboard queries evaluated, ${withData} with data`);
});

test('Prometheus evaluates every alert rule with health ok', async () => {
  const names = [...readFileSync(RULES, 'utf8').matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]);
  const rules = await until(async () => {
    const r = await (await fetch(`${prom.base}/api/v1/rules`)).json();
    const all = r.data.groups.flatMap((g) => g.rules);
    return all.length === names.length && all.every((x) => x.lastEvaluation && !x.lastEvaluation.startsWith('0001'))
      ? all : null;
  }, 20000, 'every rule to be evaluated');
  for (const r of rules) assert.equal(r.health, 'ok', `${r.name}: ${r.lastError}`);
  assert.deepEqual(rules.map((r) => r.name).sort(), names.sort());
  const noLeader = rules.find((r) => r.name === 'ComicbatchNoLeader');
  assert.equal(noLeader.state, 'inactive', 'the daemon leads: no alert');
});

test('every metric the dashboard and the rules use is exported by the daemon (or announced)', async (t) => {
  const text = (await api(d, 'GET', '/metrics', { token: null })).body;
  const exported = new Set([...text.matchAll(/^# TYPE (\w+) (\w+)$/gm)].flatMap(([, name, type]) => (type === 'histogram'
    ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name])));
  assert.ok(exported.has('comicbatch_runs_total') && exported.has('comicbatch_leader'), text);
  const used = new Set([...exprs.map((e) => e.expr), ...ruleExprs, ...DASH.templating.list.map((v) => v.definition || '')]
    .flatMap((e) => e.match(/\bcomicbatch_[a-z_]+/g) || []));
  const unknown = [...used].filter((m) => !exported.has(m) && !PLANNED.includes(m));
  assert.deepEqual(unknown, [], 'metric names that are neither exported nor planned');
  const pending = [...used].filter((m) => PLANNED.includes(m) && !exported.has(m));
  t.diagnostic(`${used.size} metric names used; not yet exported (planned): ${pending.join(', ') || 'none'}`);
  assert.ok(ruleExprs.length >= 11, `${ruleExprs.length} rule expressions read`);
});
