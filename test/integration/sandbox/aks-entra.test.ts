/**
 * Issue #10: the sandbox API server accepts the Entra double's tokens for the AKS server application the
 * way an Entra-enabled AKS cluster does (username = oid, groups = group object ids, Kubernetes RBAC), and
 * the ARM double hands out AKS-shaped kubeconfigs for an Entra cluster and a local-accounts cluster.
 */
import { createHash, createPrivateKey, createPublicKey, randomUUID, sign, verify, X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { KUBELOGIN_INSTALL_HINT } from '../../sandbox/azure-doubles/arm-double.ts';
import {
  AKS_CLIENT_APP_ID,
  AKS_SERVER_APP_ID,
  DEFAULT_TENANT_ID,
  SANDBOX_GROUPS,
  defaultApps,
  defaultManagedIdentity,
} from '../../sandbox/azure-doubles/model.ts';
import { runSdkProbe } from '../../sandbox/azure-doubles/sdk-probe.ts';
import { form, startHarness, type Harness } from '../../sandbox/azure-doubles/test-harness.ts';
import { describeSandbox, entraToken, httpsCall, repoRoot, run, setEntraTokenLifetime, type SandboxInfo } from './sandbox.ts';

interface RbacObject {
  kind: string;
  metadata: { name: string };
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string }>;
}

describe('sandbox Entra identities: kube/rbac.yaml and sandbox.sh agree with the doubles (no sandbox needed)', () => {
  const apps = defaultApps('https://issuer.invalid');
  const app = (name: string) => {
    const found = apps.find((a) => a.name === name);
    if (!found) throw new Error(`no default app ${name}`);
    return found;
  };

  it('binds ci (by oid) and the deployers group, and nothing to aks-unbound or its group', () => {
    const docs = parseYamlAll(readFileSync(path.join(repoRoot, 'test/sandbox/kube/rbac.yaml'), 'utf8'));
    const subjects = docs.flatMap((d) => (d.subjects ?? []).map((s) => ({ kind: s.kind, name: s.name, role: d.roleRef?.name })));
    expect(subjects).toEqual(
      expect.arrayContaining([
        { kind: 'User', name: app('ci').objectId, role: 'admin' },
        { kind: 'User', name: app('ci').objectId, role: 'slipway-sandbox:namespace-reader' },
        { kind: 'Group', name: SANDBOX_GROUPS.deployers, role: 'edit' },
        { kind: 'Group', name: SANDBOX_GROUPS.deployers, role: 'slipway-sandbox:namespace-reader' },
      ]),
    );
    const names = subjects.map((s) => s.name);
    expect(names).not.toContain(app('aks-unbound').objectId);
    expect(names).not.toContain(SANDBOX_GROUPS.observers);
    expect(app('ci').groups).toEqual([SANDBOX_GROUPS.deployers]);
    expect(app('aks-unbound').groups).toEqual([SANDBOX_GROUPS.observers]);
    expect(defaultManagedIdentity('s', 'rg').groups).toEqual([SANDBOX_GROUPS.deployers]);
  });

  it('sandbox.sh uses the doubles’ default tenant and the AKS server application id', () => {
    const script = readFileSync(path.join(repoRoot, 'test/sandbox/sandbox.sh'), 'utf8');
    expect(script).toContain(`AZURE_TENANT=\${SANDBOX_TENANT_ID:-${DEFAULT_TENANT_ID}}`);
    expect(script).toContain(`AKS_SERVER_APP_ID=${AKS_SERVER_APP_ID}`);
  });
});

