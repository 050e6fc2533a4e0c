import { afterAll, beforeAll, expect, it } from 'vitest';
import { chartDir, describeSandbox, kubectl, kubectlJson, podReady, runOk, uniqueName, waitFor, type PodList, type SandboxInfo } from './sandbox.ts';
import { FAILURE_MODE, container, createPod, getPod, readyCondition, requireLoadedStages, type StagedPod } from './kwok-stages.ts';

// Issue #11: failure mode slow-start of test/sandbox/kwok/stages.yaml (healthy, but Ready only after
// annotation sandbox.slipway.dev/ready-after). Needs a sandbox whose cluster was created from the
// issue #11 stages.
//
// Timing is asserted on the pod's own timestamps where it can be: kwok sets status.startTime when it
// starts the containers and the Ready condition's lastTransitionTime when it makes the pod Ready; both
// are whole seconds, truncated, so for a whole-second readyAfter N their difference is >= N exactly,
// however slowly this test polls. The only client-side bound is waitFor's timeout.
describeSandbox('sandbox KWOK slow-start', (sb: SandboxInfo) => {
  const ns = uniqueName('slow-start');
  beforeAll(async () => {
    requireLoadedStages(sb, ['slipway-pod-slow-start-ready']);
    await kubectl(sb, ['create', 'namespace', ns]);
  });
  afterAll(async () => {
    await kubectl(sb, ['delete', 'namespace', ns, '--wait=false']).catch(() => {});
  });

  /** The first state seen once the containers run, then the Ready pod. */
  async function watchSlowStart(what: string, get: () => Promise<StagedPod | undefined>, readyAfterS: number) {
    const started = await waitFor(`${what}: containers started`, async () => {
      const p = await get();
      return p?.status.phase === 'Running' ? p : undefined;
    });
    const ready = await waitFor(
      `${what}: Ready`,
      async () => {
        const p = await get();
        return p && podReady(p) ? p : undefined;
      },
      { timeoutMs: readyAfterS * 1000 + 20_000, intervalMs: 200 },
    );
    return { started, ready };
  }

  function expectStartedNotReady(p: StagedPod) {
    expect(p.status.phase).toBe('Running');
    expect(podReady(p)).toBe(false);
    expect(readyCondition(p)?.status).toBe('False');
    expect(container(p)?.started).toBe(true);
    expect(container(p)?.state?.running).toBeDefined();
    expect(container(p)?.ready).toBe(false);
  }

  function expectReadyAfter(p: StagedPod, readyAfterS: number) {
    expect(p.status.phase).toBe('Running');
    expect(container(p)?.ready).toBe(true);
    expect(container(p)?.restartCount).toBe(0);
    const startedAt = Date.parse(p.status.startTime ?? '');
    const readyAt = Date.parse(readyCondition(p)?.lastTransitionTime ?? '');
    expect(Number.isNaN(startedAt) || Number.isNaN(readyAt)).toBe(false);
    // The container kept running from the start: same startedAt as the pod's startTime.
    expect(Date.parse(container(p)?.state?.running?.startedAt ?? '')).toBe(startedAt);
    expect(readyAt - startedAt).toBeGreaterThanOrEqual(readyAfterS * 1000);
  }

  it('chart failureMode=slow-start: Running with Ready=False first, Ready after readyAfter', async () => {
    await runOk(sb, sb.env.HELM3!, ['install', 'slow', chartDir, '-n', ns, '--set', 'replicas=1,tests.enabled=false,failureMode=slow-start,readyAfter=4s']);
    const get = async () =>
      (await kubectlJson<PodList>(sb, ['get', 'pods', '-n', ns, '-l', 'app.kubernetes.io/instance=slow'])).items[0] as StagedPod | undefined;
    const { started, ready } = await watchSlowStart('chart pod', get, 4);
    expect(started.metadata.labels?.[FAILURE_MODE]).toBe('slow-start');
    expect(started.metadata.annotations?.['sandbox.slipway.dev/ready-after']).toBe('4s');
    expectStartedNotReady(started);
    expectReadyAfter(ready, 4);
    // The Deployment counts it available once Ready.
    await waitFor('an available replica', async () => {
      const d = await kubectlJson<{ status: { availableReplicas?: number } }>(sb, ['get', 'deployment', 'slow-slipway-demo', '-n', ns]);
      return (d.status.availableReplicas ?? 0) === 1 ? true : undefined;
    });
  });

  it('slow-start by annotation only, without ready-after: Ready after the default 5s', async () => {
    await createPod(sb, ns, 'slow-default', { annotations: { [FAILURE_MODE]: 'slow-start' } });
    const { started, ready } = await watchSlowStart('bare pod', () => getPod(sb, ns, 'slow-default'), 5);
    expect(started.metadata.labels?.[FAILURE_MODE]).toBeUndefined();
    expectStartedNotReady(started);
    expectReadyAfter(ready, 5);
  });
});
