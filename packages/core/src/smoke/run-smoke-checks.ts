import { timeLimit } from '../concurrency/time-limit.ts';
import { mapWithLimit } from '../concurrency/map-with-limit.ts';
import { sleep as sleepWithSignal } from '../concurrency/sleep.ts';
import { CancelledError, InternalError } from '../errors/index.ts';
import { Redactor } from '../exec/redactor.ts';
import { evaluateSmokeResponse, quote } from './evaluate-smoke-response.ts';
import { sendSmokeRequest, type ServiceProxy } from './send-smoke-request.ts';
import { describeSmokeTarget, type SmokeCheck, type SmokeCheckResult } from './smoke-check.ts';

/** Where the engine writes: one line per attempt and one per result. */
export interface SmokeLog {
  info(message: string): void;
}

export interface RunSmokeChecksOptions {
  /** The time every check together may take, retries and delays included. */
  deadlineMs: number;
  log: SmokeLog;
  /**
   * The host's mask: called with every secret header value before anything is logged. The engine
   * also replaces those values itself in everything it writes (a server may echo a header in its body),
   * with the host's rule: values shorter than minSecretLength are not secrets.
   */
  setSecret: (value: string) => void;
  /** Cancellation: the run stops with a CancelledError. */
  signal: AbortSignal;
  /** Needed when a check targets a Service. */
  serviceProxy?: ServiceProxy;
  /** The namespace of a service target that names none (the release's). */
  defaultNamespace?: string;
  /** How many checks run at once (default 4). */
  concurrency?: number;
  /** Waits between attempts; default a timer that cancellation interrupts. */
  sleep?: (ms: number) => Promise<void>;
}

/** The outcome of a run of checks: every one's result, in the order given. */
export interface SmokeRunResult {
  passed: boolean;
  checks: SmokeCheckResult[];
  /** The overall deadline ran out before every check had its verdict. */
  deadlineReached: boolean;
  durationMs: number;
}

/**
 * Runs the checks, each until it passes or has used its retries, all within one overall deadline. A
 * failed check is a result, not an error: only cancellation (CancelledError) and a caller's mistake
 * (a service target without a serviceProxy) throw.
 */
export async function runSmokeChecks(checks: readonly SmokeCheck[], options: RunSmokeChecksOptions): Promise<SmokeRunResult> {
  if (checks.some((check) => check.target.kind === 'service') && !options.serviceProxy) {
    throw new InternalError('a smoke check targets a Service but no Kubernetes API connection was given');
  }
  const secrets = checks.flatMap((check) => secretValues(check));
  for (const secret of secrets) options.setSecret(secret);
  const redactor = new Redactor();
  for (const secret of secrets) redactor.add(secret);
  const redact = (text: string) => redactor.redact(text);
  const started = performance.now();
  const deadline = started + options.deadlineMs;
  const deadlineLimit = timeLimit(Math.max(1, options.deadlineMs));
  const deadlineSignal = deadlineLimit.signal;
  const sleep = options.sleep ?? ((ms: number) => sleepWithSignal(ms, options.signal));
  const context: CheckContext = { options, redact, deadline, deadlineSignal, sleep };
  const outcomes = await mapWithLimit(checks, options.concurrency ?? 4, (check) => runOneCheck(check, context)).finally(() => deadlineLimit.clear());
  return {
    passed: outcomes.every((outcome) => outcome.result.passed),
    checks: outcomes.map((outcome) => outcome.result),
    deadlineReached: outcomes.some((outcome) => outcome.deadlineReached),
    durationMs: Math.round(performance.now() - started),
  };
}

interface CheckContext {
  options: RunSmokeChecksOptions;
  redact: (text: string) => string;
  deadline: number;
  deadlineSignal: AbortSignal;
  sleep: (ms: number) => Promise<void>;
}

