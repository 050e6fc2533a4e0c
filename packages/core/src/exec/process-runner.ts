import { CancelledError, ExecError, ToolNotFoundError } from '../errors/index.ts';
import { timerDelay } from '../concurrency/sleep.ts';
import { childEnvironment, type WithheldVariable } from './child-environment.ts';
import { formatCommand } from './format-command.ts';
import { isMaskable, type Redactor } from './redactor.ts';

export interface RunOptions {
  cwd?: string;
  /** Extra environment for the child; secrets go here or in `stdin`, never in argv. */
  env?: Readonly<Record<string, string>>;
  /** Written to the child's stdin and closed (passwords for `--password-stdin` and the like). */
  stdin?: string;
  /**
   * Kill the child after this long; 0 or undefined means no limit. Any length is safe: limits past
   * Node's timer maximum (about 24.8 days) are clamped to it instead of firing at once.
   */
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
  /**
   * The host's environment. Children inherit it without the variables `withholdEnv` names and without
   * any variable whose value the redactor knows as a secret (checked at every run, so a token masked
   * mid-step is withheld from the next child); per-run `env` is layered on top, unfiltered.
   */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Variables no child inherits whatever their value; default: every `INPUT_*` (see childEnvironment). */
  withholdEnv?: WithheldVariable;
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

  /**
   * The same runner (redaction, log, environment) under another cancellation signal: a rollback after a
   * cancel must run to the end, bounded by its own deadline, not be aborted by the signal that cancelled
   * the run.
   */
  withSignal(signal: AbortSignal | undefined): ProcessRunner {
    return new ProcessRunner({ ...this.#options, signal });
  }

  /** Runs `file args` and resolves with its output; rejects with a SlipwayError on any failure. */
  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const redact = (text: string) => this.#redact(text, options.secrets);
    // Each argument is redacted before quoting (quoting can change a secret's spelling, e.g. a newline
    // becomes `\n`), and the line again after, for a secret that spans the rendering.
    const display = redact(formatCommand(redact(file), args.map(redact)));
    this.#options.log.command(display);
    if (this.#options.signal?.aborted) throw new CancelledError(`cancelled before running ${display}`);

    const execa = await loadExeca();
    const started = Date.now();
    const child = execa(file, [...args], {
      cwd: options.cwd,
      env: { ...this.#inheritedEnv(), ...options.env },
      extendEnv: false,
      shell: false,
      input: options.stdin,
      stdin: options.stdin === undefined ? 'ignore' : 'pipe',
      timeout: timerDelay(options.timeoutMs),
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
    const execa = await loadExeca();
    const result = await execa(file, [...args], {
      reject: false,
      shell: false,
      timeout: timerDelay(timeoutMs),
      stdin: 'ignore',
      env: this.#inheritedEnv(),
      extendEnv: false,
      cancelSignal: this.#options.signal,
    });
    return result.exitCode === 0;
  }

  #inheritedEnv(): Record<string, string> {
    return childEnvironment(this.#options.baseEnv ?? process.env, {
      ...(this.#options.withholdEnv ? { withhold: this.#options.withholdEnv } : {}),
      isSecret: (value) => this.#options.redactor.isSecret(value),
    });
  }

  #redact(text: string, extra: readonly string[] | undefined): string {
    let out = this.#options.redactor.redact(text);
    for (const secret of extra ?? []) if (isMaskable(secret)) out = out.split(secret).join('***');
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

/**
 * execa is loaded on the first spawn, not at start: a step that fails validation (or never runs a tool)
 * does not pay for parsing it, which is a measurable part of an action's cold start.
 */
async function loadExeca(): Promise<typeof import('execa').execa> {
  return (await import('execa')).execa;
}
