import { describe, expect, it } from 'vitest';
import { buildSpec, InputError } from '@slipway/core';
import { parseArgv } from '../../../packages/cli/src/parse-argv.ts';
import { renderStepHelp } from '../../../packages/cli/src/render-help.ts';

const find = (id: string) => (id === 'build' ? buildSpec : undefined);

describe('parseArgv', () => {
  it('maps flags onto inputs; list flags repeat; booleans need no value', () => {
    const parsed = parseArgv(['build', '--image', 'app', '--tags=a', '--tags', 'b', '--no-cache', '--build-args', 'A=1', '--json'], find);
    expect(parsed.command).toBe('step');
    expect(parsed.json).toBe(true);
    expect(Object.fromEntries(parsed.inputs)).toEqual({ image: 'app', tags: 'a\nb', 'no-cache': 'true', 'build-args': 'A=1' });
  });

  it('reads an explicit boolean value', () => {
    expect(parseArgv(['build', '--no-cache', 'false'], find).inputs.get('no-cache')).toBe('false');
  });

  it.each([
    [['nope'], 'command', "unknown step 'nope'"],
    [['build', '--imagee', 'x'], 'imagee', 'has no such input'],
    [['build', '--image'], 'image', 'needs a value'],
    [['build', '--image', 'a', '--image', 'b'], 'image', 'is given twice'],
    [['build', 'stray'], 'build', 'unexpected argument'],
  ])('%j is invalid input naming %s', (argv, input, message) => {
    let error: unknown;
    try {
      parseArgv(argv, find);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe(input);
    expect((error as InputError).message).toContain(message);
  });

  it('help documents every input of the step', () => {
    const help = renderStepHelp(buildSpec);
    for (const input of buildSpec.inputs) expect(help).toContain(`--${input.name}`);
    for (const output of buildSpec.outputs) expect(help).toContain(output.name);
  });
});

describe('secrets on the CLI', () => {
  it('reads a secret input from SLIPWAY_<NAME> and warns when one is given as a flag', async () => {
    const { execFileSync, spawnSync } = await import('node:child_process');
    const path = await import('node:path');
    const cli = path.resolve(import.meta.dirname, '../../../packages/cli/dist/slipway.mjs');
    expect(() => execFileSync(process.execPath, [cli, '--version'])).not.toThrow();
    const flagged = spawnSync(process.execPath, [cli, 'push', '--client-secret', 'abc', '--json'], { encoding: 'utf8' });
    expect(flagged.stderr).toContain('prefer SLIPWAY_CLIENT_SECRET');
    expect(flagged.status).toBe(2);
    const layout = path.resolve(import.meta.dirname, '../../fixtures/oci/tiny');
    const guid = '00000000-0000-0000-0000-000000000001';
    const viaEnv = spawnSync(
      process.execPath,
      [cli, 'push', '--layout', layout, '--image', '127.0.0.1:9/a', '--tags', 'x', '--auth', 'client-secret', '--tenant-id', guid, '--client-id', guid, '--authority-host', 'https://127.0.0.1:9', '--attempts', '1', '--json'],
      { encoding: 'utf8', env: { ...process.env, SLIPWAY_CLIENT_SECRET: 'from-env-secret' } },
    );
    expect(viaEnv.stderr).not.toContain('prefer SLIPWAY_');
    // Past input validation (client-secret satisfied from the environment) to a sign-in that cannot connect.
    expect(viaEnv.status).toBe(3);
    expect(JSON.parse(viaEnv.stdout).error.code).not.toBe('INPUT_INVALID');
    expect(viaEnv.stdout + viaEnv.stderr).not.toContain('from-env-secret');
  });
});
