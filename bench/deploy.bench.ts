/**
 * Deploy (issue #11): how fast `slipway deploy` (the CLI bundled from today's sources, --json, default
 * policy gate) notices a crash-looping upgrade and rolls it back, and how long a healthy upgrade takes,
 * side by side with Helm's own waiting on the same chart, for Helm 3 and Helm 4 in one run, against the
 * sandbox cluster (kube-apiserver with KWOK nodes). Figures, never thresholds.
 *
 * - failing: the demo chart at a healthy revision 1, then an upgrade with failureMode=crashloop and a 60 s
 *   timeout; `slipway deploy --timeout 60s` against `helm upgrade --atomic` (Helm 3) or
 *   `--rollback-on-failure` (Helm 4), both of which wait for the timeout before rolling back. Those Helm
 *   runs are bound by the timeout, so they all run at once, apart from every other measurement.
 * - healthy: from a deployed revision 1, an upgrade to slow-starting pods (failureMode=slow-start,
 *   readyAfter=5s, 2 replicas, rolled one at a time) and a plain one (a new pod label), against
 *   `helm upgrade --wait` (Helm 4: the watcher strategy).
 *
 * Every run gets its own namespace with revision 1 installed by `helm install --wait` (not timed); all of
 * them are deleted at the end. Slipway's and Helm's runs alternate within a round. Skips when the sandbox
 * is not up. `BENCH_RUNS=5 npm run bench deploy` for more rounds (default 3).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SandboxInfo } from '../test/integration/sandbox/sandbox.ts';
import { toolEnv } from '../test/integration/deploy/deploy-hosts.ts';
import { bundleForTest } from '../test/support/host-harness.ts';

const root = path.resolve(import.meta.dirname, '..');
const chartDir = path.join(root, 'test/fixtures/charts/slipway-demo');
const release = 'demo';
const runs = Number(process.env.BENCH_RUNS ?? 3);
const timeout = '60s';
const exec = promisify(execFile);

type Values = Record<string, string>;

interface HelmUnderTest {
  label: 'helm 3' | 'helm 4';
  bin: string;
  version: string;
  /** The flag that makes `helm upgrade` roll back on failure. */
  rollbackFlag: '--atomic' | '--rollback-on-failure';
}

interface TimedLine {
  /** Epoch ms when the chunk holding the line arrived. */
  at: number;
  text: string;
}

interface TimedRun {
  /** Epoch ms at spawn, to compare with the timestamps the process writes itself. */
  startedAt: number;
  endedAt: number;
  wallMs: number;
  exitCode: number;
  stdout: string;
  /** stdout and stderr lines with their arrival times. */
  lines: TimedLine[];
}

/** One measurement; figures missing when the run did not produce them (then `problem` says why). */
interface Sample {
  wallMs: number;
  decisionMs?: number | undefined;
  decisionToExitMs?: number | undefined;
  detectMs?: number | undefined;
  gateMs?: number | undefined;
  startupMs?: number | undefined;
  problem?: string | undefined;
}

interface JournalEvent {
  at: string;
  phase: string;
  message: string;
}

interface HistoryEntry {
  revision: number;
  status: string;
  description: string;
}

interface CliDocument {
  exitCode: number;
  outputs: Record<string, string>;
}

interface ReplicaSetLike {
  metadata: { annotations?: Record<string, string> };
  status?: { readyReplicas?: number };
}

/** The sandbox's sandbox.json, where `sandbox:up` writes it; undefined when the sandbox is down. */
async function readSandbox(): Promise<SandboxInfo | undefined> {
  const cache = process.env.SLIPWAY_CACHE ?? path.join(os.homedir(), '.cache', 'slipway');
  const file = path.join(process.env.SLIPWAY_SANDBOX_DIR ?? path.join(cache, 'run'), 'sandbox.json');
  if (!existsSync(file)) return undefined;
  const sb = JSON.parse(readFileSync(file, 'utf8')) as SandboxInfo;
  try {
    const res = await fetch(`${sb.env.METRICS_APP_URL}/healthz`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? sb : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a command to its end, timing it and every output line as it arrives. */
function runTimed(file: string, args: string[], env: Record<string, string>): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const started = performance.now();
    const child = spawn(file, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    let stdout = '';
    const lines: TimedLine[] = [];
    const collect = (keep: boolean) => {
      let partial = '';
      return (chunk: Buffer) => {
        const at = Date.now();
        const text = chunk.toString();
        if (keep) stdout += text;
        const parts = (partial + text).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) lines.push({ at, text: line });
      };
    };
    child.stdout.on('data', collect(true));
    child.stderr.on('data', collect(false));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ startedAt, endedAt: Date.now(), wallMs: performance.now() - started, exitCode: code ?? -1, stdout, lines });
    });
  });
}

