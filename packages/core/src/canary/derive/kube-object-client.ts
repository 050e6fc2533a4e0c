import type * as k8s from '@kubernetes/client-node';
import { InternalError } from '../../errors/index.ts';
import type { KubeApi, KubeClients } from '../../k8s/kube-api.ts';
import { KubeApiError } from '../../k8s/kube-api-error.ts';
import type { CanaryObjectRef } from '../canary-journal.ts';

/** What the canary code needs of a KubeApi (a fake in unit tests). */
export type CanaryKubeApi = Pick<KubeApi, 'request'>;

/** A cluster object as JSON. */
// biome-ignore lint/suspicious/noExplicitAny: objects of several kinds, narrowed where read.
export type KubeJson = Record<string, any>;

/** Content types of a PATCH: server-side apply, JSON patch (with `test`), JSON merge patch. */
export type PatchType = 'application/apply-patch+yaml' | 'application/json-patch+json' | 'application/merge-patch+json';

/** The field manager of every change Slipway makes to canary and traffic objects. */
export const fieldManager = 'slipway';

type Send<T> = (clients: KubeClients, options: k8s.ConfigurationOptions) => Promise<T>;

interface KindClient {
  read(name: string, namespace: string): Send<unknown>;
  patch(name: string, namespace: string, body: unknown, force: boolean | undefined): Send<unknown>;
  remove(name: string, namespace: string, propagationPolicy: string, uid: string | undefined): Send<unknown>;
  list(namespace: string, labelSelector: string | undefined): Send<{ items: unknown[] }>;
}

type CoreNoun = 'Service' | 'ConfigMap' | 'Secret' | 'PersistentVolumeClaim' | 'Pod';

// The typed core client for core kinds: CustomObjectsApi only knows `/apis/<group>`, not the core `/api/v1`.
function coreKind(noun: CoreNoun): KindClient {
  return {
    read: (name, namespace) => (c, o) => c.core[`readNamespaced${noun}`]({ name, namespace }, o),
    patch: (name, namespace, body, force) => (c, o) => c.core[`patchNamespaced${noun}`]({ name, namespace, body, fieldManager, force }, o),
    remove: (name, namespace, propagationPolicy, uid) => (c, o) =>
      c.core[`deleteNamespaced${noun}`]({ name, namespace, propagationPolicy, body: { propagationPolicy, ...(uid ? { preconditions: { uid } } : {}) } }, o),
    list: (namespace, labelSelector) => (c, o) => c.core[`listNamespaced${noun}`]({ namespace, labelSelector }, o),
  };
}

function groupKind(group: string, version: string, plural: string): KindClient {
  const where = { group, version, plural };
  return {
    read: (name, namespace) => (c, o) => c.custom.getNamespacedCustomObject({ ...where, namespace, name }, o),
    patch: (name, namespace, body, force) => (c, o) => c.custom.patchNamespacedCustomObject({ ...where, namespace, name, body, fieldManager, force }, o),
    remove: (name, namespace, propagationPolicy, uid) => (c, o) =>
      c.custom.deleteNamespacedCustomObject(
        { ...where, namespace, name, propagationPolicy, body: { propagationPolicy, ...(uid ? { preconditions: { uid } } : {}) } },
        o,
      ),
    list: (namespace, labelSelector) => (c, o) =>
      c.custom.listNamespacedCustomObject({ ...where, namespace, labelSelector }, o) as Promise<{ items: unknown[] }>,
  };
}

/** The kinds Slipway creates for a canary (and the HTTPRoute it edits), by `apiVersion/kind`. */
const kinds: Record<string, KindClient> = {
  'v1/Service': coreKind('Service'),
  'v1/ConfigMap': coreKind('ConfigMap'),
  'v1/Secret': coreKind('Secret'),
  'v1/PersistentVolumeClaim': coreKind('PersistentVolumeClaim'),
  'v1/Pod': coreKind('Pod'),
  'apps/v1/Deployment': groupKind('apps', 'v1', 'deployments'),
  'apps/v1/StatefulSet': groupKind('apps', 'v1', 'statefulsets'),
  'networking.k8s.io/v1/Ingress': groupKind('networking.k8s.io', 'v1', 'ingresses'),
  'gateway.networking.k8s.io/v1/HTTPRoute': groupKind('gateway.networking.k8s.io', 'v1', 'httproutes'),
};

/** The kinds {@link removeCanary} sweeps by label: every kind a canary object can be. */
export const canaryKinds: readonly Pick<CanaryObjectRef, 'apiVersion' | 'kind'>[] = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
];

