/**
 * Configuration of the Azure doubles: one tenant, its principals (app registrations with secrets and
 * federated credentials, one managed identity), their Azure RBAC roles, the registry and the cluster.
 */
import { randomUUID } from 'node:crypto';

/** Built-in Azure role names the doubles understand (learn.microsoft.com/azure/role-based-access-control/built-in-roles). */
export type AzureRoleName =
  | 'AcrPull'
  | 'AcrPush'
  | 'AcrDelete'
  | 'Reader'
  | 'Azure Kubernetes Service Cluster User Role'
  | 'Azure Kubernetes Service Cluster Admin Role'
  /** Data action `Microsoft.Monitor/accounts/data/metrics/read`: query an Azure Monitor workspace's Prometheus metrics. */
  | 'Monitoring Data Reader';

/** A federated identity credential on an app registration (issuer + subject + audiences must all match). */
export interface FederatedCredential {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface EntraApp {
  /** A short label for humans and the description file, e.g. `ci`. */
  name: string;
  clientId: string;
  objectId: string;
  secrets: string[];
  federatedCredentials: FederatedCredential[];
  roles: AzureRoleName[];
  /** PEM certificates registered as credentials (ClientCertificateCredential signs assertions with their keys). */
  certificates?: string[];
  /**
   * Object ids of the Entra groups the principal is a member of: the `groups` claim of its tokens for the
   * AKS server application (AKS_SERVER_APP_ID), which maps to Kubernetes groups.
   */
  groups?: string[];
}

export interface ManagedIdentity {
  clientId: string;
  objectId: string;
  resourceId: string;
  roles: AzureRoleName[];
  /** Secret the App Service flavour expects in `X-IDENTITY-HEADER`. */
  identityHeader: string;
  /** Entra group object ids (`groups` claim of AKS-audience tokens). */
  groups?: string[];
}

export interface RegistryOptions {
  /** Upstream distribution registry, e.g. `https://127.0.0.1:5443` (TLS, `http.relativeurls: true`). */
  upstream: string;
  /** PEM of the CA that signed the upstream's certificate. */
  upstreamCa?: string;
  /** Registry login server name (ACR's `service`); defaults to the double's `host:port`. */
  loginServer?: string;
  anonymousPull?: boolean;
  admin?: { username: string; password: string };
}

/** Where the kubeconfigs of a cluster point: the API server URL and the PEM of the CA that signed its certificate. */
export interface ClusterEndpoint {
  server: string;
  certificateAuthorityPem: string;
}

/** A kubeconfig given as YAML, or a function that reads it when a request needs it (a file that appears later). */
export type KubeconfigSource = string | (() => string);

/**
 * An AKS managed cluster of the ARM double. Three flavours, by the fields set:
 * - `userKubeconfig` set: listClusterUserCredential returns it verbatim (listClusterAdminCredential returns
 *   `adminKubeconfig`, default the user one), whatever `format` says (the pre-#10 single cluster);
 * - `aad` set (AKS-managed Entra ID): user credentials are kubelogin `exec` kubeconfigs (the default since
 *   Kubernetes 1.24, and `format=exec`) or the legacy `azure` auth-provider (`format=azure`), pointing at
 *   `endpoint()`; admin credentials are refused when `disableLocalAccounts` (else `localAccounts` is used);
 * - neither (local accounts, Kubernetes RBAC without Entra ID): user and admin credentials carry the static
 *   tokens of `localAccounts` (admin also a client certificate when given); `format` is ignored.
 */
export interface ClusterOptions {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  kubernetesVersion: string;
  /** Kubeconfig returned by listClusterUserCredential as is (see above). */
  userKubeconfig?: KubeconfigSource;
  /** Kubeconfig returned by listClusterAdminCredential as is (defaults to the user one). */
  adminKubeconfig?: KubeconfigSource;
  /** AKS-managed Entra ID integration (`properties.aadProfile`). */
  aad?: { enableAzureRBAC?: boolean; adminGroupObjectIDs?: string[] };
  /** `properties.disableLocalAccounts`: listClusterAdminCredential answers 400 BadRequest. */
  disableLocalAccounts?: boolean;
  /** The API server generated kubeconfigs point at (called on each credential request). */
  endpoint?: () => ClusterEndpoint;
  /** Local accounts: bearer tokens the API server knows (its token file), and optionally an admin client certificate. */
  localAccounts?: LocalAccounts | (() => LocalAccounts);
}

export interface LocalAccounts {
  userToken: string;
  adminToken: string;
  adminClientCertificatePem?: string;
  adminClientKeyPem?: string;
}

/** The Azure Monitor managed Prometheus double: one workspace whose query endpoint fronts a real Prometheus. */
export interface ManagedPrometheusOptions {
  /** The Prometheus the workspace's query API proxies to, e.g. `http://127.0.0.1:9190`. */
  upstream: string;
  /** Workspace name, the path segment after `/managed-prometheus/` (default `slipway-sandbox-amw`). */
  workspace?: string;
}

export interface AzureDoublesOptions {
  /** PEM server certificate and key (must cover the host you connect to, e.g. `IP:127.0.0.1`). */
  tls: { cert: string; key: string };
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  tenantId?: string;
  apps?: EntraApp[];
  managedIdentity?: ManagedIdentity;
  registry?: RegistryOptions;
  /** One cluster (kept for older callers); `clusters` adds more. All share the ARM double. */
  cluster?: ClusterOptions;
  clusters?: ClusterOptions[];
  managedPrometheus?: ManagedPrometheusOptions;
  /** Entra access-token lifetime (default 3599 s, as Entra's `expires_in`); see also `POST /_sandbox/token-lifetime`. */
  accessTokenLifetimeSeconds?: number;
  /** ACR refresh-token lifetime (default 3 h) and access-token lifetime (default 75 min, as ACR). */
  acrRefreshTokenLifetimeSeconds?: number;
  acrAccessTokenLifetimeSeconds?: number;
  /** Log one line per request to stderr. */
  log?: boolean;
}

export const DEFAULT_TENANT_ID = '5c1f2a3b-7d4e-4f60-9a8b-0c1d2e3f4a5b';
/**
 * AKS's first-party Entra applications (Azure/kubelogin docs/book/src/concepts/aks.md, learn.microsoft.com
 * azure/aks/kubelogin-authentication): the server application tokens for the cluster are issued for, and the
 * public client kubelogin signs users in with.
 */
export const AKS_SERVER_APP_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';
export const AKS_CLIENT_APP_ID = '80faf920-1908-4b52-b5ef-a8e7bedfc67a';
/** Entra groups of the sandbox principals (the `groups` claim of AKS-audience tokens). */
export const SANDBOX_GROUPS = {
  /** `ci` and the managed identity; bound to ClusterRole `edit` (+ namespace read) by test/sandbox/kube/rbac.yaml. */
  deployers: 'b7d5c3a1-2e4f-4a6b-8c9d-0e1f2a3b4c5d',
  /** `aks-unbound`; no Kubernetes binding at all. */
  observers: 'c8e6d4b2-3f50-4b7c-9dae-1f2a3b4c5d6e',
} as const;
export const FEDERATED_AUDIENCE = 'api://AzureADTokenExchange';
/** Resources (audiences) the Entra double issues tokens for, as `scope=<resource>/.default`. */
export const KNOWN_RESOURCES = [
  'https://management.azure.com',
  'https://management.core.windows.net',
  'https://containerregistry.azure.net',
  // AKS AAD server application (Azure/kubelogin docs/book/src/concepts/aks.md), used by kubelogin.
  AKS_SERVER_APP_ID,
  // Azure Monitor managed service for Prometheus, query API (learn.microsoft.com/azure/azure-monitor/metrics/prometheus-api-promql).
  'https://prometheus.monitor.azure.com',
] as const;

/**
 * Resources whose tokens are v2.0-shaped (`iss` = the v2.0 issuer of the OpenID metadata, `azp`/`azpacr`,
 * `ver: 2.0`) and carry the `groups` claim: the sandbox kube-apiserver validates them with a JWT authenticator
 * whose issuer must equal the discovery document's (see test/sandbox/README.md, "Entra ID sign-in").
 */
export const V2_TOKEN_RESOURCES: readonly string[] = [AKS_SERVER_APP_ID];

/**
 * Audiences an Azure Monitor workspace's Prometheus query endpoint accepts (public cloud; the scope is
 * `https://prometheus.monitor.azure.com/.default`). Its tokens are v1.0, like ARM's: the resource is a
 * Microsoft first-party API, so the token version follows that API, not the v2.0 endpoint that issued it.
 */
export const MANAGED_PROMETHEUS_AUDIENCES = ['https://prometheus.monitor.azure.com', 'https://prometheus.monitor.azure.com/'];
export const MANAGED_PROMETHEUS_SCOPE = 'https://prometheus.monitor.azure.com/.default';
export const DEFAULT_MANAGED_PROMETHEUS_WORKSPACE = 'slipway-sandbox-amw';

export const ARM_AUDIENCES = [
  'https://management.azure.com',
  'https://management.azure.com/',
  'https://management.core.windows.net',
  'https://management.core.windows.net/',
];

/**
 * Default principals: `ci` (secret + federated credentials, may push, pull, get both kubeconfigs and query
 * managed Prometheus; bound to Kubernetes RBAC in the sandbox cluster), `reader` (secret only, pull + Reader,
 * so it gets DENIED on push, AuthorizationFailed on ARM and 403 from managed Prometheus: Reader has no data
 * actions) and `aks-unbound` (secret only, Cluster User Role: gets the user kubeconfig,
 * authenticates to the API server, but has no Kubernetes binding, so it gets 403).
 */
export function defaultApps(oidcIssuer: string): EntraApp[] {
  return [
    {
      name: 'ci',
      clientId: '0f4c2a0e-6a55-4d8b-9b7e-1c2d3e4f5a60',
      objectId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c60',
      secrets: ['sandbox-ci-secret-0001'],
      federatedCredentials: [
        { name: 'github-main', issuer: oidcIssuer, subject: 'repo:slipway/slipway:ref:refs/heads/main', audiences: [FEDERATED_AUDIENCE] },
        { name: 'k8s-deployer', issuer: oidcIssuer, subject: 'system:serviceaccount:slipway:deployer', audiences: [FEDERATED_AUDIENCE] },
      ],
      roles: ['AcrPush', 'AcrDelete', 'Azure Kubernetes Service Cluster User Role', 'Azure Kubernetes Service Cluster Admin Role', 'Monitoring Data Reader'],
      groups: [SANDBOX_GROUPS.deployers],
    },
    {
      name: 'reader',
      clientId: '1e2d3c4b-5a69-4788-9766-554433221100',
      objectId: '2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901',
      secrets: ['sandbox-reader-secret-0001'],
      federatedCredentials: [],
      roles: ['AcrPull', 'Reader'],
    },
    {
      name: 'aks-unbound',
      clientId: '3a4b5c6d-7e8f-4091-a2b3-c4d5e6f70812',
      objectId: '4c5d6e7f-8091-42a3-b4c5-d6e7f8091a23',
      secrets: ['sandbox-aks-unbound-secret-0001'],
      federatedCredentials: [],
      roles: ['Azure Kubernetes Service Cluster User Role'],
      groups: [SANDBOX_GROUPS.observers],
    },
  ];
}

export function defaultManagedIdentity(subscriptionId: string, resourceGroup: string): ManagedIdentity {
  return {
    clientId: '7c6b5a49-3827-4165-9f0e-d1c2b3a49586',
    objectId: '8d7c6b5a-4938-4276-a1b0-c9d8e7f6a5b4',
    resourceId: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/slipway-sandbox-mi`,
    roles: ['AcrPush', 'Azure Kubernetes Service Cluster User Role', 'Monitoring Data Reader'],
    identityHeader: `sandbox-identity-header-${randomUUID()}`,
    groups: [SANDBOX_GROUPS.deployers],
  };
}

/** A principal as the resource doubles see it after validating a token. */
export interface Principal {
  objectId: string;
  appId: string;
  roles: AzureRoleName[];
  groups?: string[];
}
