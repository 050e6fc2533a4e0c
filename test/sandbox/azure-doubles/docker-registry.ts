/**
 * Starts Debian's `docker-registry` (distribution 2.x) over TLS with `http.relativeurls: true` and
 * deletes enabled, on a free loopback port, for tests that do not have the sandbox's registry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface RunningRegistry {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function probe(url: string, ca: string): Promise<number> {
  return new Promise((resolve) => {
    const r = request(`${url}/v2/`, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    r.on('error', () => resolve(0));
    r.on('timeout', () => r.destroy());
    r.end();
  });
}

export async function startDockerRegistry(options: {
  dir: string;
  certPath: string;
  keyPath: string;
  caCert: string;
  binary?: string;
}): Promise<RunningRegistry> {
  const port = await freePort();
  const storage = join(options.dir, 'registry-data');
  await mkdir(storage, { recursive: true });
  const configPath = join(options.dir, 'registry-config.yml');
  await writeFile(
    configPath,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storage}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  relativeurls: true',
      '  tls:',
      `    certificate: ${options.certPath}`,
      `    key: ${options.keyPath}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(options.binary ?? '/usr/bin/docker-registry', ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  const url = `https://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while ((await probe(url, options.caCert)) !== 200) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`docker-registry did not start on ${url}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
