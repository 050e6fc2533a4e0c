import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildBuildahBuildArgs,
  buildBuildahPushArgs,
  buildBuildxBuildArgs,
  buildTrivyConfigArgs,
  buildTrivyDbDownloadArgs,
  buildTrivyScanArgs,
  buildxFlagsFor,
  parseBuildxVersion,
  parseTrivyVersion,
  trivyFlagsFor,
  type BuildPlan,
  type TrivyConfigScanOptions,
  type TrivyScanOptions,
} from '@slipway/core';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures');

const base: BuildPlan = {
  name: 'acr.example.io/team/api',
  context: '/src/api',
  file: '/src/api/Dockerfile',
  target: undefined,
  buildArgs: {},
  labels: {},
  references: ['acr.example.io/team/api:1.0.0'],
  platforms: [],
  secrets: [],
  cacheFrom: [],
  cacheTo: [],
  noCache: false,
  layoutDir: '/tmp/oci/team_api',
  layoutRef: '1.0.0',
  metadataFile: '/tmp/meta',
};

describe('buildBuildahBuildArgs', () => {
  it.each<[string, Partial<BuildPlan>, string[]]>([
    ['minimal', {}, ['build', '--file', '/src/api/Dockerfile', '--layers', '--tag', 'acr.example.io/team/api:1.0.0', '--iidfile', '/tmp/meta', '/src/api']],
    [
      'target, args, labels, every tag',
      { target: 'runtime', buildArgs: { A: '1', B: 'x y' }, labels: { 'org.opencontainers.image.revision': 'abc' }, references: ['r:1', 'r:2'] },
      [
        'build',
        '--file',
        '/src/api/Dockerfile',
        '--layers',
        '--target',
        'runtime',
        '--build-arg',
        'A=1',
        '--build-arg',
        'B=x y',
        '--label',
        'org.opencontainers.image.revision=abc',
        '--tag',
        'r:1',
        '--tag',
        'r:2',
        '--iidfile',
        '/tmp/meta',
        '/src/api',
      ],
    ],
    [
      'secrets by file and env name, never by value',
      {
        secrets: [
          { id: 'npmrc', kind: 'file', path: '/run/npmrc' },
          { id: 'token', kind: 'env', env: 'NPM_TOKEN' },
        ],
      },
      [
        'build',
        '--file',
        '/src/api/Dockerfile',
        '--layers',
        '--secret',
        'id=npmrc,src=/run/npmrc',
        '--secret',
        'id=token,env=NPM_TOKEN',
        '--tag',
        'acr.example.io/team/api:1.0.0',
        '--iidfile',
        '/tmp/meta',
        '/src/api',
      ],
    ],
    [
      'registry cache in buildx form is reduced to the repository',
      { cacheFrom: ['type=registry,ref=acr.example.io/cache'], cacheTo: ['acr.example.io/cache'], noCache: true },
      [
        'build',
        '--file',
        '/src/api/Dockerfile',
        '--layers',
        '--cache-from',
        'acr.example.io/cache',
        '--cache-to',
        'acr.example.io/cache',
        '--no-cache',
        '--tag',
        'acr.example.io/team/api:1.0.0',
        '--iidfile',
        '/tmp/meta',
        '/src/api',
      ],
    ],
    [
      'several platforms build a manifest list',
      { platforms: ['linux/amd64', 'linux/arm64'] },
      ['build', '--file', '/src/api/Dockerfile', '--platform', 'linux/amd64,linux/arm64', '--manifest', 'acr.example.io/team/api:1.0.0', '/src/api'],
    ],
    [
      'shell metacharacters stay one argument',
      { buildArgs: { CMD: '$(id); rm -rf / && echo `x`' } },
      [
        'build',
        '--file',
        '/src/api/Dockerfile',
        '--layers',
        '--build-arg',
        'CMD=$(id); rm -rf / && echo `x`',
        '--tag',
        'acr.example.io/team/api:1.0.0',
        '--iidfile',
        '/tmp/meta',
        '/src/api',
      ],
    ],
  ])('%s', (_, overrides, expected) => {
    expect(buildBuildahBuildArgs({ ...base, ...overrides })).toEqual(expected);
  });

  it('pushes a single image, or the whole manifest list, into the OCI layout under the primary tag', () => {
    expect(buildBuildahPushArgs(base, 'sha256:id', '/tmp/d')).toEqual(['push', '--digestfile', '/tmp/d', 'sha256:id', 'oci:/tmp/oci/team_api:1.0.0']);
    expect(buildBuildahPushArgs({ ...base, platforms: ['linux/amd64', 'linux/arm64'] }, 'sha256:id', '/tmp/d')).toEqual([
      'manifest',
      'push',
      '--all',
      '--digestfile',
      '/tmp/d',
      'acr.example.io/team/api:1.0.0',
      'oci:/tmp/oci/team_api:1.0.0',
    ]);
  });
});

