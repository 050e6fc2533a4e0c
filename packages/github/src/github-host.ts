import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import {
  cancellationSignal,
  ciContextFromGitHub,
  isMaskable,
  neutraliseLogCommands,
  type CiContext,
  type FederatedTokenHandOff,
  type Host,
  type KubeTokenCommand,
} from '@slipway/core';

/** The GitHub Actions runner as a Host, on @actions/core's workflow commands and files. */
export class GitHubHost implements Host {
  readonly kind = 'github' as const;
  readonly signal: AbortSignal;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly tempDir: string;
  readonly workspace: string;
  /** GitHub's ID-token endpoint, present when the workflow grants `permissions: id-token: write`. */
  readonly federatedToken: ((audience: string) => Promise<string>) | undefined;
  /** The same endpoint for the kube-token plugin, which kubectl starts in later steps (whose environment has it too). */
  readonly federatedTokenHandOff: FederatedTokenHandOff | undefined;
  /**
   * `node <action dir>/kube-token.mjs`: the generated entry beside main.mjs (the runner starts
   * `node <action dir>/main.mjs`), with the node that runs this action, which stays for the whole job.
   */
  readonly kubeTokenCommand: KubeTokenCommand | undefined;

  constructor(env: Readonly<Record<string, string | undefined>> = process.env) {
    this.env = env;
    this.tempDir = env.RUNNER_TEMP || os.tmpdir();
    this.workspace = env.GITHUB_WORKSPACE || process.cwd();
    this.signal = cancellationSignal((signal) => core.warning(`${signal} received: cancelling`));
    // A new token from the runner on every call (never a cached one: assertions expire after minutes), masked at once.
    const { ACTIONS_ID_TOKEN_REQUEST_URL: requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken } = env;
    this.federatedToken =
      requestUrl && requestToken
        ? async (audience) => {
            const { requestGitHubIdToken } = await import('./github-id-token.ts');
            const token = await requestGitHubIdToken(requestUrl, requestToken, audience);
            this.setSecret(token);
            return token;
          }
        : undefined;
    this.federatedTokenHandOff = requestUrl && requestToken ? { kind: 'github-actions', requestUrl, requestToken } : undefined;
    const entry = process.argv[1];
    this.kubeTokenCommand = entry ? { command: process.execPath, args: [path.join(path.dirname(entry), 'kube-token.mjs')] } : undefined;
  }

  getInput(name: string): string | undefined {
    return core.getInput(name) || undefined;
  }

  // Everything printed on the step's behalf is data: no line of it may read as a workflow command
  // (core.info writes raw lines; the others escape line breaks, but `##[` would still count).
  readonly log = {
    info: (message: string) => core.info(neutraliseLogCommands(message)),
    warning: (message: string) => core.warning(neutraliseLogCommands(message)),
    error: (message: string) => core.error(neutraliseLogCommands(message)),
    debug: (message: string) => core.debug(neutraliseLogCommands(message)),
    command: (line: string) => core.info(`[command]${neutraliseLogCommands(line)}`),
  };

  group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    // A group header is one line: the runner would print an escaped line break as a real one.
    return core.group(neutraliseLogCommands(title).replace(/\n/g, ' '), fn);
  }

  setSecret(value: string): void {
    // add-mask takes one line: a multi-line secret (a PEM key) is masked line by line (actions/runner#161).
    // Lines too short to be secrets are left alone: the runner would blank them all over the log.
    for (const line of value.split(/\r?\n/)) if (isMaskable(line)) core.setSecret(line.trim());
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

  /** The runner gives the post process what the main phase saved as STATE_<name> variables. */
  getState(name: string): string | undefined {
    return this.env[`STATE_${name}`] || undefined;
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
