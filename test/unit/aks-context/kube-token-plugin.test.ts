import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  aksServerAppId,
  federatedTokenSourceFromHandOff,
  formatExecCredential,
  readCachedToken,
  renewalMarginMs,
  runKubeTokenPlugin,
  writeKubeTokenConfig,
  type KubeTokenConfig,
} from '@slipway/core';

const work = mkdtempSync(path.join(os.tmpdir(), 'slipway-kube-token-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const minute = 60_000;
const t0 = Date.parse('2026-11-24T12:00:00Z');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let configFile: string;
let fetched: number;
let now: number;
let lifetimeMs: number;

function config(overrides: Partial<KubeTokenConfig> = {}): KubeTokenConfig {
  return {
    version: 1,
    serverId: aksServerAppId,
    auth: {
      method: 'client-secret',
      tenantId: '11111111-2222-3333-4444-555555555555',
      clientId: '66666666-7777-8888-9999-000000000000',
      clientSecret: 'a-client-secret',
      certificatePath: undefined,
      cloud: 'AzureCloud',
      authorityHost: 'https://login.microsoftonline.com',
    },
    federation: undefined,
    cacheFile: path.join(dir, 'token-cache.json'),
    ...overrides,
  };
}

async function plugin(argv: string[] = ['--config', configFile], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runKubeTokenPlugin(argv, {
    env,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    now: () => now,
    fetchToken: async () => {
      fetched++;
      return { token: `token-${fetched}`, expiresOn: now + lifetimeMs };
    },
  });
  return { code, stdout, stderr };
}

beforeEach(() => {
  dir = mkdtempSync(path.join(work, 'case-'));
  configFile = path.join(dir, 'kube-token.json');
  writeKubeTokenConfig(configFile, config());
  fetched = 0;
  now = t0;
  lifetimeMs = 60 * minute;
});

describe('kube-token: the ExecCredential', () => {
  it('prints a client.authentication.k8s.io/v1 ExecCredential with the token and when to ask again, and only that', async () => {
    const run = await plugin();
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false },
      // Five minutes before the token's expiry, so kubectl asks again while the server still takes it.
      status: { token: 'token-1', expirationTimestamp: '2026-11-24T12:55:00Z' },
    });
  });

  it('answers in v1beta1 when kubectl asks in v1beta1 (KUBERNETES_EXEC_INFO)', async () => {
    const execInfo = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', spec: { interactive: false } });
    const run = await plugin(undefined, { KUBERNETES_EXEC_INFO: execInfo });
    expect(JSON.parse(run.stdout).apiVersion).toBe('client.authentication.k8s.io/v1beta1');
  });

  it('formats timestamps as RFC 3339 without fractions, as client-go parses them', () => {
    const text = formatExecCredential({ token: 't', expiresAt: new Date('2026-01-02T03:04:05.678Z') });
    expect(JSON.parse(text).status.expirationTimestamp).toBe('2026-01-02T03:04:05Z');
  });
});

describe('kube-token: the token cache', () => {
  it('keeps the token in a 0600 file and hands it out again until near expiry, then gets a new one', async () => {
    await plugin();
    const cache = path.join(dir, 'token-cache.json');
    expect(statSync(cache).mode & 0o777).toBe(0o600);

    now = t0 + 54 * minute;
    expect(JSON.parse((await plugin()).stdout).status.token).toBe('token-1');
    expect(fetched).toBe(1);

    // Within the 5-minute margin: renewed, not handed out to expire in flight.
    now = t0 + 55 * minute;
    expect(JSON.parse((await plugin()).stdout).status.token).toBe('token-2');
    expect(fetched).toBe(2);
    expect(statSync(cache).mode & 0o777).toBe(0o600);
  });

  it('renews a short-lived token a quarter of its lifetime early', async () => {
    lifetimeMs = 60_000;
    expect(renewalMarginMs({ obtainedAt: t0, expiresOn: t0 + lifetimeMs })).toBe(15_000);
    expect(renewalMarginMs({ obtainedAt: t0, expiresOn: t0 + 3 * 60 * minute })).toBe(5 * minute);
    await plugin();
    now = t0 + 44_000;
    expect(JSON.parse((await plugin()).stdout).status.token).toBe('token-1');
    now = t0 + 45_000;
    expect(JSON.parse((await plugin()).stdout).status.token).toBe('token-2');
  });

  it('never hands out a token cached for another server application, nor a damaged cache', async () => {
    const cache = path.join(dir, 'token-cache.json');
    writeFileSync(cache, JSON.stringify({ token: 'other', expiresOn: t0 + 60 * minute, obtainedAt: t0, serverId: 'another-app' }), { mode: 0o600 });
    expect(readCachedToken(cache, { serverId: aksServerAppId, now: t0 })).toBeUndefined();
    expect(JSON.parse((await plugin()).stdout).status.token).toBe('token-1');
    writeFileSync(cache, '{"token": ');
    expect(JSON.parse((await plugin()).stdout).status.token).toBe('token-2');
  });
});

