import type { ConfigurationOptions, V1DeleteOptions, V1Lease } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { InputError, KubeApiError, type KubeClients } from '@slipway/core';
import {
  acquireReleaseLease,
  checkReleaseName,
  describeLeaseHolder,
  leaseHolderInfo,
  ReleaseLeaseLostError,
  ReleaseLockedError,
  type AcquireReleaseLeaseOptions,
  type LeaseHolderIdentity,
} from '../../../packages/core/src/k8s/release-lease.ts';

const status = (code: number, message: string) => new KubeApiError('api', `request failed with ${code}: ${message}`, { hint: 'x', status: code });

/**
 * Leases as kube-apiserver keeps them: JSON in and out (so MicroTime comes back as the server's string),
 * a resourceVersion per write, 409 on a stale resourceVersion or a create over an existing one.
 */
class FakeLeases {
  readonly leases = new Map<string, V1Lease>();
  readonly calls: string[] = [];
  /** Replaces fail with this (a network failure, say). */
  failReplace: Error | undefined;
  /** Runs once, before the next replace: another run writing in between. */
  beforeReplace: (() => void) | undefined;
  #version = 100;

  put(lease: V1Lease): V1Lease {
    const stored = JSON.parse(JSON.stringify(lease)) as V1Lease;
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.#version), uid: stored.metadata?.uid ?? `uid-${this.#version}` };
    this.leases.set(stored.metadata.name ?? '', stored);
    return JSON.parse(JSON.stringify(stored)) as V1Lease;
  }

  readonly api = {
    request: <T>(_description: string, send: (clients: KubeClients, options: ConfigurationOptions) => Promise<T>, signal?: AbortSignal): Promise<T> => {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return send(this.#clients, {});
    },
  };

  readonly #clients = {
    coordination: {
      createNamespacedLease: async ({ body }: { namespace: string; body: V1Lease }) => {
        this.calls.push('create');
        if (this.leases.has(body.metadata?.name ?? '')) throw status(409, 'AlreadyExists');
        return this.put(body);
      },
      readNamespacedLease: async ({ name }: { name: string }) => {
        this.calls.push('read');
        const lease = this.leases.get(name);
        if (!lease) throw status(404, 'NotFound');
        return JSON.parse(JSON.stringify(lease)) as V1Lease;
      },
      replaceNamespacedLease: async ({ name, body }: { name: string; body: V1Lease }) => {
        this.calls.push('replace');
        const before = this.beforeReplace;
        this.beforeReplace = undefined;
        before?.();
        const failure = this.failReplace;
        if (failure) throw failure;
        const lease = this.leases.get(name);
        if (!lease) throw status(404, 'NotFound');
        if (lease.metadata?.resourceVersion !== body.metadata?.resourceVersion) throw status(409, 'Conflict');
        return this.put({ ...body, metadata: { ...body.metadata, uid: lease.metadata?.uid } });
      },
      deleteNamespacedLease: async ({ name, body }: { name: string; body?: V1DeleteOptions }) => {
        this.calls.push('delete');
        const lease = this.leases.get(name);
        if (!lease) throw status(404, 'NotFound');
        const pre = body?.preconditions;
        if ((pre?.uid && pre.uid !== lease.metadata?.uid) || (pre?.resourceVersion && pre.resourceVersion !== lease.metadata?.resourceVersion)) {
          throw status(409, 'Conflict');
        }
        this.leases.delete(name);
        return { status: 'Success' };
      },
    },
  } as unknown as KubeClients;
}

/** A clock that only `sleep` moves. */
function steppedClock(start = Date.parse('2026-03-01T10:00:00Z')) {
  let at = start;
  const sleeps: number[] = [];
  return {
    now: () => new Date(at),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      at += ms;
    },
    advance: (ms: number) => {
      at += ms;
    },
    sleeps,
  };
}

