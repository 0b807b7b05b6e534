// ship-util.mjs — helpers for the deployment tests (ship_*.test.mjs, issue 10): the daemon started from a config
// file the test owns (so it can rewrite it and send SIGHUP), a stand-in for systemd's notification socket
// (tests/helpers/notify_recv.c, built next to the binary: Node.js cannot bind AF_UNIX datagram sockets), and where
// the build's other outputs live.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, ADMIN_TOKEN } from './lib.mjs';

/** The build directory of the binary under test (build/, or build-asan/ in the sanitizer pass). */
export const BUILD_DIR = dirname(BIN);
/** The repository root. */
export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/** A fresh temporary directory. */
export function tempDir(prefix = 'cbship-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** INI text from { section: { key: value } }. */
export function iniText(sections) {
  return Object.entries(sections)
    .map(([s, kv]) => `[${s}]\n` + Object.entries(kv).map(([k, v]) => `${k} = ${v}`).join('\n'))
    .join('\n\n') + '\n';
}

/**
 * Starts `BIN [args] serve` with `--config <dir>/comicbatch.ini` written from `sections` (plus a port file and a
 * data dir in `dir`). Does not wait for anything. Returns { proc, dir, cfg, portFile, logs(), exited(), base(),
 * waitPort(), stop(), writeConfig(sections) }.
 */
export function spawnDaemon(dbUrl, sections, { args = [], env = {}, dir = tempDir() } = {}) {
  const portFile = join(dir, 'port');
  const cfg = join(dir, 'comicbatch.ini');
  const withDefaults = (s) => ({
    ...s,
    server: { port_file: portFile, ...(s.server || {}) },
    runs: { heartbeat_seconds: 1, lease_seconds: 6, workers: 2, ...(s.runs || {}) },
    paths: { data_dir: dir, ...(s.paths || {}) },
  });
  writeFileSync(cfg, iniText(withDefaults(sections)));
  let log = '';
  let exited = null;
  const proc = spawn(BIN, [...args, '--config', cfg, 'serve'], {
    env: {
      ...process.env, COMICBATCH_DATABASE_URL: dbUrl, COMICBATCH_LISTEN: '127.0.0.1:0',
      COMICBATCH_ADMIN_TOKEN: ADMIN_TOKEN, ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (b) => { log += b; });
  proc.stderr.on('data', (b) => { log += b; });
  proc.on('exit', (code, sig) => { exited = { code, sig }; });
  const d = {
    proc, dir, cfg, portFile,
    logs: () => log,
    exited: () => exited,
    port: () => Number(readFileSync(portFile, 'utf8').trim()),
    base: () => `http://127.0.0.1:${d.port()}`,
    writeConfig: (s) => writeFileSync(cfg, iniText(withDefaults(s))),
    async waitPort(ms = 15000) {
      const until = Date.now() + ms;
      while (!existsSync(portFile)) {
        if (exited) throw new Error(`daemon exited early (${JSON.stringify(exited)}):\n${log}`);
        if (Date.now() > until) throw new Error(`daemon did not listen in ${ms} ms:\n${log}`);
        await sleep(20);
      }
      return d.port();
    },
    async waitExit(ms = 20000) {
      const until = Date.now() + ms;
      while (!exited && Date.now() < until) await sleep(20);
      if (!exited) {
        proc.kill('SIGKILL');
        throw new Error(`daemon did not exit in ${ms} ms:\n${log}`);
      }
      return exited;
    },
    async stop() {
      if (!exited) proc.kill('SIGTERM');
      return d.waitExit();
    },
  };
  return d;
}

/** Waits until `fn()` is truthy (polling every 20 ms) or throws naming `what`. */
export async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Starts tests/helpers/notify_recv on a fresh socket; `portFile` is the daemon's port file it checks at each
 * datagram. Returns { socket, messages (array of {msg, portFile, accepts}, growing), stop() } once it listens.
 */
export async function notifySocket(portFile, dir = tempDir('cbnotify-')) {
  const socket = join(dir, 'notify.sock');
  const proc = spawn(join(BUILD_DIR, 'notify_recv'), [socket, portFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages = [];
  let listening = false;
  createInterface({ input: proc.stdout }).on('line', (line) => {
    if (line === 'listening') listening = true;
    else messages.push(JSON.parse(line));
  });
  await until(() => listening, 5000, 'notify_recv to listen');
  return {
    socket, messages,
    /** Index of the first message matching `re` at or after `from`, or -1. */
    find: (re, from = 0) => messages.findIndex((m, i) => i >= from && re.test(m.msg)),
    stop: () => proc.kill('SIGKILL'),
  };
}
