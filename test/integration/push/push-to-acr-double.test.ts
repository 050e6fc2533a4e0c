import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rawCall, startHarness, type Harness } from '../../sandbox/azure-doubles/test-harness.ts';
import { repoRoot, runAzureTask, runGitHubAction, runProcess } from '../../support/host-harness.ts';
import { hasDockerRegistry } from '../../support/tools.ts';
import { writeOciIndexLayout } from '../../support/oci-layout-writer.ts';

const tinyLayout = path.join(repoRoot, 'test/fixtures/oci/tiny');
const tinyDigest = readFileSync(`${tinyLayout}.digest`, 'utf8').trim();

let harness: Harness;
let tokenServer: Server;
let tokenRequests = 0;
let lastTokenRequest: { method: string; serviceConnectionId: string; authorization: string } | undefined;
let tokenSubject = 'repo:contoso/api:ref:refs/heads/main';

beforeAll(async () => {
  harness = await startHarness({ registry: true });
  // Stands in for GitHub's ACTIONS_ID_TOKEN_REQUEST_URL: answers {"value": <jwt>} like the runner does.
  // Stands in for GitHub's ACTIONS_ID_TOKEN_REQUEST_URL (GET, answers {"value"}) and for the Azure
  // Pipelines OIDC endpoint (POST ...?serviceConnectionId=, answers {"oidcToken"}).
  tokenServer = createServer((req, res) => {
    tokenRequests++;
    const url = new URL(req.url ?? '/', 'http://x');
    lastTokenRequest = {
      method: req.method ?? '',
      serviceConnectionId: url.searchParams.get('serviceConnectionId') ?? '',
      authorization: req.headers.authorization ?? '',
    };
    const audience = url.searchParams.get('audience') ?? 'api://AzureADTokenExchange';
    const value = harness.doubles.mintFederatedToken({ subject: tokenSubject, audience, lifetimeSeconds: 300 });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(url.pathname === '/oidctoken' ? { oidcToken: value } : { value }));
  });
  await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => tokenServer?.close(() => resolve()));
  await harness?.close();
});

beforeEach(() => {
  harness.doubles.resetStats();
  harness.doubles.clearFaults();
});

function app(name = 'ci') {
  const found = harness.doubles.description.apps.find((candidate) => candidate.name === name) ?? harness.doubles.description.apps[0];
  if (!found) throw new Error('the doubles describe no app');
  return found;
}

/** Push inputs naming the double as registry and Entra authority. */
function pushInputs(repository: string, extra: Record<string, string> = {}): Record<string, string> {
  const registry = harness.doubles.description.registry?.loginServer ?? '';
  return {
    layout: tinyLayout,
    image: `${registry}/${repository}`,
    tags: '1.0.0,stable',
    'tenant-id': harness.doubles.description.tenantId,
    'authority-host': harness.doubles.description.authorityHost,
    ...extra,
  };
}

const upstream = () => harness.registry?.url ?? harness.doubles.description.registry?.upstream ?? '';

const env = () => ({ NODE_EXTRA_CA_CERTS: harness.certs.caCertPath, HTTPS_PROXY: '', HTTP_PROXY: '' });

async function cliPush(inputs: Record<string, string>, extraEnv: Record<string, string> = {}) {
  const args = Object.entries(inputs).flatMap(([name, value]) => [`--${name}`, value]);
  const run = await runProcess(process.execPath, [path.join(repoRoot, 'packages/cli/dist/slipway.mjs'), 'push', ...args, '--json'], { ...env(), ...extraEnv });
  return {
    ...run,
    document: run.stdout
      ? (JSON.parse(run.stdout) as { exitCode: number; outputs: Record<string, string>; error?: { code: string; message: string; hint?: string } })
      : undefined,
  };
}