const me: LeaseHolderIdentity = { runId: '4242-1', host: 'github', runUrl: 'https://github.com/o/r/actions/runs/4242', machine: 'fv-az101' };
const other: LeaseHolderIdentity = {
  runId: 'run-7',
  host: 'azure-pipelines',
  runUrl: 'https://dev.azure.com/o/p/_build/results?buildId=7',
  machine: 'agent-3',
};

function heldBy(holder: LeaseHolderIdentity, renewTime: Date, durationSeconds = 30, acquireTime = renewTime): V1Lease {
  return {
    metadata: {
      name: 'slipway-release-web',
      namespace: 'prod',
      labels: { 'app.kubernetes.io/managed-by': 'slipway' },
      annotations: {
        'slipway.dev/host': holder.host,
        'slipway.dev/machine': holder.machine,
        ...(holder.runUrl ? { 'slipway.dev/run-url': holder.runUrl } : {}),
      },
    },
    spec: {
      holderIdentity: holder.runId,
      leaseDurationSeconds: durationSeconds,
      // The server's MicroTime text.
      acquireTime: acquireTime.toISOString().replace('Z', '000Z') as never,
      renewTime: renewTime.toISOString().replace('Z', '000Z') as never,
      leaseTransitions: 2,
    },
  };
}

function options(clock: ReturnType<typeof steppedClock>, log: string[], overrides: Partial<AcquireReleaseLeaseOptions> = {}): AcquireReleaseLeaseOptions {
  return { namespace: 'prod', release: 'web', holder: me, waitMs: 10_000, now: clock.now, sleep: clock.sleep, log: (line) => log.push(line), ...overrides };
}

describe('leaseHolderInfo', () => {
  const now = new Date('2026-03-01T10:00:00Z');

  it('reads the holder from the spec and the annotations, MicroTime as the server sends it', () => {
    const info = leaseHolderInfo(heldBy(other, new Date('2026-03-01T09:59:50Z'), 30, new Date('2026-03-01T09:58:00Z')), now);
    expect(info).toEqual({
      ...other,
      since: '2026-03-01T09:58:00.000Z',
      renewedAt: '2026-03-01T09:59:50.000Z',
      durationSeconds: 30,
      live: true,
    });
  });

  it.each([
    ['renewed within its duration', '2026-03-01T09:59:30.001Z', true],
    ['renewed exactly its duration ago', '2026-03-01T09:59:30.000Z', false],
    ['renewed long ago', '2026-03-01T08:00:00.000Z', false],
  ])('a Lease %s (%s) is live: %s', (_case, renewed, live) => {
    expect(leaseHolderInfo(heldBy(other, new Date(renewed)), now)?.live).toBe(live);
  });

  it('takes a Lease without a holder, or with unreadable times, for nobody’s or a dead one', () => {
    expect(leaseHolderInfo({ spec: { leaseDurationSeconds: 30 } }, now)).toBeUndefined();
    const noTimes = leaseHolderInfo({ spec: { holderIdentity: 'x', leaseDurationSeconds: 30, renewTime: 'garbage' as never } }, now);
    expect(noTimes).toMatchObject({ runId: 'x', host: 'unknown', machine: 'unknown', live: false, renewedAt: '' });
  });
});

describe('describeLeaseHolder and checkReleaseName', () => {
  it('names the run by its page and id, its machine and host', () => {
    expect(describeLeaseHolder(other)).toBe('run https://dev.azure.com/o/p/_build/results?buildId=7 (run-7) on machine agent-3 (azure-pipelines)');
    expect(describeLeaseHolder({ runId: 'cli-1', host: 'cli', machine: 'laptop' })).toBe('run cli-1 on machine laptop (cli)');
  });

  it.each([
    ['web', true],
    ['orders-api.v2', true],
    ['a'.repeat(53), true],
    ['a'.repeat(54), false],
    ['Web', false],
    ['-web', false],
    ['web_1', false],
    ['', false],
  ])('release name %j is valid: %s', (release, valid) => {
    if (valid) expect(() => checkReleaseName(release)).not.toThrow();
    else expect(() => checkReleaseName(release)).toThrow(InputError);
  });
});

