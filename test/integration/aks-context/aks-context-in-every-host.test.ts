import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runProcess, type ProcessOutcome } from '../../support/host-harness.ts';
import { describeSandbox, type SandboxInfo } from '../sandbox/sandbox.ts';
import { bundleAksHosts, runAzureJob, runGitHubJob, type AksHosts } from './aks-hosts.ts';
import { clusterInputs, sandboxAks, startIdTokenEndpoint, type IdTokenEndpoint, type SandboxAks } from './sandbox-aks.ts';

/** What a later step of the job saw: the files, kubectl's answer, the plugin's cached token (to look for it elsewhere). */
interface LaterStep {
  kubeconfig: string;
  modes: Record<string, number>;
  kubectl: ProcessOutcome;
  token: string | undefined;
  kubeconfigText: string;
  /** The plugin's 0600 config, as it was while the job ran. */
  pluginConfig: string;
}

/**
 * A log as the runner and the agent show it: their masking commands (`::add-mask::`, `##vso[task.setsecret]`)
 * are what keeps a value out of the log, and are consumed, never shown.
 */
function visible(log: string): string {
  return log
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::') && !line.startsWith('##vso[task.setsecret]'))
    .join('\n');
}

describeSandbox('aks-context in every host, against the sandbox cluster', (sb: SandboxInfo) => {
  let aks: SandboxAks;
  let hosts: AksHosts;
  let dir: string;
  let idTokens: IdTokenEndpoint;

  beforeAll(async () => {
    aks = sandboxAks(sb);
    dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-aks-hosts-'));
    [hosts, idTokens] = await Promise.all([bundleAksHosts(dir), startIdTokenEndpoint(sb, 60)]);
    // The plugin client-node starts in this process inherits this process's environment.
    process.env.NODE_EXTRA_CA_CERTS = aks.baseEnv.NODE_EXTRA_CA_CERTS;
  }, 180_000);

  afterAll(async () => {
    await idTokens?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A later step: kubectl with the environment the host gave it, and what is on disk. */
  async function laterStep(stepEnv: Record<string, string>): Promise<LaterStep> {
    const kubeconfig = stepEnv.KUBECONFIG ?? '';
    const folder = path.dirname(kubeconfig);
    const modes: Record<string, number> = { '.': statSync(folder).mode & 0o777 };
    for (const name of readdirSync(folder)) modes[name] = statSync(path.join(folder, name)).mode & 0o777;
    const kubectl = await runProcess(aks.kubectl, ['get', 'ns', '-o', 'name'], stepEnv);
    const cache = path.join(folder, 'token-cache.json');
    const token = existsSync(cache) ? (JSON.parse(readFileSync(cache, 'utf8')) as { token: string }).token : undefined;
    const pluginConfig = path.join(folder, 'kube-token.json');
    return {
      kubeconfig,
      modes,
      kubectl,
      token,
      kubeconfigText: readFileSync(kubeconfig, 'utf8'),
      pluginConfig: existsSync(pluginConfig) ? readFileSync(pluginConfig, 'utf8') : '',
    };
  }

  function expectWorkingEntraKubeconfig(later: LaterStep, plugin: string): void {
    expect(later.kubectl.exitCode, later.kubectl.stderr).toBe(0);
    expect(later.kubectl.stdout).toContain('namespace/default');
    expect(later.modes).toEqual({ '.': 0o700, kubeconfig: 0o600, 'kube-token.json': 0o600, 'token-cache.json': 0o600 });
    const exec = parse(later.kubeconfigText).users[0].user.exec;
    // The host's own plugin entry; argv holds a path, never a token or secret.
    expect(exec.command).toBe(process.execPath);
    expect(exec.args).toEqual([
      ...(plugin === hosts.cli ? [plugin, 'kube-token'] : [plugin]),
      '--config',
      path.join(path.dirname(later.kubeconfig), 'kube-token.json'),
    ]);
    expect(later.token).toMatch(/^ey/);
  }

  /** The token and the client secret appear nowhere a user or log collector can read. */
  function expectNoSecrets(texts: string[], later: LaterStep): void {
    for (const text of [...texts.map(visible), later.kubeconfigText]) {
      expect(text).not.toContain(later.token);
      expect(text).not.toContain(aks.bound.clientSecret);
    }
  }

  it('GitHub (client secret): KUBECONFIG for later steps, kubectl works, the token is nowhere, post.mjs removes it all', async () => {
    const inputs = {
      ...clusterInputs(aks, aks.entraCluster, aks.bound.clientId),
      auth: 'client-secret',
      'client-secret': aks.bound.clientSecret,
      namespace: 'default',
    };
    const run = await runGitHubJob(hosts.github, inputs, aks.baseEnv, laterStep, (main) => [path.dirname(main.outputs.kubeconfig ?? '/nonexistent/x')]);
    const later = run.later as LaterStep;
    expect(run.main.exitCode, run.main.stdout).toBe(0);
    expect(run.main.exported.KUBECONFIG).toBe(run.main.outputs.kubeconfig);
    expect(run.main.outputs).toMatchObject({
      server: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/),
      'kubernetes-version': aks.kubeVersion,
      context: aks.entraCluster,
      user: aks.bound.objectId,
    });
    expect(JSON.parse(run.main.outputs.groups ?? '[]')).toContain(aks.bound.group);
    expect(run.main.summary).toContain('### Slipway aks-context');
    expectWorkingEntraKubeconfig(later, hosts.github.kubeToken);
    expect(parse(later.kubeconfigText).contexts[0].context.namespace).toBe('default');
    expectNoSecrets(
      [
        run.main.stdout,
        run.main.stderr,
        run.post.stdout,
        run.post.stderr,
        run.main.summary,
        JSON.stringify(run.main.outputs),
        JSON.stringify(run.main.exported),
      ],
      later,
    );

    expect(run.post.exitCode, run.post.stdout).toBe(0);
    expect(run.post.stdout).toContain(`aks-context: removed ${path.dirname(later.kubeconfig)}`);
    expect(run.leftAfterPost).toEqual([]);
  });

  it('GitHub (OIDC): the plugin mints its own assertions in a later step whose environment lacks the runner variables', async () => {
    const before = idTokens.requests.length;
    const inputs = { ...clusterInputs(aks, aks.entraCluster, aks.bound.clientId) };
    const env = { ...aks.baseEnv, ACTIONS_ID_TOKEN_REQUEST_URL: idTokens.githubUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token-0001' };
    const run = await runGitHubJob(
      hosts.github,
      inputs,
      env,
      (stepEnv) => {
        const { ACTIONS_ID_TOKEN_REQUEST_URL: _url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: _token, ...rest } = stepEnv;
        return laterStep(rest);
      },
      (main) => [path.dirname(main.outputs.kubeconfig ?? '/nonexistent/x')],
    );
    const later = run.later as LaterStep;
    expect(run.main.exitCode, run.main.stdout).toBe(0);
    expect(run.main.stdout).toContain('federated identity (OIDC)');
    expectWorkingEntraKubeconfig(later, hosts.github.kubeToken);
    // The ARM sign-in and the plugin's both asked the runner's endpoint, with its request token.
    expect(idTokens.requests.length - before).toBeGreaterThanOrEqual(2);
    for (const request of idTokens.requests.slice(before)) expect(request.authorization).toBe('Bearer runner-request-token-0001');
    expect(later.pluginConfig).toContain('"kind": "github-actions"');
    expect(`${visible(run.main.stdout)}${later.kubeconfigText}`).not.toContain('runner-request-token-0001');
    expect(run.post.exitCode).toBe(0);
    expect(run.leftAfterPost).toEqual([]);
  });

  it('Azure Pipelines (workload identity federation): a later script step without System.AccessToken still signs in; post-job cleans up', async () => {
    const connection = 'D4C3B2A1-0000-4000-8000-00000000AC10';
    const before = idTokens.requests.length;
    const inputs = {
      azureSubscription: connection,
      subscriptionId: aks.subscription,
      resourceGroup: aks.resourceGroup,
      clusterName: aks.entraCluster,
      authorityHost: aks.doublesUrl,
      armEndpoint: aks.doublesUrl,
      namespace: 'default',
    };
    const env = {
      ...aks.baseEnv,
      [`ENDPOINT_AUTH_SCHEME_${connection}`]: 'WorkloadIdentityFederation',
      [`ENDPOINT_AUTH_PARAMETER_${connection}_TENANTID`]: aks.tenantId,
      [`ENDPOINT_AUTH_PARAMETER_${connection}_SERVICEPRINCIPALID`]: aks.bound.clientId,
      ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: 'system-access-token-0001',
      SYSTEM_OIDCREQUESTURI: idTokens.azurePipelinesUrl,
    };
    const run = await runAzureJob(hosts.azure, inputs, env, laterStep, (main) => [path.dirname(main.outputs.kubeconfig ?? '/nonexistent/x')]);
    const later = run.later as LaterStep;
    expect(run.main.exitCode, run.main.stdout).toBe(0);
    expect(run.main.exported.KUBECONFIG).toBe(run.main.outputs.kubeconfig);
    expect(run.main.outputs.user).toBe(aks.bound.objectId);
    expectWorkingEntraKubeconfig(later, hosts.azure.kubeToken);
    for (const request of idTokens.requests.slice(before)) {
      expect(request).toMatchObject({ authorization: 'Bearer system-access-token-0001', serviceConnectionId: connection });
    }
    expectNoSecrets([run.main.stdout, run.main.stderr, run.post.stdout, run.main.summary], later);
    const leaks = `${visible(run.main.stdout)}\n${later.kubeconfigText}`.split('\n').filter((line) => line.includes('system-access-token-0001'));
    expect(leaks).toEqual([]);
    expect(run.post.exitCode, run.post.stdout).toBe(0);
    expect(run.post.stdout).toContain('aks-context: removed');
    expect(run.leftAfterPost).toEqual([]);
  });

  it('CLI: removed when it exits; with --keep-kubeconfig, kept and printed for eval, and kubectl and client-node use it', async () => {
    const flags = (inputs: Record<string, string>) => Object.entries(inputs).flatMap(([name, value]) => [`--${name}`, value]);
    const env = { ...aks.baseEnv, SLIPWAY_CLIENT_SECRET: aks.bound.clientSecret, TMPDIR: mkdtempSync(path.join(dir, 'tmp-')) };
    const args = [hosts.cli, 'aks-context', ...flags({ ...clusterInputs(aks, aks.entraCluster, aks.bound.clientId), auth: 'client-secret' })];

    const once = await runProcess(process.execPath, [...args, '--json'], env);
    expect(once.exitCode, once.stderr).toBe(0);
    const document = JSON.parse(once.stdout) as { outputs: Record<string, string>; post: unknown; exported?: unknown };
    expect(document.post).toEqual({ exitCode: 0 });
    expect(document.exported).toBeUndefined();
    expect(existsSync(path.dirname(document.outputs.kubeconfig ?? ''))).toBe(false);

    const kept = await runProcess(process.execPath, [...args, '--keep-kubeconfig'], env);
    expect(kept.exitCode, kept.stderr).toBe(0);
    const exported = /^export KUBECONFIG='([^']+)'$/m.exec(kept.stdout)?.[1];
    expect(exported, kept.stdout).toBeDefined();
    try {
      const later = await laterStep({ ...env, KUBECONFIG: exported as string });
      expectWorkingEntraKubeconfig(later, hosts.cli);
      expectNoSecrets([kept.stdout, kept.stderr], later);
      const config = new KubeConfig();
      config.loadFromFile(exported as string);
      const namespaces = await config.makeApiClient(CoreV1Api).listNamespace();
      expect(namespaces.items.map((item) => item.metadata?.name)).toContain('kube-system');
    } finally {
      rmSync(path.dirname(exported as string), { recursive: true, force: true });
    }
  });

  it('a local-accounts cluster: its static token is kept as ARM gave it, and works for kubectl and client-node', async () => {
    const inputs = { ...clusterInputs(aks, aks.localCluster, aks.bound.clientId), auth: 'client-secret', 'client-secret': aks.bound.clientSecret };
    const run = await runGitHubJob(
      hosts.github,
      inputs,
      aks.baseEnv,
      async (stepEnv) => {
        const kubectl = await runProcess(aks.kubectl, ['get', 'ns', '-o', 'name'], stepEnv);
        const config = new KubeConfig();
        config.loadFromFile(stepEnv.KUBECONFIG ?? '');
        const namespaces = await config.makeApiClient(CoreV1Api).listNamespace();
        const text = readFileSync(stepEnv.KUBECONFIG ?? '', 'utf8');
        return { kubectl, names: namespaces.items.map((item) => item.metadata?.name), text, mode: statSync(stepEnv.KUBECONFIG ?? '').mode & 0o777 };
      },
      (main) => [path.dirname(main.outputs.kubeconfig ?? '/nonexistent/x')],
    );
    const later = run.later as { kubectl: ProcessOutcome; names: string[]; text: string; mode: number };
    expect(run.main.exitCode, run.main.stdout).toBe(0);
    expect(later.kubectl.exitCode, later.kubectl.stderr).toBe(0);
    expect(later.names).toContain('default');
    expect(later.mode).toBe(0o600);
    const user = parse(later.text).users[0].user;
    expect(typeof user.token).toBe('string');
    // The static token is a secret: masked in the log, never an output.
    expect(run.main.stdout).toContain(`::add-mask::${user.token}`);
    expect(visible(run.main.stdout)).not.toContain(user.token);
    expect(JSON.stringify(run.main.outputs)).not.toContain(user.token);
    expect(run.post.exitCode).toBe(0);
    expect(run.leftAfterPost).toEqual([]);
  });
});
