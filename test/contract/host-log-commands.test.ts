import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bundleFixtureHosts,
  parseAgentCommands,
  parseRunnerCommands,
  runAzureMainAndPost,
  runGitHubMainAndPost,
  runProcess,
  type FixtureHosts,
} from '../support/host-harness.ts';

/**
 * An input value that tries every way into a log: workflow commands on lines of their own (after a
 * newline, a bare carriage return, leading spaces), the deprecated `##[` form and an Azure Pipelines
 * logging command in the middle of a line. The fixture step prints it through every log channel (info,
 * warning, debug, a group title), as an argument of a child (the command echo) and in an error.
 */
const hostile =
  ['hi', '::set-output name=digest::pwned', '::warning::X', '  ::add-mask::Z', '##[error]Y', 'text ##vso[task.setvariable variable=pwned]yes'].join('\n') +
  '\r::notice::W ##vso[task.complete result=Failed;]';

const token = 'tok-3f9a-7c21-never-inherit';

let dir: string;
let hosts: FixtureHosts;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-logcmd-'));
  hosts = await bundleFixtureHosts(dir);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GitHub: an input cannot issue a workflow command', () => {
  it.each(['succeed', 'fail'])('mode %s: only the host’s own commands, nothing from the value', async (mode) => {
    const run = await runGitHubMainAndPost(hosts.github, { message: hostile, token, mode });
    const commands = parseRunnerCommands(run.main.stdout + run.main.stderr);
    expect(commands.filter((command) => ['set-output', 'notice', 'set-env', 'add-path', 'save-state'].includes(command.command))).toEqual([]);
    expect(commands.filter((command) => command.command === 'add-mask').map((command) => command.data)).toEqual([token]);
    // Its warnings and errors are the step's own, each one whole line; none is the injected X or Y.
    const issues = commands.filter((command) => command.command === 'warning' || command.command === 'error');
    expect(issues.map((command) => command.command)).toEqual(mode === 'fail' ? ['warning', 'error'] : ['warning']);
    for (const issue of issues) expect(issue.data).toMatch(/^(warning hi|failed on hi)%0A/);
    expect(commands.filter((command) => command.command === 'group')).toHaveLength(1);
    expect(run.main.outputs.digest).toBeUndefined();
    if (mode === 'succeed') expect(run.main.outputs.echo).toBe(hostile);
    // The command echo is one line.
    expect(
      run.main.stdout
        .split('\n')
        .filter((line) => line.startsWith('[command]'))
        .every((line) => line.includes("$'hi\\n::set-output")),
    ).toBe(true);
  });

  it('children inherit no INPUT_* variable and no variable holding a secret', async () => {
    const run = await runGitHubMainAndPost(hosts.github, { message: 'x', token }, { COPY_OF_TOKEN: token, KEEP_ME: '1' });
    expect(run.main.exitCode, run.main.stdout).toBe(0);
    const names = JSON.parse(run.main.outputs['child-env'] as string) as string[];
    expect(names).toContain('KEEP_ME');
    expect(names.filter((name) => name.startsWith('INPUT_') || name === 'COPY_OF_TOKEN')).toEqual([]);
    expect(run.main.outputs['child-saw-token']).toBe('false');
  });
});

describe('Azure Pipelines: an input cannot issue a logging command', () => {
  it.each(['succeed', 'fail'])('mode %s: no variable, no completion, no issue from the value', async (mode) => {
    const run = await runAzureMainAndPost(hosts.azure, { message: hostile, token, mode });
    const commands = parseAgentCommands(run.main.stdout + run.main.stderr);
    expect(commands.filter((command) => command.command === 'task.setvariable' && command.properties.variable === 'pwned')).toEqual([]);
    const completions = commands.filter((command) => command.command === 'task.complete');
    expect(completions.map((command) => command.properties.result)).toEqual([mode === 'fail' ? 'Failed' : 'Succeeded']);
    const issues = commands.filter((command) => command.command === 'task.issue');
    // The step's warning; when it fails, its error and the task result's (setResult writes one too).
    expect(issues.map((command) => command.properties.type)).toEqual(mode === 'fail' ? ['warning', 'error', 'error'] : ['warning']);
    for (const issue of issues) expect(issue.message).toMatch(/^(warning hi\n|failed on hi\n|slipway post-fixture: )/);
    expect(commands.filter((command) => command.command === 'task.setsecret').map((command) => command.message)).toEqual([token]);
    // Nor a `##[` format line of its own making: the only ones are the host's group, command and endgroup.
    // (Lines that are task-lib commands carry the value as escaped data, e.g. getInput's debug line.)
    const formats = (run.main.stdout + run.main.stderr).split(/\r\n|\r|\n/).filter((line) => line.includes('##[') && !line.startsWith('##vso['));
    expect(formats.map((line) => /^##\[(\w+)\]/.exec(line)?.[1])).toEqual(['group', 'command', 'endgroup']);
    if (mode === 'succeed') expect(run.main.outputs.echo).toBe(hostile);
  });

  it('children inherit no input variable and no variable holding a secret', async () => {
    const run = await runAzureMainAndPost(hosts.azure, { message: 'x', token }, { COPY_OF_TOKEN: token, KEEP_ME: '1' });
    expect(run.main.result, run.main.stdout).toBe('Succeeded');
    const names = JSON.parse(run.main.outputs.childEnv as string) as string[];
    expect(names).toContain('KEEP_ME');
    expect(names.filter((name) => /^(INPUT_|SECRET_|ENDPOINT_AUTH_)/.test(name) || name === 'COPY_OF_TOKEN')).toEqual([]);
    expect(run.main.outputs.childSawToken).toBe('false');
  });
});

describe('CLI: inside a workflow or pipeline script, its output issues no command either', () => {
  const env = () => ({ TMPDIR: mkdtempSync(path.join(dir, 'tmp-')) });

  it.each([
    ['succeed', ['--json']],
    ['succeed', []],
    ['fail', ['--json']],
  ])('mode %s %j: neither the runner nor the agent finds a command on stdout or stderr', async (mode, extra) => {
    const run = await runProcess(process.execPath, [hosts.cli, 'post-fixture', '--message', hostile, '--mode', mode, ...extra], {
      ...env(),
      SLIPWAY_TOKEN: token,
    });
    expect(run.exitCode).toBe(mode === 'fail' ? 3 : 0);
    const output = run.stdout + run.stderr;
    expect(parseRunnerCommands(output)).toEqual([]);
    expect(parseAgentCommands(output)).toEqual([]);
    expect(output).not.toContain(token);
    if (extra.includes('--json') && mode === 'succeed') expect(JSON.parse(run.stdout).outputs.echo).toBe(hostile);
  });

  it('children inherit no SLIPWAY_<INPUT> variable and no variable holding a secret; other SLIPWAY_* stay', async () => {
    const run = await runProcess(process.execPath, [hosts.cli, 'post-fixture', '--json'], {
      ...env(),
      SLIPWAY_TOKEN: token,
      SLIPWAY_MESSAGE: 'from the environment',
      COPY_OF_TOKEN: token,
      SLIPWAY_NPM_TOKEN: 'for-secret-envs',
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document.outputs.echo).toBe('from the environment');
    const names = JSON.parse(document.outputs['child-env']) as string[];
    expect(names).toContain('SLIPWAY_NPM_TOKEN');
    expect(names.filter((name) => ['SLIPWAY_TOKEN', 'SLIPWAY_MESSAGE', 'COPY_OF_TOKEN'].includes(name))).toEqual([]);
    expect(document.outputs['child-saw-token']).toBe('false');
  });
});
