/**
 * The ACR double in front of a real Debian docker-registry (TLS, relativeurls): the token protocol,
 * the challenges, the /v2 proxy (through the unmodified @azure/container-registry clients), /acr/v1
 * and fault injection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSdkProbe, type CredentialSpec, type ProbeResult } from '../../sandbox/azure-doubles/sdk-probe.ts';
import { decodeJwtPayload, form, rawCall, startHarness, type Harness } from '../../sandbox/azure-doubles/test-harness.ts';

const ACR_SCOPE = 'https://containerregistry.azure.net/.default';
const ADMIN = { username: 'slipwaysandbox', password: 'sandbox-admin-password' };
const MiB = 1024 * 1024;

let h: Harness;
let loginServer: string;

beforeAll(async () => {
  h = await startHarness({ registry: true, admin: ADMIN });
  loginServer = h.doubles.description.registry?.loginServer ?? '';
});

afterAll(async () => {
  await h?.close();
});

function app(name: 'ci' | 'reader'): { clientId: string; secret: string } {
  const a = h.doubles.description.apps.find((x) => x.name === name);
  if (!a?.secrets[0]) throw new Error(`default ${name} app missing`);
  return { clientId: a.clientId, secret: a.secrets[0] };
}

function credential(name: 'ci' | 'reader' = 'ci'): CredentialSpec {
  const d = h.doubles.description;
  return { kind: 'secret', tenantId: d.tenantId, clientId: app(name).clientId, secret: app(name).secret, authorityHost: d.authorityHost };
}

function expectOk(result: ProbeResult): Record<string, unknown> {
  if (!result.ok) throw new Error(`probe failed: ${result.error.name}: ${result.error.message}`);
  return result;
}

async function entraToken(name: 'ci' | 'reader', scope = ACR_SCOPE): Promise<string> {
  const d = h.doubles.description;
  const res = await h.call(`/${d.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    ...form({ grant_type: 'client_credentials', client_id: app(name).clientId, client_secret: app(name).secret, scope }),
  });
  expect(res.status).toBe(200);
  return (res.json() as { access_token: string }).access_token;
}

async function refreshToken(name: 'ci' | 'reader'): Promise<string> {
  const res = await h.call('/oauth2/exchange', {
    method: 'POST',
    ...form({ grant_type: 'access_token', service: loginServer, tenant: h.doubles.description.tenantId, access_token: await entraToken(name) }),
  });
  expect(res.status).toBe(200);
  return (res.json() as { refresh_token: string }).refresh_token;
}

async function accessToken(name: 'ci' | 'reader', scopes: string[]): Promise<string> {
  const res = await h.call('/oauth2/token', {
    method: 'POST',
    ...form({ grant_type: 'refresh_token', service: loginServer, scope: scopes, refresh_token: await refreshToken(name) }),
  });
  expect(res.status).toBe(200);
  return (res.json() as { access_token: string }).access_token;
}

describe('ACR double: challenges and token protocol (Azure/acr docs/AAD-OAuth.md)', () => {
  it('challenges unauthenticated /v2/ without a scope and repository calls with the right scope', async () => {
    const base = await h.call('/v2/');
    expect(base.status).toBe(401);
    expect(base.headers['www-authenticate']).toBe(`Bearer realm="${h.doubles.url}/oauth2/token",service="${loginServer}"`);
    expect(base.json()).toMatchObject({ errors: [{ code: 'UNAUTHORIZED' }] });

    const cases: Array<[string, string, string]> = [
      ['GET', '/v2/team/app/manifests/latest', 'repository:team/app:pull'],
      ['HEAD', '/v2/team/app/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000', 'repository:team/app:pull'],
      ['POST', '/v2/team/app/blobs/uploads/', 'repository:team/app:pull,push'],
      ['PUT', '/v2/team/app/manifests/v1', 'repository:team/app:pull,push'],
      ['DELETE', '/v2/team/app/manifests/sha256:00', 'repository:team/app:delete'],
      ['GET', '/v2/_catalog', 'registry:catalog:*'],
    ];
    for (const [method, path, scope] of cases) {
      const res = await h.call(path, { method });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers['www-authenticate']).toBe(`Bearer realm="${h.doubles.url}/oauth2/token",service="${loginServer}",scope="${scope}"`);
    }
    const get = await h.call('/v2/team/app/manifests/latest');
    expect(get.json()).toEqual({
      errors: [
        {
          code: 'UNAUTHORIZED',
          message: expect.stringContaining('authentication required') as unknown,
          detail: [{ Type: 'repository', Name: 'team/app', Action: 'pull' }],
        },
      ],
    });
  });

  it('exchanges an Entra token for an ACR refresh token and that for a scoped access token', async () => {
    const refresh = await refreshToken('ci');
    const r = decodeJwtPayload(refresh);
    expect(r).toMatchObject({
      iss: 'Azure Container Registry',
      aud: loginServer,
      grant_type: 'refresh_token',
      version: '1.0',
      tenant: h.doubles.description.tenantId,
    });
    expect(Number(r.exp)).toBeGreaterThan(Date.now() / 1000 + 3600);

    const access = await h.call('/oauth2/token?api-version=2021-07-01', {
      method: 'POST',
      ...form({ grant_type: 'refresh_token', service: loginServer, scope: ['repository:team/app:pull,push', 'registry:catalog:*'], refresh_token: refresh }),
    });
    expect(access.status).toBe(200);
    const a = decodeJwtPayload((access.json() as { access_token: string }).access_token);
    expect(a).toMatchObject({
      grant_type: 'access_token',
      aud: loginServer,
      access: [
        { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
        { type: 'registry', name: 'catalog', actions: ['*'] },
      ],
    });
  });

  it('rejects a bad Entra token, a wrong service and a forged refresh token', async () => {
    const forged = await h.call('/oauth2/exchange', {
      method: 'POST',
      ...form({ grant_type: 'access_token', service: loginServer, access_token: 'eyJ.e30.x' }),
    });
    expect(forged.status).toBe(401);
    expect(forged.json()).toMatchObject({ errors: [{ code: 'UNAUTHORIZED' }] });

    const aksAudience = await entraToken('ci', '6dae42f8-4368-4678-94ff-3960e28e3630/.default');
    const wrongAud = await h.call('/oauth2/exchange', {
      method: 'POST',
      ...form({ grant_type: 'access_token', service: loginServer, access_token: aksAudience }),
    });
    expect(wrongAud.status).toBe(401);

    const armAudience = await entraToken('ci', 'https://management.azure.com/.default');
    const arm = await h.call('/oauth2/exchange', { method: 'POST', ...form({ grant_type: 'access_token', service: loginServer, access_token: armAudience }) });
    expect(arm.status).toBe(200);

    const wrongService = await h.call('/oauth2/exchange', {
      method: 'POST',
      ...form({ grant_type: 'access_token', service: 'other.azurecr.io', access_token: armAudience }),
    });
    expect(wrongService.status).toBe(400);

    const refresh = await refreshToken('ci');
    const tampered = `${refresh.slice(0, refresh.lastIndexOf('.'))}.AAAA`;
    const bad = await h.call('/oauth2/token', {
      method: 'POST',
      ...form({ grant_type: 'refresh_token', service: loginServer, scope: 'repository:x:pull', refresh_token: tampered }),
    });
    expect(bad.status).toBe(401);

    const anon = await h.call('/oauth2/token', {
      method: 'POST',
      ...form({ grant_type: 'password', service: loginServer, scope: 'repository:x:pull', refresh_token: '' }),
    });
    expect(anon.status).toBe(401);
  });

  it('serves docker-style GET /oauth2/token with Basic (null GUID + refresh token, admin, service principal)', async () => {
    const refresh = await refreshToken('ci');
    const basic = (u: string, p: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    const q = `/oauth2/token?service=${encodeURIComponent(loginServer)}&scope=${encodeURIComponent('repository:team/app:pull,push')}`;
    const viaRefresh = await h.call(q, { headers: basic('00000000-0000-0000-0000-000000000000', refresh) });
    expect(viaRefresh.status).toBe(200);
    expect(viaRefresh.json()).toMatchObject({ refresh_token: refresh });
    const viaAdmin = await h.call(q, { headers: basic(ADMIN.username, ADMIN.password) });
    expect(decodeJwtPayload((viaAdmin.json() as { access_token: string }).access_token).access).toEqual([
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
    ]);
    const viaSp = await h.call(q, { headers: basic(app('reader').clientId, app('reader').secret) });
    expect(decodeJwtPayload((viaSp.json() as { access_token: string }).access_token).access).toEqual([
      { type: 'repository', name: 'team/app', actions: ['pull'] },
    ]);
    const wrong = await h.call(q, { headers: basic(ADMIN.username, 'nope') });
    expect(wrong.status).toBe(401);
  });

  it('re-challenges a token lacking the scope (insufficient_scope) and denies what RBAC does not allow', async () => {
    const pullOnly = await accessToken('ci', ['repository:team/app:pull']);
    const push = await h.call('/v2/team/app/blobs/uploads/', { method: 'POST', headers: { authorization: `Bearer ${pullOnly}` } });
    expect(push.status).toBe(401);
    expect(push.headers['www-authenticate']).toContain('scope="repository:team/app:pull,push",error="insufficient_scope"');

    const readerPush = await accessToken('reader', ['repository:team/app:pull,push']);
    const denied = await h.call('/v2/team/app/blobs/uploads/', { method: 'POST', headers: { authorization: `Bearer ${readerPush}` } });
    expect(denied.status).toBe(403);
    expect(denied.json()).toEqual({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] });

    const ok = await h.call('/v2/', { headers: { authorization: `Bearer ${pullOnly}` } });
    expect(ok.status).toBe(200);
  });
});

describe('ACR double with @azure/container-registry 1.1.2', () => {
  it('ContainerRegistryContentClient pushes blobs (chunked) and a manifest, then reads them back', async () => {
    h.doubles.resetStats();
    const layerBytes = 9 * MiB;
    const result = expectOk(
      await runSdkProbe({ op: 'acr-push', credential: credential(), endpoint: h.doubles.url, repository: 'slipway/web', tag: 'v1', layerBytes }, h.probeEnv),
    );
    expect(result.gotDigest).toBe(result.manifestDigest);
    expect(result.gotMediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(result.layerSize).toBe(layerBytes);
    expect(result.downloadedBytes).toBe(layerBytes);
    const stats = h.doubles.stats();
    const configBytes = (result.gotManifest as { config: { size: number } }).config.size;
    // Every byte of both blobs went through the double, the 9 MiB layer in three 4 MiB-max PATCHes.
    expect(stats.blobBytesUploaded).toBe(layerBytes + configBytes);
    expect(stats.responses['v2.upload.start 202']).toBe(2);
    expect(stats.responses['v2.upload.patch 202']).toBe(4);
    expect(stats.responses['v2.upload.put 201']).toBe(2);
    expect(stats.responses['v2.manifest.put 201']).toBe(1);
    // The first upload is challenged; the token cycler then reuses one ACR refresh token.
    expect(stats.responses['v2.upload.start 401']).toBe(1);
    expect(stats.requests['acr.exchange']).toBe(1);
    expect(stats.blobBytesDownloaded).toBe(layerBytes);
  });

  it('ContainerRegistryClient lists repositories (paged by Link), manifests and tags', async () => {
    expectOk(
      await runSdkProbe(
        { op: 'acr-push', credential: credential(), endpoint: h.doubles.url, repository: 'slipway/api', tag: 'v2', layerBytes: 1024 },
        h.probeEnv,
      ),
    );
    const result = expectOk(
      await runSdkProbe({ op: 'acr-list', credential: credential('reader'), endpoint: h.doubles.url, repository: 'slipway/web', pageSize: 1 }, h.probeEnv),
    );
    expect(result.repositories).toEqual(expect.arrayContaining(['slipway/api', 'slipway/web']));
    expect((result.pages as number[]).every((n) => n === 1)).toBe(true);
    expect(result.repository).toMatchObject({ name: 'slipway/web', tagCount: 1, manifestCount: 1, registryLoginServer: loginServer });
    expect(result.manifests).toEqual([expect.objectContaining({ tags: ['v1'], architecture: 'amd64', operatingSystem: 'linux' })]);
    expect(result.tags).toEqual([expect.objectContaining({ name: 'v1' })]);
    expect(result.tagProperties).toMatchObject({ name: 'v1', repositoryName: 'slipway/web' });
  });

  it('a 503 on manifest PUT is retried by the SDK; the fault is counted', async () => {
    h.doubles.injectFault({ kind: 'status-503', pathPattern: '^/v2/slipway/flaky/manifests/', method: 'PUT', count: 1 });
    const result = await runSdkProbe(
      { op: 'acr-push', credential: credential(), endpoint: h.doubles.url, repository: 'slipway/flaky', tag: 'v1', layerBytes: 10 },
      h.probeEnv,
    );
    expectOk(result);
    expect(h.doubles.stats().faultsFired['status-503']).toBe(1);
  });

  it('the reader principal cannot push through the SDK (DENIED)', async () => {
    const result = await runSdkProbe(
      { op: 'acr-push', credential: credential('reader'), endpoint: h.doubles.url, repository: 'slipway/web', tag: 'v9', layerBytes: 10 },
      h.probeEnv,
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.statusCode).toBe(403);
      expect(result.error.message).toContain('requested access to the resource is denied');
    }
  });
});

describe('ACR double: /acr/v1, faults and token expiry', () => {
  it('pages /acr/v1/{name}/_tags with n/last and a Link header, and orders by time', async () => {
    for (const tag of ['a1', 'a2', 'a3']) {
      expectOk(
        await runSdkProbe({ op: 'acr-push', credential: credential(), endpoint: h.doubles.url, repository: 'slipway/paged', tag, layerBytes: 16 }, h.probeEnv),
      );
    }
    const token = await accessToken('ci', ['repository:slipway/paged:metadata_read']);
    const auth = { authorization: `Bearer ${token}` };
    const first = await h.call('/acr/v1/slipway/paged/_tags?api-version=2021-07-01&n=2', { headers: auth });
    expect(first.status).toBe(200);
    expect((first.json() as { tags: Array<{ name: string }> }).tags.map((t) => t.name)).toEqual(['a1', 'a2']);
    expect(first.headers.link).toBe('</acr/v1/slipway/paged/_tags?last=a2&n=2&orderby=>; rel="next"');
    const next = await h.call('/acr/v1/slipway/paged/_tags?last=a2&n=2&orderby=', { headers: auth });
    expect((next.json() as { tags: Array<{ name: string }> }).tags.map((t) => t.name)).toEqual(['a3']);
    expect(next.headers.link).toBeUndefined();
    const desc = await h.call('/acr/v1/slipway/paged/_tags?orderby=timedesc', { headers: auth });
    expect((desc.json() as { tags: Array<{ name: string }> }).tags.map((t) => t.name)).toEqual(['a3', 'a2', 'a1']);
    const one = await h.call('/acr/v1/slipway/paged/_tags/a2', { headers: auth });
    expect(one.json()).toMatchObject({
      registry: loginServer,
      imageName: 'slipway/paged',
      tag: { name: 'a2', digest: expect.stringMatching(/^sha256:/) as unknown },
    });
    const missing = await h.call('/acr/v1/slipway/nope/_tags', {
      headers: { authorization: `Bearer ${await accessToken('ci', ['repository:slipway/nope:metadata_read'])}` },
    });
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ errors: [{ code: 'NAME_UNKNOWN' }] });
  });

  it('resets a blob download mid-body and expires tokens on demand', async () => {
    const pushed = expectOk(
      await runSdkProbe(
        { op: 'acr-push', credential: credential(), endpoint: h.doubles.url, repository: 'slipway/reset', tag: 'v1', layerBytes: 256 * 1024 },
        h.probeEnv,
      ),
    );
    const token = await accessToken('ci', ['repository:slipway/reset:pull']);
    const blobPath = `/v2/slipway/reset/blobs/${String(pushed.layerDigest)}`;
    h.doubles.injectFault({ kind: 'reset-mid-body', pathPattern: '^/v2/slipway/reset/blobs/sha256:', method: 'GET', afterBytes: 1000 });
    await expect(rawCall(h.doubles.url, h.certs.caCert, blobPath, { headers: { authorization: `Bearer ${token}` } })).rejects.toThrow(
      /aborted|ECONNRESET|socket hang up/,
    );
    expect(h.doubles.stats().faultsFired['reset-mid-body']).toBe(1);
    const whole = await h.call(blobPath, { headers: { authorization: `Bearer ${token}` } });
    expect(whole.status).toBe(200);
    expect(whole.headers['docker-content-digest']).toBe(pushed.layerDigest);

    expect(h.doubles.expireTokens(['acrAccess'])).toBeGreaterThan(0);
    const expired = await h.call(blobPath, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } });
    expect(expired.status).toBe(401);
    expect(expired.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('exposes the stats and fault endpoints over HTTP', async () => {
    h.doubles.clearFaults();
    const armed = await h.call('/_sandbox/faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'reset', pathPattern: '^/v2/never', count: 2 }),
    });
    expect(armed.json()).toEqual({ pending: [{ kind: 'reset', pathPattern: '^/v2/never', count: 2 }] });
    await expect(h.call('/v2/never/manifests/x')).rejects.toThrow(/ECONNRESET|socket hang up/);
    expect((await h.call('/_sandbox/faults')).json()).toEqual({ pending: [{ kind: 'reset', pathPattern: '^/v2/never', count: 1 }] });
    await h.call('/_sandbox/faults', { method: 'DELETE' });
    expect((await h.call('/v2/never/manifests/x')).status).toBe(401);
    const stats = (await h.call('/_sandbox/stats')).json() as { requests: Record<string, number>; blobBytesUploaded: number };
    expect(stats.requests['acr.exchange']).toBeGreaterThan(0);
    expect(typeof stats.blobBytesUploaded).toBe('number');
  });
});

describe('ACR double with anonymous pull enabled', () => {
  let anon: Harness;
  beforeAll(async () => {
    anon = await startHarness({ registry: true, anonymousPull: true });
  });
  afterAll(async () => {
    await anon?.close();
  });

  it('grants pull (never push) to the empty-refresh-token password grant and to unauthenticated GET /oauth2/token', async () => {
    const service = anon.doubles.description.registry?.loginServer ?? '';
    const post = await anon.call('/oauth2/token', {
      method: 'POST',
      ...form({ grant_type: 'password', service, scope: 'repository:public/app:pull,push', refresh_token: '' }),
    });
    expect(post.status).toBe(200);
    const token = (post.json() as { access_token: string }).access_token;
    expect(decodeJwtPayload(token).access).toEqual([{ type: 'repository', name: 'public/app', actions: ['pull'] }]);
    const get = await anon.call(`/oauth2/token?service=${encodeURIComponent(service)}&scope=repository:public/app:pull`);
    expect(get.status).toBe(200);
    const pull = await anon.call('/v2/public/app/tags/list', { headers: { authorization: `Bearer ${token}` } });
    expect(pull.status).toBe(404); // authorized; the repository simply does not exist upstream
    expect(pull.json()).toMatchObject({ errors: [{ code: 'NAME_UNKNOWN' }] });
    const push = await anon.call('/v2/public/app/blobs/uploads/', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(push.status).toBe(403);
  });
});
