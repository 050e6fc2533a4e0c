import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { V1Lease } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KubeApi } from '@slipway/core';
import {
  acquireReleaseLease,
  readReleaseLease,
  ReleaseLeaseLostError,
  ReleaseLockedError,
  type AcquireReleaseLeaseOptions,
  type LeaseHolderIdentity,
} from '../../../packages/core/src/k8s/release-lease.ts';
import { describeSandbox, kubectl, kubectlJson, repoRoot, uniqueName, type SandboxInfo } from '../sandbox/sandbox.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const runA: LeaseHolderIdentity = { runId: '1001-1', host: 'github', runUrl: 'https://github.com/acme/shop/actions/runs/1001', machine: 'fv-az-a' };
const runB: LeaseHolderIdentity = { runId: 'b-2002', host: 'azure-pipelines', machine: 'agent-b' };

describeSandbox('release Lease against the sandbox API server (issue #11)', (sb: SandboxInfo) => {
  const namespace = uniqueName('lease');
  let api: KubeApi;

  beforeAll(async () => {
    await kubectl(sb, ['create', 'namespace', namespace]);
    api = await KubeApi.open({ kubeconfigFile: sb.env.KUBECONFIG ?? '', timeoutMs: 10_000, signal: new AbortController().signal });
  });

  afterAll(async () => {
    await kubectl(sb, ['delete', 'namespace', namespace, '--wait=false']);
  });

  const acquire = (release: string, holder: LeaseHolderIdentity, overrides: Partial<AcquireReleaseLeaseOptions> = {}, on: KubeApi = api) =>
    acquireReleaseLease(on, { namespace, release, holder, waitMs: 0, now: () => new Date(), sleep, log: () => undefined, ...overrides });

  const leaseOf = (release: string) => kubectlJson<V1Lease>(sb, ['get', 'lease', `slipway-release-${release}`, '-n', namespace]);
  const leaseGone = async (release: string) =>
    (await kubectl(sb, ['get', 'lease', `slipway-release-${release}`, '-n', namespace, '--ignore-not-found', '-o', 'name'])).trim() === '';

  /** A Lease written as another run's Slipway would, by hand: a holder that never renews. */
  async function writeForeignHolder(release: string, renewTime: Date, durationSeconds: number): Promise<void> {
    const micro = renewTime.toISOString().replace('Z', '000Z');
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: `slipway-release-${release}`,
        namespace,
        labels: { 'app.kubernetes.io/managed-by': 'slipway', 'slipway.dev/release': release },
        annotations: { 'slipway.dev/host': 'cli', 'slipway.dev/machine': 'dead-box' },
      },
      spec: { holderIdentity: 'dead-run', leaseDurationSeconds: durationSeconds, acquireTime: micro, renewTime: micro, leaseTransitions: 0 },
    };
    const file = path.join(os.tmpdir(), `${uniqueName('lease')}.json`);
    writeFileSync(file, JSON.stringify(lease));
    try {
      await kubectl(sb, ['apply', '-f', file]);
    } finally {
      rmSync(file, { force: true });
    }
  }

  it('locks a release for one run and frees it on release, with the holder readable by others', async () => {
    const lease = await acquire('shop', runA);
    const stored = await leaseOf('shop');
    expect(stored.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'slipway', 'slipway.dev/release': 'shop' });
    expect(stored.metadata?.annotations).toMatchObject({ 'slipway.dev/host': 'github', 'slipway.dev/machine': 'fv-az-a', 'slipway.dev/run-url': runA.runUrl });
    expect(stored.spec).toMatchObject({ holderIdentity: '1001-1', leaseDurationSeconds: 30 });
    // MicroTime as the API server keeps it: six fractional digits.
    expect(String(stored.spec?.acquireTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    const seen = await readReleaseLease(api, namespace, 'shop', new Date());
    expect(seen).toMatchObject({ ...runA, durationSeconds: 30, live: true });
    expect(Math.abs(Date.parse(seen?.since ?? '') - Date.now())).toBeLessThan(5000);

    await lease.release();
    expect(await leaseGone('shop')).toBe(true);
    expect(await readReleaseLease(api, namespace, 'shop', new Date())).toBeUndefined();
  });

  it('makes a second run wait, then fail naming the run that holds the release', async () => {
    const held = await acquire('cart', runA);
    const log: string[] = [];
    const started = Date.now();
    const error = await acquire('cart', runB, { waitMs: 1500, pollIntervalMs: 300, log: (line) => log.push(line) }).catch((caught: unknown) => caught);
    const waited = Date.now() - started;
    expect(error).toBeInstanceOf(ReleaseLockedError);
    const locked = error as ReleaseLockedError;
    expect(locked.exitCode).toBe(3);
    expect(locked.message).toContain(`another run ${runA.runUrl} (1001-1) on machine fv-az-a (github), since ${held.holder.since}; waited`);
    expect(locked.message).toMatch(/; waited \d s for it$/);
    expect(locked.hint).toContain('expires 30 s after its last renewal');
    expect(waited).toBeGreaterThanOrEqual(1400);
    // One line while waiting, not one per look.
    expect(log).toEqual([expect.stringContaining(`slipway-release-cart is held by run ${runA.runUrl}`)]);
    // The holder still holds it.
    expect((await leaseOf('cart')).spec?.holderIdentity).toBe('1001-1');
    await held.release();
    const next = await acquire('cart', runB);
    expect(next.holder.runId).toBe('b-2002');
    await next.release();
  });

  it('takes over the Lease of a run that stopped renewing it', async () => {
    // Renewed long ago: taken over at once.
    await writeForeignHolder('orders', new Date(Date.now() - 60_000), 2);
    const log: string[] = [];
    const lease = await acquire('orders', runB, { log: (line) => log.push(line) });
    expect((await leaseOf('orders')).spec).toMatchObject({ holderIdentity: 'b-2002', leaseTransitions: 1, leaseDurationSeconds: 30 });
    expect(log).toEqual([expect.stringContaining('took over slipway-release-orders from run dead-run on machine dead-box (cli)')]);
    await lease.release();

    // Just renewed, then never again: taken over once its 2 s have passed.
    await writeForeignHolder('orders', new Date(), 2);
    const started = Date.now();
    const waitLog: string[] = [];
    const later = await acquire('orders', runA, { waitMs: 8000, pollIntervalMs: 250, log: (line) => waitLog.push(line) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(later.holder.runId).toBe('1001-1');
    expect(waitLog[0]).toContain('is held by run dead-run on machine dead-box (cli)');
    expect(waitLog[1]).toContain('took over slipway-release-orders from run dead-run');
    await later.release();
  });

  it('renews the Lease while held, also after the run was cancelled, so no one takes it over', async () => {
    const cancel = new AbortController();
    const runApi = await KubeApi.open({ kubeconfigFile: sb.env.KUBECONFIG ?? '', timeoutMs: 10_000, signal: cancel.signal });
    const lease = await acquire('pay', runA, { durationSeconds: 2 }, runApi);
    // The run is cancelled and rolls back: it keeps the release locked meanwhile.
    cancel.abort(new Error('cancelled'));
    await sleep(3500);
    const seen = await readReleaseLease(api, namespace, 'pay', new Date());
    expect(seen).toMatchObject({ runId: '1001-1', live: true });
    expect(Date.parse(seen?.renewedAt ?? '') - Date.parse(seen?.since ?? '')).toBeGreaterThanOrEqual(2000);
    await expect(acquire('pay', runB)).rejects.toBeInstanceOf(ReleaseLockedError);
    // Released with the run's KubeApi, whose signal is aborted.
    await lease.release();
    expect(await leaseGone('pay')).toBe(true);
  });

  it('tells the holder when another run overwrote its Lease, and release leaves the other run’s Lease alone', async () => {
    const lease = await acquire('search', runA, { durationSeconds: 3 });
    const current = await leaseOf('search');
    // One write, as a run taking it over makes.
    const takeover = {
      metadata: { annotations: { 'slipway.dev/host': 'cli', 'slipway.dev/machine': 'intruder-box', 'slipway.dev/run-url': null } },
      spec: { holderIdentity: 'intruder' },
    };
    await kubectl(sb, ['patch', 'lease', 'slipway-release-search', '-n', namespace, '--type=merge', '-p', JSON.stringify(takeover)]);
    const lost = await Promise.race([lease.lost, sleep(4000).then(() => 'not lost')]);
    expect(lost).toBeInstanceOf(ReleaseLeaseLostError);
    expect((lost as ReleaseLeaseLostError).message).toContain('run intruder on machine intruder-box (cli) holds it now');
    await lease.release();
    const after = await leaseOf('search');
    expect(after.spec?.holderIdentity).toBe('intruder');
    expect(after.metadata?.uid).toBe(current.metadata?.uid);
  });

  it('does not delete a Lease another run took over before this run noticed', async () => {
    const lease = await acquire('basket', runA);
    // Renewal comes every 10 s: this run has not seen the takeover when it releases.
    await kubectl(sb, [
      'patch',
      'lease',
      'slipway-release-basket',
      '-n',
      namespace,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { holderIdentity: 'b-2002' } }),
    ]);
    await lease.release();
    expect((await leaseOf('basket')).spec?.holderIdentity).toBe('b-2002');
  });

  it('leaves the process free to exit while held, and a dead run’s Lease is taken over once it expires', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-lease-'));
    const script = path.join(dir, 'hold.mts');
    const modules = path.join(repoRoot, 'packages/core/src/k8s');
    writeFileSync(
      script,
      [
        `import { KubeApi } from '${modules}/kube-api.ts';`,
        `import { acquireReleaseLease } from '${modules}/release-lease.ts';`,
        `const api = await KubeApi.open({ kubeconfigFile: ${JSON.stringify(sb.env.KUBECONFIG)}, timeoutMs: 10000, signal: new AbortController().signal });`,
        `await acquireReleaseLease(api, { namespace: ${JSON.stringify(namespace)}, release: 'gone', holder: { runId: 'exited', host: 'cli', machine: 'ci-box' }, durationSeconds: 2, waitMs: 0, now: () => new Date(), sleep: async () => {}, log: console.log });`,
        `console.log('acquired');`,
      ].join('\n'),
    );
    try {
      const started = Date.now();
      const exit = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`the process holding the Lease did not exit by itself: ${output}`));
        }, 15_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, output });
        });
      });
      expect(exit.output).toContain('acquired');
      expect(exit.code).toBe(0);
      // Its renewal timer did not keep it alive; the Lease it left names it until it expires.
      expect((await leaseOf('gone')).spec?.holderIdentity).toBe('exited');
      expect(Date.now() - started).toBeLessThan(15_000);

      const next = await acquire('gone', runB, { waitMs: 6000, pollIntervalMs: 250 });
      expect(next.holder.runId).toBe('b-2002');
      expect((await leaseOf('gone')).spec?.leaseTransitions).toBe(1);
      await next.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
