import os from 'node:os';
import path from 'node:path';
import {
  cliInputVariable,
  neutraliseLogCommands,
  ProcessCancellation,
  ProcessRunner,
  readGitContext,
  Redactor,
  type CiContext,
  type Host,
  type KubeTokenCommand,
} from '@slipway/core';

export interface CliHostOptions {
  inputs: ReadonlyMap<string, string>;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** Where log lines go: stderr, so that stdout stays clean for --json. */
  write?: (line: string) => void;
}

/**
 * A terminal as a Host: inputs from flags, logs on stderr, outputs and summary collected for the end.
 * State lives in memory: the CLI runs a step's post phase itself, in the same process, once the main
 * phase has ended (see {@link CliHost.startPostPhase}).
 */
export class CliHost implements Host {
  readonly kind = 'cli' as const;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly tempDir: string;
  readonly workspace: string;
  readonly outputs: Record<string, string> = {};
  readonly exported: Record<string, string> = {};
  readonly summaries: string[] = [];
  /** `node <this CLI> kube-token`: how kubectl runs the credential plugin of the kubeconfigs aks-context writes. */
  readonly kubeTokenCommand: KubeTokenCommand | undefined;
  readonly #inputs: ReadonlyMap<string, string>;
  readonly #redactor = new Redactor();
  readonly #state = new Map<string, string>();
  readonly #write: (line: string) => void;
  readonly #color: boolean;
  readonly #cancellation: ProcessCancellation;
  #signal: AbortSignal;
  #depth = 0;

  constructor(options: CliHostOptions) {
    this.#inputs = options.inputs;
    this.env = options.env ?? process.env;
    this.workspace = options.cwd ?? process.cwd();
    // Not cleaned at exit: the OCI layouts written here are what a later `slipway push` reads.
    this.tempDir = path.join(os.tmpdir(), 'slipway');
    this.#write = options.write ?? ((line) => process.stderr.write(`${line}\n`));
    this.#color = !this.env.NO_COLOR && process.stderr.isTTY === true;
    this.#cancellation = new ProcessCancellation((signal) => this.log.warning(`${signal} received: cancelling`));
    this.#signal = this.#cancellation.nextPhase();
    const entry = process.argv[1];
    // With node's own options too: a CLI run from source (`node --import tsx …/bin.ts`) runs its plugin the same way.
    this.kubeTokenCommand = entry ? { command: process.execPath, args: [...process.execArgv, entry, 'kube-token'] } : undefined;
  }

  /** True once the main phase saved state for its post phase: something will be undone at exit. */
  get savedState(): boolean {
    return this.#state.size > 0;
  }

  /** Aborts on SIGINT/SIGTERM during the current phase. */
  get signal(): AbortSignal {
    return this.#signal;
  }

  /**
   * Begins the post phase: a fresh signal, so that the post phase still runs after a cancelled main
   * phase. The next SIGINT/SIGTERM cancels the post phase; one more exits at once.
   */
  startPostPhase(): void {
    this.#signal = this.#cancellation.nextPhase();
  }

  getInput(name: string): string | undefined {
    return this.#inputs.get(name) ?? this.env[cliInputVariable(name)];
  }

  readonly log = {
    info: (message: string) => this.#emit(message),
    warning: (message: string) => this.#emit(`${this.#paint('33', 'warning:')} ${message}`),
    error: (message: string) => this.#emit(`${this.#paint('31', 'error:')} ${message}`),
    debug: (message: string) => {
      if (this.env.SLIPWAY_DEBUG === '1' || this.env.RUNNER_DEBUG === '1') this.#emit(this.#paint('2', message));
    },
    command: (line: string) => this.#emit(this.#paint('2', `$ ${line}`)),
  };

  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    // A group header is one line, as in the runner's and the agent's logs.
    this.#emit(this.#paint('1', `▶ ${title.replace(/\r\n|\r|\n/g, ' ')}`));
    this.#depth++;
    try {
      return await fn();
    } finally {
      this.#depth--;
    }
  }

  setSecret(value: string): void {
    this.#redactor.add(value);
  }

  setOutput(name: string, value: string): void {
    this.outputs[name] = value;
  }

  exportVariable(name: string, value: string): void {
    this.exported[name] = value;
  }

  async appendSummary(markdown: string): Promise<void> {
    this.summaries.push(markdown);
  }

  getState(name: string): string | undefined {
    return this.#state.get(name);
  }

  saveState(name: string, value: string): void {
    this.#state.set(name, value);
  }

  async ciContext(): Promise<CiContext> {
    // git needs none of Slipway's variables (SLIPWAY_*, INPUT_*), and none whose value is a secret.
    const runner = new ProcessRunner({
      redactor: this.#redactor,
      log: { command: () => {}, debug: () => {} },
      baseEnv: this.env,
      withholdEnv: (name) => name.startsWith('SLIPWAY_') || name.startsWith('INPUT_'),
      signal: this.#signal,
    });
    return readGitContext(runner, this.workspace);
  }

  /** Replaces every secret this host was given with ***, for what the CLI prints itself (stdout). */
  redact(text: string): string {
    return this.#redactor.redact(text);
  }

  #emit(message: string): void {
    const indent = '  '.repeat(this.#depth);
    // Neutralised, because a CLI inside a workflow's `run:` step or a pipeline script is parsed by its runner.
    for (const line of neutraliseLogCommands(this.#redactor.redact(message)).split('\n')) this.#write(`${indent}${line}`);
  }

  #paint(code: string, text: string): string {
    return this.#color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }
}
