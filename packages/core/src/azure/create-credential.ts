import {
  AzureCliCredential,
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import { InputError } from '../errors/index.ts';
import type { AzureAuth, FederatedTokenSource } from './azure-auth.ts';

/** The audience Entra ID expects in federated assertions (workload identity federation docs). */
export const federatedTokenAudience = 'api://AzureADTokenExchange';

export interface CredentialContext {
  federatedToken?: FederatedTokenSource;
}

export interface CreatedCredential {
  credential: TokenCredential;
  /** e.g. "federated (OIDC) as client 1234… in tenant abcd…", for logs. */
  description: string;
}

/**
 * One credential factory for every step. OIDC assertions are fetched anew on every call, because a
 * GitHub or Azure Pipelines ID token lives ~10 minutes and MSAL asks again when its access token
 * expires: a cached assertion is what makes long jobs fail with AADSTS700024.
 */
export function createCredential(auth: AzureAuth, context: CredentialContext): CreatedCredential {
  // MSAL validates a custom authority against login.microsoftonline.com ("instance discovery") unless
  // told not to: for private clouds, Azure Stack and test doubles that call must not happen.
  const options = { authorityHost: auth.authorityHost, disableInstanceDiscovery: auth.authorityHost !== auth.cloud.authorityHost };
  const method = auth.method === 'auto' ? chooseMethod(auth, context) : auth.method;
  const need = (value: string | undefined, input: string) => {
    if (!value) throw new InputError(input, `is required for auth ${method}`);
    return value;
  };
  switch (method) {
    case 'client-secret': {
      const tenantId = need(auth.tenantId, 'tenant-id');
      const clientId = need(auth.clientId, 'client-id');
      return {
        credential: new ClientSecretCredential(tenantId, clientId, need(auth.clientSecret, 'client-secret'), options),
        description: `service principal ${clientId} (client secret) in tenant ${tenantId}`,
      };
    }
    case 'client-certificate': {
      const tenantId = need(auth.tenantId, 'tenant-id');
      const clientId = need(auth.clientId, 'client-id');
      return {
        credential: new ClientCertificateCredential(tenantId, clientId, { certificatePath: need(auth.certificatePath, 'client-certificate-path') }, options),
        description: `service principal ${clientId} (certificate) in tenant ${tenantId}`,
      };
    }
    case 'oidc': {
      const tenantId = need(auth.tenantId, 'tenant-id');
      const clientId = need(auth.clientId, 'client-id');
      const source = context.federatedToken;
      if (!source) {
        throw new InputError('auth', 'oidc needs a host that can mint ID tokens', {
          hint: 'on GitHub grant `permissions: id-token: write`; on Azure Pipelines use a workload identity federation service connection',
        });
      }
      return {
        credential: new ClientAssertionCredential(tenantId, clientId, () => source(federatedTokenAudience), options),
        description: `federated identity (OIDC) for client ${clientId} in tenant ${tenantId}`,
      };
    }
    case 'managed-identity':
      return {
        credential: auth.clientId ? new ManagedIdentityCredential({ clientId: auth.clientId }) : new ManagedIdentityCredential(),
        description: auth.clientId ? `managed identity ${auth.clientId}` : 'system-assigned managed identity',
      };
    case 'azure-cli':
      return { credential: new AzureCliCredential({ tenantId: auth.tenantId }), description: 'Azure CLI login' };
    case 'environment':
      return { credential: new EnvironmentCredential(options), description: 'AZURE_* environment variables' };
    default:
      return {
        credential: new DefaultAzureCredential({
          ...options,
          ...(auth.tenantId ? { tenantId: auth.tenantId } : {}),
          ...(auth.clientId ? { managedIdentityClientId: auth.clientId } : {}),
        }),
        description: 'the default chain (environment, workload identity, managed identity, Azure CLI)',
      };
  }
}

/** `auto`: explicit secrets first, then the host's federation, then the default chain. Exported for the kube-token plugin's config, which records the method a step resolved. */
export function chooseMethod(auth: AzureAuth, context: CredentialContext): Exclude<AzureAuth['method'], 'auto'> | 'default' {
  if (auth.clientSecret) return 'client-secret';
  if (auth.certificatePath) return 'client-certificate';
  if (context.federatedToken && auth.tenantId && auth.clientId) return 'oidc';
  return 'default';
}
