import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploySpec, InputProblems, parseInputs, releaseNameProblem, rollbackSpec, validateDeployInputs, validateReleaseTarget } from '@slipway/core';

const digest = `sha256:${'ab'.repeat(32)}`;
let workspace: string;

beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'slipway-deploy-validate-'));
  mkdirSync(path.join(workspace, 'chart'));
  writeFileSync(path.join(workspace, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: web\nversion: 0.1.0\n');
  mkdirSync(path.join(workspace, 'not-a-chart'));
  writeFileSync(path.join(workspace, 'values.yaml'), 'replicas: 2\n');
  writeFileSync(path.join(workspace, 'list.yaml'), '- a\n- b\n');
  writeFileSync(path.join(workspace, 'broken.yaml'), 'replicas: [2\n');
  writeFileSync(
    path.join(workspace, 'kubeconfig'),
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: ci',
      "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]",
      'users: [{name: u, user: {token: t0ken-value}}]',
      'contexts: [{name: ci, context: {cluster: c, user: u, namespace: team-a}}, {name: other, context: {cluster: c, user: u}}]',
      '',
    ].join('\n'),
  );
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function validate(raw: Record<string, string>, env: Record<string, string> = {}) {
  const problems = new InputProblems();
  const values = parseInputs(deploySpec.inputs, (name) => raw[name], problems);
  const inputs = validateDeployInputs(values, { workspace, tempDir: path.join(workspace, 'temp'), env, problems });
  return { inputs, problems: problems.list.map((problem) => `${problem.input}: ${problem.message}`) };
}

const base = { release: 'web', chart: 'chart', kubeconfig: 'kubeconfig' };

describe('deploy inputs', () => {
  it('a local chart, the kubeconfig context namespace, and the image pinned at the default value paths', () => {
    const { inputs, problems } = validate({ ...base, image: `myacr.azurecr.io/web:1.2@${digest}`, 'values-files': 'values.yaml', set: 'replicas=3' });
    expect(problems).toEqual([]);
    expect(inputs.target).toMatchObject({ release: 'web', namespace: 'team-a', kubeconfig: path.join(workspace, 'kubeconfig') });
    expect(inputs.chart).toEqual({ kind: 'path', path: path.join(workspace, 'chart') });
    expect(inputs.image?.paths).toEqual([
      { path: 'image.repository', part: 'repository' },
      { path: 'image.tag', part: 'tag@digest' },
    ]);
    expect(inputs.policy?.failOn.map((clause) => clause.text)).toEqual(['HIGH+>0']);
    expect(inputs.valuesFiles).toEqual([path.join(workspace, 'values.yaml')]);
  });

  it('kubeconfig defaults to the first file of $KUBECONFIG; kube-context picks its namespace', () => {
    const { inputs, problems } = validate(
      { release: 'web', chart: 'chart', 'kube-context': 'other' },
      { KUBECONFIG: `${path.join(workspace, 'kubeconfig')}:/nowhere` },
    );
    expect(problems).toEqual([]);
    expect(inputs.target).toMatchObject({ kubeconfig: path.join(workspace, 'kubeconfig'), kubeContext: 'other', namespace: 'default' });
  });

  it('an OCI chart in ACR asks for the Azure sign-in; policy none turns the gate off', () => {
    const { inputs, problems } = validate({ ...base, chart: 'oci://myacr.azurecr.io/helm/web', 'chart-version': '1.4.2', 'policy-fail-on': 'none' });
    // auto with nothing given: the default credential chain, nothing to refuse.
    expect(problems).toEqual([]);
    expect(inputs.chart).toEqual({ kind: 'oci', reference: 'oci://myacr.azurecr.io/helm/web', version: '1.4.2' });
    expect(inputs.chartRegistrySignIn?.registry).toBe('myacr.azurecr.io');
    expect(inputs.policy).toBeUndefined();
  });

  it('every problem at once, each naming its input', () => {
    const { problems } = validate({
      release: 'Web_1',
      chart: 'not-a-chart',
      kubeconfig: 'missing-kubeconfig',
      'values-files': 'broken.yaml\nlist.yaml\nmissing.yaml',
      set: 'bad path!=1',
      image: 'myacr.azurecr.io/web:1.2',
      'image-values': 'image.repository=repo',
      'chart-version': '1.0.0',
      'policy-fail-on': 'SEVERE>1',
    });
    const inputs = problems.map((problem) => problem.split(':')[0]);
    for (const input of ['release', 'chart', 'kubeconfig', 'values-files', 'set', 'image', 'image-values', 'chart-version', 'policy-fail-on']) {
      expect(inputs, problems.join('\n')).toContain(input);
    }
    expect(problems.filter((problem) => problem.startsWith('values-files'))).toHaveLength(3);
    expect(problems.join('\n')).toContain('is not pinned by digest');
  });

  it('a repository chart needs its version; an https repository only', () => {
    const { problems } = validate({ ...base, chart: 'web', 'chart-repo': 'http://charts.example.com' });
    expect(problems).toEqual([expect.stringMatching(/^chart-repo: /), expect.stringMatching(/^chart-version: is required/)]);
  });

  it('rollback: the release target, and a revision of 1 or more', () => {
    const problems = new InputProblems();
    const values = parseInputs(rollbackSpec.inputs, (name) => ({ release: 'web', kubeconfig: 'kubeconfig', revision: '0' })[name], problems);
    validateReleaseTarget(values, { workspace, tempDir: workspace, env: {}, problems });
    expect(problems.list.map((problem) => problem.input)).toEqual(['revision']);
  });
});

describe('releaseNameProblem (Helm: DNS-1123 subdomain, at most 53 characters)', () => {
  it.each([
    ['web', undefined],
    ['web.v2-blue', undefined],
    ['a'.repeat(53), undefined],
    ['a'.repeat(54), /at most 53/],
    ['Web', /is not a Helm release name/],
    ['web_1', /is not a Helm release name/],
    ['-web', /is not a Helm release name/],
  ])('%s', (name, expected) => {
    const problem = releaseNameProblem(name);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});
