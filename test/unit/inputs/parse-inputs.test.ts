import { describe, expect, it } from 'vitest';
import { InputError, parseDuration, parseInputs, type InputSpec } from '@slipway/core';

const specs = [
  { name: 'name', type: 'string', description: 'a name', required: true },
  { name: 'dry-run', type: 'boolean', description: 'flag', default: 'false' },
  { name: 'max-parallel', type: 'integer', description: 'n', default: '2', min: 1, max: 16 },
  { name: 'timeout', type: 'duration', description: 'd', default: '5m' },
  { name: 'builder', type: 'enum', description: 'e', default: 'auto', allowed: ['auto', 'buildah'] },
  { name: 'tags', type: 'list', description: 'l' },
  { name: 'secret-files', type: 'lines', description: 'lines' },
  { name: 'build-args', type: 'map', description: 'm', example: 'A=1' },
  { name: 'script', type: 'multiline', description: 'text' },
] as const satisfies readonly InputSpec[];

const from = (raw: Record<string, string>) => (name: string) => raw[name];

describe('parseInputs', () => {
  it('applies defaults and returns typed, camelCased values', () => {
    const values = parseInputs(specs, from({ name: ' app ' }));
    expect(values).toEqual({
      name: 'app',
      dryRun: false,
      maxParallel: 2,
      timeout: 300_000,
      builder: 'auto',
      tags: [],
      secretFiles: [],
      buildArgs: {},
      script: undefined,
    });
  });

  it('treats blank values as not given, as GitHub passes unset inputs as empty strings', () => {
    expect(() => parseInputs(specs, from({ name: '   ' }))).toThrow("input 'name': is required");
    expect(parseInputs(specs, from({ name: 'a', builder: '' })).builder).toBe('auto');
  });

  it.each([
    ['list split on commas and newlines', { tags: 'a, b\nc,,\n' }, 'tags', ['a', 'b', 'c']],
    ['lines keep commas', { 'secret-files': 'id=x,src=y\n\nother=z' }, 'secretFiles', ['id=x,src=y', 'other=z']],
    ['map keeps = and commas in values', { 'build-args': 'A=1=2\nB=x,y\nC=' }, 'buildArgs', { A: '1=2', B: 'x,y', C: '' }],
    ['boolean is case-insensitive', { 'dry-run': 'TRUE' }, 'dryRun', true],
    ['duration with units', { timeout: '1h30m' }, 'timeout', 5_400_000],
    ['shell metacharacters are plain data', { script: '$(rm -rf /); `id` | tee' }, 'script', '$(rm -rf /); `id` | tee'],
  ])('%s', (_, raw, key, expected) => {
    const values = parseInputs(specs, from({ name: 'a', ...raw })) as Record<string, unknown>;
    expect(values[key]).toEqual(expected);
  });

  it.each([
    [{ 'dry-run': 'yes' }, "input 'dry-run': expected true or false"],
    [{ 'max-parallel': '2.5' }, "input 'max-parallel': expected a whole number"],
    [{ 'max-parallel': '0' }, "input 'max-parallel': must be at least 1"],
    [{ 'max-parallel': '99' }, "input 'max-parallel': must be at most 16"],
    [{ timeout: '5 minutes' }, "input 'timeout': expected a duration"],
    [{ builder: 'docker' }, "input 'builder': expected one of auto, buildah"],
    [{ 'build-args': 'NOEQUALS' }, "input 'build-args': expected KEY=VALUE"],
    [{ 'build-args': 'A=1\nA=2' }, "input 'build-args': key 'A' is given twice"],
  ])('rejects %j with an error naming the input', (raw, message) => {
    const error = captureError(() => parseInputs(specs, from({ name: 'a', ...raw })));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain(message);
    expect((error as InputError).exitCode).toBe(2);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['250ms', 250],
    ['2h', 7_200_000],
  ])('%s -> %d ms', (text, ms) => expect(parseDuration('t', text)).toBe(ms));

  it.each(['', 's', '5x', '1m garbage'])('rejects %j', (text) => expect(() => parseDuration('t', text)).toThrow(InputError));
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