describe('Entra and ARM doubles for AKS, in-process (no sandbox needed)', () => {
  const SUB = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
  const RG = 'slipway-sandbox';
  let h: Harness;
  const base = { subscriptionId: SUB, resourceGroup: RG, location: 'westeurope', kubernetesVersion: '1.33.13' };
  const endpoint = () => ({ server: 'https://127.0.0.1:6443', certificateAuthorityPem: h.certs.caCert });

  beforeAll(async () => {
    h = await startHarness({
      clusters: [
        { ...base, name: 'entra', aad: {}, disableLocalAccounts: true, endpoint },
        { ...base, name: 'local', endpoint, localAccounts: { userToken: 'user-token', adminToken: 'admin-token' } },
      ],
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  const app = (name: string) => {
    const found = h.doubles.description.apps.find((a) => a.name === name);
    if (!found) throw new Error(`no app ${name}`);
    return found;
  };
  const tokenPath = () => `/${h.doubles.description.tenantId}/oauth2/v2.0/token`;

  async function tokenWith(values: Record<string, string>): Promise<{ token: string; expiresIn: number; claims: Record<string, unknown> }> {
    const res = await h.call(tokenPath(), { method: 'POST', ...form({ grant_type: 'client_credentials', ...values }) });
    expect(res.status, res.text).toBe(200);
    const body = res.json() as { access_token: string; expires_in: number };
    return { token: body.access_token, expiresIn: body.expires_in, claims: decodePayload(body.access_token) };
  }
  const secretToken = (name: string, scope = `${AKS_SERVER_APP_ID}/.default`) =>
    tokenWith({ client_id: app(name).clientId, client_secret: app(name).secrets[0] ?? '', scope });

  /** Verifies `token` the way kube-apiserver does: issuer discovery, then the JWKS it names. */
  async function verifyLikeKubeApiserver(token: string): Promise<void> {
    const issuer = `${h.doubles.url}/${h.doubles.description.tenantId}/v2.0`;
    const meta = (await h.call(`${issuer}/.well-known/openid-configuration`)).json() as { issuer: string; jwks_uri: string };
    expect(meta.issuer).toBe(issuer);
    const jwks = (await h.call(meta.jwks_uri)).json() as { keys: Array<Record<string, string>> };
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const kid = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid: string }).kid;
    const jwk = jwks.keys.find((k) => k.kid === kid);
    if (!jwk) throw new Error(`kid ${kid} is not in the JWKS`);
    // go-jose (kube-apiserver's JWKS parser) insists that x5t is a 20-byte (SHA-1) thumbprint.
    expect(Buffer.from(jwk.x5t ?? '', 'base64url')).toHaveLength(20);
    const key = createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e } as never, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))).toBe(true);
    expect(decodePayload(token).iss).toBe(meta.issuer);
  }

  it('a client secret gets a v2.0 AKS-audience token with oid, tid and groups, verifiable through discovery', async () => {
    const { token, claims, expiresIn } = await secretToken('ci');
    expect(expiresIn).toBe(3599);
    expect(claims).toMatchObject({
      aud: AKS_SERVER_APP_ID,
      iss: `${h.doubles.url}/${h.doubles.description.tenantId}/v2.0`,
      azp: app('ci').clientId,
      azpacr: '1',
      oid: app('ci').objectId,
      sub: app('ci').objectId,
      tid: h.doubles.description.tenantId,
      groups: [SANDBOX_GROUPS.deployers],
      idtyp: 'app',
      ver: '2.0',
    });
    expect(claims.exp as number).toBe((claims.iat as number) + 3599);
    await verifyLikeKubeApiserver(token);
    expect((await secretToken('aks-unbound')).claims.groups).toEqual([SANDBOX_GROUPS.observers]);
    expect((await secretToken('reader')).claims.groups).toBeUndefined();
    // Other audiences keep their v1.0 tokens, without groups.
    const arm = (await secretToken('ci', 'https://management.azure.com/.default')).claims;
    expect(arm).toMatchObject({ ver: '1.0', iss: `${h.doubles.url}/${h.doubles.description.tenantId}/`, appid: app('ci').clientId });
    expect(arm.groups).toBeUndefined();
  });

  it('a certificate, a federated assertion and a managed identity get AKS-audience tokens too', async () => {
    const ci = app('ci');
    h.doubles.registerCertificate(ci.clientId, h.certs.serverCert);
    const thumbprint = createHash('sha1').update(new X509Certificate(h.certs.serverCert).raw).digest('base64url');
    const now = Math.floor(Date.now() / 1000);
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5t: thumbprint })).toString('base64url');
    const body = Buffer.from(
      JSON.stringify({ iss: ci.clientId, sub: ci.clientId, aud: `${h.doubles.url}${tokenPath()}`, jti: randomUUID(), nbf: now, exp: now + 300 }),
    ).toString('base64url');
    const signature = sign('sha256', Buffer.from(`${header}.${body}`), createPrivateKey(h.certs.serverKey)).toString('base64url');
    const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
    const byCertificate = await tokenWith({
      client_id: ci.clientId,
      client_assertion_type: assertionType,
      client_assertion: `${header}.${body}.${signature}`,
      scope: `${AKS_SERVER_APP_ID}/.default`,
    });
    expect(byCertificate.claims).toMatchObject({ aud: AKS_SERVER_APP_ID, oid: ci.objectId, azpacr: '2', groups: [SANDBOX_GROUPS.deployers] });

    const federated = await tokenWith({
      client_id: ci.clientId,
      client_assertion_type: assertionType,
      client_assertion: h.doubles.mintFederatedToken({ subject: 'repo:slipway/slipway:ref:refs/heads/main' }),
      scope: `${AKS_SERVER_APP_ID}/.default`,
    });
    expect(federated.claims).toMatchObject({ aud: AKS_SERVER_APP_ID, oid: ci.objectId, azpacr: '2', groups: [SANDBOX_GROUPS.deployers] });
    await verifyLikeKubeApiserver(federated.token);

    const mi = h.doubles.description.managedIdentity;
    const imds = await h.call(`/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${AKS_SERVER_APP_ID}`, { headers: { metadata: 'true' } });
    expect(imds.status, imds.text).toBe(200);
    const miToken = (imds.json() as { access_token: string }).access_token;
    expect(decodePayload(miToken)).toMatchObject({
      aud: AKS_SERVER_APP_ID,
      oid: mi.objectId,
      azp: mi.clientId,
      groups: [SANDBOX_GROUPS.deployers],
      ver: '2.0',
    });
    await verifyLikeKubeApiserver(miToken);
  });

  it('/_sandbox/token-lifetime shortens tokens per client and/or resource, for a count or until cleared', async () => {
    const ci = app('ci');
    const knob = (init: { method: string; body?: unknown }) =>
      h.call('/_sandbox/token-lifetime', {
        method: init.method,
        headers: { 'content-type': 'application/json' },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
    expect((await knob({ method: 'POST', body: { seconds: 0 } })).status).toBe(400);
    expect((await knob({ method: 'POST', body: { seconds: 5, clientId: ci.clientId, resource: `${AKS_SERVER_APP_ID}/.default`, count: 1 } })).status).toBe(200);
    expect((await knob({ method: 'POST', body: { seconds: 30, resource: AKS_SERVER_APP_ID } })).status).toBe(200);
    expect((await knob({ method: 'GET' })).json()).toMatchObject({
      defaultSeconds: 3599,
      overrides: [
        { seconds: 5, clientId: ci.clientId, resource: AKS_SERVER_APP_ID, remaining: 1 },
        { seconds: 30, resource: AKS_SERVER_APP_ID },
      ],
    });
    const first = await secretToken('ci');
    expect(first.expiresIn).toBe(5);
    expect((first.claims.exp as number) - (first.claims.iat as number)).toBe(5);
    expect((await secretToken('ci')).expiresIn).toBe(30); // the count is used up; the resource-wide override remains
    expect((await secretToken('aks-unbound')).expiresIn).toBe(30);
    expect((await secretToken('ci', 'https://management.azure.com/.default')).expiresIn).toBe(3599);
    expect((await knob({ method: 'DELETE', body: { resource: `${AKS_SERVER_APP_ID}/.default` } })).json()).toMatchObject({ overrides: [] });
    expect((await secretToken('ci')).expiresIn).toBe(3599);
    expect((await knob({ method: 'POST', body: { seconds: 9 } })).status).toBe(200);
    expect((await secretToken('reader', 'https://management.azure.com/.default')).expiresIn).toBe(9);
    expect((await knob({ method: 'DELETE' })).json()).toMatchObject({ overrides: [] });

    h.doubles.setTokenLifetime({ seconds: 7, clientId: app('reader').clientId });
    expect((await secretToken('reader')).expiresIn).toBe(7);
    h.doubles.clearTokenLifetimes();
    expect((await secretToken('reader')).expiresIn).toBe(3599);
  });

  it('/_sandbox/groups sets a principal’s groups claim', async () => {
    const reader = app('reader');
    const set = await h.call('/_sandbox/groups', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: reader.clientId, groups: ['11111111-2222-4333-8444-555555555555'] }),
    });
    expect(set.status).toBe(200);
    expect((await secretToken('reader')).claims.groups).toEqual(['11111111-2222-4333-8444-555555555555']);
    h.doubles.setGroups(reader.clientId, []);
    expect((await secretToken('reader')).claims.groups).toBeUndefined();
  });

  it('@azure/arm-containerservice reads the Entra and local clusters’ credentials; the Entra cluster refuses admin ones', async () => {
    const d = h.doubles.description;
    const cred = {
      kind: 'secret' as const,
      tenantId: d.tenantId,
      clientId: app('ci').clientId,
      secret: app('ci').secrets[0] ?? '',
      authorityHost: d.authorityHost,
    };
    const scenario = (clusterName: string, admin = false) => ({
      op: 'arm' as const,
      credential: cred,
      endpoint: h.doubles.url,
      subscriptionId: SUB,
      resourceGroup: RG,
      clusterName,
      ...(admin ? { admin: true } : {}),
    });
    const user = await runSdkProbe(scenario('entra'), h.probeEnv);
    if (!user.ok) throw new Error(user.error.message);
    const [kubeconfig] = user.kubeconfigs as Array<{ name: string; value: string }>;
    const parsed = parseYaml(kubeconfig?.value ?? '') as Kubeconfig;
    expect(parsed.users[0]?.user).toMatchObject({ exec: { command: 'kubelogin', installHint: KUBELOGIN_INSTALL_HINT } });
    expect(parsed.clusters[0]?.cluster).toEqual({
      'certificate-authority-data': Buffer.from(h.certs.caCert).toString('base64'),
      server: 'https://127.0.0.1:6443',
    });

    const admin = await runSdkProbe(scenario('entra', true), h.probeEnv);
    expect(admin.ok).toBe(false);
    if (!admin.ok) {
      expect(admin.error).toMatchObject({ statusCode: 400, code: 'BadRequest' });
      expect(admin.error.message).toBe('Getting static credential is not allowed because this cluster is set to disable local accounts.');
    }

    const local = await runSdkProbe(scenario('local', true), h.probeEnv);
    if (!local.ok) throw new Error(local.error.message);
    const localConfig = parseYaml((local.kubeconfigs as Array<{ value: string }>)[0]?.value ?? '') as Kubeconfig;
    expect(localConfig.users).toEqual([{ name: `clusterAdmin_${RG}_local`, user: { token: 'admin-token' } }]);
    expect(localConfig.contexts).toEqual([{ context: { cluster: 'local', user: `clusterAdmin_${RG}_local` }, name: 'local-admin' }]);
  });
});

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

