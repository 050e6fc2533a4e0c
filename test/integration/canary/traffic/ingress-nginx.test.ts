import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  applyCanary,
  canaryReplicas,
  createTrafficRouter,
  deriveCanary,
  KubeApi,
  listCanaryLeftovers,
  removeCanary,
  type TrafficSnapshot,
} from '@slipway/core';
import { chartDir, describeSandbox, kubectl, kubectlJson, runOk, type SandboxInfo, uniqueName } from '../../sandbox/sandbox.ts';

type Json = any;

describeSandbox('ingress-nginx canary weights against the sandbox API server (Helm 3 release)', (sb: SandboxInfo) => {
  const namespace = uniqueName('canary-nginx');
  const values = 'replicas=2,tests.enabled=false,ingress.enabled=true,ingress.host=shop.example.com';
  const helm = (args: string[]) => runOk(sb, sb.env.HELM3 as string, [...args, '--namespace', namespace], { timeoutMs: 120_000 });
  const openApi = () => KubeApi.open({ kubeconfigFile: sb.env.KUBECONFIG ?? '', timeoutMs: 15_000, signal: new AbortController().signal });
  const ingress = async (name: string): Promise<Json | undefined> => {
    const out = await kubectl(sb, ['get', 'ingress', name, '-n', namespace, '--ignore-not-found', '-o', 'json']);
    return out.trim() ? JSON.parse(out) : undefined;
  };
  let api: KubeApi;

  beforeAll(async () => {
    await kubectl(sb, ['create', 'namespace', namespace]);
    api = await openApi();
    await helm([
      'upgrade',
      '--install',
      'demo',
      chartDir,
      '--set',
      `${values},version=v1`,
      '--set-string',
      'ingress.annotations.nginx\\.ingress\\.kubernetes\\.io/affinity=cookie',
      '--wait',
      '--timeout',
      '60s',
    ]);
  });
  afterAll(async () => {
    await kubectl(sb, ['delete', 'namespace', namespace, '--wait=false']);
  });

  it("weights a canary Ingress beside the release's own at each step, never touches it, and a later process restores", async () => {
    const manifest = await helm(['template', 'demo', chartDir, '--set', `${values},version=v2`]);
    const plan = deriveCanary(manifest, { release: 'demo', namespace, provider: 'ingress-nginx', runId: 'it-nginx' });
    await applyCanary(api, plan, { 'demo-slipway-demo': canaryReplicas(2, 10, 'ingress-nginx').replicas });
    const stable = await ingress('demo-slipway-demo');

    const router = createTrafficRouter(api, { plan });
    expect(await router.check()).toEqual([]);
    for (const weight of [10, 40, 100]) {
      const set = await router.setWeight(weight);
      expect(set).toMatchObject({ requested: weight, effective: weight });
      const canary = await ingress('demo-slipway-demo-canary');
      expect(canary.metadata.annotations).toMatchObject({
        'nginx.ingress.kubernetes.io/canary': 'true',
        'nginx.ingress.kubernetes.io/canary-weight': String(weight),
        'nginx.ingress.kubernetes.io/canary-weight-total': '100',
        'nginx.ingress.kubernetes.io/affinity': 'cookie',
      });
      expect(canary.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'slipway', 'slipway.dev/canary-of': 'demo', 'slipway.dev/track': 'canary' });
      expect(canary.spec).toEqual({
        ingressClassName: 'nginx',
        rules: [
          {
            host: 'shop.example.com',
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'demo-slipway-demo-canary', port: { number: 80 } } } }] },
          },
        ],
      });
      // The stable Ingress is never modified.
      expect((await ingress('demo-slipway-demo')).metadata.resourceVersion).toBe(stable.metadata.resourceVersion);
    }

    // A later process (its own KubeApi) restores from the journal's snapshot.
    const snapshot = JSON.parse(JSON.stringify(router.snapshot())) as TrafficSnapshot;
    const later = createTrafficRouter(await openApi(), { restoreFrom: snapshot });
    await later.restore();
    expect(await ingress('demo-slipway-demo-canary')).toBeUndefined();
    await later.restore();
    expect((await ingress('demo-slipway-demo')).metadata.resourceVersion).toBe(stable.metadata.resourceVersion);

    // A canary Ingress the journal does not list is swept with the rest.
    await router.setWeight(20);
    const removed = await removeCanary(api, { namespace, release: 'demo', refs: plan.refs }, { waitMs: 60_000 });
    expect(removed.deleted.map((r) => `${r.kind}/${r.name}`).sort()).toEqual([
      'Deployment/demo-slipway-demo-canary',
      'Ingress/demo-slipway-demo-canary',
      'Service/demo-slipway-demo-canary',
    ]);
    expect(await listCanaryLeftovers(api, 'demo', namespace)).toEqual([]);
    expect(await ingress('demo-slipway-demo')).toBeDefined();
  });

  it('names the problem when the named Ingress does not exist', async () => {
    const manifest = await helm(['template', 'demo', chartDir, '--set', `${values},version=v2`]);
    const plan = deriveCanary(manifest, { release: 'demo', namespace, provider: 'ingress-nginx', runId: 'it-nginx' });
    expect(await createTrafficRouter(api, { plan, ingress: 'storefront' }).check()).toEqual([`Ingress storefront does not exist in namespace '${namespace}'`]);
    const found = await kubectlJson<Json>(sb, ['get', 'ingress', '-n', namespace]);
    expect(found.items.map((i: Json) => i.metadata.name)).toEqual(['demo-slipway-demo']);
  });
});
