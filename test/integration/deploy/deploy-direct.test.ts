import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chartDir, describeSandbox, entraToken, httpsCall, kubectl, kubectlJson, runOk, uniqueName, waitFor, type SandboxInfo } from '../sandbox/sandbox.ts';
import {
  baseDeployInputs,
  bundleDeployHosts,
  type CliDocument,
  cliArgs,
  cliDocument,
  demoDigest as digest,
  GitHubJob,
  helmHistory,
  readJournal,
  runAzureTask,
  start,
  startCli,
  suiteNamespaces,
  toolEnv,
  type DeployHosts,
  watchCrashLoop,
} from './deploy-hosts.ts';

interface Journal {
  phase: string;
  timeline: Array<{ at: string; phase: string; message: string }>;
  badRevisions: number[];
  run: { id: string; url?: string; machine: string };
}

describeSandbox('deploy (direct) and rollback against the sandbox cluster', (sb: SandboxInfo) => {
  let hosts: DeployHosts;
  let dir: string;
  const { newNamespace, track, deleteNamespaces } = suiteNamespaces(sb);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-deploy-it-'));
    hosts = await bundleDeployHosts(dir);
  }, 180_000);
  afterAll(async () => {
    await deleteNamespaces();
    rmSync(dir, { recursive: true, force: true });
  });

  const baseInputs = (ns: string, release = 'demo') => baseDeployInputs(sb, ns, release);
  const cli = (helm: string, inputs: Record<string, string>) => startCli(sb, hosts, helm, inputs);
  const cliDoc = (helm: string, inputs: Record<string, string>, step = 'deploy') => cliDocument(sb, hosts, helm, inputs, step);
  const history = (helm: string, ns: string, release = 'demo') => helmHistory(sb, helm, ns, release);
  const journal = (ns: string, release = 'demo') => readJournal<Journal>(sb, ns, release);
  const deploymentImage = async (ns: string) =>
    (await kubectlJson<{ spec: { template: { spec: { containers: Array<{ image: string }> } } } }>(sb, ['get', 'deployment', 'demo-slipway-demo', '-n', ns]))
      .spec.template.spec.containers[0]?.image;

  for (const [label, variable] of [
    ['helm 3', 'HELM3'],
    ['helm 4', 'HELM4'],
  ] as const) {
    it(`${label}: a healthy deploy is kept and the image is pinned by digest; a crash-looping one is rolled back to the last good revision, skipping a failed one`, {
      timeout: 240_000,
    }, async () => {
      const helm = sb.env[variable] as string;
      const ns = await newNamespace(`deploy-${variable.toLowerCase()}`);
      const healthy = await cliDoc(helm, { ...baseInputs(ns), set: 'version=v1' });
      expect(healthy.doc.exitCode, healthy.stderr).toBe(0);
      expect(healthy.doc.outputs).toMatchObject({ result: 'deployed', revision: '1', 'rolled-back-to': '' });
      expect(await deploymentImage(ns)).toBe(`127.0.0.1:5443/slipway/demo:1.0.0@${digest}`);
      expect((await journal(ns))?.phase).toBe('deployed');

      // 2: a revision Helm itself recorded as failed (plain `helm upgrade --wait` on pods that never get ready).
      await runOk(sb, helm, [
        'upgrade',
        'demo',
        chartDir,
        '-n',
        ns,
        '--kubeconfig',
        sb.env.KUBECONFIG as string,
        '--set',
        'failureMode=never-ready',
        '--wait',
        '--timeout',
        '3s',
      ]).catch(() => undefined);
      expect((await history(helm, ns)).at(-1)).toMatchObject({ revision: 2, status: 'failed' });

      // 3: crash-looping pods. Slipway sees the CrashLoopBackOff and goes back to 1, not to the failed 2.
      const started = Date.now();
      // A watch of the API of its own (kubectl --watch, streaming), so the moment it first shows a
      // CrashLoopBackOff is known to within milliseconds, not a polling interval.
      const watcher = watchCrashLoop(sb, helm, ns, 'sandbox.slipway.dev/failure-mode=crashloop');
      const crashing = await cliDoc(helm, { ...baseInputs(ns), set: 'failureMode=crashloop\nversion=v3' });
      const crashSeenAt = await watcher.firstCrash;
      watcher.child.kill();
      expect(crashing.doc.exitCode, crashing.stderr).toBe(1);
      expect(crashing.doc.outputs).toMatchObject({ result: 'rolled-back', 'deployed-revision': '3', 'rolled-back-to': '1' });
      expect(crashing.doc.outputs.reason).toMatch(/^Deployment\/demo-slipway-demo pod demo-slipway-demo-[a-z0-9-]+ container app: CrashLoopBackOff/);
      const entries = await history(helm, ns);
      expect(entries.at(-1)).toMatchObject({ revision: 4, status: 'deployed' });
      const record = await journal(ns);
      expect(record?.phase).toBe('rolled-back');
      expect(record?.badRevisions).toContain(3);
      const rollbackAt = Date.parse(record?.timeline.find((event) => event.phase === 'rolling-back')?.at ?? '');
      // Measured for the note: from the first CrashLoopBackOff the test saw to the rollback decision.
      console.log(
        `${label}: CrashLoopBackOff seen at +${crashSeenAt - started} ms; rollback decided ${rollbackAt - crashSeenAt} ms later; step ended after ${Date.now() - started} ms`,
      );
      expect(rollbackAt - crashSeenAt).toBeLessThan(3000);

      // The rollback step on demand: back to the last good revision before 4 (4 is a copy of 1, so 1 again... skipping 2 and 3).
      const rolled = await cliDoc(helm, { release: 'demo', namespace: ns, kubeconfig: sb.env.KUBECONFIG as string, timeout: '60s' }, 'rollback');
      expect(rolled.doc.exitCode, rolled.stderr).toBe(0);
      expect(rolled.doc.outputs).toMatchObject({ result: 'rolled-back', 'rolled-back-to': '1', revision: '5' });
    });

    it(`${label}: a release left pending-upgrade by a killed helm is repaired by the next deploy`, { timeout: 180_000 }, async () => {
      const helm = sb.env[variable] as string;
      const ns = await newNamespace(`repair-${variable.toLowerCase()}`);
      expect((await cliDoc(helm, baseInputs(ns))).doc.exitCode).toBe(0);
      const kubeconfig = sb.env.KUBECONFIG as string;
      const stuck = start(
        helm,
        ['upgrade', 'demo', chartDir, '-n', ns, '--kubeconfig', kubeconfig, '--set', 'failureMode=never-ready', '--wait', '--timeout', '60s'],
        toolEnv(sb, helm),
      );
      await waitFor('helm to record pending-upgrade', async () => ((await history(helm, ns)).at(-1)?.status === 'pending-upgrade' ? true : undefined), {
        timeoutMs: 30_000,
      });
      stuck.child.kill('SIGKILL');
      await stuck.done;
      expect((await history(helm, ns)).at(-1)).toMatchObject({ revision: 2, status: 'pending-upgrade' });

      const next = await cliDoc(helm, { ...baseInputs(ns), set: 'version=v3' });
      expect(next.doc.exitCode, next.stderr).toBe(0);
      expect(next.doc.outputs.repaired).toMatch(/revision 2 was pending-upgrade: rolled back to revision 1/);
      expect(next.doc.outputs).toMatchObject({ result: 'deployed', revision: '4' });
      // Helm's rollback leaves the dead revision's record as it was; only the newest revision holds Helm's lock.
      expect((await history(helm, ns)).map((entry) => entry.status)).toEqual(['superseded', 'pending-upgrade', 'superseded', 'deployed']);
    });
  }

  it('SIGTERM mid-watch rolls back and exits 1 within 10 s', { timeout: 120_000 }, async () => {
    const helm = sb.env.HELM4 as string;
    const ns = await newNamespace('sigterm');
    expect((await cliDoc(helm, baseInputs(ns))).doc.exitCode).toBe(0);
    const run = cli(helm, { ...baseInputs(ns), set: 'failureMode=never-ready', timeout: '120s' });
    await waitFor('the watch to start', async () => ((await journal(ns))?.phase === 'verifying' ? true : undefined), { timeoutMs: 60_000, intervalMs: 100 });
    const signalled = Date.now();
    run.child.kill('SIGTERM');
    const outcome = await run.done;
    const doc = JSON.parse(outcome.stdout) as CliDocument;
    console.log(`SIGTERM to exit: ${outcome.endedAt - signalled} ms`);
    expect(outcome.endedAt - signalled).toBeLessThan(10_000);
    expect(doc.exitCode, outcome.stderr).toBe(1);
    expect(doc.outputs).toMatchObject({ result: 'rolled-back', 'rolled-back-to': '1' });
    expect((await history(helm, ns)).at(-1)).toMatchObject({ revision: 3, status: 'deployed' });
    expect((await journal(ns))?.phase).toBe('rolled-back');
  });

  it('GitHub: a main phase SIGKILLed mid-watch is rolled back by the post phase', { timeout: 120_000 }, async () => {
    const helm = sb.env.HELM3 as string;
    const ns = await newNamespace('sigkill');
    expect((await cliDoc(helm, baseInputs(ns))).doc.exitCode).toBe(0);
    const job = new GitHubJob({ ...baseInputs(ns), set: 'failureMode=never-ready', timeout: '120s' }, toolEnv(sb, helm));
    const main = job.main(hosts.github.deploy.main);
    await waitFor('the watch to start', async () => ((await journal(ns))?.phase === 'verifying' ? true : undefined), { timeoutMs: 60_000, intervalMs: 100 });
    main.child.kill('SIGKILL');
    await main.done;
    expect((await history(helm, ns)).at(-1)).toMatchObject({ revision: 2, status: 'deployed' });
    const post = await job.post(hosts.github.deploy.post).done;
    expect(post.exitCode, post.stdout + post.stderr).toBe(0);
    expect(post.stdout).toMatch(/post: post phase rolled back to revision 1/);
    expect((await history(helm, ns)).at(-1)).toMatchObject({ revision: 3, status: 'deployed' });
    expect((await journal(ns))?.phase).toBe('rolled-back');
  });

  it('two concurrent deploys of one release: the second waits, then exits 3 naming the holder', { timeout: 120_000 }, async () => {
    const helm = sb.env.HELM4 as string;
    const ns = await newNamespace('lease');
    const first = cli(helm, { ...baseInputs(ns), set: 'failureMode=never-ready', timeout: '30s' });
    await waitFor('the first run to hold the Lease', async () => ((await journal(ns))?.phase === 'verifying' ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    const holder = (await journal(ns))?.run;
    const waitedFrom = Date.now();
    const second = await cliDoc(helm, { ...baseInputs(ns), 'lock-wait': '3s' });
    expect(Date.now() - waitedFrom).toBeGreaterThanOrEqual(3000);
    expect(second.doc.exitCode).toBe(3);
    expect(second.doc.error?.code).toBe('RELEASE_LOCKED');
    expect(second.doc.error?.message).toContain(holder?.id ?? 'a run id');
    first.child.kill('SIGTERM');
    expect((await first.done).exitCode).toBe(1);
  });

  it('bad input: every problem named, exit 2, and nothing in the cluster changed', { timeout: 60_000 }, async () => {
    const helm = sb.env.HELM4 as string;
    const ns = await newNamespace('bad-input');
    const notYaml = path.join(dir, 'not-yaml.yaml');
    writeFileSync(notYaml, 'replicas: [1\n');
    const bad = await cliDoc(helm, {
      release: 'Bad_Release',
      namespace: ns,
      chart: path.join(dir, 'no-such-chart'),
      'values-files': notYaml,
      strategy: 'blue-green',
      kubeconfig: path.join(dir, 'no-such-kubeconfig'),
      image: '127.0.0.1:5443/slipway/demo:1.0.0',
    });
    expect(bad.doc.exitCode).toBe(2);
    expect(bad.doc.error?.code).toBe('INPUT_INVALID');
    // One report, every input named in it: nothing ran in between (no helm, no request).
    for (const input of ['release', 'chart', 'values-files', 'strategy', 'kubeconfig', 'image']) expect(bad.doc.error?.message).toContain(`'${input}'`);
    expect(bad.stderr).not.toContain('$ helm');

    // A chart that does not render: exit 2 naming the chart, and no Lease, no journal, no release.
    const broken = path.join(dir, 'broken-chart');
    await runOk(sb, 'cp', ['-r', chartDir, broken]);
    writeFileSync(path.join(broken, 'templates', 'broken.yaml'), '{{ .Values.nope.missing }}\n');
    const unrendered = await cliDoc(helm, { ...baseInputs(ns), chart: broken });
    expect(unrendered.doc.exitCode).toBe(2);
    expect(JSON.stringify(unrendered.doc)).toMatch(/chart.*does not render/);
    expect(await kubectl(sb, ['get', 'leases,configmaps,secrets', '-n', ns, '-o', 'name'])).not.toMatch(/slipway-release|slipway-journal|sh\.helm\.release/);
  });

  it('a chart from ACR (oci://, the shared Azure sign-in exchanged for an ACR token, into a private registry config)', { timeout: 120_000 }, async () => {
    const helm = sb.env.HELM4 as string;
    const ns = await newNamespace('oci-chart');
    const doubles = JSON.parse(readFileSync(sb.env.AZURE_DOUBLES_JSON as string, 'utf8')) as {
      tenantId: string;
      authorityHost: string;
      registry: { loginServer: string };
      apps: Array<{ name: string; clientId: string; secrets: string[] }>;
    };
    const ci = doubles.apps.find((app) => app.name === 'ci');
    if (!ci?.secrets[0]) throw new Error('the doubles describe no ci app with a secret');
    const registry = doubles.registry.loginServer;
    // Publish the chart as a release pipeline would: `helm package`, then `helm push` with an ACR token.
    const published = mkdtempSync(path.join(dir, 'oci-'));
    const helmEnv = { ...toolEnv(sb, helm), HELM_REGISTRY_CONFIG: path.join(published, 'registry.json') };
    await start(helm, ['package', chartDir, '-d', published], helmEnv).done;
    // ACR's documented exchange: an Entra token for ACR's audience becomes a refresh token, the password of the all-zero user.
    const entra = await entraToken(sb, { clientId: ci.clientId, clientSecret: ci.secrets[0], scope: 'https://containerregistry.azure.net/.default' });
    const exchange = await httpsCall(`https://${registry}/oauth2/exchange`, {
      ca: readFileSync(sb.env.SANDBOX_CA_CERT as string, 'utf8'),
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'access_token', service: registry, tenant: doubles.tenantId, access_token: entra.accessToken }).toString(),
    });
    expect(exchange.status, exchange.text).toBe(200);
    const credentials = { username: '00000000-0000-0000-0000-000000000000', password: (exchange.json() as { refresh_token: string }).refresh_token };
    const login = await start(helm, ['registry', 'login', registry, '--username', credentials.username, '--password-stdin'], helmEnv, credentials.password)
      .done;
    expect(login.exitCode, login.stderr).toBe(0);
    const push = await start(helm, ['push', path.join(published, 'slipway-demo-0.1.0.tgz'), `oci://${registry}/helm`], helmEnv).done;
    expect(push.exitCode, push.stderr).toBe(0);

    const home = mkdtempSync(path.join(dir, 'home-'));
    const deployed = await start(
      process.execPath,
      [
        hosts.cli,
        ...cliArgs('deploy', {
          ...baseInputs(ns),
          chart: `oci://${registry}/helm/slipway-demo`,
          'chart-version': '0.1.0',
          'chart-registry-auth': 'azure',
          auth: 'client-secret',
          'tenant-id': doubles.tenantId,
          'client-id': ci.clientId,
          'authority-host': doubles.authorityHost,
        }),
      ],
      { ...toolEnv(sb, helm), HOME: home, SLIPWAY_CLIENT_SECRET: ci.secrets[0] },
    ).done;
    const doc = JSON.parse(deployed.stdout) as CliDocument;
    expect(doc.exitCode, deployed.stderr).toBe(0);
    expect(doc.outputs).toMatchObject({ result: 'deployed', revision: '1' });
    expect(deployed.stderr).toContain(`signing in to ${registry}`);
    expect(deployed.stderr).not.toContain(credentials.password);
    // The login went to the run's own registry config, never to the user's.
    expect(existsSync(path.join(home, '.config', 'helm', 'registry', 'config.json'))).toBe(false);
  });

  it('a chart from a classic repository (index.yaml over HTTPS), pinned by chart-version, with no `helm repo add`', { timeout: 120_000 }, async () => {
    const helm = sb.env.HELM3 as string;
    const ns = await newNamespace('repo-chart');
    const repoDir = mkdtempSync(path.join(dir, 'repo-'));
    expect((await start(helm, ['package', chartDir, '-d', repoDir], toolEnv(sb, helm)).done).exitCode).toBe(0);
    const server = createHttpsServer(
      { cert: readFileSync(sb.env.SANDBOX_TLS_CERT as string), key: readFileSync(sb.env.SANDBOX_TLS_KEY as string) },
      (request, response) => {
        const file = path.join(repoDir, path.basename(request.url ?? '/'));
        if (!existsSync(file)) return void response.writeHead(404).end();
        response.writeHead(200).end(readFileSync(file));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/charts`;
      expect((await start(helm, ['repo', 'index', repoDir, '--url', url], toolEnv(sb, helm)).done).exitCode).toBe(0);
      const home = mkdtempSync(path.join(dir, 'home-'));
      const deployed = await start(
        process.execPath,
        [hosts.cli, ...cliArgs('deploy', { ...baseInputs(ns), chart: 'slipway-demo', 'chart-repo': url, 'chart-version': '0.1.0' })],
        { ...toolEnv(sb, helm), HOME: home },
      ).done;
      const doc = JSON.parse(deployed.stdout) as CliDocument;
      expect(doc.exitCode, deployed.stderr).toBe(0);
      expect(doc.outputs).toMatchObject({ result: 'deployed', revision: '1' });
      expect(deployed.stderr).toContain(`--repo ${url} --version 0.1.0`);
      // No repository was added to the user's Helm configuration.
      expect(existsSync(path.join(home, '.config', 'helm', 'repositories.yaml'))).toBe(false);
    } finally {
      server.close();
    }
  });

  it('namespaces: created with create-namespace before the Lease goes in; a missing one is named (exit 3); server-side true on Helm 3 is exit 2', {
    timeout: 90_000,
  }, async () => {
    const helm3 = sb.env.HELM3 as string;
    const missing = uniqueName('no-such-ns');
    const absent = await cliDoc(helm3, { ...baseInputs(missing) });
    expect(absent.doc.exitCode).toBe(3);
    expect(absent.doc.error).toMatchObject({ code: 'NAMESPACE_NOT_FOUND', message: `namespace '${missing}' does not exist in the cluster` });

    const ns = uniqueName('create-ns');
    track(ns);
    const created = await cliDoc(helm3, { ...baseInputs(ns), 'create-namespace': 'true' });
    expect(created.doc.exitCode, created.stderr).toBe(0);
    expect(created.doc.outputs).toMatchObject({ result: 'deployed', revision: '1' });
    expect(created.stderr).toContain(`creating namespace ${ns}`);

    const serverSide = await cliDoc(helm3, { ...baseInputs(ns), 'server-side': 'true' });
    expect(serverSide.doc.exitCode).toBe(2);
    expect(serverSide.stderr).toMatch(/server-side.*true needs Helm 4/);
    expect((await history(helm3, ns)).length).toBe(1);
    const helm4 = await cliDoc(sb.env.HELM4 as string, { ...baseInputs(ns), 'server-side': 'true', set: 'version=v2' });
    expect(helm4.doc.exitCode, helm4.stderr).toBe(0);
    expect(helm4.stderr).toContain('--server-side=true');
  });

  it('when the revision rolled back to is broken too (deployed by plain helm, never watched): needs a human, exit 4, and says why', {
    timeout: 90_000,
  }, async () => {
    const helm = sb.env.HELM4 as string;
    const ns = await newNamespace('needs-human');
    // Helm calls revision 1 deployed: it never waited for its crash-looping pods.
    await runOk(sb, helm, ['install', 'demo', chartDir, '-n', ns, '--kubeconfig', sb.env.KUBECONFIG as string, '--set', 'failureMode=crashloop']);
    const broken = await cliDoc(helm, { ...baseInputs(ns), set: 'failureMode=image-pull' });
    expect(broken.doc.exitCode, broken.stderr).toBe(4);
    expect(broken.doc.outputs.result).toBe('needs-human');
    expect(broken.doc.outputs.reason).toMatch(/ErrImagePull|ImagePullBackOff/);
    expect(broken.doc.outputs.reason).toMatch(/then the rollback failed: rolled back, but no good revision came up healthy: revision 1: .*CrashLoopBackOff/);
    const record = await journal(ns);
    expect(record?.phase).toBe('needs-human');
    expect(record?.badRevisions).toEqual(expect.arrayContaining([1, 2, 3]));
  });

  it('policy gate: a chart running as root with no limits fails before the cluster changes; with an ignore file it deploys', { timeout: 120_000 }, async () => {
    const helm = sb.env.HELM3 as string;
    const ns = await newNamespace('policy');
    const rootChart = path.join(chartDir, '..', 'slipway-root');
    const blocked = await cliDoc(helm, { ...baseInputs(ns, 'web'), chart: rootChart, 'image-values': 'image.repository=repository\nimage.tag=tag@digest' });
    expect(blocked.doc.exitCode, blocked.stderr).toBe(1);
    expect(blocked.doc.outputs).toMatchObject({ result: 'not-deployed', revision: '' });
    expect(blocked.doc.outputs.reason).toMatch(/^policy gate: HIGH\+>0 broken/);
    expect(blocked.stderr).toMatch(/KSV-0014|KSV-0118/);
    expect(await kubectl(sb, ['get', 'leases,configmaps,secrets', '-n', ns, '-o', 'name'])).not.toMatch(/slipway-release|slipway-journal|sh\.helm\.release/);

    const ignoreFile = path.join(dir, 'root.trivyignore');
    writeFileSync(ignoreFile, '# the root chart is a fixture: it writes to its image\nKSV-0014\nKSV-0118\n');
    const allowed = await cliDoc(helm, { ...baseInputs(ns, 'web'), chart: rootChart, 'policy-ignore-file': ignoreFile });
    expect(allowed.doc.exitCode, allowed.stderr).toBe(0);
    expect(allowed.doc.outputs).toMatchObject({ result: 'deployed', revision: '1' });
  });

  for (const host of ['azure-pipelines', 'github'] as const) {
    it(`${host}: a healthy deploy exits 0; a crash-looping one rolls back with exit 1 and says why in the summary`, { timeout: 180_000 }, async () => {
      const helm = sb.env.HELM4 as string;
      const ns = await newNamespace(host === 'github' ? 'gh-hosts' : 'ado-hosts');
      const run = async (inputs: Record<string, string>) => {
        if (host === 'azure-pipelines') {
          const task = await runAzureTask(hosts.azure.deploy.main, inputs, toolEnv(sb, helm));
          // Task outputs are the camelCase of the action's (deployed-revision -> deployedRevision).
          const outputs = Object.fromEntries(
            Object.entries(task.outputs).map(([name, value]) => [name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), value]),
          );
          return { exitCode: task.exitCode, log: task.stdout, outputs, summary: task.stdout };
        }
        const job = new GitHubJob(inputs, toolEnv(sb, helm));
        const main = await job.main(hosts.github.deploy.main).done;
        const post = await job.post(hosts.github.deploy.post).done;
        expect(post.exitCode, post.stdout).toBe(0);
        return { exitCode: main.exitCode, log: main.stdout, outputs: job.outputs, summary: job.summary };
      };
      const healthy = await run({ ...baseInputs(ns), set: 'version=v1' });
      expect(healthy.exitCode, healthy.log).toBe(0);
      expect(healthy.outputs).toMatchObject({ result: 'deployed', revision: '1' });
      const crashing = await run({ ...baseInputs(ns), set: 'failureMode=crashloop' });
      expect(crashing.exitCode, crashing.log).toBe(1);
      expect(crashing.outputs).toMatchObject({ result: 'rolled-back', 'deployed-revision': '2', 'rolled-back-to': '1' });
      expect(crashing.outputs.reason).toMatch(/container app: CrashLoopBackOff/);
      if (host === 'github') expect(crashing.summary).toMatch(/\| Deployment\/demo-slipway-demo \| demo-slipway-demo-\S+ \| app \| CrashLoopBackOff \|/);
    });
  }

  it('Azure Pipelines cancel (SIGINT to the task mid-watch): rolled back, the task fails', { timeout: 120_000 }, async () => {
    const helm = sb.env.HELM4 as string;
    const ns = await newNamespace('ado-cancel');
    expect((await cliDoc(helm, baseInputs(ns))).doc.exitCode).toBe(0);
    const inputs = { ...baseInputs(ns), set: 'failureMode=never-ready', timeout: '120s' };
    const taskEnv: Record<string, string> = { AGENT_TEMPDIRECTORY: mkdtempSync(path.join(dir, 'ado-')), BUILD_BUILDID: '4242', ...toolEnv(sb, helm) };
    for (const [name, value] of Object.entries(inputs)) taskEnv[`INPUT_${name.toUpperCase()}`] = value;
    const task = start(process.execPath, [hosts.azure.deploy.main], taskEnv);
    await waitFor('the watch to start', async () => ((await journal(ns))?.phase === 'verifying' ? true : undefined), { timeoutMs: 60_000, intervalMs: 100 });
    const cancelledAt = Date.now();
    task.child.kill('SIGINT');
    const outcome = await task.done;
    expect(outcome.endedAt - cancelledAt).toBeLessThan(10_000);
    expect(outcome.stdout).toMatch(/##vso\[task\.complete result=Failed;\]/);
    expect(outcome.stdout).toContain('rolled back to revision 1');
    expect((await journal(ns))?.phase).toBe('rolled-back');
    expect((await history(helm, ns)).at(-1)).toMatchObject({ revision: 3, status: 'deployed' });
  });
});
