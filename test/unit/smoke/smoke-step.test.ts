import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, InputProblems, parseInputs, runStep, smokeSpec, validateSmokeInputs, type SmokeReport } from '@slipway/core';
import { FakeHost } from '../../support/fake-host.ts';

let server: Server;
let base: string;
let requests = 0;
let workspace: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests++;
    const status = request.url === '/down' ? 503 : 200;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: status === 200 ? 'ok' : 'down' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  workspace = mkdtempSync(path.join(os.tmpdir(), 'slipway-smoke-step-'));
  writeFileSync(
    path.join(workspace, 'kubeconfig'),
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: ci',
      "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]",
      'users: [{name: u, user: {token: t0ken-value}}]',
      'contexts: [{name: ci, context: {cluster: c, user: u, namespace: team-a}}]',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(workspace, { recursive: true, force: true });
});

function validate(raw: Record<string, string>) {
  const problems = new InputProblems();
  const values = parseInputs(smokeSpec.inputs, (name) => raw[name], problems);
  const inputs = validateSmokeInputs(values, { workspace, tempDir: workspace, env: { HOME: workspace }, problems });
  return { inputs, problems: problems.list.map((problem) => `${problem.input}: ${problem.message}`) };
}

const host = (inputs: Record<string, string>) => new FakeHost({ inputs, workspace, tempDir: workspace, env: { HOME: workspace } });

describe('smoke inputs', () => {
  it('the url shorthand first, then the listed checks; no cluster read when nothing targets a Service', () => {
    const { inputs, problems } = validate({
      url: `${base}/`,
      checks: `- { name: json, url: '${base}/', json-path: $.status, json-equals: ok }`,
      deadline: '30s',
    });
    expect(problems).toEqual([]);
    expect(inputs.checks.map((check) => check.name)).toEqual(['url', 'json']);
    expect(inputs.deadlineMs).toBe(30_000);
    expect(inputs.cluster).toBeUndefined();
  });

  it('a service target or helm-test reads the kubeconfig: its context namespace is the default', () => {
    const { inputs, problems } = validate({ checks: '- { name: web, service: web:80 }', kubeconfig: 'kubeconfig', 'helm-test': 'true', release: 'web' });
    expect(problems).toEqual([]);
    expect(inputs.cluster).toEqual({ namespace: 'team-a', kubeconfig: path.join(workspace, 'kubeconfig'), kubeContext: undefined });
    expect(inputs.helmTest).toEqual({ release: 'web' });
  });

  it('names every problem together', () => {
    const { problems } = validate({
      url: 'ftp://example.com/',
      checks: '- { name: a, service: web:80, colour: red }\n- { name: url, url: "https://example.com/" }',
      'helm-test': 'true',
      kubeconfig: 'missing-kubeconfig',
      'kube-context': 'nope',
      deadline: 'soon',
    });
    expect(problems).toEqual([
      'deadline: expected a duration such as 90s, 5m or 1h30m, got "soon"',
      'url: must be an http:// or https:// URL, got ftp:',
      expect.stringMatching(/^checks\[0\]\.colour: is not a check field/),
      'release: helm-test: true needs the release whose tests to run',
      expect.stringMatching(/^kubeconfig: /),
    ]);
  });

  it('refuses to run with nothing to check', () => {
    expect(validate({}).problems).toEqual(['checks: nothing to check: give checks, url, or helm-test: true with a release']);
  });
});

describe('the smoke step through runStep', () => {
  it('exit 0 when every check passes: outputs, a summary table, one log line per attempt and result', async () => {
    const fake = host({ url: `${base}/`, checks: `- { name: "json | status", url: '${base}/', json-path: $.status, json-equals: ok }` });
    const outcome = await runStep(fake, 'smoke');
    expect(outcome.exitCode).toBe(ExitCode.success);
    expect(fake.outputs).toMatchObject({ result: 'passed', passed: '2', failed: '0' });
    const report = JSON.parse(fake.outputs.report ?? '') as SmokeReport;
    expect(report.checks.map((check) => [check.name, check.passed, check.attempts, check.status])).toEqual([
      ['url', true, 1, 200],
      ['json | status', true, 1, 200],
    ]);
    const summary = fake.summaries.join('\n');
    expect(summary).toContain('| check | target | status | latency | attempts | result |');
    expect(summary).toMatch(/\| json \\\| status \| GET http:\/\/127\.0\.0\.1:\d+\/ \| 200 \| \d+ ms \| 1 \| passed \|/);
    expect(fake.logged('info').filter((line) => line.startsWith('smoke: '))).toHaveLength(4);
  });

  it('exit 1 (gate failed) when a check fails, with the reason and the failure in the table', async () => {
    const fake = host({ checks: `- { name: down, url: '${base}/down', retries: 1, retry-delay: 10ms }`, deadline: '10s' });
    const outcome = await runStep(fake, 'smoke');
    expect(outcome.exitCode).toBe(ExitCode.gateFailed);
    expect(fake.outputs).toMatchObject({ result: 'failed', passed: '0', failed: '1' });
    expect(outcome.report?.reason).toBe('smoke: 1 of 1 checks failed: down (status 503 not in 2xx: {"status":"down"})');
    expect(fake.summaries.join('\n')).toContain('| 503 |');
  });

  it('bad input: exit 2, every problem named, nothing sent', async () => {
    const before = requests;
    const fake = host({ url: 'gopher://x', checks: `- { name: ok, url: '${base}/' }\n- { name: bad, url: '${base}/', expect-status: 9xx }` });
    const outcome = await runStep(fake, 'smoke');
    expect(outcome.exitCode).toBe(ExitCode.invalidInput);
    expect(outcome.error?.message).toContain("input 'url': must be an http:// or https:// URL, got gopher:");
    expect(outcome.error?.message).toContain('input \'checks[1].expect-status\': "9xx" is not an HTTP status (100-599) or class (1xx-5xx)');
    expect(requests).toBe(before);
  });
});
