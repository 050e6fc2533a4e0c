import { describe, expect, it } from 'vitest';
import { InputError, InputProblems, InvalidInputsError, parseDuration, parseInputs, steps, type InputSpec } from '@slipway/core';

const specs = [
  { name: 'name', type: 'string', description: 'a name', required: true },
  { name: 'dry-run', type: 'boolean', description: 'flag', default: 'false' },
  { name: 'max-parallel', type: 'integer', description: 'n', default: '2', min: 1, max: 16 },
  { name: 'count', type: 'integer', description: 'unbounded n' },
  { name: 'timeout', type: 'duration', description: 'd', default: '5m' },
  { name: 'short-timeout', type: 'duration', description: 'd', max: 60_000 },
  { name: 'builder', type: 'enum', description: 'e', default: 'auto', allowed: ['auto', 'buildah'] },
  { name: 'scanners', type: 'list', description: 'l', default: 'vuln', allowed: ['vuln', 'secret', 'misconfig'] },
  { name: 'severity', type: 'list', description: 'l', allowed: ['LOW', 'HIGH'] },
  { name: 'tags', type: 'list', description: 'l' },
  { name: 'secret-files', type: 'lines', description: 'lines' },
  { name: 'build-args', type: 'map', description: 'm', example: 'A=1' },
  { name: 'password', type: 'string', description: 's', secret: true },
  { name: 'script', type: 'multiline', description: 'text' },
] as const satisfies readonly InputSpec[];

const from = (raw: Record<string, string>) => (name: string) => raw[name];

/** Parses with a collector and returns the values and every problem found. */
function parse(raw: Record<string, string>) {
  const problems = new InputProblems();
  const values = parseInputs(specs, from({ name: 'a', ...raw }), problems);
  return { values, problems: problems.list };
}

