/**
 * Why a query gave no usable number. `bad-query` (Prometheus' 400 `bad_data`: the PromQL does not
 * parse) and `unsupported-result` (a range vector or a string, decided by the query's shape) are the
 * user's to fix; the others are the environment's or the data's.
 */
export type PrometheusErrorReason =
  | 'bad-query'
  | 'execution'
  | 'timeout'
  | 'unreachable'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'http'
  | 'token'
  | 'multiple-series'
  | 'unsupported-result'
  | 'unreadable';

/** A failed query, explained. */
export interface PrometheusError {
  readonly reason: PrometheusErrorReason;
  /** One sentence, e.g. `Prometheus rejected the query (400 bad_data): 1:33: parse error: ...`. */
  readonly message: string;
  /** What the user can do about it, when Slipway can tell. */
  readonly hint?: string;
  /** The HTTP status, when Prometheus (or a proxy before it) answered. */
  readonly status?: number;
  /** Prometheus' `errorType` (`bad_data`, `execution`, `timeout`, `canceled`, `internal`, `unavailable`). */
  readonly errorType?: string;
}

/**
 * One instant query's outcome, as data:
 * - `value`: one number (a one-series vector or a scalar) with the series' labels;
 * - `no-data`: an empty vector (no series matched) or NaN (e.g. 0/0 when nothing was served in the
 *   window) — not a failure: a canary with no traffic yet is not a broken canary;
 * - `error`: no verdict is possible (see {@link PrometheusError}).
 * `+Inf` and `-Inf` are values: a latency quantile of +Inf is real and compares as such.
 */
export type PrometheusQueryResult =
  | { readonly kind: 'value'; readonly value: number; readonly labels: Readonly<Record<string, string>> }
  | { readonly kind: 'no-data'; readonly cause: 'empty' | 'nan'; readonly detail: string; readonly labels?: Readonly<Record<string, string>> }
  | { readonly kind: 'error'; readonly error: PrometheusError };

/**
 * Reads the answer of Prometheus' `/api/v1/query` (its HTTP status and body text) into a
 * {@link PrometheusQueryResult}. The JSON is checked with type guards; what cannot be read is quoted
 * (first 200 characters) in an `unreadable` error rather than trusted.
 */
export function parsePrometheusResponse(status: number, body: string): PrometheusQueryResult {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return httpError(status, body);
  }
  if (!isRecord(document) || (document.status !== 'success' && document.status !== 'error')) {
    return status >= 200 && status < 300 ? unreadable(`no "status" of success or error`, body) : httpError(status, body);
  }
  if (document.status === 'error') return prometheusError(status, document, body);
  if (status < 200 || status >= 300) return httpError(status, body);
  const data = document.data;
  if (!isRecord(data) || typeof data.resultType !== 'string') return unreadable('no data.resultType', body);
  switch (data.resultType) {
    case 'vector':
      return readVector(data.result, body);
    case 'scalar': {
      const sample = readSample(data.result);
      if (sample === undefined) return unreadable('data.result is not a [time, "value"] pair', body);
      return sampleResult(sample, {});
    }
    case 'matrix':
      return error({
        reason: 'unsupported-result',
        message: 'the query returned a range vector (matrix); a gate needs one number',
        hint: 'drop the [range] selector, or wrap it in a function such as rate(...[1m]) or avg_over_time(...[1m])',
      });
    case 'string':
      return error({ reason: 'unsupported-result', message: 'the query returned a string; a gate needs a number' });
    default:
      return unreadable(`unknown data.resultType ${JSON.stringify(data.resultType)}`, body);
  }
}

function readVector(result: unknown, body: string): PrometheusQueryResult {
  if (!Array.isArray(result)) return unreadable('data.result of a vector is not a list', body);
  const series: Array<{ labels: Record<string, string>; sample: [number, string] }> = [];
  for (const [index, item] of result.entries()) {
    const labels = isRecord(item) ? readLabels(item.metric) : undefined;
    const sample = isRecord(item) ? readSample(item.value) : undefined;
    if (labels === undefined || sample === undefined) return unreadable(`data.result[${index}] is not {metric: {...}, value: [time, "value"]}`, body);
    series.push({ labels, sample });
  }
  const [only, ...others] = series;
  if (only === undefined) return { kind: 'no-data', cause: 'empty', detail: 'the query matched no series' };
  if (others.length > 0) {
    const shown = series.slice(0, 3).map((s) => formatLabels(s.labels));
    return error({
      reason: 'multiple-series',
      message: `the query returned ${series.length} series (${shown.join(', ')}${series.length > 3 ? ', …' : ''}); a gate needs one number`,
      hint: 'aggregate it, e.g. with sum(...) or max(...), or select one series',
    });
  }
  return sampleResult(only.sample, only.labels);
}

