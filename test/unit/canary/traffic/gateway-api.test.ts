import { describe, expect, it } from 'vitest';
import { GatewayApiRouter, type GatewayApiSnapshot, TrafficRouteConflictError, trafficTargetOf, weightRules } from '@slipway/core';
import { defaultRoute, FakeKubeApi } from './fake-kube-api.ts';
import { demoPlan, renderedObject } from './routes-fixture.ts';

type Json = any;
const plan = demoPlan('gateway-api');
const target = trafficTargetOf(plan);

function cluster(): { api: FakeKubeApi; original: Json } {
  const api = new FakeKubeApi();
  const route = renderedObject('HTTPRoute');
  defaultRoute(route);
  const stored = api.put(route);
  return { api, original: structuredClone(stored.spec.rules) };
}
const router = (api: FakeKubeApi, restoreFrom?: GatewayApiSnapshot) =>
  new GatewayApiRouter(api as never, restoreFrom ? { restoreFrom } : { plan, httpRoute: 'demo-slipway-demo' });
const refs = (api: FakeKubeApi) =>
  api.get('HTTPRoute', 'demo-slipway-demo').spec.rules.map((rule: Json) => rule.backendRefs.map((r: Json) => `${r.name}:${r.weight}`));

describe('weightRules (pure)', () => {
  it("splits the chart's own HTTPRoute rule between the stable and the canary Service", () => {
    const rules = renderedObject('HTTPRoute').spec.rules;
    expect(weightRules(rules, target, 'shop', 10)).toEqual({
      rules: [
        {
          backendRefs: [
            { name: 'demo-slipway-demo', port: 80, weight: 90 },
            { name: 'demo-slipway-demo-canary', port: 80, weight: 10 },
          ],
        },
      ],
      touched: 1,
    });
  });

  it("keeps other backends' share, and leaves other namespaces, kinds and rules alone", () => {
    const rules = [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
        backendRefs: [
          {
            name: 'demo-slipway-demo',
            port: 80,
            weight: 3,
            filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x', value: 'y' }] } }],
          },
          { name: 'legacy', port: 8080, weight: 1 },
        ],
      },
      { backendRefs: [{ name: 'demo-slipway-demo', namespace: 'elsewhere', port: 80 }] },
      { backendRefs: [{ group: 'example.com', kind: 'Bucket', name: 'demo-slipway-demo' }] },
    ];
    const { rules: out, touched } = weightRules(rules, target, 'shop', 25);
    expect(touched).toBe(1);
    expect(out[0]?.backendRefs).toEqual([
      { ...rules[0]?.backendRefs[0], weight: 225 },
      { ...rules[0]?.backendRefs[0], name: 'demo-slipway-demo-canary', weight: 75 },
      { name: 'legacy', port: 8080, weight: 100 },
    ]);
    // 225 : 75 : 100 is 3 : 1 : 4 of 400 → the release's 3/4 split 75/25, legacy keeps its quarter.
    expect(out.slice(1)).toEqual(rules.slice(1));
  });
});