describe('parseInputs', () => {
  it('applies defaults and returns typed, camelCased values', () => {
    const values = parseInputs(specs, from({ name: ' app ' }));
    expect(values).toEqual({
      name: 'app',
      dryRun: false,
      maxParallel: 2,
      count: undefined,
      timeout: 300_000,
      shortTimeout: undefined,
      builder: 'auto',
      scanners: ['vuln'],
      severity: [],
      tags: [],
      secretFiles: [],
      buildArgs: {},
      password: undefined,
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
    ['lines end with CRLF', { 'secret-files': 'a=1\r\nb=2\r\n' }, 'secretFiles', ['a=1', 'b=2']],
    ['map keeps = and commas in values', { 'build-args': 'A=1=2\nB=x,y\nC=' }, 'buildArgs', { A: '1=2', B: 'x,y', C: '' }],
    ['boolean is case-insensitive', { 'dry-run': 'TRUE' }, 'dryRun', true],
    ['duration with units', { timeout: '1h30m' }, 'timeout', 5_400_000],
    ['a trailing newline (YAML block scalar) is trimmed', { name: 'app\n' }, 'name', 'app'],
    ['enum ignores case and returns the spelling of the spec', { builder: 'BuildAH' }, 'builder', 'buildah'],
    ['list items with allowed values ignore case', { severity: 'low,high' }, 'severity', ['LOW', 'HIGH']],
    ['shell metacharacters are plain data', { script: '$(rm -rf /); `id` | tee' }, 'script', '$(rm -rf /); `id` | tee'],
    ['multiline keeps tabs and line breaks', { script: 'a:\n\tb\r\n' }, 'script', 'a:\n\tb\r\n'],
  ])('%s', (_, raw, key, expected) => {
    const { values, problems } = parse(raw);
    expect(problems).toEqual([]);
    expect((values as Record<string, unknown>)[key]).toEqual(expected);
  });

  it.each([
    [{ 'dry-run': 'yes' }, 'dry-run', 'expected true or false'],
    [{ 'max-parallel': '2.5' }, 'max-parallel', 'expected a whole number'],
    [{ 'max-parallel': '0' }, 'max-parallel', 'must be at least 1'],
    [{ 'max-parallel': '99' }, 'max-parallel', 'must be at most 16'],
    [{ count: '99999999999999999999' }, 'count', 'is too large'],
    [{ timeout: '5 minutes' }, 'timeout', 'expected a duration'],
    [{ timeout: '99999999999999999999h' }, 'timeout', 'is longer than the limit of 168h'],
    [{ timeout: '169h' }, 'timeout', 'is longer than the limit of 168h'],
    [{ 'short-timeout': '2m' }, 'short-timeout', 'is longer than the limit of 1m'],
    [{ builder: 'docker' }, 'builder', 'expected one of auto, buildah'],
    [{ scanners: 'vuln,licence' }, 'scanners', 'expected any of vuln, secret, misconfig, got "licence"'],
    [{ 'build-args': 'NOEQUALS' }, 'build-args', 'expected KEY=VALUE'],
    [{ 'build-args': 'A=1\nA=2' }, 'build-args', "key 'A' is given twice"],
    [{ 'build-args': '--evil=y' }, 'build-args', 'is not a valid key'],
    [{ 'build-args': '__proto__=x' }, 'build-args', "the key '__proto__' is not allowed"],
  ])('refuses %j naming %s', (raw, input, message) => {
    const { problems } = parse(raw);
    expect(problems).toEqual([expect.objectContaining({ input, message: expect.stringContaining(message) })]);
  });

  describe('single-line values', () => {
    it.each([
      ['a newline inside a string', { name: 'https://login.example\n.evil' }, 'name'],
      ['a carriage return inside a string', { name: 'a\rb' }, 'name'],
      ['an escape character in an enum', { builder: 'auto\u001b[2J' }, 'builder'],
      ['a tab inside a boolean', { 'dry-run': 'tr\tue' }, 'dry-run'],
      ['a Unicode line separator in an integer', { count: '1\u20282' }, 'count'],
      ['a control character in a list item', { tags: 'ok,b\u0007ad' }, 'tags'],
      ['a control character in a lines item', { 'secret-files': 'a=1\nb=\u001b2' }, 'secret-files'],
      ['a control character in a map value', { 'build-args': 'A=x\u000by' }, 'build-args'],
    ])('refuses %s', (_, raw, input) => {
      const { problems } = parse(raw);
      expect(problems).toEqual([expect.objectContaining({ input, message: expect.stringContaining('must be a single line without control characters') })]);
    });

    it('refuses a NUL byte in every type, multiline included', () => {
      const { problems } = parse({ script: '- name: a\n  build-args: {A: "x\0y"}', tags: 'a\0b' });
      expect(problems.map((p) => [p.input, p.message])).toEqual([
        ['tags', 'contains a NUL byte'],
        ['script', 'contains a NUL byte'],
      ]);
    });

    it('never quotes a secret value, not even in part', () => {
      const { problems } = parse({ password: 'hunter2\nsecond-line-of-secret' });
      expect(problems).toHaveLength(1);
      expect(problems[0]?.message).not.toContain('hunter2');
      expect(problems[0]?.message).not.toContain('second-line');
    });
  });

  it('reports every bad input at once, each naming its input, and gives a failed input its default', () => {
    const { values, problems } = parse({ 'dry-run': 'maybe', 'max-parallel': 'many', builder: 'kaniko', 'build-args': '=x' });
    expect(problems.map((p) => p.input)).toEqual(['dry-run', 'max-parallel', 'builder', 'build-args']);
    expect(values.maxParallel).toBe(2);
    expect(values.builder).toBe('auto');
    expect(values.buildArgs).toEqual({});
  });

  it('without a collector throws one InvalidInputsError (exit 2) listing them all, one per line', () => {
    const error = captureError(() => parseInputs(specs, from({ 'dry-run': 'maybe', timeout: 'soon' })));
    expect(error).toBeInstanceOf(InvalidInputsError);
    expect((error as InvalidInputsError).exitCode).toBe(2);
    expect((error as InvalidInputsError).code).toBe('INPUT_INVALID');
    expect((error as InvalidInputsError).message.split('\n')).toEqual([
      expect.stringMatching(/^input 'name': is required/),
      expect.stringMatching(/^input 'dry-run': expected true or false/),
      expect.stringMatching(/^input 'timeout': expected a duration/),
    ]);
  });

  it('parses the default of every input of every step', () => {
    for (const step of Object.values(steps)) {
      const problems = new InputProblems();
      parseInputs(step.spec.inputs, () => undefined, problems);
      expect(
        problems.list.filter((problem) => !problem.message.startsWith('is required')),
        step.spec.id,
      ).toEqual([]);
    }
  });
});

describe('parseDuration', () => {
  it.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['250ms', 250],
    ['2h', 7_200_000],
    ['168h', 604_800_000],
  ])('%s -> %d ms', (text, ms) => expect(parseDuration('t', text)).toBe(ms));

  it.each(['', 's', '5x', '1m garbage', '604801', '99999999999999999999h'])('rejects %j', (text) => expect(() => parseDuration('t', text)).toThrow(InputError));

  it('takes a larger limit from the spec', () => {
    expect(parseDuration('db-max-age', '720h', { max: 90 * 24 * 3_600_000 })).toBe(720 * 3_600_000);
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
