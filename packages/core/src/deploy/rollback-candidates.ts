import type { HelmHistoryEntry } from '../tools/helm-parsers.ts';

/**
 * The revisions a rollback may go to, best first: `deployed` or `superseded` ones, newest first, never
 * the current revision (what is being undone) nor one in `exclude` (revisions Slipway saw fail its
 * health watch, which Helm may still call deployed or superseded). Never simply current-1
 * (helm/helm#1796): a failed revision in between is skipped.
 */
export function rollbackCandidates(history: readonly HelmHistoryEntry[], exclude: readonly number[] = []): number[] {
  if (history.length === 0) return [];
  const current = Math.max(...history.map((entry) => entry.revision));
  return history
    .filter((entry) => entry.revision !== current && (entry.status === 'deployed' || entry.status === 'superseded') && !exclude.includes(entry.revision))
    .map((entry) => entry.revision)
    .sort((a, b) => b - a);
}

/** The newest revision in a history, undefined for none. */
export function currentRevision(history: readonly HelmHistoryEntry[]): HelmHistoryEntry | undefined {
  return history.reduce<HelmHistoryEntry | undefined>(
    (newest, entry) => (newest === undefined || entry.revision > newest.revision ? entry : newest),
    undefined,
  );
}
