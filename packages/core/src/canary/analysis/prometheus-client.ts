import { timeLimit } from '../../concurrency/time-limit.ts';
import { CancelledError } from '../../errors/index.ts';
import { type PrometheusError, type PrometheusQueryResult, parsePrometheusResponse } from './prometheus-response.ts';

/** Supplies a bearer token for each request (Azure Monitor managed Prometheus); called before every query. */
export type PrometheusTokenSupplier = (signal: AbortSignal) => Promise<string>;

export interface PrometheusClientOptions {
  /**
   * Prometheus' base URL (`http://prometheus:9090`, a path prefix is kept, or an Azure Monitor
   * workspace's query endpoint); `/api/v1/query` is appended unless the URL already ends with it.
   * A private CA is trusted through NODE_EXTRA_CA_CERTS, as for every other HTTPS call.
   */
  url: string;
  /**
   * `POST` (default) sends the query as a form, so long queries never meet a URL length limit; on a
   * 405 the query is sent again as `GET`, as Prometheus' own Go client does (client_golang
   * `DoGetFallback`) for proxies that allow only GET.
   */
  method?: 'GET' | 'POST';
  /** The time limit of one request, token included; default 10 s. */
  timeoutMs?: number;
  /** For a Prometheus behind Entra ID (managed Prometheus) or any bearer-token gateway. */
  getToken?: PrometheusTokenSupplier;
  /** Replaces the global fetch (tests, or a fetch with its own dispatcher). */
  fetch?: typeof globalThis.fetch;
}

export interface PrometheusQueryOptions {
  /** The caller's cancellation: a cancelled query throws (signal.reason, or a CancelledError), it is not an outcome. */
  signal?: AbortSignal;
  /** Evaluation time; default: Prometheus' now. */
  time?: Date;
}

/**
 * Whether a query can be used, asked before anything changes:
 * - `ok`: Prometheus evaluated it (whatever the data said now: before the canary exists, its series
 *   cannot exist either, so no data or several series prove nothing yet); `result` is that answer;
 * - `rejected`: the query is wrong whatever the data (it does not parse, or it returns a range vector
 *   or a string): bad input, with Prometheus' message;
 * - `unreachable`: no verdict about the query, because of the environment (network, auth, 5xx).
 */
export type QueryCheck =
  | { readonly kind: 'ok'; readonly result: PrometheusQueryResult }
  | { readonly kind: 'rejected'; readonly message: string; readonly hint?: string }
  | { readonly kind: 'unreachable'; readonly error: PrometheusError };

/** The part of {@link PrometheusClient} a measurement needs, so that callers can put a fake in its place. */
export interface PrometheusQuerier {
  query(promql: string, options?: PrometheusQueryOptions): Promise<PrometheusQueryResult>;
}

const defaultTimeoutMs = 10_000;

/**
 * Instant queries against Prometheus' HTTP API (`/api/v1/query`) with Node's fetch. Every outcome the
 * network or Prometheus can produce is returned as data ({@link PrometheusQueryResult}); only the
 * caller's cancellation throws.
 */
export class PrometheusClient implements PrometheusQuerier {
  /** The query endpoint, without any credentials the configured URL carried. */
  readonly endpoint: string;
  readonly #options: PrometheusClientOptions;
  readonly #basicAuth: string | undefined;
  #method: 'GET' | 'POST';

  constructor(options: PrometheusClientOptions) {
    this.#options = options;
    this.#method = options.method ?? 'POST';
    const url = new URL(options.url);
    // fetch refuses URLs with credentials; user:password@ becomes Basic auth, and never reaches a message.
    this.#basicAuth =
      url.username || url.password ? Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64') : undefined;
    url.username = '';
    url.password = '';
    const path = url.pathname.replace(/\/+$/, '');
    url.pathname = path.endsWith('/api/v1/query') ? path : `${path}/api/v1/query`;
    url.search = '';
    url.hash = '';
    this.endpoint = url.toString();
  }

