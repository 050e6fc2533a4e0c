import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageConfigs, readOciLayoutIndex } from '@slipway/core';
import { createBuildahEnv, hasBuildah, type BuildahEnv } from '../support/buildah-env.ts';
import { repoRoot, runAzureTask, runGitHubAction, runProcess } from '../support/host-harness.ts';

const sha = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const secretValue = 'tok-3f9a-7c21-never-log';

/** The same build asked of every host; only the host's own plumbing differs. */
const inputs = {
  image: 'registry.example.test/team/hello',
  context: '.',
  file: 'Containerfile',
  target: 'runtime',
  'build-args': 'GREETING=bonjour',
  labels: 'com.example.team=platform\norg.opencontainers.image.vendor=Contoso',
  tags: 'candidate',
  secrets: `build_token=${secretValue}`,
};

let buildah: BuildahEnv;
let workspace: string;

beforeAll(() => {
  buildah = createBuildahEnv();
  workspace = mkdtempSync(path.join(os.tmpdir(), 'slipway-ws-'));
  cpSync(path.join(repoRoot, 'test/fixtures/apps/hello'), workspace, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: workspace, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.email=t@example.test', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'init');
  git('tag', 'v1.2.3');
  git('remote', 'add', 'origin', 'https://user:hunter2@git.example.test/team/hello.git');
});

afterAll(() => {
  buildah?.cleanup();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

/** Reads the layout a host reported and checks it against the reported digest. */
async function checkLayout(layout: string, digest: string) {
  const entries = await readOciLayoutIndex(layout);
  expect(entries.map((entry) => entry.digest)).toContain(digest);
  const [config] = await readImageConfigs(layout, digest);
  expect(config?.labels).toMatchObject({
    'com.example.team': 'platform',
    'org.opencontainers.image.vendor': 'Contoso',
    'org.opencontainers.image.title': 'hello',
  });
  // The secret was mounted for RUN (its length landed in the image) but its value is nowhere in the layout.
  let mountedLength: string | undefined;
  for (const blob of readdirSync(path.join(layout, 'blobs/sha256'))) {
    const bytes = readFileSync(path.join(layout, 'blobs/sha256', blob));
    expect(bytes.includes(secretValue)).toBe(false);
    const listing = execFileSync('sh', ['-c', 'tar tzf "$1" 2>/dev/null || true', 'sh', path.join(layout, 'blobs/sha256', blob)], { encoding: 'utf8' });
    if (listing.includes('app/token-length')) {
      mountedLength = execFileSync('tar', ['xzOf', path.join(layout, 'blobs/sha256', blob), 'app/token-length'], { encoding: 'utf8' }).trim();
    }
  }
  expect(mountedLength).toBe(String(secretValue.length));
  return config;
}

describe.runIf(hasBuildah())('build, run by each host on a real two-stage buildah build', () => {
  it('GitHub: the bundled action sets outputs, summary and masks the secret', async () => {
    const run = await runGitHubAction('build', inputs, {
      ...buildah.env,
      GITHUB_WORKSPACE: workspace,
      GITHUB_SHA: sha,
      GITHUB_REF: 'refs/tags/v1.2.3',
      GITHUB_REPOSITORY: 'team/hello',
      GITHUB_SERVER_URL: 'https://github.example.test',
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.builder).toBe('buildah');
    expect(run.outputs.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(run.outputs.image).toBe(`registry.example.test/team/hello@${run.outputs.digest}`);
    expect(run.outputs.tags?.split('\n')).toEqual([
      'registry.example.test/team/hello:candidate',
      'registry.example.test/team/hello:sha-a1b2c3d',
      'registry.example.test/team/hello:1.2.3',
      'registry.example.test/team/hello:1.2',
      'registry.example.test/team/hello:1',
    ]);
    const config = await checkLayout(run.outputs.layout as string, run.outputs.digest as string);
    expect(config?.labels).toMatchObject({
      'org.opencontainers.image.revision': sha,
      'org.opencontainers.image.source': 'https://github.example.test/team/hello',
      'org.opencontainers.image.version': '1.2.3',
    });
    expect(JSON.parse(run.outputs.images as string)).toHaveLength(1);
    expect(run.summary).toContain(run.outputs.digest);
    expect(run.stdout).toContain(`::add-mask::${secretValue}`);
    expect(run.stdout.replaceAll(`::add-mask::${secretValue}`, '')).not.toContain(secretValue);
    expect(run.stdout).toContain('::group::Build 1 image(s) with buildah');
  });

  it('Azure Pipelines: the task sets output variables, uploads the summary and completes Succeeded', async () => {
    const run = await runAzureTask(
      'SlipwayBuildV1',
      {
        image: inputs.image,
        context: inputs.context,
        file: inputs.file,
        target: inputs.target,
        buildArgs: inputs['build-args'],
        labels: inputs.labels,
        tags: inputs.tags,
        secrets: inputs.secrets,
      },
      {
        ...buildah.env,
        SYSTEM_DEFAULTWORKINGDIRECTORY: workspace,
        BUILD_SOURCEVERSION: sha,
        BUILD_SOURCEBRANCH: 'refs/heads/release/2026',
      },
    );
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.result).toBe('Succeeded');
    expect(run.outputs.tags?.split('\n')).toEqual([
      'registry.example.test/team/hello:candidate',
      'registry.example.test/team/hello:sha-a1b2c3d',
      'registry.example.test/team/hello:release-2026',
    ]);
    await checkLayout(run.outputs.layout as string, run.outputs.digest as string);
    const summary = run.commands.find((command) => command.command === 'task.uploadsummary');
    expect(readFileSync(summary?.message as string, 'utf8')).toContain(run.outputs.digest);
    expect(run.commands.some((c) => c.command === 'task.setsecret' && c.message === secretValue)).toBe(true);
    expect(
      run.stdout
        .split('\n')
        .filter((line) => !line.startsWith('##vso[task.setsecret]'))
        .join('\n'),
    ).not.toContain(secretValue);
  });

  it('CLI: --json prints the result; tags and labels come from git itself', async () => {
    const run = await runProcess(
      process.execPath,
      [path.join(repoRoot, 'packages/cli/dist/slipway.mjs'), 'build', ...Object.entries(inputs).flatMap(([k, v]) => [`--${k}`, v]), '--json'],
      { ...buildah.env, TMPDIR: mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-')) },
      workspace,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout);
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: workspace, encoding: 'utf8' }).trim();
    expect(document.outputs.tags.split('\n')).toEqual([
      'registry.example.test/team/hello:candidate',
      `registry.example.test/team/hello:sha-${head.slice(0, 7)}`,
      'registry.example.test/team/hello:main',
      'registry.example.test/team/hello:1.2.3',
      'registry.example.test/team/hello:1.2',
      'registry.example.test/team/hello:1',
    ]);
    const config = await checkLayout(document.outputs.layout, document.outputs.digest);
    // The remote's credentials never reach a label.
    expect(config?.labels['org.opencontainers.image.source']).toBe('https://git.example.test/team/hello');
    expect(run.stderr).not.toContain(secretValue);
    expect(run.stdout).not.toContain(secretValue);
  });
});

describe('bad input changes nothing and exits 2 in every host', () => {
  const bad = { ...inputs, builder: 'kaniko' };

  it('GitHub', async () => {
    const temp = mkdtempSync(path.join(os.tmpdir(), 'slipway-bad-'));
    const run = await runGitHubAction('build', bad, { GITHUB_WORKSPACE: workspace, RUNNER_TEMP: temp });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain("::error::input 'builder': expected one of auto, buildx, buildah");
    expect(run.outputs).toEqual({});
    expect(existsSync(path.join(temp, 'slipway-oci'))).toBe(false);
  });

  it('Azure Pipelines', async () => {
    const run = await runAzureTask(
      'SlipwayBuildV1',
      { image: bad.image, context: '.', file: 'Containerfile', builder: 'kaniko' },
      { SYSTEM_DEFAULTWORKINGDIRECTORY: workspace },
    );
    expect(run.exitCode).toBe(2);
    expect(run.result).toBe('Failed');
    expect(run.commands.some((c) => c.command === 'task.issue' && c.properties.type === 'error' && c.message.includes("input 'builder'"))).toBe(true);
  });

  it('CLI', async () => {
    const run = await runProcess(
      process.execPath,
      [path.join(repoRoot, 'packages/cli/dist/slipway.mjs'), 'build', '--image', 'Bad Name', '--json'],
      {},
      workspace,
    );
    expect(run.exitCode).toBe(2);
    expect(JSON.parse(run.stdout).error).toMatchObject({ code: 'INPUT_INVALID' });
  });
});

describe('the packaged Azure DevOps extension', () => {
  it('runs a task from its own folder, with no repository around it', async () => {
    // Staged below an ESM package.json, as dist/extension sits in this repository: the CommonJS task
    // entries load only because tasks/package.json ("type": "commonjs") is staged with them.
    const parent = mkdtempSync(path.join(os.tmpdir(), 'slipway-ext-'));
    writeFileSync(path.join(parent, 'package.json'), '{ "type": "module" }\n');
    const staged = path.join(parent, 'extension');
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts/package-extension.mjs'), staged]);
    const manifest = JSON.parse(readFileSync(path.join(staged, 'vss-extension.json'), 'utf8'));
    for (const file of manifest.files as Array<{ path: string }>) {
      expect(existsSync(path.join(staged, file.path, '_bundle', 'slipway.cjs'))).toBe(true);
      expect(JSON.parse(readFileSync(path.join(staged, file.path, 'package.json'), 'utf8')).type).toBe('commonjs');
    }
    // Invalid input exercises the whole task entry and bundle without building anything.
    const run = await runProcess(
      process.execPath,
      [path.join(staged, 'SlipwayBuildV1', 'index.js')],
      { INPUT_IMAGE: 'Bad Name', AGENT_TEMPDIRECTORY: staged },
      staged,
    );
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain('##vso[task.complete result=Failed;]');
    rmSync(parent, { recursive: true, force: true });
  });
});
