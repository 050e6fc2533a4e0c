import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { exitCodeMeanings, steps } from '@slipway/core';
import { generatedFiles } from '../../scripts/metadata.ts';

const root = path.resolve(import.meta.dirname, '../..');

describe('generated metadata', () => {
  const files = generatedFiles();

  it.each([...files.keys()])('%s matches what `npm run generate` produces', (file) => {
    const target = path.join(root, file);
    expect(existsSync(target), `${file} is missing: run npm run generate`).toBe(true);
    expect(readFileSync(target, 'utf8'), `${file} was edited by hand or is stale: run npm run generate`).toBe(files.get(file));
  });

  it('has an action and a task for every step and nothing else', () => {
    const actionDirs = readdirSync(path.join(root, 'actions')).filter((name) => !name.startsWith('_'));
    const taskDirs = readdirSync(path.join(root, 'tasks')).filter((name) => /V\d+$/.test(name));
    expect(actionDirs.sort()).toEqual(Object.keys(steps).sort());
    expect(taskDirs.sort()).toEqual(
      Object.values(steps)
        .map((step) => step.spec.taskName)
        .sort(),
    );
  });

  it('every file in an action or task folder is generated (no stale entry such as a dropped post.mjs)', () => {
    for (const dir of [...new Set([...files.keys()].filter((file) => /^(actions|tasks)\/[^_/][^/]*\//.test(file)).map((file) => path.dirname(file)))]) {
      const expected = [...files.keys()].filter((file) => path.dirname(file) === dir).map((file) => path.basename(file));
      expect(readdirSync(path.join(root, dir)).sort(), dir).toEqual(expected.sort());
    }
  });

  it('action.yml declares node24 (and post.mjs for a post phase), every input and output of the spec', () => {
    for (const step of Object.values(steps)) {
      const action = parseYaml(readFileSync(path.join(root, 'actions', step.spec.id, 'action.yml'), 'utf8'));
      const post = step.spec.postPhase ? { post: 'post.mjs', 'post-if': 'always()' } : {};
      expect(action.runs).toEqual({ using: 'node24', main: 'main.mjs', ...post });
      expect(Object.keys(action.inputs)).toEqual(step.spec.inputs.filter((input) => !input.hosts || input.hosts.includes('github')).map((input) => input.name));
      expect(Object.keys(action.outputs)).toEqual(step.spec.outputs.map((output) => output.name));
    }
  });

  it('task.json runs on Node24 and Node20_1 (post-job too for a post phase) with a stable GUID', () => {
    for (const step of Object.values(steps)) {
      const task = JSON.parse(readFileSync(path.join(root, 'tasks', step.spec.taskName, 'task.json'), 'utf8'));
      expect(task.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(Object.keys(task.execution)).toEqual(['Node24', 'Node20_1']);
      if (step.spec.postPhase) expect(Object.keys(task.postjobexecution)).toEqual(['Node24', 'Node20_1']);
      else expect(task.postjobexecution).toBeUndefined();
      for (const input of task.inputs) {
        if (input.groupName) expect(task.groups.map((g: { name: string }) => g.name)).toContain(input.groupName);
      }
    }
  });

  it('the committed bundles are what the sources build to', () => {
    expect(() => execFileSync(process.execPath, [path.join(root, 'scripts/bundle.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it("the README's exit-code table says what the hosts say", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const rows = Object.entries(exitCodeMeanings).map(([code, { meaning }]) => `| ${code} | ${meaning} |`);
    expect(readme).toContain(['| code | meaning |', '|---|---|', ...rows].join('\n'));
  });
});
