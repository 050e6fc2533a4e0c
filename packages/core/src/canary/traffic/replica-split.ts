import { KubeApiError } from '../../k8s/kube-api-error.ts';
import { scaleCanary } from '../derive/canary-objects.ts';
import { canaryReplicas } from '../derive/canary-replicas.ts';
import { type CanaryKubeApi, readObject } from '../derive/kube-object-client.ts';
import {
  checkWeight,
  type TrafficRouter,
  type TrafficRouterBaseOptions,
  type TrafficTarget,
  type TrafficWeightResult,
  targetFromOptions,
} from './traffic-router.ts';

/** A replica split's state in the journal. */
export interface ReplicaSplitSnapshot {
  provider: 'replicas';
  version: 1;
  target: TrafficTarget;
  /** The weight last set (0: restored). */
  weight: number;
}

export type ReplicaSplitOptions = TrafficRouterBaseOptions<ReplicaSplitSnapshot>;

/**
 * Traffic by replica count: the stable Services select canary pods too (provider `replicas` keeps
 * their labels), so the canary's share is its pods among all ready pods. The weight is read against
 * the stable workload's live `spec.replicas` (an autoscaler may have changed what the chart says);
 * restore scales the canary to 0.
 */
export class ReplicaSplitRouter implements TrafficRouter {
  readonly provider = 'replicas' as const;
  readonly #api: CanaryKubeApi;
  readonly #target: TrafficTarget;
  readonly #signal: AbortSignal | undefined;
  #weight: number;

  constructor(api: CanaryKubeApi, options: ReplicaSplitOptions) {
    this.#api = api;
    this.#target = targetFromOptions('replicas', options);
    this.#signal = options.signal;
    this.#weight = options.restoreFrom?.weight ?? 0;
  }

  async check(): Promise<string[]> {
    const problems: string[] = [];
    for (const workload of this.#target.workloads) {
      const stable = await readObject(this.#api, stableRef(workload), this.#signal);
      if (!stable)
        problems.push(`${workload.kind} ${workload.stable} does not exist in namespace '${workload.namespace}': a replica split weighs the canary against it`);
    }
    return problems;
  }

  async setWeight(percent: number): Promise<TrafficWeightResult> {
    checkWeight(percent);
    const counts: Record<string, number> = {};
    const parts: string[] = [];
    let effective: number | undefined;
    for (const workload of this.#target.workloads) {
      const stable = await readObject(this.#api, stableRef(workload), this.#signal);
      if (!stable)
        throw new KubeApiError('api', `${workload.kind} ${workload.stable} in namespace '${workload.namespace}' is gone`, {
          hint: 'the stable release was changed or removed during the canary',
          status: 404,
        });
      const stableReplicas = typeof stable.spec?.replicas === 'number' ? stable.spec.replicas : 1;
      const split = canaryReplicas(stableReplicas, percent, 'replicas');
      counts[workload.stable] = split.replicas;
      effective ??= split.effectiveWeight;
      parts.push(`${workload.kind}/${workload.canary}: ${split.replicas} beside ${stableReplicas} stable (${split.effectiveWeight}%)`);
    }
    await scaleCanary(this.#api, this.#target, counts, this.#signal);
    this.#weight = percent;
    return { requested: percent, effective: effective ?? 0, detail: `replica split: ${parts.join('; ')}` };
  }

  async restore(): Promise<void> {
    for (const workload of this.#target.workloads) {
      try {
        await scaleCanary(this.#api, { release: this.#target.release, workloads: [workload] }, { [workload.stable]: 0 }, this.#signal);
      } catch (error) {
        // A canary that is gone takes no traffic: restored.
        if (!(error instanceof KubeApiError && error.status === 404)) throw error;
      }
    }
    this.#weight = 0;
  }

  snapshot(): ReplicaSplitSnapshot {
    return { provider: 'replicas', version: 1, target: structuredClone(this.#target), weight: this.#weight };
  }
}

function stableRef(workload: TrafficTarget['workloads'][number]) {
  return { apiVersion: 'apps/v1', kind: workload.kind, namespace: workload.namespace, name: workload.stable };
}
