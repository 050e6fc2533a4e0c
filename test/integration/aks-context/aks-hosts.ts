import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aksContextSpec } from '@slipway/core';
import {
  renderActionEntry,
  renderActionKubeTokenEntry,
  renderActionPostEntry,
  renderTaskEntry,
  renderTaskKubeTokenEntry,
  renderTaskPostEntry,
} from '../../../scripts/metadata.ts';
import {
  bundleForTest,
  parseAgentCommands,
  parseGitHubFileCommands,
  repoRoot,
  runProcess,
  type ProcessOutcome,
  type VsoCommand,
} from '../../support/host-harness.ts';

/**
 * The three hosts bundled from today's sources into a private directory laid out like the committed
 * one: `<dir>/actions/_bundle/{slipway,kube-token}.mjs` with `actions/aks-context/{main,post,kube-token}.mjs`,
 * `<dir>/tasks/_bundle/{slipway,kube-token}.cjs` with `tasks/SlipwayAksContextV1/{index,post,kube-token}.js`,
 * and the CLI. The entry files are the generator's own (scripts/metadata.ts), so the kube-token entries
 * kubectl runs are exactly the ones `npm run generate` writes.
 */
export interface AksHosts {
  github: { main: string; post: string; kubeToken: string };
  azure: { main: string; post: string; kubeToken: string };
  cli: string;
}

export async function bundleAksHosts(dir: string): Promise<AksHosts> {
  const source = (file: string) => JSON.stringify(path.join(repoRoot, file));
  const actions = path.join(dir, 'actions');
  const tasks = path.join(dir, 'tasks');
  const cli = path.join(dir, 'cli', 'slipway.mjs');
  const plugin = `export { runKubeTokenPlugin } from ${source('packages/core/src/azure/kube-token-plugin.ts')};\n`;
  await Promise.all([
    bundleForTest({
      source: `export * from ${source('packages/github/src/index.ts')};\n`,
      outfile: path.join(actions, '_bundle', 'slipway.mjs'),
      format: 'esm',
    }),
    bundleForTest({ source: plugin, outfile: path.join(actions, '_bundle', 'kube-token.mjs'), format: 'esm' }),
    bundleForTest({
      source: `export * from ${source('packages/azure-pipelines/src/index.ts')};\n`,
      outfile: path.join(tasks, '_bundle', 'slipway.cjs'),
      format: 'cjs',
    }),
    bundleForTest({ source: plugin, outfile: path.join(tasks, '_bundle', 'kube-token.cjs'), format: 'cjs' }),
    bundleForTest({
      source: `import { main } from ${source('packages/cli/src/main.ts')};\nprocess.exitCode = await main(process.argv.slice(2));\n`,
      outfile: cli,
      format: 'esm',
    }),
  ]);
  // CommonJS entries in a repository whose package.json says "type": "module" (as tasks/package.json does).
  writeFileSync(path.join(tasks, 'package.json'), '{ "type": "commonjs" }\n');
  const action = path.join(actions, aksContextSpec.id);
  const task = path.join(tasks, aksContextSpec.taskName);
  mkdirSync(action, { recursive: true });
  mkdirSync(task, { recursive: true });
  const files = {
    github: { main: path.join(action, 'main.mjs'), post: path.join(action, 'post.mjs'), kubeToken: path.join(action, 'kube-token.mjs') },
    azure: { main: path.join(task, 'index.js'), post: path.join(task, 'post.js'), kubeToken: path.join(task, 'kube-token.js') },
  };
  writeFileSync(files.github.main, renderActionEntry(aksContextSpec));
  writeFileSync(files.github.post, renderActionPostEntry(aksContextSpec));
  writeFileSync(files.github.kubeToken, renderActionKubeTokenEntry(aksContextSpec));
  writeFileSync(files.azure.main, renderTaskEntry(aksContextSpec));
  writeFileSync(files.azure.post, renderTaskPostEntry(aksContextSpec));
  writeFileSync(files.azure.kubeToken, renderTaskKubeTokenEntry(aksContextSpec));
  return { ...files, cli };
}

export interface PhaseRun extends ProcessOutcome {
  /** Outputs: GitHub's output file, the agent's output variables, or the CLI's JSON document. */
  outputs: Record<string, string>;
  /** Variables exported for later steps: GITHUB_ENV, the agent's task.setvariable (not output). */
  exported: Record<string, string>;
  summary: string;
}

export interface JobRun {
  main: PhaseRun;
  /** What `between` returned: what a later step of the job did with the kubeconfig. */
  later: unknown;
  post: ProcessOutcome;
  /** The paths (of those asked about in `watch`) that still existed once the post phase had run, before the job's directory went. */
  leftAfterPost: string[];
}

/** Which of the paths `watch` gives (from main's outputs) exist now. */
function existing(watch: ((main: PhaseRun) => string[]) | undefined, main: PhaseRun): string[] {
  return (watch?.(main) ?? []).filter((file) => existsSync(file));
}

/**
 * A GitHub job: main.mjs, then a later step (`between`, with the environment GITHUB_ENV gives it), then
 * post.mjs with the state main saved, as the runner runs an action with `post:`.
 */
