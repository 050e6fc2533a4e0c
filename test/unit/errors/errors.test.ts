import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  describeError,
  ExecError,
  exitCodeOf,
  InputError,
  InternalError,
  InvalidInputsError,
  LayoutError,
  ParseError,
  RegistryError,
  type SlipwayError,
  ToolNotFoundError,
} from '@slipway/core';

describe('error classes map to the shared exit codes', () => {
  it.each<[string, () => SlipwayError, string, number]>([
    ['input', () => new InputError('tags', 'bad'), 'INPUT_INVALID', 2],
    [
      'several inputs',
      () =>
        new InvalidInputsError([
          { input: 'tags', message: 'bad' },
          { input: 'image', message: 'worse' },
        ]),
      'INPUT_INVALID',
      2,
    ],
    ['oci layout', () => new LayoutError('broken'), 'OCI_LAYOUT_INVALID', 2],
    ['tool missing', () => new ToolNotFoundError('trivy'), 'TOOL_NOT_FOUND', 3],
    ['exec failure', () => new ExecError({ command: 'helm upgrade', exitCode: 1, stderrTail: 'boom' }), 'EXEC_FAILED', 3],
    ['exec timeout', () => new ExecError({ command: 'helm upgrade', exitCode: undefined, stderrTail: '', timedOut: true }), 'EXEC_TIMEOUT', 3],
    ['cancelled', () => new CancelledError(), 'CANCELLED', 3],
    ['parse', () => new ParseError('trivy report', 'x'.repeat(500)), 'PARSE_FAILED', 3],
    ['registry', () => new RegistryError('503', { code: 'REGISTRY_UNAVAILABLE' }), 'REGISTRY_UNAVAILABLE', 3],
    ['internal', () => new InternalError('invariant'), 'INTERNAL', 3],
  ])('%s', (_, make, code, exit) => {
    const error = make();
    // What the hosts print for it: its own message, never a stack trace.
    expect(describeError(error)).toContain(error.message);
    expect(describeError(error)).not.toMatch(/\n\s+at /);
    expect(error.code).toBe(code);
    expect(exitCodeOf(error)).toBe(exit);
    expect(error.name).toBe(error.constructor.name);
  });

  it('treats anything unexpected as an environment error', () => {
    expect(exitCodeOf(new TypeError('x'))).toBe(3);
    expect(exitCodeOf('string')).toBe(3);
  });

  it('quotes at most 200 characters of unparseable output', () => {
    const message = new ParseError('trivy report', `${'a'.repeat(200)}TAIL`).message;
    expect(message).not.toContain('TAIL');
    expect(message).toContain('…');
  });

  it('keeps the cause and prints the hint', () => {
    const cause = new Error('ECONNRESET');
    const error = new RegistryError('push failed', { cause, hint: 'retry later' });
    expect(error.cause).toBe(cause);
    expect(describeError(error)).toBe('push failed\nhint: retry later');
    expect(describeError(new InputError('file', 'missing'))).toBe("input 'file': missing");
  });
});
