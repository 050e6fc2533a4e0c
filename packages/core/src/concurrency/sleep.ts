import { CancelledError } from '../errors/index.ts';

/**
 * The longest delay Node's timers accept: 2^31-1 ms, about 24.8 days. A longer delay (a `timeout: 597h`
 * input) is not an error to Node: it prints a TimeoutOverflowWarning and fires after 1 ms, which would
 * turn the longest limits into the shortest.
 */
export const maxTimerDelayMs = 2_147_483_647;

/**
 * A time limit in a form every timer can take: `undefined` for no limit (0, negative, NaN or absent,
 * as RunOptions.timeoutMs documents), otherwise at most {@link maxTimerDelayMs}. Clamping keeps a
 * bound (24.8 days is past any CI job's own limit) where treating it as "no limit" would not.
 */
export function timerDelay(ms: number | undefined): number | undefined {
  if (ms === undefined || Number.isNaN(ms) || ms <= 0) return undefined;
  return Math.min(ms, maxTimerDelayMs);
}

/**
 * Waits `ms` (any length: delays past the timer limit are waited in chunks), or rejects with
 * CancelledError as soon as `signal` aborts.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const deadline = Date.now() + Math.max(0, Number.isFinite(ms) ? ms : ms > 0 ? Number.MAX_SAFE_INTEGER : 0);
    let timer: ReturnType<typeof setTimeout>;
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    const arm = () => {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        signal?.removeEventListener('abort', onAbort);
        resolve();
        return;
      }
      timer = setTimeout(arm, Math.min(remaining, maxTimerDelayMs));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    arm();
  });
}
