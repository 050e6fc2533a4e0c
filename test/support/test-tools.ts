/**
 * The runner implementations and linters the host contract tests use, installed by
 * scripts/install-test-tools.sh at the versions pinned in scripts/test-tools.env, under
 * `${SLIPWAY_CACHE:-~/.cache/slipway}/bin/<tool>-<version>/`.
 *
 * Suites declared with {@link describeWithTools} skip, saying which tool is missing and how to install
 * it, unless `SLIPWAY_SANDBOX_REQUIRED=1` (as `.ci/run` sets), where a missing tool fails the suite:
 * CI installs them all, so a skip there would hide a broken install.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';

export type TestToolName = 'act' | 'actionlint' | 'node24';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** KEY=VALUE lines of scripts/test-tools.env (comments and blanks skipped). */
export function readToolVersions(file = path.join(repoRoot, 'scripts/test-tools.env')): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(\S+)\s*$/.exec(line.trim());
    if (match) versions[match[1] as string] = match[2] as string;
  }
  return versions;
}

function binDir(): string {
  return path.join(process.env.SLIPWAY_CACHE ?? path.join(os.homedir(), '.cache', 'slipway'), 'bin');
}

/** Where the installer puts each tool, and what its version output must contain. */
function expected(name: TestToolName): { file: string; args: string[]; version: string } {
  const versions = readToolVersions();
  const pinned = (key: string) => {
    const value = versions[key];
    if (!value) throw new Error(`scripts/test-tools.env has no ${key}`);
    return value;
  };
  switch (name) {
    case 'act': {
      const v = pinned('ACT_VERSION');
      return { file: path.join(binDir(), `act-${v}`, 'act'), args: ['--version'], version: `act version ${v.replace(/^v/, '')}` };
    }
    case 'actionlint': {
      const v = pinned('ACTIONLINT_VERSION');
      return { file: path.join(binDir(), `actionlint-${v}`, 'actionlint'), args: ['-version'], version: v };
    }
    case 'node24': {
      const v = pinned('NODE24_VERSION');
      return { file: path.join(binDir(), `node-v${v}`, 'bin', 'node'), args: ['--version'], version: `v${v}` };
    }
  }
}

export interface ToolLookup {
  path?: string;
  reason?: string;
}

const lookups = new Map<TestToolName, ToolLookup>();

/** Finds an installed test tool and checks it runs and reports the pinned version (memoised). */
export function findTestTool(name: TestToolName): ToolLookup {
  const cached = lookups.get(name);
  if (cached) return cached;
  const want = expected(name);
  let found: ToolLookup;
  if (!existsSync(want.file)) {
    found = { reason: `${name} is not installed at ${want.file}: run \`bash scripts/install-test-tools.sh ${name}\`` };
  } else {
    try {
      const out = execFileSync(want.file, want.args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
      found = out.includes(want.version)
        ? { path: want.file }
        : { reason: `${want.file} does not report ${want.version} (said: ${out.trim().slice(0, 200)}): run \`bash scripts/install-test-tools.sh ${name}\`` };
    } catch (err) {
      found = { reason: `${want.file} does not run: ${String(err).slice(0, 200)}` };
    }
  }
  lookups.set(name, found);
  return found;
}

/**
 * `describe` that runs only when every named tool is installed; `body` gets their paths. Skips otherwise,
 * or fails with the reason when `SLIPWAY_SANDBOX_REQUIRED=1`.
 */
export function describeWithTools<const N extends TestToolName>(name: string, tools: readonly N[], body: (paths: Record<N, string>) => void): void {
  const paths = {} as Record<N, string>;
  const missing: string[] = [];
  for (const tool of tools) {
    const found = findTestTool(tool);
    if (found.path) paths[tool] = found.path;
    else missing.push(found.reason ?? tool);
  }
  if (missing.length === 0) {
    describe(name, () => body(paths));
  } else if (process.env.SLIPWAY_SANDBOX_REQUIRED === '1') {
    describe(name, () => {
      it('needs its test tools (SLIPWAY_SANDBOX_REQUIRED=1)', () => {
        throw new Error(missing.join('\n'));
      });
    });
  } else {
    describe.skip(`${name} (${missing.join('; ')})`, () => {
      it('needs its test tools', () => {});
    });
  }
}
