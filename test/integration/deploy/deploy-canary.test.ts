import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeSandbox, kubectl, kubectlJson, uniqueName, waitFor, type SandboxInfo } from '../sandbox/sandbox.ts';
import {
  baseDeployInputs,
  bundleDeployHosts,
  type CliDocument as HostCliDocument,
  canaryDeployInputs,
  canaryObjects as listCanaryObjects,
  cliArgs,
  cliDocument,
  helmHistory,
  readJournal,
  start,
  startCli,
  suiteNamespaces,
  toolEnv,
  type DeployHosts,
  watchCrashLoop,
} from './deploy-hosts.ts';

type CliDocument = HostCliDocument<{
  canary?: {
    gates: Array<{ gate: string; passed: boolean; detail: string; weight: number }>;
    weights: Array<{ weight: number }>;
    timeline: Array<{ at: string; message: string }>;
    rollbackDecidedAt?: string;
  };
}>;

interface Journal {
  phase: string;
  timeline: Array<{ at: string; phase: string; message: string }>;
  canary?: { state: { phase: string }; objects: Array<{ kind: string; name: string }> };
}

/** The error ratio of one metrics-app version over the last 5 s (the app's traffic is steady, so it settles exactly). */
const errorRatio = (version: string) =>
  `sum(rate(http_requests_total{version="${version}",code=~"5.."}[5s])) / sum(rate(http_requests_total{version="${version}"}[5s]))`;

