/**
 * An in-memory API server for the routers' unit tests: the typed core client and the custom objects
 * client, as far as the canary code calls them (get, list by label, server-side apply, JSON patch with
 * `test`, merge patch, delete with a uid precondition), answering errors the way KubeApi reports them
 * (KubeApiError with the HTTP status, a failed JSON patch test as kube-apiserver's bare 422). HTTPRoute
 * backendRefs get the CRD's defaults (group, kind, weight), as the real API server stores them.
 */
import { KubeApiError } from '@slipway/core';

type Json = any;

export interface FakeCall {
  verb: string;
  kind: string;
  name: string;
  contentType?: string;
}

export class FakeKubeApi {
  readonly objects = new Map<string, Json>();
  readonly calls: FakeCall[] = [];
  #uid = 0;

  put(object: Json): Json {
    const stored = structuredClone(object);
    stored.metadata.uid ??= `uid-${++this.#uid}`;
    stored.metadata.namespace ??= 'shop';
    this.objects.set(this.#key(stored.kind, stored.metadata.namespace, stored.metadata.name), stored);
    return stored;
  }

  get(kind: string, name: string, namespace = 'shop'): Json | undefined {
    return this.objects.get(this.#key(kind, namespace, name));
  }

  request<T>(_description: string, send: (clients: Json, options: Json) => Promise<T>): Promise<T> {
    return send(this.#clients(), { middleware: [] });
  }

  #key(kind: string, namespace: string, name: string): string {
    return `${kind}/${namespace}/${name}`;
  }

  #contentType(options: Json): string | undefined {
    const headers: Record<string, string> = {};
    for (const middleware of options?.middleware ?? []) middleware.pre({ setHeaderParam: (k: string, v: string) => (headers[k] = v) });
    return headers['Content-Type'];
  }

  #clients(): Json {
    const kindOfPlural: Record<string, string> = { deployments: 'Deployment', statefulsets: 'StatefulSet', ingresses: 'Ingress', httproutes: 'HTTPRoute' };
    const core = new Proxy(
      {},
      {
        get: (_target, method: string) => {
          const match = /^(read|patch|delete|list)Namespaced(.+)$/.exec(method);
          if (!match) return undefined;
          const [, verb = '', kind = ''] = match;
          return (params: Json, options: Json) => this.#handle(verb, kind, params, options);
        },
      },
    );
    const custom = {
      getNamespacedCustomObject: (p: Json, o: Json) => this.#handle('read', kindOfPlural[p.plural] ?? p.plural, p, o),
      patchNamespacedCustomObject: (p: Json, o: Json) => this.#handle('patch', kindOfPlural[p.plural] ?? p.plural, p, o),
      deleteNamespacedCustomObject: (p: Json, o: Json) => this.#handle('delete', kindOfPlural[p.plural] ?? p.plural, p, o),
      listNamespacedCustomObject: (p: Json, o: Json) => this.#handle('list', kindOfPlural[p.plural] ?? p.plural, p, o),
    };
    return { core, custom };
  }

  async #handle(verb: string, kind: string, params: Json, options: Json): Promise<Json> {
    const contentType = verb === 'patch' ? this.#contentType(options) : undefined;
    this.calls.push({ verb, kind, name: params.name ?? '', ...(contentType ? { contentType } : {}) });
    if (kind === 'HTTPRoute' && !this.served.has('HTTPRoute')) throw notFound('the server could not find the requested resource');
    if (verb === 'list') {
      const wanted: string[][] = (params.labelSelector ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair: string) => pair.split('='));
      const items = [...this.objects.values()].filter(
        (o) => o.kind === kind && o.metadata.namespace === params.namespace && wanted.every(([k = '', v]) => o.metadata.labels?.[k] === v),
      );
      return { items: structuredClone(items) };
    }
    const key = this.#key(kind, params.namespace, params.name);
    const live = this.objects.get(key);
    if (verb === 'read') {
      if (!live) throw notFound(`${kind} "${params.name}" not found`);
      return structuredClone(live);
    }
    if (verb === 'delete') {
      if (!live) throw notFound(`${kind} "${params.name}" not found`);
      const uid = params.body?.preconditions?.uid;
      if (uid && uid !== live.metadata.uid) throw new KubeApiError('api', 'precondition failed: uid', { hint: '', status: 409 });
      this.objects.delete(key);
      return { status: 'Success' };
    }
    if (contentType === 'application/apply-patch+yaml') {
      const stored = this.put({ ...structuredClone(params.body), metadata: { ...structuredClone(params.body.metadata), uid: live?.metadata.uid } });
      return structuredClone(stored);
    }
    if (!live) throw notFound(`${kind} "${params.name}" not found`);
    if (contentType === 'application/json-patch+json') {
      const next = applyJsonPatch(live, params.body);
      if (next === undefined)
        throw new KubeApiError('api', `PATCH failed with 422: the server rejected our request due to an error in our request`, { hint: '', status: 422 });
      if (kind === 'HTTPRoute') defaultRoute(next);
      this.objects.set(key, next);
      return structuredClone(next);
    }
    throw new Error(`the fake does not know PATCH ${contentType}`);
  }

  /** Kinds the fake serves beyond the built-in ones. */
  readonly served = new Set<string>(['HTTPRoute']);
}

function notFound(message: string): KubeApiError {
  return new KubeApiError('api', `failed with 404: ${message}`, { hint: '', status: 404 });
}

/** What the Gateway API CRD's schema defaults on a stored HTTPRoute's backendRefs. */
export function defaultRoute(route: Json): void {
  for (const rule of route.spec?.rules ?? []) {
    for (const ref of rule.backendRefs ?? []) {
      ref.group ??= '';
      ref.kind ??= 'Service';
      ref.weight ??= 1;
    }
  }
}

/** RFC 6902 test/add/replace/remove on a copy; undefined when a test fails or a path is missing. */
function applyJsonPatch(target: Json, operations: Json[]): Json | undefined {
  const doc = structuredClone(target);
  for (const op of operations) {
    const parts = String(op.path)
      .split('/')
      .slice(1)
      .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = parts.pop() as string;
    let parent = doc;
    for (const part of parts) {
      parent = parent?.[part];
      if (parent === undefined) return undefined;
    }
    if (op.op === 'test') {
      if (JSON.stringify(canonical(parent?.[last])) !== JSON.stringify(canonical(op.value))) return undefined;
    } else if (op.op === 'add' || op.op === 'replace') {
      if (op.op === 'replace' && parent?.[last] === undefined) return undefined;
      parent[last] = structuredClone(op.value);
    } else if (op.op === 'remove') delete parent[last];
  }
  return doc;
}

function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k])]),
    );
  return value;
}
