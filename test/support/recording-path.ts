import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Every program Slipway starts, or a library it loads may start: the build, scan and push tools, git
 * (tags from git), the deploy tools of later steps, and the Azure sign-in helpers @azure/identity
 * runs (`az`, `azd`, `pwsh` for the Azure CLI, Developer CLI and PowerShell credentials).
 */
export const recordedTools = ['git', 'buildah', 'docker', 'trivy', 'skopeo', 'helm', 'kubectl', 'kubelogin', 'az', 'azd', 'pwsh'] as const;

/** One start of a recorded program: its name, its arguments and the environment it was given. */
export interface SpawnRecord {
  readonly tool: string;
  /** The arguments after the program name. */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** A directory of recording programs to put on a PATH, and what they recorded. */
export interface RecordingPath {
  /** The directory to put on PATH. */
  readonly dir: string;
  /** Every start recorded so far, oldest first. */
  records(): SpawnRecord[];
  /** Forgets what was recorded (between runs that share the directory). */
  clear(): void;
  cleanup(): void;
}

/**
 * Stand-ins: programs named like the real tools that record how they were started and exit 1 (a tool
 * that is there but fails). On a PATH of their own they prove that nothing was started at all, git and
 * the builder probes included, and otherwise show what was started, with which environment.
 */
export function createStandInPath(tools: readonly string[] = recordedTools): RecordingPath {
  return createRecordingPath(tools, () => 'exit 1');
}

/**
 * Wrappers: programs named like the real tools that record how they were started, then run the real
 * tool found on `originalPath` with the same arguments, environment and standard streams, so a real
 * run goes on while every argv and environment is kept for inspection. A tool with no real program
 * behind it answers like a missing command (127). (The real tool does not get variables whose names
 * are not shell names, which /bin/sh drops; the record has them, and no tool needs them.)
 */
export function createWrapperPath(originalPath: string, tools: readonly string[] = recordedTools): RecordingPath {
  return createRecordingPath(tools, (tool) => {
    const real = findOnPath(tool, originalPath);
    return real ? `exec ${shellQuote(real)} "$@"` : `echo "${tool}: command not found (recording wrapper)" >&2; exit 127`;
  });
}

function createRecordingPath(tools: readonly string[], tail: (tool: string) => string): RecordingPath {
  const root = mkdtempSync(path.join(os.tmpdir(), 'slipway-recording-path-'));
  const dir = path.join(root, 'bin');
  const logDir = path.join(root, 'log');
  mkdirSync(dir);
  mkdirSync(logDir);
  for (const tool of tools) {
    // Absolute paths only: the PATH these run with may hold nothing but this directory. One directory
    // per start (mktemp), so that concurrent starts never interleave their records.
    const script = [
      '#!/bin/sh',
      `# Recording ${tool} (test/support/recording-path.ts): its argv and environment, NUL-separated.`,
      `d=$(/usr/bin/mktemp -d ${shellQuote(`${logDir}/spawn.XXXXXXXXXX`)}) || exit 98`,
      `printf '%s\\0' ${shellQuote(tool)} "$@" > "$d/argv"`,
      // The environment as the kernel handed it over: dash drops variables whose names are not shell
      // names (INPUT_CLIENT-SECRET) from its own, so `env` run from here would never show them.
      '/bin/cat "/proc/$$/environ" > "$d/env"',
      tail(tool),
      '',
    ].join('\n');
    writeFileSync(path.join(dir, tool), script);
    chmodSync(path.join(dir, tool), 0o755);
  }
  return {
    dir,
    records: () => readRecords(logDir),
    clear: () => {
      for (const entry of readdirSync(logDir)) rmSync(path.join(logDir, entry), { recursive: true, force: true });
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

function readRecords(logDir: string): SpawnRecord[] {
  const entries = readdirSync(logDir)
    .map((name) => path.join(logDir, name))
    // A start that is still writing its record has no env file yet; it is read next time.
    .filter((entry) => existsSync(path.join(entry, 'env')))
    .map((entry) => ({ entry, at: statSync(entry).mtimeMs }))
    .sort((a, b) => a.at - b.at);
  return entries.map(({ entry }) => {
    const [tool = '', ...args] = splitNul(readFileSync(path.join(entry, 'argv'), 'utf8'));
    const env: Record<string, string> = {};
    for (const pair of splitNul(readFileSync(path.join(entry, 'env'), 'utf8'))) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return { tool, args, env };
  });
}

function splitNul(text: string): string[] {
  const parts = text.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** The first executable `name` on `searchPath`, or undefined. */
export function findOnPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(':').filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      const stats = statSync(candidate);
      if (stats.isFile() && (stats.mode & 0o111) !== 0) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
