/**
 * actionlint over every workflow we ship or run: the README's example (examples/github) and the workflow
 * the act contract test runs (test/fixtures/workflows). Local `uses: ./actions/<step>` are resolved
 * against the generated action.yml files, so a renamed input or output breaks this test.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot } from '../support/host-harness.ts';
import { describeWithTools } from '../support/test-tools.ts';

const workflowDirs = ['examples/github', 'test/fixtures/workflows'];
const workflows = workflowDirs.flatMap((dir) =>
  readdirSync(path.join(repoRoot, dir))
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file) => path.join(dir, file)),
);

interface LintError {
  message: string;
  filepath: string;
  line: number;
  column: number;
  kind: string;
}

function isLintErrors(value: unknown): value is LintError[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'object' && item !== null && typeof (item as LintError).message === 'string');
}

describeWithTools('actionlint over the example and contract workflows', ['actionlint'], (tools) => {
  let project: string;

  /**
   * actionlint resolves local actions from the project root (the directory holding .git), so the
   * workflows and the generated actions are laid out as a repository would hold them.
   */
  beforeAll(() => {
    project = mkdtempSync(path.join(os.tmpdir(), 'slipway-actionlint-'));
    mkdirSync(path.join(project, '.git'));
    mkdirSync(path.join(project, '.github/workflows'), { recursive: true });
    // Whole action folders: actionlint also checks that the entry files runs.main/post name exist.
    for (const step of readdirSync(path.join(repoRoot, 'actions')).filter((name) => !name.startsWith('_'))) {
      cpSync(path.join(repoRoot, 'actions', step), path.join(project, 'actions', step), { recursive: true });
    }
    for (const workflow of workflows) {
      cpSync(path.join(repoRoot, workflow), path.join(project, '.github/workflows', workflow.replaceAll('/', '__')));
    }
  });
  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  function lint(): Promise<{ code: number; errors: LintError[]; stderr: string }> {
    return new Promise((resolve) => {
      execFile(tools.actionlint, ['-format', '{{json .}}', '-no-color'], { cwd: project }, (error, stdout, stderr) => {
        const parsed: unknown = stdout.trim() ? JSON.parse(stdout) : [];
        if (!isLintErrors(parsed)) throw new Error(`actionlint printed something else than its JSON errors: ${stdout.slice(0, 200)}`);
        resolve({ code: error ? Number(error.code ?? 1) : 0, errors: parsed, stderr });
      });
    });
  }

  it('finds the workflows to lint', () => {
    expect(workflows).toContain('examples/github/build-scan-push.yml');
    expect(workflows).toContain('test/fixtures/workflows/build-scan-push.yml');
  });

  it('every workflow is clean', async () => {
    const result = await lint();
    expect(result.errors.map((e) => `${e.filepath}:${e.line}:${e.column} ${e.message} [${e.kind}]`)).toEqual([]);
    expect(result.code, result.stderr).toBe(0);
  });

  it('would catch an input or output the actions do not declare', async () => {
    const broken = path.join(project, '.github/workflows/broken.yml');
    writeFileSync(
      broken,
      [
        'on: push',
        'jobs:',
        '  ship:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - uses: ./actions/build',
        '        id: build',
        '        with:',
        '          build-arg: A=1',
        '      - uses: ./actions/scan',
        '        with:',
        '          layout: ${{ steps.build.outputs.oci-layout }}',
        '',
      ].join('\n'),
    );
    try {
      const result = await lint();
      expect(result.code).toBe(1);
      const messages = result.errors.filter((e) => e.filepath.endsWith('broken.yml')).map((e) => e.message);
      expect(messages.some((m) => m.includes('input "build-arg" is not defined in action "Slipway build"'))).toBe(true);
      expect(messages.some((m) => m.includes('property "oci-layout" is not defined'))).toBe(true);
    } finally {
      rmSync(broken);
    }
  });
});
