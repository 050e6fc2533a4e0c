import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../../packages/core/src/deploy/health/kube-objects.ts';
import {
  assessPod,
  podTermination,
  type PodAssessment,
  type PodMemory,
  type PodProblem,
  type RestartBurst,
} from '../../../../packages/core/src/deploy/health/pod-health.ts';

const fixtures = path.resolve(import.meta.dirname, '../../../fixtures/k8s');
/** A real pod from the sandbox cluster (test/fixtures/k8s/capture.ts). */
const load = (file: string): any => JSON.parse(readFileSync(path.join(fixtures, file), 'utf8'));
/** A real pod with one change KWOK cannot be made to show (there is no kubelet), named in the row. */
const derive = (file: string, change: (pod: any) => void): Pod => {
  const pod = load(file);
  change(pod);
  return pod;
};
const container = (pod: any) => pod.status.containerStatuses[0];

const burst: RestartBurst = { restarts: 3, windowMs: 60_000 };
const first = (pod: Pod, createdDuringWatch = true) => assessPod(pod, undefined, { now: 0, restartBurst: burst, createdDuringWatch });

describe('assessPod on one observation of a captured pod', () => {
  it.each<[string, Pod, PodProblem | undefined, string]>([
    ['pod-ready.json', load('pod-ready.json'), undefined, 'ready'],
    [
      'pod-crashloop.json',
      load('pod-crashloop.json'),
      {
        container: 'app',
        reason: 'CrashLoopBackOff',
        message: 'back-off 10s restarting failed container=app pod=crash-slipway-demo-5ffdcd6567-vmlvx_slipway-rec; restarts 2; last exit: exit code 1 (Error)',
        log: 'previous',
      },
      'container app: CrashLoopBackOff (restarts 2)',
    ],
    [
      'pod-err-image-pull.json',
      load('pod-err-image-pull.json'),
      { container: 'app', reason: 'ErrImagePull', message: 'failed to pull and unpack image "127.0.0.1:5443/slipway/demo:1.0.0": not found', log: 'none' },
      'container app: ErrImagePull',
    ],
    [
      'pod-image-pull-backoff.json',
      load('pod-image-pull-backoff.json'),
      { container: 'app', reason: 'ImagePullBackOff', message: 'Back-off pulling image "127.0.0.1:5443/slipway/demo:1.0.0"', log: 'none' },
      'container app: ImagePullBackOff',
    ],
    ['pod-never-ready.json', load('pod-never-ready.json'), undefined, 'running, not ready (containers with unready status: [app])'],
    // Seen for the first time already exited: no earlier Ready to have lost, and one exit is no burst.
    ['pod-exit-after-terminated.json', load('pod-exit-after-terminated.json'), undefined, 'container app: exited, exit code 1 (Error)'],
    ['pod-exit-after-restarted.json', load('pod-exit-after-restarted.json'), undefined, 'ready'],
    // A Job's pod that ran to completion: the Job decides whether that fails the deploy.
    ['pod-job-failed.json', load('pod-job-failed.json'), undefined, 'container hook: exited, exit code 1 (Error)'],
    [
      'pod-unschedulable.json',
      load('pod-unschedulable.json'),
      undefined,
      "not scheduled: 0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    ],
    ['pod-statefulset.json', load('pod-statefulset.json'), undefined, 'ready'],
    ['pod-daemonset.json', load('pod-daemonset.json'), undefined, 'ready'],
  ])('%s', (_file, pod, problem, summary) => {
    const assessment = first(pod);
    expect(assessment.problem).toEqual(problem);
    expect(assessment.summary).toBe(summary);
  });
});

describe('assessPod on what a kubelet reports and KWOK cannot (derived from captured pods)', () => {
  const waiting = (reason: string, message: string) =>
    derive('pod-image-pull-backoff.json', (p) => {
      container(p).state = { waiting: { reason, message } };
    });
  it.each<[string, Pod, Partial<PodProblem> | undefined]>([
    [
      'CreateContainerConfigError (a missing Secret)',
      waiting('CreateContainerConfigError', 'secret "db-password" not found'),
      { container: 'app', reason: 'CreateContainerConfigError', message: 'secret "db-password" not found', log: 'none' },
    ],
    [
      'InvalidImageName',
      waiting('InvalidImageName', 'Failed to apply default image tag "Demo:1": couldn\'t parse image name'),
      { reason: 'InvalidImageName', log: 'none' },
    ],
    ['ContainerCreating is every pod at first', waiting('ContainerCreating', ''), undefined],
    [
      'OOMKilled, not restarted yet',
      derive('pod-exit-after-terminated.json', (p) => Object.assign(container(p).state.terminated, { reason: 'OOMKilled', exitCode: 137 })),
      { container: 'app', reason: 'OOMKilled', message: 'exit code 137 (OOMKilled)', log: 'current' },
    ],
    [
      'an init container crash-looping',
      derive('pod-crashloop.json', (p) => {
        p.status.initContainerStatuses = [{ ...container(p), name: 'migrate' }];
        p.status.containerStatuses = [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }];
      }),
      { container: 'migrate', reason: 'CrashLoopBackOff', log: 'previous' },
    ],
    [
      'a crash-looping pod being deleted (its containers stop on purpose)',
      derive('pod-crashloop.json', (p) => (p.metadata.deletionTimestamp = '2026-11-24T21:46:00Z')),
      undefined,
    ],
  ])('%s', (_name, pod, problem) => {
    const { problem: found } = first(pod);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatchObject(problem);
  });

  it('names how a failed Job pod ended', () => {
    expect(podTermination(load('pod-job-failed.json'))).toEqual({ container: 'hook', reason: 'Error', message: 'exit code 1 (Error)', log: 'current' });
    expect(podTermination(load('pod-ready.json'))).toBeUndefined();
  });
});

