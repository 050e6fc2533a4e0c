import { parseInstant, toDisplayUnit } from './report-format.ts';
import type { CanaryRecord, MetricSeries } from './run-report.ts';

/** One metric gate's chart: its samples in the threshold's unit, against the threshold's limit. */
export interface MetricChartData {
  /** The id of the element the chart is drawn into. */
  readonly element: string;
  readonly name: string;
  /** As written, `<= 1%`. */
  readonly threshold: string;
  readonly unit: MetricSeries['unit'];
  /** The limit in the threshold's unit (1% is 1), where the threshold line is drawn. */
  readonly limit: number;
  /** Seconds since the canary started, ascending. */
  readonly x: readonly number[];
  /** In the threshold's unit; null for a sample without a value (Error, NoData). */
  readonly value: readonly (number | null)[];
  readonly outcome: readonly MetricSeries['samples'][number]['outcome'][];
}

/**
 * What the chart script draws for a canary: everything is in seconds since the canary started, so the
 * charts share one x axis and the decision markers line up across them. Pure data, embedded as JSON.
 */
export interface CanaryChartData {
  /** The x range every chart shows: the canary from start to end. */
  readonly span: number;
  readonly metrics: readonly MetricChartData[];
  /** The weight step function (each value holds until the next x); absent without weights. */
  readonly weights?: { readonly element: string; readonly x: readonly number[]; readonly weight: readonly number[] } | undefined;
  readonly decisions: readonly { readonly x: number; readonly label: string }[];
}

/** The id of the element that holds metric `index`'s chart. */
export function metricChartElement(index: number): string {
  return `metric-chart-${index}`;
}

export const weightChartElement = 'weight-chart';

/**
 * Builds the chart data of a canary, or undefined when it has nothing to chart (no metric and no
 * weight). Entries with an unreadable time are left out rather than drawn at a guessed place.
 */
export function buildCanaryChartData(canary: CanaryRecord): CanaryChartData | undefined {
  const origin = canaryOrigin(canary);
  if (origin === undefined) return undefined;
  const offset = (at: string): number | undefined => {
    const ms = parseInstant(at);
    return ms === undefined ? undefined : (ms - origin) / 1000;
  };

  const metrics = canary.metrics.map((metric, index): MetricChartData => {
    const samples = metric.samples
      .map((sample) => ({ x: offset(sample.at), sample }))
      .filter((entry): entry is { x: number; sample: (typeof metric.samples)[number] } => entry.x !== undefined)
      .sort((a, b) => a.x - b.x);
    return {
      element: metricChartElement(index),
      name: metric.name,
      threshold: metric.threshold,
      unit: metric.unit,
      limit: toDisplayUnit(metric.unit, metric.limit),
      x: samples.map((entry) => entry.x),
      value: samples.map(({ sample }) => (sample.value === undefined || !Number.isFinite(sample.value) ? null : toDisplayUnit(metric.unit, sample.value))),
      outcome: samples.map(({ sample }) => sample.outcome),
    };
  });

  const steps = canary.weights
    .map((step) => ({ x: offset(step.at), weight: step.weight }))
    .filter((step): step is { x: number; weight: number } => step.x !== undefined)
    .sort((a, b) => a.x - b.x);
  const decisions = canary.decisions
    .map((decision) => ({ x: offset(decision.at), label: decision.label }))
    .filter((decision): decision is { x: number; label: string } => decision.x !== undefined)
    .sort((a, b) => a.x - b.x);

  const latest = Math.max(
    0,
    offset(canary.endedAt) ?? 0,
    ...metrics.flatMap((metric) => metric.x),
    ...steps.map((step) => step.x),
    ...decisions.map((decision) => decision.x),
  );
  // A canary that ended the moment it started still needs a visible x range.
  const span = latest > 0 ? latest : 1;

  if (metrics.length === 0 && steps.length === 0) return undefined;
  return {
    span,
    metrics,
    weights: steps.length === 0 ? undefined : weightSteps(steps, span),
    decisions,
  };
}

/** The canary's start, or its first timed entry when the start is unreadable. */
function canaryOrigin(canary: CanaryRecord): number | undefined {
  const start = parseInstant(canary.startedAt);
  if (start !== undefined) return start;
  const times = [...canary.weights, ...canary.decisions, ...canary.metrics.flatMap((metric) => metric.samples)]
    .map((entry) => parseInstant(entry.at))
    .filter((ms): ms is number => ms !== undefined);
  return times.length === 0 ? undefined : Math.min(...times);
}

/** The last weight holds until the canary ends: repeat it at the end so the step line reaches it. */
function weightSteps(steps: readonly { x: number; weight: number }[], span: number): CanaryChartData['weights'] {
  const x = steps.map((step) => step.x);
  const weight = steps.map((step) => step.weight);
  const last = steps[steps.length - 1];
  if (last && last.x < span) {
    x.push(span);
    weight.push(last.weight);
  }
  return { element: weightChartElement, x, weight };
}