export async function runGitHubJob(
  entries: AksHosts['github'],
  inputs: Record<string, string>,
  env: Record<string, string>,
  between: (stepEnv: Record<string, string>) => Promise<unknown>,
  watch?: (main: PhaseRun) => string[],
): Promise<JobRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-aks-gh-'));
  try {
    return await gitHubJobIn(dir, entries, inputs, env, between, watch);
  } finally {
    // The job's files, RUNNER_TEMP included, as the runner removes them when the job ends (after post.mjs).
    rmSync(dir, { recursive: true, force: true });
  }
}

async function gitHubJobIn(
  dir: string,
  entries: AksHosts['github'],
  inputs: Record<string, string>,
  env: Record<string, string>,
  between: (stepEnv: Record<string, string>) => Promise<unknown>,
  watch: ((main: PhaseRun) => string[]) | undefined,
): Promise<JobRun> {
  const files = { GITHUB_OUTPUT: 'output', GITHUB_ENV: 'env', GITHUB_STEP_SUMMARY: 'summary', GITHUB_STATE: 'state', GITHUB_PATH: 'path' };
  const jobEnv: Record<string, string> = { RUNNER_TEMP: path.join(dir, 'temp'), ...env };
  mkdirSync(jobEnv.RUNNER_TEMP as string, { recursive: true });
  for (const [name, file] of Object.entries(files)) {
    jobEnv[name] = path.join(dir, file);
    writeFileSync(jobEnv[name] as string, '');
  }
  const stepEnv = { ...jobEnv };
  for (const [name, value] of Object.entries(inputs)) stepEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  const main = await runProcess(process.execPath, [entries.main], stepEnv);
  const exported = parseGitHubFileCommands(readFileSync(jobEnv.GITHUB_ENV as string, 'utf8'));
  const state = parseGitHubFileCommands(readFileSync(jobEnv.GITHUB_STATE as string, 'utf8'));
  const later = await between({ ...jobEnv, ...exported });
  const postEnv: Record<string, string> = { ...stepEnv, GITHUB_STATE: path.join(dir, 'post-state') };
  writeFileSync(postEnv.GITHUB_STATE as string, '');
  for (const [name, value] of Object.entries(state)) postEnv[`STATE_${name}`] = value;
  const post = await runProcess(process.execPath, [entries.post], postEnv);
  const mainRun = {
    ...main,
    outputs: parseGitHubFileCommands(readFileSync(jobEnv.GITHUB_OUTPUT as string, 'utf8')),
    exported,
    summary: readFileSync(jobEnv.GITHUB_STEP_SUMMARY as string, 'utf8'),
  };
  return { main: mainRun, later, post, leftAfterPost: existing(watch, mainRun) };
}

/**
 * An Azure Pipelines job: the task, a later script step (`between`, with the variables the task set, as
 * the agent maps them into the environment), then the post-job handler with the task variables.
 */
export async function runAzureJob(
  entries: AksHosts['azure'],
  inputs: Record<string, string>,
  env: Record<string, string>,
  between: (stepEnv: Record<string, string>) => Promise<unknown>,
  watch?: (main: PhaseRun) => string[],
): Promise<JobRun & { commands: VsoCommand[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-aks-ado-'));
  try {
    return await azureJobIn(dir, entries, inputs, env, between, watch);
  } finally {
    // Agent.TempDirectory, as the agent cleans it when the job ends (after the post-job).
    rmSync(dir, { recursive: true, force: true });
  }
}

async function azureJobIn(
  dir: string,
  entries: AksHosts['azure'],
  inputs: Record<string, string>,
  env: Record<string, string>,
  between: (stepEnv: Record<string, string>) => Promise<unknown>,
  watch: ((main: PhaseRun) => string[]) | undefined,
): Promise<JobRun & { commands: VsoCommand[] }> {
  const jobEnv: Record<string, string> = { AGENT_TEMPDIRECTORY: dir, ...env };
  const taskEnv = { ...jobEnv };
  for (const [name, value] of Object.entries(inputs)) taskEnv[`INPUT_${name.replace(/\./g, '_').replace(/ /g, '_').toUpperCase()}`] = value;
  const main = await runProcess(process.execPath, [entries.main], taskEnv);
  const commands = parseAgentCommands(main.stdout);
  const outputs: Record<string, string> = {};
  const exported: Record<string, string> = {};
  const taskVariables: Record<string, string> = {};
  for (const command of commands) {
    const name = command.properties.variable ?? '';
    if (command.command === 'task.setvariable' && command.properties.isOutput === 'true') outputs[name] = command.message;
    else if (command.command === 'task.setvariable') exported[name] = command.message;
    if (command.command === 'task.settaskvariable') taskVariables[name] = command.message;
  }
  const complete = commands.find((command) => command.command === 'task.uploadsummary');
  // A later script step: the agent's environment (never the task's inputs or the vault's secrets) and the variables set.
  const scriptEnv = { ...jobEnv };
  for (const name of Object.keys(scriptEnv)) if (/^(ENDPOINT_AUTH_|INPUT_)/.test(name)) delete scriptEnv[name];
  const later = await between({ ...scriptEnv, ...exported });
  const postEnv = { ...taskEnv };
  for (const [name, value] of Object.entries(taskVariables)) postEnv[`VSTS_TASKVARIABLE_${name.replace(/\./g, '_').replace(/ /g, '_').toUpperCase()}`] = value;
  const post = await runProcess(process.execPath, [entries.post], postEnv);
  const mainRun = { ...main, outputs, exported, summary: complete?.message ? readFileSync(complete.message, 'utf8') : '' };
  return { main: mainRun, later, post, leftAfterPost: existing(watch, mainRun), commands };
}
