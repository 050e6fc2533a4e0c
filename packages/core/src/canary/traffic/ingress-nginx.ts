import type { CanaryObjectRef } from '../canary-journal.ts';
import { CanaryNameTakenError, TrafficRouteConflictError } from '../derive/canary-errors.ts';
import { canaryLabels, canaryName, canaryOfLabel, canaryRunAnnotation, canarySourceAnnotation, isCanaryObjectOf } from '../derive/canary-labels.ts';
import { type CanaryKubeApi, deleteObject, isFailedTest, type KubeJson, listObjects, patchObject, pointer, readObject } from '../derive/kube-object-client.ts';
import {
  checkWeight,
  type TrafficRouter,
  type TrafficRouterBaseOptions,
  type TrafficTarget,
  type TrafficWeightResult,
  targetFromOptions,
} from './traffic-router.ts';

/** ingress-nginx's canary annotations (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#canary). */
export const nginxCanaryAnnotation = 'nginx.ingress.kubernetes.io/canary';
export const nginxCanaryWeightAnnotation = 'nginx.ingress.kubernetes.io/canary-weight';
/** The weight's denominator: 100 is ingress-nginx's default, written out so that a controller-wide change cannot skew it. */
export const nginxCanaryWeightTotalAnnotation = 'nginx.ingress.kubernetes.io/canary-weight-total';

/** An ingress-nginx router's state in the journal. */
export interface IngressNginxSnapshot {
  provider: 'ingress-nginx';
  version: 1;
  target: TrafficTarget;
  /** The release's Ingress the canary Ingress copies (never modified); undefined until found. */
  stableIngress: string | undefined;
  /** The canary Ingress Slipway creates (`<stable>-canary`), labelled so that removeCanary's sweep finds it too. */
  canaryIngress: string | undefined;
  /** The weight last set (0: restored). */
  weight: number;
}

export interface IngressNginxOptions extends TrafficRouterBaseOptions<IngressNginxSnapshot> {
  /** The stable Ingress; default: the release's only Ingress (by Helm's `meta.helm.sh/release-name` annotation). */
  ingress?: string | undefined;
}

const ingressKind = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' } as const;

/**
 * Traffic by ingress-nginx canary weights (the AKS application routing add-on is ingress-nginx): beside
 * the release's Ingress, a canary Ingress with the same hosts and paths pointing at the canary Services
 * and `nginx.ingress.kubernetes.io/canary: "true"`, `canary-weight: "<w>"` (of `canary-weight-total:
 * "100"`). ingress-nginx merges it into the stable Ingress's server, and ignores most other annotations
 * on it, except the load-balancing and session-affinity ones, which are copied. The stable Ingress is
 * never modified; restore sets the weight to 0, then deletes the canary Ingress.
 */
export class IngressNginxRouter implements TrafficRouter {
  readonly provider = 'ingress-nginx' as const;
  readonly #api: CanaryKubeApi;
  readonly #target: TrafficTarget;
  readonly #signal: AbortSignal | undefined;
  #stable: string | undefined;
  #canary: string | undefined;
  #weight: number;

  constructor(api: CanaryKubeApi, options: IngressNginxOptions) {
    this.#api = api;
    this.#target = targetFromOptions('ingress-nginx', options);
    this.#signal = options.signal;
    this.#stable = options.restoreFrom?.stableIngress ?? options.ingress;
    this.#canary = options.restoreFrom?.canaryIngress ?? (this.#stable ? canaryName(this.#stable, 253) : undefined);
    this.#weight = options.restoreFrom?.weight ?? 0;
  }

