import { conditionOf, count, trueCondition, type DaemonSet, type Deployment, type Job, type KubeObject, type StatefulSet } from './kube-objects.ts';
import type { WorkloadKind } from './rendered-workloads.ts';

/**
 * How far one workload's rollout is, judged from the workload object alone the way `kubectl rollout
 * status` judges it (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go), with kstatus's extra
 * checks (sigs.k8s.io/cli-utils/pkg/kstatus/status/core.go: no surplus replicas, Job conditions).
 * `message` says what is missing (or that it is done), `progress` is the counters for a log line.
 */
export type RolloutStatus =
  | { state: 'rolled-out'; message: string; progress: string }
  | { state: 'progressing'; message: string; progress: string }
  | { state: 'failed'; reason: string; message: string; progress: string };

/** `1 replica`, `2 replicas`. */
function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function progressing(message: string, progress: string): RolloutStatus {
  return { state: 'progressing', message, progress };
}

function rolledOut(message: string, progress: string): RolloutStatus {
  return { state: 'rolled-out', message, progress };
}

/** The controller has not acted on the newest spec yet: every counter still describes the old one. */
function notObserved(object: KubeObject, observedGeneration: number | undefined): RolloutStatus | undefined {
  const generation = count(object.metadata?.generation);
  if (observedGeneration !== undefined && observedGeneration >= generation) return undefined;
  return progressing(`waiting for the controller to observe generation ${generation}`, `generation ${generation} not observed yet`);
}

/**
 * Deployment: failed once the controller gave up (Progressing=False, ProgressDeadlineExceeded); rolled out
 * when the controller saw the newest spec, every desired replica is updated and available, and no old
 * or surplus replica is left.
 */
export function deploymentRolloutStatus(deployment: Deployment): RolloutStatus {
  const status = deployment.status ?? {};
  const waiting = notObserved(deployment, status.observedGeneration);
  if (waiting) return waiting;
  const desired = deployment.spec?.replicas ?? 1;
  const total = count(status.replicas);
  const updated = count(status.updatedReplicas);
  const available = count(status.availableReplicas);
  const old = Math.max(0, total - updated);
  const progress = `${updated}/${desired} updated, ${available} available${old > 0 ? `, ${old} old` : ''}`;
  const stalled = conditionOf(status.conditions, 'Progressing');
  if (stalled?.reason === 'ProgressDeadlineExceeded') {
    return { state: 'failed', reason: 'ProgressDeadlineExceeded', message: stalled.message ?? 'the Deployment exceeded its progress deadline', progress };
  }
  const paused = deployment.spec?.paused ? ' (the Deployment is paused)' : '';
  if (updated < desired) return progressing(`${updated} of ${desired} new replicas updated${paused}`, progress);
  if (old > 0) return progressing(`${counted(old, 'old replica')} pending termination${paused}`, progress);
  if (available < updated) return progressing(`${available} of ${updated} updated replicas available${paused}`, progress);
  if (total > desired) return progressing(`${counted(total - desired, 'surplus replica')} pending termination${paused}`, progress);
  return rolledOut(`${available} of ${desired} replicas updated and available`, progress);
}

/**
 * StatefulSet: every desired replica ready, the replicas above the partition updated and, without a
 * partition, the update revision become the current one. OnDelete sets are the user's to roll: done.
 */
