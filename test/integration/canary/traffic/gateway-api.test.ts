import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyCanary, createTrafficRouter, deriveCanary, KubeApi, removeCanary, TrafficRouteConflictError, type TrafficSnapshot } from '@slipway/core';
import { chartDir, describeSandbox, kubectl, kubectlJson, run, runOk, type SandboxInfo, sandbox, uniqueName } from '../../sandbox/sandbox.ts';

type Json = any;

/** Whether the sandbox serves HTTPRoute (the real Gateway API CRDs, installed by `npm run sandbox:up` since SANDBOX_GATEWAY_API_VERSION). */
async function gatewayApiServed(sb: SandboxInfo | undefined): Promise<boolean> {
  if (!sb) return false;
  const out = await run(sb, sb.env.KUBECTL ?? 'kubectl', [
    '--kubeconfig',
    sb.env.KUBECONFIG ?? '',
    'api-resources',
    '--api-group=gateway.networking.k8s.io',
    '-o',
    'name',
  ]);
  return out.code === 0 && out.stdout.split('\n').includes('httproutes.gateway.networking.k8s.io');
}
const served = await gatewayApiServed(sandbox);

describeSandbox('Gateway API HTTPRoute weights against the sandbox API server (real CRDs)', (sb: SandboxInfo) => {
  if (!served) {
    it.skip(`skipped: the sandbox does not serve HTTPRoute (gateway.networking.k8s.io/v1) yet (SANDBOX_GATEWAY_API_VERSION=${sb.env.SANDBOX_GATEWAY_API_VERSION ?? 'unset'}): run npm run sandbox:up once the Gateway API CRDs are in it`, () => {});
    return;
  }
  const namespace = uniqueName('canary-gateway');
  const helm = (args: string[]) => runOk(sb, sb.env.HELM4 as string, [...args, '--namespace', namespace], { timeoutMs: 120_000 });
  const openApi = () => KubeApi.open({ kubeconfigFile: sb.env.KUBECONFIG ?? '', timeoutMs: 15_000, signal: new AbortController().signal });
  const route = () => kubectlJson<Json>(sb, ['get', 'httproute', 'storefront', '-n', namespace]);
  const weights = async () => (await route()).spec.rules.map((rule: Json) => rule.backendRefs.map((r: Json) => `${r.name}:${r.weight}`));
  const apply = async (object: unknown) => {
    const file = path.join(os.tmpdir(), `${uniqueName('route')}.json`);
    writeFileSync(file, JSON.stringify(object));
    try {
      await kubectl(sb, ['apply', '-f', file]);
    } finally {
      rmSync(file, { force: true });
    }
  };
  let api: KubeApi;

  beforeAll(async () => {
    await kubectl(sb, ['create', 'namespace', namespace]);
    api = await openApi();
    await helm(['upgrade', '--install', 'demo', chartDir, '--set', 'replicas=2,tests.enabled=false,version=v1', '--wait=watcher', '--timeout', '60s']);
    // A route the platform team wrote, not the chart: the release's Service on /, another backend on /static.
    await apply({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'storefront', namespace },
      spec: {
        parentRefs: [{ name: 'slipway-gateway' }],
        hostnames: ['shop.example.com'],
        rules: [
          { matches: [{ path: { type: 'PathPrefix', value: '/static' } }], backendRefs: [{ name: 'cdn', port: 80 }] },
          { backendRefs: [{ name: 'demo-slipway-demo', port: 80 }] },
        ],
      },
    });
  });
  afterAll(async () => {
    await kubectl(sb, ['delete', 'namespace', namespace, '--wait=false']);
  });

  it('weights the stable and canary Services at each step, and a later process restores the exact original rules', async () => {
    const original = (await route()).spec.rules;
    const manifest = await helm(['template', 'demo', chartDir, '--set', 'replicas=2,tests.enabled=false,version=v2']);
    const plan = deriveCanary(manifest, { release: 'demo', namespace, provider: 'gateway-api', runId: 'it-gateway' });
    await applyCanary(api, plan, { 'demo-slipway-demo': 1 });
    const router = createTrafficRouter(api, { plan, httpRoute: 'storefront' });
    expect(await router.check()).toEqual([]);

    await router.setWeight(10);
    expect(await weights()).toEqual([['cdn:1'], ['demo-slipway-demo:90', 'demo-slipway-demo-canary:10']]);
    await router.setWeight(50);
    expect(await weights()).toEqual([['cdn:1'], ['demo-slipway-demo:50', 'demo-slipway-demo-canary:50']]);
    const canaryRef = (await route()).spec.rules[1].backendRefs[1];
    expect(canaryRef).toEqual({ group: '', kind: 'Service', name: 'demo-slipway-demo-canary', port: 80, weight: 50 });

    const snapshot = JSON.parse(JSON.stringify(router.snapshot())) as TrafficSnapshot;
    const later = createTrafficRouter(await openApi(), { restoreFrom: snapshot });
    await later.restore();
    expect((await route()).spec.rules).toEqual(original);
    await later.restore();

    // The canary's removal leaves the user's route alone.
    const removed = await removeCanary(api, { namespace, release: 'demo', refs: plan.refs }, { waitMs: 60_000 });
    expect(removed.remaining).toEqual([]);
    expect((await route()).spec.rules).toEqual(original);
  });

  it('reports a route edited while the canary ran instead of overwriting it', async () => {
    const manifest = await helm(['template', 'demo', chartDir, '--set', 'replicas=2,tests.enabled=false,version=v3']);
    const plan = deriveCanary(manifest, { release: 'demo', namespace, provider: 'gateway-api', runId: 'it-gateway-2' });
    const router = createTrafficRouter(api, { plan, httpRoute: 'storefront' });
    await router.setWeight(25);
    await kubectl(sb, [
      'patch',
      'httproute',
      'storefront',
      '-n',
      namespace,
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'replace', path: '/spec/rules/1/backendRefs/0/weight', value: 60 }]),
    ]);
    const error = await router.restore().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TrafficRouteConflictError);
    expect(error).toMatchObject({ exitCode: 4 });
    expect(await weights()).toEqual([['cdn:1'], ['demo-slipway-demo:60', 'demo-slipway-demo-canary:25']]);
  });

  for (const major of ['HELM3', 'HELM4'] as const) {
    it(`restores a route the chart renders so that the promotion's helm upgrade (${major}) owns its rules again`, async () => {
      const release = `rt${major.slice(-1)}`;
      const name = `${release}-slipway-demo`;
      const helmX = (args: string[]) => runOk(sb, sb.env[major] as string, [...args, '--namespace', namespace], { timeoutMs: 120_000 });
      const values = 'replicas=1,tests.enabled=false,httpRoute.enabled=true';
      await helmX(['upgrade', '--install', release, chartDir, '--set', `${values},version=v1`]);
      const manifest = await helmX(['template', release, chartDir, '--set', `${values},version=v2`]);
      const plan = deriveCanary(manifest, { release, namespace, provider: 'gateway-api', runId: `it-${release}` });
      await applyCanary(api, plan, { [name]: 1 });
      const router = createTrafficRouter(api, { plan, httpRoute: name });
      await router.setWeight(20);
      await router.restore();
      const owners = await kubectlJson<Json>(sb, ['get', 'httproute', name, '-n', namespace, '--show-managed-fields']);
      expect(owners.metadata.managedFields.map((f: Json) => f.manager)).not.toContain('slipway');
      // The promotion: a new chart version whose rules differ (another port).
      await helmX(['upgrade', release, chartDir, '--set', `${values},version=v2,service.port=8080`]);
      const upgraded = await kubectlJson<Json>(sb, ['get', 'httproute', name, '-n', namespace]);
      expect(upgraded.spec.rules.map((rule: Json) => rule.backendRefs)).toEqual([[{ group: '', kind: 'Service', name, port: 8080, weight: 1 }]]);
      await removeCanary(api, { namespace, release, refs: plan.refs });
    });
  }

  it('names a route that does not exist or does not route to the release', async () => {
    const manifest = await helm(['template', 'demo', chartDir, '--set', 'replicas=2,tests.enabled=false']);
    const plan = deriveCanary(manifest, { release: 'demo', namespace, provider: 'gateway-api', runId: 'it-gateway-3' });
    expect(await createTrafficRouter(api, { plan, httpRoute: 'checkout' }).check()).toEqual([`HTTPRoute checkout does not exist in namespace '${namespace}'`]);
    await apply({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'docs', namespace },
      spec: { parentRefs: [{ name: 'slipway-gateway' }], rules: [{ backendRefs: [{ name: 'docs-site', port: 80 }] }] },
    });
    expect(await createTrafficRouter(api, { plan, httpRoute: 'docs' }).check()).toEqual([
      "HTTPRoute docs routes to Service docs-site, not to a Service of release 'demo' (demo-slipway-demo)",
    ]);
  });
});
