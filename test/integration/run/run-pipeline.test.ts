import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { bundleDeployHosts } from '../deploy/deploy-hosts.ts';
import { describeSandbox, kubectl, repoRoot, run, type SandboxInfo, uniqueName } from '../sandbox/sandbox.ts';

/** The example pipeline's shape, direct strategy (the canary has its own suites), with the sandbox's Azure. */
const config = (repository: string) => `version: 1
azure:
  auth: client-secret
  tenant-id: \${AZURE_TENANT_ID}
  client-id: \${AZURE_CLIENT_ID}
  client-secret: \${AZURE_CLIENT_SECRET}
  authority-host: \${AZURE_AUTHORITY_HOST}
images:
  hello:
    image: ${repository}
    context: examples/hello
    target: runtime
    tags: [run-test]
scan:
  offline: true
  cache-dir: \${TRIVY_CACHE}
registry:
  login-server: \${ACR_LOGIN_SERVER}
cluster:
  subscription-id: \${AKS_SUBSCRIPTION_ID}
  resource-group: \${AKS_RESOURCE_GROUP}
  cluster-name: \${AKS_CLUSTER_NAME}
  arm-endpoint: \${AZURE_AUTHORITY_HOST}
deploy:
  release: hello
  chart: test/fixtures/charts/slipway-demo
  timeout: 60s
environments:
  test:
    cluster:
      namespace: \${NAMESPACE}
`;

