import { ExecError, SlipwayError } from '../errors/index.ts';
import { ExitCode } from '../errors/exit-codes.ts';
import type { HelmHistoryEntry } from '../tools/helm-parsers.ts';
import { workloadsInManifest } from './health/rendered-workloads.ts';
import { startRolloutWatch, type RolloutVerdict } from './health/rollout-watch.ts';
import type { ReleaseSession } from './release-session.ts';
import { currentRevision, rollbackCandidates } from '../tools/helm-parsers.ts';

/** How many good-looking revisions a rollback tries before it gives up (each gets its own health watch). */
const maxRollbackAttempts = 3;

/** No revision to go back to, or none of them came up healthy. */
export class RollbackFailedError extends SlipwayError {
  constructor(message: string, hint: string) {
    super('ROLLBACK_FAILED', message, ExitCode.needsHuman, { hint });
  }
}

export interface RollBackOptions {
  /** Revisions never to go to (besides the current one and the journal's bad ones). */
  exclude: readonly number[];
  /** Uninstall when no revision was ever good (a first install that failed). */
  uninstallIfNone: boolean;
  /** A given revision instead of the newest good one (the rollback step's `revision`). */
  revision?: number | undefined;
  /** The whole rollback, health watches included, ends by then; a watch cut short leaves the revision unverified. */
  deadline: number;
  /** How long each rolled-back revision's health watch may take at most. */
  watchTimeoutMs: number;
  maxRestarts: number;
}

export type RollBackOutcome =
  | { kind: 'rolled-back'; to: number; verified: boolean; revision: number }
  | { kind: 'uninstalled' }
  | { kind: 'nothing-to-do'; reason: string };

/** `helm history`, or an empty history when the release does not exist. */
export async function readHistory(session: ReleaseSession): Promise<HelmHistoryEntry[]> {
  try {
    return await session.steadyHelm.history(session.target.release, session.helmTarget);
  } catch (error) {
    if (error instanceof ExecError && /release: not found/i.test(`${error.message}\n${error.stderrTail ?? ''}`)) return [];
    throw error;
  }
}

/**
 * The one rollback path: to the newest good revision (deployed or superseded, never one Slipway saw
 * fail), through Helm with no wait, then Slipway's own health watch of what it restored. A revision
 * that comes up unhealthy too is marked bad and the next older good one is tried. A release that never
 * had a good revision is uninstalled when `uninstallIfNone`. Runs on the steady Helm: a cancel does not stop it.
 */
export async function rollBackRelease(session: ReleaseSession, options: RollBackOptions): Promise<RollBackOutcome> {
  const { deps, target } = session;
  const history = await readHistory(session);
  const current = currentRevision(history);
  if (!current) return { kind: 'nothing-to-do', reason: `release ${target.release} does not exist in namespace ${target.namespace}` };
  const exclude = [...options.exclude, ...session.journal.journal.badRevisions];
  let candidates = options.revision !== undefined ? [options.revision] : rollbackCandidates(history, exclude);
  if (options.revision !== undefined && !history.some((entry) => entry.revision === options.revision)) {
    throw new RollbackFailedError(
      `release ${target.release} has no revision ${options.revision} (history: ${history.map((entry) => entry.revision).join(', ')})`,
      'pick a revision from `helm history`, or leave revision empty for the last good one',
    );
  }
  if (candidates.length === 0) {
    if (options.uninstallIfNone || !history.some((entry) => entry.status === 'deployed' || entry.status === 'superseded')) {
      deps.log.info(`release ${target.release} never had a good revision: uninstalling it`);
      await session.steadyHelm.uninstall({ ...session.helmTarget, release: target.release, ignoreNotFound: true, timeoutMs: remaining(options.deadline) });
      return { kind: 'uninstalled' };
    }
    throw new RollbackFailedError(
      `release ${target.release} has no good revision to roll back to (history: ${describeHistory(history)}${exclude.length ? `; failed health: ${exclude.join(', ')}` : ''})`,
      'raise history-max so good revisions are kept, deploy a fixed version, or roll back by hand to a revision you trust',
    );
  }
  candidates = candidates.slice(0, maxRollbackAttempts);
  const failures: string[] = [];
  for (const revision of candidates) {
    const outcome = await rollBackTo(session, revision, options);
    if (outcome.verdict.status === 'healthy' || outcome.verdict.status === 'cancelled') {
      return { kind: 'rolled-back', to: revision, verified: outcome.verdict.status === 'healthy', revision: outcome.newRevision };
    }
    const why = outcome.verdict.status === 'failed' ? describeFailure(outcome.verdict) : `not rolled out in time (${outcome.verdict.pending.join('; ')})`;
    failures.push(`revision ${revision}: ${why}`);
    deps.log.warning(`rolled back to revision ${revision}, but it is not healthy either: ${why}`);
    await session.journal.markBad(revision);
    await session.journal.markBad(outcome.newRevision);
    if (remaining(options.deadline) <= 1000) break;
  }
  throw new RollbackFailedError(
    `rolled back, but no good revision came up healthy: ${failures.join('; ')}`,
    `look at the release by hand (helm history ${target.release} -n ${target.namespace}); the journal ConfigMap slipway-journal-${target.release} has the timeline`,
  );
}

async function rollBackTo(session: ReleaseSession, revision: number, options: RollBackOptions): Promise<{ verdict: RolloutVerdict; newRevision: number }> {
  const { deps, target } = session;
  const manifest = await session.steadyHelm.getManifest(target.release, session.helmTarget, revision);
  const workloads = workloadsInManifest(manifest, target.namespace);
  const watchTimeoutMs = Math.max(1000, Math.min(options.watchTimeoutMs, remaining(options.deadline)));
  // Its own signal: the run's may already be aborted (a cancel is what brought us here).
  const stop = new AbortController();
  const watch = await startRolloutWatch(session.api, {
    namespace: target.namespace,
    workloads,
    timeoutMs: watchTimeoutMs,
    signal: stop.signal,
    onTransition: (line) => deps.log.info(`rollback: ${line}`),
    restartBurst: { restarts: options.maxRestarts + 1, windowMs: 60_000 },
  });
  try {
    deps.log.info(`rolling back ${target.release} to revision ${revision}`);
    await session.steadyHelm.rollback({ ...session.helmTarget, release: target.release, revision, timeoutMs: remaining(options.deadline) });
    watch.armed();
    const newRevision = currentRevision(await readHistory(session))?.revision ?? revision;
    const deadlineTimer = setTimeout(() => stop.abort(), Math.max(0, remaining(options.deadline)));
    deadlineTimer.unref();
    try {
      return { verdict: await watch.verdict, newRevision };
    } finally {
      clearTimeout(deadlineTimer);
    }
  } finally {
    watch.stop();
  }
}

function remaining(deadline: number): number {
  return Math.max(1000, deadline - Date.now());
}

function describeHistory(history: readonly HelmHistoryEntry[]): string {
  return history.map((entry) => `${entry.revision} ${entry.status}`).join(', ');
}

/** `Deployment/web pod web-1 container app: CrashLoopBackOff (back-off…); last log: …`. */
export function describeFailure(verdict: Extract<RolloutVerdict, { status: 'failed' }>): string {
  const { failure } = verdict;
  const where = [failure.workload, failure.pod ? `pod ${failure.pod}` : undefined, failure.container ? `container ${failure.container}` : undefined]
    .filter(Boolean)
    .join(' ');
  return `${where}: ${failure.reason}${failure.message ? ` (${failure.message})` : ''}${failure.lastLogLine ? `; last log line: ${failure.lastLogLine}` : ''}`;
}
