import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSpec } from '@slipway/core';
import { CommandLineError, parseArgv } from '../../../packages/cli/src/parse-argv.ts';
import { renderStepHelp } from '../../../packages/cli/src/render-help.ts';
import { bundleForTest, parseAgentCommands, parseRunnerCommands, repoRoot } from '../../support/host-harness.ts';

const find = (id: string) => (id === 'build' ? buildSpec : undefined);

describe('parseArgv', () => {
  it('maps flags onto inputs; list flags repeat; booleans need no value', () => {
    const parsed = parseArgv(['build', '--image', 'app', '--tags=a', '--tags', 'b', '--no-cache', '--build-args', 'A=1', '--json'], find);
    expect(parsed.problems).toEqual([]);
    expect(parsed.command).toBe('step');
    expect(parsed.json).toBe(true);
    expect(Object.fromEntries(parsed.inputs)).toEqual({ image: 'app', tags: 'a\nb', 'no-cache': 'true', 'build-args': 'A=1' });
  });

  it('reads an explicit boolean value', () => {
    expect(parseArgv(['build', '--no-cache', 'false'], find).inputs.get('no-cache')).toBe('false');
  });

  it.each([
    [['build', '--json=false'], false],
    [['build', '--json=TRUE'], true],
    [['--json', 'build'], true],
    [['build'], false],
  ])('%j: json is %s', (argv, json) => {
    const parsed = parseArgv(argv, find);
    expect(parsed.problems).toEqual([]);
    expect(parsed.json).toBe(json);
  });

  it.each([
    [['nope'], undefined, "unknown step 'nope'"],
    [['help', 'nosuch'], undefined, "unknown step 'nosuch'"],
    [['build', '--imagee', 'x'], undefined, "unknown option '--imagee' for 'slipway build'"],
    [['build', '-x'], undefined, "unknown option '-x' for 'slipway build'"],
    [['build', '--image'], 'image', "input 'image': needs a value"],
    [['build', '--image', '--json'], 'image', "input 'image': needs a value"],
    [['build', '--image', 'a', '--image', 'b'], 'image', "input 'image': is given twice"],
    [['build', 'stray'], undefined, "unexpected argument 'stray'"],
    [['build', '--json=yes'], undefined, "option '--json' takes true or false, not 'yes'"],
    [['--image', 'x', 'build'], undefined, "unknown option '--image' before the step"],
  ])('%j is a problem naming input %s: %s', (argv, input, message) => {
    const { problems } = parseArgv(argv, find);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toBe(message);
    expect(problems[0]?.input).toBe(input);
  });

  it('says -x is an unknown option, not an argument of any input', () => {
    const [problem] = parseArgv(['build', '-x'], find).problems;
    expect(problem?.message).not.toMatch(/input|argument/);
  });

  it('reports every problem of the command line together', () => {
    const { problems } = parseArgv(['build', '--imagee', 'x', '-x', '--image', 'a', 'stray', '--image', 'b', '--tags'], find);
    expect(problems.map((problem) => problem.message)).toEqual([
      "unknown option '--imagee' for 'slipway build'",
      "unknown option '-x' for 'slipway build'",
      "unexpected argument 'stray'",
      "input 'image': is given twice",
      "input 'tags': needs a value",
    ]);
    const error = new CommandLineError(problems);
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message.split('\n')).toHaveLength(5);
  });

  it('suggests the input a misspelt option was meant to be', () => {
    expect(parseArgv(['build', '--imag', 'x'], find).problems[0]?.hint).toBe('did you mean --image?');
  });

  it('quotes values as data: a line break in an argument stays on its line', () => {
    const [problem] = parseArgv(['build', 'a\n::warning::x'], find).problems;
    expect(problem?.message).toBe("unexpected argument 'a\\n::warning::x'");
  });

  it('help documents every input of the step', () => {
    const help = renderStepHelp(buildSpec);
    for (const input of buildSpec.inputs) expect(help).toContain(`--${input.name}`);
    for (const output of buildSpec.outputs) expect(help).toContain(output.name);
  });
});

