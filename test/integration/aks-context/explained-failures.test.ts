import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KubeApi, KubeApiError } from '@slipway/core';
import { runProcess } from '../../support/host-harness.ts';
import { describeSandbox, type SandboxInfo } from '../sandbox/sandbox.ts';
import { bundleAksHosts, type AksHosts } from './aks-hosts.ts';
import { clusterInputs, sandboxAks, type SandboxAks } from './sandbox-aks.ts';

interface CliDocument {
  exitCode: number;
  outputs: Record<string, string>;
  error?: { code: string; message: string; hint?: string };
  post?: { exitCode: number };
}

describeSandbox('aks-context failures, explained in words', (sb: SandboxInfo) => {
  let aks: SandboxAks;
  let hosts: AksHosts;
  let dir: string;

  beforeAll(async () => {
    aks = sandboxAks(sb);
    dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-aks-failures-'));
    hosts = await bundleAksHosts(dir);
    // KubeApi below starts the plugin from this process, with this environment.
    process.env.NODE_EXTRA_CA_CERTS = aks.baseEnv.NODE_EXTRA_CA_CERTS;
  }, 180_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const flags = (inputs: Record<string, string>) => Object.entries(inputs).flatMap(([name, value]) => [`--${name}`, value]);
  const cli = async (clientId: string, secret: string, extra: string[] = []) => {
    const tmp = mkdtempSync(path.join(dir, 'tmp-'));
    const run = await runProcess(
      process.execPath,
      [hosts.cli, 'aks-context', ...flags({ ...clusterInputs(aks, aks.entraCluster, clientId), auth: 'client-secret' }), '--json', ...extra],
      { ...aks.baseEnv, SLIPWAY_CLIENT_SECRET: secret, TMPDIR: tmp },
    );
    return { ...run, document: JSON.parse(run.stdout) as CliDocument, tmp };
  };

  it('403: an identity without a RoleBinding in the namespace is told which permission is missing (exit 3), and nothing is left', async () => {
    const run = await cli(aks.unbound.clientId, aks.unbound.clientSecret, ['--namespace', 'default']);
    expect(run.exitCode, run.stderr).toBe(3);
    expect(run.document.error).toEqual({
      code: 'KUBE_API_FORBIDDEN',
      message: `the identity '${aks.unbound.objectId}' may not list pods in namespace 'default' (403 Forbidden): no Role or ClusterRole bound to it allows that`,
      hint: expect.stringContaining(`kubectl create rolebinding slipway-deployer --namespace default --clusterrole edit --user ${aks.unbound.objectId}`),
    });
    // It got as far as the check (the identity itself is fine), and the post phase removed the files.
    expect(run.stderr).toContain(`authenticated as ${aks.unbound.objectId}`);
    expect(run.document.post).toEqual({ exitCode: 0 });
    expect(readdirSync(path.join(run.tmp, 'slipway')).filter((name) => name.startsWith('slipway-aks-'))).toEqual([]);
  });

  it('401: a token for another audience is named, with the audience the cluster accepts', async () => {
    const kept = await cli(aks.bound.clientId, aks.bound.clientSecret, ['--keep-kubeconfig']);
    expect(kept.exitCode, kept.stderr).toBe(0);
    const kubeconfig = kept.document.outputs.kubeconfig ?? '';
    const folder = path.dirname(kubeconfig);
    try {
      // What a hand-edited kubeconfig or a wrong --server-id does: tokens for ARM instead of the cluster.
      const configFile = path.join(folder, 'kube-token.json');
      const config = JSON.parse(readFileSync(configFile, 'utf8')) as { serverId: string };
      writeFileSync(configFile, JSON.stringify({ ...config, serverId: 'https://management.azure.com' }), { mode: 0o600 });
      rmSync(path.join(folder, 'token-cache.json'));

      const kubectl = await runProcess(aks.kubectl, ['get', 'ns'], { ...aks.baseEnv, KUBECONFIG: kubeconfig });
      expect(kubectl.exitCode).not.toBe(0);
      expect(kubectl.stderr).toMatch(/Unauthorized|must be logged in/);

      const api = await KubeApi.open({
        kubeconfigFile: kubeconfig,
        timeoutMs: 30_000,
        signal: new AbortController().signal,
        explain: {
          presentedToken: () => (JSON.parse(readFileSync(path.join(folder, 'token-cache.json'), 'utf8')) as { token: string }).token,
          expected: { audience: aks.serverAppId, tenantId: aks.tenantId },
        },
      });
      const error = await api.serverVersion().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(KubeApiError);
      expect((error as KubeApiError).failure).toBe('unauthorized');
      expect((error as KubeApiError).message).toBe(
        `the API server rejected the credentials (401 Unauthorized) for GET /version: the token is for audience 'https://management.azure.com', but the cluster accepts tokens for its Entra ID server application '${aks.serverAppId}'`,
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('admin credentials of a cluster with local accounts disabled: ARM says no, and the fix is named (exit 3, nothing written)', async () => {
    const run = await cli(aks.bound.clientId, aks.bound.clientSecret, ['--admin']);
    expect(run.exitCode).toBe(3);
    expect(run.document.error?.code).toBe('AKS_CREDENTIALS_FAILED');
    expect(run.document.error?.message).toContain('ARM answered 400 BadRequest: Getting static credential is not allowed');
    expect(run.document.error?.hint).toMatch(/^the cluster has local accounts disabled: drop admin/);
    expect(existsSync(path.join(run.tmp, 'slipway'))).toBe(false);
  });

  it('a cluster that does not exist: ARM 404 with the cluster named', async () => {
    const tmp = mkdtempSync(path.join(dir, 'tmp-'));
    const run = await runProcess(
      process.execPath,
      [hosts.cli, 'aks-context', ...flags({ ...clusterInputs(aks, 'no-such-cluster', aks.bound.clientId), auth: 'client-secret' }), '--json'],
      { ...aks.baseEnv, SLIPWAY_CLIENT_SECRET: aks.bound.clientSecret, TMPDIR: tmp },
    );
    const document = JSON.parse(run.stdout) as CliDocument;
    expect(run.exitCode).toBe(3);
    expect(document.error?.code).toBe('AKS_CREDENTIALS_FAILED');
    expect(document.error?.hint).toBe(
      `there is no AKS cluster 'no-such-cluster' in resource group '${aks.resourceGroup}': check cluster-name (or resource-id)`,
    );
  });
});
