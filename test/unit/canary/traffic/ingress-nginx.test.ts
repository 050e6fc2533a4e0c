import { describe, expect, it } from 'vitest';
import { buildCanaryIngress, CanaryNameTakenError, IngressNginxRouter, type IngressNginxSnapshot, trafficTargetOf } from '@slipway/core';
import { FakeKubeApi } from './fake-kube-api.ts';
import { demoPlan, renderedObject } from './routes-fixture.ts';

const plan = demoPlan('ingress-nginx');
const target = trafficTargetOf(plan);

describe('buildCanaryIngress (pure)', () => {
  it("copies the chart's Ingress hosts and paths onto the canary Service, with ingress-nginx's canary annotations", () => {
    const stable = renderedObject('Ingress');
    expect(buildCanaryIngress(stable, target, 20)).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'demo-slipway-demo-canary',
        namespace: 'shop',
        labels: { 'app.kubernetes.io/managed-by': 'slipway', 'slipway.dev/canary-of': 'demo', 'slipway.dev/track': 'canary' },
        annotations: {
          // Honoured on a canary Ingress (session affinity) or harmless; cert-manager's and Helm's are not copied.
          'nginx.ingress.kubernetes.io/affinity': 'cookie',
          'nginx.ingress.kubernetes.io/proxy-body-size': '8m',
          'nginx.ingress.kubernetes.io/canary': 'true',
          'nginx.ingress.kubernetes.io/canary-weight': '20',
          'nginx.ingress.kubernetes.io/canary-weight-total': '100',
          'slipway.dev/run-id': 'run-7',
          'slipway.dev/canary-source': 'Ingress/demo-slipway-demo',
        },
      },
      spec: {
        ingressClassName: 'nginx',
        rules: [
          {
            host: 'shop.example.com',
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'demo-slipway-demo-canary', port: { number: 80 } } } }] },
          },
        ],
      },
    });
  });

  it('leaves out paths to other backends, maps the default backend, and keeps the legacy class annotation', () => {
    const stable = {
      metadata: { name: 'edge', annotations: { 'kubernetes.io/ingress.class': 'nginx', 'nginx.ingress.kubernetes.io/canary-by-header': 'x' } },
      spec: {
        defaultBackend: { service: { name: 'demo-slipway-demo', port: { name: 'http' } } },
        rules: [
          {
            host: 'a.example.com',
            http: {
              paths: [
                { path: '/static', pathType: 'Prefix', backend: { service: { name: 'cdn', port: { number: 80 } } } },
                { path: '/', pathType: 'Prefix', backend: { service: { name: 'demo-slipway-demo', port: { name: 'http' } } } },
              ],
            },
          },
          { host: 'b.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'cdn', port: { number: 80 } } } }] } },
        ],
      },
    };
    const canary = buildCanaryIngress(stable, target, 5);
    expect(canary.metadata.name).toBe('edge-canary');
    expect(canary.spec).toEqual({
      defaultBackend: { service: { name: 'demo-slipway-demo-canary', port: { name: 'http' } } },
      rules: [
        {
          host: 'a.example.com',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'demo-slipway-demo-canary', port: { name: 'http' } } } }] },
        },
      ],
    });
    expect(canary.metadata.annotations['kubernetes.io/ingress.class']).toBe('nginx');
    // Another canary mode of the stable Ingress is not carried over.
    expect(canary.metadata.annotations).not.toHaveProperty('nginx.ingress.kubernetes.io/canary-by-header');
  });
});

