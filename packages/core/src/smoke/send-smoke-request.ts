import type { KubeRawRequest, KubeRawResponse } from '../k8s/kube-api.ts';
import type { SmokeResponse } from './evaluate-smoke-response.ts';
import type { SmokeCheck } from './smoke-check.ts';

/**
 * What a service target needs: a request sent through the API server with the kubeconfig's
 * credentials. KubeApi is one; the canary passes the one it already has open.
 */
export interface ServiceProxy {
  rawRequest(request: KubeRawRequest): Promise<KubeRawResponse>;
}

/** A body past this is cut: a smoke check reads a health answer, not a download. */
export const maxBodyBytes = 1024 * 1024;

export interface SendOptions {
  /** Aborts the attempt: cancellation, the attempt's timeout and the overall deadline, combined. */
  signal: AbortSignal;
  timeoutMs: number;
  serviceProxy: ServiceProxy | undefined;
  defaultNamespace: string;
}

/**
 * Sends one attempt of a check and reads the whole response. Redirects are returned, never followed
 * (a 302 to a login page is not a healthy service). Throws what the network or the API server threw.
 */
export async function sendSmokeRequest(check: SmokeCheck, options: SendOptions): Promise<SmokeResponse> {
  const started = performance.now();
  const target = check.target;
  if (target.kind === 'service') {
    if (!options.serviceProxy) throw new Error('a service target needs a Kubernetes API connection');
    const response = await options.serviceProxy.rawRequest({
      method: check.method,
      path: serviceProxyPath(target, options.defaultNamespace),
      headers: { ...check.headers },
      ...(check.body === undefined ? {} : { body: check.body }),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    const body = response.body.length > maxBodyBytes ? response.body.subarray(0, maxBodyBytes) : response.body;
    return { status: response.status, headers: response.headers, body, latencyMs: performance.now() - started };
  }
  const response = await fetch(target.url, {
    method: check.method,
    headers: check.headers,
    ...(check.body === undefined ? {} : { body: check.body }),
    redirect: 'manual',
    signal: options.signal,
  });
  const body = await readBody(response);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, headers, body, latencyMs: performance.now() - started };
}

/**
 * The API server's service proxy path: `/api/v1/namespaces/<ns>/services/<scheme>:<name>:<port>/proxy<path>`
 * (the scheme is left out for http, as kubectl writes it). Names and ports were validated as DNS labels
 * and port names, so nothing needs escaping but the path, which is sent as the check wrote it.
 */
export function serviceProxyPath(target: Extract<SmokeCheck['target'], { kind: 'service' }>, defaultNamespace: string): string {
  const namespace = target.namespace ?? defaultNamespace;
  const service = `${target.scheme === 'https' ? 'https:' : ''}${target.name}:${target.port}`;
  return `/api/v1/namespaces/${namespace}/services/${service}/proxy${target.path}`;
}

async function readBody(response: Response): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
    size += value.byteLength;
    if (size >= maxBodyBytes) {
      await reader.cancel();
      break;
    }
  }
  const body = Buffer.concat(chunks);
  return body.length > maxBodyBytes ? body.subarray(0, maxBodyBytes) : body;
}
