import { InternalError } from '../../errors/index.ts';
import type { Measurement, MeasurementOutcome } from './measure-metric.ts';
import type { MetricCheck, OutcomePolicy } from './metric-checks.ts';

/** The classes of measurement that can trip a metric. */
export type TripClass = Exclude<MeasurementOutcome, 'Pass'>;

/** Why a metric stopped the analysis, and what the canary should do about it. */
export interface MetricTrip {
  readonly class: TripClass;
  /** `fail`: roll the canary back; `pause`: leave it running for a human (exit `paused`/`needs-human` is the executor's call). */
  readonly action: 'fail' | 'pause';
  /** One sentence naming the metric, the measured value and threshold (or the error), and the count against the limit. */
  readonly reason: string;
  /** Measurements of this class counted (cumulative for Fail, in a row for Error and NoData). */
  readonly count: number;
  /** The limit that count exceeded; 0 for the `fail` policy. */
  readonly limit: number;
  /** The measurement that tripped it. */
  readonly measurement: Measurement;
}

/** What one measurement means for the canary: keep going, or stop (see {@link MetricTrip}). */
export type MetricStatus = { readonly kind: 'continue' } | ({ readonly kind: 'tripped' } & MetricTrip);

/**
 * One metric's tracker over a whole canary analysis. Plain data, so the executor can journal it and
 * a later run can resume from it.
 *
 * The counters are per analysis, not per step: `failures` is cumulative over every step and never
 * reset by a Pass (like Flagger's `failedChecks`, which only a new revision or a rollback zeroes), so a
 * canary cannot fail once per step forever; `consecutiveErrors` and `consecutiveNoData` count that
 * class since the last Pass, across step boundaries too, and only a Pass resets them. A Fail or NoData
 * between two errors does not break the run of errors: a flapping source must still reach a verdict.
 */
export interface MetricAssessmentState {
  readonly metric: string;
  /** Fail measurements over the whole analysis. */
  readonly failures: number;
  /** Error measurements since the last Pass. */
  readonly consecutiveErrors: number;
  /** NoData measurements since the last Pass. */
  readonly consecutiveNoData: number;
  /** Every measurement by class, for the summary. */
  readonly counts: Readonly<Record<MeasurementOutcome, number>>;
  /** The class of the latest measurement of this step whose policy is not `ignore`. */
  readonly latestThisStep: MeasurementOutcome | undefined;
  /** Measurements taken since the step began, ignored ones included. */
  readonly measurementsThisStep: number;
  readonly latest: Measurement | undefined;
  /** Set once the metric trips; it stays tripped. */
  readonly tripped: MetricTrip | undefined;
}

/** A tracker for `check` before its first measurement. */
export function initialMetricAssessment(check: Pick<MetricCheck, 'name'>): MetricAssessmentState {
  return {
    metric: check.name,
    failures: 0,
    consecutiveErrors: 0,
    consecutiveNoData: 0,
    counts: { Pass: 0, Fail: 0, Error: 0, NoData: 0 },
    latestThisStep: undefined,
    measurementsThisStep: 0,
    latest: undefined,
    tripped: undefined,
  };
}

/**
 * A new canary step begins: forgets which outcome this step has seen (a step needs a Pass of its own
 * before it may advance), and keeps the counters, which are per analysis (see {@link MetricAssessmentState}).
 */
export function startStep(state: MetricAssessmentState): MetricAssessmentState {
  return { ...state, latestThisStep: undefined, measurementsThisStep: 0 };
}

/**
 * Adds one measurement to a metric's tracker and says whether the metric trips, by the policy of the
 * measurement's class (`on-fail`, `on-error`, `on-no-data`):
 * `fail` trips at the first such measurement; `retry` and `pause` trip when the class's count exceeds
 * its limit (`failure-limit` of cumulative failures, `consecutive-error-limit`, `no-data-limit`), with
 * action `fail` and `pause` respectively; `ignore` counts it and never trips. Once tripped, a tracker
 * stays tripped and further measurements are not counted. Pure.
 */
