import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { camelCase, cliInputVariable, steps } from '@slipway/core';
import {
  bundleForTest,
  parseAgentCommands,
  parseGitHubFileCommands,
  repoRoot,
  runProcess,
  type AzureRun,
  type GitHubRun,
  type ProcessOutcome,
} from './host-harness.ts';

/**
 * The three real hosts bundled from the current sources into a private directory, with entry files
 * shaped like the generated ones (actions/<step>/main.mjs, tasks/<Task>/index.js, the CLI), for tests
 * that must run today's code the way the runner, the agent and a shell do. The committed bundles belong
 * to `npm run generate` and may be stale while the sources change.
 */
export interface PrivateHosts {
  /** `actions/<step>/main.mjs` equivalent. */
  githubEntry(step: string): string;
  /** `tasks/<Task>/index.js` equivalent. */
  azureEntry(step: string): string;
  /** The CLI, run as `node <cli> <step> ...`. */
  readonly cli: string;
}

export async function bundlePrivateHosts(dir: string): Promise<PrivateHosts> {
  const source = (file: string) => JSON.stringify(path.join(repoRoot, file));
  const github = path.join(dir, 'github');
  const azure = path.join(dir, 'azure-pipelines');
  const cli = path.join(dir, 'cli', 'slipway.mjs');
  await Promise.all([
    bundleForTest({ source: `export * from ${source('packages/github/src/index.ts')};\n`, outfile: path.join(github, 'slipway.mjs'), format: 'esm' }),
    bundleForTest({ source: `export * from ${source('packages/azure-pipelines/src/index.ts')};\n`, outfile: path.join(azure, 'slipway.cjs'), format: 'cjs' }),
    bundleForTest({
      source: `import { main } from ${source('packages/cli/src/main.ts')};\nprocess.exitCode = await main(process.argv.slice(2));\n`,
      outfile: cli,
      format: 'esm',
    }),
  ]);
  for (const id of Object.keys(steps)) {
    mkdirSync(path.join(github, id), { recursive: true });
    writeFileSync(path.join(github, id, 'main.mjs'), `import { runGitHubAction } from '../slipway.mjs';\nawait runGitHubAction(${JSON.stringify(id)});\n`);
    mkdirSync(path.join(azure, id), { recursive: true });
    writeFileSync(path.join(azure, id, 'index.js'), `require('../slipway.cjs').runAzurePipelinesTask(${JSON.stringify(id)});\n`);
  }
  return {
    githubEntry: (step) => path.join(github, step, 'main.mjs'),
    azureEntry: (step) => path.join(azure, step, 'index.js'),
    cli,
  };
}

/** How a host process is started: directly, or through `bash -c` so that a variable can hold raw bytes. */
export interface HostRunOptions {
  /** The whole environment besides the inputs (PATH included: nothing is inherited but HOME's default). */
  env: Record<string, string>;
  cwd?: string;
  /** Where the runner's files or the agent's temp directory go (default: a new directory in the OS temp dir). */
  runDir?: string;
  /**
   * Inputs whose value is raw bytes (not UTF-8), set by bash from `printf` escapes: Node can only pass
   * strings, which it encodes as UTF-8. Keys are input names, values printf formats (`\\377\\376A`).
   */
  rawInputs?: Record<string, string>;
}

export interface GitHubHostRun extends GitHubRun {
  /** The job summary file's content. */
  summary: string;
  /** The run's directory: the GITHUB_* files and RUNNER_TEMP (`temp`). */
  dir: string;
}

