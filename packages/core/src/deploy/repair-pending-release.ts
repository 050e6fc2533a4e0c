import { isPendingHelmStatus, type HelmHistoryEntry } from '../tools/helm-parsers.ts';
import { formatRun } from './run-identity.ts';
import { isUnfinished } from './deploy-journal.ts';
import type { ReleaseSession } from './release-session.ts';
import { readHistory, rollBackRelease } from './roll-back-release.ts';
import { currentRevision } from '../tools/helm-parsers.ts';

/** What the repair did, for the log, the summary and the `repaired` output. */
export interface RepairReport {
  /** `revision 3 was pending-upgrade (left by https://…/runs/1 on runner-7): rolled back to revision 2`. */
  description: string;
}

/**
 * Before an upgrade: a release whose newest revision is `pending-*` holds Helm's lock and would fail
 * every upgrade ("another operation (install/upgrade/rollback) is in progress", helm/helm#7476). Holding
 * the release's Lease proves no live Slipway run is working on it, so the pending revision is a dead
 * run's: it is rolled back to the last good revision, or the release uninstalled if it never had one.
 * A run that died mid-watch after Helm finished leaves no pending revision but an unfinished journal:
 * its revision is rolled back too, since nobody saw it healthy.
 */
export async function repairPendingRelease(
  session: ReleaseSession,
  options: { deadline: number; watchTimeoutMs: number; maxRestarts: number },
): Promise<{ report: RepairReport | undefined; history: HelmHistoryEntry[] | undefined }> {
  const { deps, target } = session;
  const history = await readHistory(session);
  const current = currentRevision(history);
  // The history as read, for the upgrade that follows; undefined once a repair has changed it.
  if (!current) return { report: undefined, history };
  const previous = session.previous;
  // Named only when Slipway's journal shows that run stopped halfway; a plain `helm` killed mid-upgrade leaves no journal entry.
  const leftBy =
    previous && isUnfinished(previous) && previous.run.id !== session.run.id
      ? ` (left by ${formatRun(previous.run)}, ${previous.phase} since ${previous.updatedAt})`
      : '';
  const unverified = previous && isUnfinished(previous) && previous.deployedRevision === current.revision && current.status === 'deployed';
  if (!isPendingHelmStatus(current.status) && !unverified) return { report: undefined, history };

  const what = isPendingHelmStatus(current.status)
    ? `revision ${current.revision} was ${current.status}`
    : `revision ${current.revision} was never verified healthy`;
  deps.log.warning(`release ${target.release}: ${what}${leftBy}; repairing it before the upgrade`);
  await session.journal.record('repairing', `${what}${leftBy}`);
  await session.journal.markBad(current.revision);
  const outcome = await rollBackRelease(session, {
    exclude: [current.revision],
    uninstallIfNone: true,
    deadline: options.deadline,
    watchTimeoutMs: options.watchTimeoutMs,
    maxRestarts: options.maxRestarts,
  });
  const done =
    outcome.kind === 'rolled-back'
      ? `rolled back to revision ${outcome.to}`
      : outcome.kind === 'uninstalled'
        ? 'uninstalled (it never had a good revision)'
        : outcome.reason;
  const description = `${what}${leftBy}: ${done}`;
  deps.log.info(`repaired: ${description}`);
  return { report: { description }, history: undefined };
}
