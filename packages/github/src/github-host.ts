import { readFileSync } from 'node:fs';
import os from 'node:os';
import * as core from '@actions/core';
import { cancellationSignal, ciContextFromGitHub, type CiContext, type Host } from '@slipway/core';

/** The GitHub Actions runner as a Host, on @actions/core's workflow commands and files. */
export class GitHubHost implements Host {
  readonly kind = 'github' as const;
  readonly signal: AbortSignal;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly tempDir: string;
  readonly workspace: string;
  /** GitHub's ID-token endpoint, present when the workflow grants `permissions: id-token: write`. */
  readonly federatedToken: ((audience: string) => Promise<string>) | undefined;

  constructor(env: Readonly<Record<string, string | undefined>> = process.env) {
    this.env = env;
    this.tempDir = env.RUNNER_TEMP || os.tmpdir();
    this.workspace = env.GITHUB_WORKSPACE || process.cwd();
    this.signal = cancellationSignal((signal) => core.warning(`${signal} received: cancelling`));
    // core.getIDToken asks the runner for a new token on every call and masks it.
    this.federatedToken = env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN ? (audience) => core.getIDToken(audience) : undefined;
  }

  getInput(name: string): string | undefined {
    return core.getInput(name) || undefined;
  }

  readonly log = {
    info: (message: string) => core.info(message),
    warning: (message: string) => core.warning(message),
    error: (message: string) => core.error(message),
    debug: (message: string) => core.debug(message),
    command: (line: string) => core.info(`[command]${line}`),
  };

  group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    return core.group(title, fn);
  }

  setSecret(value: string): void {
    // add-mask takes one line: a multi-line secret (a PEM key) is masked line by line (actions/runner#161).
    for (const line of value.split(/\r?\n/)) if (line.trim()) core.setSecret(line.trim());
  }

  setOutput(name: string, value: string): void {
    core.setOutput(name, value);
  }

  exportVariable(name: string, value: string): void {
    core.exportVariable(name, value);
  }

  async appendSummary(markdown: string): Promise<void> {
    if (!this.env.GITHUB_STEP_SUMMARY) return;
    await core.summary.addRaw(markdown, true).write();
  }

  getState(name: string): string | undefined {
    return core.getState(name) || undefined;
  }

  saveState(name: string, value: string): void {
    core.saveState(name, value);
  }

  async ciContext(): Promise<CiContext> {
    let event: unknown;
    if (this.env.GITHUB_EVENT_PATH) {
      try {
        event = JSON.parse(readFileSync(this.env.GITHUB_EVENT_PATH, 'utf8'));
      } catch {
        core.debug(`could not read the event payload at ${this.env.GITHUB_EVENT_PATH}`);
      }
    }
    return ciContextFromGitHub(this.env, event);
  }
}