describe('buildBuildxBuildArgs', () => {
  it.each<[string, Partial<BuildPlan>, string[]]>([
    [
      'minimal: provenance off, OCI layout output, metadata file',
      {},
      [
        'buildx',
        'build',
        '--file',
        '/src/api/Dockerfile',
        '--provenance=false',
        '--tag',
        'acr.example.io/team/api:1.0.0',
        '--output',
        'type=oci,dest=/tmp/oci/team_api,tar=false,name=acr.example.io/team/api:1.0.0',
        '--metadata-file',
        '/tmp/meta',
        '/src/api',
      ],
    ],
    [
      'everything',
      {
        target: 't',
        buildArgs: { A: '1' },
        labels: { l: 'v' },
        secrets: [{ id: 's', kind: 'env', env: 'S' }],
        platforms: ['linux/amd64', 'linux/arm64'],
        cacheFrom: ['type=gha'],
        cacheTo: ['type=gha,mode=max'],
        noCache: true,
        references: ['r:1', 'r:2'],
      },
      [
        'buildx',
        'build',
        '--file',
        '/src/api/Dockerfile',
        '--provenance=false',
        '--target',
        't',
        '--build-arg',
        'A=1',
        '--label',
        'l=v',
        '--secret',
        'id=s,env=S',
        '--platform',
        'linux/amd64,linux/arm64',
        '--cache-from',
        'type=gha',
        '--cache-to',
        'type=gha,mode=max',
        '--no-cache',
        '--tag',
        'r:1',
        '--tag',
        'r:2',
        '--output',
        'type=oci,dest=/tmp/oci/team_api,tar=false,name=r:1',
        '--metadata-file',
        '/tmp/meta',
        '/src/api',
      ],
    ],
  ])('%s', (_, overrides, expected) => {
    expect(buildBuildxBuildArgs({ ...base, ...overrides })).toEqual(expected);
  });
});

describe('buildx flags follow the installed version', () => {
  // `docker buildx version` as printed in Docker's documentation (v0.11.2, v0.5.1-docker) and by Docker
  // Desktop (v0.12.1-desktop.4); --provenance came with buildx 0.10.0.
  it.each([
    ['github.com/docker/buildx v0.11.2 9872040b6626fb7d87ef7296fd5b832e8cc2ad17', true],
    ['github.com/docker/buildx v0.12.1-desktop.4 6996841df2f61988c2794d84d33205368f96c317', true],
    ['github.com/docker/buildx v0.5.1-docker 11057da37336192bfc57d81e02359ba7ba848e4a', false],
  ])('%s -> --provenance=false: %s', (output, provenance) => {
    const args = buildBuildxBuildArgs(base, buildxFlagsFor(parseBuildxVersion(output)));
    expect(args.includes('--provenance=false')).toBe(provenance);
    expect(args.slice(-5)).toEqual([
      '--output',
      'type=oci,dest=/tmp/oci/team_api,tar=false,name=acr.example.io/team/api:1.0.0',
      '--metadata-file',
      '/tmp/meta',
      '/src/api',
    ]);
  });
});

