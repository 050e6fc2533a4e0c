import type { ProcessRunner } from '../../exec/index.ts';
import type { FederatedTokenSource } from '../../azure/azure-auth.ts';
import type { CiContext } from '../../git/ci-context.ts';

export interface StepLog {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}

/** What a step may use. Built once by runStep from the host; tests build it from fakes or real tools. */
export interface StepDeps {
  readonly runner: ProcessRunner;
  readonly log: StepLog;
  readonly signal: AbortSignal;
  /** Scratch space; files a step creates here are its own to clean up. */
  readonly tempDir: string;
  readonly ci: CiContext;
  readonly now: () => Date;
  /** Waits (backoff between retries); resolves early with a CancelledError rejection when cancelled. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Masks a value that only became known at run time (a token from an exchange). */
  readonly setSecret: (value: string) => void;
  /** The host's OIDC token source, when it has one (GitHub id-token, Azure Pipelines service connection). */
  readonly federatedToken?: FederatedTokenSource;
}
