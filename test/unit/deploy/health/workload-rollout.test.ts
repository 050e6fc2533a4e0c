import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../packages/core/src/deploy/health/kube-objects.ts';
import type { WorkloadKind } from '../../../../packages/core/src/deploy/health/rendered-workloads.ts';
import { workloadRolloutStatus, type RolloutStatus } from '../../../../packages/core/src/deploy/health/workload-rollout.ts';

const fixtures = path.resolve(import.meta.dirname, '../../../fixtures/k8s');
/** A real object from the sandbox cluster (test/fixtures/k8s/capture.ts). */
const load = (file: string): any => JSON.parse(readFileSync(path.join(fixtures, file), 'utf8'));
/** A real object with one change a KWOK cluster cannot be made to show, named in the row. */
const derive = (file: string, change: (object: any) => void): any => {
  const object = load(file);
  change(object);
  return object;
};

describe('workloadRolloutStatus on objects captured from the sandbox', () => {
  it.each<[string, WorkloadKind, string, Partial<RolloutStatus>]>([
    [
      'deployment-rolled-out.json',
      'Deployment',
      'complete',
      { state: 'rolled-out', message: '2 of 2 replicas updated and available', progress: '2/2 updated, 2 available' },
    ],
    [
      'deployment-generation-not-observed.json',
      'Deployment',
      'PATCH answer: generation 2, observed 1',
      { state: 'progressing', message: 'waiting for the controller to observe generation 2' },
    ],
    [
      'deployment-mid-rollout.json',
      'Deployment',
      'one new replica of two, old ones still up',
      { state: 'progressing', message: '1 of 2 new replicas updated', progress: '1/2 updated, 2 available, 2 old' },
    ],
    ['deployment-crashloop.json', 'Deployment', 'updated but never available', { state: 'progressing', message: '0 of 1 updated replicas available' }],
    [
      'deployment-progress-deadline-exceeded.json',
      'Deployment',
      'Progressing=False',
      { state: 'failed', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "stuck-web-7dd96c9f9" has timed out progressing.' } as Partial<RolloutStatus>,
    ],
    ['statefulset-rolled-out.json', 'StatefulSet', 'complete', { state: 'rolled-out', message: '2 of 2 replicas updated and ready' }],
    [
      'statefulset-updating.json',
      'StatefulSet',
      'highest ordinal updated, never ready',
      { state: 'progressing', message: '1 of 2 replicas ready', progress: '1/2 updated, 1/2 ready' },
    ],
    ['daemonset-rolled-out.json', 'DaemonSet', 'complete', { state: 'rolled-out', message: '3 of 3 pods updated and available' }],
    [
      'daemonset-updating.json',
      'DaemonSet',
      'one node updated',
      { state: 'progressing', message: '1 of 3 new pods updated', progress: '1/3 updated, 2 available' },
    ],
    ['job-complete.json', 'Job', 'Complete=True', { state: 'rolled-out', message: 'complete: 1 of 1 succeeded' }],
    [
      'job-failed-backoff-limit.json',
      'Job',
      'FailureTarget/Failed',
      { state: 'failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' } as Partial<RolloutStatus>,
    ],
    [
      'job-failed-deadline-exceeded.json',
      'Job',
      'activeDeadlineSeconds',
      { state: 'failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' } as Partial<RolloutStatus>,
    ],
  ])('%s (%s: %s)', (file, kind, _what, expected) => {
    expect(workloadRolloutStatus(kind, load(file) as KubeObject)).toMatchObject(expected);
  });
});

describe('workloadRolloutStatus on the cases kubectl and kstatus single out (derived from captured objects)', () => {
  it.each<[string, WorkloadKind, KubeObject, Partial<RolloutStatus>]>([
    [
      'an old replica left after all new ones are up',
      'Deployment',
      derive('deployment-mid-rollout.json', (d) => Object.assign(d.status, { updatedReplicas: 2, replicas: 3, availableReplicas: 3 })),
      { state: 'progressing', message: '1 old replica pending termination' },
    ],
    [
      'a surplus new replica (scaled down during the rollout)',
      'Deployment',
      derive('deployment-rolled-out.json', (d) => Object.assign(d.status, { updatedReplicas: 3, replicas: 3, availableReplicas: 3 })),
      { state: 'progressing', message: '1 surplus replica pending termination' },
    ],
    [
      'a paused Deployment says so',
      'Deployment',
      derive('deployment-mid-rollout.json', (d) => (d.spec.paused = true)),
      { state: 'progressing', message: '1 of 2 new replicas updated (the Deployment is paused)' },
    ],
    [
      'a Deployment the controller has not seen at all',
      'Deployment',
      derive('deployment-rolled-out.json', (d) => delete d.status),
      { state: 'progressing', message: 'waiting for the controller to observe generation 1' },
    ],
    [
      'a stale ProgressDeadlineExceeded on a spec not yet observed is not a failure yet',
      'Deployment',
      derive('deployment-progress-deadline-exceeded.json', (d) => (d.metadata.generation = 2)),
      { state: 'progressing' },
    ],
    [
      'zero replicas',
      'Deployment',
      derive('deployment-rolled-out.json', (d) => {
        d.spec.replicas = 0;
        d.status = { observedGeneration: 1 };
      }),
      { state: 'rolled-out' },
    ],
    [
      'a StatefulSet all ready but the update revision not current yet',
      'StatefulSet',
      derive('statefulset-updating.json', (s) => Object.assign(s.status, { readyReplicas: 2, updatedReplicas: 2 })),
      { state: 'progressing', message: 'waiting for revision sets-db-76586f7874 to become current' },
    ],
    [
      'a partitioned StatefulSet done above its partition',
      'StatefulSet',
      derive('statefulset-updating.json', (s) => {
        s.spec.updateStrategy.rollingUpdate = { partition: 1 };
        s.status.readyReplicas = 2;
      }),
      { state: 'rolled-out', message: 'partitioned rollout complete: 1 replica updated above partition 1' },
    ],
    [
      'a partitioned StatefulSet not yet done above its partition',
      'StatefulSet',
      derive('statefulset-updating.json', (s) => {
        s.spec.updateStrategy.rollingUpdate = { partition: 0 };
        s.status.readyReplicas = 2;
        s.status.updatedReplicas = 1;
      }),
      { state: 'progressing', message: '1 of 2 replicas updated' },
    ],
    [
      'an OnDelete StatefulSet',
      'StatefulSet',
      derive('statefulset-updating.json', (s) => (s.spec.updateStrategy = { type: 'OnDelete' })),
      { state: 'rolled-out' },
    ],
    [
      'a new StatefulSet (observedGeneration 0)',
      'StatefulSet',
      derive('statefulset-rolled-out.json', (s) => (s.status = { observedGeneration: 0 })),
      { state: 'progressing', message: 'waiting for the controller to observe generation 1' },
    ],
    [
      'a DaemonSet updated everywhere but not yet available',
      'DaemonSet',
      derive('daemonset-updating.json', (d) => (d.status.updatedNumberScheduled = 3)),
      { state: 'progressing', message: '2 of 3 updated pods available' },
    ],
    ['an OnDelete DaemonSet', 'DaemonSet', derive('daemonset-updating.json', (d) => (d.spec.updateStrategy = { type: 'OnDelete' })), { state: 'rolled-out' }],
    [
      'a running Job',
      'Job',
      derive('job-complete.json', (j) => (j.status = { active: 1, startTime: j.status.startTime })),
      { state: 'progressing', message: '0 of 1 completions succeeded (1 active, 0 failed)' },
    ],
    [
      'a suspended Job',
      'Job',
      derive('job-complete.json', (j) => {
        j.spec.suspend = true;
        j.status = {};
      }),
      { state: 'progressing', message: 'the Job is suspended' },
    ],
    [
      'a Job that failed only a FailureTarget so far (pods still terminating)',
      'Job',
      derive('job-failed-backoff-limit.json', (j) => (j.status.conditions = j.status.conditions.filter((c: any) => c.type === 'FailureTarget'))),
      { state: 'failed', reason: 'BackoffLimitExceeded' } as Partial<RolloutStatus>,
    ],
  ])('%s', (_name, kind, object, expected) => {
    expect(workloadRolloutStatus(kind, object)).toMatchObject(expected);
  });
});
