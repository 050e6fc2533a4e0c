import { maxTimerDelayMs } from '../../concurrency/sleep.ts';
import { timeLimit } from '../../concurrency/time-limit.ts';
import { describeError } from '../../errors/index.ts';
import type { KubeApi, KubeWatchEvent } from '../../k8s/kube-api.ts';
import { KubeApiError } from '../../k8s/kube-api-error.ts';
import { controllerOf, type KubeObject, type Pod } from './kube-objects.ts';
import { podIsNewRevision, workloadRevisionIsNew, type ArmedFloor, type RevisionContext } from './new-revision.ts';
import { assessPod, defaultRestartBurst, podTermination, type LogSource, type PodAssessment, type PodMemory, type RestartBurst } from './pod-health.ts';
import { workloadId, type WorkloadRef } from './rendered-workloads.ts';
import { resourceTypes, type ResourceKind, type ResourceType } from './watched-resources.ts';
import { workloadRolloutStatus, type RolloutStatus } from './workload-rollout.ts';

/** Why the deploy failed: which workload, pod and container, the reason Kubernetes gave, and the container's last words. */
export interface HealthFailure {
  /** `Deployment/web`. */
  workload: string;
  pod?: string;
  container?: string;
  /** `CrashLoopBackOff`, `ImagePullBackOff`, `OOMKilled`, `RestartBurst`, `ReadinessLost`, `ProgressDeadlineExceeded`, `BackoffLimitExceeded`... */
  reason: string;
  message?: string;
  /** The container's last log line (its previous run's for a crash), when the API server had one. */
  lastLogLine?: string;
}

export type RolloutVerdict =
  | { status: 'healthy'; workloads: string[]; elapsedMs: number }
  | { status: 'failed'; failure: HealthFailure; elapsedMs: number }
  /** `pending`: each workload not rolled out and why (`Deployment/web: 1 of 3 updated replicas available`). */
  | { status: 'timed-out'; pending: string[]; elapsedMs: number }
  | { status: 'cancelled'; elapsedMs: number };

export interface RolloutWatchOptions {
  /** The release's namespace (each workload names its own). */
  namespace: string;
  workloads: readonly WorkloadRef[];
  /** The overall deadline, from the start of the watch. */
  timeoutMs: number;
  /** Cancellation: the verdict becomes `cancelled` (never an error). */
  signal: AbortSignal;
  /** One line per user-visible change (`Deployment/web: 2/3 updated, 1 available`, `pod web-abc container app: CrashLoopBackOff (restarts 2)`). */
  onTransition?: (line: string) => void;
  /** Restarts of one container of a new pod within a window that fail it; 3 within 60 s by default. */
  restartBurst?: RestartBurst;
  /** Once everything is rolled out, keep watching this long for a failure (readiness lost) before `healthy`; 0 by default. */
  settleMs?: number;
  /** How long each watch request lasts before the server ends it and the watch resumes from its last resourceVersion; 240 s by default. */
  watchTimeoutSeconds?: number;
  now?: () => Date;
}

export interface RolloutWatch {
  /**
   * Call when `helm upgrade` (or `rollback`) has returned. Before, only failures count (a hook Job, new
   * pods failing while Helm runs); success is declared only after, once every workload is rolled out as
   * the API server shows it after Helm's changes.
   */
  armed(): void;
  /** Settles once; never rejects (API errors are retried until the deadline and named in `pending`). */
  readonly verdict: Promise<RolloutVerdict>;
  /** Ends the watch (the verdict becomes `cancelled` unless it is settled); idempotent. */
  stop(): void;
  /** When the first failure became visible in the API (the watch event that showed it), for measuring reaction time. */
  readonly failureObservedAt: Date | undefined;
}

/** The calls the watch makes through KubeApi (a fake in unit tests). */
export type RolloutWatchApi = Pick<KubeApi, 'request' | 'watch'>;

/** The server ends each watch after this long; the watch resumes from its last resourceVersion. */
const defaultWatchTimeoutSeconds = 240;
/** A watch that stays open this much longer than the server's own limit (at most that limit again) lost its connection without noticing (an idle NAT): restart it. */
const watchGraceMs = 30_000;
/** How long the last log line may delay a failure verdict. */
const logTimeoutMs = 1500;
const maxBackoffMs = 5000;
/** How long a Job's failure waits for the failed pod to show up on the pod watch, to name it. */
const jobPodGraceMs = 300;

