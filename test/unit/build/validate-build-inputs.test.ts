import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSpec, InputError, parseInputs, validateBuildInputs } from '@slipway/core';

let workspace: string;

beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'slipway-validate-'));
  mkdirSync(path.join(workspace, 'app'));
  writeFileSync(path.join(workspace, 'app', 'Dockerfile'), 'FROM scratch\n');
  mkdirSync(path.join(workspace, 'worker'));
  writeFileSync(path.join(workspace, 'worker', 'Containerfile'), 'FROM scratch\n');
  writeFileSync(path.join(workspace, 'Dockerfile.outside'), 'FROM scratch\n');
  writeFileSync(path.join(workspace, 'npmrc'), 'token');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function validate(raw: Record<string, string>, env: Record<string, string> = {}) {
  const values = parseInputs(buildSpec.inputs, (name) => raw[name]);
  return validateBuildInputs(values, { workspace, tempDir: '/tmp/job', env });
}

describe('validateBuildInputs', () => {
  it('resolves paths, finds the Dockerfile in the context and places the layout under the temp dir', () => {
    const inputs = validate({ image: 'acr.example.io/team/api', context: 'app' });
    expect(inputs.images).toEqual([
      expect.objectContaining({
        name: 'acr.example.io/team/api',
        context: path.join(workspace, 'app'),
        file: path.join(workspace, 'app', 'Dockerfile'),
        layoutDir: '/tmp/job/slipway-oci/team_api',
      }),
    ]);
    expect(inputs.builder).toBe('auto');
    expect(inputs.tagRules).toEqual(['sha', 'branch', 'semver', 'pr']);
  });

  it('builds several images from the images YAML with top-level inputs as defaults', () => {
    const inputs = validate({
      'build-args': 'SHARED=1',
      tags: 'stable',
      images: '- name: acr.example.io/api\n  context: app\n  build-args: {ONLY: api}\n- name: acr.example.io/worker\n  context: worker\n  tags: [w1]\n',
    });
    expect(inputs.images.map((i) => [i.name, i.file, i.buildArgs, i.tags])).toEqual([
      ['acr.example.io/api', path.join(workspace, 'app', 'Dockerfile'), { SHARED: '1', ONLY: 'api' }, ['stable']],
      ['acr.example.io/worker', path.join(workspace, 'worker', 'Containerfile'), { SHARED: '1' }, ['w1']],
    ]);
  });

  it('collects secrets of the three kinds', () => {
    const inputs = validate(
      { image: 'app', context: 'app', secrets: 'token=abc=def', 'secret-files': 'npmrc=npmrc', 'secret-envs': 'gh=GH_TOKEN' },
      { GH_TOKEN: 'x' },
    );
    expect(inputs.secrets).toEqual([
      { id: 'token', kind: 'value', value: 'abc=def' },
      { id: 'npmrc', kind: 'file', path: path.join(workspace, 'npmrc') },
      { id: 'gh', kind: 'env', env: 'GH_TOKEN' },
    ]);
  });

  it('tag-rules none computes no tags', () => {
    expect(validate({ image: 'app', context: 'app', 'tag-rules': 'none' }).tagRules).toEqual([]);
  });

  it.each<[string, Record<string, string>, string, string]>([
    ['missing image', { context: 'app' }, 'image', 'is required'],
    ['bad image name', { image: 'Team/API', context: 'app' }, 'image', 'not a valid image name'],
    ['image name with a tag', { image: 'app:1.0', context: 'app' }, 'image', 'not a valid image name'],
    ['missing context', { image: 'app', context: 'nope' }, 'context', 'is not a directory'],
    ['missing Dockerfile', { image: 'app', context: '.' , file: 'nope/Dockerfile' }, 'file', 'does not exist'],
    ['Dockerfile outside the context', { image: 'app', context: 'app', file: 'Dockerfile.outside' }, 'file', 'is outside the build context'],
    ['invalid OCI tag', { image: 'app', context: 'app', tags: 'ok,-bad' }, 'tags', "'-bad' is not a valid OCI tag"],
    ['tag with a colon', { image: 'app', context: 'app', tags: 'a:b' }, 'tags', 'not a valid OCI tag'],
    ['unknown builder', { image: 'app', context: 'app', builder: 'kaniko' }, 'builder', 'expected one of auto, buildx, buildah'],
    ['malformed build-arg', { image: 'app', context: 'app', 'build-args': '=value' }, 'build-args', 'expected KEY=VALUE'],
    ['unknown tag rule', { image: 'app', context: 'app', 'tag-rules': 'sha,date' }, 'tag-rules', "unknown rule 'date'"],
    ['secret file that does not exist', { image: 'app', context: 'app', 'secret-files': 'x=/nope/file' }, 'secret-files', 'does not exist'],
    ['secret env that is not set', { image: 'app', context: 'app', 'secret-envs': 'x=UNSET_VAR' }, 'secret-envs', 'is not set'],
    ['bad platform', { image: 'app', context: 'app', platforms: 'amd64' }, 'platforms', 'is not a platform'],
    ['images not YAML', { images: '- name: [' }, 'images', 'is not valid YAML'],
    ['images entry with an unknown key', { images: '- name: a\n  dockerfile: x\n' }, 'images[0]', "unknown key 'dockerfile'"],
    ['the same image twice', { images: '- name: a\n  context: app\n- name: a\n  context: app\n' }, 'images[1]', 'listed twice'],
  ])('%s', (_, raw, input, message) => {
    let error: unknown;
    try {
      validate(raw);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe(input);
    expect((error as InputError).message).toContain(message);
  });

  it('never quotes a secret value in the error about a malformed secrets line', () => {
    expect(() => validate({ image: 'app', context: 'app', secrets: 'no-equals-sign-supersecret' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('supersecret') }),
    );
  });
});
