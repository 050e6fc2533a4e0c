import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploySpec, rollbackSpec, type StepSpec } from '@slipway/core';
import { renderActionEntry, renderActionPostEntry, renderTaskEntry, renderTaskPostEntry } from '../../../scripts/metadata.ts';
import { bundleForTest, parseAgentCommands, parseGitHubFileCommands, repoRoot, type ProcessOutcome } from '../../support/host-harness.ts';
import { chartDir, kubectl, runOk, uniqueName, type SandboxInfo } from '../sandbox/sandbox.ts';

/** The three hosts, bundled from today's sources, with deploy's and rollback's entries as `npm run generate` writes them. */
export interface DeployHosts {
  github: Record<'deploy' | 'rollback', { main: string; post: string }>;
  azure: Record<'deploy' | 'rollback', { main: string; post: string }>;
  cli: string;
}

export async function bundleDeployHosts(dir: string): Promise<DeployHosts> {
  const source = (file: string) => JSON.stringify(path.join(repoRoot, file));
  const actions = path.join(dir, 'actions');
  const tasks = path.join(dir, 'tasks');
  const cli = path.join(dir, 'cli', 'slipway.mjs');
  await Promise.all([
    bundleForTest({
      source: `export * from ${source('packages/github/src/index.ts')};\n`,
      outfile: path.join(actions, '_bundle', 'slipway.mjs'),
      format: 'esm',
    }),
    bundleForTest({
      source: `export * from ${source('packages/azure-pipelines/src/index.ts')};\n`,
      outfile: path.join(tasks, '_bundle', 'slipway.cjs'),
      format: 'cjs',
    }),
    bundleForTest({
      source: `import { main } from ${source('packages/cli/src/main.ts')};\nprocess.exitCode = await main(process.argv.slice(2));\n`,
      outfile: cli,
      format: 'esm',
    }),
  ]);
  writeFileSync(path.join(tasks, 'package.json'), '{ "type": "commonjs" }\n');
  const entries = (spec: StepSpec) => {
    const action = path.join(actions, spec.id);
    const task = path.join(tasks, spec.taskName);
    mkdirSync(action, { recursive: true });
    mkdirSync(task, { recursive: true });
    const github = { main: path.join(action, 'main.mjs'), post: path.join(action, 'post.mjs') };
    const azure = { main: path.join(task, 'index.js'), post: path.join(task, 'post.js') };
    writeFileSync(github.main, renderActionEntry(spec));
    writeFileSync(github.post, renderActionPostEntry(spec));
    writeFileSync(azure.main, renderTaskEntry(spec));
    writeFileSync(azure.post, renderTaskPostEntry(spec));
    return { github, azure };
  };
  const deploy = entries(deploySpec);
  const rollback = entries(rollbackSpec);
  return { github: { deploy: deploy.github, rollback: rollback.github }, azure: { deploy: deploy.azure, rollback: rollback.azure }, cli };
}

/** A started process: signal it, then await how it ended. */
export interface Started {
  child: ChildProcess;
  done: Promise<ProcessOutcome & { endedAt: number }>;
}

export function start(file: string, args: string[], env: Record<string, string>, stdin = ''): Started {
  const child = spawn(file, args, { cwd: repoRoot, env: { HOME: process.env.HOME ?? '/root', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.end(stdin);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<ProcessOutcome & { endedAt: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 128 : -1), stdout, stderr, endedAt: Date.now() }));
  });
  return { child, done };
}

