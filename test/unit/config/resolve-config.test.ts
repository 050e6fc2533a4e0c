import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, ConfigProblems } from '../../../packages/core/src/config/config-problems.ts';
import { resolveConfig } from '../../../packages/core/src/config/resolve-config.ts';

const resolve = (text: string, options: { env?: Record<string, string>; environment?: string } = {}) => {
  const problems = new ConfigProblems('slipway.yaml');
  const config = resolveConfig(text, { env: options.env ?? {}, environment: options.environment }, problems);
  return { config, problems: problems.list.map((p) => `${p.line}:${p.column} ${p.key}: ${p.message}`) };
};

const valid = `version: 1
azure:
  tenant-id: \${TENANT}
  client-secret: \${SECRET}
images:
  api:
    context: .
    tags: [1.10, latest]
    build-args: {A: "1", B: two}
deploy:
  release: api
  chart: ./chart
  steps: [10, 25]
  metrics:
    - name: error-rate
      query: sum(rate(x[1m]))
      threshold: "<= 1%"
environments:
  staging:
    deploy:
      steps: [50]
      namespace: staging
`;

describe('resolveConfig', () => {
  it('turns sections into the raw inputs a host would give each step, keeping scalars as written', () => {
    const base = valid.slice(0, valid.indexOf('environments:'));
    const { config, problems } = resolve(base, { env: { TENANT: 'contoso.onmicrosoft.com', SECRET: 's3cret-value' } });
    expect(problems).toEqual([]);
    const api = config?.images.get('api')?.inputs;
    expect(api?.get('tags')?.raw).toBe('1.10\nlatest');
    expect(api?.get('build-args')?.raw).toBe('A=1\nB=two');
    expect(config?.azure.get('tenant-id')?.raw).toBe('contoso.onmicrosoft.com');
    expect(config?.deploy?.get('steps')?.raw).toBe('10\n25');
    expect(config?.deploy?.get('metrics')?.raw).toContain('threshold: <= 1%');
    expect(config?.secrets).toEqual(['s3cret-value']);
  });

  it("applies the chosen environment's keys over the base section, key by key", () => {
    const { config, problems } = resolve(valid, { env: { TENANT: 't.example.com', SECRET: 'x'.repeat(12) }, environment: 'staging' });
    expect(problems).toEqual([]);
    expect(config?.deploy?.get('steps')?.raw).toBe('50');
    expect(config?.deploy?.get('namespace')?.raw).toBe('staging');
    expect(config?.deploy?.get('release')?.raw).toBe('api');
    expect(config?.deploy?.get('steps')?.node.path).toBe('environments.staging.deploy.steps');
  });

  it('needs an environment chosen when the file defines some, so that a run never deploys the base sections by accident', () => {
    const { problems } = resolve(valid, { env: { TENANT: 't.example.com', SECRET: 'x'.repeat(12) } });
    expect(problems).toEqual(['18:1 environments: the file defines environments (staging): choose one with `environment` (--environment)']);
  });

  it('reports every problem at its line, column and key: unknown keys, shapes, unset variables, secrets in the file, environments', () => {
    const text = `version: 2
imgaes: {}
azure:
  client-secret: hunter2-literal
  tenant-id: \${NOT_SET}
deploy:
  release: [a, b]
  strategy: canary
  stratgy: direct
environments:
  prod:
    deploy: {relase: x}
`;
    const { problems } = resolve(text, { environment: 'prd' });
    expect([...problems].sort()).toEqual(
      [
        '1:10 version: must be 1 (this Slipway reads version 1 files)',
        "2:1 imgaes: unknown key (did you mean 'images'?)",
        '4:18 azure.client-secret: is a secret: never write it in the file; write `${ENV_VAR}` and set the variable from your CI secret store',
        '5:14 azure.tenant-id: refers to ${NOT_SET}, which is not set',
        '7:12 deploy.release: must be a single value, not a list',
        "9:3 deploy.stratgy: unknown key (did you mean 'strategy'?)",
        "10:1 environments: has no environment 'prd' (defined: prod); did you mean 'prod'?",
        "12:14 environments.prod.deploy.relase: unknown key (did you mean 'release'?)",
      ].sort(),
    );
    // The secret's value is never quoted back.
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('expands ${NAME:-default} and $$, and refuses a malformed reference', () => {
    const { config, problems } = resolve('version: 1\ndeploy:\n  release: ${REL:-api}\n  chart: $$HOME/${CHART}\n  description: ${bad name}\n', {
      env: { CHART: 'c' },
    });
    expect(config?.deploy?.get('release')?.raw).toBe('api');
    expect(config?.deploy?.get('chart')?.raw).toBe('$HOME/c');
    expect(problems).toEqual([expect.stringContaining('5:16 deploy.description: has a malformed variable reference ${bad name}')]);
  });

  it('refuses YAML that is not a usable document, with its position', () => {
    const { problems } = resolve('version: 1\ndeploy:\n  release: a\n  release: b\n');
    expect(problems).toEqual([expect.stringMatching(/^4:3 : is not valid YAML: Map keys must be unique/)]);
  });

  it('throws one ConfigInvalidError (exit 2) listing every problem as file:line:column: key', () => {
    const problems = new ConfigProblems('deploy/slipway.yaml');
    resolveConfig('version: 1\nscan: {fail-onn: x}\nregistry: {keep-tags: 3}\n', { env: {} }, problems);
    const thrown = (() => {
      try {
        problems.throwIfAny();
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(ConfigInvalidError);
    expect(thrown).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2 });
    expect((thrown as Error).message).toContain("deploy/slipway.yaml:2:8: scan.fail-onn: unknown key (did you mean 'fail-on'?)");
    expect((thrown as Error).message).toContain('deploy/slipway.yaml:3:1: registry: needs `login-server`');
  });
});

describe('resolveConfig on an empty file', () => {
  it('is a problem at 1:1, not a crash', () => {
    const problems = new ConfigProblems('slipway.yaml');
    expect(resolveConfig('# only a comment\n', { env: {} }, problems)).toBeUndefined();
    expect(problems.list.map((p) => `${p.line}:${p.column} ${p.message}`)).toEqual(['1:1 is empty: a slipway.yaml starts with `version: 1`']);
  });
});