describe('the slipway command', () => {
  let dir: string;
  let cli: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-test-'));
    cli = await bundleForTest({
      source: `import { main } from ${JSON.stringify(path.join(repoRoot, 'packages/cli/src/main.ts'))};\nprocess.exitCode = await main(process.argv.slice(2));\n`,
      outfile: path.join(dir, 'slipway.mjs'),
      format: 'esm',
    });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const slipway = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env } });

  it.each([
    [['build', '--imagee', 'x', '--json']],
    [['nosuch', '--json']],
    [['build', '--json', '--image']],
    [['--json', 'build', '-x', '--image', 'a', '--image', 'b']],
  ])('%j answers in JSON on stdout with exit 2 when the command line is wrong', (args) => {
    const run = slipway(args);
    expect(run.status).toBe(2);
    const document = JSON.parse(run.stdout);
    expect(document).toMatchObject({ exitCode: 2, outcome: 'error', error: { code: 'INPUT_INVALID' } });
    expect(document.problems.length).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/^error: /);
  });

  it('lists every problem in one run', () => {
    const run = slipway(['build', '-x', '--imagee', 'a', '--image', '--json']);
    expect(run.status).toBe(2);
    expect(JSON.parse(run.stdout).problems.map((problem: { message: string }) => problem.message)).toEqual([
      "unknown option '-x' for 'slipway build'",
      "unknown option '--imagee' for 'slipway build'",
      "input 'image': needs a value",
    ]);
  });

  it('--json=false prints no JSON; --json=maybe is an error', () => {
    const off = slipway(['build', '--json=false', '--nope']);
    expect(off.status).toBe(2);
    expect(off.stdout).toBe('');
    const bad = slipway(['build', '--json=maybe']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("option '--json' takes true or false, not 'maybe'");
  });

  it('help for an unknown step is exit 2 naming it; for a known one exit 0', () => {
    const unknown = slipway(['help', 'nosuch']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown step 'nosuch'");
    expect(unknown.stdout).toBe('');
    const known = slipway(['help', 'build']);
    expect(known.status).toBe(0);
    expect(known.stdout).toContain('--build-args');
  });

  it('-x is an unknown option, naming no input', () => {
    const run = slipway(['build', '-x']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("unknown option '-x'");
    expect(run.stderr).not.toMatch(/input '/);
  });

  it('prints nothing a runner or an agent would act on, whatever the values hold', () => {
    const hostile = 'a\n::set-output name=digest::pwned\n##vso[task.setvariable variable=pwned]yes\r::warning::x';
    for (const args of [
      ['build', hostile, '--json'],
      ['build', '--image', hostile, '--json'],
      ['build', `--${hostile}`],
    ]) {
      const run = slipway(args);
      expect(run.status).toBe(2);
      expect(parseRunnerCommands(run.stdout + run.stderr)).toEqual([]);
      expect(parseAgentCommands(run.stdout + run.stderr)).toEqual([]);
    }
  });

  it('reads a secret input from SLIPWAY_<NAME> and warns when one is given as a flag', () => {
    const flagged = slipway(['push', '--client-secret', 'abcd-flag-secret', '--json']);
    expect(flagged.stderr).toContain('prefer SLIPWAY_CLIENT_SECRET');
    expect(flagged.status).toBe(2);
    const layout = path.join(repoRoot, 'test/fixtures/oci/tiny');
    const guid = '00000000-0000-0000-0000-000000000001';
    const viaEnv = slipway(
      [
        'push',
        '--layout',
        layout,
        '--image',
        '127.0.0.1:9/a',
        '--tags',
        'x',
        '--auth',
        'client-secret',
        '--tenant-id',
        guid,
        '--client-id',
        guid,
        '--authority-host',
        'https://127.0.0.1:9',
        '--attempts',
        '1',
        '--json',
      ],
      { SLIPWAY_CLIENT_SECRET: 'from-env-secret' },
    );
    expect(viaEnv.stderr).not.toContain('prefer SLIPWAY_');
    // Past input validation (client-secret satisfied from the environment) to a sign-in that cannot connect.
    expect(viaEnv.status).toBe(3);
    expect(JSON.parse(viaEnv.stdout).error.code).not.toBe('INPUT_INVALID');
    expect(viaEnv.stdout + viaEnv.stderr).not.toContain('from-env-secret');
  });
});
