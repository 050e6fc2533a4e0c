import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildHelmGetManifestArgs,
  buildHelmGetValuesArgs,
  buildHelmHistoryArgs,
  buildHelmRegistryLoginArgs,
  buildHelmRollbackArgs,
  buildHelmStatusArgs,
  buildHelmTemplateArgs,
  buildHelmUninstallArgs,
  buildHelmUpgradeArgs,
  InputError,
  type HelmFlags,
  type HelmUpgradeOptions,
} from '@slipway/core';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/helm');
const helm3: HelmFlags = { major: 3 };
const helm4: HelmFlags = { major: 4 };
const base: HelmUpgradeOptions = { release: 'api', chart: { kind: 'path', path: './chart' }, namespace: 'shop' };
const head = ['upgrade', '--install', 'api', './chart', '--namespace', 'shop'];

describe('buildHelmUpgradeArgs', () => {
  it.each<[string, Partial<HelmUpgradeOptions>, string[], string[]]>([
    ['minimal: no wait, no rollback, Helm defaults', {}, head, head],
    [
      'wait: --wait in 3, the watcher strategy spelt out in 4',
      { wait: true, waitForJobs: true, timeoutMs: 90_000 },
      [...head, '--wait', '--wait-for-jobs', '--timeout', '90s'],
      [...head, '--wait=watcher', '--wait-for-jobs', '--timeout', '90s'],
    ],
    ['atomic: --atomic in 3, --rollback-on-failure in 4', { atomic: true }, [...head, '--atomic'], [...head, '--rollback-on-failure']],
    ['a sub-second timeout is 1s, never 0 (no limit)', { timeoutMs: 200 }, [...head, '--timeout', '1s'], [...head, '--timeout', '1s']],
    ['server-side auto/false: only Helm 4 has the flag', { serverSide: 'false' }, head, [...head, '--server-side=false']],
    [
      'OCI chart with a version and a CA',
      { chart: { kind: 'oci', reference: 'oci://acr.io/charts/api', version: '1.2.3' }, caFile: '/ca.pem' },
      ['upgrade', '--install', 'api', 'oci://acr.io/charts/api', '--version', '1.2.3', '--ca-file', '/ca.pem', '--namespace', 'shop'],
      ['upgrade', '--install', 'api', 'oci://acr.io/charts/api', '--version', '1.2.3', '--ca-file', '/ca.pem', '--namespace', 'shop'],
    ],
    [
      'repository chart by URL, no `helm repo add` needed',
      { chart: { kind: 'repo', repoUrl: 'https://charts.example.io', chart: 'api', version: '0.4.0' } },
      ['upgrade', '--install', 'api', 'api', '--repo', 'https://charts.example.io', '--version', '0.4.0', '--namespace', 'shop'],
      ['upgrade', '--install', 'api', 'api', '--repo', 'https://charts.example.io', '--version', '0.4.0', '--namespace', 'shop'],
    ],
    [
      'everything',
      {
        kubeContext: 'aks-prod',
        kubeconfig: '/tmp/k/config',
        createNamespace: true,
        valuesFiles: ['/tmp/v/values-0.yaml', '/tmp/v/values-1.yaml'],
        set: { 'image.tag': '1.2.3', hosts: 'a.io,b.io' },
        setString: { version: '1.10' },
        description: 'slipway run 42',
        historyMax: 20,
      },
      [
        ...head,
        '--kube-context',
        'aks-prod',
        '--kubeconfig',
        '/tmp/k/config',
        '--create-namespace',
        '--values',
        '/tmp/v/values-0.yaml',
        '--values',
        '/tmp/v/values-1.yaml',
        '--set',
        'image.tag=1.2.3',
        '--set',
        'hosts=a.io\\,b.io',
        '--set-string',
        'version=1.10',
        '--description',
        'slipway run 42',
        '--history-max',
        '20',
      ],
      [
        ...head,
        '--kube-context',
        'aks-prod',
        '--kubeconfig',
        '/tmp/k/config',
        '--create-namespace',
        '--values',
        '/tmp/v/values-0.yaml',
        '--values',
        '/tmp/v/values-1.yaml',
        '--set',
        'image.tag=1.2.3',
        '--set',
        'hosts=a.io\\,b.io',
        '--set-string',
        'version=1.10',
        '--description',
        'slipway run 42',
        '--history-max',
        '20',
      ],
    ],
  ])('%s', (_name, options, expected3, expected4) => {
    expect(buildHelmUpgradeArgs({ ...base, ...options }, helm3)).toEqual(expected3);
    expect(buildHelmUpgradeArgs({ ...base, ...options }, helm4)).toEqual(expected4);
  });

  it('refuses server-side apply on Helm 3, which has none', () => {
    expect(() => buildHelmUpgradeArgs({ ...base, serverSide: 'true' }, helm3)).toThrow(InputError);
    expect(buildHelmUpgradeArgs({ ...base, serverSide: 'true' }, helm4)).toContain('--server-side=true');
  });

  it('refuses an OCI reference without oci:// and a negative history-max', () => {
    expect(() => buildHelmUpgradeArgs({ ...base, chart: { kind: 'oci', reference: 'acr.io/charts/api' } })).toThrow(/oci:\/\//);
    expect(() => buildHelmUpgradeArgs({ ...base, historyMax: -1 })).toThrow(InputError);
  });

  // The flags the builders emit are the ones the real binaries list (recorded `helm upgrade --help`).
  it.each([
    ['helm3', helm3, ['--atomic', '--wait ', '--wait-for-jobs', '--history-max', '--description', '--create-namespace', '--set-string', '--kube-context']],
    ['helm4', helm4, ['--rollback-on-failure', '--wait WaitStrategy', '--server-side string', '--history-max', '--set-string', '--kube-context']],
  ] as const)('%s upgrade --help lists every flag the builder uses for it', (major, flags, listed) => {
    const help = readFileSync(path.join(fixtures, `${major}-upgrade-help.txt`), 'utf8');
    for (const flag of listed) expect(help).toContain(flag);
    if (flags.major === 4) expect(help).not.toContain('--atomic');
  });
});

describe('buildHelmRollbackArgs', () => {
  const target = { release: 'api', namespace: 'shop' };
  it.each<[string, Parameters<typeof buildHelmRollbackArgs>[0], string[], string[]]>([
    ['to an explicit revision', { ...target, revision: 3 }, ['rollback', 'api', '3', '--namespace', 'shop'], ['rollback', 'api', '3', '--namespace', 'shop']],
    [
      'waiting, with a timeout and cleanup',
      { ...target, revision: 7, wait: true, timeoutMs: 120_000, cleanupOnFail: true, historyMax: 5, kubeContext: 'c' },
      ['rollback', 'api', '7', '--namespace', 'shop', '--kube-context', 'c', '--wait', '--timeout', '120s', '--history-max', '5', '--cleanup-on-fail'],
      ['rollback', 'api', '7', '--namespace', 'shop', '--kube-context', 'c', '--wait=watcher', '--timeout', '120s', '--history-max', '5', '--cleanup-on-fail'],
    ],
  ])('%s', (_name, options, expected3, expected4) => {
    expect(buildHelmRollbackArgs(options, helm3)).toEqual(expected3);
    expect(buildHelmRollbackArgs(options, helm4)).toEqual(expected4);
  });

  it("never passes revision 0, Helm's current-1", () => {
    expect(() => buildHelmRollbackArgs({ ...target, revision: 0 })).toThrow(InputError);
    expect(() => buildHelmRollbackArgs({ ...target, revision: 1.5 })).toThrow(/explicit revision/);
  });
});

describe('read and other commands', () => {
  const target = { namespace: 'shop', kubeconfig: '/k' };
  it.each<[string, string[], string[]]>([
    ['status', buildHelmStatusArgs('api', target), ['status', 'api', '--namespace', 'shop', '--kubeconfig', '/k', '--output', 'json']],
    ['history', buildHelmHistoryArgs('api', target, 20), ['history', 'api', '--namespace', 'shop', '--kubeconfig', '/k', '--output', 'json', '--max', '20']],
    ['history, Helm default max', buildHelmHistoryArgs('api', target), ['history', 'api', '--namespace', 'shop', '--kubeconfig', '/k', '--output', 'json']],
    ['get manifest', buildHelmGetManifestArgs('api', target, 4), ['get', 'manifest', 'api', '--namespace', 'shop', '--kubeconfig', '/k', '--revision', '4']],
    [
      'get values',
      buildHelmGetValuesArgs('api', target, { all: true, revision: 2 }),
      ['get', 'values', 'api', '--namespace', 'shop', '--kubeconfig', '/k', '--output', 'json', '--all', '--revision', '2'],
    ],
    [
      'template',
      buildHelmTemplateArgs({
        release: 'api',
        chart: { kind: 'path', path: './chart' },
        namespace: 'shop',
        valuesFiles: ['/v.yaml'],
        set: { replicas: '1' },
        isUpgrade: true,
        kubeVersion: 'v1.33.0',
      }),
      ['template', 'api', './chart', '--namespace', 'shop', '--values', '/v.yaml', '--set', 'replicas=1', '--is-upgrade', '--kube-version', 'v1.33.0'],
    ],
    [
      'registry login: the password only on stdin',
      buildHelmRegistryLoginArgs({ host: 'acr.io', username: '00000000-0000-0000-0000-000000000000', caFile: '/ca.pem' }),
      ['registry', 'login', 'acr.io', '--username', '00000000-0000-0000-0000-000000000000', '--password-stdin', '--ca-file', '/ca.pem'],
    ],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it.each([
    [helm3, ['uninstall', 'api', '--namespace', 'shop', '--wait', '--timeout', '60s', '--ignore-not-found']],
    [helm4, ['uninstall', 'api', '--namespace', 'shop', '--wait=watcher', '--timeout', '60s', '--ignore-not-found']],
  ])('uninstall (Helm %o)', (flags, expected) => {
    expect(buildHelmUninstallArgs({ release: 'api', namespace: 'shop', wait: true, timeoutMs: 60_000, ignoreNotFound: true }, flags)).toEqual(expected);
  });
});
