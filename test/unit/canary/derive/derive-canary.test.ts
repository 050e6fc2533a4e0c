import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  type CanaryObject,
  type CanaryPlan,
  CanaryNotDerivableError,
  deriveCanary,
  ParseError,
  summarizeCanaryPlan,
  type TrafficProvider,
} from '@slipway/core';

const fixtures = path.resolve(import.meta.dirname, '../../../fixtures/helm');
const manifest = (file: string) => readFileSync(path.join(fixtures, file), 'utf8');
const derive = (file: string, provider: TrafficProvider, release: string) =>
  deriveCanary(manifest(file), { release, namespace: 'slipway-rec', provider, runId: 'run-42' });

type Json = any;
const object = (plan: CanaryPlan, kind: string, name: string): Json => {
  const found = plan.objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} in the plan: ${plan.objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
};
/** The stable objects of a rendered manifest, by kind and name. */
const rendered = (file: string, kind: string, name: string): Json => {
  for (const document of parseAllDocuments(manifest(file))) {
    const value = document.toJS() as Json;
    if (value?.kind === kind && value?.metadata?.name === name) return value;
  }
  throw new Error(`no ${kind}/${name} in ${file}`);
};
/** Kubernetes' label selector semantics (matchLabels and the four operators), to check who selects whom. */
function selects(selector: Json, labels: Record<string, string>): boolean {
  const matchLabels = selector.matchLabels ?? (selector.matchExpressions ? {} : selector);
  if (!Object.entries(matchLabels).every(([k, v]) => labels[k] === v)) return false;
  return (selector.matchExpressions ?? []).every((e: Json) => {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === 'In') return has && e.values.includes(labels[e.key]);
    if (e.operator === 'NotIn') return !has || !e.values.includes(labels[e.key]);
    if (e.operator === 'Exists') return has;
    return !has;
  });
}
const helmKeys = (o: CanaryObject) =>
  [...Object.keys(o.metadata.labels), ...Object.keys(o.metadata.annotations)].filter((k) => k.startsWith('helm.sh/') || k.startsWith('meta.helm.sh/'));

