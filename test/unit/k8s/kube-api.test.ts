import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { aksServerAppId, isPrivateAddress, isPrivateClusterName, KubeApi, KubeApiError, parseForbidden } from '@slipway/core';
import { createTestCertificates, type TestCertificates } from '../../sandbox/azure-doubles/test-ca.ts';

const tenant = '72f988bf-0000-4000-8000-2d7cd011db47';
const otherTenant = '0b0b0b0b-1111-4222-8333-444444444444';

/** An unsigned JWT with these claims: the explanation reads claims, only the server checks signatures. */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}.c2lnbmF0dXJl`;
}

const goodToken = jwt({ aud: aksServerAppId, iss: `https://sts.windows.net/${tenant}/`, oid: 'deployer-oid' });
const armToken = jwt({ aud: 'https://management.azure.com', iss: `https://sts.windows.net/${tenant}/` });
const foreignToken = jwt({ aud: aksServerAppId, iss: `https://login.microsoftonline.com/${otherTenant}/v2.0` });
const unboundToken = jwt({ aud: aksServerAppId, iss: `https://sts.windows.net/${tenant}/`, oid: 'unbound-oid' });

const status = (code: number, reason: string, message: string) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

let certs: TestCertificates;
let otherCa: TestCertificates;
let ipOnly: TestCertificates;
let api: Server;
let ipOnlyApi: Server;
let silent: TcpServer;
let work: string;
const port = (server: Server | TcpServer) => (server.address() as AddressInfo).port;

/** A fake API server answering as kube-apiserver does: Status bodies, RBAC's forbidden message. */
function fakeApiServer(tls: { cert: string; key: string }): Server {
  return createServer(tls, (req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const send = (code: number, body: string) => res.writeHead(code, { 'content-type': 'application/json' }).end(body);
    if (token !== goodToken && token !== unboundToken) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    if (req.url === '/version')
      return send(
        200,
        JSON.stringify({
          major: '1',
          minor: '31',
          gitVersion: 'v1.31.2',
          platform: 'linux/amd64',
          goVersion: 'go1.22',
          compiler: 'gc',
          gitCommit: 'x',
          gitTreeState: 'clean',
          buildDate: '2026-01-01T00:00:00Z',
        }),
      );
    if (req.url?.startsWith('/apis/authentication.k8s.io/v1/selfsubjectreviews')) {
      const username = token === goodToken ? 'deployer-oid' : 'unbound-oid';
      return send(
        201,
        JSON.stringify({
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'SelfSubjectReview',
          status: { userInfo: { username, groups: ['system:authenticated'] } },
        }),
      );
    }
    const pods = /^\/api\/v1\/namespaces\/([^/]+)\/pods/.exec(req.url ?? '');
    if (pods) {
      if (token === goodToken) return send(200, JSON.stringify({ apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [] }));
      return send(
        403,
        status(403, 'Forbidden', `pods is forbidden: User "unbound-oid" cannot list resource "pods" in API group "" in the namespace "${pods[1]}"`),
      );
    }
    return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
  });
}

function kubeconfig(options: { server: string; ca?: string; token?: string; exec?: { command: string; args: string[] } }): string {
  const file = path.join(work, `kubeconfig-${Math.random().toString(36).slice(2)}`);
  const user = options.exec
    ? { exec: { apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'Never', ...options.exec } }
    : { token: options.token ?? goodToken };
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: options.server, 'certificate-authority-data': Buffer.from(options.ca ?? certs.caCert).toString('base64') } }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    }),
    { mode: 0o600 },
  );
  return file;
}

async function open(file: string, token?: string, timeoutMs = 5000): Promise<KubeApi> {
  return KubeApi.open({
    kubeconfigFile: file,
    timeoutMs,
    signal: new AbortController().signal,
    explain: { presentedToken: () => token, expected: { audience: aksServerAppId, tenantId: tenant } },
  });
}