/** The environment every host run gets: the sandbox's CA, and PATH with the chosen Helm and Trivy first. */
export function toolEnv(sb: SandboxInfo, helm: string): Record<string, string> {
  const dirs = [path.dirname(helm), path.dirname(sb.env.TRIVY ?? ''), path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'];
  return {
    PATH: dirs.join(':'),
    NODE_EXTRA_CA_CERTS: sb.env.NODE_EXTRA_CA_CERTS ?? '',
    SSL_CERT_FILE: sb.env.SSL_CERT_FILE ?? '',
    TRIVY_CACHE_DIR: sb.env.TRIVY_CACHE_DIR ?? '',
  };
}

/** One GitHub step phase (main or post) in a job directory: INPUT_*, the runner's files, STATE_* from an earlier main. */
export class GitHubJob {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-deploy-gh-'));
  readonly #files = { GITHUB_OUTPUT: 'output', GITHUB_ENV: 'env', GITHUB_STEP_SUMMARY: 'summary', GITHUB_STATE: 'state', GITHUB_PATH: 'path' };
  readonly env: Record<string, string>;

  constructor(inputs: Record<string, string>, env: Record<string, string>) {
    this.env = { RUNNER_TEMP: path.join(this.dir, 'temp'), GITHUB_RUN_ID: String(Date.now()), GITHUB_RUN_ATTEMPT: '1', ...env };
    mkdirSync(this.env.RUNNER_TEMP as string, { recursive: true });
    for (const [name, file] of Object.entries(this.#files)) {
      this.env[name] = path.join(this.dir, file);
      writeFileSync(this.env[name] as string, '');
    }
    for (const [name, value] of Object.entries(inputs)) this.env[`INPUT_${name.toUpperCase()}`] = value;
  }

  main(entry: string): Started {
    return start(process.execPath, [entry], this.env);
  }

  /** The post phase, given the state main saved (as the runner does). */
  post(entry: string): Started {
    const state = parseGitHubFileCommands(readFileSync(this.env.GITHUB_STATE as string, 'utf8'));
    const env: Record<string, string> = { ...this.env, GITHUB_STATE: path.join(this.dir, 'post-state') };
    writeFileSync(env.GITHUB_STATE as string, '');
    for (const [name, value] of Object.entries(state)) env[`STATE_${name}`] = value;
    return start(process.execPath, [entry], env);
  }

  get outputs(): Record<string, string> {
    return parseGitHubFileCommands(readFileSync(this.env.GITHUB_OUTPUT as string, 'utf8'));
  }

  get summary(): string {
    return readFileSync(this.env.GITHUB_STEP_SUMMARY as string, 'utf8');
  }
}

/** An Azure Pipelines task run (main only): its outputs from the agent's output variables. */
export async function runAzureTask(entry: string, inputs: Record<string, string>, env: Record<string, string>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-deploy-ado-'));
  const taskEnv: Record<string, string> = { AGENT_TEMPDIRECTORY: dir, BUILD_BUILDID: String(Date.now()), ...env };
  for (const [name, value] of Object.entries(inputs)) taskEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  const outcome = await start(process.execPath, [entry], taskEnv).done;
  const commands = parseAgentCommands(outcome.stdout);
  const outputs: Record<string, string> = {};
  for (const command of commands) {
    if (command.command === 'task.setvariable' && command.properties.isOutput === 'true') outputs[command.properties.variable ?? ''] = command.message;
  }
  const result = commands.find((command) => command.command === 'task.complete')?.properties.result;
  return { ...outcome, outputs, result };
}

/** CLI flags from inputs: `--name value`. */
export function cliArgs(step: string, inputs: Record<string, string>): string[] {
  return [step, ...Object.entries(inputs).flatMap(([name, value]) => [`--${name}`, value]), '--json'];
}

/** The demo image the deploy tests pin, by a digest of their own (no registry is asked). */
export const demoDigest = `sha256:${'5e'.repeat(32)}`;
export const demoImage = `127.0.0.1:5443/slipway/demo:1.0.0@${demoDigest}`;

/** What `slipway <step> --json` prints; `Result` is the part of `result` a test reads. */
export interface CliDocument<Result = unknown> {
  exitCode: number;
  outputs: Record<string, string>;
  /** The job summary's Markdown. */
  summary?: string;
  error?: { code: string; message: string };
  problems?: Array<{ input: string; message: string }>;
  post?: { exitCode: number };
  result?: Result;
}

/** The CLI's JSON document from a finished run; throws with everything it printed when there is none. */
export function parseCliDocument<Doc extends CliDocument = CliDocument>(outcome: { exitCode: number; stdout: string; stderr: string }, step = 'deploy'): Doc {
  try {
    return JSON.parse(outcome.stdout) as Doc;
  } catch {
    throw new Error(`slipway ${step} printed no JSON (exit ${outcome.exitCode}):\n${outcome.stdout}\n${outcome.stderr}`);
  }
}

/** `slipway <step> --json` with `inputs` as flags, started with the chosen Helm on PATH. */
export function startCli(sb: SandboxInfo, hosts: DeployHosts, helm: string, inputs: Record<string, string>, step = 'deploy'): Started {
  return start(process.execPath, [hosts.cli, ...cliArgs(step, inputs)], toolEnv(sb, helm));
}

/** `slipway <step> --json` to its end: how it ended, and its JSON document. */
export async function cliDocument<Doc extends CliDocument = CliDocument>(
  sb: SandboxInfo,
  hosts: DeployHosts,
  helm: string,
  inputs: Record<string, string>,
  step = 'deploy',
) {
  const outcome = await startCli(sb, hosts, helm, inputs, step).done;
  return { ...outcome, doc: parseCliDocument<Doc>(outcome, step) };
}

/**
 * A suite's namespaces: `newNamespace` creates one, `track` adds one something else creates, and
 * `deleteNamespaces` (in afterAll) deletes them all without waiting.
 */
export function suiteNamespaces(sb: SandboxInfo) {
  const namespaces: string[] = [];
  return {
    newNamespace: async (prefix: string) => {
      const ns = uniqueName(prefix);
      namespaces.push(ns);
      await kubectl(sb, ['create', 'namespace', ns]);
      return ns;
    },
    track: (ns: string) => {
      namespaces.push(ns);
    },
    deleteNamespaces: async () => {
      for (const ns of namespaces) await kubectl(sb, ['delete', 'namespace', ns, '--wait=false']).catch(() => {});
    },
  };
}

/** The inputs every deploy of the demo chart starts from. */
export function baseDeployInputs(sb: SandboxInfo, ns: string, release = 'demo'): Record<string, string> {
  return { release, namespace: ns, chart: chartDir, kubeconfig: sb.env.KUBECONFIG as string, image: demoImage, timeout: '60s' };
}

/** A canary of the demo chart through three short steps; `extra` adds or overrides inputs. */
export function canaryDeployInputs(sb: SandboxInfo, ns: string, extra: Record<string, string>): Record<string, string> {
  return { ...baseDeployInputs(sb, ns), strategy: 'canary', steps: '10,25,50', bake: '2s', ...extra };
}

export interface HistoryEntry {
  revision: number;
  status: string;
}

/** `helm history` of the release, oldest first. */
export async function helmHistory(sb: SandboxInfo, helm: string, ns: string, release = 'demo'): Promise<HistoryEntry[]> {
  return JSON.parse(await runOk(sb, helm, ['history', release, '-n', ns, '-o', 'json', '--kubeconfig', sb.env.KUBECONFIG as string])) as HistoryEntry[];
}

/** The release's journal (ConfigMap slipway-journal-<release>), undefined while there is none. */
export async function readJournal<Journal>(sb: SandboxInfo, ns: string, release = 'demo'): Promise<Journal | undefined> {
  const text = await kubectl(sb, ['get', 'configmap', `slipway-journal-${release}`, '-n', ns, '-o', 'jsonpath={.data.journal\\.json}']).catch(() => '');
  return text ? (JSON.parse(text) as Journal) : undefined;
}

/** Every object labelled as the release's canary (what the acceptance calls "no canary object left"), one `kind/name` a line. */
export async function canaryObjects(sb: SandboxInfo, ns: string, release = 'demo'): Promise<string> {
  return (
    await kubectl(sb, ['get', 'deployments,services,configmaps,secrets,ingresses', '-n', ns, '-l', `slipway.dev/canary-of=${release}`, '-o', 'name'])
  ).trim();
}

/**
 * A streaming watch of the pods `selector` picks (kubectl --watch, not polling), so the moment the API first
 * shows one in CrashLoopBackOff is known to within milliseconds: `firstCrash` resolves then. Kill `child` when done.
 */
export function watchCrashLoop(sb: SandboxInfo, helm: string, ns: string, selector: string) {
  const { child } = start(
    sb.env.KUBECTL ?? 'kubectl',
    ['--kubeconfig', sb.env.KUBECONFIG as string, 'get', 'pods', '-n', ns, '-l', selector, '--watch', '-o', 'json'],
    toolEnv(sb, helm),
  );
  const firstCrash = new Promise<number>((resolve) => child.stdout?.on('data', (chunk: Buffer) => chunk.includes('CrashLoopBackOff') && resolve(Date.now())));
  return { child, firstCrash };
}