async function runOneCheck(check: SmokeCheck, context: CheckContext): Promise<{ result: SmokeCheckResult; deadlineReached: boolean }> {
  const { options, redact } = context;
  const target = describeSmokeTarget(check, options.defaultNamespace);
  const maxAttempts = check.retries + 1;
  const result: SmokeCheckResult = { name: check.name, target, passed: false, attempts: 0, status: undefined, latencyMs: undefined, failures: [] };
  const say = (message: string) => options.log.info(redact(`smoke: [${check.name}] ${message}`));
  const deadlineText = formatMs(options.deadlineMs);
  let deadlineReached = false;
  const stopAtDeadline = () => {
    deadlineReached = true;
    const when = result.attempts === 0 ? 'before the first attempt' : `after ${plural(result.attempts, 'attempt')}`;
    result.failures = [`deadline of ${deadlineText} reached ${when}`, ...result.failures];
  };

  while (result.attempts < maxAttempts) {
    const remaining = context.deadline - performance.now();
    if (remaining <= 0) {
      result.failures = [
        `deadline of ${deadlineText} reached ${result.attempts === 0 ? 'before the first attempt' : `after ${plural(result.attempts, 'attempt')}`}`,
        ...result.failures,
      ];
      break;
    }
    result.attempts++;
    const timeoutMs = Math.min(check.timeoutMs, remaining);
    const attemptLimit = timeLimit(Math.max(1, Math.ceil(timeoutMs)), options.signal, context.deadlineSignal);
    const attemptSignal = attemptLimit.signal;
    const label = `attempt ${result.attempts}/${maxAttempts}: ${target}`;
    try {
      const response = await sendSmokeRequest(check, {
        signal: attemptSignal,
        timeoutMs: Math.max(1, Math.ceil(timeoutMs)),
        serviceProxy: options.serviceProxy,
        defaultNamespace: options.defaultNamespace ?? 'default',
      });
      result.status = response.status;
      result.latencyMs = Math.round(response.latencyMs);
      result.failures = evaluateSmokeResponse(check, response).map(redact);
      say(`${label}: ${response.status} in ${result.latencyMs} ms${result.failures.length ? ` — ${result.failures.join('; ')}` : ''}`);
    } catch (error) {
      if (options.signal.aborted) throw new CancelledError('the smoke checks were cancelled', { cause: error });
      result.status = undefined;
      result.latencyMs = undefined;
      const byDeadline = context.deadlineSignal.aborted && check.timeoutMs > timeoutMs;
      deadlineReached ||= byDeadline;
      result.failures = [
        redact(describeRequestError(error, byDeadline ? `no response before the deadline of ${deadlineText}` : `no response within ${formatMs(timeoutMs)}`)),
      ];
      say(`${label}: ${result.failures[0]}`);
    } finally {
      attemptLimit.clear();
    }
    if (result.failures.length === 0) {
      result.passed = true;
      break;
    }
    if (result.attempts >= maxAttempts || deadlineReached) break;
    if (performance.now() + check.retryDelayMs >= context.deadline) {
      stopAtDeadline();
      break;
    }
    await context.sleep(check.retryDelayMs);
  }

  if (result.passed) say(`passed: ${result.status} in ${result.latencyMs} ms (${plural(result.attempts, 'attempt')})`);
  else say(`failed after ${plural(result.attempts, 'attempt')}: ${result.failures.join('; ')}`);
  return { result, deadlineReached };
}

/** The values to mask: each secret header's, and the credential after its scheme (`Bearer <token>`). */
function secretValues(check: SmokeCheck): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(check.headers)) {
    if (!check.secretHeaders.includes(name.toLowerCase()) || !value) continue;
    values.push(value);
    const credential = /^[A-Za-z][\w-]*\s+(\S.*)$/.exec(value)?.[1];
    if (credential) values.push(credential);
  }
  return values;
}

/** What went wrong with a request that got no response, on one line. */
function describeRequestError(error: unknown, timeoutText: string): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return timeoutText;
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const code = (cause as (Error & { code?: unknown }) | undefined)?.code;
  if (cause && (cause.name === 'TimeoutError' || cause.name === 'AbortError')) return timeoutText;
  const message = cause
    ? `${cause.message}${typeof code === 'string' && !cause.message.includes(code) ? ` (${code})` : ''}`
    : error instanceof Error
      ? error.message
      : String(error);
  return `no response: ${quote(message)}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** `500 ms`, `10 s`, `2m`: how limits read in messages. */
export function formatMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1_000 && ms % 1_000 === 0) return `${ms / 1_000} s`;
  return `${Math.round(ms)} ms`;
}
