// cli_args.test.mjs — the command line as an operator meets it (the CLI review): `COMMAND --help`/`-h` prints that
// command's usage and does nothing (migrate applies nothing, serve does not serve); an argument a command does not
// take is a usage error naming it (exit 2, nothing done); --config and --log-format are honoured after the command;
// a configuration that does not load (a directory, a missing file, an unknown key, a misspelt [job.KEY], a bad log
// format) stops every command alike with exit 1, `jobs` included, and so does a database that does not answer;
// the messages name the file line, the allowed range, the missing value, the bad duration or the unknown job key;
// and `comicbatch run` stopped by SIGTERM records that a signal interrupted it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, BIN, cli, databaseUrl, newDatabase, roleUrl, sql, sqlValue, waitFor } from './lib.mjs';

const dir = mkdtempSync(join(tmpdir(), 'cbcli-'));
let files = 0;
/** Writes an INI file with `text`; returns its path. */
const ini = (text) => {
  const path = join(dir, `c${++files}.ini`);
  writeFileSync(path, text);
  return path;
};
/** The binary with `args` and exactly `env` (no database unless given). */
const run = (args, env = {}) => {
  const r = spawnSync(BIN, args, { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 20000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
};
const DOWN = { COMICBATCH_DATABASE_URL: 'postgresql://127.0.0.1:1/nothing?connect_timeout=2' };
const commands = () => run(['--help']).out.split('Commands:\n')[1].split('\n\n')[0].split('\n')
  .filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s/)[0]);

test('COMMAND --help and -h print that command\'s usage, exit 0 and do nothing', () => {
  const names = commands();
  assert.ok(names.length >= 10, names.join(' '));
  for (const c of names) {
    for (const h of ['--help', '-h']) {
      const r = run([c, h], DOWN);
      assert.equal(r.status, 0, `${c} ${h}: ${r.err}`);
      assert.ok(r.out.startsWith(`usage: comicbatch ${c === 'cron-next' ? '' : '[--config FILE] '}${c}`), r.out);
      assert.equal(r.err, '', `${c} ${h} says nothing else`);
    }
  }
  assert.match(run(['--help', 'pause']).out, /^usage: comicbatch \[--config FILE\] pause \[JOBKEY\]/);
  // migrate --help on a fresh database, as its owner: nothing applied.
  const name = `cb_cli_${process.pid}`;
  sql(databaseUrl('postgres'), `DROP DATABASE IF EXISTS ${name}`);
  sql(databaseUrl('postgres'), `CREATE DATABASE ${name}`);
  const fresh = databaseUrl(name);
  try {
    for (const args of [['migrate', '--help'], ['migrate', 'extra'], ['migrate', '--config', ini(''), '-h']]) {
      const r = run(args, { COMICBATCH_DATABASE_URL: fresh });
      assert.equal(r.status, args[1] === 'extra' ? 2 : 0, `${args.join(' ')}: ${r.err}`);
      assert.doesNotMatch(r.out, /migrations applied/);
    }
    assert.equal(sqlValue(fresh, "SELECT count(*) FROM pg_namespace WHERE nspname IN ('jobstate', 'metadata')"), '0');
  } finally {
    sql(databaseUrl('postgres'), `DROP DATABASE IF EXISTS ${name}`);
  }
  // serve --help with everything it needs to serve: it prints and exits at once.
  const s = run(['serve', '--help'], { ...DOWN, COMICBATCH_ADMIN_TOKEN: ADMIN_TOKEN, COMICBATCH_LISTEN: '127.0.0.1:0' });
  assert.equal(s.status, 0, s.err);
  assert.match(s.out, /Runs the daemon/);
});

