import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeSandbox, kubectl, run, sandboxDir, type SandboxInfo } from './sandbox.ts';

interface Doubles {
  url: string;
  tenantId: string;
  apps: Array<{ name: string; clientId: string; secrets: string[] }>;
  arm: { endpoint: string; subscriptionId: string; resourceGroup: string; clusterName: string; kubernetesVersion: string };
}

function call(url: string, ca: string, init: { method: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method, headers: init.headers ?? {}, ca }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describeSandbox('ARM double: AKS credentials for the sandbox cluster', (sb: SandboxInfo) => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'slipway-arm-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('listClusterUserCredential returns a kubeconfig that kubectl uses against the KWOK cluster', async () => {
    const doubles = JSON.parse(readFileSync(path.join(sandboxDir(), 'azure-doubles.json'), 'utf8')) as Doubles;
    const ca = readFileSync(sb.env.SANDBOX_CA_CERT as string, 'utf8');
    const app = doubles.apps.find((candidate) => candidate.name === 'ci');
    if (!app) throw new Error('no ci app in azure-doubles.json');

    // Entra ID v2.0 token endpoint, client credentials for ARM.
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.secrets[0] ?? '',
      scope: 'https://management.azure.com/.default',
    });
    const token = await call(`${doubles.url}/${doubles.tenantId}/oauth2/v2.0/token`, ca, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(token.status).toBe(200);
    const accessToken = (token.json as { access_token: string }).access_token;

    const { subscriptionId, resourceGroup, clusterName } = doubles.arm;
    const cluster = `${doubles.arm.endpoint}/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${clusterName}`;
    const managed = await call(`${cluster}?api-version=2024-09-01`, ca, { method: 'GET', headers: { authorization: `Bearer ${accessToken}` } });
    expect(managed.status).toBe(200);
    // The double reports the sandbox's real Kubernetes version.
    expect((managed.json as { properties: { kubernetesVersion: string } }).properties.kubernetesVersion).toBe((sb.env.KUBE_VERSION ?? '').replace(/^v/, ''));

    const credentials = await call(`${cluster}/listClusterUserCredential?api-version=2024-09-01`, ca, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(credentials.status).toBe(200);
    const [first] = (credentials.json as { kubeconfigs: Array<{ name: string; value: string }> }).kubeconfigs;
    expect(first?.name).toBe('clusterUser');
    const file = path.join(work, 'kubeconfig');
    writeFileSync(file, Buffer.from(first?.value ?? '', 'base64'), { mode: 0o600 });

    const nodes = await run(sb, sb.env.KUBECTL ?? 'kubectl', ['--kubeconfig', file, 'get', 'nodes', '-o', 'json']);
    expect(nodes.code, nodes.stderr).toBe(0);
    const items = (JSON.parse(nodes.stdout) as { items: Array<{ metadata: { annotations?: Record<string, string> } }> }).items;
    expect(items.length).toBe(Number(sb.env.SANDBOX_NODES ?? '3'));
    const version = await kubectl(sb, ['version', '-o', 'json']);
    expect(JSON.parse(version).serverVersion.gitVersion).toBe(sb.env.KUBE_VERSION);
  });
});