/** The objects of one kind in one namespace, as the last list and the watch after it left them. */
interface Feed {
  kind: ResourceKind;
  namespace: string;
  /** By name: at most one object of a name exists at a time. */
  objects: Map<string, KubeObject>;
  resourceVersion: string;
  /** A 410 Gone: the resourceVersion is too old, list again. */
  needsList: boolean;
  failures: number;
  lastError: string | undefined;
  stopWatch: (() => void) | undefined;
}

interface Tracked {
  ref: WorkloadRef;
  id: string;
  key: string;
  /** The release's own workloads must roll out; hooks only must not fail (Helm waited for them). */
  required: boolean;
}

interface WorkloadView {
  tracked: Tracked;
  object: KubeObject | undefined;
  revisionNew: boolean;
  status: RolloutStatus | undefined;
  /** Its pods of the new revision, with what they show. */
  pods: { pod: Pod; assessment: PodAssessment | undefined }[];
  rolledOut: boolean;
}

interface PendingFailure {
  failure: HealthFailure;
  namespace: string;
  log: LogSource;
}

/**
 * Starts Slipway's own rollout health watch of a release's workloads: one list and one watch per kind
 * and namespace (pods, the workload kinds, ReplicaSets for Deployments), fed to the pure assessments of
 * pod-health.ts and workload-rollout.ts on every event, so a CrashLoopBackOff fails the deploy as soon as
 * the API server shows it instead of at Helm's timeout (helm/helm#7429). Throws only when the first list
 * fails (the API server cannot be read at all); later API errors are retried until the deadline.
 */
export async function startRolloutWatch(api: RolloutWatchApi, options: RolloutWatchOptions): Promise<RolloutWatch> {
  const watcher = new RolloutWatcher(api, options);
  await watcher.start();
  return watcher.handle;
}

class RolloutWatcher {
  readonly #api: RolloutWatchApi;
  readonly #options: RolloutWatchOptions;
  readonly #now: () => Date;
  readonly #restartBurst: RestartBurst;
  readonly #settleMs: number;
  readonly #watchTimeoutSeconds: number;
  readonly #startedAt: number;
  readonly #controller = new AbortController();
  readonly #signal: AbortSignal;
  readonly #feeds = new Map<string, Feed>();
  readonly #tracked: Tracked[];
  /** uid -> generation of every object in the first lists. */
  readonly #initial = new Map<string, number>();
  /** uid -> order in which it was first seen, to tell objects created after Helm returned. */
  readonly #firstSeen = new Map<string, number>();
  #seen = 0;
  readonly #podMemory = new Map<string, PodMemory>();
  readonly #podAssessments = new Map<string, PodAssessment>();
  #arm: 'waiting' | 'arming' | 'armed' = 'waiting';
  readonly #floors = new Map<string, ArmedFloor>();
  readonly #lines = new Map<string, string>();
  #deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  #settleTimer: ReturnType<typeof setTimeout> | undefined;
  #settleDone = false;
  #pendingFailure: PendingFailure | undefined;
  #failureObservedAt: Date | undefined;
  #done = false;
  #resolve!: (verdict: RolloutVerdict) => void;
  readonly #verdict: Promise<RolloutVerdict>;
  readonly #onAbort = () => this.#cancel();

  constructor(api: RolloutWatchApi, options: RolloutWatchOptions) {
    this.#api = api;
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#restartBurst = options.restartBurst ?? defaultRestartBurst;
    this.#settleMs = Math.max(0, options.settleMs ?? 0);
    this.#watchTimeoutSeconds = Math.max(1, Math.round(options.watchTimeoutSeconds ?? defaultWatchTimeoutSeconds));
    this.#startedAt = this.#now().getTime();
    this.#signal = AbortSignal.any([options.signal, this.#controller.signal]);
    this.#verdict = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    const unique = new Map<string, Tracked>();
    for (const ref of options.workloads) {
      const key = workloadKey(ref.namespace, ref.kind, ref.name);
      if (!unique.has(key)) unique.set(key, { ref, id: workloadId(ref), key, required: ref.hooks.length === 0 });
    }
    this.#tracked = [...unique.values()];
  }

