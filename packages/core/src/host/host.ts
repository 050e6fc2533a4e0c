import type { KubeTokenCommand } from '../azure/aks-kubeconfig.ts';
import type { FederatedTokenSource } from '../azure/azure-auth.ts';
import type { FederatedTokenHandOff } from '../azure/federated-token-hand-off.ts';
import type { CiContext } from '../git/ci-context.ts';

/**
 * Where a step's messages go. Every host maps these onto its own logging commands, and passes what it
 * prints through neutraliseLogCommands: a message is data and no line of it may read as a workflow or
 * logging command (`::set-output`, `##vso[`, `##[error]`).
 */
export interface HostLog {
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  /** Echo of an external command line (already redacted). */
  command(line: string): void;
}

/**
 * The narrow surface a host (GitHub runner, Azure Pipelines agent, terminal) offers to the engine.
 * Steps never touch process.env, argv or host libraries: everything arrives through here, once.
 */
export interface Host {
  readonly kind: 'github' | 'azure-pipelines' | 'cli';
  /** The raw value of an input by its kebab-case name, or undefined when not given. */
  getInput(name: string): string | undefined;
  readonly log: HostLog;
  /** Runs `fn` inside one collapsible log group; the group is closed even when `fn` throws. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /** Masks a secret in the host's logs from now on; values shorter than minSecretLength are ignored. */
  setSecret(value: string): void;
  setOutput(name: string, value: string): void;
  /** A variable for later steps of the same job. */
  exportVariable(name: string, value: string): void;
  /** Markdown for the job summary (GitHub step summary, Azure Pipelines summary tab, terminal). */
  appendSummary(markdown: string): Promise<void>;
  /** What the main phase saved, read by the post phase (GitHub STATE_<name>, Azure task variables, CLI memory). */
  getState(name: string): string | undefined;
  /** Saved by the main phase for the post phase; never a secret (hosts may log it). */
  saveState(name: string, value: string): void;
  /** Aborts when the current phase is cancelled (SIGINT, SIGTERM, the agent's cancel). */
  readonly signal: AbortSignal;
  /** A per-job scratch directory that the host cleans up (RUNNER_TEMP, Agent.TempDirectory, os tmp). */
  readonly tempDir: string;
  /** The directory relative input paths are resolved against (the checkout). */
  readonly workspace: string;
  /**
   * The host's environment. Validation reads it (secret-envs names); tools inherit it without input
   * variables (INPUT_*, SLIPWAY_<INPUT>) and without variables whose value is a known secret.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Commit, branch, tag and pull-request facts as the host knows them. runStep asks only when a step does, once. */
  ciContext(): Promise<CiContext>;
  /** Mints a fresh OIDC token for `audience`, when the host can (undefined otherwise). */
  readonly federatedToken?: FederatedTokenSource;
  /**
   * How another process of this job (the kube-token credential plugin that kubectl starts in a later
   * step) can mint the same OIDC tokens, when the host can: the runner's request URL and token, the
   * pipeline's OIDC URI, access token and service connection. Secrets: only ever written to 0600 files.
   */
  readonly federatedTokenHandOff?: FederatedTokenHandOff;
  /**
   * How a later step's kubectl runs this host's kube-token plugin: `node <action or task dir>/kube-token.*`,
   * `node <cli> kube-token`. Undefined where the host cannot know (a host embedded in a test).
   */
  readonly kubeTokenCommand?: KubeTokenCommand;
}
