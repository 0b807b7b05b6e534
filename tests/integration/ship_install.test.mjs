// ship_install.test.mjs — `make install` (issue 10): with DESTDIR it lays out the binary, man pages, example
// configuration, systemd unit, sysusers entry and operators' kit under PREFIX/SYSCONFDIR (both defaults and
// overrides), with the install paths filled in; the installed binary, started with the installed example
// configuration edited only for the database and Redis URLs, serves; `systemd-analyze verify` accepts the installed
// unit and `systemd-analyze security` rates it; `make uninstall` removes exactly what install wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { newDatabase, ADMIN_TOKEN } from './lib.mjs';
import { BUILD_DIR, ROOT, tempDir, until } from './ship-util.mjs';

/** `make install|uninstall` with variables; asserts success; returns stdout. */
function make(target, vars) {
  const args = ['-s', '-C', ROOT, target, `BUILD=${BUILD_DIR}`, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)];
  const r = spawnSync('make', args, { encoding: 'utf8', timeout: 300000 });
  assert.equal(r.status, 0, `make ${args.join(' ')}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Every file under `dir`, relative, sorted. */
function tree(dir, prefix = '') {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory()
    ? tree(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`])).sort();
}

const LAYOUT_LOCAL = [
  'usr/local/bin/comicbatch',
  'usr/local/etc/comicbatch/comicbatch.ini.example',
  'usr/local/lib/systemd/system/comicbatch.service',
  'usr/local/lib/sysusers.d/comicbatch.conf',
  'usr/local/share/doc/comicbatch/README.md',
  'usr/local/share/doc/comicbatch/grafana-dashboard.json',
  'usr/local/share/doc/comicbatch/openapi.json',
  'usr/local/share/doc/comicbatch/prometheus-alerts.yml',
  'usr/local/share/doc/comicbatch/prometheus-scrape.yml',
  'usr/local/share/man/man1/comicbatch.1',
  'usr/local/share/man/man5/comicbatch.ini.5',
];

