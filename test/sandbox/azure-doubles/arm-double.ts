/**
 * Azure Resource Manager double for one AKS managed cluster.
 *
 * Published shapes followed (azure-rest-api-specs
 * `specification/containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2024-09-01/managedClusters.json`
 * and its examples `ManagedClustersGet.json`, `ManagedClustersListClusterUserCredentials.json`):
 * - `GET …/managedClusters/{name}?api-version=…` → ManagedCluster (id, name, type, location, sku, properties…).
 * - `POST …/managedClusters/{name}/listClusterUserCredential?api-version=…[&server-fqdn=…][&format=azure|exec]`
 *   and `…/listClusterAdminCredential?api-version=…[&server-fqdn=…]` → CredentialResults
 *   `{kubeconfigs: [{name, value: base64(kubeconfig)}]}`.
 * - Errors in the ARM error shape `{error: {code, message}}` (learn.microsoft.com/azure/azure-resource-manager/
 *   troubleshooting/common-deployment-errors): 401 AuthenticationFailed / InvalidAuthenticationToken /
 *   ExpiredAuthenticationToken / InvalidAuthenticationTokenAudience with a `WWW-Authenticate` Bearer challenge,
 *   403 AuthorizationFailed, 404 SubscriptionNotFound / ResourceGroupNotFound / ResourceNotFound,
 *   400 MissingApiVersionParameter / InvalidApiVersionParameter.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DoublesContext } from './context.ts';
import { checkEntraAccessToken } from './entra-double.ts';
import { nowSeconds, parseAuthorization, readBody, sendJson } from './http-io.ts';
import { numericClaim, stringClaim } from './jwt.ts';
import { ARM_AUDIENCES, type AzureRoleName } from './model.ts';

const CLUSTER_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters(?:\/([^/]+)(?:\/(listClusterUserCredential|listClusterAdminCredential))?)?$/i;

const ACTION_ROLES: Record<string, AzureRoleName[]> = {
  'Microsoft.ContainerService/managedClusters/read': ['Reader', 'Azure Kubernetes Service Cluster User Role', 'Azure Kubernetes Service Cluster Admin Role'],
  'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action': [
    'Azure Kubernetes Service Cluster User Role',
    'Azure Kubernetes Service Cluster Admin Role',
  ],
  'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action': ['Azure Kubernetes Service Cluster Admin Role'],
};

function armError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { code, message } }, headers);
}

function challenge(ctx: DoublesContext, error: string, description: string): Record<string, string> {
  return {
    'WWW-Authenticate': `Bearer authorization_uri="${ctx.url}/${ctx.tenantId}", error="${error}", error_description="${description}"`,
  };
}

function armTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString();
}

/** Routes ARM requests under `/subscriptions/…`; returns false for other paths. */
export async function handleArmRequest(ctx: DoublesContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  if (!url.pathname.toLowerCase().startsWith('/subscriptions/')) return false;
  const method = req.method ?? 'GET';
  const requestId = randomUUID();
  res.setHeader('x-ms-request-id', requestId);
  res.setHeader(
    'x-ms-correlation-request-id',
    typeof req.headers['x-ms-correlation-request-id'] === 'string' ? req.headers['x-ms-correlation-request-id'] : requestId,
  );
  if (method === 'POST') await readBody(req).catch(() => Buffer.alloc(0));
  ctx.stats.request('arm');

  const auth = parseAuthorization(req);
  if (auth?.scheme !== 'bearer') {
    armError(
      res,
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
      challenge(ctx, 'invalid_token', "The authentication failed because of missing 'Authorization' header."),
    );
    return true;
  }
  const check = checkEntraAccessToken(ctx, auth.token, ARM_AUDIENCES);
  if (!check.ok) {
    if (check.reason === 'expired') {
      const exp = check.claims ? numericClaim(check.claims, 'exp') : undefined;
      const message = `The access token expiry UTC time '${armTime(exp ?? 0)}' is earlier than current UTC time '${armTime(nowSeconds())}'.`;
      armError(res, 401, 'ExpiredAuthenticationToken', message, challenge(ctx, 'invalid_token', 'The access token has expired.'));
    } else if (check.reason === 'audience') {
      const aud = check.claims ? stringClaim(check.claims, 'aud') : undefined;
      armError(
        res,
        401,
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained for wrong audience or resource '${aud ?? ''}'. It should exactly match with one of the allowed audiences '${ARM_AUDIENCES.join("','")}'.`,
        challenge(ctx, 'invalid_token', 'The access token has an invalid audience.'),
      );
    } else {
      armError(res, 401, 'InvalidAuthenticationToken', 'The access token is invalid.', challenge(ctx, 'invalid_token', 'The access token is invalid.'));
    }
    return true;
  }

  const apiVersion = url.searchParams.get('api-version');
  if (!apiVersion) {
    armError(res, 400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    return true;
  }
  if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(apiVersion)) {
    armError(
      res,
      400,
      'InvalidApiVersionParameter',
      `The api-version '${apiVersion}' is invalid. The supported versions are '2024-09-01,2025-10-01,2026-06-01'.`,
    );
    return true;
  }

  const m = CLUSTER_PATH.exec(url.pathname);
  const cluster = ctx.cluster;
  if (!m || !cluster) {
    armError(res, 404, 'NotFound', `The requested resource '${url.pathname}' is not found by the sandbox ARM double.`);
    return true;
  }
  const [, sub, rg, name, operation] = m as unknown as [string, string, string, string | undefined, string | undefined];
  if (sub.toLowerCase() !== cluster.subscriptionId.toLowerCase()) {
    armError(res, 404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
    return true;
  }
  if (rg.toLowerCase() !== cluster.resourceGroup.toLowerCase()) {
    armError(res, 404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
    return true;
  }
  const scope = `/subscriptions/${cluster.subscriptionId}/resourceGroups/${cluster.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name ?? ''}`;
  const action =
    operation === 'listClusterUserCredential'
      ? 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action'
      : operation === 'listClusterAdminCredential'
        ? 'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action'
        : 'Microsoft.ContainerService/managedClusters/read';
  const expectedMethod = operation ? 'POST' : 'GET';
  if (method !== expectedMethod) {
    armError(res, 405, 'MethodNotAllowed', `The requested method '${method}' is not allowed for '${url.pathname}'.`);
    return true;
  }
  const principal = check.principal;
  if (!principal.roles.some((r) => (ACTION_ROLES[action] ?? []).includes(r))) {
    armError(
      res,
      403,
      'AuthorizationFailed',
      `The client '${principal.appId}' with object id '${principal.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
    return true;
  }
  if (name === undefined) {
    sendJson(res, 200, { value: [managedClusterResource(ctx)] });
    return true;
  }
  if (name.toLowerCase() !== cluster.name.toLowerCase()) {
    armError(
      res,
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
    return true;
  }
  if (!operation) {
    ctx.stats.request('arm.managedCluster.get');
    sendJson(res, 200, managedClusterResource(ctx));
    return true;
  }
  const format = url.searchParams.get('format');
  if (operation === 'listClusterUserCredential' && format !== null && format !== 'exec' && format !== 'azure') {
    armError(res, 400, 'InvalidParameter', `The value '${format}' of parameter 'format' is invalid. Allowed values are 'azure', 'exec'.`);
    return true;
  }
  const admin = operation === 'listClusterAdminCredential';
  ctx.stats.request(admin ? 'arm.listClusterAdminCredential' : 'arm.listClusterUserCredential');
  const kubeconfig = admin ? (cluster.adminKubeconfig ?? cluster.userKubeconfig) : cluster.userKubeconfig;
  sendJson(res, 200, { kubeconfigs: [{ name: admin ? 'clusterAdmin' : 'clusterUser', value: Buffer.from(kubeconfig, 'utf8').toString('base64') }] });
  return true;
}

/** The managedCluster resource in the documented GET shape (the fields Slipway may read). */
export function managedClusterResource(ctx: DoublesContext): Record<string, unknown> {
  const c = ctx.cluster;
  if (!c) return {};
  const fqdn = `${c.name}-dns-sandbox.hcp.${c.location}.azmk8s.io`;
  return {
    id: `/subscriptions/${c.subscriptionId}/resourcegroups/${c.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${c.name}`,
    location: c.location,
    name: c.name,
    type: 'Microsoft.ContainerService/ManagedClusters',
    tags: { 'slipway-sandbox': 'true' },
    sku: { name: 'Base', tier: 'Free' },
    properties: {
      provisioningState: 'Succeeded',
      powerState: { code: 'Running' },
      kubernetesVersion: c.kubernetesVersion,
      currentKubernetesVersion: c.kubernetesVersion,
      dnsPrefix: `${c.name}-dns`,
      fqdn,
      azurePortalFQDN: `${c.name}-dns-sandbox.portal.hcp.${c.location}.azmk8s.io`,
      enableRBAC: true,
      disableLocalAccounts: false,
      aadProfile: { managed: true, enableAzureRBAC: false, tenantID: ctx.tenantId, adminGroupObjectIDs: [] },
      networkProfile: { networkPlugin: 'kubenet', serviceCidr: '10.0.0.0/16', dnsServiceIP: '10.0.0.10' },
      nodeResourceGroup: `MC_${c.resourceGroup}_${c.name}_${c.location}`,
      oidcIssuerProfile: { enabled: true, issuerURL: ctx.oidcIssuer },
    },
  };
}
