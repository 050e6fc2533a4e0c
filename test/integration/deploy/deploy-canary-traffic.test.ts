import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeSandbox, kubectl, kubectlJson, repoRoot, uniqueName, waitFor, type SandboxInfo } from '../sandbox/sandbox.ts';
import {
  baseDeployInputs,
  bundleDeployHosts,
  canaryDeployInputs,
  canaryObjects,
  type CliDocument as HostCliDocument,
  cliDocument,
  helmHistory,
  start,
  suiteNamespaces,
  toolEnv,
  type DeployHosts,
  type Started,
} from './deploy-hosts.ts';

/**
 * The canary's traffic providers end to end, through the CLI (`slipway deploy --strategy canary --json`):
 * the objects an ingress-nginx controller or a Gateway API implementation would read, watched as the
 * canary runs (a `kubectl get --watch` of their own, streaming, so every intermediate weight is seen),
 * and what is left of them after a promotion and after a rollback. No controller runs in the sandbox.
 */

interface KubeObject {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion: string;
    generation?: number;
    managedFields?: Array<{ manager: string; operation: string }>;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: any;
}
interface WatchEvent {
  type: string;
  object: KubeObject;
  at: number;
}
interface GateRecord {
  step: number;
  gate: string;
  passed: boolean;
  detail: string;
  weight: number;
}
type CliDocument = HostCliDocument<{ canary?: { result: string; failedGate?: string; gates: GateRecord[]; weights: Array<{ weight: number }> } }>;

const stableName = 'demo-slipway-demo';
const canaryName = 'demo-slipway-demo-canary';
const weightAnnotation = 'nginx.ingress.kubernetes.io/canary-weight';

/**
 * Splits a stream of JSON documents (what `kubectl get --watch --output-watch-events -o json` prints,
 * one after another) into whole documents and the unfinished rest.
 */
function splitJsonDocuments(text: string): { documents: string[]; rest: string } {
  const documents: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let begin = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) begin = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) {
        documents.push(text.slice(begin, i + 1));
        begin = -1;
      }
    }
  }
  return { documents, rest: begin >= 0 ? text.slice(begin) : '' };
}

/** A streaming watch of one kind in a namespace: every event, with the time the test saw it. */
class KindWatch {
  readonly events: WatchEvent[] = [];
  readonly #process: Started;
  #stderr = '';
  #exited = false;

  constructor(sb: SandboxInfo, resource: string, namespace: string) {
    this.#process = start(
      sb.env.KUBECTL ?? 'kubectl',
      ['--kubeconfig', sb.env.KUBECONFIG as string, 'get', resource, '-n', namespace, '--watch', '--output-watch-events', '-o', 'json'],
      toolEnv(sb, sb.env.HELM4 as string),
    );
    let buffer = '';
    this.#process.child.stdout?.on('data', (chunk: Buffer) => {
      const { documents, rest } = splitJsonDocuments(buffer + chunk.toString('utf8'));
      buffer = rest;
      const at = Date.now();
      for (const document of documents) {
        const event = JSON.parse(document) as { type: string; object: KubeObject };
        this.events.push({ type: event.type, object: event.object, at });
      }
    });
    this.#process.child.stderr?.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString('utf8')));
    void this.#process.done.then(() => (this.#exited = true));
  }

  /** The events of the object named `name`, from event index `from` on. */
  of(name: string, from = 0): WatchEvent[] {
    return this.events.slice(from).filter((event) => event.object.metadata.name === name);
  }

  async until<T>(what: string, pick: () => T | undefined, timeoutMs = 60_000): Promise<T> {
    return waitFor(
      what,
      async () => {
        const value = pick();
        if (value === undefined && this.#exited) throw new Error(`the watch ended: ${this.#stderr}`);
        return value;
      },
      { timeoutMs, intervalMs: 50 },
    );
  }

  stop(): void {
    this.#process.child.kill();
  }
}

/** Consecutive duplicates dropped: the states an object went through. */
function transitions<T>(values: T[]): T[] {
  return values.filter((value, index) => index === 0 || JSON.stringify(value) !== JSON.stringify(values[index - 1]));
}

/** `name=weight` of every backendRef of every rule: what a Gateway API implementation splits traffic by. */
function routeWeights(route: KubeObject): string[][] {
  return (route.spec?.rules ?? []).map((rule: any) => (rule.backendRefs ?? []).map((ref: any) => `${ref.name}=${ref.weight}`));
}

