import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../sandbox/azure-doubles/test-harness.ts';
import { repoRoot, runProcess } from '../../support/host-harness.ts';

let harness: Harness;
let tokenServer: Server;
let mintedAt: number[] = [];

beforeAll(async () => {
  harness = await startHarness();
  const subject = harness.doubles.description.apps[0]?.federatedCredentials[0]?.subject ?? '';
  tokenServer = createServer((req, res) => {
    mintedAt.push(Date.now());
    const audience = new URL(req.url ?? '/', 'http://x').searchParams.get('audience') ?? '';
    // Short-lived, like a CI ID token at the end of its life.
    const value = harness.doubles.mintFederatedToken({ subject, audience, lifetimeSeconds: 2 });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value }));
  });
  await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => tokenServer?.close(() => resolve()));
  await harness?.close();
});

async function probe(cacheAssertion: boolean) {
  mintedAt = [];
  const run = await runProcess(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/support/credential-probe.ts')], {
    NODE_EXTRA_CA_CERTS: harness.certs.caCertPath,
    PROBE_TOKEN_URL: `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`,
    PROBE_TENANT: harness.doubles.description.tenantId,
    PROBE_CLIENT: harness.doubles.description.apps[0]?.clientId ?? '',
    PROBE_AUTHORITY: harness.doubles.description.authorityHost,
    PROBE_PAUSE_MS: '3500',
    PROBE_CACHE_ASSERTION: cacheAssertion ? '1' : '0',
  });
  return { ...(JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { ok: boolean; resumedAt?: number; error?: string }), stderr: run.stderr };
}

describe('federated assertions outlive short ID tokens', () => {
  it('asks the token source again when a new Entra token is needed after the first assertion expired', async () => {
    const result = await probe(false);
    expect(result, result.stderr).toMatchObject({ ok: true });
    // A new assertion was fetched after the pause, when the first one (2 s lifetime) had expired.
    expect(mintedAt.some((at) => at >= (result.resumedAt ?? Infinity))).toBe(true);
  });

  it('control: reusing the first assertion fails the way long pipelines do (AADSTS700024)', async () => {
    const result = await probe(true);
    expect(result.ok).toBe(false);
    expect(result.error).toContain('AADSTS700024');
  });
});