describeSandbox('slipway run: the whole path from slipway.yaml on the sandbox', (sb: SandboxInfo) => {
  let cli: string;
  let work: string;
  let env: Record<string, string>;
  const doubles = () => JSON.parse(readFileSync(sb.env.AZURE_DOUBLES_JSON as string, 'utf8'));

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'slipway-run-test-'));
    cli = (await bundleDeployHosts(path.join(work, 'hosts'))).cli;
    const ci = doubles().apps.find((app: { name: string }) => app.name === 'ci');
    env = {
      AZURE_TENANT_ID: sb.env.SANDBOX_TENANT_ID as string,
      AZURE_CLIENT_ID: ci.clientId,
      AZURE_CLIENT_SECRET: ci.secrets[0],
      AZURE_AUTHORITY_HOST: sb.env.AZURE_DOUBLES_URL as string,
      ACR_LOGIN_SERVER: doubles().registry.loginServer,
      AKS_SUBSCRIPTION_ID: sb.env.SANDBOX_AKS_SUBSCRIPTION as string,
      AKS_RESOURCE_GROUP: sb.env.SANDBOX_AKS_RESOURCE_GROUP as string,
      AKS_CLUSTER_NAME: sb.env.SANDBOX_AKS_ENTRA_CLUSTER as string,
      TRIVY_CACHE: sb.env.TRIVY_CACHE_DIR as string,
      STORAGE_DRIVER: 'vfs',
      PATH: `${path.dirname(sb.env.HELM4 as string)}:${path.dirname(sb.env.TRIVY as string)}:${process.env.PATH}`,
    };
  }, 120_000);

  const slipway = async (namespace: string, file: string, reportDir: string, extra: string[] = []) => {
    const result = await run(sb, process.execPath, [cli, 'run', '--config', file, '--environment', 'test', '--report-dir', reportDir, '--json', ...extra], {
      env: { ...env, NAMESPACE: namespace },
      timeoutMs: 240_000,
      cwd: repoRoot,
    });
    return { ...result, doc: JSON.parse(result.stdout || '{}') };
  };
  const tags = async (repository: string) => {
    const listed = await run(sb, sb.env.SKOPEO as string, [
      'list-tags',
      '--creds',
      `${sb.env.REGISTRY_AUTH_USER}:${sb.env.REGISTRY_AUTH_PASSWORD}`,
      `docker://${sb.env.REGISTRY}/${repository}`,
    ]);
    return listed.code === 0 ? (JSON.parse(listed.stdout).Tags as string[]) : [];
  };
  const newNamespace = async () => {
    const namespace = uniqueName('run');
    await kubectl(sb, ['create', 'namespace', namespace]);
    return namespace;
  };

  it('builds, scans, pushes, gets the AKS context and deploys; the report says so stage by stage, in JSON and HTML', { timeout: 300_000 }, async () => {
    const namespace = await newNamespace();
    const repository = `demo/${uniqueName('run')}`;
    const file = path.join(work, `${namespace}.yaml`);
    writeFileSync(file, config(repository));
    const reportDir = path.join(work, `${namespace}-report`);
    const result = await slipway(namespace, file, reportDir);
    expect(result.doc.exitCode, result.stderr).toBe(0);
    expect(result.doc.outputs.result).toBe('succeeded');
    expect(result.doc.outputs.images).toMatch(new RegExp(`^hello=.*/${repository}@sha256:[0-9a-f]{64}$`));
    expect(result.doc.outputs['deploy-result']).toBe('deployed');
    const report = JSON.parse(readFileSync(path.join(reportDir, 'slipway-report.json'), 'utf8'));
    expect(report.stages.map((stage: { id: string; status: string }) => `${stage.id} ${stage.status}`)).toEqual([
      'build:hello succeeded',
      'scan:hello succeeded',
      'push:hello succeeded',
      'aks-context succeeded',
      'deploy succeeded',
    ]);
    expect(report.scans[0]).toMatchObject({ image: 'hello', passed: true });
    expect(readFileSync(path.join(reportDir, 'slipway-report.html'), 'utf8')).toContain('build:hello');
    expect(existsSync(path.join(reportDir, 'scan-hello.junit.xml'))).toBe(true);
    expect(await tags(repository)).toEqual(expect.arrayContaining(['run-test']));
    const deployed = await kubectl(sb, ['get', 'deployments', '-n', namespace, '-o', 'jsonpath={.items[0].spec.template.spec.containers[0].image}']);
    expect(deployed).toContain(result.doc.outputs.images.split('@')[1]);
    // The kubeconfig aks-context wrote is gone when the CLI exits (the post phase), and the secret was never printed.
    const kubeconfig = report.stages.find((stage: { id: string }) => stage.id === 'aks-context').outputs.kubeconfig;
    expect(kubeconfig).toMatch(/slipway-aks-/);
    expect(existsSync(kubeconfig)).toBe(false);
    expect(result.stderr + result.stdout + readFileSync(path.join(reportDir, 'slipway-report.json'), 'utf8')).not.toContain(env.AZURE_CLIENT_SECRET);
  });

  it('--dry-run plans every stage and changes nothing: no image in the registry, no release in the cluster', { timeout: 120_000 }, async () => {
    const namespace = await newNamespace();
    const repository = `demo/${uniqueName('dry')}`;
    const file = path.join(work, `${namespace}.yaml`);
    writeFileSync(file, config(repository));
    const result = await slipway(namespace, file, path.join(work, `${namespace}-report`), ['--dry-run']);
    expect(result.doc.exitCode, result.stderr).toBe(0);
    expect(result.doc.outputs.result).toBe('planned');
    expect(result.doc.result.stages.map((stage: { id: string; status: string }) => `${stage.id} ${stage.status}`)).toEqual([
      'build:hello planned',
      'scan:hello planned',
      'push:hello planned',
      'aks-context planned',
      'deploy planned',
    ]);
    expect(await tags(repository)).toEqual([]);
    expect(await kubectl(sb, ['get', 'deployments,secrets,configmaps,leases', '-n', namespace, '-o', 'name'])).not.toMatch(/hello|slipway/);
  });

  it('a config with unknown keys, wrong shapes and unset variables: exit 2 with file:line:column and key for each, nothing built', {
    timeout: 60_000,
  }, async () => {
    const namespace = uniqueName('bad');
    const file = path.join(work, 'bad.yaml');
    writeFileSync(
      file,
      config('demo/never').replace('  release: hello', '  relase: hello\n  steps: {a: b}').replace('${ACR_LOGIN_SERVER}', '${NOT_SET_ANYWHERE}'),
    );
    const reportDir = path.join(work, 'bad-report');
    const result = await slipway(namespace, file, reportDir);
    expect(result.doc.exitCode).toBe(2);
    expect(result.doc.error.code).toBe('CONFIG_INVALID');
    const lines = result.doc.error.message.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`${file}:18:17: registry.login-server: refers to \${NOT_SET_ANYWHERE}, which is not set`),
        `${file}:25:3: deploy.relase: unknown key (did you mean 'release'?)`,
        `${file}:26:10: deploy.steps: must be a list, not a mapping`,
        expect.stringContaining(`${file}:24:1: deploy.release: is required`),
      ]),
    );
    expect(existsSync(reportDir)).toBe(false);
    expect(await tags('demo/never')).toEqual([]);
  });

  it('scan or push without build in the same run (from scan) is exit 2 naming `from`: they read the layout build writes', { timeout: 60_000 }, async () => {
    const file = path.join(work, 'from-scan.yaml');
    writeFileSync(file, config('demo/never'));
    const result = await slipway(uniqueName('from'), file, path.join(work, 'from-scan-report'), ['--from', 'scan']);
    expect(result.doc.exitCode).toBe(2);
    expect(result.doc.error.message).toContain("input 'from': scan and push read the image layout build writes in the same run: include build");
  });
});
