import { describe, expect, it } from 'vitest';
import { buildBuildahBuildArgs, buildBuildahPushArgs, buildBuildxBuildArgs, type BuildPlan } from '@slipway/core';

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
      ['build', '--file', '/src/api/Dockerfile', '--layers', '--target', 'runtime', '--build-arg', 'A=1', '--build-arg', 'B=x y', '--label', 'org.opencontainers.image.revision=abc', '--tag', 'r:1', '--tag', 'r:2', '--iidfile', '/tmp/meta', '/src/api'],
    ],
    [
      'secrets by file and env name, never by value',
      { secrets: [{ id: 'npmrc', kind: 'file', path: '/run/npmrc' }, { id: 'token', kind: 'env', env: 'NPM_TOKEN' }] },
      ['build', '--file', '/src/api/Dockerfile', '--layers', '--secret', 'id=npmrc,src=/run/npmrc', '--secret', 'id=token,env=NPM_TOKEN', '--tag', 'acr.example.io/team/api:1.0.0', '--iidfile', '/tmp/meta', '/src/api'],
    ],
    [
      'registry cache in buildx form is reduced to the repository',
      { cacheFrom: ['type=registry,ref=acr.example.io/cache'], cacheTo: ['acr.example.io/cache'], noCache: true },
      ['build', '--file', '/src/api/Dockerfile', '--layers', '--cache-from', 'acr.example.io/cache', '--cache-to', 'acr.example.io/cache', '--no-cache', '--tag', 'acr.example.io/team/api:1.0.0', '--iidfile', '/tmp/meta', '/src/api'],
    ],
    [
      'several platforms build a manifest list',
      { platforms: ['linux/amd64', 'linux/arm64'] },
      ['build', '--file', '/src/api/Dockerfile', '--platform', 'linux/amd64,linux/arm64', '--manifest', 'acr.example.io/team/api:1.0.0', '/src/api'],
    ],
    [
      'shell metacharacters stay one argument',
      { buildArgs: { CMD: '$(id); rm -rf / && echo `x`' } },
      ['build', '--file', '/src/api/Dockerfile', '--layers', '--build-arg', 'CMD=$(id); rm -rf / && echo `x`', '--tag', 'acr.example.io/team/api:1.0.0', '--iidfile', '/tmp/meta', '/src/api'],
    ],
  ])('%s', (_, overrides, expected) => {
    expect(buildBuildahBuildArgs({ ...base, ...overrides })).toEqual(expected);
  });

  it('pushes a single image, or the whole manifest list, into the OCI layout under the primary tag', () => {
    expect(buildBuildahPushArgs(base, 'sha256:id', '/tmp/d')).toEqual(['push', '--digestfile', '/tmp/d', 'sha256:id', 'oci:/tmp/oci/team_api:1.0.0']);
    expect(buildBuildahPushArgs({ ...base, platforms: ['linux/amd64', 'linux/arm64'] }, 'sha256:id', '/tmp/d')).toEqual([
      'manifest', 'push', '--all', '--digestfile', '/tmp/d', 'acr.example.io/team/api:1.0.0', 'oci:/tmp/oci/team_api:1.0.0',
    ]);
  });
});

describe('buildBuildxBuildArgs', () => {
  it.each<[string, Partial<BuildPlan>, string[]]>([
    [
      'minimal: provenance off, OCI layout output, metadata file',
      {},
      ['buildx', 'build', '--file', '/src/api/Dockerfile', '--provenance=false', '--tag', 'acr.example.io/team/api:1.0.0', '--output', 'type=oci,dest=/tmp/oci/team_api,tar=false,name=acr.example.io/team/api:1.0.0', '--metadata-file', '/tmp/meta', '/src/api'],
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
      ['buildx', 'build', '--file', '/src/api/Dockerfile', '--provenance=false', '--target', 't', '--build-arg', 'A=1', '--label', 'l=v', '--secret', 'id=s,env=S', '--platform', 'linux/amd64,linux/arm64', '--cache-from', 'type=gha', '--cache-to', 'type=gha,mode=max', '--no-cache', '--tag', 'r:1', '--tag', 'r:2', '--output', 'type=oci,dest=/tmp/oci/team_api,tar=false,name=r:1', '--metadata-file', '/tmp/meta', '/src/api'],
    ],
  ])('%s', (_, overrides, expected) => {
    expect(buildBuildxBuildArgs({ ...base, ...overrides })).toEqual(expected);
  });
});
