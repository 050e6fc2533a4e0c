import { HttpClient } from '@actions/http-client';
import { BearerCredentialHandler } from '@actions/http-client/lib/auth';

/**
 * Asks the runner's OIDC endpoint for a fresh ID token for `audience`: the request
 * `core.getIDToken` makes (same user agent, bearer token and retries, proxy support from
 * http-client). It lives apart and is imported lazily because `core.getIDToken` sits in @actions/core's
 * main module, which would otherwise load undici (about half the action bundle) into every step's start.
 */
export async function requestGitHubIdToken(requestUrl: string, requestToken: string, audience: string): Promise<string> {
  const client = new HttpClient('actions/oidc-client', [new BearerCredentialHandler(requestToken)], { allowRetries: true, maxRetries: 10 });
  let response: Awaited<ReturnType<typeof client.getJson<{ value?: unknown }>>>;
  try {
    response = await client.getJson<{ value?: unknown }>(`${requestUrl}&audience=${encodeURIComponent(audience)}`);
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    throw new Error(`the runner's ID token endpoint failed${status ? ` (HTTP ${status})` : ''}: ${(error as Error).message}`, { cause: error });
  }
  const token = response.result?.value;
  if (typeof token !== 'string' || !token) throw new Error("the runner's ID token endpoint answered without a token");
  return token;
}
