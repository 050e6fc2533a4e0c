import type { FederatedTokenSource } from './azure-auth.ts';

/**
 * What another process of the same job needs to mint the host's OIDC tokens itself: the kube-token
 * credential plugin, which kubectl or helm start in a later step, long after the step that signed in has
 * exited. Both forms hold a job-scoped secret (the runner's request token, the pipeline's System.AccessToken),
 * so a hand-off is only ever written to a 0600 file, never to argv, a log or an output.
 */
export type FederatedTokenHandOff =
  /** GitHub Actions: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN (`permissions: id-token: write`). */
  | { kind: 'github-actions'; requestUrl: string; requestToken: string }
  /** Azure Pipelines workload identity federation: System.OidcRequestUri, System.AccessToken and the service connection. */
  | { kind: 'azure-pipelines'; requestUri: string; accessToken: string; serviceConnectionId: string };

export function isFederatedTokenHandOff(value: unknown): value is FederatedTokenHandOff {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (v.kind === 'github-actions') return typeof v.requestUrl === 'string' && typeof v.requestToken === 'string';
  if (v.kind === 'azure-pipelines') {
    return typeof v.requestUri === 'string' && typeof v.accessToken === 'string' && typeof v.serviceConnectionId === 'string';
  }
  return false;
}

export interface HandOffSourceOptions {
  fetch?: typeof fetch;
  /** Attempts on a network error or a 5xx (the runner's endpoint has brief outages); default 3. */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A token source that mints a fresh ID token on every call, from a hand-off: the same requests the hosts
 * make (GitHub's `core.getIDToken`, Azure Pipelines' OIDC endpoint for a service connection), with plain
 * fetch so that the plugin loads nothing of the hosts' libraries.
 */
export function federatedTokenSourceFromHandOff(handOff: FederatedTokenHandOff, options: HandOffSourceOptions = {}): FederatedTokenSource {
  const doFetch = options.fetch ?? fetch;
  const attempts = options.attempts ?? 3;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const request = (audience: string): { url: string; init: RequestInit; read: (body: Record<string, unknown>) => unknown; what: string } =>
    handOff.kind === 'github-actions'
      ? {
          url: `${handOff.requestUrl}&audience=${encodeURIComponent(audience)}`,
          init: { headers: { Authorization: `Bearer ${handOff.requestToken}`, Accept: 'application/json' } },
          read: (body) => body.value,
          what: "the GitHub runner's ID token endpoint",
        }
      : {
          url: `${handOff.requestUri}?api-version=7.1&serviceConnectionId=${encodeURIComponent(handOff.serviceConnectionId)}`,
          init: { method: 'POST', headers: { Authorization: `Bearer ${handOff.accessToken}`, 'Content-Type': 'application/json' } },
          read: (body) => body.oidcToken,
          what: `the Azure Pipelines OIDC endpoint (service connection ${handOff.serviceConnectionId})`,
        };
  return async (audience) => {
    const { url, init, read, what } = request(audience);
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await doFetch(url, init);
      } catch (error) {
        if (attempt < attempts) {
          await sleep(500 * attempt);
          continue;
        }
        throw new Error(`${what} could not be reached: ${(error as Error).message}`, { cause: error });
      }
      if (response.status >= 500 && attempt < attempts) {
        await sleep(500 * attempt);
        continue;
      }
      const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      const token = read(body);
      if (!response.ok || typeof token !== 'string' || token === '') {
        const expired = response.status === 401 ? ': the job has ended or its token expired (a hand-off lives as long as its job)' : '';
        throw new Error(`${what} answered ${response.status} without a token${expired}`);
      }
      return token;
    }
  };
}
