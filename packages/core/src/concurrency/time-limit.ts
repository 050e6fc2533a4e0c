/** A signal that aborts after a time or with its parents; `clear()` releases its timer and listeners. */
export interface TimeLimit {
  readonly signal: AbortSignal;
  clear(): void;
}

/**
 * `AbortSignal.any([parent, AbortSignal.timeout(ms)])`, made so that it always fires. In Node 20 a
 * composite signal holds its sources weakly, and a timeout signal nobody else references is garbage
 * collected before its time, so the composite never aborts (measured: `node --expose-gc`, a held
 * composite of a 200 ms timeout was still not aborted after 600 ms): a request limit that silently never
 * fires. Here the timer itself holds the controller. The timer is unref'd: it never keeps a process alive.
 * Aborts with a `TimeoutError` DOMException, as AbortSignal.timeout does.
 */
export function timeLimit(ms: number, ...parents: ReadonlyArray<AbortSignal | undefined>): TimeLimit {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`The operation was aborted due to timeout (${ms} ms)`, 'TimeoutError')), ms);
  timer.unref?.();
  const listeners: Array<[AbortSignal, () => void]> = [];
  for (const parent of parents) {
    if (!parent) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const onAbort = () => controller.abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    listeners.push([parent, onAbort]);
  }
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      for (const [parent, onAbort] of listeners) parent.removeEventListener('abort', onAbort);
    },
  };
}
