import { parseAllDocuments } from 'yaml';
import { ParseError } from '../../errors/index.ts';
import type { CanaryObjectRef } from '../canary-journal.ts';
import { CanaryNotDerivableError } from './canary-errors.ts';
import {
  canaryLabels,
  canaryLabelValue,
  canaryName,
  canaryOfLabel,
  canaryRunAnnotation,
  canarySourceAnnotation,
  managedByLabel,
  trackLabel,
  withoutHelmKeys,
} from './canary-labels.ts';

/** How traffic reaches the canary: by replica count behind the stable Service, or by a router's weights. */
export type TrafficProvider = 'replicas' | 'ingress-nginx' | 'gateway-api';

export interface DeriveCanaryOptions {
  release: string;
  /** The release's namespace: where objects without a namespace of their own go. */
  namespace: string;
  provider: TrafficProvider;
  /** The run creating the canary, written on every canary object. */
  runId: string;
}

/** A Kubernetes object as JSON. */
export interface CanaryObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
  [field: string]: unknown;
}

/** One canaried workload. */
export interface CanaryWorkload {
  kind: 'Deployment' | 'StatefulSet';
  /** The stable workload's name: the key of the replica maps of applyCanary and scaleCanary. */
  stable: string;
  canary: string;
  namespace: string;
  /** `spec.replicas` in the rendered chart (1 when absent, Kubernetes' default); the live count may differ (an HPA). */
  renderedReplicas: number;
  /** The canary's pod selector (`matchLabels`): the stable one, relabelled, plus `slipway.dev/track: canary`. */
  selector: Record<string, string>;
  /** Pod labels whose value the canary changed so that the stable Services do not select its pods (router providers). */
  relabelled: Record<string, { stable: string; canary: string }>;
}

/** A Service of the chart that selects a canaried workload's pods, and its canary copy (same ports, canary pods only). */
export interface CanaryService {
  stable: string;
  canary: string;
  namespace: string;
  /** The stable workloads whose pods the stable Service selects. */
  workloads: string[];
  /** The canary Service's selector. */
  selector: Record<string, string>;
}

/** A ConfigMap or Secret of the chart the canary pods reference, copied so that the canary sees the new values while stable keeps the old. */
export interface CanaryConfig {
  kind: 'ConfigMap' | 'Secret';
  stable: string;
  canary: string;
  namespace: string;
}

/**
 * What a canary of a release consists of. `refs` (every object, in apply order) is what the journal
 * records so that cleanup is total; `objects` are the manifests to apply and hold the chart's **Secret
 * data**: never log or journal them (use {@link summarizeCanaryPlan} for the log).
 */
export interface CanaryPlan {
  release: string;
  namespace: string;
  provider: TrafficProvider;
  runId: string;
  workloads: CanaryWorkload[];
  services: CanaryService[];
  configs: CanaryConfig[];
  refs: CanaryObjectRef[];
  /** What the canary leaves out, and why (DaemonSets, Jobs, autoscalers, LoadBalancer Services...). */
  notes: string[];
  /** The manifests, in apply order (configs, Services, workloads), replicas 0: applyCanary sets them. */
  objects: CanaryObject[];
}

type Json = Record<string, unknown>;

interface Rendered {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  object: Json;
}

/**
 * Derives the canary of a release from its chart rendered with the NEW values (`helm template` output):
 * for each Deployment and StatefulSet (hooks and `helm test` objects left out), a copy named
 * `<name>-canary` whose pods a selector with `slipway.dev/track: canary` sets apart from stable's; for
 * each Service selecting its pods, a canary Service selecting only canary pods; for each ConfigMap and
 * Secret of the chart the canary pods reference, a copy the canary uses instead.
 *
 * With provider `replicas` canary pods keep every label the stable Services select, so those Services
 * send them a share of traffic proportional to replicas. With `ingress-nginx` and `gateway-api` the
 * labels the stable Services select get other values on canary pods (`<value>-canary`), so that only
 * the router sends traffic to the canary, through the canary Services.
 *
 * Pure. Throws a ParseError for YAML that does not parse, a CanaryNotDerivableError for a chart with no
 * Deployment or StatefulSet.
 */
