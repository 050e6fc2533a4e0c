/**
 * Issue #12: Azure Monitor managed Prometheus in the sandbox. The workspace's query endpoint
 * (`SANDBOX_MANAGED_PROMETHEUS_URL`) takes Entra tokens for `https://prometheus.monitor.azure.com` from
 * principals with Monitoring Data Reader and answers what the sandbox Prometheus answers.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MANAGED_PROMETHEUS_WORKSPACE, MANAGED_PROMETHEUS_SCOPE, defaultApps } from '../../sandbox/azure-doubles/model.ts';
import { form, startHarness, type Harness } from '../../sandbox/azure-doubles/test-harness.ts';
import { describeSandbox, entraToken, httpsCall, setEntraTokenLifetime, type SandboxInfo } from './sandbox.ts';

const RESOURCE = 'https://prometheus.monitor.azure.com';
const reader = defaultApps('https://issuer.invalid').find((a) => a.name === 'reader');

interface AzureError {
  error: { code: string; message: string };
}

describeSandbox('sandbox Azure Monitor managed Prometheus', (sb: SandboxInfo) => {
  const env = sb.env;
  const base = env.SANDBOX_MANAGED_PROMETHEUS_URL ?? '';
  const ca = readFileSync(env.SANDBOX_CA_CERT ?? '', 'utf8');
  const bound = { clientId: env.SANDBOX_AKS_BOUND_CLIENT_ID ?? '', clientSecret: env.SANDBOX_AKS_BOUND_CLIENT_SECRET ?? '' };
  const unbound = { clientId: env.SANDBOX_AKS_UNBOUND_CLIENT_ID ?? '', clientSecret: env.SANDBOX_AKS_UNBOUND_CLIENT_SECRET ?? '' };
  // One instant in the past, so that Prometheus and the workspace endpoint answer the same question.
  const at = Math.floor(Date.now() / 1000) - 5;
  let token = '';

  const managed = (pathAndQuery: string, init: { token?: string; method?: string; body?: string; headers?: Record<string, string> } = {}) =>
    httpsCall(`${base}${pathAndQuery}`, {
      ca,
      method: init.method ?? 'GET',
      headers: { ...(init.token !== undefined ? { authorization: `Bearer ${init.token}` } : {}), ...init.headers },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
  const prometheus = async (pathAndQuery: string) => {
    const res = await fetch(`${env.PROMETHEUS_URL}${pathAndQuery}`);
    return { status: res.status, json: (await res.json()) as unknown };
  };

  beforeAll(async () => {
    token = (await entraToken(sb, { ...bound, scope: MANAGED_PROMETHEUS_SCOPE })).accessToken;
  });

  it('is exported with the workspace endpoint and the scope', () => {
    expect(base).toBe(`${env.AZURE_DOUBLES_URL}/managed-prometheus/${DEFAULT_MANAGED_PROMETHEUS_WORKSPACE}`);
    expect(env.SANDBOX_MANAGED_PROMETHEUS_SCOPE).toBe(`${RESOURCE}/.default`);
  });

  it('issues v1.0 tokens for the resource, as Entra does for this first-party API', async () => {
    const { claims } = await entraToken(sb, { ...bound, scope: MANAGED_PROMETHEUS_SCOPE });
    expect(claims).toMatchObject({ aud: RESOURCE, ver: '1.0', appid: bound.clientId, oid: env.SANDBOX_AKS_BOUND_OBJECT_ID, tid: env.SANDBOX_TENANT_ID });
    expect(claims.iss).toBe(`${env.AZURE_DOUBLES_URL}/${env.SANDBOX_TENANT_ID}/`);
  });

  it("answers the bound principal's queries exactly as Prometheus does (GET and POST)", async () => {
    const queries = [
      `/api/v1/query?${new URLSearchParams({ query: 'up{job="metrics-app"}', time: String(at) })}`,
      `/api/v1/query_range?${new URLSearchParams({ query: 'up{job="metrics-app"}', start: String(at - 10), end: String(at), step: '2' })}`,
      `/api/v1/series?${new URLSearchParams({ 'match[]': 'up{job="metrics-app"}', start: String(at - 10), end: String(at) })}`,
      `/api/v1/label/job/values?${new URLSearchParams({ start: String(at - 10), end: String(at) })}`,
    ];
    for (const q of queries) {
      const direct = await prometheus(q);
      const res = await managed(q, { token });
      expect(res.status, `${q}: ${res.text}`).toBe(200);
      expect(res.json(), q).toEqual(direct.json);
    }
    const labels = await managed(`/api/v1/labels?${new URLSearchParams({ start: String(at - 10), end: String(at) })}`, { token });
    expect(labels.status).toBe(200);
    expect((labels.json() as { data: string[] }).data).toEqual(expect.arrayContaining(['__name__', 'job', 'version', 'code']));

    const q = 'sum by (job) (up)';
    const posted = await managed('/api/v1/query', {
      token,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: q, time: String(at) }).toString(),
    });
    expect(posted.status, posted.text).toBe(200);
    expect(posted.json()).toEqual((await prometheus(`/api/v1/query?${new URLSearchParams({ query: q, time: String(at) })}`)).json);
  });

  it("passes Prometheus' own errors through (400 bad_data for a query it cannot parse)", async () => {
    const q = `/api/v1/query?${new URLSearchParams({ query: 'sum(rate(http_requests_total[5s])' })}`;
    const direct = await prometheus(q);
    const res = await managed(q, { token });
    expect(direct.status).toBe(400);
    expect(res.status).toBe(400);
    expect(res.json()).toEqual(direct.json);
    expect(res.json()).toMatchObject({ status: 'error', errorType: 'bad_data' });
  });

  it('lets the managed identity query (IMDS token)', async () => {
    const imds = await httpsCall(
      `${env.AZURE_DOUBLES_URL}/metadata/identity/oauth2/token?${new URLSearchParams({ 'api-version': '2018-02-01', resource: RESOURCE })}`,
      { ca, headers: { metadata: 'true' } },
    );
    expect(imds.status, imds.text).toBe(200);
    const res = await managed(`/api/v1/query?${new URLSearchParams({ query: 'vector(1)', time: String(at) })}`, {
      token: (imds.json() as { access_token: string }).access_token,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toMatchObject({ status: 'success', data: { resultType: 'vector', result: [{ value: [at, '1'] }] } });
  });

  it('answers 401 without a token, with a Bearer challenge', async () => {
    const res = await managed('/api/v1/query?query=up');
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." } });
    const basic = await managed('/api/v1/query?query=up', { headers: { authorization: 'Basic c2xpcHdheTpzYW5kYm94' } });
    expect(basic.status).toBe(401);
  });

  it('answers 401 to a token for another audience (ARM), a tampered token and an expired one', async () => {
    const arm = await entraToken(sb, { ...bound, scope: 'https://management.azure.com/.default' });
    const wrongAudience = await managed('/api/v1/query?query=up', { token: arm.accessToken });
    expect(wrongAudience.status).toBe(401);
    expect((wrongAudience.json() as AzureError).error.code).toBe('InvalidAuthenticationTokenAudience');
    expect((wrongAudience.json() as AzureError).error.message).toContain("'https://management.azure.com'");

    const [header, payload] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')), oid: 'someone-else' })).toString(
      'base64url',
    );
    const tampered = await managed('/api/v1/query?query=up', { token: `${header}.${forged}.${token.split('.')[2]}` });
    expect(tampered.status).toBe(401);
    expect((tampered.json() as AzureError).error.code).toBe('InvalidAuthenticationToken');

    await setEntraTokenLifetime(sb, { seconds: 1, clientId: bound.clientId, resource: RESOURCE, count: 1 });
    const shortLived = await entraToken(sb, { ...bound, scope: MANAGED_PROMETHEUS_SCOPE });
    expect(shortLived.expiresIn).toBe(1);
    await new Promise((r) => setTimeout(r, 1_500));
    const expired = await managed('/api/v1/query?query=up', { token: shortLived.accessToken });
    expect(expired.status).toBe(401);
    expect((expired.json() as AzureError).error.code).toBe('ExpiredAuthenticationToken');
  });

  it('answers 403 to principals without Monitoring Data Reader (aks-unbound, reader)', async () => {
    const principals = [unbound, { clientId: reader?.clientId ?? '', clientSecret: reader?.secrets[0] ?? '' }];
    for (const principal of principals) {
      const t = await entraToken(sb, { ...principal, scope: MANAGED_PROMETHEUS_SCOPE });
      const res = await managed('/api/v1/query?query=up', { token: t.accessToken });
      expect(res.status, principal.clientId).toBe(403);
      expect(res.json()).toMatchObject({
        error: { code: 'InsufficientAccessError', message: 'The provided credentials have insufficient access to perform the requested operation' },
      });
    }
  });

  it('serves only the query APIs, of its own workspace', async () => {
    expect((await managed('/api/v1/status/config', { token })).status).toBe(404);
    expect((await managed('/api/v1/query?query=up', { token, method: 'DELETE' })).status).toBe(405);
    const other = await httpsCall(`${env.AZURE_DOUBLES_URL}/managed-prometheus/another-workspace/api/v1/query?query=up`, {
      ca,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(other.status).toBe(404);
  });
});

describe('managed Prometheus double, in-process: a query backend that does not answer (no sandbox needed)', () => {
  let h: Harness;
  let closedPort = 0;

  beforeAll(async () => {
    // A port that was free a moment ago and has nobody listening now.
    closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    h = await startHarness({ managedPrometheus: { upstream: `http://127.0.0.1:${closedPort}` } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("answers 503 in Prometheus' error envelope, so a client sees an error and not an empty result", async () => {
    const ci = h.doubles.description.apps.find((a) => a.name === 'ci');
    const f = form({ grant_type: 'client_credentials', client_id: ci?.clientId ?? '', client_secret: ci?.secrets[0] ?? '', scope: MANAGED_PROMETHEUS_SCOPE });
    const issued = await h.call(`/${h.doubles.description.tenantId}/oauth2/v2.0/token`, { method: 'POST', ...f });
    const accessToken = (issued.json() as { access_token: string }).access_token;
    const endpoint = h.doubles.description.managedPrometheus?.queryEndpoint ?? '';
    const res = await h.call(`${new URL(endpoint).pathname}/api/v1/query?query=up`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ status: 'error', errorType: 'unavailable' });
    expect((res.json() as { error: string }).error).toContain('ECONNREFUSED');
    expect(h.doubles.description.managedPrometheus?.readers.map((r) => r.name)).toEqual(['ci', 'managed-identity']);
  });
});
