import { InternalError } from '../../errors/index.ts';
import type { CanaryPlan, TrafficProvider } from '../derive/derive-canary.ts';
import type { GatewayApiSnapshot } from './gateway-api.ts';
import type { IngressNginxSnapshot } from './ingress-nginx.ts';
import type { ReplicaSplitSnapshot } from './replica-split.ts';

/** What a router needs of a canary plan: names only, so that it fits in the journal (no manifests, no Secret data). */
export interface TrafficTarget {
  release: string;
  namespace: string;
  runId: string;
  workloads: { kind: 'Deployment' | 'StatefulSet'; stable: string; canary: string; namespace: string }[];
  services: { stable: string; canary: string; namespace: string }[];
}

/** The outcome of {@link TrafficRouter.setWeight}. */
export interface TrafficWeightResult {
  /** The weight asked, in percent. */
  requested: number;
  /** The canary's share of traffic now, in percent (a replica split can only approximate the weight). */
  effective: number;
  /** One line for the log: what was set where. */
  detail: string;
}

/** A router's state as the journal keeps it: enough for a later process to set weights or restore. */
export type TrafficSnapshot = ReplicaSplitSnapshot | IngressNginxSnapshot | GatewayApiSnapshot;

/**
 * Sends a share of a release's traffic to its canary. The stable release keeps serving at full scale,
 * so restoring traffic is one change of routing.
 */
export interface TrafficRouter {
  readonly provider: TrafficProvider;
  /**
   * What stops this router from working, in words (an Ingress or HTTPRoute that does not exist or does
   * not route to the release's Services, a Gateway API the cluster does not serve); empty when none.
   * Changes nothing: run it before the canary is created.
   */
  check(): Promise<string[]>;
  /** Sends `percent` (0–100) of the traffic to the canary. */
  setWeight(percent: number): Promise<TrafficWeightResult>;
  /** All traffic back to stable; idempotent (what is already restored or gone is left as it is). */
  restore(): Promise<void>;
  /** JSON for the journal; give it back as `restoreFrom` in a later process. */
  snapshot(): TrafficSnapshot;
}

/** What every router is made from: a plan in the run that creates the canary, or a snapshot in a later one. */
export interface TrafficRouterBaseOptions<S extends TrafficSnapshot> {
  plan?: CanaryPlan | undefined;
  restoreFrom?: S | undefined;
  signal?: AbortSignal | undefined;
}

/** A plan's names, as routers and snapshots keep them. */
export function trafficTargetOf(plan: CanaryPlan): TrafficTarget {
  return {
    release: plan.release,
    namespace: plan.namespace,
    runId: plan.runId,
    workloads: plan.workloads.map(({ kind, stable, canary, namespace }) => ({ kind, stable, canary, namespace })),
    services: plan.services.map(({ stable, canary, namespace }) => ({ stable, canary, namespace })),
  };
}

/** The target of a router from its options: the snapshot's when restoring, else the plan's. */
export function targetFromOptions<S extends TrafficSnapshot>(provider: TrafficProvider, options: TrafficRouterBaseOptions<S>): TrafficTarget {
  if (options.restoreFrom) {
    if (options.restoreFrom.provider !== provider) {
      throw new InternalError(`a ${options.restoreFrom.provider} traffic snapshot cannot restore a ${provider} router`);
    }
    return options.restoreFrom.target;
  }
  if (options.plan) return trafficTargetOf(options.plan);
  throw new InternalError(`a ${provider} traffic router needs a canary plan or a snapshot to restore from`);
}

/** Throws an InternalError for a weight outside 0–100 or not a whole number: inputs are validated before a router runs. */
export function checkWeight(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new InternalError(`traffic weight ${percent} is not a whole number from 0 to 100`);
}
