import { describe, expect, it } from 'vitest';
import {
  assessMeasurement,
  initialMetricAssessment,
  InternalError,
  type Measurement,
  type MeasurementOutcome,
  type MetricAssessmentState,
  type MetricCheck,
  metricCheckDefaults,
  parseThreshold,
  readyToAdvance,
  startStep,
  worstCaseFailureDetectionMs,
} from '@slipway/core';

const check = (overrides: Partial<MetricCheck> = {}): MetricCheck => ({
  name: 'error-rate',
  query: 'q',
  threshold: parseThreshold('<= 1%'),
  ...metricCheckDefaults,
  ...overrides,
});

const details: Record<MeasurementOutcome, string> = {
  Pass: '0.4% <= 1%',
  Fail: '20% is not <= 1%',
  Error: 'Prometheus at http://127.0.0.1:1/api/v1/query could not be reached: ECONNREFUSED',
  NoData: 'no data: the query matched no series',
};

const measurement = (outcome: MeasurementOutcome, metric = 'error-rate'): Measurement => ({
  metric,
  outcome,
  threshold: '<= 1%',
  detail: details[outcome],
  at: '2026-01-01T00:00:00.000Z',
  durationMs: 3,
  ...(outcome === 'Pass' ? { value: 0.004 } : outcome === 'Fail' ? { value: 0.2 } : {}),
});

/** One tick of the table: a measurement, or the start of a new step (`step`). */
type Tick = MeasurementOutcome | 'step';
/** What is expected after the tick: `.` continue, `F` tripped with action fail, `P` tripped with action pause. */
type Expect = '.' | 'F' | 'P';

/** Runs the ticks and returns, per tick, the status and whether the step may advance (`+`) or not (`-`). */
function play(c: MetricCheck, ticks: readonly Tick[]): { trace: string; state: MetricAssessmentState } {
  let state = initialMetricAssessment(c);
  const trace: string[] = [];
  for (const tick of ticks) {
    if (tick === 'step') {
      state = startStep(state);
      trace.push(`|${readyToAdvance(state) ? '+' : '-'}`);
      continue;
    }
    const result = assessMeasurement(state, c, measurement(tick));
    state = result.state;
    const status: Expect = result.status.kind === 'continue' ? '.' : result.status.action === 'fail' ? 'F' : 'P';
    trace.push(`${status}${readyToAdvance(state) ? '+' : '-'}`);
  }
  return { trace: trace.join(' '), state };
}

const P = 'Pass';
const F = 'Fail';
const E = 'Error';
const N = 'NoData';

describe('assessMeasurement, tick by tick', () => {
  it.each<[string, Partial<MetricCheck>, Tick[], string]>([
    // Defaults: failure-limit 1 (rollback at the 2nd failure, cumulative), 4 errors in a row tolerated, 3 no-data.
    ['a healthy metric advances', {}, [P, P], '.+ .+'],
    ['failures are cumulative: a Pass between them does not forgive', {}, [F, P, F], '.- .+ F-'],
    ['failures count across steps', {}, [F, P, 'step', P, F], '.- .+ |- .+ F-'],
    ['errors are not failures: 4 in a row are tolerated, the 5th trips', {}, [E, E, E, E, E], '.- .- .- .- F-'],
    ['a Pass resets the run of errors', {}, [E, E, E, E, P, E, E, E, E], '.- .- .- .- .+ .- .- .- .-'],
    ['a Fail does not break a run of errors (a flapping source must reach a verdict)', { failureLimit: 5 }, [E, E, F, E, E, E], '.- .- .- .- .- F-'],
    ['no data is not a failure: 3 in a row tolerated, the 4th trips', {}, [N, N, N, N], '.- .- .- F-'],
    ['a Pass resets the run of no data', {}, [N, N, N, P, N, N, N], '.- .- .- .+ .- .- .-'],
    ['no data runs on across a step boundary', {}, [N, N, 'step', N, N], '.- .- |- .- F-'],
    ['Fail, Error and NoData are counted apart', {}, [F, E, N, E, N], '.- .- .- .- .-'],
    ['on-fail: fail trips at the first failure', { onFail: 'fail' }, [P, F], '.+ F-'],
    ['on-fail: pause waits out the limit, then pauses', { onFail: 'pause', failureLimit: 2 }, [F, F, F], '.- .- P-'],
    ['on-fail: ignore never trips, and never lets an ignored class count as the latest', { onFail: 'ignore' }, [F, F, F, P, F], '.- .- .- .+ .+'],
    ['on-error: fail trips at the first error', { onError: 'fail' }, [E], 'F-'],
    ['on-error: pause pauses after the limit', { onError: 'pause', consecutiveErrorLimit: 1 }, [E, E], '.- P-'],
    ['on-error: ignore', { onError: 'ignore' }, [P, E, E, E, E, E, E], '.+ .+ .+ .+ .+ .+ .+'],
    ['on-no-data: fail', { onNoData: 'fail' }, [N], 'F-'],
    ['on-no-data: pause', { onNoData: 'pause', noDataLimit: 0 }, [N], 'P-'],
    ['on-no-data: ignore keeps a Pass as the latest', { onNoData: 'ignore' }, [P, N, N, N, N, N], '.+ .+ .+ .+ .+ .+'],
    ['failure-limit 0 with retry: the first failure trips', { failureLimit: 0 }, [F], 'F-'],
    ['a tripped metric stays tripped', {}, [F, F, P, P], '.- F- F- F-'],
    ['a new step needs its own Pass', {}, [P, 'step', N, P], '.+ |- .- .+'],
    ['the latest counts: a Fail after a Pass blocks the step again', { failureLimit: 3 }, [P, F, P], '.+ .- .+'],
  ])('%s', (_what, overrides, ticks, trace) => {
    expect(play(check(overrides), ticks).trace).toBe(trace);
  });

  it('counts per analysis and per outcome, for the summary', () => {
    const { state } = play(check({ failureLimit: 9 }), [P, F, E, 'step', N, P, F, E]);
    expect(state).toMatchObject({
      metric: 'error-rate',
      failures: 2,
      consecutiveErrors: 1,
      consecutiveNoData: 0,
      counts: { Pass: 2, Fail: 2, Error: 2, NoData: 1 },
      latestThisStep: 'Error',
      measurementsThisStep: 4,
      tripped: undefined,
    });
    expect(state.latest?.outcome).toBe('Error');
  });
});

