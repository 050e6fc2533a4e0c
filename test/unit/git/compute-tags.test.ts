import { describe, expect, it } from 'vitest';
import { computeTags, sanitizeTag, type CiContext, type TagRule } from '@slipway/core';

const all: TagRule[] = ['sha', 'branch', 'semver', 'pr', 'latest'];
const sha = '0123456789abcdef0123456789abcdef01234567';

describe('computeTags', () => {
  it.each<[string, CiContext, TagRule[], string[], string[]]>([
    ['branch build', { sha, branch: 'main' }, all, [], ['sha-0123456', 'main']],
    ['branch names become tag-safe', { sha, branch: 'feature/Login_v2' }, ['branch'], [], ['feature-Login_v2']],
    ['release tag', { sha, tag: 'v1.4.2' }, all, [], ['sha-0123456', '1.4.2', '1.4', '1', 'latest']],
    ['pre-release only tags itself, never latest', { sha, tag: 'v2.0.0-rc.1' }, all, [], ['sha-0123456', '2.0.0-rc.1']],
    ['build metadata has no + in the tag', { tag: '1.0.0+build.5' }, ['semver'], [], ['1.0.0-build.5', '1.0', '1']],
    ['non-semver tag gives no semver tags', { tag: 'nightly' }, ['semver', 'latest'], [], []],
    ['pull request: pr tag, head sha, no branch tag', { sha, branch: 'feature/x', pullRequest: 42 }, all, [], ['sha-0123456', 'pr-42']],
    ['literal tags first, duplicates removed', { sha, branch: 'main' }, ['branch'], ['stable', 'main'], ['stable', 'main']],
    ['no git facts, no derived tags', {}, all, [], []],
  ])('%s', (_, context, rules, literal, expected) => {
    expect(computeTags(context, rules, literal)).toEqual(expected);
  });
});

describe('sanitizeTag', () => {
  it.each([
    ['release/2024.06', 'release-2024.06'],
    ['-leading', 'leading'],
    ['..dots', 'dots'],
    ['a'.repeat(200), 'a'.repeat(128)],
    ['trailing-/', 'trailing'],
  ])('%s -> %s', (input, expected) => expect(sanitizeTag(input)).toBe(expected));
});
