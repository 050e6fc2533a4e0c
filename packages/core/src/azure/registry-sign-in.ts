import { acrTokenUserName, exchangeAcrRefreshToken } from './acr-refresh-token.ts';
import type { AzureAuth, FederatedTokenSource } from './azure-auth.ts';
import { createCredential } from './create-credential.ts';

/** What Docker-style tools (Trivy, buildah, helm for OCI charts) take to log in to a registry. */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export interface RegistrySignInOptions {
  /** Login server, e.g. `contoso.azurecr.io`. */
  registry: string;
  auth: AzureAuth;
  federatedToken?: FederatedTokenSource | undefined;
  signal?: AbortSignal | undefined;
  log: { info(message: string): void };
  /** Masks the token the moment it exists, before anything can print it. */
  setSecret: (value: string) => void;
}

/**
 * Signs in to an Azure Container Registry with the shared Azure sign-in: the Entra token is exchanged for
 * an ACR refresh token, which Docker-style clients accept as the password of the all-zero user.
 */
export async function signInToRegistry(options: RegistrySignInOptions): Promise<RegistryCredentials> {
  const { credential, description } = createCredential(options.auth, options.federatedToken ? { federatedToken: options.federatedToken } : {});
  options.log.info(`signing in to ${options.registry} as ${description}`);
  const refreshToken = await exchangeAcrRefreshToken({
    registry: options.registry,
    credential,
    audience: options.auth.cloud.containerRegistryAudience,
    tenantId: options.auth.tenantId,
    signal: options.signal,
  });
  options.setSecret(refreshToken);
  return { username: acrTokenUserName, password: refreshToken };
}
