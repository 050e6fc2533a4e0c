import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  applyCanary,
  canaryReplicas,
  CanaryNameTakenError,
  type CanaryPlan,
  deriveCanary,
  KubeApi,
  listCanaryLeftovers,
  removeCanary,
  scaleCanary,
  type TrafficProvider,
} from '@slipway/core';
import { chartDir, describeSandbox, kubectl, kubectlJson, repoRoot, runOk, type SandboxInfo, uniqueName, waitFor } from '../sandbox/sandbox.ts';

type Json = any;
const configChart = `${repoRoot}/test/fixtures/charts/slipway-canary-config`;

describeSandbox('canary objects against the sandbox (derive, apply, scale, remove)', (sb: SandboxInfo) => {
  const namespace = uniqueName('canary-objects');
  const helm = (args: string[]) => runOk(sb, sb.env.HELM4 as string, [...args, '--namespace', namespace], { timeoutMs: 120_000 });
  const template = (release: string, chart: string, set: string) => helm(['template', release, chart, '--set', set]);
  const plan = async (release: string, chart: string, set: string, provider: TrafficProvider): Promise<CanaryPlan> =>
    deriveCanary(await template(release, chart, set), { release, namespace, provider, runId: 'it-run-1' });
  let api: KubeApi;

  beforeAll(async () => {
    await kubectl(sb, ['create', 'namespace', namespace]);
    api = await KubeApi.open({ kubeconfigFile: sb.env.KUBECONFIG ?? '', timeoutMs: 15_000, signal: new AbortController().signal });
  });
  afterAll(async () => {
    await kubectl(sb, ['delete', 'namespace', namespace, '--wait=false']);
  });

  const pods = async (selector: string): Promise<Json[]> => (await kubectlJson<Json>(sb, ['get', 'pods', '-n', namespace, '-l', selector])).items;
  const ready = (pod: Json) => (pod.status?.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True');
  const readyPods = (selector: string, count: number) =>
    waitFor(
      `${count} ready pods (${selector})`,
      async () => {
        const found = (await pods(selector)).filter((p) => !p.metadata.deletionTimestamp);
        return found.length === count && found.every(ready) ? found : undefined;
      },
      { timeoutMs: 60_000 },
    );
  /** The pod names behind a Service, as the EndpointSlice controller sees them. */
  const endpointPods = async (service: string): Promise<string[]> => {
    const slices: Json[] = (await kubectlJson<Json>(sb, ['get', 'endpointslices', '-n', namespace, '-l', `kubernetes.io/service-name=${service}`])).items;
    return slices.flatMap((s) => (s.endpoints ?? []).map((e: Json) => e.targetRef?.name)).sort();
  };

  it('replicas: canary pods come up beside stable, the stable Service selects both, scale and remove leave nothing', async () => {
    await helm(['upgrade', '--install', 'demo', chartDir, '--set', 'replicas=2,tests.enabled=false,version=v1', '--wait=watcher', '--timeout', '60s']);
    const canary = await plan('demo', chartDir, 'replicas=2,tests.enabled=false,version=v2', 'replicas');
    const split = canaryReplicas(2, 50, 'replicas');
    expect(split).toEqual({ replicas: 2, effectiveWeight: 50 });
    const applied = await applyCanary(api, canary, { 'demo-slipway-demo': split.replicas });
    expect(applied.map((r) => `${r.kind}/${r.name}`)).toEqual(['Service/demo-slipway-demo-canary', 'Deployment/demo-slipway-demo-canary']);

    const canaryPods = await readyPods('slipway.dev/track=canary,slipway.dev/canary-of=demo', 2);
    expect(canaryPods.every((p) => p.metadata.labels.version === 'v2')).toBe(true);
    const stablePods = await readyPods('app.kubernetes.io/instance=demo,version=v1', 2);
    // Traffic proportional to replicas: the stable Service has all four pods, the canary Service only the canary's.
    const all = [...canaryPods, ...stablePods].map((p) => p.metadata.name).sort();
    await waitFor('the stable Service to select canary pods too', async () =>
      (await endpointPods('demo-slipway-demo')).join() === all.join() ? true : undefined,
    );
    await waitFor('the canary Service to select only canary pods', async () =>
      (await endpointPods('demo-slipway-demo-canary')).join() ===
      canaryPods
        .map((p) => p.metadata.name)
        .sort()
        .join()
        ? true
        : undefined,
    );
    // Nothing Helm could claim: the release's manifest does not know the canary, and its objects carry no Helm keys.
    const deployment = await kubectlJson<Json>(sb, ['get', 'deployment', 'demo-slipway-demo-canary', '-n', namespace, '--show-managed-fields']);
    expect(Object.keys({ ...deployment.metadata.labels, ...deployment.metadata.annotations }).filter((k) => k.includes('helm.sh'))).toEqual([]);
    expect(deployment.metadata.managedFields.map((f: Json) => `${f.manager}/${f.operation}`)).toContain('slipway/Apply');

    await scaleCanary(api, canary, { 'demo-slipway-demo': 1 });
    await readyPods('slipway.dev/track=canary,slipway.dev/canary-of=demo', 1);

    const removed = await removeCanary(api, { namespace, release: 'demo', refs: canary.refs }, { waitMs: 60_000 });
    expect(removed.deleted.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(['Deployment/demo-slipway-demo-canary', 'Service/demo-slipway-demo-canary']);
    expect(removed.refused).toEqual([]);
    expect(removed.remaining).toEqual([]);
    expect(await listCanaryLeftovers(api, 'demo', namespace)).toEqual([]);
    expect(await pods('slipway.dev/canary-of=demo')).toEqual([]);
    // Stable untouched.
    expect((await readyPods('app.kubernetes.io/instance=demo,version=v1', 2)).map((p) => p.metadata.name).sort()).toEqual(
      stablePods.map((p) => p.metadata.name).sort(),
    );
    // Removing again is not an error: everything is already gone.
    const again = await removeCanary(api, { namespace, release: 'demo', refs: canary.refs });
    expect(again).toMatchObject({ deleted: [], refused: [] });
    expect(again.alreadyGone).toHaveLength(2);
  });

  it('replaces a canary left with another selector (another provider), and the sweep removes what the journal does not list', async () => {
    await applyCanary(api, await plan('demo', chartDir, 'replicas=2,tests.enabled=false,version=v3', 'replicas'), { 'demo-slipway-demo': 1 });
    const canary = await plan('demo', chartDir, 'replicas=2,tests.enabled=false,version=v3', 'ingress-nginx');
    await applyCanary(api, canary, { 'demo-slipway-demo': 1 });
    const selector = (await kubectlJson<Json>(sb, ['get', 'deployment', 'demo-slipway-demo-canary', '-n', namespace])).spec.selector.matchLabels;
    expect(selector).toEqual({ 'app.kubernetes.io/instance': 'demo-canary', 'app.kubernetes.io/name': 'slipway-demo-canary', 'slipway.dev/track': 'canary' });
    await readyPods('slipway.dev/track=canary,slipway.dev/canary-of=demo', 1);
    const removed = await removeCanary(api, { namespace, release: 'demo', refs: [] }, { waitMs: 60_000 });
    expect(removed.deleted.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(['Deployment/demo-slipway-demo-canary', 'Service/demo-slipway-demo-canary']);
    expect(removed.remaining).toEqual([]);
  });

  it('never changes or deletes an object with a canary name that Slipway did not create', async () => {
    await kubectl(sb, ['create', 'service', 'clusterip', 'demo-slipway-demo-canary', '--tcp=80:8080', '-n', namespace]);
    const before = await kubectlJson<Json>(sb, ['get', 'service', 'demo-slipway-demo-canary', '-n', namespace]);
    const canary = await plan('demo', chartDir, 'replicas=2,tests.enabled=false,version=v4', 'replicas');
    const error = await applyCanary(api, canary, { 'demo-slipway-demo': 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CanaryNameTakenError);
    expect((error as Error).message).toContain(`Service/demo-slipway-demo-canary in namespace '${namespace}'`);
    // Nothing applied, not even the objects whose names were free.
    expect((await kubectl(sb, ['get', 'deployment', 'demo-slipway-demo-canary', '-n', namespace, '--ignore-not-found', '-o', 'name'])).trim()).toBe('');

    const removed = await removeCanary(api, { namespace, release: 'demo', refs: canary.refs });
    expect(removed.refused.map((r) => `${r.ref.kind}/${r.ref.name}`)).toEqual(['Service/demo-slipway-demo-canary']);
    expect(removed.deleted).toEqual([]);
    const after = await kubectlJson<Json>(sb, ['get', 'service', 'demo-slipway-demo-canary', '-n', namespace]);
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    await kubectl(sb, ['delete', 'service', 'demo-slipway-demo-canary', '-n', namespace]);
  });

  it('gateway-api: the canary reads copies of the NEW ConfigMaps and Secrets while stable keeps the old; removal takes the copies too', async () => {
    const set = (version: string, greeting: string) => `version=${version},greeting=${greeting},service.type=ClusterIP,autoscaling.enabled=false`;
    await helm(['upgrade', '--install', 'shop', configChart, '--set', set('v1', 'hello'), '--wait=watcher', '--timeout', '60s']);
    const canary = await plan('shop', configChart, set('v2', 'bonjour'), 'gateway-api');
    await applyCanary(api, canary, { 'shop-app': 1, 'shop-app-worker': 1 });
    await readyPods('slipway.dev/track=canary,slipway.dev/canary-of=shop', 2);

    const settings = async (name: string) => (await kubectlJson<Json>(sb, ['get', 'configmap', name, '-n', namespace])).data;
    expect(await settings('shop-app-settings')).toEqual({ greeting: 'hello', version: 'v1' });
    expect(await settings('shop-app-settings-canary')).toEqual({ greeting: 'bonjour', version: 'v2' });
    const secret = await kubectlJson<Json>(sb, ['get', 'secret', 'shop-app-credentials-canary', '-n', namespace]);
    expect(Buffer.from(secret.data['api-key'], 'base64').toString()).toBe('not-a-real-key');
    const webPod = (await pods('slipway.dev/track=canary,app.kubernetes.io/component=web-canary'))[0];
    expect(webPod.spec.volumes.find((v: Json) => v.name === 'settings').configMap.name).toBe('shop-app-settings-canary');
    // Router providers: no stable Service selects a canary pod.
    await waitFor('the canary metrics Service to select both canaries', async () =>
      (await endpointPods('shop-app-metrics-canary')).length === 2 ? true : undefined,
    );
    const canaryNames = new Set((await pods('slipway.dev/canary-of=shop')).map((p) => p.metadata.name));
    for (const service of ['shop-app', 'shop-app-metrics'])
      expect(
        (await endpointPods(service)).filter((name) => canaryNames.has(name)),
        service,
      ).toEqual([]);

    const removed = await removeCanary(api, { namespace, release: 'shop', refs: canary.refs }, { waitMs: 60_000 });
    expect(removed.remaining).toEqual([]);
    expect(removed.deleted).toHaveLength(canary.refs.length);
    expect(await settings('shop-app-settings')).toEqual({ greeting: 'hello', version: 'v1' });
    expect((await kubectl(sb, ['get', 'configmaps,secrets', '-n', namespace, '-l', 'slipway.dev/canary-of=shop', '-o', 'name'])).trim()).toBe('');
  });
});
