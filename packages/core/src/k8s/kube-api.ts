import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type * as k8s from '@kubernetes/client-node';
import type * as library from './kube-client-library.ts';
import { timeLimit } from '../concurrency/time-limit.ts';
import { explainKubeError, KubeApiError, type KubeRequestContext } from './kube-api-error.ts';

export interface KubeApiOptions {
  /** The kubeconfig file (its current context is used, unless `context` names another). */
  kubeconfigFile: string;
  context?: string | undefined;
  /** How long one request may take, the credential plugin's run included. */
  timeoutMs: number;
  signal: AbortSignal;
  /** What a failure's explanation may use: the presented token, the expected audience and tenant. */
  explain?: Pick<KubeRequestContext, 'presentedToken' | 'expected'>;
}

/** The typed API groups a request may use, made once per KubeApi. */
export interface KubeClients {
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly batch: k8s.BatchV1Api;
  readonly coordination: k8s.CoordinationV1Api;
  readonly networking: k8s.NetworkingV1Api;
  /** Objects of kinds without a typed client here (HTTPRoute...), by group/version/plural. */
  readonly custom: k8s.CustomObjectsApi;
}

/** A request sent as it is (the API server's service proxy): status, headers and body, whatever the status. */
export interface KubeRawRequest {
  method: string;
  /** From the server's root: `/api/v1/namespaces/ns/services/web:80/proxy/healthz?x=1`. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface KubeRawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A watch event: ADDED, MODIFIED, DELETED, BOOKMARK (ERROR events end the watch with a KubeApiError). */
export interface KubeWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  // biome-ignore lint/suspicious/noExplicitAny: a watch streams the JSON of whatever kind the path names; callers narrow it.
  object: any;
}

/** A running watch: `stop()` ends it; `ended` settles when it ends (rejects with a KubeApiError when the server or the network ended it in error). */
export interface KubeWatch {
  stop(): void;
  readonly ended: Promise<void>;
}

export interface KubeServerVersion {
  /** `v1.31.2`. */
  gitVersion: string;
  platform: string;
}

/** Who the API server says the caller is (SelfSubjectReview, authentication.k8s.io/v1). */
export interface KubeIdentity {
  username: string;
  groups: string[];
  uid: string | undefined;
}

/**
 * The Kubernetes API through @kubernetes/client-node, for one kubeconfig: the single place Slipway talks
 * to an API server, so that every failure is explained the same way (KubeApiError) and every request
 * has a time limit and follows cancellation. The client library is loaded when a KubeApi is opened, never
 * by a step that does not talk to a cluster.
 */
export class KubeApi {
  readonly server: string;
  readonly #config: k8s.KubeConfig;
  readonly #lib: typeof library;
  readonly #options: KubeApiOptions;
  readonly #addresses: string[];
  readonly #execCommand: string | undefined;
  #clients: KubeClients | undefined;

  private constructor(lib: typeof library, config: k8s.KubeConfig, options: KubeApiOptions, addresses: string[]) {
    this.#lib = lib;
    this.#config = config;
    this.#options = options;
    this.#addresses = addresses;
    this.server = config.getCurrentCluster()?.server ?? '';
    this.#execCommand = config.getCurrentUser()?.exec?.command;
  }

