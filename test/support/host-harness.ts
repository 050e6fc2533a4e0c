import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export interface ProcessOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with exactly the given environment (plus PATH), like a runner would. */
export function runProcess(file: string, args: string[], env: Record<string, string>, cwd = repoRoot): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ exitCode: code ?? -1, stdout, stderr }));
  });
}

export interface GitHubRun extends ProcessOutcome {
  outputs: Record<string, string>;
  summary: string;
  env: string;
}

/**
 * Runs a bundled action the way the GitHub runner does: `node <main>` with INPUT_<NAME> variables
 * (upper-cased, hyphens kept) and the GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STEP_SUMMARY / GITHUB_STATE files.
 */
export async function runGitHubAction(step: string, inputs: Record<string, string>, extraEnv: Record<string, string> = {}): Promise<GitHubRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-gh-'));
  const files = { GITHUB_OUTPUT: 'output', GITHUB_ENV: 'env', GITHUB_STEP_SUMMARY: 'summary', GITHUB_STATE: 'state', GITHUB_PATH: 'path' };
  const env: Record<string, string> = { RUNNER_TEMP: path.join(dir, 'temp'), ...extraEnv };
  for (const [name, file] of Object.entries(files)) {
    env[name] = path.join(dir, file);
    writeFileSync(env[name] as string, '');
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  const outcome = await runProcess(process.execPath, [path.join(repoRoot, 'actions', step, 'main.mjs')], env);
  return {
    ...outcome,
    outputs: parseGitHubFileCommands(readFileSync(env.GITHUB_OUTPUT as string, 'utf8')),
    summary: readFileSync(env.GITHUB_STEP_SUMMARY as string, 'utf8'),
    env: readFileSync(env.GITHUB_ENV as string, 'utf8'),
  };
}

/** Parses `name<<DELIMITER\nvalue\nDELIMITER` records written by @actions/core. */
export function parseGitHubFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!match) continue;
    const [, name = '', delimiter] = match;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
    out[name] = value.join('\n');
  }
  return out;
}

export interface VsoCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

export interface AzureRun extends ProcessOutcome {
  commands: VsoCommand[];
  outputs: Record<string, string>;
  result: string | undefined;
}

/**
 * Runs a task the way the Azure Pipelines agent does: `node <target>` from task.json with INPUT_<NAME>
 * variables (the task input name upper-cased) and agent variables, then parses `##vso[...]` commands.
 */
export async function runAzureTask(taskName: string, inputs: Record<string, string>, extraEnv: Record<string, string> = {}): Promise<AzureRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-ado-'));
  const task = JSON.parse(readFileSync(path.join(repoRoot, 'tasks', taskName, 'task.json'), 'utf8'));
  const env: Record<string, string> = { AGENT_TEMPDIRECTORY: dir, ...extraEnv };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/\./g, '_').replace(/ /g, '_').toUpperCase()}`] = value;
  const outcome = await runProcess(process.execPath, [path.join(repoRoot, 'tasks', taskName, task.execution.Node24.target)], env);
  const commands = parseVsoCommands(outcome.stdout);
  const outputs: Record<string, string> = {};
  for (const command of commands) {
    if (command.command === 'task.setvariable' && command.properties.isOutput === 'true') {
      outputs[command.properties.variable ?? ''] = command.message;
    }
  }
  const complete = commands.find((command) => command.command === 'task.complete');
  return { ...outcome, commands, outputs, result: complete?.properties.result };
}

/** `##vso[area.action key=value;key=value]message`, with the agent's escaping undone. */
export function parseVsoCommands(stdout: string): VsoCommand[] {
  const unescapeVso = (text: string) =>
    text
      .replace(/%0D/g, '\r')
      .replace(/%0A/g, '\n')
      .replace(/%5D/g, ']')
      .replace(/%3B/g, ';')
      .replace(/%AZP25/g, '%');
  const commands: VsoCommand[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^##vso\[([\w.]+)( [^\]]*)?\](.*)$/.exec(line);
    if (!match) continue;
    const properties: Record<string, string> = {};
    for (const pair of (match[2] ?? '').trim().split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0) properties[pair.slice(0, eq)] = unescapeVso(pair.slice(eq + 1));
    }
    commands.push({ command: match[1] ?? '', properties, message: unescapeVso(match[3] ?? '') });
  }
  return commands;
}