function parseYamlAll(text: string): RbacObject[] {
  return text
    .split(/^---$/m)
    .map((doc) => parseYaml(doc) as RbacObject | null)
    .filter((doc): doc is RbacObject => doc !== null);
}

interface Kubeconfig {
  clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data': string } }>;
  contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
  'current-context': string;
  users: Array<{ name: string; user: Record<string, unknown> }>;
}

describeSandbox('AKS Entra ID sign-in against the sandbox API server (issue #10)', (sb: SandboxInfo) => {
  const env = sb.env;
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is empty in sandbox.env (are the Azure doubles up?)`);
    return value;
  };
  const kubectlBin = env.KUBECTL ?? 'kubectl';
  const work = mkdtempSync(path.join(os.tmpdir(), 'slipway-aks-entra-'));
  afterAll(async () => {
    // Leave no lifetime override of ours behind (only ours: other suites share the doubles).
    await httpsCall(`${need('AZURE_DOUBLES_URL')}/_sandbox/token-lifetime`, {
      ca: azureCa(),
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: unbound().clientId, resource: need('SANDBOX_AKS_SERVER_APP_ID') }),
    });
    rmSync(work, { recursive: true, force: true });
  });

  const azureCa = () => readFileSync(need('SANDBOX_CA_CERT'), 'utf8');
  const kubeCa = () => readFileSync(need('SANDBOX_KUBE_CA_CERT'), 'utf8');
  const aksScope = () => `${need('SANDBOX_AKS_SERVER_APP_ID')}/.default`;
  const bound = () => ({ clientId: need('SANDBOX_AKS_BOUND_CLIENT_ID'), clientSecret: need('SANDBOX_AKS_BOUND_CLIENT_SECRET') });
  const unbound = () => ({ clientId: need('SANDBOX_AKS_UNBOUND_CLIENT_ID'), clientSecret: need('SANDBOX_AKS_UNBOUND_CLIENT_SECRET') });

  /** POST a SelfSubjectReview with a bearer token: who the API server thinks the token is. */
  async function whoami(token: string): Promise<{ status: number; username?: string; groups?: string[]; text: string }> {
    const res = await httpsCall(`${need('SANDBOX_KUBE_SERVER')}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
      ca: kubeCa(),
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
    });
    if (res.status !== 201) return { status: res.status, text: res.text };
    const review = res.json() as { status: { userInfo: { username: string; groups?: string[] } } };
    return { status: res.status, username: review.status.userInfo.username, groups: review.status.userInfo.groups ?? [], text: res.text };
  }

  /** A kubeconfig file for the sandbox API server that authenticates with a bearer token. */
  function tokenKubeconfig(name: string, token: string): string {
    const file = path.join(work, name);
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'sandbox', cluster: { server: need('SANDBOX_KUBE_SERVER'), 'certificate-authority': need('SANDBOX_KUBE_CA_CERT') } }],
        contexts: [{ name: 'sandbox', context: { cluster: 'sandbox', user: 'entra' } }],
        'current-context': 'sandbox',
        users: [{ name: 'entra', user: { token } }],
      }),
      { mode: 0o600 },
    );
    return file;
  }

  async function armToken(): Promise<string> {
    return (await entraToken(sb, { ...bound(), scope: 'https://management.azure.com/.default' })).accessToken;
  }

  async function arm(method: 'GET' | 'POST', cluster: string, operation = '', query = ''): Promise<{ status: number; json: () => unknown; text: string }> {
    const base = `${need('AZURE_DOUBLES_URL')}/subscriptions/${need('SANDBOX_AKS_SUBSCRIPTION')}/resourceGroups/${need('SANDBOX_AKS_RESOURCE_GROUP')}`;
    return httpsCall(`${base}/providers/Microsoft.ContainerService/managedClusters/${cluster}${operation}?api-version=2024-09-01${query}`, {
      ca: azureCa(),
      method,
      headers: { authorization: `Bearer ${await armToken()}` },
    });
  }

  function decodeKubeconfig(res: { json: () => unknown }): { name: string; text: string; config: Kubeconfig } {
    const [first] = (res.json() as { kubeconfigs: Array<{ name: string; value: string }> }).kubeconfigs;
    const text = Buffer.from(first?.value ?? '', 'base64').toString('utf8');
    return { name: first?.name ?? '', text, config: parseYaml(text) as Kubeconfig };
  }

  it('a token for the AKS server application authenticates: username = oid, groups = the groups claim', async () => {
    const { accessToken, claims } = await entraToken(sb, { ...bound(), scope: aksScope() });
    expect(claims).toMatchObject({
      aud: need('SANDBOX_AKS_SERVER_APP_ID'),
      iss: need('SANDBOX_ENTRA_ISSUER'),
      tid: need('SANDBOX_TENANT_ID'),
      oid: need('SANDBOX_AKS_BOUND_OBJECT_ID'),
      azp: bound().clientId,
      groups: [need('SANDBOX_AKS_BOUND_GROUP')],
      ver: '2.0',
    });
    const me = await whoami(accessToken);
    expect(me.status, me.text).toBe(201);
    expect(me.username).toBe(need('SANDBOX_AKS_BOUND_OBJECT_ID'));
    expect(me.groups).toEqual(expect.arrayContaining([need('SANDBOX_AKS_BOUND_GROUP'), 'system:authenticated']));

    const ns = await run(sb, kubectlBin, ['--kubeconfig', tokenKubeconfig('bound', accessToken), 'get', 'namespaces', '-o', 'name']);
    expect(ns.code, ns.stderr).toBe(0);
    expect(ns.stdout.split('\n')).toEqual(expect.arrayContaining(['namespace/default', 'namespace/kube-system']));
    const whoamiCli = await run(sb, kubectlBin, ['--kubeconfig', tokenKubeconfig('bound', accessToken), 'auth', 'whoami', '-o', 'json']);
    expect(whoamiCli.code, whoamiCli.stderr).toBe(0);
    expect(JSON.parse(whoamiCli.stdout).status.userInfo.username).toBe(need('SANDBOX_AKS_BOUND_OBJECT_ID'));
  });

  it('tokens for another audience, from another issuer or with a bad signature get 401', async () => {
    const armAudience = await entraToken(sb, { ...bound(), scope: 'https://management.azure.com/.default' });
    expect(armAudience.claims.oid).toBe(need('SANDBOX_AKS_BOUND_OBJECT_ID'));
    expect((await whoami(armAudience.accessToken)).status).toBe(401);

    const federated = await httpsCall(`${need('AZURE_DOUBLES_URL')}/_sandbox/oidc/token`, {
      ca: azureCa(),
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject: need('SANDBOX_AKS_BOUND_OBJECT_ID'), audience: need('SANDBOX_AKS_SERVER_APP_ID') }),
    });
    expect((await whoami((federated.json() as { token: string }).token)).status).toBe(401);

    const good = (await entraToken(sb, { ...bound(), scope: aksScope() })).accessToken;
    const [header, payload] = good.split('.');
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    expect((await whoami(forged)).status).toBe(401);

    const ns = await run(sb, kubectlBin, ['--kubeconfig', tokenKubeconfig('arm-audience', armAudience.accessToken), 'get', 'namespaces']);
    expect(ns.code).not.toBe(0);
    expect(ns.stderr).toMatch(/Unauthorized/);
  });

  it('the unbound principal authenticates but gets 403 on namespaces (Kubernetes RBAC)', async () => {
    const { accessToken } = await entraToken(sb, { ...unbound(), scope: aksScope() });
    const me = await whoami(accessToken);
    expect(me.status, me.text).toBe(201);
    expect(me.username).toBe(need('SANDBOX_AKS_UNBOUND_OBJECT_ID'));

    const res = await httpsCall(`${need('SANDBOX_KUBE_SERVER')}/api/v1/namespaces`, { ca: kubeCa(), headers: { authorization: `Bearer ${accessToken}` } });
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      message: `namespaces is forbidden: User "${need('SANDBOX_AKS_UNBOUND_OBJECT_ID')}" cannot list resource "namespaces" in API group "" at the cluster scope`,
    });
    const get = await run(sb, kubectlBin, ['--kubeconfig', tokenKubeconfig('unbound', accessToken), 'get', 'namespace', 'default']);
    expect(get.code).not.toBe(0);
    expect(get.stderr).toContain(`User "${need('SANDBOX_AKS_UNBOUND_OBJECT_ID')}" cannot get resource "namespaces"`);
  });

  it('an expired token gets 401 and a new one works (lifetime shortened with /_sandbox/token-lifetime)', async () => {
    // Two 2-second tokens for the unbound principal (a 401 is authentication, whatever RBAC says; the
    // bound principal is left alone for suites running alongside). Later tokens live as long as usual.
    const principal = unbound();
    await setEntraTokenLifetime(sb, { seconds: 2, clientId: principal.clientId, resource: need('SANDBOX_AKS_SERVER_APP_ID'), count: 2 });
    const unused = await entraToken(sb, { ...principal, scope: aksScope() });
    const used = await entraToken(sb, { ...principal, scope: aksScope() });
    expect(unused.expiresIn).toBe(2);
    expect((used.claims.exp as number) - (used.claims.iat as number)).toBe(2);
    const usedAt = Date.now();
    expect((await whoami(used.accessToken)).status).toBe(201);

    // kube-apiserver checks exp (no leeway) on tokens it has not seen ...
    await sleep((used.claims.exp as number) * 1000 + 1100 - Date.now());
    const expired = await whoami(unused.accessToken);
    expect(expired.status).toBe(401);
    expect(JSON.parse(expired.text)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const cli = await run(sb, kubectlBin, ['--kubeconfig', tokenKubeconfig('expired', unused.accessToken), 'get', 'namespaces']);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/Unauthorized/);

    // ... and caches a successful authentication for 10 s (kube-apiserver's built-in token success cache
    // TTL), so the token it accepted is refused once that has passed.
    await sleep(usedAt + 11_000 - Date.now());
    expect((await whoami(used.accessToken)).status).toBe(401);

    const renewed = await entraToken(sb, { ...principal, scope: aksScope() });
    expect(renewed.expiresIn).toBeGreaterThan(60);
    const me = await whoami(renewed.accessToken);
    expect(me.status).toBe(201);
    expect(me.username).toBe(need('SANDBOX_AKS_UNBOUND_OBJECT_ID'));
  }, 30_000);

  it('the Entra cluster: exec (default) and azure kubeconfigs shaped like AKS’s, admin credentials refused', async () => {
    const cluster = need('SANDBOX_AKS_ENTRA_CLUSTER');
    const rg = need('SANDBOX_AKS_RESOURCE_GROUP');
    const managed = await arm('GET', cluster);
    expect(managed.status, managed.text).toBe(200);
    expect(managed.json()).toMatchObject({
      name: cluster,
      properties: {
        enableRBAC: true,
        disableLocalAccounts: true,
        aadProfile: { managed: true, enableAzureRBAC: false, tenantID: need('SANDBOX_TENANT_ID') },
      },
    });

    const kubeCaData = Buffer.from(kubeCa(), 'utf8').toString('base64');
    for (const query of ['&format=exec', '']) {
      const res = await arm('POST', cluster, '/listClusterUserCredential', query);
      expect(res.status, res.text).toBe(200);
      const { name, config } = decodeKubeconfig(res);
      expect(name).toBe('clusterUser');
      expect(config).toEqual({
        apiVersion: 'v1',
        clusters: [{ cluster: { 'certificate-authority-data': kubeCaData, server: need('SANDBOX_KUBE_SERVER') }, name: cluster }],
        contexts: [{ context: { cluster, user: `clusterUser_${rg}_${cluster}` }, name: cluster }],
        'current-context': cluster,
        kind: 'Config',
        preferences: {},
        users: [
          {
            name: `clusterUser_${rg}_${cluster}`,
            user: {
              exec: {
                apiVersion: 'client.authentication.k8s.io/v1beta1',
                args: [
                  'get-token',
                  '--environment',
                  'AzurePublicCloud',
                  '--server-id',
                  AKS_SERVER_APP_ID,
                  '--client-id',
                  AKS_CLIENT_APP_ID,
                  '--tenant-id',
                  need('SANDBOX_TENANT_ID'),
                  '--login',
                  'devicecode',
                ],
                command: 'kubelogin',
                env: null,
                installHint: KUBELOGIN_INSTALL_HINT,
                provideClusterInfo: false,
              },
            },
          },
        ],
      });
    }

    const azure = decodeKubeconfig(await arm('POST', cluster, '/listClusterUserCredential', '&format=azure'));
    expect(azure.config.users[0]?.user).toEqual({
      'auth-provider': {
        config: {
          'apiserver-id': AKS_SERVER_APP_ID,
          'client-id': AKS_CLIENT_APP_ID,
          'config-mode': '1',
          environment: 'AzurePublicCloud',
          'tenant-id': need('SANDBOX_TENANT_ID'),
        },
        name: 'azure',
      },
    });

    const admin = await arm('POST', cluster, '/listClusterAdminCredential');
    expect(admin.status).toBe(400);
    expect(admin.json()).toEqual({
      error: { code: 'BadRequest', message: 'Getting static credential is not allowed because this cluster is set to disable local accounts.' },
    });
  });

  it('the exec kubeconfig works with kubectl when its credential plugin prints a token from the Entra double', async () => {
    const cluster = need('SANDBOX_AKS_ENTRA_CLUSTER');
    const { config } = decodeKubeconfig(await arm('POST', cluster, '/listClusterUserCredential', '&format=exec'));
    // kubelogin cannot run offline; a stand-in plugin hands kubectl the token it would have got.
    const { accessToken } = await entraToken(sb, { ...bound(), scope: aksScope() });
    const plugin = path.join(work, 'fake-kubelogin.sh');
    const credential = { apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: accessToken } };
    writeFileSync(plugin, `#!/bin/sh\ncat <<'JSON'\n${JSON.stringify(credential)}\nJSON\n`);
    chmodSync(plugin, 0o700);
    const user = config.users[0]?.user as { exec: Record<string, unknown> };
    user.exec.command = plugin;
    const file = path.join(work, 'entra-exec.kubeconfig');
    writeFileSync(file, stringify(config), { mode: 0o600 });
    const who = await run(sb, kubectlBin, ['--kubeconfig', file, 'auth', 'whoami', '-o', 'json']);
    expect(who.code, who.stderr).toBe(0);
    expect(JSON.parse(who.stdout).status.userInfo.username).toBe(need('SANDBOX_AKS_BOUND_OBJECT_ID'));
    const ns = await run(sb, kubectlBin, ['--kubeconfig', file, 'get', 'namespace', 'default', '-o', 'name']);
    expect(ns.code, ns.stderr).toBe(0);
    expect(ns.stdout.trim()).toBe('namespace/default');
  });

  it('the local-accounts cluster: static-token user and admin kubeconfigs work with plain kubectl', async () => {
    const cluster = need('SANDBOX_AKS_LOCAL_CLUSTER');
    const rg = need('SANDBOX_AKS_RESOURCE_GROUP');
    const managed = (await arm('GET', cluster)).json() as { properties: Record<string, unknown> };
    expect(managed.properties.disableLocalAccounts).toBe(false);
    expect(managed.properties.aadProfile).toBeUndefined();

    const user = decodeKubeconfig(await arm('POST', cluster, '/listClusterUserCredential', '&format=exec'));
    expect(user.name).toBe('clusterUser');
    expect(user.config.users).toEqual([{ name: `clusterUser_${rg}_${cluster}`, user: { token: expect.stringMatching(/^[0-9a-f]{64}$/) } }]);
    expect(user.config.clusters[0]?.cluster.server).toBe(need('SANDBOX_KUBE_SERVER'));
    const userFile = path.join(work, 'local-user.kubeconfig');
    writeFileSync(userFile, user.text, { mode: 0o600 });
    const who = await run(sb, kubectlBin, ['--kubeconfig', userFile, 'auth', 'whoami', '-o', 'json']);
    expect(who.code, who.stderr).toBe(0);
    expect(JSON.parse(who.stdout).status.userInfo).toMatchObject({ username: 'clusterUser', groups: expect.arrayContaining(['system:masters']) });
    const ns = await run(sb, kubectlBin, ['--kubeconfig', userFile, 'get', 'namespaces', '-o', 'name']);
    expect(ns.code, ns.stderr).toBe(0);
    expect(ns.stdout).toContain('namespace/default');

    const admin = decodeKubeconfig(await arm('POST', cluster, '/listClusterAdminCredential'));
    expect(admin.name).toBe('clusterAdmin');
    expect(admin.config['current-context']).toBe(`${cluster}-admin`);
    expect(Object.keys(admin.config.users[0]?.user ?? {}).sort()).toEqual(['client-certificate-data', 'client-key-data', 'token']);
    const adminFile = path.join(work, 'local-admin.kubeconfig');
    writeFileSync(adminFile, admin.text, { mode: 0o600 });
    const nodes = await run(sb, kubectlBin, ['--kubeconfig', adminFile, 'get', 'nodes', '-o', 'name']);
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(nodes.stdout.trim().split('\n')).toHaveLength(Number(env.SANDBOX_NODES ?? '3'));
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
