import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeSandbox, kubectl, kubectlJson, waitFor, type SandboxInfo } from '../sandbox/sandbox.ts';
import {
  baseDeployInputs,
  bundleDeployHosts,
  canaryDeployInputs,
  canaryObjects as listCanaryObjects,
  cliDocument,
  demoImage as image,
  GitHubJob,
  helmHistory,
  parseCliDocument,
  readJournal,
  runAzureTask,
  startCli,
  suiteNamespaces,
  toolEnv,
  type DeployHosts,
  watchCrashLoop,
} from './deploy-hosts.ts';

interface Journal {
  phase: string;
  timeline: Array<{ at: string; phase: string; message: string }>;
  run: { id: string };
}
/** What one run of deploy on any host came to. */
interface HostRun {
  exitCode: number;
  outputs: Record<string, string>;
  /** Everything the step logged, for failure messages. */
  log: string;
  summary: string;
}
type Host = 'cli' | 'github' | 'azure-pipelines';

/** The stable Deployment the demo chart renders for release `demo`, and its canary copy. */
const stableDeployment = 'demo-slipway-demo';
const canaryDeployment = 'demo-slipway-demo-canary';

describeSandbox('deploy (canary) on every host against the sandbox cluster', (sb: SandboxInfo) => {
  let hosts: DeployHosts;
  let dir: string;
  const { newNamespace, deleteNamespaces } = suiteNamespaces(sb);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-canary-it-'));
    hosts = await bundleDeployHosts(dir);
  }, 180_000);
  afterAll(async () => {
    await deleteNamespaces();
    rmSync(dir, { recursive: true, force: true });
  });

  const baseInputs = (ns: string) => baseDeployInputs(sb, ns);
  /** A canary of `version` (and `extra` values) through three short steps. */
  const canaryInputs = (ns: string, set: string, extra: Record<string, string> = {}) => canaryDeployInputs(sb, ns, { set, ...extra });
  const cliDoc = (helm: string, inputs: Record<string, string>) => cliDocument(sb, hosts, helm, inputs);
  /** deploy on one host; on GitHub its post phase runs after main (and must succeed), as the runner does. */
  const runOn = async (host: Host, helm: string, inputs: Record<string, string>): Promise<HostRun> => {
    if (host === 'cli') {
      const { doc, stderr } = await cliDoc(helm, inputs);
      return { exitCode: doc.exitCode, outputs: doc.outputs, log: stderr, summary: '' };
    }
    if (host === 'azure-pipelines') {
      const task = await runAzureTask(hosts.azure.deploy.main, inputs, toolEnv(sb, helm));
      // Task outputs are the camelCase of the action's (failed-gate -> failedGate).
      const outputs = Object.fromEntries(Object.entries(task.outputs).map(([name, value]) => [name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), value]));
      return { exitCode: task.exitCode, outputs, log: task.stdout, summary: task.stdout };
    }
    const job = new GitHubJob(inputs, toolEnv(sb, helm));
    const main = await job.main(hosts.github.deploy.main).done;
    const post = await job.post(hosts.github.deploy.post).done;
    expect(post.exitCode, post.stdout + post.stderr).toBe(0);
    return { exitCode: main.exitCode, outputs: job.outputs, log: main.stdout + main.stderr, summary: job.summary };
  };

  /** The stable release at v1, installed with a plain direct deploy. */
  const installStable = async (helm: string, ns: string) => {
    const installed = await cliDoc(helm, { ...baseInputs(ns), set: 'version=v1' });
    expect(installed.doc.exitCode, installed.stderr).toBe(0);
    expect(installed.doc.outputs).toMatchObject({ result: 'deployed', revision: '1' });
  };
  const history = async (helm: string, ns: string) => (await helmHistory(sb, helm, ns)).map(({ revision, status }) => ({ revision, status }));
  const journal = (ns: string) => readJournal<Journal>(sb, ns);
  /** Every object labelled as the release's canary (what the acceptance calls "no canary object left"). */
  const canaryObjects = (ns: string) => listCanaryObjects(sb, ns);
  const podNames = async (ns: string, selector: string) =>
    (await kubectl(sb, ['get', 'pods', '-n', ns, '-l', selector, '-o', 'jsonpath={.items[*].metadata.name}'])).split(/\s+/).filter(Boolean).sort();
  // The release's pods that are not the canary's (canary pods carry slipway.dev/track=canary).
  const stablePods = (ns: string) => podNames(ns, 'app.kubernetes.io/instance=demo,!slipway.dev/track');
  const canaryPods = (ns: string) => podNames(ns, 'slipway.dev/track=canary');
  const stableVersion = async (ns: string) => {
    const deployment = await kubectlJson<{
      spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ image: string }> } } };
    }>(sb, ['get', 'deployment', stableDeployment, '-n', ns]);
    return { version: deployment.spec.template.metadata.labels.version, image: deployment.spec.template.spec.containers[0]?.image };
  };
  /** What must not change when a canary is rolled back. */
  const stableSnapshot = async (helm: string, ns: string) => ({
    history: await history(helm, ns),
    pods: await stablePods(ns),
    stable: await stableVersion(ns),
  });
  /** Waits until the canary is mid-analysis: the journal says progressing and the canary's pods exist. */
  const waitForCanaryPods = (ns: string) =>
    waitFor(
      'the canary to be baking with its pods',
      async () => ((await journal(ns))?.phase === 'progressing' && (await canaryPods(ns)).length > 0 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 100 },
    );

  /**
   * A streaming watch of crash-looping pods (kubectl --watch), so the moment the API first shows a
   * CrashLoopBackOff is known to within milliseconds; `seen()` gives it (or undefined after 5 s more).
   */
  const watchFirstCrash = (helm: string, ns: string) => {
    const watcher = watchCrashLoop(sb, helm, ns, 'sandbox.slipway.dev/failure-mode=crashloop');
    return {
      seen: async () => {
        const at = await Promise.race([watcher.firstCrash, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000))]);
        watcher.child.kill();
        return at;
      },
    };
  };

  const mainCases: Array<{ host: Host; label: string; variable: 'HELM3' | 'HELM4' }> = [
    { host: 'cli', label: 'cli, helm 3', variable: 'HELM3' },
    { host: 'cli', label: 'cli, helm 4', variable: 'HELM4' },
    { host: 'github', label: 'github, helm 4', variable: 'HELM4' },
    { host: 'azure-pipelines', label: 'azure-pipelines, helm 3', variable: 'HELM3' },
  ];

  for (const { host, label, variable } of mainCases) {
    it(`${label}: a healthy canary through 10,25,50 promotes; stable runs the new version; no canary object left`, { timeout: 120_000 }, async () => {
      const helm = sb.env[variable] as string;
      const ns = await newNamespace(`canary-ok-${host === 'azure-pipelines' ? 'ado' : host}-${variable.toLowerCase()}`);
      await installStable(helm, ns);
      const started = Date.now();
      const promoted = await runOn(host, helm, canaryInputs(ns, 'version=v2'));
      console.log(`${label}: healthy canary (3 steps, bake 2 s each) promoted in ${Date.now() - started} ms`);
      expect(promoted.exitCode, promoted.log).toBe(0);
      expect(promoted.outputs, promoted.log).toMatchObject({ result: 'promoted', revision: '2', 'failed-gate': '', reason: '' });
      // Every step was really taken, in order, before the promotion.
      expect(promoted.log).toMatch(/canary: 10% live[\s\S]*canary: 10% -> 25%[\s\S]*canary: 25% -> 50%[\s\S]*canary: 50% -> promote/);
      expect(await stableVersion(ns)).toEqual({ version: 'v2', image });
      expect(await history(helm, ns)).toEqual([
        { revision: 1, status: 'superseded' },
        { revision: 2, status: 'deployed' },
      ]);
      expect(await canaryObjects(ns)).toBe('');
      expect((await journal(ns))?.phase).toBe('promoted');
      if (host === 'github') {
        // The job summary: the time to promote against the configured bake, and the weight timeline up to 100%.
        expect(promoted.summary).toMatch(/time to promote: [\d.]+ s \(bake time configured: 6 s\)/);
        expect(promoted.summary).toMatch(/\| \+[\d.]+ s \| 50% \|[\s\S]*\| \+[\d.]+ s \| 100% \|/);
      }
    });

    it(`${label}: a crash-looping canary rolls back on the health gate (exit 1, pod and container named); stable untouched`, {
      timeout: 120_000,
    }, async () => {
      const helm = sb.env[variable] as string;
      const ns = await newNamespace(`canary-crash-${host === 'azure-pipelines' ? 'ado' : host}-${variable.toLowerCase()}`);
      await installStable(helm, ns);
      const before = await stableSnapshot(helm, ns);
      expect(before.pods).toHaveLength(2);

      const crash = watchFirstCrash(helm, ns);
      const started = Date.now();
      const crashing = await runOn(host, helm, canaryInputs(ns, 'version=v2\nfailureMode=crashloop'));
      const crashSeenAt = await crash.seen();
      expect(crashing.exitCode, crashing.log).toBe(1);
      expect(crashing.outputs, crashing.log).toMatchObject({ result: 'rolled-back', 'failed-gate': 'health', revision: '1' });
      expect(crashing.outputs.reason).toMatch(/^Deployment\/demo-slipway-demo-canary pod demo-slipway-demo-canary-[a-z0-9-]+ container app: CrashLoopBackOff/);
      expect(await stableSnapshot(helm, ns)).toEqual(before);
      expect(await canaryObjects(ns)).toBe('');
      const record = await journal(ns);
      expect(record?.phase).toBe('rolled-back');
      if (host === 'github') {
        expect(crashing.summary).toMatch(
          /\| health \| FAIL \| Deployment\/demo-slipway-demo-canary pod demo-slipway-demo-canary-\S+ container app: CrashLoopBackOff/,
        );
        expect(crashing.summary).toMatch(/rollback decided at \+[\d.]+ s, canary removed and traffic on stable [\d.]+ s later/);
      }

      // Measured for the note: the first CrashLoopBackOff in the API to the rollback decision (the journal's rolling-back entry).
      expect(crashSeenAt, 'the watch saw no CrashLoopBackOff').toBeDefined();
      const decidedAt = Date.parse(record?.timeline.find((event) => event.phase === 'rolling-back')?.at ?? '');
      console.log(
        `${label}: CrashLoopBackOff seen at +${(crashSeenAt ?? 0) - started} ms; rollback decided ${decidedAt - (crashSeenAt ?? 0)} ms later; step ended after ${Date.now() - started} ms`,
      );
      expect(decidedAt - (crashSeenAt ?? 0)).toBeLessThan(3000);
    });
  }

  it('cli, helm 3: pause after step 2, then action promote in a second process (a different chart is refused first; nothing left to promote after)', {
    timeout: 120_000,
  }, async () => {
    const helm = sb.env.HELM3 as string;
    const ns = await newNamespace('canary-pause-promote');
    await installStable(helm, ns);
    const before = await stableSnapshot(helm, ns);
    const inputs = canaryInputs(ns, 'version=v2', { bake: '1s', 'pause-after-step': '2' });

    const paused = await cliDoc(helm, inputs);
    expect(paused.doc.exitCode, paused.stderr).toBe(0);
    expect(paused.doc.outputs).toMatchObject({ result: 'paused', 'failed-gate': '' });
    expect(paused.stderr).toMatch(/canary: paused at [\d.]+% for approval/);
    // The CLI's own post phase ran, and left the paused canary alone.
    expect(paused.doc.post?.exitCode).toBe(0);
    expect((await journal(ns))?.phase).toBe('paused');
    expect(await kubectl(sb, ['get', 'deployment', canaryDeployment, '-n', ns, '-o', 'name'])).toContain(canaryDeployment);
    expect((await canaryPods(ns)).length).toBeGreaterThan(0);
    expect(await stableSnapshot(helm, ns)).toEqual(before);
    const pausedObjects = await canaryObjects(ns);

    // Other values render another chart: promoting it would ship what the canary never tested.
    const other = await cliDoc(helm, { ...inputs, set: 'version=v2-other', action: 'promote' });
    expect(other.doc.exitCode, other.stderr).toBe(2);
    expect(other.doc.error?.code).toBe('INPUT_INVALID');
    expect(other.doc.error?.message).toContain("'chart'");
    expect((await journal(ns))?.phase).toBe('paused');
    expect(await canaryObjects(ns)).toBe(pausedObjects);
    expect(await stableSnapshot(helm, ns)).toEqual(before);

    const promoted = await cliDoc(helm, { ...inputs, action: 'promote' });
    expect(promoted.doc.exitCode, promoted.stderr).toBe(0);
    expect(promoted.doc.outputs).toMatchObject({ result: 'promoted', revision: '2', 'failed-gate': '' });
    expect(promoted.stderr).toMatch(/canary: promotion approved by cli-/);
    expect(await stableVersion(ns)).toEqual({ version: 'v2', image });
    expect((await history(helm, ns)).at(-1)).toEqual({ revision: 2, status: 'deployed' });
    expect(await canaryObjects(ns)).toBe('');
    expect((await journal(ns))?.phase).toBe('promoted');

    const nothing = await cliDoc(helm, { ...inputs, action: 'promote' });
    expect(nothing.doc.exitCode, nothing.stderr).toBe(2);
    expect(nothing.doc.error?.message).toContain("'action'");
    expect((await history(helm, ns)).at(-1)).toEqual({ revision: 2, status: 'deployed' });
  });

  it('pause on GitHub (main and post), then action abort in an Azure Pipelines run: rolled back, exit 1, stable untouched', { timeout: 120_000 }, async () => {
    const helm = sb.env.HELM4 as string;
    const ns = await newNamespace('canary-pause-abort');
    await installStable(helm, ns);
    const before = await stableSnapshot(helm, ns);
    const inputs = canaryInputs(ns, 'version=v2', { bake: '1s', 'pause-after-step': '2' });

    // The GitHub job that pauses ends with its post phase (checked by runOn): it must leave the canary running.
    const paused = await runOn('github', helm, inputs);
    expect(paused.exitCode, paused.log).toBe(0);
    expect(paused.outputs).toMatchObject({ result: 'paused' });
    expect((await journal(ns))?.phase).toBe('paused');
    expect((await canaryPods(ns)).length).toBeGreaterThan(0);
    expect(await canaryObjects(ns)).toContain(`deployment.apps/${canaryDeployment}`);

    const aborted = await runOn('azure-pipelines', helm, { ...inputs, action: 'abort' });
    expect(aborted.exitCode, aborted.log).toBe(1);
    expect(aborted.outputs, aborted.log).toMatchObject({ result: 'rolled-back', 'failed-gate': 'abort', revision: '1' });
    expect(aborted.outputs.reason).toMatch(/aborted by /);
    expect(await stableSnapshot(helm, ns)).toEqual(before);
    expect(await canaryObjects(ns)).toBe('');
    expect((await journal(ns))?.phase).toBe('rolled-back');
  });

  it('cli, helm 4: SIGTERM mid-analysis removes the canary, leaves stable untouched and exits 1 within 10 s', { timeout: 120_000 }, async () => {
    const helm = sb.env.HELM4 as string;
    const ns = await newNamespace('canary-sigterm');
    await installStable(helm, ns);
    const before = await stableSnapshot(helm, ns);
    const run = startCli(sb, hosts, helm, canaryInputs(ns, 'version=v2', { bake: '60s' }));
    await waitForCanaryPods(ns);
    const signalled = Date.now();
    run.child.kill('SIGTERM');
    const outcome = await run.done;
    console.log(`canary: SIGTERM to exit: ${outcome.endedAt - signalled} ms`);
    const doc = parseCliDocument(outcome);
    expect(doc.exitCode, outcome.stderr).toBe(1);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.endedAt - signalled).toBeLessThan(10_000);
    expect(doc.outputs).toMatchObject({ result: 'rolled-back', 'failed-gate': 'cancel', revision: '1' });
    expect(await canaryObjects(ns)).toBe('');
    expect(await stableSnapshot(helm, ns)).toEqual(before);
    expect((await journal(ns))?.phase).toBe('rolled-back');
  });

  it('GitHub, helm 3: a main phase SIGKILLed mid-canary is finished by the post phase (canary removed, journal rolled-back)', {
    timeout: 120_000,
  }, async () => {
    const helm = sb.env.HELM3 as string;
    const ns = await newNamespace('canary-sigkill');
    await installStable(helm, ns);
    const before = await stableSnapshot(helm, ns);
    const job = new GitHubJob(canaryInputs(ns, 'version=v2', { bake: '60s' }), toolEnv(sb, helm));
    const main = job.main(hosts.github.deploy.main);
    await waitForCanaryPods(ns);
    main.child.kill('SIGKILL');
    await main.done;
    // Killed outright, main undid nothing: the canary is still there for the post phase.
    expect(await canaryObjects(ns)).toContain(`deployment.apps/${canaryDeployment}`);
    expect((await journal(ns))?.phase).toBe('progressing');

    const post = await job.post(hosts.github.deploy.post).done;
    expect(post.exitCode, post.stdout + post.stderr).toBe(0);
    expect(post.stdout).toMatch(/post: post phase rolled the canary back: traffic on stable, canary removed/);
    expect(await canaryObjects(ns)).toBe('');
    expect((await journal(ns))?.phase).toBe('rolled-back');
    expect(await stableSnapshot(helm, ns)).toEqual(before);
  });
});
