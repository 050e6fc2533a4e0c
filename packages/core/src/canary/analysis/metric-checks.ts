import type { InputProblem } from '../../errors/index.ts';
import { InputProblems } from '../../inputs/input-problems.ts';
import { parseDuration } from '../../inputs/parse-inputs.ts';
import { parseYamlStrings, type YamlValue } from '../../inputs/yaml-document.ts';
import { nearestWord } from '../../inputs/nearest-word.ts';
import { parseThreshold, type Threshold } from './threshold.ts';

/**
 * What to do with a measurement of one class (Fail, Error or NoData):
 * - `fail`: the first such measurement trips the metric, and the canary is rolled back;
 * - `retry`: measure again; the metric trips (rollback) once the class's limit is exceeded;
 * - `pause`: like retry, but once the limit is exceeded the canary is left running for a human;
 * - `ignore`: recorded and shown, never trips.
 */
export type OutcomePolicy = 'fail' | 'retry' | 'pause' | 'ignore';

/** Every policy, in the order the docs list them. */
export const outcomePolicies: readonly OutcomePolicy[] = ['fail', 'retry', 'pause', 'ignore'];

/** One metric gate of the canary analysis, as the `metrics` input describes it. */
export interface MetricCheck {
  /** Unique among the checks; names the metric in logs, reasons and the summary. */
  readonly name: string;
  /** PromQL, possibly with `{{release}}`, `{{namespace}}` and `{{canary}}`; see {@link renderQuery}. */
  readonly query: string;
  /** The condition a measured value must meet to Pass. */
  readonly threshold: Threshold;
  /** How often the metric is measured. */
  readonly intervalMs: number;
  /** How long after a step begins the first measurement is taken (traffic needs time to show). */
  readonly initialDelayMs: number;
  /** Fail measurements tolerated over the whole analysis (cumulative) before `onFail` applies. */
  readonly failureLimit: number;
  /** Error measurements in a row (no Pass between) tolerated before `onError` applies. */
  readonly consecutiveErrorLimit: number;
  /** NoData measurements in a row (no Pass between) tolerated before `onNoData` applies. */
  readonly noDataLimit: number;
  readonly onFail: OutcomePolicy;
  readonly onError: OutcomePolicy;
  readonly onNoData: OutcomePolicy;
}

/**
 * The defaults, stated once for the docs. A metric rolls back after its second failed measurement
 * (research: "1 success to advance, rollback after 2 failures"); errors follow Argo Rollouts'
 * consecutiveErrorLimit 4; three measurements in a row without data are tolerated because a fresh
 * canary's rate() window is empty until it has served for a while.
 */
export const metricCheckDefaults = {
  intervalMs: 10_000,
  initialDelayMs: 0,
  failureLimit: 1,
  consecutiveErrorLimit: 4,
  noDataLimit: 3,
  onFail: 'retry',
  onError: 'retry',
  onNoData: 'retry',
} as const satisfies Omit<MetricCheck, 'name' | 'query' | 'threshold'>;

/** The shortest interval: Prometheus' own resolution is a second. */
export const minMetricIntervalMs = 1_000;
/** Longer intervals or delays are almost certainly a unit mistake (`10m` meant as `10s`). */
const maxMetricDurationMs = 3_600_000;

/** The placeholders a query may use, each substituted by {@link renderQuery}. */
export type QueryPlaceholder = 'release' | 'namespace' | 'canary';
/** Every placeholder {@link renderQuery} substitutes. */
export const queryPlaceholders: readonly QueryPlaceholder[] = ['release', 'namespace', 'canary'];

/** The values of the placeholders: the Helm release, its namespace and the canary workload's name. */
export type QueryVars = Readonly<Record<QueryPlaceholder, string>>;

