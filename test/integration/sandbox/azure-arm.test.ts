/**
 * The ARM double against the unmodified @azure/arm-containerservice ContainerServiceClient, plus the
 * ARM error shapes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSdkProbe, type CredentialSpec, type ProbeResult } from '../../sandbox/azure-doubles/sdk-probe.ts';
import { SAMPLE_KUBECONFIG, form, startHarness, type Harness } from '../../sandbox/azure-doubles/test-harness.ts';

const CLUSTER = {
  subscriptionId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
  resourceGroup: 'slipway-sandbox',
  name: 'slipway-aks',
  location: 'westeurope',
  kubernetesVersion: '1.31.0',
};
const ADMIN_KUBECONFIG = SAMPLE_KUBECONFIG.replace(/clusterUser_/g, 'clusterAdmin_').replace('sandbox-user-token', 'sandbox-admin-token');

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ cluster: { ...CLUSTER, adminKubeconfig: ADMIN_KUBECONFIG } });
});

afterAll(async () => {
  await h?.close();
});

function credential(name: 'ci' | 'reader'): CredentialSpec {
  const d = h.doubles.description;
  const app = d.apps.find((a) => a.name === name);
  if (!app?.secrets[0]) throw new Error(`default ${name} app missing`);
  return { kind: 'secret', tenantId: d.tenantId, clientId: app.clientId, secret: app.secrets[0], authorityHost: d.authorityHost };
}

function expectOk(result: ProbeResult): Record<string, unknown> {
  if (!result.ok) throw new Error(`probe failed: ${result.error.name}: ${result.error.message}`);
  return result;
}

function armScenario(cred: CredentialSpec, overrides: { clusterName?: string; admin?: boolean } = {}) {
  return {
    op: 'arm' as const,
    credential: cred,
    endpoint: h.doubles.url,
    subscriptionId: CLUSTER.subscriptionId,
    resourceGroup: CLUSTER.resourceGroup,
    clusterName: overrides.clusterName ?? CLUSTER.name,
    ...(overrides.admin ? { admin: true } : {}),
  };
}

async function armToken(scope: string): Promise<string> {
  const d = h.doubles.description;
  const app = d.apps.find((a) => a.name === 'ci');
  const res = await h.call(`/${d.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    ...form({ grant_type: 'client_credentials', client_id: app?.clientId ?? '', client_secret: app?.secrets[0] ?? '', scope }),
  });
  return (res.json() as { access_token: string }).access_token;
}

const clusterPath = `/subscriptions/${CLUSTER.subscriptionId}/resourceGroups/${CLUSTER.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${CLUSTER.name}`;

describe('ARM double with @azure/arm-containerservice 25.5', () => {
  it('managedClusters.get and listClusterUserCredentials return the cluster and the configured kubeconfig', async () => {
    const result = expectOk(await runSdkProbe(armScenario(credential('ci')), h.probeEnv));
    expect(result.cluster).toMatchObject({
      id: `/subscriptions/${CLUSTER.subscriptionId}/resourcegroups/${CLUSTER.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${CLUSTER.name}`,
      name: CLUSTER.name,
      location: CLUSTER.location,
      provisioningState: 'Succeeded',
      kubernetesVersion: CLUSTER.kubernetesVersion,
    });
    expect(result.kubeconfigs).toEqual([{ name: 'clusterUser', value: SAMPLE_KUBECONFIG }]);
    expect(h.doubles.stats().requests['arm.listClusterUserCredential']).toBeGreaterThanOrEqual(1);
  });

  it('listClusterAdminCredentials returns the admin kubeconfig', async () => {
    const result = expectOk(await runSdkProbe(armScenario(credential('ci'), { admin: true }), h.probeEnv));
    expect(result.kubeconfigs).toEqual([{ name: 'clusterAdmin', value: ADMIN_KUBECONFIG }]);
  });

  it('a managed identity (IMDS) with the Cluster User role gets user credentials', async () => {
    const d = h.doubles.description;
    const result = expectOk(await runSdkProbe(armScenario({ kind: 'managed' }), { ...h.probeEnv, AZURE_POD_IDENTITY_AUTHORITY_HOST: d.imdsHost }));
    expect(result.kubeconfigs).toEqual([{ name: 'clusterUser', value: SAMPLE_KUBECONFIG }]);
  });

  it('a principal without the role gets 403 AuthorizationFailed; an unknown cluster 404 ResourceNotFound', async () => {
    const denied = await runSdkProbe(armScenario(credential('reader')), h.probeEnv);
    expect(denied.ok).toBe(false);
    if (!denied.ok) {
      expect(denied.error).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
      expect(denied.error.message).toContain(
        "does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action'",
      );
    }
    const missing = await runSdkProbe(armScenario(credential('ci'), { clusterName: 'nope' }), h.probeEnv);
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });
});

describe('ARM double, raw protocol', () => {
  it('answers authentication failures in the ARM error shape with a Bearer challenge', async () => {
    const anonymous = await h.call(`${clusterPath}?api-version=2024-09-01`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json()).toMatchObject({ error: { code: 'AuthenticationFailed' } });
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer authorization_uri="/);

    const acrToken = await armToken('https://containerregistry.azure.net/.default');
    const wrongAudience = await h.call(`${clusterPath}?api-version=2024-09-01`, { headers: { authorization: `Bearer ${acrToken}` } });
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.json()).toMatchObject({ error: { code: 'InvalidAuthenticationTokenAudience' } });

    const forged = await h.call(`${clusterPath}?api-version=2024-09-01`, { headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' } });
    expect(forged.json()).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
  });

  it('checks api-version, subscription and resource group, and POSTs credentials as documented', async () => {
    const token = await armToken('https://management.azure.com/.default');
    const auth = { authorization: `Bearer ${token}` };
    expect((await h.call(clusterPath, { headers: auth })).json()).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
    const otherSub = clusterPath.replace(CLUSTER.subscriptionId, '00000000-0000-0000-0000-00000000dead');
    const sub = await h.call(`${otherSub}?api-version=2024-09-01`, { headers: auth });
    expect([sub.status, (sub.json() as { error: { code: string } }).error.code]).toEqual([404, 'SubscriptionNotFound']);
    const rg = await h.call(`${clusterPath.replace(CLUSTER.resourceGroup, 'other-rg')}?api-version=2024-09-01`, { headers: auth });
    expect([rg.status, (rg.json() as { error: { code: string } }).error.code]).toEqual([404, 'ResourceGroupNotFound']);

    const creds = await h.call(`${clusterPath}/listClusterUserCredential?api-version=2024-09-01&server-fqdn=public&format=exec`, {
      method: 'POST',
      headers: auth,
    });
    expect(creds.status).toBe(200);
    const body = creds.json() as { kubeconfigs: Array<{ name: string; value: string }> };
    expect(body.kubeconfigs).toHaveLength(1);
    expect(Buffer.from(body.kubeconfigs[0]?.value ?? '', 'base64').toString('utf8')).toBe(SAMPLE_KUBECONFIG);
    const getCreds = await h.call(`${clusterPath}/listClusterUserCredential?api-version=2024-09-01`, { headers: auth });
    expect(getCreds.status).toBe(405);
  });

  it('rejects tokens expired on demand with ExpiredAuthenticationToken', async () => {
    const token = await armToken('https://management.azure.com/.default');
    expect((await h.call(`${clusterPath}?api-version=2024-09-01`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    h.doubles.expireTokens(['entra']);
    const expired = await h.call(`${clusterPath}?api-version=2024-09-01`, { headers: { authorization: `Bearer ${token}` } });
    expect(expired.status).toBe(401);
    expect(expired.json()).toMatchObject({ error: { code: 'ExpiredAuthenticationToken' } });
  });
});
