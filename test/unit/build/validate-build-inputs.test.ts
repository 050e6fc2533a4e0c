import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSpec, InputProblems, parseInputs, validateBuildInputs } from '@slipway/core';

let workspace: string;
let tempDir: string;

beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'slipway-validate-'));
  tempDir = path.join(workspace, '.job-temp');
  mkdirSync(tempDir);
  mkdirSync(path.join(workspace, 'app'));
  writeFileSync(path.join(workspace, 'app', 'Dockerfile'), 'FROM scratch\n');
  mkdirSync(path.join(workspace, 'worker'));
  writeFileSync(path.join(workspace, 'worker', 'Containerfile'), 'FROM scratch\n');
  mkdirSync(path.join(workspace, 'empty'));
  writeFileSync(path.join(workspace, 'Dockerfile.outside'), 'FROM scratch\n');
  writeFileSync(path.join(workspace, 'npmrc'), 'token');
  // The user's source folder `hello`, which an image named hello with output-dir . would land on.
  mkdirSync(path.join(workspace, 'hello'));
  writeFileSync(path.join(workspace, 'hello', 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(path.join(workspace, 'hello', 'server.sh'), 'echo hi\n');
  // A layout directory Slipway wrote before: it may be replaced.
  mkdirSync(path.join(workspace, 'out', 'team_api'), { recursive: true });
  writeFileSync(path.join(workspace, 'out', 'team_api', '.slipway-layout'), '');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function validate(raw: Record<string, string>, env: Record<string, string> = {}) {
  const problems = new InputProblems();
  const values = parseInputs(buildSpec.inputs, (name) => raw[name], problems);
  const inputs = validateBuildInputs(values, { workspace, tempDir, env, problems });
  return { inputs, problems: problems.list };
}

/** The inputs when valid; fails the test with the problems otherwise. */
function valid(raw: Record<string, string>, env: Record<string, string> = {}) {
  const { inputs, problems } = validate(raw, env);
  expect(problems).toEqual([]);
  return inputs;
}

describe('validateBuildInputs', () => {
  it('resolves paths, finds the Dockerfile in the context and places the layout under the temp dir', () => {
    const inputs = valid({ image: 'acr.example.io/team/api', context: 'app' });
    expect(inputs.images).toEqual([
      expect.objectContaining({
        name: 'acr.example.io/team/api',
        context: path.join(workspace, 'app'),
        file: path.join(workspace, 'app', 'Dockerfile'),
        layoutDir: path.join(tempDir, 'slipway-oci', 'team_api'),
      }),
    ]);
    expect(inputs.builder).toBe('auto');
    expect(inputs.tagRules).toEqual(['sha', 'branch', 'semver', 'pr']);
  });

  it('builds several images from the images YAML with top-level inputs as defaults', () => {
    const inputs = valid({
      'build-args': 'SHARED=1',
      tags: 'stable',
      images: '- name: acr.example.io/api\n  context: app\n  build-args: {ONLY: api}\n- name: acr.example.io/worker\n  context: worker\n  tags: [w1]\n',
    });
    expect(inputs.images.map((i) => [i.name, i.file, i.buildArgs, i.tags])).toEqual([
      ['acr.example.io/api', path.join(workspace, 'app', 'Dockerfile'), { SHARED: '1', ONLY: 'api' }, ['stable']],
      ['acr.example.io/worker', path.join(workspace, 'worker', 'Containerfile'), { SHARED: '1' }, ['w1']],
    ]);
  });

  it('keeps YAML scalars as written: no 1.10 -> 1.1, 1.5e3 -> 1500 or booleans', () => {
    const inputs = valid({
      images: '- name: acr.example.io/api\n  context: app\n  tags: [1.10, 1.5e3, true, null]\n  build-args: {GO_VERSION: 1.20, DEBUG: false}\n',
    });
    expect(inputs.images[0]?.tags).toEqual(['1.10', '1.5e3', 'true', 'null']);
    expect(inputs.images[0]?.buildArgs).toEqual({ GO_VERSION: '1.20', DEBUG: 'false' });
  });

  it('collects secrets of the three kinds', () => {
    const inputs = valid(
      { image: 'app', context: 'app', secrets: 'token=abc=def', 'secret-files': 'npmrc=npmrc', 'secret-envs': 'gh=GH_TOKEN' },
      { GH_TOKEN: 'x' },
    );
    expect(inputs.secrets).toEqual([
      { id: 'token', kind: 'value', value: 'abc=def' },
      { id: 'npmrc', kind: 'file', path: path.join(workspace, 'npmrc') },
      { id: 'gh', kind: 'env', env: 'GH_TOKEN', value: 'x' },
    ]);
  });

  it('tag-rules none with literal tags computes no git tags', () => {
    expect(valid({ image: 'app', context: 'app', 'tag-rules': 'none', tags: 'v1' }).tagRules).toEqual([]);
  });

  it('may replace a layout directory that Slipway wrote (it holds the marker)', () => {
    expect(valid({ image: 'acr.example.io/team/api', context: 'app', 'output-dir': 'out' }).images[0]?.layoutDir).toBe(path.join(workspace, 'out', 'team_api'));
  });

  it.each([
    ['an image reference', 'acr.example.io/team/api:cache'],
    ['a registry cache', 'type=registry,ref=acr.example.io/team/api:cache,mode=max'],
    ['a local cache', 'type=local,src=/var/cache/buildx'],
    ['the GitHub Actions cache', 'type=gha,scope=api'],
  ])('accepts %s as cache-from for buildx', (_, entry) => {
    expect(valid({ image: 'app', context: 'app', builder: 'buildx', 'cache-from': entry }).cacheFrom).toEqual([entry]);
  });

  it('accepts a repository, or type=registry,ref=<repository>, as a buildah cache', () => {
    const inputs = valid({
      image: 'app',
      context: 'app',
      builder: 'buildah',
      'cache-from': 'acr.example.io/team/cache',
      'cache-to': 'type=registry,ref=acr.example.io/team/cache',
    });
    expect([inputs.cacheFrom, inputs.cacheTo]).toEqual([['acr.example.io/team/cache'], ['type=registry,ref=acr.example.io/team/cache']]);
  });

  it.each<[string, Record<string, string>, string, string]>([
    ['missing image', { context: 'app' }, 'image', 'is required'],
    ['bad image name', { image: 'Team/API', context: 'app' }, 'image', 'not a valid image name'],
    ['image name with a tag', { image: 'app:1.0', context: 'app' }, 'image', 'not a valid image name'],
    ['missing context', { image: 'app', context: 'nope' }, 'context', 'does not exist'],
    ['missing Dockerfile', { image: 'app', context: '.', file: 'nope/Dockerfile' }, 'file', 'does not exist'],
    ['no Dockerfile in the context', { image: 'app', context: 'empty' }, 'file', 'no Dockerfile or Containerfile'],
    ['Dockerfile outside the context', { image: 'app', context: 'app', file: 'Dockerfile.outside' }, 'file', 'is outside the build context'],
    ['invalid OCI tag', { image: 'app', context: 'app', tags: 'ok,-bad' }, 'tags', "'-bad' is not a valid OCI tag"],
    ['tag with a colon', { image: 'app', context: 'app', tags: 'a:b' }, 'tags', 'not a valid OCI tag'],
    ['unknown builder', { image: 'app', context: 'app', builder: 'kaniko' }, 'builder', 'expected one of auto, buildx, buildah'],
    ['malformed build-arg', { image: 'app', context: 'app', 'build-args': '=value' }, 'build-args', 'expected KEY=VALUE'],
    ['unknown tag rule', { image: 'app', context: 'app', 'tag-rules': 'sha,date' }, 'tag-rules', 'got "date"'],
    ['none with other rules', { image: 'app', context: 'app', 'tag-rules': 'none,sha' }, 'tag-rules', "'none' cannot be combined"],
    ['tag-rules none and no tags: no tag can result', { image: 'app', context: 'app', 'tag-rules': 'none' }, 'tags', 'no tag can result'],
    ['secret file that does not exist', { image: 'app', context: 'app', 'secret-files': 'x=/nope/file' }, 'secret-files', 'does not exist'],
    ['secret env that is not set', { image: 'app', context: 'app', 'secret-envs': 'x=UNSET_VAR' }, 'secret-envs', 'is not set'],
    [
      'a secret id used twice',
      { image: 'app', context: 'app', secrets: 'a=1', 'secret-files': 'a=npmrc' },
      'secret-files',
      "secret id 'a' is given twice (also in secrets)",
    ],
    ['bad platform', { image: 'app', context: 'app', platforms: 'amd64' }, 'platforms', 'is not a platform'],
    ['a cache that is an option', { image: 'app', context: 'app', 'cache-from': '--authfile=/etc/passwd' }, 'cache-from', "starts with '-'"],
    ['a cache-to that is an option', { image: 'app', context: 'app', 'cache-to': '-o=x' }, 'cache-to', "starts with '-'"],
    ['an unknown cache type', { image: 'app', context: 'app', 'cache-from': 'type=ftp,ref=x' }, 'cache-from', "unknown cache type 'ftp'"],
    ['a registry cache without ref', { image: 'app', context: 'app', 'cache-from': 'type=registry,mode=max' }, 'cache-from', 'needs ref='],
    ['a local cache-to without dest', { image: 'app', context: 'app', 'cache-to': 'type=local,src=/c' }, 'cache-to', 'needs dest='],
    ['inline as a cache source', { image: 'app', context: 'app', 'cache-from': 'type=inline' }, 'cache-from', 'only a cache-to destination'],
    [
      'a buildx-only cache with buildah',
      { image: 'app', context: 'app', builder: 'buildah', 'cache-from': 'type=gha' },
      'cache-from',
      'buildah only uses registry caches',
    ],
    [
      'a tagged cache repository with buildah',
      { image: 'app', context: 'app', builder: 'buildah', 'cache-to': 'acr.example.io/c:1' },
      'cache-to',
      'is not a repository',
    ],
    ['output-dir through a file (ENOTDIR before)', { image: 'app', context: 'app', 'output-dir': 'npmrc/oci' }, 'output-dir', 'is not a directory'],
    ['output-dir climbing out of the workspace', { image: 'app', context: 'app', 'output-dir': '../oci' }, 'output-dir', 'outside the workspace'],
    ['images not YAML', { images: '- name: [' }, 'images', 'is not valid YAML'],
    ['images not a list', { images: 'name: a' }, 'images', 'must be a YAML list'],
    ['images with an alias', { images: '- &a {name: a, context: app}\n- *a\n' }, 'images', 'uses an alias'],
    ['images with an explicit YAML tag', { images: '- name: a\n  context: app\n  tags: [!!int 3]\n' }, 'images', 'is not valid YAML'],
    ['image together with images', { image: 'app', images: '- name: a\n  context: app\n' }, 'image', 'cannot be combined with `images`'],
    ['images entry with an unknown key', { images: '- name: a\n  dockerfile: x\n' }, 'images[0]', "unknown key 'dockerfile'"],
    ['images entry that is not a mapping', { images: '- a\n' }, 'images[0]', 'must be a mapping'],
    ['images entry without a name', { images: '- context: app\n' }, 'images[0].name', 'is required'],
    ['the same image twice', { images: '- name: a\n  context: app\n- name: a\n  context: app\n' }, 'images[1]', 'listed twice'],
    [
      'two images with one layout directory',
      { images: '- name: a.io/team/api\n  context: app\n- name: b.io/team/api\n  context: app\n' },
      'images[1]',
      'writes its layout to',
    ],
    ['a tag list that is a mapping', { images: '- name: a\n  context: app\n  tags: {a: b}\n' }, 'images[0].tags', 'must be a list of strings'],
    ['a nested list in tags', { images: '- name: a\n  context: app\n  tags: [[x]]\n' }, 'images[0].tags', 'must be a string'],
    ['an invalid tag in an entry', { images: '- name: a\n  context: app\n  tags: [-x]\n' }, 'images[0].tags', 'not a valid OCI tag'],
    ['a bad context in an entry', { images: '- name: a\n  context: nope\n' }, 'images[0].context', 'does not exist'],
    ['a build-arg key that is an option', { images: '- name: a\n  context: app\n  build-args: {--evil: y}\n' }, 'images[0].build-args', 'is not a valid key'],
    ['an empty build-arg key (--build-arg =d)', { images: '- name: a\n  context: app\n  build-args: {"": d}\n' }, 'images[0].build-args', 'is not a valid key'],
    [
      'a __proto__ label key (dropped silently before)',
      { images: '- name: a\n  context: app\n  labels: {__proto__: x}\n' },
      'images[0].labels',
      "'__proto__' is not allowed",
    ],
    [
      'a NUL in a build-arg value (TypeError after git before)',
      { images: '- name: a\n  context: app\n  build-args: {A: "x\\0y"}\n' },
      'images[0].build-args.A',
      'U+0000',
    ],
    ['a newline in a tag', { images: '- name: a\n  context: app\n  tags: ["a\\nb"]\n' }, 'images[0].tags', 'U+000A'],
    ['a label map that is a list', { images: '- name: a\n  context: app\n  labels: [a]\n' }, 'images[0].labels', 'must be a mapping'],
  ])('%s', (_, raw, input, message) => {
    const { problems } = validate(raw);
    expect(problems).toContainEqual(expect.objectContaining({ input, message: expect.stringContaining(message) }));
  });

  it('blames the top-level tags once when every entry inherits them and tag-rules is none', () => {
    const { problems } = validate({
      'tag-rules': 'none',
      images: '- name: a\n  context: app\n- name: b\n  context: app\n- name: c\n  context: app\n  tags: [v1]\n',
    });
    expect(problems).toEqual([expect.objectContaining({ input: 'tags', message: expect.stringContaining('no tag can result') })]);
  });

  it('refuses to build over the source folder the layout would land on (--context hello --output-dir .)', () => {
    const { problems } = validate({ image: 'hello', context: 'hello', 'output-dir': '.' });
    expect(problems).toEqual([expect.objectContaining({ input: 'output-dir', message: expect.stringContaining('was not written by Slipway') })]);
    expect(readdirSync(path.join(workspace, 'hello')).sort()).toEqual(['Dockerfile', 'server.sh']);
  });

  it('reports every problem at once instead of the first', () => {
    const { problems } = validate({ image: 'Bad Name', context: 'nope', tags: '-x', platforms: 'amd64', 'max-parallel': '0' });
    expect(problems.map((problem) => problem.input).sort()).toEqual(['context', 'image', 'max-parallel', 'platforms', 'tags']);
  });

  it('does not pile "is required" on an image that failed parsing', () => {
    const { problems } = validate({ image: 'a\nb', context: 'app' });
    expect(problems).toEqual([expect.objectContaining({ input: 'image', message: expect.stringContaining('single line') })]);
  });

  it('never quotes a secret value in the problem about a malformed secrets line', () => {
    const { problems } = validate({ image: 'app', context: 'app', secrets: 'no-equals-sign-supersecret' });
    expect(problems).toHaveLength(1);
    expect(JSON.stringify(problems)).not.toContain('supersecret');
  });
});
