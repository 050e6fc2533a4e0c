import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuildahEnv, hasBuildah, testBaseImage, type BuildahEnv } from '../../support/buildah-env.ts';
import { repoRoot } from '../../support/host-harness.ts';

let buildah: BuildahEnv;
let context: string;

beforeAll(() => {
  buildah = createBuildahEnv();
  context = mkdtempSync(path.join(os.tmpdir(), 'slipway-cancel-'));
  writeFileSync(path.join(context, 'Containerfile'), `FROM ${testBaseImage}\nRUN echo started; sleep 120\n`);
});
afterAll(() => {
  buildah?.cleanup();
  if (context) rmSync(context, { recursive: true, force: true });
});

function sleepersRunning(): boolean {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').some((line) => line.includes('sleep 120'));
}

describe.runIf(hasBuildah())('cancellation', () => {
  it('SIGTERM stops the build and its tools, and the step ends with exit 3 (CANCELLED)', async () => {
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'packages/cli/dist/slipway.mjs'), 'build', '--image', 'localhost/cancel', '--context', context, '--tags', 'x', '--json'],
      {
        env: { ...process.env, ...buildah.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const started = new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (/\] started$/m.test(stderr)) resolve();
      }),
    );
    await started;
    const cancelledAt = Date.now();
    child.kill('SIGTERM');
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(exitCode).toBe(3);
    expect(Date.now() - cancelledAt).toBeLessThan(15_000);
    expect(JSON.parse(stdout).error.code).toBe('CANCELLED');
    expect(stderr).toContain('SIGTERM received: cancelling');
    // buildah and the RUN step it started are gone, not orphaned.
    for (let i = 0; i < 50 && sleepersRunning(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sleepersRunning()).toBe(false);
  }, 60_000);
});
