// ship_docs.test.mjs — one source for the CLI and settings text (issue 10): the README's generated blocks equal
// what the build generates from src/cli/usage.c and src/config_keys.c; --help, the man page and the README list the
// same commands and every listed command is implemented; the man pages are clean ASCII roff; the example file
// lists every setting of the table under its section and is accepted, uncommented, by the daemon's parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, newDatabase } from './lib.mjs';
import { BUILD_DIR, ROOT, tempDir } from './ship-util.mjs';

const docgen = (what) => execFileSync(join(BUILD_DIR, 'comicbatch-docgen'), [what], { encoding: 'utf8' });
const envWithout = (...names) => Object.fromEntries(Object.entries(process.env).filter(([k]) => !names.includes(k)));

test('the README blocks are the generated text (scripts/gen-docs.sh --check)', () => {
  const r = spawnSync(join(ROOT, 'scripts/gen-docs.sh'), ['--check'], {
    encoding: 'utf8', env: { ...process.env, BUILD: BUILD_DIR },
  });
  assert.equal(r.status, 0, `README.md differs from the tables; run scripts/gen-docs.sh\n${r.stdout}${r.stderr}`);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.includes(docgen('readme-cli')), 'the CLI block');
  assert.ok(readme.includes(docgen('readme-config')), 'the configuration table');
});

test('--help, the man page and the README name the same commands, and each one is implemented', () => {
  const help = execFileSync(BIN, ['--help'], { encoding: 'utf8' });
  const helpCmds = help.split('Commands:\n')[1].split('\n\n')[0].split('\n')
    .filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s/)[0]);
  const man = docgen('man1');
  const manCmds = [...man.split('.SH COMMANDS')[1].split('.SH OPTIONS')[0].matchAll(/^\.TP\n\\fB([a-z-]+)\\fR/gm)]
    .map((m) => m[1]);
  const readmeCmds = [...docgen('readme-cli').matchAll(/^comicbatch (?:\[--config FILE\] )?([a-z][a-z-]*)/gm)]
    .map((m) => m[1]);
  assert.ok(helpCmds.length >= 5, help);
  assert.deepEqual(manCmds, helpCmds);
  assert.deepEqual(readmeCmds, helpCmds);
  for (const c of ['serve', 'migrate', 'run', 'jobs', 'cron-next']) assert.ok(helpCmds.includes(c), c);
  // Each command reaches its own code: no "unknown command", no "has a row … but no branch".
  const env = envWithout('COMICBATCH_DATABASE_URL', 'COMICBATCH_ADMIN_TOKEN', 'NOTIFY_SOCKET');
  for (const c of helpCmds) {
    const r = spawnSync(BIN, [c], { encoding: 'utf8', env, timeout: 20000 });
    assert.doesNotMatch(r.stderr, /unknown command|no branch here/, `${c}: ${r.stderr}`);
  }
  const bogus = spawnSync(BIN, ['no-such-command'], { encoding: 'utf8' });
  assert.equal(bogus.status, 2);
  assert.match(bogus.stderr, /unknown command "no-such-command"/);
});

test('the man pages are ASCII roff that groff formats without a warning', () => {
  const dir = tempDir('cbman-');
  for (const [what, file] of [['man1', 'comicbatch.1'], ['man5', 'comicbatch.ini.5']]) {
    const text = docgen(what);
    assert.match(text, /^[\x09\x0a\x20-\x7e]*$/, `${file} is ASCII (unknown glyphs show as ?)`);
    assert.doesNotMatch(text.replace(/'EXPR'/g, ''), /\?\?/, file);
    assert.equal(readFileSync(join(BUILD_DIR, 'docs', file), 'utf8'), text, `build/docs/${file} is current`);
    writeFileSync(join(dir, file), text);
    const r = spawnSync('groff', ['-man', '-ww', '-z', join(dir, file)], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '', `${file}: ${r.stderr}`);
  }
  const man5 = docgen('man5');
  for (const env of ['COMICBATCH_DATABASE_URL', 'COMICBATCH_LOG_FORMAT']) assert.ok(man5.includes(env));
  assert.match(docgen('man1'), /\.B SIGHUP\n.*\\fB\[log\] level\\fR/, 'the reloadable settings are listed');
});

test('the example file lists every setting with its default and loads when uncommented', () => {
  const example = readFileSync(join(BUILD_DIR, 'docs', 'comicbatch.ini.example'), 'utf8');
  assert.equal(example, docgen('ini'));
  // Settings of the README table (one row per key of the table in src/config_keys.c).
  const rows = [...docgen('readme-config').matchAll(/^\| `\[([^\]]+)\] ([a-z_]+)` \|[^|]*\| ([^|]*) \|/gm)];
  assert.ok(rows.length > 40, `${rows.length} settings`);
  const listed = new Map();
  let section = null;
  for (const line of example.split('\n')) {
    const s = line.match(/^#?\[([^\]]+)\]$/);
    if (s) section = s[1];
    const k = line.match(/^#([a-z_]+) =(?: (.*))?$/);
    if (k) listed.set(`${section}.${k[1]}`, k[2] ?? '');
  }
  for (const [, sec, name, dflt] of rows) {
    const key = `${sec}.${name}`;
    assert.ok(listed.has(key), `${key} is in the example file`);
    const literal = dflt.match(/^`(.*)`$/);
    if (literal) assert.equal(listed.get(key), literal[1], `${key}: the default as in the README`);
  }
  assert.equal(listed.size, rows.length, 'and nothing else');

  // Uncommented whole (section headers too, [job.KEY] named), it is a valid file: migrate accepts it and reaches the database.
  const dir = tempDir('cbexample-');
  const file = join(dir, 'comicbatch.ini');
  // [job.KEY] is a placeholder: a section must name a real job (an unknown job key stops start-up), so it becomes one.
  writeFileSync(file, example.replace(/^#(\[|[a-z_]+ =)/gm, '$1').replace(/^\[job\.KEY\]$/m, '[job.library.hasnew]'));
  const r = spawnSync(BIN, ['--config', file, 'migrate'], {
    encoding: 'utf8', env: { ...process.env, COMICBATCH_DATABASE_URL: newDatabase() }, timeout: 20000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /migrations applied: 0/);
});
