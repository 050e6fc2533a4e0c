import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkLayoutDirFree, InputError, layoutMarkerFile, prepareLayoutDir, ProcessRunner, Redactor, runBuild, type BuildInputs } from '@slipway/core';
import { stepDepsForTests } from '../tools/step-deps-for-tests.ts';

let work: string;
beforeEach(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'slipway-layout-dir-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** A user's source folder: exactly what `--context hello --output-dir .` used to delete. */
/** Returns `dir` once `_effect` (making it) has run: keeps table rows one expression each. */
function made(_effect: unknown, dir: string): string {
  return dir;
}

function sourceFolder(name = 'hello'): string {
  const dir = path.join(work, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'Containerfile'), 'FROM scratch\nCOPY hello.txt /\n');
  writeFileSync(path.join(dir, 'hello.txt'), 'hello\n');
  return dir;
}

describe('checkLayoutDirFree', () => {
  it.each<[string, () => string, RegExp | undefined]>([
    ['a path that does not exist', () => path.join(work, 'new', 'app'), undefined],
    ['an empty directory', () => made(mkdirSync(path.join(work, 'empty')), path.join(work, 'empty')), undefined],
    [
      'a layout Slipway wrote (marker inside)',
      () => {
        const dir = path.join(work, 'ours');
        mkdirSync(dir);
        writeFileSync(path.join(dir, layoutMarkerFile), '');
        writeFileSync(path.join(dir, 'index.json'), '{}');
        return dir;
      },
      undefined,
    ],
    ['a folder with files and no marker', () => sourceFolder(), /already exists and was not written by Slipway/],
    ['a file', () => made(writeFileSync(path.join(work, 'file'), 'x'), path.join(work, 'file')), /not a directory/],
    ['a symlink to a folder', () => made(symlinkSync(sourceFolder(), path.join(work, 'link')), path.join(work, 'link')), /not a directory/],
  ])('%s', (_, make, problem) => {
    const result = checkLayoutDirFree(make());
    if (problem) expect(result).toMatch(problem);
    else expect(result).toBeUndefined();
  });
});

describe('prepareLayoutDir', () => {
  it('creates a marked, empty directory', async () => {
    const dir = path.join(work, 'out', 'app');
    await prepareLayoutDir(dir);
    expect(readdirSync(dir)).toEqual([layoutMarkerFile]);
  });

  it('empties a layout it wrote before, so stale index entries do not pile up', async () => {
    const dir = path.join(work, 'app');
    await prepareLayoutDir(dir);
    writeFileSync(path.join(dir, 'index.json'), '{"manifests":["stale"]}');
    await prepareLayoutDir(dir);
    expect(readdirSync(dir)).toEqual([layoutMarkerFile]);
  });

  it('refuses a folder it did not write, and leaves it as it was', async () => {
    const dir = sourceFolder();
    await expect(prepareLayoutDir(dir)).rejects.toThrow(InputError);
    await expect(prepareLayoutDir(dir)).rejects.toMatchObject({ input: 'output-dir', exitCode: 2 });
    expect(readFileSync(path.join(dir, 'hello.txt'), 'utf8')).toBe('hello\n');
    expect(existsSync(path.join(dir, layoutMarkerFile))).toBe(false);
  });
});

describe('build --image hello --context hello --output-dir . (issue #9)', () => {
  it('keeps the source folder and fails with exit 2 naming output-dir, before any builder runs', async () => {
    const context = sourceFolder();
    const inputs: BuildInputs = {
      builder: 'buildah',
      // What validation resolves for those flags: the layout of `hello` is <output-dir>/hello.
      images: [
        {
          name: 'hello',
          context,
          file: path.join(context, 'Containerfile'),
          target: undefined,
          buildArgs: {},
          labels: {},
          tags: ['1'],
          platforms: [],
          layoutDir: context,
        },
      ],
      tagRules: [],
      secrets: [],
      cacheFrom: [],
      cacheTo: [],
      noCache: false,
      maxParallel: 1,
      timeoutMs: 60_000,
    };
    const commands: string[] = [];
    const runner = new ProcessRunner({ redactor: new Redactor(), log: { command: (line) => void commands.push(line), debug: () => {} } });
    const { deps } = stepDepsForTests(runner, path.join(work, 'temp'));

    const attempt = runBuild(inputs, deps);
    await expect(attempt).rejects.toThrow(InputError);
    await expect(attempt).rejects.toMatchObject({ input: 'output-dir', exitCode: 2 });
    expect(readdirSync(context).sort()).toEqual(['Containerfile', 'hello.txt']);
    expect(commands).toEqual([]);
  });
});