describe('the trip', () => {
  const trip = (c: MetricCheck, ticks: MeasurementOutcome[]) => {
    let state = initialMetricAssessment(c);
    let last: ReturnType<typeof assessMeasurement>['status'] = { kind: 'continue' };
    for (const tick of ticks) ({ state, status: last } = assessMeasurement(state, c, measurement(tick)));
    return { status: last, state };
  };

  it('names the metric, the value against the threshold and the count against the limit', () => {
    const { status, state } = trip(check(), [F, P, F]);
    expect(status).toMatchObject({
      kind: 'tripped',
      class: 'Fail',
      action: 'fail',
      count: 2,
      limit: 1,
      reason: 'error-rate: 2 failed measurements, more than failure-limit 1 (latest: 20% is not <= 1%)',
    });
    expect(state.tripped?.measurement.value).toBe(0.2);
  });

  it('names the error for an Error trip', () => {
    expect(trip(check(), [E, E, E, E, E]).status).toMatchObject({
      class: 'Error',
      count: 5,
      limit: 4,
      reason: `error-rate: 5 errors in a row, more than consecutive-error-limit 4 (latest: ${details.Error})`,
    });
  });

  it('says "without data" for a NoData trip, and the pause policy', () => {
    expect(trip(check({ onNoData: 'pause', noDataLimit: 1 }), [N, N]).status).toMatchObject({
      class: 'NoData',
      action: 'pause',
      reason: `error-rate: 2 measurements in a row without data, more than no-data-limit 1 (latest: ${details.NoData}); on-no-data: pause`,
    });
  });

  it('names the policy when the first measurement trips', () => {
    expect(trip(check({ onFail: 'fail' }), [F]).status).toMatchObject({
      class: 'Fail',
      count: 1,
      limit: 0,
      reason: 'error-rate: 20% is not <= 1% (on-fail: fail)',
    });
  });

  it('refuses a measurement of another metric (an executor bug)', () => {
    expect(() => assessMeasurement(initialMetricAssessment(check()), check(), measurement(P, 'latency'))).toThrow(InternalError);
  });
});

describe('worstCaseFailureDetectionMs', () => {
  it.each<[Partial<MetricCheck>, number | undefined]>([
    [{}, 20_000],
    [{ failureLimit: 4, intervalMs: 30_000 }, 150_000],
    [{ onFail: 'fail', initialDelayMs: 5_000 }, 15_000],
    [{ onFail: 'ignore' }, undefined],
  ])('%j -> %s', (overrides, ms) => {
    expect(worstCaseFailureDetectionMs(check(overrides))).toBe(ms);
  });
});
