import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import * as internal from 'azure-pipelines-task-lib/internal';
import { inputFromServiceConnection, readServiceConnection, serviceConnectionTokenSource, type AzureServiceConnection } from './service-connection.ts';
import { cancellationSignal, camelCase, ciContextFromAzurePipelines, type CiContext, type Host } from '@slipway/core';

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
  readonly federatedToken: ((audience: string) => Promise<string>) | undefined;

  constructor(secretInputs: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env) {
    this.env = env;
    this.#secretInputs = new Set(secretInputs);
    this.tempDir = tl.getVariable('Agent.TempDirectory') || os.tmpdir();
    this.workspace = tl.getVariable('System.DefaultWorkingDirectory') || process.cwd();
    this.signal = cancellationSignal((signal) => tl.warning(`${signal} received: cancelling`));
    const connectionId = tl.getInput('azureSubscription', false);
    this.#connection = connectionId ? readServiceConnection(connectionId) : undefined;
    for (const secret of [this.#connection?.secret, this.#connection?.certificatePem]) if (secret) this.setSecret(secret);
    this.federatedToken =
      this.#connection?.scheme === 'WorkloadIdentityFederation' ? serviceConnectionTokenSource(this.#connection.id) : undefined;
  }

  getInput(name: string): string | undefined {
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

  readonly log = {
    info: (message: string) => console.log(message),
    warning: (message: string) => tl.warning(message),
    error: (message: string) => tl.error(message),
    debug: (message: string) => tl.debug(message),
    command: (line: string) => console.log(`##[command]${line}`),
  };

  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    console.log(`##[group]${title}`);
    try {
      return await fn();
    } finally {
      console.log('##[endgroup]');
    }
  }

  setSecret(value: string): void {
    // The agent rejects multi-line secrets; mask each line, as GitHub does.
    for (const line of value.split(/\r?\n/)) if (line.trim()) tl.setSecret(line.trim());
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
