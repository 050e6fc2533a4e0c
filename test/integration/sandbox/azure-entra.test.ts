/**
 * The Entra ID double against unmodified @azure/identity credentials (run in a child process that
 * trusts the throwaway CA), plus the raw protocol details the SDK does not show.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSdkProbe, type CredentialSpec, type ProbeResult } from '../../sandbox/azure-doubles/sdk-probe.ts';
import { decodeJwtPayload, form, startHarness, type Harness } from '../../sandbox/azure-doubles/test-harness.ts';

const ARM_SCOPE = 'https://management.azure.com/.default';
const ACR_SCOPE = 'https://containerregistry.azure.net/.default';

let h: Harness;
let tmp: string;

beforeAll(async () => {
  h = await startHarness();
  tmp = await mkdtemp(join(tmpdir(), 'slipway-entra-'));
});

afterAll(async () => {
  await h?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function ci(): { clientId: string; secret: string } {
  const app = h.doubles.description.apps.find((a) => a.name === 'ci');
  if (!app?.secrets[0]) throw new Error('default ci app missing');
  return { clientId: app.clientId, secret: app.secrets[0] };
}

function secretCredential(secret = ci().secret): CredentialSpec {
  const d = h.doubles.description;
  return { kind: 'secret', tenantId: d.tenantId, clientId: ci().clientId, secret, authorityHost: d.authorityHost };
}

function assertionCredential(assertion: string): CredentialSpec {
  const d = h.doubles.description;
  return { kind: 'assertion', tenantId: d.tenantId, clientId: ci().clientId, assertion, authorityHost: d.authorityHost };
}

function expectOk(result: ProbeResult): Record<string, unknown> {
  if (!result.ok) throw new Error(`probe failed: ${result.error.name}: ${result.error.message}`);
  return result;
}

function expectError(result: ProbeResult): { name: string; message: string } {
  if (result.ok) throw new Error('probe unexpectedly succeeded');
  return result.error;
}

describe('Entra ID double with @azure/identity 4.14', () => {
  it('ClientSecretCredential gets an ARM token with the documented claims', async () => {
    const result = expectOk(await runSdkProbe({ op: 'token', credential: secretCredential(), scopes: [ARM_SCOPE] }, h.probeEnv));
    const claims = result.claims as Record<string, unknown>;
    expect(claims).toMatchObject({
      aud: 'https://management.azure.com',
      tid: h.doubles.description.tenantId,
      appid: ci().clientId,
      appidacr: '1',
      idtyp: 'app',
      ver: '1.0',
    });
    expect(Number(claims.exp)).toBeGreaterThan(Date.now() / 1000 + 3000);
    // MSAL derives expiresOn from expires_in and its own clock.
    expect(Math.abs(Number(result.expiresOnTimestamp) - Number(claims.exp) * 1000)).toBeLessThan(5000);
  });

  it('a wrong client secret fails with AADSTS7000215', async () => {
    const error = expectError(await runSdkProbe({ op: 'token', credential: secretCredential('not-the-secret'), scopes: [ARM_SCOPE] }, h.probeEnv));
    // @azure/identity wraps MSAL's ServerError as AuthenticationRequiredError; the AADSTS text is kept.
    expect(error.name).toBe('AuthenticationRequiredError');
    expect(error.message).toContain('AADSTS7000215: Invalid client secret provided');
  });

  it('a scope without /.default fails with invalid_scope AADSTS1002012', async () => {
    const error = expectError(
      await runSdkProbe({ op: 'token', credential: secretCredential(), scopes: ['https://management.azure.com/user_impersonation'] }, h.probeEnv),
    );
    expect(error.message).toContain('AADSTS1002012');
    expect(error.message).toContain('invalid_scope');
  });

  it('without disableInstanceDiscovery MSAL asks login.microsoftonline.com (caught by a local proxy)', async () => {
    // A stand-in proxy records the CONNECT and refuses it, so nothing leaves the machine.
    const connects: string[] = [];
    const proxy = createServer((socket) => {
      socket.once('data', (d: Buffer) => {
        connects.push(d.toString('utf8').split('\r\n')[0] ?? '');
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const spec = { ...secretCredential(), disableInstanceDiscovery: false } as CredentialSpec;
      const env = { ...h.probeEnv, HTTPS_PROXY: `http://127.0.0.1:${port}` };
      // An egress filter answering 403 is taken by MSAL as "custom domain": the token is still issued...
      expectOk(await runSdkProbe({ op: 'token', credential: spec, scopes: [ARM_SCOPE] }, env));
      expect(connects).toContain('CONNECT login.microsoftonline.com:443 HTTP/1.1');
      expect(h.doubles.stats().requests['entra.discovery'] ?? 0).toBe(0);
      // ...while an unreachable network (the probe's default dead proxy) makes the credential fail.
      const error = expectError(await runSdkProbe({ op: 'token', credential: spec, scopes: [ARM_SCOPE] }, h.probeEnv));
      expect(error.message).toContain('endpoints_resolution_error');
    } finally {
      proxy.close();
    }
  });

  it('ClientAssertionCredential with a federated token from the sandbox issuer gets an ACR-audience token', async () => {
    const assertion = h.doubles.mintFederatedToken({ subject: 'repo:slipway/slipway:ref:refs/heads/main' });
    const result = expectOk(await runSdkProbe({ op: 'token', credential: assertionCredential(assertion), scopes: [ACR_SCOPE] }, h.probeEnv));
    expect(result.claims).toMatchObject({ aud: 'https://containerregistry.azure.net', appid: ci().clientId, appidacr: '2' });
  });

  it('an expired assertion fails with AADSTS700024', async () => {
    const assertion = h.doubles.mintFederatedToken({ subject: 'repo:slipway/slipway:ref:refs/heads/main', issuedAtOffsetSeconds: -1200, lifetimeSeconds: 600 });
    const error = expectError(await runSdkProbe({ op: 'token', credential: assertionCredential(assertion), scopes: [ARM_SCOPE] }, h.probeEnv));
    expect(error.message).toContain('AADSTS700024: Client assertion is not within its valid time range');
  });

  it('an assertion for another subject fails with AADSTS700213; another audience with AADSTS70021', async () => {
    const wrongSubject = h.doubles.mintFederatedToken({ subject: 'repo:slipway/slipway:ref:refs/heads/feature' });
    const e1 = expectError(await runSdkProbe({ op: 'token', credential: assertionCredential(wrongSubject), scopes: [ARM_SCOPE] }, h.probeEnv));
    expect(e1.message).toContain(
      "AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:slipway/slipway:ref:refs/heads/feature'",
    );

    const wrongAudience = h.doubles.mintFederatedToken({ subject: 'repo:slipway/slipway:ref:refs/heads/main', audience: 'api://SomethingElse' });
    const e2 = expectError(await runSdkProbe({ op: 'token', credential: assertionCredential(wrongAudience), scopes: [ARM_SCOPE] }, h.probeEnv));
    expect(e2.message).toContain('AADSTS70021: No matching federated identity record found for presented assertion.');
  });

  it('WorkloadIdentityCredential reads AZURE_FEDERATED_TOKEN_FILE and AZURE_AUTHORITY_HOST', async () => {
    const tokenFile = join(tmp, 'azure-identity-token');
    await writeFile(tokenFile, h.doubles.mintFederatedToken({ subject: 'system:serviceaccount:slipway:deployer' }));
    const d = h.doubles.description;
    const result = expectOk(
      await runSdkProbe(
        { op: 'token', credential: { kind: 'workload' }, scopes: [ARM_SCOPE] },
        {
          ...h.probeEnv,
          AZURE_AUTHORITY_HOST: d.authorityHost,
          AZURE_TENANT_ID: d.tenantId,
          AZURE_CLIENT_ID: ci().clientId,
          AZURE_FEDERATED_TOKEN_FILE: tokenFile,
        },
      ),
    );
    expect(result.claims).toMatchObject({ aud: 'https://management.azure.com', appidacr: '2' });
  });

  it('ManagedIdentityCredential uses the IMDS double via AZURE_POD_IDENTITY_AUTHORITY_HOST', async () => {
    const d = h.doubles.description;
    const before = h.doubles.stats().requests['mi.imds'] ?? 0;
    const result = expectOk(
      await runSdkProbe(
        { op: 'token', credential: { kind: 'managed', clientId: d.managedIdentity.clientId }, scopes: [ACR_SCOPE] },
        {
          ...h.probeEnv,
          AZURE_POD_IDENTITY_AUTHORITY_HOST: d.imdsHost,
        },
      ),
    );
    expect(result.claims).toMatchObject({ aud: 'https://containerregistry.azure.net', appid: d.managedIdentity.clientId, oid: d.managedIdentity.objectId });
    expect((h.doubles.stats().requests['mi.imds'] ?? 0) - before).toBeGreaterThanOrEqual(1);
  });

  it('ManagedIdentityCredential uses the App Service double via IDENTITY_ENDPOINT + IDENTITY_HEADER', async () => {
    const d = h.doubles.description;
    const env = { ...h.probeEnv, IDENTITY_ENDPOINT: d.appServiceIdentityEndpoint, IDENTITY_HEADER: d.managedIdentity.identityHeader };
    const result = expectOk(await runSdkProbe({ op: 'token', credential: { kind: 'managed' }, scopes: [ARM_SCOPE] }, env));
    expect(result.claims).toMatchObject({ aud: 'https://management.azure.com', appid: d.managedIdentity.clientId });
    const wrong = expectError(await runSdkProbe({ op: 'token', credential: { kind: 'managed' }, scopes: [ARM_SCOPE] }, { ...env, IDENTITY_HEADER: 'wrong' }));
    expect(wrong.name).toBe('CredentialUnavailableError');
  });
});

describe('Entra ID double, raw protocol', () => {
  it('serves OpenID metadata whose issuer is on the authority host, and a JWKS with the signing key', async () => {
    const d = h.doubles.description;
    const res = await h.call(`/${d.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const meta = res.json() as Record<string, string>;
    expect(meta.issuer).toBe(`${d.url}/${d.tenantId}/v2.0`);
    expect(meta.token_endpoint).toBe(`${d.url}/${d.tenantId}/oauth2/v2.0/token`);
    expect(meta.authorization_endpoint).toBeDefined();
    const jwksUri = meta.jwks_uri ?? '';
    const keys = (await h.call(new URL(jwksUri).pathname)).json() as { keys: Array<Record<string, string>> };
    const token = await h.call(`/${d.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      ...form({ grant_type: 'client_credentials', client_id: ci().clientId, client_secret: ci().secret, scope: ARM_SCOPE }),
    });
    const body = token.json() as { access_token: string; token_type: string; expires_in: number; ext_expires_in: number };
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    const { createPublicKey, verify } = await import('node:crypto');
    const [hh, pp, ss] = body.access_token.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(hh, 'base64url').toString('utf8')) as { kid: string };
    const jwk = keys.keys.find((k) => k.kid === header.kid);
    expect(jwk).toBeDefined();
    const key = createPublicKey({ key: { kty: 'RSA', n: jwk?.n ?? '', e: jwk?.e ?? '' }, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${hh}.${pp}`), key, Buffer.from(ss, 'base64url'))).toBe(true);
  });

  it('rejects unknown tenants, unknown clients, unknown resources and missing credentials with AADSTS codes', async () => {
    const d = h.doubles.description;
    const post = (tenant: string, values: Record<string, string>) =>
      h.call(`/${tenant}/oauth2/v2.0/token`, { method: 'POST', ...form({ grant_type: 'client_credentials', ...values }) });
    const cases: Array<[Promise<{ status: number; json(): unknown }>, number, string, number]> = [
      [post('00000000-1111-2222-3333-444444444444', { client_id: ci().clientId, client_secret: ci().secret, scope: ARM_SCOPE }), 400, 'invalid_request', 90002],
      [post(d.tenantId, { client_id: 'a5a5a5a5-0000-0000-0000-000000000000', client_secret: 'x', scope: ARM_SCOPE }), 400, 'unauthorized_client', 700016],
      [post(d.tenantId, { client_id: ci().clientId, client_secret: ci().secret, scope: 'https://vault.azure.net/.default' }), 400, 'invalid_resource', 500011],
      [post(d.tenantId, { client_id: ci().clientId, scope: ARM_SCOPE }), 401, 'invalid_client', 7000218],
      [post(d.tenantId, { client_id: ci().clientId, client_secret: 'nope', scope: ARM_SCOPE }), 401, 'invalid_client', 7000215],
    ];
    for (const [pending, status, error, code] of cases) {
      const res = await pending;
      const body = res.json() as { error: string; error_codes: number[]; error_description: string };
      expect({ status: res.status, error: body.error, codes: body.error_codes }).toEqual({ status, error, codes: [code] });
      expect(body.error_description).toMatch(new RegExp(`^AADSTS${code}: .* Trace ID: .* Correlation ID: .* Timestamp: `));
    }
  });

  it('IMDS requires the Metadata header and a known identity', async () => {
    const d = h.doubles.description;
    const path = '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com';
    const noHeader = await h.call(path);
    expect(noHeader.status).toBe(400);
    expect(noHeader.json()).toEqual({ error: 'invalid_request', error_description: 'Required metadata header not specified' });
    const wrongId = await h.call(`${path}&client_id=11111111-1111-1111-1111-111111111111`, { headers: { Metadata: 'true' } });
    expect(wrongId.status).toBe(400);
    const ok = await h.call(`${path}&client_id=${d.managedIdentity.clientId}`, { headers: { Metadata: 'true' } });
    expect(ok.status).toBe(200);
    const body = ok.json() as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual([
      'access_token',
      'client_id',
      'expires_in',
      'expires_on',
      'ext_expires_in',
      'not_before',
      'resource',
      'token_type',
    ]);
    expect(typeof body.expires_on).toBe('string');
    expect(decodeJwtPayload(body.access_token ?? '')).toMatchObject({ aud: 'https://management.azure.com', xms_mirid: d.managedIdentity.resourceId });
  });

  it('answers instance discovery in the MSAL shape', async () => {
    const d = h.doubles.description;
    const res = await h.call(
      `/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${d.url}/${d.tenantId}/oauth2/v2.0/authorize`)}`,
    );
    expect(res.json()).toMatchObject({
      tenant_discovery_endpoint: `${d.url}/${d.tenantId}/v2.0/.well-known/openid-configuration`,
      metadata: [{ aliases: [new URL(d.url).host] }],
    });
  });
});
