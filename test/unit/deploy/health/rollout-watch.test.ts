import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ConfigurationOptions } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeApiError, type KubeClients, type KubeWatch, type KubeWatchEvent } from '@slipway/core';
import type { WorkloadRef } from '../../../../packages/core/src/deploy/health/rendered-workloads.ts';
import {
  startRolloutWatch,
  type RolloutVerdict,
  type RolloutWatch,
  type RolloutWatchApi,
  type RolloutWatchOptions,
} from '../../../../packages/core/src/deploy/health/rollout-watch.ts';

const fixtures = path.resolve(import.meta.dirname, '../../../fixtures/k8s');
/** A real object from the sandbox cluster (test/fixtures/k8s/capture.ts). */
const load = (file: string): any => JSON.parse(readFileSync(path.join(fixtures, file), 'utf8'));
const derive = (file: string, change: (object: any) => void): any => {
  const object = load(file);
  change(object);
  return object;
};

const namespace = 'slipway-rec';
const plurals: Record<string, string> = {
  Pod: '/api/v1/namespaces/slipway-rec/pods',
  ReplicaSet: '/apis/apps/v1/namespaces/slipway-rec/replicasets',
  Deployment: '/apis/apps/v1/namespaces/slipway-rec/deployments',
  StatefulSet: '/apis/apps/v1/namespaces/slipway-rec/statefulsets',
  DaemonSet: '/apis/apps/v1/namespaces/slipway-rec/daemonsets',
  Job: '/apis/batch/v1/namespaces/slipway-rec/jobs',
};
const kindOf = (object: any): string => object.kind ?? (object.metadata.ownerReferences ? 'Pod' : 'Deployment');
const gone = () => new KubeApiError('api', 'WATCH ended: 410 Expired', { hint: 'list again', status: 410 });

interface OpenWatch {
  path: string;
  query: Record<string, unknown>;
  onEvent: (event: KubeWatchEvent) => void;
  stopped: boolean;
  end: (error?: unknown) => void;
}

/**
 * An API server as the watch sees it: lists with a resourceVersion, watches that stream every change
 * after it, a server that ends watches (or answers 410 Gone), pod logs. Objects go in and out as JSON.
 */
class FakeCluster {
  readonly objects = new Map<string, Map<string, any>>();
  readonly watches: OpenWatch[] = [];
  readonly requests: string[] = [];
  readonly logRequests: Record<string, unknown>[] = [];
  /** What a log request answers (a thrown error: no kubelet to ask, as in KWOK). */
  log: () => Promise<string> = async () => {
    throw new KubeApiError('api', 'no logs found', { hint: 'x', status: 400 });
  };
  /** Delays every GET of a workload by this long. */
  readDelayMs = 0;
  version = 1000;

  constructor() {
    for (const path of Object.values(plurals)) this.objects.set(path, new Map());
  }

