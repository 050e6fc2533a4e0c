import type { MetricCheck, QueryVars } from './metric-checks.ts';
import { renderQuery } from './metric-checks.ts';
import type { PrometheusQuerier } from './prometheus-client.ts';
import type { PrometheusErrorReason } from './prometheus-response.ts';
import { describeThreshold, formatMeasuredValue, meetsThreshold } from './threshold.ts';

/**
 * The class of one measurement, kept apart as Argo Rollouts keeps Successful/Failed/Error/Inconclusive
 * apart: `Fail` is the canary's fault (a value outside the threshold), `Error` is the measuring's
 * (Prometheus down, refused, a bad answer), `NoData` is neither (no series, or NaN from 0/0 with no
 * traffic), so that a quiet canary is never rolled back as a broken one (unlike Flagger, which counts
 * "no values found" as a failed check).
 */
export type MeasurementOutcome = 'Pass' | 'Fail' | 'Error' | 'NoData';

/** One measurement of one metric, as logged, journaled and summarised. */
export interface Measurement {
  /** The check's name. */
  readonly metric: string;
  readonly outcome: MeasurementOutcome;
  /** The measured value in the query's units, for Pass and Fail (may be ±Infinity). */
  readonly value?: number;
  /** The value as shown, in the threshold's unit: `0.4%`, `250ms`. */
  readonly valueText?: string;
  /** The threshold's text, e.g. `<= 1%`. */
  readonly threshold: string;
  /** One line: `0.4% <= 1%`, `20% is not <= 1%`, `no data: ...`, or the error. */
  readonly detail: string;
  /** For Error: why, so that policies and summaries can tell a network failure from a refused query. */
  readonly errorReason?: PrometheusErrorReason;
  /** When the measurement started (ISO 8601). */
  readonly at: string;
  /** How long the query took. */
  readonly durationMs: number;
}

export interface MeasureMetricOptions {
  signal?: AbortSignal;
  /** Clock, for tests; default `() => new Date()`. */
  now?: () => Date;
}

/**
 * Measures one metric once: renders its query with `vars`, runs it, and classes the answer against
 * the threshold. Never throws except on cancellation (the client's contract).
 */
export async function measureMetric(client: PrometheusQuerier, check: MetricCheck, vars: QueryVars, options: MeasureMetricOptions = {}): Promise<Measurement> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const result = await client.query(renderQuery(check.query, vars), options.signal ? { signal: options.signal } : {});
  const base = { metric: check.name, threshold: check.threshold.text, at: started.toISOString(), durationMs: Math.max(0, now().getTime() - started.getTime()) };
  switch (result.kind) {
    case 'value': {
      const passed = meetsThreshold(check.threshold, result.value);
      return {
        ...base,
        outcome: passed ? 'Pass' : 'Fail',
        value: result.value,
        valueText: formatMeasuredValue(check.threshold, result.value),
        detail: describeThreshold(check.threshold, result.value),
      };
    }
    case 'no-data':
      return {
        ...base,
        outcome: 'NoData',
        detail: result.cause === 'empty' ? 'no data: the query matched no series (is the canary serving traffic yet?)' : `no data: ${result.detail}`,
      };
    case 'error':
      return {
        ...base,
        outcome: 'Error',
        errorReason: result.error.reason,
        detail: result.error.hint ? `${result.error.message} (${result.error.hint})` : result.error.message,
      };
  }
}