const placeholderPattern = /\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * Substitutes `{{release}}`, `{{namespace}}` and `{{canary}}` (spaces inside the braces allowed). The
 * values are Kubernetes names, which never hold `"` or `\`; they are escaped anyway so that a value can
 * never close the PromQL string it stands in and add a matcher of its own.
 */
export function renderQuery(query: string, vars: QueryVars): string {
  return query.replace(placeholderPattern, (whole, name: string) =>
    (queryPlaceholders as readonly string[]).includes(name) ? vars[name as QueryPlaceholder].replace(/[\\"]/g, '\\$&') : whole,
  );
}

/** Every check of the `metrics` input, and every problem found in it (all of them, not the first). */
export interface MetricChecksResult {
  readonly checks: MetricCheck[];
  readonly problems: InputProblem[];
}

type MetricField =
  | 'name'
  | 'query'
  | 'threshold'
  | 'interval'
  | 'initial-delay'
  | 'failure-limit'
  | 'consecutive-error-limit'
  | 'no-data-limit'
  | 'on-fail'
  | 'on-error'
  | 'on-no-data';

const metricFields: readonly MetricField[] = [
  'name',
  'query',
  'threshold',
  'interval',
  'initial-delay',
  'failure-limit',
  'consecutive-error-limit',
  'no-data-limit',
  'on-fail',
  'on-error',
  'on-no-data',
];

const metricsExample = 'for example: - {name: error-rate, query: "sum(rate(...{code=~\\"5..\\"}[1m])) / sum(rate(...[1m]))", threshold: "<= 1%"}';

/**
 * Parses the `metrics` input, a YAML list of metric checks (see {@link MetricCheck} and
 * {@link metricCheckDefaults}). Every problem of every entry is returned, each naming its entry and
 * field (`metrics[1].threshold`); unknown keys are problems, so a typo never silently drops a setting.
 * Empty text means no metric gates. Nothing is queried here: whether Prometheus accepts a query is
 * for `PrometheusClient.checkQuery`.
 */
export function parseMetricChecks(text: string, input = 'metrics'): MetricChecksResult {
  const problems = new InputProblems();
  if (text.trim() === '') return { checks: [], problems: [] };
  const parsed = parseYamlStrings(text);
  if ('error' in parsed) {
    problems.add(input, parsed.error);
    return { checks: [], problems: [...problems.list] };
  }
  if (!Array.isArray(parsed.value)) {
    problems.add(input, 'must be a YAML list of metric checks', metricsExample);
    return { checks: [], problems: [...problems.list] };
  }
  const entries = parsed.value as readonly YamlValue[];
  const checks: MetricCheck[] = [];
  const firstByName = new Map<string, number>();
  entries.forEach((entry, index) => {
    const label = `${input}[${index}]`;
    const check = parseEntry(entry, label, problems);
    if (check === undefined) return;
    const earlier = firstByName.get(check.name);
    if (earlier !== undefined) {
      problems.add(`${label}.name`, `'${check.name}' is already the name of ${input}[${earlier}]; names must be unique`);
      return;
    }
    firstByName.set(check.name, index);
    checks.push(check);
  });
  return problems.count > 0 ? { checks: [], problems: [...problems.list] } : { checks, problems: [] };
}

/** One entry; undefined when it has problems (all recorded). */
function parseEntry(entry: YamlValue, label: string, problems: InputProblems): MetricCheck | undefined {
  if (!(entry instanceof Map)) {
    problems.add(label, 'must be a mapping with at least name, query and threshold', metricsExample);
    return undefined;
  }
  const before = problems.count;
  for (const key of entry.keys()) {
    if (!(metricFields as readonly string[]).includes(key)) {
      const near = nearestWord(key, metricFields);
      problems.add(label, `unknown key '${key}'${near ? ` (did you mean '${near}'?)` : ''}; known: ${metricFields.join(', ')}`);
    }
  }
  const field = (name: MetricField) => `${label}.${name}`;
  const text = (name: MetricField): string | undefined => {
    const value = entry.get(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      problems.add(field(name), 'must be a string, not a list or mapping');
      return undefined;
    }
    return value.trim();
  };
  const required = (name: MetricField): string | undefined => {
    const value = text(name);
    if (value === '' || (value === undefined && !entry.has(name))) problems.add(field(name), 'is required');
    return value === '' ? undefined : value;
  };

  const name = required('name');
  if (name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) {
    problems.add(field('name'), `${JSON.stringify(name)} is not a name: use letters, digits, '.', '_' and '-', at most 63 characters`);
  }
  const query = required('query');
  if (query !== undefined) checkPlaceholders(query, field('query'), problems);
  const thresholdText = required('threshold');
  const threshold = thresholdText === undefined ? undefined : problems.check(() => parseThreshold(thresholdText, field('threshold')));

  const duration = (name: MetricField, fallback: number, min: number): number => {
    const raw = text(name);
    if (raw === undefined || raw === '') return fallback;
    const ms = problems.check(() => parseDuration(field(name), raw, { max: maxMetricDurationMs }));
    if (ms !== undefined && ms < min) problems.add(field(name), `must be at least ${min / 1000}s, got ${raw}`);
    return ms ?? fallback;
  };
  const intervalMs = duration('interval', metricCheckDefaults.intervalMs, minMetricIntervalMs);
  const initialDelayMs = duration('initial-delay', metricCheckDefaults.initialDelayMs, 0);

  const limit = (name: MetricField, fallback: number): number => {
    const raw = text(name);
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d{1,6}$/.test(raw)) {
      problems.add(field(name), `must be a whole number from 0 to 999999, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return Number(raw);
  };
  const failureLimit = limit('failure-limit', metricCheckDefaults.failureLimit);
  const consecutiveErrorLimit = limit('consecutive-error-limit', metricCheckDefaults.consecutiveErrorLimit);
  const noDataLimit = limit('no-data-limit', metricCheckDefaults.noDataLimit);

  const policy = (name: MetricField, fallback: OutcomePolicy, limitField: MetricField): OutcomePolicy => {
    const raw = text(name);
    if (raw === undefined || raw === '') return fallback;
    const chosen = outcomePolicies.find((known) => known === raw.toLowerCase());
    if (chosen === undefined) {
      problems.add(field(name), `unknown policy '${raw}'; known: ${outcomePolicies.join(', ')}`);
      return fallback;
    }
    // A limit the policy never consults is a contradiction the user should resolve, not a setting
    // Slipway quietly drops.
    if ((chosen === 'fail' || chosen === 'ignore') && entry.has(limitField)) {
      problems.add(field(limitField), `is not used with ${name}: ${chosen}; remove it, or use ${name}: retry or pause`);
    }
    return chosen;
  };
  const onFail = policy('on-fail', metricCheckDefaults.onFail, 'failure-limit');
  const onError = policy('on-error', metricCheckDefaults.onError, 'consecutive-error-limit');
  const onNoData = policy('on-no-data', metricCheckDefaults.onNoData, 'no-data-limit');

  if (problems.count > before || name === undefined || query === undefined || threshold === undefined) return undefined;
  return { name, query, threshold, intervalMs, initialDelayMs, failureLimit, consecutiveErrorLimit, noDataLimit, onFail, onError, onNoData };
}

/** A `{{typo}}` would reach Prometheus verbatim and fail every measurement: refuse it up front. */
function checkPlaceholders(query: string, input: string, problems: InputProblems): void {
  for (const [, name = ''] of query.matchAll(placeholderPattern)) {
    if (!(queryPlaceholders as readonly string[]).includes(name)) {
      problems.add(input, `unknown placeholder {{${name}}}; known: ${queryPlaceholders.map((p) => `{{${p}}}`).join(', ')}`);
    }
  }
}