export function statefulSetRolloutStatus(statefulSet: StatefulSet): RolloutStatus {
  const status = statefulSet.status ?? {};
  const strategy = statefulSet.spec?.updateStrategy;
  if (strategy?.type === 'OnDelete') return rolledOut('OnDelete update strategy: pods are replaced only when deleted', 'OnDelete');
  // kubectl waits for a first observation too: a new set has observedGeneration 0.
  const waiting = notObserved(statefulSet, status.observedGeneration || undefined);
  if (waiting) return waiting;
  const desired = statefulSet.spec?.replicas ?? 1;
  const ready = count(status.readyReplicas);
  const updated = count(status.updatedReplicas);
  const total = count(status.replicas);
  const partition = Math.max(0, strategy?.rollingUpdate?.partition ?? 0);
  const target = Math.max(0, desired - partition);
  const progress = `${updated}/${target} updated, ${ready}/${desired} ready`;
  if (ready < desired) return progressing(`${ready} of ${desired} replicas ready`, progress);
  if (updated < target) return progressing(`${updated} of ${target} replicas updated${partition > 0 ? ` (partition ${partition})` : ''}`, progress);
  if (total > desired) return progressing(`${counted(total - desired, 'surplus replica')} pending termination`, progress);
  if (partition > 0) return rolledOut(`partitioned rollout complete: ${counted(updated, 'replica')} updated above partition ${partition}`, progress);
  if (status.updateRevision !== undefined && status.updateRevision !== status.currentRevision) {
    return progressing(`waiting for revision ${status.updateRevision} to become current`, progress);
  }
  return rolledOut(`${ready} of ${desired} replicas updated and ready`, progress);
}

/** DaemonSet: the pods of every node the set should run on updated and available. */
export function daemonSetRolloutStatus(daemonSet: DaemonSet): RolloutStatus {
  const status = daemonSet.status ?? {};
  if (daemonSet.spec?.updateStrategy?.type === 'OnDelete') return rolledOut('OnDelete update strategy: pods are replaced only when deleted', 'OnDelete');
  const waiting = notObserved(daemonSet, status.observedGeneration);
  if (waiting) return waiting;
  const desired = count(status.desiredNumberScheduled);
  const updated = count(status.updatedNumberScheduled);
  const available = count(status.numberAvailable);
  const progress = `${updated}/${desired} updated, ${available} available`;
  if (updated < desired) return progressing(`${updated} of ${desired} new pods updated`, progress);
  if (available < desired) return progressing(`${available} of ${desired} updated pods available`, progress);
  return rolledOut(`${available} of ${desired} pods updated and available`, progress);
}

/**
 * Job: failed as soon as the controller decides it (FailureTarget, which comes before Failed since
 * Kubernetes 1.31; BackoffLimitExceeded, DeadlineExceeded, PodFailurePolicy...); done when Complete.
 */
export function jobRolloutStatus(job: Job): RolloutStatus {
  const status = job.status ?? {};
  const completions = job.spec?.completions ?? 1;
  const succeeded = count(status.succeeded);
  const active = count(status.active);
  const failed = count(status.failed);
  const progress = `${succeeded}/${completions} succeeded, ${active} active, ${failed} failed`;
  const failure = trueCondition(status.conditions, 'FailureTarget') ?? trueCondition(status.conditions, 'Failed');
  if (failure)
    return { state: 'failed', reason: failure.reason ?? 'JobFailed', message: failure.message ?? `the Job failed (${failed} failed pods)`, progress };
  if (trueCondition(status.conditions, 'Complete') || trueCondition(status.conditions, 'SuccessCriteriaMet')) {
    return rolledOut(`complete: ${succeeded} of ${completions} succeeded`, progress);
  }
  if (job.spec?.suspend) return progressing('the Job is suspended', progress);
  if (succeeded >= completions && active === 0) return rolledOut(`complete: ${succeeded} of ${completions} succeeded`, progress);
  return progressing(`${succeeded} of ${completions} completions succeeded (${active} active, ${failed} failed)`, progress);
}

const statusOf: Record<WorkloadKind, (object: KubeObject) => RolloutStatus> = {
  Deployment: deploymentRolloutStatus,
  StatefulSet: statefulSetRolloutStatus,
  DaemonSet: daemonSetRolloutStatus,
  Job: jobRolloutStatus,
};

/** The rollout status of a workload object of `kind`. */
export function workloadRolloutStatus(kind: WorkloadKind, object: KubeObject): RolloutStatus {
  return statusOf[kind](object);
}