describe('acquireReleaseLease, step by step against a fake API server', () => {
  it('creates the Lease with the holder, labels and MicroTime the server accepts', async () => {
    const fake = new FakeLeases();
    const clock = steppedClock();
    const lease = await acquireReleaseLease(fake.api, options(clock, []));
    const stored = fake.leases.get('slipway-release-web');
    expect(stored?.metadata?.labels).toEqual({ 'app.kubernetes.io/managed-by': 'slipway', 'slipway.dev/release': 'web' });
    expect(stored?.metadata?.annotations).toEqual({ 'slipway.dev/host': 'github', 'slipway.dev/machine': 'fv-az101', 'slipway.dev/run-url': me.runUrl });
    // Six fractional digits, as kube-apiserver's MicroTime parser demands.
    expect(stored?.spec).toMatchObject({ holderIdentity: '4242-1', leaseDurationSeconds: 30, renewTime: '2026-03-01T10:00:00.000000Z', leaseTransitions: 0 });
    expect(lease.name).toBe('slipway-release-web');
    await lease.release();
    expect(fake.leases.size).toBe(0);
  });

  it('waits for a live holder, logging it once and again when the holder changes, then fails naming the last', async () => {
    const fake = new FakeLeases();
    const clock = steppedClock();
    const log: string[] = [];
    const since = clock.now();
    fake.put(heldBy(other, since));
    const third = { runId: 'run-8', host: 'cli', machine: 'laptop' };
    let looks = 0;
    const sleep = async (ms: number) => {
      await clock.sleep(ms);
      looks++;
      // Each look finds the Lease renewed; from the third on, a third run holds it (since 6 s in).
      fake.put(looks >= 3 ? heldBy(third, clock.now(), 30, new Date(since.getTime() + 6000)) : heldBy(other, clock.now(), 30, since));
    };
    const error = await acquireReleaseLease(fake.api, options(clock, log, { waitMs: 9000, sleep })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReleaseLockedError);
    const locked = error as ReleaseLockedError;
    expect(locked.code).toBe('RELEASE_LOCKED');
    expect(locked.exitCode).toBe(3);
    expect(locked.holder.runId).toBe('run-8');
    expect(locked.message).toBe(
      "release 'web' in namespace 'prod' is being deployed by another run run-8 on machine laptop (cli), since 2026-03-01T10:00:06.000Z; waited 9 s for it",
    );
    expect(locked.hint).toContain('expires 30 s after its last renewal (at 2026-03-01T10:00:39.000Z');
    expect(clock.sleeps).toEqual([2000, 2000, 2000, 2000, 1000]);
    expect(log).toEqual([
      `release lock: slipway-release-web is held by ${describeLeaseHolder(other)} since 2026-03-01T10:00:00.000Z; waiting up to 9 s more`,
      `release lock: slipway-release-web is held by run run-8 on machine laptop (cli) since 2026-03-01T10:00:06.000Z; waiting up to 3 s more`,
    ]);
  });

  it('fails at once with wait 0, without sleeping', async () => {
    const fake = new FakeLeases();
    const clock = steppedClock();
    fake.put(heldBy(other, clock.now()));
    const error = await acquireReleaseLease(fake.api, options(clock, [], { waitMs: 0 })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReleaseLockedError);
    expect((error as ReleaseLockedError).message).toContain('not waiting for it (wait 0)');
    expect(clock.sleeps).toEqual([]);
  });

  it('takes over a Lease renewed longer ago than it lasts, counting the transition', async () => {
    const fake = new FakeLeases();
    const clock = steppedClock();
    const log: string[] = [];
    fake.put(heldBy(other, new Date(clock.now().getTime() - 31_000)));
    const lease = await acquireReleaseLease(fake.api, options(clock, log, { waitMs: 0 }));
    expect(lease.holder).toMatchObject({ runId: '4242-1', machine: 'fv-az101', since: '2026-03-01T10:00:00.000Z', live: true });
    expect(fake.leases.get('slipway-release-web')?.spec?.leaseTransitions).toBe(3);
    expect(log).toEqual([expect.stringContaining(`took over slipway-release-web from ${describeLeaseHolder(other)}`)]);
    await lease.release();
  });

  it('takes its own Lease back, keeping when it was acquired', async () => {
    const fake = new FakeLeases();
    const clock = steppedClock();
    fake.put(heldBy(me, clock.now(), 30, new Date('2026-03-01T09:00:00Z')));
    const lease = await acquireReleaseLease(fake.api, options(clock, [], { waitMs: 0 }));
    expect(lease.holder.since).toBe('2026-03-01T09:00:00.000Z');
    expect(fake.leases.get('slipway-release-web')?.spec?.leaseTransitions).toBe(2);
    await lease.release();
  });

  it('takes over a Lease unchanged for its duration even when its renewTime is in the future (a holder whose clock runs ahead)', async () => {
    const fake = new FakeLeases();
    const clock = steppedClock();
    fake.put(heldBy(other, new Date(clock.now().getTime() + 3_600_000), 4));
    const lease = await acquireReleaseLease(fake.api, options(clock, [], { waitMs: 10_000 }));
    expect(clock.sleeps).toEqual([2000, 2000]);
    expect(lease.holder.runId).toBe(me.runId);
    await lease.release();
  });

  it('loses a race for an expired Lease to a quicker run and waits for it instead', async () => {
    const fake = new FakeLeases();
    const clock = steppedClock();
    fake.put(heldBy(other, new Date(clock.now().getTime() - 60_000)));
    // Between this run's read and its replace, run-9 takes the Lease over.
    fake.beforeReplace = () => fake.put(heldBy({ runId: 'run-9', host: 'cli', machine: 'box-9' }, clock.now()));
    const error = await acquireReleaseLease(fake.api, options(clock, [], { waitMs: 0 })).catch((caught: unknown) => caught);
    expect((error as ReleaseLockedError).holder.runId).toBe('run-9');
    expect(fake.leases.get('slipway-release-web')?.spec?.holderIdentity).toBe('run-9');
  });
});