// ---------------------------------------------------------------------------------------------------
// Private bundles, post phases, and reading output the way the runner and the agent do.
// ---------------------------------------------------------------------------------------------------

export interface TestBundleOptions {
  /** TypeScript source of the entry; imports may use absolute paths into the repository. */
  source: string;
  /** Where the bundle goes (a temp dir: the committed bundles belong to `npm run generate`). */
  outfile: string;
  format: 'esm' | 'cjs';
}

/**
 * Bundles an entry with esbuild the way scripts/bundle.mjs bundles the hosts (same platform, target,
 * require shim and import.meta shim), into a private file, so that tests run current sources as the
 * runner and the agent would run the committed bundle.
 */
export async function bundleForTest(options: TestBundleOptions): Promise<string> {
  const { build } = await import('esbuild');
  const dir = path.dirname(options.outfile);
  mkdirSync(dir, { recursive: true });
  const entry = path.join(dir, `${path.basename(options.outfile)}.entry.ts`);
  writeFileSync(entry, options.source);
  const esm = options.format === 'esm';
  await build({
    entryPoints: [entry],
    outfile: options.outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: options.format,
    absWorkingDir: repoRoot,
    nodePaths: [path.join(repoRoot, 'node_modules')],
    logLevel: 'error',
    define: esm ? { SLIPWAY_VERSION: '"0.0.0-test"' } : { SLIPWAY_VERSION: '"0.0.0-test"', 'import.meta.url': '__slipway_import_meta_url' },
    banner: {
      js: esm
        ? "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);"
        : "const __slipway_import_meta_url = require('node:url').pathToFileURL(__filename).href;",
    },
  });
  // task-lib loads its message catalogue from beside its own file; in a bundle, that is the bundle's.
  if (!esm) writeFileSync(path.join(dir, 'lib.json'), readFileSync(path.join(repoRoot, 'node_modules/azure-pipelines-task-lib/lib.json')));
  return options.outfile;
}

/** A workflow command as actions/runner would act on it. */
export interface RunnerCommand {
  command: string;
  properties: string;
  data: string;
  line: string;
}

/** The commands actions/runner registers (ActionCommandManager), matched ignoring case as it does. */
const runnerCommandNames = new Set([
  'add-mask',
  'add-matcher',
  'remove-matcher',
  'add-path',
  'debug',
  'echo',
  'endgroup',
  'error',
  'group',
  'notice',
  'save-state',
  'set-env',
  'set-output',
  'stop-commands',
  'warning',
]);

/** .NET's Char.IsWhiteSpace, which `TrimStart()` removes. */
const dotnetLeadingWhitespace = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/**
 * Reads output as actions/runner does (ActionCommand.TryParseV2, then TryParse): lines end at \n, \r\n
 * or a bare \r (ReadLine); `::name props::data` after leading whitespace, or the deprecated
 * `##[name props]data` anywhere in the line; only registered command names count.
 */
export function parseRunnerCommands(output: string): RunnerCommand[] {
  const commands: RunnerCommand[] = [];
  for (const line of output.split(/\r\n|\r|\n/)) {
    const trimmed = line.replace(dotnetLeadingWhitespace, '');
    if (trimmed.startsWith('::')) {
      const end = trimmed.indexOf('::', 2);
      if (end >= 0) {
        const info = trimmed.slice(2, end);
        const name = (info.split(' ')[0] ?? '').toLowerCase();
        if (runnerCommandNames.has(name)) {
          commands.push({ command: name, properties: info.slice(name.length).trim(), data: trimmed.slice(end + 2), line });
          continue;
        }
      }
    }
    const prefix = line.indexOf('##[');
    if (prefix < 0) continue;
    const rb = line.indexOf(']', prefix);
    if (rb < 0) continue;
    const info = line.slice(prefix + 3, rb);
    const name = (info.split(' ')[0] ?? '').toLowerCase();
    if (runnerCommandNames.has(name)) commands.push({ command: name, properties: info.slice(name.length).trim(), data: line.slice(rb + 1), line });
  }
  return commands;
}