/** Feeds observations to assessPod one tick at a time, as the watch does, and returns each tick's problem reason. */
function step(ticks: readonly { at: number; pod: Pod }[], options: { createdDuringWatch?: boolean; burst?: RestartBurst } = {}): (string | undefined)[] {
  let memory: PodMemory | undefined;
  const reasons: (string | undefined)[] = [];
  for (const { at, pod } of ticks) {
    const assessment: PodAssessment = assessPod(pod, memory, {
      now: at,
      restartBurst: options.burst ?? burst,
      createdDuringWatch: options.createdDuringWatch ?? true,
    });
    memory = assessment.memory;
    reasons.push(assessment.problem?.reason);
  }
  return reasons;
}

/** The exit-after pod (Ready, restarted N times), as KWOK shows it between exits. */
const restarted = (restarts: number): Pod =>
  derive('pod-exit-after-restarted.json', (p) => {
    container(p).restartCount = restarts;
    if (restarts === 0) container(p).lastState = {};
  });

describe('assessPod tick by tick: readiness lost', () => {
  it('fails a pod that was Ready and is not, naming the container that exited', () => {
    const ticks = [
      { at: 0, pod: load('pod-never-ready.json') as Pod },
      { at: 1000, pod: restarted(0) },
      { at: 2000, pod: load('pod-exit-after-terminated.json') as Pod },
      { at: 3000, pod: load('pod-exit-after-restarted.json') as Pod },
    ];
    expect(step(ticks)).toEqual([undefined, undefined, 'ReadinessLost', undefined]);
    const lost = assessPod(
      load('pod-exit-after-terminated.json'),
      assessPod(restarted(0), undefined, { now: 0, restartBurst: burst, createdDuringWatch: true }).memory,
      {
        now: 1000,
        restartBurst: burst,
        createdDuringWatch: true,
      },
    ).problem;
    expect(lost).toEqual({ container: 'app', reason: 'ReadinessLost', message: 'container app exited: exit code 1 (Error)', log: 'current' });
  });

  it('does not fail a pod that never was Ready', () => {
    expect(step([0, 1000, 2000].map((at) => ({ at, pod: load('pod-never-ready.json') as Pod })))).toEqual([undefined, undefined, undefined]);
  });

  it('does not call the end of a Job pod readiness lost', () => {
    const ready = derive('pod-job-failed.json', (p) => {
      p.status.phase = 'Running';
      p.status.conditions = p.status.conditions.map((c: any) => (c.type === 'Ready' ? { ...c, status: 'True' } : c));
      container(p).state = { running: {} };
    });
    expect(
      step([
        { at: 0, pod: ready },
        { at: 1000, pod: load('pod-job-failed.json') },
      ]),
    ).toEqual([undefined, undefined]);
  });

  it('names the Ready condition when no container exited', () => {
    const unready = derive('pod-exit-after-restarted.json', (p) => {
      p.status.conditions = p.status.conditions.map((c: any) =>
        c.type === 'Ready' ? { ...c, status: 'False', message: 'containers with unready status: [app]' } : c,
      );
      container(p).ready = false;
    });
    let memory = assessPod(restarted(0), undefined, { now: 0, restartBurst: burst, createdDuringWatch: true }).memory;
    memory = assessPod(restarted(1), memory, { now: 1, restartBurst: burst, createdDuringWatch: true }).memory;
    expect(assessPod(unready, memory, { now: 2, restartBurst: burst, createdDuringWatch: true }).problem).toEqual({
      container: 'app',
      reason: 'ReadinessLost',
      message: 'containers with unready status: [app]',
      log: 'current',
    });
  });
});

