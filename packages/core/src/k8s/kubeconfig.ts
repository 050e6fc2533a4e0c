import { parseDocument, stringify } from 'yaml';
import { SlipwayError } from '../errors/index.ts';

/** A kubeconfig that cannot be used: not YAML, or no current context, cluster or user to follow. */
export class KubeconfigError extends SlipwayError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('KUBECONFIG_INVALID', message, 3, options);
  }
}

type Entry = Record<string, unknown>;

/** The context kubectl uses, with the names it points at. */
export interface KubeconfigContext {
  name: string;
  cluster: string;
  user: string;
  namespace: string | undefined;
}

/**
 * A kubeconfig (clientcmd's v1 Config) as a document to read and rewrite: the current context, its
 * cluster's server, its user entry. Fields Slipway does not touch (extensions, preferences, other
 * contexts) are written back as they were read.
 */
export class Kubeconfig {
  readonly #document: Entry;

  private constructor(document: Entry) {
    this.#document = document;
  }

  /** Parses a kubeconfig and checks that its current context leads to a cluster with a server and to a user. */
  static parse(text: string, what = 'the kubeconfig'): Kubeconfig {
    const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
    const [problem] = document.errors;
    if (problem) throw new KubeconfigError(`${what} is not YAML: ${problem.message.split('\n')[0]}`);
    const value: unknown = document.toJS();
    // clientcmd accepts a document without `kind`; one with another kind is something else.
    if (!isEntry(value) || (value.kind !== undefined && value.kind !== 'Config')) throw new KubeconfigError(`${what} is not a kubeconfig (kind: Config)`);
    const config = new Kubeconfig(value);
    const context = config.currentContext;
    if (!config.#named('clusters', context.cluster))
      throw new KubeconfigError(`${what}: context '${context.name}' names cluster '${context.cluster}', which it does not define`);
    if (!config.#named('users', context.user))
      throw new KubeconfigError(`${what}: context '${context.name}' names user '${context.user}', which it does not define`);
    if (!config.server) throw new KubeconfigError(`${what}: cluster '${context.cluster}' has no server URL`);
    return config;
  }

  get currentContext(): KubeconfigContext {
    const name = this.#document['current-context'];
    if (typeof name !== 'string' || name === '') throw new KubeconfigError('the kubeconfig has no current-context');
    const entry = this.#named('contexts', name);
    const context = entry?.context;
    if (!isEntry(context) || typeof context.cluster !== 'string' || typeof context.user !== 'string') {
      throw new KubeconfigError(`the kubeconfig's current context '${name}' is missing or has no cluster and user`);
    }
    return { name, cluster: context.cluster, user: context.user, namespace: typeof context.namespace === 'string' ? context.namespace : undefined };
  }

  /** A context by name, or undefined when the kubeconfig has none of that name. */
  context(name: string): KubeconfigContext | undefined {
    const context = this.#named('contexts', name)?.context;
    if (!isEntry(context) || typeof context.cluster !== 'string' || typeof context.user !== 'string') return undefined;
    return { name, cluster: context.cluster, user: context.user, namespace: typeof context.namespace === 'string' ? context.namespace : undefined };
  }

  /** The API server URL of the current context's cluster. */
  get server(): string {
    const cluster = this.#named('clusters', this.currentContext.cluster)?.cluster;
    return isEntry(cluster) && typeof cluster.server === 'string' ? cluster.server : '';
  }

  /** The `user` object of the current context's user (token, client certificate, exec or auth-provider). */
  get user(): Entry {
    const user = this.#named('users', this.currentContext.user)?.user;
    return isEntry(user) ? user : {};
  }

  /** Replaces the current context's user with `user` (its name stays). */
  setUser(user: Entry): void {
    const entry = this.#named('users', this.currentContext.user);
    if (entry) entry.user = user;
  }

  /** Makes `namespace` the current context's namespace, as `kubectl config set-context --current --namespace` does. */
  setNamespace(namespace: string): void {
    const context = this.#named('contexts', this.currentContext.name)?.context;
    if (isEntry(context)) context.namespace = namespace;
  }

  toYaml(): string {
    return stringify(this.#document, { lineWidth: 0 });
  }

  #named(list: 'clusters' | 'contexts' | 'users', name: string): Entry | undefined {
    const entries = this.#document[list];
    return Array.isArray(entries) ? entries.find((entry): entry is Entry => isEntry(entry) && entry.name === name) : undefined;
  }
}

function isEntry(value: unknown): value is Entry {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
