import { describe, expect, it } from 'vitest';
import { CanaryNameTakenError, createTrafficRouter, ReplicaSplitRouter, type TrafficSnapshot } from '@slipway/core';
import { FakeKubeApi } from './fake-kube-api.ts';
import { demoPlan, renderedObject } from './routes-fixture.ts';

const plan = demoPlan('replicas');
const canaryLabels = { 'app.kubernetes.io/managed-by': 'slipway', 'slipway.dev/canary-of': 'demo', 'slipway.dev/track': 'canary' };

function cluster(stableReplicas: number): FakeKubeApi {
  const api = new FakeKubeApi();
  const stable = renderedObject('Deployment');
  stable.spec.replicas = stableReplicas;
  api.put(stable);
  api.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'demo-slipway-demo-canary', labels: canaryLabels }, spec: { replicas: 0 } });
  return api;
}
const canaryReplicas = (api: FakeKubeApi) => api.get('Deployment', 'demo-slipway-demo-canary').spec.replicas;

describe('ReplicaSplitRouter (an in-memory API server)', () => {
  it("weighs the canary against stable's live replicas, reports the weight it got, and scales to 0 on restore", async () => {
    // Live 3 replicas (an autoscaler's), where the chart says 2.
    const api = cluster(3);
    const router = createTrafficRouter(api as never, { plan });
    expect(router.provider).toBe('replicas');
    expect(await router.check()).toEqual([]);
    expect(await router.setWeight(10)).toEqual({
      requested: 10,
      effective: 25,
      detail: 'replica split: Deployment/demo-slipway-demo-canary: 1 beside 3 stable (25%)',
    });
    expect(canaryReplicas(api)).toBe(1);
    expect((await router.setWeight(50)).effective).toBe(50);
    expect(canaryReplicas(api)).toBe(3);
    expect(api.get('Deployment', 'demo-slipway-demo').spec.replicas).toBe(3);

    const snapshot = JSON.parse(JSON.stringify(router.snapshot())) as TrafficSnapshot;
    expect(snapshot).toMatchObject({
      provider: 'replicas',
      weight: 50,
      target: { release: 'demo', workloads: [{ stable: 'demo-slipway-demo', canary: 'demo-slipway-demo-canary' }] },
    });
    const later = createTrafficRouter(api as never, { restoreFrom: snapshot });
    await later.restore();
    expect(canaryReplicas(api)).toBe(0);
    api.objects.delete('Deployment/shop/demo-slipway-demo-canary');
    await expect(later.restore()).resolves.toBeUndefined();
  });

  it("never scales a Deployment with the canary's name that is not the release's canary", async () => {
    const api = cluster(3);
    api.get('Deployment', 'demo-slipway-demo-canary').metadata.labels = { team: 'web' };
    const router = new ReplicaSplitRouter(api as never, { plan });
    await expect(router.setWeight(10)).rejects.toBeInstanceOf(CanaryNameTakenError);
    await expect(router.restore()).rejects.toMatchObject({ code: 'CANARY_NAME_TAKEN', exitCode: 3 });
    expect(canaryReplicas(api)).toBe(0);
  });

  it('names a stable workload that is not there', async () => {
    const api = new FakeKubeApi();
    expect(await new ReplicaSplitRouter(api as never, { plan }).check()).toEqual([
      "Deployment demo-slipway-demo does not exist in namespace 'shop': a replica split weighs the canary against it",
    ]);
  });
});
