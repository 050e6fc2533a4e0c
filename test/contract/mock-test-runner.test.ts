/**
 * The Azure Pipelines task as packaged (scripts/package-extension.mjs), run by azure-pipelines-task-lib's
 * own test harness: MockTestRunner spawns a small entry (test/contract/mock-test/*.cjs) that sets inputs
 * with TaskMockRunner and requires the task, black box (no registerMock, task-lib left unmocked).
 *
 * MockTestRunner picks the node of the highest Node handler in task.json (Node24 here) and downloads it
 * from nodejs.org into ~/azure-pipelines-task-lib/_download unless `nodePath` is already set
 * (mock-test.js getNodePath/downloadNode). The test sets `nodePath` to the Node 24 that
 * scripts/install-test-tools.sh took from the npm registry, and points TASK_NODE_URL at a closed port so
 * that a download attempt would fail at once instead of reaching the network.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuildahEnv, hasBuildah, type BuildahEnv } from '../support/buildah-env.ts';
import { parseVsoCommands, repoRoot } from '../support/host-harness.ts';
import { describeWithTools } from '../support/test-tools.ts';

const entries = path.join(import.meta.dirname, 'mock-test');

/** Sets variables for the span of `fn` (MockTestRunner hands its own environment to the task). */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** Output variables the task set (`##vso[task.setvariable ...;isOutput=true]`). */
function outputsOf(runner: MockTestRunner): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const command of parseVsoCommands(runner.stdout)) {
    if (command.command === 'task.setvariable' && command.properties.isOutput === 'true') outputs[command.properties.variable ?? ''] = command.message;
  }
  return outputs;
}

describeWithTools('the packaged SlipwayBuildV1 under MockTestRunner', ['node24'], (tools) => {
  let staged: string;
  let workspace: string;
  let agentTemp: string;

  beforeAll(() => {
    staged = mkdtempSync(path.join(os.tmpdir(), 'slipway-mtr-ext-'));
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts/package-extension.mjs'), staged], { stdio: 'pipe' });
    workspace = mkdtempSync(path.join(os.tmpdir(), 'slipway-mtr-ws-'));
    cpSync(path.join(repoRoot, 'test/fixtures/apps/hello'), workspace, { recursive: true });
    agentTemp = mkdtempSync(path.join(os.tmpdir(), 'slipway-mtr-temp-'));
  });
  afterAll(() => {
    for (const dir of [staged, workspace, agentTemp]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function runCase(entry: string, env: Record<string, string>): Promise<MockTestRunner> {
    const taskDir = path.join(staged, 'SlipwayBuildV1');
    const runner = new MockTestRunner(path.join(entries, entry), path.join(taskDir, 'task.json'));
    runner.nodePath = tools.node24;
    await withEnv(
      {
        SLIPWAY_MOCK_TASK_DIR: taskDir,
        TASK_NODE_URL: 'http://127.0.0.1:9/no-downloads',
        SYSTEM_DEFAULTWORKINGDIRECTORY: workspace,
        AGENT_TEMPDIRECTORY: agentTemp,
        BUILD_SOURCEVERSION: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
        BUILD_SOURCEBRANCH: 'refs/heads/main',
        ...env,
      },
      () => runner.runAsync(),
    );
    return runner;
  }

  it('a bad input fails the task with an error issue naming the input, and sets no outputs', async () => {
    const runner = await runCase('build-bad-input.cjs', {});
    // The entry prints the Node it runs on: the installed Node 24, not a download.
    // (stdout, not stdOutContained: that one misses text at offset 0, mock-test.js `indexOf(message) > 0`.)
    expect(runner.stdout, runner.stderr).toContain(`entry node ${execFileSync(tools.node24, ['--version'], { encoding: 'utf8' }).trim()}\n`);
    expect(runner.failed, runner.stdout + runner.stderr).toBe(true);
    expect(runner.succeeded).toBe(false);
    expect(
      runner.errorIssues.some((issue) => issue.includes(`input 'builder': expected one of auto, buildx, buildah, got "kaniko"`)),
      runner.stdout,
    ).toBe(true);
    expect(runner.stdOutContained("input 'builder'")).toBe(true);
    expect(runner.stdOutContained('##vso[task.complete result=Failed;')).toBe(true);
    expect(outputsOf(runner)).toEqual({});
  });

  describeWithBuildah('a real buildah build', () => {
    let buildah: BuildahEnv;
    beforeAll(() => {
      buildah = createBuildahEnv();
    });
    afterAll(() => buildah?.cleanup());

    it('succeeds and sets the digest, layout and tags output variables', async () => {
      const runner = await runCase('build-valid.cjs', buildah.env);
      expect(runner.succeeded, runner.stdout.slice(-3000) + runner.stderr).toBe(true);
      expect(runner.errorIssues).toEqual([]);
      expect(runner.stdOutContained('##vso[task.setvariable variable=digest;isOutput=true;')).toBe(true);
      expect(runner.stdOutContained('##[command]')).toBe(true);
      const outputs = outputsOf(runner);
      expect(outputs.builder).toBe('buildah');
      expect(outputs.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
      expect(outputs.tags?.split('\n')).toEqual([
        'registry.example.test/team/hello:candidate',
        'registry.example.test/team/hello:sha-a1b2c3d',
        'registry.example.test/team/hello:main',
      ]);
      // The layout the task reported holds the image it reported.
      const layout = outputs.layout as string;
      expect(existsSync(path.join(layout, 'oci-layout'))).toBe(true);
      const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      expect(index.manifests.map((manifest) => manifest.digest)).toContain(outputs.digest);
      expect(layout.startsWith(agentTemp)).toBe(true);
    }, 300_000);
  });
});

/** Buildah is a Debian package `.ci/run` installs; without it (a dev laptop) the build case is skipped. */
function describeWithBuildah(name: string, body: () => void): void {
  if (hasBuildah() || process.env.SLIPWAY_SANDBOX_REQUIRED === '1') describe(name, body);
  else describe.skip(`${name} (buildah is not installed)`, body);
}