  /**
   * Loads the kubeconfig and resolves the server's name first, so that a name that does not resolve
   * (a private cluster's, seen from outside its network) is reported at once, not after a connect timeout.
   */
  static async open(options: KubeApiOptions): Promise<KubeApi> {
    const lib = await import('./kube-client-library.ts');
    const config = new lib.KubeConfig();
    config.loadFromFile(options.kubeconfigFile);
    if (options.context) config.setCurrentContext(options.context);
    const server = config.getCurrentCluster()?.server ?? '';
    let addresses: string[] = [];
    const host = new URL(server).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) === 0) {
      try {
        addresses = (await lookup(host, { all: true })).map((entry) => entry.address);
      } catch (error) {
        throw explainKubeError(error, { server, request: `resolving ${host}` });
      }
    } else addresses = [host];
    return new KubeApi(lib, config, options, addresses);
  }

  /** GET /version. */
  async serverVersion(): Promise<KubeServerVersion> {
    const info = await this.#call('GET /version', (options) => this.#config.makeApiClient(this.#lib.VersionApi).getCode({}, options));
    return { gitVersion: info.gitVersion, platform: info.platform };
  }

  /**
   * Who the API server takes the caller for (POST SelfSubjectReview, GA in Kubernetes 1.28); undefined
   * from an API server that does not serve it (404), which is no reason to fail.
   */
  async whoAmI(): Promise<KubeIdentity | undefined> {
    try {
      const review = await this.#call('POST selfsubjectreviews (authentication.k8s.io/v1)', (options) =>
        this.#config
          .makeApiClient(this.#lib.AuthenticationV1Api)
          .createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } }, options),
      );
      const user = review.status?.userInfo;
      return { username: user?.username ?? '', groups: user?.groups ?? [], uid: user?.uid };
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** GET pods in `namespace` (one at most): what a deploy must be allowed to watch there. */
  async listPods(namespace: string, limit = 1): Promise<number> {
    const list = await this.#call(`GET pods in namespace ${namespace}`, (options) =>
      this.#config.makeApiClient(this.#lib.CoreV1Api).listNamespacedPod({ namespace, limit }, options),
    );
    return list.items.length;
  }

  /** The API groups, for {@link request}. */
  get clients(): KubeClients {
    this.#clients ??= {
      core: this.#config.makeApiClient(this.#lib.CoreV1Api),
      apps: this.#config.makeApiClient(this.#lib.AppsV1Api),
      batch: this.#config.makeApiClient(this.#lib.BatchV1Api),
      coordination: this.#config.makeApiClient(this.#lib.CoordinationV1Api),
      networking: this.#config.makeApiClient(this.#lib.NetworkingV1Api),
      custom: this.#config.makeApiClient(this.#lib.CustomObjectsApi),
    };
    return this.#clients;
  }

  /**
   * One request through a typed client, e.g.
   * `api.request('GET lease x', (c, o) => c.coordination.readNamespacedLease({ name, namespace }, o))`:
   * with the request time limit, the cancellation signal (`signal` overrides the one the KubeApi was opened
   * with, for a rollback that must outlive a cancelled run), and its failure explained as a KubeApiError.
   */
  request<T>(description: string, send: (clients: KubeClients, options: k8s.ConfigurationOptions) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.#call(description, (options) => send(this.clients, options), signal);
  }

  /**
   * One HTTP request to the API server with the kubeconfig's credentials (client certificate, token,
   * exec plugin), returned whatever its status: what the service proxy answered is the caller's to judge.
   * Network failures and the time limit throw a KubeApiError.
   */
  async rawRequest(request: KubeRawRequest): Promise<KubeRawResponse> {
    const base = new URL(this.server);
    // The server URL may carry a path prefix (a proxy in front of the API server).
    const url = new URL(`${base.pathname.replace(/\/$/, '')}${request.path}`, base.origin);
    const options: https.RequestOptions = { method: request.method, headers: { ...request.headers } };
    await this.#config.applyToHTTPSOptions(options);
    const timeoutMs = request.timeoutMs ?? this.#options.timeoutMs;
    const limit = timeLimit(timeoutMs, request.signal ?? this.#options.signal);
    const signal = limit.signal;
    const send = url.protocol === 'http:' ? http.request : https.request;
    const describe = `${request.method} ${request.path.split('?')[0]}`;
    try {
      return await new Promise<KubeRawResponse>((resolve, reject) => {
        const outgoing = send(url, { ...options, signal }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
          response.on('error', reject);
        });
        outgoing.on('error', reject);
        outgoing.end(request.body);
      });
    } catch (error) {
      if ((request.signal ?? this.#options.signal).aborted) throw (request.signal ?? this.#options.signal).reason ?? error;
      throw explainKubeError(error, { server: this.server, request: describe, addresses: this.#addresses, timeoutMs, ...this.#options.explain });
    } finally {
      limit.clear();
    }
  }

  /**
   * Watches `path` (e.g. `/api/v1/namespaces/ns/pods`) from `query.resourceVersion`, calling `onEvent` for
   * each change. The server ends a watch after some minutes (and on `timeoutSeconds`): `ended` resolves
   * then, and the caller resumes from the last resourceVersion it saw (a 410 Gone means list again).
   */
  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (event: KubeWatchEvent) => void,
    signal?: AbortSignal,
  ): Promise<KubeWatch> {
    const cancel = signal ?? this.#options.signal;
    const context = { server: this.server, request: `WATCH ${path}`, addresses: this.#addresses, ...this.#options.explain };
    let settle!: { resolve: () => void; reject: (error: unknown) => void };
    const ended = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Nobody may be awaiting `ended` yet when a watch fails; the caller still sees the rejection when it does.
    ended.catch(() => undefined);
    let stopped = false;
    const onCallback = (type: string, object: unknown) => {
      if (type === 'ERROR') {
        const status = object as { code?: number; message?: string; reason?: string };
        stopped = true;
        controller?.abort();
        settle.reject(
          new KubeApiError('api', `WATCH ${path} ended: ${status.code ?? ''} ${status.reason ?? ''} ${status.message ?? ''}`.trim(), {
            hint: status.code === 410 ? 'the resourceVersion is too old: list again and watch from the new one' : 'watch again',
            status: status.code,
          }),
        );
        return;
      }
      if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED' || type === 'BOOKMARK') onEvent({ type, object });
    };
    const onDone = (error: unknown) => {
      if (stopped || cancel.aborted || error === null || error === undefined || (error instanceof Error && error.name === 'AbortError')) settle.resolve();
      else settle.reject(explainKubeError(error, context));
      stopped = true;
    };
    let controller: AbortController | undefined;
    try {
      controller = await new this.#lib.Watch(this.#config).watch(path, query, onCallback, onDone);
    } catch (error) {
      if (cancel.aborted) throw cancel.reason ?? error;
      throw explainKubeError(error, context);
    }
    const stop = () => {
      if (!stopped) {
        stopped = true;
        controller?.abort();
        settle.resolve();
      }
    };
    if (cancel.aborted) stop();
    else cancel.addEventListener('abort', stop, { once: true });
    // Both ways: a `.finally` chain would be a second promise that rejects, unhandled, when `ended` does.
    const cleanup = () => cancel.removeEventListener('abort', stop);
    void ended.then(cleanup, cleanup);
    return { stop, ended };
  }

  /** One request with its time limit and the host's cancellation, and its failure explained. */
  async #call<T>(request: string, send: (options: k8s.ConfigurationOptions) => Promise<T>, cancel: AbortSignal = this.#options.signal): Promise<T> {
    const limit = timeLimit(this.#options.timeoutMs, cancel);
    const signal = limit.signal;
    const middleware = {
      pre: (context: k8s.RequestContext) => {
        context.setSignal(signal);
        return new this.#lib.Observable(Promise.resolve(context));
      },
      post: (context: k8s.ResponseContext) => new this.#lib.Observable(Promise.resolve(context)),
    };
    try {
      return await send({ middleware: [middleware], middlewareMergeStrategy: 'append' });
    } catch (error) {
      // Cancelled by the host: not the server's fault, and no explanation would be true.
      if (cancel.aborted) throw cancel.reason ?? error;
      throw explainKubeError(error, {
        server: this.server,
        request,
        addresses: this.#addresses,
        timeoutMs: this.#options.timeoutMs,
        ...(this.#execCommand ? { execCommand: this.#execCommand } : {}),
        ...this.#options.explain,
      });
    } finally {
      limit.clear();
    }
  }
}