async function failure(promise: Promise<unknown>): Promise<KubeApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof KubeApiError)) throw new Error(`expected a KubeApiError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'slipway-kube-api-'));
  [certs, otherCa, ipOnly] = await Promise.all([
    createTestCertificates(),
    createTestCertificates(),
    createTestCertificates({ ips: ['127.0.0.1'], dnsNames: ['kubernetes.example'] }),
  ]);
  api = fakeApiServer({ cert: certs.serverCert, key: certs.serverKey });
  ipOnlyApi = fakeApiServer({ cert: ipOnly.serverCert, key: ipOnly.serverKey });
  // Accepts connections and never says a word: the API server of a cluster whose network drops replies.
  silent = createTcpServer(() => {});
  await Promise.all([api, ipOnlyApi, silent].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
}, 60_000);

afterAll(async () => {
  for (const server of [api, ipOnlyApi, silent]) server?.close();
  await Promise.all([certs, otherCa, ipOnly].map((c) => c?.cleanup()));
  rmSync(work, { recursive: true, force: true });
});

describe('KubeApi against an API server', () => {
  it('reads the version, who the caller is, and lists pods', async () => {
    const kube = await open(kubeconfig({ server: `https://127.0.0.1:${port(api)}` }), goodToken);
    expect(await kube.serverVersion()).toEqual({ gitVersion: 'v1.31.2', platform: 'linux/amd64' });
    expect(await kube.whoAmI()).toEqual({ username: 'deployer-oid', groups: ['system:authenticated'], uid: undefined });
    expect(await kube.listPods('team-a')).toBe(0);
  });
});