describe('buildTrivyScanArgs', () => {
  const scan: TrivyScanOptions = {
    target: { kind: 'layout', path: '/tmp/oci/app' },
    scanners: ['vuln', 'secret'],
    cacheDir: '/cache/trivy',
    outputFile: '/tmp/report.json',
    timeoutMs: 300_500,
    listAllPackages: false,
    offline: false,
    insecureRegistry: false,
  };
  const common = [
    'image',
    '--cache-dir',
    '/cache/trivy',
    '--format',
    'json',
    '--output',
    '/tmp/report.json',
    '--scanners',
    'vuln,secret',
    '--timeout',
    '301s',
    '--skip-db-update',
  ];
  it.each<[string, Partial<TrivyScanOptions>, string[]]>([
    [
      'a layout, JSON out, DB never downloaded by the scan',
      {},
      [...common, '--skip-version-check', '--disable-telemetry', '--quiet', '--input', '/tmp/oci/app'],
    ],
    [
      'an image in a registry, offline, insecure, with the package list for an SBOM',
      { target: { kind: 'image', reference: 'registry.example/team/api:1' }, offline: true, insecureRegistry: true, listAllPackages: true },
      [
        ...common,
        '--skip-version-check',
        '--disable-telemetry',
        '--quiet',
        '--skip-java-db-update',
        '--offline-scan',
        '--skip-check-update',
        '--list-all-pkgs',
        '--insecure',
        '--image-src',
        'remote',
        'registry.example/team/api:1',
      ],
    ],
  ])('%s', (_, overrides, expected) => {
    expect(buildTrivyScanArgs({ ...scan, ...overrides })).toEqual(expected);
  });

  it('leaves out the no-phone-home flags for a Trivy older than 0.63, which rejects them', () => {
    const recorded = readFileSync(path.join(fixtures, 'trivy/version.json'), 'utf8');
    expect(trivyFlagsFor(parseTrivyVersion(recorded))).toEqual({ noPhoneHome: true });
    const old = trivyFlagsFor(parseTrivyVersion('{"Version":"0.62.1"}'));
    expect(buildTrivyScanArgs(scan, old)).toEqual([...common, '--quiet', '--input', '/tmp/oci/app']);
    expect(buildTrivyDbDownloadArgs('/cache', 'ghcr.io/aquasecurity/trivy-db:2', true, old)).toEqual([
      'image',
      '--download-db-only',
      '--cache-dir',
      '/cache',
      '--db-repository',
      'ghcr.io/aquasecurity/trivy-db:2',
      '--quiet',
      '--insecure',
    ]);
  });
});

describe('buildTrivyConfigArgs', () => {
  const config: TrivyConfigScanOptions = {
    dir: '/tmp/gate/manifests',
    cacheDir: '/tmp/gate/cache',
    outputFile: '/tmp/gate/report.json',
    timeoutMs: 119_001,
    misconfigScanners: ['kubernetes'],
    emptyIgnoreFile: '/tmp/gate/trivyignore-empty',
  };
  // Offline by construction: --skip-check-update always (the checks embedded in Trivy), no phone home.
  const common = [
    'config',
    '--cache-dir',
    '/tmp/gate/cache',
    '--format',
    'json',
    '--output',
    '/tmp/gate/report.json',
    '--misconfig-scanners',
    'kubernetes',
    '--severity',
    'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
    '--ignorefile',
    '/tmp/gate/trivyignore-empty',
    '--exit-code',
    '0',
    '--timeout',
    '120s',
    '--skip-check-update',
  ];
  it.each<[string, Partial<TrivyConfigScanOptions>, string[]]>([
    ["rendered manifests, Trivy's checks only", {}, [...common, '--skip-version-check', '--disable-telemetry', '--quiet', '/tmp/gate/manifests']],
    [
      "with Slipway's checks and the cluster's version (the v dropped, as --k8s-version wants)",
      { extraChecks: { paths: ['/tmp/gate/checks', '/tmp/gate/more.rego'], namespaces: ['slipway', 'user'] }, k8sVersion: 'v1.33.13' },
      [
        ...common,
        '--skip-version-check',
        '--disable-telemetry',
        '--quiet',
        '--config-check',
        '/tmp/gate/checks',
        '--config-check',
        '/tmp/gate/more.rego',
        '--check-namespaces',
        'slipway,user',
        '--k8s-version',
        '1.33.13',
        '/tmp/gate/manifests',
      ],
    ],
    [
      "several misconfiguration scanners, no namespaces for checks that live in Trivy's own",
      { misconfigScanners: ['kubernetes', 'helm'], extraChecks: { paths: ['/c'], namespaces: [] }, timeoutMs: 1 },
      [
        ...common.map((arg) => (arg === 'kubernetes' ? 'kubernetes,helm' : arg === '120s' ? '1s' : arg)),
        '--skip-version-check',
        '--disable-telemetry',
        '--quiet',
        '--config-check',
        '/c',
        '/tmp/gate/manifests',
      ],
    ],
  ])('%s', (_, overrides, expected) => {
    expect(buildTrivyConfigArgs({ ...config, ...overrides })).toEqual(expected);
  });

  it('leaves out the no-phone-home flags for a Trivy older than 0.63', () => {
    expect(buildTrivyConfigArgs(config, trivyFlagsFor(parseTrivyVersion('{"Version":"0.62.1"}')))).toEqual([...common, '--quiet', '/tmp/gate/manifests']);
  });
});
