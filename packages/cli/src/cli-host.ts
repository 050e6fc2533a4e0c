import os from 'node:os';
import path from 'node:path';
import { cancellationSignal, ProcessRunner, readGitContext, Redactor, type CiContext, type Host } from '@slipway/core';

export interface CliHostOptions {
  inputs: ReadonlyMap<string, string>;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** Where log lines go: stderr, so that stdout stays clean for --json. */
  write?: (line: string) => void;
}

/** A terminal as a Host: inputs from flags, logs on stderr, outputs and summary collected for the end. */
export class CliHost implements Host {
  readonly kind = 'cli' as const;
  readonly signal: AbortSignal;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly tempDir: string;
  readonly workspace: string;
  readonly outputs: Record<string, string> = {};
  readonly exported: Record<string, string> = {};
  readonly summaries: string[] = [];
  readonly #inputs: ReadonlyMap<string, string>;
  readonly #redactor = new Redactor();
  readonly #state = new Map<string, string>();
  readonly #write: (line: string) => void;
  readonly #color: boolean;
  #depth = 0;

  constructor(options: CliHostOptions) {
    this.#inputs = options.inputs;
    this.env = options.env ?? process.env;
    this.workspace = options.cwd ?? process.cwd();
    // Not cleaned at exit: the OCI layouts written here are what a later `slipway push` reads.
    this.tempDir = path.join(os.tmpdir(), 'slipway');
    this.#write = options.write ?? ((line) => process.stderr.write(`${line}\n`));
    this.#color = !this.env.NO_COLOR && process.stderr.isTTY === true;
    this.signal = cancellationSignal((signal) => this.log.warning(`${signal} received: cancelling`));
  }

  getInput(name: string): string | undefined {
    return this.#inputs.get(name) ?? this.env[`SLIPWAY_${name.toUpperCase().replace(/-/g, '_')}`];
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
    this.#emit(this.#paint('1', `▶ ${title}`));
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
    const runner = new ProcessRunner({ redactor: this.#redactor, log: { command: () => {}, debug: () => {} }, baseEnv: this.env });
    return readGitContext(runner, this.workspace);
  }

  #emit(message: string): void {
    const indent = '  '.repeat(this.#depth);
    for (const line of this.#redactor.redact(message).split('\n')) this.#write(`${indent}${line}`);
  }

  #paint(code: string, text: string): string {
    return this.#color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }
}
