// s3_verify.mjs — a real S3-compatible server on loopback for the storage tests: s3rver (which does not check
// request signatures) behind a small proxy that recomputes every request's AWS SigV4 signature with an independent
// implementation (@smithy/signature-v4, the AWS SDK's own signer) from the known secret, checks the payload hash
// against the body, and answers 403 on any mismatch (also recorded in `badSignatures`, so a test can assert none).
// s3rver itself only checks that a SigV4 request names a key it knows, so it is sent the verified request without
// its Authorization header. `failWith = 500` makes the proxy answer every request with that status (a storage outage) without forwarding.
import http from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';

const AUTH_RE = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** Recomputes the signature of one received request; returns null when it matches, else a reason. */
async function verify(req, body, creds) {
  const auth = req.headers.authorization || '';
  const m = AUTH_RE.exec(auth);
  if (!m) return `no SigV4 Authorization header (${auth.slice(0, 40)})`;
  const [, akid, day, region, service, signedList, signature] = m;
  if (akid !== creds.accessKeyId) return `unknown access key ${akid}`;
  if (service !== 's3') return `service ${service}, expected s3`;
  if (region !== creds.region) return `region ${region}, expected ${creds.region}`;
  const amzDate = req.headers['x-amz-date'];
  if (!amzDate || !amzDate.startsWith(day)) return 'x-amz-date missing or not the credential day';
  const signed = signedList.split(';');
  for (const h of ['host', 'x-amz-date', 'x-amz-content-sha256']) {
    if (!signed.includes(h)) return `header ${h} is not signed`;
  }
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== createHash('sha256').update(body).digest('hex')) {
    return 'x-amz-content-sha256 does not match the body';
  }
  const headers = {};
  for (const h of signed) headers[h] = req.headers[h];
  const url = new URL(req.url, 'http://placeholder');
  const query = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const [hostname, port] = req.headers.host.split(':');
  const signer = new SignatureV4({
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    region, service: 's3', sha256: Hash.bind(null, 'sha256'), uriEscapePath: false, applyChecksum: false,
  });
  const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const out = await signer.sign({
    method: req.method, protocol: 'http:', hostname, port: port ? Number(port) : undefined,
    path: url.pathname, query, headers, body,
  }, { signingDate: date, signableHeaders: new Set(signed) });
  const expected = AUTH_RE.exec(out.headers.authorization);
  if (!expected) return 'verifier produced no signature';
  if (expected[5] !== signedList) return `signed headers differ: ${expected[5]} vs ${signedList}`;
  if (expected[6] !== signature) return `signature mismatch for ${req.method} ${req.url}`;
  return null;
}

/**
 * Starts s3rver with `bucket` and the verifying proxy in front. Returns { endpoint, requests, badSignatures,
 * failWith, objectExists(key), putObject(key, body), stop() }.
 */
export async function startS3({ accessKeyId, secretAccessKey, region, bucket }) {
  const dir = mkdtempSync(join(tmpdir(), 's3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir,
    configureBuckets: [{ name: bucket }] });
  const info = await server.run();
  const upstream = info.port;
  const s3 = { requests: [], badSignatures: [], failWith: 0 };
  const creds = { accessKeyId, secretAccessKey, region };
  const proxy = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const reason = await verify(req, body, creds).catch((e) => `verifier error: ${e.message}`);
      s3.requests.push({ method: req.method, url: req.url });
      if (reason) {
        s3.badSignatures.push(reason);
        res.writeHead(403, { 'Content-Type': 'application/xml' });
        res.end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
        return;
      }
      if (s3.failWith) {
        res.writeHead(s3.failWith, { 'Content-Type': 'application/xml' });
        res.end('<Error><Code>InternalError</Code></Error>');
        return;
      }
      // Verified here; s3rver only knows its own dummy key, so it gets the request anonymously.
      const { authorization, ...fwd } = req.headers;
      const up = http.request({ host: '127.0.0.1', port: upstream, method: req.method, path: req.url,
        headers: { ...fwd, 'content-length': body.length } }, (ur) => {
        res.writeHead(ur.statusCode, ur.headers);
        ur.pipe(res);
      });
      up.on('error', () => { res.writeHead(502); res.end(); });
      up.end(body);
    });
  });
  await new Promise((ok) => proxy.listen(0, '127.0.0.1', ok));
  s3.endpoint = `http://127.0.0.1:${proxy.address().port}`;
  const direct = `http://127.0.0.1:${upstream}/${bucket}/`;
  s3.objectExists = async (key) => (await fetch(direct + key, { method: 'HEAD' })).status === 200;
  s3.putObject = async (key, data) => {
    const r = await fetch(direct + key, { method: 'PUT', body: data });
    if (r.status !== 200) throw new Error(`s3rver PUT ${key}: ${r.status}`);
  };
  s3.stop = async () => {
    await new Promise((ok) => proxy.close(ok));
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return s3;
}
