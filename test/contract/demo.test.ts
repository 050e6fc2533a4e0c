import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandbox } from '../integration/sandbox/sandbox.ts';
import { repoRoot, runProcess } from '../support/host-harness.ts';
import { hasBuildah } from '../support/buildah-env.ts';

describe.runIf(hasBuildah())("the README's main command (npm run demo)", () => {
  it('builds the example service, and with the sandbox up scans, pushes and deploys it, and rolls a broken deploy back', async () => {
    const run = await runProcess('bash', [path.join(repoRoot, 'scripts/demo.sh')], { TMPDIR: process.env.TMPDIR ?? '/tmp' });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^digest sha256:[a-f0-9]{64}$/m);
    if (sandbox) {
      expect(run.stdout).toContain('### Slipway scan ✅ passed');
      expect(run.stdout).toMatch(/^pushed \S+@sha256:[a-f0-9]{64}$/m);
      expect(run.stdout).toContain('### Slipway deploy: hello in slipway-demo — deployed');
      expect(run.stdout).toContain('### Slipway deploy: hello in slipway-demo — rolled-back');
      expect(run.stdout).toMatch(/\| rolled back to revision \d+ \|/);
      expect(run.stdout).toContain('### Slipway deploy (canary): hello in slipway-demo — promoted');
      expect(run.stdout).toContain('### Slipway deploy (canary): hello in slipway-demo — rolled-back');
      expect(run.stdout).toMatch(/\| analysis\/error-rate \| FAIL \| error-rate \d+(\.\d+)?% is not <= 1% \|/);
    } else {
      expect(run.stdout).toContain('npm run sandbox:up');
    }
  }, 300_000);
});
