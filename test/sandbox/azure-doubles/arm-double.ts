/**
 * Azure Resource Manager double for AKS managed clusters (one subscription can hold several; see
 * model.ts ClusterOptions for the Entra ID, local-accounts and fixed-kubeconfig flavours).
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
import { stringify } from 'yaml';
import type { DoublesContext } from './context.ts';
import { checkEntraAccessToken } from './entra-double.ts';
import { nowSeconds, parseAuthorization, readBody, sendJson } from './http-io.ts';
import { numericClaim, stringClaim } from './jwt.ts';
import {
  AKS_CLIENT_APP_ID,
  AKS_SERVER_APP_ID,
  ARM_AUDIENCES,
  type AzureRoleName,
  type ClusterOptions,
  type KubeconfigSource,
  type LocalAccounts,
} from './model.ts';

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
  if (!m || ctx.clusters.length === 0) {
    armError(res, 404, 'NotFound', `The requested resource '${url.pathname}' is not found by the sandbox ARM double.`);
    return true;
  }
  const [, sub, rg, name, operation] = m as unknown as [string, string, string, string | undefined, string | undefined];
  const inSubscription = ctx.clusters.filter((c) => c.subscriptionId.toLowerCase() === sub.toLowerCase());
  if (inSubscription.length === 0) {
    armError(res, 404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
    return true;
  }
  const inGroup = inSubscription.filter((c) => c.resourceGroup.toLowerCase() === rg.toLowerCase());
  if (inGroup.length === 0) {
    armError(res, 404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
    return true;
  }
  const first = inGroup[0] as ClusterOptions;
  const scope = `/subscriptions/${first.subscriptionId}/resourceGroups/${first.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name ?? ''}`;
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
    sendJson(res, 200, { value: inGroup.map((c) => managedClusterResource(ctx, c)) });
    return true;
  }
  const cluster = inGroup.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (!cluster) {
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
    sendJson(res, 200, managedClusterResource(ctx, cluster));
    return true;
  }
  const format = url.searchParams.get('format');
  if (operation === 'listClusterUserCredential' && format !== null && format !== 'exec' && format !== 'azure') {
    armError(res, 400, 'InvalidParameter', `The value '${format}' of parameter 'format' is invalid. Allowed values are 'azure', 'exec'.`);
    return true;
  }
  const admin = operation === 'listClusterAdminCredential';
  ctx.stats.request(admin ? 'arm.listClusterAdminCredential' : 'arm.listClusterUserCredential');
  const kubeconfig = admin ? adminCredential(ctx, cluster) : userCredential(ctx, cluster, format);
  if (typeof kubeconfig !== 'string') {
    armError(res, kubeconfig.status, kubeconfig.code, kubeconfig.message);
    return true;
  }
  sendJson(res, 200, { kubeconfigs: [{ name: admin ? 'clusterAdmin' : 'clusterUser', value: Buffer.from(kubeconfig, 'utf8').toString('base64') }] });
  return true;
}

type CredentialError = { status: number; code: string; message: string };

function resolve(source: KubeconfigSource): string {
  return typeof source === 'function' ? source() : source;
}

function localAccountsOf(cluster: ClusterOptions): LocalAccounts | undefined {
  const local = cluster.localAccounts;
  return typeof local === 'function' ? local() : local;
}

/**
 * kubelogin's install hint as AKS writes it into exec kubeconfigs (seen in kubeconfigs from
 * `az aks get-credentials`; kubelogin's own converter uses the same text with its docs URL).
 */
export const KUBELOGIN_INSTALL_HINT =
  '\nkubelogin is not installed which is required to connect to AAD enabled cluster.\n\nTo learn more, please go to https://aka.ms/aks/kubelogin\n';

/**
 * A kubeconfig in the shape AKS returns (base64 in `kubeconfigs[].value`): cluster and context named after the
 * managed cluster (the admin context with `-admin`), user `clusterUser_<rg>_<name>` / `clusterAdmin_<rg>_<name>`,
 * CA inline, keys in the order and block style Go's YAML encoder writes them.
 */
function aksKubeconfig(cluster: ClusterOptions, admin: boolean, user: Record<string, unknown>): string {
  const endpoint = cluster.endpoint?.();
  if (!endpoint) throw new Error(`sandbox cluster ${cluster.name} has no API server endpoint`);
  const userName = `${admin ? 'clusterAdmin' : 'clusterUser'}_${cluster.resourceGroup}_${cluster.name}`;
  const contextName = admin ? `${cluster.name}-admin` : cluster.name;
  return stringify(
    {
      apiVersion: 'v1',
      clusters: [
        {
          cluster: { 'certificate-authority-data': Buffer.from(endpoint.certificateAuthorityPem, 'utf8').toString('base64'), server: endpoint.server },
          name: cluster.name,
        },
      ],
      contexts: [{ context: { cluster: cluster.name, user: userName }, name: contextName }],
      'current-context': contextName,
      kind: 'Config',
      preferences: {},
      users: [{ name: userName, user }],
    },
    { indentSeq: false, lineWidth: 0, blockQuote: 'literal' },
  );
}