  async check(): Promise<string[]> {
    const found = await this.#findStable();
    if (typeof found === 'string') return [found];
    const problems: string[] = [];
    const { name, ingress } = found;
    if (ingress.metadata?.annotations?.[nginxCanaryAnnotation] === 'true')
      problems.push(`Ingress ${name} is itself a canary Ingress (${nginxCanaryAnnotation}: "true"): name the release's main Ingress`);
    const routed = ingressServices(ingress);
    if (!routed.some((service) => this.#target.services.some((s) => s.stable === service))) {
      problems.push(
        `Ingress ${name} routes to ${routed.length ? routed.map((s) => `Service ${s}`).join(', ') : 'no Service'}, not to a Service of release '${this.#target.release}' (${this.#serviceList()})`,
      );
    }
    const canary = await readObject(this.#api, this.#ref(canaryName(name, 253)), this.#signal);
    if (canary && !isCanaryObjectOf(canary.metadata?.labels, this.#target.release)) {
      problems.push(
        `an Ingress named ${canaryName(name, 253)} exists that is not Slipway's canary of release '${this.#target.release}'; Slipway will not change it`,
      );
    }
    return problems;
  }

  async setWeight(percent: number): Promise<TrafficWeightResult> {
    checkWeight(percent);
    const found = await this.#findStable();
    if (typeof found === 'string') {
      throw new TrafficRouteConflictError(
        this.#ref(this.#stable ?? '?'),
        `cannot be used: ${found}`,
        'restore the Ingress (or name the right one), then run again',
      );
    }
    const desired = buildCanaryIngress(found.ingress, this.#target, percent);
    const ref = this.#ref(desired.metadata.name);
    const live = await readObject(this.#api, ref, this.#signal);
    if (live && !isCanaryObjectOf(live.metadata?.labels, this.#target.release)) throw new CanaryNameTakenError([ref], this.#target.release);
    this.#stable = found.name;
    this.#canary = desired.metadata.name;
    await patchObject(this.#api, ref, 'application/apply-patch+yaml', desired, this.#signal);
    this.#weight = percent;
    const backends = [...new Set(ingressServices(desired))].map((s) => `Service/${s}`).join(', ');
    return { requested: percent, effective: percent, detail: `ingress-nginx: Ingress/${desired.metadata.name} canary-weight ${percent}/100 -> ${backends}` };
  }

  async restore(): Promise<void> {
    if (!this.#canary) {
      this.#weight = 0;
      return;
    }
    const ref = this.#ref(this.#canary);
    const live = await readObject(this.#api, ref, this.#signal);
    if (live) {
      if (!isCanaryObjectOf(live.metadata?.labels, this.#target.release)) throw new CanaryNameTakenError([ref], this.#target.release);
      // Weight 0 first: if the delete fails, no traffic goes to the canary meanwhile.
      const patch = [
        { op: 'test', path: `/metadata/labels/${pointer(canaryOfLabel)}`, value: this.#target.release },
        { op: 'add', path: `/metadata/annotations/${pointer(nginxCanaryWeightAnnotation)}`, value: '0' },
      ];
      try {
        await patchObject(this.#api, ref, 'application/json-patch+json', patch, this.#signal);
      } catch (error) {
        if (isFailedTest(error)) throw new CanaryNameTakenError([ref], this.#target.release);
        if (!isNotFound(error)) throw error;
      }
      await deleteObject(this.#api, ref, { propagationPolicy: 'Background', uid: live.metadata?.uid, signal: this.#signal });
    }
    this.#weight = 0;
  }

  snapshot(): IngressNginxSnapshot {
    return {
      provider: 'ingress-nginx',
      version: 1,
      target: structuredClone(this.#target),
      stableIngress: this.#stable,
      canaryIngress: this.#canary,
      weight: this.#weight,
    };
  }

  /** The named Ingress, or the release's only one; a problem in words otherwise. */
  async #findStable(): Promise<{ name: string; ingress: KubeJson } | string> {
    const namespace = this.#target.namespace;
    if (this.#stable) {
      const ingress = await readObject(this.#api, this.#ref(this.#stable), this.#signal);
      return ingress ? { name: this.#stable, ingress } : `Ingress ${this.#stable} does not exist in namespace '${namespace}'`;
    }
    const all = await listObjects(this.#api, ingressKind, namespace, undefined, this.#signal);
    const mine = all.filter(
      (ingress) =>
        ingress.metadata?.annotations?.['meta.helm.sh/release-name'] === this.#target.release &&
        !isCanaryObjectOf(ingress.metadata?.labels, this.#target.release),
    );
    const [only] = mine;
    if (only && mine.length === 1) return { name: String(only.metadata?.name), ingress: only };
    if (mine.length === 0)
      return `release '${this.#target.release}' has no Ingress in namespace '${namespace}': name one (ingress), or use another traffic provider`;
    return `release '${this.#target.release}' has ${mine.length} Ingresses (${mine.map((i) => i.metadata?.name).join(', ')}): name the one to split (ingress)`;
  }

  #serviceList(): string {
    return this.#target.services.map((s) => s.stable).join(', ') || 'it has none';
  }

  #ref(name: string): CanaryObjectRef {
    return { ...ingressKind, namespace: this.#target.namespace, name };
  }
}

/** The canary Ingress as applied (pure, for tests). */
export interface CanaryIngress {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'Ingress';
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: KubeJson;
}

/**
 * The canary Ingress for a stable one at `weight`: the same class, hosts and paths, each path that
 * routes to a stable Service of the release pointing at its canary Service (same port); paths to
 * other backends are left out, so that only the release's traffic is split.
 */
export function buildCanaryIngress(stable: KubeJson, target: TrafficTarget, weight: number): CanaryIngress {
  const canaryOf = new Map(target.services.map((s) => [s.stable, s.canary]));
  const mapBackend = (backend: KubeJson | undefined): KubeJson | undefined => {
    const service = backend?.service;
    const canary = typeof service?.name === 'string' ? canaryOf.get(service.name) : undefined;
    return canary ? { service: { ...structuredClone(service), name: canary } } : undefined;
  };
  const spec: KubeJson = {};
  if (stable.spec?.ingressClassName) spec.ingressClassName = stable.spec.ingressClassName;
  const defaultBackend = mapBackend(stable.spec?.defaultBackend);
  if (defaultBackend) spec.defaultBackend = defaultBackend;
  const rules: KubeJson[] = [];
  for (const rule of Array.isArray(stable.spec?.rules) ? (stable.spec.rules as KubeJson[]) : []) {
    const paths: KubeJson[] = [];
    for (const path of Array.isArray(rule.http?.paths) ? (rule.http.paths as KubeJson[]) : []) {
      const backend = mapBackend(path.backend);
      if (backend) paths.push({ ...structuredClone(path), backend });
    }
    if (paths.length > 0) rules.push({ ...(rule.host ? { host: rule.host } : {}), http: { paths } });
  }
  spec.rules = rules;

  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries((stable.metadata?.annotations ?? {}) as Record<string, string>)) {
    // The class annotation (Ingresses without ingressClassName) and the few nginx settings a canary Ingress honours.
    const honoured = key === 'kubernetes.io/ingress.class' || (key.startsWith('nginx.ingress.kubernetes.io/') && !key.startsWith(nginxCanaryAnnotation));
    if (honoured) annotations[key] = value;
  }
  annotations[nginxCanaryAnnotation] = 'true';
  annotations[nginxCanaryWeightAnnotation] = String(weight);
  annotations[nginxCanaryWeightTotalAnnotation] = '100';
  annotations[canaryRunAnnotation] = target.runId;
  annotations[canarySourceAnnotation] = `Ingress/${stable.metadata?.name}`;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: canaryName(String(stable.metadata?.name), 253), namespace: target.namespace, labels: canaryLabels(target.release), annotations },
    spec,
  };
}

/** The Services an Ingress routes to (default backend and paths), in order, each once. */
function ingressServices(ingress: KubeJson): string[] {
  const names: string[] = [];
  const add = (backend: KubeJson | undefined) => {
    const name = backend?.service?.name;
    if (typeof name === 'string' && !names.includes(name)) names.push(name);
  };
  add(ingress.spec?.defaultBackend);
  for (const rule of Array.isArray(ingress.spec?.rules) ? (ingress.spec.rules as KubeJson[]) : []) {
    for (const path of Array.isArray(rule.http?.paths) ? (rule.http.paths as KubeJson[]) : []) add(path.backend);
  }
  return names;
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 404;
}
