import { describe, expect, it } from 'vitest';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { createManagedPrometheusTokenSupplier, managedPrometheusScope } from '@slipway/core';

/** A credential that hands out numbered tokens and records what it was asked. */
class CountingCredential implements TokenCredential {
  readonly scopes: string[] = [];
  readonly signals: Array<AbortSignal | undefined> = [];
  issued = 0;
  constructor(
    private readonly clock: () => number,
    private readonly lifetimeMs: number,
    private readonly extra: Partial<AccessToken> = {},
  ) {}
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.scopes.push(String(scopes));
    this.signals.push(options?.abortSignal as AbortSignal | undefined);
    this.issued += 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { token: `token-${this.issued}`, expiresOnTimestamp: this.clock() + this.lifetimeMs, ...this.extra };
  }
}

describe('createManagedPrometheusTokenSupplier', () => {
  const signal = new AbortController().signal;

  it('asks for the managed Prometheus scope and keeps the token until 5 minutes before it expires', async () => {
    let now = 1_000_000;
    const credential = new CountingCredential(() => now, 60 * 60_000);
    const getToken = createManagedPrometheusTokenSupplier(credential, { now: () => now });
    expect(await getToken(signal)).toBe('token-1');
    now += 54 * 60_000;
    expect(await getToken(signal)).toBe('token-1');
    now += 2 * 60_000;
    expect(await getToken(signal)).toBe('token-2');
    expect(credential.scopes).toEqual([managedPrometheusScope, managedPrometheusScope]);
    expect(managedPrometheusScope).toBe('https://prometheus.monitor.azure.com/.default');
    expect(credential.signals[0]).toBe(signal);
  });

  it("honours Entra's refreshAfter", async () => {
    let now = 0;
    const credential = new CountingCredential(() => now, 60 * 60_000, { refreshAfterTimestamp: 30 * 60_000 });
    const getToken = createManagedPrometheusTokenSupplier(credential, { now: () => now });
    await getToken(signal);
    now = 30 * 60_000;
    expect(await getToken(signal)).toBe('token-2');
  });

  it('shares one acquisition between concurrent queries', async () => {
    const credential = new CountingCredential(Date.now, 60 * 60_000);
    const getToken = createManagedPrometheusTokenSupplier(credential);
    expect(await Promise.all([getToken(signal), getToken(signal), getToken(signal)])).toEqual(['token-1', 'token-1', 'token-1']);
    expect(credential.issued).toBe(1);
  });

  it('throws when the credential gives no token, and tries again next time', async () => {
    let calls = 0;
    const credential: TokenCredential = {
      getToken: async () => {
        calls += 1;
        return calls === 1 ? null : { token: 'late', expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const getToken = createManagedPrometheusTokenSupplier(credential, { scope: 'https://prometheus.monitor.azure.us/.default' });
    await expect(getToken(signal)).rejects.toThrow('the credential returned no token for https://prometheus.monitor.azure.us/.default');
    expect(await getToken(signal)).toBe('late');
  });
});
