import { describe, expect, it } from 'vitest';
import { describeError, InputError, InputProblems, InvalidInputsError, ParseError } from '@slipway/core';

describe('InputProblems', () => {
  it('keeps every problem in order, and knows which inputs already failed', () => {
    const problems = new InputProblems();
    problems.add('image', 'is required', 'for example: acr.io/team/api');
    problems.add('tags', "'-x' is not a valid OCI tag");
    expect(problems.has('image')).toBe(true);
    expect(problems.has('context')).toBe(false);
    expect(problems.list).toEqual([
      { input: 'image', message: 'is required', hint: 'for example: acr.io/team/api' },
      { input: 'tags', message: "'-x' is not a valid OCI tag" },
    ]);
  });

  it('records an InputError a check throws, returns undefined, and lets other errors through', () => {
    const problems = new InputProblems();
    expect(problems.check(() => 5)).toBe(5);
    expect(
      problems.check(() => {
        throw new InputError('fail-on', 'is empty', { hint: 'use CRITICAL>0' });
      }),
    ).toBeUndefined();
    expect(problems.list).toEqual([{ input: 'fail-on', message: 'is empty', hint: 'use CRITICAL>0' }]);
    expect(() =>
      problems.check(() => {
        throw new ParseError('trivy report', 'x');
      }),
    ).toThrow(ParseError);
  });

  it('merges a whole InvalidInputsError from an async check without duplicating its own problems', async () => {
    const problems = new InputProblems();
    problems.add('a', 'one');
    await problems.checkAsync(async () => problems.throwIfAny());
    await problems.checkAsync(async () => {
      throw new InvalidInputsError([{ input: 'b', message: 'two' }]);
    });
    expect(problems.list.map((p) => p.input)).toEqual(['a', 'b']);
  });

  it('throws nothing when empty, and one InvalidInputsError listing all otherwise', () => {
    const problems = new InputProblems();
    expect(() => problems.throwIfAny()).not.toThrow();
    problems.add('dry-run', 'expected true or false', 'give true or false');
    problems.add('images[1].tags', "'-x' is not a valid OCI tag");
    let error: unknown;
    try {
      problems.throwIfAny();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidInputsError);
    expect((error as InvalidInputsError).problems).toHaveLength(2);
    expect((error as InvalidInputsError).message).toBe(
      "input 'dry-run': expected true or false (hint: give true or false)\ninput 'images[1].tags': '-x' is not a valid OCI tag",
    );
  });
});

describe('InvalidInputsError', () => {
  it('with one problem reads exactly like that InputError, hint included', () => {
    const single = new InvalidInputsError([{ input: 'builder', message: 'expected one of auto, buildx, buildah', hint: 'auto is the default' }]);
    const plain = new InputError('builder', 'expected one of auto, buildx, buildah', { hint: 'auto is the default' });
    expect(single.message).toBe(plain.message);
    expect(describeError(single)).toBe(describeError(plain));
    expect(single.exitCode).toBe(2);
    expect(single.code).toBe('INPUT_INVALID');
  });
});
