import type { AzureCloud } from './azure-clouds.ts';

export type AzureAuthMethod = 'auto' | 'oidc' | 'client-secret' | 'client-certificate' | 'managed-identity' | 'azure-cli' | 'environment';

/** Validated Azure sign-in settings, shared by push, aks-context and deploy. */
export interface AzureAuth {
  method: AzureAuthMethod;
  tenantId: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  certificatePath: string | undefined;
  cloud: AzureCloud;
  /** Overrides the cloud's authority host (Azure Stack, or a local Entra double). */
  authorityHost: string;
  /** Overrides the cloud's ARM endpoint. */
  resourceManager: string;
}

/**
 * How the host mints federated (OIDC) tokens: GitHub's ID-token endpoint, the Azure Pipelines OIDC
 * endpoint for a service connection. Called for every assertion, so tokens are always fresh.
 */
export type FederatedTokenSource = (audience: string) => Promise<string>;
