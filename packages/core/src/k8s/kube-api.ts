import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type * as k8s from '@kubernetes/client-node';
import type * as library from './kube-client-library.ts';
import { explainKubeError, KubeApiError, type KubeRequestContext } from './kube-api-error.ts';

export interface KubeApiOptions {
  /** The kubeconfig file (its current context is used). */
  kubeconfigFile: string;
  /** How long one request may take, the credential plugin's run included. */
  timeoutMs: number;
  signal: AbortSignal;
  /** What a failure's explanation may use: the presented token, the expected audience and tenant. */
  explain?: Pick<KubeRequestContext, 'presentedToken' | 'expected'>;
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

  /** One request with its time limit and the host's cancellation, and its failure explained. */
  async #call<T>(request: string, send: (options: k8s.ConfigurationOptions) => Promise<T>): Promise<T> {
    const timeout = AbortSignal.timeout(this.#options.timeoutMs);
    const signal = AbortSignal.any([this.#options.signal, timeout]);
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
      if (this.#options.signal.aborted) throw this.#options.signal.reason ?? error;
      throw explainKubeError(error, {
        server: this.server,
        request,
        addresses: this.#addresses,
        timeoutMs: this.#options.timeoutMs,
        ...(this.#execCommand ? { execCommand: this.#execCommand } : {}),
        ...this.#options.explain,
      });
    }
  }
}
