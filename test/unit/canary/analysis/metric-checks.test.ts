import { describe, expect, it } from 'vitest';
import { metricCheckDefaults, parseMetricChecks, renderQuery } from '@slipway/core';

const errorRate = 'sum(rate(http_requests_total{version="{{canary}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{version="{{canary}}"}[1m]))';

describe('parseMetricChecks', () => {
  it('reads a full entry and applies the defaults to a minimal one', () => {
    const { checks, problems } = parseMetricChecks(`
- name: error-rate
  query: '${errorRate}'
  threshold: "<= 1%"
  interval: 30s
  initial-delay: 1m
  failure-limit: 3
  consecutive-error-limit: 0
  no-data-limit: 10
  on-fail: pause
  on-error: RETRY
  on-no-data: retry
- name: p99
  query: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))
  threshold: < 300ms
`);
    expect(problems).toEqual([]);
    expect(checks).toHaveLength(2);
    expect(checks[0]).toMatchObject({
      name: 'error-rate',
      query: errorRate,
      threshold: { text: '<= 1%', operator: '<=', limit: 0.01 },
      intervalMs: 30_000,
      initialDelayMs: 60_000,
      failureLimit: 3,
      consecutiveErrorLimit: 0,
      noDataLimit: 10,
      onFail: 'pause',
      onError: 'retry',
      onNoData: 'retry',
    });
    expect(checks[1]).toMatchObject({ name: 'p99', threshold: { text: '< 300ms', limit: 0.3 }, ...metricCheckDefaults });
  });

  it('states its defaults: 10s, no delay, rollback after 2 failures, 4 errors (Argo), 3 no-data, retry everywhere', () => {
    expect(metricCheckDefaults).toEqual({
      intervalMs: 10_000,
      initialDelayMs: 0,
      failureLimit: 1,
      consecutiveErrorLimit: 4,
      noDataLimit: 3,
      onFail: 'retry',
      onError: 'retry',
      onNoData: 'retry',
    });
  });

  it('keeps numbers-looking scalars as written (failsafe YAML)', () => {
    const { checks } = parseMetricChecks('- {name: 1.10, query: up, threshold: "== 1"}');
    expect(checks[0]?.name).toBe('1.10');
  });

  it('means no gates when empty', () => {
    expect(parseMetricChecks('')).toEqual({ checks: [], problems: [] });
    expect(parseMetricChecks('  \n')).toEqual({ checks: [], problems: [] });
  });

  it('reports every problem of every entry together, each naming entry and field', () => {
    const { checks, problems } = parseMetricChecks(`
- name: error-rate
  query: up{job="x"} == {{relase}}
  treshold: <= 1%
- name: error-rate
  query: up
  threshold: =< 1%
  interval: 500ms
  initial-delay: soon
  failure-limit: -1
  on-fail: explode
  on-error: fail
  consecutive-error-limit: 2
- query: up
  threshold: [1, 2]
- just a string
- name: "bad name!"
  query: ""
  threshold: "< 2h"
  interval: 2h
`);
    expect(checks).toEqual([]);
    const lines = problems.map((p) => `${p.input}: ${p.message}`);
    expect(lines).toEqual([
      expect.stringMatching(/^metrics\[0\]: unknown key 'treshold' \(did you mean 'threshold'\?\); known: name, query, threshold,/),
      'metrics[0].query: unknown placeholder {{relase}}; known: {{release}}, {{namespace}}, {{canary}}',
      'metrics[0].threshold: is required',
      expect.stringMatching(/^metrics\[1\]\.threshold: unknown comparison '=<' .*did you mean '<='\?/),
      'metrics[1].interval: must be at least 1s, got 500ms',
      expect.stringMatching(/^metrics\[1\]\.initial-delay: expected a duration such as 90s/),
      'metrics[1].failure-limit: must be a whole number from 0 to 999999, got "-1"',
      "metrics[1].on-fail: unknown policy 'explode'; known: fail, retry, pause, ignore",
      'metrics[1].consecutive-error-limit: is not used with on-error: fail; remove it, or use on-error: retry or pause',
      'metrics[2].name: is required',
      'metrics[2].threshold: must be a string, not a list or mapping',
      'metrics[3]: must be a mapping with at least name, query and threshold',
      "metrics[4].name: \"bad name!\" is not a name: use letters, digits, '.', '_' and '-', at most 63 characters",
      'metrics[4].query: is required',
      expect.stringMatching(/^metrics\[4\]\.threshold: unknown unit 'h'/),
      expect.stringMatching(/^metrics\[4\]\.interval: 2h is longer than the limit of 1h/),
    ]);
  });

  it('refuses a duplicate name, naming the first', () => {
    const { problems } = parseMetricChecks('- {name: a, query: up, threshold: "> 0"}\n- {name: a, query: up, threshold: "> 0"}');
    expect(problems).toEqual([{ input: 'metrics[1].name', message: "'a' is already the name of metrics[0]; names must be unique" }]);
  });

  it.each([
    ['not: a list', 'metrics', 'must be a YAML list of metric checks'],
    ['- [unclosed', 'metrics', 'is not valid YAML'],
    ['- &a {name: x}\n- *a', 'metrics', 'uses an alias'],
  ])('refuses %j as a whole', (text, input, message) => {
    const { checks, problems } = parseMetricChecks(text);
    expect(checks).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.input).toBe(input);
    expect(problems[0]?.message).toContain(message);
  });

  it('names the input it was given', () => {
    const { problems } = parseMetricChecks('- {name: a, query: up}', 'analysis-metrics');
    expect(problems.map((p) => p.input)).toEqual(['analysis-metrics[0].threshold']);
  });
});

describe('renderQuery', () => {
  const vars = { release: 'shop', namespace: 'prod', canary: 'shop-web-canary' };

  it('substitutes every placeholder, spaces inside the braces allowed', () => {
    expect(renderQuery('x{release="{{release}}",namespace="{{ namespace }}",pod=~"{{canary}}-.*"} / y{v="{{canary}}"}', vars)).toBe(
      'x{release="shop",namespace="prod",pod=~"shop-web-canary-.*"} / y{v="shop-web-canary"}',
    );
  });

  it('leaves unknown placeholders alone (the parser refuses them) and escapes quotes in values', () => {
    expect(renderQuery('{{other}} "{{release}}"', { ...vars, release: 'a"} or vector(1) #' })).toBe('{{other}} "a\\"} or vector(1) #"');
  });
});