describeSandbox('deploy strategy canary: gates, rollback and promotion against the sandbox', (sb: SandboxInfo) => {
  let hosts: DeployHosts;
  let dir: string;
  const { newNamespace, deleteNamespaces } = suiteNamespaces(sb);
  const versions: string[] = [];
  const metricsApp = sb.env.METRICS_APP_URL as string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-canary-it-'));
    hosts = await bundleDeployHosts(dir);
  }, 180_000);
  afterAll(async () => {
    for (const version of versions) await control(version, 0);
    await deleteNamespaces();
    rmSync(dir, { recursive: true, force: true });
  });

  const control = (version: string, errorRate: number) =>
    fetch(`${metricsApp}/control`, { method: 'POST', body: JSON.stringify({ version, errorRate }) }).then((response) => response.text());
  /** A metrics-app version of this test's own, so that no other suite's settings touch it. */
  const newVersion = async (prefix: string) => {
    const version = uniqueName(prefix);
    versions.push(version);
    await control(version, 0);
    return version;
  };
  const baseInputs = (ns: string) => baseDeployInputs(sb, ns);
  const canaryInputs = (ns: string, extra: Record<string, string>) => canaryDeployInputs(sb, ns, extra);
  const cli = (helm: string, inputs: Record<string, string>) => startCli(sb, hosts, helm, inputs);
  const cliDoc = (helm: string, inputs: Record<string, string>) => cliDocument<CliDocument>(sb, hosts, helm, inputs);
  const installStable = async (helm: string, ns: string) => {
    const stable = await cliDoc(helm, { ...baseInputs(ns), set: 'version=stable' });
    expect(stable.doc.exitCode, stable.stderr).toBe(0);
  };
  const journal = (ns: string) => readJournal<Journal>(sb, ns);
  const canaryObjects = (ns: string) => listCanaryObjects(sb, ns);
  const stablePods = async (ns: string) =>
    (
      await kubectlJson<{ items: Array<{ metadata: { name: string; labels: Record<string, string> } }> }>(sb, [
        'get',
        'pods',
        '-n',
        ns,
        '-l',
        'app.kubernetes.io/instance=demo,slipway.dev/track!=canary',
      ])
    ).items
      .map((pod) => pod.metadata.name)
      .sort();
  const helmRevision = async (helm: string, ns: string) => (await helmHistory(sb, helm, ns)).at(-1);

  for (const [label, variable] of [
    ['helm 3', 'HELM3'],
    ['helm 4', 'HELM4'],
  ] as const) {
    it(`${label}: a healthy canary goes through 3 steps and is promoted; a crash-looping one is removed within 3 s of its first CrashLoopBackOff, stable untouched`, {
      timeout: 180_000,
    }, async () => {
      const helm = sb.env[variable] as string;
      const ns = await newNamespace(`canary-${variable.toLowerCase()}`);
      await installStable(helm, ns);

      const healthy = await cliDoc(helm, canaryInputs(ns, { set: 'version=v2' }));
      expect(healthy.doc.exitCode, healthy.stderr).toBe(0);
      expect(healthy.doc.outputs).toMatchObject({ result: 'promoted', revision: '2', 'failed-gate': '' });
      const canary = healthy.doc.result?.canary;
      expect(canary?.weights.map((entry) => entry.weight)).toEqual([0, 33.3, 50, 100]);
      expect(canary?.timeline.map((entry) => entry.message)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^canary: 10% -> 25% \(health ok\)$/), expect.stringMatching(/^canary: 25% -> 50% \(health ok\)$/)]),
      );
      const deployment = await kubectlJson<{ spec: { template: { metadata: { labels: Record<string, string> } } } }>(sb, [
        'get',
        'deployment',
        'demo-slipway-demo',
        '-n',
        ns,
      ]);
      expect(deployment.spec.template.metadata.labels.version).toBe('v2');
      expect(await canaryObjects(ns)).toBe('');
      expect((await journal(ns))?.phase).toBe('promoted');

      // Crash-looping canary: a watch of the API of the test's own times the first CrashLoopBackOff.
      const podsBefore = await stablePods(ns);
      const revisionBefore = await helmRevision(helm, ns);
      const watcher = watchCrashLoop(sb, helm, ns, 'slipway.dev/track=canary');
      const crashing = await cliDoc(helm, canaryInputs(ns, { set: 'version=v3\nfailureMode=crashloop' }));
      const crashSeenAt = await watcher.firstCrash;
      watcher.child.kill();
      expect(crashing.doc.exitCode, crashing.stderr).toBe(1);
      expect(crashing.doc.outputs).toMatchObject({ result: 'rolled-back', 'failed-gate': 'health', revision: '2' });
      expect(crashing.doc.outputs.reason).toMatch(
        /^Deployment\/demo-slipway-demo-canary pod demo-slipway-demo-canary-[a-z0-9-]+ container app: CrashLoopBackOff/,
      );
      const decidedAt = Date.parse(crashing.doc.result?.canary?.rollbackDecidedAt ?? '');
      console.log(`${label}: canary CrashLoopBackOff seen by the test -> rollback decided: ${decidedAt - crashSeenAt} ms`);
      expect(decidedAt - crashSeenAt).toBeLessThan(3000);
      expect(await helmRevision(helm, ns)).toEqual(revisionBefore);
      expect(await stablePods(ns)).toEqual(podsBefore);
      expect(await canaryObjects(ns)).toBe('');
      expect(crashing.doc.summary).toContain('| workload | pod | container | reason |');
    });
  }

  it('the error rate raised mid-analysis rolls back on the metric gate, the measured values and threshold in the summary', { timeout: 120_000 }, async () => {
    const helm = sb.env.HELM4 as string;
    const ns = await newNamespace('canary-metric');
    await installStable(helm, ns);
    const version = await newVersion('it-canary');
    const metrics = `- name: error-rate\n  query: '${errorRatio(version)}'\n  threshold: "<= 1%"\n  interval: 1s`;
    const run = cli(helm, canaryInputs(ns, { bake: '30s', metrics, 'prometheus-url': sb.env.PROMETHEUS_URL as string, set: 'version=v2' }));
    // Healthy first: the first step's measurements pass; then the canary's errors go up.
    await waitFor(
      'a passing measurement',
      async () => ((await journal(ns))?.timeline.some((event) => /error-rate 0% <= 1%/.test(event.message)) ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    await control(version, 0.2);
    const outcome = await run.done;
    const doc = JSON.parse(outcome.stdout) as CliDocument;
    expect(doc.exitCode, outcome.stderr).toBe(1);
    expect(doc.outputs).toMatchObject({ result: 'rolled-back', 'failed-gate': 'analysis/error-rate' });
    expect(doc.outputs.reason).toMatch(/error-rate: 2 failed measurements, more than failure-limit 1/);
    expect(doc.summary).toMatch(/\| analysis\/error-rate \| pass \| error-rate 0% <= 1% \|/);
    expect(doc.summary).toMatch(/\| analysis\/error-rate \| FAIL \| error-rate \d+(\.\d+)?% is not <= 1% \|/);
    expect(doc.summary).toContain('worst case to notice a failure and roll back');
    expect(await canaryObjects(ns)).toBe('');
  });

  it('Prometheus stopped mid-analysis is an Error, not a Fail, handled by on-error; a query with no series is NoData, handled by on-no-data', {
    timeout: 120_000,
  }, async () => {
    const helm = sb.env.HELM3 as string;
    const ns = await newNamespace('canary-errors');
    await installStable(helm, ns);
    const version = await newVersion('it-canary-err');
    // A forwarder of the test's own in front of Prometheus: closing it is Prometheus going away for this run only.
    const upstream = new URL(sb.env.PROMETHEUS_URL as string);
    const sockets = new Set<net.Socket>();
    const forwarder = net.createServer((client) => {
      const server = net.connect(Number(upstream.port), upstream.hostname);
      sockets.add(client).add(server);
      client.pipe(server).pipe(client);
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
    const port = (forwarder.address() as net.AddressInfo).port;
    const metrics = `- name: error-rate\n  query: '${errorRatio(version)}'\n  threshold: "<= 1%"\n  interval: 1s\n  consecutive-error-limit: 1\n  on-error: pause`;
    const run = cli(helm, canaryInputs(ns, { bake: '60s', metrics, 'prometheus-url': `http://127.0.0.1:${port}`, set: 'version=v2' }));
    await waitFor(
      'a passing measurement',
      async () => ((await journal(ns))?.timeline.some((event) => /error-rate 0% <= 1%/.test(event.message)) ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    forwarder.close();
    for (const socket of sockets) socket.destroy();
    const outcome = await run.done;
    const doc = JSON.parse(outcome.stdout) as CliDocument;
    // on-error: pause — the canary is left for a human, not rolled back as if its metric had failed.
    expect(doc.exitCode, outcome.stderr).toBe(0);
    expect(doc.outputs).toMatchObject({ result: 'paused', 'failed-gate': 'analysis/error-rate' });
    expect(doc.outputs.reason).toMatch(/error/i);
    expect(doc.outputs.reason).not.toMatch(/failed measurements/);
    expect((await journal(ns))?.phase).toBe('paused');
    expect(await canaryObjects(ns)).toMatch(/deployment.apps\/demo-slipway-demo-canary/);

    // The next run with no series to read: NoData, rolled back by its policy (and the paused canary removed first).
    const noData = `- name: ghost\n  query: 'sum(rate(http_requests_total{version="no-such-version-${version}"}[5s]))'\n  threshold: "< 1"\n  interval: 1s\n  on-no-data: fail`;
    const ghost = await cliDoc(helm, canaryInputs(ns, { bake: '10s', metrics: noData, 'prometheus-url': sb.env.PROMETHEUS_URL as string, set: 'version=v3' }));
    expect(ghost.doc.exitCode, ghost.stderr).toBe(1);
    expect(ghost.doc.outputs).toMatchObject({ result: 'rolled-back', 'failed-gate': 'analysis/ghost' });
    expect(ghost.doc.outputs.reason).toMatch(/no data/i);
    expect(ghost.doc.summary).toContain('Removed first:');
    expect(await canaryObjects(ns)).toBe('');
  });

  it('metric gates against Azure Monitor managed Prometheus, signed in with the shared Azure inputs (the Entra-checking double in front of Prometheus)', {
    timeout: 120_000,
  }, async () => {
    const managed = sb.env.SANDBOX_MANAGED_PROMETHEUS_URL;
    expect(managed, 'the sandbox has no managed Prometheus double (npm run sandbox:up)').toBeTruthy();
    const doubles = JSON.parse(readFileSync(sb.env.AZURE_DOUBLES_JSON as string, 'utf8')) as {
      tenantId: string;
      authorityHost: string;
      apps: Array<{ name: string; clientId: string; secrets: string[] }>;
    };
    const ci = doubles.apps.find((app) => app.name === 'ci') as { clientId: string; secrets: string[] };
    const helm = sb.env.HELM3 as string;
    const ns = await newNamespace('canary-amw');
    await installStable(helm, ns);
    const version = await newVersion('it-canary-amw');
    const metrics = `- name: error-rate\n  query: '${errorRatio(version)}'\n  threshold: "<= 1%"\n  interval: 1s`;
    const azure = {
      'prometheus-auth': 'azure',
      auth: 'client-secret',
      'tenant-id': doubles.tenantId,
      'client-id': ci.clientId,
      'authority-host': doubles.authorityHost,
    };
    const deploy = (inputs: Record<string, string>, secret: string) =>
      start(process.execPath, [hosts.cli, ...cliArgs('deploy', inputs)], { ...toolEnv(sb, helm), SLIPWAY_CLIENT_SECRET: secret }).done;
    const promoted = await deploy(
      canaryInputs(ns, { steps: '50', metrics, 'prometheus-url': managed as string, ...azure, set: 'version=v2' }),
      ci.secrets[0] as string,
    );
    const doc = JSON.parse(promoted.stdout) as CliDocument;
    expect(doc.exitCode, promoted.stderr).toBe(0);
    expect(doc.outputs.result).toBe('promoted');
    expect(doc.result?.canary?.gates).toEqual(expect.arrayContaining([expect.objectContaining({ gate: 'analysis/error-rate', passed: true })]));
    expect(promoted.stderr).toMatch(/metrics: 1 query accepted by https:\/\/127\.0\.0\.1:\d+\/managed-prometheus\//);

    // A wrong secret: Entra refuses the sign-in before anything in the cluster changes.
    const refused = await deploy(
      canaryInputs(ns, { steps: '50', metrics, 'prometheus-url': managed as string, ...azure, set: 'version=v3' }),
      'not-the-secret',
    );
    const refusedDoc = JSON.parse(refused.stdout) as CliDocument;
    expect(refusedDoc.exitCode, refused.stderr).toBe(3);
    expect(await canaryObjects(ns)).toBe('');
    expect((await journal(ns))?.phase).toBe('promoted');
  });

  it('a failing smoke check rolls back; a passing one is shown with its latency', { timeout: 120_000 }, async () => {
    const helm = sb.env.HELM4 as string;
    const ns = await newNamespace('canary-smoke');
    await installStable(helm, ns);
    const passing = `- name: health\n  url: ${metricsApp}/healthz\n  max-latency: 2s`;
    const ok = await cliDoc(helm, canaryInputs(ns, { steps: '50', smoke: passing, set: 'version=v2' }));
    expect(ok.doc.exitCode, ok.stderr).toBe(0);
    const smokeGate = ok.doc.result?.canary?.gates.find((gate) => gate.gate === 'smoke');
    expect(smokeGate).toMatchObject({ passed: true, detail: expect.stringMatching(/^1\/1 passed \(health \d+ ms\)$/) });

    const failing = `- name: broken\n  url: ${metricsApp}/healthz\n  expect-status: 503\n  retries: 0`;
    const bad = await cliDoc(helm, canaryInputs(ns, { smoke: failing, set: 'version=v3' }));
    expect(bad.doc.exitCode, bad.stderr).toBe(1);
    expect(bad.doc.outputs).toMatchObject({ result: 'rolled-back', 'failed-gate': 'smoke', revision: '2' });
    expect(bad.doc.outputs.reason).toMatch(/broken: status 200 not in 503/);
    expect(await canaryObjects(ns)).toBe('');
  });

  it('a canary left paused is removed by the rollback step (stable untouched) and by the next direct deploy', { timeout: 120_000 }, async () => {
    const helm = sb.env.HELM3 as string;
    const ns = await newNamespace('canary-left');
    await installStable(helm, ns);
    const paused = await cliDoc(helm, canaryInputs(ns, { steps: '50', 'pause-after-step': '1', set: 'version=v2' }));
    expect(paused.doc.outputs.result, paused.stderr).toBe('paused');
    expect(await canaryObjects(ns)).toMatch(/demo-slipway-demo-canary/);
    const revision = await helmRevision(helm, ns);
    const rolled = await startCli(sb, hosts, helm, { release: 'demo', namespace: ns, kubeconfig: sb.env.KUBECONFIG as string, timeout: '60s' }, 'rollback')
      .done;
    const rolledDoc = JSON.parse(rolled.stdout) as CliDocument;
    expect(rolledDoc.exitCode, rolled.stderr).toBe(0);
    expect(rolledDoc.outputs).toMatchObject({ result: 'rolled-back', revision: '1', 'rolled-back-to': '' });
    expect(await canaryObjects(ns)).toBe('');
    expect(await helmRevision(helm, ns)).toEqual(revision);

    const again = await cliDoc(helm, canaryInputs(ns, { steps: '50', 'pause-after-step': '1', set: 'version=v3' }));
    expect(again.doc.outputs.result, again.stderr).toBe('paused');
    const direct = await cliDoc(helm, { ...baseInputs(ns), set: 'version=v4' });
    expect(direct.doc.exitCode, direct.stderr).toBe(0);
    expect(direct.doc.outputs).toMatchObject({ result: 'deployed', revision: '2' });
    expect(direct.doc.summary).toMatch(/Removed first:.*removed the canary run .* left paused/);
    expect(await canaryObjects(ns)).toBe('');
  });

  it('bad input: every problem named, exit 2, nothing in the cluster changed; PromQL Prometheus rejects is named too', { timeout: 90_000 }, async () => {
    const helm = sb.env.HELM4 as string;
    const ns = await newNamespace('canary-bad');
    await installStable(helm, ns);
    const before = await kubectl(sb, ['get', 'deployments,services,configmaps', '-n', ns, '-o', 'name']);
    const bad = await cliDoc(
      helm,
      canaryInputs(ns, {
        steps: '25,10,150',
        bake: 'soon',
        traffic: 'istio',
        smoke: '- name: ftp\n  url: ftp://example.com/',
        metrics: '- name: rate\n  query: up\n  threshold: "about 1"',
        'prometheus-url': sb.env.PROMETHEUS_URL as string,
      }),
    );
    expect(bad.doc.exitCode).toBe(2);
    expect(bad.doc.error?.code).toBe('INPUT_INVALID');
    for (const input of ['steps', 'bake', 'traffic', 'smoke[0].url', 'metrics[0].threshold']) expect(bad.doc.error?.message).toContain(input);

    const rejected = await cliDoc(
      helm,
      canaryInputs(ns, { metrics: '- name: rate\n  query: sum(rate(\n  threshold: "< 1"', 'prometheus-url': sb.env.PROMETHEUS_URL as string }),
    );
    expect(rejected.doc.exitCode).toBe(2);
    expect(rejected.doc.error?.message).toMatch(/metrics\[0\]\.query.*Prometheus rejects it/s);
    expect(await kubectl(sb, ['get', 'deployments,services,configmaps', '-n', ns, '-o', 'name'])).toBe(before);
    expect((await journal(ns))?.phase).toBe('deployed');
  });
});
