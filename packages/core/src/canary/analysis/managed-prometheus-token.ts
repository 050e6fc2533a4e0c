// Type-only: the canary loads this eagerly, and the Azure SDK must load only when a step signs in.
import type { AccessToken, TokenCredential } from '@azure/identity';
import type { PrometheusTokenSupplier } from './prometheus-client.ts';

/** The scope of Azure Monitor managed Prometheus' query API (the same in every public-cloud region). */
export const managedPrometheusScope = 'https://prometheus.monitor.azure.com/.default';

export interface ManagedPrometheusTokenOptions {
  /** Default {@link managedPrometheusScope}; sovereign clouds have their own. */
  scope?: string;
  /** A token is re-acquired when it has less than this left; default 5 minutes, as @azure/core-rest-pipeline does. */
  refreshBeforeMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * A {@link PrometheusTokenSupplier} for Azure Monitor managed Prometheus from the step's Azure
 * credential (the pipeline's own identity). The token is kept until shortly before it expires (or
 * until Entra's `refreshAfter`), then acquired again, so a canary that runs longer than a token lives
 * keeps querying; the credential itself caches and refreshes with MSAL, so asking it is cheap.
 * Concurrent callers share one acquisition. A failure is thrown as the credential threw it.
 */
export function createManagedPrometheusTokenSupplier(credential: TokenCredential, options: ManagedPrometheusTokenOptions = {}): PrometheusTokenSupplier {
  const scope = options.scope ?? managedPrometheusScope;
  const refreshBeforeMs = options.refreshBeforeMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let current: AccessToken | undefined;
  let pending: Promise<AccessToken> | undefined;

  const fresh = (token: AccessToken) => {
    const at = now();
    if (token.refreshAfterTimestamp !== undefined && at >= token.refreshAfterTimestamp) return false;
    return at < token.expiresOnTimestamp - refreshBeforeMs;
  };

  return async (signal: AbortSignal) => {
    if (current && fresh(current)) return current.token;
    pending ??= (async () => {
      try {
        const token = await credential.getToken(scope, { abortSignal: signal });
        if (!token) throw new Error(`the credential returned no token for ${scope}`);
        current = token;
        return token;
      } finally {
        pending = undefined;
      }
    })();
    return (await pending).token;
  };
}