/**
 * Reads output as the Azure Pipelines agent does (Command.TryParse): `##vso[area.event props]data`
 * anywhere in a line, lines ending at \n, \r\n or a bare \r.
 */
export function parseAgentCommands(output: string): VsoCommand[] {
  const commands: VsoCommand[] = [];
  for (const line of output.split(/\r\n|\r|\n/)) {
    const prefix = line.indexOf('##vso[');
    if (prefix < 0) continue;
    const rb = line.indexOf(']', prefix);
    if (rb < 0) continue;
    const info = line.slice(prefix + 6, rb);
    const space = info.indexOf(' ');
    const name = space < 0 ? info : info.slice(0, space);
    if (name.split('.').filter(Boolean).length !== 2) continue;
    commands.push(...parseVsoCommands(`##vso[${info}]${line.slice(rb + 1)}`));
  }
  return commands;
}

export interface GitHubPhases {
  main: GitHubRun;
  post: ProcessOutcome;
  /** What the main phase saved (GITHUB_STATE), as the runner hands it to post (STATE_<name>). */
  state: Record<string, string>;
}

/**
 * Runs an action's main entry, then its post entry, as the runner does for `post:` with `post-if:
 * always()`: the same inputs, and the GITHUB_STATE file of main turned into STATE_* variables.
 */
