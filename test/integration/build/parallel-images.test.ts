import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageConfigs } from '@slipway/core';
import { createBuildahEnv, hasBuildah, type BuildahEnv } from '../../support/buildah-env.ts';
import { repoRoot, runProcess } from '../../support/host-harness.ts';

let buildah: BuildahEnv;
let out: string;

beforeAll(() => {
  buildah = createBuildahEnv();
  out = mkdtempSync(path.join(os.tmpdir(), 'slipway-par-'));
});
afterAll(() => {
  buildah?.cleanup();
  if (out) rmSync(out, { recursive: true, force: true });
});

const cli = (args: string[]) =>
  runProcess(
    process.execPath,
    [path.join(repoRoot, 'packages/cli/dist/slipway.mjs'), 'build', ...args, '--json'],
    buildah.env,
    path.join(repoRoot, 'test/fixtures/apps'),
  );

describe.runIf(hasBuildah())('several images in one call', () => {
  it('builds every image of the images list, each with its own target and args, into its own layout', async () => {
    const images = [
      '- name: localhost/parallel/runtime',
      '  context: hello',
      '  file: hello/Containerfile',
      '  target: runtime',
      '  build-args: {GREETING: first}',
      '- name: localhost/parallel/debug',
      '  context: hello',
      '  file: hello/Containerfile',
      '  target: debug',
      '  labels: {com.example.flavour: debug}',
    ].join('\n');
    const run = await cli(['--images', images, '--tags', 'it', '--tag-rules', 'none', '--max-parallel', '2', '--output-dir', out]);
    expect(run.exitCode, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout);
    const built = document.result.images as Array<{ name: string; digest: string; layout: string; references: string[] }>;
    expect(built.map((image) => image.name)).toEqual(['localhost/parallel/runtime', 'localhost/parallel/debug']);
    expect(built[0]?.layout).toBe(path.join(out, 'parallel_runtime'));
    expect(built[0]?.digest).not.toBe(built[1]?.digest);
    expect(built[1]?.references).toEqual(['localhost/parallel/debug:it']);
    const [debugConfig] = await readImageConfigs(built[1]?.layout as string, built[1]?.digest as string);
    expect(debugConfig?.labels['com.example.flavour']).toBe('debug');
    // Both images were started before either finished: their log lines interleave.
    const firstDone = run.stderr.indexOf('] sha256:');
    const firstLines = ['[localhost/parallel/runtime]', '[localhost/parallel/debug]'].map((prefix) => run.stderr.indexOf(prefix));
    expect(firstDone).toBeGreaterThan(0);
    for (const first of firstLines) {
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThan(firstDone);
    }
  });

  it('builds a multi-platform image (no emulation needed for COPY-only stages) into one OCI index', async () => {
    const context = mkdtempSync(path.join(os.tmpdir(), 'slipway-multi-'));
    writeFileSync(path.join(context, 'Containerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    writeFileSync(path.join(context, 'hello.txt'), 'hello\n');
    try {
      const run = await runProcess(
        process.execPath,
        [
          path.join(repoRoot, 'packages/cli/dist/slipway.mjs'),
          'build',
          '--image',
          'localhost/multi',
          '--context',
          context,
          '--platforms',
          'linux/amd64,linux/arm64',
          '--labels',
          'com.example.multi=yes',
          '--tags',
          'mp',
          '--output-dir',
          out,
          '--json',
        ],
        buildah.env,
        context,
      );
      expect(run.exitCode, run.stderr).toBe(0);
      const [image] = JSON.parse(JSON.parse(run.stdout).outputs.images) as Array<{ digest: string; layout: string; platforms: string[] }>;
      expect([...(image?.platforms ?? [])].sort()).toEqual(['linux/amd64', 'linux/arm64']);
      const configs = await readImageConfigs(image?.layout as string, image?.digest as string);
      expect(configs.map((config) => config.labels['com.example.multi'])).toEqual(['yes', 'yes']);
      expect(new Set(configs.map((config) => config.manifestDigest)).size).toBe(2);
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  });

  it('a failing build exits 3 with the tool error and the tail of its output', async () => {
    const run = await cli([
      '--image',
      'localhost/broken',
      '--context',
      'hello',
      '--file',
      'hello/Containerfile',
      '--target',
      'no-such-stage',
      '--tags',
      'x',
      '--output-dir',
      out,
    ]);
    expect(run.exitCode).toBe(3);
    const document = JSON.parse(run.stdout);
    expect(document.error.code).toBe('EXEC_FAILED');
    expect(document.error.message).toContain('no-such-stage');
  });
});