  get handle(): RolloutWatch {
    const watcher = this;
    return {
      armed: () => this.#armed(),
      verdict: this.#verdict,
      stop: () => this.#cancel(),
      get failureObservedAt() {
        return watcher.#failureObservedAt;
      },
    };
  }

  async start(): Promise<void> {
    if (this.#options.signal.aborted) return this.#cancel();
    this.#options.signal.addEventListener('abort', this.#onAbort, { once: true });
    for (const tracked of this.#tracked) {
      const namespace = tracked.ref.namespace;
      this.#feed(namespace, 'Pod');
      if (tracked.ref.kind === 'Deployment') this.#feed(namespace, 'ReplicaSet');
      this.#feed(namespace, tracked.ref.kind);
    }
    try {
      await Promise.all([...this.#feeds.values()].map((feed) => this.#list(feed, true)));
    } catch (error) {
      if (this.#signal.aborted) return this.#cancel();
      this.#finish({ status: 'cancelled', elapsedMs: this.#elapsed() });
      throw error;
    }
    const delay = Math.min(Math.max(0, this.#options.timeoutMs), maxTimerDelayMs);
    this.#deadlineTimer = setTimeout(() => this.#timeOut(), delay);
    this.#deadlineTimer.unref();
    for (const feed of this.#feeds.values()) void this.#follow(feed);
    this.#evaluate();
  }

  #feed(namespace: string, kind: ResourceKind): Feed {
    const key = `${namespace}/${kind}`;
    let feed = this.#feeds.get(key);
    if (!feed) {
      feed = { kind, namespace, objects: new Map(), resourceVersion: '', needsList: false, failures: 0, lastError: undefined, stopWatch: undefined };
      this.#feeds.set(key, feed);
    }
    return feed;
  }

  /** Lists the feed's kind: the first time, what existed before Helm ran; after a 410, a fresh start. */
  async #list(feed: Feed, initial: boolean): Promise<void> {
    const type = resourceTypes[feed.kind];
    const list = await this.#api.request(
      `LIST ${type.plural} in namespace ${feed.namespace}`,
      (clients, o) => type.list(clients, feed.namespace, o),
      this.#signal,
    );
    if (this.#done) return;
    const items = plain(list.items) as KubeObject[];
    const names = new Set(items.map((item) => item.metadata?.name));
    for (const [name, object] of feed.objects) if (!names.has(name)) this.#forget(feed, object);
    for (const item of items) {
      if (initial && item.metadata?.uid) this.#initial.set(item.metadata.uid, item.metadata.generation ?? 0);
      this.#remember(feed, item);
    }
    feed.resourceVersion = list.metadata?.resourceVersion ?? '';
    feed.needsList = false;
  }

  /** Watches the feed until the verdict: resumes where the server ended it, lists again after a 410, backs off after errors. */
  async #follow(feed: Feed): Promise<void> {
    const type = resourceTypes[feed.kind];
    while (!this.#done) {
      try {
        if (feed.needsList) {
          await this.#list(feed, false);
          this.#evaluate();
        }
        const opened = Date.now();
        let events = 0;
        const watch = await this.#api.watch(
          type.path(feed.namespace),
          { resourceVersion: feed.resourceVersion || undefined, allowWatchBookmarks: true, timeoutSeconds: this.#watchTimeoutSeconds },
          (event) => {
            events++;
            this.#onEvent(feed, event);
          },
          this.#signal,
        );
        feed.stopWatch = watch.stop;
        if (this.#done) watch.stop();
        const limitMs = this.#watchTimeoutSeconds * 1000;
        const guard = setTimeout(() => watch.stop(), limitMs + Math.min(watchGraceMs, limitMs));
        guard.unref();
        try {
          await watch.ended;
        } finally {
          clearTimeout(guard);
          feed.stopWatch = undefined;
        }
        // A watch the server closes at once, again and again, must not spin.
        if (events === 0 && Date.now() - opened < 1000) await this.#pause(++feed.failures);
      } catch (error) {
        if (this.#done) return;
        if (error instanceof KubeApiError && error.status === 410) {
          feed.needsList = true;
          continue;
        }
        feed.failures++;
        const reason = describeError(error).split('\n')[0] ?? 'unknown error';
        if (feed.lastError !== reason) this.#note(`watching ${type.plural} in namespace ${feed.namespace} failed, retrying: ${reason}`);
        feed.lastError = reason;
        await this.#pause(feed.failures);
      }
    }
  }

  /** Waits before the next attempt (0.5 s, 1 s, 2 s... up to 5 s), or until the verdict. */
  #pause(attempt: number): Promise<void> {
    return this.#delay(Math.min(maxBackoffMs, 250 * 2 ** Math.min(attempt, 10)));
  }

  /** Waits `ms`, or until the verdict; never keeps the process alive. */
  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      timer.unref();
      const signal = this.#signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  #onEvent(feed: Feed, event: KubeWatchEvent): void {
    if (this.#done) return;
    const object = event.object as KubeObject | undefined;
    const version = object?.metadata?.resourceVersion;
    if (version) feed.resourceVersion = version;
    feed.failures = 0;
    feed.lastError = undefined;
    if (event.type === 'BOOKMARK' || !object) return;
    if (event.type === 'DELETED') this.#forget(feed, object);
    else this.#remember(feed, object);
    this.#evaluate();
  }

  #remember(feed: Feed, object: KubeObject): void {
    const uid = object.metadata?.uid;
    const name = object.metadata?.name;
    if (!uid || !name) return;
    if (!this.#firstSeen.has(uid)) this.#firstSeen.set(uid, ++this.#seen);
    const cached = feed.objects.get(name);
    // A late event must not take an object back to an older state (the GET at arming may be ahead of the watch).
    if (cached?.metadata?.uid === uid && isOlder(object.metadata?.resourceVersion, cached.metadata?.resourceVersion)) return;
    feed.objects.set(name, object);
    if (feed.kind === 'Pod') {
      const assessment = assessPod(object as Pod, this.#podMemory.get(uid), {
        now: this.#now().getTime(),
        restartBurst: this.#restartBurst,
        createdDuringWatch: !this.#initial.has(uid),
      });
      this.#podMemory.set(uid, assessment.memory);
      this.#podAssessments.set(uid, assessment);
    }
  }

  #forget(feed: Feed, object: KubeObject): void {
    const name = object.metadata?.name;
    const uid = object.metadata?.uid;
    if (!name || feed.objects.get(name)?.metadata?.uid !== uid) return;
    feed.objects.delete(name);
    if (feed.kind === 'Pod' && uid) {
      this.#podMemory.delete(uid);
      this.#podAssessments.delete(uid);
    }
  }

  #armed(): void {
    if (this.#done || this.#arm !== 'waiting') return;
    this.#arm = 'arming';
    void this.#readFloors().catch((error: unknown) => {
      // A bug, not the API (reads are retried): arm with what the watch has rather than never.
      this.#note(`arming the health watch failed: ${describeError(error).split('\n')[0]}`);
      this.#arm = 'armed';
    });
  }

  /**
   * Reads each workload as the API server has it now that Helm returned: until the watch shows at least
   * that, its cached state may be the previous revision's, which must not pass for a rollout.
   */
  async #readFloors(): Promise<void> {
    const reads = await Promise.all(this.#tracked.filter((tracked) => tracked.required).map(async (tracked) => ({ tracked, read: await this.#read(tracked) })));
    if (this.#done) return;
    const armSeen = this.#seen;
    const createdAfter = (uid: string) => (this.#firstSeen.get(uid) ?? Number.POSITIVE_INFINITY) > armSeen;
    for (const { tracked, read } of reads) {
      const feed = this.#feed(tracked.ref.namespace, tracked.ref.kind);
      // A read that kept failing: trust what the watch has (the best there is).
      const object = read === 'failed' ? feed.objects.get(tracked.ref.name) : read;
      if (object && read !== 'failed') this.#remember(feed, object);
      this.#floors.set(tracked.key, { uid: object?.metadata?.uid, generation: object?.metadata?.generation ?? 0, createdAfter });
    }
    this.#arm = 'armed';
    this.#evaluate();
  }

  async #read(tracked: Tracked): Promise<KubeObject | undefined | 'failed'> {
    const type = resourceTypes[tracked.ref.kind];
    for (let attempt = 1; attempt <= 3 && !this.#done; attempt++) {
      try {
        const object = await this.#api.request(
          `GET ${tracked.id} in namespace ${tracked.ref.namespace}`,
          (clients, o) => (type.read as NonNullable<ResourceType['read']>)(clients, tracked.ref.name, tracked.ref.namespace, o),
          this.#signal,
        );
        return plain(object) as KubeObject;
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) return undefined;
        if (this.#done) break;
        await this.#pause(attempt);
      }
    }
    return 'failed';
  }

  /** Judges the whole state after every change: a failure ends the watch, full rollout (after arming and settling) too. */
  #evaluate(): void {
    if (this.#done || this.#pendingFailure) return;
    const views = this.#views();
    this.#transitions(views);
    const failure = this.#findFailure(views);
    if (failure) {
      this.#fail(failure);
      return;
    }
    if (this.#arm === 'armed' && views.every((view) => !view.tracked.required || view.rolledOut)) {
      if (this.#settleMs === 0 || this.#settleDone) {
        this.#finish({ status: 'healthy', workloads: this.#requiredIds(), elapsedMs: this.#elapsed() });
        return;
      }
      if (!this.#settleTimer) {
        this.#note(`all workloads rolled out; watching them ${seconds(this.#settleMs)} more`);
        this.#settleTimer = setTimeout(() => {
          this.#settleDone = true;
          this.#evaluate();
        }, this.#settleMs);
        this.#settleTimer.unref();
      }
    } else if (this.#settleTimer) {
      clearTimeout(this.#settleTimer);
      this.#settleTimer = undefined;
      this.#settleDone = false;
    }
  }

  #views(): WorkloadView[] {
    const podsOf = new Map<string, Pod[]>();
    for (const feed of this.#feeds.values()) {
      if (feed.kind !== 'Pod') continue;
      for (const pod of feed.objects.values()) {
        const key = this.#ownerKey(pod as Pod, feed.namespace);
        if (!key) continue;
        const pods = podsOf.get(key);
        if (pods) pods.push(pod as Pod);
        else podsOf.set(key, [pod as Pod]);
      }
    }
    return this.#tracked.map((tracked) => {
      const { kind, name, namespace } = tracked.ref;
      const object = this.#feeds.get(`${namespace}/${kind}`)?.objects.get(name);
      const context = this.#context(tracked);
      const replicaSets = kind === 'Deployment' ? [...(this.#feeds.get(`${namespace}/ReplicaSet`)?.objects.values() ?? [])] : [];
      const pods = (podsOf.get(tracked.key) ?? [])
        // Pods of an older object of the same name (a hook Job Helm re-created) are not this one's.
        .filter((pod) => !object || ownerUid(pod, replicaSets) === object.metadata?.uid)
        .filter((pod) => podIsNewRevision(kind, object, pod, replicaSets, context))
        .map((pod) => ({ pod, assessment: this.#podAssessments.get(pod.metadata?.uid ?? '') }));
      const revisionNew = object !== undefined && workloadRevisionIsNew(kind, object, context);
      const status = object ? workloadRolloutStatus(kind, object) : undefined;
      return { tracked, object, revisionNew, status, pods, rolledOut: revisionNew && status?.state === 'rolled-out' };
    });
  }

  #context(tracked: Tracked): RevisionContext {
    return { initial: this.#initial, floor: this.#arm === 'armed' ? this.#floors.get(tracked.key) : undefined, hook: !tracked.required };
  }

  /** The tracked workload a pod belongs to: its controller, or its ReplicaSet's Deployment. */
  #ownerKey(pod: Pod, namespace: string): string | undefined {
    const owner = controllerOf(pod);
    if (!owner?.name) return undefined;
    if (owner.kind === 'ReplicaSet') {
      const set = this.#feeds.get(`${namespace}/ReplicaSet`)?.objects.get(owner.name);
      const deployment = set && set.metadata?.uid === owner.uid ? controllerOf(set) : undefined;
      return deployment?.kind === 'Deployment' && deployment.name ? workloadKey(namespace, 'Deployment', deployment.name) : undefined;
    }
    if (owner.kind === 'StatefulSet' || owner.kind === 'DaemonSet' || owner.kind === 'Job') return workloadKey(namespace, owner.kind, owner.name);
    return undefined;
  }

  #findFailure(views: readonly WorkloadView[]): PendingFailure | undefined {
    for (const view of views) {
      const namespace = view.tracked.ref.namespace;
      for (const { pod, assessment } of view.pods) {
        const problem = assessment?.problem;
        if (!problem) continue;
        return {
          namespace,
          log: problem.log,
          failure: {
            workload: view.tracked.id,
            pod: pod.metadata?.name ?? '',
            ...(problem.container ? { container: problem.container } : {}),
            reason: problem.reason,
            ...(problem.message ? { message: problem.message } : {}),
          },
        };
      }
      if (view.status?.state !== 'failed' || !view.revisionNew) continue;
      const failure: HealthFailure = { workload: view.tracked.id, reason: view.status.reason, message: view.status.message };
      if (view.tracked.ref.kind === 'Job') {
        // Name the pod that failed it, the newest first, and how it ended.
        const newestFirst = [...view.pods].sort((a, b) => created(b.pod).localeCompare(created(a.pod)));
        const failed = newestFirst.find(({ pod }) => podTermination(pod) !== undefined);
        const ending = failed && podTermination(failed.pod);
        if (failed && ending) {
          const detail = [
            view.status.message,
            ending.message ? (ending.container ? `container ${ending.container}: ${ending.message}` : ending.message) : undefined,
          ];
          return {
            namespace,
            log: ending.log,
            failure: {
              ...failure,
              pod: failed.pod.metadata?.name ?? '',
              ...(ending.container ? { container: ending.container } : {}),
              message: detail.filter(Boolean).join('; '),
            },
          };
        }
        return { namespace, log: 'none', failure };
      }
      const stuck = view.pods.find(({ assessment }) => assessment && !assessment.ready);
      if (stuck) failure.message = `${failure.message} (pod ${stuck.pod.metadata?.name}: ${stuck.assessment?.summary})`;
      return { namespace, log: 'none', failure };
    }
    return undefined;
  }

  #fail(pending: PendingFailure): void {
    this.#pendingFailure = pending;
    this.#failureObservedAt = this.#now();
    void this.#complete(pending).then(({ failure }) => this.#finish({ status: 'failed', failure, elapsedMs: this.#elapsed() }));
  }

