import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject, Pod, ReplicaSet } from '../../../../packages/core/src/deploy/health/kube-objects.ts';
import {
  newestReplicaSet,
  podIsNewRevision,
  workloadRevisionIsNew,
  type ArmedFloor,
  type RevisionContext,
} from '../../../../packages/core/src/deploy/health/new-revision.ts';
import type { WorkloadKind } from '../../../../packages/core/src/deploy/health/rendered-workloads.ts';

const fixtures = path.resolve(import.meta.dirname, '../../../fixtures/k8s');
/** A real object from the sandbox cluster (test/fixtures/k8s/capture.ts). */
const load = (file: string): any => JSON.parse(readFileSync(path.join(fixtures, file), 'utf8'));
const derive = (file: string, change: (object: any) => void): any => {
  const object = load(file);
  change(object);
  return object;
};
const uid = (object: KubeObject) => object.metadata?.uid as string;

// The rollout captured mid-way: revision 2 (never-ready pods) replacing revision 1.
const deployment = load('deployment-mid-rollout.json');
const replicaSets: ReplicaSet[] = [load('replicaset-old.json'), load('replicaset-new.json')];
const newPod: Pod = load('pod-never-ready.json');
const oldPod: Pod = load('pod-ready.json');

/** What the first list held: these objects, at these generations. */
const listed = (...entries: [KubeObject, number][]) => new Map(entries.map(([object, generation]) => [uid(object), generation]));
const context = (initial: Map<string, number>, extra: Partial<RevisionContext> = {}): RevisionContext => ({ initial, floor: undefined, hook: false, ...extra });
const floor = (object: KubeObject | undefined, generation: number, createdAfter: string[] = []): ArmedFloor => ({
  uid: object ? uid(object) : undefined,
  generation,
  createdAfter: (candidate) => createdAfter.includes(candidate),
});

describe('newestReplicaSet', () => {
  it("picks the ReplicaSet whose revision is the Deployment's", () => {
    expect(newestReplicaSet(deployment, replicaSets)?.metadata?.name).toBe('demo-slipway-demo-65fcb485c8');
    expect(newestReplicaSet(deployment, [...replicaSets].reverse())?.metadata?.name).toBe('demo-slipway-demo-65fcb485c8');
  });

  it('falls back to the highest revision it owns, and ignores sets it does not own', () => {
    const noAnnotation = derive('deployment-mid-rollout.json', (d) => delete d.metadata.annotations['deployment.kubernetes.io/revision']);
    expect(newestReplicaSet(noAnnotation, replicaSets)?.metadata?.name).toBe('demo-slipway-demo-65fcb485c8');
    const other = derive('deployment-mid-rollout.json', (d) => (d.metadata.uid = 'another'));
    expect(newestReplicaSet(other, replicaSets)).toBeUndefined();
  });
});

describe('workloadRevisionIsNew', () => {
  it.each<[string, WorkloadKind, KubeObject, RevisionContext, boolean]>([
    ['a Deployment whose generation rose during the watch', 'Deployment', deployment, context(listed([deployment, 1])), true],
    ['a Deployment as it was when the watch started (Helm has not applied yet)', 'Deployment', deployment, context(listed([deployment, 2])), false],
    ['a Deployment created during the watch (first install)', 'Deployment', deployment, context(listed()), true],
    ['a new spec the controller has not observed', 'Deployment', load('deployment-generation-not-observed.json'), context(listed()), false],
    ['armed: the generation Helm left', 'Deployment', deployment, context(listed([deployment, 2]), { floor: floor(deployment, 2) }), true],
    ['armed: older than what Helm left (a late event)', 'Deployment', deployment, context(listed([deployment, 1]), { floor: floor(deployment, 3) }), false],
    ['armed: another object of that name, seen before Helm returned', 'Deployment', deployment, context(listed(), { floor: floor(undefined, 0) }), false],
    ['armed: another object of that name, created after', 'Deployment', deployment, context(listed(), { floor: floor(undefined, 0, [uid(deployment)]) }), true],
    ['a StatefulSet whose generation rose', 'StatefulSet', load('statefulset-updating.json'), context(listed([load('statefulset-updating.json'), 1])), true],
    ['a DaemonSet as it was', 'DaemonSet', load('daemonset-updating.json'), context(listed([load('daemonset-updating.json'), 2])), false],
    ['a hook Job Helm (re)created during the watch', 'Job', load('job-failed-backoff-limit.json'), context(listed(), { hook: true }), true],
    [
      'a hook Job left from an earlier run',
      'Job',
      load('job-failed-backoff-limit.json'),
      context(listed([load('job-failed-backoff-limit.json'), 1]), { hook: true }),
      false,
    ],
    [
      'a hook Job left from an earlier run, even once armed',
      'Job',
      load('job-failed-backoff-limit.json'),
      context(listed([load('job-failed-backoff-limit.json'), 1]), { hook: true, floor: floor(load('job-failed-backoff-limit.json'), 1) }),
      false,
    ],
    [
      "armed: the release's own Job, unchanged since the last release",
      'Job',
      load('job-complete.json'),
      context(listed([load('job-complete.json'), 1]), { floor: floor(load('job-complete.json'), 1) }),
      true,
    ],
  ])('%s', (_name, kind, object, revisionContext, expected) => {
    expect(workloadRevisionIsNew(kind, object, revisionContext)).toBe(expected);
  });
});

