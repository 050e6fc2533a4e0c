import type { CanaryJournal } from '../canary/canary-journal.ts';
import type { RunIdentity } from './run-identity.ts';

/**
 * Where a deploy, canary or rollback is. `progressing` and `promoting` are a canary's; `paused` is a
 * canary left running on purpose for a later run to promote or abort; the last five end a run.
 */
export type JournalPhase =
  | 'preparing'
  | 'repairing'
  | 'upgrading'
  | 'verifying'
  | 'progressing'
  | 'promoting'
  | 'rolling-back'
  | 'paused'
  | 'deployed'
  | 'promoted'
  | 'rolled-back'
  | 'not-deployed'
  | 'needs-human';

export const finalJournalPhases: readonly JournalPhase[] = ['deployed', 'promoted', 'rolled-back', 'not-deployed', 'needs-human'];

/**
 * True when the run that wrote the journal left the release between two known-good states. A paused
 * canary is not: it was left running on purpose, for `action: promote` or `abort`.
 */
export function isUnfinished(journal: DeployJournal): boolean {
  return journal.phase !== 'paused' && !finalJournalPhases.includes(journal.phase);
}

export interface JournalEvent {
  at: string;
  phase: JournalPhase;
  message: string;
}

/**
 * What one run did to one release, kept in the cluster (a ConfigMap beside the release) so that the
 * post phase, the next run or a human can see it and finish it. Written at every transition.
 */
export interface DeployJournal {
  version: 1;
  release: string;
  namespace: string;
  /** `deploy` or `rollback`. */
  operation: 'deploy' | 'rollback';
  phase: JournalPhase;
  run: RunIdentity;
  startedAt: string;
  updatedAt: string;
  /** The revision that was current before this run changed anything (undefined: no release yet). */
  fromRevision?: number | undefined;
  /** The revision the upgrade made. */
  deployedRevision?: number | undefined;
  /** The good revision the release was rolled back to. */
  rolledBackTo?: number | undefined;
  reason?: string | undefined;
  /**
   * Revisions Slipway saw fail its health watch, over every run (carried from journal to journal): a
   * revision Helm still calls `deployed` or `superseded` is never a rollback target once it is here.
   */
  badRevisions: number[];
  /** The canary of a `strategy: canary` deploy: its state, objects and router snapshot, so that any later process can finish or undo it. */
  canary?: CanaryJournal | undefined;
  timeline: JournalEvent[];
}

/** The newest events a journal keeps: a ConfigMap holds 1 MiB, and a human reads the last few. */
const maxTimeline = 100;

/** A journal with one more event: phase and fields changed, the event appended. */
export function advanceJournal(journal: DeployJournal, at: Date, phase: JournalPhase, message: string, fields: Partial<DeployJournal> = {}): DeployJournal {
  const timeline = [...journal.timeline, { at: at.toISOString(), phase, message }].slice(-maxTimeline);
  return { ...journal, ...fields, phase, updatedAt: at.toISOString(), timeline };
}

/** Reads a journal written by any version of Slipway that uses this shape; anything else is not one. */
export function parseDeployJournal(data: unknown): DeployJournal | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const journal = data as Partial<DeployJournal>;
  if (journal.version !== 1 || typeof journal.release !== 'string' || typeof journal.phase !== 'string' || typeof journal.run !== 'object') return undefined;
  return {
    ...(journal as DeployJournal),
    badRevisions: Array.isArray(journal.badRevisions) ? journal.badRevisions.filter((n): n is number => Number.isInteger(n)) : [],
    timeline: Array.isArray(journal.timeline) ? journal.timeline : [],
  };
}