export function deriveCanary(manifest: string, options: DeriveCanaryOptions): CanaryPlan {
  const rendered = renderedObjects(manifest, options.namespace);
  const notes: string[] = [];
  const workloads = rendered.filter((r) => (r.kind === 'Deployment' || r.kind === 'StatefulSet') && r.apiVersion === 'apps/v1');
  for (const other of rendered) {
    if (other.kind === 'DaemonSet')
      notes.push(`DaemonSet/${other.name} is not canaried (it runs one pod per node); it is upgraded with the stable release on promote`);
    if (other.kind === 'Job' || other.kind === 'CronJob') {
      notes.push(
        `${other.kind}/${other.name} is not canaried (it runs to completion, not as a service); it runs when the stable release is upgraded on promote`,
      );
    }
  }
  if (workloads.length === 0) {
    const kinds = [...new Set(rendered.map((r) => r.kind))].join(', ') || 'nothing';
    throw new CanaryNotDerivableError(
      `the chart of release '${options.release}' renders no Deployment or StatefulSet (only ${kinds}): there is nothing to run as a canary`,
      'use strategy direct for this chart, or check the values: a canary needs a Deployment or StatefulSet (apps/v1) that is not a hook',
    );
  }
  const services = rendered.filter((r) => r.kind === 'Service' && isRecord(r.object.spec) && r.object.spec.type !== 'ExternalName' && selectorOf(r).size > 0);
  const configs = new Map(rendered.filter((r) => r.kind === 'ConfigMap' || r.kind === 'Secret').map((r) => [key(r.kind, r.namespace, r.name), r]));
  const autoscalers = rendered.filter((r) => r.kind === 'HorizontalPodAutoscaler');

  const plannedWorkloads: CanaryWorkload[] = [];
  const workloadObjects: CanaryObject[] = [];
  const servicePods = new Map<string, { service: Rendered; workloads: string[]; selector: Record<string, string> }>();
  const copiedConfigs = new Map<string, Rendered>();

  for (const workload of workloads) {
    const spec = record(workload.object.spec);
    const template = record(spec.template);
    const templateMeta = record(template.metadata);
    const podLabels = stringRecord(templateMeta.labels);
    const selecting = services.filter((s) => s.namespace === workload.namespace && [...selectorOf(s)].every(([k, v]) => podLabels[k] === v));
    const selectedKeys = new Set(selecting.flatMap((s) => [...selectorOf(s).keys()]));

    const canaryPodLabels: Record<string, string> = { ...podLabels };
    const relabelled: CanaryWorkload['relabelled'] = {};
    if (options.provider !== 'replicas') {
      for (const labelKey of selectedKeys) {
        const stableValue = podLabels[labelKey] ?? '';
        canaryPodLabels[labelKey] = canaryLabelValue(stableValue);
        relabelled[labelKey] = { stable: stableValue, canary: canaryPodLabels[labelKey] };
      }
    }
    // managed-by only where no Service selects on it: with `replicas` the stable Service must keep selecting canary pods.
    if (!selectedKeys.has(managedByLabel)) canaryPodLabels[managedByLabel] = 'slipway';
    canaryPodLabels[canaryOfLabel] = options.release;
    canaryPodLabels[trackLabel] = 'canary';

    const stableSelector = record(spec.selector);
    const matchLabels: Record<string, string> = {};
    for (const labelKey of Object.keys(stringRecord(stableSelector.matchLabels))) matchLabels[labelKey] = canaryPodLabels[labelKey] ?? '';
    matchLabels[trackLabel] = 'canary';
    const selector: Json = { matchLabels };
    if (Array.isArray(stableSelector.matchExpressions)) {
      selector.matchExpressions = stableSelector.matchExpressions.map((e) => canaryExpression(record(e), podLabels, canaryPodLabels));
    }

    const canary = canaryName(workload.name, workload.kind === 'StatefulSet' ? 52 : 63);
    const podSpec = structuredClone(record(template.spec));
    const rewrite = (kind: 'ConfigMap' | 'Secret', name: string): string => {
      const found = configs.get(key(kind, workload.namespace, name));
      if (!found) return name;
      copiedConfigs.set(key(kind, found.namespace, found.name), found);
      return canaryName(name, 253);
    };
    const external = rewriteConfigRefs(podSpec, rewrite);
    for (const ref of external) {
      notes.push(`${workload.kind}/${workload.name} uses ${ref.kind} ${ref.name}, which the chart does not render: the canary uses it as it is`);
    }

    const canarySpec: Json = { ...structuredClone(spec), replicas: 0, selector };
    canarySpec.template = {
      ...structuredClone(template),
      metadata: {
        ...structuredClone(templateMeta),
        labels: canaryPodLabels,
        annotations: { ...stringRecord(templateMeta.annotations), [canaryRunAnnotation]: options.runId },
      },
      spec: podSpec,
    };
    if (workload.kind === 'StatefulSet') {
      const governing = typeof spec.serviceName === 'string' ? selecting.find((s) => s.name === spec.serviceName) : undefined;
      if (governing) canarySpec.serviceName = canaryName(governing.name);
      // The canary's volumes go with it: a StatefulSet keeps its PVCs after deletion unless told otherwise.
      canarySpec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Delete', whenScaled: 'Delete' };
      if (Array.isArray(spec.volumeClaimTemplates)) {
        canarySpec.volumeClaimTemplates = spec.volumeClaimTemplates.map((claim) => {
          const claimRecord = structuredClone(record(claim));
          const meta = record(claimRecord.metadata);
          return { ...claimRecord, metadata: { ...meta, labels: { ...withoutHelmKeys(stringRecord(meta.labels)), ...canaryLabels(options.release) } } };
        });
      }
    }

    workloadObjects.push({
      apiVersion: workload.apiVersion,
      kind: workload.kind,
      metadata: canaryMetadata(workload, canary, options),
      spec: canarySpec,
    });
    plannedWorkloads.push({
      kind: workload.kind as CanaryWorkload['kind'],
      stable: workload.name,
      canary,
      namespace: workload.namespace,
      renderedReplicas: typeof spec.replicas === 'number' ? spec.replicas : 1,
      selector: matchLabels,
      relabelled,
    });

    for (const service of selecting) {
      const serviceKey = key('Service', service.namespace, service.name);
      const entry = servicePods.get(serviceKey);
      if (entry) entry.workloads.push(workload.name);
      else {
        const serviceSelector: Record<string, string> = {};
        for (const labelKey of selectorOf(service).keys()) serviceSelector[labelKey] = canaryPodLabels[labelKey] ?? '';
        serviceSelector[trackLabel] = 'canary';
        servicePods.set(serviceKey, { service, workloads: [workload.name], selector: serviceSelector });
      }
    }
    if (selecting.length === 0) {
      notes.push(`no Service of the chart selects the pods of ${workload.kind}/${workload.name}: its canary gets no traffic through a Service`);
    }
    for (const hpa of autoscalers) {
      const target = record(record(hpa.object.spec).scaleTargetRef);
      if (target.kind === workload.kind && target.name === workload.name) {
        notes.push(`HorizontalPodAutoscaler/${hpa.name} scales ${workload.kind}/${workload.name}; the canary is not autoscaled (Slipway sets its replicas)`);
      }
    }
  }

  const plannedServices: CanaryService[] = [];
  const serviceObjects: CanaryObject[] = [];
  for (const { service, workloads: selected, selector } of servicePods.values()) {
    const spec = record(service.object.spec);
    const canary = canaryName(service.name);
    if (spec.type === 'LoadBalancer' || spec.type === 'NodePort') {
      notes.push(`Service/${service.name} is of type ${String(spec.type)}: its canary copy ${canary} is ClusterIP (no second load balancer or node port)`);
    }
    const canarySpec: Json = {
      type: 'ClusterIP',
      selector,
      ports: (Array.isArray(spec.ports) ? spec.ports : []).map((port) => pick(record(port), ['name', 'port', 'targetPort', 'protocol', 'appProtocol'])),
    };
    // A headless Service stays headless: a StatefulSet's pods get their DNS names from it.
    if (spec.clusterIP === 'None') canarySpec.clusterIP = 'None';
    if (spec.publishNotReadyAddresses === true) canarySpec.publishNotReadyAddresses = true;
    serviceObjects.push({ apiVersion: 'v1', kind: 'Service', metadata: canaryMetadata(service, canary, options, false), spec: canarySpec });
    plannedServices.push({ stable: service.name, canary, namespace: service.namespace, workloads: selected, selector });
  }

  const plannedConfigs: CanaryConfig[] = [];
  const configObjects: CanaryObject[] = [];
  for (const config of copiedConfigs.values()) {
    const canary = canaryName(config.name, 253);
    const copy: CanaryObject = { apiVersion: config.apiVersion, kind: config.kind, metadata: canaryMetadata(config, canary, options) };
    for (const field of ['type', 'immutable', 'data', 'binaryData', 'stringData']) {
      if (config.object[field] !== undefined) copy[field] = structuredClone(config.object[field]);
    }
    configObjects.push(copy);
    plannedConfigs.push({ kind: config.kind as CanaryConfig['kind'], stable: config.name, canary, namespace: config.namespace });
  }

  const objects = [...configObjects, ...serviceObjects, ...workloadObjects];
  return {
    release: options.release,
    namespace: options.namespace,
    provider: options.provider,
    runId: options.runId,
    workloads: plannedWorkloads,
    services: plannedServices,
    configs: plannedConfigs,
    refs: objects.map(refOf),
    notes,
    objects,
  };
}

