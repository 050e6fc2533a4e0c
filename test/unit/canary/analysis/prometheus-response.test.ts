import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLabels, parsePrometheusResponse } from '@slipway/core';

/** A real answer of the sandbox's Prometheus 2.42, recorded by test/fixtures/prometheus/record.ts. */
function fixture(name: string): { status: number; body: string; request: { query: string } } {
  return JSON.parse(readFileSync(path.join(import.meta.dirname, '../../../fixtures/prometheus', `${name}.json`), 'utf8'));
}
const parseFixture = (name: string) => {
  const { status, body } = fixture(name);
  return parsePrometheusResponse(status, body);
};

describe('parsePrometheusResponse on real Prometheus 2.42 answers', () => {
  it('reads a one-series vector as a value', () => {
    const result = parseFixture('vector-single');
    expect(result).toMatchObject({ kind: 'value', labels: {} });
    // 20 requests a second per version by default; whatever the rate, it is a positive number read from the body.
    const expected = Number(/"value":\[[\d.]+,"([^"]+)"/.exec(fixture('vector-single').body)?.[1]);
    expect(result.kind === 'value' && result.value).toBe(expected);
    expect(expected).toBeGreaterThan(0);
  });

  it("keeps the series' labels", () => {
    const result = parseFixture('vector-single-labelled');
    expect(result.kind).toBe('value');
    if (result.kind !== 'value') return;
    expect(result.labels).toMatchObject({ __name__: 'http_requests_total', code: '200', version: 'stable', job: 'metrics-app' });
    expect(formatLabels(result.labels)).toMatch(
      /^http_requests_total\{app="slipway-demo",code="200",instance="127\.0\.0\.1:\d+",job="metrics-app",version="stable"\}$/,
    );
  });

  it('reads a latency quantile in seconds', () => {
    const result = parseFixture('vector-latency-seconds');
    expect(result.kind === 'value' && result.value).toBeGreaterThan(0);
    expect(result.kind === 'value' && result.value).toBeLessThan(1);
  });

  it('reads an empty vector as NoData, not as zero', () => {
    expect(parseFixture('vector-empty')).toEqual({ kind: 'no-data', cause: 'empty', detail: 'the query matched no series' });
  });

  it('reads NaN (0/0 with no traffic) as NoData, in a vector and as a scalar', () => {
    expect(parseFixture('vector-nan')).toMatchObject({ kind: 'no-data', cause: 'nan', labels: {} });
    expect(parseFixture('scalar-nan')).toMatchObject({ kind: 'no-data', cause: 'nan' });
  });

  it('reads a scalar as a value without labels', () => {
    expect(parseFixture('scalar')).toEqual({ kind: 'value', value: 1, labels: {} });
  });

  it('refuses several series, naming them and saying to aggregate', () => {
    const result = parseFixture('vector-multiple');
    expect(result.kind).toBe('error');
    if (result.kind !== 'error') return;
    expect(result.error.reason).toBe('multiple-series');
    expect(result.error.message).toMatch(/^the query returned \d+ series \(\{version="[^"]+"\}, \{version="[^"]+"\}/);
    expect(result.error.hint).toContain('sum(');
  });

  it('refuses a range vector and a string as results no gate can use', () => {
    expect(parseFixture('matrix')).toMatchObject({ kind: 'error', error: { reason: 'unsupported-result', message: expect.stringContaining('range vector') } });
    expect(parseFixture('string')).toMatchObject({ kind: 'error', error: { reason: 'unsupported-result', message: expect.stringContaining('a string') } });
  });

  it("reads a 400 bad_data as a bad query with Prometheus' own message", () => {
    expect(parseFixture('bad-data-400')).toEqual({
      kind: 'error',
      error: {
        reason: 'bad-query',
        status: 400,
        errorType: 'bad_data',
        message: 'Prometheus rejected the query (400 bad_data): invalid parameter "query": 1:33: parse error: unclosed left parenthesis',
        hint: 'fix the PromQL; try it in the Prometheus UI',
      },
    });
  });

  it('reads a 422 execution error as an evaluation failure', () => {
    const result = parseFixture('execution-422');
    expect(result).toMatchObject({ kind: 'error', error: { reason: 'execution', status: 422, errorType: 'execution' } });
    expect(result.kind === 'error' && result.error.message).toContain('many-to-many matching not allowed');
  });

  it('reads a plain-text 404 as a wrong URL', () => {
    expect(parseFixture('not-found-404')).toMatchObject({
      kind: 'error',
      error: { reason: 'not-found', status: 404, message: 'there is no Prometheus query API at this URL (404): "404 page not found"' },
    });
  });
});

describe('parsePrometheusResponse on answers no recorded Prometheus gave', () => {
  const vector = (value: string) => `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.1,"${value}"]}]}}`;

  it.each<[string, number]>([
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
    ['1e-05', 0.00001],
    ['0', 0],
  ])('reads %s as %d', (text, value) => {
    expect(parsePrometheusResponse(200, vector(text))).toEqual({ kind: 'value', value, labels: {} });
  });

  it.each<[string, number, string, string]>([
    ['a proxy page', 502, '<html>Bad Gateway</html>', 'Prometheus answered HTTP 502: "<html>Bad Gateway</html>"'],
    [
      'a 503 timeout',
      503,
      '{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}',
      'Prometheus gave up evaluating the query (503 timeout)',
    ],
    ['a 401', 401, '', 'Prometheus refused the request as unauthenticated (401)'],
    ['a 403 from a gateway', 403, '{"error":"denied"}', 'Prometheus refused the request (403 forbidden): "{\\"error\\":\\"denied\\"}"'],
    ['truncated JSON', 200, '{"status":"success","data":{"resultT', "could not read Prometheus' answer (not JSON)"],
    ['no status', 200, '{"data":{}}', 'no "status" of success or error'],
    ['no resultType', 200, '{"status":"success","data":{}}', 'no data.resultType'],
    ['a non-list vector', 200, '{"status":"success","data":{"resultType":"vector","result":{}}}', 'data.result of a vector is not a list'],
    ['a sample that is not a number', 200, vector('lots'), 'data.result[0] is not {metric: {...}, value: [time, "value"]}'],
    ['an empty sample value', 200, vector(''), 'data.result[0] is not'],
    [
      'a label that is not a string',
      200,
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"1"]}]}}',
      'data.result[0] is not',
    ],
    ['a bad scalar', 200, '{"status":"success","data":{"resultType":"scalar","result":[1]}}', 'data.result is not a [time, "value"] pair'],
    ['an unknown result type', 200, '{"status":"success","data":{"resultType":"histogram","result":[]}}', 'unknown data.resultType "histogram"'],
  ])('explains %s', (_what, status, body, message) => {
    const result = parsePrometheusResponse(status, body);
    expect(result.kind).toBe('error');
    expect(result.kind === 'error' && result.error.message).toContain(message);
  });

  it('quotes at most 200 characters of what it could not read', () => {
    const result = parsePrometheusResponse(200, `{"status":"success","data":{"resultType":"vector","result":"${'x'.repeat(500)}"}}`);
    expect(result.kind === 'error' && result.error.reason).toBe('unreadable');
    expect(result.kind === 'error' && result.error.message.length).toBeLessThan(300);
    expect(result.kind === 'error' && result.error.message).toContain('…');
  });

  it('hints at the Azure Monitor role on a 403 and the token scope on a 401', () => {
    expect(parsePrometheusResponse(403, '')).toMatchObject({ error: { reason: 'forbidden', hint: expect.stringContaining('Monitoring Data Reader') } });
    expect(parsePrometheusResponse(401, '')).toMatchObject({
      error: { reason: 'unauthorized', hint: expect.stringContaining('https://prometheus.monitor.azure.com/.default') },
    });
  });
});
