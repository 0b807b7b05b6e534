// covers-upstream.mjs — the upstream image server the cover-proxy tests fetch from: real HTTPS on 127.0.0.1 with a
// self-signed certificate made here by the openssl CLI (the daemon trusts it only through the test setting
// [storage] cover_ca_file), serving image bodies of every accepted type plus the hostile answers the SSRF battery
// needs (redirects, oversized, slow, SVG, text). It counts requests per path so tests can tell a cache hit from
// an upstream fetch.
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** A self-signed certificate for localhost, *.c.test, 127.0.0.1 and ::1: { key, cert, caFile }. */
export function makeCert() {
  const dir = mkdtempSync(join(tmpdir(), 'cb-covers-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,DNS:*.c.test,IP:127.0.0.1,IP:::1',
    '-keyout', keyFile, '-out', certFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), caFile: certFile };
}

/** Image bodies: real magic bytes followed by random filler, so each is distinct and its size is ours to pick. */
export function makeImages() {
  const fill = (head, size) => Buffer.concat([head, randomBytes(size - head.length)]);
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const avifHead = Buffer.concat([Buffer.from('00000018', 'hex'), Buffer.from('ftypavif'),
    Buffer.from('00000000', 'hex'), Buffer.from('avifmif1')]);
  return {
    '/a.png': { type: 'image/png', body: fill(png, 7013) },
    '/b.jpg': { type: 'image/jpeg', body: fill(Buffer.from('ffd8ffe000104a464946', 'hex'), 5120) },
    '/c.gif': { type: 'image/gif', body: fill(Buffer.from('GIF89a'), 3001) },
    '/d.webp': { type: 'image/webp', body: fill(Buffer.concat([Buffer.from('RIFF'), Buffer.from('e4170000', 'hex'),
      Buffer.from('WEBPVP8 ')]), 6124) },
    '/e.avif': { type: 'image/avif', body: fill(avifHead, 4099) },
  };
}

/**
 * Starts the upstream. `images` maps paths to { type, body } (mutable: tests may replace a body). Extra routes:
 * /redirect?to=URL (302), /loop (302 to itself), /big-declared.png and /big-chunked.png (bigBytes of PNG, with and
 * without Content-Length), /text.png (HTML), /cover.svg, /slow.png (headers, then nothing for slowMs),
 * /trickle.png?ms=N (half of /a.png, a pause, the rest), /delayed.png?ms=N (/a.png after N ms), /missing (404).
 * Returns { port, hits(path), close() }.
 */
export async function startUpstream({ key, cert }, images, { bigBytes = 200 * 1024, slowMs = 5000 } = {}) {
  const counts = new Map();
  const server = https.createServer({ key, cert }, async (req, res) => {
    const url = new URL(req.url, 'https://localhost');
    counts.set(url.pathname, (counts.get(url.pathname) || 0) + 1);
    const img = images[url.pathname];
    const ms = Number(url.searchParams.get('ms') || 0);
    if (img) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': img.body.length });
      res.end(img.body);
    } else if (url.pathname === '/redirect') {
      res.writeHead(302, { Location: url.searchParams.get('to') });
      res.end('moved');
    } else if (url.pathname === '/loop') {
      res.writeHead(302, { Location: '/loop' });
      res.end();
    } else if (url.pathname === '/big-declared.png' || url.pathname === '/big-chunked.png') {
      const body = Buffer.concat([images['/a.png'].body.subarray(0, 16), Buffer.alloc(bigBytes - 16, 7)]);
      res.writeHead(200, url.pathname === '/big-declared.png' ? { 'Content-Length': body.length } : {});
      for (let off = 0; off < body.length && !res.destroyed; off += 16384) {
        res.write(body.subarray(off, off + 16384));
        await sleep(2);
      }
      res.end();
    } else if (url.pathname === '/text.png') {
      res.writeHead(200, { 'Content-Type': 'image/png' });
      res.end('<!doctype html><html><body>definitely not a picture, whatever the header says</body></html>');
    } else if (url.pathname === '/cover.svg') {
      res.writeHead(200, { 'Content-Type': 'image/svg+xml' });
      res.end('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    } else if (url.pathname === '/slow.png') {
      res.writeHead(200, { 'Content-Type': 'image/png' });
      res.flushHeaders();
      await sleep(slowMs);
      if (!res.destroyed) res.end(images['/a.png'].body);
    } else if (url.pathname === '/trickle.png') {
      const body = images['/a.png'].body;
      res.writeHead(200, { 'Content-Length': body.length });
      res.write(body.subarray(0, 3000));
      await sleep(ms);
      if (!res.destroyed) res.end(body.subarray(3000));
    } else if (url.pathname === '/delayed.png') {
      await sleep(ms);
      res.writeHead(200, { 'Content-Length': images['/a.png'].body.length });
      res.end(images['/a.png'].body);
    } else {
      res.writeHead(404);
      res.end('no such thing');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    hits: (path) => counts.get(path) || 0,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