function clientOf(ref: Pick<CanaryObjectRef, 'apiVersion' | 'kind'>): KindClient {
  const found = kinds[`${ref.apiVersion}/${ref.kind}`];
  if (!found) throw new InternalError(`Slipway does not manage ${ref.kind} (${ref.apiVersion}) objects of a canary`);
  return found;
}

/** Plain JSON: the typed core client returns class instances, the custom one plain objects. */
function plain(value: unknown): KubeJson {
  return JSON.parse(JSON.stringify(value ?? {})) as KubeJson;
}

/** The one method of client-node's Observable its request pipeline calls: a value import of the library would bundle it into every step. */
function resolved<T>(value: T): k8s.Observable<T> {
  return { toPromise: () => Promise.resolve(value) } as unknown as k8s.Observable<T>;
}

function withContentType(options: k8s.ConfigurationOptions, contentType: PatchType): k8s.ConfigurationOptions {
  // The generated clients send a JSON patch content type whatever the body is; the header is what the API server goes by.
  const header = {
    pre: (context: k8s.RequestContext) => {
      context.setHeaderParam('Content-Type', contentType);
      return resolved(context);
    },
    post: (context: k8s.ResponseContext) => resolved(context),
  };
  return { ...options, middleware: [...(options.middleware ?? []), header], middlewareMergeStrategy: 'append' };
}

/** `GET`: the object, or undefined when there is none (404). */
export async function readObject(api: CanaryKubeApi, ref: CanaryObjectRef, signal?: AbortSignal): Promise<KubeJson | undefined> {
  try {
    return plain(await api.request(`GET ${ref.kind} ${ref.name} in namespace ${ref.namespace}`, clientOf(ref).read(ref.name, ref.namespace), signal));
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** `PATCH` of one kind (server-side apply with `force`, JSON patch, merge patch): the object as stored after it. */
export async function patchObject(api: CanaryKubeApi, ref: CanaryObjectRef, type: PatchType, body: unknown, signal?: AbortSignal): Promise<KubeJson> {
  const verb = type === 'application/apply-patch+yaml' ? 'APPLY' : 'PATCH';
  const send = clientOf(ref).patch(ref.name, ref.namespace, body, type === 'application/apply-patch+yaml' ? true : undefined);
  return plain(await api.request(`${verb} ${ref.kind} ${ref.name} in namespace ${ref.namespace}`, (c, o) => send(c, withContentType(o, type)), signal));
}

/**
 * `DELETE` with a propagation policy, and with the uid of the object the caller checked as a
 * precondition (so that an object replaced since is not deleted unseen): 'deleted', or 'gone' when it
 * was already (404).
 */
export async function deleteObject(
  api: CanaryKubeApi,
  ref: CanaryObjectRef,
  options: { propagationPolicy: 'Foreground' | 'Background'; uid?: string | undefined; signal?: AbortSignal | undefined },
): Promise<'deleted' | 'gone'> {
  try {
    await api.request(
      `DELETE ${ref.kind} ${ref.name} in namespace ${ref.namespace}`,
      clientOf(ref).remove(ref.name, ref.namespace, options.propagationPolicy, options.uid),
      options.signal,
    );
    return 'deleted';
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return 'gone';
    throw error;
  }
}

/** `LIST` by label selector; an empty list when the kind is not served (a 404 on the collection). */
export async function listObjects(
  api: CanaryKubeApi,
  kind: Pick<CanaryObjectRef, 'apiVersion' | 'kind'>,
  namespace: string,
  labelSelector: string | undefined,
  signal?: AbortSignal,
): Promise<KubeJson[]> {
  try {
    const list = await api.request(
      `LIST ${kind.kind} in namespace ${namespace}${labelSelector ? ` (${labelSelector})` : ''}`,
      clientOf(kind).list(namespace, labelSelector),
      signal,
    );
    return (list.items ?? []).map(plain);
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return [];
    throw error;
  }
}

/** True when the API server serves `kind` (its collection answers), e.g. HTTPRoute once the Gateway API CRDs are installed. */
export async function isKindServed(
  api: CanaryKubeApi,
  kind: Pick<CanaryObjectRef, 'apiVersion' | 'kind'>,
  namespace: string,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await api.request(`LIST ${kind.kind} in namespace ${namespace}`, clientOf(kind).list(namespace, undefined), signal);
    return true;
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return false;
    throw error;
  }
}

/** A JSON pointer segment (RFC 6901): `slipway.dev/canary-of` is `slipway.dev~1canary-of`. */
export function pointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * A JSON patch whose `test` failed (or whose tested path is missing): kube-apiserver answers 422 with
 * the bare Status message below, where a patch that makes the object invalid names the object and field.
 */
export function isFailedTest(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 422 && /rejected our request due to an error in our request/.test(error.message);
}

/** Equal as JSON, whatever the order of object keys (the API server sorts what it stores). */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
