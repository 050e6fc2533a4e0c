import { conditionOf, count, trueCondition, type ContainerStatus, type Pod } from './kube-objects.ts';

/** How many container restarts within how long make a pod fail even before Kubernetes calls it CrashLoopBackOff. */
export interface RestartBurst {
  restarts: number;
  windowMs: number;
}

export const defaultRestartBurst: RestartBurst = { restarts: 3, windowMs: 60_000 };

/**
 * Container waiting reasons that mean the container will not run without a change (kubelet's
 * `pkg/kubelet/images` and `kuberuntime` reasons). Each fails the pod at once: Kubernetes would retry
 * with back-off forever, which is the wait helm/helm#7429 complains about. `log` says where the
 * container's last words are: its previous run for a crash, nowhere for a container that never started.
 */
const fatalWaitingReasons: Readonly<Record<string, 'previous' | 'none'>> = {
  CrashLoopBackOff: 'previous',
  ImagePullBackOff: 'none',
  ErrImagePull: 'none',
  ErrImageNeverPull: 'none',
  InvalidImageName: 'none',
  RegistryUnavailable: 'none',
  CreateContainerConfigError: 'none',
};

/** Where a failed container's last log line can be read: `readNamespacedPodLog` with `previous`, without, or not at all. */
export type LogSource = 'previous' | 'current' | 'none';

/** Why a pod of the new revision is failing. */
export interface PodProblem {
  container?: string;
  /** `CrashLoopBackOff`, `ImagePullBackOff`, `OOMKilled`, `RestartBurst`, `ReadinessLost`... */
  reason: string;
  message?: string;
  log: LogSource;
}

/** What the watch keeps of a pod between its events: enough to see readiness lost and restarts counted. */
export interface PodMemory {
  /** Ready=True was seen at least once. */
  wasReady: boolean;
  /** Per container (init containers as `init:name`): the restart count last seen and when each restart was seen. */
  containers: Record<string, { restarts: number; restartTimes: number[] }>;
}

export interface PodAssessment {
  memory: PodMemory;
  /** Set when the pod fails (whether that counts depends on whether it belongs to the new revision). */
  problem: PodProblem | undefined;
  ready: boolean;
  /** What the pod shows, for a log line when it changes: `container app: CrashLoopBackOff (restarts 2)`, `ready`. */
  summary: string;
}

export interface PodAssessmentContext {
  /** Milliseconds since the epoch, from the watch's clock. */
  now: number;
  restartBurst: RestartBurst;
  /**
   * The pod was created after the watch started (it was not in the first list): every restart it shows
   * happened while the watch ran, so they count towards a burst even when first seen all at once.
   */
  createdDuringWatch: boolean;
}

/**
 * Assesses one observation of a pod against what was seen of it before (`previous`, undefined the first
 * time). Pure: the caller keeps `memory` for the next observation. A terminating pod has no problem
 * (its containers stop on purpose), nor does a pod that ran to completion (a Job's pods: the Job judges).
 */
export function assessPod(pod: Pod, previous: PodMemory | undefined, context: PodAssessmentContext): PodAssessment {
  const ready = trueCondition(pod.status?.conditions, 'Ready') !== undefined;
  const memory: PodMemory = { wasReady: (previous?.wasReady ?? false) || ready, containers: {} };
  const statuses = containerStatusesOf(pod);
  const windowStart = context.now - context.restartBurst.windowMs;
  for (const { key, status } of statuses) {
    const restarts = count(status.restartCount);
    const before = previous?.containers[key];
    const seen = before ? Math.max(0, restarts - before.restarts) : context.createdDuringWatch ? restarts : 0;
    const times = [...(before?.restartTimes ?? []), ...Array.from({ length: seen }, () => context.now)].filter((time) => time > windowStart);
    memory.containers[key] = { restarts, restartTimes: times };
  }
  const summary = summarize(pod, ready);
  if (pod.metadata?.deletionTimestamp) return { memory, problem: undefined, ready, summary: 'terminating' };
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return { memory, problem: undefined, ready, summary };
  return { memory, problem: findProblem(pod, statuses, previous, memory, context, ready), ready, summary };
}

interface KeyedStatus {
  /** `app`, or `init:migrate` for an init container. */
  key: string;
  name: string;
  status: ContainerStatus;
}

function containerStatusesOf(pod: Pod): KeyedStatus[] {
  const init = (pod.status?.initContainerStatuses ?? []).map((status) => ({ key: `init:${status.name ?? ''}`, name: status.name ?? '', status }));
  const main = (pod.status?.containerStatuses ?? []).map((status) => ({ key: status.name ?? '', name: status.name ?? '', status }));
  return [...init, ...main];
}

