// redis_resp.mjs — a minimal Redis client for the tests (RESP2 over the unix socket or TCP of
// COMICBATCH_REDIS_URL), with pipelining: `cmd(...args)` returns a promise of the reply; many calls may be in flight
// at once. Each test file picks its own database number (`db`) so files running in parallel never see each other's
// keys. `urlFor(db)` gives the matching COMICBATCH_REDIS_URL for the daemon.
import net from 'node:net';

const BASE = process.env.COMICBATCH_REDIS_URL;

/** The daemon's Redis URL for database `db`. */
export function redisUrlFor(db) {
  if (BASE.startsWith('unix:')) return `${BASE.split('?')[0]}?db=${db}`;
  return BASE.replace(/\/\d*$/, '') + `/${db}`;
}

function encode(args) {
  let out = `*${args.length}\r\n`;
  for (const a of args) {
    const s = Buffer.from(String(a));
    out += `$${s.length}\r\n${s.toString('binary')}\r\n`;
  }
  return Buffer.from(out, 'binary');
}

/** Parses one reply at `pos`; returns [value, next] or null when the buffer is incomplete. */
function parse(buf, pos) {
  if (pos >= buf.length) return null;
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('binary', pos + 1, eol);
  if (type === '+') return [line, eol + 2];
  if (type === '-') return [new Error(line), eol + 2];
  if (type === ':') return [Number(line), eol + 2];
  if (type === '$') {
    const n = Number(line);
    if (n < 0) return [null, eol + 2];
    if (buf.length < eol + 2 + n + 2) return null;
    return [buf.toString('utf8', eol + 2, eol + 2 + n), eol + 2 + n + 2];
  }
  if (type === '*') {
    const n = Number(line);
    if (n < 0) return [null, eol + 2];
    const arr = [];
    let p = eol + 2;
    for (let i = 0; i < n; i++) {
      const r = parse(buf, p);
      if (!r) return null;
      arr.push(r[0]);
      p = r[1];
    }
    return [arr, p];
  }
  throw new Error(`bad RESP type ${type}`);
}

/** Connects to database `db`. Returns { cmd(...args), close() }. */
export async function redisConnect(db) {
  const sock = BASE.startsWith('unix:')
    ? net.createConnection(BASE.slice(5).split('?')[0])
    : net.createConnection(Number(new URL(BASE).port || 6379), new URL(BASE).hostname);
  await new Promise((ok, ko) => { sock.once('connect', ok); sock.once('error', ko); });
  const waiting = [];
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    let pos = 0;
    for (;;) {
      const r = parse(buf, pos);
      if (!r) break;
      pos = r[1];
      const w = waiting.shift();
      if (r[0] instanceof Error) w.ko(r[0]); else w.ok(r[0]);
    }
    buf = buf.subarray(pos);
  });
  const client = {
    cmd(...args) {
      return new Promise((ok, ko) => { waiting.push({ ok, ko }); sock.write(encode(args)); });
    },
    close() { sock.end(); },
  };
  await client.cmd('SELECT', db);
  return client;
}

/** All keys matching `pattern` (SCAN). */
export async function scanKeys(r, pattern) {
  const keys = new Set();
  let cursor = '0';
  do {
    const [next, batch] = await r.cmd('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000);
    for (const k of batch) keys.add(k);
    cursor = next;
  } while (cursor !== '0');
  return [...keys];
}