const setArgs = (values: Values) => Object.entries(values).flatMap(([name, value]) => ['--set', `${name}=${value}`]);

export async function run(): Promise<void> {
  const sb = await readSandbox();
  if (!sb) {
    console.log('sandbox not up (npm run sandbox:up): skipped');
    return;
  }
  const kubeconfig = sb.env.KUBECONFIG as string;
  const work = mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-deploy-'));
  const namespaces: string[] = [];
  const kubectl = async (args: string[]) =>
    (await exec(sb.env.KUBECTL ?? 'kubectl', ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  const helmEnv = (helm: HelmUnderTest) => ({ ...toolEnv(sb, helm.bin), HOME: process.env.HOME ?? '/root' });
  const helmOk = async (helm: HelmUnderTest, args: string[]) =>
    (await exec(helm.bin, [...args, '--kubeconfig', kubeconfig], { env: helmEnv(helm), maxBuffer: 64 * 1024 * 1024 })).stdout;
  const history = async (helm: HelmUnderTest, ns: string) => JSON.parse(await helmOk(helm, ['history', release, '-n', ns, '-o', 'json'])) as HistoryEntry[];
  const journal = async (ns: string) => {
    const text = await kubectl(['get', 'configmap', `slipway-journal-${release}`, '-n', ns, '-o', 'jsonpath={.data.journal\\.json}']).catch(() => '');
    return text ? (JSON.parse(text) as { timeline: JournalEvent[] }) : undefined;
  };
  /** Ready pods of the Deployment's current ReplicaSet, read right after a run said it succeeded. */
  const newPodsReady = async (ns: string) => {
    const deployment = JSON.parse(await kubectl(['get', 'deployment', `${release}-slipway-demo`, '-n', ns, '-o', 'json'])) as ReplicaSetLike;
    const revision = deployment.metadata.annotations?.['deployment.kubernetes.io/revision'];
    const sets = JSON.parse(await kubectl(['get', 'replicasets', '-n', ns, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'json'])) as {
      items: ReplicaSetLike[];
    };
    const current = sets.items.find((set) => set.metadata.annotations?.['deployment.kubernetes.io/revision'] === revision);
    return current?.status?.readyReplicas ?? 0;
  };
  const helmUpgradeArgs = (ns: string, values: Values, flags: string[]) => [
    'upgrade',
    release,
    chartDir,
    '-n',
    ns,
    '--kubeconfig',
    kubeconfig,
    ...setArgs(values),
    '--timeout',
    timeout,
    ...flags,
  ];
  /** A fresh namespace holding revision 1, healthy (not timed). */
  const prepare = async (helm: HelmUnderTest, tag: string) => {
    const ns = `bench-deploy-${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    namespaces.push(ns);
    await kubectl(['create', 'namespace', ns]);
    await helmOk(helm, ['install', release, chartDir, '-n', ns, '--wait', '--timeout', timeout]);
    return ns;
  };

  try {
    const cli = await bundleForTest({
      source: `import { main } from ${JSON.stringify(path.join(root, 'packages/cli/src/main.ts'))};\nprocess.exitCode = await main(process.argv.slice(2));\n`,
      outfile: path.join(work, 'cli', 'slipway.mjs'),
      format: 'esm',
    });
    const helms: HelmUnderTest[] = [];
    for (const [label, variable, rollbackFlag] of [
      ['helm 3', 'HELM3', '--atomic'],
      ['helm 4', 'HELM4', '--rollback-on-failure'],
    ] as const) {
      const bin = sb.env[variable] as string;
      const version = (await exec(bin, ['version', '--template', '{{.Version}}'])).stdout.trim();
      helms.push({ label, bin, version, rollbackFlag });
    }
    const kube = (JSON.parse(await kubectl(['version', '-o', 'json'])) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion;
    const trivy = (await exec(sb.env.TRIVY as string, ['--version'])).stdout.split('\n')[0]?.replace(/^Version:\s*/, '');
    const commit = (await exec('git', ['describe', '--always', '--dirty'], { cwd: root })).stdout.trim();

    /** `slipway deploy` of `values` over revision 1; what it reports, checked by `check`. */
    const slipway = async (helm: HelmUnderTest, ns: string, values: Values, check: (doc: CliDocument) => Promise<string | undefined>): Promise<Sample> => {
      const args = [cli, 'deploy', '--release', release, '--namespace', ns, '--chart', chartDir, '--kubeconfig', kubeconfig, '--timeout', timeout];
      const outcome = await runTimed(process.execPath, [...args, ...setArgs(values), '--json'], helmEnv(helm));
      const gateStart = outcome.lines.find((line) => line.text.startsWith('▶ Policy gate'));
      const gateEnd = outcome.lines.find((line) => line.text.startsWith('policy gate: '));
      const events = (await journal(ns))?.timeline ?? [];
      const at = (phase: string) => {
        const event = events.find((entry) => entry.phase === phase);
        return event ? Date.parse(event.at) : undefined;
      };
      const [upgrading, verifying, rollingBack] = [at('upgrading'), at('verifying'), at('rolling-back')];
      let problem: string | undefined;
      try {
        problem = await check(JSON.parse(outcome.stdout) as CliDocument);
      } catch (error) {
        problem = `no JSON document (exit ${outcome.exitCode}): ${String(error).slice(0, 200)}`;
      }
      if (problem) problem += `\n${outcome.lines.map((line) => `    ${line.text}`).join('\n')}`;
      return {
        wallMs: outcome.wallMs,
        startupMs: upgrading === undefined ? undefined : upgrading - outcome.startedAt,
        gateMs: gateStart && gateEnd ? gateEnd.at - gateStart.at : undefined,
        decisionMs: rollingBack === undefined ? undefined : rollingBack - outcome.startedAt,
        decisionToExitMs: rollingBack === undefined ? undefined : outcome.endedAt - rollingBack,
        detectMs: rollingBack === undefined || verifying === undefined ? undefined : rollingBack - verifying,
        problem,
      };
    };
    const rolledBackToOne = async (helm: HelmUnderTest, ns: string) => {
      const last = (await history(helm, ns)).at(-1);
      return last?.revision === 3 && last.status === 'deployed' && last.description === 'Rollback to 1'
        ? undefined
        : `history ends with ${JSON.stringify(last)}, not revision 3 "Rollback to 1"`;
    };
    const healthyCheck = async (ns: string, ok: boolean, said: string) => {
      if (!ok) return said;
      const ready = await newPodsReady(ns);
      return ready === 2 ? undefined : `reported success with ${ready}/2 pods of the new ReplicaSet ready`;
    };

    // 1. The failing upgrade, Helm alone: every run waits out the timeout, so they run together.
    const crash: Values = { failureMode: 'crashloop' };
    const helmFailing = new Map<HelmUnderTest, Sample[]>();
    const failingNamespaces = await Promise.all(helms.flatMap((helm) => Array.from({ length: runs }, () => prepare(helm, `fail-${helm.label.at(-1)}`))));
    await Promise.all(
      helms.flatMap((helm, h) =>
        failingNamespaces.slice(h * runs, (h + 1) * runs).map(async (ns) => {
          const outcome = await runTimed(helm.bin, helmUpgradeArgs(ns, crash, [helm.rollbackFlag, '--debug']), helmEnv(helm));
          // Helm 3: "Upgrade failed and atomic is set, rolling back to last successful release";
          // Helm 4: "Upgrade failed and rollback-on-failure is set, rolling back to previous successful release".
          const decided = outcome.lines.find((line) => /Upgrade failed and .* is set, rolling back/.test(line.text));
          const problem = outcome.exitCode === 0 ? 'helm exited 0 on a crash-looping upgrade' : await rolledBackToOne(helm, ns);
          const samples = helmFailing.get(helm) ?? [];
          samples.push({
            wallMs: outcome.wallMs,
            decisionMs: decided ? decided.at - outcome.startedAt : undefined,
            decisionToExitMs: decided ? outcome.endedAt - decided.at : undefined,
            problem,
          });
          helmFailing.set(helm, samples);
        }),
      ),
    );

    // 2. Slipway on the same failing upgrade, then both healthy upgrades, one Helm at a time.
    const failingRows: Row[] = [];
    const healthyRows: Row[] = [];
    const problems: string[] = [];
    const scenarios: Array<{ name: string; values: Values }> = [
      { name: 'slow start (readyAfter=5s)', values: { failureMode: 'slow-start', readyAfter: '5s' } },
      { name: 'plain (new pod label)', values: { version: 'v2' } },
    ];
    for (const helm of helms) {
      const slipwayFailing: Sample[] = [];
      const failingSlipwayNs = await Promise.all(Array.from({ length: runs }, () => prepare(helm, `slip-${helm.label.at(-1)}`)));
      for (const ns of failingSlipwayNs) {
        slipwayFailing.push(
          await slipway(helm, ns, crash, async (doc) =>
            doc.outputs.result === 'rolled-back' && doc.outputs['rolled-back-to'] === '1'
              ? await rolledBackToOne(helm, ns)
              : `result ${doc.outputs.result}, rolled-back-to '${doc.outputs['rolled-back-to']}': ${doc.outputs.reason}`,
          ),
        );
      }
      failingRows.push(
        row(helm, 'slipway deploy', slipwayFailing, problems),
        row(helm, `helm upgrade ${helm.rollbackFlag}`, helmFailing.get(helm) ?? [], problems),
      );

      for (const scenario of scenarios) {
        const slipwaySamples: Sample[] = [];
        const helmSamples: Sample[] = [];
        const pairs = await Promise.all(
          Array.from({ length: runs }, async () => [await prepare(helm, `ok-${helm.label.at(-1)}`), await prepare(helm, `ok-${helm.label.at(-1)}`)] as const),
        );
        for (const [i, [slipwayNs, helmNs]] of pairs.entries()) {
          const viaSlipway = async () =>
            slipwaySamples.push(
              await slipway(helm, slipwayNs, scenario.values, (doc) =>
                healthyCheck(
                  slipwayNs,
                  doc.outputs.result === 'deployed' && doc.outputs.revision === '2',
                  `result ${doc.outputs.result}: ${doc.outputs.reason}`,
                ),
              ),
            );
          const viaHelm = async () => {
            const outcome = await runTimed(helm.bin, helmUpgradeArgs(helmNs, scenario.values, ['--wait']), helmEnv(helm));
            const said = outcome.lines.map((line) => line.text).join(' ');
            helmSamples.push({
              wallMs: outcome.wallMs,
              problem: await healthyCheck(helmNs, outcome.exitCode === 0, `helm exited ${outcome.exitCode}: ${said}`),
            });
          };
          // Alternate which goes first, so drift on a shared machine hits both alike.
          for (const measure of i % 2 === 0 ? [viaSlipway, viaHelm] : [viaHelm, viaSlipway]) await measure();
        }
        healthyRows.push(
          { ...row(helm, 'slipway deploy', slipwaySamples, problems), scenario: scenario.name },
          { ...row(helm, 'helm upgrade --wait', helmSamples, problems), scenario: scenario.name },
        );
      }
    }

    console.log(`Kubernetes ${kube} (kube-apiserver, KWOK nodes), ${helms.map((helm) => `${helm.label} ${helm.version}`).join(', ')}, Trivy ${trivy}`);
    console.log(`slipway CLI bundled from sources at ${commit} (default policy gate), node ${process.version}; ${runs} run(s) each, seconds: median [min-max]`);
    console.log(`\nfailing upgrade (failureMode=crashloop, timeout ${timeout}; revision 1 healthy) -> rolled back to revision 1`);
    printTable(
      ['helm', 'tool', 'wall', 'start->rollback decision', 'helm returned->decision', 'decision->exit', 'policy gate', 'wall - gate', 'checks'],
      failingRows.map((r) => [r.helm, r.tool, r.wall, r.decision, r.detect, r.decisionToExit, r.gate, r.wallMinusGate, r.checks]),
    );
    console.log(`\nhealthy upgrade from revision 1 (2 replicas, timeout ${timeout}), to the point each reports success`);
    printTable(
      ['helm', 'upgrade', 'tool', 'wall', 'policy gate', 'wall - gate', 'start->helm upgrade', 'checks'],
      healthyRows.map((r) => [r.helm, r.scenario ?? '', r.tool, r.wall, r.gate, r.wallMinusGate, r.startup, r.checks]),
    );
    console.log(
      [
        '',
        'wall: spawn to exit of the process (slipway: its post phase included).',
        "start->rollback decision: spawn to the journal's `rolling-back` event (slipway), or to Helm's --debug line",
        '  "Upgrade failed and ... is set, rolling back" (time the line arrived); decision->exit: from there to the exit.',
        "helm returned->decision: slipway's journal, `verifying` (helm upgrade returned) to `rolling-back`; the sandbox's crashloop",
        '  stage reports the first CrashLoopBackOff 2 s after a pod starts running, so most of it is the stage delay.',
        'policy gate: arrival of "▶ Policy gate" to "policy gate: <verdict>" on stderr (Trivy version and config check, verdict;',
        '  the chart is rendered before it); wall - gate: the same run without that span (derived, not a run with policy-fail-on none).',
        "start->helm upgrade: spawn to the journal's `upgrading` event (node start, helm version, template, gate, Lease, history).",
        'checks: slipway result rolled-back to 1 / deployed at revision 2; helm exit code; failing runs also need the history to',
        '  end with revision 3 "Rollback to 1" (deployed), healthy runs 2/2 ready pods in the new ReplicaSet right after the exit.',
        `The helm-alone failing runs (${helms.length * runs}) ran concurrently, each in its own namespace: they wait out the timeout.`,
      ].join('\n'),
    );
    for (const problem of problems) console.log(`\nproblem: ${problem}`);
  } finally {
    if (namespaces.length) await kubectl(['delete', 'namespace', ...namespaces, '--wait=false']).catch((error) => console.log(`cleanup: ${String(error)}`));
    rmSync(work, { recursive: true, force: true });
  }
}

interface Row {
  helm: string;
  tool: string;
  scenario?: string;
  wall: string;
  decision: string;
  detect: string;
  decisionToExit: string;
  gate: string;
  wallMinusGate: string;
  startup: string;
  checks: string;
}

/** One table row of formatted figures; failed checks go to `problems`. */
function row(helm: HelmUnderTest, tool: string, samples: Sample[], problems: string[]): Row {
  const failed = samples.filter((sample) => sample.problem);
  for (const sample of failed) problems.push(`${helm.label} ${tool}: ${sample.problem}`);
  const figure = (pick: (sample: Sample) => number | undefined) => summarise(samples.map(pick));
  return {
    helm: helm.label,
    tool,
    wall: figure((s) => s.wallMs),
    decision: figure((s) => s.decisionMs),
    detect: figure((s) => s.detectMs),
    decisionToExit: figure((s) => s.decisionToExitMs),
    gate: figure((s) => s.gateMs),
    wallMinusGate: figure((s) => (s.gateMs === undefined ? undefined : s.wallMs - s.gateMs)),
    startup: figure((s) => s.startupMs),
    checks: `${samples.length - failed.length}/${samples.length} ok`,
  };
}

/** `median [min-max]` in seconds, or `-` when no run produced the figure. */
function summarise(values: Array<number | undefined>): string {
  const ms = values.filter((value): value is number => value !== undefined).sort((a, b) => a - b);
  if (ms.length === 0) return '-';
  const mid = Math.floor(ms.length / 2);
  const median = ms.length % 2 ? (ms[mid] as number) : ((ms[mid - 1] as number) + (ms[mid] as number)) / 2;
  const s = (value: number) => (value / 1000).toFixed(2);
  const partial = ms.length < values.length ? ` (${ms.length} of ${values.length})` : '';
  return `${s(median)} [${s(ms[0] as number)}-${s(ms.at(-1) as number)}]${partial}`;
}

function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  console.log(line(headers));
  for (const r of rows) console.log(line(r));
}
