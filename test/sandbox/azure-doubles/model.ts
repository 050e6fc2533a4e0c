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
  | 'Azure Kubernetes Service Cluster Admin Role';

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
}

export interface ManagedIdentity {
  clientId: string;
  objectId: string;
  resourceId: string;
  roles: AzureRoleName[];
  /** Secret the App Service flavour expects in `X-IDENTITY-HEADER`. */
  identityHeader: string;
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

export interface ClusterOptions {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  kubernetesVersion: string;
  /** Kubeconfig YAML returned by listClusterUserCredential. */
  userKubeconfig: string;
  /** Kubeconfig YAML returned by listClusterAdminCredential (defaults to the user one). */
  adminKubeconfig?: string;
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
  cluster?: ClusterOptions;
  /** Entra access-token lifetime (default 3599 s, as Entra's `expires_in`). */
  accessTokenLifetimeSeconds?: number;
  /** ACR refresh-token lifetime (default 3 h) and access-token lifetime (default 75 min, as ACR). */
  acrRefreshTokenLifetimeSeconds?: number;
  acrAccessTokenLifetimeSeconds?: number;
  /** Log one line per request to stderr. */
  log?: boolean;
}

export const DEFAULT_TENANT_ID = '5c1f2a3b-7d4e-4f60-9a8b-0c1d2e3f4a5b';
export const FEDERATED_AUDIENCE = 'api://AzureADTokenExchange';
/** Resources (audiences) the Entra double issues tokens for, as `scope=<resource>/.default`. */
export const KNOWN_RESOURCES = [
  'https://management.azure.com',
  'https://management.core.windows.net',
  'https://containerregistry.azure.net',
  // AKS AAD server application (Azure/kubelogin docs/book/src/concepts/aks.md), used by kubelogin.
  '6dae42f8-4368-4678-94ff-3960e28e3630',
] as const;

export const ARM_AUDIENCES = [
  'https://management.azure.com',
  'https://management.azure.com/',
  'https://management.core.windows.net',
  'https://management.core.windows.net/',
];

/**
 * Default principals: `ci` (secret + federated credentials, may push, pull and get both kubeconfigs)
 * and `reader` (secret only, pull + Reader, so it gets DENIED on push and AuthorizationFailed on ARM).
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
      roles: ['AcrPush', 'AcrDelete', 'Azure Kubernetes Service Cluster User Role', 'Azure Kubernetes Service Cluster Admin Role'],
    },
    {
      name: 'reader',
      clientId: '1e2d3c4b-5a69-4788-9766-554433221100',
      objectId: '2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901',
      secrets: ['sandbox-reader-secret-0001'],
      federatedCredentials: [],
      roles: ['AcrPull', 'Reader'],
    },
  ];
}

export function defaultManagedIdentity(subscriptionId: string, resourceGroup: string): ManagedIdentity {
  return {
    clientId: '7c6b5a49-3827-4165-9f0e-d1c2b3a49586',
    objectId: '8d7c6b5a-4938-4276-a1b0-c9d8e7f6a5b4',
    resourceId: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/slipway-sandbox-mi`,
    roles: ['AcrPush', 'Azure Kubernetes Service Cluster User Role'],
    identityHeader: `sandbox-identity-header-${randomUUID()}`,
  };
}

/** A principal as the resource doubles see it after validating a token. */
export interface Principal {
  objectId: string;
  appId: string;
  roles: AzureRoleName[];
}
