import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runProcess, type ProcessOutcome } from '../../support/host-harness.ts';
import { describeSandbox, type SandboxInfo } from '../sandbox/sandbox.ts';
import { bundleAksHosts, runAzureJob, runGitHubJob, type AksHosts, type JobRun } from './aks-hosts.ts';
import { callDoubles, clusterInputs, sandboxAks, startIdTokenEndpoint, type IdTokenEndpoint, type SandboxAks } from './sandbox-aks.ts';

/** Entra access tokens for the cluster live this long here (an hour in Azure); ID tokens five seconds (ten minutes in CI). */
const tokenSeconds = 12;
const assertionSeconds = 5;

interface Renewal {
  first: { token: string; exp: number; iat: number };
  second: { token: string; exp: number; iat: number };
  kubectl: ProcessOutcome;
  /** ID token requests made after the first token expired. */
  assertionsAfterExpiry: number;
}

function cached(kubeconfig: string): { token: string; exp: number; iat: number } {
  const token = (JSON.parse(readFileSync(path.join(path.dirname(kubeconfig), 'token-cache.json'), 'utf8')) as { token: string }).token;
  const { exp, iat } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number; iat: number };
  return { token, exp, iat };
}

describeSandbox('the kube-token plugin outlives its tokens and the CI assertions', (sb: SandboxInfo) => {
  let aks: SandboxAks;
  let hosts: AksHosts;
  let dir: string;
  let idTokens: IdTokenEndpoint;

  beforeAll(async () => {
    aks = sandboxAks(sb);
    dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-aks-renewal-'));
    [hosts, idTokens] = await Promise.all([bundleAksHosts(dir), startIdTokenEndpoint(sb, assertionSeconds)]);
  }, 180_000);

  afterAll(async () => {
    await idTokens?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A later step that runs kubectl once the first token (and every assertion minted with it) has expired. */
  const laterStepAfterExpiry = async (stepEnv: Record<string, string>): Promise<Renewal> => {
    const kubeconfig = stepEnv.KUBECONFIG ?? '';
    const first = cached(kubeconfig);
    const waitMs = first.exp * 1000 + 1000 - Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, waitMs)));
    const expiredAt = Date.now();
    const kubectl = await runProcess(aks.kubectl, ['get', 'ns', '-o', 'name'], stepEnv);
    return { first, second: cached(kubeconfig), kubectl, assertionsAfterExpiry: idTokens.requests.filter((request) => request.at >= expiredAt).length };
  };

  function expectRenewed(run: JobRun): void {
    expect(run.main.exitCode, run.main.stdout).toBe(0);
    const renewal = run.later as Renewal;
    // The override took: the token the check got lived seconds, and the later step ran after it expired.
    expect(renewal.first.exp - renewal.first.iat).toBeLessThanOrEqual(tokenSeconds);
    expect(renewal.kubectl.exitCode, renewal.kubectl.stderr).toBe(0);
    expect(renewal.kubectl.stdout).toContain('namespace/default');
    expect(renewal.second.token).not.toBe(renewal.first.token);
    expect(renewal.second.exp).toBeGreaterThan(renewal.first.exp);
    // The first assertion had expired too: the plugin asked the CI endpoint for a fresh one.
    expect(renewal.assertionsAfterExpiry).toBeGreaterThanOrEqual(1);
    expect(run.post.exitCode).toBe(0);
  }

  it('GitHub OIDC and Azure Pipelines federation: after the first token and its assertion expired, kubectl gets a new token', async () => {
    // Short tokens for the bound principal and the AKS server application only, for the four tokens this test gets.
    const set = await callDoubles(sb, '/_sandbox/token-lifetime', 'POST', {
      seconds: tokenSeconds,
      clientId: aks.bound.clientId,
      resource: aks.serverAppId,
      count: 4,
    });
    expect(set.status).toBe(200);
    const connection = 'D4C3B2A1-0000-4000-8000-00000000AC11';
    const [github, azure] = await Promise.all([
      runGitHubJob(
        hosts.github,
        clusterInputs(aks, aks.entraCluster, aks.bound.clientId),
        { ...aks.baseEnv, ACTIONS_ID_TOKEN_REQUEST_URL: idTokens.githubUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token-0002' },
        laterStepAfterExpiry,
      ),
      runAzureJob(
        hosts.azure,
        {
          azureSubscription: connection,
          subscriptionId: aks.subscription,
          resourceGroup: aks.resourceGroup,
          clusterName: aks.entraCluster,
          authorityHost: aks.doublesUrl,
          armEndpoint: aks.doublesUrl,
        },
        {
          ...aks.baseEnv,
          [`ENDPOINT_AUTH_SCHEME_${connection}`]: 'WorkloadIdentityFederation',
          [`ENDPOINT_AUTH_PARAMETER_${connection}_TENANTID`]: aks.tenantId,
          [`ENDPOINT_AUTH_PARAMETER_${connection}_SERVICEPRINCIPALID`]: aks.bound.clientId,
          ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: 'system-access-token-0002',
          SYSTEM_OIDCREQUESTURI: idTokens.azurePipelinesUrl,
        },
        laterStepAfterExpiry,
      ),
    ]);
    expectRenewed(github);
    expectRenewed(azure);
  }, 120_000);
});
