import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../support/host-harness.ts';
import type { ShellMarkers } from './corpus-cases.ts';

/** Where one case runs: its own workspace (the shared fixtures linked in), temp directory and home. */
export interface CaseDirs {
  readonly workspace: string;
  readonly tempDir: string;
  readonly home: string;
}

/**
 * What every corpus case runs against: the fixtures the base inputs name, the shell-injection markers,
 * and two local ports that make a valid push fail at once — a "registry" that answers TLS with plain
 * text (a TLS error, which neither Slipway nor the Azure SDK retries) and a closed port for the Entra
 * authority. Nothing here reaches the network.
 */
export interface CorpusFixture {
  readonly root: string;
  readonly markers: ShellMarkers;
  /** Per step, inputs that validate; each case replaces one of them (or adds one). */
  readonly bases: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Fresh directories for case `index`. Every case gets its own, because valid cases write (a
   * `json-file` named `true` is a file called `true` afterwards) and a file one case wrote must not
   * make the same path valid in the next.
   */
  dirsFor(index: number): CaseDirs;
  close(): Promise<void>;
}

/** A root directory for one corpus run, and the shell markers in it (known before any case is generated). */
export function createCorpusRoot(): { root: string; markers: ShellMarkers } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'slipway-corpus-'));
  const markers = { touchDir: path.join(root, 'markers', 'touched'), canary: path.join(root, 'markers', 'canary') };
  for (const dir of [markers.touchDir, markers.canary]) mkdirSync(dir, { recursive: true });
  return { root, markers };
}

/** The fixtures every case workspace links to: examples/hello, the tiny OCI layout, a Trivy report. */
const sharedFixtures: ReadonlyArray<readonly [string, string]> = [
  ['hello', 'examples/hello'],
  // The workspace is a build context too, so that a blank `context` (the default, `.`) validates.
  ['Containerfile', 'examples/hello/Containerfile'],
  ['layout', 'test/fixtures/oci/tiny'],
  ['report.json', 'test/fixtures/trivy/sandbox-app-vuln.json'],
  ['chart', 'test/fixtures/charts/slipway-demo'],
];

export async function createCorpusFixture(at: { root: string; markers: ShellMarkers }): Promise<CorpusFixture> {
  const { root, markers } = at;
  const shared = path.join(root, 'shared');
  mkdirSync(shared);
  for (const [name, source] of sharedFixtures) cpSync(path.join(repoRoot, source), path.join(shared, name), { recursive: true });
  const linked = [...sharedFixtures.map(([name]) => name), 'kubeconfig'];
  const dirsFor = (index: number): CaseDirs => {
    // Four levels below /: `../../../../etc/passwd` from a workspace is /etc/passwd, as the issue means it.
    const dirs = { workspace: path.join(root, 'w', String(index)), tempDir: path.join(root, 't', String(index)), home: path.join(root, 'h', String(index)) };
    for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
    for (const name of linked) symlinkSync(path.join(shared, name), path.join(dirs.workspace, name));
    return dirs;
  };

  const sockets = new Set<Socket>();
  const notTls = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
  });
  const registryPort = await listen(notTls);
  const closed = createServer();
  const closedPort = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  // deploy and rollback: a kubeconfig whose API server is the port that answers TLS with plain text.
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'current-context: corpus',
    `clusters: [{name: corpus, cluster: {server: 'https://127.0.0.1:${registryPort}'}}]`,
    'users: [{name: corpus, user: {token: corpus-kube-token-0001}}]',
    'contexts: [{name: corpus, context: {cluster: corpus, user: corpus, namespace: corpus}}]',
    '',
  ].join('\n');
  writeFileSync(path.join(shared, 'kubeconfig'), kubeconfig, { mode: 0o600 });

  const bases = {
    build: { image: 'corpus/hello', context: 'hello', tags: 'corpus-1' },
    scan: { report: 'report.json' },
    push: {
      layout: 'layout',
      image: `127.0.0.1:${registryPort}/corpus/hello`,
      tags: '1.0.0',
      auth: 'client-secret',
      'tenant-id': '5c1f2a3b-7d4e-4f60-9a8b-0c1d2e3f4a5b',
      'client-id': '0f4c2a0e-6a55-4d8b-9b7e-1c2d3e4f5a60',
      'client-secret': 'corpus-client-secret-0001',
      'authority-host': `https://127.0.0.1:${closedPort}`,
    },
    // Sign-in and ARM on the port that answers TLS with plain text: a valid case fails at once with
    // exit 3 (a TLS error is not retried, a refused connection is), sending nothing anywhere else.
    'aks-context': {
      'subscription-id': '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
      'resource-group': 'corpus-rg',
      'cluster-name': 'corpus-aks',
      auth: 'client-secret',
      'tenant-id': '5c1f2a3b-7d4e-4f60-9a8b-0c1d2e3f4a5b',
      'client-id': '0f4c2a0e-6a55-4d8b-9b7e-1c2d3e4f5a60',
      'client-secret': 'corpus-client-secret-0001',
      'authority-host': `https://127.0.0.1:${registryPort}`,
      'arm-endpoint': `https://127.0.0.1:${registryPort}`,
    },
    deploy: { release: 'corpus', chart: 'chart', kubeconfig: 'kubeconfig', image: `127.0.0.1:${registryPort}/corpus/hello:1.0.0@sha256:${'c0'.repeat(32)}` },
    rollback: { release: 'corpus', kubeconfig: 'kubeconfig' },
  };
  return {
    root,
    markers,
    bases,
    dirsFor,
    close: async () => {
      // Connections the SDK keeps half-open would hold close() forever.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => notTls.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}
