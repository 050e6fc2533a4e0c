import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutputPath, checkReadPath, InputProblems, isWithin, type PathInput } from '@slipway/core';

// Made at load time: the test tables below name paths under it.
const root = mkdtempSync(path.join(os.tmpdir(), 'slipway-paths-'));
const workspace = path.join(root, 'work');
const tempDir = path.join(root, 'runner-temp');
const outside = path.join(root, 'elsewhere');

beforeAll(() => {
  for (const dir of [workspace, tempDir, outside, path.join(workspace, 'reports'), path.join(workspace, '.git', 'hooks')]) mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(workspace, 'a-file'), 'x');
  writeFileSync(path.join(outside, 'secret.txt'), 'x');
  symlinkSync(outside, path.join(workspace, 'escape'));
  symlinkSync(path.join(root, 'nothing-here'), path.join(workspace, 'dangling.sarif'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function output(value: string, kind: PathInput['kind'] = 'file') {
  const problems = new InputProblems();
  const resolved = checkOutputPath({ input: 'sarif-file', value, kind }, { workspace, tempDir, problems });
  return { resolved, problems: problems.list };
}

describe('checkOutputPath', () => {
  it.each([
    ['a new file in the workspace', 'trivy.sarif'],
    ['a new file in a new folder of the workspace', 'out/deep/trivy.sarif'],
    ['an existing folder of the workspace', 'reports/x.sarif'],
    ['an absolute path outside the workspace, given explicitly', path.join(root, 'elsewhere', 'x.sarif')],
    ['an absolute path under the temp directory', path.join(root, 'runner-temp', 'x.sarif')],
  ])('allows %s', (_, value) => {
    const { resolved, problems } = output(value);
    expect(problems).toEqual([]);
    expect(resolved).toBe(path.resolve(workspace, value));
  });

  it.each([
    ['a relative path that climbs out of the workspace', '../elsewhere/x.sarif', 'outside the workspace'],
    ['a relative path through a symbolic link out of the workspace', 'escape/x.sarif', 'outside the workspace'],
    ['a path into .git (hooks run code)', '.git/hooks/pre-commit', 'points into a .git directory'],
    ['a dangling symbolic link', 'dangling.sarif', 'is a symbolic link to nothing'],
    ['a path below a file (ENOTDIR before)', 'a-file/x.sarif', 'a-file is not a directory'],
    ['a path below a system file (EEXIST before)', '/etc/passwd/x.sarif', '/etc/passwd is not a directory'],
    ['a directory given as a file', 'reports', 'is a directory; give a file path'],
  ])('refuses %s', (_, value, message) => {
    expect(output(value).problems).toEqual([expect.objectContaining({ input: 'sarif-file', message: expect.stringContaining(message) })]);
  });

  it('refuses a file given as a directory', () => {
    expect(output('a-file', 'directory').problems).toEqual([expect.objectContaining({ message: expect.stringContaining('exists and is not a directory') })]);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a folder the user cannot write to', () => {
    const locked = path.join(workspace, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    try {
      expect(output('locked/x.sarif').problems).toEqual([expect.objectContaining({ message: expect.stringContaining('is not writable') })]);
    } finally {
      chmodSync(locked, 0o700);
    }
  });
});

describe('checkReadPath', () => {
  const read = (value: string, kind: PathInput['kind']) => {
    const problems = new InputProblems();
    checkReadPath({ input: 'context', value, kind }, { workspace, tempDir, problems });
    return problems.list;
  };

  it('allows what the user can read anywhere, even through a link out of the workspace', () => {
    expect(read('escape/secret.txt', 'file')).toEqual([]);
    expect(read(outside, 'directory')).toEqual([]);
  });

  it.each([
    ['missing', 'nope', 'directory', 'does not exist'],
    ['a file where a folder is expected', 'a-file', 'directory', 'is not a directory'],
    ['a folder where a file is expected', 'reports', 'file', 'is not a file'],
  ] as const)('refuses %s', (_, value, kind, message) => {
    expect(read(value, kind)).toEqual([expect.objectContaining({ input: 'context', message: expect.stringContaining(message) })]);
  });
});

describe('isWithin', () => {
  it.each([
    ['/w', '/w', true],
    ['/w', '/w/a/b', true],
    ['/w', '/w/..foo', true],
    ['/w', '/wx', false],
    ['/w', '/', false],
    ['/w/a', '/w', false],
  ])('%s contains %s: %s', (rootDir, file, expected) => expect(isWithin(rootDir, file)).toBe(expected));
});
