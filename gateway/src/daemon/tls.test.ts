import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { CommandRunner, RunResult } from '../os/runner.js';
import { systemRunner } from '../os/runner.js';
import { buildApp } from '../api/app.js';
import { placeholderDeps } from '../api/openapi.js';
import { ensureCertificate } from './tls.js';

const log = pino({ level: 'silent' });

/** Records openssl calls and writes stand-in files where openssl would. */
function fakeOpenssl(result: Partial<RunResult> = {}) {
  const calls: string[][] = [];
  const runner: CommandRunner = {
    async run(cmd, args) {
      calls.push([cmd, ...args]);
      if (result.code) return { stdout: '', stderr: result.stderr ?? '', code: result.code };
      await writeFile(args[args.indexOf('-keyout') + 1]!, 'KEY');
      await writeFile(args[args.indexOf('-out') + 1]!, 'CERT');
      return { stdout: '', stderr: '', code: 0 };
    },
    spawn() {
      throw new Error('not used');
    },
  };
  return { runner, calls };
}

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pp-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('first start generates a P-256 certificate for the LAN address; later starts reuse it', async (t) => {
  const dir = join(await tempDir(t), 'tls');
  const { runner, calls } = fakeOpenssl();
  const first = await ensureCertificate({ runner, dir, address: '192.168.77.1', log });
  assert.deepEqual(calls, [
    [
      'openssl',
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '825',
      '-subj',
      '/CN=packetpilot',
      '-addext',
      'subjectAltName=IP:192.168.77.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
  ]);
  assert.deepEqual([String(first.cert), String(first.key), first.created], ['CERT', 'KEY', true]);
  assert.equal((await stat(join(dir, 'key.pem'))).mode & 0o777, 0o600);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  const again = await ensureCertificate({ runner, dir, address: '192.168.77.1', log });
  assert.equal(calls.length, 1, 'not generated twice');
  assert.equal(again.created, false);
});

test('a lone cert or key is an error, not overwritten; an openssl failure says what failed', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'cert.pem'), 'MINE');
  const { runner, calls } = fakeOpenssl();
  await assert.rejects(
    ensureCertificate({ runner, dir, address: '10.0.0.1', log }),
    /found .*cert\.pem but not .*key\.pem/,
  );
  assert.equal(calls.length, 0);
  assert.equal(await readFile(join(dir, 'cert.pem'), 'utf8'), 'MINE');
  const failing = fakeOpenssl({ code: 1, stderr: 'unknown option -addext' });
  await assert.rejects(
    ensureCertificate({ runner: failing.runner, dir: join(dir, 'sub'), address: '10.0.0.1', log }),
    /TLS: generate a self-signed certificate in .*: openssl req .* exited 1: unknown option -addext/,
  );
});

test('with real openssl: the API is served over HTTPS with the generated certificate', async (t) => {
  const probe = await systemRunner.run('openssl', ['version']).catch(() => null);
  if (!probe || probe.code !== 0) return t.skip('openssl is not installed');
  const dir = await tempDir(t);
  const cert = await ensureCertificate({ runner: systemRunner, dir, address: '127.0.0.1', log });
  const inspect = await systemRunner.run('openssl', ['x509', '-in', cert.certPath, '-noout', '-text']);
  assert.match(inspect.stdout, /prime256v1|P-256/);
  assert.match(inspect.stdout, /IP Address:127\.0\.0\.1/);
  const app = await buildApp({
    ...placeholderDeps(),
    health: async () => ({
      status: 'ok',
      version: 'test',
      uptimeSeconds: 0,
      database: 'pglite',
      warnings: [],
      memory: { rssBytes: 1, heapUsedBytes: 1, externalBytes: 1 },
      accounting: { lastSampleAt: null, wanGapPercent: null },
    }),
    tls: { cert: cert.cert, key: cert.key },
  });
  t.after(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const body = await new Promise<string>((resolve, reject) => {
    // the certificate itself is the trust anchor: its name (IP 127.0.0.1) must match
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/health', ca: cert.cert }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (d: string) => (data += d));
      res.on('end', () => resolve(data));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(JSON.parse(body).status, 'ok', body);
});