describe.runIf(hasDockerRegistry())('push to the ACR double', () => {
  it('pushes with a client secret, reads every tag back, and a second push uploads zero bytes', async () => {
    const secret = app().secrets[0] as string;
    const first = await cliPush(pushInputs('team/tiny', { auth: 'client-secret', 'client-id': app().clientId, 'client-secret': secret }));
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.document?.outputs.digest).toBe(tinyDigest);
    expect(first.document?.outputs.tags?.split('\n')).toEqual([
      `${harness.doubles.description.registry?.loginServer}/team/tiny:1.0.0`,
      `${harness.doubles.description.registry?.loginServer}/team/tiny:stable`,
    ]);
    expect(Number(first.document?.outputs['bytes-uploaded'])).toBeGreaterThan(0);
    expect(harness.doubles.stats().blobBytesUploaded).toBe(Number(first.document?.outputs['bytes-uploaded']));
    expect(first.stderr).not.toContain(secret);
    expect(first.stdout).not.toContain(secret);

    // The tags resolve to the built digest in the registry behind the double, not just in our outputs.
    for (const tag of ['1.0.0', 'stable']) {
      const manifest = await rawCall(upstream(), harness.certs.caCert, `/v2/team/tiny/manifests/${tag}`, {
        method: 'HEAD',
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(manifest.status).toBe(200);
      expect(manifest.headers['docker-content-digest']).toBe(tinyDigest);
    }

    harness.doubles.resetStats();
    const second = await cliPush(pushInputs('team/tiny', { auth: 'client-secret', 'client-id': app().clientId, 'client-secret': secret }));
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.document?.outputs['bytes-uploaded']).toBe('0');
    expect(second.document?.outputs['blobs-skipped']).toBe('2');
    expect(harness.doubles.stats().blobBytesUploaded).toBe(0);
    expect(harness.doubles.stats().requests['v2.upload.patch'] ?? 0).toBe(0);
  });

  it('pushes what build hands over in its `images` output (full references as tags)', async () => {
    const login = harness.doubles.description.registry?.loginServer ?? '';
    const images = JSON.stringify([
      {
        name: `${login}/team/from-build`,
        digest: tinyDigest,
        tags: [`${login}/team/from-build:1.2.3`, `${login}/team/from-build:sha-abcdef0`],
        layout: tinyLayout,
        platforms: ['linux/amd64'],
      },
    ]);
    const inputs = pushInputs('ignored', { auth: 'client-secret', 'client-id': app().clientId, 'client-secret': app().secrets[0] as string });
    delete inputs.layout;
    delete inputs.image;
    delete inputs.tags;
    const run = await cliPush({ ...inputs, images });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.document?.outputs.images ?? '[]')).toEqual([
      expect.objectContaining({
        name: `${login}/team/from-build`,
        digest: tinyDigest,
        tags: [`${login}/team/from-build:1.2.3`, `${login}/team/from-build:sha-abcdef0`],
      }),
    ]);
  });

  it('pushes a multi-platform image index: children by digest first, then the index under each tag', async () => {
    const layout = mkdtempSync(path.join(os.tmpdir(), 'slipway-index-'));
    const digest = writeOciIndexLayout(layout, 'multi', ['amd64', 'arm64']);
    const secret = app().secrets[0] as string;
    const run = await cliPush({
      ...pushInputs('team/multi', { auth: 'client-secret', 'client-id': app().clientId, 'client-secret': secret }),
      layout,
      tags: '2.0.0',
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.document?.outputs.digest).toBe(digest);
    const index = await rawCall(upstream(), harness.certs.caCert, '/v2/team/multi/manifests/2.0.0', {
      headers: { Accept: 'application/vnd.oci.image.index.v1+json' },
    });
    expect(index.headers['docker-content-digest']).toBe(digest);
    for (const child of (index.json() as { manifests: Array<{ digest: string }> }).manifests) {
      const manifest = await rawCall(upstream(), harness.certs.caCert, `/v2/team/multi/manifests/${child.digest}`, {
        method: 'HEAD',
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(manifest.status).toBe(200);
    }
    expect(run.document?.outputs['blobs-skipped']).toBe('0');
  });

  it('pushes from the GitHub action with OIDC federation, fetching the ID token from the runner', async () => {
    tokenRequests = 0;
    const port = (tokenServer.address() as AddressInfo).port;
    const federated = app().federatedCredentials[0];
    tokenSubject = federated?.subject ?? tokenSubject;
    const run = await runGitHubAction('push', pushInputs('team/oidc', { 'client-id': app().clientId }), {
      ...env(),
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token',
      RUNNER_TEMP: mkdtempSync(path.join(os.tmpdir(), 'slipway-push-gh-')),
    });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.digest).toBe(tinyDigest);
    expect(run.stdout).toContain('federated identity (OIDC)');
    expect(tokenRequests).toBeGreaterThanOrEqual(1);
  });

  it('pushes from the Azure Pipelines task with a workload identity federation service connection', async () => {
    tokenRequests = 0;
    const port = (tokenServer.address() as AddressInfo).port;
    tokenSubject = app().federatedCredentials[0]?.subject ?? tokenSubject;
    const connection = 'A1B2C3D4-0000-4000-8000-00000000C0DE';
    const inputs = pushInputs('team/ado', {});
    const run = await runAzureTask(
      'SlipwayPushV1',
      {
        layout: inputs.layout as string,
        image: inputs.image as string,
        tags: inputs.tags as string,
        authorityHost: inputs['authority-host'] as string,
        azureSubscription: connection,
      },
      {
        ...env(),
        // What the agent sets for an AzureRM service connection using workload identity federation.
        [`ENDPOINT_AUTH_SCHEME_${connection}`]: 'WorkloadIdentityFederation',
        [`ENDPOINT_AUTH_PARAMETER_${connection}_TENANTID`]: harness.doubles.description.tenantId,
        [`ENDPOINT_AUTH_PARAMETER_${connection}_SERVICEPRINCIPALID`]: app().clientId,
        ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: 'system-access-token',
        SYSTEM_OIDCREQUESTURI: `http://127.0.0.1:${port}/oidctoken`,
      },
    );
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.result).toBe('Succeeded');
    expect(run.outputs.digest).toBe(tinyDigest);
    expect(run.stdout).toContain('federated identity (OIDC)');
    expect(tokenRequests).toBeGreaterThanOrEqual(1);
    expect(lastTokenRequest).toMatchObject({ method: 'POST', serviceConnectionId: connection, authorization: 'Bearer system-access-token' });
  });

  it('says which subject was presented when no federated credential matches', async () => {
    const port = (tokenServer.address() as AddressInfo).port;
    tokenSubject = 'repo:contoso/api:pull_request';
    const run = await runGitHubAction('push', pushInputs('team/oidc', { 'client-id': app().clientId }), {
      ...env(),
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token',
    });
    tokenSubject = app().federatedCredentials[0]?.subject ?? tokenSubject;
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toMatch(/AADSTS7002(1|11|13)/);
    expect(run.stdout).toContain("subject 'repo:contoso/api:pull_request'");
  });

  it('pushes with a managed identity (IMDS endpoint)', async () => {
    const run = await cliPush(pushInputs('team/mi', { auth: 'managed-identity', 'client-id': harness.doubles.description.managedIdentity.clientId }), {
      AZURE_POD_IDENTITY_AUTHORITY_HOST: harness.doubles.description.imdsHost,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.document?.outputs.digest).toBe(tinyDigest);
  });

  it('pushes with a service principal certificate, and refuses one the app does not know (AADSTS700027)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-spn-cert-'));
    const makeCertificate = (name: string) => {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${dir}/${name}.key`, '-out', `${dir}/${name}.crt`],
        { stdio: 'ignore' },
      );
      const combined = `${dir}/${name}.pem`;
      // ClientCertificateCredential takes one PEM holding the certificate and its private key.
      writeFileSync(combined, readFileSync(`${dir}/${name}.crt`, 'utf8') + readFileSync(`${dir}/${name}.key`, 'utf8'), { mode: 0o600 });
      return { certificate: readFileSync(`${dir}/${name}.crt`, 'utf8'), combined };
    };
    const registered = makeCertificate('registered');
    const unknown = makeCertificate('unknown');
    harness.doubles.registerCertificate(app().clientId, registered.certificate);

    const ok = await cliPush(
      pushInputs('team/cert', { auth: 'client-certificate', 'client-id': app().clientId, 'client-certificate-path': registered.combined }),
    );
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.document?.outputs.digest).toBe(tinyDigest);
    expect(ok.stderr).toContain('(certificate)');

    const refused = await cliPush(
      pushInputs('team/cert', { auth: 'client-certificate', 'client-id': app().clientId, 'client-certificate-path': unknown.combined }),
    );
    expect(refused.exitCode).toBe(3);
    expect(refused.document?.error?.code).toBe('AADSTS700027');
  });

  it('a wrong client secret exits 3 with the Entra code and the fix', async () => {
    const run = await cliPush(pushInputs('team/denied', { auth: 'client-secret', 'client-id': app().clientId, 'client-secret': 'not-the-secret' }));
    expect(run.exitCode).toBe(3);
    expect(run.document?.error?.code).toBe('AADSTS7000215');
    expect(run.document?.error?.hint).toContain('client secret is wrong');
    expect(harness.doubles.stats().requests['v2.upload.start'] ?? 0).toBe(0);
  });

  it.each([
    ['a registry that is not a host', { registry: 'https://acr.example.io/x' }, 'registry'],
    ['a repository breaking OCI naming', { image: 'acr.example.io/Team/API' }, 'image'],
    ['a missing layout', { layout: '/nonexistent/layout' }, 'layout'],
    ['duplicate tags', { tags: '1.0,1.0' }, 'tags'],
    ['an invalid tag', { tags: 'ok,-bad' }, 'tags'],
  ])('%s exits 2 before any request', async (_, override, input) => {
    const run = await cliPush({ ...pushInputs('team/bad', { auth: 'client-secret', 'client-id': app().clientId, 'client-secret': 'x' }), ...override });
    expect(run.exitCode).toBe(2);
    expect(run.document?.error?.message).toContain(`input '${input}'`);
    expect(harness.doubles.stats().requests).toEqual({});
  });

  it('a corrupt layout (a layer whose bytes do not match its digest) exits 2 before any upload', async () => {
    const layout = mkdtempSync(path.join(os.tmpdir(), 'slipway-corrupt-'));
    cpSync(tinyLayout, layout, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(layout, 'blobs/sha256', tinyDigest.slice(7)), 'utf8'));
    const layer = path.join(layout, 'blobs/sha256', manifest.layers[0].digest.slice(7));
    const bytes = readFileSync(layer);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    writeFileSync(layer, bytes);
    const run = await cliPush({ ...pushInputs('team/corrupt', { auth: 'client-secret', 'client-id': app().clientId, 'client-secret': 'x' }), layout });
    expect(run.exitCode).toBe(2);
    expect(run.document?.error).toMatchObject({ code: 'OCI_LAYOUT_INVALID' });
    expect(run.document?.error?.message).toContain('is corrupt');
    expect(harness.doubles.stats().requests).toEqual({});
  });

  describe('faults', () => {
    const secretInputs = () => ({ auth: 'client-secret', 'client-id': app().clientId, 'client-secret': app().secrets[0] as string });

    it('rides out a registry answering 503 and then recovering', async () => {
      harness.doubles.injectFault({ kind: 'status-503', pathPattern: '/v2/team/flaky503/', count: 3 });
      const run = await cliPush(pushInputs('team/flaky503', secretInputs()));
      expect(run.exitCode, run.stderr).toBe(0);
      expect(harness.doubles.stats().faultsFired['status-503']).toBe(3);
      expect(run.document?.outputs.digest).toBe(tinyDigest);
    });

    it('restarts a blob whose connection is reset mid-upload', async () => {
      harness.doubles.injectFault({ kind: 'reset-mid-body', pathPattern: '/v2/team/reset/blobs/uploads/', method: 'PATCH', count: 1, afterBytes: 16 });
      const run = await cliPush(pushInputs('team/reset', secretInputs()));
      expect(run.exitCode, run.stderr).toBe(0);
      expect(harness.doubles.stats().faultsFired['reset-mid-body']).toBe(1);
      expect(run.document?.outputs.digest).toBe(tinyDigest);
    });

    it('refreshes an ACR token that expires mid-push', async () => {
      // Every ACR access token is revoked just before the first blob upload starts.
      harness.doubles.injectFault({ kind: 'expire-tokens', pathPattern: '/v2/team/expiry/blobs/uploads/', method: 'POST', count: 1 });
      const run = await cliPush(pushInputs('team/expiry', secretInputs()));
      expect(run.exitCode, run.stderr).toBe(0);
      expect(harness.doubles.stats().faultsFired['expire-tokens']).toBe(1);
      const stats = harness.doubles.stats();
      // The registry refused the revoked token mid-upload, a new one was obtained, and the image completed.
      const refusedMidPush = Object.entries(stats.responses).filter(
        ([key]) => /^v2\.(upload|blob|manifest)\.\w+ 401$/.test(key) && !key.startsWith('v2.blob.head'),
      );
      expect(refusedMidPush.length).toBeGreaterThan(0);
      expect(stats.requests['acr.token']).toBeGreaterThanOrEqual(2);
      expect(run.document?.outputs.digest).toBe(tinyDigest);
    });
  });
});
