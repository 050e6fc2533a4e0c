/**
 * SIGINT and SIGTERM (a cancelled GitHub job, a cancelled Azure Pipelines run, Ctrl-C) as AbortSignals,
 * one per phase of a run: each signal received aborts the newest phase that is still running, so a
 * cancelled main phase can still be cleaned up by a post phase in the same process (the CLI). A signal
 * that finds no running phase exits at once, for a stuck run.
 *
 * The listeners stay installed: execa's exit cleanup (signal-exit) re-raises a signal when it is the
 * only listener left, which would kill the process before the cancellation is reported.
 */
export class ProcessCancellation {
  readonly #controllers: AbortController[] = [];
  readonly #onCancel: ((signal: NodeJS.Signals) => void) | undefined;

  constructor(onCancel?: (signal: NodeJS.Signals) => void) {
    this.#onCancel = onCancel;
    const handler = (signal: NodeJS.Signals) => this.#cancel(signal);
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }

  /** A signal for the next phase, aborted by the next SIGINT or SIGTERM while it is the newest phase. */
  nextPhase(): AbortSignal {
    const controller = new AbortController();
    this.#controllers.push(controller);
    return controller.signal;
  }

  #cancel(signal: NodeJS.Signals): void {
    const running = this.#controllers.at(-1);
    if (!running || running.signal.aborted) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    this.#onCancel?.(signal);
    running.abort(new Error(`received ${signal}`));
  }
}

/**
 * An AbortSignal that fires on SIGINT or SIGTERM, for a process that runs one phase (the GitHub
 * runner and the Azure Pipelines agent start a new process for a post phase). A second signal exits
 * at once, for a stuck run.
 */
export function cancellationSignal(onCancel?: (signal: NodeJS.Signals) => void): AbortSignal {
  return new ProcessCancellation(onCancel).nextPhase();
}
