import { type Measurement, measureMetric } from './measure-metric.ts';
import { assessMeasurement, initialMetricAssessment, type MetricAssessmentState, readyToAdvance, startStep } from './metric-assessment.ts';
import type { MetricCheck, QueryVars } from './metric-checks.ts';
import type { PrometheusQuerier } from './prometheus-client.ts';

/** One assessed measurement, in the shape the canary executor consumes. */
export type MetricGateVerdict =
  | {
      readonly status: 'measured';
      /** The metric lets the current step advance ({@link readyToAdvance}). */
      readonly passed: boolean;
      /** `error-rate 0.4% <= 1%`, for the transition line. */
      readonly summary: string;
      readonly value?: number | undefined;
      readonly measurement: Measurement;
    }
  | {
      readonly status: 'tripped';
      readonly action: 'fail' | 'pause';
      readonly reason: string;
      readonly summary: string;
      readonly value?: number | undefined;
      readonly measurement: Measurement;
    };

export interface MetricGateOptions {
  /** Resume from a journaled tracker instead of starting afresh. */
  state?: MetricAssessmentState;
  /** Clock, for tests. */
  now?: () => Date;
}

/**
 * One metric of a canary analysis with its tracker: measure, assess, remember. The I/O is the
 * querier's; the verdict is {@link assessMeasurement}'s. `state` is plain data for the journal.
 */
export class MetricGate {
  readonly check: MetricCheck;
  readonly #client: PrometheusQuerier;
  readonly #vars: QueryVars;
  readonly #now: (() => Date) | undefined;
  #state: MetricAssessmentState;

  constructor(client: PrometheusQuerier, check: MetricCheck, vars: QueryVars, options: MetricGateOptions = {}) {
    this.check = check;
    this.#client = client;
    this.#vars = vars;
    this.#now = options.now;
    this.#state = options.state ?? initialMetricAssessment(check);
  }

  get name(): string {
    return this.check.name;
  }

  get intervalMs(): number {
    return this.check.intervalMs;
  }

  get initialDelayMs(): number {
    return this.check.initialDelayMs;
  }

  /** The tracker, for the journal and the summary. */
  get state(): MetricAssessmentState {
    return this.#state;
  }

  /** A new canary step begins: it needs a Pass of its own; the counters carry on. */
  startStep(): void {
    this.#state = startStep(this.#state);
  }

  /** Measures once and assesses it. Throws only when `signal` is aborted. */
  async measure(signal: AbortSignal): Promise<MetricGateVerdict> {
    const measurement = await measureMetric(this.#client, this.check, this.#vars, { signal, ...(this.#now ? { now: this.#now } : {}) });
    const { state, status } = assessMeasurement(this.#state, this.check, measurement);
    this.#state = state;
    const summary = `${this.check.name} ${measurement.detail}`;
    const value = measurement.value;
    if (status.kind === 'tripped') return { status: 'tripped', action: status.action, reason: status.reason, summary, value, measurement };
    return { status: 'measured', passed: readyToAdvance(state), summary, value, measurement };
  }
}
