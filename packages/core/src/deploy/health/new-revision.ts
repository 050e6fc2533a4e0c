import { controllerOf, count, type DaemonSet, type Deployment, type KubeObject, type Pod, type ReplicaSet, type StatefulSet } from './kube-objects.ts';
import type { WorkloadKind } from './rendered-workloads.ts';

/**
 * What the watch knows about time, for deciding which objects belong to the revision being deployed:
 * only its pods may fail the deploy, never an old pod being replaced or one of a revision that was
 * already broken before.
 */
export interface RevisionContext {
  /** The uid and generation of every object in the first list, when the watch started (before Helm ran). */
  initial: ReadonlyMap<string, number>;
  /**
   * Once armed (Helm returned): the workload as the API server had it then. An object with that uid is
   * new enough from that generation on, and one with another uid only if it was created after that.
   */
  floor: ArmedFloor | undefined;
  /** The workload is a Helm hook (only its runs during this deploy count). */
  hook: boolean;
}

export interface ArmedFloor {
  /** Undefined when the workload did not exist then. */
  uid: string | undefined;
  generation: number;
  /** The object with this uid was first seen after Helm returned. */
  createdAfter: (uid: string) => boolean;
}

const revisionAnnotation = 'deployment.kubernetes.io/revision';
const daemonSetGenerationAnnotation = 'deprecated.daemonset.template.generation';

/**
 * The workload object describes the spec this deploy applied, and its controller has acted on it: it
 * was created during the watch, its generation rose during the watch, or (once armed) it is at least
 * what the API server held when Helm returned. Before that, its status and its newest pods may still
 * be the previous revision's, which must neither fail nor pass the deploy.
 */
export function workloadRevisionIsNew(kind: WorkloadKind, object: KubeObject, context: RevisionContext): boolean {
  const uid = object.metadata?.uid ?? '';
  const generation = count(object.metadata?.generation);
  if (kind !== 'Job' && !observed(object)) return false;
  const { floor } = context;
  if (floor && !context.hook) return floor.uid === uid ? generation >= floor.generation : floor.createdAfter(uid);
  const initialGeneration = context.initial.get(uid);
  if (initialGeneration === undefined) return true;
  // A Job's spec cannot change: only a new one (a hook Helm re-created) is this deploy's.
  return kind !== 'Job' && generation > initialGeneration;
}

/** The Deployment's newest ReplicaSet: the one it owns whose revision annotation is the Deployment's own (what the controller scales up). */
export function newestReplicaSet(deployment: Deployment, replicaSets: Iterable<ReplicaSet>): ReplicaSet | undefined {
  const uid = deployment.metadata?.uid;
  const owned = [...replicaSets].filter((set) => uid !== undefined && controllerOf(set)?.uid === uid);
  const wanted = deployment.metadata?.annotations?.[revisionAnnotation];
  const exact = owned.find((set) => wanted !== undefined && set.metadata?.annotations?.[revisionAnnotation] === wanted);
  if (exact) return exact;
  const revisionOf = (set: ReplicaSet) => Number(set.metadata?.annotations?.[revisionAnnotation] ?? 0) || 0;
  return owned.reduce<ReplicaSet | undefined>((best, set) => (best === undefined || revisionOf(set) > revisionOf(best) ? set : best), undefined);
}

/**
 * Whether a pod of the workload belongs to the revision being deployed. When the workload's new
 * revision is known (see {@link workloadRevisionIsNew}) a pod belongs by its template: the newest
 * ReplicaSet's, the StatefulSet's update revision (`controller-revision-hash`), the DaemonSet's template
 * generation (`pod-template-generation`), or any pod of a Job of this deploy. Until then, only a pod
 * created during the watch does, and not one made from the template the workload had when the watch
 * started (a replacement, or a rollout of the previous revision still going): that one is not this
 * deploy's either.
 */
export function podIsNewRevision(
  kind: WorkloadKind,
  workload: KubeObject | undefined,
  pod: Pod,
  replicaSets: Iterable<ReplicaSet>,
  context: RevisionContext,
): boolean {
  if (kind === 'Job') return workload !== undefined && workloadRevisionIsNew(kind, workload, context);
  const createdDuringWatch = !context.initial.has(pod.metadata?.uid ?? '');
  if (!workload) return createdDuringWatch;
  if (workloadRevisionIsNew(kind, workload, context)) return podOfCurrentTemplate(kind, workload, pod, replicaSets) ?? createdDuringWatch;
  const unchanged = context.initial.get(workload.metadata?.uid ?? '') === count(workload.metadata?.generation) && observed(workload);
  return createdDuringWatch && !(unchanged && podOfCurrentTemplate(kind, workload, pod, replicaSets) === true);
}

/** Whether the pod was made from the template the workload's controller rolls out now; undefined when that cannot be told. */
function podOfCurrentTemplate(kind: Exclude<WorkloadKind, 'Job'>, workload: KubeObject, pod: Pod, replicaSets: Iterable<ReplicaSet>): boolean | undefined {
  const labels = pod.metadata?.labels ?? {};
  switch (kind) {
    case 'Deployment': {
      const newest = newestReplicaSet(workload as Deployment, replicaSets);
      return newest ? controllerOf(pod)?.uid === newest.metadata?.uid : undefined;
    }
    case 'StatefulSet': {
      const revision = (workload as StatefulSet).status?.updateRevision;
      return revision ? labels['controller-revision-hash'] === revision : undefined;
    }
    case 'DaemonSet': {
      const generation = workload.metadata?.annotations?.[daemonSetGenerationAnnotation];
      return generation ? labels['pod-template-generation'] === generation : undefined;
    }
  }
}

function observed(workload: KubeObject): boolean {
  const status = (workload as Deployment | StatefulSet | DaemonSet).status;
  return status?.observedGeneration !== undefined && status.observedGeneration >= count(workload.metadata?.generation);
}