  /**
   * The failure with what can still be learnt about it: the pod that failed a Job (the Job's condition
   * can arrive before the pod's status, on another watch: it gets {@link jobPodGraceMs}), and the last log line.
   */
  async #complete(pending: PendingFailure): Promise<PendingFailure> {
    let found = pending;
    if (!found.failure.pod && found.failure.workload.startsWith('Job/')) {
      await this.#delay(jobPodGraceMs);
      const again = this.#done ? undefined : this.#findFailure(this.#views());
      if (again?.failure.workload === found.failure.workload && again.failure.pod) found = again;
      this.#pendingFailure = found;
    }
    const line = await this.#lastLogLine(found);
    return line ? { ...found, failure: { ...found.failure, lastLogLine: line } } : found;
  }

  /**
   * The failed container's last log line (`tailLines: 1`, its previous run's after a crash), within
   * {@link logTimeoutMs}. No line is no problem: the API server may have no kubelet to ask (KWOK), the
   * container may never have run, or the logs may be gone.
   */
  async #lastLogLine({ failure, namespace, log }: PendingFailure): Promise<string | undefined> {
    if (log === 'none' || !failure.pod || !failure.container) return undefined;
    const container = failure.container;
    const pod = failure.pod;
    const limit = timeLimit(logTimeoutMs, this.#signal);
    try {
      const text = await this.#api.request(
        `GET log of pod ${pod} container ${container}`,
        (clients, o) => clients.core.readNamespacedPodLog({ name: pod, namespace, container, tailLines: 1, previous: log === 'previous' }, o),
        limit.signal,
      );
      const line = String(text ?? '')
        .replace(/\r?\n+$/, '')
        .split(/\r?\n/)
        .at(-1)
        ?.trim();
      return line ? (line.length > 500 ? `${line.slice(0, 500)}…` : line) : undefined;
    } catch {
      return undefined;
    } finally {
      limit.clear();
    }
  }

  /** One log line per change a user would want to see: a workload's counters, a new pod's state. */
  #transitions(views: readonly WorkloadView[]): void {
    const armed = this.#arm === 'armed';
    for (const view of views) {
      const { tracked, object, status } = view;
      // Before Helm returned, the release's own workloads still show the previous revision: say nothing of them.
      if (armed || !tracked.required) {
        let line: string | undefined;
        if (!object) line = armed && tracked.required ? `${tracked.id}: not found` : undefined;
        else if (status && view.revisionNew) line = `${tracked.id}: ${status.state === 'rolled-out' ? `rolled out (${status.progress})` : status.progress}`;
        if (line) this.#once(`w:${tracked.key}`, line);
      }
      for (const { pod, assessment } of view.pods) {
        if (!assessment) continue;
        const separator = assessment.summary.startsWith('container ') ? ' ' : ': ';
        this.#once(`p:${pod.metadata?.uid}`, `pod ${pod.metadata?.name}${separator}${assessment.summary}`);
      }
    }
  }

  #once(key: string, line: string): void {
    if (this.#lines.get(key) === line) return;
    this.#lines.set(key, line);
    this.#note(line);
  }

  #note(line: string): void {
    try {
      this.#options.onTransition?.(line);
    } catch {
      // A logger that throws must not stop the watch.
    }
  }

  #timeOut(): void {
    if (this.#done || this.#pendingFailure) return;
    const views = this.#views();
    const pending: string[] = [];
    if (this.#arm !== 'armed') pending.push('helm had not returned: the watch was never armed');
    for (const view of views) {
      if (view.rolledOut || (view.tracked.required === false && this.#arm === 'armed')) continue;
      if (!view.tracked.required && !view.object) continue;
      pending.push(`${view.tracked.id}: ${this.#explain(view)}`);
    }
    for (const feed of this.#feeds.values()) {
      if (feed.lastError) pending.push(`watching ${resourceTypes[feed.kind].plural} in namespace ${feed.namespace} failed: ${feed.lastError}`);
    }
    this.#finish({ status: 'timed-out', pending, elapsedMs: this.#elapsed() });
  }

  #explain(view: WorkloadView): string {
    const { object, status } = view;
    if (!object) return `not found in namespace ${view.tracked.ref.namespace}`;
    if (!status) return 'no status';
    if (!view.revisionNew) return status.state === 'progressing' ? status.message : 'the API server did not show the spec Helm applied';
    const stuck = view.pods.find(({ assessment }) => assessment && !assessment.ready);
    const detail = stuck ? ` (pod ${stuck.pod.metadata?.name}: ${stuck.assessment?.summary})` : '';
    return `${status.message}${detail}`;
  }

  #cancel(): void {
    if (this.#done) return;
    const pending = this.#pendingFailure;
    // A failure already seen stays the verdict; its log line is not worth waiting for.
    this.#finish(pending ? { status: 'failed', failure: pending.failure, elapsedMs: this.#elapsed() } : { status: 'cancelled', elapsedMs: this.#elapsed() });
  }

  #finish(verdict: RolloutVerdict): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#deadlineTimer);
    clearTimeout(this.#settleTimer);
    this.#options.signal.removeEventListener('abort', this.#onAbort);
    for (const feed of this.#feeds.values()) feed.stopWatch?.();
    this.#controller.abort();
    this.#resolve(verdict);
  }

  #requiredIds(): string[] {
    return this.#tracked.filter((tracked) => tracked.required).map((tracked) => tracked.id);
  }

  #elapsed(): number {
    return Math.max(0, this.#now().getTime() - this.#startedAt);
  }
}

/** `30 s`, `0.5 s`. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function created(object: KubeObject): string {
  return object.metadata?.creationTimestamp ?? '';
}

function workloadKey(namespace: string, kind: string, name: string): string {
  return `${namespace}/${kind}/${name}`;
}

/** The uid of the workload a pod belongs to: its controller's, or its ReplicaSet's Deployment's. */
function ownerUid(pod: Pod, replicaSets: readonly KubeObject[]): string | undefined {
  const owner = controllerOf(pod);
  if (owner?.kind !== 'ReplicaSet') return owner?.uid;
  const set = replicaSets.find((candidate) => candidate.metadata?.uid === owner.uid);
  return set ? controllerOf(set)?.uid : undefined;
}

/** Both resourceVersions are etcd revisions (digits) and `a` is the older one. They are opaque to clients in general: anything else is never older. */
function isOlder(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}

/**
 * The typed client's objects as the API server's JSON (what a watch event carries): the same field
 * names, and timestamps as strings rather than Date objects.
 */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
