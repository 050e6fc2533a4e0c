import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawCall, startHarness, type Harness } from '../../sandbox/azure-doubles/test-harness.ts';
import { repoRoot, runProcess } from '../../support/host-harness.ts';
import { writeOciImageLayout } from '../../support/oci-layout-writer.ts';
import { hasDockerRegistry } from '../../support/tools.ts';

let harness: Harness;
let work: string;

beforeAll(async () => {
  harness = await startHarness({ registry: true });
  work = mkdtempSync(path.join(os.tmpdir(), 'slipway-retention-'));
}, 120_000);
afterAll(async () => {
  await harness?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function push(label: string, tags: string, extra: string[] = []) {
  const layout = path.join(work, label);
  const digest = writeOciImageLayout(layout, label);
  const app = harness.doubles.description.apps[0];
  const run = await runProcess(
    process.execPath,
    [
      path.join(repoRoot, 'packages/cli/dist/slipway.mjs'),
      'push',
      '--layout',
      layout,
      '--image',
      `${harness.doubles.description.registry?.loginServer}/team/ret`,
      '--tags',
      tags,
      '--auth',
      'client-secret',
      '--tenant-id',
      harness.doubles.description.tenantId,
      '--client-id',
      app?.clientId ?? '',
      '--client-secret',
      app?.secrets[0] ?? '',
      '--authority-host',
      harness.doubles.description.authorityHost,
      ...extra,
      '--json',
    ],
    { NODE_EXTRA_CA_CERTS: harness.certs.caCertPath },
  );
  if (run.exitCode !== 0) throw new Error(run.stdout + run.stderr);
  return { digest, document: JSON.parse(run.stdout) };
}

async function exists(digest: string): Promise<boolean> {
  const upstream = harness.registry?.url ?? '';
  const response = await rawCall(upstream, harness.certs.caCert, `/v2/team/ret/manifests/${digest}`, {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  return response.status === 200;
}

describe.runIf(hasDockerRegistry())('push retention', () => {
  it('keeps the newest N matching tags, never touching what a kept or non-matching tag points at', async () => {
    const a = await push('a', 'sha-aaaaaaa');
    const b = await push('b', 'sha-bbbbbbb,stable');
    const c = await push('c', 'sha-ccccccc');
    const d = await push('d', 'sha-ddddddd');

    const dry = await push('e', 'sha-eeeeeee', ['--keep-tags', '2', '--keep-tags-matching', '^sha-']);
    const planned = JSON.parse(dry.document.outputs['retention-deleted']) as Array<{ digest: string; dryRun: boolean }>;
    // e and d are the newest two; b is protected by `stable`; a and c would go.
    expect(planned.map((entry) => entry.digest).sort()).toEqual([a.digest, c.digest].sort());
    expect(planned.every((entry) => entry.dryRun)).toBe(true);
    expect(await exists(a.digest)).toBe(true);

    await push('e', 'sha-eeeeeee', ['--keep-tags', '2', '--keep-tags-matching', '^sha-', '--retention-dry-run', 'false']);
    expect(await exists(a.digest)).toBe(false);
    expect(await exists(c.digest)).toBe(false);
    for (const kept of [b, d, dry]) expect(await exists(kept.digest)).toBe(true);
  });

  it('rejects a keep-tags-matching that is not a regular expression (exit 2)', async () => {
    await expect(push('f', 'x', ['--keep-tags', '1', '--keep-tags-matching', '(unclosed'])).rejects.toThrow("input 'keep-tags-matching'");
  });
});
