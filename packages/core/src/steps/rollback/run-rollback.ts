import { openReleaseSession } from '../../deploy/release-session.ts';
import { readHistory, RollbackFailedError, rollBackRelease, type RollBackOutcome } from '../../deploy/roll-back-release.ts';
import { currentRevision } from '../../tools/helm-parsers.ts';
import { formatRun } from '../../deploy/run-identity.ts';
import type { StepReport } from '../framework/step-definition.ts';
import type { StepDeps } from '../framework/step-deps.ts';
import { saveReleaseState } from '../../deploy/release-state.ts';
import type { RollbackInputs } from './rollback-inputs.ts';

/**
 * rollback's work: lock the release, then the one rollback path deploy uses (last good revision, or the
 * one given; its own health watch; the next good one if it is unhealthy too), recorded in the journal.
 */
export async function runRollbackStep(inputs: RollbackInputs, deps: StepDeps): Promise<StepReport> {
  const { target } = inputs;
  const session = await openReleaseSession(target, deps, { operation: 'rollback', purpose: `rollback by ${formatRun(deps.run)}` });
  let outcome: RollBackOutcome;
  try {
    saveReleaseState(deps, { target, runId: deps.run.id, timeoutMs: inputs.timeoutMs, maxRestarts: inputs.maxRestarts });
    // Rolling back a canary is removing it: traffic back to stable, stable untouched (unless a revision is asked for).
    const canaryRemoved = session.previous?.canary ? await (await import('../../canary/remove-left-canary.ts')).removeLeftCanary(session) : undefined;
    if (canaryRemoved && inputs.revision === undefined) {
      await session.journal.record('rolled-back', canaryRemoved);
      const revision = currentRevision(await readHistory(session))?.revision;
      return {
        outcome: 'succeeded',
        outputs: { result: 'rolled-back', revision: revision === undefined ? '' : String(revision), 'rolled-back-to': '', reason: '' },
        summary: `### Slipway rollback: ${target.release} in ${target.namespace} — rolled-back\n\n${canaryRemoved}; the stable release (revision ${revision ?? '?'}) was not changed\n`,
        result: { release: target.release, namespace: target.namespace, result: 'rolled-back', canaryRemoved },
      };
    }
    await session.journal.record(
      'rolling-back',
      inputs.revision === undefined ? 'rolling back to the last good revision' : `rolling back to revision ${inputs.revision}`,
    );
    try {
      outcome = await rollBackRelease(session, {
        exclude: [],
        uninstallIfNone: false,
        revision: inputs.revision,
        deadline: Date.now() + inputs.timeoutMs,
        watchTimeoutMs: inputs.timeoutMs,
        maxRestarts: inputs.maxRestarts,
      });
    } catch (error) {
      if (!(error instanceof RollbackFailedError)) throw error;
      await session.journal.record('needs-human', error.message, { reason: error.message });
      return {
        outcome: 'needs-human',
        reason: `rollback of ${target.release}: ${error.message}`,
        outputs: { result: 'needs-human', revision: '', 'rolled-back-to': '', reason: error.message },
        summary: `### Slipway rollback: ${target.release} in ${target.namespace} — needs a human\n\n${error.message}\n\n${error.hint ?? ''}\n`,
        result: { release: target.release, namespace: target.namespace, result: 'needs-human', reason: error.message },
      };
    }
    const message =
      outcome.kind === 'rolled-back'
        ? `rolled back to revision ${outcome.to} (now revision ${outcome.revision}${outcome.verified ? ', healthy' : ''})`
        : outcome.kind === 'uninstalled'
          ? 'uninstalled'
          : outcome.reason;
    await session.journal.record('rolled-back', message, { rolledBackTo: outcome.kind === 'rolled-back' ? outcome.to : undefined });
    deps.log.info(`rollback: ${message}`);
    const result = outcome.kind === 'nothing-to-do' ? 'nothing-to-do' : 'rolled-back';
    return {
      outcome: 'succeeded',
      outputs: {
        result,
        revision: outcome.kind === 'rolled-back' ? String(outcome.revision) : '',
        'rolled-back-to': outcome.kind === 'rolled-back' ? String(outcome.to) : '',
        reason: outcome.kind === 'nothing-to-do' ? outcome.reason : '',
      },
      summary: `### Slipway rollback: ${target.release} in ${target.namespace} — ${result}\n\n${message}\n`,
      result: { release: target.release, namespace: target.namespace, result, outcome },
    };
  } finally {
    await session.close();
  }
}