export async function runGitHubMainAndPost(
  entries: { main: string; post: string },
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<GitHubPhases> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-gh-'));
  const files = { GITHUB_OUTPUT: 'output', GITHUB_ENV: 'env', GITHUB_STEP_SUMMARY: 'summary', GITHUB_STATE: 'state', GITHUB_PATH: 'path' };
  const env: Record<string, string> = { RUNNER_TEMP: path.join(dir, 'temp'), ...extraEnv };
  for (const [name, file] of Object.entries(files)) {
    env[name] = path.join(dir, file);
    writeFileSync(env[name] as string, '');
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  const main = await runProcess(process.execPath, [entries.main], env);
  const state = parseGitHubFileCommands(readFileSync(env.GITHUB_STATE as string, 'utf8'));
  const postEnv: Record<string, string> = { ...env, GITHUB_STATE: path.join(dir, 'post-state') };
  writeFileSync(postEnv.GITHUB_STATE as string, '');
  for (const [name, value] of Object.entries(state)) postEnv[`STATE_${name}`] = value;
  const post = await runProcess(process.execPath, [entries.post], postEnv);
  return {
    main: {
      ...main,
      outputs: parseGitHubFileCommands(readFileSync(env.GITHUB_OUTPUT as string, 'utf8')),
      summary: readFileSync(env.GITHUB_STEP_SUMMARY as string, 'utf8'),
      env: readFileSync(env.GITHUB_ENV as string, 'utf8'),
    },
    post,
    state,
  };
}

export interface AzurePhases {
  main: AzureRun;
  post: AzureRun;
  /** Task variables the main phase set (task.settaskvariable), as the agent hands them to post-job. */
  taskVariables: Record<string, string>;
}

function azureRun(outcome: ProcessOutcome): AzureRun {
  const commands = parseAgentCommands(outcome.stdout);
  const outputs: Record<string, string> = {};
  for (const command of commands) {
    if (command.command === 'task.setvariable' && command.properties.isOutput === 'true') outputs[command.properties.variable ?? ''] = command.message;
  }
  const complete = commands.find((command) => command.command === 'task.complete');
  return { ...outcome, commands, outputs, result: complete?.properties.result };
}

/**
 * Runs a task's execution handler, then its postjobexecution handler, as the agent does: the same
 * inputs, and the task variables main set given to post as VSTS_TASKVARIABLE_<NAME> (which the
 * task-lib moves into its vault for getTaskVariable).
 */
export async function runAzureMainAndPost(
  entries: { main: string; post: string },
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<AzurePhases> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-ado-'));
  const env: Record<string, string> = { AGENT_TEMPDIRECTORY: dir, ...extraEnv };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/\./g, '_').replace(/ /g, '_').toUpperCase()}`] = value;
  const main = azureRun(await runProcess(process.execPath, [entries.main], env));
  const taskVariables: Record<string, string> = {};
  for (const command of main.commands) {
    if (command.command === 'task.settaskvariable') taskVariables[command.properties.variable ?? ''] = command.message;
  }
  const postEnv = { ...env };
  for (const [name, value] of Object.entries(taskVariables)) postEnv[`VSTS_TASKVARIABLE_${name.replace(/\./g, '_').replace(/ /g, '_').toUpperCase()}`] = value;
  const post = azureRun(await runProcess(process.execPath, [entries.post], postEnv));
  return { main, post, taskVariables };
}

export interface FixtureHosts {
  github: { main: string; post: string };
  azure: { main: string; post: string };
  /** The CLI, run as `node <cli> <step> ...`. */
  cli: string;
}

/**
 * The three hosts bundled from current sources with a test-only step registered (registerStep), and
 * entry files shaped like the generated ones: action main.mjs/post.mjs, task index.js/post.js, the CLI.
 */
export async function bundleFixtureHosts(
  dir: string,
  step: { module: string; exportName: string; id: string } = {
    module: path.join(repoRoot, 'test/contract/post-phase-fixture-step.ts'),
    exportName: 'fixtureStep',
    id: 'post-fixture',
  },
): Promise<FixtureHosts> {
  const core = path.join(repoRoot, 'packages/core/src/index.ts');
  const register = `import { registerStep } from ${JSON.stringify(core)};\nimport { ${step.exportName} } from ${JSON.stringify(step.module)};\nregisterStep(${step.exportName});\n`;
  const gh = path.join(dir, 'github');
  const ado = path.join(dir, 'azure-pipelines');
  const cli = path.join(dir, 'cli');
  await Promise.all([
    bundleForTest({
      source: `${register}export * from ${JSON.stringify(path.join(repoRoot, 'packages/github/src/index.ts'))};\n`,
      outfile: path.join(gh, 'slipway.mjs'),
      format: 'esm',
    }),
    bundleForTest({
      source: `${register}export * from ${JSON.stringify(path.join(repoRoot, 'packages/azure-pipelines/src/index.ts'))};\n`,
      outfile: path.join(ado, 'slipway.cjs'),
      format: 'cjs',
    }),
    bundleForTest({
      source: `${register}import { main } from ${JSON.stringify(path.join(repoRoot, 'packages/cli/src/main.ts'))};\nprocess.exitCode = await main(process.argv.slice(2));\n`,
      outfile: path.join(cli, 'slipway.mjs'),
      format: 'esm',
    }),
  ]);
  const id = JSON.stringify(step.id);
  writeFileSync(path.join(gh, 'main.mjs'), `import { runGitHubAction } from './slipway.mjs';\nawait runGitHubAction(${id});\n`);
  writeFileSync(path.join(gh, 'post.mjs'), `import { runGitHubAction } from './slipway.mjs';\nawait runGitHubAction(${id}, 'post');\n`);
  writeFileSync(path.join(ado, 'index.js'), `require('./slipway.cjs').runAzurePipelinesTask(${id});\n`);
  writeFileSync(path.join(ado, 'post.js'), `require('./slipway.cjs').runAzurePipelinesTask(${id}, 'post');\n`);
  return {
    github: { main: path.join(gh, 'main.mjs'), post: path.join(gh, 'post.mjs') },
    azure: { main: path.join(ado, 'index.js'), post: path.join(ado, 'post.js') },
    cli: path.join(cli, 'slipway.mjs'),
  };
}
