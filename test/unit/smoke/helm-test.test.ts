import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildHelmTestArgs, parseHelmTestOutput, type HelmTestOptions } from '@slipway/core';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/helm');
const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(fixtures, name), 'utf8')) as { args: string[]; exitCode: number; stdout: string; stderr: string };

describe('buildHelmTestArgs', () => {
  it.each<[string, HelmTestOptions, string[]]>([
    ['minimal', { release: 'api', namespace: 'shop' }, ['test', 'api', '--namespace', 'shop']],
    [
      'timeout (whole seconds, rounded up) and logs',
      { release: 'api', namespace: 'shop', timeoutMs: 90_500, logs: true },
      ['test', 'api', '--namespace', 'shop', '--timeout', '91s', '--logs'],
    ],
    [
      'another kubeconfig and context',
      { release: 'api', namespace: 'shop', kubeconfig: '/tmp/k/config', kubeContext: 'aks-prod', timeoutMs: 60_000 },
      ['test', 'api', '--namespace', 'shop', '--kube-context', 'aks-prod', '--kubeconfig', '/tmp/k/config', '--timeout', '60s'],
    ],
  ])('%s', (_, options, expected) => {
    expect(buildHelmTestArgs(options)).toEqual(expected);
  });

  it('builds the argv the fixtures were recorded with', () => {
    expect(buildHelmTestArgs({ release: 'demo', namespace: 'slipway-rec', timeoutMs: 60_000 })).toEqual(fixture('helm3-test-passed.json').args);
    expect(buildHelmTestArgs({ release: 'demo', namespace: 'slipway-rec', timeoutMs: 60_000, logs: true })).toEqual(
      fixture('helm4-test-passed-logs-unavailable.json').args,
    );
  });
});

describe('parseHelmTestOutput on real Helm 3.18 and 4.2 output', () => {
  for (const major of ['helm3', 'helm4']) {
    it(`${major}: a passing test`, () => {
      expect(parseHelmTestOutput(fixture(`${major}-test-passed.json`))).toEqual({
        suites: [{ name: 'demo-slipway-demo-test', phase: 'Succeeded' }],
        noTests: false,
        passed: true,
        error: undefined,
        logsUnavailable: false,
        logs: {},
        ran: true,
      });
    });

    it(`${major}: a failing test, with Helm's error`, () => {
      const run = parseHelmTestOutput(fixture(`${major}-test-failed.json`));
      expect(run).toMatchObject({ suites: [{ name: 'demo-slipway-demo-test', phase: 'Failed' }], passed: false, logsUnavailable: false, ran: true });
      expect(run.error).toContain('pod demo-slipway-demo-test failed');
    });

    it(`${major}: the second of two tests failing: which passed and which failed`, () => {
      const run = parseHelmTestOutput(fixture(`${major}-test-second-failed.json`));
      expect(run.suites).toEqual([
        { name: 'demo-slipway-demo-test', phase: 'Succeeded' },
        { name: 'demo-slipway-demo-test-second', phase: 'Failed' },
      ]);
      expect(run.passed).toBe(false);
    });

    it(`${major}: every test passed but --logs found none (exit 1): still passed`, () => {
      const recorded = fixture(`${major}-test-passed-logs-unavailable.json`);
      expect(recorded.exitCode).toBe(1);
      expect(parseHelmTestOutput(recorded)).toMatchObject({ passed: true, logsUnavailable: true, suites: [{ phase: 'Succeeded' }] });
    });

    it(`${major}: a chart without tests passes; a release that does not exist never ran`, () => {
      expect(parseHelmTestOutput(fixture(`${major}-test-none.json`))).toMatchObject({ noTests: true, suites: [], passed: true, ran: true });
      expect(parseHelmTestOutput(fixture(`${major}-test-no-release.json`))).toMatchObject({ ran: false, passed: false, error: 'release: not found' });
    });
  }

  it('a failed test whose logs were fetched: the logs by pod, the verdict unchanged', () => {
    // Shaped as Helm's `--logs` writes it (`POD LOGS: <pod>` then the log), which KWOK pods cannot produce.
    const recorded = fixture('helm3-test-failed.json');
    const run = parseHelmTestOutput({ ...recorded, stdout: `${recorded.stdout}\nPOD LOGS: demo-slipway-demo-test\nwget: bad address\nexit 1\n\n` });
    expect(run.logs).toEqual({ 'demo-slipway-demo-test': 'wget: bad address\nexit 1' });
    expect(run).toMatchObject({ passed: false, logsUnavailable: false });
  });

  it('a mere exit 1 with no phase is never a pass', () => {
    expect(
      parseHelmTestOutput({ exitCode: 1, stdout: 'NAME: demo\nSTATUS: deployed\n', stderr: 'Error: timed out waiting for the condition\n' }),
    ).toMatchObject({
      passed: false,
      ran: true,
      error: 'timed out waiting for the condition',
    });
  });
});
