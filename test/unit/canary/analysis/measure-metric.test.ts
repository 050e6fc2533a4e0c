import { describe, expect, it } from 'vitest';
import {
  type MetricCheck,
  MetricGate,
  measureMetric,
  metricCheckDefaults,
  type PrometheusQuerier,
  type PrometheusQueryOptions,
  type PrometheusQueryResult,
  parseThreshold,
} from '@slipway/core';

/** A querier that answers from a script and remembers what it was asked. */
class ScriptedPrometheus implements PrometheusQuerier {
  readonly asked: string[] = [];
  readonly #answers: PrometheusQueryResult[];
  constructor(...answers: PrometheusQueryResult[]) {
    this.#answers = answers;
  }
  async query(promql: string, options: PrometheusQueryOptions = {}): Promise<PrometheusQueryResult> {
    if (options.signal?.aborted) throw options.signal.reason;
    this.asked.push(promql);
    const answer = this.#answers.shift();
    if (!answer) throw new Error('no scripted answer left');
    return answer;
  }
}

const check: MetricCheck = {
  name: 'p90',
  query: 'histogram_quantile(0.9, sum by (le) (rate(latency_bucket{release="{{release}}",namespace="{{namespace}}",pod=~"{{canary}}-.*"}[1m])))',
  threshold: parseThreshold('< 300ms'),
  ...metricCheckDefaults,
};
const vars = { release: 'shop', namespace: 'prod', canary: 'shop-web-canary' };

/** A clock that moves 7 ms per reading. */
function steppingClock(start = Date.parse('2026-03-01T10:00:00Z')): () => Date {
  let now = start;
  return () => {
    const at = new Date(now);
    now += 7;
    return at;
  };
}

describe('measureMetric', () => {
  it.each<[string, PrometheusQueryResult, Record<string, unknown>]>([
    [
      'a value within the threshold passes',
      { kind: 'value', value: 0.25, labels: {} },
      { outcome: 'Pass', value: 0.25, valueText: '250ms', detail: '250ms < 300ms' },
    ],
    ['a value outside fails', { kind: 'value', value: 0.3, labels: {} }, { outcome: 'Fail', value: 0.3, valueText: '300ms', detail: '300ms is not < 300ms' }],
    ['+Inf fails', { kind: 'value', value: Number.POSITIVE_INFINITY, labels: {} }, { outcome: 'Fail', detail: '+Inf is not < 300ms' }],
    [
      'no series is NoData',
      { kind: 'no-data', cause: 'empty', detail: 'the query matched no series' },
      { outcome: 'NoData', detail: 'no data: the query matched no series (is the canary serving traffic yet?)' },
    ],
    [
      'NaN is NoData',
      { kind: 'no-data', cause: 'nan', detail: 'the query returned NaN (e.g. 0/0: nothing was served in the window)' },
      { outcome: 'NoData', detail: 'no data: the query returned NaN (e.g. 0/0: nothing was served in the window)' },
    ],
    [
      'an unreachable Prometheus is an Error, never a Fail',
      { kind: 'error', error: { reason: 'unreachable', message: 'Prometheus at x could not be reached: ECONNREFUSED', hint: 'check the URL' } },
      { outcome: 'Error', errorReason: 'unreachable', detail: 'Prometheus at x could not be reached: ECONNREFUSED (check the URL)' },
    ],
  ])('%s', async (_what, answer, expected) => {
    const prometheus = new ScriptedPrometheus(answer);
    const measurement = await measureMetric(prometheus, check, vars, { now: steppingClock() });
    expect(measurement).toMatchObject({ metric: 'p90', threshold: '< 300ms', at: '2026-03-01T10:00:00.000Z', durationMs: 7, ...expected });
    if (expected.outcome === 'NoData' || expected.outcome === 'Error') expect(measurement).not.toHaveProperty('value');
  });

  it('renders the placeholders into the query it sends', async () => {
    const prometheus = new ScriptedPrometheus({ kind: 'value', value: 0.1, labels: {} });
    await measureMetric(prometheus, check, vars);
    expect(prometheus.asked).toEqual([
      'histogram_quantile(0.9, sum by (le) (rate(latency_bucket{release="shop",namespace="prod",pod=~"shop-web-canary-.*"}[1m])))',
    ]);
  });

  it('throws when cancelled, rather than returning an outcome', async () => {
    const controller = new AbortController();
    controller.abort(new Error('received SIGTERM'));
    await expect(measureMetric(new ScriptedPrometheus(), check, vars, { signal: controller.signal })).rejects.toThrow('received SIGTERM');
  });
});

describe('MetricGate', () => {
  it('measures, assesses and keeps the tracker, in the shape the executor consumes', async () => {
    const prometheus = new ScriptedPrometheus(
      { kind: 'no-data', cause: 'empty', detail: 'the query matched no series' },
      { kind: 'value', value: 0.12, labels: {} },
      { kind: 'value', value: 0.5, labels: {} },
      { kind: 'value', value: 0.2, labels: {} },
      { kind: 'value', value: 0.9, labels: {} },
    );
    const gate = new MetricGate(prometheus, check, vars, { now: steppingClock() });
    const signal = new AbortController().signal;
    expect(gate).toMatchObject({ name: 'p90', intervalMs: 10_000, initialDelayMs: 0 });
    expect(await gate.measure(signal)).toMatchObject({
      status: 'measured',
      passed: false,
      summary: 'p90 no data: the query matched no series (is the canary serving traffic yet?)',
    });
    expect(await gate.measure(signal)).toMatchObject({ status: 'measured', passed: true, summary: 'p90 120ms < 300ms', value: 0.12 });
    expect(await gate.measure(signal)).toMatchObject({ status: 'measured', passed: false, summary: 'p90 500ms is not < 300ms', value: 0.5 });
    gate.startStep();
    expect(gate.state.latestThisStep).toBeUndefined();
    expect(await gate.measure(signal)).toMatchObject({ status: 'measured', passed: true });
    expect(await gate.measure(signal)).toMatchObject({
      status: 'tripped',
      action: 'fail',
      reason: 'p90: 2 failed measurements, more than failure-limit 1 (latest: 900ms is not < 300ms)',
      summary: 'p90 900ms is not < 300ms',
      value: 0.9,
    });
    expect(gate.state.counts).toEqual({ Pass: 2, Fail: 2, Error: 0, NoData: 1 });
  });

  it('resumes from a journaled tracker', async () => {
    const first = new MetricGate(new ScriptedPrometheus({ kind: 'value', value: 0.5, labels: {} }), check, vars);
    await first.measure(new AbortController().signal);
    const journaled = JSON.parse(JSON.stringify(first.state));
    const resumed = new MetricGate(new ScriptedPrometheus({ kind: 'value', value: 0.5, labels: {} }), check, vars, { state: journaled });
    expect(await resumed.measure(new AbortController().signal)).toMatchObject({ status: 'tripped', action: 'fail' });
  });
});