describe('podIsNewRevision', () => {
  const statefulSet = load('statefulset-updating.json');
  const daemonSet = load('daemonset-updating.json');
  const job = load('job-failed-backoff-limit.json');
  it.each<[string, WorkloadKind, KubeObject | undefined, Pod, RevisionContext, boolean]>([
    ["the new ReplicaSet's pod, once the revision is known", 'Deployment', deployment, newPod, context(listed([deployment, 1], [newPod, 0])), true],
    ["the old ReplicaSet's pod, once the revision is known", 'Deployment', deployment, oldPod, context(listed([deployment, 1])), false],
    [
      'before the revision is known: a pod created during the watch, the Deployment not observed yet',
      'Deployment',
      load('deployment-generation-not-observed.json'),
      newPod,
      context(listed([deployment, 2], [oldPod, 0])),
      true,
    ],
    [
      'before the revision is known: a pod of a rollout that was already going when the watch started',
      'Deployment',
      deployment,
      newPod,
      context(listed([deployment, 2], [oldPod, 0])),
      false,
    ],
    [
      'before the revision is known: a replacement pod of the revision that was running',
      'Deployment',
      load('deployment-rolled-out.json'),
      oldPod,
      context(listed([load('deployment-rolled-out.json'), 1])),
      false,
    ],
    ['before the revision is known: a pod that was there already', 'Deployment', deployment, oldPod, context(listed([deployment, 2], [oldPod, 0])), false],
    ['no Deployment seen yet: a pod created during the watch', 'Deployment', undefined, newPod, context(listed()), true],
    ['a StatefulSet pod of the current (old) revision', 'StatefulSet', statefulSet, load('pod-statefulset.json'), context(listed([statefulSet, 1])), false],
    [
      'a StatefulSet pod of the update revision',
      'StatefulSet',
      statefulSet,
      derive('pod-statefulset.json', (p) => (p.metadata.labels['controller-revision-hash'] = 'sets-db-76586f7874')),
      context(listed([statefulSet, 1])),
      true,
    ],
    ['a DaemonSet pod of template generation 1', 'DaemonSet', daemonSet, load('pod-daemonset.json'), context(listed([daemonSet, 1])), false],
    [
      'a DaemonSet pod of template generation 2',
      'DaemonSet',
      daemonSet,
      derive('pod-daemonset.json', (p) => (p.metadata.labels['pod-template-generation'] = '2')),
      context(listed([daemonSet, 1])),
      true,
    ],
    ["a hook Job's pod, the Job new", 'Job', job, load('pod-job-failed.json'), context(listed(), { hook: true }), true],
    ["a hook Job's pod, the Job from an earlier run", 'Job', job, load('pod-job-failed.json'), context(listed([job, 1]), { hook: true }), false],
    ['a Job pod whose Job is not seen yet', 'Job', undefined, load('pod-job-failed.json'), context(listed(), { hook: true }), false],
  ])('%s', (_name, kind, workload, pod, revisionContext, expected) => {
    expect(podIsNewRevision(kind, workload, pod, replicaSets, revisionContext)).toBe(expected);
  });
});
