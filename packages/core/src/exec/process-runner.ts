import { execa } from 'execa';
import { CancelledError, ExecError, ToolNotFoundError } from '../errors/index.ts';
import { formatCommand } from './format-command.ts';
import type { Redactor } from './redactor.ts';

export interface RunOptions {
  cwd?: string;
  /** Extra environment for the child; secrets go here or in `stdin`, never in argv. */
  env?: Readonly<Record<string, string>>;
  /** Written to the child's stdin and closed (passwords for `--password-stdin` and the like). */
  stdin?: string;
  /** Kill the child after this long; 0 or undefined means no limit. */
  timeoutMs?: number;
  /** Values to redact from the echo and from errors in addition to the redactor's. */
  secrets?: readonly string[];
  /** Exit codes that are not failures (e.g. trivy's gate code). Default: only 0. */
  okExitCodes?: readonly number[];
  /** Streams each output line (already redacted) while the tool runs. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Hint attached to an ExecError, e.g. how to fix a common failure of this tool. */
  failureHint?: string;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunnerLog {
  /** The redacted command line, before it runs. */
  command(line: string): void;
  debug(message: string): void;
}

export interface ProcessRunnerOptions {
  redactor: Redactor;
  log: RunnerLog;
  signal?: AbortSignal;
  /** Environment every child inherits (the host's environment); per-run env is layered on top. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
}

const stderrTailLines = 20;

/**
 * The one way Slipway starts external tools: argument arrays with no shell, so nothing a user typed is
 * ever interpreted; timeouts; cancellation from the host; and secrets kept out of argv and logs.
 */
export class ProcessRunner {
  readonly #options: ProcessRunnerOptions;

  constructor(options: ProcessRunnerOptions) {
    this.#options = options;
  }

  get signal(): AbortSignal | undefined {
    return this.#options.signal;
  }

  /** Runs `file args` and resolves with its output; rejects with a SlipwayError on any failure. */
  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const redact = (text: string) => this.#redact(text, options.secrets);
    const display = redact(formatCommand(file, args));
    this.#options.log.command(display);
    if (this.#options.signal?.aborted) throw new CancelledError(`cancelled before running ${display}`);

    const started = Date.now();
    const child = execa(file, [...args], {
      cwd: options.cwd,
      env: { ...definedOnly(this.#options.baseEnv ?? process.env), ...options.env },
      extendEnv: false,
      shell: false,
      input: options.stdin,
      stdin: options.stdin === undefined ? 'ignore' : 'pipe',
      timeout: options.timeoutMs && options.timeoutMs > 0 ? options.timeoutMs : undefined,
      cancelSignal: this.#options.signal,
      forceKillAfterDelay: 5_000,
      reject: false,
      stripFinalNewline: false,
      maxBuffer: 256 * 1024 * 1024,
    });
    if (options.onLine) {
      streamLines(child.stdout, (line) => options.onLine?.(redact(line), 'stdout'));
      streamLines(child.stderr, (line) => options.onLine?.(redact(line), 'stderr'));
    }
    const result = await child;
    const durationMs = Date.now() - started;
    const stdout = String(result.stdout ?? '');
    const stderr = String(result.stderr ?? '');

    if (result.isCanceled || (this.#options.signal?.aborted && result.failed)) {
      throw new CancelledError(`cancelled while running ${display}`);
    }
    const spawnCode = (result as { code?: string }).code;
    if (spawnCode === 'ENOENT' && result.exitCode === undefined) {
      throw new ToolNotFoundError(file, { cause: result });
    }
    const exitCode = result.exitCode;
    const ok = options.okExitCodes ?? [0];
    if (result.timedOut || exitCode === undefined || !ok.includes(exitCode)) {
      throw new ExecError(
        {
          command: display,
          exitCode,
          stderrTail: redact(tail(stderr || stdout, stderrTailLines)),
          timedOut: result.timedOut,
        },
        { hint: options.failureHint },
      );
    }
    this.#options.log.debug(`${file} finished in ${durationMs} ms`);
    return { exitCode, stdout, stderr, durationMs };
  }

  /** True when `file` can be started at all (used to pick a builder, never to decide success). */
  async canRun(file: string, args: readonly string[], timeoutMs = 10_000): Promise<boolean> {
    const result = await execa(file, [...args], {
      reject: false,
      shell: false,
      timeout: timeoutMs,
      stdin: 'ignore',
      env: definedOnly(this.#options.baseEnv ?? process.env),
      extendEnv: false,
      cancelSignal: this.#options.signal,
    });
    return result.exitCode === 0;
  }

  #redact(text: string, extra: readonly string[] | undefined): string {
    let out = this.#options.redactor.redact(text);
    for (const secret of extra ?? []) if (secret) out = out.split(secret).join('***');
    return out;
  }
}

function streamLines(stream: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.on('data', (chunk: Buffer | string) => {
    pending += chunk.toString();
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => {
    if (pending) onLine(pending);
    pending = '';
  });
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split(/\r?\n/).slice(-lines).join('\n');
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
