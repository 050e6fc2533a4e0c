import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyCanary, createTrafficRouter, deriveCanary, KubeApi, removeCanary } from '@slipway/core';
import { chartDir, describeSandbox, kubectl, kubectlJson, runOk, type SandboxInfo, uniqueName, waitFor } from '../../sandbox/sandbox.ts';

type Json = any;

describeSandbox('replica split against the sandbox (Helm 4 release, KWOK pods)', (sb: SandboxInfo) => {
  const namespace = uniqueName('canary-split');
  const helm = (args: string[]) => runOk(sb, sb.env.HELM4 as string, [...args, '--namespace', namespace], { timeoutMs: 120_000 });
  let api: KubeApi;

  beforeAll(async () => {
    await kubectl(sb, ['create', 'namespace', namespace]);
    api = await KubeApi.open({ kubeconfigFile: sb.env.KUBECONFIG ?? '', timeoutMs: 15_000, signal: new AbortController().signal });
    await helm(['upgrade', '--install', 'demo', chartDir, '--set', 'replicas=3,tests.enabled=false,version=v1', '--wait=watcher', '--timeout', '60s']);
  });
  afterAll(async () => {
    await kubectl(sb, ['delete', 'namespace', namespace, '--wait=false']);
  });

  const endpointCount = async (service: string): Promise<number> => {
    const slices: Json[] = (await kubectlJson<Json>(sb, ['get', 'endpointslices', '-n', namespace, '-l', `kubernetes.io/service-name=${service}`])).items;
    return slices.flatMap((s) => (s.endpoints ?? []).filter((e: Json) => e.conditions?.ready)).length;
  };
  const canaryReplicas = async () => (await kubectlJson<Json>(sb, ['get', 'deployment', 'demo-slipway-demo-canary', '-n', namespace])).spec.replicas;

  it("sets the weight by canary pods against stable's, the stable Service spreads over both, restore scales to 0", async () => {
    const manifest = await helm(['template', 'demo', chartDir, '--set', 'replicas=3,tests.enabled=false,version=v2']);
    const plan = deriveCanary(manifest, { release: 'demo', namespace, provider: 'replicas', runId: 'it-split' });
    await applyCanary(api, plan, {});
    expect(await canaryReplicas()).toBe(0);
    const router = createTrafficRouter(api, { plan });
    expect(await router.check()).toEqual([]);

    expect(await router.setWeight(25)).toEqual({
      requested: 25,
      effective: 25,
      detail: 'replica split: Deployment/demo-slipway-demo-canary: 1 beside 3 stable (25%)',
    });
    expect(await canaryReplicas()).toBe(1);
    await waitFor(
      '4 ready endpoints behind the stable Service (3 stable + 1 canary)',
      async () => ((await endpointCount('demo-slipway-demo')) === 4 ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    expect((await router.setWeight(10)).effective).toBe(25);
    expect((await router.setWeight(50)).effective).toBe(50);
    expect(await canaryReplicas()).toBe(3);

    await router.restore();
    expect(await canaryReplicas()).toBe(0);
    await waitFor('the stable Service back to its 3 pods', async () => ((await endpointCount('demo-slipway-demo')) === 3 ? true : undefined), {
      timeoutMs: 60_000,
    });
    expect(router.snapshot()).toMatchObject({ provider: 'replicas', weight: 0 });
    const removed = await removeCanary(api, { namespace, release: 'demo', refs: plan.refs }, { waitMs: 60_000 });
    expect(removed.remaining).toEqual([]);
  });
});