describe('deriveCanary on slipway-demo (helm template, Helm 3 and 4)', () => {
  for (const file of ['canary-demo-helm3.yaml', 'canary-demo-helm4.yaml']) {
    it(`replicas: canary pods keep every label the stable Service selects (${file})`, () => {
      const plan = derive(file, 'replicas', 'demo');
      expect(plan.refs).toEqual([
        { apiVersion: 'v1', kind: 'Service', namespace: 'slipway-rec', name: 'demo-slipway-demo-canary' },
        { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'slipway-rec', name: 'demo-slipway-demo-canary' },
      ]);
      expect(plan.workloads).toEqual([
        {
          kind: 'Deployment',
          stable: 'demo-slipway-demo',
          canary: 'demo-slipway-demo-canary',
          namespace: 'slipway-rec',
          renderedReplicas: 2,
          selector: { 'app.kubernetes.io/name': 'slipway-demo', 'app.kubernetes.io/instance': 'demo', 'slipway.dev/track': 'canary' },
          relabelled: {},
        },
      ]);
      const deployment = object(plan, 'Deployment', 'demo-slipway-demo-canary');
      const podLabels = deployment.spec.template.metadata.labels;
      const stableService = rendered(file, 'Service', 'demo-slipway-demo');
      expect(selects(stableService.spec.selector, podLabels)).toBe(true);
      expect(selects(deployment.spec.selector, podLabels)).toBe(true);
      // ...and stable's pods are not the canary's.
      const stablePods = rendered(file, 'Deployment', 'demo-slipway-demo').spec.template.metadata.labels;
      expect(selects(deployment.spec.selector, stablePods)).toBe(false);
      expect(podLabels).toMatchObject({ 'slipway.dev/track': 'canary', 'slipway.dev/canary-of': 'demo', 'app.kubernetes.io/managed-by': 'slipway' });
      expect(deployment.spec.replicas).toBe(0);
      expect(deployment.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'slipway',
        'slipway.dev/canary-of': 'demo',
        'slipway.dev/track': 'canary',
      });
      expect(deployment.metadata.annotations).toMatchObject({ 'slipway.dev/run-id': 'run-42', 'slipway.dev/canary-source': 'Deployment/demo-slipway-demo' });
      expect(deployment.spec.template.metadata.annotations['slipway.dev/run-id']).toBe('run-42');
      expect(deployment.spec.template.spec.containers[0].image).toBe('127.0.0.1:5443/slipway/demo:1.0.0');

      const service = object(plan, 'Service', 'demo-slipway-demo-canary');
      expect(service.spec).toEqual({
        type: 'ClusterIP',
        selector: { 'app.kubernetes.io/name': 'slipway-demo', 'app.kubernetes.io/instance': 'demo', 'slipway.dev/track': 'canary' },
        ports: [{ name: 'http', port: 80, targetPort: 'http' }],
      });
      expect(selects(service.spec.selector, podLabels)).toBe(true);
      expect(selects(service.spec.selector, stablePods)).toBe(false);
      expect(plan.services).toEqual([
        {
          stable: 'demo-slipway-demo',
          canary: 'demo-slipway-demo-canary',
          namespace: 'slipway-rec',
          workloads: ['demo-slipway-demo'],
          selector: service.spec.selector,
        },
      ]);
      for (const o of plan.objects) expect(helmKeys(o), `${o.kind}/${o.metadata.name}`).toEqual([]);
      // The helm test Pod is a hook: not part of the canary.
      expect(plan.objects.map((o) => o.kind)).not.toContain('Pod');
      expect(plan.notes).toEqual([]);
    });

    it(`ingress-nginx: the stable Service does not select canary pods, the canary Service does (${file})`, () => {
      const plan = derive(file, 'ingress-nginx', 'demo');
      const deployment = object(plan, 'Deployment', 'demo-slipway-demo-canary');
      const podLabels = deployment.spec.template.metadata.labels;
      expect(podLabels).toMatchObject({ 'app.kubernetes.io/name': 'slipway-demo-canary', 'app.kubernetes.io/instance': 'demo-canary' });
      expect(selects(rendered(file, 'Service', 'demo-slipway-demo').spec.selector, podLabels)).toBe(false);
      expect(selects(rendered(file, 'Deployment', 'demo-slipway-demo').spec.selector, podLabels)).toBe(false);
      expect(selects(deployment.spec.selector, podLabels)).toBe(true);
      expect(selects(object(plan, 'Service', 'demo-slipway-demo-canary').spec.selector, podLabels)).toBe(true);
      expect(plan.workloads[0]?.relabelled).toEqual({
        'app.kubernetes.io/name': { stable: 'slipway-demo', canary: 'slipway-demo-canary' },
        'app.kubernetes.io/instance': { stable: 'demo', canary: 'demo-canary' },
      });
    });
  }
});