/** The journal's and the log's view of a canary object. */
export function refOf(object: Pick<CanaryObject, 'apiVersion' | 'kind' | 'metadata'>): CanaryObjectRef {
  return { apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name };
}

/**
 * One line per canary object and note, for the log: names and kinds only, never a manifest (the plan's
 * Secrets hold the chart's secret data).
 */
export function summarizeCanaryPlan(plan: CanaryPlan): string[] {
  return [
    ...plan.workloads.map((w) => `canary: ${w.kind}/${w.canary} beside ${w.kind}/${w.stable}`),
    ...plan.services.map((s) => `canary: Service/${s.canary} beside Service/${s.stable} (pods of ${s.workloads.join(', ')})`),
    ...plan.configs.map((c) => `canary: ${c.kind}/${c.canary}, a copy of ${c.kind}/${c.stable} with the new values`),
    ...plan.notes.map((note) => `canary: note: ${note}`),
  ];
}

function canaryMetadata(source: Rendered, name: string, options: DeriveCanaryOptions, keepAnnotations = true): CanaryObject['metadata'] {
  const metadata = record(source.object.metadata);
  return {
    name,
    namespace: source.namespace,
    labels: { ...withoutHelmKeys(stringRecord(metadata.labels)), ...canaryLabels(options.release) },
    annotations: {
      ...(keepAnnotations ? withoutHelmKeys(stringRecord(metadata.annotations)) : {}),
      [canaryRunAnnotation]: options.runId,
      [canarySourceAnnotation]: `${source.kind}/${source.name}`,
    },
  };
}