  /** Creates or updates an object and tells every watch of its kind. */
  apply(object: any, kind = kindOf(object)): void {
    const path = plurals[kind] as string;
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.version);
    const existed = this.objects.get(path)?.has(stored.metadata.name);
    this.objects.get(path)?.set(stored.metadata.name, stored);
    this.#emit(path, { type: existed ? 'MODIFIED' : 'ADDED', object: structuredClone(stored) });
  }

  remove(object: any, kind = kindOf(object)): void {
    const path = plurals[kind] as string;
    const stored = this.objects.get(path)?.get(object.metadata.name);
    this.objects.get(path)?.delete(object.metadata.name);
    if (stored)
      this.#emit(path, { type: 'DELETED', object: { ...structuredClone(stored), metadata: { ...stored.metadata, resourceVersion: String(++this.version) } } });
  }

  /** The server ends the open watches of `kind` (its time limit), or ends them with an error. */
  endWatches(kind: string, error?: unknown): void {
    for (const watch of this.watches.filter((w) => w.path === plurals[kind] && !w.stopped)) watch.end(error);
  }

  open(kind: string): OpenWatch[] {
    return this.watches.filter((watch) => watch.path === plurals[kind] && !watch.stopped);
  }

  #emit(path: string, event: KubeWatchEvent): void {
    for (const watch of this.watches) if (watch.path === path && !watch.stopped) watch.onEvent(event);
  }

  #list(kind: string) {
    const path = plurals[kind] as string;
    this.requests.push(`list ${kind}`);
    return {
      metadata: { resourceVersion: String(this.version) },
      items: [...(this.objects.get(path)?.values() ?? [])].map((object) => structuredClone(object)),
    };
  }

  async #read(kind: string, name: string) {
    this.requests.push(`get ${kind}/${name}`);
    if (this.readDelayMs) await new Promise((resolve) => setTimeout(resolve, this.readDelayMs));
    const object = this.objects.get(plurals[kind] as string)?.get(name);
    if (!object) throw new KubeApiError('api', 'not found', { hint: 'x', status: 404 });
    return structuredClone(object);
  }

  readonly #clients = {
    core: {
      listNamespacedPod: async () => this.#list('Pod'),
      readNamespacedPodLog: async (request: Record<string, unknown>) => {
        this.logRequests.push(request);
        return this.log();
      },
    },
    apps: {
      listNamespacedReplicaSet: async () => this.#list('ReplicaSet'),
      listNamespacedDeployment: async () => this.#list('Deployment'),
      listNamespacedStatefulSet: async () => this.#list('StatefulSet'),
      listNamespacedDaemonSet: async () => this.#list('DaemonSet'),
      readNamespacedDeployment: ({ name }: { name: string }) => this.#read('Deployment', name),
      readNamespacedStatefulSet: ({ name }: { name: string }) => this.#read('StatefulSet', name),
      readNamespacedDaemonSet: ({ name }: { name: string }) => this.#read('DaemonSet', name),
    },
    batch: {
      listNamespacedJob: async () => this.#list('Job'),
      readNamespacedJob: ({ name }: { name: string }) => this.#read('Job', name),
    },
  } as unknown as KubeClients;

  readonly api: RolloutWatchApi = {
    // Like KubeApi: the request is abandoned when its signal aborts.
    request: <T>(_description: string, send: (clients: KubeClients, options: ConfigurationOptions) => Promise<T>, signal?: AbortSignal): Promise<T> => {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const aborted = new Promise<never>((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
      return Promise.race([send(this.#clients, {}), aborted]);
    },
    watch: async (
      path: string,
      query: Record<string, string | number | boolean | undefined>,
      onEvent: (event: KubeWatchEvent) => void,
      signal?: AbortSignal,
    ): Promise<KubeWatch> => {
      let settle!: { resolve: () => void; reject: (error: unknown) => void };
      const ended = new Promise<void>((resolve, reject) => {
        settle = { resolve, reject };
      });
      ended.catch(() => undefined);
      const watch: OpenWatch = {
        path,
        query,
        onEvent,
        stopped: false,
        end: (error) => {
          if (watch.stopped) return;
          watch.stopped = true;
          if (error) settle.reject(error);
          else settle.resolve();
        },
      };
      this.watches.push(watch);
      signal?.addEventListener('abort', () => watch.end(), { once: true });
      // Changes after the resourceVersion the watch starts from (a watch resumed after its server ended it).
      const from = Number(query.resourceVersion ?? 0);
      for (const object of this.objects.get(path)?.values() ?? []) {
        if (from && Number(object.metadata.resourceVersion) > from) onEvent({ type: 'MODIFIED', object: structuredClone(object) });
      }
      return { stop: () => watch.end(), ended };
    },
  };
}

const deploymentRef: WorkloadRef = { kind: 'Deployment', name: 'demo-slipway-demo', namespace, hooks: [] };

/** The demo Deployment at revision 1, rolled out: what a cluster has before an upgrade. */
function revisionOne(cluster: FakeCluster): void {
  cluster.apply(load('deployment-rolled-out.json'), 'Deployment');
  cluster.apply(load('replicaset-old.json'), 'ReplicaSet');
  cluster.apply(load('pod-ready.json'), 'Pod');
  cluster.apply(
    derive('pod-ready.json', (p) => Object.assign(p.metadata, { name: 'demo-slipway-demo-65548f484c-two', uid: 'old-two' })),
    'Pod',
  );
}

/** What Helm and the controller do for revision 2: the spec changes, a new ReplicaSet and its pod come. */
function upgradeToRevisionTwo(cluster: FakeCluster, newPod: any = load('pod-never-ready.json')): void {
  cluster.apply(load('deployment-generation-not-observed.json'), 'Deployment');
  cluster.apply(load('replicaset-new.json'), 'ReplicaSet');
  cluster.apply(load('deployment-mid-rollout.json'), 'Deployment');
  cluster.apply(newPod, 'Pod');
}

/** A pod of revision 2 in CrashLoopBackOff (the captured crash-looping pod's container status). */
const crashingNewPod = () => derive('pod-never-ready.json', (p) => (p.status = load('pod-crashloop.json').status));

/** Revision 2 fully rolled out: both new pods Ready, the old ones gone. */
function finishRevisionTwo(cluster: FakeCluster): void {
  const ready = (name: string, uid: string) =>
    derive('pod-never-ready.json', (p) => {
      Object.assign(p.metadata, { name, uid });
      p.status = load('pod-ready.json').status;
    });
  cluster.apply(ready('demo-slipway-demo-65fcb485c8-pn6zx', load('pod-never-ready.json').metadata.uid), 'Pod');
  cluster.apply(ready('demo-slipway-demo-65fcb485c8-b', 'new-two'), 'Pod');
  cluster.remove(load('pod-ready.json'), 'Pod');
  cluster.remove({ metadata: { name: 'demo-slipway-demo-65548f484c-two' } }, 'Pod');
  cluster.apply(
    derive('deployment-mid-rollout.json', (d) => {
      d.status = { ...load('deployment-rolled-out.json').status, observedGeneration: 2 };
    }),
    'Deployment',
  );
}

const watches: RolloutWatch[] = [];
afterEach(() => {
  for (const watch of watches.splice(0)) watch.stop();
});

async function start(cluster: FakeCluster, options: Partial<RolloutWatchOptions> = {}) {
  const lines: string[] = [];
  const controller = new AbortController();
  const watch = await startRolloutWatch(cluster.api, {
    namespace,
    workloads: [deploymentRef],
    timeoutMs: 10_000,
    signal: controller.signal,
    onTransition: (line) => lines.push(line),
    ...options,
  });
  watches.push(watch);
  return { watch, lines, controller };
}

/** Whether the verdict settled within `ms`. */
async function settledWithin(watch: RolloutWatch, ms: number): Promise<RolloutVerdict | undefined> {
  return Promise.race([watch.verdict, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms))]);
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('startRolloutWatch: success only after arming, on the revision Helm applied', () => {
  it('first install: healthy once the Deployment is rolled out after arming', async () => {
    const cluster = new FakeCluster();
    const { watch, lines } = await start(cluster);
    cluster.apply(
      derive('deployment-rolled-out.json', (d) => delete d.status),
      'Deployment',
    );
    cluster.apply(load('replicaset-old.json'), 'ReplicaSet');
    cluster.apply(load('pod-ready.json'), 'Pod');
    cluster.apply(load('deployment-rolled-out.json'), 'Deployment');
    // Rolled out, but Helm has not returned: no verdict.
    expect(await settledWithin(watch, 50)).toBeUndefined();
    watch.armed();
    expect(await watch.verdict).toMatchObject({ status: 'healthy', workloads: ['Deployment/demo-slipway-demo'] });
    expect(lines).toContain('Deployment/demo-slipway-demo: rolled out (2/2 updated, 2 available)');
    expect(lines).toContain('pod demo-slipway-demo-65548f484c-rl77d: ready');
    expect(cluster.open('Pod')).toEqual([]);
  });

  it('an upgrade whose spec the watch has not shown yet is not taken for the old rollout', async () => {
    const cluster = new FakeCluster();
    revisionOne(cluster);
    const { watch } = await start(cluster);
    // Helm applied generation 2 and returned, but the watch event carrying it is still on its way.
    const deploymentWatches = cluster.open('Deployment');
    for (const open of deploymentWatches) open.stopped = true;
    cluster.apply(load('deployment-generation-not-observed.json'), 'Deployment');
    for (const open of deploymentWatches) open.stopped = false;
    watch.armed();
    expect(await settledWithin(watch, 50)).toBeUndefined();
    cluster.apply(load('replicaset-new.json'), 'ReplicaSet');
    cluster.apply(load('deployment-mid-rollout.json'), 'Deployment');
    cluster.apply(load('pod-never-ready.json'), 'Pod');
    expect(await settledWithin(watch, 50)).toBeUndefined();
    finishRevisionTwo(cluster);
    expect(await watch.verdict).toMatchObject({ status: 'healthy' });
    expect(cluster.requests).toContain('get Deployment/demo-slipway-demo');
  });

  it('an upgrade that changed nothing is healthy as soon as it is armed', async () => {
    const cluster = new FakeCluster();
    revisionOne(cluster);
    const { watch } = await start(cluster);
    expect(await settledWithin(watch, 30)).toBeUndefined();
    watch.armed();
    expect(await watch.verdict).toMatchObject({ status: 'healthy' });
  });

  it('no workloads: healthy when armed', async () => {
    const cluster = new FakeCluster();
    const { watch } = await start(cluster, { workloads: [] });
    watch.armed();
    expect(await watch.verdict).toMatchObject({ status: 'healthy', workloads: [] });
  });

  it('settleMs: keeps watching after the rollout, and fails a pod that loses readiness then', async () => {
    const cluster = new FakeCluster();
    revisionOne(cluster);
    const { watch, lines } = await start(cluster, { settleMs: 300 });
    upgradeToRevisionTwo(cluster);
    watch.armed();
    finishRevisionTwo(cluster);
    await flush();
    expect(await settledWithin(watch, 50)).toBeUndefined();
    expect(lines).toContain('all workloads rolled out; watching them 0.3 s more');
    cluster.apply(
      derive('pod-exit-after-terminated.json', (p) => {
        p.metadata = load('pod-never-ready.json').metadata;
      }),
      'Pod',
    );
    expect(await watch.verdict).toMatchObject({
      status: 'failed',
      failure: { workload: 'Deployment/demo-slipway-demo', pod: 'demo-slipway-demo-65fcb485c8-pn6zx', container: 'app', reason: 'ReadinessLost' },
    });
  });

  it('settleMs: healthy when nothing changes for that long', async () => {
    const cluster = new FakeCluster();
    revisionOne(cluster);
    const { watch } = await start(cluster, { settleMs: 100 });
    watch.armed();
    const started = Date.now();
    expect(await watch.verdict).toMatchObject({ status: 'healthy' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });
});

describe('startRolloutWatch: failures of the new revision only', () => {
  it('fails on a new pod in CrashLoopBackOff, before Helm returned, with its last log line', async () => {
    const cluster = new FakeCluster();
    cluster.log = async () => 'starting\npanic: no DATABASE_URL\n';
    revisionOne(cluster);
    const { watch, lines } = await start(cluster);
    upgradeToRevisionTwo(cluster, crashingNewPod());
    const verdict = await watch.verdict;
    expect(verdict).toMatchObject({
      status: 'failed',
      failure: {
        workload: 'Deployment/demo-slipway-demo',
        pod: 'demo-slipway-demo-65fcb485c8-pn6zx',
        container: 'app',
        reason: 'CrashLoopBackOff',
        lastLogLine: 'panic: no DATABASE_URL',
      },
    });
    expect(cluster.logRequests).toEqual([{ name: 'demo-slipway-demo-65fcb485c8-pn6zx', namespace, container: 'app', tailLines: 1, previous: true }]);
    expect(watch.failureObservedAt).toBeInstanceOf(Date);
    expect(lines).toContain('pod demo-slipway-demo-65fcb485c8-pn6zx container app: CrashLoopBackOff (restarts 2)');
  });

  it('a log the API server cannot give is no line, not an error', async () => {
    const cluster = new FakeCluster();
    revisionOne(cluster);
    const { watch } = await start(cluster);
    upgradeToRevisionTwo(cluster, crashingNewPod());
    const verdict = await watch.verdict;
    expect(verdict.status === 'failed' && verdict.failure).toMatchObject({ reason: 'CrashLoopBackOff' });
    expect(verdict.status === 'failed' && verdict.failure.lastLogLine).toBeUndefined();
  });

  it('a log request that hangs delays the verdict by 1.5 s at most', async () => {
    const cluster = new FakeCluster();
    cluster.log = () => new Promise(() => {});
    revisionOne(cluster);
    const { watch } = await start(cluster);
    const before = Date.now();
    upgradeToRevisionTwo(cluster, crashingNewPod());
    expect(await watch.verdict).toMatchObject({ status: 'failed' });
    expect(Date.now() - before).toBeLessThan(2500);
  }, 10_000);

  it('does not fail for old pods: crash-looping ones of the previous revision, deleted ones', async () => {
    const cluster = new FakeCluster();
    revisionOne(cluster);
    // Revision 1 broke after it was deployed: its pods crash-loop. The upgrade is what should fix it.
    cluster.apply(
      derive('pod-ready.json', (p) => (p.status = load('pod-crashloop.json').status)),
      'Pod',
    );
    const { watch } = await start(cluster);
    cluster.apply(
      derive(
        'pod-ready.json',
        (p) =>
          (p.status = {
            ...load('pod-crashloop.json').status,
            containerStatuses: [{ ...load('pod-crashloop.json').status.containerStatuses[0], restartCount: 9 }],
          }),
      ),
      'Pod',
    );
    upgradeToRevisionTwo(cluster);
    watch.armed();
    cluster.apply(
      derive('pod-ready.json', (p) => (p.metadata.deletionTimestamp = '2026-11-24T21:46:00Z')),
      'Pod',
    );
    finishRevisionTwo(cluster);
    expect(await watch.verdict).toMatchObject({ status: 'healthy' });
  });

  it('fails on ProgressDeadlineExceeded of the new revision, naming a pod that is not ready', async () => {
    const cluster = new FakeCluster();
    revisionOne(cluster);
    const { watch } = await start(cluster);
    upgradeToRevisionTwo(cluster);
    watch.armed();
    cluster.apply(
      derive('deployment-mid-rollout.json', (d) => {
        d.status.conditions = load('deployment-progress-deadline-exceeded.json').status.conditions;
      }),
      'Deployment',
    );
    expect(await watch.verdict).toMatchObject({
      status: 'failed',
      failure: {
        workload: 'Deployment/demo-slipway-demo',
        reason: 'ProgressDeadlineExceeded',
        message:
          'ReplicaSet "stuck-web-7dd96c9f9" has timed out progressing. (pod demo-slipway-demo-65fcb485c8-pn6zx: running, not ready (containers with unready status: [app]))',
      },
    });
  });

  it("does not fail for a ProgressDeadlineExceeded left from the previous revision's rollout", async () => {
    const cluster = new FakeCluster();
    const stale = load('deployment-progress-deadline-exceeded.json');
    cluster.apply(stale, 'Deployment');
    const ref: WorkloadRef = { kind: 'Deployment', name: 'stuck-web', namespace, hooks: [] };
    const { watch } = await start(cluster, { workloads: [ref], timeoutMs: 200 });
    expect(await watch.verdict).toMatchObject({ status: 'timed-out' });
  });

  it('fails when a hook Job Helm runs fails, naming its pod and how it ended', async () => {
    const cluster = new FakeCluster();
    // The hook's Job from the previous release, failed back then: Helm deletes it and runs a new one.
    cluster.apply(
      derive('job-failed-backoff-limit.json', (j) => (j.metadata.uid = 'old-job')),
      'Job',
    );
    const hook: WorkloadRef = { kind: 'Job', name: 'hook-pre-upgrade', namespace, hooks: ['pre-install', 'pre-upgrade'] };
    const { watch } = await start(cluster, { workloads: [hook] });
    expect(await settledWithin(watch, 30)).toBeUndefined();
    cluster.remove({ metadata: { name: 'hook-pre-upgrade' } }, 'Job');
    cluster.apply(
      derive('job-failed-backoff-limit.json', (j) => (j.status = { active: 1, startTime: j.status.startTime })),
      'Job',
    );
    cluster.apply(load('pod-job-failed.json'), 'Pod');
    expect(await settledWithin(watch, 30)).toBeUndefined();
    cluster.apply(load('job-failed-backoff-limit.json'), 'Job');
    expect(await watch.verdict).toMatchObject({
      status: 'failed',
      failure: {
        workload: 'Job/hook-pre-upgrade',
        pod: 'hook-pre-upgrade-58gdn',
        container: 'hook',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit; container hook: exit code 1 (Error)',
      },
    });
  });

  it("names a failed Job's pod even when the Job's condition arrives first", async () => {
    const cluster = new FakeCluster();
    const hook: WorkloadRef = { kind: 'Job', name: 'hook-pre-upgrade', namespace, hooks: ['pre-upgrade'] };
    const { watch } = await start(cluster, { workloads: [hook] });
    cluster.apply(load('job-failed-backoff-limit.json'), 'Job');
    setTimeout(() => cluster.apply(load('pod-job-failed.json'), 'Pod'), 100);
    expect(await watch.verdict).toMatchObject({
      status: 'failed',
      failure: { reason: 'BackoffLimitExceeded', pod: 'hook-pre-upgrade-58gdn', container: 'hook' },
    });
  });

  it('a hook watch that is never armed never calls anything healthy', async () => {
    const cluster = new FakeCluster();
    const hook: WorkloadRef = { kind: 'Job', name: 'ok-migrate', namespace, hooks: ['pre-upgrade'] };
    const { watch } = await start(cluster, { workloads: [hook], timeoutMs: 150 });
    cluster.apply(load('job-complete.json'), 'Job');
    expect(await watch.verdict).toMatchObject({ status: 'timed-out', pending: ['helm had not returned: the watch was never armed'] });
  });
});

describe('startRolloutWatch: time, cancellation and the watch connection', () => {
  it('times out naming what is not rolled out and why', async () => {
    const cluster = new FakeCluster();
    revisionOne(cluster);
    const missing: WorkloadRef = { kind: 'StatefulSet', name: 'db', namespace, hooks: [] };
    const { watch } = await start(cluster, { workloads: [deploymentRef, missing], timeoutMs: 300 });
    upgradeToRevisionTwo(cluster);
    watch.armed();
    const verdict = await watch.verdict;
    expect(verdict).toMatchObject({
      status: 'timed-out',
      pending: [
        'Deployment/demo-slipway-demo: 1 of 2 new replicas updated (pod demo-slipway-demo-65fcb485c8-pn6zx: running, not ready (containers with unready status: [app]))',
        'StatefulSet/db: not found in namespace slipway-rec',
      ],
    });
    expect(verdict.elapsedMs).toBeGreaterThanOrEqual(250);
  });

  it('cancellation resolves the verdict, and stop() after it changes nothing', async () => {
    const cluster = new FakeCluster();
    revisionOne(cluster);
    const { watch, controller } = await start(cluster);
    controller.abort(new Error('cancelled by the host'));
    expect(await watch.verdict).toMatchObject({ status: 'cancelled' });
    watch.stop();
    watch.stop();
    expect(await watch.verdict).toMatchObject({ status: 'cancelled' });
    expect(cluster.open('Pod')).toEqual([]);
  });

  it('stop() ends a running watch as cancelled, and a settled verdict stays', async () => {
    const cluster = new FakeCluster();
    revisionOne(cluster);
    const first = await start(cluster);
    first.watch.stop();
    expect(await first.watch.verdict).toMatchObject({ status: 'cancelled' });
    const second = await start(cluster);
    second.watch.armed();
    expect(await second.watch.verdict).toMatchObject({ status: 'healthy' });
    second.watch.stop();
    expect(await second.watch.verdict).toMatchObject({ status: 'healthy' });
  });

  it('leaves no timer and no watch behind once the verdict is in', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();
    const cluster = new FakeCluster();
    cluster.log = async () => 'bye';
    revisionOne(cluster);
    const { watch } = await start(cluster, { timeoutMs: 60_000, settleMs: 60_000 });
    cluster.endWatches('Deployment');
    upgradeToRevisionTwo(cluster, crashingNewPod());
    expect(await watch.verdict).toMatchObject({ status: 'failed', failure: { lastLogLine: 'bye' } });
    await flush();
    expect(timers()).toBe(before);
    expect(cluster.watches.every((open) => open.stopped)).toBe(true);
  });

  it('an already cancelled signal gives a cancelled watch at once', async () => {
    const cluster = new FakeCluster();
    const controller = new AbortController();
    controller.abort();
    const watch = await startRolloutWatch(cluster.api, { namespace, workloads: [deploymentRef], timeoutMs: 1000, signal: controller.signal });
    expect(await watch.verdict).toMatchObject({ status: 'cancelled' });
    expect(cluster.requests).toEqual([]);
  });

  it('resumes a watch the server ended from the last resourceVersion it saw', async () => {
    const cluster = new FakeCluster();
    revisionOne(cluster);
    const { watch } = await start(cluster);
    cluster.apply(load('pod-ready.json'), 'Pod');
    const seen = cluster.version;
    cluster.endWatches('Pod');
    await flush();
    expect(cluster.open('Pod')[0]?.query.resourceVersion).toBe(String(seen));
    // Changes made while no watch was open arrive through the resumed one.
    cluster.endWatches('Deployment');
    upgradeToRevisionTwo(cluster, crashingNewPod());
    expect(await watch.verdict).toMatchObject({ status: 'failed', failure: { reason: 'CrashLoopBackOff' } });
    expect(cluster.requests.filter((request) => request === 'list Pod')).toHaveLength(1);
  });

  it('lists again after 410 Gone, and forgets what went missing meanwhile', async () => {
    const cluster = new FakeCluster();
    revisionOne(cluster);
    const { watch } = await start(cluster);
    for (const open of cluster.watches) open.stopped = true;
    upgradeToRevisionTwo(cluster);
    finishRevisionTwo(cluster);
    for (const open of cluster.watches) open.stopped = false;
    for (const kind of ['Pod', 'Deployment', 'ReplicaSet']) cluster.endWatches(kind, gone());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cluster.requests.filter((request) => request === 'list Pod')).toHaveLength(2);
    watch.armed();
    expect(await watch.verdict).toMatchObject({ status: 'healthy' });
  });

  it('asks the server to end each watch after watchTimeoutSeconds, and restarts one that outlives it silently', async () => {
    const cluster = new FakeCluster();
    revisionOne(cluster);
    const { watch } = await start(cluster, { watchTimeoutSeconds: 1 });
    const [first] = cluster.open('Pod');
    expect(first?.query).toMatchObject({ timeoutSeconds: 1, allowWatchBookmarks: true });
    // The fake server never ends it (a connection lost without a FIN): after twice the limit the watch gives up on it.
    await new Promise((resolve) => setTimeout(resolve, 2200));
    expect(first?.stopped).toBe(true);
    expect(cluster.open('Pod')).toHaveLength(1);
    upgradeToRevisionTwo(cluster, crashingNewPod());
    expect(await watch.verdict).toMatchObject({ status: 'failed' });
  });

  it('retries a watch that fails, and names the failure if time runs out', async () => {
    const cluster = new FakeCluster();
    revisionOne(cluster);
    const { watch, lines } = await start(cluster, { timeoutMs: 400 });
    const refused = new KubeApiError('unreachable', 'connect ECONNREFUSED 127.0.0.1:6443', { hint: 'x' });
    cluster.endWatches('Deployment', refused);
    await new Promise((resolve) => setTimeout(resolve, 50));
    cluster.endWatches('Deployment', refused);
    const verdict = await watch.verdict;
    expect(lines).toContain('watching deployments in namespace slipway-rec failed, retrying: connect ECONNREFUSED 127.0.0.1:6443');
    expect(verdict.status).toBe('timed-out');
  });

  it('throws when the first list fails: the cluster cannot be watched at all', async () => {
    const cluster = new FakeCluster();
    const forbidden = new KubeApiError('forbidden', 'pods is forbidden', { hint: 'x', status: 403 });
    const api: RolloutWatchApi = { ...cluster.api, request: () => Promise.reject(forbidden) };
    await expect(startRolloutWatch(api, { namespace, workloads: [deploymentRef], timeoutMs: 1000, signal: new AbortController().signal })).rejects.toBe(
      forbidden,
    );
  });
});
