import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Buildah, layoutMarkerFile, ProcessRunner, readImageConfigs, Redactor, runBuild, type BuildInputs, type ImageBuildSpec } from '@slipway/core';
import { createBuildahEnv, hasBuildah, testBaseImage, type BuildahEnv } from '../../support/buildah-env.ts';
import { stepDepsForTests } from '../../unit/tools/step-deps-for-tests.ts';

// runBuild in-process with the real buildah behind the Buildah adapter (the CLI tests run the bundle).
let buildah: BuildahEnv;
let work: string;

beforeAll(() => {
  buildah = createBuildahEnv();
  work = mkdtempSync(path.join(os.tmpdir(), 'slipway-builders-'));
  writeFileSync(path.join(work, 'Containerfile'), `FROM ${testBaseImage}\nRUN echo built > /built.txt\n`);
});
afterAll(() => {
  buildah?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

const runner = () => new ProcessRunner({ redactor: new Redactor(), log: { command: () => {}, debug: () => {} }, baseEnv: { ...process.env, ...buildah.env } });

function build(image: Partial<ImageBuildSpec>, sha: string) {
  const spec: ImageBuildSpec = {
    name: 'localhost/builders/app',
    context: work,
    file: path.join(work, 'Containerfile'),
    target: undefined,
    buildArgs: {},
    labels: {},
    tags: ['it'],
    platforms: [],
    layoutDir: path.join(work, 'out', 'builders_app'),
    ...image,
  };
  const inputs: BuildInputs = {
    builder: 'buildah',
    images: [spec],
    tagRules: [],
    secrets: [],
    cacheFrom: [],
    cacheTo: [],
    noCache: false,
    maxParallel: 1,
    timeoutMs: 300_000,
  };
  const recorded = stepDepsForTests(runner(), path.join(work, 'temp'), { sha, commitTime: '2026-11-24T10:00:00Z' });
  return { recorded, result: runBuild(inputs, recorded.deps) };
}

describe.runIf(hasBuildah())('the Buildah image builder', () => {
  it('builds into a marked layout, and a rebuild into it carries the new labels (containers/buildah#2041)', async () => {
    const first = await build({}, 'a'.repeat(40)).result;
    const [image] = first.images;
    expect(first.builder).toBe('buildah');
    expect(readdirSync(image?.layout as string).sort()).toEqual([layoutMarkerFile, 'blobs', 'index.json', 'oci-layout']);
    expect(image?.labels['org.opencontainers.image.revision']).toBe('a'.repeat(40));

    // Whether this buildah's cache hands back the old labels or not, the layout carries the new ones.
    const [rebuilt] = (await build({}, 'b'.repeat(40)).result).images;
    const [config] = await readImageConfigs(rebuilt?.layout as string, rebuilt?.digest as string);
    expect(config?.labels['org.opencontainers.image.revision']).toBe('b'.repeat(40));
    expect(rebuilt?.digest).not.toBe(image?.digest);
  }, 300_000);

  it('builds several platforms into one index (a manifest list, no --iidfile)', async () => {
    const context = mkdtempSync(path.join(work, 'multi-'));
    writeFileSync(path.join(context, 'Containerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    writeFileSync(path.join(context, 'hello.txt'), 'hello\n');
    const spec = {
      name: 'localhost/builders/multi',
      context,
      file: path.join(context, 'Containerfile'),
      platforms: ['linux/amd64', 'linux/arm64'],
      layoutDir: path.join(work, 'out', 'builders_multi'),
    };
    // Twice: the second build must not collect the first one's images in a stale manifest list.
    await build(spec, 'c'.repeat(40)).result;
    const [image] = (await build(spec, 'd'.repeat(40)).result).images;
    expect([...(image?.platforms ?? [])].sort()).toEqual(['linux/amd64', 'linux/arm64']);
  }, 300_000);

  it('relabels an image whose cached labels are stale: a new image with the wanted labels, under the same tags', async () => {
    const tool = new Buildah(runner());
    await build({ name: 'localhost/builders/relabel', layoutDir: path.join(work, 'out', 'builders_relabel') }, 'e'.repeat(40)).result;
    const reference = 'localhost/builders/relabel:it';
    expect((await tool.readImageLabels(reference))['org.opencontainers.image.revision']).toBe('e'.repeat(40));

    const wanted = { 'org.opencontainers.image.revision': 'f'.repeat(40), 'com.example.team': 'platform' };
    const relabelled = await tool.relabelImage(reference, wanted, [reference]);
    expect(relabelled).toMatch(/^[a-f0-9]{64}$/);
    expect(await tool.readImageLabels(reference)).toMatchObject(wanted);
    expect(await tool.readImageLabels(relabelled)).toMatchObject(wanted);
  }, 300_000);
});
