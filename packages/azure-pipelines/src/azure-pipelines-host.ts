import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import * as internal from 'azure-pipelines-task-lib/internal';
import {
  inputFromServiceConnection,
  readServiceConnection,
  serviceConnectionHandOff,
  serviceConnectionTokenSource,
  type AzureServiceConnection,
} from './service-connection.ts';
import {
  cancellationSignal,
  camelCase,
  ciContextFromAzurePipelines,
  InputError,
  isMaskable,
  neutraliseLogCommands,
  type CiContext,
  type FederatedTokenHandOff,
  type Host,
  type KubeTokenCommand,
} from '@slipway/core';

/**
 * The Azure Pipelines agent as a Host, on azure-pipelines-task-lib. Task inputs are camelCase
 * (`buildArgs`), the convention of Azure Pipelines tasks; the engine's kebab names map onto them.
 */
export class AzurePipelinesHost implements Host {
  readonly kind = 'azure-pipelines' as const;
  readonly signal: AbortSignal;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly tempDir: string;
  readonly workspace: string;
  readonly #secretInputs: ReadonlySet<string>;
  readonly #connection: AzureServiceConnection | undefined;
  /** Why `azureSubscription` cannot be used, reported as that input's problem when the engine reads it. */
  readonly #connectionProblem: string | undefined;
  readonly federatedToken: ((audience: string) => Promise<string>) | undefined;
  /** The service connection's OIDC request for the kube-token plugin, which kubectl starts in later script steps. */
  readonly federatedTokenHandOff: FederatedTokenHandOff | undefined;
  /**
   * `node <task dir>/kube-token.js`: the generated entry beside index.js and post.js (the agent starts
   * `node <task dir>/index.js`), with the agent's node, which stays for the whole job.
   */
  readonly kubeTokenCommand: KubeTokenCommand | undefined;

  constructor(secretInputs: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env) {
    this.env = env;
    this.#secretInputs = new Set(secretInputs);
    this.tempDir = tl.getVariable('Agent.TempDirectory') || os.tmpdir();
    this.workspace = tl.getVariable('System.DefaultWorkingDirectory') || process.cwd();
    this.signal = cancellationSignal((signal) => tl.warning(`${signal} received: cancelling`));
    const connectionId = tl.getInput('azureSubscription', false);
    // Read only when the agent gave its endpoint data: readServiceConnection would throw from here,
    // before runStep, as an unhandled task-lib error with a stack trace, exit 0 and no input named.
    if (connectionId && !tl.getEndpointAuthorizationScheme(connectionId, true)) {
      this.#connectionProblem = `${JSON.stringify(connectionId)} names no service connection this job can use (the agent gave no endpoint data for it)`;
    } else {
      this.#connection = connectionId ? readServiceConnection(connectionId) : undefined;
    }
    for (const secret of [this.#connection?.secret, this.#connection?.certificatePem]) if (secret) this.setSecret(secret);
    this.federatedToken = this.#connection?.scheme === 'WorkloadIdentityFederation' ? serviceConnectionTokenSource(this.#connection.id) : undefined;
    this.federatedTokenHandOff = this.#connection?.scheme === 'WorkloadIdentityFederation' ? serviceConnectionHandOff(this.#connection.id) : undefined;
    const entry = process.argv[1];
    this.kubeTokenCommand = entry ? { command: process.execPath, args: [path.join(path.dirname(entry), 'kube-token.js')] } : undefined;
  }

  getInput(name: string): string | undefined {
    // Thrown while runStep validates the inputs: exit 2 naming the input, like any other bad input.
    if (name === 'azure-subscription' && this.#connectionProblem) {
      throw new InputError(name, this.#connectionProblem, {
        hint: 'give the name of an Azure Resource Manager service connection the pipeline is authorised to use',
      });
    }
    const direct = this.#readInput(name);
    if (direct !== undefined || !this.#connection) return direct;
    return inputFromServiceConnection(this.#connection, name, this.tempDir);
  }

  #readInput(name: string): string | undefined {
    const key = camelCase(name);
    // tl.getInput writes `name=value` to the debug log before anything could mask it, so secret
    // inputs are read from the task-lib's vault directly.
    if (this.#secretInputs.has(name)) {
      return internal._vault.retrieveSecret(`INPUT_${internal._getVariableKey(key)}`) || undefined;
    }
    return tl.getInput(key, false) || undefined;
  }

  // Everything printed on the step's behalf is data: the agent acts on `##vso[` anywhere in a line, so
  // no line of it may contain one (nor a `##[` format); the task-lib's own commands are left alone.
  readonly log = {
    info: (message: string) => console.log(neutraliseLogCommands(message)),
    warning: (message: string) => tl.warning(neutraliseLogCommands(message)),
    error: (message: string) => tl.error(neutraliseLogCommands(message)),
    debug: (message: string) => tl.debug(neutraliseLogCommands(message)),
    command: (line: string) => console.log(`##[command]${neutraliseLogCommands(line)}`),
  };

  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    // One line whatever the title holds: a line break would end the group header early.
    console.log(`##[group]${neutraliseLogCommands(title).replace(/\n/g, ' ')}`);
    try {
      return await fn();
    } finally {
      console.log('##[endgroup]');
    }
  }

  setSecret(value: string): void {
    // The agent rejects multi-line secrets; mask each line, as GitHub does. Lines too short to be
    // secrets are left alone: the agent would blank them all over the log.
    for (const line of value.split(/\r?\n/)) if (isMaskable(line)) tl.setSecret(line.trim());
  }

  setOutput(name: string, value: string): void {
    tl.setVariable(camelCase(name), value, false, true);
  }

  exportVariable(name: string, value: string): void {
    tl.setVariable(name, value);
  }

  async appendSummary(markdown: string): Promise<void> {
    const dir = mkdtempSync(path.join(this.tempDir, 'slipway-summary-'));
    const file = path.join(dir, 'summary.md');
    writeFileSync(file, markdown);
    tl.uploadSummary(file);
  }

  /**
   * Task variables: the agent gives every later execution of this task instance, the post-job one
   * included, what the main phase set (VSTS_TASKVARIABLE_<NAME>, which the task-lib moves into its vault).
   */
  getState(name: string): string | undefined {
    return tl.getTaskVariable(name) || undefined;
  }

  saveState(name: string, value: string): void {
    tl.setTaskVariable(name, value);
  }

  async ciContext(): Promise<CiContext> {
    return ciContextFromAzurePipelines(this.env);
  }
}