test('an argument a command does not take is a usage error naming it; nothing runs', () => {
  const db = newDatabase();
  const cases = [
    [['doctor', 'extra'], 'extra'], [['jobs', 'extra'], 'extra'], [['serve', 'extra'], 'extra'],
    [['--version', 'extra'], 'extra'], [['--help', 'nosuch'], 'nosuch'], [['grants', 'cbapp', 'extra'], 'extra'],
    [['accelerators', 'status', 'x'], 'x'], [['accelerators', 'frob'], 'frob'], [['accelerators', 'install', 'nope'], 'nope'],
    [['resume', 'system.canary', 'more'], 'more'], [['cron-next', '* * * * *', '5', '6'], '6'],
    [['cron-next', '* * * * *', 'ten'], 'ten'], [['run', 'system.canary', '--fast'], '--fast'],
    [['cron-next', '* * * * *', '--config', ini('')], '--config'], [['--bogus', 'jobs'], '--bogus'],
  ];
  for (const [args, named] of cases) {
    const r = cli(db, args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.out}${r.err}`);
    assert.ok(r.err.includes(`"${named}"`), `${args.join(' ')} names ${named}: ${r.err}`);
    assert.equal(r.out, '', `${args.join(' ')} printed nothing on stdout`);
  }
  assert.equal(sqlValue(db, "SELECT count(*) FROM system.batchrun WHERE jobkey = 'system.canary'"), '0');
});

test('--config and --log-format after the command are honoured', () => {
  const cfg = ini('[metadata.series_refresh]\ncron = 5 4 * * *\n');
  const after = run(['jobs', '--config', cfg]);
  assert.equal(after.status, 0, after.err);
  assert.match(after.out, /^metadata\.series_refresh\s+5 4 \* \* \*/m, 'the file after the command was read');
  assert.deepEqual(run(['--config', cfg, 'jobs']).out, after.out);
  const bad = run(['doctor', '--config', ini('[nosuch]\nx = 1\n')], DOWN);
  assert.equal(bad.status, 1);
  assert.match(bad.err, /c\d+\.ini:2: nosuch\.x: unknown setting/);
  const fmt = run(['jobs', '--log-format', 'xml']);
  assert.equal(fmt.status, 2);
  assert.match(fmt.err, /--log-format: expected one of logfmt\|json, got "xml"/);
  for (const args of [['--config'], ['doctor', '--config'], ['jobs', '--log-format']]) {
    const r = run(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.err, /option --(config|log-format) needs a value/, `${args.join(' ')}: ${r.err}`);
  }
});

test('a configuration that does not load stops every command with exit 1, jobs included', () => {
  const cfgs = {
    directory: [dir, /cannot open config file: Is a directory/],
    missing: [join(dir, 'missing.ini'), /missing\.ini: cannot open config file/],
    'unknown key': [ini('[runs]\nwrokers = 2\n'), /:2: runs\.wrokers: unknown setting/],
    'misspelt job': [ini('[job.library.hasnw]\ntimeout = 10m\n'),
      /:2: \[job\.library\.hasnw\]: unknown job key; did you mean \[job\.library\.hasnew\]\?/],
  };
  for (const [what, [path, msg]] of Object.entries(cfgs)) {
    for (const c of [['jobs'], ['doctor'], ['migrate'], ['grants', 'cbapp'], ['accelerators', 'status'], ['pause', '--for', '1h']]) {
      const r = run(['--config', path, ...c], DOWN);
      assert.equal(r.status, 1, `${what}: ${c.join(' ')}: ${r.out}${r.err}`);
      assert.match(r.err, msg, `${what}: ${c.join(' ')}`);
      assert.doesNotMatch(r.out, /^JOB /m, `${what}: jobs printed no table`);
    }
  }
  const env = run(['jobs'], { COMICBATCH_LOG_FORMAT: 'xml' });
  assert.equal(env.status, 1);
  assert.match(env.err, /COMICBATCH_LOG_FORMAT/);
  // serve refuses the misspelt job section too.
  const s = run(['--config', cfgs['misspelt job'][0], 'serve'], { ...DOWN, COMICBATCH_ADMIN_TOKEN: ADMIN_TOKEN });
  assert.equal(s.status, 1);
  assert.match(s.err, /unknown job key/);
});

test('a database that does not answer is exit 1 for every command that needs it', () => {
  for (const c of [['doctor'], ['grants', 'cbapp'], ['accelerators', 'status'], ['accelerators', 'install'],
    ['migrate'], ['run', 'system.canary'], ['pause', '--for', '1h'], ['resume']]) {
    const r = run(c, DOWN);
    assert.equal(r.status, 1, `${c.join(' ')}: ${r.err}`);
    assert.match(r.err, /127\.0\.0\.1|connect/, c.join(' '));
  }
  const jobs = run(['jobs'], DOWN);
  assert.equal(jobs.status, 0, 'jobs shows the registry\'s defaults, as documented');
  assert.match(jobs.err, /the registry's defaults are shown/);
});

test('messages name the line, the range, the bad duration and the unknown job key', () => {
  const cases = [
    ['[runs]\nworkers = 2\n[server]\nlisten = 127.0.0.1:99999\n', /:4: server\.listen: port 99999 is out of range/],
    ['[metadata.series_refresh]\ncron = 61 * * * *\n', /:2: metadata\.series_refresh\.cron: .*61/],
    ['[runs]\ndefault_timeout = 90d\n', /:2: runs\.default_timeout: "90d" is outside the allowed range: expected a duration from 1s to 7d/],
  ];
  for (const [text, msg] of cases) {
    const r = run(['--config', ini(text), 'doctor'], DOWN);
    assert.equal(r.status, 1);
    assert.match(r.err, msg);
  }
  const pause = [
    [['pause', '--for', '10x'], /--for: invalid duration "10x"/],
    [['pause', 'nosuch.job', '--for', '1h'], /unknown job key "nosuch\.job"/],
    [['pause', '--for', '1h', '--until', new Date(Date.now() + 3600e3).toISOString()], /--for and --until are exclusive/],
    [['pause', '--until', 'tomorrow'], /--until: expected an ISO 8601 time/],
    [['resume', 'nosuch.job'], /unknown job key "nosuch\.job"/],
  ];
  for (const [args, msg] of pause) {
    const r = run(args, DOWN); // refused before the settings or the database are looked at
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, msg);
    assert.doesNotMatch(r.err, /unexpected or invalid/);
  }
});

test('comicbatch run stopped by SIGTERM: the run is cancelled and says a signal interrupted it', async () => {
  const db = newDatabase();
  const child = spawn(BIN, ['run', 'system.canary', '--params', '{"seconds": 60}'], {
    env: { ...process.env, COMICBATCH_DATABASE_URL: roleUrl(db) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor(() => sqlValue(db, "SELECT count(*) FROM system.batchrun WHERE jobkey = 'system.canary' "
      + "AND status = 'running'") === '1', 20000, 'the run to be running');
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 20000))]);
    assert.equal(code, 1, stderr);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const [[status, lasterror]] = sql(db, "SELECT status, lasterror FROM system.batchrun WHERE jobkey = 'system.canary'");
  assert.equal(status, 'cancelled');
  assert.match(lasterror, /interrupted by a signal/);
  assert.doesNotMatch(lasterror, /admin/);
  assert.match(stderr, /SIGTERM: cancelling run/);
});