describe('failures explained in words, from the errors @kubernetes/client-node throws', () => {
  it('401 with a token for another audience: names the audience and the one the cluster accepts', async () => {
    const error = await failure((await open(kubeconfig({ server: `https://127.0.0.1:${port(api)}`, token: armToken }), armToken)).serverVersion());
    expect(error.failure).toBe('unauthorized');
    expect(error.code).toBe('KUBE_API_UNAUTHORIZED');
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe(
      `the API server rejected the credentials (401 Unauthorized) for GET /version: the token is for audience 'https://management.azure.com', but the cluster accepts tokens for its Entra ID server application '${aksServerAppId}'`,
    );
    // Nothing of the token itself is in what the user reads.
    expect(`${error.message} ${error.hint}`).not.toContain(armToken);
  });

  it("401 with a token from another tenant: names the issuer's tenant and the cluster's", async () => {
    const error = await failure((await open(kubeconfig({ server: `https://127.0.0.1:${port(api)}`, token: foreignToken }), foreignToken)).serverVersion());
    expect(error.message).toContain(`the token was issued by tenant ${otherTenant}`);
    expect(error.message).toContain(`but the cluster trusts tenant ${tenant}`);
    expect(error.hint).toMatch(/tenant-id/);
  });

  it('401 with a local account token: says the static token was refused', async () => {
    const error = await failure((await open(kubeconfig({ server: `https://127.0.0.1:${port(api)}`, token: 'f00d' }), 'f00d')).serverVersion());
    expect(error.message).toContain("the kubeconfig's static token (a local account) was not accepted");
  });

  it('403: which verb, resource and namespace the identity lacks, and the RoleBinding that would grant it', async () => {
    const kube = await open(kubeconfig({ server: `https://127.0.0.1:${port(api)}`, token: unboundToken }), unboundToken);
    expect((await kube.whoAmI())?.username).toBe('unbound-oid');
    const error = await failure(kube.listPods('team-a'));
    expect(error.failure).toBe('forbidden');
    expect(error.status).toBe(403);
    expect(error.message).toBe(
      "the identity 'unbound-oid' may not list pods in namespace 'team-a' (403 Forbidden): no Role or ClusterRole bound to it allows that",
    );
    expect(error.hint).toContain('kubectl create rolebinding slipway-deployer --namespace team-a --clusterrole edit --user unbound-oid');
  });

  it("TLS: a CA that did not sign the server's certificate", async () => {
    const error = await failure((await open(kubeconfig({ server: `https://127.0.0.1:${port(api)}`, ca: otherCa.caCert }))).serverVersion());
    expect(error.failure).toBe('tls');
    expect(error.code).toBe('KUBE_API_TLS');
    expect(error.message).toMatch(
      /^TLS with the API server 127\.0\.0\.1 failed: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/,
    );
    expect(error.hint).toMatch(/certificate-authority-data does not sign/);
  });

  it('TLS: a certificate for another name', async () => {
    const error = await failure((await open(kubeconfig({ server: `https://localhost:${port(ipOnlyApi)}`, ca: ipOnly.caCert }))).serverVersion());
    expect(error.message).toBe('TLS with the API server localhost failed: ERR_TLS_CERT_ALTNAME_INVALID');
    expect(error.hint).toMatch(/does not name localhost/);
  });

  it('DNS: a name that does not resolve, and a private cluster name, are told apart before any connection', async () => {
    const dns = await failure(open(kubeconfig({ server: 'https://aks-prod-dns-x.hcp.westeurope.azmk8s.invalid:443' })));
    expect(dns.failure).toBe('dns');
    expect(dns.message).toMatch(/^the API server name aks-prod-dns-x\.hcp\.westeurope\.azmk8s\.invalid does not resolve from this runner/);
    const privateName = await failure(open(kubeconfig({ server: 'https://aks-prod-1a2b3c4d.5e6f-guid.privatelink.westeurope.azmk8s.io:443' })));
    expect(privateName.failure).toBe('private-cluster');
    expect(privateName.message).toContain("is a private cluster's name, which does not resolve from this runner");
    expect(privateName.hint).toMatch(/self-hosted runner or agent/);
  });

  it('a refused connection and a server that never answers', async () => {
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = port(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await failure((await open(kubeconfig({ server: `https://127.0.0.1:${closedPort}` }))).serverVersion());
    expect(refused.failure).toBe('unreachable');
    expect(refused.message).toBe('GET /version to 127.0.0.1: the connection was refused');

    const timedOut = await failure((await open(kubeconfig({ server: `https://127.0.0.1:${port(silent)}` }), undefined, 1000)).serverVersion());
    expect(timedOut.failure).toBe('timeout');
    expect(timedOut.message).toMatch(/^GET \/version to 127\.0\.0\.1 got no answer within 1 s/);
  });

  it("a credential plugin that cannot start, or that fails: the plugin's own words", async () => {
    const missing = await failure(
      (await open(kubeconfig({ server: `https://127.0.0.1:${port(api)}`, exec: { command: '/nonexistent/kubelogin', args: ['get-token'] } }))).serverVersion(),
    );
    expect(missing.failure).toBe('credential-plugin');
    expect(missing.message).toBe("the kubeconfig's credential plugin '/nonexistent/kubelogin' could not be started (ENOENT)");
    expect(missing.hint).toMatch(/install kubelogin/);
    const failing = await failure(
      (
        await open(
          kubeconfig({
            server: `https://127.0.0.1:${port(api)}`,
            exec: { command: process.execPath, args: ['-e', "process.stderr.write('slipway kube-token: AADSTS700016: no such app'); process.exit(3)"] },
          }),
        )
      ).serverVersion(),
    );
    expect(failing.message).toBe("the kubeconfig's credential plugin failed: AADSTS700016: no such app");
  });
});

describe('address and message parsing', () => {
  it.each([
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['100.64.0.1', true],
    ['127.0.0.1', false],
    ['20.50.1.1', false],
    ['fd00::1', true],
    ['2001:db8::1', false],
  ])('%s is private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });

  it('knows AKS private cluster names', () => {
    expect(isPrivateClusterName('aks-1a2b3c.4d5e6f7a-0000-4000-8000-1234567890ab.privatelink.westeurope.azmk8s.io')).toBe(true);
    expect(isPrivateClusterName('aks-1a2b3c.private.westeurope.azmk8s.io')).toBe(true);
    expect(isPrivateClusterName('aks-dns-1a2b3c.hcp.westeurope.azmk8s.io')).toBe(false);
  });

  it('reads RBAC denials at namespace and cluster scope', () => {
    expect(parseForbidden('namespaces is forbidden: User "ci" cannot list resource "namespaces" in API group "" at the cluster scope')).toEqual({
      user: 'ci',
      verb: 'list',
      resource: 'namespaces',
      group: '',
      namespace: undefined,
    });
    expect(
      parseForbidden(
        'deployments.apps "api" is forbidden: User "system:serviceaccount:ci:deployer" cannot patch resource "deployments" in API group "apps" in the namespace "prod"',
      ),
    ).toEqual({
      user: 'system:serviceaccount:ci:deployer',
      verb: 'patch',
      resource: 'deployments',
      group: 'apps',
      namespace: 'prod',
    });
  });
});