  /** One instant query. Never throws except when `options.signal` is aborted. */
  async query(promql: string, options: PrometheusQueryOptions = {}): Promise<PrometheusQueryResult> {
    const timeoutMs = this.#options.timeoutMs ?? defaultTimeoutMs;
    const cancel = options.signal;
    const limit = timeLimit(timeoutMs, cancel);
    const { signal } = limit;
    const params = new URLSearchParams({ query: promql });
    if (options.time) params.set('time', (options.time.getTime() / 1000).toFixed(3));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#basicAuth) headers.authorization = `Basic ${this.#basicAuth}`;
    try {
      if (this.#options.getToken) {
        let token: string;
        try {
          token = await this.#options.getToken(signal);
        } catch (error) {
          if (cancel?.aborted || isTimeout(signal)) throw error;
          return failed({
            reason: 'token',
            message: `could not get a token for Prometheus: ${messageOf(error)}`,
            hint: 'check the Azure sign-in (auth inputs) of this step',
          });
        }
        headers.authorization = `Bearer ${token}`;
      }
      let response = await this.#sendOnce(this.#method, params, headers, signal);
      if (response.status === 405 && this.#method === 'POST') {
        await response.body?.cancel();
        this.#method = 'GET';
        response = await this.#sendOnce('GET', params, headers, signal);
      }
      return parsePrometheusResponse(response.status, await response.text());
    } catch (error) {
      if (cancel?.aborted) throw cancel.reason ?? new CancelledError('the metric query was cancelled');
      if (isTimeout(signal)) {
        return failed({
          reason: 'timeout',
          message: `Prometheus did not answer within ${formatMs(timeoutMs)} (${this.endpoint})`,
          hint: 'check that Prometheus is up and not overloaded',
        });
      }
      return failed({
        reason: 'unreachable',
        message: `Prometheus at ${this.endpoint} could not be reached: ${networkCause(error)}`,
        hint: 'check the URL and that the runner can reach it',
      });
    } finally {
      limit.clear();
    }
  }

  /** Asks Prometheus whether `promql` (placeholders already rendered) can be used; see {@link QueryCheck}. */
  async checkQuery(promql: string, options: Pick<PrometheusQueryOptions, 'signal'> = {}): Promise<QueryCheck> {
    const result = await this.query(promql, options);
    if (result.kind !== 'error') return { kind: 'ok', result };
    const { error } = result;
    if (error.reason === 'bad-query' || error.reason === 'unsupported-result') {
      return { kind: 'rejected', message: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }) };
    }
    // Evaluation errors (many-to-many matching) and several series depend on the data at hand.
    if (error.reason === 'execution' || error.reason === 'multiple-series') return { kind: 'ok', result };
    return { kind: 'unreachable', error };
  }

  /**
   * A kept-alive connection that the server (or a proxy) closed while idle fails the first request
   * sent on it with "other side closed", although nothing was evaluated: that request is sent again
   * once, on a new connection, as Go's net/http does for a reused connection (shouldRetryRequest).
   * A query only reads, so sending it twice is harmless.
   */
  async #sendOnce(method: 'GET' | 'POST', params: URLSearchParams, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
    try {
      return await this.#send(method, params, headers, signal);
    } catch (error) {
      if (signal.aborted || codeOf(causeOf(error)) !== 'UND_ERR_SOCKET') throw error;
      return this.#send(method, params, headers, signal);
    }
  }

  #send(method: 'GET' | 'POST', params: URLSearchParams, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
    const fetchImpl = this.#options.fetch ?? globalThis.fetch;
    if (method === 'GET') return fetchImpl(`${this.endpoint}?${params}`, { method, headers, signal });
    return fetchImpl(this.endpoint, { method, headers, body: params, signal });
  }
}

function failed(error: PrometheusError): PrometheusQueryResult {
  return { kind: 'error', error };
}

/** undici hides the socket error in `cause` (`fetch failed` says nothing); several addresses give an AggregateError. */
function networkCause(error: unknown): string {
  const cause = causeOf(error);
  if (cause instanceof AggregateError && cause.errors.length > 0) return cause.errors.map(messageOf).join('; ');
  if (codeOf(cause) === 'UND_ERR_SOCKET') return `the connection closed before Prometheus answered (${messageOf(cause)})`;
  return messageOf(cause);
}

function causeOf(error: unknown): unknown {
  return error instanceof Error && error.cause !== undefined ? error.cause : error;
}

function codeOf(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const code = codeOf(error);
    return code !== undefined && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The query's own time limit ran out (not the caller's cancel). */
function isTimeout(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError';
}