describe('IngressNginxRouter (an in-memory API server)', () => {
  function cluster(): { api: FakeKubeApi; stable: unknown } {
    const api = new FakeKubeApi();
    const stable = api.put(renderedObject('Ingress'));
    return { api, stable: structuredClone(stable) };
  }

  it("finds the release's only Ingress, weights a canary Ingress beside it, never touches it, and restores from a snapshot", async () => {
    const { api, stable } = cluster();
    const router = new IngressNginxRouter(api as never, { plan });
    expect(await router.check()).toEqual([]);
    expect(await router.setWeight(20)).toEqual({
      requested: 20,
      effective: 20,
      detail: 'ingress-nginx: Ingress/demo-slipway-demo-canary canary-weight 20/100 -> Service/demo-slipway-demo-canary',
    });
    expect(api.get('Ingress', 'demo-slipway-demo-canary').metadata.annotations['nginx.ingress.kubernetes.io/canary-weight']).toBe('20');
    await router.setWeight(50);
    expect(api.get('Ingress', 'demo-slipway-demo-canary').metadata.annotations['nginx.ingress.kubernetes.io/canary-weight']).toBe('50');
    expect(api.get('Ingress', 'demo-slipway-demo')).toEqual(stable);
    expect(api.calls.filter((c) => c.verb === 'patch').map((c) => `${c.name} ${c.contentType}`)).toEqual([
      'demo-slipway-demo-canary application/apply-patch+yaml',
      'demo-slipway-demo-canary application/apply-patch+yaml',
    ]);

    const snapshot = JSON.parse(JSON.stringify(router.snapshot())) as IngressNginxSnapshot;
    expect(snapshot).toMatchObject({ provider: 'ingress-nginx', stableIngress: 'demo-slipway-demo', canaryIngress: 'demo-slipway-demo-canary', weight: 50 });
    api.calls.length = 0;
    const later = new IngressNginxRouter(api as never, { restoreFrom: snapshot });
    await later.restore();
    // Weight 0 first, then the delete.
    expect(api.calls.filter((c) => c.verb !== 'read').map((c) => `${c.verb} ${c.name}${c.contentType ? ` ${c.contentType}` : ''}`)).toEqual([
      'patch demo-slipway-demo-canary application/json-patch+json',
      'delete demo-slipway-demo-canary',
    ]);
    expect(api.get('Ingress', 'demo-slipway-demo-canary')).toBeUndefined();
    expect(api.get('Ingress', 'demo-slipway-demo')).toEqual(stable);
    await expect(later.restore()).resolves.toBeUndefined();
    expect(later.snapshot().weight).toBe(0);
  });

  it("refuses an Ingress with the canary name that is not Slipway's, and leaves it as it is", async () => {
    const { api } = cluster();
    const foreign = api.put({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'demo-slipway-demo-canary', labels: { team: 'web' } },
      spec: { rules: [] },
    });
    const router = new IngressNginxRouter(api as never, { plan });
    expect(await router.check()).toEqual([
      "an Ingress named demo-slipway-demo-canary exists that is not Slipway's canary of release 'demo'; Slipway will not change it",
    ]);
    await expect(router.setWeight(10)).rejects.toBeInstanceOf(CanaryNameTakenError);
    const restoring = new IngressNginxRouter(api as never, {
      restoreFrom: { provider: 'ingress-nginx', version: 1, target, stableIngress: 'demo-slipway-demo', canaryIngress: 'demo-slipway-demo-canary', weight: 10 },
    });
    await expect(restoring.restore()).rejects.toMatchObject({ code: 'CANARY_NAME_TAKEN' });
    expect(api.get('Ingress', 'demo-slipway-demo-canary')).toEqual(foreign);
  });

  it('names a missing, ambiguous or unrelated Ingress', async () => {
    const api = new FakeKubeApi();
    expect(await new IngressNginxRouter(api as never, { plan }).check()).toEqual([
      "release 'demo' has no Ingress in namespace 'shop': name one (ingress), or use another traffic provider",
    ]);
    expect(await new IngressNginxRouter(api as never, { plan, ingress: 'web' }).check()).toEqual(["Ingress web does not exist in namespace 'shop'"]);
    api.put(renderedObject('Ingress'));
    const second = renderedObject('Ingress');
    second.metadata.name = 'admin';
    second.spec.rules[0].http.paths[0].backend.service.name = 'admin-ui';
    api.put(second);
    expect(await new IngressNginxRouter(api as never, { plan }).check()).toEqual([
      "release 'demo' has 2 Ingresses (demo-slipway-demo, admin): name the one to split (ingress)",
    ]);
    expect(await new IngressNginxRouter(api as never, { plan, ingress: 'admin' }).check()).toEqual([
      "Ingress admin routes to Service admin-ui, not to a Service of release 'demo' (demo-slipway-demo)",
    ]);
  });
});
