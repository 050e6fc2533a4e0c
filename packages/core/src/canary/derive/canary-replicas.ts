import { InternalError } from '../../errors/index.ts';
import type { TrafficProvider } from './derive-canary.ts';

/** How many canary pods a weight takes, and the weight that gives. */
export interface CanaryReplicas {
  replicas: number;
  /** The share of traffic the canary gets, in percent (one decimal): with `replicas`, what the pod counts allow. */
  effectiveWeight: number;
}

/**
 * Canary replicas for a weight (0–100) beside `stableReplicas` stable pods.
 *
 * With `replicas` the stable Service spreads requests over all ready pods, so the canary's share is
 * c/(N+c): the c ≥ 1 whose share is closest to the weight (the smaller on a tie), and that share as the
 * effective weight (1 canary beside 3 stable pods is 25%, whatever smaller weight was asked). A weight of
 * 100 cannot be had while stable serves at full scale: it gets as many canary pods as stable has
 * (effective 50%); promote is what sends everything to the new version.
 *
 * With a router (`ingress-nginx`, `gateway-api`) the router sets the share; the canary gets enough pods
 * to carry it, max(1, ceil(N·w/100)), and the effective weight is the weight asked.
 *
 * Weight 0 is no canary pods (traffic restored). Throws an InternalError for a weight outside 0–100 or a
 * negative or fractional replica count: callers validate inputs before this.
 */
export function canaryReplicas(stableReplicas: number, weightPercent: number, provider: TrafficProvider): CanaryReplicas {
  if (!Number.isFinite(weightPercent) || weightPercent < 0 || weightPercent > 100) {
    throw new InternalError(`canary weight ${weightPercent} is outside 0–100`);
  }
  if (!Number.isInteger(stableReplicas) || stableReplicas < 0) throw new InternalError(`stable replicas ${stableReplicas} is not a count`);
  if (weightPercent === 0) return { replicas: 0, effectiveWeight: 0 };
  const n = stableReplicas;
  if (provider !== 'replicas') return { replicas: Math.max(1, Math.ceil((n * weightPercent) / 100)), effectiveWeight: weightPercent };
  if (n === 0) return { replicas: 1, effectiveWeight: 100 };
  if (weightPercent === 100) return { replicas: n, effectiveWeight: 50 };
  const share = (c: number) => (100 * c) / (n + c);
  // The exact solution of c/(N+c) = w/100; the best integer is one of its neighbours.
  const exact = (weightPercent * n) / (100 - weightPercent);
  const candidates = [Math.floor(exact), Math.ceil(exact)].map((c) => Math.max(1, c));
  let best = candidates[0] ?? 1;
  for (const c of candidates) if (Math.abs(share(c) - weightPercent) < Math.abs(share(best) - weightPercent)) best = c;
  return { replicas: best, effectiveWeight: Math.round(share(best) * 10) / 10 };
}
