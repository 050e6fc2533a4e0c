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
