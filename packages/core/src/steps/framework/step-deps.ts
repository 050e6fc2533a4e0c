import type { ProcessRunner } from '../../exec/index.ts';
import type { KubeTokenCommand } from '../../azure/aks-kubeconfig.ts';
import type { FederatedTokenSource } from '../../azure/azure-auth.ts';
import type { FederatedTokenHandOff } from '../../azure/federated-token-hand-off.ts';
import type { CiContext } from '../../git/ci-context.ts';
import type { RunIdentity } from '../../deploy/run-identity.ts';

export interface StepLog {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * What a step's main phase leaves for its post phase: GitHub saveState/getState (STATE_<name> in the
 * post process), Azure Pipelines task variables (setTaskVariable/getTaskVariable), the CLI's memory.
 * Values are plain strings that hosts may write to files and debug logs: never a secret — save the
 * path of a 0600 file instead. Names are short identifiers (`kubeconfig`, `release`).
 */
export interface StepState {
  save(name: string, value: string): void;
  /** The value the main phase saved, or undefined (never saved, or the main phase never got there). */
  get(name: string): string | undefined;
}

/** What a step may use. Built once by runStep from the host; tests build it from fakes or real tools. */
export interface StepDeps {
  readonly runner: ProcessRunner;
  readonly log: StepLog;
  readonly signal: AbortSignal;
  /** Scratch space; files a step creates here are its own to clean up. */
  readonly tempDir: string;
  /**
   * Commit, branch, tag and pull-request facts. Asked for only by steps that need them (the CLI runs
   * git for them), and then once: every call returns the same promise.
   */
  readonly ciContext: () => Promise<CiContext>;
  /** This run, as Leases and journals name it (host, run id, run URL, machine). */
  readonly run: RunIdentity;
  /** Main phase saves, post phase reads; see {@link StepState}. */
  readonly state: StepState;
  readonly now: () => Date;
  /** Waits (backoff between retries); resolves early with a CancelledError rejection when cancelled. */
  readonly sleep: (ms: number) => Promise<void>;
  /**
   * Masks a value that only became known at run time (a token from an exchange). Values shorter than
   * minSecretLength are not masked (masking them would blank that text all over the log).
   */
  readonly setSecret: (value: string) => void;
  /** The host's OIDC token source, when it has one (GitHub id-token, Azure Pipelines service connection). */
  readonly federatedToken?: FederatedTokenSource;
  /** What another process of this job needs to mint the same OIDC tokens (holds secrets: 0600 files only). */
  readonly federatedTokenHandOff?: FederatedTokenHandOff;
  /** How a later step's kubectl runs this host's kube-token credential plugin. */
  readonly kubeTokenCommand?: KubeTokenCommand;
}
