import type { TokenCredential } from '@azure/identity';
import { CancelledError, SlipwayError } from '../errors/index.ts';
import { formatAksResourceId, type AksClusterRef } from './aks-cluster-ref.ts';
import { explainAuthError, type PresentedAssertion } from './explain-auth-error.ts';

export interface FetchAksKubeconfigOptions {
  credential: TokenCredential;
  cluster: AksClusterRef;
  /** listClusterAdminCredential (local admin account) instead of listClusterUserCredential. */
  admin: boolean;
  /** `server-fqdn=public`: the public FQDN of a private cluster that has one. */
  publicFqdn: boolean;
  /** ARM endpoint (the cloud's, or an override such as Azure Stack Hub's). */
  endpoint: string;
  /** The ARM token audience of the cloud: the SDK would ask for the public cloud's whatever the endpoint. */
  audience: string;
  signal: AbortSignal;
  /** What the federated assertion claimed, for the AADSTS7002xx hints. */
  lastAssertion: () => PresentedAssertion | undefined;
}

/** ARM refused or failed to give the cluster's kubeconfig: the ARM error code is in the message, the fix in the hint. */
export class AksCredentialsError extends SlipwayError {
  readonly armCode: string | undefined;
  readonly statusCode: number | undefined;

  constructor(message: string, options: { armCode?: string | undefined; statusCode?: number | undefined; hint: string; cause?: unknown }) {
    super('AKS_CREDENTIALS_FAILED', message, 3, options);
    this.armCode = options.armCode;
    this.statusCode = options.statusCode;
  }
}

/**
 * The kubeconfig of an AKS cluster, through the ARM API (@azure/arm-containerservice's modular client:
 * only the two credential operations are loaded). User credentials are asked for with `format=exec`, the
 * format kubelogin (and Slipway's plugin) takes for Entra ID clusters; ARM ignores it for other clusters.
 */
export async function fetchAksKubeconfig(options: FetchAksKubeconfigOptions): Promise<string> {
  const [{ createContainerService }, { listClusterAdminCredentials, listClusterUserCredentials }] = await Promise.all([
    import('@azure/arm-containerservice/api'),
    import('@azure/arm-containerservice/api/managedClusters'),
  ]);
  const context = createContainerService(options.credential, options.cluster.subscriptionId, {
    endpoint: options.endpoint,
    credentials: { scopes: [`${options.audience}/.default`] },
  });
  const { resourceGroup, clusterName } = options.cluster;
  const common = { abortSignal: options.signal, ...(options.publicFqdn ? { serverFqdn: 'public' } : {}) };
  let results: Awaited<ReturnType<typeof listClusterUserCredentials>>;
  try {
    results = options.admin
      ? await listClusterAdminCredentials(context, resourceGroup, clusterName, common)
      : await listClusterUserCredentials(context, resourceGroup, clusterName, { ...common, format: 'exec' });
  } catch (error) {
    throw explainArmError(error, options);
  }
  const value = results.kubeconfigs?.[0]?.value;
  if (!value || value.length === 0) {
    throw new AksCredentialsError(`ARM returned no kubeconfig for ${formatAksResourceId(options.cluster)}`, {
      hint: 'retry; if it persists, check the cluster in the Azure portal (is it running?)',
    });
  }
  return Buffer.from(value).toString('utf8');
}

const identityErrorNames = new Set(['AuthenticationError', 'AuthenticationRequiredError', 'CredentialUnavailableError', 'AggregateAuthenticationError']);

/** ARM's error codes users meet here, with what to do (ARM common deployment errors; AKS troubleshooting). */
function armHint(code: string | undefined, options: Pick<FetchAksKubeconfigOptions, 'admin' | 'cluster'>): string | undefined {
  const { subscriptionId, resourceGroup, clusterName } = options.cluster;
  switch (code) {
    case 'AuthorizationFailed':
      return options.admin
        ? "the identity may not list the cluster's admin credentials: assign it 'Azure Kubernetes Service Cluster Admin Role' on the cluster, or drop admin"
        : "the identity may not list the cluster's user credentials: assign it 'Azure Kubernetes Service Cluster User Role' on the cluster";
    case 'ResourceNotFound':
      return `there is no AKS cluster '${clusterName}' in resource group '${resourceGroup}': check cluster-name (or resource-id)`;
    case 'ResourceGroupNotFound':
      return `there is no resource group '${resourceGroup}' in subscription ${subscriptionId} that the identity can see: check resource-group and subscription-id`;
    case 'SubscriptionNotFound':
    case 'InvalidSubscriptionId':
      return `subscription ${subscriptionId} is unknown to the identity's tenant: check subscription-id, tenant-id and azure-environment`;
    case 'BadRequest':
    case 'InvalidParameter':
      return undefined;
    case 'InvalidAuthenticationTokenAudience':
    case 'InvalidAuthenticationTokenTenant':
      return 'the ARM token was issued for another cloud or tenant: check azure-environment and tenant-id';
    case 'ExpiredAuthenticationToken':
      return "the runner's clock may be wrong, or the token expired in flight: retry";
    default:
      return undefined;
  }
}

function explainArmError(error: unknown, options: FetchAksKubeconfigOptions): SlipwayError {
  const what = `${options.admin ? 'listClusterAdminCredential' : 'listClusterUserCredential'} for ${formatAksResourceId(options.cluster)}`;
  if (error instanceof SlipwayError) return error;
  const name = error instanceof Error ? error.name : '';
  // Signing in failed before ARM was called: the AADSTS code says why.
  if (identityErrorNames.has(name)) return explainAuthError(error, { action: 'signing in to Azure', assertion: options.lastAssertion() });
  if (name === 'AbortError' || options.signal.aborted) return new CancelledError(`${what} was cancelled`, { cause: error });
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  const status = typeof statusCode === 'number' ? statusCode : undefined;
  const armCode = typeof code === 'string' ? code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (status === undefined) {
    return new AksCredentialsError(`${what}: ARM (${options.endpoint}) could not be reached: ${message}`, {
      armCode,
      hint: 'check the runner can reach the Azure Resource Manager endpoint (proxy, firewall, azure-environment, arm-endpoint)',
      cause: error,
    });
  }
  // "Getting static credential is not allowed because this cluster is set to disable local accounts."
  const localAccountsDisabled = /disable local accounts/i.test(message);
  const hint = localAccountsDisabled
    ? 'the cluster has local accounts disabled: drop admin, and sign in with an identity that has an Entra ID role or RoleBinding in the cluster'
    : (armHint(armCode, options) ?? `ARM answered ${status}${armCode ? ` ${armCode}` : ''}; check the cluster in the Azure portal`);
  return new AksCredentialsError(`${what}: ARM answered ${status}${armCode ? ` ${armCode}` : ''}: ${message}`, {
    armCode,
    statusCode: status,
    hint,
    cause: error,
  });
}
