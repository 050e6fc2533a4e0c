import { InternalError } from '../../errors/index.ts';
import type { CanaryPlan, TrafficProvider } from '../derive/derive-canary.ts';
import type { CanaryKubeApi } from '../derive/kube-object-client.ts';
import { GatewayApiRouter } from './gateway-api.ts';
import { IngressNginxRouter } from './ingress-nginx.ts';
import { ReplicaSplitRouter } from './replica-split.ts';
import type { TrafficRouter, TrafficSnapshot } from './traffic-router.ts';

export interface CreateTrafficRouterOptions {
  /** The canary's plan (the run that creates it); its provider picks the router. */
  plan?: CanaryPlan | undefined;
  /** A snapshot from the journal (a later process); its provider picks the router and its state is taken over. */
  restoreFrom?: TrafficSnapshot | undefined;
  /** ingress-nginx: the stable Ingress (default: the release's only Ingress). */
  ingress?: string | undefined;
  /** gateway-api: the HTTPRoute to weight. */
  httpRoute?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** The router for a plan's provider, or the one a snapshot was taken from. */
export function createTrafficRouter(api: CanaryKubeApi, options: CreateTrafficRouterOptions): TrafficRouter {
  const provider: TrafficProvider | undefined = options.restoreFrom?.provider ?? options.plan?.provider;
  const base = { plan: options.plan, signal: options.signal };
  switch (provider) {
    case 'replicas':
      return new ReplicaSplitRouter(api, { ...base, restoreFrom: options.restoreFrom?.provider === 'replicas' ? options.restoreFrom : undefined });
    case 'ingress-nginx':
      return new IngressNginxRouter(api, {
        ...base,
        ingress: options.ingress,
        restoreFrom: options.restoreFrom?.provider === 'ingress-nginx' ? options.restoreFrom : undefined,
      });
    case 'gateway-api':
      return new GatewayApiRouter(api, {
        ...base,
        httpRoute: options.httpRoute,
        restoreFrom: options.restoreFrom?.provider === 'gateway-api' ? options.restoreFrom : undefined,
      });
    default:
      throw new InternalError('a traffic router needs a canary plan or a snapshot to restore from');
  }
}
