/**
 * `--tls`: the API over HTTPS with a self-signed certificate made on first start and kept in
 * `<data-dir>/tls/{cert.pem,key.pem}`. Replace both files (and restart) to use your own.
 */
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { runChecked, type CommandRunner } from '../os/runner.js';

export interface Certificate {
  cert: Buffer;
  key: Buffer;
  certPath: string;
  /** True when this start generated it. */
  created: boolean;
}

/** openssl's arguments for a P-256 certificate valid 825 days (the most Apple platforms accept) for `address`. */
export function selfSignedArgs(address: string, certPath: string, keyPath: string): string[] {
  return [
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
    `subjectAltName=IP:${address}`,
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ];
}

async function readIfThere(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The certificate in `dir`, generated with openssl (through the runner) when there is none yet. */
export async function ensureCertificate(o: {
  runner: CommandRunner;
  dir: string;
  /** The LAN address the certificate is for (its subjectAltName). */
  address: string;
  log: Logger;
}): Promise<Certificate> {
  const certPath = join(o.dir, 'cert.pem');
  const keyPath = join(o.dir, 'key.pem');
  const [cert, key] = await Promise.all([readIfThere(certPath), readIfThere(keyPath)]);
  if (cert && key) return { cert, key, certPath, created: false };
  if (cert || key) {
    throw new Error(
      `TLS: found ${cert ? certPath : keyPath} but not ${cert ? keyPath : certPath}; put both there or remove both`,
    );
  }
  await mkdir(o.dir, { recursive: true, mode: 0o700 });
  try {
    await runChecked(o.runner, 'openssl', selfSignedArgs(o.address, certPath, keyPath), {
      timeoutMs: 30_000,
    });
  } catch (err) {
    throw new Error(`TLS: generate a self-signed certificate in ${o.dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  await chmod(keyPath, 0o600);
  const created = { cert: await readFile(certPath), key: await readFile(keyPath), certPath, created: true };
  o.log.info({ cert: certPath, address: o.address }, 'generated a self-signed TLS certificate');
  return created;
}