describe('a held Lease', () => {
  it('is lost when renewing it fails for longer than it lasts', async () => {
    const fake = new FakeLeases();
    const log: string[] = [];
    const lease = await acquireReleaseLease(fake.api, { ...options(steppedClock(), log), now: () => new Date(), durationSeconds: 1 });
    fake.failReplace = new KubeApiError('unreachable', 'PUT lease: the connection was refused', { hint: 'x' });
    const lost = await Promise.race([lease.lost, new Promise((resolve) => setTimeout(() => resolve('not lost'), 3000))]);
    expect(lost).toBeInstanceOf(ReleaseLeaseLostError);
    expect((lost as ReleaseLeaseLostError).code).toBe('RELEASE_LEASE_LOST');
    expect((lost as Error).message).toMatch(/^lost the Lease slipway-release-web in namespace 'prod': renewing it failed for 1 s, longer than it lasts/);
    expect(log.some((line) => line.includes('renewing slipway-release-web failed (PUT lease: the connection was refused)'))).toBe(true);
    // Nobody took it over meanwhile: release still removes it.
    fake.failReplace = undefined;
    await lease.release();
    expect(fake.leases.size).toBe(0);
  });

  it('releases once, however often asked, and not after someone else took it', async () => {
    const fake = new FakeLeases();
    const clock = steppedClock();
    const lease = await acquireReleaseLease(fake.api, options(clock, []));
    // run-7 takes it over (a replace: same object, same uid) before this run's renewal notices.
    const uid = fake.leases.get('slipway-release-web')?.metadata?.uid;
    fake.put({ ...heldBy(other, clock.now()), metadata: { ...heldBy(other, clock.now()).metadata, uid } });
    await Promise.all([lease.release(), lease.release()]);
    expect(fake.leases.get('slipway-release-web')?.spec?.holderIdentity).toBe('run-7');
    expect(fake.calls.filter((call) => call === 'delete')).toHaveLength(1);
  });
});