describe('GatewayApiRouter (an in-memory API server)', () => {
  it('sets weights step by step and restores the original rules exactly, from a snapshot in a later process', async () => {
    const { api, original } = cluster();
    const first = router(api);
    expect(await first.check()).toEqual([]);
    expect(await first.setWeight(10)).toEqual({
      requested: 10,
      effective: 10,
      detail: 'gateway-api: HTTPRoute/demo-slipway-demo weights Service/demo-slipway-demo 90, Service/demo-slipway-demo-canary 10 (1 backendRef)',
    });
    expect(refs(api)).toEqual([['demo-slipway-demo:90', 'demo-slipway-demo-canary:10']]);
    await first.setWeight(50);
    expect(refs(api)).toEqual([['demo-slipway-demo:50', 'demo-slipway-demo-canary:50']]);

    const snapshot = JSON.parse(JSON.stringify(first.snapshot())) as GatewayApiSnapshot;
    expect(snapshot).toMatchObject({ provider: 'gateway-api', version: 1, route: 'demo-slipway-demo', weight: 50, originalRules: original });
    // The stored form (API-server defaults included) is what the next test must compare with.
    expect(snapshot.appliedRules?.[0]?.backendRefs?.[1]).toEqual({ group: '', kind: 'Service', name: 'demo-slipway-demo-canary', port: 80, weight: 50 });

    const later = router(api, snapshot);
    await later.restore();
    expect(api.get('HTTPRoute', 'demo-slipway-demo').spec.rules).toEqual(original);
    expect(later.snapshot()).toMatchObject({ weight: 0, appliedRules: undefined });
    const patches = api.calls.filter((c) => c.verb === 'patch').length;
    await later.restore();
    expect(api.calls.filter((c) => c.verb === 'patch').length).toBe(patches);
    expect(api.calls.filter((c) => c.verb === 'patch').every((c) => c.contentType === 'application/json-patch+json')).toBe(true);
  });

  it('does not overwrite a route someone edited meanwhile: it reports it (exit 4)', async () => {
    const { api } = cluster();
    const r = router(api);
    await r.setWeight(10);
    api.get('HTTPRoute', 'demo-slipway-demo').spec.rules[0].backendRefs[0].weight = 77;
    const error = await r.restore().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TrafficRouteConflictError);
    expect(error).toMatchObject({ code: 'TRAFFIC_ROUTE_CONFLICT', exitCode: 4 });
    expect((error as Error).message).toBe(
      "HTTPRoute/demo-slipway-demo in namespace 'shop' changed since Slipway set its weights, so Slipway did not restore it",
    );
    expect(refs(api)).toEqual([['demo-slipway-demo:77', 'demo-slipway-demo-canary:10']]);
    // A weight change meets the same test.
    await expect(r.setWeight(20)).rejects.toBeInstanceOf(TrafficRouteConflictError);
  });

  it('counts a route already back to its original rules, or gone, as restored', async () => {
    const { api, original } = cluster();
    const r = router(api);
    await r.setWeight(10);
    api.get('HTTPRoute', 'demo-slipway-demo').spec.rules = structuredClone(original);
    await expect(r.restore()).resolves.toBeUndefined();

    await r.setWeight(30);
    api.objects.clear();
    await expect(r.restore()).resolves.toBeUndefined();
  });

  it('drops backendRefs to the canary left by a run that died before restoring', async () => {
    const { api, original } = cluster();
    api
      .get('HTTPRoute', 'demo-slipway-demo')
      .spec.rules[0].backendRefs.push({ group: '', kind: 'Service', name: 'demo-slipway-demo-canary', port: 80, weight: 1 });
    const r = router(api);
    await r.setWeight(10);
    expect(refs(api)).toEqual([['demo-slipway-demo:90', 'demo-slipway-demo-canary:10']]);
    await r.restore();
    expect(api.get('HTTPRoute', 'demo-slipway-demo').spec.rules).toEqual(original);
  });

  it('names what is wrong before anything changes: no Gateway API, no route, a route to other Services', async () => {
    const { api } = cluster();
    api.get('HTTPRoute', 'demo-slipway-demo').spec.rules[0].backendRefs[0].name = 'someone-else';
    expect(await router(api).check()).toEqual([
      "HTTPRoute demo-slipway-demo routes to Service someone-else, not to a Service of release 'demo' (demo-slipway-demo)",
    ]);
    expect(await new GatewayApiRouter(api as never, { plan, httpRoute: 'nope' }).check()).toEqual(["HTTPRoute nope does not exist in namespace 'shop'"]);
    api.served.delete('HTTPRoute');
    expect(await router(api).check()).toEqual([
      'the cluster does not serve the Gateway API (HTTPRoute, gateway.networking.k8s.io/v1): install its CRDs, or use another traffic provider',
    ]);
    expect(api.calls.filter((c) => c.verb === 'patch')).toEqual([]);
  });
});