/** A selector expression on a relabelled key, made to select the canary's value instead of stable's. */
function canaryExpression(expression: Json, stable: Record<string, string>, canary: Record<string, string>): Json {
  const labelKey = typeof expression.key === 'string' ? expression.key : '';
  const from = stable[labelKey];
  const to = canary[labelKey];
  if (to === undefined || from === to || !Array.isArray(expression.values)) return structuredClone(expression);
  if (expression.operator === 'In') return { ...expression, values: [to] };
  if (expression.operator === 'NotIn') return { ...expression, values: expression.values.filter((value) => value !== to) };
  return structuredClone(expression);
}

/**
 * Points the pod spec's references to the chart's ConfigMaps and Secrets (volumes, projected volumes,
 * env valueFrom, envFrom, in every kind of container) at their canary copies; returns the references
 * left as they are because the chart does not render them.
 */
function rewriteConfigRefs(podSpec: Json, rewrite: (kind: 'ConfigMap' | 'Secret', name: string) => string): { kind: string; name: string }[] {
  const external = new Map<string, { kind: string; name: string }>();
  const swap = (holder: unknown, field: string, kind: 'ConfigMap' | 'Secret') => {
    if (!isRecord(holder) || typeof holder[field] !== 'string') return;
    const name = holder[field];
    const next = rewrite(kind, name);
    if (next === name) external.set(`${kind}/${name}`, { kind, name });
    holder[field] = next;
  };
  for (const volume of array(podSpec.volumes)) {
    swap(volume.configMap, 'name', 'ConfigMap');
    swap(volume.secret, 'secretName', 'Secret');
    for (const source of array(record(volume.projected).sources)) {
      swap(source.configMap, 'name', 'ConfigMap');
      swap(source.secret, 'name', 'Secret');
    }
  }
  for (const container of [...array(podSpec.initContainers), ...array(podSpec.containers), ...array(podSpec.ephemeralContainers)]) {
    for (const env of array(container.env)) {
      const from = record(env.valueFrom);
      swap(from.configMapKeyRef, 'name', 'ConfigMap');
      swap(from.secretKeyRef, 'name', 'Secret');
    }
    for (const source of array(container.envFrom)) {
      swap(source.configMapRef, 'name', 'ConfigMap');
      swap(source.secretRef, 'name', 'Secret');
    }
  }
  return [...external.values()];
}