/**
 * listClusterUserCredential. Entra clusters: `format=exec` (and no format: the default for Kubernetes 1.24+,
 * learn.microsoft.com/azure/aks/kubelogin-authentication) → kubelogin exec entry with devicecode login;
 * `format=azure` → the legacy `azure` auth-provider (removed from kubectl in 1.26). Local-accounts clusters
 * ignore `format` ("Only apply to AAD clusters", the spec's parameter doc) and return the user's static token.
 */
function userCredential(ctx: DoublesContext, cluster: ClusterOptions, format: string | null): string | CredentialError {
  if (cluster.userKubeconfig !== undefined) return resolve(cluster.userKubeconfig);
  if (cluster.aad) {
    if (format === 'azure') {
      return aksKubeconfig(cluster, false, {
        'auth-provider': {
          config: {
            'apiserver-id': AKS_SERVER_APP_ID,
            'client-id': AKS_CLIENT_APP_ID,
            'config-mode': '1',
            environment: 'AzurePublicCloud',
            'tenant-id': ctx.tenantId,
          },
          name: 'azure',
        },
      });
    }
    return aksKubeconfig(cluster, false, {
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
          ctx.tenantId,
          '--login',
          'devicecode',
        ],
        command: 'kubelogin',
        env: null,
        installHint: KUBELOGIN_INSTALL_HINT,
        provideClusterInfo: false,
      },
    });
  }
  const local = localAccountsOf(cluster);
  if (!local) return { status: 500, code: 'InternalServerError', message: `sandbox cluster ${cluster.name} has no local accounts configured` };
  return aksKubeconfig(cluster, false, { token: local.userToken });
}

/** listClusterAdminCredential: refused on clusters with local accounts disabled, else the admin's certificate and token. */
function adminCredential(_ctx: DoublesContext, cluster: ClusterOptions): string | CredentialError {
  if (cluster.disableLocalAccounts) {
    // The error AKS answers (seen through azure-sdk-for-go/terraform: Status=400 Code="BadRequest").
    return { status: 400, code: 'BadRequest', message: 'Getting static credential is not allowed because this cluster is set to disable local accounts.' };
  }
  if (cluster.userKubeconfig !== undefined) return resolve(cluster.adminKubeconfig ?? cluster.userKubeconfig);
  const local = localAccountsOf(cluster);
  if (!local) return { status: 500, code: 'InternalServerError', message: `sandbox cluster ${cluster.name} has no local accounts configured` };
  return aksKubeconfig(cluster, true, {
    ...(local.adminClientCertificatePem && local.adminClientKeyPem
      ? {
          'client-certificate-data': Buffer.from(local.adminClientCertificatePem, 'utf8').toString('base64'),
          'client-key-data': Buffer.from(local.adminClientKeyPem, 'utf8').toString('base64'),
        }
      : {}),
    token: local.adminToken,
  });
}

/** The managedCluster resource in the documented GET shape (the fields Slipway may read). */
export function managedClusterResource(ctx: DoublesContext, c: ClusterOptions | undefined = ctx.clusters[0]): Record<string, unknown> {
  if (!c) return {};
  const fqdn = `${c.name}-dns-sandbox.hcp.${c.location}.azmk8s.io`;
  // A fixed-kubeconfig cluster keeps the pre-#10 answer (managed Entra ID, local accounts enabled).
  const aad = c.userKubeconfig !== undefined ? {} : c.aad;
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
      disableLocalAccounts: c.disableLocalAccounts ?? false,
      ...(aad
        ? {
            aadProfile: {
              managed: true,
              enableAzureRBAC: aad.enableAzureRBAC ?? false,
              tenantID: ctx.tenantId,
              adminGroupObjectIDs: aad.adminGroupObjectIDs ?? [],
            },
          }
        : {}),
      networkProfile: { networkPlugin: 'kubenet', serviceCidr: '10.0.0.0/16', dnsServiceIP: '10.0.0.10' },
      nodeResourceGroup: `MC_${c.resourceGroup}_${c.name}_${c.location}`,
      oidcIssuerProfile: { enabled: true, issuerURL: ctx.oidcIssuer },
    },
  };
}
