import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { aksServerAppId, findAzureUserAuth, Kubeconfig, KubeconfigError, kubeloginExecUser, slipwayExecUser } from '@slipway/core';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/aks');
const fixture = (name: string) => readFileSync(path.join(fixtures, name), 'utf8');
const work = mkdtempSync(path.join(os.tmpdir(), 'slipway-aks-kubeconfig-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const plugin = { command: '/opt/node/bin/node', args: ['/runner/_work/_actions/o/slipway/v1/actions/aks-context/kube-token.mjs'] };

/** kubectl's own reading of a kubeconfig, when kubectl is installed: the file must be one it accepts. */
function kubectlView(yamlText: string): Record<string, unknown> | undefined {
  const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((candidate) => existsSync(candidate));
  if (!kubectl) return undefined;
  const file = path.join(work, `view-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yamlText, { mode: 0o600 });
  return JSON.parse(execFileSync(kubectl, ['config', 'view', '--kubeconfig', file, '-o', 'json', '--raw'], { encoding: 'utf8' }));
}

describe('an Entra ID cluster kubeconfig (format=exec)', () => {
  it('finds kubelogin, the server application and the tenant AKS wrote', () => {
    const kubeconfig = Kubeconfig.parse(fixture('entra-exec.yaml'));
    expect(kubeconfig.currentContext).toEqual({ name: 'aks-prod', cluster: 'aks-prod', user: 'clusterUser_rg-platform_aks-prod', namespace: undefined });
    expect(kubeconfig.server).toBe('https://aks-prod-dns-7k2p9q4x.hcp.westeurope.azmk8s.io:443');
    expect(findAzureUserAuth(kubeconfig)).toEqual({
      kind: 'kubelogin',
      serverId: aksServerAppId,
      tenantId: '72f988bf-0000-4000-8000-2d7cd011db47',
      environment: 'AzurePublicCloud',
    });
  });

  it("becomes a kubeconfig whose user runs Slipway's plugin with only a config path in argv, namespace selected", () => {
    const kubeconfig = Kubeconfig.parse(fixture('entra-exec.yaml'));
    kubeconfig.setUser(slipwayExecUser(plugin, '/tmp/slipway-aks-x/kube-token.json'));
    kubeconfig.setNamespace('team-a');
    const written = kubeconfig.toYaml();
    const document = parse(written);
    expect(document.users).toEqual([
      {
        name: 'clusterUser_rg-platform_aks-prod',
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: '/opt/node/bin/node',
            args: [...plugin.args, '--config', '/tmp/slipway-aks-x/kube-token.json'],
            interactiveMode: 'Never',
            provideClusterInfo: false,
            installHint: expect.stringContaining('Slipway aks-context'),
          },
        },
      },
    ]);
    expect(document.contexts[0].context).toEqual({ cluster: 'aks-prod', user: 'clusterUser_rg-platform_aks-prod', namespace: 'team-a' });
    // Everything else is written back as ARM returned it.
    const original = parse(fixture('entra-exec.yaml'));
    expect(document.clusters).toEqual(original.clusters);
    expect(document['current-context']).toBe('aks-prod');
    expect(document.preferences).toEqual({});
    expect(written).not.toMatch(/kubelogin|devicecode/);

    const viewed = kubectlView(written) as { users: Array<{ user: { exec: { command: string; args: string[] } } }> } | undefined;
    if (viewed) expect(viewed.users[0]?.user.exec.args.at(-1)).toBe('/tmp/slipway-aks-x/kube-token.json');
  });

  it.each([
    [
      { mode: 'spn', clientId: 'c1', tenantId: 't1', clientSecret: 'S3cret-value' } as const,
      ['--login', 'spn', '--client-id', 'c1', '--tenant-id', 't1'],
      [{ name: 'AAD_SERVICE_PRINCIPAL_CLIENT_SECRET', value: 'S3cret-value' }],
    ],
    [
      { mode: 'spn-certificate', clientId: 'c1', tenantId: 't1', certificatePath: '/p/cert.pem' } as const,
      ['--login', 'spn', '--client-certificate', '/p/cert.pem', '--client-id', 'c1', '--tenant-id', 't1'],
      undefined,
    ],
    [{ mode: 'msi', clientId: 'mi1' } as const, ['--login', 'msi', '--client-id', 'mi1'], undefined],
    [{ mode: 'azurecli' } as const, ['--login', 'azurecli', '--tenant-id', '72f988bf-0000-4000-8000-2d7cd011db47'], undefined],
    [
      { mode: 'workloadidentity', clientId: 'c1', tenantId: 't1' } as const,
      ['--login', 'workloadidentity', '--client-id', 'c1', '--tenant-id', 't1'],
      undefined,
    ],
    [
      {
        mode: 'azurepipelines',
        clientId: 'c1',
        tenantId: 't1',
        serviceConnectionId: 'sc1',
        accessToken: 'job-token',
        requestUri: 'https://dev.azure.com/o/p/_apis/oidc',
      } as const,
      ['--login', 'azurepipelines', '--azure-pipelines-service-connection-id', 'sc1', '--client-id', 'c1', '--tenant-id', 't1'],
      [
        { name: 'SYSTEM_ACCESSTOKEN', value: 'job-token' },
        { name: 'SYSTEM_OIDCREQUESTURI', value: 'https://dev.azure.com/o/p/_apis/oidc' },
      ],
    ],
  ])('kube-auth kubelogin %o: a non-interactive login, secrets in the 0600 file only, never in args', (login, loginArgs, env) => {
    const kubeconfig = Kubeconfig.parse(fixture('entra-exec.yaml'));
    const auth = findAzureUserAuth(kubeconfig);
    if (!auth) throw new Error('no Entra user');
    kubeconfig.setUser(kubeloginExecUser('/usr/local/bin/kubelogin', auth, login));
    const exec = parse(kubeconfig.toYaml()).users[0].user.exec;
    expect(exec.command).toBe('/usr/local/bin/kubelogin');
    expect(exec.args).toEqual(['get-token', '--server-id', aksServerAppId, '--environment', 'AzurePublicCloud', ...loginArgs]);
    expect(exec.env).toEqual(env);
    expect(exec.args.join(' ')).not.toMatch(/S3cret|job-token|devicecode/);
  });
});

describe('other kubeconfigs', () => {
  it('a local-accounts kubeconfig has no Entra user: nothing to rewrite', () => {
    const kubeconfig = Kubeconfig.parse(fixture('local-accounts.yaml'));
    expect(findAzureUserAuth(kubeconfig)).toBeUndefined();
    expect(typeof kubeconfig.user.token).toBe('string');
    kubeconfig.setNamespace('apps');
    expect(parse(kubeconfig.toYaml()).users).toEqual(parse(fixture('local-accounts.yaml')).users);
  });

  it('the removed azure auth-provider is recognised, with its apiserver-id', () => {
    expect(findAzureUserAuth(Kubeconfig.parse(fixture('azure-auth-provider.yaml')))).toEqual({
      kind: 'azure-auth-provider',
      serverId: aksServerAppId,
      tenantId: '72f988bf-0000-4000-8000-2d7cd011db47',
      environment: 'AzurePublicCloud',
    });
  });

  it.each([
    ['not: [yaml', /is not YAML/],
    ['kind: Pod\napiVersion: v1\n', /is not a kubeconfig/],
    ['kind: Config\ncurrent-context: x\ncontexts: []\n', /current context 'x' is missing/],
    [fixture('entra-exec.yaml').replace('user: clusterUser_rg-platform_aks-prod\n  name: aks-prod', 'user: nobody\n  name: aks-prod'), /names user 'nobody'/],
    [fixture('entra-exec.yaml').replace(/ {4}server: .*\n/, ''), /has no server URL/],
  ])('refuses a kubeconfig it cannot follow (%#)', (text, message) => {
    expect(() => Kubeconfig.parse(text)).toThrow(KubeconfigError);
    expect(() => Kubeconfig.parse(text)).toThrow(message);
  });
});