function sampleResult(sample: [number, string], labels: Record<string, string>): PrometheusQueryResult {
  const value = parseSampleValue(sample[1]);
  if (Number.isNaN(value)) return { kind: 'no-data', cause: 'nan', detail: 'the query returned NaN (e.g. 0/0: nothing was served in the window)', labels };
  return { kind: 'value', value, labels };
}

/** Prometheus writes sample values as Go's strconv.FormatFloat: `1.5`, `1e-05`, `NaN`, `+Inf`, `-Inf`. */
function parseSampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const value = Number(text);
  // Number('') is 0: an empty or odd string must not read as a measured zero.
  return text.trim() === '' ? Number.NaN : value;
}

function readSample(value: unknown): [number, string] | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [time, text] = value as unknown[];
  return typeof time === 'number' && typeof text === 'string' && (text === 'NaN' || !Number.isNaN(parseSampleValue(text))) ? [time, text] : undefined;
}

function readLabels(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const labels: Record<string, string> = {};
  for (const [key, label] of Object.entries(value)) {
    if (typeof label !== 'string') return undefined;
    labels[key] = label;
  }
  return labels;
}

/** `{code="500",version="canary"}`, as PromQL writes a series. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const name = labels.__name__ ?? '';
  const rest = Object.entries(labels)
    .filter(([key]) => key !== '__name__')
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return `${name}{${rest.join(',')}}`;
}

/** A `{"status":"error"}` answer: Prometheus' own classification first, then the HTTP status. */
function prometheusError(status: number, document: Record<string, unknown>, body: string): PrometheusQueryResult {
  const errorType = typeof document.errorType === 'string' ? document.errorType : undefined;
  const text = typeof document.error === 'string' ? document.error : quote(body);
  const what = `${status} ${errorType ?? 'error'}`;
  if (errorType === 'bad_data') {
    return error({
      reason: 'bad-query',
      status,
      errorType,
      message: `Prometheus rejected the query (${what}): ${text}`,
      hint: 'fix the PromQL; try it in the Prometheus UI',
    });
  }
  if (errorType === 'execution')
    return error({ reason: 'execution', status, errorType, message: `Prometheus could not evaluate the query (${what}): ${text}` });
  if (errorType === 'timeout' || errorType === 'canceled') {
    return error({
      reason: 'timeout',
      status,
      errorType,
      message: `Prometheus gave up evaluating the query (${what}): ${text}`,
      hint: 'make the query cheaper (shorter range, fewer series)',
    });
  }
  const fromStatus = httpError(status, body);
  if (fromStatus.kind !== 'error') return fromStatus;
  return error({ ...fromStatus.error, errorType, message: `Prometheus answered ${what}: ${text}` });
}

/** An answer that is not Prometheus JSON: a proxy's page, an auth gateway, a wrong URL. */
function httpError(status: number, body: string): PrometheusQueryResult & { kind: 'error' } {
  const said = body.trim() === '' ? '' : `: ${JSON.stringify(quote(body.trim()))}`;
  if (status === 401) {
    return error({
      reason: 'unauthorized',
      status,
      message: `Prometheus refused the request as unauthenticated (401)${said}`,
      hint: 'for Azure Monitor managed Prometheus, sign in to Azure so that a token for https://prometheus.monitor.azure.com/.default is sent; otherwise give the token your Prometheus expects',
    });
  }
  if (status === 403) {
    return error({
      reason: 'forbidden',
      status,
      message: `Prometheus refused the request (403 forbidden)${said}`,
      hint: "for Azure Monitor managed Prometheus, grant the pipeline's identity the Monitoring Data Reader role on the Azure Monitor workspace",
    });
  }
  if (status === 404) {
    return error({
      reason: 'not-found',
      status,
      message: `there is no Prometheus query API at this URL (404)${said}`,
      hint: "give Prometheus' base URL (e.g. http://prometheus:9090 or the workspace's query endpoint), without /api/v1/query",
    });
  }
  if (status >= 200 && status < 300) return unreadable('not JSON', body);
  return error({ reason: 'http', status, message: `Prometheus answered HTTP ${status}${said}` });
}

function unreadable(what: string, body: string): PrometheusQueryResult & { kind: 'error' } {
  return error({ reason: 'unreadable', message: `could not read Prometheus' answer (${what}): ${JSON.stringify(quote(body))}` });
}

function error(details: PrometheusError): PrometheusQueryResult & { kind: 'error' } {
  return { kind: 'error', error: details };
}

function quote(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
