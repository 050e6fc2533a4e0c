import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aksServerAppId, writeKubeTokenConfig, type KubeTokenConfig } from '@slipway/core';
import { decodeJwtPayload, startHarness, type Harness } from '../../sandbox/azure-doubles/test-harness.ts';
import { runProcess } from '../../support/host-harness.ts';
import { bundleAksHosts, type AksHosts } from './aks-hosts.ts';

let dir: string;
let hosts: AksHosts;
let harness: Harness;
let tokenServer: Server;
let idTokenRequests: Array<{ audience: string | null; authorization: string | undefined }> = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-kube-token-entries-'));
  [hosts, harness] = await Promise.all([bundleAksHosts(path.join(dir, 'hosts')), startHarness()]);
  const subject = harness.doubles.description.apps[0]?.federatedCredentials[0]?.subject ?? '';
  // GitHub's ID token endpoint, minting from the sandbox issuer the app trusts; short-lived as at the end of a job.
  tokenServer = createServer((req, res) => {
    const audience = new URL(req.url ?? '/', 'http://x').searchParams.get('audience');
    idTokenRequests.push({ audience, authorization: req.headers.authorization });
    const value = harness.doubles.mintFederatedToken({ subject, audience: audience ?? '', lifetimeSeconds: 5 });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value }));
  });
  await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => tokenServer?.close(() => resolve()));
  await harness?.close();
  rmSync(dir, { recursive: true, force: true });
});

function pluginConfig(name: string, overrides: Partial<KubeTokenConfig> = {}): string {
  const caseDir = path.join(dir, name);
  mkdirSync(caseDir, { recursive: true });
  const app = harness.doubles.description.apps[0];
  const file = path.join(caseDir, 'kube-token.json');
  writeKubeTokenConfig(file, {
    version: 1,
    serverId: aksServerAppId,
    auth: {
      method: 'client-secret',
      tenantId: harness.doubles.description.tenantId,
      clientId: app?.clientId,
      clientSecret: app?.secrets[0],
      certificatePath: undefined,
      cloud: 'AzureCloud',
      authorityHost: harness.doubles.description.authorityHost,
    },
    federation: undefined,
    cacheFile: path.join(caseDir, 'token-cache.json'),
    ...overrides,
  });
  return file;
}

/** How kubectl starts each host's plugin (the exec entry aks-context writes for that host). */
const commands = (file: string): Array<[string, string[]]> => [
  ['GitHub action entry', [hosts.github.kubeToken, '--config', file]],
  ['Azure Pipelines task entry', [hosts.azure.kubeToken, '--config', file]],
  ['CLI', [hosts.cli, 'kube-token', '--config', file]],
];

describe('the kube-token entry of every host', () => {
  it('prints exactly one ExecCredential on stdout, with a token for the AKS server application, and caches it 0600', async () => {
    for (const [name, args] of commands(pluginConfig(`secret-${Math.random().toString(36).slice(2)}`))) {
      const run = await runProcess(process.execPath, args, { ...harness.probeEnv, SYSTEM_DEBUG: 'true' });
      expect(run.exitCode, `${name}: ${run.stderr}`).toBe(0);
      // Nothing but the credential: the task-lib's ##vso[task.debug] lines would make kubectl fail to parse it.
      expect(run.stdout.trim().split('\n'), name).toHaveLength(1);
      const credential = JSON.parse(run.stdout) as { apiVersion: string; kind: string; status: { token: string; expirationTimestamp: string } };
      expect(credential).toMatchObject({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential' });
      expect(decodeJwtPayload(credential.status.token).aud).toBe(aksServerAppId);
      expect(Date.parse(credential.status.expirationTimestamp)).toBeGreaterThan(Date.now());
      expect(run.stderr, name).toBe('');
    }
  });

  it('reuses the cached token: one sign-in for many kubectl calls', async () => {
    const file = pluginConfig('cache');
    const before = (await harness.call('/_sandbox/stats')).json() as { requests: Record<string, number> };
    const tokens = new Set<string>();
    for (const [, args] of [...commands(file), ...commands(file)]) {
      const run = await runProcess(process.execPath, args, harness.probeEnv);
      tokens.add((JSON.parse(run.stdout) as { status: { token: string } }).status.token);
    }
    const after = (await harness.call('/_sandbox/stats')).json() as { requests: Record<string, number> };
    expect(tokens.size).toBe(1);
    expect((after.requests['entra.token'] ?? 0) - (before.requests['entra.token'] ?? 0)).toBe(1);
    expect(statSync(path.join(dir, 'cache', 'token-cache.json')).mode & 0o777).toBe(0o600);
  });

  it("signs in with GitHub OIDC from the hand-off in its config, asking the runner's endpoint for a fresh assertion", async () => {
    idTokenRequests = [];
    const port = (tokenServer.address() as AddressInfo).port;
    const file = pluginConfig('oidc', {
      auth: {
        method: 'oidc',
        tenantId: harness.doubles.description.tenantId,
        clientId: harness.doubles.description.apps[0]?.clientId,
        clientSecret: undefined,
        certificatePath: undefined,
        cloud: 'AzureCloud',
        authorityHost: harness.doubles.description.authorityHost,
      },
      federation: { kind: 'github-actions', requestUrl: `http://127.0.0.1:${port}/token?api-version=2.0`, requestToken: 'runner-request-token' },
    });
    // A later step's environment need not have the runner's variables: the config carries them.
    const run = await runProcess(process.execPath, [hosts.github.kubeToken, '--config', file], harness.probeEnv);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(decodeJwtPayload((JSON.parse(run.stdout) as { status: { token: string } }).status.token).aud).toBe(aksServerAppId);
    expect(idTokenRequests.length).toBeGreaterThan(0);
    for (const request of idTokenRequests) expect(request).toEqual({ audience: 'api://AzureADTokenExchange', authorization: 'Bearer runner-request-token' });
  });

  it('a wrong client secret: exit 3 with the Entra code and its fix on stderr, nothing on stdout', async () => {
    const file = pluginConfig('wrong-secret');
    const config = JSON.parse(readFileSync(file, 'utf8')) as KubeTokenConfig;
    rmSync(file);
    writeKubeTokenConfig(file, { ...config, auth: { ...config.auth, clientSecret: 'not-the-secret' } });
    const run = await runProcess(process.execPath, [hosts.azure.kubeToken, '--config', file], harness.probeEnv);
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^slipway kube-token: getting a token for the cluster .*AADSTS7000215/);
    expect(run.stderr).toContain('the client secret is wrong');
    expect(run.stderr).not.toContain('not-the-secret');
  });

  it('after the post phase removed its config: exit 3 saying so', async () => {
    const run = await runProcess(process.execPath, [hosts.github.kubeToken, '--config', path.join(dir, 'gone', 'kube-token.json')], {});
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain("the aks-context step's post phase removes it when the job ends");
  });
});