test('make install DESTDIR=… lays out the tree under the default PREFIX, and make uninstall removes it', () => {
  const dest = tempDir('cbinstall-');
  make('install', { DESTDIR: dest });
  assert.deepEqual(tree(dest), LAYOUT_LOCAL);
  const bin = join(dest, 'usr/local/bin/comicbatch');
  assert.equal(statSync(bin).mode & 0o777, 0o755);
  assert.equal(statSync(join(dest, 'usr/local/etc/comicbatch/comicbatch.ini.example')).mode & 0o777, 0o644);
  assert.equal(spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim(),
    spawnSync(join(BUILD_DIR, 'comicbatch'), ['--version'], { encoding: 'utf8' }).stdout.trim());
  const unit = readFileSync(join(dest, 'usr/local/lib/systemd/system/comicbatch.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/local\/bin\/comicbatch --config \/usr\/local\/etc\/comicbatch\/comicbatch\.ini serve$/m);
  assert.match(unit, /^Type=notify$/m);
  assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  for (const f of LAYOUT_LOCAL.filter((x) => !x.endsWith('/comicbatch'))) {
    assert.doesNotMatch(readFileSync(join(dest, f), 'utf8'), /@[A-Z]+@/, `${f}: every placeholder filled`);
  }
  assert.match(readFileSync(join(dest, 'usr/local/share/man/man5/comicbatch.ini.5'), 'utf8'),
    /^\.I \/usr\/local\/etc\/comicbatch\/comicbatch\.ini$/m);
  assert.equal(readFileSync(join(dest, 'usr/local/share/doc/comicbatch/openapi.json'), 'utf8'),
    readFileSync(join(ROOT, 'docs/openapi.json'), 'utf8'));

  // An operator's own comicbatch.ini survives uninstall; everything install wrote goes.
  writeFileSync(join(dest, 'usr/local/etc/comicbatch/comicbatch.ini'), '[log]\nlevel = info\n');
  make('uninstall', { DESTDIR: dest });
  assert.deepEqual(tree(dest), ['usr/local/etc/comicbatch/comicbatch.ini']);
});

test('PREFIX=/usr puts the configuration in /etc; SYSCONFDIR overrides it', () => {
  const dest = tempDir('cbinstall-usr-');
  make('install', { DESTDIR: dest, PREFIX: '/usr' });
  const files = tree(dest);
  assert.ok(files.includes('etc/comicbatch/comicbatch.ini.example'), files.join('\n'));
  assert.ok(files.includes('usr/bin/comicbatch'));
  assert.ok(files.includes('usr/lib/systemd/system/comicbatch.service'));
  assert.ok(files.includes('usr/share/man/man1/comicbatch.1'));
  assert.match(readFileSync(join(dest, 'usr/lib/systemd/system/comicbatch.service'), 'utf8'),
    /^ExecStart=\/usr\/bin\/comicbatch --config \/etc\/comicbatch\/comicbatch\.ini serve$/m);
  make('uninstall', { DESTDIR: dest, PREFIX: '/usr' });
  assert.deepEqual(tree(dest), []);

  const dest2 = tempDir('cbinstall-sysconf-');
  make('install', { DESTDIR: dest2, PREFIX: '/opt/comicbatch', SYSCONFDIR: '/etc/opt/comicbatch' });
  assert.ok(tree(dest2).includes('etc/opt/comicbatch/comicbatch/comicbatch.ini.example'));
  assert.match(readFileSync(join(dest2, 'opt/comicbatch/lib/systemd/system/comicbatch.service'), 'utf8'),
    /--config \/etc\/opt\/comicbatch\/comicbatch\/comicbatch\.ini serve/);
});

test('the installed binary serves with the installed example configuration (database and Redis URLs edited)', async () => {
  const dest = tempDir('cbinstall-run-');
  make('install', { DESTDIR: dest });
  const example = readFileSync(join(dest, 'usr/local/etc/comicbatch/comicbatch.ini.example'), 'utf8');
  // The only edit: the two URLs, uncommented under their sections. Everything else stays at its default.
  let section = '';
  const edited = example.split('\n').map((l) => {
    section = l.match(/^\[(.+)\]$/)?.[1] ?? section;
    if (section === 'database' && l.startsWith('#url = ')) return `url = ${newDatabase()}`;
    if (section === 'redis' && l.startsWith('#url = ')) return `url = ${process.env.COMICBATCH_REDIS_URL}`;
    return l;
  }).join('\n');
  assert.equal(edited.split('\n').filter((l, i) => l !== example.split('\n')[i]).length, 2, 'two lines changed');
  const etc = join(dest, 'usr/local/etc/comicbatch/comicbatch.ini');
  writeFileSync(etc, edited);
  const cwd = join(dest, 'var/lib/comicbatch'); // the unit's WorkingDirectory (data_dir ./var lands under it)
  mkdirSync(cwd, { recursive: true });
  // The admin token comes from the environment (the example leaves it unset); port 0 avoids clashes on 8080.
  const env = { ...process.env, COMICBATCH_ADMIN_TOKEN: ADMIN_TOKEN, COMICBATCH_LISTEN: '127.0.0.1:0' };
  delete env.COMICBATCH_DATABASE_URL;
  delete env.COMICBATCH_REDIS_URL;
  let log = '';
  const proc = spawn(join(dest, 'usr/local/bin/comicbatch'), ['--config', etc, 'serve'], { cwd, env });
  proc.stderr.on('data', (b) => { log += b; });
  let exited = null;
  proc.on('exit', (code, sig) => { exited = { code, sig }; });
  try {
    const url = await until(() => {
      if (exited) throw new Error(`exited ${JSON.stringify(exited)}: ${log}`);
      return log.match(/msg="serving" url=(http:\/\/127\.0\.0\.1:\d+\/)/)?.[1];
    }, 20000, `the serving line\n${log}`);
    assert.equal((await fetch(`${url}healthz`)).status, 200);
    const ready = await fetch(`${url}readyz`);
    assert.equal(ready.status, 200, 'database and Redis from the edited file');
    const jobs = await fetch(`${url}api/v1/admin/batch/schedule`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(jobs.status, 200);
    assert.equal((await fetch(`${url}api/v1/openapi.json`)).status, 200);
    assert.ok(existsSync(join(cwd, 'var')), 'the default data_dir ./var under the working directory');
  } finally {
    proc.kill('SIGTERM');
    await until(() => exited, 20000, 'exit');
  }
  assert.deepEqual(exited, { code: 0, sig: null }, log);
});

test('systemd-analyze verify accepts the installed unit; systemd-analyze security rates it', async (t) => {
  const dest = tempDir('cbinstall-unit-');
  make('install', { DESTDIR: dest });
  const installed = readFileSync(join(dest, 'usr/local/lib/systemd/system/comicbatch.service'), 'utf8');
  // verify runs on the host's systemd, which looks for ExecStart= and the man pages of Documentation= on the host:
  // point the one at the binary installed in DESTDIR (nothing else changes) and MANPATH at the installed pages.
  const dir = tempDir('cbunit-');
  const unit = join(dir, 'comicbatch.service');
  writeFileSync(unit, installed.replace('ExecStart=/usr/local/bin/comicbatch', `ExecStart=${dest}/usr/local/bin/comicbatch`));
  const env = { ...process.env, MANPATH: `${dest}/usr/local/share/man:`, SYSTEMD_LOG_LEVEL: 'notice' };
  const v = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', env });
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.equal(v.stderr.trim(), '', 'no warnings');
  // The check can fail: a unit without its binary is refused.
  writeFileSync(unit, installed);
  const missing = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', env });
  assert.notEqual(missing.status, 0, 'verify refuses a unit whose binary does not exist');

  const s = spawnSync('systemd-analyze', ['security', '--offline=true', unit], { encoding: 'utf8' });
  const m = s.stdout.match(/Overall exposure level for comicbatch\.service: ([\d.]+) (\w+)/);
  assert.ok(m, s.stdout + s.stderr);
  t.diagnostic(`systemd-analyze security exposure: ${m[1]} ${m[2]}`);
  assert.ok(Number(m[1]) <= 2.0, `exposure ${m[1]} (keep the unit hardened)`);
  for (const line of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes', 'ProtectHome=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6', 'SystemCallFilter=@system-service', 'CapabilityBoundingSet=',
    'StateDirectory=comicbatch', 'WatchdogSec=30s']) assert.ok(installed.split('\n').includes(line), line);
});
