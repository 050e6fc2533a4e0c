/**
 * An AbortSignal that fires on SIGINT or SIGTERM (a cancelled GitHub job, a cancelled Azure Pipelines
 * run, Ctrl-C). A second signal is left to Node's default handling so a stuck run can still be killed.
 */
export function cancellationSignal(onCancel?: (signal: NodeJS.Signals) => void): AbortSignal {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals) => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    onCancel?.(signal);
    controller.abort(new Error(`received ${signal}`));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return controller.signal;
}
