import { describe, expect, it } from 'vitest';
import { canaryReplicas, InternalError, type TrafficProvider } from '@slipway/core';

describe('canaryReplicas', () => {
  const table: [TrafficProvider, stable: number, weight: number, replicas: number, effective: number][] = [
    // Replica split: c/(N+c) closest to the weight, at least one pod.
    ['replicas', 9, 10, 1, 10],
    ['replicas', 3, 10, 1, 25],
    ['replicas', 4, 25, 1, 20],
    ['replicas', 10, 25, 3, 23.1],
    ['replicas', 2, 50, 2, 50],
    ['replicas', 2, 75, 6, 75],
    ['replicas', 1, 1, 1, 50],
    ['replicas', 20, 33, 10, 33.3],
    ['replicas', 0, 10, 1, 100],
    ['replicas', 3, 100, 3, 50],
    ['replicas', 3, 0, 0, 0],
    // Routers set the share; the canary gets enough pods to carry it.
    ['ingress-nginx', 3, 10, 1, 10],
    ['ingress-nginx', 10, 25, 3, 25],
    ['gateway-api', 4, 50, 2, 50],
    ['gateway-api', 4, 100, 4, 100],
    ['gateway-api', 0, 50, 1, 50],
    ['gateway-api', 5, 0, 0, 0],
  ];
  it.each(table)('%s: %i stable pods at %i%% -> %i canary pods (%d%%)', (provider, stable, weight, replicas, effective) => {
    expect(canaryReplicas(stable, weight, provider)).toEqual({ replicas, effectiveWeight: effective });
  });

  it('rejects weights outside 0-100 and replica counts that are not counts (InternalError: inputs are validated before)', () => {
    for (const weight of [-1, 101, Number.NaN]) expect(() => canaryReplicas(3, weight, 'replicas')).toThrow(InternalError);
    expect(() => canaryReplicas(1.5, 10, 'ingress-nginx')).toThrow(InternalError);
    expect(() => canaryReplicas(-1, 10, 'replicas')).toThrow(/stable replicas -1 is not a count/);
  });
});