/** Runs an action entry as the runner does: INPUT_<NAME> (hyphens kept) and the GITHUB_* files. */
export async function runGitHubEntry(entry: string, inputs: Record<string, string>, options: HostRunOptions): Promise<GitHubHostRun> {
  const dir = options.runDir ?? mkdtempSync(path.join(os.tmpdir(), 'slipway-gh-run-'));
  const files = { GITHUB_OUTPUT: 'output', GITHUB_ENV: 'env', GITHUB_STEP_SUMMARY: 'summary', GITHUB_STATE: 'state', GITHUB_PATH: 'path' };
  const env: Record<string, string> = { RUNNER_TEMP: path.join(dir, 'temp'), ...options.env };
  mkdirSync(env.RUNNER_TEMP as string, { recursive: true });
  for (const [name, file] of Object.entries(files)) {
    env[name] = path.join(dir, file);
    writeFileSync(env[name] as string, '');
  }
  const variable = (name: string) => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
  for (const [name, value] of Object.entries(inputs)) env[variable(name)] = value;
  const outcome = await startHost(entry, [], env, options, variable);
  return {
    ...outcome,
    outputs: parseGitHubFileCommands(readFileSync(env.GITHUB_OUTPUT as string, 'utf8')),
    summary: readFileSync(env.GITHUB_STEP_SUMMARY as string, 'utf8'),
    env: readFileSync(env.GITHUB_ENV as string, 'utf8'),
    dir,
  };
}

/** Runs a task entry as the agent does: INPUT_<CAMELCASE NAME>, Agent.TempDirectory; parses `##vso[`. */
export async function runAzureEntry(entry: string, inputs: Record<string, string>, options: HostRunOptions): Promise<AzureRun & { tempDir: string }> {
  const tempDir = options.runDir ?? mkdtempSync(path.join(os.tmpdir(), 'slipway-ado-run-'));
  const env: Record<string, string> = { AGENT_TEMPDIRECTORY: tempDir, ...options.env };
  const variable = (name: string) => `INPUT_${camelCase(name).toUpperCase()}`;
  for (const [name, value] of Object.entries(inputs)) env[variable(name)] = value;
  const outcome = await startHost(entry, [], env, options, variable);
  const commands = parseAgentCommands(outcome.stdout);
  const outputs: Record<string, string> = {};
  for (const command of commands) {
    if (command.command === 'task.setvariable' && command.properties.isOutput === 'true') outputs[command.properties.variable ?? ''] = command.message;
  }
  const complete = commands.find((command) => command.command === 'task.complete');
  return { ...outcome, commands, outputs, result: complete?.properties.result, tempDir };
}

/**
 * Runs the CLI: non-secret inputs as `--name=value` flags (the `=` form, so a value starting with `-`
 * stays a value), secret inputs as SLIPWAY_<NAME> variables, as the README tells users to.
 */
export async function runCliEntry(
  cli: string,
  step: string,
  inputs: Record<string, string>,
  options: HostRunOptions & { json?: boolean },
): Promise<ProcessOutcome> {
  const spec = steps[step]?.spec;
  const env: Record<string, string> = { ...options.env };
  const args = [step, ...(options.json ? ['--json'] : [])];
  for (const [name, value] of Object.entries(inputs)) {
    if (spec?.inputs.find((input) => input.name === name)?.secret) env[cliInputVariable(name)] = value;
    else args.push(`--${name}=${value}`);
  }
  return startHost(cli, args, env, options, cliInputVariable);
}

function startHost(
  entry: string,
  args: string[],
  env: Record<string, string>,
  options: HostRunOptions,
  variable: (name: string) => string,
): Promise<ProcessOutcome> {
  const cwd = options.cwd ?? repoRoot;
  if (!options.rawInputs || Object.keys(options.rawInputs).length === 0) return runProcess(process.execPath, [entry, ...args], env, cwd);
  // bash makes each raw value with printf and env(1) sets it (names such as INPUT_BUILD-ARGS are not shell names).
  const assignments = Object.entries(options.rawInputs).map(([name, format]) => `"${variable(name)}=$(printf '${format}')"`);
  const script = `exec /usr/bin/env ${assignments.join(' ')} "$@"`;
  return runProcess('/bin/bash', ['-c', script, 'bash', process.execPath, entry, ...args], env, cwd);
}