/** The release's own objects of a rendered manifest: hooks (and `helm test` objects, which are hooks) left out, Lists opened. */
function renderedObjects(manifest: string, defaultNamespace: string): Rendered[] {
  const out: Rendered[] = [];
  for (const document of parseAllDocuments(manifest)) {
    const problem = document.errors[0];
    if (problem) throw new ParseError('the rendered manifest', manifest.slice(Math.max(0, (problem.pos[0] ?? 0) - 40)), { cause: problem });
    for (const object of objectsIn(document.toJS({ maxAliasCount: 100 }))) {
      const metadata = record(object.metadata);
      if (typeof object.kind !== 'string' || typeof object.apiVersion !== 'string' || typeof metadata.name !== 'string') continue;
      if (stringRecord(metadata.annotations)['helm.sh/hook'] !== undefined) continue;
      const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : defaultNamespace;
      out.push({ apiVersion: object.apiVersion, kind: object.kind, name: metadata.name, namespace, object });
    }
  }
  return out;
}

function objectsIn(value: unknown): Json[] {
  if (!isRecord(value)) return [];
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) return value.items.flatMap(objectsIn);
  return [value];
}

function selectorOf(service: Rendered): Map<string, string> {
  return new Map(Object.entries(stringRecord(record(service.object.spec).selector)));
}

function key(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

function pick(source: Json, fields: string[]): Json {
  const out: Json = {};
  for (const field of fields) if (source[field] !== undefined) out[field] = source[field];
  return out;
}

function array(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function record(value: unknown): Json {
  return isRecord(value) ? value : {};
}

/** Labels and annotations as strings (YAML may have made `version: 1` a number). */
function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(value))) if (v !== null && v !== undefined) out[k] = String(v);
  return out;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
