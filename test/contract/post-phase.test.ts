import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixtureHosts, parseRunnerCommands, runAzureMainAndPost, runGitHubMainAndPost, runProcess, type FixtureHosts } from '../support/host-harness.ts';

let dir: string;
let hosts: FixtureHosts;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-post-'));
  hosts = await bundleFixtureHosts(dir);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GitHub: main.mjs, then post.mjs with the saved state as STATE_*', () => {
  it('the post phase removes what the main phase left, from the state it saved', async () => {
    const run = await runGitHubMainAndPost(hosts.github, { message: 'hello' });
    expect(run.main.exitCode, run.main.stdout).toBe(0);
    const scratch = run.main.outputs.scratch as string;
    expect(run.state.scratch).toBe(scratch);
    expect(run.post.exitCode, run.post.stdout).toBe(0);
    expect(run.post.stdout).toContain(`post: removed ${scratch}`);
    expect(existsSync(scratch)).toBe(false);
  });

  it('runs after a failed main phase too (post-if: always())', async () => {
    const run = await runGitHubMainAndPost(hosts.github, { mode: 'fail' });
    expect(run.main.exitCode).toBe(3);
    expect(run.post.exitCode).toBe(0);
    expect(existsSync(run.state.scratch as string)).toBe(false);
  });

  it('a cleanup that failed is a warning and exit 0; one that left the environment unclean is exit 4', async () => {
    const warned = await runGitHubMainAndPost(hosts.github, { 'post-mode': 'warn' });
    expect(warned.main.exitCode).toBe(0);
    expect(warned.post.exitCode).toBe(0);
    const warnings = parseRunnerCommands(warned.post.stdout).filter((command) => command.command === 'warning');
    expect(warnings.map((command) => command.data)).toEqual([expect.stringContaining('cleanup hiccup (UNEXPECTED)')]);

    const dirty = await runGitHubMainAndPost(hosts.github, { 'post-mode': 'dirty' });
    expect(dirty.main.exitCode).toBe(0);
    expect(dirty.post.exitCode).toBe(4);
    const errors = parseRunnerCommands(dirty.post.stdout).filter((command) => command.command === 'error');
    expect(errors.map((command) => command.data)).toEqual([expect.stringContaining(`could not remove ${dirty.state.scratch}`)]);
  });
});

describe('Azure Pipelines: the task, then its post-job with the task variables it set', () => {
  it('the post-job removes what the task left, from its task variables', async () => {
    const run = await runAzureMainAndPost(hosts.azure, { message: 'hello' });
    expect(run.main.result, run.main.stdout).toBe('Succeeded');
    const scratch = run.main.outputs.scratch as string;
    expect(run.taskVariables.scratch).toBe(scratch);
    expect(run.post.result, run.post.stdout).toBe('Succeeded');
    expect(run.post.stdout).toContain(`post: removed ${scratch}`);
    expect(existsSync(scratch)).toBe(false);
  });

  it('runs after a failed task too', async () => {
    const run = await runAzureMainAndPost(hosts.azure, { mode: 'fail' });
    expect(run.main.result).toBe('Failed');
    expect(run.post.result).toBe('Succeeded');
    expect(existsSync(run.taskVariables.scratch as string)).toBe(false);
  });

  it('a cleanup that failed ends SucceededWithIssues; one that left the environment unclean ends Failed, exit 4', async () => {
    const warned = await runAzureMainAndPost(hosts.azure, { postMode: 'warn' });
    expect(warned.post.result).toBe('SucceededWithIssues');
    expect(warned.post.exitCode).toBe(0);
    expect(
      warned.post.commands.some(
        (command) => command.command === 'task.issue' && command.properties.type === 'warning' && command.message.includes('cleanup hiccup'),
      ),
    ).toBe(true);

    const dirty = await runAzureMainAndPost(hosts.azure, { postMode: 'dirty' });
    expect(dirty.main.result).toBe('Succeeded');
    expect(dirty.post.result).toBe('Failed');
    expect(dirty.post.exitCode).toBe(4);
  });
});

describe('CLI: the post phase runs in the same process when the main phase ends', () => {
  const cliEnv = () => ({ TMPDIR: mkdtempSync(path.join(dir, 'tmp-')) });

  it('after success: the JSON reports it and the file is gone', async () => {
    const run = await runProcess(process.execPath, [hosts.cli, 'post-fixture', '--json'], cliEnv());
    expect(run.exitCode, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document.post).toEqual({ exitCode: 0 });
    expect(run.stderr).toContain(`post: removed ${document.outputs.scratch}`);
    expect(existsSync(document.outputs.scratch)).toBe(false);
  });

  it('after failure, and exit 4 when it left the environment unclean', async () => {
    const failed = await runProcess(process.execPath, [hosts.cli, 'post-fixture', '--mode', 'fail'], cliEnv());
    expect(failed.exitCode).toBe(3);
    expect(failed.stderr).toContain('post: removed ');

    const dirty = await runProcess(process.execPath, [hosts.cli, 'post-fixture', '--post-mode', 'dirty', '--json'], cliEnv());
    expect(dirty.exitCode).toBe(4);
    expect(JSON.parse(dirty.stdout)).toMatchObject({ exitCode: 4, outcome: 'succeeded', post: { exitCode: 4, error: { code: 'FIXTURE_DIRTY' } } });
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('after %s: the main phase is cancelled (exit 3) and the post phase still cleans up', async (signal) => {
    const child = spawn(process.execPath, [hosts.cli, 'post-fixture', '--mode', 'wait', '--json'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...cliEnv() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const waiting = new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (stderr.includes('fixture: waiting to be cancelled')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waiting;
    child.kill(signal);
    expect(await exited).toBe(3);
    const document = JSON.parse(stdout);
    expect(document.error.code).toBe('CANCELLED');
    expect(document.post).toEqual({ exitCode: 0 });
    const removed = /post: removed (\/\S+kubeconfig)/.exec(stderr)?.[1];
    expect(removed, stderr).toBeDefined();
    expect(existsSync(removed as string)).toBe(false);
  });
});
