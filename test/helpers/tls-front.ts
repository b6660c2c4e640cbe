import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import { promisify } from 'node:util';

/**
 * TLS in front of a plain local server, as a reverse proxy terminates it in production: for clients that
 * insist on `wss:` (the openai SDK's realtime client). A self-signed certificate for 127.0.0.1 is made with
 * openssl; clients trust it through `ca`.
 */
export async function tlsFront(
  targetPort: number,
): Promise<{ url: string; ca: Buffer; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'rtvoice-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  const ca = readFileSync(cert);
  const server = createServer({ key: readFileSync(key), cert: ca }, (secure) => {
    const plain = connect(targetPort, '127.0.0.1');
    secure.pipe(plain).pipe(secure);
    const end = () => {
      secure.destroy();
      plain.destroy();
    };
    secure.on('error', end);
    plain.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rmSync(dir, { recursive: true, force: true });
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ca,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
