import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
    const child = spawn(file, args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const unescape = (text: string) =>
    text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%5D/g, ']').replace(/%3B/g, ';').replace(/%AZP25/g, '%');
  const commands: VsoCommand[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^##vso\[([\w.]+)( [^\]]*)?\](.*)$/.exec(line);
    if (!match) continue;
    const properties: Record<string, string> = {};
    for (const pair of (match[2] ?? '').trim().split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0) properties[pair.slice(0, eq)] = unescape(pair.slice(eq + 1));
    }
    commands.push({ command: match[1] ?? '', properties, message: unescape(match[3] ?? '') });
  }
  return commands;
}