/** The first problem, in the order a user should hear of them: a container that cannot run, OOM, a restart burst, readiness lost. */
function findProblem(
  pod: Pod,
  statuses: readonly KeyedStatus[],
  previous: PodMemory | undefined,
  memory: PodMemory,
  context: PodAssessmentContext,
  ready: boolean,
): PodProblem | undefined {
  for (const { name, status } of statuses) {
    const waiting = status.state?.waiting;
    const log = waiting?.reason ? fatalWaitingReasons[waiting.reason] : undefined;
    if (waiting?.reason && log) {
      return { container: name, reason: waiting.reason, log, ...withMessage(describeWaiting(waiting.message, status)) };
    }
  }
  for (const { key, name, status } of statuses) {
    if (status.state?.terminated?.reason === 'OOMKilled') {
      return { container: name, reason: 'OOMKilled', log: 'current', ...withMessage(describeExit(status.state.terminated)) };
    }
    // A restart that was OOM-killed: only one the watch saw happen (within the window), not an old one.
    const restartedNow = memory.containers[key]?.restartTimes.length ?? 0;
    if (status.lastState?.terminated?.reason === 'OOMKilled' && restartedNow > 0) {
      return { container: name, reason: 'OOMKilled', log: 'previous', ...withMessage(describeExit(status.lastState.terminated)) };
    }
  }
  for (const { key, name, status } of statuses) {
    const recent = memory.containers[key]?.restartTimes.length ?? 0;
    if (recent >= context.restartBurst.restarts) {
      const last = status.lastState?.terminated;
      const seconds = Math.round(context.restartBurst.windowMs / 1000);
      const why = last ? `; last exit: ${describeExit(last)}` : '';
      return {
        container: name,
        reason: 'RestartBurst',
        message: `${recent} restarts within ${seconds} s (restart count ${count(status.restartCount)})${why}`,
        log: 'previous',
      };
    }
  }
  const restartPolicy = pod.spec?.restartPolicy ?? 'Always';
  if (restartPolicy === 'Always' && previous?.wasReady && !ready) {
    const culprit = statuses.find(({ status }) => status.state?.terminated) ?? statuses.find(({ status }) => status.ready === false);
    const terminated = culprit?.status.state?.terminated;
    const condition = conditionOf(pod.status?.conditions, 'Ready');
    const message = terminated
      ? `container ${culprit?.name} exited: ${describeExit(terminated)}`
      : (condition?.message ?? condition?.reason ?? 'Ready turned False');
    // An exited container's log is still its current one; a running one's current log says why it is not ready.
    return { ...(culprit ? { container: culprit.name } : {}), reason: 'ReadinessLost', message, log: 'current' };
  }
  return undefined;
}

/** How a pod that ran to completion ended, for a failed Job's report: its first container that exited non-zero. */
export function podTermination(pod: Pod): PodProblem | undefined {
  for (const { name, status } of containerStatusesOf(pod)) {
    const terminated = status.state?.terminated;
    if (terminated && count(terminated.exitCode) !== 0) {
      return { container: name, reason: terminated.reason ?? 'Error', message: describeExit(terminated), log: 'current' };
    }
    const waiting = status.state?.waiting;
    const log = waiting?.reason ? fatalWaitingReasons[waiting.reason] : undefined;
    if (waiting?.reason && log) return { container: name, reason: waiting.reason, log, ...withMessage(waiting.message) };
  }
  if (pod.status?.phase === 'Failed') return { reason: pod.status.reason ?? 'PodFailed', log: 'none', ...withMessage(pod.status.message) };
  return undefined;
}

/** `exit code 137 (OOMKilled)`, `exit code 1 (Error): panic: ...`. */
function describeExit(terminated: { exitCode?: number; signal?: number; reason?: string; message?: string }): string {
  const signal = terminated.signal ? `, signal ${terminated.signal}` : '';
  const detail = terminated.message ? `: ${terminated.message.trim().split('\n')[0]}` : '';
  return `exit code ${count(terminated.exitCode)}${signal} (${terminated.reason ?? 'terminated'})${detail}`;
}

function describeWaiting(message: string | undefined, status: ContainerStatus): string | undefined {
  const last = status.lastState?.terminated;
  const restarts = count(status.restartCount);
  const parts = [message, restarts > 0 ? `restarts ${restarts}` : undefined, last ? `last exit: ${describeExit(last)}` : undefined].filter(Boolean);
  return parts.length ? parts.join('; ') : undefined;
}

function withMessage(message: string | undefined): { message?: string } {
  return message ? { message } : {};
}

/** One line of what the pod shows, for the transition log. */
function summarize(pod: Pod, ready: boolean): string {
  for (const { name, status } of containerStatusesOf(pod)) {
    const restarts = count(status.restartCount);
    const suffix = restarts > 0 ? ` (restarts ${restarts})` : '';
    const waiting = status.state?.waiting?.reason;
    // ContainerCreating and PodInitializing are every pod's first seconds, not news.
    if (waiting && waiting !== 'ContainerCreating' && waiting !== 'PodInitializing') return `container ${name}: ${waiting}${suffix}`;
    const terminated = status.state?.terminated;
    if (terminated && (count(terminated.exitCode) !== 0 || terminated.reason === 'OOMKilled'))
      return `container ${name}: exited, ${describeExit(terminated)}${suffix}`;
  }
  const phase = pod.status?.phase ?? 'Pending';
  if (phase === 'Succeeded' || phase === 'Failed') return phase.toLowerCase();
  if (ready) return 'ready';
  const scheduled = conditionOf(pod.status?.conditions, 'PodScheduled');
  if (scheduled?.status === 'False') return `not scheduled: ${scheduled.message ?? scheduled.reason ?? 'waiting for a node'}`;
  const readiness = conditionOf(pod.status?.conditions, 'Ready');
  return `${phase.toLowerCase()}, not ready${readiness?.message ? ` (${readiness.message})` : ''}`;
}
