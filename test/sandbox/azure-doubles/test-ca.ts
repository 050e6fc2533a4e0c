/**
 * Throwaway CA and server certificate for tests, made with the `openssl` CLI in a temp directory.
 * The server certificate covers `IP:127.0.0.1`, `IP:::1` and `DNS:localhost` by default.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificates {
  dir: string;
  caCertPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  cleanup(): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd, timeout: 60_000 });
}

export async function createTestCertificates(options: { ips?: string[]; dnsNames?: string[]; dir?: string } = {}): Promise<TestCertificates> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'slipway-azure-ca-')));
  const ips = options.ips ?? ['127.0.0.1', '::1'];
  const dns = options.dnsNames ?? ['localhost'];
  const san = [...ips.map((ip) => `IP:${ip}`), ...dns.map((d) => `DNS:${d}`)].join(',');
  await writeFile(
    join(dir, 'server.ext'),
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`,
  );
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '3',
      '-subj',
      '/CN=Slipway sandbox test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  await openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '3', '-extfile', 'server.ext'],
    dir,
  );
  const caCertPath = join(dir, 'ca.crt');
  const serverCertPath = join(dir, 'server.crt');
  const serverKeyPath = join(dir, 'server.key');
  return {
    dir,
    caCertPath,
    serverCertPath,
    serverKeyPath,
    caCert: await readFile(caCertPath, 'utf8'),
    serverCert: await readFile(serverCertPath, 'utf8'),
    serverKey: await readFile(serverKeyPath, 'utf8'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
