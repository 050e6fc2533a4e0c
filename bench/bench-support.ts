/**
 * What the sandbox benchmarks (deploy.bench.ts, canary.bench.ts) share: the sandbox they run against, the
 * demo chart and its release, the Helms under test, processes timed line by line, and the figures'
 * `median [min-max]`. Not a benchmark itself (bench/run.ts runs only `*.bench.ts`).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SandboxInfo } from '../test/integration/sandbox/sandbox.ts';
import { toolEnv } from '../test/integration/deploy/deploy-hosts.ts';

export const root = path.resolve(import.meta.dirname, '..');
export const chartDir = path.join(root, 'test/fixtures/charts/slipway-demo');
export const release = 'demo';
export const runs = Number(process.env.BENCH_RUNS ?? 3);
export const timeout = '60s';
export const exec = promisify(execFile);

export type Values = Record<string, string>;

export interface HelmUnderTest {
  label: 'helm 3' | 'helm 4';
  bin: string;
  version: string;
  /** The flag that makes `helm upgrade` roll back on failure. */
  rollbackFlag: '--atomic' | '--rollback-on-failure';
}

export interface TimedLine {
  /** Epoch ms when the chunk holding the line arrived. */
  at: number;
  text: string;
}

export interface TimedRun {
  /** Epoch ms at spawn, to compare with the timestamps the process writes itself. */
  startedAt: number;
  endedAt: number;
  wallMs: number;
  exitCode: number;
  stdout: string;
  /** stdout and stderr lines with their arrival times. */
  lines: TimedLine[];
}

export interface JournalEvent {
  at: string;
  phase: string;
  message: string;
}

export interface HistoryEntry {
  revision: number;
  status: string;
  description: string;
}

export interface CliDocument {
  exitCode: number;
  outputs: Record<string, string>;
}

/** The sandbox's sandbox.json, where `sandbox:up` writes it; undefined when the sandbox is down. */
export async function readSandbox(): Promise<SandboxInfo | undefined> {
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

/** A started process whose output lines are timed as they arrive; `onLine` sees each one then. */
export function startTimed(file: string, args: string[], env: Record<string, string>, onLine?: (line: TimedLine) => void) {
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
      for (const text of parts) {
        const line = { at, text };
        lines.push(line);
        onLine?.(line);
      }
    };
  };
  child.stdout.on('data', collect(true));
  child.stderr.on('data', collect(false));
  const done = new Promise<TimedRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ startedAt, endedAt: Date.now(), wallMs: performance.now() - started, exitCode: code ?? -1, stdout, lines });
    });
  });
  return { child, lines, done };
}

/** Runs a command to its end, timing it and every output line as it arrives. */
export function runTimed(file: string, args: string[], env: Record<string, string>): Promise<TimedRun> {
  return startTimed(file, args, env).done;
}

export const setArgs = (values: Values) => Object.entries(values).flatMap(([name, value]) => ['--set', `${name}=${value}`]);

/**
 * kubectl and Helm against the sandbox for one benchmark: every namespace `prepare` makes is named
 * `<prefix>-<tag>-<random>` and deleted by `deleteNamespaces`.
 */
export function benchCluster(sb: SandboxInfo, prefix: string) {
  const kubeconfig = sb.env.KUBECONFIG as string;
  const kubectlBin = sb.env.KUBECTL ?? 'kubectl';
  const namespaces: string[] = [];
  const kubectl = async (args: string[]) => (await exec(kubectlBin, ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
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
    interface ReplicaSetLike {
      metadata: { annotations?: Record<string, string> };
      status?: { readyReplicas?: number };
    }
    const deployment = JSON.parse(await kubectl(['get', 'deployment', `${release}-slipway-demo`, '-n', ns, '-o', 'json'])) as ReplicaSetLike;
    const revision = deployment.metadata.annotations?.['deployment.kubernetes.io/revision'];
    const sets = JSON.parse(await kubectl(['get', 'replicasets', '-n', ns, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'json'])) as {
      items: ReplicaSetLike[];
    };
    const current = sets.items.find((set) => set.metadata.annotations?.['deployment.kubernetes.io/revision'] === revision);
    return current?.status?.readyReplicas ?? 0;
  };
  /** `helm upgrade` of the demo chart with `values` over what is in `ns`, then `flags`. */
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
    const ns = `${prefix}-${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    namespaces.push(ns);
    await kubectl(['create', 'namespace', ns]);
    await helmOk(helm, ['install', release, chartDir, '-n', ns, '--wait', '--timeout', timeout]);
    return ns;
  };
  const deleteNamespaces = async () => {
    if (namespaces.length) await kubectl(['delete', 'namespace', ...namespaces, '--wait=false']).catch((error) => console.log(`cleanup: ${String(error)}`));
  };
  return { kubeconfig, kubectlBin, kubectl, helmEnv, helmOk, history, journal, newPodsReady, helmUpgradeArgs, prepare, deleteNamespaces };
}

/** Helm 3 and Helm 4 from the sandbox, and the versions of what a benchmark ran against, for its heading. */
export async function toolVersions(sb: SandboxInfo, kubectl: (args: string[]) => Promise<string>) {
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
  return { helms, kube, trivy, commit };
}

/** `median [min-max]` in seconds, or `-` when no run produced the figure. */
export function summarise(values: Array<number | undefined>): string {
  const ms = values.filter((value): value is number => value !== undefined).sort((a, b) => a - b);
  if (ms.length === 0) return '-';
  const mid = Math.floor(ms.length / 2);
  const median = ms.length % 2 ? (ms[mid] as number) : ((ms[mid - 1] as number) + (ms[mid] as number)) / 2;
  const s = (value: number) => (value / 1000).toFixed(2);
  const partial = ms.length < values.length ? ` (${ms.length} of ${values.length})` : '';
  return `${s(median)} [${s(ms[0] as number)}-${s(ms.at(-1) as number)}]${partial}`;
}

/** The figures every benchmark measures; missing when the run did not produce them (then `problem` says why). */
export interface BaseSample {
  wallMs: number;
  /** Spawn to the rollback decision. */
  decisionMs?: number | undefined;
  decisionToExitMs?: number | undefined;
  gateMs?: number | undefined;
  /** Spawn to the run's first journal event of note (deploy: `upgrading`; canary: `canary: starting`). */
  startupMs?: number | undefined;
  problem?: string | undefined;
}

/** The table columns every benchmark has, each `median [min-max]` but for the names and `checks`. */
export interface BaseRow {
  helm: string;
  tool: string;
  wall: string;
  decision: string;
  decisionToExit: string;
  gate: string;
  startup: string;
  checks: string;
}

/**
 * What every table row is made from: the columns every benchmark has, and `figure` to summarise more;
 * `checks` counts the samples without a problem, and each failed sample's problem goes to `problems`,
 * named by Helm and tool.
 */
export function tally<S extends BaseSample>(helm: HelmUnderTest, tool: string, samples: S[], problems: string[]) {
  const failed = samples.filter((sample) => sample.problem);
  for (const sample of failed) problems.push(`${helm.label} ${tool}: ${sample.problem}`);
  const figure = (pick: (sample: S) => number | undefined) => summarise(samples.map(pick));
  const columns: BaseRow = {
    helm: helm.label,
    tool,
    wall: figure((s) => s.wallMs),
    decision: figure((s) => s.decisionMs),
    decisionToExit: figure((s) => s.decisionToExitMs),
    gate: figure((s) => s.gateMs),
    startup: figure((s) => s.startupMs),
    checks: `${samples.length - failed.length}/${samples.length} ok`,
  };
  return { figure, columns };
}
