import type { CiContext, Host } from '@slipway/core';

export interface FakeHostOptions {
  /** Raw inputs by kebab-case name, as a host would hand them over. */
  inputs: Readonly<Record<string, string>>;
  workspace: string;
  tempDir: string;
  env?: Readonly<Record<string, string | undefined>>;
  ci?: CiContext;
  federatedToken?: (audience: string) => Promise<string>;
}

/**
 * A Host that keeps everything in memory, for tests of runStep: what the step logged, its outputs and
 * summaries, and how often it asked for the CI context (a step that asks has got past validation and
 * may start git).
 */
export class FakeHost implements Host {
  readonly kind = 'cli' as const;
  readonly signal = new AbortController().signal;
  readonly workspace: string;
  readonly tempDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly federatedToken?: (audience: string) => Promise<string>;
  readonly lines: Array<{ level: 'info' | 'warning' | 'error' | 'debug' | 'command'; message: string }> = [];
  readonly outputs: Record<string, string> = {};
  readonly summaries: string[] = [];
  readonly secrets: string[] = [];
  ciContextCalls = 0;
  readonly #inputs: Readonly<Record<string, string>>;
  readonly #ci: CiContext;
  readonly #state = new Map<string, string>();

  constructor(options: FakeHostOptions) {
    this.#inputs = options.inputs;
    this.workspace = options.workspace;
    this.tempDir = options.tempDir;
    this.env = options.env ?? {};
    this.#ci = options.ci ?? {};
    if (options.federatedToken) this.federatedToken = options.federatedToken;
  }

  getInput(name: string): string | undefined {
    return Object.hasOwn(this.#inputs, name) ? this.#inputs[name] : undefined;
  }

  readonly log = {
    info: (message: string) => this.lines.push({ level: 'info', message }),
    warning: (message: string) => this.lines.push({ level: 'warning', message }),
    error: (message: string) => this.lines.push({ level: 'error', message }),
    debug: (message: string) => this.lines.push({ level: 'debug', message }),
    command: (message: string) => this.lines.push({ level: 'command', message }),
  };

  async group<T>(_title: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  setSecret(value: string): void {
    this.secrets.push(value);
  }

  setOutput(name: string, value: string): void {
    this.outputs[name] = value;
  }

  exportVariable(): void {}

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
    this.ciContextCalls++;
    return this.#ci;
  }

  /** Every message logged at `level`, one per entry. */
  logged(level: 'info' | 'warning' | 'error' | 'debug' | 'command'): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }
}
