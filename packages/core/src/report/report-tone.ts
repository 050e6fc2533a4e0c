import type { RunResult, StageRecord } from './run-report.ts';

/** The colour family a status is drawn in (a CSS class `tone-<tone>`). */
export type ReportTone = 'ok' | 'bad' | 'warn' | 'off' | 'plan';

const tones: Readonly<Record<RunResult | StageRecord['status'], ReportTone>> = {
  succeeded: 'ok',
  'gate-failed': 'bad',
  failed: 'bad',
  'needs-human': 'warn',
  cancelled: 'off',
  skipped: 'off',
  planned: 'plan',
};

/** The tone of a run's result or a stage's status. */
export function toneOf(status: RunResult | StageRecord['status']): ReportTone {
  return tones[status];
}

/**
 * The tone of a deploy result (the deploy step's `result` output, free text to the report): promoted
 * and deployed are good news, a rollback is bad news, the rest wait on someone.
 */
export function deployTone(result: string): ReportTone {
  if (result === 'deployed' || result === 'promoted') return 'ok';
  if (result === 'rolled-back' || result === 'failed') return 'bad';
  if (result === 'paused' || result === 'needs-human') return 'warn';
  return 'off';
}
