import { InternalError } from '../../errors/index.ts';
import type { CanaryObjectRef } from '../canary-journal.ts';
import { TrafficRouteConflictError } from '../derive/canary-errors.ts';
import {
  type CanaryKubeApi,
  fieldManager,
  isFailedTest,
  isKindServed,
  type KubeJson,
  patchObject,
  readObject,
  sameJson,
} from '../derive/kube-object-client.ts';
import {
  checkWeight,
  type TrafficRouter,
  type TrafficRouterBaseOptions,
  type TrafficTarget,
  type TrafficWeightResult,
  targetFromOptions,
} from './traffic-router.ts';

/** A Gateway API router's state in the journal: the route's rules before Slipway touched them, and as Slipway last left them. */
export interface GatewayApiSnapshot {
  provider: 'gateway-api';
  version: 1;
  target: TrafficTarget;
  /** The HTTPRoute (gateway.networking.k8s.io/v1) in the release's namespace. */
  route: string;
  /** `spec.rules` as they were before the first weight (as the API server stored them); undefined until then. */
  originalRules: KubeJson[] | undefined;
  /** `spec.rules` as the API server stored them after Slipway's last change; undefined when restored. */
  appliedRules: KubeJson[] | undefined;
  /** The weight last set (0: restored). */
  weight: number;
}

export interface GatewayApiOptions extends TrafficRouterBaseOptions<GatewayApiSnapshot> {
  /** The HTTPRoute to weight (required unless restoring from a snapshot). */
  httpRoute?: string | undefined;
}

const routeKind = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' } as const;

/**
 * Traffic by Gateway API HTTPRoute backend weights: in each rule of an existing HTTPRoute whose
 * backendRefs point at a stable Service of the release, that backend gets weight 100−w and a backendRef
 * to its canary Service (same port and filters) weight w; backends of other Services keep their share.
 * The rules are changed by JSON patch with a `test` of the rules Slipway last saw, and restored exactly
 * (the original rules are in the snapshot) the same way: a route someone edited meanwhile is reported
 * (TrafficRouteConflictError), never overwritten.
 *
 * An HTTPRoute rendered by the Helm release itself: restore it before `helm upgrade` on promote. Seen
 * in the sandbox: Helm 3's three-way merge diffs the chart's previous and new manifests against the
 * live object, so with the chart's rules unchanged it sends no change for `spec.rules` and the canary's
 * weights outlive the canary (traffic to a Service about to be deleted); Helm 4's server-side apply
 * fails the upgrade with a field conflict on `.spec.rules`, which Slipway's patches own. Restore puts
 * the chart's rules back and then drops Slipway's managedFields entry, so Helm 3 and Helm 4 both
 * upgrade the route as if Slipway had never touched it.
 */
export class GatewayApiRouter implements TrafficRouter {
  readonly provider = 'gateway-api' as const;
  readonly #api: CanaryKubeApi;
  readonly #target: TrafficTarget;
  readonly #signal: AbortSignal | undefined;
  readonly #route: string;
  #original: KubeJson[] | undefined;
  #applied: KubeJson[] | undefined;
  #weight: number;

  constructor(api: CanaryKubeApi, options: GatewayApiOptions) {
    this.#api = api;
    this.#target = targetFromOptions('gateway-api', options);
    this.#signal = options.signal;
    const route = options.restoreFrom?.route ?? options.httpRoute;
    if (!route) throw new InternalError('the gateway-api traffic router needs the name of an HTTPRoute');
    this.#route = route;
    this.#original = options.restoreFrom?.originalRules;
    this.#applied = options.restoreFrom?.appliedRules;
    this.#weight = options.restoreFrom?.weight ?? 0;
  }

