/**
 * Cold start of each bundled action and task (process start to its first log line) next to
 * azure/k8s-deploy v7's committed bundle, and the size of every committed bundle file.
 *
 * Every subject runs the way its runner starts it and fails on a missing input, so the figure is the
 * cost of loading the code plus reading inputs, with nothing built or pushed. Runs are interleaved
 * (one round runs every subject once, in a rotating order) so that a noisy neighbour on a shared machine
 * slows every subject alike instead of whichever happened to run at that moment.
 *
 * `BENCH_RUNS=31 npm run bench action-cold-start` for more rounds (default 21).
 * `BENCH_BASELINE=<dir>` also runs the actions and tasks of another checkout (say `git archive HEAD
 * actions tasks | tar -x -C <dir>`) in the same rounds, for before/after figures from one run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const root = path.resolve(import.meta.dirname, '..');
const peer = '/work/shared/peers/k8s-deploy-v7/index.js';

interface Subject {
  name: string;
  args: string[];
  /** Extra environment besides the runner's files. */
  env?: Record<string, string>;
}

interface Sample {
  firstLine: number;
  /** The line that reports the missing input: `::error::` on GitHub, a `task.issue` error on Azure Pipelines. */
  firstError: number;
  exit: number;
}

const errorLine = /^::error::|^##vso\[task\.issue [^\]]*type=error/m;

/** Starts one process with only the runner's own variables and times its first stdout line and its exit. */
function runOnce(subject: Subject, dir: string): Promise<Sample> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', RUNNER_TEMP: dir, AGENT_TEMPDIRECTORY: dir, ...subject.env };
  for (const name of ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_ENV', 'GITHUB_STEP_SUMMARY']) {
    env[name] = path.join(dir, name.toLowerCase());
    writeFileSync(env[name], '');
  }
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    let firstLine: number | undefined;
    let firstError: number | undefined;
    let stdout = '';
    const child = spawn(process.execPath, subject.args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'ignore'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      firstLine ??= elapsed();
      if (firstError === undefined) {
        stdout += chunk.toString();
        if (errorLine.test(stdout)) firstError = elapsed();
      }
    });
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const exit = elapsed();
      if (firstLine === undefined || firstError === undefined) reject(new Error(`${subject.name} printed no error line: ${stdout.slice(0, 200)}`));
      else resolve({ firstLine, firstError, exit });
    });
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function stepIds(checkout = root): string[] {
  return readdirSync(path.join(checkout, 'actions')).filter((name) => !name.startsWith('_') && existsSync(path.join(checkout, 'actions', name, 'main.mjs')));
}

function taskDirs(checkout = root): string[] {
  return readdirSync(path.join(checkout, 'tasks')).filter((name) => /V\d+$/.test(name));
}

function checkoutSubjects(checkout: string, label: string): Subject[] {
  return [
    ...stepIds(checkout).map((step) => ({ name: `${label}action ${step}`, args: [path.join(checkout, 'actions', step, 'main.mjs')] })),
    ...taskDirs(checkout).map((task) => ({ name: `${label}task ${task}`, args: [path.join(checkout, 'tasks', task, 'index.js')] })),
  ];
}

/**
 * The files a bundle file loads before its first line of code runs, followed transitively: esbuild's
 * static chunk imports (`import … from "./chunk-X.mjs"`) and, in the CommonJS task bundle, their
 * converted form (`var import_chunk_X = require("./chunk-X.cjs")`). A dynamic `import()` (in the task
 * bundle, a `require()` inside `.then`) is left out on purpose: that is what a step loads when it runs.
 */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  const esm = /(?:^|[;}\s])(?:import|export)\s*(?:[\w${}*,\s]+from\s*)?["'](\.{1,2}\/[^"']+)["']/g;
  const cjs = /\bimport_[\w$]+=require\("(\.{1,2}\/[^"]+)"\)/g;
  for (const match of [...source.matchAll(esm), ...source.matchAll(cjs)]) {
    staticClosure(path.resolve(path.dirname(file), match[1] as string), seen);
  }
  return seen;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

function sizes(files: Iterable<string>): { raw: number; gzip: number } {
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(file);
    raw += bytes.length;
    gzip += gzipSync(bytes).length;
  }
  return { raw, gzip };
}

function codeFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).isFile() && /\.(mjs|cjs|js)$/.test(file))
    .sort();
}

/** Every committed bundle file (`*` marks what every action or task loads at start), and the totals. */
function printSizes(): void {
  const line = (label: string, size: { raw: number; gzip: number }) =>
    console.log(`  ${label.padEnd(50)} ${kib(size.raw).padStart(9)} ${kib(size.gzip).padStart(9)}`);
  const bundles = [
    { dir: 'actions/_bundle', entry: path.join(root, 'actions', stepIds()[0] ?? 'build', 'main.mjs') },
    { dir: 'tasks/_bundle', entry: path.join(root, 'tasks/_bundle/slipway.cjs') },
  ];
  console.log(`
bundle files${' '.repeat(41)}raw      gzip`);
  for (const { dir, entry } of bundles) {
    const startup = staticClosure(entry);
    const files = codeFiles(path.join(root, dir));
    for (const file of files) line(`${startup.has(file) ? '*' : ' '} ${path.relative(root, file)}`, sizes([file]));
    line(`  ${dir}: all files`, sizes(files));
    line(`  ${dir}: loaded at start (*)`, sizes(files.filter((file) => startup.has(file))));
  }
  const cli = codeFiles(path.join(root, 'packages/cli/dist'));
  if (cli.length > 0) line('  packages/cli/dist (built, not committed): all files', sizes(cli));
  if (existsSync(peer)) line('  k8s-deploy v7 index.js (one file, all loaded at start)', sizes([peer]));
}

export async function run(): Promise<void> {
  const rounds = Number(process.env.BENCH_RUNS ?? 21);
  const subjects: Subject[] = [
    { name: 'bare node', args: ['-e', "console.log('::error::x')"] },
    ...(existsSync(peer) ? [{ name: 'azure/k8s-deploy v7', args: [peer] }] : []),
    ...checkoutSubjects(root, ''),
    ...(process.env.BENCH_BASELINE ? checkoutSubjects(path.resolve(process.env.BENCH_BASELINE), 'baseline ') : []),
  ];
  const samples = new Map<string, Sample[]>(subjects.map((s) => [s.name, []]));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-cold-'));
  try {
    // One warm-up round so that the first subject does not pay for the page cache alone.
    for (const subject of subjects) await runOnce(subject, dir);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < subjects.length; i++) {
        const subject = subjects[(i + round) % subjects.length] as Subject;
        samples.get(subject.name)?.push(await runOnce(subject, dir));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const sorted = (name: string, field: keyof Sample) => (samples.get(name) ?? []).map((s) => s[field]).sort((a, b) => a - b);
  const peerFirst = existsSync(peer) ? quantile(sorted('azure/k8s-deploy v7', 'firstLine'), 0.5) : Number.NaN;
  const peerError = existsSync(peer) ? quantile(sorted('azure/k8s-deploy v7', 'firstError'), 0.5) : Number.NaN;
  console.log(`cold start in ms, ${rounds} interleaved runs each, node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]?.toFixed(2)}`);
  console.log("(the peer's first line is a warning printed just before its error; a task's is task-lib's import-time debug line)");
  const header = ['subject', 'first line', 'p90', 'vs peer', 'error line', 'p90', 'vs peer', 'exit'];
  const widths = [34, 11, 7, 8, 11, 7, 8, 7];
  const row = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' ');
  console.log(row(header));
  for (const subject of subjects) {
    const first = sorted(subject.name, 'firstLine');
    const error = sorted(subject.name, 'firstError');
    const exit = sorted(subject.name, 'exit');
    console.log(
      row([
        subject.name,
        quantile(first, 0.5).toFixed(1),
        quantile(first, 0.9).toFixed(1),
        `${(quantile(first, 0.5) / peerFirst).toFixed(2)}x`,
        quantile(error, 0.5).toFixed(1),
        quantile(error, 0.9).toFixed(1),
        `${(quantile(error, 0.5) / peerError).toFixed(2)}x`,
        quantile(exit, 0.5).toFixed(1),
      ]),
    );
  }
  printSizes();
}