describe('assessPod tick by tick: restart bursts', () => {
  it('fails at the third restart within the window', () => {
    const ticks = [0, 1, 2, 3].map((restarts) => ({ at: restarts * 10_000, pod: restarted(restarts) }));
    expect(step(ticks)).toEqual([undefined, undefined, undefined, 'RestartBurst']);
    let memory: PodMemory | undefined;
    let last: PodAssessment | undefined;
    for (const { at, pod } of ticks) {
      last = assessPod(pod, memory, { now: at, restartBurst: burst, createdDuringWatch: true });
      memory = last.memory;
    }
    expect(last?.problem).toEqual({
      container: 'app',
      reason: 'RestartBurst',
      message: '3 restarts within 60 s (restart count 3); last exit: exit code 1 (Error)',
      log: 'previous',
    });
  });

  it('forgives restarts spread wider than the window', () => {
    const ticks = [0, 1, 2, 3, 4].map((restarts) => ({ at: restarts * 40_000, pod: restarted(restarts) }));
    expect(step(ticks)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('counts several restarts seen in one event', () => {
    expect(
      step([
        { at: 0, pod: restarted(0) },
        { at: 5000, pod: restarted(3) },
      ]),
    ).toEqual([undefined, 'RestartBurst']);
  });

  it('counts the restarts of a pod created during the watch, not those of a pod that was already there', () => {
    expect(step([{ at: 0, pod: restarted(4) }], { createdDuringWatch: true })).toEqual(['RestartBurst']);
    expect(step([{ at: 0, pod: restarted(4) }], { createdDuringWatch: false })).toEqual([undefined]);
    expect(
      step(
        [
          { at: 0, pod: restarted(4) },
          { at: 1000, pod: restarted(5) },
        ],
        { createdDuringWatch: false },
      ),
    ).toEqual([undefined, undefined]);
  });

  it('honours the configured burst', () => {
    const ticks = [0, 1].map((restarts) => ({ at: restarts * 1000, pod: restarted(restarts) }));
    expect(step(ticks, { burst: { restarts: 1, windowMs: 10_000 } })).toEqual([undefined, 'RestartBurst']);
  });

  it('calls a restart that was OOM-killed OOMKilled, but not an old one', () => {
    const oom = derive('pod-exit-after-restarted.json', (p) => Object.assign(container(p).lastState.terminated, { reason: 'OOMKilled', exitCode: 137 }));
    expect(
      step([
        { at: 0, pod: restarted(0) },
        { at: 1000, pod: oom },
      ]),
    ).toEqual([undefined, 'OOMKilled']);
    expect(step([{ at: 0, pod: oom }], { createdDuringWatch: false })).toEqual([undefined]);
  });
});