describe('kube-token: failures kubectl shows', () => {
  it('a config the post phase removed: exit 3, says why and what to do, prints nothing on stdout', async () => {
    rmSync(configFile);
    const run = await plugin();
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`slipway kube-token: ${configFile} does not exist`);
    expect(run.stderr).toContain('post phase removes it when the job ends');
  });

  it.each([[[]], [['--config']], [['get-token', '--server-id', 'x']], [['--config', 'a', 'b']]])('bad arguments %j: exit 2 with the usage', async (argv) => {
    const run = await plugin(argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('usage: kube-token --config <file>');
  });

  it('a file that is not its config: exit 2', async () => {
    writeFileSync(path.join(dir, 'other.json'), JSON.stringify({ version: 1, serverId: 'x' }));
    const run = await plugin(['--config', path.join(dir, 'other.json')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not a kube-token configuration Slipway wrote');
  });

  it('the config is written 0600 and never over an existing file', () => {
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(() => writeKubeTokenConfig(configFile, config())).toThrow(/EEXIST/);
    expect(JSON.parse(readFileSync(configFile, 'utf8')).auth.clientSecret).toBe('a-client-secret');
  });
});

describe('federated token hand-off', () => {
  it('GitHub: GET <request URL>&audience=… with the request token; Azure Pipelines: POST with the access token and service connection', async () => {
    const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
    const fakeFetch = (async (url: string, init?: RequestInit) => {
      calls.push({ url, init });
      const body = url.includes('github') ? { value: 'gh-id-token' } : { oidcToken: 'ado-id-token' };
      return new Response(JSON.stringify(body), { status: 200 });
    }) as typeof fetch;
    const github = federatedTokenSourceFromHandOff(
      { kind: 'github-actions', requestUrl: 'https://github.example/token?api-version=2.0', requestToken: 'req-token' },
      { fetch: fakeFetch },
    );
    expect(await github('api://AzureADTokenExchange')).toBe('gh-id-token');
    expect(calls[0]?.url).toBe('https://github.example/token?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange');
    expect(calls[0]?.init?.headers).toMatchObject({ Authorization: 'Bearer req-token' });

    const ado = federatedTokenSourceFromHandOff(
      {
        kind: 'azure-pipelines',
        requestUri: 'https://dev.azure.example/o/p/_apis/distributedtask/hubs/build/plans/x/jobs/y/oidctoken',
        accessToken: 'job-token',
        serviceConnectionId: 'sc-1',
      },
      { fetch: fakeFetch },
    );
    expect(await ado('api://AzureADTokenExchange')).toBe('ado-id-token');
    expect(calls[1]?.url).toMatch(/oidctoken\?api-version=7\.1&serviceConnectionId=sc-1$/);
    expect(calls[1]?.init).toMatchObject({ method: 'POST', headers: { Authorization: 'Bearer job-token' } });
  });

  it('retries a 5xx, and says a 401 means the job is over', async () => {
    let calls = 0;
    const flaky = (async () => {
      calls++;
      return calls === 1 ? new Response('{}', { status: 503 }) : new Response(JSON.stringify({ value: 'tok' }), { status: 200 });
    }) as unknown as typeof fetch;
    const source = federatedTokenSourceFromHandOff(
      { kind: 'github-actions', requestUrl: 'https://x/?a=1', requestToken: 'r' },
      { fetch: flaky, sleep: async () => {} },
    );
    expect(await source('aud')).toBe('tok');
    const denied = (async () => new Response('{"message":"Bad credentials"}', { status: 401 })) as unknown as typeof fetch;
    const gone = federatedTokenSourceFromHandOff({ kind: 'github-actions', requestUrl: 'https://x/?a=1', requestToken: 'r' }, { fetch: denied });
    await expect(gone('aud')).rejects.toThrow(/answered 401 without a token: the job has ended/);
  });
});