describe('deriveCanary on a chart with ConfigMaps, Secrets, two workloads and an autoscaler (slipway-canary-config)', () => {
  const file = 'canary-config-helm3.yaml';
  const plan = derive(file, 'gateway-api', 'shop');

  it('copies every ConfigMap and Secret of the chart the pods use, and points the canary pods at the copies', () => {
    expect(plan.configs.map((c) => `${c.kind}/${c.stable} -> ${c.canary}`).sort()).toEqual([
      'ConfigMap/shop-app-env -> shop-app-env-canary',
      'ConfigMap/shop-app-features -> shop-app-features-canary',
      'ConfigMap/shop-app-settings -> shop-app-settings-canary',
      'Secret/shop-app-credentials -> shop-app-credentials-canary',
      'Secret/shop-app-tls-bundle -> shop-app-tls-bundle-canary',
    ]);
    const web = object(plan, 'Deployment', 'shop-app-canary').spec.template.spec;
    const env = Object.fromEntries(web.containers[0].env.map((e: Json) => [e.name, e.valueFrom]));
    expect(env.API_KEY.secretKeyRef).toEqual({ name: 'shop-app-credentials-canary', key: 'api-key' });
    expect(env.GREETING.configMapKeyRef).toEqual({ name: 'shop-app-settings-canary', key: 'greeting' });
    expect(env.REGION.configMapKeyRef.name).toBe('cluster-settings');
    expect(web.containers[0].envFrom).toEqual([{ configMapRef: { name: 'shop-app-env-canary' } }]);
    expect(web.volumes[0].configMap.name).toBe('shop-app-settings-canary');
    expect(web.volumes[1].projected.sources).toEqual([
      { configMap: { name: 'shop-app-features-canary' } },
      { secret: { name: 'shop-app-tls-bundle-canary' } },
      { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
    ]);
    const worker = object(plan, 'Deployment', 'shop-app-worker-canary').spec.template.spec;
    expect(worker.containers[0].envFrom).toEqual([{ configMapRef: { name: 'shop-app-env-canary' } }, { secretRef: { name: 'shop-app-credentials-canary' } }]);
    // The copies hold the NEW values; stable's objects are not in the plan at all.
    expect(object(plan, 'ConfigMap', 'shop-app-settings-canary').data).toEqual({ greeting: 'bonjour', version: 'v2' });
    expect(object(plan, 'Secret', 'shop-app-credentials-canary')).toMatchObject({ type: 'Opaque', data: { 'api-key': 'bm90LWEtcmVhbC1rZXk=' } });
    expect(object(plan, 'Secret', 'shop-app-tls-bundle-canary').stringData['ca.pem']).toContain('not a real certificate');
    expect(plan.notes).toContain('Deployment/shop-app uses ConfigMap cluster-settings, which the chart does not render: the canary uses it as it is');
  });

  it('never puts secret data in the log lines', () => {
    const lines = summarizeCanaryPlan(plan).join('\n');
    expect(lines).toContain('Secret/shop-app-credentials-canary');
    expect(lines).not.toContain('bm90LWEtcmVhbC1rZXk=');
    expect(lines).not.toContain('not-a-real-key');
    expect(lines).not.toContain('not a real certificate');
  });

  it('relabels so that no stable Service selects a canary pod, and each canary Service selects only canary pods', () => {
    const stableServices = ['shop-app', 'shop-app-metrics'].map((name) => rendered(file, 'Service', name));
    const stablePods = ['shop-app', 'shop-app-worker'].map((name) => rendered(file, 'Deployment', name).spec.template.metadata.labels);
    const canaryPods = ['shop-app-canary', 'shop-app-worker-canary'].map((name) => object(plan, 'Deployment', name).spec.template.metadata.labels);
    for (const service of stableServices) for (const pod of canaryPods) expect(selects(service.spec.selector, pod), service.metadata.name).toBe(false);
    const metrics = object(plan, 'Service', 'shop-app-metrics-canary');
    expect(canaryPods.map((pod) => selects(metrics.spec.selector, pod))).toEqual([true, true]);
    expect(stablePods.map((pod) => selects(metrics.spec.selector, pod))).toEqual([false, false]);
    const web = object(plan, 'Service', 'shop-app-canary');
    expect(canaryPods.map((pod) => selects(web.spec.selector, pod))).toEqual([true, false]);
    expect(plan.services.find((s) => s.stable === 'shop-app-metrics')?.workloads).toEqual(['shop-app', 'shop-app-worker']);
    // The worker's selector has a matchExpression on a label no Service selects: kept, and it still selects its pods.
    const worker = object(plan, 'Deployment', 'shop-app-worker-canary');
    expect(worker.spec.selector.matchExpressions).toEqual([{ key: 'app.kubernetes.io/component', operator: 'In', values: ['worker'] }]);
    expect(selects(worker.spec.selector, worker.spec.template.metadata.labels)).toBe(true);
  });

  it('makes a LoadBalancer Service ClusterIP without its cloud annotations, notes the autoscaler, leaves hooks out', () => {
    const web = object(plan, 'Service', 'shop-app-canary');
    expect(web.spec.type).toBe('ClusterIP');
    expect(web.metadata.annotations).not.toHaveProperty('service.beta.kubernetes.io/azure-load-balancer-internal');
    expect(web.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    expect(plan.notes).toContain(
      'Service/shop-app is of type LoadBalancer: its canary copy shop-app-canary is ClusterIP (no second load balancer or node port)',
    );
    expect(plan.notes).toContain('HorizontalPodAutoscaler/shop-app scales Deployment/shop-app; the canary is not autoscaled (Slipway sets its replicas)');
    // No replicas in the chart (the autoscaler owns them): Kubernetes' default.
    expect(plan.workloads.find((w) => w.stable === 'shop-app')?.renderedReplicas).toBe(1);
    const names = plan.objects.map((o) => o.metadata.name);
    expect(names.filter((n) => /migrate|hook|test/.test(n))).toEqual([]);
    expect(plan.objects.map((o) => o.kind)).not.toContain('HorizontalPodAutoscaler');
    // Apply order: configs, Services, workloads.
    const stages = plan.refs.map((r) => (r.kind === 'Deployment' ? 2 : r.kind === 'Service' ? 1 : 0));
    expect(stages).toEqual([...stages].sort());
    expect(new Set(plan.refs.map((r) => r.kind))).toEqual(new Set(['Secret', 'ConfigMap', 'Service', 'Deployment']));
    for (const o of plan.objects) {
      expect(helmKeys(o), `${o.kind}/${o.metadata.name}`).toEqual([]);
      expect(o.metadata.labels['app.kubernetes.io/managed-by']).toBe('slipway');
    }
  });

  it('shortens names past 63 characters with a hash, and keeps them stable', () => {
    const long = deriveCanary(manifest('canary-config-long-names-helm4.yaml'), {
      release: 'shop',
      namespace: 'slipway-rec',
      provider: 'ingress-nginx',
      runId: 'r',
    });
    const again = deriveCanary(manifest('canary-config-long-names-helm4.yaml'), {
      release: 'shop',
      namespace: 'slipway-rec',
      provider: 'ingress-nginx',
      runId: 'r',
    });
    const stableName = 'checkout-service-with-a-name-long-enough-to-need-a-hash-xyz12';
    const web = long.workloads.find((w) => w.stable === stableName);
    expect(web?.canary).toMatch(/^checkout-service-with-a-name-long-enough-to-nee-[0-9a-f]{8}-canary$/);
    expect(web?.canary.length).toBeLessThanOrEqual(63);
    expect(again.workloads.map((w) => w.canary)).toEqual(long.workloads.map((w) => w.canary));
    for (const ref of long.refs.filter((r) => r.kind === 'Service' || r.kind === 'Deployment')) expect(ref.name.length, ref.name).toBeLessThanOrEqual(63);
    // ConfigMap and Secret names may be 253 long: plain suffix.
    expect(long.configs.map((c) => c.canary)).toContain(`${stableName}-settings-canary`);
  });
});

describe('deriveCanary on other charts', () => {
  it('canaries a StatefulSet with its headless Service and lists what it cannot canary (slipway-workloads)', () => {
    const plan = derive('canary-workloads-all-helm4.yaml', 'replicas', 'wl');
    expect(plan.workloads.map((w) => `${w.kind}/${w.canary}`)).toEqual(['Deployment/wl-web-canary', 'StatefulSet/wl-db-canary']);
    const sts = object(plan, 'StatefulSet', 'wl-db-canary');
    expect(sts.spec.serviceName).toBe('wl-db-canary');
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Delete', whenScaled: 'Delete' });
    expect(object(plan, 'Service', 'wl-db-canary').spec.clusterIP).toBe('None');
    expect(plan.notes).toEqual([
      'DaemonSet/wl-agent is not canaried (it runs one pod per node); it is upgraded with the stable release on promote',
      'Job/wl-migrate is not canaried (it runs to completion, not as a service); it runs when the stable release is upgraded on promote',
      'no Service of the chart selects the pods of Deployment/wl-web: its canary gets no traffic through a Service',
    ]);
    // The pre-upgrade hook Job is a hook: not even noted.
    expect(plan.notes.join('\n')).not.toContain('wl-pre-upgrade');
  });

  it('opens Lists and ignores kinds it does not copy (slipway-policy-edges)', () => {
    const plan = derive('canary-policy-edges-helm3.yaml', 'replicas', 'edges');
    expect(plan.workloads.map((w) => w.stable)).toEqual(['edges-hardened']);
    expect(plan.objects.map((o) => o.kind)).toEqual(['Deployment']);
  });

  it('refuses a chart with no Deployment or StatefulSet, naming what it has (exit 2)', () => {
    let thrown: unknown;
    try {
      derive('canary-workloads-none-helm3.yaml', 'replicas', 'wl');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CanaryNotDerivableError);
    expect(thrown).toMatchObject({ code: 'CANARY_NOT_DERIVABLE', exitCode: 2 });
    expect((thrown as Error).message).toBe(
      "the chart of release 'wl' renders no Deployment or StatefulSet (only DaemonSet, Job): there is nothing to run as a canary",
    );
  });

  it('throws a ParseError quoting YAML that does not parse', () => {
    expect(() => deriveCanary('kind: Deployment\n  bad: [indent', { release: 'x', namespace: 'n', provider: 'replicas', runId: 'r' })).toThrow(ParseError);
  });
});