/** True when every key of `selector` has its value in `labels`: the Service selects the pod. */
function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

describeSandbox('deploy (canary) traffic: ingress-nginx canary Ingress and Gateway API HTTPRoute weights, through the CLI', (sb: SandboxInfo) => {
  let hosts: DeployHosts;
  let dir: string;
  const { newNamespace, deleteNamespaces } = suiteNamespaces(sb);
  const watches: KindWatch[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-canary-traffic-it-'));
    hosts = await bundleDeployHosts(dir);
  }, 180_000);
  afterAll(async () => {
    for (const watch of watches) watch.stop();
    await deleteNamespaces();
    rmSync(dir, { recursive: true, force: true });
  });

  const watch = async (resource: string, ns: string, existing: string) => {
    const started = new KindWatch(sb, resource, ns);
    watches.push(started);
    // Established once it lists what is already there.
    await started.until(`the ${resource} watch to list ${existing}`, () => started.of(existing)[0]);
    return started;
  };
  const baseInputs = (ns: string) => baseDeployInputs(sb, ns);
  const canaryInputs = (ns: string, canary: Record<string, string>) => canaryDeployInputs(sb, ns, canary);
  const cliDoc = (helm: string, inputs: Record<string, string>) => cliDocument<CliDocument>(sb, hosts, helm, inputs);
  const history = (helm: string, ns: string) => helmHistory(sb, helm, ns);
  const get = (kind: string, ns: string, name: string) => kubectlJson<KubeObject>(sb, ['get', kind, name, '-n', ns]);
  const podsOf = async (ns: string) => (await kubectlJson<{ items: KubeObject[] }>(sb, ['get', 'pods', '-n', ns])).items;
  /** Every canary object left in the namespace: by Slipway's labels, and by name. */
  const canaryLeftovers = async (ns: string) => {
    const labelled = await canaryObjects(sb, ns);
    const named = await kubectl(sb, ['get', 'deployments,replicasets,services,ingresses', '-n', ns, '-o', 'name']);
    return [...labelled.split('\n'), ...named.split('\n').filter((name) => name.includes('-canary'))].filter(Boolean);
  };
  const applyJson = async (object: unknown) => {
    const file = path.join(dir, `${uniqueName('object')}.json`);
    writeFileSync(file, JSON.stringify(object));
    await kubectl(sb, ['apply', '-f', file]);
  };

  for (const [label, variable] of [
    ['helm 3', 'HELM3'],
    ['helm 4', 'HELM4'],
  ] as const) {
    it(`${label}: ingress-nginx: a canary Ingress at canary-weight 10, 25, 50 to a canary-only Service, then promoted with nothing left; a crash-looping canary's Ingress removed; the stable Ingress never touched`, {
      timeout: 150_000,
    }, async () => {
      const helm = sb.env[variable] as string;
      const ns = await newNamespace(`canary-nginx-${variable.toLowerCase()}`);
      const stable = await cliDoc(helm, { ...baseInputs(ns), set: 'ingress.enabled=true\nversion=v1' });
      expect(stable.doc.exitCode, stable.stderr).toBe(0);
      expect(stable.doc.outputs).toMatchObject({ result: 'deployed', revision: '1' });
      const stableIngress = await get('ingress', ns, stableName);
      const ingresses = await watch('ingresses', ns, stableName);

      // 1. A healthy canary, observed at its first step: Services, pods and the canary Ingress.
      const running = cliDoc(helm, {
        ...canaryInputs(ns, { traffic: 'ingress-nginx', ingress: stableName, bake: '3s' }),
        set: 'ingress.enabled=true\nversion=v2',
      });
      await ingresses.until('the canary Ingress', () => ingresses.of(`${stableName}-canary`)[0], 60_000);
      const pods = await waitFor('canary pods', async () => {
        const all = await podsOf(ns);
        return all.some((pod) => pod.metadata.name.startsWith(`${canaryName}-`)) ? all : undefined;
      });
      const canaryService = await get('service', ns, canaryName);
      const stableService = await get('service', ns, stableName);
      const ran = await running;
      expect(ran.doc.exitCode, ran.stderr).toBe(0);
      expect(ran.doc.outputs).toMatchObject({ result: 'promoted', revision: '2', 'failed-gate': '' });

      const canaryPods = pods.filter((pod) => pod.metadata.name.startsWith(`${canaryName}-`));
      const stablePods = pods.filter((pod) => !pod.metadata.name.startsWith(`${canaryName}-`));
      expect(stablePods.length).toBe(2);
      const canarySelector = canaryService.spec.selector as Record<string, string>;
      const stableSelector = stableService.spec.selector as Record<string, string>;
      // The canary Service reaches canary pods only; the stable Service never reaches them (traffic goes there only through the canary Ingress).
      for (const pod of canaryPods) {
        expect(selects(canarySelector, pod.metadata.labels), `canary Service selector ${JSON.stringify(canarySelector)} vs ${pod.metadata.name}`).toBe(true);
        expect(selects(stableSelector, pod.metadata.labels), `stable Service selector ${JSON.stringify(stableSelector)} vs ${pod.metadata.name}`).toBe(false);
      }
      for (const pod of stablePods) expect(selects(canarySelector, pod.metadata.labels), pod.metadata.name).toBe(false);

      const canaryEvents = await ingresses.until('the canary Ingress to be deleted', () => {
        const events = ingresses.of(`${stableName}-canary`);
        return events.at(-1)?.type === 'DELETED' ? events : undefined;
      });
      const live = canaryEvents.filter((event) => event.type !== 'DELETED');
      for (const event of live) {
        const { annotations } = event.object.metadata;
        expect(annotations?.['nginx.ingress.kubernetes.io/canary']).toBe('true');
        expect(event.object.spec.ingressClassName).toBe('nginx');
        const backends = event.object.spec.rules.flatMap((rule: any) => rule.http.paths.map((p: any) => p.backend.service));
        expect(backends).toEqual([{ name: canaryName, port: { number: 80 } }]);
      }
      const weights = transitions(live.map((event) => event.object.metadata.annotations?.[weightAnnotation]));
      // Weight 0 may be seen last: restore zeroes the weight before it deletes the Ingress.
      expect(weights.filter((weight) => weight !== '0')).toEqual(['10', '25', '50']);
      expect(weights.indexOf('0')).toBeOneOf([-1, weights.length - 1]);
      // Each weight held for its bake (3 s), not just flashed by.
      const firstSeen = (weight: string) => live.find((event) => event.object.metadata.annotations?.[weightAnnotation] === weight)?.at ?? 0;
      expect(firstSeen('25') - firstSeen('10')).toBeGreaterThanOrEqual(2500);
      expect(firstSeen('50') - firstSeen('25')).toBeGreaterThanOrEqual(2500);

      // The stable Ingress: never modified (no event after its listing; same resourceVersion and generation).
      expect(ingresses.of(stableName).map((event) => event.type)).toEqual(['ADDED']);
      const stableAfter = await get('ingress', ns, stableName);
      expect(stableAfter.metadata).toMatchObject({ resourceVersion: stableIngress.metadata.resourceVersion, generation: stableIngress.metadata.generation });
      expect(await canaryLeftovers(ns)).toEqual([]);
      expect((await history(helm, ns)).at(-1)).toMatchObject({ revision: 2, status: 'deployed' });
      expect((await get('deployment', ns, stableName)).spec.template.metadata.labels.version).toBe('v2');

      // 2. A crash-looping canary: rolled back, its Ingress gone, stable untouched (revision, pods, Ingress).
      const mark = ingresses.events.length;
      // Stable's pods once the promotion's rollout has settled (its old pods gone): the ones that must survive the rollback.
      const stablePodNames = async () =>
        (await podsOf(ns))
          .map((pod) => pod.metadata.name)
          .filter((name) => !name.startsWith(`${canaryName}-`))
          .sort();
      const stablePodsBefore = await waitFor('the promoted stable pods', async () => {
        const names = await stablePodNames();
        return names.length === 2 ? names : undefined;
      });
      const crashing = await cliDoc(helm, {
        ...canaryInputs(ns, { traffic: 'ingress-nginx', ingress: stableName }),
        set: 'ingress.enabled=true\nversion=v3\nfailureMode=crashloop',
      });
      expect(crashing.doc.exitCode, crashing.stderr).toBe(1);
      expect(crashing.doc.outputs).toMatchObject({ result: 'rolled-back', 'failed-gate': 'health', revision: '2' });
      expect(crashing.doc.outputs.reason).toMatch(/pod demo-slipway-demo-canary-\S+ container app: CrashLoopBackOff/);
      const crashEvents = await ingresses.until('the crash-looping canary Ingress to be deleted', () => {
        const events = ingresses.of(`${stableName}-canary`, mark);
        return events.at(-1)?.type === 'DELETED' ? events : undefined;
      });
      expect(crashEvents[0]).toMatchObject({ type: 'ADDED', object: { metadata: { annotations: { [weightAnnotation]: '10' } } } });
      expect(ingresses.of(stableName, mark)).toEqual([]);
      expect((await get('ingress', ns, stableName)).metadata.resourceVersion).toBe(stableIngress.metadata.resourceVersion);
      expect(await canaryLeftovers(ns)).toEqual([]);
      expect((await history(helm, ns)).map((entry) => entry.revision)).toEqual([1, 2]);
      expect(await stablePodNames()).toEqual(stablePodsBefore);
    });
  }

  for (const [label, variable] of [
    ['helm 3', 'HELM3'],
    ['helm 4', 'HELM4'],
  ] as const) {
    it(`${label}: gateway-api, the chart's own HTTPRoute: backendRefs stable 90/canary 10, 75/25, 50/50; the promotion's upgrade succeeds and the rules are the original, after a crash-looping canary too; a later upgrade changing the rules is not refused`, {
      timeout: 150_000,
    }, async () => {
      const helm = sb.env[variable] as string;
      const ns = await newNamespace(`canary-gw-${variable.toLowerCase()}`);
      await kubectl(sb, ['apply', '-n', ns, '-f', path.join(repoRoot, 'test/fixtures/k8s/gateway.yaml')]);
      const stable = await cliDoc(helm, { ...baseInputs(ns), set: 'httpRoute.enabled=true\nversion=v1' });
      expect(stable.doc.exitCode, stable.stderr).toBe(0);
      const original = (await get('httproute', ns, stableName)).spec.rules;
      expect(routeWeights({ metadata: { name: stableName, resourceVersion: '' }, spec: { rules: original } })).toEqual([[`${stableName}=1`]]);
      const routes = await watch('httproutes', ns, stableName);

      const promoted = await cliDoc(helm, {
        ...canaryInputs(ns, { traffic: 'gateway-api', 'http-route': stableName }),
        set: 'httpRoute.enabled=true\nversion=v2',
      });
      expect(promoted.doc.exitCode, promoted.stderr).toBe(0);
      expect(promoted.doc.outputs).toMatchObject({ result: 'promoted', revision: '2' });
      // The promotion's upgrade (Helm 4: server-side apply, which a field owned by Slipway would conflict with) succeeded.
      expect(promoted.stderr).not.toMatch(/conflict/i);
      expect((await history(helm, ns)).at(-1)).toMatchObject({ revision: 2, status: 'deployed' });
      const seen = transitions(routes.of(stableName).map((event) => routeWeights(event.object)));
      expect(seen).toEqual([
        [[`${stableName}=1`]],
        [[`${stableName}=90`, `${canaryName}=10`]],
        [[`${stableName}=75`, `${canaryName}=25`]],
        [[`${stableName}=50`, `${canaryName}=50`]],
        [[`${stableName}=1`]],
      ]);
      // The canary's backendRef is a copy of stable's (same group, kind, port), to the canary Service.
      const weighted = routes.of(stableName).find((event) => routeWeights(event.object)[0]?.length === 2);
      expect(weighted?.object.spec.rules[0].backendRefs[1]).toEqual({ ...original[0].backendRefs[0], name: canaryName, weight: 10 });
      expect((await get('httproute', ns, stableName)).spec.rules).toEqual(original);
      expect(await canaryLeftovers(ns)).toEqual([]);

      const mark = routes.events.length;
      const crashing = await cliDoc(helm, {
        ...canaryInputs(ns, { traffic: 'gateway-api', 'http-route': stableName }),
        set: 'httpRoute.enabled=true\nversion=v3\nfailureMode=crashloop',
      });
      expect(crashing.doc.exitCode, crashing.stderr).toBe(1);
      expect(crashing.doc.outputs).toMatchObject({ result: 'rolled-back', 'failed-gate': 'health', revision: '2' });
      expect(transitions(routes.of(stableName, mark).map((event) => routeWeights(event.object)))).toEqual([
        [[`${stableName}=90`, `${canaryName}=10`]],
        [[`${stableName}=1`]],
      ]);
      expect((await get('httproute', ns, stableName)).spec.rules).toEqual(original);
      expect(await canaryLeftovers(ns)).toEqual([]);
      expect((await history(helm, ns)).map((entry) => entry.revision)).toEqual([1, 2]);

      // Slipway let go of the rules (its managedFields entry dropped): a later upgrade that changes them is not
      // refused (Helm 4's server-side apply would report a conflict with "slipway" on .spec.rules otherwise).
      const route = await kubectlJson<KubeObject>(sb, ['get', 'httproute', stableName, '-n', ns, '--show-managed-fields']);
      expect(route.metadata.managedFields?.map((entry) => entry.manager)).not.toContain('slipway');
      const changed = await cliDoc(helm, { ...baseInputs(ns), set: 'httpRoute.enabled=true\nversion=v2\nservice.port=8080' });
      expect(changed.doc.exitCode, changed.stderr).toBe(0);
      expect(changed.doc.outputs).toMatchObject({ result: 'deployed', revision: '3' });
      expect((await get('httproute', ns, stableName)).spec.rules).toEqual([{ ...original[0], backendRefs: [{ ...original[0].backendRefs[0], port: 8080 }] }]);
    });
  }

  it('helm 4: gateway-api, an HTTPRoute the chart does not own, with a passing smoke check (shown with its latency) promotes; a failing smoke check rolls back (failed-gate smoke); the rules are exactly the original each time', {
    timeout: 150_000,
  }, async () => {
    const helm = sb.env.HELM4 as string;
    const ns = await newNamespace('canary-gw-route');
    await kubectl(sb, ['apply', '-n', ns, '-f', path.join(repoRoot, 'test/fixtures/k8s/gateway.yaml')]);
    const stable = await cliDoc(helm, { ...baseInputs(ns), set: 'version=v1' });
    expect(stable.doc.exitCode, stable.stderr).toBe(0);
    // A platform team's route: the release's Service alone on /, and beside another backend (weight 3 to 1) on /api.
    await applyJson({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'storefront', namespace: ns },
      spec: {
        parentRefs: [{ name: 'slipway-gateway' }],
        hostnames: ['shop.example.com'],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
            backendRefs: [
              { name: stableName, port: 80, weight: 3 },
              { name: 'legacy-api', port: 8080 },
            ],
          },
          { backendRefs: [{ name: stableName, port: 80 }] },
        ],
      },
    });
    const route = await get('httproute', ns, 'storefront');
    const original = route.spec.rules;
    const routes = await watch('httproutes', ns, 'storefront');
    const metricsApp = sb.env.METRICS_APP_URL as string;

    const promoted = await cliDoc(helm, {
      ...canaryInputs(ns, {
        traffic: 'gateway-api',
        'http-route': 'storefront',
        smoke: `- name: healthz\n  url: ${metricsApp}/healthz\n  expect-status: 200\n`,
      }),
      set: 'version=v2',
    });
    expect(promoted.doc.exitCode, promoted.stderr).toBe(0);
    expect(promoted.doc.outputs).toMatchObject({ result: 'promoted', revision: '2', 'failed-gate': '' });
    const smokeGates = promoted.doc.result?.canary?.gates.filter((gate) => gate.gate === 'smoke') ?? [];
    expect(smokeGates.map((gate) => [gate.step, gate.passed])).toEqual([
      [0, true],
      [1, true],
      [2, true],
    ]);
    for (const gate of smokeGates) expect(gate.detail).toMatch(/^1\/1 passed \(healthz \d+ ms\)$/);
    // The summary's gate table shows each with its latency: | t | step | weight | gate | result | measured |.
    expect(promoted.doc.summary?.match(/\| smoke \| pass \| 1\/1 passed \(healthz \d+ ms\) \|/g)).toHaveLength(3);
    expect(transitions(routes.of('storefront').map((event) => routeWeights(event.object)))).toEqual([
      [[`${stableName}=3`, 'legacy-api=1'], [`${stableName}=1`]],
      [
        [`${stableName}=270`, `${canaryName}=30`, 'legacy-api=100'],
        [`${stableName}=90`, `${canaryName}=10`],
      ],
      [
        [`${stableName}=225`, `${canaryName}=75`, 'legacy-api=100'],
        [`${stableName}=75`, `${canaryName}=25`],
      ],
      [
        [`${stableName}=150`, `${canaryName}=150`, 'legacy-api=100'],
        [`${stableName}=50`, `${canaryName}=50`],
      ],
      [[`${stableName}=3`, 'legacy-api=1'], [`${stableName}=1`]],
    ]);
    expect((await get('httproute', ns, 'storefront')).spec).toEqual(route.spec);
    expect(await canaryLeftovers(ns)).toEqual([]);

    // A check that cannot pass (the app answers 200, never 599): the smoke gate fails the first step.
    const mark = routes.events.length;
    const failing = await cliDoc(helm, {
      ...canaryInputs(ns, {
        traffic: 'gateway-api',
        'http-route': 'storefront',
        smoke: `- name: version\n  url: ${metricsApp}/?version=x\n  expect-status: 599\n  retries: 0\n`,
      }),
      set: 'version=v3',
    });
    expect(failing.doc.exitCode, failing.stderr).toBe(1);
    expect(failing.doc.outputs).toMatchObject({ result: 'rolled-back', 'failed-gate': 'smoke', revision: '2' });
    expect(failing.doc.outputs.reason).toMatch(/version: .*200/);
    expect(failing.doc.summary).toMatch(/\| 1 \| 10% \| smoke \| FAIL \| 0\/1 passed \(version \d+ ms\) \|/);
    expect(failing.doc.result?.canary?.gates.filter((gate) => gate.gate === 'smoke').map((gate) => [gate.step, gate.passed])).toEqual([[0, false]]);
    expect(transitions(routes.of('storefront', mark).map((event) => routeWeights(event.object)))).toEqual([
      [
        [`${stableName}=270`, `${canaryName}=30`, 'legacy-api=100'],
        [`${stableName}=90`, `${canaryName}=10`],
      ],
      [[`${stableName}=3`, 'legacy-api=1'], [`${stableName}=1`]],
    ]);
    expect((await get('httproute', ns, 'storefront')).spec.rules).toEqual(original);
    const managers = (await kubectlJson<KubeObject>(sb, ['get', 'httproute', 'storefront', '-n', ns, '--show-managed-fields'])).metadata.managedFields;
    expect(managers?.map((entry) => entry.manager)).not.toContain('slipway');
    expect(await canaryLeftovers(ns)).toEqual([]);
    expect((await history(helm, ns)).map((entry) => entry.revision)).toEqual([1, 2]);
  });

  it('gateway-api with an HTTPRoute that does not exist: exit 2 naming http-route, and nothing in the cluster changed', { timeout: 90_000 }, async () => {
    const helm = sb.env.HELM3 as string;
    const ns = await newNamespace('canary-gw-missing');
    const stable = await cliDoc(helm, { ...baseInputs(ns), set: 'version=v1' });
    expect(stable.doc.exitCode, stable.stderr).toBe(0);
    const journalBefore = await get('configmap', ns, 'slipway-journal-demo');
    const objectsBefore = await kubectl(sb, ['get', 'deployments,services,ingresses,httproutes,configmaps,secrets', '-n', ns, '-o', 'name']);

    const missing = await cliDoc(helm, { ...canaryInputs(ns, { traffic: 'gateway-api', 'http-route': 'no-such-route' }), set: 'version=v2' });
    expect(missing.doc.exitCode, missing.stderr).toBe(2);
    expect(missing.doc.error).toMatchObject({ code: 'INPUT_INVALID' });
    expect(missing.doc.error?.message).toMatch(/'http-route'.*HTTPRoute no-such-route does not exist/);
    expect(await canaryLeftovers(ns)).toEqual([]);
    expect(await kubectl(sb, ['get', 'deployments,services,ingresses,httproutes,configmaps,secrets', '-n', ns, '-o', 'name'])).toBe(objectsBefore);
    expect((await get('configmap', ns, 'slipway-journal-demo')).metadata.resourceVersion).toBe(journalBefore.metadata.resourceVersion);
    expect((await history(helm, ns)).map((entry) => entry.revision)).toEqual([1]);
  });
});
