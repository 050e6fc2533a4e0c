import { KubeApi } from '../k8s/kube-api.ts';
import { ReleaseJournalStore } from '../k8s/release-journal-store.ts';
import { readReleaseState } from './release-state.ts';
import type { StepDeps } from '../steps/framework/step-deps.ts';
import { isUnfinished, parseDeployJournal } from './deploy-journal.ts';
import { openReleaseSession } from './release-session.ts';
import { RollbackFailedError, rollBackRelease } from './roll-back-release.ts';
import type { DeployJournal } from './deploy-journal.ts';
import type { ReleaseSession } from './release-session.ts';

/**
 * The post phase of deploy and rollback (GitHub `post:`, the Azure Pipelines post-job, the CLI's exit):
 * when the main phase stopped before its journal reached an end (its process was killed mid-upgrade or
 * mid-watch), the rollback it could not do is done here, as that run (its Lease is taken back at once).
 * A main phase that ended on its own leaves a finished journal, and this does nothing.
 */
export async function finishReleaseInPostPhase(deps: StepDeps): Promise<void> {
  const saved = readReleaseState(deps);
  if (!saved) {
    deps.log.debug('post: the main phase never locked a release; nothing to finish');
    return;
  }
  const { target } = saved;
  const api = await KubeApi.open({ kubeconfigFile: target.kubeconfig, context: target.kubeContext, timeoutMs: 30_000, signal: new AbortController().signal });
  const stored = await new ReleaseJournalStore(api, target.namespace, target.release).read();
  const journal = stored ? parseDeployJournal(stored.data) : undefined;
  if (!journal || journal.run.id !== saved.runId || !isUnfinished(journal)) {
    deps.log.debug(`post: release ${target.release} needs nothing (${journal ? `journal ${journal.phase}` : 'no journal'})`);
    return;
  }
  deps.log.warning(`post: the main phase stopped while ${journal.phase} release ${target.release}; finishing its rollback`);
  const asMain: StepDeps = { ...deps, run: journal.run };
  const session = await openReleaseSession(target, asMain, {
    operation: journal.operation,
    purpose: 'the post phase',
    lockWaitMs: 45_000,
    continueJournal: true,
  });
  try {
    if (journal.canary) {
      await finishCanaryInPostPhase(session, journal, saved);
      return;
    }
    await session.journal.record('rolling-back', 'post phase: the main phase stopped before the end; rolling back');
    try {
      const outcome = await rollBackRelease(session, {
        exclude: journal.deployedRevision === undefined ? [] : [journal.deployedRevision],
        uninstallIfNone: journal.fromRevision === undefined,
        deadline: Date.now() + saved.timeoutMs,
        watchTimeoutMs: saved.timeoutMs,
        maxRestarts: saved.maxRestarts,
      });
      const message =
        outcome.kind === 'rolled-back'
          ? `post phase rolled back to revision ${outcome.to}`
          : outcome.kind === 'uninstalled'
            ? 'post phase uninstalled the release (it never had a good revision)'
            : `post phase: ${outcome.reason}`;
      await session.journal.record('rolled-back', message, { rolledBackTo: outcome.kind === 'rolled-back' ? outcome.to : undefined });
      deps.log.warning(`post: ${message}`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await session.journal.record('needs-human', `post phase could not roll back: ${reason}`, { reason });
      if (error instanceof RollbackFailedError) throw error;
      throw new RollbackFailedError(
        `post phase could not roll back release ${target.release}: ${reason}`,
        'look at the release by hand (helm history); the journal has the timeline',
      );
    }
  } finally {
    await session.close();
  }
}

/**
 * A canary the main phase left mid-way: its stable upgrade (the promotion) is rolled back if it was
 * under way, then the traffic goes back to stable and the canary's objects are removed, from what the
 * journal recorded. A canary that was only being removed after a good promotion ends promoted.
 */
async function finishCanaryInPostPhase(session: ReleaseSession, journal: DeployJournal, saved: { timeoutMs: number; maxRestarts: number }): Promise<void> {
  const canary = journal.canary as NonNullable<DeployJournal['canary']>;
  const { deps, target } = session;
  const promoted = canary.state.phase === 'finalising';
  try {
    if (journal.phase === 'upgrading' || journal.phase === 'verifying') {
      deps.log.warning('post: the promotion of the canary was under way; rolling the stable release back');
      await rollBackRelease(session, {
        exclude: journal.deployedRevision === undefined ? [] : [journal.deployedRevision],
        uninstallIfNone: false,
        deadline: Date.now() + saved.timeoutMs,
        watchTimeoutMs: saved.timeoutMs,
        maxRestarts: saved.maxRestarts,
      });
    }
    const { createTrafficRouter } = await import('../canary/traffic/create-traffic-router.ts');
    const { removeCanary } = await import('../canary/derive/canary-objects.ts');
    await createTrafficRouter(session.api, { restoreFrom: canary.router as never }).restore();
    await removeCanary(session.api, { namespace: target.namespace, release: target.release, refs: canary.objects });
    const message = promoted ? 'post phase removed the promoted canary' : 'post phase rolled the canary back: traffic on stable, canary removed';
    await session.journal.record(promoted ? 'promoted' : 'rolled-back', message);
    deps.log.warning(`post: ${message}`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await session.journal.record('needs-human', `post phase could not undo the canary: ${reason}`, { reason });
    throw new RollbackFailedError(
      `post phase could not undo the canary of release ${target.release}: ${reason}`,
      'remove the objects labelled slipway.dev/canary-of and restore the traffic by hand; the journal lists them',
    );
  }
}
