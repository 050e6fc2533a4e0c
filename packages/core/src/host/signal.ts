/**
 * An AbortSignal that fires on SIGINT or SIGTERM (a cancelled GitHub job, a cancelled Azure Pipelines
 * run, Ctrl-C), so the step can stop its tools and report. The listeners stay installed: execa's
 * exit cleanup (signal-exit) re-raises a signal when it is the only listener left, which would kill the
 * process before the cancellation is reported. A second signal exits at once, for a stuck run.
 */
export function cancellationSignal(onCancel?: (signal: NodeJS.Signals) => void): AbortSignal {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    onCancel?.(signal);
    controller.abort(new Error(`received ${signal}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return controller.signal;
}
