import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ExecError, Helm, KubeApi, ProcessRunner, Redactor, type HelmChartRef, type KubeWatch } from '@slipway/core';
import { workloadsInManifest, type WorkloadRef } from '../../../../packages/core/src/deploy/health/rendered-workloads.ts';
import { startRolloutWatch, type RolloutVerdict, type RolloutWatchOptions } from '../../../../packages/core/src/deploy/health/rollout-watch.ts';
import { chartDir, describeSandbox, kubectl, repoRoot, uniqueName, waitFor, type SandboxInfo } from '../../sandbox/sandbox.ts';

const demo: HelmChartRef = { kind: 'path', path: chartDir };
const workloadsChart: HelmChartRef = { kind: 'path', path: path.join(repoRoot, 'test/fixtures/charts/slipway-workloads') };

/** sandbox.json may hold null for a variable the sandbox left unset; a child environment takes strings only. */
function sandboxStrings(sb: SandboxInfo): Record<string, string> {
  return Object.fromEntries(Object.entries(sb.env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

interface PodEvent {
  at: number;
  pod: {
    metadata: { name: string; labels?: Record<string, string> };
    status?: { conditions?: { type: string; status: string }[]; containerStatuses?: { state?: { waiting?: { reason?: string } } }[] };
  };
}

// Slipway's own health watch on the real API server: `helm upgrade --install` without Helm's wait, then
// the verdict, against each KWOK failure mode of the demo chart (test/sandbox/kwok/stages.yaml).
describeSandbox('the rollout health watch against the sandbox cluster', (sb: SandboxInfo) => {
  const ns = uniqueName('health');
  const cancel = new AbortController();
  let api: KubeApi;
  let helm: Helm;
  /** Every pod event of the namespace, with when it arrived: an observer independent of the watch under test. */
  const podEvents: PodEvent[] = [];
  let observer: KubeWatch | undefined;

  beforeAll(async () => {
    await kubectl(sb, ['create', 'namespace', ns]);
    api = await KubeApi.open({ kubeconfigFile: sb.env.KUBECONFIG as string, timeoutMs: 15_000, signal: cancel.signal });
    helm = new Helm(
      new ProcessRunner({ redactor: new Redactor(), log: { command: () => {}, debug: () => {} }, baseEnv: { ...process.env, ...sandboxStrings(sb) } }),
      sb.env.HELM4 as string,
    );
    observer = await api.watch(`/api/v1/namespaces/${ns}/pods`, {}, (event) => podEvents.push({ at: Date.now(), pod: event.object }));
  });
  afterAll(async () => {
    observer?.stop();
    cancel.abort();
    await kubectl(sb, ['delete', 'namespace', ns, '--wait=false']).catch(() => {});
  });

  const target = () => ({ namespace: ns, kubeconfig: sb.env.KUBECONFIG, kubeContext: sb.env.KUBE_CONTEXT });

  /**
   * What the deploy engine does: render, start the watch, `helm upgrade --install` without wait, arm.
   * Returns the verdict, when it came, Helm's failure if any, and the transition lines.
   */
  async function deployAndWatch(
    release: string,
    chart: HelmChartRef,
    set: Record<string, string>,
    options: Partial<RolloutWatchOptions> & { onlyHooks?: boolean } = {},
  ): Promise<{ verdict: RolloutVerdict; verdictAt: number; helmError: unknown; helmDoneAt: number; lines: string[]; workloads: WorkloadRef[] }> {
    const manifest = await helm.template({ release, chart, namespace: ns, set });
    const all = workloadsInManifest(manifest, ns);
    const workloads = options.onlyHooks ? all.filter((workload) => workload.hooks.length > 0) : all;
    const lines: string[] = [];
    const watch = await startRolloutWatch(api, {
      namespace: ns,
      workloads,
      timeoutMs: 20_000,
      signal: cancel.signal,
      onTransition: (line) => lines.push(line),
      ...options,
    });
    let verdictAt = 0;
    void watch.verdict.then(() => {
      verdictAt = Date.now();
    });
    let helmError: unknown;
    try {
      await helm.upgrade({ release, chart, ...target(), set, timeoutMs: 30_000 });
    } catch (error) {
      helmError = error;
    }
    const helmDoneAt = Date.now();
    if (!options.onlyHooks) watch.armed();
    const verdict = await watch.verdict;
    watch.stop();
    return { verdict, verdictAt, helmError, helmDoneAt, lines, workloads };
  }

  const podsOf = (release: string) => podEvents.filter((event) => event.pod.metadata.labels?.['app.kubernetes.io/instance'] === release);
  const crashLooping = (event: PodEvent) =>
    event.pod.status?.containerStatuses?.some((status) => status.state?.waiting?.reason === 'CrashLoopBackOff') ?? false;

  it('healthy chart: healthy soon after its pods are Ready', async () => {
    const { verdict, verdictAt, lines } = await deployAndWatch('ok', demo, { replicas: '2', 'tests.enabled': 'false' });
    expect(verdict).toMatchObject({ status: 'healthy', workloads: ['Deployment/ok-slipway-demo'] });
    const ready = new Map<string, number>();
    for (const event of podsOf('ok'))
      if (event.pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ready.set(event.pod.metadata.name, event.at);
    expect(ready.size).toBe(2);
    const lastReady = Math.max(...ready.values());
    console.info(`healthy: verdict ${verdictAt - lastReady} ms after the last pod became Ready (${verdict.elapsedMs} ms in all)`);
    expect(verdictAt - lastReady).toBeLessThan(1000);
    expect(lines).toContain('Deployment/ok-slipway-demo: rolled out (2/2 updated, 2 available)');
  });

  it('crashloop: fails with CrashLoopBackOff naming the Deployment, pod and container, within a second of the API showing it', async () => {
    const { verdict, verdictAt, lines } = await deployAndWatch('crash', demo, { replicas: '2', 'tests.enabled': 'false', failureMode: 'crashloop' });
    expect(verdict).toMatchObject({ status: 'failed', failure: { workload: 'Deployment/crash-slipway-demo', container: 'app', reason: 'CrashLoopBackOff' } });
    const failure = verdict.status === 'failed' ? verdict.failure : undefined;
    expect(failure?.pod).toMatch(/^crash-slipway-demo-[a-z0-9]+-[a-z0-9]+$/);
    // KWOK has no kubelet: no log line, and no error for it.
    expect(failure?.lastLogLine).toBeUndefined();
    const shown = podsOf('crash').find(crashLooping);
    expect(shown).toBeDefined();
    const delay = verdictAt - (shown?.at ?? 0);
    console.info(
      `crashloop: verdict ${delay} ms after the first CrashLoopBackOff reached an independent watch (${verdict.elapsedMs} ms after the watch started)`,
    );
    expect(delay).toBeLessThan(1000);
    expect(lines.some((line) => /^pod crash-slipway-demo-\S+ container app: CrashLoopBackOff/.test(line))).toBe(true);
  });

  it('watches the API server ends every second: resumed each time, the failure still seen at once', async () => {
    const { verdict, verdictAt } = await deployAndWatch(
      'resume',
      demo,
      { replicas: '1', 'tests.enabled': 'false', failureMode: 'crashloop' },
      { watchTimeoutSeconds: 1 },
    );
    expect(verdict).toMatchObject({ status: 'failed', failure: { workload: 'Deployment/resume-slipway-demo', reason: 'CrashLoopBackOff' } });
    // The first CrashLoopBackOff comes 2 s after the pod: every watch had been resumed at least once by then.
    expect(verdict.elapsedMs).toBeGreaterThan(1500);
    const shown = podsOf('resume').find(crashLooping);
    expect(verdictAt - (shown?.at ?? 0)).toBeLessThan(1000);
  });

  it('image-pull: fails with ErrImagePull or ImagePullBackOff', async () => {
    const { verdict } = await deployAndWatch('pull', demo, { replicas: '1', 'tests.enabled': 'false', failureMode: 'image-pull' });
    expect(verdict).toMatchObject({ status: 'failed', failure: { workload: 'Deployment/pull-slipway-demo', container: 'app' } });
    expect(verdict.status === 'failed' && verdict.failure.reason).toMatch(/^(ErrImagePull|ImagePullBackOff)$/);
  });

  it('never-ready with a short timeout: timed out, naming the Deployment and the pod that is not ready', async () => {
    const { verdict } = await deployAndWatch('unready', demo, { replicas: '1', 'tests.enabled': 'false', failureMode: 'never-ready' }, { timeoutMs: 3000 });
    expect(verdict.status).toBe('timed-out');
    const pending = verdict.status === 'timed-out' ? verdict.pending : [];
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatch(/^Deployment\/unready-slipway-demo: 0 of 1 updated replicas available \(pod unready-slipway-demo-\S+: running, not ready/);
  });

  it('an upgrade from healthy to crashloop fails on the new pods, not the old ones', async () => {
    expect((await deployAndWatch('flip', demo, { replicas: '2', 'tests.enabled': 'false', version: 'v1' })).verdict.status).toBe('healthy');
    const oldPods = new Set(podsOf('flip').map((event) => event.pod.metadata.name));
    const { verdict } = await deployAndWatch('flip', demo, { replicas: '2', 'tests.enabled': 'false', version: 'v2', failureMode: 'crashloop' });
    expect(verdict).toMatchObject({ status: 'failed', failure: { workload: 'Deployment/flip-slipway-demo', reason: 'CrashLoopBackOff' } });
    const pod = verdict.status === 'failed' ? (verdict.failure.pod ?? '') : '';
    expect(oldPods.has(pod)).toBe(false);
  });

  it('a healthy upgrade of a crash-looping release is judged on its new pods only', async () => {
    await helm.upgrade({ release: 'fix', chart: demo, ...target(), set: { replicas: '2', 'tests.enabled': 'false', failureMode: 'crashloop' } });
    await waitFor('the release to crash-loop', async () => (podsOf('fix').some(crashLooping) ? true : undefined), { timeoutMs: 15_000 });
    const { verdict } = await deployAndWatch('fix', demo, { replicas: '2', 'tests.enabled': 'false', version: 'fixed' });
    expect(verdict).toMatchObject({ status: 'healthy', workloads: ['Deployment/fix-slipway-demo'] });
  });

  it('started after Helm returned and armed at once (as the engine verifies): judges the revision Helm applied', async () => {
    await helm.upgrade({ release: 'late', chart: demo, ...target(), set: { replicas: '2', 'tests.enabled': 'false', version: 'v1' } });
    await waitFor(
      'revision 1 to be Ready',
      async () =>
        podsOf('late').filter((e) => e.pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= 2 ? true : undefined,
      {
        timeoutMs: 15_000,
      },
    );
    const oldPods = new Set(podsOf('late').map((event) => event.pod.metadata.name));
    const set = { replicas: '2', 'tests.enabled': 'false', version: 'v2', failureMode: 'crashloop' };
    const workloads = workloadsInManifest(await helm.template({ release: 'late', chart: demo, namespace: ns, set }), ns);
    await helm.upgrade({ release: 'late', chart: demo, ...target(), set });
    const watch = await startRolloutWatch(api, { namespace: ns, workloads, timeoutMs: 20_000, signal: cancel.signal });
    watch.armed();
    const verdict = await watch.verdict;
    expect(verdict).toMatchObject({ status: 'failed', failure: { workload: 'Deployment/late-slipway-demo', reason: 'CrashLoopBackOff' } });
    expect(oldPods.has(verdict.status === 'failed' ? (verdict.failure.pod ?? '') : '')).toBe(false);
  });

  it('a failing pre-install hook Job: failed, naming the Job, its pod and container', async () => {
    const { verdict, verdictAt, helmError, helmDoneAt, workloads } = await deployAndWatch(
      'hook',
      workloadsChart,
      { 'hookJob.enabled': 'true', 'hookJob.failureMode': 'exit-after' },
      { onlyHooks: true },
    );
    expect(workloads).toEqual([{ kind: 'Job', name: 'hook-pre-upgrade', namespace: ns, hooks: ['pre-install', 'pre-upgrade'] }]);
    expect(helmError).toBeInstanceOf(ExecError);
    expect(verdict).toMatchObject({
      status: 'failed',
      failure: {
        workload: 'Job/hook-pre-upgrade',
        container: 'hook',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit; container hook: exit code 1 (Error)',
      },
    });
    expect(verdict.status === 'failed' && verdict.failure.pod).toMatch(/^hook-pre-upgrade-/);
    console.info(`hook Job: verdict ${helmDoneAt - verdictAt} ms before helm upgrade exited`);
  });

  it('ProgressDeadlineExceeded: failed once the controller gives up', async () => {
    const { verdict } = await deployAndWatch('stuck', workloadsChart, { 'deployment.failureMode': 'never-ready', 'deployment.progressDeadlineSeconds': '2' });
    expect(verdict).toMatchObject({ status: 'failed', failure: { workload: 'Deployment/stuck-web', reason: 'ProgressDeadlineExceeded' } });
  });

  it('a StatefulSet, a DaemonSet and a Job of the release: healthy once all are rolled out and complete', async () => {
    const { verdict } = await deployAndWatch('sets', workloadsChart, {
      'deployment.enabled': 'false',
      'statefulSet.enabled': 'true',
      'daemonSet.enabled': 'true',
      'job.enabled': 'true',
    });
    expect(verdict).toMatchObject({ status: 'healthy' });
    expect(verdict.status === 'healthy' && [...verdict.workloads].sort()).toEqual(['DaemonSet/sets-agent', 'Job/sets-migrate', 'StatefulSet/sets-db']);
  });

  it('an upgrade of that StatefulSet to crash-looping pods fails on the pod of its update revision', async () => {
    const { verdict } = await deployAndWatch('sets', workloadsChart, {
      'deployment.enabled': 'false',
      'statefulSet.enabled': 'true',
      'statefulSet.failureMode': 'crashloop',
      'daemonSet.enabled': 'true',
      version: 'v2',
    });
    // The StatefulSet replaces its highest ordinal first.
    expect(verdict).toMatchObject({
      status: 'failed',
      failure: { workload: 'StatefulSet/sets-db', pod: 'sets-db-1', container: 'db', reason: 'CrashLoopBackOff' },
    });
  });
});