export function assessMeasurement(
  state: MetricAssessmentState,
  check: MetricCheck,
  measurement: Measurement,
): { state: MetricAssessmentState; status: MetricStatus } {
  if (measurement.metric !== check.name || state.metric !== check.name) {
    throw new InternalError(`a measurement of '${measurement.metric}' was assessed for '${check.name}' with the tracker of '${state.metric}'`);
  }
  if (state.tripped) return { state, status: { kind: 'tripped', ...state.tripped } };

  const outcome = measurement.outcome;
  const counts = { ...state.counts, [outcome]: state.counts[outcome] + 1 };
  const base = { ...state, counts, latest: measurement, measurementsThisStep: state.measurementsThisStep + 1 };
  if (outcome === 'Pass') {
    const next = { ...base, consecutiveErrors: 0, consecutiveNoData: 0, latestThisStep: outcome };
    return { state: next, status: { kind: 'continue' } };
  }

  const rule = rules[outcome];
  const count = (outcome === 'Fail' ? state.failures : outcome === 'Error' ? state.consecutiveErrors : state.consecutiveNoData) + 1;
  const policy = check[rule.policy];
  const counted = {
    ...base,
    failures: outcome === 'Fail' ? count : state.failures,
    consecutiveErrors: outcome === 'Error' ? count : state.consecutiveErrors,
    consecutiveNoData: outcome === 'NoData' ? count : state.consecutiveNoData,
    latestThisStep: policy === 'ignore' ? state.latestThisStep : outcome,
  };
  const limit = check[rule.limit];
  const trips = policy === 'fail' || ((policy === 'retry' || policy === 'pause') && count > limit);
  if (!trips) return { state: counted, status: { kind: 'continue' } };

  const trip: MetricTrip = {
    class: outcome,
    action: policy === 'pause' ? 'pause' : 'fail',
    reason: tripReason({ check, measurement, policy, count, limit, rule }),
    count,
    limit: policy === 'fail' ? 0 : limit,
    measurement,
  };
  return { state: { ...counted, tripped: trip }, status: { kind: 'tripped', ...trip } };
}

/**
 * True when the metric lets the current step advance: it has not tripped, and the latest measurement
 * of this step whose class is not ignored was a Pass (so each step needs at least one Pass per metric).
 */
export function readyToAdvance(state: MetricAssessmentState): boolean {
  return state.tripped === undefined && state.latestThisStep === 'Pass';
}

/**
 * The longest a failing canary can run before this metric trips on failures, from the moment it starts
 * failing, counting measurements only (add the query's own window, e.g. the `[1m]` of a rate): it may
 * have just been measured, so `failure-limit + 1` more intervals, plus the initial delay when a step
 * has just begun. Undefined when failures never trip (`on-fail: ignore`).
 */
export function worstCaseFailureDetectionMs(check: MetricCheck): number | undefined {
  if (check.onFail === 'ignore') return undefined;
  const measurements = check.onFail === 'fail' ? 1 : check.failureLimit + 1;
  return check.initialDelayMs + measurements * check.intervalMs;
}

interface TripRule {
  readonly policy: 'onFail' | 'onError' | 'onNoData';
  readonly limit: 'failureLimit' | 'consecutiveErrorLimit' | 'noDataLimit';
  /** The input names, as the user wrote them. */
  readonly policyKey: string;
  readonly limitKey: string;
  /** `2 failed measurements`, `5 errors in a row`. */
  readonly counted: (count: number) => string;
}

const rules: Readonly<Record<TripClass, TripRule>> = {
  Fail: {
    policy: 'onFail',
    limit: 'failureLimit',
    policyKey: 'on-fail',
    limitKey: 'failure-limit',
    counted: (n) => `${n} failed measurement${n === 1 ? '' : 's'}`,
  },
  Error: {
    policy: 'onError',
    limit: 'consecutiveErrorLimit',
    policyKey: 'on-error',
    limitKey: 'consecutive-error-limit',
    counted: (n) => `${n} error${n === 1 ? '' : 's'} in a row`,
  },
  NoData: {
    policy: 'onNoData',
    limit: 'noDataLimit',
    policyKey: 'on-no-data',
    limitKey: 'no-data-limit',
    counted: (n) => `${n} measurement${n === 1 ? '' : 's'} in a row without data`,
  },
};

function tripReason(at: { check: MetricCheck; measurement: Measurement; policy: OutcomePolicy; count: number; limit: number; rule: TripRule }): string {
  const { check, measurement, policy, count, limit, rule } = at;
  if (policy === 'fail') return `${check.name}: ${measurement.detail} (${rule.policyKey}: fail)`;
  const pause = policy === 'pause' ? `; ${rule.policyKey}: pause` : '';
  return `${check.name}: ${rule.counted(count)}, more than ${rule.limitKey} ${limit} (latest: ${measurement.detail})${pause}`;
}
