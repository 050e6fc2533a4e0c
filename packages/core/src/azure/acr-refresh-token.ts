import type { TokenCredential } from '@azure/identity';
import { RegistryError } from '../errors/index.ts';
import { explainAuthError } from './explain-auth-error.ts';

/** Docker-style tools log in to ACR with this user name and an ACR refresh token as the password. */
export const acrTokenUserName = '00000000-0000-0000-0000-000000000000';

/**
 * Exchanges an Entra ID token for an ACR refresh token (POST /oauth2/exchange, Azure/acr
 * docs/AAD-OAuth.md), the credential Docker-style clients such as Trivy, buildah and helm accept as a
 * password. This is how a private ACR image is scanned with the same sign-in as push.
 */
export async function exchangeAcrRefreshToken(options: {
  registry: string;
  credential: TokenCredential;
  audience: string;
  tenantId?: string | undefined;
  signal?: AbortSignal | undefined;
}): Promise<string> {
  let accessToken: string;
  try {
    const token = await options.credential.getToken(`${options.audience}/.default`, { abortSignal: options.signal });
    if (!token) throw new Error('the credential returned no token');
    accessToken = token.token;
  } catch (error) {
    throw explainAuthError(error, { action: `signing in to Azure for ${options.registry}` });
  }
  const body = new URLSearchParams({ grant_type: 'access_token', service: options.registry, access_token: accessToken });
  if (options.tenantId) body.set('tenant', options.tenantId);
  let response: Response;
  try {
    response = await fetch(`https://${options.registry}/oauth2/exchange?api-version=2021-07-01`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: options.signal ?? null,
    });
  } catch (error) {
    throw new RegistryError(`cannot reach ${options.registry} for the ACR token exchange: ${(error as Error).message}`, {
      cause: error,
      hint: 'check the registry name and the network',
    });
  }
  const text = await response.text();
  if (!response.ok) {
    throw explainAuthError(Object.assign(new Error(`ACR token exchange answered ${response.status}: ${text.slice(0, 200)}`), { statusCode: response.status }), {
      action: `exchanging an Entra token at ${options.registry}`,
    });
  }
  const refreshToken = (JSON.parse(text) as { refresh_token?: unknown }).refresh_token;
  if (typeof refreshToken !== 'string') throw new RegistryError(`the ACR token exchange at ${options.registry} returned no refresh_token`);
  return refreshToken;
}

/** True for ACR login servers in every Azure cloud. */
export function isAcrLoginServer(registry: string): boolean {
  return /\.azurecr\.(io|cn|us)(:\d+)?$/i.test(registry);
}
