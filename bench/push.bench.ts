/**
 * Push: cold and warm `slipway push` of the same layout through the ACR double, side by side with
 * `skopeo copy` of that layout in the same run. Prints times, bytes the registry received, and ratios.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBuildahEnv } from '../test/support/buildah-env.ts';
import { startHarness } from '../test/sandbox/azure-doubles/test-harness.ts';

const root = path.resolve(import.meta.dirname, '..');

export async function run(): Promise<void> {
  const buildah = createBuildahEnv();
  const harness = await startHarness({ registry: true });
  const work = mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-push-'));
  try {
    // An image with three layers of incompressible data (24 MiB), so upload time dominates.
    const env = { ...process.env, ...buildah.env };
    const ctr = execFileSync('buildah', ['from', 'scratch'], { env, encoding: 'utf8' }).trim();
    for (const size of [4, 8, 12]) {
      const file = path.join(work, `data-${size}`);
      writeFileSync(file, randomBytes(size * 1024 * 1024));
      execFileSync('buildah', ['copy', ctr, file, `/data-${size}`], { env, stdio: 'ignore' });
    }
    execFileSync('buildah', ['commit', '--rm', ctr, 'localhost/bench:1'], { env, stdio: 'ignore' });
    const layout = path.join(work, 'layout');
    execFileSync('buildah', ['push', 'localhost/bench:1', `oci:${layout}:1`], { env, stdio: 'ignore' });

    const description = harness.doubles.description;
    const app = description.apps[0];
    if (!app || !description.registry) throw new Error('doubles without app or registry');
    const login = description.registry.loginServer;
    // The doubles run in this process: children must be awaited asynchronously, never spawnSync'd.
    const run = promisify(execFile);
    const slipway = async (repository: string) => {
      const started = performance.now();
      await run(
        process.execPath,
        [
          path.join(root, 'packages/cli/dist/slipway.mjs'),
          'push',
          '--layout',
          layout,
          '--image',
          `${login}/${repository}`,
          '--tags',
          '1',
          '--auth',
          'client-secret',
          '--tenant-id',
          description.tenantId,
          '--client-id',
          app.clientId,
          '--client-secret',
          app.secrets[0] ?? '',
          '--authority-host',
          description.authorityHost,
          '--json',
        ],
        { env: { ...process.env, NODE_EXTRA_CA_CERTS: harness.certs.caCertPath } },
      );
      return performance.now() - started;
    };
    const skopeo = async (repository: string) => {
      const certDir = path.join(work, 'certs');
      execFileSync('mkdir', ['-p', certDir]);
      writeFileSync(path.join(certDir, 'ca.crt'), harness.certs.caCert);
      const started = performance.now();
      await run('skopeo', [
        'copy',
        '--dest-cert-dir',
        certDir,
        '--dest-creds',
        `${app.clientId}:${app.secrets[0]}`,
        `oci:${layout}:1`,
        `docker://${login}/${repository}:1`,
      ]);
      return performance.now() - started;
    };
    const measure = async (label: string, fn: () => Promise<number>) => {
      harness.doubles.resetStats();
      const ms = await fn();
      const bytes = harness.doubles.stats().blobBytesUploaded;
      console.log(`${label.padEnd(22)} ${ms.toFixed(0).padStart(6)} ms  ${(bytes / 1024 / 1024).toFixed(2).padStart(7)} MiB uploaded`);
      return ms;
    };
    const slipwayCold = await measure('slipway push (cold)', () => slipway('bench/slipway'));
    const slipwayWarm = await measure('slipway push (warm)', () => slipway('bench/slipway'));
    const skopeoCold = await measure('skopeo copy (cold)', () => skopeo('bench/skopeo'));
    const skopeoWarm = await measure('skopeo copy (warm)', () => skopeo('bench/skopeo'));
    console.log(`ratio slipway/skopeo: cold ${(slipwayCold / skopeoCold).toFixed(2)}, warm ${(slipwayWarm / skopeoWarm).toFixed(2)}`);
  } finally {
    await harness.close();
    buildah.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}