  async check(): Promise<string[]> {
    const namespace = this.#target.namespace;
    if (!(await isKindServed(this.#api, routeKind, namespace, this.#signal))) {
      return ['the cluster does not serve the Gateway API (HTTPRoute, gateway.networking.k8s.io/v1): install its CRDs, or use another traffic provider'];
    }
    const route = await readObject(this.#api, this.#ref(), this.#signal);
    if (!route) return [`HTTPRoute ${this.#route} does not exist in namespace '${namespace}'`];
    const rules = rulesOf(route);
    if (weightRules(rules, this.#target, namespace, 0).touched === 0) {
      const routed = [...new Set(rules.flatMap((rule) => backendRefsOf(rule).map((ref) => String(ref.name))))];
      const services = this.#target.services.map((s) => s.stable).join(', ') || 'it has none';
      return [
        `HTTPRoute ${this.#route} routes to ${routed.length ? routed.map((s) => `Service ${s}`).join(', ') : 'no backend'}, not to a Service of release '${this.#target.release}' (${services})`,
      ];
    }
    return [];
  }

  async setWeight(percent: number): Promise<TrafficWeightResult> {
    checkWeight(percent);
    let expected = this.#applied;
    if (!this.#original) {
      const route = await readObject(this.#api, this.#ref(), this.#signal);
      if (!route) throw this.#conflict('does not exist (any more)', 'create the HTTPRoute again, or use another traffic provider');
      expected = rulesOf(route);
      this.#original = withoutCanaryRefs(expected, this.#target);
    }
    const { rules, touched } = weightRules(this.#original, this.#target, this.#target.namespace, percent);
    if (touched === 0)
      throw this.#conflict(`routes to no Service of release '${this.#target.release}'`, "point the route at the release's Service, or name another HTTPRoute");
    this.#applied = await this.#replaceRules(expected ?? this.#original, rules, 'changed since Slipway set its weights');
    this.#weight = percent;
    const pairs = this.#target.services.map((s) => `Service/${s.stable} ${100 - percent}, Service/${s.canary} ${percent}`).join('; ');
    return {
      requested: percent,
      effective: percent,
      detail: `gateway-api: HTTPRoute/${this.#route} weights ${pairs} (${touched} backendRef${touched === 1 ? '' : 's'})`,
    };
  }

  async restore(): Promise<void> {
    if (!this.#applied || !this.#original) {
      this.#weight = 0;
      return;
    }
    try {
      await this.#replaceRules(this.#applied, this.#original, 'changed since Slipway set its weights, so Slipway did not restore it');
    } catch (error) {
      if (!(error instanceof TrafficRouteConflictError)) throw error;
      const route = await readObject(this.#api, this.#ref(), this.#signal);
      // Gone, or already back to the original (a previous restore whose answer was lost): nothing routes to the canary.
      if (route && !sameJson(rulesOf(route), this.#original)) throw error;
    }
    await this.#releaseRules();
    this.#applied = undefined;
    this.#weight = 0;
  }

  snapshot(): GatewayApiSnapshot {
    return {
      provider: 'gateway-api',
      version: 1,
      target: structuredClone(this.#target),
      route: this.#route,
      originalRules: structuredClone(this.#original),
      appliedRules: structuredClone(this.#applied),
      weight: this.#weight,
    };
  }

  /** Replaces `spec.rules` if they still are `expected`; the rules as stored after. */
  async #replaceRules(expected: KubeJson[], rules: KubeJson[], conflict: string): Promise<KubeJson[]> {
    const patch = [
      { op: 'test', path: '/spec/rules', value: expected },
      { op: 'replace', path: '/spec/rules', value: rules },
    ];
    try {
      return rulesOf(await patchObject(this.#api, this.#ref(), 'application/json-patch+json', patch, this.#signal));
    } catch (error) {
      if (isFailedTest(error) || (error as { status?: unknown }).status === 404) {
        const canaries = this.#target.services.map((s) => s.canary).join(', ');
        throw this.#conflict(
          conflict,
          `look at it (kubectl get httproute ${this.#route} -n ${this.#target.namespace} -o yaml) and remove any backendRef to ${canaries} by hand; the rules before the canary are in the journal's traffic snapshot`,
        );
      }
      throw error;
    }
  }

  /**
   * Drops Slipway's entry from the route's managedFields once its rules are the original again. The
   * patches left Slipway the owner of `spec.rules` (an Update by manager `slipway`); Helm 4's
   * server-side apply of a chart that changes those rules would then fail with a field conflict. A
   * request that changes nothing but managedFields is taken as given by the API server (a request
   * that also changes the rules would be recorded as Slipway's again, hence a patch of its own).
   * Best effort: a route changed meanwhile keeps the entry.
   */
  async #releaseRules(): Promise<void> {
    const route = await readObject(this.#api, this.#ref(), this.#signal);
    const fields: KubeJson[] = Array.isArray(route?.metadata?.managedFields) ? route.metadata.managedFields : [];
    const others = fields.filter((entry) => entry.manager !== fieldManager);
    // An empty list would mean "leave managedFields as they are" to the API server.
    if (others.length === fields.length || others.length === 0) return;
    const patch = [
      { op: 'test', path: '/metadata/managedFields', value: fields },
      { op: 'replace', path: '/metadata/managedFields', value: others },
    ];
    try {
      await patchObject(this.#api, this.#ref(), 'application/json-patch+json', patch, this.#signal);
    } catch (error) {
      if (!isFailedTest(error) && (error as { status?: unknown }).status !== 404) throw error;
    }
  }

  #conflict(what: string, hint: string): TrafficRouteConflictError {
    return new TrafficRouteConflictError(this.#ref(), what, hint);
  }

  #ref(): CanaryObjectRef {
    return { ...routeKind, namespace: this.#target.namespace, name: this.#route };
  }
}

/**
 * The rules with the canary's share (pure): every backendRef to a stable Service of the release (weight
 * ow, default 1) becomes weight ow·(100−w), followed by one to its canary Service with weight ow·w; every
 * other backendRef's weight is multiplied by 100, so that its share stays what it was. `touched` counts
 * the stable backendRefs found.
 */
export function weightRules(rules: readonly KubeJson[], target: TrafficTarget, routeNamespace: string, weight: number): { rules: KubeJson[]; touched: number } {
  const canaryOf = new Map(target.services.map((s) => [`${s.namespace}/${s.stable}`, s.canary]));
  let touched = 0;
  const out = rules.map((rule) => {
    const refs = backendRefsOf(rule);
    if (!refs.some((ref) => canaryFor(ref, canaryOf, routeNamespace))) return structuredClone(rule);
    const next: KubeJson[] = [];
    for (const ref of refs) {
      const canary = canaryFor(ref, canaryOf, routeNamespace);
      const own = typeof ref.weight === 'number' ? ref.weight : 1;
      if (!canary) {
        next.push({ ...structuredClone(ref), weight: own * 100 });
        continue;
      }
      touched++;
      next.push({ ...structuredClone(ref), weight: own * (100 - weight) });
      next.push({ ...structuredClone(ref), name: canary, weight: own * weight });
    }
    return { ...structuredClone(rule), backendRefs: next };
  });
  return { rules: out, touched };
}

/** The rules without backendRefs to the canary's Services (left by a run that died before it restored them). */
function withoutCanaryRefs(rules: readonly KubeJson[], target: TrafficTarget): KubeJson[] {
  const canaries = new Set(target.services.map((s) => s.canary));
  return rules.map((rule) =>
    Array.isArray(rule.backendRefs)
      ? { ...structuredClone(rule), backendRefs: backendRefsOf(rule).filter((ref) => !canaries.has(String(ref.name))) }
      : structuredClone(rule),
  );
}

function canaryFor(ref: KubeJson, canaryOf: Map<string, string>, routeNamespace: string): string | undefined {
  const isService = (ref.group === undefined || ref.group === '') && (ref.kind === undefined || ref.kind === 'Service');
  if (!isService || typeof ref.name !== 'string') return undefined;
  return canaryOf.get(`${typeof ref.namespace === 'string' ? ref.namespace : routeNamespace}/${ref.name}`);
}

function rulesOf(route: KubeJson): KubeJson[] {
  return Array.isArray(route.spec?.rules) ? (route.spec.rules as KubeJson[]) : [];
}

function backendRefsOf(rule: KubeJson): KubeJson[] {
  return Array.isArray(rule.backendRefs) ? (rule.backendRefs as KubeJson[]) : [];
}
